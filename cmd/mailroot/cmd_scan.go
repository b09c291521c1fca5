package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mailroot/mailroot/mime"
	"github.com/mailroot/mailroot/queue"
)

func init() {
	register(&command{
		Name:  "scan",
		Args:  "[flags] PATH...",
		Short: "find messages that match crash patterns, and quarantine them",
		Long: scanLong + `
EXIT STATUS
  0  no message at or above --quarantine-at
  1  suspects found: at least one message at or above --quarantine-at
  2  bad usage or a fatal error (the store says what was moved)
  3  the scan finished, but some files could not be read (locked,
     permission denied, read error: see the "skipped" lines), or a
     suspect could not be quarantined; a file that vanished (the service
     delivered it) is reported but does not count`,
		Setup: func(fs *flag.FlagSet, e *env) runFunc {
			o := newScanOptions()
			o.addFlags(fs, e)
			return func(ctx context.Context, args []string) error {
				return runScan(ctx, e, o, args)
			}
		},
	})
	register(&command{
		Name:  "audit",
		Args:  "[flags] PATH...",
		Short: "scan without changing anything (the same as scan --dry-run)",
		Long: `
Audit is "mailroot scan --dry-run": it reads every message, reports the
suspects and prints, for each, where the real scan would move it. It never
writes, renames or deletes anything, and never changes a file's times.
All scan flags apply; see "mailroot help scan".

EXIT STATUS
  0  no message at or above --quarantine-at
  1  suspects found
  2  bad usage or a fatal error
  3  the audit finished, but some files could not be read (locked,
     permission denied, read error)`,
		Setup: func(fs *flag.FlagSet, e *env) runFunc {
			o := newScanOptions()
			o.addFlags(fs, e)
			return func(ctx context.Context, args []string) error {
				o.dryRun = true
				return runScan(ctx, e, o, args)
			}
		},
	})
}

const scanLong = `
Scan reads every message under each PATH and reports the ones that match a
crash pattern from the rule catalogue ("mailroot rules"). PATH may be an
Exchange 2000/2003 "vsi N" folder, a Mailroot holding several "vsi N", an
IIS mailroot (with Drop), an Exchange 2007+ Pickup or Replay folder, or any
folder or single file of .eml messages. Folder names are matched without
regard to case; quote paths with spaces. Folders that live elsewhere can be
named with --queue, --pickup, --badmail, --drop, --replay and
--exchange-pickup.

A message is a suspect when one of its findings is at or above
--quarantine-at (default crash). Without --dry-run every suspect is moved
into the quarantine store (see "mailroot help quarantine"); with --dry-run
(or "mailroot audit") nothing on disk is touched and each suspect's
planned destination is printed instead.

By default one block is printed per message with a finding at or above
--min-severity (default low): Queue items that block newer ones (Q-002,
waiting longer than --limit blocker-age-minutes, default 240) first, oldest
first, then the rest in folder order then path order; then a summary:
messages and bytes per folder, findings per rule, a queue age
histogram, the oldest queue items (blocker candidates), BadMail reasons,
top sender domains and the files that could not be read. --all prints
every message. --json prints JSON Lines instead (schema in README.md).

Messages are scanned by --workers goroutines (default: number of CPUs).
Memory does not grow with the number of files: only flagged messages are
kept, compactly, to be sorted; past 10,000 of them the rest are printed in
the order the folders are listed, which is stable for an unchanged folder.

A progress line (files, bytes, rate) is drawn on stderr when it is a
terminal, unless --json or --quiet.

Examples:

  mailroot scan --dry-run "C:\Program Files\Exchsrvr\Mailroot\vsi 1"
  mailroot audit D:\evidence --json > report.jsonl
  mailroot scan --dry-run --folder queue --older-than 4h "vsi 1"
  mailroot scan --dry-run --rule CT-001,CT-003 --limit params=64 Queue
`

// sortLimit is how many flagged messages scan keeps in memory to print them
// sorted; past it, it prints in walk order (see scanLong).
var sortLimit = 10000

// scanOptions holds the flags of scan and audit.
type scanOptions struct {
	dryRun       bool
	all          bool
	quiet        bool
	workers      int
	minSeverity  mime.Severity
	quarantineAt mime.Severity
	rules        listFlag
	skipRules    listFlag
	folders      listFlag
	olderThan    time.Duration
	newerThan    time.Duration
	limits       mime.Limits
	// quarantineDir is --quarantine: the store; "" means the default, a
	// Quarantine folder in each scanned layout's root.
	quarantineDir string
	force         bool // --force: quarantine out of a Queue folder while SMTPSVC runs
	// explicit folders (--queue DIR etc.), scanned in addition to PATHs.
	explicit map[mime.Folder]*string
	progress bool // draw a progress bar (computed)
}

