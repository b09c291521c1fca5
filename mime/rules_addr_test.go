package mime

import (
	"fmt"
	"strings"
	"testing"
)

func TestAddressRules(t *testing.T) {
	local65 := strings.Repeat("a", 65)
	x400 := "\"/c=US/a= /p=ORG/o=EXCHANGE/ou=SITE/cn=Recipients/cn=" + strings.Repeat("x", 1100) + "\"@example.com"
	x400ok := "\"/c=US/a= /p=ORG/o=EXCHANGE/ou=SITE/cn=Recipients/cn=" + strings.Repeat("x", 400) + "\"@example.com"
	brackets := func(n int) string {
		var b strings.Builder
		for i := 0; i < n; i++ {
			fmt.Fprintf(&b, "<a%d@b>, ", i)
		}
		return b.String()
	}
	runHdrCases(t, []hdrCase{
		{name: "comment with comma", rule: "ADDR-001", raw: "From: a@b\nTo: user (A,B);", at: "(A,B)"},
		{name: "comment with semicolon", rule: "ADDR-001", raw: "From: a@b (x; y)", at: "(x; y)"},
		{name: "unterminated quote", rule: "ADDR-001", raw: "From: \"John <j@example.com>", at: "\"John"},
		{name: "unclosed angle", rule: "ADDR-001", raw: "From: a@b\nTo: John <j@example.com", at: "<j@"},
		{name: "stray close angle", rule: "ADDR-001", raw: "From: a@b\nCc: j@example.com>", at: ">"},
		{name: "unclosed comment", rule: "ADDR-001", raw: "From: a@b\nReply-To: a@b (comment", at: "(comment"},
		{name: "nested angle", rule: "ADDR-001", raw: "From: a@b\nTo: <<a@b>>", at: "<a@b>>"},
		{name: "stray close paren", rule: "ADDR-001", raw: "From: a@b)", at: ")"},
		{name: "quoted comma", rule: "ADDR-001", raw: "From: \"Doe, John\" <j@example.com>\nTo: a@b (John Doe), c@d\nCc: \"a (b\" <x@y>"},
		{name: "escaped comma", rule: "ADDR-001", raw: "From: a@b (x\\, y)"},
		{name: "route", rule: "ADDR-001", raw: "From: <@relay,@relay2:j@example.com>"},
		{name: "subject is not an address", rule: "ADDR-001", raw: "From: a@b\nSubject: (A,B) <x"},

		{name: "long local part", rule: "ADDR-002", raw: "From: a@b\nTo: Bob <" + local65 + "@example.com>", at: local65},
		{name: "long address", rule: "ADDR-002", raw: "From: a@b\nTo: x@" + strings.Repeat("d", 300), at: "x@ddd"},
		{name: "domain limit", rule: "ADDR-002", raw: "From: a@b\nTo: x@" + strings.Repeat("d", 260), at: "ddd",
			opts: func(o *Options) { o.Limits.AddressLength = 1000 }},
		{name: "x400", rule: "ADDR-002", raw: "From: a@b\nTo: " + x400, at: "\"/c=US"},
		{name: "x400 under limit", rule: "ADDR-002", raw: "From: a@b\nTo: " + x400ok},
		{name: "local 64", rule: "ADDR-002", raw: "From: a@b\nTo: " + strings.Repeat("a", 64) + "@example.com"},
		{name: "long display name", rule: "ADDR-002", raw: "From: a@b\nTo: \"" + strings.Repeat("n", 500) + "\" <a@example.com>"},

		{name: "flood", rule: "ADDR-003", raw: "From: a@b\nTo: c@d, " + strings.Repeat("<>", 26) + " a@b", at: "<><>"},
		{name: "fifty", rule: "ADDR-003", raw: "From: a@b\nTo: " + strings.Repeat("<>", 25) + " a@b"},
		{name: "long list", rule: "ADDR-003", raw: "From: a@b\nTo: " + brackets(60)},
		{name: "commas in comment", rule: "ADDR-003", raw: "From: a@b (" + strings.Repeat("(),", 30) + ")", at: "(()"},
		{name: "paren flood", rule: "ADDR-003", raw: "From: a@b (" + strings.Repeat("()", 30) + ")", at: "(()"},

		{name: "cve-2021-3181", rule: "ADDR-004", raw: "From: a@b\nTo: :;;;;;", at: ":;;;;;"},
		{name: "semicolon run", rule: "ADDR-004", raw: "From: a@b\nCc: a@b;;c@d", at: ";;c"},
		{name: "run with space", rule: "ADDR-004", raw: "From: a@b\nCc: a@b; ;", at: "; ;"},
		{name: "named empty group", rule: "ADDR-004", raw: "From: a@b\nTo: undisclosed-recipients:;"},
		{name: "outlook separators", rule: "ADDR-004", raw: "From: a@b\nTo: a@b; c@d; e@f"},
		{name: "group", rule: "ADDR-004", raw: "From: a@b\nTo: team: a@b, c@d;, e@f"},
		{name: "quoted", rule: "ADDR-004", raw: "From: a@b\nTo: \";;\" <a@b>, \":;\" <c@d>"},
	})
}

