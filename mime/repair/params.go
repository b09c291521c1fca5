package repair

import (
	"bytes"
	"strings"
)

// A tolerant reader and a canonical writer for the parameter lists of
// Content-Type and Content-Disposition (RFC 2045 5.1, RFC 2183, RFC 2231
// names kept as written).

type param struct {
	name     string // lower case
	rawName  string // as written, spaces removed
	value    string // unquoted
	hasValue bool   // an '=' with something after it
}

type paramList struct {
	token  string // type/subtype or disposition, as written
	params []param
	// What is wrong, in the words of CT-003 / CT-004.
	unclosedQuote   bool
	unclosedComment bool
	strayParen      bool
	emptyParams     int // ";;" or "; ;"
	noValue         []string
	spaceInName     []string
	noName          int
}

func isTSpecial(c byte) bool { return strings.IndexByte(`()<>@,;:\"/[]?=`, c) >= 0 }

func isTokenByte(c byte) bool { return c > ' ' && c < 0x7f && !isTSpecial(c) }

// isToken reports whether s is a non-empty RFC 2045 token.
func isToken(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isTokenByte(s[i]) {
			return false
		}
	}
	return s != ""
}

// parseParams reads a field value (folding allowed) without ever failing.
func parseParams(v []byte) paramList {
	var pl paramList
	v = unfold(v)
	// Split on ';' outside quotes and comments, noting unclosed ones.
	var segs [][]byte
	var cur []byte
	depth, inQuote := 0, false
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case inQuote:
			cur = append(cur, c)
			if c == '\\' && i+1 < len(v) {
				i++
				cur = append(cur, v[i])
			} else if c == '"' {
				inQuote = false
			}
		case depth > 0:
			if c == '\\' && i+1 < len(v) {
				i++
			} else if c == '(' {
				depth++
			} else if c == ')' {
				depth--
			}
		case c == '(':
			depth++
		case c == ')':
			pl.strayParen = true
		case c == '"':
			inQuote = true
			cur = append(cur, c)
		case c == ';':
			segs = append(segs, cur)
			cur = nil
		default:
			cur = append(cur, c)
		}
	}
	segs = append(segs, cur)
	pl.unclosedQuote = inQuote
	pl.unclosedComment = depth > 0
	pl.token = string(bytes.TrimSpace(segs[0]))
	for k, s := range segs[1:] {
		s = bytes.TrimSpace(s)
		if len(s) == 0 {
			if k != len(segs)-2 { // a trailing ';' is tolerated
				pl.emptyParams++
			}
			continue
		}
		eq := bytes.IndexByte(s, '=')
		if q := bytes.IndexByte(s, '"'); q >= 0 && q < eq {
			eq = -1 // a quote before '=': no name
		}
		if eq < 0 {
			pl.noValue = append(pl.noValue, string(s))
			continue
		}
		name := bytes.TrimSpace(s[:eq])
		if len(name) == 0 {
			pl.noName++
			continue
		}
		if f := bytes.Fields(name); len(f) > 1 {
			pl.spaceInName = append(pl.spaceInName, string(name))
			name = f[len(f)-1]
		}
		val := bytes.TrimSpace(s[eq+1:])
		p := param{name: strings.ToLower(string(name)), rawName: string(name)}
		if len(val) > 0 && val[0] == '"' {
			p.value, p.hasValue = unquote(val), true
		} else {
			p.value, p.hasValue = string(val), len(val) > 0
		}
		pl.params = append(pl.params, p)
	}
	return pl
}

// unquote reads a quoted string that may lack its closing quote; bytes
// after the closing quote are dropped.
func unquote(v []byte) string {
	var b []byte
	for i := 1; i < len(v); i++ {
		c := v[i]
		if c == '\\' && i+1 < len(v) {
			i++
			b = append(b, v[i])
			continue
		}
		if c == '"' {
			break
		}
		b = append(b, c)
	}
	return string(b)
}

// quoteValue writes a value as a token when it is one, else quoted.
func quoteValue(v string) string {
	if isToken(v) {
		return v
	}
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(v); i++ {
		if v[i] == '"' || v[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(v[i])
	}
	b.WriteByte('"')
	return b.String()
}
