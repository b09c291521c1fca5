package mime

import (
	"bytes"
	"fmt"
)

// Byte-level header rules: STR-006 (NUL in the header block), STR-007 (C0
// controls and DEL in a header value) and STR-008 (raw 8-bit bytes outside
// RFC 2047 encoded words). Each is reported at most once per field, at the
// first offending byte.

// checkHeaderBytes runs STR-006, STR-007 and STR-008 on one field's name
// and value.
func checkHeaderBytes(p *part, f *field, k hdrKind) {
	nul, ctl, high := false, false, false
	for i, c := range f.name {
		if c >= 0x20 && c < 0x7f {
			continue
		}
		// The name starts the field: name[i] is at f.offset+i.
		switch {
		case c == 0 && !nul:
			nul = true
			p.report("STR-006", f.offset+int64(i), f.line, fmt.Sprintf("NUL byte in header field name %q", f.name), f.name[i:])
		case c >= 0x80 && !high:
			high = true
			p.report("STR-008", f.offset+int64(i), f.line, fmt.Sprintf("raw 8-bit byte 0x%02x in header field name", c), f.name[i:])
		}
	}
	v := f.value
	ew := ewCover{truncated: f.truncated, strict: ewChecked(k)}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c >= 0x20 && c < 0x7f || c == '\t' || c == '\r' || c == '\n' {
			continue
		}
		switch {
		case c == 0:
			if !nul {
				nul = true
				reportValue(p, f, "STR-006", i, fmt.Sprintf("NUL byte in %s header", f.name))
			}
		case c < 0x20 || c == 0x7f:
			if c == 0x1b && k&(kSubject|kAddress) != 0 && iso2022Designation(v[i:]) > 0 {
				// Raw ISO-2022-JP text (legacy Japanese mail): ENC-007
				// (checkHeaderDBCS) validates it; it is no stray control.
				i += iso2022Designation(v[i:]) - 1
				continue
			}
			if !ctl {
				ctl = true
				msg := fmt.Sprintf("control character 0x%02x in %s header", c, f.name)
				if k&(kMessageID|kIDList) != 0 {
					msg += " (message identifiers with controls crash IIS, KB 275598)"
				}
				reportValue(p, f, "STR-007", i, msg)
			}
		default: // 8-bit
			if high {
				continue
			}
			if end := ew.around(v, i); end > i {
				i = end - 1 // inside a word ENC-005 reports: its business
				continue
			}
			high = true
			reportValue(p, f, "STR-008", i, fmt.Sprintf("raw 8-bit byte 0x%02x in %s header (not RFC 2047 encoded)", c, f.name))
		}
		if nul && ctl && high {
			return
		}
	}
}

// checkLineBytes runs STR-006 and STR-008 on a header-block line that is
// no field (HDR-003: no colon, a continuation with no field before it, a
// Unix "From " line), so that a NUL or raw 8-bit byte in what was meant as
// a field name (`X-Tra\x00ck 1`) is reported at the byte, as it is in a
// field's name or value. data is the line without its ending (for a long
// line, its first piece); off and line are where data[0] is.
func checkLineBytes(p *part, off int64, line int, data []byte) {
	if i := bytes.IndexByte(data, 0); i >= 0 {
		p.report("STR-006", off+int64(i), line, "NUL byte in a malformed header line", data[i:])
	}
	for i := 0; i < len(data); i++ {
		if data[i] < 0x80 {
			continue
		}
		// An encoded word is exempt (TestHeaderBytesMalformedLine pins
		// it), although ENC-005 checks fields only and so never this line.
		if end := encodedWordAround(data, i); end > i {
			i = end - 1
			continue
		}
		// A constant message: a hostile block of such lines formats
		// nothing past the rule's cap (the excerpt shows the byte).
		p.report("STR-008", off+int64(i), line, "raw 8-bit byte in a malformed header line (not RFC 2047 encoded)", data[i:])
		return
	}
}

