"""PyTorch peer of margo's training step (docs/benchmarks.md): CPU, float64.

    /usr/bin/python3 step_torch.py --data D.npz --init I.npz --alg adam --lr 1e-3 \
        --mode agree --steps 5 --out records.jsonl [--variant autograd|manual]
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 step_torch.py ... --mode time --threads 2

Two implementations of the same step, so that PyTorch is timed at its best:
  autograd  the loss as a sum of per-sample losses and loss.backward(), as a
            PyTorch user writes it;
  manual    the two gradient GEMMs written out (as the NumPy peer and margo do),
            which saves autograd's graph and its extra passes.
--variant best (the default in --mode time) times both and reports the faster.
The updates run under torch.no_grad(); Adam is torch.optim.Adam itself (its
default single-tensor implementation on CPU). Threads: torch.set_num_threads
for ATen's OpenMP pool and threadpoolctl for the BLAS that runs float64 GEMMs.
"""

import math

import torch
from threadpoolctl import threadpool_limits

import common

VARIANTS = ("autograd", "manual")


class Net:
    def __init__(self, x, y, w1, w2, a, variant):
        self.a, self.variant = a, variant
        self.x = torch.from_numpy(x)
        self.y = torch.from_numpy(y)
        self.w1_0 = torch.from_numpy(w1)
        self.w2_0 = torch.from_numpy(w2)
        self.w1 = self.w1_0.clone().requires_grad_(variant == "autograd")
        self.w2 = self.w2_0.clone().requires_grad_(variant == "autograd")
        n, k = x.shape[0], w1.shape[0]
        self.h = torch.empty(n, k, dtype=torch.float64)
        self.gbuf = torch.empty(n, k, dtype=torch.float64)
        # The manual variant's W1 gradient (16.8 MB on the teacher-student
        # shape), written in place every step.
        self.gw1 = torch.empty_like(self.w1_0)
        self.reset()

    def reset(self):
        with torch.no_grad():
            self.w1.copy_(self.w1_0)
            self.w2.copy_(self.w2_0)
        self.w1.grad, self.w2.grad = None, None
        if self.a.alg != "adam":
            return
        if not hasattr(self, "opt"):
            self.opt = torch.optim.Adam([self.w1, self.w2], lr=self.a.lr,
                                        betas=(self.a.beta1, self.a.beta2), eps=self.a.eps)
            return
        # A zero state in the buffers of the first run, as margo bench train
        # does (a new optimizer would allocate its moments inside the timed
        # steps). Adam's first step creates the state when it is empty.
        for st in self.opt.state.values():
            for key, val in st.items():
                if torch.is_tensor(val):
                    val.zero_()
                else:
                    st[key] = 0

    def evaluate(self):
        """Forward and backward; returns (log L, q). The gradient is in w1.grad, w2.grad."""
        if self.variant == "autograd":
            z = self.x @ self.w1.T
            f = torch.relu(z) @ self.w2
            q = self.y * f
            if self.a.loss == "exp":
                loss = torch.exp(-q).sum()
            else:
                loss = torch.nn.functional.softplus(-q).sum()
            self.w1.grad, self.w2.grad = None, None
            loss.backward()
            q = q.detach()
            with torch.no_grad():
                if self.a.loss == "exp":
                    log_loss = torch.logsumexp(-q, 0)
                else:
                    log_loss = torch.log(loss.detach())
            return log_loss, q
        with torch.no_grad():
            h, g = self.h, self.gbuf
            torch.matmul(self.x, self.w1.T, out=h)
            mask = h > 0
            h.clamp_(min=0)
            q = self.y * (h @ self.w2)
            if self.a.loss == "exp":
                log_loss = torch.logsumexp(-q, 0)
                c = torch.exp(-q).neg_()
            else:
                log_loss = torch.log(torch.nn.functional.softplus(-q).sum())
                c = torch.sigmoid(-q).neg_()
            c.mul_(self.y)
            self.w2.grad = c @ h  # K numbers: a fresh tensor costs nothing here
            torch.mul(c[:, None], self.w2[None, :], out=g)
            g.mul_(mask)
            self.w1.grad = torch.matmul(g.T, self.x, out=self.gw1)
            return log_loss, q

    @torch.no_grad()
    def metrics(self, t, log_loss, q):
        w1, w2, g1, g2 = self.w1, self.w2, self.w1.grad, self.w2.grad
        v = torch.stack([
            log_loss, q.min(), (q > 0).sum().to(torch.float64) / q.numel(),
            w1.abs().sum() + w2.abs().sum(),
            torch.sqrt(w1.pow(2).sum() + w2.dot(w2)),
            torch.maximum(w1.abs().max(), w2.abs().max()),
            -(torch.dot(w1.view(-1), g1.view(-1)) + w2.dot(g2)),
            g1.abs().sum() + g2.abs().sum(),
            torch.sqrt(g1.pow(2).sum() + g2.dot(g2)),
            torch.maximum(g1.abs().max(), g2.abs().max()),
        ]).tolist()
        ll, qmin, acc, th1, th2, thinf, inner, gn1, gn2, gninf = v
        return common.record(t, self.a.loss, ll, acc, qmin, th1, th2, thinf, inner, gn1, gn2, gninf, self.a.lr)

    @torch.no_grad()
    def update(self):
        a, lr, w1, w2 = self.a, self.a.lr, self.w1, self.w2
        g1, g2 = w1.grad, w2.grad
        if a.alg == "gd":
            w1.add_(g1, alpha=-lr)
            w2.add_(g2, alpha=-lr)
        elif a.alg == "sd":
            # The gradient is not needed after the update: sign in place.
            w1.add_(g1.sign_(), alpha=-lr)
            w2.add_(g2.sign_(), alpha=-lr)
        elif a.alg == "cd":
            # The first argmax of |g| over θ flattened (W1 row-major, then W2):
            # one argmax over the concatenation, as a PyTorch user writes it.
            flat = torch.cat([g1.view(-1), g2.view(-1)])
            i = int(flat.abs().argmax())
            s = float(torch.sign(flat[i]))
            if i < g1.numel():
                w1.view(-1)[i] -= lr * s
            else:
                w2[i - g1.numel()] -= lr * s
        else:
            self.opt.step()


