//go:build !linux && !windows

package quarantine

// renameNoReplace renames oldpath to newpath and fails with an
// *ExistsError if newpath exists (a check then rename; the store lock keeps
// other mailroot processes out of the store).
func renameNoReplace(oldpath, newpath string) error { return renameCheckFirst(oldpath, newpath) }
