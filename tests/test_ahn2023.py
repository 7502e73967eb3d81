"""Ahn et al. 2023: Theorem 1's closed form and its proof over the full (P, Q), the layer as data against torch and
PGD (Lemma 1, transpose), exact Wishart moments, Theorem 3's Hankel optimum, Section 4.3's pass criteria, Theorem 4's
full-matrix gradient (family (11)), the Appendix D baselines with N and N - 1 points, and mutations (a changed
constant, a dropped hypothesis, a perturbed step) that flip the engine's verdicts, with witnesses that replay; the
reported numbers (Table 1's rows, Fig. 2's signs, Figs. 3-5 at the stated n = 10 and at the code's N = 20) and the
findings grouping on a fast audit."""
import json
import math
from fractions import Fraction

import mpmath
import numpy as np
import pytest
import sympy as sp
import torch

from numeric.executors.highprec import run_highprec
from numeric.linear_icl.ahn import gamma_eff, mc_gamma
from numeric.linear_icl.models import lsa, one_layer_prediction
from proofs_check.audits import ahn2023 as A
from proofs_check.audits.linear_common import sigma_of
from proofs_check.claims import ABOUT, Evaluation, Outcome, Tier
from proofs_check.engine import AuditContext, judge
from proofs_check.methods import Given
from proofs_check.registry import claims_for
from proofs_check.witness import replay
from symbolic import ahn2023 as ahn

SIGMA = {"skew": list(A.SKEW), "lambdas": list(A.LAMBDAS)}


