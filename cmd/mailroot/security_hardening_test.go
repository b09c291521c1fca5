package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// TestHardening_nothingExecuted guards issue 7's "nothing is executed from
// message content except by an explicit command": in the module's
// non-test code, the only place that may start a process is repair --edit
// (cmd/mailroot/cmd_repair.go runs $EDITOR on fixed.eml, once, when asked).
// A new import of os/exec or plugin, or a call of os.StartProcess,
// syscall.Exec, syscall.ForkExec or syscall.StartProcess anywhere else,
// fails this test; the exec.Command calls in cmd_repair.go are counted so a
// second one is noticed too. bench/ is a separate module (tools that run
// other parsers) and is not part of the shipped binary.
func TestHardening_nothingExecuted(t *testing.T) {
	repo, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	allowed := map[string]int{"cmd/mailroot/cmd_repair.go": 1} // file -> exec.Command calls
	found := map[string]int{}
	var problems []string
	fset := token.NewFileSet()
	err = filepath.WalkDir(repo, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(repo, p)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if rel == "bench" || rel == "testdata" || strings.HasSuffix(rel, "/testdata") || strings.HasPrefix(d.Name(), ".") && rel != "." {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(rel, ".go") || strings.HasSuffix(rel, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, p, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		names := map[string]string{} // local name -> import path
		for _, im := range f.Imports {
			path, _ := strconv.Unquote(im.Path.Value)
			name := path[strings.LastIndex(path, "/")+1:]
			if im.Name != nil {
				name = im.Name.Name
			}
			names[name] = path
			if path == "os/exec" || path == "plugin" {
				if _, ok := allowed[rel]; !ok {
					problems = append(problems, rel+" imports "+path)
				}
			}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			sel, ok := n.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			x, ok := sel.X.(*ast.Ident)
			if !ok {
				return true
			}
			switch names[x.Name] + "." + sel.Sel.Name {
			case "os/exec.Command", "os/exec.CommandContext":
				found[rel]++
			case "os.StartProcess", "syscall.Exec", "syscall.ForkExec", "syscall.StartProcess", "golang.org/x/sys/windows.CreateProcess", "golang.org/x/sys/unix.Exec":
				problems = append(problems, rel+" calls "+x.Name+"."+sel.Sel.Name)
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for file, n := range found {
		if allowed[file] != n {
			problems = append(problems, file+": "+strconv.Itoa(n)+" exec.Command calls, want "+strconv.Itoa(allowed[file]))
		}
	}
	for file := range allowed {
		if _, ok := found[file]; !ok {
			problems = append(problems, file+": no exec.Command call (update this test if repair --edit moved)")
		}
	}
	sort.Strings(problems)
	for _, p := range problems {
		t.Error(p)
	}
}
