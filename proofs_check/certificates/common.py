"""Finder-side helpers: exact numbers and expression text for certificates, the claimed balls, and covers of an
interval by boxes on which the checker's own enclosure proves |f| <= value (branch and bound in Arb).

The finder may import anything; it uses the checker's evaluator (``proofs_check.checker``) for the values it
claims, so that the checker recomputes exactly what was claimed, and the project's numerics for cross-checks.
"""
from __future__ import annotations

import math
from fractions import Fraction
from pathlib import Path

import mpmath
import sympy as sp
from flint import arb, ctx

from .. import checker as ck

FORMAT = ck.FORMAT
BITS = 256                     # Arb precision of violation certificates: tight balls are 2^-128 relative
COVER_BITS = BITS             # covers are checked at the certificate's precision


def exact(x) -> Fraction:
    """The exact rational value of a float (its binary value), Fraction, int, decimal string, mpf or SymPy number."""
    if isinstance(x, Fraction):
        return x
    if isinstance(x, bool):
        raise TypeError("bool")
    if isinstance(x, int):
        return Fraction(x)
    if isinstance(x, float):
        if not math.isfinite(x):
            raise ValueError(f"non-finite {x}")
        return Fraction(x)
    if isinstance(x, str):
        return Fraction(x)
    if isinstance(x, mpmath.mpf):
        sign, man, e, _ = x._mpf_
        v = Fraction(int(man)) * Fraction(2) ** int(e)
        return -v if sign else v
    if isinstance(x, sp.Rational):
        return Fraction(int(x.p), int(x.q))
    if isinstance(x, sp.Float):
        return exact(mpmath.mpf(x._mpf_))
    if hasattr(x, "item"):
        return exact(x.item())
    raise TypeError(f"cannot make {type(x).__name__} exact")


def q(x) -> str:
    """An exact rational as the string the checker reads ("p/q" or an integer)."""
    v = exact(x)
    return str(v.numerator) if v.denominator == 1 else f"{v.numerator}/{v.denominator}"


def rat(x) -> sp.Rational:
    v = exact(x)
    return sp.Rational(v.numerator, v.denominator)


def exactify(expr: sp.Expr) -> sp.Expr:
    """Replace every Float by the exact rational of its (decimal-rounded) value: certificates hold no floats."""
    return expr.xreplace({f: rat(sp.Rational(str(f))) for f in expr.atoms(sp.Float)})


def text(expr) -> str:
    """Expression text the checker parses (SymPy's str; no floats)."""
    expr = sp.sympify(expr)
    if expr.atoms(sp.Float):
        raise ValueError(f"a float in a certificate expression: {expr}")
    return sp.sstr(expr, order="none")


def up_fraction(x: arb, digits: int = 20) -> Fraction:
    """A short rational >= the upper end of x (x.upper() rounded up to ``digits`` significant digits)."""
    man, e = x.upper().man_exp()
    v = Fraction(int(man)) * Fraction(2) ** int(e)
    if v == 0:
        return Fraction(0)
    k = digits - 1 - math.floor(math.log10(abs(float(v)))) if float(v) != 0 else digits
    scale = Fraction(10) ** k
    return Fraction(math.ceil(v * scale)) / scale


def exact_point(x: arb) -> Fraction:
    man, e = x.mid().man_exp()
    return Fraction(int(man)) * Fraction(2) ** int(e)


def claimed(value, rel: Fraction = Fraction(1, 10 ** 39)) -> dict:
    """The finder's claimed ball of a value: an mpf (the project's high-precision evaluation), an exact number, or
    an Arb ball; radius ``rel`` relative (tight for 256-bit certificates)."""
    if isinstance(value, arb):
        mid = exact_point(value)
        if value.rad() == 0:
            return {"mid": q(mid), "rad": "0"}
        mid = round_sig(mid, 45)
        return {"mid": q(mid), "rad": q(abs(mid) * rel)}
    v = exact(value)
    if isinstance(value, (mpmath.mpf, float)) and v.denominator & (v.denominator - 1) == 0 and v.denominator > 2**64:
        mid = round_sig(v, 45)                    # a high-precision binary value: 45 digits and a relative radius
        return {"mid": q(mid), "rad": q(abs(mid) * rel)}
    return {"mid": q(v), "rad": "0"}


def round_sig(v: Fraction, digits: int) -> Fraction:
    """v rounded to ``digits`` significant decimal digits."""
    if v == 0:
        return v
    k = digits - 1 - math.floor(math.log10(abs(float(v))))
    scale = Fraction(10) ** k
    return Fraction(round(v * scale)) / scale


def agrees(ball_value: arb, theirs, rel: Fraction = Fraction(1, 10 ** 30)) -> bool:
    """The certificate's recomputation agrees with the claim's own high-precision evaluation (a cross-check of the
    program against the claim's ``evaluate``)."""
    mine, other = exact_point(ball_value), exact(theirs)
    return abs(mine - other) <= rel * max(abs(other), Fraction(1, 10 ** 60))


