package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/mailroot/mailroot/mime"
	"github.com/mailroot/mailroot/queue"
)

// This file turns scan results into output: the per-message blocks (text)
// or {"kind":"message"} lines (JSON), the skipped files, and the summary.

// Bounds on what the summary keeps, so that memory does not grow with the
// number of files (a spam flood has as many sender domains as messages).
const (
	maxSkippedKept = 10000 // skipped files listed; the rest are counted
	maxDomains     = 10000 // distinct sender domains counted; the rest are "(other)"
	maxReasons     = 1000  // distinct BadMail reasons counted; the rest are "(other)"
	topDomains     = 10
	topReasons     = 20
	oldestKept     = 5
)

// ageBuckets are the Postfix qshape age columns, in minutes: a message is
// counted in the first bucket whose bound is at least its age, or in the
// last ("1280m+") one.
var ageBuckets = []int{5, 10, 20, 40, 80, 160, 320, 640, 1280}

func ageBucketNames() []string {
	var s []string
	for _, b := range ageBuckets {
		s = append(s, fmt.Sprintf("%dm", b))
	}
	return append(s, fmt.Sprintf("%dm+", ageBuckets[len(ageBuckets)-1]))
}

func ageBucket(age time.Duration) int {
	for i, b := range ageBuckets {
		if age <= time.Duration(b)*time.Minute {
			return i
		}
	}
	return len(ageBuckets)
}

type folderStat struct {
	Folder   mime.Folder `json:"folder"`
	Messages int64       `json:"messages"`
	Bytes    int64       `json:"bytes"`
	Flagged  int64       `json:"flagged"`
	Suspects int64       `json:"suspects"`
	ages     []int64
}

type ruleStat struct {
	Rule     string        `json:"rule"`
	Severity mime.Severity `json:"severity"` // highest severity of the rule's findings
	Title    string        `json:"title"`
	Messages int64         `json:"messages"`
	Findings int64         `json:"findings"`
}

type oldItem struct {
	Path       string      `json:"path"`
	Folder     mime.Folder `json:"folder"`
	Size       int64       `json:"size"`
	Time       string      `json:"time"` // queued (creation) time where the OS keeps it, else mtime
	AgeSeconds int64       `json:"age_seconds"`
	mtime      time.Time
}

type codeCount struct {
	Code      string `json:"code"`
	Count     int64  `json:"count"`
	Meaning   string `json:"meaning,omitempty"`
	Reference string `json:"reference,omitempty"`
}

func (c *collector) codeList() []codeCount {
	out := []codeCount{}
	for _, ci := range topCounts(c.sum.codes, topReasons) {
		info := c.sum.codeInfo[ci.Name]
		out = append(out, codeCount{Code: ci.Name, Count: ci.Count, Meaning: info.Meaning, Reference: info.Reference})
	}
	return out
}

type countItem struct {
	Name  string `json:"name"`
	Count int64  `json:"count"`
}

// summary accumulates the counters of a scan. It is touched only by the
// collector goroutine.
type summary struct {
	messages, bytes   int64
	flagged, suspects int64
	quarantined       int64
	problems          int64 // suspects the quarantine step could not act on
	folders           map[mime.Folder]*folderStat
	rules             map[string]*ruleStat
	oldest            []oldItem
	reasons           map[string]int64
	codes             map[string]int64 // BadMail error codes ("0xC00402CE")
	codeInfo          map[string]queue.ErrorCode
	domains           map[string]int64
	skippedTotal      int64
	readFailures      int64 // skipped because content could not be read: exit status 3
	skippedReasons    map[string]int64
	skippedList       []skipped
}

func newSummary() *summary {
	return &summary{
		folders:        map[mime.Folder]*folderStat{},
		rules:          map[string]*ruleStat{},
		reasons:        map[string]int64{},
		codes:          map[string]int64{},
		codeInfo:       map[string]queue.ErrorCode{},
		domains:        map[string]int64{},
		skippedReasons: map[string]int64{},
	}
}

