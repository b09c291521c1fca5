package queue

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/mailroot/mailroot/mime"
)

// This file writes the two envelope formats a mail server picks messages up
// from, and drops a file into a watched folder so that the watcher never sees
// it half written (../shared/FORMATS.md, "Pickup" sections).

// Format names an on-disk envelope format that WriteMessage can produce.
type Format string

// Formats that WriteMessage writes.
const (
	// FormatPickup is the IIS / Exchange 2000-2003 PickUp format: one
	// "x-sender:" line, one "x-receiver:" line per recipient (lower case, in
	// that order), then the message with CRLF line endings and every line
	// that begins with "." dot-stuffed (KB 221384).
	FormatPickup Format = "pickup"
	// FormatReplay is the Exchange 2007+ Replay format: "X-Sender:" with its
	// ESMTP parameters and one "X-Receiver:" per recipient before any other
	// header, then the message with CRLF line endings. No dot-stuffing is
	// done: whether Exchange 2007+ removes it is undocumented, so a lone "."
	// line must be refused by the caller rather than changed here.
	FormatReplay Format = "replay"
)

// AddressError reports an envelope address or parameter that cannot be
// written into an envelope line (empty, or holding white space, line breaks
// or control bytes that would inject lines, or a comma or semicolon that a
// reader takes for a second address).
type AddressError struct {
	Role    string // "sender", "recipient" or "parameter"
	Address string
}

func (e *AddressError) Error() string {
	return fmt.Sprintf("invalid envelope %s %q", e.Role, e.Address)
}

// IsAddressError reports whether err is, or wraps, an *AddressError.
func IsAddressError(err error) bool {
	var e *AddressError
	return errors.As(err, &e)
}

// cleanAddress strips white space and one pair of angle brackets and checks
// that what remains can sit alone on an envelope line. The null sender "<>"
// comes back as "".
func cleanEnvAddress(role, addr string, allowEmpty bool) (string, error) {
	a := strings.TrimSpace(addr)
	if strings.HasPrefix(a, "<") && strings.HasSuffix(a, ">") {
		a = strings.TrimSpace(a[1 : len(a)-1])
	}
	if a == "" && !allowEmpty {
		return "", &AddressError{Role: role, Address: addr}
	}
	for i := 0; i < len(a); i++ {
		// QUIRK: RFC 5321 allows a quoted local part holding "," or ";", but
		// an envelope line carries one address and readers (ENV-001, the
		// pickup service) split on them, so such an address cannot be
		// written faithfully (found by FuzzEnvelopeRoundTrip).
		if c := a[i]; c <= ' ' || c == 0x7f || c == '<' || c == '>' || c == ',' || c == ';' {
			return "", &AddressError{Role: role, Address: addr}
		}
	}
	return a, nil
}

// cleanParams checks ESMTP parameters: printable, one line.
func cleanEnvParams(p string) (string, error) {
	for i := 0; i < len(p); i++ {
		if c := p[i]; (c < ' ' && c != '\t') || c == 0x7f {
			return "", &AddressError{Role: "parameter", Address: p}
		}
	}
	// A word without "=" continues the previous value: "NOTIFY=FAILURE
	// DELAY" (a comma list split by a reader) becomes "NOTIFY=FAILURE,DELAY".
	var out []string
	for _, f := range strings.Fields(p) {
		if !strings.Contains(f, "=") && len(out) > 0 && strings.Contains(out[len(out)-1], "=") {
			out[len(out)-1] += "," + f
			continue
		}
		out = append(out, f)
	}
	return strings.Join(out, " "), nil
}

// EnvelopeLines returns the envelope lines WriteMessage puts before the
// message in the given format, CRLF-terminated. The sender "" (or "<>") is
// the null reverse path. The pickup format carries no ESMTP parameters;
// the replay format keeps env.Params.
func EnvelopeLines(f Format, env mime.Envelope) ([]byte, error) {
	if len(env.Recipients) == 0 {
		return nil, fmt.Errorf("envelope has no recipients")
	}
	sender, err := cleanEnvAddress("sender", env.Sender, true)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	switch f {
	case FormatPickup:
		if sender == "" {
			b.WriteString("x-sender: <>\r\n")
		} else {
			b.WriteString("x-sender: " + sender + "\r\n")
		}
		for _, r := range env.Recipients {
			a, err := cleanEnvAddress("recipient", r, false)
			if err != nil {
				return nil, err
			}
			b.WriteString("x-receiver: " + a + "\r\n")
		}
	case FormatReplay:
		b.WriteString("X-Sender: <" + sender + ">")
		if err := writeEnvParams(&b, env.Params, env.Sender, ""); err != nil {
			return nil, err
		}
		for _, r := range env.Recipients {
			a, err := cleanEnvAddress("recipient", r, false)
			if err != nil {
				return nil, err
			}
			b.WriteString("X-Receiver: <" + a + ">")
			if err := writeEnvParams(&b, env.Params, r, a); err != nil {
				return nil, err
			}
		}
	default:
		return nil, fmt.Errorf("unknown envelope format %q", f)
	}
	return b.Bytes(), nil
}

