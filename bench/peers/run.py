"""Runs margo's training step side by side with its PyTorch and NumPy/OpenBLAS peers.

    /usr/bin/python3 bench/peers/run.py            # from the repository root
    /usr/bin/python3 bench/peers/run.py --quick    # the small shape only, 1 round

1. Builds margo (go build ./cmd/margo).
2. For each shape writes a data file (X ~ N(0, I_d/d), labels ±1) and an
   initialisation (W1 ~ U[−α/d, α/d], W2 ~ U[−α/K, α/K], α = 1) as NPZ.
3. Agreement: `margo train --data --init --steps 5 --log-every 1 --metrics`
   and each peer (NumPy, PyTorch autograd, PyTorch manual) run 5 steps from the
   same files; log_loss must agree to 1e-9 relative at every step (the other
   record fields are compared and reported too).
4. Timing: for each shape, thread count and round, margo (`margo bench train`)
   and the peers run one after the other on the same files, every algorithm,
   in an order that rotates from round to round. Each run reports the median
   seconds per step over its repeats; a ratio peer/margo is formed within a
   round and the table shows the median ratio over the rounds.
The OpenBLAS-backed peers run with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE
removed from their environment, so that OpenBLAS picks its own kernel (the
kernel that ran is recorded). Results go to bench/peers/results/.
"""

import argparse
import datetime
import json
import math
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
PY = "/usr/bin/python3"
PEER_ENV_DROP = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")

# name, n, d, K, loss of the timing runs
SHAPES = {
    "teacher-student": (250, 2048, 1024, "exp"),
    "mnist-pair": (12000, 784, 512, "logistic"),
    "mnist-paper": (100, 784, 128, "logistic"),
}
# How each shape is timed: rounds, repetitions per run, and the PyTorch
# variants tried. On mnist-pair a step takes about half a second and the
# autograd variant was 1.4–2.8× slower than the manual one in every trial
# (autograd adds passes over the n×K activations), so only manual is timed
# there, to keep the whole comparison near ten minutes.
PLAN = {
    "teacher-student": {"rounds": 2, "repeats": 5, "torch_variant": "best"},
    "mnist-pair": {"rounds": 2, "repeats": 3, "torch_variant": "manual"},
    "mnist-paper": {"rounds": 3, "repeats": 5, "torch_variant": "best"},
}
ALGS = ("gd", "sd", "cd", "adam")
# Learning rates of the agreement runs: large enough that the loss and θ move
# well beyond the 1e-9 tolerance in 5 steps (the driver checks that they do).
# GD's step scales with the summed loss, so its rate depends on the shape
# (teacher-student diverges, in float64 peers, at lr 1).
AGREE_LR = {"gd": None, "sd": 1e-2, "cd": 1.0, "adam": 1e-2}
AGREE_LR_GD = {"teacher-student": 0.1, "mnist-pair": 0.01, "mnist-paper": 1.0}
# Learning rate of the timing runs: small, so that hundreds of steps from the
# initialisation stay far from overflow in every implementation.
TIME_LR = 1e-4
REL_TOL = 1e-9  # on log_loss, every step (the bound)


def peer_env():
    env = dict(os.environ)
    for k in PEER_ENV_DROP:
        env.pop(k, None)
    return env


def sh(cmd, env=None, capture=True):
    r = subprocess.run(cmd, env=env, capture_output=capture, text=True)
    if r.returncode != 0:
        sys.exit(f"failed ({r.returncode}): {' '.join(cmd)}\n{r.stderr[-2000:]}")
    return r.stdout


