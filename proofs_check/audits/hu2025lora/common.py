"""Shared pieces of the Hu et al. (LoRA, ICLR 2025) audit: the paper id, sources, JSON-friendly details."""
from __future__ import annotations

import math

import mpmath
import numpy as np

from ...claims import Source

PAPER = "hu2025lora"

# What is ours where the paper writes the non-explicit eps/poly(L): the construction of Lemma 3.3 (the paper gives
# none: "an application of (Alman and Song, 2023, Theorem 3.8)") and the explicit bound compared with.
POLY = ("ours: Lemma 3.3's U1, V1 are our explicit polynomial method (a degree-g Taylor / Chebyshev polynomial of exp "
        "on [-R, R], R = max_i ||beta C1 W[i,:]||_2 max_j ||C2[j,:]||_2, its feature map of rank C(g + d, d), "
        "normalised row-wise), with eta = 2 delta/(1 - delta) from the polynomial's relative-error bound delta plus a "
        "rounding allowance")
EXPLICIT = POLY + "; the paper's eps/poly(L) is read as our explicit bound named in the statement"
# the equality tolerance of every displayed-formula claim
TOLERANCE_NOTE = "ours: equality read as max-norm relative error <= 1e-10 against the exact quantity"
# where the exact quantity is a gradient
GRADIENT_NOTE = ("; the exact gradient: float64 torch autograd, at 50 digits the mpmath chain rule (itself checked "
                 "by finite differences)")


def src(where: str, kind: str = "paper", note: str = "", about: str = "statement") -> Source:
    return Source(PAPER, where, kind, note, about)


def as_float(x) -> float:
    try:
        return float(x)
    except (TypeError, ValueError):
        return math.inf


def jsonable(x):
    """Numbers as floats (mpf kept to 20 digits as strings), dicts/lists recursively."""
    if isinstance(x, dict):
        return {str(k): jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [jsonable(v) for v in x]
    if isinstance(x, mpmath.mpf):
        return mpmath.nstr(x, 20)
    if isinstance(x, np.bool_):
        return bool(x)
    if isinstance(x, (np.floating, np.integer)):
        return x.item()
    if isinstance(x, float) and not math.isfinite(x):
        return str(x)
    return x


class NullContext:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def workdps(dps):
    """mpmath.workdps(dps + 10) at high precision, nothing in float64."""
    return mpmath.workdps(dps + 10) if dps else NullContext()


def hp(x, dps):
    """At high precision, a float (a tolerance such as 1e-10) as the decimal mpf it prints as: a witness stores
    numbers as decimal strings, so a binary float bound would disagree with its own replay in the 17th digit."""
    if dps and isinstance(x, float):
        return mpmath.mpf(repr(x))
    return x
