package queue

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mailroot/mailroot/mime"
)

// The -update flag rewrites golden files. Other test files of the package
// may define it too, so it is registered only when absent.
func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite golden files")
	}
}

func updateGolden() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

func checkGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if updateGolden() {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden (run go test -update to create it): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs:\n got %q\nwant %q", path, got, want)
	}
}

func TestWriteMessage_golden(t *testing.T) {
	env := mime.Envelope{
		Sender:     "<alice@example.com>",
		Recipients: []string{"bob@example.net", "<Carol@Example.NET>"},
		Params: map[string]string{
			"":                    "BODY=7bit  RET=HDRS ENVID=abc",
			"<Carol@Example.NET>": "NOTIFY=NEVER",
			"bob@example.net":     "NOTIFY=FAILURE ORCPT=rfc822;bob@example.net",
		},
	}
	for _, in := range []string{"mixed", "clean"} {
		for _, f := range []Format{FormatPickup, FormatReplay} {
			t.Run(in+"_"+string(f), func(t *testing.T) {
				src, err := os.ReadFile(filepath.Join("testdata", "pickupfile", in+".eml"))
				if err != nil {
					t.Fatal(err)
				}
				var out bytes.Buffer
				n, err := WriteMessage(&out, f, env, bytes.NewReader(src))
				if err != nil {
					t.Fatal(err)
				}
				if n != int64(out.Len()) {
					t.Errorf("returned %d bytes, wrote %d", n, out.Len())
				}
				checkGolden(t, filepath.Join("testdata", "pickupfile", in+"."+string(f)+".golden"), out.Bytes())
			})
		}
	}
}

// TestWriteMessage_exact pins the format independently of the golden files.
func TestWriteMessage_exact(t *testing.T) {
	env := mime.Envelope{Sender: "a@x.org", Recipients: []string{"b@y.org", "c@z.org"}}
	msg := "x-sender: stale@x.org\nX-Receiver: stale@y.org\n\tfolded\nFrom: a@x.org\n\n.\n.x\nend"
	tests := []struct {
		f    Format
		want string
	}{
		{FormatPickup, "x-sender: a@x.org\r\nx-receiver: b@y.org\r\nx-receiver: c@z.org\r\nFrom: a@x.org\r\n\r\n..\r\n..x\r\nend\r\n"},
		{FormatReplay, "X-Sender: <a@x.org>\r\nX-Receiver: <b@y.org>\r\nX-Receiver: <c@z.org>\r\nFrom: a@x.org\r\n\r\n.\r\n.x\r\nend\r\n"},
	}
	for _, tt := range tests {
		t.Run(string(tt.f), func(t *testing.T) {
			var out bytes.Buffer
			if _, err := WriteMessage(&out, tt.f, env, strings.NewReader(msg)); err != nil {
				t.Fatal(err)
			}
			if out.String() != tt.want {
				t.Errorf("got  %q\nwant %q", out.String(), tt.want)
			}
		})
	}
}

func TestEnvelopeLines_splitNotifyList(t *testing.T) {
	env := mime.Envelope{Sender: "a@x.org", Recipients: []string{"b@y.org"}, Params: map[string]string{"b@y.org": "NOTIFY=FAILURE DELAY ORCPT=rfc822;b@y.org"}}
	got, err := EnvelopeLines(FormatReplay, env)
	if err != nil {
		t.Fatal(err)
	}
	if want := "X-Sender: <a@x.org>\r\nX-Receiver: <b@y.org> NOTIFY=FAILURE,DELAY ORCPT=rfc822;b@y.org\r\n"; string(got) != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestWriteMessage_nullSender(t *testing.T) {
	env := mime.Envelope{Sender: "<>", Recipients: []string{"b@y.org"}}
	var out bytes.Buffer
	if _, err := WriteMessage(&out, FormatPickup, env, strings.NewReader("From: x@y\r\n\r\nb\r\n")); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "x-sender: <>\r\nx-receiver: b@y.org\r\n") {
		t.Errorf("got %q", out.String())
	}
}

