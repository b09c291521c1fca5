package repair

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"mime/quotedprintable"
	"strings"
)

// b64State classifies a base64 body the way ENC-001 does (RFC 2045 6.8).
type b64State struct {
	badChars    int  // bytes outside the alphabet, '=' and white space
	badPadding  bool // '=' in the middle, or more than the quantum needs
	loneChar    bool // a segment with 4n+1 characters
	firstBadOff int
}

func checkBase64(b []byte) b64State {
	var s b64State
	s.firstBadOff = -1
	n, padding, padNeed := 0, false, 0
	mark := func(i int) {
		if s.firstBadOff < 0 {
			s.firstBadOff = i
		}
	}
	for i, c := range b {
		switch {
		case isB64(c):
			if padding {
				s.badPadding = true
				mark(i)
				padding, n = false, 0
			}
			n++
		case c == '=':
			if padding {
				if padNeed > 0 {
					padNeed--
				} else {
					s.badPadding = true
					mark(i)
				}
				continue
			}
			switch n % 4 {
			case 2:
				padding, padNeed = true, 1
			case 3:
				padding, padNeed = true, 0
			default:
				s.badPadding = true
				mark(i)
			}
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
		default:
			s.badChars++
			mark(i)
		}
	}
	if n%4 == 1 {
		s.loneChar = true
		mark(len(b) - 1)
	}
	return s
}

func isB64(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/'
}

// decodeBase64Lenient decodes as RFC 2045 6.8 tells decoders to: bytes
// outside the alphabet are ignored, and a lone last character (which holds
// no whole byte) is dropped. Padding must be sound (checked by the caller).
func decodeBase64Lenient(b []byte) []byte {
	var clean []byte
	for _, c := range b {
		if isB64(c) {
			clean = append(clean, c)
		} else if c == '=' {
			break
		}
	}
	if len(clean)%4 == 1 {
		clean = clean[:len(clean)-1]
	}
	out, _ := base64.RawStdEncoding.DecodeString(string(clean))
	return out
}

// encodeBase64 wraps at 76 characters, CRLF after each line.
func encodeBase64(b []byte) []byte {
	enc := base64.StdEncoding.EncodeToString(b)
	var out []byte
	for len(enc) > 76 {
		out = append(out, enc[:76]...)
		out = append(out, '\r', '\n')
		enc = enc[76:]
	}
	out = append(out, enc...)
	return append(out, '\r', '\n')
}

// encodeQP encodes text as quoted-printable: CRLF line breaks stay hard
// breaks, long lines get soft breaks at 76 (RFC 2045 6.7).
func encodeQP(b []byte) []byte {
	var buf bytes.Buffer
	w := quotedprintable.NewWriter(&buf)
	_, _ = w.Write(b)
	_ = w.Close()
	out := buf.Bytes()
	if !bytes.HasSuffix(out, []byte("\r\n")) {
		out = append(out, '\r', '\n')
	}
	return out
}

func longestLine(b []byte) (n, off int) {
	for i := 0; i < len(b); {
		end := nextLine(b, i)
		if l := len(bytes.TrimSuffix(b[i:end], []byte("\r\n"))); l > n {
			n, off = l, i
		}
		i = end
	}
	return n, off
}

