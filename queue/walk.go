package queue

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/mailroot/mailroot/mime"
)

// WalkOptions controls Walk. The zero value is ready to use.
type WalkOptions struct {
	// Skipped, if set, is called for every path that is not turned into an
	// item: layout subfolders (Layout.Skipped, reported first), folders
	// nested in mail folders, links and junctions, pickup .tmp files, Queue
	// transcripts, files that vanished, are locked or cannot be read, and
	// BadMail .BDR files whose reason could not be read (their unit is still
	// emitted). It is called from Walk's goroutine, in listing order.
	Skipped func(Skip)
	// Probe opens every message file for reading (and closes it) before
	// emitting it, so that locked and unreadable files are reported as
	// skipped instead of failing later. It costs one open per file; a
	// caller that reads every file anyway can instead classify its own
	// errors with SkipFor.
	Probe bool
	// Exclude lists folders never scanned, e.g. a quarantine store given
	// with --quarantine that lies inside the scanned tree. Compared after
	// filepath.Clean, ignoring ASCII case.
	Exclude []string
	// Logger receives debug messages; nil means none.
	Logger *slog.Logger
}

// testHookBatch, if set, is called after each directory batch is read and
// before its entries are examined (tests use it to remove files mid-walk).
var testHookBatch func(dir string, names []string)

