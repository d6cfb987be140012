package arm64

import "fmt"

// The vector floating-point instructions below are missing from Go's arm64
// assembler, so the kernels carry them as WORD lines. Each function returns
// the 32-bit encoding of one instruction on the 2D arrangement (two float64
// lanes, Q = 1, sz = 1) or on the D scalar, with its ARM syntax (destination
// first, as GNU as reads it). The bit layouts are the instruction classes
// of the Arm Architecture Reference Manual for A-profile (DDI 0487),
// section C4.1 "A64 instruction set encoding", Advanced SIMD data
// processing; bit 31 is written first.

// Inst is one hand-encoded instruction: its word and its ARM syntax.
type Inst struct {
	Word uint32 // the encoding
	Text string // ARM syntax, upper case ("FADD V0.2D, V0.2D, V1.2D")
}

// threeSame encodes "Advanced SIMD three same" with a floating-point opcode:
//
//	31 30 29 28-24 23 22 21 20-16 15-11  10 9-5 4-0
//	 0  Q  U 01110  a sz  1   Rm  opcode  1  Rn  Rd
//
// u, a and opcode select the operation (FADD is U=0 a=0 opcode=11010).
func threeSame(mn string, u, a, opcode uint32, d, n, m V) Inst {
	const q, sz = 1, 1
	w := q<<30 | u<<29 | 0b01110<<24 | a<<23 | sz<<22 | 1<<21 |
		m.num()<<16 | opcode<<11 | 1<<10 | n.num()<<5 | d.num()
	return Inst{w, fmt.Sprintf("%s %s, %s, %s", mn, d.Arr2D(), n.Arr2D(), m.Arr2D())}
}

// twoRegMisc encodes "Advanced SIMD two-register miscellaneous" with a
// floating-point opcode:
//
//	31 30 29 28-24 23 22 21-17 16-12  11-10 9-5 4-0
//	 0  Q  U 01110  a sz 10000 opcode    10  Rn  Rd
//
// zero appends the "#0.0" operand of the compare-against-zero forms.
func twoRegMisc(mn string, u, a, opcode uint32, zero bool, d, n V) Inst {
	const q, sz = 1, 1
	w := q<<30 | u<<29 | 0b01110<<24 | a<<23 | sz<<22 | 0b10000<<17 |
		opcode<<12 | 0b10<<10 | n.num()<<5 | d.num()
	t := fmt.Sprintf("%s %s, %s", mn, d.Arr2D(), n.Arr2D())
	if zero {
		t += ", #0.0"
	}
	return Inst{w, t}
}

// scalarPairwise encodes "Advanced SIMD scalar pairwise" with a
// floating-point opcode, reducing the two lanes of Vn.2D into Dd (lane 1
// of Vd is cleared):
//
//	31-30 29 28-24 23 22 21-17 16-12  11-10 9-5 4-0
//	   01  U 11110  a sz 11000 opcode    10  Rn  Rd
func scalarPairwise(mn string, u, a, opcode uint32, d, n V) Inst {
	const sz = 1
	w := 0b01<<30 | u<<29 | 0b11110<<24 | a<<23 | sz<<22 | 0b11000<<17 |
		opcode<<12 | 0b10<<10 | n.num()<<5 | d.num()
	return Inst{w, fmt.Sprintf("%s D%d, %s", mn, d.num(), n.Arr2D())}
}

// FADD Vd.2D, Vn.2D, Vm.2D: d = n + m (three same, U=0 a=0 opcode 11010).
func FADD(d, n, m V) Inst { return threeSame("FADD", 0, 0, 0b11010, d, n, m) }

// FMUL Vd.2D, Vn.2D, Vm.2D: d = n·m (three same, U=1 a=0 opcode 11011).
func FMUL(d, n, m V) Inst { return threeSame("FMUL", 1, 0, 0b11011, d, n, m) }

// FDIV Vd.2D, Vn.2D, Vm.2D: d = n/m (three same, U=1 a=0 opcode 11111).
func FDIV(d, n, m V) Inst { return threeSame("FDIV", 1, 0, 0b11111, d, n, m) }

// FMAX Vd.2D, Vn.2D, Vm.2D: d = max(n, m), NaN if either is NaN (three
// same, U=0 a=0 opcode 11110).
func FMAX(d, n, m V) Inst { return threeSame("FMAX", 0, 0, 0b11110, d, n, m) }

// FCMGE Vd.2D, Vn.2D, Vm.2D: d = all ones where n ≥ m, else zero (false
// for NaN) (three same, U=1 a=0 opcode 11100).
func FCMGE(d, n, m V) Inst { return threeSame("FCMGE", 1, 0, 0b11100, d, n, m) }

// FABS Vd.2D, Vn.2D: d = |n| (two-register misc, U=0 a=1 opcode 01111).
func FABS(d, n V) Inst { return twoRegMisc("FABS", 0, 1, 0b01111, false, d, n) }

// FSQRT Vd.2D, Vn.2D: d = √n (two-register misc, U=1 a=1 opcode 11111).
func FSQRT(d, n V) Inst { return twoRegMisc("FSQRT", 1, 1, 0b11111, false, d, n) }

// FCMGTZ is FCMGT Vd.2D, Vn.2D, #0.0: d = all ones where n > 0, else zero
// (false for NaN) (two-register misc, U=0 a=1 opcode 01100).
func FCMGTZ(d, n V) Inst { return twoRegMisc("FCMGT", 0, 1, 0b01100, true, d, n) }

// FCMEQZ is FCMEQ Vd.2D, Vn.2D, #0.0: d = all ones where n = ±0, else
// zero (two-register misc, U=0 a=1 opcode 01101).
func FCMEQZ(d, n V) Inst { return twoRegMisc("FCMEQ", 0, 1, 0b01101, true, d, n) }

// FADDP Dd, Vn.2D: lane 0 of d = n[0] + n[1] (scalar pairwise, U=1 a=0
// opcode 01101).
func FADDP(d, n V) Inst { return scalarPairwise("FADDP", 1, 0, 0b01101, d, n) }

// FMAXP Dd, Vn.2D: lane 0 of d = max(n[0], n[1]), NaN if either is NaN
// (scalar pairwise, U=1 a=0 opcode 01111).
func FMAXP(d, n V) Inst { return scalarPairwise("FMAXP", 1, 0, 0b01111, d, n) }
