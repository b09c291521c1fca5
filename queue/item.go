package queue

import (
	"fmt"
	"os"
	"time"

	"github.com/mailroot/mailroot/mime"
)

// Item is one thing on disk that holds one message: a queue, pickup, drop or
// replay file, a generic .eml, or a BadMail unit (.BAD with its .BDR and
// .BDP siblings, which move and are hashed together).
type Item struct {
	// Path is the message file (the .BAD of a BadMail unit; for a unit with
	// no .BAD, its first member).
	Path   string
	Folder mime.Folder
	// Instance is the "vsi N" folder the item belongs to when the layout
	// holds several instances (Dir.Instance), "" otherwise.
	Instance string
	Size     int64 // of Path
	ModTime  time.Time
	// Created is the file's creation time where the OS keeps one, else zero.
	Created  time.Time
	ReadOnly bool
	// Members lists every file of the item, Path first. A plain message has
	// one member; a BadMail unit up to three.
	Members []Member
	// Reason is the text of a BadMail .BDR, trimmed; "" elsewhere.
	Reason string
	// ReasonCodes are the error codes quoted in the .BDR (see ParseBDR).
	ReasonCodes []ErrorCode
	// Findings holds the file-system rules (Q family, ENV-004) found for the item.
	Findings []mime.Finding
}

// Member is one file of an Item.
type Member struct {
	Path    string
	Role    string // "message", "bdr", "bdp"
	Size    int64
	ModTime time.Time
	// Streams lists NTFS alternate data streams (Windows only). nil means
	// unknown (not Windows, or the file system cannot list streams); an
	// empty, non-nil slice means the file has none.
	Streams []Stream
}

// Stream is one NTFS alternate data stream of a file.
type Stream struct {
	// Name opens the stream as path + ":" + Name ("Zone.Identifier"); a
	// stream of a type other than $DATA keeps its type ("x:$FOO"). The
	// file's own unnamed data stream is never listed.
	Name string
	Size int64
}

// Refresh reads again what the walk recorded about an item's files
// (sizes, times, attributes, NTFS streams) and recomputes its file-system
// findings, for an item that changed on disk between the walk and a move.
// A BadMail unit keeps its members, reason and Q-003 finding. The error
// names the file that vanished or is no longer a regular file.
func Refresh(it *Item) error {
	for i := range it.Members {
		m := &it.Members[i]
		fi, err := os.Lstat(m.Path)
		if err != nil {
			return err
		}
		if !fi.Mode().IsRegular() {
			return fmt.Errorf("%s is no longer a regular file (%s)", m.Path, fi.Mode().Type())
		}
		m.Size, m.ModTime = fi.Size(), fi.ModTime()
		if streams, err := listStreams(m.Path); err == nil {
			m.Streams = streams
		}
		if m.Path == it.Path {
			it.Size, it.ModTime = fi.Size(), fi.ModTime()
			it.Created, it.ReadOnly = fileAttrs(fi)
		}
	}
	if it.Folder != mime.FolderBadMail {
		it.Findings = fileFindings(*it)
	}
	return nil
}
