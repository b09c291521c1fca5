package mime

import "bytes"

// The bulk path. Most of a queue's bytes are the bodies of leaf parts
// (base64 attachments above all), a 78-byte line at a time; handing each
// line through the line reader, the dispatch and every checker cost more
// than the checks themselves. When the top entity is a leaf in its body and
// no line is in progress, bulkBody takes from the read window the longest
// run of whole lines that the line-at-a-time path would treat alike:
//
//   - every line ends the same way, all CRLF or all bare LF (a bare-LF
//     run only once STR-002's first-LF evidence is recorded), and no other
//     CR stands in the run (a bare CR ends a line of its own);
//   - no line is longer than Limits.LineLength (STR-004 takes it);
//   - while a multipart is open, no line starts with "--" (it may be a
//     delimiter); in a pickup-like folder, no line is a lone "." (STR-003).
//
// It hands the run to each checker at once (lineBlockWriter) or line by
// line, and updates the counters endLine would have. The reporter holds
// back the run's findings and then keeps them in line-at-a-time order, so
// the findings limits drop the same ones; a lineBlockWriter sets
// reporter.at to the line it reads before it reports. What stops a run is
// left to the line-at-a-time path, so the findings are the same either way
// (TestBulkMatchesLineByLine feeds every corpus message both ways).

// lineBlockWriter is implemented by body checkers that can take a run of
// whole lines in one call; before a finding they set reporter.at to the
// line they read. block holds n lines with their endings, each ending
// eolLen bytes long ("\r\n" or "\n") and no CR elsewhere; block[0] is at
// file offset off and starts line number line.
type lineBlockWriter interface {
	writeLines(block []byte, off int64, line, n, eolLen int)
}

// bulkBody consumes a run of whole body lines of leaf e from the read
// window, if there is one, and reports whether it did.
func (s *scanner) bulkBody(e *entity) bool {
	if s.off < s.noBulkUntil {
		return false
	}
	w := s.lr.buffered()
	byLength := s.off >= s.noGuessUntil
	n, lines, eolLen, seen := s.bulkRun(w, byLength)
	if lines == 0 {
		// What was looked at goes to the line-at-a-time path: the rejected
		// first line, or the whole window when it holds no LF. Otherwise
		// the same bytes would be searched again for every line that path
		// takes (a window of bare-CR lines before a long line).
		s.noBulkUntil = s.off + int64(seen)
		return false
	}
	// Every line of the run ends with its ending, so the run holds at
	// least lines*eolLen CR and LF bytes; exactly that many means there is
	// no other: no bare CR, and no LF inside a line taken by its length.
	s.lr.searched += int64(n)
	if countLineEnds(w[:n]) != lines*eolLen {
		if byLength {
			// Search every line end up to where this run reached (the
			// first line is the same either way, so one is taken).
			s.noGuessUntil = s.off + int64(n)
			n, lines, eolLen, _ = s.bulkRun(w, false)
			s.lr.searched += int64(n)
		}
		if countLineEnds(w[:n]) != lines*eolLen {
			// A bare CR, where the line-at-a-time path splits the line.
			// That path takes the whole run, so no byte is searched here
			// again for every line it holds.
			s.noBulkUntil = s.off + int64(n)
			return false
		}
	}
	block := w[:n]
	s.mode = modeLeaf
	var ends []int32 // where each line of the run ends, found once for all checkers
	s.rep.deferring = true
	for _, c := range e.checkers {
		s.rep.at = s.lineNo
		if bw, ok := c.(lineBlockWriter); ok {
			bw.writeLines(block, s.off, s.lineNo, lines, eolLen)
			continue
		}
		if ends == nil {
			if s.lineEnds == nil {
				s.lineEnds = s.lineEndsBuf[:0] // no allocation for the runs of a small text part
			}
			s.lineEnds = s.lineEnds[:0]
			for i := 0; i < n; {
				i += bytes.IndexByte(block[i:], '\n') + 1
				s.lineEnds = append(s.lineEnds, int32(i))
			}
			ends = s.lineEnds
		}
		start, line := 0, s.lineNo
		for _, end := range ends {
			s.rep.at = line
			c.write(block[start:int(end)-eolLen], s.off+int64(start), line, block[int(end)-eolLen:end])
			start = int(end)
			line++
		}
	}
	s.rep.settle()
	if eolLen == 2 {
		s.lines.crlf += int64(lines)
	} else {
		s.lines.lf += int64(lines)
	}
	last := bytes.LastIndexByte(block[:n-1], '\n') + 1 // start of the last line
	s.lineOff = s.off + int64(last)
	s.lineLen = int64(n - last - eolLen)
	s.lineHeadN = 0
	s.lineInHeader = false
	s.off += int64(n)
	s.lineNo += lines
	s.prevEOL = eolLen
	s.lr.consume(n)
	return true
}

