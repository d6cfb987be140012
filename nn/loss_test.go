package nn

import (
	"math"
	"testing"

	"github.com/margo-lab/margo/tensor"
	"pgregory.net/rapid"
)

// evalOf runs lossWeights on given margins.
func evalOf(q []float64, obj Objective) *Eval {
	ev := NewEval(len(q), 0)
	copy(ev.Q, q)
	lossWeights(ev, obj)
	return ev
}

// close reports |got − want| ≤ rel·|want| (or both equal, for infinities).
func closeRel(got, want, rel float64) bool {
	return got == want || math.Abs(got-want) <= rel*math.Abs(want)
}

// directLoss evaluates the objective, its weights and the gradient scale
// the obvious way in float64, meaningful where nothing under- or overflows.
func directLoss(q []float64, obj Objective) (loss, scale float64, w []float64) {
	w = make([]float64, len(q))
	for i, v := range q {
		if obj.Loss == Exp {
			loss += math.Exp(-v)
			w[i] = math.Exp(-v)
		} else {
			loss += math.Log1p(math.Exp(-v))
			w[i] = 1 / (1 + math.Exp(v)) // σ(−q)
		}
		scale += w[i]
	}
	for i := range w {
		w[i] /= scale
	}
	if obj.Mean {
		loss /= float64(len(q))
		scale /= float64(len(q))
	}
	return loss, scale, w
}

// Where the plain float64 formulas are representable (|q| ≤ 30), the
// log-space loss agrees with them: log L and the log-scale to 1e−13
// relative (libm's exp/log1p are within 1 ulp, sums of ≤ 20 positive terms
// add ≤ 20 ulp), weights to 1e−13 relative of their largest entry.
func TestLossMatchesDirect(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		q := rapid.SliceOfN(rapid.Float64Range(-30, 30), 1, 20).Draw(t, "q")
		obj := Objective{Loss: rapid.SampledFrom([]Loss{Exp, Logistic}).Draw(t, "loss"), Mean: rapid.Bool().Draw(t, "mean")}
		ev := evalOf(q, obj)
		loss, scale, w := directLoss(q, obj)
		if !closeRel(math.Exp(ev.LogLoss), loss, 1e-13) {
			t.Fatalf("%v: exp(LogLoss) = %v, direct %v", obj, math.Exp(ev.LogLoss), loss)
		}
		if !closeRel(math.Exp(ev.LogScale), scale, 1e-13) {
			t.Fatalf("%v: exp(LogScale) = %v, direct %v", obj, math.Exp(ev.LogScale), scale)
		}
		var sum float64
		for i := range w {
			sum += ev.Weights[i]
			if math.Abs(ev.Weights[i]-w[i]) > 1e-13 {
				t.Fatalf("%v: weight %d = %v, direct %v", obj, i, ev.Weights[i], w[i])
			}
		}
		if math.Abs(sum-1) > 1e-13*float64(len(w)) {
			t.Fatalf("weights sum to %v", sum)
		}
	})
}

// ∂L/∂q_i = −exp(LogScale)·w_i, checked against central differences of
// exp(LogLoss) in q_i (|q| ≤ 10, step 1e−5: truncation h²·|L⁽³⁾|/6 ≤ 2e−11·L,
// rounding 1e−16·L/h = 1e−11·L; the bound 1e−8·L covers both).
func TestLossDerivativeInQ(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		q := rapid.SliceOfN(rapid.Float64Range(-10, 10), 1, 8).Draw(t, "q")
		obj := Objective{Loss: rapid.SampledFrom([]Loss{Exp, Logistic}).Draw(t, "loss"), Mean: rapid.Bool().Draw(t, "mean")}
		ev := evalOf(q, obj)
		L := math.Exp(ev.LogLoss)
		const h = 1e-5
		for i := range q {
			qp := append([]float64(nil), q...)
			qp[i] += h
			qm := append([]float64(nil), q...)
			qm[i] -= h
			fd := (math.Exp(evalOf(qp, obj).LogLoss) - math.Exp(evalOf(qm, obj).LogLoss)) / (2 * h)
			got := -math.Exp(ev.LogScale) * ev.Weights[i]
			if math.Abs(got-fd) > 1e-8*L {
				t.Fatalf("%v q=%v: ∂L/∂q_%d = %v, finite difference %v", obj, q, i, got, fd)
			}
		}
	})
}

