package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/pflag"

	"github.com/detc/detc/diag"
	"github.com/detc/detc/ir"
	"github.com/detc/detc/lower"
	"github.com/detc/detc/parser"
)

func init() {
	var asJSON, strict bool
	register(&command{
		Name:    "kql",
		Summary: "show how a KQL query is parsed, typed and lowered",
		Usage: `Usage: detc kql [flags] QUERY|-

Parses QUERY (or standard input with -) with Kibana's KQL grammar and prints
three views of it:

  syntax   the parse tree, one node per line, with line:col positions
  kql      the query printed back in canonical KQL
  ir       the lowered expression: value lists spread over their field,
           and/or flattened, every field typed from the field catalog
           (<text>, <ip>, <number>... after a field name; keyword is implied)

With --json it prints one JSON object {"query", "syntax", "kql", "ir",
"diagnostics"}; "ir" is the documented IR form: a tree of nodes with a
"kind" (and, or, not, all, term, range, exists, nested, text), "operands",
"field" {name, es_type, wildcard}, "type", "op" and "value" {text, quoted,
wildcard, number, bool, prefix}.

Examples:
  detc kql 'event.action: (CreateUser or CreateAccessKey) and not user.name: admin*'
  detc kql --json 'source.ip: 10.0.0.0/8' | jq .ir
  echo 'event.outcome: failure' | detc kql -`,
		Flags: func(fs *pflag.FlagSet) {
			fs.BoolVar(&asJSON, "json", false, "print one JSON object instead of text")
			fs.BoolVar(&strict, "strict", false, "treat unknown fields as errors")
		},
		Run: func(env *runEnv, args []string) int {
			if len(args) != 1 {
				fmt.Fprintln(env.Stderr, "detc kql: give one query (quote it), or - to read it from standard input")
				return exitUsage
			}
			query := args[0]
			if query == "-" {
				b, err := io.ReadAll(env.Stdin)
				if err != nil {
					fmt.Fprintln(env.Stderr, "detc kql:", err)
					return exitFail
				}
				query = strings.TrimRight(string(b), "\n")
			}
			return explainQuery(env, query, asJSON, strict)
		},
	})
}

func explainQuery(env *runEnv, query string, asJSON, strict bool) int {
	q, err := parser.Parse(query)
	if err != nil {
		d := diag.Diagnostic{Code: "kql-syntax", Msg: err.Error()}
		if se, ok := err.(*parser.SyntaxError); ok {
			d.Pos = diag.Pos{Line: se.Line, Col: se.Col}
			d.Msg, d.Hint = se.Msg, se.Hint
			d.Line = lineOf(query, se.Line)
		}
		fmt.Fprintln(env.Stderr, d.Pretty())
		return exitFail
	}
	expr, diags := lower.Lower(q, lower.Options{Strict: strict})
	for i := range diags {
		diags[i].Line = lineOf(query, diags[i].Pos.Line)
	}
	var syntax string
	if q.Expr != nil {
		syntax = parser.Dump(q.Expr)
	}
	if asJSON {
		irJSON := json.RawMessage("null")
		if expr != nil {
			b, err := ir.MarshalExpr(expr)
			if err != nil {
				fmt.Fprintln(env.Stderr, "detc kql:", err)
				return exitFail
			}
			irJSON = b
		}
		type jd struct {
			diag.Diagnostic
			Severity string `json:"severity"`
		}
		ds := []jd{}
		for _, d := range diags {
			ds = append(ds, jd{d, d.Severity.String()})
		}
		b, err := marshalIndent(map[string]any{
			"query": query, "syntax": syntax, "kql": parser.Format(q), "ir": irJSON, "diagnostics": ds,
		})
		if err != nil {
			fmt.Fprintln(env.Stderr, "detc kql:", err)
			return exitFail
		}
		env.Stdout.Write(b)
	} else {
		fmt.Fprintf(env.Stdout, "syntax:\n%s\n", indent(syntax))
		fmt.Fprintf(env.Stdout, "kql:\n%s\n", indent(parser.Format(q)))
		if expr != nil {
			fmt.Fprintf(env.Stdout, "ir:\n%s\n", indent(ir.String(expr)))
		}
		printDiags(env.Stderr, diags)
	}
	if diags.HasErrors() {
		return exitFail
	}
	return exitOK
}

func indent(s string) string {
	if s == "" {
		return "  (empty: matches every document)"
	}
	return "  " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n  ")
}

func lineOf(text string, line int) string {
	lines := strings.Split(text, "\n")
	if line >= 1 && line <= len(lines) {
		return lines[line-1]
	}
	return ""
}
