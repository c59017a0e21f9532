// Package lint checks a rule against the real AWS API: event.action values
// that are no operation of the event.provider, and request parameters that
// none of the operations the rule is constrained to has.
package lint

import (
	"fmt"
	"sort"
	"strings"

	"github.com/detc/detc/awsapi"
	"github.com/detc/detc/diag"
	"github.com/detc/detc/ir"
)

// Diagnostic codes.
const (
	CodeUnknownOperation = "aws-unknown-operation"
	CodeUnknownParameter = "aws-unknown-parameter"
)

const (
	// flattenedPrefix starts the fields that reach into requestParameters
	// as a JSON object.
	flattenedPrefix = "aws.cloudtrail.flattened.request_parameters."
	// stringField is requestParameters printed as a Java map
	// ({roleArn=..., tags=[{key=k, value=v}]}), tested with wildcards.
	stringField = "aws.cloudtrail.request_parameters"
)

// cloudTrailKeys are keys CloudTrail itself writes into requestParameters:
// a request too large to log becomes {"reason": "requestParameters too
// large", "omitted": true}. They are possible for every operation.
var cloudTrailKeys = []string{"reason", "omitted"}

// Check returns warnings for conditions of rule that can never be true
// against the AWS API: an event.action that is no operation of the
// constrained event.provider (aws-unknown-operation), and a test of a
// request parameter that none of the constrained operations has
// (aws-unknown-parameter). Services whose CloudTrail names the table does
// not vouch for (awsapi.Service.CheckOperations, CheckParameters) are
// skipped: the lint stays silent rather than guess.
func Check(rule *ir.Rule) diag.List {
	if rule == nil || rule.Expr == nil {
		return nil
	}
	var out diag.List
	for _, c := range clauses(rule.Expr) {
		var d *diag.Diagnostic
		// An operation or a pattern is named by the value; a parameter by
		// the field, where the warning points.
		at := c.expr.Position()
		switch e := c.expr.(type) {
		case *ir.Term:
			switch {
			case e.Field.Name == actionField && !e.Field.Wildcard && !e.Value.IsWildcard():
				d = checkOperation(e.Value.Text, c.context)
			case e.Field.Name == stringField && e.Value.IsWildcard() && c.positive:
				d = checkPattern(e.Value, c.context)
			default:
				d, at = checkFlattened(e.Field, c), fieldPos(e.Field, at)
			}
		case *ir.Range:
			d, at = checkFlattened(e.Field, c), fieldPos(e.Field, at)
		case *ir.Exists:
			d, at = checkFlattened(e.Field, c), fieldPos(e.Field, at)
		}
		if d == nil {
			continue
		}
		d.Pos = at
		if d.Pos.File == "" {
			d.Pos.File = rule.File
		}
		d.Severity = diag.Warning
		d.RuleID = rule.ID
		if d.RuleID == "" {
			d.RuleID = rule.Name
		}
		out.Add(*d)
	}
	out.Sort()
	return out
}

// services resolves the providers of a context. ok is false when one of the
// calls leaves the provider open, names an eventSource the table lacks, or
// one whose check is off: the lint must then stay quiet.
func services(ctx calls, usable func(*awsapi.Service) bool) (svcs []*awsapi.Service, ok bool) {
	if len(ctx) == 0 {
		return nil, false
	}
	seen := map[string]bool{}
	for _, c := range ctx {
		if c.provider == "" {
			return nil, false
		}
		s, found := awsapi.Lookup(c.provider)
		if !found || !usable(s) {
			return nil, false
		}
		if !seen[c.provider] {
			seen[c.provider] = true
			svcs = append(svcs, s)
		}
	}
	return svcs, true
}

