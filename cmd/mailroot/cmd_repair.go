package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"strings"

	"golang.org/x/term"

	"github.com/mailroot/mailroot/mime"
	"github.com/mailroot/mailroot/mime/repair"
	"github.com/mailroot/mailroot/quarantine"
	"github.com/mailroot/mailroot/quarantine/replay"
)

const repairLong = `
Repair writes fixed.eml, a repaired copy of a quarantined message, into the
item's folder beside the original, which is never touched. Each rule that
has a safe fix is fixed, and each change (rule, what, MIME part, offset and
line in the original) is recorded in item.json, which moves the item to
the "repaired" state:

  STR-001  an empty line is inserted where the body begins (a line that
           is not a header field and is not followed by one)
  STR-002  line endings become CRLF
  STR-003  a line holding only "." becomes ".." (IIS PickUp files)
  STR-004  long header lines are re-folded; parts with long lines are
           re-encoded (quoted-printable or base64; the content is kept)
  STR-006  NUL bytes leave headers; a part holding NUL becomes base64
  STR-007  control bytes leave header values
  CT-001   an empty charset parameter is dropped
  CT-003   broken parameter lists are rewritten: quotes closed, empty and
           duplicate parameters dropped (the first is kept)
  CT-004   an unclosed comment is closed (taken as part of the value)
  MP-002   a missing closing delimiter is added
  MP-004   one boundary= is kept: the one the body uses
  ENC-001  broken base64 is decoded as RFC 2045 says and re-encoded, or,
           when that would be a guess, kept byte for byte inside an
           application/octet-stream attachment
  ENC-004  broken quoted-printable is decoded as RFC 2045 tells readers
           to (a stray "=" stays text) and encoded again
  ENC-005  broken RFC 2047 encoded words are re-encoded as UTF-8
  HDR-002  an unparseable Date becomes the file's time; the original value
           is kept in X-Original-Date

Rules without a safe fix (deep nesting, TNEF, a missing From, colliding
boundaries...) are listed as needing a manual fix. Then fixed.eml is
scanned again and what remains is printed. "mailroot replay" sends
fixed.eml.

--diff shows the header changes as a unified diff and summarises the body
changes. --dry-run prints the changes and writes nothing.

The original is evidence: it is never changed, and "mailroot quarantine
verify" reports any change to it. fixed.eml is derived: it may change, but
only in ways item.json records (its SHA-256, and the old one in the
history).

Manual fixes, one flow:
  1. mailroot repair ID --edit     creates fixed.eml as a copy of the
     original when there is none, and prints its path (when $EDITOR is set
     and stdin is a terminal, it opens the file in that editor instead,
     and step 3 happens by itself when the editor exits);
  2. edit fixed.eml;
  3. mailroot repair ID --rehash   records the edit: item.json gets the new
     SHA-256, the history "edited by hand, sha256 OLD -> NEW", and the
     file is rescanned and what remains printed.
Until step 3, "quarantine verify" reports fixed.eml as altered and
"replay" refuses to send it: what is sent is always what item.json lists.

An item that already has a fixed.eml is not repaired again: its fixed.eml
is rescanned and the result printed. --redo repairs again from the
original and replaces fixed.eml atomically (a manual edit in it is lost;
its SHA-256 stays in the history).

Before anything is written, the original is checked against the size and
SHA-256 in item.json: an original that changed since it was quarantined
(tampering, disk corruption) is refused, as "replay --original" refuses
it. A replayed item is kept as it was sent: --edit, --rehash and --redo
refuse it (rescanning its fixed.eml is allowed). A restored item's
originals are back in the mail folder, so it is refused too.

IDs are arguments, or read from stdin with "-": separated by white space
(new lines, spaces or tabs; "#" starts a comment), so "mailroot quarantine
list" output can be piped (only the ID of each row is used). An item named
twice, by its ID or by two prefixes of it, is repaired once.

The store is --quarantine DIR, else $MAILROOT_QUARANTINE, else a Quarantine
folder in the current folder.

Examples:

  mailroot repair 01jq7 --diff --quarantine "D:\Mailroot\vsi 1\Quarantine"
  mailroot repair 01jq7 01jq8 --dry-run --json
  mailroot repair 01jq7 --edit
  mailroot repair 01jq7 --rehash
  mailroot repair 01jq7 --redo --diff

EXIT STATUS
  0   repaired (or nothing to repair), and nothing at or above --block-at
      remains in what replay would send
  1   findings at or above --block-at remain: a manual fix is needed
  2   bad usage, or a fatal error (store missing, unsafe)
  2   also an unknown or ambiguous ID: IDs are resolved first, and a typo
      changes nothing
  3   partial: some items could not be repaired (read error) or were
      refused (original changed, item replayed or restored)
  11  the store is locked by another mailroot process`

