// Harness for README Go snippets: the statements run inside snippet() with stand-ins for
// what the reader's program has. `import` lines of a snippet replace the default import.
package main

import (
	"log"
	"log/slog"

	@IMPORT@
)

var _ = log.Print
var _ = slog.Default

func snippet() error {
	chw := make([]float32, 3*64*64)
	step := int64(0)
	_, _ = chw, step
	@SNIPPET@
	@UNUSED@
	return nil
}

func main() {}
