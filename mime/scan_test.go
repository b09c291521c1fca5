package mime

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"testing/iotest"
)

func scanString(t *testing.T, s string, opts Options) *Report {
	t.Helper()
	rep, err := Scan(strings.NewReader(s), opts)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// TestLineReader checks the line splitting on window boundaries: CRLF split
// across two reads, a CR at the end of a full window, lines longer than the
// window, and input without a final line ending.
func TestLineReader(t *testing.T) {
	type piece struct{ data, eol string }
	split := func(in string, size int, r func(io.Reader) io.Reader) []piece {
		lr := &lineReader{r: r(strings.NewReader(in)), h: sha256.New(), buf: make([]byte, size)}
		var out []piece
		for {
			d, e, ok := lr.next()
			if !ok {
				break
			}
			out = append(out, piece{string(d), string(e)})
		}
		return out
	}
	same := func(r io.Reader) io.Reader { return r }
	for _, tc := range []struct {
		name string
		in   string
		size int
		want []piece
	}{
		{"crlf lf cr", "a\r\nb\nc\rd", 64, []piece{{"a", "\r\n"}, {"b", "\n"}, {"c", "\r"}, {"d", ""}}},
		{"empty lines", "\r\n\n\r\r\n", 64, []piece{{"", "\r\n"}, {"", "\n"}, {"", "\r"}, {"", "\r\n"}}},
		// A full window ending in CR hands over what precedes the CR and
		// keeps the CR until the next byte says CRLF or bare CR.
		{"cr at window end then lf", "abc\r\nd\r\n", 4, []piece{{"abc", ""}, {"", "\r\n"}, {"d", "\r\n"}}},
		{"cr at window end then text", "abc\rdef\n", 4, []piece{{"abc", ""}, {"", "\r"}, {"def", "\n"}}},
		{"long line in pieces", "abcdefghij\r\n", 4, []piece{{"abcd", ""}, {"efgh", ""}, {"ij", "\r\n"}}},
		{"long line cr split", "abcdefg\r\nx", 4, []piece{{"abcd", ""}, {"efg", ""}, {"", "\r\n"}, {"x", ""}}},
		{"crlf split across reads", "x\nab\r\ncd", 5, []piece{{"x", "\n"}, {"ab", "\r\n"}, {"cd", ""}}},
		{"final cr", "a\r", 64, []piece{{"a", "\r"}}},
		{"empty", "", 64, nil},
	} {
		for _, mode := range []struct {
			name string
			r    func(io.Reader) io.Reader
		}{{"whole", same}, {"onebyte", iotest.OneByteReader}, {"half", iotest.HalfReader}} {
			got := split(tc.in, tc.size, mode.r)
			// Pieces may be cut differently by small reads; the joined lines
			// and their endings must not change.
			if mode.name == "whole" && !reflect.DeepEqual(got, tc.want) {
				t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
			}
			var a, b strings.Builder
			for _, p := range got {
				a.WriteString(p.data + "|" + p.eol)
			}
			for _, p := range tc.want {
				b.WriteString(p.data + "|" + p.eol)
			}
			if strings.ReplaceAll(a.String(), "|", "") != tc.in {
				t.Errorf("%s/%s: pieces do not join to the input: %q", tc.name, mode.name, got)
			}
		}
	}
}

func TestScanReadError(t *testing.T) {
	boom := errors.New("disk on fire")
	_, err := Scan(io.MultiReader(strings.NewReader("From: a@b\r\n"), iotest.ErrReader(boom)), Options{})
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "offset 11") {
		t.Fatalf("err = %v, want the reader's error wrapped with the offset", err)
	}
}

func TestScanEmpty(t *testing.T) {
	rep := scanString(t, "", Options{})
	sum := sha256.Sum256(nil)
	if rep.Size != 0 || rep.Lines != 0 || rep.SHA256 != hex.EncodeToString(sum[:]) || len(rep.Parts) != 1 {
		t.Errorf("empty: %+v", rep)
	}
	if f := mustHave(t, rep, "STR-009"); f.Offset != 0 || f.Line != 1 || len(rep.Findings) != 1+boolInt(rep.Has("ADDR-006")) {
		t.Errorf("empty file: %s", findingList(rep.Findings))
	}
}

