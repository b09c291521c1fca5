package mime

import (
	"bytes"
	"fmt"
	"io"
	stdmime "mime"

	"github.com/emersion/go-message/charset"
	"net/mail"
	"strings"
	"unicode/utf8"
)

// displayMax is the largest number of bytes of a header value kept in the
// summary (Report.Headers) and in Report.Fields.
const displayMax = 1024

// scDecodeCharset converts text from a charset the scanner knows without
// extra tables (UTF-8, US-ASCII, ISO-8859-1, Windows-1252). ok is false for
// any other charset or undecodable bytes; callers then show the raw bytes
// escaped.
func scDecodeCharset(cs string, b []byte) (string, bool) {
	switch strings.ToLower(strings.TrimSpace(cs)) {
	case "", "utf-8", "utf8", "us-ascii", "ascii":
		if utf8.Valid(b) {
			return string(b), true
		}
		return "", false
	case "iso-8859-1", "latin1", "iso_8859-1", "l1", "windows-1252", "cp1252":
		rs := make([]rune, len(b))
		for i, c := range b {
			rs[i] = rune(c)
		}
		return string(rs), true
	}
	return "", false
}

// wordDecoder decodes RFC 2047 encoded words for the summary.
var wordDecoder = &stdmime.WordDecoder{
	CharsetReader: func(cs string, input io.Reader) (io.Reader, error) {
		b, err := io.ReadAll(io.LimitReader(input, 1<<20))
		if err != nil {
			return nil, err
		}
		s, ok := decodeAnyCharset(cs, b)
		if !ok {
			return nil, fmt.Errorf("cannot decode charset %q", cs)
		}
		return strings.NewReader(s), nil
	},
}

// decodeAnyCharset converts text to UTF-8: the common charsets directly,
// the others through go-message's charset package (x/text: ISO-2022-JP,
// Shift_JIS, GB2312, ...). ok is false for unknown charsets.
func decodeAnyCharset(cs string, b []byte) (string, bool) {
	if s, ok := scDecodeCharset(cs, b); ok {
		return s, true
	}
	r, err := charset.Reader(cs, bytes.NewReader(b))
	if err != nil {
		return "", false
	}
	out, err := io.ReadAll(io.LimitReader(r, 4<<20))
	if err != nil {
		return "", false
	}
	return string(out), true
}

// decodeWords decodes the RFC 2047 words of an unfolded header value for
// display, falling back to the raw value when decoding fails.
func decodeWords(v []byte) string {
	if bytes.Contains(v, []byte("=?")) {
		if s, err := wordDecoder.DecodeHeader(string(v)); err == nil {
			return displayText([]byte(s), displayMax)
		}
	}
	return displayText(v, displayMax)
}

// displayText makes header bytes safe to show on one line: valid printable
// UTF-8 stays, controls and invalid bytes become \xNN escapes. At most max
// source bytes are used; a cut is marked with "...".
func displayText(b []byte, max int) string {
	if len(b) <= max && plainASCII(b) {
		return string(b)
	}
	cut := len(b) > max
	if cut {
		b = b[:max]
	}
	var sb strings.Builder
	sb.Grow(len(b))
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		switch {
		case r == utf8.RuneError && n <= 1:
			fmt.Fprintf(&sb, `\x%02x`, b[0])
		case r == '\t':
			sb.WriteString(`\t`)
		case r == '\\':
			sb.WriteString(`\\`)
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
			for _, c := range b[:n] {
				fmt.Fprintf(&sb, `\x%02x`, c)
			}
		default:
			sb.Write(b[:n])
		}
		b = b[n:]
	}
	if cut {
		sb.WriteString("...")
	}
	return sb.String()
}

// displayString is displayText for a string; a clean one is returned as is.
func displayString(s string, max int) string {
	if len(s) <= max && plainASCII([]byte(s)) {
		return s
	}
	return displayText([]byte(s), max)
}

// plainASCII reports whether b is printable ASCII without backslashes,
// which displayText leaves unchanged.
func plainASCII(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c > 0x7e || c == '\\' {
			return false
		}
	}
	return true
}

// splitAddressList splits an address-list value at the commas that lie
// outside quoted strings, comments and angle brackets, drops group names
// ("team:" ... ";") and returns the non-empty elements, trimmed. It never
// fails; at most limit elements are returned, n counts them all.
func splitAddressList(v []byte, limit int) (elems [][]byte, n int) {
	depth, angle := 0, false
	start := 0
	emit := func(e []byte) {
		e = bytes.TrimSpace(e)
		if len(e) == 0 {
			return
		}
		n++
		if len(elems) < limit {
			elems = append(elems, e)
		}
	}
	for i := 0; i < len(v); i++ {
		switch c := v[i]; c {
		case '\\':
			i++
		case '"':
			if depth == 0 {
				i = scSkipQuoted(v, i) - 1
			}
		case '(':
			depth++
		case ')':
			if depth > 0 {
				depth--
			}
		case '<':
			if depth == 0 {
				angle = true
			}
		case '>':
			if depth == 0 {
				angle = false
			}
		case ':':
			if depth == 0 && !angle {
				start = i + 1 // group name
			}
		case ',', ';':
			if depth == 0 && !angle {
				emit(v[start:i])
				start = i + 1
			}
		case '\r', '\n':
		}
	}
	emit(v[start:])
	return elems, n
}

