// Package duckproof runs the Athena backend's SQL in DuckDB over a twin of
// the CloudTrail table, with Trino's functions supplied as DuckDB macros.
// It is for tests only: DuckDB (cgo) stays out of the detc binary.
package duckproof

import (
	"bytes"
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/detc/detc/backends/athena"
)

// DB is an in-memory DuckDB database holding a twin of the CloudTrail
// table: the same column names and nesting (structs, resources as a list of
// structs, JSON-text columns as VARCHAR) plus the partition column
// "timestamp".
type DB struct {
	db    *sql.DB
	conn  *sql.Conn
	table string
}

// trinoMacros make DuckDB accept the Trino functions the renderer emits,
// so that the emitted SQL text runs unchanged. Each maps one Trino
// function onto DuckDB's equivalent:
//
//   - json_extract_scalar: Trino's legacy JSONPath writes awkward keys as
//     $["k"]; DuckDB spells them $."k", so the path is rewritten inside the
//     macro (both read \" and \\ as escapes inside the quotes). Trino returns NULL for objects and arrays; DuckDB would return
//     their text, so those are nulled.
//   - from_iso8601_timestamp: a cast to TIMESTAMPTZ (the session is UTC).
//   - date_format: strftime (the %Y/%m/%d specifiers agree).
//   - regexp_like: regexp_matches (both are contains-matches).
//   - cardinality: len.
//   - sequence(a, b): generate_series; element_at(array, i): a subscript
//     (used to unnest an array of structs field by field, since Trino
//     expands a row's fields into columns where DuckDB keeps one struct).
//   - json_array_get(json, i): json_extract with an integer index (both
//     count from 0, and from the end when negative).
//   - contains(cidr, ip): Trino's IPADDRESS containment, done by the Go
//     function cidr_contains; IPADDRESS itself is a VARCHAR alias, and a
//     value that is not an address makes cidr_contains NULL, as Trino's
//     try(CAST(... AS IPADDRESS)) does.
var trinoMacros = []string{
	`CREATE TYPE ipaddress AS VARCHAR`,
	`CREATE MACRO json_path_duckdb(p) AS regexp_replace(p, '\["((?:[^"\\]|\\.)*)"\]', '."\1"', 'g')`,
	`CREATE MACRO json_extract_scalar(j, p) AS
		CASE WHEN json_type(j, json_path_duckdb(p)) IN ('OBJECT', 'ARRAY') THEN NULL
		     ELSE json_extract_string(j, json_path_duckdb(p)) END`,
	`CREATE MACRO from_iso8601_timestamp(s) AS CAST(s AS TIMESTAMPTZ)`,
	`CREATE MACRO date_format(ts, f) AS strftime(ts, f)`,
	`CREATE MACRO regexp_like(s, p) AS regexp_matches(s, p)`,
	`CREATE MACRO cardinality(l) AS len(l)`,
	`CREATE MACRO sequence(a, b) AS generate_series(CAST(a AS BIGINT), CAST(b AS BIGINT))`,
	`CREATE MACRO json_array_get(j, i) AS json_extract(j, CAST(i AS BIGINT))`,
	`CREATE MACRO element_at(l, i) AS l[i]`,
	`CREATE MACRO contains(cidr, ip) AS cidr_contains(cidr, ip)`,
}

// Open creates the database, the table twin named table, and the macros.
func Open(table string) (*DB, error) {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		db.Close()
		return nil, err
	}
	d := &DB{db: db, conn: conn, table: table}
	if err := d.setup(ctx); err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

func (d *DB) setup(ctx context.Context) error {
	if err := duckdb.RegisterScalarUDF(d.conn, "cidr_contains", cidrContains{}); err != nil {
		return fmt.Errorf("register cidr_contains: %w", err)
	}
	if err := duckdb.RegisterScalarUDF(d.conn, wrappedFunction, jsonQueryWrappedUDF{}); err != nil {
		return fmt.Errorf("register %s: %w", wrappedFunction, err)
	}
	stmts := append([]string{`SET TimeZone = 'UTC'`}, trinoMacros...)
	stmts = append(stmts, twinDDL(d.table))
	for _, s := range stmts {
		if _, err := d.conn.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("%s: %w", s, err)
		}
	}
	return nil
}

