package mime

import (
	"bytes"
	"fmt"
)

// Body checks for the transfer encodings: ENC-001 base64, ENC-002
// uuencode, ENC-003 BinHex and ENC-004 quoted-printable. Each checker is a
// small state machine fed line pieces by the core; none allocates per line
// and none keeps more than a few bytes of evidence.

func init() {
	bodyCheckerFactories = append(bodyCheckerFactories,
		newBase64Checker, newUUChecker, newBinHexChecker, newQPChecker)
}

// evidence is a small fixed copy of the bytes a deferred finding points at.
type evidence struct {
	b [ExcerptMax]byte
	n int
}

func (e *evidence) set(b []byte)  { e.n = copy(e.b[:], b) }
func (e *evidence) bytes() []byte { return e.b[:e.n] }

// ---- ENC-001 base64 ----

// base64Checker validates a base64 body (RFC 2045 6.8): only the alphabet,
// '=' and white space; no data after '=' padding; and a count of alphabet
// characters that can decode (not 1 more than a multiple of 4). Python reports the same as InvalidBase64Characters, Padding and
// Length defects.
type base64Checker struct {
	p *part
	// n counts alphabet characters since the last padding group, so that
	// concatenated encodings ("QQ==QUFB") are judged per segment.
	n int
	// padding: a run of '=' has started at padOff.
	padding bool
	padOff  int64
	padLine int
	padEv   evidence

	lastOff  int64 // last alphabet character seen, for the length finding
	lastLine int
	lastByte byte

	charsDone, padDone bool
}

func newBase64Checker(p *part) bodyChecker {
	if p.encoding != "base64" || !p.rep.enabled("ENC-001") {
		return nil
	}
	return &base64Checker{p: p}
}

func (c *base64Checker) write(data []byte, off int64, line int, _ []byte) {
	i := 0
	for i < len(data) {
		if !c.padding {
			// Fast path: a run of alphabet characters.
			start := i
			// Eight at a time: every non-alphabet class (b64Pad, b64Space,
			// b64Bad) has bit 0x40 set and no sextet value has, so one OR
			// of eight lookups tells whether all eight are alphabet. This
			// loop is a fifth of a scan's CPU on attachment-heavy queues.
			for i+8 <= len(data) {
				d := data[i : i+8 : i+8]
				if (b64tab[d[0]]|b64tab[d[1]]|b64tab[d[2]]|b64tab[d[3]]|
					b64tab[d[4]]|b64tab[d[5]]|b64tab[d[6]]|b64tab[d[7]])&0x40 != 0 {
					break
				}
				i += 8
			}
			for i < len(data) && b64tab[data[i]] < 64 {
				i++
			}
			c.n += i - start
			if i == len(data) {
				break
			}
		}
		b := data[i]
		switch v := b64tab[b]; {
		case v < 64:
			// Alphabet after a padding group: the '=' stood in the middle.
			if !c.padDone {
				c.padDone = true
				c.p.report("ENC-001", c.padOff, c.padLine,
					"base64 padding '=' in the middle of the data (Python InvalidBase64PaddingDefect)", c.padEv.bytes())
			}
			c.padding, c.n = false, 1
		case v == b64Pad:
			c.pad(data[i:], off+int64(i), line)
		case v == b64Bad:
			if !c.charsDone {
				c.charsDone = true
				c.p.report("ENC-001", off+int64(i), line,
					fmt.Sprintf("byte 0x%02x outside the base64 alphabet (Python InvalidBase64CharactersDefect)", b), data[i:])
			}
		}
		i++
	}
	for j := len(data) - 1; j >= 0; j-- {
		if b64tab[data[j]] < 64 {
			c.lastOff, c.lastLine, c.lastByte = off+int64(j), line, data[j]
			break
		}
	}
}

