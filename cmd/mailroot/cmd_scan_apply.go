package main

import (
	"context"
	"errors"
	"path/filepath"

	"github.com/mailroot/mailroot/mime"
	"github.com/mailroot/mailroot/queue"
)

// This file is the seam between scan and the quarantine store (issue 4).
// The quarantine engineer owns it from here on: scan calls
// openQuarantineStep once before walking (so a refusal costs nothing), then
// apply for every suspect, in output order, just before printing it, then
// close once.
//
// What apply gets in *suspect (cmd_scan.go): the queue.Item (path, folder
// role, members with sizes and times, .BDR reason, NTFS streams), the
// mime.Report without Parts/Fields (SHA-256, size, envelope, headers,
// findings), the selected Findings, Max severity, the scanRoot with its
// queue.Layout (s.root.layout), and through se: se.opts.quarantineDir
// (--quarantine, "" for the default), se.opts.quarantineAt, se.opts.dryRun,
// se.now, se.env (stdout/stderr/json).
//
// What apply sets: s.Action (actionWouldQuarantine in a dry run,
// actionQuarantined after a move, actionSkipped when it could not act),
// s.Destination (one path per member, planned or actual), s.QuarantineID,
// and s.Problem when the suspect could not be quarantined (locked,
// vanished, changed): scan then exits 3. apply returns an error only for a
// fatal problem (the store is unusable); scan stops and exits 2.

// quarantineStep quarantines (or plans to quarantine) suspects.
type quarantineStep interface {
	apply(ctx context.Context, s *suspect) error
	close() error
}

// errNoStore is the refusal of a real run until the store exists.
var errNoStore = errors.New("scan without --dry-run needs the quarantine store, which is not built yet")

// openQuarantineStep returns the step for this run: a plan for --dry-run;
// for a real run, a refusal until the quarantine store is built: scan never
// pretends to have moved anything.
func openQuarantineStep(ctx context.Context, se *scanEnv) (quarantineStep, error) {
	if se.opts.dryRun {
		return &planStep{se: se}, nil
	}
	return nil, withHint(&exitError{code: exitUsage, err: errNoStore},
		"use --dry-run (or \"mailroot audit\") to see what would be quarantined and where")
}

// planStep is the dry run: it computes destinations and touches nothing.
type planStep struct{ se *scanEnv }

func (p *planStep) apply(ctx context.Context, s *suspect) error {
	s.Action = actionWouldQuarantine
	dir := filepath.Join(storeDir(p.se, s), "<new ID>")
	if len(s.Item.Members) == 0 {
		s.Destination = []string{filepath.Join(dir, filepath.Base(s.Item.Path))}
		return nil
	}
	for _, m := range s.Item.Members {
		s.Destination = append(s.Destination, filepath.Join(dir, filepath.Base(m.Path)))
	}
	return nil
}

func (p *planStep) close() error { return nil }

// storeDir is the quarantine store for a suspect: --quarantine DIR, or a
// Quarantine folder beside the mail folder the item is in (inside "vsi 1",
// on the same volume, where scanning skips it); for a generic folder, inside
// that folder; for a single file, beside it.
func storeDir(se *scanEnv, s *suspect) string {
	if se.opts.quarantineDir != "" {
		return se.opts.quarantineDir
	}
	return defaultStoreDir(s.root.layout, &s.Item)
}

func defaultStoreDir(l *queue.Layout, it *queue.Item) string {
	dir := filepath.Dir(it.Path)
	if it.Folder == mime.FolderGeneric {
		if l != nil && l.Kind == queue.KindGeneric && l.Root != it.Path {
			return filepath.Join(l.Root, "Quarantine")
		}
		return filepath.Join(dir, "Quarantine")
	}
	return filepath.Join(filepath.Dir(dir), "Quarantine")
}