// writeParams appends " PARAMS\r\n" for the address (looked up by its raw
// spelling, then its clean one; "" keys the sender in mime.Envelope.Params).
func writeEnvParams(b *bytes.Buffer, params map[string]string, raw, clean string) error {
	p, ok := "", false
	if clean == "" {
		p, ok = params[""]
	} else if p, ok = params[raw]; !ok {
		p, ok = params[clean]
	}
	if ok {
		c, err := cleanEnvParams(p)
		if err != nil {
			return err
		}
		if c != "" {
			b.WriteString(" " + c)
		}
	}
	b.WriteString("\r\n")
	return nil
}

// WriteMessage writes env and then msg to w in format f, and returns the
// number of bytes written. Envelope lines already at the top of msg
// (x-sender / x-receiver lines or X-Sender / X-Receiver headers, any case)
// are dropped so that env is the only envelope. Line endings become CRLF
// (bare LF and bare CR each end a line), and a message that does not end
// with a line ending gets one. In FormatPickup every line that begins with
// "." gets another "." in front.
func WriteMessage(w io.Writer, f Format, env mime.Envelope, msg io.Reader) (int64, error) {
	lines, err := EnvelopeLines(f, env)
	if err != nil {
		return 0, err
	}
	cw := &dropCountWriter{w: w}
	if _, err := cw.Write(lines); err != nil {
		return cw.n, err
	}
	br := bufio.NewReaderSize(msg, 64<<10)
	if err := skipEnvelopeLines(br); err != nil {
		return cw.n, err
	}
	nw := NewLineWriter(cw, f == FormatPickup)
	if _, err := br.WriteTo(nw); err != nil {
		return cw.n, err
	}
	if err := nw.Close(); err != nil {
		return cw.n, err
	}
	return cw.n, nil
}

type dropCountWriter struct {
	w io.Writer
	n int64
}