// TestScanTree checks the MIME tree: paths, depths, offsets, decoded fields.
func TestScanTree(t *testing.T) {
	msg := "From: a@example.com\r\nTo: b@example.com\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed;\r\n boundary=\"outer\"\r\n\r\n" + // body at 100
		"preamble\r\n" +
		"--outer\r\n" + // 110
		"Content-Type: text/plain; charset=ISO-8859-1\r\nContent-Transfer-Encoding: Quoted-Printable\r\n\r\n" +
		"caf=E9\r\n" +
		"--outer\r\n" +
		"Content-Type: application/octet-stream; name*=utf-8''r%C3%A9sum%C3%A9.pdf\r\n" +
		"Content-Disposition: attachment; filename=\"=?utf-8?q?r=C3=A9sum=C3=A9.pdf?=\"\r\n" +
		"Content-Transfer-Encoding: base64\r\n\r\n" +
		"QUJD\r\n" +
		"--outer\r\n" +
		"Content-Type: message/rfc822\r\n\r\n" +
		"From: inner@example.com\r\nContent-Type: multipart/alternative; boundary=inner\r\n\r\n" +
		"--inner\r\n\r\nplain\r\n--inner--\r\n" +
		"--outer--\r\n" +
		"epilogue\r\n"
	rep := scanString(t, msg, Options{})
	type row struct {
		path   string
		depth  int
		ctype  string
		extra  string
		hdr    string // text at the header offset
		body   string // text at the body offset
		bodyLn int
	}
	want := []row{
		{"1", 0, "multipart/mixed", "outer", "From:", "preamble", 0},
		{"1.1", 1, "text/plain", "iso-8859-1 quoted-printable", "Content-Type: text/plain", "caf=E9", 0},
		{"1.2", 1, "application/octet-stream", "attachment résumé.pdf base64", "Content-Type: application", "QUJD", 0},
		{"1.3", 1, "message/rfc822", "", "Content-Type: message", "From: inner", 0},
		{"1.3.1", 2, "multipart/alternative", "inner", "From: inner", "--inner", 0},
		{"1.3.1.1", 3, "text/plain", "", "\r\nplain", "plain", 0},
	}
	if len(rep.Parts) != len(want) {
		t.Fatalf("%d parts, want %d: %+v", len(rep.Parts), len(want), rep.Parts)
	}
	for i, w := range want {
		p := rep.Parts[i]
		extra := strings.TrimSpace(strings.Join([]string{p.Boundary, p.Charset, p.Disposition, p.Filename, p.Encoding}, " "))
		extra = strings.Join(strings.Fields(extra), " ")
		if p.Path != w.path || p.Depth != w.depth || p.ContentType != w.ctype || extra != w.extra {
			t.Errorf("part %d = %s %d %s %q, want %s %d %s %q", i, p.Path, p.Depth, p.ContentType, extra, w.path, w.depth, w.ctype, w.extra)
		}
		if !strings.HasPrefix(msg[p.HeaderOffset:], w.hdr) || !strings.HasPrefix(msg[p.BodyOffset:], w.body) {
			t.Errorf("part %s: header at %q, body at %q", p.Path, msg[p.HeaderOffset:min(int(p.HeaderOffset)+20, len(msg))], msg[p.BodyOffset:min(int(p.BodyOffset)+20, len(msg))])
		}
	}
	// The body of a part ends before the CRLF that precedes the delimiter.
	if p := rep.Parts[1]; msg[p.BodyOffset:p.EndOffset] != "caf=E9" {
		t.Errorf("part 1.1 body %q", msg[p.BodyOffset:p.EndOffset])
	}
	if p := rep.Parts[0]; p.EndOffset != int64(len(msg)) {
		t.Errorf("message ends at %d, want %d", p.EndOffset, len(msg))
	}
	for _, f := range rep.Findings {
		switch f.Rule {
		case "MP-001", "MP-002", "MP-010", "STR-001", "STR-002", "HDR-003":
			t.Errorf("well-formed message: %s", f)
		}
	}
}