// collector receives scan results in walk order, updates the summary and
// prints or holds message records.
type collector struct {
	se        *scanEnv
	step      quarantineStep
	out       *errWriter
	jl        *jsonLines
	sum       *summary
	held      []*suspect
	streaming bool
	blockers  *queue.Blockers
	printed   int
}

func newCollector(se *scanEnv, step quarantineStep) *collector {
	out := &errWriter{w: se.stdout}
	return &collector{se: se, step: step, out: out, jl: newJSONLines(out), sum: newSummary(),
		blockers: queue.NewBlockers(oldestKept, time.Duration(se.mimeOpts.Limits.BlockerAgeMinutes)*time.Minute, se.now)}
}

// add takes one scanned item.
func (c *collector) add(ctx context.Context, d scanDone) error {
	if d.err != nil {
		var sw *swapError
		if errors.As(d.err, &sw) {
			c.skip(newSkipped(sw.skip))
			return nil
		}
		c.skip(newSkipped(queue.SkipFor(d.item.Path, d.item.Folder, d.err)))
		return nil
	}
	s := c.build(d)
	c.blockers.Add(d.item)
	c.count(s, c.flagged(s))
	return c.consider(ctx, s)
}

// build makes the record of one scanned item.
func (c *collector) build(d scanDone) *suspect {
	se := c.se
	s := &suspect{seq: d.seq, root: d.root, Item: d.item, Report: d.rep}
	s.useReadSize()
	for _, f := range d.item.Findings {
		if se.ruleOn(f.Rule) {
			s.Findings = append(s.Findings, f)
		}
	}
	if d.rep != nil {
		for _, f := range d.rep.Findings {
			if se.ruleOn(f.Rule) {
				s.Findings = append(s.Findings, f)
			}
		}
	}
	c.se.settle(s)
	return s
}

// useReadSize makes the record's size that of the bytes read (Report.Size)
// when it differs from the directory listing's: the file grew or shrank
// between the listing and the read, and the size, hash and findings must
// all describe the same bytes. It marks the record ChangedWhileRead.
func (s *suspect) useReadSize() {
	r := s.Report
	if r == nil || r.Size == s.Item.Size {
		return
	}
	s.ChangedWhileRead, s.ListedSize = true, s.Item.Size
	s.Item.Size = r.Size
	s.Item.Members = append([]queue.Member(nil), s.Item.Members...)
	for i := range s.Item.Members {
		if s.Item.Members[i].Path == s.Item.Path {
			s.Item.Members[i].Size = r.Size
		}
	}
}

// settle orders a record's findings and computes Max and Quarantine.
func (se *scanEnv) settle(s *suspect) {
	sort.SliceStable(s.Findings, func(i, j int) bool { return s.Findings[i].Offset < s.Findings[j].Offset })
	s.Max = 0
	for _, f := range s.Findings {
		if f.Severity > s.Max {
			s.Max = f.Severity
		}
	}
	s.Quarantine = s.Max != 0 && s.Max >= se.opts.quarantineAt
}

// flagged reports whether a record has a finding at or above --min-severity.
func (c *collector) flagged(s *suspect) bool {
	for _, f := range s.Findings {
		if f.Severity >= c.se.opts.minSeverity {
			return true
		}
	}
	return false
}

// consider prints or holds a record that is to be shown.
func (c *collector) consider(ctx context.Context, s *suspect) error {
	if !(c.flagged(s) || s.Quarantine || c.se.opts.all) {
		return nil
	}
	if c.streaming {
		return c.emit(ctx, s)
	}
	c.held = append(c.held, s)
	if len(c.held) > sortLimit {
		// Too many to sort in bounded memory: print in walk order from here on.
		c.streaming = true
		for _, h := range c.held {
			if err := c.emit(ctx, h); err != nil {
				return err
			}
		}
		c.held = nil
	}
	return nil
}

