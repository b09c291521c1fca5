package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/mailroot/mailroot/mime"
	"github.com/mailroot/mailroot/quarantine"
	"github.com/mailroot/mailroot/quarantine/replay"
	"github.com/mailroot/mailroot/queue"
)

// smtpPasswordEnv holds the SMTP password: never on the command line,
// where other users can read it.
const smtpPasswordEnv = "MAILROOT_SMTP_PASSWORD"

const replayLong = `
Replay hands quarantined messages back to the mail server, once each, in the
format it expects. For each ID:

1. Exactly once: an item replayed before is refused unless --again, and so
   is one whose last replay was interrupted before its outcome was recorded
   (the message may have gone out).
2. What is sent: fixed.eml (see "mailroot repair"), or the original file
   with --original. An IIS PickUp original is read as the service reads it;
   a BadMail .BAD that is a delivery report gives the message inside it.
   The file must still match the SHA-256 in item.json: after editing
   fixed.eml by hand, record the edit with "mailroot repair ID --rehash";
   a changed original is refused (run "mailroot quarantine verify").
3. The envelope: --sender/--rcpt when given, else the one recorded when the
   item was quarantined (pickup x-sender/x-receiver lines, Drop and Replay
   X-Sender/X-Receiver headers), else one taken from From/To/Cc/Bcc, with a
   warning: Bcc and distribution-list recipients may be lost (KB 306043).
4. The gate: the exact bytes that would be sent are scanned again. Findings
   at or above --block-at (default high) refuse the replay unless --force;
   the target's own rules always do (a lone "." line; no sender and no From
   for IIS, 0xC00402CE; over 100 recipients or a header over 64 KB for
   Exchange 2007+). A file with the same bytes or Message-ID still in the
   target or original folder is warned about.
5. Send, to one of:
     --to pickup (default)  the item's own PickUp folder, or --pickup DIR:
                            x-sender/x-receiver lines, then the message with
                            CRLF line endings and dot-stuffing
     --to replay DIR        an Exchange 2007+ Replay folder (or --replay DIR):
                            X-Sender/X-Receiver headers first
     --smtp HOST:PORT       an SMTP server: EHLO, STARTTLS when offered
                            (--tls to require it, --insecure to accept any
                            certificate), AUTH PLAIN with --user and the
                            password in $MAILROOT_SMTP_PASSWORD, MAIL, RCPT,
                            DATA
   Files are written to a temporary file outside the target folder on the
   same volume (the item's folder in the store), fsynced, made writable
   (KB 221432: read-only pickup files are sent on every restart) and
   renamed in as <ID>.eml; an existing file is never replaced.
6. Record: the journal and item.json get the target, time, SHA-256 of the
   bytes sent and the SMTP reply; the item becomes "replayed". An SMTP 4xx
   reply or a lost connection is retryable and a 5xx reply failed: the item
   stays where it is and the reply is recorded.

IDs are arguments, or read from stdin with "-" (separated by white space;
"#" starts a comment; "mailroot quarantine list" output can be piped, only
the ID of each row is used), or --all-repaired for every item in the
repaired state. An item named twice, by its ID or by two prefixes of it,
is replayed once. --rate spaces the replays (default 100 a minute,
Exchange's pickup rate).

Examples:

  mailroot replay 01jq7 --dry-run --quarantine "D:\Mailroot\vsi 1\Quarantine"
  mailroot replay 01jq7 --pickup "D:\Mailroot\vsi 1\PickUp"
  mailroot replay --all-repaired --smtp mail.example.com:25 --tls
  mailroot quarantine list --state repaired | mailroot replay - --rate 20

EXIT STATUS
  0   every item was sent (or, with --dry-run, would be)
  1   every item was refused (gate, envelope, already replayed) or failed
  2   bad usage (also an unknown or ambiguous ID: IDs are resolved first,
      and a typo sends nothing), or a fatal error (store missing, unsafe)
  3   partial: some items were sent and others were not
  11  the store is locked by another mailroot process`

type replayOptions struct {
	store       quarantineOptions
	dryRun      bool
	original    bool
	force       bool
	again       bool
	allRepaired bool
	blockAt     mime.Severity
	to          string
	pickup      string
	replayDir   string
	smtpAddr    string
	tls         bool
	insecure    bool
	user        string
	sender      string
	rcpts       listFlag
	rate        int
}

// rateFlag accepts "N" or "N/min".
type rateFlag struct{ n *int }

func (r rateFlag) String() string {
	if r.n == nil {
		return ""
	}
	return strconv.Itoa(*r.n) + "/min"
}

func (r rateFlag) Set(s string) error {
	v := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSpace(s), "/min"), "/m")
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return fmt.Errorf("want N or N/min, e.g. 100/min (0: no limit)")
	}
	*r.n = n
	return nil
}

