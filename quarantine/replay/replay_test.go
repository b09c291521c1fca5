package replay

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mailroot/mailroot/mime"
	"github.com/mailroot/mailroot/quarantine"
	"github.com/mailroot/mailroot/queue"
)

var testActor = &quarantine.Actor{User: "tester", Host: "testhost", Tool: "mailroot test"}

type env struct {
	root, vsi, pickup, queueDir string
	st                          *quarantine.Store
}

func newEnv(t *testing.T) *env {
	t.Helper()
	root := t.TempDir()
	e := &env{root: root, vsi: filepath.Join(root, "vsi 1")}
	e.pickup = filepath.Join(e.vsi, "PickUp")
	e.queueDir = filepath.Join(e.vsi, "Queue")
	for _, d := range []string{e.pickup, e.queueDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	st, err := quarantine.Open(filepath.Join(e.vsi, "Quarantine"), quarantine.Options{Create: true, Actor: testActor})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e.st = st
	return e
}

// add writes msg into dir under name, scans it as folder and quarantines it.
func (e *env) add(t *testing.T, dir, name string, folder mime.Folder, msg string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(msg), 0o644); err != nil {
		t.Fatal(err)
	}
	rep, err := mime.Scan(strings.NewReader(msg), mime.Options{Folder: folder})
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	m := queue.Member{Path: p, Role: quarantine.RoleMessage, Size: fi.Size(), ModTime: fi.ModTime()}
	rec, err := e.st.Add(context.Background(), quarantine.AddRequest{
		Item:   queue.Item{Path: p, Folder: folder, Size: fi.Size(), ModTime: fi.ModTime(), Members: []queue.Member{m}},
		Report: rep,
	})
	if err != nil {
		t.Fatal(err)
	}
	return rec.ID
}