@pytest.fixture(autouse=True)
def _one_torch_thread():
    """The audits run torch on one thread (numeric.linear_icl.training.set_threads): tiny models, and two threads
    spin against each other on a shared 2-core machine."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _ctx(tmp_path, budget=0.01, **kw):
    return AuditContext(paper="ahn2023", budget=budget, out_dir=tmp_path, **kw)


def test_theorem1_reference_values():
    S, U, lam = sigma_of(SIGMA)
    G = -ahn.theorem1_eigen_block(lam, U, 10)
    assert sp.simplify(G + A.Theorem1ClosedForm().paper_block(lam, U, 10)) == sp.zeros(3, 3)
    assert sorted(G.eigenvals(multiple=True)) == sorted([sp.Rational(50, 63), sp.Rational(100, 71), sp.Rational(100, 27)])
    assert sp.simplify(ahn.gamma_loss(G, S, sp.eye(3), 10)) == sp.Rational(27992, 67095)
    assert sp.simplify(G - ahn.optimal_gamma(S, sp.eye(3), 10)) == sp.zeros(3, 3)
    assert ahn.optimal_gamma(sp.eye(5), sp.eye(5), 20) == sp.Rational(20, 26) * sp.eye(5)


class _MutatedTheorem1(A.Theorem1ClosedForm):
    """One constant changed: ((n+2)/n) instead of ((n+1)/n)."""

    def paper_gamma(self, lam, tr, n):
        n = sp.sympify(n)
        return 1 / ((n + 2) / n * lam + tr / n)


def test_theorem1_closed_form_and_a_mutated_constant(tmp_path):
    """The certified eigendirection identity and the rational grid hold; with one constant changed both the symbolic
    instance and the rational ones are violated exactly, and the witness replays."""
    claim = A.Theorem1ClosedForm()
    eigen = claim.symbolic_grid(None)[0]
    assert claim.evaluate(eigen, dps=50).observed == 0 and claim.evaluate(eigen).details["hessian_pd"]
    grid = ({**SIGMA, "n": 10}, {"skew": ["1/3", "-1/2", "2"], "lambdas": ["3", "1/7", "5/2"], "n": 4})
    ok = judge(claim, _ctx(tmp_path / "ok"), methods=(Given(grid),))
    assert ok.outcome is Outcome.VERIFIED and ok.tier is Tier.INSTANCE
    assert _MutatedTheorem1().evaluate(eigen, dps=50).violates()
    bad = judge(_MutatedTheorem1(), _ctx(tmp_path / "bad"), methods=A.Theorem1ClosedForm.methods[1:2])
    assert bad.outcome is Outcome.VIOLATED and bad.tier is Tier.EXACT and bad.observed > 0
    rep = replay(tmp_path / "bad" / bad.witness, claim=_MutatedTheorem1())
    assert rep.reproduced and replay(tmp_path / "bad" / bad.witness).outcome is Outcome.VERIFIED


def test_theorem1_global_over_full_pq_symbolic():
    n = sp.Symbol("n", positive=True)
    l1, l2 = sp.symbols("lambda1 lambda2", positive=True)
    claim = A.Theorem1GlobalFullPQ()
    assert all(G == sp.zeros(3, 3) for G in claim.gradients([l1, l2], n))

    class Mutated(A.Theorem1GlobalFullPQ):
        def paper_coefficients(self, lam, n):
            return [c * sp.Rational(101, 100) for c in super().paper_coefficients(lam, n)]

    assert Mutated().evaluate({"lambdas": ["1", "1/2"], "n": 5}, dps=50).violates()


def test_exact_full_loss_matches_gamma_loss_and_monte_carlo():
    S, _, _ = sigma_of(SIGMA)
    Sn = np.array(S.tolist(), float)
    G = -np.array(ahn.theorem1_block(S, 10).tolist(), float)
    P, Q = ahn.sparse8(G.tolist())
    mom = ahn.g_moments(Sn, np.eye(3), 10, exact=False)
    assert abs(ahn.full_loss(np.array(P, float), np.array(Q, float), Sn, mom) - 27992 / 67095) < 1e-12
    r = mc_gamma(Sn, np.eye(3), 10, 300_000, seed=1, Gamma_ref=G)
    assert r["rel_error"] < 4 * r["rel_error_noise"] + 1e-3
    assert abs(r["loss_at_ref"] - 27992 / 67095) < 4 * r["loss_at_ref_se"]


def test_pq_layer_as_data_matches_torch_and_preconditioned_gd():
    rng = np.random.default_rng(0)
    d, n = 3, 5
    A_ns = [[Fraction(int(v), 4) for v in row] for row in rng.integers(-4, 5, (d, d))]   # not symmetric
    X = [[Fraction(int(v), 3) for v in row] for row in rng.integers(-5, 6, (n, d))]
    y = [Fraction(int(v), 2) for v in rng.integers(-5, 6, n)]
    xq = [Fraction(int(v), 5) for v in rng.integers(-5, 6, d)]
    P, Q = ahn.sparse8(A_ns)
    out, _ = run_highprec([ahn.pq_layer(P, Q, n)], ahn.prompt_tokens(X, y, xq), kind="fraction")
    assert out == ahn.pgd_tokens(X, y, xq, [A_ns], transpose=True)
    assert out != ahn.pgd_tokens(X, y, xq, [A_ns], transpose=False)
    Z = torch.tensor([[float(v) for v in r] for r in ahn.prompt_tokens(X, y, xq)], dtype=torch.float64)[None]
    Pt, Qt = (torch.tensor(np.array(M, float)) for M in (P, Q))
    assert torch.allclose(lsa(Z, Pt, Qt, 1 / n, n)[0], torch.tensor([[float(v) for v in r] for r in out],
                                                                     dtype=torch.float64), atol=1e-12)
    assert abs(float(one_layer_prediction(Z, Pt, Qt, 1 / n, n)) + float(out[-1][-1])) < 1e-12
    assert np.allclose(gamma_eff(np.array(P, float), np.array(Q, float)), np.array(A_ns, float).T)


def test_lemma1_hypothesis_mutation(tmp_path):
    """Dropping Lemma 1's 'A_l symmetric' hypothesis (summary form, A_l not A_l^T) makes the search find a violation."""
    class NoSymmetry(A.Lemma1):
        hypotheses = A.Lemma1.hypotheses[:1]
        nonsymmetric = True

    NoSymmetry.id = "ahn2023.lemma1.pgd"
    ok = judge(A.Lemma1(), _ctx(tmp_path / "ok"))
    assert ok.outcome is Outcome.VERIFIED and ok.tier is Tier.SEARCHED and ok.evaluations >= 200
    r = judge(NoSymmetry(), _ctx(tmp_path / "bad"))
    assert r.outcome is Outcome.VIOLATED and r.witness
    assert replay(tmp_path / "bad" / r.witness, claim=NoSymmetry()).reproduced
    inst = json.loads((tmp_path / "bad" / r.witness).read_text())["instance"]
    assert not all(h.holds for h in A.Lemma1().check_hypotheses(inst))      # outside the paper's hypotheses
    assert replay(tmp_path / "bad" / r.witness).outcome is Outcome.NOT_APPLICABLE
    assert not A.Lemma1Transpose().evaluate(inst, dps=50).violates()         # and A_l^T explains it