func init() {
	register(&command{
		Name:  "replay",
		Args:  "[flags] ID...|-",
		Short: "send repaired messages back to PickUp, Replay or an SMTP server, once",
		Long:  replayLong,
		Setup: func(fs *flag.FlagSet, e *env) runFunc {
			o := &replayOptions{blockAt: mime.High, rate: 100}
			e.addJSONFlag(fs)
			fs.StringVar(&o.store.dir, "quarantine", "", "quarantine store `DIR`")
			fs.BoolVar(&o.dryRun, "dry-run", false, "check everything, send nothing")
			fs.BoolVar(&o.dryRun, "n", false, "short for --dry-run")
			fs.BoolVar(&o.original, "original", false, "send the original file instead of fixed.eml")
			fs.BoolVar(&o.force, "force", false, "send despite findings at or above --block-at")
			fs.Var(severityFlag{&o.blockAt}, "block-at", "lowest `SEVERITY` that refuses a replay (low, medium, high, crash)")
			fs.StringVar(&o.to, "to", "", "target `KIND`: pickup or replay (default pickup; --smtp sends by SMTP)")
			fs.StringVar(&o.pickup, "pickup", "", "PickUp `DIR` (default: the item's own)")
			fs.StringVar(&o.replayDir, "replay", "", "Exchange 2007+ Replay `DIR`")
			fs.StringVar(&o.smtpAddr, "smtp", "", "send to the SMTP server `HOST:PORT`")
			fs.BoolVar(&o.tls, "tls", false, "require STARTTLS")
			fs.BoolVar(&o.insecure, "insecure", false, "accept any TLS certificate (test servers)")
			fs.StringVar(&o.user, "user", "", "AUTH PLAIN `USER` (password in $"+smtpPasswordEnv+")")
			fs.StringVar(&o.sender, "sender", "", "envelope sender `ADDR`")
			fs.Var(&o.rcpts, "rcpt", "envelope recipient `ADDR` (repeatable, or comma-separated)")
			fs.Var(rateFlag{&o.rate}, "rate", "at most `N` replays a minute, written N or N/min (0: no limit)")
			fs.BoolVar(&o.allRepaired, "all-repaired", false, "replay every item in the repaired state")
			fs.BoolVar(&o.again, "again", false, "replay an item that was replayed before")
			return func(ctx context.Context, args []string) error {
				return runReplay(ctx, e, o, args)
			}
		},
	})
}

// takeTargetDir accepts the folder written after its kind, as in
// "--to replay D:\Replay" (the form the replay runbook uses): with --to
// pickup or --to replay and no --pickup/--replay, the first positional
// argument that names an existing folder is that folder, even when it
// could also be read as an ID prefix ("Replay" from inside TransportRoles).
// It returns the other arguments.
func takeTargetDir(o *replayOptions, args []string) []string {
	var dir *string
	switch strings.ToLower(o.to) {
	case "pickup":
		dir = &o.pickup
	case "replay":
		dir = &o.replayDir
	}
	if dir == nil || *dir != "" {
		return args
	}
	rest := make([]string, 0, len(args))
	for _, a := range args {
		if *dir == "" && a != "-" {
			if fi, err := os.Stat(a); err == nil && fi.IsDir() {
				*dir = a
				continue
			}
		}
		rest = append(rest, a)
	}
	return rest
}

// replayTarget builds the target from the flags.
func replayTarget(o *replayOptions) (replay.Target, error) {
	kind := replay.ToPickup
	switch strings.ToLower(o.to) {
	case "", "pickup":
		if o.to == "" && o.replayDir != "" {
			kind = replay.ToReplay
		}
	case "replay":
		kind = replay.ToReplay
	case "smtp":
		kind = replay.ToSMTP
	default:
		return replay.Target{}, usageErrorf("--to %q: want pickup or replay (or --smtp HOST:PORT)", o.to)
	}
	if o.smtpAddr != "" {
		if o.to != "" && kind != replay.ToSMTP {
			return replay.Target{}, usageErrorf("--smtp and --to %s name two targets", o.to)
		}
		kind = replay.ToSMTP
	}
	t := replay.Target{Kind: kind}
	switch kind {
	case replay.ToPickup:
		t.Dir = o.pickup
	case replay.ToReplay:
		t.Dir = o.replayDir
	}
	if t.Dir != "" {
		// The record and the journal name the folder whatever the
		// working directory was.
		abs, err := filepath.Abs(t.Dir)
		if err != nil {
			return t, usageErrorf("target folder %s: %v", t.Dir, err)
		}
		t.Dir = abs
	}
	switch kind {
	case replay.ToSMTP:
		if o.smtpAddr == "" {
			return t, usageErrorf("--to smtp needs --smtp HOST:PORT")
		}
		if !strings.Contains(o.smtpAddr, ":") {
			o.smtpAddr += ":25"
		}
		t.Addr = o.smtpAddr
		t.SMTP = replay.SMTPOptions{RequireTLS: o.tls, Insecure: o.insecure, User: o.user}
		if o.user != "" {
			t.SMTP.Password = os.Getenv(smtpPasswordEnv)
			if t.SMTP.Password == "" {
				return t, withHint(usageErrorf("--user %s given but $%s is empty", o.user, smtpPasswordEnv),
					"set the password in the environment, not on the command line")
			}
		}
	}
	if kind != replay.ToSMTP && (o.tls || o.insecure || o.user != "") {
		return t, usageErrorf("--tls, --insecure and --user apply to --smtp only")
	}
	return t, nil
}

