package mime

import (
	"fmt"
)

// Structure and line rules owned by the scanner core: STR-001, STR-002,
// STR-003, STR-004, STR-005 and STR-009. They need the line stream itself,
// so the core calls them directly instead of through the check registries.
//
// Where each finding points:
//   - STR-001: the first body line that follows the header without an empty
//     line (the line that is neither a header field nor a continuation, when
//     the line after it is not a header field either, or the input ends).
//   - STR-002: the first offending line ending itself (the LF or CR byte),
//     one finding per kind (bare LF, bare CR), with counts in the message.
//   - STR-003: the start of the lone "." line.
//   - STR-004: the start of the long line; header lines over
//     Limits.HeaderLineCrash are crash-class.
//   - STR-005: the start of the header block.
//   - STR-009: offset 0 for an empty file; the end of the file for a header
//     block that never ends; the start of the last line when the file ends
//     without a line ending (one finding when that line is a header line).

// lineStats counts line endings for STR-002.
type lineStats struct {
	crlf, lf, cr int64
	firstLF      lineEvidence
	firstCR      lineEvidence
}

type lineEvidence struct {
	off  int64
	line int
	path string
	ex   []byte
}

// endLine runs the per-line rules when a line ends (eol nil: the input
// ended inside the line). data is the line's last piece.
func (s *scanner) endLine(data, eol []byte) {
	head := data
	if s.lineHeadN > 0 {
		head = s.lineHead[:s.lineHeadN]
	}
	path := s.top().p.path
	switch {
	case len(eol) == 2:
		s.lines.crlf++
	case len(eol) == 1 && eol[0] == '\n':
		if s.lines.lf == 0 {
			s.lines.firstLF = lineEvidence{s.off - 1, s.lineNo, path, excerptBytes(head, eol)}
		}
		s.lines.lf++
	case len(eol) == 1:
		if s.lines.cr == 0 {
			s.lines.firstCR = lineEvidence{s.off - 1, s.lineNo, path, excerptBytes(head, eol)}
		}
		s.lines.cr++
	}
	if s.lineLen > int64(s.lim.LineLength) && s.wants("STR-004") {
		sev, what := High, "line"
		if s.lineInHeader {
			what = "header line"
			if s.lineLen > int64(s.lim.HeaderLineCrash) {
				sev = Crash
			}
		}
		s.rep.addSeverity("STR-004", sev, path, s.lineOff, s.lineNo,
			fmt.Sprintf("%s of %d octets (limit %d)", what, s.lineLen, s.lim.LineLength), head)
	}
	if s.lineLen == 1 && len(head) == 1 && head[0] == '.' && s.pickupLike {
		s.rep.add("STR-003", path, s.lineOff, s.lineNo,
			"line holding only \".\": the pickup service ends the message here and sends the rest as SMTP commands", excerptBytes(head, eol))
	}
}

// wants reports whether a finding of the rule would be kept, counting it
// as omitted when the rule is at its cap, so that callers can skip building
// the message (a file of a million long lines allocates nothing past the cap).
func (s *scanner) wants(rule string) bool {
	if !s.rep.enabled(rule) {
		return false
	}
	if s.rep.full(rule) {
		s.rep.omitted++
		return false
	}
	return true
}

// excerptBytes joins a line's head and its ending for an excerpt without
// allocating more than ExcerptMax+2 bytes.
func excerptBytes(head, eol []byte) []byte {
	if len(head) > ExcerptMax {
		head = head[:ExcerptMax+1]
	}
	b := make([]byte, 0, len(head)+len(eol))
	return append(append(b, head...), eol...)
}

// lineChecksAtEOF reports the whole-file line rules once the input ended.
func (s *scanner) lineChecksAtEOF(partial bool) {
	total := s.lines.crlf + s.lines.lf + s.lines.cr
	if s.lines.lf > 0 {
		ev := s.lines.firstLF
		msg := fmt.Sprintf("bare LF line ending (%d of %d line endings)", s.lines.lf, total)
		if s.lines.crlf > 0 {
			msg += fmt.Sprintf(", mixed with %d CRLF", s.lines.crlf)
		}
		s.rep.add("STR-002", ev.path, ev.off, ev.line, msg, ev.ex)
	}
	if s.lines.cr > 0 {
		ev := s.lines.firstCR
		msg := fmt.Sprintf("bare CR line ending (%d of %d line endings)", s.lines.cr, total)
		s.rep.add("STR-002", ev.path, ev.off, ev.line, msg, ev.ex)
	}
	if s.off == 0 {
		s.rep.add("STR-009", "1", 0, 1, "empty file (0 bytes)", nil)
		return
	}
	if partial {
		head := s.lineHead[:s.lineHeadN]
		msg := "file ends in the middle of a line (no line ending)"
		if s.cutInHeader {
			msg = "file ends in the middle of a header line (no line ending, no empty line after the header)"
		}
		s.rep.add("STR-009", s.lastPath, s.lineOff, s.eofLine, msg, head)
	}
}

// str001 reports a body that starts without an empty line after the header.
func (s *scanner) str001(e *entity, off int64, line int, ev []byte) {
	e.p.report("STR-001", off, line, "header block not ended by an empty line: the body starts here", ev)
}

// str009 reports a truncated file.
func (s *scanner) str009(e *entity, off int64, line int, msg string) {
	e.p.report("STR-009", off, line, msg, nil)
}

// headerBlockRules runs the rules about one whole header block (STR-005).
func (s *scanner) headerBlockRules(e *entity) {
	if s.hdrBytes > int64(s.lim.HeaderBlock) {
		e.p.report("STR-005", e.headerOff, e.headerLn,
			fmt.Sprintf("header block of %d bytes (limit %d)", s.hdrBytes, s.lim.HeaderBlock), nil)
	}
}
