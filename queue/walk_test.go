package queue

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/mailroot/mailroot/mime"
)

// walkAll walks l and returns the items sorted by path and the skips in
// report order.
func walkAll(t *testing.T, l *Layout, opts WalkOptions) ([]Item, []Skip) {
	t.Helper()
	var skips []Skip
	prev := opts.Skipped
	opts.Skipped = func(s Skip) {
		skips = append(skips, s)
		if prev != nil {
			prev(s)
		}
	}
	var items []Item
	if err := Walk(context.Background(), l, opts, func(it Item) error {
		items = append(items, it)
		return nil
	}); err != nil {
		t.Fatalf("Walk: %v", err)
	}
	sort.Slice(items, func(i, j int) bool { return items[i].Path < items[j].Path })
	return items, skips
}

// describe renders an item as one line: path relative to root, folder,
// members (role:name:size), rules, reason codes.
func describe(root string, it Item) string {
	rel := func(p string) string {
		r, err := filepath.Rel(root, p)
		if err != nil {
			return p
		}
		return filepath.ToSlash(r)
	}
	var ms []string
	for _, m := range it.Members {
		ms = append(ms, fmt.Sprintf("%s:%s:%d", m.Role, filepath.Base(m.Path), m.Size))
	}
	var rules []string
	for _, f := range it.Findings {
		rules = append(rules, f.Rule)
	}
	var codes []string
	for _, c := range it.ReasonCodes {
		codes = append(codes, c.Code)
	}
	return fmt.Sprintf("%s %s [%s] rules=%s codes=%s", rel(it.Path), it.Folder, strings.Join(ms, " "), strings.Join(rules, ","), strings.Join(codes, ","))
}

