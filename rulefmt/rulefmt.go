// Package rulefmt rewrites detc rule files in their canonical form (key
// order, 2-space indentation, block styles, a pretty-printed query) without
// losing a comment or changing a value; `detc fmt` is built on it.
package rulefmt

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/detc/detc/ir"
	"github.com/detc/detc/lower"
	"github.com/detc/detc/parser"
	"github.com/detc/detc/rulefile"
)

// DefaultWidth is the column that folded text and the query are broken
// to fit.
const DefaultWidth = 80

// indent is the indentation of every nesting level.
const indent = 2

// Options configure Format.
type Options struct {
	// Width is the line width for folded text and the query
	// (DefaultWidth when zero).
	Width int
}

// Result is a formatted rule file.
type Result struct {
	// Out is the canonical text.
	Out []byte
	// QueryKept is set when the query was left as the author wrote it,
	// because it does not parse or because the pretty-printed text would
	// not lower to the same IR; QueryReason says which.
	QueryKept   bool
	QueryReason string
}

// subKeyOrder orders the keys of the nested mappings, as docs/rules.md
// lists them (rulefile keeps its own copies unexported).
var subKeyOrder = map[string][]string{
	"new_terms":    {"fields", "history_window_start"},
	"threshold":    {"field", "value", "cardinality"},
	"cardinality":  {"field", "value"},
	"threat":       {"framework", "tactic", "technique"},
	"tactic":       {"id", "name", "reference"},
	"technique":    {"id", "name", "reference", "subtechnique"},
	"subtechnique": {"id", "name", "reference"},
}

// Format returns the canonical form of a rule file:
//
//   - top-level keys in rulefile.KeyOrder, the keys of new_terms,
//     threshold and threat entries in the order docs/rules.md gives; keys
//     that are not known keep their relative order after the known ones;
//   - 2-space indentation, every mapping and list in block style;
//   - query, note and setup as literal blocks (|), folded text (>) refolded
//     to Width, description folded when it does not fit on its line;
//   - the query pretty-printed (parser.Pretty, broken at and/or) when the
//     printed text lowers to the same IR as the author's, else kept;
//   - other scalars keep the style (plain, quoted) the author chose.
//
// Comments stay with the key or item they are attached to. Format checks
// its output: it must decode to the same values (the query to the same
// IR) and hold every comment of the input, else it returns an error and
// the file should be left alone.
func Format(src []byte, opts Options) (Result, error) {
	res, err := formatOnce(src, opts)
	if err != nil {
		return Result{}, err
	}
	// yaml.v3 can attach a comment differently when it reads the output
	// back (a blank line appears before a foot comment, say), so the
	// output is formatted again until it stops changing: Format(Format(x))
	// == Format(x) by construction.
	for range maxPasses {
		again, err := formatOnce(res.Out, opts)
		if err != nil {
			return Result{}, fmt.Errorf("the formatted file is refused on a second pass, left alone: %w", err)
		}
		if bytes.Equal(again.Out, res.Out) {
			if err := verify(src, res.Out); err != nil {
				return Result{}, fmt.Errorf("formatting would change the file's meaning, left alone: %w", err)
			}
			return res, nil
		}
		res.Out = again.Out
	}
	return Result{}, errors.New("formatting does not settle (yaml.v3 moves a comment on every pass), left alone")
}

// maxPasses bounds how often Format re-formats its own output.
const maxPasses = 4

