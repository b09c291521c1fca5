package mime

import (
	"bytes"
	"fmt"
	"net/mail"
	"strings"
	"time"
)

// Header-field rules. One field check classifies each field once and hands
// it to every header rule family (rules_hdrbytes.go, rules_ct.go,
// rules_addr.go, rules_2047.go and this file's HDR-001, HDR-002, HDR-005),
// so the name is looked at once per field.

func init() {
	fieldChecks = append(fieldChecks, checkHeaderField)
	headerChecks = append(headerChecks, checkRecipientCount, checkSenderPresent, checkHeaderDBCS)
}

// hdrKind is a set of facts about a field name that say which rules apply.
type hdrKind uint32

const (
	kAddress        hdrKind = 1 << iota // an address list (From, To, Resent-*, Return-Path...)
	kRecipient                          // To, Cc or Bcc: counted by ADDR-005
	kUnstructured                       // unstructured text where RFC 2047 words are allowed
	kSubject                            // Subject
	kMessageID                          // Message-ID (HDR-001, STR-007)
	kIDList                             // References, In-Reply-To (STR-007)
	kDate                               // Date, Resent-Date (HDR-002)
	kContentType                        // Content-Type (CT-002, parameters)
	kParams                             // a MIME header with a parameter list (CT-001, CT-003)
	kMIMEStructured                     // structured MIME header: comments are checked (CT-004)
	kMIMELength                         // MIME header with a length limit (CT-005)
)

