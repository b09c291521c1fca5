package quarantine

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"
)

// JournalFile is the name of the store's append-only journal.
const JournalFile = "journal.jsonl"

// JournalVersion is the version of the journal line format.
const JournalVersion = 1

// maxJournalLine bounds one journal line; longer lines are reported as bad.
const maxJournalLine = 4 << 20

// Journal operations.
const (
	OpIntent  = "intent"  // a transaction is about to change files; Files says which
	OpDone    = "done"    // the transaction completed
	OpAbort   = "abort"   // the transaction was rolled back by its own process
	OpRecover = "recover" // recovery resolved (or could not resolve) an open transaction
	OpState   = "state"   // an item changed state
	OpNote    = "note"    // anything else worth keeping (journal repair, etc.)
)

// Transaction kinds handled by this package's recovery. Other packages may
// journal their own kinds (e.g. "replay") with Store.Journal; recovery
// leaves those open for their owner (Store.OpenIntents).
const (
	KindMove    = "move"    // mailroot -> store
	KindRestore = "restore" // store -> original path
	KindWrite   = "write"   // a new file written into an item folder
)

// Recovery outcomes, in OpRecover entries.
const (
	OutcomeCompleted  = "completed"
	OutcomeRolledBack = "rolled-back"
	OutcomeUnresolved = "unresolved"
)

// Entry is one line of the journal.
type Entry struct {
	V       int       `json:"v"`
	Time    time.Time `json:"time"`
	Op      string    `json:"op"`
	Kind    string    `json:"kind,omitempty"`
	Txn     string    `json:"txn,omitempty"` // ties an intent to its completion
	ID      string    `json:"id,omitempty"`
	Files   []FileOp  `json:"files,omitempty"`
	State   State     `json:"state,omitempty"`
	Outcome string    `json:"outcome,omitempty"`
	Detail  string    `json:"detail,omitempty"`
	By      *Actor    `json:"by,omitempty"`
}

