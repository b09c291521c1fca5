package mime

import (
	"encoding/base64"
	"encoding/binary"
	"strings"
	"testing"
)

// tnefAttr is one attribute for buildTNEF.
type tnefAttr struct {
	level byte
	id    uint32
	data  []byte
	// sumDelta is added to the correct checksum (non-zero: a bad checksum).
	sumDelta uint16
	// length, when non-zero, replaces the real data length in the header.
	length uint32
}

// buildTNEF writes a TNEF stream (MS-OXTNEF 2.1.3) with the given attributes.
func buildTNEF(attrs []tnefAttr) []byte {
	b := []byte(tnefSignature)
	b = append(b, 0x01, 0x00) // legacy key
	for _, a := range attrs {
		b = append(b, a.level)
		b = binary.LittleEndian.AppendUint32(b, a.id)
		n := uint32(len(a.data))
		if a.length != 0 {
			n = a.length
		}
		b = binary.LittleEndian.AppendUint32(b, n)
		b = append(b, a.data...)
		var sum uint16
		for _, c := range a.data {
			sum += uint16(c)
		}
		b = binary.LittleEndian.AppendUint16(b, sum+a.sumDelta)
	}
	return b
}

// sampleTNEF returns the attributes of a small valid winmail.dat: message
// attributes, then one attachment.
func sampleTNEF() []tnefAttr {
	return []tnefAttr{
		{level: 1, id: 0x00089006, data: []byte{0x00, 0x00, 0x01, 0x00}},                   // attTnefVersion
		{level: 1, id: 0x00069007, data: []byte{0xe4, 0x04, 0, 0, 0, 0, 0, 0}},             // attOemCodepage 1252
		{level: 1, id: 0x00078008, data: []byte("IPM.Microsoft Mail.Note\x00")},            // attMessageClass
		{level: 1, id: 0x00018004, data: []byte("Quarterly report\x00")},                   // attSubject
		{level: 2, id: 0x00069002, data: []byte{1, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0}}, // attAttachRenddata
		{level: 2, id: 0x00018010, data: []byte("report.txt\x00")},                         // attAttachTitle
		{level: 2, id: 0x0006800f, data: []byte(strings.Repeat("quarterly figures\r\n", 40))},
	}
}

// base64Lines encodes b as base64 in CRLF lines of 76 characters.
func base64Lines(b []byte) string {
	s := base64.StdEncoding.EncodeToString(b)
	var sb strings.Builder
	for len(s) > 76 {
		sb.WriteString(s[:76] + "\r\n")
		s = s[76:]
	}
	sb.WriteString(s + "\r\n")
	return sb.String()
}

// tnefDecodedOffset returns the body offset of the base64 quantum that
// encodes decoded byte j, for bodies made by base64Lines.
func tnefDecodedOffset(j int) int64 {
	c := j / 3 * 4 // character index in the unbroken encoding
	return int64(c + c/76*2)
}

func TestTNEFChecker(t *testing.T) {
	mk := func() *part {
		return testPart("application/ms-tnef", "base64", map[string]string{"name": "winmail.dat"})
	}
	good := buildTNEF(sampleTNEF())

	badSum := sampleTNEF()
	badSum[6].sumDelta = 1
	badSumBytes := buildTNEF(badSum)
	sumAt := len(badSumBytes) - 2

	zeroStr := sampleTNEF()
	zeroStr[3].data = nil
	zeroStrBytes := buildTNEF(zeroStr)
	zeroAt := len(buildTNEF(zeroStr[:3]))

	long := sampleTNEF()
	long[6].length = 0x7fffffff
	longBytes := buildTNEF(long)
	longAt := len(buildTNEF(long[:6]))

	badLevel := buildTNEF(sampleTNEF())
	badLevel[6] = 3

	badSig := append([]byte{0x78, 0x9f, 0x3e, 0x23}, good[4:]...)

	cut := good[:len(good)-5] // inside the last attribute's data
	lastAt := len(buildTNEF(sampleTNEF()[:6]))

	tests := []struct {
		name string
		body []byte
		at   int64 // expected offset (in the base64 body); -1: valid
		msg  string
	}{
		{"valid", good, -1, "valid TNEF"},
		{"bad checksum", badSumBytes, tnefDecodedOffset(sumAt), "checksum"},
		{"zero-length string", zeroStrBytes, tnefDecodedOffset(zeroAt), "zero-length string"},
		{"length past the end", longBytes, tnefDecodedOffset(longAt), "declares 2147483647 data bytes"},
		{"bad level", badLevel, tnefDecodedOffset(6), "level 0x03"},
		{"bad signature", badSig, 0, "signature"},
		{"cut inside data", cut, tnefDecodedOffset(lastAt), "ends"},
		{"signature only", good[:6], 0, "no attributes"},
		{"cut header", good[:10], tnefDecodedOffset(6), "header cut off"},
		{"empty", nil, 0, "ends after 0 bytes"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body := base64Lines(tc.body)
			if len(tc.body) == 0 {
				body = ""
			}
			fs := scanBody(mk(), []byte(body), 100, nil, "TNEF-001")
			if len(fs) != 1 {
				t.Fatalf("want one finding, got %v", fs)
			}
			f := fs[0]
			wantSev, wantAt := Crash, tc.at
			if tc.at < 0 {
				wantSev, wantAt = Low, 0
			}
			if f.Severity != wantSev || f.Offset != 100+wantAt || !strings.Contains(f.Message, tc.msg) {
				t.Fatalf("got %v; want %s at %d mentioning %q", f, wantSev, 100+wantAt, tc.msg)
			}
			checkSplitInvariance(t, mk, []byte(body), "TNEF-001")
		})
	}
}

