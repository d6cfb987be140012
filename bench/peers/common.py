"""Shared parts of the peers of margo's training step (see docs/benchmarks.md).

A peer is a script that performs exactly `margo train`'s full-batch step for a
one-hidden-layer bias-free ReLU network f(x) = W2 relu(W1 x) (W1 K×d, W2 1×K):
forward, SUMMED exponential or logistic loss, gradient, the update of one
algorithm, and the record of margins and alignments that margo writes to its
metrics file. This module holds what the NumPy and PyTorch peers share: the
command line, the data files, the scalar formulas of the record, the timing
loop and the description of the BLAS / OpenMP libraries that ran.

Run every peer with Debian's /usr/bin/python3 (python3-numpy, python3-torch,
python3-threadpoolctl, libopenblas0-pthread; see setup.sh).
"""

import argparse
import json
import math
import os
import platform
import statistics
import sys
import time

import numpy as np

ALGS = ("gd", "sd", "cd", "adam")
LOSSES = ("exp", "logistic")

# Field order of a record, as margo's metrics JSONL (cmd/margo/metrics.go).
RECORD_KEYS = ("step", "loss", "log_loss", "train_acc", "qmin", "norm_l1", "norm_l2",
               "norm_linf", "gamma1", "gamma2", "gammaInf", "soft1", "soft2", "softInf",
               "align1", "align2", "alignInf", "lr")


def parse_args(name, variants=None):
    """Parses a peer's command line."""
    p = argparse.ArgumentParser(prog=name, description=__doc__.split("\n\n")[0])
    p.add_argument("--data", required=True, help="NPZ with X [n,d] float64 and y [n] of ±1")
    p.add_argument("--init", required=True, help="NPZ with W1 [K,d] and W2 [1,K]")
    p.add_argument("--alg", choices=ALGS, required=True)
    p.add_argument("--loss", choices=LOSSES, default="exp")
    p.add_argument("--lr", type=float, required=True)
    p.add_argument("--beta1", type=float, default=0.9)
    p.add_argument("--beta2", type=float, default=0.99)
    p.add_argument("--eps", type=float, default=1e-8)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--mode", choices=("agree", "time"), required=True,
                   help="agree: write the records of --steps steps to --out; time: print one JSON object")
    p.add_argument("--steps", type=int, default=0,
                   help="agree: number of updates; time: steps per repetition (0: enough for --min-time)")
    p.add_argument("--out", help="records JSONL (--mode agree)")
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--min-time", type=float, default=0.3, help="seconds per repetition when --steps is 0")
    p.add_argument("--no-metrics", action="store_true", help="time the step without the record")
    if variants:
        p.add_argument("--variant", choices=variants + ("best",), default="best",
                       help="implementation to time; best times each and reports the fastest")
    a = p.parse_args()
    if a.mode == "agree" and (a.out is None or a.steps < 1):
        p.error("--mode agree needs --out and --steps ≥ 1")
    if a.threads < 1 or a.repeats < 1 or a.steps < 0 or not a.lr > 0:
        p.error("--threads, --repeats must be ≥ 1, --steps ≥ 0 and --lr > 0")
    return a


def load(args):
    """Returns X (n×d), y (n), W1 (K×d), w2 (K) as C-contiguous float64 arrays."""
    with np.load(args.data) as z:
        x = np.ascontiguousarray(z["X"], dtype=np.float64)
        y = np.ascontiguousarray(z["y"], dtype=np.float64).reshape(-1)
    with np.load(args.init) as z:
        w1 = np.ascontiguousarray(z["W1"], dtype=np.float64)
        w2 = np.ascontiguousarray(z["W2"], dtype=np.float64).reshape(-1)
    if x.ndim != 2 or y.shape != (x.shape[0],) or w1.shape != (w2.shape[0], x.shape[1]):
        sys.exit(f"{args.data}, {args.init}: shapes X {x.shape}, y {y.shape}, W1 {w1.shape}, W2 {w2.shape} do not fit")
    return x, y, w1, w2


