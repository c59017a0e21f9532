package cloudwatch

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/detc/detc/diag"
	"github.com/detc/detc/ir"
	"github.com/detc/detc/source/cloudtrail"
)

// untranslatable is a construct the target cannot express.
type untranslatable struct {
	pos    diag.Pos
	field  string
	reason string
}

// translator renders one rule's expression into a condition.
type translator struct {
	opts Options
	errs []untranslatable
}

func (t *translator) fail(pos diag.Pos, field, format string, args ...any) cond {
	t.errs = append(t.errs, untranslatable{pos, field, fmt.Sprintf(format, args...)})
	return condFalse
}

func (t *translator) expr(e ir.Expr) cond {
	switch e := e.(type) {
	case *ir.MatchAll:
		return condTrue
	case *ir.And:
		var xs []cond
		for _, x := range e.X {
			xs = append(xs, t.expr(x))
		}
		return and(xs...)
	case *ir.Or:
		var xs []cond
		for _, x := range e.X {
			xs = append(xs, t.expr(x))
		}
		return or(xs...)
	case *ir.Not:
		return not(t.expr(e.X))
	case *ir.Term:
		return t.term(e.Pos, e.Field, func(a access) cond { return t.termOn(e, a) })
	case *ir.Range:
		return t.term(e.Pos, e.Field, func(a access) cond { return t.rangeOn(e, a) })
	case *ir.Exists:
		return t.term(e.Pos, e.Field, func(a access) cond { return t.existsOn(e, a) })
	case *ir.Nested:
		return t.fail(e.Pos, e.Path, "nested queries (path:{...}) have no equivalent: CloudTrail records hold no nested-type fields and Logs Insights cannot test several keys of one array element together")
	case *ir.FreeText:
		return t.fail(e.Pos, "", "a value without a field searches every field of the Elasticsearch document; Logs Insights can only search @message, whose text is the raw record, not the ECS document")
	}
	return t.fail(e.Position(), "", "unsupported expression %T", e)
}

// access is one way of reading an ECS field in a raw record: the value is
// ref (a field or an expression) when the condition when holds. A field
// with several values (an array, a union) has several accesses; a term
// matches when any does. A constant access holds a value known at compile
// time.
type access struct {
	ref      string // rendered expression giving the value
	guard    string // rendered field whose presence the value needs
	when     cond   // nil means always
	constant *string
	ip       bool // the value must also be an IP address (source.ip)
	yesNo    bool // the value is boolean: false when ref is "No"
	tls      cloudtrail.DerivedKind
	typ      ir.Type
}

// term resolves a field and ORs the test over its accesses.
func (t *translator) term(pos diag.Pos, f ir.Field, test func(access) cond) cond {
	if f.Wildcard {
		return t.fail(pos, f.Name, "field names with * have no equivalent: Logs Insights names each field exactly")
	}
	accs, err := t.accesses(f)
	if err != "" {
		return t.fail(pos, f.Name, "%s", err)
	}
	var xs []cond
	for _, a := range accs {
		c := test(a)
		if a.when != nil {
			c = and(a.when, c)
		}
		xs = append(xs, c)
	}
	return or(xs...)
}

// accesses lists how a field is read, through the source profile.
func (t *translator) accesses(f ir.Field) ([]access, string) {
	m, err := cloudtrail.Resolve(f.Name)
	if err != nil {
		return nil, resolveReason(err)
	}
	typ := f.Type
	if typ == ir.Unknown {
		typ = m.Type
	}
	var eventName cond
	if m.EventName != "" {
		eventName = newEq("eventName", "eventName", quoteMust(m.EventName))
	}
	switch m.Kind {
	case cloudtrail.Constant:
		c := m.Constant
		return []access{{constant: &c, typ: ir.Keyword}}, ""
	case cloudtrail.Direct:
		if m.Flattened && len(m.Path) == 1 {
			return nil, "the root of a flattened field matches any of its leaves, and Logs Insights cannot test every key of an object; name the key (" + f.Name + ".<key>)"
		}
		for _, seg := range append(append([]string(nil), m.Array...), m.Path...) {
			if strings.ContainsRune(seg, '`') {
				return nil, "a JSON key holding a backtick cannot be written as a Logs Insights field name"
			}
			if strings.Contains(seg, "{{") || strings.Contains(seg, "}}") {
				return nil, "a JSON key holding {{ or }} would read as a query-definition parameter"
			}
		}
		if len(m.Array) > 0 {
			var out []access
			for i := 0; i < t.opts.arrayElements(); i++ {
				name := fieldRef(cloudtrail.PathString(m.Array) + "." + strconv.Itoa(i) + "." + cloudtrail.PathString(m.Path))
				out = append(out, access{ref: name, guard: name, typ: typ, when: eventName})
			}
			return out, ""
		}
		if m.Flattened {
			var out []access
			for _, path := range t.itemsExpansions(m.Path) {
				name := fieldRef(path)
				out = append(out, access{ref: name, guard: name, typ: typ, when: eventName})
			}
			return out, ""
		}
		name := fieldRef(cloudtrail.PathString(m.Path))
		return []access{{ref: name, guard: name, typ: typ, when: eventName}}, ""
	case cloudtrail.Derived:
		return t.derived(m, typ, eventName)
	}
	return nil, "the source profile cannot produce this field"
}

