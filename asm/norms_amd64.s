//go:build !purego

#include "textflag.h"

// absmask<> clears the sign bit: x AND absmask = |x|.
DATA absmask<>+0(SB)/8, $0x7fffffffffffffff
GLOBL absmask<>(SB), RODATA|NOPTR, $8

// func absSumAVX2(x []float64) float64
//
// Arguments: x (SI), n = len(x) (CX).
// Registers: BX = index i, DX = loop bound, Y15 = absmask broadcast,
// Y0..Y3 = four accumulators, Y4..Y7 = |x| of the current vectors.
// Loops: main loop 16 elements (4 ymm: VANDPD then VADDPD into Y0..Y3);
// vector tail 4 elements into Y0; (Y0+Y1)+(Y2+Y3) reduced horizontally into
// X0; scalar tail (0..3 elements) added in order.
TEXT ·absSumAVX2(SB), NOSPLIT, $0-32
	MOVQ         x_base+0(FP), SI
	MOVQ         x_len+8(FP), CX
	VBROADCASTSD absmask<>(SB), Y15
	VXORPD       Y0, Y0, Y0
	VXORPD       Y1, Y1, Y1
	VXORPD       Y2, Y2, Y2
	VXORPD       Y3, Y3, Y3
	XORQ         BX, BX
	MOVQ         CX, DX
	ANDQ         $-16, DX

loop16:
	CMPQ   BX, DX
	JAE    vec4
	VANDPD 0(SI)(BX*8), Y15, Y4
	VANDPD 32(SI)(BX*8), Y15, Y5
	VANDPD 64(SI)(BX*8), Y15, Y6
	VANDPD 96(SI)(BX*8), Y15, Y7
	VADDPD Y4, Y0, Y0
	VADDPD Y5, Y1, Y1
	VADDPD Y6, Y2, Y2
	VADDPD Y7, Y3, Y3
	ADDQ   $16, BX
	JMP    loop16

vec4:
	MOVQ CX, DX
	ANDQ $-4, DX

loop4:
	CMPQ   BX, DX
	JAE    reduce
	VANDPD (SI)(BX*8), Y15, Y4
	VADDPD Y4, Y0, Y0
	ADDQ   $4, BX
	JMP    loop4

reduce:
	VADDPD       Y1, Y0, Y0
	VADDPD       Y3, Y2, Y2
	VADDPD       Y2, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPD       X1, X0, X0
	VPERMILPD    $1, X0, X1
	VADDSD       X1, X0, X0

scalar:
	CMPQ   BX, CX
	JAE    done
	VMOVSD (SI)(BX*8), X1
	VANDPD X15, X1, X1
	VADDSD X1, X0, X0
	INCQ   BX
	JMP    scalar

done:
	VZEROUPPER
	VMOVSD X0, ret+24(FP)
	RET

// func absSumAVX512(x []float64) float64
//
// Arguments: x (SI), n = len(x) (CX).
// Registers: BX = index i, DX = loop bound, Z31 = absmask broadcast,
// Z0..Z3 = four accumulators, Z4..Z7 = |x|, K1 = tail mask, AX = scratch.
// Loops: main loop 32 elements (4 zmm: VPANDQ then VADDPD into Z0..Z3);
// vector tail 8 elements into Z0; masked tail (n mod 8 elements, zero-masked
// load under K1) into Z1; (Z0+Z1)+(Z2+Z3) reduced horizontally into X0.
TEXT ·absSumAVX512(SB), NOSPLIT, $0-32
	MOVQ         x_base+0(FP), SI
	MOVQ         x_len+8(FP), CX
	VBROADCASTSD absmask<>(SB), Z31
	VPXORQ       Z0, Z0, Z0
	VPXORQ       Z1, Z1, Z1
	VPXORQ       Z2, Z2, Z2
	VPXORQ       Z3, Z3, Z3
	XORQ         BX, BX
	MOVQ         CX, DX
	ANDQ         $-32, DX

