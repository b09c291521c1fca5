package repair

import (
	"bytes"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"github.com/mailroot/mailroot/mime"
)

// fixEntity runs every fixer on e and its descendants.
func (r *repairer) fixEntity(e *entity) {
	if e.missingSep {
		r.change("STR-001", e.path, e.bodyOff, "empty line inserted where the body begins (the header block had none)")
	}
	for _, f := range e.fields {
		r.fixControls(e, f)
	}
	for _, f := range e.fields {
		switch f.name {
		case "content-type", "content-disposition":
			r.fixParams(e, f)
		case "mime-version", "content-transfer-encoding", "content-id", "content-language":
			r.fixComments(e, f)
		case "subject", "comments", "content-description", "keywords", "thread-topic", "organization",
			"to", "cc", "bcc", "from", "sender", "reply-to", "resent-from", "resent-sender", "resent-to",
			"resent-cc", "resent-bcc", "resent-reply-to", "return-path", "disposition-notification-to",
			"return-receipt-to", "errors-to", "mail-followup-to", "mail-reply-to", "apparently-to":
			r.fixEncodedWords(e, f)
		}
	}
	r.fixDates(e)
	switch {
	case e.inner != nil:
		r.fixEntity(e.inner)
	case e.multipart:
		for _, c := range e.children {
			r.fixEntity(c.ent)
		}
		r.fixMultipart(e)
	case e.sep != nil:
		r.fixBody(e)
	}
	// Folding goes last: the fixers above may lengthen fields.
	for _, f := range e.fields {
		r.fixFolding(e, f)
	}
}

// fixControls fixes STR-006 (NUL) and STR-007 (C0 controls and DEL) in a
// header field: the bytes are removed. TAB and the CRLF of folding stay.
func (r *repairer) fixControls(e *entity, f *hfield) {
	nul, ctl, first := 0, 0, -1
	for i, c := range f.raw {
		if isHeaderControl(c) {
			if first < 0 {
				first = i
			}
			if c == 0 {
				nul++
			} else {
				ctl++
			}
		}
	}
	if first < 0 {
		return
	}
	out := f.raw[:0:0]
	for _, c := range f.raw {
		if isHeaderControl(c) {
			continue
		}
		out = append(out, c)
	}
	// The removal must not change what the first line is to a reader: a
	// field whose name began with controls must not become a continuation
	// line, and a stray line of controls must not become the empty line
	// that ends the header (it goes altogether).
	line := out[:nextLine(out, 0)]
	if lead := len(line) - len(bytes.TrimLeft(line, " \t")); lead > 0 && f.raw[0] != ' ' && f.raw[0] != '\t' {
		out = out[lead:]
		line = line[lead:]
	}
	if len(bytes.TrimSuffix(line, []byte("\r\n"))) == 0 {
		out = out[len(line):]
	}
	f.raw = out
	name := fieldLabel(f)
	if nul > 0 {
		r.change("STR-006", e.path, f.off+first, fmt.Sprintf("removed %d NUL bytes from %s", nul, name))
	}
	if ctl > 0 {
		r.change("STR-007", e.path, f.off+first, fmt.Sprintf("removed %d control bytes from %s", ctl, name))
	}
}

func fieldLabel(f *hfield) string {
	if f.name == "" {
		return "a header line"
	}
	return strings.ToValidUTF8(f.name, "?") + " header"
}

