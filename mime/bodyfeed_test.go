package mime

import (
	"bytes"
	"fmt"
	"math/rand"
	"slices"
	"testing"
)

// Test helpers for the body checkers: they stand in for the scanner core,
// streaming a body line by line with each line cut into pieces wherever a
// test asks, as the core does with long lines.

// testPart returns a leaf part at path "1" with its own reporter.
func testPart(mediaType, enc string, params map[string]string) *part {
	opts := &Options{}
	opts.normalize()
	return &part{rep: newReporter(opts), opts: opts, path: "1", mediaType: mediaType, params: params, encoding: enc}
}

// checkersFor asks every registered factory for a checker of p.
func checkersFor(p *part) []bodyChecker {
	var cs []bodyChecker
	for _, f := range bodyCheckerFactories {
		if c := f(p); c != nil {
			cs = append(cs, c)
		}
	}
	return cs
}

// feedBody streams body to the checkers. body[0] is at file offset base on
// line baseLine; cuts are indices into body where a line is split into
// pieces (cuts inside a line ending are ignored: the core hands the line
// ending over whole).
func feedBody(cs []bodyChecker, body []byte, base int64, baseLine int, cuts []int) {
	cuts = slices.Sorted(slices.Values(cuts))
	line := baseLine
	start := 0
	for start < len(body) {
		// Find this line's end and its line ending.
		e := start + bytes.IndexAny(body[start:], "\r\n")
		if e < start {
			e = len(body)
		}
		var eol []byte
		next := e
		if e < len(body) {
			if body[e] == '\r' && e+1 < len(body) && body[e+1] == '\n' {
				eol = body[e : e+2]
			} else {
				eol = body[e : e+1]
			}
			next = e + len(eol)
		}
		ps := start
		for len(cuts) > 0 && cuts[0] <= start {
			cuts = cuts[1:]
		}
		for len(cuts) > 0 && cuts[0] < e {
			i := cuts[0]
			cuts = cuts[1:]
			for _, c := range cs {
				c.write(body[ps:i], base+int64(ps), line, nil)
			}
			ps = i
		}
		for _, c := range cs {
			c.write(body[ps:e], base+int64(ps), line, eol)
		}
		if eol != nil {
			line++
		}
		start = next
	}
	for _, c := range cs {
		c.end(base+int64(len(body)), line)
	}
}

// scanBody runs every checker the part gets over body (at offset base,
// line 1) and returns the findings of the given rules.
func scanBody(p *part, body []byte, base int64, cuts []int, rules ...string) []Finding {
	feedBody(checkersFor(p), body, base, 1, cuts)
	var out []Finding
	for _, f := range p.rep.sorted() {
		if len(rules) == 0 || slices.Contains(rules, f.Rule) {
			out = append(out, f)
		}
	}
	return out
}

// findingKey is a finding without its excerpt, which may legitimately
// depend on how the body was cut into pieces.
func findingKey(f Finding) string {
	return fmt.Sprintf("%s %s %s @%d:%d %s", f.Rule, f.Severity, f.Part, f.Offset, f.Line, f.Message)
}

func findingKeys(fs []Finding) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = findingKey(f)
	}
	return out
}

// checkSplitInvariance feeds body whole, then cut at every single position
// and at random sets of positions, and fails if the findings differ.
func checkSplitInvariance(t *testing.T, mk func() *part, body []byte, rules ...string) {
	t.Helper()
	want := findingKeys(scanBody(mk(), body, 100, nil, rules...))
	for i := 1; i < len(body); i++ {
		got := findingKeys(scanBody(mk(), body, 100, []int{i}, rules...))
		if !slices.Equal(got, want) {
			t.Fatalf("cut at %d: got %q, want %q", i, got, want)
		}
	}
	r := rand.New(rand.NewSource(1))
	for n := 0; n < 20 && len(body) > 2; n++ {
		var cuts []int
		for i := 1; i < len(body); i++ {
			if r.Intn(3) == 0 {
				cuts = append(cuts, i)
			}
		}
		got := findingKeys(scanBody(mk(), body, 100, cuts, rules...))
		if !slices.Equal(got, want) {
			t.Fatalf("cuts %v: got %q, want %q", cuts, got, want)
		}
	}
}

// cutsFromBytes derives piece boundaries from fuzzer bytes.
func cutsFromBytes(seed []byte, n int) []int {
	var cuts []int
	pos := 0
	for _, b := range seed {
		pos += int(b%16) + 1
		if pos >= n {
			break
		}
		cuts = append(cuts, pos)
	}
	return cuts
}

// bodyLineAt numbers lines the way feedBody does, starting at 1: CRLF, LF
// and a bare CR each end a line.
func bodyLineAt(body []byte, off int64) int {
	line := 1
	for i := int64(0); i < off && i < int64(len(body)); i++ {
		if body[i] == '\n' || (body[i] == '\r' && (i+1 >= int64(len(body)) || body[i+1] != '\n')) {
			line++
		}
	}
	return line
}