func TestScanSummary(t *testing.T) {
	msg := "Received: from x\r\n" +
		"From: =?iso-8859-1?q?Andr=E9?= <Andre@Example.COM>\r\n" +
		"Sender: list@example.org\r\n" +
		"To: a@example.com, \"Doe, J\" <j@example.com>,\r\n undisclosed:;\r\n" +
		"Cc: c@example.com\r\nBcc: d@example.com, e@example.com\r\n" +
		"Subject: =?utf-8?b?w6l0w6k=?= report\r\n" +
		"Message-ID: <id@example.com>\r\nDate: Mon, 2 Jan 2006 15:04:05 -0700\r\n\r\nbody\r\n"
	rep := scanString(t, msg, Options{KeepFields: true})
	want := Headers{From: "André <Andre@Example.COM>", Sender: "list@example.org", To: 2, Cc: 1, Bcc: 2,
		Subject: "été report", MessageID: "<id@example.com>", Date: "Mon, 2 Jan 2006 15:04:05 -0700", FromDomain: "example.com"}
	if rep.Headers != want {
		t.Errorf("headers\n got %+v\nwant %+v", rep.Headers, want)
	}
	if len(rep.Fields) != 9 || rep.Fields[3].Name != "To" || rep.Fields[3].Offset != int64(strings.Index(msg, "To:")) || rep.Fields[3].Line != 4 {
		t.Errorf("fields %+v", rep.Fields)
	}
	// Names in any case; the first From, Subject, Message-ID and Date
	// count, recipients of every To, Cc and Bcc add up.
	rep = scanString(t, "FROM: first@example.com\r\nfrom: second@example.org\r\nSUBJECT: one\r\nsubject: two\r\n"+
		"message-ID: <1@x>\r\nMessage-Id: <2@x>\r\nDATE: d1\r\nDate: d2\r\nTO: a@x\r\nto: b@x, c@x\r\ncc: d@x\r\nCC: e@x\r\nBCC: f@x\r\n\r\n", Options{})
	want = Headers{From: "first@example.com", FromDomain: "example.com", Subject: "one", MessageID: "<1@x>", Date: "d1", To: 3, Cc: 2, Bcc: 1}
	if rep.Headers != want {
		t.Errorf("repeated fields\n got %+v\nwant %+v", rep.Headers, want)
	}
	// Over 16 KiB a value goes to the tolerant splitter, as written.
	long := strings.Repeat("a", 17000) + "@example.com"
	rep = scanString(t, "From: John  Smith <"+long+">\r\n\r\n", Options{})
	if !strings.HasPrefix(rep.Headers.From, "John  Smith <aaa") || rep.Headers.FromDomain != "example.com" {
		t.Errorf("long From: %.40q, domain %q", rep.Headers.From, rep.Headers.FromDomain)
	}
	rep = scanString(t, "From: x@y\r\nSubject: =?ISO-2022-JP?B?GyRCJEskWyRzGyhC?=\r\n\r\n", Options{})
	if rep.Headers.Subject != "にほん" {
		t.Errorf("ISO-2022-JP subject %q", rep.Headers.Subject)
	}
	// Undecodable words fall back to the escaped raw text.
	rep = scanString(t, "From: x@y\r\nSubject: =?x-unknown?q?abc?= \x01\r\n\r\n", Options{})
	if rep.Headers.Subject != `=?x-unknown?q?abc?= \x01` {
		t.Errorf("subject %q", rep.Headers.Subject)
	}
}

