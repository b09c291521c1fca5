package repair

import (
	"bytes"
	"fmt"
	"github.com/mailroot/mailroot/mime"
	"strconv"
	"strings"
)

// The repair works on a tree of raw byte slices: an entity is its header
// fields, the separator line and its body, where a multipart body is the
// preamble, each delimiter line and child, the closing delimiter and the
// epilogue. Serialising an untouched tree gives back the input byte for
// byte; a fixer replaces only the pieces it changes.

// maxDepth bounds the tree; deeper entities are kept as opaque bytes.
const maxDepth = 64

type hfield struct {
	raw  []byte // the whole field, name to final CRLF, folding included
	off  int    // offset of raw[0] in the normalised text
	name string // lower-cased, trimmed; "" for a line that is not a field
}

// isHeaderControl reports whether c is a byte fixControls removes from a
// header field (STR-006, STR-007): NUL, C0 controls other than TAB, CR and
// LF, and DEL.
func isHeaderControl(c byte) bool {
	return c == 0 || (c < 0x20 && c != '\t' && c != '\r' && c != '\n') || c == 0x7f
}

// withoutControls returns b without the bytes fixControls removes; b
// itself when it has none.
func withoutControls(b []byte) []byte {
	if bytes.IndexFunc(b, func(r rune) bool { return r < 0x80 && isHeaderControl(byte(r)) }) < 0 {
		return b
	}
	out := make([]byte, 0, len(b))
	for _, c := range b {
		if !isHeaderControl(c) {
			out = append(out, c)
		}
	}
	return out
}

// cleanValue is the value as the repair will write it back, control bytes
// removed: the structure is read from that, not from the input's bytes.
func (f *hfield) cleanValue() []byte { return withoutControls(f.value()) }

// value returns the bytes after the colon, without the final CRLF.
func (f *hfield) value() []byte {
	i := bytes.IndexByte(f.raw, ':')
	if i < 0 {
		return nil
	}
	return bytes.TrimSuffix(f.raw[i+1:], []byte("\r\n"))
}

// setValue replaces the value, keeping the name as written.
func (f *hfield) setValue(v []byte) {
	i := bytes.IndexByte(f.raw, ':')
	raw := append([]byte{}, f.raw[:i+1]...)
	if len(v) > 0 && v[0] != ' ' && v[0] != '\t' {
		raw = append(raw, ' ')
	}
	raw = append(raw, v...)
	f.raw = append(raw, '\r', '\n')
}

type mpChild struct {
	delim []byte // the delimiter line, CRLF included
	ent   *entity
}

type entity struct {
	path  string
	depth int
	off   int // offset of the entity's first byte

	fields []*hfield
	sep    []byte // the empty line ending the header; nil when missing
	// missingSep: sep was not in the input (STR-001) and is added.
	missingSep bool

	body    []byte // a leaf's body (also an unparsed multipart's)
	bodyOff int

	multipart bool
	boundary  string
	preamble  []byte
	children  []*mpChild
	closing   []byte // the closing delimiter line; nil when missing
	epilogue  []byte

	inner   *entity // message/rfc822 content
	isInner bool    // this entity is the content of a message/rfc822 part
}

func (e *entity) serialize(out []byte) []byte {
	for _, f := range e.fields {
		out = append(out, f.raw...)
	}
	out = append(out, e.sep...)
	switch {
	case e.inner != nil:
		return e.inner.serialize(out)
	case e.multipart:
		out = append(out, e.preamble...)
		for _, c := range e.children {
			out = append(out, c.delim...)
			out = c.ent.serialize(out)
		}
		out = append(out, e.closing...)
		return append(out, e.epilogue...)
	}
	return append(out, e.body...)
}

// field returns the first field with the lower-case name, or nil.
func (e *entity) field(name string) *hfield {
	for _, f := range e.fields {
		if f.name == name {
			return f
		}
	}
	return nil
}

// mediaType returns the lower-case type/subtype, "" when absent.
func (e *entity) mediaType() string {
	f := e.field("content-type")
	if f == nil {
		return ""
	}
	pl := readParams(f.cleanValue())
	return strings.ToLower(cleanToken(pl.token))
}

func (e *entity) encoding() string {
	f := e.field("content-transfer-encoding")
	if f == nil {
		return ""
	}
	return mime.TransferEncoding(unfold(f.cleanValue()))
}