// formatOnce is one formatting pass.
func formatOnce(src []byte, opts Options) (Result, error) {
	width := opts.Width
	if width <= 0 {
		width = DefaultWidth
	}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(src))
	if err := dec.Decode(&doc); err != nil {
		return Result{}, fmt.Errorf("not valid YAML: %w", err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return Result{}, errors.New("the file holds more than one YAML document")
	}
	if len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return Result{}, errors.New("a rule file is a YAML mapping of keys (id, name, query, ...)")
	}
	root := doc.Content[0]
	var res Result
	reorder(root, rulefile.KeyOrder())
	blockStyle(root, "")
	if q := mapValue(root, "query"); q != nil && q.Kind == yaml.ScalarNode {
		text, kept, reason := prettyQuery(q.Value, width-indent)
		res.QueryKept, res.QueryReason = kept, reason
		if !kept {
			q.Value = text + "\n"
		}
		q.Style = yaml.LiteralStyle
	}
	for _, key := range []string{"note", "setup"} {
		if n := mapValue(root, key); n != nil && n.Kind == yaml.ScalarNode && n.Value != "" {
			n.Style = yaml.LiteralStyle
		}
	}
	if n := mapValue(root, "description"); n != nil && n.Kind == yaml.ScalarNode && n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) == 0 &&
		len("description: ")+len(n.Value) > width {
		n.Style = yaml.FoldedStyle
	}
	out, err := encode(&doc, width)
	if err != nil {
		return Result{}, err
	}
	if err := verify(src, out); err != nil {
		return Result{}, fmt.Errorf("formatting would change the file's meaning, left alone: %w", err)
	}
	res.Out = out
	return res, nil
}

// PrettyQuery returns the query text as Format writes it in a file of the
// given width (the query block is indented, so the text gets width minus
// the indentation): parser.Pretty's output when it lowers to the same IR as
// text, else text unchanged, with the reason.
func PrettyQuery(text string, width int) (out string, kept bool, reason string) {
	if width <= 0 {
		width = DefaultWidth
	}
	return prettyQuery(text, width-indent)
}

func prettyQuery(text string, width int) (string, bool, string) {
	q, err := parser.Parse(text)
	if err != nil {
		return text, true, "the query does not parse: " + err.Error()
	}
	if q.Expr == nil {
		return text, true, "the query is empty"
	}
	pretty := parser.Pretty(q, width)
	want, diags := lower.Lower(q, lower.Options{})
	if diags.HasErrors() {
		return text, true, "the query does not lower: " + diags.Errors()[0].Msg
	}
	got, diags := lower.Query(pretty, lower.Options{})
	if diags.HasErrors() || !ir.Equal(want, got) {
		return text, true, "the printed query would not lower to the same IR"
	}
	return pretty, false, ""
}

// reorder sorts the entries of a mapping node by order; unknown keys
// follow in their original order. Comments travel with their key.
func reorder(m *yaml.Node, order []string) {
	rank := func(key string) int {
		if i := slices.Index(order, key); i >= 0 {
			return i
		}
		return len(order)
	}
	type entry = struct{ k, v *yaml.Node }
	entries := make([]entry, 0, len(m.Content)/2)
	for i := 0; i+1 < len(m.Content); i += 2 {
		entries = append(entries, entry{m.Content[i], m.Content[i+1]})
	}
	if len(entries) == 0 {
		return
	}
	last := entries[len(entries)-1]
	slices.SortStableFunc(entries, func(a, b entry) int { return rank(a.k.Value) - rank(b.k.Value) })
	m.Content = m.Content[:0]
	for _, e := range entries {
		m.Content = append(m.Content, e.k, e.v)
	}
	// A foot comment ends its mapping; yaml.v3 reads one written between
	// two entries as the head comment of the next. So the foot comment of
	// the entry that was last moves to the entry that is last now, and
	// any other becomes the head comment of the entry that follows.
	newLast := entries[len(entries)-1]
	for i, e := range entries {
		foot := takeFoot(e)
		if foot == "" {
			continue
		}
		switch {
		case e == last && e != newLast:
			newLast.k.FootComment = joinComments(takeFoot(newLast), foot)
		case i+1 < len(entries):
			next := entries[i+1].k
			next.HeadComment = joinComments(foot, next.HeadComment)
		default:
			e.k.FootComment = foot
		}
	}
}

// takeFoot removes and returns the foot comments of an entry's key and of
// its value when that is a scalar.
func takeFoot(e struct{ k, v *yaml.Node }) string {
	foot := e.k.FootComment
	e.k.FootComment = ""
	if e.v.Kind == yaml.ScalarNode || e.v.Kind == yaml.AliasNode {
		foot = joinComments(foot, e.v.FootComment)
		e.v.FootComment = ""
	}
	return foot
}

