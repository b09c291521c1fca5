package mime

import (
	"fmt"
	"strings"
)

// Severity ranks a finding. The order is meaningful: a caller quarantines
// everything at or above a chosen severity.
type Severity int

// Severities, lowest first. See ../shared/RULES.md for what each means.
const (
	Low Severity = iota + 1
	Medium
	High
	Crash
)

var severityNames = [...]string{Low: "low", Medium: "medium", High: "high", Crash: "crash"}

func (s Severity) String() string {
	if s >= Low && s <= Crash {
		return severityNames[s]
	}
	return fmt.Sprintf("severity(%d)", int(s))
}

// ParseSeverity parses "low", "medium", "high" or "crash" (any case).
func ParseSeverity(text string) (Severity, error) {
	for s := Low; s <= Crash; s++ {
		if strings.EqualFold(text, severityNames[s]) {
			return s, nil
		}
	}
	return 0, fmt.Errorf("unknown severity %q (want low, medium, high or crash)", text)
}

// MarshalText encodes the severity as its lower-case name.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText accepts the names written by MarshalText.
func (s *Severity) UnmarshalText(b []byte) error {
	v, err := ParseSeverity(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// Folder says which kind of mail folder a file came from. Some rules apply
// only to some folders (STR-003 to pickup and replay files, ENV-002 to
// replay files), and the envelope format differs between them.
type Folder string

// Folder kinds, as described in ../shared/FORMATS.md.
const (
	FolderGeneric        Folder = "generic"         // any folder or file of .eml messages
	FolderQueue          Folder = "queue"           // IIS/Exchange 2000-2003 Queue (NTFS_*.EML)
	FolderPickup         Folder = "pickup"          // IIS/Exchange 2000-2003 PickUp (x-sender/x-receiver lines)
	FolderDrop           Folder = "drop"            // IIS Drop (X-Sender/X-Receiver headers)
	FolderBadMail        Folder = "badmail"         // BadMail .BAD files
	FolderExchangePickup Folder = "exchange-pickup" // Exchange 2007+ Pickup
	FolderReplay         Folder = "replay"          // Exchange 2007+ Replay
)

// Folders lists every folder kind, for flag validation and help text.
var Folders = []Folder{FolderGeneric, FolderQueue, FolderPickup, FolderDrop, FolderBadMail, FolderExchangePickup, FolderReplay}

// ParseFolder parses a folder kind name (any case).
func ParseFolder(text string) (Folder, error) {
	for _, f := range Folders {
		if strings.EqualFold(text, string(f)) {
			return f, nil
		}
	}
	return "", fmt.Errorf("unknown folder kind %q", text)
}

// IsPickupLike reports whether files in the folder are read by a pickup
// service, where a lone "." line truncates the message (KB 221384).
func (f Folder) IsPickupLike() bool {
	return f == FolderPickup || f == FolderExchangePickup || f == FolderReplay
}

// Finding is one piece of evidence that a message matches a rule.
// Offsets are byte offsets from the start of the file; lines are 1-based.
type Finding struct {
	Rule     string   `json:"rule"`
	Severity Severity `json:"severity"`
	Part     string   `json:"part"` // MIME part path: "1" is the whole message, "1.2" its second child
	Offset   int64    `json:"offset"`
	Line     int      `json:"line"`
	Message  string   `json:"message"`
	Excerpt  string   `json:"excerpt"` // escaped, at most ExcerptMax bytes of evidence
}

func (f Finding) String() string {
	return fmt.Sprintf("%s %s part %s offset %d line %d: %s [%s]", f.Rule, f.Severity, f.Part, f.Offset, f.Line, f.Message, f.Excerpt)
}

// Part describes one MIME entity. Offsets are from the start of the file;
// EndOffset is the offset just past the part's last body byte.
type Part struct {
	Path         string `json:"path"`
	Depth        int    `json:"depth"`
	HeaderOffset int64  `json:"header_offset"`
	BodyOffset   int64  `json:"body_offset"`
	EndOffset    int64  `json:"end_offset"`
	ContentType  string `json:"content_type"`
	Charset      string `json:"charset,omitempty"`
	Encoding     string `json:"encoding,omitempty"`
	Disposition  string `json:"disposition,omitempty"`
	Filename     string `json:"filename,omitempty"`
	Boundary     string `json:"boundary,omitempty"`
	Size         int64  `json:"size"` // body bytes, EndOffset - BodyOffset
}

// Envelope is the SMTP envelope a file carries with it, if any: x-sender and
// x-receiver lines at the top of a pickup file, or the X-Sender and
// X-Receiver headers of a Drop or Exchange Replay file.
type Envelope struct {
	Format string `json:"format"` // "pickup" (lower-case lines) or "replay" (X- headers)
	// Sender and Recipients are the addresses without angle brackets, as
	// Scan shows them: bytes outside printable UTF-8 escaped as \xNN, each
	// cut at 1024 bytes, at most 100,000 recipients.
	Sender     string   `json:"sender"`
	Recipients []string `json:"recipients"`
	// Params holds ESMTP parameters written after the addresses, keyed by
	// address ("" for the sender line), e.g. "BODY=7bit RET=HDRS".
	Params map[string]string `json:"params,omitempty"`
}

// Headers summarises the top-level header of a message.
type Headers struct {
	From      string `json:"from,omitempty"`
	Sender    string `json:"sender,omitempty"`
	To        int    `json:"to"`
	Cc        int    `json:"cc"`
	Bcc       int    `json:"bcc"`
	Subject   string `json:"subject,omitempty"` // RFC 2047-decoded where possible
	MessageID string `json:"message_id,omitempty"`
	Date      string `json:"date,omitempty"`
	// FromDomain is the lower-cased domain of the first From address.
	FromDomain string `json:"from_domain,omitempty"`
}

// Field is one raw header field, kept for forensic display (Options.KeepFields).
type Field struct {
	Name   string `json:"name"`
	Value  string `json:"value"` // escaped, truncated to a display limit
	Offset int64  `json:"offset"`
	Line   int    `json:"line"`
}

// Report is everything Scan found out about one message.
type Report struct {
	Size     int64     `json:"size"`
	SHA256   string    `json:"sha256"` // hex
	Lines    int       `json:"lines"`  // line endings (CRLF, LF, bare CR), plus one for a final line without one
	Envelope *Envelope `json:"envelope,omitempty"`
	Headers  Headers   `json:"headers"`
	Fields   []Field   `json:"fields,omitempty"` // top-level header fields, only with Options.KeepFields
	Parts    []Part    `json:"parts"`
	// PartsOmitted counts parts not listed because of Limits.ListParts.
	PartsOmitted int       `json:"parts_omitted,omitempty"`
	Findings     []Finding `json:"findings"`
	// FindingsOmitted counts findings dropped by Limits.Findings.
	FindingsOmitted int `json:"findings_omitted,omitempty"`

	// fingerprint is the CRC-32C of the bytes scanned while SHA256 waits
	// for FillSHA256 (Options.DeferSHA256); nil otherwise.
	fingerprint *uint32
}

// Max returns the highest severity among the findings, or 0 if there are none.
func (r *Report) Max() Severity {
	var m Severity
	for _, f := range r.Findings {
		if f.Severity > m {
			m = f.Severity
		}
	}
	return m
}

// Has reports whether the report holds a finding for the rule.
func (r *Report) Has(rule string) bool {
	for _, f := range r.Findings {
		if f.Rule == rule {
			return true
		}
	}
	return false
}

// ExcerptMax is the largest number of source bytes shown in an excerpt.
const ExcerptMax = 60

// Excerpt escapes evidence bytes for display on one line: printable ASCII
// stays, CR, LF and tab become \r \n \t, anything else \xNN. At most
// ExcerptMax source bytes are shown; a cut is marked with "...".
func Excerpt(b []byte) string {
	cut := len(b) > ExcerptMax
	if cut {
		b = b[:ExcerptMax]
	}
	var sb strings.Builder
	for _, c := range b {
		switch {
		case c == '\r':
			sb.WriteString(`\r`)
		case c == '\n':
			sb.WriteString(`\n`)
		case c == '\t':
			sb.WriteString(`\t`)
		case c == '\\':
			sb.WriteString(`\\`)
		case c >= 0x20 && c < 0x7f:
			sb.WriteByte(c)
		default:
			fmt.Fprintf(&sb, `\x%02x`, c)
		}
	}
	if cut {
		sb.WriteString("...")
	}
	return sb.String()
}
