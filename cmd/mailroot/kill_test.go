package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/mailroot/mailroot/quarantine"
)

// TestKill_scanBinary is the real kill: the mailroot binary, built from
// this package, runs "scan" (a real run) as a child on a generated mailroot
// of a few thousand crash-pattern messages and is killed (SIGKILL on Unix,
// TerminateProcess on Windows) at a random moment, 50 rounds over the same
// tree. After each kill, "quarantine recover" runs, and every original
// file must exist exactly once, byte-identical, in its folder or in the
// store, with no temporary file left, no open transaction in the journal,
// and a clean "quarantine verify".
func TestKill_scanBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and kills it 50 times")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to build the binary with")
	}
	bin := filepath.Join(t.TempDir(), "mailroot")
	if runtime.GOOS == "windows" {
		bin += ".exe"
	}
	if out, err := exec.Command(goTool, "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	root := filepath.Join(t.TempDir(), "mail root")
	want := writeKillTree(t, root, 2400)
	vsi := filepath.Join(root, "vsi 1")
	store := filepath.Join(vsi, quarantine.DefaultDirName)

	rng := rand.New(rand.NewSource(time.Now().UnixNano()))
	const rounds = 50
	killed, moved, interrupted := 0, 0, 0
	for round := 0; round < rounds; round++ {
		cmd := exec.Command(bin, "scan", vsi, "--quiet", "--workers", "2")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		// Even rounds kill at a random moment (often in the walk); odd
		// rounds wait until the journal grows (a move has begun), so that
		// moves are hit however slow the machine is, then kill soon after.
		delay := time.Duration(rng.Intn(250)) * time.Millisecond
		trigger := time.After(delay)
		if round%2 == 1 {
			trigger = journalGrew(filepath.Join(store, quarantine.JournalFile), done, time.Duration(rng.Intn(20))*time.Millisecond)
		}
		select {
		case <-done: // finished before the kill: nothing left to move
		case <-trigger:
			if err := cmd.Process.Kill(); err == nil {
				killed++
			}
			<-done
		}

		if !quarantine.IsStore(store) {
			// Killed before the store was made: nothing has moved.
			moved = checkKillInvariant(t, round, root, store, want)
			if moved != 0 {
				t.Fatalf("round %d: %d files in a folder that is no store", round, moved)
			}
			continue
		}
		code, out, errs := runCLI(t, "quarantine", "recover", "--quarantine", store)
		if code != 0 {
			t.Fatalf("round %d (killed after %v): recover: status %d\n%s%s", round, delay, code, out, errs)
		}
		interrupted += strings.Count(errs, "recovery: interrupted move")
		moved = checkKillInvariant(t, round, root, store, want)
		if open, err := quarantine.Interrupted(store); err != nil || len(open) != 0 {
			t.Fatalf("round %d: open transactions after recovery: %+v %v", round, open, err)
		}
		if moved == len(want) {
			break // everything is in the store: later rounds would only rescan
		}
	}
	if killed < 10 {
		t.Errorf("only %d of the rounds killed a running scan", killed)
	}
	if moved == 0 || interrupted == 0 {
		// A move spends most of its time inside its transaction (the
		// fsyncs), so some of the kills land there.
		t.Errorf("%d files moved, %d moves interrupted: the kills never hit a move", moved, interrupted)
	}
	if code, out, errs := runCLI(t, "quarantine", "verify", "--quarantine", store); code != 0 {
		t.Errorf("verify after %d kills: status %d\n%s%s", killed, code, out, errs)
	}
	t.Logf("%d kills, %d interrupted moves recovered; %d of %d files in the store", killed, interrupted, moved, len(want))
}

