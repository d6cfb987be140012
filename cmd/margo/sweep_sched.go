package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/margo-lab/margo/steepest/train"
)

// defaultMaxArraySize is Slurm's default MaxArraySize (slurm.conf(5)).
const defaultMaxArraySize = 1001

// slurmMaxArraySize reads MaxArraySize from `scontrol show config`, or
// returns Slurm's default where scontrol is missing or says nothing.
func slurmMaxArraySize() int {
	out, err := exec.Command("scontrol", "show", "config").Output()
	if err != nil {
		return defaultMaxArraySize
	}
	m := regexp.MustCompile(`(?m)^MaxArraySize\s*=\s*(\d+)`).FindSubmatch(out)
	if m == nil {
		return defaultMaxArraySize
	}
	n, err := strconv.Atoi(string(m[1]))
	if err != nil || n < 1 {
		return defaultMaxArraySize
	}
	return n
}

// shellQuote quotes s for bash.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-+=:,@") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// sbatchSafe reports whether s can stand in an #SBATCH line unquoted.
func sbatchSafe(s string) bool {
	return !strings.ContainsAny(s, " \t\n\"'\\%#$`")
}

func cmdSweepSlurm(args []string, stdout, stderr io.Writer) error {
	var mem, tlim, partition, only, margo string
	cpus, maxRun, maxArray := 2, 0, 0
	fs := newFlagSet("sweep slurm")
	fs.IntVar(&cpus, "cpus", cpus, "CPUs per task (--cpus-per-task; GOMAXPROCS follows it)")
	fs.StringVar(&mem, "mem", "", "memory per task (--mem, e.g. 2G; default: the cluster's)")
	fs.StringVar(&tlim, "time", "", "time limit per task (--time, e.g. 2:00:00; default: the partition's)")
	fs.StringVar(&partition, "partition", "", "partition (--partition; default: the cluster's)")
	fs.IntVar(&maxRun, "max-running", 0, "tasks running at once per array (--array=…%N; 0: no limit)")
	fs.IntVar(&maxArray, "max-array-size", 0, "the cluster's MaxArraySize (default: from scontrol show config, else 1001)")
	fs.StringVar(&only, "only", "", "submit only these task indexes (--array syntax, e.g. the output of status --todo)")
	fs.StringVar(&margo, "margo", "", "margo executable on the nodes (default: this one)")
	dirArg, err := parseDirFlags(fs, args, stderr)
	if err != nil {
		return err
	}
	switch {
	case cpus < 1:
		return usagef("--cpus must be at least 1, got %d", cpus)
	case maxRun < 0:
		return usagef("--max-running must be ≥ 0, got %d", maxRun)
	case setFlags(fs)["max-array-size"] && maxArray < 1:
		return usagef("--max-array-size must be at least 1, got %d", maxArray)
	}
	for name, v := range map[string]string{"--mem": mem, "--time": tlim, "--partition": partition} {
		if !sbatchSafe(v) {
			return usagef("%s %q: spaces, quotes, %%, # and $ cannot stand in an #SBATCH line", name, v)
		}
	}
	dir, err := filepath.Abs(dirArg)
	if err != nil {
		return err
	}
	if !sbatchSafe(dir) {
		return usagef("sweep directory %q: spaces, quotes, %%, # and $ cannot stand in an #SBATCH line; use another path", dir)
	}
	p, err := readPlan(dir)
	if err != nil {
		return err
	}
	if margo == "" {
		if margo, err = os.Executable(); err != nil {
			return fmt.Errorf("find margo's path (give --margo PATH): %w", err)
		}
	}
	if maxArray == 0 {
		maxArray = slurmMaxArraySize()
	}
	idx := make([]int, p.Tasks)
	for i := range idx {
		idx[i] = i
	}
	prefix := "array"
	if only != "" {
		if idx, err = parseArray(only, p.Tasks); err != nil {
			return err
		}
		prefix = "only"
	}
	sdir := filepath.Join(dir, "slurm")
	if err := os.MkdirAll(sdir, 0o755); err != nil {
		return err
	}
	var paths []string
	for off := 0; off < p.Tasks; off += maxArray {
		var local []int
		for _, i := range idx {
			if i >= off && i < off+maxArray {
				local = append(local, i-off)
			}
		}
		if len(local) == 0 {
			continue
		}
		arr := formatArray(local)
		if maxRun > 0 {
			arr += "%" + strconv.Itoa(maxRun)
		}
		var b strings.Builder
		fmt.Fprintf(&b, "#!/bin/bash\n# margo sweep: %s, tasks %d–%d of %d (plan %.12s); submit with sbatch.\n", p.Experiment, off, min(off+maxArray, p.Tasks)-1, p.Tasks, p.Hash)
		fmt.Fprintf(&b, "#SBATCH --job-name=margo-%s\n", p.Experiment)
		fmt.Fprintf(&b, "#SBATCH --array=%s\n", arr)
		b.WriteString("#SBATCH --requeue\n#SBATCH --open-mode=append\n")
		fmt.Fprintf(&b, "#SBATCH --output=%s/%%A_%%a.log\n", sdir)
		b.WriteString("#SBATCH --signal=B:USR1@120\n")
		fmt.Fprintf(&b, "#SBATCH --cpus-per-task=%d\n", cpus)
		if mem != "" {
			fmt.Fprintf(&b, "#SBATCH --mem=%s\n", mem)
		}
		if tlim != "" {
			fmt.Fprintf(&b, "#SBATCH --time=%s\n", tlim)
		}
		if partition != "" {
			fmt.Fprintf(&b, "#SBATCH --partition=%s\n", partition)
		}
		fmt.Fprintf(&b, "export MARGO_SWEEP_OFFSET=%d\n", off)
		b.WriteString("export GOMAXPROCS=${SLURM_CPUS_PER_TASK}\n")
		fmt.Fprintf(&b, "exec %s sweep run --plan %s\n", shellQuote(margo), shellQuote(dir))
		path := filepath.Join(sdir, fmt.Sprintf("%s-%d.sbatch", prefix, off))
		if err := train.WriteFile(path, func(w io.Writer) error { _, err := io.WriteString(w, b.String()); return err }); err != nil {
			return err
		}
		paths = append(paths, path)
	}
	merge := fmt.Sprintf("#!/bin/bash\n# margo sweep: merge %s once every array is done: sbatch --dependency=afterok:JOB1:JOB2… %s\n"+
		"#SBATCH --job-name=margo-%s-merge\n#SBATCH --output=%s/merge_%%j.log\n#SBATCH --cpus-per-task=1\n"+
		"exec %s sweep merge %s\n", p.Experiment, filepath.Join(sdir, "merge.sbatch"), p.Experiment, sdir, shellQuote(margo), shellQuote(dir))
	if err := train.WriteFile(filepath.Join(sdir, "merge.sbatch"), func(w io.Writer) error { _, err := io.WriteString(w, merge); return err }); err != nil {
		return err
	}
	for _, path := range paths {
		fmt.Fprintln(stdout, path)
	}
	fmt.Fprintf(stderr, "margo sweep slurm: %d scripts (MaxArraySize %d); the merge job is %s (submit it with --dependency=afterok on the arrays)\n",
		len(paths), maxArray, filepath.Join(sdir, "merge.sbatch"))
	return nil
}

