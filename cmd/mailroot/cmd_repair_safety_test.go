package main

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
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

// TestRepairCLI_duplicateIDs: an item named twice (the same ID, two
// prefixes of it, on the command line or on stdin) is repaired once: one
// output line, one "repaired" event, first-seen order kept. An unknown ID
// is still reported (status 3).
func TestRepairCLI_duplicateIDs(t *testing.T) {
	cases := []struct {
		name  string
		args  func(a, b string) []string
		stdin func(a, b string) string
		want  func(a, b string) []string // the IDs repaired, in order
		code  int
	}{
		{"same ID twice", func(a, b string) []string { return []string{a, a} }, nil,
			func(a, b string) []string { return []string{a} }, 0},
		{"ID and a prefix of it", func(a, b string) []string { return []string{a[:8], a} }, nil,
			func(a, b string) []string { return []string{a} }, 0},
		{"two prefixes, upper case", func(a, b string) []string { return []string{strings.ToUpper(a[:9]), a[:10]} }, nil,
			func(a, b string) []string { return []string{a} }, 0},
		{"order kept", func(a, b string) []string { return []string{b, a, b, a} }, nil,
			func(a, b string) []string { return []string{b, a} }, 0},
		{"stdin lines", func(a, b string) []string { return []string{"-"} },
			func(a, b string) string { return a + "\n" + b + "\n" + a + "\n" },
			func(a, b string) []string { return []string{a, b} }, 0},
		{"stdin and arguments", func(a, b string) []string { return []string{a, "-"} },
			func(a, b string) string { return a[:9] + "\n" },
			func(a, b string) []string { return []string{a} }, 0},
		// IDs are resolved first: a typo is a usage error and nothing
		// is repaired, not even the IDs before it.
		{"unknown ID: nothing repaired", func(a, b string) []string { return []string{a, "zzzzzz", a, "zzzzzz"} }, nil,
			func(a, b string) []string { return nil }, exitUsage},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			store, a, vsi := addMessageForRepair(t, "NTFS_0001.EML", repairCrashMsg)
			p := filepath.Join(vsi, "Queue", "NTFS_0002.EML")
			if err := os.WriteFile(p, []byte(repairCrashMsg), 0o644); err != nil {
				t.Fatal(err)
			}
			code, out, errs := runCLI(t, "quarantine", "add", p, "--quarantine", store, "--json")
			if code != 0 {
				t.Fatalf("add: %d\n%s%s", code, out, errs)
			}
			b, _ := jsonLinesOf(t, out)[0]["id"].(string)
			if len(b) != quarantine.IDLen || a[:8] == b[:8] {
				t.Fatalf("second ID %q (first %q)", b, a)
			}
			stdin := ""
			if c.stdin != nil {
				stdin = c.stdin(a, b)
			}
			args := append([]string{"repair"}, c.args(a, b)...)
			code, out, errs = runReplayCLI(t, stdin, append(args, "--quarantine", store, "--json")...)
			if code != c.code {
				t.Errorf("status %d, want %d\nstdout %s\nstderr %s", code, c.code, out, errs)
			}
			var got []string
			for _, l := range jsonLinesOf(t, out) {
				if l["kind"] == "error" {
					continue
				}
				got = append(got, l["id"].(string))
				if l["error"] == nil && l["written"] != true {
					t.Errorf("%s was not written by the one repair: %v", l["id"], l)
				}
			}
			if want := c.want(a, b); !reflect.DeepEqual(got, want) {
				t.Errorf("repaired %q, want %q\nstdout %s", got, want, out)
			}
			for _, id := range []string{a, b} {
				n := 0
				for _, ev := range readRecordJSON(t, store, id).History {
					if ev.Action == "repaired" {
						n++
					}
				}
				if n > 1 || n > 0 && c.code == exitUsage {
					t.Errorf("%s: %d repaired events, want at most 1 (none after a usage error)", id, n)
				}
			}
			if c.code == 0 && errs != "" {
				t.Errorf("stderr: %s", errs)
			}
		})
	}
}

