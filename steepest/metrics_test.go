package steepest

import (
	"math"
	"testing"

	"github.com/margo-lab/margo/nn"
	"pgregory.net/rapid"
)

// refLayout returns the nn layout of a reference model.
func refLayout(m *refModel) nn.Layout {
	d := len(m.x[0])
	if m.hidden == 0 {
		return nn.NewLayout(nn.Shape{Out: 1, In: d})
	}
	return nn.NewLayout(nn.Shape{Out: m.hidden, In: d}, nn.Shape{Out: 1, In: m.hidden})
}

func refMeasure(t *rapid.T, m *refModel, theta []float64, spectral bool) Metrics {
	mt, err := NewMeter(m.degree(), refLayout(m), spectral, spectral)
	if err != nil {
		t.Fatal(err)
	}
	mt.Spectral = SpectralPower // σ_max to ≈ 1e−13 (power iteration or its exact fallback)
	q, w, ll, g := m.eval(theta)
	return mt.measure(7, theta, &measureInput{q: q, w: w, grad: g, logLoss: ll, soft: -ll}, nil)
}

// direct norms, written as loops.
func directNorms(x []float64) (l1, l2, linf float64) {
	for _, v := range x {
		l1 += math.Abs(v)
		l2 += v * v
		linf = math.Max(linf, math.Abs(v))
	}
	return l1, math.Sqrt(l2), linf
}

// relClose reports |a − b| ≤ tol·max(|a|, |b|).
func relClose(a, b, tol float64) bool {
	return math.Abs(a-b) <= tol*math.Max(math.Abs(a), math.Abs(b))
}

// Margins match their definitions (min_i q_i / ‖θ‖^L with the norms
// written out, and the soft margin −log L/‖θ‖^L), the JSON names follow the
// paper's table (gamma1 = q_min/‖θ‖∞^L, …), and the KKT values match the
// Prop. 28 definitions computed the long way: D = ‖θ̃‖²(1 − A) with
// θ̃ = θ/q_min^{1/L}, and δ = Σ_i λ_i (q_i/q_min − 1) with
// λ_i = (‖θ‖/‖∇L‖⋆)·q_min^{1−2/L}·e^{−q_i} on the TRUE gradient ∇L = L·g and
// true e^{−q_i} (moderate q here, so nothing underflows). Sums of ≤ 60
// terms and a few pow/exp/log: 1e−10 relative (D and δ are differences of
// nearly equal terms scaled by up to 1e2).
func TestMetricsMatchDefinitions(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		hidden := rapid.SampledFrom([]int{0, 3}).Draw(t, "hidden")
		m, theta := drawSeparable(t, hidden)
		if !(refMargins(m, theta) < 30) {
			t.Skip("margins too large for the direct e^{−q}")
		}
		got := refMeasure(t, m, theta, true)
		L := float64(m.degree())
		q, _, ll, g := m.eval(theta)
		qmin := math.Inf(1)
		for _, v := range q {
			qmin = math.Min(qmin, v)
		}
		l1, l2, linf := directNorms(theta)
		g1, g2, ginf := directNorms(g)
		var ip float64
		for i := range theta {
			ip -= theta[i] * g[i]
		}
		type want struct {
			name           string
			got, want, tol float64
		}
		checks := []want{
			{"gamma1", got.MarginLinf, qmin / math.Pow(linf, L), 1e-13},
			{"gamma2", got.MarginL2, qmin / math.Pow(l2, L), 1e-13},
			{"gammaInf", got.MarginL1, qmin / math.Pow(l1, L), 1e-13},
			{"soft1", got.SoftLinf, -ll / math.Pow(linf, L), 1e-13},
			{"soft2", got.SoftL2, -ll / math.Pow(l2, L), 1e-13},
			{"softInf", got.SoftL1, -ll / math.Pow(l1, L), 1e-13},
			{"align1", got.AlignLinf, ip / (linf * g1), 1e-12},
			{"align2", got.AlignL2, ip / (l2 * g2), 1e-12},
			{"alignInf", got.AlignL1, ip / (l1 * ginf), 1e-12},
		}
		fields := map[string]float64{}
		for _, f := range got.Fields() {
			fields[f.Name] = f.Value
		}
		for _, c := range checks {
			if !relClose(c.got, c.want, c.tol) {
				t.Fatalf("%s = %v, definition %v", c.name, c.got, c.want)
			}
			if fields[c.name] != c.got {
				t.Fatalf("Fields()[%s] = %v, struct %v", c.name, fields[c.name], c.got)
			}
		}
		// KKT values the long way, per norm: (norm of θ, dual of g, got D, got δ).
		e := math.Exp(ll) // L(θ): ∇L = e·g
		for _, k := range []struct {
			name           string
			norm, dual     float64
			gotD, gotDelta float64
			normOf         func([]float64) float64
		}{
			{"linf", linf, g1, got.BregmanLinf, got.SlackLinf, func(x []float64) float64 { _, _, v := directNorms(x); return v }},
			{"l2", l2, g2, got.BregmanL2, got.SlackL2, func(x []float64) float64 { _, v, _ := directNorms(x); return v }},
			{"l1", l1, ginf, got.BregmanL1, got.SlackL1, func(x []float64) float64 { v, _, _ := directNorms(x); return v }},
		} {
			tilde := make([]float64, len(theta))
			for i := range theta {
				tilde[i] = theta[i] / math.Pow(qmin, 1/L)
			}
			nt := k.normOf(tilde)
			A := ip / (k.norm * k.dual)
			if wantD := nt * nt * (1 - A); math.Abs(k.gotD-wantD) > 1e-10*math.Max(1, math.Abs(wantD)) {
				t.Fatalf("%s: D = %v, ‖θ̃‖²(1−A) = %v", k.name, k.gotD, wantD)
			}
			var delta float64
			for _, qi := range q {
				lambda := k.norm / (e * k.dual) * math.Pow(qmin, 1-2/L) * math.Exp(-qi)
				delta += lambda * (qi/qmin - 1)
			}
			if math.Abs(k.gotDelta-delta) > 1e-10*math.Max(1, math.Abs(delta)) {
				t.Fatalf("%s: δ = %v, Σλ_i(q_i/q_min − 1) = %v", k.name, k.gotDelta, delta)
			}
		}
		// Spectral: γ_σ = q_min/(max_l σ_max(W_l))^L against the Jacobi SVD.
		lay := refLayout(m)
		var smax float64
		for l := range lay.Layers() {
			_, sv, _ := jacobiSVD(lay.View(theta, l))
			smax = math.Max(smax, sv[0])
		}
		if !relClose(got.MarginSpectral, qmin/math.Pow(smax, L), 1e-9) {
			t.Fatalf("gammaSpec = %v, SVD %v", got.MarginSpectral, qmin/math.Pow(smax, L))
		}
		// Spectral alignment: ⟨θ,−g⟩/(max_l σ_max(W_l) · Σ_l ‖G_l‖_nuclear),
		// nuclear norms from the SVD (polar cut-off: 1e−10·‖G‖_F per
		// singular value, so 1e−9 relative).
		var nuc float64
		for l := range lay.Layers() {
			_, sv, _ := jacobiSVD(lay.View(g, l))
			for _, v := range sv {
				nuc += v
			}
		}
		if want := ip / (smax * nuc); !relClose(got.AlignSpectral, want, 1e-9) {
			t.Fatalf("alignSpec = %v, definition %v", got.AlignSpectral, want)
		}
		if got.AlignSpectral > 1+1e-9 || got.AlignL2 > 1+1e-12 || got.AlignLinf > 1+1e-12 || got.AlignL1 > 1+1e-12 {
			t.Fatalf("alignment above 1 (Hölder): %+v", got)
		}
	})
}

