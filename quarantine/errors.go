package quarantine

import (
	"errors"
	"fmt"
	"strings"
)

// ErrNotFound is returned (wrapped) when no item matches an ID or prefix.
var ErrNotFound = errors.New("no such quarantine item")

// ErrNoStore is returned (wrapped) by Open when the store does not exist and
// Options.Create is false.
var ErrNoStore = errors.New("no quarantine store")

// ErrState is returned (wrapped) when an operation does not fit the item's
// state, e.g. restoring an item that was already restored.
var ErrState = errors.New("invalid item state")

// ErrPathChanged is returned (wrapped) by Restore when the original folder
// no longer resolves, through the links on its path, to the folder it was
// in when the item was quarantined: a folder higher up was replaced by a
// link (or a link retargeted), and restoring would write somewhere else.
var ErrPathChanged = errors.New("the original folder now leads elsewhere")

// errSimulatedCrash is returned by test fault hooks to mean "the process
// died here": code paths that see it skip every clean-up, so the store is
// left exactly as a kill would leave it.
var errSimulatedCrash = errors.New("simulated crash")

func isCrash(err error) bool { return errors.Is(err, errSimulatedCrash) }

// InvalidIDError reports an ID or ID prefix that is not made of the ID
// alphabet (this also rejects "..", path separators, drive letters and UNC
// paths, issue 7).
type InvalidIDError struct {
	Input  string
	Reason string
}

func (e *InvalidIDError) Error() string {
	return fmt.Sprintf("invalid quarantine ID %q: %s", e.Input, e.Reason)
}

// IsInvalidID reports whether err is an *InvalidIDError.
func IsInvalidID(err error) bool {
	var e *InvalidIDError
	return errors.As(err, &e)
}

// AmbiguousIDError reports an ID prefix that matches several items.
type AmbiguousIDError struct {
	Prefix     string
	Candidates []string
}

func (e *AmbiguousIDError) Error() string {
	return fmt.Sprintf("quarantine ID prefix %q is ambiguous: %s", e.Prefix, strings.Join(e.Candidates, ", "))
}

// IsAmbiguousID reports whether err is an *AmbiguousIDError.
func IsAmbiguousID(err error) bool {
	var e *AmbiguousIDError
	return errors.As(err, &e)
}

// LockedError reports that another process holds the store lock.
type LockedError struct {
	Dir    string
	Holder string // what the lock file says about its holder, if readable
	Err    error
}

func (e *LockedError) Error() string {
	s := fmt.Sprintf("quarantine store %s is locked by another mailroot process", e.Dir)
	if e.Holder != "" {
		s += " (" + e.Holder + ")"
	}
	return s
}

func (e *LockedError) Unwrap() error { return e.Err }

// IsLocked reports whether err is a *LockedError.
func IsLocked(err error) bool {
	var e *LockedError
	return errors.As(err, &e)
}

// UnsafeStoreError reports a store folder that other users can write to
// (Unix mode bits): anyone could then plant or alter evidence.
type UnsafeStoreError struct {
	Dir    string
	Reason string
}

func (e *UnsafeStoreError) Error() string {
	return fmt.Sprintf("refusing quarantine store %s: %s", e.Dir, e.Reason)
}

// IsUnsafeStore reports whether err is an *UnsafeStoreError.
func IsUnsafeStore(err error) bool {
	var e *UnsafeStoreError
	return errors.As(err, &e)
}

// ChangedError reports a file that is no longer what was scanned: the
// caller should rescan it before quarantining.
type ChangedError struct {
	Path  string
	Field string // "size", "mtime" or "sha256"
	Want  string
	Got   string
}

func (e *ChangedError) Error() string {
	return fmt.Sprintf("%s changed since it was scanned: %s was %s, now %s", e.Path, e.Field, e.Want, e.Got)
}

// IsChanged reports whether err is a *ChangedError.
func IsChanged(err error) bool {
	var e *ChangedError
	return errors.As(err, &e)
}

// SkipReason says why a file was skipped.
type SkipReason string

// Reasons for skipping a file.
const (
	SkipLocked   SkipReason = "locked"   // open by another process (Windows sharing violation)
	SkipVanished SkipReason = "vanished" // no longer exists
)

// SkippedError reports a file that could not be moved because it is locked
// by another process or vanished. Nothing was changed; the caller reports it
// and carries on (the CLI exits 3).
type SkippedError struct {
	Path   string
	Reason SkipReason
	Err    error
}

func (e *SkippedError) Error() string {
	switch e.Reason {
	case SkipLocked:
		return fmt.Sprintf("%s is in use by another process (stop the SMTP service first): %v", e.Path, e.Err)
	case SkipVanished:
		return fmt.Sprintf("%s vanished before it could be quarantined", e.Path)
	}
	return fmt.Sprintf("%s skipped: %v", e.Path, e.Err)
}

func (e *SkippedError) Unwrap() error { return e.Err }

// IsSkipped reports whether err is a *SkippedError.
func IsSkipped(err error) bool {
	var e *SkippedError
	return errors.As(err, &e)
}

// ExistsError reports a destination that already exists: an item folder or
// file in the store, or a file at the original path on restore.
type ExistsError struct {
	Path string
}

func (e *ExistsError) Error() string {
	return fmt.Sprintf("%s already exists; refusing to overwrite it", e.Path)
}

// IsExists reports whether err is an *ExistsError.
func IsExists(err error) bool {
	var e *ExistsError
	return errors.As(err, &e)
}

// HashMismatchError reports a file whose content is not what item.json or
// the journal says.
type HashMismatchError struct {
	Path       string
	WantSHA256 string
	GotSHA256  string
	WantSize   int64
	GotSize    int64
}

func (e *HashMismatchError) Error() string {
	if e.WantSize != e.GotSize {
		return fmt.Sprintf("%s: size mismatch: want %d bytes, have %d", e.Path, e.WantSize, e.GotSize)
	}
	return fmt.Sprintf("%s: hash mismatch: want sha256 %s, have %s", e.Path, e.WantSHA256, e.GotSHA256)
}

// IsHashMismatch reports whether err is a *HashMismatchError.
func IsHashMismatch(err error) bool {
	var e *HashMismatchError
	return errors.As(err, &e)
}

// ServiceRunningError reports that the SMTP service is running while its
// Queue folder was to be changed (Windows live-service guard).
type ServiceRunningError struct {
	Service string
	Path    string
	Err     error // set when the service state could not be queried
}

func (e *ServiceRunningError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("cannot tell whether %s is running (%v); refusing to move %s out of a Queue folder (stop the SMTP virtual server first, or use --force)", e.Service, e.Err, e.Path)
	}
	return fmt.Sprintf("%s is running; refusing to move %s out of its Queue folder (stop the SMTP virtual server first, or use --force)", e.Service, e.Path)
}

func (e *ServiceRunningError) Unwrap() error { return e.Err }

// IsServiceRunning reports whether err is a *ServiceRunningError.
func IsServiceRunning(err error) bool {
	var e *ServiceRunningError
	return errors.As(err, &e)
}
