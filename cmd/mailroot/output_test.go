package main

import (
	"flag"
	"io"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// FuzzSanitizeLine: whatever a header holds, the printed form is valid
// UTF-8 with no control or format characters (nothing that moves the
// cursor or reorders text), and clean input is returned unchanged.
func FuzzSanitizeLine(f *testing.F) {
	for _, s := range []string{"plain", "esc\x1b[2J", "\xff\xfe", "bidi\u202e", "tab\tnl\n", "caf\u00e9", "\u009b31m"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := sanitizeLine(s)
		if !utf8.ValidString(got) {
			t.Fatalf("sanitizeLine(%q) = %q: invalid UTF-8", s, got)
		}
		for _, r := range got {
			if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || unicode.Is(unicode.Cf, r) {
				t.Fatalf("sanitizeLine(%q) = %q: keeps %U", s, got, r)
			}
		}
		clean := utf8.ValidString(s)
		for _, r := range s {
			if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || unicode.Is(unicode.Cf, r) {
				clean = false
			}
		}
		if clean && got != s {
			t.Fatalf("sanitizeLine(%q) = %q: clean input changed", s, got)
		}
	})
}

// FuzzParseAge: never panics; a result is never negative.
func FuzzParseAge(f *testing.F) {
	for _, s := range []string{"4h", "2d", "1d12h", "0.5d", "d", "-1h", "99999999999d", "1e300d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := parseAge(s)
		if err == nil && d < 0 {
			t.Fatalf("parseAge(%q) = %v", s, d)
		}
	})
}

// FuzzParseArgs: positional arguments keep their order and flags are
// recognised wherever they stand; nothing is lost or invented.
func FuzzParseArgs(f *testing.F) {
	f.Add("a --json b -workers 3 -- -x")
	f.Add("--json=false a")
	f.Fuzz(func(t *testing.T, line string) {
		args := strings.Fields(line)
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		fs.Bool("json", false, "")
		fs.Int("workers", 0, "")
		pos, err := parseArgs(fs, args)
		if err != nil {
			return
		}
		// Every positional argument appears in args, in order.
		i := 0
		for _, p := range pos {
			for i < len(args) && args[i] != p {
				i++
			}
			if i == len(args) {
				t.Fatalf("parseArgs(%q) = %q: %q not in order", args, pos, p)
			}
			i++
		}
	})
}
