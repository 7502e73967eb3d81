"""Lemma 6 and the gradient error re-derived on our safe radius (``bounds.definitions_columns_safe``): the symbolic
recursion is the derivation's, the fast constants equal the symbolic ones, the witnesses that refute our earlier
corrections (``.safe``, ``lemma6.error.columns``) do not refute the re-derived claims, and a halved bound is caught."""
import json
from pathlib import Path

import mpmath
import numpy as np
import pytest
import sympy as sp

from numeric.wu2025.fast_constants import ACT
from proofs_check.audits.wu2025 import common
from proofs_check.claims import Outcome
from proofs_check.engine import AuditContext, judge
from proofs_check.registry import get_claim
from proofs_check.witness import replay
from symbolic.wu2025 import bounds as B
from symbolic.wu2025.config import WuConfig

DATA = Path(__file__).parent / "data" / "wu2025_columns"
SMALL = {"N": (2,), "K": (2,), "d": (1,), "n": (2,), "knots": (8,), "activations": ("sigmoid",), "Bv": (1.5,),
         "Bx": (1.0,), "By": (1.0,)}
# the configuration of the witness that refutes wu2025.lemma6.error.columns and wu2025.theorem1.grad_error.safe
AT_WITNESS = {"N": (2,), "K": (32,), "d": (32,), "n": (1,), "knots": (2,), "activations": ("softplus",),
              "Bv": (0.001,), "Bx": (0.25,), "By": (1.0,), "losses": ("logcosh",)}


@pytest.fixture(autouse=True)
def _fresh_cache():
    common.clear_caches()
    yield
    common.clear_caches()


def _record(name):
    return json.loads((DATA / f"wu2025.{name}.json").read_text())


def test_the_definitions_are_the_derivation_s_recursion():
    """e_N = delta_r' B_l^R + B_r'^R delta_l, e_j = delta_r' B_v P^2 B_s^R + rho e_{j+1} (rho = B_r'^R B_v P^2): the
    closed form satisfies it, its eps-coefficients are the terms of E_s^{*,R}, and B_s^R's terms follow
    b_N = B_r'^R B_l^R, b_j = rho b_{j+1}."""
    for N in (2, 3, 4):
        defs = B.definitions_columns_safe(N)
        rho = B.B_rp_R * B.B_v * B.P**2
        cf = B.lemma6_closed_form_columns_safe
        assert sp.expand(cf(N, N) - (B.delta_rp() * B.B_l_R + B.B_rp_R * B.delta_l())) == 0
        for j in range(1, N):
            step = B.delta_rp() * B.B_v * B.P**2 * B.B_s_R + rho * cf(j + 1, N)
            assert sp.expand(cf(j, N) - step) == 0
        for j in range(1, N + 1):
            e = sp.expand(cf(j, N))
            for sym, w in ((B.eps_r, "r"), (B.eps_rp, "rp"), (B.eps_l, "l")):
                assert sp.expand(e.coeff(sym) - defs[B.T_R(w, j)]) == 0, (N, j, w)
        assert defs[B.b_s_R(N)] == B.B_rp_R * B.B_l_R
        assert all(sp.expand(defs[B.b_s_R(j)] - rho * defs[B.b_s_R(j + 1)]) == 0 for j in range(1, N))
        assert defs[B.B_rp_R] == B.L_r + B.eps_rp
        assert B.P not in defs and B.B_s not in defs      # the paper's own symbols are not redefined
    assert B._definitions(3)[B.B_s] == B.definitions(3)[B.B_s]


def test_the_column_factor_dominates_the_row_factor_with_equality_at_P_1():
    """With the same B_r'^R, B_l^R, every constant with B_v P^2 is at least the one with the proof's B_v P, equal
    exactly when P = 1 (K = d = 1); and they are ``column_values``'s constants with B_r', B_l replaced by B_r'^R,
    B_l^R (the two readings differ in those two constants only)."""
    for K, d, equal in ((3, 2, False), (1, 1, True)):
        _dominance(K, d, equal)


def _dominance(K, d, equal):
    with mpmath.workdps(30):
        cfg = WuConfig(K=K, d_in=d, d_out=d, N=3, radius="safe")
        vals, _, _ = B.evaluate_values(cfg, eps_r_="1e-3", eps_rp_="1e-3", eps_l_="1e-3", dps=30,
                                       reading="columns_safe")
        rows = B.columns_safe_values({**vals, B.P: mpmath.sqrt(vals[B.P])}, cfg.N)   # P^2 -> P: the row factor
        for sym in (B.B_s_R, B.E_s_r_R, B.E_s_rp_R, B.E_s_l_R):
            assert vals[sym] >= rows[sym]
            assert (abs(vals[sym] - rows[sym]) <= mpmath.mpf(10) ** -20 * vals[sym]) is equal, sym
        same = {**vals, B.B_rp: vals[B.B_rp_R], B.B_l: vals[B.B_l_R]}
        cols = B.column_values(same, cfg.N)
        for new, old in ((B.B_s_R, B.B_s), (B.E_s_r_R, B.E_s_r), (B.E_s_rp_R, B.E_s_rp), (B.E_s_l_R, B.E_s_l)):
            assert abs(vals[new] - cols[old]) <= mpmath.mpf(10) ** -20 * vals[new]