// addBlockers adds the Q-002 finding to the blocker candidates once the
// walk is over (only then is "the oldest" known). A candidate that was not
// held (it had no other finding) is scanned again to print it; one already
// printed in walk order (past sortLimit) is only counted.
func (c *collector) addBlockers(ctx context.Context) {
	if !c.se.ruleOn("Q-002") {
		return
	}
	held := map[string]*suspect{}
	for _, s := range c.held {
		held[s.Item.Path] = s
	}
	for _, it := range c.blockers.Result() {
		if c.se.folderOn != nil && !c.se.folderOn[it.Folder] {
			continue
		}
		f := queue.BlockerFinding(it, c.se.now)
		s := held[it.Path]
		fresh := false
		if s == nil {
			rep, err := c.se.scanItem(&it)
			if err != nil {
				continue // it vanished since: nothing to report
			}
			s = c.build(scanDone{scanJob: scanJob{seq: -1, root: c.rootOf(it.Path), item: it}, rep: rep})
			fresh = true
		}
		wasFlagged, wasSuspect := c.flagged(s), s.Quarantine
		s.Findings = append(s.Findings, f)
		c.se.settle(s)
		c.recount(s, f, wasFlagged, wasSuspect)
		// Past sortLimit, a record not held may have been printed already.
		printed := c.streaming && (c.se.opts.all || wasFlagged || wasSuspect)
		if fresh && !printed {
			_ = c.consider(ctx, s)
		}
	}
}

// recount updates the summary after finding f was added to record s.
func (c *collector) recount(s *suspect, f mime.Finding, wasFlagged, wasSuspect bool) {
	sum := c.sum
	fst := sum.folders[s.Item.Folder]
	if c.flagged(s) && !wasFlagged {
		sum.flagged++
		if fst != nil {
			fst.Flagged++
		}
	}
	if s.Quarantine && !wasSuspect {
		sum.suspects++
		if fst != nil {
			fst.Suspects++
		}
	}
	rs := sum.ruleStat(f)
	rs.Findings++
	rs.Messages++
}

// ruleStat returns the summary entry of f's rule, raising its severity to
// f's: the entry shows the highest severity of the rule's findings, not the
// catalogue's (a valid TNEF part is TNEF-001 at low; a long body line is
// STR-004 at high, a long header line at crash).
func (sum *summary) ruleStat(f mime.Finding) *ruleStat {
	rs := sum.rules[f.Rule]
	if rs == nil {
		r, _ := mime.RuleByID(f.Rule)
		rs = &ruleStat{Rule: f.Rule, Severity: f.Severity, Title: r.Title}
		sum.rules[f.Rule] = rs
	}
	if f.Severity > rs.Severity {
		rs.Severity = f.Severity
	}
	return rs
}

// rootOf finds the root a path was found under (for output order).
func (c *collector) rootOf(path string) *scanRoot {
	for _, r := range c.se.roots {
		for _, l := range r.layouts {
			if within(path, l.Root) {
				return r
			}
		}
	}
	return c.se.roots[0]
}

