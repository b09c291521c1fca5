package mime

import (
	"strings"
	"testing"
)

func TestEncodedWordRules(t *testing.T) {
	long := "=?utf-8?B?" + strings.Repeat("QUJD", 17) + "?="
	runHdrCases(t, []hdrCase{
		{name: "no close", rule: "ENC-005", raw: "From: a@b\nSubject: =?utf-8?Q?abc", at: "=?utf-8"},
		{name: "no close before space", rule: "ENC-005", raw: "From: a@b\nSubject: x =?utf-8?Q?a b?=", at: "=?utf-8"},
		{name: "unknown charset", rule: "ENC-005", raw: "From: a@b\nSubject: =?foo-bar?Q?x?=", at: "=?foo"},
		{name: "empty charset", rule: "ENC-005", raw: "From: a@b\nSubject: =??Q?x?=", at: "=??"},
		{name: "bad encoding", rule: "ENC-005", raw: "From: a@b\nSubject: =?utf-8?X?abc?=", at: "=?utf-8"},
		{name: "bad base64", rule: "ENC-005", raw: "From: a@b\nSubject: =?utf-8?B?ab!c?=", at: "=?utf-8"},
		{name: "base64 length", rule: "ENC-005", raw: "From: a@b\nSubject: =?utf-8?B?QUJDR?=", at: "=?utf-8"},
		{name: "bad Q", rule: "ENC-005", raw: "From: a@b\nSubject: =?utf-8?Q?a=ZZ?=", at: "=?utf-8"},
		{name: "Q cut escape", rule: "ENC-005", raw: "From: a@b\nSubject: =?utf-8?Q?a=E?=", at: "=?utf-8"},
		{name: "question mark in Q", rule: "ENC-005", raw: "From: a@b\nSubject: =?utf-8?Q?a?b?=", at: "=?utf-8"},
		{name: "raw 8-bit in Q", rule: "ENC-005", raw: "From: a@b\nSubject: =?utf-8?Q?caf\xc3\xa9?=", at: "=?utf-8"},
		{name: "too long", rule: "ENC-005", raw: "From: a@b\nSubject: " + long, at: "=?utf-8"},
		{name: "display name", rule: "ENC-005", raw: "From: =?utf-8?B?#?= <a@b>", at: "=?utf-8"},
		{name: "second word", rule: "ENC-005", raw: "From: a@b\nSubject: =?utf-8?Q?ok?=\n =?utf-8?Q?bad=?=", at: "=?utf-8?Q?bad"},
		{name: "valid", rule: "ENC-005", raw: "From: =?iso-8859-1?Q?J=F6rg?= <j@b>\nSubject: =?UTF-8?B?w6k=?= =?utf-8?q?a_b?=\n =?utf-8*en?Q?x?="},
		{name: "unpadded base64", rule: "ENC-005", raw: "From: a@b\nSubject: =?utf-8?B?w6k?="},
		{name: "url", rule: "ENC-005", raw: "From: a@b\nSubject: see http://x.example/?a=?b?c"},
		{name: "parameter", rule: "ENC-005", raw: "From: a@b\nContent-Type: text/plain; name=\"=?foo?Q?x?=\""},
		{name: "unknown header", rule: "ENC-005", raw: "From: a@b\nX-Custom: =?bogus?Q?x?="},
		{name: "in addr-spec", rule: "ENC-005", raw: "From: <=?x?@example.com>"},
		{name: "text", rule: "ENC-005", raw: "From: a@b\nSubject: what =? no"},
		{name: "empty payload", rule: "ENC-005", raw: "From: a@b\nSubject: =?utf-8?B??="},
		{name: "length 75", rule: "ENC-005", raw: "From: a@b\nSubject: =?utf-8?B?" + strings.Repeat("QUJD", 15) + "QUI?="},

		{name: "charset param", rule: "ENC-006", raw: "From: a@b\nContent-Type: text/plain; charset=utf-7", at: "utf-7"},
		{name: "quoted alias", rule: "ENC-006", raw: "From: a@b\nContent-Type: text/plain;\n charset=\"UNICODE-1-1-UTF-7\"", at: "UNICODE"},
		{name: "encoded word", rule: "ENC-006", raw: "From: a@b\nSubject: =?utf-7?Q?+AGEAYgBj-?=", at: "=?utf-7"},
		{name: "any header", rule: "ENC-006", raw: "From: a@b\nX-Anything: x=?UTF-7?B?abc?=", at: "=?UTF-7"},
		{name: "rfc2231", rule: "ENC-006", raw: "From: a@b\nContent-Disposition: attachment; filename*=utf-7''+AGE-.txt", at: "utf-7''"},
		{name: "utf-8", rule: "ENC-006", raw: "From: a@b\nContent-Type: text/plain; charset=utf-8\nSubject: =?utf-8?Q?x?="},
		{name: "mention", rule: "ENC-006", raw: "From: a@b\nSubject: about utf-7 and charset=utf-7"},
	})
}

func TestEncodedWordDBCS(t *testing.T) {
	// "=1B$B" opens JIS X 0208 and the text ends mid-pair: a truncated pair.
	runHdrCases(t, []hdrCase{
		{name: "truncated sjis word", rule: "ENC-007", raw: "From: =?shift_jis?B?gg==?= <a@b>", at: "=?shift_jis"},
		{name: "good sjis word", rule: "ENC-007", raw: "From: =?shift_jis?B?gqA=?= <a@b>"},
		{name: "raw iso-2022-jp", rule: "ENC-007", raw: "From: \x1b$B0!0\x1b(B <a@b>", at: "0\x1b(B"},
		{name: "raw declared sjis", rule: "ENC-007", raw: "From: a@b\nSubject: x\x82\nContent-Type: text/plain; charset=shift_jis", at: "\x82"},
		{name: "raw good sjis", rule: "ENC-007", raw: "From: a@b\nSubject: x\x82\xa0\nContent-Type: text/plain; charset=shift_jis"},
	})
}

// TestDBCSNamesAgree keeps the gate in front of dbcsCheck in step with the
// names dbcsCheck validates: a name it knows but the gate lacks would never
// be checked in encoded words.
func TestDBCSNamesAgree(t *testing.T) {
	for _, n := range ewDBCSCharsets {
		if !ewKnownCharset([]byte(n)) {
			t.Errorf("%s is not a known charset", n)
		}
	}
	for n := range dbcsCharsets {
		if !ewFoldIn(ewDBCSCharsets, []byte(n)) {
			t.Errorf("dbcsCheck validates %s but encoded words in it are not checked", n)
		}
	}
}
