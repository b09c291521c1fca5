package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/mailroot/mailroot/mime"
	"github.com/mailroot/mailroot/quarantine"
	"github.com/mailroot/mailroot/queue"
)

// exitLocked is the status when another mailroot process holds the
// quarantine store's lock (11, as restic uses for a locked repository).
const exitLocked = 11

// storeEnvVar names the store when --quarantine is not given.
const storeEnvVar = "MAILROOT_QUARANTINE"

const quarantineLong = `
Quarantine manages the quarantine store: the folder that suspect messages
are moved into by "mailroot scan" (without --dry-run) or by "quarantine add".
Each item is a folder named by its ID holding the original files,
byte-identical under their original names (a BadMail .BAD moves with its
.BDR and .BDP), and item.json, the chain-of-custody record: original paths,
sizes, SHA-256, times, attributes, NTFS stream names, envelope, findings,
who moved it, when, with which mailroot, and its history. journal.jsonl
records the intent and completion of every move, so that an interrupted
move (a crash, a kill, a power cut) is finished or undone the next time
mailroot opens the store: every file then exists exactly once, complete,
either where it was or in the store.

IDs are 12 characters, sortable by time; any unique prefix will do, in any
case ("01jq7" for "01jq7x2m9k4t").

Sub-commands:

  add FILE...       quarantine the named files (a .BAD takes its .BDR and
                    .BDP with it); each is scanned first and its findings
                    recorded
  list              one line per item: ID, age, size, state, rules, folder
                    it came from; --state, --rule, --folder filter
  show ID           everything item.json says about an item
  restore ID...     move the original files back to their original paths,
                    after checking their SHA-256; refuses if a file exists
                    there now, or if the original folder now leads
                    elsewhere through a link, and (without --force) if a
                    replayed item or a crash-class finding would go back
                    into a folder a mail service reads; a file restored
                    into a pickup folder loses its read-only attribute;
                    --dry-run shows the moves
  verify            rehash every file of every item against item.json and
                    report missing, altered and unexpected files (a
                    fixed.eml edited by hand is reported until
                    "mailroot repair ID --rehash" records the edit)
  recover           finish or undo interrupted moves (also done at the start
                    of every command that opens the store) and remove
                    leftover temporary files

The store is --quarantine DIR, else $MAILROOT_QUARANTINE, else a Quarantine
folder in the current folder. "add" defaults to the Quarantine folder
beside the mail folder of each file (inside "vsi 1", on the same volume),
as scan does. The store folder is created owner-only (mode 0700) on Unix; a
store that group or others can write to is refused.

On Windows, files are not moved out of a Queue folder while SMTPSVC runs
(the service holds them and may crash mid-move): stop the SMTP virtual
server first, or use --force.

Examples:

  mailroot quarantine add "D:\Mailroot\vsi 1\Queue\NTFS_1a2b.EML"
  mailroot quarantine list --quarantine "D:\Mailroot\vsi 1\Quarantine" --rule CT-001
  mailroot quarantine show 01jq7 --quarantine "vsi 1/Quarantine"
  mailroot quarantine restore 01jq7 --dry-run --quarantine "vsi 1/Quarantine"
  mailroot quarantine verify --quarantine "vsi 1/Quarantine" --json

EXIT STATUS
  0   success
  1   verify: some file is missing, altered or unexpected
  2   bad usage, or a fatal error (store unreadable, unsafe or missing)
  3   partial: some files could not be quarantined or restored (locked,
      vanished, changed, refused), or recovery left something unresolved
  11  the store is locked by another mailroot process`

type quarantineOptions struct {
	dir    string
	dryRun bool
	force  bool
	state  string
	rule   string
	folder string
}

