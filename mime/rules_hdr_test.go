package mime

import (
	"bytes"
	stdmime "mime"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// hdrSplit splits the header block at the start of raw into fields the way
// the scanner core does: the name runs up to ':', the value is everything
// after it, continuation lines and the final line ending included, so that
// value[i] is at valueOffset+i. Lines without a colon are skipped; an empty
// line ends the block.
func hdrSplit(raw []byte) []field {
	var fields []field
	cur := -1
	finish := func(end int) {
		if cur < 0 {
			return
		}
		f := &fields[cur]
		f.value = raw[f.valueOffset:end]
		f.length = int64(end) - f.offset
		cur = -1
	}
	line := 1
	for pos := 0; pos < len(raw); {
		end := bytes.IndexByte(raw[pos:], '\n')
		if end < 0 {
			end = len(raw)
		} else {
			end += pos + 1
		}
		l := raw[pos:end]
		switch {
		case len(bytes.TrimRight(l, "\r\n")) == 0:
			finish(pos)
			return fields
		case (l[0] == ' ' || l[0] == '\t') && cur >= 0:
			// continuation: the value grows
		default:
			finish(pos)
			colon := bytes.IndexByte(l, ':')
			if colon < 0 {
				break
			}
			fields = append(fields, field{
				name:        bytes.TrimRight(l[:colon], " \t"),
				offset:      int64(pos),
				valueOffset: int64(pos + colon + 1),
				line:        line,
			})
			cur = len(fields) - 1
		}
		pos = end
		line++
	}
	finish(len(raw))
	return fields
}

// hdrTestPart returns a root part with a reporter for direct check tests.
func hdrTestPart(opts Options) *part {
	opts.normalize()
	o := &opts
	return &part{rep: newReporter(o), opts: o, path: "1"}
}

// runHeaderRules runs this family's field and header checks over the header
// block at the start of raw, as the core would for part p.
func runHeaderRules(p *part, raw []byte) []Finding {
	p.fields = hdrSplit(raw)
	for i := range p.fields {
		checkHeaderField(p, &p.fields[i])
	}
	if f := p.field("content-type"); f != nil {
		if mt, params, err := stdmime.ParseMediaType(string(f.unfolded())); err == nil {
			p.mediaType, p.params = mt, params
		}
	}
	// What the scanner's envelope reader hands the message part in a
	// folder whose files carry envelope lines.
	if envelopeFolder(p.opts.Folder) {
		for i := range p.fields {
			if f := &p.fields[i]; f.is("x-receiver") {
				if p.envReceivers++; p.envReceivers == p.opts.Limits.Recipients+1 {
					p.envOver = &envOver{fieldPos{f.offset, f.line}, fieldEvidence(f)}
				}
			}
		}
	}
	checkRecipientCount(p)
	checkSenderPresent(p)
	checkHeaderDBCS(p)
	return p.rep.sorted()
}

// inField reports whether the file offset off lies inside one of the fields.
func inField(fields []field, off int64) bool {
	for _, f := range fields {
		if off >= f.offset && off < f.offset+f.length {
			return true
		}
	}
	return false
}

// hdrCRLF turns "\n" into "\r\n" and ends the header block with an empty line.
func hdrCRLF(s string) string { return strings.ReplaceAll(s, "\n", "\r\n") + "\r\n\r\n" }

type hdrCase struct {
	name string
	rule string
	raw  string // header lines joined by "\n" (sent with CRLF), without the final empty line
	at   string // the first finding of rule starts at the first occurrence of at; "" = no finding
	opts func(*Options)
	bare bool // raw is used as is (no CRLF conversion, no empty line added)
}

func runHdrCases(t *testing.T, cases []hdrCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.rule+"_"+tc.name, func(t *testing.T) {
			raw := tc.raw
			if !tc.bare {
				raw = hdrCRLF(raw)
			}
			var opts Options
			opts.normalize()
			if tc.opts != nil {
				tc.opts(&opts)
			}
			p := hdrTestPart(opts)
			findings := runHeaderRules(p, []byte(raw))
			var got *Finding
			for i := range findings {
				if findings[i].Rule == tc.rule {
					got = &findings[i]
					break
				}
			}
			if tc.at == "" {
				if got != nil {
					t.Fatalf("unexpected %s", got)
				}
				return
			}
			if got == nil {
				t.Fatalf("no %s finding; got %v", tc.rule, findings)
			}
			want := strings.Index(raw, tc.at)
			if want < 0 {
				t.Fatalf("bad test: %q not in input", tc.at)
			}
			wantLine := 1 + strings.Count(raw[:want], "\n")
			if got.Offset != int64(want) || got.Line != wantLine {
				t.Errorf("%s at offset %d line %d, want %d line %d (%s)", tc.rule, got.Offset, got.Line, want, wantLine, got)
			}
			if got.Severity != severityOf(tc.rule) && tc.rule != "STR-004" {
				t.Errorf("severity %s, want %s", got.Severity, severityOf(tc.rule))
			}
			if got.Part != "1" || got.Message == "" {
				t.Errorf("bad finding %s", got)
			}
		})
	}
}

