package quarantine

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

var errInjected = errors.New("injected fault")

// countSteps runs op with a hook that records every step name.
func countSteps(t *testing.T, op func() error) []string {
	t.Helper()
	var steps []string
	faultHook = func(s string) error { steps = append(steps, s); return nil }
	defer func() { faultHook = nil }()
	tcheck(t, op(), "counting run")
	return steps
}

type faultMode struct {
	name  string
	err   error
	cross bool // force the copy path with EXDEV
}

var faultModes = []faultMode{
	{"fail", errInjected, false},
	{"crash", errSimulatedCrash, false},
	{"fail-cross", errInjected, true},
	{"crash-cross", errSimulatedCrash, true},
}

func forceCrossDevice(on bool) {
	renameHook = nil
	if on {
		renameHook = func(o, n string) error {
			return &os.LinkError{Op: "rename", Old: o, New: n, Err: errCrossDevice}
		}
	}
}

// TestFaultInjection_add fails, or stops dead, at every step of quarantining
// a BadMail unit (three files), on one volume and across volumes; then a
// fresh Open recovers, and every original is present exactly once with no
// partial file, the journal has no open intent, and verify is clean.
func TestFaultInjection_add(t *testing.T) {
	for _, mode := range faultModes {
		t.Run(mode.name, func(t *testing.T) {
			defer forceCrossDevice(false)
			forceCrossDevice(mode.cross)
			// Learn the steps with a clean run.
			root := t.TempDir()
			items := buildTree(t, root, 1)
			s := openStore(t, filepath.Join(root, "Q"))
			steps := countSteps(t, func() error { _, err := s.Add(ctx(), AddRequest{Item: items[2]}); return err })
			s.Close()
			if mode.cross && !contains(steps, "copy-verify") || !mode.cross && contains(steps, "copy-verify") {
				t.Fatalf("copy path taken=%v, want %v: %v", contains(steps, "copy-verify"), mode.cross, steps)
			}
			for n := range steps {
				t.Run(fmt.Sprintf("%02d-%s", n, steps[n]), func(t *testing.T) {
					root := t.TempDir()
					items := buildTree(t, root, 1)
					dir := filepath.Join(root, "Q")
					orig := snapshot(t, root, dir)
					s := openStore(t, dir)
					i := -1
					faultHook = func(string) error {
						i++
						if i == n {
							return mode.err
						}
						return nil
					}
					rec, err := s.Add(ctx(), AddRequest{Item: items[2]})
					faultHook = nil
					if err == nil {
						// A fault after every file arrived is absorbed:
						// the move is complete, and must be whole.
						if rec == nil || rec.State != StateQuarantined {
							t.Fatalf("no error but record %+v", rec)
						}
						for _, m := range items[2].Members {
							if exists(m.Path) {
								t.Fatalf("Add succeeded but %s is still at the source", m.Path)
							}
						}
					}
					if err != nil && mode.err == errInjected {
						if !errors.Is(err, errInjected) {
							t.Fatalf("error does not carry the fault: %v", err)
						}
						// A failed Add cleans up at once.
						checkExactlyOnce(t, orig, root)
					}
					s.Close()
					s = openStore(t, dir)
					defer s.Close()
					if s.Recovery().Unresolved() {
						t.Fatalf("recovery left problems: %+v", s.Recovery())
					}
					checkExactlyOnce(t, orig, root)
					checkStoreConsistent(t, s)
					// The unit is all in the store or all at the source.
					n := 0
					for _, m := range items[2].Members {
						if exists(m.Path) {
							n++
						}
					}
					if n != 0 && n != len(items[2].Members) {
						t.Errorf("BadMail unit split: %d of %d members at the source", n, len(items[2].Members))
					}
				})
			}
		})
	}
}

