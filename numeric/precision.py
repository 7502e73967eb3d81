"""High-precision evaluation (mpmath) and rigorous enclosures (Arb balls via python-flint).

* ``mp_eval`` evaluates a SymPy expression with mpmath at a chosen number of digits.
* ``arb_function`` turns a SymPy expression into a function on Arb balls (rigorous interval extension).
* ``certify_sup_error`` gives a certified upper bound on sup_{[lo,hi]} |phi - phi_bar| for a 1-D sum-of-ReLU
  approximant: a second-order Taylor model per sub-interval, |e(m)| + |e'(m)| r + sup_J |phi''| r^2 / 2, with
  every term an Arb enclosure, refined by branch and bound until it is within ``rtol`` of the best sample.
"""
from __future__ import annotations

import heapq
from contextlib import contextmanager
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache

import mpmath
import sympy as sp
from flint import arb, ctx, fmpq

from symbolic.errors import require_int
from symbolic.sum_of_relu import SumOfRelu

MIN_DIGITS = 15
DEFAULT_DIGITS = 50


def check_digits(digits, param: str = "--precision") -> int:
    """Validate a precision in decimal digits (>= 15)."""
    return require_int(param, digits, MIN_DIGITS, 100000)


@contextmanager
def digits(n: int):
    """Set mpmath and Arb working precision to ``n`` decimal digits inside the block."""
    n = check_digits(n)
    old = ctx.dps
    try:
        ctx.dps = n
        with mpmath.workdps(n):
            yield
    finally:
        ctx.dps = old


def mpf(x):
    """Exact conversion of Fraction / int / float / str / SymPy number to mpmath at the current precision."""
    if isinstance(x, Fraction):
        return mpmath.mpf(x.numerator) / x.denominator
    if isinstance(x, sp.Basic):
        return mpmath.mpf(sp.N(x, mpmath.mp.dps + 5))
    return mpmath.mpf(x)


def mp_eval(expr: sp.Expr, subs: dict | None = None, dps: int = DEFAULT_DIGITS):
    """Evaluate a SymPy expression with mpmath at ``dps`` digits (returns an mpf; oo -> mpf('inf'))."""
    with mpmath.workdps(dps):
        e = sp.sympify(expr)
        if subs:
            e = e.subs({k: (sp.Rational(v.numerator, v.denominator) if isinstance(v, Fraction) else v)
                        for k, v in subs.items()})
        if e == sp.oo:
            return mpmath.inf
        return mpmath.mpf(sp.N(e, dps + 5))


def to_arb(x) -> arb:
    """Exact Arb ball of a Fraction / int / float, or enclosure of an mpf."""
    if isinstance(x, Fraction):
        return arb(fmpq(x.numerator, x.denominator))
    if isinstance(x, mpmath.mpf):
        return arb(mpmath.nstr(x, mpmath.mp.dps + 5))
    return arb(x)


def interval(lo, hi) -> arb:
    """The Arb ball enclosing [lo, hi] (endpoints Fractions or floats)."""
    lo, hi = to_arb(lo), to_arb(hi)
    return (lo + hi) / 2 + arb(0, 1) * ((hi - lo) / 2)


def _pos(x):
    return x if isinstance(x, arb) else arb(x)


_ARB_NAMESPACE = {
    "exp": lambda x: _pos(x).exp(), "log": lambda x: _pos(x).log(), "sqrt": lambda x: _pos(x).sqrt(),
    "tanh": lambda x: _pos(x).tanh(), "cosh": lambda x: _pos(x).cosh(), "sinh": lambda x: _pos(x).sinh(),
    "erf": lambda x: _pos(x).erf(), "atanh": lambda x: _pos(x).atanh(), "Abs": lambda x: abs(_pos(x)),
    "pi": arb.pi(), "E": arb.const_e(),
}


@lru_cache(maxsize=256)
def arb_derivatives(expr: sp.Expr, var: sp.Symbol, orders: int = 4) -> tuple:
    """``arb_function`` of expr and its first orders - 1 derivatives (SymPy's diff of gelu's erf form costs ~5 ms,
    three per certified approximant: the derivatives are derived once per target)."""
    return tuple(arb_function(sp.diff(expr, var, k) if k else expr, var) for k in range(orders))


@lru_cache(maxsize=512)
def arb_function(expr: sp.Expr, var: sp.Symbol):
    """A Python function of an Arb ball that encloses expr(var) over the ball (rigorous)."""
    ns = dict(_ARB_NAMESPACE)
    ns["pi"], ns["E"] = arb.pi(), arb.const_e()
    fn = sp.lambdify(var, expr, modules=[ns], cse=False)
    return lambda x: _pos(fn(x))


@dataclass(frozen=True)
class SupErrorCertificate:
    """sup_{[lo, hi]} |phi - phi_bar| lies in [lower, upper]; ``upper`` is rigorous (Arb)."""

    lower: mpmath.mpf
    upper: mpmath.mpf
    lo: Fraction
    hi: Fraction
    boxes: int
    method: str = "Arb Taylor model (order 2) + branch and bound"

    def as_dict(self) -> dict:
        return {"lower": mpmath.nstr(self.lower, 20), "upper": mpmath.nstr(self.upper, 20),
                "interval": [str(self.lo), str(self.hi)], "boxes": self.boxes, "method": self.method}


def _key(ub: arb) -> float:
    f = float(ub.mid()) if ub.is_finite() else float("inf")
    return f