// fixParams fixes CT-001, CT-003, CT-004 and MP-004 in a Content-Type or
// Content-Disposition by writing the parameter list again, only when it
// has one of those defects.
func (r *repairer) fixParams(e *entity, f *hfield) {
	pl := readParams(f.value())
	type fix struct{ rule, what string }
	var fixes []fix
	if pl.unclosedComment {
		fixes = append(fixes, fix{"CT-004", "unclosed '(' taken as part of the value"})
	}
	if pl.strayParen {
		fixes = append(fixes, fix{"CT-004", "unbalanced ')' removed"})
	}
	if pl.unclosedQuote {
		fixes = append(fixes, fix{"CT-003", "unterminated quoted string closed"})
	}
	if t := cleanToken(pl.token); t != pl.token {
		// mediaType reads the cleaned token: the header must say it.
		fixes = append(fixes, fix{"CT-003", fmt.Sprintf("quote, parenthesis or backslash removed from %q", printable(pl.token))})
	}
	if pl.emptyParams > 0 {
		fixes = append(fixes, fix{"CT-003", fmt.Sprintf("%d empty parameters (;;) removed", pl.emptyParams)})
	}
	for _, s := range pl.noValue {
		fixes = append(fixes, fix{"CT-003", fmt.Sprintf("parameter %q without '=' removed", printable(s))})
	}
	if pl.noName > 0 {
		fixes = append(fixes, fix{"CT-003", fmt.Sprintf("%d parameters without a name removed", pl.noName)})
	}
	for _, s := range pl.spaceInName {
		fixes = append(fixes, fix{"CT-003", fmt.Sprintf("parameter name %q with a space cut to its last word", printable(s))})
	}
	var kept []param
	seen := map[string]bool{}
	for _, p := range pl.params {
		switch {
		case p.name == "charset" && strings.TrimSpace(p.value) == "":
			fixes = append(fixes, fix{"CT-001", "empty charset parameter removed"})
		case p.name == "boundary" && seen["boundary"]:
			fixes = append(fixes, fix{"MP-004", fmt.Sprintf("extra boundary=%q removed", printable(p.value))})
		case p.name == "boundary" && e.multipart && p.value != e.boundary:
			// The body uses a later boundary=: keep that one, at this place.
			fixes = append(fixes, fix{"MP-004", fmt.Sprintf("boundary=%q not used by the body removed", printable(p.value))})
			p.value, p.hasValue = e.boundary, true
			seen["boundary"] = true
			kept = append(kept, p)
		case strings.IndexFunc(p.rawName, func(c rune) bool { return c < 0x80 && !isTokenByte(byte(c)) }) >= 0:
			// A '(' or '"' in a name would open a comment or a string
			// that the next reader never closes.
			fixes = append(fixes, fix{"CT-003", fmt.Sprintf("parameter with the malformed name %q removed", printable(p.rawName))})
		case seen[p.name]:
			fixes = append(fixes, fix{"CT-003", fmt.Sprintf("duplicate parameter %q removed (the first is kept)", printable(p.rawName))})
		case !p.hasValue:
			fixes = append(fixes, fix{"CT-003", fmt.Sprintf("parameter %q without a value removed", printable(p.rawName))})
		default:
			seen[p.name] = true
			kept = append(kept, p)
		}
	}
	if lim := r.opts.Limits.Params; len(kept) > lim {
		fixes = append(fixes, fix{"CT-003", fmt.Sprintf("%d parameters past the first %d removed", len(kept)-lim, lim)})
		kept = kept[:lim]
	}
	if len(fixes) == 0 {
		return
	}
	var b strings.Builder
	b.WriteString(cleanToken(pl.token))
	for _, p := range kept {
		b.WriteString(";\r\n\t")
		b.WriteString(p.rawName + "=" + quoteValue(p.value))
	}
	f.setValue([]byte(b.String()))
	for _, x := range fixes {
		r.change(x.rule, e.path, f.off, fmt.Sprintf("%s: %s", fieldLabel(f), x.what))
	}
}

// readParams reads a Content-Type or Content-Disposition value the way
// the repair writes it back. An unclosed '(' is taken literally in the
// parameters (KB 183633: "filename=(JPEG-IM.BMP" is a name, not a
// comment), but not in the type token: there the comment reading stays,
// so that "(multipart/x" (a comment, so text/plain) does not become a
// multipart the body never was.
func readParams(v []byte) paramList {
	pl := parseParams(v)
	if !pl.unclosedComment {
		return pl
	}
	commentToken := pl.token
	pl = parseParamsLiteralParens(v)
	pl.unclosedComment = true
	if strings.ContainsAny(pl.token, "()") {
		pl.token = commentToken
	}
	return pl
}

