package quarantine

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mailroot/mailroot/mime"
	"github.com/mailroot/mailroot/queue"
)

func TestRoundTrip(t *testing.T) {
	root := t.TempDir()
	items := buildTree(t, root, 5)
	storeDir := DefaultDir(filepath.Join(root, "vsi 1"))
	orig := snapshot(t, root, storeDir)
	s := openStore(t, storeDir)
	defer s.Close()

	var ids []string
	for _, it := range items {
		rep := &mime.Report{Findings: []mime.Finding{{Rule: "MIME-001", Severity: mime.Crash, Part: "1", Message: "test"}},
			Envelope: &mime.Envelope{Format: "pickup", Sender: "a@example.com", Recipients: []string{"b@example.com"}}}
		rec, err := s.Add(ctx(), AddRequest{Item: it, Report: rep})
		tcheck(t, err, "add "+it.Path)
		if rec.State != StateQuarantined || len(rec.Files) != len(it.Members) {
			t.Fatalf("record %+v", rec)
		}
		for _, m := range it.Members {
			if _, err := os.Lstat(m.Path); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("%s still at source after add", m.Path)
			}
		}
		ids = append(ids, rec.ID)
	}
	// IDs sort in creation order and are distinct.
	for i := 1; i < len(ids); i++ {
		if ids[i] <= ids[i-1] {
			t.Errorf("IDs not increasing: %s then %s", ids[i-1], ids[i])
		}
	}
	if left := snapshot(t, root, storeDir); len(left) != 0 {
		t.Fatalf("files left in the tree after quarantining everything: %v", left)
	}
	checkExactlyOnce(t, orig, root)
	checkStoreConsistent(t, s)

	// BadMail unit: one item, three files, roles kept.
	recs, err := s.List(Filter{Folder: mime.FolderBadMail})
	tcheck(t, err, "list")
	if len(recs) != 5 || len(recs[0].Files) != 3 || recs[0].Files[2].Role != RoleBDP || !recs[0].Files[2].ReadOnly {
		t.Fatalf("badmail records: %+v", recs[0])
	}
	if recs, _ := s.List(Filter{Rule: "mime-001"}); len(recs) != len(items) {
		t.Errorf("rule filter: %d of %d", len(recs), len(items))
	}

	for _, id := range ids {
		_, err := s.Restore(ctx(), id, false)
		tcheck(t, err, "restore "+id)
	}
	after := snapshot(t, root, storeDir)
	if len(after) != len(orig) {
		t.Fatalf("restored %d files, want %d", len(after), len(orig))
	}
	for rel, h := range orig {
		if after[rel] != h {
			t.Errorf("%s: not byte-identical after round trip", rel)
		}
		fi, err := os.Stat(filepath.Join(root, rel))
		tcheck(t, err, "stat")
		if !fi.ModTime().Equal(time.Date(2004, 5, 6, 7, 8, 9, 0, time.UTC)) && !strings.HasSuffix(rel, ".BDR") && !strings.HasSuffix(rel, ".BDP") {
			t.Errorf("%s: modification time not kept: %v", rel, fi.ModTime())
		}
	}
	checkStoreConsistent(t, s)
	rec, err := s.Get(ids[0])
	tcheck(t, err, "get")
	if rec.State != StateRestored || len(rec.History) != 2 || rec.History[1].Action != "restored" || rec.History[0].By.User != "tester" {
		t.Errorf("history after restore: %+v", rec.History)
	}
	// Restoring twice is refused.
	if _, err := s.Restore(ctx(), ids[0], false); !errors.Is(err, ErrState) {
		t.Errorf("second restore: %v", err)
	}
}

func TestStoreCreatedOwnerOnly(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Unix modes")
	}
	dir := filepath.Join(t.TempDir(), "Quarantine")
	s := openStore(t, dir)
	defer s.Close()
	fi, err := os.Stat(dir)
	tcheck(t, err, "stat")
	if fi.Mode().Perm() != 0o700 {
		t.Errorf("store mode %v, want 0700", fi.Mode().Perm())
	}
	if !IsStore(dir) {
		t.Error("IsStore false for a store")
	}
}

func TestOpen_unsafeStoreRefused(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Unix modes")
	}
	for _, mode := range []os.FileMode{0o777, 0o770, 0o702} {
		dir := filepath.Join(t.TempDir(), "Q")
		tcheck(t, os.Mkdir(dir, 0o700), "mkdir")
		tcheck(t, os.Chmod(dir, mode), "chmod")
		_, err := Open(dir, Options{Create: true})
		if !IsUnsafeStore(err) || !strings.Contains(err.Error(), "writable by group or others") {
			t.Errorf("mode %v: got %v, want an unsafe-store error", mode, err)
		}
		if exists(filepath.Join(dir, JournalFile)) {
			t.Errorf("mode %v: journal created in a refused store", mode)
		}
	}
}

