package main

import (
	"bufio"
	"fmt"
	"math"
	"math/bits"
	"os"
	"strconv"
	"strings"

	"github.com/margo-lab/margo/tensor/npz"
)

// Memory: a flag that would make margo allocate more memory than the
// machine has is bad input. Every command estimates what it will allocate
// from its flags (and the data's shape) before allocating, and refuses with
// one line when that exceeds the memory available (MemAvailable of
// /proc/meminfo; where it cannot be read, maxAssumedMemory).

// maxAssumedMemory is the limit where /proc/meminfo cannot be read (1 TiB).
const maxAssumedMemory = 1 << 40

// availableMemory returns the bytes a run may allocate (a variable, so
// that tests can pretend a smaller machine).
var availableMemory = memAvailable

func memAvailable() uint64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return maxAssumedMemory
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 && fields[0] == "MemAvailable:" {
			if kb, err := strconv.ParseUint(fields[1], 10, 64); err == nil {
				return kb << 10
			}
		}
	}
	return maxAssumedMemory
}

// size is a saturating count of bytes: products and sums that overflow
// stay at math.MaxUint64, so an absurd flag gives an absurd estimate, not
// a wrapped small one.
type size uint64

func mul(a ...int) size {
	r := uint64(1)
	for _, v := range a {
		if v < 0 {
			v = 0
		}
		hi, lo := bits.Mul64(r, uint64(v))
		if hi != 0 {
			return math.MaxUint64
		}
		r = lo
	}
	return size(r)
}

func (s size) add(t size) size {
	r, c := bits.Add64(uint64(s), uint64(t), 0)
	if c != 0 {
		return math.MaxUint64
	}
	return size(r)
}

func (s size) times(k int) size { return mul(int(min(uint64(s), math.MaxInt64)), k) }

// String prints the size in GiB (or "more than 16 EiB").
func (s size) String() string {
	if s == math.MaxUint64 {
		return "more than 16 EiB"
	}
	return fmt.Sprintf("%.1f GiB", float64(s)/(1<<30))
}

// need words an estimate: "about 3.2 GiB" (or "more than 16 EiB").
func (s size) need() string {
	if s == math.MaxUint64 {
		return s.String()
	}
	return "about " + s.String()
}

// runBytes estimates what one training run allocates, in bytes: the data
// (n training and nTest test points of d features), θ with its gradient,
// copies and optimizer state, and the activations of a forward and
// backward pass over the training, test and batch sets.
func runBytes(o trainOptions, n, d, nTest int) size {
	depth, k := o.Depth, o.Width
	params := mul(d, 1)
	if depth >= 2 {
		params = mul(d, k).add(mul(depth-2, k, k)).add(mul(k, 1))
		if o.Bias {
			params = params.add(mul(depth-1, k))
		}
	}
	// θ, the gradients of two evaluations, a roll-back copy and the
	// optimizer's state: Adam two moments, the others a direction.
	vectors := 5
	if o.Alg == "adam" {
		vectors += 2
	}
	total := params.times(vectors)
	if o.Alg == "shampoo" || o.Alg == "spectral" {
		// Preconditioners (L, L^{-1/2}, R, R^{-1/2} and the inverse-root
		// iteration's buffers) or polar buffers, per layer.
		side := max(d, k)
		total = total.add(mul(depth, side, side, 12))
	}
	rows := n + nTest + o.Batch
	total = total.add(mul(rows, max(depth-1, 1), k, 3)) // activations and back-propagated gradients
	total = total.add(mul(n+nTest, d))                  // the data
	return total.times(8)
}

// checkInput refuses an NPZ input whose reading would not fit in memory,
// from its zip directory and .npy headers (npz.Footprint), before it is
// read.
func checkInput(flag, path string) error {
	fp, err := npz.Footprint(path)
	if err != nil {
		return err
	}
	return checkMemory(fmt.Sprintf("reading %s %s", flag, path), size(fp))
}

// checkMemory refuses a need that exceeds the available memory.
func checkMemory(what string, need size) error {
	if avail := availableMemory(); uint64(need) > avail {
		return usagef("%s needs %s of memory, more than the %v available", what, need.need(), size(avail))
	}
	return nil
}
