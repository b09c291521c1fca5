package mime

import (
	"bytes"
	"cmp"
	"slices"
	"sort"
)

// This file is the contract between the scanner core (scan.go), which walks
// the bytes and builds the MIME tree, and the rule families (rules_*.go),
// which look at what the core hands them. A rule family registers its checks
// in an init function; the core never needs to know which rules exist.

// field is one header field exactly as it stands in the file.
type field struct {
	// name is the field name as written, without the colon or surrounding
	// white space; it may be empty or hold odd bytes in a malformed header.
	name []byte
	// value is every byte after the colon up to the end of the field,
	// folding (CRLF + WSP) and the final line ending included, so that
	// value[i] is at file offset valueOffset+i. It is cut at
	// Limits.HeaderBytesKept; truncated says so and length has the real size.
	value       []byte
	offset      int64 // file offset of the field's first byte
	valueOffset int64 // file offset of value[0]
	line        int   // line number of the field's first line
	truncated   bool
	length      int64 // whole field in the file, name and final line ending included
}

// is reports whether the field has the given name, ignoring ASCII case.
func (f *field) is(name string) bool { return bytes.EqualFold(f.name, []byte(name)) }

// at returns the file offset and line number of value[i].
func (f *field) at(i int) (off int64, line int) {
	i = max(0, min(i, len(f.value)))
	line = f.line + bytes.Count(f.value[:i], []byte{'\n'})
	// A bare CR (not followed by LF) also ends a line, as in the core.
	for j := 0; j < i; j++ {
		k := bytes.IndexByte(f.value[j:i], '\r')
		if k < 0 {
			break
		}
		j += k
		if j+1 >= len(f.value) || f.value[j+1] != '\n' {
			line++
		}
	}
	return f.valueOffset + int64(i), line
}

// unfolded returns the value with line endings removed and surrounding
// white space trimmed (RFC 5322 2.2.3 unfolding). A value with no CR or
// LF inside is returned as a subslice of f.value, which may be the
// scanner's reused field buffer: callers must not change or keep it.
func (f *field) unfolded() []byte {
	v := bytes.TrimRight(f.value, "\r\n")
	if bytes.IndexAny(v, "\r\n") < 0 {
		return bytes.TrimSpace(v)
	}
	out := make([]byte, 0, len(v))
	for _, c := range v {
		if c != '\r' && c != '\n' {
			out = append(out, c)
		}
	}
	return bytes.TrimSpace(out)
}

// part is what the checks see of one MIME entity.
type part struct {
	rep  *reporter
	opts *Options

	path        string // "1" for the message, "1.2" for its second child
	depth       int    // 0 for the message
	rfc822Depth int    // message/rfc822 entities enclosing this one
	parent      *part  // nil for the message

	fields []field // header fields in file order (see Limits.HeaderFields for the cap)

	// Decoded from the header by the core, lower-cased; empty when absent.
	mediaType string            // "type/subtype"; "" when there is no usable Content-Type
	params    map[string]string // Content-Type parameters, first value of each name wins
	encoding  string            // Content-Transfer-Encoding token
	inDigest  bool              // a child of multipart/digest (default type message/rfc822)

	// For the message of a file that carries an envelope: its x-receiver
	// lines (all of them, past the field cap too) and the first one over
	// Limits.Recipients.
	envReceivers int
	envOver      *envOver
}

// report records a finding for this part. evidence is copied into the excerpt.
func (p *part) report(rule string, off int64, line int, msg string, evidence []byte) {
	p.rep.add(rule, p.path, off, line, msg, evidence)
}

// isMultipart reports whether the entity is declared multipart/*.
func (p *part) isMultipart() bool { return len(p.mediaType) > 10 && p.mediaType[:10] == "multipart/" }

// field returns the first header field with the name, or nil.
func (p *part) field(name string) *field {
	for i := range p.fields {
		if p.fields[i].is(name) {
			return &p.fields[i]
		}
	}
	return nil
}

// fieldChecks run on every header field of every part, in file order, as
// soon as the field is complete. A check must not keep f after it returns.
var fieldChecks []func(p *part, f *field)

// headerChecks run once per part when its header block has ended, with
// p.fields and the decoded content type set.
var headerChecks []func(p *part)

// bodyCheckerFactories are asked, for each leaf part (not multipart, not a
// message/rfc822 the core descends into), for a checker of its body; a
// factory returns nil when it has nothing to check in that part.
var bodyCheckerFactories []func(p *part) bodyChecker

