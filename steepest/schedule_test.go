package steepest

import (
	"math"
	"testing"
)

func TestLossAdaptiveRule(t *testing.T) {
	s, err := NewLossAdaptive(1, true)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.LogLR(-5); got != 5 {
		t.Errorf("LogLR(−5) = %v, want log 1 + 5", got)
	}
	if ok, err := s.Judge(-1, -2); !ok || err != nil || s.Base != math.Pow(2, 0.2) {
		t.Errorf("decrease: ok %v err %v base %v, want accepted, base 2^0.2", ok, err, s.Base)
	}
	if ok, err := s.Judge(-1, -1); !ok || err != nil {
		t.Errorf("equal loss rejected (Lyu & Li accept relative loss ≤ 1): %v %v", ok, err)
	}
	b := s.Base
	if ok, err := s.Judge(-2, -1); ok || err != nil || s.Base != b/math.Pow(2, 0.1) {
		t.Errorf("increase: ok %v err %v base %v, want rejected, base %v", ok, err, s.Base, b/math.Pow(2, 0.1))
	}
	if ok, _ := s.Judge(-2, math.NaN()); ok {
		t.Error("NaN loss accepted")
	}
	s.Base = 1.05e-50
	if _, err := s.Judge(0, 1); err == nil {
		t.Error("rate below the floor not reported")
	}
	c := Constant{LR: 0.5}
	if ok, err := c.Judge(-1, 3); !ok || err != nil {
		t.Errorf("constant schedule rejected a step: %v %v", ok, err)
	}
	if _, err := c.Judge(-1, math.Inf(1)); err == nil {
		t.Error("constant schedule accepted a diverged loss")
	}
	if _, err := NewLossAdaptive(0, false); err == nil {
		t.Error("base 0 accepted")
	}
}

// The trainer loop of the Schedule doc with GD and the loss-adaptive rate
// η = Base/L on a fixed separable linear problem (four points in 2-D,
// margin 0.5): the loss falls below e^{−100} within 300 trial steps, every
// accepted step does not increase it, and rejected steps are rolled back.
// Constant-rate GD from the same start and rate stays above e^{−10}: its
// step shrinks with L, so log L falls only like −log t.
func TestLossAdaptiveReachesTinyLoss(t *testing.T) {
	m := &refModel{x: [][]float64{{1, 0.5}, {0.5, 1}, {-1, -0.2}, {-0.3, -1}}, y: []float64{1, 1, -1, -1}}
	run := func(adaptive bool) float64 {
		theta := []float64{1, 1}
		opt, _ := NewGD(0.1)
		sched, _ := NewLossAdaptive(0.1, true)
		_, _, ll, g := m.eval(theta)
		for range 300 {
			if adaptive {
				opt.SetLogLR(sched.LogLR(ll))
			}
			saved := append([]float64(nil), theta...)
			if err := opt.Update(theta, g, ll); err != nil {
				t.Fatal(err)
			}
			_, _, ll2, g2 := m.eval(theta)
			if adaptive {
				ok, err := sched.Judge(ll, ll2)
				if err != nil {
					t.Fatal(err)
				}
				if !ok {
					copy(theta, saved)
					continue
				}
				if ll2 > ll {
					t.Fatalf("accepted a loss increase %v → %v", ll, ll2)
				}
			}
			ll, g = ll2, g2
		}
		return ll
	}
	if ll := run(true); ll > -100 {
		t.Errorf("loss-adaptive GD: log L = %v after 300 steps, want < −100", ll)
	}
	if ll := run(false); ll < -10 {
		t.Errorf("constant-rate GD reached log L = %v: the comparison is void", ll)
	}
}