def log_expm1_exp(s):
    """log(expm1(e^s)) for the log s of a positive number, without overflow
    (the same three regions as nn's logExpm1Exp)."""
    if s < -20:
        l = math.exp(s)
        return s + math.log1p(l / 2 + l * l / 6)
    if s > 3.5:
        l = math.exp(s)  # may be inf
        return l + math.log1p(-math.exp(-l))
    return math.log(math.expm1(math.exp(s)))


def record(step, loss, log_loss, train_acc, qmin, th1, th2, thinf, inner, g1, g2, ginf, lr):
    """Builds one metrics record from the scalars of a step (L = 2).

    th* are ‖θ‖₁, ‖θ‖₂, ‖θ‖∞ of the flattened θ = (W1, W2); g* the same norms
    of the gradient; inner = ⟨θ, −g⟩. Margins are named as margo's file
    contract: gamma1 = qmin/‖θ‖∞², gamma2 = qmin/‖θ‖₂², gammaInf = qmin/‖θ‖₁²,
    and the alignments use the dual norm of the gradient.
    """
    soft = -log_loss if loss == "exp" else -log_expm1_exp(log_loss)
    p1, p2, pinf = thinf * thinf, th2 * th2, th1 * th1

    def div(a, b):
        return a / b if b != 0 else float("nan")

    return {
        "step": step, "loss": math.exp(log_loss) if log_loss < 709 else float("inf"),
        "log_loss": log_loss, "train_acc": train_acc, "qmin": qmin,
        "norm_l1": th1, "norm_l2": th2, "norm_linf": thinf,
        "gamma1": div(qmin, p1), "gamma2": div(qmin, p2), "gammaInf": div(qmin, pinf),
        "soft1": div(soft, p1), "soft2": div(soft, p2), "softInf": div(soft, pinf),
        "align1": div(inner, thinf * g1), "align2": div(inner, th2 * g2), "alignInf": div(inner, th1 * ginf),
        "lr": lr,
    }


def write_records(path, recs):
    with open(path, "w") as f:
        for r in recs:
            f.write(json.dumps({k: (None if isinstance(r[k], float) and not math.isfinite(r[k]) else r[k])
                                for k in RECORD_KEYS}) + "\n")


def time_steps(reset, step, repeats, steps, min_time):
    """Times `step(t)` as margo bench train does: each repetition starts from
    `reset()`; warm-up repetitions (doubling the count until one lasts
    min_time/4 when steps is 0) are not counted; returns the median seconds
    per step, every repetition's value and the steps per repetition."""

    def rep(k):
        reset()
        t0 = time.perf_counter()
        for t in range(k):
            step(t)
        return (time.perf_counter() - t0) / k

    k = max(steps, 1)
    while True:
        sec = rep(k)
        if steps > 0:
            break
        if sec * k >= min_time / 4:
            steps = max(1, math.ceil(min_time / sec))
            break
        k *= 2
    all_ = [rep(steps) for _ in range(repeats)]
    return statistics.median(all_), all_, steps


def blas_info():
    """What threadpoolctl sees: BLAS and OpenMP libraries, their kernels
    ('architecture' for OpenBLAS) and thread counts."""
    from threadpoolctl import threadpool_info
    out = []
    for lib in threadpool_info():
        out.append({k: lib.get(k) for k in ("internal_api", "version", "architecture", "num_threads",
                                              "threading_layer", "filepath")})
    return out


def environment():
    """The environment variables that change which kernel a peer runs."""
    keys = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
            "ATEN_CPU_CAPABILITY", "OMP_WAIT_POLICY")
    return {k: os.environ.get(k) for k in keys}


def emit(obj):
    obj.setdefault("python", platform.python_version())
    obj.setdefault("numpy", np.__version__)
    obj.setdefault("env", environment())
    print(json.dumps(obj))
