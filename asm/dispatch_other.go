//go:build purego || !(amd64 || arm64)

package asm

// registerArch has nothing to register: only the generic kernels exist.
func registerArch() {}
