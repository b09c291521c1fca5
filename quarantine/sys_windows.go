//go:build windows

package quarantine

// Windows notes (STYLE.md section 6):
//   - there is no directory fsync: NTFS journals its metadata, and a
//     folder handle cannot be flushed, so syncDir does nothing;
//   - a file must be closed before it is renamed or removed;
//   - a read-only file cannot be deleted: removeFile clears the attribute;
//   - renames and removes fail transiently (antivirus, indexer): they are
//     retried for a short while; a sharing violation that persists means
//     the SMTP service holds the file, and the file is skipped;
//   - a rename within a volume keeps NTFS alternate data streams (where the
//     queue envelope may live, FORMATS.md); across volumes CopyFileEx
//     copies them along with attributes and times.

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"
)

func syncDir(string) error { return nil }

// ignorableSyncError: nothing is ignored on Windows.
func ignorableSyncError(error) bool { return false }

// syncFile flushes a file (FlushFileBuffers). That needs a handle opened
// for writing, which a file with the read-only attribute (a copy of a
// read-only queue or .BDP file) refuses: the attribute is cleared for the
// flush and set again after.
func syncFile(path string) error {
	p, err := windows.UTF16PtrFromString(path)
	if err != nil {
		return err
	}
	attrs, err := windows.GetFileAttributes(p)
	if err != nil {
		return fmt.Errorf("sync %s: %w", path, err)
	}
	if attrs&windows.FILE_ATTRIBUTE_READONLY != 0 {
		if err := windows.SetFileAttributes(p, attrs&^windows.FILE_ATTRIBUTE_READONLY); err != nil {
			return fmt.Errorf("sync %s: clear read-only: %w", path, err)
		}
		defer windows.SetFileAttributes(p, attrs)
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("sync %s: %w", path, err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", path, err)
	}
	return nil
}

func winClass(err error) winErrClass {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return classifyWinError(uint64(errno))
	}
	return winOther
}

func isCrossDevice(err error) bool { return winClass(err) == winCrossDevice }

func isSharingViolation(err error) bool { return winClass(err) == winBusy }

var errSharingViolation error = windows.ERROR_SHARING_VIOLATION

var errCrossDevice error = windows.ERROR_NOT_SAME_DEVICE

// retry runs op until it succeeds, fails for a lasting reason, or about
// half a second has passed.
func retry(op func() error) error {
	var err error
	delay := 5 * time.Millisecond
	deadline := time.Now().Add(500 * time.Millisecond)
	for {
		err = op()
		if err == nil {
			return nil
		}
		c := winClass(err)
		if (c != winTransient && c != winBusy) || time.Now().After(deadline) {
			return err
		}
		time.Sleep(delay)
		if delay < 100*time.Millisecond {
			delay *= 2
		}
	}
}

func replaceFile(oldpath, newpath string) error {
	return retry(func() error { return os.Rename(oldpath, newpath) })
}

func removeFile(path string) error {
	return retry(func() error {
		err := os.Remove(path)
		if err != nil && winClass(err) == winTransient {
			// A read-only file cannot be deleted: clear the attribute.
			if p, perr := windows.UTF16PtrFromString(path); perr == nil {
				if attrs, aerr := windows.GetFileAttributes(p); aerr == nil && attrs&windows.FILE_ATTRIBUTE_READONLY != 0 {
					windows.SetFileAttributes(p, attrs&^windows.FILE_ATTRIBUTE_READONLY)
				}
			}
		}
		return err
	})
}

// renameNoReplace is MoveFileEx without MOVEFILE_REPLACE_EXISTING (fails if
// newpath exists) and without MOVEFILE_COPY_ALLOWED (fails with
// ERROR_NOT_SAME_DEVICE across volumes, so that the caller copies with
// streams and verifies the hash).
func renameNoReplace(oldpath, newpath string) error {
	from, err := windows.UTF16PtrFromString(oldpath)
	if err != nil {
		return err
	}
	to, err := windows.UTF16PtrFromString(newpath)
	if err != nil {
		return err
	}
	err = retry(func() error { return windows.MoveFileEx(from, to, 0) })
	if err == nil {
		return nil
	}
	if winClass(err) == winExists {
		return &ExistsError{Path: newpath}
	}
	return &os.LinkError{Op: "rename", Old: oldpath, New: newpath, Err: err}
}

var (
	modkernel32          = windows.NewLazySystemDLL("kernel32.dll")
	procCopyFileExW      = modkernel32.NewProc("CopyFileExW")
	procFindFirstStreamW = modkernel32.NewProc("FindFirstStreamW")
	procFindNextStreamW  = modkernel32.NewProc("FindNextStreamW")
)