func TestOpen_missingStore(t *testing.T) {
	_, err := Open(filepath.Join(t.TempDir(), "none"), Options{})
	if !errors.Is(err, ErrNoStore) {
		t.Errorf("got %v, want ErrNoStore", err)
	}
}

func TestOpen_lockHeld(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "Q")
	s := openStore(t, dir)
	_, err := Open(dir, Options{Create: true})
	if !IsLocked(err) {
		t.Fatalf("second open: %v, want a locked error", err)
	}
	if !strings.Contains(err.Error(), "pid") {
		t.Errorf("locked error does not say who holds it: %v", err)
	}
	s.Close()
	s2, err := Open(dir, Options{})
	tcheck(t, err, "open after close")
	s2.Close()
}

func TestAdd_vanished(t *testing.T) {
	root := t.TempDir()
	items := buildTree(t, root, 1)
	s := openStore(t, filepath.Join(root, "Q"))
	defer s.Close()
	tcheck(t, os.Remove(items[1].Path), "remove")
	_, err := s.Add(ctx(), AddRequest{Item: items[1]})
	var se *SkippedError
	if !errors.As(err, &se) || se.Reason != SkipVanished || se.Path != items[1].Path {
		t.Fatalf("got %v, want vanished skip naming the file", err)
	}
	// BadMail unit with one member gone: nothing of the unit moves.
	tcheck(t, os.Remove(items[2].Members[1].Path), "remove")
	_, err = s.Add(ctx(), AddRequest{Item: items[2]})
	if !IsSkipped(err) {
		t.Fatalf("got %v", err)
	}
	if !exists(items[2].Path) || !exists(items[2].Members[2].Path) {
		t.Error("members of a partly vanished unit were moved")
	}
	if ids, _ := s.itemIDs(); len(ids) != 0 {
		t.Errorf("item folders created: %v", ids)
	}
}

func TestAdd_lockedFile(t *testing.T) {
	root := t.TempDir()
	items := buildTree(t, root, 1)
	s := openStore(t, filepath.Join(root, "Q"))
	defer s.Close()
	for _, step := range []string{"hash-source", "rename"} {
		faultHook = func(st string) error {
			if st == step {
				return &os.PathError{Op: "open", Path: items[0].Path, Err: errSharingViolation}
			}
			return nil
		}
		_, err := s.Add(ctx(), AddRequest{Item: items[0]})
		faultHook = nil
		var se *SkippedError
		if !errors.As(err, &se) || se.Reason != SkipLocked {
			t.Fatalf("%s: got %v, want a locked skip", step, err)
		}
		if !strings.Contains(err.Error(), "in use by another process") {
			t.Errorf("message: %v", err)
		}
		if !exists(items[0].Path) {
			t.Fatalf("%s: locked file was moved", step)
		}
	}
	if ids, _ := s.itemIDs(); len(ids) != 0 {
		t.Errorf("item folders left: %v", ids)
	}
	checkStoreConsistent(t, s)
}

func TestAdd_changedSinceScan(t *testing.T) {
	root := t.TempDir()
	items := buildTree(t, root, 1)
	s := openStore(t, filepath.Join(root, "Q"))
	defer s.Close()
	it := items[0]
	b, _ := os.ReadFile(it.Path)
	// Same size and time, different content: only the hash catches it.
	_, err := s.Add(ctx(), AddRequest{Item: it, ScannedSHA256: map[string]string{it.Path: sha(append(b, 'x'))}})
	var ce *ChangedError
	if !errors.As(err, &ce) || ce.Field != "sha256" {
		t.Fatalf("got %v, want sha256 change", err)
	}
	writeMsg(t, it.Path, "grown")
	_, err = s.Add(ctx(), AddRequest{Item: it})
	if !errors.As(err, &ce) || ce.Field != "size" {
		t.Fatalf("got %v, want size change", err)
	}
	if !exists(it.Path) {
		t.Fatal("changed file moved")
	}
	// With the right hash it goes.
	it = itemFor(t, it.Path, it.Folder)
	b, _ = os.ReadFile(it.Path)
	_, err = s.Add(ctx(), AddRequest{Item: it, ScannedSHA256: map[string]string{it.Path: sha(b)}})
	tcheck(t, err, "add")
}

