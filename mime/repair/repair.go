package repair

import (
	"bytes"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/mailroot/mailroot/mime"
)

// Options controls one Repair.
type Options struct {
	// Folder is the kind of folder the message came from. Dot-stuffing
	// (STR-003) is applied only to FolderPickup files, the one place where
	// its meaning is documented (KB 221384).
	Folder mime.Folder
	// FileTime replaces a Date that does not parse (HDR-002); usually the
	// file's modification time. Zero leaves such a Date for a manual fix.
	FileTime time.Time
	// Limits are the scanner thresholds; the zero value means
	// mime.DefaultLimits(). LineLength decides which lines are re-folded or
	// re-encoded (STR-004).
	Limits mime.Limits
	// Findings, when set, are the scanner's findings for the input: those
	// whose rule has no fixer are returned in Result.Manual.
	Findings []mime.Finding
	// MaxSize refuses inputs larger than this many bytes (the repair works
	// in memory); 0 means 512 MiB.
	MaxSize int64
}

// Change is one edit a fixer made. Offset and Line say where in the input
// the edited bytes started; Part is the MIME part path.
type Change struct {
	Rule   string `json:"rule"`
	What   string `json:"what"`
	Part   string `json:"part"`
	Offset int64  `json:"offset"`
	Line   int    `json:"line"`
}

func (c Change) String() string {
	return fmt.Sprintf("%s part %s line %d offset %d: %s", c.Rule, c.Part, c.Line, c.Offset, c.What)
}

// Manual is a defect that Repair did not fix because no fix is safe.
type Manual struct {
	Rule   string `json:"rule"`
	Part   string `json:"part"`
	Offset int64  `json:"offset"`
	Line   int    `json:"line"`
	Why    string `json:"why"`
}

func (m Manual) String() string {
	return fmt.Sprintf("%s part %s line %d offset %d: needs a manual fix: %s", m.Rule, m.Part, m.Line, m.Offset, m.Why)
}

// Result lists what Repair did and what it left.
type Result struct {
	Changes []Change `json:"changes"`
	Manual  []Manual `json:"manual,omitempty"`
}

// Fixed returns the rules that Repair changed something for and has no
// manual entry for, sorted: a rescan of the output should not report them.
func (r *Result) Fixed() []string {
	manual := map[string]bool{}
	for _, m := range r.Manual {
		manual[m.Rule] = true
	}
	seen := map[string]bool{}
	var out []string
	for _, c := range r.Changes {
		if !manual[c.Rule] && !seen[c.Rule] {
			seen[c.Rule] = true
			out = append(out, c.Rule)
		}
	}
	sort.Strings(out)
	return out
}

// SizeError is returned for an input larger than Options.MaxSize.
type SizeError struct{ Size, Max int64 }

func (e *SizeError) Error() string {
	return fmt.Sprintf("message is %d bytes, more than the %d that repair handles in memory", e.Size, e.Max)
}

// fixable lists the rules with a fixer, each with a one-line summary.
var fixable = map[string]string{
	"STR-001": "an empty line is inserted where the body begins (a line that is not a header field and is not followed by one)",
	"STR-002": "line endings become CRLF",
	"STR-003": "a line holding only '.' is dot-stuffed to '..' (IIS PickUp files only)",
	"STR-004": "over-long header lines are re-folded; parts with over-long body lines are re-encoded (quoted-printable or base64)",
	"STR-006": "NUL bytes are removed from headers; a body part holding NUL is re-encoded as base64",
	"STR-007": "control bytes are removed from header values",
	"CT-001":  "an empty charset parameter is dropped",
	"CT-003":  "the parameter list is rewritten: quotes closed, empty and duplicate parameters dropped (first kept)",
	"CT-004":  "an unclosed comment is closed",
	"MP-002":  "the missing closing delimiter is added",
	"MP-004":  "one boundary= is kept (the one the body uses, else the first)",
	"ENC-001": "broken base64 is decoded as RFC 2045 says and re-encoded, or wrapped as an application/octet-stream part keeping the original bytes",
	"ENC-004": "broken quoted-printable is decoded as RFC 2045 tells readers to and encoded again",
	"ENC-005": "broken RFC 2047 words are re-encoded as UTF-8 words",
	"HDR-002": "an unparseable Date is replaced by the file time, the original kept in X-Original-Date",
}

// manualWhy explains, for rules without a safe fixer, why none exists.
var manualWhy = map[string]string{
	"STR-001":  "where the header ends is a guess; insert the empty line by hand",
	"STR-003":  "dot-stuffing is undocumented outside IIS PickUp; edit the lone '.' line",
	"HDR-005":  "the field is too long once unfolded; shortening it changes the message",
	"MP-001":   "the boundary never appears; the structure cannot be recovered safely",
	"MP-003":   "changing the boundary means rewriting every delimiter; do it by hand",
	"MP-006":   "deep nesting cannot be flattened without changing the message",
	"MP-007":   "deeply embedded messages cannot be flattened without changing the message",
	"ENC-002":  "uuencode data cannot be repaired without guessing",
	"ENC-003":  "BinHex content is best removed by hand",
	"ENC-006":  "UTF-7 text must be converted by hand",
	"ENC-007":  "truncated double-byte text cannot be completed",
	"TNEF-001": "a broken TNEF (winmail.dat) part must be removed by hand",
	"TNEF-002": "TNEF from outside must be removed or converted by hand",
	"ADDR-006": "the message has no From; add one by hand (or give replay an envelope sender)",
	"HDR-001":  "printf directives are message text; edit them by hand",
}

