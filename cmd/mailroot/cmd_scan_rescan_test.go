package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mailroot/mailroot/mime"
	"github.com/mailroot/mailroot/quarantine"
)

// rescanCrashMsg is a crash-class message (CT-001 and CT-003: an empty
// charset beside a second one).
const rescanCrashMsg = "From: Alice <alice@example.com>\r\nTo: bob@example.net\r\nSubject: lunch\r\n" +
	"Date: Mon, 2 Mar 2026 10:00:00 +0000\r\nMessage-ID: <lunch@example.com>\r\nMIME-Version: 1.0\r\n" +
	"Content-Type: text/plain; charset=\"\"; charset=\"us-ascii\"\r\n\r\nLunch at noon?\r\n"

// TestScan_rescanAfterChangeBeforeMove drives storeStep.rescanAndAdd: the
// message file changes after the scan read it and before the store moves
// it, so Add refuses with a *ChangedError, and scan rescans the file and
// moves it only if it still reaches --quarantine-at.
//
// The change is made through testHookBeforeOpen, which runs before each
// read of the file: on the first read (the scan) it only moves the file's
// mtime, so the scan reads the original bytes and Add then sees an mtime
// other than the listing's; on the second read (the rescan, after its
// Lstat) it rewrites the content and puts the same mtime back, so the
// second Add sees the size and mtime the rescan recorded.
//
//   - still crash: new bytes of the same length that still hold the crash
//     pattern are quarantined; item.json and the scan output carry the
//     SHA-256 of the NEW bytes (not the one the first scan saw), the store
//     holds the new bytes, the history notes the rescan, status 1.
//   - clean: the new bytes have no finding; the message is left in place
//     (skipped) with a problem that says the file changed and "no longer
//     reaches --quarantine-at", nothing enters the store, status 3.
func TestScan_rescanAfterChangeBeforeMove(t *testing.T) {
	const name = "NTFS_00000001.EML"
	stillCrash := strings.Replace(rescanCrashMsg, "Subject: lunch", "Subject: LUNCH", 1)
	clean := strings.Replace(rescanCrashMsg, `charset=""; `, "", 1)
	if len(stillCrash) != len(rescanCrashMsg) {
		t.Fatal("the still-crash rewrite must keep the length")
	}
	cases := []struct {
		name       string
		rewrite    string
		code       int
		quarantine bool
	}{
		{"still crash", stillCrash, exitSuspects, true},
		{"clean", clean, exitPartial, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			defer quarantine.SetServiceCheck(func(string) (bool, error) { return false, nil })()
			withNow(t, fixedNow)
			vsi := filepath.Join(t.TempDir(), "mr", "vsi 1")
			q := filepath.Join(vsi, "Queue")
			if err := os.MkdirAll(q, 0o755); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(q, name)
			if err := os.WriteFile(path, []byte(rescanCrashMsg), 0o644); err != nil {
				t.Fatal(err)
			}
			listed, moved := fixedNow.Add(-10*time.Minute), fixedNow.Add(-5*time.Minute)
			if err := os.Chtimes(path, listed, listed); err != nil {
				t.Fatal(err)
			}

			reads := 0
			testHookBeforeOpen = func(p string) {
				if filepath.Base(p) != name {
					return
				}
				reads++
				switch reads {
				case 1: // the scan: same bytes, another mtime
				case 2: // the rescan: new bytes
					if err := os.WriteFile(p, []byte(c.rewrite), 0o644); err != nil {
						t.Error(err)
					}
				default:
					return
				}
				if err := os.Chtimes(p, moved, moved); err != nil {
					t.Error(err)
				}
			}
			defer func() { testHookBeforeOpen = nil }()

			code, out, errs := runCLI(t, "scan", vsi, "--json", "--quarantine-at", "crash")
			if code != c.code {
				t.Fatalf("status %d, want %d\n%s%s", code, c.code, out, errs)
			}
			if reads != 2 {
				t.Fatalf("the message was read %d times, want 2 (scan and rescan)", reads)
			}
			var msg map[string]any
			for _, m := range jsonLinesOf(t, out) {
				if m["kind"] == "message" && m["path"] == path {
					msg = m
				}
			}
			if msg == nil {
				t.Fatalf("no message record for %s:\n%s", path, out)
			}
			sum := sha256.Sum256([]byte(c.rewrite))
			newSum := hex.EncodeToString(sum[:])
			store := filepath.Join(vsi, quarantine.DefaultDirName)

			if !c.quarantine {
				prob, _ := msg["problem"].(string)
				want := path + " changed since it was scanned: mtime was " + listed.UTC().Format(time.RFC3339Nano) +
					", now " + moved.UTC().Format(time.RFC3339Nano) + "; rescanned: it no longer reaches --quarantine-at, left in place"
				if msg["action"] != "skipped" || prob != want {
					t.Errorf("action %v, problem %q;\nwant skipped, %q", msg["action"], prob, want)
				}
				if b, err := os.ReadFile(path); err != nil || string(b) != c.rewrite {
					t.Errorf("%s is not left in place with its new content (err %v)", path, err)
				}
				ents, _ := os.ReadDir(store)
				for _, e := range ents {
					if e.IsDir() {
						t.Errorf("the store holds an item %s for a message that was left in place", e.Name())
					}
				}
				return
			}

			id, _ := msg["quarantine_id"].(string)
			if msg["action"] != "quarantined" || id == "" || msg["problem"] != nil {
				t.Fatalf("action %v, id %q, problem %v; want quarantined", msg["action"], id, msg["problem"])
			}
			if msg["sha256"] != newSum {
				t.Errorf("output sha256 %v, want %s (the bytes as they were moved)", msg["sha256"], newSum)
			}
			if _, err := os.Lstat(path); err == nil {
				t.Errorf("%s is still in the Queue", path)
			}
			rec := readRecordJSON(t, store, id)
			orig := rec.Originals()
			if len(orig) != 1 {
				t.Fatalf("item.json lists %d originals, want 1", len(orig))
			}
			old := sha256.Sum256([]byte(rescanCrashMsg))
			if orig[0].SHA256 != newSum || orig[0].SHA256 == hex.EncodeToString(old[:]) {
				t.Errorf("item.json sha256 %s, want the new bytes' %s (the scan saw %x)", orig[0].SHA256, newSum, old)
			}
			if b, err := os.ReadFile(filepath.Join(store, id, name)); err != nil || string(b) != stillCrash {
				t.Errorf("the store's copy is not the new bytes (err %v)", err)
			}
			if h := rec.History; len(h) == 0 || h[len(h)-1].Action != "quarantined" ||
				h[len(h)-1].Detail != "rescanned after it changed during the scan" {
				t.Errorf("history %+v: want a quarantined event noting the rescan", h)
			}
			if code, out, errs := runCLI(t, "quarantine", "verify", "--quarantine", store); code != 0 {
				t.Errorf("verify: %d\n%s%s", code, out, errs)
			}
		})
	}
}

