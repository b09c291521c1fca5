package quarantine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"
)

// Resolution is what recovery did with one interrupted transaction.
type Resolution struct {
	Txn     string `json:"txn"`
	Kind    string `json:"kind"`
	ID      string `json:"id"`
	Outcome string `json:"outcome"` // completed, rolled-back, unresolved
	Detail  string `json:"detail,omitempty"`
}

// RecoveryReport says what recovery found and did.
type RecoveryReport struct {
	// Truncated is set when the journal's last line was cut off (a kill
	// mid-write); the line is ended and kept, and reported in BadLines.
	Truncated bool      `json:"truncated"`
	BadLines  []BadLine `json:"bad_lines,omitempty"`
	// BadLinesOmitted counts bad lines not listed (past a cap).
	BadLinesOmitted int `json:"bad_lines_omitted,omitempty"`
	// Resolved lists the interrupted transactions and their outcome.
	Resolved []Resolution `json:"resolved,omitempty"`
	// Foreign lists open intents of kinds that other packages own.
	Foreign []Entry `json:"foreign,omitempty"`
	// TempsRemoved lists leftover temporary files removed (full recovery).
	TempsRemoved []string `json:"temps_removed,omitempty"`
	// Problems lists what recovery could not fix and a human must look at.
	Problems []string `json:"problems,omitempty"`
}

// Clean reports whether recovery found nothing at all to do or report.
func (r *RecoveryReport) Clean() bool {
	return r != nil && !r.Truncated && len(r.BadLines) == 0 && len(r.Resolved) == 0 &&
		len(r.Foreign) == 0 && len(r.TempsRemoved) == 0 && len(r.Problems) == 0
}

// Unresolved reports whether anything is left for a human.
func (r *RecoveryReport) Unresolved() bool {
	if r == nil {
		return false
	}
	for _, x := range r.Resolved {
		if x.Outcome == OutcomeUnresolved {
			return true
		}
	}
	return len(r.Problems) > 0
}

// Recover runs a full recovery: every interrupted transaction in the
// journal is completed or rolled back so that each file exists exactly
// once, complete, in its source or in the store (decided by presence and
// SHA-256 of both copies; the only complete copy is never deleted), the
// outcome is journaled, and leftover temporary files in item folders are
// removed. Open runs the same recovery except the folder sweep.
func (s *Store) Recover(ctx context.Context) (*RecoveryReport, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.writable(); err != nil {
		return nil, err
	}
	f, err := os.Open(s.journal.path)
	if err != nil {
		return nil, fmt.Errorf("recover: %w", err)
	}
	sum, err := summarizeJournal(f)
	f.Close()
	if err != nil {
		return nil, fmt.Errorf("recover: read %s: %w", s.journal.path, err)
	}
	return s.recoverLog(ctx, sum, true)
}

func (s *Store) recoverLog(ctx context.Context, sum *journalSummary, full bool) (*RecoveryReport, error) {
	rep := &RecoveryReport{Truncated: sum.Truncated, BadLinesOmitted: sum.BadOmitted}
	// Bad lines already reported and noted (a truncated line that an
	// earlier Open ended) are not reported again.
	for _, b := range sum.Bad {
		if !sum.repaired[b.Line] {
			rep.BadLines = append(rep.BadLines, b)
		}
	}
	if sum.Truncated && !full && len(sum.Bad) > 0 {
		last := sum.Bad[len(sum.Bad)-1]
		if err := s.journal.append(Entry{Op: OpNote, Kind: kindJournalRepair, By: &s.actor,
			Detail: fmt.Sprintf("line %d (offset %d) was cut off by an interrupted write; ended with a newline and kept", last.Line, last.Offset)}); err != nil {
			return rep, err
		}
	}
	s.open = map[string]Entry{}
	for _, e := range sum.open {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		switch e.Kind {
		case KindMove, KindRestore, KindWrite, KindReplace:
			out, err := s.resolve(e, false)
			r := Resolution{Txn: e.Txn, Kind: e.Kind, ID: e.ID, Outcome: out}
			if err != nil {
				r.Outcome = OutcomeUnresolved
				r.Detail = err.Error()
				s.open[e.Txn] = e
			}
			rep.Resolved = append(rep.Resolved, r)
		default:
			s.open[e.Txn] = e
			rep.Foreign = append(rep.Foreign, e)
		}
	}
	if full {
		s.sweep(rep)
	}
	return rep, nil
}