// Fixable reports whether Repair has a fixer for the rule, and what it does.
func Fixable(rule string) (string, bool) {
	s, ok := fixable[rule]
	return s, ok
}

// Repair returns a fixed copy of msg and what was changed. msg is not
// modified. The output of any input is a message that Scan reads without
// error; the rules in Result.Fixed() no longer match it.
func Repair(msg []byte, opts Options) ([]byte, *Result, error) {
	if opts.MaxSize <= 0 {
		opts.MaxSize = 512 << 20
	}
	if int64(len(msg)) > opts.MaxSize {
		return nil, nil, &SizeError{Size: int64(len(msg)), Max: opts.MaxSize}
	}
	if opts.Limits == (mime.Limits{}) {
		opts.Limits = mime.DefaultLimits()
	}
	r := &repairer{opts: opts, res: &Result{Changes: []Change{}}}
	text := r.normalizeEOL(msg)
	r.text = text
	r.lineStarts = lineStarts(text)
	root := r.parseEntity(text, 0, "1", 0, nil)
	r.fixEntity(root)
	out := root.serialize(nil)
	if opts.Folder == mime.FolderPickup {
		out = r.dotStuff(out)
	}
	r.addManual()
	r.addOpaqueLeftovers(out)
	sort.SliceStable(r.res.Changes, func(i, j int) bool { return r.res.Changes[i].Offset < r.res.Changes[j].Offset })
	return out, r.res, nil
}

type repairer struct {
	opts Options
	res  *Result
	text []byte // the CRLF-normalised input
	// lineStarts of text; origStarts of the input when normalisation
	// changed it (nil otherwise). Line numbers are the same in both.
	lineStarts []int
	origStarts []int
	// opaque lists the paths of multiparts left unparsed (ambiguous
	// boundaries): nothing inside them is fixed.
	opaque    []string
	opaqueOff []int           // where the body of each opaque multipart starts
	collided  map[string]bool // boundaries that a nested multipart reuses
}

// inOpaque reports whether a part path lies in an unparsed multipart.
func (r *repairer) inOpaque(part string) bool {
	for _, o := range r.opaque {
		if part == o || strings.HasPrefix(part, o+".") {
			return true
		}
	}
	return false
}

// pos maps an offset in the normalised text to the input's offset and line.
func (r *repairer) pos(off int) (int64, int) {
	i := sort.Search(len(r.lineStarts), func(i int) bool { return r.lineStarts[i] > off }) - 1
	if i < 0 {
		i = 0
	}
	if r.origStarts == nil || i >= len(r.origStarts) {
		return int64(off), i + 1
	}
	return int64(r.origStarts[i] + off - r.lineStarts[i]), i + 1
}

func (r *repairer) change(rule, part string, off int, what string) {
	o, l := r.pos(off)
	r.res.Changes = append(r.res.Changes, Change{Rule: rule, What: what, Part: part, Offset: o, Line: l})
}

func (r *repairer) manual(rule, part string, off int, why string) {
	o, l := r.pos(off)
	r.res.Manual = append(r.res.Manual, Manual{Rule: rule, Part: part, Offset: o, Line: l, Why: why})
}

// addOpaqueLeftovers lists as Manual what the output shows inside a
// multipart left unparsed: the input scan may not have seen those parts at
// all (a broken parameter list hid them), and nothing in there was fixed.
func (r *repairer) addOpaqueLeftovers(out []byte) {
	if len(r.opaque) == 0 {
		return
	}
	rep, err := mime.Scan(bytes.NewReader(out), mime.Options{Folder: r.opts.Folder, Limits: r.opts.Limits})
	if err != nil {
		return
	}
	seen := map[string]bool{}
	for _, m := range r.res.Manual {
		seen[m.Rule+" "+m.Part] = true
	}
	for _, f := range rep.Findings {
		at := -1
		for i, o := range r.opaque {
			if strings.HasPrefix(f.Part, o+".") {
				at = i
				break
			}
		}
		key := f.Rule + " " + f.Part
		if _, ok := fixable[f.Rule]; !ok || at < 0 || seen[key] {
			continue
		}
		seen[key] = true
		off, line := r.pos(r.opaqueOff[at])
		r.res.Manual = append(r.res.Manual, Manual{Rule: f.Rule, Part: f.Part, Offset: off, Line: line,
			Why: fmt.Sprintf("inside multipart %s, whose structure is ambiguous (colliding boundaries): fix that first", r.opaque[at])})
	}
}

