package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mailroot/mailroot/quarantine"
)

// TestScan_liveServiceGuard: while SMTPSVC runs, a real scan leaves every
// Queue suspect in place with an explanation and exits 3 (other folders are
// still quarantined); with --force the Queue suspects are moved too.
func TestScan_liveServiceGuard(t *testing.T) {
	var asked []string
	defer quarantine.SetServiceCheck(func(name string) (bool, error) {
		asked = append(asked, name)
		return name == quarantine.SMTPService, nil
	})()
	root := filepath.Join(t.TempDir(), "mr")
	if err := copyTree("testdata/mailroot", root); err != nil {
		t.Fatal(err)
	}
	vsi := filepath.Join(root, "vsi 1")
	queueDir := filepath.Join(vsi, "Queue")

	code, out, errs := runCLI(t, "scan", vsi, "--json", "--quarantine-at", "low")
	if code != exitPartial {
		t.Fatalf("scan while SMTPSVC runs: status %d, want %d\n%s%s", code, exitPartial, out, errs)
	}
	if len(asked) == 0 {
		t.Fatal("the service check was never consulted")
	}
	var queued, other int
	for _, m := range jsonLinesOf(t, out) {
		if m["kind"] != "message" {
			continue
		}
		p, _ := m["path"].(string)
		if strings.HasPrefix(p, queueDir+string(filepath.Separator)) {
			queued++
			prob, _ := m["problem"].(string)
			if m["action"] != "skipped" || !strings.Contains(prob, "SMTPSVC is running") ||
				!strings.Contains(prob, "stop the SMTP virtual server first, or use --force") {
				t.Errorf("%s: action %v, problem %q; want skipped with the explanation", p, m["action"], prob)
			}
			if _, err := os.Lstat(p); err != nil {
				t.Errorf("%s moved out of the Queue while SMTPSVC runs: %v", p, err)
			}
		} else {
			other++
			if m["action"] != "quarantined" {
				t.Errorf("%s (not in Queue): action %v, problem %v", p, m["action"], m["problem"])
			}
		}
	}
	if queued == 0 || other == 0 {
		t.Fatalf("want suspects in and out of Queue, got %d and %d:\n%s", queued, other, out)
	}

	// --force: the Queue suspects are moved now.
	code, out, errs = runCLI(t, "scan", vsi, "--json", "--quarantine-at", "low", "--force")
	if code != exitSuspects {
		t.Fatalf("scan --force: status %d, want %d\n%s%s", code, exitSuspects, out, errs)
	}
	moved := 0
	for _, m := range jsonLinesOf(t, out) {
		if m["kind"] != "message" {
			continue
		}
		p, _ := m["path"].(string)
		if m["action"] != "quarantined" {
			t.Errorf("scan --force: %s: action %v, problem %v", p, m["action"], m["problem"])
		}
		if strings.HasPrefix(p, queueDir+string(filepath.Separator)) {
			moved++
			if _, err := os.Lstat(p); err == nil {
				t.Errorf("scan --force: %s still in the Queue", p)
			}
		}
	}
	if moved != queued {
		t.Errorf("scan --force moved %d Queue suspects, want %d", moved, queued)
	}
}

