package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/mailroot/mailroot/quarantine"
)

// runCLI runs mailroot in-process and returns status, stdout and stderr.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), &env{stdout: &out, stderr: &errb}, args)
	return code, out.String(), errb.String()
}

// hashTree maps relative path -> SHA-256 of every file under root, except
// the quarantine store.
func hashTree(t *testing.T, root string) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == quarantine.DefaultDirName {
			return filepath.SkipDir
		}
		if d.Type().IsRegular() {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			s := sha256.Sum256(b)
			rel, _ := filepath.Rel(root, p)
			m[rel] = hex.EncodeToString(s[:])
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func jsonLinesOf(t *testing.T, s string) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(s))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("bad JSON line %q: %v", sc.Text(), err)
		}
		out = append(out, m)
	}
	return out
}

func TestQuarantineCLI_scanRestoreRoundTrip(t *testing.T) {
	root := filepath.Join(t.TempDir(), "mr")
	if err := copyTree("testdata/mailroot", root); err != nil {
		t.Fatal(err)
	}
	vsi := filepath.Join(root, "vsi 1")
	store := filepath.Join(vsi, quarantine.DefaultDirName)
	orig := hashTree(t, root)

	// Real scan: every suspect is moved, JSON says so with its ID.
	code, out, errs := runCLI(t, "scan", vsi, "--json", "--quarantine-at", "low")
	if code != exitSuspects {
		t.Fatalf("scan status %d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitSuspects, out, errs)
	}
	var ids []string
	for _, m := range jsonLinesOf(t, out) {
		if m["kind"] != "message" {
			continue
		}
		if m["action"] != "quarantined" {
			t.Errorf("%v: action %v (problem %v)", m["path"], m["action"], m["problem"])
			continue
		}
		id, _ := m["quarantine_id"].(string)
		if id == "" {
			for k, v := range m {
				if strings.Contains(k, "id") {
					id, _ = v.(string)
				}
			}
		}
		ids = append(ids, id)
		if _, err := os.Lstat(m["path"].(string)); err == nil {
			t.Errorf("%v still in place after a real scan", m["path"])
		}
	}
	if len(ids) < 3 {
		t.Fatalf("only %d items quarantined:\n%s", len(ids), out)
	}

	code, out, errs = runCLI(t, "quarantine", "list", "--quarantine", store)
	if code != 0 || strings.Count(out, "quarantined") != len(ids) || !strings.Contains(out, "CT-001") {
		t.Fatalf("list: %d\n%s%s", code, out, errs)
	}
	code, out, _ = runCLI(t, "quarantine", "list", "--quarantine", store, "--folder", "badmail", "--json")
	if code != 0 || len(jsonLinesOf(t, out)) != 1 {
		t.Errorf("list --folder badmail: %d\n%s", code, out)
	}
	code, out, errs = runCLI(t, "quarantine", "show", ids[0][:8], "--quarantine", store)
	if code != 0 || !strings.Contains(out, "sha256") || !strings.Contains(out, "history:") {
		t.Errorf("show: %d\n%s%s", code, out, errs)
	}
	code, out, _ = runCLI(t, "quarantine", "verify", "--quarantine", store)
	if code != 0 || !strings.Contains(out, "0 problem(s)") {
		t.Fatalf("verify: %d\n%s", code, out)
	}

	// Dry-run restore changes nothing. Without --force, an item with a
	// crash-class finding does not go back where the service reads it.
	refusal := func(errs string) []string {
		var refused []string
		for _, id := range ids {
			if strings.Contains(errs, "quarantine "+id+": refusing to restore a message with crash-class findings") {
				refused = append(refused, id)
			}
		}
		return refused
	}
	code, out, errs = runCLI(t, append([]string{"quarantine", "restore", "--dry-run", "--quarantine", store}, ids...)...)
	dryRefused := refusal(errs)
	if code != exitPartial || !strings.Contains(out, "would restore") || len(dryRefused) == 0 || len(hashTree(t, root)) == len(orig) {
		t.Fatalf("dry-run restore: %d\n%s%s", code, out, errs)
	}
	code, out, errs = runCLI(t, append([]string{"quarantine", "restore", "--quarantine", store}, ids...)...)
	refused := refusal(errs)
	if code != exitPartial || len(refused) != len(dryRefused) || len(refused) == len(ids) || !strings.Contains(errs, "mailroot repair "+refused[0]) {
		t.Fatalf("restore without --force: %d, refused %v of %v\n%s%s", code, refused, ids, out, errs)
	}
	for _, id := range refused {
		rec := readRecordJSON(t, store, id)
		for _, f := range rec.Originals() {
			if _, err := os.Lstat(f.OriginalPath); err == nil {
				t.Errorf("refused item %s: %s restored anyway", id, f.OriginalPath)
			}
		}
	}
	code, out, errs = runCLI(t, append([]string{"quarantine", "restore", "--force", "--quarantine", store}, refused...)...)
	if code != 0 {
		t.Fatalf("restore --force: %d\n%s%s", code, out, errs)
	}
	after := hashTree(t, root)
	if len(after) != len(orig) {
		t.Fatalf("%d files after restore, want %d", len(after), len(orig))
	}
	for rel, h := range orig {
		if after[rel] != h {
			t.Errorf("%s differs after the round trip", rel)
		}
	}
	code, out, _ = runCLI(t, "quarantine", "list", "--quarantine", store, "--state", "restored")
	if code != 0 || strings.Count(out, "restored") != len(ids) {
		t.Errorf("list --state restored: %d\n%s", code, out)
	}
	// Restoring again is refused: status 3.
	code, _, errs = runCLI(t, "quarantine", "restore", ids[0], "--quarantine", store)
	if code != exitPartial || !strings.Contains(errs, "restored") {
		t.Errorf("second restore: %d %s", code, errs)
	}
	// show says how long ago, once.
	withNow(t, time.Now().Add(3*time.Hour))
	_, out, _ = runCLI(t, "quarantine", "show", ids[0], "--quarantine", store)
	if !strings.Contains(out, " (3 hours ago) by ") {
		t.Errorf("show: the age reads wrong:\n%s", out)
	}
}

func TestQuarantineCLI_addVerifyTamper(t *testing.T) {
	root := filepath.Join(t.TempDir(), "mr")
	if err := copyTree("testdata/mailroot", root); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(root, "vsi 1", "BadMail", "NTFS_0000AB.BAD")
	store := filepath.Join(root, "vsi 1", quarantine.DefaultDirName)
	code, out, errs := runCLI(t, "quarantine", "add", bad)
	if code != 0 {
		t.Fatalf("add: %d\n%s%s", code, out, errs)
	}
	id := strings.Fields(out)[0]
	for _, ext := range []string{".BAD", ".BDR", ".BDP"} {
		if _, err := os.Stat(filepath.Join(store, id, "NTFS_0000AB"+ext)); err != nil {
			t.Errorf("BadMail unit member %s not in the item: %v", ext, err)
		}
	}
	// Naming a file that is not there is a usage error naming it.
	code, _, errs = runCLI(t, "quarantine", "add", bad, "--quarantine", store)
	if code != exitUsage || !strings.Contains(errs, "NTFS_0000AB.BAD") {
		t.Errorf("add missing file: %d %s", code, errs)
	}
	// Tamper: verify exits 1 and names the file.
	p := filepath.Join(store, id, "NTFS_0000AB.BDR")
	if err := os.WriteFile(p, []byte("edited"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, _ = runCLI(t, "quarantine", "verify", "--quarantine", store, "--json")
	if code != exitSuspects || !strings.Contains(out, `"kind":"problem"`) || !strings.Contains(out, "NTFS_0000AB.BDR") {
		t.Errorf("verify after tamper: %d\n%s", code, out)
	}
	// Restore refuses an altered item.
	code, _, errs = runCLI(t, "quarantine", "restore", id, "--quarantine", store)
	if code != exitPartial || !strings.Contains(errs, "altered") {
		t.Errorf("restore altered: %d %s", code, errs)
	}
	if _, err := os.Stat(bad); err == nil {
		t.Error("altered item restored")
	}
}

func TestQuarantineCLI_errors(t *testing.T) {
	dir := t.TempDir()
	store := filepath.Join(dir, "Q")
	s, err := quarantine.Open(store, quarantine.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	// list and show read a locked store (TestQuarantineList_whileLocked);
	// verify and every command that writes wait for the lock.
	code, _, errs := runCLI(t, "quarantine", "verify", "--quarantine", store)
	if code != exitLocked || !strings.Contains(errs, "locked") {
		t.Errorf("locked store: %d %s", code, errs)
	}
	s.Close()
	for _, tc := range []struct {
		args []string
		code int
		err  string
	}{
		{[]string{"quarantine"}, exitUsage, "sub-command"},
		{[]string{"quarantine", "frob"}, exitUsage, "unknown quarantine sub-command"},
		{[]string{"quarantine", "show", "../etc", "--quarantine", store}, exitUsage, "invalid quarantine ID"},
		{[]string{"quarantine", "show", "zzzz", "--quarantine", store}, exitUsage, "no such quarantine item"},
		{[]string{"quarantine", "list", "--quarantine", filepath.Join(dir, "none")}, exitUsage, "no quarantine store"},
		{[]string{"quarantine", "list", "--quarantine", store, "--state", "gone"}, exitUsage, "unknown state"},
		{[]string{"quarantine", "verify", "--dry-run", "--quarantine", store}, exitUsage, "--dry-run"},
		{[]string{"quarantine", "add", dir}, exitUsage, "is a folder"},
	} {
		code, _, errs := runCLI(t, tc.args...)
		if code != tc.code || !strings.Contains(errs, tc.err) {
			t.Errorf("%v: status %d, stderr %q; want %d and %q", tc.args, code, errs, tc.code, tc.err)
		}
	}
	if runtime.GOOS != "windows" {
		if err := os.Chmod(store, 0o777); err != nil {
			t.Fatal(err)
		}
		code, _, errs := runCLI(t, "quarantine", "verify", "--quarantine", store)
		if code != exitUsage || !strings.Contains(errs, "writable by group or others") {
			t.Errorf("unsafe store: %d %s", code, errs)
		}
	}
}

func TestQuarantineHelp_exitStatus(t *testing.T) {
	c := lookup("quarantine")
	if c == nil || !strings.Contains(c.Long, "EXIT STATUS") || !strings.Contains(c.Long, "11") {
		t.Fatal("quarantine help lacks an EXIT STATUS section with the locked status")
	}
}

// readRecordJSON reads an item's item.json.
func readRecordJSON(t *testing.T, store, id string) *quarantine.Record {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(store, id, quarantine.RecordFile))
	if err != nil {
		t.Fatal(err)
	}
	var rec quarantine.Record
	if err := json.Unmarshal(b, &rec); err != nil {
		t.Fatalf("%s: %v", id, err)
	}
	return &rec
}
