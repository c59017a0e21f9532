// Package cloudtrail is detc's aws.cloudtrail source profile: it turns a raw
// CloudTrail record into the ECS document Elastic's AWS integration would
// index, and tells backends how each ECS field is reached in raw CloudTrail.
package cloudtrail

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/detc/detc/catalog"
	"github.com/detc/detc/ir"
)

// Kind says how an ECS field is obtained from a raw CloudTrail record.
type Kind uint8

const (
	// Direct fields are a raw JSON value, renamed (event.action = eventName).
	Direct Kind = iota + 1
	// Constant fields hold the same value on every record of the source
	// (event.dataset = "aws.cloudtrail"): a target expresses them by its
	// choice of log group or table.
	Constant
	// Derived fields are computed from one or more raw values by a rule
	// named by DerivedKind (event.outcome from errorCode and errorMessage).
	Derived
	// NotAvailable fields exist in Elastic but cannot be produced from raw
	// CloudTrail (GeoIP enrichment, parsed user agent, ...); see
	// Unavailable.
	NotAvailable
)

var kindNames = [...]string{"invalid", "direct", "constant", "derived", "unavailable"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "invalid"
}

// DerivedKind names the computation behind a Derived field. Each one is
// documented with the exact semantics a backend must reproduce; raw values
// that are null or "" count as absent, as the integration drops them.
type DerivedKind uint8

const (
	// Outcome (event.outcome): when responseElements.ConsoleLogin is a
	// non-empty string, its lower-cased value ("success", "failure");
	// otherwise "failure" when errorCode or errorMessage is present, else
	// "success". Sources: errorCode, errorMessage, responseElements.ConsoleLogin.
	Outcome DerivedKind = iota + 1
	// Coalesce (user.name): the first source that is present.
	Coalesce
	// IPOnly (source.ip): Sources[0] when it is an IPv4 or IPv6 address
	// (sourceIPAddress can also be a host name or "AWS Internal").
	IPOnly
	// YesNo (console_login mfa_used, mobile_version): on records whose
	// eventName is Mapping.EventName and where Sources[0] is present,
	// false when it is "No" and true otherwise.
	YesNo
	// TLSProtocol (tls.version_protocol): the lower-cased text before "v"
	// in tlsDetails.tlsVersion ("TLSv1.3" gives "tls"); absent without a "v".
	TLSProtocol
	// TLSVersion (tls.version): the text after "v" ("TLSv1.3" gives "1.3").
	TLSVersion
	// Union (related.user): every value of every source, de-duplicated;
	// the field is an array and a term matches if any value does.
	Union
)

var derivedNames = [...]string{"none", "outcome", "coalesce", "ip-only", "yes-no", "tls-protocol", "tls-version", "union"}

func (d DerivedKind) String() string {
	if int(d) < len(derivedNames) {
		return derivedNames[d]
	}
	return "invalid"
}

// Mapping says how one ECS field is reached in a raw CloudTrail record.
type Mapping struct {
	// Field is the ECS name as written in the rule.
	Field string
	Kind  Kind
	// Type and ESType come from the field catalog.
	Type   ir.Type
	ESType string

	// Path is the raw JSON path of a Direct field, e.g. {"userIdentity",
	// "arn"}. With Array set, Path is relative to each element of the
	// array. For a flattened field it is the full path under the raw object
	// (requestParameters, ...), split at dots.
	Path []string
	// Array, when set, is the path of an array of objects holding the value
	// ({"resources"}); the field has one value per element, and a term
	// matches if any element's value does.
	Array []string
	// Flattened is set for fields under aws.cloudtrail.flattened.*, which
	// Elasticsearch indexes as a flattened field: every leaf is a keyword
	// string (JSON false is "false", 3600 is "3600"), arrays are crossed at
	// any depth (any element matches), and the field root matches any leaf.
	// A dot in Path may also stand for a dot inside a JSON key.
	Flattened bool
	// JSONText is set when the value lives under requestParameters,
	// responseElements, additionalEventData, serviceEventDetails or
	// insightDetails, which Athena's CloudTrail table holds as JSON text:
	// reach it with json_extract_scalar / json_extract.
	JSONText bool

	// Constant is the value of a Constant field.
	Constant string

	// Derived names the computation of a Derived field and Sources the raw
	// paths it reads, in the order DerivedKind documents.
	Derived DerivedKind
	Sources [][]string
	// EventName, when set, restricts the field to records whose eventName
	// is this value (the console_login fields exist only on ConsoleLogin).
	EventName string

	// Reason says why a NotAvailable field cannot be produced.
	Reason string
}

// PathString joins a raw path with dots ("userIdentity.arn").
func PathString(path []string) string { return strings.Join(path, ".") }

