package quarantine

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/mailroot/mailroot/queue"
)

// copyFixture copies a fixture tree, keeping modification times.
func copyFixture(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if err := os.WriteFile(target, b, fi.Mode().Perm()); err != nil {
			return err
		}
		return os.Chtimes(target, fi.ModTime(), fi.ModTime())
	})
	tcheck(t, err, "copy fixture")
}

// TestRoundTrip_fixtureMailroot quarantines every item the queue walker
// finds in a copy of fixtures/mailroot, restores them all, and compares
// every file's SHA-256 and modification time with the original.
func TestRoundTrip_fixtureMailroot(t *testing.T) {
	src := filepath.Join("..", "fixtures", "mailroot")
	if _, err := os.Stat(src); err != nil {
		t.Skip("fixtures/mailroot not present")
	}
	root := t.TempDir()
	copyFixture(t, src, root)
	vsi := filepath.Join(root, "vsi 1")
	storeDir := DefaultDir(vsi)
	orig := snapshot(t, root, storeDir)
	times := map[string]int64{}
	for rel := range orig {
		fi, err := os.Stat(filepath.Join(root, rel))
		tcheck(t, err, "stat")
		times[rel] = fi.ModTime().UnixNano()
	}
	l, err := queue.Detect(vsi)
	tcheck(t, err, "detect")
	var items []queue.Item
	tcheck(t, queue.Walk(ctx(), l, queue.WalkOptions{}, func(it queue.Item) error {
		items = append(items, it)
		return nil
	}), "walk")
	if len(items) < 3 {
		t.Fatalf("only %d items in the fixture", len(items))
	}
	s := openStore(t, storeDir)
	defer s.Close()
	var ids []string
	for _, it := range items {
		rec, err := s.Add(ctx(), AddRequest{Item: it})
		tcheck(t, err, "add "+it.Path)
		ids = append(ids, rec.ID)
	}
	checkExactlyOnce(t, orig, root)
	checkStoreConsistent(t, s)
	for _, id := range ids {
		_, err := s.Restore(ctx(), id, false)
		tcheck(t, err, "restore "+id)
	}
	after := snapshot(t, root, storeDir)
	if len(after) != len(orig) {
		t.Fatalf("%d files after the round trip, want %d", len(after), len(orig))
	}
	for rel, h := range orig {
		if after[rel] != h {
			t.Errorf("%s: content differs after the round trip", rel)
		}
		fi, err := os.Stat(filepath.Join(root, rel))
		tcheck(t, err, "stat")
		if fi.ModTime().UnixNano() != times[rel] {
			t.Errorf("%s: modification time changed", rel)
		}
	}
	checkStoreConsistent(t, s)
}
