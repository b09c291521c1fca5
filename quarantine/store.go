package quarantine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/user"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/mailroot/mailroot/mime"
)

// DefaultDirName is the name of the store folder created inside the
// scanned mailroot (inside "vsi 1", so moves stay on one volume). Scanners
// skip a folder that IsStore recognises.
const DefaultDirName = "Quarantine"

// LockFile is the name of the store's lock file.
const LockFile = "lock"

// DefaultDir returns the default store location for a scanned root.
func DefaultDir(root string) string { return filepath.Join(root, DefaultDirName) }

// IsStore reports whether dir looks like a quarantine store (it holds a
// journal), so that a scan can skip it.
func IsStore(dir string) bool {
	fi, err := os.Lstat(filepath.Join(dir, JournalFile))
	return err == nil && fi.Mode().IsRegular()
}

// foreignEntry returns the name of an entry of dir other than the lock
// file, or "" when there is none.
func foreignEntry(dir string) (string, error) {
	f, err := os.Open(dir)
	if err != nil {
		return "", err
	}
	defer f.Close()
	for {
		names, err := f.Readdirnames(16)
		for _, n := range names {
			if n != LockFile {
				return n, nil
			}
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				return "", nil
			}
			return "", err
		}
	}
}

// Options configure Open.
type Options struct {
	// Create makes the store folder (owner-only) if it does not exist.
	// Without it, a missing store is ErrNoStore.
	Create bool
	// ToolVersion is recorded in item.json ("mailroot <ToolVersion>"); the
	// main module's build version when empty.
	ToolVersion string
	// Logger receives debug messages; nil discards them.
	Logger *slog.Logger
	// Actor overrides who is recorded as acting (tests); the current
	// user and host when nil.
	Actor *Actor
	// ReadOnly lets Open fall back to a read-only store when the store
	// cannot be written (evidence on read-only media, a read-only mount):
	// no lock, no recovery (interrupted transactions are only reported),
	// and every method that writes fails with ErrReadOnly. Use it for
	// list, show and verify.
	ReadOnly bool
	// ReadWhileLocked, with ReadOnly, also opens a store that another
	// process holds locked (a long scan is moving files into it) in the
	// same read-only way, so that list and show work during the scan; what
	// they read may be mid-change.
	ReadWhileLocked bool
}

// ErrReadOnly is returned (wrapped) by methods that write when the store
// was opened read-only (see Options.ReadOnly).
var ErrReadOnly = errors.New("quarantine store is read-only")

// openReadOnly reads the journal without writing anything, and reports
// the interrupted transactions instead of resolving them.
func (s *Store) openReadOnly(why string, inUse bool) (*Store, error) {
	s.readOnly = true
	p := filepath.Join(s.dir, JournalFile)
	f, err := os.Open(p)
	if err != nil {
		return nil, fmt.Errorf("open quarantine store %s read-only: %w", s.dir, err)
	}
	sum, err := summarizeJournal(f)
	f.Close()
	if err != nil {
		return nil, fmt.Errorf("read journal %s: %w", p, err)
	}
	rep := &RecoveryReport{Truncated: sum.Truncated, BadLinesOmitted: sum.BadOmitted}
	for _, b := range sum.Bad {
		if !sum.repaired[b.Line] {
			rep.BadLines = append(rep.BadLines, b)
		}
	}
	for _, e := range sum.open {
		s.open[e.Txn] = e
		if !inUse { // a store in use: its open transactions are the holder's, under way
			rep.Resolved = append(rep.Resolved, Resolution{Txn: e.Txn, Kind: e.Kind, ID: e.ID, Outcome: OutcomeUnresolved,
				Detail: "the store is read-only: not recovered"})
		}
	}
	if why != "" {
		rep.Problems = append(rep.Problems, why)
	}
	s.recovery = rep
	return s, nil
}

// isReadOnlyFS reports whether err means the store cannot be written: a
// read-only file system or no write permission.
func isReadOnlyFS(err error) bool {
	return errors.Is(err, syscall.EROFS) || errors.Is(err, fs.ErrPermission)
}

