package lower_test

import (
	"fmt"

	"github.com/detc/detc/ir"
	"github.com/detc/detc/lower"
)

func ExampleQuery() {
	e, diags := lower.Query(`event.action:(a or b) and destination.port >= 1024 and not source.ip:10.0.0.0/8 and user.nmae:root`, lower.Options{})
	fmt.Println(ir.String(e))
	for _, d := range diags {
		fmt.Println(d.Error(), "hint:", d.Hint)
	}
	// Output:
	// and(or(event.action:"a", event.action:"b"), destination.port<number>>="1024", not(source.ip<ip>:"10.0.0.0/8"), user.nmae:"root")
	// 1:85: warning[unknown-field]: unknown field user.nmae (key user.nmae) hint: did you mean user.name?
}