// TestScan_rescanSelectsFindingsAsTheWalk: the rescan after a change keeps
// the walk's rule selection and reports what it found in the new bytes.
//
//   - skip-rule: a read-only PickUp file is a suspect only through its
//     crash content (ENV-004, the read-only finding, is skipped); rewritten
//     clean before the move, it is left in place, although it is still
//     read-only.
//   - new findings: rewritten with another crash pattern (a control byte
//     in Message-ID instead of the empty charset), it is quarantined, and
//     the printed record and item.json hold the new finding, not the old.
func TestScan_rescanSelectsFindingsAsTheWalk(t *testing.T) {
	otherCrash := strings.Replace(strings.Replace(rescanCrashMsg, `charset=""; `, `name="abc"; `, 1),
		"<lunch@example.com>", "<lunch\x01example.com>", 1)
	clean := strings.Replace(rescanCrashMsg, `charset=""; `, `name="abc"; `, 1)
	if len(otherCrash) != len(rescanCrashMsg) || len(clean) != len(rescanCrashMsg) {
		t.Fatal("the rewrites must keep the length")
	}
	for _, c := range []struct {
		name, folder, rewrite string
		args                  []string
		code                  int
		want, notWant         string // rule in the record's findings, rule not there
	}{
		{"skip-rule", "PickUp", clean, []string{"--quarantine-at", "medium", "--skip-rule", "ENV-004"}, exitPartial, "", "ENV-004"},
		{"new findings", "Queue", otherCrash, []string{"--quarantine-at", "crash"}, exitSuspects, "STR-007", "CT-001"},
	} {
		t.Run(c.name, func(t *testing.T) {
			defer quarantine.SetServiceCheck(func(string) (bool, error) { return false, nil })()
			withNow(t, fixedNow)
			vsi := filepath.Join(t.TempDir(), "mr", "vsi 1")
			dir := filepath.Join(vsi, c.folder)
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, "NTFS_00000001.EML")
			mode := os.FileMode(0o644)
			if c.folder == "PickUp" {
				mode = 0o444
			}
			if err := os.WriteFile(path, []byte(rescanCrashMsg), mode); err != nil {
				t.Fatal(err)
			}
			os.Chmod(path, mode)
			listed, moved := fixedNow.Add(-10*time.Minute), fixedNow.Add(-5*time.Minute)
			if err := os.Chtimes(path, listed, listed); err != nil {
				t.Fatal(err)
			}
			reads := 0
			testHookBeforeOpen = func(p string) {
				if p != path {
					return
				}
				reads++
				if reads == 2 {
					os.Chmod(p, 0o644)
					if err := os.WriteFile(p, []byte(c.rewrite), 0o644); err != nil {
						t.Error(err)
					}
					os.Chmod(p, mode)
				}
				if reads <= 2 {
					os.Chtimes(p, moved, moved)
				}
			}
			defer func() { testHookBeforeOpen = nil }()

			code, out, errs := runCLI(t, append([]string{"scan", vsi, "--json"}, c.args...)...)
			if code != c.code || reads != 2 {
				t.Fatalf("status %d (want %d), %d reads\n%s%s", code, c.code, reads, out, errs)
			}
			var msg jsonMessage
			for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
				var m jsonMessage
				if json.Unmarshal([]byte(l), &m) == nil && m.Kind == "message" && m.Path == path {
					msg = m
				}
			}
			rules := func(fs []mime.Finding) (ids []string) {
				for _, f := range fs {
					ids = append(ids, f.Rule)
				}
				return ids
			}
			got := rules(msg.Findings)
			if c.want == "" {
				if msg.Action != "skipped" || !strings.Contains(msg.Problem, "no longer reaches --quarantine-at") {
					t.Errorf("action %q, problem %q: want left in place", msg.Action, msg.Problem)
				}
				if _, err := os.Lstat(path); err != nil {
					t.Errorf("%s moved: %v", path, err)
				}
				return
			}
			if msg.Action != "quarantined" || !slices.Contains(got, c.want) || slices.Contains(got, c.notWant) || msg.Severity != "crash" {
				t.Errorf("record: action %q, severity %q, findings %v; want %s and not %s", msg.Action, msg.Severity, got, c.want, c.notWant)
			}
			rec := readRecordJSON(t, filepath.Join(vsi, quarantine.DefaultDirName), msg.QuarantineID)
			if rf := rules(rec.Findings); !slices.Contains(rf, c.want) || slices.Contains(rf, c.notWant) {
				t.Errorf("item.json findings %v; want %s and not %s", rf, c.want, c.notWant)
			}
		})
	}
}

