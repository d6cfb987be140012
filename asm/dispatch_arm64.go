//go:build !purego

package asm

// registerArch registers the NEON kernels (stubs_arm64.go). Advanced SIMD is
// part of the arm64 baseline, as the Go standard library assumes, so there
// is nothing to ask the processor.
func registerArch() {
	cpuSupports = func(l Level) bool { return l == NEON }
	register(NEON, neonKernels)
}
