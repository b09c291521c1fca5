package replay

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/mailroot/mailroot/mime"
	"github.com/mailroot/mailroot/quarantine"
)

// received is what the test server got in one transaction.
type received struct {
	from  string
	rcpts []string
	data  []byte
	tls   bool
	user  string
	ret   smtp.DSNReturn
	envID string
	notes []string // NOTIFY per recipient
}

// testServer is a real go-smtp server on 127.0.0.1:0 whose behaviour each
// test sets: fail RCPT or DATA with a reply, or drop the connection in the
// middle of DATA.
type testServer struct {
	addr string
	mu   sync.Mutex
	got  []received

	rcptErr  *smtp.SMTPError
	dataErr  *smtp.SMTPError
	dropData bool
	password string // AUTH PLAIN required when set
}

func (ts *testServer) faults() (*smtp.SMTPError, *smtp.SMTPError, bool) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.rcptErr, ts.dataErr, ts.dropData
}

// received returns a copy of what the server got.
func (ts *testServer) received() []received {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return append([]received(nil), ts.got...)
}

type session struct {
	srv    *testServer
	conn   *smtp.Conn
	cur    received
	authed bool
}

func (s *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *session) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, user, pass string) error {
		if pass != s.srv.password {
			return errors.New("bad password")
		}
		s.authed, s.cur.user = true, user
		return nil
	}), nil
}

func (s *session) Mail(from string, o *smtp.MailOptions) error {
	if s.srv.password != "" && !s.authed {
		return &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "authentication required"}
	}
	s.cur.from = from
	if o != nil {
		s.cur.ret, s.cur.envID = o.Return, o.EnvelopeID
	}
	_, s.cur.tls = s.conn.TLSConnectionState()
	return nil
}

func (s *session) Rcpt(to string, o *smtp.RcptOptions) error {
	if rcptErr, _, _ := s.srv.faults(); rcptErr != nil {
		return rcptErr
	}
	n := ""
	if o != nil {
		for _, v := range o.Notify {
			n += string(v) + ","
		}
	}
	s.cur.notes = append(s.cur.notes, n)
	s.cur.rcpts = append(s.cur.rcpts, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	_, dataErr, drop := s.srv.faults()
	if drop {
		buf := make([]byte, 10)
		_, _ = io.ReadFull(r, buf)
		s.conn.Conn().Close()
		return errors.New("dropped")
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if dataErr != nil {
		return dataErr
	}
	s.cur.data = b
	s.srv.mu.Lock()
	s.srv.got = append(s.srv.got, s.cur)
	s.srv.mu.Unlock()
	return nil
}

func (s *session) Reset()        { s.cur = received{} }
func (s *session) Logout() error { return nil }

func startServer(t *testing.T, cfg *tls.Config, configure func(*testServer)) *testServer {
	t.Helper()
	ts := &testServer{}
	if configure != nil {
		configure(ts)
	}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &session{srv: ts, conn: c}, nil
	}))
	srv.Domain = "localhost"
	srv.EnableDSN = true
	srv.AllowInsecureAuth = cfg == nil
	srv.TLSConfig = cfg
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ts.addr = l.Addr().String()
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { srv.Close() })
	return ts
}

// testCert makes a self-signed certificate for 127.0.0.1.
func testCert(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "mailroot test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pool
}

const smtpMsg = "From: Alice <alice@example.com>\r\nTo: bob@example.net\r\nSubject: smtp\r\nDate: Mon, 2 Mar 2026 10:00:00 +0000\r\nMessage-ID: <s1@example.com>\r\n\r\n.a line that needs SMTP dot-stuffing\r\n.\r\nlast\r\n"

// pickupItem quarantines a PickUp file carrying smtpMsg with an envelope.
func pickupItem(t *testing.T, e *env) string {
	return e.add(t, e.pickup, "p.eml", mime.FolderPickup,
		"x-sender: alice@example.com\r\nx-receiver: bob@example.net\r\nx-receiver: bcc@example.org\r\n"+strings.ReplaceAll(smtpMsg, "\r\n.", "\r\n.."))
}

func TestSMTP_endToEnd(t *testing.T) {
	cert, pool := testCert(t)
	tests := []struct {
		name    string
		tls     *tls.Config
		opts    SMTPOptions
		wantTLS bool
	}{
		{"plain", nil, SMTPOptions{}, false},
		{"starttls", &tls.Config{Certificates: []tls.Certificate{cert}}, SMTPOptions{TLSConfig: &tls.Config{RootCAs: pool}, RequireTLS: true, User: "admin", Password: "s3cret"}, true},
		{"starttls insecure", &tls.Config{Certificates: []tls.Certificate{cert}}, SMTPOptions{Insecure: true}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := startServer(t, tt.tls, func(s *testServer) { s.password = tt.opts.Password })
			e := newEnv(t)
			id := pickupItem(t, e)
			res, err := Replay(context.Background(), e.st, id, Target{Kind: ToSMTP, Addr: ts.addr, SMTP: tt.opts}, Options{Original: true})
			if err != nil {
				t.Fatalf("replay: %v (%+v)", err, res)
			}
			if len(ts.received()) != 1 {
				t.Fatalf("server got %d messages", len(ts.received()))
			}
			g := ts.received()[0]
			if g.from != "alice@example.com" || strings.Join(g.rcpts, ",") != "bob@example.net,bcc@example.org" {
				t.Errorf("envelope: MAIL %q RCPT %v", g.from, g.rcpts)
			}
			if string(g.data) != smtpMsg {
				t.Errorf("DATA received:\n got %q\nwant %q", g.data, smtpMsg)
			}
			if res.SHA256 != sha(g.data) {
				t.Errorf("recorded SHA-256 %s is not that of the bytes received", res.SHA256)
			}
			if g.tls != tt.wantTLS {
				t.Errorf("TLS = %v, want %v", g.tls, tt.wantTLS)
			}
			if tt.opts.User != "" && g.user != tt.opts.User {
				t.Errorf("AUTH user %q", g.user)
			}
			if res.Reply == nil || res.Reply.Code != 250 {
				t.Errorf("reply %v", res.Reply)
			}
			rec, _ := e.st.Get(id)
			if rec.State != quarantine.StateReplayed || !strings.Contains(Replayed(rec)[0].Detail, "smtp://"+ts.addr) {
				t.Errorf("state %s, history %+v", rec.State, rec.History)
			}
			e.checkJournal(t, quarantine.OpDone)
		})
	}
}

