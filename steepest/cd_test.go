package steepest

import (
	"math"
	"slices"
	"testing"

	"github.com/margo-lab/margo/asm"
	"github.com/margo-lab/margo/nn"
	"pgregory.net/rapid"
)

// drawCDGrad draws a gradient with ties, zeros and runs of equal |g_i| on
// purpose (drawVec's values 0, ±1, ±0.5, −2 repeat often).
func drawCDGrad(t *rapid.T, n int, label string) []float64 { return drawVec(t, n, label) }

// firstArgMax returns the first index of the largest |g_i| among those
// with use(i), or −1 when all of them are 0 (a direct loop, the
// reference for the tie-breaking rule "first index, as torch.argmax").
func firstArgMax(g []float64, lo, hi int, use func(int) bool) int {
	k, best := -1, 0.0
	for i := lo; i < hi; i++ {
		if use(i) && math.Abs(g[i]) > best {
			k, best = i, math.Abs(g[i])
		}
	}
	return k
}

func all(int) bool { return true }

// Normalized per-layer CD is steepest descent w.r.t. max_l ‖W_l‖₁:
// bit for bit NewSteepest(NewModular(layout, L1{}), lr, true), and per
// layer exactly θ_{k_l} −= η·sign(g_{k_l}) at the first argmax of the
// layer, so ‖Δθ‖ = max_l ‖Δ_l‖₁ = η and ⟨Δθ, −g⟩ = η·Σ_l ‖G_l‖∞ = η‖g‖⋆
// (paper.md 2.1 for the modular norm, exact here: every term is η·|g_k|
// or 0 and η = 1).
func TestLayerCDNormalizedIsModularL1(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		lay := drawLayout(t)
		theta, g := drawVec(t, lay.Size(), "theta"), drawCDGrad(t, lay.Size(), "g")
		lr := drawLR(t)
		eta := math.Exp(math.Log(lr))
		c, err := NewLayerCD(lay, lr, true)
		if err != nil {
			t.Fatal(err)
		}
		mod, _ := NewModular(lay, L1{})
		ref, _ := NewSteepest(mod, lr, true)
		got, want := append([]float64(nil), theta...), append([]float64(nil), theta...)
		if err := c.Update(got, g, rapid.Float64Range(-50, 5).Draw(t, "logScale")); err != nil {
			t.Fatal(err)
		}
		if err := ref.Update(want, g, 0); err != nil {
			t.Fatal(err)
		}
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("θ[%d] = %v, modular-ℓ1 steepest descent %v", i, got[i], want[i])
			}
		}
		for l := range lay.Layers() {
			lo, hi := lay.Offset(l), lay.Offset(l+1)
			k := firstArgMax(g, lo, hi, all)
			for i := lo; i < hi; i++ {
				w := theta[i]
				if i == k {
					w -= eta * math.Copysign(1, g[i])
				}
				if got[i] != w {
					t.Fatalf("layer %d: θ[%d] = %v, want %v (k = %d)", l, i, got[i], w, k)
				}
			}
		}
		delta := make([]float64, len(g))
		for i := range delta {
			delta[i] = (got[i] - theta[i]) / eta
		}
		norm, dual := mod.Value(delta), mod.Dual(g)
		if dual > 0 && math.Abs(norm-1) > 1e-12 {
			t.Fatalf("‖Δθ‖/η = %v, want 1", norm)
		}
		if ip := -asm.Dot(delta, g); dual > 0 && math.Abs(ip-dual) > 1e-9*dual {
			t.Fatalf("⟨Δθ, −g⟩/η = %v, want ‖g‖⋆ = %v", ip, dual)
		}
	})
}

