package main

import (
	"context"
	"flag"
	"fmt"
	"strings"

	"github.com/mailroot/mailroot/mime"
)

func init() {
	register(&command{
		Name:  "rules",
		Args:  "[--json] [RULE...]",
		Short: "list the crash-pattern rules with severities, thresholds and references",
		Long: `
Rules prints the rule catalogue: every check mailroot makes, its severity
(crash, high, medium, low), what it looks for, the thresholds it uses with
their defaults (change them with scan --limit NAME=VALUE), the folders it
applies to, the public reports it comes from, and what other parsers call
the same defect. Name rules to print only those.

With --json, one {"kind":"rule",...} object per line.

EXIT STATUS
  0  the rules were printed
  2  an unknown rule was named, or the output could not be written`,
		Setup: func(fs *flag.FlagSet, e *env) runFunc {
			e.addJSONFlag(fs)
			return func(ctx context.Context, args []string) error {
				return runRules(e, args)
			}
		},
	})
}

// jsonRule is the --json form of a rule.
type jsonRule struct {
	Kind       string        `json:"kind"` // "rule"
	ID         string        `json:"id"`
	Severity   mime.Severity `json:"severity"`
	Title      string        `json:"title"`
	Check      string        `json:"check"`
	Limits     []jsonLimit   `json:"limits"`  // [] when the rule has no threshold
	Folders    []mime.Folder `json:"folders"` // [] when it applies in every folder
	FileSystem bool          `json:"file_system"`
	References []string      `json:"references"`
	Peers      []string      `json:"peers"`
}

type jsonLimit struct {
	Name    string `json:"name"`
	Default int    `json:"default"`
}

func runRules(e *env, args []string) error {
	rules := mime.Rules()
	if len(args) > 0 {
		var sel []mime.Rule
		for _, a := range args {
			r, ok := mime.RuleByID(a)
			if !ok {
				return withHint(usageErrorf("unknown rule %q", a), "run \"mailroot rules\" for the list")
			}
			sel = append(sel, r)
		}
		rules = sel
	}
	def := mime.DefaultLimits()
	// A write failure (stdout on a full disk) is "write output: ...",
	// status 2: the catalogue was not delivered.
	w := &errWriter{w: e.stdout}
	if e.json {
		out := newJSONLines(w)
		for _, r := range rules {
			// Every field is always present, lists as [] when empty.
			jr := jsonRule{Kind: "rule", ID: r.ID, Severity: r.Severity, Title: r.Title, Check: r.Check,
				Limits: []jsonLimit{}, Folders: append([]mime.Folder{}, r.Folders...), FileSystem: r.FileSystem,
				References: append([]string{}, r.References...), Peers: append([]string{}, r.Peers...)}
			for _, name := range r.Limits {
				v, _ := def.Get(name)
				jr.Limits = append(jr.Limits, jsonLimit{Name: name, Default: v})
			}
			if out.write(jr) != nil {
				return w.err
			}
		}
		return nil
	}
	for i, r := range rules {
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "%-8s %-6s %s\n", r.ID, r.Severity, r.Title)
		fmt.Fprintf(w, "  check:      %s\n", r.Check)
		if len(r.Limits) > 0 {
			var ls []string
			for _, name := range r.Limits {
				v, _ := def.Get(name)
				ls = append(ls, fmt.Sprintf("%s=%d", name, v))
			}
			fmt.Fprintf(w, "  limits:     %s\n", strings.Join(ls, ", "))
		}
		if len(r.Folders) > 0 {
			var fs []string
			for _, f := range r.Folders {
				fs = append(fs, string(f))
			}
			fmt.Fprintf(w, "  folders:    %s\n", strings.Join(fs, ", "))
		}
		if r.FileSystem {
			fmt.Fprintf(w, "  checked on: the file system (names, attributes, streams, siblings)\n")
		}
		fmt.Fprintf(w, "  references: %s\n", strings.Join(r.References, "; "))
		if len(r.Peers) > 0 {
			fmt.Fprintf(w, "  peers:      %s\n", strings.Join(r.Peers, "; "))
		}
		if w.err != nil {
			return w.err
		}
	}
	return nil
}
