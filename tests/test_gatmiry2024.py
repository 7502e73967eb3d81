"""Gatmiry et al. 2024 (reconstructed model): exact c*(n, d, L), the d = 2 exact loss off the ray and its
counterexample to 'c* Sigma^{-1} is the global minimiser', the looped forward pass, and mutations."""

import mpmath
import numpy as np
import pytest
import sympy as sp

from proofs_check.audit import AuditContext
from proofs_check.audits import gatmiry2024 as G
from proofs_check.claims import Outcome
from proofs_check.registry import claims_for
from proofs_check.witness import replay
from symbolic import gatmiry2024 as gat


def test_cstar_table_and_closed_forms():
    for (d, n, L), (c, loss) in G.SPEC_TABLE.items():
        r = gat.c_star(n, d, L)
        assert abs(float(r["c"]) - c) < 2e-6 and abs(float(r["loss"]) - loss) < 2e-6
    assert gat.c_star(20, 5, 1)["c"] == sp.Rational(20, 26)
    assert gat.cstar_leading_coefficient(2, 5) == sp.Rational(62, 9)
    ev = G.CStarExact().evaluate({"n": 20, "d": 5, "L": 3}, dps=50)
    assert ev.observed < mpmath.mpf("1e-40") and ev.details["global_min"]


def test_mutated_cstar_is_caught():
    class Mutated(G.CStarExact):
        def cstar(self, n, d, L):
            r = gat.c_star(n, d, L)
            return {**r, "c": r["c"] + sp.Rational(1, 10**6)}

    assert Mutated().evaluate({"n": 20, "d": 5, "L": 2}, dps=50).violates()


def test_d2_exact_loss_matches_the_ray_and_moments():
    m = gat.wishart2_moments(20, 4)
    assert m[(1, 0, 0)] == 20 and m[(2, 0, 0)] == 20**2 + 2 * 20 and m[(0, 2, 0)] == 20 and (1, 1, 0) not in m
    c, s = sp.symbols("c s", real=True)
    for L in (1, 2, 3):
        f = gat.rotation_scaling_loss(20, L)
        assert sp.expand(f.subs(s, 0) - gat.looped_loss_poly(20, 2, L).as_expr()) == 0


def test_cstar_is_not_the_global_minimiser_d2(tmp_path):
    """The exact witness: d = 2, n = 20, L = 4, B = 0.78 I + 0.33 J beats c* I; replay confirms at 50 digits."""
    inst = {"n": 20, "d": 2, "L": 4, "c": 0.78, "s": 0.33}
    claim = G.FullMatrixCStar()
    assert all(h.holds for h in claim.check_hypotheses(inst))
    ev = claim.evaluate(inst, dps=50)
    assert ev.violates() and float(ev.bound) < 0.75 * float(ev.observed)
    from proofs_check.witness import save_witness

    path = save_witness(claim, inst, claim.check_hypotheses(inst), ev, 50, tmp_path)
    assert replay(path).outcome is Outcome.VIOLATED
    assert not claim.evaluate({**inst, "c": float(gat.c_star(20, 2, 4)["c"]), "s": 0.0}, dps=50).violates()


def test_looped_forward_is_preconditioned_gd():
    rng = np.random.default_rng(0)
    claim = G.LoopedForward()
    for L in (1, 3):
        inst = claim.make(rng, 6, 3, L)
        inst["u"] = [0.3, -0.2, 0.1]
        assert claim.evaluate(inst, dps=50).observed < mpmath.mpf("1e-45")
        assert claim.evaluate({**inst, "u": []}, dps=50).observed < mpmath.mpf("1e-45")


def test_reconstructed_bound_is_vacuous_and_gradient_dominance_on_the_ray(tmp_path):
    ev = G.Theorem32Bound().evaluate({"n": 100, "d": 10, "L": 4}, dps=50)
    assert not ev.violates() and ev.details["vacuous"]
    r = gat.c_star(20, 5, 2)
    inst = {"n": 20, "d": 5, "L": 2, "c": 0.3, "kappa": 2}
    assert G._ray_loss_ok(inst)[0] and not G.Theorem34GradientDominance().evaluate(inst, dps=50).violates()
    assert gat.ray_gradient_sq(r["c"], 20, 5, 2).evalf(50) < 1e-40 < float(r["loss"])  # literal form fails at c*
    assert G.InfiniteN().audit(AuditContext(paper="gatmiry2024", out_dir=tmp_path)).outcome is Outcome.VERIFIED


def test_claim_sources_mark_reconstructions():
    kinds = {c.id: c.source.kind for c in claims_for("gatmiry2024")}
    for cid in ("gatmiry2024.theorem32.bound", "gatmiry2024.theorem34.gradient_dominance",
                "gatmiry2024.theorem33.rate", "gatmiry2024.forward.pgd"):
        assert kinds[cid] == "reconstructed"
    assert kinds["gatmiry2024.abstract.global_minimizer"] == "paper"
    assert kinds["gatmiry2024.full_matrix.cstar_global"] == "ours"


@pytest.mark.slow
def test_trained_looped_model_within_5_percent(tmp_path):
    ctx = AuditContext(paper="gatmiry2024", budget_s=300, out_dir=tmp_path, options={"train_steps": 1000})
    r = G.TrainedLooped().audit(ctx)
    assert r.outcome is Outcome.VERIFIED and r.details["rel_error"] < 0.05, r.summary
