package queue

import (
	"errors"
	"syscall"
)

// Windows error codes for a file another process holds open. They are
// spelled out here (not taken from golang.org/x/sys/windows, which only
// builds on Windows) so that the classification is tested on every OS;
// locked_windows.go checks at compile time that they match x/sys.
const (
	winErrorSharingViolation = 32 // ERROR_SHARING_VIOLATION
	winErrorLockViolation    = 33 // ERROR_LOCK_VIOLATION
)

// lockedWindowsErrno reports whether a Windows error code means the file is
// in use by another process: IIS keeps the queue files it works on open, so
// they cannot be opened for moving while the virtual server runs.
func lockedWindowsErrno(code uintptr) bool {
	return code == winErrorSharingViolation || code == winErrorLockViolation
}

// IsLocked reports whether err means that the file is held open (or
// byte-range locked) by another process. On Windows that is
// ERROR_SHARING_VIOLATION or ERROR_LOCK_VIOLATION. Elsewhere it is always
// false: Unix has no mandatory sharing modes, and errno values such as
// EAGAIN mean something else there.
func IsLocked(err error) bool {
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		return false
	}
	return lockedErrno(uintptr(errno))
}
