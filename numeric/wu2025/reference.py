"""Reference mathematics for the construction, in any scalar type.

* ``approx_terms``: the paper's approximate quantities computed directly from the approximants, no transformer:
  p_bar (C.6), r_bar' (C.11), g = gate * u_bar (C.14), s_bar (3.20), grad_bar (Lemma 1 with these).
* ``exact_terms``: Definition 2/3 and Lemma 1 with the true r, r', u.
* ``projected_gd``: w^(l) = Proj_W(w^(l-1) - eta grad L_n(w^(l-1))) (2.3) onto the box.
"""
from __future__ import annotations

from fractions import Fraction
from typing import Callable, Sequence

import mpmath
import numpy as np

from symbolic.activations import get_activation
from symbolic.losses import get_loss
from symbolic.network import Lemma1Terms, ObjectArrays, lemma1_terms
from symbolic.sum_of_relu import SumOfRelu
from symbolic.wu2025.approximants import Approximants
from symbolic.wu2025.config import WuConfig

from ..backends import scalar_derivative, scalar_u


def scalar_approximant(approx: SumOfRelu, kind: str) -> Callable:
    """sum_h c_h relu(a_h^T [z; 1]) with weights pre-converted to the scalar kind ('fraction', 'mpmath', 'float')."""
    conv = {"fraction": lambda f: f, "mpmath": lambda f: mpmath.mpf(f.numerator) / f.denominator,
            "float": float}[kind]
    units = [([conv(a) for a in u.a], conv(u.c)) for u in approx.units]

    def f(*z):
        total = 0
        for a, c in units:
            s = a[-1]
            for ak, zk in zip(a, z):
                s = s + ak * zk
            if s > 0:
                total = total + c * s
        return total

    return f


def _to(kind: str, v):
    if kind == "fraction":
        return v if isinstance(v, Fraction) else Fraction(float(v))
    if kind == "mpmath":
        if isinstance(v, Fraction):
            return mpmath.mpf(v.numerator) / v.denominator
        return mpmath.mpf(v)
    return float(v)


def as_array(a, kind: str):
    """Nested data -> NumPy object array in the scalar kind."""
    arr = np.asarray(a, dtype=object)
    out = np.empty(arr.shape, dtype=object)
    for idx, v in np.ndenumerate(arr):
        out[idx] = _to(kind, v)
    return out


def query_inputs(x, y, kind: str, mask_query: bool = True):
    """All n+1 tokens: X (n+1, d_x), Y with y_{n+1} = 0, and the mask t (the query's entry 0 unless
    ``mask_query`` is False)."""
    n = len(y)
    X = as_array(x, kind)
    Y = as_array(list(y) + [[0.0] * len(y[0])], kind)
    mask = as_array([1] * n + [0 if mask_query else 1], kind)
    return X, Y, mask


def approx_terms(cfg: WuConfig, approx: Approximants, w, x, y, kind: str = "mpmath") -> Lemma1Terms:
    """The construction's intended quantities (p_bar, r_bar', g, s_bar, grad_bar), computed without a transformer."""
    X, Y, mask = query_inputs(x, y, kind)
    return lemma1_terms(cfg.shape, as_array(w, kind), X, Y, scalar_approximant(approx.r, kind),
                        scalar_approximant(approx.rp, kind), scalar_approximant(approx.u, kind), mask=mask,
                        xp=ObjectArrays)


def exact_terms(cfg: WuConfig, w, x, y, kind: str = "mpmath", mask_query: bool = True) -> Lemma1Terms:
    """Definition 2/3 and Lemma 1 with the true r, r' and u, over the n+1 tokens (query masked unless
    ``mask_query`` is False, in which case grad is over n+1 tokens and must not be used)."""
    act, loss = get_activation(cfg.activation), get_loss(cfg.loss)
    X, Y, mask = query_inputs(x, y, kind, mask_query)
    sk = "mpmath" if kind != "sympy" else "sympy"
    return lemma1_terms(cfg.shape, as_array(w, kind), X, Y, scalar_derivative(act, 0, sk),
                        scalar_derivative(act, 1, sk), scalar_u(loss, sk), mask=mask, xp=ObjectArrays)


def project_box(w: Sequence, box: Sequence) -> list:
    """Proj onto {|w_q| <= b_q}: coordinatewise clipping."""
    out = []
    for v, b in zip(w, box):
        b = type(v)(b.numerator) / b.denominator if isinstance(b, Fraction) and not isinstance(v, Fraction) else b
        out.append(b if v > b else (-b if v < -b else v))
    return out


def projected_gd(cfg: WuConfig, box, w0, x, y, steps: int, kind: str = "mpmath") -> list[list]:
    """[w^(0), ..., w^(steps)] of exact projected GD (2.3) with step cfg.eta."""
    eta = _to(kind, Fraction(str(cfg.eta)))
    ws = [list(as_array(w0, kind))]
    for _ in range(steps):
        g = exact_terms(cfg, ws[-1], x, y, kind).grad
        ws.append(project_box([wi - eta * gi for wi, gi in zip(ws[-1], g)], box))
    return ws
