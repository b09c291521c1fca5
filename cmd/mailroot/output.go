package main

// Shared output helpers for every verb (scan, show, rules, and the verbs of
// the quarantine and repair/replay files):
//
//   - newJSONLines(w).write(v): one JSON object per line, HTML not escaped.
//   - printFinding(w, indent, f): one finding in the human format.
//   - sanitizeLine(s): make any string safe to print on a terminal.
//   - humanBytes(n), humanAge(now, t), humanCount(n): go-humanize wrappers.
//   - parseAge("2d12h"): a duration that also accepts days.
//   - listFlag: a repeatable, comma-splitting string flag; limitFlag:
//     repeatable NAME=VALUE for mime.Limits.
//   - isTerminal(f): whether a file is a terminal.

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/dustin/go-humanize"
	"golang.org/x/term"

	"github.com/mailroot/mailroot/mime"
)

// jsonLines writes JSON Lines: one compact object per line.
type jsonLines struct {
	enc *json.Encoder
}

func newJSONLines(w io.Writer) *jsonLines {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return &jsonLines{enc: enc}
}

// write encodes v on one line.
func (j *jsonLines) write(v any) error { return j.enc.Encode(v) }

// printFinding prints one finding as two lines:
//
//	CT-001 crash  part 1.2  offset 1234  line 40
//	    empty charset parameter: charset=""
func printFinding(w io.Writer, indent string, f mime.Finding) {
	title := f.Rule
	if r, ok := mime.RuleByID(f.Rule); ok {
		title += " " + r.Title
	}
	loc := ""
	if f.Part != "" {
		loc += "  part " + f.Part
	}
	loc += fmt.Sprintf("  offset %d  line %d", f.Offset, f.Line)
	fmt.Fprintf(w, "%s%-6s %s%s\n", indent, f.Severity, sanitizeLine(title), loc)
	fmt.Fprintf(w, "%s       %s\n", indent, sanitizeLine(f.Message))
	if f.Excerpt != "" {
		fmt.Fprintf(w, "%s       > %s\n", indent, sanitizeLine(f.Excerpt))
	}
}

// sanitizeLine makes text from a message safe for a terminal: control
// characters (escape sequences, CR, LF, NUL), invalid UTF-8 and Unicode
// format characters (bidi overrides) are shown escaped, so that a hostile
// Subject cannot rewrite the screen.
func sanitizeLine(s string) string {
	clean := true
	for _, r := range s {
		if r == utf8.RuneError || r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || unicode.Is(unicode.Cf, r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n <= 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\n':
			b.WriteString(`\n`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case (r >= 0x80 && r < 0xa0) || unicode.Is(unicode.Cf, r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// humanBytes formats a size for people: "1.2 MiB".
func humanBytes(n int64) string {
	if n < 0 {
		n = 0
	}
	return humanize.IBytes(uint64(n))
}

// humanCount formats a count with thousands separators.
func humanCount(n int64) string { return humanize.Comma(n) }

// countOf formats a count with its noun: "1 message", "2,048 messages".
func countOf(n int64, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return humanize.Comma(n) + " " + noun + "s"
}

// humanAge formats how long ago t was: "3 hours ago"; "unknown" for a zero time.
func humanAge(now, t time.Time) string {
	if t.IsZero() {
		return "unknown"
	}
	return humanize.RelTime(t, now, "ago", "from now")
}

// parseAge parses a duration as time.ParseDuration does, and also accepts
// days ("2d", "1d12h"): admins think of queue age in days.
func parseAge(s string) (time.Duration, error) {
	orig := s
	var total time.Duration
	if i := strings.IndexByte(s, 'd'); i >= 0 {
		days, err := strconv.ParseFloat(s[:i], 64)
		// At most 100 years: more overflows time.Duration (and NaN fails too).
		if err != nil || !(days >= 0 && days <= 36500) {
			return 0, fmt.Errorf("invalid duration %q (examples: 30m, 4h, 2d, 1d12h)", orig)
		}
		total = time.Duration(days * float64(24*time.Hour))
		s = s[i+1:]
		if s == "" {
			return total, nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 || total+d < total {
		return 0, fmt.Errorf("invalid duration %q (examples: 30m, 4h, 2d, 1d12h)", orig)
	}
	return total + d, nil
}

// ageFlag is a flag.Value for parseAge durations.
type ageFlag struct{ d *time.Duration }

func (a ageFlag) String() string {
	if a.d == nil || *a.d == 0 {
		return ""
	}
	return a.d.String()
}

func (a ageFlag) Set(s string) error {
	d, err := parseAge(s)
	if err != nil {
		return err
	}
	*a.d = d
	return nil
}

// listFlag is a repeatable string flag that also splits on commas:
// "--rule CT-001 --rule CT-003" and "--rule CT-001,CT-003" are the same.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(s string) error {
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			*l = append(*l, v)
		}
	}
	return nil
}

// limitFlag is a repeatable NAME=VALUE flag that sets mime.Limits.
type limitFlag struct{ limits *mime.Limits }

func (l limitFlag) String() string { return "" }

func (l limitFlag) Set(s string) error {
	name, val, ok := strings.Cut(s, "=")
	if !ok {
		return fmt.Errorf("want NAME=VALUE, e.g. line-length=2000 (known: %s)", strings.Join(mime.LimitNames(), ", "))
	}
	n, err := strconv.Atoi(strings.TrimSpace(val))
	if err != nil {
		return fmt.Errorf("limit %s: %q is not a whole number", name, val)
	}
	return l.limits.Set(strings.TrimSpace(name), n)
}

// severityFlag is a flag.Value for mime.Severity.
type severityFlag struct{ s *mime.Severity }

func (f severityFlag) String() string {
	if f.s == nil || *f.s == 0 {
		return ""
	}
	return f.s.String()
}

func (f severityFlag) Set(s string) error {
	v, err := mime.ParseSeverity(s)
	if err != nil {
		return err
	}
	*f.s = v
	return nil
}

// isTerminal reports whether f is a terminal.
func isTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }

// toolVersion is the version of the mailroot module, from the -X flag or
// from the build information that `go install ...@vX` records.
func toolVersion() string {
	if version != "devel" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return version
}

func goVersion() string { return runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH }
