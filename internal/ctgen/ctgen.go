// Package ctgen generates realistic, deterministic CloudTrail records as
// NDJSON, for benchmarks and scale tests of detc scan and the evaluator.
package ctgen

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"time"
)

// SuspiciousRate is the share of generated records that are the kind of
// action detection rules look for (see Suspicious).
const SuspiciousRate = 0.05

// Start is the eventTime of the first generated record.
var Start = time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC)

// Generate writes n CloudTrail records to w, one JSON object per line.
// The output depends only on n and seed. Records average about 1.5 KB;
// they vary services, actions, identities (IAM users, assumed roles with
// SSO and EC2 sessions, AWS services, rarely root), addresses, user agents,
// request parameters, resources arrays and errors, and about
// SuspiciousRate of them are actions named by Suspicious. Event times
// advance by about a second per record, with a little jitter, as CloudTrail
// delivers them.
func Generate(w io.Writer, n int, seed int64) error {
	g := newGenerator(seed)
	bw := bufio.NewWriterSize(w, 1<<16)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	for i := 0; i < n; i++ {
		if err := enc.Encode(g.record()); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// Suspicious lists the eventSource/eventName pairs of the rule-relevant
// actions the generator mixes in, as "source:name".
func Suspicious() []string {
	out := make([]string, 0, len(suspiciousActions))
	for _, a := range suspiciousActions {
		out = append(out, a.source+":"+a.name)
	}
	return out
}

// record is one CloudTrail record, with fields in CloudTrail's order.
type record struct {
	EventVersion                 string         `json:"eventVersion"`
	UserIdentity                 *identity      `json:"userIdentity"`
	EventTime                    string         `json:"eventTime"`
	EventSource                  string         `json:"eventSource"`
	EventName                    string         `json:"eventName"`
	AWSRegion                    string         `json:"awsRegion"`
	SourceIPAddress              string         `json:"sourceIPAddress"`
	UserAgent                    string         `json:"userAgent"`
	ErrorCode                    string         `json:"errorCode,omitempty"`
	ErrorMessage                 string         `json:"errorMessage,omitempty"`
	RequestParameters            map[string]any `json:"requestParameters"`
	ResponseElements             map[string]any `json:"responseElements"`
	AdditionalEventData          map[string]any `json:"additionalEventData,omitempty"`
	RequestID                    string         `json:"requestID"`
	EventID                      string         `json:"eventID"`
	ReadOnly                     bool           `json:"readOnly"`
	Resources                    []resource     `json:"resources,omitempty"`
	EventType                    string         `json:"eventType"`
	APIVersion                   string         `json:"apiVersion,omitempty"`
	ManagementEvent              bool           `json:"managementEvent"`
	RecipientAccountID           string         `json:"recipientAccountId"`
	SharedEventID                string         `json:"sharedEventID,omitempty"`
	VPCEndpointID                string         `json:"vpcEndpointId,omitempty"`
	EventCategory                string         `json:"eventCategory"`
	TLSDetails                   *tlsDetails    `json:"tlsDetails,omitempty"`
	SessionCredentialFromConsole string         `json:"sessionCredentialFromConsole,omitempty"`
}

type identity struct {
	Type           string          `json:"type"`
	PrincipalID    string          `json:"principalId,omitempty"`
	ARN            string          `json:"arn,omitempty"`
	AccountID      string          `json:"accountId,omitempty"`
	AccessKeyID    string          `json:"accessKeyId,omitempty"`
	UserName       string          `json:"userName,omitempty"`
	SessionContext *sessionContext `json:"sessionContext,omitempty"`
	InvokedBy      string          `json:"invokedBy,omitempty"`
}

type sessionContext struct {
	SessionIssuer   *sessionIssuer `json:"sessionIssuer,omitempty"`
	WebIDFederation map[string]any `json:"webIdFederationData,omitempty"`
	Attributes      sessionAttrs   `json:"attributes"`
	SourceIdentity  string         `json:"sourceIdentity,omitempty"`
	EC2RoleDelivery string         `json:"ec2RoleDelivery,omitempty"`
}

type sessionIssuer struct {
	Type        string `json:"type"`
	PrincipalID string `json:"principalId"`
	ARN         string `json:"arn"`
	AccountID   string `json:"accountId"`
	UserName    string `json:"userName"`
}

type sessionAttrs struct {
	CreationDate     string `json:"creationDate"`
	MFAAuthenticated string `json:"mfaAuthenticated"`
}

type resource struct {
	AccountID string `json:"accountId,omitempty"`
	Type      string `json:"type"`
	ARN       string `json:"ARN"`
}

type tlsDetails struct {
	TLSVersion               string `json:"tlsVersion"`
	CipherSuite              string `json:"cipherSuite"`
	ClientProvidedHostHeader string `json:"clientProvidedHostHeader"`
}

// principal is one actor of the generated estate.
type principal struct {
	kind      string // IAMUser, SSO, EC2, Lambda, AWSService, Root
	account   string
	name      string // user name, role name or service
	session   string // session name for assumed roles
	roleID    string
	keyID     string
	principal string
	agents    []string
	addrs     []string
}

type generator struct {
	rng        *rand.Rand
	now        time.Time
	principals []*principal
	weights    []int // cumulative weights of benignActions
	total      int
}

var (
	accounts = []string{"111122223333", "444455556666", "777788889999"}
	regions  = []string{"us-east-1", "us-east-1", "us-east-1", "us-west-2", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2"}
	people   = []string{"alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "mallory", "niaj", "olivia", "peggy", "rupert", "sybil", "trent", "victor", "walter", "yolanda"}
	roles    = []string{"DataAdmin", "ReadOnly", "PowerUser", "SecurityAudit", "Billing", "Developer", "NetworkAdmin"}
	services = []string{"ec2.amazonaws.com", "lambda.amazonaws.com", "cloudformation.amazonaws.com", "config.amazonaws.com", "elasticloadbalancing.amazonaws.com", "autoscaling.amazonaws.com", "backup.amazonaws.com", "ssm.amazonaws.com"}

	cliAgents = []string{
		"aws-cli/2.24.10 md/awscrt#0.23.8 ua/2.1 os/linux#6.8.0-1021-aws md/arch#x86_64 lang/python#3.12.9 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/distrib#ubuntu.24 md/prompt#off md/command#%s",
		"aws-cli/2.22.35 md/awscrt#0.23.4 ua/2.0 os/macos#24.3.0 md/arch#arm64 lang/python#3.12.8 md/pyimpl#CPython cfg/retry-mode#standard md/installer#source md/prompt#off md/command#%s",
		"aws-cli/1.36.14 md/Botocore#1.35.73 ua/2.0 os/linux#5.10.233-224.894.amzn2.x86_64 md/arch#x86_64 lang/python#3.9.20 md/pyimpl#CPython cfg/retry-mode#legacy botocore/1.35.73",
	}
	sdkAgents = []string{
		"Boto3/1.35.90 md/Botocore#1.35.90 ua/2.0 os/linux#5.10.230-223.885.amzn2.x86_64 md/arch#x86_64 lang/python#3.11.11 md/pyimpl#CPython exec-env/AWS_ECS_FARGATE cfg/retry-mode#legacy Botocore/1.35.90",
		"aws-sdk-go-v2/1.32.7 ua/2.1 os/linux lang/go#1.23.4 md/GOOS#linux md/GOARCH#amd64 api/ec2#1.198.1 m/E,g",
		"aws-sdk-java/2.29.43 Linux/5.15.0-1072-aws OpenJDK_64-Bit_Server_VM/21.0.5+11-LTS Java/21.0.5 vendor/Eclipse_Adoptium io/async http/NettyNio cfg/retry-mode/standard",
		"aws-sdk-js/3.723.0 ua/2.1 os/linux#5.10.231-222.885.amzn2.x86_64 lang/js md/nodejs#20.18.1 api/s3#3.723.0 m/E,N",
		"APN/1.0 HashiCorp/1.0 Terraform/1.10.3 (+https://www.terraform.io) terraform-provider-aws/5.82.2 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.32.7 ua/2.1 os/linux lang/go#1.23.4 md/GOOS#linux md/GOARCH#amd64 api/sts#1.33.3",
	}
	consoleAgents = []string{
		"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
		"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
	}
	ciphers = []string{"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "ECDHE-RSA-AES128-GCM-SHA256"}
)

func newGenerator(seed int64) *generator {
	g := &generator{
		rng: rand.New(rand.NewPCG(uint64(seed), 0x9e3779b97f4a7c15)),
		now: Start,
	}
	g.principals = g.makePrincipals()
	for _, a := range benignActions {
		g.total += a.weight
		g.weights = append(g.weights, g.total)
	}
	return g
}

func (g *generator) pick(xs []string) string { return xs[g.rng.IntN(len(xs))] }

func (g *generator) hex(n int, upper bool) string {
	const lower, upperDigits = "0123456789abcdef", "0123456789ABCDEF"
	digits := lower
	if upper {
		digits = upperDigits
	}
	b := make([]byte, n)
	for i := range b {
		b[i] = digits[g.rng.IntN(16)]
	}
	return string(b)
}

func (g *generator) alnum(n int) string {
	const chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	b := make([]byte, n)
	for i := range b {
		b[i] = chars[g.rng.IntN(len(chars))]
	}
	return string(b)
}

func (g *generator) uuid() string {
	h := g.hex(32, false)
	return h[:8] + "-" + h[8:12] + "-4" + h[13:16] + "-" + "89ab"[g.rng.IntN(4):][:1] + h[17:20] + "-" + h[20:]
}

func (g *generator) publicIP() string {
	switch g.rng.IntN(10) {
	case 0:
		return fmt.Sprintf("2001:db8:%x:%x::%x", g.rng.IntN(0xffff), g.rng.IntN(0xffff), 1+g.rng.IntN(0xfff))
	case 1, 2:
		return fmt.Sprintf("10.%d.%d.%d", g.rng.IntN(256), g.rng.IntN(256), 1+g.rng.IntN(254))
	}
	nets := []string{"198.51.100", "203.0.113", "192.0.2", "100.64.12", "81.2.69", "89.160.20"}
	return fmt.Sprintf("%s.%d", g.pick(nets), 1+g.rng.IntN(254))
}

func (g *generator) makePrincipals() []*principal {
	var ps []*principal
	for i, person := range people {
		account := accounts[i%len(accounts)]
		addrs := []string{g.publicIP(), g.publicIP()}
		if i%3 == 0 {
			ps = append(ps, &principal{kind: "IAMUser", account: account, name: person, principal: "AIDA" + g.alnum(17),
				keyID: "AKIA" + g.alnum(16), agents: []string{cliAgents[i%len(cliAgents)], consoleAgents[i%len(consoleAgents)]}, addrs: addrs})
		}
		role := roles[i%len(roles)]
		ps = append(ps, &principal{kind: "SSO", account: account, name: "AWSReservedSSO_" + role + "_" + g.hex(16, false),
			session: person + "@example.com", roleID: "AROA" + g.alnum(17),
			agents: []string{cliAgents[(i+1)%len(cliAgents)], consoleAgents[(i+2)%len(consoleAgents)], sdkAgents[i%len(sdkAgents)]}, addrs: addrs})
	}
	for i := 0; i < 12; i++ {
		account := accounts[i%len(accounts)]
		ps = append(ps, &principal{kind: "EC2", account: account, name: fmt.Sprintf("app-%s-instance-role", []string{"web", "worker", "batch", "etl"}[i%4]),
			session: "i-0" + g.hex(16, false), roleID: "AROA" + g.alnum(17), agents: sdkAgents[:3], addrs: []string{fmt.Sprintf("10.%d.%d.%d", i, g.rng.IntN(256), 1+g.rng.IntN(254))}})
		ps = append(ps, &principal{kind: "Lambda", account: account, name: fmt.Sprintf("lambda-%s-exec", []string{"ingest", "resize", "notify"}[i%3]),
			session: fmt.Sprintf("lambda-%s-fn", []string{"ingest", "resize", "notify"}[i%3]), roleID: "AROA" + g.alnum(17),
			agents: []string{sdkAgents[0] + " exec-env/AWS_Lambda_python3.12", sdkAgents[3] + " exec-env/AWS_Lambda_nodejs20.x"}, addrs: []string{g.publicIP()}})
		ps = append(ps, &principal{kind: "CI", account: account, name: "ci-deploy", principal: "AIDA" + g.alnum(17),
			keyID: "AKIA" + g.alnum(16), agents: sdkAgents[4:], addrs: []string{g.publicIP()}})
	}
	for _, s := range services {
		ps = append(ps, &principal{kind: "AWSService", name: s, agents: []string{s}, addrs: []string{s}})
	}
	return ps
}

// identity builds the userIdentity of p for one call.
func (g *generator) identity(p *principal) *identity {
	switch p.kind {
	case "IAMUser", "CI":
		return &identity{Type: "IAMUser", PrincipalID: p.principal, ARN: "arn:aws:iam::" + p.account + ":user/" + p.name,
			AccountID: p.account, AccessKeyID: p.keyID, UserName: p.name}
	case "AWSService":
		return &identity{Type: "AWSService", InvokedBy: p.name}
	case "Root":
		return &identity{Type: "Root", PrincipalID: p.account, ARN: "arn:aws:iam::" + p.account + ":root", AccountID: p.account}
	}
	path := "role/"
	if p.kind == "SSO" {
		path = "role/aws-reserved/sso.amazonaws.com/"
	}
	created := g.now.Add(-time.Duration(g.rng.IntN(3600)) * time.Second).Format(time.RFC3339)
	id := &identity{
		Type:        "AssumedRole",
		PrincipalID: p.roleID + ":" + p.session,
		ARN:         "arn:aws:sts::" + p.account + ":assumed-role/" + p.name + "/" + p.session,
		AccountID:   p.account,
		AccessKeyID: "ASIA" + g.alnum(16),
		SessionContext: &sessionContext{
			SessionIssuer: &sessionIssuer{Type: "Role", PrincipalID: p.roleID, ARN: "arn:aws:iam::" + p.account + ":" + path + p.name, AccountID: p.account, UserName: p.name},
			Attributes:    sessionAttrs{CreationDate: created, MFAAuthenticated: "false"},
		},
	}
	if p.kind == "EC2" {
		id.SessionContext.EC2RoleDelivery = "2.0"
	}
	if p.kind == "Lambda" && g.rng.IntN(2) == 0 {
		id.InvokedBy = "lambda.amazonaws.com"
	}
	return id
}

// action is one kind of API call.
type action struct {
	source, name string
	weight       int
	readOnly     bool
	data         bool // a data event rather than a management event
	apiVersion   string
	// build fills in the call-specific parts of r.
	build func(g *generator, r *record, p *principal)
}

func (g *generator) record() *record {
	suspicious := g.rng.Float64() < SuspiciousRate
	var a *action
	if suspicious {
		a = &suspiciousActions[g.rng.IntN(len(suspiciousActions))]
	} else {
		w := g.rng.IntN(g.total)
		for i, c := range g.weights {
			if w < c {
				a = &benignActions[i]
				break
			}
		}
	}
	p := g.principals[g.rng.IntN(len(g.principals))]
	if suspicious && p.kind == "AWSService" {
		p = g.principals[0]
	}
	g.now = g.now.Add(time.Duration(200+g.rng.IntN(1600)) * time.Millisecond)
	at := g.now.Add(-time.Duration(g.rng.IntN(20)) * time.Second)
	region := g.pick(regions)
	account := p.account
	if account == "" {
		account = g.pick(accounts)
	}
	r := &record{
		EventVersion:       "1.11",
		UserIdentity:       g.identity(p),
		EventTime:          at.Format(time.RFC3339),
		EventSource:        a.source,
		EventName:          a.name,
		AWSRegion:          region,
		SourceIPAddress:    g.pick(p.addrs),
		UserAgent:          g.pick(p.agents),
		RequestID:          g.uuid(),
		EventID:            g.uuid(),
		ReadOnly:           a.readOnly,
		EventType:          "AwsApiCall",
		APIVersion:         a.apiVersion,
		ManagementEvent:    !a.data,
		RecipientAccountID: account,
		EventCategory:      "Management",
	}
	if len(r.UserAgent) > 0 && r.UserAgent[len(r.UserAgent)-2:] == "%s" {
		r.UserAgent = fmt.Sprintf(r.UserAgent, a.source[:len(a.source)-len(".amazonaws.com")]+"."+a.name)
	}
	if a.data {
		r.EventCategory = "Data"
	}
	host := a.source[:len(a.source)-len(".amazonaws.com")] + "." + region + ".amazonaws.com"
	if p.kind != "AWSService" {
		r.TLSDetails = &tlsDetails{TLSVersion: "TLSv1.3", CipherSuite: g.pick(ciphers), ClientProvidedHostHeader: host}
		if g.rng.IntN(5) == 0 {
			r.TLSDetails.TLSVersion = "TLSv1.2"
		}
	}
	if p.kind == "EC2" && g.rng.IntN(4) == 0 {
		r.VPCEndpointID = "vpce-0" + g.hex(16, false)
	}
	a.build(g, r, p)
	if !suspicious && g.rng.IntN(25) == 0 {
		g.fail(r)
	}
	return r
}

// fail turns r into a failed call.
func (g *generator) fail(r *record) {
	switch g.rng.IntN(4) {
	case 0:
		r.ErrorCode, r.ErrorMessage = "ThrottlingException", "Rate exceeded"
	case 1:
		r.ErrorCode = "ResourceNotFoundException"
		r.ErrorMessage = "Requested resource not found"
	default:
		r.ErrorCode = "AccessDenied"
		r.ErrorMessage = "User: " + r.UserIdentity.ARN + " is not authorized to perform: " +
			r.EventSource[:len(r.EventSource)-len(".amazonaws.com")] + ":" + r.EventName + " because no identity-based policy allows the action"
	}
	r.ResponseElements = nil
}