// UnavailableError is returned by Resolve for a field the profile cannot
// produce from raw CloudTrail.
type UnavailableError struct {
	Field  string
	Reason string
	// Suggestion is a close known field name when Field is not a field of
	// the catalog at all.
	Suggestion string
}

func (e *UnavailableError) Error() string {
	return fmt.Sprintf("field %s cannot be produced from raw CloudTrail: %s", e.Field, e.Reason)
}

// jsonTextColumns are the raw keys Athena's CloudTrail table keeps as JSON
// text (serviceEventDetails, insightDetails and additionalEventData
// included).
var jsonTextColumns = map[string]bool{
	"requestParameters": true, "responseElements": true, "additionalEventData": true,
	"serviceEventDetails": true, "insightDetails": true,
}

// IsJSONText reports whether a raw top-level key is held as JSON text by
// the Athena CloudTrail table.
func IsJSONText(key string) bool { return jsonTextColumns[key] }

func p(dotted string) []string { return strings.Split(dotted, ".") }

// directFields maps ECS names to raw paths (the renames of the integration's
// ingest pipeline, ../shared/aws/ecs_cloudtrail_mapping.tsv).
var directFields = map[string]string{
	"@timestamp":          "eventTime",
	"event.action":        "eventName",
	"event.provider":      "eventSource",
	"event.id":            "eventID",
	"cloud.region":        "awsRegion",
	"cloud.account.id":    "userIdentity.accountId",
	"source.address":      "sourceIPAddress",
	"user_agent.original": "userAgent",
	"user.id":             "userIdentity.principalId",
	"user.changes.name":   "requestParameters.newUserName",
	"user.target.name":    "requestParameters.userName",
	"user.target.id":      "responseElements.user.userId",
	"group.name":          "requestParameters.groupName",
	"group.id":            "responseElements.group.groupId",
	"tls.cipher":          "tlsDetails.cipherSuite",

	"tls.client.server_name":                         "tlsDetails.clientProvidedHostHeader",
	"aws.cloudtrail.event_version":                   "eventVersion",
	"aws.cloudtrail.event_category":                  "eventCategory",
	"aws.cloudtrail.event_type":                      "eventType",
	"aws.cloudtrail.api_version":                     "apiVersion",
	"aws.cloudtrail.management_event":                "managementEvent",
	"aws.cloudtrail.read_only":                       "readOnly",
	"aws.cloudtrail.request_id":                      "requestID",
	"aws.cloudtrail.recipient_account_id":            "recipientAccountId",
	"aws.cloudtrail.vpc_endpoint_id":                 "vpcEndpointId",
	"aws.cloudtrail.session_credential_from_console": "sessionCredentialFromConsole",
	"aws.cloudtrail.error_code":                      "errorCode",
	"aws.cloudtrail.error_message":                   "errorMessage",
	"aws.cloudtrail.user_identity.type":              "userIdentity.type",
	"aws.cloudtrail.user_identity.arn":               "userIdentity.arn",
	"aws.cloudtrail.user_identity.access_key_id":     "userIdentity.accessKeyId",
	"aws.cloudtrail.user_identity.invoked_by":        "userIdentity.invokedBy",
	// The pipeline renames json.sharedEventId; CloudTrail management and
	// data events spell it sharedEventID, so in Elastic the field is
	// usually missing. The faithful raw path is the one the pipeline reads.
	"aws.cloudtrail.shared_event_id": "sharedEventId",

	"aws.cloudtrail.user_identity.session_context.mfa_authenticated":           "userIdentity.sessionContext.attributes.mfaAuthenticated",
	"aws.cloudtrail.user_identity.session_context.creation_date":               "userIdentity.sessionContext.attributes.creationDate",
	"aws.cloudtrail.user_identity.session_context.session_issuer.type":         "userIdentity.sessionContext.sessionIssuer.type",
	"aws.cloudtrail.user_identity.session_context.session_issuer.arn":          "userIdentity.sessionContext.sessionIssuer.arn",
	"aws.cloudtrail.user_identity.session_context.session_issuer.principal_id": "userIdentity.sessionContext.sessionIssuer.principalId",
	"aws.cloudtrail.user_identity.session_context.session_issuer.account_id":   "userIdentity.sessionContext.sessionIssuer.accountId",
}

// arrayFields are Direct fields read from each element of an array of
// objects.
var arrayFields = map[string][2]string{
	"aws.cloudtrail.resources.arn":        {"resources", "ARN"},
	"aws.cloudtrail.resources.account_id": {"resources", "accountId"},
	"aws.cloudtrail.resources.type":       {"resources", "type"},
}

