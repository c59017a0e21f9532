package cloudtrail

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/valyala/fastjson"

	"github.com/detc/detc/ir"
)

var (
	errNotObject = errors.New("a CloudTrail record must be a JSON object")
	errTrailing  = errors.New("unexpected data after the JSON object")
)

// ToECS returns the ECS document Elastic's AWS integration would index for
// one raw CloudTrail record, as nested objects ({"event":{"action":...}}).
// It follows the integration's ingest pipeline step by step: constants,
// renames, event.outcome, user.name, source.ip only for IP addresses, the
// aws.cloudtrail.flattened.* copies of the request, response, additional
// and service objects (original keys, JSON values), resources as an array
// of {arn, account_id, type}, @timestamp = eventTime; finally null, "" and
// emptied objects and arrays are dropped everywhere. Numbers are
// json.Number. The Java toString() keywords (aws.cloudtrail.request_parameters
// and its siblings), GeoIP, parsed user agent and the event.type lookup are
// not produced (see Unavailable).
func ToECS(raw []byte) (map[string]any, error) {
	rec, err := DecodeRaw(raw)
	if err != nil {
		return nil, err
	}
	doc := map[string]any{}
	get := func(dotted string) any { return lookupRaw(rec, dotted) }
	str := func(dotted string) string { s, _ := get(dotted).(string); return s }

	// Constants of the data stream.
	set(doc, "data_stream.dataset", "aws.cloudtrail")
	set(doc, "data_stream.type", "logs")
	set(doc, "event.dataset", "aws.cloudtrail")
	set(doc, "event.module", "aws")
	set(doc, "event.kind", "event")

	set(doc, "@timestamp", get("eventTime"))

	// Renames into ECS.
	set(doc, "event.action", get("eventName"))
	set(doc, "event.provider", get("eventSource"))
	set(doc, "event.id", get("eventID"))
	set(doc, "cloud.region", get("awsRegion"))
	set(doc, "cloud.account.id", get("userIdentity.accountId"))
	set(doc, "user_agent.original", get("userAgent"))
	set(doc, "user.id", get("userIdentity.principalId"))
	set(doc, "user.changes.name", get("requestParameters.newUserName"))
	set(doc, "user.target.name", get("requestParameters.userName"))
	set(doc, "user.target.id", get("responseElements.user.userId"))
	set(doc, "group.name", get("requestParameters.groupName"))
	set(doc, "group.id", get("responseElements.group.groupId"))

	// sourceIPAddress is always the address; it is the IP only when it
	// parses as one (it may be a service host name or "AWS Internal").
	set(doc, "source.address", get("sourceIPAddress"))
	if ip := str("sourceIPAddress"); IsIP(ip) {
		set(doc, "source.ip", ip)
	}

	// user.name: the IAM user's name, else the name of the role that
	// issued the session (never the session name).
	if name := str("userIdentity.userName"); name != "" {
		set(doc, "user.name", name)
	} else {
		set(doc, "user.name", get("userIdentity.sessionContext.sessionIssuer.userName"))
	}
	var related []any
	for _, k := range []string{"userIdentity.userName", "requestParameters.userName", "requestParameters.newUserName"} {
		if v := get(k); v != nil && v != "" && !containsValue(related, v) {
			related = append(related, v)
		}
	}
	if len(related) > 0 {
		set(doc, "related.user", related)
	}

	// event.outcome: a console sign-in says it itself; otherwise any error
	// code or message means failure.
	outcome := "success"
	if _, failed := prune(get("errorCode")); failed {
		outcome = "failure"
	}
	if _, failed := prune(get("errorMessage")); failed {
		outcome = "failure"
	}
	if login := str("responseElements.ConsoleLogin"); login != "" {
		outcome = strings.ToLower(login)
	}
	set(doc, "event.outcome", outcome)

	// TLS details.
	if proto, version, ok := SplitTLSVersion(str("tlsDetails.tlsVersion")); ok {
		set(doc, "tls.version_protocol", proto)
		set(doc, "tls.version", version)
	}
	set(doc, "tls.cipher", get("tlsDetails.cipherSuite"))
	set(doc, "tls.client.server_name", get("tlsDetails.clientProvidedHostHeader"))

	// aws.cloudtrail.* renames.
	for _, r := range [][2]string{
		{"eventVersion", "event_version"},
		{"eventCategory", "event_category"},
		{"eventType", "event_type"},
		{"apiVersion", "api_version"},
		{"managementEvent", "management_event"},
		{"readOnly", "read_only"},
		{"requestID", "request_id"},
		{"recipientAccountId", "recipient_account_id"},
		{"sharedEventId", "shared_event_id"},
		{"vpcEndpointId", "vpc_endpoint_id"},
		{"sessionCredentialFromConsole", "session_credential_from_console"},
		{"errorCode", "error_code"},
		{"errorMessage", "error_message"},
		{"userIdentity.type", "user_identity.type"},
		{"userIdentity.arn", "user_identity.arn"},
		{"userIdentity.accessKeyId", "user_identity.access_key_id"},
		{"userIdentity.invokedBy", "user_identity.invoked_by"},
		{"userIdentity.sessionContext.attributes.mfaAuthenticated", "user_identity.session_context.mfa_authenticated"},
		{"userIdentity.sessionContext.attributes.creationDate", "user_identity.session_context.creation_date"},
		{"userIdentity.sessionContext.sessionIssuer.type", "user_identity.session_context.session_issuer.type"},
		{"userIdentity.sessionContext.sessionIssuer.arn", "user_identity.session_context.session_issuer.arn"},
		{"userIdentity.sessionContext.sessionIssuer.principalId", "user_identity.session_context.session_issuer.principal_id"},
		{"userIdentity.sessionContext.sessionIssuer.accountId", "user_identity.session_context.session_issuer.account_id"},
	} {
		set(doc, "aws.cloudtrail."+r[1], get(r[0]))
	}

	// The structured copies, indexed as flattened fields.
	for _, r := range [][2]string{
		{"requestParameters", "request_parameters"},
		{"responseElements", "response_elements"},
		{"additionalEventData", "additional_eventdata"},
		{"serviceEventDetails", "service_event_details"},
		{"insightDetails", "insight_details"},
	} {
		set(doc, "aws.cloudtrail.flattened."+r[1], get(r[0]))
	}

	// Resources: ARN -> arn, accountId -> account_id, de-duplicated.
	if list, ok := get("resources").([]any); ok {
		var resources []any
		for _, e := range list {
			r, ok := e.(map[string]any)
			if !ok {
				continue
			}
			out := map[string]any{}
			for _, k := range [][2]string{{"ARN", "arn"}, {"accountId", "account_id"}, {"type", "type"}} {
				if v, ok := r[k[0]]; ok {
					out[k[1]] = v
				}
			}
			if !containsResource(resources, out) {
				resources = append(resources, out)
			}
		}
		set(doc, "aws.cloudtrail.resources", resources)
	}

	// Console sign-in details: only on ConsoleLogin events.
	if str("eventName") == "ConsoleLogin" {
		if v := get("additionalEventData.MFAUsed"); v != nil && v != "" {
			set(doc, "aws.cloudtrail.console_login.additional_eventdata.mfa_used", v != "No")
		}
		if v := get("additionalEventData.MobileVersion"); v != nil && v != "" {
			set(doc, "aws.cloudtrail.console_login.additional_eventdata.mobile_version", v != "No")
		}
		set(doc, "aws.cloudtrail.console_login.additional_eventdata.login_to", get("additionalEventData.LoginTo"))
	}

	prune(doc)
	return doc, nil
}

