package mime

import (
	"bytes"
	"fmt"
)

// Address rules: ADDR-001 (separators in comments, unbalanced brackets and
// quotes), ADDR-002 (over-long or X.400 addresses), ADDR-003 (bracket
// floods), ADDR-004 (semicolon runs and unnamed empty groups), ADDR-005
// (too many recipients) and ADDR-006 (no sender).
//
// The walk follows RFC 5322 3.4 tolerantly, in one pass and without
// allocating: comments, quoted strings, angle addresses, domain literals,
// groups, and mailboxes separated by ',' (or ';', which Outlook users type).

// addrScanner holds the state of one address-list walk.
type addrScanner struct {
	p      *part
	f      *field
	v      []byte
	report bool

	// current mailbox
	segFirst, segLast  int // first and last significant byte, -1 when none yet
	hasAngle           bool
	specStart, specEnd int  // addr-spec inside <> once closed
	atTop, atAngle     int  // last '@' outside and inside <>
	quoted             bool // a quoted string outside <>
	spaced             bool // white space or a comment after significant text
	gap                bool // significant text after such white space: two words or more

	count    int // mailboxes with a non-empty address so far
	withAddr int // those of them that hold an address proper (see hasAddress)
	nameOnly int // index of the first mailbox that is only a display name, -1 when none
	nth      int // count at which to record nthAt (0: never)
	nthAt    int
	lenDone  bool // ADDR-002 already reported for this field
}

func (s *addrScanner) reset() {
	s.segFirst, s.segLast = -1, -1
	s.hasAngle = false
	s.specStart, s.specEnd = -1, -1
	s.atTop, s.atAngle = -1, -1
	s.quoted, s.spaced, s.gap = false, false, false
}

// mark records v[i:end] as significant text of the current mailbox.
func (s *addrScanner) mark(i, end int) {
	if s.segFirst < 0 {
		s.segFirst = i
	} else if s.spaced {
		s.gap = true
	}
	s.spaced = false
	s.segLast = end - 1
}

// hasAddress reports whether the current mailbox, known to be non-empty,
// holds an address rather than only a display name: an angle address, or
// a bare addr-spec with its '@'. A bare single word with no '@'
// ("postmaster") is kept as an address, a local name the server may
// qualify with its own domain; a phrase of several words ("John Smith") or
// a quoted string ("\"John Smith\"") without '@' is a display name with no
// mailbox after it (RFC 5322 3.4: a name-addr needs its angle-addr).
func (s *addrScanner) hasAddress(a, b, at int) bool {
	return s.hasAngle || at >= a && at < b || !s.quoted && !s.gap
}

// finish closes the current mailbox: counts it and checks its length.
func (s *addrScanner) finish() {
	defer s.reset()
	if s.segFirst < 0 {
		return
	}
	a, b, at := s.segFirst, s.segLast+1, s.atTop
	if s.hasAngle {
		a, b, at = s.specStart, s.specEnd, s.atAngle
	}
	if b <= a {
		return // "<>" or a phrase with an empty angle address
	}
	s.count++
	if s.count == s.nth {
		s.nthAt = s.segFirst
	}
	if s.hasAddress(a, b, at) {
		s.withAddr++
	} else if s.nameOnly < 0 {
		s.nameOnly = s.segFirst
	}
	if !s.report || s.lenDone {
		return
	}
	lim := s.p.opts.Limits
	spec := s.v[a:b]
	n := addrOctets(spec)
	hasAt := at >= a && at < b
	local := spec
	if hasAt {
		local = s.v[a:at]
	}
	// RULES.md ADDR-002: "one address longer than [256] (local part over
	// 64, domain over 255), or an X.400-looking address over 1024". An
	// X.400 address carried in SMTP form is an encoding of the X.400 one
	// in the local part (Exchange's "IMCEAEX-_O=..._CN=...@domain", or the
	// "/o=.../cn=..." DN quoted before an '@'): long local parts are normal
	// there, so for such an address the 1024 limit replaces both the 256
	// and the 64 limits. Its domain is still a DNS name: over 255 is
	// reported as for any address. Whether an address looks X.400 is
	// decided by its local part alone, from its first byte (looksX400), so
	// a "/o=" somewhere in an ordinary address does not buy it 1024 octets.
	switch {
	case looksX400(local):
		switch {
		case n > lim.X400Length:
			s.lenDone = true
			reportValue(s.p, s.f, "ADDR-002", a, fmt.Sprintf("X.400-style address of %d octets in %s (limit %d)", n, s.f.name, lim.X400Length))
		case hasAt:
			if domain := addrOctets(s.v[at+1 : b]); domain > 255 {
				s.lenDone = true
				reportValue(s.p, s.f, "ADDR-002", at+1, fmt.Sprintf("domain of %d octets in %s (limit 255)", domain, s.f.name))
			}
		}
	case n > lim.AddressLength:
		s.lenDone = true
		reportValue(s.p, s.f, "ADDR-002", a, fmt.Sprintf("address of %d octets in %s (limit %d)", n, s.f.name, lim.AddressLength))
	case hasAt:
		if local := addrOctets(local); local > 64 {
			s.lenDone = true
			reportValue(s.p, s.f, "ADDR-002", a, fmt.Sprintf("local part of %d octets in %s (limit 64)", local, s.f.name))
		} else if domain := addrOctets(s.v[at+1 : b]); domain > 255 {
			s.lenDone = true
			reportValue(s.p, s.f, "ADDR-002", at+1, fmt.Sprintf("domain of %d octets in %s (limit 255)", domain, s.f.name))
		}
	}
}

