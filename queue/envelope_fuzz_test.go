package queue

import (
	"bytes"
	"strings"
	"testing"

	"github.com/mailroot/mailroot/mime"
)

// FuzzEnvelopeRoundTrip ties the envelope writer to the envelope parser:
// whatever sender and recipients WriteMessage accepts, mime.Scan of the
// written file (as a pickup file, or as an Exchange Replay file) reads back
// exactly that envelope. A writer that lets an address inject a line, or a
// parser that splits or drops one, fails here.
func FuzzEnvelopeRoundTrip(f *testing.F) {
	f.Add("alice@example.com", "bob@example.org\ncarol@example.net", false)
	f.Add("", "postmaster@example.com", true)
	f.Add("a@b", "c@d\ne@f\ng@h", true)
	f.Add("x-receiver: evil@x", "ok@y", false)
	f.Add("a@b\r\nx-receiver: evil@x", "ok@y", true)
	f.Add("<a@b>", "<c@d>", false)
	const msg = "From: a@example.com\r\nTo: b@example.org\r\nSubject: round trip\r\n\r\nbody\r\n"
	f.Fuzz(func(t *testing.T, sender, rcptList string, replay bool) {
		rcpts := strings.Split(rcptList, "\n")
		if len(rcpts) > 50 {
			return
		}
		for _, a := range append([]string{sender}, rcpts...) {
			if len(a) > 200 || strings.ContainsAny(a, "<> \t\\") || !printable(a) {
				return // the scanner escapes (\ included) and cuts such addresses for display
			}
		}
		for _, r := range rcpts {
			if r == "" {
				return
			}
		}
		format, folder := FormatPickup, mime.FolderPickup
		if replay {
			format, folder = FormatReplay, mime.FolderReplay
			if sender == "" {
				return
			}
		}
		env := mime.Envelope{Sender: sender, Recipients: rcpts}
		var out bytes.Buffer
		if _, err := WriteMessage(&out, format, env, strings.NewReader(msg)); err != nil {
			return // refused addresses are the writer's job; FuzzWriteMessage covers its output
		}
		rep, err := mime.Scan(bytes.NewReader(out.Bytes()), mime.Options{Folder: folder})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Envelope == nil {
			t.Fatalf("no envelope read back from %q", out.String())
		}
		got := rep.Envelope
		if got.Sender != sender || strings.Join(got.Recipients, "\n") != strings.Join(rcpts, "\n") {
			t.Fatalf("wrote sender %q rcpts %q; read back sender %q rcpts %q from\n%q",
				sender, rcpts, got.Sender, got.Recipients, out.String())
		}
		for _, fd := range rep.Findings {
			if fd.Rule == "ENV-001" || fd.Rule == "ENV-002" {
				t.Fatalf("the writer's own envelope is reported as malformed: %v\n%q", fd, out.String())
			}
		}
	})
}

func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}