type repairOptions struct {
	store   quarantineOptions
	dryRun  bool
	diff    bool
	edit    bool
	rehash  bool
	redo    bool
	blockAt mime.Severity
}

func init() {
	register(&command{
		Name:  "repair",
		Args:  "[flags] ID...",
		Short: "write a repaired copy (fixed.eml) of quarantined messages",
		Long:  repairLong,
		Setup: func(fs *flag.FlagSet, e *env) runFunc {
			o := &repairOptions{blockAt: mime.High}
			e.addJSONFlag(fs)
			fs.StringVar(&o.store.dir, "quarantine", "", "quarantine store `DIR`")
			fs.BoolVar(&o.dryRun, "dry-run", false, "print the changes; write nothing")
			fs.BoolVar(&o.dryRun, "n", false, "short for --dry-run")
			fs.BoolVar(&o.diff, "diff", false, "show header changes as a unified diff and summarise body changes")
			fs.BoolVar(&o.edit, "edit", false, "create fixed.eml from the original if absent and print its path (opens $EDITOR on a terminal)")
			fs.BoolVar(&o.rehash, "rehash", false, "record the SHA-256 of a fixed.eml edited by hand, then rescan it")
			fs.BoolVar(&o.redo, "redo", false, "repair again from the original, replacing fixed.eml (its old SHA-256 stays in the history)")
			fs.Var(severityFlag{&o.blockAt}, "block-at", "`SEVERITY` that still needs a fix (low, medium, high, crash)")
			return func(ctx context.Context, args []string) error {
				return runRepair(ctx, e, o, args)
			}
		},
	})
}

// repairJSON is the --json line for one item.
type repairJSON struct {
	Kind     string `json:"kind"` // "repair"
	ID       string `json:"id"`
	Path     string `json:"path,omitempty"` // fixed.eml
	Written  bool   `json:"written"`
	Existing bool   `json:"existing,omitempty"` // fixed.eml was already there
	Replaced bool   `json:"replaced,omitempty"` // --redo replaced fixed.eml
	// Rehashed is set by --rehash (and --edit with $EDITOR) when fixed.eml
	// had changed: item.json now lists SHA256, and the history OldSHA256.
	Rehashed  bool            `json:"rehashed,omitempty"`
	OldSHA256 string          `json:"old_sha256,omitempty"`
	SHA256    string          `json:"sha256,omitempty"`
	rehashRun bool            // --rehash ran (text output)
	Changes   []repair.Change `json:"changes"`
	Manual    []repair.Manual `json:"manual,omitempty"`
	Remaining []mime.Finding  `json:"remaining"`
	Blocking  int             `json:"blocking"`
	Error     string          `json:"error,omitempty"`
}

