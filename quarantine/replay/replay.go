package replay

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/mailroot/mailroot/mime"
	"github.com/mailroot/mailroot/quarantine"
	"github.com/mailroot/mailroot/queue"
)

// Names in the item folder.
const (
	// FixedName is the repaired copy that `mailroot repair` writes beside
	// the original, and that replay sends unless told to send the original.
	FixedName = "fixed.eml"
	// RoleFixed is its role in item.json.
	RoleFixed = "fixed"
	// JournalKind is the journal transaction kind of a replay.
	JournalKind = "replay"
	// OutcomeSuperseded closes, in the journal, a replay intent whose
	// outcome was never recorded once the admin replays again (--again).
	OutcomeSuperseded = "superseded"
	// maxMessage bounds what is read into memory.
	maxMessage = 512 << 20
)

// testHookAfterSend, set by tests, runs between the send and the records
// of its outcome; an error stops Replay there, as a crash would.
var testHookAfterSend func() error

// Kind is where a replay sends the message.
type Kind string

// Target kinds.
const (
	ToPickup Kind = "pickup" // IIS / Exchange 2000-2003 PickUp folder
	ToReplay Kind = "replay" // Exchange 2007+ Replay folder
	ToSMTP   Kind = "smtp"   // an SMTP server
)

// Target says where to send.
type Target struct {
	Kind Kind
	// Dir is the PickUp or Replay folder; "" means the item's own (its
	// original folder when it came from one, else a sibling folder of that
	// name in the same mailroot).
	Dir string
	// Addr is host:port for ToSMTP.
	Addr string
	SMTP SMTPOptions
}

func (t Target) String() string {
	if t.Kind == ToSMTP {
		return "smtp://" + t.Addr
	}
	return string(t.Kind) + ":" + t.Dir
}

// Options control one Replay.
type Options struct {
	// Original sends the original file rather than fixed.eml.
	Original bool
	// Force sends despite findings at or above BlockAt.
	Force bool
	// BlockAt is the lowest severity that blocks; 0 means mime.High.
	BlockAt mime.Severity
	// Sender and Recipients replace the envelope recorded for the item.
	Sender     string
	Recipients []string
	// Again allows replaying an item that was replayed before (or whose
	// last replay has an unknown outcome).
	Again bool
	// DryRun does everything but send and record.
	DryRun bool
	// Scan holds the scanner options for the gate (limits, disabled rules);
	// its Folder is set from the target.
	Scan mime.Options
	// FileLimit bounds how many files of the target folder are read when
	// looking for duplicates; 0 means 5000.
	FileLimit int
	Logger    *slog.Logger
}

// Outcome says what a replay did.
type Outcome string

// Outcomes.
const (
	Sent      Outcome = "sent"      // dropped or accepted by the server
	Planned   Outcome = "dry-run"   // DryRun: would be sent
	Refused   Outcome = "refused"   // the gate, the envelope or exactly-once said no
	Retryable Outcome = "retryable" // SMTP 4xx or a lost connection: try later
	Failed    Outcome = "failed"    // SMTP 5xx or a write error
)

// Result describes one replay.
type Result struct {
	ID       string        `json:"id"`
	Outcome  Outcome       `json:"outcome"`
	Source   string        `json:"source"` // the file in the store that was sent
	Target   string        `json:"target"`
	Path     string        `json:"path,omitempty"` // the dropped file
	Envelope mime.Envelope `json:"envelope"`
	// EnvelopeFrom is "recorded", "flags" or "headers"; "recorded+flags"
	// or "headers+flags" when only the sender came from --sender.
	EnvelopeFrom string         `json:"envelope_from"`
	Size         int64          `json:"size"`
	SHA256       string         `json:"sha256"` // of the bytes sent
	Findings     []mime.Finding `json:"findings,omitempty"`
	// Blocking are the findings at or above BlockAt (sent anyway with Force).
	Blocking []mime.Finding `json:"blocking,omitempty"`
	Problems []string       `json:"problems,omitempty"` // submission rules broken
	Warnings []string       `json:"warnings,omitempty"`
	Reply    *Reply         `json:"reply,omitempty"`
	Reason   string         `json:"reason,omitempty"` // why refused or failed
	Time     time.Time      `json:"time"`
}

// Reply is an SMTP server's answer.
type Reply struct {
	Code     int    `json:"code"`
	Enhanced string `json:"enhanced,omitempty"`
	Message  string `json:"message"`
}

