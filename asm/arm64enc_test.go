package asm

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// The arm64 kernels carry the vector floating-point instructions that Go's
// assembler lacks as WORD lines, which the encoder of asm/_gen/arm64
// writes (go generate). Each one must have the form
//
//	WORD $0xHHHHHHHH // INSTRUCTION
//
// with nothing after the instruction, which is in the ARM syntax that
// GNU as accepts (destination first, e.g. "FMUL V4.2D, V4.2D, V2.2D").
// TestARM64Encodings assembles every such instruction with Debian's
// binutils-aarch64-linux-gnu and fails where the word differs from what the
// assembler makes of the comment. Without aarch64-linux-gnu-as it skips,
// unless MARGO_ASM_CHECK=1 (set by .ci/asm-check.sh) makes that a failure.

// armWord is one WORD line of an arm64 assembly file.
type armWord struct {
	pos  string // file:line
	word uint32
	inst string
}

var (
	wordLine  = regexp.MustCompile(`^\s*WORD\b`)
	wordInstr = regexp.MustCompile(`^\s*WORD\s+\$0x([0-9a-fA-F]{8})\s*//\s*(\S.*?)\s*$`)
	dumpLine  = regexp.MustCompile(`^\s*[0-9a-f]+:\s+([0-9a-f]{8})\s`)
)

// readARMWords returns every WORD line of the *_arm64.s files in dir, and an
// error naming the first one that is not in the checked form.
func readARMWords(dir string) ([]armWord, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*_arm64.s"))
	if err != nil {
		return nil, err
	}
	var ws []armWord
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		sc := bufio.NewScanner(f)
		for line := 1; sc.Scan(); line++ {
			s := sc.Text()
			if !wordLine.MatchString(s) {
				continue
			}
			pos := fmt.Sprintf("%s:%d", filepath.Base(name), line)
			m := wordInstr.FindStringSubmatch(s)
			if m == nil {
				f.Close()
				return nil, fmt.Errorf("%s: WORD without its instruction as \"WORD $0xHHHHHHHH // INSTRUCTION\": %q", pos, s)
			}
			w, _ := strconv.ParseUint(m[1], 16, 32)
			ws = append(ws, armWord{pos, uint32(w), m[2]})
		}
		err = sc.Err()
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", name, err)
		}
	}
	return ws, nil
}

// assembleARM assembles the lines of src with aarch64-linux-gnu-as and
// returns the instruction words objdump shows, in order.
func assembleARM(as, objdump, dir string, src []string) ([]uint32, error) {
	s := filepath.Join(dir, "words.s")
	o := filepath.Join(dir, "words.o")
	if err := os.WriteFile(s, []byte(".text\n"+strings.Join(src, "\n")+"\n"), 0o644); err != nil {
		return nil, err
	}
	if out, err := exec.Command(as, "-o", o, s).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("%s: %v\n%s", as, err, out)
	}
	out, err := exec.Command(objdump, "-d", o).Output()
	if err != nil {
		return nil, fmt.Errorf("%s -d: %v", objdump, err)
	}
	var got []uint32
	for _, l := range strings.Split(string(out), "\n") {
		if m := dumpLine.FindStringSubmatch(l); m != nil {
			w, _ := strconv.ParseUint(m[1], 16, 32)
			got = append(got, uint32(w))
		}
	}
	return got, nil
}

// disassembleARM returns objdump's reading of each word ("?" where it has
// none), for the failure messages.
func disassembleARM(as, objdump, dir string, words []uint32) []string {
	src := make([]string, len(words))
	for i, w := range words {
		src[i] = fmt.Sprintf(".inst 0x%08x", w)
	}
	if err := os.WriteFile(filepath.Join(dir, "inst.s"), []byte(".text\n"+strings.Join(src, "\n")+"\n"), 0o644); err != nil {
		return nil
	}
	o := filepath.Join(dir, "inst.o")
	if exec.Command(as, "-o", o, filepath.Join(dir, "inst.s")).Run() != nil {
		return nil
	}
	out, err := exec.Command(objdump, "-d", o).Output()
	if err != nil {
		return nil
	}
	var text []string
	for _, l := range strings.Split(string(out), "\n") {
		if dumpLine.MatchString(l) {
			f := strings.SplitN(l, "\t", 3)
			t := "?"
			if len(f) == 3 {
				t = strings.Join(strings.Fields(f[2]), " ")
			}
			text = append(text, t)
		}
	}
	return text
}

