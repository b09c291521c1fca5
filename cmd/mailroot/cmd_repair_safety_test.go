package main

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/mailroot/mailroot/quarantine"
	"github.com/mailroot/mailroot/quarantine/replay"
)

// fileState is what a file holds on disk, or that it is absent.
type fileState struct {
	exists bool
	data   []byte
}

func readFileState(t *testing.T, p string) fileState {
	t.Helper()
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return fileState{}
	}
	if err != nil {
		t.Fatal(err)
	}
	return fileState{exists: true, data: b}
}

// assertUnchanged fails when a file's bytes (or its absence) differ from
// before.
func assertUnchanged(t *testing.T, what, p string, before fileState) {
	t.Helper()
	after := readFileState(t, p)
	switch {
	case before.exists != after.exists:
		t.Errorf("%s: existed %v before the refused repair, %v after", what, before.exists, after.exists)
	case !bytes.Equal(before.data, after.data):
		t.Errorf("%s changed by a refused repair:\nbefore %q\nafter  %q", what, before.data, after.data)
	}
}

// TestRepairCLI_refusesChangedOriginal: repair, in every mode that reads
// the original, checks it against the size and SHA-256 in item.json. A
// changed original (bytes appended, a byte changed in place, truncated) is
// refused with status 3 and an error naming the file and saying it changed
// since it was quarantined; fixed.eml and item.json are left byte for byte
// as they were (no fixed.eml is made from the changed bytes). An unchanged
// original is repaired in every mode.
func TestRepairCLI_refusesChangedOriginal(t *testing.T) {
	const name = "NTFS_0001.EML"
	tampers := []struct {
		name   string
		change func([]byte) []byte
		detail string // in the error
	}{
		{"bytes appended", func(b []byte) []byte { return append(b, "X-Injected: yes\n"...) }, "size mismatch"},
		{"a byte changed in place", func(b []byte) []byte { return bytes.Replace(b, []byte("noon"), []byte("nOon"), 1) }, "hash mismatch"},
		{"truncated", func(b []byte) []byte { return b[:len(b)-5] }, "size mismatch"},
		// The control: an original that matches item.json is repaired.
		{"unchanged", nil, ""},
	}
	modes := []struct {
		name       string
		args       []string
		firstFixed bool // run a repair before the original is changed
	}{
		{"repair", nil, false},
		{"repair --json", []string{"--json"}, false},
		{"repair --dry-run", []string{"--dry-run"}, false},
		{"repair --edit", []string{"--edit"}, false},
		{"repair --redo", []string{"--redo"}, true},
		{"repair --edit, fixed.eml exists", []string{"--edit"}, true},
	}
	t.Setenv("EDITOR", "")
	for _, tm := range tampers {
		for _, m := range modes {
			t.Run(tm.name+"/"+m.name, func(t *testing.T) {
				store, id := addForRepair(t, name)
				if m.firstFixed {
					if code, out, errs := runCLI(t, "repair", id, "--quarantine", store); code != 0 {
						t.Fatalf("first repair: %d\n%s%s", code, out, errs)
					}
				}
				origPath := filepath.Join(store, id, name)
				fixedPath := filepath.Join(store, id, replay.FixedName)
				recPath := filepath.Join(store, id, quarantine.RecordFile)
				args := append([]string{"repair", id, "--quarantine", store}, m.args...)
				if tm.change == nil {
					code, out, errs := runCLI(t, args...)
					if code == exitPartial || errs != "" {
						t.Errorf("status %d\nstdout %s\nstderr %s", code, out, errs)
					}
					return
				}
				b, err := os.ReadFile(origPath)
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(origPath, tm.change(b), 0o600); err != nil {
					t.Fatal(err)
				}
				fixedBefore, recBefore := readFileState(t, fixedPath), readFileState(t, recPath)

				code, out, errs := runCLI(t, args...)
				if code != exitPartial {
					t.Errorf("status %d, want %d\nstdout %s\nstderr %s", code, exitPartial, out, errs)
				}
				for _, want := range []string{
					"repair " + id + ": the original " + name + " changed since it was quarantined",
					origPath, tm.detail, "refusing to repair from it", "mailroot quarantine verify",
				} {
					if !strings.Contains(errs, want) {
						t.Errorf("stderr lacks %q:\n%s", want, errs)
					}
				}
				if strings.Contains(out, "fixed.eml written") || strings.Contains(out, "fixed.eml created") || strings.Contains(out, "would make") {
					t.Errorf("stdout reports a repair:\n%s", out)
				}
				if m.name == "repair --json" {
					lines := jsonLinesOf(t, out)
					if len(lines) != 1 || lines[0]["written"] != false || !strings.Contains(lines[0]["error"].(string), "changed since it was quarantined") {
						t.Errorf("JSON: %s", out)
					}
				}
				assertUnchanged(t, replay.FixedName, fixedPath, fixedBefore)
				assertUnchanged(t, quarantine.RecordFile, recPath, recBefore)
			})
		}
	}
}