func (r *Reply) String() string {
	if r == nil {
		return ""
	}
	if r.Enhanced != "" {
		return fmt.Sprintf("%d %s %s", r.Code, r.Enhanced, r.Message)
	}
	return fmt.Sprintf("%d %s", r.Code, r.Message)
}

// RefusedError is returned when replay will not send: the gate found
// blocking findings or broken submission rules, the item was replayed
// before, or no envelope can be built.
type RefusedError struct {
	ID     string
	Reason string
}

func (e *RefusedError) Error() string { return fmt.Sprintf("replay %s refused: %s", e.ID, e.Reason) }

// IsRefused reports whether err is, or wraps, a *RefusedError.
func IsRefused(err error) bool {
	var e *RefusedError
	return errors.As(err, &e)
}

// SendError is a failed send. Temporary is true for SMTP 4xx replies and
// connections lost before the server accepted the message: the item stays
// quarantined and can be replayed later.
type SendError struct {
	ID        string
	Target    string
	Reply     *Reply
	Temporary bool
	Err       error
}

func (e *SendError) Error() string {
	if e.Reply != nil {
		return fmt.Sprintf("replay %s to %s: server replied %s", e.ID, e.Target, e.Reply)
	}
	return fmt.Sprintf("replay %s to %s: %v", e.ID, e.Target, e.Err)
}

func (e *SendError) Unwrap() error { return e.Err }

// IsTemporary reports whether err is a *SendError worth retrying.
func IsTemporary(err error) bool {
	var e *SendError
	return errors.As(err, &e) && e.Temporary
}

// record is what replay writes into the journal entry and history event.
type record struct {
	Target string    `json:"target"`
	Path   string    `json:"path,omitempty"`
	Source string    `json:"source"`
	Time   time.Time `json:"time"`
	Size   int64     `json:"size"`
	SHA256 string    `json:"sha256"`
	Sender string    `json:"sender"`
	Rcpts  []string  `json:"recipients"`
	Reply  string    `json:"reply,omitempty"`
	Forced bool      `json:"forced,omitempty"`
	Error  string    `json:"error,omitempty"`
}

// describeReplay turns the record stored in a history event's Detail into
// one line for a person: where it went and what was sent. A detail that is
// not a record (hand-edited item.json) is shown as it is.
func describeReplay(detail string) string {
	var r record
	if err := json.Unmarshal([]byte(detail), &r); err != nil || r.Target == "" {
		return detail
	}
	where := r.Target
	if r.Path != "" {
		where = r.Path
	}
	out := fmt.Sprintf("to %s, %d bytes of %s, sha256 %s", where, r.Size, r.Source, r.SHA256)
	if r.Reply != "" {
		out += ", reply " + strconv.Quote(r.Reply)
	}
	return out
}

func (r record) json() string {
	b, _ := json.Marshal(r)
	return string(b)
}

// Replayed returns the earlier successful replays of an item, from its
// history (newest last).
func Replayed(rec *quarantine.Record) []quarantine.Event {
	var out []quarantine.Event
	for _, ev := range rec.History {
		if ev.Action == string(quarantine.StateReplayed) {
			out = append(out, ev)
		}
	}
	return out
}

