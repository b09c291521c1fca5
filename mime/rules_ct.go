package mime

import (
	"bytes"
	"fmt"
	"strings"
)

// Content-Type and parameter rules: CT-001 (empty charset), CT-002 (illegal
// bytes in Content-Type), CT-003 (malformed parameter list), CT-004
// (unclosed comment in a structured MIME header) and CT-005 (over-long MIME
// header). The parameter walk also feeds ENC-006 (a UTF-7 charset).

// hdrSkipCFWS skips white space, folding and comments from v[i]. ok is false
// when a comment is never closed (CT-004 reports that, so callers stop
// quietly).
func hdrSkipCFWS(v []byte, i int) (next int, ok bool) {
	for i < len(v) {
		switch {
		case hdrWSP(v[i]):
			i++
		case v[i] == '(':
			end := hdrCommentEnd(v, i)
			if end < 0 {
				return len(v), false
			}
			i = end
		default:
			return i, true
		}
	}
	return i, true
}

// hdrCommentEnd returns the index just past the comment that opens at v[i]
// (nested comments and quoted pairs allowed), or -1 if it is never closed.
func hdrCommentEnd(v []byte, i int) int {
	depth := 0
	for ; i < len(v); i++ {
		switch v[i] {
		case '\\':
			i++
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return i + 1
			}
		}
	}
	return -1
}

