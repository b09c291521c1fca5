package queue

import (
	"bytes"
	"strings"
	"testing"

	"github.com/mailroot/mailroot/mime"
)

// FuzzWriteMessage: for any message, the pickup output starts with exactly
// the envelope lines, every line ends with CRLF, no line is a lone ".",
// and removing one "." from each line that begins with one gives back the
// message with CRLF line endings (what the pickup service reads).
func FuzzWriteMessage(f *testing.F) {
	for _, s := range []string{"", ".", "a\n.\nb", "x-sender: a@b\nx-receiver: c@d\n\n.\r\n..", "\r\r\n\n", "X-Receiver: q\n\tfold\nFrom: z\n\n"} {
		f.Add([]byte(s))
	}
	env := mime.Envelope{Sender: "a@x.org", Recipients: []string{"b@y.org"}}
	head := "x-sender: a@x.org\r\nx-receiver: b@y.org\r\n"
	f.Fuzz(func(t *testing.T, msg []byte) {
		var out bytes.Buffer
		if _, err := WriteMessage(&out, FormatPickup, env, bytes.NewReader(msg)); err != nil {
			t.Fatal(err)
		}
		o := out.String()
		if !strings.HasPrefix(o, head) {
			t.Fatalf("output does not start with the envelope: %q", o)
		}
		body := o[len(head):]
		if body != "" && !strings.HasSuffix(body, "\r\n") {
			t.Fatalf("last line not ended: %q", body)
		}
		var unstuffed strings.Builder
		for _, line := range strings.SplitAfter(body, "\r\n") {
			if line == ".\r\n" {
				t.Fatalf("lone dot line in %q", o)
			}
			if strings.Contains(strings.TrimSuffix(line, "\r\n"), "\r") || strings.Contains(line, "\n") && !strings.HasSuffix(line, "\r\n") {
				t.Fatalf("bare CR or LF in %q", line)
			}
			unstuffed.WriteString(strings.TrimPrefix(line, "."))
		}
		// The reference: strip leading envelope fields, normalise endings.
		var ref bytes.Buffer
		lw := NewLineWriter(&ref, false)
		_, _ = lw.Write(msg)
		_ = lw.Close()
		want := ref.String()
		for {
			l := strings.ToLower(want)
			if !strings.HasPrefix(l, "x-sender:") && !strings.HasPrefix(l, "x-receiver:") {
				break
			}
			i := strings.Index(want, "\r\n")
			want = want[i+2:]
			for strings.HasPrefix(want, " ") || strings.HasPrefix(want, "\t") {
				i := strings.Index(want, "\r\n")
				want = want[i+2:]
			}
		}
		if unstuffed.String() != want {
			t.Fatalf("unstuffed body %q, want %q", unstuffed.String(), want)
		}
	})
}