// arrayKeys are the CloudTrail request and response keys that hold JSON
// arrays of objects: EC2 writes every list as {"items": [...]}, IAM and S3
// policies have Statement lists, S3 ACLs Grant lists.
var arrayKeys = map[string]bool{"items": true, "Statement": true, "Grant": true}

// maxExpansions bounds how many index combinations one flattened term
// tries.
const maxExpansions = 32

// itemsExpansions lists the Logs Insights names of a flattened path.
// Elasticsearch's flattened type crosses arrays at any depth, Logs Insights
// only by index. So a segment named in arrayKeys (not the last) and the
// last segment (a list of scalars, such as valuesToAdd) are each tried
// plain and with the indexes 0..n-1, n chosen so that all combinations stay
// within maxExpansions (and at most Options.ArrayElements). Arrays under
// other keys, and elements past n, are not reached (see docs/cloudwatch.md).
func (t *translator) itemsExpansions(path []string) []string {
	var at []int
	for i, seg := range path[:len(path)-1] {
		if arrayKeys[seg] {
			at = append(at, i)
		}
	}
	at = append(at, len(path)-1)
	per := min(t.opts.arrayElements(), maxExpansions-1)
	for pow(per+1, len(at)) > maxExpansions && per > 1 {
		per--
	}
	var out []string
	var walk func(level int, segs []string)
	walk = func(level int, segs []string) {
		if level == len(at) {
			out = append(out, strings.Join(segs, "."))
			return
		}
		next := len(path)
		if level+1 < len(at) {
			next = at[level+1] + 1
		}
		rest := path[at[level]+1 : next]
		for i := -1; i < per; i++ {
			s := append([]string(nil), segs...)
			if i >= 0 {
				s = append(s, strconv.Itoa(i))
			}
			walk(level+1, append(s, rest...))
		}
	}
	walk(0, append([]string(nil), path[:at[0]+1]...))
	return out
}

func pow(b, n int) int {
	r := 1
	for range n {
		r *= b
	}
	return r
}

func (t *translator) derived(m cloudtrail.Mapping, typ ir.Type, eventName cond) ([]access, string) {
	src := func(i int) string { return fieldRef(cloudtrail.PathString(m.Sources[i])) }
	switch m.Derived {
	case cloudtrail.Outcome:
		// responseElements.ConsoleLogin lower-cased when present; else
		// failure when errorCode or errorMessage is present; else success.
		login := src(2)
		hasLogin := presentAtom(login)
		failed := or(presentAtom(src(0)), presentAtom(src(1)))
		failure, success := "failure", "success"
		return []access{
			{ref: "tolower(" + login + ")", guard: login, when: hasLogin, typ: ir.Keyword},
			{constant: &failure, when: and(not(hasLogin), failed), typ: ir.Keyword},
			{constant: &success, when: and(not(hasLogin), not(failed)), typ: ir.Keyword},
		}, ""
	case cloudtrail.Coalesce:
		var out []access
		var before []cond
		for i := range m.Sources {
			s := src(i)
			out = append(out, access{ref: s, guard: s, when: and(append(before, presentAtom(s))...), typ: typ})
			before = append(before, not(presentAtom(s)))
		}
		return out, ""
	case cloudtrail.Union:
		var out []access
		for i := range m.Sources {
			s := src(i)
			out = append(out, access{ref: s, guard: s, typ: typ})
		}
		return out, ""
	case cloudtrail.IPOnly:
		s := src(0)
		return []access{{ref: s, guard: s, ip: true, typ: ir.IP}}, ""
	case cloudtrail.YesNo:
		s := src(0)
		return []access{{ref: s, guard: s, yesNo: true, when: and(eventName, presentAtom(s)), typ: ir.Boolean}}, ""
	case cloudtrail.TLSProtocol, cloudtrail.TLSVersion:
		s := src(0)
		return []access{{ref: s, guard: s, tls: m.Derived, typ: ir.Keyword}}, ""
	}
	return nil, "the source profile derives this field in a way the cloudwatch backend does not know (" + m.Derived.String() + ")"
}