func TestWalk_fixtureMailroot(t *testing.T) {
	root := fixtureRoot
	l, err := Detect(filepath.Join(root, "vsi 1"))
	if err != nil {
		t.Fatal(err)
	}
	if l.Kind != KindVSI {
		t.Fatalf("kind %s, want %s", l.Kind, KindVSI)
	}
	items, skips := walkAll(t, l, WalkOptions{})
	want := []string{
		"vsi 1/BadMail/NTFS_7b2e4d1000000001.BAD badmail [message:NTFS_7b2e4d1000000001.BAD:1326 bdr:NTFS_7b2e4d1000000001.BDR:310 bdp:NTFS_7b2e4d1000000001.BDP:244] rules= codes=0xC00402C7",
		"vsi 1/BadMail/NTFS_7b2e4d1000000002.BAD badmail [message:NTFS_7b2e4d1000000002.BAD:143 bdr:NTFS_7b2e4d1000000002.BDR:182 bdp:NTFS_7b2e4d1000000002.BDP:244] rules= codes=0xC00402CE",
		"vsi 1/BadMail/NTFS_7b2e4d1000000003.BAD badmail [message:NTFS_7b2e4d1000000003.BAD:172 bdr:NTFS_7b2e4d1000000003.BDR:196] rules=Q-003 codes=0xC00402C7",
		"vsi 1/BadMail/NTFS_7b2e4d1000000004.BDR badmail [bdr:NTFS_7b2e4d1000000004.BDR:90] rules=Q-003 codes=0xC00402CE",
		"vsi 1/PickUp/clean.eml pickup [message:clean.eml:386] rules= codes=",
		"vsi 1/PickUp/lone-dot.eml pickup [message:lone-dot.eml:268] rules= codes=",
		"vsi 1/PickUp/no-sender.eml pickup [message:no-sender.eml:172] rules= codes=",
		"vsi 1/Queue/NTFS_3a1f0c2e00000001.EML queue [message:NTFS_3a1f0c2e00000001.EML:481] rules= codes=",
		"vsi 1/Queue/NTFS_3a1f0c2e00000002.EML queue [message:NTFS_3a1f0c2e00000002.EML:853] rules= codes=",
		"vsi 1/Queue/NTFS_3a1f0c2e00000003.EML queue [message:NTFS_3a1f0c2e00000003.EML:285] rules= codes=",
		"vsi 1/Queue/NTFS_3a1f0c2e00000004.EML queue [message:NTFS_3a1f0c2e00000004.EML:10318] rules= codes=",
		"vsi 1/Queue/NTFS_3a1f0c2e00000005.EML queue [message:NTFS_3a1f0c2e00000005.EML:540] rules= codes=",
		"vsi 1/Queue/NTFS_3a1f0c2e00000006.EML queue [message:NTFS_3a1f0c2e00000006.EML:273] rules= codes=",
		"vsi 1/Queue/NTFS_3a1f0c2e00000007.EML queue [message:NTFS_3a1f0c2e00000007.EML:224] rules= codes=",
		"vsi 1/Queue/NTFS_3a1f0c2e00000008.EML queue [message:NTFS_3a1f0c2e00000008.EML:0] rules=Q-001 codes=",
	}
	if runtime.GOOS == "windows" {
		// A checked-out queue file has no alternate data stream, so on
		// NTFS every non-empty one also gets Q-001 (see the fixture README).
		for i, w := range want {
			if strings.Contains(w, " queue [") && !strings.Contains(w, ":0]") {
				want[i] = strings.Replace(w, "rules=", "rules=Q-001", 1)
			}
		}
	}
	var got []string
	for _, it := range items {
		got = append(got, describe(root, it))
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("items:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	reasons := map[string]string{}
	for _, it := range items {
		if it.Folder != mime.FolderBadMail {
			if it.Reason != "" {
				t.Errorf("%s: reason %q outside BadMail", it.Path, it.Reason)
			}
			continue
		}
		reasons[filepath.Base(it.Path)] = it.Reason
	}
	if r := reasons["NTFS_7b2e4d1000000002.BAD"]; r != "Error is processing file in pickup directory.\r\n\r\nThe specific error code was 0xC00402CE." {
		t.Errorf("UTF-16LE reason decoded as %q", r)
	}
	if r := reasons["NTFS_7b2e4d1000000001.BAD"]; !strings.HasPrefix(r, "Unable to deliver this message because the following error was encountered: \"This message is a delivery status notification that cannot be delivered.\".") {
		t.Errorf("ANSI reason = %q", r)
	}
	for _, it := range items {
		if strings.HasSuffix(it.Path, "0004.BDR") {
			if len(it.ReasonCodes) != 1 || it.ReasonCodes[0].Reference != "KB 319285" {
				t.Errorf("orphan BDR codes = %+v, want 0xC00402CE with KB 319285", it.ReasonCodes)
			}
			f := it.Findings[0]
			if !strings.Contains(f.Message, "no .BAD") || !strings.Contains(f.Message, "no .BDP") || !strings.Contains(f.Message, "0xC00402CE") {
				t.Errorf("orphan Q-003 message %q must name the missing members and the reason", f.Message)
			}
			if f.Severity != mime.Low || f.Part != "" || f.Offset != 0 || f.Line != 0 {
				t.Errorf("orphan Q-003 finding = %+v", f)
			}
		}
	}

	var gotSkips []string
	for _, s := range skips {
		rel, _ := filepath.Rel(root, s.Path)
		gotSkips = append(gotSkips, filepath.ToSlash(rel)+" "+string(s.Reason))
	}
	sort.Strings(gotSkips)
	wantSkips := []string{
		"vsi 1/Queue/NTFS_3a1f0c2e00000009.LTR transcript",
		"vsi 1/Queue/Retry subfolder",
	}
	if strings.Join(gotSkips, "\n") != strings.Join(wantSkips, "\n") {
		t.Errorf("skips:\n%s\nwant:\n%s", strings.Join(gotSkips, "\n"), strings.Join(wantSkips, "\n"))
	}
}

// writeFiles creates files with the given contents under dir.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestWalk_badMailGrouping(t *testing.T) {
	tests := []struct {
		name  string
		files []string
		want  []string // describe() lines relative to the BadMail folder, sorted
	}{
		{
			name:  "complete triplet",
			files: []string{"A.BAD", "A.BDR", "A.BDP"},
			want:  []string{"A.BAD badmail [message:A.BAD:5 bdr:A.BDR:5 bdp:A.BDP:5] rules= codes="},
		},
		{
			name:  "missing BDR",
			files: []string{"A.BAD", "A.BDP"},
			want:  []string{"A.BAD badmail [message:A.BAD:5 bdp:A.BDP:5] rules=Q-003 codes="},
		},
		{
			name:  "missing BDP",
			files: []string{"A.BAD", "A.BDR"},
			want:  []string{"A.BAD badmail [message:A.BAD:5 bdr:A.BDR:5] rules=Q-003 codes="},
		},
		{
			name:  "BAD alone",
			files: []string{"A.BAD"},
			want:  []string{"A.BAD badmail [message:A.BAD:5] rules=Q-003 codes="},
		},
		{
			name:  "orphan BDR",
			files: []string{"A.BDR"},
			want:  []string{"A.BDR badmail [bdr:A.BDR:5] rules=Q-003 codes="},
		},
		{
			name:  "orphan BDR and BDP are one unit",
			files: []string{"A.BDP", "A.BDR"},
			want:  []string{"A.BDR badmail [bdr:A.BDR:5 bdp:A.BDP:5] rules=Q-003 codes="},
		},
		{
			name:  "orphan BDP",
			files: []string{"A.BDP"},
			want:  []string{"A.BDP badmail [bdp:A.BDP:5] rules=Q-003 codes="},
		},
		{
			name:  "lower-case extensions",
			files: []string{"a.bad", "a.bdr", "a.bdp"},
			want:  []string{"a.bad badmail [message:a.bad:5 bdr:a.bdr:5 bdp:a.bdp:5] rules= codes="},
		},
		{
			name:  "extension case differs between members",
			files: []string{"A.BAD", "A.bdr", "A.Bdp"},
			want:  []string{"A.BAD badmail [message:A.BAD:5 bdr:A.bdr:5] rules=Q-003 codes=", "A.Bdp badmail [bdp:A.Bdp:5] rules=Q-003 codes="},
		},
		{
			name:  "base case differs (single-case bases pair up)",
			files: []string{"NTFS_AB.BAD", "ntfs_ab.bdr", "NTFS_AB.bdp"},
			want:  []string{"NTFS_AB.BAD badmail [message:NTFS_AB.BAD:5 bdr:ntfs_ab.bdr:5 bdp:NTFS_AB.bdp:5] rules= codes="},
		},
		{
			name:  "mixed-case bases that differ are not paired, and nothing is reported twice",
			files: []string{"Ab.BAD", "aB.BDR", "ab.BDP"},
			want: []string{
				"Ab.BAD badmail [message:Ab.BAD:5] rules=Q-003 codes=",
				"aB.BDR badmail [bdr:aB.BDR:5] rules=Q-003 codes=",
				"ab.BDP badmail [bdp:ab.BDP:5] rules=Q-003 codes=",
			},
		},
		{
			name:  "two units and a plain file",
			files: []string{"A.BAD", "A.BDR", "A.BDP", "B.BAD", "B.BDR", "B.BDP", "readme.txt"},
			want: []string{
				"A.BAD badmail [message:A.BAD:5 bdr:A.BDR:5 bdp:A.BDP:5] rules= codes=",
				"B.BAD badmail [message:B.BAD:5 bdr:B.BDR:5 bdp:B.BDP:5] rules= codes=",
				"readme.txt badmail [message:readme.txt:5] rules= codes=",
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "BadMail")
			files := map[string]string{}
			for _, f := range tc.files {
				files[f] = "12345"
			}
			writeFiles(t, dir, files)
			l, err := Detect(dir)
			if err != nil {
				t.Fatal(err)
			}
			items, skips := walkAll(t, l, WalkOptions{})
			var got []string
			for _, it := range items {
				got = append(got, describe(dir, it))
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("items:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
			if len(skips) != 0 {
				t.Errorf("unexpected skips %+v", skips)
			}
			// Every file appears in exactly one item.
			count := map[string]int{}
			for _, it := range items {
				for _, m := range it.Members {
					count[filepath.Base(m.Path)]++
				}
			}
			for _, f := range tc.files {
				if count[f] > 1 {
					t.Errorf("%s is in %d items", f, count[f])
				}
			}
		})
	}
}

func TestWalk_badMailSingleFileNamed(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "BadMail")
	writeFiles(t, dir, map[string]string{"A.BAD": "x", "A.BDR": "The specific error code was 0xC00402CE.", "A.BDP": "\x00\x01"})
	for _, name := range []string{"A.BAD", "A.BDR", "A.BDP"} {
		l, err := Detect(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		items, _ := walkAll(t, l, WalkOptions{})
		if len(items) != 1 || filepath.Base(items[0].Path) != "A.BAD" || len(items[0].Members) != 3 || len(items[0].ReasonCodes) != 1 {
			t.Errorf("naming %s: items %+v, want the whole unit at A.BAD", name, items)
		}
	}
}

func TestWalk_skips(t *testing.T) {
	root := t.TempDir()
	outside := t.TempDir()
	writeFiles(t, outside, map[string]string{"secret.eml": "From: x\r\n\r\n"})
	vsi := filepath.Join(root, "vsi 1")
	writeFiles(t, filepath.Join(vsi, "Queue"), map[string]string{"NTFS_1.EML": "a", "NTFS_1.LTR": "t", "NTFS_2.rtr": "t"})
	writeFiles(t, filepath.Join(vsi, "Queue", "nested"), map[string]string{"NTFS_9.EML": "n"})
	writeFiles(t, filepath.Join(vsi, "PickUp"), map[string]string{"a.eml": "a", "b.TMP": "t"})
	writeFiles(t, filepath.Join(vsi, "Quarantine"), map[string]string{"q.eml": "q"})
	if err := os.Symlink(filepath.Join(outside, "secret.eml"), filepath.Join(vsi, "Queue", "NTFS_LINK.EML")); err != nil {
		t.Skipf("symlinks not available: %v", err)
	}
	if err := os.Symlink(outside, filepath.Join(vsi, "PickUp", "escape")); err != nil {
		t.Fatal(err)
	}
	l, err := Detect(vsi)
	if err != nil {
		t.Fatal(err)
	}
	items, skips := walkAll(t, l, WalkOptions{})
	var got []string
	for _, it := range items {
		got = append(got, describe(vsi, it))
	}
	want := []string{
		"PickUp/a.eml pickup [message:a.eml:1] rules= codes=",
		"Queue/NTFS_1.EML queue [message:NTFS_1.EML:1] rules= codes=",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("items:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	var gotSkips []string
	for _, s := range skips {
		rel, _ := filepath.Rel(vsi, s.Path)
		gotSkips = append(gotSkips, filepath.ToSlash(rel)+" "+string(s.Folder)+" "+string(s.Reason))
		if s.Detail == "" {
			t.Errorf("skip %s has no detail", s.Path)
		}
		if s.ReadFailure() {
			t.Errorf("skip %s counted as a read failure", s.Path)
		}
	}
	sort.Strings(gotSkips)
	wantSkips := []string{
		"PickUp/b.TMP pickup in-progress",
		"PickUp/escape pickup link",
		"Quarantine  quarantine-store",
		"Queue/NTFS_1.LTR queue transcript",
		"Queue/NTFS_2.rtr queue transcript",
		"Queue/NTFS_LINK.EML queue link",
		"Queue/nested queue subfolder",
	}
	if strings.Join(gotSkips, "\n") != strings.Join(wantSkips, "\n") {
		t.Errorf("skips:\n%s\nwant:\n%s", strings.Join(gotSkips, "\n"), strings.Join(wantSkips, "\n"))
	}
}

func TestWalk_exclude(t *testing.T) {
	root := t.TempDir()
	writeFiles(t, filepath.Join(root, "mailroot", "Queue"), map[string]string{"a.eml": "a"})
	writeFiles(t, filepath.Join(root, "mailroot", "Drop"), map[string]string{"b.eml": "b"})
	l, err := Detect(filepath.Join(root, "mailroot"))
	if err != nil {
		t.Fatal(err)
	}
	items, skips := walkAll(t, l, WalkOptions{Exclude: []string{filepath.Join(root, "mailroot", "Drop") + string(filepath.Separator)}})
	if len(items) != 1 || items[0].Folder != mime.FolderQueue {
		t.Errorf("items %+v, want only the Queue file", items)
	}
	if len(skips) != 1 || skips[0].Reason != SkipExcluded {
		t.Errorf("skips %+v, want Drop excluded", skips)
	}
}

func TestWalk_vanishedMidWalk(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("on Windows the listing itself carries the file data (FindNextFile), so a file removed after listing is still emitted; the caller's open then reports it with SkipFor")
	}
	dir := filepath.Join(t.TempDir(), "Queue")
	writeFiles(t, dir, map[string]string{"NTFS_1.EML": "a", "NTFS_2.EML": "b", "NTFS_3.EML": "c"})
	testHookBatch = func(d string, names []string) {
		os.Remove(filepath.Join(d, "NTFS_2.EML"))
	}
	defer func() { testHookBatch = nil }()
	l, err := Detect(dir)
	if err != nil {
		t.Fatal(err)
	}
	items, skips := walkAll(t, l, WalkOptions{})
	if len(items) != 2 {
		t.Errorf("got %d items, want 2", len(items))
	}
	if len(skips) != 1 || skips[0].Reason != SkipVanished || filepath.Base(skips[0].Path) != "NTFS_2.EML" || skips[0].ReadFailure() {
		t.Errorf("skips %+v, want NTFS_2.EML vanished", skips)
	}
}

func TestWalk_badMailMemberVanishes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "BadMail")
	writeFiles(t, dir, map[string]string{"A.BAD": "a", "A.BDR": "r", "A.BDP": "p"})
	testHookBatch = func(d string, names []string) { os.Remove(filepath.Join(d, "A.BDP")) }
	defer func() { testHookBatch = nil }()
	l, err := Detect(dir)
	if err != nil {
		t.Fatal(err)
	}
	items, _ := walkAll(t, l, WalkOptions{})
	if len(items) != 1 || len(items[0].Members) != 2 || len(items[0].Findings) != 1 || items[0].Findings[0].Rule != "Q-003" {
		t.Errorf("items %+v, want one unit missing its BDP", items)
	}
}

func TestWalk_unreadable(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("chmod cannot deny reading on Windows (it only sets the read-only attribute)")
	}
	if os.Geteuid() == 0 {
		t.Skip("running as root: permission bits do not stop root from reading, so an unreadable file cannot be made")
	}
	dir := filepath.Join(t.TempDir(), "Queue")
	writeFiles(t, dir, map[string]string{"NTFS_1.EML": "a", "NTFS_2.EML": "b"})
	if err := os.Chmod(filepath.Join(dir, "NTFS_2.EML"), 0); err != nil {
		t.Fatal(err)
	}
	l, err := Detect(dir)
	if err != nil {
		t.Fatal(err)
	}
	items, skips := walkAll(t, l, WalkOptions{Probe: true})
	if len(items) != 1 || len(skips) != 1 || skips[0].Reason != SkipDenied || !skips[0].ReadFailure() {
		t.Errorf("items %d, skips %+v: want one item and NTFS_2.EML permission-denied", len(items), skips)
	}
}

