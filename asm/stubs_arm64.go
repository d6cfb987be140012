//go:build !purego

package asm

// The arm64 kernel table. Entries left nil run the generic twin (and are
// reported by fallbacks, which the tests require to be empty).
var neonKernels = kernels{}