def test_wishart_moments_two_methods_and_spec():
    n, d = ahn.n_sym, ahn.d_sym
    for k in range(1, 6):
        assert sp.expand(ahn.wishart_trace_moment(k) - ahn.wishart_trace_moment_wick(k)) == 0
        assert sp.expand(ahn.wishart_trace_moment(k) - n * d * sp.sympify(A.SPEC_MOMENTS[k],
                                                                         locals={"n": n, "d": d})) == 0


def test_theorem3_hankel_optimum_and_a_mutated_step():
    r = ahn.s_optimum(20, 5, 3)
    assert [round(float(v), 6) for v in r["steps"]] == [0.422409, 0.689126, 1.714217]
    assert abs(float(r["min_loss"]) - 0.133608) < 1e-6
    ev = A.Theorem3().evaluate({"n": 20, "d": 5, "L": 3}, dps=50)
    assert ev.observed < mpmath.mpf("1e-45")

    class Mutated(A.Theorem3):
        def steps(self, inst):
            s = super().steps(inst)
            return [s[0] + sp.Rational(1, 1000)] + s[1:]

    assert Mutated().evaluate({"n": 20, "d": 5, "L": 3}, dps=50).violates()
    assert not A.Figure2().evaluate({"paper": list(A.FIG2_PAPER)}, dps=50).violates()
    assert A.Figure2().evaluate({"paper": [0.69, 0.42, 1.70]}, dps=50).violates()    # 1.714 is not 1.70


def test_theorem5_formula_equals_derivation():
    n, d = sp.symbols("n d", positive=True)
    assert sp.simplify(ahn.theorem5_scale(n, d) - ahn.theorem5_scale_derived(n, d)) == 0


def test_claims_registered_with_sources():
    claims = claims_for("ahn2023")
    kinds = {c.id: c.source.kind for c in claims}
    assert kinds["ahn2023.theorem5.relu_scale"] == "reconstructed" and kinds["ahn2023.theorem1.closed_form"] == "paper"
    assert all(c.id.startswith("ahn2023.") for c in claims)
    assert {"ahn2023.section4_3.training", "ahn2023.theorem4.critical_point", "ahn2023.appendixD.baselines"} <= set(kinds)
    assert all(c.source.paper == "ahn2023" and c.source.about in ABOUT for c in claims)
    about = {c.id: c.source.about for c in claims}
    assert about["ahn2023.appendixD.baselines"] == "code" and about["ahn2023.figure2.values"] == "figure"
    assert about["ahn2023.table1.rows"] == "table" and about["ahn2023.figures3_5.stated_setting"] == "figure"
    assert about["ahn2023.figures3_5.code_setting"] == "code" and kinds["ahn2023.figures3_5.code_setting"] == "ours"
    assert not any("audit" in type(c).__dict__ for c in claims)


