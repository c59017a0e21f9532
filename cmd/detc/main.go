// Command detc compiles detection rules written once in KQL plus YAML
// metadata into Elastic, CloudWatch Logs Insights and Athena, and proves each
// translation on sample events.
package main

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/spf13/pflag"

	"github.com/detc/detc/internal/suggest"
)

// command is one `detc` subcommand. Each lives in its own file and adds
// itself to the registry from an init function.
type command struct {
	// Name is the word after `detc`.
	Name string
	// Summary is the one line shown by `detc help`.
	Summary string
	// Usage is the full help text: synopsis, what it does, an example. The
	// flag list is appended to it.
	Usage string
	// Flags declares the command's flags on fs.
	Flags func(fs *pflag.FlagSet)
	// Run executes the command with the arguments left after flags, and
	// returns the exit code.
	Run func(env *runEnv, args []string) int
}

// runEnv is what a command runs against: its streams, so tests can drive
// the CLI in-process.
type runEnv struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Flags          *pflag.FlagSet
}

// Exit codes shared by all commands.
const (
	exitOK    = 0
	exitFail  = 1 // the work found problems (errors in rules, failing tests)
	exitUsage = 2 // the command line was wrong
)

var commands = map[string]*command{}

func register(c *command) {
	if _, dup := commands[c.Name]; dup {
		panic("detc: command registered twice: " + c.Name)
	}
	commands[c.Name] = c
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run dispatches a command line and returns the process exit code.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		if len(args) > 1 {
			if c, ok := commands[args[1]]; ok {
				printUsage(stdout, c)
				return exitOK
			}
		}
		printTopHelp(stdout)
		return exitOK
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "detc: unknown command %q\n", args[0])
		if s := suggest.Closest(args[0], commandNames()); s != "" {
			fmt.Fprintf(stderr, "did you mean %q?\n", s)
		}
		fmt.Fprintln(stderr, "run 'detc help' for the list of commands")
		return exitUsage
	}
	fs := newFlagSet(c)
	if err := fs.Parse(args[1:]); err != nil {
		if err == pflag.ErrHelp {
			printUsage(stdout, c)
			return exitOK
		}
		fmt.Fprintf(stderr, "detc %s: %v\nrun 'detc %s --help' for usage\n", c.Name, err, c.Name)
		return exitUsage
	}
	return c.Run(&runEnv{Stdin: stdin, Stdout: stdout, Stderr: stderr, Flags: fs}, fs.Args())
}

func newFlagSet(c *command) *pflag.FlagSet {
	fs := pflag.NewFlagSet("detc "+c.Name, pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.SortFlags = false
	if c.Flags != nil {
		c.Flags(fs)
	}
	return fs
}

func printUsage(w io.Writer, c *command) {
	fmt.Fprintln(w, strings.TrimRight(c.Usage, "\n"))
	fs := newFlagSet(c)
	if fs.HasFlags() {
		fmt.Fprintf(w, "\nFlags:\n%s", fs.FlagUsages())
	}
}

func commandNames() []string {
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func printTopHelp(w io.Writer) {
	fmt.Fprint(w, `detc compiles detection rules, written once as KQL plus YAML metadata, into
Elastic Security rules, CloudWatch Logs Insights queries and Athena SQL, and
proves every translation by running it on sample CloudTrail events.

Usage:
  detc <command> [flags] [arguments]

Commands:
`)
	for _, n := range commandNames() {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].Summary)
	}
	fmt.Fprint(w, `
Run 'detc <command> --help' for a command's flags and an example.
A typical pipeline:  detc check rules/ && detc test rules/ && detc compile rules/ -o out/
`)
}
