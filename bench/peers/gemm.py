#!/usr/bin/python3
"""Peer figures for margo's BenchmarkGemm: the same products with numpy's
OpenBLAS (Debian's numpy 1.24 / OpenBLAS 0.3.21), median GFLOP/s per shape
and thread count.

Run without the environment's OpenBLAS overrides so that OpenBLAS picks its
own kernel for this processor:

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 bench/peers/gemm.py

Shapes are named as in tensor/gemm_bench_test.go: tA tB / m x k x n, with
op(A) m×k, op(B) k×n; a transposed operand is stored transposed (a view
`.T` of a C-contiguous array), as in margo.

Side by side with margo (one table, margo and OpenBLAS alternating per
round, ratios formed within a round; docs/benchmarks.md):

    go build -o /tmp/margo ./cmd/margo
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 bench/peers/gemm.py --margo /tmp/margo
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

SHAPES = [
    ("NN", 1024, 1024, 1024),
    ("NN", 12000, 784, 512),
    ("TN", 784, 12000, 512),
    ("NT", 250, 2048, 1024),
    ("TN", 1024, 250, 2048),
    ("NT", 100, 784, 128),
]


def operands(op, m, k, n, rng):
    """op(A) (m×k) and op(B) (k×n) with the storage margo uses."""
    a = rng.uniform(-1, 1, (k, m)).T if op[0] == "T" else rng.uniform(-1, 1, (m, k))
    b = rng.uniform(-1, 1, (n, k)).T if op[1] == "T" else rng.uniform(-1, 1, (k, n))
    return a, b


def median_gflops(a, b, c, flops, min_time=1.0, min_reps=3):
    """Median GFLOP/s over wall time, and GFLOP per CPU-second of the whole
    process (all threads; the figure margo's benchmark reports as
    GFLOP/cpu-s, less sensitive to other work sharing the machine)."""
    np.matmul(a, b, out=c)  # warm up
    times, cpus = [], []
    start = time.perf_counter()
    while len(times) < min_reps or time.perf_counter() - start < min_time:
        t0, c0 = time.perf_counter(), time.process_time()
        np.matmul(a, b, out=c)
        times.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    return flops / statistics.median(times) / 1e9, flops / max(statistics.median(cpus), 1e-9) / 1e9


def margo_gemm(binary, op, m, k, n, threads, level):
    """One `margo bench gemm --json` run on the given SIMD level (its own
    process: margo's environment keeps the machine's OpenBLAS variables,
    which margo does not read)."""
    env = dict(os.environ, MARGO_SIMD=level)
    out = subprocess.run([binary, "bench", "gemm", "--m", str(m), "--k", str(k), "--n", str(n),
                          "--trans", op, "--threads", str(threads), "--repeats", "7", "--json"],
                         env=env, check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def side_by_side(binary, rounds, levels):
    """margo (each level) and OpenBLAS alternately on every shape, 1 and 2
    threads in the same round; per round the ratios margo/OpenBLAS and
    2 threads / 1 thread (of margo, of OpenBLAS and of the peak-FMA loop
    run on both cores together), then the medians over rounds. Levels after
    the first run margo alone at 1 thread (against their own peak: OpenBLAS
    uses its best kernel, so that would not be a like-for-like race). Prints
    a Markdown table."""
    rng = np.random.default_rng(1)
    info = [i for i in threadpool_info() if i.get("user_api") == "blas"]
    kernel = ", ".join(f"{i.get('internal_api')} {i.get('version')} kernel {i.get('architecture')}" for i in info)
    print(f"# peer: numpy {np.__version__} on {kernel}; {rounds} rounds, alternating")
    print("| shape (op m×k×n) | threads | path | margo GFLOP/s | % of peak FMA | % of peak together "
          "| OpenBLAS GFLOP/s | margo / OpenBLAS | margo 2T/1T | OpenBLAS 2T/1T | peak loop 2T/1T |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    med = statistics.median
    for op, m, k, n in SHAPES:
        a, b = operands(op, m, k, n, rng)
        c = np.empty((m, n))
        flops = 2.0 * m * k * n
        for level in levels:
            # The first level races OpenBLAS at 1 and 2 threads; the others
            # run alone at 1 thread, against their own peak.
            first = level == levels[0]
            threads = (1, 2) if first else (1,)
            rows = {t: {"mg": [], "pct": [], "pct2": [], "ob": [], "ratio": []} for t in threads}
            scale = {"mg": [], "ob": [], "peak": []}
            for r in range(rounds):
                res = {}
                jobs = [(who, t) for t in threads for who in (("margo", "openblas") if first else ("margo",))]
                if r % 2 == 1:
                    jobs.reverse()
                for who, t in jobs:
                    if who == "margo":
                        res[who, t] = margo_gemm(binary, op, m, k, n, t, level)
                    else:
                        with threadpool_limits(limits=t, user_api="blas"):
                            res[who, t] = median_gflops(a, b, c, flops, min_time=0.5)[0]
                for t in threads:
                    mg = res["margo", t]
                    rows[t]["mg"].append(mg["gflops"])
                    rows[t]["pct"].append(mg.get("pct_peak", float("nan")))
                    rows[t]["pct2"].append(mg.get("pct_peak_together", float("nan")))
                    if first:
                        rows[t]["ob"].append(res["openblas", t])
                        rows[t]["ratio"].append(mg["gflops"] / res["openblas", t])
                if first:
                    scale["mg"].append(res["margo", 2]["gflops"] / res["margo", 1]["gflops"])
                    scale["ob"].append(res["openblas", 2] / res["openblas", 1])
                    p1, p2 = res["margo", 1].get("peak_gflops"), res["margo", 2].get("peak_together_gflops")
                    scale["peak"].append(p2 / p1 if p1 and p2 else float("nan"))
            for t in threads:
                row = rows[t]
                together, peer, tail = "—", " | ", "— | — | —"
                if first:
                    peer = f"{med(row['ob']):.1f} | {med(row['ratio']):.2f}"
                if t == 2:
                    together = f"{med(row['pct2']):.0f} %"
                    tail = f"{med(scale['mg']):.2f} | {med(scale['ob']):.2f} | {med(scale['peak']):.2f}"
                print(f"| {op} {m}×{k}×{n} | {t} | {level} | {med(row['mg']):.1f} | {med(row['pct']):.0f} % | "
                      f"{together} | {peer} | {tail} |")
                sys.stdout.flush()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--margo", metavar="BIN", help="margo binary: time it side by side with OpenBLAS")
    ap.add_argument("--rounds", type=int, default=3, help="alternating rounds (with --margo)")
    ap.add_argument("--levels", default="avx512,avx2", help="margo SIMD levels (with --margo)")
    args = ap.parse_args()
    if args.margo:
        side_by_side(args.margo, args.rounds, args.levels.split(","))
        return
    rng = np.random.default_rng(1)
    info = [i for i in threadpool_info() if i.get("user_api") == "blas"]
    for i in info:
        print(f"# {i.get('internal_api')} {i.get('version')} kernel={i.get('architecture')} "
              f"max_threads={i.get('num_threads')} ({i.get('filepath')})")
    print(f"{'shape':28s} {'threads':>7s} {'GFLOP/s':>9s} {'GFLOP/cpu-s':>12s}")
    for op, m, k, n in SHAPES:
        a, b = operands(op, m, k, n, rng)
        c = np.empty((m, n))
        flops = 2.0 * m * k * n
        for threads in (1, 2):
            with threadpool_limits(limits=threads, user_api="blas"):
                g, gc = median_gflops(a, b, c, flops)
            print(f"{op + '/' + str(m) + 'x' + str(k) + 'x' + str(n):28s} {threads:7d} {g:9.1f} {gc:12.1f}")
            sys.stdout.flush()


if __name__ == "__main__":
    main()