// TestFaultInjection_restore does the same for restore.
func TestFaultInjection_restore(t *testing.T) {
	for _, mode := range faultModes {
		t.Run(mode.name, func(t *testing.T) {
			defer forceCrossDevice(false)
			setup := func(t *testing.T) (string, string, string, map[string]string) {
				root := t.TempDir()
				items := buildTree(t, root, 1)
				dir := filepath.Join(root, "Q")
				orig := snapshot(t, root, dir)
				s := openStore(t, dir)
				rec, err := s.Add(ctx(), AddRequest{Item: items[2]})
				tcheck(t, err, "add")
				s.Close()
				return root, dir, rec.ID, orig
			}
			root, dir, id, _ := setup(t)
			_ = root
			s := openStore(t, dir)
			forceCrossDevice(mode.cross)
			steps := countSteps(t, func() error { _, err := s.Restore(ctx(), id, false); return err })
			s.Close()
			for n := range steps {
				t.Run(fmt.Sprintf("%02d-%s", n, steps[n]), func(t *testing.T) {
					forceCrossDevice(false)
					root, dir, id, orig := setup(t)
					forceCrossDevice(mode.cross)
					s := openStore(t, dir)
					i := -1
					faultHook = func(string) error {
						i++
						if i == n {
							return mode.err
						}
						return nil
					}
					_, err := s.Restore(ctx(), id, false)
					faultHook = nil
					if err == nil && !exists(filepath.Join(root, "vsi 1", "BadMail", "BAD0000.BDP")) {
						t.Fatalf("Restore succeeded with a fault at step %d but the files are not back", n)
					}
					s.Close()
					s = openStore(t, dir)
					defer s.Close()
					if s.Recovery().Unresolved() {
						t.Fatalf("recovery left problems: %+v", s.Recovery())
					}
					checkExactlyOnce(t, orig, root)
					checkStoreConsistent(t, s)
					rec, err := s.Get(id)
					tcheck(t, err, "get")
					back := exists(filepath.Join(root, "vsi 1", "BadMail", "BAD0000.BAD"))
					if back != (rec.State == StateRestored) {
						t.Errorf("files back=%v but state %s", back, rec.State)
					}
				})
			}
		})
	}
}

// TestFaultInjection_writeFile covers WriteFile, used by repair.
func TestFaultInjection_writeFile(t *testing.T) {
	for _, mode := range faultModes[:2] {
		for _, step := range []string{"write-create", "write-data", "write-sync", "journal-write", "journal-sync", "write-rename", "record-write", "record-rename"} {
			t.Run(mode.name+"-"+step, func(t *testing.T) {
				root := t.TempDir()
				items := buildTree(t, root, 1)
				dir := filepath.Join(root, "Q")
				s := openStore(t, dir)
				rec, err := s.Add(ctx(), AddRequest{Item: items[1]})
				tcheck(t, err, "add")
				armed := true
				faultHook = func(st string) error {
					if armed && st == step {
						armed = false
						return mode.err
					}
					return nil
				}
				_, err = s.WriteFile(rec.ID, "fixed.eml", "repaired", strings.NewReader("fixed"))
				faultHook = nil
				if armed {
					t.Fatalf("step %s never reached", step)
				}
				s.Close()
				s = openStore(t, dir)
				defer s.Close()
				got, gerr := s.Get(rec.ID)
				tcheck(t, gerr, "get")
				listed := got.file("fixed.eml") != nil
				onDisk := exists(filepath.Join(s.ItemDir(rec.ID), "fixed.eml"))
				if listed != onDisk {
					t.Errorf("fixed.eml listed=%v on disk=%v (err %v)", listed, onDisk, err)
				}
				if err == nil && !listed {
					t.Error("WriteFile succeeded but the file is not recorded")
				}
				_, rerr := s.Recover(ctx())
				tcheck(t, rerr, "recover")
				checkStoreConsistent(t, s)
			})
		}
	}
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// TestJournal_partialWrite: an append that fails half-way (disk full) is cut
// off again, so the next entry is whole and readable.
func TestJournal_partialWrite(t *testing.T) {
	root := t.TempDir()
	items := buildTree(t, root, 1)
	dir := filepath.Join(root, "Q")
	s := openStore(t, dir)
	j := s.journal
	j.write = func(b []byte) (int, error) {
		n, _ := j.f.Write(b[:len(b)/2])
		return n, syscall.ENOSPC
	}
	if _, err := s.Add(ctx(), AddRequest{Item: items[1]}); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("got %v", err)
	}
	j.write = j.f.Write
	_, err := s.Add(ctx(), AddRequest{Item: items[1]})
	tcheck(t, err, "add after the disk freed up")
	s.Close()
	f, err := os.Open(filepath.Join(dir, JournalFile))
	tcheck(t, err, "open")
	defer f.Close()
	log, err := ReadJournal(f)
	tcheck(t, err, "read")
	if len(log.Bad) != 0 || log.Truncated {
		t.Errorf("journal damaged by the failed write: %+v", log.Bad)
	}
	s = openStore(t, dir)
	defer s.Close()
	checkStoreConsistent(t, s)
}

