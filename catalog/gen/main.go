// Command gen writes catalog/fields_gen.go, detc's field table, from the
// ECS field list and the aws.cloudtrail mapping of the reference data.
//
// It runs from the catalog directory through `go generate`:
//
//	go run ./gen -ecs ../../shared/schema/ecs_fields.tsv -mapping ../../shared/aws/ecs_cloudtrail_mapping.tsv -out fields_gen.go
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"go/format"
	"log"
	"os"
	"sort"
	"strings"
)

// row is one field of the generated table.
type row struct {
	name, esType string
	array        bool
	origin       string
}

func main() {
	ecsPath := flag.String("ecs", "../../shared/schema/ecs_fields.tsv", "ECS field list (field, type, normalize)")
	mappingPath := flag.String("mapping", "../../shared/aws/ecs_cloudtrail_mapping.tsv", "ECS / aws.cloudtrail mapping of the Elastic AWS integration")
	out := flag.String("out", "fields_gen.go", "Go file to write")
	flag.Parse()

	fields := map[string]*row{}
	if err := readECS(*ecsPath, fields); err != nil {
		log.Fatal(err)
	}
	if err := readMapping(*mappingPath, fields); err != nil {
		log.Fatal(err)
	}
	src, err := render(fields)
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(*out, src, 0o644); err != nil {
		log.Fatal(err)
	}
}

// readECS reads the ECS TSV: field, Elasticsearch type, "array" when the
// field normally holds an array.
func readECS(path string, fields map[string]*row) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	line := 0
	for sc.Scan() {
		line++
		text := sc.Text()
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		cols := strings.Split(text, "\t")
		if cols[0] == "field" {
			continue // header
		}
		if len(cols) < 2 {
			return fmt.Errorf("%s:%d: want field<TAB>type", path, line)
		}
		r := &row{name: cols[0], esType: cols[1], origin: "ecs"}
		if len(cols) > 2 && cols[2] == "array" {
			r.array = true
		}
		fields[r.name] = r
	}
	return sc.Err()
}

// readMapping reads the aws.cloudtrail mapping TSV. Its first column may
// hold several names ("a / b"), placeholders ("…request_parameters.<path>")
// and prose; its type column holds notes ("keyword (ignore_above 8191) +
// .text", "keyword[]", "keyword / flattened"). Only aws.cloudtrail.* names
// are added; for ECS names the ECS type stays, except where the integration
// declares a constant_keyword (its data-stream fields).
func readMapping(path string, fields map[string]*row) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	for i, text := range strings.Split(string(data), "\n") {
		if i == 0 || strings.TrimSpace(text) == "" {
			continue
		}
		cols := strings.Split(text, "\t")
		if len(cols) < 3 {
			return fmt.Errorf("%s:%d: want at least three columns", path, i+1)
		}
		names := splitAlternatives(cols[0])
		types := splitAlternatives(cols[2])
		for j, name := range names {
			if strings.HasPrefix(name, "flattened.") {
				name = "aws.cloudtrail." + name
			}
			name = strings.TrimSuffix(name, ".<path>")
			if strings.ContainsAny(name, "*<( ") || name == "" {
				continue // a pattern or prose, not one field
			}
			typeNote := types[0]
			if j < len(types) {
				typeNote = types[j]
			}
			esType, array, multiText := parseTypeNote(typeNote)
			if esType == "" {
				continue
			}
			if !strings.HasPrefix(name, "aws.cloudtrail.") {
				if r, ok := fields[name]; ok && esType == "constant_keyword" {
					r.esType = esType
					r.origin = "ecs+integration"
				}
				continue
			}
			fields[name] = &row{name: name, esType: esType, array: array, origin: "integration"}
			if multiText {
				fields[name+".text"] = &row{name: name + ".text", esType: "text", origin: "integration"}
			}
		}
	}
	return nil
}

func splitAlternatives(s string) []string {
	parts := strings.Split(s, " / ")
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	return parts
}

// parseTypeNote reads "keyword (notes) + .text", "keyword[]", "flattened
// (notes)": the first word is the type; "[]" marks an array; "+ .text"
// adds a text multi-field. Types that are not Elasticsearch types ("-",
// "various") give "".
func parseTypeNote(note string) (esType string, array, multiText bool) {
	word := note
	if i := strings.IndexAny(word, " ("); i >= 0 {
		word = word[:i]
	}
	if strings.HasSuffix(word, "[]") {
		word, array = strings.TrimSuffix(word, "[]"), true
	}
	switch word {
	case "keyword", "constant_keyword", "wildcard", "flattened", "text", "match_only_text", "ip",
		"boolean", "long", "integer", "short", "byte", "double", "float", "half_float",
		"scaled_float", "unsigned_long", "date", "date_nanos":
	default:
		return "", false, false
	}
	return word, array, strings.Contains(note, "+ .text")
}

// irTypes names the ir.Type constant of each Elasticsearch type; types not
// listed (object, nested, geo_point) are ir.Unknown.
var irTypes = map[string]string{
	"keyword": "Keyword", "constant_keyword": "Keyword", "wildcard": "Keyword", "flattened": "Keyword",
	"text": "Text", "match_only_text": "Text",
	"ip":      "IP",
	"boolean": "Boolean",
	"long":    "Number", "integer": "Number", "short": "Number", "byte": "Number", "double": "Number",
	"float": "Number", "half_float": "Number", "scaled_float": "Number", "unsigned_long": "Number",
	"date": "Date", "date_nanos": "Date",
}

func render(fields map[string]*row) ([]byte, error) {
	names := make([]string, 0, len(fields))
	for name := range fields {
		names = append(names, name)
	}
	sort.Strings(names)
	var b bytes.Buffer
	b.WriteString("// Code generated by catalog/gen from ../shared/schema/ecs_fields.tsv and ../shared/aws/ecs_cloudtrail_mapping.tsv; DO NOT EDIT.\n\n")
	b.WriteString("package catalog\n\nimport \"github.com/detc/detc/ir\"\n\n")
	b.WriteString("// fields is every known field, sorted by name.\n")
	b.WriteString("var fields = [...]Field{\n")
	for _, name := range names {
		r := fields[name]
		t, ok := irTypes[r.esType]
		if !ok {
			t = "Unknown"
		}
		fmt.Fprintf(&b, "\t{Name: %q, ESType: %q, Type: ir.%s, Array: %t, Integration: %t},\n",
			r.name, r.esType, t, r.array, r.origin == "integration")
	}
	b.WriteString("}\n")
	return format.Source(b.Bytes())
}
