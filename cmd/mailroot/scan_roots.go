package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"

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
