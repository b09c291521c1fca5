//go:build !windows

package quarantine

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/mailroot/mailroot/mime"
)

// TestRestore_linkHigherUp (issue 7: restore never writes outside its
// target folder): a folder higher up the original path that becomes a link
// to somewhere else after the move makes restore refuse, writing nothing
// there; a link that was already there at quarantine time and still leads
// to the same place is followed.
func TestRestore_linkHigherUp(t *testing.T) {
	root := t.TempDir()
	s := openStore(t, filepath.Join(root, "Q"))
	defer s.Close()

	// 1. Quarantined through a real folder that is later replaced by a
	//    link elsewhere.
	mr := filepath.Join(root, "mr")
	p := filepath.Join(mr, "vsi 1", "Queue", "NTFS_00000001.EML")
	writeMsg(t, p, "")
	rec, err := s.Add(ctx(), AddRequest{Item: itemFor(t, p, mime.FolderQueue)})
	tcheck(t, err, "add")
	elsewhere := filepath.Join(root, "elsewhere")
	tcheck(t, os.MkdirAll(filepath.Join(elsewhere, "vsi 1", "Queue"), 0o755), "mkdir")
	tcheck(t, os.Rename(mr, mr+".old"), "move the mailroot away")
	tcheck(t, os.Symlink(elsewhere, mr), "link")
	for _, dry := range []bool{true, false} {
		if _, err := s.Restore(ctx(), rec.ID, dry); !errors.Is(err, ErrPathChanged) {
			t.Errorf("restore (dry run %v) through a link that leaves the mailroot: %v, want ErrPathChanged", dry, err)
		}
	}
	if ents, _ := os.ReadDir(filepath.Join(elsewhere, "vsi 1", "Queue")); len(ents) != 0 {
		t.Errorf("restore wrote %d entries outside the original folder", len(ents))
	}
	if got, _ := s.Get(rec.ID); got.State != StateQuarantined {
		t.Errorf("state %s after a refused restore", got.State)
	}
	// Put the real folder back: the same path resolves as recorded again.
	tcheck(t, os.Remove(mr), "unlink")
	tcheck(t, os.Rename(mr+".old", mr), "move back")
	_, err = s.Restore(ctx(), rec.ID, false)
	tcheck(t, err, "restore once the path is real again")
	if _, err := os.Lstat(p); err != nil {
		t.Errorf("not restored: %v", err)
	}

	// 2. Quarantined through a link that was there already: restore
	//    follows it while it leads to the same folder, refuses once it is
	//    retargeted.
	real := filepath.Join(root, "real")
	link := filepath.Join(root, "link")
	tcheck(t, os.MkdirAll(filepath.Join(real, "vsi 1", "Queue"), 0o755), "mkdir")
	tcheck(t, os.Symlink(real, link), "link")
	p2 := filepath.Join(link, "vsi 1", "Queue", "NTFS_00000002.EML")
	writeMsg(t, p2, "")
	rec2, err := s.Add(ctx(), AddRequest{Item: itemFor(t, p2, mime.FolderQueue)})
	tcheck(t, err, "add through a link")
	tcheck(t, os.Remove(link), "unlink")
	tcheck(t, os.Symlink(elsewhere, link), "retarget")
	if _, err := s.Restore(ctx(), rec2.ID, false); !errors.Is(err, ErrPathChanged) {
		t.Errorf("restore through a retargeted link: %v, want ErrPathChanged", err)
	}
	if ents, _ := os.ReadDir(filepath.Join(elsewhere, "vsi 1", "Queue")); len(ents) != 0 {
		t.Errorf("restore wrote %d entries outside the original folder", len(ents))
	}
	tcheck(t, os.Remove(link), "unlink")
	tcheck(t, os.Symlink(real, link), "link back")
	_, err = s.Restore(ctx(), rec2.ID, false)
	tcheck(t, err, "restore through the original link")
	if _, err := os.Lstat(filepath.Join(real, "vsi 1", "Queue", "NTFS_00000002.EML")); err != nil {
		t.Errorf("not restored into the real folder: %v", err)
	}
	checkStoreConsistent(t, s)
}