// Unnormalized per-layer CD is the per-tensor loop: in each layer
// θ_{k_l} −= η·e^s·g_{k_l} (so ‖Δ_l‖₁ = η‖G_l‖∞ and ⟨Δ_l, −G_l⟩ = η‖G_l‖∞²,
// Eq. 7 layer by layer). The coordinate is compared to 8 ulps of the
// larger of |θ_k| and the step, as TestSignAndCoordinateSteps does for CD.
func TestLayerCDUnnormalizedIsPerTensorLoop(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		lay := drawLayout(t)
		theta, g := drawVec(t, lay.Size(), "theta"), drawCDGrad(t, lay.Size(), "g")
		lr := drawLR(t)
		s := rapid.Float64Range(-5, 2).Draw(t, "logScale")
		c, _ := NewLayerCD(lay, lr, false)
		got := append([]float64(nil), theta...)
		if err := c.Update(got, g, s); err != nil {
			t.Fatal(err)
		}
		rate := math.Exp(math.Log(lr) + s)
		for l := range lay.Layers() {
			lo, hi := lay.Offset(l), lay.Offset(l+1)
			k := firstArgMax(g, lo, hi, all)
			for i := lo; i < hi; i++ {
				if i != k {
					if got[i] != theta[i] {
						t.Fatalf("layer %d: θ[%d] moved (k = %d)", l, i, k)
					}
					continue
				}
				step := rate * g[i]
				if w := theta[i] - step; math.Abs(got[i]-w) > 8*0x1p-52*math.Max(math.Abs(w), math.Abs(step)) {
					t.Fatalf("layer %d: θ[%d] = %v, want %v", l, i, got[i], w)
				}
			}
		}
	})
}

// What the modular steepest step does unnormalized differs from the
// per-tensor loop: Eq. 1 for max_l ‖W_l‖₁ scales every layer's move by the
// whole dual norm Σ_l ‖G_l‖∞. Two layers with gradients 3 and 0.5 at their
// argmax: the loop moves them by η·3 and η·0.5, Eq. 1 by η·3.5 each.
func TestLayerCDUnnormalizedDiffersFromModularEq1(t *testing.T) {
	lay := nn.NewLayout(nn.Shape{Out: 1, In: 2}, nn.Shape{Out: 1, In: 1})
	g := []float64{1, -3, 0.5}
	loop, _ := NewLayerCD(lay, 0.25, false)
	mod, _ := NewModular(lay, L1{})
	eq1, _ := NewSteepest(mod, 0.25, false)
	a, b := make([]float64, 3), make([]float64, 3)
	if err := loop.Update(a, g, 0); err != nil {
		t.Fatal(err)
	}
	if err := eq1.Update(b, g, 0); err != nil {
		t.Fatal(err)
	}
	if want := []float64{0, 0.75, -0.125}; a[0] != want[0] || a[1] != want[1] || a[2] != want[2] {
		t.Errorf("per-tensor loop: Δθ = %v, want %v", a, want)
	}
	if want := []float64{0, 0.875, -0.875}; b[0] != want[0] || b[1] != want[1] || b[2] != want[2] {
		t.Errorf("modular Eq. 1: Δθ = %v, want %v", b, want)
	}
}

// drawKinkState draws a valid KinkCD state for c: random holds and, per
// block, a random last move (or none).
func drawKinkState(t *rapid.T, c *KinkCD) [][]float64 {
	hold := rapid.SliceOfN(rapid.SampledFrom([]float64{0, 0, 1, -1}), len(c.hold), len(c.hold)).Draw(t, "hold")
	last := make([]float64, len(c.last))
	for b := range len(c.bounds) - 1 {
		last[2*b], last[2*b+1] = -1, 0
		if lo, hi := c.bounds[b], c.bounds[b+1]; hi > lo && rapid.Bool().Draw(t, "moved") {
			last[2*b] = float64(rapid.IntRange(lo, hi-1).Draw(t, "last"))
			last[2*b+1] = rapid.SampledFrom([]float64{1, -1}).Draw(t, "sign")
		}
	}
	return [][]float64{hold, last}
}

// drawKinkCD draws a flat or per-layer KinkCD with its layout's size.
func drawKinkCD(t *rapid.T, normalized bool) (*KinkCD, nn.Layout) {
	lay := drawLayout(t)
	lr := drawLR(t)
	if rapid.Bool().Draw(t, "layered") {
		c, err := NewLayerKinkCD(lay, lr, normalized)
		if err != nil {
			t.Fatal(err)
		}
		return c, lay
	}
	c, err := NewKinkCD(lay.Size(), lr, normalized)
	if err != nil {
		t.Fatal(err)
	}
	return c, lay
}

