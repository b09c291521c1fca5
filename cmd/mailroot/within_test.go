package main

import (
	"path/filepath"
	"testing"
)

func TestWithin(t *testing.T) {
	j := filepath.Join
	for _, tc := range []struct {
		path, root string
		want       bool
	}{
		{j("m", "vsi 1", "Queue", "a.eml"), j("m", "vsi 1"), true},
		{j("m", "vsi 1"), j("m", "vsi 1"), true},
		{j("m", "vsi 10", "Queue", "a.eml"), j("m", "vsi 1"), false},
		{j("m", "vsi 1..x", "a.eml"), j("m", "vsi 1"), false},
		{j("m", "a.eml"), j("m", "vsi 1"), false},
		{j("m", "vsi 1", "..x", "a.eml"), j("m", "vsi 1"), true},
	} {
		if got := within(tc.path, tc.root); got != tc.want {
			t.Errorf("within(%q, %q) = %v, want %v", tc.path, tc.root, got, tc.want)
		}
	}
}

func TestCountOf(t *testing.T) {
	for n, want := range map[int64]string{0: "0 messages", 1: "1 message", 2048: "2,048 messages"} {
		if got := countOf(n, "message"); got != want {
			t.Errorf("countOf(%d) = %q, want %q", n, got, want)
		}
	}
}