// refMargins returns max_i q_i.
func refMargins(m *refModel, theta []float64) float64 {
	mx := math.Inf(-1)
	for _, v := range m.margins(theta) {
		mx = math.Max(mx, v)
	}
	return mx
}

// Hard margins are invariant to θ → c·θ for L-homogeneous f (q scales by
// c^L, every norm by c). With c a power of two the scaling is exact, so the
// margins agree to the pow's rounding: 4 ulps.
func TestMarginsScaleInvariant(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		hidden := rapid.SampledFrom([]int{0, 3}).Draw(t, "hidden")
		m, theta := drawSeparable(t, hidden)
		c := math.Ldexp(1, rapid.IntRange(-20, 20).Draw(t, "log2c"))
		scaled := make([]float64, len(theta))
		for i := range theta {
			scaled[i] = c * theta[i]
		}
		a, b := refMeasure(t, m, theta, true), refMeasure(t, m, scaled, true)
		for _, p := range [][2]float64{{a.MarginLinf, b.MarginLinf}, {a.MarginL2, b.MarginL2}, {a.MarginL1, b.MarginL1}} {
			if !relClose(p[0], p[1], 4*0x1p-52) {
				t.Fatalf("c = %v: margin %v became %v", c, p[0], p[1])
			}
		}
		// σ_max from power iteration converged to ~1e−13 relative.
		if !relClose(a.MarginSpectral, b.MarginSpectral, 1e-11) {
			t.Fatalf("c = %v: spectral margin %v became %v", c, a.MarginSpectral, b.MarginSpectral)
		}
	})
}