// Far beyond float64's range (|q| up to 1e6) the log loss stays finite and
// strictly decreasing in q, the weights stay a probability vector, and the
// logistic loss approaches the exponential one:
// log log(1+e^{−q}) − (−q) = log(log1p(t)/t) ∈ [−t/2, 0] with t = e^{−q}.
func TestLossTail(t *testing.T) {
	var grid []float64
	for e := -6.0; e <= 6; e += 0.25 {
		grid = append(grid, -math.Pow(10, -e))
	}
	for e := -6.0; e <= 6; e += 0.25 {
		grid = append(grid, math.Pow(10, e))
	}
	// grid is increasing: −1e6 … −1e−6, 1e−6 … 1e6.
	for _, loss := range []Loss{Exp, Logistic} {
		prev := math.Inf(1)
		for _, q := range grid {
			ev := evalOf([]float64{q, q + 1}, Objective{Loss: loss})
			if math.IsNaN(ev.LogLoss) || math.IsInf(ev.LogLoss, 0) || math.IsNaN(ev.LogScale) || math.IsInf(ev.LogScale, 0) {
				t.Fatalf("%v q=%v: LogLoss %v LogScale %v not finite", loss, q, ev.LogLoss, ev.LogScale)
			}
			if !(ev.LogLoss < prev) {
				t.Fatalf("%v: LogLoss %v at q=%v not below %v at the previous q", loss, ev.LogLoss, q, prev)
			}
			prev = ev.LogLoss
			if s := ev.Weights[0] + ev.Weights[1]; math.Abs(s-1) > 1e-15 || ev.Weights[0] < ev.Weights[1] {
				t.Fatalf("%v q=%v: weights %v", loss, q, ev.Weights)
			}
		}
	}
	for _, q := range []float64{40, 100, 1e3, 1e4, 1e6} {
		ex := evalOf([]float64{q}, Objective{Loss: Exp})
		lg := evalOf([]float64{q}, Objective{Loss: Logistic})
		if ex.LogLoss != -q {
			t.Errorf("exp loss at q=%v: LogLoss %v, want −q", q, ex.LogLoss)
		}
		// Rounding of −q + log1p(…) adds one ulp of q.
		tail := math.Exp(-q)/2 + 2*math.Nextafter(q, math.Inf(1)) - 2*q
		if d := lg.LogLoss - ex.LogLoss; d > 0 || d < -tail {
			t.Errorf("q=%v: logistic − exp log loss = %v, want in [−%v, 0]", q, d, tail)
		}
	}
	// In the tail, softmax(−q) for the two losses coincide: q = (1e4, 1e4+1)
	// gives weights (1, e^{−1})/(1 + e^{−1}) and LogScale −1e4 + log(1+e^{−1}).
	want0 := 1 / (1 + math.Exp(-1))
	for _, loss := range []Loss{Exp, Logistic} {
		ev := evalOf([]float64{1e4, 1e4 + 1}, Objective{Loss: loss})
		if !closeRel(ev.Weights[0], want0, 1e-15) || !closeRel(ev.Weights[1], 1-want0, 1e-14) {
			t.Errorf("%v: tail weights %v, want (%v, %v)", loss, ev.Weights, want0, 1-want0)
		}
		if !closeRel(ev.LogScale, -1e4+math.Log1p(math.Exp(-1)), 1e-15) {
			t.Errorf("%v: tail LogScale %v", loss, ev.LogScale)
		}
	}
	// Badly misclassified points early in training (q ≪ 0): no overflow,
	// the exponential LogLoss is −q_max + log(n) and the weights are uniform.
	ev := evalOf([]float64{-1e6, -1e6, -1e6}, Objective{Loss: Exp})
	if !closeRel(ev.LogLoss, 1e6+math.Log(3), 1e-15) || math.Abs(ev.Weights[1]-1.0/3) > 1e-16 {
		t.Errorf("q = −1e6: LogLoss %v weights %v", ev.LogLoss, ev.Weights)
	}
	ev = evalOf([]float64{-1e6, -1e6, -1e6}, Objective{Loss: Logistic, Mean: true})
	if !closeRel(ev.LogLoss, math.Log(1e6), 1e-15) || math.Abs(ev.LogScale) > 1e-15 {
		t.Errorf("logistic mean at q = −1e6: LogLoss %v (want log 1e6), LogScale %v (want 0)", ev.LogLoss, ev.LogScale)
	}
}