func TestWriteMessage_badEnvelope(t *testing.T) {
	tests := []struct {
		name string
		env  mime.Envelope
	}{
		{"no recipients", mime.Envelope{Sender: "a@b"}},
		{"CRLF injection in sender", mime.Envelope{Sender: "a@b\r\nx-receiver: evil@c", Recipients: []string{"x@y"}}},
		{"space in recipient", mime.Envelope{Sender: "a@b", Recipients: []string{"x@y z@w"}}},
		{"empty recipient", mime.Envelope{Sender: "a@b", Recipients: []string{"<>"}}},
		// One address per envelope line: the scanner (ENV-001) and the
		// service read a comma or semicolon as a second address.
		{"comma in recipient", mime.Envelope{Sender: "a@b", Recipients: []string{"x@y,z@w"}}},
		{"semicolon in sender", mime.Envelope{Sender: "a@b;c@d", Recipients: []string{"x@y"}}},
		{"NUL", mime.Envelope{Sender: "a\x00@b", Recipients: []string{"x@y"}}},
		{"LF in params", mime.Envelope{Sender: "a@b", Recipients: []string{"x@y"}, Params: map[string]string{"": "RET=HDRS\nRCPT TO:<e@f>"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			formats := []Format{FormatPickup, FormatReplay}
			if strings.Contains(tt.name, "params") {
				formats = formats[1:] // the pickup format carries no parameters
			}
			for _, f := range formats {
				var out bytes.Buffer
				_, err := WriteMessage(&out, f, tt.env, strings.NewReader("From: a@b\r\n\r\n"))
				if err == nil {
					t.Fatalf("%s: no error; wrote %q", f, out.String())
				}
				if tt.name != "no recipients" && !IsAddressError(err) {
					t.Errorf("%s: error %v is not an AddressError", f, err)
				}
			}
		})
	}
}

func TestLineWriter(t *testing.T) {
	tests := []struct {
		in, want string
		stuff    bool
	}{
		{"", "", true},
		{"a", "a\r\n", true},
		{"a\r", "a\r\n", true},
		{"a\r\r\nb", "a\r\n\r\nb\r\n", false},
		{"\n\n", "\r\n\r\n", false},
		{".\r\n", "..\r\n", true},
		{".\r\n", ".\r\n", false},
		{"x.\r\n.y\n", "x.\r\n..y\r\n", true},
	}
	for _, tt := range tests {
		// Feed one byte at a time as well, so state carries across writes.
		for _, chunk := range []int{1 << 20, 1} {
			var out bytes.Buffer
			lw := NewLineWriter(&out, tt.stuff)
			for s := tt.in; len(s) > 0; {
				n := min(chunk, len(s))
				if _, err := lw.Write([]byte(s[:n])); err != nil {
					t.Fatal(err)
				}
				s = s[n:]
			}
			if err := lw.Close(); err != nil {
				t.Fatal(err)
			}
			if out.String() != tt.want {
				t.Errorf("LineWriter(%q, stuff=%v, chunk %d) = %q, want %q", tt.in, tt.stuff, chunk, out.String(), tt.want)
			}
		}
	}
}

func TestValidateDropName(t *testing.T) {
	for _, bad := range []string{"", ".", "..", "../x.eml", `..\x.eml`, "a/b.eml", `C:x.eml`, "x.eml:stream", "x.eml.", "x\x00.eml", "x\n.eml"} {
		if ValidateDropName(bad) == nil {
			t.Errorf("ValidateDropName(%q) accepted", bad)
		}
	}
	for _, good := range []string{"0123ABCD.eml", "vsi 1 item.eml"} {
		if err := ValidateDropName(good); err != nil {
			t.Errorf("ValidateDropName(%q): %v", good, err)
		}
	}
}

func writeString(s string) func(io.Writer) error {
	return func(w io.Writer) error { _, err := io.WriteString(w, s); return err }
}

func TestStage_nothingVisibleBeforeCommit(t *testing.T) {
	root := t.TempDir()
	pickup := filepath.Join(root, "vsi 1", "PickUp")
	store := filepath.Join(root, "vsi 1", "Quarantine", "item")
	for _, d := range []string{pickup, store} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	s, err := Stage(pickup, "ABC.eml", store, writeString("hello\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(pickup); len(entries) != 0 {
		t.Fatalf("pickup holds %d entries before Commit", len(entries))
	}
	if filepath.Dir(s.TempPath) != store {
		t.Errorf("temp file %s not in %s", s.TempPath, store)
	}
	sum := sha256.Sum256([]byte("hello\r\n"))
	if s.SHA256 != hex.EncodeToString(sum[:]) || s.Size != 7 {
		t.Errorf("Staged = %+v", s)
	}
	if s.Committed() {
		t.Error("Committed before Commit")
	}
	if err := s.Commit(); err != nil {
		t.Fatal(err)
	}
	if !s.Committed() {
		t.Error("not Committed after Commit")
	}
	got, err := os.ReadFile(filepath.Join(pickup, "ABC.eml"))
	if err != nil || string(got) != "hello\r\n" {
		t.Fatalf("dropped file = %q, %v", got, err)
	}
	if _, err := os.Stat(s.TempPath); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("temp file still there: %v", err)
	}
}

func TestCommit_neverReplaces(t *testing.T) {
	root := t.TempDir()
	pickup := filepath.Join(root, "Pickup")
	if err := os.Mkdir(pickup, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(pickup, "X.eml"), []byte("first"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Drop(pickup, "X.eml", "", writeString("second"))
	if !errors.Is(err, ErrExists) {
		t.Fatalf("Drop over an existing file: err = %v, want ErrExists", err)
	}
	got, _ := os.ReadFile(filepath.Join(pickup, "X.eml"))
	if string(got) != "first" {
		t.Errorf("existing file changed to %q", got)
	}
	// The temp file is removed, and the sibling temp folder holds nothing.
	entries, _ := os.ReadDir(filepath.Join(root, ".mailroot-tmp"))
	if len(entries) != 0 {
		t.Errorf("temp folder holds %d files after a refused drop", len(entries))
	}
}

func TestStage_refusesTempInsideTarget(t *testing.T) {
	pickup := t.TempDir()
	inside := filepath.Join(pickup, "sub")
	if err := os.Mkdir(inside, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tmp := range []string{pickup, inside} {
		if _, err := Stage(pickup, "A.eml", tmp, writeString("x")); err == nil {
			t.Errorf("Stage with temp folder %s inside the target succeeded", tmp)
		}
	}
}

func TestStage_writeErrorLeavesNothing(t *testing.T) {
	root := t.TempDir()
	pickup := filepath.Join(root, "Pickup")
	store := filepath.Join(root, "store")
	for _, d := range []string{pickup, store} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	boom := errors.New("boom")
	_, err := Stage(pickup, "A.eml", store, func(w io.Writer) error {
		_, _ = io.WriteString(w, "partial")
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	for _, d := range []string{pickup, store} {
		if entries, _ := os.ReadDir(d); len(entries) != 0 {
			t.Errorf("%s holds %d entries after a failed write", d, len(entries))
		}
	}
}

func TestAbort(t *testing.T) {
	root := t.TempDir()
	pickup := filepath.Join(root, "Pickup")
	if err := os.Mkdir(pickup, 0o755); err != nil {
		t.Fatal(err)
	}
	s, err := Stage(pickup, "A.eml", "", writeString("x"))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Abort(); err != nil {
		t.Fatal(err)
	}
	if s.Committed() {
		t.Error("Committed after Abort")
	}
	if _, err := os.Stat(s.TempPath); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("temp file survives Abort: %v", err)
	}
	if err := s.Commit(); err == nil {
		t.Error("Commit after Abort succeeded")
	}
}

// watchDir polls dir until stop is closed, reading every file it lists, and
// reports each read whose content is not exactly want(name).
func watchDir(dir string, want func(name string) []byte, stop <-chan struct{}, partial *atomic.Int64, seen *atomic.Int64) {
	for {
		select {
		case <-stop:
			return
		default:
		}
		entries, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, e := range entries {
			b, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil {
				continue // vanished between list and read: fine
			}
			seen.Add(1)
			if w := want(e.Name()); w == nil || !bytes.Equal(b, w) {
				partial.Add(1)
			}
		}
	}
}

func dropPayload(name string) []byte {
	return bytes.Repeat([]byte(name+" payload line\r\n"), 20000) // ~500 KB
}

// TestDrop_watcherNeverSeesPartialFile runs a poller, like the pickup
// service, against the target folder while many drops happen, and fails if
// it ever reads a file that is not complete.
func TestDrop_watcherNeverSeesPartialFile(t *testing.T) {
	root := t.TempDir()
	pickup := filepath.Join(root, "PickUp")
	store := filepath.Join(root, "Quarantine")
	for _, d := range []string{pickup, store} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	want := func(name string) []byte {
		if !strings.HasSuffix(name, ".eml") {
			return nil
		}
		return dropPayload(strings.TrimSuffix(name, ".eml"))
	}
	stop := make(chan struct{})
	var partial, seen atomic.Int64
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); watchDir(pickup, want, stop, &partial, &seen) }()
	for i := range 60 {
		name := fmt.Sprintf("ITEM%03d", i)
		payload := dropPayload(name)
		_, err := Drop(pickup, name+".eml", store, func(w io.Writer) error {
			// Write in small pieces, to give a watcher every chance.
			for p := payload; len(p) > 0; {
				n := min(4096, len(p))
				if _, err := w.Write(p[:n]); err != nil {
					return err
				}
				p = p[n:]
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(20 * time.Millisecond)
	close(stop)
	wg.Wait()
	if partial.Load() != 0 {
		t.Errorf("watcher read %d partial or foreign files (of %d reads)", partial.Load(), seen.Load())
	}
	if seen.Load() == 0 {
		t.Error("watcher never read a file: the test proves nothing")
	}
	entries, _ := os.ReadDir(pickup)
	if len(entries) != 60 {
		t.Errorf("pickup holds %d files, want 60", len(entries))
	}
}

// TestWatcher_detectsNaiveWrite shows that the watcher above can fail: a
// file written in place is seen half-written.
func TestWatcher_detectsNaiveWrite(t *testing.T) {
	pickup := t.TempDir()
	want := func(name string) []byte { return dropPayload(strings.TrimSuffix(name, ".eml")) }
	stop := make(chan struct{})
	var partial, seen atomic.Int64
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); watchDir(pickup, want, stop, &partial, &seen) }()
	for i := range 5 {
		name := fmt.Sprintf("NAIVE%d", i)
		f, err := os.Create(filepath.Join(pickup, name+".eml"))
		if err != nil {
			t.Fatal(err)
		}
		payload := dropPayload(name)
		for p := payload; len(p) > 0; {
			n := min(64<<10, len(p))
			_, _ = f.Write(p[:n])
			p = p[n:]
			time.Sleep(2 * time.Millisecond)
		}
		_ = f.Close()
	}
	close(stop)
	wg.Wait()
	if partial.Load() == 0 {
		t.Error("watcher did not notice files written in place")
	}
}

func TestClearReadOnly(t *testing.T) {
	p := filepath.Join(t.TempDir(), "ro.eml")
	if err := os.WriteFile(p, []byte("x"), 0o444); err != nil {
		t.Fatal(err)
	}
	if err := dropClearReadOnly(p); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm()&0o200 == 0 {
		t.Errorf("file still read-only: %v", fi.Mode())
	}
}

func TestDropTransientCode(t *testing.T) {
	for code, want := range map[uintptr]bool{5: true, 32: true, 33: true, 2: false, 80: false, 183: false, 17: false} {
		if got := dropTransientCode(code); got != want {
			t.Errorf("dropTransientCode(%d) = %v, want %v", code, got, want)
		}
	}
}

// TestIsWithinFold: the temp-folder check must see "D:\Mailroot\PICKUP\tmp"
// as inside "D:\Mailroot\PickUp" on Windows (NTFS names ignore case), or
// the service would pick up the half-written file.
func TestIsWithinFold(t *testing.T) {
	sep := string(filepath.Separator)
	root := sep + filepath.Join("mail", "vsi 1")
	for _, tt := range []struct {
		path, dir string
		fold      bool
		want      bool
	}{
		{filepath.Join(root, "PickUp", "tmp"), filepath.Join(root, "PickUp"), false, true},
		{filepath.Join(root, "PickUp"), filepath.Join(root, "PickUp"), false, true},
		{filepath.Join(root, "PICKUP", "tmp"), filepath.Join(root, "PickUp"), false, false},
		{filepath.Join(root, "PICKUP", "tmp"), filepath.Join(root, "PickUp"), true, true},
		{filepath.Join(root, "pickup"), filepath.Join(root, "PickUp"), true, true},
		{filepath.Join(root, "PickUp2"), filepath.Join(root, "PickUp"), true, false},
		{filepath.Join(root, "Queue"), filepath.Join(root, "PickUp"), true, false},
		{root, filepath.Join(root, "PickUp"), true, false},
		{filepath.Join(root, "..pickup"), filepath.Join(root, "PickUp"), true, false},
	} {
		if got := isWithinFold(tt.path, tt.dir, tt.fold); got != tt.want {
			t.Errorf("isWithinFold(%q, %q, %v) = %v, want %v", tt.path, tt.dir, tt.fold, got, tt.want)
		}
	}
}