// TestJournal_unwrittenOutcomeBlocksLaterIntents: when the completion of a
// move cannot be journaled, no later transaction is journaled before it;
// otherwise a restore followed by a restart would make recovery undo the
// finished move and drop the item's record.
func TestJournal_unwrittenOutcomeBlocksLaterIntents(t *testing.T) {
	root := t.TempDir()
	items := buildTree(t, root, 1)
	dir := filepath.Join(root, "Q")
	s := openStore(t, dir)
	j := s.journal
	defer func() { faultHook = nil }()
	faultHook = func(st string) error {
		if st == "journal-done" {
			j.write = func([]byte) (int, error) { return 0, syscall.EIO }
		}
		return nil
	}
	rec, err := s.Add(ctx(), AddRequest{Item: items[1]})
	tcheck(t, err, "add (its completion is not journaled)")
	faultHook = nil
	if len(j.pending) != 1 {
		t.Fatalf("pending outcomes: %+v", j.pending)
	}
	if _, err := s.Restore(ctx(), rec.ID, false); !errors.Is(err, syscall.EIO) {
		t.Fatalf("restore journaled an intent past an unwritten outcome: %v", err)
	}
	if !exists(filepath.Join(s.ItemDir(rec.ID), filepath.Base(items[1].Path))) {
		t.Fatal("restore moved files without a journaled intent")
	}
	j.write = j.f.Write
	_, err = s.Restore(ctx(), rec.ID, false)
	tcheck(t, err, "restore once the journal works")
	s.Close()
	s = openStore(t, dir)
	defer s.Close()
	if !s.Recovery().Clean() {
		t.Errorf("recovery after reopen: %+v", s.Recovery())
	}
	got, err := s.Get(rec.ID)
	tcheck(t, err, "get")
	if got.State != StateRestored || !exists(items[1].Path) {
		t.Errorf("state %s, restored file present %v", got.State, exists(items[1].Path))
	}
	checkStoreConsistent(t, s)
}

// TestRestore_crossVolumeTempStaysInFolder: a cross-volume restore into a
// Queue folder writes its temp copy inside that folder (restore writes
// nowhere else); into PickUp, beside it (IIS would pick a partial file up).
func TestRestore_crossVolumeTempStaysInFolder(t *testing.T) {
	root := t.TempDir()
	items := buildTree(t, root, 1)
	s := openStore(t, filepath.Join(root, "Q"))
	defer s.Close()
	defer forceCrossDevice(false)
	defer func() { faultHook = nil }()
	for _, it := range items[:2] {
		rec, err := s.Add(ctx(), AddRequest{Item: it})
		tcheck(t, err, "add")
		forceCrossDevice(true)
		var tmpSeen []string
		faultHook = func(st string) error {
			if st == "copy-verify" {
				for _, d := range []string{filepath.Dir(it.Path), filepath.Dir(filepath.Dir(it.Path))} {
					ents, _ := os.ReadDir(d)
					for _, e := range ents {
						if strings.HasPrefix(e.Name(), ".mailroot-tmp-") {
							tmpSeen = append(tmpSeen, filepath.Join(d, e.Name()))
						}
					}
				}
			}
			return nil
		}
		_, err = s.Restore(ctx(), rec.ID, false)
		faultHook = nil
		forceCrossDevice(false)
		tcheck(t, err, "restore")
		if len(tmpSeen) != 1 {
			t.Fatalf("%s: temps seen %v", it.Path, tmpSeen)
		}
		wantDir := filepath.Dir(it.Path)
		if it.Folder == "pickup" {
			wantDir = filepath.Dir(wantDir)
		}
		if filepath.Dir(tmpSeen[0]) != wantDir {
			t.Errorf("%s (%s): temp %s, want it in %s", it.Path, it.Folder, tmpSeen[0], wantDir)
		}
	}
}