def base(kind: str, claim, bits: int = BITS, **extra) -> dict:
    """The common fields of a certificate."""
    cid = claim if isinstance(claim, str) else claim.id
    out = {"format": FORMAT, "kind": kind, "claim": cid, "precision_bits": bits}
    if not isinstance(claim, str):
        out["source"] = str(claim.source)
        out["statement"] = claim.statement
    out.update(extra)
    return out


def evaluate_certificate(cert: dict) -> tuple:
    """(observed, bound) balls of a violation certificate as the checker computes them (no claimed balls needed)."""
    old = ctx.prec
    try:
        ctx.prec = cert["precision_bits"]
        cx = ck.Context(cert)
        for c in cert.get("constants") or []:
            ck.check_constant(c, cx)
        cx.run_program(cert.get("program") or [])
        return cx.balls(cx.expr(cert["observed"])), cx.balls(cx.expr(cert["bound"]))
    finally:
        ctx.prec = old


# --------------------------------------------------------------------------------------------- covers

class CoverFailed(Exception):
    """The enclosure does not get below the value on a box even at the depth limit."""

    def __init__(self, box, upper, value):
        self.box, self.upper, self.value = box, upper, value
        super().__init__(f"on [{float(box[0]):.9g}, {float(box[1]):.9g}] the enclosure {float(upper):.9g} stays above "
                         f"{float(value):.9g}")


def _context(data: dict, functions: dict, bits: int):
    cert = {"precision_bits": bits, "data": data, "functions": functions}
    return ck.Context(cert)


def kinks(f, var: str, lo: Fraction, hi: Fraction, known: dict) -> list[Fraction]:
    """Zeros in (lo, hi) of the affine arguments of f's Max / Min / Abs / Heaviside nodes (where f has kinks)."""
    res = ck.Resolver(f, [var], known)
    out = set()
    for _, name, forms in res.nodes:
        for diffs in forms:
            for d in diffs:
                if d is None or not d[1].get(var):
                    continue
                c, lin = d
                z = -c / lin[var]
                if lo < z < hi:
                    out.add(z)
    return sorted(out)


def sup_estimate(f_exact, var: str, lo: Fraction, hi: Fraction, env: dict, points: list) -> Fraction:
    """max |f| over sample points (each an Arb point value; a lower estimate of the sup)."""
    best = Fraction(0)
    for t in points:
        v = ck.Balls({**env, var: ck.ball(t)})(f_exact)
        best = max(best, abs(exact_point(v)))
    return best


def cover(f_text: str, var: str, D: Fraction, value: Fraction, data: dict, functions: dict, order: int = 2,
          bits: int = COVER_BITS, max_depth: int = 40, max_boxes: int = 20000, lo: Fraction | None = None,
          relation: str = "abs<=") -> dict:
    """Boxes covering [lo, D] (lo = -D by default) on each of which the checker's order-``order`` enclosure proves
    |f| <= value ('abs<=') or f <= value ('<='): start from the kinks of f, bisect a box until it is proven or the
    depth limit is reached (``CoverFailed`` names the box)."""
    lo = -D if lo is None else lo
    old = ctx.prec
    ctx.prec = bits
    try:
        cx = _context(data, functions, bits)
        f = cx.expr(f_text, real=(var,))
        enc = ck.Enclosure(f, [var], order, cx.env, cx.exact)
        vb = ck.ball(value)
        breaks = [lo] + kinks(f, var, lo, D, cx.exact) + [D]
        stack = [(a, b, 0) for a, b in zip(breaks, breaks[1:])][::-1]
        done = []
        while stack:
            a, b, depth = stack.pop()
            try:
                up = enc.bound({var: (a, b)}, relation)
            except ck.Reject:                              # the enclosure blew up on a wide box: split it
                up = arb("inf")
            if up.is_finite() and up <= vb.lower():
                c = min(up_fraction(up * (1 + arb(2) ** -40), 16), value)
                done.append([[q(a), q(b)], q(c)])
                continue
            if depth >= max_depth or len(done) + len(stack) > max_boxes:
                raise CoverFailed((a, b), exact_point(up) if up.is_finite() else Fraction(10**30), value)
            m = (a + b) / 2
            stack += [(m, b, depth + 1), (a, m, depth + 1)]
        return {"order": order, "half_width": q(D), "boxes": done}
    finally:
        ctx.prec = old


