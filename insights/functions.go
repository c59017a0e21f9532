package insights

import (
	"bytes"
	"encoding/json"
	"net/netip"
	"strings"
	"time"
)

// scalarFunc is a documented Logs Insights function evaluated per row.
type scalarFunc struct {
	minArgs, maxArgs int
	fn               func(r *row, args []value) value
}

// scalarFuncs holds the functions the interpreter implements, by lower-case
// name (function names are matched case-insensitively, as the docs write
// both isIpInSubnet and ispresent).
var scalarFuncs = map[string]scalarFunc{
	"ispresent": {1, 1, func(_ *row, a []value) value { return boolVal(a[0].present()) }},
	"isempty": {1, 1, func(_ *row, a []value) value {
		s, ok := a[0].text()
		return boolVal(!a[0].present() || (ok && s == ""))
	}},
	"isblank": {1, 1, func(_ *row, a []value) value {
		s, ok := a[0].text()
		return boolVal(!a[0].present() || (ok && strings.TrimSpace(s) == ""))
	}},
	"coalesce": {1, 100, func(_ *row, a []value) value {
		for _, v := range a {
			if v.present() {
				return v
			}
		}
		return null
	}},
	"tolower": {1, 1, stringFunc(strings.ToLower)},
	"toupper": {1, 1, stringFunc(strings.ToUpper)},
	"strlen": {1, 1, func(_ *row, a []value) value {
		s, ok := a[0].text()
		if !ok {
			return null
		}
		return numVal(float64(len([]rune(s))))
	}},
	"concat": {1, 100, func(_ *row, a []value) value {
		var b strings.Builder
		for _, v := range a {
			s, _ := v.text()
			b.WriteString(s)
		}
		return strVal(b.String())
	}},
	// strcontains(str, searchValue[, caseInsensitive]) returns 1 or 0.
	"strcontains": {2, 3, func(_ *row, a []value) value {
		s, ok1 := a[0].text()
		sub, ok2 := a[1].text()
		if !ok1 || !ok2 {
			return null
		}
		if len(a) == 3 && a[2].truth() {
			s, sub = strings.ToLower(s), strings.ToLower(sub)
		}
		return oneZero(strings.Contains(s, sub))
	}},
	"startswith":     {2, 2, stringTest(strings.HasPrefix)},
	"endswith":       {2, 2, stringTest(strings.HasSuffix)},
	"isipinsubnet":   {2, 2, subnetFunc(func(netip.Addr) bool { return true })},
	"isipv4insubnet": {2, 2, subnetFunc(netip.Addr.Is4)},
	"isipv6insubnet": {2, 2, subnetFunc(func(a netip.Addr) bool { return a.Is6() && !a.Is4In6() })},
	"isvalidip":      {1, 1, ipTest(func(netip.Addr) bool { return true })},
	"isvalidipv4":    {1, 1, ipTest(netip.Addr.Is4)},
	"isvalidipv6":    {1, 1, ipTest(netip.Addr.Is6)},
	// toMillis converts a timestamp to epoch milliseconds.
	"tomillis": {1, 1, func(_ *row, a []value) value {
		if a[0].k != kTime {
			return null
		}
		return numVal(float64(a[0].t.UnixMilli()))
	}},
	// parseDate(str, pattern[, timezone]) reads a date with a Java
	// DateTimeFormatter pattern and returns epoch milliseconds.
	"parsedate": {2, 3, func(_ *row, a []value) value {
		s, ok1 := a[0].text()
		pattern, ok2 := a[1].text()
		if !ok1 || !ok2 || a[0].k != kString {
			return null
		}
		layout, ok := javaLayout(pattern)
		if !ok {
			return null
		}
		loc := time.UTC
		if len(a) == 3 {
			name, _ := a[2].text()
			l, err := time.LoadLocation(name)
			if err != nil {
				return null
			}
			loc = l
		}
		t, err := time.ParseInLocation(layout, s, loc)
		if err != nil {
			return null
		}
		return numVal(float64(t.UnixMilli()))
	}},
	// jsonParse turns a JSON string into a map or a list.
	"jsonparse": {1, 1, func(_ *row, a []value) value {
		s, ok := a[0].text()
		if !ok {
			return null
		}
		dec := json.NewDecoder(bytes.NewReader([]byte(s)))
		dec.UseNumber()
		var x any
		if dec.Decode(&x) != nil {
			return null
		}
		return fromJSON(x)
	}},
}