loop32:
	CMPQ   BX, DX
	JAE    vec8
	VPANDQ 0(SI)(BX*8), Z31, Z4
	VPANDQ 64(SI)(BX*8), Z31, Z5
	VPANDQ 128(SI)(BX*8), Z31, Z6
	VPANDQ 192(SI)(BX*8), Z31, Z7
	VADDPD Z4, Z0, Z0
	VADDPD Z5, Z1, Z1
	VADDPD Z6, Z2, Z2
	VADDPD Z7, Z3, Z3
	ADDQ   $32, BX
	JMP    loop32

vec8:
	MOVQ CX, DX
	ANDQ $-8, DX

loop8:
	CMPQ   BX, DX
	JAE    tail
	VPANDQ (SI)(BX*8), Z31, Z4
	VADDPD Z4, Z0, Z0
	ADDQ   $8, BX
	JMP    loop8

tail:
	SUBQ      BX, CX
	MOVQ      $1, AX
	SHLQ      CX, AX
	DECQ      AX
	KMOVW     AX, K1
	VMOVUPD.Z (SI)(BX*8), K1, Z4
	VPANDQ    Z4, Z31, Z4
	VADDPD    Z4, Z1, Z1

	VADDPD        Z1, Z0, Z0
	VADDPD        Z3, Z2, Z2
	VADDPD        Z2, Z0, Z0
	VEXTRACTF64X4 $1, Z0, Y1
	VADDPD        Y1, Y0, Y0
	VEXTRACTF128  $1, Y0, X1
	VADDPD        X1, X0, X0
	VPERMILPD     $1, X0, X1
	VADDSD        X1, X0, X0
	VZEROUPPER
	VMOVSD        X0, ret+24(FP)
	RET

// func sumSqAVX2(x []float64) float64
//
// The plain sum of squares Σ x_i² (Nrm2's fast path, see nrm2AVX2).
// Arguments: x (SI), n = len(x) (CX).
// Registers: BX = index i, DX = loop bound, Y0..Y3 = four accumulators,
// Y4..Y7 = loaded x.
// Loops: main loop 16 elements (4 ymm, VFMADD231PD x·x into Y0..Y3); vector
// tail 4 elements into Y0; (Y0+Y1)+(Y2+Y3) reduced into X0; scalar tail
// (0..3 elements) with VFMADD231SD.
TEXT ·sumSqAVX2(SB), NOSPLIT, $0-32
	MOVQ   x_base+0(FP), SI
	MOVQ   x_len+8(FP), CX
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	XORQ   BX, BX
	MOVQ   CX, DX
	ANDQ   $-16, DX

loop16:
	CMPQ        BX, DX
	JAE         vec4
	VMOVUPD     0(SI)(BX*8), Y4
	VMOVUPD     32(SI)(BX*8), Y5
	VMOVUPD     64(SI)(BX*8), Y6
	VMOVUPD     96(SI)(BX*8), Y7
	VFMADD231PD Y4, Y4, Y0
	VFMADD231PD Y5, Y5, Y1
	VFMADD231PD Y6, Y6, Y2
	VFMADD231PD Y7, Y7, Y3
	ADDQ        $16, BX
	JMP         loop16

vec4:
	MOVQ CX, DX
	ANDQ $-4, DX

loop4:
	CMPQ        BX, DX
	JAE         reduce
	VMOVUPD     (SI)(BX*8), Y4
	VFMADD231PD Y4, Y4, Y0
	ADDQ        $4, BX
	JMP         loop4

reduce:
	VADDPD       Y1, Y0, Y0
	VADDPD       Y3, Y2, Y2
	VADDPD       Y2, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPD       X1, X0, X0
	VPERMILPD    $1, X0, X1
	VADDSD       X1, X0, X0

scalar:
	CMPQ        BX, CX
	JAE         done
	VMOVSD      (SI)(BX*8), X1
	VFMADD231SD X1, X1, X0
	INCQ        BX
	JMP         scalar

done:
	VZEROUPPER
	VMOVSD X0, ret+24(FP)
	RET

