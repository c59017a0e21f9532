// Package hardening holds what the fuzz targets of the backends share: the
// fields that fuzzed values are compared with, the one-term rule a value
// makes, and raw CloudTrail events holding a value. It is for tests only.
package hardening

import (
	"encoding/json"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/detc/detc/backends/eval"
	"github.com/detc/detc/ir"
	"github.com/detc/detc/parser"
	"github.com/detc/detc/source/cloudtrail"
)

// Field is a keyword field of the catalog with the raw CloudTrail path
// that holds its value.
type Field struct {
	ir.Field
	// Raw is the path of the value in a raw CloudTrail record.
	Raw []string
}

// Fields are the fields fuzzed values are compared with: plain keywords,
// and a leaf of the flattened request_parameters field.
var Fields = []Field{
	{ir.Field{Name: "event.action", Type: ir.Keyword, ESType: "keyword"}, []string{"eventName"}},
	{ir.Field{Name: "user_agent.original", Type: ir.Keyword, ESType: "keyword"}, []string{"userAgent"}},
	{ir.Field{Name: "aws.cloudtrail.flattened.request_parameters.x", Type: ir.Keyword, ESType: "flattened"}, []string{"requestParameters", "x"}},
	{ir.Field{Name: "aws.cloudtrail.user_identity.arn", Type: ir.Keyword, ESType: "keyword"}, []string{"userIdentity", "arn"}},
	{ir.Field{Name: "event.provider", Type: ir.Keyword, ESType: "keyword"}, []string{"eventSource"}},
}

// Form is how a value is written in KQL.
type Form uint8

const (
	// Quoted is "value".
	Quoted Form = iota
	// Unquoted is the value with KQL's escapes.
	Unquoted
	// Wildcard cuts the value in two pieces joined by an unescaped `*`.
	Wildcard
	forms
)

// Case is one fuzzed comparison: the KQL text `field: value`, the one term
// it must mean, and which strings the term matches.
type Case struct {
	Field Field
	Value string
	KQL   string
	Expr  ir.Expr
	// Pieces are the literal pieces of a wildcard, nil otherwise.
	Pieces []string
}

// NewCase builds the comparison of field with value in form (taken modulo
// the number of forms); a wildcard is cut at rune cut (modulo the number
// of runes plus one). ok is false when KQL cannot carry the value in that
// form: an empty value unquoted or as a wildcard, or one with white space
// at an outer end, which the grammar trims as Kibana's does.
func NewCase(field Field, value string, form Form, cut int) (c Case, ok bool) {
	c = Case{Field: field, Value: value}
	switch form % forms {
	case Quoted:
		c.KQL = field.Name + ": " + parser.QuoteString(value)
		c.Expr = &ir.Term{Field: field.Field, Value: ir.Value{Text: value, Quoted: true}}
	case Unquoted:
		if value == "" || strings.TrimSpace(value) != value {
			return c, false
		}
		c.KQL = field.Name + ": " + parser.EscapeValue(value)
		c.Expr = &ir.Term{Field: field.Field, Value: ir.Value{Text: value}}
	default:
		// Cut at a rune start, keeping bytes that are not UTF-8 as they are.
		starts := []int{}
		for i := range value {
			starts = append(starts, i)
		}
		starts = append(starts, len(value))
		at := starts[(cut%len(starts)+len(starts))%len(starts)]
		p := []string{value[:at], value[at:]}
		if value == "" || strings.TrimLeftFunc(p[0], unicode.IsSpace) != p[0] || strings.TrimRightFunc(p[1], unicode.IsSpace) != p[1] {
			return c, false
		}
		c.Pieces = p
		c.KQL = field.Name + ": " + parser.EscapeValue(p[0]) + "*" + parser.EscapeValue(p[1])
		c.Expr = &ir.Term{Field: field.Field, Value: ir.Value{Text: p[0] + "*" + p[1], Wildcard: p}}
	}
	return c, true
}

// Matches reports whether the case's term holds on a field holding s.
func (c Case) Matches(s string) bool {
	if c.Pieces == nil {
		return s == c.Value
	}
	return PiecesMatch(c.Pieces, s)
}

// MatchesRaw is Matches for a field of a raw CloudTrail record holding s:
// the integration drops empty values, so "" is no value at all.
func (c Case) MatchesRaw(s string) bool { return s != "" && c.Matches(s) }

// EvalIDs runs rule at run time at with the reference evaluator over the
// ECS documents of raw records and returns the ids of the events that
// alert, sorted.
func EvalIDs(rule *ir.Rule, raw [][]byte, at time.Time) ([]string, error) {
	var events []eval.Event
	for _, r := range raw {
		tm, err := cloudtrail.EventTime(r)
		if err != nil {
			return nil, err
		}
		doc, err := eval.ECSDocument(r)
		if err != nil {
			return nil, err
		}
		events = append(events, eval.Event{Time: tm, ID: cloudtrail.EventID(r), Doc: doc})
	}
	alerts, err := eval.Alerts(rule, events, at)
	if err != nil {
		return nil, err
	}
	ids := []string{}
	for _, a := range alerts {
		ids = append(ids, a.EventID)
	}
	slices.Sort(ids)
	return ids, nil
}

// Probes are the strings a term is tested on: one it must match (the
// value, or the wildcard with something in place of the star) and near
// misses.
func (c Case) Probes() []string {
	hit := c.Value
	if c.Pieces != nil {
		hit = strings.Join(c.Pieces, "Zz")
	}
	return []string{hit, c.Value + "x", "x" + c.Value, strings.ToUpper(c.Value), "other"}
}

// PiecesMatch reports whether s is pieces[0], anything, pieces[1], ...,
// anything, the last piece.
func PiecesMatch(pieces []string, s string) bool {
	if !strings.HasPrefix(s, pieces[0]) {
		return false
	}
	s = s[len(pieces[0]):]
	last := pieces[len(pieces)-1]
	for _, p := range pieces[1 : len(pieces)-1] {
		i := strings.Index(s, p)
		if i < 0 {
			return false
		}
		s = s[i+len(p):]
	}
	return len(s) >= len(last) && strings.HasSuffix(s, last)
}

// Event returns a raw CloudTrail record with id and time at whose field
// holds value; the other fields hold fixed values.
func Event(id string, at time.Time, field Field, value string) []byte {
	rec := map[string]any{
		"eventVersion":       "1.08",
		"eventTime":          at.UTC().Format(time.RFC3339),
		"eventID":            id,
		"eventName":          "GetObject",
		"eventSource":        "s3.amazonaws.com",
		"awsRegion":          "us-east-1",
		"sourceIPAddress":    "192.0.2.1",
		"userAgent":          "aws-cli/2.0",
		"userIdentity":       map[string]any{"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/alice", "accountId": "111122223333"},
		"requestParameters":  map[string]any{"bucketName": "b"},
		"recipientAccountId": "111122223333",
	}
	m := rec
	for _, k := range field.Raw[:len(field.Raw)-1] {
		m = m[k].(map[string]any)
	}
	m[field.Raw[len(field.Raw)-1]] = value
	b, err := json.Marshal(rec)
	if err != nil {
		panic(err) // a map of strings always marshals
	}
	return b
}