// FileOp is one file of a transaction: it goes From -> To, through Tmp when
// it has to be copied (across volumes, or a new file being written).
type FileOp struct {
	From   string `json:"from,omitempty"`
	To     string `json:"to"`
	Tmp    string `json:"tmp,omitempty"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// BadLine is a journal line that could not be parsed.
type BadLine struct {
	Line   int    `json:"line"`
	Offset int64  `json:"offset"`
	Err    string `json:"error"`
}

// JournalLog is what ReadJournal found.
type JournalLog struct {
	Entries []Entry
	// Bad lists unparseable lines; they are skipped.
	Bad []BadLine
	// Truncated is set when the last line has no final newline: a write was
	// cut off (a kill or power cut mid-append). Its content is in Bad if it
	// did not parse.
	Truncated bool
	// BadOmitted counts bad lines beyond the first maxBadLines.
	BadOmitted int
	// Size is the number of bytes read.
	Size int64
}

// maxBadLines bounds how many bad lines a read keeps (the rest are
// counted in BadOmitted): a journal overwritten with garbage must not make
// every command use memory in proportion.
const maxBadLines = 1000

// ReadJournal parses a journal. It tolerates and reports bad lines, among
// them a truncated last line; it fails only on a read error. It keeps every
// entry in memory: recovery uses a streaming summary instead.
func ReadJournal(r io.Reader) (*JournalLog, error) {
	var entries []Entry
	log, err := scanJournal(r, func(e *Entry) { entries = append(entries, *e) })
	log.Entries = entries
	return log, err
}

// scanJournal reads a journal line by line and calls fn for each entry;
// the returned log has no Entries.
func scanJournal(r io.Reader, fn func(*Entry)) (*JournalLog, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	log := &JournalLog{}
	line := 0
	bad := func(b BadLine) {
		if len(log.Bad) < maxBadLines {
			log.Bad = append(log.Bad, b)
		} else {
			log.BadOmitted++
		}
	}
	for {
		start := log.Size
		b, n, tooLong, err := readLine(br, maxJournalLine)
		log.Size += int64(n)
		if n == 0 && err == io.EOF {
			break
		}
		if err != nil && err != io.EOF {
			return log, err
		}
		line++
		complete := len(b) > 0 && b[len(b)-1] == '\n'
		if !complete {
			log.Truncated = true
		}
		switch {
		case tooLong:
			bad(BadLine{Line: line, Offset: start, Err: fmt.Sprintf("line longer than %d bytes", maxJournalLine)})
		case len(bytes.TrimSpace(b)) == 0:
			// blank line (e.g. the newline written after a truncated line)
		default:
			e, perr := parseEntry(b)
			if perr != nil {
				bad(BadLine{Line: line, Offset: start, Err: perr.Error()})
			} else {
				fn(e)
			}
		}
		if err == io.EOF {
			break
		}
	}
	return log, nil
}

// readLine reads up to and including '\n'. Past max bytes the rest of the
// line is consumed and dropped, and tooLong is set.
func readLine(br *bufio.Reader, max int) (line []byte, n int, tooLong bool, err error) {
	var buf []byte
	for {
		frag, err := br.ReadSlice('\n')
		n += len(frag)
		if !tooLong {
			if len(buf)+len(frag) > max {
				tooLong = true
				buf = nil
			} else {
				buf = append(buf, frag...)
			}
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if tooLong {
			// keep the newline status for truncation detection
			if n > 0 && len(frag) > 0 && frag[len(frag)-1] == '\n' {
				buf = []byte{'\n'}
			} else {
				buf = []byte{'x'}
			}
		}
		return buf, n, tooLong, err
	}
}

func parseEntry(b []byte) (*Entry, error) {
	var e Entry
	// Unmarshal also refuses anything after the object.
	if err := json.Unmarshal(b, &e); err != nil {
		return nil, err
	}
	if e.V < 1 || e.V > JournalVersion {
		return nil, fmt.Errorf("unsupported journal version %d", e.V)
	}
	if e.Op == "" {
		return nil, errors.New("missing op")
	}
	if e.ID != "" && !validID(e.ID) {
		return nil, fmt.Errorf("invalid ID %q", e.ID)
	}
	if e.Op == OpIntent && e.Txn == "" {
		return nil, errors.New("intent without txn")
	}
	for _, f := range e.Files {
		if f.To == "" || f.Size < 0 || (f.SHA256 != "" && !validSHA256(f.SHA256)) {
			return nil, errors.New("invalid file in entry")
		}
	}
	return &e, nil
}

// journal appends entries to journal.jsonl, one fsync per entry.
type journal struct {
	f    *os.File
	path string
	size int64 // bytes in the file after the last complete append
	// torn is set when a failed append may have left part of a line that
	// could not be cut off again: the next append starts a new line.
	torn bool
	// write is f.Write; tests replace it to fail half-way.
	write func([]byte) (int, error)
	// pending holds outcomes (done, abort, recover) that could not be
	// written: they go first at the next append, so that no new
	// transaction is ever journaled while an earlier one looks open (a
	// later recovery would otherwise undo a finished move).
	pending []Entry
}

func openJournal(path string) (*journal, *journalSummary, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("open journal: %w", err)
	}
	sum, err := summarizeJournal(f)
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("read journal %s: %w", path, err)
	}
	j := &journal{f: f, path: path, size: sum.Size}
	j.write = f.Write
	if sum.Truncated {
		// End the cut-off line so that the next entry starts on its own
		// line; the partial line stays (the journal is append-only) and is
		// reported as bad by every later read.
		if _, err := f.Write([]byte{'\n'}); err != nil {
			f.Close()
			return nil, nil, fmt.Errorf("repair journal %s: %w", path, err)
		}
		j.size++
	}
	return j, sum, nil
}

// append writes any pending outcomes, then e, each fsynced.
func (j *journal) append(e Entry) error {
	for len(j.pending) > 0 {
		if err := j.appendOne(j.pending[0]); err != nil {
			return fmt.Errorf("%w (an earlier outcome is still unwritten)", err)
		}
		j.pending = j.pending[1:]
	}
	return j.appendOne(e)
}

// appendOutcome journals the outcome of a transaction. If it cannot be
// written now, it is kept and written before any later entry.
func (j *journal) appendOutcome(e Entry) error {
	if e.Time.IsZero() {
		e.Time = time.Now().UTC()
	}
	if err := j.append(e); err != nil {
		j.pending = append(j.pending, e)
		return err
	}
	return nil
}

// appendOne writes one entry and fsyncs it.
func (j *journal) appendOne(e Entry) error {
	e.V = JournalVersion
	if e.Time.IsZero() {
		e.Time = time.Now().UTC()
	}
	b, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	b = append(b, '\n')
	if err := fault("journal-write"); err != nil {
		return fmt.Errorf("append to %s: %w", j.path, err)
	}
	if j.torn {
		b = append([]byte{'\n'}, b...)
	}
	if _, err := j.write(b); err != nil {
		// A write that failed half-way (disk full) must not leave a
		// fragment that the next entry would be glued to: cut it off, or
		// failing that, start the next entry on a new line.
		if terr := j.f.Truncate(j.size); terr != nil {
			j.torn = true
		}
		return fmt.Errorf("append to %s: %w", j.path, err)
	}
	j.size += int64(len(b))
	j.torn = false
	if err := fault("journal-sync"); err != nil {
		return fmt.Errorf("sync %s: %w", j.path, err)
	}
	if err := j.f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", j.path, err)
	}
	return nil
}

// close writes what is pending, then closes the file.
func (j *journal) close() error {
	var err error
	if len(j.pending) > 0 {
		err = j.append(Entry{Op: OpNote, Detail: "closed"})
	}
	if cerr := j.f.Close(); err == nil {
		err = cerr
	}
	return err
}