// Replay sends one quarantined item to a target, exactly once. See the
// package documentation for the steps. The returned Result is filled as
// far as the replay got, also when err is not nil. Errors: *RefusedError,
// *SendError, and store or file errors.
func Replay(ctx context.Context, st *quarantine.Store, idOrPrefix string, t Target, opts Options) (*Result, error) {
	res := &Result{Outcome: Refused, Time: time.Now().UTC()}
	if opts.BlockAt == 0 {
		opts.BlockAt = mime.High
	}
	if opts.FileLimit <= 0 {
		opts.FileLimit = 5000
	}
	id, err := st.Resolve(idOrPrefix)
	if err != nil {
		return res, err
	}
	res.ID = id
	rec, err := st.Get(id)
	if err != nil {
		return res, err
	}
	refuse := func(format string, args ...any) (*Result, error) {
		res.Outcome = Refused
		res.Reason = fmt.Sprintf(format, args...)
		return res, &RefusedError{ID: id, Reason: res.Reason}
	}

	// Exactly once.
	if prev := Replayed(rec); len(prev) > 0 && !opts.Again {
		last := prev[len(prev)-1]
		return refuse("already replayed on %s %s; pass --again to send it once more", last.Time.Format(time.RFC3339), describeReplay(last.Detail))
	}
	var stale []quarantine.Entry
	for _, e := range st.OpenIntents() {
		if e.ID == id && e.Kind == JournalKind {
			if !opts.Again {
				return refuse("an earlier replay (%s) never recorded its outcome: the message may have been sent; check the target, then pass --again", e.Txn)
			}
			stale = append(stale, e)
		}
	}
	switch rec.State {
	case quarantine.StateQuarantined, quarantine.StateRepaired, quarantine.StateReplayed:
	default:
		return refuse("item is %s", rec.State)
	}

	// What to send.
	srcName, err := sourceFile(rec, opts.Original)
	if err != nil {
		return refuse("%v", err)
	}
	srcPath, err := st.Path(id, srcName)
	if err != nil {
		return res, err
	}
	res.Source = srcPath
	raw, err := readLimited(srcPath)
	if err != nil {
		return res, fmt.Errorf("replay %s: %w", id, err)
	}
	// Only what item.json lists is sent: an unrecorded change to fixed.eml
	// must be recorded first (`mailroot repair ID --rehash`), and a changed
	// original is tampering with evidence.
	for _, f := range rec.Files {
		if f.Name == srcName && f.SHA256 != "" {
			if s := sha256.Sum256(raw); hex.EncodeToString(s[:]) != f.SHA256 {
				got := hex.EncodeToString(s[:])
				if f.IsOriginal() {
					return refuse("the original %s changed since it was quarantined (sha256 %s, item.json says %s): run `mailroot quarantine verify`", srcName, got, f.SHA256)
				}
				return refuse("%s changed since it was recorded (sha256 %s, item.json says %s): if you edited it by hand, record the edit with `mailroot repair %s --rehash`, then replay", srcName, got, f.SHA256, id)
			}
		}
	}
	if rec.Folder == mime.FolderPickup {
		// The file is in IIS PickUp form, where ".." stands for "." at
		// the start of a line (KB 221384); the writers stuff it again.
		raw = unstuff(raw)
	}
	if rec.Folder == mime.FolderBadMail {
		if inner, part, ok := reportedMessage(raw); ok {
			raw = inner
			res.Warnings = append(res.Warnings, fmt.Sprintf("%s is a delivery report: the message inside it (part %s) is what is sent", srcName, part))
		}
	}
	msg := stripEnvelope(raw)
	fileEnv, envErr := fileEnvelope(raw)

	// Envelope.
	env, from, warn, err := chooseEnvelope(rec, fileEnv, envErr, msg, opts)
	if err != nil {
		return refuse("%v", err)
	}
	res.Envelope, res.EnvelopeFrom = env, from
	res.Warnings = append(res.Warnings, warn...)

	// Target and the exact bytes.
	var out bytes.Buffer
	folder := mime.FolderGeneric
	switch t.Kind {
	case ToPickup, ToReplay:
		dir, err := targetDir(rec, t)
		if err != nil {
			return refuse("%v", err)
		}
		t.Dir = dir
		f := queue.FormatPickup
		folder = mime.FolderPickup
		if t.Kind == ToPickup && isExchangePickup(rec, dir) {
			folder = mime.FolderExchangePickup
		}
		if t.Kind == ToReplay {
			f, folder = queue.FormatReplay, mime.FolderReplay
		}
		if _, err := queue.WriteMessage(&out, f, env, bytes.NewReader(msg)); err != nil {
			return refuse("%v", err)
		}
		res.Path = filepath.Join(dir, id+".eml")
	case ToSMTP:
		if t.Addr == "" {
			return refuse("no SMTP server given")
		}
		lw := queue.NewLineWriter(&out, false)
		_, _ = lw.Write(msg)
		_ = lw.Close()
	default:
		return refuse("unknown target %q", t.Kind)
	}
	res.Target = t.String()
	data := out.Bytes()
	sum := sha256.Sum256(data)
	res.Size, res.SHA256 = int64(len(data)), hex.EncodeToString(sum[:])

	// The gate: rescan exactly what will be sent.
	so := opts.Scan
	so.Folder = folder
	rep, err := mime.Scan(bytes.NewReader(data), so)
	if err != nil {
		return res, fmt.Errorf("replay %s: rescan: %w", id, err)
	}
	res.Findings = rep.Findings
	for _, f := range rep.Findings {
		if f.Severity >= opts.BlockAt {
			res.Blocking = append(res.Blocking, f)
		}
	}
	res.Problems = submissionProblems(t.Kind, folder == mime.FolderExchangePickup, data, env, rep)
	res.Warnings = append(res.Warnings, duplicates(t, rec, st, data, rep.Headers.MessageID, opts.FileLimit)...)
	if len(res.Problems) > 0 {
		return refuse("the target would reject it: %s", strings.Join(res.Problems, "; "))
	}
	if len(res.Blocking) > 0 && !opts.Force {
		rules := map[string]bool{}
		var names []string
		for _, f := range res.Blocking {
			if !rules[f.Rule] {
				rules[f.Rule] = true
				names = append(names, f.Rule)
			}
		}
		return refuse("%d findings at or above %s remain (%s); repair it, or pass --force", len(res.Blocking), opts.BlockAt, strings.Join(names, ", "))
	}
	if opts.DryRun {
		res.Outcome = Planned
		return res, nil
	}

	// The admin checked the target and chose to send again: close the
	// intents whose outcome was never recorded, so that they stop showing
	// as open.
	for _, e := range stale {
		if err := st.Journal(quarantine.Entry{V: quarantine.JournalVersion, Time: time.Now().UTC(), Op: quarantine.OpRecover, Kind: JournalKind, Txn: e.Txn, ID: id,
			Outcome: OutcomeSuperseded, Detail: "outcome never recorded; replayed again with --again"}); err != nil {
			return res, fmt.Errorf("replay %s: journal: %w", id, err)
		}
	}

	// Send, with a journal intent first so that a crash leaves a trace.
	r := record{Target: res.Target, Path: res.Path, Source: srcName, Size: res.Size, SHA256: res.SHA256,
		Sender: env.Sender, Rcpts: env.Recipients, Forced: len(res.Blocking) > 0}
	txn := fmt.Sprintf("%s-%s-%d", id, JournalKind, time.Now().UnixNano())
	to := res.Target
	if res.Path != "" {
		to = res.Path
	}
	if err := st.Journal(quarantine.Entry{V: quarantine.JournalVersion, Time: time.Now().UTC(), Op: quarantine.OpIntent, Kind: JournalKind, Txn: txn, ID: id,
		Files: []quarantine.FileOp{{From: srcPath, To: to, Size: res.Size, SHA256: res.SHA256}}, Detail: r.json()}); err != nil {
		return res, fmt.Errorf("replay %s: journal: %w", id, err)
	}
	var sendErr error
	switch t.Kind {
	case ToPickup, ToReplay:
		sendErr = drop(t.Dir, id+".eml", st.ItemDir(id), data)
	case ToSMTP:
		res.Reply, sendErr = sendSMTP(ctx, t, env, data)
	}
	if testHookAfterSend != nil {
		if err := testHookAfterSend(); err != nil {
			return res, err // a simulated crash: nothing more is recorded
		}
	}
	res.Time = time.Now().UTC()
	r.Time, r.Reply = res.Time, res.Reply.String()
	if sendErr != nil {
		se := classify(id, res.Target, res.Reply, sendErr)
		res.Outcome, res.Reason, res.Reply = Failed, se.Error(), se.Reply
		r.Reply = se.Reply.String()
		if se.Temporary {
			res.Outcome = Retryable
		}
		r.Error = se.Error()
		jerr := st.Journal(quarantine.Entry{V: quarantine.JournalVersion, Time: res.Time, Op: quarantine.OpAbort, Kind: JournalKind, Txn: txn, ID: id,
			Outcome: quarantine.OutcomeRolledBack, Detail: r.json()})
		herr := st.AppendHistory(id, quarantine.Event{Time: res.Time, Action: "replay-" + string(res.Outcome), Detail: r.json()})
		return res, errors.Join(se, jerr, herr)
	}
	res.Outcome = Sent
	if err := st.Journal(quarantine.Entry{V: quarantine.JournalVersion, Time: res.Time, Op: quarantine.OpDone, Kind: JournalKind, Txn: txn, ID: id,
		Outcome: quarantine.OutcomeCompleted, Detail: r.json()}); err != nil {
		return res, fmt.Errorf("replay %s: sent, but the journal could not record it: %w", id, err)
	}
	ev := quarantine.Event{Time: res.Time, Action: string(quarantine.StateReplayed), Detail: r.json()}
	if rec.State == quarantine.StateReplayed {
		err = st.AppendHistory(id, ev)
	} else {
		err = st.SetState(id, quarantine.StateReplayed, ev)
	}
	if err != nil {
		return res, fmt.Errorf("replay %s: sent, but item.json could not record it: %w", id, err)
	}
	return res, nil
}

