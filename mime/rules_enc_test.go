package mime

import (
	"strings"
	"testing"
)

// encCase is one body and the offsets (relative to the body) of the
// findings expected for one rule, in order; nil means none.
type encCase struct {
	name string
	body string
	want []int64
	// msg, when set, must appear in the first finding's message.
	msg string
}

func runEncCases(t *testing.T, rule string, mk func() *part, cases []encCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			const base = 1000
			fs := scanBody(mk(), []byte(tc.body), base, nil, rule)
			var got []int64
			for _, f := range fs {
				got = append(got, f.Offset-base)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("findings at %v, want %v: %v", got, tc.want, fs)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("findings at %v, want %v: %v", got, tc.want, fs)
				}
			}
			if tc.msg != "" && !strings.Contains(fs[0].Message, tc.msg) {
				t.Errorf("message %q does not mention %q", fs[0].Message, tc.msg)
			}
			checkSplitInvariance(t, mk, []byte(tc.body), rule)
		})
	}
}

func TestBase64Checker(t *testing.T) {
	mk := func() *part { return testPart("application/octet-stream", "base64", nil) }
	runEncCases(t, "ENC-001", mk, []encCase{
		{name: "valid", body: "QUJD\r\nREVG\r\nRA==\r\n"},
		{name: "valid one pad", body: "QUJDRA0=\r\n"},
		{name: "valid no padding", body: "QUJDRA\r\n"}, // missing padding decodes: not ENC-001
		{name: "blanks allowed", body: "QU JD\tRE VG\r\n\r\n  \r\n"},
		{name: "empty", body: ""},
		{name: "star in the middle", body: "PGh0*bWw+Cg==\r\n", want: []int64{4}, msg: "0x2a"},
		{name: "bad char second line", body: "QUJD\r\nRE-G\r\n", want: []int64{8}},
		{name: "only first bad char", body: "QU!D\r\nRE-G\r\n", want: []int64{2}},
		{name: "padding in the middle", body: "QQ==QUFB\r\n", want: []int64{2}, msg: "middle"},
		{name: "padding then next line", body: "QUE=\r\nQUJD\r\n", want: []int64{3}, msg: "middle"},
		{name: "surplus pad at the end", body: "QUFB=\r\n"},
		{name: "overlong padding at the end", body: "QUE==\r\n="},
		{name: "pad after one char", body: "QUFBQ===\r\n", want: []int64{4}, msg: "length"},
		{name: "surplus pad then data", body: "QUFB=QUFB\r\n", want: []int64{4}, msg: "middle"},
		{name: "overlong padding then data", body: "QUE==\r\n==\r\nQUFB", want: []int64{3}, msg: "middle"},
		{name: "length 4n+1", body: "SGVsbG8gV29ybGQhA\r\n\r\n", want: []int64{16}, msg: "length"},
		{name: "length 4n+1 no eol", body: "QUFBQ", want: []int64{4}},
		{name: "concatenated segments", body: "QQ==\r\nQUJD\r\n", want: []int64{2}},
	})
}

func TestBase64CheckerOnlyBase64(t *testing.T) {
	for _, enc := range []string{"", "7bit", "quoted-printable"} {
		if fs := scanBody(testPart("text/plain", enc, nil), []byte("*&^\r\n"), 0, nil, "ENC-001"); len(fs) != 0 {
			t.Errorf("encoding %q: %v", enc, fs)
		}
	}
}