func runRepair(ctx context.Context, e *env, o *repairOptions, args []string) (err error) {
	ids, err := readIDs(e, args)
	if err != nil {
		return err
	}
	if len(ids) == 0 {
		return usageErrorf("repair needs at least one ID (or - to read IDs from stdin)")
	}
	if o.edit && o.dryRun {
		return usageErrorf("--edit and --dry-run do not go together")
	}
	if n := btoi(o.edit) + btoi(o.rehash) + btoi(o.redo); n > 1 {
		return usageErrorf("--edit, --rehash and --redo are separate steps: use one at a time")
	}
	if o.rehash && o.dryRun {
		return usageErrorf("--rehash and --dry-run do not go together")
	}
	ss, st, err := openOne(e, &o.store)
	if err != nil {
		return err
	}
	defer ss.closeInto(&err)
	ids, err = uniqueIDs(st, ids)
	if err != nil {
		return err
	}
	failed, blocked := 0, 0
	for _, id := range ids {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		out, rerr := repairOne(e, o, st, id)
		if rerr != nil {
			failed++
			out.Error = rerr.Error()
			if e.json {
				_ = newJSONLines(e.stdout).write(out)
			}
			fmt.Fprintf(e.stderr, "mailroot: %s\n", sanitizeLine(rerr.Error()))
			continue
		}
		if out.Blocking > 0 {
			blocked++
		}
		if e.json {
			_ = newJSONLines(e.stdout).write(out)
		} else {
			printRepair(e.stdout, out)
		}
	}
	switch {
	case failed > 0:
		return &exitError{code: exitPartial}
	case blocked > 0:
		return &exitError{code: exitSuspects}
	}
	return nil
}

func repairOne(e *env, o *repairOptions, st *quarantine.Store, idArg string) (*repairJSON, error) {
	out := &repairJSON{Kind: "repair", ID: idArg, Changes: []repair.Change{}, Remaining: []mime.Finding{}}
	id, err := st.Resolve(idArg)
	if err != nil {
		return out, err
	}
	out.ID = id
	rec, err := st.Get(id)
	if err != nil {
		return out, err
	}
	fixedPath, err := st.Path(id, replay.FixedName)
	if err != nil {
		return out, err
	}
	hasFixed := false
	for _, f := range rec.Files {
		hasFixed = hasFixed || f.Name == replay.FixedName
	}
	// The state first: every mode (--edit, --rehash, --redo, a plain
	// repair) writes into item.json or fixed.eml, and what a restored or
	// replayed item holds must stay as it is.
	if err := checkRepairState(o, rec, hasFixed); err != nil {
		return out, fmt.Errorf("repair %s: %w", id, err)
	}
	orig := originalMessage(rec)
	if orig == nil {
		return out, fmt.Errorf("repair %s: the item has no message file", id)
	}
	origPath, err := st.Path(id, orig.Name)
	if err != nil {
		return out, err
	}
	raw, err := readOriginal(origPath, orig)
	if err != nil {
		return out, fmt.Errorf("repair %s: %w", id, err)
	}

	if o.edit {
		if !hasFixed {
			if _, err := st.WriteFile(id, replay.FixedName, replay.RoleFixed, bytes.NewReader(raw)); err != nil {
				return out, err
			}
			if err := st.SetState(id, quarantine.StateRepaired, quarantine.Event{Action: "repaired", Detail: "fixed.eml created from the original for a manual fix (--edit)"}); err != nil {
				return out, err
			}
			out.Written = true
		}
		out.Path, out.Existing = fixedPath, hasFixed
		if !e.json {
			fmt.Fprintln(e.stdout, fixedPath)
		}
		if ed := os.Getenv("EDITOR"); ed != "" && stdinIsTerminal(e) {
			cmd := exec.Command(ed, fixedPath)
			cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
			if err := cmd.Run(); err != nil {
				return out, fmt.Errorf("repair %s: editor %s: %w", id, ed, err)
			}
			// The edit was made through this command: record it now.
			if err := rehashInto(out, st, id); err != nil {
				return out, err
			}
		}
		return out, rescanInto(out, fixedPath, rec.Folder, o.blockAt)
	}

	if o.rehash {
		if !hasFixed {
			return out, fmt.Errorf("repair %s: no %s to re-record: run `mailroot repair %s` or `mailroot repair %s --edit` first", id, replay.FixedName, id, id)
		}
		out.Path, out.rehashRun = fixedPath, true
		if err := rehashInto(out, st, id); err != nil {
			return out, err
		}
		return out, rescanInto(out, fixedPath, rec.Folder, o.blockAt)
	}

	if hasFixed && !o.redo {
		out.Path, out.Existing = fixedPath, true
		return out, rescanInto(out, fixedPath, rec.Folder, o.blockAt)
	}

	rep, err := mime.Scan(bytes.NewReader(raw), mime.Options{Folder: rec.Folder})
	if err != nil {
		return out, fmt.Errorf("repair %s: scan %s: %w", id, origPath, err)
	}
	fixed, res, err := repair.Repair(raw, repair.Options{Folder: rec.Folder, FileTime: orig.ModTime, Findings: rep.Findings})
	if err != nil {
		return out, fmt.Errorf("repair %s: %w", id, err)
	}
	out.Changes, out.Manual = res.Changes, res.Manual
	if o.diff && !e.json {
		printRepairDiff(e.stdout, id, raw, fixed)
	}
	if len(res.Changes) == 0 {
		// Nothing to fix: what remains is what the original holds.
		out.Remaining = rep.Findings
		countBlocking(out, o.blockAt)
		return out, nil
	}
	rescan, err := mime.Scan(bytes.NewReader(fixed), mime.Options{Folder: rec.Folder})
	if err != nil {
		return out, err
	}
	out.Remaining = rescan.Findings
	countBlocking(out, o.blockAt)
	if o.dryRun {
		return out, nil
	}
	write := st.WriteFile
	if hasFixed {
		write = st.ReplaceFile // --redo
	}
	f, err := write(id, replay.FixedName, replay.RoleFixed, bytes.NewReader(fixed))
	if err != nil {
		return out, err
	}
	out.Written, out.Replaced, out.Path, out.SHA256 = true, hasFixed, fixedPath, f.SHA256
	detail, _ := json.Marshal(struct {
		File    string          `json:"file"`
		Changes []repair.Change `json:"changes"`
		Manual  []repair.Manual `json:"manual,omitempty"`
		Remain  []string        `json:"remaining_rules,omitempty"`
	}{replay.FixedName, res.Changes, res.Manual, rulesOf(rescan.Findings)})
	if err := st.SetState(id, quarantine.StateRepaired, quarantine.Event{Action: "repaired", Detail: string(detail), Files: []string{replay.FixedName}}); err != nil {
		return out, err
	}
	return out, nil
}

