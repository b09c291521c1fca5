package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"hash/fnv"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// -update rewrites golden files (testdata/golden/*) and doc.go instead of
// comparing against them: go test ./cmd/mailroot -update
var update = flag.Bool("update", false, "rewrite golden files and doc.go")

// statusFileEnv names a file where the in-process "mailroot" command of the
// test scripts writes its exit status, for the "status N" script command.
// It is a test-only hook: the real main never reads it.
const statusFileEnv = "MAILROOT_TEST_STATUS_FILE"

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"mailroot": func() {
			e := &env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr}
			code := run(context.Background(), e, os.Args[1:])
			if f := os.Getenv(statusFileEnv); f != "" {
				_ = os.WriteFile(f, []byte(strconv.Itoa(code)), 0o644)
			}
			os.Exit(code)
		},
	})
}

// TestScript runs the end-to-end scripts in testdata/script/*.txtar.
// Besides the testscript built-ins they have:
//
//	status N        the last mailroot command exited with status N
//	copytree SRC DST   copy a folder tree (DST must not exist)
//	treehash DIR    print a line per file and folder: path, mode, size,
//	                mtime (ns) and SHA-256, to compare before and after
//
// the condition [root] (permission bits do not apply), and $TESTDATA (this package's testdata folder) and $FIXTURES (the
// repository's fixtures folder).
func TestScript(t *testing.T) {
	testdata, _ := filepath.Abs("testdata")
	fixtures, _ := filepath.Abs(filepath.Join("..", "..", "fixtures"))
	testscript.Run(t, testscript.Params{
		Dir: filepath.Join("testdata", "script"),
		Setup: func(e *testscript.Env) error {
			e.Setenv("TESTDATA", testdata)
			e.Setenv("FIXTURES", fixtures)
			e.Setenv(statusFileEnv, filepath.Join(e.WorkDir, ".status"))
			return nil
		},
		Condition: func(cond string) (bool, error) {
			switch cond {
			case "root": // permission bits do not stop root
				return os.Geteuid() == 0, nil
			}
			return false, fmt.Errorf("unknown condition %q", cond)
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"status": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) != 1 {
					ts.Fatalf("usage: status N")
				}
				b, err := os.ReadFile(ts.Getenv(statusFileEnv))
				ts.Check(err)
				if got := strings.TrimSpace(string(b)); (got == args[0]) == neg {
					ts.Fatalf("exit status %s, want %s%s", got, map[bool]string{true: "not ", false: ""}[neg], args[0])
				}
			},
			"copytree": func(ts *testscript.TestScript, neg bool, args []string) {
				if neg || len(args) != 2 {
					ts.Fatalf("usage: copytree SRC DST")
				}
				ts.Check(copyTree(ts.MkAbs(args[0]), ts.MkAbs(args[1])))
			},
			"treehash": func(ts *testscript.TestScript, neg bool, args []string) {
				if neg || len(args) != 1 {
					ts.Fatalf("usage: treehash DIR")
				}
				s, err := treeState(ts.MkAbs(args[0]))
				ts.Check(err)
				fmt.Fprint(ts.Stdout(), s)
			},
		},
	})
}

// copyTree copies a folder tree, keeping modification times.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		fi, err := d.Info()
		if err != nil {
			return err
		}
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if err := os.WriteFile(target, b, 0o644); err != nil {
			return err
		}
		return os.Chtimes(target, fi.ModTime(), fi.ModTime())
	})
}

// treeState describes every file and folder under root: relative path,
// mode, size, modification time in nanoseconds and content SHA-256. Two
// equal states mean nothing was created, removed, renamed, changed or
// touched. Folder mtimes are included: creating and deleting a temporary
// file inside a folder changes it.
func treeState(root string) (string, error) {
	var lines []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		sum := "-"
		if fi.Mode().IsRegular() {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			h := sha256.Sum256(b)
			sum = hex.EncodeToString(h[:])
		}
		lines = append(lines, fmt.Sprintf("%s %v %d %d %s", filepath.ToSlash(rel), fi.Mode(), fi.Size(), fi.ModTime().UnixNano(), sum))
		return nil
	})
	sort.Strings(lines)
	return strings.Join(lines, "\n") + "\n", err
}

// runTool runs mailroot in-process and returns stdout, stderr and status.
func runTool(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb}, args)
	return out.String(), errb.String(), code
}

// pinTree sets every file's and folder's mtime under root to a fixed age
// derived from its relative path alone (so adding a file to a sample tree
// does not move the others), between 0 and 25 hours before now.
func pinTree(t *testing.T, root string, now time.Time) {
	t.Helper()
	var paths []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		paths = append(paths, p)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	// Deepest first: setting a folder's time after its files keeps it.
	for i := len(paths) - 1; i >= 0; i-- {
		rel, _ := filepath.Rel(root, paths[i])
		h := fnv.New32a()
		h.Write([]byte(filepath.ToSlash(rel)))
		mt := now.Add(-time.Duration(h.Sum32()%1500) * time.Minute)
		if err := os.Chtimes(paths[i], mt, mt); err != nil {
			t.Fatal(err)
		}
	}
}

// golden compares got with testdata/golden/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./cmd/mailroot -update to create it)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from the golden file (go test ./cmd/mailroot -update rewrites it):\n%s", name, lineDiff(string(want), got))
	}
}

// lineDiff shows the first differing lines.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	n := 0
	for i := 0; i < len(w) || i < len(g); i++ {
		var a, c string
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			c = g[i]
		}
		if a != c {
			fmt.Fprintf(&b, "line %d:\n  want: %s\n  got:  %s\n", i+1, a, c)
			if n++; n >= 5 {
				break
			}
		}
	}
	return b.String()
}

// fixedNow is the clock of golden tests.
var fixedNow = time.Date(2026, 11, 2, 12, 0, 0, 0, time.UTC)

// withNow sets nowFunc for one test.
func withNow(t *testing.T, now time.Time) {
	old := nowFunc
	nowFunc = func() time.Time { return now }
	t.Cleanup(func() { nowFunc = old })
}

// normalise replaces the temporary root in output.
func normalise(s, root string) string {
	return strings.ReplaceAll(s, root, "$ROOT")
}

var _ = io.Discard
