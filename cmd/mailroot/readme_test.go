package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadme runs every command in the README's ```sh blocks, so that
// every example works as shown: "go run ./cmd/mailroot ARGS" lines run the
// tool in-process from the repository root and must exit 0 or 1 (suspects
// found) with no diagnostic; "go test ./..." must be exactly what .ci/run
// runs. Any other line in a sh block fails the test: examples that cannot
// run here (Windows paths) belong in ```text blocks.
func TestReadme(t *testing.T) {
	repo, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join(repo, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	ci, err := os.ReadFile(filepath.Join(repo, ".ci", "run"))
	if err != nil {
		t.Fatal(err)
	}
	cmds := shellBlocks(string(readme))
	if len(cmds) < 2 {
		t.Fatalf("README has %d sh commands; the two set-up commands are missing", len(cmds))
	}
	// The two set-up commands come first.
	if !strings.HasPrefix(cmds[0], "go run ./cmd/mailroot ") || cmds[1] != "go test ./..." {
		t.Errorf("the first sh block must hold the two set-up commands, got %q", cmds[:2])
	}
	wd, _ := os.Getwd()
	if err := os.Chdir(repo); err != nil {
		t.Fatal(err)
	}
	defer os.Chdir(wd)
	for i, c := range cmds {
		switch {
		case c == "go test ./...":
			if !containsLine(string(ci), c) {
				t.Errorf(".ci/run does not run the README test command %q", c)
			}
		case strings.HasPrefix(c, "go run ./cmd/mailroot "):
			args, err := shellWords(strings.TrimPrefix(c, "go run ./cmd/mailroot "))
			if err != nil {
				t.Errorf("%s: %v", c, err)
				continue
			}
			out, errOut, code := runTool(t, args...)
			if code != exitOK && code != exitSuspects {
				t.Errorf("%s: exit status %d\n%s", c, code, errOut)
			}
			if errOut != "" {
				t.Errorf("%s: unexpected diagnostics:\n%s", c, errOut)
			}
			if out == "" {
				t.Errorf("%s: no output", c)
			}
			// The README tells a newcomer what the first command shows.
			if i == 0 && strings.Contains(string(readme), "The audit lists six suspects") &&
				(code != exitSuspects || !strings.Contains(out, "; 6 messages would be quarantined")) {
				t.Errorf("%s: the README says it lists six suspects and exits 1; status %d, output ends:\n%s", c, code, lastLines(out, 3))
			}
		default:
			t.Errorf("README sh block holds a command this test cannot run: %q", c)
		}
	}
}

// shellBlocks returns the non-empty, non-comment lines of ```sh blocks.
func shellBlocks(md string) []string {
	var out []string
	in := false
	for _, line := range strings.Split(md, "\n") {
		trim := strings.TrimSpace(line)
		switch {
		case !in && trim == "```sh":
			in = true
		case in && trim == "```":
			in = false
		case in && trim != "" && !strings.HasPrefix(trim, "#"):
			out = append(out, trim)
		}
	}
	return out
}

func lastLines(s string, n int) string {
	l := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(l) > n {
		l = l[len(l)-n:]
	}
	return strings.Join(l, "\n")
}

func containsLine(text, line string) bool {
	for _, l := range strings.Split(text, "\n") {
		if strings.TrimSpace(l) == line {
			return true
		}
	}
	return false
}

// shellWords splits a POSIX shell command line with plain words and single
// or double quotes (no variables, no escapes inside single quotes).
func shellWords(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	have := false
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0 && c == quote:
			quote = 0
		case quote == '"' && c == '\\' && i+1 < len(s):
			i++
			cur.WriteByte(s[i])
		case quote != 0:
			cur.WriteByte(c)
		case c == '\'' || c == '"':
			quote, have = c, true
		case c == ' ' || c == '\t':
			if have {
				words = append(words, cur.String())
				cur.Reset()
				have = false
			}
		case strings.IndexByte("|&;<>()$`", c) >= 0:
			return nil, &shellError{c}
		default:
			cur.WriteByte(c)
			have = true
		}
	}
	if quote != 0 {
		return nil, &shellError{quote}
	}
	if have {
		words = append(words, cur.String())
	}
	return words, nil
}

type shellError struct{ c byte }

func (e *shellError) Error() string {
	return "shell syntax " + string(e.c) + " is not supported in README examples"
}
