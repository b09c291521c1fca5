package mime

import (
	"bytes"
	"fmt"
	"strings"
)

// TNEF-001 and TNEF-002: Transport Neutral Encapsulation Format parts
// (application/ms-tnef, winmail.dat). TNEF parsing bugs crashed Exchange
// and Outlook (KB 152937, 164960, 241482, 250302; MS06-003; MS09-003).
//
// Layout (MS-OXTNEF 2.1.3, all integers little-endian):
//
//	signature 0x223E9F78 (bytes 78 9F 3E 22), legacy key (2 bytes),
//	then attributes: level (1 byte: 1 message, 2 attachment),
//	ID (4 bytes: attribute type in the high word, 0x0001 atpString,
//	0x0002 atpText, ...), length (4 bytes), data (length bytes),
//	checksum (2 bytes: the sum of the data bytes modulo 65536).
//
// The MAPI property lists inside some attributes are checked too (see
// rules_tnef_mapi.go).
//
// The validator streams the transfer-decoded body: it never holds an
// attribute's data, only sums it as it passes.

func init() {
	bodyCheckerFactories = append(bodyCheckerFactories, newTNEFChecker)
}

const tnefSignature = "\x78\x9f\x3e\x22"

// TNEF attribute types (high word of the attribute ID) that hold strings.
const (
	atpString = 0x0001
	atpText   = 0x0002
	// attMessageClass (0x00078008) is typed atpWord but holds a string.
	attMessageClass = 0x8008
)

// isTNEFPart reports whether the part is TNEF by its type or its name: the
// Content-Type name, or the Content-Disposition filename (or name), is
// winmail.dat in any case once decoded as the MIME tree shows it (RFC 2231
// extended values and sections, RFC 2047 encoded words), so that these
// count as the plain form does:
//
//	filename*=utf-8''winmail.dat
//	filename*0=winmail; filename*1=.dat
//	filename="=?us-ascii?Q?winmail.dat?="
func isTNEFPart(p *part) bool {
	switch p.mediaType {
	case "application/ms-tnef", "application/vnd.ms-tnef":
		return true
	}
	if isWinmailName(p.params["name"]) {
		return true
	}
	if f := p.field("content-disposition"); f != nil && mayNameWinmail(f.value) {
		_, params := scParseStructured(f.value)
		m := scParamMap(params)
		return isWinmailName(m["filename"]) || isWinmailName(m["name"])
	}
	return false
}

// isWinmailName reports whether a decoded parameter value names
// winmail.dat: RFC 2047 words decoded as for Report.Parts, surrounding
// quotes and white space ignored, any case.
func isWinmailName(v string) bool {
	if strings.Contains(v, "=?") {
		v = decodeWords([]byte(v))
	}
	return strings.EqualFold(strings.Trim(v, "\" \t"), "winmail.dat")
}

// mayNameWinmail is a cheap test that spares most parts the parse of
// their Content-Disposition: a value can decode to winmail.dat only if it
// holds "winmail" (any case), an RFC 2231 name ('*'), an encoded word
// ("=?") or a quoted pair ('\\').
func mayNameWinmail(v []byte) bool {
	const w = "winmail"
	for i := 0; i < len(v); i++ {
		switch v[i] {
		case '*', '\\':
			return true
		case '=':
			if i+1 < len(v) && v[i+1] == '?' {
				return true
			}
		case 'w', 'W':
			if len(v)-i >= len(w) && bytes.EqualFold(v[i:i+len(w)], []byte(w)) {
				return true
			}
		}
	}
	return false
}

// tnefWhere returns the offset and evidence of the part's Content-Type
// (or first) header field, for findings about the part as a whole.
func tnefWhere(p *part) (int64, int, []byte) {
	if f := p.field("content-type"); f != nil {
		return f.offset, f.line, f.value
	}
	if f := p.field("content-disposition"); f != nil {
		return f.offset, f.line, f.value
	}
	if len(p.fields) > 0 {
		return p.fields[0].offset, p.fields[0].line, p.fields[0].value
	}
	return 0, 0, nil
}