func init() {
	register(&command{
		Name:  "quarantine",
		Args:  "add|list|show|restore|verify|recover [flags] [FILE|ID...]",
		Short: "manage the quarantine store: add, list, show, restore, verify, recover",
		Long:  quarantineLong,
		Setup: func(fs *flag.FlagSet, e *env) runFunc {
			o := &quarantineOptions{}
			e.addJSONFlag(fs)
			fs.StringVar(&o.dir, "quarantine", "", "quarantine store `DIR`")
			fs.BoolVar(&o.dryRun, "dry-run", false, "restore: change nothing; print the moves")
			fs.BoolVar(&o.dryRun, "n", false, "short for --dry-run")
			fs.BoolVar(&o.force, "force", false, "add: move files out of a Queue folder even while SMTPSVC runs; restore: put back a replayed message or one with crash-class findings")
			fs.StringVar(&o.state, "state", "", "list: only items in `STATE` (quarantined, restored, repaired, replayed)")
			fs.StringVar(&o.rule, "rule", "", "list: only items with a finding of `RULE`")
			fs.StringVar(&o.folder, "folder", "", "list: only items from folders of `KIND` ("+folderKinds()+")")
			return func(ctx context.Context, args []string) error {
				return runQuarantine(ctx, e, o, args)
			}
		},
	})
}

func runQuarantine(ctx context.Context, e *env, o *quarantineOptions, args []string) error {
	if len(args) == 0 {
		return usageErrorf("quarantine needs a sub-command: add, list, show, restore, verify or recover")
	}
	sub, args := args[0], args[1:]
	if o.dryRun && sub != "restore" {
		return usageErrorf("--dry-run applies to quarantine restore only")
	}
	switch sub {
	case "add":
		return runQuarantineAdd(ctx, e, o, args)
	case "list", "ls":
		return runQuarantineList(ctx, e, o, args)
	case "show":
		return runQuarantineShow(ctx, e, o, args)
	case "restore":
		return runQuarantineRestore(ctx, e, o, args)
	case "verify":
		return runQuarantineVerify(ctx, e, o, args)
	case "recover":
		return runQuarantineRecover(ctx, e, o, args)
	}
	return withHint(usageErrorf("unknown quarantine sub-command %q", sub), "use add, list, show, restore, verify or recover")
}

// storeSet opens stores on demand, one per folder, and closes them all.
type storeSet struct {
	e      *env
	create bool
	stores map[string]*quarantine.Store
	order  []*quarantine.Store
	// readOnly lets a store that cannot be written open without lock or
	// recovery (list, show, verify, restore --dry-run on read-only media).
	readOnly bool
	// readWhileLocked lets list and show read a store another process
	// holds (quarantine.Options.ReadWhileLocked).
	readWhileLocked bool
	// unresolved is set when a recovery left something for a human.
	unresolved bool
}

func newStoreSet(e *env) *storeSet {
	return &storeSet{e: e, create: true, stores: map[string]*quarantine.Store{}}
}

// open returns the store in dir, opening (and recovering) it on first use.
func (ss *storeSet) open(dir string) (*quarantine.Store, error) {
	key, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if s := ss.stores[key]; s != nil {
		return s, nil
	}
	s, err := quarantine.Open(dir, quarantine.Options{Create: ss.create, ReadOnly: ss.readOnly, ReadWhileLocked: ss.readWhileLocked, ToolVersion: toolVersion()})
	if err != nil {
		return nil, storeError(dir, err)
	}
	if note := s.InUse(); note != "" {
		fmt.Fprintf(ss.e.stderr, "mailroot: note: %s\n", sanitizeLine(note))
	}
	ss.stores[key] = s
	ss.order = append(ss.order, s)
	if printRecovery(ss.e.stderr, s.Dir(), s.Recovery()) {
		ss.unresolved = true
	}
	return s, nil
}

// closeInto closes the stores for a deferred call in a verb with a named
// error result: a close failure is reported unless an earlier error was.
func (ss *storeSet) closeInto(err *error) {
	if cerr := ss.close(); *err == nil && cerr != nil {
		*err = cerr
	}
}

func (ss *storeSet) close() error {
	var errs []error
	for _, s := range ss.order {
		errs = append(errs, s.Close())
	}
	return errors.Join(errs...)
}

