package quarantine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mailroot/mailroot/mime"
	"github.com/mailroot/mailroot/queue"
)

var testActor = &Actor{User: "tester", Host: "testhost", Tool: "mailroot test"}

// tcheck fails the test on an unexpected error.
func tcheck(t testing.TB, err error, msg string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", msg, err)
	}
}

// writeMsg writes a file with content unique to its path and a fixed old
// modification time (so a restore that loses times is noticed).
func writeMsg(t testing.TB, path string, extra string) {
	t.Helper()
	tcheck(t, os.MkdirAll(filepath.Dir(path), 0o755), "mkdir")
	body := fmt.Sprintf("From: a@example.com\r\nTo: b@example.com\r\nSubject: %s\r\n\r\nbody of %s\r\n%s", filepath.Base(path), path, extra)
	tcheck(t, os.WriteFile(path, []byte(body), 0o644), "write")
	mt := time.Date(2004, 5, 6, 7, 8, 9, 0, time.UTC)
	tcheck(t, os.Chtimes(path, mt, mt), "chtimes")
}

// buildTree makes a small Exchange 2003 style mailroot under root ("vsi 1"
// with Queue, PickUp and BadMail, names with spaces and non-ASCII) and
// returns its items, BadMail units grouped.
func buildTree(t testing.TB, root string, n int) []queue.Item {
	t.Helper()
	vsi := filepath.Join(root, "vsi 1")
	var items []queue.Item
	for i := 0; i < n; i++ {
		p := filepath.Join(vsi, "Queue", fmt.Sprintf("NTFS_%08X.EML", i))
		writeMsg(t, p, "")
		items = append(items, itemFor(t, p, mime.FolderQueue))
		p = filepath.Join(vsi, "PickUp", fmt.Sprintf("pick up %d é.eml", i))
		writeMsg(t, p, "")
		items = append(items, itemFor(t, p, mime.FolderPickup))
		base := filepath.Join(vsi, "BadMail", fmt.Sprintf("BAD%04d", i))
		writeMsg(t, base+".BAD", "")
		tcheck(t, os.WriteFile(base+".BDR", []byte(fmt.Sprintf("Error is processing file in pickup directory %d.\r\n", i)), 0o644), "bdr")
		tcheck(t, os.WriteFile(base+".BDP", []byte{0, 1, 2, byte(i), byte(i >> 8), 0xff}, 0o444), "bdp")
		it := itemFor(t, base+".BAD", mime.FolderBadMail)
		it.Members = append(it.Members, memberFor(t, base+".BDR", RoleBDR), memberFor(t, base+".BDP", RoleBDP))
		it.Reason = "Error is processing file in pickup directory."
		items = append(items, it)
	}
	return items
}

func memberFor(t testing.TB, p, role string) queue.Member {
	t.Helper()
	fi, err := os.Stat(p)
	tcheck(t, err, "stat")
	return queue.Member{Path: p, Role: role, Size: fi.Size(), ModTime: fi.ModTime()}
}

func itemFor(t testing.TB, p string, folder mime.Folder) queue.Item {
	t.Helper()
	m := memberFor(t, p, RoleMessage)
	return queue.Item{Path: p, Folder: folder, Size: m.Size, ModTime: m.ModTime, Members: []queue.Member{m}}
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// snapshot hashes every file under root except the store, by relative path.
func snapshot(t testing.TB, root, storeDir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == storeDir {
			return filepath.SkipDir
		}
		if d.Type().IsRegular() {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(root, p)
			out[rel] = sha(b)
		}
		return nil
	})
	tcheck(t, err, "snapshot")
	return out
}

// checkExactlyOnce asserts the data-safety invariant: every original
// content is present exactly once, in the tree or in the store, and no
// temp file is left anywhere. Store bookkeeping files are ignored.
func checkExactlyOnce(t testing.TB, orig map[string]string, roots ...string) {
	t.Helper()
	want := map[string]string{}
	for rel, h := range orig {
		want[h] = rel
	}
	count := map[string][]string{}
	for _, root := range roots {
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.Type().IsRegular() {
				return nil
			}
			name := d.Name()
			if strings.HasPrefix(name, tmpPrefix) || strings.HasPrefix(name, ".mailroot-tmp-") {
				t.Errorf("leftover temp file %s", p)
				return nil
			}
			if name == RecordFile || name == JournalFile || name == LockFile {
				return nil
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			h := sha(b)
			if _, ok := want[h]; !ok {
				t.Errorf("unexpected file %s (partial or altered copy?)", p)
			}
			count[h] = append(count[h], p)
			return nil
		})
		tcheck(t, err, "walk")
	}
	for h, rel := range want {
		if n := len(count[h]); n != 1 {
			t.Errorf("%s: present %d times: %v", rel, n, count[h])
		}
	}
}

// openIntents reads the journal and returns the intents without outcome.
func openIntents(t testing.TB, storeDir string) []Entry {
	t.Helper()
	f, err := os.Open(filepath.Join(storeDir, JournalFile))
	tcheck(t, err, "open journal")
	defer f.Close()
	log, err := ReadJournal(f)
	tcheck(t, err, "read journal")
	open := map[string]Entry{}
	for _, e := range log.Entries {
		switch e.Op {
		case OpIntent:
			open[e.Txn] = e
		case OpDone, OpAbort:
			delete(open, e.Txn)
		case OpRecover:
			if e.Outcome != OutcomeUnresolved {
				delete(open, e.Txn)
			}
		}
	}
	var out []Entry
	for _, e := range open {
		out = append(out, e)
	}
	return out
}

func openStore(t testing.TB, dir string) *Store {
	t.Helper()
	s, err := Open(dir, Options{Create: true, Actor: testActor})
	tcheck(t, err, "open store")
	return s
}

// checkStoreConsistent: no open intents, verify clean, no pending item.
func checkStoreConsistent(t testing.TB, s *Store) {
	t.Helper()
	if open := openIntents(t, s.Dir()); len(open) != 0 {
		t.Errorf("journal has open intents after recovery: %+v", open)
	}
	rep, err := s.Verify(context.Background())
	tcheck(t, err, "verify")
	for _, p := range rep.Problems {
		t.Errorf("verify: %s", p)
	}
	recs, err := s.List(Filter{Pending: true})
	tcheck(t, err, "list")
	for _, r := range recs {
		if r.State == StatePending {
			t.Errorf("item %s still pending", r.ID)
		}
	}
}

func ctx() context.Context { return context.Background() }
