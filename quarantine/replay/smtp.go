package replay

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/mailroot/mailroot/mime"
)

// SMTPOptions configure a send to an SMTP server.
type SMTPOptions struct {
	// RequireTLS refuses to send when the server offers no STARTTLS.
	// STARTTLS is used whenever offered.
	RequireTLS bool
	// Insecure skips certificate verification (test servers).
	Insecure bool
	// TLSConfig, when set, is used for STARTTLS (tests set RootCAs).
	TLSConfig *tls.Config
	// User and Password enable AUTH PLAIN (after STARTTLS when offered).
	User, Password string
	// HelloName is the EHLO name; "" means "localhost".
	HelloName string
	// Timeout bounds the connection and each command; 0 means 2 minutes.
	Timeout time.Duration
}

// sendSMTP delivers data: EHLO, STARTTLS when offered, AUTH PLAIN when a
// user is set, MAIL, RCPT for each recipient, DATA. The reply to DATA is
// returned; any error is classified by classify.
func sendSMTP(ctx context.Context, t Target, env mime.Envelope, data []byte) (*Reply, error) {
	o := t.SMTP
	if o.Timeout <= 0 {
		o.Timeout = 2 * time.Minute
	}
	host := o.HelloName
	if host == "" {
		host = "localhost"
	}
	dial := func() (net.Conn, error) {
		d := net.Dialer{Timeout: o.Timeout}
		conn, err := d.DialContext(ctx, "tcp", t.Addr)
		if err != nil {
			return nil, fmt.Errorf("connect: %w", err)
		}
		return conn, nil
	}
	cfg := &tls.Config{}
	if o.TLSConfig != nil {
		cfg = o.TLSConfig.Clone()
	}
	if cfg.ServerName == "" {
		if h, _, err := net.SplitHostPort(t.Addr); err == nil {
			cfg.ServerName = h
		}
	}
	cfg.InsecureSkipVerify = cfg.InsecureSkipVerify || o.Insecure
	// go-smtp offers STARTTLS only as part of opening the client, so try
	// it first; a server that does not offer it gets a second, plain
	// connection (unless TLS is required). A failed handshake is an error,
	// never a silent downgrade.
	conn, err := dial()
	if err != nil {
		return nil, err
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	c, err := smtp.NewClientStartTLS(conn, cfg)
	if err != nil && strings.Contains(err.Error(), "doesn't support STARTTLS") {
		stop()
		conn.Close()
		if o.RequireTLS {
			return nil, &SendError{Err: errors.New("the server does not offer STARTTLS and TLS is required")}
		}
		if conn, err = dial(); err != nil {
			return nil, err
		}
		stop = context.AfterFunc(ctx, func() { conn.Close() })
		c, err = smtp.NewClient(conn), nil
	}
	defer stop()
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("STARTTLS: %w", err)
	}
	defer c.Close()
	c.CommandTimeout = o.Timeout
	c.SubmissionTimeout = o.Timeout
	if err := c.Hello(host); err != nil {
		return nil, fmt.Errorf("EHLO: %w", err)
	}
	if o.User != "" {
		if err := c.Auth(sasl.NewPlainClient("", o.User, o.Password)); err != nil {
			return nil, fmt.Errorf("AUTH PLAIN: %w", err)
		}
	}
	sender := strings.Trim(strings.TrimSpace(env.Sender), "<>")
	mo := &smtp.MailOptions{Size: int64(len(data))}
	mailParams(mo, env.Params[""])
	if err := c.Mail(sender, mo); err != nil {
		return nil, fmt.Errorf("MAIL FROM: %w", err)
	}
	for _, r := range env.Recipients {
		addr := strings.Trim(strings.TrimSpace(r), "<>")
		p, ok := env.Params[r]
		if !ok {
			p = env.Params[addr]
		}
		if err := c.Rcpt(addr, rcptParams(p)); err != nil {
			return nil, fmt.Errorf("RCPT TO %s: %w", r, err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return nil, fmt.Errorf("DATA: %w", err)
	}
	if _, err := io.Copy(w, bytes.NewReader(data)); err != nil {
		return nil, fmt.Errorf("DATA: %w", err)
	}
	resp, err := w.CloseWithResponse()
	if err != nil {
		return nil, fmt.Errorf("end of DATA: %w", err)
	}
	reply := &Reply{Code: 250, Message: resp.StatusText}
	_ = c.Quit()
	return reply, nil
}

// classify turns a send error into a *SendError: SMTP 4xx and network
// failures are temporary (the message was not accepted: acceptance is the
// 250 after DATA), 5xx and local problems are not.
func classify(id, target string, reply *Reply, err error) *SendError {
	var se *SendError
	if errors.As(err, &se) {
		se.ID, se.Target = id, target
		return se
	}
	out := &SendError{ID: id, Target: target, Err: err, Reply: reply}
	var smtpErr *smtp.SMTPError
	var netErr net.Error
	switch {
	case errors.As(err, &smtpErr):
		out.Reply = &Reply{Code: smtpErr.Code, Message: smtpErr.Message}
		if smtpErr.EnhancedCode != (smtp.EnhancedCode{}) && smtpErr.EnhancedCode != smtp.NoEnhancedCode {
			e := smtpErr.EnhancedCode
			out.Reply.Enhanced = fmt.Sprintf("%d.%d.%d", e[0], e[1], e[2])
		}
		out.Temporary = smtpErr.Code >= 400 && smtpErr.Code < 500
	case errors.As(err, &netErr), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed), errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		out.Temporary = true
	default:
		// textproto reports a dropped connection as a plain error.
		out.Temporary = strings.Contains(err.Error(), "connection reset") || strings.Contains(err.Error(), "broken pipe") || strings.Contains(err.Error(), "EOF")
	}
	return out
}

// paramMap splits "KEY=VALUE KEY=VALUE" ESMTP parameters (keys upper-cased).
func paramMap(p string) map[string]string {
	m := map[string]string{}
	last := ""
	for _, f := range strings.Fields(p) {
		k, v, ok := strings.Cut(f, "=")
		if !ok && last != "" {
			// QUIRK: the scanner records "NOTIFY=FAILURE,DELAY" as
			// "NOTIFY=FAILURE DELAY"; a bare word continues the value.
			m[last] += "," + f
			continue
		}
		last = strings.ToUpper(k)
		m[last] = v
	}
	return m
}

// xtextDecode undoes RFC 3461 xtext ("+2B" is "+"); go-smtp encodes again.
func xtextDecode(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '+' && i+2 < len(s) {
			var c byte
			if _, err := fmt.Sscanf(s[i+1:i+3], "%02X", &c); err == nil {
				b.WriteByte(c)
				i += 2
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// mailParams keeps the recorded DSN parameters of the sender line (RFC
// 3461 RET and ENVID); go-smtp sends them when the server offers DSN, and
// BODY=8BITMIME when it offers 8BITMIME.
func mailParams(mo *smtp.MailOptions, p string) {
	m := paramMap(p)
	switch strings.ToUpper(m["RET"]) {
	case "FULL":
		mo.Return = smtp.DSNReturnFull
	case "HDRS":
		mo.Return = smtp.DSNReturnHeaders
	}
	if id := xtextDecode(m["ENVID"]); id != "" {
		mo.EnvelopeID = id
	}
}

// rcptParams keeps a recipient's recorded NOTIFY and ORCPT (RFC 3461).
func rcptParams(p string) *smtp.RcptOptions {
	m := paramMap(p)
	ro := &smtp.RcptOptions{}
	if n := m["NOTIFY"]; n != "" {
		for _, v := range strings.Split(strings.ToUpper(n), ",") {
			switch smtp.DSNNotify(v) {
			case smtp.DSNNotifyNever, smtp.DSNNotifyDelayed, smtp.DSNNotifyFailure, smtp.DSNNotifySuccess:
				ro.Notify = append(ro.Notify, smtp.DSNNotify(v))
			}
		}
	}
	if t, addr, ok := strings.Cut(m["ORCPT"], ";"); ok && strings.EqualFold(t, "rfc822") && addr != "" {
		ro.OriginalRecipientType, ro.OriginalRecipient = smtp.DSNAddressTypeRFC822, xtextDecode(addr)
	}
	return ro
}
