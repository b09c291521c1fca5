package mime

import (
	"bytes"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// scParam is one parameter of a structured MIME header (Content-Type,
// Content-Disposition) as written, in file order.
type scParam struct {
	name    string // lower-cased as written, RFC 2231 section and '*' included
	value   string // unquoted (quoted-pair escapes removed)
	nameAt  int    // index of the name in the field value
	valueAt int    // index of the value (its opening quote if quoted) in the field value
	quoted  bool
	hasEq   bool // the name was followed by '='
}

// scParseStructured splits a structured MIME header value into its leading
// token (media type or disposition type, lower-cased, comments and white
// space removed) and its parameters. It is tolerant: it never fails, takes
// an unterminated quoted string or comment to run to the end, treats line
// endings as white space, and keeps every parameter, duplicates included.
func scParseStructured(v []byte) (token string, params []scParam) {
	i := 0
	var tb []byte
	// Leading token: up to the first ';' outside quotes and comments.
	for i < len(v) && v[i] != ';' {
		switch c := v[i]; {
		case c == '(':
			i = scSkipComment(v, i)
			continue
		case c == '"':
			j := scSkipQuoted(v, i)
			end := j
			if end > i+1 && v[end-1] == '"' {
				end--
			}
			tb = append(tb, v[i+1:end]...)
			i = j
			continue
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
		default:
			tb = append(tb, scLower(c))
		}
		i++
	}
	token = string(tb)
	for i < len(v) {
		// At a ';' or the start of a parameter.
		for i < len(v) && (v[i] == ';' || scIsWSP(v[i])) {
			i++
		}
		if i < len(v) && v[i] == '(' {
			i = scSkipComment(v, i)
			continue
		}
		if i >= len(v) {
			break
		}
		p := scParam{nameAt: i}
		ns := i
		for i < len(v) && v[i] != '=' && v[i] != ';' {
			i++
		}
		p.name = strings.ToLower(string(bytes.TrimSpace(v[ns:i])))
		if i < len(v) && v[i] == '=' {
			p.hasEq = true
			i++
			for i < len(v) && scIsWSP(v[i]) {
				i++
			}
			p.valueAt = i
			if i < len(v) && v[i] == '"' {
				p.quoted = true
				j := scSkipQuoted(v, i)
				end := j
				if end > i+1 && v[end-1] == '"' {
					end--
				}
				p.value = scUnquote(v[i+1 : max(i+1, end)])
				i = j
				// Skip anything up to the next ';' (tolerant).
				for i < len(v) && v[i] != ';' {
					i++
				}
			} else {
				vs := i
				for i < len(v) && v[i] != ';' {
					if v[i] == '(' {
						break
					}
					i++
				}
				p.value = string(bytes.TrimRight(scTrimEOL(v[vs:i]), " \t\r\n"))
				if i < len(v) && v[i] == '(' {
					i = scSkipComment(v, i)
					for i < len(v) && v[i] != ';' {
						i++
					}
				}
			}
		} else {
			p.valueAt = i
		}
		if p.name == "" && !p.hasEq {
			continue
		}
		params = append(params, p)
	}
	return token, params
}

// scParamMap builds the parameter map of a part: names lower-cased, the first
// value of each name wins, RFC 2231 continuations (name*0, name*1*, ...) and
// extended values (name*=charset'lang'%xx) are joined and decoded.
func scParamMap(params []scParam) map[string]string {
	if len(params) == 0 {
		return nil
	}
	m := make(map[string]string, len(params))
	type section struct {
		n   int
		ext bool
		v   string
	}
	var sections map[string][]section
	for _, p := range params {
		if p.name == "" {
			continue
		}
		star := strings.IndexByte(p.name, '*')
		if star < 0 {
			if _, ok := m[p.name]; !ok {
				m[p.name] = p.value
			}
			continue
		}
		base, rest := p.name[:star], p.name[star+1:]
		if rest == "" { // name*=charset'lang'value
			if _, ok := m[base]; !ok {
				m[base] = scDecode2231(p.value, true)
			}
			continue
		}
		ext := strings.HasSuffix(rest, "*")
		n, err := strconv.Atoi(strings.TrimSuffix(rest, "*"))
		if err != nil || n < 0 || n > 1000 {
			continue
		}
		if sections == nil {
			sections = make(map[string][]section)
		}
		if len(sections[base]) < 1000 {
			sections[base] = append(sections[base], section{n, ext, p.value})
		}
	}
	names := make([]string, 0, len(sections))
	for name := range sections {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if _, ok := m[name]; ok {
			continue
		}
		ss := sections[name]
		sort.SliceStable(ss, func(i, j int) bool { return ss[i].n < ss[j].n })
		var sb strings.Builder
		charsetFirst := len(ss) > 0 && ss[0].ext
		for k, s := range ss {
			if s.ext {
				sb.WriteString(scDecode2231(s.v, k == 0 && charsetFirst))
			} else {
				sb.WriteString(s.v)
			}
		}
		m[name] = sb.String()
	}
	return m
}

// scDecode2231 decodes an RFC 2231 extended value: percent escapes, and when
// withCharset the leading charset'language' prefix. Bytes are converted from
// the charset where known (see scDecodeCharset); on any failure the raw text
// is returned.
func scDecode2231(v string, withCharset bool) string {
	cs := ""
	if withCharset {
		if a := strings.IndexByte(v, '\''); a >= 0 {
			if b := strings.IndexByte(v[a+1:], '\''); b >= 0 {
				cs, v = v[:a], v[a+1+b+1:]
			}
		}
	}
	raw, err := url.PathUnescape(v)
	if err != nil {
		return v
	}
	if s, ok := decodeAnyCharset(cs, []byte(raw)); ok {
		return s
	}
	return raw
}

// scSkipComment returns the index after the comment starting at v[i] == '(',
// honouring nesting and quoted pairs; an unterminated comment runs to the
// end (the tolerant reading; CT-004 reports it through hdrCommentEnd).
func scSkipComment(v []byte, i int) int {
	if end := hdrCommentEnd(v, i); end >= 0 {
		return end
	}
	return len(v)
}

// scSkipQuoted returns the index after the quoted string starting at
// v[i] == '"'; an unterminated one runs to the end.
func scSkipQuoted(v []byte, i int) int {
	if end := hdrQuoteEnd(v, i); end >= 0 {
		return end
	}
	return len(v)
}

func scUnquote(b []byte) string {
	if bytes.IndexByte(b, '\\') < 0 && bytes.IndexAny(b, "\r\n") < 0 {
		return string(b)
	}
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c == '\\' && i+1 < len(b) {
			i++
			c = b[i]
		} else if c == '\r' || c == '\n' {
			continue
		}
		out = append(out, c)
	}
	return string(out)
}

func scTrimEOL(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}

func scIsWSP(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

func scLower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// TransferEncoding returns a Content-Transfer-Encoding value as the
// scanner reads it (see scToken), so that a caller that rewrites a part
// (the repair package) decides on the same encoding.
func TransferEncoding(value []byte) string { return scToken(value) }

// scToken returns the first token of an unstructured-looking value such
// as Content-Transfer-Encoding: comments and white space removed, lower-cased.
func scToken(v []byte) string {
	t, _ := scParseStructured(v)
	if i := strings.IndexAny(t, " \t"); i >= 0 {
		t = t[:i]
	}
	return t
}

// scValidMediaType reports whether t looks like type/subtype.
func scValidMediaType(t string) bool {
	i := strings.IndexByte(t, '/')
	return i > 0 && i < len(t)-1 && strings.IndexByte(t[i+1:], '/') < 0
}
