package quarantine

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/mailroot/mailroot/mime"
	"github.com/mailroot/mailroot/queue"
)

// SchemaVersion is the item.json schema written by this package. Readers
// refuse a newer schema rather than guess at it.
const SchemaVersion = 1

// RecordFile is the name of the chain-of-custody record in an item folder.
const RecordFile = "item.json"

// maxRecordSize bounds how much of an item.json is read.
const maxRecordSize = 32 << 20

// State is where an item is in its life.
type State string

// Item states. Pending is internal: a move in progress, resolved by recovery.
const (
	StatePending     State = "pending"
	StateQuarantined State = "quarantined"
	StateRestored    State = "restored"
	StateRepaired    State = "repaired"
	StateReplayed    State = "replayed"
)

// States lists the states a user can filter on.
var States = []State{StateQuarantined, StateRestored, StateRepaired, StateReplayed}

// canTransition says which state changes SetState accepts. Restoring goes
// through Restore; pending -> quarantined only through Add and recovery.
func canTransition(from, to State) bool {
	switch to {
	case StateRepaired:
		return from == StateQuarantined || from == StateRepaired
	case StateReplayed:
		return from == StateQuarantined || from == StateRepaired
	}
	return false
}

// Roles of the original files of an item (as in queue.Member.Role).
const (
	RoleMessage = "message"
	RoleBDR     = "bdr"
	RoleBDP     = "bdp"
)

// Actor says who did something, for the chain of custody.
type Actor struct {
	User string `json:"user"`
	Host string `json:"host"`
	PID  int    `json:"pid,omitempty"`
	Tool string `json:"tool"` // "mailroot <version>"
}

// File is one file of an item. Originals carry OriginalPath; files added
// later with WriteFile (repaired copies, reports) do not.
type File struct {
	Name string `json:"name"` // base name in the item folder
	Role string `json:"role"` // message, bdr, bdp, or the role given to WriteFile
	// OriginalPath is the absolute path the file was moved from.
	OriginalPath string `json:"original_path,omitempty"`
	// RealDir is the folder of OriginalPath with every link on the way
	// resolved, recorded when it differs from filepath.Dir(OriginalPath)
	// (the path went through a link or junction). Restore refuses when the
	// folder then resolves anywhere else (ErrPathChanged).
	RealDir  string         `json:"real_dir,omitempty"`
	Size     int64          `json:"size"`
	SHA256   string         `json:"sha256"`
	ModTime  time.Time      `json:"mtime,omitzero"`
	Created  time.Time      `json:"created,omitzero"`
	ReadOnly bool           `json:"read_only,omitempty"`
	Mode     uint32         `json:"mode,omitempty"` // Unix permission bits
	Streams  []queue.Stream `json:"streams,omitempty"`
	Added    time.Time      `json:"added,omitzero"` // when WriteFile added it
}

// IsOriginal reports whether f is one of the files moved in from the
// mailroot (as opposed to one written into the item later).
func (f *File) IsOriginal() bool { return f.OriginalPath != "" }

// Event is one entry of an item's history. History is append-only.
type Event struct {
	Time   time.Time `json:"time"`
	Action string    `json:"action"` // quarantined, restored, repaired, replayed, file-added, recovered, note
	State  State     `json:"state,omitempty"`
	By     Actor     `json:"by"`
	Detail string    `json:"detail,omitempty"`
	Files  []string  `json:"files,omitempty"`
}

// Record is the content of item.json: everything known about one item.
type Record struct {
	Schema int    `json:"schema"`
	ID     string `json:"id"`
	State  State  `json:"state"`
	// Folder is the role of the folder the item came from.
	Folder mime.Folder `json:"folder"`
	// OriginalDir is the folder the original files were moved from.
	OriginalDir string         `json:"original_dir"`
	Files       []File         `json:"files"`
	Envelope    *mime.Envelope `json:"envelope,omitempty"`
	Headers     *mime.Headers  `json:"headers,omitempty"`
	Findings    []mime.Finding `json:"findings,omitempty"`
	Reason      string         `json:"reason,omitempty"` // BadMail .BDR text
	Quarantined time.Time      `json:"quarantined"`
	By          Actor          `json:"by"`
	History     []Event        `json:"history"`
}

// Size returns the total size of the original files.
func (r *Record) Size() int64 {
	var n int64
	for _, f := range r.Files {
		if f.IsOriginal() {
			n += f.Size
		}
	}
	return n
}

// Rules returns the distinct rule IDs of the findings, in first-seen order.
func (r *Record) Rules() []string {
	var out []string
	seen := map[string]bool{}
	for _, f := range r.Findings {
		if !seen[f.Rule] {
			seen[f.Rule] = true
			out = append(out, f.Rule)
		}
	}
	return out
}

// MaxSeverity returns the highest severity among the findings, or 0.
func (r *Record) MaxSeverity() mime.Severity {
	var m mime.Severity
	for _, f := range r.Findings {
		if f.Severity > m {
			m = f.Severity
		}
	}
	return m
}

