package mime

import (
	"bytes"
	"encoding/base64"
	"fmt"
)

// RFC 2047 encoded-word rules: ENC-005 (broken encoded word), ENC-006 (a
// UTF-7 charset anywhere in a header: encoded words here, charset
// parameters in rules_ct.go) and ENC-007 for header text in double-byte
// charsets, which is validated by dbcsCheck (dbcs.go).

// ewKnownCharsets lists the charset names (lower case) an encoded word may
// name without ENC-005 calling them unknown: the MIME names and common
// aliases of the IANA registry that golang.org/x/text (ianaindex, htmlindex)
// and so go-message/charset decode, plus the Microsoft names seen in
// Exchange mail. Kept explicit so that the rule does not depend on which
// decoders a binary links in.
var ewKnownCharsets = func() map[string]bool {
	names := []string{
		"us-ascii", "ascii", "ansi_x3.4-1968", "iso646-us", "us", "cp367", "ibm367", "csascii",
		"utf-8", "utf8", "x-utf_8j", "unicode-1-1-utf-8",
		"utf-16", "utf-16le", "utf-16be", "utf-32", "utf-32le", "utf-32be", "ucs-2", "unicode",
		"utf-7", "utf7", "x-utf-7", "unicode-1-1-utf-7", "x-unicode-2-0-utf-7", "csunicode11utf7",
		"iso-8859-1", "iso8859-1", "iso_8859-1", "iso_8859-1:1987", "latin1", "l1", "cp819", "ibm819", "csisolatin1", "ansi_x3.110-1983",
		"iso-8859-2", "iso8859-2", "iso_8859-2", "latin2", "l2", "csisolatin2",
		"iso-8859-3", "iso8859-3", "iso_8859-3", "latin3", "l3",
		"iso-8859-4", "iso8859-4", "iso_8859-4", "latin4", "l4",
		"iso-8859-5", "iso8859-5", "iso_8859-5", "cyrillic", "csisolatincyrillic",
		"iso-8859-6", "iso8859-6", "iso_8859-6", "arabic", "iso-8859-6-i", "iso-8859-6-e", "asmo-708",
		"iso-8859-7", "iso8859-7", "iso_8859-7", "greek", "greek8",
		"iso-8859-8", "iso8859-8", "iso_8859-8", "hebrew", "iso-8859-8-i", "iso-8859-8-e", "visual", "logical",
		"iso-8859-9", "iso8859-9", "iso_8859-9", "latin5", "l5",
		"iso-8859-10", "iso8859-10", "latin6", "l6",
		"iso-8859-11", "iso-8859-13", "iso8859-13", "iso-8859-14", "iso8859-14", "latin8",
		"iso-8859-15", "iso8859-15", "iso_8859-15", "latin-9", "latin9", "iso-8859-16", "latin10",
		"windows-874", "cp874", "tis-620", "iso-8859-11",
		"windows-1250", "windows-1251", "windows-1252", "windows-1253", "windows-1254",
		"windows-1255", "windows-1256", "windows-1257", "windows-1258",
		"cp1250", "cp1251", "cp1252", "cp1253", "cp1254", "cp1255", "cp1256", "cp1257", "cp1258",
		"x-cp1250", "x-cp1251", "x-cp1252",
		"koi8-r", "koi8-u", "koi8-ru", "cskoi8r", "koi8",
		"ibm437", "cp437", "ibm850", "cp850", "ibm852", "cp852", "ibm855", "ibm857", "ibm860", "ibm862", "ibm863", "ibm865",
		"ibm866", "cp866", "ibm037", "ibm1047", "ibm1140",
		"macintosh", "mac", "x-mac-roman", "csmacintosh", "x-mac-cyrillic", "x-user-defined",
		"iso-2022-jp", "csiso2022jp", "iso-2022-jp-2", "iso-2022-kr", "iso-2022-cn",
		"shift_jis", "shift-jis", "sjis", "x-sjis", "ms_kanji", "csshiftjis", "windows-31j", "cp932", "ms932",
		"euc-jp", "x-euc-jp", "cseucpkdfmtjapanese",
		"euc-kr", "cseuckr", "ks_c_5601-1987", "ks_c_5601-1989", "ksc5601", "ksc_5601", "korean", "iso-ir-149", "windows-949", "cp949", "x-windows-949",
		"gb2312", "csgb2312", "chinese", "gb_2312-80", "iso-ir-58", "x-gbk", "gbk", "cp936", "ms936", "windows-936", "gb18030", "hz-gb-2312",
		"big5", "big5-hkscs", "cn-big5", "csbig5", "x-x-big5", "cp950", "x-big5",
	}
	m := make(map[string]bool, len(names))
	for _, list := range [][]string{names, ewUTF7Charsets, ewDBCSCharsets} {
		for _, n := range list {
			m[n] = true
		}
	}
	return m
}()

