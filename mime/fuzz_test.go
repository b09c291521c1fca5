package mime

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
)

// checkScan scans data and checks what must hold for any input: no error,
// every finding inside the file with a line >= 1, parts consistent, size,
// line count and hash right, findings sorted, and the same report again
// when the bytes arrive one at a time.
func checkScan(t *testing.T, name string, data []byte, opts Options) *Report {
	t.Helper()
	rep, err := Scan(bytes.NewReader(data), opts)
	if err != nil {
		t.Fatalf("%s: scan: %v", name, err)
	}
	size := int64(len(data))
	if rep.Size != size {
		t.Errorf("%s: size %d, want %d", name, rep.Size, size)
	}
	sum := sha256.Sum256(data)
	if rep.SHA256 != hex.EncodeToString(sum[:]) {
		t.Errorf("%s: wrong SHA-256", name)
	}
	if want := lineAt(data, size); rep.Lines != want-boolInt(endsWithEOL(data)) && !(size == 0 && rep.Lines == 0) {
		t.Errorf("%s: %d lines, want %d", name, rep.Lines, want-boolInt(endsWithEOL(data)))
	}
	if rep.Findings == nil || rep.Parts == nil {
		t.Errorf("%s: nil findings or parts", name)
	}
	for i, f := range rep.Findings {
		if f.Offset < 0 || f.Offset > size || f.Line < 1 {
			t.Errorf("%s: finding outside the file: %s", name, f)
		}
		if _, ok := RuleByID(f.Rule); !ok || f.Severity < Low || f.Severity > Crash {
			t.Errorf("%s: bad rule or severity: %s", name, f)
		}
		if i > 0 && rep.Findings[i-1].Offset > f.Offset {
			t.Errorf("%s: findings not sorted at %d", name, i)
		}
	}
	for _, p := range rep.Parts {
		if !(0 <= p.HeaderOffset && p.HeaderOffset <= p.BodyOffset && p.BodyOffset <= p.EndOffset && p.EndOffset <= size) {
			t.Errorf("%s: part %s offsets inconsistent: %+v (size %d)", name, p.Path, p, size)
		}
		if p.Size != p.EndOffset-p.BodyOffset {
			t.Errorf("%s: part %s size %d, want %d", name, p.Path, p.Size, p.EndOffset-p.BodyOffset)
		}
	}
	if len(rep.Parts) == 0 || rep.Parts[0].Path != "1" {
		t.Errorf("%s: first part is not the message", name)
	}
	// Reading a byte at a time exercises every window boundary; on large
	// inputs half reads keep the fuzzer fast.
	var r io.Reader = iotest.OneByteReader(bytes.NewReader(data))
	if len(data) > 8<<10 {
		r = iotest.HalfReader(bytes.NewReader(data))
	}
	again, err := Scan(r, opts)
	if err != nil {
		t.Fatalf("%s: second scan: %v", name, err)
	}
	if !reflect.DeepEqual(rep, again) {
		t.Errorf("%s: report differs when read one byte at a time", name)
	}
	// The bulk path (scan_bulk.go) must change nothing but the speed.
	opts.lineByLine = true
	slow, err := Scan(bytes.NewReader(data), opts)
	if err != nil {
		t.Fatalf("%s: line-by-line scan: %v", name, err)
	}
	if !reflect.DeepEqual(rep, slow) {
		t.Errorf("%s: report differs with the bulk path off:\nbulk: %s\nline by line: %s", name, findingsText(rep), findingsText(slow))
	}
	return rep
}

func findingsText(r *Report) string {
	var b strings.Builder
	for _, f := range r.Findings {
		fmt.Fprintf(&b, "\n  %s", f)
	}
	fmt.Fprintf(&b, "\n  lines %d size %d omitted %d", r.Lines, r.Size, r.FindingsOmitted)
	return b.String()
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func endsWithEOL(data []byte) bool {
	return len(data) > 0 && (data[len(data)-1] == '\n' || data[len(data)-1] == '\r')
}

// FuzzScan: no panic, offsets inside the input, consistent parts,
// deterministic output, for any bytes, in every folder kind.
func FuzzScan(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join(fixtureRoot, "*", "*.eml"))
	// The corpus nests its messages one to three folders deep.
	_ = filepath.WalkDir(filepath.Join(corpusRoot, "messages"), func(fn string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.EqualFold(filepath.Ext(fn), ".eml") {
			return nil
		}
		if fi, err := d.Info(); err == nil && fi.Size() < 16<<10 {
			seeds = append(seeds, fn)
		}
		return nil
	})
	if len(seeds) < 100 {
		f.Fatalf("only %d seed files under %s and %s", len(seeds), fixtureRoot, corpusRoot)
	}
	for _, fn := range seeds {
		if data, err := os.ReadFile(fn); err == nil {
			f.Add(data, uint8(0))
		}
	}
	f.Add([]byte("x-sender: a@b\r\nx-receiver: c@d\r\n\r\n.\r\n"), uint8(2))
	f.Add([]byte("\r\r\n\n\r"), uint8(6))
	f.Fuzz(func(t *testing.T, data []byte, folder uint8) {
		opts := Options{Folder: Folders[int(folder)%len(Folders)], KeepFields: folder&8 != 0}
		if folder&16 != 0 {
			// Small limits reach the caps with small inputs.
			opts.Limits = DefaultLimits()
			opts.Limits.NestingHardStop = 3
			opts.Limits.Nesting = 2
			opts.Limits.Parts = 3
			opts.Limits.ListParts = 2
			opts.Limits.HeaderFields = 2
			opts.Limits.HeaderBytesKept = 16
			opts.Limits.FindingsPerRule = 2
			opts.Limits.Findings = 5
			opts.Limits.LineLength = 20
		}
		checkScan(t, "fuzz", data, opts)
	})
}