// sourceFile picks fixed.eml, or the original message with original.
func sourceFile(rec *quarantine.Record, original bool) (string, error) {
	if !original {
		for _, f := range rec.Files {
			if f.Name == FixedName {
				return f.Name, nil
			}
		}
		return "", fmt.Errorf("no %s: run `mailroot repair %s`, or pass --original to send the original", FixedName, rec.ID)
	}
	for _, f := range rec.Files {
		if f.IsOriginal() && f.Role == quarantine.RoleMessage {
			return f.Name, nil
		}
	}
	return "", errors.New("the item has no original message file (a BadMail unit without its .BAD?)")
}

func readLimited(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxMessage+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(b) > maxMessage {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, maxMessage)
	}
	return b, nil
}

// unstuff turns ".." at the start of a line back into ".".
func unstuff(b []byte) []byte {
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		if b[i] == '.' && i+1 < len(b) && b[i+1] == '.' && (i == 0 || b[i-1] == '\n' || b[i-1] == '\r') {
			continue
		}
		out = append(out, b[i])
	}
	return out
}

// stripEnvelope drops the envelope block (see envelopeBlock) from the top
// of a message: the X-Receiver lines of a Replay file name every recipient,
// Bcc included, and must not travel on as headers.
func stripEnvelope(b []byte) []byte {
	_, start := envelopeBlock(b)
	return b[start:]
}

