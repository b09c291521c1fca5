//go:build !windows

package queue

import (
	"errors"
	"os"
	"syscall"
)

// dropRename moves oldPath to newPath without replacing an existing file:
// a hard link fails with EEXIST when newPath exists, and the watcher sees
// the complete file the instant the link appears. File systems without hard
// links fall back to a check and a rename.
func dropRename(oldPath, newPath string) error {
	err := os.Link(oldPath, newPath)
	switch {
	case err == nil:
		// The file is in place: a temp name left behind (remove failed)
		// is only clutter, swept later, never a second copy in the folder.
		_ = os.Remove(oldPath)
		return nil
	case errors.Is(err, os.ErrExist):
		return ErrExists
	case errors.Is(err, syscall.EXDEV):
		return err
	}
	// QUIRK: FAT, some network and FUSE file systems refuse link(2)
	// (EPERM, ENOTSUP); the check below is racy, but such folders are not
	// shared with a live Windows pickup service.
	if _, serr := os.Lstat(newPath); serr == nil {
		return ErrExists
	}
	return os.Rename(oldPath, newPath)
}

// dropSyncDir fsyncs a folder so that a rename into it survives a power cut.
func dropSyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	// Some file systems do not support fsync on folders.
	if errors.Is(err, syscall.EINVAL) || errors.Is(err, syscall.ENOTSUP) {
		return nil
	}
	return err
}

// dropClearReadOnly gives the owner write permission, the Unix reading of
// "not read-only".
func dropClearReadOnly(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if fi.Mode().Perm()&0o200 != 0 {
		return nil
	}
	return os.Chmod(path, fi.Mode().Perm()|0o200)
}

// dropSameVolume reports whether a and b are on the same file system.
func dropSameVolume(a, b string) (bool, error) {
	fa, err := os.Stat(a)
	if err != nil {
		return false, err
	}
	fb, err := os.Stat(b)
	if err != nil {
		return false, err
	}
	sa, ok1 := fa.Sys().(*syscall.Stat_t)
	sb, ok2 := fb.Sys().(*syscall.Stat_t)
	if !ok1 || !ok2 {
		return false, errors.New("no device numbers")
	}
	return sa.Dev == sb.Dev, nil
}
