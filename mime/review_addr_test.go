package mime

import (
	"bytes"
	"strconv"
	"strings"
	"testing"
)

// Regression tests for the review of the address and header rules
// (ADDR-001, ADDR-002, ADDR-006, HDR-001, HDR-002). Each case is a whole
// message scanned with Scan, so the finding's part, offset and line are
// the ones a user sees.

// reviewHead is the header every case starts from unless it replaces it:
// a From, a To, a Message-ID and a Date that trip no rule.
const reviewHead = "From: a@b.c\r\nTo: d@e.f\r\nMessage-ID: <x@y>\r\nDate: Mon, 1 Jan 2024 00:00:00 +0000\r\n"

// reviewCase is one message and what the scan must say about one rule.
type reviewCase struct {
	name string
	rule string
	raw  string
	// at is the text whose first occurrence in raw is where the rule's
	// first finding must start; empty means the rule must not be reported.
	at   string
	sev  Severity // expected severity of that finding
	part string   // expected part; "1" when empty
	msg  string   // text the message must contain, if any
	// keep, when set, is Limits.HeaderBytesKept for the scan (the other
	// limits stay at their defaults).
	keep int
}

func runReviewCases(t *testing.T, cases []reviewCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.rule+"_"+tc.name, func(t *testing.T) {
			opts := Options{}
			if tc.keep > 0 {
				opts.Limits = DefaultLimits()
				opts.Limits.HeaderBytesKept = tc.keep
			}
			rep, err := Scan(strings.NewReader(tc.raw), opts)
			if err != nil {
				t.Fatal(err)
			}
			var got []Finding
			for _, f := range rep.Findings {
				if f.Rule == tc.rule {
					got = append(got, f)
				}
			}
			if tc.at == "" {
				if len(got) > 0 {
					t.Fatalf("want no %s, got:\n%s", tc.rule, findingList(got))
				}
				return
			}
			if len(got) == 0 {
				t.Fatalf("no %s finding; all findings:\n%s", tc.rule, findingList(rep.Findings))
			}
			want := strings.Index(tc.raw, tc.at)
			if want < 0 {
				t.Fatalf("bad test: %q not in the message", tc.at)
			}
			f := got[0]
			if f.Offset != int64(want) {
				t.Errorf("%s at offset %d, want %d (%q):\n%s", tc.rule, f.Offset, want, tc.at, findingList(got))
			}
			if wantLine := lineAt([]byte(tc.raw), int64(want)); f.Line != wantLine {
				t.Errorf("%s on line %d, want %d", tc.rule, f.Line, wantLine)
			}
			if f.Severity != tc.sev {
				t.Errorf("%s severity %s, want %s", tc.rule, f.Severity, tc.sev)
			}
			part := tc.part
			if part == "" {
				part = "1"
			}
			if f.Part != part {
				t.Errorf("%s in part %s, want %s", tc.rule, f.Part, part)
			}
			if tc.msg != "" && !strings.Contains(f.Message, tc.msg) {
				t.Errorf("%s message %q does not say %q", tc.rule, f.Message, tc.msg)
			}
		})
	}
}

// reviewEmbedded wraps an inner message in part 1.2 (message/rfc822) of a
// multipart/mixed message: its header is part 1.2.1 (doc.go: the entity
// inside a message/rfc822 part P is "P.1").
func reviewEmbedded(inner string) string {
	return reviewHead + "Subject: fwd\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"bb\"\r\n\r\n" +
		"--bb\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n" +
		"--bb\r\nContent-Type: message/rfc822\r\n\r\n" + inner + "\r\n--bb--\r\n"
}

// ---------------------------------------------------------------- HDR-002