// Walk streams the items of every folder of the layout to fn, folder by
// folder in Layout.Dirs order, each folder in directory order (not sorted:
// listings are read in batches and never held in full). Memory does not grow
// with the number of files.
//
// A plain file is one item. A BadMail .BAD, .BDR and .BDP with the same base
// name are one item, found by looking the siblings up as each is met (see
// findSibling), so no listing is kept: the unit is emitted at its .BAD, and a
// .BDR or .BDP whose .BAD exists is passed over. Units that lack a member
// carry a Q-003 finding; .BDR text is in Item.Reason.
//
// Walk returns fn's error if fn fails, ctx.Err() if ctx is cancelled, and a
// *PathError if the layout's root folder cannot be listed. Everything else
// (a subfolder of the layout that cannot be read, a file that vanishes) is
// reported through opts.Skipped and the walk goes on.
func Walk(ctx context.Context, l *Layout, opts WalkOptions, fn func(Item) error) error {
	w := &walker{ctx: ctx, opts: opts, fn: fn}
	for _, s := range l.Skipped {
		w.skip(s)
	}
	for _, d := range l.Dirs {
		if err := ctx.Err(); err != nil {
			return err
		}
		if w.excluded(d.Path) {
			w.skip(Skip{Path: d.Path, Folder: d.Role, Reason: SkipExcluded, Detail: "excluded folder"})
			continue
		}
		var err error
		if d.File {
			err = w.file(d)
		} else {
			err = w.dir(d, d.Path == l.Root)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

type walker struct {
	ctx  context.Context
	opts WalkOptions
	fn   func(Item) error
}

func (w *walker) skip(s Skip) {
	if w.opts.Logger != nil {
		w.opts.Logger.Debug("skip", "path", s.Path, "reason", string(s.Reason), "err", s.Err)
	}
	if w.opts.Skipped != nil {
		w.opts.Skipped(s)
	}
}

func (w *walker) excluded(p string) bool {
	p = filepath.Clean(p)
	for _, e := range w.opts.Exclude {
		if strings.EqualFold(filepath.Clean(e), p) {
			return true
		}
	}
	return false
}

// file handles a single file named as the whole layout (Dir.File).
func (w *walker) file(d Dir) error {
	fi, err := os.Stat(d.Path)
	if err != nil {
		return &PathError{Path: d.Path, Op: "stat", Err: err}
	}
	dir, name := filepath.Dir(d.Path), fi.Name()
	if d.Role == mime.FolderBadMail && isBadMailExt(name) && !hasExt(name, extBAD) {
		// A .BDR or .BDP named alone: report its whole unit, anchored where
		// a listing would anchor it.
		base, ext := name[:len(name)-4], name[len(name)-4:]
		if sp, sfi, ok := findSibling(dir, base, ext, extBAD); ok {
			name, fi = filepath.Base(sp), sfi
		} else if hasExt(name, extBDP) {
			if sp, sfi, ok := findSibling(dir, base, ext, extBDR); ok {
				name, fi = filepath.Base(sp), sfi
			}
		}
	}
	return w.entry(dir, d, name, fs.FileInfoToDirEntry(fi), fi)
}

func (w *walker) dir(d Dir, top bool) error {
	f, err := os.Open(d.Path)
	if err != nil {
		if top {
			return &PathError{Path: d.Path, Op: "open", Err: err}
		}
		w.skip(SkipFor(d.Path, d.Role, err))
		return nil
	}
	defer f.Close()
	for {
		if err := w.ctx.Err(); err != nil {
			return err
		}
		ents, rerr := f.ReadDir(listBatch)
		if testHookBatch != nil && len(ents) > 0 {
			names := make([]string, len(ents))
			for i, e := range ents {
				names[i] = e.Name()
			}
			testHookBatch(d.Path, names)
		}
		for _, e := range ents {
			if err := w.entry(d.Path, d, e.Name(), e, nil); err != nil {
				return err
			}
		}
		if rerr == io.EOF || (rerr == nil && len(ents) == 0) {
			return nil
		}
		if rerr != nil {
			if top {
				return &PathError{Path: d.Path, Op: "read", Err: rerr}
			}
			w.skip(SkipFor(d.Path, d.Role, rerr))
			return nil
		}
	}
}

// entry turns one listed name into an item, a skip, or nothing (a BadMail
// member that belongs to a unit emitted at its .BAD). fi is known for a
// single file; otherwise it comes from the entry.
func (w *walker) entry(dir string, d Dir, name string, e fs.DirEntry, fi fs.FileInfo) error {
	p := filepath.Join(dir, name)
	t := e.Type()
	switch {
	case t&(fs.ModeSymlink|fs.ModeIrregular) != 0:
		w.skip(Skip{Path: p, Folder: d.Role, Reason: SkipLink, Detail: "symbolic link, junction or other reparse point: not followed"})
		return nil
	case t.IsDir():
		w.skip(Skip{Path: p, Folder: d.Role, Reason: SkipSubfolder, Detail: fmt.Sprintf("folder inside %s folder: not scanned", d.Role)})
		return nil
	case !t.IsRegular():
		w.skip(Skip{Path: p, Folder: d.Role, Reason: SkipSpecial, Detail: "not a regular file"})
		return nil
	}
	switch {
	case d.Role.IsPickupLike() && hasExt(name, ".tmp"):
		w.skip(Skip{Path: p, Folder: d.Role, Reason: SkipInProgress, Detail: "being processed by the pickup service (.tmp); it may be processed again after a restart"})
		return nil
	case d.Role == mime.FolderQueue && (hasExt(name, ".ltr") || hasExt(name, ".rtr")):
		w.skip(Skip{Path: p, Folder: d.Role, Reason: SkipTranscript, Detail: "SMTP transcript file, not a message"})
		return nil
	case d.Role == mime.FolderBadMail && isBadMailExt(name):
		return w.badmail(dir, d, name, e, fi)
	}
	if fi == nil {
		var err error
		if fi, err = e.Info(); err != nil {
			w.skip(SkipFor(p, d.Role, err))
			return nil
		}
	}
	if !w.probe(p, d.Role) {
		return nil
	}
	it := w.newItem(p, d, fi)
	it.Findings = fileFindings(it)
	return w.fn(it)
}

// probe opens the file if opts.Probe asks for it; false means skipped.
func (w *walker) probe(p string, role mime.Folder) bool {
	if !w.opts.Probe {
		return true
	}
	f, err := os.Open(p)
	if err != nil {
		w.skip(SkipFor(p, role, err))
		return false
	}
	f.Close()
	return true
}

func (w *walker) newItem(p string, d Dir, fi fs.FileInfo) Item {
	created, ro := fileAttrs(fi)
	return Item{
		Path:     p,
		Folder:   d.Role,
		Instance: d.Instance,
		Size:     fi.Size(),
		ModTime:  fi.ModTime(),
		Created:  created,
		ReadOnly: ro,
		Members:  []Member{w.member(p, "message", fi)},
	}
}

func (w *walker) member(p, role string, fi fs.FileInfo) Member {
	streams, err := listStreams(p)
	if err != nil && w.opts.Logger != nil {
		w.opts.Logger.Debug("list streams", "path", p, "err", err)
	}
	return Member{Path: p, Role: role, Size: fi.Size(), ModTime: fi.ModTime(), Streams: streams}
}
