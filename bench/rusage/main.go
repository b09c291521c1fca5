// Command rusage runs a command and appends one TSV line to a file:
//
//	wall_seconds  user_seconds  sys_seconds  max_rss_kib  exit_status
//
// CPU time and peak RSS come from the child's rusage (wait4), which covers
// the child and every descendant it waited for; the peak is that of the
// largest single process. It replaces GNU time -v, which is not on every
// machine. The command's stdin, stdout and stderr are passed through; its
// exit status is recorded, not returned, so a scanner that exits 1 on
// suspects does not stop a "set -e" script.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"
)

func main() {
	out := flag.String("o", "", "append the measurement to `FILE` (default: stderr)")
	prefix := flag.String("p", "", "write `TEXT` and a tab before the measurement")
	flag.Parse()
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: rusage [-o FILE] [-p TEXT] -- command [args...]")
		os.Exit(2)
	}
	cmd := exec.Command(flag.Arg(0), flag.Args()[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	status := 0
	if err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			fmt.Fprintf(os.Stderr, "rusage: %v\n", err)
			os.Exit(2)
		}
		status = ee.ExitCode()
	}
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		fmt.Fprintln(os.Stderr, "rusage: no rusage on this system")
		os.Exit(2)
	}
	tv := func(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }
	line := fmt.Sprintf("%.3f\t%.3f\t%.3f\t%d\t%d\n", wall.Seconds(), tv(ru.Utime), tv(ru.Stime), maxRSSKiB(ru), status)
	if *prefix != "" {
		line = *prefix + "\t" + line
	}
	w := os.Stderr
	if *out != "" {
		f, err := os.OpenFile(*out, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			fmt.Fprintf(os.Stderr, "rusage: %v\n", err)
			os.Exit(2)
		}
		defer f.Close()
		w = f
	}
	if _, err := w.WriteString(line); err != nil {
		fmt.Fprintf(os.Stderr, "rusage: %v\n", err)
		os.Exit(2)
	}
}