// journalGrew fires once the journal at p has grown past its size at the
// call, plus after. Its poller gives up after 10 s, or when it sees the
// scan finished before the caller's select took done.
func journalGrew(p string, done <-chan error, after time.Duration) <-chan time.Time {
	var start int64
	if fi, err := os.Stat(p); err == nil {
		start = fi.Size()
	}
	fire := make(chan time.Time, 1)
	go func() {
		for i := 0; i < 5000; i++ { // at most 10 s
			if fi, err := os.Stat(p); err == nil && fi.Size() > start {
				time.Sleep(after)
				fire <- time.Now()
				return
			}
			if len(done) > 0 {
				return
			}
			time.Sleep(2 * time.Millisecond)
		}
	}()
	return fire
}

// writeKillTree writes n crash-pattern messages (CT-001) into Queue,
// PickUp and BadMail (with .BDR and .BDP, moved as one unit) and returns
// each file's relative path (from the folder it belongs in) and SHA-256.
func writeKillTree(t *testing.T, root string, n int) map[string]string {
	t.Helper()
	want := map[string]string{}
	write := func(folder, name, body string) {
		dir := filepath.Join(root, "vsi 1", folder)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		h := sha256.Sum256([]byte(body))
		want[folder+"/"+name] = hex.EncodeToString(h[:])
	}
	for i := 0; i < n; i++ {
		msg := fmt.Sprintf("From: a%d@example.com\r\nTo: b@example.net\r\nSubject: kill %d\r\nMessage-ID: <k%d@example.com>\r\n"+
			"Content-Type: text/plain; charset=\"\"\r\n\r\nbody %d %s\r\n", i, i, i, i, strings.Repeat("x", i%300))
		switch i % 4 {
		case 0, 1:
			write("Queue", fmt.Sprintf("NTFS_%016X.EML", i), msg)
		case 2:
			write("PickUp", fmt.Sprintf("m%05d.eml", i), "x-sender: a@example.com\r\nx-receiver: b@example.net\r\n"+msg)
		case 3:
			base := fmt.Sprintf("NTFS_%016X", i)
			write("BadMail", base+".BAD", msg)
			write("BadMail", base+".BDR", fmt.Sprintf("Unable to deliver this message because the follow error was encountered: \"This message is a delivery status notification that cannot be delivered.\".\r\nThe specific error code was 0xC00402C7.\r\nThe message sender was <a%d@example.com>.\r\n", i))
			write("BadMail", base+".BDP", strings.Repeat("\x01", 16+i%7))
		}
	}
	return want
}

// checkKillInvariant finds every wanted file in its folder or in a store
// item folder: each exactly once, complete. It fails on a temporary file
// anywhere, and returns how many files are in the store.
func checkKillInvariant(t *testing.T, round int, root, store string, want map[string]string) int {
	t.Helper()
	seen := map[string]int{}
	inStore := 0
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		name := d.Name()
		if strings.HasPrefix(name, ".tmp-") || strings.Contains(name, ".mailroot-tmp") {
			t.Errorf("round %d: temporary file left: %s", round, p)
			return nil
		}
		rel, _ := filepath.Rel(root, p)
		parts := strings.Split(filepath.ToSlash(rel), "/")
		var key string
		switch {
		case len(parts) == 3 && parts[0] == "vsi 1" && parts[1] != quarantine.DefaultDirName:
			key = parts[1] + "/" + name
		case len(parts) == 4 && parts[1] == quarantine.DefaultDirName:
			if name == quarantine.RecordFile {
				return nil
			}
			for k := range map[string]bool{"Queue/" + name: true, "PickUp/" + name: true, "BadMail/" + name: true} {
				if _, ok := want[k]; ok {
					key = k
				}
			}
			inStore++
		default:
			return nil // the journal, the lock
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		h := sha256.Sum256(b)
		if key == "" || want[key] != hex.EncodeToString(h[:]) {
			t.Errorf("round %d: %s: not a complete original (key %q)", round, p, key)
			return nil
		}
		seen[key]++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for k := range want {
		if seen[k] != 1 {
			t.Errorf("round %d: %s exists %d times", round, k, seen[k])
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	return inStore
}