// KinkCD from any state: per block, the step is the CD step on g⋆ = g
// with the held coordinates (those still held after the step) set to 0 —
// the first j of max |g⋆_i| moves by −η·sign(g_j) or −η·e^s·g_j and
// nothing else moves — so ‖Δ_b‖₁ = η and ⟨Δ_b, −g⟩ = η‖g⋆_b‖∞ (normalized)
// or η‖g⋆_b‖∞ and η‖g⋆_b‖∞² (paper.md 2.1 for ℓ1 with g⋆ for g). And the
// holds follow the rule: the last-moved k is held iff its derivative
// flipped; a hold survives iff its derivative still has the held sign −s;
// a block's holds are all dropped only when g⋆ would otherwise be 0 while
// g is not.
func TestKinkCDStepIsCDOnMaskedGradient(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		normalized := rapid.Bool().Draw(t, "normalized")
		c, lay := drawKinkCD(t, normalized)
		st := drawKinkState(t, c)
		if err := c.SetState(st); err != nil {
			t.Fatal(err)
		}
		theta, g := drawVec(t, lay.Size(), "theta"), drawCDGrad(t, lay.Size(), "g")
		s := rapid.Float64Range(-3, 2).Draw(t, "logScale")
		eta := math.Exp(c.LogLR())
		got := append([]float64(nil), theta...)
		if err := c.Update(got, g, s); err != nil {
			t.Fatal(err)
		}
		hold := c.State()[0]
		for b := range len(c.bounds) - 1 {
			lo, hi := c.bounds[b], c.bounds[b+1]
			// The reference holds after the rule (steps 1 and 2).
			want := append([]float64(nil), st[0][lo:hi]...)
			if k := int(st[1][2*b]); k >= 0 && sgn(g[k]) == -st[1][2*b+1] {
				want[k-lo] = st[1][2*b+1]
			}
			for i := range want {
				if want[i] != 0 && sgn(g[lo+i]) != -want[i] {
					want[i] = 0
				}
			}
			if firstArgMax(g, lo, hi, func(i int) bool { return want[i-lo] == 0 }) < 0 {
				clear(want) // the fallback: no free coordinate moves
			}
			for i := range want {
				if hold[lo+i] != want[i] {
					t.Fatalf("block %d: hold[%d] = %v, want %v (state %v, g %v)", b, lo+i, hold[lo+i], want[i], st, g[lo:hi])
				}
			}
			j := firstArgMax(g, lo, hi, func(i int) bool { return hold[i] == 0 })
			var l1, ip, gstar float64
			if j >= 0 {
				gstar = math.Abs(g[j])
			}
			for i := lo; i < hi; i++ {
				d := got[i] - theta[i]
				if i != j && d != 0 {
					t.Fatalf("block %d: θ[%d] moved by %v, only %d may move", b, i, d, j)
				}
				l1 += math.Abs(d)
				ip -= d * g[i]
			}
			if j < 0 {
				continue
			}
			if normalized {
				if w := theta[j] - eta*math.Copysign(1, g[j]); got[j] != w {
					t.Fatalf("θ[%d] = %v, want %v", j, got[j], w)
				}
				// ‖Δ‖₁ = η, ⟨Δ, −g⟩ = η‖g⋆‖∞ up to the rounding of θ_j ± η.
				tol := 4 * 0x1p-52 * math.Max(math.Abs(theta[j]), eta)
				if math.Abs(l1-eta) > tol || math.Abs(ip-eta*gstar) > tol*gstar {
					t.Fatalf("‖Δ‖₁ = %v (η = %v), ⟨Δ, −g⟩ = %v (η‖g⋆‖∞ = %v)", l1, eta, ip, eta*gstar)
				}
				continue
			}
			r := math.Exp(c.LogLR() + s)
			tol := 8 * 0x1p-52 * math.Max(math.Abs(theta[j]), r*gstar)
			if w := theta[j] - r*g[j]; math.Abs(got[j]-w) > tol {
				t.Fatalf("θ[%d] = %v, want %v", j, got[j], w)
			}
			if math.Abs(l1-r*gstar) > tol || math.Abs(ip-r*gstar*gstar) > tol*gstar {
				t.Fatalf("‖Δ‖₁ = %v (η‖g⋆‖∞ = %v), ⟨Δ, −g⟩ = %v (η‖g⋆‖∞² = %v)", l1, r*gstar, ip, r*gstar*gstar)
			}
		}
	})
}

