package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/mailroot/mailroot/mime"
	"github.com/mailroot/mailroot/quarantine"
	"github.com/mailroot/mailroot/queue"
)

// This file is the seam between scan and the quarantine store (issue 4).
// scan calls openQuarantineStep once before walking (so a refusal costs
// nothing), then apply for every suspect, in output order, just before
// printing it, then close once.
//
// What apply gets in *suspect (cmd_scan.go): the queue.Item (path, folder
// role, members with sizes and times, .BDR reason, NTFS streams), the
// mime.Report without Parts/Fields (SHA-256, size, envelope, headers,
// findings), the selected Findings, Max severity, the scanRoot with its
// queue.Layout (s.root.layout), and through se: se.opts.quarantineDir
// (--quarantine, "" for the default), se.opts.quarantineAt, se.opts.dryRun,
// se.opts.force (--force: the live-service guard is overridden), se.now,
// se.env (stdout/stderr/json).
//
// What apply sets: s.Action (actionWouldQuarantine in a dry run,
// actionQuarantined after a move, actionSkipped when it could not act),
// s.Destination (one path per member, planned or actual), s.QuarantineID,
// and s.Problem when the suspect could not be quarantined (locked,
// vanished, changed): scan then exits 3. apply returns an error only for a
// fatal problem (the store is unusable or locked); scan stops.

// quarantineStep quarantines (or plans to quarantine) suspects.
type quarantineStep interface {
	apply(ctx context.Context, s *suspect) error
	close() error
}

// openQuarantineStep returns the step for this run: a plan for --dry-run;
// for a real run, the store step. An explicit --quarantine store is opened
// (created, locked, recovered) at once, so a locked or unsafe store refuses
// before anything is scanned. Default stores that already exist beside the
// scanned folders are opened (locked, recovered) before the walk too: a
// move that an earlier run left half done is finished or undone first, so
// the walk sees each message in exactly one place. Default stores that do
// not exist yet are created on first use. A dry run recovers nothing: it
// warns about interrupted transactions instead.
func openQuarantineStep(ctx context.Context, se *scanEnv) (quarantineStep, error) {
	if se.opts.quarantineDir != "" {
		for _, r := range se.roots {
			for _, l := range r.layouts {
				if err := storeOutsideMailFolders(se.opts.quarantineDir, l.Dirs); err != nil {
					return nil, err
				}
			}
		}
	}
	stores := existingDefaultStores(se)
	if se.opts.dryRun {
		for _, dir := range stores {
			warnInterrupted(se.env, dir)
		}
		return &planStep{se: se}, nil
	}
	st := &storeStep{se: se, stores: newStoreSet(se.env)}
	if se.opts.quarantineDir != "" {
		if _, err := st.stores.open(se.opts.quarantineDir); err != nil {
			return nil, err
		}
	}
	// A store on read-only media opens without lock or recovery (its
	// interrupted moves are reported); moving into it then fails per item.
	st.stores.readOnly = true
	defer func() { st.stores.readOnly = false }()
	for _, dir := range stores {
		if _, err := st.stores.open(dir); err != nil {
			st.stores.close()
			return nil, err
		}
	}
	return st, nil
}

// existingDefaultStores returns the default store of every scanned folder
// (defaultStoreDir) that already holds a store, once each, in root order.
func existingDefaultStores(se *scanEnv) []string {
	var out []string
	seen := map[string]bool{}
	for _, r := range se.roots {
		for _, l := range r.layouts {
			for _, d := range l.Dirs {
				it := queue.Item{Path: d.Path, Folder: d.Role}
				if !d.File {
					it.Path = filepath.Join(d.Path, "message")
				}
				dir := defaultStoreDir(r.layout, &it)
				if k := absKey(dir); !seen[k] {
					seen[k] = true
					if quarantine.IsStore(dir) {
						out = append(out, dir)
					}
				}
			}
		}
	}
	return out
}

// warnInterrupted tells a dry run's user that the store in dir holds
// transactions an earlier run left open: until a real run or "quarantine
// recover" resolves them, a message may be in its folder and in the store.
func warnInterrupted(e *env, dir string) {
	open, err := quarantine.Interrupted(dir)
	if err != nil {
		fmt.Fprintf(e.stderr, "mailroot: warning: %s\n", sanitizeLine(err.Error()))
		return
	}
	for _, x := range open {
		fmt.Fprintf(e.stderr, "mailroot: warning: %s: interrupted %s of %s (started %s) not recovered: a dry run changes nothing\n",
			sanitizeLine(dir), sanitizeLine(x.Kind), sanitizeLine(x.ID), x.Time.UTC().Format(time.RFC3339))
	}
	if len(open) > 0 {
		fmt.Fprintf(e.stderr, "hint: until recovery a message may be both in its folder and in the store; a real scan recovers first, or run: mailroot quarantine recover --quarantine \"%s\"\n", sanitizeLine(dir))
	}
}

// planStep is the dry run: it computes destinations and touches nothing.
type planStep struct{ se *scanEnv }

func (p *planStep) apply(ctx context.Context, s *suspect) error {
	s.Action = actionWouldQuarantine
	dir := filepath.Join(storeDir(p.se, s), "<new ID>")
	if len(s.Item.Members) == 0 {
		s.Destination = []string{filepath.Join(dir, filepath.Base(s.Item.Path))}
		return nil
	}
	for _, m := range s.Item.Members {
		s.Destination = append(s.Destination, filepath.Join(dir, filepath.Base(m.Path)))
	}
	return nil
}

func (p *planStep) close() error { return nil }

