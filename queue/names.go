package queue

import (
	"strings"

	"github.com/mailroot/mailroot/mime"
)

// This file holds the name handling that must be right on Windows (case
// folding of folder names, "vsi N" detection, long paths). It is plain Go
// with no build tags so that its unit tests run on every OS.

// asciiLower and asciiUpper fold only ASCII letters. Windows folds far more
// than ASCII, but the names that matter here (Queue, PickUp, BadMail, .BAD,
// .BDR, NTFS_<hex>) are ASCII, and ASCII-only folding round-trips exactly,
// which the BadMail sibling search relies on (see siblingCandidates).
func asciiLower(s string) string {
	b := []byte(s)
	changed := false
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
			changed = true
		}
	}
	if !changed {
		return s
	}
	return string(b)
}

func asciiUpper(s string) string {
	b := []byte(s)
	changed := false
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - ('a' - 'A')
			changed = true
		}
	}
	if !changed {
		return s
	}
	return string(b)
}

// isVSIName reports whether a folder name is an Exchange 2000/2003 SMTP
// virtual server instance folder: "vsi", one or more spaces, a decimal
// number ("vsi 1", "VSI 12"). Case-insensitive.
func isVSIName(name string) bool {
	if len(name) < 5 || !strings.EqualFold(name[:3], "vsi") {
		return false
	}
	rest := name[3:]
	i := 0
	for i < len(rest) && rest[i] == ' ' {
		i++
	}
	if i == 0 || i == len(rest) {
		return false
	}
	for _, c := range []byte(rest[i:]) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// subfolder kinds found inside a mailroot, by name.
type subKind int

const (
	subUnknown    subKind = iota
	subRole               // a mail folder: Queue, PickUp, BadMail, Drop, Replay
	subQuarantine         // the quarantine store: never scanned
	subTemp               // IIS SortTemp: the service's scratch space
	subVSI                // "vsi N"
)

// classifySubfolder says what a child folder of a mailroot is, from its
// name alone (case-insensitive). For subRole it also returns the role;
// inTransport selects the Exchange 2007+ meaning of "Pickup".
func classifySubfolder(name string, inTransport bool) (subKind, mime.Folder) {
	switch asciiLower(name) {
	case "queue":
		return subRole, mime.FolderQueue
	case "pickup":
		if inTransport {
			return subRole, mime.FolderExchangePickup
		}
		return subRole, mime.FolderPickup
	case "badmail":
		return subRole, mime.FolderBadMail
	case "drop":
		return subRole, mime.FolderDrop
	case "replay":
		return subRole, mime.FolderReplay
	case "quarantine":
		return subQuarantine, ""
	case "sorttemp":
		return subTemp, ""
	}
	if isVSIName(name) {
		return subVSI, ""
	}
	return subUnknown, ""
}

// pathHasTransportRoles reports whether any element of a path is named
// TransportRoles (case-insensitive), the Exchange 2007+ install folder that
// holds Pickup and Replay. Both / and \ separate elements, so a Windows
// path is understood on any OS.
func pathHasTransportRoles(p string) bool {
	for _, el := range strings.FieldsFunc(p, func(r rune) bool { return r == '/' || r == '\\' }) {
		if strings.EqualFold(el, "TransportRoles") {
			return true
		}
	}
	return false
}

// extOf returns the extension of a file name including the dot, or "".
// Unlike filepath.Ext it never looks past a separator.
func extOf(name string) string {
	for i := len(name) - 1; i >= 0; i-- {
		switch name[i] {
		case '.':
			return name[i:]
		case '/', '\\':
			return ""
		}
	}
	return ""
}

// hasExt reports whether name ends in ext (with its dot), ignoring ASCII case.
func hasExt(name, ext string) bool {
	return len(name) > len(ext) && strings.EqualFold(name[len(name)-len(ext):], ext)
}

// longPath returns p in the \\?\ form that Win32 calls need for paths of
// MAX_PATH (260) characters or more. The os package does this by itself;
// this is for direct system calls (FindFirstStreamW). Only absolute
// drive-letter paths (C:\...) and UNC paths (\\server\share\...) are
// converted; paths already in \\?\ or \\.\ form, and relative paths, are
// returned unchanged. Forward slashes are turned into backslashes, because
// the \\?\ form disables that translation in Windows.
func longPath(p string) string {
	const threshold = 248 // CreateDirectory's limit is MAX_PATH-12; be conservative
	if len(p) < threshold {
		return p
	}
	if strings.HasPrefix(p, `\\?\`) || strings.HasPrefix(p, `\\.\`) || strings.HasPrefix(p, `//?/`) || strings.HasPrefix(p, `//./`) {
		return p
	}
	q := strings.ReplaceAll(p, "/", `\`)
	switch {
	case len(q) >= 3 && isDriveLetter(q[0]) && q[1] == ':' && q[2] == '\\':
		return `\\?\` + cleanBackslashes(q)
	case strings.HasPrefix(q, `\\`):
		return `\\?\UNC\` + cleanBackslashes(q[2:])
	}
	return p
}

func isDriveLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// cleanBackslashes removes "." elements, resolves ".." and collapses
// repeated separators, as \\?\ paths are passed to the file system as is.
func cleanBackslashes(p string) string {
	var out []string
	for i, el := range strings.Split(p, `\`) {
		switch el {
		case "", ".":
			if i == 0 {
				out = append(out, el)
			}
			continue
		case "..":
			if len(out) > 1 {
				out = out[:len(out)-1]
			}
			continue
		}
		out = append(out, el)
	}
	return strings.Join(out, `\`)
}

// looksLikeMessage reports whether a file name is one a mail folder holds
// as a message: .eml (IIS queue and pickup, Exchange), .bad and .bdr
// (BadMail), .tmp (Exchange pickup in progress), .msg.
func looksLikeMessage(name string) bool {
	for _, ext := range []string{".eml", ".bad", ".bdr", ".bdp", ".tmp", ".msg"} {
		if hasExt(name, ext) {
			return true
		}
	}
	return false
}
