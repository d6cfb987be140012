"""NumPy/OpenBLAS peer of margo's training step (docs/benchmarks.md).

    /usr/bin/python3 step_numpy.py --data D.npz --init I.npz --alg sd --lr 1e-3 \
        --mode agree --steps 5 --out records.jsonl
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 step_numpy.py ... --mode time --threads 2

The gradient is written out by hand (NumPy has no autograd): with
Z = X·W1ᵀ, H = relu(Z), f = H·w2 and c = ∂L/∂f,
    ∇w2 = Hᵀc,   ∇W1 = ((c·w2ᵀ) ⊙ [Z > 0])ᵀ·X,
two GEMMs per step, as margo's. Buffers are allocated once.
"""

import math

import numpy as np
from threadpoolctl import threadpool_limits

import common


class Net:
    """The network, its data, the algorithm's state and the step buffers."""

    def __init__(self, x, y, w1, w2, a):
        self.x, self.y, self.a = x, y, a
        self.w1_0, self.w2_0 = w1, w2
        n, d = x.shape
        k = w1.shape[0]
        self.h = np.empty((n, k))
        self.g = np.empty((n, k))
        self.mask = np.empty((n, k), dtype=bool)
        self.f = np.empty(n)
        self.q = np.empty(n)
        self.c = np.empty(n)
        self.gw1 = np.empty((k, d))
        self.gw2 = np.empty(k)
        self.reset()

    def reset(self):
        """Back to the initial θ and a zero optimizer state, in the buffers of
        the first call (as margo bench train does: no fresh memory, so no page
        faults, inside the timed steps)."""
        if not hasattr(self, "w1"):
            self.w1, self.w2 = np.empty_like(self.w1_0), np.empty_like(self.w2_0)
            if self.a.alg == "adam":
                self.m1, self.m2 = np.empty_like(self.w1), np.empty_like(self.w2)
                self.v1, self.v2 = np.empty_like(self.w1), np.empty_like(self.w2)
                self.tmp1, self.tmp2 = np.empty_like(self.w1), np.empty_like(self.w2)
        np.copyto(self.w1, self.w1_0)
        np.copyto(self.w2, self.w2_0)
        self.t = 0
        if self.a.alg == "adam":
            for b in (self.m1, self.m2, self.v1, self.v2):
                b.fill(0)

    def evaluate(self):
        """Forward and backward at θ; returns log L (the gradient is left in gw1, gw2)."""
        x, y, h, q, c = self.x, self.y, self.h, self.q, self.c
        np.matmul(x, self.w1.T, out=h)
        np.greater(h, 0, out=self.mask)
        np.maximum(h, 0, out=h)
        np.matmul(h, self.w2, out=self.f)
        np.multiply(y, self.f, out=q)
        if self.a.loss == "exp":
            # log L = logsumexp(−q); ∂L/∂q_i = −exp(−q_i).
            m = -q.min()
            np.exp(-q - m, out=c)
            log_loss = m + math.log(c.sum())
            c *= -math.exp(m)
        else:
            # L = Σ softplus(−q_i); ∂L/∂q_i = −σ(−q_i).
            log_loss = math.log(np.logaddexp(0, -q).sum())
            np.exp(q, out=c)
            c += 1
            np.divide(-1, c, out=c)
        c *= y  # ∂L/∂f_i = y_i ∂L/∂q_i
        np.matmul(c, h, out=self.gw2)
        np.multiply(c[:, None], self.w2[None, :], out=self.g)
        self.g *= self.mask
        np.matmul(self.g.T, x, out=self.gw1)
        return log_loss

    def metrics(self, t, log_loss):
        w1, w2, g1, g2, q = self.w1, self.w2, self.gw1, self.gw2, self.q
        th1 = np.abs(w1).sum() + np.abs(w2).sum()
        th2 = math.sqrt(np.dot(w1.ravel(), w1.ravel()) + np.dot(w2, w2))
        thinf = max(np.abs(w1).max(), np.abs(w2).max())
        gn1 = np.abs(g1).sum() + np.abs(g2).sum()
        gn2 = math.sqrt(np.dot(g1.ravel(), g1.ravel()) + np.dot(g2, g2))
        gninf = max(np.abs(g1).max(), np.abs(g2).max())
        inner = -(np.dot(w1.ravel(), g1.ravel()) + np.dot(w2, g2))
        acc = np.count_nonzero(q > 0) / q.size
        return common.record(t, self.a.loss, log_loss, acc, q.min(), th1, th2, thinf, inner, gn1, gn2, gninf, self.a.lr)

    def update(self):
        a, lr = self.a, self.a.lr
        # In place through the gradient buffers (not needed after the
        # update): no temporaries of θ's size.
        if a.alg == "gd":
            for w, g in ((self.w1, self.gw1), (self.w2, self.gw2)):
                np.multiply(g, lr, out=g)
                np.subtract(w, g, out=w)
        elif a.alg == "sd":
            for w, g in ((self.w1, self.gw1), (self.w2, self.gw2)):
                np.sign(g, out=g)
                np.multiply(g, lr, out=g)
                np.subtract(w, g, out=w)
        elif a.alg == "cd":
            # The first argmax of |g| over θ flattened (W1 row-major, then W2).
            i1 = np.abs(self.gw1).argmax()
            i2 = np.abs(self.gw2).argmax()
            v1, v2 = self.gw1.flat[i1], self.gw2[i2]
            if abs(v1) >= abs(v2):
                self.w1.flat[i1] -= lr * np.sign(v1)
            else:
                self.w2[i2] -= lr * np.sign(v2)
        else:
            # torch.optim.Adam (single-tensor form, torch 1.13), operation by operation.
            self.t += 1
            b1, b2, eps = a.beta1, a.beta2, a.eps
            bc1 = 1 - b1 ** self.t
            bc2 = 1 - b2 ** self.t
            step = lr / bc1
            sbc2 = math.sqrt(bc2)
            # The same operations in the same order, through one scratch
            # buffer per parameter instead of temporaries.
            for p, g, m, v, tmp in ((self.w1, self.gw1, self.m1, self.v1, self.tmp1),
                                    (self.w2, self.gw2, self.m2, self.v2, self.tmp2)):
                m *= b1
                np.multiply(g, 1 - b1, out=tmp)
                m += tmp
                v *= b2
                np.multiply(g, g, out=tmp)
                tmp *= 1 - b2
                v += tmp
                np.sqrt(v, out=tmp)
                tmp /= sbc2
                tmp += eps
                np.divide(m, tmp, out=tmp)
                tmp *= step
                p -= tmp


def main():
    a = common.parse_args("step_numpy.py")
    x, y, w1, w2 = common.load(a)
    with threadpool_limits(limits=a.threads):
        net = Net(x, y, w1, w2, a)
        if a.mode == "agree":
            recs = []
            for t in range(a.steps + 1):
                ll = net.evaluate()
                recs.append(net.metrics(t, ll))
                if t < a.steps:
                    net.update()
            common.write_records(a.out, recs)
            return

        def step(t):
            ll = net.evaluate()
            if not a.no_metrics:
                net.metrics(t, ll)
            net.update()

        sec, all_, k = common.time_steps(net.reset, step, a.repeats, a.steps, a.min_time)
        common.emit({"peer": "numpy", "variant": "numpy", "sec_per_step": sec, "steps_per_s": 1 / sec,
                     "sec_per_step_all": all_, "steps_per_repeat": k, "threads": a.threads, "alg": a.alg,
                     "loss": a.loss, "n": x.shape[0], "d": x.shape[1], "width": w1.shape[0],
                     "metrics": not a.no_metrics, "blas": common.blas_info()})


if __name__ == "__main__":
    main()
