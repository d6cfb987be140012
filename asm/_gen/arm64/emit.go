// Package arm64 writes Go arm64 assembly files for asm's NEON kernels: a
// small emitter (instructions as text in Go's syntax, labels, comments, a
// TEXT header whose frame size and argument names come from the Go
// signature) and an encoder for the vector floating-point instructions
// that Go's assembler lacks, which it writes as
//
//	WORD $0xHHHHHHHH // INSTRUCTION
//
// (the form asm's TestARM64Encodings checks against aarch64-linux-gnu-as).
// On top of those, loops.go has the pieces the kernels share: the
// counted loops over blocks of elements, the loads and stores of a block,
// the reductions of the accumulators. avo, which generates the amd64
// files, emits amd64 only.
package arm64

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"strings"
)

// R is a general-purpose register R0..R30.
type R int

// String is the register in Go's syntax ("R4").
func (r R) String() string { return fmt.Sprintf("R%d", int(r)) }

// V is a SIMD&FP register V0..V31.
type V int

func (v V) num() uint32 { return uint32(v) & 31 }

// D2 is the register as two float64 lanes in Go's syntax ("V4.D2").
func (v V) D2() string { return fmt.Sprintf("V%d.D2", int(v)) }

// B16 is the register as sixteen bytes in Go's syntax ("V4.B16").
func (v V) B16() string { return fmt.Sprintf("V%d.B16", int(v)) }

// Lane is lane i of the register as a float64 in Go's syntax ("V4.D[1]").
func (v V) Lane(i int) string { return fmt.Sprintf("V%d.D[%d]", int(v), i) }

// F is the low float64 of the register in Go's syntax ("F4").
func (v V) F() string { return fmt.Sprintf("F%d", int(v)) }

// Arr2D is the register as two float64 lanes in ARM syntax ("V4.2D").
func (v V) Arr2D() string { return fmt.Sprintf("V%d.2D", int(v)) }

// Vs returns n consecutive registers from first.
func Vs(first V, n int) []V {
	vs := make([]V, n)
	for i := range vs {
		vs[i] = first + V(i)
	}
	return vs
}

// List is the register list of a VLD1/VST1 ("[V4.D2, V5.D2]").
func List(vs ...V) string {
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = v.D2()
	}
	return "[" + strings.Join(s, ", ") + "]"
}

// line is one line of the output: an instruction (op non-empty), a label,
// or raw text (comments, directives, blank lines).
type line struct {
	op, args, comment string
	label             string
	raw               string
}

// File collects the lines of one .s file.
type File struct {
	lines []line
	words bool
	err   error
}

// Comment writes comment lines at the top level ("" writes "//", a line
// starting with a tab is written "//\t…").
func (f *File) Comment(text ...string) {
	for _, t := range text {
		if strings.HasPrefix(t, "\t") {
			f.raw("//" + t) // an indented block: Go's doc-comment code
			continue
		}
		f.raw(strings.TrimRight("// "+t, " "))
	}
}

// Blank writes an empty line.
func (f *File) Blank() { f.raw("") }

func (f *File) raw(s string) { f.lines = append(f.lines, line{raw: s}) }

// Func writes an empty line, the doc comment ("// func " + sig, an empty comment line,
// then doc) and the TEXT header of the NOSPLIT function sig, a Go
// declaration without a body ("func dotNEON(x, y []float64) float64"),
// and returns it to write its body. The frame is $0-N, N the size of the
// arguments and results.
func (f *File) Func(sig string, doc ...string) *Func {
	fn := &Func{File: f, args: map[string]int{}}
	name, size, err := fn.parse(sig)
	if err != nil && f.err == nil {
		f.err = fmt.Errorf("%s: %v", sig, err)
	}
	f.Blank()
	f.Comment("func " + strings.TrimPrefix(sig, "func "))
	if len(doc) > 0 {
		f.Comment("")
		f.Comment(doc...)
	}
	f.raw(fmt.Sprintf("TEXT ·%s(SB), NOSPLIT, $0-%d", name, size))
	return fn
}

// Func is a TEXT symbol being written.
type Func struct {
	*File
	args map[string]int // argument name (x_base, x_len, a, ret) → offset
}

// parse reads the signature and records the frame offset of every argument
// and result the way go vet names them: slices as name_base, name_len,
// name_cap; an unnamed single result as ret.
func (fn *Func) parse(sig string) (name string, size int, err error) {
	rest, ok := strings.CutPrefix(sig, "func ")
	i := strings.IndexByte(rest, '(')
	if !ok || i <= 0 {
		return "", 0, fmt.Errorf("not a func declaration")
	}
	name = rest[:i]
	e, err := parser.ParseExpr("func" + rest[i:])
	if err != nil {
		return name, 0, err
	}
	ft, ok := e.(*ast.FuncType)
	if !ok {
		return name, 0, fmt.Errorf("not a func type")
	}
	off := 0
	add := func(fl *ast.FieldList, unnamed string) error {
		if fl == nil {
			return nil
		}
		for _, field := range fl.List {
			names := []string{unnamed}
			if len(field.Names) > 0 {
				names = names[:0]
				for _, n := range field.Names {
					names = append(names, n.Name)
				}
			}
			for _, n := range names {
				switch t := field.Type.(type) {
				case *ast.ArrayType:
					if t.Len != nil {
						return fmt.Errorf("array argument %s", n)
					}
					fn.args[n+"_base"], fn.args[n+"_len"], fn.args[n+"_cap"] = off, off+8, off+16
					off += 24
				case *ast.Ident, *ast.StarExpr:
					if id, ok := t.(*ast.Ident); ok && id.Name != "float64" && id.Name != "int" {
						return fmt.Errorf("argument %s of type %s", n, id.Name)
					}
					fn.args[n] = off
					off += 8
				default:
					return fmt.Errorf("argument %s of unsupported type", n)
				}
			}
		}
		return nil
	}
	if err := add(ft.Params, "_"); err != nil {
		return name, 0, err
	}
	if ft.Results != nil && len(ft.Results.List) > 1 && len(ft.Results.List[0].Names) == 0 {
		return name, 0, fmt.Errorf("several unnamed results")
	}
	if err := add(ft.Results, "ret"); err != nil {
		return name, 0, err
	}
	return name, off, nil
}

