//go:generate go run . gendoc doc.go

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
)

// version is the tool version; release builds set it with
// -ldflags "-X main.version=v1.2.3".
var version = "devel"

// command is one verb of mailroot: an entry of the command table.
//
// Other files add verbs WITHOUT editing this file, from an init function:
//
//	func init() {
//		register(&command{
//			Name:  "quarantine",
//			Args:  "list|show|restore|verify|recover [flags] [ID...]",
//			Short: "manage the quarantine store",
//			Long:  `...long help ending in an EXIT STATUS section...`,
//			Setup: func(fs *flag.FlagSet, e *env) runFunc {
//				var o quarantineOptions
//				e.addJSONFlag(fs)            // --json, and JSON errors
//				fs.StringVar(&o.dir, "quarantine", "", "store `DIR`")
//				return func(ctx context.Context, args []string) error {
//					return runQuarantine(ctx, e, &o, args)
//				}
//			},
//		})
//	}
//
// Setup is called once per invocation on a fresh FlagSet; flags may come
// before or after positional arguments (see parseArgs). The run function
// returns nil for exit status 0, an *exitError for another status (see
// exit.go), or any other error, which is a fatal error (status 2).
// After `go generate ./cmd/mailroot`, doc.go holds the refreshed manual.
type command struct {
	Name  string // the verb, lower case
	Args  string // synopsis after the verb, e.g. "[flags] PATH..."
	Short string // one line, lower case, no final period
	Long  string // paragraphs; must end with an "EXIT STATUS" section
	// Setup registers the verb's flags and returns the function that runs it.
	Setup func(fs *flag.FlagSet, e *env) runFunc
	// Hidden verbs are left out of the overview (aliases).
	Hidden bool
}

// runFunc runs a verb with the positional arguments left after flag parsing.
type runFunc func(ctx context.Context, args []string) error

// commands is the command table, filled by register from init functions.
var commands []*command

// register adds a verb to the command table. It panics on a duplicate name,
// which is a programmer error.
func register(c *command) {
	for _, d := range commands {
		if d.Name == c.Name {
			panic("mailroot: duplicate command " + c.Name)
		}
	}
	commands = append(commands, c)
	sort.Slice(commands, func(i, j int) bool { return commands[i].Name < commands[j].Name })
}

// lookup finds a verb by name.
func lookup(name string) *command {
	for _, c := range commands {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// env is what a verb needs from the process: its streams and the output
// mode. Tests run the whole tool in-process through run with their own env.
type env struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	// json is set by --json (see addJSONFlag); errors are then printed as a
	// {"kind":"error"} line on stdout.
	json bool
	// stderrTerminal says whether stderr is a terminal (progress bars);
	// stdoutTerminal the same for stdout (no raw message bytes to a terminal).
	stderrTerminal bool
	stdoutTerminal bool
}

// addJSONFlag registers --json, which also switches error output to JSON.
func (e *env) addJSONFlag(fs *flag.FlagSet) {
	fs.BoolVar(&e.json, "json", false, "print JSON Lines instead of text")
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	e := &env{
		stdin:          os.Stdin,
		stdout:         os.Stdout,
		stderr:         os.Stderr,
		stderrTerminal: isTerminal(os.Stderr),
		stdoutTerminal: isTerminal(os.Stdout),
	}
	code := run(ctx, e, os.Args[1:])
	stop()
	os.Exit(code)
}

// run runs one mailroot invocation and returns its exit status.
//
// Every verb writes stdout through one errWriter: if the output cannot be
// written (a full disk, a closed pipe), the run ends with status 2 and
// "mailroot: write output: ..." on stderr, whatever the verb returned, so
// that a report that was not delivered never looks delivered.
func run(ctx context.Context, e *env, args []string) int {
	out := &errWriter{w: e.stdout}
	e2 := *e
	e2.stdout = out
	return outputChecked(&e2, out, runVerb(ctx, &e2, args))
}

// outputChecked turns a run's status into status 2 with a message when
// the output could not be written.
func outputChecked(e *env, out *errWriter, code int) int {
	if out.err == nil || code == exitFatal {
		return code // no failure, or already reported (a verb that saw it says "write output" itself)
	}
	e.json = false // stdout is broken: the message goes to stderr only
	return report(e, out.err)
}

// runVerb is run without the check of the output.
func runVerb(ctx context.Context, e *env, args []string) int {
	if len(args) == 0 {
		printOverview(e.stderr)
		return exitUsage
	}
	name := args[0]
	switch name {
	case "-h", "-help", "--help":
		printOverview(e.stdout)
		return exitOK
	case "-version", "--version":
		name = "version"
	}
	c := lookup(name)
	if c == nil {
		fmt.Fprintf(e.stderr, "mailroot: unknown command %q\n", name)
		fmt.Fprintf(e.stderr, "hint: run \"mailroot help\" for the list of commands\n")
		return exitUsage
	}
	fs := flag.NewFlagSet("mailroot "+c.Name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	runner := c.Setup(fs, e)
	pos, err := parseArgs(fs, args[1:])
	if errors.Is(err, flag.ErrHelp) {
		printCommandHelp(e.stdout, c)
		return exitOK
	}
	if err != nil {
		// Parsing stopped at the bad flag: a --json after it still asks
		// for the error as JSON (a script reads stdout).
		if fs.Lookup("json") != nil && wantsJSON(args[1:]) {
			e.json = true
		}
		return report(e, &exitError{code: exitUsage, err: err, hints: []string{
			fmt.Sprintf("usage: mailroot %s %s", c.Name, c.Args),
			fmt.Sprintf("run \"mailroot %s -h\" for the flags", c.Name),
		}})
	}
	return report(e, runner(ctx, pos))
}

// wantsJSON reports whether a command line asks for --json (before any
// "--"), for the error of a line that did not parse.
func wantsJSON(args []string) bool {
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "-json", "--json", "-json=true", "--json=true":
			return true
		}
	}
	return false
}

