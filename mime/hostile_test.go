package mime

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"runtime"
	"testing"
)

// Pathological inputs (issue 7), generated as streams so that no test holds
// the whole input in memory. Each must give the right finding, no panic,
// and keep the heap bounded. Sizes are cut for CI; MAILROOT_HOSTILE_FULL=1
// runs the full-size versions (1 GiB of base64).

// genReader streams the chunks gen(0), gen(1), ... until gen returns nil.
type genReader struct {
	gen func(i int) []byte
	i   int
	cur []byte
}

func (g *genReader) Read(p []byte) (int, error) {
	for len(g.cur) == 0 {
		c := g.gen(g.i)
		if c == nil {
			return 0, io.EOF
		}
		g.i++
		g.cur = c
	}
	n := copy(p, g.cur)
	g.cur = g.cur[n:]
	return n, nil
}

// repeatReader streams n bytes of a repeated pattern.
type repeatReader struct {
	pattern []byte
	n, off  int64
}

func (r *repeatReader) Read(p []byte) (int, error) {
	if r.n <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > r.n {
		p = p[:r.n]
	}
	n := 0
	for n < len(p) {
		c := copy(p[n:], r.pattern[r.off:])
		n += c
		r.off = (r.off + int64(c)) % int64(len(r.pattern))
	}
	r.n -= int64(n)
	return n, nil
}

func rep(pattern string, n int64) io.Reader { return &repeatReader{pattern: []byte(pattern), n: n} }

func str(s string) io.Reader { return bytes.NewReader([]byte(s)) }

// heapWatch wraps a reader and samples the heap every few MiB read, keeping
// the peak of HeapInuse.
type heapWatch struct {
	r      io.Reader
	n, at  int64
	every  int64
	peak   uint64
	sample runtime.MemStats
}

func newHeapWatch(r io.Reader, every int64) *heapWatch {
	runtime.GC()
	h := &heapWatch{r: r, every: every}
	h.take()
	return h
}

func (h *heapWatch) take() {
	runtime.ReadMemStats(&h.sample)
	if h.sample.HeapInuse > h.peak {
		h.peak = h.sample.HeapInuse
	}
}

func (h *heapWatch) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	h.n += int64(n)
	if h.n-h.at >= h.every {
		h.at = h.n
		h.take()
	}
	return n, err
}

const hostileHeapLimit = 64 << 20

// scanHostile scans a generated stream and checks the heap stayed bounded.
func scanHostile(t *testing.T, r io.Reader, opts Options) *Report {
	t.Helper()
	h := newHeapWatch(r, 4<<20)
	rep, err := Scan(h, opts)
	if err != nil {
		t.Fatalf("scan: %v", err)
	}
	h.take()
	if h.peak > hostileHeapLimit {
		t.Errorf("peak heap in use %d MiB, want under %d MiB", h.peak>>20, hostileHeapLimit>>20)
	}
	if rep.Size != h.n {
		t.Errorf("report size %d, read %d", rep.Size, h.n)
	}
	t.Logf("%d bytes, %d lines, %d parts listed (+%d), %d findings (+%d), peak heap %d KiB",
		rep.Size, rep.Lines, len(rep.Parts), rep.PartsOmitted, len(rep.Findings), rep.FindingsOmitted, h.peak>>10)
	return rep
}

func mustHave(t *testing.T, r *Report, rule string) Finding {
	t.Helper()
	for _, f := range r.Findings {
		if f.Rule == rule {
			return f
		}
	}
	t.Fatalf("no %s finding; got:\n%s", rule, findingList(r.Findings))
	return Finding{}
}

func full() bool { return os.Getenv("MAILROOT_HOSTILE_FULL") != "" }

const hostileHeader = "From: a@example.com\r\nTo: b@example.com\r\nSubject: hostile\r\nMIME-Version: 1.0\r\n"

func TestHostileNestedMultipart(t *testing.T) {
	const depth = 100000
	gen := func(i int) []byte {
		switch {
		case i == 0:
			return []byte(hostileHeader + "Content-Type: multipart/mixed; boundary=\"n0\"\r\n\r\n")
		case i <= depth:
			return fmt.Appendf(nil, "--n%d\r\nContent-Type: multipart/mixed; boundary=\"n%d\"\r\n\r\n", i-1, i)
		case i <= 2*depth+1:
			return fmt.Appendf(nil, "--n%d--\r\n", 2*depth+1-i)
		}
		return nil
	}
	r := scanHostile(t, &genReader{gen: gen}, Options{})
	f := mustHave(t, r, "MP-006")
	if f.Severity != Crash {
		t.Errorf("MP-006 severity %s", f.Severity)
	}
	maxDepth := 0
	for _, p := range r.Parts {
		maxDepth = max(maxDepth, p.Depth)
	}
	if maxDepth != DefaultLimits().NestingHardStop {
		t.Errorf("deepest listed part at depth %d, want the hard stop %d", maxDepth, DefaultLimits().NestingHardStop)
	}
}

