package mime

import (
	"bytes"
	"slices"
	"strconv"
	"strings"
)

// Hard caps of the scanner core, beyond the user-visible Limits.
const (
	// maxStoredFields is how many header fields of one block are stored in
	// part.fields; later fields are still checked as they complete, and a
	// few summary and MIME fields (storedLateFields more) are still stored.
	maxStoredFields  = 1000
	storedLateFields = 200
	// maxStoredBytes caps the bytes of stored header fields per block, and
	// maxOpenStoredBytes those of all the entities open at once (up to
	// NestingHardStop of them), so deep nesting cannot multiply the first.
	maxStoredBytes     = 4 << 20
	maxOpenStoredBytes = 16 << 20
	// heldMax is the longest non-header line the core holds back while it
	// decides whether the header block has ended without an empty line.
	heldMax = windowSize
)

// partsHardStop is the number of entities past which new parts of a
// multipart are counted but not parsed (their lines are skipped).
func (s *scanner) partsHardStop() int {
	return max(10*s.lim.Parts, 10000)
}

type phase uint8

const (
	phHeader phase = iota
	phBody
)

type bodyKind uint8

const (
	kindLeaf      bodyKind = iota // body streamed to the body checkers
	kindOpaque                    // body skipped (past a hard cap)
	kindMultipart                 // body holds delimiter lines and children
	kindMessage                   // body is one embedded entity
)

type mpState uint8

const (
	mpPreamble mpState = iota
	mpInPart
	mpSkipPart // a part past partsHardStop: lines skipped
	mpEpilogue
)

type lineMode uint8

const (
	modeSkip lineMode = iota
	modeField
	modeLeaf
	modePreamble
)

// entity is the scanner's state for one MIME entity on the stack.
type entity struct {
	p       *part
	phase   phase
	kind    bodyKind
	listIdx int // index in scanner.parts, -1 when not listed

	headerOff int64
	headerLn  int
	bodyOff   int64
	bodyLn    int
	hdrLines  int // header lines seen
	nfields   int // header fields seen (stored or not)
	stored    int // bytes of stored fields
	unique    [len(uniqueHeaders)]int
	sep       bool // the header block ended with an empty line

	// multipart
	boundary  []byte
	mp        mpState
	children  int
	preBytes  int64
	preHdrOff int64 // first header-like line of the preamble, -1 if none
	preHdrLn  int
	preHdrEx  string
	firstEx   string // excerpt of the first body line

	// leaf
	checkers []bodyChecker
}

// fieldBuf accumulates the header field being read.
type fieldBuf struct {
	active    bool
	buf       []byte // name, colon, value: the field's bytes, cut at the kept limit
	colon     int    // index of the colon in buf
	off       int64
	line      int
	length    int64
	truncated bool
}

func (b *fieldBuf) start(data, eol []byte, colon int, off int64, line int, keep int) {
	b.active = true
	b.buf = b.buf[:0]
	b.colon = colon
	b.off = off
	b.line = line
	b.length = 0
	b.truncated = false
	b.add(data, eol, keep)
}

// add appends a piece of the field, keeping at most keep value bytes.
func (b *fieldBuf) add(data, eol []byte, keep int) {
	b.length += int64(len(data) + len(eol))
	limit := b.colon + 1 + keep
	for _, d := range [2][]byte{data, eol} {
		room := limit - len(b.buf)
		if room <= 0 {
			if len(d) > 0 {
				b.truncated = true
			}
			continue
		}
		if len(d) > room {
			d = d[:room]
			b.truncated = true
		}
		b.buf = append(b.buf, d...)
	}
}

// heldLine is a non-header line in a header block, held until the next line
// says whether the block went on (HDR-003) or the body began (STR-001).
type heldLine struct {
	active bool
	buf    []byte
	eol    [2]byte
	eolLen int
	off    int64
	line   int
}

