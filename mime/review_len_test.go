package mime

import (
	"strings"
	"testing"
)

// Regression tests for the review of CT-005 (the length of a MIME header
// field) and of the STR-008 / ENC-005 split of raw 8-bit header bytes.
// Each case is a whole message scanned with Scan, so part, offset and line
// are the ones a user sees.

const lenHead = "From: a@b.c\r\nTo: d@e.f\r\nMessage-ID: <x@y>\r\nDate: Mon, 1 Jan 2024 00:00:00 +0000\r\nMIME-Version: 1.0\r\n"

// lenField returns a field named name of exactly n bytes unfolded, name
// and colon included, final line ending excluded; with fold, the value is
// folded once: the fold's tab counts towards n, its CRLF does not.
func lenField(name string, n int, fold bool) string {
	head := name + ": text/plain; a=b;"
	if fold {
		head += "\r\n\t"
		n += 2
	}
	head += "x="
	return head + strings.Repeat("y", n-len(head))
}

// TestReviewCT005Length: a field's length is its unfolded length without
// the final line ending: neither fold CRLFs nor the ending count, the
// white space after a fold does. 1024 is at the limit.
func TestReviewCT005Length(t *testing.T) {
	body := "\r\nbody\r\n"
	ct := func(n int, fold bool) string { return lenField("Content-Type", n, fold) }
	cd := func(n int) string {
		return strings.Replace(lenField("Content-Disposition", n, false), "text/plain", "attachment", 1)
	}
	multi := func(child string) string {
		return lenHead + "Content-Type: multipart/mixed; boundary=\"bb\"\r\n\r\n--bb\r\n" + child + "\r\n\r\nhi\r\n--bb--\r\n"
	}
	runReviewCases(t, []reviewCase{
		{name: "one line 1023 + CRLF", rule: "CT-005", raw: lenHead + ct(1023, false) + "\r\n" + body},
		{name: "one line 1024 + CRLF", rule: "CT-005", raw: lenHead + ct(1024, false) + "\r\n" + body},
		{name: "one line 1024 + LF", rule: "CT-005", raw: strings.ReplaceAll(lenHead, "\r\n", "\n") + ct(1024, false) + "\n\nbody\n"},
		{name: "one line 1025 + CRLF", rule: "CT-005", raw: lenHead + ct(1025, false) + "\r\n" + body,
			at: "Content-Type: text/plain; a=b;x=", sev: Medium, msg: "Content-Type is 1025 bytes long unfolded, not counting line endings (limit 1024)"},
		{name: "folded 1024 + CRLF", rule: "CT-005", raw: lenHead + ct(1024, true) + "\r\n" + body},
		{name: "folded 1025 + CRLF", rule: "CT-005", raw: lenHead + ct(1025, true) + "\r\n" + body,
			at: "Content-Type: text/plain; a=b;\r\n", sev: Medium, msg: "is 1025 bytes long"},
		{name: "child part 1024", rule: "CT-005", raw: multi(cd(1024))},
		{name: "child part 1025", rule: "CT-005", raw: multi(cd(1025)),
			at: "Content-Disposition", sev: Medium, part: "1.1", msg: "Content-Disposition is 1025 bytes long"},
	})
}

// TestReviewSTR008EncodedWordShape: a raw 8-bit byte is left to ENC-005
// only inside an encoded word ENC-005 reports; anywhere else, above all in
// fields where ENC-005 checks no encoded words, it is STR-008.
func TestReviewSTR008EncodedWordShape(t *testing.T) {
	body := "\r\nbody\r\n"
	head := "From: a@b.c\r\nTo: d@e.f\r\nDate: Mon, 1 Jan 2024 00:00:00 +0000\r\n"
	msgID := head + "Message-ID: <=?x?q?\xe9\xe9\xe9?=@y>\r\n" + body
	mailer := lenHead + "X-Mailer: =?a?b?\xff\xfe?=\r\n" + body
	ctName := lenHead + "Content-Type: text/plain; name=\"=?utf-8?q?\xe9?=\"\r\n" + body
	notAtBoundary := lenHead + "Subject: caf=?utf-8?q?\xe9?=\r\n" + body
	utf7 := lenHead + "Subject: =?utf-7?q?\xe9?=\r\n" + body
	inWord := lenHead + "Subject: =?utf-8?q?caf\xe9?= ok\r\n" + body
	afterWord := lenHead + "Subject: =?utf-8?q?caf=E9?= \xe9\r\n" + body
	display := lenHead[:len("From: ")] + "\"=?utf-8?q?\xe9?=\" <a@b.c>\r\n" + lenHead[len("From: a@b.c\r\n"):] + body
	// A word still open where the field was cut may close in the bytes not
	// kept: ENC-005 says nothing, so the byte is STR-008's.
	cut := lenHead + "Subject: =?utf-8?q?\xe9" + strings.Repeat("a", 200) + "?=\r\n" + body
	runReviewCases(t, []reviewCase{
		{name: "message-id", rule: "STR-008", raw: msgID, at: "\xe9\xe9\xe9", sev: Medium, msg: "raw 8-bit byte 0xe9 in Message-ID header"},
		{name: "message-id", rule: "ENC-005", raw: msgID},
		{name: "x-mailer", rule: "STR-008", raw: mailer, at: "\xff\xfe", sev: Medium, msg: "0xff in X-Mailer"},
		{name: "x-mailer", rule: "ENC-005", raw: mailer},
		{name: "content-type parameter", rule: "STR-008", raw: ctName, at: "\xe9", sev: Medium},
		{name: "content-type parameter", rule: "ENC-005", raw: ctName},
		{name: "subject word not at a boundary", rule: "STR-008", raw: notAtBoundary, at: "\xe9", sev: Medium},
		{name: "subject word not at a boundary", rule: "ENC-005", raw: notAtBoundary},
		{name: "subject utf-7 word", rule: "STR-008", raw: utf7, at: "\xe9", sev: Medium},
		{name: "subject utf-7 word", rule: "ENC-005", raw: utf7},
		{name: "subject utf-7 word", rule: "ENC-006", raw: utf7, at: "=?utf-7", sev: Crash},
		// Where ENC-005 does check the word, it alone reports.
		{name: "subject word", rule: "STR-008", raw: inWord},
		{name: "subject word", rule: "ENC-005", raw: inWord, at: "=?utf-8", sev: High},
		{name: "display name word", rule: "STR-008", raw: display},
		{name: "display name word", rule: "ENC-005", raw: display, at: "=?utf-8", sev: High},
		{name: "after a word", rule: "STR-008", raw: afterWord, at: "\xe9\r\n", sev: Medium},
		{name: "open word cut", rule: "STR-008", raw: cut, keep: 64, at: "\xe9", sev: Medium},
		{name: "open word cut", rule: "ENC-005", raw: cut, keep: 64},
	})
}
