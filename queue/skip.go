package queue

import (
	"errors"
	"io/fs"

	"github.com/mailroot/mailroot/mime"
)

// SkipReason says why a path was not scanned.
type SkipReason string

// Skip reasons. Only SkipLocked, SkipDenied and SkipUnreadable mean that
// something could not be read (see Skip.ReadFailure).
const (
	SkipSubfolder  SkipReason = "subfolder"         // a folder inside a mail folder, or an unknown folder of a layout
	SkipQuarantine SkipReason = "quarantine-store"  // the Quarantine folder: the tool's own store
	SkipExcluded   SkipReason = "excluded"          // named in WalkOptions.Exclude
	SkipLooseFile  SkipReason = "loose-file"        // a file in a mailroot or vsi folder, outside its mail folders
	SkipLink       SkipReason = "link"              // symbolic link, junction or other reparse point: never followed
	SkipSpecial    SkipReason = "special-file"      // device, pipe, socket
	SkipInProgress SkipReason = "in-progress"       // a pickup .tmp file the service is processing
	SkipTranscript SkipReason = "transcript"        // a Queue .LTR/.RTR transcript, not a message
	SkipVanished   SkipReason = "vanished"          // listed, then gone (the service moved it)
	SkipReplaced   SkipReason = "replaced"          // listed, then another file put in its place before it was opened
	SkipLocked     SkipReason = "locked"            // another process holds it open (Windows sharing violation)
	SkipDenied     SkipReason = "permission-denied" // access denied
	SkipUnreadable SkipReason = "unreadable"        // any other error
)

// Skip is one path Walk did not turn into an item (or, for a BadMail .BDR
// that could not be read, a member whose content is missing from its item).
// Skips are never fatal.
type Skip struct {
	Path   string
	Folder mime.Folder // role of the folder it is in; "" for layout subfolders
	Reason SkipReason
	// Detail is a short human explanation.
	Detail string
	// Err is the underlying error, if any.
	Err error
}

// ReadFailure reports whether the skip means that content could not be
// read (locked, permission denied, other I/O error), as opposed to a path
// that is skipped by design or vanished because the service moved it.
func (s Skip) ReadFailure() bool {
	switch s.Reason {
	case SkipLocked, SkipDenied, SkipUnreadable:
		return true
	}
	return false
}

// SkipFor classifies an error met while reading path into a Skip, so that
// a caller that opens item files itself reports failures the way Walk does:
// a missing file is SkipVanished, a sharing violation SkipLocked, access
// denied SkipDenied, anything else SkipUnreadable.
func SkipFor(path string, folder mime.Folder, err error) Skip {
	r := reasonFor(err)
	detail := map[SkipReason]string{
		SkipVanished:   "file vanished while the folder was read (moved by the service?)",
		SkipLocked:     "file is open in another process (sharing violation): stop the SMTP service to read it",
		SkipDenied:     "permission denied",
		SkipUnreadable: "read error",
	}[r]
	return Skip{Path: path, Folder: folder, Reason: r, Detail: detail, Err: err}
}

func reasonFor(err error) SkipReason {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return SkipVanished
	case IsLocked(err):
		return SkipLocked
	case errors.Is(err, fs.ErrPermission):
		return SkipDenied
	}
	return SkipUnreadable
}
