package catalog

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/detc/detc/ir"
)

const ecsTSV = "../../shared/schema/ecs_fields.tsv"

// TestECSFieldsAllPresent checks the generated table against the ECS list
// it was generated from: every row is found, with the same type.
func TestECSFieldsAllPresent(t *testing.T) {
	f, err := os.Open(ecsTSV)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	rows := 0
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || strings.HasPrefix(line, "field\t") || line == "" {
			continue
		}
		cols := strings.Split(line, "\t")
		rows++
		got, ok := Lookup(cols[0])
		if !ok {
			t.Errorf("ECS field %s missing", cols[0])
			continue
		}
		want := cols[1]
		if cols[0] == "event.dataset" {
			want = "constant_keyword" // the integration's data-stream mapping
		}
		if got.ESType != want {
			t.Errorf("%s: ESType %q, want %q", cols[0], got.ESType, want)
		}
		if got.Array != (len(cols) > 2 && cols[2] == "array") {
			t.Errorf("%s: Array %t", cols[0], got.Array)
		}
	}
	integration := 0
	for _, f := range All() {
		if f.Integration {
			integration++
			if !strings.HasPrefix(f.Name, "aws.cloudtrail.") {
				t.Errorf("integration field %s outside aws.cloudtrail", f.Name)
			}
		}
	}
	t.Logf("catalog: %d fields = %d ECS + %d aws.cloudtrail", Len(), rows, integration)
	if rows != 2732 || integration != 39 || Len() != rows+integration {
		t.Errorf("counts: %d ECS rows, %d integration fields, %d in all; want 2732 + 39 = 2771", rows, integration, Len())
	}
	all := All()
	if !slices.IsSortedFunc(all, func(a, b Field) int { return strings.Compare(a.Name, b.Name) }) {
		t.Error("table is not sorted by name")
	}
}

func TestLookup(t *testing.T) {
	tests := []struct {
		name   string
		ok     bool
		esType string
		typ    ir.Type
	}{
		{"@timestamp", true, "date", ir.Date},
		{"event.action", true, "keyword", ir.Keyword},
		{"event.dataset", true, "constant_keyword", ir.Keyword},
		{"data_stream.dataset", true, "constant_keyword", ir.Keyword},
		{"source.ip", true, "ip", ir.IP},
		{"source.as.number", true, "long", ir.Number},
		{"event.risk_score", true, "float", ir.Number},
		{"user_agent.original.text", true, "match_only_text", ir.Text},
		{"message", true, "match_only_text", ir.Text},
		{"user", false, "", ir.Unknown}, // objects are not listed in the ECS TSV
		{"source.geo.location", true, "geo_point", ir.Unknown},
		{"aws.cloudtrail.user_identity.arn", true, "keyword", ir.Keyword},
		{"aws.cloudtrail.read_only", true, "boolean", ir.Boolean},
		{"aws.cloudtrail.console_login.additional_eventdata.mfa_used", true, "boolean", ir.Boolean},
		{"aws.cloudtrail.user_identity.session_context.creation_date", true, "date", ir.Date},
		{"aws.cloudtrail.request_parameters", true, "keyword", ir.Keyword},
		{"aws.cloudtrail.request_parameters.text", true, "text", ir.Text},
		{"aws.cloudtrail.flattened.request_parameters", true, "flattened", ir.Keyword},
		{"aws.cloudtrail.flattened.request_parameters.dryRun", true, "flattened", ir.Keyword},
		{"aws.cloudtrail.flattened.request_parameters.ipPermissions.items.ipRanges.items.cidrIp", true, "flattened", ir.Keyword},
		{"aws.cloudtrail.flattened.request_parameters.x-amz-acl", true, "flattened", ir.Keyword},
		{"aws.cloudtrail.flattened.response_elements.documentDescription.documentType", true, "flattened", ir.Keyword},
		{"process.pe.imports.name", true, "flattened", ir.Keyword},
		{"event.action.keyword", false, "", ir.Unknown},
		{"aws.cloudtrail.user_identity.arn.text", false, "", ir.Unknown},
		{"aws.cloudtrail.no_such_field", false, "", ir.Unknown},
		{"aws.cloudtrail.flattened", false, "", ir.Unknown},
	}
	for _, tt := range tests {
		f, ok := Lookup(tt.name)
		if ok != tt.ok || f.ESType != tt.esType || f.Type != tt.typ {
			t.Errorf("Lookup(%q) = %+v, %t; want ESType %q type %v ok %t", tt.name, f, ok, tt.esType, tt.typ, tt.ok)
		}
		if ok && f.Name != tt.name {
			t.Errorf("Lookup(%q).Name = %q", tt.name, f.Name)
		}
	}
}