// storeError gives the errors of quarantine.Open their status and hints.
func storeError(dir string, err error) error {
	switch {
	case quarantine.IsLocked(err):
		return &exitError{code: exitLocked, err: err, hints: []string{
			"another mailroot is working on this store; wait for it to finish and try again",
			"the lock is an operating-system lock: it goes away when that process ends",
		}}
	case quarantine.IsUnsafeStore(err):
		return withHint(err, "other users could plant or alter evidence there; fix its permissions or choose another folder with --quarantine")
	case errors.Is(err, quarantine.ErrNoStore):
		return withHint(err, "give the store with --quarantine DIR (the Quarantine folder inside the mailroot, e.g. \"vsi 1/Quarantine\")")
	}
	return err
}

// printRecovery tells the user what Open's (or Recover's) recovery did, on
// stderr. It reports whether something is left unresolved.
func printRecovery(w io.Writer, dir string, r *quarantine.RecoveryReport) bool {
	if r == nil || r.Clean() {
		return false
	}
	if r.Truncated {
		fmt.Fprintf(w, "mailroot: %s: the journal ended in a cut-off line (an interrupted write); kept and ended\n", sanitizeLine(dir))
	}
	for _, b := range r.BadLines {
		fmt.Fprintf(w, "mailroot: %s: journal line %d unreadable: %s\n", sanitizeLine(dir), b.Line, sanitizeLine(b.Err))
	}
	if r.BadLinesOmitted > 0 {
		fmt.Fprintf(w, "mailroot: %s: %d more unreadable journal lines\n", sanitizeLine(dir), r.BadLinesOmitted)
	}
	for _, x := range r.Resolved {
		verb := map[string]string{quarantine.OutcomeCompleted: "completed", quarantine.OutcomeRolledBack: "rolled back", quarantine.OutcomeUnresolved: "NOT resolved"}[x.Outcome]
		fmt.Fprintf(w, "mailroot: recovery: interrupted %s of %s %s", x.Kind, x.ID, verb)
		if x.Detail != "" {
			fmt.Fprintf(w, ": %s", sanitizeLine(x.Detail))
		}
		fmt.Fprintln(w)
	}
	for _, p := range r.TempsRemoved {
		fmt.Fprintf(w, "mailroot: recovery: removed leftover temporary file %s\n", sanitizeLine(p))
	}
	for _, f := range r.Foreign {
		fmt.Fprintf(w, "mailroot: recovery: open %s transaction %s of %s left for its own command\n", sanitizeLine(f.Kind), sanitizeLine(f.Txn), f.ID)
	}
	for _, p := range r.Problems {
		fmt.Fprintf(w, "mailroot: recovery: %s\n", sanitizeLine(p))
	}
	if r.Unresolved() {
		fmt.Fprintf(w, "hint: nothing was deleted; look at the paths above, then run \"mailroot quarantine recover\"\n")
		return true
	}
	return false
}

// storeDirFor is the store of the read/restore sub-commands.
func storeDirFor(o *quarantineOptions) (string, error) {
	if o.dir != "" {
		return o.dir, nil
	}
	if v := os.Getenv(storeEnvVar); v != "" {
		return v, nil
	}
	if quarantine.IsStore(quarantine.DefaultDirName) {
		return quarantine.DefaultDirName, nil
	}
	return "", withHint(usageErrorf("which quarantine store? no --quarantine DIR given"),
		"give the store with --quarantine DIR (the Quarantine folder inside the mailroot, e.g. \"vsi 1/Quarantine\"), or set "+storeEnvVar)
}

// openOne opens the single store of a sub-command (never creating it).
// repair and replay use it too.
func openOne(e *env, o *quarantineOptions) (*storeSet, *quarantine.Store, error) {
	return openOneMode(e, o, false, false)
}

