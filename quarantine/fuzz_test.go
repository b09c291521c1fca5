package quarantine

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/mailroot/mailroot/mime"
	"github.com/mailroot/mailroot/queue"
)

func sampleRecord() *Record {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	return &Record{
		Schema: SchemaVersion, ID: "01234abcdefg", State: StateQuarantined, Folder: mime.FolderBadMail,
		OriginalDir: "/mail/vsi 1/BadMail",
		Files: []File{
			{Name: "A.BAD", Role: RoleMessage, OriginalPath: "/mail/vsi 1/BadMail/A.BAD", Size: 10, SHA256: sha([]byte("a")), ModTime: t0, Streams: []queue.Stream{{Name: ":x:$DATA", Size: 3}}},
			{Name: "A.BDP", Role: RoleBDP, OriginalPath: "/mail/vsi 1/BadMail/A.BDP", Size: 1, SHA256: sha([]byte("b")), ReadOnly: true},
		},
		Envelope:    &mime.Envelope{Format: "pickup", Sender: "a@b", Recipients: []string{"c@d"}},
		Findings:    []mime.Finding{{Rule: "MIME-001", Severity: mime.Crash, Part: "1", Offset: 5, Line: 2, Message: "m", Excerpt: `\x00`}},
		Quarantined: t0,
		By:          Actor{User: "u", Host: "h", Tool: "mailroot t"},
		History:     []Event{{Time: t0, Action: "quarantined", State: StateQuarantined, By: Actor{User: "u"}}},
	}
}

// FuzzParseRecord: never panics; whatever it accepts re-encodes to a record
// that parses to the same value, and only names plain file names.
func FuzzParseRecord(f *testing.F) {
	b, _ := MarshalRecord(sampleRecord())
	f.Add(b)
	f.Add([]byte(`{"schema":1,"id":"01234abcdefg","state":"restored","files":[{"name":"..","sha256":""}]}`))
	f.Add([]byte(`{"schema":1,"id":"../../etc","state":"quarantined"}`))
	f.Add([]byte(`{"schema":9}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ParseRecord(data)
		if err != nil {
			if r != nil {
				t.Fatal("record and error both set")
			}
			return
		}
		for _, fl := range r.Files {
			if checkName(fl.Name) != nil {
				t.Fatalf("accepted bad name %q", fl.Name)
			}
		}
		out, err := MarshalRecord(r)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		r2, err := ParseRecord(out)
		if err != nil {
			t.Fatalf("re-parse of own output: %v\n%s", err, out)
		}
		out2, _ := MarshalRecord(r2)
		if !bytes.Equal(out, out2) {
			t.Fatalf("round trip differs:\n%s\n%s", out, out2)
		}
	})
}

// FuzzReadJournal: never panics, never fails on content (only on read
// errors), and every entry it returns re-encodes and re-reads the same.
func FuzzReadJournal(f *testing.F) {
	e := Entry{V: 1, Time: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Op: OpIntent, Kind: KindMove, Txn: "t1", ID: "01234abcdefg",
		Files: []FileOp{{From: "/a/b", To: "/q/01234abcdefg/b", Tmp: "/q/01234abcdefg/.tmp-b", Size: 3, SHA256: sha([]byte("x"))}}}
	b, _ := json.Marshal(e)
	f.Add(append(b, '\n'))
	f.Add(append(append(b, '\n'), b[:len(b)/2]...))
	f.Add([]byte("\n\n{}\n{\"v\":1,\"op\":\"done\",\"txn\":\"t1\"}"))
	f.Add([]byte(`{"v":1,"op":"intent"}` + "\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		log, err := ReadJournal(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("content error: %v", err)
		}
		if log.Size != int64(len(data)) {
			t.Fatalf("read %d of %d bytes", log.Size, len(data))
		}
		if len(data) > 0 && data[len(data)-1] != '\n' && !log.Truncated {
			t.Fatal("missing final newline not reported as truncated")
		}
		var buf bytes.Buffer
		for _, e := range log.Entries {
			b, err := json.Marshal(e)
			if err != nil {
				t.Fatalf("re-encode: %v", err)
			}
			buf.Write(append(b, '\n'))
		}
		log2, err := ReadJournal(&buf)
		if err != nil || len(log2.Bad) != 0 || len(log2.Entries) != len(log.Entries) {
			t.Fatalf("re-read: %v bad=%v", err, log2.Bad)
		}
		for i := range log.Entries {
			a, _ := json.Marshal(log.Entries[i])
			b, _ := json.Marshal(log2.Entries[i])
			if !bytes.Equal(a, b) {
				t.Fatalf("entry %d differs: %s vs %s", i, a, b)
			}
		}
	})
}

func TestRecordRoundTrip(t *testing.T) {
	r := sampleRecord()
	b, err := MarshalRecord(r)
	tcheck(t, err, "marshal")
	got, err := ParseRecord(b)
	tcheck(t, err, "parse")
	if !reflect.DeepEqual(r, got) {
		t.Errorf("round trip:\n%+v\n%+v", r, got)
	}
	for name, bad := range map[string]string{
		"dotdot path":  `"original_path": "/mail/vsi 1/BadMail/A.BAD"` + "|" + `"original_path": "/mail/vsi 1/../A.BAD"`,
		"relative":     `"original_path": "/mail/vsi 1/BadMail/A.BAD"` + "|" + `"original_path": "A.BAD"`,
		"other name":   `"original_path": "/mail/vsi 1/BadMail/A.BAD"` + "|" + `"original_path": "/etc/passwd"`,
		"name sep":     `"name": "A.BAD"` + "|" + `"name": "../A.BAD"`,
		"bad id":       `"id": "01234abcdefg"` + "|" + `"id": "..\\\\x"`,
		"newer schema": `"schema": 1` + "|" + `"schema": 2`,
		"bad state":    `"state": "quarantined"` + "|" + `"state": "gone"`,
	} {
		parts := bytes.SplitN([]byte(bad), []byte("|"), 2)
		mod := bytes.Replace(b, parts[0], parts[1], 1)
		if bytes.Equal(mod, b) {
			t.Fatalf("%s: substitution did not apply", name)
		}
		if _, err := ParseRecord(mod); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestReadJournal_longLineAndBadLines(t *testing.T) {
	var buf bytes.Buffer
	buf.WriteString(`{"v":1,"op":"note"}` + "\n")
	buf.Write(bytes.Repeat([]byte("x"), maxJournalLine+10))
	buf.WriteString("\n" + `{"v":1,"op":"note"}` + "\n" + "garbage\n" + `{"v":1,"op":"note"`)
	total := int64(buf.Len())
	log, err := ReadJournal(&buf)
	tcheck(t, err, "read")
	if log.Size != total {
		t.Errorf("Size %d, want %d", log.Size, total)
	}
	if len(log.Entries) != 2 || len(log.Bad) != 3 || !log.Truncated || log.Bad[0].Line != 2 {
		t.Errorf("entries %d bad %+v truncated %v", len(log.Entries), log.Bad, log.Truncated)
	}
}
