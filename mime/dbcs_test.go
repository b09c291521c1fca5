package mime

import (
	"encoding/base64"
	"strings"
	"testing"
)

func TestDBCSCheck(t *testing.T) {
	tests := []struct {
		charset string
		data    string
		bad     int
		problem string // substring of the problem, "" when fine
	}{
		{"utf-8", "\xff\xfe", -1, ""},
		{"", "\x82", -1, ""},
		{"Shift_JIS", "\x82\xa0\x82\xa2abc\xb1", -1, ""},
		{"sjis", "\x82", 0, "at the end"},
		{"shift_jis", "a\x82\r\n", 1, "0x82 followed by 0x0d"},
		{"cp932", "\x82\xa0\xe0\x20", 2, "truncated Shift_JIS"},
		{"windows-31j", "\xfa\x40\x80\xa0\xfd", -1, ""},
		{`"SHIFT_JIS"`, "\x88\x7f", 0, "0x7f"},
		{"euc-jp", "\xa4\xa2\x8e\xb1\x8f\xa1\xa1x", -1, ""},
		{"euc-jp", "\xa4\xa2\xa4", 2, "at the end"},
		{"euc-jp", "\x8e\xe0", 0, "truncated EUC-JP"},
		{"euc-jp", "ab\x80", 2, "cannot start"},
		{"euc-jp", "\x8f\xa1\x41", 0, "truncated"},
		{"gb2312", "\xc4\xe3\xba\xc3", -1, ""},
		{"gbk", "\x81\x40\x80", -1, ""},
		{"gb18030", "\x81\x30\x81\x30z", -1, ""},
		{"gb18030", "\x81\x30\x41", 0, "truncated GB"},
		{"gb2312", "ab\xc4", 2, "at the end"},
		{"gb2312", "\xff", 0, "0xff"},
		{"big5", "\xa4\x40\xa4\xa1", -1, ""},
		{"big5", "\xa4\x80", 0, "truncated Big5"},
		{"big5", "x\x80", 1, "not valid"},
		{"euc-kr", "\xb0\xa1\x81\x41", -1, ""},
		{"ks_c_5601-1987", "\xb0\x20", 0, "truncated EUC-KR"},
		{"ks_c_5601-1987", "ok\xb0", 2, "at the end"},
		{"iso-2022-jp", "abc\x1b$B$3$s$K$A$O\x1b(B def", -1, ""},
		{"ISO-2022-JP", "\x1b$@$3\x1b(J\\\x1b(B", -1, ""},
		{"iso-2022-jp", "\x1b$B$3$s\r\n$K\x1b(B", -1, ""}, // line break at a pair boundary
		{"iso-2022-jp", "\x1b$B$3", -1, ""},               // ends in JIS X 0208 with whole pairs
		{"iso-2022-jp", "\x1b$B$3$\x1b(B", 5, "truncated ISO-2022-JP sequence: 0x24 followed by 0x1b"},
		{"iso-2022-jp", "\x1b$B$3$", 5, "at the end"},
		{"iso-2022-jp", "ab\x1b$Z", 2, "bad ISO-2022-JP escape"},
		{"iso-2022-jp", "ab\x1b(Q", 2, "bad ISO-2022-JP escape"},
		{"iso-2022-jp", "ab\x1b", 2, "cut off"},
		{"iso-2022-jp", "ab\x1b$(D!!\x1b(B", -1, ""},
		{"iso-2022-jp", "ab\x1b&@\x1b$B!!\x1b(B", -1, ""},
		{"iso-2022-jp", "\x1b$B$3\x1b(B\x82\xa0", 8, "8-bit"},
		{"iso-2022-jp", "\x1b$B$3$s\x1b(I\x0e1\x0f", -1, ""},
		{"iso-2022-kr", "\x1b$)C\x0e!!\x0fabc", -1, ""},
		{"iso-2022-kr", "abc\x0e!!\x0f", 3, "designation"},
		{"iso-2022-kr", "\x1b$)C\x0e!\x0f", 5, "truncated"},
		{"iso-2022-kr", "\x1b$B", 0, "bad ISO-2022-KR escape"},
	}
	for _, tc := range tests {
		bad, problem := dbcsCheck(tc.charset, []byte(tc.data))
		if bad != tc.bad || (tc.problem == "") != (problem == "") || !strings.Contains(problem, tc.problem) {
			t.Errorf("dbcsCheck(%q, %q) = %d, %q; want %d, %q", tc.charset, tc.data, bad, problem, tc.bad, tc.problem)
		}
	}
}

