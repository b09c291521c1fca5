package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

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
