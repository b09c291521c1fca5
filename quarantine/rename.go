package quarantine

import (
	"errors"
	"io/fs"
	"os"
)

func renameCheckFirst(oldpath, newpath string) error {
	if _, err := os.Lstat(newpath); err == nil {
		return &ExistsError{Path: newpath}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return os.Rename(oldpath, newpath)
}