// writeLines takes a run of whole lines. In an attachment every line but
// the last few holds only alphabet characters: for those only the count
// and the last character change. The lines from the first other byte on
// go one at a time.
func (c *base64Checker) writeLines(block []byte, off int64, line, n, eolLen int) {
	clean, cleanLines := 0, 0
	if !c.padding {
		clean = b64CleanLen(block)
		cleanLines = n
		if clean < len(block) {
			clean = bytes.LastIndexByte(block[:clean], '\n') + 1 // whole lines only
			cleanLines = bytes.Count(block[:clean], []byte{'\n'})
		}
	}
	if clean > 0 {
		c.n += clean - cleanLines*eolLen
		j := clean - 1
		for j >= 0 && (block[j] == '\n' || block[j] == '\r') {
			j--
		}
		if j >= 0 {
			l := line + cleanLines - bytes.Count(block[j+1:clean], []byte{'\n'})
			c.lastOff, c.lastLine, c.lastByte = off+int64(j), l, block[j]
		}
	}
	if clean < len(block) {
		writeEachLine(c.p.rep, c, block[clean:], off+int64(clean), line+cleanLines, eolLen)
	}
}

// b64LineTab is 0 for the base64 alphabet, CR and LF, and 0x40 for every
// other byte.
var b64LineTab = func() (t [256]byte) {
	for i := range t {
		if b64tab[i] >= 64 {
			t[i] = 0x40
		}
	}
	t['\r'], t['\n'] = 0, 0
	return t
}()

// b64CleanLen returns the length of the longest prefix of block that holds
// only base64 alphabet characters and line endings.
func b64CleanLen(block []byte) int {
	i := b64CleanPrefix(block)
	for ; i+8 <= len(block); i += 8 {
		d := block[i : i+8 : i+8]
		if (b64LineTab[d[0]] | b64LineTab[d[1]] | b64LineTab[d[2]] | b64LineTab[d[3]] |
			b64LineTab[d[4]] | b64LineTab[d[5]] | b64LineTab[d[6]] | b64LineTab[d[7]]) != 0 {
			break
		}
	}
	for ; i < len(block); i++ {
		if b64LineTab[block[i]] != 0 {
			break
		}
	}
	return i
}

// pad handles one '=' at off; rest starts with it. A run of '=' is only a
// defect when more data follows it (padding in the middle); surplus or
// misplaced '=' at the very end decodes everywhere, and a final quantum
// that cannot decode is the length check's business.
func (c *base64Checker) pad(rest []byte, off int64, line int) {
	if c.padding {
		return
	}
	c.padding, c.padOff, c.padLine = true, off, line
	c.padEv.set(rest)
}

func (c *base64Checker) end(int64, int) {
	if c.n%4 == 1 {
		c.p.report("ENC-001", c.lastOff, c.lastLine,
			"base64 data ends with a lone character: the length cannot decode (Python InvalidBase64LengthDefect)", []byte{c.lastByte})
	}
}

// ---- ENC-004 quoted-printable ----

// qpMaxLine is RFC 2045 6.7 rule 5: encoded lines are at most 76 characters.
const qpMaxLine = 76

// qpChecker validates a quoted-printable body: every '=' starts a two-hex
// escape or a soft line break (possibly with trailing blanks, which RFC 2045
// says decoders drop), and no line is longer than 76 characters. Each
// defect is reported once per part, at its first occurrence, with a count.
type qpChecker struct {
	p *part

	state   int // 0 plain, 1 after '=', 2 after '=' and one hex digit, 3 after '=' and blanks
	eqOff   int64
	eqLine  int
	lineLen int64
	lineOff int64
	newLine bool

	nBad    int
	badOff  int64
	badLine int
	badEv   evidence

	nLong    int
	longOff  int64
	longLine int
	longLen  int64
	longEv   evidence
}

func newQPChecker(p *part) bodyChecker {
	if p.encoding != "quoted-printable" || !p.rep.enabled("ENC-004") {
		return nil
	}
	return &qpChecker{p: p, newLine: true}
}

func (c *qpChecker) bad(off int64, line int, ev []byte) {
	if c.nBad == 0 {
		c.badOff, c.badLine = off, line
		c.badEv.set(ev)
	}
	c.nBad++
}

