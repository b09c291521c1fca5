package quarantine_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/mailroot/mailroot/mime"
	"github.com/mailroot/mailroot/quarantine"
	"github.com/mailroot/mailroot/queue"
)

// Quarantine one queue file, check the store, and put the file back.
func Example() {
	root, _ := os.MkdirTemp("", "mailroot-example-")
	defer os.RemoveAll(root)
	queueDir := filepath.Join(root, "vsi 1", "Queue")
	os.MkdirAll(queueDir, 0o755)
	msg := filepath.Join(queueDir, "NTFS_0001.EML")
	os.WriteFile(msg, []byte("From: a@example.com\r\nSubject: hi\r\n\r\nbody\r\n"), 0o644)

	s, err := quarantine.Open(quarantine.DefaultDir(filepath.Join(root, "vsi 1")), quarantine.Options{Create: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()
	rec, err := s.Add(context.Background(), quarantine.AddRequest{
		Item:  queue.Item{Path: msg, Folder: mime.FolderQueue},
		Force: true, // on Windows, only when SMTPSVC is known to be stopped
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(rec.State, len(rec.Files), rec.Files[0].Name, rec.Files[0].Size)

	rep, _ := s.Verify(context.Background())
	fmt.Println("verify ok:", rep.OK())

	if _, err := s.Restore(context.Background(), rec.ID[:8], false); err != nil {
		fmt.Println(err)
		return
	}
	got, _ := s.Get(rec.ID)
	_, statErr := os.Stat(msg)
	fmt.Println(got.State, statErr == nil)
	// Output:
	// quarantined 1 NTFS_0001.EML 42
	// verify ok: true
	// restored true
}
