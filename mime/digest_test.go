package mime

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"testing"
	"testing/iotest"
)

// TestFillSHA256 checks the deferred hash: a report made with DeferSHA256
// has no SHA256 until FillSHA256 reads the same bytes, and then has the
// one a normal Scan gives; other bytes of the same or another size are
// refused with ErrChangedSinceScan and leave the report waiting.
func TestFillSHA256(t *testing.T) {
	msg := []byte("From: a@example.com\r\nSubject: hi\r\n\r\nbody\r\n")
	sum := sha256.Sum256(msg)
	want := hex.EncodeToString(sum[:])
	flipped := bytes.Clone(msg)
	flipped[len(flipped)-3] ^= 0x20

	cases := []struct {
		name    string
		second  []byte
		changed bool
	}{
		{"same bytes", msg, false},
		{"same size, one byte other", flipped, true},
		{"one byte more", append(bytes.Clone(msg), 'x'), true},
		{"one byte fewer", msg[:len(msg)-1], true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rep, err := Scan(bytes.NewReader(msg), Options{DeferSHA256: true})
			if err != nil {
				t.Fatal(err)
			}
			if rep.SHA256 != "" || !rep.SHA256Deferred() {
				t.Fatalf("deferred report: SHA256 %q, deferred %v", rep.SHA256, rep.SHA256Deferred())
			}
			err = rep.FillSHA256(iotest.OneByteReader(bytes.NewReader(c.second)))
			if c.changed {
				if !errors.Is(err, ErrChangedSinceScan) || rep.SHA256 != "" || !rep.SHA256Deferred() {
					t.Fatalf("err %v, SHA256 %q; want ErrChangedSinceScan and no hash", err, rep.SHA256)
				}
				return
			}
			if err != nil || rep.SHA256 != want || rep.SHA256Deferred() {
				t.Fatalf("err %v, SHA256 %q, deferred %v; want %s", err, rep.SHA256, rep.SHA256Deferred(), want)
			}
		})
	}

	full, err := Scan(bytes.NewReader(msg), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if full.SHA256 != want || full.SHA256Deferred() {
		t.Fatalf("normal scan: SHA256 %q, deferred %v", full.SHA256, full.SHA256Deferred())
	}
	if err := full.FillSHA256(bytes.NewReader(nil)); err != nil || full.SHA256 != want {
		t.Fatalf("FillSHA256 on a hashed report: %v, SHA256 %q", err, full.SHA256)
	}

	rep, _ := Scan(bytes.NewReader(msg), Options{DeferSHA256: true})
	readErr := errors.New("disk gone")
	err = rep.FillSHA256(iotest.ErrReader(readErr))
	if !errors.Is(err, readErr) || errors.Is(err, ErrChangedSinceScan) || rep.SHA256 != "" {
		t.Fatalf("read error: %v, SHA256 %q", err, rep.SHA256)
	}
}
