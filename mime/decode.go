package mime

// Streaming Content-Transfer-Encoding decoders for the body checks that look
// at decoded content (ENC-007 double-byte text, TNEF-001). They are lenient
// on purpose: ENC-001 and ENC-004 report encoding defects; the decoders only
// produce the bytes a typical reader would see, without ever holding more
// than a small batch in memory.

// b64 classes in b64tab: 0-63 is the sextet value of an alphabet character.
// Every other class has bit 0x40 set; base64Checker.write relies on that.
const (
	b64Pad   = 64 // '='
	b64Space = 65 // white space and line-ending bytes, ignored (RFC 2045 6.8)
	b64Bad   = 66 // anything else
)

// b64tab maps every byte to its base64 class.
var b64tab = func() (t [256]byte) {
	for i := range t {
		t[i] = b64Bad
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	for i := 0; i < len(alphabet); i++ {
		t[alphabet[i]] = byte(i)
	}
	t['='] = b64Pad
	for _, c := range []byte(" \t\r\n") {
		t[c] = b64Space
	}
	return t
}()

// hexval maps hex digits (either case) to their value and everything else to 0xff.
var hexval = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = byte(c - '0')
	}
	for c := 'a'; c <= 'f'; c++ {
		t[c] = byte(c-'a') + 10
		t[c-'a'+'A'] = byte(c-'a') + 10
	}
	return t
}()

// srcMap says where in the file each byte of a decoded batch came from, so
// that a finding about decoded content can point at its source.
type srcMap struct {
	// contiguous: byte j is at off+j on line (identity encodings).
	contiguous bool
	off        int64
	line       int
	// Otherwise byte j came from offs[j] on lines[j]: the start of its base64
	// quantum or quoted-printable escape.
	offs  []int64
	lines []int
}

// at returns the file offset and line number of decoded byte j.
func (m *srcMap) at(j int) (int64, int) {
	if m.contiguous {
		return m.off + int64(j), m.line
	}
	return m.offs[j], m.lines[j]
}

// decodeSink receives decoded bytes. b and m are only valid during the call.
type decodeSink func(b []byte, m *srcMap)

// Transfer encodings the decoder knows; anything else is passed through.
const (
	decIdentity = iota
	decBase64
	decQP
)

// decodeBatch is the number of decoded bytes handed to the sink at once for
// base64 and quoted-printable.
const decodeBatch = 512

// transferDecoder decodes a body streamed line by line (the bodyChecker
// contract) and hands the result to a sink in batches. Its memory is fixed.
type transferDecoder struct {
	kind int
	sink decodeSink

	// base64: sextets of the current quantum and where it started.
	quad  uint32
	nq    int
	qOff  int64
	qLine int

	// quoted-printable: 0 plain, 1 after '=', 2 after '=' and one hex digit,
	// 3 after '=' and white space (a soft break with trailing blanks).
	qpState int
	qpHex   byte
	eqOff   int64
	eqLine  int

	buf   [decodeBatch]byte
	offs  [decodeBatch]int64
	lines [decodeBatch]int
	n     int
	m     srcMap
}

// newTransferDecoder returns a decoder for the Content-Transfer-Encoding
// token enc (lower case). Unknown and identity encodings pass bytes through.
func newTransferDecoder(enc string, sink decodeSink) *transferDecoder {
	d := &transferDecoder{sink: sink}
	switch enc {
	case "base64":
		d.kind = decBase64
	case "quoted-printable":
		d.kind = decQP
	}
	return d
}

func (d *transferDecoder) put(c byte, off int64, line int) {
	d.buf[d.n] = c
	d.offs[d.n] = off
	d.lines[d.n] = line
	d.n++
	if d.n == decodeBatch {
		d.flush()
	}
}

func (d *transferDecoder) flush() {
	if d.n == 0 {
		return
	}
	d.m = srcMap{offs: d.offs[:d.n], lines: d.lines[:d.n]}
	d.sink(d.buf[:d.n], &d.m)
	d.n = 0
}