// nextLine returns the end of the line starting at i (just past its CRLF,
// or len(b)).
func nextLine(b []byte, i int) int {
	j := bytes.Index(b[i:], []byte("\r\n"))
	if j < 0 {
		return len(b)
	}
	return i + j + 2
}

// parseEntity builds the tree of b, which starts at offset off of the
// normalised text.
func (r *repairer) parseEntity(b []byte, off int, path string, depth int, ancestors []string) *entity {
	e := &entity{path: path, depth: depth, off: off}
	i := 0
	for i < len(b) {
		end := nextLine(b, i)
		line := b[i:end]
		if bytes.Equal(line, []byte("\r\n")) {
			e.sep = line
			i = end
			break
		}
		if (line[0] == ' ' || line[0] == '\t') && len(e.fields) > 0 {
			f := e.fields[len(e.fields)-1]
			f.raw = b[f.off-off : end]
			i = end
			continue
		}
		colon := fieldColon(line)
		if colon < 0 && line[0] != ' ' && line[0] != '\t' && !bytes.HasPrefix(line, []byte("From ")) && r.bodyStartsHere(b, i, end) {
			// STR-001: the body began without an empty line before it.
			e.sep, e.missingSep = []byte("\r\n"), true
			break
		}
		name := ""
		if colon >= 0 {
			// The name as fixControls will leave it.
			name = strings.ToLower(strings.TrimSpace(string(withoutControls(line[:colon]))))
		}
		e.fields = append(e.fields, &hfield{raw: line, off: off + i, name: name})
		i = end
	}
	// Copy field bytes so that edits never alias the input.
	for _, f := range e.fields {
		f.raw = append([]byte{}, f.raw...)
	}
	e.body, e.bodyOff = b[i:], off+i
	if depth >= maxDepth || e.sep == nil {
		return e
	}
	mt := e.mediaType()
	switch {
	case strings.HasPrefix(mt, "multipart/"):
		r.parseMultipart(e, ancestors)
	case mt == "message/rfc822" && (e.encoding() == "" || e.encoding() == "7bit" || e.encoding() == "8bit" || e.encoding() == "binary"):
		e.inner = r.parseEntity(e.body, e.bodyOff, path+".1", depth+1, ancestors)
		e.inner.isInner = true
	}
	return e
}

// fieldColon returns the index of the colon of a header field line, else
// -1: a name is a run of bytes other than white space and ':', and white
// space may only separate the name from its colon (as the scanner reads
// it; RFC 5322 obsolete syntax allows "Subject :").
func fieldColon(line []byte) int {
	for i, c := range line {
		switch c {
		case ':':
			return i
		case ' ', '\t', '\r', '\n':
			if i == 0 || c == '\r' || c == '\n' {
				return -1
			}
			j := i
			for j < len(line) && (line[j] == ' ' || line[j] == '\t') {
				j++
			}
			if j < len(line) && line[j] == ':' {
				return j
			}
			return -1
		}
	}
	return -1
}

// bodyStartsHere decides, for a line in a header block that is not a field
// (b[i:end]), whether it is the first body line of a header that lacks its
// empty line (STR-001) or a stray line inside the header (HDR-003): it is
// the body when no field or empty line follows it (as the scanner and
// Python read it).
func (r *repairer) bodyStartsHere(b []byte, i, end int) bool {
	if end == len(b) {
		return true // last line of the entity
	}
	next := b[end:nextLine(b, end)]
	if bytes.Equal(next, []byte("\r\n")) {
		return false
	}
	return fieldColon(next) < 0
}

// boundaries returns the boundary= values of the Content-Type, in order.
func (e *entity) boundaries() []string {
	f := e.field("content-type")
	if f == nil {
		return nil
	}
	var out []string
	// The structure is read as the repaired header will say it.
	for _, p := range readParams(f.cleanValue()).params {
		if p.name == "boundary" && p.hasValue && p.value != "" {
			out = append(out, p.value)
		}
	}
	return out
}

