// Command peak generates asm/peak_amd64.s: the FMA throughput loops that
// PeakFMA times, for AVX2 and AVX-512.
package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"

	"github.com/margo-lab/margo/asm/_gen/vec"
)

// chains is the number of independent FMA chains: 12 cover the FMA
// latency (4–5 cycles) on two FMA pipes with room to spare.
const chains = 12

func main() {
	ConstraintExpr("!purego")
	one := GLOBL("peakone", RODATA|NOPTR)
	DATA(0, U64(0x3ff0000000000000)) // 1.0
	for _, s := range vec.Both {
		peak(s, one)
	}
	Generate()
}

func peak(s vec.ISA, one Mem) {
	TEXT("peakFMA"+s.Name, NOSPLIT, "func(n int)")
	c := s.Const()
	Comment(
		fmt.Sprintf("n iterations of %d independent VFMADD231PD (%d·%d·2 = %d flops per iteration).", chains, chains, s.Lanes, chains*s.Lanes*2),
		"Registers: CX = n (iterations left),",
		fmt.Sprintf("  %s..%s = accumulators (+= 1·1, so they stay small and normal), %s = 1.0", s.VName(0), s.VName(chains-1), c.Asm()),
	)
	Load(Param("n"), reg.RCX)
	VBROADCASTSD(one, c)
	for j := 0; j < chains; j++ {
		if s.Masked {
			VPXORQ(s.V(j), s.V(j), s.V(j))
		} else {
			VXORPD(s.V(j), s.V(j), s.V(j))
		}
	}
	vec.FMALoop(s, chains, c, c)
}
