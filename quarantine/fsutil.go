package quarantine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// tmpPrefix starts the name of every temporary file the store creates in
// an item folder. Such a file is never the only complete copy of anything,
// so recovery may remove it.
const tmpPrefix = ".tmp-"

// faultHook, when set by a test, is called before each step of the move,
// restore and write protocols with the step's name. A non-nil error makes
// the step fail with it; errSimulatedCrash makes the caller stop dead, with
// no clean-up, as if the process had been killed there.
var faultHook func(step string) error

func fault(step string) error {
	if faultHook != nil {
		return faultHook(step)
	}
	return nil
}

// renameHook, when set by a test, replaces renameNoReplace for moves of
// message files (not for the store's own temp files), to force the
// cross-volume copy path with EXDEV.
var renameHook func(oldpath, newpath string) error

func moveRename(oldpath, newpath string) error {
	if renameHook != nil {
		return renameHook(oldpath, newpath)
	}
	return renameNoReplace(oldpath, newpath)
}

// hashFile returns the size and hex SHA-256 of a file's (main stream)
// content. Errors name the file.
func hashFile(ctx context.Context, path string) (int64, string, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, "", err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, ctxReader{ctx, f})
	if err != nil {
		return n, "", fmt.Errorf("read %s: %w", path, err)
	}
	return n, hex.EncodeToString(h.Sum(nil)), nil
}

type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// copyState says what is at a path compared to the expected content.
type copyState int

const (
	copyAbsent   copyState = iota // nothing there
	copyComplete                  // a regular file with the expected size and SHA-256
	copyOther                     // something else: partial, altered, or not ours
)

func (c copyState) String() string {
	return [...]string{"absent", "complete", "different"}[c]
}

// probe reports what is at path compared to the expected size and hash.
// An unreadable file is an error: recovery must not guess.
func probe(path string, size int64, sum string) (copyState, error) {
	if path == "" {
		return copyAbsent, nil
	}
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return copyAbsent, nil
	}
	if err != nil {
		return copyOther, err
	}
	if !fi.Mode().IsRegular() || fi.Size() != size {
		return copyOther, nil
	}
	n, got, err := hashFile(context.Background(), path)
	if err != nil {
		return copyOther, err
	}
	if n != size || got != sum {
		return copyOther, nil
	}
	return copyComplete, nil
}

// writeFileAtomic writes data to path: a temp file in the same folder,
// written, checked, fsynced and closed, renamed into place, then the folder
// fsynced. On error the temp file is removed (except after a simulated
// crash) and path is untouched. Steps are named for the fault hook.
func writeFileAtomic(path string, data []byte, perm os.FileMode) (err error) {
	dir, name := filepath.Split(path)
	tmp := filepath.Join(dir, tmpPrefix+name)
	if err := fault("record-create"); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, perm)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer func() {
		if err != nil && !isCrash(err) {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err := fault("record-write"); err != nil {
		return fmt.Errorf("write %s: %w", tmp, err)
	}
	n, err := f.Write(data)
	if err == nil && n != len(data) {
		err = io.ErrShortWrite
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", tmp, err)
	}
	if err := fault("record-sync"); err != nil {
		return fmt.Errorf("sync %s: %w", tmp, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", tmp, err)
	}
	// Windows: a file must be closed before it is renamed.
	if err := f.Close(); err != nil {
		return fmt.Errorf("close %s: %w", tmp, err)
	}
	if err := fault("record-rename"); err != nil {
		return fmt.Errorf("rename %s: %w", tmp, err)
	}
	if err := replaceFile(tmp, path); err != nil {
		return fmt.Errorf("rename %s: %w", tmp, err)
	}
	if err := fault("record-syncdir"); err != nil {
		return fmt.Errorf("sync folder %s: %w", dir, err)
	}
	if err := syncDir(filepath.Dir(path)); err != nil {
		return fmt.Errorf("sync folder %s: %w", dir, err)
	}
	return nil
}

// copyFile copies src to a new file dst (which must not exist) with the
// content, mode and modification time of src, and fsyncs it. On Windows it
// uses CopyFileEx, which keeps NTFS alternate data streams and attributes.
func copyFile(src, dst string) (err error) {
	if err := fault("copy-create"); err != nil {
		return fmt.Errorf("create %s: %w", dst, err)
	}
	if err := copyFileOS(src, dst); err != nil {
		return err
	}
	if err := fault("copy-sync"); err != nil {
		return fmt.Errorf("sync %s: %w", dst, err)
	}
	return syncFile(dst)
}

// copyFilePortable is the byte copy used on Unix: content, permission bits
// and modification time.
func copyFilePortable(src, dst string) (err error) {
	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("open %s: %w", src, err)
	}
	defer in.Close()
	fi, err := in.Stat()
	if err != nil {
		return fmt.Errorf("stat %s: %w", src, err)
	}
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("create %s: %w", dst, err)
	}
	defer func() {
		if cerr := out.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("close %s: %w", dst, cerr)
		}
	}()
	if err := fault("copy-write"); err != nil {
		return fmt.Errorf("write %s: %w", dst, err)
	}
	n, err := io.Copy(out, in)
	if err != nil {
		return fmt.Errorf("copy %s to %s: %w", src, dst, err)
	}
	if n != fi.Size() {
		return fmt.Errorf("copy %s to %s: copied %d bytes of %d (the file changed while being copied)", src, dst, n, fi.Size())
	}
	if err := out.Chmod(fi.Mode().Perm()); err != nil {
		return fmt.Errorf("chmod %s: %w", dst, err)
	}
	// copyFile fsyncs dst after this returns.
	if err := os.Chtimes(dst, time.Time{}, fi.ModTime()); err != nil {
		return fmt.Errorf("set times of %s: %w", dst, err)
	}
	return nil
}