// TestRepairCLI_replayedAndRestored: what repair does to an item that was
// replayed (fixed.eml, or the original, was sent) or restored (its
// originals are back in the mail folder). --edit, --rehash and --redo all
// refuse a replayed item, as does a repair that would write a fixed.eml
// for an item replayed from its original; each refusal is status 3 with
// the reason, and fixed.eml and item.json are byte for byte as before.
// Rescanning a replayed item's fixed.eml and a --dry-run write nothing and
// are allowed. Every mode refuses a restored item, saying where its
// originals went.
func TestRepairCLI_replayedAndRestored(t *testing.T) {
	const name = "NTFS_0001.EML"
	t.Setenv("EDITOR", "")
	envelope := []string{"--sender", "alice@example.com", "--rcpt", "bob@example.net"}
	// Each setup returns the store and the ID of an item in the state
	// under test.
	replayedFixed := func(t *testing.T) (string, string) {
		store, id := addForRepair(t, name)
		if code, out, errs := runCLI(t, "repair", id, "--quarantine", store); code != 0 {
			t.Fatalf("repair: %d\n%s%s", code, out, errs)
		}
		if code, out, errs := runCLI(t, append([]string{"replay", id, "--quarantine", store}, envelope...)...); code != 0 {
			t.Fatalf("replay: %d\n%s%s", code, out, errs)
		}
		return store, id
	}
	// replayedFixedEdited: a hand edit of the sent fixed.eml that --rehash
	// must not record.
	replayedFixedEdited := func(t *testing.T) (string, string) {
		store, id := replayedFixed(t)
		p := filepath.Join(store, id, replay.FixedName)
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, append([]byte("X-Edited: after the replay\r\n"), b...), 0o600); err != nil {
			t.Fatal(err)
		}
		return store, id
	}
	replayedOriginal := func(t *testing.T) (string, string) {
		store, id := addForRepair(t, name)
		if code, out, errs := runCLI(t, append([]string{"replay", id, "--original", "--force", "--quarantine", store}, envelope...)...); code != 0 {
			t.Fatalf("replay --original: %d\n%s%s", code, out, errs)
		}
		return store, id
	}
	restored := func(t *testing.T) (string, string) {
		store, id := addForRepair(t, name)
		if code, out, errs := runCLI(t, "quarantine", "restore", id, "--force", "--quarantine", store); code != 0 {
			t.Fatalf("restore: %d\n%s%s", code, out, errs)
		}
		return store, id
	}
	restoredFixed := func(t *testing.T) (string, string) {
		store, id := addForRepair(t, name)
		if code, out, errs := runCLI(t, "repair", id, "--quarantine", store); code != 0 {
			t.Fatalf("repair: %d\n%s%s", code, out, errs)
		}
		if code, out, errs := runCLI(t, "quarantine", "restore", id, "--force", "--quarantine", store); code != 0 {
			t.Fatalf("restore: %d\n%s%s", code, out, errs)
		}
		return store, id
	}
	const (
		sentFixed    = "invalid item state: already replayed; its fixed.eml is what was sent and is kept"
		sentOriginal = "invalid item state: already replayed (its original " + name + " was sent); a replayed item is kept as it was sent"
		wasRestored  = "invalid item state: it was restored: its original files were moved back to "
	)
	cases := []struct {
		name  string
		setup func(*testing.T) (string, string)
		args  []string
		code  int
		err   string // in stderr; "" for no error
	}{
		{"replayed fixed.eml, --rehash of a hand edit", replayedFixedEdited, []string{"--rehash"}, exitPartial, sentFixed},
		{"replayed fixed.eml, --rehash", replayedFixed, []string{"--rehash"}, exitPartial, sentFixed},
		{"replayed fixed.eml, --edit", replayedFixed, []string{"--edit"}, exitPartial, sentFixed},
		{"replayed fixed.eml, --redo", replayedFixed, []string{"--redo"}, exitPartial, sentFixed},
		{"replayed fixed.eml, --redo --dry-run", replayedFixed, []string{"--redo", "--dry-run"}, exitPartial, sentFixed},
		{"replayed fixed.eml, rescan", replayedFixed, nil, 0, ""},
		{"replayed original, repair", replayedOriginal, nil, exitPartial, sentOriginal},
		{"replayed original, --edit", replayedOriginal, []string{"--edit"}, exitPartial, sentOriginal},
		{"replayed original, --redo", replayedOriginal, []string{"--redo"}, exitPartial, sentOriginal},
		{"replayed original, --rehash", replayedOriginal, []string{"--rehash"}, exitPartial, sentOriginal},
		{"replayed original, --dry-run", replayedOriginal, []string{"--dry-run"}, 0, ""},
		{"restored, repair", restored, nil, exitPartial, wasRestored},
		{"restored, --edit", restored, []string{"--edit"}, exitPartial, wasRestored},
		{"restored, --redo", restored, []string{"--redo"}, exitPartial, wasRestored},
		{"restored, --dry-run", restored, []string{"--dry-run"}, exitPartial, wasRestored},
		{"restored with fixed.eml, --rehash", restoredFixed, []string{"--rehash"}, exitPartial, wasRestored},
		{"restored with fixed.eml, --redo", restoredFixed, []string{"--redo"}, exitPartial, wasRestored},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			store, id := c.setup(t)
			fixedPath := filepath.Join(store, id, replay.FixedName)
			recPath := filepath.Join(store, id, quarantine.RecordFile)
			fixedBefore, recBefore := readFileState(t, fixedPath), readFileState(t, recPath)
			code, out, errs := runCLI(t, append([]string{"repair", id, "--quarantine", store}, c.args...)...)
			if code != c.code {
				t.Errorf("status %d, want %d\nstdout %s\nstderr %s", code, c.code, out, errs)
			}
			if c.err == "" {
				if errs != "" {
					t.Errorf("stderr: %s", errs)
				}
			} else if want := "mailroot: repair " + id + ": " + c.err; !strings.Contains(errs, want) {
				t.Errorf("stderr lacks %q:\n%s", want, errs)
			}
			if c.err != "" && strings.Contains(out, fixedPath) {
				t.Errorf("a refused repair printed the fixed.eml path:\n%s", out)
			}
			assertUnchanged(t, replay.FixedName, fixedPath, fixedBefore)
			assertUnchanged(t, quarantine.RecordFile, recPath, recBefore)
			if c.err == wasRestored {
				if rec := readRecordJSON(t, store, id); !strings.Contains(errs, rec.OriginalDir) {
					t.Errorf("stderr does not name the original folder %s:\n%s", rec.OriginalDir, errs)
				}
			}
		})
	}
}

// TestReadOriginal_notRegular: an original replaced by a link in the store
// is refused before it is read (as restore refuses it).
func TestReadOriginal_notRegular(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("symbolic links need a privilege on Windows")
	}
	store, id := addForRepair(t, "NTFS_0001.EML")
	p := filepath.Join(store, id, "NTFS_0001.EML")
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	elsewhere := filepath.Join(t.TempDir(), "same.eml")
	if err := os.WriteFile(elsewhere, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(p); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(elsewhere, p); err != nil {
		t.Fatal(err)
	}
	recPath := filepath.Join(store, id, quarantine.RecordFile)
	recBefore := readFileState(t, recPath)
	code, out, errs := runCLI(t, "repair", id, "--quarantine", store)
	if code != exitPartial || !strings.Contains(errs, "the original NTFS_0001.EML in the store is not a regular file") {
		t.Errorf("status %d\n%s%s", code, out, errs)
	}
	if _, err := os.Lstat(filepath.Join(store, id, replay.FixedName)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("fixed.eml: %v", err)
	}
	assertUnchanged(t, quarantine.RecordFile, recPath, recBefore)
}
