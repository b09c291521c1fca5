package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mailroot/mailroot/quarantine"
)

// TestRestore_replayedItemRefused: an item that was replayed is not put
// back into the folder the service reads without --force, since the
// message would then be delivered twice; naming it twice restores it once.
func TestRestore_replayedItemRefused(t *testing.T) {
	defer quarantine.SetServiceCheck(func(string) (bool, error) { return false, nil })()
	// Bare LF endings: STR-002, high, no crash-class finding.
	msg := "From: Alice <alice@example.com>\nTo: bob@example.net\nSubject: twice\nMessage-ID: <twice@example.com>\nDate: Mon, 2 Mar 2026 10:00:00 +0000\n\nbody\n"
	store, id, vsi := addMessageForRepair(t, "NTFS_0009.EML", msg)
	orig := filepath.Join(vsi, "Queue", "NTFS_0009.EML")
	for _, args := range [][]string{{"repair", id}, {"replay", id}} {
		if code, out, errs := runCLI(t, append(args, "--quarantine", store)...); code != 0 {
			t.Fatalf("%v: status %d\n%s%s", args, code, out, errs)
		}
	}
	code, out, errs := runCLI(t, "quarantine", "restore", id, "--quarantine", store)
	if code != exitPartial || !strings.Contains(errs, "quarantine "+id+": refusing to restore: it was replayed at ") ||
		!strings.Contains(errs, "would deliver the message twice") {
		t.Fatalf("restore of a replayed item: status %d\n%s%s", code, out, errs)
	}
	if _, err := os.Lstat(orig); err == nil {
		t.Fatalf("%s restored although the item was replayed", orig)
	}
	code, out, errs = runCLI(t, "quarantine", "restore", id, id[:6], "--force", "--quarantine", store)
	if code != 0 || strings.Count(out, "restored "+id) != 1 {
		t.Fatalf("restore --force (ID named twice): status %d\n%s%s", code, out, errs)
	}
	if b, err := os.ReadFile(orig); err != nil || string(b) != msg {
		t.Errorf("original not back byte for byte: %v", err)
	}
}

// TestRestore_clearsReadOnlyInPickup: a pickup file quarantined for being
// read-only (ENV-004) comes back writable, with a note, so the service
// sends it once and removes it (KB 221432); elsewhere the mode is kept.
func TestRestore_clearsReadOnlyInPickup(t *testing.T) {
	root := filepath.Join(t.TempDir(), "mr")
	if err := copyTree("testdata/mailroot", root); err != nil {
		t.Fatal(err)
	}
	vsi := filepath.Join(root, "vsi 1")
	p := filepath.Join(vsi, "PickUp", "readonly.eml")
	body := "x-sender: a@example.com\r\nx-receiver: b@example.net\r\nFrom: a@example.com\r\nTo: b@example.net\r\nSubject: ro\r\n\r\nhello\r\n"
	if err := os.WriteFile(p, []byte(body), 0o444); err != nil {
		t.Fatal(err)
	}
	os.Chmod(p, 0o444)
	code, out, errs := runCLI(t, "scan", vsi, "--json", "--folder", "pickup", "--quarantine-at", "medium")
	if code != exitSuspects {
		t.Fatalf("scan: status %d\n%s%s", code, out, errs)
	}
	id := ""
	for _, m := range jsonLinesOf(t, out) {
		if m["path"] == p {
			id, _ = m["quarantine_id"].(string)
		}
	}
	if id == "" {
		t.Fatalf("%s not quarantined:\n%s", p, out)
	}
	store := filepath.Join(vsi, quarantine.DefaultDirName)
	code, out, errs = runCLI(t, "quarantine", "restore", id, "--quarantine", store)
	if code != 0 || !strings.Contains(errs, p+": read-only attribute cleared") {
		t.Fatalf("restore: status %d\n%s%s", code, out, errs)
	}
	fi, err := os.Stat(p)
	if err != nil || fi.Mode().Perm()&0o200 == 0 {
		t.Errorf("%s restored read-only (%v, %v)", p, fi.Mode(), err)
	}
	if b, _ := os.ReadFile(p); string(b) != body {
		t.Errorf("content changed: %q", b)
	}
}