func TestRecipientCount(t *testing.T) {
	list := func(prefix string, n int) string {
		s := make([]string, n)
		for i := range s {
			s[i] = fmt.Sprintf("%s%d@example.com", prefix, i)
		}
		return strings.Join(s, ",\n ")
	}
	runHdrCases(t, []hdrCase{
		{name: "to and cc", rule: "ADDR-005", raw: "From: a@b\nTo: " + list("t", 60) + "\nCc: " + list("c", 41), at: "c40@"},
		{name: "bcc", rule: "ADDR-005", raw: "From: a@b\nBcc: " + list("b", 101), at: "b100@"},
		{name: "hundred", rule: "ADDR-005", raw: "From: a@b\nTo: " + list("t", 50) + "\nCc: " + list("c", 50)},
		{name: "groups and empties", rule: "ADDR-005", raw: "From: a@b\nTo: team: " + list("t", 99) + ";, <>, ,\nCc: undisclosed:;"},
		{name: "low limit", rule: "ADDR-005", raw: "From: a@b\nTo: a@b, c@d, e@f", at: "e@f",
			opts: func(o *Options) { o.Limits.Recipients = 2 }},
	})
	// Only the message itself counts: an attached part's header does not.
	p := hdrTestPart(Options{})
	p.depth, p.parent = 1, &part{}
	if fs := runHeaderRules(p, []byte(hdrCRLF("To: "+list("t", 200)))); hdrHasRule(fs, "ADDR-005") || hdrHasRule(fs, "ADDR-006") {
		t.Errorf("non-root part: %v", fs)
	}
}

func hdrHasRule(fs []Finding, rule string) bool {
	for _, f := range fs {
		if f.Rule == rule {
			return true
		}
	}
	return false
}

func TestSenderPresent(t *testing.T) {
	runHdrCases(t, []hdrCase{
		{name: "missing", rule: "ADDR-006", raw: "To: a@b\nSubject: x", at: "To: a@b"},
		{name: "empty", rule: "ADDR-006", raw: "To: a@b\nFrom: \nSubject: x", at: "From:"},
		{name: "null", rule: "ADDR-006", raw: "To: a@b\nFrom: <>", at: "From:"},
		{name: "comment only", rule: "ADDR-006", raw: "To: a@b\nFrom: (nobody)", at: "From:"},
		{name: "empty x-sender", rule: "ADDR-006", raw: "x-sender: \nTo: a@b", at: "x-sender"},
		{name: "present", rule: "ADDR-006", raw: "To: a@b\nFrom: Bob <bob@example.com>"},
		{name: "second from", rule: "ADDR-006", raw: "From: \nFrom: bob@example.com"},
		{name: "x-sender", rule: "ADDR-006", raw: "x-sender: bob@example.com\nx-receiver: a@b\nTo: a@b"},
		{name: "replay X-Sender", rule: "ADDR-006", raw: "X-Sender: <bob@example.com> BODY=7bit\nTo: a@b"},
	})
}

// TestByteOrderMark: a file saved by Notepad starts with a UTF-8 byte order
// mark, so the server reads the first field's name as "\xef\xbb\xbfFrom" and
// sends the file to BadMail. The findings must say so, not only "no From".
func TestByteOrderMark(t *testing.T) {
	rep := scanString(t, "\xef\xbb\xbfFrom: a@example.com\r\nTo: b@example.com\r\nSubject: x\r\n\r\nhi\r\n", Options{})
	f := mustHave(t, rep, "ADDR-006")
	if f.Offset != 0 || !strings.Contains(f.Message, "byte order mark") {
		t.Errorf("ADDR-006 = %s, want offset 0 and a message naming the byte order mark", f)
	}
	h := mustHave(t, rep, "HDR-003")
	if h.Offset != 0 || !strings.Contains(h.Message, "byte order mark") {
		t.Errorf("HDR-003 = %s, want offset 0 and a message naming the byte order mark", h)
	}
	// Without the mark, no ADDR-006.
	rep = scanString(t, "From: a@example.com\r\nTo: b@example.com\r\nSubject: x\r\n\r\nhi\r\n", Options{})
	if rep.Has("ADDR-006") {
		t.Errorf("ADDR-006 without a byte order mark: %v", rep.Findings)
	}
}