// logSoftplus against the direct formula where that is representable, and
// continuity across its branch points (−30, 0): the branches meet within
// 4 ulp.
func TestLogSoftplus(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		z := rapid.Float64Range(-700, 700).Draw(t, "z")
		want := math.Log(math.Log1p(math.Exp(z)))
		if z > 30 {
			want = math.Log(z + math.Log1p(math.Exp(-z)))
		}
		// Both formulas compute softplus to a few ulp relative, and a log
		// turns a relative error δ into an absolute one: |diff| ≤ 1e−15
		// (≈ 4 ulp of 1) near softplus = 1, where log ≈ 0, plus 1e−14
		// relative elsewhere.
		if math.Abs(logSoftplus(z)-want) > 1e-14*math.Abs(want)+1e-15 {
			t.Fatalf("logSoftplus(%v) = %v, want %v", z, logSoftplus(z), want)
		}
	})
	for _, z := range []float64{-30, 0} {
		lo, hi := logSoftplus(math.Nextafter(z, math.Inf(-1))), logSoftplus(z)
		if math.Abs(hi-lo) > 4*math.Abs(math.Nextafter(hi, math.Inf(1))-hi) {
			t.Errorf("logSoftplus jumps at %v: %v → %v", z, lo, hi)
		}
	}
}

// SoftNumerator is −log L for the exponential sum loss and −log(expm1(L))
// for the logistic sum loss (shared/paper.md §1.3), also when Mean is set.
// Lemma 11: q_min − log n ≤ −log L_exp ≤ q_min.
func TestSoftNumerator(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		q := rapid.SliceOfN(rapid.Float64Range(-5, 30), 1, 10).Draw(t, "q")
		mean := rapid.Bool().Draw(t, "mean")
		ex := evalOf(q, Objective{Loss: Exp, Mean: mean})
		lg := evalOf(q, Objective{Loss: Logistic, Mean: mean})
		lsum, _, _ := directLoss(q, Objective{Loss: Exp})
		if !closeRel(ex.SoftNumerator(), -math.Log(lsum), 1e-13) && math.Abs(ex.SoftNumerator()+math.Log(lsum)) > 1e-13 {
			t.Fatalf("exp: SoftNumerator %v, want %v", ex.SoftNumerator(), -math.Log(lsum))
		}
		qmin, n := ex.QMin(), float64(len(q))
		if s := ex.SoftNumerator(); s > qmin+1e-12 || s < qmin-math.Log(n)-1e-12 {
			t.Fatalf("Lemma 11: %v not in [q_min − log n, q_min] = [%v, %v]", s, qmin-math.Log(n), qmin)
		}
		lsum, _, _ = directLoss(q, Objective{Loss: Logistic})
		want := -math.Log(math.Expm1(lsum))
		// expm1 near its argument's rounding: 1e−12 absolute covers the
		// 1e−13 relative error of L amplified by L/expm1(L)·1/… ≤ 1 for L ≤ 1
		// and by < 30 for the largest sums drawn (L ≤ 10·log(1+e⁵)).
		if math.Abs(lg.SoftNumerator()-want) > 1e-12*math.Max(1, math.Abs(want)) {
			t.Fatalf("logistic: SoftNumerator %v, want %v", lg.SoftNumerator(), want)
		}
	})
	// Deep tail: L ≈ 2e−4343 (q = 1e4) is not a float64, the numerators
	// still are: −log L = 1e4 − log 2 for two samples at q = 1e4.
	ex := evalOf([]float64{1e4, 1e4}, Objective{Loss: Exp})
	lg := evalOf([]float64{1e4, 1e4}, Objective{Loss: Logistic})
	if want := 1e4 - math.Ln2; !closeRel(ex.SoftNumerator(), want, 1e-15) || !closeRel(lg.SoftNumerator(), want, 1e-15) {
		t.Errorf("tail: exp %v logistic %v, want %v", ex.SoftNumerator(), lg.SoftNumerator(), want)
	}
}

