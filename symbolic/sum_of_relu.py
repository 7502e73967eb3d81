"""Definition 4: sum-of-ReLU approximants f(z) = sum_h c_h relu(a_h^T [z; 1]) with ||a_h||_1 <= 1.

The constructive 1-D approximant is the piecewise-linear interpolant on uniform knots (spec 4.0), written as
Definition-4 units with ||a||_1 = 1 exactly:

    phi_bar(t) = phi(tau_0) relu(0 t + 1) + sum_q Delta_q (1+|tau_q|) relu(t/(1+|tau_q|) - tau_q/(1+|tau_q|)).

All weights are exact ``Fraction``s (node values are rounded to ``value_digits`` digits and that rounding is
part of the certificate computed in ``numeric.precision``), so the same approximant drives exact SymPy runs,
mpmath runs at any precision and float64/float32 runs.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Sequence

import mpmath
import sympy as sp

from .errors import require_int, require_real


def relu(x):
    """sigma(x) = max(0, x) for any ordered scalar type (Fraction, mpf, float, SymPy number)."""
    return x if x > 0 else x * 0


def to_fraction(x) -> Fraction:
    """Exact Fraction of a float, int, Fraction, SymPy Rational/Float or mpmath mpf."""
    if isinstance(x, Fraction):
        return x
    if isinstance(x, int):
        return Fraction(x)
    if isinstance(x, float):
        return Fraction(x)
    if isinstance(x, mpmath.mpf):
        sign, man, exp, _ = x._mpf_
        if not man and exp:
            raise ValueError(f"cannot convert non-finite {x} to Fraction")
        v = Fraction(int(man)) * (Fraction(2) ** int(exp))
        return -v if sign else v
    if isinstance(x, sp.Rational):
        return Fraction(int(x.p), int(x.q))
    if isinstance(x, sp.Float):
        return to_fraction(mpmath.mpf(x._mpf_))
    if isinstance(x, str):
        return Fraction(x)
    raise TypeError(f"cannot convert {type(x).__name__} to Fraction")


@dataclass(frozen=True)
class ReluUnit:
    """One unit c * relu(a^T [z; 1]): ``a`` holds the coefficients of z then the bias (last)."""

    a: tuple[Fraction, ...]
    c: Fraction

    @property
    def a_l1(self) -> Fraction:
        return sum((abs(v) for v in self.a), Fraction(0))

    def __call__(self, *z):
        s = self.a[-1]
        for coef, zk in zip(self.a[:-1], z):
            s = coef * zk + s
        return self.c * relu(s)


@dataclass(frozen=True)
class SumOfRelu:
    """An (eps, R, H, C) approximant of ``target`` (a SymPy expression in ``var``) on ``domain``."""

    units: tuple[ReluUnit, ...]
    target: sp.Expr
    var: sp.Symbol
    domain: tuple[Fraction, Fraction]
    knots: tuple[Fraction, ...] = field(default=())

    @property
    def H(self) -> int:
        """Number of units."""
        return len(self.units)

    @property
    def C(self) -> Fraction:
        """sum_h |c_h| (Definition 4)."""
        return sum((abs(u.c) for u in self.units), Fraction(0))

    @property
    def max_a_l1(self) -> Fraction:
        return max(u.a_l1 for u in self.units)

    @property
    def arity(self) -> int:
        return len(self.units[0].a) - 1

    def __call__(self, *z):
        """Evaluate sum_h c_h relu(a_h^T [z; 1]) in the scalar type of z."""
        total = None
        for u in self.units:
            v = u(*z)
            total = v if total is None else total + v
        return total

    def pieces(self) -> tuple[list[Fraction], list[tuple[Fraction, Fraction]]]:
        """Exact piecewise-linear form of a 1-D approximant: breakpoints b_1 < ... < b_m and the
        (slope, intercept) on (-inf, b_1], [b_1, b_2], ..., [b_m, inf) -- computed by a sweep, O(H log H)."""
        if self.arity != 1:
            raise ValueError("pieces() is for 1-D approximants")
        slope, icpt = Fraction(0), Fraction(0)
        events: dict[Fraction, list[tuple[Fraction, Fraction]]] = {}
        for u in self.units:
            alpha, beta = u.a
            if alpha == 0:
                icpt += u.c * relu(beta)
                continue
            b = -beta / alpha
            if alpha < 0:  # active left of b
                slope += u.c * alpha
                icpt += u.c * beta
                events.setdefault(b, []).append((-u.c * alpha, -u.c * beta))
            else:  # active right of b
                events.setdefault(b, []).append((u.c * alpha, u.c * beta))
        breaks = sorted(events)
        out = [(slope, icpt)]
        for b in breaks:
            for ds, di in events[b]:
                slope += ds
                icpt += di
            out.append((slope, icpt))
        return breaks, out

    def as_sympy(self, z: Sequence[sp.Expr] | None = None) -> sp.Expr:
        """sum_h c_h Max(0, a_h^T [z; 1]) as a SymPy expression."""
        z = list(z) if z is not None else [self.var]
        terms = []
        for u in self.units:
            lin = sp.Rational(u.a[-1].numerator, u.a[-1].denominator)
            for coef, zk in zip(u.a[:-1], z):
                lin += sp.Rational(coef.numerator, coef.denominator) * zk
            terms.append(sp.Rational(u.c.numerator, u.c.denominator) * sp.Max(0, lin))
        return sp.Add(*terms)


def uniform_knots(R, M: int) -> tuple[Fraction, ...]:
    """tau_q = -R + 2R q / M, q = 0..M (exact rationals)."""
    R = to_fraction(R) if not isinstance(R, Fraction) else R
    return tuple(-R + 2 * R * Fraction(q, M) for q in range(M + 1))


def node_value(target: sp.Expr, var: sp.Symbol, tau: Fraction, digits: int) -> Fraction:
    """phi(tau) exactly when it is rational, else rounded to ``digits`` significant digits (as a Fraction)."""
    v = target.subs(var, sp.Rational(tau.numerator, tau.denominator))
    if v.is_Rational:
        return Fraction(int(v.p), int(v.q))
    with mpmath.workdps(digits + 10):
        val = mpmath.mpf(sp.N(v, digits + 10))
    with mpmath.workdps(digits):
        return to_fraction(+val)


def interpolant(target: sp.Expr, var: sp.Symbol, R, M: int, value_digits: int = 40,
                knots: Sequence[Fraction] | None = None) -> SumOfRelu:
    """The piecewise-linear interpolant of target on [-R, R] with M uniform segments, as Definition-4 units."""
    M = require_int("--knots", M, 1)
    R = to_fraction(R)
    if R <= 0:
        raise ValueError(f"radius must be positive, got {R}")
    taus = tuple(knots) if knots is not None else uniform_knots(R, M)
    vals = [node_value(target, var, t, value_digits) for t in taus]
    slopes = [(vals[q + 1] - vals[q]) / (taus[q + 1] - taus[q]) for q in range(len(taus) - 1)]
    units = [ReluUnit((Fraction(0), Fraction(1)), vals[0])]  # phi(tau_0) * relu(0 t + 1)
    prev = Fraction(0)
    for q, m in enumerate(slopes):
        delta = m - prev
        prev = m
        scale = 1 + abs(taus[q])
        units.append(ReluUnit((1 / scale, -taus[q] / scale), delta * scale))
    return SumOfRelu(tuple(units), target, var, (taus[0], taus[-1]), taus)


def interpolation_prediction(target: sp.Expr, var: sp.Symbol, R, M: int) -> sp.Expr:
    """The classical bound h^2 sup_{[-R,R]} |phi''| / 8 with h = 2R/M (SymPy, exact where possible)."""
    from .activations import sup_abs_expr

    R = sp.nsimplify(to_fraction(R))
    h = 2 * R / M
    return h**2 * sup_abs_expr(sp.diff(target, var, 2), -R, R, var) / 8


def square_loss_u_units() -> SumOfRelu:
    """Exact two-unit form of u(t, y)[k] = 2(t - y) = 4 relu((t-y)/2) - 4 relu(-(t-y)/2), ||a||_1 = 1."""
    t, y = sp.symbols("t y", real=True)
    h = Fraction(1, 2)
    units = (ReluUnit((h, -h, Fraction(0)), Fraction(4)), ReluUnit((-h, h, Fraction(0)), Fraction(-4)))
    inf = Fraction(10**30)
    return SumOfRelu(units, 2 * (t - y), t, (-inf, inf))


def residual_units(approx: SumOfRelu, norm: str = "l1") -> SumOfRelu:
    """Lift a 1-D approximant of phi'(z) to (t, y) with z = t - y, rescaled so that ||a||_1 <= 1 (Definition 4).

    A unit c relu(alpha z + beta) becomes (c s) relu((alpha t - alpha y + beta)/s), s = max(1, 2|alpha| + |beta|).
    ``norm="l2"`` rescales only to ||a||_2 <= 1 instead, as (C.10) and (C.13) restate Definition 4 (s a rational
    upper bound of sqrt(2 alpha^2 + beta^2)); used to audit the query gate (F3).
    """
    if norm not in ("l1", "l2"):
        raise ValueError("norm must be 'l1' or 'l2'")
    units = []
    for u in approx.units:
        alpha, beta = u.a
        if norm == "l1":
            s = max(Fraction(1), 2 * abs(alpha) + abs(beta))
        else:
            l2 = 2 * alpha * alpha + beta * beta
            s = max(Fraction(1), Fraction(math.isqrt(int(l2 * 10**18)) + 1, 10**9)) if l2 > 1 else Fraction(1)
        units.append(ReluUnit((alpha / s, -alpha / s, beta / s), u.c * s))
    t, y = sp.symbols("t y", real=True)
    return SumOfRelu(tuple(units), approx.target.subs(approx.var, t - y), t, approx.domain, approx.knots)


def check_radius(param: str, R) -> Fraction:
    """Validate an approximation radius."""
    require_real(param, float(R), 0, strict_low=True)
    return to_fraction(R)