// writeEachLine hands a run of whole lines to c a line at a time, telling
// r which line c is reading.
func writeEachLine(r *reporter, c bodyChecker, block []byte, off int64, line, eolLen int) {
	for len(block) > 0 {
		r.at = line
		k := bytes.IndexByte(block, '\n') + 1
		c.write(block[:k-eolLen], off, line, block[k-eolLen:k])
		off += int64(k)
		block = block[k:]
		line++
	}
}

// bulkRun finds the run of lines at the start of w that bulkBody may take:
// its length, its number of lines, their ending's length, and how many
// bytes were looked at (the run and the line or rest of window that
// stopped it). It adds the bytes its searches cover to lr.searched. With
// byLength, a line is first assumed to be as long as the one before it (in
// an attachment all but the last are) and only its last byte and line
// ending are looked at; the caller must then check that the run holds no
// LF but the line ends. Without, every line end is searched for.
func (s *scanner) bulkRun(w []byte, byLength bool) (n, lines, eolLen, seen int) {
	maxLen := s.lim.LineLength
	dashes := s.openMP > 0
	prev := 0 // length of the previous line, ending included
	for n < len(w) {
		k := -1
		if byLength && prev > 0 && n+prev <= len(w) && w[n+prev-1] == '\n' {
			k = prev - 1
		} else if k = bytes.IndexByte(w[n:], '\n'); k < 0 {
			s.lr.searched += int64(len(w) - n)
			return n, lines, eolLen, len(w)
		} else {
			s.lr.searched += int64(k + 1)
		}
		seen = n + k + 1
		el := 1
		if k > 0 && w[n+k-1] == '\r' {
			el = 2
		}
		if eolLen == 0 {
			if el == 1 && s.lines.lf == 0 {
				break // the first bare LF: endLine records its evidence
			}
			eolLen = el
		} else if el != eolLen {
			break
		}
		ll := k + 1 - el
		if ll > maxLen ||
			(dashes && ll >= 2 && w[n] == '-' && w[n+1] == '-') ||
			(s.pickupLike && ll == 1 && w[n] == '.') {
			break
		}
		n += k + 1
		prev = k + 1
		lines++
	}
	return n, lines, eolLen, seen
}

// countLineEndsGeneric counts CR and LF bytes with two byte counts.
func countLineEndsGeneric(b []byte) int {
	return bytes.Count(b, []byte{'\r'}) + bytes.Count(b, []byte{'\n'})
}

// bulkReady reports whether the next line may go to bulkBody: the top
// entity is a leaf in its body and no line is in progress.
func (s *scanner) bulkReady() (*entity, bool) {
	if s.inLine || s.pendingChild != nil || s.opts.lineByLine {
		return nil, false
	}
	e := s.top()
	return e, e.kind == kindLeaf && e.phase == phBody
}

// lineAfter returns the line number of block[i], block starting line line.
func lineAfter(block []byte, i int, line int) int {
	return line + bytes.Count(block[:i], []byte{'\n'})
}

// lineRest returns block[i:] up to the end of its line, without the ending.
func lineRest(block []byte, i int) []byte {
	rest := block[i:]
	if k := bytes.IndexAny(rest, "\r\n"); k >= 0 {
		rest = rest[:k]
	}
	return rest
}