func (c *dropCountWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// skipEnvelopeLines discards leading x-sender / x-receiver fields (with any
// folded continuation lines) from br.
func skipEnvelopeLines(br *bufio.Reader) error {
	atTop := true
	for {
		head, _ := br.Peek(len("x-receiver:"))
		isEnv := envHasPrefixFold(head, "x-sender:") || envHasPrefixFold(head, "x-receiver:")
		isCont := !atTop && len(head) > 0 && (head[0] == ' ' || head[0] == '\t')
		if !isEnv && !isCont {
			return nil
		}
		atTop = false
		if err := envDiscardLine(br); err != nil {
			if err == io.EOF {
				return nil
			}
			return err
		}
	}
}

func envHasPrefixFold(b []byte, prefix string) bool {
	return len(b) >= len(prefix) && strings.EqualFold(string(b[:len(prefix)]), prefix)
}

// discardLine drops bytes up to and including the next line ending (CRLF,
// LF or a bare CR).
func envDiscardLine(br *bufio.Reader) error {
	for {
		c, err := br.ReadByte()
		if err != nil {
			return err
		}
		switch c {
		case '\n':
			return nil
		case '\r':
			if next, err := br.Peek(1); err == nil && next[0] == '\n' {
				_, _ = br.ReadByte()
			}
			return nil
		}
	}
}

// LineWriter rewrites a byte stream so that every line ends with CRLF, and
// optionally dot-stuffs lines that begin with ".". It streams: memory use
// does not depend on line length. Close flushes a pending CR and terminates
// an unfinished last line.
type LineWriter struct {
	w          io.Writer
	stuff      bool
	lineStart  bool
	pendingCR  bool
	wroteBytes bool
	buf        []byte
}

// NewLineWriter returns a LineWriter writing to w; stuff turns dot-stuffing on.
func NewLineWriter(w io.Writer, stuff bool) *LineWriter {
	return &LineWriter{w: w, stuff: stuff, lineStart: true, buf: make([]byte, 0, 32<<10)}
}

// Write implements io.Writer; it reports len(p) on success.
func (l *LineWriter) Write(p []byte) (int, error) {
	for _, c := range p {
		if l.pendingCR {
			l.pendingCR = false
			l.buf = append(l.buf, '\r', '\n')
			l.lineStart = true
			if c == '\n' {
				continue
			}
		}
		switch c {
		case '\r':
			l.pendingCR = true
			continue
		case '\n':
			l.buf = append(l.buf, '\r', '\n')
			l.lineStart = true
			continue
		case '.':
			if l.lineStart && l.stuff {
				l.buf = append(l.buf, '.')
			}
		}
		l.lineStart = false
		l.buf = append(l.buf, c)
		if len(l.buf) >= cap(l.buf)-4 {
			if err := l.flush(); err != nil {
				return 0, err
			}
		}
	}
	l.wroteBytes = l.wroteBytes || len(p) > 0
	if len(l.buf) >= cap(l.buf)/2 {
		if err := l.flush(); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

func (l *LineWriter) flush() error {
	if len(l.buf) == 0 {
		return nil
	}
	_, err := l.w.Write(l.buf)
	l.buf = l.buf[:0]
	return err
}

// Close ends the stream: a pending CR becomes CRLF and a last line without
// a line ending gets CRLF. It does not close the underlying writer.
func (l *LineWriter) Close() error {
	if l.pendingCR {
		l.pendingCR = false
		l.buf = append(l.buf, '\r', '\n')
		l.lineStart = true
	}
	if l.wroteBytes && !l.lineStart {
		l.buf = append(l.buf, '\r', '\n')
		l.lineStart = true
	}
	return l.flush()
}

// ErrExists is returned by Staged.Commit when the target folder already
// holds a file of that name; nothing is overwritten.
var ErrExists = errors.New("file already exists in target folder")

// ValidateDropName checks that name is a plain file name that cannot reach
// outside the folder it is dropped into: no separators, no "..", no drive
// letter or NTFS stream (":"), no control bytes.
func ValidateDropName(name string) error {
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, `/\:`) || strings.TrimRight(name, ". ") != name {
		return fmt.Errorf("invalid drop file name %q", name)
	}
	for i := 0; i < len(name); i++ {
		if name[i] < ' ' || name[i] == 0x7f {
			return fmt.Errorf("invalid drop file name %q", name)
		}
	}
	return nil
}

// Staged is a complete, fsynced file waiting outside its target folder.
// Commit renames it in; Abort removes it. Exactly one of them should be
// called.
type Staged struct {
	// TempPath is where the bytes are now; Path is where Commit puts them.
	TempPath string
	Path     string
	Size     int64
	SHA256   string // hex, of the bytes written
	done     bool
	aborted  bool
}

// Stage creates a temporary file in tempDir, lets write fill it, fsyncs and
// closes it, and clears its read-only attribute (KB 221432: a read-only
// pickup file is sent again on every restart). tempDir must be on the same
// volume as dir and outside it, because the pickup service reads files that
// are still being written; when tempDir is "" or on another volume, a
// ".mailroot-tmp" folder beside dir is used. name is validated with
// ValidateDropName. Nothing appears in dir until Commit.
func Stage(dir, name, tempDir string, write func(w io.Writer) error) (s *Staged, err error) {
	if err := ValidateDropName(name); err != nil {
		return nil, err
	}
	absDir, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("drop into %q: %w", dir, err)
	}
	fi, err := os.Stat(absDir)
	if err != nil {
		return nil, fmt.Errorf("drop into %q: %w", dir, err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("drop into %q: not a folder", dir)
	}
	tmp, err := dropTempDir(absDir, tempDir)
	if err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(tmp, ".tmp-"+name+"-*")
	if err != nil {
		return nil, fmt.Errorf("drop %s: create temp file: %w", name, err)
	}
	tmpPath := f.Name()
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(tmpPath)
		}
	}()
	h := sha256.New()
	cw := &dropCountWriter{w: io.MultiWriter(f, h)}
	if err = write(cw); err != nil {
		return nil, fmt.Errorf("drop %s: write %s: %w", name, tmpPath, err)
	}
	if err = f.Sync(); err != nil {
		return nil, fmt.Errorf("drop %s: fsync %s: %w", name, tmpPath, err)
	}
	if err = f.Close(); err != nil {
		return nil, fmt.Errorf("drop %s: close %s: %w", name, tmpPath, err)
	}
	if err = dropClearReadOnly(tmpPath); err != nil {
		return nil, fmt.Errorf("drop %s: clear read-only on %s: %w", name, tmpPath, err)
	}
	return &Staged{TempPath: tmpPath, Path: filepath.Join(absDir, name), Size: cw.n, SHA256: dropHexSum(h)}, nil
}

