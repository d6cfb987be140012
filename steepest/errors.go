package steepest

import (
	"fmt"
	"strconv"
)

// errorf returns an error prefixed with the package name.
func errorf(format string, args ...any) error {
	return fmt.Errorf("steepest: "+format, args...)
}

// formatFloat prints v in the shortest form that reads back exactly.
func formatFloat(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