// openOneMode is openOne; readOnly allows the read-only fallback of
// quarantine.Options.ReadOnly (list, show, verify, restore --dry-run), and
// whileLocked that of Options.ReadWhileLocked (list and show, which must
// work while a long scan holds the store).
func openOneMode(e *env, o *quarantineOptions, readOnly, whileLocked bool) (*storeSet, *quarantine.Store, error) {
	dir, err := storeDirFor(o)
	if err != nil {
		return nil, nil, err
	}
	ss := newStoreSet(e)
	ss.create = false
	ss.readOnly = readOnly
	ss.readWhileLocked = readOnly && whileLocked
	s, err := ss.open(dir)
	if err != nil {
		return nil, nil, err
	}
	return ss, s, nil
}

func runQuarantineAdd(ctx context.Context, e *env, o *quarantineOptions, args []string) (err error) {
	if len(args) == 0 {
		return usageErrorf("quarantine add needs at least one FILE")
	}
	type job struct {
		item queue.Item
		dir  string
	}
	var jobs []job
	var problems int
	var partial []string
	queued := map[string]bool{} // items already to add: "F F", or a .BAD and its .BDR, add one unit once
	for _, a := range args {
		l, derr := queue.Detect(a)
		if derr != nil {
			return pathError(a, derr)
		}
		if l.Kind != queue.KindGeneric || len(l.Dirs) != 1 || !l.Dirs[0].File {
			return withHint(usageErrorf("%s is a folder; quarantine add takes files", a),
				"to quarantine the suspects of a folder: mailroot scan FOLDER (try --dry-run first)")
		}
		var items []queue.Item
		werr := queue.Walk(ctx, l, queue.WalkOptions{Skipped: func(s queue.Skip) {
			partial = append(partial, fmt.Sprintf("%s: %s", s.Path, s.Reason))
		}}, func(it queue.Item) error { items = append(items, it); return nil })
		if werr != nil {
			return pathError(a, werr)
		}
		for _, it := range items {
			if k := absKey(it.Path); queued[k] {
				continue
			} else {
				queued[k] = true
			}
			d := o.dir
			if d == "" {
				d = defaultStoreDir(l, &it)
			} else if err := storeOutsideMailFolders(d, []queue.Dir{{Path: it.Path, Role: it.Folder, File: true}}); err != nil {
				return err
			}
			jobs = append(jobs, job{item: it, dir: d})
		}
	}
	for _, p := range partial {
		fmt.Fprintf(e.stderr, "mailroot: skipped %s\n", sanitizeLine(p))
		problems++
	}
	ss := newStoreSet(e)
	defer ss.closeInto(&err)
	jl := newJSONLines(e.stdout)
	for _, j := range jobs {
		s, err := ss.open(j.dir)
		if err != nil {
			return err
		}
		rep, scanned := scanForRecord(j.item)
		req := quarantine.AddRequest{Item: j.item, Report: rep, Force: o.force, Note: "quarantine add"}
		if rep != nil {
			req.ScannedSHA256 = map[string]string{scanned: rep.SHA256}
		}
		rec, err := s.Add(ctx, req)
		if errors.Is(err, context.Canceled) {
			return err
		}
		if err != nil {
			problems++
			if e.json {
				jl.write(map[string]any{"kind": "skipped", "path": j.item.Path, "error": err.Error()})
			}
			fmt.Fprintf(e.stderr, "mailroot: %s\n", sanitizeLine(err.Error()))
			if quarantine.IsServiceRunning(err) {
				fmt.Fprintf(e.stderr, "hint: stop the SMTP virtual server, or add --force if you are sure it is not using the file\n")
			}
			continue
		}
		if e.json {
			jl.write(map[string]any{"kind": "quarantined", "action": "quarantined", "id": rec.ID, "path": j.item.Path,
				"store": s.Dir(), "files": rec.Files, "findings": rec.Findings})
			continue
		}
		fmt.Fprintf(e.stdout, "%s  %s\n", rec.ID, sanitizeLine(j.item.Path))
		for _, f := range rec.Files {
			fmt.Fprintf(e.stdout, "    %s -> %s\n", sanitizeLine(f.OriginalPath), sanitizeLine(filepath.Join(s.ItemDir(rec.ID), f.Name)))
		}
	}
	if problems > 0 || ss.unresolved {
		return &exitError{code: exitPartial}
	}
	return nil
}

