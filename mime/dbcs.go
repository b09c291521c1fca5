package mime

import (
	"fmt"
	"strings"
)

// ENC-007: text in a double-byte charset whose byte structure is broken (a
// lead byte without its trail, a stray byte no character can start with,
// a bad ISO-2022 escape). KB 282796, KB 266638 and KB 194560 describe
// Exchange and Outlook failing on such text, above all in display names.
//
// The validation is hand-written per charset family from the byte ranges
// of each encoding; where vendors extended a charset (cp932, GBK/GB18030,
// cp949/UHC, cp950/HKSCS) the wider ranges are accepted, because mail
// labelled with the narrow name routinely carries the extension and
// decoders accept it. The checks look at structure only, never at whether
// a well-formed pair is assigned a character.

// dbcsKind is a family of double-byte charsets with one byte structure.
type dbcsKind uint8

const (
	dbcsNone      dbcsKind = iota
	dbcsSJIS               // Shift_JIS, cp932
	dbcsEUCJP              // EUC-JP
	dbcsGB                 // GB2312 (EUC-CN), GBK, GB18030
	dbcsBig5               // Big5, cp950, HKSCS
	dbcsKR                 // EUC-KR, ks_c_5601-1987, cp949 (UHC)
	dbcsISO2022JP          // ISO-2022-JP and its -1, -2, -3 variants
	dbcsISO2022KR          // ISO-2022-KR
)

var dbcsNames = [...]string{
	dbcsSJIS: "Shift_JIS", dbcsEUCJP: "EUC-JP", dbcsGB: "GB", dbcsBig5: "Big5",
	dbcsKR: "EUC-KR", dbcsISO2022JP: "ISO-2022-JP", dbcsISO2022KR: "ISO-2022-KR",
}

func (k dbcsKind) String() string { return dbcsNames[k] }

var dbcsCharsets = map[string]dbcsKind{
	"shift_jis": dbcsSJIS, "shift-jis": dbcsSJIS, "sjis": dbcsSJIS, "x-sjis": dbcsSJIS,
	"cp932": dbcsSJIS, "ms932": dbcsSJIS, "windows-31j": dbcsSJIS, "windows-932": dbcsSJIS,
	"ms_kanji": dbcsSJIS, "csshiftjis": dbcsSJIS, "x-ms-cp932": dbcsSJIS,

	"euc-jp": dbcsEUCJP, "eucjp": dbcsEUCJP, "x-euc-jp": dbcsEUCJP, "ujis": dbcsEUCJP,
	"cseucpkdfmtjapanese": dbcsEUCJP,

	"gb2312": dbcsGB, "gbk": dbcsGB, "gb18030": dbcsGB, "cp936": dbcsGB, "ms936": dbcsGB,
	"windows-936": dbcsGB, "x-gbk": dbcsGB, "euc-cn": dbcsGB, "x-euc-cn": dbcsGB,
	"csgb2312": dbcsGB, "chinese": dbcsGB, "gb_2312-80": dbcsGB, "x-gb2312": dbcsGB,

	"big5": dbcsBig5, "big5-hkscs": dbcsBig5, "cp950": dbcsBig5, "x-big5": dbcsBig5,
	"csbig5": dbcsBig5, "windows-950": dbcsBig5, "cn-big5": dbcsBig5,

	"euc-kr": dbcsKR, "euckr": dbcsKR, "cseuckr": dbcsKR, "ks_c_5601-1987": dbcsKR,
	"ks_c_5601": dbcsKR, "ks_c_5601-1989": dbcsKR, "ksc_5601": dbcsKR, "ksc5601": dbcsKR,
	"csksc56011987": dbcsKR, "cp949": dbcsKR, "windows-949": dbcsKR, "x-windows-949": dbcsKR,
	"uhc": dbcsKR, "korean": dbcsKR, "iso-ir-149": dbcsKR,

	"iso-2022-jp": dbcsISO2022JP, "csiso2022jp": dbcsISO2022JP, "iso-2022-jp-1": dbcsISO2022JP,
	"iso-2022-jp-2": dbcsISO2022JP, "csiso2022jp2": dbcsISO2022JP, "iso-2022-jp-3": dbcsISO2022JP,
	"iso-2022-jp-2004": dbcsISO2022JP, "cp50220": dbcsISO2022JP, "cp50221": dbcsISO2022JP,
	"cp50222": dbcsISO2022JP,

	"iso-2022-kr": dbcsISO2022KR, "csiso2022kr": dbcsISO2022KR,
}

// dbcsKindOf maps a charset label (any case, optionally quoted or padded)
// to its family, dbcsNone when it is not a double-byte charset.
func dbcsKindOf(charset string) dbcsKind {
	cs := strings.Trim(charset, " \t\"'")
	if k, ok := dbcsCharsets[cs]; ok {
		return k
	}
	return dbcsCharsets[strings.ToLower(cs)]
}

