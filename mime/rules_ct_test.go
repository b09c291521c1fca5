package mime

import (
	"strings"
	"testing"
)

func TestContentTypeRules(t *testing.T) {
	runHdrCases(t, []hdrCase{
		{name: "kb293288 continuation", rule: "CT-001", raw: "From: a@b\nContent-Type: text/plain;\n\tcharset = \"\"", at: `charset = ""`},
		{name: "blank quoted", rule: "CT-001", raw: "From: a@b\nContent-Type: text/plain; CHARSET= \" \"", at: "CHARSET"},
		{name: "unquoted empty", rule: "CT-001", raw: "From: a@b\nContent-Type: text/plain; charset=", at: "charset="},
		{name: "empty before next", rule: "CT-001", raw: "From: a@b\nContent-Type: text/plain; charset=; format=flowed", at: "charset="},
		{name: "fine", rule: "CT-001", raw: "From: a@b\nContent-Type: text/plain; charset=\"us-ascii\""},
		{name: "spaces around equals", rule: "CT-001", raw: "From: a@b\nContent-Type: text/plain;\n\tcharset = \"iso-8859-1\""},
		{name: "empty charset is not CT-003", rule: "CT-003", raw: "From: a@b\nContent-Type: text/plain; charset=\"\""},

		{name: "control", rule: "CT-002", raw: "From: a@b\nContent-Type: text/pl\x01ain", at: "\x01ain"},
		{name: "nul", rule: "CT-002", raw: "From: a@b\nContent-Type: text/plain; name=\"a\x00b\"", at: "\x00b"},
		{name: "8-bit", rule: "CT-002", raw: "From: a@b\nContent-Type: text/plain; name=\"caf\xe9.txt\"", at: "\xe9.txt"},
		{name: "clean folded", rule: "CT-002", raw: "From: a@b\nContent-Type: multipart/mixed;\n\tboundary=\"--=_a(b)\""},
		{name: "other header", rule: "CT-002", raw: "From: a@b\nContent-Description: caf\xe9"},

		{name: "no value", rule: "CT-003", raw: "From: a@b\nContent-Type: text/plain; name=", at: "name="},
		{name: "unterminated", rule: "CT-003", raw: "From: a@b\nContent-Type: text/plain; name=\"abc", at: `"abc`},
		{name: "double semicolon", rule: "CT-003", raw: "From: a@b\nContent-Type: text/plain;; charset=us-ascii", at: ";;"},
		{name: "semicolons with space", rule: "CT-003", raw: "From: a@b\nContent-Type: text/plain; ; charset=us-ascii", at: "; ;"},
		{name: "space in name", rule: "CT-003", raw: "From: a@b\nContent-Type: text/plain; char set=us-ascii", at: "char set"},
		{name: "duplicate", rule: "CT-003", raw: "From: a@b\nContent-Type: text/plain; charset=a; Charset=b", at: "Charset=b"},
		{name: "duplicate boundary", rule: "CT-003", raw: "From: a@b\nContent-Type: multipart/mixed; boundary=\"a\";\n boundary=\"b\"", at: "boundary=\"b"},
		{name: "quoted value without equals", rule: "CT-003", raw: "From: a@b\nContent-Type: text/plain; name \"a.txt\"", at: "name \""},
		{name: "no equals", rule: "CT-003", raw: "From: a@b\nContent-Type: text/plain; format", at: "format"},
		{name: "too many", rule: "CT-003", raw: "From: a@b\nContent-Type: text/plain; a=1; b=2; c=3; d=4", at: "d=4",
			opts: func(o *Options) { o.Limits.Params = 3 }},
		{name: "disposition no value", rule: "CT-003", raw: "From: a@b\nContent-Disposition: attachment; filename=", at: "filename="},
		{name: "quoted semicolon", rule: "CT-003", raw: "From: a@b\nContent-Type: text/plain; name=\"a;b\"; charset=x"},
		{name: "rfc2231", rule: "CT-003", raw: "From: a@b\nContent-Disposition: attachment;\n filename*0*=utf-8''a%20b;\n filename*1*=c;\n filename=\"ab c\""},
		{name: "trailing semicolon", rule: "CT-003", raw: "From: a@b\nContent-Type: text/plain; charset=us-ascii;"},
		{name: "comments", rule: "CT-003", raw: "From: a@b\nContent-Type: text/plain (plain text); charset=us-ascii (ascii)"},
		{name: "kb183633 is CT-004 only", rule: "CT-003", raw: "From: a@b\nContent-Disposition: attachment; filename=(JPEG-IM.BMP"},
		{name: "at limit", rule: "CT-003", raw: "From: a@b\nContent-Type: text/plain; a=1; b=2; c=3",
			opts: func(o *Options) { o.Limits.Params = 3 }},

		{name: "kb183633", rule: "CT-004", raw: "From: a@b\nContent-Disposition: attachment; filename=(JPEG-IM.BMP", at: "(JPEG"},
		{name: "content-type", rule: "CT-004", raw: "From: a@b\nContent-Type: text/plain; name=\"a\" (oops", at: "(oops"},
		{name: "stray close", rule: "CT-004", raw: "From: a@b\nMIME-Version: 1.0 )", at: ")"},
		{name: "nested unclosed", rule: "CT-004", raw: "From: a@b\nContent-Transfer-Encoding: base64 (a (b)", at: "(a (b"},
		{name: "balanced", rule: "CT-004", raw: "From: a@b\nMIME-Version: 1.0 (Produced by Microsoft MimeOLE V6.00)"},
		{name: "paren in quotes", rule: "CT-004", raw: "From: a@b\nContent-Type: text/plain; name=\"(a.txt\""},
		{name: "escaped paren", rule: "CT-004", raw: "From: a@b\nMIME-Version: 1.0 (a \\( b)"},
		{name: "unstructured", rule: "CT-004", raw: "From: a@b\nSubject: (oops"},

		{name: "long content-type", rule: "CT-005", raw: "From: a@b\nContent-Type: text/plain; name=\"" + strings.Repeat("a", 1100) + "\"", at: "Content-Type"},
		{name: "long content-id", rule: "CT-005", raw: "From: a@b\nContent-ID: <" + strings.Repeat("a", 1100) + "@x>", at: "Content-ID"},
		{name: "under", rule: "CT-005", raw: "From: a@b\nContent-Type: text/plain; name=\"" + strings.Repeat("a", 900) + "\""},
		{name: "subject", rule: "CT-005", raw: "From: a@b\nSubject: " + strings.Repeat("a", 1100)},
	})
}