// scanner is the state of one Scan.
type scanner struct {
	opts       *Options
	lim        *Limits
	rep        *reporter
	lr         *lineReader
	pickupLike bool

	off          int64 // offset of the next byte
	lineNo       int   // current line number, 1-based
	inLine       bool  // part of the current line has been handled
	lineOff      int64
	lineLen      int64
	lineHead     [ExcerptMax + 1]byte // first bytes of a line that comes in pieces
	lineHeadN    int
	lineInHeader bool
	mode         lineMode
	prevEOL      int
	noBulkUntil  int64   // bulkBody leaves the lines before this offset to the line-at-a-time path
	noGuessUntil int64   // bulkBody searches every line end before this offset
	lineEnds     []int32 // bulkBody's line ends of the current run, reused
	lineEndsBuf  [64]int32
	hdrBytes     int64 // bytes of the header block being read
	eof          bool
	eofLine      int
	cutInHeader  bool   // the input ended inside a header line (one STR-009)
	lastPath     string // path of the innermost entity at end of input

	stack        []*entity
	stackBuf     [8]*entity
	openStored   int // bytes of header fields stored by the open entities
	root         *entity
	openMP       int // open multiparts on the stack
	nparts       int
	pendingChild *entity // multipart whose delimiter line asks for a new child
	cur          fieldBuf
	field        field // the field being checked: a local would escape to the heap through the checks
	held         heldLine
	rootFields   []field // for the summary

	lines lineStats
	flags struct{ nesting, rfc822, parts bool }

	parts        []Part
	partsOmitted int
	env          envState
	headers      Headers
	fields       []Field
}

func (s *scanner) top() *entity { return s.stack[len(s.stack)-1] }

// newEntity pushes an entity in its header phase.
func (s *scanner) newEntity(parent *entity, off int64, line int) *entity {
	p := &part{rep: s.rep, opts: s.opts, path: "1"}
	if parent != nil {
		pp := parent.p
		p.parent = pp
		p.depth = pp.depth + 1
		p.rfc822Depth = pp.rfc822Depth
		if parent.kind == kindMessage {
			p.path = pp.path + ".1"
			p.rfc822Depth++
		} else {
			p.path = pp.path + "." + strconv.Itoa(parent.children)
			p.inDigest = pp.mediaType == "multipart/digest"
		}
	}
	e := &entity{p: p, headerOff: off, headerLn: line, bodyOff: off, bodyLn: line, listIdx: -1, preHdrOff: -1}
	s.stack = append(s.stack, e)
	s.nparts++
	s.hdrBytes = 0
	s.cur.active = false
	if len(s.parts) < s.lim.ListParts {
		e.listIdx = len(s.parts)
		s.parts = append(s.parts, Part{Path: p.path, Depth: p.depth, HeaderOffset: off, BodyOffset: off, EndOffset: off})
	} else {
		s.partsOmitted++
	}
	return e
}

// startChild creates the part announced by the last delimiter line.
func (s *scanner) startChild() {
	mp := s.pendingChild
	s.pendingChild = nil
	if s.top() != mp {
		return
	}
	mp.children++
	if s.nparts >= s.partsHardStop() {
		mp.mp = mpSkipPart
		s.partsOmitted++
		return
	}
	mp.mp = mpInPart
	line := s.lineNo
	if s.eof {
		line = s.eofLine
	}
	s.newEntity(mp, s.off, line)
}