func newScanOptions() *scanOptions {
	return &scanOptions{
		minSeverity:  mime.Low,
		quarantineAt: mime.Crash,
		limits:       mime.DefaultLimits(),
		explicit:     map[mime.Folder]*string{},
	}
}

func (o *scanOptions) addFlags(fs *flag.FlagSet, e *env) {
	e.addJSONFlag(fs)
	fs.BoolVar(&o.dryRun, "dry-run", false, "change nothing; print what would be quarantined and where")
	fs.BoolVar(&o.dryRun, "n", false, "short for --dry-run")
	fs.BoolVar(&o.all, "all", false, "print every message, not only those with findings")
	fs.BoolVar(&o.quiet, "quiet", false, "no progress bar, and only the summary in text mode")
	fs.BoolVar(&o.quiet, "q", false, "short for --quiet")
	fs.IntVar(&o.workers, "workers", 0, "scan `N` files at a time (default: the number of CPUs)")
	fs.Var(severityFlag{&o.minSeverity}, "min-severity", "show findings at or above `SEVERITY`: low, medium, high, crash")
	fs.Var(severityFlag{&o.quarantineAt}, "quarantine-at", "quarantine messages with a finding at or above `SEVERITY`")
	fs.Var(&o.rules, "rule", "check only these `RULES` (repeatable, or a comma list)")
	fs.Var(&o.skipRules, "skip-rule", "do not check these `RULES` (repeatable, or a comma list)")
	fs.Var(&o.folders, "folder", "scan only folders of these `KINDS`: "+folderKinds()+" (repeatable)")
	fs.Var(ageFlag{&o.olderThan}, "older-than", "only messages last modified more than `AGE` ago (30m, 4h, 2d)")
	fs.Var(ageFlag{&o.newerThan}, "newer-than", "only messages last modified less than `AGE` ago")
	fs.Var(limitFlag{&o.limits}, "limit", "change a rule threshold, `NAME=VALUE` (repeatable; see mailroot rules)")
	fs.StringVar(&o.quarantineDir, "quarantine", "", "quarantine store `DIR` (default: a Quarantine folder in the mailroot)")
	fs.BoolVar(&o.force, "force", false, "quarantine out of a Queue folder even while the SMTP service (SMTPSVC) runs")
	for _, f := range []struct {
		name string
		kind mime.Folder
	}{
		{"queue", mime.FolderQueue}, {"pickup", mime.FolderPickup}, {"badmail", mime.FolderBadMail},
		{"drop", mime.FolderDrop}, {"replay", mime.FolderReplay}, {"exchange-pickup", mime.FolderExchangePickup},
	} {
		p := new(string)
		o.explicit[f.kind] = p
		fs.StringVar(p, f.name, "", "also scan `DIR` as a folder of kind "+string(f.kind))
	}
}

func folderKinds() string {
	var s []string
	for _, f := range mime.Folders {
		s = append(s, string(f))
	}
	return strings.Join(s, ", ")
}

// scanEnv is everything one scan run shares: the process, the options and
// the layouts found. The quarantine step (cmd_scan_apply.go) gets it too.
type scanEnv struct {
	*env
	opts  *scanOptions
	roots []*scanRoot
	now   time.Time
	// mimeOpts is the base mime.Options (Folder is set per item).
	mimeOpts mime.Options
	rulesOn  map[string]bool // nil: every rule; else only these
	folderOn map[mime.Folder]bool
}

// suspect is what scan keeps of one message to print: a flagged message,
// a suspect to quarantine, or (with --all) any message. Report.Parts and
// Report.Fields are dropped to keep it small.
type suspect struct {
	seq    int64
	root   *scanRoot
	Item   queue.Item
	Report *mime.Report // nil when there was no message file to scan (a BadMail unit with no .BAD)
	// Findings are the item's file-system findings and the report's,
	// restricted to the selected rules, in offset order.
	Findings []mime.Finding
	Max      mime.Severity // highest severity in Findings
	// Quarantine says Max >= --quarantine-at.
	Quarantine bool
	// ChangedWhileRead says the message file's size when read (Report.Size,
	// now in Item.Size) differs from its size in the directory listing
	// (ListedSize): the service appended to it or truncated it meanwhile.
	// The quarantine step rechecks the file before moving it.
	ChangedWhileRead bool
	ListedSize       int64

	// Set by the quarantine step (cmd_scan_apply.go):
	Action       string   // "none", "would-quarantine", "quarantined", "skipped"
	Destination  []string // planned or actual destination of each member
	QuarantineID string   // ID in the store after a real move
	Problem      string   // why the step could not act ("locked: ..."); counted as partial
}