// Close releases the database.
func (d *DB) Close() error {
	if d.conn != nil {
		d.conn.Close()
	}
	return d.db.Close()
}

// duckType renders a column's type in DuckDB syntax.
func duckType(c athena.Column) string {
	switch c.Kind {
	case athena.Struct, athena.ArrayOfStruct:
		parts := make([]string, len(c.Fields))
		for i, f := range c.Fields {
			parts[i] = fmt.Sprintf("%q %s", f.Name, duckType(f))
		}
		t := "STRUCT(" + strings.Join(parts, ", ") + ")"
		if c.Kind == athena.ArrayOfStruct {
			t += "[]"
		}
		return t
	case athena.MapOfString:
		return "MAP(VARCHAR, VARCHAR)"
	}
	return "VARCHAR"
}

// twinDDL is the DuckDB CREATE TABLE for the twin.
func twinDDL(table string) string {
	var cols []string
	for _, c := range athena.CloudTrailColumns() {
		cols = append(cols, fmt.Sprintf("%q %s", c.Name, duckType(c)))
	}
	cols = append(cols, fmt.Sprintf("%q VARCHAR", athena.PartitionColumn))
	return fmt.Sprintf("CREATE TABLE %s (\n  %s\n)", table, strings.Join(cols, ",\n  "))
}

// jsonStructure is the from_json structure that turns a row object into
// the twin's column types.
func jsonStructure(cols []athena.Column) map[string]any {
	m := map[string]any{}
	for _, c := range cols {
		switch c.Kind {
		case athena.Struct:
			m[c.Name] = jsonStructure(c.Fields)
		case athena.ArrayOfStruct:
			m[c.Name] = []any{jsonStructure(c.Fields)}
		case athena.MapOfString:
			m[c.Name] = "MAP(VARCHAR, VARCHAR)"
		default:
			m[c.Name] = "VARCHAR"
		}
	}
	return m
}

// Load inserts raw CloudTrail records (one JSON object each) into the twin
// the way Athena's JSON SerDe reads them: keys match column names without
// regard to case, a scalar in a STRING column becomes its text (false is
// 'false'), an object in a STRING column becomes its JSON text, and JSON
// null is NULL. The partition column is the UTC date of eventTime (the
// record is taken as delivered on the day it happened).
func (d *DB) Load(raw [][]byte) error {
	cols := athena.CloudTrailColumns()
	structure, err := json.Marshal(jsonStructure(append(cols, athena.Column{Name: athena.PartitionColumn})))
	if err != nil {
		return err
	}
	ctx := context.Background()
	stmt, err := d.conn.PrepareContext(ctx, fmt.Sprintf(
		"INSERT INTO %s BY NAME SELECT unnest(from_json(CAST(? AS JSON), '%s'))",
		d.table, strings.ReplaceAll(string(structure), "'", "''")))
	if err != nil {
		return err
	}
	defer stmt.Close()
	for i, rec := range raw {
		row, err := rowObject(cols, rec)
		if err != nil {
			return fmt.Errorf("record %d: %w", i+1, err)
		}
		text, err := json.Marshal(row)
		if err != nil {
			return err
		}
		if _, err := stmt.ExecContext(ctx, string(text)); err != nil {
			return fmt.Errorf("record %d: insert: %w", i+1, err)
		}
	}
	return nil
}

// rowObject converts one CloudTrail record into a row object keyed by
// column name.
func rowObject(cols []athena.Column, rec []byte) (map[string]any, error) {
	v, err := structValue(cols, rec)
	if err != nil {
		return nil, err
	}
	row, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("not a JSON object")
	}
	if s, ok := row["eventtime"].(string); ok {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return nil, fmt.Errorf("eventTime %q: %w", s, err)
		}
		row[athena.PartitionColumn] = t.UTC().Format("2006/01/02")
	}
	return row, nil
}

