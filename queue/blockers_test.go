package queue

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mailroot/mailroot/mime"
)

func TestBlockers(t *testing.T) {
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	q := func(name string, age time.Duration) Item {
		return Item{Path: name, Folder: mime.FolderQueue, ModTime: now.Add(-age)}
	}
	tests := []struct {
		name  string
		k     int
		items []Item
		want  []string
	}{
		{
			name:  "oldest over 4h with newer ones",
			k:     3,
			items: []Item{q("new", time.Minute), q("old", 5*time.Hour), q("mid", 2*time.Hour), q("older", 30*time.Hour)},
			want:  []string{"older", "old"},
		},
		{
			name:  "only one item: nothing newer, no blocker",
			k:     3,
			items: []Item{q("alone", 50*time.Hour)},
		},
		{
			name:  "all the same age: nothing newer",
			k:     3,
			items: []Item{q("a", 10*time.Hour), q("b", 10*time.Hour)},
		},
		{
			name:  "all younger than the threshold",
			k:     3,
			items: []Item{q("a", 3*time.Hour), q("b", time.Hour)},
		},
		{
			name:  "k bounds the result, oldest kept",
			k:     2,
			items: []Item{q("h5", 5*time.Hour), q("h9", 9*time.Hour), q("h7", 7*time.Hour), q("h6", 6*time.Hour), q("new", 0)},
			want:  []string{"h9", "h7"},
		},
		{
			name:  "ties ordered by path",
			k:     3,
			items: []Item{q("b", 8*time.Hour), q("a", 8*time.Hour), q("new", 0)},
			want:  []string{"a", "b"},
		},
		{
			name:  "other folders ignored",
			k:     3,
			items: []Item{{Path: "bad", Folder: mime.FolderBadMail, ModTime: now.Add(-100 * time.Hour)}, q("old", 5*time.Hour), q("new", 0)},
			want:  []string{"old"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := NewBlockers(tc.k, 0, now)
			for _, it := range tc.items {
				b.Add(it)
			}
			var got []string
			for _, it := range b.Result() {
				got = append(got, it.Path)
			}
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Errorf("Result = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestBlockers_createdTimeWins(t *testing.T) {
	now := time.Now()
	b := NewBlockers(1, time.Hour, now)
	// Modified recently but queued long ago (Windows creation time).
	b.Add(Item{Path: "a", Folder: mime.FolderQueue, ModTime: now, Created: now.Add(-3 * time.Hour)})
	b.Add(Item{Path: "b", Folder: mime.FolderQueue, ModTime: now.Add(-time.Minute)})
	if r := b.Result(); len(r) != 1 || r[0].Path != "a" {
		t.Errorf("Result = %+v, want a (by creation time)", r)
	}
}

// TestBlockers_walkedTree runs the tracker over a walked synthetic Queue
// whose times are set with os.Chtimes (git keeps no mtimes, so the fixture
// tree cannot be used for this).
func TestBlockers_walkedTree(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "Queue")
	now := time.Now()
	ages := map[string]time.Duration{
		"NTFS_01.EML": 26 * time.Hour,
		"NTFS_02.EML": 6 * time.Hour,
		"NTFS_03.EML": 10 * time.Minute,
		"NTFS_04.EML": 1 * time.Minute,
	}
	for name, age := range ages {
		writeFiles(t, dir, map[string]string{name: "x"})
		ts := now.Add(-age)
		if err := os.Chtimes(filepath.Join(dir, name), ts, ts); err != nil {
			t.Fatal(err)
		}
	}
	l, err := Detect(dir)
	if err != nil {
		t.Fatal(err)
	}
	items, _ := walkAll(t, l, WalkOptions{})
	b := NewBlockers(5, DefaultBlockerAge, now)
	for _, it := range items {
		b.Add(it)
	}
	if b.Count() != 4 {
		t.Errorf("Count = %d", b.Count())
	}
	var got []string
	for _, it := range b.Result() {
		got = append(got, filepath.Base(it.Path))
	}
	if strings.Join(got, ",") != "NTFS_01.EML,NTFS_02.EML" {
		t.Errorf("blockers %v, want NTFS_01.EML,NTFS_02.EML", got)
	}
	f := BlockerFinding(b.Result()[0], now)
	if f.Rule != "Q-002" || f.Severity != mime.Low || !strings.Contains(f.Message, "1d2h old") || f.Excerpt != "NTFS_01.EML" {
		t.Errorf("finding = %+v", f)
	}
}

func TestShortDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		30 * time.Second:             "30s",
		42 * time.Minute:             "42m",
		5*time.Hour + 12*time.Minute: "5h12m",
		76 * time.Hour:               "3d4h",
		-time.Hour:                   "0s",
	} {
		if got := shortDuration(d); got != want {
			t.Errorf("shortDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

func ExampleBlockers() {
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	b := NewBlockers(10, DefaultBlockerAge, now)
	b.Add(Item{Path: "NTFS_A.EML", Folder: mime.FolderQueue, ModTime: now.Add(-30 * time.Hour)})
	b.Add(Item{Path: "NTFS_B.EML", Folder: mime.FolderQueue, ModTime: now.Add(-time.Minute)})
	for _, it := range b.Result() {
		f := BlockerFinding(it, now)
		fmt.Println(f.Rule, it.Path, f.Message)
	}
	// Output:
	// Q-002 NTFS_A.EML blocker candidate: queue item 1d6h old while newer items wait behind it (the service works oldest-first)
}