// Actions, as printed in JSON.
const (
	actionNone            = "none"
	actionWouldQuarantine = "would-quarantine"
	actionQuarantined     = "quarantined"
	actionSkipped         = "skipped"
)

// skipped is a path that was not scanned: a file that could not be read
// (reason locked, permission-denied, unreadable: exit status 3), one that
// vanished, or one passed over by design (a link, the quarantine store, a
// subfolder, a pickup .tmp file): see queue.SkipReason.
type skipped struct {
	Path   string      `json:"path"`
	Folder mime.Folder `json:"folder,omitempty"`
	Reason string      `json:"reason"`
	Detail string      `json:"detail,omitempty"`
	Error  string      `json:"error,omitempty"`
	// failure is queue.Skip.ReadFailure: content could not be read.
	failure bool
}

func newSkipped(s queue.Skip) skipped {
	k := skipped{Path: s.Path, Folder: s.Folder, Reason: string(s.Reason), Detail: s.Detail, failure: s.ReadFailure()}
	if s.Err != nil {
		k.Error = s.Err.Error()
	}
	return k
}

func runScan(ctx context.Context, e *env, o *scanOptions, args []string) error {
	se, err := newScanEnv(e, o, args)
	if err != nil {
		return err
	}
	step, err := openQuarantineStep(ctx, se)
	if err != nil {
		return err
	}
	res, err := se.scan(ctx, step)
	if cerr := step.close(); err == nil {
		err = cerr
	}
	if st, ok := step.(*storeStep); ok && errors.Is(err, context.Canceled) {
		return withHint(err, fmt.Sprintf("%d suspect(s) were quarantined before the interrupt (listed above); a move cut short is finished or undone when the store is next opened; run the scan again to go on", st.moved))
	}
	if err != nil {
		return err
	}
	if st, ok := step.(*storeStep); ok && st.stores.unresolved {
		res.partial = true // recovery left something for a human
	}
	switch {
	case res.partial:
		return &exitError{code: exitPartial}
	case res.suspects > 0:
		return &exitError{code: exitSuspects}
	}
	return nil
}

func newScanEnv(e *env, o *scanOptions, args []string) (*scanEnv, error) {
	se := &scanEnv{env: e, opts: o, now: nowFunc()}
	if o.workers < 0 {
		return nil, usageErrorf("--workers must be at least 1")
	}
	if o.workers == 0 {
		o.workers = runtime.NumCPU()
	}
	if o.olderThan > 0 && o.newerThan > 0 && o.newerThan <= o.olderThan {
		return nil, usageErrorf("--newer-than %s and --older-than %s select nothing", o.newerThan, o.olderThan)
	}
	// Rule selection.
	norm := func(ids []string) (map[string]bool, error) {
		m := map[string]bool{}
		for _, id := range ids {
			r, ok := mime.RuleByID(id)
			if !ok {
				return nil, withHint(usageErrorf("unknown rule %q", id), "run \"mailroot rules\" for the list")
			}
			m[r.ID] = true
		}
		return m, nil
	}
	only, err := norm(o.rules)
	if err != nil {
		return nil, err
	}
	skip, err := norm(o.skipRules)
	if err != nil {
		return nil, err
	}
	disabled := map[string]bool{}
	if len(only) > 0 {
		se.rulesOn = map[string]bool{}
	}
	for _, r := range mime.Rules() {
		on := (len(only) == 0 || only[r.ID]) && !skip[r.ID]
		if !on {
			disabled[r.ID] = true
		} else if se.rulesOn != nil {
			se.rulesOn[r.ID] = true
		}
	}
	if len(skip) > 0 && se.rulesOn == nil {
		se.rulesOn = map[string]bool{}
		for _, r := range mime.Rules() {
			if !disabled[r.ID] {
				se.rulesOn[r.ID] = true
			}
		}
	}
	se.mimeOpts = mime.Options{Disabled: disabled, Limits: o.limits}
	if len(o.folders) > 0 {
		se.folderOn = map[mime.Folder]bool{}
		for _, f := range o.folders {
			k, err := mime.ParseFolder(f)
			if err != nil {
				return nil, withHint(usageErrorf("--folder: %v", err), "folder kinds: "+folderKinds())
			}
			se.folderOn[k] = true
		}
	}
	// Paths.
	var explicitCount int
	for _, p := range o.explicit {
		if *p != "" {
			explicitCount++
		}
	}
	if len(args) == 0 && explicitCount == 0 {
		return nil, withHint(usageErrorf("scan needs a PATH to scan"),
			`example: mailroot scan --dry-run "C:\Program Files\Exchsrvr\Mailroot\vsi 1"`)
	}
	for _, a := range args {
		r, err := openRoot(a)
		if err != nil {
			return nil, err
		}
		se.roots = append(se.roots, r)
		if isFile(a) && looksBinary(a) {
			fmt.Fprintf(e.stderr, "mailroot: warning: %s looks like binary data, not a mail message; scanning it anyway\n", sanitizeLine(a))
		}
	}
	if explicitCount > 0 {
		r, err := openExplicitRoot(o.explicit)
		if err != nil {
			return nil, err
		}
		se.roots = append(se.roots, r)
	}
	for _, a := range dedupeRoots(se.roots) {
		fmt.Fprintf(e.stderr, "mailroot: note: %s is already scanned as part of an earlier PATH; each message is scanned once\n", sanitizeLine(a))
	}
	for i, r := range se.roots {
		r.index = i
	}
	o.progress = e.stderrTerminal && !e.json && !o.quiet
	return se, nil
}

