//go:build !amd64 || purego

package mime

// b64CleanPrefix returns the length of a prefix of b that holds only
// base64 alphabet characters, CR and LF. Without the amd64 routine it is
// empty, and b64CleanLen checks every byte with the table.
func b64CleanPrefix(b []byte) int { return 0 }

const hasCleanPrefixRoutine = false