func TestQPChecker(t *testing.T) {
	mk := func() *part { return testPart("text/plain", "quoted-printable", nil) }
	long := strings.Repeat("a", 77)
	runEncCases(t, "ENC-004", mk, []encCase{
		{name: "valid", body: "caf=C3=A9 =3D ok=\r\nsoft\r\n"},
		{name: "lower-case hex accepted", body: "caf=c3=a9\r\n"},
		{name: "soft break with blanks", body: "abc= \t\r\ndef\r\n"},
		{name: "soft break at end", body: "abc="},
		{name: "76 chars", body: strings.Repeat("b", 76) + "\r\n"},
		{name: "bad hex", body: "abc=XY\r\n", want: []int64{3}, msg: "(1 in this part)"},
		{name: "one hex then eol", body: "abc=4\r\nxyz\r\n", want: []int64{3}},
		{name: "one hex then end", body: "abc=4", want: []int64{3}},
		{name: "equals then equals", body: "a==41\r\n", want: []int64{1}},
		{name: "blank then text", body: "ab= x\r\n", want: []int64{2}},
		{name: "counted", body: "=ZZ\r\n=Z\r\n=3D\r\n", want: []int64{0}, msg: "(2 in this part)"},
		{name: "long line", body: "ok\r\n" + long + "\r\n" + long + "\r\n", want: []int64{4}, msg: "(2 such lines"},
		{name: "bad and long", body: long + "\r\n=G1\r\n", want: []int64{0, 79}},
	})
}

// uuencodeLine encodes up to 45 bytes as one uuencode data line.
func uuencodeLine(b []byte) string {
	enc := func(v byte) byte {
		if v == 0 {
			return '`'
		}
		return v + 0x20
	}
	var sb strings.Builder
	sb.WriteByte(enc(byte(len(b))))
	for i := 0; i < len(b); i += 3 {
		var q [3]byte
		copy(q[:], b[i:])
		sb.WriteByte(enc(q[0] >> 2))
		sb.WriteByte(enc((q[0]<<4 | q[1]>>4) & 63))
		sb.WriteByte(enc((q[1]<<2 | q[2]>>6) & 63))
		sb.WriteByte(enc(q[2] & 63))
	}
	return sb.String()
}

// uuencode returns a complete "begin ... end" block with CRLF line endings.
func uuencode(name string, data []byte) string {
	var sb strings.Builder
	sb.WriteString("begin 644 " + name + "\r\n")
	for i := 0; i < len(data); i += 45 {
		sb.WriteString(uuencodeLine(data[i:min(i+45, len(data))]) + "\r\n")
	}
	sb.WriteString("`\r\nend\r\n")
	return sb.String()
}

func TestUUChecker(t *testing.T) {
	data := []byte(strings.Repeat("The quick brown fox jumps over the lazy dog. ", 3) + "tail")
	good := uuencode("fox.txt", data)
	if !strings.Contains(good, "\r\nM") {
		t.Fatalf("generator: no full line in %q", good)
	}
	declared := func() *part { return testPart("application/octet-stream", "x-uuencode", nil) }
	runEncCases(t, "ENC-002", declared, []encCase{
		{name: "valid", body: good},
		{name: "valid blank after", body: good + "\r\n\r\n"},
		{name: "valid two files", body: good + uuencode("b", []byte("xyz"))},
		{name: "valid stripped blank zero line", body: strings.Replace(good, "`\r\nend", "\r\nend", 1)},
		{name: "length char disagrees", body: strings.Replace(good, "\r\nM", "\r\nF", 1), want: []int64{int64(strings.Index(good, "\r\nM")) + 2}, msg: "announces"},
		{name: "line cut short", body: "begin 644 x\r\nM" + strings.Repeat("A", 40) + "\r\n`\r\nend\r\n", want: []int64{13}},
		{name: "no end", body: "begin 644 x\r\n" + uuencodeLine([]byte("abc")) + "\r\n`\r\n", want: []int64{0}, msg: "no end"},
		{name: "no end, eof in data", body: "\r\nbegin 644 x\r\n" + uuencodeLine([]byte("abc")), want: []int64{2}},
		{name: "junk on end line", body: strings.Replace(good, "end\r\n", "endXX\r\n", 1), want: []int64{int64(strings.Index(good, "end\r\n")) + 3}, msg: "after end"},
		{name: "bytes after end", body: good + "garbage\r\n", want: []int64{int64(len(good))}},
		{name: "no begin", body: "just text\r\n", want: []int64{0}, msg: "no begin"},
		{name: "empty declared", body: "", want: []int64{0}},
	})
	plain := func() *part { return testPart("text/plain", "7bit", map[string]string{"charset": "us-ascii"}) }
	runEncCases(t, "ENC-002", plain, []encCase{
		{name: "prose", body: "hello\r\nbegin the meeting at 9\r\nend\r\n"},
		{name: "embedded valid, prose after", body: "see attached\r\n\r\n" + good + "\r\nregards\r\n"},
		{name: "embedded no end", body: "x\r\nbegin 600 a.bin\r\n" + uuencodeLine([]byte("abcdef")) + "\r\nregards\r\n", want: []int64{3}},
		// A prose line that happens to read "begin <octal digits> word" is
		// no block unless uuencoded data follows it.
		{name: "prose with octal number", body: "Hi team,\r\nbegin 2024 planning next week\r\nthanks\r\n"},
		{name: "prose about uuencode", body: "begin 644 report.txt\r\nplease see attached\r\n"},
		{name: "prose at the end", body: "we will\r\nbegin 100 tests\r\n"},
		{name: "prose then blank", body: "begin 755 the script\r\n\r\nthen end\r\n"},
		{name: "begin then bad length", body: "begin 644 a\r\nM" + "AAAA" + "\r\nend\r\n", want: []int64{13}},
	})
	if c := newUUChecker(testPart("text/html", "7bit", nil)); c != nil {
		t.Error("text/html should not be checked for uuencode blocks")
	}
}