// nowFunc is the clock; tests replace it.
var nowFunc = time.Now

// scanResult is what a finished scan tells runScan.
type scanResult struct {
	suspects int64 // messages at or above --quarantine-at
	partial  bool  // files skipped, or suspects the quarantine step could not act on
}

type scanJob struct {
	seq  int64
	root *scanRoot
	item queue.Item
}

type scanDone struct {
	scanJob
	rep *mime.Report
	err error
}

// scan walks every root, scans items with a worker pool and prints the
// results. Results pass through a reorder buffer keyed by sequence number,
// so everything downstream sees items in walk order whatever the workers'
// timing; memory is bounded by the number of items in flight.
func (se *scanEnv) scan(ctx context.Context, step quarantineStep) (*scanResult, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	o := se.opts
	prog := newProgress(se.stderr, o.progress)
	defer prog.finish()

	jobs := make(chan scanJob, o.workers*4)
	done := make(chan scanDone, o.workers*4)
	skips := make(chan queue.Skip, 64)
	walkErr := make(chan error, 1)

	// Producer: walk the roots in order.
	go func() {
		defer close(jobs)
		var seq int64
		for _, r := range se.roots {
			err := r.walk(ctx, se.exclude(), func(it queue.Item) error {
				if !se.selected(&it) {
					return nil
				}
				select {
				case jobs <- scanJob{seq: seq, root: r, item: it}:
					seq++
					return nil
				case <-ctx.Done():
					return ctx.Err()
				}
			}, func(s queue.Skip) {
				select {
				case skips <- s:
				case <-ctx.Done():
				}
			})
			if err != nil {
				walkErr <- err
				return
			}
		}
		walkErr <- nil
	}()

	// Workers.
	var wg sync.WaitGroup
	for i := 0; i < o.workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				rep, err := se.scanItemHashing(&j.item, !o.all)
				prog.add(j.item.Size)
				select {
				case done <- scanDone{scanJob: j, rep: rep, err: err}:
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	go func() {
		wg.Wait()
		close(done)
	}()

	c := newCollector(se, step)
	pending := map[int64]scanDone{}
	var next int64
	var ferr error
	doneCh, skipCh := done, skips
	for doneCh != nil {
		select {
		case d, ok := <-doneCh:
			if !ok {
				doneCh = nil
				break
			}
			pending[d.seq] = d
			for {
				d, ok := pending[next]
				if !ok {
					break
				}
				delete(pending, next)
				next++
				if ferr == nil {
					ferr = c.add(ctx, d)
					if ferr != nil {
						cancel()
					}
				}
			}
		case s := <-skipCh:
			c.skip(newSkipped(s))
		}
	}
	// Skips still queued after the workers ended.
	for {
		select {
		case s := <-skips:
			c.skip(newSkipped(s))
			continue
		default:
		}
		break
	}
	werr := <-walkErr
	prog.finish()
	if ferr != nil {
		return nil, ferr
	}
	if werr != nil {
		return nil, werr
	}
	if err := c.finish(ctx); err != nil {
		return nil, err
	}
	return &scanResult{suspects: c.sum.suspects, partial: c.sum.readFailures > 0 || c.sum.problems > 0}, nil
}

// selected applies --folder, --older-than and --newer-than.
func (se *scanEnv) selected(it *queue.Item) bool {
	if se.folderOn != nil && !se.folderOn[it.Folder] {
		return false
	}
	age := se.now.Sub(it.ModTime)
	if se.opts.olderThan > 0 && age < se.opts.olderThan {
		return false
	}
	if se.opts.newerThan > 0 && age >= se.opts.newerThan {
		return false
	}
	return true
}

// scanItem scans the message file of one item, with its SHA-256. It
// returns (nil, nil) for an item without a message file (a BadMail
// .BDR/.BDP with no .BAD).
func (se *scanEnv) scanItem(it *queue.Item) (*mime.Report, error) {
	return se.scanItemHashing(it, false)
}

// scanItemHashing is scanItem; with lazy, the SHA-256 is computed only for
// a message that has a finding (the only ones printed or moved, unless
// --all), by a second read that must see the bytes scanned. A file that
// changed in between is scanned again in full, so the findings and the
// hash always describe the same bytes.
func (se *scanEnv) scanItemHashing(it *queue.Item, lazy bool) (*mime.Report, error) {
	if !hasMessage(it) {
		return nil, nil
	}
	if testHookBeforeOpen != nil {
		testHookBeforeOpen(it.Path)
	}
	f, err := openListed(it)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	opts := se.mimeOpts
	opts.Folder = it.Folder
	opts.DeferSHA256 = lazy
	rep, err := mime.Scan(f, opts)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", it.Path, err)
	}
	if rep.SHA256Deferred() && (len(rep.Findings) > 0 || rep.FindingsOmitted > 0 || len(it.Findings) > 0) {
		if rep, err = hashScanned(f, rep, opts); err != nil {
			return nil, fmt.Errorf("read %s: %w", it.Path, err)
		}
	}
	// Keep the record small: the MIME tree and raw fields are for "show".
	rep.Parts, rep.Fields = nil, nil
	return rep, nil
}

