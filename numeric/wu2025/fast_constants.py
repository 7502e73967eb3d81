"""The primitive constants of Wu et al. (``symbolic.wu2025.constants``) by mpmath, for adversarial searches.

``symbolic.wu2025.constants`` derives every sup and Lipschitz constant exactly with SymPy; a search that visits
hundreds of configurations cannot afford that (seconds per configuration for nested levels, minutes for erf).  Here
the same definitions are evaluated numerically from the known critical points of each activation and loss, with the
rational values tracked exactly where a maximum is attained by a rational candidate (B_x, B_y, 1, r'(0), ...), so
the rounded radii come out as the same exact rationals.  A rounded value within 1e-25 of its grid is recomputed
at up to 1200 digits (``ESCALATE``); ``Tie`` (the caller falls back to the symbolic module) only when that does
not decide it.  The audits confirm with the
symbolic constants; the tests hold both in agreement.
"""
from __future__ import annotations

import math
from fractions import Fraction
from functools import lru_cache

import mpmath

SAFE_GRID = 100
PAPER_GRID = 10**6
SLACK = Fraction(1, 10)


def _phi(t):
    return mpmath.exp(-t * t / 2) / mpmath.sqrt(2 * mpmath.pi)


def _Phi(t):
    return (1 + mpmath.erf(t / mpmath.sqrt(2))) / 2


def _sig(t):
    return 1 / (1 + mpmath.exp(-t))


# r, r', r'' and the critical points of r^(order) (zeros of r^(order+1)) for order 0, 1, 2
ACT = {
    "sigmoid": ((_sig, lambda t: _sig(t) * (1 - _sig(t)), lambda t: _sig(t) * (1 - _sig(t)) * (1 - 2 * _sig(t))),
                (lambda: [], lambda: [mpmath.mpf(0)],
                 lambda: [-mpmath.log(2 + mpmath.sqrt(3)), mpmath.log(2 + mpmath.sqrt(3))])),
    "tanh": ((mpmath.tanh, lambda t: 1 - mpmath.tanh(t) ** 2, lambda t: -2 * mpmath.tanh(t) * (1 - mpmath.tanh(t) ** 2)),
             (lambda: [], lambda: [mpmath.mpf(0)],
              lambda: [-mpmath.atanh(1 / mpmath.sqrt(3)), mpmath.atanh(1 / mpmath.sqrt(3))])),
    "softplus": ((lambda t: mpmath.log(1 + mpmath.exp(t)), _sig, lambda t: _sig(t) * (1 - _sig(t))),
                 (lambda: [], lambda: [], lambda: [mpmath.mpf(0)])),
    "gelu": ((lambda t: t * _Phi(t), lambda t: _Phi(t) + t * _phi(t), lambda t: _phi(t) * (2 - t * t)),
             (lambda: [mpmath.findroot(lambda t: _Phi(t) + t * _phi(t), -0.75)],
              lambda: [-mpmath.sqrt(2), mpmath.sqrt(2)], lambda: [mpmath.mpf(-2), mpmath.mpf(0), mpmath.mpf(2)])),
}
# exactly rational values at t = 0: (activation, order) -> value
RATIONAL_AT_0 = {("sigmoid", 0): Fraction(1, 2), ("sigmoid", 1): Fraction(1, 4), ("sigmoid", 2): Fraction(0),
                 ("tanh", 0): Fraction(0), ("tanh", 1): Fraction(1), ("tanh", 2): Fraction(0),
                 ("softplus", 1): Fraction(1, 2), ("softplus", 2): Fraction(1, 4),
                 ("gelu", 0): Fraction(0), ("gelu", 1): Fraction(1, 2)}


class Num:
    """A value with its exact rational form when it has one (None: irrational)."""

    __slots__ = ("v", "q")

    def __init__(self, v, q=None):
        self.v, self.q = (mpmath.mpf(q.numerator) / q.denominator if q is not None else v), q

    @classmethod
    def rat(cls, q) -> "Num":
        q = Fraction(q)
        return cls(None, q)

    def __mul__(self, other: "Num") -> "Num":
        q = self.q * other.q if self.q is not None and other.q is not None else None
        return Num(self.v * other.v, q)


def nmax(xs: list[Num]) -> Num:
    best = xs[0]
    for x in xs[1:]:
        if x.v > best.v:
            best = x
    return best


def exact(x) -> Fraction:
    """The decimal the user typed as an exact rational (1.5 -> 3/2), as ``constants.exact``."""
    return Fraction(repr(x)) if isinstance(x, float) else Fraction(str(x))


def sup_abs(act: str, order: int, c: Num) -> Num:
    """sup_{|t| <= c} |r^(order)(t)|: the endpoints and the interior critical points."""
    f = ACT[act][0][order]
    cands = [Num(abs(f(c.v))), Num(abs(f(-c.v)))]
    for t in ACT[act][1][order]():
        if -c.v < t < c.v:
            q = RATIONAL_AT_0.get((act, order)) if t == 0 else None
            cands.append(Num(abs(f(t)), abs(q) if q is not None else None))
    return nmax(cands)


