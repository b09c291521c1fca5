package mime

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"syscall"
	"testing"
)

// faultReader serves data and fails with err once n bytes have been
// handed out (issue 7: a read error mid-file). With sameCall the last
// bytes come back together with the error, as io.Reader allows; chunk
// caps every read, so the failure can land anywhere in the line window.
type faultReader struct {
	data     []byte
	n        int
	err      error
	sameCall bool
	chunk    int
	off      int
	failed   int // reads after the error was returned
}

func (r *faultReader) Read(p []byte) (int, error) {
	if r.off >= r.n {
		r.failed++
		return 0, r.err
	}
	want := min(len(p), r.n-r.off, r.chunk)
	copy(p, r.data[r.off:r.off+want])
	r.off += want
	if r.sameCall && r.off == r.n {
		return want, r.err
	}
	return want, nil
}

// hardeningMessage is a multipart message with a long header line, a
// base64 part larger than the 64 KiB line window and a message/rfc822
// part, so a read error can be injected in every phase of the scanner.
func hardeningMessage() []byte {
	var b bytes.Buffer
	b.WriteString("From: a@example.com\r\nTo: b@example.com\r\nSubject: ")
	b.WriteString(strings.Repeat("x", 100000)) // one header line across two windows
	b.WriteString("\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\npreamble\r\n")
	b.WriteString("--b1\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n")
	for i := 0; i < 3000; i++ { // 3000 * 78 bytes: about 230 KB of base64
		b.WriteString(strings.Repeat("QUJD", 19) + "\r\n")
	}
	b.WriteString("--b1\r\nContent-Type: message/rfc822\r\n\r\nFrom: c@example.com\r\nSubject: inner\r\n\r\ninner body\r\n")
	b.WriteString("--b1--\r\n")
	return b.Bytes()
}

// TestScanHardening_readErrorMidFile injects a read error at offsets in
// every phase (first byte, inside the top header, on window boundaries,
// inside the base64 body, in the embedded message, on the last byte) and
// checks that Scan returns no report and an error that wraps the reader's
// error and names the exact offset reached: a scan that fails part-way must
// never pass for a clean, shorter message.
func TestScanHardening_readErrorMidFile(t *testing.T) {
	data := hardeningMessage()
	inner := bytes.Index(data, []byte("Subject: inner"))
	b64 := bytes.Index(data, []byte("QUJD"))
	offsets := []int{0, 1, 30, 50000, 64<<10 - 1, 64 << 10, 64<<10 + 1, b64 + 10, 200000, inner + 3, len(data) - 1}
	errs := []error{syscall.EIO, io.ErrUnexpectedEOF, errors.New("smb: connection reset")}
	for _, off := range offsets {
		for _, e := range errs {
			for _, same := range []bool{false, true} {
				for _, chunk := range []int{1 << 20, 4096, 7} {
					if chunk == 7 && off > 100000 {
						continue // byte-sized reads are slow; the small offsets cover them
					}
					name := fmt.Sprintf("off=%d/err=%v/same=%v/chunk=%d", off, e, same, chunk)
					r := &faultReader{data: data, n: off, err: e, sameCall: same, chunk: chunk}
					rep, err := Scan(r, Options{})
					if rep != nil {
						t.Errorf("%s: a report for a message that could not be read (%d findings)", name, len(rep.Findings))
					}
					if !errors.Is(err, e) {
						t.Errorf("%s: err = %v, want it to wrap %v", name, err, e)
						continue
					}
					if want := fmt.Sprintf("offset %d:", off); !strings.Contains(err.Error(), want) {
						t.Errorf("%s: err = %q, want it to name %q", name, err, want)
					}
					if r.failed > 1 {
						t.Errorf("%s: the reader was called %d times after it failed", name, r.failed)
					}
				}
			}
		}
	}
	// The same message read in full scans cleanly: the errors above come
	// from the reader, not from the content.
	rep, err := Scan(bytes.NewReader(data), Options{})
	if err != nil || rep.Size != int64(len(data)) {
		t.Fatalf("full read: size %v, err %v", rep, err)
	}
}

// TestScanHardening_dataWithEOF: a reader that returns its last bytes
// together with io.EOF (allowed by io.Reader, done by some network file
// systems) loses none of them.
func TestScanHardening_dataWithEOF(t *testing.T) {
	data := hardeningMessage()
	for _, chunk := range []int{1 << 20, 4096} {
		r := &faultReader{data: data, n: len(data), err: io.EOF, sameCall: true, chunk: chunk}
		rep, err := Scan(r, Options{})
		if err != nil {
			t.Fatalf("chunk %d: %v", chunk, err)
		}
		want, _ := Scan(bytes.NewReader(data), Options{})
		if rep.Size != int64(len(data)) || rep.SHA256 != want.SHA256 || len(rep.Parts) != len(want.Parts) {
			t.Errorf("chunk %d: size %d sha %s parts %d, want %d %s %d", chunk, rep.Size, rep.SHA256, len(rep.Parts), len(data), want.SHA256, len(want.Parts))
		}
	}
}
