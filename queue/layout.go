package queue

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/mailroot/mailroot/mime"
)

// Kind names the layout Detect recognised (../shared/FORMATS.md, "Layouts
// to recognise").
type Kind string

// Layout kinds.
const (
	// KindVSI is an Exchange 2000/2003 SMTP virtual server folder, "vsi N",
	// holding Queue, PickUp and BadMail.
	KindVSI Kind = "exchange-vsi"
	// KindVSISet is an Exchange "Mailroot" folder holding several "vsi N"
	// folders; each is its own set of folders (Dir.Instance names it).
	KindVSISet Kind = "exchange-mailroot"
	// KindIIS is an IIS SMTP mailroot: Queue, Pickup, Badmail, Drop and
	// sometimes SortTemp (any folder holding such subfolders that is not a
	// "vsi N" folder).
	KindIIS Kind = "iis-mailroot"
	// KindTransport is an Exchange 2007+ TransportRoles folder (or any
	// folder holding Replay): Pickup and Replay.
	KindTransport Kind = "exchange-transport"
	// KindFolder is one mail folder passed directly (Queue, PickUp,
	// BadMail, Drop, Replay) or named explicitly with Explicit.
	KindFolder Kind = "folder"
	// KindGeneric is anything else: a folder of messages or a single file.
	KindGeneric Kind = "generic"
)

// Layout is what Detect found at a path: the folders to scan, each with its
// role, and the subfolders that will not be scanned.
type Layout struct {
	Kind Kind
	// Root is the path as given (cleaned).
	Root string
	// Dirs lists what Walk scans, in a fixed order (by instance, then
	// Queue, PickUp, BadMail, Drop, Exchange Pickup, Replay, generic).
	Dirs []Dir
	// Skipped lists subfolders of the layout that are not scanned (the
	// Quarantine store, SortTemp, unknown folders, links). Walk reports them
	// through WalkOptions.Skipped before it scans anything, so a caller
	// that uses the callback need not print this list as well.
	Skipped []Skip
	// SkippedOmitted counts skipped subfolders beyond maxLayoutSkips (a
	// hostile or very cluttered folder); they are not listed.
	SkippedOmitted int
}

// Dir is one folder (or, for a generic single file, one file) to scan.
type Dir struct {
	Path string
	Role mime.Folder
	// Instance is the "vsi N" folder name when the layout holds several
	// instances (KindVSISet), "" otherwise.
	Instance string
	// File is true when Path is a single file to scan (generic mode).
	File bool
}

// maxLayoutSkips bounds Layout.Skipped, so that a folder with a million
// subfolders cannot make Detect hold a million entries.
const maxLayoutSkips = 1000

// listBatch is how many directory entries are read at a time. Listings are
// never read in full: a mailroot can hold 100,000+ files.
const listBatch = 512

// PathError reports a top-level path that cannot be used: missing,
// unreadable, or not a file or folder. Callers branch on it (exit code 2).
type PathError struct {
	Path string
	Op   string // what was being done: "stat", "open", "read"
	Err  error
}

func (e *PathError) Error() string {
	return fmt.Sprintf("%s %q: %v", e.Op, e.Path, e.Err)
}

func (e *PathError) Unwrap() error { return e.Err }

// IsPathError reports whether err is (or wraps) a *PathError.
func IsPathError(err error) bool {
	var pe *PathError
	return errors.As(err, &pe)
}

// roleOrder fixes the order of Dirs within one instance.
var roleOrder = map[mime.Folder]int{
	mime.FolderQueue: 0, mime.FolderPickup: 1, mime.FolderBadMail: 2, mime.FolderDrop: 3,
	mime.FolderExchangePickup: 4, mime.FolderReplay: 5, mime.FolderGeneric: 6,
}

