package mime

import (
	"strings"
	"testing"
)

func TestHeaderBytes(t *testing.T) {
	runHdrCases(t, []hdrCase{
		{name: "nul in value", rule: "STR-006", raw: "From: a@b\nSubject: a\x00b", at: "\x00b"},
		{name: "nul in name", rule: "STR-006", raw: "From: a@b\nX-\x00Bad: v", at: "\x00Bad"},
		{name: "clean", rule: "STR-006", raw: "From: a@b\nSubject: hello\n world"},
		{name: "control in message-id", rule: "STR-007", raw: "From: a@b\nMessage-ID: <abc\x01def@example.com>", at: "\x01def"},
		{name: "del in subject", rule: "STR-007", raw: "From: a@b\nSubject: x\x7fy", at: "\x7fy"},
		{name: "escape in references", rule: "STR-007", raw: "From: a@b\nReferences: <a@b>\n <c\x1b@d>", at: "\x1b@d"},
		// Raw ISO-2022-JP (legacy Japanese mail) uses ESC designations in
		// Subject and display names: ENC-007 validates them; STR-007 is
		// for other escapes (ANSI "\x1b[") and for identifiers.
		{name: "raw iso-2022-jp subject", rule: "STR-007", raw: "From: a@b\nSubject: \x1b$B$3$s$K$A$O\x1b(B"},
		{name: "raw iso-2022-jp display name", rule: "STR-007", raw: "From: \x1b$B$3$s\x1b(B <a@b>"},
		{name: "ansi escape in subject", rule: "STR-007", raw: "From: a@b\nSubject: x\x1b[31mred", at: "\x1b[31m"},
		{name: "unknown designation", rule: "STR-007", raw: "From: a@b\nSubject: x\x1b$Zab", at: "\x1b$Z"},
		{name: "jis escape in message-id", rule: "STR-007", raw: "From: a@b\nMessage-ID: <\x1b$B$3\x1b(B@b>", at: "\x1b$B"},
		{name: "form feed", rule: "STR-007", raw: "From: a@b\nSubject: x\x0cy", at: "\x0cy"},
		{name: "nul is not STR-007", rule: "STR-007", raw: "From: a@b\nSubject: x\x00y"},
		{name: "tab and folding", rule: "STR-007", raw: "From: a@b\nSubject: a\tb\n\tc"},
		{name: "latin1 subject", rule: "STR-008", raw: "From: a@b\nSubject: caf\xe9", at: "\xe9"},
		{name: "display name", rule: "STR-008", raw: "From: J\xf6rg <j@example.com>", at: "\xf6rg"},
		{name: "after a word", rule: "STR-008", raw: "From: a@b\nSubject: =?utf-8?Q?a?= \xe9t\xe9", at: "\xe9t"},
		{name: "encoded", rule: "STR-008", raw: "From: a@b\nSubject: =?iso-8859-1?Q?caf=E9?="},
		{name: "raw inside word", rule: "STR-008", raw: "From: a@b\nSubject: =?utf-8?Q?caf\xc3\xa9?="},
		{name: "8-bit name", rule: "STR-008", raw: "From: a@b\nX-T\xe9st: v", at: "\xe9st"},
	})
}

// TestHeaderBytesMalformedLine: a header line that is not a field (no colon,
// a continuation with no field before it, a Unix "From " line) is HDR-003,
// and its NUL or raw 8-bit bytes are still STR-006 / STR-008, at the byte.
func TestHeaderBytesMalformedLine(t *testing.T) {
	const tail = "From: a@example.com\r\nTo: b@example.com\r\n\r\nbody\r\n"
	cases := []struct {
		name, raw, rule, at string // at "": the rule must not be reported
	}{
		{"nul in a line without colon", "X-Tra\x00ck 1\r\n" + tail, "STR-006", "\x00ck"},
		{"nul in the name of a field", "X-Tra\x00ck: 1\r\n" + tail, "STR-006", "\x00ck"},
		{"nul in a first continuation line", " a\x00b\r\n" + tail, "STR-006", "\x00b"},
		{"nul in a From line", "From: a@example.com\r\nFrom a\x00b 2001\r\nTo: b@example.com\r\n\r\n", "STR-006", "\x00b"},
		{"8-bit in a line without colon", "X-Tr\xe9ck 1\r\n" + tail, "STR-008", "\xe9ck"},
		{"8-bit in the name of a field", "X-Tr\xe9ck: 1\r\n" + tail, "STR-008", "\xe9ck"},
		{"encoded word is not raw 8-bit", "X-Track =?utf-8?Q?\xe9?=\r\n" + tail, "STR-008", ""},
		{"clean malformed line", "X-Track 1\r\n" + tail, "STR-006", ""},
		// Two non-field lines: the first one starts the body (STR-001); 8-bit
		// text in a body is not a header defect.
		{"8-bit body after missing separator", "From: a@example.com\r\nCaf\xe9 ouvert\r\nlundi\r\n", "STR-008", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rep := scanString(t, tc.raw, Options{})
			var got *Finding
			for i := range rep.Findings {
				if rep.Findings[i].Rule == tc.rule {
					got = &rep.Findings[i]
					break
				}
			}
			if tc.at == "" {
				if got != nil {
					t.Fatalf("unexpected %s", got)
				}
				return
			}
			if got == nil {
				t.Fatalf("no %s; got %v", tc.rule, rep.Findings)
			}
			want := strings.Index(tc.raw, tc.at)
			wantLine := 1 + strings.Count(tc.raw[:want], "\n")
			if got.Offset != int64(want) || got.Line != wantLine {
				t.Errorf("%s at offset %d line %d, want %d line %d", tc.rule, got.Offset, got.Line, want, wantLine)
			}
			if n := countRule(rep, tc.rule); n != 1 {
				t.Errorf("%d %s findings, want 1: %v", n, tc.rule, rep.Findings)
			}
		})
	}
}

func countRule(rep *Report, rule string) int {
	n := 0
	for _, f := range rep.Findings {
		if f.Rule == rule {
			n++
		}
	}
	return n
}
