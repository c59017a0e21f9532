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
	// Events are eventNames CloudTrail logs for this eventSource that are no
	// API operation (events of the service itself), from the service's
	// CloudTrail documentation.
	Events []string
}

// services lists the eventSources detc knows. Every decision to turn a check
// on is explained in docs/lint.md; when in doubt a check stays off, because
// the lint must never claim that a real event cannot match.
var services = []service{
	{"accessanalyzer.amazonaws.com", mods("accessanalyzer", "v1.49.1"), true, false, "rest-json; request parameters not verified against CloudTrail", nil},
	{"account.amazonaws.com", mods("account", "v1.32.0"), true, false, "rest-json; request parameters not verified against CloudTrail", nil},
	{"autoscaling.amazonaws.com", mods("autoscaling", "v1.82.0"), true, false, "query protocol; request parameters not verified against CloudTrail", nil},
	{"backup.amazonaws.com", mods("backup", "v1.70.0"), true, false, "rest-json; request parameters not verified against CloudTrail",
		// "Logging AWS Backup API calls with CloudTrail", AWS Backup developer guide (the part of the list seen).
		[]string{"BackupDeleted", "BackupJobCompleted", "BackupJobStarted", "BackupSelectionDeletedDueToSLRDeletion",
			"BackupTransitionedToCold", "CopyJobCompleted", "CopyJobStarted", "ReportJobCompleted", "ReportJobStarted"}},
	{"batch.amazonaws.com", mods("batch", "v1.65.2"), true, false, "rest-json; request parameters not verified against CloudTrail", nil},
	{"bedrock.amazonaws.com", mods("bedrock", "v1.63.0", "bedrockagent", "v1.54.2", "bedrockagentruntime", "v1.41.0", "bedrockruntime", "v1.63.13"), false, false, "one eventSource for several APIs, and CloudTrail logs console-only events (PutFoundationModelEntitlement) that no SDK has", nil},
	{"bedrock-agentcore.amazonaws.com", mods("bedrockagentcore", "v1.59.0"), false, false, "not verified which APIs CloudTrail logs under this eventSource", nil},
	{"bedrock-agentcore-control.amazonaws.com", mods("bedrockagentcorecontrol", "v1.82.0"), false, false, "not verified which APIs CloudTrail logs under this eventSource", nil},
	{"bedrock-runtime.amazonaws.com", mods("bedrockruntime", "v1.63.13"), false, false, "not verified: Bedrock runtime calls are documented under bedrock.amazonaws.com", nil},
	{"cloudformation.amazonaws.com", mods("cloudformation", "v1.85.0"), true, false, "query protocol; request parameters not verified against CloudTrail", nil},
	{"cloudtrail.amazonaws.com", mods("cloudtrail", "v1.56.0"), true, true, "awsJson1_1", nil},
	{"codebuild.amazonaws.com", mods("codebuild", "v1.69.0"), true, true, "awsJson1_1", nil},
	{"codepipeline.amazonaws.com", mods("codepipeline", "v1.47.0"), true, true, "awsJson1_1", nil},
	{"cognito-identity.amazonaws.com", mods("cognitoidentity", "v1.34.0"), true, true, "awsJson1_1", nil},
	{"cognito-idp.amazonaws.com", mods("cognitoidentityprovider", "v1.61.0"), false, true, "awsJson1_1; operation check off: CloudTrail also logs hosted-UI and managed-login requests, whose names were not verified", nil},
	{"config.amazonaws.com", mods("configservice", "v1.74.11"), true, true, "awsJson1_1", nil},
	{"controltower.amazonaws.com", mods("controltower", "v1.29.2"), true, false, "rest-json; request parameters not verified against CloudTrail", nil},
	{"dynamodb.amazonaws.com", mods("dynamodb", "v1.74.1"), true, true, "awsJson1_0", nil},
	{"ec2.amazonaws.com", mods("ec2", "v1.349.0"), true, false, "ec2 query protocol: CloudTrail uses the wire names and wraps lists in items", nil},
	{"ec2-instance-connect.amazonaws.com", mods("ec2instanceconnect", "v1.44.6"), true, true, "awsJson1_1", nil},
	{"ecr.amazonaws.com", mods("ecr", "v1.69.0"), true, true, "awsJson1_1", nil},
	{"ecr-public.amazonaws.com", mods("ecrpublic", "v1.47.12"), true, true, "awsJson1_1", nil},
	{"ecs.amazonaws.com", mods("ecs", "v1.106.0"), true, true, "awsJson1_1", nil},
	{"eks.amazonaws.com", mods("eks", "v1.105.6"), true, false, "rest-json; CloudTrail logs CreateCluster's name as clusterName", nil},
	{"elasticache.amazonaws.com", mods("elasticache", "v1.66.0"), true, false, "query protocol; request parameters not verified against CloudTrail", nil},
	{"elasticfilesystem.amazonaws.com", mods("efs", "v1.41.18"), true, false, "rest-json; request parameters not verified against CloudTrail", nil},
	{"elasticmapreduce.amazonaws.com", mods("emr", "v1.71.3"), true, true, "awsJson1_1", nil},
	{"events.amazonaws.com", mods("eventbridge", "v1.55.11"), true, true, "awsJson1_1", nil},
	{"fms.amazonaws.com", mods("fms", "v1.45.2"), true, true, "awsJson1_1", nil},
	{"guardduty.amazonaws.com", mods("guardduty", "v1.102.0"), true, false, "rest-json; request parameters not verified against CloudTrail",
		// "Example: GuardDuty log file entries", GuardDuty user guide (runtime agent data plane event).
		[]string{"SendSecurityTelemetry"}},
	{"iam.amazonaws.com", mods("iam", "v1.67.0"), true, false, "query protocol; request parameters not verified against CloudTrail", nil},
	{"inspector2.amazonaws.com", mods("inspector2", "v1.48.2"), true, false, "rest-json; request parameters not verified against CloudTrail", nil},
	{"kafka.amazonaws.com", mods("kafka", "v1.65.12"), true, false, "rest-json; request parameters not verified against CloudTrail", nil},
	{"kms.amazonaws.com", mods("kms", "v1.63.0"), true, true, "awsJson1_1",
		// "Logging AWS KMS API calls with AWS CloudTrail", KMS developer guide.
		[]string{"DeleteExpiredKeyMaterial", "DeleteKey", "RotateKey", "SynchronizeMultiRegionKey"}},
	{"lambda.amazonaws.com", mods("lambda", "v1.117.0"), true, false, "rest-json; eventName carries an API version suffix (CreateFunction20150331), which lookups strip", nil},
	{"logs.amazonaws.com", mods("cloudwatchlogs", "v1.92.2"), true, true, "awsJson1_1", nil},
	{"monitoring.amazonaws.com", mods("cloudwatch", "v1.76.0"), true, false, "query protocol until 2025 (now CBOR); request parameters not verified against CloudTrail", nil},
	{"organizations.amazonaws.com", mods("organizations", "v1.63.0"), true, true, "awsJson1_1",
		// CreateAccount's API reference: "Check the CloudTrail log for the CreateAccountResult event".
		[]string{"CreateAccountResult"}},
	{"rds.amazonaws.com", mods("rds", "v1.133.0", "docdb", "v1.49.0", "neptune", "v1.44.7"), true, false, "query protocol; request parameters not verified against CloudTrail", nil},
	{"redshift.amazonaws.com", mods("redshift", "v1.62.10"), true, false, "query protocol; request parameters not verified against CloudTrail", nil},
	{"rolesanywhere.amazonaws.com", mods("rolesanywhere", "v1.34.0"), true, false, "rest-json; request parameters not verified against CloudTrail", nil},
	{"route53.amazonaws.com", mods("route53", "v1.71.0"), true, false, "rest-xml; request parameters not verified against CloudTrail", nil},
	{"route53domains.amazonaws.com", mods("route53domains", "v1.35.2"), true, true, "awsJson1_1", nil},
	{"route53resolver.amazonaws.com", mods("route53resolver", "v1.45.0"), true, true, "awsJson1_1", nil},
	{"s3.amazonaws.com", mods("s3", "v1.116.0"), false, false, "CloudTrail names S3 events and parameters its own way (PutBucketLifeCycle, bucketName, x-amz-acl headers)", nil},
	{"secretsmanager.amazonaws.com", mods("secretsmanager", "v1.51.0"), true, true, "awsJson1_1",
		// "Logging AWS Secrets Manager events with AWS CloudTrail", Secrets Manager user guide.
		[]string{"CancelSecretVersionDelete", "EndSecretVersionDelete", "RotationAbandoned", "RotationFailed",
			"RotationStarted", "RotationSucceeded", "StartSecretVersionDelete"}},
	{"securityhub.amazonaws.com", mods("securityhub", "v1.71.2"), true, false, "rest-json; request parameters not verified against CloudTrail", nil},
	{"servicecatalog.amazonaws.com", mods("servicecatalog", "v1.39.17"), true, true, "awsJson1_1", nil},
	{"sns.amazonaws.com", mods("sns", "v1.48.0"), true, false, "query protocol; request parameters not verified against CloudTrail", nil},
	{"sqs.amazonaws.com", mods("sqs", "v1.53.0"), true, false, "awsJson1_0 since 2023, query protocol before: older events may differ", nil},
	{"ssm.amazonaws.com", mods("ssm", "v1.83.0"), true, true, "awsJson1_1", nil},
	{"sso.amazonaws.com", mods("ssoadmin", "v1.53.0"), false, false, "one eventSource for the admin API, the portal and console-only events", nil},
	{"sts.amazonaws.com", mods("sts", "v1.52.0"), true, false, "query protocol; CloudTrail adds keys no member has (incomingTransitiveTags on AssumeRole)", nil},
	{"waf.amazonaws.com", mods("waf", "v1.30.24"), true, true, "awsJson1_1", nil},
	{"waf-regional.amazonaws.com", mods("wafregional", "v1.30.25"), true, true, "awsJson1_1", nil},
	{"wafv2.amazonaws.com", mods("wafv2", "v1.72.0"), true, true, "awsJson1_1", nil},
	{"xray.amazonaws.com", mods("xray", "v1.36.25"), true, false, "rest-json; request parameters not verified against CloudTrail", nil},
}

// mods builds a module list from name, version pairs.
func mods(nameVersion ...string) []module {
	var out []module
	for i := 0; i+1 < len(nameVersion); i += 2 {
		out = append(out, module{Name: nameVersion[i], Version: nameVersion[i+1]})
	}
	return out
}