// writable returns ErrReadOnly or an error for a closed store.
func (s *Store) writable() error {
	if s.closed {
		return errors.New("quarantine: store is closed")
	}
	if s.readOnly {
		return fmt.Errorf("%w: %s", ErrReadOnly, s.dir)
	}
	return nil
}

// Store is an open, locked quarantine store. Its methods are safe for
// concurrent use by one process; the lock keeps other processes out.
type Store struct {
	dir   string
	opts  Options
	log   *slog.Logger
	actor Actor

	mu       sync.Mutex
	lockF    *os.File
	journal  *journal
	ids      idGen
	recovery *RecoveryReport
	open     map[string]Entry // open intents by txn (foreign kinds, unresolved ones)
	closed   bool
	readOnly bool
	inUse    string // why the store was opened read-only while another process holds it
}

// InUse says, for a store opened with Options.ReadWhileLocked while another
// process held its lock, who holds it and that what is read may be
// mid-change; "" otherwise.
func (s *Store) InUse() string { return s.inUse }

// Open opens (with Options.Create, creates) the store in dir, takes its
// lock, and runs recovery: any move, restore or write interrupted by a
// crash is completed or rolled back (see Recover). The recovery report is
// available from Store.Recovery. Errors: *LockedError when another process
// holds the lock, *UnsafeStoreError for a store others can write to,
// ErrNoStore.
func Open(dir string, opts Options) (*Store, error) {
	if dir == "" {
		return nil, errors.New("open quarantine store: no folder given")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("open quarantine store %s: %w", dir, err)
	}
	dir = abs
	fi, err := os.Lstat(dir)
	if errors.Is(err, fs.ErrNotExist) && opts.Create {
		if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("create quarantine store %s: %w", dir, err)
		}
		syncDir(filepath.Dir(dir))
		fi, err = os.Lstat(dir)
	}
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w at %s", ErrNoStore, dir)
	}
	if err != nil {
		return nil, fmt.Errorf("open quarantine store %s: %w", dir, err)
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		return nil, &UnsafeStoreError{Dir: dir, Reason: "it is a symbolic link"}
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("open quarantine store %s: not a folder", dir)
	}
	if err := checkStorePerm(dir, fi); err != nil {
		return nil, err
	}
	if !IsStore(dir) {
		// Only an empty folder (or one a killed Open left with just its
		// lock file) becomes a store; a folder of other files is not
		// adopted, and nothing opens a store that is not there.
		if !opts.Create {
			return nil, fmt.Errorf("%w at %s: the folder has no %s", ErrNoStore, dir, JournalFile)
		}
		if name, err := foreignEntry(dir); err != nil {
			return nil, fmt.Errorf("open quarantine store %s: %w", dir, err)
		} else if name != "" {
			return nil, &UnsafeStoreError{Dir: dir, Reason: fmt.Sprintf("the folder already holds %q and no %s, so it is no quarantine store; give a new or empty folder", name, JournalFile)}
		}
	}
	s := &Store{dir: dir, opts: opts, log: opts.Logger, open: map[string]Entry{}}
	if s.log == nil {
		s.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s.actor = currentActor(opts)
	if err := s.lock(); err != nil {
		switch {
		case opts.ReadOnly && isReadOnlyFS(err):
			return s.openReadOnly(fmt.Sprintf("%s is read-only: opened without lock or recovery", dir), false)
		case opts.ReadOnly && opts.ReadWhileLocked && IsLocked(err):
			s.inUse = fmt.Sprintf("%s; read without the lock, so what is shown may be mid-change", err)
			return s.openReadOnly("", true)
		}
		return nil, err
	}
	j, jlog, err := openJournal(filepath.Join(dir, JournalFile))
	if err != nil {
		s.unlock()
		return nil, fmt.Errorf("open quarantine store %s: %w", dir, err)
	}
	s.journal = j
	syncDir(dir)
	rep, err := s.recoverLog(context.Background(), jlog, false)
	s.recovery = rep
	if err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func currentActor(opts Options) Actor {
	if opts.Actor != nil {
		return *opts.Actor
	}
	a := Actor{PID: os.Getpid()}
	if u, err := user.Current(); err == nil {
		a.User = u.Username
	} else if v := os.Getenv("USER"); v != "" {
		a.User = v
	} else {
		a.User = os.Getenv("USERNAME")
	}
	a.Host, _ = os.Hostname()
	v := opts.ToolVersion
	if v == "" {
		v = "(devel)"
		if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
			v = bi.Main.Version
		}
	}
	a.Tool = "mailroot " + v
	return a
}

