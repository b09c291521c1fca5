package quarantine

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/mailroot/mailroot/mime"
	"github.com/mailroot/mailroot/queue"
)

// SMTPService is the Windows service whose Queue folders are guarded.
const SMTPService = "SMTPSVC"

// serviceRunningFunc asks the Windows service control manager (always
// false elsewhere); replaced in tests of the live-service guard.
var serviceRunningFunc = queue.ServiceRunning

// SetServiceCheck replaces the live-service check that Add consults
// (queue.ServiceRunning by default) and returns a function that puts the
// previous one back. It is a test hook, so that callers such as the CLI can
// exercise the guard on any OS; it must not be called while Add runs.
func SetServiceCheck(running func(service string) (bool, error)) (restore func()) {
	old := serviceRunningFunc
	serviceRunningFunc = running
	return func() { serviceRunningFunc = old }
}

// AddRequest asks Add to quarantine one item.
type AddRequest struct {
	// Item is what the queue scanner found: Path, Folder and Members (all
	// files of a BadMail unit). With no Members, Path alone is moved.
	Item queue.Item
	// Report is the scan report of the message (findings, envelope,
	// headers), or nil.
	Report *mime.Report
	// ScannedSHA256 maps member paths (as in Item) to the hex SHA-256 seen
	// when scanning. A member whose content differs is refused with a
	// *ChangedError so that the caller can rescan it. Members not in the map
	// are hashed now and not compared.
	ScannedSHA256 map[string]string
	// Force overrides the live-service guard (SMTPSVC running and the item
	// in a Queue folder).
	Force bool
	// Note is recorded in the item's first history event.
	Note string
}

// PlannedMove is one file of a dry-run plan.
type PlannedMove struct {
	From string `json:"from"`
	To   string `json:"to"`
	Size int64  `json:"size"`
	Role string `json:"role"`
}

// PlaceholderID stands for the ID a real run would assign in a dry-run
// plan (IDs are made from the clock at the moment of the move).
const PlaceholderID = "<id>"

// PlanAdd returns the moves Add would make for item into the store at
// storeDir, checking everything it can without changing anything (it does
// not create or lock the store): names, regular files, nothing inside the
// store itself. The destination folder is PlaceholderID.
func PlanAdd(storeDir string, item queue.Item) ([]PlannedMove, error) {
	abs, err := filepath.Abs(storeDir)
	if err != nil {
		return nil, err
	}
	members, err := itemMembers(abs, item)
	if err != nil {
		return nil, err
	}
	var out []PlannedMove
	for _, m := range members {
		fi, err := os.Lstat(m.Path)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil, &SkippedError{Path: m.Path, Reason: SkipVanished, Err: err}
			}
			return nil, err
		}
		if !fi.Mode().IsRegular() {
			return nil, fmt.Errorf("%s is not a regular file (%s); refusing to move it", m.Path, fi.Mode().Type())
		}
		out = append(out, PlannedMove{From: m.Path, To: filepath.Join(abs, PlaceholderID, filepath.Base(m.Path)), Size: fi.Size(), Role: m.Role})
	}
	return out, nil
}

// itemMembers returns the members with absolute paths, checked: plain
// names, unique within the unit (case-insensitively, as on Windows), not
// reserved, not inside the store.
func itemMembers(storeDir string, item queue.Item) ([]queue.Member, error) {
	ms := item.Members
	if len(ms) == 0 {
		if item.Path == "" {
			return nil, errors.New("quarantine: item has no path")
		}
		ms = []queue.Member{{Path: item.Path, Role: RoleMessage, Size: item.Size, ModTime: item.ModTime}}
	}
	out := make([]queue.Member, 0, len(ms))
	seen := map[string]bool{}
	for _, m := range ms {
		abs, err := filepath.Abs(m.Path)
		if err != nil {
			return nil, fmt.Errorf("quarantine %s: %w", m.Path, err)
		}
		name := filepath.Base(abs)
		if err := checkName(name); err != nil {
			return nil, fmt.Errorf("quarantine %s: %w", abs, err)
		}
		// The path must be one that item.json accepts back on restore (no
		// UNC or device paths on Windows).
		if err := checkOriginalPath(abs, name); err != nil {
			return nil, fmt.Errorf("quarantine %s: %w", abs, err)
		}
		if k := strings.ToLower(name); seen[k] {
			return nil, fmt.Errorf("quarantine %s: two files of the item are named %q", abs, name)
		} else {
			seen[k] = true
		}
		if inside(storeDir, abs) {
			return nil, fmt.Errorf("quarantine %s: the file is inside the quarantine store", abs)
		}
		if m.Role == "" {
			m.Role = RoleMessage
		}
		m.Path = abs
		out = append(out, m)
	}
	return out, nil
}