// targetDir finds the folder to drop into: the one given, else the item's
// own folder of that kind.
func targetDir(rec *quarantine.Record, t Target) (string, error) {
	if t.Dir != "" {
		return t.Dir, nil
	}
	want, flag := "pickup", "--pickup DIR"
	own := rec.Folder == mime.FolderPickup || rec.Folder == mime.FolderExchangePickup
	if t.Kind == ToReplay {
		want, flag, own = "replay", "--replay DIR", rec.Folder == mime.FolderReplay
	}
	if own && rec.OriginalDir != "" {
		return rec.OriginalDir, nil
	}
	if rec.OriginalDir != "" {
		parent := filepath.Dir(rec.OriginalDir)
		if ents, err := os.ReadDir(parent); err == nil {
			for _, e := range ents {
				if e.IsDir() && strings.EqualFold(e.Name(), want) {
					return filepath.Join(parent, e.Name()), nil
				}
			}
		}
	}
	return "", fmt.Errorf("no %s folder is known for this item (it came from %s); pass %s", want, rec.OriginalDir, flag)
}

func drop(dir, name, tempDir string, data []byte) error {
	s, err := queue.Stage(dir, name, tempDir, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
	if err != nil {
		return err
	}
	if err := s.Commit(); err != nil {
		if s.Committed() {
			// The file is in the folder and will be sent: this is a
			// replay, whatever the folder sync said.
			return nil
		}
		_ = s.Abort()
		return err
	}
	return nil
}

// reportedMessage returns the message inside a delivery report (a .BAD
// that is an NDR: multipart/report whose message/rfc822 part holds the
// original, ../shared/FORMATS.md), when there is one in plain form.
func reportedMessage(raw []byte) ([]byte, string, bool) {
	rep, err := mime.Scan(bytes.NewReader(raw), mime.Options{})
	if err != nil || len(rep.Parts) == 0 || !strings.EqualFold(rep.Parts[0].ContentType, "multipart/report") {
		return nil, "", false
	}
	for _, p := range rep.Parts[1:] {
		if p.Depth != 1 || !strings.EqualFold(p.ContentType, "message/rfc822") {
			continue
		}
		switch strings.ToLower(p.Encoding) {
		case "", "7bit", "8bit", "binary":
		default:
			return nil, "", false
		}
		if p.BodyOffset < 0 || p.EndOffset > int64(len(raw)) || p.BodyOffset >= p.EndOffset {
			return nil, "", false
		}
		return raw[p.BodyOffset:p.EndOffset], p.Path, true
	}
	return nil, "", false
}