// checkRepairState refuses what repair must not do to an item in its
// state. Quarantined and repaired items are repaired. A replayed item is
// kept as it was sent: --edit, --rehash and --redo are refused, and so is a
// plain repair that would write a fixed.eml (one replayed from its
// original); rescanning its fixed.eml, or a --dry-run, writes nothing and is
// allowed. A restored item's originals were moved back to the mail folder
// and are no longer in the store; a pending one is in the middle of a move.
func checkRepairState(o *repairOptions, rec *quarantine.Record, hasFixed bool) error {
	switch rec.State {
	case quarantine.StateQuarantined, quarantine.StateRepaired:
		return nil
	case quarantine.StateReplayed:
		if !o.edit && !o.rehash && !o.redo && (hasFixed || o.dryRun) {
			return nil
		}
		sent := replayedSource(rec)
		if sent == "" && hasFixed {
			sent = replay.FixedName
		}
		if sent == replay.FixedName {
			return fmt.Errorf("%w: already replayed; its fixed.eml is what was sent and is kept", quarantine.ErrState)
		}
		what := "its original"
		if sent != "" {
			what = "its original " + sent
		}
		return fmt.Errorf("%w: already replayed (%s was sent); a replayed item is kept as it was sent: no fixed.eml is written, replaced or re-recorded", quarantine.ErrState, what)
	case quarantine.StateRestored:
		return fmt.Errorf("%w: it was restored: its original files were moved back to %s and are no longer in the store; quarantine them again to repair them", quarantine.ErrState, rec.OriginalDir)
	case quarantine.StatePending:
		return fmt.Errorf("%w: its move is unresolved (run mailroot quarantine recover)", quarantine.ErrState)
	}
	return fmt.Errorf("%w: it is %s", quarantine.ErrState, rec.State)
}

