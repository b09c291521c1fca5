package mime

import (
	"bytes"
	"errors"
	"hash"
	"io"
	"sync"
)

// windowSize is the read window of the line reader: a line longer than this
// reaches the scanner in pieces, so memory does not grow with line length.
const windowSize = 64 << 10

// lineReader splits its input into line pieces over one fixed window and
// hashes every byte it reads. A line ends at LF, CRLF, or a CR that is not
// followed by LF (a bare CR); the reader looks one byte ahead to tell a CRLF
// split across two reads from a bare CR. A line longer than the window is
// handed over in window-sized pieces, the last of which carries the ending.
//
// It never allocates after construction: the pieces it returns alias the
// window and are valid until the next call.
type lineReader struct {
	r          io.Reader
	h          hash.Hash
	buf        []byte
	start, end int
	// lfAt and crAt cache the index of the next LF and CR at or after
	// start (end when there is none before end; -1 when unknown), so that
	// a window without one is searched once, not once per line: a file of
	// bare CRs would otherwise cost a window scan per line.
	lfAt, crAt int
	eof        bool
	err        error // first read error other than io.EOF
	n          int64 // bytes read so far
	searched   int64 // bytes searched for line ends (linearity tests)
}

// windowPool recycles read windows: allocating (and clearing) 64 KiB per
// message would dominate the cost of scanning small messages.
var windowPool = sync.Pool{New: func() any { b := make([]byte, windowSize); return &b }}

func newLineReader(r io.Reader, h hash.Hash) *lineReader {
	return &lineReader{r: r, h: h, buf: *windowPool.Get().(*[]byte), lfAt: -1, crAt: -1}
}

// release returns the window to the pool; the reader is unusable after.
func (lr *lineReader) release() {
	b := lr.buf[:windowSize]
	lr.buf = nil
	windowPool.Put(&b)
}

// fill moves the unread bytes to the front of the window and reads until
// the window is full or the input ends. Reading until full keeps the cost
// linear however small the reads of the underlying reader are: each byte is
// searched for a line end at most twice.
func (lr *lineReader) fill() {
	lr.lfAt, lr.crAt = -1, -1
	if lr.start > 0 {
		copy(lr.buf, lr.buf[lr.start:lr.end])
		lr.end -= lr.start
		lr.start = 0
	}
	empty := 0
	for lr.end < len(lr.buf) && !lr.eof && lr.err == nil {
		n, err := lr.r.Read(lr.buf[lr.end:])
		if n < 0 || n > len(lr.buf)-lr.end {
			lr.err = errors.New("reader returned an invalid count")
			return
		}
		if n > 0 {
			lr.h.Write(lr.buf[lr.end : lr.end+n])
			lr.end += n
			lr.n += int64(n)
			empty = 0
		}
		switch {
		case err == io.EOF:
			lr.eof = true
		case err != nil:
			lr.err = err
		case n == 0:
			if empty++; empty >= 100 {
				lr.err = io.ErrNoProgress
			}
		}
	}
}

func (lr *lineReader) done() bool { return lr.eof || lr.err != nil }

// buffered returns the bytes read and not yet handed over. They alias the
// window: valid until the next call of next or consume.
func (lr *lineReader) buffered() []byte { return lr.buf[lr.start:lr.end] }

// consume hands over the first n buffered bytes, which must end with a
// line ending (the bulk path takes whole lines only).
func (lr *lineReader) consume(n int) { lr.start += n }

// next returns the next piece of the current line. eol is the line ending
// that closes the line ("\r\n", "\n" or "\r"), nil when more of the line
// follows or the input ends without one. ok is false at end of input or
// after a read error (see err).
func (lr *lineReader) next() (data, eol []byte, ok bool) {
	for {
		w := lr.buf[lr.start:lr.end]
		if len(w) == 0 {
			if lr.done() {
				return nil, nil, false
			}
			lr.fill()
			continue
		}
		if lr.lfAt < lr.start {
			lr.lfAt = lr.end
			k := bytes.IndexByte(w, '\n')
			if k >= 0 {
				lr.lfAt = lr.start + k
			}
			lr.searched += int64(k + 1)
			if k < 0 {
				lr.searched += int64(len(w))
			}
		}
		if lr.crAt < lr.start {
			lr.crAt = lr.end
			k := bytes.IndexByte(w, '\r')
			if k >= 0 {
				lr.crAt = lr.start + k
			}
			lr.searched += int64(k + 1)
			if k < 0 {
				lr.searched += int64(len(w))
			}
		}
		lf, cr := -1, -1
		if lr.lfAt < lr.end {
			lf = lr.lfAt - lr.start
		}
		if lr.crAt < lr.end && (lf < 0 || lr.crAt < lr.lfAt) {
			cr = lr.crAt - lr.start
		}
		if cr >= 0 && (lf < 0 || cr < lf-1) {
			// A CR that is not the first half of a CRLF, unless it is the
			// last byte buffered: then the next byte decides.
			if cr == len(w)-1 && !lr.done() {
				if lr.start > 0 || lr.end < len(lr.buf) {
					lr.fill()
					continue
				}
				// Full window ending in CR: hand over what precedes it.
				lr.start += cr
				return w[:cr], nil, true
			}
			lr.start += cr + 1
			return w[:cr], w[cr : cr+1], true
		}
		if lf >= 0 {
			lr.start += lf + 1
			if lf > 0 && w[lf-1] == '\r' {
				return w[:lf-1], w[lf-1 : lf+1], true
			}
			return w[:lf], w[lf : lf+1], true
		}
		if lr.done() || (lr.start == 0 && lr.end == len(lr.buf)) {
			// End of input, or a full window without a line end.
			lr.start = lr.end
			return w, nil, true
		}
		lr.fill()
	}
}