func TestHostileNestedRFC822(t *testing.T) {
	const depth = 100000
	gen := func(i int) []byte {
		switch {
		case i < depth:
			return fmt.Appendf(nil, "From: l%d@example.com\r\nContent-Type: message/rfc822\r\n\r\n", i)
		case i == depth:
			return []byte("From: inner@example.com\r\n\r\nbody\r\n")
		}
		return nil
	}
	r := scanHostile(t, &genReader{gen: gen}, Options{})
	mustHave(t, r, "MP-007")
	mustHave(t, r, "MP-006")
}

func TestHostileMillionEmptyParts(t *testing.T) {
	const parts = 1000000
	rd := io.MultiReader(
		str(hostileHeader+"Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"),
		rep("--b\r\n\r\n", parts*7),
		str("--b--\r\n"))
	r := scanHostile(t, rd, Options{})
	mustHave(t, r, "MP-008")
	if got := len(r.Parts) + r.PartsOmitted; got != parts+1 {
		t.Errorf("%d parts counted (listed + omitted), want %d", got, parts+1)
	}
	if len(r.Parts) != DefaultLimits().ListParts {
		t.Errorf("%d parts listed, want the ListParts cap %d", len(r.Parts), DefaultLimits().ListParts)
	}
}

func TestHostileHugeHeaderLine(t *testing.T) {
	n := int64(100 << 20)
	if testing.Short() {
		n = 16 << 20 // -short (and -race runs with it) keeps CI quick
	}
	rd := io.MultiReader(str("From: a@example.com\r\nSubject: "), rep("a", n), str("\r\nTo: b@example.com\r\n\r\nbody\r\n"))
	r := scanHostile(t, rd, Options{})
	f := mustHave(t, r, "STR-004")
	if f.Severity != Crash || f.Offset != 21 || f.Line != 2 {
		t.Errorf("STR-004 = %s, want crash at offset 21 line 2", f)
	}
	if r.Headers.To != 1 {
		t.Errorf("the field after the long line was lost: To count %d", r.Headers.To)
	}
}

func TestHostileParenFlood(t *testing.T) {
	n := int64(10 << 20)
	rd := io.MultiReader(str("From: "), rep("(", n), str("\r\nTo: b@example.com\r\nContent-Type: text/plain; name="), rep("(", n), str("\r\n\r\nbody\r\n"))
	r := scanHostile(t, rd, Options{})
	mustHave(t, r, "STR-004")
	mustHave(t, r, "ADDR-003")
	// Past Limits.HeaderBytesKept the field checks see a cut value; a
	// comment open for that long counts as never closed (openCommentAtCut).
	if f := mustHave(t, r, "ADDR-001"); f.Offset != 6 || f.Severity != Crash {
		t.Errorf("ADDR-001 = %s, want crash at offset 6", f)
	}
	if f := mustHave(t, r, "CT-004"); f.Severity != Crash {
		t.Errorf("CT-004 = %s, want crash", f)
	}
	if len(r.Parts) != 1 || r.Parts[0].ContentType != "text/plain" {
		t.Errorf("parts %+v", r.Parts)
	}
}

func TestHostileLongBoundary(t *testing.T) {
	b := string(bytes.Repeat([]byte("x"), 10000))
	msg := hostileHeader + "Content-Type: multipart/mixed; boundary=\"" + b + "\"\r\n\r\n" +
		"--" + b + "\r\nContent-Type: text/plain\r\n\r\none\r\n" +
		"--" + b + "\r\nContent-Type: text/plain\r\n\r\ntwo\r\n" +
		"--" + b + "--\r\n"
	r := scanHostile(t, str(msg), Options{})
	f := mustHave(t, r, "MP-003")
	if f.Severity != Crash {
		t.Errorf("MP-003 severity %s, want crash above %d", f.Severity, DefaultLimits().BoundaryCrash)
	}
	if len(r.Parts) != 3 || r.Has("MP-002") || r.Has("MP-001") {
		t.Errorf("the delimiters of a 10,000-character boundary were not found: %d parts, findings:\n%s", len(r.Parts), findingList(r.Findings))
	}
}

func TestHostileBase64BadLastByte(t *testing.T) {
	size := int64(32 << 20)
	if full() {
		size = 1 << 30
	}
	line := "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAx\r\n" // 72 + CRLF
	lines := size / int64(len(line))
	head := hostileHeader + "Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n"
	rd := io.MultiReader(str(head), rep(line, lines*int64(len(line))), str("QUJD!\r\n"))
	r := scanHostile(t, rd, Options{})
	f := mustHave(t, r, "ENC-001")
	want := int64(len(head)) + lines*int64(len(line)) + 4
	if f.Offset != want {
		t.Errorf("ENC-001 at offset %d, want %d (the bad byte)", f.Offset, want)
	}
}