// write takes one piece of a body line, as bodyChecker.write does.
func (d *transferDecoder) write(data []byte, off int64, line int, eol []byte) {
	switch d.kind {
	case decBase64:
		d.writeBase64(data, off, line)
	case decQP:
		d.writeQP(data, off, line, eol)
	default:
		if len(data) > 0 {
			d.m = srcMap{contiguous: true, off: off, line: line}
			d.sink(data, &d.m)
		}
		if len(eol) > 0 {
			d.m = srcMap{contiguous: true, off: off + int64(len(data)), line: line}
			d.sink(eol, &d.m)
		}
	}
}

func (d *transferDecoder) writeBase64(data []byte, off int64, line int) {
	for i, c := range data {
		v := b64tab[c]
		switch {
		case v < 64:
			if d.nq == 0 {
				d.qOff, d.qLine = off+int64(i), line
			}
			d.quad = d.quad<<6 | uint32(v)
			d.nq++
			if d.nq == 4 {
				d.put(byte(d.quad>>16), d.qOff, d.qLine)
				d.put(byte(d.quad>>8), d.qOff, d.qLine)
				d.put(byte(d.quad), d.qOff, d.qLine)
				d.nq, d.quad = 0, 0
			}
		case v == b64Pad:
			d.finishQuantum()
		}
	}
}

// finishQuantum emits what a partial quantum holds (at '=' or at the end).
func (d *transferDecoder) finishQuantum() {
	switch d.nq {
	case 2:
		d.put(byte(d.quad>>4), d.qOff, d.qLine)
	case 3:
		d.put(byte(d.quad>>10), d.qOff, d.qLine)
		d.put(byte(d.quad>>2), d.qOff, d.qLine)
	}
	d.nq, d.quad = 0, 0
}

func (d *transferDecoder) writeQP(data []byte, off int64, line int, eol []byte) {
	for i := 0; i < len(data); i++ {
		c := data[i]
		at := off + int64(i)
		switch d.qpState {
		case 0:
			if c == '=' {
				d.qpState, d.eqOff, d.eqLine = 1, at, line
			} else {
				d.put(c, at, line)
			}
		case 1:
			switch {
			case hexval[c] != 0xff:
				d.qpState, d.qpHex = 2, c
			case c == ' ' || c == '\t':
				d.qpState = 3
			default: // not an escape: keep the '=' and read c afresh
				d.put('=', d.eqOff, d.eqLine)
				d.qpState = 0
				i--
			}
		case 2:
			if hexval[c] != 0xff {
				d.put(hexval[d.qpHex]<<4|hexval[c], d.eqOff, d.eqLine)
				d.qpState = 0
			} else {
				d.put('=', d.eqOff, d.eqLine)
				d.put(d.qpHex, d.eqOff, d.eqLine)
				d.qpState = 0
				i--
			}
		case 3:
			if c != ' ' && c != '\t' {
				d.put('=', d.eqOff, d.eqLine)
				d.qpState = 0
				i--
			}
		}
	}
	if eol == nil {
		return
	}
	switch d.qpState {
	case 1, 3: // soft line break: the line ending is not part of the text
		d.qpState = 0
		return
	case 2:
		d.put('=', d.eqOff, d.eqLine)
		d.put(d.qpHex, d.eqOff, d.eqLine)
		d.qpState = 0
	}
	at := off + int64(len(data))
	for _, c := range eol {
		d.put(c, at, line)
		at++
	}
}

// end flushes what is left once the body has ended.
func (d *transferDecoder) end() {
	switch d.kind {
	case decBase64:
		d.finishQuantum()
	case decQP:
		if d.qpState == 2 {
			d.put('=', d.eqOff, d.eqLine)
			d.put(d.qpHex, d.eqOff, d.eqLine)
		}
		d.qpState = 0
	}
	d.flush()
}
