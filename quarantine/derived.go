package quarantine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"strings"
	"time"
)

// Originals and derived files.
//
// The files moved in from the mailroot (originals: roles message, bdr, bdp)
// are evidence: nothing in this package ever writes over them, and Verify
// reports any change to them. Files written into an item later (derived
// files, e.g. the repaired copy fixed.eml, role "fixed") may change: they
// are replaced atomically with ReplaceFile, or, after a person edited one in
// place, their new hash is recorded with Rehash. Either way item.json then
// lists the new size and SHA-256, and the history keeps the old SHA-256.

// KindReplace is the journal kind of ReplaceFile: a derived file replaced
// by a new version (recovery completes it when the new version is complete
// in its temp file or in place, and otherwise leaves the old one).
const KindReplace = "replace"

// kindRehash marks the OpNote journaled when a derived file's hash is
// recorded again after a manual edit.
const kindRehash = "rehash"

// ErrOriginal is returned (wrapped) when a caller asks to replace or
// re-record an original file of an item: originals are evidence and never
// change.
var ErrOriginal = errors.New("original files are evidence and are never replaced or re-recorded")

// IsOriginalRole reports whether role is one of the roles of original files
// (RoleMessage, RoleBDR, RoleBDP), which derived files may not take.
func IsOriginalRole(role string) bool {
	switch strings.ToLower(role) {
	case RoleMessage, RoleBDR, RoleBDP:
		return true
	}
	return false
}

// ReplaceFile writes a new version of a derived file of an item (e.g. a
// second repair's fixed.eml). A name the item does not list yet is added as
// with WriteFile. The new content goes to a temp file, is fsynced,
// journaled (KindReplace), and renamed over the old one, which is atomic:
// at every instant the name holds the old or the new version, complete.
// item.json then lists the new size and SHA-256, and a "file-replaced"
// history event keeps the old SHA-256 (and the hash of unrecorded changes
// the old version held, if it had been edited in place).
//
// Originals are never replaced: a name listed as an original, or a role of
// an original, is refused with ErrOriginal; so is a role different from the
// one recorded for the name.
func (s *Store) ReplaceFile(id, name, role string, data io.Reader) (File, error) {
	if IsOriginalRole(role) {
		return File{}, fmt.Errorf("quarantine %s: replace %s as %q: %w", id, name, role, ErrOriginal)
	}
	s.mu.Lock()
	if err := s.writable(); err != nil {
		s.mu.Unlock()
		return File{}, err
	}
	id, err := s.Resolve(id)
	if err != nil {
		s.mu.Unlock()
		return File{}, err
	}
	if err := checkName(name); err != nil {
		s.mu.Unlock()
		return File{}, fmt.Errorf("quarantine %s: %w", id, err)
	}
	if role == "" {
		s.mu.Unlock()
		return File{}, fmt.Errorf("quarantine %s: replace %s: no role given", id, name)
	}
	rec, err := s.readRecord(id)
	if err != nil {
		s.mu.Unlock()
		return File{}, err
	}
	old := rec.file(name)
	if old == nil {
		s.mu.Unlock()
		return s.WriteFile(id, name, role, data)
	}
	defer s.mu.Unlock()
	if old.IsOriginal() || IsOriginalRole(old.Role) {
		return File{}, fmt.Errorf("quarantine %s: replace %s: %w", id, old.Name, ErrOriginal)
	}
	if old.Role != role {
		return File{}, fmt.Errorf("quarantine %s: replace %s: it is recorded with role %q, not %q", id, old.Name, old.Role, role)
	}
	if rec.State == StatePending {
		return File{}, fmt.Errorf("quarantine %s: %w: its move is unresolved (run mailroot quarantine recover)", id, ErrState)
	}
	name = old.Name // the recorded spelling
	itemDir := filepath.Join(s.dir, id)
	dst := filepath.Join(itemDir, name)
	// What the old version holds now: unrecorded edits are named in the
	// history rather than silently dropped.
	onDisk := ""
	if n, sum, err := hashFile(context.Background(), dst); err == nil && (n != old.Size || sum != old.SHA256) {
		onDisk = sum
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return File{}, fmt.Errorf("quarantine %s: %w", id, err)
	}
	tmp := s.tmpFor(id, dst)
	n, sum, err := writeTemp(tmp, data)
	if err != nil {
		return File{}, fmt.Errorf("quarantine %s: %w", id, err)
	}
	intent := Entry{Op: OpIntent, Kind: KindReplace, Txn: s.newTxn(id, KindReplace), ID: id, Detail: role, By: &s.actor,
		Files: []FileOp{{To: dst, Tmp: tmp, Size: n, SHA256: sum}}}
	if err := s.journal.append(intent); err != nil {
		removeFile(tmp)
		return File{}, fmt.Errorf("quarantine %s: %w", id, err)
	}
	now := time.Now().UTC()
	err = func() error {
		if err := fault("replace-rename"); err != nil {
			return err
		}
		if err := replaceFile(tmp, dst); err != nil {
			return err
		}
		if err := syncDir(itemDir); err != nil {
			return err
		}
		applyReplace(rec, name, n, sum, now, s.actor, replaceDetail(old.SHA256, onDisk, sum))
		if err := s.writeRecord(rec); err != nil {
			return err
		}
		s.journal.appendOutcome(Entry{Op: OpDone, Kind: KindReplace, Txn: intent.Txn, ID: id})
		return nil
	}()
	if err != nil {
		if isCrash(err) {
			return File{}, err
		}
		if _, rerr := s.resolve(intent, true); rerr != nil {
			return File{}, errors.Join(fmt.Errorf("quarantine %s: replace %s: %w", id, name, err), rerr)
		}
		if r2, gerr := s.readRecord(id); gerr == nil {
			if f := r2.file(name); f != nil && f.SHA256 == sum {
				return *f, nil
			}
		}
		return File{}, fmt.Errorf("quarantine %s: replace %s: %w", id, name, err)
	}
	return *rec.file(name), nil
}