// checkOperation warns when eventName is an operation of none of the
// eventSources the context allows and looks like a misspelling of one of
// them (see suggest). A name far from every operation is left alone: many
// services log events of their own that are no API operation (AWS Backup's
// BackupJobCompleted, ECR's lifecycle events), and the table cannot know
// them all.
func checkOperation(eventName string, ctx calls) *diag.Diagnostic {
	svcs, ok := services(ctx, func(s *awsapi.Service) bool { return s.CheckOperations })
	if !ok {
		return nil
	}
	var names, sources []string
	for _, s := range svcs {
		if _, found := s.Operation(eventName); found {
			return nil
		}
		names = append(names, s.OperationNames()...)
		sources = append(sources, s.EventSource)
	}
	closest := suggest(eventName, names)
	if closest == "" {
		return nil
	}
	return &diag.Diagnostic{
		Code: CodeUnknownOperation,
		Key:  actionField,
		Msg: fmt.Sprintf("event.action %q is not an operation of %s, so CloudTrail never logs it and this condition can never be true",
			eventName, orList(sources)),
		Hint: fmt.Sprintf("did you mean %q? CloudTrail's eventName is the API operation name, case-sensitive", closest),
	}
}

// checkFlattened warns when a positive test of
// aws.cloudtrail.flattened.request_parameters.<p> names a top-level key p
// that none of the constrained operations has. Under a not the test is
// true on every event (the key is missing), which is not this lint's
// concern.
func checkFlattened(f ir.Field, c clause) *diag.Diagnostic {
	if !c.positive || f.Wildcard || !strings.HasPrefix(f.Name, flattenedPrefix) {
		return nil
	}
	key, _, _ := strings.Cut(strings.TrimPrefix(f.Name, flattenedPrefix), ".")
	if key == "" || isCloudTrailKey(key, false) {
		return nil
	}
	ops, ok := operations(c.context)
	if !ok {
		return nil
	}
	for _, op := range ops {
		if op.op.HasParameter(key) {
			return nil
		}
	}
	var all []string
	for _, op := range ops {
		all = append(all, op.op.Parameters...)
	}
	d := &diag.Diagnostic{
		Code: CodeUnknownParameter,
		Key:  f.Name,
		Msg: fmt.Sprintf("request parameter %q does not exist in %s, so this condition can never be true%s",
			key, describeOps(ops), listParameters(ops)),
	}
	if s := suggest(key, cloudTrailNames(all)); s != "" {
		d.Hint = fmt.Sprintf("did you mean %q?", s)
	} else {
		d.Hint = "remove the condition, or test a parameter the operation has"
	}
	return d
}

// checkPattern warns when a wildcard pattern on the requestParameters
// string names a key (`*name=*`) that no constrained operation has at any
// depth. Keys of maps and documents are the caller's choice, so operations
// holding one keep the lint quiet.
func checkPattern(v ir.Value, ctx calls) *diag.Diagnostic {
	keys := patternKeys(v.Wildcard)
	if len(keys) == 0 {
		return nil
	}
	ops, ok := operations(ctx)
	if !ok {
		return nil
	}
	for _, op := range ops {
		if op.op.OpenKeys {
			return nil
		}
	}
	for _, k := range keys {
		if isCloudTrailKey(k.name, k.suffix) {
			continue
		}
		found := false
		for _, op := range ops {
			if op.op.HasMember(k.name, k.suffix) {
				found = true
				break
			}
		}
		if found {
			continue
		}
		what := fmt.Sprintf("a key %q", k.name)
		if k.suffix {
			what = fmt.Sprintf("a key ending in %q", k.name)
		}
		return &diag.Diagnostic{
			Code: CodeUnknownParameter,
			Key:  stringField,
			Msg: fmt.Sprintf("the pattern needs %s, which no request member of %s has at any depth, so it can never match a key%s",
				what, describeOps(ops), listParameters(ops)),
			Hint: "the pattern could only match a value that happens to contain the text; test a member the operation has",
		}
	}
	return nil
}

// patternKey is a key a wildcard pattern names: the text before an `=`.
type patternKey struct {
	name string
	// suffix is set when a wildcard precedes the name, so any key ending in
	// it would do.
	suffix bool
}