def test_the_re_derived_constants_bound_what_the_paper_s_miss_on_the_witness():
    """On the witness of wu2025.lemma6.error.columns, |r'| at the network's pre-activations exceeds the paper's B_r'
    (the flaw of F03) and stays below B_r'^R = L_r + eps_r'; |u| stays below ubar_R."""
    inst = _record("theorem1.grad_error.safe")["instance"]
    st = common.setup_of(inst)
    cv = B.columns_safe_values(st.values, st.cfg.N)
    claim = get_claim("wu2025.lemma6.error.columns_safe")
    diag = claim.diagnose(inst)
    rp = ACT[st.cfg.activation][0][1]
    z = np.concatenate([zz[:diag["n"]].ravel() for zz in diag["z"]])
    top = max(abs(float(rp(mpmath.mpf(float(v))))) for v in z)
    assert top > float(st.values[B.B_rp]) and top <= float(cv[B.B_rp_R])
    u = np.abs(diag["e"].g[0, :diag["n"]].numpy()).max()
    assert u <= float(cv[B.sup_u_R])


def test_fast_constants_equal_the_symbolic_ones_for_the_re_derived_reading():
    rng = np.random.default_rng(1)
    with mpmath.workdps(30):
        for k in range(3):      # the primitives (gelu included) are compared in test_wu2025_search.py
            cfg = WuConfig(d_in=int(rng.integers(1, 4)), d_out=int(rng.integers(1, 4)), K=int(rng.integers(1, 5)),
                           N=int(rng.integers(2, 5)), n=2, L=1, Bv=float(rng.choice([0.25, 1.0, 1.5])),
                           Bx=float(rng.choice([0.1, 1.0, 2.0])), By=float(rng.choice([0.1, 1.0, 10.0])),
                           activation=("sigmoid", "tanh", "softplus")[k], loss=("square", "logcosh", "pseudo_huber")[k],
                           knots=4, radius="safe")
            if common._fast(common._constants_key(cfg)) is None:
                continue
            a, e1, e2, e3 = common.approximants(cfg)
            f = B.columns_safe_values(common.fast_paper_values(cfg, a, e1, e2, e3, 30), cfg.N)
            s, _, _ = B.evaluate_values(cfg, eps_r_=e1, eps_rp_=e2, eps_l_=e3, dps=30, C1_=a.r.C, C2_=a.rp.C,
                                        C3_=a.u.C, M1_=a.r.H, M2_=a.rp.H, M3_=a.u.H, reading="columns_safe")
            for sym in (B.sup_r_R, B.sup_u_R, B.B_rp_R, B.B_l_R, B.B_r_R, B.B_s_R, B.E_s_r_R, B.E_s_rp_R, B.E_s_l_R,
                        B.eps_R):
                assert abs(f[sym] - s[sym]) <= mpmath.mpf(10) ** -20 * max(1, abs(s[sym])), (cfg, sym)


@pytest.mark.parametrize("witness, refuted, replacement", [
    ("lemma6.error.safe", "wu2025.lemma6.error.safe", "wu2025.lemma6.error.columns_safe"),
    ("theorem1.grad_error.safe", "wu2025.lemma6.error.columns", "wu2025.lemma6.error.columns_safe"),
    ("theorem1.grad_error.safe", "wu2025.theorem1.grad_error.safe", "wu2025.theorem1.grad_error.columns_safe"),
    ("theorem4.safe", "wu2025.theorem4.safe", "wu2025.theorem4.columns_safe"),
])
def test_the_witness_of_a_refuted_correction_does_not_refute_its_replacement(witness, refuted, replacement):
    inst = _record(witness)["instance"]
    old, new = get_claim(refuted), get_claim(replacement)
    assert all(h.holds for h in new.check_hypotheses(inst))
    with mpmath.workdps(50):
        assert old.evaluate(inst, dps=50).violates()          # the refuted correction stays refuted
        ev = new.evaluate(inst, dps=50)
    assert ev.holds() and ev.ratio < 1


@pytest.mark.parametrize("claim_id, ranges", [("wu2025.lemma6.bound.columns_safe", SMALL),
                                              ("wu2025.lemma6.error.columns_safe", AT_WITNESS)])
def test_a_halved_re_derived_bound_is_caught(claim_id, ranges, tmp_path, monkeypatch):
    claim = get_claim(claim_id)
    ctx = lambda d: AuditContext(paper="wu2025", budget=0.05, out_dir=d, seed=1,  # noqa: E731
                                 options={"ranges": ranges})
    real = B.columns_safe_values
    first = judge(claim, ctx(tmp_path / "true"))
    assert first.outcome is Outcome.VERIFIED and first.ratio > 0.5

    def halved(values, N):
        v = real(values, N)
        for sym in (B.B_s_R, B.E_s_r_R, B.E_s_rp_R, B.E_s_l_R, B.eps_R):
            v[sym] = v[sym] / 2
        return v

    monkeypatch.setattr(B, "columns_safe_values", halved)
    common.clear_caches()
    r = judge(claim, ctx(tmp_path / "planted"))
    assert r.outcome is Outcome.VIOLATED
    assert replay(tmp_path / "planted" / r.witness).outcome is Outcome.VIOLATED