// lookupRaw reads a dotted path of object keys in a decoded record; it
// does not cross arrays.
func lookupRaw(rec map[string]any, dotted string) any {
	var cur any = rec
	for key := range strings.SplitSeq(dotted, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[key]
	}
	return cur
}

// set stores v at a dotted path of doc, creating objects on the way. A nil
// value is not stored.
func set(doc map[string]any, dotted string, v any) {
	if v == nil {
		return
	}
	keys := strings.Split(dotted, ".")
	cur := doc
	for _, k := range keys[:len(keys)-1] {
		next, ok := cur[k].(map[string]any)
		if !ok {
			next = map[string]any{}
			cur[k] = next
		}
		cur = next
	}
	cur[keys[len(keys)-1]] = v
}

func containsResource(list []any, r map[string]any) bool {
	for _, e := range list {
		m := e.(map[string]any)
		if len(m) != len(r) {
			continue
		}
		same := true
		for k, v := range r {
			if m[k] != v {
				same = false
				break
			}
		}
		if same {
			return true
		}
	}
	return false
}

// prune removes null and "" values, and objects and arrays that are or
// become empty, at every depth (the integration's final clean-up script).
// It returns the pruned value and whether it is kept.
func prune(v any) (any, bool) {
	switch x := v.(type) {
	case nil:
		return nil, false
	case string:
		return x, x != ""
	case map[string]any:
		for k, e := range x {
			if pe, keep := prune(e); keep {
				x[k] = pe
			} else {
				delete(x, k)
			}
		}
		return x, len(x) > 0
	case []any:
		out := x[:0]
		for _, e := range x {
			if pe, keep := prune(e); keep {
				out = append(out, pe)
			}
		}
		return out, len(out) > 0
	}
	return v, true
}

// EventTime returns a raw record's eventTime.
func EventTime(raw []byte) (time.Time, error) {
	s := fastjson.GetString(raw, "eventTime")
	if s == "" {
		return time.Time{}, errors.New("record has no eventTime")
	}
	t, err := ir.ParseTime(s)
	if err != nil {
		return time.Time{}, fmt.Errorf("eventTime: %w", err)
	}
	return t, nil
}

// EventID returns a raw record's eventID, or "" when it has none.
func EventID(raw []byte) string { return fastjson.GetString(raw, "eventID") }