def levels(act: str, order: int, Bx: Fraction, Bv: Fraction, N: int) -> list[Num]:
    out = [Num.rat(Bx)]
    for _ in range(N):
        out.append(sup_abs(act, order, Num.rat(Bv) * out[-1]))
    return out


class Tie(Exception):
    """A rounded value too close to its grid to be decided numerically."""


def round_up(x: Num, grid: int) -> Fraction:
    """ceil(x grid) / grid, exactly; Tie when x grid is within 10^-(working digits - 20) of an integer (1e-25 at
    the first precision ``primitives`` tries)."""
    if x.q is not None:
        return Fraction(math.ceil(x.q * grid), grid)
    v = x.v * grid
    if abs(v - mpmath.nint(v)) < mpmath.mpf(10) ** -(mpmath.mp.dps - 20):
        raise Tie()
    return Fraction(int(mpmath.ceil(v)), grid)


CONTAIN_GRID = 10 ** 6


NODE_SLACK = Fraction(1, 10 ** 30)


@lru_cache(maxsize=4096)
def _node(act: str, t: Fraction) -> Fraction:
    """The interpolant's node value r(t) as the construction stores it (``sum_of_relu.node_value``, 40 digits)."""
    from symbolic.activations import T, get_activation
    from symbolic.sum_of_relu import node_value

    return node_value(get_activation(act).expr, T, t, 40)


def _interpolant_ends(act: str, R: Fraction, M: int, rho: Fraction) -> Num:
    """max |rbar(+-rho)| of the M-segment interpolant of r on [-R, R] (``constants._interpolant_ends``): exact, from
    the construction's rational node values."""
    h = 2 * R / M

    def at(t: Fraction) -> Fraction:
        q = min(max(0, int((t + R) / h)), M - 1)
        a, b = -R + q * h, -R + (q + 1) * h
        va, vb = _node(act, a), _node(act, b)
        return va + (vb - va) * (t - a) / h

    return Num.rat(max(abs(at(rho)), abs(at(-rho))))


ESCALATE = (150, 500, 1200)     # digits tried after a Tie: saturated r (1 - sigmoid(R) ~ e^-R, R <= 1000; gelu's
#                                 R (1 - Phi(R)) ~ e^(-R^2/2), R <= 60) puts a rounded value e^-R above or below
#                                 its grid point, which 45 digits cannot tell from on it


def decided(fn, *args, dps: int = 30):
    """``fn(*args)`` at dps + 15 working digits, then at each of ``ESCALATE`` while a rounding is a Tie there."""
    for digits in (dps, *(e for e in ESCALATE if e > dps)):
        try:
            with mpmath.workdps(digits + 15):
                return fn(*args)
        except Tie:
            continue
    raise Tie()


def safe_radius(act: str, Bv: Fraction, Bx: Fraction, K: int, N: int, knots: int | None = None) -> Fraction:
    """``constants.safe_radius``: the start R, then enlarged until the interpolant's pre-activation bounds fit
    (``knots`` None, the --eps mode: Tie, the symbolic module decides)."""
    if knots is None:
        raise Tie()
    return decided(_safe_radius, act, Bv, Bx, K, N, knots)


def _safe_radius(act: str, Bv: Fraction, Bx: Fraction, K: int, N: int, knots: int) -> Fraction:
    radii = [Num.rat(Bv) * Num.rat(Bx)]
    sqK = Num(mpmath.sqrt(K), Fraction(math.isqrt(K)) if math.isqrt(K) ** 2 == K else None)
    for _ in range(2, N + 1):
        s = sup_abs(act, 0, radii[-1])
        inner = Num(s.v + mpmath.mpf(1) / 10, s.q + SLACK if s.q is not None else None)
        radii.append(Num.rat(Bv) * sqK * inner)
    R = round_up(nmax(radii), SAFE_GRID)
    for _ in range(64):
        rho = [round_up(Num.rat(Bv) * Num.rat(Bx), CONTAIN_GRID)]
        for _ in range(2, N + 1):
            if rho[-1] > R:
                break
            s0 = sup_abs(act, 0, Num.rat(rho[-1]))
            lev = nmax([Num(s0.v * (1 + mpmath.mpf(NODE_SLACK.numerator) / NODE_SLACK.denominator),
                            s0.q * (1 + NODE_SLACK) if s0.q is not None else None),
                        _interpolant_ends(act, R, knots, rho[-1])])
            rho.append(round_up(Num.rat(Bv) * sqK * lev, CONTAIN_GRID))
        if max(rho) <= R:
            return R
        R = Fraction(math.ceil(max(rho) * SAFE_GRID), SAFE_GRID)
    raise ValueError("no safe radius")