// inside reports whether path is dir or under it (case-insensitively, as
// Windows compares).
func inside(dir, path string) bool {
	rel, err := filepath.Rel(dir, path)
	if err != nil {
		return false
	}
	return rel == "." || !strings.HasPrefix(rel, "..") && !filepath.IsAbs(rel) ||
		strings.EqualFold(filepath.Clean(dir), filepath.Clean(path))
}

// Add quarantines one item: it checks every file is what was scanned,
// journals the intent, moves the files into a new item folder (rename on
// one volume; copy, verify and remove across volumes), writes item.json
// and journals the completion. Either every file of the item ends in the
// store, or (on error) every file is back where it was.
//
// Typed errors: *SkippedError (a file locked or vanished; nothing moved),
// *ChangedError (rescan), *ServiceRunningError, *ExistsError.
func (s *Store) Add(ctx context.Context, req AddRequest) (*Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.writable(); err != nil {
		return nil, err
	}
	members, err := itemMembers(s.dir, req.Item)
	if err != nil {
		return nil, err
	}
	if req.Item.Folder == mime.FolderQueue && !req.Force {
		running, err := serviceRunningFunc(SMTPService)
		if err != nil || running {
			return nil, &ServiceRunningError{Service: SMTPService, Path: members[0].Path, Err: err}
		}
	}

	// 1. Check that each file is what was scanned, and hash it.
	files := make([]File, 0, len(members))
	for i, m := range members {
		f, err := checkSource(ctx, m, req.ScannedSHA256)
		if err != nil {
			return nil, err
		}
		if i == 0 {
			f.Created = req.Item.Created
		}
		files = append(files, f)
	}

	// 2. Pick an ID whose folder does not exist.
	now := time.Now().UTC()
	var id string
	for tries := 0; ; tries++ {
		id = s.ids.next(now)
		if _, err := os.Lstat(filepath.Join(s.dir, id)); errors.Is(err, fs.ErrNotExist) {
			break
		}
		if tries > 100 {
			return nil, fmt.Errorf("quarantine: cannot find a free item ID in %s", s.dir)
		}
	}
	itemDir := filepath.Join(s.dir, id)

	rec := &Record{
		Schema:      SchemaVersion,
		ID:          id,
		State:       StatePending,
		Folder:      req.Item.Folder,
		OriginalDir: filepath.Dir(members[0].Path),
		Files:       files,
		Findings:    append([]mime.Finding(nil), req.Item.Findings...),
		Reason:      req.Item.Reason,
		Quarantined: now,
		By:          s.actor,
		History:     []Event{},
	}
	if rec.Folder == "" {
		rec.Folder = mime.FolderGeneric
	}
	if req.Report != nil {
		rec.Envelope = req.Report.Envelope
		h := req.Report.Headers
		rec.Headers = &h
		rec.Findings = append(rec.Findings, req.Report.Findings...)
	}
	intent := Entry{Op: OpIntent, Kind: KindMove, Txn: s.newTxn(id, KindMove), ID: id, By: &s.actor}
	for _, f := range files {
		intent.Files = append(intent.Files, FileOp{
			From: f.OriginalPath, To: filepath.Join(itemDir, f.Name), Tmp: filepath.Join(itemDir, tmpPrefix+f.Name),
			Size: f.Size, SHA256: f.SHA256,
		})
	}

	// 3. Journal the intent; from here on recovery knows about the move.
	if err := fault("journal-intent"); err != nil {
		return nil, fmt.Errorf("quarantine %s: journal: %w", id, err)
	}
	if err := s.journal.append(intent); err != nil {
		return nil, fmt.Errorf("quarantine %s: %w", id, err)
	}
	rec, err = s.runMove(ctx, rec, intent, req.Note)
	if err != nil {
		if isCrash(err) {
			return nil, err
		}
		var ie *itemExistsError
		if errors.As(err, &ie) {
			// Nothing was moved and the folder is someone else's.
			s.journal.appendOutcome(Entry{Op: OpAbort, Kind: KindMove, Txn: intent.Txn, ID: id, Outcome: OutcomeRolledBack, Detail: err.Error()})
			return nil, &ie.ExistsError
		}
		// Roll back now rather than at the next start: every file goes
		// back where it was (or, if all already arrived, the move is
		// completed after all).
		out, rerr := s.resolve(intent, true)
		if rerr != nil {
			return nil, errors.Join(err, fmt.Errorf("quarantine %s: roll back: %w (run mailroot quarantine recover)", id, rerr))
		}
		if out == OutcomeCompleted {
			r, gerr := s.readRecord(id)
			if gerr == nil {
				return r, nil
			}
		}
		return nil, err
	}
	return rec, nil
}

