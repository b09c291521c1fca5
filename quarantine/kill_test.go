//go:build !windows

package quarantine

import (
	"bufio"
	"context"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/mailroot/mailroot/mime"
	"github.com/mailroot/mailroot/queue"
)

// The kill test re-runs this test binary as a child that quarantines (and
// now and then restores) items from a generated mailroot in a loop; the
// parent SIGKILLs it at a random moment, recovers, and checks that every
// original exists exactly once, complete, in the tree or the store.

const killChildEnv = "MAILROOT_QUARANTINE_KILL_CHILD"

func TestMain(m *testing.M) {
	if dir := os.Getenv(killChildEnv); dir != "" {
		os.Exit(killChild(dir))
	}
	os.Exit(m.Run())
}

// killChild: args in the environment; prints "ready" once the store is
// open, then works until killed (or out of work).
func killChild(root string) int {
	storeDir := filepath.Join(root, "vsi 1", DefaultDirName)
	cross := os.Getenv(killChildEnv+"_CROSS") == "1"
	if cross {
		forceCrossDevice(true)
	}
	seed, _ := strconv.ParseInt(os.Getenv(killChildEnv+"_SEED"), 10, 64)
	rng := rand.New(rand.NewSource(seed))
	s, err := Open(storeDir, Options{Create: true})
	if err != nil {
		fmt.Fprintln(os.Stderr, "child open:", err)
		return 2
	}
	fmt.Println("ready")
	ctx := context.Background()
	for _, folder := range []string{"Queue", "PickUp", "BadMail"} {
		dir := filepath.Join(root, "vsi 1", folder)
		ents, err := os.ReadDir(dir)
		if err != nil {
			return 2
		}
		start := rng.Intn(len(ents) + 1)
		for i := range ents {
			e := ents[(start+i)%len(ents)]
			p := filepath.Join(dir, e.Name())
			ext := filepath.Ext(p)
			if ext == ".BDR" || ext == ".BDP" {
				continue
			}
			it := queue.Item{Path: p, Folder: mime.FolderGeneric}
			if ext == ".BAD" {
				base := p[:len(p)-len(ext)]
				it.Members = []queue.Member{{Path: p, Role: RoleMessage}, {Path: base + ".BDR", Role: RoleBDR}, {Path: base + ".BDP", Role: RoleBDP}}
			}
			rec, err := s.Add(ctx, AddRequest{Item: it})
			if err != nil {
				continue // vanished (moved in an earlier round) etc.
			}
			if rng.Intn(4) == 0 {
				s.Restore(ctx, rec.ID, false)
			}
		}
	}
	return 0
}

func genMailroot(t *testing.T, root string, n int) map[string]string {
	t.Helper()
	vsi := filepath.Join(root, "vsi 1")
	for _, d := range []string{"Queue", "PickUp", "BadMail"} {
		tcheck(t, os.MkdirAll(filepath.Join(vsi, d), 0o755), "mkdir")
	}
	for i := 0; i < n; i++ {
		var p string
		switch i % 3 {
		case 0:
			p = filepath.Join(vsi, "Queue", fmt.Sprintf("NTFS_%08x.EML", i))
		case 1:
			p = filepath.Join(vsi, "PickUp", fmt.Sprintf("msg %d.eml", i))
		default:
			base := filepath.Join(vsi, "BadMail", fmt.Sprintf("%08X", i))
			p = base + ".BAD"
			tcheck(t, os.WriteFile(base+".BDR", []byte(fmt.Sprintf("reason %d\r\n", i)), 0o644), "bdr")
			tcheck(t, os.WriteFile(base+".BDP", []byte(fmt.Sprintf("bdp\x00%d", i)), 0o644), "bdp")
		}
		body := fmt.Sprintf("Subject: %d\r\n\r\n%s\r\n", i, make([]byte, 200+i%3000))
		tcheck(t, os.WriteFile(p, []byte(body), 0o644), "msg")
	}
	return snapshot(t, root, filepath.Join(vsi, DefaultDirName))
}

func TestKill_recoverInvariant(t *testing.T) {
	if testing.Short() {
		t.Skip("kill test in -short mode")
	}
	for _, cross := range []bool{false, true} {
		t.Run(fmt.Sprintf("cross=%v", cross), func(t *testing.T) {
			root := t.TempDir()
			orig := genMailroot(t, root, 2000)
			storeDir := filepath.Join(root, "vsi 1", DefaultDirName)
			rng := rand.New(rand.NewSource(time.Now().UnixNano()))
			rounds := 30
			resolved, restored := 0, 0
			for r := 0; r < rounds; r++ {
				cmd := exec.Command(os.Args[0], "-test.run=^$")
				cmd.Env = append(os.Environ(), killChildEnv+"="+root, killChildEnv+"_SEED="+strconv.Itoa(r))
				if cross {
					cmd.Env = append(cmd.Env, killChildEnv+"_CROSS=1")
				}
				out, err := cmd.StdoutPipe()
				tcheck(t, err, "pipe")
				cmd.Stderr = os.Stderr
				tcheck(t, cmd.Start(), "start child")
				ready := make(chan bool, 1)
				go func() {
					sc := bufio.NewScanner(out)
					ok := sc.Scan() && sc.Text() == "ready"
					ready <- ok
					for sc.Scan() {
					}
				}()
				// Kill some children during their own startup recovery,
				// most while they move files.
				if rng.Intn(8) != 0 {
					select {
					case <-ready:
					case <-time.After(5 * time.Second):
						t.Fatal("child not ready")
					}
				}
				time.Sleep(time.Duration(rng.Intn(120000)) * time.Microsecond)
				cmd.Process.Signal(syscall.SIGKILL)
				cmd.Wait()

				s, err := Open(storeDir, Options{Create: true})
				tcheck(t, err, "open after kill")
				resolved += len(s.Recovery().Resolved)
				if s.Recovery().Unresolved() {
					t.Fatalf("round %d: unresolved: %+v", r, s.Recovery())
				}
				checkExactlyOnce(t, orig, root)
				if open := openIntents(t, storeDir); len(open) != 0 {
					t.Fatalf("round %d: open intents after recovery: %+v", r, open)
				}
				if r%10 == 9 || r == rounds-1 {
					checkStoreConsistent(t, s)
				}
				if r == rounds-1 {
					recs, _ := s.List(Filter{})
					for _, rec := range recs {
						if rec.State == StateRestored {
							restored++
						}
					}
					t.Logf("%d rounds: %d items, %d restored, %d interrupted transactions resolved", rounds, len(recs), restored, resolved)
					if len(recs) == 0 || resolved == 0 {
						t.Errorf("the children did no work or were never killed mid-transaction")
					}
				}
				s.Close()
				if t.Failed() {
					t.Fatalf("round %d failed", r)
				}
			}
		})
	}
}