// addrOctets counts the bytes of b without line breaks (folding).
func addrOctets(b []byte) int {
	n := len(b)
	for _, c := range b {
		if c == '\r' || c == '\n' {
			n--
		}
	}
	return n
}

// looksX400 reports whether a local part (or a whole address without
// '@'), quoted or not, is an X.400 address or an encoding of one:
//   - Exchange's encapsulation (IMCEA): "IMCEA" + a type + '-', as in
//     "IMCEAEX-_O=ORG_OU=..._CN=RECIPIENTS_CN=BOB" and "IMCEAX400-c=US+3B...";
//   - an X.400 O/R address or Exchange legacy DN in slash form: it starts
//     with "/key=" and holds at least one more "/key=" ("/o=ORG/ou=SITE/
//     cn=RECIPIENTS/cn=bob", RFC 2156's "/C=US/ADMD=X/S=Smith/"), where a
//     key is 1-4 letters and an optional digit (c, o, ou, ou1, cn, admd,
//     prmd, s, g).
//
// The test is anchored at the first byte: an X.400 attribute in the middle
// of an ordinary address ("aaaa/o=@b.c") or a lone "/o=" followed by text
// is no X.400 address.
func looksX400(b []byte) bool {
	if len(b) > 0 && b[0] == '"' {
		b = b[1:]
		if n := len(b); n > 0 && b[n-1] == '"' {
			b = b[:n-1]
		}
	}
	if len(b) > 6 && bytes.EqualFold(b[:5], []byte("imcea")) {
		j := 5
		for j < len(b) && j < 5+16 && (b[j]|0x20 >= 'a' && b[j]|0x20 <= 'z' || b[j] >= '0' && b[j] <= '9') {
			j++
		}
		return j > 5 && j < len(b) && b[j] == '-'
	}
	if x400Key(b, 0) < 0 {
		return false
	}
	for i := 1; i < len(b); i++ {
		if b[i] == '/' && x400Key(b, i) > 0 {
			return true
		}
	}
	return false
}

// x400Key returns the index past "/key=" at b[i] (key: 1-4 letters and an
// optional digit), or -1.
func x400Key(b []byte, i int) int {
	if i >= len(b) || b[i] != '/' {
		return -1
	}
	j := i + 1
	for j < len(b) && j-i <= 4 && b[j]|0x20 >= 'a' && b[j]|0x20 <= 'z' {
		j++
	}
	if j == i+1 {
		return -1
	}
	if j < len(b) && b[j] >= '0' && b[j] <= '9' {
		j++
	}
	if j < len(b) && b[j] == '=' {
		return j + 1
	}
	return -1
}

// scanAddressList walks an address header. With report set it reports
// ADDR-001 to ADDR-004; it returns the number of mailboxes with a non-empty
// address, and the value index where mailbox number nth starts (-1 when
// there are fewer, or nth is 0).
func scanAddressList(p *part, f *field, report bool, nth int) (count, nthAt int) {
	s := walkAddressList(p, f, report, nth)
	return s.count, s.nthAt
}

