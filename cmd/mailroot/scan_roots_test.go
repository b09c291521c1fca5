package main

import (
	"path/filepath"
	"runtime"
	"testing"
)

// TestPathKey asserts how two spellings of one path compare for the
// overlapping-roots bookkeeping: pathKey cleans the path (".." and "."
// elements, doubled and trailing separators) so spellings of one path get
// one key, and folds case only on Windows (whose file names are
// case-insensitive); elsewhere "Queue" and "queue" are different folders.
// pathKey reads runtime.GOOS directly (there is no fold flag to set), so
// the folding branch itself only runs on Windows; on other systems this
// asserts that it does not fold.
func TestPathKey(t *testing.T) {
	j := filepath.FromSlash
	cases := []struct {
		name string
		a, b string
		same bool // same key on this OS
	}{
		{"dot-dot element", j("a/b/../c"), j("a/c"), true},
		{"trailing separator", j("a/c/"), j("a/c"), true},
		{"dot element", j("./a/./c"), j("a/c"), true},
		{"doubled separator", j("a//c"), j("a/c"), true},
		{"absolute dot-dot", j("/mr/vsi 1/Queue/../PickUp"), j("/mr/vsi 1/PickUp"), true},
		{"different folders", j("a/c"), j("a/d"), false},
		{"dot-dot leaves the folder", j("a/c/.."), j("a/c"), false},
		{"case", j("vsi 1/Queue"), j("vsi 1/queue"), runtime.GOOS == "windows"},
		{"case after cleaning", j("VSI 1/x/../QUEUE/"), j("vsi 1/queue"), runtime.GOOS == "windows"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ka, kb := pathKey(c.a), pathKey(c.b)
			if (ka == kb) != c.same {
				t.Errorf("pathKey(%q) = %q, pathKey(%q) = %q: same key %v, want %v", c.a, ka, c.b, kb, ka == kb, c.same)
			}
		})
	}
	// The key of an already clean path is the path itself (lower case on
	// Windows): keys are paths, usable with filepath.Dir and Join.
	p := j("/mr/vsi 1/Queue")
	want := p
	if runtime.GOOS == "windows" {
		want = j("/mr/vsi 1/queue")
	}
	if got := pathKey(p); got != want {
		t.Errorf("pathKey(%q) = %q, want %q", p, got, want)
	}
}

// TestAbsKey asserts that absKey gives a relative path and its absolute
// spelling the same key, so a folder named both ways is scanned once.
func TestAbsKey(t *testing.T) {
	abs, err := filepath.Abs(filepath.FromSlash("testdata/mailroot/vsi 1/Queue"))
	if err != nil {
		t.Fatal(err)
	}
	for _, rel := range []string{"testdata/mailroot/vsi 1/Queue", "testdata/mailroot/vsi 1/Queue/", "testdata/mailroot/vsi 1/PickUp/../Queue"} {
		if got, want := absKey(filepath.FromSlash(rel)), pathKey(abs); got != want {
			t.Errorf("absKey(%q) = %q, want %q (the key of %q)", rel, got, want, abs)
		}
	}
}
