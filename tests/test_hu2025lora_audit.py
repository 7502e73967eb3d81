"""Hu et al. (LoRA): audit verdicts, witnesses, mutation tests (a perturbed formula, constant or bound flips
the verdict), the CLI and the report plumbing."""
import json
import types

import pytest

from numeric.hu2025lora import hardness as HD
from numeric.hu2025lora import lowrank as LR
from proofs_check.audit import AuditContext, run_audit
from proofs_check.audits import hu2025lora as AUD
from proofs_check.claims import Outcome
from proofs_check.cli import main
from proofs_check.witness import replay
from symbolic.hu2025lora import corrected as OURS
from symbolic.hu2025lora import objects as P
from symbolic.hu2025lora import shapes as SH

BY_ID = {c.id: c for c in AUD.CLAIMS}


def audit(cid, tmp_path, budget=2.0, max_evals=None):
    ctx = AuditContext(paper="hu2025lora", budget_s=budget, out_dir=tmp_path, max_evals=max_evals)
    return BY_ID[f"hu2025lora.{cid}"].audit(ctx)


def test_claim_ids_sources_and_registry():
    ids = list(BY_ID)
    assert len(ids) == len(set(ids))
    for want in ("lemma3_1", "lemma3_2.A", "theorem3_1", "theorem4_1", "lemmaD_3", "ours.theorem3_1"):
        assert f"hu2025lora.{want}" in BY_ID
    assert all(c.source.kind in ("paper", "ours") for c in AUD.CLAIMS)
    assert all(c.source.kind == "ours" for c in AUD.CLAIMS if ".ours." in c.id)


def test_violated_formula_has_a_smallest_witness_that_replays(tmp_path):
    r = audit("eq2_1", tmp_path)
    assert r.outcome is Outcome.VIOLATED and r.witness
    data = json.loads(open(r.witness).read())
    assert (data["instance"]["L"], data["instance"]["d"], data["instance"]["r"]) == (1, 2, 1)
    assert replay(r.witness).outcome is Outcome.VIOLATED


def test_correct_formula_is_verified(tmp_path):
    r = audit("lemma3_1", tmp_path, budget=1.0)
    assert r.outcome is Outcome.VERIFIED and r.ratio < 1e-3


def test_mutation_of_a_formula_flips_verified_to_violated(tmp_path, monkeypatch):
    orig = P.grad_vecW_35
    monkeypatch.setattr(P, "grad_vecW_35", lambda *a: orig(*a) * (1 + 1e-6))
    assert audit("lemma3_1", tmp_path, budget=1.0).outcome is Outcome.VIOLATED


def test_mutation_of_the_constant_in_eq2_1_flips_violated_to_verified(tmp_path, monkeypatch):
    orig = P.eq2_1
    monkeypatch.setattr(P, "eq2_1", lambda *a: 2 * orig(*a))
    assert audit("eq2_1", tmp_path, budget=1.0).outcome is Outcome.VERIFIED


def test_mutating_our_corrected_p2_back_to_the_papers_form_is_caught(tmp_path, monkeypatch):
    monkeypatch.setattr(OURS, "p2_ours", lambda f, r: f * r[None, :])
    assert audit("ours.lemma3_7.C6_matrix_form", tmp_path, budget=1.0).outcome is Outcome.VIOLATED


def test_mutation_of_a_bound_is_found_by_the_search(tmp_path, monkeypatch):
    assert audit("ours.lemma3_6", tmp_path, max_evals=40).outcome is Outcome.VERIFIED
    orig = LR.bound_values

    def tight(*a, **k):
        b = dict(orig(*a, **k))
        b["E_p1"] = b["E_p1"] * 1e-6
        return b

    monkeypatch.setattr(LR, "bound_values", tight)
    r = audit("ours.lemma3_6", tmp_path, max_evals=40)
    assert r.outcome is Outcome.VIOLATED and replay(r.witness).outcome is Outcome.VIOLATED


def test_mutation_of_the_reduction_map_is_caught(tmp_path, monkeypatch):
    assert audit("theorem4_1", tmp_path, budget=1.0).outcome is Outcome.VERIFIED
    orig = HD.reduction_map

    def no_scaling(a):
        m = orig(a)
        m["C2"] = m["C2"] * int(a["r"])  # drop the 1/r of App. E
        return m

    monkeypatch.setattr(HD, "reduction_map", no_scaling)
    assert audit("theorem4_1", tmp_path, budget=1.0).outcome is Outcome.VIOLATED


