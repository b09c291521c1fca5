package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Exit statuses shared by every verb. Each verb's long help lists the ones
// it uses in its EXIT STATUS section.
const (
	exitOK       = 0 // nothing at or above the chosen severity; the verb succeeded
	exitSuspects = 1 // scan: suspects found; verify: mismatches found
	exitUsage    = 2 // bad usage or a fatal error
	exitFatal    = 2
	exitPartial  = 3 // finished, but some files could not be read or moved
)

// exitError carries an exit status and, optionally, an error to print with
// hint lines. Verbs return it from their run function:
//
//	return &exitError{code: exitSuspects}            // status 1, nothing printed
//	return &exitError{code: exitPartial, err: err}   // "mailroot: <err>", status 3
//	return withHint(err, "stop the SMTP service first")  // status 2 plus a hint
//
// Any other non-nil error is fatal: printed, status 2.
type exitError struct {
	code  int
	err   error    // nil: exit quietly with code
	hints []string // printed as "hint: ..." lines after the error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// usageErrorf returns a usage error (status 2).
func usageErrorf(format string, args ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, args...)}
}

// withHint wraps err (keeping its status if it is an *exitError, else
// status 2) and adds hint lines.
func withHint(err error, hints ...string) error {
	var ee *exitError
	if errors.As(err, &ee) {
		return &exitError{code: ee.code, err: ee.err, hints: append(append([]string(nil), ee.hints...), hints...)}
	}
	return &exitError{code: exitFatal, err: err, hints: hints}
}

// exitCode returns the status for a run function's result.
func exitCode(err error) int {
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	return exitFatal
}

// report prints err, if it has a message, and returns the exit status.
// Text mode: "mailroot: message" and "hint: ..." lines on stderr, lower case.
// JSON mode (--json): one {"kind":"error","message":...,"hints":[...],
// "exit_code":N} line on stdout (as restic's printExitError), so a consumer
// of the JSON stream sees why it ended; the text goes to stderr as well.
func report(e *env, err error) int {
	code := exitCode(err)
	if err == nil {
		return code
	}
	var ee *exitError
	msgErr, hints := err, []string(nil)
	if errors.As(err, &ee) {
		msgErr, hints = ee.err, ee.hints
	}
	if msgErr == nil {
		return code
	}
	msg := msgErr.Error()
	if errors.Is(msgErr, context.Canceled) {
		msg = "interrupted"
	}
	if e.json {
		type jsonError struct {
			Kind     string   `json:"kind"`
			Message  string   `json:"message"`
			Hints    []string `json:"hints,omitempty"`
			ExitCode int      `json:"exit_code"`
		}
		_ = newJSONLines(e.stdout).write(jsonError{Kind: "error", Message: msg, Hints: hints, ExitCode: code})
	}
	fmt.Fprintf(e.stderr, "mailroot: %s\n", sanitizeLine(strings.TrimSuffix(msg, ".")))
	for _, h := range hints {
		fmt.Fprintf(e.stderr, "hint: %s\n", sanitizeLine(h))
	}
	return code
}