// iso2022Designation returns the length of the ISO-2022 designation escape
// sequence at the start of b (ESC $ @, ESC $ A, ESC $ B, ESC $ ( C/D/O/P/Q,
// ESC ( B/J/I, ESC . A/F: the ones ISO-2022-JP, -JP-2 and -KR text
// uses), or 0.
func iso2022Designation(b []byte) int {
	if len(b) < 3 || b[0] != 0x1b {
		return 0
	}
	switch b[1] {
	case '$':
		switch b[2] {
		case '@', 'A', 'B':
			return 3
		case '(', ')':
			if len(b) >= 4 && bytes.IndexByte([]byte("CDOPQ"), b[3]) >= 0 {
				return 4
			}
		}
	case '(':
		if bytes.IndexByte([]byte("BJI"), b[2]) >= 0 {
			return 3
		}
	case '.':
		if b[2] == 'A' || b[2] == 'F' {
			return 3
		}
	}
	return 0
}

// ewCover walks a field's value the way checkEncodedWords does, to tell
// whether a raw 8-bit byte lies in an encoded word that ENC-005 reports:
// one in a field ENC-005 checks (ewChecked), at a word boundary
// (ewBoundary, or right after a closed word), with "=?charset?encoding?"
// (parseEW's structured), not UTF-7 (ENC-006's), and not an unclosed
// word in a field cut at Limits.HeaderBytesKept (which may close later).
// Such a word always has an ENC-005 fault: no charset, encoding or Q
// payload may hold an 8-bit byte, nor a B payload. Every other raw 8-bit
// byte is STR-008's, so each is in the scope of exactly one of the two
// rules. Calls must come in increasing i; the walk is linear in the value.
//
// This mirrors checkEncodedWords in rules_2047.go: a change to which words
// it checks belongs here too.
type ewCover struct {
	truncated bool
	strict    bool
	pos       int // where the walk looks for the next "=?"
	prevEnd   int // end of the last closed word, 0 before one
	start     int // the last word ENC-005 checks: value[start:end]
	end       int
}

// around returns the index just past the checked encoded word holding
// v[i], or -1.
func (c *ewCover) around(v []byte, i int) int {
	if !c.strict {
		return -1
	}
	for c.end <= i && c.pos+1 < len(v) && c.pos <= i {
		j := bytes.Index(v[c.pos:], []byte("=?"))
		if j < 0 {
			c.pos = len(v)
			break
		}
		s := c.pos + j
		if s > i {
			break // the walk resumes here for a later byte
		}
		w := parseEW(v, s)
		next := w.next()
		if w.structured && !ewFoldIn(ewUTF7Charsets, ewCharsetName(w.charset)) &&
			(ewBoundary(v, s) || s == c.prevEnd && s > 0) &&
			(w.end > 0 || w.whiteSpaceIn || !c.truncated) {
			c.start, c.end = s, next
		}
		if w.end > 0 {
			c.prevEnd = w.end
		}
		c.pos = next
	}
	if c.start <= i && i < c.end {
		return c.end
	}
	return -1
}

// encodedWordAround returns the index just past the encoded word
// ("=?...?=", no white space inside) that holds v[i], or -1 when v[i] is
// not inside one.
func encodedWordAround(v []byte, i int) int {
	start := -1
	for j := i - 1; j >= 1; j-- {
		if hdrWSP(v[j]) {
			return -1
		}
		if v[j] == '?' && v[j-1] == '=' {
			start = j - 1
			break
		}
	}
	if start < 0 {
		return -1
	}
	// The word needs charset?encoding? before the payload; count the '?'.
	marks := bytes.Count(v[start+2:i], []byte{'?'})
	for j := i; j+1 < len(v); j++ {
		if hdrWSP(v[j]) {
			return -1
		}
		if v[j] == '?' {
			if v[j+1] == '=' && marks >= 2 {
				return j + 2
			}
			marks++
		}
	}
	return -1
}