def test_monte_carlo_claims_carry_samples_and_seeds_and_can_fail(tmp_path):
    """Theorem 5's scalar by Monte Carlo: the instance fixes prompts and seed; a wrong formula (a 5% larger scalar)
    is a statistical violation whose witness replays."""
    class Wrong(A.Theorem5):
        def evaluate(self, instance, dps=None):
            ev = super().evaluate(instance, dps)
            f = ev.details["formula"]
            obs = abs(ev.details["c_mc"] - 1.05 * f) / (1.05 * f)
            return Evaluation(type(ev.observed)(obs), ev.bound, ev.details, spread=ev.spread)

    ctx = _ctx(tmp_path)
    insts = A.Theorem5().grid(ctx)
    assert [i["prompts"] for i in insts] == [100_000] * 3 and len({i["seed"] for i in insts}) == 3
    bad = judge(Wrong(), ctx, methods=(A.Theorem5.methods,))
    assert bad.outcome is Outcome.VIOLATED and bad.tier is Tier.STATISTICAL
    assert replay(tmp_path / bad.witness, claim=Wrong()).reproduced


def test_training_claims_cannot_refute(tmp_path):
    """A training run far too short for its pass criteria is inconclusive, never violated."""
    r = judge(A.Theorem1Training(), _ctx(tmp_path, options={"train_steps": 20}))
    assert r.outcome is Outcome.INCONCLUSIVE and r.witness is None and r.details["steps"] == 20


@pytest.mark.slow
def test_training_recovers_theorem1(tmp_path):
    r = judge(A.Theorem1Training(), _ctx(tmp_path, budget=1.0))
    assert r.outcome is Outcome.VERIFIED and r.tier is Tier.STATISTICAL, r.summary
    assert r.details["rel_error"] < 0.05 and r.details["steps"] == 2000


# ----------------------------------------------------------------------------------------------------------
# Section 4.3 training, Theorem 4 (family (11)), Appendix D baselines

def test_section43_pieces_and_a_mutated_step():
    from numeric.linear_icl.ahn import D_PAPER, paper_sigma, section43_run

    S = paper_sigma(3)
    assert np.allclose(sorted(np.linalg.eigvalsh(S)), sorted(D_PAPER)) and not np.allclose(S, np.diag(np.diag(S)))
    run = section43_run(S, n=6, L=2, steps=20, batch=256, eval_prompts=2000, log_every=10)
    assert run["steps"] == 20 and len(run["dist_white"]) == 2 and len(run["history"]) == 2
    again = section43_run(S, n=6, L=2, steps=20, batch=256, eval_prompts=2000, log_every=10)
    assert again["sorted_scalars"] == run["sorted_scalars"] and again["loss"] == run["loss"]   # steps, not seconds
    ref = ahn.s_optimum(20, 5, 3)
    exact = [float(v) for v in ref["steps"]]
    ideal = {"sorted_scalars": exact, "dist_white": [0.01] * 3, "loss": float(ref["min_loss"])}
    claim = A.Section43Training()
    assert claim.checks(ideal, ref)["passed"]
    assert not claim.checks({**ideal, "sorted_scalars": [exact[0] * 1.1] + exact[1:]}, ref)["passed"]
    assert not claim.checks({**ideal, "dist_white": [0.01, 0.2, 0.01]}, ref)["passed"]


def test_family11_with_b_zero_is_family8_and_grad_detects_a_wrong_scalar():
    from numeric.linear_icl.ahn import family11_errors, family11_gradient_mc, theorem4_scalars
    from numeric.linear_icl.models import gaussian_prompts, sparse8_prediction

    d, n = 3, 6
    gen = torch.Generator().manual_seed(0)
    eye = torch.eye(d, dtype=torch.float64)
    Z, yq, _ = gaussian_prompts(50, n, eye, eye, gen, dtype=torch.float64)
    As = [torch.randn(d, d, generator=gen, dtype=torch.float64) * 0.3 for _ in range(3)]
    zero = [torch.zeros(d, d, dtype=torch.float64)] * 3
    e8 = (sparse8_prediction(Z[..., :d], Z[..., d], [-A for A in As], n) - yq) ** 2   # (8): Q = -[[A, 0], [0, 0]]
    assert torch.allclose(family11_errors(Z, yq, As, zero, n), e8, atol=1e-12)
    fit = theorem4_scalars(10, d, 4000, [(-0.3, -0.6, -1.2, 0.3, 0.3)], seed=1, max_iter=60)[0]
    good = family11_gradient_mc(fit["theta"], 10, d, 4000, seed=2)
    wrong = family11_gradient_mc([fit["theta"][0] * 0.8] + fit["theta"][1:], 10, d, 4000, seed=2)
    assert good["grad_norm"] / good["noise_norm"] <= 3
    assert wrong["grad_norm"] / wrong["noise_norm"] > 3
    assert good["per_matrix_norm"][5] == 0.0                                   # B_2 does not enter the loss


