package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
)

// record is one line of a metrics JSONL file: the state θ_t after t updates
// (docs/reproduce.md lists the fields). Margins are named as in the paper
// (shared/paper.md 1.4): gamma1 = qmin/‖θ‖∞^L (the ℓ1 margin of SD/Adam),
// gamma2 = qmin/‖θ‖₂^L (GD), gammaInf = qmin/‖θ‖₁^L (CD).
type record struct {
	Step                     int
	Loss, LogLoss            float64
	TrainAcc                 float64
	TestAcc                  float64
	HasTest                  bool
	QMin                     float64
	NormL1, NormL2, NormLinf float64
	Gamma1, Gamma2, GammaInf float64
	Soft1, Soft2, SoftInf    float64
	Align1, Align2, AlignInf float64
	NormSpec, GammaSpec      float64 // max-over-layers spectral norm and its margin (extra fields)
	HasSpec                  bool
	TestLoss                 float64      // log of the summed test loss (extra field, with --test)
	LR                       float64      // the learning rate used for the step from θ_t (extra field)
	Extra                    []namedValue // further fields (KKT measures), written after alignInf
}

// namedValue is one extra record field.
type namedValue struct {
	Name  string
	Value float64
}

// appendJSON appends the record as one JSON object and a newline. Field
// order is fixed and numbers use the shortest representation that reads back
// exactly, so equal records give equal bytes. JSON has no Inf or NaN: such
// values are written as null.
func (r *record) appendJSON(b []byte) []byte {
	b = append(b, `{"step":`...)
	b = strconv.AppendInt(b, int64(r.Step), 10)
	num := func(name string, v float64) {
		b = append(b, ',', '"')
		b = append(b, name...)
		b = append(b, '"', ':')
		b = appendFloat(b, v)
	}
	num("loss", r.Loss)
	num("log_loss", r.LogLoss)
	num("train_acc", r.TrainAcc)
	if r.HasTest {
		num("test_acc", r.TestAcc)
	}
	num("qmin", r.QMin)
	num("norm_l1", r.NormL1)
	num("norm_l2", r.NormL2)
	num("norm_linf", r.NormLinf)
	num("gamma1", r.Gamma1)
	num("gamma2", r.Gamma2)
	num("gammaInf", r.GammaInf)
	num("soft1", r.Soft1)
	num("soft2", r.Soft2)
	num("softInf", r.SoftInf)
	num("align1", r.Align1)
	num("align2", r.Align2)
	num("alignInf", r.AlignInf)
	for _, f := range r.Extra {
		num(f.Name, f.Value)
	}
	if r.HasSpec {
		num("norm_spec", r.NormSpec)
		num("gammaSpec", r.GammaSpec)
	}
	if r.HasTest {
		num("test_log_loss", r.TestLoss)
	}
	num("lr", r.LR)
	return append(b, '}', '\n')
}

func appendFloat(b []byte, v float64) []byte {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return append(b, "null"...)
	}
	return strconv.AppendFloat(b, v, 'g', -1, 64)
}

// metricsRow is a decoded metrics line: field name → value, with null read
// as NaN. Plotting and tests read files through it.
type metricsRow map[string]float64

// readMetrics reads a metrics JSONL file. Unknown fields are kept; a
// malformed line is an error naming its line number.
func readMetrics(path string) ([]metricsRow, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var rows []metricsRow
	for i, line := range bytes.Split(b, []byte("\n")) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var m map[string]*float64
		if err := json.Unmarshal(line, &m); err != nil {
			return nil, fmt.Errorf("%s line %d: %w", path, i+1, err)
		}
		row := metricsRow{}
		for k, v := range m {
			if v == nil {
				row[k] = math.NaN()
			} else {
				row[k] = *v
			}
		}
		if _, ok := row["step"]; !ok {
			return nil, fmt.Errorf("%s line %d: no step field", path, i+1)
		}
		rows = append(rows, row)
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("%s: no records", path)
	}
	return rows, nil
}

// logSteps returns the default record steps for a run of n steps: every step
// up to 10, then about 20 per decade (log-spaced), and always n.
func logSteps(n int) []int {
	var s []int
	last := -1
	for i := 0; ; i++ {
		var t int
		if i <= 10 {
			t = i
		} else {
			t = int(math.Round(10 * math.Pow(10, float64(i-10)/20)))
		}
		if t >= n {
			break
		}
		if t != last {
			s = append(s, t)
			last = t
		}
	}
	return append(s, n)
}

// everySteps returns 0, k, 2k, … and n.
func everySteps(n, k int) []int {
	var s []int
	for t := 0; t < n; t += k {
		s = append(s, t)
	}
	return append(s, n)
}

// MarshalJSON writes the row with sorted keys and NaN/Inf as null.
func (r metricsRow) MarshalJSON() ([]byte, error) {
	keys := make([]string, 0, len(r))
	for k := range r {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b := []byte{'{'}
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendQuote(b, k)
		b = append(b, ':')
		b = appendFloat(b, r[k])
	}
	return append(b, '}'), nil
}