// headerLine handles the first piece of a line in a header block.
func (s *scanner) headerLine(e *entity, data, eol []byte) {
	first := e.hdrLines == 0
	e.hdrLines++
	s.mode = modeSkip
	if len(data) == 0 && eol != nil { // the empty line ending the block
		s.finishField(e)
		if s.held.active {
			s.heldWasHeader(e)
		}
		e.sep = true
		s.endHeader(e, s.off+int64(len(eol)), s.lineNo+1)
		return
	}
	colon := fieldColon(data)
	if s.held.active {
		if colon < 0 {
			// Two non-header lines: the body began at the held line
			// without an empty line before it.
			s.heldWasBody(e)
			s.lineInHeader = false
			s.dispatch(data, eol)
			return
		}
		s.heldWasHeader(e)
	}
	switch {
	case colon >= 0:
		s.finishField(e)
		s.cur.start(data, eol, colon, s.off, s.lineNo, s.lim.HeaderBytesKept)
		s.mode = modeField
		if colon == 0 {
			s.hdrReport(e, s.off, s.lineNo, "header field with an empty name", data)
		} else if s.off == 0 && bytes.HasPrefix(data, utf8BOM) {
			s.hdrReport(e, s.off, s.lineNo, "the file starts with a UTF-8 byte order mark (as Notepad saves it): servers read it as part of the first field's name", data)
		} else if oddName(data[:colon]) {
			s.hdrReport(e, s.off, s.lineNo, "header field name with bytes outside printable ASCII", data)
		}
	case data[0] == ' ' || data[0] == '\t':
		if s.cur.active {
			s.cur.add(data, eol, s.lim.HeaderBytesKept)
			s.mode = modeField
			return
		}
		msg := "continuation line without a header field before it"
		if first {
			msg = "first header line is a continuation line"
		}
		s.hdrReport(e, s.off, s.lineNo, msg, data)
		checkLineBytes(e.p, s.off, s.lineNo, data)
	case isFromLine(data):
		s.finishField(e)
		if !first {
			s.hdrReport(e, s.off, s.lineNo, "Unix \"From \" envelope line inside the header", data)
		}
		checkLineBytes(e.p, s.off, s.lineNo, data)
	default:
		s.finishField(e)
		if eol == nil || len(data) > heldMax {
			// Too long to hold: the body starts here.
			s.str001(e, s.off, s.lineNo, data)
			e.hdrLines--
			s.endHeader(e, s.off, s.lineNo)
			s.lineInHeader = false
			s.dispatch(data, eol)
			return
		}
		h := &s.held
		h.active = true
		h.buf = append(h.buf[:0], data...)
		h.eolLen = copy(h.eol[:], eol)
		h.off = s.off
		h.line = s.lineNo
	}
}

// heldWasHeader settles a held line as a malformed header line.
func (s *scanner) heldWasHeader(e *entity) {
	h := &s.held
	h.active = false
	s.hdrReport(e, h.off, h.line, "header line that is neither a field nor a continuation", h.buf)
	checkLineBytes(e.p, h.off, h.line, h.buf)
}

// heldWasBody settles a held line as the first body line of an entity
// whose header block had no empty line after it (STR-001).
func (s *scanner) heldWasBody(e *entity) {
	h := &s.held
	h.active = false
	s.str001(e, h.off, h.line, h.buf)
	s.endHeader(e, h.off, h.line)
	s.bodyLine(e, h.buf, h.eol[:h.eolLen], h.off, h.line)
}

// isFromLine reports whether a line is a Unix mbox "From " line.
func isFromLine(data []byte) bool {
	return len(data) > 5 && string(data[:5]) == "From "
}

// fieldColon returns the index of the colon when the line starts a header
// field, else -1. A name is any run of bytes other than white space, line
// endings and ':' (odd bytes are HDR-003's and STR-006's business, and the
// field checks must see them); white space may only separate the name from
// its colon ("Subject :", RFC 5322 obsolete syntax).
func fieldColon(data []byte) int {
	for i, c := range data {
		switch c {
		case ':':
			return i
		case ' ', '\t':
			if i == 0 {
				return -1
			}
			j := i
			for j < len(data) && (data[j] == ' ' || data[j] == '\t') {
				j++
			}
			if j < len(data) && data[j] == ':' {
				return j
			}
			return -1
		}
	}
	return -1
}

// oddName reports whether a field name holds bytes outside RFC 5322 ftext.
func oddName(name []byte) bool {
	for _, c := range bytes.TrimRight(name, " \t") {
		if c < 0x21 || c > 0x7e {
			return true
		}
	}
	return false
}

