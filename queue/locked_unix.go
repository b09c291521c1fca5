//go:build !windows

package queue

// lockedErrno is false off Windows: there is no sharing violation.
func lockedErrno(code uintptr) bool { return false }
