"""Explicit error bounds (the project's, replacing the paper's 'eps/poly(L)'), as SymPy expressions.

Polynomial method for exp on [-R, R] (relative error delta, |P(s) - e^s| <= delta e^s):
(T) Taylor, (CI) Chebyshev interpolation, (CT) truncated Chebyshev series.  The chain bounds follow the spec's
Sec. 2.4 steps 1-10 for the CORRECTED chain (p1 = f (.) q^T, p2 = diag(r) f); step 9 is replaced by the
sandwich bound ||X^T Delta Y||_max <= L ||X||_max ||Y||_max max_l ||Delta[l, :]||_1 (the paper's
'sub-multiplicative property of the infinity norm' is not a property of the max norm).
"""
from __future__ import annotations

from functools import lru_cache

import mpmath
import sympy as sp

R, g, delta, eta, u = sp.symbols("R g delta eta u", positive=True)
d, L, n = sp.symbols("d L n", positive=True, integer=True)
M1, M2, M3, MY, MB, MA, N1, N2, beta, s, MX, MBV, MAV, P1, P2 = sp.symbols(
    "M1 M2 M3 MY MB MA N1 N2 beta s MX MBV MAV P1 P2", nonnegative=True)

# ------------------------------------------------------------------------------------------ Sec. 2.2 polynomials
DELTA_T = sp.exp(R) * R ** (g + 1) / sp.factorial(g + 1)
DELTA_CI = sp.exp(2 * R) * R ** (g + 1) / (2 ** g * sp.factorial(g + 1))
_k = sp.Symbol("k", integer=True, positive=True)
DELTA_CT = 2 * sp.exp(R) * sp.Sum(sp.besseli(_k, R), (_k, g + 1, sp.oo))
ETA = 2 * delta / (1 - delta)                    # |f~ - f| <= eta f entrywise when delta < 1
GAMMA = n * u / (1 - n * u)                      # Higham's gamma_n
METHODS = ("taylor", "cheb_interp", "cheb_trunc")


def delta_bound(method: str, Rv, gv: int, dps: int = 50):
    """delta_T / delta_CI / delta_CT at (R, g) as an mpmath number (CT: the Bessel tail summed explicitly)."""
    with mpmath.workdps(dps):
        Rm = mpmath.mpf(Rv)
        if method == "taylor":
            return mpmath.exp(Rm) * Rm ** (gv + 1) / mpmath.factorial(gv + 1)
        if method == "cheb_interp":
            return mpmath.exp(2 * Rm) * Rm ** (gv + 1) / (mpmath.mpf(2) ** gv * mpmath.factorial(gv + 1))
        if method == "cheb_trunc":
            tail, k = mpmath.mpf(0), gv + 1
            while True:
                t = mpmath.besseli(k, Rm)
                tail += t
                if t < tail * mpmath.mpf(10) ** (-dps) or k > gv + 400:
                    break
                k += 1
            return 2 * mpmath.exp(Rm) * tail
    raise ValueError(f"unknown polynomial method {method!r}")


def _ct_bounds(Rv: float, gmax: int, dps: int = 30) -> list:
    """delta_CT(R, g) for g = 0..gmax from one table of I_k(R) (tails summed from the top)."""
    with mpmath.workdps(dps):
        Rm = mpmath.mpf(Rv)
        terms, k = [], 0
        while True:
            t = mpmath.besseli(k, Rm)
            terms.append(t)
            if (k > gmax and t < mpmath.mpf(10) ** (-2 * dps) * terms[0]) or k > gmax + 400:
                break
            k += 1
        tails, acc = [mpmath.mpf(0)] * len(terms), mpmath.mpf(0)
        for i in range(len(terms) - 1, -1, -1):
            tails[i] = acc          # sum_{k > i} I_k
            acc += terms[i]
        e = 2 * mpmath.exp(Rm)
        return [e * tails[gv] for gv in range(gmax + 1)]


@lru_cache(maxsize=4096)
def g_star(method: str, Rv: float, deltav: float, gmax: int = 400) -> int:
    """g*(R, delta) := min{g : bound <= delta} (gmax + 1 when none)."""
    if method == "cheb_trunc":
        step = 32
        lo = 0
        while lo <= gmax:
            hi = min(gmax, lo + step)
            vals = _ct_bounds(Rv, hi)
            for gv in range(lo, hi + 1):
                if vals[gv] <= deltav:
                    return gv
            lo, step = hi + 1, step * 2
        return gmax + 1
    for gv in range(0, gmax + 1):
        if delta_bound(method, Rv, gv, 30) <= deltav:
            return gv
    return gmax + 1


def log_delta(method: str, Rv, gv: int):
    """ln of the (T) or (CI) bound, in closed form (lgamma), usable for huge R and g."""
    Rm = mpmath.mpf(Rv)
    if method == "taylor":
        return Rm + (gv + 1) * mpmath.log(Rm) - mpmath.loggamma(gv + 2)
    if method == "cheb_interp":
        return 2 * Rm + (gv + 1) * mpmath.log(Rm) - gv * mpmath.log(2) - mpmath.loggamma(gv + 2)
    raise ValueError("closed-form log bound only for 'taylor' and 'cheb_interp'")


