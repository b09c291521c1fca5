package queue

// Windows error codes that a pickup drop retries (winerror.h). They live in
// a portable file so that the classification is tested on every OS.
const (
	dropErrAccessDenied     = 5  // ERROR_ACCESS_DENIED: a scanner or indexer holds the file
	dropErrSharingViolation = 32 // ERROR_SHARING_VIOLATION
	dropErrLockViolation    = 33 // ERROR_LOCK_VIOLATION
)

// dropTransientCode reports whether a Windows error code from MoveFileEx
// is worth retrying (as golang/go cmd/go/internal/robustio does).
func dropTransientCode(code uintptr) bool {
	switch code {
	case dropErrAccessDenied, dropErrSharingViolation, dropErrLockViolation:
		return true
	}
	return false
}
