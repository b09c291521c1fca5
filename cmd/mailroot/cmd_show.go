package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/mailroot/mailroot/mime"
	"github.com/mailroot/mailroot/queue"
)

func init() {
	register(&command{
		Name:  "show",
		Args:  "[--folder KIND] [--json] FILE",
		Short: "print one message in forensic depth",
		Long: `
Show scans one message file and prints everything mailroot knows about it:
size, times and SHA-256; the SMTP envelope it carries (pickup x-sender and
x-receiver lines, Drop and Replay X-Sender/X-Receiver headers); every
top-level header field with its offset and line; the MIME tree with part
paths, offsets and sizes; and every finding with an escaped excerpt. For a
BadMail .BAD it also lists the .BDR and .BDP beside it and the .BDR reason.

The folder kind decides which rules apply (STR-003 only in pickup-like
folders); it is taken from the name of the folder the file is in (Queue,
PickUp, BadMail, Drop, Replay), else generic. Override it with --folder.

Show never prints raw message bytes: header values and excerpts are
escaped, so a hostile message cannot drive the terminal.

Examples:

  mailroot show "vsi 1\Queue\NTFS_0000000000000001.EML"
  mailroot show --folder pickup message.eml --json

EXIT STATUS
  0  the message was shown; no finding at or above --quarantine-at
  1  the message was shown; it has a finding at or above --quarantine-at
     (default crash)
  2  bad usage, or the file cannot be read`,
		Setup: func(fs *flag.FlagSet, e *env) runFunc {
			var folder string
			at := mime.Crash
			e.addJSONFlag(fs)
			fs.StringVar(&folder, "folder", "", "treat the file as coming from a folder of this `KIND`: "+folderKinds())
			fs.Var(severityFlag{&at}, "quarantine-at", "exit 1 when a finding is at or above `SEVERITY`")
			limits := mime.DefaultLimits()
			fs.Var(limitFlag{&limits}, "limit", "change a rule threshold, `NAME=VALUE` (repeatable)")
			return func(ctx context.Context, args []string) error {
				return runShow(ctx, e, folder, at, limits, args)
			}
		},
	})
}

// jsonShow is the --json output of show: a scan message object plus the
// forensic detail.
type jsonShow struct {
	jsonMessage
	Lines        int          `json:"lines"`
	Created      string       `json:"created,omitempty"`
	ReadOnly     bool         `json:"read_only,omitempty"`
	Fields       []mime.Field `json:"fields"`
	Parts        []mime.Part  `json:"parts"`
	PartsOmitted int          `json:"parts_omitted,omitempty"`
}

func runShow(ctx context.Context, e *env, folder string, at mime.Severity, limits mime.Limits, args []string) error {
	if len(args) != 1 {
		return withHint(usageErrorf("show needs exactly one FILE"), "usage: mailroot show [--folder KIND] [--json] FILE")
	}
	path := args[0]
	fi, err := os.Stat(path)
	if err != nil {
		return pathError(path, err)
	}
	if fi.IsDir() {
		return withHint(fmt.Errorf("%s is a folder; show takes one message file", path),
			fmt.Sprintf("to scan a folder: mailroot scan --dry-run %q", path))
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s: not a regular file", path)
	}
	var role mime.Folder
	if folder != "" {
		if role, err = mime.ParseFolder(folder); err != nil {
			return withHint(usageErrorf("--folder: %v", err), "folder kinds: "+folderKinds())
		}
	}
	it, err := showItem(ctx, path, role)
	if err != nil {
		return err
	}
	if it.Path != path {
		fmt.Fprintf(e.stderr, "mailroot: %s belongs to the BadMail unit of %s: showing that message\n", sanitizeLine(path), sanitizeLine(it.Path))
		path = it.Path
	}
	if looksBinary(path) {
		fmt.Fprintf(e.stderr, "mailroot: warning: %s looks like binary data, not a mail message; showing what the scanner makes of it\n", sanitizeLine(path))
	}
	f, err := os.Open(path)
	if err != nil {
		return pathError(path, err)
	}
	defer f.Close()
	rep, err := mime.Scan(f, mime.Options{Folder: it.Folder, Limits: limits, KeepFields: true})
	if err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	s := &suspect{Item: *it, Report: rep}
	s.useReadSize()
	s.Findings = append(append([]mime.Finding(nil), it.Findings...), rep.Findings...)
	for _, f := range s.Findings {
		if f.Severity > s.Max {
			s.Max = f.Severity
		}
	}
	s.Action = actionNone
	var result error
	if s.Max != 0 && s.Max >= at {
		result = &exitError{code: exitSuspects}
	}
	c := &collector{se: &scanEnv{env: e, opts: &scanOptions{minSeverity: mime.Low}, now: nowFunc()}}
	if e.json {
		out := &errWriter{w: e.stdout}
		js := jsonShow{jsonMessage: *c.jsonMessage(s), Lines: rep.Lines, Created: rfc3339(it.Created), ReadOnly: it.ReadOnly,
			Fields: rep.Fields, Parts: rep.Parts, PartsOmitted: rep.PartsOmitted}
		js.Kind = "show"
		if js.Fields == nil {
			js.Fields = []mime.Field{}
		}
		if js.Parts == nil {
			js.Parts = []mime.Part{}
		}
		if err := newJSONLines(out).write(js); err != nil {
			return out.err
		}
		return result
	}
	out := &errWriter{w: e.stdout}
	printShow(out, c.se, s)
	if out.err != nil {
		return out.err
	}
	return result
}