func TestReview_dateDayOfMonth(t *testing.T) {
	noDate := "From: a@b.c\r\nTo: d@e.f\r\nMessage-ID: <x@y>\r\n"
	date := func(d string) string { return noDate + "Date: " + d + "\r\nSubject: s\r\n\r\nb\r\n" }
	runReviewCases(t, []reviewCase{
		{name: "29 Feb non-leap", rule: "HDR-002", raw: date("Mon, 29 Feb 2023 00:00:00 +0000"), at: "Mon, 29 Feb", sev: Medium},
		{name: "31 Apr", rule: "HDR-002", raw: date("Mon, 31 Apr 2024 00:00:00 +0000"), at: "Mon, 31 Apr", sev: Medium},
		{name: "31 Jun no weekday", rule: "HDR-002", raw: date("31 Jun 2024 10:00 +0200"), at: "31 Jun", sev: Medium},
		{name: "31 Sep", rule: "HDR-002", raw: date("Tue, 31 Sep 2024 10:00:00 +0200"), at: "Tue, 31 Sep", sev: Medium},
		{name: "30 Nov folded", rule: "HDR-002", raw: date("Sun,\r\n 31 Nov 2024 10:00:00 +0200"), at: "Sun,\r\n 31", sev: Medium},
		{name: "30 Feb leap", rule: "HDR-002", raw: date("Fri, 30 Feb 2024 00:00:00 +0000"), at: "Fri, 30 Feb", sev: Medium},
		{name: "29 Feb 1900", rule: "HDR-002", raw: date("Thu, 29 Feb 1900 00:00:00 +0000"), at: "Thu, 29 Feb", sev: Medium},
		{name: "embedded message", rule: "HDR-002", raw: reviewEmbedded(date("Mon, 29 Feb 2023 00:00:00 +0000")), at: "Mon, 29 Feb", sev: Medium, part: "1.2.1"},
		// Days that exist.
		{name: "29 Feb leap", rule: "HDR-002", raw: date("Thu, 29 Feb 2024 00:00:00 +0000")},
		{name: "29 Feb 2000", rule: "HDR-002", raw: date("Tue, 29 Feb 2000 00:00:00 +0000")},
		{name: "28 Feb", rule: "HDR-002", raw: date("Tue, 28 Feb 2023 00:00:00 +0000")},
		{name: "30 Apr", rule: "HDR-002", raw: date("Tue, 30 Apr 2024 00:00:00 +0000")},
		{name: "31 Dec", rule: "HDR-002", raw: date("Tue, 31 Dec 2024 23:59:59 +0000")},
		{name: "31 Jul lower case", rule: "HDR-002", raw: date("wed, 31 jul 2024 23:59:59 +0000")},
	})
}

// TestReview_fastDateDays checks the allocation-free date path on its own
// against net/mail, which the slow path is built on: fastDate must never
// accept a day that the month does not have.
func TestReview_fastDateDays(t *testing.T) {
	months := []string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}
	for _, year := range []string{"1900", "2000", "2023", "2024", "2100"} {
		for _, m := range months {
			for day := 27; day <= 32; day++ {
				s := strconv.Itoa(day) + " " + m + " " + year + " 12:00:00 +0000"
				if got, want := fastDate([]byte(s)), parseDateTolerant(s); got != want {
					t.Errorf("fastDate(%q) = %v, net/mail says %v", s, got, want)
				}
			}
		}
	}
}

// ---------------------------------------------------------------- ADDR-006

func TestReview_fromDisplayNameOnly(t *testing.T) {
	rest := "To: d@e.f\r\nMessage-ID: <x@y>\r\nDate: Mon, 1 Jan 2024 00:00:00 +0000\r\nSubject: s\r\n"
	from := func(v string) string { return rest + "From:" + v + "\r\n\r\nb\r\n" }
	at := "From:"
	runReviewCases(t, []reviewCase{
		{name: "quoted name", rule: "ADDR-006", raw: from(` "John Smith"`), at: at, sev: High, msg: "display name but no address"},
		{name: "phrase", rule: "ADDR-006", raw: from(" John Smith"), at: at, sev: High, msg: "display name but no address"},
		{name: "quoted one word", rule: "ADDR-006", raw: from(` "postmaster"`), at: at, sev: High},
		{name: "folded phrase", rule: "ADDR-006", raw: from(" John\r\n Smith"), at: at, sev: High},
		{name: "words around a comment", rule: "ADDR-006", raw: from(" John(the)Smith"), at: at, sev: High},
		{name: "unclosed quote", rule: "ADDR-006", raw: from(` "John Smith`), at: at, sev: High},
		{name: "two names", rule: "ADDR-006", raw: from(" John Smith, Jane Doe"), at: at, sev: High},
		{name: "group of names", rule: "ADDR-006", raw: from(" team: John Smith, Jane Doe;"), at: at, sev: High},
		{name: "first of two From", rule: "ADDR-006", raw: "From: John Smith\r\n" + from(" Jane Doe"), at: "From: John", sev: High},
		// A mailbox is there.
		{name: "name and angle", rule: "ADDR-006", raw: from(` "John Smith" <js@example.com>`)},
		{name: "addr-spec and comment", rule: "ADDR-006", raw: from(" js@example.com (John Smith)")},
		{name: "quoted local part", rule: "ADDR-006", raw: from(` "John Smith"@example.com`)},
		{name: "spaces around at", rule: "ADDR-006", raw: from(" js @ example.com")},
		{name: "bare local name", rule: "ADDR-006", raw: from(" postmaster")},
		{name: "dotted local name", rule: "ADDR-006", raw: from(" john.smith")},
		{name: "name then address", rule: "ADDR-006", raw: from(" John Smith, js@example.com")},
		{name: "second From has one", rule: "ADDR-006", raw: "From: John Smith\r\n" + from(" js@example.com")},
		{name: "x-sender", rule: "ADDR-006", raw: "x-sender: js@example.com\r\nx-receiver: d@e.f\r\n" + from(" John Smith")},
	})
}