// storeStep is the real run: each suspect is moved into its store.
type storeStep struct {
	se     *scanEnv
	stores *storeSet
	moved  int // suspects quarantined so far
}

func (st *storeStep) apply(ctx context.Context, s *suspect) error {
	store, err := st.stores.open(storeDir(st.se, s))
	if err != nil {
		return err
	}
	req := quarantine.AddRequest{Item: s.Item, Report: s.Report, Force: st.se.opts.force, Note: "scan --quarantine-at " + st.se.opts.quarantineAt.String()}
	if s.Report != nil && s.Report.SHA256 != "" {
		req.ScannedSHA256 = map[string]string{s.Item.Path: s.Report.SHA256}
	}
	req.Item.Findings = s.Findings // the selected findings are the evidence
	req.Report = reportWithoutFindings(s.Report)
	rec, err := store.Add(ctx, req)
	if quarantine.IsChanged(err) {
		// The file changed between scan and move: rescan it, and move it
		// only if it still reaches --quarantine-at.
		rec, err = st.rescanAndAdd(ctx, store, s, err)
	}
	switch {
	case err == nil:
		st.moved++
		s.Action = actionQuarantined
		s.QuarantineID = rec.ID
		s.Destination = nil
		for _, f := range rec.Originals() {
			s.Destination = append(s.Destination, filepath.Join(store.ItemDir(rec.ID), f.Name))
		}
		return nil
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		return err
	}
	s.Action = actionSkipped
	s.Problem = err.Error()
	return nil
}

// rescanAndAdd handles a *ChangedError from Add: the item's files are
// read again (queue.Refresh, then the scanner), its findings selected as
// the walk's were (--rule, --skip-rule), and it is moved only if they
// still reach --quarantine-at. The record then describes the bytes moved.
func (st *storeStep) rescanAndAdd(ctx context.Context, store *quarantine.Store, s *suspect, cerr error) (*quarantine.Record, error) {
	it := s.Item
	it.Members = append([]queue.Member(nil), s.Item.Members...)
	if err := queue.Refresh(&it); err != nil {
		return nil, cerr
	}
	rep, err := st.se.scanItem(&it)
	if err != nil || rep == nil {
		return nil, cerr
	}
	var found []mime.Finding
	for _, f := range append(append([]mime.Finding(nil), it.Findings...), rep.Findings...) {
		if st.se.ruleOn(f.Rule) {
			found = append(found, f)
		}
	}
	for _, f := range s.Findings {
		if f.Rule == "Q-002" { // from the walk as a whole, not from the file
			found = append(found, f)
		}
	}
	fresh := suspect{Findings: found}
	st.se.settle(&fresh)
	if !fresh.Quarantine {
		return nil, errors.New(cerr.Error() + "; rescanned: it no longer reaches --quarantine-at, left in place")
	}
	found = fresh.Findings
	s.Item, s.Report, s.Findings, s.Max = it, rep, found, fresh.Max
	req := quarantine.AddRequest{Item: it, Report: reportWithoutFindings(rep), Force: st.se.opts.force,
		ScannedSHA256: map[string]string{it.Path: rep.SHA256}, Note: "rescanned after it changed during the scan"}
	req.Item.Findings = found
	return store.Add(ctx, req)
}

// reportWithoutFindings returns a copy of rep whose findings are left to
// Item.Findings (the selected ones), so nothing is recorded twice.
func reportWithoutFindings(rep *mime.Report) *mime.Report {
	if rep == nil {
		return nil
	}
	r := *rep
	r.Findings = nil
	return &r
}

func (st *storeStep) close() error { return st.stores.close() }

// storeDir is the quarantine store for a suspect: --quarantine DIR, or a
// Quarantine folder beside the mail folder the item is in (inside "vsi 1",
// on the same volume, where scanning skips it); for a generic folder, inside
// that folder; for a single file, beside it.
func storeDir(se *scanEnv, s *suspect) string {
	if se.opts.quarantineDir != "" {
		return se.opts.quarantineDir
	}
	return defaultStoreDir(s.root.layout, &s.Item)
}

func defaultStoreDir(l *queue.Layout, it *queue.Item) string {
	dir := filepath.Dir(it.Path)
	if it.Folder == mime.FolderGeneric {
		if l != nil && l.Kind == queue.KindGeneric && l.Root != it.Path {
			return filepath.Join(l.Root, quarantine.DefaultDirName)
		}
		return filepath.Join(dir, quarantine.DefaultDirName)
	}
	return filepath.Join(filepath.Dir(dir), quarantine.DefaultDirName)
}

// storeOutsideMailFolders refuses a quarantine store that is, or lies
// inside, one of the mail folders (Queue, PickUp, BadMail, Drop, Exchange
// Pickup, Replay) in dirs: the service would take the store's journal and
// lock file for mail, and a scan would leave that folder out as the store.
// Generic folders may hold their store (the default does).
func storeOutsideMailFolders(store string, dirs []queue.Dir) error {
	sk := absKey(store)
	for _, d := range dirs {
		if d.Role == mime.FolderGeneric || d.Role == "" {
			continue
		}
		dir := d.Path
		if d.File {
			dir = filepath.Dir(dir)
		}
		if within(sk, absKey(dir)) {
			return withHint(usageErrorf("--quarantine %s is inside the %s folder %s, which the mail service reads: it would take the store's journal and lock file for mail", store, d.Role, dir),
				"give a folder beside the mail folders, such as \""+filepath.Join(filepath.Dir(dir), quarantine.DefaultDirName)+"\" (the default)")
		}
	}
	return nil
}