// hashScanned fills rep's SHA-256 from a second read of f. When f no longer
// holds the bytes scanned, it scans f again with hashing on and returns
// that report instead.
func hashScanned(f *os.File, rep *mime.Report, opts mime.Options) (*mime.Report, error) {
	if testHookBeforeHash != nil {
		testHookBeforeHash(f.Name())
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	err := rep.FillSHA256(f)
	if err == nil || !errors.Is(err, mime.ErrChangedSinceScan) {
		return rep, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	opts.DeferSHA256 = false
	return mime.Scan(f, opts)
}

// testHookBeforeOpen, if set, is called before a worker opens an item's
// file (tests make files vanish or turn unreadable between walk and read).
// testHookBeforeOpenFile is called between openListed's Lstat and its open.
// testHookBeforeHash is called before the second read that computes the
// SHA-256 of a message with findings.
var testHookBeforeOpen, testHookBeforeOpenFile, testHookBeforeHash func(path string)

// openListed opens an item's message file without following a link put in
// its place since the listing (Walk never follows links; os.Open does):
// Lstat, refuse anything but a regular file, open, and check with
// os.SameFile that the file opened is the one that was checked. A path
// that is now a link or another file is a *swapError.
func openListed(it *queue.Item) (*os.File, error) {
	fi, err := os.Lstat(it.Path)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, swapped(it, fi)
	}
	if testHookBeforeOpenFile != nil {
		testHookBeforeOpenFile(it.Path)
	}
	f, err := os.Open(it.Path)
	if err != nil {
		return nil, err
	}
	opened, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !os.SameFile(fi, opened) {
		f.Close()
		now, err := os.Lstat(it.Path)
		if err != nil {
			return nil, err
		}
		return nil, swapped(it, now)
	}
	return f, nil
}

// swapped is the error for an item's path that now leads to fi: a
// *swapError, except for a folder, which cannot be read as a message (a
// read failure, as when it is opened: "unreadable", exit status 3).
func swapped(it *queue.Item, fi os.FileInfo) error {
	if fi.IsDir() {
		return fmt.Errorf("read %s: is a folder, not a message file", it.Path)
	}
	sk := queue.Skip{Path: it.Path, Folder: it.Folder}
	switch t := fi.Mode().Type(); {
	case t&(os.ModeSymlink|os.ModeIrregular) != 0:
		sk.Reason, sk.Detail = queue.SkipLink, "replaced by a link (or other reparse point) after the folder was read: not followed"
	case t == 0:
		sk.Reason, sk.Detail = queue.SkipReplaced, "replaced by another file between the check and the open: not read"
	default:
		kind := "device"
		switch {
		case t&os.ModeNamedPipe != 0:
			kind = "pipe"
		case t&os.ModeSocket != 0:
			kind = "socket"
		}
		sk.Reason, sk.Detail = queue.SkipSpecial, "replaced by a "+kind+" after the folder was read: not read"
	}
	sk.Err = &swapError{skip: sk}
	return sk.Err
}

// swapError says an item's path no longer leads to the file that was
// listed; the collector reports it as the Skip it carries (not a read
// failure).
type swapError struct{ skip queue.Skip }

func (e *swapError) Error() string { return e.skip.Path + ": " + e.skip.Detail }

// hasMessage reports whether an item has a message file to scan.
func hasMessage(it *queue.Item) bool {
	if len(it.Members) == 0 {
		return true
	}
	for _, m := range it.Members {
		if m.Role == "" || m.Role == "message" {
			return true
		}
	}
	return false
}

// exclude lists folders Walk must not enter: the --quarantine store.
func (se *scanEnv) exclude() []string {
	if se.opts.quarantineDir == "" {
		return nil
	}
	return []string{se.opts.quarantineDir}
}

// folderRank orders folders in output: queue first (the crash loop is
// there), then the rest as in mime.Folders.
func folderRank(f mime.Folder) int {
	order := []mime.Folder{mime.FolderQueue, mime.FolderPickup, mime.FolderDrop, mime.FolderBadMail,
		mime.FolderExchangePickup, mime.FolderReplay, mime.FolderGeneric}
	for i, g := range order {
		if g == f {
			return i
		}
	}
	return len(order)
}

// lessSuspect is the output order: root argument; Q-002 blocker
// candidates first, oldest first (the likely cause of a stuck queue leads);
// then "vsi N" instance (by number), folder, path.
func lessSuspect(a, b *suspect) bool {
	if a.root.index != b.root.index {
		return a.root.index < b.root.index
	}
	if ba, bb := a.blocker(), b.blocker(); ba != bb {
		return ba
	} else if ba {
		if ta, tb := queue.ItemTime(a.Item), queue.ItemTime(b.Item); !ta.Equal(tb) {
			return ta.Before(tb)
		}
	}
	if a.Item.Instance != b.Item.Instance {
		na, nb := instanceNumber(a.Item.Instance), instanceNumber(b.Item.Instance)
		if na != nb {
			return na < nb
		}
		return a.Item.Instance < b.Item.Instance
	}
	if ra, rb := folderRank(a.Item.Folder), folderRank(b.Item.Folder); ra != rb {
		return ra < rb
	}
	return a.Item.Path < b.Item.Path
}

// instanceNumber is N of "vsi N", or -1.
func instanceNumber(name string) int {
	n, err := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(strings.ToLower(name), "vsi")))
	if err != nil {
		return -1
	}
	return n
}

