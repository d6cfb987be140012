package asm

import (
	"testing"
	"time"
)

// fmaWidthRatio runs each width in a stretch of its own, 512 bits first,
// and takes the best run of each: a full-rate core (twice the flops in
// the same time) reads 2, a split one 1, whatever runs were slowed down
// (a slow start, every third run disturbed).
func TestFMAWidthRatioArithmetic(t *testing.T) {
	for _, c := range []struct {
		name   string
		dur512 time.Duration // of an undisturbed 512-bit run (a 256-bit run takes 1 µs)
		want   float64
	}{
		{"full rate", time.Microsecond, 2},
		{"split", 2 * time.Microsecond, 1},
	} {
		var order []Level
		got := fmaWidthRatio(func(l Level) (float64, time.Duration) {
			order = append(order, l)
			flops, d := 96.0, time.Microsecond
			if l == AVX512 {
				flops, d = 192, c.dur512
			}
			if n := len(order); n == 1 || n == fmaCalibrationRuns+1 || n%3 == 0 {
				d *= 7 // a slow start of the stretch, or a disturbed run
			}
			return flops, d
		})
		if got != c.want {
			t.Errorf("%s: ratio %v, want %v", c.name, got, c.want)
		}
		for i, l := range order {
			if want := map[bool]Level{true: AVX512, false: AVX2}[i < fmaCalibrationRuns]; l != want || len(order) != 2*fmaCalibrationRuns {
				t.Fatalf("%s: runs %v, want %d on AVX-512 then %d on AVX2", c.name, order, fmaCalibrationRuns, fmaCalibrationRuns)
			}
		}
	}
	if r := fmaWidthRatio(func(Level) (float64, time.Duration) { return 0, 0 }); r != 0 {
		t.Errorf("no rate measured: ratio %v, want 0", r)
	}
}

// On a processor with AVX-512 the calibration reads between 1/2 and 5/2
// (a 512-bit FMA does twice the work of a 256-bit one, at most at the same
// rate, at worst at half of it; the margins cover timing noise); without
// it, 0. It is computed once: a second call returns the same value.
func TestFMAWidthRatio(t *testing.T) {
	start := time.Now()
	r := FMAWidthRatio()
	took := time.Since(start)
	if !(Supported(AVX512) && Supported(AVX2)) {
		if r != 0 {
			t.Fatalf("no AVX-512 here but FMAWidthRatio = %v", r)
		}
		return
	}
	if !(r > 0.5 && r < 2.5) {
		t.Fatalf("FMAWidthRatio = %v, outside (0.5, 2.5)", r)
	}
	if r2 := FMAWidthRatio(); r2 != r {
		t.Fatalf("second call %v, first %v: not computed once", r2, r)
	}
	t.Logf("512-bit over 256-bit FMA throughput: %.2f (calibration took %v)", r, took)
}
