package mime

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"os"
	"path/filepath"
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
		{level: 2, id: attAttachment, data: sampleMAPIList()},
	}
}

// MAPI property list builders (MS-OXTNEF 2.1.3.4).

func le32b(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }

func padded(b []byte) []byte {
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

// mapiList is a count followed by the properties.
func mapiList(props ...[]byte) []byte {
	b := le32b(uint32(len(props)))
	for _, p := range props {
		b = append(b, p...)
	}
	return b
}

// mapiFixed is a fixed-size property: tag and value padded to 4.
func mapiFixed(tag uint32, v []byte) []byte { return append(le32b(tag), padded(v)...) }

// mapiVar is a variable-size or multi-valued property: tag, value count,
// then each value as length, data, padding.
func mapiVar(tag uint32, vals ...[]byte) []byte {
	b := append(le32b(tag), le32b(uint32(len(vals)))...)
	for _, v := range vals {
		b = append(b, le32b(uint32(len(v)))...)
		b = append(b, padded(append([]byte(nil), v...))...)
	}
	return b
}

// mapiNamed puts a named-property header (GUID, kind, ID or name) between
// the tag and the value of prop.
func mapiNamed(prop []byte, name string) []byte {
	b := append([]byte(nil), prop[:4]...)
	b = append(b, bytes.Repeat([]byte{0xab}, 16)...) // GUID
	if name == "" {
		b = append(b, le32b(0)...)
		b = append(b, le32b(0x8501)...)
	} else {
		u := []byte{}
		for _, r := range name + "\x00" {
			u = append(u, byte(r), 0)
		}
		b = append(b, le32b(1)...)
		b = append(b, le32b(uint32(len(u)))...)
		b = append(b, padded(u)...)
	}
	return append(b, prop[4:]...)
}

// sampleMAPIList is an attachment's properties in every shape the parser
// knows: fixed sizes, strings, binary, multi-valued, named by ID and by name.
func sampleMAPIList() []byte {
	return mapiList(
		mapiFixed(0x0e200003, le32b(644)),                      // PR_ATTACH_SIZE
		mapiFixed(0x0e21000b, []byte{1, 0}),                    // a Boolean
		mapiFixed(0x30070040, make([]byte, 8)),                 // PR_LAST_MODIFICATION_TIME
		mapiVar(0x3707001e, []byte("report.txt\x00")),          // PR_ATTACH_LONG_FILENAME (String8)
		mapiVar(0x3704001f, []byte("r\x00e\x00p\x00\x00\x00")), // PR_ATTACH_FILENAME_W (Unicode)
		mapiVar(0x37010102, []byte("quarterly figures")),       // PR_ATTACH_DATA_BIN
		mapiVar(0x0e1e101e, []byte("a\x00"), []byte("bc\x00")),
		mapiNamed(mapiFixed(0x80020003, le32b(7)), ""),
		mapiNamed(mapiVar(0x8003001f, []byte("x\x00\x00\x00")), "Keywords"),
		mapiFixed(0x10030005, make([]byte, 8)),
		append(append(le32b(0x30091003), le32b(2)...), make([]byte, 8)...), // multi-valued Int32
	)
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
	sumAt := len(buildTNEF(badSum[:7])) - 2

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
	lastAt := len(buildTNEF(sampleTNEF()[:7]))

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

func TestTNEFMAPIProperties(t *testing.T) {
	prefix := sampleTNEF()[:4]
	base := len(buildTNEF(prefix)) + 9 // first data byte of the MAPI attribute
	huge := append(le32b(0x37010102), le32b(1)...)
	huge = append(huge, le32b(0x7fff0000)...) // a binary value of 2 GB
	rows := func(n uint32, lists ...[]byte) []byte {
		b := le32b(n)
		for _, l := range lists {
			b = append(b, l...)
		}
		return b
	}
	named := mapiNamed(mapiFixed(0x80020003, le32b(7)), "Keywords")
	badKind := append([]byte(nil), named...)
	copy(badKind[20:24], le32b(5))
	longName := append([]byte(nil), named...)
	copy(longName[24:28], le32b(1<<20))
	tests := []struct {
		name string
		id   uint32
		data []byte
		at   int // offset in data of the expected finding; -1 valid; -2 the attribute start
		msg  string
	}{
		{"valid", attMsgProps, sampleMAPIList(), -1, "valid"},
		{"valid empty list", attMsgProps, mapiList(), -1, "valid"},
		{"valid recipient table", attRecipTable, rows(2, sampleMAPIList(), mapiList(mapiVar(0x3001001e, []byte("Bob\x00")))), -1, "valid"},
		{"unknown type stops quietly", attMsgProps, append(mapiList(mapiFixed(0x0e200003, le32b(1)), mapiFixed(0x123400fb, nil)), 0xff, 0xff, 0xff), -1, "valid"},
		{"value length past the end", attMsgProps, mapiList(mapiFixed(0x0e200003, le32b(1)), huge), 4 + 8, "property 0x37010102 value of 2147418112 bytes runs past"},
		{"property count past the end", attMsgProps, append(le32b(1000), mapiFixed(0x0e200003, le32b(1))...), -2, "list of 1000 properties"},
		{"fewer properties than counted", attAttachment, append(le32b(3), append(mapiFixed(0x0e200003, le32b(1)), mapiFixed(0x0e210003, le32b(1))...)...), -2, "cut off"},
		{"recipient rows past the end", attRecipTable, rows(1 << 30), -2, "recipient table of 1073741824 rows"},
		{"named property bad kind", attMsgProps, mapiList(badKind), 4, "named-property kind 5"},
		{"named property name past the end", attMsgProps, mapiList(longName), 4, "property name of 1048576 bytes"},
		{"empty property attribute", attMsgProps, nil, -2, "cut off"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			attrs := append(append([]tnefAttr(nil), prefix...), tnefAttr{level: 1, id: tc.id, data: tc.data})
			body := buildTNEF(attrs)
			mk := func() *part { return testPart("application/ms-tnef", "binary", nil) }
			fs := scanBody(mk(), body, 0, nil, "TNEF-001")
			if len(fs) != 1 {
				t.Fatalf("want one finding, got %v", fs)
			}
			f := fs[0]
			switch {
			case tc.at == -1:
				if f.Severity != Low || !strings.Contains(f.Message, tc.msg) {
					t.Fatalf("want valid, got %v", f)
				}
			default:
				want := int64(base + tc.at)
				if tc.at == -2 {
					want = int64(base - 9)
				}
				if f.Severity != Crash || f.Offset != want || !strings.Contains(f.Message, tc.msg) {
					t.Fatalf("got %v; want crash at %d mentioning %q", f, want, tc.msg)
				}
			}
			checkSplitInvariance(t, mk, body, "TNEF-001")
		})
	}
}

// TestTNEF001TitleFitsLowFinding pins that the catalogue title of TNEF-001,
// which the CLI prints beside every finding, does not call a valid TNEF
// part (reported at low) invalid.
func TestTNEF001TitleFitsLowFinding(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "fixtures", "rules", "TNEF-001", "pos-valid-low.eml"))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Scan(bytes.NewReader(data), Options{})
	if err != nil {
		t.Fatal(err)
	}
	f := mustHave(t, rep, "TNEF-001")
	if f.Severity != Low {
		t.Fatalf("valid TNEF reported at %v, want low", f.Severity)
	}
	r, _ := RuleByID("TNEF-001")
	if strings.HasPrefix(strings.ToLower(r.Title), "invalid") || !strings.Contains(r.Title, "valid ones at low") {
		t.Errorf("TNEF-001 title %q reads wrongly on a low finding for a valid part", r.Title)
	}
}
