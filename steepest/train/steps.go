package train

import "math"

// RecordSteps says which steps of a run of Steps steps are recorded: every
// Every steps (0, Every, 2·Every, …), or with Every = 0 about 20 per decade
// (0, 1, …, 10, then round(10·10^{i/20}) for i = 1, 2, …); the last step,
// Steps, always. Membership is computed, not listed, so a run of 10^18
// steps costs no memory for it.
type RecordSteps struct {
	Steps, Every int
}

// Is reports whether step t is recorded.
func (r RecordSteps) Is(t int) bool {
	switch {
	case t < 0 || t > r.Steps:
		return false
	case t == r.Steps:
		return true
	case r.Every > 0:
		return t%r.Every == 0
	case t <= 10:
		return true
	}
	// The candidates i near 10 + 20·log10(t/10), tried with the exact
	// expression that defines the sequence.
	c := int(math.Round(10 + 20*math.Log10(float64(t)/10)))
	for i := c - 2; i <= c+2; i++ {
		if i > 10 && logStep(i) == t {
			return true
		}
	}
	return false
}

// logStep is the i-th log-spaced step, i > 10.
func logStep(i int) int {
	return int(math.Round(10 * math.Pow(10, float64(i-10)/20)))
}

// List returns the recorded steps in order (for tests and small runs; it
// allocates one int per recorded step).
func (r RecordSteps) List() []int {
	var s []int
	for t := 0; t < r.Steps; {
		if r.Is(t) {
			s = append(s, t)
		}
		switch {
		case r.Every > 0:
			t += r.Every - t%r.Every
		case t < 10:
			t++
		default:
			i := int(math.Round(10 + 20*math.Log10(float64(t)/10)))
			for logStep(i) <= t {
				i++
			}
			t = logStep(i)
		}
	}
	return append(s, r.Steps)
}
