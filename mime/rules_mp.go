package mime

import (
	"fmt"
	"strings"
)

// Multipart structure rules MP-001..MP-011. The header-level ones (MP-003,
// MP-004, MP-005, MP-009, MP-011) are ordinary headerChecks; the ones that
// need the delimiter stream (MP-001, MP-002, MP-010) and the tree counters
// (MP-006, MP-007, MP-008) are called by the core.
//
// Where each finding points:
//   - MP-001: the start of the multipart's body (where its first delimiter
//     was due), in both cases: boundary never seen, and a preamble over
//     Limits.Preamble holding header-like lines (the excerpt then shows the
//     first such line).
//   - MP-002: where the multipart's body ends without its closing delimiter:
//     the end of the file, or the start of the line ending before an
//     ancestor's delimiter that closed it (the line ending before a delimiter
//     belongs to the delimiter, RFC 2046 5.1.1).
//   - MP-003, MP-005: the boundary parameter's value in the Content-Type
//     field (the field value's start when it is missing).
//   - MP-004: the name of the second boundary parameter, plain or RFC 2231
//     (the first section of a continued one).
//   - MP-006, MP-007, MP-008: the header start of the first entity over the
//     limit (reported once per message).
//   - MP-009: the Content-Type field value of the digest.
//   - MP-010: the closing delimiter line that came first, or the body start
//     of a multipart without any part.
//   - MP-011: the Content-Transfer-Encoding field value.

func init() {
	headerChecks = append(headerChecks, checkBoundaryParam, checkDigest, checkEncodedComposite)
}

// mpReport reports a core multipart finding for entity e.
func (s *scanner) mpReport(rule string, e *entity, off int64, line int, msg string, ev []byte) {
	e.p.report(rule, off, line, msg, ev)
}

// structureChecks reports MP-006, MP-007 and MP-008 for a new entity, once
// per message each, when its header block has been read.
func (s *scanner) structureChecks(e *entity) {
	p := e.p
	ev := []byte(nil)
	if f := p.field("Content-Type"); f != nil {
		ev = fieldEvidence(f)
	}
	if p.depth > s.lim.Nesting && !s.flags.nesting {
		s.flags.nesting = true
		msg := fmt.Sprintf("MIME nesting depth %d exceeds %d", p.depth, s.lim.Nesting)
		if s.lim.NestingHardStop > s.lim.Nesting {
			msg += fmt.Sprintf(" (the scanner stops descending at %d)", s.lim.NestingHardStop)
		}
		p.report("MP-006", e.headerOff, e.headerLn, msg, ev)
	}
	if p.rfc822Depth > s.lim.RFC822Depth && !s.flags.rfc822 {
		s.flags.rfc822 = true
		p.report("MP-007", e.headerOff, e.headerLn,
			fmt.Sprintf("message/rfc822 embedded %d deep (limit %d)", p.rfc822Depth, s.lim.RFC822Depth), ev)
	}
	if s.nparts > s.lim.Parts && !s.flags.parts {
		s.flags.parts = true
		p.report("MP-008", e.headerOff, e.headerLn, fmt.Sprintf("more than %d MIME parts", s.lim.Parts), ev)
	}
}

// preambleRules runs when the first delimiter of a multipart is found:
// MP-001 for a large preamble with header-like lines.
func (s *scanner) preambleRules(e *entity) {
	if e.preBytes > int64(s.lim.Preamble) && e.preHdrOff >= 0 {
		e.p.report("MP-001", e.bodyOff, e.bodyLn,
			fmt.Sprintf("preamble of %d bytes holds header-like lines (first at offset %d, line %d): the first boundary is missing",
				e.preBytes, e.preHdrOff, e.preHdrLn), []byte(e.preHdrEx))
	}
}

// bchars is RFC 2046's set of boundary characters (space allowed, but not last).
func isBchar(c byte) bool {
	switch {
	case c >= '0' && c <= '9', c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		return true
	}
	return strings.IndexByte("'()+_,-./:=? ", c) >= 0
}