// TestTruncatedField: a value cut at Limits.HeaderBytesKept is not said to
// leave quotes, comments or encoded words open, since the rest may close them.
func TestTruncatedField(t *testing.T) {
	// A short comment open at the cut may close in the bytes not kept: not
	// reported on a truncated field (the cases above). One that has stayed
	// open for more than openCommentAtCut bytes is (TestTruncatedLongComment).
	for _, tc := range []struct{ name, value, rule string }{
		{"Content-Type", ` text/plain; name="abc`, "CT-003"},
		{"Content-Disposition", ` attachment; x=1 (abc`, "CT-004"},
		{"To", ` "abc <a@b`, "ADDR-001"},
		{"To", ` a@b (abc`, "ADDR-001"},
		{"Subject", ` =?utf-8?Q?abc`, "ENC-005"},
	} {
		for _, truncated := range []bool{false, true} {
			p := hdrTestPart(Options{})
			f := field{name: []byte(tc.name), value: []byte(tc.value), offset: 0, valueOffset: int64(len(tc.name) + 1), line: 1,
				truncated: truncated, length: int64(len(tc.name) + 1 + len(tc.value))}
			if truncated {
				f.length += 1 << 20
			}
			checkHeaderField(p, &f)
			if got := hdrHasRule(p.rep.findings, tc.rule); got == truncated {
				t.Errorf("%s truncated=%v: %s reported %v, findings %v", tc.name, truncated, tc.rule, got, p.rep.findings)
			}
		}
	}
}

// TestTruncatedLongComment pins the decision for a header field longer than
// Limits.HeaderBytesKept whose kept bytes end inside a comment that has been
// open for more than openCommentAtCut bytes: the comment is reported as never
// closed (CT-004 in a structured MIME header, ADDR-001 in an address header),
// at its '(' and at crash, whether the field is one long line (STR-004 crash
// as well) or folded (no STR-004: without this, only medium findings).
func TestTruncatedLongComment(t *testing.T) {
	const n = 64 << 10
	flood := func(fold bool) string {
		var b strings.Builder
		for b.Len() < n {
			b.WriteString(strings.Repeat("(", 500))
			if fold {
				b.WriteString("\r\n ")
			}
		}
		return b.String()
	}
	for _, tc := range []struct{ name, prefix, rule string }{
		{"content-type", "Content-Type: text/plain; name=", "CT-004"},
		{"content-disposition", "Content-Disposition: attachment; filename=", "CT-004"},
		{"cc", "Cc: ", "ADDR-001"},
	} {
		for _, fold := range []bool{false, true} {
			head := "From: a@example.com\r\nTo: b@example.com\r\n" + tc.prefix
			raw := head + flood(fold) + "x\r\n\r\nbody\r\n"
			var opts Options
			opts.Limits.HeaderBytesKept = 16 << 10
			rep := scanString(t, raw, opts)
			f := mustHave(t, rep, tc.rule)
			if f.Offset != int64(len(head)) || f.Severity != Crash {
				t.Errorf("%s fold=%v: %s, want crash at offset %d", tc.name, fold, f, len(head))
			}
			if !fold {
				if g := mustHave(t, rep, "STR-004"); g.Severity != Crash {
					t.Errorf("%s: %s, want crash", tc.name, g)
				}
			}
		}
	}
}
