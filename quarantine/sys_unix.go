//go:build !windows

package quarantine

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// syncDir fsyncs a folder so that a rename or create in it is durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !ignorableSyncError(err) {
		return err
	}
	return nil
}

// syncFile fsyncs a file's content (fsync accepts a read-only descriptor,
// so read-only files need no special case).
func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("sync %s: %w", path, err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil && !ignorableSyncError(err) {
		return fmt.Errorf("sync %s: %w", path, err)
	}
	return nil
}

// ignorableSyncError: some file systems (and some platforms for folders)
// do not support fsync; that is not a failure of the data.
func ignorableSyncError(err error) bool {
	return errors.Is(err, syscall.EINVAL) || errors.Is(err, syscall.ENOTSUP)
}

// isCrossDevice reports whether a rename failed because the two paths are
// on different file systems.
func isCrossDevice(err error) bool { return errors.Is(err, syscall.EXDEV) }

// isSharingViolation reports whether an error means "another process has
// the file open and will not share it". That is a Windows condition; the
// nearest Unix equivalents are ETXTBSY and EBUSY.
func isSharingViolation(err error) bool {
	return errors.Is(err, syscall.ETXTBSY) || errors.Is(err, syscall.EBUSY)
}

// errSharingViolation is what tests inject to simulate a locked file.
var errSharingViolation error = syscall.ETXTBSY

// errCrossDevice is what a rename across file systems fails with (tests
// inject it to force the copy path).
var errCrossDevice error = syscall.EXDEV

// replaceFile renames oldpath over newpath (for the store's own files).
func replaceFile(oldpath, newpath string) error { return os.Rename(oldpath, newpath) }

// removeFile removes a file.
func removeFile(path string) error { return os.Remove(path) }

// copyFileOS copies content, mode and time. Unix files have no alternate
// data streams to keep.
func copyFileOS(src, dst string) error { return copyFilePortable(src, dst) }

// checkStreams: Unix files have no alternate data streams.
func checkStreams(src, dst string) error { return nil }

// checkStorePerm refuses a store folder that group or others can write to,
// or that another (non-root) user owns.
func checkStorePerm(dir string, fi fs.FileInfo) error {
	if m := fi.Mode().Perm(); m&0o022 != 0 {
		return &UnsafeStoreError{Dir: dir, Reason: fmt.Sprintf("it is writable by group or others (mode %04o); run chmod 700 on it", m)}
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		if uid := uint32(os.Geteuid()); st.Uid != uid && st.Uid != 0 {
			return &UnsafeStoreError{Dir: dir, Reason: fmt.Sprintf("it is owned by another user (uid %d)", st.Uid)}
		}
	}
	return nil
}

// isAbsLocal reports whether an absolute path is local (always on Unix).
func isAbsLocal(string) bool { return true }

// lockFile takes an exclusive, non-blocking flock on f.
func lockFile(f *os.File) (held bool, err error) {
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err != syscall.EINTR {
			break
		}
	}
	if errors.Is(err, syscall.EWOULDBLOCK) || errors.Is(err, syscall.EAGAIN) {
		return true, err
	}
	return false, err
}

func unlockFile(f *os.File) error { return syscall.Flock(int(f.Fd()), syscall.LOCK_UN) }
