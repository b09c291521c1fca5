//go:build !windows

package quarantine

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestCrossDevice_real moves between two real file systems when the
// machine has a tmpfs at /dev/shm.
func TestCrossDevice_real(t *testing.T) {
	shm := "/dev/shm"
	if fi, err := os.Stat(shm); err != nil || !fi.IsDir() {
		t.Skip("no /dev/shm")
	}
	src, err := os.MkdirTemp(shm, "mailroot-q-")
	if err != nil {
		t.Skip(err)
	}
	defer os.RemoveAll(src)
	root := t.TempDir()
	var st1, st2 syscall.Stat_t
	if syscall.Stat(src, &st1) != nil || syscall.Stat(root, &st2) != nil || st1.Dev == st2.Dev {
		t.Skip("/dev/shm is on the same device as the temp folder")
	}
	items := buildTree(t, src, 2)
	orig := snapshot(t, src, "")
	dir := filepath.Join(root, "Q")
	s := openStore(t, dir)
	defer s.Close()
	var steps []string
	faultHook = func(s string) error { steps = append(steps, s); return nil }
	var ids []string
	for _, it := range items {
		rec, err := s.Add(ctx(), AddRequest{Item: it})
		tcheck(t, err, "add across devices")
		ids = append(ids, rec.ID)
	}
	faultHook = nil
	if !contains(steps, "copy-verify") {
		t.Fatalf("copy path not taken: %v", steps)
	}
	checkExactlyOnce(t, orig, src, dir)
	checkStoreConsistent(t, s)
	for _, id := range ids {
		_, err := s.Restore(ctx(), id, false)
		tcheck(t, err, "restore across devices")
	}
	after := snapshot(t, src, "")
	for rel, h := range orig {
		if after[rel] != h {
			t.Errorf("%s differs after cross-device round trip", rel)
		}
	}
	// Modes and times survive the copy.
	fi, err := os.Stat(filepath.Join(src, "vsi 1", "BadMail", "BAD0000.BDP"))
	tcheck(t, err, "stat")
	if fi.Mode().Perm() != 0o444 {
		t.Errorf("mode after copy %v", fi.Mode().Perm())
	}
	checkExactlyOnce(t, orig, src, dir)
}
