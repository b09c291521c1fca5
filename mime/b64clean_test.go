package mime

import (
	"fmt"
	"testing"
)

// checkCleanPrefix holds b64CleanPrefix to its contract, with the table
// as the oracle: the prefix is a multiple of 16 within b, every byte of it
// is clean, and the 16 bytes after it (when b has them) hold a byte that
// is not. (Without the amd64 routine the prefix is always empty.)
func checkCleanPrefix(t *testing.T, b []byte) {
	t.Helper()
	p := b64CleanPrefix(b)
	if p < 0 || p > len(b) || p%16 != 0 {
		t.Fatalf("prefix %d of a %d-byte block %q", p, len(b), b)
	}
	for i := 0; i < p; i++ {
		if b64LineTab[b[i]] != 0 {
			t.Fatalf("prefix %d takes byte %#x at %d: %q", p, b[i], i, b)
		}
	}
	if hasCleanPrefixRoutine && p+16 <= len(b) && tableClean(b[p:p+16]) {
		t.Fatalf("prefix %d stops before a clean chunk: %q", p, b)
	}
}

// TestB64CleanPrefix puts every byte value at every position of blocks of
// every length up to three 32-byte chunks, with each routine this CPU has,
// and checks b64CleanPrefix and countLineEnds.
func TestB64CleanPrefix(t *testing.T) {
	base := []byte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/\r\n")
	for _, avx2 := range cleanPrefixRoutines() {
		t.Run(fmt.Sprintf("avx2=%v", avx2), func(t *testing.T) {
			defer setAVX2(avx2)()
			for n := 0; n <= 96; n++ {
				blk := make([]byte, n)
				for i := range blk {
					blk[i] = base[(i*7)%len(base)]
				}
				checkCleanPrefix(t, blk)
				checkCountLineEnds(t, blk)
				if hasCleanPrefixRoutine && b64CleanPrefix(blk) != n/16*16 {
					t.Fatalf("clean %d-byte block: prefix %d, want %d", n, b64CleanPrefix(blk), n/16*16)
				}
				for pos := 0; pos < n; pos++ {
					for c := 0; c < 256; c++ {
						old := blk[pos]
						blk[pos] = byte(c)
						checkCleanPrefix(t, blk)
						checkCountLineEnds(t, blk)
						if hasCleanPrefixRoutine && b64LineTab[c] != 0 && b64CleanPrefix(blk) != pos/16*16 {
							t.Fatalf("byte %#x at %d of %d: prefix %d, want %d", c, pos, n, b64CleanPrefix(blk), pos/16*16)
						}
						blk[pos] = old
					}
				}
			}
		})
	}
}

func FuzzB64CleanPrefix(f *testing.F) {
	f.Add([]byte("QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0\r\n"))
	f.Add([]byte("QUJDREVGR0hJSktM\x80NOPQRSTUVWXYZ=="))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, avx2 := range cleanPrefixRoutines() {
			restore := setAVX2(avx2)
			checkCleanPrefix(t, b)
			checkCountLineEnds(t, b)
			restore()
		}
		want := 0
		for want < len(b) && b64LineTab[b[want]] == 0 {
			want++
		}
		if got := b64CleanLen(b); got != want {
			t.Fatalf("b64CleanLen %d, table %d: %q", got, want, b)
		}
	})
}

// checkCountLineEnds compares countLineEnds with a plain count.
func checkCountLineEnds(t *testing.T, b []byte) {
	t.Helper()
	want := 0
	for _, c := range b {
		if c == '\r' || c == '\n' {
			want++
		}
	}
	if got := countLineEnds(b); got != want {
		t.Fatalf("countLineEnds %d, want %d: %q", got, want, b)
	}
}

func tableClean(b []byte) bool {
	for _, c := range b {
		if b64LineTab[c] != 0 {
			return false
		}
	}
	return true
}
