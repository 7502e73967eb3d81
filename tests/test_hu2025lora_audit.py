"""Hu et al. (LoRA): audit verdicts through the one engine, witnesses that replay, mutation tests (a perturbed
formula, constant or bound flips the verdict; the three corrected formulas of ours that used to compare an
expression with itself can now fail), the CLI and the report plumbing."""
import json
import types

import pytest

from numeric.hu2025lora import hardness as HD
from numeric.hu2025lora import lowrank as LR
from numeric.hu2025lora import paths as PA
from proofs_check.audits import hu2025lora as AUD
from proofs_check.claims import ABOUT, Claim, Outcome, Tier
from proofs_check.cli import main
from proofs_check.engine import AuditContext, judge, run_audit
from proofs_check.methods import Given, Search, Undecidable, methods_of
from proofs_check.registry import claims_for, get_claim
from proofs_check.witness import replay
from symbolic.hu2025lora import corrected as OURS
from symbolic.hu2025lora import objects as P
from symbolic.hu2025lora import shapes as SH

BY_ID = {c.id: c for c in AUD.CLAIMS}
EQ2_1 = PA.eq2_1_corrected


def ctx(tmp_path, **kw):
    return AuditContext(paper="hu2025lora", out_dir=tmp_path, **kw)


def audit(cid, tmp_path, methods=None):
    return judge(BY_ID[f"hu2025lora.{cid}"], ctx(tmp_path), methods=methods)


def replays(r, tmp_path):
    rep = replay(tmp_path / r.witness)
    return rep.reproduced and rep.outcome is Outcome.VIOLATED and not rep.disagreements


def test_claim_ids_sources_methods_and_registry():
    ids = list(BY_ID)
    assert len(ids) == len(set(ids)) == 66
    assert [c.id for c in claims_for("hu2025lora")] == ids
    for want in ("lemma3_1", "lemma3_2.A", "theorem3_1", "theorem3_1.proof_algorithm", "theorem4_1", "lemmaD_3",
                 "ours.theorem3_1"):
        assert get_claim(f"hu2025lora.{want}") is BY_ID[f"hu2025lora.{want}"]
    for c in AUD.CLAIMS:
        assert c.source.paper == "hu2025lora" and c.source.about in ABOUT and c.source.kind in ("paper", "ours")
        assert (c.source.kind == "ours") == (".ours." in c.id)
        undecidable_only = all(isinstance(m, Undecidable) for m in methods_of(c))
        assert "audit" not in vars(type(c)) and (undecidable_only or type(c).evaluate is not Claim.evaluate)
        assert methods_of(c) and c.hypotheses
    kinds = {type(m).__name__ for c in AUD.CLAIMS for m in methods_of(c)}
    assert kinds == {"Grid", "Search", "Undecidable"}
    assert sum(1 for c in AUD.CLAIMS if isinstance(c, AUD.FormulaClaim)) == len(AUD.TABLE) == 38
    for step in ("theorem3_1.proof_algorithm", "theoremA_1.proof_algorithm", "lemma3_6.proof_construction",
                 "lemma3_7.proof_construction", "theorem3_1.C7_inequality", "theorem4_1.reduction"):
        assert BY_ID[f"hu2025lora.{step}"].source.about == "proof_step"
    for stmt in ("theorem3_1", "theoremA_1", "lemma3_6", "lemma3_7", "theorem4_1", "lemma3_3"):
        assert BY_ID[f"hu2025lora.{stmt}"].source.about == "statement"
    assert "ours" in BY_ID["hu2025lora.lemma3_6"].source.note


def test_violated_formula_has_its_smallest_witness_and_replays(tmp_path):
    r = audit("eq2_1", tmp_path)
    assert r.outcome is Outcome.VIOLATED and r.tier is Tier.HIGH_PRECISION and r.witness
    data = json.loads((tmp_path / r.witness).read_text())
    assert (data["instance"]["L"], data["instance"]["d"], data["instance"]["r"]) == (1, 2, 1)
    assert replays(r, tmp_path)
    assert "1/2" in r.details["explanation"]


def test_correct_formula_is_verified_with_its_tier_and_narrowing(tmp_path):
    r = audit("lemma3_1", tmp_path)
    assert r.outcome is Outcome.VERIFIED and r.tier is Tier.SEARCHED and r.ratio < 1e-30
    assert r.evaluations == r.budget == len(AUD.BY_ID["hu2025lora.lemma3_1"].grid(None)) and r.confirmations == 1
    assert r.narrowing and "shapes" in r.narrowing[0]