// fixBody fixes a leaf part: ENC-001 (broken base64), STR-006 (NUL in a
// part not declared binary) and STR-004 (body lines over the limit), by
// re-encoding the content, which keeps it byte for byte once decoded.
func (r *repairer) fixBody(e *entity) {
	body := e.body
	cte := e.encoding()
	limit := r.opts.Limits.LineLength
	longN, longOff := longestLine(body)
	content := bytes.TrimSuffix(body, []byte("\r\n"))
	if strings.HasPrefix(e.mediaType(), "multipart/") {
		// A multipart left unparsed (no delimiter found, or an ambiguous
		// structure): re-encoding it would hide its parts.
		if longN > limit {
			r.manual("STR-004", e.path, e.bodyOff+longOff, "a long line in a multipart whose structure could not be read")
		}
		if nul := bytes.IndexByte(body, 0); nul >= 0 {
			r.manual("STR-006", e.path, e.bodyOff+nul, "a NUL byte in a multipart whose structure could not be read")
		}
		return
	}
	switch cte {
	case "base64":
		st := checkBase64(body)
		switch {
		case st.badPadding:
			r.wrapOctetStream(e)
			return
		case st.badChars > 0 || st.loneChar:
			what := []string{}
			if st.badChars > 0 {
				what = append(what, fmt.Sprintf("%d bytes outside the alphabet ignored", st.badChars))
			}
			if st.loneChar {
				what = append(what, "a lone final character (no whole byte) dropped")
			}
			r.setBody(e, encodeBase64(decodeBase64Lenient(body)), "")
			r.change("ENC-001", e.path, e.bodyOff+st.firstBadOff, "base64 re-encoded: "+strings.Join(what, ", "))
			return
		case longN > limit:
			r.setBody(e, encodeBase64(decodeBase64Lenient(body)), "")
			r.change("STR-004", e.path, e.bodyOff+longOff, fmt.Sprintf("base64 re-wrapped at 76 (a line was %d octets)", longN))
		}
	case "quoted-printable":
		if nul := bytes.IndexByte(body, 0); nul >= 0 {
			dec := decodeQPLenient(body)
			r.setBody(e, encodeBase64(bytes.TrimSuffix(dec, []byte("\r\n"))), "base64")
			r.change("STR-006", e.path, e.bodyOff+nul, "quoted-printable part holding NUL bytes re-encoded as base64")
			if longN > limit {
				r.change("STR-004", e.path, e.bodyOff+longOff, fmt.Sprintf("long lines (up to %d octets) gone with the base64 re-encoding", longN))
			}
			return
		}
		badOff := qpProblem(body)
		if longN <= limit && badOff < 0 {
			return
		}
		// RFC 2045 6.7: a decoder keeps an "=" that starts no valid
		// sequence as it is, which decodeQPLenient does; encoding the
		// result again gives valid, short lines with the same content.
		r.setBody(e, encodeQP(bytes.TrimSuffix(decodeQPLenient(body), []byte("\r\n"))), "")
		if badOff >= 0 {
			r.change("ENC-004", e.path, e.bodyOff+badOff, "quoted-printable re-encoded: a stray '=' kept as text, lines at most 76")
		}
		if longN > limit {
			r.change("STR-004", e.path, e.bodyOff+longOff, fmt.Sprintf("quoted-printable re-encoded (a line was %d octets)", longN))
		}
	case "", "7bit", "8bit":
		if nul := bytes.IndexByte(body, 0); nul >= 0 {
			r.setBody(e, encodeBase64(content), "base64")
			r.change("STR-006", e.path, e.bodyOff+nul, "part holding NUL bytes re-encoded as base64")
			if longN > limit {
				r.change("STR-004", e.path, e.bodyOff+longOff, fmt.Sprintf("long lines (up to %d octets) gone with the base64 re-encoding", longN))
			}
			return
		}
		if longN <= limit {
			return
		}
		mt := e.mediaType()
		if mt == "" || strings.HasPrefix(mt, "text/") {
			r.setBody(e, encodeQP(content), "quoted-printable")
			r.change("STR-004", e.path, e.bodyOff+longOff, fmt.Sprintf("part re-encoded as quoted-printable (a line was %d octets)", longN))
		} else {
			r.setBody(e, encodeBase64(content), "base64")
			r.change("STR-004", e.path, e.bodyOff+longOff, fmt.Sprintf("part re-encoded as base64 (a line was %d octets)", longN))
		}
	default:
		// An unknown encoding: re-encoding would declare one the sender
		// did not choose.
		if longN > limit && cte != "binary" {
			r.manual("STR-004", e.path, e.bodyOff+longOff, fmt.Sprintf("a line is %d octets in a part with encoding %q", longN, printable(cte)))
		}
		if nul := bytes.IndexByte(body, 0); nul >= 0 && cte != "binary" {
			r.manual("STR-006", e.path, e.bodyOff+nul, fmt.Sprintf("a NUL byte in a part with encoding %q", printable(cte)))
		}
	}
}

// setBody replaces a leaf's body, and its Content-Transfer-Encoding when
// cte is not "". A message that gains a Content-Transfer-Encoding also
// gets MIME-Version when it has none.
func (r *repairer) setBody(e *entity, body []byte, cte string) {
	e.body = body
	if cte == "" {
		return
	}
	r.setField(e, "content-transfer-encoding", "Content-Transfer-Encoding", cte)
	if e.isMessage() && e.field("mime-version") == nil {
		r.setField(e, "mime-version", "MIME-Version", "1.0")
	}
}

// isMessage reports whether e is a whole message (the root or the content
// of a message/rfc822 part), where MIME-Version belongs.
func (e *entity) isMessage() bool { return e.depth == 0 || e.isInner }

// setField sets every field of that name (a repeated field must not
// contradict the first), or appends one.
func (r *repairer) setField(e *entity, name, display, value string) {
	found := false
	for _, f := range e.fields {
		if f.name == name {
			f.setValue([]byte(value))
			found = true
		}
	}
	if found {
		return
	}
	e.fields = append(e.fields, &hfield{name: name, off: e.bodyOff, raw: []byte(display + ": " + value + "\r\n")})
	if e.sep == nil {
		e.sep = []byte("\r\n")
	}
}