// flattenedRoots maps each aws.cloudtrail.flattened.* field to the raw
// object it copies.
var flattenedRoots = map[string]string{
	"aws.cloudtrail.flattened.request_parameters":    "requestParameters",
	"aws.cloudtrail.flattened.response_elements":     "responseElements",
	"aws.cloudtrail.flattened.additional_eventdata":  "additionalEventData",
	"aws.cloudtrail.flattened.service_event_details": "serviceEventDetails",
	"aws.cloudtrail.flattened.insight_details":       "insightDetails",
}

// constantFields are the same on every record of the source.
var constantFields = map[string]string{
	"event.dataset":       "aws.cloudtrail",
	"data_stream.dataset": "aws.cloudtrail",
	"data_stream.type":    "logs",
	"event.module":        "aws",
	"event.kind":          "event",
}

// derivedFields are computed by the named rule from their sources.
var derivedFields = map[string]Mapping{
	"event.outcome": {Derived: Outcome, Sources: [][]string{p("errorCode"), p("errorMessage"), p("responseElements.ConsoleLogin")}},
	"user.name":     {Derived: Coalesce, Sources: [][]string{p("userIdentity.userName"), p("userIdentity.sessionContext.sessionIssuer.userName")}},
	"source.ip":     {Derived: IPOnly, Sources: [][]string{p("sourceIPAddress")}},
	"related.user":  {Derived: Union, Sources: [][]string{p("userIdentity.userName"), p("requestParameters.userName"), p("requestParameters.newUserName")}},

	"tls.version_protocol": {Derived: TLSProtocol, Sources: [][]string{p("tlsDetails.tlsVersion")}},
	"tls.version":          {Derived: TLSVersion, Sources: [][]string{p("tlsDetails.tlsVersion")}},

	"aws.cloudtrail.console_login.additional_eventdata.mfa_used":       {Derived: YesNo, EventName: "ConsoleLogin", Sources: [][]string{p("additionalEventData.MFAUsed")}},
	"aws.cloudtrail.console_login.additional_eventdata.mobile_version": {Derived: YesNo, EventName: "ConsoleLogin", Sources: [][]string{p("additionalEventData.MobileVersion")}},
}

// eventNameFields are Direct fields that exist only on records of one
// eventName.
var eventNameFields = map[string]struct{ path, eventName string }{
	"aws.cloudtrail.console_login.additional_eventdata.login_to": {"additionalEventData.LoginTo", "ConsoleLogin"},
}

// Reasons shared by several unavailable fields.
const (
	reasonGeo         = "GeoIP/ASN enrichment of source.ip happens in Elasticsearch; raw CloudTrail has no such data"
	reasonUserAgent   = "parsed from userAgent by Elasticsearch's user_agent processor; only user_agent.original is in raw CloudTrail"
	reasonToString    = "Elastic indexes this object as Java Map.toString() text ({key=value, ...} in HashMap order), which cannot be reproduced faithfully from the raw JSON; use aws.cloudtrail.flattened.%s.<key> instead"
	reasonEventLookup = "set by the integration's eventName lookup table (about 60 IAM/S3/STS actions, default [\"info\"]), which detc does not reproduce; test event.action instead"
	reasonEntity      = "built by the integration's entity sub-pipeline (a per-eventName list of ARNs and ids), which detc does not reproduce"
	reasonIngest      = "the time Elasticsearch ingested the document; raw CloudTrail has no ingest time (rules evaluate @timestamp offline)"
	reasonNotSet      = "the aws.cloudtrail integration does not set this field"
)

// unavailableFields are fields of the catalog the integration sets (or
// that rules use) but that raw CloudTrail cannot produce.
var unavailableFields = map[string]string{
	"event.type":            reasonEventLookup,
	"event.category":        reasonEventLookup,
	"related.entity":        reasonEntity,
	"entity.id":             reasonEntity,
	"entity.target.id":      reasonEntity,
	"event.created":         reasonIngest,
	"event.ingested":        reasonIngest,
	"event.original":        "the whole raw record; the integration removes it unless preserve_original_event is set",
	"data_stream.namespace": "set by the deployment (the integration policy's namespace), not by the record",

	"aws.cloudtrail.request_parameters":      fmt.Sprintf(reasonToString, "request_parameters"),
	"aws.cloudtrail.request_parameters.text": fmt.Sprintf(reasonToString, "request_parameters"),
	"aws.cloudtrail.response_elements":       fmt.Sprintf(reasonToString, "response_elements"),
	"aws.cloudtrail.additional_eventdata":    fmt.Sprintf(reasonToString, "additional_eventdata"),
	"aws.cloudtrail.service_event_details":   fmt.Sprintf(reasonToString, "service_event_details"),
}

// unavailablePrefixes cover whole groups of enrichment fields.
var unavailablePrefixes = []struct{ prefix, reason string }{
	{"source.geo.", reasonGeo},
	{"source.as.", reasonGeo},
	{"user_agent.", reasonUserAgent}, // user_agent.original is Direct and found first
}

