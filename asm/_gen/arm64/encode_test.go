package arm64

import (
	"strings"
	"testing"
)

// The words below are what GNU as (aarch64-linux-gnu-as 2.40, Debian's
// binutils-aarch64-linux-gnu) makes of the instruction beside them, as
// objdump -d shows them: two per instruction, one with registers the
// kernels use and one with other fields (V31, odd numbers) so that a
// register shifted into the wrong bits shows.
func TestEncodings(t *testing.T) {
	for _, c := range []struct {
		got  Inst
		word uint32
		text string
	}{
		{FADD(0, 0, 1), 0x4e61d400, "fadd v0.2d, v0.2d, v1.2d"},
		{FADD(31, 17, 2), 0x4e62d63f, "fadd v31.2d, v17.2d, v2.2d"},
		{FMUL(4, 4, 0), 0x6e60dc84, "fmul v4.2d, v4.2d, v0.2d"},
		{FMUL(20, 12, 25), 0x6e79dd94, "fmul v20.2d, v12.2d, v25.2d"},
		{FDIV(8, 20, 8), 0x6e68fe88, "fdiv v8.2d, v20.2d, v8.2d"},
		{FDIV(1, 30, 31), 0x6e7fffc1, "fdiv v1.2d, v30.2d, v31.2d"},
		{FMAX(6, 6, 11), 0x4e6bf4c6, "fmax v6.2d, v6.2d, v11.2d"},
		{FMAX(27, 3, 16), 0x4e70f47b, "fmax v27.2d, v3.2d, v16.2d"},
		{FCMGE(4, 0, 4), 0x6e64e404, "fcmge v4.2d, v0.2d, v4.2d"},
		{FCMGE(9, 18, 27), 0x6e7be649, "fcmge v9.2d, v18.2d, v27.2d"},
		{FABS(11, 20), 0x4ee0fa8b, "fabs v11.2d, v20.2d"},
		{FABS(31, 1), 0x4ee0f83f, "fabs v31.2d, v1.2d"},
		{FSQRT(8, 16), 0x6ee1fa08, "fsqrt v8.2d, v16.2d"},
		{FSQRT(0, 29), 0x6ee1fba0, "fsqrt v0.2d, v29.2d"},
		{FCMGTZ(12, 4), 0x4ee0c88c, "fcmgt v12.2d, v4.2d, #0.0"},
		{FCMGTZ(3, 30), 0x4ee0cbc3, "fcmgt v3.2d, v30.2d, #0.0"},
		{FCMEQZ(12, 8), 0x4ee0d90c, "fcmeq v12.2d, v8.2d, #0.0"},
		{FCMEQZ(31, 0), 0x4ee0d81f, "fcmeq v31.2d, v0.2d, #0.0"},
		{FADDP(0, 0), 0x7e70d800, "faddp d0, v0.2d"},
		{FADDP(17, 5), 0x7e70d8b1, "faddp d17, v5.2d"},
		{FMAXP(26, 26), 0x7e70fb5a, "fmaxp d26, v26.2d"},
		{FMAXP(1, 30), 0x7e70fbc1, "fmaxp d1, v30.2d"},
	} {
		if c.got.Word != c.word || !strings.EqualFold(c.got.Text, c.text) {
			t.Errorf("%s: got $0x%08x %q, want $0x%08x", c.text, c.got.Word, c.got.Text, c.word)
		}
	}
}

// The frame of a TEXT header and the argument names follow go vet's
// asmdecl rules: slices are three words, an unnamed result is ret.
func TestFuncFrame(t *testing.T) {
	f := &File{}
	fn := f.Func("func dotNEON(x, y []float64) float64")
	if got := fn.Arg("y_len") + " " + fn.Arg("ret"); got != "y_len+32(FP) ret+48(FP)" {
		t.Errorf("dotNEON args: %s", got)
	}
	fn = f.Func("func adamNEON(theta, m, v, g []float64, r1, r2, beta1, beta2, stepSize, sqrtBC2, eps float64) (maxM, maxV, maxTheta float64)")
	if got := fn.Arg("eps") + " " + fn.Arg("maxTheta"); got != "eps+144(FP) maxTheta+168(FP)" {
		t.Errorf("adamNEON args: %s", got)
	}
	fn.I("RET")
	src, err := f.Bytes("test")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"TEXT ·dotNEON(SB), NOSPLIT, $0-56\n", "TEXT ·adamNEON(SB), NOSPLIT, $0-176\n"} {
		if !strings.Contains(string(src), want) {
			t.Errorf("no %q in\n%s", want, src)
		}
	}
}

// What the checks rely on is refused, not written: an unknown argument,
// a type the frame rules do not cover, a comment after a WORD's
// instruction.
func TestFileErrors(t *testing.T) {
	for name, write := range map[string]func(f *File){
		"unknown arg":  func(f *File) { f.Func("func k(x []float64)").Arg("y") },
		"string arg":   func(f *File) { f.Func("func k(s string)") },
		"word comment": func(f *File) { f.W(FABS(0, 0)); Line{f, len(f.lines) - 1}.C("x") },
	} {
		f := &File{}
		write(f)
		if _, err := f.Bytes("test"); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
