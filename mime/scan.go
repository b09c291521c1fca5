package mime

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
)

// Scan reads one message from r and reports what is wrong with it.
// PLACEHOLDER: the streaming core replaces this body (issue 2).
func Scan(r io.Reader, opts Options) (*Report, error) {
	opts.normalize()
	h := sha256.New()
	n, err := io.Copy(h, r)
	if err != nil {
		return nil, err
	}
	return &Report{Size: n, SHA256: hex.EncodeToString(h.Sum(nil)), Findings: []Finding{}}, nil
}
