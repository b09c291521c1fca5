//go:build !purego

package mime

// b64CleanPrefix returns the length of the longest prefix of b, a multiple
// of 16 bytes, that holds only base64 alphabet characters, CR and LF
// (b64clean_amd64.s, SSE2: close to twice the speed of the table).
//
//go:noescape
func b64CleanPrefix(b []byte) int

const hasCleanPrefixRoutine = true
