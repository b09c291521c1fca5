package mime

import "fmt"

// Header structure rules owned by the scanner core: HDR-003 (malformed
// header lines, found while splitting the block into fields), HDR-004 (too
// many fields) and HDR-006 (duplicate unique fields). The core calls them as
// it reads, so they see every field even past the storage caps.
//
// A line in a header block that is neither a field ("name:", any bytes in
// the name but white space and ':') nor a continuation is held back until
// the next line: a field or the empty line after it makes it a malformed
// header line (HDR-003); another non-field line, or the end of the input,
// makes it the first body line of a header without its empty line (STR-001,
// the body then starts at the held line). A Unix "From " line is tolerated
// as the first line of a header block (mbox) and is HDR-003 anywhere else.
//
// Where each finding points: HDR-003 at the start of the offending line;
// HDR-004 at the first field over the limit; HDR-006 at the second
// occurrence of the field.

// uniqueHeaders are the fields HDR-006 expects at most once per part.
var uniqueHeaders = [...]string{"From", "Subject", "Date", "Message-ID", "Content-Type"}

// hdrReport reports a malformed header line (HDR-003).
func (s *scanner) hdrReport(e *entity, off int64, line int, msg string, ev []byte) {
	e.p.report("HDR-003", off, line, msg, ev)
}

// fieldRules runs HDR-004 and HDR-006 on each completed field.
func (s *scanner) fieldRules(e *entity, f *field) {
	if e.nfields == s.lim.HeaderFields+1 {
		e.p.report("HDR-004", f.offset, f.line,
			fmt.Sprintf("more than %d header fields in one header block", s.lim.HeaderFields), f.name)
	}
	for i, name := range uniqueHeaders {
		if f.is(name) {
			e.unique[i]++
			if e.unique[i] == 2 {
				e.p.report("HDR-006", f.offset, f.line, "duplicate "+name+" field", fieldEvidence(f))
			}
			break
		}
	}
}

// fieldEvidence returns the start of a field ("Name:value") for an
// excerpt, copying no more than an excerpt shows.
func fieldEvidence(f *field) []byte {
	b := make([]byte, 0, ExcerptMax+1)
	b = append(b, f.name[:min(len(f.name), ExcerptMax+1)]...)
	b = append(b, ':')
	return append(b, f.value[:min(len(f.value), ExcerptMax+1-min(len(b), ExcerptMax+1))]...)
}