func (s *Store) lock() error {
	p := filepath.Join(s.dir, LockFile)
	if err := fault("lock-open"); err != nil {
		return fmt.Errorf("open lock file %s: %w", p, err)
	}
	f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("open lock file %s: %w", p, err)
	}
	held, err := lockFile(f)
	if err != nil {
		f.Close()
		if held {
			le := &LockedError{Dir: s.dir, Err: err}
			if b, rerr := os.ReadFile(p); rerr == nil {
				le.Holder = strings.TrimSpace(string(b))
			}
			return le
		}
		return fmt.Errorf("lock %s: %w", p, err)
	}
	// Say who holds it, for the message another process shows.
	if err := f.Truncate(0); err == nil {
		fmt.Fprintf(f, "pid %d on %s, user %s, since %s\n", os.Getpid(), s.actor.Host, s.actor.User, time.Now().UTC().Format(time.RFC3339))
	}
	s.lockF = f
	return nil
}

func (s *Store) unlock() {
	if s.lockF != nil {
		unlockFile(s.lockF)
		s.lockF.Close()
		s.lockF = nil
	}
}

// Close releases the lock. The store must not be used afterwards.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	var err error
	if s.journal != nil {
		err = s.journal.close()
	}
	s.unlock()
	return err
}

// Dir returns the store's absolute folder.
func (s *Store) Dir() string { return s.dir }

// Recovery returns what Open's recovery did (never nil after Open).
func (s *Store) Recovery() *RecoveryReport { return s.recovery }

// ItemDir returns the folder of an item (full ID).
func (s *Store) ItemDir(id string) string { return filepath.Join(s.dir, id) }

// Path returns the path of a file in an item folder, refusing names that
// are not plain file names.
func (s *Store) Path(id, name string) (string, error) {
	if !validID(id) {
		return "", &InvalidIDError{Input: id, Reason: "not a full ID"}
	}
	if err := checkName(name); err != nil && !strings.EqualFold(name, RecordFile) {
		return "", err
	}
	return filepath.Join(s.dir, id, name), nil
}

// Resolve turns a full ID or a unique prefix (any case; see NormalizeID)
// into a full ID. Errors: *InvalidIDError, *AmbiguousIDError, ErrNotFound.
func (s *Store) Resolve(idOrPrefix string) (string, error) {
	p, err := NormalizeID(idOrPrefix)
	if err != nil {
		return "", err
	}
	if len(p) == IDLen {
		if fi, err := os.Lstat(filepath.Join(s.dir, p)); err == nil && fi.IsDir() {
			return p, nil
		}
		return "", fmt.Errorf("%w: %s", ErrNotFound, p)
	}
	ids, err := s.itemIDs()
	if err != nil {
		return "", err
	}
	var match []string
	for _, id := range ids {
		if strings.HasPrefix(id, p) {
			match = append(match, id)
		}
	}
	switch len(match) {
	case 0:
		return "", fmt.Errorf("%w: no ID starts with %q", ErrNotFound, p)
	case 1:
		return match[0], nil
	}
	return "", &AmbiguousIDError{Prefix: p, Candidates: match}
}

// itemIDs lists the item folders, sorted (oldest first).
func (s *Store) itemIDs() ([]string, error) {
	ents, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, fmt.Errorf("list quarantine store %s: %w", s.dir, err)
	}
	var ids []string
	for _, e := range ents {
		if e.IsDir() && validID(e.Name()) {
			ids = append(ids, e.Name())
		}
	}
	sort.Strings(ids)
	return ids, nil
}

