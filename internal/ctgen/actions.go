package ctgen

import "fmt"

// Names of the generated estate's resources.
var (
	buckets   = []string{"analytics-raw", "analytics-curated", "app-assets", "backups-prod", "cloudtrail-logs", "ml-training-data"}
	tables    = []string{"customers", "orders", "sessions", "inventory", "audit-events"}
	functions = []string{"ingest-handler", "image-resize", "notify-users", "etl-nightly"}
	keys      = []string{"data/2026/01/05/part-00000.snappy.parquet", "exports/report-q4.csv", "images/upload/IMG_2231.jpg", "config/app.yaml", "logs/app/2026-01-05.log.gz"}
	params    = []string{"/prod/db/host", "/prod/app/feature-flags", "/shared/vpc/id", "/dev/api/endpoint"}
)

func arnS3(bucket string) string { return "arn:aws:s3:::" + bucket }

func (g *generator) tableARN(r *record) string {
	return fmt.Sprintf("arn:aws:dynamodb:%s:%s:table/%s", r.AWSRegion, r.RecipientAccountID, g.pick(tables))
}

func (g *generator) instanceID() string { return "i-0" + g.hex(16, false) }

// s3Object makes r an S3 object-level data event on a random object.
func (g *generator) s3Object(r *record, extra map[string]any) {
	bucket, key := g.pick(buckets), g.pick(keys)
	rp := map[string]any{"bucketName": bucket, "Host": bucket + ".s3." + r.AWSRegion + ".amazonaws.com", "key": key}
	for k, v := range extra {
		rp[k] = v
	}
	r.RequestParameters = rp
	r.AdditionalEventData = map[string]any{
		"SignatureVersion": "SigV4", "CipherSuite": "TLS_AES_128_GCM_SHA256", "bytesTransferredIn": 0,
		"bytesTransferredOut": 1024 + g.rng.IntN(1<<20), "AuthenticationMethod": "AuthHeader", "x-amz-id-2": g.alnum(56),
	}
	r.Resources = []resource{
		{Type: "AWS::S3::Object", ARN: arnS3(bucket) + "/" + key},
		{AccountID: r.RecipientAccountID, Type: "AWS::S3::Bucket", ARN: arnS3(bucket)},
	}
	r.RequestID = g.alnum(16)
	r.SharedEventID = g.uuid()
}

func (g *generator) dynamoItem(r *record) {
	table := g.pick(tables)
	r.RequestParameters = map[string]any{
		"tableName":                table,
		"key":                      map[string]any{"pk": "CUSTOMER#" + g.hex(8, false), "sk": "PROFILE"},
		"consistentRead":           g.rng.IntN(2) == 0,
		"projectionExpression":     "#n, email, updatedAt",
		"expressionAttributeNames": map[string]any{"#n": "name"},
	}
	r.Resources = []resource{{AccountID: r.RecipientAccountID, Type: "AWS::DynamoDB::Table",
		ARN: fmt.Sprintf("arn:aws:dynamodb:%s:%s:table/%s", r.AWSRegion, r.RecipientAccountID, table)}}
}

func (g *generator) kmsKey(r *record) {
	keyARN := fmt.Sprintf("arn:aws:kms:%s:%s:key/%s", r.AWSRegion, r.RecipientAccountID, g.uuid())
	r.RequestParameters = map[string]any{
		"keyId": keyARN, "encryptionAlgorithm": "SYMMETRIC_DEFAULT",
		"encryptionContext": map[string]any{"aws:s3:arn": arnS3(g.pick(buckets)) + "/" + g.pick(keys)},
	}
	r.Resources = []resource{{AccountID: r.RecipientAccountID, Type: "AWS::KMS::Key", ARN: keyARN}}
}