func TestHdrSplit(t *testing.T) {
	raw := []byte("From: a@b\r\nSubject: x\r\n y\r\nTo:c\r\n\r\nbody")
	fs := hdrSplit(raw)
	if len(fs) != 3 {
		t.Fatalf("%d fields", len(fs))
	}
	s := fs[1]
	if string(s.name) != "Subject" || string(s.value) != " x\r\n y\r\n" || s.valueOffset != 19 || s.line != 2 || s.length != 16 {
		t.Fatalf("bad field %+v", s)
	}
	if off, line := s.at(5); off != 24 || line != 3 {
		t.Fatalf("at(5) = %d, %d", off, line)
	}
}

func TestPrintfRule(t *testing.T) {
	runHdrCases(t, []hdrCase{
		{name: "kb239816", rule: "HDR-001", raw: "From: a@b\nSubject: %s%s%s%n", at: "%s%s"},
		{name: "zero padded hex", rule: "HDR-001", raw: "From: a@b\nSubject: hi %08x.%08x", at: "%08x."},
		{name: "precision", rule: "HDR-001", raw: "From: a@b\nSubject: x%.100s", at: "%.100s"},
		{name: "length modifier", rule: "HDR-001", raw: "From: a@b\nSubject: x %hn", at: "%hn"},
		{name: "pointer", rule: "HDR-001", raw: "From: a@b\nSubject: %p", at: "%p"},
		{name: "message-id", rule: "HDR-001", raw: "From: a@b\nMessage-ID: <%n%n@example.com>", at: "%n%n"},
		{name: "display name", rule: "HDR-001", raw: "From: \"%x%x\" <a@b>", at: "%x%x"},
		{name: "star width", rule: "HDR-001", raw: "From: a@b\nSubject: %*s", at: "%*s"},
		{name: "flag", rule: "HDR-001", raw: "From: a@b\nSubject: %-10s", at: "%-10s"},
		{name: "one digit width", rule: "HDR-001", raw: "From: a@b\nSubject: %5x", at: "%5x"},
		{name: "msvc I64", rule: "HDR-001", raw: "From: a@b\nSubject: %I64x", at: "%I64x"},
		{name: "encoded subject", rule: "HDR-001", raw: "From: a@b\nSubject: hi =?utf-8?B?JXMlcyVzJW4=?=", at: "=?utf-8"},
		{name: "encoded display name", rule: "HDR-001", raw: "From: =?iso-8859-1?Q?J=F6rg_%n?= <a@b>", at: "=?iso"},
		{name: "encoded url escape", rule: "HDR-001", raw: "From: a@b\nSubject: =?utf-8?Q?a=2520b_100=25_sure?="},
		{name: "percent space", rule: "HDR-001", raw: "From: a@b\nSubject: 100% sure, 50% next"},
		{name: "url escapes", rule: "HDR-001", raw: "From: a@b\nSubject: see http://x.example/a%20b%2Fc%3Fd%20sale%2520some"},
		{name: "trailing percent", rule: "HDR-001", raw: "From: a@b\nSubject: 50%"},
		// A percentage glued to the next word is marketing, not a format
		// string: %p, %S, %n and %s would otherwise be read as directives.
		{name: "percent pure", rule: "HDR-001", raw: "From: a@b\nSubject: 100%pure cotton"},
		{name: "percent Sale", rule: "HDR-001", raw: "From: a@b\nSubject: Up to 70%Sale, 20%new, 5%xtra"},
		{name: "encoded percent word", rule: "HDR-001", raw: "From: a@b\nSubject: =?utf-8?Q?100=25pure?="},
		{name: "digits then directives", rule: "HDR-001", raw: "From: a@b\nSubject: 1%s%s%n", at: "%s%s"},
		{name: "digit then directive at end", rule: "HDR-001", raw: "From: a@b\nSubject: 1%n", at: "%n"},
		{name: "percent word then directive", rule: "HDR-001", raw: "From: a@b\nSubject: 100%pure %n", at: "%n"},
		{name: "other conversions", rule: "HDR-001", raw: "From: a@b\nSubject: %d items %c %f %%"},
		{name: "not checked", rule: "HDR-001", raw: "From: a@b\nX-Mailer: %s%n"},
	})
}