// TestWalk_probeNotFound checks the Probe path with a mechanism that works
// as root too: the file disappears between listing and probing.
func TestWalk_probeNotFound(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "Queue")
	writeFiles(t, dir, map[string]string{"NTFS_1.EML": "a"})
	l, err := Detect(dir)
	if err != nil {
		t.Fatal(err)
	}
	// Replace the file by a dangling name only the probe sees: remove it
	// after Info (which the hook cannot reach), so instead check SkipFor.
	s := SkipFor(filepath.Join(dir, "gone"), mime.FolderQueue, &os.PathError{Op: "open", Path: "gone", Err: os.ErrNotExist})
	if s.Reason != SkipVanished {
		t.Errorf("SkipFor(not exist) = %s", s.Reason)
	}
	s = SkipFor("x", mime.FolderQueue, &os.PathError{Op: "open", Path: "x", Err: os.ErrPermission})
	if s.Reason != SkipDenied || !s.ReadFailure() {
		t.Errorf("SkipFor(permission) = %+v", s)
	}
	s = SkipFor("x", mime.FolderQueue, errors.New("i/o error"))
	if s.Reason != SkipUnreadable || !s.ReadFailure() {
		t.Errorf("SkipFor(other) = %+v", s)
	}
	items, skips := walkAll(t, l, WalkOptions{Probe: true})
	if len(items) != 1 || len(skips) != 0 {
		t.Errorf("probe of a readable file: items %d skips %+v", len(items), skips)
	}
}