func dropHexSum(h hash.Hash) string { return hex.EncodeToString(h.Sum(nil)) }

// chooseTempDir returns tempDir when it is usable (outside dir, same
// volume), else a ".mailroot-tmp" folder beside dir.
func dropTempDir(absDir, tempDir string) (string, error) {
	if tempDir != "" {
		abs, err := filepath.Abs(tempDir)
		if err != nil {
			return "", fmt.Errorf("temp folder %q: %w", tempDir, err)
		}
		if dropIsWithin(abs, absDir) {
			return "", fmt.Errorf("temp folder %q is inside the drop folder %q: the service would pick up the partial file", tempDir, absDir)
		}
		if same, err := dropSameVolume(abs, absDir); err == nil && same {
			return abs, nil
		}
	}
	parent := filepath.Dir(absDir)
	if parent == absDir {
		return "", fmt.Errorf("drop into %q: no folder outside it on the same volume for the temp file; pass a temp folder", absDir)
	}
	sib := filepath.Join(parent, ".mailroot-tmp")
	if err := os.MkdirAll(sib, 0o700); err != nil {
		return "", fmt.Errorf("drop into %q: temp folder: %w", absDir, err)
	}
	return sib, nil
}

// dropIsWithin reports whether path is dir or below it (case-insensitive on
// Windows, where NTFS names are).
func dropIsWithin(path, dir string) bool {
	return isWithinFold(path, dir, runtime.GOOS == "windows")
}

// isWithinFold reports whether path is dir or below it, comparing names
// case-insensitively when fold is set.
func isWithinFold(path, dir string, fold bool) bool {
	if fold {
		path, dir = strings.ToLower(path), strings.ToLower(dir)
	}
	rel, err := filepath.Rel(dir, path)
	if err != nil {
		return false
	}
	return rel == "." || (rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)))
}

// Commit moves the staged file into its folder under its final name,
// without ever replacing an existing file (ErrExists), and syncs the folder.
// Renames that fail transiently on Windows (a scanner or the service holding
// the file) are retried.
func (s *Staged) Commit() error {
	if s.done {
		return fmt.Errorf("drop %s: already committed or aborted", s.Path)
	}
	if err := dropRename(s.TempPath, s.Path); err != nil {
		if errors.Is(err, ErrExists) {
			return fmt.Errorf("drop %s: %w", s.Path, ErrExists)
		}
		return fmt.Errorf("drop %s: rename from %s: %w", s.Path, s.TempPath, err)
	}
	s.done = true
	if err := dropSyncDir(filepath.Dir(s.Path)); err != nil {
		return fmt.Errorf("drop %s: sync folder: %w", s.Path, err)
	}
	return nil
}

// Committed reports whether the file reached its final name, which can be
// true even when Commit returned an error (the folder sync failed after
// the rename): the watcher may then take the file.
func (s *Staged) Committed() bool { return s.done && !s.aborted }

// Abort removes the staged file; it is a no-op after Commit.
func (s *Staged) Abort() error {
	if s.done {
		return nil
	}
	s.done, s.aborted = true, true
	if err := os.Remove(s.TempPath); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("drop %s: remove temp %s: %w", s.Path, s.TempPath, err)
	}
	return nil
}

// Drop stages and commits in one step; see Stage and Staged.Commit.
func Drop(dir, name, tempDir string, write func(w io.Writer) error) (*Staged, error) {
	s, err := Stage(dir, name, tempDir, write)
	if err != nil {
		return nil, err
	}
	if err := s.Commit(); err != nil {
		if s.Committed() {
			return s, err // in place; only the folder sync failed
		}
		_ = s.Abort()
		return nil, err
	}
	return s, nil
}

// ClearReadOnly makes a file that goes into a pickup folder writable: the
// Windows read-only attribute is cleared (on Unix the owner gets write
// permission), because the service sends a read-only file on every
// restart and never removes it (KB 221432). It reports whether the file
// was read-only.
func ClearReadOnly(path string) (bool, error) {
	fi, err := os.Lstat(path)
	if err != nil {
		return false, err
	}
	if _, ro := fileAttrs(fi); !ro {
		return false, nil
	}
	return true, dropClearReadOnly(path)
}
