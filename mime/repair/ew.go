package repair

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/mailroot/mailroot/mime"
)

// ENC-005: broken RFC 2047 encoded words. A broken word is replaced by
// valid UTF-8 "B" words carrying what it meant: its decoded text when the
// charset is one decoded here and the payload decodes leniently, else its
// literal text, so that a reader shows exactly what the sender wrote.

type ewSpan struct {
	start, end int // end is just past the word
	charset    string
	enc        string
	payload    []byte
	closed     bool
	spaceIn    bool // a "?=" was found only after white space
}

func ewCharsetByte(c byte) bool {
	return c > ' ' && c < 0x7f && c != '?'
}

func isWSP(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// parseWord reads the word at v[s] ("=?"); ok is false when it is not a
// word attempt at all ("=?" followed by no "charset?").
func parseWord(v []byte, s int) (w ewSpan, ok bool) {
	w.start = s
	i := s + 2
	for i < len(v) && ewCharsetByte(v[i]) {
		i++
	}
	if i >= len(v) || v[i] != '?' {
		return w, false
	}
	w.charset = string(v[s+2 : i])
	i++
	e := i
	for i < len(v) && v[i] != '?' && !isWSP(v[i]) {
		i++
	}
	w.enc = string(v[e:i])
	if i >= len(v) || v[i] != '?' {
		// "=?cs?" and no payload: the word runs to white space.
		for i < len(v) && !isWSP(v[i]) {
			i++
		}
		w.end = i
		return w, true
	}
	i++
	d := i
	for ; i < len(v); i++ {
		if v[i] == '?' && i+1 < len(v) && v[i+1] == '=' {
			w.payload, w.end, w.closed = v[d:i], i+2, true
			return w, true
		}
		if isWSP(v[i]) {
			break
		}
	}
	// Not closed before white space: a "?=" later on, with only Q-style
	// text in between, is taken as the end (a Q word with raw spaces).
	if i < len(v) {
		win := v[i:min(len(v), i+200)] // bounded: a field may hold many "=?"
		if k := bytes.Index(win, []byte("?=")); k >= 0 && bytes.Index(v[i:i+k], []byte("=?")) < 0 {
			w.payload, w.end, w.closed, w.spaceIn = v[d:i+k], i+k+2, true, true
			return w, true
		}
	}
	w.payload, w.end = v[d:i], i
	return w, true
}

// knownCharset is the scanner's own test, so that the repair rewrites
// exactly the words ENC-005 reports and leaves valid words in charsets it
// cannot decode itself as they are.
func knownCharset(cs string) bool { return mime.KnownCharset(cs) }

// wordProblem returns why a word is broken, "" when it is valid. tooLong
// is set when the only problem is its length.
func wordProblem(w ewSpan) (problem string, tooLong bool) {
	switch {
	case !w.closed && w.enc == "" && w.payload == nil:
		return "has no encoding or payload", false
	case !w.closed:
		return "has no closing ?=", false
	case w.spaceIn:
		return "holds white space", false
	case w.charset == "":
		return "has an empty charset", false
	case !knownCharset(w.charset):
		return fmt.Sprintf("names unknown charset %q", printable(w.charset)), false
	case len(w.enc) != 1 || w.enc[0]|0x20 != 'b' && w.enc[0]|0x20 != 'q':
		return fmt.Sprintf("uses encoding %q", printable(w.enc)), false
	}
	if _, ok := decodePayload(w.enc[0]|0x20, w.payload, true); !ok {
		return "has an undecodable payload", false
	}
	if w.end-w.start > 75 {
		return fmt.Sprintf("is %d characters long", w.end-w.start), true
	}
	return "", false
}

// decodePayload decodes a B or Q payload. strict rejects what the scanner
// calls undecodable; otherwise the decode is lenient.
func decodePayload(enc byte, p []byte, strict bool) ([]byte, bool) {
	if enc == 'b' {
		n, pad := len(p), 0
		for pad < 2 && n-pad > 0 && p[n-pad-1] == '=' {
			pad++
		}
		var clean []byte
		for _, c := range p[:n-pad] {
			if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/' {
				clean = append(clean, c)
			} else if strict {
				return nil, false
			}
		}
		if strict && ((n-pad)%4 == 1 || pad > 0 && n%4 != 0) {
			return nil, false
		}
		if len(clean)%4 == 1 {
			clean = clean[:len(clean)-1]
		}
		out, err := base64.RawStdEncoding.DecodeString(string(clean))
		return out, err == nil
	}
	var out []byte
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c == '_':
			out = append(out, ' ')
		case c == '=' && i+2 < len(p) && isHex(p[i+1]) && isHex(p[i+2]):
			out = append(out, unhex(p[i+1])<<4|unhex(p[i+2]))
			i += 2
		case c == '=' || c == '?' || c <= ' ' || c >= 0x7f:
			if strict && c != ' ' {
				return nil, false
			}
			out = append(out, c)
		default:
			out = append(out, c)
		}
	}
	return out, true
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

