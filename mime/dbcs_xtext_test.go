package mime

import (
	"bytes"
	"math/rand"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/korean"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
)

// The hand-written validators are checked against golang.org/x/text's
// decoders (WHATWG Encoding Standard behaviour) in two directions:
//   - text encoded by x/text is always well formed for us;
//   - whenever x/text decodes a byte string without an error (no U+FFFD),
//     we do not call it broken either: ENC-007 must never flag text a real
//     decoder reads cleanly.
// The reverse does not hold and is not tested: x/text also rejects
// well-formed pairs that no character is assigned to, which ENC-007 (a
// structure check) accepts on purpose.

var xtextCharsets = []struct {
	charset string
	enc     encoding.Encoding
}{
	{"shift_jis", japanese.ShiftJIS},
	{"euc-jp", japanese.EUCJP},
	{"iso-2022-jp", japanese.ISO2022JP},
	{"gb18030", simplifiedchinese.GB18030},
	{"gbk", simplifiedchinese.GBK},
	{"big5", traditionalchinese.Big5},
	{"euc-kr", korean.EUCKR},
}

// randomCJK returns text mixing ASCII, CRLF and characters from the CJK,
// kana, hangul and full-width blocks.
func randomCJK(r *rand.Rand, n int) string {
	ranges := [][2]rune{{0x20, 0x7e}, {0x3041, 0x3096}, {0x30a1, 0x30fa}, {0x4e00, 0x9fa5}, {0xac00, 0xd7a3}, {0xff61, 0xff9f}, {0xff01, 0xff5e}}
	var b []rune
	for len(b) < n {
		if r.Intn(20) == 0 {
			b = append(b, '\r', '\n')
			continue
		}
		rg := ranges[r.Intn(len(ranges))]
		b = append(b, rg[0]+rune(r.Intn(int(rg[1]-rg[0]+1))))
	}
	return string(b)
}

// encodeLossy encodes s, dropping the characters the charset cannot hold.
func encodeLossy(enc encoding.Encoding, s string) []byte {
	var out []byte
	e := enc.NewEncoder()
	for _, r := range s {
		b, err := e.Bytes([]byte(string(r)))
		if err == nil {
			out = append(out, b...)
		}
	}
	// ISO-2022-JP: encode the whole string so escapes are placed right.
	if enc == japanese.ISO2022JP {
		var keep []rune
		for _, r := range s {
			if _, err := enc.NewEncoder().Bytes([]byte(string(r))); err == nil {
				keep = append(keep, r)
			}
		}
		out, _ = enc.NewEncoder().Bytes([]byte(string(keep)))
	}
	return out
}

// decodesCleanly reports whether x/text decodes b without a replacement.
//
// One x/text leniency is excluded: its GB18030 decoder takes any second
// byte in 0x30-0x3F as the start of a four-byte sequence, where GB 18030
// and the WHATWG gb18030 decoder allow only the digits 0x30-0x39. For
// "\x81<\x810" it returns U+3E87 instead of U+FFFD; ENC-007 is right to
// flag such bytes, so they say nothing about our validator.
func decodesCleanly(enc encoding.Encoding, b []byte) bool {
	if enc == simplifiedchinese.GB18030 && gbFourByteSlip(b) {
		return false
	}
	if enc == japanese.ISO2022JP && jisPairSlip(b) {
		return false
	}
	out, err := enc.NewDecoder().Bytes(b)
	return err == nil && utf8.Valid(out) && !bytes.ContainsRune(out, utf8.RuneError)
}

// gbFourByteSlip reports whether b holds a possible GB lead byte followed
// by one of 0x3A-0x3F, the second bytes x/text wrongly accepts in a
// four-byte form. It does not track which bytes are leads: skipping the
// comparison too often only narrows the oracle, never flakes it.
func gbFourByteSlip(b []byte) bool {
	for i := 0; i+1 < len(b); i++ {
		if b[i] >= 0x81 && b[i] <= 0xfe && b[i+1] >= 0x3a && b[i+1] <= 0x3f {
			return true
		}
	}
	return false
}

// jisPairSlip reports whether b designates a double-byte set (ESC $) and
// holds a byte outside 0x21-0x7E that is not ESC, the second bytes of a
// JIS pair x/text wrongly accepts: it indexes its table with the byte
// anyway and returns another kanji ("ESC $ B 0 SP" decodes to U+4FC4,
// found by FuzzDBCS). Like gbFourByteSlip it may skip too often, which
// only narrows the oracle.
func jisPairSlip(b []byte) bool {
	i := bytes.Index(b, []byte("\x1b$"))
	if i < 0 {
		return false
	}
	for _, c := range b[i+2:] {
		if (c < 0x21 || c > 0x7e) && c != 0x1b {
			return true
		}
	}
	return false
}

func TestDBCSAgainstXText(t *testing.T) {
	r := rand.New(rand.NewSource(42))
	for _, cs := range xtextCharsets {
		clean, flagged := 0, 0
		for n := 0; n < 400; n++ {
			text := encodeLossy(cs.enc, randomCJK(r, 1+r.Intn(60)))
			if bad, p := dbcsCheck(cs.charset, text); bad >= 0 {
				t.Fatalf("%s: x/text output %q flagged at %d: %s", cs.charset, text, bad, p)
			}
			// Mutations: cut, drop a byte, insert a random byte.
			for m := 0; m < 6 && len(text) > 0; m++ {
				b := append([]byte(nil), text...)
				i := r.Intn(len(b))
				switch m % 3 {
				case 0:
					b = b[:i]
				case 1:
					b = append(b[:i], b[i+1:]...)
				case 2:
					b = append(b[:i], append([]byte{byte(r.Intn(256))}, b[i:]...)...)
				}
				bad, p := dbcsCheck(cs.charset, b)
				if bad >= 0 {
					flagged++
				}
				if decodesCleanly(cs.enc, b) {
					clean++
					if bad >= 0 {
						t.Fatalf("%s: %q decodes cleanly with x/text but is flagged at %d: %s", cs.charset, b, bad, p)
					}
				}
			}
		}
		t.Logf("%s: %d mutations decode cleanly, %d flagged", cs.charset, clean, flagged)
		if clean == 0 || flagged == 0 {
			t.Errorf("%s: the mutations exercised nothing (clean %d, flagged %d)", cs.charset, clean, flagged)
		}
	}
}