// addManual turns input findings without a fixer into Manual entries.
func (r *repairer) addManual() {
	seen := map[string]bool{}
	for _, m := range r.res.Manual {
		seen[m.Rule+" "+m.Part] = true
	}
	for _, f := range r.opts.Findings {
		_, ok := fixable[f.Rule]
		if ok && r.inOpaque(f.Part) && f.Rule != "STR-002" && f.Rule != "STR-003" {
			key := f.Rule + " " + f.Part
			if !seen[key] {
				seen[key] = true
				r.res.Manual = append(r.res.Manual, Manual{Rule: f.Rule, Part: f.Part, Offset: f.Offset, Line: f.Line,
					Why: "inside a multipart whose structure is ambiguous (colliding boundaries); fix that first"})
			}
			continue
		}
		if ok && !(f.Rule == "STR-003" && r.opts.Folder != mime.FolderPickup) {
			continue
		}
		key := f.Rule + " " + f.Part
		if seen[key] {
			continue
		}
		seen[key] = true
		why, ok := manualWhy[f.Rule]
		if !ok {
			why = "no safe automatic fix for this rule"
		}
		r.res.Manual = append(r.res.Manual, Manual{Rule: f.Rule, Part: f.Part, Offset: f.Offset, Line: f.Line, Why: why})
	}
}

func lineStarts(b []byte) []int {
	starts := []int{0}
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case '\n':
			starts = append(starts, i+1)
		case '\r':
			if i+1 < len(b) && b[i+1] == '\n' {
				i++
			}
			starts = append(starts, i+1)
		}
	}
	return starts
}

// normalizeEOL fixes STR-002: every bare LF and bare CR becomes CRLF.
func (r *repairer) normalizeEOL(msg []byte) []byte {
	first, n := -1, 0
	for i := 0; i < len(msg); i++ {
		switch msg[i] {
		case '\r':
			if i+1 < len(msg) && msg[i+1] == '\n' {
				i++
				continue
			}
		case '\n':
		default:
			continue
		}
		if first < 0 {
			first = i
		}
		n++
	}
	if n == 0 {
		return msg
	}
	out := make([]byte, 0, len(msg)+n)
	for i := 0; i < len(msg); i++ {
		c := msg[i]
		switch {
		case c == '\r' && i+1 < len(msg) && msg[i+1] == '\n':
			out = append(out, '\r', '\n')
			i++
		case c == '\r' || c == '\n':
			out = append(out, '\r', '\n')
		default:
			out = append(out, c)
		}
	}
	r.origStarts = lineStarts(msg)
	o, l := int64(first), bytes.Count(msg[:first], []byte{'\n'})+1
	// Line of the first bare ending in the input (bare CRs count as ends).
	for i, s := range r.origStarts {
		if s > first {
			l = i
			break
		}
	}
	r.res.Changes = append(r.res.Changes, Change{Rule: "STR-002", Part: "1", Offset: o, Line: l,
		What: fmt.Sprintf("%d bare LF or CR line endings changed to CRLF", n)})
	return out
}

// dotStuff fixes STR-003 for IIS PickUp files: a line holding only "."
// ends the message there and the rest is sent as SMTP commands (KB 221384),
// so it becomes "..", which the service reads back as ".". Other lines that
// begin with "." are left alone: whether the file was already stuffed
// cannot be known, and stuffing twice would change them.
func (r *repairer) dotStuff(out []byte) []byte {
	isLone := func(i int) bool {
		return out[i] == '.' && (i == 0 || out[i-1] == '\n') && (i+1 == len(out) || bytes.HasPrefix(out[i+1:], []byte("\r\n")))
	}
	n, first := 0, -1
	for i := 0; i < len(out); i++ {
		if isLone(i) {
			if first < 0 {
				first = i
			}
			n++
		}
	}
	if n == 0 {
		return out
	}
	b := make([]byte, 0, len(out)+n)
	for i := 0; i < len(out); i++ {
		if isLone(i) {
			b = append(b, '.')
		}
		b = append(b, out[i])
	}
	// The offset is in the repaired text: the stuffing is applied last.
	r.res.Changes = append(r.res.Changes, Change{Rule: "STR-003", Part: "1", Offset: int64(first), Line: bytes.Count(out[:first], []byte{'\n'}) + 1,
		What: fmt.Sprintf("%d lines holding only '.' dot-stuffed to '..' (offset in the repaired file)", n)})
	return b
}

// DotStuff returns msg with a second "." before every line that begins
// with "." (RFC 5321 4.5.2, KB 221384), for writing PickUp files. Lines end
// where msg has LF.
func DotStuff(msg []byte) []byte {
	var b []byte
	for i := 0; i < len(msg); i++ {
		if msg[i] == '.' && (i == 0 || msg[i-1] == '\n') {
			b = append(b, '.')
		}
		b = append(b, msg[i])
	}
	return b
}
