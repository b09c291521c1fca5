package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"context"

	"github.com/mailroot/mailroot/mime"
)

// goldenCase scans a copy of a sample tree with pinned times and compares
// the output with testdata/golden/<name>.
type goldenCase struct {
	name string   // golden file name
	tree string   // source tree, relative to this package
	sub  string   // path scanned, relative to the copy
	args []string // before the path
	code int      // exit status
}

func TestScan_golden(t *testing.T) {
	cases := []goldenCase{
		{"testdata-audit.jsonl", "testdata/mailroot", "vsi 1", []string{"audit", "--json", "--workers", "3"}, -1},
		{"testdata-audit-all.jsonl", "testdata/mailroot", "vsi 1", []string{"audit", "--json", "--all"}, -1},
		{"testdata-audit.txt", "testdata/mailroot", "vsi 1", []string{"scan", "--dry-run"}, -1},
		{"testdata-audit-all.txt", "testdata/mailroot", "vsi 1", []string{"scan", "--dry-run", "--all", "--min-severity", "high"}, -1},
		{"testdata-queue-only.jsonl", "testdata/mailroot", "vsi 1", []string{"audit", "--json", "--folder", "queue", "--quarantine-at", "low"}, -1},
		{"fixtures-audit.jsonl", "../../fixtures/mailroot", "vsi 1", []string{"audit", "--json"}, -1},
		{"fixtures-audit.txt", "../../fixtures/mailroot", "vsi 1", []string{"audit"}, -1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := os.Stat(c.tree); err != nil {
				t.Skipf("%s not present yet", c.tree)
			}
			if runtime.GOOS == "windows" {
				// Paths in the goldens use "/"; output on Windows uses "\",
				// which cannot be told apart from escapes in excerpts.
				t.Skip("goldens are written with / separators")
			}
			withNow(t, fixedNow)
			root := filepath.Join(t.TempDir(), "copy")
			if err := copyTree(c.tree, root); err != nil {
				t.Fatal(err)
			}
			pinTree(t, root, fixedNow)
			out, errOut, code := runTool(t, append(c.args, filepath.Join(root, c.sub))...)
			if code != exitOK && code != exitSuspects {
				t.Fatalf("exit status %d, stderr:\n%s", code, errOut)
			}
			got := normalise(out, root)
			golden(t, c.name, got)
			// The exit status must agree with the summary.
			if strings.HasSuffix(c.name, ".jsonl") {
				lines := strings.Split(strings.TrimSpace(got), "\n")
				last := lines[len(lines)-1]
				if !strings.Contains(last, fmt.Sprintf(`"exit_code":%d`, code)) {
					t.Errorf("summary %s does not carry exit status %d", last, code)
				}
			}
		})
	}
}

// TestScan_dryRunTouchesNothing hashes the whole tree (names, modes,
// sizes, mtimes of files and folders, contents) before and after an audit
// with every output option.
func TestScan_dryRunTouchesNothing(t *testing.T) {
	for _, tree := range []string{"testdata/mailroot", "../../fixtures/mailroot"} {
		t.Run(filepath.Base(filepath.Dir(tree)), func(t *testing.T) {
			if _, err := os.Stat(tree); err != nil {
				t.Skipf("%s not present yet", tree)
			}
			root := filepath.Join(t.TempDir(), "copy")
			if err := copyTree(tree, root); err != nil {
				t.Fatal(err)
			}
			pinTree(t, root, time.Now())
			before, err := treeState(root)
			if err != nil {
				t.Fatal(err)
			}
			for _, args := range [][]string{
				{"scan", "--dry-run"},
				{"audit", "--json", "--all"},
				{"scan", "-n", "--quarantine-at", "low", "--all"},
				{"audit", "--quarantine", filepath.Join(root, "elsewhere")},
			} {
				p := filepath.Join(root, "vsi 1")
				_, _, code := runTool(t, append(args, p)...)
				if code == exitPartial {
					t.Errorf("%v: exit status 3", args)
				}
				after, err := treeState(root)
				if err != nil {
					t.Fatal(err)
				}
				if after != before {
					t.Fatalf("%v changed the tree:\n%s", args, lineDiff(before, after))
				}
			}
		})
	}
}