// Without a sign flip KinkCD is CD: over a run of gradients whose entries
// never change sign, flat KinkCD equals NewCD and per-layer KinkCD equals
// LayerCD, bit for bit, step for step.
func TestKinkCDWithoutFlipsIsCD(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		normalized := rapid.Bool().Draw(t, "normalized")
		c, lay := drawKinkCD(t, normalized)
		var ref Optimizer
		if c.layered {
			ref, _ = NewLayerCD(lay, math.Exp(c.LogLR()), normalized)
		} else {
			ref, _ = NewCD(math.Exp(c.LogLR()), normalized)
		}
		signs := rapid.SliceOfN(rapid.SampledFrom([]float64{1, -1}), lay.Size(), lay.Size()).Draw(t, "signs")
		a := drawVec(t, lay.Size(), "theta")
		b := append([]float64(nil), a...)
		for step := range rapid.IntRange(1, 8).Draw(t, "steps") {
			g := rapid.SliceOfN(rapid.SampledFrom([]float64{0, 0.5, 1, 2, 3}), lay.Size(), lay.Size()).Draw(t, "g")
			for i := range g {
				g[i] *= signs[i]
			}
			if err := c.Update(a, g, 0); err != nil {
				t.Fatal(err)
			}
			if err := ref.Update(b, g, 0); err != nil {
				t.Fatal(err)
			}
			for i := range a {
				if a[i] != b[i] {
					t.Fatalf("step %d: %s θ[%d] = %v, %s %v", step, c.Name(), i, a[i], ref.Name(), b[i])
				}
			}
		}
	})
}

// vKink is a hand-built loss with a V-shaped kink along θ₀ and a smooth
// descent along θ₁: L(θ) = 2|θ₀ − 0.05| + e^{−θ₁}, |z| = relu(z) + relu(−z),
// from θ = (0, 0), where |∂₀L| = 2 > |∂₁L| = e^{−θ₁} ≤ 1. Greedy CD with
// η = 0.1 (normalized: steps ±0.1; unnormalized: ±0.2) moves θ₀ across the
// kink and back forever and never moves θ₁; the flow holds θ₀ at the kink
// and sends θ₁ to infinity. It returns the loss and writes its gradient.
func vKink(theta, g []float64) float64 {
	z := theta[0] - 0.05
	g[0], g[1] = 2*sgn(z), -math.Exp(-theta[1])
	if z == 0 {
		g[0] = 0 // the minimum-norm subgradient on the kink
	}
	return 2*math.Abs(z) + math.Exp(-theta[1])
}

// twoCycles runs opt on vKink for steps steps and reports whether θ
// returned to a point it held two steps earlier (a 2-cycle) in the second
// half of the run, and the final loss.
func twoCycles(t *testing.T, opt Optimizer, steps int) (cycled bool, loss float64) {
	theta, g := []float64{0, 0}, make([]float64, 2)
	var hist [][2]float64
	for s := range steps {
		loss = vKink(theta, g)
		hist = append(hist, [2]float64{theta[0], theta[1]})
		if s >= steps/2 && s >= 2 && hist[s] == hist[s-2] && hist[s] != hist[s-1] {
			cycled = true
		}
		if err := opt.Update(theta, g, 0); err != nil {
			t.Fatal(err)
		}
	}
	return cycled, vKink(theta, g)
}

// Flat CD 2-cycles on vKink and KinkCD does not: it holds θ₀ one step
// past the kink after one flip and then moves θ₁, so the loss falls to
// the held offset 2·(step − 0.05) plus e^{−θ₁}. Normalized (step 0.1):
// θ₁ = 199·0.1 after 200 steps, L = 0.1 + e^{−19.9} ≤ 0.1 + 1e−8.
// Unnormalized (step η·2 = 0.2): θ₁ += 0.1·e^{−θ₁}, so e^{θ₁} ≈ 1 + 0.1·t
// and L ≈ 0.3 + 1/20.9 ≤ 0.35. Flat CD never moves θ₁ (L ≥ 1). The check
// sees the cycle of flat CD, so it can fail.
func TestKinkCDBreaksTwoCycle(t *testing.T) {
	for _, c := range []struct {
		normalized bool
		maxLoss    float64
	}{{true, 0.1 + 1e-8}, {false, 0.35}} {
		cd, _ := NewCD(0.1, c.normalized)
		kink, _ := NewKinkCD(2, 0.1, c.normalized)
		cdCycled, cdLoss := twoCycles(t, cd, 200)
		kCycled, kLoss := twoCycles(t, kink, 200)
		if !cdCycled || cdLoss < 1 {
			t.Errorf("normalized=%v: flat CD cycled = %v, loss %v; want a 2-cycle with the loss ≥ 1 (θ₁ never moves)", c.normalized, cdCycled, cdLoss)
		}
		if kCycled || kLoss > c.maxLoss {
			t.Errorf("normalized=%v: kink-aware CD cycled = %v, loss %v; want no cycle and loss ≤ %v", c.normalized, kCycled, kLoss, c.maxLoss)
		}
	}
}

