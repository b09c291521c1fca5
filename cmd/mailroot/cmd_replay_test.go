package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/mailroot/mailroot/quarantine"
)

// cliSMTP is a go-smtp server on 127.0.0.1:0 that records what it gets
// and requires AUTH PLAIN as admin/s3cret.
type cliSMTP struct {
	mu    sync.Mutex
	from  []string
	rcpts [][]string
	data  [][]byte
	users []string
}

type cliSession struct {
	srv   *cliSMTP
	user  string
	from  string
	rcpts []string
}

func (s *cliSession) AuthMechanisms() []string { return []string{sasl.Plain} }
func (s *cliSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != "admin" || pass != "s3cret" {
			return errors.New("bad credentials")
		}
		s.user = user
		return nil
	}), nil
}
func (s *cliSession) Mail(from string, _ *smtp.MailOptions) error {
	if s.user == "" {
		return &smtp.SMTPError{Code: 530, Message: "auth required"}
	}
	s.from = from
	return nil
}
func (s *cliSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.rcpts = append(s.rcpts, to)
	return nil
}
func (s *cliSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.srv.mu.Lock()
	defer s.srv.mu.Unlock()
	s.srv.from = append(s.srv.from, s.from)
	s.srv.rcpts = append(s.srv.rcpts, s.rcpts)
	s.srv.data = append(s.srv.data, b)
	s.srv.users = append(s.srv.users, s.user)
	return nil
}
func (s *cliSession) Reset()        { s.from, s.rcpts = "", nil }
func (s *cliSession) Logout() error { return nil }

// snapshot copies what the server got, under its lock.
func (c *cliSMTP) snapshot() cliSMTP {
	c.mu.Lock()
	defer c.mu.Unlock()
	return cliSMTP{from: append([]string(nil), c.from...), rcpts: append([][]string(nil), c.rcpts...), data: append([][]byte(nil), c.data...), users: append([]string(nil), c.users...)}
}

func startCLISMTP(t *testing.T) (*cliSMTP, string) {
	t.Helper()
	cs := &cliSMTP{}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &cliSession{srv: cs}, nil }))
	srv.Domain, srv.AllowInsecureAuth = "localhost", true
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { srv.Close() })
	return cs, l.Addr().String()
}

func runReplayCLI(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	e := &env{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errb}
	code := run(context.Background(), e, args)
	return code, out.String(), errb.String()
}

