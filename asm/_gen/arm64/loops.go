package arm64

import "fmt"

// Width is what one pass of a kernel's body handles: Vecs vectors of two
// float64 lanes, or (Lane0) one element in lane 0 of one vector, loaded
// with a scalar FMOVD, which zeroes lane 1.
type Width struct {
	Vecs  int
	Lane0 bool
}

// Vecs is the width of n vectors (2n elements).
func Vecs(n int) Width { return Width{Vecs: n} }

// Lane0 is the width of the last element of an odd length.
var Lane0 = Width{Vecs: 1, Lane0: true}

// Each writes every op for the vectors j = 0..w.Vecs−1 of the block, op
// after op (all j of the first op, then all j of the next).
func Each(w Width, ops ...func(j int)) {
	for _, op := range ops {
		for j := range w.Vecs {
			op(j)
		}
	}
}

// First is s for the block's first vector (j = 0) and "" for the others:
// a comment said once per group.
func First(j int, s string) string {
	if j == 0 {
		return s
	}
	return ""
}

// Load loads the block at base into the consecutive registers from first:
// VLD1.P (post-incremented by the block's size) if post, else VLD1; a
// Lane0 block with FMOVD (never post-incremented: it is the last).
func (f *File) Load(w Width, post bool, base R, first V) {
	switch {
	case w.Lane0:
		f.I("FMOVD", fmt.Sprintf("(%s)", base), first.F())
	case post:
		f.I("VLD1.P", fmt.Sprintf("%d(%s)", 16*w.Vecs, base), List(Vs(first, w.Vecs)...))
	default:
		f.I("VLD1", fmt.Sprintf("(%s)", base), List(Vs(first, w.Vecs)...))
	}
}

// Store stores the block in the registers from first to base, as Load.
func (f *File) Store(w Width, post bool, base R, first V) {
	switch {
	case w.Lane0:
		f.I("FMOVD", first.F(), fmt.Sprintf("(%s)", base))
	case post:
		f.I("VST1.P", List(Vs(first, w.Vecs)...), fmt.Sprintf("%d(%s)", 16*w.Vecs, base))
	default:
		f.I("VST1", List(Vs(first, w.Vecs)...), fmt.Sprintf("(%s)", base))
	}
}

// Zero clears the registers (VEOR v, v, v).
func (f *File) Zero(vs ...V) {
	for _, v := range vs {
		f.I("VEOR", v.B16(), v.B16(), v.B16())
	}
}

// Dup copies lane 0 of each register into both lanes.
func (f *File) Dup(vs ...V) {
	for _, v := range vs {
		f.I("VDUP", v.Lane(0), v.D2())
	}
}

// Loop writes a loop over blocks of block elements, tested at the bottom,
// with n the elements left:
//
//	        CMP $block, n; BLT exit
//	label:  body; SUB $block, n; CMP $block, n; BGE label
func (f *File) Loop(n R, block int, label, exit string, body func()) {
	f.I("CMP", fmt.Sprintf("$%d", block), n)
	f.I("BLT", exit)
	f.Label(label)
	body()
	f.Count(n, block)
	f.I("CMP", fmt.Sprintf("$%d", block), n)
	f.I("BGE", label)
}

// Count writes SUB $block, n: block elements are done.
func (f *File) Count(n R, block int) { f.I("SUB", fmt.Sprintf("$%d", block), n) }

// PairForm is how Blocks writes its loop over pairs of elements.
type PairForm int

const (
	// PairLoop is a loop tested at the bottom (Loop), labels prefix+"pairs"
	// and prefix+"loop2".
	PairLoop PairForm = iota
	// PairWhile is a loop tested at the top, label prefix+"pairs":
	// CMP $2, n; BLT after; body; SUB $2, n; B pairs.
	PairWhile
	// PairOnce is one pair at most (the main loop leaves fewer than 4):
	// CMP $2, n; BLT after; body; SUB $2, n, falling through to after.
	PairOnce
)

// Blocks describes the loops every streaming kernel has: a main loop over
// Block elements per iteration, then a loop (or one step) over pairs, then
// the label After, where the caller writes the reduction and the last
// element. Labels are Prefix+"loop<Block>", Prefix+"pairs",
// Prefix+"loop2" and Prefix+After.
type Blocks struct {
	N      R // elements left
	Block  int
	Prefix string
	Pairs  PairForm
	After  string
	Main   func() // the body for Block elements
	Pair   func() // the body for 2 elements
}

// Blocks writes the loops of b and the label b.After.
func (f *File) Blocks(b Blocks) {
	p := b.Prefix
	f.Loop(b.N, b.Block, fmt.Sprintf("%sloop%d", p, b.Block), p+"pairs", b.Main)
	f.Label(p + "pairs")
	switch b.Pairs {
	case PairLoop:
		f.Loop(b.N, 2, p+"loop2", p+b.After, b.Pair)
	default:
		f.I("CMP", "$2", b.N)
		f.I("BLT", p+b.After)
		b.Pair()
		f.Count(b.N, 2)
		if b.Pairs == PairWhile {
			f.I("B", p+"pairs")
		}
	}
	f.Label(p + b.After)
}

// Tail writes CBZ n, done; the scalar code for the last element; the
// label done.
func (f *File) Tail(n R, done string, scalar func()) {
	f.I("CBZ", n, done)
	scalar()
	f.Label(done)
}

// Kind is the operation of a reduction: a sum or a maximum (NaN wins).
type Kind int

const (
	// Sum adds (FADD, FADDP).
	Sum Kind = iota
	// Max keeps the larger, NaN if either is NaN (FMAX, FMAXP).
	Max
)

// Op is the vector operation of the reduction: FADD or FMAX.
func (k Kind) Op(d, n, m V) Inst {
	if k == Max {
		return FMAX(d, n, m)
	}
	return FADD(d, n, m)
}

// Pair is the reduction of the two lanes into lane 0: FADDP or FMAXP.
func (k Kind) Pair(d, n V) Inst {
	if k == Max {
		return FMAXP(d, n)
	}
	return FADDP(d, n)
}

// Tree reduces the accumulators (a power of two of them) into lane 0 of
// the first: neighbours first ((acc0∘acc1)∘(acc2∘acc3) for four), then the
// two lanes.
func (f *File) Tree(k Kind, acc ...V) {
	for step := 1; step < len(acc); step *= 2 {
		for i := 0; i+step < len(acc); i += 2 * step {
			f.W(k.Op(acc[i], acc[i], acc[i+step]))
		}
	}
	f.W(k.Pair(acc[0], acc[0]))
}
