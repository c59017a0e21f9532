package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// operation is what the generator learns about one API operation from the
// SDK sources: the members of its <Op>Input struct.
type operation struct {
	Name string
	// Params are the top-level member names of the input.
	Params []string
	// Nested are the member names found below the top level (in structures
	// and unions reached from the input), without those in Params.
	Nested []string
	// OpenKeys is set when the input reaches a map or a document, whose keys
	// are chosen by the caller: any key may then appear below the top level.
	OpenKeys bool
	// Event marks an eventName that is no API operation (services.go).
	Event bool
}

// download fetches module@version through the Go module proxy (or finds it
// in the module cache) and returns its directory.
func download(path, version string) (string, error) {
	cmd := exec.Command("go", "mod", "download", "-json", path+"@"+version)
	// Outside any module, so that the command never edits a go.mod.
	cmd.Dir = os.TempDir()
	cmd.Env = append(os.Environ(), "GOWORK=off")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var info struct{ Dir, Error string }
	if jerr := json.Unmarshal(stdout.Bytes(), &info); jerr != nil || info.Error != "" || err != nil {
		return "", fmt.Errorf("go mod download %s@%s: %v %s %s", path, version, err, info.Error, stderr.String())
	}
	return info.Dir, nil
}

var (
	protocolAssignRE = regexp.MustCompile(`options\.Protocol = (\w+)\.(\w+)`)
	serializerRE     = regexp.MustCompile(`func aws(\w+)_serializeOp`)
)

// protocolNames maps what the SDK sources say to the Smithy protocol name.
var protocolNames = map[string]string{
	"awsjson.New10": "awsJson1_0", "awsjson.New11": "awsJson1_1",
	"restjson1.New": "restJson1", "awsquery.New": "awsQuery",
	"ec2query.New": "ec2Query", "restxml.New": "restXml", "rpcv2.NewCBOR": "rpcv2Cbor",
	"Awsjson10": "awsJson1_0", "Awsjson11": "awsJson1_1", "Restjson1": "restJson1",
	"Awsquery": "awsQuery", "Ec2query": "ec2Query", "Restxml": "restXml",
}

// protocol reads the wire protocol of a module: newer modules set
// options.Protocol in api_client.go, older ones name their serializers
// after it.
func protocol(dir string) (string, error) {
	client, err := os.ReadFile(filepath.Join(dir, "api_client.go"))
	if err != nil {
		return "", err
	}
	if m := protocolAssignRE.FindSubmatch(client); m != nil {
		if p, ok := protocolNames[string(m[1])+"."+string(m[2])]; ok {
			return p, nil
		}
		return "", fmt.Errorf("%s: unknown protocol %s.%s", dir, m[1], m[2])
	}
	ser, err := os.ReadFile(filepath.Join(dir, "serializers.go"))
	if err != nil {
		return "", fmt.Errorf("%s: no options.Protocol and no serializers.go", dir)
	}
	if m := serializerRE.FindSubmatch(ser); m != nil {
		if p, ok := protocolNames[string(m[1])]; ok {
			return p, nil
		}
		return "", fmt.Errorf("%s: unknown serializer prefix %s", dir, m[1])
	}
	return "", fmt.Errorf("%s: protocol not found", dir)
}

// typeDecls holds the type declarations of a package by name.
type typeDecls map[string]ast.Expr

// parseTypes reads the type declarations of every non-test file in dir
// matching the glob.
func parseTypes(dir, glob string) (typeDecls, error) {
	files, err := filepath.Glob(filepath.Join(dir, glob))
	if err != nil {
		return nil, err
	}
	decls := typeDecls{}
	fset := token.NewFileSet()
	for _, file := range files {
		if strings.HasSuffix(file, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, file, nil, parser.SkipObjectResolution)
		if err != nil {
			return nil, err
		}
		for _, d := range f.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.TYPE {
				continue
			}
			for _, s := range gd.Specs {
				ts := s.(*ast.TypeSpec)
				decls[ts.Name.Name] = ts.Type
			}
		}
	}
	return decls, nil
}

