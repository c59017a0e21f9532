package rulefile

import (
	"errors"
	"strings"

	"github.com/detc/detc/diag"

	"github.com/detc/detc/ir"
	"github.com/detc/detc/lower"
	"github.com/detc/detc/parser"
)

// query parses and lowers the rule's KQL, reporting errors at their
// position in the rule file.
func (d *decoder) query(e *entry, text string) ir.Expr {
	at := scalarPositions(d.file, d.lines, e.value, text)
	// An error at the end of the query points just after its last
	// character, not past the line break a YAML block scalar adds.
	end := len(strings.TrimRight(text, " \t\r\n"))
	pos := func(offset int) diag.Pos { return at(min(offset, end)) }
	q, err := parser.Parse(text)
	if err != nil {
		var se *parser.SyntaxError
		if errors.As(err, &se) {
			hint := se.Hint
			if hint == "" {
				hint = queryHint
			}
			d.errorf(pos(se.Pos.Offset), "kql-syntax", "query", se.Msg, hint)
		} else {
			d.errorf(d.pos(e.value), "kql-syntax", "query", err.Error(), queryHint)
		}
		return nil
	}
	expr, diags := lower.Lower(q, lower.Options{Pos: pos, Strict: d.strict})
	for _, dg := range diags {
		dg.Key = "query"
		dg.Line = d.lineText(dg.Pos.Line)
		d.diags.Add(dg)
	}
	return expr
}

const queryHint = "KQL follows Kibana's grammar; quote values that hold spaces or special characters, e.g. field: \"a b\""
