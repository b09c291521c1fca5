package mime

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
)

// Limits holds every threshold a rule uses, plus the scanner's own hard caps.
// The zero value is not useful: start from DefaultLimits. Each field's `limit`
// tag is the name users pass to Limits.Set (for example "line-length=2000").
type Limits struct {
	LineLength       int `limit:"line-length"`        // STR-004: octets per line, without CRLF
	HeaderLineCrash  int `limit:"header-line-crash"`  // STR-004: header line length that is crash-class
	HeaderBlock      int `limit:"header-block"`       // STR-005: bytes in one header block
	Params           int `limit:"params"`             // CT-003: parameters in one header
	MIMEHeaderLength int `limit:"mime-header-length"` // CT-005: bytes in one MIME header field
	Preamble         int `limit:"preamble"`           // MP-001: preamble size that, with header-like lines, means a missing first boundary
	BoundaryCrash    int `limit:"boundary-crash"`     // MP-003: boundary length that is crash-class
	Nesting          int `limit:"nesting"`            // MP-006: MIME nesting depth reported
	NestingHardStop  int `limit:"nesting-hard-stop"`  // MP-006: depth past which the scanner stops descending
	RFC822Depth      int `limit:"rfc822-depth"`       // MP-007: message/rfc822 embedding depth
	Parts            int `limit:"parts"`              // MP-008: parts in one message
	AddressLength    int `limit:"address-length"`     // ADDR-002: octets in one address
	X400Length       int `limit:"x400-length"`        // ADDR-002: octets in one X.400-looking address
	Brackets         int `limit:"brackets"`           // ADDR-003: angle brackets or parentheses in one address header
	Recipients       int `limit:"recipients"`         // ADDR-005 and ENV-003: recipients in one message
	DateLength       int `limit:"date-length"`        // HDR-002: characters in Date
	HeaderFields     int `limit:"header-fields"`      // HDR-004: fields in one header block
	Findings         int `limit:"findings"`           // findings kept per message (the rest are counted)
	FindingsPerRule  int `limit:"findings-per-rule"`  // findings kept per rule per message
	ListParts        int `limit:"list-parts"`         // parts listed in Report.Parts (the rest are counted)
	HeaderBytesKept  int `limit:"header-bytes-kept"`  // bytes of one header field kept in memory for checks
	// BlockerAgeMinutes is Q-002's threshold, checked by the queue
	// package: a queue item waiting longer, with newer items behind it,
	// is a blocker candidate.
	BlockerAgeMinutes int `limit:"blocker-age-minutes"`
}

// DefaultLimits returns the thresholds from ../shared/RULES.md.
func DefaultLimits() Limits {
	return Limits{
		LineLength:        998,
		HeaderLineCrash:   2048,
		HeaderBlock:       65536,
		Params:            32,
		MIMEHeaderLength:  1024,
		Preamble:          8192,
		BoundaryCrash:     2048,
		Nesting:           30,
		NestingHardStop:   100,
		RFC822Depth:       5,
		Parts:             1000,
		AddressLength:     256,
		X400Length:        1024,
		Brackets:          50,
		Recipients:        100,
		DateLength:        80,
		HeaderFields:      1000,
		Findings:          1000,
		FindingsPerRule:   50,
		ListParts:         2000,
		HeaderBytesKept:   256 << 10,
		BlockerAgeMinutes: 4 * 60,
	}
}

// Set changes one limit by its user-facing name.
func (l *Limits) Set(name string, value int) error {
	if value < 1 {
		return fmt.Errorf("limit %s: value %d must be positive", name, value)
	}
	v := reflect.ValueOf(l).Elem()
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		if t.Field(i).Tag.Get("limit") == name {
			v.Field(i).SetInt(int64(value))
			return nil
		}
	}
	return fmt.Errorf("unknown limit %q (known: %s)", name, strings.Join(LimitNames(), ", "))
}

// Get returns a limit by its user-facing name.
func (l Limits) Get(name string) (int, bool) {
	v := reflect.ValueOf(l)
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		if t.Field(i).Tag.Get("limit") == name {
			return int(v.Field(i).Int()), true
		}
	}
	return 0, false
}

// LimitNames lists the names Set accepts, sorted.
func LimitNames() []string {
	t := reflect.TypeOf(Limits{})
	names := make([]string, 0, t.NumField())
	for i := 0; i < t.NumField(); i++ {
		names = append(names, t.Field(i).Tag.Get("limit"))
	}
	sort.Strings(names)
	return names
}

// Options controls one Scan.
type Options struct {
	// Folder is the kind of folder the file came from; "" means FolderGeneric.
	Folder Folder
	// Disabled rules are not reported (rule IDs, e.g. "HDR-006").
	Disabled map[string]bool
	// Limits holds the thresholds; the zero value means DefaultLimits().
	Limits Limits
	// KeepFields asks for the raw top-level header fields in Report.Fields.
	KeepFields bool
	// DeferSHA256 leaves Report.SHA256 empty and keeps a cheap fingerprint
	// of the bytes instead; Report.FillSHA256 computes the hash later from
	// a second read and checks that it sees the same bytes. A caller that
	// needs the hash of only some messages (those with findings) saves most
	// of the hashing.
	DeferSHA256 bool

	// lineByLine turns the bulk path off (tests compare the two).
	lineByLine bool
}

func (o *Options) normalize() {
	if o.Folder == "" {
		o.Folder = FolderGeneric
	}
	if o.Limits == (Limits{}) {
		o.Limits = DefaultLimits()
	}
}
