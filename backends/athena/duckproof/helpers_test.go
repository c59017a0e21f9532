package duckproof

import (
	"bufio"
	"net/netip"
	"os"
	"strings"
	"testing"

	"github.com/detc/detc/catalog"
	"github.com/detc/detc/ir"
)

const shared = "../../../../shared/aws/samples/"

func readNDJSON(t testing.TB, path string) [][]byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out [][]byte
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<22)
	for sc.Scan() {
		if line := strings.TrimSpace(sc.Text()); line != "" {
			out = append(out, []byte(line))
		}
	}
	return out
}

func field(name string) ir.Field {
	f := ir.Field{Name: name, Type: ir.Keyword, Wildcard: strings.Contains(name, "*")}
	if cf, ok := catalog.Lookup(name); ok {
		f.Type, f.ESType = cf.Type, cf.ESType
	}
	return f
}

// kw is `name: "value"`, typed by the catalog.
func kw(name, value string) ir.Expr {
	f := field(name)
	v := ir.Value{Text: value, Quoted: true}
	switch f.Type {
	case ir.Boolean:
		v.Bool = value == "true"
	case ir.IP:
		if p, err := netip.ParsePrefix(value); err == nil {
			v.Prefix = p
		} else if a, err := netip.ParseAddr(value); err == nil {
			v.Prefix = netip.PrefixFrom(a, a.BitLen())
		}
	}
	return &ir.Term{Field: f, Value: v}
}

// wc is `name: piece*piece...`.
func wc(name string, pieces ...string) ir.Expr {
	return &ir.Term{Field: field(name), Value: ir.Value{Text: strings.Join(pieces, "*"), Wildcard: pieces}}
}

func exists(name string) ir.Expr { return &ir.Exists{Field: field(name)} }
func and(xs ...ir.Expr) ir.Expr  { return &ir.And{X: xs} }
func or(xs ...ir.Expr) ir.Expr   { return &ir.Or{X: xs} }
func not(x ir.Expr) ir.Expr      { return &ir.Not{X: x} }

func ids(as []ir.Alert) []string {
	var out []string
	for _, a := range as {
		out = append(out, a.String())
	}
	return out
}
