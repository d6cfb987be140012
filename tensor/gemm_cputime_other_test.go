//go:build !unix

package tensor

import "time"

// cpuTime is not measured on this system: the benchmarks then report
// wall-time figures only.
func cpuTime() time.Duration { return 0 }