// Along vKink the kink-aware loss never increases after the first flip
// (the flow's dL/dt ≤ 0, Prop. 7), while flat CD's goes up every other step.
func TestKinkCDMonotoneOnVKink(t *testing.T) {
	kink, _ := NewKinkCD(2, 0.1, true)
	theta, g := []float64{0, 0}, make([]float64, 2)
	prev := math.Inf(1)
	for s := range 100 {
		l := vKink(theta, g)
		if s >= 2 && l > prev {
			t.Fatalf("step %d: loss rose from %v to %v", s, prev, l)
		}
		prev = l
		if err := kink.Update(theta, g, 0); err != nil {
			t.Fatal(err)
		}
	}
}

// Checkpoints: State/SetState resume KinkCD exactly, and SetState refuses
// wrong shapes and impossible values without changing the state.
func TestKinkCDStateRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		normalized := rapid.Bool().Draw(t, "normalized")
		c, lay := drawKinkCD(t, normalized)
		th := drawVec(t, lay.Size(), "theta")
		n := rapid.IntRange(0, 6).Draw(t, "before")
		m := rapid.IntRange(1, 6).Draw(t, "after")
		grads := make([][]float64, n+m)
		for i := range grads {
			grads[i] = drawCDGrad(t, lay.Size(), "g")
		}
		for _, g := range grads[:n] {
			if err := c.Update(th, g, 0); err != nil {
				t.Fatal(err)
			}
		}
		var saved [][]float64
		for _, p := range c.State() {
			saved = append(saved, append([]float64(nil), p...))
		}
		th2 := append([]float64(nil), th...)
		for _, g := range grads[n:] {
			if err := c.Update(th, g, 0); err != nil {
				t.Fatal(err)
			}
		}
		var d *KinkCD
		if c.layered {
			d, _ = NewLayerKinkCD(lay, math.Exp(c.LogLR()), normalized)
		} else {
			d, _ = NewKinkCD(lay.Size(), math.Exp(c.LogLR()), normalized)
		}
		d.SetLogLR(c.LogLR())
		if err := d.SetState(saved); err != nil {
			t.Fatal(err)
		}
		for _, g := range grads[n:] {
			if err := d.Update(th2, g, 0); err != nil {
				t.Fatal(err)
			}
		}
		for i := range th {
			if th[i] != th2[i] {
				t.Fatalf("resumed θ[%d] = %v, uninterrupted %v", i, th2[i], th[i])
			}
		}
	})
	c, _ := NewKinkCD(3, 0.1, true)
	good := [][]float64{{0, 1, -1}, {2, 1}}
	if err := c.SetState(good); err != nil {
		t.Fatal(err)
	}
	for _, bad := range [][][]float64{
		{{0, 1, -1}},                   // one part
		{{0, 1}, {2, 1}},               // short holds
		{{0, 0, 0, 0}, {-1, 0}},        // long holds
		{{0, 0, 0}, {-1, 0, 0}},        // long last
		{{0, 0, 0}, {-1, 0}, {-1, 0}},  // three parts
		{{0, 2, 0}, {2, 1}},            // hold 2
		{{0, 0, -0.5}, {-1, 0}},        // hold −0.5
		{{0, 0, math.NaN()}, {-1, 0}},  // NaN hold
		{{0, 0, 0}, {3, 1}},            // index outside
		{{0, 0, 0}, {-2, 0}},           // index −2
		{{0, 0, 0}, {1.5, 1}},          // not an index
		{{0, 0, 0}, {math.NaN(), 1}},   // NaN index
		{{0, 0, 0}, {math.Inf(-1), 0}}, // −Inf index
		{{0, 0, 0}, {1, 0}},            // a move without a sign
		{{0, 0, 0}, {2, 0.5}},          // sign 0.5
		{{0, 0, 0}, {1, math.Inf(1)}},  // Inf sign
		{{0, 0, 0}, {-1, 1}},           // no move but a sign
	} {
		if err := c.SetState(bad); err == nil {
			t.Errorf("SetState(%v) accepted", bad)
		}
		if st := c.State(); st[0][1] != 1 || st[0][2] != -1 || st[1][0] != 2 || st[1][1] != 1 {
			t.Fatalf("SetState(%v) changed the state to %v", bad, st)
		}
	}
}