// Detect recognises the layout at path.
//
//   - a regular file: generic single file, except that a file directly inside a
//     folder named like a mail folder (Queue, PickUp, ...) gets that folder's
//     role, so `scan "vsi 1/PickUp/x.eml"` checks pickup rules;
//   - a folder named Queue, PickUp/Pickup, BadMail, Drop or Replay (any case):
//     that one folder (KindFolder); Pickup under a path containing
//     TransportRoles is the Exchange 2007+ pickup;
//   - a folder named "vsi N": its Queue, PickUp, BadMail (and Drop if present);
//   - a folder holding "vsi N" folders: each instance's folders (KindVSISet);
//   - a folder holding mail folders: IIS mailroot, or Exchange 2007+
//     transport when it is TransportRoles, lies under it, or holds Replay;
//   - anything else: the folder itself in generic mode.
//
// Subfolders named Quarantine (the store), SortTemp, links and unknown
// subfolders are not scanned; they are listed in Layout.Skipped. A path that
// is missing, unreadable, or neither a file nor a folder is a *PathError.
// The path itself may be a symbolic link (the user named it); links inside
// it are never followed.
func Detect(path string) (*Layout, error) {
	path = filepath.Clean(path)
	fi, err := os.Stat(path)
	if err != nil {
		return nil, &PathError{Path: path, Op: "stat", Err: err}
	}
	base := filepath.Base(path)
	inTransport := pathHasTransportRoles(path)
	switch {
	case fi.Mode().IsRegular():
		role := mime.FolderGeneric
		if k, r := classifySubfolder(filepath.Base(filepath.Dir(path)), inTransport); k == subRole {
			role = r
		}
		return &Layout{Kind: KindGeneric, Root: path, Dirs: []Dir{{Path: path, Role: role, File: true}}}, nil
	case !fi.IsDir():
		return nil, &PathError{Path: path, Op: "stat", Err: fmt.Errorf("not a regular file or folder (mode %v)", fi.Mode().Type())}
	}
	if k, role := classifySubfolder(base, inTransport); k == subRole {
		if err := checkReadableDir(path); err != nil {
			return nil, err
		}
		return &Layout{Kind: KindFolder, Root: path, Dirs: []Dir{{Path: path, Role: role}}}, nil
	}

	l := &Layout{Root: path}
	subs, err := scanSubfolders(path, inTransport, l)
	if err != nil {
		return nil, err
	}
	var instances, roles int
	hasReplay := false
	for _, s := range subs {
		switch s.kind {
		case subVSI:
			instances++
		case subRole:
			roles++
			hasReplay = hasReplay || s.role == mime.FolderReplay
		}
	}
	isVSI := isVSIName(base)
	switch {
	case instances > 0 && !isVSI:
		l.Kind = KindVSISet
		for _, s := range subs {
			switch s.kind {
			case subVSI:
				// Each instance is its own set of folders; what it holds
				// besides mail folders is reported, not scanned.
				inner, err := scanSubfolders(s.path, inTransport, l)
				if err != nil {
					l.addSkip(Skip{Path: s.path, Reason: reasonFor(err), Err: err})
					continue
				}
				for _, in := range inner {
					switch in.kind {
					case subRole:
						l.Dirs = append(l.Dirs, Dir{Path: in.path, Role: in.role, Instance: s.name})
					case subVSI:
						l.addSkip(Skip{Path: in.path, Reason: SkipSubfolder, Detail: "vsi folder inside a vsi folder"})
					}
				}
			case subRole:
				l.Dirs = append(l.Dirs, Dir{Path: s.path, Role: s.role})
			}
		}
	case roles > 0:
		switch {
		case isVSI:
			l.Kind = KindVSI
		case inTransport || hasReplay:
			l.Kind = KindTransport
		default:
			l.Kind = KindIIS
		}
		for _, s := range subs {
			switch s.kind {
			case subRole:
				role := s.role
				if l.Kind == KindTransport && role == mime.FolderPickup {
					role = mime.FolderExchangePickup
				}
				l.Dirs = append(l.Dirs, Dir{Path: s.path, Role: role})
			case subVSI:
				l.addSkip(Skip{Path: s.path, Reason: SkipSubfolder, Detail: "vsi folder beside mail folders"})
			}
		}
	case isVSI:
		// An empty "vsi N" (the service recreates its folders): nothing to
		// scan, but it is a layout, not a folder of messages.
		l.Kind = KindVSI
	default:
		l.Kind = KindGeneric
		l.Dirs = []Dir{{Path: path, Role: mime.FolderGeneric}}
		// Subfolders of a generic folder are reported by Walk as it meets
		// them; the ones recorded while probing would be reported twice.
		l.Skipped, l.SkippedOmitted = nil, 0
	}
	sortDirs(l.Dirs)
	return l, nil
}

// Explicit builds a one-folder layout for a folder the user names with its
// role (for example --pickup DIR), whatever its name. The path must be a
// readable folder, or a regular file (scanned alone with that role).
func Explicit(path string, role mime.Folder) (*Layout, error) {
	if _, err := mime.ParseFolder(string(role)); err != nil {
		return nil, fmt.Errorf("explicit folder %q: %w", path, err)
	}
	path = filepath.Clean(path)
	fi, err := os.Stat(path)
	if err != nil {
		return nil, &PathError{Path: path, Op: "stat", Err: err}
	}
	switch {
	case fi.Mode().IsRegular():
		return &Layout{Kind: KindFolder, Root: path, Dirs: []Dir{{Path: path, Role: role, File: true}}}, nil
	case !fi.IsDir():
		return nil, &PathError{Path: path, Op: "stat", Err: fmt.Errorf("not a regular file or folder (mode %v)", fi.Mode().Type())}
	}
	if err := checkReadableDir(path); err != nil {
		return nil, err
	}
	return &Layout{Kind: KindFolder, Root: path, Dirs: []Dir{{Path: path, Role: role}}}, nil
}