func TestDateRule(t *testing.T) {
	runHdrCases(t, []hdrCase{
		{name: "words", rule: "HDR-002", raw: "From: a@b\nDate: yesterday", at: "yesterday"},
		{name: "empty", rule: "HDR-002", raw: "From: a@b\nDate: \nSubject: x", at: " \r\nSubject"},
		{name: "bad hour", rule: "HDR-002", raw: "From: a@b\nDate: Mon, 2 Jan 2006 25:04:05 -0700", at: "Mon, 2"},
		{name: "bad weekday", rule: "HDR-002", raw: "From: a@b\nDate: Xyz, 2 Jan 2006 15:04:05 -0700", at: "Xyz"},
		{name: "long", rule: "HDR-002", raw: "From: a@b\nDate: Mon, 2 Jan 2006 15:04:05 -0700 (" + strings.Repeat("x", 80) + ")", at: "Mon, 2"},
		{name: "bad day", rule: "HDR-002", raw: "From: a@b\nDate: Mon, 45 Jan 2006 15:04:05 -0700", at: "Mon, 45"},
		{name: "rfc5322", rule: "HDR-002", raw: "From: a@b\nDate: Mon, 2 Jan 2006 15:04:05 -0700"},
		{name: "folded", rule: "HDR-002", raw: "From: a@b\nDate: Mon, 2 Jan 2006\n 15:04:05 -0700"},
		{name: "obsolete forms", rule: "HDR-002", raw: "From: a@b\nDate: 2 Jan 06 15:04 EST"},
		{name: "comment", rule: "HDR-002", raw: "From: a@b\nDate: Mon, 2 Jan 2006 15:04:05 +0000 (UTC)"},
		{name: "no zone", rule: "HDR-002", raw: "From: a@b\nDate: Mon, 02 Jan 2006 15:04:05"},
		{name: "no space after comma", rule: "HDR-002", raw: "From: a@b\nDate: Mon,2 Jan 2006 15:04:05 -0700"},
		{name: "military zone", rule: "HDR-002", raw: "From: a@b\nDate: Mon, 2 Jan 2006 15:04:05 Z"},
		{name: "asctime", rule: "HDR-002", raw: "From: a@b\nDate: Mon Jan  2 15:04:05 2006"},
		{name: "long names", rule: "HDR-002", raw: "From: a@b\nDate: Monday, 2 January 2006 15:04:05 -0700"},
		{name: "colon zone", rule: "HDR-002", raw: "From: a@b\nDate: Mon, 2 Jan 2006 15:04:05 -07:00"},
		{name: "zone glued", rule: "HDR-002", raw: "From: a@b\nDate: 01 Jan 2001 00:01+0000"},
		{name: "comment zone", rule: "HDR-002", raw: "From: a@b\nDate: Thu, 16 Jun 2016 00:41:19 (UTC)"},
		{name: "dashed", rule: "HDR-002", raw: "From: a@b\nDate: Mon, 2-Jan-2006 15:04:05 -0700"},
	})
}

func TestUnfoldedLengthRule(t *testing.T) {
	folded := "To: " + strings.Repeat("a123456789@example.com,\n ", 45) + "z@example.com"
	runHdrCases(t, []hdrCase{
		{name: "folded to", rule: "HDR-005", raw: "From: a@b\n" + folded, at: "To: a1"},
		{name: "short", rule: "HDR-005", raw: "From: a@b\nTo: " + strings.Repeat("a123456789@example.com,\n ", 30) + "z@example.com"},
		{name: "one long line", rule: "HDR-005", raw: "From: a@b\nSubject: " + strings.Repeat("x", 1200)},
	})
}

