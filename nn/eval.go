package nn

import (
	"fmt"

	"github.com/margo-lab/margo/asm"
	"github.com/margo-lab/margo/tensor"
)

// Workspace holds every buffer that the forward and backward passes of one
// model need for batches of up to n samples: the hidden activations, two
// back-propagation buffers and the matrix headers handed to GEMM. After the
// first call with a given batch size, Forward and Evaluate allocate nothing.
// A Workspace belongs to the model that made it and is not safe for
// concurrent use.
type Workspace struct {
	m    *MLP
	n    int         // rows the buffers hold
	h    [][]float64 // h[l]: σ(Z_l), n×K_l, for each hidden layer l
	back [2][]float64

	// Matrix headers reused from call to call so that no view escapes to
	// the heap: hidden activations, weights (trainable and frozen),
	// gradients and back-propagation buffers.
	hd, wd, gd []tensor.Dense
	bd         [2]tensor.Dense
	coef       []float64
	ones       []float64 // n ones: the coefficients of a bias gradient Σ_i g_i
	pass       rowPass   // the passes outside the GEMMs (pass.go)

	// Pool runs the GEMMs and the passes around them (nil: the calling
	// goroutine alone). Results do not depend on it.
	Pool *tensor.Pool
}

// NewWorkspace returns a workspace for batches of up to n rows (a larger
// batch later grows it, allocating once).
func (m *MLP) NewWorkspace(n int) *Workspace {
	ws := &Workspace{m: m}
	D := len(m.shapes)
	ws.hd = make([]tensor.Dense, D-1)
	ws.wd = make([]tensor.Dense, D)
	ws.gd = make([]tensor.Dense, D)
	ws.h = make([][]float64, D-1)
	ws.grow(max(n, 1))
	return ws
}

// grow makes the buffers hold n rows.
func (ws *Workspace) grow(n int) {
	m := ws.m
	maxK := 0
	for l := range ws.h {
		ws.h[l] = make([]float64, n*m.widths[l])
		maxK = max(maxK, m.widths[l])
	}
	ws.back[0] = make([]float64, n*maxK)
	if len(ws.h) > 1 { // the second buffer serves only deeper networks
		ws.back[1] = make([]float64, n*maxK)
	}
	ws.coef = make([]float64, n)
	if m.bias {
		ws.ones = make([]float64, n)
		for i := range ws.ones {
			ws.ones[i] = 1
		}
	}
	ws.n = n
}

// check panics on arguments that do not fit the model: they are
// programming errors, as for tensor.Gemm.
func (m *MLP) check(ws *Workspace, theta []float64, x *tensor.Dense, what string) {
	if ws == nil || ws.m != m {
		panic(fmt.Sprintf("nn: %s: workspace made for another model", what))
	}
	if len(theta) != m.layout.Size() {
		panic(fmt.Sprintf("nn: %s: len(θ) = %d, layout needs %d", what, len(theta), m.layout.Size()))
	}
	if x.Cols != m.in {
		panic(fmt.Sprintf("nn: %s: inputs have %d features, model takes %d", what, x.Cols, m.in))
	}
	if x.Rows > ws.n {
		ws.grow(x.Rows)
	}
}

// weights sets the headers of W_1..W_D over θ (and the frozen layer).
func (m *MLP) weights(ws *Workspace, theta []float64) {
	for l, s := range m.shapes {
		ws.wd[l] = tensor.Dense{Rows: s.Out, Cols: s.In, Stride: s.In, Data: m.layer(theta, l)}
	}
}

// Forward computes out_i = f(x_i; θ) for every row x_i of x (len(out) ≥
// x.Rows). It panics if θ, x or out do not fit the model.
func (m *MLP) Forward(ws *Workspace, theta []float64, x *tensor.Dense, out []float64) {
	m.check(ws, theta, x, "Forward")
	if len(out) < x.Rows {
		panic(fmt.Sprintf("nn: Forward: output of length %d for %d rows", len(out), x.Rows))
	}
	m.forward(ws, theta, x, out[:x.Rows])
}

// forward runs the layers, keeping the hidden activations in ws:
// H_l = σ(H_{l−1}·W_lᵀ) with H_0 = X (a GEMM each), or σ(H_{l−1}·W_lᵀ + 1·b_lᵀ)
// with biases, then out_i = ⟨H_{D−1,i}, w_D⟩.
func (m *MLP) forward(ws *Workspace, theta []float64, x *tensor.Dense, out []float64) {
	n := x.Rows
	m.weights(ws, theta)
	in := x
	for l, k := range m.widths {
		ws.hd[l] = tensor.Dense{Rows: n, Cols: k, Stride: k, Data: ws.h[l][:n*k]}
		h := &ws.hd[l]
		ws.Pool.Gemm(tensor.NoTrans, tensor.Trans, 1, in, &ws.wd[l], 0, h)
		if m.bias {
			ws.pass = rowPass{m: m, kind: passBiasActivate, n: n, k: k, x: h.Data, w: m.layout.Bias(theta, l)}
		} else {
			ws.pass = rowPass{m: m, kind: passActivate, n: n, k: k, x: h.Data}
		}
		ws.pass.run(ws.Pool)
		in = h
	}
	// The scalar output layer is one dot product per sample.
	ws.pass = rowPass{m: m, kind: passOutput, n: n, k: in.Cols, a: in, w: ws.wd[len(m.widths)].Data, out: out}
	ws.pass.run(ws.Pool)
}

