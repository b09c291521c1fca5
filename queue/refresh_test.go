package queue

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mailroot/mailroot/mime"
)

// TestRefresh: an item that changed after the walk gets the sizes, times,
// attributes and file-system findings of its files as they are now, and a
// vanished file is an error that names it.
func TestRefresh(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "NTFS_01.EML")
	if err := os.WriteFile(p, []byte("Subject: x\r\n\r\nbody\r\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	old := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	os.Chtimes(p, old, old)
	fi, _ := os.Lstat(p)
	it := Item{Path: p, Folder: mime.FolderQueue, Size: fi.Size(), ModTime: fi.ModTime(),
		Members: []Member{{Path: p, Role: "message", Size: fi.Size(), ModTime: fi.ModTime()}}}
	it.Findings = fileFindings(it)
	if len(it.Findings) != 0 {
		t.Fatalf("findings before: %v", it.Findings)
	}

	// Truncated to 0 bytes: Q-001.
	if err := os.WriteFile(p, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Refresh(&it); err != nil {
		t.Fatal(err)
	}
	if it.Size != 0 || it.Members[0].Size != 0 || it.ModTime.Equal(old) || it.Members[0].ModTime.Equal(old) {
		t.Errorf("after truncation: size %d/%d, mtime %v/%v", it.Size, it.Members[0].Size, it.ModTime, it.Members[0].ModTime)
	}
	if len(it.Findings) != 1 || it.Findings[0].Rule != "Q-001" {
		t.Errorf("findings after truncation: %v, want Q-001", it.Findings)
	}

	// A pickup file made read-only: ENV-004 (not on Windows, where the
	// attribute, not the mode, says read-only).
	it.Folder = mime.FolderPickup
	if err := os.WriteFile(p, []byte("x"), 0o444); err != nil {
		t.Fatal(err)
	}
	os.Chmod(p, 0o444)
	if err := Refresh(&it); err != nil {
		t.Fatal(err)
	}
	if !it.ReadOnly || len(it.Findings) != 1 || it.Findings[0].Rule != "ENV-004" {
		t.Errorf("read-only pickup file: ReadOnly %v, findings %v; want ENV-004", it.ReadOnly, it.Findings)
	}

	os.Chmod(p, 0o644)
	os.Remove(p)
	if err := Refresh(&it); err == nil || !os.IsNotExist(err) {
		t.Errorf("vanished: %v, want a not-exist error", err)
	}
}