// scanForRecord scans a message so that its findings and envelope go into
// item.json; nil when there is no message file or it cannot be read (the
// move then checks the file against nothing but itself).
func scanForRecord(it queue.Item) (*mime.Report, string) {
	p := it.Path
	for _, m := range it.Members {
		if m.Role == "message" {
			p = m.Path
		}
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, ""
	}
	defer f.Close()
	rep, err := mime.Scan(f, mime.Options{Folder: it.Folder, Limits: mime.DefaultLimits()})
	if err != nil || rep == nil {
		return nil, ""
	}
	rep.Parts, rep.Fields = nil, nil
	return rep, p
}

type listLine struct {
	Kind        string           `json:"kind"`
	ID          string           `json:"id"`
	State       quarantine.State `json:"state"`
	Quarantined time.Time        `json:"quarantined"`
	Size        int64            `json:"size"`
	Files       int              `json:"files"`
	Severity    string           `json:"severity,omitempty"`
	Rules       []string         `json:"rules"`
	Folder      mime.Folder      `json:"folder"`
	OriginalDir string           `json:"original_dir"`
	Subject     string           `json:"subject,omitempty"`
}

func runQuarantineList(ctx context.Context, e *env, o *quarantineOptions, args []string) (err error) {
	if len(args) > 0 {
		return usageErrorf("quarantine list takes no arguments (use --state, --rule, --folder)")
	}
	var f quarantine.Filter
	if o.state != "" {
		f.State = quarantine.State(strings.ToLower(o.state))
		ok := false
		for _, s := range quarantine.States {
			ok = ok || s == f.State
		}
		if !ok && f.State != quarantine.StatePending {
			return usageErrorf("unknown state %q (want quarantined, restored, repaired or replayed)", o.state)
		}
	}
	if o.folder != "" {
		fk, ferr := mime.ParseFolder(o.folder)
		if ferr != nil {
			return usageErrorf("%v", ferr)
		}
		f.Folder = fk
	}
	f.Rule = o.rule
	ss, s, err := openOneMode(e, o, true, true)
	if err != nil {
		return err
	}
	defer ss.closeInto(&err)
	recs, lerr := s.List(f)
	now := nowFunc()
	jl := newJSONLines(e.stdout)
	if !e.json && len(recs) > 0 {
		fmt.Fprintf(e.stdout, "%-12s  %-16s  %9s  %-11s  %-9s  %-20s  %s\n", "ID", "AGE", "SIZE", "STATE", "FOLDER", "RULES", "ORIGINAL FOLDER")
	}
	for _, r := range recs {
		if e.json {
			l := listLine{Kind: "item", ID: r.ID, State: r.State, Quarantined: r.Quarantined, Size: r.Size(), Files: len(r.Originals()),
				Rules: r.Rules(), Folder: r.Folder, OriginalDir: r.OriginalDir}
			if l.Rules == nil {
				l.Rules = []string{}
			}
			if m := r.MaxSeverity(); m != 0 {
				l.Severity = m.String()
			}
			if r.Headers != nil {
				l.Subject = r.Headers.Subject
			}
			if err := jl.write(l); err != nil {
				return err
			}
			continue
		}
		rules := strings.Join(r.Rules(), ",")
		if rules == "" {
			rules = "-"
		}
		fmt.Fprintf(e.stdout, "%-12s  %-16s  %9s  %-11s  %-9s  %-20s  %s\n", r.ID, humanAge(now, r.Quarantined), humanBytes(r.Size()),
			r.State, r.Folder, sanitizeLine(rules), sanitizeLine(r.OriginalDir))
	}
	if !e.json {
		fmt.Fprintf(e.stdout, "%d item(s)\n", len(recs))
	}
	if lerr != nil {
		fmt.Fprintf(e.stderr, "mailroot: %s\n", sanitizeLine(lerr.Error()))
		fmt.Fprintf(e.stderr, "hint: run \"mailroot quarantine verify\" for details\n")
		return &exitError{code: exitPartial}
	}
	if ss.unresolved {
		return &exitError{code: exitPartial}
	}
	return nil
}