func checkReadableDir(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return &PathError{Path: path, Op: "open", Err: err}
	}
	defer f.Close()
	if _, err := f.ReadDir(1); err != nil && err != io.EOF {
		return &PathError{Path: path, Op: "read", Err: err}
	}
	return nil
}

func (l *Layout) addSkip(s Skip) {
	if len(l.Skipped) >= maxLayoutSkips {
		l.SkippedOmitted++
		return
	}
	l.Skipped = append(l.Skipped, s)
}

type subfolder struct {
	name string
	path string
	kind subKind
	role mime.Folder
}

// scanSubfolders streams the listing of dir and returns the subfolders that
// matter (mail folders and "vsi N"), recording the others in l.Skipped.
// Regular files are ignored, so a folder of 200,000 messages costs one
// streamed pass and no memory. Two subfolders of the same role (possible
// on a case-sensitive file system: Pickup and PICKUP) are both kept.
func scanSubfolders(dir string, inTransport bool, l *Layout) ([]subfolder, error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, &PathError{Path: dir, Op: "open", Err: err}
	}
	defer f.Close()
	var out []subfolder
	for {
		ents, err := f.ReadDir(listBatch)
		for _, e := range ents {
			name := e.Name()
			p := filepath.Join(dir, name)
			t := e.Type()
			if t&(fs.ModeSymlink|fs.ModeIrregular) != 0 {
				// Links and junctions are never followed (they may point
				// out of the mailroot); each is reported.
				l.addSkip(Skip{Path: p, Reason: SkipLink, Detail: "symbolic link, junction or other reparse point: not followed"})
				continue
			}
			if !t.IsDir() {
				// The service reads only its mail folders: a message moved
				// up here by hand during a recovery is never sent. Listed,
				// so that it is not forgotten (Detect drops these for a
				// generic folder, whose files Walk scans).
				detail := "file outside the mail folders: not scanned (name it to scan it)"
				if looksLikeMessage(name) {
					detail = "message file outside the mail folders: the service never reads it here; scan it by naming it"
				}
				l.addSkip(Skip{Path: p, Reason: SkipLooseFile, Detail: detail})
				continue
			}
			k, role := classifySubfolder(name, inTransport)
			switch k {
			case subRole, subVSI:
				if len(out) >= maxLayoutSkips {
					l.addSkip(Skip{Path: p, Reason: SkipSubfolder, Detail: "too many mail folders"})
					continue
				}
				out = append(out, subfolder{name: name, path: p, kind: k, role: role})
			case subQuarantine:
				l.addSkip(Skip{Path: p, Reason: SkipQuarantine, Detail: "quarantine store: never scanned"})
			case subTemp:
				l.addSkip(Skip{Path: p, Reason: SkipSubfolder, Detail: "IIS SortTemp: the service's scratch folder"})
			default:
				l.addSkip(Skip{Path: p, Reason: SkipSubfolder, Detail: "not a mail folder"})
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, &PathError{Path: dir, Op: "read", Err: err}
		}
		if len(ents) == 0 {
			break
		}
	}
	return out, nil
}

func sortDirs(ds []Dir) {
	// Insertion sort: a layout has a handful of folders.
	less := func(a, b Dir) bool {
		if a.Instance != b.Instance {
			return instanceLess(a.Instance, b.Instance)
		}
		if roleOrder[a.Role] != roleOrder[b.Role] {
			return roleOrder[a.Role] < roleOrder[b.Role]
		}
		return a.Path < b.Path
	}
	for i := 1; i < len(ds); i++ {
		for j := i; j > 0 && less(ds[j], ds[j-1]); j-- {
			ds[j], ds[j-1] = ds[j-1], ds[j]
		}
	}
}

// instanceLess orders "vsi 2" before "vsi 10".
func instanceLess(a, b string) bool {
	na, oka := vsiNumber(a)
	nb, okb := vsiNumber(b)
	if oka && okb && na != nb {
		return na < nb
	}
	return a < b
}

func vsiNumber(name string) (int, bool) {
	if !isVSIName(name) {
		return 0, false
	}
	n := 0
	for _, c := range []byte(name[3:]) {
		if c >= '0' && c <= '9' {
			if n > 1e8 {
				return 0, false
			}
			n = n*10 + int(c-'0')
		}
	}
	return n, true
}