def test_appendix_d_baselines_and_the_off_by_one(tmp_path):
    from numeric.linear_icl.ahn import appendix_d_table, baseline_losses, paper_sigma
    from symbolic.gatmiry2024 import c_star

    S = paper_sigma(0)
    r = baseline_losses(S, 4, 4, 3, np.geomspace(0.05, 1.5, 20), 8000, seed=1)
    assert abs(r["ols"] - 1.0) < 4 * r["ols_se"] and r["ols_exact"] == 1.0
    assert abs(r["pgd"] - float(c_star(4, 5, 3)["loss"])) < 4 * r["pgd_se"] + 0.02
    rows = appendix_d_table(S, [2, 8], 3, 4000, seed=0)
    assert rows[0]["gd_ratio"] > 1.05 and rows[0]["pgd_ratio"] > 1.1 and rows[0]["ols_ratio"] > 1.2
    assert rows[1]["ols"] == pytest.approx(0, abs=1e-9) and rows[1]["ols_code"] == pytest.approx(0, abs=1e-9)
    claim = A.AppendixDBaselines()
    code = {"N": 2, "d": 5, "L": 3, "code_points": 1}
    ev = claim.evaluate(code, dps=50)
    assert ev.violates() and abs(ev.ratio - 1.2174) < 1e-3
    fixed = {**code, "code_points": 2}                                           # a corrected notebook: no gap
    assert not claim.evaluate(fixed, dps=50).violates()
    assert not all(h.holds for h in claim.check_hypotheses(fixed))
    res = judge(claim, _ctx(tmp_path))
    assert res.outcome is Outcome.VIOLATED and res.tier is Tier.EXACT and res.witness
    assert res.details["witness_size"] == 2 and abs(res.ratio - 1.2174) < 1e-3
    rep = replay(tmp_path / res.witness)
    assert rep.reproduced and rep.outcome is Outcome.VIOLATED


@pytest.mark.slow
def test_section43_and_theorem4_full_size(tmp_path):
    ctx = _ctx(tmp_path, budget=1.0)
    r = judge(A.Section43Training(), ctx)
    assert r.outcome in (Outcome.VERIFIED, Outcome.INCONCLUSIVE) and max(r.details["dist_raw"]) > 0.3
    t4 = judge(A.Theorem4(), ctx)
    assert t4.outcome in (Outcome.VERIFIED, Outcome.INCONCLUSIVE) and t4.details["off_scalar_ratio"] < 3


# ----------------------------------------------------------------------------------------------------------
# Reported numbers and findings (issue 14)

from proofs_check.findings import assess, severity_counts  # noqa: E402
from proofs_check.findings_data.ahn2023 import FINDINGS  # noqa: E402
from proofs_check.invariants import claim_problems  # noqa: E402
from proofs_check.methods import methods_of  # noqa: E402

BY_ID = {c.id: c for c in A.CLAIMS}
# the violated claims of the default `icl-verify audit ahn2023` (seed 0, budgets x1)
DEFAULT_VIOLATED = {"ahn2023.appendixD.baselines", "ahn2023.figures3_5.stated_setting", "ahn2023.figure2.sign"}


def _may_violate(claim) -> bool:
    return any(getattr(m, "may_violate", True) and getattr(m, "kind", "") != "undecidable" for m in methods_of(claim))


