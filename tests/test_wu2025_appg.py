"""Appendix G on a case with a closed-form score: Gaussian data under the OU process (ours, spec 9), and the
Appendix G claims (proofs_check.audits.wu2025.appg) through the verdict engine."""
import json
import math
from dataclasses import replace

import mpmath
import numpy as np
import sympy as sp
import torch

from numeric.wu2025.icl_experiment.appg import (APPG_CONFIG, ScoreTask, log_density_score_identity, ou_score,
                                                ou_variance, tweedie_identity)
from proofs_check.audits.wu2025 import appg as ext
from proofs_check.audits.wu2025.ext_common import config_dict
from proofs_check.claims import Outcome, Tier
from proofs_check.engine import AuditContext, judge
from proofs_check.methods import Search
from proofs_check.witness import replay


def test_closed_form_score_is_the_gradient_of_the_log_density_and_tweedie_holds():
    assert log_density_score_identity() == 0
    assert tweedie_identity() == 0          # E[grad log p(x_t | x_0) | x_t] = grad log p_t(x_t): (G.2) ~ (G.1)
    x, t = sp.symbols("x t", real=True)
    wrong = -(x - sp.exp(-t) * sp.Rational(1, 2)) / (sp.exp(-2 * t) * sp.Rational(1, 2) + 1)  # v_t without -e^{-2t}
    assert sp.simplify(wrong - ou_score(x, t, sp.Rational(1, 2), sp.Rational(1, 2))) != 0


def test_ou_marginal_matches_the_simulated_forward_process():
    gen = torch.Generator().manual_seed(0)
    mu, s2, t = 0.7, 0.3, 0.4
    x0 = mu + math.sqrt(s2) * torch.randn(400000, generator=gen, dtype=torch.float64)
    xt = math.exp(-t) * x0 + math.sqrt(1 - math.exp(-2 * t)) * torch.randn(400000, generator=gen, dtype=torch.float64)
    assert abs(float(xt.mean()) - math.exp(-t) * mu) < 5e-3
    assert abs(float(xt.var()) - ou_variance(t, s2)) < 5e-3
    # Stein's identity for the score: E[score(X) h(X)] = -E[h'(X)] with h(x) = x, i.e. E[score(X) X] = -1
    assert abs(float((ou_score(xt, torch.tensor(t, dtype=torch.float64), mu, s2) * xt).mean()) + 1) < 1e-2


def test_score_prompts_are_inside_the_hypotheses():
    task = ScoreTask(mu=-1.0, s2=2.0)
    u, y = task.sample(500, np.random.default_rng(1))
    assert np.linalg.norm(u, axis=1).max() <= APPG_CONFIG.Bx and np.abs(y).max() <= 0.95 * APPG_CONFIG.By


def _ctx(tmp_path, **kw):
    return AuditContext(paper="wu2025", out_dir=tmp_path, **kw)


def test_appg_reduction_is_not_applicable_with_the_reasons_written_out(tmp_path):
    r = judge(ext.AppGReduction(), _ctx(tmp_path))
    assert r.outcome is Outcome.NOT_APPLICABLE and r.evaluations == 0
    assert len(r.hypotheses) == 4 and not any(h.holds for h in r.hypotheses)
    assert "ReLU" in r.summary and r.hypotheses[0].name in r.summary


def test_appg_gaussian_claim_on_one_instance():
    claim = ext.AppGGaussian()
    inst = {"mu": 0.5, "s2": 0.5, "seed": 0, "config": config_dict(APPG_CONFIG), "heldout": claim.heldout}
    assert all(h.holds for h in claim.check_hypotheses(inst))
    assert not all(h.holds for h in claim.check_hypotheses({**inst, "s2": 3.0}))
    assert not all(h.holds for h in claim.check_hypotheses({**inst, "config": {**inst["config"], "knots": 6}}))
    ev = claim.evaluate(inst)
    r = ev.details
    assert 0 < ev.ratio < 1 and ev.observed == r["max_w_dev"] < 1e-4   # Theorem 4 construction, 80 knots
    assert len(r["heldout_mse"]) == APPG_CONFIG.L + 1
    assert r["heldout_mse"][-1] < r["heldout_mse"][0]                   # observation (ii) on this prompt
    assert abs(r["heldout_mse"][-1] - r["heldout_mse_gd"][-1]) < 1e-4
    assert r["observation"].startswith("held-out label MSE") and "decreases" in r["observation"]
    assert claim.evaluate(inst).observed == ev.observed                 # the instance fixes everything
    with mpmath.workdps(50):                                            # Arb at 50 digits sees the same prompt
        hp = claim.evaluate(inst, dps=50)
    assert abs(float(hp.observed) - ev.observed) < 1e-12 and hp.details["max_ball_radius"] < 1e-40


class _FewKnots(ext.AppGGaussian):
    """The claim's code on a construction with 6 knots instead of 80 (coarser approximants): 1e-4 fails."""
    stated_config = replace(APPG_CONFIG, knots=6)
    heldout = 64
    methods = Search(evaluations=4, floor=4, batch=4, portfolio=("explore",))


def test_appg_gaussian_with_coarser_approximants_is_violated_and_replays(tmp_path):
    claim = _FewKnots()
    r = judge(claim, _ctx(tmp_path))
    assert r.outcome is Outcome.VIOLATED and r.tier is Tier.HIGH_PRECISION and r.ratio > 5
    assert r.narrowing == list(ext.AppGGaussian.narrowing)
    rep = replay(tmp_path / r.witness, claim=_FewKnots())
    assert rep.reproduced and not rep.disagreements
    w = json.loads((tmp_path / r.witness).read_text())
    assert w["instance"]["config"]["knots"] == 6 and w["instance"]["heldout"] == 64
    assert not all(h.holds for h in ext.AppGGaussian().check_hypotheses(w["instance"]))  # not the stated model


def test_appg_claims_are_well_formed():
    assert [c.id for c in ext.APPG_CLAIMS] == ["wu2025.appG.reduction", "wu2025.appG.gaussian"]
    for c in ext.APPG_CLAIMS:
        assert c.source.paper == "wu2025" and "audit" not in type(c).__dict__
    assert ext.AppGGaussian.source.kind == "ours" and ext.AppGReduction.source.kind == "paper"


def test_appg_claims_are_registered():
    from proofs_check.registry import get_claim

    for c in ext.APPG_CLAIMS:
        assert type(get_claim(c.id)) is type(c)
