package mime

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var updateGolden = flag.Bool("update-golden", false, "rewrite mime/testdata/golden/*.json from the current scanner")

// coreRule reports whether the scanner core owns the rule (the golden files
// hold only these findings, so that other rule families can evolve without
// touching them).
func coreRule(id string) bool {
	switch {
	case strings.HasPrefix(id, "MP-"), strings.HasPrefix(id, "ENV-"):
		return true
	}
	switch id {
	case "STR-001", "STR-002", "STR-003", "STR-004", "STR-005", "STR-009", "HDR-003", "HDR-004", "HDR-006":
		return true
	}
	return false
}

// TestGoldenReports compares whole reports (tree, summary, envelope, kept
// fields, core findings) of testdata/golden/*.eml with their .json. The
// folder kind comes from the name: pickup-*, replay-*, else generic. Run
// with -update-golden after an intended change and review the diff.
func TestGoldenReports(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "golden", "*.eml"))
	if len(files) == 0 {
		t.Fatal("no golden inputs")
	}
	for _, fn := range files {
		base := strings.TrimSuffix(filepath.Base(fn), ".eml")
		folder := FolderGeneric
		switch {
		case strings.HasPrefix(base, "pickup"):
			folder = FolderPickup
		case strings.HasPrefix(base, "replay"):
			folder = FolderReplay
		}
		data, err := os.ReadFile(fn)
		if err != nil {
			t.Fatal(err)
		}
		rep := checkScan(t, base, data, Options{Folder: folder, KeepFields: true})
		var core []Finding
		for _, f := range rep.Findings {
			if coreRule(f.Rule) {
				core = append(core, f)
			}
		}
		rep.Findings = core
		rep.FindingsOmitted = 0
		got, err := json.MarshalIndent(rep, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, '\n')
		golden := strings.TrimSuffix(fn, ".eml") + ".json"
		if *updateGolden {
			if err := os.WriteFile(golden, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%v (run go test ./mime -run TestGoldenReports -update-golden)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: report differs from %s (rerun with -update-golden and review the diff)\n got:\n%s", base, golden, got)
		}
	}
}