func TestSMTP_requireTLSRefusesPlainServer(t *testing.T) {
	ts := startServer(t, nil, nil)
	e := newEnv(t)
	id := pickupItem(t, e)
	res, err := Replay(context.Background(), e.st, id, Target{Kind: ToSMTP, Addr: ts.addr, SMTP: SMTPOptions{RequireTLS: true}}, Options{Original: true})
	if err == nil || len(ts.received()) != 0 || res.Outcome != Failed {
		t.Fatalf("sent without TLS: %v %+v", err, res)
	}
}

func TestSMTP_failuresLeaveItemQuarantined(t *testing.T) {
	tests := []struct {
		name      string
		configure func(*testServer)
		outcome   Outcome
		code      int
	}{
		{"4xx on RCPT", func(s *testServer) {
			s.rcptErr = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
		}, Retryable, 451},
		{"5xx on DATA", func(s *testServer) {
			s.dataErr = &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: "content rejected"}
		}, Failed, 554},
		{"connection dropped mid-DATA", func(s *testServer) { s.dropData = true }, Retryable, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := startServer(t, nil, tt.configure)
			e := newEnv(t)
			id := pickupItem(t, e)
			res, err := Replay(context.Background(), e.st, id, Target{Kind: ToSMTP, Addr: ts.addr, SMTP: SMTPOptions{Timeout: 5 * time.Second}}, Options{Original: true})
			if err == nil {
				t.Fatal("no error")
			}
			var se *SendError
			if !errors.As(err, &se) || res.Outcome != tt.outcome || se.Temporary != (tt.outcome == Retryable) {
				t.Fatalf("err %v (%T), outcome %s", err, err, res.Outcome)
			}
			if tt.code != 0 && (se.Reply == nil || se.Reply.Code != tt.code) {
				t.Errorf("reply %v, want code %d", se.Reply, tt.code)
			}
			rec, err := e.st.Get(id)
			if err != nil {
				t.Fatal(err)
			}
			if rec.State != quarantine.StateQuarantined || len(Replayed(rec)) != 0 {
				t.Errorf("state %s after a failed send", rec.State)
			}
			last := rec.History[len(rec.History)-1]
			if last.Action != "replay-"+string(tt.outcome) || (tt.code != 0 && !strings.Contains(last.Detail, res.Reply.Message)) {
				t.Errorf("history does not record the failure: %+v", last)
			}
			e.checkJournal(t, quarantine.OpAbort)
			e.checkVerify(t)
			// The item can be replayed once the server recovers, without --again.
			ts.mu.Lock()
			ts.rcptErr, ts.dataErr, ts.dropData = nil, nil, false
			ts.mu.Unlock()
			if _, err := Replay(context.Background(), e.st, id, Target{Kind: ToSMTP, Addr: ts.addr}, Options{Original: true}); err != nil {
				t.Fatalf("retry: %v", err)
			}
			if len(ts.received()) != 1 {
				t.Errorf("server got %d messages after the retry", len(ts.received()))
			}
			e.checkJournal(t, quarantine.OpAbort, quarantine.OpDone)
		})
	}
}

// TestSMTP_replayParamsKept: the ESMTP parameters of an Exchange Replay
// file's envelope (RET, ENVID, NOTIFY) reach the server.
func TestSMTP_replayParamsKept(t *testing.T) {
	ts := startServer(t, nil, nil)
	e := newEnv(t)
	msg := "X-Sender: <alice@example.com> BODY=7bit RET=HDRS ENVID=abc+2B1\r\nX-Receiver: <bob@example.net> NOTIFY=FAILURE,DELAY\r\nX-Receiver: <carol@example.net>\r\n" + smtpMsg
	id := e.add(t, e.root, "r.eml", mime.FolderReplay, msg)
	if _, err := Replay(context.Background(), e.st, id, Target{Kind: ToSMTP, Addr: ts.addr}, Options{Original: true, Force: true}); err != nil {
		t.Fatal(err)
	}
	if len(ts.received()) != 1 {
		t.Fatalf("server got %d messages", len(ts.received()))
	}
	g := ts.received()[0]
	if g.ret != smtp.DSNReturnHeaders || g.envID != "abc+1" || strings.Join(g.notes, "|") != "FAILURE,DELAY,|" {
		t.Errorf("RET %q ENVID %q NOTIFY %q", g.ret, g.envID, g.notes)
	}
	if string(g.data) != smtpMsg {
		t.Errorf("DATA %q", g.data)
	}
}