func TestBinHexChecker(t *testing.T) {
	const banner = "(This file must be converted with BinHex 4.0)\r\n:$f*TEQKPH#jdCA0d,R0TG!\"6594%8dP8)3#3\"!*h!!!!2'B!!!!!!!!!\r\n"
	p := testPart("application/mac-binhex40", "7bit", nil)
	p.fields = []field{{name: []byte("Content-Type"), value: []byte(" application/mac-binhex40\r\n"), offset: 40, valueOffset: 53, line: 3}}
	fs := scanBody(p, []byte(banner), 500, nil, "ENC-003")
	if len(fs) != 1 || fs[0].Offset != 54 || fs[0].Line != 3 {
		t.Fatalf("declared: %v", fs)
	}
	mk := func() *part { return testPart("text/plain", "7bit", nil) }
	runEncCases(t, "ENC-003", mk, []encCase{
		{name: "banner", body: banner, want: []int64{0}},
		{name: "banner after blank lines", body: "\r\n  \r\n" + banner, want: []int64{6}},
		{name: "banner later in text", body: "Hello,\r\n" + banner},
		{name: "short text", body: "(This file\r\n"},
		{name: "empty", body: ""},
	})
}

// BenchmarkBodyCheckers streams a 5 MB base64 attachment and a 1 MB
// Shift_JIS text through the checkers each part gets, as the core would.
func BenchmarkBodyCheckers(b *testing.B) {
	raw := make([]byte, 5<<20)
	for i := range raw {
		raw[i] = byte(i * 7)
	}
	b64 := []byte(base64Lines(raw))
	sjis := []byte(strings.Repeat("\x82\xb1\x82\xf1\x82\xc9\x82\xbf\x82\xcd abc\r\n", 1<<16))
	qp := []byte(strings.Repeat("Caf=E9 au lait =3D 2 euros, a line that is broken with a soft line =\r\nbreak.\r\n", 1<<14))
	for _, bc := range []struct {
		name string
		p    func() *part
		body []byte
	}{
		{"base64", func() *part { return testPart("application/octet-stream", "base64", nil) }, b64},
		{"sjis-8bit", func() *part {
			return testPart("text/plain", "8bit", map[string]string{"charset": "shift_jis"})
		}, sjis},
		{"qp-text", func() *part {
			return testPart("text/plain", "quoted-printable", map[string]string{"charset": "iso-8859-1"})
		}, qp},
		{"plain-text", func() *part { return testPart("text/plain", "7bit", nil) }, qp},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(bc.body)))
			b.ReportAllocs()
			for b.Loop() {
				feedBody(checkersFor(bc.p()), bc.body, 0, 1, nil)
			}
		})
	}
}