func (c *qpChecker) write(data []byte, off int64, line int, eol []byte) {
	if c.newLine {
		c.newLine, c.lineOff, c.lineLen = false, off, 0
	}
	before := c.lineLen
	c.lineLen += int64(len(data))
	if before <= qpMaxLine && c.lineLen > qpMaxLine {
		if c.nLong == 0 {
			c.longOff, c.longLine = c.lineOff, line
			if before == 0 {
				c.longEv.set(data)
			} else {
				c.longEv.set(nil)
			}
		}
		c.nLong++
	}
	i := 0
	for i < len(data) {
		if c.state == 0 {
			j := bytes.IndexByte(data[i:], '=')
			if j < 0 {
				break
			}
			i += j
			c.state, c.eqOff, c.eqLine = 1, off+int64(i), line
			if c.nBad == 0 {
				// Keep the escape's bytes in case it turns out bad.
				c.badEv.n = copy(c.badEv.b[:8], data[i:])
			}
			i++
			continue
		}
		b := data[i]
		switch c.state {
		case 1:
			switch {
			case hexval[b] != 0xff:
				c.state = 2
			case b == ' ' || b == '\t':
				c.state = 3
			default:
				c.state = 0
				c.bad(c.eqOff, c.eqLine, c.badEv.bytes())
				continue // read b afresh: it may be another '='
			}
		case 2:
			c.state = 0
			if hexval[b] == 0xff {
				c.bad(c.eqOff, c.eqLine, c.badEv.bytes())
				continue
			}
		case 3:
			if b != ' ' && b != '\t' {
				c.state = 0
				c.bad(c.eqOff, c.eqLine, c.badEv.bytes())
				continue
			}
		}
		i++
	}
	if eol != nil {
		if c.state == 2 {
			c.bad(c.eqOff, c.eqLine, c.badEv.bytes())
		}
		// States 1 and 3 are soft line breaks.
		c.state, c.newLine = 0, true
	}
}

func (c *qpChecker) end(int64, int) {
	if c.state == 2 {
		c.bad(c.eqOff, c.eqLine, c.badEv.bytes())
	}
	// A '=' as the very last byte is a soft break before the end: harmless.
	if c.nBad > 0 {
		c.p.report("ENC-004", c.badOff, c.badLine,
			fmt.Sprintf("quoted-printable '=' not followed by two hex digits or a line break (%d in this part)", c.nBad), c.badEv.bytes())
	}
	if c.nLong > 0 {
		c.p.report("ENC-004", c.longOff, c.longLine,
			fmt.Sprintf("quoted-printable line longer than %d characters (%d such lines in this part)", qpMaxLine, c.nLong), c.longEv.bytes())
	}
}

// ---- ENC-002 uuencode ----

// uuLineKeep is how much of a line the uuencode checker keeps: enough for
// "begin 0644 " and a data line's length character.
const uuLineKeep = 16

// uuChecker follows uuencode blocks: a part declared x-uuencode (or
// uuencode, x-uue), or "begin NNN name" blocks inside a text/plain body.
// It reports a data line whose length character disagrees with the
// line's length, bytes after "end", and a block with no "end".
type uuChecker struct {
	p *part
	// declared: the whole part is uuencode (Content-Transfer-Encoding).
	declared bool

	line    [uuLineKeep]byte
	lineN   int64 // whole line length (may exceed what is kept)
	lineOff int64
	lineNo  int
	inLine  bool

	state     int // uuOutside, uuData, uuZero (after the zero-length line), uuAfter
	sawBegin  bool
	beginOff  int64
	beginLine int
	beginEv   evidence
	bodyOff   int64
	bodyLine  int
	started   bool

	lenDone, afterDone bool
}

const (
	uuOutside = iota
	uuData
	uuZero
	uuAfter
	// uuCandidate: a "begin NNN name" line in a text body that is not
	// declared uuencode. Prose can read like that ("begin 2024 planning",
	// "begin 644 report.txt" in a how-to), so the block only counts once the
	// next line looks like uuencoded data or "end"; otherwise the line was
	// text and nothing is reported.
	uuCandidate
)

