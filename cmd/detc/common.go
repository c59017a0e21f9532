package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/detc/detc/diag"
)

// defaultPaths is where detc looks for rules when none are given.
var defaultPaths = []string{"rules"}

func pathsOrDefault(args []string) []string {
	if len(args) > 0 {
		return args
	}
	return defaultPaths
}

// printDiags writes diagnostics for a person: each with its source line and
// caret, errors and warnings alike.
func printDiags(w io.Writer, diags diag.List) {
	for _, d := range diags {
		fmt.Fprintln(w, d.Pretty())
	}
}

// summary counts errors and warnings.
func summary(diags diag.List) (errs, warns int) {
	for _, d := range diags {
		if d.Severity == diag.Error {
			errs++
		} else {
			warns++
		}
	}
	return errs, warns
}

func plural(n int, word string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, word)
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// isTerminal reports whether f is a character device (a terminal), for
// colour and progress bars.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}

// sourceLine reads the line at p from its file, for diagnostics made after
// loading (the lint); "" when it cannot be read.
func sourceLine(p diag.Pos) string {
	if p.File == "" || p.Line < 1 {
		return ""
	}
	data, err := os.ReadFile(p.File)
	if err != nil {
		return ""
	}
	lines := strings.Split(string(data), "\n")
	if p.Line > len(lines) {
		return ""
	}
	return strings.TrimRight(lines[p.Line-1], "\r")
}
