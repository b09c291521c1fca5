package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mailroot/mailroot/quarantine"
	"github.com/mailroot/mailroot/quarantine/replay"
)

// Messages for the repair tests. Each is quarantined from a Queue folder.
const (
	// repairCRLFMsg has CRLF line endings and an empty charset: repair
	// changes one header line (CT-001) and leaves the body alone.
	repairCRLFMsg = "From: Alice <alice@example.com>\r\nTo: bob@example.net\r\nSubject: lunch\r\n" +
		"Date: Mon, 2 Mar 2026 10:00:00 +0000\r\nMessage-ID: <crlf@example.com>\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: text/plain; charset=\"\"\r\n\r\nLunch at noon?\r\n"
	// repairNoFromMsg has bare LFs and an empty charset (fixed) and no From
	// (a manual fix, ADDR-006, that remains).
	repairNoFromMsg = "To: bob@example.net\nSubject: lunch\nDate: Mon, 2 Mar 2026 10:00:00 +0000\n" +
		"Message-ID: <nofrom@example.com>\nMIME-Version: 1.0\nContent-Type: text/plain; charset=\"\"\n\nLunch at noon?\n"
)

// repairLongLineMsg has a 1200-octet body line: repair re-encodes the part
// as quoted-printable (STR-004), which adds a header line and splits the
// body into soft-broken lines.
var repairLongLineMsg = "From: Alice <alice@example.com>\r\nTo: bob@example.net\r\nSubject: long\r\n" +
	"Date: Mon, 2 Mar 2026 10:00:00 +0000\r\nMessage-ID: <long@example.com>\r\nMIME-Version: 1.0\r\n" +
	"Content-Type: text/plain; charset=\"\"\r\n\r\n" + strings.Repeat("x", 1200) + "\r\n"

