//go:build !purego

package asm

// The amd64 kernel tables. Entries left nil run the generic twin (and are
// reported by fallbacks, which the tests require to be empty).
var avx2Kernels = kernels{}

var avx512Kernels = kernels{}
