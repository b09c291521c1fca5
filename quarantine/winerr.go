package quarantine

// Windows error codes the store classifies. They are kept here, free of
// build tags, so that the classification is unit-tested on every OS
// (issue 7); sys_windows.go applies them to syscall.Errno values.
const (
	winErrorFileNotFound     = 2
	winErrorPathNotFound     = 3
	winErrorAccessDenied     = 5
	winErrorNotSameDevice    = 17
	winErrorSharingViolation = 32
	winErrorLockViolation    = 33
	winErrorFileExists       = 80
	winErrorAlreadyExists    = 183
)

// winErrClass is how the store treats a Windows error code.
type winErrClass int

const (
	winOther       winErrClass = iota
	winBusy                    // another process holds the file: retry briefly, then skip it
	winTransient               // antivirus or indexer touching the file: retry
	winCrossDevice             // rename across volumes: copy instead
	winExists                  // destination exists
	winNotExist                // file or folder missing
)

func classifyWinError(code uint64) winErrClass {
	switch code {
	case winErrorSharingViolation, winErrorLockViolation:
		return winBusy
	case winErrorAccessDenied:
		// Also what a rename of a file being deleted or scanned by
		// antivirus returns (golang/go src/cmd/go/internal/robustio).
		return winTransient
	case winErrorNotSameDevice:
		return winCrossDevice
	case winErrorFileExists, winErrorAlreadyExists:
		return winExists
	case winErrorFileNotFound, winErrorPathNotFound:
		return winNotExist
	}
	return winOther
}