// within reports whether path is root or lies below it. A plain prefix test
// is wrong: "vsi 1" is a prefix of "vsi 10".
func within(path, root string) bool {
	rel, err := filepath.Rel(root, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

func (se *scanEnv) ruleOn(id string) bool { return se.rulesOn == nil || se.rulesOn[id] }

// count updates the summary for one message.
func (c *collector) count(s *suspect, flagged bool) {
	sum := c.sum
	it := &s.Item
	size := itemBytes(it)
	sum.messages++
	sum.bytes += size
	fst := sum.folders[it.Folder]
	if fst == nil {
		fst = &folderStat{Folder: it.Folder, ages: make([]int64, len(ageBuckets)+1)}
		sum.folders[it.Folder] = fst
	}
	fst.Messages++
	fst.Bytes += size
	if !it.ModTime.IsZero() {
		fst.ages[ageBucket(c.se.now.Sub(it.ModTime))]++
	}
	if flagged {
		sum.flagged++
		fst.Flagged++
	}
	if s.Quarantine {
		sum.suspects++
		fst.Suspects++
	}
	seen := map[string]bool{}
	for _, f := range s.Findings {
		rs := sum.ruleStat(f)
		rs.Findings++
		if !seen[f.Rule] {
			seen[f.Rule] = true
			rs.Messages++
		}
	}
	if t := queue.ItemTime(*it); it.Folder == mime.FolderQueue && !t.IsZero() {
		sum.addOldest(oldItem{Path: it.Path, Folder: it.Folder, Size: it.Size, mtime: t})
	}
	if it.Reason != "" {
		addCount(sum.reasons, oneLine(it.Reason), maxReasons)
	}
	for _, ec := range it.ReasonCodes {
		code := strings.ToUpper(strings.TrimPrefix(strings.ToLower(ec.Code), "0x"))
		code = "0x" + code
		addCount(sum.codes, code, maxReasons)
		if _, ok := sum.codeInfo[code]; !ok && len(sum.codeInfo) < maxReasons {
			sum.codeInfo[code] = ec
		}
	}
	if d := senderDomain(s.Report); d != "" {
		addCount(sum.domains, d, maxDomains)
	}
}

// itemBytes is the size of every member of an item.
func itemBytes(it *queue.Item) int64 {
	if len(it.Members) == 0 {
		return it.Size
	}
	var n int64
	for _, m := range it.Members {
		n += m.Size
	}
	return n
}

func addCount(m map[string]int64, key string, max int) {
	if _, ok := m[key]; !ok && len(m) >= max {
		key = "(other)"
	}
	m[key]++
}

// addOldest keeps the oldestKept oldest items (ties broken by path).
func (sum *summary) addOldest(o oldItem) {
	older := func(a, b oldItem) bool {
		if !a.mtime.Equal(b.mtime) {
			return a.mtime.Before(b.mtime)
		}
		return a.Path < b.Path
	}
	if len(sum.oldest) == oldestKept && !older(o, sum.oldest[oldestKept-1]) {
		return
	}
	i := sort.Search(len(sum.oldest), func(i int) bool { return older(o, sum.oldest[i]) })
	sum.oldest = append(sum.oldest, oldItem{})
	copy(sum.oldest[i+1:], sum.oldest[i:])
	sum.oldest[i] = o
	if len(sum.oldest) > oldestKept {
		sum.oldest = sum.oldest[:oldestKept]
	}
}

// senderDomain is the envelope sender's domain, else the From domain.
func senderDomain(r *mime.Report) string {
	if r == nil {
		return ""
	}
	if r.Envelope != nil && r.Envelope.Sender != "" {
		a := strings.Trim(strings.TrimSpace(r.Envelope.Sender), "<>")
		if i := strings.LastIndexByte(a, '@'); i >= 0 && i < len(a)-1 {
			return strings.ToLower(a[i+1:])
		}
	}
	return strings.ToLower(r.Headers.FromDomain)
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return s
}

// skip records a file that could not be read.
func (c *collector) skip(s skipped) {
	c.sum.skippedTotal++
	if s.failure {
		c.sum.readFailures++
	}
	c.sum.skippedReasons[s.Reason]++
	if len(c.sum.skippedList) < maxSkippedKept {
		c.sum.skippedList = append(c.sum.skippedList, s)
	}
}

// finish prints what is held, the skipped files and the summary.
func (c *collector) finish(ctx context.Context) error {
	c.addBlockers(ctx)
	sortSuspects(c.held)
	for _, s := range c.held {
		if err := c.emit(ctx, s); err != nil {
			return err
		}
	}
	c.held = nil
	sort.Slice(c.sum.skippedList, func(i, j int) bool { return c.sum.skippedList[i].Path < c.sum.skippedList[j].Path })
	if c.se.json {
		for _, s := range c.sum.skippedList {
			if err := c.jl.write(struct {
				Kind string `json:"kind"`
				skipped
			}{"skipped", s}); err != nil {
				return c.out.err
			}
		}
		if err := c.jl.write(c.jsonSummary()); err != nil {
			return c.out.err
		}
		return c.out.err
	}
	c.printSummary()
	return c.out.err
}

// emit runs the quarantine step on a suspect and prints its record.
func (c *collector) emit(ctx context.Context, s *suspect) error {
	s.Action = actionNone
	if s.Quarantine {
		if err := c.step.apply(ctx, s); err != nil {
			return err
		}
		if s.Problem != "" {
			c.sum.problems++
		}
		if s.Action == actionQuarantined {
			c.sum.quarantined++
		}
	}
	c.printed++
	if c.se.json {
		if err := c.jl.write(c.jsonMessage(s)); err != nil {
			return c.out.err
		}
		return nil
	}
	if c.se.opts.quiet {
		return nil
	}
	c.printBlock(s)
	return c.out.err
}

// jsonMessage is the {"kind":"message"} object; README.md documents it.
type jsonMessage struct {
	Kind            string         `json:"kind"`
	Path            string         `json:"path"`
	Folder          mime.Folder    `json:"folder"`
	Size            int64          `json:"size"`
	SHA256          string         `json:"sha256"`
	MTime           string         `json:"mtime"`
	Severity        string         `json:"severity"` // highest finding, "" if none
	Envelope        *mime.Envelope `json:"envelope"`
	Headers         *mime.Headers  `json:"headers"`
	Findings        []mime.Finding `json:"findings"`
	FindingsOmitted int            `json:"findings_omitted,omitempty"`
	Action          string         `json:"action"`
	Destination     []string       `json:"destination,omitempty"`
	QuarantineID    string         `json:"quarantine_id,omitempty"`
	Problem         string         `json:"problem,omitempty"`
	// ChangedWhileRead: size, sha256 and findings are those of the bytes
	// read, and the listing gave another size.
	ChangedWhileRead bool         `json:"changed_while_read,omitempty"`
	Members          []jsonMember `json:"members,omitempty"`
	Reason           string       `json:"reason,omitempty"`
	ReasonCodes      []string     `json:"reason_codes,omitempty"`
}

type jsonMember struct {
	Path    string         `json:"path"`
	Role    string         `json:"role"`
	Size    int64          `json:"size"`
	MTime   string         `json:"mtime"`
	Streams []queue.Stream `json:"streams,omitempty"`
}

func rfc3339(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func (c *collector) shownFindings(s *suspect) []mime.Finding {
	out := []mime.Finding{}
	for _, f := range s.Findings {
		if f.Severity >= c.se.opts.minSeverity {
			out = append(out, f)
		}
	}
	return out
}

func (c *collector) jsonMessage(s *suspect) *jsonMessage {
	it := &s.Item
	m := &jsonMessage{
		Kind: "message", Path: it.Path, Folder: it.Folder, Size: it.Size, MTime: rfc3339(it.ModTime),
		Findings: c.shownFindings(s), Action: s.Action, Destination: s.Destination,
		QuarantineID: s.QuarantineID, Problem: s.Problem, Reason: it.Reason, ChangedWhileRead: s.ChangedWhileRead,
	}
	for _, ec := range it.ReasonCodes {
		m.ReasonCodes = append(m.ReasonCodes, ec.Code)
	}
	if s.Max != 0 {
		m.Severity = s.Max.String()
	}
	if r := s.Report; r != nil {
		m.SHA256 = r.SHA256
		m.Envelope = r.Envelope
		m.Headers = &r.Headers
		m.FindingsOmitted = r.FindingsOmitted
	}
	if len(it.Members) > 1 || it.Folder == mime.FolderBadMail {
		for _, mb := range it.Members {
			m.Members = append(m.Members, jsonMember{Path: mb.Path, Role: mb.Role, Size: mb.Size, MTime: rfc3339(mb.ModTime), Streams: mb.Streams})
		}
	}
	return m
}

// printBlock prints one message in the human format.
func (c *collector) printBlock(s *suspect) {
	w := c.out
	it := &s.Item
	now := c.se.now
	label := "message"
	switch {
	case s.Quarantine:
		label = "SUSPECT"
	case s.Max != 0:
		label = "flagged"
	}
	fmt.Fprintf(w, "%s %s\n", label, sanitizeLine(it.Path))
	fmt.Fprintf(w, "  folder:     %s, %s, modified %s (%s)\n", it.Folder, humanBytes(it.Size), humanAge(now, it.ModTime), rfc3339(it.ModTime))
	if s.ChangedWhileRead {
		fmt.Fprintf(w, "  note:       file changed while it was read (listed %d bytes, read %d)\n", s.ListedSize, it.Size)
	}
	if r := s.Report; r != nil {
		if r.Envelope != nil {
			fmt.Fprintf(w, "  envelope:   %s -> %s\n", sanitizeLine(orNone(r.Envelope.Sender)), sanitizeLine(listSome(r.Envelope.Recipients, 3)))
		}
		h := r.Headers
		fmt.Fprintf(w, "  from:       %s (to %d, cc %d, bcc %d)\n", sanitizeLine(orNone(h.From)), h.To, h.Cc, h.Bcc)
		fmt.Fprintf(w, "  subject:    %s\n", sanitizeLine(orNone(h.Subject)))
		fmt.Fprintf(w, "  message-id: %s\n", sanitizeLine(orNone(h.MessageID)))
		fmt.Fprintf(w, "  sha256:     %s\n", r.SHA256)
	}
	if it.Folder == mime.FolderBadMail || len(it.Members) > 1 {
		var ms []string
		for _, m := range it.Members {
			ms = append(ms, fmt.Sprintf("%s (%s, %s)", filepath.Base(m.Path), m.Role, humanBytes(m.Size)))
		}
		fmt.Fprintf(w, "  members:    %s\n", sanitizeLine(strings.Join(ms, ", ")))
	}
	if it.Reason != "" {
		fmt.Fprintf(w, "  reason:     %s\n", sanitizeLine(oneLine(it.Reason)))
	}
	shown := c.shownFindings(s)
	if len(s.Findings) > 0 {
		fmt.Fprintf(w, "  findings:   %d shown of %d, highest %s\n", len(shown), len(s.Findings), s.Max)
		for _, f := range shown {
			printFinding(w, "    ", f)
		}
		if s.Report != nil && s.Report.FindingsOmitted > 0 {
			fmt.Fprintf(w, "    (%d more findings not kept: see --limit findings=N)\n", s.Report.FindingsOmitted)
		}
	}
	switch s.Action {
	case actionWouldQuarantine:
		fmt.Fprintf(w, "  action:     would quarantine\n")
		for i, m := range it.Members {
			if i < len(s.Destination) {
				fmt.Fprintf(w, "              %s -> %s\n", sanitizeLine(m.Path), sanitizeLine(s.Destination[i]))
			}
		}
		if len(it.Members) == 0 && len(s.Destination) > 0 {
			fmt.Fprintf(w, "              %s -> %s\n", sanitizeLine(it.Path), sanitizeLine(s.Destination[0]))
		}
	case actionQuarantined:
		fmt.Fprintf(w, "  action:     quarantined as %s\n", s.QuarantineID)
	case actionSkipped:
		fmt.Fprintf(w, "  action:     not quarantined: %s\n", sanitizeLine(s.Problem))
	}
	fmt.Fprintln(w)
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

func listSome(l []string, n int) string {
	if len(l) == 0 {
		return "(none)"
	}
	if len(l) <= n {
		return strings.Join(l, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(l[:n], ", "), len(l)-n)
}

// The JSON summary; README.md documents it.
type jsonSummary struct {
	Kind           string        `json:"kind"` // "summary"
	DryRun         bool          `json:"dry_run"`
	MinSeverity    mime.Severity `json:"min_severity"`
	QuarantineAt   mime.Severity `json:"quarantine_at"`
	Messages       int64         `json:"messages"`
	Bytes          int64         `json:"bytes"`
	Flagged        int64         `json:"flagged"`
	Suspects       int64         `json:"suspects"`
	Quarantined    int64         `json:"quarantined"`
	NotQuarantined int64         `json:"not_quarantined"`
	Skipped        int64         `json:"skipped"`
	Unreadable     int64         `json:"unreadable"`
	SkippedReasons []countItem   `json:"skipped_reasons"`
	Folders        []*folderStat `json:"folders"`
	Rules          []*ruleStat   `json:"rules"`
	QueueAge       jsonAges      `json:"queue_age"`
	Oldest         []oldItem     `json:"oldest"`
	BadMailReasons []countItem   `json:"badmail_reasons"`
	BadMailCodes   []codeCount   `json:"badmail_codes"`
	SenderDomains  []countItem   `json:"sender_domains"`
	ExitCode       int           `json:"exit_code"`
}

type jsonAges struct {
	Buckets []string      `json:"buckets"`
	Folders []jsonAgesRow `json:"folders"`
}

type jsonAgesRow struct {
	Folder mime.Folder `json:"folder"`
	Total  int64       `json:"total"`
	Counts []int64     `json:"counts"`
}

func (c *collector) folderList() []*folderStat {
	var fs []*folderStat
	for _, f := range c.sum.folders {
		fs = append(fs, f)
	}
	sort.Slice(fs, func(i, j int) bool { return folderRank(fs[i].Folder) < folderRank(fs[j].Folder) })
	return fs
}

func (c *collector) ruleList() []*ruleStat {
	var rs []*ruleStat
	for _, r := range c.sum.rules {
		rs = append(rs, r)
	}
	sort.Slice(rs, func(i, j int) bool {
		if rs[i].Severity != rs[j].Severity {
			return rs[i].Severity > rs[j].Severity
		}
		return rs[i].Rule < rs[j].Rule
	})
	return rs
}

func topCounts(m map[string]int64, n int) []countItem {
	out := []countItem{}
	for k, v := range m {
		out = append(out, countItem{k, v})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Name < out[j].Name
	})
	if len(out) > n {
		out = out[:n]
	}
	return out
}

func (c *collector) exitCode() int {
	switch {
	case c.sum.readFailures > 0 || c.sum.problems > 0:
		return exitPartial
	case c.sum.suspects > 0:
		return exitSuspects
	}
	return exitOK
}

func (c *collector) jsonSummary() *jsonSummary {
	sum := c.sum
	js := &jsonSummary{
		Kind: "summary", DryRun: c.se.opts.dryRun, MinSeverity: c.se.opts.minSeverity, QuarantineAt: c.se.opts.quarantineAt,
		Messages: sum.messages, Bytes: sum.bytes, Flagged: sum.flagged, Suspects: sum.suspects,
		Quarantined: sum.quarantined, NotQuarantined: sum.problems, Skipped: sum.skippedTotal, Unreadable: sum.readFailures,
		SkippedReasons: topCounts(sum.skippedReasons, 10),
		Folders:        c.folderList(), Rules: c.ruleList(),
		QueueAge:       jsonAges{Buckets: ageBucketNames(), Folders: []jsonAgesRow{}},
		Oldest:         []oldItem{},
		BadMailReasons: topCounts(sum.reasons, topReasons),
		BadMailCodes:   c.codeList(),
		SenderDomains:  topCounts(sum.domains, topDomains),
		ExitCode:       c.exitCode(),
	}
	if js.Folders == nil {
		js.Folders = []*folderStat{}
	}
	if js.Rules == nil {
		js.Rules = []*ruleStat{}
	}
	for _, f := range js.Folders {
		js.QueueAge.Folders = append(js.QueueAge.Folders, jsonAgesRow{Folder: f.Folder, Total: f.Messages, Counts: f.ages})
	}
	for _, o := range sum.oldest {
		o.Time = rfc3339(o.mtime)
		o.AgeSeconds = int64(c.se.now.Sub(o.mtime) / time.Second)
		js.Oldest = append(js.Oldest, o)
	}
	return js
}

// printSummary prints the text summary.
func (c *collector) printSummary() {
	w := c.out
	sum := c.sum
	now := c.se.now
	folders := c.folderList()
	fmt.Fprintf(w, "Summary\n")
	fmt.Fprintf(w, "  %s (%s) in %s; %s with findings at or above %s; %s at or above %s",
		countOf(sum.messages, "message"), humanBytes(sum.bytes), countOf(int64(len(folders)), "folder kind"), humanCount(sum.flagged), c.se.opts.minSeverity,
		countOf(sum.suspects, "suspect"), c.se.opts.quarantineAt)
	if sum.readFailures > 0 {
		fmt.Fprintf(w, "; %s files could not be read", humanCount(sum.readFailures))
	}
	fmt.Fprintln(w)
	if len(folders) > 0 {
		fmt.Fprintf(w, "\n  %-16s %9s %11s %8s %8s\n", "folder", "messages", "bytes", "flagged", "suspects")
		for _, f := range folders {
			fmt.Fprintf(w, "  %-16s %9s %11s %8s %8s\n", f.Folder, humanCount(f.Messages), humanBytes(f.Bytes), humanCount(f.Flagged), humanCount(f.Suspects))
		}
	}
	if rs := c.ruleList(); len(rs) > 0 {
		fmt.Fprintf(w, "\n  findings per rule:\n")
		for _, r := range rs {
			fmt.Fprintf(w, "    %-8s %-6s %-38s %s, %s\n", r.Rule, r.Severity, r.Title, countOf(r.Messages, "message"), countOf(r.Findings, "finding"))
		}
	}
	if len(folders) > 0 {
		fmt.Fprintf(w, "\n  age of messages (qshape buckets, by last modification):\n")
		fmt.Fprintf(w, "    %-16s %7s", "folder", "T")
		for _, b := range ageBucketNames() {
			fmt.Fprintf(w, " %6s", b)
		}
		fmt.Fprintln(w)
		for _, f := range folders {
			fmt.Fprintf(w, "    %-16s %7d", f.Folder, f.Messages)
			for _, n := range f.ages {
				fmt.Fprintf(w, " %6d", n)
			}
			fmt.Fprintln(w)
		}
	}
	if len(sum.oldest) > 0 {
		fmt.Fprintf(w, "\n  oldest queue items (blocker candidates: the service works oldest first):\n")
		for _, o := range sum.oldest {
			fmt.Fprintf(w, "    %-16s %9s  %s\n", humanAge(now, o.mtime), humanBytes(o.Size), sanitizeLine(o.Path))
		}
	}
	if rs := topCounts(sum.reasons, topReasons); len(rs) > 0 {
		fmt.Fprintf(w, "\n  BadMail reasons (.BDR):\n")
		for _, r := range rs {
			fmt.Fprintf(w, "    %6d  %s\n", r.Count, sanitizeLine(r.Name))
		}
	}
	if cs := c.codeList(); len(cs) > 0 {
		fmt.Fprintf(w, "\n  BadMail error codes:\n")
		for _, cc := range cs {
			fmt.Fprintf(w, "    %6d  %s", cc.Count, sanitizeLine(cc.Code))
			if cc.Meaning != "" {
				fmt.Fprintf(w, "  %s (%s)", sanitizeLine(cc.Meaning), sanitizeLine(cc.Reference))
			}
			fmt.Fprintln(w)
		}
	}
	if ds := topCounts(sum.domains, topDomains); len(ds) > 0 {
		fmt.Fprintf(w, "\n  top sender domains:\n")
		for _, d := range ds {
			fmt.Fprintf(w, "    %6d  %s\n", d.Count, sanitizeLine(d.Name))
		}
	}
	if sum.skippedTotal > 0 {
		fmt.Fprintf(w, "\n  not scanned (%s; %s could not be read):\n", humanCount(sum.skippedTotal), humanCount(sum.readFailures))
		for _, s := range sum.skippedList {
			why := s.Detail
			if s.Error != "" {
				why += ": " + s.Error
			}
			fmt.Fprintf(w, "    %-17s %s: %s\n", s.Reason, sanitizeLine(s.Path), sanitizeLine(why))
		}
		if int64(len(sum.skippedList)) < sum.skippedTotal {
			fmt.Fprintf(w, "    ... and %s more\n", humanCount(sum.skippedTotal-int64(len(sum.skippedList))))
		}
	}
	fmt.Fprintln(w)
	switch {
	case c.se.opts.dryRun && sum.suspects > 0:
		fmt.Fprintf(w, "dry run: nothing was changed; %s would be quarantined\n", countOf(sum.suspects, "message"))
	case c.se.opts.dryRun:
		fmt.Fprintf(w, "dry run: nothing was changed; no message at or above %s\n", c.se.opts.quarantineAt)
	default:
		fmt.Fprintf(w, "%s quarantined", countOf(sum.quarantined, "message"))
		if sum.problems > 0 {
			fmt.Fprintf(w, ", %s could not be", humanCount(sum.problems))
		}
		fmt.Fprintln(w)
	}
}