// showItem finds the queue item for one file: its folder role from the
// folder it is in (or role, if given), and for a BadMail file its siblings.
func showItem(ctx context.Context, path string, role mime.Folder) (*queue.Item, error) {
	var l *queue.Layout
	var err error
	if role != "" {
		l, err = queue.Explicit(path, role)
	} else {
		l, err = queue.Detect(path)
	}
	if err != nil {
		return nil, pathError(path, err)
	}
	var found *queue.Item
	var skip *queue.Skip
	err = queue.Walk(ctx, l, queue.WalkOptions{Skipped: func(s queue.Skip) { skip = &s }}, func(it queue.Item) error {
		if found == nil {
			found = &it
		}
		return nil
	})
	if err != nil {
		return nil, pathError(path, err)
	}
	if found == nil {
		if skip != nil && skip.Err != nil {
			return nil, pathError(path, skip.Err)
		}
		// Passed over by design (a pickup .tmp): show it anyway, as asked.
		fi, err := os.Stat(path)
		if err != nil {
			return nil, pathError(path, err)
		}
		r := role
		if r == "" {
			r = mime.FolderGeneric
		}
		found = &queue.Item{Path: path, Folder: r, Size: fi.Size(), ModTime: fi.ModTime(),
			Members: []queue.Member{{Path: path, Role: "message", Size: fi.Size(), ModTime: fi.ModTime()}}}
	}
	// A BadMail unit is emitted at its .BAD. Its .BDR and .BDP are no
	// messages: asked for one, show the unit's .BAD, as scan does.
	if found.Folder == mime.FolderBadMail {
		var asked, msg *queue.Member
		for i, m := range found.Members {
			if filepath.Clean(m.Path) == filepath.Clean(path) {
				asked = &found.Members[i]
			}
			if m.Role == "message" {
				msg = &found.Members[i]
			}
		}
		if asked != nil && asked.Role != "message" {
			if msg == nil {
				err := fmt.Errorf("%s is the %s file of a BadMail unit with no .BAD: there is no message to show", path, strings.ToUpper(asked.Role))
				if found.Reason != "" {
					return nil, withHint(err, "its reason: "+sanitizeLine(strings.Join(strings.Fields(found.Reason), " ")))
				}
				return nil, err
			}
			found.Path, found.Size, found.ModTime = msg.Path, msg.Size, msg.ModTime
			return found, nil
		}
	}
	if filepath.Clean(found.Path) != filepath.Clean(path) {
		found.Path = path
		for _, m := range found.Members {
			if filepath.Clean(m.Path) == filepath.Clean(path) {
				found.Size, found.ModTime = m.Size, m.ModTime
			}
		}
	}
	return found, nil
}

// looksBinary reports whether the start of a file looks like binary data
// rather than mail text: a NUL byte, or mostly bytes that are neither
// printable ASCII, white space nor UTF-8 continuation-friendly high bytes.
func looksBinary(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	buf := make([]byte, 4096)
	n, _ := io.ReadFull(f, buf)
	buf = buf[:n]
	if n == 0 {
		return false
	}
	bad := 0
	for _, c := range buf {
		switch {
		case c == 0:
			return true
		case c == '\r' || c == '\n' || c == '\t' || (c >= 0x20 && c < 0x7f) || c >= 0x80:
		default:
			bad++
		}
	}
	return bad*10 > n
}