func TestWalk_topLevelErrors(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "Queue")
	writeFiles(t, dir, map[string]string{"a.eml": "a"})
	l, err := Detect(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	err = Walk(context.Background(), l, WalkOptions{}, func(Item) error { return nil })
	var pe *PathError
	if !errors.As(err, &pe) || pe.Path != dir {
		t.Errorf("Walk on a vanished root = %v, want *PathError naming %s", err, dir)
	}

	// A mail folder of a layout that vanishes is a skip, not an error.
	root := t.TempDir()
	writeFiles(t, filepath.Join(root, "vsi 1", "Queue"), map[string]string{"a.eml": "a"})
	writeFiles(t, filepath.Join(root, "vsi 1", "PickUp"), map[string]string{"b.eml": "b"})
	l, err = Detect(filepath.Join(root, "vsi 1"))
	if err != nil {
		t.Fatal(err)
	}
	os.RemoveAll(filepath.Join(root, "vsi 1", "PickUp"))
	items, skips := walkAll(t, l, WalkOptions{})
	if len(items) != 1 || len(skips) != 1 || skips[0].Reason != SkipVanished {
		t.Errorf("items %d skips %+v, want Queue item and PickUp vanished", len(items), skips)
	}
}

func TestWalk_fnErrorAndCancel(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "Queue")
	writeFiles(t, dir, map[string]string{"a.eml": "a", "b.eml": "b"})
	l, _ := Detect(dir)
	stop := errors.New("stop")
	n := 0
	err := Walk(context.Background(), l, WalkOptions{}, func(Item) error { n++; return stop })
	if !errors.Is(err, stop) || n != 1 {
		t.Errorf("Walk = %v after %d items, want fn's error after 1", err, n)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Walk(ctx, l, WalkOptions{}, func(Item) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("Walk with cancelled ctx = %v", err)
	}
}