func newTNEFChecker(p *part) bodyChecker {
	if !isTNEFPart(p) {
		return nil
	}
	if p.parent != nil && p.parent.isMultipart() {
		off, line, ev := tnefWhere(p)
		p.report("TNEF-002", off, line,
			"TNEF part inside a "+p.parent.mediaType+" (whether it came from outside the organisation cannot be told from the file)", ev)
	}
	if !p.rep.enabled("TNEF-001") {
		return nil
	}
	c := &tnefChecker{p: p}
	c.dec = newTransferDecoder(p.encoding, c.decoded)
	return c
}

// TNEF parser stages.
const (
	tnefSig = iota
	tnefKey
	tnefHeader // level, ID, length
	tnefData
	tnefSum
	tnefTrail // a CR or LF where an attribute should start
	tnefFailed
)

type tnefChecker struct {
	p   *part
	dec *transferDecoder

	stage int
	hdr   [9]byte
	hn    int
	sig   [4]byte
	sigN  int
	// where the first decoded byte came from
	sigOff  int64
	sigLine int

	attrOff  int64 // where the current attribute's level byte came from
	attrLine int
	id       uint32
	length   uint32
	left     uint32 // data bytes still to come
	sum      uint16
	want     uint16 // stored checksum, assembled
	sn       int
	sumOff   int64
	sumLine  int
	attrs    int
	trail    []byte // bytes seen in tnefTrail (at most 3: a line ending and one more)
	mapi     mapiParser

	started   bool
	startOff  int64
	startLine int
}

func (c *tnefChecker) write(data []byte, off int64, line int, eol []byte) {
	if !c.started && (len(data) > 0 || len(eol) > 0) {
		c.started, c.startOff, c.startLine = true, off, line
	}
	if c.stage == tnefFailed {
		return
	}
	c.dec.write(data, off, line, eol)
}

func (c *tnefChecker) fail(off int64, line int, msg string, ev []byte) {
	c.stage = tnefFailed
	c.p.report("TNEF-001", off, line, msg, ev)
}

func (c *tnefChecker) decoded(b []byte, m *srcMap) {
	i := 0
	for i < len(b) && c.stage != tnefFailed {
		switch c.stage {
		case tnefSig:
			if c.sigN == 0 {
				c.sigOff, c.sigLine = m.at(i)
			}
			c.sig[c.sigN] = b[i]
			c.sigN++
			i++
			if c.sigN == 4 {
				if string(c.sig[:]) != tnefSignature {
					c.fail(c.sigOff, c.sigLine, fmt.Sprintf("TNEF signature is %s, want 0x78 0x9f 0x3e 0x22", hexBytes(c.sig[:])), c.sig[:])
					return
				}
				c.stage, c.hn = tnefKey, 0
			}
		case tnefKey:
			c.hn++
			i++
			if c.hn == 2 {
				c.stage, c.hn = tnefHeader, 0
			}
		case tnefHeader:
			if c.hn == 0 {
				c.attrOff, c.attrLine = m.at(i)
				if lv := b[i]; lv == '\r' || lv == '\n' {
					// Perhaps the line ending that belongs to the next
					// delimiter: judged when more bytes follow.
					c.stage, c.trail = tnefTrail, c.trail[:0]
					continue
				} else if lv != 1 && lv != 2 {
					c.badLevel(b[i:min(i+9, len(b))])
					return
				}
			}
			c.hdr[c.hn] = b[i]
			c.hn++
			i++
			if c.hn == 9 {
				c.id = le32(c.hdr[1:5])
				c.length = le32(c.hdr[5:9])
				c.left, c.sum, c.want, c.sn = c.length, 0, 0, 0
				c.attrs++
				if c.length == 0 && c.isString() {
					c.fail(c.attrOff, c.attrLine, fmt.Sprintf("TNEF attribute 0x%08x is a zero-length string", c.id), c.hdr[:])
					return
				}
				c.startMAPI()
				c.stage = tnefData
				if c.left == 0 {
					if !c.endMAPI() {
						return
					}
					c.stage = tnefSum
				}
			}
		case tnefTrail:
			c.trail = append(c.trail, b[i])
			i++
			if !isLineEnding(c.trail) {
				c.badLevel(c.trail)
				return
			}
		case tnefData:
			n := uint32(len(b) - i)
			if n > c.left {
				n = c.left
			}
			if c.mapi.st != mapiDone && !c.feedMAPI(b[i:i+int(n)], m, i, c.left) {
				return
			}
			var s uint16
			for _, x := range b[i : i+int(n)] {
				s += uint16(x)
			}
			c.sum += s
			c.left -= n
			i += int(n)
			if c.left == 0 {
				if !c.endMAPI() {
					return
				}
				c.stage = tnefSum
			}
		case tnefSum:
			if c.sn == 0 {
				c.sumOff, c.sumLine = m.at(i)
			}
			c.want |= uint16(b[i]) << (8 * c.sn)
			c.sn++
			i++
			if c.sn == 2 {
				if c.want != c.sum {
					c.fail(c.sumOff, c.sumLine, fmt.Sprintf("TNEF attribute 0x%08x (%d bytes) has checksum 0x%04x, its data sums to 0x%04x", c.id, c.length, c.want, c.sum), nil)
					return
				}
				c.stage, c.hn = tnefHeader, 0
			}
		}
	}
}

