package queue

import (
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/mailroot/mailroot/mime"
)

// BadMail member extensions (any case).
const (
	extBAD = ".bad"
	extBDR = ".bdr"
	extBDP = ".bdp"
)

func isBadMailExt(name string) bool {
	return hasExt(name, extBAD) || hasExt(name, extBDR) || hasExt(name, extBDP)
}

// siblingCandidates lists the names under which the sibling of name (whose
// extension srcExt is one of .BAD/.BDR/.BDP in some case) with extension
// want may exist, most likely first: the same case pattern as name, then
// other case variants.
//
// On Windows the file system ignores case and the first candidate finds any
// variant. On a case-sensitive file system (a copied evidence set on Linux)
// only a few variants are tried, so no listing is needed. The variants are
// chosen so that "A is a candidate of B" is symmetric and transitive: the
// walk that meets B.BDR then finds exactly the .BAD that claims it, and a
// member is never both emitted with its .BAD and as an orphan. The rule:
//   - the base name as written; and if the base has a single case (all
//     upper or all lower ASCII letters), its upper- and lower-case forms;
//   - for each, the extension in the case pattern of srcExt letter by
//     letter; and if srcExt has a single case, .XYZ and .xyz.
//
// QUIRK: two members that differ from each other in mixed case (Ab.BAD and
// aB.bdr) are not paired on a case-sensitive file system; both are reported
// as incomplete units, which is visible rather than silently wrong. If two
// variants of one member both exist (X.BDR and x.bdr, impossible on NTFS),
// only the first is taken.
func siblingCandidates(base, srcExt, want string) []string {
	bases := []string{base}
	if up, lo := asciiUpper(base), asciiLower(base); up == base || lo == base {
		bases = appendUnique(bases, up, lo)
	}
	exts := []string{matchCase(srcExt, want)}
	if up, lo := asciiUpper(srcExt), asciiLower(srcExt); up == srcExt || lo == srcExt {
		exts = appendUnique(exts, asciiUpper(want), asciiLower(want))
	}
	out := make([]string, 0, len(bases)*len(exts))
	for _, b := range bases {
		for _, e := range exts {
			out = appendUnique(out, b+e)
		}
	}
	return out
}

func appendUnique(s []string, more ...string) []string {
next:
	for _, m := range more {
		for _, x := range s {
			if x == m {
				continue next
			}
		}
		s = append(s, m)
	}
	return s
}

// matchCase writes want (same length as pattern) in pattern's case,
// letter by letter: matchCase(".Bad", ".bdr") is ".Bdr".
func matchCase(pattern, want string) string {
	if len(pattern) != len(want) {
		return want
	}
	b := []byte(want)
	for i := range b {
		p := pattern[i]
		switch {
		case p >= 'A' && p <= 'Z' && b[i] >= 'a' && b[i] <= 'z':
			b[i] -= 'a' - 'A'
		case p >= 'a' && p <= 'z' && b[i] >= 'A' && b[i] <= 'Z':
			b[i] += 'a' - 'A'
		}
	}
	return string(b)
}

// findSibling looks the candidates up with Lstat and returns the first
// that is a regular file (a link or folder under a member's name is not a
// member; it is reported when the walk meets it).
func findSibling(dir, base, srcExt, want string) (string, fs.FileInfo, bool) {
	for _, name := range siblingCandidates(base, srcExt, want) {
		p := filepath.Join(dir, name)
		fi, err := os.Lstat(p)
		if err == nil && fi.Mode().IsRegular() {
			return p, fi, true
		}
	}
	return "", nil, false
}

// badmail handles a .BAD, .BDR or .BDP met in a BadMail folder.
func (w *walker) badmail(dir string, d Dir, name string, e fs.DirEntry, fi fs.FileInfo) error {
	ext := name[len(name)-4:]
	base := name[:len(name)-4]
	p := filepath.Join(dir, name)
	lower := asciiLower(ext)

	// A .BDR or .BDP whose .BAD exists is emitted with it; a .BDP whose
	// .BDR exists (and no .BAD) is emitted with the orphan .BDR.
	if lower != extBAD {
		if _, _, ok := findSibling(dir, base, ext, extBAD); ok {
			return nil
		}
		if lower == extBDP {
			if _, _, ok := findSibling(dir, base, ext, extBDR); ok {
				return nil
			}
		}
	}
	if fi == nil {
		var err error
		if fi, err = e.Info(); err != nil {
			w.skip(SkipFor(p, d.Role, err))
			return nil
		}
	}
	if lower == extBAD && !w.probe(p, d.Role) {
		return nil
	}
	it := w.newItem(p, d, fi)
	it.Members[0].Role = memberRole(lower)

	var bdrPath string
	hasBAD, hasBDR, hasBDP := lower == extBAD, lower == extBDR, lower == extBDP
	if hasBDR {
		bdrPath = p
	}
	for _, want := range []string{extBDR, extBDP} {
		if want == lower {
			continue
		}
		if want == extBDR && lower == extBDP {
			continue // known absent above
		}
		sp, sfi, ok := findSibling(dir, base, ext, want)
		if !ok {
			continue
		}
		it.Members = append(it.Members, w.member(sp, memberRole(want), sfi))
		if want == extBDR {
			hasBDR, bdrPath = true, sp
		} else {
			hasBDP = true
		}
	}
	if bdrPath != "" {
		b, err := readBounded(bdrPath, MaxBDRBytes)
		if err != nil {
			s := SkipFor(bdrPath, d.Role, err)
			s.Detail = "BadMail reason (.BDR) could not be read; its unit is still reported: " + s.Detail
			w.skip(s)
		} else {
			r := ParseBDR(b)
			it.Reason, it.ReasonCodes = r.Text, r.Codes
		}
	}
	it.Findings = append(it.Findings, badmailFindings(it, hasBAD, hasBDR, hasBDP)...)
	return w.fn(it)
}

func memberRole(ext string) string {
	switch ext {
	case extBDR:
		return "bdr"
	case extBDP:
		return "bdp"
	}
	return "message"
}

func readBounded(p string, n int64) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, n))
}

// BadMailMembers is a convenience for callers that hold an Item and want its
// members by role; missing roles give "".
func BadMailMembers(it Item) (bad, bdr, bdp string) {
	for _, m := range it.Members {
		switch m.Role {
		case "message":
			if it.Folder == mime.FolderBadMail {
				bad = m.Path
			}
		case "bdr":
			bdr = m.Path
		case "bdp":
			bdp = m.Path
		}
	}
	return bad, bdr, bdp
}