def certify_sup_error(approx: SumOfRelu, lo=None, hi=None, rtol: float = 1e-5, max_boxes: int = 200000,
                      dps: int = 30) -> SupErrorCertificate:
    """Certified upper bound (and a sampled lower bound) on sup_{[lo,hi]} |target - approx| (1-D approximant).

    The approximant is linear between consecutive knots, so the error on a segment [ta, tb] is
    e(t) = phi(t) - (a t + b) with e'' = phi''.  On a box J = [m - r, m + r] of the segment, |e| is bounded by the
    smaller of the Taylor model |e(m)| + |e'(m)| r + sup_J |phi''| r^2 / 2 and the interpolation remainder
    max_J (t - ta)(tb - t) sup_[ta,tb] |phi''| / 2 + (node rounding error); every term is an Arb enclosure.
    """
    if approx.arity != 1:
        raise ValueError("certify_sup_error handles 1-D approximants")
    lo = approx.domain[0] if lo is None else Fraction(lo)
    hi = approx.domain[1] if hi is None else Fraction(hi)
    f0, f1, f2, f3 = arb_derivatives(approx.target, approx.var)
    kinks, lines = approx.pieces()
    inner = [k for k in kinks if lo < k < hi]
    breaks = [lo] + inner + [hi]
    first = sum(1 for k in kinks if k <= lo)  # index of the piece containing (lo, next break)
    old = ctx.dps
    ctx.dps = dps
    try:
        heap: list = []
        lower = arb(0)
        boxes = 0

        def bound(a: Fraction, b: Fraction, seg):
            """Rigorous bound on |e| over [a, b]: the min of a Taylor model around the midpoint and the
            interpolation remainder (t - ta)(tb - t)/2 sup_seg |phi''| + max node error over the segment."""
            ta, tb, slope, icpt, s2, dnode = seg
            m = (a + b) / 2
            r = (b - a) / 2
            am = to_arb(m)
            e_m = f0(am) - (to_arb(slope) * am + to_arb(icpt))
            de_m = f1(am) - to_arb(slope)
            d2 = f2(interval(a, b))
            ub = abs(e_m).upper() + abs(de_m).upper() * to_arb(r) + abs(d2).upper() * to_arb(r) ** 2 / 2
            mid_seg = (ta + tb) / 2
            t_star = mid_seg if a <= mid_seg <= b else (a if abs(a - mid_seg) < abs(b - mid_seg) else b)
            rem = to_arb((t_star - ta) * (tb - t_star)) / 2 * s2 + dnode
            if not ub.is_finite() or (rem.is_finite() and rem.upper() < ub.upper()):
                ub = rem
            if not ub.is_finite():  # the enclosure blew up (dependency problem): split further
                ub = arb("inf")
            return ub.upper(), abs(e_m).lower()

        def sup_second_derivative(a: Fraction, b: Fraction, pieces: int = 4):
            """sup |phi''| on [a, b]: mean-value enclosures phi''(m) + phi'''(J) [-r, r] on ``pieces`` boxes."""
            best = arb(0)
            for k in range(pieces):
                lo_k, hi_k = a + (b - a) * Fraction(k, pieces), a + (b - a) * Fraction(k + 1, pieces)
                m_k, r_k = to_arb((lo_k + hi_k) / 2), to_arb((hi_k - lo_k) / 2)
                mv = abs(f2(m_k)).upper() + abs(f3(interval(lo_k, hi_k))).upper() * r_k
                direct = abs(f2(interval(lo_k, hi_k))).upper()
                v = mv if mv.is_finite() and (not direct.is_finite() or mv.upper() < direct.upper()) else direct
                if not v.is_finite():
                    return sup_second_derivative(lo_k, hi_k, pieces) if hi_k - lo_k > (b - a) / 10**6 else v
                best = v if v.upper() > best.upper() else best
            return best

        for q, (a, b) in enumerate(zip(breaks, breaks[1:])):
            slope, icpt = lines[first + q]
            dnode = arb(0)
            for x in (a, b):
                e = abs(f0(to_arb(x)) - (to_arb(slope) * to_arb(x) + to_arb(icpt)))
                if e.lower() > lower:
                    lower = e.lower()
                if e.upper() > dnode.upper():
                    dnode = e.upper()
            seg = (a, b, slope, icpt, sup_second_derivative(a, b), dnode)
            ub, lb = bound(a, b, seg)
            boxes += 1
            if lb > lower:
                lower = lb
            heapq.heappush(heap, (-_key(ub), boxes, a, b, seg, ub))
        while heap and boxes < max_boxes:
            negu, _, a, b, seg, ub = heap[0]
            if ub <= lower * (1 + arb(rtol)) or ub <= arb("1e-300"):
                break
            heapq.heappop(heap)
            mid = (a + b) / 2
            for a2, b2 in ((a, mid), (mid, b)):
                ub2, lb2 = bound(a2, b2, seg)
                boxes += 1
                if lb2 > lower:
                    lower = lb2
                heapq.heappush(heap, (-_key(ub2), boxes, a2, b2, seg, ub2))
        upper = heap[0][5] if heap else arb(0)  # the heap top carries the largest upper bound
        with mpmath.workdps(dps):
            return SupErrorCertificate(mpmath.mpf(lower.mid().str(dps, radius=False)),
                                       mpmath.mpf(upper.upper().str(dps, radius=False)), lo, hi, boxes)
    finally:
        ctx.dps = old