func TestQMin(t *testing.T) {
	ev := &Eval{Q: []float64{3, -1, 2}}
	if ev.QMin() != -1 {
		t.Errorf("QMin = %v, want −1", ev.QMin())
	}
	ev.Q = []float64{1, math.NaN(), -5}
	if !math.IsNaN(ev.QMin()) {
		t.Errorf("QMin with NaN = %v, want NaN", ev.QMin())
	}
}

// The gradient of the objective, exp(LogScale)·Grad, matches central
// differences of exp(LogLoss) in θ where the loss is representable. Within
// one activation pattern each q_i is affine in a coordinate θ_j, so with
// h = 1e−6 the truncation error h²/6·|ℓ”'|·a³ is below 1e−12·L·a³ and the
// rounding error of the difference is ≈ 1e−16·Σ ℓ(q_i)(1+|q_i|+fabs_i)/h;
// the bound 1e−7·Σ ℓ(q_i)·(1 + fabs_i)² covers both with a wide margin.
// Draws near a ReLU kink (|pre-activation| < 1e−2) are rejected.
func TestLossGradientFiniteDifferences(t *testing.T) {
	checkModels(t, func(t *rapid.T, m *MLP, theta []float64) {
		n := rapid.IntRange(1, 4).Draw(t, "n")
		d, obj, ws, ev := drawEvaluation(t, m, theta, n)
		var bound float64
		for i := 0; i < n; i++ {
			_, fabs, minPre := refValue(m, theta, d.X.Row(i))
			if minPre < 1e-2 {
				t.Skip("pre-activation near a kink")
			}
			bound += math.Exp(-ev.Q[i]+1) * (1 + fabs) * (1 + fabs) // e^{1−q} ≥ ℓ(q) for both losses
		}
		bound *= 1e-7
		loss := func(th []float64) float64 {
			e := NewEval(n, len(th))
			m.Evaluate(ws, th, d, obj, e, false)
			return math.Exp(e.LogLoss)
		}
		const h = 1e-6
		th := append([]float64(nil), theta...)
		scale := math.Exp(ev.LogScale)
		for j := range th {
			th[j] = theta[j] + h
			lp := loss(th)
			th[j] = theta[j] - h
			lm := loss(th)
			th[j] = theta[j]
			fd := (lp - lm) / (2 * h)
			if g := scale * ev.Grad[j]; math.Abs(g-fd) > bound {
				t.Fatalf("%v coordinate %d: exp(LogScale)·Grad = %v, finite difference %v (bound %v)", obj, j, g, fd, bound)
			}
		}
	})
}

// Far below float64's range the gradient direction is still exact. A
// linear model with x_1 = e_1, x_2 = e_2, y = +1 and θ = (1000, 1001) has
// q = θ and L ≈ e^{−1000} ≈ 5e−435 (exp; logistic alike), which is not a
// float64; yet Grad = −(w_1, w_2) with w = (1, e^{−1})/(1 + e^{−1}) and
// LogScale = −1000 + log(1 + e^{−1}), to a few ulp.
func TestTinyLossGradient(t *testing.T) {
	m := mustMLP(t, Config{In: 2})
	x := tensor.DenseOf(2, 2, []float64{1, 0, 0, 1})
	d, err := NewDataset(x, []float64{1, 1})
	if err != nil {
		t.Fatal(err)
	}
	theta := []float64{1000, 1001}
	w1 := 1 / (1 + math.Exp(-1))
	for _, loss := range []Loss{Exp, Logistic} {
		ev := NewEval(2, 2)
		m.Evaluate(m.NewWorkspace(2), theta, d, Objective{Loss: loss}, ev, true)
		if math.Exp(ev.LogLoss) != 0 {
			t.Fatalf("%v: the loss %v was meant to underflow", loss, math.Exp(ev.LogLoss))
		}
		if !closeRel(ev.Grad[0], -w1, 1e-15) || !closeRel(ev.Grad[1], -(1-w1), 1e-14) {
			t.Errorf("%v: Grad %v, want (%v, %v)", loss, ev.Grad, -w1, -(1 - w1))
		}
		if !closeRel(ev.LogScale, -1000+math.Log1p(math.Exp(-1)), 1e-15) || !closeRel(ev.LogLoss, ev.LogScale, 1e-15) {
			t.Errorf("%v: LogScale %v LogLoss %v, want both −1000 + log(1+e⁻¹)", loss, ev.LogScale, ev.LogLoss)
		}
	}
}
