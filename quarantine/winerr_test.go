package quarantine

import "testing"

// The Windows error classification is plain data, so it is tested on every
// OS (issue 7); sys_windows.go only feeds it syscall.Errno values.
func TestClassifyWinError(t *testing.T) {
	for _, tc := range []struct {
		code uint64
		want winErrClass
	}{
		{32, winBusy},        // ERROR_SHARING_VIOLATION: IIS holds the queue file
		{33, winBusy},        // ERROR_LOCK_VIOLATION
		{5, winTransient},    // ERROR_ACCESS_DENIED: antivirus, pending delete
		{17, winCrossDevice}, // ERROR_NOT_SAME_DEVICE: MoveFileEx across volumes
		{80, winExists},      // ERROR_FILE_EXISTS
		{183, winExists},     // ERROR_ALREADY_EXISTS
		{2, winNotExist},
		{3, winNotExist},
		{112, winOther}, // ERROR_DISK_FULL: not retried, reported
	} {
		if got := classifyWinError(tc.code); got != tc.want {
			t.Errorf("classifyWinError(%d) = %d, want %d", tc.code, got, tc.want)
		}
	}
}
