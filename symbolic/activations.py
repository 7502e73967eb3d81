"""Activations r of Definition 1, with r', r'' and their sup / Lipschitz constants derived by SymPy.

Every constant that depends on the activation (L_r, L_r', B_r^j, ...) is computed from the SymPy expression
of r here, never typed in.  Critical points come from ``solveset``; where SymPy cannot solve, an mpmath root
search on a fine bracketing grid is used and the result is returned as a 50-digit ``Float`` (and said so).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import mpmath
import sympy as sp

from .errors import ConfigError

T = sp.Symbol("t", real=True)


class NotDifferentiable(ValueError):
    """Raised for a derivative that does not exist as a function (e.g. ReLU'')."""


@dataclass(frozen=True)
class Activation:
    """A scalar activation r(t) given by a SymPy expression in ``T``."""

    name: str
    expr: sp.Expr
    smoothness: int | None  # r is C^k everywhere; None means C^infinity
    note: str = ""

    def is_Ck(self, k: int) -> bool:
        """True if r is k times continuously differentiable on R."""
        return self.smoothness is None or self.smoothness >= k

    def derivative(self, order: int = 1) -> sp.Expr:
        """r^{(order)}(t) as a SymPy expression; ReLU' is the step 1(t > 0); ReLU'' does not exist."""
        if order == 0:
            return self.expr
        if self.name == "relu":
            if order == 1:
                return sp.Heaviside(T, 0)
            raise NotDifferentiable(f"relu has no derivative of order {order} (r' = 1(t>0) is discontinuous)")
        return sp.diff(self.expr, T, order)

    def sup_abs(self, order: int, lo, hi) -> sp.Expr:
        """sup_{t in [lo, hi]} |r^{(order)}(t)|, exact where SymPy finds the critical points."""
        return _sup_abs_cached(self.name, order, sp.nsimplify(lo), sp.nsimplify(hi))

    def lipschitz(self, order: int, lo, hi) -> sp.Expr:
        """Lipschitz constant of r^{(order)} on [lo, hi] = sup |r^{(order+1)}|; oo where it does not exist."""
        if self.name == "relu" and order >= 1:
            return sp.oo if lo < 0 < hi or lo <= 0 <= hi else sp.Integer(0)
        return self.sup_abs(order + 1, lo, hi)


def _gelu() -> sp.Expr:
    return T * (1 + sp.erf(T / sp.sqrt(2))) / 2


ACTIVATIONS: dict[str, Activation] = {
    "sigmoid": Activation("sigmoid", 1 / (1 + sp.exp(-T)), None),
    "tanh": Activation("tanh", sp.tanh(T), None),
    "softplus": Activation("softplus", sp.log(1 + sp.exp(T)), None),
    "gelu": Activation("gelu", _gelu(), None, "exact erf form t*Phi(t)"),
    "relu": Activation("relu", sp.Max(0, T), 0,
                       "outside Theorem 1: r' = 1(t>0) is not Lipschitz, r is not C^4 (kink at 0)"),
}


def get_activation(name: str) -> Activation:
    """Look up an activation by name; ConfigError naming ``--activation`` otherwise."""
    try:
        return ACTIVATIONS[name]
    except KeyError:
        raise ConfigError("--activation", f"must be one of {', '.join(ACTIVATIONS)}; got {name!r}") from None


def sup_abs_expr(expr: sp.Expr, lo, hi, var: sp.Symbol = T) -> sp.Expr:
    """sup over [lo, hi] of |expr(var)| (expr smooth): endpoints plus zeros of expr'."""
    lo, hi = sp.nsimplify(lo), sp.nsimplify(hi)
    if lo > hi:
        raise ValueError(f"empty interval [{lo}, {hi}]")
    cands = [lo, hi]
    d = sp.diff(expr, var)
    crit = None
    if d != 0:
        try:
            crit = sp.solveset(sp.simplify(d), var, sp.Interval(lo, hi))
        except (NotImplementedError, ValueError):
            crit = None
    exact = isinstance(crit, sp.FiniteSet) or crit == sp.S.EmptySet or d == 0
    if exact:
        cands.extend(list(crit) if crit not in (None, sp.S.EmptySet) else [])
    else:
        cands.extend(sp.Float(c, 50) for c in _numeric_roots(d, var, lo, hi))
    values = [sp.Abs(expr.subs(var, c)) for c in cands]
    best = max(values, key=lambda v: sp.N(v, 60))
    best = sp.nsimplify(best) if best.is_Rational else sp.simplify(best)
    return best if exact else sp.Float(sp.N(best, 50), 50)


@lru_cache(maxsize=4096)
def _sup_abs_cached(name: str, order: int, lo: sp.Expr, hi: sp.Expr) -> sp.Expr:
    act = ACTIVATIONS[name]
    if name == "relu":
        if order == 0:
            return sp.Max(sp.Abs(lo), sp.Abs(hi)) if hi > 0 else sp.Integer(0)
        if order == 1:
            return sp.Integer(1) if hi > 0 else sp.Integer(0)
        raise NotDifferentiable("relu'' does not exist")
    return sup_abs_expr(act.derivative(order), lo, hi)


def _numeric_roots(d: sp.Expr, var: sp.Symbol, lo, hi, grid: int = 4000) -> list:
    """Zeros of d on [lo, hi] by sign changes on a fine grid, refined by mpmath bisection (Illinois)."""
    f = sp.lambdify(var, d, modules="mpmath")
    roots = []
    with mpmath.workdps(60):
        a, b = mpmath.mpf(sp.N(lo, 60)), mpmath.mpf(sp.N(hi, 60))
        xs = [a + (b - a) * k / grid for k in range(grid + 1)]
        fs = [f(x) for x in xs]
        for x0, x1, f0, f1 in zip(xs, xs[1:], fs, fs[1:]):
            if f0 == 0:
                roots.append(x0)
            elif f0 * f1 < 0:
                roots.append(mpmath.findroot(f, (x0, x1), solver="illinois"))
    return roots