def test_mutation_of_a_formula_flips_verified_to_violated(tmp_path, monkeypatch):
    orig = P.grad_vecW_35
    monkeypatch.setattr(P, "grad_vecW_35", lambda *a: orig(*a) * (1 + 1e-6))
    r = audit("lemma3_1", tmp_path)
    assert r.outcome is Outcome.VIOLATED and replays(r, tmp_path)


def test_mutation_of_the_constant_in_eq2_1_flips_violated_to_verified(tmp_path, monkeypatch):
    orig = P.eq2_1
    monkeypatch.setattr(P, "eq2_1", lambda *a: 2 * orig(*a))
    assert audit("eq2_1", tmp_path).outcome is Outcome.VERIFIED


@pytest.mark.parametrize("cid, module, name, mutant", [
    # (2.1) corrected: put the paper's 1/2 back, or drop beta (the grid has beta in {1, 1/2, 2})
    ("ours.eq2_1", PA, "eq2_1_corrected", lambda X, W, WV, Y, beta=1: EQ2_1(X, W, WV, Y, beta) / 2),
    ("ours.eq2_1", PA, "eq2_1_corrected", lambda X, W, WV, Y, beta=1: EQ2_1(X, W, WV, Y, 1)),
    # C.5 / C.6 corrected: the paper's matrix forms instead of ours
    ("ours.lemma3_6.C5_matrix_form", OURS, "p1_ours", lambda f, q: f * q),
    ("ours.lemma3_7.C6_matrix_form", OURS, "p2_ours", lambda f, r: f * r[None, :]),
])
def test_the_formerly_self_comparing_claims_of_ours_can_fail(tmp_path, monkeypatch, cid, module, name, mutant):
    assert audit(cid, tmp_path).outcome is Outcome.VERIFIED
    monkeypatch.setattr(module, name, mutant)
    r = audit(cid, tmp_path)
    assert r.outcome is Outcome.VIOLATED and replays(r, tmp_path)


def test_mutation_of_a_bound_is_found_by_the_search(tmp_path, monkeypatch):
    few = (Search(evaluations=40, floor=10),)
    assert audit("ours.lemma3_6", tmp_path, few).outcome is Outcome.VERIFIED
    orig = LR.bound_values

    def tight(*a, **k):
        b = dict(orig(*a, **k))
        b["E_p1"] = b["E_p1"] * 1e-6
        return b

    monkeypatch.setattr(LR, "bound_values", tight)
    r = audit("ours.lemma3_6", tmp_path, few)
    assert r.outcome is Outcome.VIOLATED and replays(r, tmp_path)


def test_mutation_of_the_reduction_map_is_caught(tmp_path, monkeypatch):
    assert audit("theorem4_1.reduction", tmp_path).outcome is Outcome.VERIFIED
    orig = HD.reduction_map

    def no_scaling(a):
        m = orig(a)
        m["C2"] = m["C2"] * int(a["r"])  # drop the 1/r of App. E
        return m

    monkeypatch.setattr(HD, "reduction_map", no_scaling)
    r = audit("theorem4_1.reduction", tmp_path)
    assert r.outcome is Outcome.VIOLATED and replays(r, tmp_path)


def test_shape_lint_depends_on_the_displays(tmp_path, monkeypatch):
    r = audit("shapes", tmp_path)
    assert r.outcome is Outcome.VIOLATED and r.tier is Tier.EXACT and replays(r, tmp_path)
    monkeypatch.setattr(SH, "DISPLAYS", tuple(d for d in SH.DISPLAYS if "dL/dA_Q" in d.where or "Lemma 2.1" in d.where))
    assert audit("shapes", tmp_path).outcome is Outcome.VERIFIED


def test_paper_chain_and_C7_inequality_are_violated(tmp_path):
    r = audit("theorem3_1.proof_algorithm", tmp_path)
    assert r.outcome is Outcome.VIOLATED and r.ratio > 1e3 and replays(r, tmp_path)
    c7 = audit("theorem3_1.C7_inequality", tmp_path, (Search(evaluations=120, floor=10),))
    assert c7.outcome is Outcome.VIOLATED and replays(c7, tmp_path)


def test_symbolic_tiers_are_honest(tmp_path):
    r = audit("lemma2_1", tmp_path)
    assert r.outcome is Outcome.VERIFIED and r.tier is Tier.SEARCHED and "listed sizes" in r.narrowing[0]
    for cid in ("appG.table1", "appG.speedups"):
        g = audit(cid, tmp_path)
        assert g.outcome is Outcome.VERIFIED and g.tier is Tier.EXHAUSTIVE and not g.narrowing