// walkAddressList is scanAddressList returning the whole final state.
func walkAddressList(p *part, f *field, report bool, nth int) addrScanner {
	v := f.value
	s := addrScanner{p: p, f: f, v: v, report: report, nth: nth, nthAt: -1, nameOnly: -1}
	s.reset()
	var (
		angleStart  = -1 // inside <> when >= 0
		semiRun     = -1 // first ';' of a run, while only CFWS follows it
		groupColon  = -1 // ':' of a group with no display name
		groupCount  = 0  // mailboxes counted when the group opened
		sepDone     bool // ADDR-001 comment separator reported
		unbalanced  bool // ADDR-001 unbalanced bracket or quote reported
		semiDone    bool // ADDR-004 reported
		unbal       = func(i int, what string) {}
		reportSemis = report
	)
	if report {
		unbal = func(i int, what string) {
			if !unbalanced {
				unbalanced = true
				reportValue(p, f, "ADDR-001", i, fmt.Sprintf("%s in %s", what, f.name))
			}
		}
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch c {
		case ' ', '\t', '\r', '\n':
			s.spaced = s.segFirst >= 0
			continue
		case '(':
			end := hdrCommentEnd(v, i)
			if end < 0 {
				switch {
				case !f.truncated:
					unbal(i, "comment opened and never closed")
				case neverClosed(f, i): // a short one may close in the bytes not kept
					unbal(i, fmt.Sprintf("comment still open after %d bytes where the field was cut for checking", len(v)-i))
				}
				i = len(v)
				continue
			}
			if report && !sepDone {
				if k := commentSeparator(v[i:end]); k >= 0 {
					sepDone = true
					reportValue(p, f, "ADDR-001", i, fmt.Sprintf("comment holding %q in %s (KB 231748)", v[i+k], f.name))
				}
			}
			i = end - 1
			s.spaced = s.segFirst >= 0 // a comment separates words as white space does
			continue
		case ')':
			unbal(i, "')' that closes no comment")
		case '"':
			end := hdrQuoteEnd(v, i)
			if end < 0 {
				if !f.truncated {
					unbal(i, "quoted string never closed")
				}
				s.mark(i, len(v))
				if angleStart < 0 {
					s.quoted = true
				}
				i = len(v)
				continue
			}
			s.mark(i, end)
			if angleStart < 0 {
				s.quoted = true
			}
			semiRun = -1
			i = end - 1
			continue
		case '[':
			end := bytes.IndexByte(v[i:], ']')
			if end < 0 {
				// A domain literal that never closes is as unbalanced as a
				// '<' that never closes. The '[' is then an ordinary byte
				// and the walk goes on: skipping to the end of the value
				// hid every comment and bracket after it.
				if neverClosed(f, i) {
					unbal(i, "'[' (domain literal) never closed")
				}
				s.mark(i, i+1)
				semiRun = -1
				continue
			}
			s.mark(i, i+end+1)
			semiRun = -1
			i += end
			continue
		case '<':
			if angleStart >= 0 {
				unbal(i, "'<' inside an angle address")
			} else {
				angleStart = i
			}
		case '>':
			if angleStart < 0 {
				unbal(i, "'>' without '<'")
			} else {
				s.hasAngle = true
				s.specStart, s.specEnd = angleStart+1, i
				s.atAngle = -1
				if at := bytes.LastIndexByte(v[angleStart+1:i], '@'); at >= 0 {
					s.atAngle = angleStart + 1 + at
				}
				angleStart = -1
			}
		case '@':
			if angleStart < 0 {
				s.atTop = i
			}
		case ',':
			if angleStart >= 0 {
				break // source route inside <>
			}
			s.finish()
			semiRun = -1
			continue
		case ';':
			if angleStart >= 0 {
				break
			}
			if reportSemis && !semiDone {
				switch {
				case groupColon >= 0 && s.segFirst < 0 && s.count == groupCount:
					semiDone = true
					reportValue(p, f, "ADDR-004", groupColon, fmt.Sprintf("empty group with no name (:;) in %s (CVE-2021-3181)", f.name))
				case semiRun >= 0:
					semiDone = true
					reportValue(p, f, "ADDR-004", semiRun, fmt.Sprintf("run of ';' in %s (CVE-2021-3181)", f.name))
				}
			}
			s.finish()
			groupColon = -1
			if semiRun < 0 {
				semiRun = i
			}
			continue
		case ':':
			if angleStart >= 0 {
				break // route "<@a,@b:user@c>"
			}
			// The text so far was the group's display name, not a mailbox.
			groupColon = -1
			if s.segFirst < 0 {
				groupColon = i
			}
			s.reset()
			groupCount = s.count
			semiRun = -1
			continue
		}
		s.mark(i, i+1)
		semiRun = -1
	}
	if angleStart >= 0 && !f.truncated {
		unbal(angleStart, "'<' never closed")
	}
	s.finish()
	if report {
		checkBracketFlood(p, f)
	}
	return s
}

// commentSeparator returns the index in comment (which includes its
// parentheses) of a ',' or ';' that is not a quoted pair, or -1.
func commentSeparator(comment []byte) int {
	for k := 0; k < len(comment); k++ {
		switch comment[k] {
		case '\\':
			k++
		case ',', ';':
			return k
		}
	}
	return -1
}