func (g *generator) describeFilters(r *record) {
	r.RequestParameters = map[string]any{
		"maxResults": 1000,
		"filterSet": map[string]any{"items": []any{
			map[string]any{"name": "tag:Environment", "valueSet": map[string]any{"items": []any{map[string]any{"value": "prod"}}}},
			map[string]any{"name": "instance-state-name", "valueSet": map[string]any{"items": []any{map[string]any{"value": "running"}}}},
		}},
	}
}

// benignActions are everyday calls: reads, data access and routine changes
// that the AWS rules do not look for.
var benignActions = []action{
	{source: "ec2.amazonaws.com", name: "DescribeInstances", weight: 60, readOnly: true, apiVersion: "", build: func(g *generator, r *record, p *principal) {
		g.describeFilters(r)
	}},
	{source: "ec2.amazonaws.com", name: "DescribeSecurityGroups", weight: 20, readOnly: true, build: func(g *generator, r *record, p *principal) {
		r.RequestParameters = map[string]any{"securityGroupSet": map[string]any{}, "securityGroupIdSet": map[string]any{"items": []any{map[string]any{"groupId": "sg-0" + g.hex(16, false)}}}}
	}},
	{source: "ec2.amazonaws.com", name: "DescribeVolumes", weight: 15, readOnly: true, build: func(g *generator, r *record, p *principal) {
		g.describeFilters(r)
	}},
	{source: "ec2.amazonaws.com", name: "StartInstances", weight: 4, build: func(g *generator, r *record, p *principal) {
		id := g.instanceID()
		r.RequestParameters = map[string]any{"instancesSet": map[string]any{"items": []any{map[string]any{"instanceId": id}}}}
		r.ResponseElements = map[string]any{"requestId": r.RequestID, "instancesSet": map[string]any{"items": []any{map[string]any{
			"instanceId": id, "currentState": map[string]any{"code": 0, "name": "pending"}, "previousState": map[string]any{"code": 80, "name": "stopped"}}}}}
	}},
	{source: "ec2.amazonaws.com", name: "CreateTags", weight: 6, build: func(g *generator, r *record, p *principal) {
		r.RequestParameters = map[string]any{
			"resourcesSet": map[string]any{"items": []any{map[string]any{"resourceId": g.instanceID()}}},
			"tagSet":       map[string]any{"items": []any{map[string]any{"key": "Owner", "value": "team-data"}, map[string]any{"key": "CostCenter", "value": fmt.Sprint(1000 + g.rng.IntN(9000))}}},
		}
		r.ResponseElements = map[string]any{"requestId": r.RequestID, "_return": true}
	}},
	{source: "s3.amazonaws.com", name: "GetObject", weight: 90, readOnly: true, data: true, build: func(g *generator, r *record, p *principal) {
		g.s3Object(r, nil)
	}},
	{source: "s3.amazonaws.com", name: "PutObject", weight: 40, data: true, build: func(g *generator, r *record, p *principal) {
		g.s3Object(r, map[string]any{"x-amz-server-side-encryption": "aws:kms", "Content-Type": "application/octet-stream"})
		r.ResponseElements = map[string]any{"x-amz-server-side-encryption": "aws:kms", "x-amz-version-id": g.alnum(32)}
	}},
	{source: "s3.amazonaws.com", name: "HeadObject", weight: 30, readOnly: true, data: true, build: func(g *generator, r *record, p *principal) {
		g.s3Object(r, nil)
	}},
	{source: "s3.amazonaws.com", name: "GetBucketLocation", weight: 10, readOnly: true, build: func(g *generator, r *record, p *principal) {
		b := g.pick(buckets)
		r.RequestParameters = map[string]any{"bucketName": b, "Host": "s3.amazonaws.com", "location": ""}
		r.Resources = []resource{{AccountID: r.RecipientAccountID, Type: "AWS::S3::Bucket", ARN: arnS3(b)}}
	}},
	{source: "dynamodb.amazonaws.com", name: "GetItem", weight: 50, readOnly: true, data: true, apiVersion: "2012-08-10", build: func(g *generator, r *record, p *principal) {
		g.dynamoItem(r)
	}},
	{source: "dynamodb.amazonaws.com", name: "PutItem", weight: 25, data: true, apiVersion: "2012-08-10", build: func(g *generator, r *record, p *principal) {
		g.dynamoItem(r)
	}},
	{source: "dynamodb.amazonaws.com", name: "DescribeTable", weight: 10, readOnly: true, apiVersion: "2012-08-10", build: func(g *generator, r *record, p *principal) {
		r.RequestParameters = map[string]any{"tableName": g.pick(tables)}
		r.Resources = []resource{{AccountID: r.RecipientAccountID, Type: "AWS::DynamoDB::Table", ARN: g.tableARN(r)}}
	}},
	{source: "kms.amazonaws.com", name: "Decrypt", weight: 45, readOnly: true, build: func(g *generator, r *record, p *principal) {
		g.kmsKey(r)
	}},
	{source: "kms.amazonaws.com", name: "GenerateDataKey", weight: 25, readOnly: true, build: func(g *generator, r *record, p *principal) {
		g.kmsKey(r)
		r.RequestParameters["keySpec"] = "AES_256"
	}},
	{source: "lambda.amazonaws.com", name: "ListFunctions20150331", weight: 8, readOnly: true, apiVersion: "2015-03-31", build: func(g *generator, r *record, p *principal) {
		r.RequestParameters = map[string]any{"maxItems": 50}
	}},
	{source: "lambda.amazonaws.com", name: "GetFunction20150331v2", weight: 8, readOnly: true, apiVersion: "2015-03-31", build: func(g *generator, r *record, p *principal) {
		r.RequestParameters = map[string]any{"functionName": g.pick(functions)}
	}},
	{source: "logs.amazonaws.com", name: "DescribeLogGroups", weight: 10, readOnly: true, build: func(g *generator, r *record, p *principal) {
		r.RequestParameters = map[string]any{"logGroupNamePrefix": "/aws/lambda/" + g.pick(functions), "limit": 50}
	}},
	{source: "logs.amazonaws.com", name: "CreateLogStream", weight: 8, build: func(g *generator, r *record, p *principal) {
		r.RequestParameters = map[string]any{"logGroupName": "/aws/lambda/" + g.pick(functions), "logStreamName": "2026/01/05/[$LATEST]" + g.hex(32, false)}
	}},
	{source: "monitoring.amazonaws.com", name: "GetMetricData", weight: 25, readOnly: true, build: func(g *generator, r *record, p *principal) {
		r.RequestParameters = map[string]any{"metricDataQueries": []any{
			map[string]any{"id": "m1", "metricStat": map[string]any{"metric": map[string]any{"namespace": "AWS/EC2", "metricName": "CPUUtilization",
				"dimensions": []any{map[string]any{"name": "InstanceId", "value": g.instanceID()}}}, "period": 300, "stat": "Average"}},
		}, "startTime": "Jan 5, 2026, 7:00:00 AM", "endTime": "Jan 5, 2026, 8:00:00 AM"}
	}},
	{source: "monitoring.amazonaws.com", name: "DescribeAlarms", weight: 10, readOnly: true, build: func(g *generator, r *record, p *principal) {
		r.RequestParameters = map[string]any{"alarmNamePrefix": "prod-", "maxRecords": 100}
	}},
	{source: "iam.amazonaws.com", name: "GetRole", weight: 10, readOnly: true, build: func(g *generator, r *record, p *principal) {
		r.RequestParameters = map[string]any{"roleName": "app-" + g.pick([]string{"web", "worker", "batch"}) + "-instance-role"}
	}},
	{source: "iam.amazonaws.com", name: "ListAttachedRolePolicies", weight: 6, readOnly: true, build: func(g *generator, r *record, p *principal) {
		r.RequestParameters = map[string]any{"roleName": "lambda-ingest-exec", "maxItems": 100}
	}},
	{source: "ssm.amazonaws.com", name: "GetParameter", weight: 20, readOnly: true, apiVersion: "", build: func(g *generator, r *record, p *principal) {
		r.RequestParameters = map[string]any{"name": g.pick(params), "withDecryption": false}
	}},
	{source: "ecr.amazonaws.com", name: "GetAuthorizationToken", weight: 8, readOnly: true, build: func(g *generator, r *record, p *principal) {
		r.RequestParameters = map[string]any{"registryIds": []any{r.RecipientAccountID}}
	}},
	{source: "cloudformation.amazonaws.com", name: "DescribeStacks", weight: 8, readOnly: true, build: func(g *generator, r *record, p *principal) {
		r.RequestParameters = map[string]any{"stackName": fmt.Sprintf("arn:aws:cloudformation:%s:%s:stack/platform-%s/%s", r.AWSRegion, r.RecipientAccountID, g.pick([]string{"network", "data", "web"}), g.uuid())}
	}},
	{source: "sts.amazonaws.com", name: "AssumeRoleWithSAML", weight: 3, build: func(g *generator, r *record, p *principal) {
		role := fmt.Sprintf("arn:aws:iam::%s:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_ReadOnly_%s", r.RecipientAccountID, g.hex(16, false))
		r.RequestParameters = map[string]any{"roleArn": role, "principalArn": fmt.Sprintf("arn:aws:iam::%s:saml-provider/AWSSSO_%s_DO_NOT_DELETE", r.RecipientAccountID, g.hex(16, false)), "durationSeconds": 3600}
		r.ResponseElements = map[string]any{"credentials": map[string]any{"accessKeyId": "ASIA" + g.alnum(16), "expiration": "Jan 5, 2026, 9:00:00 AM", "sessionToken": g.alnum(40)}}
		r.Resources = []resource{{AccountID: r.RecipientAccountID, Type: "AWS::IAM::Role", ARN: role}}
		r.SharedEventID = g.uuid()
	}},
}

