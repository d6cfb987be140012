// Command neon generates asm's arm64 kernels (asm/*_arm64.s) with the
// emitter and encoder of package arm64: one function per kernel family,
// selected by -family, writing the file named by -out. asm/FAMILY.go runs
//
//	go -C _gen run ./neon -family FAMILY -out ../FAMILY_arm64.s
//
// next to the avo generator of the amd64 file.
package main

import (
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"

	. "github.com/margo-lab/margo/asm/_gen/arm64"
)

var families = map[string]func(*File){
	"adam":     adam,
	"axpy":     axpy,
	"dot":      dot,
	"dotnorms": dotNorms,
	"gemm":     gemm,
	"norms":    norms,
	"relu":     relu,
	"sign":     sign,
	"step":     step,
}

func main() {
	family := flag.String("family", "", "the kernel family to write")
	out := flag.String("out", "", "the output file (stdout if empty)")
	flag.Parse()
	gen, ok := families[*family]
	if !ok || flag.NArg() > 0 {
		var names []string
		for n := range families {
			names = append(names, n)
		}
		sort.Strings(names)
		fmt.Fprintf(os.Stderr, "neon: -family must be one of %s\n", strings.Join(names, ", "))
		os.Exit(2)
	}
	f := &File{}
	gen(f)
	src, err := f.Bytes(fmt.Sprintf("go run ./neon -family %s -out %s", *family, *out))
	if err == nil {
		if *out == "" {
			_, err = os.Stdout.Write(src)
		} else {
			err = os.WriteFile(*out, src, 0o644)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "neon:", err)
		os.Exit(1)
	}
}

// The registers by role, as the kernels name them.
const (
	R0 R = iota
	R1
	R2
	R3
	R4
	R5
	R6
	R7
	R8
)

// args loads the bases of the slices into R0, R1, … (the first slice's
// length, the count, into n right after its base).
func args(fn *Func, n R, slices ...string) {
	for i, s := range slices {
		fn.I("MOVD", fn.Arg(s+"_base"), R(i))
		if i == 0 {
			fn.I("MOVD", fn.Arg(s+"_len"), n)
		}
	}
}

// reduction writes the reductions over one or two slices with four
// accumulators V0..V3 (starting at +0) and the blocks of the slices in
// V4.. and V8..: 8 elements per iteration (ops on 4 vectors), then pairs
// into V0 (ops on 1 vector), the tree of the accumulators (kind), the
// scalar code for the last element (the sum in F0) and the result.
func reduction(f *File, sig string, doc []string, kind Kind, slices []string, last func(), ops ...func(j int)) {
	fn := f.Func(sig, doc...)
	args(fn, R2, slices...)
	fn.Zero(Vs(0, 4)...)
	block := func(w Width) func() {
		return func() {
			for i := range slices {
				fn.Load(w, true, R(i), V(4+4*i))
			}
			Each(w, ops...)
		}
	}
	fn.Blocks(Blocks{N: R2, Block: 8, After: "reduce", Main: block(Vecs(4)), Pair: block(Vecs(1))})
	fn.Tree(kind, Vs(0, 4)...)
	fn.Tail(R2, "done", last)
	fn.I("FMOVD", "F0", fn.Arg("ret"))
	fn.I("RET")
}

// stream writes the loops of the elementwise kernels: 8 elements per
// iteration (body on 4 vectors), pairs (body on 1 vector), then at the
// label tail the last element (last) and RET.
func stream(fn *Func, body func(w Width), last func()) {
	fn.Blocks(Blocks{N: R2, Block: 8, After: "tail",
		Main: func() { body(Vecs(4)) },
		Pair: func() { body(Vecs(1)) }})
	fn.Tail(R2, "done", last)
	fn.I("RET")
}

// broadcast loads the float64 argument into lane 0 of v and copies it to
// both lanes.
func broadcast(fn *Func, arg string, v V) {
	fn.I("FMOVD", fn.Arg(arg), v.F())
	fn.Dup(v)
}