// activate applies σ in place.
func (m *MLP) activate(z []float64) {
	if m.slope == 0 {
		asm.ReLU(z, z)
		return
	}
	for i, v := range z {
		if !(v > 0) {
			z[i] = m.slope * v
		}
	}
}

// activateBack replaces g by g⊙σ'(z), reading the sign of z from the
// activation h = σ(z): h > 0 exactly where z > 0, for ReLU and leaky ReLU.
func (m *MLP) activateBack(g, h []float64) {
	if m.slope == 0 {
		asm.ReLUMask(g, g, h)
		return
	}
	for i, v := range h {
		if !(v > 0) {
			g[i] *= m.slope
		}
	}
}

// backward writes grad = Σ_i c_i ∇_θ f(x_i; θ) in θ's layout, using the
// activations that forward left in ws for the same θ and x. With G the
// gradient of Σ c_i f(x_i) with respect to the pre-activations of a layer
// (n×K_l) and A that layer's input, dW_l = Gᵀ·A and the gradient for the
// layer below is (G·W_l)⊙σ'. For the scalar output layer G is the vector c:
// dW_D = Σ_i c_i A_i and G·W_D = c·w_Dᵀ are vector operations, not GEMMs.
// A hidden bias b_l gets db_l = Σ_i G_i, the column sums of G.
func (m *MLP) backward(ws *Workspace, x *tensor.Dense, c []float64, grad []float64) {
	n := x.Rows
	for l := 0; l < m.layout.Layers(); l++ {
		s := m.layout.Shape(l)
		ws.gd[l] = tensor.Dense{Rows: s.Out, Cols: s.In, Stride: s.In, Data: grad[m.layout.Offset(l):m.layout.Offset(l+1)]}
	}
	top := len(m.shapes) - 1
	if top < m.layout.Layers() {
		a := m.input(ws, x, top)
		ws.pass = rowPass{m: m, kind: passWeightGrad, n: n, k: a.Cols, a: a, c: c[:n], dw: ws.gd[top].Data}
		ws.pass.run(ws.Pool)
	}
	if top == 0 {
		return
	}
	// Gradient with respect to the last hidden activation: row i is c_i·w_D.
	k := m.widths[top-1]
	ws.bd[0] = tensor.Dense{Rows: n, Cols: k, Stride: k, Data: ws.back[0][:n*k]}
	g := &ws.bd[0]
	ws.pass = rowPass{m: m, kind: passOuter, n: n, k: k, x: g.Data, c: c[:n], w: ws.wd[top].Data}
	ws.pass.run(ws.Pool)
	cur := 0
	for l := top - 1; l >= 0; l-- {
		// g holds the gradient with respect to σ(Z_l), the output of layer
		// l; turn it into the gradient with respect to Z_l.
		ws.pass = rowPass{m: m, kind: passActivateBack, n: n, k: m.widths[l], x: g.Data, y: ws.hd[l].Data}
		ws.pass.run(ws.Pool)
		ws.Pool.Gemm(tensor.Trans, tensor.NoTrans, 1, g, m.input(ws, x, l), 0, &ws.gd[l])
		if m.bias {
			ws.pass = rowPass{m: m, kind: passWeightGrad, n: n, k: g.Cols, a: g, c: ws.ones[:n], dw: m.layout.Bias(grad, l)}
			ws.pass.run(ws.Pool)
		}
		if l == 0 {
			break
		}
		cur ^= 1
		k := m.widths[l-1]
		ws.bd[cur] = tensor.Dense{Rows: n, Cols: k, Stride: k, Data: ws.back[cur][:n*k]}
		ws.Pool.Gemm(tensor.NoTrans, tensor.NoTrans, 1, g, &ws.wd[l], 0, &ws.bd[cur])
		g = &ws.bd[cur]
	}
}

// input returns the input of layer l (0-based): X, or the activation of
// the hidden layer below it.
func (m *MLP) input(ws *Workspace, x *tensor.Dense, l int) *tensor.Dense {
	if l == 0 {
		return x
	}
	return &ws.hd[l-1]
}

// Evaluate computes, for the whole batch d, the margins q_i = y_i f(x_i; θ),
// the objective in log space and its sample weights, and when grad is set
// the gradient direction Grad (see Eval). ev is resized if it was made for
// another n or p (allocating only then). It panics if θ or the data do not
// fit the model, or if obj.Loss is neither Exp nor Logistic.
func (m *MLP) Evaluate(ws *Workspace, theta []float64, d *Dataset, obj Objective, ev *Eval, grad bool) {
	x := d.X
	m.check(ws, theta, x, "Evaluate")
	n := x.Rows
	ev.Q = resize(ev.Q, n)
	ev.Weights = resize(ev.Weights, n)
	m.forward(ws, theta, x, ev.Q)
	for i, y := range d.Y[:n] {
		ev.Q[i] *= y
	}
	lossWeights(ev, obj)
	if !grad {
		return
	}
	ev.Grad = resize(ev.Grad, len(theta))
	c := ws.coef[:n]
	for i, y := range d.Y[:n] {
		c[i] = -ev.Weights[i] * y
	}
	m.backward(ws, x, c, ev.Grad)
}

// resize returns s with length n, reusing its storage when it can.
func resize(s []float64, n int) []float64 {
	if cap(s) >= n {
		return s[:n]
	}
	return make([]float64, n)
}