// Originals returns the original files, message first.
func (r *Record) Originals() []File {
	var out []File
	for _, f := range r.Files {
		if f.IsOriginal() {
			out = append(out, f)
		}
	}
	return out
}

// file returns the file with the name, or nil.
func (r *Record) file(name string) *File {
	for i := range r.Files {
		if strings.EqualFold(r.Files[i].Name, name) {
			return &r.Files[i]
		}
	}
	return nil
}

// MarshalRecord encodes a record as item.json (indented, final newline).
func MarshalRecord(r *Record) ([]byte, error) {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// ParseRecord decodes and validates an item.json. It never panics on hostile
// input; a record it accepts names only plain file names (no separators,
// no "..") and absolute, clean original paths whose base name is the file's
// name, so restore cannot be steered outside the original folder.
func ParseRecord(b []byte) (*Record, error) {
	if len(b) > maxRecordSize {
		return nil, fmt.Errorf("item.json larger than %d bytes", maxRecordSize)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	var r Record
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("decode item.json: %w", err)
	}
	if dec.More() {
		return nil, errors.New("decode item.json: data after the record")
	}
	if err := r.validate(); err != nil {
		return nil, err
	}
	return &r, nil
}

func (r *Record) validate() error {
	if r.Schema < 1 {
		return fmt.Errorf("item.json: missing schema version")
	}
	if r.Schema > SchemaVersion {
		return fmt.Errorf("item.json: schema %d is newer than this mailroot understands (%d)", r.Schema, SchemaVersion)
	}
	if !validID(r.ID) {
		return fmt.Errorf("item.json: invalid ID %q", r.ID)
	}
	switch r.State {
	case StatePending, StateQuarantined, StateRestored, StateRepaired, StateReplayed:
	default:
		return fmt.Errorf("item.json: unknown state %q", r.State)
	}
	for i, f := range r.Findings {
		if f.Severity < mime.Low || f.Severity > mime.Crash {
			return fmt.Errorf("item.json: finding %d: missing or invalid severity", i+1)
		}
	}
	seen := map[string]bool{}
	for _, f := range r.Files {
		if err := checkName(f.Name); err != nil {
			return fmt.Errorf("item.json: %w", err)
		}
		k := strings.ToLower(f.Name)
		if seen[k] {
			return fmt.Errorf("item.json: file %q listed twice", f.Name)
		}
		seen[k] = true
		if f.Size < 0 {
			return fmt.Errorf("item.json: file %q: negative size", f.Name)
		}
		if !validSHA256(f.SHA256) {
			return fmt.Errorf("item.json: file %q: invalid sha256 %q", f.Name, f.SHA256)
		}
		if f.OriginalPath != "" {
			if err := checkOriginalPath(f.OriginalPath, f.Name); err != nil {
				return fmt.Errorf("item.json: %w", err)
			}
		}
		if f.RealDir != "" && (!filepath.IsAbs(f.RealDir) || filepath.Clean(f.RealDir) != f.RealDir) {
			return fmt.Errorf("item.json: file %q: real_dir %q is not an absolute, clean path", f.Name, f.RealDir)
		}
	}
	return nil
}

// checkName accepts a plain file name for an item folder: no separators, no
// "." or "..", no drive or stream colon, not a name the store uses itself.
func checkName(name string) error {
	switch {
	case name == "" || name == "." || name == "..":
		return fmt.Errorf("invalid file name %q", name)
	case strings.ContainsAny(name, `/\:`) || strings.ContainsRune(name, 0):
		return fmt.Errorf("invalid file name %q: contains a path separator, colon or NUL", name)
	case strings.EqualFold(name, RecordFile), strings.HasPrefix(strings.ToLower(name), tmpPrefix):
		return fmt.Errorf("file name %q is reserved by the quarantine store", name)
	}
	return nil
}

// realDir returns dir with every link on the way resolved.
func realDir(dir string) (string, error) {
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return "", err
	}
	return filepath.Abs(real)
}

// samePath compares two resolved paths as the file system does (without
// regard to case on Windows).
func samePath(a, b string) bool {
	if runtime.GOOS == "windows" {
		return strings.EqualFold(a, b)
	}
	return a == b
}

// checkOriginalPath accepts an absolute, clean path whose base name is name.
func checkOriginalPath(p, name string) error {
	if !filepath.IsAbs(p) || filepath.Clean(p) != p || !isAbsLocal(p) {
		return fmt.Errorf("original path %q is not an absolute, clean local path", p)
	}
	for _, el := range strings.FieldsFunc(p, func(r rune) bool { return r == '/' || r == '\\' }) {
		if el == ".." {
			return fmt.Errorf("original path %q contains ..", p)
		}
	}
	if filepath.Base(p) != name {
		return fmt.Errorf("original path %q does not end in %q", p, name)
	}
	return nil
}

func validSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
