package queue

import "golang.org/x/sys/windows"

// Compile-time checks that the codes in locked.go match x/sys.
var (
	_ = [1]struct{}{}[windows.ERROR_SHARING_VIOLATION-winErrorSharingViolation]
	_ = [1]struct{}{}[windows.ERROR_LOCK_VIOLATION-winErrorLockViolation]
)

func lockedErrno(code uintptr) bool { return lockedWindowsErrno(code) }