// cleanToken drops from a media type or disposition token the bytes that
// would open a quoted string, a comment or a quoted pair that never closes
// in the rewritten header, and with them any ';' or white space they hid. Other bytes are kept, even where RFC 2045 5.1
// does not allow them: the type must read as it did before the rewrite
// (",multipart/mixed" is no multipart to the scanner, and must not become
// one), and mediaType reads it the same way.
func cleanToken(t string) string {
	if !strings.ContainsAny(t, "\"()\\") {
		return t
	}
	// A quote or comment may have hidden a ';' or white space, which
	// would split the token once the quote is gone: they go too.
	var b strings.Builder
	for i := 0; i < len(t); i++ {
		switch c := t[i]; c {
		case '"', '(', ')', '\\', ';', ' ', '\t', '\r', '\n':
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// parseParamsLiteralParens parses with '(' and ')' as ordinary bytes.
func parseParamsLiteralParens(v []byte) paramList {
	// Quote-escape the parentheses so that the tolerant parser keeps them.
	esc := bytes.NewBuffer(nil)
	inQuote := false
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c == '"':
			inQuote = !inQuote
			esc.WriteByte(c)
		case c == '\\' && i+1 < len(v):
			esc.WriteByte(c)
			i++
			esc.WriteByte(v[i])
		case !inQuote && (c == '(' || c == ')'):
			esc.WriteByte(0) // placeholder, restored below
			if c == ')' {
				esc.WriteByte(1)
			}
		default:
			esc.WriteByte(c)
		}
	}
	pl := parseParams(esc.Bytes())
	restore := func(s string) string {
		s = strings.ReplaceAll(s, "\x00\x01", ")")
		return strings.ReplaceAll(s, "\x00", "(")
	}
	pl.token = restore(pl.token)
	for i := range pl.params {
		p := &pl.params[i]
		p.name, p.rawName, p.value = restore(p.name), restore(p.rawName), restore(p.value)
	}
	return pl
}

// printable makes text safe for a one-line change description.
func printable(s string) string {
	if len(s) > 60 {
		s = s[:60] + "..."
	}
	return mime.Excerpt([]byte(s))
}

// dateOK reports whether a Date value parses.
func dateOK(s string) bool {
	s = strings.TrimSpace(s)
	if _, err := mail.ParseDate(s); err == nil {
		return true
	}
	// A trailing comment or zone name after the numeric zone.
	if i := strings.LastIndexAny(s, "+-"); i > 0 && i+5 <= len(s) {
		if _, err := mail.ParseDate(s[:i+5]); err == nil {
			return true
		}
	}
	for _, layout := range []string{time.RFC1123Z, time.RFC1123, time.RFC850, time.ANSIC, "Mon, 2 Jan 2006 15:04:05 MST", "2 Jan 2006 15:04:05 -0700"} {
		if _, err := time.Parse(layout, s); err == nil {
			return true
		}
	}
	return false
}

// fixDates fixes HDR-002: a Date (or Resent-Date) that does not parse, or
// that is longer than Limits.DateLength, is replaced by the file time and
// the original value kept in X-Original-Date.
func (r *repairer) fixDates(e *entity) {
	var out []*hfield
	for _, f := range e.fields {
		out = append(out, f)
		if f.name != "date" && f.name != "resent-date" {
			continue
		}
		text := strings.TrimSpace(string(unfold(f.value())))
		if len(text) <= r.opts.Limits.DateLength && dateOK(text) {
			continue
		}
		if r.opts.FileTime.IsZero() {
			r.manual("HDR-002", e.path, f.off, "the Date does not parse and no file time was given to replace it")
			continue
		}
		orig := append([]byte{}, f.value()...)
		f.setValue([]byte(r.opts.FileTime.Format(time.RFC1123Z)))
		keep := &hfield{name: "x-original-date", off: f.off}
		keep.raw = append([]byte("X-Original-Date:"), orig...)
		keep.raw = append(keep.raw, '\r', '\n')
		out = append(out, keep)
		r.change("HDR-002", e.path, f.off, fmt.Sprintf("%s %q replaced by the file time %s, original kept in X-Original-Date",
			fieldLabel(f), printable(text), r.opts.FileTime.Format(time.RFC1123Z)))
	}
	e.fields = out
}

// fixFolding fixes STR-004 in a header field: every physical line longer
// than Limits.LineLength is folded before white space (RFC 5322 2.2.3),
// aiming at 78 characters. Address lists get a space after each comma
// first, so that they can fold between addresses. A line with no white
// space to fold at is left for a manual fix.
func (r *repairer) fixFolding(e *entity, f *hfield) {
	limit := r.opts.Limits.LineLength
	if !hasLongLine(f.raw, limit) {
		return
	}
	if fieldColon(f.raw[:nextLine(f.raw, 0)]) < 0 {
		// A stray line in the header (HDR-003): folding it would add a
		// continuation line after a line that is no field, and the two
		// would read as the start of the body.
		r.manual("STR-004", e.path, f.off, fmt.Sprintf("a header line that is no field is longer than %d", limit))
		return
	}
	raw := f.raw
	if isAddressField(f.name) {
		raw = spaceAfterCommas(raw)
	}
	var out []byte
	ok := true
	for i := 0; i < len(raw); {
		end := nextLine(raw, i)
		line := bytes.TrimSuffix(raw[i:end], []byte("\r\n"))
		// Never between the name and its colon ("Name  :" is obsolete
		// syntax, "Name\r\n  :" is no field at all).
		from := 1
		if i == 0 {
			from = max(fieldColon(line)+1, 1)
		}
		for len(line) > 78 {
			p := foldPoint(line, limit, from)
			if p < 0 {
				ok = ok && len(line) <= limit
				break
			}
			out = append(out, line[:p]...)
			out = append(out, '\r', '\n')
			line = line[p:]
			from = 1
		}
		out = append(out, line...)
		out = append(out, '\r', '\n')
		i = end
	}
	f.raw = out
	if !ok {
		r.manual("STR-004", e.path, f.off, fmt.Sprintf("%s has a line longer than %d with no white space to fold at", fieldLabel(f), limit))
		return
	}
	r.change("STR-004", e.path, f.off, fmt.Sprintf("%s re-folded: no line over %d octets", fieldLabel(f), limit))
}

func hasLongLine(b []byte, limit int) bool {
	for i := 0; i < len(b); {
		end := nextLine(b, i)
		if len(bytes.TrimSuffix(b[i:end], []byte("\r\n"))) > limit {
			return true
		}
		i = end
	}
	return false
}

// foldPoint returns where to break line (before a space or tab, at from
// or later, never at 0 and never leaving an all-white-space piece), or -1.
func foldPoint(line []byte, limit, from int) int {
	target := min(78, limit)
	best := -1
	for i := max(from, 1); i < len(line) && i <= limit; i++ {
		if (line[i] == ' ' || line[i] == '\t') && len(bytes.TrimSpace(line[:i])) > 0 && len(bytes.TrimSpace(line[i:])) > 0 {
			best = i
			if i >= target {
				break
			}
		}
	}
	return best
}

func isAddressField(name string) bool {
	switch name {
	case "to", "cc", "bcc", "from", "sender", "reply-to", "resent-from", "resent-sender", "resent-to",
		"resent-cc", "resent-bcc", "resent-reply-to", "return-path", "disposition-notification-to",
		"return-receipt-to", "errors-to", "mail-followup-to", "mail-reply-to", "apparently-to":
		return true
	}
	return false
}

// spaceAfterCommas inserts a space after each ',' outside quoted strings,
// comments and angle brackets that is not already followed by white space.
func spaceAfterCommas(raw []byte) []byte {
	var out []byte
	inQuote, depth, angle := false, 0, false
	colon := bytes.IndexByte(raw, ':')
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		out = append(out, c)
		if i <= colon {
			continue
		}
		switch {
		case inQuote:
			if c == '\\' && i+1 < len(raw) {
				i++
				out = append(out, raw[i])
			} else if c == '"' {
				inQuote = false
			}
		case depth > 0:
			if c == '(' {
				depth++
			} else if c == ')' {
				depth--
			}
		case c == '"':
			inQuote = true
		case c == '(':
			depth++
		case c == '<':
			angle = true
		case c == '>':
			angle = false
		case c == ',' && !angle:
			if i+1 < len(raw) && raw[i+1] != ' ' && raw[i+1] != '\t' && raw[i+1] != '\r' {
				out = append(out, ' ')
			}
		}
	}
	return out
}