func newUUChecker(p *part) bodyChecker {
	if !p.rep.enabled("ENC-002") {
		return nil
	}
	switch p.encoding {
	case "x-uuencode", "uuencode", "x-uue":
		return &uuChecker{p: p, declared: true}
	case "", "7bit", "8bit", "binary":
		if p.mediaType == "" || p.mediaType == "text/plain" {
			return &uuChecker{p: p}
		}
	}
	return nil
}

func (c *uuChecker) write(data []byte, off int64, line int, eol []byte) {
	if !c.started {
		c.started, c.bodyOff, c.bodyLine = true, off, line
	}
	if !c.inLine {
		c.inLine, c.lineN, c.lineOff, c.lineNo = true, 0, off, line
	}
	if c.lineN < uuLineKeep {
		copy(c.line[c.lineN:], data)
	}
	c.lineN += int64(len(data))
	if eol != nil {
		c.endLine()
	}
}

// endLine judges the line just completed.
func (c *uuChecker) endLine() {
	c.inLine = false
	kept := c.line[:min(c.lineN, uuLineKeep)]
	switch c.state {
	case uuOutside, uuAfter:
		if isUUBegin(kept) {
			c.state, c.sawBegin = uuData, true
			if !c.declared {
				c.state = uuCandidate
			}
			c.beginOff, c.beginLine = c.lineOff, c.lineNo
			c.beginEv.set(kept)
			return
		}
		if c.state == uuAfter && c.declared && !isBlank(kept, c.lineN) && !c.afterDone {
			c.afterDone = true
			c.p.report("ENC-002", c.lineOff, c.lineNo, "bytes after the uuencode end line", kept)
		}
	case uuCandidate:
		if !bytes.HasPrefix(kept, []byte("end")) && !uuDataLike(kept, c.lineN) {
			c.state = uuOutside // prose, not a block
			return
		}
		c.state = uuData
		c.blockLine(kept)
	case uuData, uuZero:
		c.blockLine(kept)
	}
}

// blockLine judges a line inside a uuencode block (state uuData or uuZero).
func (c *uuChecker) blockLine(kept []byte) {
	if bytes.HasPrefix(kept, []byte("end")) {
		c.state = uuAfter
		if !isBlank(kept[3:], c.lineN-3) && !c.afterDone {
			c.afterDone = true
			c.p.report("ENC-002", c.lineOff+3, c.lineNo, "bytes after end on the uuencode end line", kept[3:])
		}
		return
	}
	if c.lineN == 0 {
		// An empty line stands for the zero-length line (trailing
		// blanks stripped in transit); more may follow before "end".
		c.state = uuZero
		return
	}
	if c.state == uuZero {
		c.noEnd()
		return
	}
	first := kept[0]
	if first < 0x20 || first > 0x60 {
		// Not a data line: the block stopped without an end line.
		c.noEnd()
		return
	}
	n := int64(first-0x20) & 0x3f
	if n == 0 {
		c.state = uuZero
		return
	}
	got := c.lineN - 1
	want := (n + 2) / 3 * 4
	least := (n*4 + 2) / 3 // characters that carry n bytes when trailing blanks were stripped
	if (got > want+1 || got < least) && !c.lenDone {
		c.lenDone = true
		c.p.report("ENC-002", c.lineOff, c.lineNo,
			fmt.Sprintf("uuencode length character %q announces %d bytes (%d characters) but the line holds %d", first, n, want, got), kept)
	}
}

// uuDataLike reports whether a line (kept bytes of a line of n bytes) can be
// a uuencode data line: not empty, and every kept byte in the uuencode
// range 0x20-0x60 (no lower-case letters, unlike prose).
func uuDataLike(kept []byte, n int64) bool {
	if n == 0 {
		return false
	}
	for _, b := range kept {
		if b < 0x20 || b > 0x60 {
			return false
		}
	}
	return true
}

func (c *uuChecker) noEnd() {
	c.state = uuOutside
	c.p.report("ENC-002", c.beginOff, c.beginLine, "uuencode block has no end line", c.beginEv.bytes())
}