// termOn tests one access against a term's value.
func (t *translator) termOn(e *ir.Term, a access) cond {
	v := e.Value
	name := e.Field.Name
	if a.constant != nil {
		return condConst(keywordMatch(*a.constant, v))
	}
	switch {
	case a.yesNo:
		if v.IsWildcard() {
			return t.fail(e.Pos, name, "wildcards on a boolean field have no meaning")
		}
		if boolValue(v) {
			return not(newEq(a.ref, a.guard, `"No"`))
		}
		return newEq(a.ref, a.guard, `"No"`)
	case a.tls != 0:
		if v.IsWildcard() {
			return t.fail(e.Pos, name, "wildcards on a field derived from tlsDetails.tlsVersion are not supported")
		}
		re, ok := tlsRegex(a.tls, v.Text)
		if !ok {
			return condFalse
		}
		return newAtom(a.guard, a.ref+" =~ "+re)
	case a.ip || a.typ == ir.IP:
		prefix, ok := ipPrefix(v)
		if !ok {
			return t.fail(e.Pos, name, "an IP field only takes addresses and CIDR ranges in Logs Insights (isIpInSubnet)")
		}
		return newAtom(a.guard, "isIpInSubnet("+a.ref+", "+quoteMust(prefix.String())+")")
	}
	switch a.typ {
	case ir.Text:
		return t.fail(e.Pos, name, "%s is an analysed text field (token matching, case-insensitive); Logs Insights has no analyser to reproduce it", name)
	case ir.Date:
		return t.fail(e.Pos, name, "date fields are not supported by the cloudwatch backend")
	case ir.Boolean:
		if v.IsWildcard() {
			return t.fail(e.Pos, name, "wildcards on a boolean field have no meaning")
		}
		// JSON booleans read as 1/0; a string "true"/"false" matches too,
		// as it does in Elasticsearch.
		if boolValue(v) {
			return newEq(a.ref, a.guard, "1", `"true"`)
		}
		return newEq(a.ref, a.guard, "0", `"false"`)
	case ir.Number:
		if v.IsWildcard() {
			return t.fail(e.Pos, name, "wildcards on a numeric field have no meaning")
		}
		lits := []string{}
		if n, ok := numberLiteral(v.Text); ok {
			lits = append(lits, n)
		} else if n, ok := numberLiteral(formatFloat(v.Number)); ok {
			lits = append(lits, n)
		}
		if len(lits) == 0 {
			return t.fail(e.Pos, name, "negative numbers are not written in comparisons by the Logs Insights documentation")
		}
		return newEq(a.ref, a.guard, lits...)
	}
	// keyword, unknown, flattened leaves: exact text, case-sensitive.
	if v.IsWildcard() {
		return t.wildcard(a, v.Wildcard)
	}
	if v.Text == "" {
		// The integration drops empty values, so no document holds "".
		return condFalse
	}
	return textEquals(a, v.Text)
}

// textEquals matches a keyword value exactly. A value that is the text
// of a JSON boolean or number also matches that JSON scalar, as
// Elasticsearch indexes `false` and `3600` as the keywords "false" and
// "3600".
func textEquals(a access, text string) cond {
	var lits []string
	var alts []cond
	if q, ok := quoteString(text); ok {
		lits = append(lits, q)
	} else {
		alts = append(alts, newAtom(a.guard, a.ref+" like "+wholeValueRegex(text)))
	}
	switch text {
	case "true":
		lits = append(lits, "1")
	case "false":
		lits = append(lits, "0")
	default:
		if n, ok := numberLiteral(text); ok {
			lits = append(lits, n)
		}
	}
	if len(lits) > 0 {
		alts = append(alts, newEq(a.ref, a.guard, lits...))
	}
	return or(alts...)
}

