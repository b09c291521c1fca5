//go:build windows

package quarantine

import (
	"os"
	"path/filepath"
	"testing"
)

// TestStreams_keptAcrossVolumes: an NTFS alternate data stream (where the
// queue envelope may live, FORMATS.md) survives a rename within the volume
// and the CopyFileEx path across volumes, both ways.
func TestStreams_keptAcrossVolumes(t *testing.T) {
	for _, cross := range []bool{false, true} {
		root := t.TempDir()
		msg := filepath.Join(root, "vsi 1", "Queue", "NTFS_0001.EML")
		writeMsg(t, msg, "")
		if err := os.WriteFile(msg+":envelope", []byte("mailmsg properties"), 0o644); err != nil {
			t.Skipf("no alternate data streams here: %v", err)
		}
		forceCrossDevice(cross)
		s := openStore(t, filepath.Join(root, "vsi 1", DefaultDirName))
		rec, err := s.Add(ctx(), AddRequest{Item: itemFor(t, msg, "generic")})
		tcheck(t, err, "add")
		b, err := os.ReadFile(filepath.Join(s.ItemDir(rec.ID), "NTFS_0001.EML") + ":envelope")
		if err != nil || string(b) != "mailmsg properties" {
			t.Errorf("cross=%v: stream lost in the store: %q %v", cross, b, err)
		}
		_, err = s.Restore(ctx(), rec.ID, false)
		tcheck(t, err, "restore")
		b, err = os.ReadFile(msg + ":envelope")
		if err != nil || string(b) != "mailmsg properties" {
			t.Errorf("cross=%v: stream lost on restore: %q %v", cross, b, err)
		}
		s.Close()
		forceCrossDevice(false)
	}
}
