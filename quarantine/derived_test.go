package quarantine

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReplaceFile: a derived file is replaced through the store (item.json
// lists the new hash, history keeps the old one, verify is clean); originals
// can never be replaced, whatever role or name is given.
func TestReplaceFile(t *testing.T) {
	root := t.TempDir()
	items := buildTree(t, root, 1)
	s := openStore(t, filepath.Join(root, "Q"))
	defer s.Close()
	rec, err := s.Add(ctx(), AddRequest{Item: items[0]})
	tcheck(t, err, "add")
	orig := rec.Originals()[0]
	origPath := filepath.Join(s.ItemDir(rec.ID), orig.Name)
	origBytes, _ := os.ReadFile(origPath)

	// Replacing a name not listed yet adds it.
	f1, err := s.ReplaceFile(rec.ID, "fixed.eml", "fixed", strings.NewReader("first"))
	tcheck(t, err, "first write")
	f2, err := s.ReplaceFile(rec.ID, "fixed.eml", "fixed", strings.NewReader("second version"))
	tcheck(t, err, "replace")
	if f2.SHA256 != sha([]byte("second version")) || f2.Size != int64(len("second version")) {
		t.Errorf("returned %+v", f2)
	}
	got, _ := os.ReadFile(filepath.Join(s.ItemDir(rec.ID), "fixed.eml"))
	if string(got) != "second version" {
		t.Errorf("fixed.eml holds %q", got)
	}
	r2, err := s.Get(rec.ID)
	tcheck(t, err, "get")
	if n := len(r2.Files); n != len(rec.Files)+1 {
		t.Errorf("%d files listed, want %d (replaced, not added twice)", n, len(rec.Files)+1)
	}
	last := r2.History[len(r2.History)-1]
	if last.Action != "file-replaced" || !strings.Contains(last.Detail, f1.SHA256+" -> "+f2.SHA256) {
		t.Errorf("last history event %+v; want file-replaced with old -> new", last)
	}
	checkStoreConsistent(t, s)

	// Originals: refused by role, by name (any case), and as a re-record.
	for _, c := range []struct{ name, role string }{
		{orig.Name, "fixed"},
		{strings.ToUpper(orig.Name), "fixed"},
		{orig.Name, RoleMessage},
		{"other.eml", RoleMessage},
		{"other.eml", "BDR"},
	} {
		if _, err := s.ReplaceFile(rec.ID, c.name, c.role, strings.NewReader("evil")); !errors.Is(err, ErrOriginal) {
			t.Errorf("ReplaceFile(%s, %s): %v, want ErrOriginal", c.name, c.role, err)
		}
	}
	if _, _, _, err := s.Rehash(rec.ID, orig.Name, ""); !errors.Is(err, ErrOriginal) {
		t.Errorf("Rehash of an original: %v, want ErrOriginal", err)
	}
	if _, err := s.ReplaceFile(rec.ID, "fixed.eml", "report", strings.NewReader("x")); err == nil {
		t.Error("ReplaceFile with another role than recorded succeeded")
	}
	if b, _ := os.ReadFile(origPath); string(b) != string(origBytes) {
		t.Fatal("the original changed")
	}
	if exists(filepath.Join(s.ItemDir(rec.ID), "other.eml")) {
		t.Error("a refused replacement left a file")
	}
	checkStoreConsistent(t, s)
}

// TestRehash: a derived file edited in place is reported by verify until
// Rehash records it; then verify is clean and the history says
// "edited by hand, sha256 old -> new". An edited original stays reported.
func TestRehash(t *testing.T) {
	root := t.TempDir()
	items := buildTree(t, root, 1)
	s := openStore(t, filepath.Join(root, "Q"))
	defer s.Close()
	rec, err := s.Add(ctx(), AddRequest{Item: items[0]})
	tcheck(t, err, "add")
	f, err := s.WriteFile(rec.ID, "fixed.eml", "fixed", strings.NewReader("as repaired"))
	tcheck(t, err, "write")

	// Unchanged: nothing recorded.
	if _, _, changed, err := s.Rehash(rec.ID, "fixed.eml", ""); err != nil || changed {
		t.Errorf("rehash of an unchanged file: changed=%v err=%v", changed, err)
	}
	p := filepath.Join(s.ItemDir(rec.ID), "fixed.eml")
	tcheck(t, os.WriteFile(p, []byte("as edited by hand"), 0o600), "edit")
	rep, err := s.Verify(ctx())
	tcheck(t, err, "verify")
	if rep.OK() || len(rep.Problems) != 1 || rep.Problems[0].Kind != ProblemAltered || rep.Problems[0].Path != p {
		t.Fatalf("verify before re-recording: %+v", rep.Problems)
	}
	old, cur, changed, err := s.Rehash(rec.ID, "fixed.eml", "")
	tcheck(t, err, "rehash")
	newSum := sha([]byte("as edited by hand"))
	if !changed || old.SHA256 != f.SHA256 || cur.SHA256 != newSum {
		t.Errorf("rehash: changed=%v old %s cur %s", changed, old.SHA256, cur.SHA256)
	}
	r2, _ := s.Get(rec.ID)
	last := r2.History[len(r2.History)-1]
	if last.Action != "rehashed" || last.Detail != "edited by hand, sha256 "+f.SHA256+" -> "+newSum {
		t.Errorf("history %+v", last)
	}
	checkStoreConsistent(t, s)

	// Tampering with the original is never absorbed.
	orig := filepath.Join(s.ItemDir(rec.ID), rec.Originals()[0].Name)
	tcheck(t, os.WriteFile(orig, []byte("tampered"), 0o600), "tamper")
	if _, _, _, err := s.Rehash(rec.ID, rec.Originals()[0].Name, ""); !errors.Is(err, ErrOriginal) {
		t.Errorf("rehash original: %v", err)
	}
	rep, _ = s.Verify(ctx())
	if rep.OK() {
		t.Error("verify is clean after the original was altered")
	}
}

// TestFaultInjection_replaceFile fails, or stops dead, at every step of
// ReplaceFile; after recovery fixed.eml is complete (old or new version),
// item.json lists exactly what is on disk, and verify is clean.
func TestFaultInjection_replaceFile(t *testing.T) {
	steps := []string{"write-create", "write-data", "write-sync", "journal-write", "journal-sync", "replace-rename", "record-write", "record-rename"}
	for _, mode := range faultModes[:2] {
		for _, step := range steps {
			t.Run(mode.name+"-"+step, func(t *testing.T) {
				root := t.TempDir()
				items := buildTree(t, root, 1)
				dir := filepath.Join(root, "Q")
				s := openStore(t, dir)
				rec, err := s.Add(ctx(), AddRequest{Item: items[0]})
				tcheck(t, err, "add")
				_, err = s.WriteFile(rec.ID, "fixed.eml", "fixed", strings.NewReader("old version"))
				tcheck(t, err, "write")
				armed := true
				faultHook = func(st string) error {
					if armed && st == step {
						armed = false
						return mode.err
					}
					return nil
				}
				_, err = s.ReplaceFile(rec.ID, "fixed.eml", "fixed", strings.NewReader("new version"))
				faultHook = nil
				if armed {
					t.Fatalf("step %s never reached", step)
				}
				s.Close()
				s = openStore(t, dir)
				defer s.Close()
				got, gerr := s.Get(rec.ID)
				tcheck(t, gerr, "get")
				b, rerr := os.ReadFile(filepath.Join(s.ItemDir(rec.ID), "fixed.eml"))
				tcheck(t, rerr, "read fixed.eml")
				if string(b) != "old version" && string(b) != "new version" {
					t.Errorf("fixed.eml holds %q", b)
				}
				if f := got.file("fixed.eml"); f == nil || f.SHA256 != sha(b) {
					t.Errorf("item.json lists %+v for fixed.eml holding %q", f, b)
				}
				if err == nil && string(b) != "new version" {
					t.Error("ReplaceFile succeeded but the old version is in place")
				}
				_, rerr = s.Recover(ctx())
				tcheck(t, rerr, "recover")
				checkStoreConsistent(t, s)
			})
		}
	}
}