func TestAdd_serviceGuard(t *testing.T) {
	root := t.TempDir()
	items := buildTree(t, root, 1)
	s := openStore(t, filepath.Join(root, "Q"))
	defer s.Close()
	defer func(f func(string) (bool, error)) { serviceRunningFunc = f }(serviceRunningFunc)
	serviceRunningFunc = func(name string) (bool, error) { return name == SMTPService, nil }
	_, err := s.Add(ctx(), AddRequest{Item: items[0]})
	if !IsServiceRunning(err) || !strings.Contains(err.Error(), "stop the SMTP virtual server") {
		t.Fatalf("got %v", err)
	}
	// Pickup files are not guarded; --force overrides for Queue.
	_, err = s.Add(ctx(), AddRequest{Item: items[1]})
	tcheck(t, err, "pickup add")
	_, err = s.Add(ctx(), AddRequest{Item: items[0], Force: true})
	tcheck(t, err, "forced add")
	serviceRunningFunc = func(string) (bool, error) { return false, errors.New("access denied") }
	items = buildTree(t, t.TempDir(), 1)
	if _, err := s.Add(ctx(), AddRequest{Item: items[0]}); !IsServiceRunning(err) {
		t.Errorf("unknown service state: %v, want refusal", err)
	}
}

func TestAdd_refusesSymlinkAndStoreFiles(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("symlinks need privileges")
	}
	root := t.TempDir()
	items := buildTree(t, root, 1)
	s := openStore(t, filepath.Join(root, "Q"))
	defer s.Close()
	link := filepath.Join(root, "vsi 1", "Queue", "link.eml")
	tcheck(t, os.Symlink(items[0].Path, link), "symlink")
	if _, err := s.Add(ctx(), AddRequest{Item: queue.Item{Path: link}}); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("symlink: %v", err)
	}
	if _, err := s.Add(ctx(), AddRequest{Item: queue.Item{Path: filepath.Join(s.Dir(), JournalFile)}}); err == nil {
		t.Error("quarantining the journal was accepted")
	}
	p := filepath.Join(root, "item.json")
	writeMsg(t, p, "")
	if _, err := s.Add(ctx(), AddRequest{Item: queue.Item{Path: p}}); err == nil || !strings.Contains(err.Error(), "reserved") {
		t.Errorf("reserved name: %v", err)
	}
}

func TestAdd_itemFolderAlreadyExists(t *testing.T) {
	root := t.TempDir()
	items := buildTree(t, root, 1)
	s := openStore(t, filepath.Join(root, "Q"))
	defer s.Close()
	// Predict the next ID and occupy its folder with someone else's file.
	zero := bytes.NewReader(make([]byte, 64))
	s.ids = idGen{last: s.ids.last, rand: zero}
	probeGen := s.ids
	next := probeGen.next(time.Now().Add(time.Hour))
	s.ids.last = probeGen.last - 1 // the next call yields exactly `next`
	occupied := filepath.Join(s.Dir(), next)
	tcheck(t, os.Mkdir(occupied, 0o700), "mkdir")
	tcheck(t, os.WriteFile(filepath.Join(occupied, filepath.Base(items[1].Path)), []byte("not ours"), 0o600), "write")
	rec, err := s.Add(ctx(), AddRequest{Item: items[1]})
	tcheck(t, err, "add")
	if rec.ID == next {
		t.Fatalf("Add reused the occupied folder %s", next)
	}
	b, _ := os.ReadFile(filepath.Join(occupied, filepath.Base(items[1].Path)))
	if string(b) != "not ours" {
		t.Error("existing file in the store was overwritten")
	}
	// And a destination file that exists is never overwritten by a move.
	dst := filepath.Join(t.TempDir(), "x")
	tcheck(t, os.WriteFile(dst, []byte("keep"), 0o600), "write")
	src := filepath.Join(t.TempDir(), "x")
	tcheck(t, os.WriteFile(src, []byte("new"), 0o600), "write")
	if err := renameNoReplace(src, dst); !IsExists(err) {
		t.Errorf("renameNoReplace over a file: %v", err)
	}
	if b, _ := os.ReadFile(dst); string(b) != "keep" {
		t.Error("destination overwritten")
	}
}

