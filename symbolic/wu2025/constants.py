"""Primitive constants of Wu et al. (Lemmas 2-4 and 6; spec 5.1), derived from r and the loss with SymPy.

Nothing here is typed in: every sup and Lipschitz constant comes from ``Activation.sup_abs/lipschitz`` or
``ResidualLoss.sup_abs_u/lipschitz_u`` (exact where SymPy finds the critical points).  Each ``Constant``
records whether it is the paper's definition or ours, and the interval a sup / Lipschitz constant is taken
over.  Reading of the paper's ``B_r := max_j B_r^j`` (p.5-6): the max runs over j = 0..N, i.e. it includes
B_r^0 = B_x (the proof of Theorem 1 needs ||p(0)|| = ||x|| <= B_x to be covered; spec 5.1).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import sympy as sp

from ..activations import T, get_activation, sup_abs_expr
from ..losses import Z, get_loss
from .config import RADIUS_MODES, WuConfig

SLACK = sp.Rational(1, 10)      # ours: slack for the approximation error in safe_radius and R3'
SAFE_GRID = 100                 # ours: safe radii are rounded up to a multiple of 1/100
PAPER_GRID = 10**6              # ours: paper radii (possibly irrational) are rounded up to 1e-6


@dataclass(frozen=True)
class Constant:
    """A named constant: its exact SymPy value, where it comes from, and the interval of its sup / Lipschitz."""

    name: str
    value: sp.Expr
    source: str
    origin: str                      # 'paper' | 'ours'
    interval: tuple | None = None    # (lo, hi) for a sup / Lipschitz constant
    note: str = ""
    latex: str = ""
    extra: dict = field(default_factory=dict)


def exact(x) -> sp.Expr:
    """The decimal the user typed as an exact rational (1.5 -> 3/2); SymPy numbers pass through."""
    if isinstance(x, sp.Basic):
        return x
    if isinstance(x, float):
        return sp.Rational(repr(x))
    return sp.Rational(str(x))


ROUNDING_DIGITS = (60, 150, 500, 1200)   # ours: the precisions a rounding is decided at, in turn


def round_up(x: sp.Expr, grid: int) -> sp.Rational:
    """The smallest multiple of 1/grid that is >= x: exact for rational x; else x grid evaluated at 60 digits, and
    at up to 1200 where it lies within 10^-(digits - 15) of an integer (saturated r: softplus(R) = R + e^-R,
    sigmoid(R) = 1 - e^-R, gelu(R) = R - R (1 - Phi(R)) sit e^-R from a grid point, which 60 digits put on either
    side); an x on the grid that is not rational is compared exactly, else ValueError."""
    x = sp.sympify(x)
    if x.is_Rational:
        return sp.Rational(int(sp.ceiling(x * grid)), grid)
    for digits in ROUNDING_DIGITS:
        v = sp.N(x * grid, digits)
        k = int(sp.floor(v + sp.Rational(1, 2)))            # the nearest integer
        if abs(v - k) > sp.Float(10, digits) ** (-(digits - 15)) * max(1, abs(k)):
            return sp.Rational(int(sp.ceiling(v)), grid)
    if sp.simplify(x * grid - k) == 0:
        return sp.Rational(k, grid)
    raise ValueError(f"rounding {x} up to the 1/{grid} grid is undecided at {ROUNDING_DIGITS[-1]} digits")


def _nmax(values):
    """Max of exact positive SymPy numbers, compared at 60 digits (oo allowed)."""
    return max(values, key=lambda v: sp.N(v, 60))


def _act(config: WuConfig):
    return get_activation(config.activation)


def _sup_r(config: WuConfig, order: int, R) -> sp.Expr:
    """sup_{|t| <= R} |r^{(order)}(t)|."""
    return _act(config).sup_abs(order, -R, R)


# --- Lemma 2 / Lemma 3: B_r^j, B_r, B_r'^j, B_r' ----------------------------------------------------------

def _levels(config: WuConfig, order: int) -> tuple:
    return _levels_cached(config.activation, order, exact(config.Bx), exact(config.Bv), config.N)


@lru_cache(maxsize=256)
def _levels_cached(activation: str, order: int, Bx, Bv, N: int) -> tuple:
    levels = [Bx]
    for _ in range(N):
        levels.append(get_activation(activation).sup_abs(order, -Bv * levels[-1], Bv * levels[-1]))
    return tuple(levels)


def B_r_levels(config: WuConfig) -> tuple:
    """Lemma 2 (p.5): B_r^0 := B_x, B_r^j := max_{|t| <= B_v B_r^{j-1}} |r(t)|, j = 1..N."""
    return _levels(config, 0)


def B_r(config: WuConfig) -> sp.Expr:
    """Lemma 2 (p.5): B_r := max_j B_r^j (j = 0..N)."""
    return _nmax(B_r_levels(config))


def B_rp_levels(config: WuConfig) -> tuple:
    """Lemma 3 (p.6): B_r'^0 := B_x, B_r'^j := max_{|t| <= B_v B_r'^{j-1}} |r'(t)|, j = 1..N."""
    return _levels(config, 1)


def B_rp(config: WuConfig) -> sp.Expr:
    """Lemma 3 (p.6): B_r' := max_j B_r'^j (j = 0..N)."""
    return _nmax(B_rp_levels(config))


def R1(config: WuConfig) -> sp.Expr:
    """Lemma 2: R1 = max{B_v B_r, 1}."""
    return _nmax([exact(config.Bv) * B_r(config), sp.Integer(1)])


def R2(config: WuConfig) -> sp.Expr:
    """Lemma 3: R2 = max{B_v B_r', 1}."""
    return _nmax([exact(config.Bv) * B_rp(config), sp.Integer(1)])


def R3(config: WuConfig) -> sp.Expr:
    """Lemma 4: R3 = max{B_v B_r, B_y, 1} (the proof of Theorem 1, p.29, drops B_y)."""
    return _nmax([exact(config.Bv) * B_r(config), exact(config.By), sp.Integer(1)])


def P(config: WuConfig) -> sp.Expr:
    """Lemma 6 (p.26): P := max{sqrt(K), sqrt(d)} (d = d_y for Theorem 4)."""
    return _nmax([sp.sqrt(config.K), sp.sqrt(config.d_out)])


# --- approximation radii (ours) --------------------------------------------------------------------------

def safe_radius(config: WuConfig) -> sp.Rational:
    """Ours: a radius R that contains every pre-activation v_jk^T p(j-1) of the construction and of the network.

    Start from R_1 = B_v B_x, R_j = B_v sqrt(K) (sup_{|t|<=R_{j-1}} |r(t)| + 0.1) (j >= 2), max_j R_j rounded up to
    1/100; then check it with the M-knot interpolant rbar of r that the construction builds on [-R, R]: rho_1 = B_v
    B_x and rho_j = B_v sqrt(K) max(sup_{|t|<=rho_{j-1}} |r|, sup_{|t|<=rho_{j-1}} |rbar|) (rounded up to 1e-6) bound
    |v_jk^T p(j-1)| (Cauchy-Schwarz: ||v|| <= B_v, ||p(j-1)||_2 <= sqrt(K) max_k |p(j-1)[k]|); while max_j rho_j > R,
    R is enlarged to it (rounded up) and rbar rebuilt.  The 0.1 alone does not suffice: rbar stays within the node
    values of its segments, and a segment can reach beyond rho_{j-1} (2R/M wide), so with few knots |rbar| exceeds
    sup |r| by more than 0.1 (softplus, 4 knots: pre-activations up to 1.26 R).  The paper's R1 omits the sqrt(K)."""
    return _safe_radius_cached(config.activation, exact(config.Bv), exact(config.Bx), config.K, config.N,
                               config.knots, config.eps)


CONTAIN_GRID = 10 ** 6          # ours: the pre-activation bounds rho_j of safe_radius are rounded up to 1e-6


NODE_SLACK = sp.Rational(1, 10 ** 30)   # the interpolant's node values are r rounded to 40 digits


def _interpolant_ends(activation: str, R, M: int, rho) -> sp.Rational:
    """max |rbar(+-rho)| for the M-segment interpolant of r on [-R, R] (rho <= R), from the two nodes of each
    segment holding +-rho (node values as ``interpolant`` rounds them); with sup_{|t|<=rho} |r| (1 + 1e-30), which
    bounds every node value inside, this is sup_{|t|<=rho} |rbar| (rbar is linear between nodes).  Four node
    values, whatever M."""
    from ..sum_of_relu import node_value, to_fraction

    act = get_activation(activation)
    R, rho = to_fraction(R), to_fraction(rho)
    h = 2 * R / M

    def at(t):
        q = min(max(0, int((t + R) / h)), M - 1)
        a, b = -R + q * h, -R + (q + 1) * h
        va, vb = node_value(act.expr, T, a, 40), node_value(act.expr, T, b, 40)
        return va + (vb - va) * (t - a) / h

    best = max(abs(at(rho)), abs(at(-rho)))
    return sp.Rational(best.numerator, best.denominator)


@lru_cache(maxsize=256)
def _safe_radius_cached(activation: str, Bv, Bx, K: int, N: int, knots, eps) -> sp.Rational:
    from .approximants import construction_knots

    act = get_activation(activation)
    radii = [Bv * Bx]
    for _ in range(2, N + 1):
        radii.append(Bv * sp.sqrt(K) * (act.sup_abs(0, -radii[-1], radii[-1]) + SLACK))
    R = round_up(_nmax(radii), SAFE_GRID)
    for _ in range(64):
        M = knots if knots is not None else construction_knots(activation, R, R, eps)
        rho = [round_up(Bv * Bx, CONTAIN_GRID)]
        for _ in range(2, N + 1):
            if rho[-1] > R:                 # rationals: compared exactly
                break
            lev = _nmax([act.sup_abs(0, -rho[-1], rho[-1]) * (1 + NODE_SLACK),
                         _interpolant_ends(activation, R, M, rho[-1])])
            rho.append(round_up(Bv * sp.sqrt(K) * lev, CONTAIN_GRID))
        if max(rho) <= R:
            return R
        R = round_up(max(rho), SAFE_GRID)
    raise ValueError(f"no safe radius: the pre-activation bound keeps growing (activation {activation}, B_v = {Bv}, "
                     f"B_x = {Bx}, K = {K}, N = {N}, knots = {knots})")


def approximation_radius(config: WuConfig, which: str) -> sp.Rational:
    """Radius of the approximant of r ('r') or r' ('rp'): safe (ours), the paper's R1 / R2, or a number."""
    if which not in ("r", "rp"):
        raise ValueError(f"which must be 'r' or 'rp', got {which!r}")
    if config.radius == "safe":
        return safe_radius(config)
    if config.radius == "paper":
        return round_up(R1(config) if which == "r" else R2(config), PAPER_GRID)
    return exact(float(config.radius))


def R3_prime(config: WuConfig) -> sp.Rational:
    """Ours: R3' = max(sup_{|t|<=R} |r(t)| + 0.1, B_y, 1) with R the approximation radius of r, rounded up."""
    sup_r = _sup_r(config, 0, approximation_radius(config, "r"))
    return round_up(_nmax([sup_r + SLACK, exact(config.By), sp.Integer(1)]), SAFE_GRID)


def residual_radius(config: WuConfig) -> sp.Rational:
    """Radius of the residual z = t - y for u(t, y)[k] = phi'(z): 2 R3 ('paper'), else 2 R3' (ours)."""
    if config.radius == "paper":
        return round_up(2 * R3(config), PAPER_GRID)
    return 2 * R3_prime(config)


# --- Lipschitz constants (the paper's symbols; the interval is ours) ---------------------------------------

def L_r(config: WuConfig) -> Constant:
    """Lipschitz constant of r on the approximation interval of r (= sup |r'| there)."""
    R = approximation_radius(config, "r")
    return Constant("L_r", _act(config).lipschitz(0, -R, R), "Lemma 2 (p.6): r is L_r-smooth", "paper", (-R, R),
                    "interval (ours): the approximation interval of r", "L_r")


def L_rp(config: WuConfig) -> Constant:
    """Lipschitz constant of r' on the approximation interval of r' (= sup |r''| there; oo for ReLU)."""
    R = approximation_radius(config, "rp")
    return Constant("L_rp", _act(config).lipschitz(1, -R, R), "Lemma 3 (p.6): r' is L_r'-Lipschitz", "paper",
                    (-R, R), "interval (ours): the approximation interval of r'; oo where r' is not Lipschitz", "L_{r'}")


def L_l(config: WuConfig) -> Constant:
    """Lipschitz constant of u(., y)[k] = phi'(t_k - y_k) on residuals |z| <= residual_radius (= sup |phi''|)."""
    rho = residual_radius(config)
    return Constant("L_l", get_loss(config.loss).lipschitz_u(-rho, rho), "Lemma 4 (p.7): u is L_l-Lipschitz",
                    "paper", (-rho, rho), "interval (ours): residuals |t_k - y_k| <= 2 R3 (paper) / 2 R3' (safe)",
                    "L_l")


def sup_u(config: WuConfig) -> Constant:
    """sup_{||t||_inf <= R3, ||y||_inf <= R3} max_k |u(t, y)[k]| = sup_{|z| <= 2 R3} |phi'(z)| (part of B_l)."""
    R = 2 * R3(config)
    return Constant("sup_u", get_loss(config.loss).sup_abs_u(-R, R), "spec 5.1 (ours)", "ours", (-R, R),
                    "first term of B_l", r"\sup_{\|t\|_\infty,\|y\|_\infty\le R_3}\max_k|u(t,y)[k]|")


def B_l(config: WuConfig, eps_l, eps_r, E_r) -> sp.Expr:
    """Ours (spec 5.1): B_l := sup |u| + eps_l + L_l E_r eps_r (Lemma 6 names B_l but gives no formula)."""
    return sup_u(config).value + eps_l + L_l(config).value * E_r * eps_r


# --- L_f and f(0) - inf f (ours) -------------------------------------------------------------------------

def L_f_formula(a, ap, u_max, N: int, K: int, d: int, Bv, Bx) -> sp.Expr:
    """L_f (ours, ``L_f``) from a = sup|r|, a' = sup|r'| on the safe radius and u_max = sup_{|z| <= a + B_y} |phi'|:
    (1/2) (sum_j ||s(j)||^2 ||p(j-1)||^2)^(1/2) with the norm bounds of Lemma 1's factors (any SymPy values)."""
    width = lambda j: K if j < N else d  # noqa: E731
    s = {N: ap * sp.sqrt(d) * u_max}
    for j in range(N - 1, 0, -1):
        s[j] = ap * sp.sqrt(width(j + 1)) * Bv * s[j + 1]
    p = {0: Bx, **{j: sp.sqrt(width(j)) * a for j in range(1, N)}}
    return sp.sqrt(sum((s[j] * p[j - 1]) ** 2 for j in range(1, N + 1))) / 2


def L_f(config: WuConfig) -> Constant:
    """Ours: an analytic bound on sup_W ||grad L_n||, i.e. the Lipschitz constant of L_n on W (Cor 1.1's words).

    From Lemma 1: ||grad L_n|| <= (1/2) max_i (sum_j ||s_i(j)||^2 ||p_i(j-1)||^2)^(1/2), with
    ||s(N)|| <= a' sqrt(d) u_max, ||s(j)|| <= a' sqrt(K_{j+1}) B_v ||s(j+1)||, ||p(0)|| <= B_x,
    ||p(j)|| <= sqrt(K_j) a, where a = sup|r|, a' = sup|r'| on the safe radius, u_max = sup |phi'| on
    |z| <= a + B_y.  Assumes ||v_jk|| <= B_v for every layer including N (F5).  Lemma 14 instead assumes
    grad L_n is L_f-Lipschitz; this constant does not certify that.
    """
    R = safe_radius(config)
    a, ap = _sup_r(config, 0, R), _sup_r(config, 1, R)
    z = a + exact(config.By)
    u_max = get_loss(config.loss).sup_abs_u(-z, z)
    value = L_f_formula(a, ap, u_max, config.N, config.K, config.d_out, exact(config.Bv), exact(config.Bx))
    return Constant("L_f", value, "Corollary 1.1 (p.8) names L_f; the value is ours", "ours", (-R, R),
                    "analytic bound on sup_W ||grad L_n|| (Lipschitz constant of L_n); not a bound on the "
                    "Lipschitz constant of grad L_n that Lemma 14 assumes", "L_f")


def Delta_f(config: WuConfig) -> Constant:
    """Ours: f(0) - inf_W f <= (1/2) d sup_{|z| <= |r(0)| + B_y} phi(z) (at w = 0, p(N) = r(0) 1; phi >= 0)."""
    act, loss = _act(config), get_loss(config.loss)
    z = sp.Abs(act.expr.subs(T, 0)) + exact(config.By)
    value = sp.Rational(1, 2) * config.d_out * sup_abs_expr(loss.phi, -z, z, Z)
    return Constant("Delta_f", value, "Lemma 14 (p.32) names f(0) - inf_W f; the value is ours", "ours", (-z, z),
                    "valid for losses with phi >= 0 (square, logcosh, pseudo_huber)", r"f(0)-\inf_W f")


# --- all primitive constants -------------------------------------------------------------------------------

def primitive_constants(config: WuConfig) -> list[Constant]:
    """Every primitive constant, in dependency order, with its source and origin."""
    out = []
    for j, v in enumerate(B_r_levels(config)):
        out.append(Constant(f"B_r[{j}]", v, "Lemma 2 (p.5), restated Lemma 9 (p.19)", "paper",
                            None if j == 0 else (-exact(config.Bv) * B_r_levels(config)[j - 1],
                                                 exact(config.Bv) * B_r_levels(config)[j - 1]),
                            "B_r^0 := B_x" if j == 0 else "", f"B_r^{{{j}}}"))
    out.append(Constant("B_r", B_r(config), "Lemma 2 (p.5)", "paper", None, "max over j = 0..N", "B_r"))
    for j, v in enumerate(B_rp_levels(config)):
        out.append(Constant(f"B_rp[{j}]", v, "Lemma 3 (p.6), restated Lemma 10 (p.22)", "paper",
                            None if j == 0 else (-exact(config.Bv) * B_rp_levels(config)[j - 1],
                                                 exact(config.Bv) * B_rp_levels(config)[j - 1]),
                            "B_r'^0 := B_x" if j == 0 else "", f"B_{{r'}}^{{{j}}}"))
    out.append(Constant("B_rp", B_rp(config), "Lemma 3 (p.6)", "paper", None,
                        "max over j = 0..N; includes B_x, so B_r' >= B_x (spec 5.1)", "B_{r'}"))
    out += [Constant("R1", R1(config), "Lemma 2 (p.6)", "paper", None, "", r"R_1=\max\{B_vB_r,1\}"),
            Constant("R2", R2(config), "Lemma 3 (p.6)", "paper", None, "", r"R_2=\max\{B_vB_{r'},1\}"),
            Constant("R3", R3(config), "Lemma 4 (p.6)", "paper", None, "", r"R_3=\max\{B_vB_r,B_y,1\}"),
            Constant("P", P(config), "Lemma 6 (p.26)", "paper", None, "", r"P=\max\{\sqrt K,\sqrt d\}"),
            Constant("safe_radius", safe_radius(config), "ours", "ours", None,
                     "R_1 = B_v B_x, R_j = B_v sqrt(K)(sup_{|t|<=R_{j-1}}|r| + 0.1), max_j, rounded up to 1/100",
                     r"R_{\mathrm{safe}}"),
            Constant("R_r", approximation_radius(config, "r"), "ours", "ours", None,
                     f"approximation radius of r (mode {config.radius})", r"R_{\bar r}"),
            Constant("R_rp", approximation_radius(config, "rp"), "ours", "ours", None,
                     f"approximation radius of r' (mode {config.radius})", r"R_{\bar r'}"),
            Constant("R_u", residual_radius(config), "ours", "ours", None,
                     "residual radius of the approximant of phi'", r"R_u"),
            L_r(config), L_rp(config), L_l(config), sup_u(config), L_f(config), Delta_f(config)]
    return out


__all__ = ["Constant", "RADIUS_MODES", "B_l", "B_r", "B_r_levels", "B_rp", "B_rp_levels", "Delta_f", "L_f",
           "L_f_formula", "L_l", "L_r", "L_rp", "P", "R1", "R2", "R3", "R3_prime", "approximation_radius", "exact",
           "primitive_constants", "residual_radius", "round_up", "safe_radius", "sup_u"]
