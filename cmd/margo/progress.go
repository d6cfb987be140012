package main

import (
	"fmt"
	"io"
	"math"
	"os"
	"time"

	"github.com/margo-lab/margo/asm"
	"github.com/margo-lab/margo/nn"
)

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// progress prints a self-overwriting status line at most every 200 ms:
// step, loss, q_min, steps/s and the estimated time left.
type progress struct {
	w       io.Writer
	total   int
	start   time.Time
	first   int
	last    time.Time
	printed bool
}

func newProgress(w io.Writer, total int) *progress {
	return &progress{w: w, total: total, start: time.Now(), first: -1}
}

func (p *progress) update(t int, ev *nn.Eval, theta []float64, degree int) {
	if p.first < 0 {
		p.first = t
		p.start = time.Now()
	}
	now := time.Now()
	if now.Sub(p.last) < 200*time.Millisecond && t < p.total {
		return
	}
	p.last = now
	el := now.Sub(p.start).Seconds()
	rate := float64(t-p.first) / math.Max(el, 1e-9)
	eta := "?"
	if rate > 0 {
		eta = time.Duration(float64(p.total-t) / rate * float64(time.Second)).Round(time.Second).String()
	}
	q, L := ev.QMin(), float64(degree)
	g1 := q / math.Pow(asm.MaxAbs(theta), L)
	g2 := q / math.Pow(asm.Nrm2(theta), L)
	gi := q / math.Pow(asm.AbsSum(theta), L)
	fmt.Fprintf(p.w, "\rstep %d/%d  log L %.4g  γ1 %.3g  γ2 %.3g  γ∞ %.3g  %.1f steps/s  ETA %s   ", t, p.total, ev.LogLoss, g1, g2, gi, rate, eta)
	p.printed = true
}

func (p *progress) done() {
	if p.printed {
		fmt.Fprintln(p.w)
	}
}