LOSS = {
    # name: (phi, phi' sup on [-z, z], phi'' sup on [-z, z] (Lipschitz of u), sup phi on [-z, z])
    "square": (lambda z: 2 * z, lambda z: Fraction(2), lambda z: z * z),
    "logcosh": (lambda z: mpmath.tanh(z), lambda z: Fraction(1), lambda z: mpmath.log(mpmath.cosh(z))),
    "pseudo_huber": (lambda z: z / mpmath.sqrt(1 + z * z), lambda z: Fraction(1), lambda z: mpmath.sqrt(1 + z * z) - 1),
}


def primitives(cfg, dps: int = 30) -> tuple[dict, tuple]:
    """name -> mpf of the primitive constants (the names of ``constants.primitive_constants``) and the radii
    (R of r, R of r', the gate's R3, the residual radius) as exact rationals.  A rounding too close to its grid
    at ``dps`` digits is recomputed at the ``ESCALATE`` precisions; Tie only when none decides it (a value on the
    grid whose rational form is not tracked: the symbolic module decides)."""
    act = cfg.activation
    if act not in ACT or cfg.loss not in LOSS:
        raise ValueError(f"no fast constants for activation {act!r} / loss {cfg.loss!r}")
    if cfg.knots is None:               # the --eps mode: no precision decides it, the symbolic module does
        raise Tie()
    return decided(_primitives, cfg, dps=dps)


def _primitives(cfg) -> tuple[dict, tuple]:
    act = cfg.activation
    Bv, Bx, By = exact(cfg.Bv), exact(cfg.Bx), exact(cfg.By)
    lv = levels(act, 0, Bx, Bv, cfg.N)
    lvp = levels(act, 1, Bx, Bv, cfg.N)
    B_r, B_rp = nmax(lv), nmax(lvp)
    one = Num.rat(1)
    R1 = nmax([Num.rat(Bv) * B_r, one])
    R2 = nmax([Num.rat(Bv) * B_rp, one])
    R3 = nmax([Num.rat(Bv) * B_r, Num.rat(By), one])
    safe = _safe_radius(act, Bv, Bx, cfg.K, cfg.N, cfg.knots)
    if cfg.radius == "safe":
        Rr = Rrp = safe
    elif cfg.radius == "paper":
        Rr, Rrp = round_up(R1, PAPER_GRID), round_up(R2, PAPER_GRID)
    else:
        Rr = Rrp = exact(float(cfg.radius))
    sup_r_R = sup_abs(act, 0, Num.rat(Rr))
    R3p = round_up(nmax([Num(sup_r_R.v + mpmath.mpf(1) / 10, sup_r_R.q + SLACK if sup_r_R.q is not None else None),
                         Num.rat(By), one]), SAFE_GRID)
    if cfg.radius == "paper":
        gate = round_up(R3, PAPER_GRID)
        rho = round_up(Num(2 * R3.v, 2 * R3.q if R3.q is not None else None), PAPER_GRID)
    else:
        gate = R3p
        rho = 2 * R3p
    du, lip_u, phi = LOSS[cfg.loss]
    q = lambda f: mpmath.mpf(f.numerator) / f.denominator  # noqa: E731
    vals = {"B_r": B_r.v, "B_rp": B_rp.v, "R3": R3.v,
            "L_r": sup_abs(act, 1, Num.rat(Rr)).v, "L_rp": sup_abs(act, 2, Num.rat(Rrp)).v,
            "L_l": q(lip_u(rho)), "sup_u": mpmath.mpf(abs(du(2 * R3.v)))}
    # ours (bounds.definitions_columns_safe): sup |r| on the interval of r, sup |phi'| on |z| <= that + B_y
    vals["sup_r_R"] = sup_r_R.v
    vals["sup_u_R"] = mpmath.mpf(abs(du(sup_r_R.v + q(By))))
    # L_f (ours): analytic bound on sup_W ||grad L_n|| on the safe radius
    a, ap = sup_abs(act, 0, Num.rat(safe)).v, sup_abs(act, 1, Num.rat(safe)).v
    z = a + q(By)
    u_max = abs(du(z))
    N, K, d = cfg.N, cfg.K, cfg.d_out
    width = lambda j: K if j < N else d  # noqa: E731
    s = {N: ap * mpmath.sqrt(d) * u_max}
    for j in range(N - 1, 0, -1):
        s[j] = ap * mpmath.sqrt(width(j + 1)) * q(Bv) * s[j + 1]
    p = {0: q(Bx), **{j: mpmath.sqrt(width(j)) * a for j in range(1, N)}}
    vals["L_f"] = mpmath.sqrt(mpmath.fsum((s[j] * p[j - 1]) ** 2 for j in range(1, N + 1))) / 2
    z0 = abs(ACT[act][0][0](mpmath.mpf(0))) + q(By)
    vals["Delta_f"] = mpmath.mpf(d) / 2 * phi(z0)
    return vals, (Rr, Rrp, gate, rho)


__all__ = ["primitives", "Tie", "sup_abs", "safe_radius"]