// ewUTF7Charsets are the names of UTF-7, which crashed Exchange (KB 317248).
var ewUTF7Charsets = []string{"utf-7", "utf7", "x-utf-7", "unicode-1-1-utf-7", "x-unicode-2-0-utf-7", "csunicode11utf7"}

// ewDBCSCharsets are the double-byte charsets ENC-007 validates, with the
// aliases dbcsCheck (dbcs.go) knows; the list gates the decoding of an
// encoded word for dbcsCheck, so a name missing here is simply not checked.
var ewDBCSCharsets = []string{
	"iso-2022-jp", "csiso2022jp", "iso-2022-jp-1", "iso-2022-jp-2", "csiso2022jp2", "iso-2022-jp-3", "iso-2022-jp-2004",
	"cp50220", "cp50221", "cp50222", "iso-2022-kr", "csiso2022kr",
	"shift_jis", "shift-jis", "sjis", "x-sjis", "ms_kanji", "csshiftjis", "windows-31j", "windows-932", "cp932", "ms932", "x-ms-cp932",
	"euc-jp", "eucjp", "x-euc-jp", "ujis", "cseucpkdfmtjapanese",
	"gb2312", "csgb2312", "gb_2312-80", "x-gb2312", "chinese", "euc-cn", "x-euc-cn", "gbk", "x-gbk", "cp936", "ms936", "windows-936", "gb18030",
	"big5", "x-big5", "csbig5", "cn-big5", "big5-hkscs", "cp950", "windows-950",
	"euc-kr", "euckr", "cseuckr", "ks_c_5601-1987", "ks_c_5601-1989", "ks_c_5601", "ksc_5601", "ksc5601", "csksc56011987",
	"cp949", "windows-949", "x-windows-949", "uhc", "korean", "iso-ir-149",
}

func ewFoldIn(list []string, name []byte) bool {
	for _, n := range list {
		if bytes.EqualFold(name, []byte(n)) {
			return true
		}
	}
	return false
}

// ewKnownCharset reports whether the charset name (any case) is in ewKnownCharsets.
// KnownCharset reports whether the scanner knows the charset named in an
// RFC 2047 encoded word or a charset parameter (any case; an RFC 2231
// "*language" suffix is ignored). ENC-005 reports words in others.
func KnownCharset(name string) bool {
	return ewKnownCharset(ewCharsetName([]byte(name)))
}

