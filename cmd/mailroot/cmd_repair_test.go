package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mailroot/mailroot/quarantine"
	"github.com/mailroot/mailroot/quarantine/replay"
)

const repairCrashMsg = "From: Alice <alice@example.com>\nTo: bob@example.net\nSubject: lunch\n" +
	"Date: Mon, 2 Mar 2026 10:00:00 +0000\nMessage-ID: <lunch@example.com>\nMIME-Version: 1.0\n" +
	"Content-Type: text/plain; charset=\"\"; charset=\"us-ascii\"\n\nLunch at noon?\n"

// addForRepair quarantines a crash-pattern message and returns the store
// and its full ID.
func addForRepair(t *testing.T, name string) (store, id string) {
	t.Helper()
	store, id, _ = addMessageForRepair(t, name, repairCrashMsg)
	return store, id
}

func fixedRecord(t *testing.T, store, id string) (quarantine.File, []quarantine.Event) {
	t.Helper()
	st, err := quarantine.Open(store, quarantine.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rec, err := st.Get(id)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range rec.Files {
		if f.Name == replay.FixedName {
			return f, rec.History
		}
	}
	t.Fatalf("no %s in item.json", replay.FixedName)
	return quarantine.File{}, nil
}

// TestRepairCLI_redo: a second repair with --redo replaces fixed.eml (here
// after a hand edit that is thrown away), item.json lists the new hash, the
// history keeps the old one, and verify is clean.
func TestRepairCLI_redo(t *testing.T) {
	store, id := addForRepair(t, "NTFS_0001.EML")
	code, out, errs := runCLI(t, "repair", id, "--quarantine", store)
	if code != 0 || !strings.Contains(out, "fixed.eml written") {
		t.Fatalf("repair: %d\n%s%s", code, out, errs)
	}
	first, _ := fixedRecord(t, store, id)
	fixedPath := filepath.Join(store, id, replay.FixedName)
	repaired, _ := os.ReadFile(fixedPath)
	if err := os.WriteFile(fixedPath, []byte(repairCrashMsg), 0o600); err != nil {
		t.Fatal(err)
	}
	// Without --redo the existing fixed.eml is kept.
	code, out, _ = runCLI(t, "repair", id, "--quarantine", store, "--json")
	if code != exitSuspects || !strings.Contains(out, `"existing":true`) {
		t.Fatalf("second repair without --redo: %d\n%s", code, out)
	}
	code, out, errs = runCLI(t, "repair", id, "--quarantine", store, "--redo")
	if code != 0 || !strings.Contains(out, "fixed.eml replaced (2 changes; the old sha256 is kept in the history)") {
		t.Fatalf("repair --redo: %d\n%s%s", code, out, errs)
	}
	if b, _ := os.ReadFile(fixedPath); string(b) != string(repaired) {
		t.Errorf("fixed.eml after --redo:\n%q\nwant\n%q", b, repaired)
	}
	f, hist := fixedRecord(t, store, id)
	if f.SHA256 != first.SHA256 { // same fixers, same bytes
		t.Errorf("item.json lists %s, want %s", f.SHA256, first.SHA256)
	}
	var replaced *quarantine.Event
	for i := range hist {
		if hist[i].Action == "file-replaced" {
			replaced = &hist[i]
		}
	}
	if replaced == nil || !strings.Contains(replaced.Detail, "the old version held unrecorded changes") {
		t.Errorf("no file-replaced event naming the thrown-away edit: %+v", hist)
	}
	if code, out, errs := runCLI(t, "quarantine", "verify", "--quarantine", store); code != 0 {
		t.Errorf("verify after --redo: %d\n%s%s", code, out, errs)
	}
}

// TestRepairCLI_editRehash: the manual-fix flow. After --edit and a hand
// edit, verify reports fixed.eml as altered and replay refuses it; after
// --rehash verify is clean, the history says "edited by hand, sha256 old ->
// new", and replay accepts it. The original cannot be re-recorded.
func TestRepairCLI_editRehash(t *testing.T) {
	store, id := addForRepair(t, "NTFS_0002.EML")
	t.Setenv("EDITOR", "")
	code, out, errs := runCLI(t, "repair", id, "--edit", "--quarantine", store)
	fixedPath := filepath.Join(store, id, replay.FixedName)
	if code != exitSuspects || !strings.Contains(out, fixedPath) {
		t.Fatalf("repair --edit: %d\n%s%s", code, out, errs)
	}
	before, _ := fixedRecord(t, store, id)

	// --rehash with nothing edited records nothing.
	code, out, _ = runCLI(t, "repair", id, "--rehash", "--quarantine", store)
	if !strings.Contains(out, "fixed.eml unchanged since it was recorded") {
		t.Errorf("rehash of an unedited file: %d\n%s", code, out)
	}

	edited := strings.Replace(repairCrashMsg, `charset=""; `, "", 1)
	edited = strings.ReplaceAll(edited, "\n", "\r\n")
	if err := os.WriteFile(fixedPath, []byte(edited), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, _ = runCLI(t, "quarantine", "verify", "--quarantine", store)
	if code != exitSuspects || !strings.Contains(out, "altered") || !strings.Contains(out, replay.FixedName) {
		t.Errorf("verify before --rehash: %d\n%s", code, out)
	}
	code, out, _ = runCLI(t, "replay", id, "--dry-run", "--quarantine", store, "--sender", "a@example.com", "--rcpt", "b@example.net")
	if code != exitSuspects || !strings.Contains(out, "repair "+id+" --rehash") {
		t.Errorf("replay before --rehash: %d\n%s", code, out)
	}

	code, out, errs = runCLI(t, "repair", id, "--rehash", "--quarantine", store)
	if code != 0 || !strings.Contains(out, "fixed.eml re-recorded (edited by hand), sha256 "+before.SHA256+" -> ") ||
		!strings.Contains(out, "no findings remain") {
		t.Fatalf("repair --rehash: %d\n%s%s", code, out, errs)
	}
	after, hist := fixedRecord(t, store, id)
	want := "edited by hand, sha256 " + before.SHA256 + " -> " + after.SHA256
	if last := hist[len(hist)-1]; last.Action != "rehashed" || last.Detail != want {
		t.Errorf("last history event %+v, want rehashed %q", last, want)
	}
	if code, out, errs := runCLI(t, "quarantine", "verify", "--quarantine", store); code != 0 {
		t.Errorf("verify after --rehash: %d\n%s%s", code, out, errs)
	}
	code, out, errs = runCLI(t, "replay", id, "--dry-run", "--quarantine", store, "--sender", "a@example.com", "--rcpt", "b@example.net")
	if code != 0 {
		t.Errorf("replay after --rehash: %d\n%s%s", code, out, errs)
	}

	// Usage: one step at a time.
	if code, _, _ := runCLI(t, "repair", id, "--rehash", "--redo", "--quarantine", store); code != exitUsage {
		t.Errorf("--rehash --redo: status %d, want %d", code, exitUsage)
	}
}