func TestTNEFRawBinary(t *testing.T) {
	// TNEF sent as binary: the line endings inside the data are data too.
	good := buildTNEF(sampleTNEF())
	mk := func() *part { return testPart("application/ms-tnef", "binary", nil) }
	fs := scanBody(mk(), good, 0, nil, "TNEF-001")
	if len(fs) != 1 || fs[0].Severity != Low {
		t.Fatalf("got %v", fs)
	}
	checkSplitInvariance(t, mk, good, "TNEF-001")
	// The CRLF before a multipart delimiter reaches the checker too.
	if fs := scanBody(mk(), append(good, "\r\n"...), 0, nil, "TNEF-001"); len(fs) != 1 || fs[0].Severity != Low {
		t.Fatalf("with the delimiter's CRLF: %v", fs)
	}
	if fs := scanBody(mk(), append(good, "\r\nX"...), 0, nil, "TNEF-001"); len(fs) != 1 || fs[0].Severity != Crash {
		t.Fatalf("with 3 stray bytes: %v", fs)
	}
}

func TestTNEFDetection(t *testing.T) {
	disp := func(v string) *part {
		p := testPart("application/octet-stream", "base64", nil)
		p.fields = []field{{name: []byte("Content-Disposition"), value: []byte(v)}}
		return p
	}
	tests := []struct {
		p    *part
		want bool
	}{
		{testPart("application/ms-tnef", "base64", nil), true},
		{testPart("application/vnd.ms-tnef", "base64", nil), true},
		{testPart("application/octet-stream", "base64", map[string]string{"name": "WINMAIL.DAT"}), true},
		{disp(" attachment; filename=\"winmail.dat\"\r\n"), true},
		{disp(" attachment;\r\n filename=Winmail.dat\r\n"), true},
		{disp(" attachment; filename=\"winmail.dat.txt\"\r\n"), false},
		{disp(" attachment; filename=\"mywinmail.dat\"\r\n"), false},
		{testPart("application/octet-stream", "base64", nil), false},
	}
	for i, tc := range tests {
		if got := isTNEFPart(tc.p); got != tc.want {
			t.Errorf("case %d: isTNEFPart = %v, want %v", i, got, tc.want)
		}
	}
}

func TestTNEFInsideMultipart(t *testing.T) {
	body := []byte(base64Lines(buildTNEF(sampleTNEF())))
	p := testPart("application/ms-tnef", "base64", nil)
	p.path = "1.2"
	p.fields = []field{{name: []byte("Content-Type"), value: []byte(" application/ms-tnef\r\n"), offset: 321, valueOffset: 334, line: 12}}
	p.parent = &part{mediaType: "multipart/mixed", path: "1"}
	fs := scanBody(p, body, 400, nil, "TNEF-002")
	if len(fs) != 1 || fs[0].Offset != 321 || fs[0].Line != 12 || fs[0].Part != "1.2" || !strings.Contains(fs[0].Message, "multipart/mixed") {
		t.Fatalf("got %v", fs)
	}
	top := testPart("application/ms-tnef", "base64", nil)
	if fs := scanBody(top, body, 0, nil, "TNEF-002"); len(fs) != 0 {
		t.Fatalf("top-level TNEF: %v", fs)
	}
}

func TestBodyNULChecker(t *testing.T) {
	for _, enc := range []string{"", "7bit", "8bit", "base64", "quoted-printable"} {
		mk := func() *part { return testPart("text/plain", enc, nil) }
		runEncCases(t, "STR-006", mk, []encCase{
			{name: enc + " clean", body: "abc\r\ndef\r\n"},
			{name: enc + " nul", body: "abc\r\nd\x00f\x00\r\n\x00", want: []int64{6}, msg: "not binary"},
		})
	}
	if fs := scanBody(testPart("application/octet-stream", "binary", nil), []byte("a\x00b"), 0, nil, "STR-006"); len(fs) != 0 {
		t.Errorf("binary part: %v", fs)
	}
}
