// Package corpus holds the Athena backend's test over Elastic's public AWS
// CloudTrail rules: import, render, Trino grammar, DuckDB against the
// evaluator. It has no code of its own; it is a separate package so that
// the importer and rule-file packages stay out of duckproof's imports.
package corpus