// Interrupted returns the transactions that the journal of the store in
// dir shows as started and never ended, oldest first: what the next Open
// will recover (or leave to their owner). It takes no lock and writes
// nothing, so a dry run can warn about them without changing the store.
func Interrupted(dir string) ([]Entry, error) {
	p := filepath.Join(dir, JournalFile)
	f, err := os.Open(p)
	if err != nil {
		return nil, fmt.Errorf("read journal %s: %w", p, err)
	}
	defer f.Close()
	sum, err := summarizeJournal(f)
	if err != nil {
		return nil, fmt.Errorf("read journal %s: %w", p, err)
	}
	return sum.open, nil
}

// kindJournalRepair marks the note written after ending a truncated line.
const kindJournalRepair = "journal-repair"

// journalSummary is what recovery needs from the journal, held in memory in
// proportion to the open transactions, not to the journal's length.
type journalSummary struct {
	*JournalLog
	open     []Entry      // intents without an outcome, in journal order
	repaired map[int]bool // bad lines noted as repaired truncations
}

func summarizeJournal(r io.Reader) (*journalSummary, error) {
	open := map[string]Entry{}
	seq := map[string]int{}
	repaired := map[int]bool{}
	n := 0
	log, err := scanJournal(r, func(e *Entry) {
		switch e.Op {
		case OpIntent:
			if _, ok := open[e.Txn]; !ok {
				seq[e.Txn] = n
				n++
			}
			open[e.Txn] = *e
		case OpDone, OpAbort:
			delete(open, e.Txn)
			delete(seq, e.Txn)
		case OpRecover:
			if e.Outcome != OutcomeUnresolved {
				delete(open, e.Txn)
				delete(seq, e.Txn)
			}
		case OpNote:
			var line int
			if e.Kind == kindJournalRepair {
				if _, err := fmt.Sscanf(e.Detail, "line %d", &line); err == nil {
					repaired[line] = true
				}
			}
		}
	})
	if err != nil {
		return nil, err
	}
	sum := &journalSummary{JournalLog: log, repaired: repaired}
	for _, e := range open {
		sum.open = append(sum.open, e)
	}
	sort.Slice(sum.open, func(i, j int) bool { return seq[sum.open[i].Txn] < seq[sum.open[j].Txn] })
	return sum, nil
}

// sweep removes leftover temp files from item folders and reports items
// left pending with no open transaction.
func (s *Store) sweep(rep *RecoveryReport) {
	ids, err := s.itemIDs()
	if err != nil {
		rep.Problems = append(rep.Problems, err.Error())
		return
	}
	openIDs := map[string]bool{}
	for _, e := range s.open {
		openIDs[e.ID] = true
	}
	for _, id := range ids {
		dir := filepath.Join(s.dir, id)
		ents, err := os.ReadDir(dir)
		if err != nil {
			rep.Problems = append(rep.Problems, err.Error())
			continue
		}
		for _, e := range ents {
			if strings.HasPrefix(strings.ToLower(e.Name()), tmpPrefix) && !openIDs[id] {
				p := filepath.Join(dir, e.Name())
				if err := removeFile(p); err != nil {
					rep.Problems = append(rep.Problems, fmt.Sprintf("remove leftover %s: %v", p, err))
				} else {
					rep.TempsRemoved = append(rep.TempsRemoved, p)
				}
			}
		}
		if r, err := s.readRecord(id); err != nil {
			rep.Problems = append(rep.Problems, err.Error())
		} else if r.State == StatePending && !openIDs[id] {
			rep.Problems = append(rep.Problems, fmt.Sprintf("quarantine %s: item is pending but no move is open in the journal; check %s by hand", id, dir))
		}
	}
}