// TestReplayCLI_smtp drives "mailroot replay --smtp" end to end: the flags
// reach the SMTP session (AUTH with the password from the environment),
// the envelope recorded from the PickUp file is used, the exit status is
// 0, and a second replay is refused with status 1.
func TestReplayCLI_smtp(t *testing.T) {
	srv, addr := startCLISMTP(t)
	root := t.TempDir()
	pickup := filepath.Join(root, "vsi 1", "PickUp")
	if err := os.MkdirAll(pickup, 0o755); err != nil {
		t.Fatal(err)
	}
	msg := "From: Alice <alice@example.com>\r\nTo: bob@example.net\r\nSubject: hi\r\nDate: Mon, 2 Mar 2026 10:00:00 +0000\r\nMessage-ID: <c1@example.com>\r\n\r\n..dotted\r\nbody\r\n"
	file := filepath.Join(pickup, "stuck.eml")
	if err := os.WriteFile(file, []byte("x-sender: alice@example.com\r\nx-receiver: bob@example.net\r\nx-receiver: bcc@example.org\r\n"+msg), 0o644); err != nil {
		t.Fatal(err)
	}
	store := filepath.Join(root, "vsi 1", "Quarantine")
	if code, _, stderr := runReplayCLI(t, "", "quarantine", "add", file, "--quarantine", store); code != 0 {
		t.Fatalf("quarantine add: status %d: %s", code, stderr)
	}
	_, list, _ := runReplayCLI(t, "", "quarantine", "list", "--quarantine", store)

	// --user without the password in the environment is a usage error.
	t.Setenv(smtpPasswordEnv, "")
	if code, _, stderr := runReplayCLI(t, list, "replay", "-", "--original", "--smtp", addr, "--user", "admin", "--quarantine", store); code != 2 || !strings.Contains(stderr, smtpPasswordEnv) {
		t.Fatalf("status %d, stderr %q", code, stderr)
	}
	t.Setenv(smtpPasswordEnv, "s3cret")
	code, stdout, stderr := runReplayCLI(t, list, "replay", "-", "--original", "--smtp", addr, "--user", "admin", "--quarantine", store, "--json")
	if code != 0 {
		t.Fatalf("replay: status %d\nstdout %s\nstderr %s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, `"kind":"replay"`) || !strings.Contains(stdout, `"outcome":"sent"`) || !strings.Contains(stdout, `"code":250`) {
		t.Errorf("JSON line: %s", stdout)
	}
	got := srv.snapshot()
	if len(got.data) != 1 {
		t.Fatalf("server got %d messages", len(got.data))
	}
	want := strings.Replace(msg, "..dotted", ".dotted", 1) // the PickUp file's ".." is "."
	if string(got.data[0]) != want || got.from[0] != "alice@example.com" || strings.Join(got.rcpts[0], ",") != "bob@example.net,bcc@example.org" || got.users[0] != "admin" {
		t.Errorf("server got MAIL %q RCPT %v user %q DATA %q", got.from[0], got.rcpts[0], got.users[0], got.data[0])
	}

	code, stdout, _ = runReplayCLI(t, list, "replay", "-", "--original", "--smtp", addr, "--user", "admin", "--quarantine", store)
	if code != 1 || !strings.Contains(stdout, "already replayed") {
		t.Errorf("second replay: status %d, stdout %q", code, stdout)
	}
	if n := len(srv.snapshot().data); n != 1 {
		t.Errorf("server got %d messages after the refused replay", n)
	}

	st, err := quarantine.Open(store, quarantine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	recs, _ := st.List(quarantine.Filter{State: quarantine.StateReplayed})
	if len(recs) != 1 {
		t.Errorf("%d replayed items in the store", len(recs))
	}
}

func TestReplayTarget(t *testing.T) {
	t.Setenv(smtpPasswordEnv, "pw")
	tests := []struct {
		o       replayOptions
		kind    string
		dir     string
		addr    string
		wantErr bool
	}{
		{o: replayOptions{}, kind: "pickup"},
		{o: replayOptions{pickup: "P"}, kind: "pickup", dir: "P"},
		{o: replayOptions{replayDir: "R"}, kind: "replay", dir: "R"},
		{o: replayOptions{to: "replay", replayDir: "R"}, kind: "replay", dir: "R"},
		{o: replayOptions{smtpAddr: "mail.example.com"}, kind: "smtp", addr: "mail.example.com:25"},
		{o: replayOptions{to: "smtp", smtpAddr: "h:587", user: "u"}, kind: "smtp", addr: "h:587"},
		{o: replayOptions{to: "smtp"}, wantErr: true},
		{o: replayOptions{to: "pickup", smtpAddr: "h:25"}, wantErr: true},
		{o: replayOptions{to: "queue"}, wantErr: true},
		{o: replayOptions{tls: true}, wantErr: true},
	}
	for i, tt := range tests {
		tgt, err := replayTarget(&tt.o)
		if (err != nil) != tt.wantErr {
			t.Errorf("%d: err = %v", i, err)
			continue
		}
		want := tt.dir
		if want != "" {
			want, _ = filepath.Abs(want) // recorded whatever the working directory
		}
		if err == nil && (string(tgt.Kind) != tt.kind || tgt.Dir != want || tgt.Addr != tt.addr) {
			t.Errorf("%d: target %+v", i, tgt)
		}
	}
}

func TestRateFlag(t *testing.T) {
	for in, want := range map[string]int{"20": 20, "20/min": 20, " 5/m": 5, "0": 0} {
		var n int
		if err := (rateFlag{&n}).Set(in); err != nil || n != want {
			t.Errorf("Set(%q) = %d, %v", in, n, err)
		}
	}
	for _, bad := range []string{"x", "-1", "5/s"} {
		var n int
		if err := (rateFlag{&n}).Set(bad); err == nil {
			t.Errorf("Set(%q) accepted", bad)
		}
	}
}

// TestReplayCLI_toReplayDir: "--to replay DIR", the form of the runbook,
// writes the Replay file into DIR; the ID may come before or after it.
func TestReplayCLI_toReplayDir(t *testing.T) {
	root := t.TempDir()
	pickup := filepath.Join(root, "vsi 1", "PickUp")
	replayDir := filepath.Join(root, "Exchange Replay")
	for _, d := range []string{pickup, replayDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	msg := "From: alice@example.com\r\nTo: bob@example.net\r\nSubject: hi\r\nDate: Mon, 2 Mar 2026 10:00:00 +0000\r\nMessage-ID: <r2@example.com>\r\n\r\nbody\r\n"
	store := filepath.Join(root, "vsi 1", "Quarantine")
	var ids []string
	for _, name := range []string{"a.eml", "b.eml"} {
		file := filepath.Join(pickup, name)
		if err := os.WriteFile(file, []byte("x-sender: alice@example.com\r\nx-receiver: bob@example.net\r\n"+msg), 0o644); err != nil {
			t.Fatal(err)
		}
		if code, _, stderr := runReplayCLI(t, "", "quarantine", "add", file, "--quarantine", store, "--json"); code != 0 {
			t.Fatalf("quarantine add: status %d: %s", code, stderr)
		}
	}
	st, err := quarantine.Open(store, quarantine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	recs, _ := st.List(quarantine.Filter{})
	st.Close()
	for _, r := range recs {
		ids = append(ids, r.ID)
	}
	if len(ids) != 2 {
		t.Fatalf("%d items", len(ids))
	}
	for i, args := range [][]string{
		{"replay", ids[0], "--original", "--to", "replay", replayDir, "--quarantine", store},
		{"replay", "--to", "replay", replayDir, ids[1], "--original", "--quarantine", store},
	} {
		if code, stdout, stderr := runReplayCLI(t, "", args...); code != 0 {
			t.Fatalf("%d: status %d\nstdout %s\nstderr %s", i, code, stdout, stderr)
		}
		got, err := os.ReadFile(filepath.Join(replayDir, ids[i]+".eml"))
		if err != nil {
			t.Fatalf("%d: %v", i, err)
		}
		if want := "X-Sender: <alice@example.com>\r\nX-Receiver: <bob@example.net>\r\n" + msg; string(got) != want {
			t.Errorf("%d: replay file\n got %q\nwant %q", i, got, want)
		}
	}
	if ents, _ := os.ReadDir(pickup); len(ents) != 0 {
		t.Errorf("something was written to PickUp: %v", ents)
	}
}

// TestReplayCLI_relativeTargetFolder: a target folder given relative to
// the working directory is recorded as an absolute path, and a folder name
// that could also be read as an ID prefix ("Replay") is the folder when
// it exists.
func TestReplayCLI_relativeTargetFolder(t *testing.T) {
	root := t.TempDir()
	pickup := filepath.Join(root, "vsi 1", "PickUp")
	transport := filepath.Join(root, "TransportRoles")
	for _, d := range []string{pickup, filepath.Join(transport, "Replay")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	file := filepath.Join(pickup, "c.eml")
	msg := "From: alice@example.com\r\nTo: bob@example.net\r\nSubject: hi\r\nDate: Mon, 2 Mar 2026 10:00:00 +0000\r\nMessage-ID: <r3@example.com>\r\n\r\nbody\r\n"
	if err := os.WriteFile(file, []byte("x-sender: alice@example.com\r\nx-receiver: bob@example.net\r\n"+msg), 0o644); err != nil {
		t.Fatal(err)
	}
	store := filepath.Join(root, "vsi 1", "Quarantine")
	code, out, errs := runReplayCLI(t, "", "quarantine", "add", file, "--quarantine", store, "--json")
	if code != 0 {
		t.Fatalf("quarantine add: status %d: %s", code, errs)
	}
	id := ""
	for _, m := range jsonLinesOf(t, out) {
		if s, ok := m["id"].(string); ok {
			id = s
		}
	}
	t.Chdir(transport)
	code, out, errs = runReplayCLI(t, "", "replay", id, "--original", "--to", "replay", "Replay", "--quarantine", store, "--json")
	if code != 0 {
		t.Fatalf("replay --to replay Replay: status %d\n%s%s", code, out, errs)
	}
	want := filepath.Join(transport, "Replay", id+".eml")
	if _, err := os.Stat(want); err != nil {
		t.Fatalf("no replay file at %s: %v", want, err)
	}
	rec := readRecordJSON(t, store, id)
	last := rec.History[len(rec.History)-1]
	if !strings.Contains(last.Detail, strconv.Quote(want)[1:len(strconv.Quote(want))-1]) {
		t.Errorf("the replay event does not name %s: %s", want, last.Detail)
	}
	if strings.Contains(out, `"path":"Replay`) {
		t.Errorf("a relative path was reported: %s", out)
	}
}

// TestReplayCLI_idNamedTwice: an item named twice (its ID and a prefix) is
// replayed once, status 0, one file in PickUp; with an unknown ID among
// them nothing is sent (status 2).
func TestReplayCLI_idNamedTwice(t *testing.T) {
	msg := "From: Alice <alice@example.com>\r\nTo: bob@example.net\r\nSubject: once\r\nMessage-ID: <once@example.com>\r\nDate: Mon, 2 Mar 2026 10:00:00 +0000\r\n\r\nbody\r\n"
	store, id, vsi := addMessageForRepair(t, "NTFS_0010.EML", msg)
	// A typo among the IDs sends nothing: they are resolved first.
	if code, out, errs := runCLI(t, "replay", id, "zzzzzz", "--original", "--quarantine", store); code != exitUsage || !strings.Contains(errs, "zzzzzz") {
		t.Fatalf("replay ID TYPO: status %d, want %d\n%s%s", code, exitUsage, out, errs)
	}
	if ents, _ := os.ReadDir(filepath.Join(vsi, "PickUp")); len(ents) != 0 {
		t.Fatalf("a replay with a typo sent %d files", len(ents))
	}
	code, out, errs := runCLI(t, "replay", id, strings.ToUpper(id[:7]), "--original", "--quarantine", store)
	if code != 0 || strings.Count(out, ": sent to ") != 1 {
		t.Fatalf("replay ID PREFIX: status %d\nstdout: %q\nstderr: %s", code, out, errs)
	}
	if ents, _ := os.ReadDir(filepath.Join(vsi, "PickUp")); len(ents) != 1 {
		t.Errorf("PickUp holds %d files, want 1", len(ents))
	}
}