// ---------------------------------------------------------------- ADDR-001

func TestReview_unclosedDomainLiteral(t *testing.T) {
	noTo := "From: a@b.c\r\nMessage-ID: <x@y>\r\nDate: Mon, 1 Jan 2024 00:00:00 +0000\r\nSubject: s\r\n"
	to := func(v string) string { return noTo + "To:" + v + "\r\n\r\nb\r\n" }
	// A To: list longer than the 4096 bytes kept below, so that the field
	// is cut; each address is 8 bytes.
	list := func(n int) string { return strings.Repeat("a@b.cc, ", n) }
	runReviewCases(t, []reviewCase{
		{name: "before a comment", rule: "ADDR-001", raw: to(" [, user (A,B); x@y.z"), at: "[", sev: Crash, msg: "never closed"},
		{name: "after an address", rule: "ADDR-001", raw: to(" x@y.z, [ (A,B); <<<<<"), at: "[", sev: Crash, msg: "never closed"},
		{name: "in a phrase", rule: "ADDR-001", raw: to(" user [x (A,B); y@z.a"), at: "[", sev: Crash},
		{name: "at the end", rule: "ADDR-001", raw: to(" user@[192.0.2.1"), at: "[", sev: Crash},
		{name: "folded", rule: "ADDR-001", raw: to(" a@b.c,\r\n [x\r\n y@z.a"), at: "[x", sev: Crash},
		{name: "cc", rule: "ADDR-001", raw: noTo + "To: d@e.f\r\nCc: [ops <ops@e.f>\r\n\r\nb\r\n", at: "[ops", sev: Crash},
		// The field is cut: a '[' well before the cut never closed; one
		// just before the cut may close in the bytes not kept, but the
		// comment after it is still seen.
		{name: "cut long after", rule: "ADDR-001", raw: to(" [" + list(1000)), at: "[", sev: Crash, keep: 4096},
		{name: "cut just after", rule: "ADDR-001", raw: to(" " + list(500) + "[ (A,B); " + list(1000)), at: "(A,B)", sev: Crash, keep: 4096, msg: "comment holding"},
		// Unchanged: the comment alone, and what is not an unclosed '['.
		{name: "comment alone", rule: "ADDR-001", raw: to(" user (A,B);"), at: "(A,B)", sev: Crash},
		{name: "closed literal", rule: "ADDR-001", raw: to(" user@[192.0.2.1], x@[IPv6:2001:db8::1]")},
		{name: "quoted bracket", rule: "ADDR-001", raw: to(` "x [y" <a@b.c>`)},
		{name: "bracket in comment", rule: "ADDR-001", raw: to(" a@b.c (see [note)")},
	})
}

// ---------------------------------------------------------------- ADDR-002

