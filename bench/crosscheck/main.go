// Command crosscheck compares mailroot's JSON Lines output with the
// defect manifest of fixtures/gen and prints a markdown summary: for each
// planted rule, how many files mailroot flagged with that rule, and which
// rules it raised on messages that carry no planted defect.
//
//	crosscheck -manifest defects.tsv -root CORPUS scan.jsonl
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

type line struct {
	Kind     string `json:"kind"`
	Path     string `json:"path"`
	Findings []struct {
		Rule     string `json:"rule"`
		Severity string `json:"severity"`
	} `json:"findings"`
}

func main() {
	manifest := flag.String("manifest", "", "fixtures/gen manifest `TSV`")
	root := flag.String("root", "", "the -out `DIR` the manifest paths are relative to")
	flag.Parse()
	if *manifest == "" || *root == "" || flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: crosscheck -manifest TSV -root DIR scan.jsonl")
		os.Exit(2)
	}
	if err := run(*manifest, *root, flag.Arg(0)); err != nil {
		fmt.Fprintf(os.Stderr, "crosscheck: %v\n", err)
		os.Exit(1)
	}
}

func run(manifest, root, scan string) error {
	b, err := os.ReadFile(manifest)
	if err != nil {
		return err
	}
	planted := map[string]string{} // abs path -> rule
	for i, l := range strings.Split(strings.TrimRight(string(b), "\n"), "\n") {
		if i == 0 || l == "" {
			continue
		}
		f := strings.Split(l, "\t")
		if len(f) < 2 {
			return fmt.Errorf("%s line %d: %q", manifest, i+1, l)
		}
		planted[filepath.Clean(filepath.Join(root, filepath.FromSlash(f[0])))] = f[1]
	}

	f, err := os.Open(scan)
	if err != nil {
		return err
	}
	defer f.Close()
	reported := map[string]map[string]bool{} // abs path -> rules
	cleanRules := map[string]int{}           // "RULE severity" -> messages without a planted defect
	cleanFlagged := map[string]bool{}
	messages := 0
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		var l line
		if json.Unmarshal(sc.Bytes(), &l) != nil || l.Kind != "message" {
			continue
		}
		messages++
		p := filepath.Clean(l.Path)
		rules := map[string]bool{}
		for _, fd := range l.Findings {
			rules[fd.Rule] = true
		}
		reported[p] = rules
		if _, bad := planted[p]; !bad {
			seen := map[string]bool{}
			for _, fd := range l.Findings {
				k := fd.Rule + " " + fd.Severity
				if !seen[k] {
					cleanRules[k]++
					seen[k] = true
				}
				if fd.Severity == "high" || fd.Severity == "crash" {
					cleanFlagged[p] = true
				}
			}
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}

	type tally struct{ planted, found, other, missed int }
	byRule := map[string]*tally{}
	var missed []string
	total, found := 0, 0
	for p, rule := range planted {
		t := byRule[rule]
		if t == nil {
			t = &tally{}
			byRule[rule] = t
		}
		t.planted++
		total++
		switch rs := reported[p]; {
		case rs[rule]:
			t.found++
			found++
		case len(rs) > 0:
			t.other++
			missed = append(missed, fmt.Sprintf("%s (%s; reported %s)", filepath.Base(p), rule, keys(rs)))
		default:
			t.missed++
			missed = append(missed, fmt.Sprintf("%s (%s; nothing reported)", filepath.Base(p), rule))
		}
	}
	fmt.Printf("mailroot reported the planted rule for **%d of %d** planted defects (%d message lines in its output).\n\n", found, total, messages)
	fmt.Println("| planted rule | files | reported with that rule | other rules only | nothing |")
	fmt.Println("|---|---:|---:|---:|---:|")
	for _, r := range sortedKeys(byRule) {
		t := byRule[r]
		fmt.Printf("| %s | %d | %d | %d | %d |\n", r, t.planted, t.found, t.other, t.missed)
	}
	fmt.Println()
	if len(missed) > 0 {
		sort.Strings(missed)
		if len(missed) > 20 {
			missed = append(missed[:20], fmt.Sprintf("... and %d more", len(missed)-20))
		}
		fmt.Printf("Not reported with the planted rule: %s.\n\n", strings.Join(missed, ", "))
	}
	fmt.Printf("On messages with no planted defect, %d were flagged high or crash. Rules raised on them (messages):", len(cleanFlagged))
	if len(cleanRules) == 0 {
		fmt.Print(" none")
	}
	fmt.Println()
	fmt.Println()
	for _, k := range sortedKeys(cleanRules) {
		fmt.Printf("- %s: %d\n", k, cleanRules[k])
	}
	return nil
}

func keys(m map[string]bool) string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return strings.Join(ks, ",")
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