func TestClassifyHeader(t *testing.T) {
	for name, want := range map[string]hdrKind{
		"TO": kAddress | kRecipient, "from": kAddress, "Return-Path": kAddress, "subject": kSubject | kUnstructured,
		"Content-Type": kContentType | kParams | kMIMEStructured | kMIMELength, "X-Mailer": 0,
		strings.Repeat("x", 40): 0, "": 0, "Message-Id": kMessageID, "date": kDate,
	} {
		if got := classifyHeader([]byte(name)); got != want {
			t.Errorf("classifyHeader(%q) = %b, want %b", name, got, want)
		}
	}
}

// TestHeaderChecksAllocs keeps the clean path cheap: a clean field of each
// kind must not allocate (findings and Date parsing may).
func TestHeaderChecksAllocs(t *testing.T) {
	raw := []byte(hdrCRLF("From: \"Doe, John\" <john@example.com>\nTo: a@example.com, B <b@example.com>\nSubject: =?utf-8?Q?hello?= =?UTF-8?B?d29ybGQ=?= 100% sure\nMessage-ID: <abc@example.com>\nContent-Type: text/plain; charset=\"us-ascii\"; format=flowed\nMIME-Version: 1.0 (x)"))
	p := hdrTestPart(Options{})
	fields := hdrSplit(raw)
	allocs := testing.AllocsPerRun(100, func() {
		for i := range fields {
			checkHeaderField(p, &fields[i])
		}
	})
	if allocs != 0 || len(p.rep.findings) != 0 {
		t.Errorf("%v allocations per run, findings %v", allocs, p.rep.findings)
	}
}

// hdrFixtureRules are the rules whose fixtures this family owns. In STR-006
// and ENC-007 only the "-header-" fixtures are ours (the body engineer owns
// the rest of those folders).
var hdrFixtureRules = []string{
	"STR-006", "STR-007", "STR-008", "CT-001", "CT-002", "CT-003", "CT-004", "CT-005",
	"ADDR-001", "ADDR-002", "ADDR-003", "ADDR-004", "ADDR-005", "ADDR-006",
	"HDR-001", "HDR-002", "HDR-005", "ENC-005", "ENC-006", "ENC-007",
}

// TestHeaderFixtures runs this family's checks alone over the top-level
// header of each fixture in ../fixtures/rules/<ID>/: pos-*.eml must yield
// the rule at the offset its .want names, neg-*.eml must not yield it. The
// full-scanner fixture test checks the same files through Scan.
func TestHeaderFixtures(t *testing.T) {
	for _, rule := range hdrFixtureRules {
		dir := filepath.Join("..", "fixtures", "rules", rule)
		names, err := filepath.Glob(filepath.Join(dir, "*.eml"))
		if err != nil || len(names) == 0 {
			t.Errorf("%s: no fixtures in %s", rule, dir)
			continue
		}
		npos, nneg := 0, 0
		for _, name := range names {
			base := strings.TrimSuffix(filepath.Base(name), ".eml")
			if (rule == "STR-006" || rule == "ENC-007") && !strings.Contains(base, "-header-") {
				continue
			}
			positive := strings.HasPrefix(base, "pos-")
			if !positive && !strings.HasPrefix(base, "neg-") {
				continue
			}
			t.Run(rule+"/"+base, func(t *testing.T) {
				raw, err := os.ReadFile(name)
				if err != nil {
					t.Fatal(err)
				}
				var opts Options
				want := int64(-1)
				if w, err := os.ReadFile(filepath.Join(dir, base+".want")); err == nil {
					for _, l := range strings.Split(strings.TrimSpace(string(w)), "\n") {
						key, val, _ := strings.Cut(strings.TrimSpace(l), " ")
						switch key {
						case "folder":
							opts.Folder = Folder(val)
						case "offset":
							want, _ = strconv.ParseInt(val, 10, 64)
						case "part":
							if val != "1" {
								t.Skip("evidence in a nested part: TestRuleFixtures checks it through Scan")
							}
						case "at":
							if strings.HasPrefix(val, `"`) {
								if val, err = strconv.Unquote(val); err != nil {
									t.Fatalf("bad at in .want: %v", err)
								}
							}
							want = int64(bytes.Index(raw, []byte(val)))
						}
					}
				}
				if positive && want < 0 {
					t.Fatalf("positive fixture without a usable offset or at in %s.want", base)
				}
				p := hdrTestPart(opts)
				if positive && !inField(hdrSplit(raw), want) {
					t.Skip("evidence in a header line that is no field: the core reports it, TestRuleFixtures checks it through Scan")
				}
				var got *Finding
				for _, f := range runHeaderRules(p, raw) {
					if f.Rule == rule {
						got = &f
						break
					}
				}
				switch {
				case !positive && got != nil:
					t.Errorf("negative fixture yields %s", got)
				case positive && got == nil:
					t.Errorf("positive fixture yields no %s", rule)
				case positive && got.Offset != want:
					t.Errorf("%s at offset %d, want %d", got, got.Offset, want)
				}
			})
			if positive {
				npos++
			} else {
				nneg++
			}
		}
		if npos == 0 || nneg == 0 {
			t.Errorf("%s: %d positive and %d negative fixtures, want at least one of each", rule, npos, nneg)
		}
	}
}

