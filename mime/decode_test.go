package mime

import (
	"bytes"
	"encoding/base64"
	"math/rand"
	"mime/quotedprintable"
	"testing"
)

// decoderProbe adapts a transferDecoder to bodyChecker so the test feeder
// can drive it, and records the output and the source of every byte.
type decoderProbe struct {
	d     *transferDecoder
	out   []byte
	offs  []int64
	lines []int
}

func newDecoderProbe(enc string) *decoderProbe {
	p := &decoderProbe{}
	p.d = newTransferDecoder(enc, func(b []byte, m *srcMap) {
		for j := range b {
			off, line := m.at(j)
			p.offs = append(p.offs, off)
			p.lines = append(p.lines, line)
		}
		p.out = append(p.out, b...)
	})
	return p
}

func (p *decoderProbe) write(data []byte, off int64, line int, eol []byte) {
	p.d.write(data, off, line, eol)
}
func (p *decoderProbe) end(int64, int) { p.d.end() }

func decodeWith(enc string, body []byte, cuts []int) *decoderProbe {
	p := newDecoderProbe(enc)
	feedBody([]bodyChecker{p}, body, 0, 1, cuts)
	return p
}

// checkSources verifies that every decoded byte points into the body at
// the byte that starts its encoding, on the right line.
func checkSources(t *testing.T, enc string, body []byte, p *decoderProbe) {
	t.Helper()
	for j, off := range p.offs {
		if off < 0 || off >= int64(len(body)) {
			t.Fatalf("byte %d: source offset %d outside the body", j, off)
		}
		c := body[off]
		switch enc {
		case "base64":
			if b64tab[c] >= 64 {
				t.Fatalf("byte %d: source %d is %q, not a base64 character", j, off, c)
			}
		}
		if want := bodyLineAt(body, off); p.lines[j] != want {
			t.Fatalf("byte %d: line %d, want %d", j, p.lines[j], want)
		}
	}
}

func TestTransferDecoderRoundTrip(t *testing.T) {
	r := rand.New(rand.NewSource(7))
	for n := 0; n < 60; n++ {
		data := make([]byte, r.Intn(700))
		r.Read(data)
		if n%3 == 0 { // text-like data with line breaks for quoted-printable
			for i := range data {
				const alphabet = "ab =\r\n\x82\xa0\t"
				data[i] = alphabet[r.Intn(len(alphabet))]
			}
		}
		var cuts []int
		for i := 0; i < 8; i++ {
			cuts = append(cuts, r.Intn(1500)+1)
		}

		b64 := []byte(base64Lines(data))
		p := decodeWith("base64", b64, cuts)
		if !bytes.Equal(p.out, data) {
			t.Fatalf("base64 round trip of %d bytes differs", len(data))
		}
		checkSources(t, "base64", b64, p)

		var qp bytes.Buffer
		w := quotedprintable.NewWriter(&qp)
		w.Binary = n%3 != 0
		w.Write(data)
		w.Close()
		want := data
		if !w.Binary { // the writer turns bare line breaks into CRLF
			want = bytes.ReplaceAll(bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n")), []byte("\n"), []byte("\r\n"))
		}
		p = decodeWith("quoted-printable", qp.Bytes(), cuts)
		if got, _ := stdQP(qp.Bytes()); !bytes.Equal(p.out, got) {
			t.Fatalf("quoted-printable: decoder and the standard library disagree on %q:\n%q\n%q", qp.Bytes(), p.out, got)
		}
		if w.Binary && !bytes.Equal(p.out, want) {
			t.Fatalf("quoted-printable round trip differs")
		}
		checkSources(t, "quoted-printable", qp.Bytes(), p)

		p = decodeWith("8bit", data, cuts)
		if !bytes.Equal(p.out, data) {
			t.Fatalf("identity changed the data")
		}
		for j, off := range p.offs {
			if off != int64(j) {
				t.Fatalf("identity byte %d at offset %d", j, off)
			}
		}
	}
}

func stdQP(b []byte) ([]byte, error) {
	var out bytes.Buffer
	_, err := out.ReadFrom(quotedprintable.NewReader(bytes.NewReader(b)))
	return out.Bytes(), err
}

func TestTransferDecoderLenient(t *testing.T) {
	tests := []struct {
		enc, in, want string
	}{
		{"base64", "QUJD\r\nRA==\r\n", "ABCD"},
		{"base64", "QU*JD RA", "ABCD"}, // bad bytes and blanks skipped, missing padding tolerated
		{"base64", "QQ==QUJD", "AABC"}, // concatenated encodings
		{"quoted-printable", "a=3Db=\r\nc\r\n", "a=bc\r\n"},
		{"quoted-printable", "a=4x=\r\n", "a=4x"}, // a bad escape stays as it is
		{"quoted-printable", "x= \t\r\ny", "xy"},  // soft break with trailing blanks
		{"quoted-printable", "end=4", "end=4"},
		{"7bit", "a\r\nb", "a\r\nb"},
	}
	for _, tc := range tests {
		for cut := 0; cut < len(tc.in); cut++ {
			var cuts []int
			if cut > 0 {
				cuts = []int{cut}
			}
			if got := decodeWith(tc.enc, []byte(tc.in), cuts).out; string(got) != tc.want {
				t.Errorf("%s %q cut %d: %q, want %q", tc.enc, tc.in, cut, got, tc.want)
			}
		}
	}
}

func FuzzTransferDecoder(f *testing.F) {
	f.Add([]byte("QUJD\r\nRA==\r\n"), []byte{2}, byte(0))
	f.Add([]byte("a=3Db=\r\nc=4"), []byte{1, 1}, byte(1))
	f.Fuzz(func(t *testing.T, body, seed []byte, mode byte) {
		enc := [...]string{"base64", "quoted-printable", "binary"}[mode%3]
		whole := decodeWith(enc, body, nil)
		cut := decodeWith(enc, body, cutsFromBytes(seed, len(body)))
		if !bytes.Equal(whole.out, cut.out) {
			t.Fatalf("pieces change the output: %q vs %q", whole.out, cut.out)
		}
		for j := range whole.offs {
			if whole.offs[j] != cut.offs[j] || whole.lines[j] != cut.lines[j] {
				t.Fatalf("pieces change the source of byte %d", j)
			}
		}
		checkSources(t, enc, body, whole)
		if enc == "base64" {
			clean := bytes.Map(func(r rune) rune {
				if r < 128 && b64tab[r] < 64 {
					return r
				}
				return -1
			}, body)
			if len(clean)%4 == 0 && len(clean) > 0 && !bytes.Contains(body, []byte("=")) {
				std, err := base64.StdEncoding.DecodeString(string(clean))
				if err == nil && !bytes.Equal(std, whole.out) {
					t.Fatalf("base64 without padding disagrees with the standard library")
				}
			}
		}
	})
}