// fixComments fixes CT-004 in the other structured MIME headers: a stray
// ')' is removed and a comment left open is closed at the end of the
// value (RFC 5322 3.2.2 comments; KB 183633).
func (r *repairer) fixComments(e *entity, f *hfield) {
	v := f.value()
	var out []byte
	depth, inQuote, stray := 0, false, 0
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case inQuote:
			if c == '\\' && i+1 < len(v) {
				out = append(out, c)
				i++
				c = v[i]
			} else if c == '"' {
				inQuote = false
			}
		case c == '\\' && depth > 0 && i+1 < len(v):
			out = append(out, c)
			i++
			c = v[i]
		case c == '"' && depth == 0:
			inQuote = true
		case c == '(':
			depth++
		case c == ')':
			if depth == 0 {
				stray++
				continue
			}
			depth--
		}
		out = append(out, c)
	}
	if depth == 0 && stray == 0 {
		return
	}
	if inQuote {
		out = append(out, '"')
	}
	what := []string{}
	if stray > 0 {
		what = append(what, fmt.Sprintf("%d unbalanced ')' removed", stray))
	}
	if depth > 0 {
		what = append(what, fmt.Sprintf("%d unclosed comments closed", depth))
	}
	for ; depth > 0; depth-- {
		out = append(out, ')')
	}
	f.setValue(out)
	r.change("CT-004", e.path, f.off, fmt.Sprintf("%s: %s", fieldLabel(f), strings.Join(what, ", ")))
}
