package queue

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mailroot/mailroot/mime"
)

// These tests run only on Windows (NTFS). They are compiled by
// GOOS=windows go test -c on every CI run.

func TestListStreams_windows(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "NTFS_1.EML")
	if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := listStreams(p)
	if err != nil {
		t.Skipf("file system cannot list streams: %v", err)
	}
	if s == nil || len(s) != 0 {
		t.Fatalf("plain file streams = %#v, want empty non-nil", s)
	}
	if err := os.WriteFile(p+":props", []byte("12345"), 0o644); err != nil {
		t.Skipf("cannot write an alternate data stream: %v", err)
	}
	s, err = listStreams(p)
	if err != nil || len(s) != 1 || s[0].Name != "props" || s[0].Size != 5 {
		t.Fatalf("streams = %#v, %v; want props of 5 bytes", s, err)
	}
	// path + ":" + Name opens it.
	b, err := os.ReadFile(p + ":" + s[0].Name)
	if err != nil || string(b) != "12345" {
		t.Fatalf("read stream back: %q %v", b, err)
	}
	// Long paths work through longPath.
	long := filepath.Join(dir, strings.Repeat("d", 120), strings.Repeat("e", 120))
	if err := os.MkdirAll(long, 0o755); err != nil {
		t.Fatal(err)
	}
	lp := filepath.Join(long, "NTFS_2.EML")
	if err := os.WriteFile(lp, []byte("y"), 0o644); err != nil {
		t.Fatal(err)
	}
	if s, err := listStreams(lp); err != nil || s == nil {
		t.Fatalf("long path streams = %#v, %v", s, err)
	}
}

func TestWalk_windowsAttributes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "Queue")
	writeFiles(t, dir, map[string]string{"NTFS_1.EML": "a", "NTFS_2.EML": "b"})
	if err := os.WriteFile(filepath.Join(dir, "NTFS_2.EML:props"), []byte("envelope"), 0o644); err != nil {
		t.Skipf("cannot write an alternate data stream: %v", err)
	}
	if err := os.Chmod(filepath.Join(dir, "NTFS_2.EML"), 0o444); err != nil {
		t.Fatal(err)
	}
	// Windows cannot delete a read-only file: let TempDir clean up.
	t.Cleanup(func() { os.Chmod(filepath.Join(dir, "NTFS_2.EML"), 0o644) })
	l, err := Detect(dir)
	if err != nil {
		t.Fatal(err)
	}
	items, _ := walkAll(t, l, WalkOptions{})
	if len(items) != 2 {
		t.Fatalf("%d items", len(items))
	}
	if f := items[0].Findings; len(f) != 1 || f[0].Rule != "Q-001" {
		t.Errorf("file without streams: findings %+v, want Q-001", f)
	}
	if f := items[1].Findings; len(f) != 0 || !items[1].ReadOnly || len(items[1].Members[0].Streams) != 1 {
		t.Errorf("file with a stream: %+v", items[1])
	}
	if items[0].Created.IsZero() || time.Since(items[0].Created) > time.Hour {
		t.Errorf("creation time %v", items[0].Created)
	}
	if items[0].Folder != mime.FolderQueue {
		t.Errorf("folder %s", items[0].Folder)
	}
}

func TestServiceRunning_windows(t *testing.T) {
	running, err := ServiceRunning("mailroot-no-such-service-7f3a")
	if err != nil || running {
		t.Errorf("ServiceRunning(missing) = %v, %v; want false, nil", running, err)
	}
}
