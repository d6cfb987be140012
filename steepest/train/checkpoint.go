package train

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"

	"github.com/margo-lab/margo/steepest"
	"github.com/margo-lab/margo/tensor/npz"
)

// CheckpointFormat names the layout of the checkpoints this version writes;
// a checkpoint of another format is refused (ErrFormat).
const CheckpointFormat = "margo-checkpoint/2"

// checkpointMeta is the meta.json member of a checkpoint. The arrays are
// theta, frozen (if the model has a frozen layer), opt_0, opt_1, … (the
// optimizer's State, in order) and schedule (a StatefulSchedule's State).
type checkpointMeta struct {
	Format       string            `json:"format"`
	Step         int               `json:"step"`
	MetricsBytes int64             `json:"metrics_bytes"`
	Optimizer    string            `json:"optimizer"`
	OptState     int               `json:"optimizer_state_arrays"`
	Schedule     bool              `json:"schedule_state"`
	Run          string            `json:"run"`
	Inputs       map[string]string `json:"inputs,omitempty"`
}

// saveCheckpoint writes θ, the frozen layer, the optimizer and schedule
// state, the step and the metrics length so far, atomically. The metrics
// file is synced first, so the recorded length is on disk before the
// checkpoint is.
func (tr *Trainer) saveCheckpoint() error {
	if tr.metrics != nil {
		if err := tr.metrics.Sync(); err != nil {
			return fmt.Errorf("sync %s: %w", tr.cfg.Metrics, err)
		}
	}
	state := tr.opt.State()
	meta := checkpointMeta{Format: CheckpointFormat, Step: tr.step, MetricsBytes: tr.metricsBytes,
		Optimizer: tr.opt.Name(), OptState: len(state), Run: string(tr.cfg.Checkpoint.Run),
		Inputs: tr.cfg.Checkpoint.Inputs}
	mem := []npz.Member{vector("theta", tr.theta)}
	if fr := tr.model.Frozen(); fr != nil {
		mem = append(mem, vector("frozen", fr))
	}
	for i, v := range state {
		mem = append(mem, vector(fmt.Sprintf("opt_%d", i), v))
	}
	if s, ok := tr.sched.(steepest.StatefulSchedule); ok {
		meta.Schedule = true
		mem = append(mem, vector("schedule", s.State()))
	}
	b, err := json.Marshal(meta)
	if err != nil {
		return err
	}
	mem = append(mem, npz.Member{Name: "meta.json", Raw: b})
	for i := range mem {
		mem[i].Stored = true // written every few hundred steps: no deflate
	}
	return WriteFile(tr.cfg.Checkpoint.Path, func(w io.Writer) error { return npz.Encode(w, mem) })
}

func vector(name string, v []float64) npz.Member {
	return npz.Member{Name: name, Array: &npz.Array{Shape: []int{len(v)}, Data: v}}
}