// wildcard matches KQL wildcard pieces on a keyword: `*x*` is a plain
// substring `like` when x can be quoted, anything else an anchored regex.
func (t *translator) wildcard(a access, pieces []string) cond {
	if len(pieces) == 2 && pieces[0] == "" && pieces[1] == "" {
		// ispresent takes a field: a computed value (tolower(...)) is
		// present when the field it is computed from is.
		return presentAtom(a.guard)
	}
	// The docs describe `like "x"` as a plain substring test and show no
	// wildcard inside the quotes; a piece holding a glob or SQL wildcard
	// character goes to the regex form so that no reading of it can differ.
	if len(pieces) == 3 && pieces[0] == "" && pieces[2] == "" && pieces[1] != "" && !strings.ContainsAny(pieces[1], "*?%") {
		if q, ok := quoteString(pieces[1]); ok {
			return newAtom(a.guard, a.ref+" like "+q)
		}
	}
	return newAtom(a.guard, a.ref+" like "+wildcardRegex(pieces))
}

func (t *translator) rangeOn(e *ir.Range, a access) cond {
	name := e.Field.Name
	if a.constant != nil {
		c := strings.Compare(*a.constant, e.Value.Text)
		return condConst(opHolds(e.Op, c))
	}
	if a.ip || a.yesNo || a.tls != 0 {
		return t.fail(e.Pos, name, "ranges on this derived field are not supported")
	}
	switch a.typ {
	case ir.Number:
		n, ok := numberLiteral(e.Value.Text)
		if !ok {
			n, ok = numberLiteral(formatFloat(e.Value.Number))
		}
		if !ok {
			return t.fail(e.Pos, name, "negative numbers are not written in comparisons by the Logs Insights documentation")
		}
		return newAtom(a.guard, a.ref+" "+e.Op.String()+" "+n)
	case ir.Date:
		bound, err := t.dateBound(e.Value.Text)
		if err != "" {
			return t.fail(e.Pos, name, "%s", err)
		}
		return newAtom(a.guard, "parseDate("+a.ref+`, "`+cloudTrailDate+`") `+e.Op.String()+" "+bound)
	case ir.Keyword, ir.Unknown:
		q, ok := quoteString(e.Value.Text)
		if !ok {
			return t.fail(e.Pos, name, "a range bound holding both quote characters, a backslash or a control character cannot be written")
		}
		return newAtom(a.guard, a.ref+" "+e.Op.String()+" "+q)
	}
	return t.fail(e.Pos, name, "ranges on %s fields are not supported by the cloudwatch backend", a.typ)
}

func (t *translator) existsOn(e *ir.Exists, a access) cond {
	switch {
	case a.constant != nil:
		return condTrue
	case a.ip:
		return newAtom(a.guard, "isValidIp("+a.ref+")")
	case a.yesNo:
		return condTrue // the access's condition already requires the value
	case a.tls != 0:
		re, _ := tlsRegex(a.tls, "")
		return newAtom(a.guard, a.ref+" =~ "+re)
	case strings.HasPrefix(a.ref, "tolower("):
		return presentAtom(a.guard)
	}
	return presentAtom(a.ref)
}

// cloudTrailDate is the Java pattern of CloudTrail's ISO 8601 times
// ("2025-03-13T17:58:02Z"), for parseDate.
const cloudTrailDate = "yyyy-MM-dd'T'HH:mm:ssX"

