package quarantine

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/mailroot/mailroot/mime"
)

// RestoreResult says what Restore did (or, in a dry run, would do).
type RestoreResult struct {
	ID     string   `json:"id"`
	DryRun bool     `json:"dry_run"`
	Files  []FileOp `json:"files"` // From: store copy, To: original path
}

// Restore moves an item's original files back to their original paths,
// after checking each store copy against item.json. It refuses (nothing
// changed) when a file now exists at an original path (*ExistsError), when a
// store copy does not match (*HashMismatchError), or when the original
// folder is gone or is a link, or when the folder now resolves (through
// links or junctions higher up its path) somewhere other than where it did
// at quarantine time (ErrPathChanged). It only ever writes the original path named
// in item.json, which is validated to be a plain name in a clean absolute
// folder. The item folder and item.json stay, with state "restored" and a
// history event. With dryRun nothing is changed.
func (s *Store) Restore(ctx context.Context, idOrPrefix string, dryRun bool) (*RestoreResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.writable(); err != nil && !(dryRun && errors.Is(err, ErrReadOnly)) {
		return nil, err
	}
	id, err := s.Resolve(idOrPrefix)
	if err != nil {
		return nil, err
	}
	rec, err := s.readRecord(id)
	if err != nil {
		return nil, err
	}
	if rec.State != StateQuarantined && rec.State != StateRepaired && rec.State != StateReplayed {
		return nil, fmt.Errorf("quarantine %s: %w: it is %s", id, ErrState, rec.State)
	}
	res := &RestoreResult{ID: id, DryRun: dryRun}
	itemDir := filepath.Join(s.dir, id)
	for _, f := range rec.Originals() {
		if err := checkOriginalPath(f.OriginalPath, f.Name); err != nil {
			return nil, fmt.Errorf("quarantine %s: %w", id, err)
		}
		dir := filepath.Dir(f.OriginalPath)
		fi, err := os.Lstat(dir)
		if err != nil {
			return nil, fmt.Errorf("quarantine %s: original folder %s: %w (recreate it first)", id, dir, err)
		}
		if !fi.IsDir() {
			return nil, fmt.Errorf("quarantine %s: original folder %s is not a folder (%s); refusing to restore through it", id, dir, fi.Mode().Type())
		}
		// A folder higher up may have become a link since the move:
		// restore only writes where the file came from.
		want := f.RealDir
		if want == "" {
			want = dir
		}
		real, err := realDir(dir)
		if err != nil {
			return nil, fmt.Errorf("quarantine %s: original folder %s: %w", id, dir, err)
		}
		if !samePath(real, want) {
			return nil, fmt.Errorf("quarantine %s: %w: %s resolves to %s, but to %s when the item was quarantined (a folder on the way was replaced by a link, or a link retargeted); refusing to restore there", id, ErrPathChanged, dir, real, want)
		}
		if _, err := os.Lstat(f.OriginalPath); err == nil {
			return nil, fmt.Errorf("quarantine %s: %w", id, &ExistsError{Path: f.OriginalPath})
		} else if !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("quarantine %s: %w", id, err)
		}
		src := filepath.Join(itemDir, f.Name)
		if fi, err := os.Lstat(src); err != nil {
			return nil, fmt.Errorf("quarantine %s: %w", id, err)
		} else if !fi.Mode().IsRegular() {
			return nil, fmt.Errorf("quarantine %s: %s is not a regular file (%s); refusing to restore it", id, src, fi.Mode().Type())
		}
		n, sum, err := hashFile(ctx, src)
		if err != nil {
			return nil, fmt.Errorf("quarantine %s: %w", id, err)
		}
		if n != f.Size || sum != f.SHA256 {
			return nil, fmt.Errorf("quarantine %s: refusing to restore an altered file: %w", id, &HashMismatchError{Path: src, WantSHA256: f.SHA256, GotSHA256: sum, WantSize: f.Size, GotSize: n})
		}
		tmp := tmpInFolder(id, f.OriginalPath)
		if rec.Folder == mime.FolderPickup || rec.Folder == mime.FolderDrop {
			// IIS picks up any file name in PickUp: a partial copy goes
			// beside the folder instead (Drop is treated alike, as it is a
			// common replay source, KB 230309).
			tmp = s.tmpFor(id, f.OriginalPath)
		}
		res.Files = append(res.Files, FileOp{From: src, To: f.OriginalPath, Tmp: tmp, Size: f.Size, SHA256: f.SHA256})
	}
	if len(res.Files) == 0 {
		return nil, fmt.Errorf("quarantine %s: no original files to restore", id)
	}
	if dryRun {
		return res, nil
	}
	intent := Entry{Op: OpIntent, Kind: KindRestore, Txn: s.newTxn(id, KindRestore), ID: id, Files: res.Files, By: &s.actor}
	if err := fault("journal-intent"); err != nil {
		return nil, fmt.Errorf("quarantine %s: journal: %w", id, err)
	}
	if err := s.journal.append(intent); err != nil {
		return nil, fmt.Errorf("quarantine %s: %w", id, err)
	}
	err = s.runRestore(ctx, rec, intent)
	if err != nil {
		if isCrash(err) {
			return nil, err
		}
		out, rerr := s.resolve(intent, true)
		if rerr != nil {
			return nil, errors.Join(err, fmt.Errorf("quarantine %s: roll back: %w (run mailroot quarantine recover)", id, rerr))
		}
		if out == OutcomeCompleted {
			return res, nil
		}
		return nil, err
	}
	return res, nil
}

func (s *Store) runRestore(ctx context.Context, rec *Record, intent Entry) error {
	for _, op := range intent.Files {
		if err := s.transfer(ctx, op); err != nil {
			return fmt.Errorf("quarantine %s: restore: %w", rec.ID, err)
		}
	}
	rec.State = StateRestored
	rec.History = append(rec.History, Event{Time: time.Now().UTC(), Action: "restored", State: StateRestored, By: s.actor, Files: names(rec.Originals())})
	if err := s.writeRecord(rec); err != nil {
		return err
	}
	if err := fault("journal-done"); err != nil {
		return fmt.Errorf("quarantine %s: journal: %w", rec.ID, err)
	}
	// A failed completion entry is harmless: recovery sees the files at
	// the original paths and journals it then.
	s.journal.appendOutcome(Entry{Op: OpDone, Kind: KindRestore, Txn: intent.Txn, ID: rec.ID})
	return nil
}