// Bad input is an error, not a panic, and leaves θ and the state as they
// were: the CD variants check lengths, the log-scale and the gradient
// before they touch anything.
func TestCDVariantsRejectBadInput(t *testing.T) {
	lay := nn.NewLayout(nn.Shape{Out: 2, In: 1}, nn.Shape{Out: 1, In: 2})
	lc, _ := NewLayerCD(lay, 0.1, true)
	lu, _ := NewLayerCD(lay, 0.1, false)
	kc, _ := NewKinkCD(4, 0.1, true)
	kl, _ := NewLayerKinkCD(lay, 0.1, false)
	for _, o := range []Optimizer{lc, lu, kc, kl} {
		// One good step first, so the kink state is not the initial one.
		th := []float64{1, 2, 3, 4}
		if err := o.Update(th, []float64{1, -2, 0.5, 3}, 0); err != nil {
			t.Fatal(err)
		}
		before := append([]float64(nil), th...)
		var st [][]float64
		for _, p := range o.State() {
			st = append(st, append([]float64(nil), p...))
		}
		for _, c := range []struct {
			g []float64
			s float64
		}{
			{[]float64{1, math.NaN(), 0, 0}, 0}, {[]float64{0, 0, 0, math.Inf(-1)}, 0},
			{[]float64{1, 2, 3}, 0}, {[]float64{1, 2, 3, 4, 5}, 0}, {[]float64{1, 2, 3, 4}, math.NaN()},
			{[]float64{1, 2, 3, 4}, math.Inf(1)},
		} {
			if err := o.Update(th, c.g, c.s); err == nil {
				t.Errorf("%s accepted gradient %v at log-scale %v", o.Name(), c.g, c.s)
			}
			for i := range th {
				if th[i] != before[i] {
					t.Fatalf("%s changed θ on error", o.Name())
				}
			}
			for p, part := range o.State() {
				for i := range part {
					if part[i] != st[p][i] {
						t.Fatalf("%s changed its state on error", o.Name())
					}
				}
			}
		}
		if err := o.Update(th[:3], []float64{1, 2, 3}, 0); err == nil {
			t.Errorf("%s accepted 3 parameters for a 4-parameter layout", o.Name())
		}
	}
	if _, err := NewLayerCD(nn.Layout{}, 0.1, true); err == nil {
		t.Error("NewLayerCD accepted an empty layout")
	}
	if _, err := NewKinkCD(3, math.NaN(), true); err == nil {
		t.Error("NewKinkCD accepted lr NaN")
	}
	if _, err := NewKinkCD(-1, 0.1, true); err == nil {
		t.Error("NewKinkCD accepted −1 parameters")
	}
}

// Zero gradients move nothing and leave no last move; NaN is an error.
func TestCDVariantsZeroGradient(t *testing.T) {
	lay := nn.NewLayout(nn.Shape{Out: 2, In: 2}, nn.Shape{Out: 1, In: 2})
	lc, _ := NewLayerCD(lay, 0.1, true)
	kc, _ := NewKinkCD(lay.Size(), 0.1, false)
	kl, _ := NewLayerKinkCD(lay, 0.1, true)
	for _, o := range []Optimizer{lc, kc, kl} {
		th := []float64{1, -2, 3, 0, 5, 6}
		if err := o.Update(th, make([]float64, 6), 0); err != nil {
			t.Fatal(err)
		}
		if th[0] != 1 || th[1] != -2 || th[2] != 3 || th[3] != 0 || th[4] != 5 || th[5] != 6 {
			t.Errorf("%s moved on a zero gradient: %v", o.Name(), th)
		}
		if st := o.State(); st != nil && st[1][0] != -1 {
			t.Errorf("%s records a move on a zero gradient: %v", o.Name(), st)
		}
	}
}

