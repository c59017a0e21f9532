package main

// sdk is the module path prefix of the aws-sdk-go-v2 service modules.
const sdk = "github.com/aws/aws-sdk-go-v2/service/"

// module pins one aws-sdk-go-v2 service module. Versions are pinned so
// that the generated table only changes when someone bumps them here.
type module struct {
	Name    string // the path under service/, e.g. "dynamodb"
	Version string
}

// service is one CloudTrail eventSource and the SDK modules whose
// operations CloudTrail logs under it (several for rds.amazonaws.com, which
// also carries DocumentDB and Neptune, and bedrock.amazonaws.com, which
// carries the control plane, the agents and the runtime).
type service struct {
	EventSource string
	Modules     []module
	// Operations: CloudTrail's eventName values for this eventSource are the
	// API operation names, so an eventName outside the table is a mistake.
	Operations bool
	// Parameters: CloudTrail writes this service's requestParameters with
	// the API member names (first letter lower-cased) as keys, so a key
	// outside the operation's members is a mistake.
	Parameters bool
	// Note says why a check is off, or what was verified.
	Note string
}

// services lists the eventSources detc knows. Every decision to turn a check
// on is explained in docs/lint.md; when in doubt a check stays off, because
// the lint must never claim that a real event cannot match.
var services = []service{
	{"accessanalyzer.amazonaws.com", mods("accessanalyzer", "v1.49.1"), true, false, "rest-json; request parameters not verified against CloudTrail"},
	{"account.amazonaws.com", mods("account", "v1.32.0"), true, false, "rest-json; request parameters not verified against CloudTrail"},
	{"autoscaling.amazonaws.com", mods("autoscaling", "v1.82.0"), true, false, "query protocol; request parameters not verified against CloudTrail"},
	{"backup.amazonaws.com", mods("backup", "v1.70.0"), true, false, "rest-json; request parameters not verified against CloudTrail"},
	{"batch.amazonaws.com", mods("batch", "v1.65.2"), true, false, "rest-json; request parameters not verified against CloudTrail"},
	{"bedrock.amazonaws.com", mods("bedrock", "v1.63.0", "bedrockagent", "v1.54.2", "bedrockagentruntime", "v1.41.0", "bedrockruntime", "v1.63.13"), false, false, "one eventSource for several APIs, and CloudTrail logs console-only events (PutFoundationModelEntitlement) that no SDK has"},
	{"bedrock-agentcore.amazonaws.com", mods("bedrockagentcore", "v1.59.0", "bedrockagentcorecontrol", "v1.82.0"), false, false, "not verified which APIs CloudTrail logs under this eventSource"},
	{"cloudformation.amazonaws.com", mods("cloudformation", "v1.85.0"), true, false, "query protocol; request parameters not verified against CloudTrail"},
	{"cloudtrail.amazonaws.com", mods("cloudtrail", "v1.56.0"), true, true, "awsJson1_1"},
	{"codebuild.amazonaws.com", mods("codebuild", "v1.69.0"), true, true, "awsJson1_1"},
	{"codepipeline.amazonaws.com", mods("codepipeline", "v1.47.0"), true, true, "awsJson1_1"},
	{"cognito-identity.amazonaws.com", mods("cognitoidentity", "v1.34.0"), true, true, "awsJson1_1"},
	{"cognito-idp.amazonaws.com", mods("cognitoidentityprovider", "v1.61.0"), true, true, "awsJson1_1"},
	{"config.amazonaws.com", mods("configservice", "v1.74.11"), true, true, "awsJson1_1"},
	{"controltower.amazonaws.com", mods("controltower", "v1.29.2"), true, false, "rest-json; request parameters not verified against CloudTrail"},
	{"dynamodb.amazonaws.com", mods("dynamodb", "v1.74.1"), true, true, "awsJson1_0"},
	{"ec2.amazonaws.com", mods("ec2", "v1.349.0"), true, false, "ec2 query protocol: CloudTrail uses the wire names and wraps lists in items"},
	{"ec2-instance-connect.amazonaws.com", mods("ec2instanceconnect", "v1.44.6"), true, true, "awsJson1_1"},
	{"ecr.amazonaws.com", mods("ecr", "v1.69.0"), true, true, "awsJson1_1"},
	{"ecr-public.amazonaws.com", mods("ecrpublic", "v1.47.12"), true, true, "awsJson1_1"},
	{"ecs.amazonaws.com", mods("ecs", "v1.106.0"), true, true, "awsJson1_1"},
	{"eks.amazonaws.com", mods("eks", "v1.105.6"), true, false, "rest-json; request parameters not verified against CloudTrail"},
	{"elasticache.amazonaws.com", mods("elasticache", "v1.66.0"), true, false, "query protocol; request parameters not verified against CloudTrail"},
	{"elasticfilesystem.amazonaws.com", mods("efs", "v1.41.18"), true, false, "rest-json; request parameters not verified against CloudTrail"},
	{"elasticmapreduce.amazonaws.com", mods("emr", "v1.71.3"), true, true, "awsJson1_1"},
	{"events.amazonaws.com", mods("eventbridge", "v1.55.11"), true, true, "awsJson1_1"},
	{"fms.amazonaws.com", mods("fms", "v1.45.2"), true, true, "awsJson1_1"},
	{"guardduty.amazonaws.com", mods("guardduty", "v1.102.0"), true, false, "rest-json; request parameters not verified against CloudTrail"},
	{"iam.amazonaws.com", mods("iam", "v1.67.0"), true, false, "query protocol; request parameters not verified against CloudTrail"},
	{"inspector2.amazonaws.com", mods("inspector2", "v1.48.2"), true, false, "rest-json; request parameters not verified against CloudTrail"},
	{"kafka.amazonaws.com", mods("kafka", "v1.65.12"), true, false, "rest-json; request parameters not verified against CloudTrail"},
	{"kms.amazonaws.com", mods("kms", "v1.63.0"), true, true, "awsJson1_1"},
	{"lambda.amazonaws.com", mods("lambda", "v1.117.0"), true, false, "rest-json; eventName carries an API version suffix (CreateFunction20150331), which lookups strip"},
	{"logs.amazonaws.com", mods("cloudwatchlogs", "v1.92.2"), true, true, "awsJson1_1"},
	{"monitoring.amazonaws.com", mods("cloudwatch", "v1.76.0"), true, false, "query protocol until 2025 (now CBOR); request parameters not verified against CloudTrail"},
	{"organizations.amazonaws.com", mods("organizations", "v1.63.0"), true, true, "awsJson1_1"},
	{"rds.amazonaws.com", mods("rds", "v1.133.0", "docdb", "v1.49.0", "neptune", "v1.44.7"), true, false, "query protocol; request parameters not verified against CloudTrail"},
	{"redshift.amazonaws.com", mods("redshift", "v1.62.10"), true, false, "query protocol; request parameters not verified against CloudTrail"},
	{"rolesanywhere.amazonaws.com", mods("rolesanywhere", "v1.34.0"), true, false, "rest-json; request parameters not verified against CloudTrail"},
	{"route53.amazonaws.com", mods("route53", "v1.71.0"), true, false, "rest-xml; request parameters not verified against CloudTrail"},
	{"route53domains.amazonaws.com", mods("route53domains", "v1.35.2"), true, true, "awsJson1_1"},
	{"route53resolver.amazonaws.com", mods("route53resolver", "v1.45.0"), true, true, "awsJson1_1"},
	{"s3.amazonaws.com", mods("s3", "v1.116.0"), false, false, "CloudTrail names S3 events and parameters its own way (PutBucketPublicAccessBlock, bucketName, x-amz-acl headers)"},
	{"secretsmanager.amazonaws.com", mods("secretsmanager", "v1.51.0"), true, true, "awsJson1_1"},
	{"securityhub.amazonaws.com", mods("securityhub", "v1.71.2"), true, false, "rest-json; request parameters not verified against CloudTrail"},
	{"servicecatalog.amazonaws.com", mods("servicecatalog", "v1.39.17"), true, true, "awsJson1_1"},
	{"sns.amazonaws.com", mods("sns", "v1.48.0"), true, false, "query protocol; request parameters not verified against CloudTrail"},
	{"sqs.amazonaws.com", mods("sqs", "v1.53.0"), true, false, "awsJson1_0 since 2023, query protocol before: older events may differ"},
	{"ssm.amazonaws.com", mods("ssm", "v1.83.0"), true, true, "awsJson1_1"},
	{"sso.amazonaws.com", mods("ssoadmin", "v1.53.0"), false, false, "one eventSource for the admin API, the portal and console-only events"},
	{"sts.amazonaws.com", mods("sts", "v1.52.0"), true, false, "query protocol; request parameters not verified against CloudTrail"},
	{"waf.amazonaws.com", mods("waf", "v1.30.24"), true, true, "awsJson1_1"},
	{"waf-regional.amazonaws.com", mods("wafregional", "v1.30.25"), true, true, "awsJson1_1"},
	{"wafv2.amazonaws.com", mods("wafv2", "v1.72.0"), true, true, "awsJson1_1"},
	{"xray.amazonaws.com", mods("xray", "v1.36.25"), true, false, "rest-json; request parameters not verified against CloudTrail"},
}

// mods builds a module list from name, version pairs.
func mods(nameVersion ...string) []module {
	var out []module
	for i := 0; i+1 < len(nameVersion); i += 2 {
		out = append(out, module{Name: nameVersion[i], Version: nameVersion[i+1]})
	}
	return out
}