// TestScan_lazyHash checks the SHA-256 that scan computes by a second read
// for messages with findings only (mime.Options.DeferSHA256): a flagged
// message's hash is that of its bytes; --all hashes every message; and a
// file rewritten between the scan and the hash read is scanned again, so
// the hash and the findings printed both describe the new bytes.
func TestScan_lazyHash(t *testing.T) {
	const name = "NTFS_00000001.EML"
	const cleanName = "NTFS_00000002.EML"
	stillCrash := strings.Replace(rescanCrashMsg, "Subject: lunch", "Subject: LUNCH", 1)
	clean := strings.Replace(rescanCrashMsg, `charset=""; `, "", 1)
	sumOf := func(s string) string { b := sha256.Sum256([]byte(s)); return hex.EncodeToString(b[:]) }
	cases := []struct {
		name    string
		rewrite string // written before the hash read; "" leaves the file alone
		all     bool
		code    int
		sha     string // of the flagged record; "" when none is printed
		subject string
	}{
		{"unchanged", "", false, exitSuspects, sumOf(rescanCrashMsg), "lunch"},
		{"unchanged --all", "", true, exitSuspects, sumOf(rescanCrashMsg), "lunch"},
		{"same size, other bytes", stillCrash, false, exitSuspects, sumOf(stillCrash), "LUNCH"},
		{"now clean", clean, false, exitOK, "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			withNow(t, fixedNow)
			q := filepath.Join(t.TempDir(), "mr", "vsi 1", "Queue")
			if err := os.MkdirAll(q, 0o755); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(q, name)
			if err := os.WriteFile(path, []byte(rescanCrashMsg), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(q, cleanName), []byte(clean), 0o644); err != nil {
				t.Fatal(err)
			}
			hashReads := map[string]int{}
			testHookBeforeHash = func(p string) {
				hashReads[filepath.Base(p)]++
				if filepath.Base(p) == name && c.rewrite != "" {
					if err := os.WriteFile(p, []byte(c.rewrite), 0o644); err != nil {
						t.Error(err)
					}
				}
			}
			defer func() { testHookBeforeHash = nil }()

			args := []string{"scan", "--dry-run", "--json", "--quarantine-at", "crash", filepath.Dir(q)}
			if c.all {
				args = append(args, "--all")
			}
			code, out, errs := runCLI(t, args...)
			if code != c.code {
				t.Fatalf("status %d, want %d\n%s%s", code, c.code, out, errs)
			}
			wantReads := map[string]int{name: 1}
			if c.all {
				wantReads = map[string]int{} // hashed while scanned
			}
			if !maps.Equal(hashReads, wantReads) {
				t.Errorf("second reads for the hash: %v, want %v", hashReads, wantReads)
			}
			got := map[string]map[string]any{}
			for _, m := range jsonLinesOf(t, out) {
				if m["kind"] == "message" {
					got[filepath.Base(m["path"].(string))] = m
				}
			}
			msg := got[name]
			if c.sha == "" {
				if msg != nil {
					t.Errorf("a record for %s, whose new bytes are clean: %v", name, msg)
				}
			} else {
				if msg == nil {
					t.Fatalf("no record for %s:\n%s", name, out)
				}
				subject := msg["headers"].(map[string]any)["subject"]
				if msg["sha256"] != c.sha || subject != c.subject {
					t.Errorf("sha256 %v, subject %v; want %s, %s", msg["sha256"], subject, c.sha, c.subject)
				}
			}
			if cm := got[cleanName]; c.all != (cm != nil) {
				t.Errorf("record for the clean message: %v (with --all: %v)", cm, c.all)
			} else if cm != nil && cm["sha256"] != sumOf(clean) {
				t.Errorf("clean message sha256 %v, want %s", cm["sha256"], sumOf(clean))
			}
		})
	}
}