// TestReview_x400Evasion: an X.400-looking address gets the 1024-octet
// limit instead of 256 and 64 (RULES.md ADDR-002); whether it looks X.400
// is decided from the first byte of its local part, so a "/o=" does not
// buy an ordinary address the larger limit.
func TestReview_x400Evasion(t *testing.T) {
	noTo := "From: a@b.c\r\nMessage-ID: <x@y>\r\nDate: Mon, 1 Jan 2024 00:00:00 +0000\r\nSubject: s\r\n"
	to := func(v string) string { return noTo + "To: " + v + "\r\n\r\nb\r\n" }
	a := strings.Repeat
	imcea := "IMCEAEX-_O=EXAMPLE_OU=EXCHANGE+20ADMINISTRATIVE+20GROUP+20+28FYDIBOHF23SPDLT+29_CN=RECIPIENTS_CN="
	runReviewCases(t, []reviewCase{
		{name: "lone /o= local part of 65", rule: "ADDR-002", raw: to("</o=" + a("a", 62) + "@b.c>"), at: "/o=", sev: Crash, msg: "local part of 65 octets"},
		{name: "lone /o= address of 907", rule: "ADDR-002", raw: to("/o=" + a("a", 900) + "@b.c"), at: "/o=", sev: Crash, msg: "address of 907 octets"},
		{name: "quoted lone /o=", rule: "ADDR-002", raw: to(`"/o=` + a("q", 70) + `"@b.c`), at: `"/o=`, sev: Crash, msg: "local part of 75 octets"},
		{name: "DN after text", rule: "ADDR-002", raw: to("Bob <" + a("z", 70) + "/o=x/cn=y@b.c>"), at: "zzz", sev: Crash, msg: "local part of 79 octets"},
		{name: "DN in the domain", rule: "ADDR-002", raw: to(a("y", 65) + "@b/o=x/cn=y"), at: "yyy", sev: Crash, msg: "local part of 65 octets"},
		{name: "no @ lone /o=", rule: "ADDR-002", raw: to("/o=" + a("n", 300)), at: "/o=", sev: Crash, msg: "address of 303 octets"},
		{name: "IMCEA over 1024", rule: "ADDR-002", raw: to("Bob <" + imcea + a("x", 1000) + "@example.com>"), at: "IMCEAEX", sev: Crash, msg: "X.400-style"},
		{name: "DN over 1024", rule: "ADDR-002", raw: to(`"/o=ORG/ou=SITE/cn=RECIPIENTS/cn=` + a("x", 1000) + `"@example.com`), at: `"/o=ORG`, sev: Crash, msg: "X.400-style"},
		{name: "IMCEA domain over 255", rule: "ADDR-002", raw: to(imcea + "BOB@" + a("d", 260) + ".com"), at: "ddd", sev: Crash, msg: "domain of 264 octets"},
		{name: "embedded message", rule: "ADDR-002", raw: reviewEmbedded(to("</o=" + a("a", 62) + "@b.c>")), at: "/o=", sev: Crash, part: "1.2.1"},
		// X.400 addresses in SMTP form, long as Exchange writes them.
		{name: "IMCEAEX local part", rule: "ADDR-002", raw: to(`"Bob" <` + imcea + "0123456789abcdef0123456789abcdef-bob@example.com>")},
		{name: "IMCEA under 1024", rule: "ADDR-002", raw: to(imcea + a("x", 800) + "@example.com")},
		{name: "IMCEAX400", rule: "ADDR-002", raw: to("IMCEAX400-c=US+3Ba=+20+3Bp=EXAMPLE+3Bo=EXCHANGE+3Bs=Smith+3Bg=John+3B@example.com")},
		{name: "quoted DN", rule: "ADDR-002", raw: to(`"/o=EXAMPLE/ou=FIRST ADMINISTRATIVE GROUP/cn=RECIPIENTS/cn=bob.example"@example.net`)},
		{name: "rfc2156 O/R", rule: "ADDR-002", raw: to(`"/C=US/ADMD=ATTMAIL/PRMD=EXAMPLE/O=EXAMPLE/OU1=SALES/S=Smith/G=John/"@gateway.example.com`)},
		{name: "bare DN under 1024", rule: "ADDR-002", raw: to("/o=ORG/ou=SITE/cn=Recipients/cn=" + a("x", 600))},
		{name: "local part of 64", rule: "ADDR-002", raw: to("</o=" + a("a", 61) + "@b.c>")},
	})
}