// qminSlack's one pass against the two-pass definition: q_min exactly (a
// minimum has no rounding) with nn.Eval.QMin's NaN rule, and the slackness
// sum Σ w_i (q_i − q_min) of non-negative terms within 4(n+4)ε relative:
// each side is a sum of ≤ 2n non-negative terms, each a few roundings off
// (the one pass also carries the running Σ w_j, ≤ nε relative). q is drawn
// with ties and long decreasing runs, which move the running minimum often.
func TestQMinSlack(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(0, 300).Draw(t, "n")
		q, w := make([]float64, n), make([]float64, n)
		for i := range q {
			switch rapid.IntRange(0, 3).Draw(t, "kind") {
			case 0:
				q[i] = rapid.Float64Range(-5, 5).Draw(t, "q")
			case 1: // a tie with an earlier sample
				if i > 0 {
					q[i] = q[rapid.IntRange(0, i-1).Draw(t, "tie")]
				}
			default: // a new minimum, most of the time
				if i > 0 {
					q[i] = q[i-1] - rapid.Float64Range(0, 1).Draw(t, "drop")
				}
			}
			w[i] = rapid.SampledFrom([]float64{0, rapid.Float64Range(0, 1).Draw(t, "w")}).Draw(t, "w0")
		}
		if n > 0 && rapid.IntRange(0, 9).Draw(t, "nan") == 0 {
			q[rapid.IntRange(0, n-1).Draw(t, "at")] = math.NaN()
		}
		wantMin := math.Inf(1)
		nan := false
		for _, v := range q {
			wantMin = math.Min(wantMin, v)
			nan = nan || v != v
		}
		var want float64
		for i, v := range q {
			want += w[i] * (v - wantMin)
		}
		qmin, slack := qminSlack(q, w)
		if nan {
			if qmin == qmin || slack == slack {
				t.Fatalf("NaN in q: q_min %v, slack %v", qmin, slack)
			}
			return
		}
		if qmin != wantMin {
			t.Fatalf("q_min = %v, want %v", qmin, wantMin)
		}
		if math.Abs(slack-want) > 4*float64(n+4)*0x1p-52*want {
			t.Fatalf("slack = %v, two-pass %v (n = %d)", slack, want, n)
		}
	})
}

// ratioPow where ‖θ‖^L over- or underflows: the ratio is still right to a
// few ulps (10 allowed: one division, one pow of f ∈ [0.5, 1), an exact
// scaling), and ±Inf only when the ratio itself is out of range.
func TestRatioPowExtremes(t *testing.T) {
	for _, c := range []struct{ num, n, L, want float64 }{
		{1e300, 1e200, 2, 1e-100},
		{-3, 1e-170, 2, math.Inf(-1)}, // −3e340: out of range
		{2, 1e-170, 2, math.Inf(1)},
		{3, 2, 1, 1.5},
		{5e-300, 1e100, 3, 0}, // 5e−600 underflows to 0
	} {
		got := ratioPow(c.num, c.n, c.L)
		if math.IsInf(c.want, 0) || c.want == 0 {
			if got != c.want {
				t.Errorf("ratioPow(%v, %v, %v) = %v, want %v", c.num, c.n, c.L, got, c.want)
			}
			continue
		}
		if !relClose(got, c.want, 10*0x1p-52) {
			t.Errorf("ratioPow(%v, %v, %v) = %v, want %v", c.num, c.n, c.L, got, c.want)
		}
	}
}

// The capped, warm-started spectral estimate (SpectralCapped) is a lower bound of
// σ_max that never decreases from call to call on a fixed θ; the power
// estimate ‖Wᵀu‖ ≤ σ_max holds exactly in exact arithmetic, so 1e−14
// relative covers its rounding. After 200 calls (600 iterations) it agrees
// with the SVD to 1e−6 unless σ₂/σ₁ > 1 − 1e−3 (then the gap itself is tiny
// and the lower bound is within (σ₁ − σ₂)).
func TestMeterSpectralWarmStart(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		m, theta := drawSeparable(t, 3)
		lay := refLayout(m)
		mt, err := NewMeter(m.degree(), lay, true, false)
		if err != nil {
			t.Fatal(err)
		}
		mt.Spectral = SpectralCapped
		q, w, ll, g := m.eval(theta)
		in := &measureInput{q: q, w: w, grad: g, logLoss: ll, soft: -ll}
		ref := make([]float64, lay.Layers())
		gap := make([]float64, lay.Layers())
		for l := range ref {
			_, sv, _ := jacobiSVD(lay.View(theta, l))
			ref[l] = sv[0]
			gap[l] = sv[0]
			if len(sv) > 1 {
				gap[l] = sv[0] - sv[1]
			}
		}
		prev := make([]float64, lay.Layers())
		for call := range 200 {
			got := mt.measure(call, theta, in, nil)
			for l, s := range got.LayerSpectral {
				if s > ref[l]*(1+1e-14) || s < prev[l]*(1-1e-14) {
					t.Fatalf("call %d layer %d: estimate %v (previous %v, σ_max %v)", call, l, s, prev[l], ref[l])
				}
				prev[l] = s
			}
		}
		for l := range ref {
			bound := 1e-6 * ref[l]
			if gap[l] < 1e-3*ref[l] {
				bound += gap[l]
			}
			if ref[l]-prev[l] > bound {
				t.Fatalf("layer %d: estimate %v after 200 calls, σ_max %v (gap %v)", l, prev[l], ref[l], gap[l])
			}
		}
	})
}
