//go:build purego || !(amd64 || arm64)

package asm

// registerGemmArch has nothing to register: only the generic micro-kernel exists.
func registerGemmArch() {}