func unhex(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}

// cp1252 maps 0x80-0x9F; 0 marks an unassigned byte (kept as U+0080+n).
var cp1252 = [32]rune{0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017D, 0,
	0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178}

// toUTF8 decodes b in charset cs; ok is false for charsets not decoded here.
func toUTF8(cs string, b []byte) (string, bool) {
	cs = strings.ToLower(cs)
	if k := strings.IndexByte(cs, '*'); k >= 0 {
		cs = cs[:k]
	}
	switch cs {
	case "utf-8", "utf8", "us-ascii", "ascii":
		if utf8.Valid(b) {
			return string(b), true
		}
		return latin1(b, false), true
	case "iso-8859-1", "iso8859-1", "iso_8859-1", "latin1", "l1":
		return latin1(b, false), true
	case "windows-1252", "cp1252", "x-cp1252":
		return latin1(b, true), true
	}
	return "", false
}

func latin1(b []byte, win bool) string {
	var sb strings.Builder
	for _, c := range b {
		r := rune(c)
		if win && c >= 0x80 && c < 0xA0 && cp1252[c-0x80] != 0 {
			r = cp1252[c-0x80]
		}
		sb.WriteRune(r)
	}
	return sb.String()
}

// literalUTF8 returns raw header bytes as UTF-8: valid UTF-8 as it is,
// anything else read as ISO-8859-1.
func literalUTF8(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	return latin1(b, false)
}

// encodeWords writes s as UTF-8 B words of at most 75 characters,
// separated by a space (which decoders drop between words), splitting only
// between runes.
func encodeWords(s string) string {
	const maxBytes = 45 // 60 base64 characters + "=?utf-8?b?" + "?=" = 72
	var parts []string
	for len(s) > 0 {
		n := min(len(s), maxBytes)
		for n < len(s) && n > 0 && !utf8.RuneStart(s[n]) {
			n--
		}
		if n == 0 {
			n = min(len(s), maxBytes)
		}
		parts = append(parts, "=?utf-8?b?"+base64.StdEncoding.EncodeToString([]byte(s[:n]))+"?=")
		s = s[n:]
	}
	if len(parts) == 0 {
		return "=?utf-8?b??="
	}
	return strings.Join(parts, " ")
}

// fixEncodedWords fixes ENC-005 in one unstructured or address field.
func (r *repairer) fixEncodedWords(e *entity, f *hfield) {
	colon := bytes.IndexByte(f.raw, ':')
	if colon < 0 || bytes.Index(f.raw, []byte("=?")) < 0 {
		return
	}
	v := f.raw[colon+1:]
	var out []byte
	last := 0
	fixed := 0
	for i := 0; i+1 < len(v); {
		j := bytes.Index(v[i:], []byte("=?"))
		if j < 0 {
			break
		}
		s := i + j
		w, ok := parseWord(v, s)
		if !ok || !(s == 0 || isWSP(v[s-1]) || v[s-1] == '(' || v[s-1] == '"') {
			i = s + 2
			continue
		}
		problem, tooLong := wordProblem(w)
		if problem == "" {
			i = w.end
			continue
		}
		text := ""
		decoded := false
		if len(w.enc) == 1 && (w.enc[0]|0x20 == 'b' || w.enc[0]|0x20 == 'q') {
			if b, ok := decodePayload(w.enc[0]|0x20, w.payload, false); ok {
				text, decoded = toUTF8(w.charset, b)
			}
		}
		if !decoded {
			if tooLong {
				// A valid word in a charset not decoded here: splitting it
				// could cut a character in two.
				r.manual("ENC-005", e.path, f.off+colon+1+s, fmt.Sprintf("%s: encoded word over 75 characters in charset %q", fieldLabel(f), printable(w.charset)))
				i = w.end
				continue
			}
			text = literalUTF8(unfold(v[s:w.end]))
		}
		out = append(out, v[last:s]...)
		out = append(out, encodeWords(text)...)
		last = w.end
		fixed++
		r.change("ENC-005", e.path, f.off+colon+1+s, fmt.Sprintf("%s: encoded word that %s re-encoded as UTF-8", fieldLabel(f), problem))
		i = w.end
	}
	if fixed == 0 {
		return
	}
	out = append(out, v[last:]...)
	raw := append([]byte{}, f.raw[:colon+1]...)
	f.raw = append(raw, out...)
}