// finishField completes the field being read: checks, core rules, storage.
func (s *scanner) finishField(e *entity) {
	b := &s.cur
	if !b.active {
		return
	}
	b.active = false
	f := &s.field
	*f = field{
		name:        bytes.TrimRight(b.buf[:b.colon], " \t"),
		value:       b.buf[b.colon+1:],
		offset:      b.off,
		valueOffset: b.off + int64(b.colon) + 1,
		line:        b.line,
		truncated:   b.truncated,
		length:      b.length,
	}
	e.nfields++
	p := e.p
	for _, check := range fieldChecks {
		check(p, f)
	}
	s.fieldRules(e, f)
	if e == s.root {
		s.env.field(s, f)
	}
	keep := len(b.buf)
	late := e.nfields > maxStoredFields
	switch {
	case (!late || (e.nfields <= maxStoredFields+storedLateFields*50 && storeLate(f.name))) &&
		e.stored+keep <= maxStoredBytes && s.openStored+keep <= maxOpenStoredBytes &&
		len(p.fields) < maxStoredFields+storedLateFields:
	case structural(f) && p.field(string(f.name)) == nil:
		// Past the caps the first Content-Type, Content-Transfer-Encoding
		// and Content-Disposition are still kept, cut short, because the
		// MIME structure depends on them.
		keep = min(keep, b.colon+1+structuralKeep)
		if keep < len(b.buf) {
			f.truncated = true
		}
	default:
		return
	}
	e.stored += keep
	s.openStored += keep
	c := make([]byte, keep)
	copy(c, b.buf)
	f.name = c[:len(f.name)]
	f.value = c[b.colon+1:]
	if p.fields == nil && e == s.root {
		p.fields = make([]field, 0, 16) // a message header has a dozen fields or more
	}
	p.fields = append(p.fields, *f)
}

// structuralKeep is how many value bytes of a structural field are kept
// when the storage caps are reached.
const structuralKeep = 8 << 10

// structural reports whether the field decides the MIME structure.
func structural(f *field) bool {
	return f.is("Content-Type") || f.is("Content-Transfer-Encoding") || f.is("Content-Disposition")
}

// storeLate reports whether a field past maxStoredFields is still stored:
// the ones the MIME structure and the summary need.
func storeLate(name []byte) bool {
	if len(name) > 8 && bytes.EqualFold(name[:8], []byte("content-")) {
		return true
	}
	for _, n := range [...]string{"from", "sender", "to", "cc", "bcc", "subject", "date", "message-id", "mime-version"} {
		if bytes.EqualFold(name, []byte(n)) {
			return true
		}
	}
	return false
}

// endHeader ends the header block of e; the body starts at bodyOff. It
// decodes the MIME fields, runs the header checks and decides how the body
// is read.
func (s *scanner) endHeader(e *entity, bodyOff int64, bodyLine int) {
	s.finishField(e)
	p := e.p
	e.phase = phBody
	e.bodyOff = bodyOff
	e.bodyLn = bodyLine
	s.lineInHeader = false
	if f := p.field("Content-Type"); f != nil {
		mt, params := scParseStructured(f.value)
		if scValidMediaType(mt) {
			p.mediaType = mt
		}
		p.params = scParamMap(params)
	}
	if f := p.field("Content-Transfer-Encoding"); f != nil {
		p.encoding = scToken(f.value)
	}
	s.structureChecks(e)
	if e == s.root && s.env.active {
		p.envReceivers, p.envOver = s.env.nReceiver, s.env.overRecv
	}
	for _, check := range headerChecks {
		check(p)
	}
	s.headerBlockRules(e)
	if e == s.root {
		s.rootHeaderDone(e)
	}
	if e.listIdx >= 0 {
		s.fillPart(e)
	}
	s.hdrBytes = 0

	mt := p.mediaType
	switch {
	case p.isMultipart() && p.params["boundary"] == "":
		// QUIRK: without a boundary nothing can be found inside; read the
		// body as one leaf, as Python and enmime do (MP-003 says why).
		e.kind = kindLeaf
		s.mpReport("MP-010", e, e.bodyOff, e.bodyLn, "multipart without a boundary holds no parts", nil)
		s.makeCheckers(e)
	case p.isMultipart():
		if p.depth >= s.lim.NestingHardStop {
			e.kind = kindOpaque
			return
		}
		e.kind = kindMultipart
		e.boundary = []byte(p.params["boundary"])
		e.mp = mpPreamble
		s.openMP++
	case mt == "message/rfc822" || mt == "message/global" || (mt == "" && p.inDigest):
		if !e.sep || p.encoding == "base64" || p.encoding == "quoted-printable" {
			// An encoded message is opaque to a reader that does not
			// decode it; a header without its empty line leaves no
			// reliable place where the embedded message starts.
			e.kind = kindLeaf
			s.makeCheckers(e)
			return
		}
		if p.depth >= s.lim.NestingHardStop {
			e.kind = kindOpaque
			return
		}
		e.kind = kindMessage
		s.newEntity(e, bodyOff, bodyLine)
	default:
		e.kind = kindLeaf
		s.makeCheckers(e)
	}
}