// func sumSqAVX512(x []float64) float64
//
// Arguments: x (SI), n = len(x) (CX).
// Registers: BX = index i, DX = loop bound, Z0..Z3 = four accumulators,
// Z4..Z7 = loaded x, K1 = tail mask, AX = scratch.
// Loops: main loop 32 elements (4 zmm, VFMADD231PD x·x into Z0..Z3); vector
// tail 8 elements into Z0; masked tail (n mod 8, zero-masked load) into Z1;
// (Z0+Z1)+(Z2+Z3) reduced horizontally into X0.
TEXT ·sumSqAVX512(SB), NOSPLIT, $0-32
	MOVQ   x_base+0(FP), SI
	MOVQ   x_len+8(FP), CX
	VPXORQ Z0, Z0, Z0
	VPXORQ Z1, Z1, Z1
	VPXORQ Z2, Z2, Z2
	VPXORQ Z3, Z3, Z3
	XORQ   BX, BX
	MOVQ   CX, DX
	ANDQ   $-32, DX

loop32:
	CMPQ        BX, DX
	JAE         vec8
	VMOVUPD     0(SI)(BX*8), Z4
	VMOVUPD     64(SI)(BX*8), Z5
	VMOVUPD     128(SI)(BX*8), Z6
	VMOVUPD     192(SI)(BX*8), Z7
	VFMADD231PD Z4, Z4, Z0
	VFMADD231PD Z5, Z5, Z1
	VFMADD231PD Z6, Z6, Z2
	VFMADD231PD Z7, Z7, Z3
	ADDQ        $32, BX
	JMP         loop32

vec8:
	MOVQ CX, DX
	ANDQ $-8, DX

loop8:
	CMPQ        BX, DX
	JAE         tail
	VMOVUPD     (SI)(BX*8), Z4
	VFMADD231PD Z4, Z4, Z0
	ADDQ        $8, BX
	JMP         loop8

tail:
	SUBQ        BX, CX
	MOVQ        $1, AX
	SHLQ        CX, AX
	DECQ        AX
	KMOVW       AX, K1
	VMOVUPD.Z   (SI)(BX*8), K1, Z4
	VFMADD231PD Z4, Z4, Z1

	VADDPD        Z1, Z0, Z0
	VADDPD        Z3, Z2, Z2
	VADDPD        Z2, Z0, Z0
	VEXTRACTF64X4 $1, Z0, Y1
	VADDPD        Y1, Y0, Y0
	VEXTRACTF128  $1, Y0, X1
	VADDPD        X1, X0, X0
	VPERMILPD     $1, X0, X1
	VADDSD        X1, X0, X0
	VZEROUPPER
	VMOVSD        X0, ret+24(FP)
	RET

// func maxAbsAVX2(x []float64) float64
//
// max |x_i| computed on the bit patterns: for non-negative floats the order
// of the bits as signed 64-bit integers is the order of the values, and
// every NaN (sign cleared) lies above +Inf, so an integer max returns the
// exact max |x_i|, or a NaN whenever one is present. 0 for n = 0.
// Arguments: x (SI), n = len(x) (CX).
// Registers: BX = index i, DX = loop bound, then the scalar max, Y15 =
// absmask, Y0..Y3 = four running maxima (bits), Y4..Y7 = |x| bits, Y8..Y11 =
// compare results; R8 = absmask, AX = scalar |x_i|.
// Loops: main loop 16 elements (4 ymm: VANDPD, VPCMPGTQ, VBLENDVPD per
// vector); vector tail 4 elements into Y0; the maxima are combined and
// reduced horizontally into DX; scalar tail (0..3 elements) with CMOV.
TEXT ·maxAbsAVX2(SB), NOSPLIT, $0-32
	MOVQ         x_base+0(FP), SI
	MOVQ         x_len+8(FP), CX
	VBROADCASTSD absmask<>(SB), Y15
	VPXOR        Y0, Y0, Y0
	VPXOR        Y1, Y1, Y1
	VPXOR        Y2, Y2, Y2
	VPXOR        Y3, Y3, Y3
	XORQ         BX, BX
	MOVQ         CX, DX
	ANDQ         $-16, DX