// BenchmarkHeaderFields measures the header-field rules over a typical
// top-level header (what Scan runs per part, minus the splitting).
func BenchmarkHeaderFields(b *testing.B) {
	raw := []byte(hdrCRLF("Return-Path: <alice@example.com>\n" +
		"Received: from mail.example.com (mail.example.com [192.0.2.1])\n\tby mx.example.net with ESMTP id 12345\n\tfor <bob@example.net>; Mon, 2 Jan 2006 15:04:05 -0700\n" +
		"From: =?iso-8859-1?Q?Andr=E9_Example?= <andre@example.com>\n" +
		"To: Bob Example <bob@example.net>, \"Doe, Carol\" <carol@example.org>,\n\tdave@example.org (Dave)\n" +
		"Cc: undisclosed-recipients:;\n" +
		"Subject: =?UTF-8?B?UmU6IFF1YXJ0ZXJseSByZXBvcnQ=?= (draft 100% done)\n" +
		"Date: Mon, 2 Jan 2006 15:04:05 -0700\n" +
		"Message-ID: <20060102150405.1234@example.com>\n" +
		"References: <a1@example.com> <b2@example.com>\n" +
		"MIME-Version: 1.0 (Produced by Microsoft MimeOLE V6.00.2800.1106)\n" +
		"Content-Type: multipart/mixed;\n\tboundary=\"----=_NextPart_000_0001_01C6B1E2.3F4A5B60\"\n" +
		"Content-Disposition: inline; filename*=utf-8''r%C3%A9sum%C3%A9.doc\n" +
		"X-Mailer: Microsoft Outlook Express 6.00.2900.2180"))
	fields := hdrSplit(raw)
	opts := Options{}
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		p := hdrTestPart(opts)
		p.fields = fields
		for j := range fields {
			checkHeaderField(p, &fields[j])
		}
		checkRecipientCount(p)
		checkSenderPresent(p)
		checkHeaderDBCS(p)
	}
}

func TestFastDate(t *testing.T) {
	for s, want := range map[string]bool{
		"Mon, 2 Jan 2006 15:04:05 -0700":            true,
		"2 Jan 2006 15:04 +0000":                    true,
		"mon,\r\n 02 jan 2006 15:04:05 +0100 (CET)": true,
		"Mon, 2 Jan 2006 15:04:05 -0760":            false,
		"Mon, 2 Jan 06 15:04:05 -0700":              false, // two-digit year: the slow path
		"Mon, 2 Jan 2006 15:04:05 EST":              false,
		"Mon, 2 Jan 2006 15:04:05 -0700 (x":         false,
		"Mon 2 Jan 2006 15:04:05 -0700":             false,
		"":                                          false,
		"Mon, 32 Jan 2006 15:04:05 -0700":           false,
		"Mon, 2 Jan 2006 15:4:05 -0700":             false,
	} {
		if got := fastDate([]byte(s)); got != want {
			t.Errorf("fastDate(%q) = %v, want %v", s, got, want)
		}
	}
}
