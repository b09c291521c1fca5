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
	check func(t *testing.T, rep *Report) // more checks, if any
}

func runParamCases(t *testing.T, cases []paramCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.rule+"/"+c.name, func(t *testing.T) {
			rep, err := Scan(strings.NewReader(c.msg), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if c.check != nil {
				c.check(t, rep)
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

// mpMsg is a multipart/mixed message with the given Content-Type
// parameters and one text part delimited by boundary b.
func mpMsg(params, b string) string {
	return paramHeader + "Content-Type: multipart/mixed; " + params + "\r\n\r\n" +
		"--" + b + "\r\nContent-Type: text/plain\r\n\r\nx\r\n--" + b + "--\r\n"
}

// followsBoundary checks that the scanner still reads the multipart with
// boundary b (the one it took before MP-004 knew RFC 2231 forms): one
// child, closed, nothing missing.
func followsBoundary(b string) func(t *testing.T, rep *Report) {
	return func(t *testing.T, rep *Report) {
		t.Helper()
		if len(rep.Parts) != 2 || rep.Parts[0].Boundary != b || rep.Parts[1].Path != "1.1" || rep.Parts[1].ContentType != "text/plain" {
			t.Errorf("structure changed: want boundary %q and one text/plain child, got %+v", b, rep.Parts)
		}
		for _, f := range rep.Findings {
			switch f.Rule {
			case "MP-001", "MP-002", "MP-003", "MP-010":
				t.Errorf("unexpected %s", f)
			}
		}
	}
}

// TestBoundaryRFC2231 covers MP-004 for a plain boundary next to an RFC
// 2231 one (Go's mime.ParseMediaType takes the RFC 2231 value, Python's
// compat32 the plain one), and checks that the scanner still follows the
// boundary it took before.
func TestBoundaryRFC2231(t *testing.T) {
	runParamCases(t, []paramCase{
		{name: "plain-then-extended", rule: "MP-004", msg: mpMsg(`boundary="a"; boundary*=us-ascii''b`, "a"),
			at: "boundary*", check: followsBoundary("a")},
		{name: "sections-then-plain", rule: "MP-004", msg: mpMsg(`boundary*0="x"; boundary*1="y"; boundary="c"`, "c"),
			at: `boundary="c"`, check: followsBoundary("c")},
		{name: "extended-then-plain", rule: "MP-004", msg: mpMsg(`boundary*=''b; boundary="a"`, "b"),
			at: `boundary="a"`, check: followsBoundary("b")},
		{name: "plain-then-extended-section", rule: "MP-004", msg: mpMsg("boundary=a;\r\n boundary*0*=us-ascii''b;\r\n boundary*1=c", "a"),
			at: "boundary*0*", check: followsBoundary("a")},
		// Equal values are reported too: whether two readers agree
		// depends on their RFC 2231 decoding.
		{name: "same-value", rule: "MP-004", msg: mpMsg(`boundary="a"; boundary*=us-ascii''a`, "a"),
			at: "boundary*", check: followsBoundary("a")},
		{name: "extended-and-sections", rule: "MP-004", msg: mpMsg(`boundary*=''a; boundary*0="b"`, "a"),
			at: "boundary*0", check: followsBoundary("a")},
		{name: "neg-extended-only", rule: "MP-004", neg: true, msg: mpMsg(`boundary*=us-ascii''b`, "b"), check: followsBoundary("b")},
		{name: "neg-sections-only", rule: "MP-004", neg: true, msg: mpMsg(`boundary*0="x"; boundary*1="y"; boundary*2*=%7a`, "xyz"), check: followsBoundary("xyz")},
		{name: "neg-other-name", rule: "MP-004", neg: true, msg: mpMsg(`boundary="a"; x-boundary*=''b; boundary*x=c`, "a"), check: followsBoundary("a")},
	})
}

// TestTNEFNameDecoded covers TNEF-001 and TNEF-002 for a winmail.dat
// named through RFC 2231 or an RFC 2047 encoded word: the decoded name
// (as Report.Parts shows it) counts, not the raw header bytes.
func TestTNEFNameDecoded(t *testing.T) {
	badSum := sampleTNEF()
	badSum[3].sumDelta = 0x0100 // attSubject's checksum is off
	body := base64Lines(buildTNEF(badSum))
	// The base64 quantum holding attSubject's checksum.
	sumDelta := 4 + int(tnefDecodedOffset(len(buildTNEF(badSum[:4]))-2))
	msg := func(hdr ...string) string {
		h := []string{"Content-Type: application/octet-stream", "Content-Transfer-Encoding: base64"}
		return mixed("TNEF by name", append(h, hdr...), body)
	}
	pos := []struct{ name, msg string }{
		{"rfc2231-extended", msg("Content-Disposition: attachment; filename*=utf-8''winmail.dat")},
		{"rfc2231-extended-percent-case", msg("Content-Disposition: attachment; filename*=us-ascii'en'WINMAIL%2EDAT")},
		{"rfc2231-sections", msg("Content-Disposition: attachment; filename*0=winmail; filename*1=.dat")},
		{"rfc2231-sections-folded", msg("Content-Disposition: attachment;\r\n filename*1*=%2Edat;\r\n filename*0*=utf-8''Winmail")},
		{"encoded-word-q", msg(`Content-Disposition: attachment; filename="=?us-ascii?Q?winmail.dat?="`)},
		{"encoded-word-b-name", msg(`Content-Disposition: attachment; name="=?utf-8?B?d2lubWFpbC5kYXQ=?="`)},
		{"quoted-pair", msg(`Content-Disposition: attachment; filename="win\mail.dat"`)},
	}
	// The Content-Type name is decoded too (RFC 2231 already was).
	ctName := mixed("TNEF by name", []string{`Content-Type: application/octet-stream; name="=?us-ascii?Q?winmail.dat?="`, "Content-Transfer-Encoding: base64"}, body)
	pos = append(pos, struct{ name, msg string }{"content-type-encoded-word", ctName})
	neg := []struct{ name, msg string }{
		{"rfc2231-other-name", msg("Content-Disposition: attachment; filename*=utf-8''winmail.dat.txt")},
		{"rfc2231-sections-other-name", msg("Content-Disposition: attachment; filename*0=winmail; filename*1=.dat.txt")},
		{"encoded-word-other-name", msg(`Content-Disposition: attachment; filename="=?us-ascii?Q?my_winmail.dat?="`)},
		{"other-parameter", msg("Content-Disposition: attachment; filename=report.txt; x-orig*=''winmail.dat")},
		{"content-type-encoded-other-name", mixed("TNEF by name", []string{`Content-Type: application/octet-stream; name="=?us-ascii?Q?winmail.bin?="`, "Content-Transfer-Encoding: base64"}, body)},
	}
	var cases []paramCase
	for _, c := range pos {
		cases = append(cases,
			paramCase{name: c.name, rule: "TNEF-001", msg: c.msg, at: "\r\n\r\neJ8+", delta: sumDelta, part: "1.2"},
			paramCase{name: c.name, rule: "TNEF-002", msg: c.msg, at: "Content-Type: application/octet-stream", part: "1.2"})
	}
	for _, c := range neg {
		cases = append(cases,
			paramCase{name: "neg-" + c.name, rule: "TNEF-001", msg: c.msg, neg: true},
			paramCase{name: "neg-" + c.name, rule: "TNEF-002", msg: c.msg, neg: true})
	}
	runParamCases(t, cases)
}

// TestMayNameWinmail checks the cheap test that gates the Content-Disposition
// parse in isTNEFPart: it must let through every value that can decode to
// winmail.dat.
func TestMayNameWinmail(t *testing.T) {
	for _, v := range []string{
		"attachment; filename=WinMail.dat", "attachment; filename*=''w%69nmail.dat",
		`attachment; filename="=?utf-8?B?d2lubWFpbC5kYXQ=?="`, `attachment; filename="wi\nmail.dat"`,
	} {
		if !mayNameWinmail([]byte(v)) {
			t.Errorf("mayNameWinmail(%q) = false", v)
		}
	}
	for _, v := range []string{"attachment; filename=report.doc", "inline", ""} {
		if mayNameWinmail([]byte(v)) {
			t.Errorf("mayNameWinmail(%q) = true", v)
		}
	}
}
