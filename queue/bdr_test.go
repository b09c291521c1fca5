package queue

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf16"
	"unicode/utf8"
)

func utf16BE(s string) []byte {
	out := []byte{0xFE, 0xFF}
	for _, u := range utf16.Encode([]rune(s)) {
		out = append(out, byte(u>>8), byte(u))
	}
	return out
}

func utf16LENoBOM(s string) []byte { return utf16LEWithBOM(s)[2:] }

func TestParseBDR(t *testing.T) {
	const pickup = "Error is processing file in pickup directory.\r\n\r\nThe specific error code was 0xC00402CE.\r\n"
	tests := []struct {
		name     string
		in       []byte
		text     string   // exact, or prefix when it ends in "..."
		codes    []string // as written
		meanings []string // reference per code, "" for unknown
	}{
		{
			name:  "ANSI with 0xC00402C7",
			in:    []byte("Unable to deliver this message because the following error was encountered: \"This message is a delivery status notification that cannot be delivered.\".\r\n\r\nThe specific error code was 0xC00402C7.\r\n"),
			text:  "Unable to deliver this message because the following error was encountered: \"This message is a delivery status notification that cannot be delivered.\".\r\n\r\nThe specific error code was 0xC00402C7.",
			codes: []string{"0xC00402C7"}, meanings: []string{"IIS SMTP BadMail reason text; KB 267859"},
		},
		{
			name:  "UTF-16LE with BOM",
			in:    utf16LEWithBOM(pickup),
			text:  strings.TrimSpace(pickup),
			codes: []string{"0xC00402CE"}, meanings: []string{"KB 319285"},
		},
		{
			name:  "UTF-16LE without BOM",
			in:    utf16LENoBOM(pickup),
			text:  strings.TrimSpace(pickup),
			codes: []string{"0xC00402CE"}, meanings: []string{"KB 319285"},
		},
		{
			name:  "UTF-16BE with BOM",
			in:    utf16BE(pickup),
			text:  strings.TrimSpace(pickup),
			codes: []string{"0xC00402CE"}, meanings: []string{"KB 319285"},
		},
		{
			name:  "UTF-8 with BOM",
			in:    append([]byte{0xEF, 0xBB, 0xBF}, "Fehler 0xc00402ce: Empfänger"...),
			text:  "Fehler 0xc00402ce: Empfänger",
			codes: []string{"0xc00402ce"}, meanings: []string{"KB 319285"},
		},
		{
			name:  "Windows-1252 bytes",
			in:    []byte("Empf\xe4nger \x93unbekannt\x94 code 0x80004005"),
			text:  "Empfänger “unbekannt” code 0x80004005",
			codes: []string{"0x80004005"}, meanings: []string{""},
		},
		{
			name:  "codes deduplicated, order kept, word boundaries respected",
			in:    []byte("0xC00402C7 then 0xC00402CE and again 0xc00402c7; not a0xC00402CE nor 0xC00402CEFF nor 0x1234"),
			text:  "0xC00402C7 then 0xC00402CE and again 0xc00402c7; not a0xC00402CE nor 0xC00402CEFF nor 0x1234",
			codes: []string{"0xC00402C7", "0xC00402CE"}, meanings: []string{"IIS SMTP BadMail reason text; KB 267859", "KB 319285"},
		},
		{name: "empty", in: nil, text: ""},
		{name: "only NULs and space", in: []byte("\x00\x00 \r\n\x00"), text: ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := ParseBDR(tc.in)
			if r.Text != tc.text {
				t.Errorf("text = %q, want %q", r.Text, tc.text)
			}
			if len(r.Codes) != len(tc.codes) {
				t.Fatalf("codes = %+v, want %v", r.Codes, tc.codes)
			}
			for i, c := range r.Codes {
				if c.Code != tc.codes[i] || c.Reference != tc.meanings[i] {
					t.Errorf("code %d = %+v, want %s (%q)", i, c, tc.codes[i], tc.meanings[i])
				}
				if (c.Meaning == "") != (c.Reference == "") {
					t.Errorf("code %s: meaning and reference must be set together", c.Code)
				}
			}
		})
	}
	if c, ok := KnownErrorCode(0xC00402CE); !ok || c.Value != 0xC00402CE || c.Reference != "KB 319285" {
		t.Errorf("KnownErrorCode(0xC00402CE) = %+v %v", c, ok)
	}
}

func TestWalk_bdrReadBounded(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "BadMail")
	big := strings.Repeat("x", MaxBDRBytes) + " 0xC00402CE"
	writeFiles(t, dir, map[string]string{"A.BAD": "m", "A.BDR": big, "A.BDP": "p"})
	l, err := Detect(dir)
	if err != nil {
		t.Fatal(err)
	}
	items, _ := walkAll(t, l, WalkOptions{})
	if len(items) != 1 || len(items[0].Reason) != MaxBDRBytes || len(items[0].ReasonCodes) != 0 {
		t.Errorf("reason of a huge .BDR: %d bytes, codes %v; want exactly MaxBDRBytes read and the code past it unseen", len(items[0].Reason), items[0].ReasonCodes)
	}
}

func FuzzParseBDR(f *testing.F) {
	f.Add([]byte("The specific error code was 0xC00402CE."))
	f.Add(utf16LEWithBOM("error 0xC00402C7"))
	f.Add(utf16BE("0xC00402C7"))
	f.Add([]byte{0xFF, 0xFE, 0x00})
	f.Add([]byte("\xe4\x93 0x0000000"))
	if b, err := os.ReadFile(filepath.Join(fixtureRoot, "vsi 1", "BadMail", "NTFS_7b2e4d1000000001.BDR")); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r := ParseBDR(b)
		if !utf8.ValidString(r.Text) {
			t.Fatalf("text is not valid UTF-8: %q", r.Text)
		}
		if strings.ContainsRune(r.Text, 0) {
			t.Fatal("text holds NUL")
		}
		if len(r.Codes) > maxBDRCodes {
			t.Fatalf("%d codes", len(r.Codes))
		}
		seen := map[uint32]bool{}
		for _, c := range r.Codes {
			// Every code is quoted from the decoded text, and from the
			// raw input when the input is plain ASCII.
			if !strings.Contains(r.Text, c.Code) {
				t.Fatalf("code %q not in text %q", c.Code, r.Text)
			}
			if isASCII(b) && !strings.Contains(string(b), c.Code) && !looksUTF16LE(b) {
				t.Fatalf("code %q not in ASCII input", c.Code)
			}
			if len(c.Code) != 10 || !strings.EqualFold(c.Code[:2], "0x") {
				t.Fatalf("bad code %q", c.Code)
			}
			if seen[c.Value] {
				t.Fatalf("duplicate code %q", c.Code)
			}
			seen[c.Value] = true
		}
	})
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return false
		}
	}
	return true
}
