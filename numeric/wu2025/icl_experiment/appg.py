"""Appendix G checked on a case with a closed-form score (ours, spec 9): Gaussian data under the OU process.

P_0 = N(mu, s^2 I); forward process dX = -X dt + sqrt(2) dW, so X_t | X_0 ~ N(e^{-t} X_0, (1 - e^{-2t}) I) and

    grad log p_t(x) = -(x - e^{-t} mu) / v_t,     v_t = e^{-2t} s^2 + 1 - e^{-2t}.

Problem 3's prompts (x_i, y_i = grad log p_{t_i}(x_i)) become Theorem-4 prompts with time as an input coordinate:
u_i = (x_i / x_max, t_i / T) / sqrt(2) in the B_x = 1 ball (x_i with |x_i| > x_max are redrawn), and the label
y_i = 1/2 + c * score with c = 0.45 B_y / y_max, so |y_i| <= 0.95 B_y and a sigmoid network (outputs in (0, 1), no
biases in Def 10) can represent it; the affine map is inverted at readout.  A smooth (sigmoid) Def-10 network is
trained by the constructed ICGD transformer (eta = 1/2, M = 80 knots); the check is (i) its iterates track
projected GD (the construction's accuracy) and (ii) the held-out
score MSE after L steps (an observation only: Appendix G derives no convergence guarantee, F20).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace

import mpmath
import numpy as np
import sympy as sp
import torch

from symbolic.activations import get_activation
from symbolic.network import forward
from symbolic.wu2025.assemble import build_construction
from symbolic.wu2025.config import WuConfig

from ...backends import TorchArrays, torch_derivative
from ..prompt import Prompt
from ..reference import projected_gd
from ..run import run, w_after_block

APPG_CONFIG = WuConfig(d_in=2, d_out=1, K=3, N=3, n=16, L=3, eta=0.5, activation="sigmoid", knots=80, radius="3.1")


def _exp(v):
    """exp in the scalar/array type of v (float, NumPy, torch, SymPy, mpmath)."""
    if isinstance(v, sp.Basic):
        return sp.exp(v)
    if isinstance(v, torch.Tensor):
        return torch.exp(v)
    if isinstance(v, mpmath.mpf):
        return mpmath.exp(v)
    return np.exp(v)


def ou_variance(t, s2):
    """v_t = e^{-2t} s^2 + 1 - e^{-2t}."""
    e = _exp(-2 * t)
    return e * s2 + 1 - e


def ou_score(x, t, mu, s2):
    """grad log p_t(x) = -(x - e^{-t} mu) / v_t for P_0 = N(mu, s^2 I) under the OU process (closed form)."""
    return -(x - _exp(-t) * mu) / ou_variance(t, s2)


def tweedie_identity() -> sp.Expr:
    """E[grad log p(x_t | x_0) | x_t] - grad log p_t(x_t), simplified: 0 exactly (why (G.2) is equivalent to (G.1))."""
    x, mu, t = sp.symbols("x mu t", real=True)
    s2 = sp.Symbol("s2", positive=True)
    a = sp.exp(-t)
    v = a**2 * s2 + 1 - a**2
    post_mean = mu + a * s2 / v * (x - a * mu)                 # E[x_0 | x_t = x], Gaussian conditioning
    cond_score = -(x - a * post_mean) / (1 - a**2)            # E[-(x_t - a x_0)/(1 - a^2) | x_t]
    return sp.simplify(cond_score - (-(x - a * mu) / v))


def log_density_score_identity() -> sp.Expr:
    """d/dx log N(x; e^{-t} mu, v_t) - ou_score, simplified: 0 exactly."""
    x, mu, t = sp.symbols("x mu t", real=True)
    s2 = sp.Symbol("s2", positive=True)
    v = sp.exp(-2 * t) * s2 + 1 - sp.exp(-2 * t)
    logp = -(x - sp.exp(-t) * mu) ** 2 / (2 * v) - sp.log(2 * sp.pi * v) / 2
    return sp.simplify(sp.diff(logp, x) - ou_score(x, t, mu, s2))


@dataclass(frozen=True)
class ScoreTask:
    """One Gaussian data distribution and the scaling of (x, t) and of the score into the construction's balls."""

    mu: float = 0.5
    s2: float = 0.5
    T0: float = 0.05
    T: float = 1.0
    x_max: float = 3.0
    By: float = 1.0
    offset: float = 0.5

    @property
    def y_scale(self) -> float:
        """c with |c score| <= 0.45 B_y: |score| <= (x_max + |mu|) / min(s^2, 1) since v_t lies between s^2 and 1."""
        return 0.45 * self.By / ((self.x_max + abs(self.mu)) / min(self.s2, 1.0))

    def sample(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """(u, y): n inputs u = (x/x_max, t/T)/sqrt 2 with x ~ p_t, t ~ U[T0, T], and labels offset + c score."""
        xs, ts = [], []
        while len(xs) < n:
            t = rng.uniform(self.T0, self.T)
            x = rng.normal(math.exp(-t) * self.mu, math.sqrt(ou_variance(t, self.s2)))
            if abs(x) <= self.x_max:
                xs.append(x)
                ts.append(t)
        x, t = np.array(xs), np.array(ts)
        u = np.stack([x / self.x_max, t / self.T], axis=1) / math.sqrt(2)
        y = self.offset + self.y_scale * ou_score(x, t, self.mu, self.s2)
        return u, y[:, None]


def score_mse(cfg: WuConfig, w: np.ndarray, u: np.ndarray, y: np.ndarray) -> float:
    """Held-out mean squared error of f(w, u) against the label (= c^2 times the score MSE)."""
    act = get_activation(cfg.activation)
    with torch.no_grad():
        p, _ = forward(cfg.shape, torch.tensor(w), torch.tensor(u), torch_derivative(act, 0), TorchArrays)
    return float(((p[-1].numpy() - y) ** 2).mean())


def appg_check(task: ScoreTask = ScoreTask(), cfg: WuConfig = APPG_CONFIG, seed: int = 0, heldout: int = 2048,
               wc=None, executor: str = "batched", dps: int = 30) -> dict:
    """Run the Theorem-4 construction on one score prompt: tracking of projected GD and held-out score MSE.
    ``executor='highprec'`` runs the transformer in mpmath at ``dps`` digits (slow; for witnesses) and adds
    ``max_w_dev_mp``, the deviation as an mpf."""
    wc = wc or build_construction(cfg, readout=False)
    rng = np.random.default_rng(seed)
    u, y = task.sample(cfg.n + 1, rng)
    b = np.array([float(v) for v in wc.box])
    w0 = rng.uniform(-1, 1, b.size) * b * 0.9   # a random start in W (Problem 1's w0 = 0 is also admissible)
    prompt = Prompt(u, y[: cfg.n], w0)
    tr = run(wc, prompt, executor, dps=dps)
    out = {}
    with mpmath.workdps(dps):
        gd_mp = projected_gd(cfg, wc.box, w0, u, y[: cfg.n], cfg.L)
        if executor == "highprec":
            tf_mp = [w_after_block(tr, wc, l, kind="mp") for l in range(cfg.L)]
            out["max_w_dev_mp"] = max(mpmath.sqrt(mpmath.fsum((a - b) ** 2 for a, b in zip(wt, wg)))
                                      for wt, wg in zip(tf_mp, gd_mp[1:]))
    ws_gd = [np.array([float(v) for v in w]) for w in gd_mp]
    ws_tf = [w0] + [np.array([float(v) for v in w_after_block(tr, wc, l)]) for l in range(cfg.L)]
    dev = [float(np.linalg.norm(a - b)) for a, b in zip(ws_tf[1:], ws_gd[1:])]
    uh, yh = task.sample(heldout, np.random.default_rng(seed + 10**6))
    mse = [score_mse(cfg, w, uh, yh) for w in ws_tf]
    return {**out, "task": task.__dict__, "seed": seed, "executor": executor, "w_dev": dev, "max_w_dev": max(dev),
            "heldout_mse": mse,
            "heldout_mse_gd": [score_mse(cfg, w, uh, yh) for w in ws_gd], "score_var": float(yh.var()),
            "max_abs_u": float(np.linalg.norm(u, axis=1).max()), "max_abs_y": float(np.abs(y).max())}


def appg_config(**kw) -> WuConfig:
    return replace(APPG_CONFIG, **kw)
