package queue

import (
	"container/heap"
	"fmt"
	"path/filepath"
	"sort"
	"time"

	"github.com/mailroot/mailroot/mime"
)

// DefaultBlockerAge is Q-002's default threshold: a queue item older than
// this while newer ones exist is a blocker candidate (RULES.md [4 h]; the
// limit blocker-age-minutes changes it).
var DefaultBlockerAge = time.Duration(mime.DefaultLimits().BlockerAgeMinutes) * time.Minute

func ruleSeverity(id string) mime.Severity {
	r, ok := mime.RuleByID(id)
	if !ok {
		panic("queue: rule " + id + " missing from the catalogue")
	}
	return r.Severity
}

func fsFinding(rule, path, msg string) mime.Finding {
	return mime.Finding{
		Rule:     rule,
		Severity: ruleSeverity(rule),
		Message:  msg,
		Excerpt:  mime.Excerpt([]byte(filepath.Base(path))),
	}
}

// fileFindings checks Q-001 and ENV-004 for a plain (non-BadMail) item.
// File-system findings have Part "", Offset 0 and Line 0.
func fileFindings(it Item) []mime.Finding {
	var out []mime.Finding
	switch it.Folder {
	case mime.FolderQueue:
		if it.Size == 0 {
			out = append(out, fsFinding("Q-001", it.Path, "0-byte queue file: the message text is gone (disk full or chkdsk damage?) (KB 819019)"))
		}
		if len(it.Members) > 0 {
			if msg, sev, bad := queueStreamProblem(it.Members[0].Streams); bad {
				f := fsFinding("Q-001", it.Path, msg)
				f.Severity = sev
				out = append(out, f)
			}
		}
	case mime.FolderExchangePickup, mime.FolderReplay:
		name := filepath.Base(it.Path)
		// QUIRK: a .bad file is a reject the transport renamed; it is
		// evidence, not a misnamed submission.
		if !hasExt(name, ".eml") && !hasExt(name, ".bad") {
			out = append(out, fsFinding("ENV-004", it.Path, fmt.Sprintf("file in the Exchange 2007+ %s folder has no .eml extension: the transport ignores it", it.Folder)))
		}
	}
	if it.Folder.IsPickupLike() && it.ReadOnly {
		out = append(out, fsFinding("ENV-004", it.Path, "read-only file in a pickup folder: it is sent but never removed, so it is sent again on every restart (KB 221432)"))
	}
	return out
}

// badmailFindings checks Q-003 for a BadMail unit.
func badmailFindings(it Item, hasBAD, hasBDR, hasBDP bool) []mime.Finding {
	var missing []string
	if !hasBAD {
		missing = append(missing, ".BAD (the message)")
	}
	if !hasBDR {
		missing = append(missing, ".BDR (the reason)")
	}
	if !hasBDP {
		missing = append(missing, ".BDP (the envelope data)")
	}
	if len(missing) == 0 {
		return nil
	}
	msg := "incomplete BadMail unit: no "
	for i, m := range missing {
		if i > 0 {
			msg += " and no "
		}
		msg += m
	}
	if it.Reason != "" {
		msg += "; reason: " + oneLine(it.Reason, 200)
	}
	f := fsFinding("Q-003", it.Path, msg)
	if it.Reason != "" {
		f.Excerpt = mime.Excerpt([]byte(it.Reason))
	}
	return []mime.Finding{f}
}

// oneLine flattens s to one line of at most n bytes (cut on a rune
// boundary, marked with "...").
func oneLine(s string, n int) string {
	b := make([]rune, 0, len(s))
	space := false
	for _, r := range s {
		if r == '\r' || r == '\n' || r == '\t' {
			if !space {
				b = append(b, ' ')
			}
			space = true
			continue
		}
		space = false
		b = append(b, r)
	}
	out := string(b)
	if len(out) > n {
		cut := n
		for cut > 0 && (out[cut]&0xC0) == 0x80 {
			cut--
		}
		out = out[:cut] + "..."
	}
	return out
}