// dateBound renders a date value as epoch milliseconds: relative date math
// as an offset from now() (epoch seconds at query start), an absolute time
// as a number, and date math with rounding or months from the run time
// Options.At.
func (t *translator) dateBound(text string) (string, string) {
	if strings.HasPrefix(text, "now") {
		if d, err := ir.RelativeOffset(text); err == nil && !t.opts.pinned {
			if d%time.Second != 0 {
				return "", "date math finer than a second cannot be written against now(), which is in seconds"
			}
			if d == 0 {
				return "now() * 1000", ""
			}
			return fmt.Sprintf("(now() - %d) * 1000", int64(d/time.Second)), ""
		}
		if t.opts.At.IsZero() {
			return "", fmt.Sprintf("date math %q has no fixed length and no run time was given", text)
		}
		v, err := ir.DateMath(text, t.opts.At)
		if err != nil {
			return "", err.Error()
		}
		return strconv.FormatInt(v.UnixMilli(), 10), ""
	}
	v, err := ir.DateMath(text, time.Time{})
	if err != nil {
		return "", err.Error()
	}
	return strconv.FormatInt(v.UnixMilli(), 10), ""
}

// keywordMatch applies a KQL keyword term to a known value.
func keywordMatch(s string, v ir.Value) bool {
	if !v.IsWildcard() {
		return s == v.Text
	}
	p := v.Wildcard
	if !strings.HasPrefix(s, p[0]) {
		return false
	}
	s = s[len(p[0]):]
	for _, piece := range p[1 : len(p)-1] {
		i := strings.Index(s, piece)
		if i < 0 {
			return false
		}
		s = s[i+len(piece):]
	}
	return strings.HasSuffix(s, p[len(p)-1])
}

func opHolds(op ir.Op, c int) bool {
	switch op {
	case ir.Lt:
		return c < 0
	case ir.Lte:
		return c <= 0
	case ir.Gt:
		return c > 0
	case ir.Gte:
		return c >= 0
	}
	return false
}

// tlsRegex matches tlsDetails.tlsVersion values whose derived protocol
// (lower-cased text before the first "v") or version (text after it) is
// want; an empty want matches any value that splits. ok is false when no
// value can derive want.
func tlsRegex(kind cloudtrail.DerivedKind, want string) (string, bool) {
	if want == "" {
		return regexLiteral(`(?s)^[^v]+v.`), true
	}
	if kind == cloudtrail.TLSVersion {
		return regexLiteral(`(?s)^[^v]+v` + escapeRegex(want) + `$`), true
	}
	var b strings.Builder
	b.WriteString("(?s)^")
	for _, r := range want {
		switch {
		case r == 'v':
			b.WriteString("V") // a lower-case v would end the protocol
		case unicode.IsUpper(r):
			return "", false // the protocol is lower-cased
		case unicode.IsLower(r) && unicode.ToUpper(r) != r:
			b.WriteString("[" + escapeRegex(string(r)) + escapeRegex(string(unicode.ToUpper(r))) + "]")
		default:
			b.WriteString(escapeRegex(string(r)))
		}
	}
	b.WriteString("v.")
	return regexLiteral(b.String()), true
}

// resolveReason words a source-profile error for a diagnostic that already
// names the field.
func resolveReason(err error) string {
	var ue *cloudtrail.UnavailableError
	if errors.As(err, &ue) {
		r := "cannot be produced from raw CloudTrail: " + ue.Reason
		if ue.Suggestion != "" {
			r += " (did you mean " + ue.Suggestion + "?)"
		}
		return r
	}
	return err.Error()
}

// boolValue reads a boolean term's value: its text when that is true or
// false, else the typed value lowering set.
func boolValue(v ir.Value) bool {
	switch v.Text {
	case "true":
		return true
	case "false":
		return false
	}
	return v.Bool
}

// ipPrefix reads an IP term's value: the prefix lowering set, else the
// text as an address or a CIDR range.
func ipPrefix(v ir.Value) (netip.Prefix, bool) {
	if v.IsWildcard() {
		return netip.Prefix{}, false
	}
	if v.Prefix.IsValid() {
		return v.Prefix.Masked(), true
	}
	if p, err := netip.ParsePrefix(v.Text); err == nil {
		return p.Masked(), true
	}
	if a, err := netip.ParseAddr(v.Text); err == nil && a.Zone() == "" {
		return netip.PrefixFrom(a, a.BitLen()), true
	}
	return netip.Prefix{}, false
}

func formatFloat(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// quoteMust quotes a value known to be safe (profile constants, CIDRs).
func quoteMust(s string) string {
	q, ok := quoteString(s)
	if !ok {
		panic("cloudwatch: cannot quote " + strconv.Quote(s))
	}
	return q
}