// restore loads the checkpoint for Resume. A missing checkpoint means the
// run starts from the beginning.
func (tr *Trainer) restore() error {
	cp := tr.cfg.Checkpoint
	path := cp.Path
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	a, err := npz.Read(path)
	if err != nil {
		return fmt.Errorf("checkpoint %w", err)
	}
	var meta checkpointMeta
	if err := json.Unmarshal(a.Raw["meta.json"], &meta); err != nil || meta.Format != CheckpointFormat {
		return fmt.Errorf("checkpoint %s: %w (want %s; remove it to start over)", path, ErrFormat, CheckpointFormat)
	}
	switch {
	case meta.Run != string(cp.Run):
		return fmt.Errorf("checkpoint %s: %w: written with other options (%s)", path, ErrOtherRun, meta.Run)
	case meta.Optimizer != tr.opt.Name():
		return fmt.Errorf("checkpoint %s: %w: optimizer %s, this run's %s", path, ErrOtherRun, meta.Optimizer, tr.opt.Name())
	case !maps.Equal(meta.Inputs, cp.Inputs) && !(len(meta.Inputs) == 0 && len(cp.Inputs) == 0):
		return fmt.Errorf("checkpoint %s: %w: its input files have changed since (%s)", path, ErrOtherRun, changedInputs(meta.Inputs, cp.Inputs))
	case meta.Step < 0 || meta.Step > tr.cfg.Steps || meta.MetricsBytes < 0:
		return fmt.Errorf("checkpoint %s: step %d out of range", path, meta.Step)
	}
	th, ok := a.Arrays["theta"]
	if !ok || len(th.Data) != len(tr.theta) {
		return fmt.Errorf("checkpoint %s: theta missing or of the wrong size", path)
	}
	var frozen []float64
	if fr := tr.model.Frozen(); fr != nil {
		f, ok := a.Arrays["frozen"]
		if !ok || len(f.Data) != len(fr) {
			return fmt.Errorf("checkpoint %s: frozen layer missing or of the wrong size", path)
		}
		frozen = f.Data
	}
	saved := make([][]float64, meta.OptState)
	for i := range saved {
		v, ok := a.Arrays[fmt.Sprintf("opt_%d", i)]
		if !ok {
			return fmt.Errorf("checkpoint %s: optimizer state opt_%d missing", path, i)
		}
		saved[i] = v.Data
	}
	if err := tr.checkMetrics(meta); err != nil {
		return err
	}
	if err := tr.opt.SetState(saved); err != nil {
		return fmt.Errorf("checkpoint %s: %w", path, err)
	}
	if s, ok := tr.sched.(steepest.StatefulSchedule); ok {
		st, ok := a.Arrays["schedule"]
		if !ok || !meta.Schedule {
			return fmt.Errorf("checkpoint %s: %w: no schedule state", path, ErrOtherRun)
		}
		if err := s.SetState(st.Data); err != nil {
			return fmt.Errorf("checkpoint %s: %w", path, err)
		}
	}
	copy(tr.theta, th.Data)
	copy(tr.model.Frozen(), frozen)
	tr.step, tr.metricsBytes, tr.resumed = meta.Step, meta.MetricsBytes, true
	return nil
}

// checkMetrics checks that the metrics file holds at least the
// checkpointed length and that the length ends a record: the records up
// to it are whole lines, the last one of a step before the checkpoint's.
func (tr *Trainer) checkMetrics(meta checkpointMeta) error {
	path := tr.cfg.Metrics
	if path == "" {
		return nil
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("metrics file %s is missing (the checkpoint %s expects %d bytes of it)", path, tr.cfg.Checkpoint.Path, meta.MetricsBytes)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || fi.Size() < meta.MetricsBytes {
		return fmt.Errorf("metrics file %s is shorter than the checkpoint says (%d bytes)", path, meta.MetricsBytes)
	}
	if meta.MetricsBytes == 0 {
		return nil
	}
	// The last line before the length: it must end there and describe a
	// step before the checkpoint's.
	n := min(meta.MetricsBytes, 1<<16)
	buf := make([]byte, n)
	if _, err := f.ReadAt(buf, meta.MetricsBytes-n); err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	bad := fmt.Errorf("metrics file %s does not match its checkpoint %s (%d bytes is not the end of a record before step %d)", path, tr.cfg.Checkpoint.Path, meta.MetricsBytes, meta.Step)
	if buf[n-1] != '\n' {
		return bad
	}
	line := buf[:n-1]
	if i := bytes.LastIndexByte(line, '\n'); i >= 0 {
		line = line[i+1:]
	}
	var last struct {
		Step *int `json:"step"`
	}
	if err := json.Unmarshal(line, &last); err != nil || last.Step == nil || *last.Step-tr.cfg.StepOffset >= meta.Step {
		return bad
	}
	return nil
}

func changedInputs(was, now map[string]string) string {
	var s []byte
	for k, v := range now {
		if was[k] != v {
			if len(s) > 0 {
				s = append(s, ", "...)
			}
			s = append(s, k...)
		}
	}
	for k := range was {
		if _, ok := now[k]; !ok {
			if len(s) > 0 {
				s = append(s, ", "...)
			}
			s = append(s, k...)
		}
	}
	return string(s)
}

// HashFile returns the SHA-256 of a file's content in hex, for
// Checkpoint.Inputs.
func HashFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