func TestHostileOnlyCR(t *testing.T) {
	r := scanHostile(t, rep("\r", 1<<20), Options{})
	f := mustHave(t, r, "STR-002")
	if f.Offset != 0 || r.Lines != 1<<20 {
		t.Errorf("STR-002 at %d, %d lines; want offset 0 and %d lines", f.Offset, r.Lines, 1<<20)
	}
}

func TestHostileOnlyNUL(t *testing.T) {
	r := scanHostile(t, rep("\x00", 1<<20), Options{})
	mustHave(t, r, "STR-009") // no line ending at all
	mustHave(t, r, "STR-004")
	if r.Lines != 1 {
		t.Errorf("%d lines, want 1", r.Lines)
	}
}

func TestHostileTruncatedMidHeader(t *testing.T) {
	r := scanHostile(t, str("From: a@example.com\r\nSubject: trunc"), Options{})
	f := mustHave(t, r, "STR-009")
	if f.Offset != 21 {
		t.Errorf("STR-009 at %d, want 21 (start of the cut line)", f.Offset)
	}
}

func TestHostileMillionHeaderFields(t *testing.T) {
	const fields = 1000000
	rd := io.MultiReader(str(hostileHeader), rep("X-F: v\r\n", fields*8), str("\r\nbody\r\n"))
	r := scanHostile(t, rd, Options{KeepFields: true})
	f := mustHave(t, r, "HDR-004")
	wantOff := int64(len(hostileHeader)) + int64(DefaultLimits().HeaderFields-4)*8
	if f.Offset != wantOff {
		t.Errorf("HDR-004 at %d, want %d (the field over the limit)", f.Offset, wantOff)
	}
	if len(r.Fields) > maxStoredFields+storedLateFields {
		t.Errorf("%d fields kept", len(r.Fields))
	}
	if r.Parts[0].BodyOffset != int64(len(hostileHeader))+fields*8+2 {
		t.Errorf("body offset %d", r.Parts[0].BodyOffset)
	}
}

// TestScanMemory64MiB is the always-run version of the 1 GiB check: a
// 64 MiB base64 attachment scans with the heap under the bound.
func TestScanMemory64MiB(t *testing.T) {
	r := scanHostile(t, bigMessage(64<<20), Options{})
	if len(r.Parts) != 3 {
		t.Errorf("%d parts, want 3", len(r.Parts))
	}
}

// TestScanMemory1GiB scans a generated 1 GiB message (set
// MAILROOT_HOSTILE_FULL=1) and reports the peak heap, which must stay under
// 64 MiB.
func TestScanMemory1GiB(t *testing.T) {
	if !full() || testing.Short() {
		t.Skip("set MAILROOT_HOSTILE_FULL=1 to scan a generated 1 GiB message")
	}
	scanHostile(t, bigMessage(1<<30), Options{})
}

// bigMessage streams a multipart message with a text part and a base64
// attachment of about size bytes.
func bigMessage(size int64) io.Reader {
	line := "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAx\r\n"
	n := size / int64(len(line)) * int64(len(line))
	return io.MultiReader(
		str(hostileHeader+"Content-Type: multipart/mixed; boundary=\"big\"\r\n\r\n--big\r\nContent-Type: text/plain\r\n\r\nsee attachment\r\n"+
			"--big\r\nContent-Type: application/octet-stream; name=\"big.bin\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"),
		rep(line, n),
		str("--big--\r\n"))
}

// TestHostileDeepFatHeaders: 100 nested parts, each with a 3 MiB header,
// stay within the heap bound (stored fields are capped across the stack).
func TestHostileDeepFatHeaders(t *testing.T) {
	depth := 100
	if testing.Short() {
		depth = 35 // still past the MP-006 limit and the 16 MiB stack budget
	}
	fat := func() io.Reader {
		return io.MultiReader(rep("X-Fat: "+string(bytes.Repeat([]byte("f"), 1000))+"\r\n", 3<<20/1009*1009))
	}
	var rs []io.Reader
	rs = append(rs, str(hostileHeader))
	for i := 0; i < depth; i++ {
		rs = append(rs, fat(), str(fmt.Sprintf("Content-Type: multipart/mixed; boundary=\"d%d\"\r\n\r\n--d%d\r\n", i, i)))
	}
	rs = append(rs, str("\r\nleaf\r\n"))
	r := scanHostile(t, io.MultiReader(rs...), Options{})
	mustHave(t, r, "MP-006")
	mustHave(t, r, "STR-005")
	if len(r.Parts) != depth+1 {
		t.Errorf("%d parts, want %d: the Content-Type past the storage caps was lost", len(r.Parts), depth+1)
	}
}
