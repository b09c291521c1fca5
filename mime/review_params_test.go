package mime

import (
	"strings"
	"testing"
)

// Tests for parameters given in RFC 2231 form (charset*=, name*0=, ...) or
// as RFC 2047 encoded words, which the rules used to read only in their
// plain form although the MIME tree decodes them: ENC-006, CT-001, MP-004,
// TNEF-001 and TNEF-002.

// paramHeader is a minimal valid top-level header (CRLF endings).
const paramHeader = "From: a@b.c\r\nTo: d@e.f\r\nMessage-ID: <x@y>\r\nDate: Mon, 1 Jan 2024 00:00:00 +0000\r\nMIME-Version: 1.0\r\n"

// paramCase is one message and what it must (or must not) yield for rule.
type paramCase struct {
	name, msg, rule string
	neg             bool // the rule must not fire
	// For a positive: the first finding of rule is at the first index of
	// at in msg, plus delta, in part (default "1"), with severity sev
	// (0: the catalogue's).
	at    string
	delta int
	part  string
	sev   Severity
}

func runParamCases(t *testing.T, cases []paramCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.rule+"/"+c.name, func(t *testing.T) {
			rep, err := Scan(strings.NewReader(c.msg), Options{})
			if err != nil {
				t.Fatal(err)
			}
			var got []Finding
			for _, f := range rep.Findings {
				if f.Rule == c.rule {
					got = append(got, f)
				}
			}
			if c.neg {
				if len(got) > 0 {
					t.Fatalf("must not yield %s:\n%s", c.rule, findingList(got))
				}
				return
			}
			if len(got) == 0 {
				t.Fatalf("no %s finding; findings:\n%s", c.rule, findingList(rep.Findings))
			}
			i := strings.Index(c.msg, c.at)
			if i < 0 {
				t.Fatalf("marker %q not in the message", c.at)
			}
			want := int64(i + c.delta)
			part := c.part
			if part == "" {
				part = "1"
			}
			sev := c.sev
			if sev == 0 {
				r, _ := RuleByID(c.rule)
				sev = r.Severity
			}
			g := got[0]
			if g.Offset != want || g.Part != part || g.Severity != sev {
				t.Errorf("first %s: offset %d part %s severity %s, want offset %d part %s severity %s:\n%s",
					c.rule, g.Offset, g.Part, g.Severity, want, part, sev, findingList(got))
			}
			checkLine(t, []byte(c.msg), g)
		})
	}
}

// paramTextMsg is a one-part text message with the given Content-Type value.
func paramTextMsg(ctype string) string {
	return paramHeader + "Content-Type: " + ctype + "\r\n\r\nb\r\n"
}

// TestCharsetRFC2231 covers ENC-006 and CT-001 for a charset given through
// RFC 2231: the value the MIME tree shows (percent escapes decoded, the
// charset'language' prefix removed, sections joined) is what counts.
func TestCharsetRFC2231(t *testing.T) {
	runParamCases(t, []paramCase{
		// ENC-006: UTF-7 anywhere.
		{name: "extended", rule: "ENC-006", msg: paramTextMsg("text/plain; charset*=utf-8''utf-7"), at: "''utf-7", delta: 2},
		{name: "extended-upper-name", rule: "ENC-006", msg: paramTextMsg("text/plain; CHARSET*=us-ascii'en'UTF-7"), at: "'UTF-7", delta: 1},
		{name: "extended-percent", rule: "ENC-006", msg: paramTextMsg("text/plain; charset*=us-ascii''utf%2D7"), at: "utf%2D7"},
		{name: "extended-quoted", rule: "ENC-006", msg: paramTextMsg(`text/plain; charset*="''x-utf-7"`), at: "x-utf-7"},
		{name: "sections", rule: "ENC-006", msg: paramTextMsg("text/plain; charset*0=utf; charset*1=-7"), at: "utf;"},
		{name: "sections-out-of-order", rule: "ENC-006", msg: paramTextMsg("text/plain; charset*1=-7; charset*0=utf"), at: "utf\r\n"},
		{name: "sections-extended", rule: "ENC-006", msg: paramTextMsg("text/plain; charset*0*=us-ascii''utf%2d; charset*1=7"), at: "utf%2d"},
		{name: "quoted-section", rule: "ENC-006", msg: paramTextMsg(`text/plain; charset*0="utf-7"`), at: `utf-7"`},
		{name: "sections-after-plain", rule: "ENC-006", msg: paramTextMsg("text/plain; charset=us-ascii; charset*0=utf-7"), at: "utf-7"},
		{name: "in-disposition", rule: "ENC-006", msg: paramHeader + "Content-Type: text/plain\r\nContent-Disposition: inline; charset*=''utf-7\r\n\r\nb\r\n", at: "utf-7"},
		{name: "neg-extended-utf8", rule: "ENC-006", neg: true, msg: paramTextMsg("text/plain; charset*=us-ascii''utf-8")},
		{name: "neg-sections-utf8", rule: "ENC-006", neg: true, msg: paramTextMsg("text/plain; charset*0=utf-; charset*1=8")},
		{name: "neg-sections-utf75", rule: "ENC-006", neg: true, msg: paramTextMsg("text/plain; charset*0=utf-7; charset*1=5")},
		{name: "neg-other-param", rule: "ENC-006", neg: true, msg: paramTextMsg("text/plain; charset=us-ascii; x-charset*=''utf-7")},

		// CT-001: an empty or blank value, whatever the prefix says.
		{name: "extended-empty", rule: "CT-001", msg: paramTextMsg("text/plain; charset*=''"), at: "charset*"},
		{name: "extended-empty-after-prefix", rule: "CT-001", msg: paramTextMsg("text/plain; charset*=utf-8''"), at: "charset*"},
		{name: "extended-blank", rule: "CT-001", msg: paramTextMsg("text/plain; charset*=us-ascii''%20"), at: "charset*"},
		{name: "extended-no-value", rule: "CT-001", msg: paramTextMsg("text/plain; charset*=; format=flowed"), at: "charset*"},
		{name: "section-empty-quoted", rule: "CT-001", msg: paramTextMsg(`text/plain; charset*0=""`), at: "charset*0"},
		{name: "sections-blank", rule: "CT-001", msg: paramTextMsg(`text/plain; charset*1=" "; charset*0=""`), at: "charset*0"},
		{name: "neg-extended-empty-prefix", rule: "CT-001", neg: true, msg: paramTextMsg("text/plain; charset*=''us-ascii")},
		{name: "neg-extended-prefix-only-charset", rule: "CT-001", neg: true, msg: paramTextMsg("text/plain; charset*=utf-8''us-ascii")},
		{name: "neg-empty-section-joined", rule: "CT-001", neg: true, msg: paramTextMsg(`text/plain; charset*0=""; charset*1="us-ascii"`)},
		{name: "neg-other-param-empty", rule: "CT-001", neg: true, msg: paramTextMsg("text/plain; charset=us-ascii; name*=''")},
	})
}