// dns1123 reports whether s is a valid Kubernetes object name part.
var dns1123 = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

func cmdSweepK8s(args []string, stdout, stderr io.Writer) error {
	var image, claim, mount, mem string
	parallelism, retries, cpus := 0, 3, 2
	fs := newFlagSet("sweep k8s")
	fs.StringVar(&image, "image", "", "container image with margo on its PATH (required)")
	fs.StringVar(&claim, "claim", "", "PersistentVolumeClaim (ReadWriteMany) that holds the sweep directory at its root (required)")
	fs.StringVar(&mount, "mount", "/sweep", "where the claim is mounted in the pod")
	fs.IntVar(&parallelism, "parallelism", 0, "pods running at once (default: every task)")
	fs.IntVar(&retries, "retries", retries, "retries per index (backoffLimitPerIndex)")
	fs.IntVar(&cpus, "cpus", cpus, "CPUs per pod (request and limit; GOMAXPROCS follows it)")
	fs.StringVar(&mem, "mem", "2Gi", "memory per pod (request and limit)")
	dirArg, err := parseDirFlags(fs, args, stderr)
	if err != nil {
		return err
	}
	switch {
	case image == "":
		return usagef("--image IMG is required")
	case claim == "":
		return usagef("--claim PVC is required")
	case !dns1123.MatchString(claim) || len(claim) > 253:
		return usagef("--claim %q is not a Kubernetes object name", claim)
	case !filepath.IsAbs(mount) || strings.Contains(mount, ":"):
		return usagef("--mount %q must be an absolute path without ':'", mount)
	case parallelism < 0:
		return usagef("--parallelism must be ≥ 0, got %d", parallelism)
	case retries < 0:
		return usagef("--retries must be ≥ 0, got %d", retries)
	case cpus < 1:
		return usagef("--cpus must be at least 1, got %d", cpus)
	case !regexp.MustCompile(`^[0-9]+(\.[0-9]+)?([KMGTPE]i?)?$`).MatchString(mem):
		return usagef("--mem %q is not a Kubernetes quantity (e.g. 2Gi)", mem)
	}
	p, err := readPlan(dirArg)
	if err != nil {
		return err
	}
	if parallelism == 0 || parallelism > p.Tasks {
		parallelism = p.Tasks
	}
	name := "margo-" + p.Experiment + "-" + p.Hash[:8]
	if !dns1123.MatchString(name) {
		name = "margo-sweep-" + p.Hash[:8]
	}
	res := map[string]string{"cpu": strconv.Itoa(cpus), "memory": mem}
	type obj = map[string]any
	job := k8sJob{
		APIVersion: "batch/v1", Kind: "Job",
		Metadata: obj{"name": name, "labels": obj{"app.kubernetes.io/name": "margo-sweep", "margo/experiment": p.Experiment},
			"annotations": obj{"margo/plan-hash": p.Hash, "margo/claim-access-mode": "ReadWriteMany"}},
		Spec: k8sJobSpec{
			CompletionMode: "Indexed", Completions: p.Tasks, Parallelism: parallelism, BackoffLimitPerIndex: retries,
			PodFailurePolicy: obj{"rules": []obj{
				{"action": "Ignore", "onPodConditions": []obj{{"type": "DisruptionTarget", "status": "True"}}},
				{"action": "FailIndex", "onExitCodes": obj{"containerName": "margo", "operator": "In", "values": []int{exitUsage}}},
			}},
			Template: obj{
				"metadata": obj{"labels": obj{"app.kubernetes.io/name": "margo-sweep"}},
				"spec": obj{
					"restartPolicy":                 "Never",
					"terminationGracePeriodSeconds": 120,
					"containers": []obj{{
						"name": "margo", "image": image,
						"command":      []string{"margo", "sweep", "run", "--plan", mount},
						"env":          []obj{{"name": "GOMAXPROCS", "value": strconv.Itoa(cpus)}},
						"resources":    obj{"requests": res, "limits": res},
						"volumeMounts": []obj{{"name": "sweep", "mountPath": mount}},
					}},
					"volumes": []obj{{"name": "sweep", "persistentVolumeClaim": obj{"claimName": claim}}},
				},
			},
		},
	}
	b, err := json.MarshalIndent(job, "", "  ")
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s\n", b)
	return nil
}

// k8sJob is the batch/v1 Job that `margo sweep k8s` prints (fields in the
// order of the API reference).
type k8sJob struct {
	APIVersion string         `json:"apiVersion"`
	Kind       string         `json:"kind"`
	Metadata   map[string]any `json:"metadata"`
	Spec       k8sJobSpec     `json:"spec"`
}

type k8sJobSpec struct {
	CompletionMode       string         `json:"completionMode"`
	Completions          int            `json:"completions"`
	Parallelism          int            `json:"parallelism"`
	BackoffLimitPerIndex int            `json:"backoffLimitPerIndex"`
	PodFailurePolicy     map[string]any `json:"podFailurePolicy"`
	Template             map[string]any `json:"template"`
}
