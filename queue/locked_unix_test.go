//go:build !windows

package queue

import (
	"fmt"
	"os"
	"syscall"
	"testing"
)

// Off Windows nothing is "locked": errno 32 is EPIPE here, not a sharing
// violation, and EAGAIN is not a lock either.
func TestIsLocked_unix(t *testing.T) {
	for _, e := range []syscall.Errno{32, 33, syscall.EAGAIN, syscall.EACCES} {
		err := fmt.Errorf("open: %w", &os.PathError{Op: "open", Path: "x", Err: e})
		if IsLocked(err) {
			t.Errorf("IsLocked(%v) = true off Windows", e)
		}
	}
}