// addMessageForRepair writes msg as "vsi 1/Queue/name" in a new mailroot
// (with an empty PickUp folder, replay's default target), quarantines it
// into a store beside it, and returns the store, the full ID and the
// "vsi 1" folder.
func addMessageForRepair(t *testing.T, name, msg string) (store, id, vsi string) {
	t.Helper()
	vsi = filepath.Join(t.TempDir(), "vsi 1")
	for _, d := range []string{"Queue", "PickUp"} {
		if err := os.MkdirAll(filepath.Join(vsi, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	p := filepath.Join(vsi, "Queue", name)
	if err := os.WriteFile(p, []byte(msg), 0o644); err != nil {
		t.Fatal(err)
	}
	store = filepath.Join(filepath.Dir(vsi), "store")
	code, out, errs := runCLI(t, "quarantine", "add", p, "--quarantine", store, "--json")
	if code != 0 {
		t.Fatalf("add: %d\n%s%s", code, out, errs)
	}
	for _, m := range jsonLinesOf(t, out) {
		if s, ok := m["id"].(string); ok && s != "" {
			id = s
		}
	}
	if len(id) != 12 {
		t.Fatalf("no full ID in %s", out)
	}
	return store, id, vsi
}

// TestRepairCLI_historyEvent asserts what a repair appends to item.json:
// the state becomes "repaired", and the history gains exactly two events,
// "file-added" for fixed.eml and then "repaired" (state repaired, files
// [fixed.eml]) whose detail is JSON naming the file, every rule fixed (in
// order, with what was done), the manual fixes and the rules that remain
// in fixed.eml. A --dry-run adds no event and writes no fixed.eml.
func TestRepairCLI_historyEvent(t *testing.T) {
	cases := []struct {
		name    string
		msg     string
		code    int      // status of the repair
		fixed   []string // rules of the recorded changes, in order
		manual  []string
		remains []string
	}{
		{"all fixed", repairCrashMsg, 0, []string{"STR-002", "CT-001"}, nil, nil},
		{"manual fix remains", repairNoFromMsg, exitSuspects, []string{"STR-002", "CT-001"}, []string{"ADDR-006"}, []string{"ADDR-006"}},
		{"long line", repairLongLineMsg, 0, []string{"CT-001", "STR-004"}, nil, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			store, id, _ := addMessageForRepair(t, "NTFS_0001.EML", c.msg)
			before := readRecordJSON(t, store, id)

			if code, out, errs := runCLI(t, "repair", id, "--quarantine", store, "--dry-run"); code != c.code {
				t.Fatalf("repair --dry-run: status %d, want %d\n%s%s", code, c.code, out, errs)
			}
			if rec := readRecordJSON(t, store, id); len(rec.History) != len(before.History) || rec.State != quarantine.StateQuarantined {
				t.Errorf("--dry-run changed item.json: state %s, history %+v", rec.State, rec.History)
			}
			if _, err := os.Lstat(filepath.Join(store, id, replay.FixedName)); err == nil {
				t.Errorf("--dry-run wrote %s", replay.FixedName)
			}

			if code, out, errs := runCLI(t, "repair", id, "--quarantine", store); code != c.code {
				t.Fatalf("repair: status %d, want %d\n%s%s", code, c.code, out, errs)
			}
			rec := readRecordJSON(t, store, id)
			if rec.State != quarantine.StateRepaired {
				t.Errorf("state %s, want %s", rec.State, quarantine.StateRepaired)
			}
			if len(rec.History) != len(before.History)+2 {
				t.Fatalf("history grew from %d to %d events, want 2 more: %+v", len(before.History), len(rec.History), rec.History)
			}
			added, ev := rec.History[len(rec.History)-2], rec.History[len(rec.History)-1]
			if added.Action != "file-added" || strings.Join(added.Files, ",") != replay.FixedName {
				t.Errorf("first new event %+v, want file-added of %s", added, replay.FixedName)
			}
			if ev.Action != "repaired" || ev.State != quarantine.StateRepaired || strings.Join(ev.Files, ",") != replay.FixedName {
				t.Errorf("last event %+v, want repaired, state repaired, files [%s]", ev, replay.FixedName)
			}
			var detail struct {
				File    string `json:"file"`
				Changes []struct {
					Rule, What, Part string
					Line             int
				} `json:"changes"`
				Manual []struct {
					Rule, Why string
				} `json:"manual"`
				Remain []string `json:"remaining_rules"`
			}
			if err := json.Unmarshal([]byte(ev.Detail), &detail); err != nil {
				t.Fatalf("repaired event detail is not JSON: %v\n%s", err, ev.Detail)
			}
			if detail.File != replay.FixedName {
				t.Errorf("detail names file %q, want %s", detail.File, replay.FixedName)
			}
			var fixed, manual []string
			for _, ch := range detail.Changes {
				fixed = append(fixed, ch.Rule)
				if ch.What == "" || ch.Part == "" || ch.Line == 0 {
					t.Errorf("change %+v lacks what, part or line", ch)
				}
			}
			for _, m := range detail.Manual {
				manual = append(manual, m.Rule)
				if m.Why == "" {
					t.Errorf("manual fix %s has no reason", m.Rule)
				}
			}
			if strings.Join(fixed, ",") != strings.Join(c.fixed, ",") || strings.Join(manual, ",") != strings.Join(c.manual, ",") ||
				strings.Join(detail.Remain, ",") != strings.Join(c.remains, ",") {
				t.Errorf("detail: fixed %v, manual %v, remaining %v; want %v, %v, %v\n%s",
					fixed, manual, detail.Remain, c.fixed, c.manual, c.remains, ev.Detail)
			}
			// The event describes the fixed.eml that item.json lists.
			var listed bool
			for _, f := range rec.Files {
				listed = listed || f.Name == replay.FixedName && f.Role == replay.RoleFixed && f.SHA256 != ""
			}
			if !listed {
				t.Errorf("item.json does not list %s: %+v", replay.FixedName, rec.Files)
			}
		})
	}
}

// TestRepairCLI_diffOutput asserts the exact --diff output: the header as
// a unified diff (" " kept, "-" removed, "+" added lines; a tab in a
// folded line shown as \t) between "--- ID/original (header)" and
// "+++ ID/fixed.eml (header)", then one line that summarises the body:
// "body: unchanged (N bytes)", or "body: A bytes -> B bytes, X -> Y lines".
// The body itself is not diffed line by line. --diff prints the same
// with --dry-run, and nothing with --json (stdout stays JSON lines).
func TestRepairCLI_diffOutput(t *testing.T) {
	const common = " From: Alice <alice@example.com>\n To: bob@example.net\n"
	cases := []struct {
		name string
		msg  string
		diff string // after the --- and +++ lines
	}{
		{"body line endings fixed", repairCrashMsg, "@@ -1,7 +1,8 @@\n" + common + " Subject: lunch\n" +
			" Date: Mon, 2 Mar 2026 10:00:00 +0000\n Message-ID: <lunch@example.com>\n MIME-Version: 1.0\n" +
			"-Content-Type: text/plain; charset=\"\"; charset=\"us-ascii\"\n+Content-Type: text/plain;\n+\\tcharset=us-ascii\n" +
			"body: 15 bytes -> 16 bytes, 1 -> 1 lines\n"},
		{"body unchanged", repairCRLFMsg, "@@ -1,7 +1,7 @@\n" + common + " Subject: lunch\n" +
			" Date: Mon, 2 Mar 2026 10:00:00 +0000\n Message-ID: <crlf@example.com>\n MIME-Version: 1.0\n" +
			"-Content-Type: text/plain; charset=\"\"\n+Content-Type: text/plain\n" +
			"body: unchanged (16 bytes)\n"},
		{"body re-encoded", repairLongLineMsg, "@@ -1,7 +1,8 @@\n" + common + " Subject: long\n" +
			" Date: Mon, 2 Mar 2026 10:00:00 +0000\n Message-ID: <long@example.com>\n MIME-Version: 1.0\n" +
			"-Content-Type: text/plain; charset=\"\"\n+Content-Type: text/plain\n+Content-Transfer-Encoding: quoted-printable\n" +
			"body: 1202 bytes -> 1247 bytes, 1 -> 16 lines\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			store, id, _ := addMessageForRepair(t, "NTFS_0001.EML", c.msg)
			want := "--- " + id + "/original (header)\n+++ " + id + "/fixed.eml (header)\n" + c.diff
			fixedPath := filepath.Join(store, id, replay.FixedName)

			_, out, errs := runCLI(t, "repair", id, "--quarantine", store, "--diff", "--dry-run")
			if !strings.HasPrefix(out, want) {
				t.Errorf("repair --diff --dry-run output:\n%s\nwant it to start with:\n%s%s", out, want, errs)
			}
			if _, err := os.Lstat(fixedPath); err == nil {
				t.Errorf("--diff --dry-run wrote %s", replay.FixedName)
			}

			code, out, errs := runCLI(t, "repair", id, "--quarantine", store, "--diff", "--json")
			if code != 0 || strings.Contains(out, "(header)") || strings.Contains(out, "body:") {
				t.Errorf("repair --diff --json: status %d, want 0 and no diff in:\n%s%s", code, out, errs)
			}
			for _, m := range jsonLinesOf(t, out) {
				if m["kind"] != "repair" || m["written"] != true {
					t.Errorf("repair --diff --json line %v, want a written repair", m)
				}
			}
			// The diff describes the file that was written: its header
			// lines are the "+" and " " lines.
			b, err := os.ReadFile(fixedPath)
			if err != nil {
				t.Fatal(err)
			}
			hdr, _ := splitHeader(b)
			var kept []string
			for _, l := range strings.Split(c.diff, "\n") {
				if strings.HasPrefix(l, " ") || strings.HasPrefix(l, "+") {
					kept = append(kept, strings.ReplaceAll(l[1:], `\t`, "\t"))
				}
			}
			if got := strings.Join(headerLines(hdr), "\n"); got != strings.Join(kept, "\n") {
				t.Errorf("fixed.eml header:\n%s\nwant the diff's new side:\n%s", got, strings.Join(kept, "\n"))
			}
		})
	}
}

// TestReplayCLI_duplicateMessageIDWarning asserts replay's duplicate check
// (quarantine/replay/gate.go duplicates): a file in the target folder
// (PickUp) or in the item's original folder (Queue) whose header holds the
// Message-ID of the message to be sent, with other bytes, draws the
// warning "mailroot: warning: ID: PATH has the same Message-ID <ID>: the
// message may be sent twice" on stderr; a file with the same bytes draws
// "holds the same bytes" instead (not both); a file with another
// Message-ID draws none, even when another field or its body names the
// ID. The warnings do not stop a dry run (status 0).
func TestReplayCLI_duplicateMessageIDWarning(t *testing.T) {
	store, id, vsi := addMessageForRepair(t, "NTFS_0001.EML", repairCrashMsg)
	if code, out, errs := runCLI(t, "repair", id, "--quarantine", store); code != 0 {
		t.Fatalf("repair: %d\n%s%s", code, out, errs)
	}
	fixed, err := os.ReadFile(filepath.Join(store, id, replay.FixedName))
	if err != nil {
		t.Fatal(err)
	}
	sameID := "From: Alice <alice@example.com>\r\nTo: bob@example.net\r\nMessage-ID: <lunch@example.com>\r\n\r\nresent copy\r\n"
	otherID := "From: Alice <alice@example.com>\r\nTo: bob@example.net\r\nMessage-ID: <other@example.com>\r\n\r\nLunch at noon?\r\n"
	const idWarn = "has the same Message-ID <lunch@example.com>: the message may be sent twice"
	cases := []struct {
		name    string
		folder  string // under vsi
		content string
		warn    string // the whole warning line after "PATH ", "" for none
	}{
		{"same Message-ID in PickUp", "PickUp", sameID, idWarn},
		{"same Message-ID in the original folder", "Queue", sameID, idWarn},
		{"same bytes in PickUp", "PickUp", string(fixed), "holds the same bytes: the message may be sent twice"},
		{"other Message-ID", "PickUp", otherID, ""},
		// Only the Message-ID field counts: a reply naming the ID, or a
		// body quoting it (after a header with bare LF endings), is
		// another message.
		{"reply naming the ID", "PickUp", strings.Replace(otherID, "To: bob", "In-Reply-To: <lunch@example.com>\r\nTo: bob", 1), ""},
		{"body quoting the ID, LF endings", "PickUp", strings.ReplaceAll(otherID+"see <lunch@example.com>\r\n", "\r\n", "\n"), ""},
		{"same ID folded, LF endings", "Queue", "From: a@example.com\nMessage-ID:\n <lunch@example.com> (resent)\n\nx\n", idWarn},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := filepath.Join(vsi, c.folder, "waiting.eml")
			if err := os.WriteFile(p, []byte(c.content), 0o644); err != nil {
				t.Fatal(err)
			}
			defer os.Remove(p)
			code, out, errs := runCLI(t, "replay", id, "--dry-run", "--quarantine", store, "--sender", "a@example.com", "--rcpt", "b@example.net")
			if code != 0 || !strings.Contains(out, "would send") {
				t.Fatalf("replay --dry-run: status %d\n%s%s", code, out, errs)
			}
			var warnings []string
			for _, l := range strings.Split(strings.TrimSuffix(errs, "\n"), "\n") {
				if strings.HasPrefix(l, "mailroot: warning: ") {
					warnings = append(warnings, l)
				}
			}
			if c.warn == "" {
				if len(warnings) != 0 {
					t.Errorf("unexpected warnings: %q", warnings)
				}
				return
			}
			want := "mailroot: warning: " + id + ": " + p + " " + c.warn
			if len(warnings) != 1 || warnings[0] != want {
				t.Errorf("warnings %q\nwant exactly [%q]", warnings, want)
			}
		})
	}
}
