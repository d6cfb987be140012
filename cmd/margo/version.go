package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"

	"github.com/margo-lab/margo/asm"
)

// version is margo's release; the manifest of every run records it.
const version = "0.1.0"

// versionString is the one-line description printed by `margo version` and
// stored in run manifests.
func versionString() string {
	rev := ""
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				rev = " " + s.Value[:12]
			}
		}
	}
	return fmt.Sprintf("margo %s%s %s %s/%s simd=%s", version, rev, runtime.Version(), runtime.GOOS, runtime.GOARCH, asm.Active())
}

func cmdVersion(args []string, stdout io.Writer) error {
	if len(args) > 0 {
		return usagef("version takes no arguments")
	}
	fmt.Fprintln(stdout, versionString())
	return nil
}
