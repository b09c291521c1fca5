package mime

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
)

// The scanner hashes every byte it reads, so that a report's SHA-256 is the
// hash of exactly the bytes its findings describe. SHA-256 runs at about
// 1.3 GB/s a core, a quarter of a scan's CPU on attachment-heavy queues,
// and on most messages of a queue nobody looks at it: a clean message is
// neither printed nor moved. With Options.DeferSHA256 the scanner computes
// a CRC-32C instead (hardware-assisted on amd64 and arm64, about 20 GB/s),
// and FillSHA256 computes the SHA-256 from a second read of the file when
// it is wanted, checking that the second read sees the bytes that were
// scanned (same size, same CRC).
//
// The CRC guards against the file changing between the two reads (the
// SMTP service rewriting or appending to it): it catches every burst of
// changed bits up to 32 bits long and all but one in 2^32 of the others. It is no defence
// against someone choosing colliding bytes, and needs none: whoever can
// write the file can as well change it after both reads.
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// ErrChangedSinceScan is returned by FillSHA256 when the bytes read are not
// those the report describes: the file changed after it was scanned.
var ErrChangedSinceScan = errors.New("the file changed after it was scanned")

// newDigest returns the hash the line reader feeds.
func newDigest(deferred bool) hash.Hash {
	if deferred {
		return crc32.New(castagnoli)
	}
	return sha256.New()
}

// SHA256Deferred reports whether the report was made with
// Options.DeferSHA256 and its SHA256 is still to be filled.
func (r *Report) SHA256Deferred() bool { return r.fingerprint != nil }

// FillSHA256 reads src, which must hold the same bytes as the input of the
// Scan that made r, and sets r.SHA256 to their hash. It returns an error
// wrapping ErrChangedSinceScan, and leaves r unchanged, when src holds other
// bytes (size or fingerprint differ). On a report whose SHA256 is set it
// does nothing.
func (r *Report) FillSHA256(src io.Reader) error {
	if r.fingerprint == nil {
		return nil
	}
	sum := sha256.New()
	fp := crc32.New(castagnoli)
	bp := windowPool.Get().(*[]byte)
	defer windowPool.Put(bp)
	n, err := io.CopyBuffer(io.MultiWriter(sum, fp), struct{ io.Reader }{src}, *bp)
	if err != nil {
		return fmt.Errorf("hash at offset %d: %w", n, err)
	}
	if n != r.Size {
		return fmt.Errorf("%w: %d bytes scanned, %d bytes now", ErrChangedSinceScan, r.Size, n)
	}
	if fp.Sum32() != *r.fingerprint {
		return fmt.Errorf("%w: same size (%d bytes), other content", ErrChangedSinceScan, n)
	}
	r.SHA256 = hex.EncodeToString(sum.Sum(nil))
	r.fingerprint = nil
	return nil
}