@pytest.fixture(scope="module")
def fast_audit(tmp_path_factory):
    """Every claim whose method can refute (training claims cannot), judged at a small budget (floors)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    out = tmp_path_factory.mktemp("ahn-findings")
    ctx = AuditContext(paper="ahn2023", out_dir=out, budget=0.01)
    rows = [judge(c, ctx).to_dict() for c in A.CLAIMS if _may_violate(c)]
    torch.set_num_threads(before)
    return out, rows


def test_findings_are_data_over_registered_claims():
    named = [c for f in FINDINGS for c in f.claims]
    assert len(named) == len(set(named)) and set(named) == DEFAULT_VIOLATED
    assert len({f.witness_claim for f in FINDINGS}) == len(FINDINGS)
    for f in FINDINGS:
        assert all(c in BY_ID for c in f.claims + f.corrected)
    sev = sorted((f.severity, f.about) for f in FINDINGS)
    assert sev == [("LOW", "figure"), ("MEDIUM", "code"), ("MEDIUM", "figure")]


def test_grouping_has_no_problems_and_every_witness_replays(fast_audit):
    out, rows = fast_audit
    assert {r["claim_id"] for r in rows if r["outcome"] == "violated"} == DEFAULT_VIOLATED
    assessed, problems = assess(FINDINGS, rows, complete=False)
    assert problems == [] and all(a.status == "confirmed" for a in assessed)
    assert severity_counts(assessed) == {"HIGH": 0, "MEDIUM": 2, "LOW": 1}
    corrected = {c: o for a in assessed for c, o, _ in a.corrected}
    assert corrected == {"ahn2023.figures3_5.code_setting": "verified", "ahn2023.figure2.values": "verified"}
    for r in rows:
        if r["outcome"] == "violated":
            rep = replay(out / r["witness"])
            assert rep.reproduced and rep.outcome is Outcome.VIOLATED, r["claim_id"]


def test_figures3_5_match_n20_not_the_stated_n10():
    """The plotted family-(11) model: at n = 10 its (capped, hence lower-bound) loss is far above the plotted 8.1e-4,
    at n = 20 it is within a factor 2; a plotted loss 10x smaller would not match n = 20 either."""
    stated, code = A.Figures35StatedSetting(), A.Figures35CodeSetting()
    i10 = {**stated.grid(None)[0], "prompts": 20_000}
    i20 = {**code.grid(None)[0], "prompts": 20_000}
    e10, e20 = stated.evaluate(i10, dps=50), code.evaluate(i20, dps=50)
    assert e10.violates() and e10.details["capped_loss"] > 20 * e10.details["plotted_loss"]
    assert e20.holds() and e20.details["frac_over_cap"] == 0
    assert code.evaluate({**i20, "log_test_loss": str(-7.12 - math.log(10))}, dps=50).violates()


def test_figure2_sign_and_table1_rows():
    sign = A.Figure2Sign()
    assert sign.evaluate(sign.grid(None)[0], dps=50).violates()
    assert not sign.evaluate({"paper": [0.69, 0.42, 1.71]}, dps=50).violates()       # the positive steps a_i
    t1 = A.Table1()
    rows = t1.grid(None)
    assert [r["row"] for r in rows] == ["Thm 1", "Thm 2", "Thm 3", "Thm 5"]
    assert all(not t1.evaluate(r, dps=50).violates() for r in rows)
    assert not all(h.holds for h in t1.check_hypotheses({"row": "Thm 4"}))


def test_new_claims_keep_the_registry_invariants(tmp_path):
    ctx = AuditContext(paper="ahn2023", out_dir=tmp_path, budget=0.01)
    for cid in ("ahn2023.table1.rows", "ahn2023.figure2.sign", "ahn2023.figures3_5.stated_setting",
                "ahn2023.figures3_5.code_setting"):
        assert claim_problems(BY_ID[cid], ctx, per_method=1) == []