// addrSpec extracts the addr-spec of one address element: the text in angle
// brackets if any, otherwise the element without comments.
func addrSpec(e []byte) string {
	if a := bytes.LastIndexByte(e, '<'); a >= 0 {
		rest := e[a+1:]
		if b := bytes.IndexByte(rest, '>'); b >= 0 {
			return string(bytes.TrimSpace(rest[:b]))
		}
		return string(bytes.TrimSpace(rest))
	}
	var out []byte
	for i := 0; i < len(e); i++ {
		if e[i] == '(' {
			i = scSkipComment(e, i) - 1
			continue
		}
		out = append(out, e[i])
	}
	return string(bytes.TrimSpace(out))
}

// addressParser parses address lists for the summary, decoding words.
var addressParser = &mail.AddressParser{WordDecoder: wordDecoder}

// simpleAddress reads the forms most From headers take, "local@domain"
// and "Display Name <local@domain>" made of ASCII atoms only, as net/mail
// would, without its allocations; it reports false for anything else
// (quotes, comments, encoded words, groups, lists, 8-bit bytes), which
// then goes to net/mail. FuzzSimpleAddress holds it to net/mail's answer.
func simpleAddress(v []byte) (name, addr string, ok bool) {
	spec := v
	var phrase []byte
	if lt := bytes.IndexByte(v, '<'); lt >= 0 {
		if v[len(v)-1] != '>' {
			return "", "", false
		}
		phrase, spec = v[:lt], v[lt+1:len(v)-1]
	}
	if !simpleAddrSpec(spec) {
		return "", "", false
	}
	var words [8][]byte
	n := 0
	for w := range bytes.FieldsFuncSeq(phrase, func(r rune) bool { return r == ' ' || r == '\t' }) {
		if n == len(words) || !allAtext(w, "=?") {
			return "", "", false
		}
		words[n] = w
		n++
	}
	return string(bytes.Join(words[:n], []byte{' '})), string(spec), true
}

// simpleAddrSpec reports whether spec is local@domain, both dot-atoms.
func simpleAddrSpec(spec []byte) bool {
	at := bytes.IndexByte(spec, '@')
	return at >= 0 && dotAtom(spec[:at]) && dotAtom(spec[at+1:])
}

// dotAtom reports whether b is atoms of atext joined by single dots.
func dotAtom(b []byte) bool {
	for atom := range bytes.SplitSeq(b, []byte{'.'}) {
		if !allAtext(atom, "") {
			return false
		}
	}
	return true
}

// allAtext reports whether b is non-empty and every byte is RFC 5322
// atext other than those in except.
func allAtext(b []byte, except string) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if !isAtext(c) || strings.IndexByte(except, c) >= 0 {
			return false
		}
	}
	return true
}

// isAtext reports whether c is RFC 5322 atext.
func isAtext(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-/=?^_`{|}~", c) >= 0
}

// firstAddress returns the display form ("Name <addr>" or "addr") and the
// addr-spec of the first address in an address-list value, using net/mail
// and falling back to the tolerant splitter (always for values over
// 16 KiB).
func firstAddress(v []byte) (display, spec string) {
	if len(v) <= 16<<10 {
		name, addr, ok := simpleAddress(v)
		if !ok {
			if list, err := addressParser.ParseList(string(v)); err == nil && len(list) > 0 {
				name, addr, ok = list[0].Name, list[0].Address, true
			}
		}
		if ok {
			if name == "" {
				return displayText([]byte(addr), displayMax), addr
			}
			return displayText([]byte(name+" <"+addr+">"), displayMax), addr
		}
	}
	elems, _ := splitAddressList(v, 1)
	if len(elems) == 0 {
		return "", ""
	}
	return decodeWords(elems[0]), addrSpec(elems[0])
}

// domainOf returns the lower-cased domain of an addr-spec.
func domainOf(spec string) string {
	at := strings.LastIndexByte(spec, '@')
	if at < 0 {
		return ""
	}
	return displayText([]byte(strings.ToLower(strings.TrimSpace(spec[at+1:]))), displayMax)
}

// summarize fills the header summary from the top-level header fields:
// the first From, Sender, Subject, Message-ID and Date, and the recipients
// of every To, Cc and Bcc.
func summarize(fields []field) Headers {
	var h Headers
	var seen uint8 // which of the first-only fields were taken
	first := func(bit uint8) bool {
		if seen&bit != 0 {
			return false
		}
		seen |= bit
		return true
	}
	for i := range fields {
		f := &fields[i]
		var buf [32]byte
		name, ok := lowerName(&buf, f.name)
		if !ok {
			continue
		}
		switch string(name) {
		case "from":
			if first(1 << 0) {
				var spec string
				h.From, spec = firstAddress(f.unfolded())
				h.FromDomain = domainOf(spec)
			}
		case "sender":
			if first(1 << 1) {
				h.Sender, _ = firstAddress(f.unfolded())
			}
		case "subject":
			if first(1 << 2) {
				h.Subject = decodeWords(f.unfolded())
			}
		case "message-id":
			if first(1 << 3) {
				h.MessageID = displayText(f.unfolded(), displayMax)
			}
		case "date":
			if first(1 << 4) {
				h.Date = displayText(f.unfolded(), displayMax)
			}
		case "to":
			_, n := splitAddressList(f.value, 0)
			h.To += n
		case "cc":
			_, n := splitAddressList(f.value, 0)
			h.Cc += n
		case "bcc":
			_, n := splitAddressList(f.value, 0)
			h.Bcc += n
		}
	}
	return h
}