// suspiciousActions are calls that AWS detection rules look for, built so
// that the rules' conditions (outcome, parameters, identity type) hold.
var suspiciousActions = []action{
	{source: "dynamodb.amazonaws.com", name: "ExportTableToPointInTime", apiVersion: "2012-08-10", build: func(g *generator, r *record, p *principal) {
		table := g.tableARN(r)
		r.RequestParameters = map[string]any{"tableArn": table, "exportTime": "Jan 5, 2026, 6:00:00 AM", "clientToken": g.uuid(),
			"s3Bucket": "exfil-" + g.hex(8, false), "s3BucketOwner": "999988887777", "s3Prefix": "dump", "exportFormat": "DYNAMODB_JSON", "exportType": "FULL_EXPORT"}
		r.ResponseElements = map[string]any{"exportDescription": map[string]any{"exportArn": table + "/export/0" + g.hex(12, false), "exportStatus": "IN_PROGRESS", "tableArn": table}}
	}},
	{source: "cloudtrail.amazonaws.com", name: "StopLogging", build: func(g *generator, r *record, p *principal) {
		r.RequestParameters = map[string]any{"name": fmt.Sprintf("arn:aws:cloudtrail:%s:%s:trail/org-trail", r.AWSRegion, r.RecipientAccountID)}
	}},
	{source: "cloudtrail.amazonaws.com", name: "DeleteTrail", build: func(g *generator, r *record, p *principal) {
		r.RequestParameters = map[string]any{"name": "org-trail"}
	}},
	{source: "cloudtrail.amazonaws.com", name: "UpdateTrail", build: func(g *generator, r *record, p *principal) {
		r.RequestParameters = map[string]any{"name": "org-trail", "s3BucketName": "cloudtrail-logs-" + g.hex(6, false), "isMultiRegionTrail": false}
	}},
	{source: "iam.amazonaws.com", name: "CreateAccessKey", build: func(g *generator, r *record, p *principal) {
		user := g.pick(people)
		r.RequestParameters = map[string]any{"userName": user}
		r.ResponseElements = map[string]any{"accessKey": map[string]any{"accessKeyId": "AKIA" + g.alnum(16), "status": "Active", "userName": user, "createDate": "Jan 5, 2026, 8:01:02 AM"}}
	}},
	{source: "iam.amazonaws.com", name: "CreateUser", build: func(g *generator, r *record, p *principal) {
		user := "svc-" + g.hex(6, false)
		r.RequestParameters = map[string]any{"userName": user}
		r.ResponseElements = map[string]any{"user": map[string]any{"path": "/", "userName": user, "userId": "AIDA" + g.alnum(17), "arn": "arn:aws:iam::" + r.RecipientAccountID + ":user/" + user, "createDate": "Jan 5, 2026, 8:01:02 AM"}}
	}},
	{source: "iam.amazonaws.com", name: "AttachUserPolicy", build: func(g *generator, r *record, p *principal) {
		r.RequestParameters = map[string]any{"userName": g.pick(people), "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}
	}},
	{source: "iam.amazonaws.com", name: "DeactivateMFADevice", build: func(g *generator, r *record, p *principal) {
		user := g.pick(people)
		r.RequestParameters = map[string]any{"userName": user, "serialNumber": "arn:aws:iam::" + r.RecipientAccountID + ":mfa/" + user}
	}},
	{source: "iam.amazonaws.com", name: "UpdateAssumeRolePolicy", build: func(g *generator, r *record, p *principal) {
		r.RequestParameters = map[string]any{"roleName": "app-web-instance-role", "policyDocument": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::999988887777:root"},"Action":"sts:AssumeRole"}]}`}
	}},
	{source: "signin.amazonaws.com", name: "ConsoleLogin", build: func(g *generator, r *record, p *principal) {
		r.EventType = "AwsConsoleSignIn"
		r.UserAgent = g.pick(consoleAgents)
		r.RequestParameters = nil
		r.ErrorMessage = "Failed authentication"
		r.ResponseElements = map[string]any{"ConsoleLogin": "Failure"}
		r.AdditionalEventData = map[string]any{"LoginTo": "https://console.aws.amazon.com/console/home", "MobileVersion": "No", "MFAUsed": "No"}
		if g.rng.IntN(3) == 0 {
			r.UserIdentity = &identity{Type: "Root", PrincipalID: r.RecipientAccountID, ARN: "arn:aws:iam::" + r.RecipientAccountID + ":root", AccountID: r.RecipientAccountID}
		} else {
			r.UserIdentity = &identity{Type: "IAMUser", PrincipalID: "AIDA" + g.alnum(17), AccountID: r.RecipientAccountID, UserName: "HIDDEN_DUE_TO_SECURITY_REASONS"}
		}
		r.TLSDetails.ClientProvidedHostHeader = "signin.aws.amazon.com"
	}},
	{source: "s3.amazonaws.com", name: "PutBucketAcl", build: func(g *generator, r *record, p *principal) {
		b := g.pick(buckets)
		r.RequestParameters = map[string]any{"bucketName": b, "Host": b + ".s3.amazonaws.com", "acl": "", "x-amz-acl": "public-read"}
		r.Resources = []resource{{AccountID: r.RecipientAccountID, Type: "AWS::S3::Bucket", ARN: arnS3(b)}}
	}},
	{source: "s3.amazonaws.com", name: "DeleteBucketPolicy", build: func(g *generator, r *record, p *principal) {
		b := g.pick(buckets)
		r.RequestParameters = map[string]any{"bucketName": b, "Host": b + ".s3.amazonaws.com", "policy": ""}
		r.Resources = []resource{{AccountID: r.RecipientAccountID, Type: "AWS::S3::Bucket", ARN: arnS3(b)}}
	}},
	{source: "s3.amazonaws.com", name: "PutObject", data: true, build: func(g *generator, r *record, p *principal) {
		g.s3Object(r, map[string]any{"x-amz-server-side-encryption-customer-algorithm": "AES256"})
	}},
	{source: "ec2.amazonaws.com", name: "AuthorizeSecurityGroupIngress", build: func(g *generator, r *record, p *principal) {
		r.RequestParameters = map[string]any{"groupId": "sg-0" + g.hex(16, false), "ipPermissions": map[string]any{"items": []any{
			map[string]any{"ipProtocol": "tcp", "fromPort": 22, "toPort": 22, "groups": map[string]any{},
				"ipRanges": map[string]any{"items": []any{map[string]any{"cidrIp": "0.0.0.0/0"}}}, "ipv6Ranges": map[string]any{}, "prefixListIds": map[string]any{}},
		}}}
		r.ResponseElements = map[string]any{"requestId": r.RequestID, "_return": true}
	}},
	{source: "ec2.amazonaws.com", name: "DeleteFlowLogs", build: func(g *generator, r *record, p *principal) {
		r.RequestParameters = map[string]any{"DeleteFlowLogsRequest": map[string]any{"FlowLogId": map[string]any{"tag": 1, "content": "fl-0" + g.hex(16, false)}}}
	}},
	{source: "ec2.amazonaws.com", name: "DisableEbsEncryptionByDefault", build: func(g *generator, r *record, p *principal) {
		r.RequestParameters = map[string]any{"DisableEbsEncryptionByDefaultRequest": map[string]any{}}
		r.ResponseElements = map[string]any{"DisableEbsEncryptionByDefaultResponse": map[string]any{"ebsEncryptionByDefault": false}}
	}},
	{source: "guardduty.amazonaws.com", name: "DeleteDetector", build: func(g *generator, r *record, p *principal) {
		r.RequestParameters = map[string]any{"detectorId": g.hex(32, false)}
	}},
	{source: "kms.amazonaws.com", name: "ScheduleKeyDeletion", build: func(g *generator, r *record, p *principal) {
		g.kmsKey(r)
		r.RequestParameters = map[string]any{"keyId": r.Resources[0].ARN, "pendingWindowInDays": 7}
	}},
	{source: "secretsmanager.amazonaws.com", name: "GetSecretValue", readOnly: true, build: func(g *generator, r *record, p *principal) {
		r.RequestParameters = map[string]any{"secretId": fmt.Sprintf("arn:aws:secretsmanager:%s:%s:secret:prod/db/password-%s", r.AWSRegion, r.RecipientAccountID, g.alnum(6))}
	}},
	{source: "ssm.amazonaws.com", name: "GetParameters", readOnly: true, build: func(g *generator, r *record, p *principal) {
		r.RequestParameters = map[string]any{"names": []any{g.pick(params), g.pick(params)}, "withDecryption": true}
	}},
	{source: "config.amazonaws.com", name: "StopConfigurationRecorder", build: func(g *generator, r *record, p *principal) {
		r.RequestParameters = map[string]any{"configurationRecorderName": "default"}
	}},
	{source: "sts.amazonaws.com", name: "GetSessionToken", readOnly: true, build: func(g *generator, r *record, p *principal) {
		r.RequestParameters = map[string]any{"durationSeconds": 43200}
		r.ResponseElements = map[string]any{"credentials": map[string]any{"accessKeyId": "ASIA" + g.alnum(16), "expiration": "Jan 5, 2026, 8:00:00 PM", "sessionToken": g.alnum(40)}}
	}},
	{source: "lambda.amazonaws.com", name: "UpdateFunctionConfiguration20150331v2", apiVersion: "2015-03-31", build: func(g *generator, r *record, p *principal) {
		r.RequestParameters = map[string]any{"functionName": g.pick(functions), "layers": []any{"arn:aws:lambda:us-east-1:999988887777:layer:helper:3"}}
	}},
}