// patternKeys finds the keys a wildcard pattern over the Java map string
// names. In that string a key follows `{` or ", " and is followed by `=`;
// only names whose start is certain are taken (after `{`, a space or a
// leading wildcard).
func patternKeys(pieces []string) []patternKey {
	var out []patternKey
	for i, piece := range pieces {
		for j := 0; j < len(piece); j++ {
			if piece[j] != '=' {
				continue
			}
			start := j
			for start > 0 && isKeyByte(piece[start-1]) {
				start--
			}
			if start == j {
				continue
			}
			name := piece[start:j]
			switch {
			case start == 0 && i > 0:
				out = append(out, patternKey{name: name, suffix: true})
			case start > 0 && (piece[start-1] == '{' || piece[start-1] == ' '):
				out = append(out, patternKey{name: name})
			}
		}
	}
	return out
}

func isKeyByte(b byte) bool {
	return b == '_' || b == '-' || b >= '0' && b <= '9' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z'
}

func isCloudTrailKey(name string, suffix bool) bool {
	for _, k := range cloudTrailKeys {
		if strings.EqualFold(k, name) || suffix && len(k) >= len(name) && strings.EqualFold(k[len(k)-len(name):], name) {
			return true
		}
	}
	return false
}

// namedOp is an operation with the eventSource it was found under.
type namedOp struct {
	source string
	op     *awsapi.Operation
}

// operations resolves a context to the operations it allows. ok is false
// when any call leaves the provider open, names a service whose parameter
// check is off, or may be an event whose parameters the table does not
// know.
func operations(ctx calls) ([]namedOp, bool) {
	if _, ok := services(ctx, func(s *awsapi.Service) bool { return s.CheckParameters }); !ok {
		return nil, false
	}
	seen := map[string]bool{}
	var out []namedOp
	add := func(source string, op *awsapi.Operation) {
		if k := source + " " + op.Name; !seen[k] {
			seen[k] = true
			out = append(out, namedOp{source, op})
		}
	}
	for _, c := range ctx {
		s, _ := awsapi.Lookup(c.provider)
		if c.action == "" {
			for _, name := range s.OperationNames() {
				if s.Operations[name].ServiceEvent {
					return nil, false
				}
				add(s.EventSource, s.Operations[name])
			}
			continue
		}
		op, found := s.Operation(c.action)
		if !found || op.ServiceEvent {
			// An unknown action is the operation check's business; a
			// service event's parameters are not known.
			return nil, false
		}
		add(s.EventSource, op)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].source != out[j].source {
			return out[i].source < out[j].source
		}
		return out[i].op.Name < out[j].op.Name
	})
	return out, true
}

// maxListed caps how many operations a message names one by one.
const maxListed = 4

func describeOps(ops []namedOp) string {
	if len(ops) > maxListed {
		sources := map[string]bool{}
		var list []string
		for _, op := range ops {
			if !sources[op.source] {
				sources[op.source] = true
				list = append(list, op.source)
			}
		}
		return fmt.Sprintf("any of the %d operations of %s", len(ops), orList(list))
	}
	var names []string
	for _, op := range ops {
		names = append(names, fmt.Sprintf("%s (%s)", op.op.Name, op.source))
	}
	return orList(names)
}

func listParameters(ops []namedOp) string {
	if len(ops) > maxListed {
		return ""
	}
	var parts []string
	for _, op := range ops {
		params := cloudTrailNames(op.op.Parameters)
		if len(params) == 0 {
			parts = append(parts, op.op.Name+" has no request parameters")
			continue
		}
		parts = append(parts, fmt.Sprintf("%s has %s", op.op.Name, strings.Join(params, ", ")))
	}
	return "; " + strings.Join(parts, "; ")
}

// cloudTrailNames spells members as CloudTrail's keys, sorted.
func cloudTrailNames(members []string) []string {
	out := make([]string, 0, len(members))
	for _, m := range members {
		out = append(out, awsapi.CloudTrailName(m))
	}
	sort.Strings(out)
	return out
}

func orList(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " or " + items[len(items)-1]
}

// fieldPos is where a field name is written, or def when the IR was built
// without positions.
func fieldPos(f ir.Field, def diag.Pos) diag.Pos {
	if f.Pos.IsValid() {
		return f.Pos
	}
	return def
}
