package queue

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mailroot/mailroot/mime"
)

// mkTree creates files and folders under root. A path ending in "/" is a
// folder; anything else a file holding a short message.
func mkTree(t *testing.T, root string, paths ...string) {
	t.Helper()
	for _, p := range paths {
		full := filepath.Join(root, filepath.FromSlash(p))
		if strings.HasSuffix(p, "/") {
			if err := os.MkdirAll(full, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte("From: a@example.com\r\n\r\nbody\r\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// dirsOf renders a layout's Dirs as "instance|rel path|role" lines.
func dirsOf(t *testing.T, root string, l *Layout) []string {
	t.Helper()
	var out []string
	for _, d := range l.Dirs {
		rel, err := filepath.Rel(root, d.Path)
		if err != nil {
			t.Fatal(err)
		}
		s := filepath.ToSlash(rel) + "|" + string(d.Role)
		if d.Instance != "" {
			s = d.Instance + "|" + s
		}
		out = append(out, s)
	}
	return out
}

func skippedOf(t *testing.T, root string, l *Layout) []string {
	t.Helper()
	var out []string
	for _, s := range l.Skipped {
		rel, _ := filepath.Rel(root, s.Path)
		out = append(out, filepath.ToSlash(rel)+"|"+string(s.Reason))
	}
	return out
}

func TestDetect_layouts(t *testing.T) {
	tests := []struct {
		name    string
		tree    []string
		path    string // relative to the temp root
		kind    Kind
		dirs    []string
		skipped []string
	}{
		{
			name: "vsi folder",
			tree: []string{"vsi 1/Queue/", "vsi 1/PickUp/", "vsi 1/BadMail/"},
			path: "vsi 1", kind: KindVSI,
			dirs: []string{"vsi 1/Queue|queue", "vsi 1/PickUp|pickup", "vsi 1/BadMail|badmail"},
		},
		{
			name: "vsi folder upper case names and quarantine store",
			tree: []string{"VSI 2/QUEUE/", "VSI 2/PICKUP/", "VSI 2/BADMAIL/", "VSI 2/Quarantine/", "VSI 2/Spam/", "VSI 2/notes.txt"},
			path: "VSI 2", kind: KindVSI,
			dirs:    []string{"VSI 2/QUEUE|queue", "VSI 2/PICKUP|pickup", "VSI 2/BADMAIL|badmail"},
			skipped: []string{"VSI 2/Quarantine|quarantine-store", "VSI 2/notes.txt|loose-file", "VSI 2/Spam|subfolder"},
		},
		{
			// A message moved up by hand during a recovery, and a file
			// (not a folder) named Queue: listed, never silently ignored.
			name: "vsi folder with loose files",
			tree: []string{"vsi 1/PickUp/", "vsi 1/NTFS_0001.EML", "vsi 1/Queue"},
			path: "vsi 1", kind: KindVSI,
			dirs:    []string{"vsi 1/PickUp|pickup"},
			skipped: []string{"vsi 1/NTFS_0001.EML|loose-file", "vsi 1/Queue|loose-file"},
		},
		{
			name: "instances with a loose file beside them",
			tree: []string{"Mailroot/vsi 1/Queue/", "Mailroot/held.eml", "Mailroot/vsi 1/stray.eml"},
			path: "Mailroot", kind: KindVSISet,
			dirs:    []string{"vsi 1|Mailroot/vsi 1/Queue|queue"},
			skipped: []string{"Mailroot/held.eml|loose-file", "Mailroot/vsi 1/stray.eml|loose-file"},
		},
		{
			name: "Mailroot with several instances",
			tree: []string{
				"Mailroot/vsi 1/Queue/", "Mailroot/vsi 1/PickUp/", "Mailroot/vsi 1/BadMail/",
				"Mailroot/vsi 10/Queue/", "Mailroot/vsi 10/Pickup/",
				"Mailroot/vsi 2/Queue/", "Mailroot/vsi 2/Quarantine/",
			},
			path: "Mailroot", kind: KindVSISet,
			dirs: []string{
				"vsi 1|Mailroot/vsi 1/Queue|queue", "vsi 1|Mailroot/vsi 1/PickUp|pickup", "vsi 1|Mailroot/vsi 1/BadMail|badmail",
				"vsi 2|Mailroot/vsi 2/Queue|queue",
				"vsi 10|Mailroot/vsi 10/Queue|queue", "vsi 10|Mailroot/vsi 10/Pickup|pickup",
			},
			skipped: []string{"Mailroot/vsi 2/Quarantine|quarantine-store"},
		},
		{
			name: "IIS mailroot with Drop and SortTemp",
			tree: []string{"mailroot/Queue/", "mailroot/Pickup/", "mailroot/Badmail/", "mailroot/Drop/", "mailroot/SortTemp/"},
			path: "mailroot", kind: KindIIS,
			dirs:    []string{"mailroot/Queue|queue", "mailroot/Pickup|pickup", "mailroot/Badmail|badmail", "mailroot/Drop|drop"},
			skipped: []string{"mailroot/SortTemp|subfolder"},
		},
		{
			name: "Exchange 2007+ TransportRoles",
			tree: []string{"Exchange Server/V15/TransportRoles/Pickup/", "Exchange Server/V15/TransportRoles/Replay/", "Exchange Server/V15/TransportRoles/Logs/"},
			path: "Exchange Server/V15/TransportRoles", kind: KindTransport,
			dirs:    []string{"Exchange Server/V15/TransportRoles/Pickup|exchange-pickup", "Exchange Server/V15/TransportRoles/Replay|replay"},
			skipped: []string{"Exchange Server/V15/TransportRoles/Logs|subfolder"},
		},
		{
			name: "Pickup under TransportRoles passed directly",
			tree: []string{"TransportRoles/Pickup/"},
			path: "TransportRoles/Pickup", kind: KindFolder,
			dirs: []string{"TransportRoles/Pickup|exchange-pickup"},
		},
		{
			name: "Replay passed directly",
			tree: []string{"x/Replay/"},
			path: "x/Replay", kind: KindFolder,
			dirs: []string{"x/Replay|replay"},
		},
		{
			name: "folder holding Pickup and Replay is 2007+ transport",
			tree: []string{"copy/Pickup/", "copy/Replay/"},
			path: "copy", kind: KindTransport,
			dirs: []string{"copy/Pickup|exchange-pickup", "copy/Replay|replay"},
		},
		{name: "Queue passed directly", tree: []string{"vsi 1/Queue/"}, path: "vsi 1/Queue", kind: KindFolder, dirs: []string{"vsi 1/Queue|queue"}},
		{name: "PickUp", tree: []string{"a/PickUp/"}, path: "a/PickUp", kind: KindFolder, dirs: []string{"a/PickUp|pickup"}},
		{name: "Pickup", tree: []string{"a/Pickup/"}, path: "a/Pickup", kind: KindFolder, dirs: []string{"a/Pickup|pickup"}},
		{name: "PICKUP", tree: []string{"a/PICKUP/"}, path: "a/PICKUP", kind: KindFolder, dirs: []string{"a/PICKUP|pickup"}},
		{name: "Badmail", tree: []string{"a/Badmail/"}, path: "a/Badmail", kind: KindFolder, dirs: []string{"a/Badmail|badmail"}},
		{name: "drop", tree: []string{"a/drop/"}, path: "a/drop", kind: KindFolder, dirs: []string{"a/drop|drop"}},
		{
			name: "generic folder of eml with a subfolder",
			tree: []string{"evidence/1.eml", "evidence/2.eml", "evidence/old/"},
			path: "evidence", kind: KindGeneric,
			dirs: []string{"evidence|generic"},
		},
		{
			name: "single file",
			tree: []string{"evidence/1.eml"},
			path: "evidence/1.eml", kind: KindGeneric,
			dirs: []string{"evidence/1.eml|generic"},
		},
		{
			name: "single file inside PickUp keeps the role",
			tree: []string{"vsi 1/PickUp/x.eml"},
			path: "vsi 1/PickUp/x.eml", kind: KindGeneric,
			dirs: []string{"vsi 1/PickUp/x.eml|pickup"},
		},
		{
			name: "non-ASCII names and spaces",
			tree: []string{"Müll Ordner/vsi 3/Queue/", "Müll Ordner/vsi 3/PickUp/NTFS_é.EML", "Müll Ordner/vsi 3/BadMail/"},
			path: "Müll Ordner/vsi 3", kind: KindVSI,
			dirs: []string{"Müll Ordner/vsi 3/Queue|queue", "Müll Ordner/vsi 3/PickUp|pickup", "Müll Ordner/vsi 3/BadMail|badmail"},
		},
		{name: "empty vsi", tree: []string{"vsi 4/"}, path: "vsi 4", kind: KindVSI},
		{name: "vsi without space is not a vsi", tree: []string{"vsi1/a.eml"}, path: "vsi1", kind: KindGeneric, dirs: []string{"vsi1|generic"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			mkTree(t, root, tc.tree...)
			l, err := Detect(filepath.Join(root, filepath.FromSlash(tc.path)))
			if err != nil {
				t.Fatal(err)
			}
			if l.Kind != tc.kind {
				t.Errorf("kind = %s, want %s", l.Kind, tc.kind)
			}
			if got := dirsOf(t, root, l); strings.Join(got, "\n") != strings.Join(tc.dirs, "\n") {
				t.Errorf("dirs:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.dirs, "\n"))
			}
			got := skippedOf(t, root, l)
			if strings.Join(sorted(got), "\n") != strings.Join(sorted(tc.skipped), "\n") {
				t.Errorf("skipped:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.skipped, "\n"))
			}
		})
	}
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j] < out[j-1]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

func TestDetect_missingPath(t *testing.T) {
	p := filepath.Join(t.TempDir(), "no such vsi")
	_, err := Detect(p)
	var pe *PathError
	if !errors.As(err, &pe) || pe.Path != p || !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Detect(missing) = %v, want *PathError naming %q wrapping ErrNotExist", err, p)
	}
	if !strings.Contains(err.Error(), p) {
		t.Errorf("error %q does not name the path", err)
	}
}

func TestDetect_symlinkedFolderNotFollowed(t *testing.T) {
	root := t.TempDir()
	outside := t.TempDir()
	mkTree(t, outside, "Queue/NTFS_1.EML")
	mkTree(t, root, "vsi 1/PickUp/")
	if err := os.Symlink(filepath.Join(outside, "Queue"), filepath.Join(root, "vsi 1", "Queue")); err != nil {
		t.Skipf("symlinks not available: %v", err)
	}
	l, err := Detect(filepath.Join(root, "vsi 1"))
	if err != nil {
		t.Fatal(err)
	}
	if got := dirsOf(t, root, l); strings.Join(got, ",") != "vsi 1/PickUp|pickup" {
		t.Errorf("dirs = %v, want only PickUp (the Queue link is not followed)", got)
	}
	if got := skippedOf(t, root, l); strings.Join(got, ",") != "vsi 1/Queue|link" {
		t.Errorf("skipped = %v, want the Queue link", got)
	}
}

func TestExplicit(t *testing.T) {
	root := t.TempDir()
	mkTree(t, root, "Moved Pickup Dir/a.eml")
	l, err := Explicit(filepath.Join(root, "Moved Pickup Dir"), mime.FolderPickup)
	if err != nil {
		t.Fatal(err)
	}
	if l.Kind != KindFolder || len(l.Dirs) != 1 || l.Dirs[0].Role != mime.FolderPickup {
		t.Errorf("Explicit = %+v", l)
	}
	if _, err := Explicit(filepath.Join(root, "nope"), mime.FolderQueue); !IsPathError(err) {
		t.Errorf("Explicit(missing) = %v, want *PathError", err)
	}
	if _, err := Explicit(root, mime.Folder("bogus")); err == nil {
		t.Error("Explicit with an unknown role succeeded")
	}
}

// TestDetect_looseMessageDetail: a message file left in a vsi folder is
// named as a message the service will never read there.
func TestDetect_looseMessageDetail(t *testing.T) {
	root := t.TempDir()
	mkTree(t, root, "vsi 1/Queue/", "vsi 1/NTFS_0001.EML", "vsi 1/readme.txt")
	l, err := Detect(filepath.Join(root, "vsi 1"))
	if err != nil {
		t.Fatal(err)
	}
	details := map[string]string{}
	for _, s := range l.Skipped {
		details[filepath.Base(s.Path)] = s.Detail
	}
	if d := details["NTFS_0001.EML"]; !strings.Contains(d, "message file") {
		t.Errorf("NTFS_0001.EML: detail %q, want it called a message file", d)
	}
	if d := details["readme.txt"]; d == "" || strings.Contains(d, "message file") {
		t.Errorf("readme.txt: detail %q", d)
	}
}
