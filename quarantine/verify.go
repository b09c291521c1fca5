package quarantine

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Problem kinds reported by Verify.
const (
	ProblemMissing  = "missing"  // a file item.json lists is not in the item folder
	ProblemAltered  = "altered"  // size or SHA-256 differs from item.json
	ProblemExtra    = "extra"    // a file in an item folder that item.json does not list
	ProblemRecord   = "record"   // item.json missing or unreadable
	ProblemPending  = "pending"  // a move that recovery could not resolve
	ProblemLeftover = "leftover" // a temporary file (mailroot quarantine recover removes it)
	ProblemUnknown  = "unknown"  // something in the store that is not an item
)

// Problem is one thing Verify found wrong.
type Problem struct {
	ID     string `json:"id,omitempty"`
	Path   string `json:"path"`
	Kind   string `json:"kind"`
	Detail string `json:"detail,omitempty"`
}

func (p Problem) String() string {
	s := p.Kind + " " + p.Path
	if p.Detail != "" {
		s += ": " + p.Detail
	}
	return s
}

// VerifyReport is the result of Verify.
type VerifyReport struct {
	Items    int       `json:"items"`
	Files    int       `json:"files"`
	Bytes    int64     `json:"bytes"`
	Problems []Problem `json:"problems"`
}

// OK reports whether nothing is missing, altered or unexplained.
// Leftover temp files alone do not count as a mismatch.
func (r *VerifyReport) OK() bool {
	for _, p := range r.Problems {
		if p.Kind != ProblemLeftover {
			return false
		}
	}
	return true
}

// Verify rehashes every file of every item against its item.json and
// reports missing, altered and extra files, unreadable records and
// anything else in the store folder. Original files of a restored item are
// expected to be gone. Only a failure to list the store is an error.
func (s *Store) Verify(ctx context.Context) (*VerifyReport, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ents, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, fmt.Errorf("verify %s: %w", s.dir, err)
	}
	rep := &VerifyReport{Problems: []Problem{}}
	for _, e := range ents {
		name := e.Name()
		p := filepath.Join(s.dir, name)
		switch {
		case name == JournalFile || name == LockFile:
			continue
		case e.IsDir() && validID(name):
		default:
			rep.Problems = append(rep.Problems, Problem{Path: p, Kind: ProblemUnknown, Detail: "not an item folder"})
			continue
		}
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		rep.Items++
		s.verifyItem(ctx, name, rep)
	}
	return rep, nil
}

func (s *Store) verifyItem(ctx context.Context, id string, rep *VerifyReport) {
	dir := filepath.Join(s.dir, id)
	rec, err := s.readRecord(id)
	if err != nil {
		rep.Problems = append(rep.Problems, Problem{ID: id, Path: filepath.Join(dir, RecordFile), Kind: ProblemRecord, Detail: err.Error()})
		return
	}
	if rec.State == StatePending {
		rep.Problems = append(rep.Problems, Problem{ID: id, Path: dir, Kind: ProblemPending, Detail: "move not completed; run mailroot quarantine recover"})
	}
	expected := map[string]bool{strings.ToLower(RecordFile): true}
	for _, f := range rec.Files {
		p := filepath.Join(dir, f.Name)
		if f.IsOriginal() && rec.State == StateRestored {
			// Restored: the file went back to its original path.
			continue
		}
		expected[strings.ToLower(f.Name)] = true
		rep.Files++
		n, sum, err := hashFile(ctx, p)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			if rec.State != StatePending {
				rep.Problems = append(rep.Problems, Problem{ID: id, Path: p, Kind: ProblemMissing, Detail: fmt.Sprintf("listed in item.json (%d bytes, sha256 %s)", f.Size, f.SHA256)})
			}
		case err != nil:
			rep.Problems = append(rep.Problems, Problem{ID: id, Path: p, Kind: ProblemAltered, Detail: err.Error()})
		case n != f.Size:
			rep.Problems = append(rep.Problems, Problem{ID: id, Path: p, Kind: ProblemAltered, Detail: fmt.Sprintf("size %d, item.json says %d", n, f.Size)})
		case sum != f.SHA256:
			rep.Problems = append(rep.Problems, Problem{ID: id, Path: p, Kind: ProblemAltered, Detail: fmt.Sprintf("sha256 %s, item.json says %s", sum, f.SHA256)})
		default:
			rep.Bytes += n
		}
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		rep.Problems = append(rep.Problems, Problem{ID: id, Path: dir, Kind: ProblemRecord, Detail: err.Error()})
		return
	}
	for _, e := range ents {
		n := e.Name()
		if expected[strings.ToLower(n)] {
			continue
		}
		kind := ProblemExtra
		detail := "not listed in item.json"
		if strings.HasPrefix(strings.ToLower(n), tmpPrefix) {
			kind, detail = ProblemLeftover, "temporary file left by an interrupted write"
		}
		rep.Problems = append(rep.Problems, Problem{ID: id, Path: filepath.Join(dir, n), Kind: kind, Detail: detail})
	}
}