def main():
    a = common.parse_args("step_torch.py", VARIANTS)
    x, y, w1, w2 = common.load(a)
    torch.set_num_threads(a.threads)
    with threadpool_limits(limits=a.threads):
        if a.mode == "agree":
            net = Net(x, y, w1, w2, a, "autograd" if a.variant == "best" else a.variant)
            recs = []
            for t in range(a.steps + 1):
                ll, q = net.evaluate()
                recs.append(net.metrics(t, ll, q))
                if t < a.steps:
                    net.update()
            common.write_records(a.out, recs)
            return
        results = {}
        for variant in (VARIANTS if a.variant == "best" else (a.variant,)):
            net = Net(x, y, w1, w2, a, variant)

            def step(t):
                ll, q = net.evaluate()
                if not a.no_metrics:
                    net.metrics(t, ll, q)
                net.update()

            results[variant] = common.time_steps(net.reset, step, a.repeats, a.steps, a.min_time)
        best = min(results, key=lambda v: results[v][0])
        sec, all_, k = results[best]
        common.emit({"peer": "torch", "variant": best, "sec_per_step": sec, "steps_per_s": 1 / sec,
                     "sec_per_step_all": all_, "steps_per_repeat": k,
                     "variants": {v: r[0] for v, r in results.items()}, "threads": a.threads, "alg": a.alg,
                     "loss": a.loss, "n": x.shape[0], "d": x.shape[1], "width": w1.shape[0],
                     "metrics": not a.no_metrics, "torch": torch.__version__,
                     "torch_num_threads": torch.get_num_threads(), "torch_config": torch_kernel(),
                     "blas": common.blas_info()})


def torch_kernel():
    """The lines of torch.__config__.show() that say which kernels run."""
    keep = ("CPU capability", "MKL-DNN", "OpenMP")
    lines = [l.strip(" -") for l in torch.__config__.show().splitlines()]
    out = [l for l in lines if any(k in l for k in keep) and not l.startswith("Build settings")]
    for l in lines:
        if l.startswith("Build settings"):
            out += [s.strip() for s in l.split(",") if s.strip().startswith(("BLAS_INFO", "USE_MKL", "USE_OPENMP"))]
    return out


if __name__ == "__main__":
    main()
