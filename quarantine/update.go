package quarantine

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// WriteFile adds a new file to an item folder (for example a repaired copy
// of the message): it is written to a temp file, fsynced, journaled,
// renamed into place, and listed in item.json with its size, SHA-256, role
// and a history event. An existing name is never overwritten
// (*ExistsError). The returned File describes what was written.
func (s *Store) WriteFile(id, name, role string, data io.Reader) (File, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.writable(); err != nil {
		return File{}, err
	}
	id, err := s.Resolve(id)
	if err != nil {
		return File{}, err
	}
	if err := checkName(name); err != nil {
		return File{}, fmt.Errorf("quarantine %s: %w", id, err)
	}
	if role == "" {
		return File{}, fmt.Errorf("quarantine %s: write %s: no role given", id, name)
	}
	rec, err := s.readRecord(id)
	if err != nil {
		return File{}, err
	}
	itemDir := filepath.Join(s.dir, id)
	dst := filepath.Join(itemDir, name)
	if rec.file(name) != nil {
		return File{}, fmt.Errorf("quarantine %s: %w", id, &ExistsError{Path: dst})
	}
	if _, err := os.Lstat(dst); err == nil {
		return File{}, fmt.Errorf("quarantine %s: %w", id, &ExistsError{Path: dst})
	}
	tmp := s.tmpFor(id, dst)
	n, sum, err := writeTemp(tmp, data)
	if err != nil {
		return File{}, fmt.Errorf("quarantine %s: %w", id, err)
	}
	intent := Entry{Op: OpIntent, Kind: KindWrite, Txn: s.newTxn(id, KindWrite), ID: id, Detail: role, By: &s.actor,
		Files: []FileOp{{To: dst, Tmp: tmp, Size: n, SHA256: sum}}}
	if err := s.journal.append(intent); err != nil {
		removeFile(tmp)
		return File{}, fmt.Errorf("quarantine %s: %w", id, err)
	}
	f := File{Name: name, Role: role, Size: n, SHA256: sum, Added: time.Now().UTC()}
	err = func() error {
		if err := fault("write-rename"); err != nil {
			return err
		}
		if err := renameNoReplace(tmp, dst); err != nil {
			return err
		}
		if err := syncDir(itemDir); err != nil {
			return err
		}
		rec.Files = append(rec.Files, f)
		rec.History = append(rec.History, Event{Time: f.Added, Action: "file-added", By: s.actor, Files: []string{name}, Detail: role})
		if err := s.writeRecord(rec); err != nil {
			return err
		}
		// An unwritten outcome is kept and written before any later entry.
		s.journal.appendOutcome(Entry{Op: OpDone, Kind: KindWrite, Txn: intent.Txn, ID: id})
		return nil
	}()
	if err != nil {
		if isCrash(err) {
			return File{}, err
		}
		if _, rerr := s.resolve(intent, true); rerr != nil {
			return File{}, errors.Join(fmt.Errorf("quarantine %s: write %s: %w", id, name, err), rerr)
		}
		// resolve kept the file if it fully arrived and is now recorded.
		if r2, gerr := s.readRecord(id); gerr == nil && r2.file(name) != nil {
			return *r2.file(name), nil
		}
		return File{}, fmt.Errorf("quarantine %s: write %s: %w", id, name, err)
	}
	return f, nil
}

func writeTemp(tmp string, data io.Reader) (n int64, sum string, err error) {
	if err := fault("write-create"); err != nil {
		return 0, "", fmt.Errorf("create %s: %w", tmp, err)
	}
	out, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return 0, "", fmt.Errorf("create %s: %w", tmp, err)
	}
	defer func() {
		if err != nil && !isCrash(err) {
			out.Close()
			removeFile(tmp)
		}
	}()
	h := sha256.New()
	if err := fault("write-data"); err != nil {
		return 0, "", fmt.Errorf("write %s: %w", tmp, err)
	}
	n, err = io.Copy(io.MultiWriter(out, h), data)
	if err != nil {
		return 0, "", fmt.Errorf("write %s: %w", tmp, err)
	}
	if err := fault("write-sync"); err != nil {
		return 0, "", fmt.Errorf("sync %s: %w", tmp, err)
	}
	if err := out.Sync(); err != nil {
		return 0, "", fmt.Errorf("sync %s: %w", tmp, err)
	}
	if err := out.Close(); err != nil {
		return 0, "", fmt.Errorf("close %s: %w", tmp, err)
	}
	return n, hex.EncodeToString(h.Sum(nil)), nil
}

// AppendHistory adds an event to an item's history (item.json rewritten
// atomically). Time and By are filled in when zero.
func (s *Store) AppendHistory(id string, ev Event) error {
	return s.update(id, func(r *Record) error {
		r.History = append(r.History, s.fillEvent(ev))
		return nil
	})
}

// SetState moves an item to a new state and records the event: allowed are
// quarantined -> repaired, repaired -> repaired, and quarantined or
// repaired -> replayed. (Restored goes through Restore, quarantined through
// Add.) The change is also journaled (OpState). Errors wrap ErrState.
func (s *Store) SetState(id string, to State, ev Event) error {
	return s.update(id, func(r *Record) error {
		if !canTransition(r.State, to) {
			return fmt.Errorf("%w: cannot go from %s to %s", ErrState, r.State, to)
		}
		r.State = to
		ev.State = to
		if ev.Action == "" {
			ev.Action = string(to)
		}
		r.History = append(r.History, s.fillEvent(ev))
		return s.journal.append(Entry{Op: OpState, ID: r.ID, State: to, Detail: ev.Detail, By: &s.actor})
	})
}

func (s *Store) fillEvent(ev Event) Event {
	if ev.Time.IsZero() {
		ev.Time = time.Now().UTC()
	}
	if ev.By == (Actor{}) {
		ev.By = s.actor
	}
	if ev.Action == "" {
		ev.Action = "note"
	}
	return ev
}

func (s *Store) update(idOrPrefix string, fn func(*Record) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.writable(); err != nil {
		return err
	}
	id, err := s.Resolve(idOrPrefix)
	if err != nil {
		return err
	}
	rec, err := s.readRecord(id)
	if err != nil {
		return err
	}
	if rec.State == StatePending {
		return fmt.Errorf("quarantine %s: %w: its move is unresolved (run mailroot quarantine recover)", id, ErrState)
	}
	if err := fn(rec); err != nil {
		return fmt.Errorf("quarantine %s: %w", id, err)
	}
	return s.writeRecord(rec)
}

// exists reports whether a path exists (without following a final link).
func exists(p string) bool {
	_, err := os.Lstat(p)
	return !errors.Is(err, fs.ErrNotExist)
}