loop16:
	CMPQ      BX, DX
	JAE       vec4
	VANDPD    0(SI)(BX*8), Y15, Y4
	VANDPD    32(SI)(BX*8), Y15, Y5
	VANDPD    64(SI)(BX*8), Y15, Y6
	VANDPD    96(SI)(BX*8), Y15, Y7
	VPCMPGTQ  Y0, Y4, Y8
	VPCMPGTQ  Y1, Y5, Y9
	VPCMPGTQ  Y2, Y6, Y10
	VPCMPGTQ  Y3, Y7, Y11
	VBLENDVPD Y8, Y4, Y0, Y0
	VBLENDVPD Y9, Y5, Y1, Y1
	VBLENDVPD Y10, Y6, Y2, Y2
	VBLENDVPD Y11, Y7, Y3, Y3
	ADDQ      $16, BX
	JMP       loop16

vec4:
	MOVQ CX, DX
	ANDQ $-4, DX

loop4:
	CMPQ      BX, DX
	JAE       reduce
	VANDPD    (SI)(BX*8), Y15, Y4
	VPCMPGTQ  Y0, Y4, Y8
	VBLENDVPD Y8, Y4, Y0, Y0
	ADDQ      $4, BX
	JMP       loop4

reduce:
	VPCMPGTQ     Y0, Y1, Y8
	VBLENDVPD    Y8, Y1, Y0, Y0
	VPCMPGTQ     Y2, Y3, Y9
	VBLENDVPD    Y9, Y3, Y2, Y2
	VPCMPGTQ     Y0, Y2, Y8
	VBLENDVPD    Y8, Y2, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VPCMPGTQ     X0, X1, X8
	VBLENDVPD    X8, X1, X0, X0
	VPERMILPD    $1, X0, X1
	VPCMPGTQ     X0, X1, X8
	VBLENDVPD    X8, X1, X0, X0
	VMOVQ        X0, DX
	MOVQ         $0x7fffffffffffffff, R8

scalar:
	CMPQ    BX, CX
	JAE     done
	MOVQ    (SI)(BX*8), AX
	ANDQ    R8, AX
	CMPQ    AX, DX
	CMOVQGT AX, DX
	INCQ    BX
	JMP     scalar

done:
	VZEROUPPER
	MOVQ DX, ret+24(FP)
	RET

// func maxAbsAVX512(x []float64) float64
//
// The same integer max as maxAbsAVX2, with VPMAXSQ (AVX-512F).
// Arguments: x (SI), n = len(x) (CX).
// Registers: BX = index i, DX = loop bound, Z31 = absmask, Z0..Z3 = four
// running maxima (bits), Z4..Z7 = |x| bits, K1 = tail mask, AX = scratch.
// Loops: main loop 32 elements (4 zmm: VPANDQ, VPMAXSQ); vector tail 8
// elements into Z0; masked tail (n mod 8, zero-masked load: a 0 never wins)
// into Z1; the maxima are combined, then reduced across lanes with
// VSHUFI64X2/VPSHUFD + VPMAXSQ (zmm only: AVX-512VL is not assumed).
TEXT ·maxAbsAVX512(SB), NOSPLIT, $0-32
	MOVQ         x_base+0(FP), SI
	MOVQ         x_len+8(FP), CX
	VBROADCASTSD absmask<>(SB), Z31
	VPXORQ       Z0, Z0, Z0
	VPXORQ       Z1, Z1, Z1
	VPXORQ       Z2, Z2, Z2
	VPXORQ       Z3, Z3, Z3
	XORQ         BX, BX
	MOVQ         CX, DX
	ANDQ         $-32, DX

loop32:
	CMPQ    BX, DX
	JAE     vec8
	VPANDQ  0(SI)(BX*8), Z31, Z4
	VPANDQ  64(SI)(BX*8), Z31, Z5
	VPANDQ  128(SI)(BX*8), Z31, Z6
	VPANDQ  192(SI)(BX*8), Z31, Z7
	VPMAXSQ Z4, Z0, Z0
	VPMAXSQ Z5, Z1, Z1
	VPMAXSQ Z6, Z2, Z2
	VPMAXSQ Z7, Z3, Z3
	ADDQ    $32, BX
	JMP     loop32

