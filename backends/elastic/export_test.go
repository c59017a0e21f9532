package elastic

import "testing"

// Test helpers for the external test package (elastic_test), which loads
// rule files and may therefore import rulefile, parser and lower.

// CheckSeedFields compares a rendered body with the seed document.
var CheckSeedFields = checkSeedFields

// ValidateCreate validates a create body against our derived schema.
func ValidateCreate(t testing.TB, data []byte) error {
	return validate(t, loadSchemas(t).create, data)
}

// ValidateImport validates an import line against our derived schema.
func ValidateImport(t testing.TB, data []byte) error {
	return validate(t, loadSchemas(t).importLine, data)
}
