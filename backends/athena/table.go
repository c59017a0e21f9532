package athena

import (
	"fmt"
	"regexp"
	"strings"
)

// Kind is the shape of a column of the CloudTrail table.
type Kind uint8

const (
	// String is a Hive STRING. Every CloudTrail scalar is one, including
	// booleans ('true'/'false'), times (ISO 8601) and the JSON-text columns.
	String Kind = iota
	// Struct is a STRUCT whose members are Fields.
	Struct
	// ArrayOfStruct is an ARRAY of STRUCTs whose members are Fields.
	ArrayOfStruct
	// MapOfString is a MAP<STRING,STRING>.
	MapOfString
)

// Column is one column (or struct member) of the CloudTrail table. Names
// are the lower-case Hive names, which the JSON SerDe matches against the
// CloudTrail record's camelCase keys case-insensitively.
type Column struct {
	Name   string
	Kind   Kind
	Fields []Column
	// JSONText marks a STRING column that holds a JSON object's text
	// (requestparameters and its kind).
	JSONText bool
}

// PartitionColumn is the partition-projection column: the S3 delivery
// date as yyyy/MM/dd. It is a reserved word, so DML quotes it.
const PartitionColumn = "timestamp"

func str(name string) Column      { return Column{Name: name} }
func jsonText(name string) Column { return Column{Name: name, JSONText: true} }
func record(name string, fields ...Column) Column {
	return Column{Name: name, Kind: Struct, Fields: fields}
}

// CloudTrailColumns returns the columns of the CloudTrail table as the
// Athena user guide documents them (current partition-projection
// version), in their documented order.
func CloudTrailColumns() []Column {
	return []Column{
		str("eventversion"),
		record("useridentity",
			str("type"), str("principalid"), str("arn"), str("accountid"),
			str("invokedby"), str("accesskeyid"), str("username"),
			record("onbehalfof", str("userid"), str("identitystorearn")),
			record("sessioncontext",
				record("attributes", str("mfaauthenticated"), str("creationdate")),
				record("sessionissuer", str("type"), str("principalid"), str("arn"), str("accountid"), str("username")),
				str("ec2roledelivery"),
				record("webidfederationdata", str("federatedprovider"), Column{Name: "attributes", Kind: MapOfString}),
			),
		),
		str("eventtime"), str("eventsource"), str("eventname"), str("awsregion"),
		str("sourceipaddress"), str("useragent"), str("errorcode"), str("errormessage"),
		jsonText("requestparameters"), jsonText("responseelements"), jsonText("additionaleventdata"),
		str("requestid"), str("eventid"), str("readonly"),
		{Name: "resources", Kind: ArrayOfStruct, Fields: []Column{str("arn"), str("accountid"), str("type")}},
		str("eventtype"), str("apiversion"), str("recipientaccountid"),
		jsonText("serviceeventdetails"),
		str("sharedeventid"), str("vpcendpointid"), str("vpcendpointaccountid"), str("eventcategory"),
		record("addendum", str("reason"), str("updatedfields"), str("originalrequestid"), str("originaleventid")),
		str("sessioncredentialfromconsole"),
		jsonText("edgedevicedetails"),
		record("tlsdetails", str("tlsversion"), str("ciphersuite"), str("clientprovidedhostheader")),
	}
}

// hiveType renders a column's type in Hive DDL syntax, indenting struct
// members by depth.
func hiveType(c Column, depth int) string {
	switch c.Kind {
	case Struct, ArrayOfStruct:
		var b strings.Builder
		if c.Kind == ArrayOfStruct {
			b.WriteString("ARRAY<")
		}
		b.WriteString("STRUCT<\n")
		pad := strings.Repeat("  ", depth+1)
		for i, f := range c.Fields {
			fmt.Fprintf(&b, "%s%s: %s", pad, f.Name, hiveType(f, depth+1))
			if i < len(c.Fields)-1 {
				b.WriteByte(',')
			}
			b.WriteByte('\n')
		}
		b.WriteString(strings.Repeat("  ", depth))
		b.WriteByte('>')
		if c.Kind == ArrayOfStruct {
			b.WriteByte('>')
		}
		return b.String()
	case MapOfString:
		return "MAP<STRING, STRING>"
	}
	return "STRING"
}

var (
	tableNameRE = regexp.MustCompile(`^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$`)
	locationRE  = regexp.MustCompile(`^s3://[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9](/[A-Za-z0-9!_.*()/\-]*)?$`)
)

// checkTableName accepts a Glue table name, optionally qualified by its
// database: lower-case letters, digits and underscores.
func checkTableName(name string) error {
	if !tableNameRE.MatchString(name) {
		return fmt.Errorf("table name %q must be lower-case letters, digits and underscores, optionally database.table", name)
	}
	if reservedWords[strings.ToUpper(name)] {
		return fmt.Errorf("table name %q is a reserved word in Athena DML", name)
	}
	return nil
}

// TableDDL writes the CREATE EXTERNAL TABLE statement for CloudTrail logs
// with partition projection on the delivery date: one account and one
// region per table, as in the Athena user guide. Location is the S3 prefix
// up to the region (s3://bucket/AWSLogs/<account>/CloudTrail/<region>);
// projectionStart is the first day projected, yyyy/MM/dd.
func TableDDL(table, location, projectionStart string) (string, error) {
	if err := checkTableName(table); err != nil {
		return "", err
	}
	location = strings.TrimSuffix(location, "/")
	if !locationRE.MatchString(location) {
		return "", fmt.Errorf("location %q is not an s3:// URI of a bucket and prefix", location)
	}
	if !regexp.MustCompile(`^\d{4}/\d{2}/\d{2}$`).MatchString(projectionStart) {
		return "", fmt.Errorf("projection start %q is not a date written yyyy/MM/dd", projectionStart)
	}
	var b strings.Builder
	b.WriteString("-- CloudTrail logs delivered to S3, one account and one region, read by Athena.\n")
	b.WriteString("-- Partition projection on `timestamp`, the delivery date (yyyy/MM/dd) taken from\n")
	b.WriteString("-- the S3 key, so no partition ever needs to be added by hand. Generated by detc.\n")
	fmt.Fprintf(&b, "CREATE EXTERNAL TABLE IF NOT EXISTS %s (\n", table)
	cols := CloudTrailColumns()
	for i, c := range cols {
		fmt.Fprintf(&b, "  %s %s", c.Name, hiveType(c, 1))
		if i < len(cols)-1 {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
	}
	b.WriteString(")\n")
	b.WriteString("PARTITIONED BY (`timestamp` STRING)\n")
	b.WriteString("ROW FORMAT SERDE 'org.apache.hive.hcatalog.data.JsonSerDe'\n")
	b.WriteString("STORED AS INPUTFORMAT 'com.amazon.emr.cloudtrail.CloudTrailInputFormat'\n")
	b.WriteString("OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'\n")
	fmt.Fprintf(&b, "LOCATION '%s'\n", location)
	b.WriteString("TBLPROPERTIES (\n")
	props := [][2]string{
		{"projection.enabled", "true"},
		{"projection.timestamp.type", "date"},
		{"projection.timestamp.format", "yyyy/MM/dd"},
		{"projection.timestamp.range", projectionStart + ",NOW"},
		{"projection.timestamp.interval", "1"},
		{"projection.timestamp.interval.unit", "DAYS"},
		{"storage.location.template", location + "/${timestamp}"},
	}
	for i, p := range props {
		fmt.Fprintf(&b, "  '%s'='%s'", p[0], p[1])
		if i < len(props)-1 {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
	}
	b.WriteString(");\n")
	return b.String(), nil
}