func TestReview_looksX400(t *testing.T) {
	for s, want := range map[string]bool{
		"IMCEAEX-_O=ORG_CN=BOB":         true,
		"imceanotes-CN+3DBob":           true,
		`"IMCEAEX-_O=ORG"`:              true,
		"/o=ORG/cn=bob":                 true,
		`"/o=ORG/ou=SITE/cn=bob"`:       true,
		"/C=US/ADMD=X/S=Smith/":         true,
		"/o=" + strings.Repeat("a", 62): false,
		"aaaa/o=x/cn=y":                 false,
		"/o=ORG":                        false,
		"/organisation=ORG/cn=x":        false,
		"IMCEA-x":                       false,
		"IMCEAEX":                       false,
		"/=x/cn=y":                      false,
		"":                              false,
		`"`:                             false,
	} {
		if got := looksX400([]byte(s)); got != want {
			t.Errorf("looksX400(%q) = %v, want %v", s, got, want)
		}
	}
}

// ---------------------------------------------------------------- HDR-001

// TestReview_printfEncodedWords: the decoded text of the whole field is
// checked, adjacent encoded words joined (RFC 2047 6.2: the white space
// between them is dropped), so a directive split over words is found. The
// finding points at the word holding the '%'.
func TestReview_printfEncodedWords(t *testing.T) {
	subj := func(v string) string { return reviewHead + "Subject: " + v + "\r\n\r\nb\r\n" }
	rest := "To: d@e.f\r\nMessage-ID: <x@y>\r\nDate: Mon, 1 Jan 2024 00:00:00 +0000\r\n"
	from := func(v string) string { return "From: " + v + "\r\n" + rest + "Subject: s\r\n\r\nb\r\n" }
	w25 := "=?utf-8?Q?=25?="
	broken := strings.Repeat("=?utf-8?Q?a=Zz?= x ", 9)
	runReviewCases(t, []reviewCase{
		{name: "Q split", rule: "HDR-001", raw: subj(w25 + " =?utf-8?Q?n?="), at: w25, sev: Crash, msg: `"%n" split across encoded words`},
		{name: "B split", rule: "HDR-001", raw: subj("=?utf-8?B?JQ==?= =?utf-8?B?bg==?="), at: "=?utf-8?B?JQ", sev: Crash, msg: `"%n"`},
		{name: "folded between", rule: "HDR-001", raw: subj(w25 + "\r\n =?utf-8?Q?n?="), at: w25, sev: Crash},
		{name: "tab between", rule: "HDR-001", raw: subj(w25 + "\t=?UTF-8?q?s?="), at: w25, sev: Crash},
		{name: "no space between", rule: "HDR-001", raw: subj(w25 + "=?utf-8?Q?p?="), at: w25, sev: Crash},
		{name: "three words", rule: "HDR-001", raw: subj(w25 + " =?utf-8?Q?0?= =?utf-8?B?OHg=?="), at: w25, sev: Crash, msg: `"%08x"`},
		{name: "mixed charsets", rule: "HDR-001", raw: subj("=?iso-8859-1?Q?=25?= =?us-ascii?Q?n?="), at: "=?iso", sev: Crash},
		{name: "percent in second word", rule: "HDR-001", raw: subj("=?utf-8?Q?Re:?= =?utf-8?Q?_x=25?= =?utf-8?Q?n?="), at: "=?utf-8?Q?_x", sev: Crash},
		{name: "raw text after the word", rule: "HDR-001", raw: subj(w25 + "n"), at: w25, sev: Crash},
		{name: "display name", rule: "HDR-001", raw: from(w25 + " =?utf-8?Q?s?= <a@b.c>"), at: w25, sev: Crash},
		{name: "quoted display name", rule: "HDR-001", raw: from(`"` + w25 + ` =?utf-8?Q?s?=" <a@b.c>`), at: w25, sev: Crash},
		{name: "cc", rule: "HDR-001", raw: "Cc: " + w25 + " =?utf-8?Q?x?= <c@d.e>\r\n" + subj("s"), at: w25, sev: Crash},
		{name: "after broken words", rule: "HDR-001", raw: subj(broken + w25 + " =?utf-8?Q?n?="), at: w25, sev: Crash},
		{name: "after a raw directive", rule: "HDR-001", raw: subj("%s " + w25 + " =?utf-8?Q?n?="), at: "%s", sev: Crash},
		{name: "embedded message", rule: "HDR-001", raw: reviewEmbedded(subj(w25 + " =?utf-8?Q?n?=")), at: w25, sev: Crash, part: "1.2.1"},
		// Words that are not adjacent keep what separates them.
		{name: "raw word between", rule: "HDR-001", raw: subj(w25 + " x =?utf-8?Q?n?=")},
		{name: "comment between", rule: "HDR-001", raw: from(w25 + " (c) =?utf-8?Q?s?= <a@b.c>")},
		{name: "broken word after", rule: "HDR-001", raw: subj(w25 + " =?bogus?Q?n?=")},
		{name: "split percentage", rule: "HDR-001", raw: subj("=?utf-8?Q?100=25?= =?utf-8?Q?pure?=")},
		{name: "split literal percent", rule: "HDR-001", raw: subj(w25 + " =?utf-8?Q?=25s?=")},
		{name: "split url escape", rule: "HDR-001", raw: subj(w25 + " =?utf-8?Q?20sale?=")},
		{name: "word ends the field", rule: "HDR-001", raw: subj("50 " + w25)},
		{name: "encoded literal percent", rule: "HDR-001", raw: subj("=?utf-8?Q?100=25=25s?=")},
	})
}