// javaLayouts maps Java DateTimeFormatter letters to Go layout elements,
// longest first.
var javaLayouts = []struct{ java, goLayout string }{
	{"yyyy", "2006"}, {"yy", "06"}, {"MMMM", "January"}, {"MMM", "Jan"}, {"MM", "01"}, {"M", "1"},
	{"dd", "02"}, {"d", "2"}, {"EEEE", "Monday"}, {"EEE", "Mon"}, {"HH", "15"}, {"hh", "03"}, {"h", "3"},
	{"mm", "04"}, {"ss", "05"}, {"SSS", "000"}, {"a", "PM"}, {"XXX", "Z07:00"}, {"XX", "Z0700"}, {"X", "Z07"},
	{"Z", "-0700"},
}

// javaLayout converts a Java date pattern (letters above, 'quoted'
// literals, punctuation) to a Go layout; ok is false for letters it does
// not know.
func javaLayout(p string) (string, bool) {
	var b strings.Builder
	for i := 0; i < len(p); {
		c := p[i]
		switch {
		case c == '\'':
			j := strings.IndexByte(p[i+1:], '\'')
			if j < 0 {
				return "", false
			}
			b.WriteString(p[i+1 : i+1+j])
			i += j + 2
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			found := false
			for _, l := range javaLayouts {
				if strings.HasPrefix(p[i:], l.java) {
					b.WriteString(l.goLayout)
					i += len(l.java)
					found = true
					break
				}
			}
			if !found {
				return "", false
			}
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String(), true
}

func oneZero(b bool) value {
	if b {
		return numVal(1)
	}
	return numVal(0)
}

func stringFunc(f func(string) string) func(*row, []value) value {
	return func(_ *row, a []value) value {
		s, ok := a[0].text()
		if !ok {
			return null
		}
		return strVal(f(s))
	}
}

func stringTest(f func(s, x string) bool) func(*row, []value) value {
	return func(_ *row, a []value) value {
		s, ok1 := a[0].text()
		x, ok2 := a[1].text()
		if !ok1 || !ok2 {
			return null
		}
		return oneZero(f(s, x))
	}
}

func parseAddr(v value) (netip.Addr, bool) {
	s, ok := v.text()
	if !ok || v.k != kString {
		return netip.Addr{}, false
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, false
	}
	return a, true
}

func ipTest(f func(netip.Addr) bool) func(*row, []value) value {
	return func(_ *row, a []value) value {
		addr, ok := parseAddr(a[0])
		return boolVal(ok && f(addr))
	}
}

func subnetFunc(family func(netip.Addr) bool) func(*row, []value) value {
	return func(_ *row, a []value) value {
		addr, ok := parseAddr(a[0])
		cidr, ok2 := a[1].text()
		if !ok || !ok2 {
			return boolVal(false)
		}
		p, err := netip.ParsePrefix(cidr)
		if err != nil {
			return boolVal(false)
		}
		return boolVal(family(addr) && p.Contains(addr.Unmap()))
	}
}

// aggregates are the stats functions, by lower-case name.
var aggregates = map[string]bool{
	"count": true, "count_distinct": true, "min": true, "max": true,
	"sum": true, "avg": true, "earliest": true, "latest": true,
}

func compileCall(p *primaryAST) (evalFn, error) {
	c := p.Call
	name := strings.ToLower(c.Name)
	if aggregates[name] {
		return nil, compileError(p.Pos, "%s() is a stats aggregate; use it in a stats command", c.Name)
	}
	if name == "now" {
		if c.Star || len(c.Args) != 0 {
			return nil, compileError(p.Pos, "now() takes no arguments")
		}
		// now() is epoch seconds at query start; offline that is the end
		// of the query window.
		return func(r *row) value { return numVal(float64(r.now)) }, nil
	}
	sf, ok := scalarFuncs[name]
	if !ok {
		return nil, compileError(p.Pos, "unknown or unsupported function %s()", c.Name)
	}
	if c.Star || len(c.Args) < sf.minArgs || len(c.Args) > sf.maxArgs {
		return nil, compileError(p.Pos, "%s() takes %d to %d arguments", c.Name, sf.minArgs, sf.maxArgs)
	}
	if name == "ispresent" {
		// The docs define ispresent(fieldName): it tests a field, not a
		// computed value.
		if _, ok := bareField(c.Args[0]); !ok {
			return nil, compileError(p.Pos, "%s() takes a field name", c.Name)
		}
	}
	args := make([]evalFn, len(c.Args))
	for i, a := range c.Args {
		f, err := compileOr(a)
		if err != nil {
			return nil, err
		}
		args[i] = f
	}
	return func(r *row) value {
		vs := make([]value, len(args))
		for i, a := range args {
			vs[i] = a(r)
		}
		return sf.fn(r, vs)
	}, nil
}
