package elastic_test

import (
	"github.com/detc/detc/backends/elastic/readback"
	"github.com/detc/detc/ir"
)

// readbackQuery parses and lowers a query as rule files do.
func readbackQuery(q string) (ir.Expr, error) { return readback.Query(q) }