// Resolve says how field is reached in raw CloudTrail. Fields the profile
// cannot produce give an *UnavailableError with the reason, and so do names
// that are neither ECS nor aws.cloudtrail fields (with a suggestion).
func Resolve(field string) (Mapping, error) {
	f, known := catalog.Lookup(field)
	m := Mapping{Field: field, Type: f.Type, ESType: f.ESType}
	if path, ok := directFields[field]; ok {
		m.Kind, m.Path = Direct, p(path)
		m.JSONText = jsonTextColumns[m.Path[0]]
		return m, nil
	}
	if en, ok := eventNameFields[field]; ok {
		m.Kind, m.Path, m.EventName = Direct, p(en.path), en.eventName
		m.JSONText = jsonTextColumns[m.Path[0]]
		return m, nil
	}
	if a, ok := arrayFields[field]; ok {
		m.Kind, m.Array, m.Path = Direct, p(a[0]), p(a[1])
		return m, nil
	}
	if v, ok := constantFields[field]; ok {
		m.Kind, m.Constant = Constant, v
		return m, nil
	}
	if d, ok := derivedFields[field]; ok {
		m.Kind, m.Derived, m.Sources, m.EventName = Derived, d.Derived, d.Sources, d.EventName
		m.JSONText = slices.ContainsFunc(d.Sources, func(s []string) bool { return jsonTextColumns[s[0]] })
		return m, nil
	}
	if root, ok := flattenedRoots[field]; ok {
		m.Kind, m.Path, m.Flattened, m.JSONText = Direct, []string{root}, true, true
		return m, nil
	}
	if r, ok := catalog.FlattenedRoot(field); ok {
		if raw, ok := flattenedRoots[r.Name]; ok {
			m.Kind, m.Flattened, m.JSONText = Direct, true, true
			m.Path = append([]string{raw}, p(field[len(r.Name)+1:])...)
			return m, nil
		}
	}
	if base, ok := strings.CutSuffix(field, ".text"); ok && known && f.Type == ir.Text {
		// A text multi-field is the same value as its keyword parent,
		// analysed.
		bm, err := Resolve(base)
		if ue, ok := err.(*UnavailableError); ok {
			return Mapping{}, &UnavailableError{Field: field, Reason: ue.Reason}
		}
		bm.Field, bm.Type, bm.ESType = field, f.Type, f.ESType
		return bm, nil
	}
	if reason := unavailableReason(field); reason != "" {
		return Mapping{}, &UnavailableError{Field: field, Reason: reason}
	}
	if !known {
		e := &UnavailableError{Field: field, Reason: "it is not an ECS field nor an aws.cloudtrail field of the AWS integration"}
		e.Suggestion = catalog.Suggest(field)
		return Mapping{}, e
	}
	return Mapping{}, &UnavailableError{Field: field, Reason: reasonNotSet}
}

func unavailableReason(field string) string {
	if r, ok := unavailableFields[field]; ok {
		return r
	}
	for _, u := range unavailablePrefixes {
		if strings.HasPrefix(field, u.prefix) {
			return u.reason
		}
	}
	return ""
}

// Unavailable lists the fields that Elastic's integration indexes (or that
// rules use) but the profile cannot produce, each with its reason: the
// named fields, and for each enrichment group the catalog fields under it.
// Every other catalog field that Resolve does not map is one the
// integration does not set. The list is sorted by field name.
func Unavailable() []Mapping {
	var out []Mapping
	for name, reason := range unavailableFields {
		out = append(out, unavailableMapping(name, reason))
	}
	for _, u := range unavailablePrefixes {
		for _, f := range catalog.Match(u.prefix + "*") {
			if _, err := Resolve(f.Name); err != nil {
				out = append(out, unavailableMapping(f.Name, u.reason))
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Field < out[j].Field })
	return out
}

func unavailableMapping(name, reason string) Mapping {
	f, _ := catalog.Lookup(name)
	return Mapping{Field: name, Kind: NotAvailable, Type: f.Type, ESType: f.ESType, Reason: reason}
}

// Fields lists every field the profile produces (Direct, Constant and
// Derived; flattened leaves are represented by their roots), sorted.
func Fields() []Mapping {
	var names []string
	for _, m := range []map[string]string{directFields, constantFields, flattenedRoots} {
		for n := range m {
			names = append(names, n)
		}
	}
	for n := range derivedFields {
		names = append(names, n)
	}
	for n := range arrayFields {
		names = append(names, n)
	}
	for n := range eventNameFields {
		names = append(names, n)
	}
	sort.Strings(names)
	out := make([]Mapping, 0, len(names))
	for _, n := range names {
		m, err := Resolve(n)
		if err != nil {
			panic("cloudtrail: profile field does not resolve: " + err.Error())
		}
		out = append(out, m)
	}
	return out
}
