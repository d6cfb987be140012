//go:build !purego

package asm

import "github.com/klauspost/cpuid/v2"

// registerArch tells which amd64 levels the processor supports and
// registers their kernel tables (stubs_amd64.go).
func registerArch() {
	cpuSupports = func(l Level) bool {
		switch l {
		case AVX2:
			return cpuid.CPU.Supports(cpuid.AVX2, cpuid.FMA3)
		case AVX512:
			// cpuid reports AVX-512 only when the OS saves the zmm state.
			return cpuid.CPU.Supports(cpuid.AVX2, cpuid.FMA3, cpuid.AVX512F)
		}
		return false
	}
	register(AVX2, avx2Kernels)
	register(AVX512, avx512Kernels)
	gemmPrefetchA = cpuid.CPU.VendorID == cpuid.Intel
}