// tmpFor returns the temp path used to bring a file to dest: in the item
// folder for store paths; beside the destination's folder otherwise (a
// pickup service takes any file that appears in its folder, so a partial
// copy must never appear there, FORMATS.md).
func (s *Store) tmpFor(id, dest string) string {
	if inside(s.dir, dest) {
		return filepath.Join(filepath.Dir(dest), tmpPrefix+filepath.Base(dest))
	}
	return filepath.Join(filepath.Dir(filepath.Dir(dest)), ".mailroot-tmp-"+id+"-"+filepath.Base(dest))
}

// tmpInFolder is the temp path for a restore across volumes into a folder
// that no service picks files up from (Queue, BadMail, generic folders):
// inside the destination folder itself, so that restore writes nowhere
// else. The name is not a message name (.partial), which Queue and the
// Exchange 2007+ Pickup (".eml" only) ignore.
func tmpInFolder(id, dest string) string {
	return filepath.Join(filepath.Dir(dest), ".mailroot-tmp-"+id+"-"+filepath.Base(dest)+".partial")
}

// tmpCandidates lists every temp path a transfer to dest may have used.
func (s *Store) tmpCandidates(id, dest string) []string {
	if inside(s.dir, dest) {
		return []string{s.tmpFor(id, dest)}
	}
	return []string{s.tmpFor(id, dest), tmpInFolder(id, dest)}
}

// checkTxnPaths makes sure a journal entry only names paths recovery may
// touch: one side of each file in the item's own folder with the same base
// name on both sides, and temps where tmpFor puts them.
func (s *Store) checkTxnPaths(e Entry) error {
	if !validID(e.ID) {
		return fmt.Errorf("transaction %s has no valid item ID", e.Txn)
	}
	itemDir := filepath.Join(s.dir, e.ID)
	for _, f := range e.Files {
		storeSide, other := f.To, f.From
		if e.Kind == KindRestore {
			storeSide, other = f.From, f.To
		}
		name := filepath.Base(storeSide)
		if filepath.Clean(storeSide) != filepath.Join(itemDir, name) {
			return fmt.Errorf("journal names %s, which is not in item folder %s", storeSide, itemDir)
		}
		if e.Kind == KindWrite || e.Kind == KindReplace {
			if f.From != "" {
				return fmt.Errorf("write transaction names a source %s", f.From)
			}
		} else {
			if filepath.Base(other) != name || !filepath.IsAbs(other) || filepath.Clean(other) != other {
				return fmt.Errorf("journal pairs %s with %s", storeSide, other)
			}
		}
		if f.Tmp != "" && !slices.Contains(s.tmpCandidates(e.ID, f.To), f.Tmp) {
			return fmt.Errorf("journal names an unexpected temporary file %s", f.Tmp)
		}
	}
	return nil
}

type fileState struct {
	op       FileOp
	from, to copyState
	tmps     []string // temp paths that may exist for this file
}

// resolve completes or rolls back one open transaction and journals the
// outcome. inline is set when called from the failing operation itself
// (which prefers rolling back; so does crash recovery, unless every file
// has already arrived).
func (s *Store) resolve(e Entry, inline bool) (string, error) {
	if err := s.checkTxnPaths(e); err != nil {
		return OutcomeUnresolved, fmt.Errorf("quarantine %s: %w; left alone", e.ID, err)
	}
	var outcome string
	var detail string
	var err error
	switch e.Kind {
	case KindWrite:
		outcome, detail, err = s.resolveWrite(e)
	case KindReplace:
		outcome, detail, err = s.resolveReplace(e)
	default:
		outcome, detail, err = s.resolveTransfer(e)
	}
	if err != nil {
		return OutcomeUnresolved, fmt.Errorf("quarantine %s: %s: %w", e.ID, e.Kind, err)
	}
	if err := s.finish(e, outcome); err != nil {
		return OutcomeUnresolved, fmt.Errorf("quarantine %s: %s: %w", e.ID, e.Kind, err)
	}
	op := OpRecover
	if inline {
		op = OpAbort
		if outcome == OutcomeCompleted {
			op = OpDone
		}
	}
	// The files are settled; an outcome that cannot be written now is
	// written before any later entry (see journal.appendOutcome).
	if err := s.journal.appendOutcome(Entry{Op: op, Kind: e.Kind, Txn: e.Txn, ID: e.ID, Outcome: outcome, Detail: detail, By: &s.actor}); err != nil {
		s.log.Debug("quarantine outcome not journaled yet", "txn", e.Txn, "err", err)
	}
	s.log.Debug("quarantine transaction resolved", "txn", e.Txn, "outcome", outcome)
	return outcome, nil
}