func TestWalk_env004AndExchangePickup(t *testing.T) {
	root := filepath.Join(t.TempDir(), "TransportRoles")
	writeFiles(t, filepath.Join(root, "Pickup"), map[string]string{"ok.eml": "a", "noext": "b", "x.bad": "c", "y.tmp": "d"})
	writeFiles(t, filepath.Join(root, "Replay"), map[string]string{"r.EML": "a", "r.txt": "b"})
	writeFiles(t, filepath.Join(root, "..", "iis", "Pickup"), map[string]string{"ro.eml": "a", "noext": "b"})
	if err := os.Chmod(filepath.Join(root, "..", "iis", "Pickup", "ro.eml"), 0o444); err != nil {
		t.Fatal(err)
	}
	// Windows cannot delete a read-only file: let TempDir clean up.
	t.Cleanup(func() { os.Chmod(filepath.Join(root, "..", "iis", "Pickup", "ro.eml"), 0o644) })
	var got []string
	for _, p := range []string{root, filepath.Join(root, "..", "iis", "Pickup")} {
		l, err := Detect(p)
		if err != nil {
			t.Fatal(err)
		}
		items, _ := walkAll(t, l, WalkOptions{})
		for _, it := range items {
			got = append(got, describe(filepath.Dir(root), it))
		}
	}
	want := []string{
		"TransportRoles/Pickup/noext exchange-pickup [message:noext:1] rules=ENV-004 codes=",
		"TransportRoles/Pickup/ok.eml exchange-pickup [message:ok.eml:1] rules= codes=",
		"TransportRoles/Pickup/x.bad exchange-pickup [message:x.bad:1] rules= codes=",
		"TransportRoles/Replay/r.EML replay [message:r.EML:1] rules= codes=",
		"TransportRoles/Replay/r.txt replay [message:r.txt:1] rules=ENV-004 codes=",
		"iis/Pickup/noext pickup [message:noext:1] rules= codes=",
		"iis/Pickup/ro.eml pickup [message:ro.eml:1] rules=ENV-004 codes=",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("items:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestWalk_200kFiles walks a generated folder of 200,000 tiny files and
// checks that heap use does not grow with the file count.
func TestWalk_200kFiles(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: generating 200,000 files takes a while")
	}
	const n = 200_000
	dir := filepath.Join(t.TempDir(), "Queue")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	// Hard links to one empty file are much cheaper to make than 200,000
	// files, and list exactly like them; fall back to files where links
	// are not supported.
	// A new seed every 1,000 links stays under per-file link limits
	// (NTFS 1,023; ext4 65,000).
	seeds := t.TempDir()
	var seed string
	link := true
	for i := 0; i < n; i++ {
		name := filepath.Join(dir, fmt.Sprintf("NTFS_%016x.EML", i))
		if link && i%1000 == 0 {
			seed = filepath.Join(seeds, fmt.Sprint(i))
			if err := os.WriteFile(seed, nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if link {
			if err := os.Link(seed, name); err == nil {
				continue
			}
			link = false
		}
		if err := os.WriteFile(name, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("created %d files in %v", n, time.Since(start))
	l, err := Detect(dir)
	if err != nil {
		t.Fatal(err)
	}
	var before, peak runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	count := 0
	start = time.Now()
	err = Walk(context.Background(), l, WalkOptions{}, func(it Item) error {
		count++
		if count%20_000 == 0 {
			runtime.GC()
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			if m.HeapInuse > peak.HeapInuse {
				peak = m
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("walked %d files in %v", count, time.Since(start))
	if count != n {
		t.Errorf("walked %d items, want %d", count, n)
	}
	// A full listing of 200,000 names and items would take tens of MB;
	// streaming stays within a few batches.
	const bound = 8 << 20
	if peak.HeapInuse > before.HeapInuse+bound {
		t.Errorf("heap in use grew by %d bytes (from %d to %d), want < %d", peak.HeapInuse-before.HeapInuse, before.HeapInuse, peak.HeapInuse, bound)
	}
}

// BenchmarkWalk measures walking a Queue folder of 10,000 small files
// (allocations per walk show that nothing is kept per file).
func BenchmarkWalk(b *testing.B) {
	dir := filepath.Join(b.TempDir(), "Queue")
	if err := os.Mkdir(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	const n = 10_000
	for i := 0; i < n; i++ {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("NTFS_%016x.EML", i)), []byte("x"), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	l, err := Detect(dir)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		count := 0
		if err := Walk(context.Background(), l, WalkOptions{}, func(Item) error { count++; return nil }); err != nil {
			b.Fatal(err)
		}
		if count != n {
			b.Fatalf("%d items", count)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/file")
}