// New builds the CD variants by name (they need the layout) and refuses
// them without one.
func TestNewCDVariantsByName(t *testing.T) {
	lay := nn.NewLayout(nn.Shape{Out: 3, In: 2}, nn.Shape{Out: 1, In: 3})
	for name, want := range map[string]string{
		"cd-layer": "cd-layer(normalized)", "cd-kink": "cd-kink(normalized)", "cd-layer-kink": "cd-layer-kink(normalized)",
		"CD-Kink": "cd-kink(normalized)",
	} {
		o, err := New(Config{Name: name, LR: 0.1, Normalized: true, Layout: lay})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if o.Name() != want {
			t.Errorf("New(%s).Name() = %q, want %q", name, o.Name(), want)
		}
		if o.LogLR() != math.Log(0.1) {
			t.Errorf("%s: log lr %v", name, o.LogLR())
		}
		if _, err := New(Config{Name: name, LR: 0.1}); err == nil {
			t.Errorf("New(%s) without a layout accepted", name)
		}
	}
	o, _ := New(Config{Name: "cd-layer", LR: 0.1, Layout: lay})
	if o.Name() != "cd-layer(unnormalized)" {
		t.Errorf("unnormalized name %q", o.Name())
	}
}

// kinkScanStep is KinkCD's rule on one block written as the direct scan
// over every coordinate (the reference for the list of holds that KinkCD
// keeps across steps): kink test of the last-moved k, release, then the
// first j of max |g_i| over the coordinates not held.
func kinkScanStep(hold, last []float64, b, lo, hi int, g []float64) (j int) {
	if k := int(last[2*b]); k >= 0 && sgnRef(g[k]) == -last[2*b+1] {
		hold[k] = last[2*b+1]
	}
	heldNonzero := false
	for i := lo; i < hi; i++ {
		if hold[i] != 0 && sgnRef(g[i]) == -hold[i] {
			heldNonzero = true
		} else {
			hold[i] = 0
		}
	}
	j = firstArgMax(g, lo, hi, func(i int) bool { return hold[i] == 0 })
	if j < 0 && heldNonzero {
		clear(hold[lo:hi])
		j = firstArgMax(g, lo, hi, func(int) bool { return true })
	}
	last[2*b], last[2*b+1] = -1, 0
	if j >= 0 {
		last[2*b], last[2*b+1] = float64(j), sgnRef(g[j])
	}
	return j
}

func sgnRef(x float64) float64 {
	if x == 0 {
		return 0
	}
	return math.Copysign(1, x)
}

// Over a sequence of steps whose gradients flip sign often (entries from
// a few values of both signs, so that holds are taken, kept and dropped),
// with a SetState from the reference now and then, KinkCD's θ and state
// equal the direct scan's at every step.
func TestKinkCDMatchesScanOverSteps(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		normalized := rapid.Bool().Draw(t, "normalized")
		c, lay := drawKinkCD(t, normalized)
		p := lay.Size()
		hold, last := make([]float64, p), make([]float64, len(c.last))
		for b := range len(c.bounds) - 1 {
			last[2*b] = -1
		}
		theta := drawVec(t, p, "theta")
		ref := slices.Clone(theta)
		eta := math.Exp(c.LogLR())
		vals := rapid.SampledFrom([]float64{0, 1, -1, 0.5, -0.5, 2, -2})
		for step := range rapid.IntRange(1, 12).Draw(t, "steps") {
			if rapid.IntRange(0, 4).Draw(t, "reset") == 0 {
				if err := c.SetState([][]float64{slices.Clone(hold), slices.Clone(last)}); err != nil {
					t.Fatal(err)
				}
			}
			g := rapid.SliceOfN(vals, p, p).Draw(t, "g")
			if err := c.Update(theta, g, 0); err != nil {
				t.Fatal(err)
			}
			for b := range len(c.bounds) - 1 {
				if j := kinkScanStep(hold, last, b, c.bounds[b], c.bounds[b+1], g); j >= 0 {
					if normalized {
						ref[j] -= eta * math.Copysign(1, g[j])
					} else {
						ref[j] -= eta * g[j]
					}
				}
			}
			st := c.State()
			if !slices.Equal(theta, ref) || !slices.Equal(st[0], hold) || !slices.Equal(st[1], last) {
				t.Fatalf("step %d: θ %v hold %v last %v, scan: θ %v hold %v last %v", step, theta, st[0], st[1], ref, hold, last)
			}
		}
	})
}