// makeCheckers gives leaf e the body checkers that apply to it, in one
// allocation.
func (s *scanner) makeCheckers(e *entity) {
	var buf [8]bodyChecker
	cs := buf[:0]
	for _, f := range bodyCheckerFactories {
		if c := f(e.p); c != nil {
			cs = append(cs, c)
		}
	}
	if len(cs) > 0 {
		e.checkers = slices.Clone(cs)
	}
}

// fillPart copies the decoded header of e into its Report.Parts entry.
func (s *scanner) fillPart(e *entity) {
	p := e.p
	rp := &s.parts[e.listIdx]
	rp.BodyOffset = e.bodyOff
	rp.EndOffset = e.bodyOff
	rp.ContentType = p.mediaType
	if rp.ContentType == "" {
		if p.inDigest {
			rp.ContentType = "message/rfc822"
		} else {
			rp.ContentType = "text/plain"
		}
	}
	rp.ContentType = displayString(rp.ContentType, 256)
	rp.Charset = displayString(strings.ToLower(strings.TrimSpace(p.params["charset"])), 256)
	rp.Encoding = displayString(p.encoding, 256)
	rp.Boundary = displayString(p.params["boundary"], 256)
	filename := ""
	if f := p.field("Content-Disposition"); f != nil {
		d, params := scParseStructured(f.value)
		rp.Disposition = displayString(d, 256)
		filename = scParamMap(params)["filename"]
	}
	if filename == "" {
		filename = p.params["name"]
	}
	if filename != "" {
		rp.Filename = decodeWords([]byte(filename))
	}
}

// bodyLine handles a whole line, or the first piece of one, in the body of e.
func (s *scanner) bodyLine(e *entity, data, eol []byte, off int64, line int) {
	s.mode = modeSkip
	switch e.kind {
	case kindLeaf:
		s.mode = modeLeaf
		for _, c := range e.checkers {
			c.write(data, off, line, eol)
		}
	case kindMultipart:
		if e.mp != mpPreamble {
			return
		}
		s.mode = modePreamble
		if e.preBytes == 0 && e.firstEx == "" {
			e.firstEx = Excerpt(data)
		}
		e.preBytes += int64(len(data) + len(eol))
		if e.preHdrOff < 0 && headerLike(data) {
			e.preHdrOff, e.preHdrLn, e.preHdrEx = off, line, Excerpt(data)
		}
	}
}

// headerLike reports whether a preamble line looks like a MIME header
// field (Content-*: or MIME-Version:), the sign of a missing first boundary.
func headerLike(data []byte) bool {
	c := fieldColon(data)
	if c <= 0 {
		return false
	}
	name := data[:c]
	return (len(name) > 8 && bytes.EqualFold(name[:8], []byte("content-"))) ||
		bytes.EqualFold(bytes.TrimRight(name, " \t"), []byte("mime-version"))
}