// replayJSON is the --json line for one item.
type replayJSON struct {
	Kind string `json:"kind"` // "replay"
	*replay.Result
	Error string `json:"error,omitempty"`
}

func runReplay(ctx context.Context, e *env, o *replayOptions, args []string) (err error) {
	args = takeTargetDir(o, args)
	t, err := replayTarget(o)
	if err != nil {
		return err
	}
	ids, err := readIDs(e, args)
	if err != nil {
		return err
	}
	if len(ids) == 0 && !o.allRepaired {
		return usageErrorf("replay needs IDs, - to read them from stdin, or --all-repaired")
	}
	ss, st, err := openOne(e, &o.store)
	if err != nil {
		return err
	}
	defer ss.closeInto(&err)
	if o.allRepaired {
		recs, lerr := st.List(quarantine.Filter{State: quarantine.StateRepaired})
		if lerr != nil {
			fmt.Fprintf(e.stderr, "mailroot: %s\n", sanitizeLine(lerr.Error()))
		}
		for _, r := range recs {
			ids = append(ids, r.ID)
		}
		if len(ids) == 0 {
			fmt.Fprintln(e.stderr, "mailroot: no repaired items to replay")
			return nil
		}
	}
	// An item named twice is sent once (not sent, then refused as
	// already replayed, which would look like a partial failure).
	if ids, err = uniqueIDs(st, ids); err != nil {
		return err
	}
	opts := replay.Options{Original: o.original, Force: o.force, BlockAt: o.blockAt, Sender: o.sender, Recipients: o.rcpts, Again: o.again, DryRun: o.dryRun}
	lim := replay.NewLimiter(o.rate)
	if o.dryRun {
		lim = replay.NewLimiter(0)
	}
	ok, bad := 0, 0
	for _, id := range ids {
		if err := lim.Wait(ctx); err != nil {
			return err
		}
		res, rerr := replay.Replay(ctx, st, id, t, opts)
		if errors.Is(rerr, context.Canceled) {
			return rerr
		}
		if res != nil && res.ID == "" {
			res.ID = id
		}
		if rerr != nil {
			bad++
		} else {
			ok++
		}
		for _, w := range res.Warnings {
			fmt.Fprintf(e.stderr, "mailroot: warning: %s: %s\n", res.ID, sanitizeLine(w))
		}
		if e.json {
			j := replayJSON{Kind: "replay", Result: res}
			if rerr != nil {
				j.Error = rerr.Error()
			}
			_ = newJSONLines(e.stdout).write(j)
		} else {
			printReplay(e.stdout, res, rerr)
		}
		if rerr != nil && !replay.IsRefused(rerr) {
			var se *replay.SendError
			if !errors.As(rerr, &se) && !errors.Is(rerr, queue.ErrExists) {
				fmt.Fprintf(e.stderr, "mailroot: %s\n", sanitizeLine(rerr.Error()))
			}
		}
	}
	switch {
	case bad == 0:
		return nil
	case ok == 0:
		return &exitError{code: exitSuspects}
	}
	return &exitError{code: exitPartial}
}

func printReplay(w io.Writer, r *replay.Result, err error) {
	switch r.Outcome {
	case replay.Sent:
		fmt.Fprintf(w, "%s: sent to %s (%d bytes, sha256 %s)\n", r.ID, sanitizeLine(r.Target), r.Size, r.SHA256)
		if r.Path != "" {
			fmt.Fprintf(w, "  file:     %s\n", sanitizeLine(r.Path))
		}
	case replay.Planned:
		fmt.Fprintf(w, "%s: would send %s to %s (%d bytes, sha256 %s)\n", r.ID, sanitizeLine(r.Source), sanitizeLine(r.Target), r.Size, r.SHA256)
		if r.Path != "" {
			fmt.Fprintf(w, "  file:     %s\n", sanitizeLine(r.Path))
		}
	default:
		msg := r.Reason
		if msg == "" && err != nil {
			msg = err.Error()
		}
		fmt.Fprintf(w, "%s: %s: %s\n", r.ID, r.Outcome, sanitizeLine(msg))
	}
	if r.EnvelopeFrom != "" {
		fmt.Fprintf(w, "  envelope: %s (%s) -> %s\n", sanitizeLine(r.Envelope.Sender), r.EnvelopeFrom, sanitizeLine(strings.Join(r.Envelope.Recipients, ", ")))
	}
	if r.Reply != nil {
		fmt.Fprintf(w, "  reply:    %s\n", sanitizeLine(r.Reply.String()))
	}
	for _, p := range r.Problems {
		fmt.Fprintf(w, "  problem:  %s\n", sanitizeLine(p))
	}
	for _, f := range r.Blocking {
		printFinding(w, "  ", f)
	}
}
