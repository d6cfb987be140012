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
"""
import statistics
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


def main():
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