func ewKnownCharset(name []byte) bool {
	var buf [32]byte
	if len(name) > len(buf) {
		return false
	}
	for i, c := range name {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	return ewKnownCharsets[string(buf[:len(name)])]
}

// checkCharsetUTF7 reports ENC-006 when a charset parameter value (at
// value index i) names UTF-7.
func checkCharsetUTF7(p *part, f *field, i int, charset []byte) {
	if ewFoldIn(ewUTF7Charsets, bytes.TrimSpace(charset)) {
		reportValue(p, f, "ENC-006", i, fmt.Sprintf("UTF-7 charset %q in %s (KB 317248)", charset, f.name))
	}
}

// ewWord is the anatomy of one "=?charset?encoding?payload?=".
type ewWord struct {
	start, end   int // v[start:end] is the whole word; end is -1 when "?=" is missing
	charset      []byte
	encoding     []byte
	payload      []byte
	structured   bool // "=?charset?encoding?" was found
	whiteSpaceIn bool // the payload ran into white space before "?="
	stop         int  // where an unclosed payload stopped (white space or the end)
}

// ewCharsetByte reports bytes taken as part of the charset (and language)
// of an encoded word: any visible ASCII but '?'. A charset that breaks the
// RFC 2047 token grammar is then simply unknown.
func ewCharsetByte(c byte) bool { return c > ' ' && c < 0x7f && c != '?' }

// next is where a walk over "=?" resumes after this word: past its "?=",
// or, for a word that never closes, past where it ran to white space or
// the end of the value, since any "=?" before that lies inside it (this
// keeps "=?a?b?x=?a?b?x..." linear).
func (w ewWord) next() int {
	switch {
	case w.end > 0:
		return w.end
	case w.stop > w.start+2:
		return w.stop
	}
	return w.start + 2
}

// ewChecked reports whether ENC-005 checks the encoded words of a field of
// kind k: unstructured fields and address headers, where RFC 2047 allows
// them. In any other field (Message-ID, X-Mailer, Content-Type...) an
// "=?...?=" is plain text, so a raw 8-bit byte in it is STR-008's.
func ewChecked(k hdrKind) bool { return k&(kUnstructured|kAddress) != 0 }

// parseEW reads the encoded word that starts at v[s] ("=?").
func parseEW(v []byte, s int) ewWord {
	w := ewWord{start: s, end: -1}
	i := s + 2
	for i < len(v) && ewCharsetByte(v[i]) {
		i++
	}
	w.charset = v[s+2 : i]
	if i >= len(v) || v[i] != '?' {
		return w
	}
	i++
	e := i
	for i < len(v) && v[i] != '?' && !hdrWSP(v[i]) {
		i++
	}
	w.encoding = v[e:i]
	if i >= len(v) || v[i] != '?' {
		return w
	}
	w.structured = true
	i++
	d := i
	for ; i < len(v); i++ {
		if v[i] == '?' && i+1 < len(v) && v[i+1] == '=' {
			w.payload = v[d:i]
			w.end = i + 2
			return w
		}
		if hdrWSP(v[i]) {
			w.whiteSpaceIn = true
			break
		}
	}
	w.payload = v[d:i]
	w.stop = i
	return w
}

// ewBoundary reports whether an encoded word may start at v[s]: at the
// start of the value or after white space, '(' or '"' (RFC 2047 5: words
// are separated from other text by white space). This keeps "a=?b" inside
// URLs and parameters out.
func ewBoundary(v []byte, s int) bool {
	if s == 0 {
		return true
	}
	c := v[s-1]
	return hdrWSP(c) || c == '(' || c == '"'
}

// checkEncodedWords looks at every "=?" in a field. A UTF-7 encoded word is
// ENC-006 in any field. In unstructured fields and address headers, where
// RFC 2047 allows encoded words, a broken word is ENC-005 and a decoded
// double-byte payload is checked for ENC-007. In Subject and address
// headers the decoded text of the field is checked for HDR-001
// (checkDecodedPrintf).
func checkEncodedWords(p *part, f *field, k hdrKind) {
	v := f.value
	strict := ewChecked(k)
	var quota fieldQuota
	wantPrintf := k&(kSubject|kAddress) != 0
	// The decoded text lives in stack buffers unless the field is long or
	// holds many words.
	var (
		decBuf [256]byte
		segBuf [8]ewSeg
		text   = ewText{dec: decBuf[:0], segs: segBuf[:0], lastEnd: -1}
		// prevEnd is where the last closed word ended: a word right after
		// it ("=?a?Q?x?==?a?Q?y?=") is read as one, as decoders do,
		// although RFC 2047 5 wants white space between them.
		prevEnd = -1
	)
	for i := 0; i+1 < len(v); {
		full := quota >= perFieldFindings
		if full && !wantPrintf {
			return
		}
		j := bytes.Index(v[i:], []byte("=?"))
		if j < 0 {
			break
		}
		s := i + j
		w := parseEW(v, s)
		next := w.next()
		if w.structured && ewFoldIn(ewUTF7Charsets, ewCharsetName(w.charset)) {
			if quota.take() {
				reportValue(p, f, "ENC-006", s, fmt.Sprintf("UTF-7 encoded word in %s (KB 317248)", f.name))
			}
		} else if strict && (ewBoundary(v, s) || s == prevEnd) {
			// Past the quota nothing is reported or formatted, but the
			// words are still decoded for HDR-001: broken words first
			// must not hide a directive after them.
			ok := false
			if full {
				ok = ewFaultOf(w, f.truncated) == ewOK
			} else {
				ok = checkEncodedWord(p, f, w, &quota)
			}
			if ok && wantPrintf {
				text = text.add(v, w)
			}
		}
		if w.end > 0 {
			prevEnd = w.end
		}
		i = next
	}
	if wantPrintf && len(text.segs) > 0 {
		text.dec = append(text.dec, v[text.rawAt:]...)
		checkDecodedPrintf(p, f, &text)
	}
}

// ewText is the decoded text of a field as a reader sees it: raw text as
// it is, each well-formed encoded word decoded, and the white space
// between two adjacent decoded words dropped (RFC 2047 6.2). It is at most
// as long as the value, which Limits.HeaderBytesKept bounds.
type ewText struct {
	dec     []byte
	segs    []ewSeg // the decoded words that hold a '%', in order
	rawAt   int     // value[rawAt:] is not in dec yet
	lastEnd int     // value index just past the last decoded word, -1 before one
}

// ewSeg is one decoded word: dec[from:to] came from the word at value[src].
type ewSeg struct{ from, to, src int }

// add appends the raw text before w and w decoded; w must be well formed.
// It works on a copy and returns it, which keeps the buffers of a caller's
// ewText on its stack.
func (t ewText) add(v []byte, w ewWord) ewText {
	gap := v[t.rawAt:w.start]
	if t.lastEnd != t.rawAt || !ewAllWSP(gap) {
		t.dec = append(t.dec, gap...)
	}
	from := len(t.dec)
	t.dec = ewDecode(t.dec, w.encoding[0]|0x20, w.payload)
	if bytes.IndexByte(t.dec[from:], '%') >= 0 {
		t.segs = append(t.segs, ewSeg{from: from, to: len(t.dec), src: w.start})
	}
	t.rawAt, t.lastEnd = w.end, w.end
	return t
}

func ewAllWSP(b []byte) bool {
	for _, c := range b {
		if !hdrWSP(c) {
			return false
		}
	}
	return true
}

// ewCharsetName strips an RFC 2231 language ("utf-8*en") from a charset.
func ewCharsetName(cs []byte) []byte {
	if k := bytes.IndexByte(cs, '*'); k >= 0 {
		return cs[:k]
	}
	return cs
}

// checkEncodedWord reports the first ENC-005 problem of one word, or runs
// the ENC-007 check on its decoded payload. It reports whether the word is
// well formed (and so safe to decode).
func checkEncodedWord(p *part, f *field, w ewWord, quota *fieldQuota) (valid bool) {
	if !w.structured {
		// "=?name?" followed by nothing usable: only a known charset makes it
		// an attempt rather than text that happens to hold "=?".
		if len(w.charset) > 0 && w.start+2+len(w.charset) < len(f.value) && f.value[w.start+2+len(w.charset)] == '?' && ewKnownCharset(ewCharsetName(w.charset)) && quota.take() {
			reportValue(p, f, "ENC-005", w.start, fmt.Sprintf("encoded word in %s has no encoding or payload", f.name))
		}
		return false
	}
	problem := ""
	cs := ewCharsetName(w.charset)
	switch ewFaultOf(w, f.truncated) {
	case ewOpenAtWhiteSpace:
		problem = "is not closed by ?= before white space"
	case ewOpenAtCut:
		return false // it may close in the bytes not kept
	case ewOpen:
		problem = "has no closing ?="
	case ewTooLong:
		problem = fmt.Sprintf("is %d characters long (limit 75)", w.end-w.start)
	case ewNoCharset:
		problem = "has an empty charset"
	case ewUnknownCharset:
		problem = fmt.Sprintf("names unknown charset %q", cs)
	case ewBadEncoding:
		problem = fmt.Sprintf("uses encoding %q (only B and Q exist)", w.encoding)
	case ewBadPayload:
		_, problem = ewPayloadError(w.encoding[0]|0x20, w.payload)
	}
	if problem != "" {
		if !quota.take() {
			return false
		}
		reportValue(p, f, "ENC-005", w.start, fmt.Sprintf("encoded word in %s %s", f.name, problem))
		return false
	}
	if ewFoldIn(ewDBCSCharsets, cs) {
		checkEWDBCS(p, f, w, cs, quota)
	}
	return true
}

// ewFault is what is wrong with an encoded word, found without formatting
// anything (checkEncodedWord turns it into a message).
type ewFault uint8

const (
	ewOK               ewFault = iota
	ewUnstructured             // "=?charset?encoding?" not found
	ewOpenAtWhiteSpace         // the payload ran into white space before "?="
	ewOpenAtCut                // no "?=" in a field cut for checking: may close later
	ewOpen                     // no "?="
	ewTooLong                  // over 75 characters
	ewNoCharset
	ewUnknownCharset
	ewBadEncoding // not B or Q
	ewBadPayload  // see ewPayloadError
)

// ewFaultOf returns the first problem of w in the order ENC-005 reports
// them, or ewOK when the word is well formed and safe to decode.
func ewFaultOf(w ewWord, truncated bool) ewFault {
	cs := ewCharsetName(w.charset)
	switch {
	case !w.structured:
		return ewUnstructured
	case w.end < 0 && w.whiteSpaceIn:
		return ewOpenAtWhiteSpace
	case w.end < 0 && truncated:
		return ewOpenAtCut
	case w.end < 0:
		return ewOpen
	case w.end-w.start > 75:
		return ewTooLong
	case len(cs) == 0:
		return ewNoCharset
	case !ewKnownCharset(cs):
		return ewUnknownCharset
	case len(w.encoding) != 1 || w.encoding[0]|0x20 != 'b' && w.encoding[0]|0x20 != 'q':
		return ewBadEncoding
	case ewPayloadBad(w.encoding[0]|0x20, w.payload) != ewPayloadFine:
		return ewBadPayload
	}
	return ewOK
}

// checkDecodedPrintf reports HDR-001 for a printf directive in the
// decoded text of a field that comes from its encoded words
// ("=?utf-8?B?JXMlcyVzJW4=?=" is "%s%s%s%n"): clients and servers decode
// Subject and display names before they log or format them. The text is
// that of the whole field, with adjacent words joined as RFC 2047 6.2
// says, so a directive split over two words ("=?utf-8?Q?=25?=
// =?utf-8?Q?n?=" is "%n") is found too. A directive wholly in raw text is
// checkPrintf's. The finding points at the word that holds the '%'.
func checkDecodedPrintf(p *part, f *field, t *ewText) {
	k := 0 // directives come in order: the first segment that may hold the next
	for from := 0; k < len(t.segs); {
		i, n := printfNext(t.dec, from)
		if i < 0 {
			return
		}
		for k < len(t.segs) && t.segs[k].to <= i {
			k++
		}
		if k < len(t.segs) && t.segs[k].from <= i {
			sg := t.segs[k]
			where := "in an encoded word"
			if i+n > sg.to {
				where = "split across encoded words"
			}
			reportValue(p, f, "HDR-001", sg.src, fmt.Sprintf("printf directive %q %s of %s", string(t.dec[i:i+n]), where, f.name))
			return
		}
		from = i + n
	}
}

// ewPayloadBad results: the payload is fine, or where it goes wrong.
const (
	ewPayloadFine   = -1
	ewPayloadLength = -2 // a base64 length that cannot decode
)

// ewPayloadBad validates a B or Q payload without decoding it or
// formatting anything: it returns ewPayloadFine, ewPayloadLength or the
// index of the first bad byte (for Q, of the '=' of a bad escape).
func ewPayloadBad(enc byte, payload []byte) int {
	if enc == 'b' {
		n := len(payload)
		pad := 0
		for pad < 2 && n-pad > 0 && payload[n-pad-1] == '=' {
			pad++
		}
		for k, c := range payload[:n-pad] {
			if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/') {
				return k
			}
		}
		if (n-pad)%4 == 1 || pad > 0 && n%4 != 0 {
			return ewPayloadLength
		}
		return ewPayloadFine
	}
	for k := 0; k < len(payload); k++ {
		c := payload[k]
		switch {
		case c == '=':
			if k+2 >= len(payload) || !ewHex(payload[k+1]) || !ewHex(payload[k+2]) {
				return k
			}
			k += 2
		case c <= ' ' || c >= 0x7f || c == '?':
			return k
		}
	}
	return ewPayloadFine
}

