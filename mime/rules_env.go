package mime

import (
	"bytes"
	"fmt"
	"strings"
)

// Envelope and submission rules ENV-001, ENV-002 and ENV-003 (ENV-004 needs
// the file system and belongs to package queue). The core calls them while
// it reads the top-level header block (envState.field) and when the block
// ends (rootHeaderDone).
//
// Where each finding points: at the offending envelope or header field;
// rules about something missing point at the start of the header block.
// ENV-001 is checked in every folder except replay, whose stricter format
// is ENV-002's.

// envLineRules checks one x-sender / x-receiver line.
func (s *scanner) envLineRules(st *envState, f *field, isSender bool, addr, params string, n int) {
	p := s.root.p
	ev := fieldEvidence(f)
	rule := "ENV-001"
	if s.opts.Folder == FolderReplay {
		rule = "ENV-002"
		s.replayParams(f, params, ev)
	}
	name := "x-receiver"
	if isSender {
		name = "x-sender"
	}
	switch {
	case st.sawOrdinary:
		p.report(rule, f.offset, f.line, name+" line after an ordinary header field (envelope lines must come first)", ev)
	case isSender && st.nSender > 1:
		p.report(rule, f.offset, f.line, "x-sender repeated", ev)
	case !isSender && st.nSender == 0 && st.nReceiver == 1 && rule == "ENV-001":
		p.report(rule, f.offset, f.line, "x-receiver before any x-sender (x-sender must be the first line)", ev)
	}
	switch {
	case n > 1:
		p.report(rule, f.offset, f.line, fmt.Sprintf("%s line with %d addresses (one per line)", name, n), ev)
	case n == 0 && isSender && isNullPath(f):
		// The null reverse-path "<>" (RFC 5321 4.5.5) is how bounces and
		// delivery reports are sent; replaying one with a real sender
		// would invite bounce loops, so it is not a missing address.
	case n == 0:
		p.report(rule, f.offset, f.line, name+" line without an address", ev)
	}
}

// isNullPath reports whether an envelope line's value is the null
// reverse-path "<>", ESMTP parameters after it allowed.
func isNullPath(f *field) bool {
	return bytes.HasPrefix(f.unfolded(), []byte("<>"))
}

// replayField checks a non-address field of a Replay file (ENV-002).
func (s *scanner) replayField(st *envState, f *field) {
	if !isReplayXHeader(f) {
		return
	}
	p := s.root.p
	ev := fieldEvidence(f)
	if st.sawOrdinary {
		p.report("ENV-002", f.offset, f.line, "Replay X-header after an ordinary header field", ev)
	}
	if f.is("x-createdby") && len(f.unfolded()) == 0 {
		p.report("ENV-002", f.offset, f.line, "blank X-CreatedBy", ev)
	}
}

// replayParams checks the RET and NOTIFY parameters of a Replay envelope line.
func (s *scanner) replayParams(f *field, params string, ev []byte) {
	for _, w := range strings.Fields(params) {
		k, v, ok := strings.Cut(w, "=")
		if !ok {
			continue
		}
		switch strings.ToUpper(k) {
		case "RET":
			if !strings.EqualFold(v, "FULL") && !strings.EqualFold(v, "HDRS") {
				s.root.p.report("ENV-002", f.offset, f.line, fmt.Sprintf("bad RET value %q (want FULL or HDRS)", displayText([]byte(v), 40)), ev)
			}
		case "NOTIFY":
			if !validNotify(v) {
				s.root.p.report("ENV-002", f.offset, f.line, fmt.Sprintf("bad NOTIFY value %q (want NEVER, or SUCCESS, FAILURE, DELAY)", displayText([]byte(v), 40)), ev)
			}
		}
	}
}

func validNotify(v string) bool {
	if strings.EqualFold(v, "NEVER") {
		return true
	}
	for _, w := range strings.Split(v, ",") {
		switch strings.ToUpper(w) {
		case "SUCCESS", "FAILURE", "DELAY":
		default:
			return false
		}
	}
	return true
}