// dbcsCheck validates data in the given charset. It returns the index of
// the first byte of the first broken sequence and what is wrong with it,
// or -1, "" when the data is well formed or the charset is not a
// double-byte one. A sequence cut off by the end of data counts as broken.
func dbcsCheck(charset string, data []byte) (badIndex int, problem string) {
	k := dbcsKindOf(charset)
	if k == dbcsNone {
		return -1, ""
	}
	v := dbcsValidator{kind: k}
	if start, _, p := v.feed(data); p != "" {
		return max(start, 0), p
	}
	if p := v.finish(); p != "" {
		return len(data) - int(v.np), p
	}
	return -1, ""
}

// ISO-2022 modes.
const (
	isoSingle = iota // ASCII, JIS-Roman or JIS katakana: one byte per character
	isoDouble        // a two-byte set (JIS X 0208, JIS X 0212, KS C 5601, ...)
)

// dbcsValidator checks a byte stream in one double-byte family. It keeps
// the bytes of an incomplete sequence (at most four) across calls, so a
// pair or an escape split between two pieces is judged as a whole.
type dbcsValidator struct {
	kind dbcsKind
	// need is the number of bytes still expected by the current sequence,
	// 0 between sequences. pend holds its bytes so far.
	need uint8
	pend [4]byte
	np   uint8
	// ss2: an EUC-JP SS2 (0x8E) is pending; half-width katakana must follow.
	ss2 bool

	// ISO-2022
	mode    uint8 // isoSingle or isoDouble
	shifted bool  // after SO: KS C 5601 in ISO-2022-KR, katakana in cp50221
	inEsc   bool
	krDesig bool // ISO-2022-KR: ESC $ ) C seen
}

// feed validates data, continuing from earlier calls. On the first
// problem it returns the index of the byte that revealed it (at), the index
// of the first byte of the broken sequence (start; negative when the
// sequence began -start bytes before data, in earlier calls) and a
// description. After a problem the validator is in an undefined state:
// callers report the first problem and stop.
func (v *dbcsValidator) feed(data []byte) (start, at int, problem string) {
	switch v.kind {
	case dbcsISO2022JP, dbcsISO2022KR:
		return v.feedISO(data)
	}
	i := 0
	for i < len(data) {
		if v.need == 0 {
			for i < len(data) && data[i] < 0x80 {
				i++
			}
			if i == len(data) {
				break
			}
			c := data[i]
			if p := v.lead(c); p != "" {
				return i, i, p
			}
			if v.need > 0 {
				v.pend[0], v.np = c, 1
			}
			i++
			continue
		}
		c := data[i]
		if !v.trail(c) {
			return i - int(v.np), i, v.truncated(c)
		}
		if v.need == 0 {
			v.np = 0
		} else {
			v.pend[v.np] = c
			v.np++
		}
		i++
	}
	return 0, 0, ""
}

// lead handles a byte >= 0x80 between sequences: it either stands alone
// (v.need stays 0), starts a sequence (v.need set) or is invalid.
func (v *dbcsValidator) lead(c byte) string {
	v.ss2 = false
	switch v.kind {
	case dbcsSJIS:
		// 0xA1-0xDF half-width katakana; 0x80, 0xA0, 0xFD-0xFF are single
		// bytes in cp932. Leads: 0x81-0x9F, 0xE0-0xFC.
		if (c >= 0x81 && c <= 0x9f) || (c >= 0xe0 && c <= 0xfc) {
			v.need = 1
		}
		return ""
	case dbcsEUCJP:
		switch {
		case c == 0x8e: // SS2: half-width katakana 0xA1-0xDF follows
			v.need, v.ss2 = 1, true
		case c == 0x8f: // SS3: a JIS X 0212 pair follows
			v.need = 2
		case c >= 0xa1 && c <= 0xfe:
			v.need = 1
		default:
			return fmt.Sprintf("byte 0x%02x cannot start an EUC-JP character", c)
		}
		return ""
	case dbcsGB:
		// 0x80 is the euro sign in cp936; 0xFF is never valid.
		switch {
		case c >= 0x81 && c <= 0xfe:
			v.need = 1
		case c == 0xff:
			return "byte 0xff is not valid in GB2312/GBK/GB18030 text"
		}
		return ""
	case dbcsBig5, dbcsKR:
		if c >= 0x81 && c <= 0xfe {
			v.need = 1
			return ""
		}
		return fmt.Sprintf("byte 0x%02x is not valid in %s text", c, v.kind)
	}
	return ""
}

