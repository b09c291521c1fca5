package queue

import (
	"fmt"
	"os"
	"testing"

	"golang.org/x/sys/windows"
)

func TestIsLocked_windows(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{windows.ERROR_SHARING_VIOLATION, true},
		{windows.ERROR_LOCK_VIOLATION, true},
		{windows.ERROR_ACCESS_DENIED, false},
	} {
		err := fmt.Errorf("open: %w", &os.PathError{Op: "open", Path: "x", Err: tc.err})
		if got := IsLocked(err); got != tc.want {
			t.Errorf("IsLocked(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}