func (s *Store) resolveTransfer(e Entry) (outcome, detail string, err error) {
	st := make([]fileState, len(e.Files))
	for i, op := range e.Files {
		st[i].op = op
		// Temps of this transfer and of an interrupted roll-back.
		st[i].tmps = append(s.tmpCandidates(e.ID, op.To), s.tmpCandidates(e.ID, op.From)...)
		if st[i].from, err = probe(op.From, op.Size, op.SHA256); err != nil {
			return "", "", err
		}
		if st[i].to, err = probe(op.To, op.Size, op.SHA256); err != nil {
			return "", "", err
		}
		// A complete temp copy with neither end complete: promote it
		// (never delete the only complete copy).
		if st[i].from != copyComplete && st[i].to == copyAbsent {
			for _, t := range st[i].tmps {
				if c, _ := probe(t, op.Size, op.SHA256); c == copyComplete {
					if err := renameNoReplace(t, op.To); err != nil {
						return "", "", err
					}
					syncDir(filepath.Dir(op.To))
					st[i].to = copyComplete
					break
				}
			}
		}
	}
	allTo, canBack, canFwd := true, true, true
	for _, f := range st {
		if f.to != copyComplete {
			allTo = false
		}
		if !(f.from == copyComplete || f.to == copyComplete && f.from == copyAbsent) {
			canBack = false
		}
		if !(f.to == copyComplete || f.from == copyComplete && f.to == copyAbsent) {
			canFwd = false
		}
	}
	ctx := context.Background()
	switch {
	case allTo:
		// Every file arrived: drop source leftovers (verified duplicates).
		for _, f := range st {
			if f.from == copyComplete {
				if err := removeFile(f.op.From); err != nil {
					return "", "", fmt.Errorf("remove leftover %s: %w", f.op.From, err)
				}
				syncDir(filepath.Dir(f.op.From))
			}
		}
		outcome = OutcomeCompleted
	case canBack:
		for _, f := range st {
			switch {
			case f.from == copyComplete && f.to == copyComplete:
				if err := removeFile(f.op.To); err != nil {
					return "", "", fmt.Errorf("remove duplicate %s: %w", f.op.To, err)
				}
				syncDir(filepath.Dir(f.op.To))
			case f.to == copyComplete:
				back := FileOp{From: f.op.To, To: f.op.From, Tmp: s.tmpFor(e.ID, f.op.From), Size: f.op.Size, SHA256: f.op.SHA256}
				if err := s.transfer(ctx, back); err != nil {
					return "", "", fmt.Errorf("move back %s: %w", f.op.To, err)
				}
			}
		}
		outcome = OutcomeRolledBack
	case canFwd:
		for _, f := range st {
			if f.to != copyComplete {
				if err := s.transfer(ctx, f.op); err != nil {
					return "", "", err
				}
			}
		}
		outcome = OutcomeCompleted
	default:
		var b strings.Builder
		for _, f := range st {
			fmt.Fprintf(&b, "%s is %s, %s is %s; ", f.op.From, f.from, f.op.To, f.to)
		}
		return "", "", errors.New("cannot tell which copy to keep: " + strings.TrimSuffix(b.String(), "; "))
	}
	// Each file is now complete in exactly one place: temps are leftovers.
	for _, f := range st {
		for _, t := range f.tmps {
			if err := removeFile(t); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return "", "", fmt.Errorf("remove leftover %s: %w", t, err)
			}
		}
	}
	return outcome, "", nil
}

