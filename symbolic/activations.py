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
        return _sup_abs_cached(self.name, order, exactify(lo), exactify(hi))

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


def exactify(x) -> sp.Expr:
    """An exact SymPy number: ints, Fractions and decimal floats become Rationals; SymPy values pass through."""
    if isinstance(x, sp.Basic):
        return sp.Rational(str(x)) if isinstance(x, sp.Float) else x
    if isinstance(x, float):
        return sp.Rational(repr(x))
    if hasattr(x, "numerator") and hasattr(x, "denominator"):
        return sp.Rational(int(x.numerator), int(x.denominator))
    return sp.sympify(x)


ENDPOINT_DIGITS = 1200


def sup_abs_expr(expr: sp.Expr, lo, hi, var: sp.Symbol = T) -> sp.Expr:
    """sup over [lo, hi] of |expr(var)| (expr smooth): endpoints plus zeros of expr' in [lo, hi].

    The zeros of expr' are solved once over the reals (``critical_points``) and filtered by the interval; the
    result is exact when SymPy finds them all, else a 50-digit Float (mpmath roots on a bracketing grid)."""
    lo, hi = exactify(lo), exactify(hi)
    if sp.N(lo - hi, 30) > 0:
        raise ValueError(f"empty interval [{lo}, {hi}]")
    crit = critical_points(expr, var)
    lo_n, hi_n = sp.N(lo, 60), sp.N(hi, 60)
    if crit is None and not (-WIDE <= lo_n and hi_n <= WIDE):
        raise ValueError(f"interval [{lo_n:.6g}, {hi_n:.6g}] outside [-{WIDE}, {WIDE}] for numeric critical points")
    if crit is not None:
        cands = [lo, hi] + [c for c in crit if lo_n <= sp.N(c, 60) <= hi_n]
        exact = True
    else:
        cands = [lo, hi] + [sp.Float(c, 50) for c in numeric_critical_points(expr, var) if lo_n <= c <= hi_n]
        exact = False
    f = _mpmath_function(expr, var)
    with mpmath.workdps(60):
        signed = [f(mpmath.mpf(sp.N(c, 60))) for c in cands]
    i = max(range(len(cands)), key=lambda k: abs(signed[k]))
    best = expr.subs(var, cands[i])
    best = -best if signed[i] < 0 else best
    if best.is_Rational:
        return best
    if exact:
        return best
    # at an endpoint the value is exact but may be saturated (gelu(R) = R - R (1 - Phi(R)), e^(-R^2/2) below R):
    # kept to 1200 digits so that rounding it to a grid is decided as the fast constants decide it
    digits = ENDPOINT_DIGITS if i < 2 else 50
    return sp.Float(sp.N(best, digits), digits)


@lru_cache(maxsize=1024)
def _mpmath_function(expr: sp.Expr, var: sp.Symbol):
    return sp.lambdify(var, expr, modules="mpmath")


@lru_cache(maxsize=1024)
def critical_points(expr: sp.Expr, var: sp.Symbol = T):
    """Real zeros of expr' as a tuple of exact SymPy numbers, or None when SymPy cannot list them.

    Solves the numerator of expr' rewritten in exp (fast for the activations here) and keeps the roots at which
    expr' vanishes (checked at 60 digits); falls back to ``solveset`` on expr' itself."""
    d = sp.diff(expr, var)
    if d == 0:
        return ()
    for attempt in (lambda: sp.fraction(sp.together(d.rewrite(sp.exp)))[0], lambda: d):
        try:
            sol = sp.solveset(attempt(), var, sp.S.Reals)
        except (NotImplementedError, ValueError, TypeError):
            continue
        if sol == sp.S.EmptySet:
            return ()
        if isinstance(sol, sp.FiniteSet):
            f = _mpmath_function(d, var)
            with mpmath.workdps(60):
                roots = tuple(c for c in sol if abs(f(mpmath.mpf(sp.N(c, 60)))) < mpmath.mpf("1e-40"))
            if len(roots) == len(sol):
                return roots
    return None


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


WIDE = 64  # numeric critical points are searched once on [-WIDE, WIDE]


@lru_cache(maxsize=256)
def numeric_critical_points(expr: sp.Expr, var: sp.Symbol = T) -> tuple:
    """Zeros of expr' on [-WIDE, WIDE] found numerically once (mpmath, 50 digits), for expressions whose critical
    points SymPy cannot list; intervals beyond [-WIDE, WIDE] are not supported."""
    return tuple(_numeric_roots(sp.diff(expr, var), var, -WIDE, WIDE, grid=16 * WIDE))


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