func TestScanEnvelope(t *testing.T) {
	for _, tc := range []struct {
		name   string
		folder Folder
		msg    string
		want   *Envelope
	}{
		{"pickup", FolderPickup, "x-sender: a@example.com\r\nx-receiver: b@example.com\r\nX-Receiver: <c@example.com>\r\nFrom: a@example.com\r\n\r\n",
			&Envelope{Format: "pickup", Sender: "a@example.com", Recipients: []string{"b@example.com", "c@example.com"}}},
		{"replay params", FolderReplay, "X-Sender: <bob@example.com> BODY=7bit RET=HDRS ENVID=abc\r\nX-Receiver: <a@b.example> NOTIFY=NEVER ORcpt=rfc822;a@b.example\r\nFrom: bob@example.com\r\n\r\n",
			&Envelope{Format: "replay", Sender: "bob@example.com", Recipients: []string{"a@b.example"},
				Params: map[string]string{"": "BODY=7bit RET=HDRS ENVID=abc", "a@b.example": "NOTIFY=NEVER ORcpt=rfc822;a@b.example"}}},
		{"generic lower-case top lines", FolderGeneric, "x-sender: a@example.com\r\nx-receiver: b@example.com\r\n\r\n",
			&Envelope{Format: "pickup", Sender: "a@example.com", Recipients: []string{"b@example.com"}}},
		{"generic X-Sender header is not an envelope", FolderGeneric, "From: a@example.com\r\nX-Sender: a@example.com\r\n\r\n", nil},
		{"drop", FolderDrop, "Received: x\r\nX-Sender: a@example.com\r\nX-Receiver: b@example.com\r\n\r\n",
			&Envelope{Format: "replay", Sender: "a@example.com", Recipients: []string{"b@example.com"}}},
	} {
		rep := scanString(t, tc.msg, Options{Folder: tc.folder})
		if !reflect.DeepEqual(rep.Envelope, tc.want) {
			t.Errorf("%s: envelope %+v, want %+v", tc.name, rep.Envelope, tc.want)
		}
	}
}

// TestScanSeverityEscalation checks the evidence-dependent severities.
func TestScanSeverityEscalation(t *testing.T) {
	for _, tc := range []struct {
		msg  string
		rule string
		sev  Severity
	}{
		{"Subject: " + strings.Repeat("s", 2100) + "\r\n\r\n", "STR-004", Crash},
		{"Subject: " + strings.Repeat("s", 1500) + "\r\n\r\n", "STR-004", High},
		{"From: a\r\n\r\n" + strings.Repeat("b", 3000) + "\r\n", "STR-004", High},
		{"Content-Type: multipart/mixed; boundary=" + strings.Repeat("b", 2100) + "\r\n\r\n", "MP-003", Crash},
		{"Content-Type: multipart/mixed; boundary=" + strings.Repeat("b", 100) + "\r\n\r\n", "MP-003", High},
	} {
		if f := mustHave(t, scanString(t, tc.msg, Options{}), tc.rule); f.Severity != tc.sev {
			t.Errorf("%s for %.40q: severity %s, want %s", tc.rule, tc.msg, f.Severity, tc.sev)
		}
	}
}

// TestScanOptions: disabled rules, changed limits and folder applicability.
func TestScanOptions(t *testing.T) {
	msg := "From: a@example.com\nSubject: x\nSubject: y\n\n.\n" + strings.Repeat("z", 50) + "\n"
	rep := scanString(t, msg, Options{})
	if !rep.Has("STR-002") || !rep.Has("HDR-006") || rep.Has("STR-003") || rep.Has("STR-004") {
		t.Errorf("defaults: %s", findingList(rep.Findings))
	}
	lim := DefaultLimits()
	if err := lim.Set("line-length", 40); err != nil {
		t.Fatal(err)
	}
	rep = scanString(t, msg, Options{Folder: FolderPickup, Disabled: map[string]bool{"STR-002": true}, Limits: lim})
	if rep.Has("STR-002") || !rep.Has("STR-003") || !rep.Has("STR-004") {
		t.Errorf("options: %s", findingList(rep.Findings))
	}
	lim = DefaultLimits()
	lim.FindingsPerRule = 1
	rep = scanString(t, "From: a@b\r\n\r\n"+strings.Repeat(strings.Repeat("l", 1000)+"\r\n", 5), Options{Limits: lim})
	if n := len(rep.Findings); n != 1 || rep.FindingsOmitted != 4 {
		t.Errorf("per-rule cap: %d findings, %d omitted", n, rep.FindingsOmitted)
	}
}