// checkBoundaryParam: MP-003, MP-004, MP-005.
func checkBoundaryParam(p *part) {
	if !p.isMultipart() {
		return
	}
	f := p.field("Content-Type")
	if f == nil {
		return
	}
	_, params := scParseStructured(f.value)
	var bs []scParam  // plain boundary= parameters, in file order
	var ext []scParam // RFC 2231 ones: boundary*= and sections boundary*<n>, boundary*<n>*
	// MP-004 counts every boundary parameter: each plain one, each
	// boundary*=, and the sections together as one (a continued value),
	// placed where the first section is.
	nb, secondAt := 0, -1 // the count, and the name index of the second one
	sections := false
	for _, pr := range params {
		switch {
		case pr.name == "boundary":
			bs = append(bs, pr)
		case strings.HasPrefix(pr.name, "boundary*") && param2231Suffix(pr.name[len("boundary*"):]):
			ext = append(ext, pr)
			if pr.name != "boundary*" {
				if sections {
					continue
				}
				sections = true
			}
		default:
			continue
		}
		if nb++; nb == 2 {
			secondAt = pr.nameAt
		}
	}
	if len(bs) == 0 {
		v, ok := p.params["boundary"]
		if !ok {
			off, line := f.at(0)
			p.report("MP-003", off, line, "multipart without a boundary parameter", f.value)
			return
		}
		// RFC 2231 form only (boundary*0=..., boundary*=...): check the
		// joined value, pointing at the field value.
		bs = append(bs, scParam{name: "boundary", value: v})
	}
	b := bs[0]
	off, line := f.at(b.valueAt)
	ev := f.value[b.nameAt:]
	switch n := len(b.value); {
	case n == 0:
		p.report("MP-003", off, line, "empty boundary parameter", ev)
	case n > p.opts.Limits.BoundaryCrash:
		p.rep.addSeverity("MP-003", Crash, p.path, off, line, fmt.Sprintf("boundary of %d characters (crash-class above %d)", n, p.opts.Limits.BoundaryCrash), ev)
	case n > 70:
		p.report("MP-003", off, line, fmt.Sprintf("boundary of %d characters (RFC 2046 allows 70)", n), ev)
	default:
		for i := 0; i < n; i++ {
			if c := b.value[i]; !isBchar(c) {
				p.report("MP-003", off, line, fmt.Sprintf("boundary holds %q, which RFC 2046 forbids", string(c)), ev)
				break
			}
		}
		if b.value[n-1] == ' ' {
			p.report("MP-003", off, line, "boundary ends with a space, which RFC 2046 forbids", ev)
		}
	}
	// MP-004. A plain boundary next to an RFC 2231 one is reported whether
	// their values differ or not, as two plain ones are: Go's mime package
	// takes the RFC 2231 value, Python's compat32 the plain one, and
	// whether the two agree depends on each parser's RFC 2231 decoding
	// (percent escapes, the charset, sections out of order or with gaps:
	// Go stops at the first gap, scParamMap joins them all), which this
	// scanner cannot reproduce for every reader. A boundary is plain
	// ASCII: no sender needs RFC 2231 for it, let alone both forms.
	// Only the finding is added: the scanner still follows the boundary
	// it took before (p.params, the first plain or boundary*= value, then
	// the joined sections).
	if nb > 1 {
		o, l := f.at(secondAt)
		msg := fmt.Sprintf("%d boundary parameters in one Content-Type: parsers pick different ones", nb)
		if len(bs) > 0 && len(ext) > 0 {
			msg = fmt.Sprintf("%d boundary parameters in one Content-Type, plain and RFC 2231 (boundary=%q, %s=%q): parsers pick different ones (Go's mime package takes the RFC 2231 value, Python's compat32 the plain one); the scanner follows %q",
				nb, displayString(bs[0].value, 80), ext[0].name, displayString(scParamMap(ext)["boundary"], 80), displayString(p.params["boundary"], 80))
		}
		p.report("MP-004", o, l, msg, f.value[secondAt:])
	}
	if b.value == "" {
		return
	}
	for anc := p.parent; anc != nil; anc = anc.parent {
		ab := anc.params["boundary"]
		if !anc.isMultipart() || ab == "" {
			continue
		}
		if strings.HasPrefix(b.value, ab) {
			what := "starts with"
			if b.value == ab {
				what = "equals"
			}
			p.report("MP-005", off, line, fmt.Sprintf("boundary %s the boundary of enclosing part %s", what, anc.path), ev)
			break
		}
	}
}

// digestCharsets are the charsets KB 157705 names for digests (code page 932).
var digestCharsets = map[string]bool{"iso-2022-jp": true, "shift_jis": true, "shift-jis": true, "x-sjis": true,
	"cp932": true, "windows-31j": true, "ms932": true}

// checkDigest: MP-009, for the digest itself and again for each part of it
// in a Japanese charset, the case KB 157705 describes.
func checkDigest(p *part) {
	if p.mediaType != "multipart/digest" {
		cs := strings.ToLower(strings.TrimSpace(p.params["charset"]))
		if !digestCharsets[cs] {
			return
		}
		for anc := p.parent; anc != nil; anc = anc.parent {
			if anc.mediaType == "multipart/digest" {
				f := p.field("Content-Type")
				off, line := f.at(0)
				p.report("MP-009", off, line, "part in "+cs+" inside multipart/digest "+anc.path+" (KB 157705)", f.value)
				return
			}
		}
		return
	}
	f := p.field("Content-Type")
	off, line := f.at(0)
	p.report("MP-009", off, line, "multipart/digest (Exchange mishandles digests, above all with ISO-2022-JP messages)", f.value)
}

// checkEncodedComposite: MP-011.
func checkEncodedComposite(p *part) {
	// message/global may be encoded (RFC 6532 3.5), and non-composite
	// message types such as delivery-status are not containers.
	switch {
	case p.isMultipart():
	case p.mediaType == "message/rfc822", p.mediaType == "message/partial",
		p.mediaType == "message/external-body", p.mediaType == "message/news":
	default:
		return
	}
	switch p.encoding {
	case "", "7bit", "8bit", "binary":
		return
	}
	f := p.field("Content-Transfer-Encoding")
	if f == nil {
		return
	}
	off, line := f.at(0)
	p.report("MP-011", off, line, fmt.Sprintf("Content-Transfer-Encoding %q on %s (only 7bit, 8bit or binary are allowed)", displayText([]byte(p.encoding), 40), p.mediaType), f.value)
}
