package rulefile

import (
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/detc/detc/diag"
)

// scalarPositions maps each byte offset of a scalar's value to the file
// position of the character it came from, so that an error inside a
// query points at the right line and column of the rule file whatever
// the YAML style (plain, quoted, literal | or folded >).
//
// It aligns the value with the source text greedily: whitespace in the
// source that is not in the value (indentation, folded line breaks) is
// skipped, and so are escape characters of quoted styles.
func scalarPositions(file string, lines []string, n *yaml.Node, value string) func(offset int) diag.Pos {
	type lc struct{ line, col int }
	// The source from the scalar's first content character on.
	startLine, startCol := n.Line, n.Column
	switch n.Style {
	case yaml.LiteralStyle, yaml.FoldedStyle:
		startLine, startCol = n.Line+1, 1
	case yaml.DoubleQuotedStyle, yaml.SingleQuotedStyle:
		startCol++
	}
	var src []rune
	var at []lc
	for l := startLine; l >= 1 && l <= len(lines); l++ {
		col := 1
		for i, r := range lines[l-1] {
			_ = i
			if l == startLine && col < startCol {
				col++
				continue
			}
			src = append(src, r)
			at = append(at, lc{l, col})
			col++
		}
		src = append(src, '\n')
		at = append(at, lc{l, col})
	}
	offsets := make([]lc, len(value)+1)
	sp := 0
	last := lc{startLine, startCol}
	for i, r := range value {
		space := r == ' ' || r == '\n' || r == '\t'
		for sp < len(src) && src[sp] != r {
			if space && (src[sp] == ' ' || src[sp] == '\n' || src[sp] == '\t') {
				break // a folded line break or a tab standing for the value's space
			}
			sp++
		}
		if sp < len(src) {
			last = at[sp]
			sp++
		}
		for j := i; j < i+utf8.RuneLen(r) && j < len(offsets); j++ {
			offsets[j] = last
		}
	}
	end := last
	end.col++
	offsets[len(value)] = end
	return func(offset int) diag.Pos {
		if offset < 0 {
			offset = 0
		}
		if offset > len(value) {
			offset = len(value)
		}
		p := offsets[offset]
		return diag.Pos{File: file, Line: p.line, Col: p.col}
	}
}
