package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/mailroot/mailroot/mime"
	"github.com/mailroot/mailroot/queue"
)

// scanRoot is one PATH argument (or the set of explicit --queue/--pickup/...
// folders) with the layout queue.Detect found there.
type scanRoot struct {
	index  int    // position on the command line: output order
	arg    string // as typed
	layout *queue.Layout
	// layouts holds the explicit folders (several one-folder layouts).
	layouts []*queue.Layout
	// dropItems holds the paths (pathKey) of files that another PATH
	// argument names on its own: the folder walk leaves them to that root.
	dropItems map[string]bool
}

// pathKey is how two spellings of one path compare: cleaned, and folded
// to lower case on Windows, whose file names are case-insensitive.
func pathKey(p string) string {
	p = filepath.Clean(p)
	if runtime.GOOS == "windows" {
		p = strings.ToLower(p)
	}
	return p
}

// absKey is pathKey of the absolute path.
func absKey(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		p = a
	}
	return pathKey(p)
}

// dedupeRoots makes overlapping PATH arguments scan each message once: the
// same folder named twice ("vsi 1" and "vsi 1\"), a folder that a mailroot
// named before or after already holds ("vsi 1" and "vsi 1\Queue"), a file
// inside a folder that is scanned. The first root to name a folder keeps it;
// a file named on its own is scanned by its own root, not by the folder
// walk, so it is scanned even when that folder's listing would skip it (a
// .tmp in PickUp). It returns the arguments left with nothing to scan.
// Every check is per folder or per named file, never per listed file.
func dedupeRoots(roots []*scanRoot) (covered []string) {
	dirs := map[string]bool{}  // absKey of folders scanned by a root so far
	files := map[string]bool{} // absKey of single files named as roots
	skips := map[string]bool{}
	for _, r := range roots {
		for _, l := range r.layouts {
			for _, d := range l.Dirs {
				if d.File {
					files[absKey(d.Path)] = false
				}
			}
		}
	}
	for _, r := range roots {
		had, kept := 0, 0
		for _, l := range r.layouts {
			ds := l.Dirs[:0:0]
			for _, d := range l.Dirs {
				had++
				k := absKey(d.Path)
				if d.File {
					if files[k] {
						continue
					}
					files[k] = true
				} else {
					if dirs[k] {
						continue
					}
					dirs[k] = true
					for f := range files {
						if filepath.Dir(f) == k {
							if r.dropItems == nil {
								r.dropItems = map[string]bool{}
							}
							r.dropItems[pathKey(filepath.Join(d.Path, filepath.Base(f)))] = true
						}
					}
				}
				ds = append(ds, d)
				kept++
			}
			l.Dirs = ds
			sk := l.Skipped[:0:0]
			for _, s := range l.Skipped {
				if k := absKey(s.Path); !skips[k] {
					skips[k] = true
					sk = append(sk, s)
				}
			}
			l.Skipped = sk
		}
		if had > 0 && kept == 0 {
			covered = append(covered, r.arg)
		}
	}
	return covered
}

// openRoot detects the layout at a PATH argument. Problems with the path
// itself are usage errors (status 2) that name it.
func openRoot(arg string) (*scanRoot, error) {
	l, err := queue.Detect(arg)
	if err != nil {
		return nil, pathError(arg, err)
	}
	return &scanRoot{arg: arg, layout: l, layouts: []*queue.Layout{l}}, nil
}

// openExplicitRoot builds one root from the --queue, --pickup, ... flags.
func openExplicitRoot(explicit map[mime.Folder]*string) (*scanRoot, error) {
	r := &scanRoot{arg: "(explicit folders)"}
	for _, f := range mime.Folders {
		p := explicit[f]
		if p == nil || *p == "" {
			continue
		}
		l, err := queue.Explicit(*p, f)
		if err != nil {
			return nil, pathError(*p, err)
		}
		r.layouts = append(r.layouts, l)
	}
	if len(r.layouts) > 0 {
		r.layout = r.layouts[0]
	}
	return r, nil
}

// pathError turns a Detect error into a fatal error with a hint.
func pathError(arg string, err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return withHint(fmt.Errorf("%s: no such file or folder", arg),
			"check the path; quote it if it has spaces, e.g. \"vsi 1\"")
	case errors.Is(err, fs.ErrPermission):
		return withHint(fmt.Errorf("%s: permission denied", arg),
			"run as a user that can read the mail folders (an administrator on Windows)")
	}
	return fmt.Errorf("%s: %w", arg, err)
}

// walk streams the root's items to emit and its skipped paths to skip.
func (r *scanRoot) walk(ctx context.Context, exclude []string, emit func(queue.Item) error, skip func(queue.Skip)) error {
	if len(r.dropItems) > 0 {
		next := emit
		emit = func(it queue.Item) error {
			for _, m := range it.Members { // Path is Members[0]
				if r.dropItems[pathKey(m.Path)] {
					return nil // another PATH argument names this file (or a .BDR of its unit)
				}
			}
			if r.dropItems[pathKey(it.Path)] {
				return nil
			}
			return next(it)
		}
	}
	for _, l := range r.layouts {
		err := queue.Walk(ctx, l, queue.WalkOptions{Skipped: skip, Exclude: exclude}, emit)
		if err != nil {
			if queue.IsPathError(err) {
				return pathError(l.Root, err)
			}
			return err
		}
	}
	return nil
}

// isFile reports whether path names a regular file.
func isFile(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular()
}
