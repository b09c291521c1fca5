package mime

import "strings"

// Rule describes one check from the catalogue (../shared/RULES.md). IDs are
// stable: never reused or renumbered.
type Rule struct {
	ID       string   `json:"id"`
	Severity Severity `json:"severity"`
	Title    string   `json:"title"`
	Check    string   `json:"check"`
	// Limits names the thresholds (see Limits.Set) the rule uses.
	Limits     []string `json:"limits,omitempty"`
	References []string `json:"references"`
	// Peers names what other parsers call the same defect, so users of those
	// tools can map findings.
	Peers []string `json:"peers,omitempty"`
	// Folders restricts the rule to files from these folder kinds; nil means all.
	Folders []Folder `json:"folders,omitempty"`
	// FileSystem rules need the file on disk (names, attributes, streams,
	// siblings) and are checked by package queue, not by Scan.
	FileSystem bool `json:"file_system,omitempty"`
}

// AppliesTo reports whether the rule is checked for files from folder f.
func (r Rule) AppliesTo(f Folder) bool {
	if r.Folders == nil {
		return true
	}
	for _, g := range r.Folders {
		if g == f {
			return true
		}
	}
	return false
}

// Rules returns the catalogue in ID order within each family.
func Rules() []Rule {
	out := make([]Rule, len(catalogue))
	copy(out, catalogue)
	return out
}

// RuleByID looks a rule up by ID, ignoring case.
func RuleByID(id string) (Rule, bool) {
	for _, r := range catalogue {
		if strings.EqualFold(r.ID, id) {
			return r, true
		}
	}
	return Rule{}, false
}

var ruleIndex = func() map[string]int {
	m := make(map[string]int, len(catalogue))
	for i, r := range catalogue {
		m[r.ID] = i
	}
	return m
}()

// severityOf returns the catalogue severity of a rule; it panics on an
// unknown ID, which is a programmer error caught by the tests.
func severityOf(id string) Severity {
	i, ok := ruleIndex[id]
	if !ok {
		panic("mime: unknown rule " + id)
	}
	return catalogue[i].Severity
}

