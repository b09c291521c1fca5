//go:build !windows

package queue

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestDrop_clearsReadOnlyUnderUmask: with a umask that strips the owner's
// write bit, the temp file is created read-only; the dropped file must not
// be (KB 221432: read-only pickup files are sent again on every restart).
func TestDrop_clearsReadOnlyUnderUmask(t *testing.T) {
	old := syscall.Umask(0o277)
	defer syscall.Umask(old)
	root := t.TempDir()
	pickup := filepath.Join(root, "Pickup")
	if err := os.Mkdir(pickup, 0o755); err != nil {
		t.Fatal(err)
	}
	s, err := Drop(pickup, "RO.eml", "", writeString("x\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(s.Path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm()&0o200 == 0 {
		t.Errorf("dropped file is read-only: %v", fi.Mode())
	}
}
