//go:build linux && !purego

package asm

import "testing"

// The streaming paths of Sign, ReLU and ReLUMask (aligning peel, VMOVNTPD
// loop, SFENCE, tails) start at ntMinLen elements; with the threshold at
// its floor every length 8…64 of the page-boundary test takes them.
func TestPageBoundaryStreaming(t *testing.T) {
	defer func(old int) { ntMinLen = old }(ntMinLen)
	ntMinLen = ntFloor
	g := newGuardedSlots(t)
	for _, v := range variants(t)[1:] { // the SIMD levels: Generic has no streaming path
		for _, c := range levelOneCases(v.k) {
			switch c.name {
			case "Sign", "ReLU", "ReLUMask":
				runPageCase(t, g, v.name+"/streaming", c)
			}
		}
	}
}
