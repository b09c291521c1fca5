package queue

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/mailroot/mailroot/mime"
)

// limitedWriter accepts n bytes, then fails with ENOSPC (a full disk).
type limitedWriter struct {
	buf bytes.Buffer
	n   int
}

func (w *limitedWriter) Write(p []byte) (int, error) {
	if len(p) <= w.n {
		w.n -= len(p)
		return w.buf.Write(p)
	}
	k := w.n
	w.n = 0
	w.buf.Write(p[:k])
	return k, syscall.ENOSPC
}

// failingReader serves data, then fails with err (a read error mid-file).
type failingReader struct {
	r   io.Reader
	err error
}

func (f *failingReader) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if err == io.EOF {
		return n, f.err
	}
	return n, err
}

// TestHardening_writeMessageFaults: WriteMessage, which builds the file a
// replay drops into PickUp, must never turn a fault into a shorter message
// that looks complete (issue 7: disk full, a read error mid-file). A full
// disk at any point of the envelope or the body is returned as ENOSPC with
// the count of bytes really written; a source that fails part-way returns
// its error, so the caller aborts the staged file instead of dropping a
// truncated message.
func TestHardening_writeMessageFaults(t *testing.T) {
	env := mime.Envelope{Sender: "a@example.com", Recipients: []string{"b@example.com", "c@example.com"}}
	msg := "From: a@example.com\r\nSubject: x\r\n\r\n" + strings.Repeat(".line\n", 20000) + "end"
	var full bytes.Buffer
	total, err := WriteMessage(&full, FormatPickup, env, strings.NewReader(msg))
	if err != nil || total != int64(full.Len()) {
		t.Fatalf("full write: %d bytes, %v", total, err)
	}
	for _, k := range []int{0, 10, 50, 200, 64 << 10, int(total) - 1} {
		w := &limitedWriter{n: k}
		n, err := WriteMessage(w, FormatPickup, env, strings.NewReader(msg))
		if !errors.Is(err, syscall.ENOSPC) {
			t.Errorf("disk full after %d bytes: err %v, want ENOSPC", k, err)
		}
		if n != int64(k) || w.buf.Len() != k || !bytes.Equal(w.buf.Bytes(), full.Bytes()[:k]) {
			t.Errorf("disk full after %d bytes: reported %d, wrote %d", k, n, w.buf.Len())
		}
	}
	for _, cut := range []int{0, 5, 40, 1000, 70000, len(msg) - 1} {
		src := &failingReader{r: strings.NewReader(msg[:cut]), err: syscall.EIO}
		if _, err := WriteMessage(io.Discard, FormatPickup, env, src); !errors.Is(err, syscall.EIO) {
			t.Errorf("source failing after %d bytes: err %v, want EIO", cut, err)
		}
	}
}

// TestHardening_stageDiskFull: a staged pickup file whose writer hits a
// full disk leaves nothing in the target folder and no temp file, and the
// error keeps ENOSPC for the caller to branch on.
func TestHardening_stageDiskFull(t *testing.T) {
	root := t.TempDir()
	pickup := filepath.Join(root, "Pickup")
	tmp := filepath.Join(root, "tmp")
	for _, d := range []string{pickup, tmp} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	env := mime.Envelope{Sender: "a@example.com", Recipients: []string{"b@example.com"}}
	for _, k := range []int{0, 30, 4096} {
		_, err := Stage(pickup, fmt.Sprintf("M%d.eml", k), tmp, func(w io.Writer) error {
			_, err := WriteMessage(&limitedWriter{n: k}, FormatPickup, env, strings.NewReader("Subject: x\r\n\r\n"+strings.Repeat("y", 10000)))
			if err != nil {
				// The real file is written to w; a full disk is simulated by
				// writing what fits, then failing as the OS would.
				w.Write(bytes.Repeat([]byte("y"), k))
			}
			return err
		})
		if !errors.Is(err, syscall.ENOSPC) {
			t.Errorf("k=%d: Stage err %v, want ENOSPC", k, err)
		}
		for _, d := range []string{pickup, tmp} {
			if ents, _ := os.ReadDir(d); len(ents) != 0 {
				t.Errorf("k=%d: %s holds %d entries after a failed stage", k, d, len(ents))
			}
		}
	}
}
