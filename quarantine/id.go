package quarantine

import (
	"crypto/rand"
	"io"
	"strings"
	"time"
)

// IDLen is the length of a full item ID.
const IDLen = 12

// idAlphabet is Crockford's base32 in lower case. Its characters sort in
// the same order as their values, so IDs sort by creation time.
const idAlphabet = "0123456789abcdefghjkmnpqrstvwxyz"

// idEpoch is the zero of the 40-bit millisecond clock in an ID (it lasts
// until 2054).
var idEpoch = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

// idGen makes IDs: 8 characters of milliseconds since idEpoch, then 4 of
// randomness. Within one generator the time part strictly increases, so IDs
// of one process sort in creation order even within a millisecond.
type idGen struct {
	last uint64
	rand io.Reader // crypto/rand when nil
}

func (g *idGen) next(now time.Time) string {
	ms := uint64(0)
	if d := now.Sub(idEpoch); d > 0 {
		ms = uint64(d.Milliseconds())
	}
	if ms <= g.last {
		ms = g.last + 1
	}
	g.last = ms
	var b [3]byte
	r := g.rand
	if r == nil {
		r = rand.Reader
	}
	if _, err := io.ReadFull(r, b[:]); err != nil {
		// Randomness only breaks ties; the clock part stays unique in
		// this process, and Add checks the folder does not exist.
		b = [3]byte{}
	}
	v := (ms&(1<<40-1))<<20 | (uint64(b[0])<<16|uint64(b[1])<<8|uint64(b[2]))&(1<<20-1)
	var out [IDLen]byte
	for i := IDLen - 1; i >= 0; i-- {
		out[i] = idAlphabet[v&31]
		v >>= 5
	}
	return string(out[:])
}

// NormalizeID turns what a user typed into an ID or ID prefix: lower case,
// surrounding space and '-' removed, and Crockford's look-alikes mapped
// (i and l to 1, o to 0). Anything outside the alphabet is refused, which
// also refuses "..", path separators, drive letters and UNC paths.
func NormalizeID(s string) (string, error) {
	in := s
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.ReplaceAll(s, "-", "")
	if s == "" {
		return "", &InvalidIDError{Input: in, Reason: "empty"}
	}
	if len(s) > IDLen {
		return "", &InvalidIDError{Input: in, Reason: "longer than 12 characters"}
	}
	b := []byte(s)
	for i, c := range b {
		switch c {
		case 'i', 'l':
			b[i] = '1'
		case 'o':
			b[i] = '0'
		}
		if strings.IndexByte(idAlphabet, b[i]) < 0 {
			return "", &InvalidIDError{Input: in, Reason: "only letters and digits of an ID are allowed"}
		}
	}
	return string(b), nil
}

// validID reports whether name is a full, normalised ID (used to tell item
// folders from anything else in the store).
func validID(name string) bool {
	if len(name) != IDLen {
		return false
	}
	for i := 0; i < len(name); i++ {
		if strings.IndexByte(idAlphabet, name[i]) < 0 {
			return false
		}
	}
	return true
}

// IDTime returns the creation time encoded in a full ID (millisecond
// precision; approximate for IDs made in a burst).
func IDTime(id string) (time.Time, bool) {
	if !validID(id) {
		return time.Time{}, false
	}
	var v uint64
	for i := 0; i < IDLen; i++ {
		v = v<<5 | uint64(strings.IndexByte(idAlphabet, id[i]))
	}
	return idEpoch.Add(time.Duration(v>>20) * time.Millisecond), true
}
