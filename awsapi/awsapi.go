// Package awsapi is a table of AWS API operations by CloudTrail eventSource
// and eventName, with their request members, generated from aws-sdk-go-v2.
package awsapi

import (
	"regexp"
	"sort"
	"strings"
)

//go:generate sh -c "cd gen && go run . -o ../operations_gen.go"

// Service is one CloudTrail eventSource (dynamodb.amazonaws.com) and the
// operations of the SDK modules CloudTrail logs under it.
type Service struct {
	EventSource string
	// Modules are the aws-sdk-go-v2 modules (path@version) the operations
	// come from, and Protocols their wire protocols, in the same order.
	Modules   []string
	Protocols []string
	// CheckOperations is set when CloudTrail's eventName values for this
	// eventSource are exactly the API operation names, so a name outside
	// Operations can never occur.
	CheckOperations bool
	// CheckParameters is set when CloudTrail writes requestParameters with
	// the API member names as keys, so a key outside an operation's members
	// can never occur.
	CheckParameters bool
	// Note explains the coverage decision.
	Note       string
	Operations map[string]*Operation
}

// Operation is one API operation and the members of its request.
type Operation struct {
	Name string
	// Parameters are the top-level request members, as the API names them
	// (TableArn); CloudTrail writes them with a lower-case first letter.
	Parameters []string
	// Nested are member names below the top level (only for services with
	// CheckParameters).
	Nested []string
	// OpenKeys is set when the request holds a map or a free-form document,
	// so keys chosen by the caller may appear below the top level.
	OpenKeys bool
	// ServiceEvent marks an eventName CloudTrail logs that is no API
	// operation (KMS's DeleteExpiredKeyMaterial); its parameters are not
	// known.
	ServiceEvent bool
}

// Lookup returns the service of a CloudTrail eventSource.
func Lookup(eventSource string) (*Service, bool) {
	s, ok := services[eventSource]
	return s, ok
}

// EventSources lists the eventSources of the table, sorted.
func EventSources() []string {
	out := make([]string, 0, len(services))
	for k := range services {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// apiVersionSuffix is the API version Lambda appends to some eventNames
// (CreateFunction20150331, UpdateFunctionCode20150331v2).
var apiVersionSuffix = regexp.MustCompile(`20[0-9]{6}(v[0-9]+)?$`)

// Operation finds an operation by CloudTrail eventName. An API version
// suffix (CreateFunction20150331) is ignored.
func (s *Service) Operation(eventName string) (*Operation, bool) {
	if op, ok := s.Operations[eventName]; ok {
		return op, true
	}
	if loc := apiVersionSuffix.FindStringIndex(eventName); loc != nil && loc[0] > 0 {
		op, ok := s.Operations[eventName[:loc[0]]]
		return op, ok
	}
	return nil, false
}

// OperationNames lists the service's operation names, sorted.
func (s *Service) OperationNames() []string {
	out := make([]string, 0, len(s.Operations))
	for k := range s.Operations {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// HasParameter reports whether the request has a top-level member named
// name. The comparison ignores case: CloudTrail lower-cases the first letter
// (tableArn) and, for some services, a leading acronym, and the lint must
// never call a real key impossible.
func (o *Operation) HasParameter(name string) bool {
	for _, p := range o.Parameters {
		if strings.EqualFold(p, name) {
			return true
		}
	}
	return false
}

// HasMember reports whether a member named name exists at any depth of the
// request (ignoring case), or, with suffix set, a member whose name ends in
// name. Keys of maps and documents are not members: check OpenKeys.
func (o *Operation) HasMember(name string, suffix bool) bool {
	match := func(m string) bool {
		if suffix {
			return len(m) >= len(name) && strings.EqualFold(m[len(m)-len(name):], name)
		}
		return strings.EqualFold(m, name)
	}
	for _, list := range [][]string{o.Parameters, o.Nested} {
		for _, m := range list {
			if match(m) {
				return true
			}
		}
	}
	return false
}

// CloudTrailName spells a member the way CloudTrail writes it as a
// requestParameters key: the API name with a lower-case first letter.
func CloudTrailName(member string) string {
	if member == "" {
		return ""
	}
	return strings.ToLower(member[:1]) + member[1:]
}
