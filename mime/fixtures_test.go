package mime

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// fixtureRoot holds one folder per rule ID; see its README.md for the
// convention this harness implements.
const fixtureRoot = "../fixtures/rules"

// fixtureWant is what a .want sidecar says about its .eml.
type fixtureWant struct {
	folder    Folder
	offset    int64 // -1 when not pinned
	part      string
	hasOffset bool
}

// readWant parses a sidecar: lines "key value"; keys folder, offset, at
// (text whose first occurrence in data is the expected offset; a value in
// double quotes is Go-unquoted, so "\r\n.\r\n" works) and part. Blank lines
// and lines starting with # are ignored.
func readWant(path string, data []byte) (fixtureWant, error) {
	w := fixtureWant{folder: FolderGeneric, offset: -1}
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return w, nil
	}
	if err != nil {
		return w, err
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, val, _ := strings.Cut(line, " ")
		switch key {
		case "folder":
			f, err := ParseFolder(strings.TrimSpace(val))
			if err != nil {
				return w, fmt.Errorf("%s:%d: %v", path, n, err)
			}
			w.folder = f
		case "offset":
			o, err := strconv.ParseInt(strings.TrimSpace(val), 10, 64)
			if err != nil {
				return w, fmt.Errorf("%s:%d: %v", path, n, err)
			}
			w.offset, w.hasOffset = o, true
		case "at":
			text := val
			if strings.HasPrefix(text, `"`) {
				u, err := strconv.Unquote(strings.TrimSpace(text))
				if err != nil {
					return w, fmt.Errorf("%s:%d: bad quoted text: %v", path, n, err)
				}
				text = u
			}
			i := bytes.Index(data, []byte(text))
			if i < 0 {
				return w, fmt.Errorf("%s:%d: text %q not found in the fixture", path, n, text)
			}
			w.offset, w.hasOffset = int64(i), true
		case "part":
			w.part = strings.TrimSpace(val)
		default:
			return w, fmt.Errorf("%s:%d: unknown key %q (want folder, offset, at or part)", path, n, key)
		}
	}
	return w, sc.Err()
}

// fixtureCase is one .eml under fixtures/rules/<RULE-ID>/.
type fixtureCase struct {
	rule, path string
	positive   bool
}

func listFixtures(t *testing.T) []fixtureCase {
	t.Helper()
	dirs, err := os.ReadDir(fixtureRoot)
	if err != nil {
		t.Fatalf("read fixtures: %v", err)
	}
	var cases []fixtureCase
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		if _, ok := ruleIndex[d.Name()]; !ok {
			t.Errorf("fixtures/rules/%s: not a rule ID in the catalogue", d.Name())
			continue
		}
		files, err := os.ReadDir(filepath.Join(fixtureRoot, d.Name()))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			name := f.Name()
			if f.IsDir() || !strings.HasSuffix(name, ".eml") {
				continue
			}
			c := fixtureCase{rule: d.Name(), path: filepath.Join(fixtureRoot, d.Name(), name)}
			switch {
			case strings.HasPrefix(name, "pos-"):
				c.positive = true
			case strings.HasPrefix(name, "neg-"):
			default:
				t.Errorf("%s: fixture name must start with pos- or neg-", c.path)
				continue
			}
			cases = append(cases, c)
		}
	}
	return cases
}

// TestRuleFixtures scans every fixture: a positive must yield its rule with
// the first finding at the pinned offset (and part, if given); a negative
// must not yield the rule.
func TestRuleFixtures(t *testing.T) {
	for _, c := range listFixtures(t) {
		t.Run(c.rule+"/"+filepath.Base(c.path), func(t *testing.T) {
			data, err := os.ReadFile(c.path)
			if err != nil {
				t.Fatal(err)
			}
			want, err := readWant(strings.TrimSuffix(c.path, ".eml")+".want", data)
			if err != nil {
				t.Fatal(err)
			}
			rep, err := Scan(bytes.NewReader(data), Options{Folder: want.folder})
			if err != nil {
				t.Fatal(err)
			}
			var got []Finding
			for _, f := range rep.Findings {
				if f.Rule == c.rule {
					got = append(got, f)
				}
			}
			if !c.positive {
				if len(got) > 0 {
					t.Errorf("negative fixture yields %s:\n%s", c.rule, findingList(got))
				}
				return
			}
			if !want.hasOffset {
				t.Fatalf("positive fixture without an offset: add %s.want with `at <text>` or `offset <n>`", strings.TrimSuffix(filepath.Base(c.path), ".eml"))
			}
			if len(got) == 0 {
				t.Fatalf("positive fixture does not yield %s; findings:\n%s", c.rule, findingList(rep.Findings))
			}
			first := got[0]
			if first.Offset != want.offset {
				t.Errorf("%s first finding at offset %d, want %d:\n%s", c.rule, first.Offset, want.offset, findingList(got))
			}
			if want.part != "" && first.Part != want.part {
				t.Errorf("%s first finding in part %s, want %s", c.rule, first.Part, want.part)
			}
			checkLine(t, data, first)
		})
	}
}

// checkLine verifies a finding's line number against its offset: the line
// is 1 + the number of line endings (CRLF, LF, bare CR) before the offset.
func checkLine(t *testing.T, data []byte, f Finding) {
	t.Helper()
	if f.Offset > int64(len(data)) {
		t.Errorf("%s offset %d past the end (%d)", f.Rule, f.Offset, len(data))
		return
	}
	if want := lineAt(data, f.Offset); f.Line != want {
		t.Errorf("%s at offset %d reports line %d, want %d", f.Rule, f.Offset, f.Line, want)
	}
}

// lineAt is the reference line numbering, kept simple on purpose.
func lineAt(data []byte, off int64) int {
	line := 1
	for i := int64(0); i < off && i < int64(len(data)); i++ {
		switch data[i] {
		case '\n':
			line++
		case '\r':
			if i+1 >= int64(len(data)) || data[i+1] != '\n' {
				line++
			}
		}
	}
	return line
}

func findingList(fs []Finding) string {
	var sb strings.Builder
	for _, f := range fs {
		sb.WriteString("  " + f.String() + "\n")
	}
	return sb.String()
}

// TestFixtureCoverage requires a positive and a negative fixture for every
// rule Scan checks (FileSystem rules are tested in package queue).
func TestFixtureCoverage(t *testing.T) {
	pos, neg := map[string]int{}, map[string]int{}
	for _, c := range listFixtures(t) {
		if c.positive {
			pos[c.rule]++
		} else {
			neg[c.rule]++
		}
	}
	var missing []string
	for _, r := range Rules() {
		if r.FileSystem {
			continue
		}
		var m []string
		if pos[r.ID] == 0 {
			m = append(m, "pos")
		}
		if neg[r.ID] == 0 {
			m = append(m, "neg")
		}
		if len(m) > 0 {
			missing = append(missing, r.ID+" ("+strings.Join(m, ", ")+")")
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("rules without fixtures in fixtures/rules: %s", strings.Join(missing, "; "))
	}
}