func (s *Store) resolveWrite(e Entry) (outcome, detail string, err error) {
	outcome = OutcomeCompleted
	for _, op := range e.Files {
		to, err := probe(op.To, op.Size, op.SHA256)
		if err != nil {
			return "", "", err
		}
		if to == copyAbsent && op.Tmp != "" {
			if c, _ := probe(op.Tmp, op.Size, op.SHA256); c == copyComplete {
				if err := renameNoReplace(op.Tmp, op.To); err != nil {
					return "", "", err
				}
				syncDir(filepath.Dir(op.To))
				to = copyComplete
			}
		}
		if to != copyComplete {
			outcome = OutcomeRolledBack
		}
	}
	if outcome == OutcomeRolledBack {
		// A new file that never fully arrived: nothing else depends on it.
		for _, op := range e.Files {
			if c, _ := probe(op.To, op.Size, op.SHA256); c == copyComplete {
				if err := removeFile(op.To); err != nil {
					return "", "", err
				}
			}
		}
	}
	for _, op := range e.Files {
		if op.Tmp != "" {
			if err := removeFile(op.Tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return "", "", err
			}
		}
	}
	return outcome, "", nil
}

// finish brings item.json in line with the outcome of a transaction.
func (s *Store) finish(e Entry, outcome string) error {
	itemDir := filepath.Join(s.dir, e.ID)
	now := time.Now().UTC()
	switch {
	case e.Kind == KindMove && outcome == OutcomeCompleted:
		rec, err := s.readRecord(e.ID)
		if err != nil {
			// Files arrive only after the pending record is written, so
			// this means item.json was damaged: rebuild what the journal
			// knows.
			rec = &Record{Schema: SchemaVersion, ID: e.ID, State: StatePending, Folder: "generic", History: []Event{}}
			if t, ok := IDTime(e.ID); ok {
				rec.Quarantined = t
			}
			if e.By != nil {
				rec.By = *e.By
			}
			for _, f := range e.Files {
				rec.Files = append(rec.Files, File{Name: filepath.Base(f.To), Role: RoleMessage, OriginalPath: f.From, Size: f.Size, SHA256: f.SHA256})
			}
			if len(e.Files) > 0 {
				rec.OriginalDir = filepath.Dir(e.Files[0].From)
			}
			rec.History = append(rec.History, Event{Time: now, Action: "recovered", By: s.actor, Detail: "item.json rebuilt from the journal: " + err.Error()})
		}
		if rec.State == StatePending {
			rec.State = StateQuarantined
			rec.History = append(rec.History, Event{Time: now, Action: "quarantined", State: StateQuarantined, By: s.actor, Detail: "move completed by recovery", Files: names(rec.Files)})
			return s.writeRecord(rec)
		}
	case e.Kind == KindMove && outcome == OutcomeRolledBack:
		for _, n := range []string{RecordFile, tmpPrefix + RecordFile} {
			if err := removeFile(filepath.Join(itemDir, n)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
		}
		if err := os.Remove(itemDir); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("remove item folder %s (not empty?): %w", itemDir, err)
		}
		syncDir(s.dir)
	case e.Kind == KindRestore && outcome == OutcomeCompleted:
		rec, err := s.readRecord(e.ID)
		if err != nil {
			return err
		}
		if rec.State != StateRestored {
			rec.State = StateRestored
			rec.History = append(rec.History, Event{Time: now, Action: "restored", State: StateRestored, By: s.actor, Detail: "restore completed by recovery"})
			return s.writeRecord(rec)
		}
	case e.Kind == KindReplace && outcome == OutcomeCompleted:
		return s.finishReplace(e)
	case e.Kind == KindWrite && outcome == OutcomeCompleted:
		rec, err := s.readRecord(e.ID)
		if err != nil {
			return err
		}
		changed := false
		for _, op := range e.Files {
			name := filepath.Base(op.To)
			if rec.file(name) == nil {
				rec.Files = append(rec.Files, File{Name: name, Role: e.Detail, Size: op.Size, SHA256: op.SHA256, Added: now})
				rec.History = append(rec.History, Event{Time: now, Action: "file-added", By: s.actor, Files: []string{name}, Detail: "completed by recovery"})
				changed = true
			}
		}
		if changed {
			return s.writeRecord(rec)
		}
	}
	return nil
}