// delimKind says whether line is a delimiter for boundary: 1 for a part
// delimiter, 2 for the closing one, 0 otherwise (RFC 2046 5.1.1; trailing
// white space is allowed).
func delimKind(line []byte, boundary string) int {
	l := bytes.TrimSuffix(line, []byte("\r\n"))
	if len(l) < 2+len(boundary) || l[0] != '-' || l[1] != '-' || string(l[2:2+len(boundary)]) != boundary {
		return 0
	}
	rest := l[2+len(boundary):]
	kind := 1
	if bytes.HasPrefix(rest, []byte("--")) {
		kind, rest = 2, rest[2:]
	}
	if len(bytes.Trim(rest, " \t")) != 0 {
		return 0
	}
	return kind
}

// countDelims counts delimiter lines for boundary in body.
func countDelims(body []byte, boundary string) int {
	n := 0
	for i := 0; i < len(body); {
		end := nextLine(body, i)
		if delimKind(body[i:end], boundary) != 0 {
			n++
		}
		i = end
	}
	return n
}

// parseMultipart splits e.body at its delimiters. When several boundary=
// parameters exist, the one the body uses is taken (MP-004 is fixed later
// to agree). A body with no delimiter at all stays a leaf (MP-001).
func (r *repairer) parseMultipart(e *entity, ancestors []string) {
	bs := e.boundaries()
	if len(bs) == 0 {
		return
	}
	boundary := bs[0]
	for _, b := range bs {
		if countDelims(e.body, b) > 0 {
			boundary = b
			break
		}
	}
	for _, a := range ancestors {
		if strings.HasPrefix(boundary, a) || strings.HasPrefix(a, boundary) {
			// MP-005: which delimiter closes which part is a guess.
			why := fmt.Sprintf("boundary %q collides with an enclosing one; the structure is ambiguous", printable(boundary))
			r.manual("MP-005", e.path, e.bodyOff, why)
			r.manual("MP-002", e.path, e.bodyOff, why)
			if r.collided == nil {
				r.collided = map[string]bool{}
			}
			r.collided[a] = true
			return
		}
	}
	body := e.body
	type span struct{ delimStart, delimEnd int }
	var delims []span
	closeAt := -1
	for i := 0; i < len(body); {
		end := nextLine(body, i)
		switch delimKind(body[i:end], boundary) {
		case 1:
			delims = append(delims, span{i, end})
		case 2:
			closeAt = i
		}
		if closeAt >= 0 {
			break
		}
		i = end
	}
	if len(delims) == 0 {
		return
	}
	e.multipart, e.boundary = true, boundary
	e.preamble = body[:delims[0].delimStart]
	stop := len(body)
	if closeAt >= 0 {
		stop = closeAt
		ce := nextLine(body, closeAt)
		e.closing, e.epilogue = body[closeAt:ce], body[ce:]
	}
	for k, d := range delims {
		end := stop
		if k+1 < len(delims) {
			end = delims[k+1].delimStart
		}
		child := r.parseEntity(body[d.delimEnd:end], e.bodyOff+d.delimEnd, e.path+"."+strconv.Itoa(k+1), e.depth+1, append(ancestors[:len(ancestors):len(ancestors)], boundary))
		e.children = append(e.children, &mpChild{delim: body[d.delimStart:d.delimEnd], ent: child})
	}
	if r.collided[boundary] {
		// A nested multipart reuses this boundary: which delimiter belongs
		// to which is a guess, so the whole body stays as it is.
		e.multipart, e.children, e.preamble, e.closing, e.epilogue = false, nil, nil, nil, nil
		r.opaque = append(r.opaque, e.path)
		r.opaqueOff = append(r.opaqueOff, e.bodyOff)
	}
}

// unfold removes CR and LF (RFC 5322 2.2.3).
func unfold(v []byte) []byte {
	out := make([]byte, 0, len(v))
	for _, c := range v {
		if c != '\r' && c != '\n' {
			out = append(out, c)
		}
	}
	return out
}

// stripComments drops (comments), respecting quoted strings and nesting.
func stripComments(v []byte) []byte {
	var out []byte
	depth, inQuote := 0, false
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case inQuote:
			out = append(out, c)
			if c == '\\' && i+1 < len(v) {
				i++
				out = append(out, v[i])
			} else if c == '"' {
				inQuote = false
			}
		case depth > 0:
			if c == '\\' {
				i++
			} else if c == '(' {
				depth++
			} else if c == ')' {
				depth--
			}
		case c == '(':
			depth++
		case c == '"':
			inQuote = true
			out = append(out, c)
		default:
			out = append(out, c)
		}
	}
	return out
}