func (c *tnefChecker) badLevel(ev []byte) {
	c.fail(c.attrOff, c.attrLine, fmt.Sprintf("TNEF attribute %d has level 0x%02x, want 1 (message) or 2 (attachment)", c.attrs+1, ev[0]), ev)
}

// isString reports whether the current attribute holds a string.
func (c *tnefChecker) isString() bool {
	t := c.id >> 16
	return t == atpString || t == atpText || c.id&0xffff == attMessageClass
}

func le32(b []byte) uint32 {
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}

func (c *tnefChecker) end(off int64, line int) {
	if c.stage == tnefFailed {
		return
	}
	c.dec.end()
	if !c.started {
		c.startOff, c.startLine = off, line
	}
	switch c.stage {
	case tnefFailed:
	case tnefSig, tnefKey:
		c.fail(c.startOff, c.startLine, fmt.Sprintf("TNEF part ends after %d bytes, inside the signature and key", c.sigN+c.hn), c.sig[:c.sigN])
	case tnefHeader:
		switch {
		case c.hn > 0:
			c.fail(c.attrOff, c.attrLine, fmt.Sprintf("TNEF attribute header cut off by the end of the part (%d of 9 bytes)", c.hn), c.hdr[:c.hn])
		case c.attrs == 0:
			c.fail(c.sigOff, c.sigLine, "TNEF stream holds no attributes", c.sig[:])
		default:
			c.valid()
		}
	case tnefTrail:
		// QUIRK: in a multipart the core hands over the line ending before
		// the next delimiter, which RFC 2046 5.1.1 counts as part of the
		// delimiter; a binary TNEF body then ends with it.
		if c.attrs == 0 {
			c.fail(c.sigOff, c.sigLine, "TNEF stream holds no attributes", c.sig[:])
			return
		}
		c.valid()
	case tnefData:
		c.fail(c.attrOff, c.attrLine, fmt.Sprintf("TNEF attribute 0x%08x declares %d data bytes but the part ends %d bytes short", c.id, c.length, c.left), c.hdr[:])
	case tnefSum:
		c.fail(c.attrOff, c.attrLine, fmt.Sprintf("TNEF attribute 0x%08x checksum cut off by the end of the part", c.id), c.hdr[:])
	}
}

// valid reports a TNEF stream that passed every check, at low severity.
func (c *tnefChecker) valid() {
	c.p.rep.addSeverity("TNEF-001", Low, c.p.path, c.sigOff, c.sigLine,
		fmt.Sprintf("valid TNEF stream (%d attributes); TNEF has crashed Exchange and Outlook", c.attrs), c.sig[:])
}

func isLineEnding(b []byte) bool {
	s := string(b)
	return s == "\r\n" || s == "\n" || s == "\r"
}
