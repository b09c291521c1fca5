package mime

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The body-rule fixtures (ENC-001..004, ENC-007 pos-body-*/neg-body-*,
// TNEF-001, TNEF-002, STR-006 pos-body-*/neg-body-*) are generated here, so
// that binary content (TNEF streams, DBCS bytes, NULs) and offsets are
// exact. TestBodyFixturesUpToDate fails when the committed files differ
// from the generator; regenerate with
//
//	go test ./mime -run TestBodyFixturesUpToDate -gen-body-fixtures

var genBodyFixtures = flag.Bool("gen-body-fixtures", false, "rewrite the body-rule fixtures under fixtures/rules")

// bodyFixture is one generated .eml and its expectations.
type bodyFixture struct {
	rule, name string // name without .eml; starts with pos- or neg-
	eml        string
	// For positives: marker is text whose first occurrence, plus delta,
	// is the expected offset; note explains it in the sidecar.
	marker string
	delta  int
	part   string
	note   string
	sev    Severity // expected severity of the first finding (0: the catalogue's)
}

// fixtureHeader is an ordinary top-level header with CRLF endings.
func fixtureHeader(subject string, extra ...string) string {
	h := "From: Alice Sender <alice@example.com>\r\n" +
		"To: Bob Receiver <bob@example.net>\r\n" +
		"Subject: " + subject + "\r\n" +
		"Date: Mon, 3 Mar 2003 10:00:00 +0000\r\n" +
		"Message-ID: <" + strings.ReplaceAll(strings.ToLower(subject), " ", "-") + "@example.com>\r\n" +
		"MIME-Version: 1.0\r\n"
	for _, e := range extra {
		h += e + "\r\n"
	}
	return h
}

// mixed builds a multipart/mixed message with a text part and the given
// second part (its header lines and body).
func mixed(subject string, partHeader []string, body string) string {
	const b = "----=_NextPart_000_0001_01C2E16B.5A1B2C30"
	return fixtureHeader(subject, `Content-Type: multipart/mixed; boundary="`+b+`"`) +
		"\r\nThis is a multi-part message in MIME format.\r\n\r\n" +
		"--" + b + "\r\nContent-Type: text/plain; charset=us-ascii\r\nContent-Transfer-Encoding: 7bit\r\n\r\n" +
		"See the attachment.\r\n\r\n" +
		"--" + b + "\r\n" + strings.Join(partHeader, "\r\n") + "\r\n\r\n" + body +
		"\r\n--" + b + "--\r\n"
}

// single builds a one-part message.
func single(subject, ctype, cte, body string) string {
	h := []string{"Content-Type: " + ctype}
	if cte != "" {
		h = append(h, "Content-Transfer-Encoding: "+cte)
	}
	return fixtureHeader(subject, h...) + "\r\n" + body
}

func bodyFixtures() []bodyFixture {
	b64Doc := base64Lines([]byte(strings.Repeat("Quarterly figures, all in order.\r\n", 12)))
	uuGood := uuencode("figures.txt", []byte(strings.Repeat("Quarterly figures, all in order.\n", 4)))
	uuBadLen := strings.Replace(uuGood, "\r\nM", "\r\nF", 1)

	tnefGood := buildTNEF(sampleTNEF())
	badSum := sampleTNEF()
	badSum[3].sumDelta = 0x0100 // attSubject's checksum is off
	tnefBadSum := buildTNEF(badSum)
	zero := sampleTNEF()
	zero[5].data = nil // attAttachTitle of length 0
	tnefZero := buildTNEF(zero)
	long := sampleTNEF()
	long[6].length = 0x00ffffff // attAttachData claims 16 MB
	tnefLong := buildTNEF(long)
	// attMsgProps whose PR_RTF_COMPRESSED-style binary value claims 2 GB.
	mapiBad := append(append([]tnefAttr(nil), sampleTNEF()[:4]...), tnefAttr{level: 1, id: attMsgProps,
		data: mapiList(mapiFixed(0x0e070003, le32b(1)), append(append(le32b(0x10090102), le32b(1)...), le32b(0x7fff0000)...))})
	tnefMAPIBad := buildTNEF(mapiBad)
	tnefPart := []string{
		`Content-Type: application/ms-tnef; name="winmail.dat"`,
		"Content-Transfer-Encoding: base64",
		`Content-Disposition: attachment; filename="winmail.dat"`,
	}
	// offset of the base64 quantum that encodes decoded byte j of a TNEF
	// body in a mixed message: the body starts after the part header.
	tnefAt := func(j int) (string, int) {
		return "\r\n\r\neJ8+", 4 + int(tnefDecodedOffset(j))
	}

	jisText := "\x1b$B$3$s$K$A$O\x1b(B Tanaka-san,\r\n\x1b$B;qNA$rAw$j$^$9\x1b(B\r\n"
	jisBad := "\x1b$B$3$s$K$A$O\x1b(B Tanaka-san,\r\n\x1b$Z;qNA$rAw$j$^$9\x1b(B\r\n"
	jisTrunc := base64Lines([]byte("\x1b$B$3$s$K$A$O\x1b(B\r\n\x1b$B;qNA$\x1b(B\r\n"))
	sjisText := "\x82\xb1\x82\xf1\x82\xc9\x82\xbf\x82\xcd\r\n\x8e\x91\x97\xbf\x82\xf0\x91\x97\x82\xe8\x82\xdc\x82\xb7\r\n"
	sjisTrunc := "\x82\xb1\x82\xf1\x82\xc9\x82\xbf\x82\xcd\r\n\x8e\x91\x97\xbf\x82\r\n"

	fx := []bodyFixture{
		// ENC-001
		{rule: "ENC-001", name: "pos-star-in-middle", part: "1.2",
			eml: mixed("Broken base64 attachment", []string{`Content-Type: application/msword; name="some.doc"`,
				"Content-Transfer-Encoding: base64", `Content-Disposition: attachment; filename="some.doc"`}, "PGh0*bWw+Cg==\r\n"),
			marker: "*bWw", note: "the '*' inside the base64 data (enmime malformed-base64-attach)"},
		{rule: "ENC-001", name: "pos-padding-middle",
			eml:    single("Padding in the middle", "application/octet-stream", "base64", "QUJDREVG\r\nQQ==QUFB\r\n"),
			marker: "==QUFB", note: "the '=' padding followed by more data"},
		{rule: "ENC-001", name: "pos-length",
			eml:    single("Base64 length", `text/plain; charset="utf-8"`, "base64", "SGVsbG8gV29ybGQhA\r\n"),
			marker: "SGVsbG8gV29ybGQhA", delta: 16, note: "the lone 17th character: 4n+1 characters cannot decode"},
		{rule: "ENC-001", name: "neg-valid",
			eml: mixed("Valid base64", []string{`Content-Type: text/plain; name="figures.txt"`, "Content-Transfer-Encoding: base64"}, b64Doc)},
		{rule: "ENC-001", name: "neg-missing-padding",
			eml: single("Missing padding only", `text/plain; charset="utf-8"`, "base64", "dmk\r\n")},

		// ENC-002
		{rule: "ENC-002", name: "pos-length-char", part: "1.2",
			eml:    mixed("Uuencode length", []string{`Content-Type: application/octet-stream; name="figures.txt"`, "Content-Transfer-Encoding: x-uuencode"}, uuBadLen),
			marker: "\r\nF", delta: 2, note: "data line whose length character F (38 bytes) disagrees with its 60 characters"},
		{rule: "ENC-002", name: "pos-no-end",
			eml: single("Uuencode without end", "text/plain; charset=us-ascii", "7bit",
				"Here is the file.\r\n\r\n"+strings.TrimSuffix(uuGood, "`\r\nend\r\n")+"\r\nThanks, Alice\r\n"),
			marker: "begin 644", note: "the begin line of a block that never ends"},
		{rule: "ENC-002", name: "pos-after-end", part: "1.2",
			eml:    mixed("Uuencode trailing bytes", []string{`Content-Type: application/octet-stream; name="figures.txt"`, "Content-Transfer-Encoding: x-uuencode"}, uuGood+"M1234garbage\r\n"),
			marker: "M1234garbage", note: "data after the end line"},
		{rule: "ENC-002", name: "neg-embedded",
			eml: single("Uuencoded file inline", "text/plain; charset=us-ascii", "7bit", "Here is the file.\r\n\r\n"+uuGood+"\r\nThanks, Alice\r\n")},
		{rule: "ENC-002", name: "neg-declared",
			eml: mixed("Uuencoded attachment", []string{`Content-Type: application/octet-stream; name="figures.txt"`, "Content-Transfer-Encoding: x-uuencode"}, uuGood)},

		// ENC-003
		{rule: "ENC-003", name: "pos-declared", part: "1.2",
			eml: mixed("BinHex attachment", []string{`Content-Type: application/mac-binhex40; name="Report.sit"`},
				"(This file must be converted with BinHex 4.0)\r\n:$f*TEQKPH#jdCA0d,R0TG!\"6594%8dP8)3#3\"!*h!!!!2'B!!!!!!!!!\r\n"),
			marker: "application/mac-binhex40", note: "the declared BinHex type"},
		{rule: "ENC-003", name: "pos-banner", part: "1.2",
			eml: mixed("BinHex undeclared", []string{`Content-Type: application/octet-stream; name="Report.hqx"`},
				"(This file must be converted with BinHex 4.0)\r\n:$f*TEQKPH#jdCA0d,R0TG!\"6594%8dP8)3#3\"!*h!!!!2'B!!!!!!!!!\r\n"),
			marker: "(This file", note: "the BinHex banner that starts the body"},
		{rule: "ENC-003", name: "neg-mention",
			eml: single("About BinHex", "text/plain; charset=us-ascii", "7bit", "Please do not send files converted with BinHex; use a zip file.\r\n")},

		// ENC-004
		{rule: "ENC-004", name: "pos-bad-escape",
			eml:    single("Broken quoted-printable", "text/plain; charset=iso-8859-1", "quoted-printable", "Caf=E9 prices rose =4 percent this week.\r\n"),
			marker: "=4 p", note: "'=' followed by one hex digit and a space"},
		{rule: "ENC-004", name: "pos-long-line",
			eml: single("Long quoted-printable line", "text/plain; charset=iso-8859-1", "quoted-printable",
				"Short line.\r\n"+strings.Repeat("x", 80)+"\r\n"),
			marker: "xxxxx", note: "an encoded line of 80 characters (limit 76)"},
		{rule: "ENC-004", name: "neg-valid",
			eml: single("Valid quoted-printable", "text/plain; charset=iso-8859-1", "quoted-printable",
				"Caf=E9 au lait =3D 2 euros, a long line that is broken with a soft line =\r\nbreak.\r\n")},

		// ENC-007 bodies
		{rule: "ENC-007", name: "pos-body-sjis-truncated",
			eml:    single("Truncated Shift_JIS", `text/plain; charset="shift_jis"`, "8bit", sjisText+sjisTrunc),
			marker: "\x82\r\n", note: "a Shift_JIS lead byte 0x82 cut off by the line ending"},
		{rule: "ENC-007", name: "pos-body-iso2022jp-bad-escape",
			eml:    single("Bad JIS escape", `text/plain; charset="ISO-2022-JP"`, "7bit", jisBad),
			marker: "\x1b$Z", note: "ESC $ Z is not an ISO-2022-JP escape"},
		{rule: "ENC-007", name: "pos-body-iso2022jp-base64",
			eml:    single("Truncated JIS pair in base64", `text/plain; charset="ISO-2022-JP"`, "base64", jisTrunc),
			marker: "\r\n\r\n", delta: 4 + int(tnefDecodedOffset(25)), note: "the base64 quantum holding the lone '$' (decoded byte 25) before ESC ( B"},
		{rule: "ENC-007", name: "neg-body-sjis-valid",
			eml: single("Valid Shift_JIS", `text/plain; charset="shift_jis"`, "8bit", sjisText)},
		{rule: "ENC-007", name: "neg-body-iso2022jp-valid",
			eml: single("Valid JIS", `text/plain; charset="ISO-2022-JP"`, "7bit", jisText)},

		// TNEF-001
		{rule: "TNEF-001", name: "pos-bad-checksum", part: "1.2",
			eml:  mixed("TNEF bad checksum", tnefPart, base64Lines(tnefBadSum)),
			note: "the checksum of attSubject (4th attribute)"},
		{rule: "TNEF-001", name: "pos-zero-length-string", part: "1.2",
			eml:  mixed("TNEF zero-length string", tnefPart, base64Lines(tnefZero)),
			note: "attAttachTitle (0x00018010) with length 0"},
		{rule: "TNEF-001", name: "pos-length-past-end", part: "1.2",
			eml:  mixed("TNEF attribute too long", tnefPart, base64Lines(tnefLong)),
			note: "attAttachData declares 16 MB in a part of a few hundred bytes"},
		{rule: "TNEF-001", name: "pos-mapi-value-overrun", part: "1.2",
			eml:  mixed("TNEF MAPI overrun", tnefPart, base64Lines(tnefMAPIBad)),
			note: "attMsgProps property 0x10090102 whose value length (2 GB) runs past the attribute (MS06-003 pattern)"},
		{rule: "TNEF-001", name: "pos-bad-signature", part: "1.2",
			eml:  mixed("TNEF bad signature", tnefPart, base64Lines(append([]byte{0x78, 0x9f, 0x3e, 0x00}, tnefGood[4:]...))),
			note: "signature 78 9F 3E 00"},
		{rule: "TNEF-001", name: "pos-valid-low", part: "1",
			eml:  single("TNEF valid", `application/ms-tnef; name="winmail.dat"`, "base64", base64Lines(tnefGood)),
			note: "a valid TNEF part is reported at low severity", sev: Low},
		{rule: "TNEF-001", name: "neg-octet-stream",
			eml: mixed("Not TNEF", []string{`Content-Type: application/octet-stream; name="winmail.bin"`, "Content-Transfer-Encoding: base64"}, base64Lines(tnefBadSum))},

		// TNEF-002
		{rule: "TNEF-002", name: "pos-in-multipart", part: "1.2",
			eml:    mixed("TNEF in multipart", tnefPart, base64Lines(tnefGood)),
			marker: "Content-Type: application/ms-tnef", note: "the Content-Type of the TNEF part inside multipart/mixed"},
		{rule: "TNEF-002", name: "neg-top-level",
			eml: single("TNEF top level", `application/ms-tnef; name="winmail.dat"`, "base64", base64Lines(tnefGood))},

		// STR-006 bodies
		{rule: "STR-006", name: "pos-body-nul-text",
			eml:    single("NUL in body", "text/plain; charset=us-ascii", "7bit", "Line one.\r\nLine\x00two.\r\n"),
			marker: "\x00", note: "the NUL in a 7bit body"},
		{rule: "STR-006", name: "pos-body-nul-qp", part: "1.2",
			eml:    mixed("NUL in quoted-printable", []string{"Content-Type: text/plain; charset=iso-8859-1", "Content-Transfer-Encoding: quoted-printable"}, "Caf=E9\x00\r\n"),
			marker: "\x00", note: "a raw NUL in a quoted-printable body"},
		{rule: "STR-006", name: "neg-body-binary",
			eml: single("NUL in binary body", "application/octet-stream", "binary", "\x00\x01\x02\x03binary\x00data\r\n")},
	}
	for i := range fx {
		f := &fx[i]
		if f.rule == "TNEF-001" && f.marker == "" {
			var j int
			switch f.name {
			case "pos-bad-checksum":
				j = len(buildTNEF(badSum[:4])) - 2
			case "pos-zero-length-string":
				j = len(buildTNEF(zero[:5]))
			case "pos-length-past-end":
				j = len(buildTNEF(long[:6]))
			case "pos-mapi-value-overrun":
				j = len(buildTNEF(mapiBad[:4])) + 9 + 4 + 8 // attribute header, count, first property
			}
			f.marker, f.delta = tnefAt(j)
		}
	}
	return fx
}

// offset returns the expected offset of a positive fixture.
func (f *bodyFixture) offset() int {
	i := strings.Index(f.eml, f.marker)
	if i < 0 {
		panic(fmt.Sprintf("%s/%s: marker %q not in the message", f.rule, f.name, f.marker))
	}
	return i + f.delta
}

func (f *bodyFixture) want() string {
	var sb strings.Builder
	sb.WriteString("# generated by mime/fixtures_body_test.go\n")
	if f.note != "" {
		sb.WriteString("# " + f.note + "\n")
	}
	if f.sev != 0 {
		sb.WriteString("# severity " + f.sev.String() + " (checked by TestBodyFixtureSeverities)\n")
	}
	fmt.Fprintf(&sb, "offset %d\n", f.offset())
	if f.part != "" {
		sb.WriteString("part " + f.part + "\n")
	}
	return sb.String()
}

func TestBodyFixturesUpToDate(t *testing.T) {
	for _, f := range bodyFixtures() {
		dir := filepath.Join(fixtureRoot, f.rule)
		files := map[string]string{f.name + ".eml": f.eml}
		if strings.HasPrefix(f.name, "pos-") {
			files[f.name+".want"] = f.want()
		}
		for name, content := range files {
			path := filepath.Join(dir, name)
			if *genBodyFixtures {
				if err := os.MkdirAll(dir, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			got, err := os.ReadFile(path)
			if err != nil {
				t.Errorf("%v (regenerate with -gen-body-fixtures)", err)
				continue
			}
			if !bytes.Equal(got, []byte(content)) {
				t.Errorf("%s differs from the generator (regenerate with -gen-body-fixtures)", path)
			}
		}
	}
}

// TestBodyFixtureSeverities checks what the shared fixture harness cannot:
// the severity of the first finding (TNEF-001 is low for a valid part).
func TestBodyFixtureSeverities(t *testing.T) {
	for _, f := range bodyFixtures() {
		if !strings.HasPrefix(f.name, "pos-") {
			continue
		}
		rep, err := Scan(strings.NewReader(f.eml), Options{})
		if err != nil {
			t.Fatal(err)
		}
		want := f.sev
		if want == 0 {
			r, _ := RuleByID(f.rule)
			want = r.Severity
		}
		found := false
		for _, g := range rep.Findings {
			if g.Rule == f.rule {
				found = true
				if g.Severity != want {
					t.Errorf("%s/%s: severity %s, want %s", f.rule, f.name, g.Severity, want)
				}
				break
			}
		}
		if !found {
			t.Errorf("%s/%s: no %s finding", f.rule, f.name, f.rule)
		}
	}
}