// structValue reads a JSON object into the members of a struct, matching
// keys without regard to case. Null is nil.
func structValue(fields []athena.Column, raw json.RawMessage) (any, error) {
	if isNull(raw) {
		return nil, nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return nil, err
	}
	byLower := make(map[string]json.RawMessage, len(obj))
	for k, v := range obj {
		byLower[strings.ToLower(k)] = v
	}
	out := map[string]any{}
	for _, f := range fields {
		v, ok := byLower[f.Name]
		if !ok {
			continue
		}
		cv, err := columnValue(f, v)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.Name, err)
		}
		if cv != nil {
			out[f.Name] = cv
		}
	}
	return out, nil
}

func columnValue(c athena.Column, raw json.RawMessage) (any, error) {
	if isNull(raw) {
		return nil, nil
	}
	switch c.Kind {
	case athena.Struct:
		return structValue(c.Fields, raw)
	case athena.ArrayOfStruct:
		var elems []json.RawMessage
		if err := json.Unmarshal(raw, &elems); err != nil {
			return nil, err
		}
		out := make([]any, 0, len(elems))
		for _, e := range elems {
			v, err := structValue(c.Fields, e)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case athena.MapOfString:
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(raw, &obj); err != nil {
			return nil, err
		}
		out := map[string]any{}
		for k, v := range obj {
			s, err := stringValue(v)
			if err != nil {
				return nil, err
			}
			out[k] = s
		}
		return out, nil
	}
	return stringValue(raw)
}

// stringValue is what a STRING column holds for a JSON value: a string's
// text, or the compact JSON text of anything else.
func stringValue(raw json.RawMessage) (any, error) {
	if isNull(raw) {
		return nil, nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, nil
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return nil, err
	}
	return buf.String(), nil
}

func isNull(raw json.RawMessage) bool {
	return len(bytes.TrimSpace(raw)) == 0 || string(bytes.TrimSpace(raw)) == "null"
}

// Row is one result row, column name to value (NULL is nil).
type Row map[string]any

// Query runs one SQL statement, after the one rewrite of duckSQL, and
// returns its rows.
func (d *DB) Query(query string) ([]string, []Row, error) {
	query, _ = duckSQL(query)
	rows, err := d.conn.QueryContext(context.Background(), query)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, nil, err
	}
	var out []Row
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, nil, err
		}
		r := Row{}
		for i, c := range cols {
			r[c] = vals[i]
		}
		out = append(out, r)
	}
	return cols, out, rows.Err()
}

// cidrContains is Trino's contains(VARCHAR cidr, IPADDRESS ip) over the
// VARCHAR stand-in for IPADDRESS: true when ip lies in cidr, NULL when ip
// is not an address (Trino's try(CAST(... AS IPADDRESS)) gives NULL).
// Trino stores IPv4 addresses as IPv4-mapped IPv6, so both are unmapped.
type cidrContains struct{}

func (cidrContains) Config() duckdb.ScalarFuncConfig {
	varchar, _ := duckdb.NewTypeInfo(duckdb.TYPE_VARCHAR)
	boolean, _ := duckdb.NewTypeInfo(duckdb.TYPE_BOOLEAN)
	return duckdb.ScalarFuncConfig{
		InputTypeInfos: []duckdb.TypeInfo{varchar, varchar},
		ResultTypeInfo: boolean,
	}
}

func (cidrContains) Executor() duckdb.ScalarFuncExecutor {
	return duckdb.ScalarFuncExecutor{RowExecutor: func(values []driver.Value) (any, error) {
		cidr, _ := values[0].(string)
		ip, _ := values[1].(string)
		prefix, err := netip.ParsePrefix(cidr)
		if err != nil {
			return nil, fmt.Errorf("contains: %q is not a CIDR range", cidr)
		}
		addr, err := netip.ParseAddr(ip)
		if err != nil || addr.Zone() != "" {
			return nil, nil
		}
		// Compare in Trino's 16-byte space: IPv4 as IPv4-mapped IPv6.
		bits := prefix.Bits()
		if prefix.Addr().Is4() {
			bits += 96
		}
		mapped := netip.PrefixFrom(netip.AddrFrom16(prefix.Addr().As16()), bits)
		return mapped.Masked().Contains(netip.AddrFrom16(addr.As16())), nil
	}}
}