def test_shape_lint_depends_on_the_displays(tmp_path, monkeypatch):
    assert audit("shapes", tmp_path).outcome is Outcome.VIOLATED
    monkeypatch.setattr(SH, "DISPLAYS", tuple(d for d in SH.DISPLAYS if "dL/dA_Q" in d.where or "Lemma 2.1" in d.where))
    assert audit("shapes", tmp_path).outcome is Outcome.VERIFIED


def test_paper_chain_and_C7_inequality_are_violated(tmp_path):
    r = audit("theorem3_1", tmp_path, budget=2.0)
    assert r.outcome is Outcome.VIOLATED and r.ratio > 1e3
    c7 = audit("theorem3_1.C7_inequality", tmp_path, max_evals=60)
    assert c7.outcome is Outcome.VIOLATED


def test_run_audit_subset_and_cli(tmp_path, capsys):
    claims = [BY_ID[i] for i in ("hu2025lora.lemma2_1", "hu2025lora.appG_table1", "hu2025lora.lemmaD_2")]
    res = {r.claim_id: r.outcome for r in run_audit("hu2025lora", claims,
                                                     AuditContext(paper="hu2025lora", budget_s=5, out_dir=tmp_path))}
    assert res == {"hu2025lora.lemma2_1": Outcome.VERIFIED, "hu2025lora.appG_table1": Outcome.VERIFIED,
                   "hu2025lora.lemmaD_2": Outcome.VIOLATED}
    out = tmp_path / "cli"
    assert main(["audit", "hu2025lora", "--claim", "hu2025lora.ours.lemmaD_2", "--budget", "3", "--out", str(out),
                 "--json", str(out / "a.json")]) == 0
    assert json.loads((out / "a.json").read_text())["claims"][0]["outcome"] == "verified"
    assert main(["audit", "hu2025lora", "--claim", "hu2025lora.eq2_1", "--device", "tpu", "--out", str(out)]) == 2
    assert "--device" in capsys.readouterr().err
    assert main(["report", "hu2025lora", "--dim", "0", "--out", str(tmp_path / "bad")]) == 2


def test_report_plumbing_on_a_tiny_configuration(tmp_path, monkeypatch):
    from proofs_check.reports import hu2025lora as REP

    real = REP.configure

    def tiny(args):
        cfg = real(args)
        cfg.update(error_Ls=[128], dims=[2], timing_exact_Ls=[128, 256, 512], timing_approx_Ls=[128, 256, 512],
                   timing_g=3, degree_L=128, degree_gs=[2, 4], rank_L=64, rank_gammas=[0.5, 1.0], rank_ds=[2], repeats=1,
                   edge_L=64, edge_gammas=[0.5], edge_ds=[2, 4], precision_L=64, precision_Rs=[0.5, 2.0])
        return cfg

    monkeypatch.setattr(REP, "configure", tiny)
    monkeypatch.setattr(REP, "formula_verdicts", lambda out, quick: [
        BY_ID["hu2025lora.eq2_1"].audit(AuditContext(paper="hu2025lora", budget_s=1, out_dir=out))])
    monkeypatch.setattr(REP, "reduction_rows", lambda cfg: [dict(L=8, r=2, d=4, B=2.0, lam=0.5, max_abs_diff=0.0,
                                                                 bookkeeping_ok=True)])
    args = types.SimpleNamespace(out=tmp_path, quick=True, seed=0, device="cpu", dim=None)
    assert REP.main(args) == 0
    rep = json.loads((tmp_path / "report.json").read_text())
    for k in ("config", "environment", "claims", "timing", "error_vs_bound"):
        assert k in rep
    assert {p.name for p in tmp_path.glob("*.png")} == {"time_vs_L.png", "error_vs_degree.png", "rank_vs_gamma.png"}
    row = next(c for c in rep["claims"] if c["id"] == "hu2025lora.eq2_1")
    assert row["outcome"] == "violated" and row["counterexample"]
    assert rep["error_vs_bound"][0]["max_ratio"] <= 1


@pytest.mark.slow
def test_default_audit_budget_60(tmp_path):
    assert main(["audit", "hu2025lora", "--budget", "60", "--out", str(tmp_path)]) == 0