func TestFlattenedRoot(t *testing.T) {
	root, ok := FlattenedRoot("aws.cloudtrail.flattened.additional_eventdata.a.b.c")
	if !ok || root.Name != "aws.cloudtrail.flattened.additional_eventdata" {
		t.Errorf("got %+v %t", root, ok)
	}
	if _, ok := FlattenedRoot("aws.cloudtrail.flattened.request_parameters"); ok {
		t.Error("a flattened field is not under itself")
	}
	if _, ok := FlattenedRoot("event.action.x"); ok {
		t.Error("event.action is a keyword, not flattened")
	}
}

func TestMatch(t *testing.T) {
	names := func(fs []Field) []string {
		var out []string
		for _, f := range fs {
			out = append(out, f.Name)
		}
		return out
	}
	tests := []struct {
		pattern string
		want    []string
	}{
		{"file.hash.*", []string{"file.hash.cdhash", "file.hash.md5", "file.hash.sha1", "file.hash.sha256", "file.hash.sha384", "file.hash.sha512", "file.hash.ssdeep", "file.hash.tlsh"}},
		{"aws.cloudtrail.resources.*", []string{"aws.cloudtrail.resources.account_id", "aws.cloudtrail.resources.arn", "aws.cloudtrail.resources.type"}},
		{"aws.*.session_issuer.a*", []string{"aws.cloudtrail.user_identity.session_context.session_issuer.account_id", "aws.cloudtrail.user_identity.session_context.session_issuer.arn"}},
		{"event.action", []string{"event.action"}},
		{"nope.*", nil},
	}
	for _, tt := range tests {
		if got := names(Match(tt.pattern)); !slices.Equal(got, tt.want) {
			t.Errorf("Match(%q) = %q, want %q", tt.pattern, got, tt.want)
		}
	}
	// Every field matches "*" except objects and nested fields.
	all := Match("*")
	for _, f := range all {
		if f.ESType == "object" || f.ESType == "nested" {
			t.Fatalf("Match(*) returned %s of type %s", f.Name, f.ESType)
		}
	}
	if len(all) == 0 || len(all) >= Len() {
		t.Errorf("Match(*) = %d fields of %d", len(all), Len())
	}
}

func TestSuggest(t *testing.T) {
	tests := []struct{ in, want string }{
		{"event.actoin", "event.action"},
		{"event.provder", "event.provider"},
		{"aws.cloudtrail.user_identity.ar", "aws.cloudtrail.user_identity.arn"},
		{"aws.cloudtrail.useridentity.type", "aws.cloudtrail.user_identity.type"},
		{"aws.cloudtrail.flattened.request_parameter.dryRun", "aws.cloudtrail.flattened.request_parameters.dryRun"},
		{"completely.unrelated.thing.xyz", ""},
	}
	for _, tt := range tests {
		if got := Suggest(tt.in); got != tt.want {
			t.Errorf("Suggest(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func BenchmarkLookup(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		Lookup("aws.cloudtrail.user_identity.arn")
		Lookup("aws.cloudtrail.flattened.request_parameters.dryRun")
	}
}

// TestGeneratedTableIsFresh regenerates the table into a temporary file and
// checks that the committed fields_gen.go is what the generator writes.
func TestGeneratedTableIsFresh(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the generator")
	}
	out := filepath.Join(t.TempDir(), "fields_gen.go")
	cmd := exec.Command("go", "run", "./gen", "-ecs", ecsTSV, "-mapping", "../../shared/aws/ecs_cloudtrail_mapping.tsv", "-out", out)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go run ./gen: %v\n%s", err, msg)
	}
	want, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("fields_gen.go")
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Error("fields_gen.go is stale: run go generate ./catalog")
	}
}