// trail reports whether c may continue the current sequence; if so it
// counts c off v.need.
func (v *dbcsValidator) trail(c byte) bool {
	pos := v.np // index of c in the sequence
	ok := false
	switch v.kind {
	case dbcsSJIS:
		ok = c >= 0x40 && c <= 0xfc && c != 0x7f
	case dbcsEUCJP:
		if v.ss2 {
			ok = c >= 0xa1 && c <= 0xdf
		} else {
			ok = c >= 0xa1 && c <= 0xfe
		}
	case dbcsGB:
		switch {
		case pos == 1 && c >= 0x30 && c <= 0x39: // GB18030 four-byte form
			v.need = 3
			ok = true
		case pos == 1:
			ok = c >= 0x40 && c <= 0xfe && c != 0x7f
		case pos == 2:
			ok = c >= 0x81 && c <= 0xfe
		case pos == 3:
			ok = c >= 0x30 && c <= 0x39
		}
	case dbcsBig5:
		ok = (c >= 0x40 && c <= 0x7e) || (c >= 0xa1 && c <= 0xfe)
	case dbcsKR:
		ok = (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0x81 && c <= 0xfe)
	}
	if ok {
		v.need--
	}
	return ok
}

func (v *dbcsValidator) truncated(c byte) string {
	return fmt.Sprintf("truncated %s sequence: %s followed by 0x%02x", v.kind, hexBytes(v.pend[:min(int(v.np), len(v.pend))]), c)
}

// finish reports a sequence cut off by the end of the data.
func (v *dbcsValidator) finish() string {
	if v.inEsc {
		return fmt.Sprintf("%s escape sequence %s cut off at the end", v.kind, hexBytes(v.pend[:v.np]))
	}
	if v.np > 0 {
		return fmt.Sprintf("truncated %s sequence: %s at the end", v.kind, hexBytes(v.pend[:v.np]))
	}
	return ""
}

func hexBytes(b []byte) string {
	var sb strings.Builder
	for i, c := range b {
		if i > 0 {
			sb.WriteByte(' ')
		}
		fmt.Fprintf(&sb, "0x%02x", c)
	}
	return sb.String()
}

// ISO-2022 control bytes.
const (
	esc = 0x1b
	so  = 0x0e
	si  = 0x0f
)

// isoPlain marks bytes that are ordinary one-byte characters in an
// ISO-2022 single-byte mode (everything below 0x80 but ESC, SO and SI).
var isoPlain = func() (t [256]bool) {
	for c := 0; c < 0x80; c++ {
		t[c] = c != esc && c != so && c != si
	}
	return t
}()

func (v *dbcsValidator) double() bool {
	return v.mode == isoDouble || (v.kind == dbcsISO2022KR && v.shifted)
}

// feedISO validates ISO-2022-JP (RFC 1468, with the -1/-2/-3 and cp5022x
// designations) and ISO-2022-KR (RFC 1557). They are 7-bit: an 8-bit byte
// is an error; in a two-byte set bytes come in pairs of 0x21-0x7E; an
// escape must be one the charset defines. Line breaks at a pair boundary
// are tolerated in a two-byte set (many mailers omit the switch back to
// ASCII), and so is ending in a two-byte set: only a half pair is flagged.
func (v *dbcsValidator) feedISO(data []byte) (start, at int, problem string) {
	i := 0
	for i < len(data) {
		if v.inEsc {
			c := data[i]
			v.pend[v.np] = c
			v.np++
			done, ok := v.escape()
			if !ok {
				return i - int(v.np) + 1, i, fmt.Sprintf("bad %s escape sequence %s", v.kind, hexBytes(v.pend[:v.np]))
			}
			if done {
				v.inEsc, v.np = false, 0
			}
			i++
			continue
		}
		if v.np > 0 { // second byte of a pair
			c := data[i]
			if c < 0x21 || c > 0x7e {
				return i - 1, i, v.truncated(c)
			}
			v.np = 0
			i++
			continue
		}
		if !v.double() {
			for i < len(data) && isoPlain[data[i]] {
				i++
			}
			if i == len(data) {
				break
			}
		}
		c := data[i]
		switch {
		case c == esc:
			v.inEsc, v.pend[0], v.np = true, c, 1
		case c >= 0x80:
			return i, i, fmt.Sprintf("8-bit byte 0x%02x in 7-bit %s text", c, v.kind)
		case c == so:
			if v.kind == dbcsISO2022KR && !v.krDesig {
				return i, i, "ISO-2022-KR shift-out before the ESC $ ) C designation"
			}
			v.shifted = true
		case c == si:
			v.shifted = false
		case v.double() && c >= 0x21 && c <= 0x7e:
			v.pend[0], v.np = c, 1
		}
		// Anything else (controls, space, CR, LF at a pair boundary) passes.
		i++
	}
	return 0, 0, ""
}