def write_shape(work, name, n, d, k, seed):
    """Writes name_data.npz and name_init.npz; returns their paths."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d)) / math.sqrt(d)
    y = np.where(rng.random(n) < 0.5, -1.0, 1.0)
    alpha = 1.0
    w1 = rng.uniform(-alpha / d, alpha / d, (k, d))
    w2 = rng.uniform(-alpha / k, alpha / k, (1, k))
    dp, ip = os.path.join(work, f"{name}_data.npz"), os.path.join(work, f"{name}_init.npz")
    np.savez(dp, X=x, y=y)
    np.savez(ip, W1=w1, W2=w2)
    return dp, ip


def read_jsonl(path):
    with open(path) as f:
        return [json.loads(l) for l in f if l.strip()]


def rel(a, b):
    if a is None or b is None:
        return 0.0 if a is b else math.inf
    if a == b:
        return 0.0
    return abs(a - b) / max(abs(a), abs(b), 1e-300)


def agree(margo, work, name, shape, losses, threads):
    n, d, k, _ = shape
    dp, ip = os.path.join(work, f"{name}_data.npz"), os.path.join(work, f"{name}_init.npz")
    rows = []
    for loss in losses:
        for alg in ALGS:
            lr = AGREE_LR[alg] or AGREE_LR_GD[name]
            common = ["--alg", alg, "--loss", loss, "--lr", str(lr), "--beta1", "0.9", "--beta2", "0.99",
                      "--eps", "1e-8", "--threads", str(threads)]
            mpath = os.path.join(work, f"agree_{name}_{loss}_{alg}_margo.jsonl")
            sh([margo, "train", "--data", dp, "--init", ip, "--width", str(k), "--steps", "5", "--log-every", "1",
                "--metrics", mpath, "--quiet"] + common)
            ref = read_jsonl(mpath)
            moved = rel(ref[0]["log_loss"], ref[-1]["log_loss"])
            for peer, script, extra in (("numpy", "step_numpy.py", []),
                                        ("torch-autograd", "step_torch.py", ["--variant", "autograd"]),
                                        ("torch-manual", "step_torch.py", ["--variant", "manual"])):
                ppath = os.path.join(work, f"agree_{name}_{loss}_{alg}_{peer}.jsonl")
                sh([PY, os.path.join(HERE, script), "--data", dp, "--init", ip, "--mode", "agree", "--steps", "5",
                    "--out", ppath] + common + extra, env=peer_env())
                got = read_jsonl(ppath)
                if len(got) != len(ref):
                    sys.exit(f"{peer} wrote {len(got)} records, margo {len(ref)}")
                ll = max(rel(a["log_loss"], b["log_loss"]) for a, b in zip(ref, got))
                worst, field = 0.0, ""
                for a, b in zip(ref, got):
                    for key in b:
                        if key in ("step", "lr", "loss"):
                            continue
                        r = rel(a.get(key), b[key])
                        if r > worst:
                            worst, field = r, key
                ok = ll <= REL_TOL and moved > 1e3 * REL_TOL
                rows.append({"shape": name, "loss": loss, "alg": alg, "peer": peer, "lr": lr,
                             "max_rel_log_loss": ll, "log_loss_moved_rel": moved,
                             "max_rel_other": worst, "worst_field": field, "ok": ok})
                print(f"  agree {name:16s} {loss:8s} {alg:4s} {peer:15s} log_loss rel {ll:8.1e} "
                      f"(moved {moved:7.1e}); other fields ≤ {worst:8.1e} ({field}) {'ok' if ok else 'FAIL'}",
                      flush=True)
    return rows


def time_margo(margo, dp, ip, k, alg, loss, threads, a, repeats):
    out = sh([margo, "bench", "train", "--data", dp, "--init", ip, "--width", str(k), "--alg", alg, "--loss", loss,
              "--lr", str(TIME_LR), "--threads", str(threads), "--repeats", str(repeats),
              "--min-time", f"{a.min_time}s", "--json"])
    return json.loads(out)


def time_peer(script, dp, ip, alg, loss, threads, a, repeats, env=None, extra=()):
    out = sh([PY, os.path.join(HERE, script), "--data", dp, "--init", ip, "--alg", alg, "--loss", loss,
              "--lr", str(TIME_LR), "--threads", str(threads), "--mode", "time", "--repeats", str(repeats),
              "--min-time", str(a.min_time)] + list(extra), env=env or peer_env())
    return json.loads(out.strip().splitlines()[-1])


def time_torch(dp, ip, alg, loss, threads, a, repeats, variant):
    """PyTorch at its best: each environment of --torch-env × each variant
    (autograd, manual); the fastest is kept, the others are recorded. The
    environments: the build's defaults (ATen's AVX2 kernels, OpenMP workers
    that spin after each parallel region), and AVX-512 ATen kernels with
    OMP_WAIT_POLICY=PASSIVE (workers sleep at once, leaving the cores to
    OpenBLAS's own threads during GEMMs; matters with 2 threads)."""
    best, tried = None, {}
    for name in a.torch_env.split(","):
        env = peer_env()
        env.update(TORCH_ENVS[name])
        r = time_peer("step_torch.py", dp, ip, alg, loss, threads, a, repeats, env, ["--variant", variant])
        for v, sec in r["variants"].items():
            tried[f"{v}/{name}"] = sec
        r["variant"] = f"{r['variant']}/{name}"
        if best is None or r["sec_per_step"] < best["sec_per_step"]:
            best = r
    best["variants"] = tried
    return best


TORCH_ENVS = {
    "default": {},
    "avx512-passive": {"ATEN_CPU_CAPABILITY": "avx512", "OMP_WAIT_POLICY": "PASSIVE"},
}


def machine():
    info = {"python": platform.python_version(), "uname": " ".join(platform.uname()[:3])}
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        for key in ("Model name", "CPU(s)", "Core(s) per socket", "Thread(s) per core", "L2 cache", "L3 cache"):
            m = re.search(rf"^{re.escape(key)}:\s*(.+)$", out, re.M)
            if m:
                info[key] = m.group(1).strip()
    except OSError:
        pass
    info["go"] = subprocess.run(["go", "version"], capture_output=True, text=True, cwd=ROOT).stdout.strip()
    info["numpy"] = np.__version__
    return info


def check_setup():
    probe = ("import torch, numpy, threadpoolctl; print(json.dumps([torch.__version__, numpy.__version__, "
             "[l.get('internal_api') for l in threadpoolctl.threadpool_info()]]))")
    r = subprocess.run([PY, "-c", "import json; " + probe], capture_output=True, text=True, env=peer_env())
    if r.returncode != 0:
        sys.exit(f"{PY} lacks torch, numpy or threadpoolctl: run bench/peers/setup.sh\n{r.stderr[-500:]}")
    tv, nv, apis = json.loads(r.stdout)
    if "openblas" not in apis:
        sys.exit("numpy does not run on OpenBLAS (threadpoolctl sees %s): run bench/peers/setup.sh" % apis)
    return tv, nv


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--shapes", default=",".join(SHAPES), help="comma-separated: " + ", ".join(SHAPES))
    p.add_argument("--algs", default=",".join(ALGS))
    p.add_argument("--threads", default="1,2")
    p.add_argument("--rounds", type=int, help="timing rounds, runs alternating within each (default: per shape, see PLAN)")
    p.add_argument("--repeats", type=int, help="timed repetitions inside one run (default: per shape)")
    p.add_argument("--agreement-from", help="take the agreement rows from this earlier latest.json instead of running them")
    p.add_argument("--min-time", type=float, default=0.3, help="seconds per repetition")
    p.add_argument("--agree-losses", default="exp,logistic")
    p.add_argument("--no-agree", action="store_true")
    p.add_argument("--no-time", action="store_true")
    p.add_argument("--quick", action="store_true", help="mnist-paper only, 1 round, 3 repeats")
    p.add_argument("--torch-env", default="default,avx512-passive",
                   help="environments to time PyTorch in, the fastest counts: " + ", ".join(TORCH_ENVS))
    p.add_argument("--margo", help="a margo binary (default: go build ./cmd/margo)")
    p.add_argument("--out", default=os.path.join(HERE, "results"))
    p.add_argument("--docs", help="also replace the generated part of this Markdown file (docs/benchmarks.md)")
    a = p.parse_args()
    if a.quick:
        a.shapes, a.rounds, a.repeats = "mnist-paper", 1, 3
    if a.agreement_from:
        a.no_agree = True
    shapes = [s for s in a.shapes.split(",") if s]
    for s in shapes:
        if s not in SHAPES:
            sys.exit(f"unknown shape {s!r} (want {', '.join(SHAPES)})")
    algs = [x for x in a.algs.split(",") if x]
    threads = [int(t) for t in a.threads.split(",") if t]
    tv, nv = check_setup()
    work = tempfile.mkdtemp(prefix="margo-peers-")
    try:
        margo = a.margo
        if not margo:
            margo = os.path.join(work, "margo")
            subprocess.run(["go", "build", "-o", margo, "./cmd/margo"], cwd=ROOT, check=True)
        result = {"date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
                  "machine": machine(), "torch": tv, "numpy": nv,
                  "margo_version": sh([margo, "version"]).strip(), "agreement": [], "timing": []}
        print("machine:", json.dumps(result["machine"]), flush=True)
        for i, s in enumerate(shapes):
            n, d, k, _ = SHAPES[s]
            write_shape(work, s, n, d, k, seed=100 + i)
        if a.agreement_from:
            with open(a.agreement_from) as f:
                result["agreement"] = json.load(f)["agreement"]
            result["agreement_from"] = a.agreement_from
        if not a.no_agree:
            print("agreement (5 steps, same data and init; log_loss within %.0e relative):" % REL_TOL, flush=True)
            for s in shapes:
                result["agreement"] += agree(margo, work, s, SHAPES[s], a.agree_losses.split(","), 1)
        if not a.no_time:
            runs = []
            print("timing (median s/step per run; ratio = peer / margo within a round):", flush=True)
            for s in shapes:
                n, d, k, loss = SHAPES[s]
                dp, ip = os.path.join(work, f"{s}_data.npz"), os.path.join(work, f"{s}_init.npz")
                plan = PLAN[s]
                rounds, repeats = a.rounds or plan["rounds"], a.repeats or plan["repeats"]
                for t in threads:
                    for r in range(rounds):
                        for alg in algs:
                            order = ["margo", "numpy", "torch"]
                            rot = (r + algs.index(alg)) % 3
                            order = order[rot:] + order[:rot]
                            got = {}
                            for who in order:
                                if who == "margo":
                                    got[who] = time_margo(margo, dp, ip, k, alg, loss, t, a, repeats)
                                elif who == "numpy":
                                    got[who] = time_peer("step_numpy.py", dp, ip, alg, loss, t, a, repeats)
                                else:
                                    got[who] = time_torch(dp, ip, alg, loss, t, a, repeats, plan["torch_variant"])
                            m = got["margo"]["sec_per_step"]
                            row = {"shape": s, "n": n, "d": d, "width": k, "loss": loss, "threads": t, "round": r,
                                   "alg": alg, "order": order, "margo": got["margo"], "numpy": got["numpy"],
                                   "torch": got["torch"], "ratio_numpy": got["numpy"]["sec_per_step"] / m,
                                   "ratio_torch": got["torch"]["sec_per_step"] / m}
                            runs.append(row)
                            print(f"  {s:16s} T={t} r={r} {alg:4s} margo {1e3 * m:9.3f} ms "
                                  f"(metrics {100 * got['margo']['metrics_frac']:4.1f}%)  "
                                  f"numpy/margo {row['ratio_numpy']:6.2f}  torch/margo {row['ratio_torch']:6.2f} "
                                  f"(torch {got['torch']['variant']})", flush=True)
            result["timing"] = runs
            result["summary"] = summarize(runs)
            print_summary(result)
        os.makedirs(a.out, exist_ok=True)
        path = os.path.join(a.out, "latest.json")
        with open(path, "w") as f:
            json.dump(result, f, indent=1)
        md = markdown(result)
        with open(os.path.join(a.out, "latest.md"), "w") as f:
            f.write(md)
        print("wrote", os.path.relpath(path, os.getcwd()), "and latest.md")
        if a.docs:
            update_docs(a.docs, md)
        bad = [r for r in result["agreement"] if not r["ok"]]
        if bad:
            sys.exit(f"{len(bad)} agreement checks failed")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def summarize(runs):
    groups = {}
    for r in runs:
        groups.setdefault((r["shape"], r["threads"], r["alg"]), []).append(r)
    out = []
    for (s, t, alg), rs in groups.items():
        out.append({"shape": s, "threads": t, "alg": alg, "rounds": len(rs),
                    "numpy_over_margo": statistics.median(r["ratio_numpy"] for r in rs),
                    "torch_over_margo": statistics.median(r["ratio_torch"] for r in rs),
                    "margo_ms": 1e3 * statistics.median(r["margo"]["sec_per_step"] for r in rs),
                    "margo_metrics_pct": 100 * statistics.median(r["margo"]["metrics_frac"] for r in rs),
                    "torch_variants": sorted({r["torch"]["variant"] for r in rs}),
                    "openblas_kernel": sorted({b.get("architecture") or "" for r in rs for b in r["numpy"]["blas"]
                                               if b.get("internal_api") == "openblas"}),
                    "margo_path": sorted({r["margo"]["path"] for r in rs})})
    return out


def print_summary(result):
    print("\nratios peer/margo (time per step; > 1: margo faster), median over rounds")
    print(f"{'shape':16s} {'T':>2s} {'alg':5s} {'torch':>7s} {'numpy':>7s} {'margo metrics':>14s}  torch variant")
    for r in result["summary"]:
        print(f"{r['shape']:16s} {r['threads']:2d} {r['alg']:5s} {r['torch_over_margo']:7.2f} "
              f"{r['numpy_over_margo']:7.2f} {r['margo_metrics_pct']:13.1f}%  {','.join(r['torch_variants'])}")


BEGIN, END = "<!-- peers:begin (bench/peers/run.py --docs) -->", "<!-- peers:end -->"


def update_docs(path, md):
    with open(path) as f:
        text = f.read()
    i, j = text.find(BEGIN), text.find(END)
    if i < 0 or j < i:
        sys.exit(f"{path}: no {BEGIN} … {END} block to replace")
    with open(path, "w") as f:
        f.write(text[:i + len(BEGIN)] + "\n" + md + text[j:])
    print("updated", path)


def markdown(result):
    """The generated part of docs/benchmarks.md: machine, versions, kernels, agreement, ratios."""
    m = result["machine"]
    L = [f"Run of {result['date']} (`bench/peers/run.py`).", "",
         "| | |", "|---|---|",
         f"| CPU | {m.get('Model name', '?')}, {m.get('CPU(s)', '?')} cores ({m.get('Thread(s) per core', '?')} thread per core) |",
         f"| kernel | {m.get('uname', '?')} |",
         f"| Go | {m.get('go', '?')} |",
         f"| margo | {result.get('margo_version', '?')} |",
         f"| PyTorch | {result['torch']} (Debian python3-torch), float64, CPU |",
         f"| NumPy | {result['numpy']} (Debian python3-numpy), Python {m.get('python', '?')} |"]
    summ = result.get("summary", [])
    blas, tconf, paths = set(), set(), set()
    for r in result.get("timing", []):
        for b in r["numpy"]["blas"] + r["torch"]["blas"]:
            if b.get("internal_api") == "openblas":
                blas.add(f"OpenBLAS {b.get('version')} kernel {b.get('architecture')} ({b.get('threading_layer')})")
        tconf.update(r["torch"].get("torch_config", []))
        paths.add(r["margo"]["path"])
    if blas:
        L.append(f"| BLAS of the peers | {'; '.join(sorted(blas))}, OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset |")
    if tconf:
        L.append(f"| torch build | {'; '.join(sorted(tconf))} |")
    if paths:
        L.append(f"| margo SIMD path | {', '.join(sorted(paths))} |")
    L.append("")
    ag = result.get("agreement", [])
    if ag:
        L += ["**Agreement** (5 steps from the same data and initialisation; worst over the steps and over the",
              "peers NumPy, PyTorch autograd and PyTorch manual; \"moved\" = relative change of log_loss over the",
              "5 steps, so that the 1e-9 bound is a real constraint):", "",
              "| shape | loss | alg | lr | log_loss rel. diff | moved | worst other field | ok |",
              "|---|---|---|---|---|---|---|---|"]
        groups = {}
        for r in ag:
            groups.setdefault((r["shape"], r["loss"], r["alg"]), []).append(r)
        for (s, loss, alg), rs in groups.items():
            w = max(rs, key=lambda r: r["max_rel_other"])
            L.append(f"| {s} | {loss} | {alg} | {rs[0]['lr']:g} | {max(r['max_rel_log_loss'] for r in rs):.1e} | "
                     f"{rs[0]['log_loss_moved_rel']:.1e} | {w['max_rel_other']:.1e} ({w['worst_field']}) | "
                     f"{'yes' if all(r['ok'] for r in rs) else '**no**'} |")
        L.append("")
    if summ:
        algs = []
        for r in summ:
            if r["alg"] not in algs:
                algs.append(r["alg"])
        L += ["**Speed ratios** peer time / margo time per training step (> 1: margo is faster), median over",
              f"the rounds of per-round ratios; each run is the median of its repetitions. Cells: PyTorch-best / NumPy.",
              "", "| shape (n, d, K), loss | threads | " + " | ".join(algs) + " | margo ms/step | margins share |",
              "|---|---|" + "---|" * len(algs) + "---|---|"]
        rows = {}
        for r in summ:
            rows.setdefault((r["shape"], r["threads"]), {})[r["alg"]] = r
        for (s, t), by in rows.items():
            n, d, k, loss = SHAPES[s]
            cells = [f"{by[x]['torch_over_margo']:.2f} / {by[x]['numpy_over_margo']:.2f}" if x in by else "" for x in algs]
            lo, hi = min(by[x]["margo_ms"] for x in by), max(by[x]["margo_ms"] for x in by)
            ms = f"{lo:.3g}–{hi:.3g}"
            share = max(by[x]["margo_metrics_pct"] for x in by)
            L.append(f"| {s} ({n}, {d}, {k}), {loss} | {t} | " + " | ".join(cells) + f" | {ms} | ≤ {share:.1f} % |")
        L += ["", "PyTorch variant that won (autograd or manual gradient): " + "; ".join(
            f"{r['shape']} T={r['threads']} {r['alg']}: {','.join(r['torch_variants'])}" for r in summ), ""]
    return "\n".join(L) + "\n"


if __name__ == "__main__":
    main()