func TestRestore_refusals(t *testing.T) {
	root := t.TempDir()
	items := buildTree(t, root, 1)
	s := openStore(t, filepath.Join(root, "Q"))
	defer s.Close()
	rec, err := s.Add(ctx(), AddRequest{Item: items[1]})
	tcheck(t, err, "add")

	// Dry run changes nothing.
	res, err := s.Restore(ctx(), rec.ID[:6], true)
	tcheck(t, err, "dry run")
	if !res.DryRun || res.Files[0].To != items[1].Path || exists(items[1].Path) {
		t.Fatalf("dry run: %+v", res)
	}
	// Something now exists at the original path.
	writeMsg(t, items[1].Path, "newcomer")
	if _, err := s.Restore(ctx(), rec.ID, false); !IsExists(err) {
		t.Fatalf("got %v, want exists", err)
	}
	b, _ := os.ReadFile(items[1].Path)
	if !strings.Contains(string(b), "newcomer") {
		t.Fatal("newcomer overwritten")
	}
	tcheck(t, os.Remove(items[1].Path), "rm")
	// Altered store copy.
	stored := filepath.Join(s.ItemDir(rec.ID), filepath.Base(items[1].Path))
	tcheck(t, os.WriteFile(stored, []byte("tampered"), 0o600), "tamper")
	if _, err := s.Restore(ctx(), rec.ID, false); !IsHashMismatch(err) {
		t.Fatalf("got %v, want hash mismatch", err)
	}
	if exists(items[1].Path) {
		t.Fatal("tampered file restored")
	}
	// item.json edited to point outside the original folder: refused on read.
	recPath := filepath.Join(s.ItemDir(rec.ID), RecordFile)
	b, _ = os.ReadFile(recPath)
	evil := strings.Replace(string(b), strings.ReplaceAll(items[1].Path, `\`, `\\`), strings.ReplaceAll(filepath.Join(root, "..", "..", "etc", "x"), `\`, `\\`), 1)
	tcheck(t, os.WriteFile(recPath, []byte(evil), 0o600), "edit")
	if _, err := s.Restore(ctx(), rec.ID, false); err == nil || !strings.Contains(err.Error(), "original path") {
		t.Fatalf("got %v, want refusal of the edited original path", err)
	}
}

func TestRestore_originalFolderGoneOrLink(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("symlinks")
	}
	root := t.TempDir()
	items := buildTree(t, root, 1)
	s := openStore(t, filepath.Join(root, "Q"))
	defer s.Close()
	rec, err := s.Add(ctx(), AddRequest{Item: items[1]})
	tcheck(t, err, "add")
	dir := filepath.Dir(items[1].Path)
	tcheck(t, os.Rename(dir, dir+".old"), "rename")
	if _, err := s.Restore(ctx(), rec.ID, false); err == nil || !strings.Contains(err.Error(), "original folder") {
		t.Fatalf("gone: %v", err)
	}
	elsewhere := t.TempDir()
	tcheck(t, os.Symlink(elsewhere, dir), "symlink")
	// A store copy replaced by a link is not restored either.
	stored := filepath.Join(s.ItemDir(rec.ID), filepath.Base(items[1].Path))
	tcheck(t, os.Rename(stored, stored+".real"), "rename")
	tcheck(t, os.Symlink(stored+".real", stored), "symlink")
	tcheck(t, os.Remove(dir), "unlink")
	tcheck(t, os.Rename(dir+".old", dir), "rename back")
	if _, err := s.Restore(ctx(), rec.ID, false); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Fatalf("restore of a linked store copy: %v", err)
	}
	tcheck(t, os.Remove(stored), "unlink")
	tcheck(t, os.Rename(stored+".real", stored), "rename")
	tcheck(t, os.Rename(dir, dir+".old"), "rename")
	tcheck(t, os.Symlink(elsewhere, dir), "symlink")
	if _, err := s.Restore(ctx(), rec.ID, false); err == nil {
		t.Fatal("restore through a symlinked folder accepted")
	}
	if ents, _ := os.ReadDir(elsewhere); len(ents) != 0 {
		t.Fatal("restore wrote through the link")
	}
}

func TestVerify_detectsTampering(t *testing.T) {
	root := t.TempDir()
	items := buildTree(t, root, 2)
	s := openStore(t, filepath.Join(root, "Q"))
	defer s.Close()
	var recs []*Record
	for _, it := range items[:4] {
		r, err := s.Add(ctx(), AddRequest{Item: it})
		tcheck(t, err, "add")
		recs = append(recs, r)
	}
	rep, err := s.Verify(ctx())
	tcheck(t, err, "verify")
	if !rep.OK() || rep.Items != 4 || rep.Files != 6 {
		t.Fatalf("clean store: %+v", rep)
	}
	p0 := filepath.Join(s.ItemDir(recs[0].ID), recs[0].Files[0].Name)
	b, _ := os.ReadFile(p0)
	b[len(b)-1] ^= 1 // same size, one bit flipped
	tcheck(t, os.WriteFile(p0, b, 0o600), "tamper")
	p1 := filepath.Join(s.ItemDir(recs[2].ID), recs[2].Files[1].Name)
	tcheck(t, os.Remove(p1), "remove")
	p2 := filepath.Join(s.ItemDir(recs[1].ID), "planted.eml")
	tcheck(t, os.WriteFile(p2, []byte("x"), 0o600), "plant")
	tcheck(t, os.WriteFile(filepath.Join(s.ItemDir(recs[3].ID), RecordFile), []byte("{"), 0o600), "break record")
	tcheck(t, os.WriteFile(filepath.Join(s.Dir(), "stray"), []byte("x"), 0o600), "stray")
	rep, err = s.Verify(ctx())
	tcheck(t, err, "verify")
	got := map[string]string{}
	for _, p := range rep.Problems {
		got[p.Kind] += p.Path + ";"
	}
	for kind, path := range map[string]string{ProblemAltered: p0, ProblemMissing: p1, ProblemExtra: p2, ProblemRecord: recs[3].ID, ProblemUnknown: "stray"} {
		if !strings.Contains(got[kind], path) {
			t.Errorf("verify did not report %s %s; got %v", kind, path, rep.Problems)
		}
	}
	if rep.OK() {
		t.Error("OK with problems")
	}
}

func TestResolveIDs(t *testing.T) {
	root := t.TempDir()
	s := openStore(t, filepath.Join(root, "Q"))
	defer s.Close()
	for _, id := range []string{"0abcdefghjk1", "0abcdefghjk2", "0abzzzzzzzzz"} {
		tcheck(t, os.Mkdir(filepath.Join(s.Dir(), id), 0o700), "mkdir")
	}
	if id, err := s.Resolve("0ABZ"); err != nil || id != "0abzzzzzzzzz" {
		t.Errorf("unique prefix: %q %v", id, err)
	}
	if id, err := s.Resolve("OAB-ZZZ"); err != nil || id != "0abzzzzzzzzz" {
		t.Errorf("look-alike letters and dash: %q %v", id, err)
	}
	var ae *AmbiguousIDError
	if _, err := s.Resolve("0abc"); !errors.As(err, &ae) || len(ae.Candidates) != 2 {
		t.Errorf("ambiguous: %v", err)
	}
	if _, err := s.Resolve("zz"); !errors.Is(err, ErrNotFound) {
		t.Errorf("not found: %v", err)
	}
	for _, bad := range []string{"..", "../x", "a/b", `a\b`, "c:", `\\srv\share`, "/etc/passwd", "C:\\Windows", "0abcdefghjk12x", "", "ü"} {
		if _, err := s.Resolve(bad); !IsInvalidID(err) {
			t.Errorf("Resolve(%q) = %v, want invalid ID", bad, err)
		}
	}
	if _, err := s.Path("0abzzzzzzzzz", "../x"); err == nil {
		t.Error("Path accepted ../x")
	}
}

func TestIDGen_sortableUnique(t *testing.T) {
	var g idGen
	now := time.Now()
	prev := ""
	for i := 0; i < 10000; i++ {
		id := g.next(now)
		if len(id) != IDLen || !validID(id) || id <= prev {
			t.Fatalf("id %q after %q", id, prev)
		}
		prev = id
	}
	if tm, ok := IDTime(g.next(now.Add(time.Hour))); !ok || tm.Before(now) {
		t.Errorf("IDTime: %v", tm)
	}
}

func TestJournal_truncatedLastLine(t *testing.T) {
	root := t.TempDir()
	items := buildTree(t, root, 1)
	dir := filepath.Join(root, "Q")
	s := openStore(t, dir)
	_, err := s.Add(ctx(), AddRequest{Item: items[0]})
	tcheck(t, err, "add")
	s.Close()
	jp := filepath.Join(dir, JournalFile)
	f, err := os.OpenFile(jp, os.O_WRONLY|os.O_APPEND, 0)
	tcheck(t, err, "open")
	f.WriteString(`{"v":1,"time":"2026-01-01T00:00:00Z","op":"inte`)
	f.Close()

	s = openStore(t, dir)
	if !s.Recovery().Truncated || len(s.Recovery().BadLines) != 1 {
		t.Fatalf("recovery report: %+v", s.Recovery())
	}
	_, err = s.Add(ctx(), AddRequest{Item: items[1]})
	tcheck(t, err, "add after truncation")
	s.Close()
	// The repaired line is not reported again.
	s = openStore(t, dir)
	if !s.Recovery().Clean() {
		t.Errorf("second open after the repair reports: %+v", s.Recovery())
	}
	s.Close()
	b, _ := os.ReadFile(jp)
	log, err := ReadJournal(bytes.NewReader(b))
	tcheck(t, err, "read")
	if log.Truncated || len(log.Bad) != 1 {
		t.Errorf("journal after repair: truncated=%v bad=%v", log.Truncated, log.Bad)
	}
	var done int
	for _, e := range log.Entries {
		if e.Op == OpDone {
			done++
		}
	}
	if done != 2 {
		t.Errorf("%d completions, want 2", done)
	}
}

func TestWriteFileAndState(t *testing.T) {
	root := t.TempDir()
	items := buildTree(t, root, 1)
	s := openStore(t, filepath.Join(root, "Q"))
	defer s.Close()
	rec, err := s.Add(ctx(), AddRequest{Item: items[1]})
	tcheck(t, err, "add")
	f, err := s.WriteFile(rec.ID[:5], "repaired.eml", "repaired", strings.NewReader("fixed\r\n"))
	tcheck(t, err, "write")
	if f.SHA256 != sha([]byte("fixed\r\n")) || f.Size != 7 {
		t.Errorf("file %+v", f)
	}
	if _, err := s.WriteFile(rec.ID, "repaired.eml", "repaired", strings.NewReader("again")); !IsExists(err) {
		t.Errorf("overwrite: %v", err)
	}
	for _, bad := range []string{"../x", "a/b", `a\b`, "c:x", RecordFile, ".tmp-x", ".."} {
		if _, err := s.WriteFile(rec.ID, bad, "repaired", strings.NewReader("x")); err == nil {
			t.Errorf("WriteFile(%q) accepted", bad)
		}
	}
	tcheck(t, s.SetState(rec.ID, StateRepaired, Event{Detail: "fixed MIME-001"}), "set repaired")
	tcheck(t, s.AppendHistory(rec.ID, Event{Action: "note", Detail: "looked at it"}), "history")
	if err := s.SetState(rec.ID, StateQuarantined, Event{}); !errors.Is(err, ErrState) {
		t.Errorf("back to quarantined: %v", err)
	}
	tcheck(t, s.SetState(rec.ID, StateReplayed, Event{}), "set replayed")
	got, err := s.Get(rec.ID)
	tcheck(t, err, "get")
	var actions []string
	for _, e := range got.History {
		actions = append(actions, e.Action)
	}
	if strings.Join(actions, ",") != "quarantined,file-added,repaired,note,replayed" || got.State != StateReplayed {
		t.Errorf("history %v state %s", actions, got.State)
	}
	checkStoreConsistent(t, s)
	// A restore after replay still puts the original back and keeps the
	// repaired copy in the store.
	_, err = s.Restore(ctx(), rec.ID, false)
	tcheck(t, err, "restore")
	if !exists(items[1].Path) || !exists(filepath.Join(s.ItemDir(rec.ID), "repaired.eml")) {
		t.Error("restore after replay")
	}
	checkStoreConsistent(t, s)
}

func TestJournal_foreignIntentsLeftOpen(t *testing.T) {
	root := t.TempDir()
	items := buildTree(t, root, 1)
	dir := filepath.Join(root, "Q")
	s := openStore(t, dir)
	rec, err := s.Add(ctx(), AddRequest{Item: items[1]})
	tcheck(t, err, "add")
	tcheck(t, s.Journal(Entry{Op: OpIntent, Kind: "replay", Txn: rec.ID + "-replay-1", ID: rec.ID}), "journal")
	s.Close()
	s = openStore(t, dir)
	defer s.Close()
	if open := s.OpenIntents(); len(open) != 1 || open[0].Kind != "replay" {
		t.Fatalf("open intents: %+v", open)
	}
	tcheck(t, s.Journal(Entry{Op: OpDone, Kind: "replay", Txn: rec.ID + "-replay-1", ID: rec.ID}), "done")
	if open := s.OpenIntents(); len(open) != 0 {
		t.Fatalf("still open: %+v", open)
	}
}

func TestFaults_diskFullAndReadOnly(t *testing.T) {
	for _, tc := range []struct {
		step string
		err  error
	}{
		{"mkdir", syscall.EROFS},
		{"record-write", syscall.ENOSPC},
		{"copy-write", syscall.ENOSPC},
		{"journal-write", syscall.ENOSPC},
		{"journal-sync", syscall.EIO},
	} {
		t.Run(tc.step, func(t *testing.T) {
			root := t.TempDir()
			items := buildTree(t, root, 1)
			dir := filepath.Join(root, "Q")
			orig := snapshot(t, root, dir)
			s := openStore(t, dir)
			defer func() { faultHook, renameHook = nil, nil }()
			renameHook = func(o, n string) error { return &os.LinkError{Op: "rename", Old: o, New: n, Err: errCrossDevice} }
			armed := true
			faultHook = func(st string) error {
				if armed && st == tc.step {
					armed = false
					return tc.err
				}
				return nil
			}
			_, err := s.Add(ctx(), AddRequest{Item: items[2]})
			if !errors.Is(err, tc.err) {
				t.Fatalf("got %v, want %v", err, tc.err)
			}
			if !strings.Contains(err.Error(), dir) && !strings.Contains(err.Error(), "BAD0000") {
				t.Errorf("error does not name the file: %v", err)
			}
			faultHook, renameHook = nil, nil
			s.Close()
			s = openStore(t, dir)
			defer s.Close()
			checkExactlyOnce(t, orig, root)
			checkStoreConsistent(t, s)
		})
	}
}

func TestReadOnlyStoreFilesystem(t *testing.T) {
	if runtime.GOOS == "windows" || os.Geteuid() == 0 {
		t.Skip("needs a non-root Unix user (root ignores modes); the fault-hook test covers EROFS")
	}
	root := t.TempDir()
	items := buildTree(t, root, 1)
	dir := filepath.Join(root, "Q")
	s := openStore(t, dir)
	tcheck(t, os.Chmod(dir, 0o500), "chmod")
	defer os.Chmod(dir, 0o700)
	_, err := s.Add(ctx(), AddRequest{Item: items[0]})
	if err == nil || !strings.Contains(err.Error(), dir) {
		t.Fatalf("got %v, want an error naming the store", err)
	}
	if !exists(items[0].Path) {
		t.Fatal("source lost")
	}
	s.Close()
}

func TestOpen_readOnlyFallback(t *testing.T) {
	root := t.TempDir()
	items := buildTree(t, root, 1)
	dir := filepath.Join(root, "Q")
	s := openStore(t, dir)
	rec, err := s.Add(ctx(), AddRequest{Item: items[1]})
	tcheck(t, err, "add")
	// Leave an open intent behind, as a crash would.
	tcheck(t, s.journal.append(Entry{Op: OpIntent, Kind: KindRestore, Txn: "t-open", ID: rec.ID}), "journal")
	s.Close()
	before, _ := os.ReadFile(filepath.Join(dir, JournalFile))

	defer func() { faultHook = nil }()
	faultHook = func(st string) error {
		if st == "lock-open" {
			return syscall.EROFS
		}
		return nil
	}
	if _, err := Open(dir, Options{}); !errors.Is(err, syscall.EROFS) || !strings.Contains(err.Error(), dir) {
		t.Fatalf("without ReadOnly: %v", err)
	}
	ro, err := Open(dir, Options{ReadOnly: true})
	tcheck(t, err, "read-only open")
	defer ro.Close()
	if !ro.Recovery().Unresolved() || len(ro.Recovery().Resolved) != 1 {
		t.Errorf("read-only recovery report: %+v", ro.Recovery())
	}
	if recs, err := ro.List(Filter{}); err != nil || len(recs) != 1 {
		t.Errorf("list: %v %v", recs, err)
	}
	if rep, err := ro.Verify(ctx()); err != nil || !rep.OK() {
		t.Errorf("verify: %+v %v", rep, err)
	}
	if _, err := ro.Restore(ctx(), rec.ID, true); err != nil {
		t.Errorf("dry-run restore on a read-only store: %v", err)
	}
	if _, err := ro.Restore(ctx(), rec.ID, false); !errors.Is(err, ErrReadOnly) {
		t.Errorf("restore: %v", err)
	}
	if _, err := ro.Add(ctx(), AddRequest{Item: items[0]}); !errors.Is(err, ErrReadOnly) {
		t.Errorf("add: %v", err)
	}
	if err := ro.SetState(rec.ID, StateRepaired, Event{}); !errors.Is(err, ErrReadOnly) {
		t.Errorf("set state: %v", err)
	}
	after, _ := os.ReadFile(filepath.Join(dir, JournalFile))
	if !bytes.Equal(before, after) || !exists(items[0].Path) {
		t.Error("read-only store was written")
	}
}

// A folder that appears between choosing the ID and creating it is left
// alone, item.json and all.
func TestAdd_itemFolderAppearsBeforeMkdir(t *testing.T) {
	root := t.TempDir()
	items := buildTree(t, root, 1)
	dir := filepath.Join(root, "Q")
	s := openStore(t, dir)
	defer s.Close()
	var planted string
	defer func() { faultHook = nil }()
	faultHook = func(st string) error {
		if st == "mkdir" && planted == "" {
			// The intent is journaled: find its ID and occupy the folder.
			for _, e := range openIntents(t, dir) {
				planted = filepath.Join(dir, e.ID)
			}
			tcheck(t, os.Mkdir(planted, 0o700), "plant")
			tcheck(t, os.WriteFile(filepath.Join(planted, RecordFile), []byte("someone else's"), 0o600), "plant")
		}
		return nil
	}
	_, err := s.Add(ctx(), AddRequest{Item: items[1]})
	if !IsExists(err) {
		t.Fatalf("got %v, want exists", err)
	}
	if b, _ := os.ReadFile(filepath.Join(planted, RecordFile)); string(b) != "someone else's" {
		t.Error("the planted item.json was removed or changed")
	}
	if !exists(items[1].Path) {
		t.Error("source moved")
	}
	if open := openIntents(t, dir); len(open) != 0 {
		t.Errorf("open intents: %+v", open)
	}
}

// TestInterrupted lists the open transactions of a store without locking
// or writing it: the journal is byte-identical afterwards, and a finished
// transaction is not listed.
func TestInterrupted(t *testing.T) {
	root := t.TempDir()
	items := buildTree(t, root, 1)
	dir := filepath.Join(root, "Q")
	s := openStore(t, dir)
	rec, err := s.Add(ctx(), AddRequest{Item: items[1]})
	tcheck(t, err, "add")
	if open, err := Interrupted(dir); err != nil || len(open) != 0 {
		t.Fatalf("after a finished move: %+v, %v", open, err)
	}
	tcheck(t, s.journal.append(Entry{Op: OpIntent, Kind: KindRestore, Txn: "t-open", ID: rec.ID}), "journal")
	before, _ := os.ReadFile(filepath.Join(dir, JournalFile))
	// The store is still open and locked by s: Interrupted must not care.
	open, err := Interrupted(dir)
	if err != nil || len(open) != 1 || open[0].Txn != "t-open" || open[0].ID != rec.ID || open[0].Kind != KindRestore {
		t.Fatalf("Interrupted = %+v, %v; want the open restore of %s", open, err, rec.ID)
	}
	if after, _ := os.ReadFile(filepath.Join(dir, JournalFile)); !bytes.Equal(before, after) {
		t.Error("Interrupted changed the journal")
	}
	s.Close()
	if _, err := Interrupted(filepath.Join(root, "none")); err == nil || !strings.Contains(err.Error(), "none") {
		t.Errorf("no store: %v, want an error naming the folder", err)
	}
}

// TestOpen_notAStore: a folder of other files is not adopted as a store
// (nothing is written into it), an empty folder is, and without Create a
// folder with no journal is ErrNoStore, not a new store.
func TestOpen_notAStore(t *testing.T) {
	root := t.TempDir()
	notes := filepath.Join(root, "Quarantine")
	if err := os.Mkdir(notes, 0o700); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(notes, "notes.txt"), []byte("mine"), 0o600)
	if _, err := Open(notes, Options{Create: true}); !IsUnsafeStore(err) || !strings.Contains(err.Error(), `"notes.txt"`) {
		t.Errorf("a folder of other files: %v, want an UnsafeStoreError naming notes.txt", err)
	}
	if ents, _ := os.ReadDir(notes); len(ents) != 1 {
		t.Errorf("the refused folder was written to: %v", ents)
	}

	empty := filepath.Join(root, "empty")
	if err := os.Mkdir(empty, 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(empty, Options{}); !errors.Is(err, ErrNoStore) {
		t.Errorf("no journal, no Create: %v, want ErrNoStore", err)
	}
	if ents, _ := os.ReadDir(empty); len(ents) != 0 {
		t.Errorf("opening without Create wrote %v", ents)
	}
	s, err := Open(empty, Options{Create: true})
	if err != nil {
		t.Fatalf("an empty folder: %v", err)
	}
	s.Close()
	if !IsStore(empty) {
		t.Error("the empty folder did not become a store")
	}
}