func runQuarantineShow(ctx context.Context, e *env, o *quarantineOptions, args []string) (err error) {
	if len(args) != 1 {
		return usageErrorf("quarantine show takes one ID")
	}
	ss, s, err := openOneMode(e, o, true, true)
	if err != nil {
		return err
	}
	defer ss.closeInto(&err)
	r, err := s.Get(args[0])
	if err != nil {
		return idError(err)
	}
	if e.json {
		return newJSONLines(e.stdout).write(r)
	}
	w := e.stdout
	fmt.Fprintf(w, "id:           %s\n", r.ID)
	fmt.Fprintf(w, "state:        %s\n", r.State)
	fmt.Fprintf(w, "folder:       %s (%s)\n", r.Folder, sanitizeLine(r.OriginalDir))
	fmt.Fprintf(w, "quarantined:  %s (%s) by %s on %s with %s\n", r.Quarantined.Format(time.RFC3339), humanAge(nowFunc(), r.Quarantined),
		sanitizeLine(r.By.User), sanitizeLine(r.By.Host), sanitizeLine(r.By.Tool))
	fmt.Fprintf(w, "store:        %s\n", sanitizeLine(s.ItemDir(r.ID)))
	if r.Reason != "" {
		fmt.Fprintf(w, "bdr reason:   %s\n", sanitizeLine(r.Reason))
	}
	if h := r.Headers; h != nil {
		fmt.Fprintf(w, "from:         %s\n", sanitizeLine(h.From))
		fmt.Fprintf(w, "subject:      %s\n", sanitizeLine(h.Subject))
		if h.MessageID != "" {
			fmt.Fprintf(w, "message-id:   %s\n", sanitizeLine(h.MessageID))
		}
	}
	if env := r.Envelope; env != nil {
		fmt.Fprintf(w, "envelope:     %s from %s to %s\n", env.Format, sanitizeLine(env.Sender), sanitizeLine(strings.Join(env.Recipients, ", ")))
	}
	fmt.Fprintf(w, "files:\n")
	for _, f := range r.Files {
		fmt.Fprintf(w, "  %s  %s  %s  sha256 %s\n", sanitizeLine(f.Name), f.Role, humanBytes(f.Size), f.SHA256)
		if f.OriginalPath != "" {
			fmt.Fprintf(w, "      from %s, modified %s", sanitizeLine(f.OriginalPath), f.ModTime.Format(time.RFC3339))
			if f.ReadOnly {
				fmt.Fprint(w, ", read-only")
			}
			fmt.Fprintln(w)
		}
		for _, st := range f.Streams {
			fmt.Fprintf(w, "      stream %s  %s\n", sanitizeLine(st.Name), humanBytes(st.Size))
		}
	}
	if len(r.Findings) > 0 {
		fmt.Fprintf(w, "findings:\n")
		for _, f := range r.Findings {
			printFinding(w, "  ", f)
		}
	}
	fmt.Fprintf(w, "history:\n")
	for _, h := range r.History {
		fmt.Fprintf(w, "  %s  %-12s by %s on %s", h.Time.Format(time.RFC3339), h.Action, sanitizeLine(h.By.User), sanitizeLine(h.By.Host))
		if h.Detail != "" {
			fmt.Fprintf(w, ": %s", sanitizeLine(h.Detail))
		}
		fmt.Fprintln(w)
	}
	return nil
}

// idError: a bad, unknown or ambiguous ID is a usage error.
func idError(err error) error {
	var ae *quarantine.AmbiguousIDError
	switch {
	case errors.As(err, &ae):
		return withHint(&exitError{code: exitUsage, err: err}, "type more characters of the ID")
	case quarantine.IsInvalidID(err), errors.Is(err, quarantine.ErrNotFound):
		return withHint(&exitError{code: exitUsage, err: err}, "run \"mailroot quarantine list\" for the IDs")
	}
	return err
}