// ItemTime is the time Q-002 ages an item by: its creation time where the
// OS keeps one (the time it was queued), else its modification time.
func ItemTime(it Item) time.Time {
	if !it.Created.IsZero() {
		return it.Created
	}
	return it.ModTime
}

// Blockers finds Q-002 blocker candidates while items stream past: it keeps
// the k oldest Queue items (other folders are ignored) in a bounded heap,
// plus the count and the newest time of all Queue items. Memory is O(k)
// whatever the number of items. Not safe for concurrent use.
type Blockers struct {
	k         int
	olderThan time.Duration
	now       time.Time
	h         blockerHeap
	count     int
	newest    time.Time
}

// NewBlockers returns a tracker that keeps the k oldest queue items (k < 1
// means 1) and, in Result, reports those older than olderThan at now
// (olderThan <= 0 means DefaultBlockerAge).
func NewBlockers(k int, olderThan time.Duration, now time.Time) *Blockers {
	if k < 1 {
		k = 1
	}
	if olderThan <= 0 {
		olderThan = DefaultBlockerAge
	}
	return &Blockers{k: k, olderThan: olderThan, now: now}
}

// Add records one item; items from other folders than Queue are ignored.
func (b *Blockers) Add(it Item) {
	if it.Folder != mime.FolderQueue {
		return
	}
	t := ItemTime(it)
	b.count++
	if b.count == 1 || t.After(b.newest) {
		b.newest = t
	}
	if len(b.h) < b.k {
		heap.Push(&b.h, it)
		return
	}
	// The heap's top is the newest of the kept items; replace it if it is
	// newer than this one.
	if itemOlder(it, b.h[0]) {
		b.h[0] = it
		heap.Fix(&b.h, 0)
	}
}

// Count is the number of Queue items added.
func (b *Blockers) Count() int { return b.count }

// Result returns the blocker candidates, oldest first (ties by path): the
// kept items older than the threshold for which a newer queue item exists.
// With Q-002's reading of admin practice, the first is the likely blocker.
func (b *Blockers) Result() []Item {
	kept := make([]Item, len(b.h))
	copy(kept, b.h)
	sort.Slice(kept, func(i, j int) bool { return itemOlder(kept[i], kept[j]) })
	var out []Item
	for _, it := range kept {
		t := ItemTime(it)
		if b.now.Sub(t) > b.olderThan && b.newest.After(t) {
			out = append(out, it)
		}
	}
	return out
}

// BlockerFinding returns the Q-002 finding for a blocker candidate (an item
// from Blockers.Result), its age measured at now.
func BlockerFinding(it Item, now time.Time) mime.Finding {
	age := now.Sub(ItemTime(it))
	return fsFinding("Q-002", it.Path, fmt.Sprintf("blocker candidate: queue item %s old while newer items wait behind it (the service works oldest-first)", shortDuration(age)))
}

// shortDuration formats a duration as "3d4h", "5h12m", "42m" or "30s".
func shortDuration(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	switch {
	case d >= 24*time.Hour:
		return fmt.Sprintf("%dd%dh", d/(24*time.Hour), d%(24*time.Hour)/time.Hour)
	case d >= time.Hour:
		return fmt.Sprintf("%dh%dm", d/time.Hour, d%time.Hour/time.Minute)
	case d >= time.Minute:
		return fmt.Sprintf("%dm", d/time.Minute)
	}
	return fmt.Sprintf("%ds", d/time.Second)
}

// itemOlder orders by ItemTime, then by path, so results are deterministic.
func itemOlder(a, b Item) bool {
	ta, tb := ItemTime(a), ItemTime(b)
	if !ta.Equal(tb) {
		return ta.Before(tb)
	}
	return a.Path < b.Path
}

// blockerHeap is a max-heap by age order: the newest kept item on top.
type blockerHeap []Item

func (h blockerHeap) Len() int           { return len(h) }
func (h blockerHeap) Less(i, j int) bool { return itemOlder(h[j], h[i]) }
func (h blockerHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *blockerHeap) Push(x any)        { *h = append(*h, x.(Item)) }
func (h *blockerHeap) Pop() any {
	old := *h
	it := old[len(old)-1]
	*h = old[:len(old)-1]
	return it
}
