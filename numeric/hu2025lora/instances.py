"""Random instances (spec Sec. 6 defaults) as JSON-serialisable dicts, and their array views.

An instance holds every array as nested lists of floats, so a saved witness re-evaluates from scratch.
``arrays(inst, dps)`` returns float64 numpy arrays (dps None) or exact mpmath object arrays (dps an int).
"""
from __future__ import annotations

import mpmath
import numpy as np

PARTIAL_KEYS = ("C1", "C2", "C3", "Y", "Wbar", "B", "A")
RAW_KEYS = ("XQ", "XK", "XV", "WQs", "WKs", "WVs", "BQ", "AQ", "BK", "AK", "BV", "AV", "Y")


def to_mp(x):
    """Exact conversion of a float array to an object array of mpf (at the current working precision)."""
    x = np.asarray(x, dtype=float)
    out = np.empty(x.shape, dtype=object)
    for idx, v in np.ndenumerate(x):
        out[idx] = mpmath.mpf(v)
    return out


def arrays(inst: dict, dps: int | None = None) -> dict:
    """Every list-valued entry of ``inst`` as an array (float64, or mpf objects when ``dps`` is given)."""
    out = {}
    for k, v in inst.items():
        if isinstance(v, list):
            a = np.asarray(v, dtype=float)
            out[k] = a if dps is None else to_mp(a)
        else:
            out[k] = v
    return out


def scalar(inst: dict, key: str, dps: int | None, default=1):
    v = inst.get(key, default)
    return float(v) if dps is None else mpmath.mpf(v)


def _lists(**arrs) -> dict:
    return {k: np.asarray(v, dtype=float).tolist() for k, v in arrs.items()}


def partial_instance(L: int, d: int, r: int, seed: int = 0, Gamma: float = 1.0, beta: float = 1.0) -> dict:
    """(3.3) instance: C1 W and C2 in [-Gamma, Gamma] (||C1 W||_max = Gamma), C3, Y in [-1, 1],
    B, A ~ N(0, 0.3^2), W-bar ~ N(0, 0.1^2)."""
    rng = np.random.default_rng(seed)
    Wbar = rng.normal(0, 0.1, (d, d))
    B, A = rng.normal(0, 0.3, (d, r)), rng.normal(0, 0.3, (r, d))
    C1 = rng.uniform(-1, 1, (L, d))
    m = np.abs(C1 @ (Wbar + B @ A)).max()
    C1 = C1 * (Gamma / m) if m > 0 else C1
    C2 = rng.uniform(-Gamma, Gamma, (L, d))
    C3, Y = rng.uniform(-1, 1, (L, d)), rng.uniform(-1, 1, (L, d))
    return {"kind": "partial", "L": L, "d": d, "r": r, "beta": beta, "seed": seed, "Gamma": Gamma,
            **_lists(C1=C1, C2=C2, C3=C3, Y=Y, Wbar=Wbar, B=B, A=A)}


def raw_instance(L: int, d: int, r: int, seed: int = 0, s: float = 1.0, beta: float = 1.0) -> dict:
    """Def. 1.2 / 3.1 / A.1 instance: X^(Q), X^(K), X^(V), Y in [-1, 1]; W* ~ N(0, 0.5^2/d); adapters ~ N(0, 0.3^2)."""
    rng = np.random.default_rng(seed)
    X = {k: rng.uniform(-1, 1, (L, d)) for k in ("XQ", "XK", "XV", "Y")}
    W = {k: rng.normal(0, 0.5 / np.sqrt(d), (d, d)) for k in ("WQs", "WKs", "WVs")}
    ad = {}
    for mu in "QKV":
        ad["B" + mu], ad["A" + mu] = rng.normal(0, 0.3, (d, r)), rng.normal(0, 0.3, (r, d))
    return {"kind": "raw", "L": L, "d": d, "r": r, "s": s, "beta": beta, "seed": seed, **_lists(**X, **W, **ad)}


def size_grid(Ls=(8, 64, 512), ds=(4, 8), rs=(1, 2, 3)):
    """The spec's K-01 grid of shapes (r < d)."""
    return [(L, d, r) for L in Ls for d in ds for r in rs if r < d]


def small_sizes(max_L: int = 6, max_d: int = 4):
    """Sizes in increasing order (L + d + r, then L, d, r) with L >= 1 and 1 <= r < d: the smallest-witness scan."""
    sizes = [(L, d, r) for L in range(1, max_L + 1) for d in range(2, max_d + 1) for r in range(1, d)]
    return sorted(sizes, key=lambda t: (sum(t), t))