var catalogue = []Rule{
	{
		ID: "STR-001", Severity: Crash, Title: "missing header/body separator",
		Check:      "header block not ended by an empty line before the body, or no empty line at all",
		References: []string{"KB 175841", "Exchange 2013 pickup doc"},
		Peers:      []string{"Python MissingHeaderBodySeparatorDefect", "enmime Malformed Header", "mime4j MIME_HEADER_INCOMPLETE"},
	},
	{
		ID: "STR-002", Severity: High, Title: "bare CR or LF line endings",
		Check:      "bare LF or bare CR line endings, or a mix of CRLF and LF",
		References: []string{"KB 152944"},
		Peers:      []string{"Python (none: normalises)", "mime4j (accepts)"},
	},
	{
		ID: "STR-003", Severity: Crash, Title: "lone dot line in pickup file",
		Check:      "in a PickUp/Replay file: a line that is only . (truncates the message; the rest is sent as SMTP commands)",
		References: []string{"KB 221384"},
		Folders:    []Folder{FolderPickup, FolderExchangePickup, FolderReplay},
	},
	{
		ID: "STR-004", Severity: High, Title: "over-long line",
		Check:      "line longer than 998 octets [998]; above 2048 counts as crash-class for header lines",
		References: []string{"RFC 5322", "Postfix line_length_limit", "KB 288240", "scanner crashes on long Subject"},
		Limits:     []string{"line-length", "header-line-crash"},
		Peers:      []string{"Postfix line_length_limit", "mime4j MaxLineLengthExceeded"},
	},
	{
		ID: "STR-005", Severity: Medium, Title: "oversized header block",
		Check:      "header block larger than 64 KB [65536]",
		References: []string{"Exchange pickup limit", "Postfix header_size_limit"},
		Limits:     []string{"header-block"},
		Peers:      []string{"Postfix header_size_limit", "go-message MaxHeaderBytes", "ClamAV header size limit (256 KiB)"},
	},
	{
		ID: "STR-006", Severity: High, Title: "NUL byte",
		Check:      "NUL byte in the header block, or in a body part not declared binary",
		References: []string{"sendmail", "KB 287888"},
		Peers:      []string{"Python UndecodableBytesDefect (partial)"},
	},
	{
		ID: "STR-007", Severity: Crash, Title: "control character in header",
		Check:      "C0 control (0x01-0x08, 0x0B, 0x0C, 0x0E-0x1F) or DEL in a header value, above all Message-ID, References, In-Reply-To",
		References: []string{"KB 275598", "KB 287888"},
		Peers:      []string{"Python NonPrintableDefect"},
	},
	{
		ID: "STR-008", Severity: Medium, Title: "raw 8-bit header bytes",
		Check:      "raw 8-bit bytes in a header that are not inside an RFC 2047 encoded word",
		References: []string{"sendmail", "KB 282796"},
		Peers:      []string{"Python UndecodableBytesDefect", "Python NonASCIILocalPartDefect"},
	},
	{
		ID: "STR-009", Severity: Low, Title: "empty or truncated file",
		Check:      "empty or truncated file (0 bytes, no header end, ends mid-line)",
		References: []string{"KB 230309 (low disk), chkdsk damage"},
	},
	{
		ID: "CT-001", Severity: Crash, Title: "empty charset parameter",
		Check:      "charset parameter empty or blank, quoted or not (charset = \"\", CHARSET= \" \")",
		References: []string{"KB 293288", "KB 278320"},
	},
	{
		ID: "CT-002", Severity: Crash, Title: "illegal bytes in Content-Type",
		Check:      "Content-Type value with bytes outside the RFC 2045 token / tspecials / quoted-string grammar (controls, 8-bit, NUL)",
		References: []string{"KB 304024"},
	},
	{
		ID: "CT-003", Severity: Crash, Title: "malformed parameter list",
		Check:      "malformed parameter list: name= with no value, unterminated quote, ;;, a space inside a parameter name, duplicate parameter names, more than [32] parameters",
		References: []string{"MS00-082 / KB 275714", "Exchange MimeLimits"},
		Limits:     []string{"params"},
		Peers:      []string{"Python InvalidHeaderDefect", "enmime Malformed Header"},
	},
	{
		ID: "CT-004", Severity: Crash, Title: "unbalanced comment parenthesis",
		Check:      "unbalanced parenthesis (comment never closed) outside quoted strings in a structured header, e.g. filename=(JPEG-IM.BMP",
		References: []string{"KB 183633"},
		Peers:      []string{"Python InvalidHeaderDefect"},
	},
	{
		ID: "CT-005", Severity: Medium, Title: "over-long MIME header",
		Check:      "Content-Type, Content-Disposition, Content-ID, Content-Transfer-Encoding or MIME-Version longer than [1024] bytes",
		References: []string{"sendmail MaxMimeHeaderLength"},
		Limits:     []string{"mime-header-length"},
		Peers:      []string{"mime4j MaxHeaderLen (10,000 bytes a field)"},
	},
	{
		ID: "MP-001", Severity: Crash, Title: "boundary never found",
		Check:      "multipart whose boundary never appears as a delimiter line, or whose preamble is large [8 KB] and holds header-like lines (the first boundary is missing)",
		References: []string{"KB 217155 (endless loop filled the disk)"},
		Limits:     []string{"preamble"},
		Peers:      []string{"Python NoBoundaryInMultipartDefect", "Python StartBoundaryNotFoundDefect", "enmime Missing Boundary"},
	},
	{
		ID: "MP-002", Severity: High, Title: "missing closing delimiter",
		Check:      "no closing delimiter --boundary-- (the part runs to end of file)",
		References: []string{"Python CloseBoundaryNotFoundDefect", "mox", "mime4j"},
		Peers:      []string{"Python CloseBoundaryNotFoundDefect", "enmime Missing Boundary", "mime4j MIME_BODY_PREMATURE_END", "mox ErrMissingClosingBoundary"},
	},
	{
		ID: "MP-003", Severity: High, Title: "bad boundary parameter",
		Check:      "boundary parameter missing or empty, longer than 70 characters, or with characters RFC 2046 forbids; above [2048] is crash-class",
		References: []string{"RFC 2046", "Postfix"},
		Limits:     []string{"boundary-crash"},
		Peers:      []string{"Python NoBoundaryInMultipartDefect", "enmime Missing Boundary"},
	},
	{
		ID: "MP-004", Severity: High, Title: "duplicate boundary parameter",
		Check:      "more than one boundary= parameter in one Content-Type (parsers pick different ones)",
		References: []string{"CVE-2024-28054 (amavis)"},
		Peers:      []string{"amavis CVE-2024-28054"},
	},
	{
		ID: "MP-005", Severity: Medium, Title: "nested boundary reuses ancestor",
		Check:      "a nested boundary equal to, or starting with, an ancestor's boundary",
		References: []string{"RFC 2046 5.1.1", "Python test msg_38"},
		Peers:      []string{"Python msg_38 (inner contains outer boundary)", "enmime Data contains boundary marker"},
	},
	{
		ID: "MP-006", Severity: Crash, Title: "MIME nesting too deep",
		Check:      "MIME nesting deeper than [30] (hard stop for the scanner at [100])",
		References: []string{"KB 173343", "Postfix mime_nesting_limit"},
		Limits:     []string{"nesting", "nesting-hard-stop"},
		Peers:      []string{"Postfix mime_nesting_limit", "rspamd nesting limit (64)"},
	},
	{
		ID: "MP-007", Severity: Crash, Title: "message/rfc822 nested too deep",
		Check:      "message/rfc822 embedded deeper than [5]",
		References: []string{"KB 161887 (stack overflow)"},
		Limits:     []string{"rfc822-depth"},
		Peers:      []string{"Postfix mime_nesting_limit (counts message/rfc822 levels too)"},
	},
	{
		ID: "MP-008", Severity: Medium, Title: "too many parts",
		Check:      "more than [1000] parts in one message",
		References: []string{"rspamd, ClamAV, mime4j limits"},
		Limits:     []string{"parts"},
		Peers:      []string{"rspamd part limit (10,000)", "ClamAV part limit (1,024)"},
	},
	{
		ID: "MP-009", Severity: Medium, Title: "multipart/digest",
		Check:      "multipart/digest, above all with embedded messages in ISO-2022-JP / code page 932",
		References: []string{"KB 157705"},
	},
	{
		ID: "MP-010", Severity: Medium, Title: "empty multipart",
		Check:      "multipart that holds no parts at all, or a first delimiter that is the closing one",
		References: []string{"Python MultipartInvariantViolationDefect", "mox"},
		Peers:      []string{"Python MultipartInvariantViolationDefect"},
	},
	{
		ID: "MP-011", Severity: Medium, Title: "encoded multipart or message",
		Check:      "non-identity Content-Transfer-Encoding (base64, quoted-printable) on a multipart or message/*",
		References: []string{"Python InvalidMultipartContentTransferEncodingDefect", "Postfix"},
		Peers:      []string{"Python InvalidMultipartContentTransferEncodingDefect", "Postfix invalid_multipart_encoding"},
	},
	{
		ID: "ENC-001", Severity: Crash, Title: "broken base64",
		Check:      "base64 part with characters outside the alphabet, = before the end, or a length that cannot decode (mod 4 == 1)",
		References: []string{"KB 190556", "Python InvalidBase64* defects"},
		Peers:      []string{"Python InvalidBase64CharactersDefect", "Python InvalidBase64PaddingDefect", "Python InvalidBase64LengthDefect", "enmime Malformed Base64"},
	},
	{
		ID: "ENC-002", Severity: Crash, Title: "broken uuencode",
		Check:      "uuencode block whose length character disagrees with the line, bytes after end, or no end",
		References: []string{"KB 175580", "KB 164662"},
	},
	{
		ID: "ENC-003", Severity: Crash, Title: "BinHex part",
		Check:      "application/mac-binhex40 part",
		References: []string{"KB 170060"},
	},
	{
		ID: "ENC-004", Severity: High, Title: "broken quoted-printable",
		Check:      "quoted-printable = not followed by two hex digits or a line break; encoded lines over 76",
		References: []string{"RFC 2045", "Exim and mime4j warnings"},
		Peers:      []string{"Exim QP warning", "mime4j QP decoding warning", "enmime Content Encoding"},
	},
	{
		ID: "ENC-005", Severity: High, Title: "broken RFC 2047 encoded word",
		Check:      "broken RFC 2047 encoded word: no closing ?=, empty or unknown charset, encoding other than B/Q, undecodable payload, word over 75 characters",
		References: []string{"ClamAV rfc2047 bugs", "KB 282796"},
		Peers:      []string{"Python InvalidHeaderDefect", "enmime Character Set Conversion"},
	},
	{
		ID: "ENC-006", Severity: Crash, Title: "UTF-7 charset",
		Check:      "UTF-7 charset anywhere",
		References: []string{"KB 317248"},
	},
	{
		ID: "ENC-007", Severity: Crash, Title: "broken double-byte text",
		Check:      "double-byte charsets (iso-2022-jp, shift_jis, euc-jp, gb2312, big5, euc-kr, ks_c_5601-1987) with a truncated lead/trail pair or a bad ISO-2022 escape, above all in display names",
		References: []string{"KB 282796", "KB 266638", "KB 194560"},
		Peers:      []string{"enmime Character Set Conversion", "Python UndecodableBytesDefect"},
	},
	{
		ID: "TNEF-001", Severity: Crash, Title: "TNEF part (invalid; valid ones at low)",
		Check:      "application/ms-tnef or winmail.dat part that fails validation: signature 78 9F 3E 22, attribute lengths inside the part, 16-bit checksums, no zero-length strings. A valid TNEF part is reported at low",
		References: []string{"KB 152937, 164960, 241482, 250302", "MS06-003", "MS09-003"},
	},
	{
		ID: "TNEF-002", Severity: High, Title: "TNEF inside multipart",
		Check:      "TNEF inside a multipart arriving from outside",
		References: []string{"KB 152937"},
	},
	{
		ID: "ADDR-001", Severity: Crash, Title: "comment or bracket trouble in address",
		Check:      "address comment holding , or ; (user (A,B);), or unbalanced ( ) < > \" in an address header",
		References: []string{"KB 231748", "KB 183633"},
		Peers:      []string{"Python InvalidHeaderDefect"},
	},
	{
		ID: "ADDR-002", Severity: Crash, Title: "over-long address",
		Check:      "one address longer than [256] (local part over 64, domain over 255), or an X.400-looking address over 1024",
		References: []string{"KB 263457", "KB 152930"},
		Limits:     []string{"address-length", "x400-length"},
	},
	{
		ID: "ADDR-003", Severity: High, Title: "bracket flood in address header",
		Check:      "more than [50] angle brackets or parentheses in one address header",
		References: []string{"CVE-2002-1337 (sendmail crackaddr)"},
		Limits:     []string{"brackets"},
	},
	{
		ID: "ADDR-004", Severity: High, Title: "empty groups or semicolon runs",
		Check:      "runs of ; or empty groups (:;) in an address field",
		References: []string{"CVE-2021-3181 (mutt)"},
	},
	{
		ID: "ADDR-005", Severity: Medium, Title: "too many recipients",
		Check:      "more than [100] recipients (To+Cc+Bcc, or x-receiver lines)",
		References: []string{"Exchange pickup limit"},
		Limits:     []string{"recipients"},
	},
	{
		ID: "ADDR-006", Severity: High, Title: "no sender",
		Check:      "empty or missing From (and no x-sender): the file goes to BadMail",
		References: []string{"KB 319285", "KB 192594", "KB 152930"},
		Peers:      []string{"Python HeaderMissingRequiredValue"},
	},
	{
		ID: "HDR-001", Severity: Crash, Title: "printf directive in header",
		Check:      "printf directives (%s, %n, %x, %p) in Subject, an address header or Message-ID",
		References: []string{"KB 239816"},
	},
	{
		ID: "HDR-002", Severity: Medium, Title: "bad Date",
		Check:      "Date that does not parse, or longer than [80] characters",
		References: []string{"MS00-043 (Outlook long Date)", "Exchange replaces malformed dates"},
		Limits:     []string{"date-length"},
		Peers:      []string{"Python InvalidDateDefect"},
	},
	{
		ID: "HDR-003", Severity: Medium, Title: "malformed header line",
		Check:      "a header line that is neither name: nor a continuation, a first header line that is a continuation, an empty field name, or a Unix From  line inside the header",
		References: []string{"Python MissingHeaderBodySeparator / FirstHeaderLineIsContinuation / MisplacedEnvelopeHeader defects"},
		Peers:      []string{"Python MissingHeaderBodySeparatorDefect", "Python FirstHeaderLineIsContinuationDefect", "Python MisplacedEnvelopeHeaderDefect", "enmime Malformed Header"},
	},
	{
		ID: "HDR-004", Severity: Medium, Title: "too many header fields",
		Check:      "more than [1000] header fields",
		References: []string{"Exchange MimeLimits", "mime4j"},
		Limits:     []string{"header-fields"},
		Peers:      []string{"mime4j MaxHeaderCount (1,000)", "ClamAV header limit (1,024)"},
	},
	{
		ID: "HDR-005", Severity: Low, Title: "unfolded header over 998",
		Check:      "a folded header longer than 998 once unfolded (IIS Pickup unfolds headers)",
		References: []string{"KB 294379", "KB 288240"},
	},
	{
		ID: "HDR-006", Severity: Low, Title: "duplicate unique header",
		Check:      "duplicate unique headers (From, Subject, Date, Message-ID, Content-Type in one part)",
		References: []string{"amavis `multiple`", "rspamd MULTIPLE_UNIQUE_HEADERS"},
		Peers:      []string{"amavis multiple", "rspamd MULTIPLE_UNIQUE_HEADERS"},
	},
	{
		ID: "ENV-001", Severity: High, Title: "misplaced pickup envelope lines",
		Check:      "x-sender / x-receiver lines present but not the first lines, x-sender not first or repeated, an x-receiver with more than one address",
		References: []string{"Exchange 2000 admin guide", "KB 221384"},
	},
	{
		ID: "ENV-002", Severity: High, Title: "bad Replay envelope",
		Check:      "Replay-format file: not exactly one X-Sender with one address, no X-Receiver, an X- envelope header after an ordinary header, blank X-CreatedBy, bad RET/NOTIFY values",
		References: []string{"Exchange 2013 Pickup/Replay doc"},
		Folders:    []Folder{FolderReplay},
	},
	{
		ID: "ENV-003", Severity: High, Title: "Exchange 2007+ pickup rule broken",
		Check:      "Exchange 2007+ Pickup rules broken (Sender/From/To counts, header over 64 KB, over 100 recipients)",
		References: []string{"same"},
		Limits:     []string{"header-block", "recipients"},
		Folders:    []Folder{FolderExchangePickup, FolderReplay},
	},
	{
		ID: "ENV-004", Severity: Medium, Title: "pickup file name or attribute problem",
		Check:      "2007+ Pickup/Replay file without .eml; read-only file in a pickup folder (sent again on every restart)",
		References: []string{"Exchange 2013 doc", "KB 221432"},
		Folders:    []Folder{FolderExchangePickup, FolderReplay, FolderPickup},
		FileSystem: true,
	},
	{
		ID: "Q-001", Severity: High, Title: "queue property stream problem",
		Check:      "Windows only: a queue file whose property stream is missing, empty or implausibly large, or a 0-byte .EML",
		References: []string{"KB 819019"},
		Folders:    []Folder{FolderQueue},
		FileSystem: true,
	},
	{
		ID: "Q-002", Severity: Low, Title: "blocker candidate",
		Check:      "the oldest queue item is older than [4 h] while newer ones exist: blocker candidate, shown first",
		References: []string{"admin practice"},
		Limits:     []string{"blocker-age-minutes"},
		Folders:    []Folder{FolderQueue},
		FileSystem: true,
	},
	{
		ID: "Q-003", Severity: Low, Title: "incomplete BadMail unit",
		Check:      "a BadMail .BAD without its .BDR/.BDP, or the reverse; the .BDR reason is always reported",
		References: []string{"BadMail layout"},
		Folders:    []Folder{FolderBadMail},
		FileSystem: true,
	},
}