// TestReview_printfWidths: a two-digit width is a URL escape ("%20s"), a
// longer one is the overflow form ("%1000n"); "%%" is a literal percent.
func TestReview_printfWidths(t *testing.T) {
	subj := func(v string) string { return reviewHead + "Subject: " + v + "\r\n\r\nb\r\n" }
	runReviewCases(t, []reviewCase{
		{name: "99999s", rule: "HDR-001", raw: subj("x %99999s"), at: "%99999s", sev: Crash, msg: `"%99999s"`},
		{name: "1000n", rule: "HDR-001", raw: subj("%1000n"), at: "%1000n", sev: Crash},
		{name: "100s", rule: "HDR-001", raw: subj("a %100s b"), at: "%100s", sev: Crash},
		{name: "odd width after 25", rule: "HDR-001", raw: subj("%252s"), at: "%252s", sev: Crash},
		{name: "encoded width", rule: "HDR-001", raw: subj("=?utf-8?Q?=2565535x?="), at: "=?utf-8", sev: Crash},
		{name: "message-id", rule: "HDR-001", raw: "From: a@b.c\r\nMessage-ID: <%4096n@y>\r\n\r\nb\r\n", at: "%4096n", sev: Crash},
		{name: "literal then directive", rule: "HDR-001", raw: subj("100%%%s"), at: "%s", sev: Crash},
		{name: "directive after literal", rule: "HDR-001", raw: subj("100%% %n"), at: "%n", sev: Crash},
		{name: "20s", rule: "HDR-001", raw: subj("a%20some")},
		{name: "double escape", rule: "HDR-001", raw: subj("a%2520some and %252541x")},
		{name: "literal percent s", rule: "HDR-001", raw: subj("100%%s")},
		{name: "literal percent n", rule: "HDR-001", raw: subj("%%n %%x %%p")},
	})
}

// BenchmarkReviewHeaders scans a message whose cost is in the header
// rules this review touched: address lists, encoded words in Subject and
// From, Date and Message-ID.
func BenchmarkReviewHeaders(b *testing.B) {
	var sb strings.Builder
	sb.WriteString("From: =?utf-8?Q?J=C3=B6rg?= =?utf-8?B?U2NobWlkdA==?= <joerg@example.com>\r\nTo: ")
	for i := 0; i < 20; i++ {
		if i > 0 {
			sb.WriteString(",\r\n ")
		}
		sb.WriteString(`"Recipient ` + strconv.Itoa(i) + `" <user` + strconv.Itoa(i) + `@example.net>`)
	}
	sb.WriteString("\r\nCc: IMCEAEX-_O=EXAMPLE_OU=EXCHANGE+20ADMINISTRATIVE+20GROUP_CN=RECIPIENTS_CN=bob@example.com\r\n")
	sb.WriteString("Subject: =?utf-8?Q?Quarterly_r=C3=A9port?= =?utf-8?Q?_100=25_done?=\r\n =?utf-8?B?4oCUIHNlZSBhdHRhY2hlZA==?=\r\n")
	sb.WriteString("Date: Thu, 29 Feb 2024 15:04:05 -0700\r\nMessage-ID: <20240229150405.1234@example.com>\r\n\r\nbody\r\n")
	data := []byte(sb.String())
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	r := bytes.NewReader(data)
	for b.Loop() {
		r.Reset(data)
		if _, err := Scan(r, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