// checkBracketFlood reports ADDR-003: more than Limits.Brackets angle
// brackets and parentheses in one address of an address header, the input
// that overflowed sendmail's crackaddr (CVE-2002-1337), which parses one
// address at a time. Counting per address (between top-level commas)
// rather than per header keeps long legitimate lists ("A <a@x>, B <b@x>,
// ...", four brackets per mailbox) from matching. Every bracket counts,
// balanced or not, as it did in sendmail; quoted strings are skipped.
func checkBracketFlood(p *part, f *field) {
	v := f.value
	limit := p.opts.Limits.Brackets
	n, first, depth := 0, -1, 0
	flush := func() bool {
		if n > limit {
			reportValue(p, f, "ADDR-003", first, fmt.Sprintf("%d angle brackets and parentheses in one address of %s (limit %d)", n, f.name, limit))
			return true
		}
		n, first = 0, -1
		return false
	}
	for i := 0; i < len(v); i++ {
		switch c := v[i]; c {
		case '"':
			if depth == 0 {
				if end := hdrQuoteEnd(v, i); end > 0 {
					i = end - 1
				}
			}
		case '\\':
			i++
		case '(', ')', '<', '>':
			if first < 0 {
				first = i
			}
			n++
			if c == '(' {
				depth++
			} else if c == ')' && depth > 0 {
				depth--
			}
		case ',':
			if depth == 0 && flush() {
				return
			}
		}
	}
	flush()
}

// isRootMessage reports whether p is the message itself, not a part or an
// embedded message.
func isRootMessage(p *part) bool { return p.depth == 0 && p.rfc822Depth == 0 && p.parent == nil }

// checkRecipientCount reports ADDR-005 on the message: more than
// Limits.Recipients mailboxes in To, Cc and Bcc together, or more than
// that many x-receiver lines in the envelope (the Exchange pickup limit).
// The finding points at the first recipient over the limit.
func checkRecipientCount(p *part) {
	if !isRootMessage(p) {
		return
	}
	limit := p.opts.Limits.Recipients
	total := 0
	var over *field
	overAt := -1
	for i := range p.fields {
		f := &p.fields[i]
		if classifyHeader(f.name)&kRecipient == 0 {
			continue
		}
		nth := 0
		if over == nil {
			nth = limit + 1 - total
		}
		n, at := scanAddressList(p, f, false, nth)
		if at >= 0 && over == nil {
			over, overAt = f, at
		}
		total += n
	}
	switch {
	case over != nil:
		reportValue(p, over, "ADDR-005", overAt, fmt.Sprintf("%d recipients in To, Cc and Bcc (limit %d)", total, limit))
	case p.envOver != nil:
		p.report("ADDR-005", p.envOver.off, p.envOver.line, fmt.Sprintf("%d x-receiver lines in the envelope (limit %d)", p.envReceivers, limit), p.envOver.evidence)
	}
}

// checkSenderPresent reports ADDR-006 on the message: no From header, or
// only empty ones, and no x-sender envelope line. IIS moves such a pickup
// file to BadMail with 0xC00402CE (KB 319285). A From that holds only a
// display name ("From: John Smith", "From: \"John Smith\"") names no
// mailbox and is as empty as "From: <>" (see addrScanner.hasAddress).
func checkSenderPresent(p *part) {
	if !isRootMessage(p) {
		return
	}
	var from *field
	nameOnly := false
	for i := range p.fields {
		f := &p.fields[i]
		switch {
		case f.is("x-sender"):
			if len(bytes.TrimSpace(f.value)) > 0 {
				return
			}
		case f.is("from"):
			s := walkAddressList(p, f, false, 0)
			if s.withAddr > 0 {
				return
			}
			if from == nil {
				from, nameOnly = f, s.nameOnly >= 0
			}
		}
	}
	if from != nil {
		msg := "From header holds no address and there is no x-sender line (BadMail 0xC00402CE)"
		if nameOnly {
			msg = "From header holds a display name but no address, and there is no x-sender line (BadMail 0xC00402CE)"
		}
		p.report("ADDR-006", from.offset, from.line, msg, hdrFieldHead(from))
		return
	}
	if len(p.fields) > 0 && bytes.HasPrefix(p.fields[0].name, utf8BOM) && p.fields[0].offset == 0 {
		p.report("ADDR-006", 0, 1, "no From header and no x-sender line (BadMail 0xC00402CE): the file starts with a UTF-8 byte order mark (as Notepad saves it), so the first field is not read as "+displayText(p.fields[0].name[len(utf8BOM):], 40), p.fields[0].name)
		return
	}
	p.report("ADDR-006", 0, 1, "no From header and no x-sender line (BadMail 0xC00402CE)", nil)
}

// utf8BOM is the UTF-8 byte order mark that Notepad writes at the start of
// a file: the server reads it as part of the first field's name.
var utf8BOM = []byte("\xef\xbb\xbf")