// parseModule reads the operations of one SDK module in dir.
func parseModule(dir string) ([]operation, error) {
	ops, err := parseTypes(dir, "api_op_*.go")
	if err != nil {
		return nil, err
	}
	types, err := parseTypes(filepath.Join(dir, "types"), "*.go")
	if err != nil {
		return nil, err
	}
	files, err := filepath.Glob(filepath.Join(dir, "api_op_*.go"))
	if err != nil {
		return nil, err
	}
	var out []operation
	for _, file := range files {
		if strings.HasSuffix(file, "_test.go") {
			continue
		}
		name := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(file), "api_op_"), ".go")
		input, ok := ops[name+"Input"].(*ast.StructType)
		if !ok {
			return nil, fmt.Errorf("%s: no struct %sInput", file, name)
		}
		w := &walker{types: types, seen: map[string]bool{}, nested: map[string]bool{}}
		op := operation{Name: name}
		for _, f := range exportedFields(input) {
			op.Params = append(op.Params, f.name)
		}
		for _, f := range exportedFields(input) {
			w.visit(f.typ, false)
		}
		for _, p := range op.Params {
			delete(w.nested, p)
		}
		for n := range w.nested {
			op.Nested = append(op.Nested, n)
		}
		sort.Strings(op.Params)
		sort.Strings(op.Nested)
		op.OpenKeys = w.open
		out = append(out, op)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

type field struct {
	name string
	typ  ast.Expr
}

// exportedFields lists the named exported fields of a struct, leaving out
// embedded ones (noSmithyDocumentSerde) and unexported ones.
func exportedFields(st *ast.StructType) []field {
	var out []field
	for _, f := range st.Fields.List {
		for _, n := range f.Names {
			if ast.IsExported(n.Name) {
				out = append(out, field{n.Name, f.Type})
			}
		}
	}
	return out
}

// walker collects the member names reachable from a type expression.
type walker struct {
	types  typeDecls
	seen   map[string]bool
	nested map[string]bool
	open   bool
}

// visit follows a field's type. inTypes is set for expressions written in
// the types package, where its names are unqualified.
func (w *walker) visit(e ast.Expr, inTypes bool) {
	switch e := e.(type) {
	case *ast.StarExpr:
		w.visit(e.X, inTypes)
	case *ast.ArrayType:
		w.visit(e.Elt, inTypes)
	case *ast.MapType:
		w.open = true
		w.visit(e.Value, inTypes)
	case *ast.SelectorExpr:
		pkg, _ := e.X.(*ast.Ident)
		switch {
		case pkg != nil && pkg.Name == "types":
			w.named(e.Sel.Name)
		case pkg != nil && pkg.Name == "document":
			w.open = true
		}
	case *ast.Ident:
		if inTypes {
			w.named(e.Name)
		}
	case *ast.InterfaceType:
		// interface{} or any: free-form.
		w.open = true
	}
}

// named follows a type of the types package: a structure adds its members,
// a union (an interface implemented by <Union>Member<Name> structures) adds
// its member names; enums and other scalars add nothing.
func (w *walker) named(name string) {
	if w.seen[name] {
		return
	}
	w.seen[name] = true
	switch t := w.types[name].(type) {
	case *ast.StructType:
		for _, f := range exportedFields(t) {
			w.nested[f.name] = true
			w.visit(f.typ, true)
		}
	case *ast.InterfaceType:
		prefix := name + "Member"
		var members []string
		for n := range w.types {
			if strings.HasPrefix(n, prefix) && len(n) > len(prefix) {
				members = append(members, n)
			}
		}
		sort.Strings(members)
		for _, m := range members {
			w.nested[strings.TrimPrefix(m, prefix)] = true
			if st, ok := w.types[m].(*ast.StructType); ok {
				for _, f := range exportedFields(st) {
					w.visit(f.typ, true)
				}
			}
		}
	case nil:
		// Not declared in the types package (string, int32, ...).
	default:
		// A named map, list or scalar (enums are `type X string`).
		w.visit(t, true)
	}
}