// TestScan_recoversDefaultStoreBeforeTheWalk: a move that an earlier run
// left half done (the message complete in the Queue and in the store, the
// journal with no outcome) is finished before the walk, so the scan does
// not flag the leftover and fail to move it: afterwards the message exists
// exactly once. A dry run first warns and changes nothing.
func TestScan_recoversDefaultStoreBeforeTheWalk(t *testing.T) {
	root := filepath.Join(t.TempDir(), "mr")
	if err := copyTree("testdata/mailroot", root); err != nil {
		t.Fatal(err)
	}
	vsi := filepath.Join(root, "vsi 1")
	if code, out, errs := runCLI(t, "scan", vsi, "--json"); code != exitSuspects {
		t.Fatalf("first scan: status %d\n%s%s", code, out, errs)
	}
	// Undo the end of one Queue move: the original comes back beside its
	// store copy, and the journal loses the move's "done" line.
	store := filepath.Join(vsi, quarantine.DefaultDirName)
	jpath := filepath.Join(store, quarantine.JournalFile)
	jb, err := os.ReadFile(jpath)
	if err != nil {
		t.Fatal(err)
	}
	var intent quarantine.Entry
	var kept []string
	for _, line := range strings.SplitAfter(string(jb), "\n") {
		var e quarantine.Entry
		if line == "" || json.Unmarshal([]byte(line), &e) != nil {
			kept = append(kept, line)
			continue
		}
		if intent.Txn == "" && e.Op == quarantine.OpIntent && e.Kind == quarantine.KindMove &&
			len(e.Files) == 1 && filepath.Base(filepath.Dir(e.Files[0].From)) == "Queue" {
			intent = e
		}
		if e.Op == quarantine.OpDone && e.Txn == intent.Txn && intent.Txn != "" {
			continue
		}
		kept = append(kept, line)
	}
	if intent.Txn == "" {
		t.Fatalf("no single-file Queue move in the journal:\n%s", jb)
	}
	if err := os.WriteFile(jpath, []byte(strings.Join(kept, "")), 0o600); err != nil {
		t.Fatal(err)
	}
	orig, moved := intent.Files[0].From, intent.Files[0].To
	body, err := os.ReadFile(moved)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(orig, body, 0o644); err != nil {
		t.Fatal(err)
	}

	before, err := treeState(root)
	if err != nil {
		t.Fatal(err)
	}
	code, out, errs := runCLI(t, "scan", vsi, "--dry-run")
	if code != exitSuspects {
		t.Errorf("dry run: status %d, want %d (the leftover is still flagged)\n%s%s", code, exitSuspects, out, errs)
	}
	if !strings.Contains(errs, "interrupted move of "+intent.ID) || !strings.Contains(errs, "mailroot quarantine recover --quarantine \""+store+"\"") {
		t.Errorf("dry run does not warn about the open move of %s:\n%s", intent.ID, errs)
	}
	if after, _ := treeState(root); after != before {
		t.Errorf("the dry run changed the tree:\n%s", lineDiff(before, after))
	}

	code, out, errs = runCLI(t, "scan", vsi, "--json")
	if code != exitOK {
		t.Errorf("scan after the interruption: status %d, want %d\n%s%s", code, exitOK, out, errs)
	}
	if !strings.Contains(errs, "interrupted move of "+intent.ID+" completed") {
		t.Errorf("recovery not reported:\n%s", errs)
	}
	for _, m := range jsonLinesOf(t, out) {
		if m["kind"] == "message" && m["path"] == orig {
			t.Errorf("the scan saw the leftover copy: %v", m)
		}
	}
	if _, err := os.Lstat(orig); err == nil {
		t.Errorf("%s still in the Queue: two copies", orig)
	}
	if got, err := os.ReadFile(moved); err != nil || !bytes.Equal(got, body) {
		t.Errorf("store copy %s: %v", moved, err)
	}
	if open, err := quarantine.Interrupted(store); err != nil || len(open) != 0 {
		t.Errorf("still open after the scan: %+v %v", open, err)
	}

	// A move whose files are complete nowhere cannot be resolved: the scan
	// still runs but exits 3, and the transaction stays open for a human.
	ghost := intent
	ghost.Txn, ghost.Time = intent.Txn+"-ghost", intent.Time.Add(time.Second)
	ghost.Files = []quarantine.FileOp{{From: orig + ".ghost", To: moved + ".ghost", Size: 10, SHA256: strings.Repeat("0", 64)}}
	line, _ := json.Marshal(ghost)
	f, err := os.OpenFile(jpath, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write(append(line, '\n'))
	f.Close()
	code, out, errs = runCLI(t, "scan", vsi)
	if code != exitPartial || !strings.Contains(errs, "NOT resolved") {
		t.Errorf("unresolvable move: status %d, want %d with the recovery problem\n%s%s", code, exitPartial, out, errs)
	}
	if open, _ := quarantine.Interrupted(store); len(open) != 1 || open[0].Txn != ghost.Txn {
		t.Errorf("open after the scan: %+v, want the unresolved one", open)
	}
}

// TestScan_interruptSaysWhatWasMoved: a scan interrupted between moves
// ends with status 2, "interrupted", and a hint that counts the suspects
// already quarantined, which matches the store.
func TestScan_interruptSaysWhatWasMoved(t *testing.T) {
	root := filepath.Join(t.TempDir(), "mr")
	if err := copyTree("testdata/mailroot", root); err != nil {
		t.Fatal(err)
	}
	vsi := filepath.Join(root, "vsi 1")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	calls := 0
	// The service check runs once per Queue move: cancel at the second.
	defer quarantine.SetServiceCheck(func(string) (bool, error) {
		calls++
		if calls == 2 {
			cancel()
		}
		return false, nil
	})()
	var out, errb bytes.Buffer
	code := run(ctx, &env{stdout: &out, stderr: &errb}, []string{"scan", vsi, "--quarantine-at", "high"})
	if code != exitFatal || !strings.Contains(errb.String(), "mailroot: interrupted") {
		t.Fatalf("status %d, want %d\n%s%s", code, exitFatal, out.String(), errb.String())
	}
	ents, _ := os.ReadDir(filepath.Join(vsi, quarantine.DefaultDirName))
	items := 0
	for _, e := range ents {
		if e.IsDir() {
			items++
		}
	}
	want := fmt.Sprintf("hint: %d suspect(s) were quarantined before the interrupt", items)
	if items == 0 || !strings.Contains(errb.String(), want) {
		t.Errorf("%d items in the store; stderr:\n%s\nwant %q", items, errb.String(), want)
	}
}