// checkARMWords returns one message per WORD whose value is not the
// encoding of its instruction.
func checkARMWords(as, objdump, dir string, ws []armWord) ([]string, error) {
	src := make([]string, len(ws))
	for i, w := range ws {
		src[i] = w.inst
	}
	got, err := assembleARM(as, objdump, dir, src)
	if err != nil {
		return nil, err
	}
	if len(got) != len(ws) {
		return nil, fmt.Errorf("the assembler made %d instructions of %d WORD comments", len(got), len(ws))
	}
	var bad []armWord
	var want []uint32
	for i, w := range ws {
		if got[i] != w.word {
			bad = append(bad, w)
			want = append(want, got[i])
		}
	}
	words := make([]uint32, len(bad))
	for i, w := range bad {
		words[i] = w.word
	}
	text := disassembleARM(as, objdump, dir, words)
	var msgs []string
	for i, w := range bad {
		is := "?"
		if i < len(text) {
			is = text[i]
		}
		msgs = append(msgs, fmt.Sprintf("%s: WORD $0x%08x is %q, but %q encodes as $0x%08x", w.pos, w.word, is, w.inst, want[i]))
	}
	return msgs, nil
}

// armTools finds the cross binutils or skips (fails under MARGO_ASM_CHECK=1).
func armTools(t *testing.T) (as, objdump string) {
	t.Helper()
	as, err1 := exec.LookPath("aarch64-linux-gnu-as")
	objdump, err2 := exec.LookPath("aarch64-linux-gnu-objdump")
	if err1 != nil || err2 != nil {
		if os.Getenv("MARGO_ASM_CHECK") == "1" {
			t.Fatal("MARGO_ASM_CHECK=1 but aarch64-linux-gnu-as or aarch64-linux-gnu-objdump is not on PATH")
		}
		t.Skip("aarch64-linux-gnu-as/objdump not found (Debian package binutils-aarch64-linux-gnu): arm64 WORD encodings not checked")
	}
	return as, objdump
}

func TestARM64Encodings(t *testing.T) {
	as, objdump := armTools(t)
	ws, err := readARMWords(".")
	if err != nil {
		t.Fatal(err)
	}
	if len(ws) == 0 {
		t.Fatal("no WORD lines found in *_arm64.s")
	}
	msgs, err := checkARMWords(as, objdump, t.TempDir(), ws)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		t.Error(m)
	}
	t.Logf("%d WORD encodings checked", len(ws))
}

// The check itself must fail on a wrong word: flip one bit in the register
// field of each of a few real WORDs and expect exactly those reported.
func TestARM64EncodingsCatchAlteredWord(t *testing.T) {
	as, objdump := armTools(t)
	ws, err := readARMWords(".")
	if err != nil {
		t.Fatal(err)
	}
	altered := map[string]bool{}
	for i := 0; i < len(ws); i += 50 {
		ws[i].word ^= 1 // Rd's lowest bit
		altered[ws[i].pos] = true
	}
	msgs, err := checkARMWords(as, objdump, t.TempDir(), ws)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != len(altered) {
		t.Fatalf("altered %d words, the check reported %d: %q", len(altered), len(msgs), msgs)
	}
	for _, m := range msgs {
		if !altered[strings.SplitN(m, ": ", 2)[0]] {
			t.Errorf("reported a word that was not altered: %s", m)
		}
	}
	// A comment that is not an instruction is an error, not a pass.
	if _, err := checkARMWords(as, objdump, t.TempDir(), []armWord{{"x.s:1", 0, "FMUL V1.2D, V2.2D"}}); err == nil {
		t.Error("an instruction the assembler rejects was accepted")
	}
}

func TestReadARMWordsRejectsBareWord(t *testing.T) {
	dir := t.TempDir()
	src := "TEXT ·f(SB), 4, $0\n\tWORD $0x4ee0f80b // FABS V11.2D, V0.2D\n\tWORD $0x4ee0f80b\n"
	if err := os.WriteFile(filepath.Join(dir, "f_arm64.s"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := readARMWords(dir); err == nil || !strings.Contains(err.Error(), "f_arm64.s:3") {
		t.Fatalf("a WORD without its instruction: got %v, want an error at f_arm64.s:3", err)
	}
}