// TestScanLineNumbers: a bare CR ends a line for numbering too.
func TestScanLineNumbers(t *testing.T) {
	msg := "From: a@b\rTo: c@d\n\r\n" + strings.Repeat("x", 1000) + "\r\n"
	rep := scanString(t, msg, Options{})
	f := mustHave(t, rep, "STR-004")
	if f.Line != 4 || f.Offset != int64(strings.Index(msg, "xxx")) {
		t.Errorf("STR-004 %s, want line 4", f)
	}
	if rep.Lines != 4 {
		t.Errorf("%d lines, want 4", rep.Lines)
	}
	var cr, lf int
	for _, f := range rep.Findings {
		if f.Rule == "STR-002" {
			switch {
			case strings.Contains(f.Message, "bare CR"):
				cr++
				if f.Offset != 9 || f.Line != 1 {
					t.Errorf("bare CR %s", f)
				}
			case strings.Contains(f.Message, "bare LF"):
				lf++
				if f.Offset != 17 || f.Line != 2 || !strings.Contains(f.Message, "mixed") {
					t.Errorf("bare LF %s", f)
				}
			}
		}
	}
	if cr != 1 || lf != 1 {
		t.Errorf("STR-002: %d bare CR, %d bare LF findings; want one of each", cr, lf)
	}
}

// TestScanHeaderEdgeCases covers the STR-001 / HDR-003 decision and the
// mbox From line.
func TestScanHeaderEdgeCases(t *testing.T) {
	for _, tc := range []struct {
		name, msg string
		want      []string
		not       []string
		body      string // text at the message's body offset
	}{
		{"mbox From line tolerated", "From a@b Mon Jan 2 2006\r\nFrom: a@b\r\n\r\nbody\r\n", nil, []string{"HDR-003", "STR-001"}, "body"},
		{"junk then field", "From: a@b\r\njunk\r\nTo: c@d\r\n\r\nbody\r\n", []string{"HDR-003"}, []string{"STR-001"}, "body"},
		{"junk then blank", "From: a@b\r\njunk\r\n\r\nbody\r\n", []string{"HDR-003"}, []string{"STR-001"}, "body"},
		{"two body lines", "From: a@b\r\nHello\r\nthere\r\n", []string{"STR-001"}, []string{"HDR-003"}, "Hello"},
		{"body then continuation", "From: a@b\r\nHello\r\n  indented\r\n", []string{"STR-001"}, nil, "Hello"},
		{"body at eof", "From: a@b\r\nHello\r\n", []string{"STR-001"}, []string{"STR-009"}, "Hello"},
		{"headers only", "From: a@b\r\nTo: c@d\r\n", []string{"STR-009"}, []string{"STR-001"}, ""},
		{"multipart without separator", "Content-Type: multipart/mixed; boundary=b\r\npreamble\r\n--b\r\n\r\nx\r\n--b--\r\n", []string{"STR-001"}, []string{"MP-001", "MP-002"}, "preamble"},
		{"odd name is a field", "From: a@b\r\nX-\x00: v\r\n\r\n", []string{"HDR-003"}, []string{"STR-001"}, ""},
	} {
		rep := scanString(t, tc.msg, Options{})
		for _, r := range tc.want {
			if !rep.Has(r) {
				t.Errorf("%s: no %s:\n%s", tc.name, r, findingList(rep.Findings))
			}
		}
		for _, r := range tc.not {
			if rep.Has(r) {
				t.Errorf("%s: unexpected %s:\n%s", tc.name, r, findingList(rep.Findings))
			}
		}
		if got := tc.msg[rep.Parts[0].BodyOffset:]; !strings.HasPrefix(got, tc.body) {
			t.Errorf("%s: body starts at %q, want %q", tc.name, got, tc.body)
		}
	}
}

// TestScanDeterministic: the same input gives the same report, however
// the reader cuts it.
func TestScanDeterministic(t *testing.T) {
	data := bytes.Repeat([]byte("Content-Type: multipart/mixed; boundary=a\r\n\r\n--a\r\n\r\nx\r\n--b\r\n"), 50)
	checkScan(t, "repeat", data, Options{KeepFields: true})
	a, _ := Scan(iotest.HalfReader(bytes.NewReader(data)), Options{})
	b, _ := Scan(bytes.NewReader(data), Options{})
	if !reflect.DeepEqual(a, b) {
		t.Error("half reader gives another report")
	}
}