// hdrQuoteEnd returns the index just past the quoted string that opens at
// v[i], or -1 if the closing quote is missing.
func hdrQuoteEnd(v []byte, i int) int {
	for i++; i < len(v); i++ {
		switch v[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return -1
}

// paramNextSemi returns the index of the next ';' at or after i outside
// quoted strings and comments, or len(v). unterminated is the index of an
// opening quote that never closes (-1 if none); the walk stops there.
func paramNextSemi(v []byte, i int) (semi, unterminated int) {
	for i < len(v) {
		switch v[i] {
		case ';':
			return i, -1
		case '"':
			end := hdrQuoteEnd(v, i)
			if end < 0 {
				return len(v), i
			}
			i = end
		case '(':
			end := hdrCommentEnd(v, i)
			if end < 0 {
				return len(v), -1
			}
			i = end
		default:
			i++
		}
	}
	return len(v), -1
}

// isParamNameByte reports bytes that may continue a parameter name as this
// walk sees it: anything but white space, '=', ';', '"' and '('.
func isParamNameByte(c byte) bool {
	return !hdrWSP(c) && c != '=' && c != ';' && c != '"' && c != '('
}

// checkParams walks the parameter list of Content-Type or
// Content-Disposition (RFC 2045 5.1, RFC 2183) tolerantly and reports
// CT-001, CT-003 and ENC-006 (charset=utf-7). Parameter names are compared
// in place: no allocation unless a finding is made.
func checkParams(p *part, f *field) {
	v := f.value
	limit := p.opts.Limits.Params
	var nameBuf [32][2]int
	names := nameBuf[:0] // [start, end) of each parameter name seen
	count := 0
	var quota fieldQuota
	bad := func(rule string, i int, format string, args ...any) {
		if quota.take() {
			reportValue(p, f, rule, i, fmt.Sprintf(format, args...))
		}
	}
	// A quote that runs to the end of a value cut at Limits.HeaderBytesKept
	// may close in the bytes not kept: no finding then.
	unclosed := func(rule string, i int, format string, args ...any) {
		if !f.truncated {
			bad(rule, i, format, args...)
		}
	}
	i, unterminated := paramNextSemi(v, 0) // skip the type itself
	if unterminated >= 0 {
		unclosed("CT-003", unterminated, "unterminated quoted string in %s", f.name)
		return
	}
	// charset2231 is set when a charset parameter in RFC 2231 form
	// (charset*=, charset*0=, charset*1*=, ...) is seen; its value is
	// checked after the walk (checkCharset2231), which costs a second parse
	// only for those rare fields.
	charset2231 := false
walk:
	for i < len(v) { // v[i] == ';'
		j, ok := hdrSkipCFWS(v, i+1)
		if !ok || j == len(v) {
			break walk // unclosed comment (CT-004) or a trailing ';' (tolerated)
		}
		if v[j] == ';' {
			bad("CT-003", i, "empty parameter (;;) in %s", f.name)
			// One finding for the whole run of ';' (and white space).
			k := j
			for k < len(v) && (v[k] == ';' || hdrWSP(v[k])) {
				k++
			}
			i = j + bytes.LastIndexByte(v[j:k], ';')
			continue
		}
		nameStart := j
		for j < len(v) && isParamNameByte(v[j]) {
			j++
		}
		nameEnd := j
		name := v[nameStart:nameEnd]
		k, ok := hdrSkipCFWS(v, j)
		if !ok {
			break walk
		}
		if nameStart == nameEnd {
			bad("CT-003", nameStart, "parameter with no name in %s", f.name)
		} else if k < len(v) && k > nameEnd && isParamNameByte(v[k]) {
			bad("CT-003", nameStart, "space inside parameter name %q in %s", v[nameStart:k+1], f.name)
		}
		count++
		if count == limit+1 {
			bad("CT-003", nameStart, "more than %d parameters in %s", limit, f.name)
		}
		if len(name) > 0 && count <= 256 { // bounded: quadratic in the names kept
			for _, n := range names {
				if bytes.EqualFold(v[n[0]:n[1]], name) {
					bad("CT-003", nameStart, "duplicate parameter %q in %s", name, f.name)
					break
				}
			}
			names = append(names, [2]int{nameStart, nameEnd})
		}
		// Find the '=' (after any junk such as the rest of a name with a space).
		for k < len(v) && v[k] != '=' && v[k] != ';' && v[k] != '"' && v[k] != '(' {
			k++
		}
		if k < len(v) && (v[k] == '"' || v[k] == '(') {
			k, ok = hdrSkipCFWS(v, k)
			if !ok {
				break walk
			}
		}
		if k >= len(v) || v[k] != '=' {
			if nameStart != nameEnd { // also name "value" without '='

				bad("CT-003", nameStart, "parameter %q has no '=' in %s", name, f.name)
			}
			var un int
			i, un = paramNextSemi(v, k)
			if un >= 0 {
				unclosed("CT-003", un, "unterminated quoted string in %s", f.name)
				break walk
			}
			continue
		}
		isCharset := bytes.EqualFold(name, []byte("charset"))
		if !isCharset && isCharset2231Name(name) {
			charset2231 = true
		}
		vs, ok := hdrSkipCFWS(v, k+1)
		if !ok {
			break walk // name=(comment never closed: CT-004, KB 183633
		}
		var val []byte
		valStart := vs
		switch {
		case vs == len(v) || v[vs] == ';':
			if isCharset {
				bad("CT-001", nameStart, "empty charset parameter in %s", f.name)
			} else {
				bad("CT-003", nameStart, "parameter %q has no value in %s", name, f.name)
			}
			i = vs
			continue
		case v[vs] == '"':
			end := hdrQuoteEnd(v, vs)
			if end < 0 {
				unclosed("CT-003", vs, "unterminated quoted string in %s", f.name)
				break walk
			}
			valStart = vs + 1
			val = v[valStart : end-1]
			vs = end
			if isCharset && len(bytes.Trim(val, " \t\r\n")) == 0 {
				bad("CT-001", nameStart, "blank charset parameter in %s", f.name)
			}
		default:
			end := vs
			for end < len(v) && !hdrWSP(v[end]) && v[end] != ';' && v[end] != '(' && v[end] != '"' {
				end++
			}
			val = v[vs:end]
			vs = end
		}
		switch {
		case isCharset:
			checkCharsetUTF7(p, f, valStart, val)
		case len(name) > 1 && name[len(name)-1] == '*':
			// RFC 2231 extended value: charset'language'text.
			if q := bytes.IndexByte(val, '\''); q > 0 {
				checkCharsetUTF7(p, f, valStart, val[:q])
			}
		}
		var un int
		i, un = paramNextSemi(v, vs)
		if un >= 0 {
			unclosed("CT-003", un, "unterminated quoted string in %s", f.name)
			break walk
		}
	}
	if charset2231 {
		checkCharset2231(p, f, bad)
	}
}

// isCharset2231Name reports a parameter name that gives the charset in RFC
// 2231 form: "charset*" (an extended value) or "charset*<n>" / "charset*<n>*"
// (a section of a continued value), any case.
func isCharset2231Name(name []byte) bool {
	const base = "charset*"
	return len(name) >= len(base) && bytes.EqualFold(name[:len(base)], []byte(base)) &&
		param2231Suffix(string(name[len(base):]))
}

// param2231Suffix reports whether rest, what follows "name*" in a
// parameter name, makes an RFC 2231 name: "" (name*=charset'lang'text),
// or a section number with an optional '*' (name*0, name*1*), as
// scParamMap joins them (numbers up to 1000).
func param2231Suffix(rest string) bool {
	if rest == "" {
		return true
	}
	if rest[len(rest)-1] == '*' {
		rest = rest[:len(rest)-1]
	}
	if rest == "" || len(rest) > 4 {
		return false
	}
	n := 0
	for i := 0; i < len(rest); i++ {
		c := rest[i]
		if c < '0' || c > '9' {
			return false
		}
		n = n*10 + int(c-'0')
	}
	return n <= 1000
}

// checkCharset2231 reports CT-001 (empty or blank) and ENC-006 (UTF-7) for
// a charset given in RFC 2231 form, an extended value or sections:
//
//	charset*=utf-8''utf-7
//	charset*0=utf; charset*1=-7
//
// The value checked is the one the MIME tree shows (scParamMap: percent
// escapes decoded, the charset'language' prefix removed, sections joined in
// number order). That prefix only says how the value is encoded, so
//
//	charset*=utf-8''
//
// has an empty value (CT-001); the prefix is checked for UTF-7 in the walk.
// Each form is checked on its own, not only the one the tree keeps: the
// tree keeps a plain charset (or a charset*) before the sections, while
// other parsers prefer the RFC 2231 forms (Go's mime package does). Only
// called when the walk saw such a name: it parses the field again and
// allocates.
func checkCharset2231(p *part, f *field, bad func(rule string, i int, format string, args ...any)) {
	_, params := scParseStructured(f.value)
	var sections []scParam
	first := -1 // index in sections of the lowest-numbered section
	firstN := 0
	for _, pr := range params {
		if !pr.hasEq || !isCharset2231Name([]byte(pr.name)) {
			continue
		}
		if pr.name == "charset*" {
			checkCharset2231Value(p, f, bad, pr, scDecode2231(pr.value, true), pr.name)
			continue
		}
		n := 0
		for _, c := range []byte(strings.TrimSuffix(pr.name[len("charset*"):], "*")) {
			n = n*10 + int(c-'0')
		}
		if first < 0 || n < firstN {
			first, firstN = len(sections), n
		}
		sections = append(sections, pr)
	}
	if first < 0 {
		return
	}
	joined := scParamMap(sections)["charset"]
	checkCharset2231Value(p, f, bad, sections[first], joined, "charset*<n> sections")
}

// checkCharset2231Value checks the decoded value of one RFC 2231 charset
// (pr is the extended parameter, or the lowest-numbered section). CT-001
// points at the parameter name, as for charset=""; ENC-006 at the text
// after the charset'language' prefix, where the charset name starts.
func checkCharset2231Value(p *part, f *field, bad func(rule string, i int, format string, args ...any), pr scParam, value, form string) {
	if strings.Trim(value, " \t\r\n") == "" {
		// Sections of the value may lie in the bytes cut at
		// Limits.HeaderBytesKept: no finding then.
		if !f.truncated {
			bad("CT-001", pr.nameAt, "empty charset parameter in %s (RFC 2231 %s; %s=%q)", f.name, form, pr.name, displayString(pr.value, 40))
		}
		return
	}
	if !ewFoldIn(ewUTF7Charsets, []byte(strings.TrimSpace(value))) {
		return
	}
	at := pr.valueAt
	if pr.quoted {
		at++
	}
	if strings.HasSuffix(pr.name, "*") { // charset'language'text
		if a := strings.IndexByte(pr.value, '\''); a >= 0 {
			if b := strings.IndexByte(pr.value[a+1:], '\''); b >= 0 {
				at += a + 1 + b + 1
			}
		}
	}
	at = min(at, len(f.value))
	reportValue(p, f, "ENC-006", at, fmt.Sprintf("UTF-7 charset %q given as RFC 2231 %s in %s (KB 317248)", displayString(value, 40), form, f.name))
}

// checkContentTypeBytes reports CT-002: a Content-Type byte that no RFC 2045
// production allows (a control other than folding white space, DEL, 8-bit).
// Every printable ASCII byte is a token character or a tspecial.
func checkContentTypeBytes(p *part, f *field) {
	for i, c := range f.value {
		if c < 0x20 && c != '\t' && c != '\r' && c != '\n' || c >= 0x7f {
			reportValue(p, f, "CT-002", i, fmt.Sprintf("byte 0x%02x is not allowed in %s (KB 304024)", c, f.name))
			return
		}
	}
}

// checkComments reports CT-004: in a structured MIME header, a comment
// opened and never closed outside quoted strings (KB 183633:
// filename=(JPEG-IM.BMP), or a ')' that closes nothing.
func checkComments(p *part, f *field) {
	v := f.value
	for i := 0; i < len(v); i++ {
		switch v[i] {
		case '"':
			end := hdrQuoteEnd(v, i)
			if end < 0 {
				return // unterminated quote: CT-003 where parameters are checked
			}
			i = end - 1
		case '(':
			end := hdrCommentEnd(v, i)
			if end < 0 {
				if neverClosed(f, i) {
					reportValue(p, f, "CT-004", i, unclosedCommentMsg(f, i))
				}
				return
			}
			i = end - 1
		case ')':
			reportValue(p, f, "CT-004", i, fmt.Sprintf("unbalanced ')' in %s", f.name))
			return
		}
	}
}

// openCommentAtCut decides what a comment still open where a field was cut
// at Limits.HeaderBytesKept is. The checks see only the kept bytes, so the
// comment might close in the bytes not kept. A comment opened just before
// the cut (a long To: list cut inside "(Sales)") is given the benefit of the
// doubt; one that has stayed open for more than openCommentAtCut bytes is
// reported as never closed (CT-004, ADDR-001). No real header holds a comment
// that long, and a flood of '(' (KB 183633's pattern blown up) is exactly
// what such a field is: folded into short lines it trips no STR-004, and
// without this the crash pattern was left at medium (STR-005, CT-005).
const openCommentAtCut = 1000

// neverClosed reports whether the comment opening at f.value[i], which
// hdrCommentEnd found unclosed in the kept bytes, counts as never closed.
func neverClosed(f *field, i int) bool {
	return !f.truncated || len(f.value)-i > openCommentAtCut
}

// unclosedCommentMsg is the message for a comment that never closes.
func unclosedCommentMsg(f *field, i int) string {
	if f.truncated {
		return fmt.Sprintf("comment still open after %d bytes where %s (%d bytes) was cut for checking: treated as never closed", len(f.value)-i, f.name, f.length)
	}
	return fmt.Sprintf("comment opened and never closed in %s", f.name)
}

// checkMIMEHeaderLength reports CT-005: a MIME header field longer than
// Limits.MIMEHeaderLength bytes (sendmail MaxMimeHeaderLength).
//
// The length of a field is that of the field unfolded (RFC 5322 2.2.3):
// name, colon and value as received, with the CR and LF of every fold and
// of the final line ending taken out and the white space after a fold
// kept. Folding only presents a field on several lines; it does not make
// the field longer, and a repair that folds an over-long line must not
// push it over this limit. The final line ending ends the field and is no
// part of it (STR-004 does not count a line's ending either), so a
// one-line field of 1024 bytes plus CRLF is at the limit, not over it.
func checkMIMEHeaderLength(p *part, f *field) {
	limit := int64(p.opts.Limits.MIMEHeaderLength)
	if f.length <= limit {
		return // fast path: line endings only make f.length larger
	}
	if n := mimeFieldLength(f); n > limit {
		p.report("CT-005", f.offset, f.line, fmt.Sprintf("%s is %d bytes long unfolded, not counting line endings (limit %d)", f.name, n, limit), hdrFieldHead(f))
	}
}

// mimeFieldLength is f.length without the CR and LF bytes of its folds and
// final line ending. For a field cut at Limits.HeaderBytesKept only the
// kept bytes are looked at, and a CRLF is taken off for the final line
// ending not kept; folds in the bytes not kept still count. Such a field
// is over HeaderBytesKept (256 KB by default), far over any sensible
// MIMEHeaderLength however it was folded.
func mimeFieldLength(f *field) int64 {
	n := f.length
	for _, c := range f.value {
		if c == '\r' || c == '\n' {
			n--
		}
	}
	if f.truncated && !bytes.HasSuffix(f.value, []byte("\r\n")) {
		n -= 2
	}
	return n
}
