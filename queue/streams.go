package queue

import (
	"fmt"
	"strings"

	"github.com/mailroot/mailroot/mime"
)

// MaxPlausibleStream is the size above which a queue file's alternate data
// stream is called implausibly large for Q-001. The Mailmsg property data
// holds the envelope (sender, recipients, a few properties); even ten
// thousand recipients stay well under this. The figure is a judgement, not
// a documented limit.
const MaxPlausibleStream = 8 << 20

// maxStreams bounds how many streams are listed per file.
const maxStreams = 256

// parseStreamName turns a name as FindFirstStreamW/FindNextStreamW report
// it (":name:$DATA") into Stream.Name, the part that opens the stream as
// path + ":" + Name. The file's own unnamed data stream ("::$DATA") is not
// an alternate stream: ok is false for it. A stream of another type than
// $DATA keeps its type (":x:$FOO" gives "x:$FOO").
func parseStreamName(raw string) (name string, ok bool) {
	if raw == "" || raw == "::$DATA" {
		return "", false
	}
	s := strings.TrimPrefix(raw, ":")
	if strings.HasSuffix(s, ":$DATA") {
		s = strings.TrimSuffix(s, ":$DATA")
	}
	if s == "" {
		return "", false
	}
	return s, true
}

// queueStreamProblem applies Q-001's stream checks to the alternate data
// streams of a queue file and says how severe the problem is. streams must
// come from a successful listing (nil means "not known", e.g. off Windows,
// and yields no finding).
//
// QUIRK: the name and format of the Mailmsg property stream are
// unconfirmed (../shared/FORMATS.md, KB 819019), and FORMATS.md asks code
// to accept both readings. So a file with no alternate data stream at all
// is reported at low severity (worth a look in a forensic report: after a
// byte copy the envelope is gone, if it ever lived there), while streams
// that exist but are all empty, or one above MaxPlausibleStream, are real
// evidence of damage and keep the catalogue's high severity.
func queueStreamProblem(streams []Stream) (msg string, sev mime.Severity, bad bool) {
	if streams == nil {
		return "", 0, false
	}
	if len(streams) == 0 {
		return "queue file has no NTFS alternate data stream: if this server keeps the Mailmsg property data (the envelope) there, it is missing, as after a byte copy (KB 819019; where IIS keeps it is unconfirmed, so this alone is not a defect)", mime.Low, true
	}
	var total int64
	for _, s := range streams {
		if s.Size > MaxPlausibleStream {
			return fmt.Sprintf("queue file's alternate data stream %q is implausibly large (%d bytes > %d): corrupt property data? (KB 819019)", s.Name, s.Size, MaxPlausibleStream), mime.High, true
		}
		total += s.Size
	}
	if total == 0 {
		return fmt.Sprintf("queue file's alternate data streams are all empty (%d streams, 0 bytes): property data missing (KB 819019)", len(streams)), mime.High, true
	}
	return "", 0, false
}
