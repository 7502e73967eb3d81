"""Helpers shared by the Softmax (``softmax``) and Appendix G (``appg``) claims of Wu et al.: configurations as JSON
inside instances (so ``evaluate`` depends on the instance only and a witness replays from its file), and rationals
written as strings."""
from __future__ import annotations

import json
from fractions import Fraction

import mpmath

from symbolic.wu2025.config import WuConfig

CONFIG_KEYS = ("d_in", "d_out", "K", "N", "n", "L", "eta", "Bv", "Bx", "By", "activation", "loss", "knots", "radius")


def config_dict(cfg: WuConfig) -> dict:
    """The fields of a configuration that a construction depends on, as JSON."""
    return {k: getattr(cfg, k) for k in CONFIG_KEYS}


def config_of(d: dict) -> WuConfig:
    """The configuration of an instance's ``config`` entry."""
    return WuConfig(**{k: d[k] for k in CONFIG_KEYS if k in d})


def key_of(*parts) -> str:
    """A hashable cache key of JSON parts (constructions are cached by what they are built from)."""
    return json.dumps(parts, sort_keys=True)


def frac(v) -> Fraction:
    """A rational from an instance entry ('1/100', '5e-5', 0.5, 3)."""
    return Fraction(str(v))


def mpf_of(q: Fraction) -> mpmath.mpf:
    """A rational as an mpf at the current precision."""
    return mpmath.mpf(q.numerator) / q.denominator


def same_as(expected: dict, key: str, label: str):
    """A hypothesis check: the instance's ``key`` entry is the claim's stated ``expected`` (a witness of another
    model is not a witness of this claim)."""
    def check(inst):
        got = inst[key]
        return got == expected, (f"{label} as stated" if got == expected else f"{label} differs from the statement: "
                                 + ", ".join(f"{k} = {got.get(k)!r} (stated {v!r})" for k, v in expected.items()
                                             if got.get(k) != v))

    return check