// bodyChecker validates one part's body as the core streams it, a line at a
// time. Long lines arrive in several pieces.
type bodyChecker interface {
	// write hands over a piece of the current body line. off and line are the
	// file offset and line number of data[0]. eol is the line ending that
	// closes the line ("\r\n", "\n" or "\r") when this piece ends it, nil when
	// more of the same line follows (or the body ends without a line ending).
	// data and eol are only valid during the call.
	write(data []byte, off int64, line int, eol []byte)
	// end is called once after the body's last byte; off and line are where
	// the body ends.
	end(off int64, line int)
}

// reporter collects the findings of one Scan and applies the options.
type reporter struct {
	opts     *Options
	findings []Finding
	perRule  map[string]int
	omitted  int

	// While a bulk run goes to the checkers (scan_bulk.go), one checker
	// after the other, findings wait in pending, each with the line that
	// the checker was reading when it reported (at, kept current by the
	// bulk path). settle keeps them in line-at-a-time order, so the
	// findings limits keep the same findings either way.
	deferring bool
	at        int
	pending   []pendingFinding
}

// pendingFinding is a finding reported during a bulk run.
type pendingFinding struct {
	line int
	f    Finding
}

func newReporter(opts *Options) *reporter {
	return &reporter{opts: opts, perRule: make(map[string]int)}
}

// enabled reports whether a rule is on for this scan: not disabled, and
// applicable to the folder the file came from.
func (r *reporter) enabled(rule string) bool {
	if r.opts.Disabled[rule] {
		return false
	}
	return catalogue[ruleIndex[rule]].AppliesTo(r.opts.Folder)
}

func (r *reporter) add(rule, partPath string, off int64, line int, msg string, evidence []byte) {
	r.addSeverity(rule, severityOf(rule), partPath, off, line, msg, evidence) // severityOf panics on unknown IDs: a programmer error
}

// addSeverity is add with a severity other than the catalogue's, for rules
// whose severity depends on the evidence (STR-004 and MP-003 escalate to
// crash above their crash limits; TNEF-001 is low for a valid part).
func (r *reporter) addSeverity(rule string, sev Severity, partPath string, off int64, line int, msg string, evidence []byte) {
	if !r.enabled(rule) {
		return
	}
	if r.full(rule) { // counts only grow until settle: still full then
		r.omitted++
		return
	}
	f := Finding{
		Rule: rule, Severity: sev, Part: partPath, Offset: off, Line: line,
		Message: msg, Excerpt: Excerpt(evidence),
	}
	if r.deferring {
		r.pending = append(r.pending, pendingFinding{line: r.at, f: f})
		return
	}
	r.keep(f)
}

// keep records a finding the limits have room for.
func (r *reporter) keep(f Finding) {
	r.perRule[f.Rule]++
	r.findings = append(r.findings, f)
}

// full reports whether the findings limits leave no room for one more
// finding of rule.
func (r *reporter) full(rule string) bool {
	return r.perRule[rule] >= r.opts.Limits.FindingsPerRule || len(r.findings) >= r.opts.Limits.Findings
}

// settle ends a bulk run: it keeps the pending findings in the order the
// line-at-a-time path reports them, until the limits are reached. They
// were reported a checker at a time, each checker's in its own order, so
// a stable sort by line gives that order: by line, then by checker.
func (r *reporter) settle() {
	r.deferring = false
	if len(r.pending) > 1 {
		slices.SortStableFunc(r.pending, func(a, b pendingFinding) int { return cmp.Compare(a.line, b.line) })
	}
	for _, p := range r.pending {
		if r.full(p.f.Rule) {
			r.omitted++
		} else {
			r.keep(p.f)
		}
	}
	clear(r.pending) // no finding's strings outlive the run
	r.pending = r.pending[:0]
}

// sorted returns the findings ordered by offset, then rule, then part.
func (r *reporter) sorted() []Finding {
	sort.SliceStable(r.findings, func(i, j int) bool {
		a, b := r.findings[i], r.findings[j]
		if a.Offset != b.Offset {
			return a.Offset < b.Offset
		}
		if a.Rule != b.Rule {
			return a.Rule < b.Rule
		}
		if a.Part != b.Part {
			return a.Part < b.Part
		}
		return a.Message < b.Message
	})
	return r.findings
}
