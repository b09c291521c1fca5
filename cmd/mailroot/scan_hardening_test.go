package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/mailroot/mailroot/quarantine"
)

// fullWriter accepts n bytes, then fails every write with ENOSPC: stdout
// redirected to a file on a full disk (issue 7 faults).
type fullWriter struct{ n int }

func (w *fullWriter) Write(p []byte) (int, error) {
	if len(p) <= w.n {
		w.n -= len(p)
		return len(p), nil
	}
	k := w.n
	w.n = 0
	return k, syscall.ENOSPC
}

// TestHardening_outputDiskFull: when stdout cannot be written (disk full
// at once, or part-way through the report) scan, audit and show stop with
// status 2 and say on stderr that the output could not be written, never
// exit 0 or 1 as if the report had been delivered. The same holds for
// every verb that prints data: rules, version, help.
func TestHardening_outputDiskFull(t *testing.T) {
	msg := filepath.Join("testdata", "mailroot", "vsi 1", "Queue", "NTFS_00000002.EML")
	tree := filepath.Join("testdata", "mailroot", "vsi 1")
	for _, args := range [][]string{
		{"audit", tree},
		{"audit", "--json", tree},
		{"audit", "--all", "--json", tree},
		{"scan", "--dry-run", tree},
		{"show", msg},
		{"show", "--json", msg},
		{"rules"},
		{"rules", "--json"},
		{"rules", "CT-001"},
		{"version"},
		{"--version"},
		{"help"},
		{"help", "scan"},
		{"--help"},
		{"scan", "-h"},
	} {
		var whole bytes.Buffer
		run(context.Background(), &env{stdin: strings.NewReader(""), stdout: &whole, stderr: &bytes.Buffer{}}, args)
		for _, n := range []int{0, 100} {
			if n >= whole.Len() {
				continue // the whole output fits: nothing fails
			}
			var errb bytes.Buffer
			code := run(context.Background(), &env{stdin: strings.NewReader(""), stdout: &fullWriter{n: n}, stderr: &errb}, args)
			if code != exitFatal {
				t.Errorf("%q with stdout full after %d bytes: status %d, want %d", args, n, code, exitFatal)
			}
			if want := "mailroot: write output: no space left on device"; !strings.Contains(errb.String(), want) {
				t.Errorf("%q with stdout full after %d bytes: stderr %q, want %q", args, n, errb.String(), want)
			}
		}
	}
}

