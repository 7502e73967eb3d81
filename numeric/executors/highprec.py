"""High-precision executor over the sparse compiled form: exact ``Fraction``s, SymPy Rationals, or mpmath
numbers at any precision (the scalar type of the input decides; weights are converted once per layer)."""
from __future__ import annotations

from fractions import Fraction
from typing import Callable

import mpmath

from symbolic.transformer import EWML, MLP, LinearAttention, ReluAttention

from . import run_layers
from .compiled import compile_heads, mlp_terms


def converter(kind: str) -> Callable[[Fraction], object]:
    """Fraction -> scalar: 'fraction' (exact), 'mpmath' (current mp precision), 'sympy' (Rational)."""
    if kind == "fraction":
        return lambda f: f
    if kind == "mpmath":
        return lambda f: mpmath.mpf(f.numerator) / f.denominator
    if kind == "sympy":
        import sympy as sp

        return lambda f: sp.Rational(f.numerator, f.denominator)
    raise ValueError(kind)


def apply_highprec(layer, H: list[list], num: Callable) -> list[list]:
    """One layer on H (list of token rows) in the scalar type produced by ``num``."""
    n_tok = len(H)
    zero = num(Fraction(0))
    out = [row[:] for row in H]
    if isinstance(layer, MLP):
        rows, w2 = mlp_terms(layer)
        for i, h in enumerate(H):
            hidden = {}
            for r, terms in rows.items():
                a = zero
                for c, v in terms:
                    a = a + num(v) * h[c]
                if a > 0:
                    hidden[r] = a
            for (r, c), v in w2:
                if c in hidden:
                    out[i][r] = out[i][r] + num(v) * hidden[c]
        return out
    comp = compile_heads(layer)
    scale = num(Fraction(1, n_tok)) if isinstance(layer, ReluAttention) else (
        num(layer.scale) if isinstance(layer, LinearAttention) else None)
    keys = n_tok - 1 if isinstance(layer, LinearAttention) and layer.keys == "context" else n_tok
    for sterms, vterms in zip(comp.score, comp.value):
        st = [(qc, kc, num(v)) for qc, kc, v in sterms]
        vt = [(r, c, num(v)) for r, c, v in vterms]
        for i in range(n_tok):
            hi = H[i]
            partners = (i,) if isinstance(layer, EWML) else range(keys)
            for s in partners:
                hs = H[s]
                score = zero
                for qc, kc, v in st:
                    score = score + v * hi[qc] * hs[kc]
                if isinstance(layer, ReluAttention) and not score > 0:
                    continue
                if scale is not None:
                    score = score * scale
                for r, c, v in vt:
                    out[i][r] = out[i][r] + score * v * hs[c]
    return out


def run_highprec(layers, H, kind: str = "mpmath", record: bool = True, progress=None):
    """Run layers on H (nested lists of scalars of the matching kind)."""
    num = converter(kind)
    return run_layers(layers, [list(r) for r in H], lambda layer, h: apply_highprec(layer, h, num), record, progress)