// Arg is the frame operand of an argument or result ("x_len+8(FP)");
// slices are named x_base, x_len, x_cap.
func (fn *Func) Arg(name string) string {
	off, ok := fn.args[name]
	if !ok && fn.err == nil {
		fn.err = fmt.Errorf("no argument %s", name)
	}
	return fmt.Sprintf("%s+%d(FP)", name, off)
}

// Results stores the low float64 of each register into the result of
// the same position in names (FMOVD).
func (fn *Func) Results(regs []V, names ...string) {
	for i, n := range names {
		fn.I("FMOVD", regs[i].F(), fn.Arg(n))
	}
}

// Line is a written instruction, to attach a comment to.
type Line struct {
	f *File
	i int
}

// C sets the trailing comment of the instruction ("" for none).
func (l Line) C(comment string) {
	if l.f.lines[l.i].op == "WORD" {
		l.f.err = fmt.Errorf("a comment on a WORD line would hide its instruction: %q", comment)
		return
	}
	l.f.lines[l.i].comment = comment
}

// I writes the instruction op with its operands (in Go's order: sources
// first, destination last); operands are strings or fmt.Stringers.
func (f *File) I(op string, args ...any) Line {
	s := make([]string, len(args))
	for i, a := range args {
		s[i] = fmt.Sprint(a)
	}
	f.lines = append(f.lines, line{op: op, args: strings.Join(s, ", ")})
	return Line{f, len(f.lines) - 1}
}

// W writes the hand-encoded instructions as WORD lines.
func (f *File) W(insts ...Inst) {
	f.words = true
	for _, in := range insts {
		f.lines = append(f.lines, line{op: "WORD", args: fmt.Sprintf("$0x%08x", in.Word), comment: in.Text})
	}
}

// Label writes an empty line and the label.
func (f *File) Label(name string) {
	f.Blank()
	f.lines = append(f.lines, line{label: name})
}

// Bytes formats the file: the generated-code line naming cmd, the build
// constraint, the include, then the lines. Within a block of instructions
// (up to a label or a non-instruction line) the operands start in one
// column, and the trailing comments of consecutive commented lines too
// (WORD lines among themselves, the others among themselves).
func (f *File) Bytes(cmd string) ([]byte, error) {
	if f.err != nil {
		return nil, f.err
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "// Code generated by command: %s. DO NOT EDIT.\n\n//go:build !purego\n\n#include \"textflag.h\"\n", cmd)
	if f.words {
		b.WriteString("\n// Vector FP instructions that Go's arm64 assembler lacks are written as\n" +
			"// WORD, encoded by asm/_gen/arm64 from the instruction, which stands in the\n" +
			"// comment in ARM syntax (destination first).\n")
	}
	for i := 0; i < len(f.lines); {
		l := f.lines[i]
		switch {
		case l.op != "":
			j := i
			for j < len(f.lines) && f.lines[j].op != "" {
				j++
			}
			writeBlock(&b, f.lines[i:j])
			i = j
			continue
		case l.label != "":
			b.WriteString(l.label + ":\n")
		default:
			b.WriteString(l.raw + "\n")
		}
		i++
	}
	return b.Bytes(), nil
}

// writeBlock writes instructions with their operands and comments aligned.
func writeBlock(b *bytes.Buffer, ls []line) {
	w := 0
	for _, l := range ls {
		w = max(w, len(l.op))
	}
	text := make([]string, len(ls))
	for i, l := range ls {
		text[i] = "\t" + l.op
		if l.args != "" {
			text[i] += strings.Repeat(" ", w-len(l.op)+1) + l.args
		}
	}
	for i := 0; i < len(ls); {
		if ls[i].comment == "" {
			b.WriteString(text[i] + "\n")
			i++
			continue
		}
		j, cw := i, 0
		word := ls[i].op == "WORD"
		for j < len(ls) && ls[j].comment != "" && (ls[j].op == "WORD") == word {
			cw = max(cw, len([]rune(text[j])))
			j++
		}
		for ; i < j; i++ {
			pad := strings.Repeat(" ", cw-len([]rune(text[i]))+1)
			b.WriteString(text[i] + pad + "// " + ls[i].comment + "\n")
		}
	}
}