// readRecord reads an item's item.json.
func (s *Store) readRecord(id string) (*Record, error) {
	p := filepath.Join(s.dir, id, RecordFile)
	f, err := os.Open(p)
	if err != nil {
		return nil, fmt.Errorf("quarantine %s: %w", id, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxRecordSize+1))
	if err != nil {
		return nil, fmt.Errorf("quarantine %s: read %s: %w", id, p, err)
	}
	r, err := ParseRecord(b)
	if err != nil {
		return nil, fmt.Errorf("quarantine %s: %s: %w", id, p, err)
	}
	if r.ID != id {
		return nil, fmt.Errorf("quarantine %s: %s names item %s", id, p, r.ID)
	}
	return r, nil
}

func (s *Store) writeRecord(r *Record) error {
	b, err := MarshalRecord(r)
	if err != nil {
		return fmt.Errorf("quarantine %s: %w", r.ID, err)
	}
	if err := writeFileAtomic(filepath.Join(s.dir, r.ID, RecordFile), b, 0o600); err != nil {
		return fmt.Errorf("quarantine %s: %w", r.ID, err)
	}
	return nil
}

// Get returns the record of the item with the ID or unique prefix.
func (s *Store) Get(idOrPrefix string) (*Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, err := s.Resolve(idOrPrefix)
	if err != nil {
		return nil, err
	}
	return s.readRecord(id)
}

// Filter selects items for List. Zero fields match everything.
type Filter struct {
	State  State
	Rule   string      // items with a finding of this rule (case-insensitive)
	Folder mime.Folder // items from this kind of folder
	// Pending includes items whose move is still unresolved.
	Pending bool
}

func (f Filter) match(r *Record) bool {
	if f.State != "" && r.State != f.State {
		return false
	}
	if f.State == "" && r.State == StatePending && !f.Pending {
		return false
	}
	if f.Folder != "" && r.Folder != f.Folder {
		return false
	}
	if f.Rule != "" {
		found := false
		for _, x := range r.Findings {
			if strings.EqualFold(x.Rule, f.Rule) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// List returns the records that match the filter, oldest first. Items whose
// item.json cannot be read are reported in the returned error (joined) and
// left out; the records returned are valid even when err != nil.
func (s *Store) List(f Filter) ([]*Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids, err := s.itemIDs()
	if err != nil {
		return nil, err
	}
	var out []*Record
	var errs []error
	for _, id := range ids {
		r, err := s.readRecord(id)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if f.match(r) {
			out = append(out, r)
		}
	}
	return out, errors.Join(errs...)
}

// Journal appends an entry to the journal (fsynced). Other packages use it
// to record their own transactions (e.g. Kind "replay" with OpIntent and
// OpDone, same Txn). Intents of kinds this package does not know are left
// open by recovery and listed by OpenIntents.
func (s *Store) Journal(e Entry) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.writable(); err != nil {
		return err
	}
	if e.ID != "" && !validID(e.ID) {
		return &InvalidIDError{Input: e.ID, Reason: "not a full ID"}
	}
	if e.By == nil {
		a := s.actor
		e.By = &a
	}
	write := s.journal.append
	if e.Op == OpDone || e.Op == OpAbort || e.Op == OpRecover {
		// Kept and written before any later entry if it fails now.
		write = s.journal.appendOutcome
	}
	if err := write(e); err != nil {
		return err
	}
	switch e.Op {
	case OpIntent:
		if e.Kind != KindMove && e.Kind != KindRestore && e.Kind != KindWrite && e.Kind != KindReplace {
			s.open[e.Txn] = e
		}
	case OpDone, OpAbort, OpRecover:
		if e.Outcome != OutcomeUnresolved {
			delete(s.open, e.Txn)
		}
	}
	return nil
}

// OpenIntents returns the intents without completion found at Open (or
// added since), of kinds this package does not resolve itself, plus any of
// its own that recovery could not resolve.
func (s *Store) OpenIntents() []Entry {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Entry
	for _, e := range s.open {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Txn < out[j].Txn })
	return out
}

func (s *Store) newTxn(id, kind string) string {
	return fmt.Sprintf("%s-%s-%d", id, kind, time.Now().UnixNano())
}
