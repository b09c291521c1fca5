//go:build !windows

package queue

import (
	"io/fs"
	"time"
)

// fileAttrs returns the creation time (zero: Unix file systems do not
// report one portably) and whether the file is read-only (no write bit for
// anyone, the closest Unix analogue of the Windows attribute).
func fileAttrs(fi fs.FileInfo) (created time.Time, readOnly bool) {
	return time.Time{}, fi.Mode().Perm()&0o222 == 0
}

// listStreams returns nil: only NTFS has alternate data streams.
func listStreams(path string) ([]Stream, error) { return nil, nil }
