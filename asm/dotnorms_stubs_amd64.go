//go:build !purego

package asm

// The fast passes of DotNorms (dotnorms_amd64.s), registered in the tables
// of stubs_amd64.go through dotNormsWith.

//go:noescape
func dotNormsSumsAVX2(x, y []float64) (dot, l1x, ssqx, maxx, l1y, ssqy, maxy float64)

//go:noescape
func dotNormsSumsAVX512(x, y []float64) (dot, l1x, ssqx, maxx, l1y, ssqy, maxy float64)
