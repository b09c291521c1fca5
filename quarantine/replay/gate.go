package replay

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/mail"
	"os"
	"path/filepath"
	"strings"

	"github.com/mailroot/mailroot/mime"
	"github.com/mailroot/mailroot/quarantine"
	"github.com/mailroot/mailroot/queue"
)

// chooseEnvelope picks the envelope: --sender/--rcpt when given, else the
// one recorded when the item was quarantined (pickup x-sender/x-receiver,
// Drop/Replay X-Sender/X-Receiver), else one derived from the headers,
// with a warning (KB 306043: the envelope is not the headers; Bcc and
// distribution-list recipients are lost).
func chooseEnvelope(rec *quarantine.Record, fileEnv *mime.Envelope, fileEnvErr error, msg []byte, opts Options) (mime.Envelope, string, []string, error) {
	var warn []string
	if opts.Sender != "" && len(opts.Recipients) == 0 {
		// --sender alone: the recipients as they would be without it.
		o := opts
		o.Sender = ""
		env, from, warn, err := chooseEnvelope(rec, fileEnv, fileEnvErr, msg, o)
		if err != nil {
			return mime.Envelope{}, "", nil, err
		}
		if env.Sender != opts.Sender {
			warn = append(warn, fmt.Sprintf("the envelope sender is --sender %s, not %q; the recipients are the %s ones", opts.Sender, env.Sender, from))
		}
		env.Sender = opts.Sender
		return env, from + "+flags", warn, nil
	}
	if len(opts.Recipients) > 0 {
		env := mime.Envelope{Sender: opts.Sender, Recipients: opts.Recipients}
		if opts.Sender == "" {
			if rec.Envelope != nil && rec.Envelope.Sender != "" {
				env.Sender = rec.Envelope.Sender
			} else if from := headerAddrs(msg, "from"); len(from) > 0 {
				env.Sender = from[0]
			}
		}
		if rec.Envelope != nil && len(rec.Envelope.Recipients) > 0 {
			warn = append(warn, "the envelope recorded for the item is replaced by --sender/--rcpt")
		}
		return env, "flags", warn, nil
	}
	// The envelope lines of the file itself, byte for byte; the copy in
	// item.json is how the scanner shows them (escaped, cut at 1024 bytes).
	if fileEnvErr != nil {
		return mime.Envelope{}, "", nil, fileEnvErr
	}
	if fileEnv != nil && len(fileEnv.Recipients) > 0 {
		return *fileEnv, "recorded", nil, nil
	}
	if rec.Envelope != nil && len(rec.Envelope.Recipients) > 0 {
		for _, a := range append([]string{rec.Envelope.Sender}, rec.Envelope.Recipients...) {
			// The scanner escapes control bytes, invalid UTF-8, '\\' and
			// tabs with a backslash and cuts at 1024 bytes: such a copy is
			// not the address and must not be sent as one.
			if strings.Contains(a, `\`) || len(a) >= 1024 {
				return mime.Envelope{}, "", nil, fmt.Errorf("the recorded envelope address %q was escaped or cut when it was recorded; pass --sender/--rcpt", a)
			}
		}
		return *rec.Envelope, "recorded", nil, nil
	}
	var rcpts []string
	seen := map[string]bool{}
	for _, h := range []string{"to", "cc", "bcc"} {
		for _, a := range headerAddrs(msg, h) {
			if k := strings.ToLower(a); !seen[k] {
				seen[k] = true
				rcpts = append(rcpts, a)
			}
		}
	}
	if len(rcpts) == 0 {
		return mime.Envelope{}, "", nil, fmt.Errorf("no envelope recorded and no recipients in To/Cc/Bcc; pass --rcpt ADDR")
	}
	sender := ""
	if s := headerAddrs(msg, "sender"); len(s) > 0 {
		sender = s[0]
	} else if f := headerAddrs(msg, "from"); len(f) > 0 {
		sender = f[0]
	}
	warn = append(warn, "no envelope was recorded for this item: sender and recipients are taken from the headers; Bcc and distribution-list recipients may be lost (KB 306043); pass --sender/--rcpt to set them")
	return mime.Envelope{Sender: sender, Recipients: rcpts}, "headers", warn, nil
}

// headerBlock returns the top-level header of msg, unfolded fields.
func headerFields(msg []byte) map[string][]string {
	end := bytes.Index(msg, []byte("\r\n\r\n"))
	if e2 := bytes.Index(msg, []byte("\n\n")); e2 >= 0 && (end < 0 || e2 < end) {
		end = e2
	}
	if end < 0 {
		end = len(msg)
	}
	if end > 1<<20 {
		end = 1 << 20
	}
	out := map[string][]string{}
	var name string
	for _, line := range strings.Split(strings.ReplaceAll(string(msg[:end]), "\r\n", "\n"), "\n") {
		if line == "" {
			continue
		}
		if (line[0] == ' ' || line[0] == '\t') && name != "" {
			vs := out[name]
			vs[len(vs)-1] += " " + strings.TrimSpace(line)
			continue
		}
		k := strings.IndexByte(line, ':')
		if k < 0 {
			name = ""
			continue
		}
		name = strings.ToLower(strings.TrimSpace(line[:k]))
		out[name] = append(out[name], strings.TrimSpace(line[k+1:]))
	}
	return out
}

// headerAddrs returns the addr-specs of an address header, tolerating
// lists net/mail rejects.
func headerAddrs(msg []byte, name string) []string {
	var out []string
	for _, v := range headerFields(msg)[name] {
		if list, err := mail.ParseAddressList(v); err == nil {
			for _, a := range list {
				out = append(out, a.Address)
			}
			continue
		}
		for _, tok := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ';' || r == ' ' || r == '\t' }) {
			tok = strings.Trim(tok, "<>\"'()")
			if i := strings.LastIndexByte(tok, '<'); i >= 0 {
				tok = tok[i+1:]
			}
			if strings.Count(tok, "@") == 1 && !strings.HasPrefix(tok, "@") && !strings.HasSuffix(tok, "@") {
				out = append(out, tok)
			}
		}
	}
	return out
}

// submissionProblems checks the target's own rules on the bytes to send
// (../shared/FORMATS.md), independently of the scanner's findings.
// exchangePickup says the pickup target is an Exchange 2007+ Pickup
// folder, which applies the Replay folder's size and recipient limits.
func submissionProblems(k Kind, exchangePickup bool, data []byte, env mime.Envelope, rep *mime.Report) []string {
	var p []string
	// A lone "." ends the message in a pickup file (KB 221384) and ends
	// DATA in SMTP (the client stuffs it; the file must not hold one).
	if k != ToSMTP && hasLoneDot(data) {
		p = append(p, "a line holding only '.' (it would truncate the message)")
	}
	if len(env.Recipients) == 0 {
		p = append(p, "no recipients")
	}
	switch k {
	case ToPickup:
		// IIS builds the envelope from the headers without x-sender, and
		// sends a message without From to BadMail (0xC00402CE, KB 319285).
		if env.Sender == "" && rep.Headers.From == "" {
			p = append(p, "no envelope sender and no From (IIS sends it to BadMail, 0xC00402CE)")
		}
	}
	if k == ToReplay || (k == ToPickup && exchangePickup) {
		if len(env.Recipients) > 100 {
			p = append(p, fmt.Sprintf("%d recipients; Exchange accepts at most 100 per file (PickupDirectoryMaxRecipientsPerMessage)", len(env.Recipients)))
		}
		if hb := headerBytes(data); hb > 64<<10 {
			p = append(p, fmt.Sprintf("header of %d bytes; Exchange accepts at most 64 KB (PickupDirectoryMaxHeaderSize)", hb))
		}
		if !bytes.Contains(data, []byte("\r\n\r\n")) {
			p = append(p, "no blank line between header and body")
		}
	}
	return p
}

// isExchangePickup reports whether dir, a pickup target, is the Pickup
// folder of an Exchange 2007+ transport server: the item's own folder of
// that kind, a folder under TransportRoles, or a Pickup beside a Replay.
func isExchangePickup(rec *quarantine.Record, dir string) bool {
	if rec.Folder == mime.FolderExchangePickup && rec.OriginalDir != "" && filepath.Clean(dir) == filepath.Clean(rec.OriginalDir) {
		return true
	}
	if l, err := queue.Detect(dir); err == nil && len(l.Dirs) == 1 && l.Dirs[0].Role == mime.FolderExchangePickup {
		return true
	}
	ents, err := os.ReadDir(filepath.Dir(filepath.Clean(dir)))
	if err != nil {
		return false
	}
	for _, e := range ents {
		if e.IsDir() && strings.EqualFold(e.Name(), "replay") {
			return true
		}
	}
	return false
}

func hasLoneDot(b []byte) bool {
	if bytes.HasPrefix(b, []byte(".\r\n")) || bytes.Equal(b, []byte(".")) {
		return true
	}
	return bytes.Contains(b, []byte("\n.\r\n")) || bytes.HasSuffix(b, []byte("\n."))
}

func headerBytes(b []byte) int {
	if i := bytes.Index(b, []byte("\r\n\r\n")); i >= 0 {
		return i + 2
	}
	return len(b)
}

// duplicates warns about a file with the same SHA-256 or Message-ID in the
// target folder or in the item's original folder: a copy of the message
// may still be waiting to be sent.
func duplicates(t Target, rec *quarantine.Record, st *quarantine.Store, data []byte, msgID string, limit int) []string {
	var dirs []string
	if t.Dir != "" {
		dirs = append(dirs, t.Dir)
	}
	if rec.OriginalDir != "" && !strings.EqualFold(filepath.Clean(rec.OriginalDir), filepath.Clean(t.Dir)) {
		dirs = append(dirs, rec.OriginalDir)
	}
	var sums []string
	for _, f := range rec.Files {
		sums = append(sums, f.SHA256)
	}
	msgID = strings.TrimSpace(msgID)
	var warn []string
	read := 0
	for _, d := range dirs {
		ents, err := os.ReadDir(d)
		if err != nil {
			continue
		}
		for _, e := range ents {
			if !e.Type().IsRegular() {
				continue
			}
			if read >= limit {
				warn = append(warn, fmt.Sprintf("duplicate check stopped after %d files", limit))
				return warn
			}
			read++
			p := filepath.Join(d, e.Name())
			b, err := readHead(p, int64(len(data)))
			if err != nil {
				continue
			}
			switch {
			case bytes.Equal(b, data) || contains(sums, sha(b)):
				warn = append(warn, fmt.Sprintf("%s holds the same bytes: the message may be sent twice", p))
			case msgID != "" && idKey(messageIDOf(b)) == idKey(msgID):
				warn = append(warn, fmt.Sprintf("%s has the same Message-ID %s: the message may be sent twice", p, msgID))
			}
		}
	}
	return warn
}

// readHead reads a file whole when it is at most max(n, 64 KB) bytes,
// else its first 64 KB.
func readHead(p string, n int64) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	limit := int64(64 << 10)
	if fi.Size() <= max(n, limit) {
		limit = fi.Size()
	}
	b := make([]byte, limit)
	k, err := io.ReadFull(f, b)
	if err != nil && err != io.ErrUnexpectedEOF {
		return nil, err
	}
	return b[:k], nil
}

// idKey is the part of a Message-ID value that identifies the message: the
// <...> (comments and white space around it aside), else the whole value.
func idKey(v string) string {
	if i := strings.IndexByte(v, '<'); i >= 0 {
		if j := strings.IndexByte(v[i:], '>'); j >= 0 {
			return v[i : i+j+1]
		}
	}
	return strings.TrimSpace(v)
}

// messageIDOf returns the value of the first Message-ID field in the
// header at the start of b (unfolded, trimmed), or "". The header ends at
// the first empty line, whatever the line endings (a file in a queue
// folder may have bare LF); pickup x-sender/x-receiver lines read as
// fields. Only that field counts: an In-Reply-To or References naming the
// same ID, or a body quoting it, is another message.
func messageIDOf(b []byte) string {
	var value []byte
	inID := false
	for len(b) > 0 {
		// CRLF, a bare LF or a bare CR ends a line, as the scanner reads it.
		line := b
		if i := bytes.IndexAny(b, "\r\n"); i >= 0 {
			eol := 1
			if b[i] == '\r' && i+1 < len(b) && b[i+1] == '\n' {
				eol = 2
			}
			line, b = b[:i], b[i+eol:]
		} else {
			b = nil
		}
		if len(line) == 0 {
			break
		}
		if line[0] == ' ' || line[0] == '\t' {
			if inID {
				value = append(value, line...)
			}
			continue
		}
		if inID {
			break
		}
		if colon := bytes.IndexByte(line, ':'); colon > 0 && strings.EqualFold(strings.TrimSpace(string(line[:colon])), "message-id") {
			inID = true
			value = append(value, line[colon+1:]...)
		}
	}
	return strings.TrimSpace(string(value))
}

func contains(s []string, x string) bool {
	for _, v := range s {
		if v == x {
			return true
		}
	}
	return false
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// envelopeField is one field of the envelope block at the top of a file.
type envelopeField struct {
	name  string // as written
	value string // unfolded, runs of white space made one space
}

// envelopeBlock reads the envelope block at the top of a message: the
// leading run of pickup x-sender / x-receiver lines or Replay X-headers
// (X-Sender, X-Receiver, X-CreatedBy, X-HeloDomain, ...; any order, any
// case), with their continuation lines. It returns the fields and the
// offset where the message proper starts, or no fields and 0 when the run
// holds no X-Sender or X-Receiver: then it is ordinary headers.
var unfoldReplacer = strings.NewReplacer("\r\n", "", "\n", "")

func envelopeBlock(raw []byte) ([]envelopeField, int) {
	var fields []envelopeField
	i, sawEnvelope := 0, false
	for i < len(raw) {
		colon := bytes.IndexByte(raw[i:], ':')
		if colon <= 0 {
			break
		}
		name := string(raw[i : i+colon])
		if !mime.IsReplayXHeader(name) {
			break
		}
		end := i
		for {
			j := bytes.IndexByte(raw[end:], '\n')
			if j < 0 {
				end = len(raw)
				break
			}
			end += j + 1
			if end >= len(raw) || (raw[end] != ' ' && raw[end] != '\t') {
				break
			}
		}
		// Unfolded as the scanner unfolds (line breaks removed, white
		// space kept): collapsing runs of white space would change a
		// quoted local part such as <"a\tb"@example.com>.
		value := strings.TrimSpace(unfoldReplacer.Replace(string(raw[i+colon+1 : end])))
		fields = append(fields, envelopeField{name, value})
		if strings.EqualFold(name, "x-sender") || strings.EqualFold(name, "x-receiver") {
			sawEnvelope = true
		}
		i = end
	}
	if !sawEnvelope {
		return nil, 0
	}
	return fields, i
}

// fileEnvelope reads the envelope a message carries in its envelope block
// (see envelopeBlock), with the ESMTP parameters, the way the scanner
// reads it. It returns nil when there is none, and an error for a line
// that lists several addresses (ENV-001): sending to the first alone would
// lose the others.
func fileEnvelope(raw []byte) (*mime.Envelope, error) {
	fields, _ := envelopeBlock(raw)
	var env *mime.Envelope
	sawSender := false
	for _, f := range fields {
		isSender := strings.EqualFold(f.name, "x-sender")
		if !isSender && !strings.EqualFold(f.name, "x-receiver") {
			continue
		}
		addr, params, n := mime.ParseEnvelopeLine(f.value)
		if n > 1 {
			return nil, fmt.Errorf("the %s line %q lists %d addresses (one per line); pass --sender/--rcpt", f.name, f.value, n)
		}
		if env == nil {
			env = &mime.Envelope{Params: map[string]string{}}
		}
		if isSender {
			if sawSender {
				return nil, fmt.Errorf("the envelope names its sender twice (ENV-001); pass --sender/--rcpt")
			}
			sawSender = true
			env.Sender = addr
			if params != "" {
				env.Params[""] = params
			}
			continue
		}
		if addr == "" {
			continue
		}
		env.Recipients = append(env.Recipients, addr)
		if params != "" {
			env.Params[addr] = params
		}
	}
	if env != nil && len(env.Params) == 0 {
		env.Params = nil
	}
	return env, nil
}
