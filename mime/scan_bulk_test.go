package mime

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

// TestBulkLinear: whatever stops the bulk path (a bare CR, mixed line
// endings, a line starting "--" inside a multipart, a long line, a lone
// "."), each byte is searched for a line end a bounded number of times, as
// TestLineReaderLinear checks for the reader alone. A bulk attempt that
// gives up without taking its lines must not search them again for every
// line the line-at-a-time path then takes.
func TestBulkLinear(t *testing.T) {
	const n = 1 << 20
	head := "From: a@example.com\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n" +
		"Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n"
	rep := func(line string) string { return strings.Repeat(line, n/len(line)) }
	for _, c := range []struct {
		name   string
		body   string
		folder Folder
	}{
		{"bare CR lines", rep("QUJD\r"), FolderQueue},
		{"bare CR in each CRLF line", rep("QU\rJD\r\n"), FolderQueue},
		{"CRLF and LF alternate", rep("QUJD\r\nQUJD\n"), FolderQueue},
		{"dash lines", rep("--not-the-boundary\r\n"), FolderQueue},
		{"long lines", rep(strings.Repeat("A", 1200) + "\r\n"), FolderQueue},
		{"lone dots", rep(".\r\nQUJD\r\n"), FolderPickup},
		{"no line end", strings.Repeat("A", n), FolderQueue},
		{"plain CRLF", rep("QUJDRA==\r\n"), FolderQueue},
		// A line end inside a line taken by its length hides a "--" line
		// from the run; the run is then searched line by line.
		{"hidden dash lines", "\n" + rep(strings.Repeat("QUJD\r\n", 10)+"\n--x\r\n"), FolderQueue},
		{"bare CRs before a long line", rep(strings.Repeat("\r", 60000) + "\n"), FolderQueue},
		{"hidden bare CR", rep(strings.Repeat("QUJD\r\n", 10) + "Q\rD\r\n"), FolderQueue},
	} {
		in := []byte(head + c.body + "\r\n--b--\r\n")
		opts := Options{Folder: c.folder}
		opts.normalize()
		fillLimits(&opts.Limits)
		s := newScanner(bytes.NewReader(in), &opts)
		s.run()
		searched := s.lr.searched
		s.lr.release()
		if s.off != int64(len(in)) {
			t.Errorf("%s: scanned %d bytes of %d", c.name, s.off, len(in))
		}
		if searched > 8*int64(len(in)) {
			t.Errorf("%s: searched %d bytes for %d of input: not linear", c.name, searched, len(in))
		}
	}
}