// escape judges the escape sequence in v.pend[:v.np] (ESC included): done
// when it is complete and known, !ok when it cannot become a known one.
func (v *dbcsValidator) escape() (done, ok bool) {
	s := v.pend[1:v.np]
	if v.kind == dbcsISO2022KR {
		// ESC $ ) C designates KS C 5601 to G1; nothing else is defined.
		const want = "$)C"
		if len(s) > len(want) || string(s) != want[:len(s)] {
			return false, false
		}
		if len(s) == len(want) {
			v.krDesig = true
			return true, true
		}
		return false, true
	}
	switch len(s) {
	case 1:
		switch s[0] {
		case '(', '$', '&', '.':
			return false, true
		case 'N': // single shift 2 (ISO-2022-JP-2): the next byte is a G2 character
			return true, true
		}
		return false, false
	case 2:
		switch s[0] {
		case '(':
			switch s[1] {
			case 'B', 'J', 'I': // ASCII, JIS-Roman, JIS katakana
				v.mode = isoSingle
				return true, true
			}
		case '$':
			switch s[1] {
			case '@', 'B', 'A': // JIS C 6226-1978, JIS X 0208-1983, GB 2312
				v.mode = isoDouble
				return true, true
			case '(':
				return false, true
			}
		case '&':
			return s[1] == '@', s[1] == '@' // JIS X 0208-1990 announcer
		case '.':
			return s[1] == 'A' || s[1] == 'F', s[1] == 'A' || s[1] == 'F' // G2: ISO 8859-1, -7
		}
		return false, false
	case 3: // ESC $ ( F
		switch s[2] {
		case 'B', '@', 'C', 'D', 'O', 'P', 'Q': // 0208, 1978, KS C 5601, 0212, 0213
			v.mode = isoDouble
			return true, true
		}
	}
	return false, false
}

// ---- ENC-007 body checker ----

// dbcsBodyChecker validates the transfer-decoded body of a text/* part
// declared in a double-byte charset. One finding per part: the first
// broken sequence, at the file offset of its first byte (for base64 and
// quoted-printable, of the quantum or escape that encodes it).
type dbcsBodyChecker struct {
	p   *part
	v   dbcsValidator
	dec *transferDecoder
	cs  string

	// where the pending sequence started, for a break found in a later batch
	pendOff  int64
	pendLine int
	pendEv   evidence
	done     bool
}

func newDBCSChecker(p *part) bodyChecker {
	if !p.rep.enabled("ENC-007") {
		return nil
	}
	if p.mediaType != "" && !strings.HasPrefix(p.mediaType, "text/") {
		return nil
	}
	cs := p.params["charset"]
	k := dbcsKindOf(cs)
	if k == dbcsNone {
		return nil
	}
	switch p.encoding {
	case "x-uuencode", "uuencode", "x-uue":
		return nil
	}
	c := &dbcsBodyChecker{p: p, v: dbcsValidator{kind: k}, cs: cs}
	c.dec = newTransferDecoder(p.encoding, c.decoded)
	return c
}

func init() {
	bodyCheckerFactories = append(bodyCheckerFactories, newDBCSChecker)
}

func (c *dbcsBodyChecker) write(data []byte, off int64, line int, eol []byte) {
	if c.done {
		return
	}
	c.dec.write(data, off, line, eol)
}

func (c *dbcsBodyChecker) decoded(b []byte, m *srcMap) {
	if c.done {
		return
	}
	prevNp := int(c.v.np)
	start, at, problem := c.v.feed(b)
	if problem != "" {
		c.done = true
		var off int64
		var line int
		var ev evidence
		if start < 0 {
			off, line = c.pendOff, c.pendLine
			ev.n = copy(ev.b[:], c.pendEv.bytes())
			ev.n += copy(ev.b[ev.n:], b[:min(at+1, len(b))])
		} else {
			off, line = m.at(start)
			ev.set(b[start:min(at+1, len(b))])
		}
		c.p.report("ENC-007", off, line, problem+" (charset "+c.cs+")", ev.bytes())
		return
	}
	// A sequence still pending either continues the one pending before
	// (then all of b went into it) or started in this batch.
	if n := int(c.v.np); n > 0 && !(prevNp > 0 && n == prevNp+len(b)) {
		c.pendOff, c.pendLine = m.at(len(b) - n)
		c.pendEv.set(b[len(b)-n:])
	} else if n > 0 {
		c.pendEv.n += copy(c.pendEv.b[c.pendEv.n:], b)
	}
}

func (c *dbcsBodyChecker) end(int64, int) {
	if c.done {
		return
	}
	c.dec.end()
	if c.done {
		return
	}
	if p := c.v.finish(); p != "" {
		c.done = true
		c.p.report("ENC-007", c.pendOff, c.pendLine, p+" (charset "+c.cs+")", c.pendEv.bytes())
	}
}
