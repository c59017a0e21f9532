package duckproof

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// SyntaxError is one error the Trino (or Hive) grammar reports.
type SyntaxError struct {
	Line    int    `json:"line"`
	Column  int    `json:"column"`
	Message string `json:"message"`
}

// TrinoParseBundle finds tools/trino-parse/dist/trino-parse.cjs above dir
// (the repository root holds it once tools/trino-parse/install.sh ran).
func TrinoParseBundle(dir string) (string, error) {
	d, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for {
		p := filepath.Join(d, "tools", "trino-parse", "dist", "trino-parse.cjs")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return "", fmt.Errorf("%s is missing: run tools/trino-parse/install.sh", p)
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", fmt.Errorf("tools/trino-parse/dist/trino-parse.cjs not found above %s", dir)
		}
		d = parent
	}
}

// CheckSQL runs the dt-sql-parser grammar (dialect "trino" or "hive") over
// each text with node and returns each text's syntax errors.
func CheckSQL(bundle, dialect string, texts []string) ([][]SyntaxError, error) {
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, fmt.Errorf("node is not installed: %w", err)
	}
	in, err := json.Marshal(texts)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(node, bundle, "--batch", "--dialect", dialect)
	cmd.Stdin = bytes.NewReader(in)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	var out [][]SyntaxError
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		return nil, fmt.Errorf("trino-parse: %v (%v): %s", err, runErr, stderr.String())
	}
	if len(out) != len(texts) {
		return nil, fmt.Errorf("trino-parse answered %d results for %d texts", len(out), len(texts))
	}
	return out, nil
}