// replayEntries returns the journal entries of kind replay.
func (e *env) replayEntries(t *testing.T) []quarantine.Entry {
	t.Helper()
	f, err := os.Open(filepath.Join(e.st.Dir(), quarantine.JournalFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	log, err := quarantine.ReadJournal(f)
	if err != nil {
		t.Fatal(err)
	}
	var out []quarantine.Entry
	for _, en := range log.Entries {
		if en.Kind == JournalKind {
			out = append(out, en)
		}
	}
	return out
}

// checkJournal asserts that every replay intent has exactly one completion
// and that the completions' ops are want, in order.
func (e *env) checkJournal(t *testing.T, want ...string) {
	t.Helper()
	entries := e.replayEntries(t)
	open := map[string]bool{}
	var got []string
	for _, en := range entries {
		switch en.Op {
		case quarantine.OpIntent:
			if open[en.Txn] {
				t.Errorf("intent %s twice", en.Txn)
			}
			open[en.Txn] = true
		default:
			if !open[en.Txn] {
				t.Errorf("%s for %s without an open intent", en.Op, en.Txn)
			}
			delete(open, en.Txn)
			got = append(got, en.Op)
		}
	}
	if len(open) != 0 {
		t.Errorf("intents left open: %v", open)
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("replay journal completions %v, want %v", got, want)
	}
}

// checkVerify asserts that the store verifies clean: every recorded file
// intact, nothing unexpected (no temp file) in any item folder.
func (e *env) checkVerify(t *testing.T) {
	t.Helper()
	rep, err := e.st.Verify(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() {
		t.Errorf("store does not verify: %+v", rep.Problems)
	}
}

const pickupMsg = "x-sender: alice@example.com\r\n" +
	"x-receiver: bob@example.net\r\n" +
	"x-receiver: hidden-bcc@example.org\r\n" +
	"From: Alice <alice@example.com>\r\n" +
	"To: bob@example.net\r\n" +
	"Subject: hello\r\n" +
	"Message-ID: <m1@example.com>\r\n" +
	"Date: Mon, 2 Mar 2026 10:00:00 +0000\r\n" +
	"\r\n" +
	"..stuffed line\r\n" +
	".unstuffed line\r\n" +
	"end\r\n"

func TestReplay_pickupOwnFolder(t *testing.T) {
	e := newEnv(t)
	id := e.add(t, e.pickup, "stuck.eml", mime.FolderPickup, pickupMsg)

	// No fixed.eml and no --original: refused, nothing written.
	_, err := Replay(context.Background(), e.st, id[:6], Target{Kind: ToPickup}, Options{})
	if !IsRefused(err) {
		t.Fatalf("replay without fixed.eml: err = %v, want refused", err)
	}

	res, err := Replay(context.Background(), e.st, id[:6], Target{Kind: ToPickup}, Options{Original: true})
	if err != nil {
		t.Fatalf("replay: %v (%+v)", err, res)
	}
	if res.Outcome != Sent || res.EnvelopeFrom != "recorded" {
		t.Errorf("outcome %s, envelope from %s", res.Outcome, res.EnvelopeFrom)
	}
	want := "x-sender: alice@example.com\r\n" +
		"x-receiver: bob@example.net\r\n" +
		"x-receiver: hidden-bcc@example.org\r\n" +
		"From: Alice <alice@example.com>\r\n" +
		"To: bob@example.net\r\n" +
		"Subject: hello\r\n" +
		"Message-ID: <m1@example.com>\r\n" +
		"Date: Mon, 2 Mar 2026 10:00:00 +0000\r\n" +
		"\r\n" +
		"..stuffed line\r\n" +
		"..unstuffed line\r\n" +
		"end\r\n"
	dropped := filepath.Join(e.pickup, id+".eml")
	got, err := os.ReadFile(dropped)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Errorf("dropped file:\n got %q\nwant %q", got, want)
	}
	if res.Path != dropped || res.SHA256 != sha(got) || res.Size != int64(len(got)) {
		t.Errorf("result %+v does not describe the dropped file", res)
	}
	rec, err := e.st.Get(id)
	if err != nil {
		t.Fatal(err)
	}
	if rec.State != quarantine.StateReplayed {
		t.Errorf("state %s, want replayed", rec.State)
	}
	ev := Replayed(rec)
	if len(ev) != 1 || !strings.Contains(ev[0].Detail, res.SHA256) || !strings.Contains(ev[0].Detail, dropped) {
		t.Errorf("history does not record the replay: %+v", ev)
	}
	e.checkJournal(t, quarantine.OpDone)
	// Nothing else in PickUp (no temp files), nothing left in the item folder.
	ents, _ := os.ReadDir(e.pickup)
	if len(ents) != 1 {
		t.Errorf("PickUp holds %d files", len(ents))
	}
	ents, _ = os.ReadDir(e.st.ItemDir(id))
	for _, en := range ents {
		if strings.HasPrefix(en.Name(), ".tmp-") {
			t.Errorf("temp file left in the item folder: %s", en.Name())
		}
	}

	// Exactly once: a second replay is refused...
	_, err = Replay(context.Background(), e.st, id, Target{Kind: ToPickup}, Options{Original: true})
	if !IsRefused(err) || !strings.Contains(err.Error(), "already replayed") {
		t.Errorf("second replay: err = %v", err)
	}
	// The refusal says where the first copy went, in words, not as JSON.
	if err != nil && (!strings.Contains(err.Error(), "to "+filepath.Join(e.pickup, id+".eml")) || strings.Contains(err.Error(), "{")) {
		t.Errorf("second replay refusal does not name the dropped file readably: %v", err)
	}
	// ...and with --again, the file still waiting in PickUp is never replaced.
	res, err = Replay(context.Background(), e.st, id, Target{Kind: ToPickup}, Options{Original: true, Again: true})
	if !errors.Is(err, queue.ErrExists) || res.Outcome != Failed {
		t.Errorf("replay --again over a waiting file: err = %v, outcome %s", err, res.Outcome)
	}
	if len(res.Warnings) == 0 || !strings.Contains(strings.Join(res.Warnings, "\n"), "same bytes") {
		t.Errorf("no duplicate warning: %v", res.Warnings)
	}
	e.checkJournal(t, quarantine.OpDone, quarantine.OpAbort)
	e.checkVerify(t)
}

func TestReplay_replayFormatAndDerivedEnvelope(t *testing.T) {
	e := newEnv(t)
	msg := "From: Alice <alice@example.com>\r\nTo: Bob <bob@example.net>, carol@example.net\r\nCc: dave@example.net\r\nSubject: x\r\nDate: Mon, 2 Mar 2026 10:00:00 +0000\r\n\r\nbody\r\n"
	id := e.add(t, e.queueDir, "NTFS_0001.EML", mime.FolderQueue, msg)
	replayDir := filepath.Join(e.root, "Replay")
	if err := os.Mkdir(replayDir, 0o755); err != nil {
		t.Fatal(err)
	}
	res, err := Replay(context.Background(), e.st, id, Target{Kind: ToReplay, Dir: replayDir}, Options{Original: true})
	if err != nil {
		t.Fatalf("replay: %v %+v", err, res)
	}
	if res.EnvelopeFrom != "headers" || len(res.Warnings) == 0 || !strings.Contains(res.Warnings[0], "KB 306043") {
		t.Errorf("derived envelope without the KB 306043 warning: %+v", res)
	}
	got, _ := os.ReadFile(filepath.Join(replayDir, id+".eml"))
	want := "X-Sender: <alice@example.com>\r\nX-Receiver: <bob@example.net>\r\nX-Receiver: <carol@example.net>\r\nX-Receiver: <dave@example.net>\r\n" + msg
	if string(got) != want {
		t.Errorf("replay file:\n got %q\nwant %q", got, want)
	}
}

func TestReplay_noPickupKnown(t *testing.T) {
	e := newEnv(t)
	other := filepath.Join(e.root, "evidence")
	if err := os.Mkdir(other, 0o755); err != nil {
		t.Fatal(err)
	}
	id := e.add(t, other, "a.eml", mime.FolderGeneric, "From: a@b.c\r\nTo: d@e.f\r\n\r\nx\r\n")
	_, err := Replay(context.Background(), e.st, id, Target{Kind: ToPickup}, Options{Original: true})
	if !IsRefused(err) || !strings.Contains(err.Error(), "--pickup") {
		t.Errorf("err = %v, want a refusal naming --pickup", err)
	}
}

// crashMsg has an empty charset (CT-001, crash class, KB 293288).
const crashMsg = "From: Alice <alice@example.com>\r\nTo: bob@example.net\r\nSubject: x\r\nDate: Mon, 2 Mar 2026 10:00:00 +0000\r\nMessage-ID: <c1@example.com>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=\"\"\r\n\r\nbody\r\n"

func TestReplay_gateRefusesCrashPattern(t *testing.T) {
	e := newEnv(t)
	id := e.add(t, e.queueDir, "NTFS_0002.EML", mime.FolderQueue, crashMsg)
	res, err := Replay(context.Background(), e.st, id, Target{Kind: ToPickup}, Options{Original: true})
	if !IsRefused(err) {
		t.Fatalf("gate let a crash pattern through: %v %+v", err, res)
	}
	found := false
	for _, f := range res.Blocking {
		found = found || f.Rule == "CT-001"
	}
	if !found {
		t.Errorf("blocking findings %v lack CT-001", res.Blocking)
	}
	if ents, _ := os.ReadDir(e.pickup); len(ents) != 0 {
		t.Errorf("refused replay wrote %d files to PickUp", len(ents))
	}
	if n := len(e.replayEntries(t)); n != 0 {
		t.Errorf("refused replay journaled %d entries", n)
	}
	// A dry run with --force plans the send and writes nothing.
	res, err = Replay(context.Background(), e.st, id, Target{Kind: ToPickup}, Options{Original: true, Force: true, DryRun: true})
	if err != nil || res.Outcome != Planned {
		t.Fatalf("dry run: %v %+v", err, res)
	}
	if ents, _ := os.ReadDir(e.pickup); len(ents) != 0 {
		t.Errorf("dry run wrote %d files", len(ents))
	}
	// Raising --block-at above crash is not possible; --force sends it.
	res, err = Replay(context.Background(), e.st, id, Target{Kind: ToPickup}, Options{Original: true, Force: true})
	if err != nil || res.Outcome != Sent {
		t.Fatalf("forced replay: %v %+v", err, res)
	}
	rec, _ := e.st.Get(id)
	if ev := Replayed(rec); len(ev) != 1 || !strings.Contains(ev[0].Detail, `"forced":true`) {
		t.Errorf("forced replay not recorded as forced: %+v", ev)
	}
}

func TestReplay_fixedCopyPassesGate(t *testing.T) {
	e := newEnv(t)
	id := e.add(t, e.queueDir, "NTFS_0003.EML", mime.FolderQueue, crashMsg)
	fixed := strings.Replace(crashMsg, "; charset=\"\"", "", 1)
	if _, err := e.st.WriteFile(id, FixedName, RoleFixed, strings.NewReader(fixed)); err != nil {
		t.Fatal(err)
	}
	res, err := Replay(context.Background(), e.st, id, Target{Kind: ToPickup}, Options{})
	if err != nil {
		t.Fatalf("replay of the fixed copy: %v %+v", err, res)
	}
	got, _ := os.ReadFile(res.Path)
	if !bytes.HasSuffix(got, []byte(fixed)) || !bytes.HasPrefix(got, []byte("x-sender: alice@example.com\r\nx-receiver: bob@example.net\r\n")) {
		t.Errorf("dropped %q", got)
	}
}

func TestSubmissionProblems(t *testing.T) {
	rep := &mime.Report{}
	envOK := mime.Envelope{Sender: "a@b", Recipients: []string{"c@d"}}
	many := mime.Envelope{Sender: "a@b"}
	for range 101 {
		many.Recipients = append(many.Recipients, "x@y")
	}
	big := "x-sender: a@b\r\nx-receiver: c@d\r\nX-A: " + strings.Repeat("a", 70000) + "\r\n\r\nb\r\n"
	tests := []struct {
		name     string
		k        Kind
		exchange bool
		data     string
		env      mime.Envelope
		want     string // "" for no problem
	}{
		{"lone dot", ToReplay, false, "X-Sender: <a@b>\r\n\r\n.\r\nrest\r\n", envOK, "only '.'"},
		{"no sender no From", ToPickup, false, "x-receiver: c@d\r\n\r\nb\r\n", mime.Envelope{Recipients: []string{"c@d"}}, "0xC00402CE"},
		{"101 recipients", ToReplay, false, "X-Sender: <a@b>\r\n\r\nb\r\n", many, "at most 100"},
		{"header over 64 KB", ToReplay, false, "X-A: " + strings.Repeat("a", 70000) + "\r\n\r\nb\r\n", envOK, "64 KB"},
		{"no blank line", ToReplay, false, "X-Sender: <a@b>\r\n", envOK, "blank line"},
		// The Exchange 2007+ Pickup folder has the Replay folder's limits;
		// the IIS one has none of them.
		{"exchange pickup, 101 recipients", ToPickup, true, "x-sender: a@b\r\n\r\nb\r\n", many, "at most 100"},
		{"exchange pickup, header over 64 KB", ToPickup, true, big, envOK, "64 KB"},
		{"IIS pickup, 101 recipients", ToPickup, false, "x-sender: a@b\r\n\r\nb\r\n", many, ""},
		{"IIS pickup, header over 64 KB", ToPickup, false, big, envOK, ""},
	}
	for _, tt := range tests {
		p := submissionProblems(tt.k, tt.exchange, []byte(tt.data), tt.env, rep)
		got := strings.Join(p, ";")
		if tt.want == "" && got != "" || !strings.Contains(got, tt.want) {
			t.Errorf("%s: problems %q, want one with %q", tt.name, got, tt.want)
		}
	}
	if p := submissionProblems(ToPickup, false, []byte("x-sender: a@b\r\nx-receiver: c@d\r\n\r\n..\r\n"), envOK, rep); len(p) != 0 {
		t.Errorf("clean pickup file: %v", p)
	}
}

func TestLimiter(t *testing.T) {
	now := time.Unix(1000, 0)
	var slept []time.Duration
	l := NewLimiter(100)
	l.now = func() time.Time { return now }
	l.sleep = func(_ context.Context, d time.Duration) error { slept = append(slept, d); now = now.Add(d); return nil }
	for range 3 {
		if err := l.Wait(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if len(slept) != 2 || slept[0] != 600*time.Millisecond || slept[1] != 600*time.Millisecond {
		t.Errorf("slept %v, want two 600ms pauses (100/min)", slept)
	}
}

// TestReplay_interruptedIntent: a replay intent with no completion (the
// process died between sending and recording) makes the outcome unknown;
// replay refuses until --again, which closes the stale intent.
func TestReplay_interruptedIntent(t *testing.T) {
	e := newEnv(t)
	id := e.add(t, e.pickup, "stuck.eml", mime.FolderPickup, pickupMsg)
	stale := quarantine.Entry{V: quarantine.JournalVersion, Time: time.Now().UTC(), Op: quarantine.OpIntent, Kind: JournalKind, Txn: id + "-replay-1", ID: id,
		Files: []quarantine.FileOp{{To: "smtp://127.0.0.1:25", Size: 1}}}
	if err := e.st.Journal(stale); err != nil {
		t.Fatal(err)
	}
	_, err := Replay(context.Background(), e.st, id, Target{Kind: ToPickup}, Options{Original: true})
	if !IsRefused(err) || !strings.Contains(err.Error(), "never recorded its outcome") {
		t.Fatalf("err = %v", err)
	}
	if _, err := Replay(context.Background(), e.st, id, Target{Kind: ToPickup}, Options{Original: true, Again: true}); err != nil {
		t.Fatalf("replay --again: %v", err)
	}
	for _, o := range e.st.OpenIntents() {
		if o.ID == id {
			t.Errorf("intent %s still open", o.Txn)
		}
	}
	var closed bool
	for _, en := range e.replayEntries(t) {
		closed = closed || (en.Txn == stale.Txn && en.Op == quarantine.OpRecover && en.Outcome == OutcomeSuperseded)
	}
	if !closed {
		t.Error("the stale intent was not closed in the journal")
	}
}

// TestReplay_editedFixedCopy: a fixed.eml edited by hand after it was
// recorded is refused until the edit is recorded (Store.Rehash, which
// `mailroot repair ID --rehash` runs); then the edited bytes are sent. An
// altered original is refused with --original.
func TestReplay_editedFixedCopy(t *testing.T) {
	e := newEnv(t)
	id := e.add(t, e.queueDir, "NTFS_0004.EML", mime.FolderQueue, crashMsg)
	if _, err := e.st.WriteFile(id, FixedName, RoleFixed, strings.NewReader(crashMsg)); err != nil {
		t.Fatal(err)
	}
	p, _ := e.st.Path(id, FixedName)
	edited := strings.Replace(crashMsg, "; charset=\"\"", "; charset=us-ascii", 1)
	if err := os.WriteFile(p, []byte(edited), 0o600); err != nil {
		t.Fatal(err)
	}
	res, err := Replay(context.Background(), e.st, id, Target{Kind: ToPickup}, Options{})
	if !IsRefused(err) || !strings.Contains(res.Reason, "repair "+id+" --rehash") {
		t.Fatalf("replay of an unrecorded edit: %v %+v", err, res)
	}
	if _, _, changed, err := e.st.Rehash(id, FixedName, "edited by hand"); err != nil || !changed {
		t.Fatalf("rehash: %v %v", changed, err)
	}
	res, err = Replay(context.Background(), e.st, id, Target{Kind: ToPickup}, Options{})
	if err != nil {
		t.Fatalf("replay: %v %+v", err, res)
	}
	got, _ := os.ReadFile(res.Path)
	if !bytes.HasSuffix(got, []byte(edited)) {
		t.Errorf("the edited bytes were not sent: %q", got)
	}

	id2 := e.add(t, e.queueDir, "NTFS_0005.EML", mime.FolderQueue, edited)
	rec, _ := e.st.Get(id2)
	op, _ := e.st.Path(id2, rec.Originals()[0].Name)
	if err := os.WriteFile(op, []byte(edited+"tampered\r\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	res, err = Replay(context.Background(), e.st, id2, Target{Kind: ToPickup}, Options{Original: true})
	if !IsRefused(err) || !strings.Contains(res.Reason, "quarantine verify") {
		t.Errorf("replay --original of an altered original: %v %+v", err, res)
	}
}

// TestReplay_badMailReport: a .BAD that is a delivery report sends the
// original message inside it, not the report.
func TestReplay_badMailReport(t *testing.T) {
	e := newEnv(t)
	bad := filepath.Join(e.vsi, "BadMail")
	if err := os.Mkdir(bad, 0o755); err != nil {
		t.Fatal(err)
	}
	inner := "From: Alice <alice@example.com>\r\nTo: bob@example.net\r\nSubject: inner\r\nDate: Mon, 2 Mar 2026 10:00:00 +0000\r\nMessage-ID: <i1@example.com>\r\n\r\nthe original\r\n"
	ndr := "From: postmaster@example.net\r\nTo: alice@example.com\r\nSubject: Undeliverable\r\nDate: Mon, 2 Mar 2026 10:00:00 +0000\r\nMessage-ID: <n1@example.net>\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/report; report-type=delivery-status; boundary=\"r1\"\r\n\r\n" +
		"--r1\r\nContent-Type: text/plain\r\n\r\nUnable to deliver.\r\n" +
		"--r1\r\nContent-Type: message/rfc822\r\n\r\n" + inner + "--r1--\r\n"
	id := e.add(t, bad, "NTFS_0009.BAD", mime.FolderBadMail, ndr)
	res, err := Replay(context.Background(), e.st, id, Target{Kind: ToPickup}, Options{Original: true})
	if err != nil {
		t.Fatalf("replay: %v %+v", err, res)
	}
	got, _ := os.ReadFile(res.Path)
	if want := "x-sender: alice@example.com\r\nx-receiver: bob@example.net\r\n" + inner; string(got) != want {
		t.Errorf("dropped:\n got %q\nwant %q", got, want)
	}
}

// TestReplay_crashAfterSend: the process dies after the file reached
// PickUp and before the outcome was recorded. After reopening the store
// (recovery runs), the item is not replayed again without --again, and the
// waiting file is named in a warning.
func TestReplay_crashAfterSend(t *testing.T) {
	e := newEnv(t)
	id := e.add(t, e.pickup, "stuck.eml", mime.FolderPickup, pickupMsg)
	testHookAfterSend = func() error { return errors.New("simulated crash") }
	_, err := Replay(context.Background(), e.st, id, Target{Kind: ToPickup}, Options{Original: true})
	testHookAfterSend = nil
	if err == nil {
		t.Fatal("the hook did not stop Replay")
	}
	dropped := filepath.Join(e.pickup, id+".eml")
	if _, err := os.Stat(dropped); err != nil {
		t.Fatalf("the file should have reached PickUp: %v", err)
	}
	// Reopen, as the next mailroot run would.
	dir := e.st.Dir()
	if err := e.st.Close(); err != nil {
		t.Fatal(err)
	}
	st, err := quarantine.Open(dir, quarantine.Options{Actor: testActor})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	e.st = st
	res, err := Replay(context.Background(), st, id, Target{Kind: ToPickup}, Options{Original: true})
	if !IsRefused(err) || !strings.Contains(err.Error(), "never recorded its outcome") {
		t.Fatalf("after a crash: err = %v", err)
	}
	rec, _ := st.Get(id)
	if rec.State != quarantine.StateQuarantined {
		t.Errorf("state %s", rec.State)
	}
	// With --again, the file still in PickUp is not replaced: the admin
	// sees it named, and nothing is sent twice.
	res, err = Replay(context.Background(), st, id, Target{Kind: ToPickup}, Options{Original: true, Again: true})
	if !errors.Is(err, queue.ErrExists) {
		t.Errorf("--again with the file still waiting: err = %v", err)
	}
	if !strings.Contains(strings.Join(res.Warnings, "\n"), dropped) {
		t.Errorf("warnings do not name the waiting file: %v", res.Warnings)
	}
}

func TestFileEnvelope(t *testing.T) {
	raw := "X-Sender: <a@b.example> RET=HDRS ENVID=x\r\nx-receiver: c@d.example\r\nX-Receiver: <e@f.example> NOTIFY=FAILURE,DELAY\r\n\tORCPT=rfc822;e@f.example\r\nFrom: z@y\r\nX-Receiver: not@envelope\r\n\r\nbody\r\n"
	env, err := fileEnvelope([]byte(raw))
	if err != nil || env == nil {
		t.Fatal("no envelope")
	}
	if env.Sender != "a@b.example" || strings.Join(env.Recipients, ",") != "c@d.example,e@f.example" {
		t.Errorf("envelope %+v", env)
	}
	if env.Params[""] != "RET=HDRS ENVID=x" || env.Params["e@f.example"] != "NOTIFY=FAILURE,DELAY ORCPT=rfc822;e@f.example" {
		t.Errorf("params %q", env.Params)
	}
	if env, _ := fileEnvelope([]byte("From: a@b\r\n\r\nx\r\n")); env != nil {
		t.Error("envelope found in a message without envelope lines")
	}
}

// TestReplay_escapedRecordedEnvelope: an envelope that item.json holds
// only in escaped form is not sent as if it were the address.
func TestReplay_escapedRecordedEnvelope(t *testing.T) {
	e := newEnv(t)
	id := e.add(t, e.queueDir, "NTFS_0005.EML", mime.FolderQueue, "From: a@b.example\r\nTo: c@d.example\r\nDate: Mon, 2 Mar 2026 10:00:00 +0000\r\n\r\nx\r\n")
	rec, _ := e.st.Get(id)
	// What the scanner records for addresses it cannot show as they are:
	// a control byte, a backslash and a tab are all escaped with '\'.
	for _, sender := range []string{`odd\x01@b.example`, `"a\\b"@b.example`, `"a\tb"@b.example`, strings.Repeat("a", 1024) + "..."} {
		rec.Envelope = &mime.Envelope{Sender: sender, Recipients: []string{"c@d.example"}}
		_, _, _, err := chooseEnvelope(rec, nil, nil, nil, Options{})
		if err == nil || !strings.Contains(err.Error(), "escaped") {
			t.Errorf("sender %.40q: err = %v", sender, err)
		}
	}
	rec.Envelope = &mime.Envelope{Sender: "a@b.example", Recipients: []string{"c@d.example"}}
	if env, from, _, err := chooseEnvelope(rec, nil, nil, nil, Options{}); err != nil || from != "recorded" || env.Sender != "a@b.example" {
		t.Errorf("plain recorded envelope: %v %q %v", env, from, err)
	}
}

// TestReplay_replayBlockWithOtherXHeaders: a Replay file whose envelope
// block has X-CreatedBy (or any other Replay X-header) between X-Sender
// and X-Receiver keeps every recipient in the envelope and sends none of
// the block on as headers: the X-Receiver lines name the Bcc recipients.
func TestReplay_replayBlockWithOtherXHeaders(t *testing.T) {
	e := newEnv(t)
	replayDir := filepath.Join(e.root, "Replay")
	if err := os.Mkdir(replayDir, 0o755); err != nil {
		t.Fatal(err)
	}
	body := "From: a@b.example\r\nTo: c@d.example\r\nDate: Mon, 2 Mar 2026 10:00:00 +0000\r\nMessage-ID: <r1@b.example>\r\n\r\nx\r\n"
	block := "X-Sender: <a@b.example>\r\nX-CreatedBy: MSExchange15\r\nX-Receiver: <c@d.example>\r\nx-helodomain: mx.b.example\r\nX-Receiver: <secret-bcc@d.example> NOTIFY=NEVER\r\nX-EndOfInjectedXHeaders: 1\r\n"
	id := e.add(t, e.root, "in.eml", mime.FolderReplay, block+body)
	res, err := Replay(context.Background(), e.st, id, Target{Kind: ToPickup, Dir: e.pickup}, Options{Original: true})
	if err != nil {
		t.Fatalf("replay: %v %+v", err, res)
	}
	if got := strings.Join(res.Envelope.Recipients, ","); got != "c@d.example,secret-bcc@d.example" || res.EnvelopeFrom != "recorded" {
		t.Errorf("envelope %q from %s", got, res.EnvelopeFrom)
	}
	got, err := os.ReadFile(res.Path)
	if err != nil {
		t.Fatal(err)
	}
	want := "x-sender: a@b.example\r\nx-receiver: c@d.example\r\nx-receiver: secret-bcc@d.example\r\n" + body
	if string(got) != want {
		t.Errorf("pickup file:\n got %q\nwant %q", got, want)
	}
}

func TestEnvelopeBlock(t *testing.T) {
	for _, tc := range []struct {
		in    string
		rcpts string
		rest  string
	}{
		{"X-Sender: <a@b>\r\nX-CreatedBy: MSExchange15\r\nX-Receiver: <c@d>\r\nFrom: a@b\r\n\r\nx", "c@d", "From: a@b\r\n\r\nx"},
		{"x-sender: a@b\nx-receiver: c@d\nx-receiver: e@f\n\nbody", "c@d,e@f", "\nbody"},
		// A leading run of Replay X-headers with no envelope field is
		// ordinary headers and stays.
		{"X-Source: cpanel\r\nFrom: a@b\r\n\r\nx", "", "X-Source: cpanel\r\nFrom: a@b\r\n\r\nx"},
		// X-Receiver after an ordinary header is not part of the block.
		{"From: a@b\r\nX-Receiver: c@d\r\n\r\nx", "", "From: a@b\r\nX-Receiver: c@d\r\n\r\nx"},
		{"X-Receiver: <c@d>\r\n\tNOTIFY=NEVER\r\nX-Sender: <a@b>", "c@d", ""},
	} {
		env, err := fileEnvelope([]byte(tc.in))
		if err != nil {
			t.Fatalf("%q: %v", tc.in, err)
		}
		got := ""
		if env != nil {
			got = strings.Join(env.Recipients, ",")
		}
		if got != tc.rcpts {
			t.Errorf("%q: recipients %q, want %q", tc.in, got, tc.rcpts)
		}
		if rest := string(stripEnvelope([]byte(tc.in))); rest != tc.rest {
			t.Errorf("%q: stripped to %q, want %q", tc.in, rest, tc.rest)
		}
	}
}

// FuzzReplayEnvelope: the envelope replay reads from a file is the one
// the scanner reports for a Replay file whose X-Receiver fields all sit
// in the leading block, and what replay strips leaves no X-Sender or
// X-Receiver at the top.
func FuzzReplayEnvelope(f *testing.F) {
	f.Add([]byte("X-Sender: <a@b>\r\nX-CreatedBy: MSExchange15\r\nX-Receiver: <c@d> NOTIFY=NEVER\r\nX-Receiver: e@f\r\nFrom: a@b\r\n\r\nx\r\n"))
	f.Add([]byte("x-sender: a@b\r\nx-receiver: c@d\r\n\r\nbody\r\n"))
	f.Add([]byte("X-Receiver: <c@d>\r\n\tORCPT=rfc822;c@d\r\nX-EndOfInjectedXHeaders: 1\r\nSubject: s\r\n\r\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		env, envErr := fileEnvelope(raw)
		rest := stripEnvelope(raw)
		if !bytes.HasSuffix(raw, rest) {
			t.Fatalf("stripped output is not a suffix of the input")
		}
		if left, _ := fileEnvelope(rest); left != nil {
			t.Fatalf("an envelope remains after stripping: %q", rest)
		}
		// The oracle: CRLF files of printable ASCII (nothing the scanner
		// escapes) whose message proper holds no X-Sender or X-Receiver.
		for _, c := range raw {
			if (c < 0x20 && c != '\r' && c != '\n' && c != '\t') || c >= 0x7f || c == '\\' {
				return
			}
		}
		if bytes.Count(raw, []byte("\r")) != bytes.Count(raw, []byte("\r\n")) || bytes.Count(raw, []byte("\n")) != bytes.Count(raw, []byte("\r\n")) {
			return
		}
		if lower := bytes.ToLower(rest); bytes.Contains(lower, []byte("x-receiver")) || bytes.Contains(lower, []byte("x-sender")) {
			return
		}
		rep, err := mime.Scan(bytes.NewReader(raw), mime.Options{Folder: mime.FolderReplay})
		if err != nil {
			return
		}
		if envErr != nil {
			if !rep.Has("ENV-001") && !rep.Has("ENV-002") {
				t.Fatalf("replay refuses the envelope (%v), the scanner sees nothing wrong with it", envErr)
			}
			return
		}
		var want []string
		if rep.Envelope != nil {
			want = rep.Envelope.Recipients
		}
		var got []string
		if env != nil {
			// The scanner shows a tab in an address escaped, as \t.
			for _, a := range env.Recipients {
				got = append(got, strings.ReplaceAll(a, "\t", `\t`))
			}
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("replay reads recipients %q, the scanner %q", got, want)
		}
	})
}

// TestReplay_exchangePickupLimits: replay into an Exchange 2007+ Pickup
// folder (its own, recognised beside Replay) refuses what that folder
// would reject, here 101 envelope recipients, and writes nothing.
func TestReplay_exchangePickupLimits(t *testing.T) {
	e := newEnv(t)
	transport := filepath.Join(e.root, "Exchange Server", "TransportRoles")
	pickup, replayDir := filepath.Join(transport, "Pickup"), filepath.Join(transport, "Replay")
	for _, d := range []string{pickup, replayDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	var b strings.Builder
	b.WriteString("X-Sender: <a@b.example>\r\n")
	for i := range 101 {
		fmt.Fprintf(&b, "X-Receiver: <r%d@d.example>\r\n", i)
	}
	b.WriteString("From: a@b.example\r\nTo: r0@d.example\r\nDate: Mon, 2 Mar 2026 10:00:00 +0000\r\nMessage-ID: <x1@b.example>\r\n\r\nx\r\n")
	id := e.add(t, pickup, "big.eml", mime.FolderExchangePickup, b.String())
	for _, dir := range []string{"", pickup} {
		_, err := Replay(context.Background(), e.st, id, Target{Kind: ToPickup, Dir: dir}, Options{Original: true, Force: true})
		if !IsRefused(err) || !strings.Contains(err.Error(), "at most 100") {
			t.Errorf("--pickup %q: err = %v, want a refusal naming the 100-recipient limit", dir, err)
		}
	}
	if ents, _ := os.ReadDir(pickup); len(ents) != 0 {
		t.Errorf("pickup folder not empty after refusals: %v", ents)
	}
	// The same item into an IIS PickUp is accepted.
	if _, err := Replay(context.Background(), e.st, id, Target{Kind: ToPickup, Dir: e.pickup}, Options{Original: true, Force: true}); err != nil {
		t.Errorf("IIS pickup: %v", err)
	}
}

// TestReplay_flagsOverRecordedEnvelope: --sender/--rcpt replace the
// envelope recorded in the file, with a warning that says so, and the
// dropped file carries exactly the flags' envelope.
func TestReplay_flagsOverRecordedEnvelope(t *testing.T) {
	e := newEnv(t)
	body := "From: a@b.example\r\nTo: c@d.example\r\nDate: Mon, 2 Mar 2026 10:00:00 +0000\r\nMessage-ID: <f1@b.example>\r\n\r\nx\r\n"
	id := e.add(t, e.pickup, "held.eml", mime.FolderPickup, "x-sender: a@b.example\r\nx-receiver: c@d.example\r\nx-receiver: bcc@d.example\r\n"+body)
	res, err := Replay(context.Background(), e.st, id, Target{Kind: ToPickup}, Options{Original: true, Recipients: []string{"only@d.example"}})
	if err != nil {
		t.Fatalf("replay: %v", err)
	}
	if res.EnvelopeFrom != "flags" || !strings.Contains(strings.Join(res.Warnings, "\n"), "replaced by --sender/--rcpt") {
		t.Errorf("envelope from %q, warnings %v", res.EnvelopeFrom, res.Warnings)
	}
	got, err := os.ReadFile(res.Path)
	if err != nil {
		t.Fatal(err)
	}
	// The sender, not given, stays the recorded one.
	if want := "x-sender: a@b.example\r\nx-receiver: only@d.example\r\n" + body; string(got) != want {
		t.Errorf("pickup file:\n got %q\nwant %q", got, want)
	}

	// --sender alone keeps the recorded recipients, Bcc included.
	id = e.add(t, e.pickup, "held2.eml", mime.FolderPickup, "x-sender: a@b.example\r\nx-receiver: c@d.example\r\nx-receiver: bcc@d.example\r\n"+body)
	res, err = Replay(context.Background(), e.st, id, Target{Kind: ToPickup}, Options{Original: true, Sender: "postmaster@b.example"})
	if err != nil {
		t.Fatalf("replay --sender alone: %v", err)
	}
	if res.EnvelopeFrom != "recorded+flags" || !strings.Contains(strings.Join(res.Warnings, "\n"), "the envelope sender is --sender postmaster@b.example") {
		t.Errorf("envelope from %q, warnings %v", res.EnvelopeFrom, res.Warnings)
	}
	if got, _ := os.ReadFile(res.Path); string(got) != "x-sender: postmaster@b.example\r\nx-receiver: c@d.example\r\nx-receiver: bcc@d.example\r\n"+body {
		t.Errorf("pickup file with --sender alone: %q", got)
	}
}

// FuzzMessageIDOf: the duplicate check's header reader never panics, and
// returns one line of text that some field named Message-ID holds.
func FuzzMessageIDOf(f *testing.F) {
	f.Add([]byte("From: a@b\r\nMessage-ID: <x@y>\r\n\r\nbody <z@y>\r\n"))
	f.Add([]byte("x-sender: a@b\nMessage-Id:\n <x@y>\n (c)\n\n"))
	f.Add([]byte("In-Reply-To: <x@y>\r\n\r\nMessage-ID: <x@y>\r\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		id := messageIDOf(raw)
		if id == "" {
			return
		}
		if strings.ContainsAny(id, "\r\n") {
			t.Fatalf("Message-ID %q spans lines", id)
		}
		if !bytes.Contains(bytes.ToLower(raw), []byte("message-id")) {
			t.Fatalf("Message-ID %q from a header with no such field", id)
		}
		if k := idKey(id); k == "" || !strings.Contains(id, k) {
			t.Fatalf("idKey(%q) = %q", id, k)
		}
	})
}

// TestMessageIDOf: only the Message-ID field, in the header, counts.
func TestMessageIDOf(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"From: a@b\r\nMessage-ID: <x@y>\r\n\r\n", "<x@y>"},
		{"In-Reply-To: <x@y>\r\nReferences: <x@y>\r\n\r\nMessage-ID: <x@y>\r\n", ""},
		{"x-sender: a@b\nmessage-id:\n\t<x@y>\nSubject: s\n\nbody\n", "\t<x@y>"},
		{"Message-ID: <x@y>\r<z@y>\r\r", "<x@y>"},
		{"Message-ID : <x@y> (first)\r\nMessage-ID: <z@y>\r\n\r\n", "<x@y> (first)"},
		{"Subject: s\r\n\r\n", ""},
	} {
		if got := messageIDOf([]byte(tc.in)); got != strings.TrimSpace(tc.want) {
			t.Errorf("messageIDOf(%q) = %q, want %q", tc.in, got, strings.TrimSpace(tc.want))
		}
	}
	if idKey(" <x@y> (c)") != "<x@y>" || idKey("x@y") != "x@y" {
		t.Errorf("idKey: %q %q", idKey(" <x@y> (c)"), idKey("x@y"))
	}
}

// TestFileEnvelope_whiteSpaceKept: unfolding the envelope block removes
// line breaks only, so a quoted local part keeps its white space as the
// scanner reads it (found by FuzzReplayEnvelope).
func TestFileEnvelope_whiteSpaceKept(t *testing.T) {
	env, err := fileEnvelope([]byte("X-Sender: <a@b.example>\r\nX-Receiver: <\"c  d\"@e.example>\r\n\tNOTIFY=NEVER\r\n\r\nx\r\n"))
	if err != nil || env == nil || len(env.Recipients) != 1 || env.Recipients[0] != `"c  d"@e.example` {
		t.Fatalf("envelope %+v, %v; want the recipient \"c  d\"@e.example with both spaces", env, err)
	}
}