func printShow(w io.Writer, se *scanEnv, s *suspect) {
	it, r := &s.Item, s.Report
	fmt.Fprintf(w, "file:       %s\n", sanitizeLine(it.Path))
	fmt.Fprintf(w, "folder:     %s\n", it.Folder)
	fmt.Fprintf(w, "size:       %d bytes (%s), %d lines\n", r.Size, humanBytes(r.Size), r.Lines)
	if s.ChangedWhileRead {
		fmt.Fprintf(w, "note:       file changed while it was read (listed %d bytes, read %d)\n", s.ListedSize, r.Size)
	}
	fmt.Fprintf(w, "modified:   %s (%s)\n", rfc3339(it.ModTime), humanAge(se.now, it.ModTime))
	if !it.Created.IsZero() {
		fmt.Fprintf(w, "created:    %s\n", rfc3339(it.Created))
	}
	if it.ReadOnly {
		fmt.Fprintf(w, "attributes: read-only\n")
	}
	fmt.Fprintf(w, "sha256:     %s\n", r.SHA256)
	if len(it.Members) > 1 || it.Folder == mime.FolderBadMail {
		fmt.Fprintf(w, "members:\n")
		for _, m := range it.Members {
			fmt.Fprintf(w, "  %-8s %10d  %s\n", m.Role, m.Size, sanitizeLine(m.Path))
		}
	}
	for _, m := range it.Members {
		for _, st := range m.Streams {
			fmt.Fprintf(w, "stream:     %s:%s (%d bytes)\n", sanitizeLine(filepath.Base(m.Path)), sanitizeLine(st.Name), st.Size)
		}
	}
	if it.Reason != "" {
		fmt.Fprintf(w, "reason:     %s\n", sanitizeLine(oneLine(it.Reason)))
	}
	if env := r.Envelope; env != nil {
		fmt.Fprintf(w, "\nenvelope (%s format):\n", sanitizeLine(env.Format))
		fmt.Fprintf(w, "  sender:    %s%s\n", sanitizeLine(orNone(env.Sender)), params(env.Params, ""))
		for _, rc := range env.Recipients {
			fmt.Fprintf(w, "  recipient: %s%s\n", sanitizeLine(rc), params(env.Params, rc))
		}
	}
	h := r.Headers
	fmt.Fprintf(w, "\nheader summary:\n")
	fmt.Fprintf(w, "  from:       %s\n", sanitizeLine(orNone(h.From)))
	if h.Sender != "" {
		fmt.Fprintf(w, "  sender:     %s\n", sanitizeLine(h.Sender))
	}
	fmt.Fprintf(w, "  recipients: to %d, cc %d, bcc %d\n", h.To, h.Cc, h.Bcc)
	fmt.Fprintf(w, "  subject:    %s\n", sanitizeLine(orNone(h.Subject)))
	fmt.Fprintf(w, "  date:       %s\n", sanitizeLine(orNone(h.Date)))
	fmt.Fprintf(w, "  message-id: %s\n", sanitizeLine(orNone(h.MessageID)))

	fmt.Fprintf(w, "\nheader fields (%d):\n", len(r.Fields))
	for _, f := range r.Fields {
		fmt.Fprintf(w, "  %6d %5d  %s: %s\n", f.Offset, f.Line, sanitizeLine(f.Name), sanitizeLine(f.Value))
	}

	fmt.Fprintf(w, "\nMIME tree (%s", countOf(int64(len(r.Parts)), "part"))
	if r.PartsOmitted > 0 {
		fmt.Fprintf(w, ", %d more not listed", r.PartsOmitted)
	}
	fmt.Fprintf(w, "):\n")
	fmt.Fprintf(w, "  %-30s %9s %9s %9s %9s\n", "part  type", "header@", "body@", "end@", "size")
	for _, p := range r.Parts {
		label := strings.Repeat("  ", p.Depth) + p.Path + "  " + orNone(p.ContentType)
		fmt.Fprintf(w, "  %-30s %9d %9d %9d %9d", sanitizeLine(label), p.HeaderOffset, p.BodyOffset, p.EndOffset, p.Size)
		var attrs []string
		for _, a := range [][2]string{{"charset", p.Charset}, {"encoding", p.Encoding}, {"disposition", p.Disposition}, {"filename", p.Filename}, {"boundary", p.Boundary}} {
			if a[1] != "" {
				attrs = append(attrs, a[0]+"="+a[1])
			}
		}
		if len(attrs) > 0 {
			fmt.Fprintf(w, "  %s", sanitizeLine(strings.Join(attrs, " ")))
		}
		fmt.Fprintln(w)
	}

	fmt.Fprintf(w, "\nfindings (%d", len(s.Findings))
	if r.FindingsOmitted > 0 {
		fmt.Fprintf(w, ", %d more not kept", r.FindingsOmitted)
	}
	if s.Max != 0 {
		fmt.Fprintf(w, ", highest %s", s.Max)
	}
	fmt.Fprintf(w, "):\n")
	for _, f := range s.Findings {
		printFinding(w, "  ", f)
	}
}

func params(p map[string]string, key string) string {
	if v := p[key]; v != "" {
		return "  [" + sanitizeLine(v) + "]"
	}
	return ""
}
