//go:build !amd64 || purego

package mime

// b64CleanPrefix returns the length of a prefix of b that holds only
// base64 alphabet characters, CR and LF. Without the amd64 routine it is
// empty, and b64CleanLen checks every byte with the table.
func b64CleanPrefix(b []byte) int { return 0 }

// countLineEnds returns the number of CR and LF bytes in b.
func countLineEnds(b []byte) int { return countLineEndsGeneric(b) }

const hasCleanPrefixRoutine = false
