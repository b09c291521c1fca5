package mime

import (
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"reflect"
)

// Scan reads one message from r in a single pass and reports what is wrong
// with it. Anomalies are findings, never errors: Scan returns an error only
// when r fails, and then no report.
//
// The model: a line reader (fixed 64 KiB window) hands the bytes over as
// line pieces and hashes them (see Options.DeferSHA256); a stack of MIME
// entities consumes the lines (leaf bodies a run of lines at a time, see
// scan_bulk.go).
// The top entity is either in its header phase (lines become header fields,
// handed to fieldChecks as each completes and to headerChecks when the block
// ends) or in its body phase: a multipart looks for delimiter lines of its
// own boundary and of every open ancestor's (a line that matches an
// ancestor's closes everything inside it), a message/rfc822 entity holds one
// embedded entity (path P.1), and a leaf streams its lines to the body
// checkers. Nothing but the window, the current header field (at most
// Limits.HeaderBytesKept bytes) and a bounded number of stored fields per
// open entity is held, so memory does not depend on the message size; the
// nesting (Limits.NestingHardStop), part count (partsHardStop) and stored
// header fields (maxStoredFields) are capped, so time stays linear.
//
// Line numbers are 1-based and count line endings: CRLF, a bare LF and a
// bare CR (a CR not followed by LF) each end a line. Offsets are bytes from
// the start of the input.
func Scan(r io.Reader, opts Options) (*Report, error) {
	opts.normalize()
	fillLimits(&opts.Limits)
	s := newScanner(r, &opts)
	s.run()
	s.lr.release()
	if s.lr.err != nil {
		return nil, fmt.Errorf("read message at offset %d: %w", s.lr.n, s.lr.err)
	}
	return s.report(), nil
}

// fillLimits gives every limit left at zero (or below) its default, so a
// caller that sets a few fields of a Limits literal gets sane caps for the
// rest.
func fillLimits(l *Limits) {
	v := reflect.ValueOf(l).Elem()
	d := reflect.ValueOf(DefaultLimits())
	for i := 0; i < v.NumField(); i++ {
		if v.Field(i).Int() <= 0 {
			v.Field(i).Set(d.Field(i))
		}
	}
}

func newScanner(r io.Reader, opts *Options) *scanner {
	h := newDigest(opts.DeferSHA256)
	s := &scanner{
		opts:   opts,
		lim:    &opts.Limits,
		rep:    newReporter(opts),
		lr:     newLineReader(r, h),
		lineNo: 1,
		parts:  []Part{},
	}
	s.stack = s.stackBuf[:0] // most messages nest less deep: no allocation
	s.pickupLike = opts.Folder.IsPickupLike()
	return s
}

func (s *scanner) run() {
	s.root = s.newEntity(nil, 0, 1)
	for {
		if e, ok := s.bulkReady(); ok && s.bulkBody(e) {
			continue
		}
		data, eol, ok := s.lr.next()
		if !ok {
			break
		}
		s.piece(data, eol)
	}
	if s.lr.err != nil {
		return
	}
	s.finish()
}

// piece handles one piece of a line.
func (s *scanner) piece(data, eol []byte) {
	if !s.inLine {
		s.lineOff = s.off
		s.lineLen = 0
		s.lineHeadN = 0
		if s.pendingChild != nil {
			s.startChild()
		}
		s.lineInHeader = s.top().phase == phHeader
		s.dispatch(data, eol)
	} else {
		s.continueLine(data, eol)
	}
	s.lineLen += int64(len(data))
	if s.lineInHeader {
		s.hdrBytes += int64(len(data) + len(eol))
	}
	s.off += int64(len(data) + len(eol))
	if eol == nil {
		if s.lineHeadN < len(s.lineHead) {
			s.lineHeadN += copy(s.lineHead[s.lineHeadN:], data)
		}
		s.inLine = true
		return
	}
	s.endLine(data, eol)
	s.inLine = false
	s.lineNo++
	s.prevEOL = len(eol)
}

// dispatch routes the first piece of a line: delimiter, header or body.
func (s *scanner) dispatch(data, eol []byte) {
	if s.openMP > 0 && len(data) >= 2 && data[0] == '-' && data[1] == '-' {
		if k, closing := s.findDelimiter(data); k >= 0 {
			s.lineInHeader = false // a delimiter line is no header line
			s.delimiter(k, closing)
			s.mode = modeSkip
			return
		}
	}
	top := s.top()
	if top.phase == phHeader {
		s.headerLine(top, data, eol)
		return
	}
	s.bodyLine(top, data, eol, s.off, s.lineNo)
}

// continueLine routes a later piece of a long line the way its first piece went.
func (s *scanner) continueLine(data, eol []byte) {
	switch s.mode {
	case modeField:
		s.cur.add(data, eol, s.lim.HeaderBytesKept)
	case modeLeaf:
		for _, c := range s.top().checkers {
			c.write(data, s.off, s.lineNo, eol)
		}
	case modePreamble:
		s.top().preBytes += int64(len(data) + len(eol))
	}
}

// finish runs at end of input: the last partial line, then every open
// entity is closed at the end of the file.
func (s *scanner) finish() {
	s.eof = true
	s.eofLine = s.lineNo
	s.lastPath = s.top().p.path
	partial := s.inLine
	if partial {
		s.endLine(nil, nil)
	}
	if s.pendingChild != nil {
		s.startChild()
	}
	for len(s.stack) > 0 {
		s.pop(s.off)
	}
	s.lineChecksAtEOF(partial)
	if partial {
		s.lineNo++ // Lines counts a final line without an ending too
	}
}

func (s *scanner) report() *Report {
	rep := &Report{
		Size:            s.off,
		Lines:           s.lineNo - 1,
		Envelope:        s.env.result(),
		Headers:         s.headers,
		Fields:          s.fields,
		Parts:           s.parts,
		PartsOmitted:    s.partsOmitted,
		Findings:        s.rep.sorted(),
		FindingsOmitted: s.rep.omitted,
	}
	if rep.Findings == nil {
		rep.Findings = []Finding{}
	}
	if h, ok := s.lr.h.(hash.Hash32); ok {
		fp := h.Sum32()
		rep.fingerprint = &fp
	} else {
		rep.SHA256 = hex.EncodeToString(s.lr.h.Sum(nil))
	}
	return rep
}