// TestFieldAt: field.at numbers lines like the core (bare CR ends a line).
func TestFieldAt(t *testing.T) {
	f := field{value: []byte(" a\r b\r\n c\r"), line: 5, valueOffset: 10}
	for _, tc := range []struct{ i, line int }{{0, 5}, {2, 5}, {3, 6}, {6, 6}, {7, 7}, {10, 8}, {99, 8}, {-1, 5}} {
		off, line := f.at(tc.i)
		if line != tc.line || off != 10+int64(max(0, min(tc.i, len(f.value)))) {
			t.Errorf("at(%d) = %d, %d; want line %d", tc.i, off, line, tc.line)
		}
	}
}

// TestScanNoPerLineAllocation: the allocations of a scan do not grow with
// the number of body lines (header, parts and findings allocate; lines
// must not).
func TestScanNoPerLineAllocation(t *testing.T) {
	msg := func(lines int) []byte {
		var b bytes.Buffer
		b.WriteString("From: a@example.com\r\nTo: b@example.com\r\nSubject: s\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n")
		for i := 0; i < lines; i++ {
			b.WriteString("an ordinary line of body text, with nothing wrong in it at all\r\n")
		}
		b.WriteString("--b\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n")
		for i := 0; i < lines; i++ {
			b.WriteString("QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5\r\n")
		}
		b.WriteString("--b--\r\n")
		return b.Bytes()
	}
	allocs := func(data []byte) float64 {
		r := bytes.NewReader(data)
		return testing.AllocsPerRun(5, func() {
			r.Reset(data)
			if _, err := Scan(r, Options{}); err != nil {
				t.Fatal(err)
			}
		})
	}
	small, large := allocs(msg(100)), allocs(msg(20000))
	if large > small+20 {
		t.Errorf("%v allocations for 100 lines per part, %v for 20000: something allocates per line", small, large)
	}
}

// TestScanNoPerFindingAllocationPastCap: findings past Limits.Findings are
// counted, not built, on the bulk path too (a run's findings wait for
// settle, but one that could not be kept is dropped at once).
func TestScanNoPerFindingAllocationPastCap(t *testing.T) {
	msg := func(blocks int) []byte {
		b := []byte("From: a@example.com\r\nContent-Type: text/plain\r\n\r\n")
		for i := 0; i < blocks; i++ {
			b = append(b, "begin 644 a.txt\r\nM86)C\r\nxyz\r\n"...) // an ENC-002 finding each
		}
		return b
	}
	allocs := func(data []byte) (float64, *Report) {
		var rep *Report
		n := testing.AllocsPerRun(1, func() {
			var err error
			if rep, err = Scan(bytes.NewReader(data), Options{}); err != nil {
				t.Fatal(err)
			}
		})
		return n, rep
	}
	small, _ := allocs(msg(2000))
	large, rep := allocs(msg(100000))
	if rep.FindingsOmitted < 90000 {
		t.Fatalf("%d findings omitted: the input does not reach the cap", rep.FindingsOmitted)
	}
	if large > 2*small {
		t.Errorf("%v allocations for 2,000 findings, %v for 100,000: findings past the cap allocate", small, large)
	}
}

// TestScanPartialLimits: limits left at zero take their defaults.
func TestScanPartialLimits(t *testing.T) {
	rep := scanString(t, "From: a@b\r\n\r\n"+strings.Repeat("x", 120)+"\r\n", Options{Limits: Limits{LineLength: 100}})
	if !rep.Has("STR-004") || len(rep.Parts) != 1 {
		t.Errorf("partial limits: parts %d, findings:\n%s", len(rep.Parts), findingList(rep.Findings))
	}
}

