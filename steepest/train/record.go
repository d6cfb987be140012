package train

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"

	"github.com/margo-lab/margo/steepest"
)

// Record describes θ_t, the parameters after t updates: the metrics of
// steepest.Metrics (loss, q_min, norms, hard and soft margins, alignments,
// KKT measures) and what only the trainer knows (accuracies, the test loss,
// the learning rate of the step from θ_t).
//
// The paper names margins by the dual norm (shared/paper.md §1.4), the
// fields of steepest.Metrics by the norm of θ; the JSON names are the
// paper's (README, "Margins: names and formulas"):
//
//	JSON       paper  field           formula
//	gamma1     γ1     MarginLinf      q_min / ‖θ‖∞^L   (sign descent, Adam)
//	gamma2     γ2     MarginL2        q_min / ‖θ‖₂^L   (gradient descent)
//	gammaInf   γ∞     MarginL1        q_min / ‖θ‖₁^L   (coordinate descent)
//	gammaSpec  γσ     MarginSpectral  q_min / (max_l σ_max(W_l))^L (spectral descent, Shampoo)
//
// A Record's JSON encoding (MarshalJSON, AppendJSON) is the metrics file
// contract of `margo train` (docs/reproduce.md): fields in a fixed order,
// numbers in the shortest form that reads back exactly, null for NaN and
// ±Inf, so equal records give equal bytes. ReadMetrics reads it back.
type Record struct {
	steepest.Metrics

	TrainAcc    float64 // fraction of training points with q_i > 0
	HasTest     bool    // a test set was given: TestAcc and TestLogLoss are set
	TestAcc     float64 // fraction of test points classified correctly
	TestLogLoss float64 // log of the summed test loss
	LR          float64 // the learning rate η of the step from θ_t
}

// Gamma1 returns γ1 = q_min/‖θ‖∞^L, the paper's ℓ1 margin.
func (r *Record) Gamma1() float64 { return r.MarginLinf }

// Gamma2 returns γ2 = q_min/‖θ‖₂^L, the paper's ℓ2 margin.
func (r *Record) Gamma2() float64 { return r.MarginL2 }

// GammaInf returns γ∞ = q_min/‖θ‖₁^L, the paper's ℓ∞ margin.
func (r *Record) GammaInf() float64 { return r.MarginL1 }

// MarshalJSON returns AppendJSON's object without the newline.
func (r Record) MarshalJSON() ([]byte, error) {
	b := r.AppendJSON(nil)
	return b[:len(b)-1], nil
}

// AppendJSON appends the record as one JSON object and a newline (one
// line of a metrics JSONL file).
func (r *Record) AppendJSON(b []byte) []byte {
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
	num("gamma1", r.MarginLinf)
	num("gamma2", r.MarginL2)
	num("gammaInf", r.MarginL1)
	num("soft1", r.SoftLinf)
	num("soft2", r.SoftL2)
	num("softInf", r.SoftL1)
	num("align1", r.AlignLinf)
	num("align2", r.AlignL2)
	num("alignInf", r.AlignL1)
	num("bregman1", r.BregmanLinf)
	num("bregman2", r.BregmanL2)
	num("bregmanInf", r.BregmanL1)
	num("slack1", r.SlackLinf)
	num("slack2", r.SlackL2)
	num("slackInf", r.SlackL1)
	if r.HasSpectral {
		num("norm_spec", r.NormSpectral)
		num("gammaSpec", r.MarginSpectral)
	}
	if r.HasTest {
		num("test_log_loss", r.TestLogLoss)
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

// Row is one decoded metrics line: field name → value, null read as NaN.
// It keeps fields that Record does not know, so files written by other
// versions or programs still plot.
type Row map[string]float64

// MarshalJSON writes the row with sorted keys and NaN/±Inf as null.
func (r Row) MarshalJSON() ([]byte, error) {
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
		key, _ := json.Marshal(k) // JSON's escapes (strconv.Quote's \x7f is not JSON)
		b = append(b, key...)
		b = append(b, ':')
		b = appendFloat(b, r[k])
	}
	return append(b, '}'), nil
}

// MaxMetricsBytes bounds the size of a metrics file ReadMetrics reads (1
// GiB): a record is about 700 bytes, so this is over a million records.
const MaxMetricsBytes = 1 << 30

// ReadMetrics reads a metrics JSONL file (a Record per line, as Run writes
// it). A malformed line is an error naming its line number.
func ReadMetrics(path string) ([]Row, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxMetricsBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(b) > MaxMetricsBytes {
		return nil, fmt.Errorf("%s: larger than %d bytes", path, MaxMetricsBytes)
	}
	rows, err := ParseMetrics(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return rows, nil
}

// ParseMetrics decodes metrics JSONL held in memory. Each line must be a
// JSON object of numbers (or null) with a "step"; blank lines are skipped.
func ParseMetrics(b []byte) ([]Row, error) {
	var rows []Row
	for i, line := range bytes.Split(b, []byte("\n")) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var m map[string]*float64
		if err := json.Unmarshal(line, &m); err != nil {
			return nil, fmt.Errorf("line %d: %w", i+1, err)
		}
		row := Row{}
		for k, v := range m {
			if v == nil {
				row[k] = math.NaN()
			} else {
				row[k] = *v
			}
		}
		if _, ok := row["step"]; !ok {
			return nil, fmt.Errorf("line %d: no step field", i+1)
		}
		rows = append(rows, row)
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("no records")
	}
	return rows, nil
}
