package mime

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzSimpleAddress: whatever simpleAddress accepts, net/mail (the
// summary's general path) must read as the same single address.
func FuzzSimpleAddress(f *testing.F) {
	for _, s := range []string{
		"a@b", "John Smith <john@example.com>", "John\tSmith  <j.s@x.y>", "<a@b>",
		"bounce+x=y@example.org", "A. Smith <a@b>", "=?utf-8?q?x?= <a@b>", "a..b@c",
		"a@b, c@d", "\"Q\" <a@b>", "(c) a@b", "Name <a@b> x", "Ünï <a@b>", "a@[1.2.3.4]",
	} {
		f.Add([]byte(s))
	}
	// The From and Sender values of the corpus and the fixtures.
	fixtures, _ := filepath.Glob(filepath.Join(fixtureRoot, "*", "*.eml"))
	for _, fn := range append(corpusFiles(f), fixtures...) {
		data, err := os.ReadFile(fn)
		if err != nil {
			f.Fatal(err)
		}
		for _, line := range bytes.Split(data, []byte("\n")) {
			line = bytes.TrimRight(line, "\r")
			if len(line) == 0 {
				break // end of the header
			}
			if k := bytes.IndexByte(line, ':'); k > 0 && (bytes.EqualFold(line[:k], []byte("from")) || bytes.EqualFold(line[:k], []byte("sender"))) {
				f.Add(bytes.TrimSpace(line[k+1:]))
			}
		}
	}
	f.Fuzz(func(t *testing.T, v []byte) {
		name, addr, ok := simpleAddress(v)
		if !ok {
			return
		}
		list, err := addressParser.ParseList(string(v))
		if err != nil || len(list) != 1 {
			t.Fatalf("%q: simpleAddress read %q <%s>, net/mail: %v, %d addresses", v, name, addr, err, len(list))
		}
		if list[0].Name != name || list[0].Address != addr {
			t.Fatalf("%q: simpleAddress read %q <%s>, net/mail %q <%s>", v, name, addr, list[0].Name, list[0].Address)
		}
	})
}

// TestSimpleAddress pins which forms take the fast path: the common ones
// do, anything net/mail must interpret does not.
func TestSimpleAddress(t *testing.T) {
	for v, want := range map[string]string{
		"a@b":                             "|a@b",
		"John  Smith\t<john@example.com>": "John Smith|john@example.com",
		"<a@b>":                           "|a@b",
		"bounce+x=y@example.org":          "|bounce+x=y@example.org",
		"=?utf-8?q?x?= <a@b>":             "",
		"\"Smith, J\" <a@b>":              "",
		"a..b@c":                          "",
		"a@b, c@d":                        "",
		"Ünï <a@b>":                       "",
		"(c) a@b":                         "",
		"A <a@b> x":                       "",
		" <a@b>":                          "|a@b",
	} {
		name, addr, ok := simpleAddress([]byte(v))
		got := ""
		if ok {
			got = name + "|" + addr
		}
		if got != want {
			t.Errorf("simpleAddress(%q) = %q, want %q", v, got, want)
		}
		if ok && !strings.Contains(v, addr) {
			t.Errorf("%q: address %q not in the input", v, addr)
		}
	}
}