func joinComments(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "\n" + b
}

// blockStyle puts every collection under n in block style and orders the
// keys of the known nested mappings; key is the key n is the value of.
func blockStyle(n *yaml.Node, key string) {
	switch n.Kind {
	case yaml.MappingNode:
		if n.Style&yaml.FlowStyle != 0 {
			n.Style &^= yaml.FlowStyle
		}
		if order, ok := subKeyOrder[key]; ok {
			reorder(n, order)
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if v.Style&yaml.FlowStyle != 0 && v.LineComment != "" && k.LineComment == "" {
				// `key: [a, b] # c`: yaml.v3 would print the comment of
				// the collection, once in block style, after the next
				// key; it belongs on this key's line.
				k.LineComment, v.LineComment = v.LineComment, ""
			}
			blockStyle(v, k.Value)
		}
	case yaml.SequenceNode:
		n.Style &^= yaml.FlowStyle
		for _, c := range n.Content {
			// A list's items are ordered as their list's key says
			// (threat entries, techniques, cardinality conditions).
			blockStyle(c, key)
		}
	}
}

func mapValue(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// encode writes the document with 2-space indentation. yaml.v3 writes
// folded scalars on one line, whatever their length, so each folded
// scalar that can be refolded is written as a placeholder and replaced by
// its folded lines afterwards.
func encode(doc *yaml.Node, width int) ([]byte, error) {
	folds := map[string]*yaml.Node{}
	var nonce int
	for bytes.Contains(mustMarshalValues(doc), placeholder(nonce, 0)) {
		nonce++
	}
	var mark func(n *yaml.Node)
	mark = func(n *yaml.Node) {
		if n.Kind == yaml.ScalarNode && n.Style&yaml.FoldedStyle != 0 && foldable(n.Value) {
			p := string(placeholder(nonce, len(folds)))
			folds[p] = &yaml.Node{Value: n.Value}
			n.Value, n.Style, n.Tag = p, 0, "!!str"
			return
		}
		for _, c := range n.Content {
			mark(c)
		}
	}
	mark(doc)
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(indent)
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	if len(folds) == 0 {
		return trimEnd(b.Bytes()), nil
	}
	var out bytes.Buffer
	for _, line := range strings.SplitAfter(b.String(), "\n") {
		i := strings.Index(line, "RULEFMTFOLD")
		if i < 0 {
			out.WriteString(line)
			continue
		}
		j := i
		for j < len(line) && line[j] != ' ' && line[j] != '\n' {
			j++
		}
		n, ok := folds[line[i:j]]
		if !ok {
			return nil, fmt.Errorf("internal error: unknown placeholder in %q", line)
		}
		head := line[:i]
		out.WriteString(head)
		value := n.Value
		if strings.HasSuffix(value, "\n") {
			out.WriteString(">")
			value = value[:len(value)-1]
		} else {
			out.WriteString(">-")
		}
		out.WriteString(strings.TrimRight(line[j:], "\n"))
		out.WriteByte('\n')
		for _, l := range fold(value, contentIndent(head), width) {
			out.WriteString(l)
			out.WriteByte('\n')
		}
	}
	return trimEnd(out.Bytes()), nil
}

// trimEnd ends the text with exactly one newline (yaml.v3 adds an empty
// line after a final foot comment).
func trimEnd(b []byte) []byte {
	return append(bytes.TrimRight(b, "\n"), '\n')
}

func placeholder(nonce, i int) []byte {
	return fmt.Appendf(nil, "RULEFMTFOLD%dX%d", nonce, i)
}

// mustMarshalValues collects the scalar values of a tree, to choose a
// placeholder that no value contains.
func mustMarshalValues(n *yaml.Node) []byte {
	var b bytes.Buffer
	var walk func(*yaml.Node)
	walk = func(n *yaml.Node) {
		b.WriteString(n.Value)
		b.WriteString(n.HeadComment + n.LineComment + n.FootComment)
		b.WriteByte(0)
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(n)
	return b.Bytes()
}

// contentIndent is the indentation of a block scalar's lines whose
// header line starts with head ("  key: ", "  - ", "  - key: ").
func contentIndent(head string) int {
	n := len(head) - len(strings.TrimLeft(head, " "))
	rest := head[n:]
	for strings.HasPrefix(rest, "- ") {
		n += 2
		rest = rest[2:]
	}
	if strings.TrimSpace(rest) != "" {
		n += indent
	}
	if n == 0 {
		n = indent
	}
	return n
}

// foldable reports whether a value can be written as a folded block
// scalar by fold: printable text, lines that neither start nor end with
// whitespace, no empty first or last line, at most one final newline.
func foldable(v string) bool {
	body := strings.TrimSuffix(v, "\n")
	if body == "" || strings.HasSuffix(body, "\n") || strings.HasPrefix(body, "\n") {
		return false
	}
	for _, r := range body {
		if r != '\n' && (r < ' ' || r == 0x7f || r == 0xfeff || (r >= 0x80 && r < 0xa0) || r == 0x2028 || r == 0x2029) {
			return false
		}
	}
	for _, l := range strings.Split(body, "\n") {
		if l != strings.TrimSpace(l) {
			return false
		}
	}
	return true
}

// fold writes a foldable value as the lines of a folded block scalar at
// the given indentation: each text line is broken at single spaces to fit
// width, and each newline of the value becomes an empty line.
func fold(v string, ind, width int) []string {
	pad := strings.Repeat(" ", ind)
	var out []string
	for i, l := range strings.Split(v, "\n") {
		if i > 0 {
			out = append(out, "")
		}
		if l == "" {
			continue
		}
		words := splitSingleSpaces(l)
		line := pad
		for j, w := range words {
			if j > 0 && len(line)+1+len(w) > width {
				out = append(out, line)
				line = pad + w
				continue
			}
			if j > 0 {
				line += " "
			}
			line += w
		}
		out = append(out, line)
	}
	return out
}

// splitSingleSpaces splits l at spaces that stand alone (a run of spaces
// stays inside a word, since folding a line break gives back one space).
func splitSingleSpaces(l string) []string {
	var words []string
	start := 0
	for i := 1; i+1 < len(l); i++ {
		if l[i] == ' ' && l[i-1] != ' ' && l[i+1] != ' ' {
			words = append(words, l[start:i])
			start = i + 1
		}
	}
	return append(words, l[start:])
}

// verify checks that out holds the values and the comments of src: the
// same data once decoded (the query compared by its IR) and every comment.
func verify(src, out []byte) error {
	var a, b map[string]any
	if err := yaml.Unmarshal(src, &a); err != nil {
		return err
	}
	if err := yaml.Unmarshal(out, &b); err != nil {
		return fmt.Errorf("the output is not valid YAML: %w", err)
	}
	qa, _ := a["query"].(string)
	qb, _ := b["query"].(string)
	if qa != qb {
		ea, da := lower.Query(qa, lower.Options{})
		eb, db := lower.Query(qb, lower.Options{})
		if da.HasErrors() || db.HasErrors() || !ir.Equal(ea, eb) {
			return errors.New("the query would change")
		}
		delete(a, "query")
		delete(b, "query")
	}
	if !reflect.DeepEqual(a, b) {
		for k := range a {
			if !reflect.DeepEqual(a[k], b[k]) {
				return fmt.Errorf("the value of %s would change", k)
			}
		}
		return errors.New("the keys would change")
	}
	ca, cb := comments(src), comments(out)
	for c, n := range ca {
		if cb[c] < n {
			return fmt.Errorf("the comment %q would be lost", c)
		}
	}
	return nil
}

// comments counts the comment lines of a YAML text, as yaml.v3 reads them.
func comments(src []byte) map[string]int {
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return nil
	}
	m := map[string]int{}
	var walk func(*yaml.Node)
	walk = func(n *yaml.Node) {
		for _, c := range []string{n.HeadComment, n.LineComment, n.FootComment} {
			for _, l := range strings.Split(c, "\n") {
				if l = strings.TrimSpace(l); l != "" {
					m[l]++
				}
			}
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(&doc)
	return m
}