def sup_cover(f_text: str, var: str, D: Fraction, data: dict, functions: dict, margin: Fraction, order: int = 2,
              bits: int = COVER_BITS, max_boxes: int = 20000, min_width: Fraction = Fraction(1, 2 ** 50),
              argmax: list | None = None) -> tuple:
    """(value, cover): best-first branch and bound for sup_{[-D, D]} |f|: the box with the largest upper bound is
    split until that upper bound is within ``margin`` (relative) of the best value seen at a box midpoint; the value
    is the largest upper bound (rounded up) and the cover holds every box with its own upper bound.  ``argmax``: a
    list that receives the midpoint where the best value was seen."""
    import heapq

    old = ctx.prec
    ctx.prec = bits
    try:
        cx = _context(data, functions, bits)
        f = cx.expr(f_text, real=(var,))
        enc = ck.Enclosure(f, [var], order, cx.env, cx.exact)
        breaks = [-D] + kinks(f, var, -D, D, cx.exact) + [D]
        lower, heap, n, best = Fraction(0), [], 0, [None]

        def push(a, b):
            nonlocal lower, n
            try:
                up = enc.bound({var: (a, b)}, "abs<=")
                upq = up_fraction(up * (1 + arb(2) ** -40), 16) if up.is_finite() else None
            except ck.Reject:
                upq = None
            m = (a + b) / 2
            try:
                val = ck.Balls({**cx.env, var: ck.ball(m)})(f)
                low = exact_point(ck.ball_abs(val).lower())
                if best[0] is None or low > lower:        # (lower is 0 until the first midpoint)
                    lower, best[0] = low, m
            except ck.Reject:
                pass
            n += 1
            heapq.heappush(heap, (-(upq if upq is not None else Fraction(10 ** 40)), n, a, b, upq))

        for a, b in zip(breaks, breaks[1:]):
            push(a, b)
        while True:
            negu, _, a, b, upq = heap[0]
            if upq is not None and upq <= lower * (1 + margin):
                break
            if len(heap) >= max_boxes or b - a < min_width:
                raise CoverFailed((a, b), -negu, lower)
            heapq.heappop(heap)
            m = (a + b) / 2
            push(a, m)
            push(m, b)
        value = max(u for *_, u in heap)
        if argmax is not None:
            argmax.append(best[0])
        boxes = sorted(([[q(a), q(b)], q(u)] for _, _, a, b, u in heap), key=lambda x: Fraction(x[0][0]))
        return value, {"order": order, "half_width": q(D), "boxes": boxes}
    finally:
        ctx.prec = old


def sup_constant(name: str, function: str, var: str, radius: str, data: dict, functions: dict, env_values=None,
                 rel_margin: Fraction = Fraction(1, 10 ** 9), order: int = 2, lower_values: dict | None = None
                 ) -> dict:
    """A constant entry: name := sup_{|var| <= radius} |function|, its value the branch and bound's upper bound
    (within ``rel_margin`` of the sup) and the cover proving it.  ``env_values``: earlier constants' values (name ->
    Fraction) the radius may use.  ``lower_values`` (name -> Fraction, the lower ends of earlier two-sided
    constants; {} when there are none): the entry is two-sided, ``attained`` a point t0 with |t0| <= radius (the
    radius at those lower ends), and this constant's lower end |f(t0)| (rounded down) is added to the dict for the
    constants after it."""
    data_all = dict(data)
    data_all.update({k: q(v) for k, v in (env_values or {}).items()})
    old = ctx.prec
    ctx.prec = COVER_BITS
    try:
        cx = _context(data_all, functions, COVER_BITS)
        D = up_fraction(cx.balls(cx.expr(radius)), 12)
    finally:
        ctx.prec = old
    arg: list = []
    value, cov = sup_cover(function, var, D, data_all, functions, rel_margin, order=order, argmax=arg)
    out = {"name": name, "function": function, "var": var, "radius": radius, "value": q(value), "cover": cov}
    if lower_values is not None:
        out["attained"], lower = _attained(function, var, radius, {**data, **{k: q(v) for k, v in
                                                                             lower_values.items()}},
                                           functions, arg[0] if arg else Fraction(0))
        lower_values[name] = Fraction(lower)
    return out


def _attained(function: str, var: str, radius: str, data_low: dict, functions: dict, guess) -> tuple:
    """(t0, lower): the best of the guess (clipped into the radius at the lower ends of the constants), the two ends
    and 0, by |f|; lower = |f(t0)| rounded down."""
    old = ctx.prec
    ctx.prec = COVER_BITS
    try:
        cx = _context(data_low, functions, COVER_BITS)
        r_ball = cx.balls(cx.expr(radius))
        r_lo = max(Fraction(0), -up_fraction(-r_ball.lower(), 30))
        r_lo = r_lo * (1 - Fraction(1, 10 ** 12))     # certainly inside (Arb rounds the radii of the balls up)
        f = cx.expr(function, real=(var,))
        best = None
        for t in {max(-r_lo, min(r_lo, Fraction(guess))), r_lo, -r_lo, Fraction(0)}:
            low = ck.ball_abs(ck.Balls({**cx.env, var: ck.ball(t)})(f)).lower()
            lowq = -up_fraction(-low, 30)
            if best is None or lowq > best[1]:
                best = (t, max(Fraction(0), lowq))
        return q(best[0]), q(best[1])
    finally:
        ctx.prec = old


def write_certificate(cert: dict, out_dir, cause: str | None = None) -> Path:
    """``out_dir/certificates/<claim>[@<cause>].json`` (the witness naming)."""
    from ..io import write_json_atomic
    from ..witness import witness_name

    path = Path(out_dir) / "certificates" / witness_name(cert["claim"], cause)
    write_json_atomic(path, cert)
    return path