// TestStore_insideMailFolderRefused: a --quarantine store in a folder the
// mail service reads is refused before anything is scanned or moved (the
// service would take the journal for mail, and the scan would leave that
// folder out as the store), for scan, scan --dry-run and quarantine add;
// a store inside a generic folder of .eml files is fine.
func TestStore_insideMailFolderRefused(t *testing.T) {
	root := filepath.Join(t.TempDir(), "mr")
	if err := copyTree("testdata/mailroot", root); err != nil {
		t.Fatal(err)
	}
	vsi := filepath.Join(root, "vsi 1")
	before, _ := treeState(root)
	for _, args := range [][]string{
		{"scan", vsi, "--quarantine", filepath.Join(vsi, "PickUp")},
		{"scan", vsi, "--dry-run", "--quarantine", filepath.Join(vsi, "Queue", "q")},
		{"scan", filepath.Join(vsi, "BadMail"), "--quarantine", filepath.Join(vsi, "BadMail", "Quarantine")},
		{"quarantine", "add", filepath.Join(vsi, "Queue", "NTFS_00000002.EML"), "--quarantine", filepath.Join(vsi, "Queue", "store")},
	} {
		code, out, errs := runCLI(t, args...)
		if code != exitUsage || !strings.Contains(errs, "which the mail service reads") {
			t.Errorf("%v: status %d, want %d with the explanation\n%s%s", args, code, exitUsage, out, errs)
		}
	}
	if after, _ := treeState(root); after != before {
		t.Errorf("a refused run changed the tree:\n%s", lineDiff(before, after))
	}
	gen := filepath.Join(t.TempDir(), "exported")
	if err := os.MkdirAll(gen, 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(gen, "a.eml"), []byte("From: a@b.example\r\nContent-Type: text/plain; charset=\"\"\r\n\r\nx\r\n"), 0o644)
	if code, out, errs := runCLI(t, "scan", gen, "--quarantine", filepath.Join(gen, "store")); code != exitSuspects {
		t.Errorf("store inside a generic folder: status %d\n%s%s", code, out, errs)
	}
}

// TestQuarantineAdd_sameItemTwice: a file named twice, or a BadMail .BAD
// with its own .BDR, is one item added once (not added, then reported as
// vanished with status 3).
func TestQuarantineAdd_sameItemTwice(t *testing.T) {
	defer quarantine.SetServiceCheck(func(string) (bool, error) { return false, nil })()
	root := filepath.Join(t.TempDir(), "mr")
	if err := copyTree("testdata/mailroot", root); err != nil {
		t.Fatal(err)
	}
	vsi := filepath.Join(root, "vsi 1")
	q := filepath.Join(vsi, "Queue", "NTFS_00000002.EML")
	bad := filepath.Join(vsi, "BadMail", "NTFS_0000AB.BAD")
	bdr := filepath.Join(vsi, "BadMail", "NTFS_0000AB.BDR")
	code, out, errs := runCLI(t, "quarantine", "add", q, q, bad, bdr, "--json")
	if code != 0 {
		t.Fatalf("add: status %d\n%s%s", code, out, errs)
	}
	n := 0
	for _, m := range jsonLinesOf(t, out) {
		if m["kind"] == "quarantined" {
			n++
		}
	}
	if n != 2 {
		t.Errorf("%d items added, want 2:\n%s", n, out)
	}
}

// TestQuarantineList_whileLocked: while another process holds the store
// (a long scan), list and show read it without the lock, with a note;
// commands that write still wait for it (status 11).
func TestQuarantineList_whileLocked(t *testing.T) {
	store, id, _ := addMessageForRepair(t, "NTFS_0011.EML", repairCrashMsg)
	held, err := quarantine.Open(store, quarantine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	// flock is per open file: a second Open in this process sees the
	// lock as another process would.
	defer held.Close()
	for _, args := range [][]string{{"quarantine", "list"}, {"quarantine", "show", id}} {
		code, out, errs := runCLI(t, append(args, "--quarantine", store)...)
		if code != 0 || !strings.Contains(out, id) || !strings.Contains(errs, "mailroot: note: ") || !strings.Contains(errs, "may be mid-change") {
			t.Errorf("%v while locked: status %d\n%s%s", args, code, out, errs)
		}
	}
	if code, out, errs := runCLI(t, "repair", id, "--quarantine", store); code != exitLocked {
		t.Errorf("repair while locked: status %d, want %d\n%s%s", code, exitLocked, out, errs)
	}
}