// TestHardening_changedWhileRead: a queue file that the service appends to
// or truncates between the directory listing and the read (issue 7: a file
// that grows while read). The scan finishes with the status of an
// unchanged tree, leaves the file as it is, and the report describes the
// bytes that were actually read: the size and SHA-256 are those of the
// file as it is now, a defect in the appended bytes is found, and the
// record says the file changed while it was read (JSON
// "changed_while_read", a line in the human block).
func TestHardening_changedWhileRead(t *testing.T) {
	const victim = "NTFS_00000001.EML" // a clean queue message in testdata/mailroot
	appended := "\r\n\x00\x00 appended while read\r\n"
	cases := []struct {
		name string
		do   func(p string) error
		rule string // a finding expected in the changed bytes, "" for none
	}{
		{"grows", func(p string) error {
			f, err := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				return err
			}
			if _, err := f.WriteString(appended); err != nil {
				f.Close()
				return err
			}
			return f.Close()
		}, "STR-006"},
		{"shrinks", func(p string) error { return os.Truncate(p, 40) }, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			root := filepath.Join(t.TempDir(), "copy")
			if err := copyTree("testdata/mailroot", root); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(root, "vsi 1", "Queue", victim)
			before, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			_, _, wantCode := runTool(t, "audit", "--json", filepath.Join(root, "vsi 1"))

			var once sync.Once
			testHookBeforeOpen = func(p string) {
				if filepath.Base(p) == victim {
					once.Do(func() {
						if err := c.do(p); err != nil {
							t.Error(err)
						}
					})
				}
			}
			defer func() { testHookBeforeOpen = nil }()
			out, errOut, code := runTool(t, "audit", "--json", "--all", filepath.Join(root, "vsi 1"))
			if code != wantCode {
				t.Errorf("status %d, want %d as for the unchanged tree; stderr:\n%s", code, wantCode, errOut)
			}
			now, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if c.name == "grows" && string(now) != string(before)+appended || c.name == "shrinks" && string(now) != string(before[:40]) {
				t.Fatalf("the audit changed %s", path)
			}
			sum := sha256.Sum256(now)
			var msg struct {
				Path             string
				Size             int64
				SHA256           string
				ChangedWhileRead bool `json:"changed_while_read"`
				Findings         []struct {
					Rule   string
					Offset int64
				}
			}
			for _, l := range strings.Split(out, "\n") {
				if strings.Contains(l, `"kind":"message"`) && strings.Contains(l, victim) {
					if err := json.Unmarshal([]byte(l), &msg); err != nil {
						t.Fatal(err)
					}
				}
			}
			if msg.Path != path {
				t.Fatalf("no message object for %s in:\n%s", path, out)
			}
			if msg.SHA256 != hex.EncodeToString(sum[:]) {
				t.Errorf("sha256 %s is not that of the bytes read (%x)", msg.SHA256, sum)
			}
			// The size is that of the bytes hashed and scanned, not the
			// listing's, and the record says the file changed.
			if msg.Size != int64(len(now)) {
				t.Errorf("size %d, want %d (the bytes read; listed %d)", msg.Size, len(now), len(before))
			}
			if !msg.ChangedWhileRead {
				t.Errorf("changed_while_read not set for %s", victim)
			}
			if n := strings.Count(out, `"changed_while_read"`); n != 1 {
				t.Errorf("changed_while_read on %d records, want only %s's:\n%s", n, victim, out)
			}
			// The human report says so too.
			once = sync.Once{}
			if err := os.WriteFile(path, before, 0o644); err != nil {
				t.Fatal(err)
			}
			text, _, _ := runTool(t, "audit", "--all", filepath.Join(root, "vsi 1"))
			if want := fmt.Sprintf("file changed while it was read (listed %d bytes, read %d)", len(before), len(now)); !strings.Contains(text, want) {
				t.Errorf("human report lacks %q:\n%s", want, text)
			}
			if c.rule != "" {
				found := false
				for _, f := range msg.Findings {
					found = found || f.Rule == c.rule && f.Offset >= int64(len(before))
				}
				if !found {
					t.Errorf("no %s finding in the appended bytes (offset >= %d): %+v", c.rule, len(before), msg.Findings)
				}
			}
		})
	}
}

// TestHardening_changedWhileReadQuarantine: in a real run, a suspect that
// grew between the listing and the read is moved with the bytes that were
// scanned and hashed: the store's copy is the whole grown file, the record
// says changed_while_read, and its size and sha256 are those of the copy.
func TestHardening_changedWhileReadQuarantine(t *testing.T) {
	defer quarantine.SetServiceCheck(func(string) (bool, error) { return false, nil })()
	const victim = "NTFS_00000001.EML"
	root := filepath.Join(t.TempDir(), "copy")
	if err := copyTree("testdata/mailroot", root); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(root, "vsi 1", "Queue", victim)
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	grown := string(before) + "\r\n\x00\x00 appended while read\r\n"
	var once sync.Once
	testHookBeforeOpen = func(p string) {
		if filepath.Base(p) == victim {
			once.Do(func() {
				if err := os.WriteFile(p, []byte(grown), 0o644); err != nil {
					t.Error(err)
				}
			})
		}
	}
	defer func() { testHookBeforeOpen = nil }()
	out, errOut, code := runTool(t, "scan", "--json", "--quarantine-at", "low", filepath.Join(root, "vsi 1"))
	if code != exitSuspects {
		t.Fatalf("status %d, want %d; stderr:\n%s", code, exitSuspects, errOut)
	}
	var msg struct {
		Path             string
		Size             int64
		SHA256           string
		Action           string
		Destination      []string
		ChangedWhileRead bool `json:"changed_while_read"`
	}
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, `"kind":"message"`) && strings.Contains(l, victim) {
			if err := json.Unmarshal([]byte(l), &msg); err != nil {
				t.Fatal(err)
			}
		}
	}
	if msg.Action != "quarantined" || len(msg.Destination) != 1 {
		t.Fatalf("%s: action %q destination %q, want quarantined:\n%s", victim, msg.Action, msg.Destination, out)
	}
	moved, err := os.ReadFile(msg.Destination[0])
	if err != nil {
		t.Fatal(err)
	}
	if string(moved) != grown {
		t.Errorf("the store holds %d bytes, want the %d bytes of the grown file", len(moved), len(grown))
	}
	sum := sha256.Sum256(moved)
	if !msg.ChangedWhileRead || msg.Size != int64(len(grown)) || msg.SHA256 != hex.EncodeToString(sum[:]) {
		t.Errorf("record: changed_while_read %v size %d sha256 %s; want true, %d, %x", msg.ChangedWhileRead, msg.Size, msg.SHA256, len(grown), sum)
	}
	if _, err := os.Lstat(path); err == nil {
		t.Errorf("%s is still in the Queue after it was quarantined", path)
	}
}