// blocker reports whether the record carries a Q-002 finding.
func (s *suspect) blocker() bool {
	for _, f := range s.Findings {
		if f.Rule == "Q-002" {
			return true
		}
	}
	return false
}

// sortSuspects sorts records into output order.
func sortSuspects(s []*suspect) {
	sort.SliceStable(s, func(i, j int) bool { return lessSuspect(s[i], s[j]) })
}

// errWriter remembers the first error writing to w (stdout on a full disk,
// a closed pipe) so that a verb can report it once as "write output: ..."
// with status 2. It returns that error as a *writeError, from the failed
// write and from every later one (which writes nothing); an errWriter
// writing through another one does not say "write output" twice.
type errWriter struct {
	w   io.Writer
	err error // a *writeError, nil until a write fails
}

func (w *errWriter) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	n, err := w.w.Write(p)
	if err == nil && n < len(p) {
		err = io.ErrShortWrite
	}
	if err != nil {
		var we *writeError
		if errors.As(err, &we) {
			err = we.err
		}
		w.err = &writeError{err: err}
		return n, w.err
	}
	return n, nil
}

// writeError is a failure to write the output: status 2, printed as
// "mailroot: write output: <cause>".
type writeError struct{ err error }

func (e *writeError) Error() string { return "write output: " + e.err.Error() }
func (e *writeError) Unwrap() error { return e.err }