// runMove does steps 4 to 8 of the move protocol.
func (s *Store) runMove(ctx context.Context, rec *Record, intent Entry, note string) (*Record, error) {
	id := rec.ID
	itemDir := filepath.Join(s.dir, id)
	// 4. The item folder, durable in the store folder.
	if err := fault("mkdir"); err != nil {
		return nil, fmt.Errorf("quarantine %s: create %s: %w", id, itemDir, err)
	}
	if err := os.Mkdir(itemDir, 0o700); err != nil {
		if errors.Is(err, fs.ErrExist) {
			// Not ours: roll back must not touch it.
			return nil, &itemExistsError{ExistsError{Path: itemDir}}
		}
		return nil, fmt.Errorf("quarantine %s: create %s: %w", id, itemDir, err)
	}
	if err := fault("sync-store"); err != nil {
		return nil, fmt.Errorf("quarantine %s: sync %s: %w", id, s.dir, err)
	}
	if err := syncDir(s.dir); err != nil {
		return nil, fmt.Errorf("quarantine %s: sync %s: %w", id, s.dir, err)
	}
	// 5. A pending item.json, so that recovery can finish the record.
	if err := s.writeRecord(rec); err != nil {
		return nil, err
	}
	// 6. Move each file.
	for i, op := range intent.Files {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("quarantine %s: %w", id, err)
		}
		if err := s.transfer(ctx, op); err != nil {
			return nil, fmt.Errorf("quarantine %s: %w", id, err)
		}
		// Paranoia about a writer racing the move: the stored file must
		// be what was hashed. Size and time are cheap; rehash on doubt.
		if fi, err := os.Stat(op.To); err != nil || fi.Size() != op.Size || !fi.ModTime().Equal(rec.Files[i].ModTime) {
			n, sum, herr := hashFile(ctx, op.To)
			if herr != nil {
				return nil, fmt.Errorf("quarantine %s: %w", id, herr)
			}
			if n != op.Size || sum != op.SHA256 {
				rec.Files[i].Size, rec.Files[i].SHA256 = n, sum
				rec.History = append(rec.History, Event{Time: time.Now().UTC(), Action: "note", By: s.actor,
					Detail: fmt.Sprintf("%s changed while being moved: was %d bytes sha256 %s", op.From, op.Size, op.SHA256)})
			}
		}
	}
	// 7. The final record.
	rec.State = StateQuarantined
	rec.History = append(rec.History, Event{Time: time.Now().UTC(), Action: "quarantined", State: StateQuarantined, By: s.actor, Detail: note, Files: names(rec.Files)})
	if err := s.writeRecord(rec); err != nil {
		return nil, err
	}
	// 8. Completion.
	if err := fault("journal-done"); err != nil {
		return nil, fmt.Errorf("quarantine %s: journal: %w", id, err)
	}
	// If the outcome cannot be written now, it is written before any later
	// entry; the files are safely in the store and the record says so.
	s.journal.appendOutcome(Entry{Op: OpDone, Kind: KindMove, Txn: intent.Txn, ID: id})
	return rec, nil
}

// itemExistsError is an ExistsError for the item folder itself.
type itemExistsError struct{ ExistsError }

func names(fs []File) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.Name
	}
	return out
}

// checkSource verifies a member is a regular file that matches the scan,
// and returns its File entry with the SHA-256.
func checkSource(ctx context.Context, m queue.Member, scanned map[string]string) (File, error) {
	f := File{Name: filepath.Base(m.Path), Role: m.Role, OriginalPath: m.Path, Streams: m.Streams}
	// Where the path really leads now, for restore to compare with.
	if dir := filepath.Dir(m.Path); dir != "" {
		if real, err := realDir(dir); err == nil && !samePath(real, dir) {
			f.RealDir = real
		}
	}
	if err := fault("check-source"); err != nil {
		return f, classifyOpen(m.Path, err)
	}
	fi, err := os.Lstat(m.Path)
	if err != nil {
		return f, classifyOpen(m.Path, err)
	}
	if !fi.Mode().IsRegular() {
		return f, fmt.Errorf("quarantine %s: not a regular file (%s); refusing to move it", m.Path, fi.Mode().Type())
	}
	if m.Size != 0 && fi.Size() != m.Size {
		return f, &ChangedError{Path: m.Path, Field: "size", Want: fmt.Sprint(m.Size), Got: fmt.Sprint(fi.Size())}
	}
	if !m.ModTime.IsZero() && !fi.ModTime().Equal(m.ModTime) {
		return f, &ChangedError{Path: m.Path, Field: "mtime", Want: m.ModTime.UTC().Format(time.RFC3339Nano), Got: fi.ModTime().UTC().Format(time.RFC3339Nano)}
	}
	if err := fault("hash-source"); err != nil {
		return f, classifyOpen(m.Path, err)
	}
	n, sum, err := hashFile(ctx, m.Path)
	if err != nil {
		return f, classifyOpen(m.Path, err)
	}
	if n != fi.Size() {
		return f, &ChangedError{Path: m.Path, Field: "size", Want: fmt.Sprint(fi.Size()), Got: fmt.Sprint(n)}
	}
	want := scanned[m.Path]
	if want == "" {
		if abs, err := filepath.Abs(m.Path); err == nil {
			want = scanned[abs]
		}
	}
	if want != "" && !strings.EqualFold(want, sum) {
		return f, &ChangedError{Path: m.Path, Field: "sha256", Want: want, Got: sum}
	}
	f.Size, f.SHA256 = n, sum
	f.ModTime = fi.ModTime().UTC()
	f.Mode = uint32(fi.Mode().Perm())
	f.ReadOnly = fi.Mode().Perm()&0o200 == 0
	return f, nil
}

