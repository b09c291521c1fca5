package repair

import (
	"bytes"
	"testing"
	"time"
)

// TestRepair_pathologicalTime: inputs built to make a careless fixer
// quadratic must still repair quickly. Each takes well under a second on
// a quiet machine; the bound is loose so that only a quadratic fixer (which
// takes minutes on these sizes) fails it, not a busy machine.
func TestRepair_pathologicalTime(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	const n = 200000
	inputs := map[string][]byte{
		"many unclosed encoded words":     append([]byte("Subject: "), bytes.Repeat([]byte("=?utf-8?q?x "), n)...),
		"long header line without spaces": append([]byte("To: "), bytes.Repeat([]byte("a"), 10*n)...),
		"many commas":                     append([]byte("To: "), bytes.Repeat([]byte("a@b,"), n)...),
		"many parameters":                 append([]byte("Content-Type: text/plain"), bytes.Repeat([]byte(";a=b"), n)...),
		"many boundaries":                 append([]byte("Content-Type: multipart/mixed"), bytes.Repeat([]byte(";boundary=b"), n/10)...),
		"deep multipart": func() []byte {
			var b bytes.Buffer
			for i := 0; i < 2000; i++ {
				b.WriteString("Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\n")
			}
			return b.Bytes()
		}(),
		"many lines": bytes.Repeat([]byte("x\n"), 10*n),
	}
	for name, in := range inputs {
		start := time.Now()
		if _, _, err := Repair(in, Options{FileTime: fileTime}); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if d := time.Since(start); d > 60*time.Second {
			t.Errorf("%s: %d bytes took %v", name, len(in), d)
		}
	}
}