func (c *uuChecker) end(off int64, line int) {
	if c.inLine {
		c.endLine()
	}
	switch {
	case c.state == uuCandidate:
		// A begin line at the very end of a text body, nothing after it.
	case c.state == uuData || c.state == uuZero:
		c.noEnd()
	case c.declared && !c.sawBegin:
		if !c.started {
			c.bodyOff, c.bodyLine = off, line
		}
		c.p.report("ENC-002", c.bodyOff, c.bodyLine, "part declared uuencode holds no begin line", nil)
	}
}

// isUUBegin matches "begin" SP 3-4 octal digits SP name (the kept prefix
// may end before the name; a name must at least start).
func isUUBegin(b []byte) bool {
	if !bytes.HasPrefix(b, []byte("begin ")) {
		return false
	}
	b = b[6:]
	i := 0
	for i < len(b) && b[i] >= '0' && b[i] <= '7' {
		i++
	}
	return i >= 3 && i <= 4 && i+1 < len(b) && b[i] == ' ' && b[i+1] != ' '
}

// isBlank reports whether the line rest (kept bytes of a line of n bytes)
// is only white space. A line longer than what was kept counts as not blank
// unless the kept bytes show otherwise: a long run of blanks is rare enough.
func isBlank(kept []byte, n int64) bool {
	if n > int64(len(kept)) {
		return false
	}
	for _, b := range kept {
		if b != ' ' && b != '\t' {
			return false
		}
	}
	return true
}

// ---- ENC-003 BinHex ----

const binHexMarker = "(This file must be converted with BinHex"

// binHexChecker reports a BinHex 4.0 part: declared application/mac-binhex40
// (or x-mac-binhex40 and the other aliases mailers use), or a body whose
// first non-blank line is the BinHex banner. KB 170060: BinHex content crashed the Exchange IMS.
type binHexChecker struct {
	p       *part
	buf     [len(binHexMarker)]byte
	n       int
	off     int64
	line    int
	inLine  bool
	decided bool
}

func newBinHexChecker(p *part) bodyChecker {
	if !p.rep.enabled("ENC-003") {
		return nil
	}
	switch p.mediaType {
	case "application/mac-binhex40", "application/x-mac-binhex40",
		"application/mac-binhex", "application/x-binhex40", "application/binhex", "application/binhex4":
		off, line := int64(0), 0
		var ev []byte
		if f := p.field("content-type"); f != nil {
			i := 0
			for i < len(f.value) && (f.value[i] == ' ' || f.value[i] == '\t') {
				i++
			}
			off, line = f.at(i)
			ev = f.value[i:]
		} else if len(p.fields) > 0 {
			off, line = p.fields[0].offset, p.fields[0].line
		}
		p.report("ENC-003", off, line, "BinHex part ("+p.mediaType+")", ev)
		return nil
	}
	return &binHexChecker{p: p}
}

func (c *binHexChecker) write(data []byte, off int64, line int, eol []byte) {
	if c.decided {
		return
	}
	if !c.inLine {
		c.inLine, c.n, c.off, c.line = true, 0, off, line
	}
	c.n += copy(c.buf[c.n:], data)
	if c.n == len(c.buf) {
		c.decided = true
		if string(c.buf[:]) == binHexMarker {
			c.p.report("ENC-003", c.off, c.line, "BinHex 4.0 data (body starts with the BinHex banner)", c.buf[:])
		}
		return
	}
	if eol != nil {
		c.inLine = false
		if !isBlank(c.buf[:c.n], int64(c.n)) {
			c.decided = true // first non-blank line is shorter than the banner
		}
	}
}

// writeLines stops reading a run once the checker has decided (on the
// body's first non-blank line).
func (c *binHexChecker) writeLines(block []byte, off int64, line, _, eolLen int) {
	for len(block) > 0 && !c.decided {
		c.p.rep.at = line
		k := bytes.IndexByte(block, '\n') + 1
		c.write(block[:k-eolLen], off, line, block[k-eolLen:k])
		off += int64(k)
		block = block[k:]
		line++
	}
}

func (c *binHexChecker) end(int64, int) {}