// findDelimiter returns the stack index of the innermost open multipart
// whose boundary the line is a delimiter of (RFC 2046 5.1.1: "--" boundary,
// optional "--", optional white space), or -1.
//
// QUIRK: RFC 2046 5.1.1's note to implementors says a boundary need only
// begin the line, while its grammar allows nothing but transport padding
// after it. We follow the grammar, as Python's email and Go's
// mime/multipart do; mime4j and stalwart match the prefix. A line such as
// "--b trailing text" is therefore body text here (see the stalwart and
// mime4j disagreements in corpus_test.go), and MP-005 reports boundaries
// that a prefix-matching reader would confuse. The innermost multipart is
// tried first, so an inner boundary equal to an outer one (MP-005) closes
// the inner part, as in Python.
func (s *scanner) findDelimiter(data []byte) (k int, closing bool) {
	for i := len(s.stack) - 1; i >= 0; i-- {
		e := s.stack[i]
		if e.kind != kindMultipart || e.mp == mpEpilogue || e.phase != phBody {
			continue
		}
		b := e.boundary
		if len(data) < 2+len(b) || !bytes.Equal(data[2:2+len(b)], b) {
			continue
		}
		rest := data[2+len(b):]
		closing := len(rest) >= 2 && rest[0] == '-' && rest[1] == '-'
		if closing {
			rest = rest[2:]
		}
		if len(bytes.TrimLeft(rest, " \t")) == 0 {
			return i, closing
		}
	}
	return -1, false
}

// delimiter handles a delimiter line of the multipart at stack index k.
func (s *scanner) delimiter(k int, closing bool) {
	end := s.lineOff - int64(s.prevEOL)
	for len(s.stack)-1 > k {
		s.pop(end)
	}
	e := s.stack[k]
	if e.mp == mpPreamble {
		s.preambleRules(e)
	}
	if closing {
		if e.children == 0 {
			s.mpReport("MP-010", e, s.lineOff, s.lineNo, "first delimiter is the closing one: the multipart holds no parts", nil)
		}
		e.mp = mpEpilogue
		s.openMP--
		return
	}
	s.pendingChild = e
}

// pop closes the top entity; its body ends at end (clamped to its start).
func (s *scanner) pop(end int64) {
	e := s.top()
	if e.phase == phHeader {
		s.finishField(e)
		switch {
		case s.held.active:
			s.heldWasBody(e)
		case s.eof:
			if s.off > 0 && (e == s.root || s.hdrBytes > 0) {
				if s.inLine && s.lineInHeader {
					// Cut in the middle of a header line: one truncation,
					// one finding, at the cut line (lineChecksAtEOF).
					s.cutInHeader = true
				} else {
					s.str009(e, s.off, s.eofLine, "file ends inside a header block (no empty line after the header)")
				}
			}
			s.endHeader(e, s.off, s.eofLine)
		default:
			s.endHeader(e, max(end, e.headerOff), s.lineNo)
		}
		if s.top() != e { // endHeader pushed an embedded entity: close it too
			s.pop(end)
		}
	}
	if end < e.bodyOff {
		end = e.bodyOff
	}
	line := s.lineNo
	if s.eof {
		line = s.eofLine
	} else if end < s.lineOff && line > 1 {
		line--
	}
	switch e.kind {
	case kindLeaf:
		for _, c := range e.checkers {
			c.end(end, line)
		}
		e.checkers = nil
	case kindMultipart:
		switch {
		case e.mp == mpEpilogue:
		case e.mp == mpPreamble:
			s.openMP--
			s.mpReport("MP-001", e, e.bodyOff, e.bodyLn, "boundary never appears as a delimiter line", []byte("--"+string(e.boundary)))
			s.mpReport("MP-010", e, e.bodyOff, e.bodyLn, "multipart holds no parts", nil)
		default:
			s.openMP--
			s.mpReport("MP-002", e, end, line, "no closing delimiter --"+displayText(e.boundary, 80)+"-- before the end of the part", []byte("--"+string(e.boundary)+"--"))
		}
	}
	if e.listIdx >= 0 {
		rp := &s.parts[e.listIdx]
		rp.EndOffset = end
		rp.Size = end - rp.BodyOffset
	}
	if s.pendingChild == e {
		s.pendingChild = nil
	}
	s.openStored -= e.stored
	s.stack = s.stack[:len(s.stack)-1]
}