// ewPayloadError validates a B or Q payload without decoding it, and says
// what is wrong.
func ewPayloadError(enc byte, payload []byte) (bad bool, why string) {
	k := ewPayloadBad(enc, payload)
	switch {
	case k == ewPayloadFine:
		return false, ""
	case k == ewPayloadLength:
		return true, fmt.Sprintf("has a base64 payload of length %d that cannot decode", len(payload))
	case enc == 'b':
		return true, fmt.Sprintf("has byte %q at %d of its base64 payload", payload[k], k)
	case payload[k] == '=':
		return true, fmt.Sprintf("has a bad Q escape at %d", k)
	default:
		return true, fmt.Sprintf("has byte 0x%02x in its Q payload", payload[k])
	}
}

func ewHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// ewDecode decodes a payload already validated by
// ewPayloadError into dst.
func ewDecode(dst []byte, enc byte, payload []byte) []byte {
	if enc == 'b' {
		p := bytes.TrimRight(payload, "=")
		n := base64.RawStdEncoding.DecodedLen(len(p))
		if cap(dst)-len(dst) < n {
			grown := make([]byte, len(dst), len(dst)+n)
			copy(grown, dst)
			dst = grown
		}
		m, _ := base64.RawStdEncoding.Decode(dst[len(dst):len(dst)+n], p)
		return dst[:len(dst)+m]
	}
	for k := 0; k < len(payload); k++ {
		c := payload[k]
		switch c {
		case '_':
			dst = append(dst, ' ')
		case '=':
			dst = append(dst, ewUnhex(payload[k+1])<<4|ewUnhex(payload[k+2]))
			k += 2
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

func ewUnhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

// checkEWDBCS decodes a double-byte encoded word and reports ENC-007
// when dbcsCheck finds a truncated pair or a bad escape. The finding points
// at the word: decoded bytes have no file offset of their own.
func checkEWDBCS(p *part, f *field, w ewWord, cs []byte, quota *fieldQuota) {
	var buf [128]byte
	dec := ewDecode(buf[:0], w.encoding[0]|0x20, w.payload)
	if bad, problem := dbcsCheck(string(bytes.ToLower(cs)), dec); bad >= 0 && quota.take() {
		reportValue(p, f, "ENC-007", w.start, fmt.Sprintf("encoded word in %s: %s at decoded byte %d", f.name, problem, bad))
	}
}

// checkHeaderDBCS reports ENC-007 for raw (unencoded) header text in a
// double-byte charset: in Subject and address headers (display names) of a
// part whose Content-Type names such a charset, or holding ISO-2022-JP
// escape sequences (KB 282796: Exchange crashed on bad DBCS display names).
func checkHeaderDBCS(p *part) {
	declared := p.params["charset"]
	for i := range p.fields {
		f := &p.fields[i]
		if classifyHeader(f.name)&(kSubject|kAddress) == 0 {
			continue
		}
		cs := ""
		v := f.value
		switch {
		case bytes.Contains(v, []byte("\x1b$")) || bytes.Contains(v, []byte("\x1b(")):
			cs = "iso-2022-jp"
			if ewFoldIn(ewDBCSCharsets, []byte(declared)) && bytes.HasPrefix([]byte(declared), []byte("iso-2022")) {
				cs = declared
			}
		case ewFoldIn(ewDBCSCharsets, []byte(declared)) && ewHighByte(v):
			cs = declared
		default:
			continue
		}
		if bad, problem := dbcsCheck(cs, v); bad >= 0 && bad < len(v) {
			reportValue(p, f, "ENC-007", bad, fmt.Sprintf("raw %s text in %s: %s", cs, f.name, problem))
		}
	}
}

func ewHighByte(v []byte) bool {
	for _, c := range v {
		if c >= 0x80 {
			return true
		}
	}
	return false
}
