//go:build windows

package queue

import (
	"errors"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/windows"
)

// dropRename moves oldPath to newPath with MoveFileEx and no
// MOVEFILE_REPLACE_EXISTING, so an existing file is never replaced.
// Windows facts: the file must be closed before the rename (Stage closes
// it); a virus scanner, the indexer or the SMTP service may hold either
// name for a moment, so sharing and access errors are retried for up to
// two seconds (as golang/go cmd/go/internal/robustio does).
func dropRename(oldPath, newPath string) error {
	from, err := windows.UTF16PtrFromString(oldPath)
	if err != nil {
		return err
	}
	to, err := windows.UTF16PtrFromString(newPath)
	if err != nil {
		return err
	}
	deadline := time.Now().Add(2 * time.Second)
	delay := 5 * time.Millisecond
	for {
		err = windows.MoveFileEx(from, to, windows.MOVEFILE_WRITE_THROUGH)
		if err == nil {
			return nil
		}
		if errors.Is(err, windows.ERROR_ALREADY_EXISTS) || errors.Is(err, windows.ERROR_FILE_EXISTS) {
			return ErrExists
		}
		if !dropTransient(err) || time.Now().After(deadline) {
			return err
		}
		time.Sleep(delay)
		if delay < 200*time.Millisecond {
			delay *= 2
		}
	}
}

// dropTransient reports errors that a retry may clear.
func dropTransient(err error) bool {
	var errno syscall.Errno
	return errors.As(err, &errno) && dropTransientCode(uintptr(errno))
}

// dropSyncDir is a no-op: Windows cannot fsync a folder, and
// MOVEFILE_WRITE_THROUGH already waits for the rename to reach the disk.
func dropSyncDir(string) error { return nil }

// dropClearReadOnly clears FILE_ATTRIBUTE_READONLY (KB 221432: a read-only
// file in PickUp is sent on every restart and never removed).
func dropClearReadOnly(path string) error {
	p, err := windows.UTF16PtrFromString(path)
	if err != nil {
		return err
	}
	attrs, err := windows.GetFileAttributes(p)
	if err != nil {
		return err
	}
	if attrs&windows.FILE_ATTRIBUTE_READONLY == 0 {
		return nil
	}
	return windows.SetFileAttributes(p, attrs&^windows.FILE_ATTRIBUTE_READONLY)
}

// dropSameVolume compares volume names ("C:", `\\server\share`). A folder
// mounted as a volume mount point is not detected; the rename then fails
// with ERROR_NOT_SAME_DEVICE and nothing is lost.
func dropSameVolume(a, b string) (bool, error) {
	return strings.EqualFold(filepath.VolumeName(a), filepath.VolumeName(b)), nil
}