// parseArgs parses flags anywhere on the command line, because admins type
// them last ("mailroot scan D:\mailroot --json"): the standard flag package
// stops at the first positional argument, so parsing resumes after each.
// "--" ends flag parsing; everything after it is positional. Both -flag and
// --flag spellings work.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			return append(pos, rest...), nil
		}
		if len(rest) == 0 {
			return pos, nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// printOverview prints the list of verbs.
func printOverview(w io.Writer) {
	fmt.Fprint(w, overview())
}

func overview() string {
	var b strings.Builder
	b.WriteString("mailroot finds, quarantines, repairs and replays the messages that crash-loop\n")
	b.WriteString("IIS SMTP and Exchange mail queues.\n\n")
	b.WriteString("Usage:\n\n\tmailroot <command> [flags] [arguments]\n\nCommands:\n\n")
	for _, c := range commands {
		if c.Hidden {
			continue
		}
		fmt.Fprintf(&b, "\t%-11s %s\n", c.Name, c.Short)
	}
	b.WriteString("\nRun \"mailroot help <command>\" or \"mailroot <command> -h\" for details.\n")
	return b.String()
}

// printCommandHelp prints a verb's synopsis, long help and flags.
func printCommandHelp(w io.Writer, c *command) {
	fmt.Fprint(w, commandHelp(c))
}

func commandHelp(c *command) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n\n", strings.TrimSpace("usage: mailroot "+c.Name+" "+c.Args))
	b.WriteString(strings.TrimSpace(c.Long))
	b.WriteString("\n")
	if f := flagHelp(c); f != "" {
		b.WriteString("\nFLAGS\n")
		b.WriteString(f)
	}
	return b.String()
}

// flagHelp lists a verb's flags, GNU style (--name).
func flagHelp(c *command) string {
	fs := flag.NewFlagSet(c.Name, flag.ContinueOnError)
	c.Setup(fs, &env{})
	var b strings.Builder
	fs.VisitAll(func(f *flag.Flag) {
		name, usage := flag.UnquoteUsage(f)
		dash := "--"
		if len(f.Name) == 1 {
			dash = "-"
		}
		fmt.Fprintf(&b, "  %s%s", dash, f.Name)
		if name != "" {
			fmt.Fprintf(&b, " %s", name)
		}
		b.WriteString("\n    \t")
		b.WriteString(strings.ReplaceAll(usage, "\n", "\n    \t"))
		if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" && f.DefValue != "[]" {
			fmt.Fprintf(&b, " (default %s)", f.DefValue)
		}
		b.WriteString("\n")
	})
	return b.String()
}

func init() {
	register(&command{
		Name:  "help",
		Args:  "[command]",
		Short: "show help for mailroot or one command",
		Long: `
Help prints the list of commands, or the manual page of one command.

EXIT STATUS
  0  help was printed
  2  the command is unknown, or the output could not be written`,
		Setup: func(fs *flag.FlagSet, e *env) runFunc {
			return func(ctx context.Context, args []string) error {
				switch len(args) {
				case 0:
					printOverview(e.stdout)
					return nil
				case 1:
					c := lookup(args[0])
					if c == nil {
						return usageErrorf("unknown command %q", args[0])
					}
					printCommandHelp(e.stdout, c)
					return nil
				}
				return usageErrorf("help takes at most one command name")
			}
		},
	})
	register(&command{
		Name:  "version",
		Args:  "",
		Short: "print the mailroot version",
		Long: `
Version prints the version of mailroot and of the Go toolchain that built it.

EXIT STATUS
  0  the version was printed
  2  the output could not be written`,
		Setup: func(fs *flag.FlagSet, e *env) runFunc {
			return func(ctx context.Context, args []string) error {
				if len(args) > 0 {
					return usageErrorf("version takes no arguments")
				}
				fmt.Fprintf(e.stdout, "mailroot %s (%s)\n", toolVersion(), goVersion())
				return nil
			}
		},
	})
}
