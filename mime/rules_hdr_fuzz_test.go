package mime

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// FuzzHeaderFields feeds arbitrary header bytes to the header-field rules
// (this family's field checks, then its header checks on the root part).
// Invariants: no panic; every field finding points inside the field that
// produced it and its line is within the field's lines; header-check
// findings point inside the input; a second run gives the same findings.
func FuzzHeaderFields(f *testing.F) {
	for _, seed := range []string{
		"From: a@b\r\nTo: :;;;;;\r\nSubject: %s%s%s%n\r\n\r\n",
		"Content-Type: text/plain;\r\n\tcharset = \"\"\r\n\r\n",
		"Content-Disposition: attachment; filename=(JPEG-IM.BMP\r\n\r\n",
		"From: =?shift_jis?B?gg==?= <a@b>\r\nSubject: =?utf-7?Q?+AGE-?= =?x?Q?=ZZ?=\r\n\r\n",
		"To: user (A,B);, \"x <y\r\nDate: Mon,2 Jan 2006 15:04 -07:00 (x\r\n\r\n",
		"Subject: a\x00b\x01c\xe9 =?utf-8?Q?\xe9?=\r\nMessage-ID: <%08x\x7f@x>\r\n\r\n",
		"Content-Type: a/b; x=\"1\"; x=2;; y; z=\"\r\n\r\n",
	} {
		f.Add([]byte(seed))
	}
	if names, _ := filepath.Glob(filepath.Join("..", "fixtures", "rules", "*", "*.eml")); len(names) > 0 {
		for _, n := range names {
			if b, err := os.ReadFile(n); err == nil && len(b) < 8<<10 {
				f.Add(b)
			}
		}
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		run := func() []Finding {
			opts := Options{Limits: DefaultLimits()}
			opts.Limits.Findings = 1 << 20
			opts.Limits.FindingsPerRule = 1 << 20
			p := hdrTestPart(opts)
			p.fields = hdrSplit(raw)
			for i := range p.fields {
				fd := &p.fields[i]
				n := len(p.rep.findings)
				checkHeaderField(p, fd)
				_, lastLine := fd.at(len(fd.value)) // LF, CRLF and bare CR end lines
				for _, x := range p.rep.findings[n:] {
					if x.Offset < fd.offset || x.Offset > fd.offset+fd.length {
						t.Fatalf("%s outside its field [%d, %d)", x, fd.offset, fd.offset+fd.length)
					}
					if x.Line < fd.line || x.Line > lastLine {
						t.Fatalf("%s: line outside the field's lines %d-%d", x, fd.line, lastLine)
					}
				}
			}
			n := len(p.rep.findings)
			checkRecipientCount(p)
			checkSenderPresent(p)
			checkHeaderDBCS(p)
			for _, x := range p.rep.findings[n:] {
				if x.Offset < 0 || x.Offset > int64(len(raw)) || x.Line < 1 {
					t.Fatalf("%s outside the input (%d bytes)", x, len(raw))
				}
			}
			return p.rep.sorted()
		}
		a, b := run(), run()
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("non-deterministic findings:\n%v\n%v", a, b)
		}
	})
}