func replaceDetail(recorded, onDisk, now string) string {
	if onDisk != "" {
		return fmt.Sprintf("replaced, sha256 %s -> %s (the old version held unrecorded changes, sha256 %s)", recorded, now, onDisk)
	}
	return fmt.Sprintf("replaced, sha256 %s -> %s", recorded, now)
}

// applyReplace records the new version of name in rec.
func applyReplace(rec *Record, name string, size int64, sum string, now time.Time, by Actor, detail string) {
	f := rec.file(name)
	f.Size, f.SHA256, f.Added = size, sum, now
	rec.History = append(rec.History, Event{Time: now, Action: "file-replaced", By: by, Files: []string{f.Name}, Detail: detail})
}

// resolveReplace finishes an interrupted ReplaceFile: the replacement is
// completed when the new version is complete in place or in its temp file
// (promoted over the old one); otherwise the old version stays and the
// temp file is removed.
func (s *Store) resolveReplace(e Entry) (outcome, detail string, err error) {
	outcome = OutcomeCompleted
	for _, op := range e.Files {
		to, err := probe(op.To, op.Size, op.SHA256)
		if err != nil {
			return "", "", err
		}
		if to != copyComplete && op.Tmp != "" {
			if c, _ := probe(op.Tmp, op.Size, op.SHA256); c == copyComplete {
				if err := replaceFile(op.Tmp, op.To); err != nil {
					return "", "", err
				}
				syncDir(filepath.Dir(op.To))
				to = copyComplete
			}
		}
		if to != copyComplete {
			outcome = OutcomeRolledBack
		}
	}
	for _, op := range e.Files {
		if op.Tmp != "" {
			if err := removeFile(op.Tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return "", "", err
			}
		}
	}
	return outcome, "", nil
}

// finishReplace brings item.json in line with a completed replacement.
func (s *Store) finishReplace(e Entry) error {
	rec, err := s.readRecord(e.ID)
	if err != nil {
		return err
	}
	changed := false
	now := time.Now().UTC()
	for _, op := range e.Files {
		name := filepath.Base(op.To)
		f := rec.file(name)
		switch {
		case f == nil:
			rec.Files = append(rec.Files, File{Name: name, Role: e.Detail, Size: op.Size, SHA256: op.SHA256, Added: now})
			rec.History = append(rec.History, Event{Time: now, Action: "file-added", By: s.actor, Files: []string{name}, Detail: "completed by recovery"})
		case f.SHA256 != op.SHA256 || f.Size != op.Size:
			applyReplace(rec, name, op.Size, op.SHA256, now, s.actor, "completed by recovery; "+replaceDetail(f.SHA256, "", op.SHA256))
		default:
			continue
		}
		changed = true
	}
	if changed {
		return s.writeRecord(rec)
	}
	return nil
}

// Rehash records the current size and SHA-256 of a derived file that a
// person edited in place (e.g. fixed.eml after `mailroot repair ID
// --edit`), so that Verify stops reporting it as altered. The history gets
// a "rehashed" event "<note>, sha256 old -> new" and the journal an OpNote.
// A file that did not change is left alone (changed is false). Originals are
// refused with ErrOriginal: a changed original is tampering, which Verify
// must keep reporting.
func (s *Store) Rehash(id, name, note string) (old, cur File, changed bool, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.writable(); err != nil {
		return File{}, File{}, false, err
	}
	id, err = s.Resolve(id)
	if err != nil {
		return File{}, File{}, false, err
	}
	rec, err := s.readRecord(id)
	if err != nil {
		return File{}, File{}, false, err
	}
	f := rec.file(name)
	if f == nil {
		return File{}, File{}, false, fmt.Errorf("quarantine %s: %s: %w", id, name, fs.ErrNotExist)
	}
	if f.IsOriginal() || IsOriginalRole(f.Role) {
		return File{}, File{}, false, fmt.Errorf("quarantine %s: re-record %s: %w", id, f.Name, ErrOriginal)
	}
	if rec.State == StatePending {
		return File{}, File{}, false, fmt.Errorf("quarantine %s: %w: its move is unresolved (run mailroot quarantine recover)", id, ErrState)
	}
	old = *f
	p := filepath.Join(s.dir, id, f.Name)
	n, sum, err := hashFile(context.Background(), p)
	if err != nil {
		return old, old, false, fmt.Errorf("quarantine %s: %w", id, err)
	}
	if n == f.Size && sum == f.SHA256 {
		return old, old, false, nil
	}
	if note == "" {
		note = "edited by hand"
	}
	detail := fmt.Sprintf("%s, sha256 %s -> %s", note, f.SHA256, sum)
	if err := s.journal.append(Entry{Op: OpNote, Kind: kindRehash, ID: id, Detail: detail, By: &s.actor,
		Files: []FileOp{{To: p, Size: n, SHA256: sum}}}); err != nil {
		return old, old, false, fmt.Errorf("quarantine %s: %w", id, err)
	}
	now := time.Now().UTC()
	f.Size, f.SHA256 = n, sum
	rec.History = append(rec.History, Event{Time: now, Action: "rehashed", By: s.actor, Files: []string{f.Name}, Detail: detail})
	if err := s.writeRecord(rec); err != nil {
		return old, old, false, err
	}
	return old, *f, true, nil
}
