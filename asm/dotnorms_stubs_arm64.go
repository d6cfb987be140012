//go:build !purego

package asm

// dotNormsSumsNEON is the fast pass of DotNorms (dotnorms_arm64.s),
// registered in the table of stubs_arm64.go through dotNormsWith.
//
//go:noescape
func dotNormsSumsNEON(x, y []float64) (dot, l1x, ssqx, maxx, l1y, ssqy, maxy float64)