def test_run_audit_subset_and_cli(tmp_path, capsys):
    claims = [BY_ID[i] for i in ("hu2025lora.lemma2_1", "hu2025lora.appG.table1", "hu2025lora.lemmaD_2")]
    run = run_audit(claims, ctx(tmp_path))
    assert not run.errors
    assert {r.claim_id: r.outcome for r in run.results} == {
        "hu2025lora.lemma2_1": Outcome.VERIFIED, "hu2025lora.appG.table1": Outcome.VERIFIED,
        "hu2025lora.lemmaD_2": Outcome.VIOLATED}
    out = tmp_path / "cli"
    assert main(["audit", "hu2025lora", "--claim", "hu2025lora.ours.lemmaD_2", "--out", str(out),
                 "--json", str(tmp_path / "a.json")]) == 0
    row = json.loads((tmp_path / "a.json").read_text())["claims"][0]
    assert row["outcome"] == "verified" and row["tier"] == "searched"
    assert main(["audit", "hu2025lora", "--claim", "hu2025lora.eq2_1", "--device", "tpu", "--out", str(out)]) == 2
    assert "--device" in capsys.readouterr().err
    assert main(["report", "hu2025lora", "--dim", "0", "--out", str(tmp_path / "bad")]) == 2


def test_report_reads_engine_results_on_a_tiny_configuration(tmp_path, monkeypatch):
    from proofs_check.reports import hu2025lora as REP

    real = REP.configure

    def tiny(args):
        cfg = real(args)
        cfg.update(error_Ls=[128], dims=[2], timing_exact_Ls=[128, 256, 512], timing_approx_Ls=[128, 256, 512],
                   timing_g=3, degree_L=128, degree_gs=[2, 4], rank_L=64, rank_gammas=[0.5, 1.0], rank_ds=[2],
                   repeats=1,
                   edge_L=64, edge_gammas=[0.5], edge_ds=[2, 4], precision_L=64, precision_Rs=[0.5, 2.0])
        return cfg

    monkeypatch.setattr(REP, "configure", tiny)
    monkeypatch.setattr(REP, "formula_verdicts", lambda out, quick, seed=0: run_audit(
        [BY_ID["hu2025lora.eq2_1"], BY_ID["hu2025lora.ours.lemmaD_2"]], AuditContext(paper="hu2025lora", out_dir=out)))
    monkeypatch.setattr(REP, "reduction_rows", lambda cfg: [dict(L=8, r=2, d=4, B=2.0, lam=0.5, max_abs_diff=0.0,
                                                                 bookkeeping_ok=True)])
    args = types.SimpleNamespace(out=tmp_path, quick=True, seed=0, device="cpu", dim=None)
    assert REP.main(args) == 0
    rep = json.loads((tmp_path / "report.json").read_text())
    for k in ("config", "environment", "claims", "timing", "error_vs_bound", "measurements"):
        assert k in rep
    assert {p.name for p in tmp_path.glob("*.png")} == {"time_vs_L.png", "error_vs_degree.png", "rank_vs_gamma.png"}
    row = next(c for c in rep["claims"] if c["id"] == "hu2025lora.eq2_1")
    assert row["outcome"] == "violated" and row["tier"] == "high-precision" and row["counterexample"]
    assert replay(tmp_path / row["witness"]).reproduced
    assert {c["id"] for c in rep["claims"]} == {"hu2025lora.eq2_1", "hu2025lora.ours.lemmaD_2"}  # no synthetic rows
    assert rep["error_vs_bound"][0]["max_ratio"] <= 1
    assert "high-precision" in (tmp_path / "report.md").read_text()


def test_a_report_instance_is_judged_by_the_engine_with_given(tmp_path):
    inst = BY_ID["hu2025lora.lemma3_1"].grid(None)[0]
    r = judge(BY_ID["hu2025lora.lemma3_1"], ctx(tmp_path), methods=(Given((inst,), label="this run's instance"),))
    assert r.outcome is Outcome.VERIFIED and r.tier is Tier.INSTANCE


@pytest.mark.slow
def test_default_audit(tmp_path):
    assert main(["audit", "hu2025lora", "--out", str(tmp_path)]) == 0
    data = json.loads((tmp_path / "audit.json").read_text())
    assert data["finding_problems"] == [] and data["severity_counts"] == {"HIGH": 2, "MEDIUM": 4, "LOW": 8}
    for f in data["findings"]:
        if f["severity"] == "HIGH":
            assert replay(tmp_path / f["witness"]).reproduced