// replayedSource returns the file the last replay of rec sent, from its
// history ("" when no replay recorded one).
func replayedSource(rec *quarantine.Record) string {
	prev := replay.Replayed(rec)
	if len(prev) == 0 {
		return ""
	}
	var d struct {
		Source string `json:"source"`
	}
	if json.Unmarshal([]byte(prev[len(prev)-1].Detail), &d) != nil {
		return ""
	}
	return d.Source
}

// readOriginal reads an item's original file from the store and checks the
// bytes it read against the size and SHA-256 item.json recorded at
// quarantine time. An original that changed since (evidence tampered with,
// disk corruption) is refused: repairing it would launder the change into a
// recorded fixed.eml that replay then trusts. The bytes checked are the
// bytes returned (one read, so nothing can change between the check and the
// use), and at most one byte more than the recorded size is read.
func readOriginal(path string, want *quarantine.File) ([]byte, error) {
	changed := func(err error) error {
		return fmt.Errorf("the original %s changed since it was quarantined: %w; refusing to repair from it (run \"mailroot quarantine verify\")", want.Name, err)
	}
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("the original %s is missing from the store (%s); run \"mailroot quarantine verify\"", want.Name, path)
	}
	if err != nil {
		return nil, err
	}
	notRegular := func(fi fs.FileInfo) error {
		return fmt.Errorf("the original %s in the store is not a regular file (%s: %s); refusing to repair from it", want.Name, path, fi.Mode().Type())
	}
	if !fi.Mode().IsRegular() {
		return nil, notRegular(fi)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil {
		return nil, err
	} else if !fi.Mode().IsRegular() {
		return nil, notRegular(fi)
	}
	raw, err := io.ReadAll(io.LimitReader(f, want.Size+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	n := int64(len(raw))
	if n > want.Size {
		// Only one byte past the recorded size was read: report the
		// file's size.
		if fi, err := f.Stat(); err == nil && fi.Size() > n {
			n = fi.Size()
		}
	}
	sum := sha256.Sum256(raw)
	got := hex.EncodeToString(sum[:])
	if n != want.Size || got != want.SHA256 {
		if n != int64(len(raw)) {
			got = "" // not all of it was hashed
		}
		return nil, changed(&quarantine.HashMismatchError{Path: path, WantSHA256: want.SHA256, GotSHA256: got, WantSize: want.Size, GotSize: n})
	}
	return raw, nil
}

// uniqueIDs resolves each ID or prefix to its full ID and drops repeats,
// keeping the first-seen order: "repair A A", an ID listed twice on stdin,
// or two prefixes of one ID repair the item once. Every ID is resolved
// before anything is done, as restore does: an unknown or ambiguous one is
// a usage error (status 2) and a typo changes nothing.
func uniqueIDs(st *quarantine.Store, args []string) ([]string, error) {
	seen := make(map[string]bool, len(args))
	out := make([]string, 0, len(args))
	for _, a := range args {
		id, err := st.Resolve(a)
		if err != nil {
			return nil, idError(err)
		}
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out, nil
}

// rehashInto records the current hash of a fixed.eml edited by hand.
func rehashInto(out *repairJSON, st *quarantine.Store, id string) error {
	old, cur, changed, err := st.Rehash(id, replay.FixedName, "edited by hand")
	if err != nil {
		return err
	}
	out.Rehashed, out.SHA256 = changed, cur.SHA256
	if changed {
		out.OldSHA256 = old.SHA256
	}
	return nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func originalMessage(rec *quarantine.Record) *quarantine.File {
	for i := range rec.Files {
		if rec.Files[i].IsOriginal() && rec.Files[i].Role == quarantine.RoleMessage {
			return &rec.Files[i]
		}
	}
	return nil
}

func rescanInto(out *repairJSON, path string, folder mime.Folder, blockAt mime.Severity) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	rep, err := mime.Scan(f, mime.Options{Folder: folder})
	if err != nil {
		return fmt.Errorf("scan %s: %w", path, err)
	}
	out.Remaining = rep.Findings
	countBlocking(out, blockAt)
	return nil
}

func countBlocking(out *repairJSON, blockAt mime.Severity) {
	out.Blocking = 0
	for _, f := range out.Remaining {
		if f.Severity >= blockAt {
			out.Blocking++
		}
	}
}

func rulesOf(fs []mime.Finding) []string {
	seen := map[string]bool{}
	var out []string
	for _, f := range fs {
		if !seen[f.Rule] {
			seen[f.Rule] = true
			out = append(out, f.Rule)
		}
	}
	return out
}

func stdinIsTerminal(e *env) bool {
	f, ok := e.stdin.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func printRepair(w io.Writer, r *repairJSON) {
	switch {
	case r.Rehashed:
		fmt.Fprintf(w, "%s: fixed.eml re-recorded (edited by hand), sha256 %s -> %s: %s\n", r.ID, r.OldSHA256, r.SHA256, r.Path)
	case r.rehashRun:
		fmt.Fprintf(w, "%s: fixed.eml unchanged since it was recorded (sha256 %s): %s\n", r.ID, r.SHA256, r.Path)
	case r.Existing:
		fmt.Fprintf(w, "%s: fixed.eml already exists: %s\n", r.ID, r.Path)
	case r.Replaced:
		fmt.Fprintf(w, "%s: fixed.eml replaced (%s; the old sha256 is kept in the history): %s\n", r.ID, plural(len(r.Changes), "change"), r.Path)
	case r.Written && len(r.Changes) == 0:
		fmt.Fprintf(w, "%s: fixed.eml created from the original: %s\n", r.ID, r.Path)
	case r.Written:
		fmt.Fprintf(w, "%s: fixed.eml written (%s): %s\n", r.ID, plural(len(r.Changes), "change"), r.Path)
	case len(r.Changes) == 0:
		fmt.Fprintf(w, "%s: nothing to repair automatically\n", r.ID)
	default:
		fmt.Fprintf(w, "%s: would make %s (dry run)\n", r.ID, plural(len(r.Changes), "change"))
	}
	for _, c := range r.Changes {
		fmt.Fprintf(w, "  fixed   %-8s part %s  line %d  offset %d: %s\n", c.Rule, c.Part, c.Line, c.Offset, sanitizeLine(c.What))
	}
	for _, m := range r.Manual {
		fmt.Fprintf(w, "  manual  %-8s part %s  line %d  offset %d: %s\n", m.Rule, m.Part, m.Line, m.Offset, sanitizeLine(m.Why))
	}
	if len(r.Remaining) == 0 {
		fmt.Fprintf(w, "  no findings remain\n")
		return
	}
	fmt.Fprintf(w, "  remaining findings (%d at or above the blocking severity):\n", r.Blocking)
	for _, f := range r.Remaining {
		printFinding(w, "    ", f)
	}
}

// printRepairDiff prints the header change as a unified diff and a line
// about the body.
func printRepairDiff(w io.Writer, id string, before, after []byte) {
	hb, bb := splitHeader(before)
	ha, ba := splitHeader(after)
	fmt.Fprintf(w, "--- %s/original (header)\n+++ %s/fixed.eml (header)\n", id, id)
	for _, l := range unifiedLines(headerLines(hb), headerLines(ha)) {
		fmt.Fprintln(w, sanitizeLine(l))
	}
	switch {
	case bytes.Equal(bb, ba):
		fmt.Fprintf(w, "body: unchanged (%d bytes)\n", len(bb))
	default:
		fmt.Fprintf(w, "body: %d bytes -> %d bytes, %d -> %d lines\n", len(bb), len(ba), bytes.Count(bb, []byte("\n")), bytes.Count(ba, []byte("\n")))
	}
}

func splitHeader(b []byte) (header, body []byte) {
	for _, sep := range []string{"\r\n\r\n", "\n\n"} {
		if i := bytes.Index(b, []byte(sep)); i >= 0 {
			return b[:i+len(sep)/2], b[i+len(sep):]
		}
	}
	return b, nil
}

func headerLines(b []byte) []string {
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		out = append(out, strings.TrimRight(sc.Text(), "\r"))
	}
	return out
}

// unifiedLines is a small LCS diff of two short line lists, printed with
// " ", "-" and "+" prefixes (no hunks: headers are short).
func unifiedLines(a, b []string) []string {
	if len(a)*len(b) > 4<<20 {
		out := []string{"@@ header too large for a line diff @@"}
		for _, l := range a {
			out = append(out, "-"+l)
		}
		for _, l := range b {
			out = append(out, "+"+l)
		}
		return out
	}
	n, m := len(a), len(b)
	lcs := make([][]int, n+1)
	for i := range lcs {
		lcs[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	out := []string{fmt.Sprintf("@@ -1,%d +1,%d @@", n, m)}
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && a[i] == b[j]:
			out = append(out, " "+a[i])
			i++
			j++
		case i < n && (j == m || lcs[i+1][j] >= lcs[i][j+1]):
			out = append(out, "-"+a[i])
			i++
		default:
			out = append(out, "+"+b[j])
			j++
		}
	}
	return out
}

// readIDs returns the IDs from args; "-" reads more from stdin, where IDs
// are separated by any white space (new lines, spaces, tabs) and "#" starts
// a comment that runs to the end of its line. The output of "mailroot
// quarantine list" can be piped in: from each of its rows (an ID, then
// columns that include the item's state) only the ID is taken, and its
// title and count lines are skipped; from a --json line, the "id" member.
func readIDs(e *env, args []string) ([]string, error) {
	var ids []string
	for _, a := range args {
		if a != "-" {
			ids = append(ids, a)
			continue
		}
		if e.stdin == nil {
			return nil, usageErrorf("- given but there is no stdin")
		}
		sc := bufio.NewScanner(e.stdin)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			if strings.HasPrefix(line, "{") {
				var v struct {
					ID string `json:"id"`
				}
				if json.Unmarshal([]byte(line), &v) == nil && v.ID != "" {
					ids = append(ids, v.ID)
				}
				continue
			}
			if i := strings.IndexByte(line, '#'); i >= 0 {
				line = line[:i]
			}
			f := strings.Fields(line)
			switch {
			case len(f) == 0:
			case len(f) > 1 && f[0] == "ID" && f[1] == "AGE",
				len(f) == 2 && f[1] == "item(s)":
				// The title and count lines of "quarantine list".
			case isListRow(f):
				ids = append(ids, f[0])
			default:
				ids = append(ids, f...)
			}
		}
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("read IDs from stdin: %w", err)
		}
	}
	return ids, nil
}

// isListRow reports whether the fields of a line are a row of "mailroot
// quarantine list": a full ID, then columns (age, size, state, folder,
// rules, original folder) among which is a state name. A list of IDs never
// holds a state name, so such a line is never mistaken for one.
func isListRow(f []string) bool {
	if len(f) < 3 {
		return false
	}
	if id, err := quarantine.NormalizeID(f[0]); err != nil || len(id) != quarantine.IDLen {
		return false
	}
	for _, w := range f[1:] {
		switch quarantine.State(w) {
		case quarantine.StatePending, quarantine.StateQuarantined, quarantine.StateRestored, quarantine.StateRepaired, quarantine.StateReplayed:
			return true
		}
	}
	return false
}

// plural writes "1 change", "2 changes".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