// TestReadIDs: IDs on stdin are separated by any white space, "#" starts a
// comment, "quarantine list" rows give their ID only (its title and count
// lines none), and --json lines their "id" member.
func TestReadIDs(t *testing.T) {
	const a, b, c = "6ahpfmtvks4f", "6ahpfmvgeehj", "6ahpfmv4mdd3"
	cases := []struct {
		name  string
		args  []string
		stdin string
		want  []string
	}{
		{"two on one line", []string{"-"}, a + " " + b + "\n", []string{a, b}},
		{"tabs, blank lines, no final new line", []string{"-"}, "\t" + a + "\t" + b + "\n\n  \n" + c, []string{a, b, c}},
		{"CRLF lines", []string{"-"}, a + "\r\n" + b + " " + c + "\r\n", []string{a, b, c}},
		{"prefixes", []string{"-"}, "6ahpfm 6AHPFMVG\n", []string{"6ahpfm", "6AHPFMVG"}},
		{"comments", []string{"-"}, "# IDs to repair\n" + a + " # the first\n  # indented\n" + b + "#no space\n", []string{a, b}},
		{"arguments around -", []string{c, "-", a}, b + " " + b + "\n", []string{c, b, b, a}},
		{"quarantine list rows", []string{"-"},
			"ID            AGE            SIZE  STATE        FOLDER     RULES                 ORIGINAL FOLDER\n" +
				a + "  3 hours ago   227 B  quarantined  queue      STR-002,CT-001  /srv/vsi 1/Queue\n" +
				b + "  now           1.2 KiB  repaired   pickup     -               D:\\Mailroot\\vsi 1\\PickUp\n" +
				"2 item(s)\n",
			[]string{a, b}},
		{"quarantine list --json", []string{"-"},
			`{"kind":"item","id":"` + a + `","state":"replayed","subject":"# not a comment"}` + "\n" + `{"kind":"item","id":"` + b + `"}` + "\n",
			[]string{a, b}},
		{"only comments", []string{"-"}, "# nothing\n\n", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := readIDs(&env{stdin: strings.NewReader(tc.stdin)}, tc.args)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("readIDs = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestReadIDs_commands: every command that reads IDs from "-" (repair,
// replay) takes two IDs given on one line, and "quarantine list" output
// piped in still works.
func TestReadIDs_commands(t *testing.T) {
	store, a, vsi := addMessageForRepair(t, "NTFS_0001.EML", repairCrashMsg)
	p := filepath.Join(vsi, "Queue", "NTFS_0002.EML")
	if err := os.WriteFile(p, []byte(repairCrashMsg), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, errs := runCLI(t, "quarantine", "add", p, "--quarantine", store); code != 0 {
		t.Fatalf("add: %d\n%s%s", code, out, errs)
	}
	_, list, _ := runCLI(t, "quarantine", "list", "--quarantine", store)
	var b string
	for _, l := range strings.Split(list, "\n") {
		if f := strings.Fields(l); len(f) > 0 && len(f[0]) == quarantine.IDLen && f[0] != a {
			b = f[0]
		}
	}
	if b == "" {
		t.Fatalf("no second ID in\n%s", list)
	}
	idsOf := func(out string) []string {
		var ids []string
		for _, l := range jsonLinesOf(t, out) {
			ids = append(ids, l["id"].(string))
		}
		return ids
	}
	for _, stdin := range []string{a + " " + b + "\n", a + "\t" + b, list} {
		code, out, errs := runReplayCLI(t, stdin, "repair", "-", "--dry-run", "--quarantine", store, "--json")
		if got := idsOf(out); code != 0 || !reflect.DeepEqual(got, []string{a, b}) {
			t.Errorf("repair - <<%q: status %d, items %q\n%s%s", stdin, code, got, out, errs)
		}
	}
	if code, out, errs := runReplayCLI(t, "", "repair", a, b, "--quarantine", store); code != 0 {
		t.Fatalf("repair: %d\n%s%s", code, out, errs)
	}
	for _, stdin := range []string{a + " " + b + "\n", list} {
		code, out, errs := runReplayCLI(t, stdin, "replay", "-", "--dry-run", "--quarantine", store, "--json",
			"--sender", "alice@example.com", "--rcpt", "bob@example.net")
		if got := idsOf(out); code != 0 || !reflect.DeepEqual(got, []string{a, b}) {
			t.Errorf("replay - <<%q: status %d, items %q\n%s%s", stdin, code, got, out, errs)
		}
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