// TestHardening_linkSwappedBeforeOpen: a queue file replaced by a symbolic
// link (to a file outside the mailroot) after the listing and before the
// read, or by another file between the tool's check and its open, is not
// followed: the outside content is not reported, and the path is listed
// as skipped ("link" or "replaced"), which is not a read failure, so the
// status is that of the untouched tree.
func TestHardening_linkSwappedBeforeOpen(t *testing.T) {
	const victim = "NTFS_00000001.EML" // a clean queue message in testdata/mailroot
	const secret = "OUTSIDE-SECRET-7f3a"
	cases := []struct {
		name   string
		hook   *func(string)
		link   bool // the swap puts a link in place, else a renamed regular file
		reason string
	}{
		{"link before check", &testHookBeforeOpen, true, "link"},
		{"link after check", &testHookBeforeOpenFile, true, "link"},
		{"file after check", &testHookBeforeOpenFile, false, "replaced"},
	}
	if err := os.Symlink("x", filepath.Join(t.TempDir(), "probe")); err != nil {
		t.Skipf("cannot make symbolic links here: %v", err)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			root := filepath.Join(dir, "copy")
			if err := copyTree("testdata/mailroot", root); err != nil {
				t.Fatal(err)
			}
			outside := filepath.Join(dir, "outside.eml")
			if err := os.WriteFile(outside, []byte("From: a@example.org\r\nSubject: "+secret+"\r\n\r\n"+secret+"\r\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			vsi := filepath.Join(root, "vsi 1")
			_, _, wantCode := runTool(t, "audit", "--json", vsi)
			var once sync.Once
			*c.hook = func(p string) {
				if filepath.Base(p) != victim {
					return
				}
				once.Do(func() {
					if err := os.Remove(p); err != nil {
						t.Error(err)
						return
					}
					var err error
					if c.link {
						err = os.Symlink(outside, p)
					} else {
						err = os.Rename(outside, p)
					}
					if err != nil {
						t.Error(err)
					}
				})
			}
			defer func() { *c.hook = nil }()
			out, errOut, code := runTool(t, "audit", "--json", "--all", vsi)
			if strings.Contains(out, secret) || strings.Contains(errOut, secret) {
				t.Errorf("the swapped-in content was read and reported:\n%s", out)
			}
			if code != wantCode {
				t.Errorf("status %d, want %d as for the untouched tree; stderr:\n%s", code, wantCode, errOut)
			}
			found := false
			for _, l := range strings.Split(out, "\n") {
				if strings.Contains(l, victim) {
					if strings.Contains(l, `"kind":"message"`) {
						t.Errorf("%s reported as a message: %s", victim, l)
					}
					found = found || strings.Contains(l, `"kind":"skipped"`) && strings.Contains(l, `"reason":"`+c.reason+`"`)
				}
			}
			if !found {
				t.Errorf("%s not listed as skipped %q:\n%s", victim, c.reason, out)
			}
		})
	}
}