// TestDBCSValidatorSplit feeds every input of the table split at every
// position: the verdict and the index must not change.
func TestDBCSValidatorSplit(t *testing.T) {
	inputs := []struct{ cs, data string }{
		{"shift_jis", "a\x82\xa0b\x82"}, {"shift_jis", "\x82\xa0\x82\x20"},
		{"gb18030", "\x81\x30\x81\x30\x81\x30\x41"}, {"euc-jp", "\x8f\xa1\xa1\x8e\xe0"},
		{"iso-2022-jp", "x\x1b$B$3$\x1b(B"}, {"iso-2022-jp", "x\x1b$(D!!\x1b$(Z"},
		{"iso-2022-kr", "\x1b$)C\x0e!!!\x0f"},
	}
	for _, in := range inputs {
		wantBad, wantP := dbcsCheck(in.cs, []byte(in.data))
		for cut := 1; cut < len(in.data); cut++ {
			v := dbcsValidator{kind: dbcsKindOf(in.cs)}
			gotBad, gotP := -1, ""
			a, b := []byte(in.data[:cut]), []byte(in.data[cut:])
			if start, _, p := v.feed(a); p != "" {
				gotBad, gotP = start, p
			} else if start, _, p := v.feed(b); p != "" {
				gotBad, gotP = cut+start, p
			} else if p := v.finish(); p != "" {
				gotBad, gotP = len(in.data)-int(v.np), p
			}
			if gotBad != wantBad || gotP != wantP {
				t.Errorf("%s %q cut %d: %d %q, want %d %q", in.cs, in.data, cut, gotBad, gotP, wantBad, wantP)
			}
		}
	}
}

func TestDBCSBodyChecker(t *testing.T) {
	sjis := func(enc string) func() *part {
		return func() *part {
			return testPart("text/plain", enc, map[string]string{"charset": "shift_jis"})
		}
	}
	b64 := base64.StdEncoding.EncodeToString([]byte("\x82\xa0\x82\xa2\x82")) // truncated at the end
	jis := base64.StdEncoding.EncodeToString([]byte("\x1b$B$3$s$K\x1b(B\r\n\x1b$B$3$\x1b(B"))
	runEncCases(t, "ENC-007", sjis("8bit"), []encCase{
		{name: "valid", body: "\x82\xa0\x82\xa2\r\nabc\r\n"},
		{name: "lead before CRLF", body: "ok\r\nab\x82\r\ncd\r\n", want: []int64{6}, msg: "0x82 followed by 0x0d"},
		{name: "lead at end", body: "ab\x82", want: []int64{2}, msg: "at the end"},
		{name: "first only", body: "\x82 \x82 ", want: []int64{0}},
	})
	runEncCases(t, "ENC-007", sjis("base64"), []encCase{
		{name: "valid", body: base64.StdEncoding.EncodeToString([]byte("\x82\xa0\x82\xa2")) + "\r\n"},
		// The lead 0x82 is the 5th byte: the second quantum (offset 4) encodes it.
		{name: "truncated at end", body: b64 + "\r\n", want: []int64{4}, msg: "at the end"},
		{name: "truncated at end, split lines", body: b64[:6] + "\r\n" + b64[6:] + "\r\n", want: []int64{4}},
	})
	runEncCases(t, "ENC-007", sjis("quoted-printable"), []encCase{
		{name: "valid", body: "=82=A0=82=\r\n=A2\r\n"},
		{name: "lead before hard break", body: "ab=82\r\ncd\r\n", want: []int64{2}},
	})
	jisPart := func() *part {
		return testPart("text/plain", "base64", map[string]string{"charset": "ISO-2022-JP"})
	}
	// Decoded: 14 bytes of good text and CRLF, then ESC $ B $ 3 $ ESC: the
	// lone '$' is decoded byte 19, in the 7th quantum: base64 characters
	// 24-27, at body offset 26 once the CRLF after character 16 is counted.
	runEncCases(t, "ENC-007", jisPart, []encCase{
		{name: "truncated pair", body: jis[:16] + "\r\n" + jis[16:] + "\r\n", want: []int64{26}, msg: "0x24 followed by 0x1b"},
	})
	if c := newDBCSChecker(testPart("application/octet-stream", "base64", map[string]string{"charset": "shift_jis"})); c != nil {
		t.Error("non-text part checked")
	}
	if c := newDBCSChecker(testPart("text/plain", "8bit", map[string]string{"charset": "utf-8"})); c != nil {
		t.Error("utf-8 part checked")
	}
	if c := newDBCSChecker(testPart("", "8bit", map[string]string{"charset": "big5"})); c == nil {
		t.Error("default text/plain part in big5 not checked")
	}
}