func runQuarantineRestore(ctx context.Context, e *env, o *quarantineOptions, args []string) (err error) {
	if len(args) == 0 {
		return usageErrorf("quarantine restore needs at least one ID")
	}
	ss, s, err := openOneMode(e, o, o.dryRun, false)
	if err != nil {
		return err
	}
	defer ss.closeInto(&err)
	// Resolve every ID first: a typo changes nothing. An item named twice
	// (or by two prefixes) is restored once.
	var ids []string
	seen := map[string]bool{}
	for _, a := range args {
		id, rerr := s.Resolve(a)
		if rerr != nil {
			return idError(rerr)
		}
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	jl := newJSONLines(e.stdout)
	problems := 0
	for _, id := range ids {
		// The checks of a dry run first (state, hashes, paths), then
		// the guard, then the moves.
		res, rerr := s.Restore(ctx, id, true)
		if rerr == nil {
			rerr = restoreGuard(s, id, o.force)
		}
		if rerr == nil && !o.dryRun {
			res, rerr = s.Restore(ctx, id, false)
		}
		if errors.Is(rerr, context.Canceled) {
			return rerr
		}
		if rerr != nil {
			problems++
			if e.json {
				jl.write(map[string]any{"kind": "skipped", "id": id, "error": rerr.Error()})
			}
			fmt.Fprintf(e.stderr, "mailroot: %s\n", sanitizeLine(rerr.Error()))
			continue
		}
		action := "restored"
		if o.dryRun {
			action = "would-restore"
		} else {
			clearReadOnlyInPickup(e, s, id, res)
		}
		if e.json {
			jl.write(map[string]any{"kind": action, "action": action, "id": id, "files": res.Files})
			continue
		}
		fmt.Fprintf(e.stdout, "%s %s\n", strings.Replace(action, "-", " ", 1), id)
		for _, f := range res.Files {
			fmt.Fprintf(e.stdout, "    %s -> %s\n", sanitizeLine(f.From), sanitizeLine(f.To))
		}
	}
	if o.dryRun && !e.json {
		fmt.Fprintln(e.stdout, "dry run: nothing was changed")
	}
	if problems > 0 || ss.unresolved {
		return &exitError{code: exitPartial}
	}
	return nil
}

// clearReadOnlyInPickup clears the read-only attribute of files restored
// into a pickup folder (KB 221432: the service sends a read-only file on
// every restart and never removes it), and says so.
func clearReadOnlyInPickup(e *env, s *quarantine.Store, id string, res *quarantine.RestoreResult) {
	rec, err := s.Get(id)
	if err != nil || !rec.Folder.IsPickupLike() {
		return
	}
	for _, f := range res.Files {
		cleared, err := queue.ClearReadOnly(f.To)
		switch {
		case err != nil:
			fmt.Fprintf(e.stderr, "mailroot: warning: %s: could not clear the read-only attribute (the %s service would send it on every restart): %s\n", sanitizeLine(f.To), rec.Folder, sanitizeLine(err.Error()))
		case cleared:
			fmt.Fprintf(e.stderr, "mailroot: %s: read-only attribute cleared: in a %s folder a read-only file is sent on every restart and never removed (KB 221432)\n", sanitizeLine(f.To), rec.Folder)
		}
	}
}

// restoreGuard refuses, without --force, to put back into a folder that a
// mail service reads (Queue, PickUp, Drop, Exchange Pickup, Replay) an
// item that was replayed (the message would be delivered twice) or whose
// findings include a crash-class one (it would feed the service the
// message that crashed it). Restore is for false positives; a broken
// message goes back as a fixed copy, through repair and replay.
func restoreGuard(s *quarantine.Store, id string, force bool) error {
	if force {
		return nil
	}
	rec, err := s.Get(id)
	if err != nil {
		return err
	}
	switch rec.Folder {
	case mime.FolderQueue, mime.FolderPickup, mime.FolderDrop, mime.FolderExchangePickup, mime.FolderReplay:
	default:
		return nil
	}
	for _, ev := range rec.History {
		if ev.Action == string(quarantine.StateReplayed) {
			return fmt.Errorf("quarantine %s: refusing to restore: it was replayed at %s (\"mailroot quarantine show %s\" says where), so the original back in its %s folder would deliver the message twice; "+
				"if that replay never reached anyone, restore with --force", id, ev.Time.UTC().Format(time.RFC3339), id, rec.Folder)
		}
	}
	if rec.MaxSeverity() < mime.Crash {
		return nil
	}
	var rules []string
	seen := map[string]bool{}
	for _, f := range rec.Findings {
		if f.Severity >= mime.Crash && !seen[f.Rule] {
			seen[f.Rule] = true
			rules = append(rules, f.Rule)
		}
	}
	return fmt.Errorf("quarantine %s: refusing to restore a message with crash-class findings (%s) into its %s folder, where the mail service would read it again; "+
		"send a fixed copy with \"mailroot repair %s\" then \"mailroot replay %s\", or, if the findings are false positives, restore with --force",
		id, strings.Join(rules, ", "), rec.Folder, id, id)
}

func runQuarantineVerify(ctx context.Context, e *env, o *quarantineOptions, args []string) (err error) {
	if len(args) > 0 {
		return usageErrorf("quarantine verify takes no arguments")
	}
	ss, s, err := openOneMode(e, o, true, false)
	if err != nil {
		return err
	}
	defer ss.closeInto(&err)
	rep, err := s.Verify(ctx)
	if err != nil {
		return err
	}
	sort.SliceStable(rep.Problems, func(i, j int) bool { return rep.Problems[i].Path < rep.Problems[j].Path })
	if e.json {
		jl := newJSONLines(e.stdout)
		for _, p := range rep.Problems {
			jl.write(struct {
				Kind string `json:"kind"`
				quarantine.Problem
			}{"problem", p})
		}
		jl.write(map[string]any{"kind": "summary", "items": rep.Items, "files": rep.Files, "bytes": rep.Bytes, "problems": len(rep.Problems), "ok": rep.OK()})
	} else {
		for _, p := range rep.Problems {
			fmt.Fprintf(e.stdout, "%-8s %s", p.Kind, sanitizeLine(p.Path))
			if p.Detail != "" {
				fmt.Fprintf(e.stdout, ": %s", sanitizeLine(p.Detail))
			}
			fmt.Fprintln(e.stdout)
		}
		fmt.Fprintf(e.stdout, "%d item(s), %d file(s), %s verified; %d problem(s)\n", rep.Items, rep.Files, humanBytes(rep.Bytes), len(rep.Problems))
	}
	if !rep.OK() {
		return &exitError{code: exitSuspects}
	}
	if ss.unresolved {
		return &exitError{code: exitPartial}
	}
	return nil
}

func runQuarantineRecover(ctx context.Context, e *env, o *quarantineOptions, args []string) (err error) {
	if len(args) > 0 {
		return usageErrorf("quarantine recover takes no arguments")
	}
	ss, s, err := openOne(e, o)
	if err != nil {
		return err
	}
	defer ss.closeInto(&err)
	rep, err := s.Recover(ctx)
	if err != nil {
		return err
	}
	// Open already resolved the journal and printed it; this pass adds
	// the sweep of leftover temp files.
	rep.Truncated, rep.BadLines = false, nil
	unresolved := printRecovery(e.stderr, s.Dir(), rep) || ss.unresolved
	first := s.Recovery()
	if e.json {
		newJSONLines(e.stdout).write(map[string]any{"kind": "recovery", "store": s.Dir(), "open": first, "sweep": rep, "ok": !unresolved})
	} else {
		fmt.Fprintf(e.stdout, "%s: %d interrupted transaction(s) resolved, %d leftover file(s) removed\n",
			sanitizeLine(s.Dir()), len(first.Resolved)+len(rep.Resolved), len(rep.TempsRemoved))
	}
	if unresolved {
		return &exitError{code: exitPartial}
	}
	return nil
}