// TestScanConcurrent: scans share no state (run with -race).
func TestScanConcurrent(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "golden", "*.eml"))
	if len(files) == 0 {
		t.Fatal("no golden inputs")
	}
	var inputs [][]byte
	for _, fn := range files {
		b, err := os.ReadFile(fn)
		if err != nil {
			t.Fatal(err)
		}
		inputs = append(inputs, b)
	}
	want := make([]*Report, len(inputs))
	for i, b := range inputs {
		want[i], _ = Scan(bytes.NewReader(b), Options{KeepFields: true})
	}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; k < 20; k++ {
				i := (g + k) % len(inputs)
				got, err := Scan(bytes.NewReader(inputs[i]), Options{KeepFields: true})
				if err != nil || !reflect.DeepEqual(got, want[i]) {
					t.Errorf("concurrent scan of input %d differs (err %v)", i, err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// TestLineReaderLinear: however the line ends fall and however small the
// reads, each byte is searched for a line end a bounded number of times
// (the count is deterministic, unlike a timing).
func TestLineReaderLinear(t *testing.T) {
	for name, in := range map[string][]byte{
		"only CR":         bytes.Repeat([]byte("\r"), 1<<20),
		"only LF":         bytes.Repeat([]byte("\n"), 1<<20),
		"CRLF":            bytes.Repeat([]byte("\r\n"), 1<<19),
		"short CR lines":  bytes.Repeat([]byte("ab\r"), 1<<18),
		"LF then CR":      append(bytes.Repeat([]byte("x\n"), 1<<18), bytes.Repeat([]byte("y\r"), 1<<18)...),
		"no line end":     bytes.Repeat([]byte("z"), 1<<20),
		"CR every window": bytes.Repeat(append(bytes.Repeat([]byte("q"), windowSize-1), '\r'), 16),
	} {
		for _, rd := range []struct {
			name string
			r    func(io.Reader) io.Reader
		}{{"whole", func(r io.Reader) io.Reader { return r }}, {"onebyte", iotest.OneByteReader}, {"half", iotest.HalfReader}} {
			lr := newLineReader(rd.r(bytes.NewReader(in)), sha256.New())
			var n int64
			for {
				d, e, ok := lr.next()
				if !ok {
					break
				}
				n += int64(len(d) + len(e))
			}
			lr.release()
			if n != int64(len(in)) {
				t.Errorf("%s/%s: pieces hold %d bytes, want %d", name, rd.name, n, len(in))
			}
			if lr.searched > 6*int64(len(in)) {
				t.Errorf("%s/%s: searched %d bytes for %d of input: not linear", name, rd.name, lr.searched, len(in))
			}
		}
	}
}

// TestScanRFC2231Boundary: a boundary given in RFC 2231 sections is joined
// and used, and MP-003 does not call it missing.
func TestScanRFC2231Boundary(t *testing.T) {
	msg := "From: a@b\r\nContent-Type: multipart/mixed; boundary*0=\"ab\"; boundary*1=\"cd\"\r\n\r\n--abcd\r\n\r\nx\r\n--abcd--\r\n"
	rep := scanString(t, msg, Options{})
	if len(rep.Parts) != 2 || rep.Parts[0].Boundary != "abcd" || rep.Has("MP-003") || rep.Has("MP-001") {
		t.Errorf("parts %+v, findings:\n%s", rep.Parts, findingList(rep.Findings))
	}
}

func TestParseStructured(t *testing.T) {
	for _, tc := range []struct {
		in, token string
		params    map[string]string
	}{
		{` Text/Plain; Charset="UTF-8"; format=flowed`, "text/plain", map[string]string{"charset": "UTF-8", "format": "flowed"}},
		{` multipart/mixed; boundary="a\"b"; boundary=second`, "multipart/mixed", map[string]string{"boundary": `a"b`}},
		{` text/plain (comment); name=x (c); y = "z"`, "text/plain", map[string]string{"name": "x", "y": "z"}},
		{` "text/plain`, "text/plain", nil},
		{` attachment; filename*=iso-8859-1'en'caf%E9.txt`, "attachment", map[string]string{"filename": "café.txt"}},
		{` a/b; n*0*=utf-8''%C3%A9; n*1=t`, "a/b", map[string]string{"n": "ét"}},
		{` a/b; ;; =v; k`, "a/b", map[string]string{"k": ""}},
	} {
		token, params := scParseStructured([]byte(tc.in))
		m := scParamMap(params)
		if token != tc.token || (len(m) > 0 || len(tc.params) > 0) && !reflect.DeepEqual(m, tc.params) {
			t.Errorf("%q: %q %v, want %q %v", tc.in, token, m, tc.token, tc.params)
		}
	}
}

// TestScanDigestJapanese: MP-009 names the ISO-2022-JP message in a digest.
func TestScanDigestJapanese(t *testing.T) {
	msg := "From: a@b\r\nContent-Type: multipart/digest; boundary=d\r\n\r\n--d\r\n\r\n" +
		"From: c@d\r\nContent-Type: text/plain; charset=ISO-2022-JP\r\n\r\n\x1b$B$3\x1b(B\r\n--d--\r\n"
	rep := scanString(t, msg, Options{})
	var parts []string
	for _, f := range rep.Findings {
		if f.Rule == "MP-009" {
			parts = append(parts, f.Part)
		}
	}
	if strings.Join(parts, ",") != "1,1.1.1" {
		t.Errorf("MP-009 in parts %v, want the digest (1) and the ISO-2022-JP message (1.1.1):\n%s", parts, findingList(rep.Findings))
	}
}

// TestScanTruncatedOnce: one truncation is one STR-009 finding. A file cut
// in the middle of a header line used to get two (ends mid-line, and ends
// inside a header block), as the empty file once did.
func TestScanTruncatedOnce(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		off      int64
		line     int
		part     string
	}{
		{"empty", "", 0, 1, "1"},
		{"cut in a header line", "From: a@b.c\r\nTo: c@d.e", 13, 2, "1"},
		{"cut after a header line", "From: a@b.c\r\nTo: c@d.e\r\n", 24, 3, "1"},
		{"cut in a body line", "From: a@b.c\r\n\r\nbody", 15, 3, "1"},
		{"cut in a part header line", "From: a@b.c\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nContent-Type: text/plain", 63, 5, "1.1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep := scanString(t, tc.in, Options{})
			var got []Finding
			for _, f := range rep.Findings {
				if f.Rule == "STR-009" {
					got = append(got, f)
				}
			}
			if len(got) != 1 {
				t.Fatalf("%d STR-009 findings, want 1: %v", len(got), got)
			}
			if f := got[0]; f.Offset != tc.off || f.Line != tc.line || f.Part != tc.part {
				t.Errorf("%s, want offset %d line %d part %s", f, tc.off, tc.line, tc.part)
			}
		})
	}
}

func TestParseEnvelopeLine(t *testing.T) {
	for _, tc := range []struct {
		in, addr, params string
		n                int
	}{
		{"<a@b.example>", "a@b.example", "", 1},
		{"<e@f.example> NOTIFY=FAILURE,DELAY ORCPT=rfc822;e@f.example", "e@f.example", "NOTIFY=FAILURE,DELAY ORCPT=rfc822;e@f.example", 1},
		{"<a@b>,<c@d>", "a@b", "", 2},
		{"<a@b> NOTIFY=NEVER,<c@d>", "a@b", "NOTIFY=NEVER", 2},
		{"a@b, c@d", "a@b", "", 2},
		{"000,", "000", "", 1},
		{"", "", "", 0},
	} {
		addr, params, n := ParseEnvelopeLine(tc.in)
		if addr != tc.addr || params != tc.params || n != tc.n {
			t.Errorf("ParseEnvelopeLine(%q) = %q, %q, %d; want %q, %q, %d", tc.in, addr, params, n, tc.addr, tc.params, tc.n)
		}
	}
	// A multi-value NOTIFY is valid (RFC 3461), and checked whole.
	for in, bad := range map[string]bool{"NOTIFY=FAILURE,DELAY": false, "NOTIFY=FAILURE,SOMETIMES": true} {
		msg := "X-Sender: <a@b.example>\r\nX-Receiver: <c@d.example> " + in + "\r\nFrom: a@b.example\r\nTo: c@d.example\r\n\r\nx\r\n"
		rep, err := Scan(strings.NewReader(msg), Options{Folder: FolderReplay})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Has("ENV-002") != bad {
			t.Errorf("%s: ENV-002 = %v, want %v (%v)", in, rep.Has("ENV-002"), bad, rep.Findings)
		}
	}
}
