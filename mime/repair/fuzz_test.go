package repair

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mailroot/mailroot/mime"
)

// seedFiles returns the .eml files under the rule fixtures and the peer
// corpus, up to maxSize bytes each.
func seedFiles(t testing.TB, maxSize int64) []string {
	var out []string
	for _, root := range []string{"../../fixtures/rules", "../../fixtures/repair", "../../../shared/corpus/messages"} {
		_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(strings.ToLower(p), ".eml") {
				return nil
			}
			if fi, err := d.Info(); err == nil && fi.Size() <= maxSize {
				out = append(out, p)
			}
			return nil
		})
	}
	return out
}

// checkRepairInvariant: the repaired output rescans, and shows none of
// the rules Repair says it fixed.
func checkRepairInvariant(t *testing.T, name string, in []byte, folder mime.Folder) {
	t.Helper()
	out, res, err := Repair(in, Options{Folder: folder, FileTime: fileTime})
	if err != nil {
		t.Fatalf("%s: Repair: %v", name, err)
	}
	rep, err := mime.Scan(bytes.NewReader(out), mime.Options{Folder: folder})
	if err != nil {
		t.Fatalf("%s: rescan: %v", name, err)
	}
	for _, rule := range res.Fixed() {
		if rep.Has(rule) {
			for _, f := range rep.Findings {
				if f.Rule == rule {
					t.Errorf("%s: repaired output still shows %s, which Repair claims fixed: %v", name, rule, f)
					break
				}
			}
		}
	}
	// Repairing the output again must not find more to do for those rules.
	_, res2, err := Repair(out, Options{Folder: folder, FileTime: fileTime})
	if err != nil {
		t.Fatalf("%s: second Repair: %v", name, err)
	}
	for _, c := range res2.Changes {
		if c.Rule != "STR-003" && contains(res.Fixed(), c.Rule) {
			t.Errorf("%s: second Repair changed %s again: %v", name, c.Rule, c)
		}
	}
}

// TestRepair_seedCorpus runs the fuzz invariant over every seed file.
func TestRepair_seedCorpus(t *testing.T) {
	files := seedFiles(t, 4<<20)
	if len(files) < 50 {
		t.Fatalf("only %d seed files found", len(files))
	}
	for _, p := range files {
		in, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		checkRepairInvariant(t, p, in, "")
		checkRepairInvariant(t, p, in, mime.FolderPickup)
		checkNothingNew(t, p, in)
	}
}

// checkNothingNew: repair must not bring in a rule the input did not show,
// except HDR-005 (low), which re-folding a too-long line cannot avoid.
func checkNothingNew(t *testing.T, name string, in []byte) {
	t.Helper()
	out, _, err := Repair(in, Options{FileTime: fileTime})
	if err != nil {
		t.Fatal(err)
	}
	before, _ := mime.Scan(bytes.NewReader(in), mime.Options{})
	after, _ := mime.Scan(bytes.NewReader(out), mime.Options{})
	had := map[string]bool{"HDR-005": true}
	for _, f := range before.Findings {
		had[f.Rule] = true
	}
	for _, f := range after.Findings {
		if !had[f.Rule] {
			t.Errorf("%s: repair introduced %v", name, f)
		}
	}
}

func FuzzRepair(f *testing.F) {
	for _, p := range seedFiles(f, 64<<10) {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b, false)
		}
	}
	f.Fuzz(func(t *testing.T, in []byte, pickup bool) {
		folder := mime.FolderGeneric
		if pickup {
			folder = mime.FolderPickup
		}
		checkRepairInvariant(t, "input", in, folder)
	})
}