// rootHeaderDone builds the summary once the top-level header block has
// ended and runs the block-level envelope rules.
func (s *scanner) rootHeaderDone(e *entity) {
	p := e.p
	s.headers = summarize(p.fields)
	if s.opts.KeepFields {
		s.fields = make([]Field, 0, len(p.fields))
		for i := range p.fields {
			f := &p.fields[i]
			s.fields = append(s.fields, Field{
				Name:   displayText(f.name, 256),
				Value:  displayText(bytes.TrimSpace(f.value), displayMax),
				Offset: f.offset, Line: f.line,
			})
		}
	}
	st := &s.env
	if s.opts.Folder == FolderReplay {
		if st.nSender == 0 {
			p.report("ENV-002", e.headerOff, e.headerLn, "Replay file without X-Sender", nil)
		}
		if st.nReceiver == 0 {
			p.report("ENV-002", e.headerOff, e.headerLn, "Replay file without X-Receiver", nil)
		}
	}
	if s.opts.Folder == FolderExchangePickup || s.opts.Folder == FolderReplay {
		s.pickupRules(e)
	}
}

// pickupRules checks the Exchange 2007+ Pickup submission rules (ENV-003).
func (s *scanner) pickupRules(e *entity) {
	p := e.p
	if s.hdrBytes > int64(s.lim.HeaderBlock) {
		p.report("ENV-003", e.headerOff, e.headerLn, fmt.Sprintf("header of %d bytes is over the pickup limit of %d", s.hdrBytes, s.lim.HeaderBlock), nil)
	}
	var from, sender, rcpt int
	var fromF, senderF, toF *field
	for i := range p.fields {
		f := &p.fields[i]
		switch {
		case f.is("from"):
			from += countMailboxes(f.value)
			if fromF == nil {
				fromF = f
			}
		case f.is("sender"):
			sender += countMailboxes(f.value)
			if senderF == nil {
				senderF = f
			}
		case f.is("to"), f.is("cc"), f.is("bcc"):
			rcpt += countMailboxes(f.value)
			if toF == nil {
				toF = f
			}
		}
	}
	fieldEv := func(f *field) (int64, int, []byte) {
		if f == nil {
			return e.headerOff, e.headerLn, nil
		}
		return f.offset, f.line, fieldEvidence(f)
	}
	if from == 0 && sender == 0 {
		off, line, ev := fieldEv(fromF)
		p.report("ENV-003", off, line, "no address in Sender or From", ev)
	}
	if sender > 1 {
		off, line, ev := fieldEv(senderF)
		p.report("ENV-003", off, line, fmt.Sprintf("Sender holds %d addresses (one allowed)", sender), ev)
	}
	if from > 1 && senderF == nil {
		off, line, ev := fieldEv(fromF)
		p.report("ENV-003", off, line, fmt.Sprintf("%d From addresses without a Sender", from), ev)
	}
	envRcpt := s.env.nReceiver
	switch {
	case rcpt == 0 && envRcpt == 0:
		p.report("ENV-003", e.headerOff, e.headerLn, "no recipient address in To, Cc or Bcc", nil)
	case max(rcpt, envRcpt) > s.lim.Recipients:
		off, line, ev := fieldEv(toF)
		p.report("ENV-003", off, line, fmt.Sprintf("%d recipients (pickup limit %d)", max(rcpt, envRcpt), s.lim.Recipients), ev)
	}
}

// countMailboxes counts the elements of an address list that hold an
// address (an '@'), groups and display names alone not counted.
func countMailboxes(v []byte) int {
	elems, _ := splitAddressList(v, 1<<20)
	n := 0
	for _, e := range elems {
		if bytes.IndexByte(e, '@') >= 0 {
			n++
		}
	}
	return n
}
