"""Where margo's training step spends its time, per shape (CPU profile, go tool pprof).

    /usr/bin/python3 bench/peers/profile.py [--threads 1] [--alg sd] [--margo BIN]

Runs `margo bench train --cpuprofile` on each shape of run.py (same data
distribution and initialisation) and splits the profile by cumulative time
into GEMM (tensor.Gemm: packing and micro-kernel), the rest of nn.Evaluate
(activation, loss, output layer), the record together with the optimizer
step it carries (trainer.record: steepest.Meter.MeasureStep runs the
elementwise steps inside the record's pass), the step within it, and the
remainder. Only the recorded repetitions count (pprof label record=on;
`margo bench train` pairs each with one without the record).
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile

import run

PARTS = (
    ("GEMM micro-kernel", r"asm\.gemm\w+$"),
    ("GEMM (all: packing, threads, kernel)", r"tensor\.Gemm$"),
    ("nn.Evaluate", r"nn\.\(\*MLP\)\.Evaluate$"),
    ("record + step (trainer.record)", r"main\.\(\*trainer\)\.record$"),
    ("step within it", r"steepest\.\(\*(elementRanges|adamRanges)\)\.StepRange$|main\.steepestStepper\.Step$"),
    ("timed loop", r"main\.timeSteps\.func1$"),
)


def cum_seconds(margo, prof):
    out = subprocess.run(["go", "tool", "pprof", "-tagfocus", "record=on", "-top", "-cum", "-nodecount=400", margo, prof],
                         capture_output=True, text=True, check=True).stdout
    cum = {}
    for line in out.splitlines():
        f = line.split()
        if len(f) >= 6 and f[3].endswith("s"):
            try:
                flat, cumv = parse(f[0]), parse(f[3])
            except ValueError:
                continue
            cum[f[5] if len(f) == 6 else " ".join(f[5:])] = (flat, cumv)
    return cum


def parse(v):
    if v == "0":
        return 0.0
    if v.endswith("ms"):
        return float(v[:-2]) / 1e3
    if v.endswith("s"):
        return float(v[:-1])
    raise ValueError(v)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--alg", default="sd")
    p.add_argument("--margo")
    p.add_argument("--min-time", default="1s")
    a = p.parse_args()
    work = tempfile.mkdtemp(prefix="margo-profile-")
    margo = a.margo or os.path.join(work, "margo")
    if not a.margo:
        subprocess.run(["go", "build", "-o", margo, "./cmd/margo"], cwd=run.ROOT, check=True)
    print(f"alg {a.alg}, threads {a.threads}: share of the timed loop's CPU time")
    print(f"{'shape':16s} " + " ".join(f"{name[:22]:>22s}" for name, _ in PARTS[:-1]))
    for i, (s, (n, d, k, loss)) in enumerate(run.SHAPES.items()):
        dp, ip = run.write_shape(work, s, n, d, k, seed=100 + i)
        prof = os.path.join(work, s + ".prof")
        subprocess.run([margo, "bench", "train", "--data", dp, "--init", ip, "--width", str(k), "--alg", a.alg,
                        "--loss", loss, "--lr", str(run.TIME_LR), "--threads", str(a.threads),
                        "--min-time", a.min_time, "--cpuprofile", prof], check=True, stdout=subprocess.DEVNULL)
        cum = cum_seconds(margo, prof)

        def get(pat, flat=False):
            return sum(v[0] if flat else v[1] for name, v in cum.items() if re.search(pat, name))

        total = get(PARTS[-1][1])
        if total == 0:
            sys.exit(f"{s}: no samples in the timed loop")
        cells = []
        for name, pat in PARTS[:-1]:
            cells.append(100 * get(pat, flat=name == "GEMM micro-kernel") / total)
        print(f"{s:16s} " + " ".join(f"{c:21.1f}%" for c in cells))


if __name__ == "__main__":
    main()