func TestParseArgs(t *testing.T) {
	cases := []struct {
		args    []string
		pos     []string
		json    bool
		workers int
	}{
		{[]string{"a", "--json"}, []string{"a"}, true, 0},
		{[]string{"--json", "a", "b"}, []string{"a", "b"}, true, 0},
		{[]string{"a", "-workers", "3", "b", "-json"}, []string{"a", "b"}, true, 3},
		{[]string{"--workers=2", "a"}, []string{"a"}, false, 2},
		{[]string{"a", "--", "--json", "-x"}, []string{"a", "--json", "-x"}, false, 0},
		{[]string{"--", "a"}, []string{"a"}, false, 0},
		{nil, nil, false, 0},
	}
	for _, c := range cases {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		var j bool
		var w int
		fs.BoolVar(&j, "json", false, "")
		fs.IntVar(&w, "workers", 0, "")
		pos, err := parseArgs(fs, c.args)
		if err != nil {
			t.Errorf("%q: %v", c.args, err)
			continue
		}
		if !reflect.DeepEqual(pos, c.pos) || j != c.json || w != c.workers {
			t.Errorf("%q: got %q json=%v workers=%d, want %q %v %d", c.args, pos, j, w, c.pos, c.json, c.workers)
		}
	}
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	if _, err := parseArgs(fs, []string{"a", "--nope"}); err == nil {
		t.Error("unknown flag after a positional argument was accepted")
	}
}

func TestParseAge(t *testing.T) {
	cases := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"4h", 4 * time.Hour, true},
		{"2d", 48 * time.Hour, true},
		{"1d12h", 36 * time.Hour, true},
		{"0.5d", 12 * time.Hour, true},
		{"90m", 90 * time.Minute, true},
		{"d", 0, false},
		{"-1h", 0, false},
		{"2x", 0, false},
		{"", 0, false},
		{"99999999999d", 0, false}, // overflowed to a negative duration (found by FuzzParseAge)
		{"NaNd", 0, false},
		{"36500d", 36500 * 24 * time.Hour, true},
	}
	for _, c := range cases {
		got, err := parseAge(c.in)
		if (err == nil) != c.ok || (c.ok && got != c.want) {
			t.Errorf("parseAge(%q) = %v, %v; want %v ok=%v", c.in, got, err, c.want, c.ok)
		}
	}
}