// win32FindStreamData is WIN32_FIND_STREAM_DATA.
type win32FindStreamData struct {
	StreamSize int64
	StreamName [windows.MAX_PATH + 36]uint16
}

// streamList returns "name:size" of every stream of a file (the main
// stream "::$DATA" included), from FindFirstStreamW/FindNextStreamW.
func streamList(path string) (map[string]int64, error) {
	p, err := windows.UTF16PtrFromString(path)
	if err != nil {
		return nil, err
	}
	if err := procFindFirstStreamW.Find(); err != nil {
		return nil, err
	}
	var d win32FindStreamData
	h, _, e := procFindFirstStreamW.Call(uintptr(unsafe.Pointer(p)), 0, uintptr(unsafe.Pointer(&d)), 0)
	if windows.Handle(h) == windows.InvalidHandle {
		if errors.Is(e, windows.ERROR_HANDLE_EOF) {
			return map[string]int64{}, nil
		}
		return nil, fmt.Errorf("list streams of %s: %w", path, e)
	}
	defer windows.FindClose(windows.Handle(h))
	out := map[string]int64{}
	for {
		out[windows.UTF16ToString(d.StreamName[:])] = d.StreamSize
		r, _, e := procFindNextStreamW.Call(h, uintptr(unsafe.Pointer(&d)))
		if r == 0 {
			if errors.Is(e, windows.ERROR_HANDLE_EOF) {
				return out, nil
			}
			return nil, fmt.Errorf("list streams of %s: %w", path, e)
		}
	}
}

// checkStreams makes sure a copy has every alternate data stream of its
// source, with the same size, before the source is removed: the queue
// envelope may live in one (FORMATS.md), and a copy to a file system
// without streams would silently lose it.
func checkStreams(src, dst string) error {
	a, err := streamList(src)
	if err != nil {
		return err
	}
	b, err := streamList(dst)
	if err != nil {
		return err
	}
	for name, size := range a {
		if got, ok := b[name]; !ok || got != size {
			return fmt.Errorf("copy %s: stream %s (%d bytes) not copied intact to %s; source kept", src, name, size, dst)
		}
	}
	return nil
}

const copyFileFailIfExists = 0x00000001

// copyFileOS copies with CopyFileExW, which keeps alternate data streams,
// attributes and times, and refuses to overwrite dst.
func copyFileOS(src, dst string) error {
	if err := procCopyFileExW.Find(); err != nil {
		return err
	}
	from, err := windows.UTF16PtrFromString(src)
	if err != nil {
		return err
	}
	to, err := windows.UTF16PtrFromString(dst)
	if err != nil {
		return err
	}
	if err := fault("copy-write"); err != nil {
		return &os.LinkError{Op: "copy", Old: src, New: dst, Err: err}
	}
	r, _, e := procCopyFileExW.Call(uintptr(unsafe.Pointer(from)), uintptr(unsafe.Pointer(to)), 0, 0, 0, copyFileFailIfExists)
	if r == 0 {
		if winClass(e) == winExists {
			return &ExistsError{Path: dst}
		}
		return &os.LinkError{Op: "copy", Old: src, New: dst, Err: e}
	}
	return nil
}

// checkStorePerm: Windows protects folders with ACLs, not mode bits; the
// store inherits the ACL of the mailroot folder. Not checked here.
func checkStorePerm(string, fs.FileInfo) error { return nil }

// isAbsLocal refuses UNC (\\server\share) and device (\\?\, \\.\) paths.
func isAbsLocal(p string) bool {
	return !strings.HasPrefix(p, `\\`) && !strings.HasPrefix(p, `//`)
}

// lockOffsetHigh places the locked byte at 4 GiB, past the lock file's
// text, so that another process can still read who holds the lock
// (LockFileEx locks are mandatory for reads too).
const lockOffsetHigh = 1

// lockFile takes an exclusive lock on one byte of f, failing at once if
// another process holds it.
func lockFile(f *os.File) (held bool, err error) {
	ol := windows.Overlapped{OffsetHigh: lockOffsetHigh}
	err = windows.LockFileEx(windows.Handle(f.Fd()), windows.LOCKFILE_EXCLUSIVE_LOCK|windows.LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, &ol)
	if errors.Is(err, windows.ERROR_LOCK_VIOLATION) || errors.Is(err, windows.ERROR_IO_PENDING) {
		return true, err
	}
	return false, err
}

func unlockFile(f *os.File) error {
	ol := windows.Overlapped{OffsetHigh: lockOffsetHigh}
	return windows.UnlockFileEx(windows.Handle(f.Fd()), 0, 1, 0, &ol)
}