// wrapOctetStream fixes ENC-001 when the base64 cannot be decoded without
// guessing (padding in the middle): the part becomes an
// application/octet-stream attachment whose content is the original body
// bytes, so nothing is lost and nothing is guessed.
func (r *repairer) wrapOctetStream(e *entity) {
	name := "part-" + e.path + "-undecodable.b64"
	origType := ""
	if f := e.field("content-type"); f != nil {
		origType = strings.TrimSpace(string(unfold(f.value())))
	}
	// Fields are rewritten in place, never removed: removing one from the
	// middle could leave two stray header lines side by side, which read
	// as the start of the body. A repeated field says the same as the first.
	r.setField(e, "content-type", "Content-Type", `application/octet-stream; name="`+name+`"`)
	r.setField(e, "content-disposition", "Content-Disposition", `attachment; filename="`+name+`"`)
	if origType != "" {
		r.setField(e, "x-mailroot-original-content-type", "X-Mailroot-Original-Content-Type", encodeWords(literalUTF8([]byte(origType))))
	}
	orig := e.body
	e.body = encodeBase64(orig)
	r.setField(e, "content-transfer-encoding", "Content-Transfer-Encoding", "base64")
	if e.isMessage() && e.field("mime-version") == nil {
		r.setField(e, "mime-version", "MIME-Version", "1.0")
	}
	r.change("ENC-001", e.path, e.bodyOff, fmt.Sprintf("base64 with misplaced padding wrapped, as its original %d bytes, in an application/octet-stream part %q", len(orig), name))
}

// fixMultipart fixes MP-002 (the closing delimiter is added) and reports
// over-long lines in the preamble and epilogue, which readers ignore but
// which cannot be re-encoded.
func (r *repairer) fixMultipart(e *entity) {
	limit := r.opts.Limits.LineLength
	if e.closing == nil {
		lastChild := e.children[len(e.children)-1]
		last := lastChild.ent
		end := last.serialize(nil)
		switch {
		case len(end) > 0 && !bytes.HasSuffix(end, []byte("\r\n")):
			last.appendCRLF()
		case len(end) == 0 && !bytes.HasSuffix(lastChild.delim, []byte("\n")):
			// An empty last part after a delimiter line that ends the
			// file: the closing delimiter needs a line of its own.
			lastChild.delim = append(append([]byte{}, lastChild.delim...), '\r', '\n')
		}
		e.closing = []byte("--" + e.boundary + "--\r\n")
		r.change("MP-002", e.path, e.bodyOff+len(e.body), fmt.Sprintf("closing delimiter --%s-- added", printable(e.boundary)))
	}
	if n, off := longestLine(e.preamble); n > limit {
		r.manual("STR-004", e.path, e.bodyOff+off, fmt.Sprintf("a preamble line is %d octets", n))
	}
	for _, c := range e.children {
		if len(c.delim) > limit+2 {
			r.manual("STR-004", e.path, e.bodyOff, "a delimiter line is longer than the limit (boundary too long)")
			break
		}
	}
	if n, _ := longestLine(e.epilogue); n > limit {
		r.manual("STR-004", e.path, e.bodyOff+len(e.body), fmt.Sprintf("an epilogue line is %d octets", n))
	}
}

// appendCRLF ends e's serialisation with CRLF.
func (e *entity) appendCRLF() {
	switch {
	case e.inner != nil:
		e.inner.appendCRLF()
	case e.multipart:
		if e.closing != nil {
			e.epilogue = append(append([]byte{}, e.epilogue...), '\r', '\n')
		} else {
			e.children[len(e.children)-1].ent.appendCRLF()
		}
	case e.sep == nil && len(e.fields) > 0:
		// A part that is only header: terminate its last field.
		e.sep = []byte("\r\n")
	default:
		e.body = append(append([]byte{}, e.body...), '\r', '\n')
	}
}

// decodeQPLenient decodes quoted-printable the way tolerant readers do:
// "=XX" is a byte, "=" at the end of a line a soft break, and anything
// else (a NUL, a stray "=") stays as it is.
func decodeQPLenient(b []byte) []byte {
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c != '=' {
			out = append(out, c)
			continue
		}
		switch {
		case i+2 < len(b) && isHex(b[i+1]) && isHex(b[i+2]):
			out = append(out, unhex(b[i+1])<<4|unhex(b[i+2]))
			i += 2
		case bytes.HasPrefix(b[i+1:], []byte("\r\n")):
			i += 2
		default:
			// A soft break after trailing white space: "=  \r\n".
			j := i + 1
			for j < len(b) && (b[j] == ' ' || b[j] == '\t') {
				j++
			}
			if bytes.HasPrefix(b[j:], []byte("\r\n")) {
				i = j + 1
				continue
			}
			out = append(out, c)
		}
	}
	return out
}

// qpProblem returns the offset of the first ENC-004 defect in a
// quoted-printable body ("=" not followed by two hex digits or a line
// break, or an encoded line over 76 characters), or -1.
func qpProblem(b []byte) int {
	for i := 0; i < len(b); {
		end := nextLine(b, i)
		line := bytes.TrimSuffix(b[i:end], []byte("\r\n"))
		if len(line) > 76 {
			return i
		}
		for k := 0; k < len(line); k++ {
			if line[k] != '=' {
				continue
			}
			rest := line[k+1:]
			switch {
			case len(rest) >= 2 && isHex(rest[0]) && isHex(rest[1]):
				k += 2
			case len(bytes.TrimRight(rest, " \t")) == 0:
				// a soft line break (trailing white space tolerated)
			default:
				return i + k
			}
		}
		i = end
	}
	return -1
}