// TestBulkMatchesLineByLine builds messages larger than the read window
// from a seeded mix of line kinds (clean base64, padding, bad bytes, NUL,
// bare CR, bare LF, "--" lines, delimiters, lone dots, long lines, text
// parts with quoted-printable and uuencode) so that every kind of line
// meets a window boundary, and checks through checkScan that the bulk path
// and the line-at-a-time path give the same report. (checkScan does the
// same for every corpus message and fuzz input; those are mostly smaller
// than one window.)
func TestBulkMatchesLineByLine(t *testing.T) {
	kinds := []string{
		"QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0\r\n",
		"QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0\n",
		"QUJD\r\n", "QUI=\r\n", "QQ==\r\n", "QU*D\r\n", "QU\x00D\r\n", "QU\rJD\r\n", "\r\n", "\n",
		"--\r\n", "--x\r\n", "--b\r\n", ".\r\n", "..\r\n", " QUJD \r\n",
		strings.Repeat("A", 1000) + "\r\n", strings.Repeat("B", 998) + "\r\n",
		"begin 644 a.txt\r\n", "M86)C\r\n", "end\r\n", "caf=E9 =\r\n", "=3D=ZZ\r\n",
		"(This file must be converted with BinHex 4.0)\r\n", "\xff\xfe\r\n",
	}
	types := []string{
		"Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n",
		"Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n",
		"Content-Type: text/plain\r\n\r\n",
		"Content-Type: text/plain; charset=shift_jis\r\nContent-Transfer-Encoding: 8bit\r\n\r\n",
	}
	seed := uint64(1)
	next := func(n int) int { // xorshift: the same messages on every run
		seed ^= seed << 13
		seed ^= seed >> 7
		seed ^= seed << 17
		return int(seed % uint64(n))
	}
	for m := 0; m < 40; m++ {
		var b strings.Builder
		b.WriteString("From: a@example.com\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n")
		for part := 0; part < 3; part++ {
			b.WriteString("--b\r\n" + types[next(len(types))])
			// Mostly clean lines, so that long bulk runs form, with a
			// special line now and then.
			for b.Len() < (part+1)*(windowSize+windowSize/2) {
				if next(8) == 0 {
					b.WriteString(kinds[next(len(kinds))])
				} else {
					b.WriteString(kinds[next(3)])
				}
			}
		}
		b.WriteString("--b--\r\n")
		for _, folder := range []Folder{FolderQueue, FolderPickup} {
			checkScan(t, "generated", []byte(b.String()), Options{Folder: folder})
		}
		// With the findings limits reached inside a run, the same findings
		// must be kept as line at a time, where each line goes to every
		// checker before the next line.
		for _, lim := range [][2]int{{1, 50}, {2, 50}, {3, 1}} {
			opts := Options{Limits: DefaultLimits()}
			opts.Limits.Findings, opts.Limits.FindingsPerRule = lim[0], lim[1]
			checkScan(t, fmt.Sprintf("generated, findings=%d per rule=%d", lim[0], lim[1]), []byte(b.String()), opts)
		}
	}
	// Two checkers report in one run, the second on an earlier line: the
	// one slot goes to the earlier line's finding (ENC-001, crash), not to
	// the checker that ran first on the run.
	capped := Options{Limits: DefaultLimits()}
	capped.Limits.Findings = 1
	rep := checkScan(t, "findings cap", []byte("From: a@example.com\r\nContent-Transfer-Encoding: base64\r\n\r\nQUJD\r\nQU*D\r\nQU\x00D\r\n"), capped)
	if rules := findingsText(rep); !strings.Contains(rules, "ENC-001") || strings.Contains(rules, "STR-006") {
		t.Errorf("findings cap: kept%s\nwant ENC-001 kept and STR-006 omitted", rules)
	}
	// The line each finding is tagged with, from a block writer (BinHex,
	// NUL) and from the line-at-a-time loop (TNEF, uuencode): the finding
	// of the earlier line is kept.
	for name, c := range map[string]struct{ msg, keep string }{
		"BinHex after TNEF":   {"Content-Type: application/ms-tnef\r\n\r\n \r\n \r\n(This file must be converted with BinHex 4.0)\r\n:abc\r\n", "TNEF-001"},
		"NUL before uuencode": {"Content-Type: text/plain\r\n\r\nabc\r\nd\x00e\r\nbegin 644 a.txt\r\nM86)C\r\n`\r\nend\r\n", "STR-006"},
	} {
		rep := checkScan(t, name, []byte("From: a@example.com\r\n"+c.msg), capped)
		if len(rep.Findings) != 1 || rep.Findings[0].Rule != c.keep || rep.FindingsOmitted == 0 {
			t.Errorf("%s: kept%s\nwant %s", name, findingsText(rep), c.keep)
		}
	}
	// Findings whose line number a run must carry past its first lines.
	for name, body := range map[string]string{
		"BinHex after blank lines": "\r\n\r\n \r\n(This file must be converted with BinHex 4.0)\r\n:abc\r\n",
		"NUL on the third line":    "abc\r\ndef\r\ng\x00h\r\n",
		"uuencode after text":      "hello\r\n\r\nbegin 644 a.txt\r\nM86)C\r\n`\r\n",
	} {
		rep := checkScan(t, name, []byte("From: a@example.com\r\nContent-Type: text/plain\r\n\r\n"+body), Options{})
		if len(rep.Findings) == 0 {
			t.Errorf("%s: no finding", name)
		}
		for _, f := range rep.Findings {
			if f.Line < 6 { // the body starts on line 4
				t.Errorf("%s: %s on line %d, before the body's third line", name, f.Rule, f.Line)
			}
		}
	}
}
