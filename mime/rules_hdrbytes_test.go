package mime

import "testing"

func TestHeaderBytes(t *testing.T) {
	runHdrCases(t, []hdrCase{
		{name: "nul in value", rule: "STR-006", raw: "From: a@b\nSubject: a\x00b", at: "\x00b"},
		{name: "nul in name", rule: "STR-006", raw: "From: a@b\nX-\x00Bad: v", at: "\x00Bad"},
		{name: "clean", rule: "STR-006", raw: "From: a@b\nSubject: hello\n world"},
		{name: "control in message-id", rule: "STR-007", raw: "From: a@b\nMessage-ID: <abc\x01def@example.com>", at: "\x01def"},
		{name: "del in subject", rule: "STR-007", raw: "From: a@b\nSubject: x\x7fy", at: "\x7fy"},
		{name: "escape in references", rule: "STR-007", raw: "From: a@b\nReferences: <a@b>\n <c\x1b@d>", at: "\x1b@d"},
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