vec8:
	MOVQ CX, DX
	ANDQ $-8, DX

loop8:
	CMPQ    BX, DX
	JAE     tail
	VPANDQ  (SI)(BX*8), Z31, Z4
	VPMAXSQ Z4, Z0, Z0
	ADDQ    $8, BX
	JMP     loop8

tail:
	SUBQ      BX, CX
	MOVQ      $1, AX
	SHLQ      CX, AX
	DECQ      AX
	KMOVW     AX, K1
	VMOVUPD.Z (SI)(BX*8), K1, Z4
	VPANDQ    Z4, Z31, Z4
	VPMAXSQ   Z4, Z1, Z1

	VPMAXSQ    Z1, Z0, Z0
	VPMAXSQ    Z3, Z2, Z2
	VPMAXSQ    Z2, Z0, Z0
	VSHUFI64X2 $0x4e, Z0, Z0, Z1 // swap the 256-bit halves
	VPMAXSQ    Z1, Z0, Z0
	VSHUFI64X2 $0xb1, Z0, Z0, Z1 // swap adjacent 128-bit blocks
	VPMAXSQ    Z1, Z0, Z0
	VPSHUFD    $0x4e, Z0, Z1     // swap the 64-bit halves of each block
	VPMAXSQ    Z1, Z0, Z0
	VZEROUPPER
	VMOVSD     X0, ret+24(FP)
	RET

// func firstGEAVX2(x []float64, thr uint64) int
//
// The first index i with bits(|x_i|) ≥ thr (as integers), or n if there is
// none: ArgMaxAbs's second pass (see argMaxAbsAVX2).
// Arguments: x (SI), n = len(x) (CX), thr (broadcast in Y14).
// Registers: BX = index i, DX = loop bound, Y15 = absmask, Y4..Y7 = the
// masks thr > |x| ("not yet") for 4 vectors, AX = VMOVMSKPD bits.
// Loops: main loop 16 elements: the four "not yet" masks are ANDed and
// VMOVMSKPD'd; if any lane is done the block is rescanned by the vector
// loop (bound DX = end of the block, R8 = min(DX, n rounded down to 4));
// vector loop 4 elements: a lane that is not "not yet" is found with
// BSF on the inverted VMOVMSKPD bits; scalar tail (0..3 elements).
TEXT ·firstGEAVX2(SB), NOSPLIT, $0-40
	MOVQ         x_base+0(FP), SI
	MOVQ         x_len+8(FP), CX
	VBROADCASTSD absmask<>(SB), Y15
	VBROADCASTSD thr+24(FP), Y14
	XORQ         BX, BX
	MOVQ         CX, DX
	ANDQ         $-16, DX

loop16:
	CMPQ      BX, DX
	JAE       rest
	VANDPD    0(SI)(BX*8), Y15, Y4
	VANDPD    32(SI)(BX*8), Y15, Y5
	VANDPD    64(SI)(BX*8), Y15, Y6
	VANDPD    96(SI)(BX*8), Y15, Y7
	VPCMPGTQ  Y4, Y14, Y4
	VPCMPGTQ  Y5, Y14, Y5
	VPCMPGTQ  Y6, Y14, Y6
	VPCMPGTQ  Y7, Y14, Y7
	VPAND     Y5, Y4, Y4
	VPAND     Y7, Y6, Y6
	VPAND     Y6, Y4, Y4
	VMOVMSKPD Y4, AX
	CMPL      AX, $15
	JNE       block
	ADDQ      $16, BX
	JMP       loop16

block:
	// The answer lies in elements BX..BX+15: find it 4 at a time.
	LEAQ 16(BX), DX
	JMP  vec4

rest:
	MOVQ CX, DX

vec4:
	MOVQ CX, R8
	ANDQ $-4, R8
	CMPQ DX, R8
	JAE  loop4
	MOVQ DX, R8

loop4:
	CMPQ      BX, R8
	JAE       scalar
	VANDPD    (SI)(BX*8), Y15, Y4
	VPCMPGTQ  Y4, Y14, Y4
	VMOVMSKPD Y4, AX
	XORL      $15, AX
	JNZ       found
	ADDQ      $4, BX
	JMP       loop4