def g_star_log(method: str, Rv, ln_delta) -> int:
    """g* = min{g : bound <= delta} from the log of a closed-form bound: the bound increases in g while
    g + 2 < R (T) or 2(g + 2) < R (CI) and decreases after, so g* lies on the decreasing branch (bisection)."""
    lo = int(mpmath.ceil(mpmath.mpf(Rv))) if method == "taylor" else int(mpmath.ceil(mpmath.mpf(Rv) / 2))
    lo = max(lo, 0)
    if log_delta(method, Rv, lo) <= ln_delta:
        while lo > 0 and log_delta(method, Rv, lo - 1) <= ln_delta and (
                (method == "taylor" and lo - 1 + 2 >= Rv) or (method == "cheb_interp" and 2 * (lo + 1) >= Rv)):
            lo -= 1
        return lo
    hi = max(2 * lo, 8)
    while log_delta(method, Rv, hi) > ln_delta:
        hi *= 2
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if log_delta(method, Rv, mid) > ln_delta else (lo, mid)
    return hi


def rank(gv: int, dv: int) -> int:
    """Feature-map rank C(g + d, d) (hockey stick: sum_{t<=g} C(t+d-1, d-1))."""
    return int(sp.binomial(gv + dv, dv))


# ------------------------------------------------------------------------------------------ Sec. 2.4 chain
E_F = eta                                        # step 1: max_j ||f~_j - f_j||_1 and max |f~ - f| / f
E_C = eta * M3                                   # step 2
C_MAX = M3 + MY                                  # step 3: ||c||_max
E_Q = d * M3 * E_C                               # step 4 (as in the proof of L3.5)
M_Q = d * M3 * C_MAX                             # step 5: ||q||_max
E_P1 = (1 + eta) * E_Q + eta * M_Q               # step 6 (max norm and row l1)
E_R = (1 + eta) * E_Q + eta * M_Q                # step 7
E_P2 = (M_Q + E_R) * eta + E_R                   # step 8
E_GA = beta * L * N1 * M2 * (E_P1 + E_P2)        # step 9 (ours): N1 = ||C1 B_Q||_max
E_GB = beta * L * M1 * N2 * (E_P1 + E_P2)        # step 9 (ours): N2 = ||C2 A_Q^T||_max
# floating-point allowance (n = L + k + 4d): the computed G~ = B^T (C1^T p~ C2) and the reference both round
# relative to the magnitudes |B| |C1| |p| |C2| (not to ||C1 B||, which may be small by cancellation)
FP_GA = 4 * GAMMA * beta * L * d * M1 * MB * M2 * (1 + eta) * 2 * M_Q
FP_GB = 4 * GAMMA * beta * L * M1 * d * M2 * MA * (1 + eta) * 2 * M_Q
PAPER_STEP9_A = MB * M1 * M2 * (P1 + P2)         # C.7 display, with P1, P2 the measured max-norm p errors
PAPER_STEP9_B = MA * M1 * M2 * (P1 + P2)
E_FC = L * ((1 + eta) * E_C + eta * C_MAX)       # step 10 (ours): ||f~^T c~ - f^T c||_max
E_WV = L * MX * E_FC                             # ||X_V^T (f~^T c~ - f^T c)||_max
E_AV = s * d * MBV * E_WV                        # dL/dA_V = s B_V^T dL/dW_V
E_BV = s * d * MAV * E_WV                        # dL/dB_V = s dL/dW_V A_V^T

CHAIN = {"E_f": E_F, "E_c": E_C, "E_q": E_Q, "M_q": M_Q, "E_p1": E_P1, "E_r": E_R, "E_p2": E_P2,
         "E_GA": E_GA, "E_GB": E_GB, "FP_GA": FP_GA, "FP_GB": FP_GB, "E_fc": E_FC, "E_WV": E_WV,
         "E_AV": E_AV, "E_BV": E_BV}


@lru_cache(maxsize=None)
def _lambdified(name: str, module: str):
    expr = CHAIN[name] if name in CHAIN else {"paper_step9_A": PAPER_STEP9_A, "paper_step9_B": PAPER_STEP9_B}[name]
    syms = sorted(expr.free_symbols, key=lambda x: x.name)
    return syms, sp.lambdify(syms, expr, modules=module)


def evaluate(name: str, values: dict, dps: int | None = None):
    """Evaluate a named bound at ``values`` (symbol name -> number): float, or mpmath at ``dps`` digits."""
    syms, fn = _lambdified(name, "math" if dps is None else "mpmath")
    if dps is None:
        return float(fn(*[float(values[x.name]) for x in syms]))
    with mpmath.workdps(dps):
        return fn(*[mpmath.mpf(values[x.name]) for x in syms])


def chain(values: dict, dps: int | None = None) -> dict:
    """All chain bounds at once (keys of ``CHAIN``)."""
    return {k: evaluate(k, values, dps) for k in CHAIN}