func TestSanitizeLine(t *testing.T) {
	cases := map[string]string{
		"plain text":            "plain text",
		"caf\u00e9":             "caf\u00e9",
		"esc\x1b[2Jclear":       `esc\x1b[2Jclear`,
		"cr\rlf\nnul\x00":       `cr\rlf\nnul\x00`,
		"bidi\u202eevil":        `bidi\u202eevil`,
		"bad\xffutf8":           `bad\xffutf8`,
		"c1\u009bcontrol\ttabs": `c1\u009bcontrol\ttabs`,
	}
	for in, want := range cases {
		if got := sanitizeLine(in); got != want {
			t.Errorf("sanitizeLine(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestDocUpToDate fails when doc.go is not what the command table
// generates; go generate ./cmd/mailroot (or -update) rewrites it.
func TestDocUpToDate(t *testing.T) {
	want := docGo()
	if *update {
		if err := os.WriteFile("doc.go", []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Errorf("doc.go is stale: run go generate ./cmd/mailroot\n%s", lineDiff(string(got), want))
	}
}

// TestHelp checks that every verb has help with an EXIT STATUS section,
// reachable three ways.
func TestHelp(t *testing.T) {
	for _, c := range commands {
		if !strings.Contains(c.Long, "EXIT STATUS") {
			t.Errorf("%s: long help has no EXIT STATUS section", c.Name)
		}
		for _, args := range [][]string{{"help", c.Name}, {c.Name, "-h"}, {c.Name, "--help"}} {
			out, _, code := runTool(t, args...)
			if code != 0 || !strings.HasPrefix(out, "usage: mailroot "+c.Name) {
				t.Errorf("%v: status %d, output %q", args, code, firstLine(out))
			}
		}
	}
	if _, errOut, code := runTool(t); code != exitUsage || !strings.Contains(errOut, "Commands:") {
		t.Errorf("no arguments: status %d, stderr %q", code, firstLine(errOut))
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// TestScan_memoryFlat scans folders of 20,000 and 200,000 small files and
// checks that the peak heap does not grow with the file count. It prints
// every message (--all --json to a discarded stdout), so it also covers
// the switch from sorted to walk-order output past sortLimit.
func TestScan_memoryFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 200,000 files; skipped with -short")
	}
	dir := filepath.Join(t.TempDir(), "flood")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(from, to int) {
		for i := from; i < to; i++ {
			msg := fmt.Sprintf("From: user%d@d%d.example\r\nTo: x@example.net\r\nSubject: flood %d\r\nMessage-ID: <%d@flood>\r\n\r\nhello\r\n", i, i%50000, i, i)
			if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("m%07d.eml", i)), []byte(msg), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	peak := func() uint64 {
		runtime.GC()
		var max atomic.Uint64
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			var ms runtime.MemStats
			for {
				runtime.ReadMemStats(&ms)
				if ms.HeapAlloc > max.Load() {
					max.Store(ms.HeapAlloc)
				}
				select {
				case <-stop:
					return
				case <-time.After(20 * time.Millisecond):
				}
			}
		}()
		code := run(context.Background(), &env{stdout: io.Discard, stderr: io.Discard}, []string{"audit", "--json", "--all", "--workers", "2", dir})
		close(stop)
		wg.Wait()
		if code != exitOK {
			t.Fatalf("exit status %d", code)
		}
		return max.Load()
	}
	old := debug.SetGCPercent(10)
	defer debug.SetGCPercent(old)
	write(0, 20000)
	small := peak()
	write(20000, 200000)
	large := peak()
	t.Logf("peak heap: %d KiB at 20,000 files, %d KiB at 200,000 files", small>>10, large>>10)
	if large > small+small/2+8<<20 {
		t.Errorf("peak heap grew with the file count: %d KiB at 20,000 files, %d KiB at 200,000", small>>10, large>>10)
	}
}

// TestScan_unreadableAndVanished makes one file vanish and replaces
// another by a folder (a read error, even for root) between the walk and
// the read: both are reported as skipped, the scan finishes, and the exit
// status is 3 only for the read failure.
func TestScan_unreadableAndVanished(t *testing.T) {
	cases := []struct {
		name     string
		victim   string
		do       func(path string) error
		reason   string
		wantCode int
	}{
		{"vanished", "NTFS_00000001.EML", os.Remove, `"reason":"vanished"`, exitSuspects},
		{"unreadable", "NTFS_00000001.EML", func(p string) error {
			if err := os.Remove(p); err != nil {
				return err
			}
			return os.Mkdir(p, 0o755)
		}, `"reason":"unreadable"`, exitPartial},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			scan := func(args ...string) (string, string, int) {
				root := filepath.Join(t.TempDir(), "copy")
				if err := copyTree("testdata/mailroot", root); err != nil {
					t.Fatal(err)
				}
				var once sync.Once
				testHookBeforeOpen = func(p string) {
					if filepath.Base(p) == c.victim {
						once.Do(func() {
							if err := c.do(p); err != nil {
								t.Error(err)
							}
						})
					}
				}
				defer func() { testHookBeforeOpen = nil }()
				return runTool(t, append(args, filepath.Join(root, "vsi 1"))...)
			}
			out, errOut, code := scan("audit", "--json")
			if code != c.wantCode {
				t.Errorf("exit status %d, want %d; stderr:\n%s", code, c.wantCode, errOut)
			}
			var skipLine string
			for _, l := range strings.Split(out, "\n") {
				if strings.Contains(l, `"kind":"skipped"`) && strings.Contains(l, c.victim) {
					skipLine = l
				}
			}
			if !strings.Contains(skipLine, c.reason) {
				t.Errorf("no skipped line with %s for %s in:\n%s", c.reason, c.victim, out)
			}
			if !strings.Contains(out, `"kind":"summary"`) || !strings.Contains(out, fmt.Sprintf(`"exit_code":%d`, c.wantCode)) {
				t.Errorf("summary missing or with the wrong exit code:\n%s", out)
			}
			// The text form names the file and says whether it could be read.
			out, _, code = scan("audit")
			want := "; 1 files could not be read"
			if c.wantCode != exitPartial {
				want = "0 could not be read"
			}
			if code != c.wantCode || !strings.Contains(out, want) || !strings.Contains(out, c.victim) {
				t.Errorf("text: status %d, want %d, and %q with the file name in:\n%s", code, c.wantCode, want, out)
			}
		})
	}
}

// TestProgress draws the bar into a buffer (as on a terminal) and checks
// that it shows the file count and is cleared at the end.
func TestProgress(t *testing.T) {
	var buf syncBuffer
	p := newProgress(&buf, true)
	for i := 0; i < 1234; i++ {
		p.add(1000)
	}
	time.Sleep(progressDelay + time.Second)
	p.finish()
	if s := buf.String(); !strings.Contains(s, "scanning: 1,234 files, 1.2 MiB") || !strings.Contains(s, "/s)") {
		t.Errorf("progress output %q lacks the file count, bytes or rate", s)
	}
	var none syncBuffer
	q := newProgress(&none, false)
	q.add(5)
	q.finish()
	if none.String() != "" {
		t.Errorf("disabled progress wrote %q", none.String())
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestScan_selection checks the selection flags against the summary and
// message lines of the sample tree.
func TestScan_selection(t *testing.T) {
	withNow(t, fixedNow)
	root := filepath.Join(t.TempDir(), "copy")
	if err := copyTree("testdata/mailroot", root); err != nil {
		t.Fatal(err)
	}
	pinTree(t, root, fixedNow)
	path := filepath.Join(root, "vsi 1")
	type result struct {
		summary  jsonSummary
		messages []jsonMessage
		code     int
	}
	scan := func(args ...string) result {
		t.Helper()
		out, errOut, code := runTool(t, append(append([]string{"audit", "--json"}, args...), path)...)
		if code == exitUsage {
			t.Fatalf("%v: %s", args, errOut)
		}
		var r result
		r.code = code
		for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
			switch {
			case strings.Contains(l, `"kind":"summary"`):
				if err := json.Unmarshal([]byte(l), &r.summary); err != nil {
					t.Fatal(err)
				}
			case strings.Contains(l, `"kind":"message"`):
				var m jsonMessage
				if err := json.Unmarshal([]byte(l), &m); err != nil {
					t.Fatal(err)
				}
				r.messages = append(r.messages, m)
			}
		}
		return r
	}
	all := scan()
	if all.summary.Messages != 6 {
		t.Fatalf("the sample tree has %d messages, want 6", all.summary.Messages)
	}
	// --older-than and --newer-than with the same age partition the tree.
	for _, age := range []string{"1h", "10h", "20h"} {
		older, newer := scan("--older-than", age), scan("--newer-than", age)
		if older.summary.Messages+newer.summary.Messages != all.summary.Messages {
			t.Errorf("--older-than %s (%d) + --newer-than %s (%d) != %d", age, older.summary.Messages, age, newer.summary.Messages, all.summary.Messages)
		}
		d, _ := parseAge(age)
		for _, m := range older.messages {
			mt, _ := time.Parse(time.RFC3339, m.MTime)
			if fixedNow.Sub(mt) < d {
				t.Errorf("--older-than %s printed %s, modified %s", age, m.Path, m.MTime)
			}
		}
	}
	// --folder.
	q := scan("--folder", "queue", "--all")
	if q.summary.Messages != 3 || len(q.summary.Folders) != 1 || q.summary.Folders[0].Folder != "queue" {
		t.Errorf("--folder queue: %d messages in %v", q.summary.Messages, q.summary.Folders)
	}
	for _, m := range q.messages {
		if m.Folder != "queue" {
			t.Errorf("--folder queue printed %s (%s)", m.Path, m.Folder)
		}
	}
	// --rule keeps only that rule; --skip-rule drops it; the exit status follows.
	only := scan("--rule", "ct-001")
	if len(only.summary.Rules) != 1 || only.summary.Rules[0].Rule != "CT-001" || only.summary.Suspects != 1 || only.code != exitSuspects {
		t.Errorf("--rule ct-001: rules %v, suspects %d, status %d", only.summary.Rules, only.summary.Suspects, only.code)
	}
	skip := scan("--skip-rule", "CT-001,STR-003")
	for _, r := range skip.summary.Rules {
		if r.Rule == "CT-001" || r.Rule == "STR-003" {
			t.Errorf("--skip-rule CT-001,STR-003 still reports %s", r.Rule)
		}
	}
	if skip.summary.Suspects != 0 || skip.code != exitOK {
		t.Errorf("without the two crash rules: %d suspects, status %d; want 0, 0", skip.summary.Suspects, skip.code)
	}
	// --min-severity hides lower findings but not the suspects.
	high := scan("--min-severity", "high")
	for _, m := range high.messages {
		for _, f := range m.Findings {
			if f.Severity < mime.High {
				t.Errorf("--min-severity high printed %s %s in %s", f.Rule, f.Severity, m.Path)
			}
		}
	}
	if high.summary.Suspects != all.summary.Suspects {
		t.Errorf("--min-severity changed the suspects: %d != %d", high.summary.Suspects, all.summary.Suspects)
	}
	// --quarantine-at low: every flagged message is a suspect.
	low := scan("--quarantine-at", "low")
	if low.summary.Suspects != low.summary.Flagged || low.summary.Suspects <= all.summary.Suspects {
		t.Errorf("--quarantine-at low: %d suspects, %d flagged", low.summary.Suspects, low.summary.Flagged)
	}
	for _, m := range low.messages {
		if m.Action != actionWouldQuarantine {
			t.Errorf("--quarantine-at low: %s action %q", m.Path, m.Action)
		}
	}
}

// TestScan_sortLimit: past sortLimit held records, scan prints in walk
// order; every message is still printed exactly once, then the summary.
func TestScan_sortLimit(t *testing.T) {
	old := sortLimit
	sortLimit = 2
	defer func() { sortLimit = old }()
	// Pinned times make two queue items Q-002 blocker candidates, found
	// only after the walk, when they have been printed already.
	withNow(t, fixedNow)
	root := filepath.Join(t.TempDir(), "copy")
	if err := copyTree("testdata/mailroot", root); err != nil {
		t.Fatal(err)
	}
	pinTree(t, root, fixedNow)
	out, errOut, code := runTool(t, "audit", "--json", "--all", filepath.Join(root, "vsi 1"))
	if code != exitSuspects {
		t.Fatalf("exit status %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	seen := map[string]int{}
	for _, l := range lines[:len(lines)-1] {
		var m jsonMessage
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatal(err)
		}
		if m.Kind == "message" {
			seen[m.Path]++
		}
	}
	if len(seen) != 6 {
		t.Errorf("%d messages printed, want 6: %v", len(seen), seen)
	}
	for p, n := range seen {
		if n != 1 {
			t.Errorf("%s printed %d times", p, n)
		}
	}
	last := lines[len(lines)-1]
	if !strings.Contains(last, `"kind":"summary"`) || !strings.Contains(last, `"rule":"Q-002"`) {
		t.Errorf("last line is not the summary, or it has no Q-002 count: %s", last)
	}
}

// TestScan_overlappingRoots: PATH arguments that name the same folder twice
// (with and without a trailing separator), a folder inside a mailroot named
// as well, or a file inside a folder already named, scan each message once:
// counting it twice doubled the findings and the summary, and a real run
// would try to quarantine a message it had just moved.
func TestScan_overlappingRoots(t *testing.T) {
	root := filepath.Join(t.TempDir(), "copy")
	if err := copyTree("testdata/mailroot", root); err != nil {
		t.Fatal(err)
	}
	vsi := filepath.Join(root, "vsi 1")
	queueDir := filepath.Join(vsi, "Queue")
	scan := func(args ...string) (paths []string, messages int64) {
		t.Helper()
		out, errOut, code := runTool(t, append([]string{"audit", "--json", "--all"}, args...)...)
		if code != exitOK && code != exitSuspects {
			t.Fatalf("exit status %d, stderr:\n%s", code, errOut)
		}
		for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
			var o struct {
				Kind     string `json:"kind"`
				Path     string `json:"path"`
				Messages int64  `json:"messages"`
			}
			if err := json.Unmarshal([]byte(l), &o); err != nil {
				t.Fatalf("%v: %s", err, l)
			}
			switch o.Kind {
			case "message":
				paths = append(paths, o.Path)
			case "summary":
				messages = o.Messages
			}
		}
		return paths, messages
	}
	want, wantN := scan(vsi)
	for _, args := range [][]string{
		{vsi, queueDir},
		{queueDir, vsi},
		{vsi, vsi + string(filepath.Separator)},
		{vsi, filepath.Join(queueDir, "NTFS_00000001.EML")},
		{vsi, filepath.Join(queueDir, "..", "Queue")},
		{filepath.Join(vsi, "BadMail", "NTFS_0000AB.BDR"), vsi},
		{vsi, filepath.Join(vsi, "BadMail", "NTFS_0000AB.BDR")},
	} {
		got, n := scan(args...)
		seen := map[string]bool{}
		for _, p := range got {
			if seen[p] {
				t.Errorf("%q: %s scanned twice", args, p)
			}
			seen[p] = true
		}
		if n != wantN || len(got) != len(want) {
			t.Errorf("%q: %d messages (%d lines), want %d (%d)", args, n, len(got), wantN, len(want))
		}
	}
}

// TestScan_summaryRuleSeverity: the summary's per-rule severity is the
// highest severity of that rule's findings, not the catalogue's: a folder
// whose only TNEF part is valid (TNEF-001 at low) must not show TNEF-001 as
// crash beside "0 suspects".
func TestScan_summaryRuleSeverity(t *testing.T) {
	dir := t.TempDir()
	data, err := os.ReadFile("../../fixtures/rules/TNEF-001/pos-valid-low.eml")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "valid tnef.eml"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := runTool(t, "audit", "--json", dir)
	if code != exitOK {
		t.Fatalf("exit status %d, stderr:\n%s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var sum struct {
		Suspects int64 `json:"suspects"`
		Rules    []struct {
			Rule     string `json:"rule"`
			Severity string `json:"severity"`
		} `json:"rules"`
	}
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &sum); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, r := range sum.Rules {
		if r.Rule == "TNEF-001" {
			found = true
			if r.Severity != "low" {
				t.Errorf("summary shows TNEF-001 at %s for a valid TNEF part, want low", r.Severity)
			}
		}
	}
	if !found || sum.Suspects != 0 {
		t.Errorf("summary %s: want TNEF-001 listed and 0 suspects", lines[len(lines)-1])
	}
}

// TestScan_blockerAgeLimit: Q-002's threshold is the limit
// blocker-age-minutes, and blocker candidates lead the output, oldest
// first, ahead of messages with graver findings.
func TestScan_blockerAgeLimit(t *testing.T) {
	withNow(t, fixedNow)
	root := filepath.Join(t.TempDir(), "copy")
	if err := copyTree("testdata/mailroot", root); err != nil {
		t.Fatal(err)
	}
	pinTree(t, root, fixedNow)
	blockers := func(args ...string) (paths []string) {
		t.Helper()
		out, errOut, code := runTool(t, append([]string{"audit", "--json", "--all", filepath.Join(root, "vsi 1")}, args...)...)
		if code != exitSuspects {
			t.Fatalf("%v: exit status %d: %s", args, code, errOut)
		}
		var lastTime time.Time
		leading := true
		for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
			var m jsonMessage
			if err := json.Unmarshal([]byte(l), &m); err != nil {
				t.Fatal(err)
			}
			if m.Kind != "message" {
				continue
			}
			isBlocker := false
			for _, f := range m.Findings {
				isBlocker = isBlocker || f.Rule == "Q-002"
			}
			if isBlocker {
				if !leading {
					t.Errorf("%v: blocker candidate %s printed after other messages", args, m.Path)
				}
				mt, _ := time.Parse(time.RFC3339, m.MTime)
				if mt.Before(lastTime) {
					t.Errorf("%v: blocker %s (%s) printed after a newer one", args, m.Path, m.MTime)
				}
				lastTime = mt
				paths = append(paths, m.Path)
			}
			leading = leading && isBlocker
		}
		return paths
	}
	def := blockers()
	if len(def) < 2 {
		t.Fatalf("default threshold: blocker candidates %v, want at least 2 in the pinned tree", def)
	}
	// The pinned Queue items are 24h22m, 23h37m and 20h44m old.
	if some := blockers("--limit", "blocker-age-minutes=1440"); len(some) != 1 || some[0] != def[0] {
		t.Errorf("blocker-age-minutes=1440: candidates %v, want only the oldest, %s", some, def[0])
	}
	if none := blockers("--limit", "blocker-age-minutes=10000"); len(none) != 0 {
		t.Errorf("blocker-age-minutes=10000: candidates %v, want none", none)
	}
}