found:
	BSFL AX, AX
	ADDQ AX, BX
	JMP  done

scalar:
	MOVQ thr+24(FP), DX
	MOVQ $0x7fffffffffffffff, R8

scalar1:
	CMPQ BX, CX
	JAE  done
	MOVQ (SI)(BX*8), AX
	ANDQ R8, AX
	CMPQ AX, DX
	JAE  done
	INCQ BX
	JMP  scalar1

done:
	VZEROUPPER
	MOVQ BX, ret+32(FP)
	RET

// func firstGEAVX512(x []float64, thr uint64) int
//
// As firstGEAVX2. Arguments: x (SI), n = len(x) (CX), thr (broadcast in Z30).
// Registers: BX = index i, DX = loop bound, Z31 = absmask, Z4..Z7 = |x|
// bits, K2..K5 = masks |x| ≥ thr (VPCMPUQ predicate 5, "not less than"),
// K1 = tail mask, AX = mask bits.
// Loops: main loop 32 elements: the four masks are ORed (KORW) and tested
// (KORTESTW); a hit is located by KMOVW + BSF per 8-lane group; vector loop
// 8 elements; masked tail (n mod 8 elements, compare under K1 so that the
// zeroed lanes past the end never match).
TEXT ·firstGEAVX512(SB), NOSPLIT, $0-40
	MOVQ         x_base+0(FP), SI
	MOVQ         x_len+8(FP), CX
	VBROADCASTSD absmask<>(SB), Z31
	VBROADCASTSD thr+24(FP), Z30
	XORQ         BX, BX
	MOVQ         CX, DX
	ANDQ         $-32, DX

loop32:
	CMPQ    BX, DX
	JAE     vec8
	VPANDQ  0(SI)(BX*8), Z31, Z4
	VPANDQ  64(SI)(BX*8), Z31, Z5
	VPANDQ  128(SI)(BX*8), Z31, Z6
	VPANDQ  192(SI)(BX*8), Z31, Z7
	VPCMPUQ $5, Z30, Z4, K2
	VPCMPUQ $5, Z30, Z5, K3
	VPCMPUQ $5, Z30, Z6, K4
	VPCMPUQ $5, Z30, Z7, K5
	KORW    K3, K2, K6
	KORW    K5, K4, K7
	KORTESTW K7, K6
	JNZ     block
	ADDQ    $32, BX
	JMP     loop32

block:
	KMOVW K2, AX
	TESTL AX, AX
	JNZ   found
	ADDQ  $8, BX
	KMOVW K3, AX
	TESTL AX, AX
	JNZ   found
	ADDQ  $8, BX
	KMOVW K4, AX
	TESTL AX, AX
	JNZ   found
	ADDQ  $8, BX
	KMOVW K5, AX
	JMP   found

vec8:
	MOVQ CX, DX
	ANDQ $-8, DX

loop8:
	CMPQ    BX, DX
	JAE     tail
	VPANDQ  (SI)(BX*8), Z31, Z4
	VPCMPUQ $5, Z30, Z4, K2
	KMOVW   K2, AX
	TESTL   AX, AX
	JNZ     found
	ADDQ    $8, BX
	JMP     loop8

tail:
	MOVQ      CX, R8
	SUBQ      BX, R8
	JZ        done
	MOVQ      CX, DX
	MOVQ      R8, CX
	MOVQ      $1, AX
	SHLQ      CX, AX
	DECQ      AX
	KMOVW     AX, K1
	MOVQ      DX, CX
	VMOVUPD.Z (SI)(BX*8), K1, Z4
	VPANDQ    Z4, Z31, Z4
	VPCMPUQ   $5, Z30, Z4, K1, K2
	KMOVW     K2, AX
	TESTL     AX, AX
	JNZ       found
	MOVQ      CX, BX
	JMP       done

found:
	BSFL AX, AX
	ADDQ AX, BX

done:
	VZEROUPPER
	MOVQ BX, ret+32(FP)
	RET
