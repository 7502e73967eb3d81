"""Our safe radius contains every pre-activation: the containment check that enlarges it, agreement of the symbolic
and the fast (search) constants, and the claim wu2025.ours.safe_radius shown able to fail on the radius before the
check (aligned weights took softplus pre-activations to 1.26 R there)."""
import math

import mpmath
import numpy as np
import pytest
import sympy as sp
from fractions import Fraction

from numeric.wu2025 import fast_constants as F
from proofs_check.audits.wu2025.common import config_dict
from proofs_check.audits.wu2025.safe_radius import SafeRadius
from proofs_check.registry import get_claim
from symbolic.activations import get_activation
from symbolic.wu2025 import constants as C
from symbolic.wu2025.config import WuConfig

WITNESS = ("softplus", 4, 8, 2.0, 0.5, 4)          # activation, N, K, B_v, B_x, knots


def _config(act, N, K, Bv, Bx, M, radius="safe"):
    return WuConfig(d_in=2, d_out=2, K=K, N=N, n=1, L=1, eta=0.5, Bv=Bv, Bx=Bx, By=1.0, activation=act,
                    loss="square", knots=M, radius=radius)


def _start_radius(act, N, K, Bv, Bx):
    """The radius's first formula alone: R_1 = B_v B_x, R_j = B_v sqrt(K)(sup|r| + 1/10), rounded up."""
    r = get_activation(act)
    radii = [C.exact(Bv) * C.exact(Bx)]
    for _ in range(2, N + 1):
        radii.append(C.exact(Bv) * sp.sqrt(K) * (r.sup_abs(0, -radii[-1], radii[-1]) + C.SLACK))
    return C.round_up(C._nmax(radii), C.SAFE_GRID)


def _aligned(cfg):
    """Every weight row along the vector it multiplies (all ones / sqrt(fan-in), norm B_v), x = B_x 1 / sqrt(d)."""
    sh = cfg.shape
    w = np.concatenate([np.full((sh.width(j), sh.fan_in(j)), cfg.Bv * (1 - 1e-12) / math.sqrt(sh.fan_in(j))).ravel()
                        for j in range(1, cfg.N + 1)])
    x = np.full((cfg.n + 1, cfg.d_in), cfg.Bx * (1 - 1e-12) / math.sqrt(cfg.d_in))
    return {"config": config_dict(cfg), "prompt": {"x": x.tolist(), "y": [[0.0] * cfg.d_out] * cfg.n,
                                                   "w0": w.tolist()}}


def test_the_start_radius_is_enlarged_where_the_interpolant_overshoots_and_kept_elsewhere():
    start = _start_radius(*WITNESS[:5])
    assert start == sp.Rational(25961, 100)
    R = C.safe_radius(_config(*WITNESS))
    assert R > start                                          # 4 knots: enlarged
    assert C.safe_radius(_config("sigmoid", 3, 16, 1.0, 1.0, 4)) == _start_radius("sigmoid", 3, 16, 1.0, 1.0)


@pytest.mark.parametrize("case", [WITNESS, ("gelu", 2, 2, 0.5, 1.0, 16), ("gelu", 3, 4, 2.0, 0.5, 2),
                                  ("sigmoid", 3, 16, 1.0, 1.0, 4), ("tanh", 2, 1, 0.25, 0.001, 8),
                                  ("softplus", 3, 2, 2.0, 0.5, 2)])
def test_the_audits_radii_are_the_symbolic_safe_radius(case):
    """The fast constants agree with the symbolic module (a value within 1e-25 of its grid, gelu(R) = R (1 - 1e-30)
    at a node, is decided from the construction's rational node values or at more digits), and the audits' radius
    is the symbolic one."""
    from proofs_check.audits.wu2025.common import _constants_key, _radii

    act, N, K, Bv, Bx, M = case
    sym = C.safe_radius(_config(*case))
    want = Fraction(int(sym.p), int(sym.q))
    assert F.safe_radius(act, F.exact(Bv), F.exact(Bx), K, N, M) == want
    assert Fraction(_radii(_constants_key(_config(*case)))[0]) == want


@pytest.mark.parametrize("act, N, K, Bv, Bx, By, M, radii", [
    ("softplus", 3, 3, 3.0, 5.0, 0.1, 8, ("42189/100", "422")),    # softplus(R) + 1/10 = R + 1/10 + e^-R: up
    ("gelu", 3, 16, 1.0, 1.0, 1.0, 4, ("16", "161/10")),           # gelu(16) + 1/10 = 16.1 - 1e-57: 16.1
    ("sigmoid", 4, 4, 30.0, 10.0, 0.001, 4, ("300", "11/10")),     # sigmoid(300) + 1/10 = 1.1 - e^-300: 1.1
    ("tanh", 4, 16, 10.0, 2.0, 0.01, 8, ("44", "11/10")),
])
def test_saturated_activations_round_exactly_in_both_modules(act, N, K, Bv, Bx, By, M, radii):
    """Where r saturates, a rounded constant lies e^-R (e^(-R^2/2) for gelu) from its grid point: 45 digits cannot
    place it (the fast constants fell back to the symbolic module on 4% of the searched configurations, about 1 s
    each), and the symbolic module's 60 digits (gelu: a 50-digit Float) put it on the wrong side.  Both now decide
    it at up to 1200 digits and agree: R and R3' = round_up(sup_[-R, R] |r| + 1/10, 1/100) as derived by hand."""
    from proofs_check.audits.wu2025.common import _constants_key, symbolic_radii

    cfg = WuConfig(d_in=2, d_out=2, K=K, N=N, n=1, L=1, eta=0.5, Bv=Bv, Bx=Bx, By=By, activation=act,
                   loss="square", knots=M, radius="safe")
    with mpmath.workdps(45), pytest.raises(F.Tie):
        F._primitives(cfg)                                       # at the first precision (45 digits): undecided
    fast = F.primitives(cfg)[1]
    assert (fast[0], fast[2]) == tuple(Fraction(r) for r in radii)
    assert tuple(fast) == tuple(symbolic_radii(_constants_key(cfg)))


def test_the_claim_holds_on_the_safe_radius_and_fails_on_the_start_radius():
    claim = get_claim("wu2025.ours.safe_radius")
    ev = claim.evaluate(_aligned(_config(*WITNESS)), dps=30)
    assert 0.99 < float(ev.ratio) <= 1 and not ev.violates()
    start = _start_radius(*WITNESS[:5])

    class StartRadius(SafeRadius):                 # the claim on the radius before the containment check
        radius = str(float(start))

    bad = StartRadius().evaluate(_aligned(_config(*WITNESS, radius=str(float(start)))), dps=30)
    assert bad.violates() and float(bad.ratio) > 1.25


def test_lemma2_safe_chain_is_certified_at_the_configuration_where_the_old_radius_leaked():
    """The chain's containment conditions (B_v sqrt(K) max(sup|r|, sup|rbar|) <= R, layer by layer) now hold there."""
    from proofs_check.certificates.chains import chain_certificate
    from proofs_check.checker import check_certificate

    cert, why = chain_certificate("wu2025.lemma2.safe", _config(*WITNESS))
    assert cert is not None, why
    assert check_certificate(cert).ok
