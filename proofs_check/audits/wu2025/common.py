"""Shared machinery of the Wu et al. audits: instances, cached constructions and constants, search spaces.

An instance is JSON: {"config": {...WuConfig fields...}, "prompt": {"x", "y", "w0"}, ...claim extras}.  The
construction, the approximants' certified errors and the paper's constants are rebuilt from the config (cached),
so a witness replays from scratch.  The adversarial search draws configurations from a finite pool (each costs
~1 s to build and certify) and searches the data x, y and the weights w of each inside the hypotheses.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from fractions import Fraction
from functools import lru_cache

import mpmath
import numpy as np

from numeric.precision import certify_sup_error
from numeric.wu2025.prompt import Prompt
from symbolic.activations import get_activation
from symbolic.losses import Z, get_loss
from symbolic.sum_of_relu import interpolant, to_fraction
from symbolic.wu2025 import bounds as B
from symbolic.wu2025 import constants as C
from symbolic.wu2025.assemble import WuConstruction, build_construction
from symbolic.wu2025.config import WuConfig

from ...claims import Hypothesis, HypothesisCheck
from ...search import Candidate, SearchSpace

CONFIG_KEYS = ("d_in", "d_out", "K", "N", "n", "L", "eta", "Bv", "Bx", "By", "activation", "loss", "knots", "radius")
SMOOTH = ("sigmoid", "tanh", "softplus", "gelu")


def config_dict(cfg: WuConfig) -> dict:
    return {k: getattr(cfg, k) for k in CONFIG_KEYS}


def instance_size(inst: dict) -> int:
    """Number of free numbers of an instance: weights plus prompt entries (smaller witnesses are preferred)."""
    c = inst["config"]
    shape = instance_config(inst).shape
    return shape.num_params + (c["n"] + 1) * c["d_in"] + c["n"] * c["d_out"]


def instance_config(inst: dict) -> WuConfig:
    return WuConfig(**{k: inst["config"][k] for k in CONFIG_KEYS if k in inst["config"]})


@dataclass
class Built:
    """A construction with its approximants' certified sup errors and the paper's constants at them."""

    wc: WuConstruction
    eps_r: mpmath.mpf
    eps_rp: mpmath.mpf
    eps_l: mpmath.mpf
    values: dict          # bounds symbol -> mpf (bounds.evaluate's values at these eps)

    def v(self, sym) -> mpmath.mpf:
        return self.values[sym]


def _certified(approx) -> mpmath.mpf:
    """Certified sup error; +inf where the target has no second derivative to certify with (ReLU's kinks)."""
    try:
        return certify_sup_error(approx).upper
    except (NameError, TypeError, ValueError):
        return mpmath.inf


@lru_cache(maxsize=64)
def _built(key: tuple) -> Built:
    cfg = WuConfig(**dict(key))
    wc = build_construction(cfg, readout=False)
    a = wc.approx
    eps_r = _certified(a.r)
    act = get_activation(cfg.activation)
    eps_rp = _certified(a.rp) if act.is_Ck(2) else mpmath.mpf("0.5")  # F1: the step r' has sup error >= 1/2
    loss = get_loss(cfg.loss)
    if loss.name == "square":
        eps_l = mpmath.mpf(0)  # exact two-unit representation
    else:
        rho = to_fraction(C.residual_radius(cfg))
        eps_l = _certified(interpolant(loss.dphi, Z, rho, a.knots))
    return Built(wc, eps_r, eps_rp, eps_l, paper_values(cfg, wc, eps_r, eps_rp, eps_l, 30))


def paper_values(cfg: WuConfig, wc: WuConstruction, eps_r, eps_rp, eps_l, dps: int) -> dict:
    """The paper's constants (``bounds.evaluate_values``) at the construction's approximants and eps."""
    a = wc.approx
    values, _, _ = B.evaluate_values(cfg, eps_r_=eps_r, eps_rp_=eps_rp, eps_l_=eps_l, dps=dps, C1_=a.r.C, C2_=a.rp.C,
                                  C3_=a.u.C, M1_=a.r.H, M2_=a.rp.H, M3_=a.u.H)
    return values


def built(cfg: WuConfig) -> Built:
    """Construction, certified eps_r, eps_r', eps_l and the paper's constants for ``cfg`` (cached)."""
    return _built(tuple(sorted(config_dict(cfg).items())))


# --- hypotheses -------------------------------------------------------------------------------------------

def _sq(v) -> Fraction:
    return sum((Fraction(float(a)) ** 2 for a in v), Fraction(0))


def _within(vectors, bound: float, what: str) -> tuple[bool, str]:
    b2 = Fraction(float(bound)) ** 2
    worst = max((_sq(v) for v in vectors), default=Fraction(0))
    return worst <= b2, f"max ||{what}||_2 = {math.sqrt(worst):.6g} vs {bound}"


def h_x(inst) -> tuple[bool, str]:
    n = len(inst["prompt"]["y"])
    return _within(inst["prompt"]["x"][:n], inst["config"]["Bx"], "x_i, i in [n]")


def h_query(inst) -> tuple[bool, str]:
    return _within(inst["prompt"]["x"][-1:], inst["config"]["Bx"], "x_{n+1}")


def h_y(inst) -> tuple[bool, str]:
    return _within(inst["prompt"]["y"], inst["config"]["By"], "y_i")


def h_v(inst) -> tuple[bool, str]:
    cfg = instance_config(inst)
    w = inst["prompt"]["w0"]
    vs = [w[cfg.shape.vector_slice(j, k)] for j in range(1, cfg.N + 1) for k in range(1, cfg.shape.width(j) + 1)]
    return _within(vs, cfg.Bv, "v_jk, j in [N]")


def h_smooth(inst) -> tuple[bool, str]:
    act = get_activation(inst["config"]["activation"])
    return act.is_Ck(4), f"r = {act.name} is {'C^inf' if act.smoothness is None else f'C^{act.smoothness}'}"


def h_approximant(which: str):
    """Definition 4 hypothesis on the construction's approximant of r ('r') or r' ('rp')."""
    def check(inst):
        b = built(instance_config(inst))
        a = b.wc.approx.r if which == "r" else b.wc.approx.rp
        lo, hi = a.domain
        eps = b.eps_r if which == "r" else b.eps_rp
        ok = a.max_a_l1 <= 1
        return ok, (f"{a.H} units, ||a||_1 <= {float(a.max_a_l1)}, C = {float(a.C):.6g}, certified sup error "
                    f"{mpmath.nstr(eps, 6)} on [{float(lo)}, {float(hi)}]")
    return check


X_BALL = Hypothesis("||x_i|| <= B_x", "||x_i||_2 <= B_x for i in [n]", h_x)
QUERY_BALL = Hypothesis("||x_{n+1}|| <= B_x", "the query is bounded too (ours; the paper bounds i in [n] only)",
                        h_query)
Y_BALL = Hypothesis("||y_i|| <= B_y", "||y_i||_2 <= B_y for i in [n]", h_y)
V_BALL = Hypothesis("||v_jk|| <= B_v", "||v_jk||_2 <= B_v for every j in [N], k in [K_j]", h_v)
SMOOTH_R = Hypothesis("r, r' Lipschitz and C^4", "r(t), r'(t) Lipschitz and C^4 (Theorem 1)", h_smooth)
R_APPROX = Hypothesis("r approximable", "r is (eps_r, R, M, C)-approximable (Def 4, ||a||_1 <= 1)",
                      h_approximant("r"))
RP_APPROX = Hypothesis("r' approximable", "r' is (eps_r', R, M, C)-approximable (Def 4, ||a||_1 <= 1)",
                       h_approximant("rp"))


def smooth_applicability(ctx) -> list[HypothesisCheck]:
    acts = (ctx.options or {}).get("activations", SMOOTH)
    bad = [a for a in acts if not get_activation(a).is_Ck(4)]
    if bad and len(bad) == len(acts):
        return [HypothesisCheck("r, r' Lipschitz and C^4", False,
                                f"activation {bad[0]}: r' = 1(t>0) is not Lipschitz (not even continuous), r is not "
                                f"C^4; any continuous approximant of r' has sup error >= 1/2 near 0 (F1)")]
    return []


# --- search spaces ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Ranges:
    """Discrete ranges of the configuration pool (narrowed by the shared CLI options)."""

    N: tuple = (2, 3, 4)
    K: tuple = (1, 2, 3, 4)
    d: tuple = (1, 2, 3)
    d_out: tuple | None = None     # None: d_out = d_in (Theorem 1); else Theorem 4
    n: tuple = (1, 2, 4)
    Bv: tuple = (0.5, 1.0, 1.5, 2.0, 3.0)
    Bx: tuple = (0.25, 0.5, 1.0, 2.0)
    By: tuple = (0.5, 1.0, 2.0)
    activations: tuple = SMOOTH
    losses: tuple = ("square",)
    knots: tuple = (8, 16, 32)
    eta: tuple = (0.5,)


def ranges_from(ctx, **override) -> Ranges:
    o = dict((ctx.options or {}).get("ranges", {})) if ctx is not None else {}
    o.update(override)
    return replace(Ranges(), **{k: tuple(v) if isinstance(v, (list, tuple)) else (v,) for k, v in o.items()
                                if k in Ranges.__dataclass_fields__ and v is not None})


def sample_config(rng: np.random.Generator, r: Ranges, radius: str) -> WuConfig:
    pick = lambda xs: xs[int(rng.integers(len(xs)))]  # noqa: E731
    d = pick(r.d)
    return WuConfig(d_in=d, d_out=pick(r.d_out) if r.d_out else d, K=pick(r.K), N=pick(r.N), n=pick(r.n), L=1,
                    eta=pick(r.eta), Bv=pick(r.Bv), Bx=pick(r.Bx), By=pick(r.By), activation=pick(r.activations),
                    loss=pick(r.losses), knots=pick(r.knots), radius=radius)


def _ball(v: np.ndarray, radius: float) -> np.ndarray:
    """Rows of v mapped into the closed ball (scaled strictly inside by one part in 1e12)."""
    norms = np.linalg.norm(v, axis=-1, keepdims=True)
    return v * np.minimum(1.0, radius * (1 - 1e-12) / np.maximum(norms, 1e-300))


def decode_prompt(cfg: WuConfig, vec: np.ndarray, query_free: bool = False) -> Prompt:
    """Unconstrained vector -> prompt inside the hypotheses (balls for x_i, y_i and every v_jk)."""
    n, dx, dy = cfg.n, cfg.d_in, cfg.d_out
    i = 0
    x = vec[i:i + (n + 1) * dx].reshape(n + 1, dx).copy()
    i += (n + 1) * dx
    y = vec[i:i + n * dy].reshape(n, dy).copy()
    i += n * dy
    w = vec[i:i + cfg.shape.num_params].copy()
    x[:n] = _ball(x[:n], cfg.Bx)
    x[n:] = np.clip(x[n:], -10 * cfg.Bx, 10 * cfg.Bx) if query_free else _ball(x[n:], cfg.Bx)
    y = _ball(y, cfg.By)
    for j in range(1, cfg.N + 1):
        for k in range(1, cfg.shape.width(j) + 1):
            sl = cfg.shape.vector_slice(j, k)
            w[sl] = _ball(w[sl][None, :], cfg.Bv)[0]
    return Prompt(x, y, w)


def vector_size(cfg: WuConfig) -> int:
    return (cfg.n + 1) * cfg.d_in + cfg.n * cfg.d_out + cfg.shape.num_params


def structured_vectors(cfg: WuConfig, rng: np.random.Generator) -> list[np.ndarray]:
    """Hand-made starting points: extreme norms with aligned weights (all rows along one axis) and
    sign patterns, which drive pre-activations and the backprop recursion to their extremes."""
    out = []
    for sign in (1.0, -1.0):
        x = np.zeros(((cfg.n + 1), cfg.d_in))
        x[:, 0] = sign * 10 * cfg.Bx
        y = np.full((cfg.n, cfg.d_out), -sign * 10 * cfg.By)
        w = np.zeros(cfg.shape.num_params)
        for j in range(1, cfg.N + 1):
            for k in range(1, cfg.shape.width(j) + 1):
                sl = cfg.shape.vector_slice(j, k)
                w[sl.start] = 10 * cfg.Bv * (sign if j == 1 else 1.0)
        out.append(np.concatenate([x.ravel(), y.ravel(), w]))
    out.append(rng.standard_normal(vector_size(cfg)) * 10)
    return out


def construction_space(ctx, radius: str, *, query_free: bool = False, pool: int = 6, extra=None,
                       **ranges) -> SearchSpace:
    """Configurations from a pool of ``pool`` random draws (plus the CLI's own configuration when given);
    data and weights searched continuously inside the hypotheses."""
    rng = np.random.default_rng((ctx.seed if ctx is not None else 0) + 7919)
    r = ranges_from(ctx, **ranges)
    configs = []
    base = (ctx.options or {}).get("config") if ctx is not None else None
    if base is not None:
        configs.append(replace(base, radius=radius, L=1))
    while len(configs) < pool:
        configs.append(sample_config(rng, r, radius))
    seeds = []
    for c in configs:
        for v in structured_vectors(c, rng):
            seeds.append(Candidate({"config": config_dict(c)}, v))

    def sample(g: np.random.Generator) -> Candidate:
        c = configs[int(g.integers(len(configs)))]
        return Candidate({"config": config_dict(c)}, g.standard_normal(vector_size(c)) * g.choice([0.5, 2.0, 10.0]))

    def decode(cand: Candidate) -> dict:
        cfg = WuConfig(**cand.discrete["config"])
        pr = decode_prompt(cfg, cand.vector, query_free)
        inst = {"config": config_dict(cfg), "prompt": pr.to_dict()}
        if extra:
            inst.update(extra(cfg, cand))
        return inst

    return SearchSpace(sample, decode, seeds=seeds, step=1.0)