// lowerName writes name lower-cased (ASCII) into buf and returns it, or
// false when name is longer than buf: no header name the rules know is.
// A switch on string(lower) compares without allocating.
func lowerName(buf *[32]byte, name []byte) ([]byte, bool) {
	if len(name) > len(buf) {
		return nil, false
	}
	for i, c := range name {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	return buf[:len(name)], true
}

// classifyHeader returns what the rules need to know about a field name. It does
// not allocate: the lower-cased name lives in a stack buffer.
func classifyHeader(name []byte) hdrKind {
	var buf [32]byte
	lower, ok := lowerName(&buf, name)
	if !ok {
		return 0
	}
	switch string(lower) {
	case "to", "cc", "bcc":
		return kAddress | kRecipient
	case "from", "sender", "reply-to", "resent-from", "resent-sender", "resent-to",
		"resent-cc", "resent-bcc", "resent-reply-to", "return-path",
		"disposition-notification-to", "return-receipt-to", "errors-to",
		"mail-followup-to", "mail-reply-to", "apparently-to":
		return kAddress
	case "subject":
		return kSubject | kUnstructured
	case "comments", "content-description", "keywords", "thread-topic", "organization":
		return kUnstructured
	case "message-id":
		return kMessageID
	case "resent-message-id", "references", "in-reply-to":
		return kIDList
	case "date", "resent-date":
		return kDate
	case "content-type":
		return kContentType | kParams | kMIMEStructured | kMIMELength
	case "content-disposition":
		return kParams | kMIMEStructured | kMIMELength
	case "content-transfer-encoding", "mime-version", "content-id":
		return kMIMEStructured | kMIMELength
	case "content-language":
		return kMIMEStructured
	}
	return 0
}

// checkHeaderField runs every header-field rule on one field.
func checkHeaderField(p *part, f *field) {
	k := classifyHeader(f.name)
	checkHeaderBytes(p, f, k)
	checkUnfoldedLength(p, f)
	checkEncodedWords(p, f, k)
	if k&kContentType != 0 {
		checkContentTypeBytes(p, f)
	}
	if k&kParams != 0 {
		checkParams(p, f)
	}
	if k&kMIMEStructured != 0 {
		checkComments(p, f)
	}
	if k&kMIMELength != 0 {
		checkMIMEHeaderLength(p, f)
	}
	if k&kAddress != 0 {
		scanAddressList(p, f, true, 0)
	}
	if k&(kSubject|kAddress|kMessageID) != 0 {
		checkPrintf(p, f)
	}
	if k&kDate != 0 {
		checkDate(p, f)
	}
}

// hdrFieldHead returns the start of a field as evidence for rules about the
// whole field: its name, a colon and the first bytes of the value.
func hdrFieldHead(f *field) []byte {
	n := len(f.name)
	if n > ExcerptMax {
		n = ExcerptMax
	}
	out := make([]byte, 0, ExcerptMax+1)
	out = append(out, f.name[:n]...)
	out = append(out, ':')
	rest := ExcerptMax + 1 - len(out)
	if rest > len(f.value) {
		rest = len(f.value)
	}
	return append(out, f.value[:rest]...)
}

// reportValue reports a finding whose evidence starts at value[i]. The
// line number costs a scan of the value, so it is skipped when the finding
// will be dropped anyway (rule disabled or its per-rule quota full): a
// field with thousands of broken words stays linear.
func reportValue(p *part, f *field, rule string, i int, msg string) {
	off := f.valueOffset + int64(min(i, len(f.value)))
	line := f.line
	if r := p.rep; r.enabled(rule) && r.perRule[rule] < r.opts.Limits.FindingsPerRule {
		off, line = f.at(i)
	}
	p.report(rule, off, line, msg, f.value[i:])
}

// fieldQuota caps the findings one check makes in one field. Past the cap
// nothing is formatted, so a hostile field with thousands of defects (";;;;"
// or broken encoded words by the thousand) stays cheap; the first ones
// are what a reader needs.
type fieldQuota int

const perFieldFindings = 8

func (q *fieldQuota) take() bool {
	if *q >= perFieldFindings {
		return false
	}
	*q++
	return true
}

// hdrWSP reports white space and line-ending bytes inside a header value.
func hdrWSP(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// hdrSkipWSP returns the index of the first non-white-space byte at or after i.
func hdrSkipWSP(v []byte, i int) int {
	for i < len(v) && hdrWSP(v[i]) {
		i++
	}
	return i
}

// ---------------------------------------------------------------- HDR-001

// checkPrintf reports printf conversion directives (%s %n %x %p, with
// flags, width, precision and length modifiers) in Subject, address headers
// and Message-ID: KB 239816 crashed on a Subject of "%s%s%s%n".
//
// URL-encoded text must not match: "%20", "%2Fsomething" and "100% sure"
// are not directives. A space is therefore never taken as a flag, and a
// directive whose only decoration is a two-digit width ("%20s", "%41x"),
// or such a width behind URL-escaped percent signs ("%2520s" is "%20s"
// escaped once more), is taken for a URL escape followed by text. Any
// other width is a directive: "%1000n" and "%99999s" are the classic
// overflow forms. "%%" is a literal percent sign, so "%%s" is no directive.
func checkPrintf(p *part, f *field) {
	if i, n := printfNext(f.value, 0); i >= 0 {
		reportValue(p, f, "HDR-001", i, fmt.Sprintf("printf directive %q in %s", f.value[i:i+n], f.name))
	}
}

// printfNext returns the index and length of the first printf directive
// in b at or after from, or -1, 0. It reads b as printf does, left to
// right, so "%%" is a literal percent sign and not the start of one.
func printfNext(b []byte, from int) (at, n int) {
	for i := from; i < len(b); i++ {
		k := bytes.IndexByte(b[i:], '%')
		if k < 0 {
			break
		}
		i += k
		if i+1 < len(b) && b[i+1] == '%' {
			i++
			continue
		}
		if n := printfDirectiveAt(b, i); n > 0 {
			return i, n
		}
	}
	return -1, 0
}

// printfDirectiveAt is printfDirective at v[i], except that a bare
// conversion ("%p", "%S", "%n") between a digit and a letter is a
// percentage glued to a word ("100%pure", "70%Sale", "20%new"), ordinary
// marketing text and no format string: a crash-class finding there would
// quarantine real mail. "1%s%s" and "1%n" are still directives.
func printfDirectiveAt(v []byte, i int) int {
	n := printfDirective(v[i:])
	if n == 2 && i > 0 && v[i-1] >= '0' && v[i-1] <= '9' && i+2 < len(v) && (v[i+2]|0x20 >= 'a' && v[i+2]|0x20 <= 'z') {
		return 0
	}
	return n
}

// printfDirective returns the length of the printf directive at the start
// of b (b[0] == '%'), or 0 when there is none (or it looks like a URL escape).
func printfDirective(b []byte) int {
	i := 1
	flags := 0
	for i < len(b) && strings.IndexByte("-+#0", b[i]) >= 0 {
		i++
		flags++
	}
	widthStart := i
	if i < len(b) && b[i] == '*' {
		i++
	} else {
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	}
	width := i - widthStart
	precision := false
	if i < len(b) && b[i] == '.' {
		precision = true
		i++
		if i < len(b) && b[i] == '*' {
			i++
		} else {
			for i < len(b) && b[i] >= '0' && b[i] <= '9' {
				i++
			}
		}
	}
	length := 0
	for i < len(b) && length < 3 && strings.IndexByte("hlLqjztI", b[i]) >= 0 {
		i++
		length++
		if b[i-1] == 'I' { // MSVC %I64x, %I32x
			for k := 0; k < 2 && i < len(b) && b[i] >= '0' && b[i] <= '9'; k++ {
				i++
			}
		}
	}
	if i >= len(b) || strings.IndexByte("snxXpS", b[i]) < 0 {
		return 0
	}
	if flags == 0 && !precision && length == 0 && urlEscapeWidth(b[widthStart:widthStart+width]) {
		// "%20s", "%2520s": a URL escape ("%20", "%25" "20") followed by text.
		return 0
	}
	return i + 1
}

// urlEscapeWidth reports whether the digits of a printf width read as the
// hex digits of a URL escape: two digits ("%20s"), possibly behind any
// number of escaped percent signs "25" ("%2520s", "%252520s"). Widths of
// three digits or more otherwise ("%100s", "%1000n", "%99999s") are not.
func urlEscapeWidth(w []byte) bool {
	for len(w) > 2 && w[0] == '2' && w[1] == '5' {
		w = w[2:]
	}
	return len(w) == 2
}

// ---------------------------------------------------------------- HDR-002

// checkDate reports a Date that no tolerant parser accepts, or one longer
// than Limits.DateLength (MS00-043: Outlook overflowed on a long Date).
// The common RFC 5322 form is recognised without allocating; anything else
// goes through parseDateTolerant.
func checkDate(p *part, f *field) {
	v := f.value
	start, end := hdrSkipWSP(v, 0), len(v)
	for end > start && hdrWSP(v[end-1]) {
		end--
	}
	if start == end {
		reportValue(p, f, "HDR-002", 0, fmt.Sprintf("%s is empty", f.name))
		return
	}
	if n := addrOctets(v[start:end]); n > p.opts.Limits.DateLength {
		reportValue(p, f, "HDR-002", start, fmt.Sprintf("%s is %d characters long (limit %d)", f.name, n, p.opts.Limits.DateLength))
		return
	}
	if fastDate(v[start:end]) || parseDateTolerant(string(f.unfolded())) {
		return
	}
	reportValue(p, f, "HDR-002", start, fmt.Sprintf("%s does not parse as an RFC 5322 date", f.name))
}

// fastDate recognises "[Mon, ]2 Jan 2006 15:04[:05] -0700 [(comment)]"
// with folding white space anywhere between tokens, without allocating.
func fastDate(b []byte) bool {
	i := 0
	skip := func() {
		for i < len(b) && hdrWSP(b[i]) {
			i++
		}
	}
	digits := func(min, max int) (int, bool) {
		n, k := 0, 0
		for i < len(b) && k < max && b[i] >= '0' && b[i] <= '9' {
			n = n*10 + int(b[i]-'0')
			i++
			k++
		}
		return n, k >= min && (i == len(b) || b[i] < '0' || b[i] > '9')
	}
	name := func(list string) bool { // list holds 3-letter names
		if i+3 > len(b) {
			return false
		}
		for k := 0; k+3 <= len(list); k += 3 {
			if b[i]|0x20 == list[k] && b[i+1]|0x20 == list[k+1] && b[i+2]|0x20 == list[k+2] {
				i += 3
				return true
			}
		}
		return false
	}
	if i < len(b) && b[i]|0x20 >= 'a' && b[i]|0x20 <= 'z' {
		if !name("montuewedthufrisatsun") {
			return false
		}
		skip()
		if i >= len(b) || b[i] != ',' {
			return false
		}
		i++
		skip()
	}
	day, ok := digits(1, 2)
	if !ok || day < 1 {
		return false
	}
	skip()
	const months = "janfebmaraprmayjunjulaugsepoctnovdec"
	month := -1
	if i+3 <= len(b) {
		for k := 0; k+3 <= len(months); k += 3 {
			if b[i]|0x20 == months[k] && b[i+1]|0x20 == months[k+1] && b[i+2]|0x20 == months[k+2] {
				month = k / 3
				i += 3
				break
			}
		}
	}
	if month < 0 {
		return false
	}
	skip()
	year, ok := digits(4, 4)
	if !ok || day > daysIn(month, year) {
		// "29 Feb 2023", "31 Apr 2024": net/mail.ParseDate rejects them too.
		return false
	}
	skip()
	if h, ok := digits(2, 2); !ok || h > 23 || i >= len(b) || b[i] != ':' {
		return false
	}
	i++
	if m, ok := digits(2, 2); !ok || m > 59 {
		return false
	}
	if i < len(b) && b[i] == ':' {
		i++
		if sec, ok := digits(2, 2); !ok || sec > 60 {
			return false
		}
	}
	skip()
	if i >= len(b) || b[i] != '+' && b[i] != '-' {
		return false
	}
	i++
	if z, ok := digits(4, 4); !ok || z%100 > 59 {
		return false
	}
	skip()
	if i < len(b) && b[i] == '(' {
		end := hdrCommentEnd(b, i)
		if end < 0 {
			return false
		}
		i = end
		skip()
	}
	return i == len(b)
}

// daysIn returns the number of days of month (0 = January) in year, by
// the Gregorian leap-year rule that time.Parse applies.
func daysIn(month, year int) int {
	switch month {
	case 1:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 3, 5, 8, 10:
		return 30
	}
	return 31
}

var (
	longDayNames   = []string{"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}
	longMonthNames = []string{"january", "february", "march", "april", "june", "july", "august", "september", "october", "november", "december"}
)

// parseDateTolerant accepts what net/mail.ParseDate accepts (RFC 5322 with
// the obsolete forms: no weekday, two-digit years, no seconds, named zones,
// trailing comments) plus common deviations seen in real mail: no space
// after the weekday comma, full day and month names, a missing zone, a
// military one-letter zone, a "+hh:mm" zone and the asctime layout.
func parseDateTolerant(s string) bool {
	if _, err := mail.ParseDate(s); err == nil {
		return true
	}
	if s == "" || len(s) > 200 {
		return false
	}
	t := strings.Join(strings.Fields(dateStripComments(s)), " ")
	t = dateSplitZone(t)
	if i := strings.IndexByte(t, ','); i > 0 && i+1 < len(t) && t[i+1] != ' ' {
		t = t[:i+1] + " " + t[i+1:]
	}
	lower := strings.ToLower(t)
	for _, names := range [][]string{longDayNames, longMonthNames} {
		for _, n := range names {
			if j := strings.Index(lower, n); j >= 0 {
				t = t[:j+3] + t[j+len(n):]
				lower = lower[:j+3] + lower[j+len(n):]
			}
		}
	}
	t = strings.ReplaceAll(t, "-", " ")
	t = strings.ReplaceAll(t, "  ", " ")
	// Restore a numeric zone that the dash replacement split ("+0000" is safe).
	words := strings.Fields(t)
	if n := len(words); n > 0 {
		last := words[n-1]
		switch {
		case len(last) == 1 && last[0] >= 'A' && last[0] <= 'Z', len(last) == 1 && last[0] >= 'a' && last[0] <= 'z':
			words[n-1] = "+0000" // RFC 5322 4.3: military zones are to be taken as -0000
		case len(last) == 5 && last[2] == ':' && dateDigits(last[:2]) && dateDigits(last[3:]):
			// "-07:00" lost its sign to the dash replacement: the sign does not
			// matter for validity.
			words[n-1] = "+" + last[:2] + last[3:]
		case len(last) == 4 && dateDigits(last) && n >= 2 && strings.Count(words[n-2], ":") >= 1:
			words[n-1] = "+" + last // "-0700" lost its sign
		case strings.Count(last, ":") >= 1:
			words = append(words, "+0000") // no zone at all
		}
	}
	t = strings.Join(words, " ")
	if _, err := mail.ParseDate(t); err == nil {
		return true
	}
	for _, layout := range []string{"Mon Jan _2 15:04:05 2006", "Mon Jan _2 15:04:05 MST 2006", "Mon Jan _2 15:04:05 2006 +0000"} {
		if _, err := time.Parse(layout, strings.Join(strings.Fields(s), " ")); err == nil {
			return true
		}
		if _, err := time.Parse(layout, t); err == nil {
			return true
		}
	}
	return false
}

// dateStripComments removes parenthesised comments ("(UTC)").
func dateStripComments(s string) string {
	if strings.IndexByte(s, '(') < 0 {
		return s
	}
	var b strings.Builder
	depth := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '(':
			depth++
		case c == ')' && depth > 0:
			depth--
			b.WriteByte(' ')
		case depth == 0:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// dateSplitZone separates a zone glued to the time ("00:01+0000").
func dateSplitZone(t string) string {
	words := strings.Fields(t)
	for i, w := range words {
		c := strings.IndexByte(w, ':')
		if c < 0 {
			continue
		}
		if k := strings.IndexAny(w[c:], "+-"); k > 0 {
			words[i] = w[:c+k] + " " + w[c+k:]
		}
	}
	return strings.Join(words, " ")
}

func dateDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// ---------------------------------------------------------------- HDR-005

// checkUnfoldedLength reports a folded field that is longer than 998
// octets once unfolded: the IIS pickup service unfolds headers (KB 294379),
// turning a legal folded To: list into an illegal, sometimes fatal, line.
func checkUnfoldedLength(p *part, f *field) {
	const limit = 998
	if f.length <= limit {
		return
	}
	v := f.value
	body := bytes.TrimRight(v, "\r\n")
	if f.truncated {
		body = v
	}
	if bytes.IndexByte(body, '\n') < 0 && bytes.IndexByte(body, '\r') < 0 {
		return // not folded: a long physical line is STR-004's business
	}
	breaks := int64(0)
	for _, c := range v {
		if c == '\r' || c == '\n' {
			breaks++
		}
	}
	unfolded := f.length - breaks
	if unfolded > limit {
		p.report("HDR-005", f.offset, f.line, fmt.Sprintf("%s is %d octets once unfolded (limit %d)", f.name, unfolded, limit), hdrFieldHead(f))
	}
}