// classifyOpen turns "locked" and "not found" into a *SkippedError.
func classifyOpen(path string, err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return &SkippedError{Path: path, Reason: SkipVanished, Err: err}
	case isSharingViolation(err):
		return &SkippedError{Path: path, Reason: SkipLocked, Err: err}
	}
	return fmt.Errorf("quarantine %s: %w", path, err)
}

// transfer moves one file From -> To (To must not exist): a rename, then
// both folders fsynced; across volumes a copy to Tmp, fsync, SHA-256 check,
// rename to To, fsync, and only then removal of From.
func (s *Store) transfer(ctx context.Context, op FileOp) error {
	if err := fault("rename"); err != nil {
		return classifyOpen(op.From, err)
	}
	err := moveRename(op.From, op.To)
	if err == nil {
		if err := fault("sync-dirs"); err != nil {
			return fmt.Errorf("sync folders of %s: %w", op.To, err)
		}
		if err := syncDir(filepath.Dir(op.To)); err != nil {
			return fmt.Errorf("sync folder %s: %w", filepath.Dir(op.To), err)
		}
		if err := syncDir(filepath.Dir(op.From)); err != nil {
			return fmt.Errorf("sync folder %s: %w", filepath.Dir(op.From), err)
		}
		return nil
	}
	if IsExists(err) {
		return err
	}
	if !isCrossDevice(err) {
		return classifyOpen(op.From, err)
	}
	return s.copyTransfer(ctx, op)
}

func (s *Store) copyTransfer(ctx context.Context, op FileOp) (err error) {
	if op.Tmp == "" {
		return fmt.Errorf("move %s to %s: different volumes and no temporary path", op.From, op.To)
	}
	// A temp file left by an earlier crash is never the only copy.
	if err := removeFile(op.Tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove stale %s: %w", op.Tmp, err)
	}
	defer func() {
		if err != nil && !isCrash(err) {
			removeFile(op.Tmp)
		}
	}()
	if err := copyFile(op.From, op.Tmp); err != nil {
		if errors.Is(err, fs.ErrNotExist) || isSharingViolation(err) {
			return classifyOpen(op.From, err)
		}
		return err
	}
	if err := fault("copy-verify"); err != nil {
		return fmt.Errorf("verify %s: %w", op.Tmp, err)
	}
	n, sum, err := hashFile(ctx, op.Tmp)
	if err != nil {
		return err
	}
	if n != op.Size || sum != op.SHA256 {
		return &ChangedError{Path: op.From, Field: "sha256", Want: op.SHA256, Got: sum + " (copy)"}
	}
	if err := checkStreams(op.From, op.Tmp); err != nil {
		return err
	}
	if err := fault("copy-rename"); err != nil {
		return fmt.Errorf("rename %s: %w", op.Tmp, err)
	}
	if err := renameNoReplace(op.Tmp, op.To); err != nil {
		return fmt.Errorf("rename %s: %w", op.Tmp, err)
	}
	if err := fault("copy-syncdir"); err != nil {
		return fmt.Errorf("sync folder %s: %w", filepath.Dir(op.To), err)
	}
	if err := syncDir(filepath.Dir(op.To)); err != nil {
		return fmt.Errorf("sync folder %s: %w", filepath.Dir(op.To), err)
	}
	// The copy is complete, verified and durable: now the source may go.
	if err := fault("remove-source"); err != nil {
		return fmt.Errorf("remove %s: %w", op.From, err)
	}
	if err := removeFile(op.From); err != nil {
		return fmt.Errorf("remove %s: %w", op.From, err)
	}
	if err := syncDir(filepath.Dir(op.From)); err != nil {
		return fmt.Errorf("sync folder %s: %w", filepath.Dir(op.From), err)
	}
	return nil
}
