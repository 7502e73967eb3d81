"""``icl-verify bench``: the JSON contract on a tiny plan, and the audit search is identical with a process pool.

No timing assertions: the bench reports numbers, tests check shapes and exact bookkeeping only."""
import json

import numpy as np
import pytest

from proofs_check import bench
from proofs_check.engine import AuditContext, ClaimObjective
from proofs_check.bench import BenchPlan, Size, fit_exponent, run_bench, time_pair
from proofs_check.registry import get_claim
from proofs_check.search import maximize

TINY = BenchPlan(reps=2, d=2, K=3, N=2, ns=(4,), Ms=(10, 20), target=(4, 20), growth_n=(2, 4), growth_M=(10, 20),
                 growth_N=(2, 3), steps=2, dense=Size(2, 3, 2, 3, 10), highprec=Size(2, 3, 2, 2, 10),
                 highprec_reps=1, audit_evals=8, audit_claim="planted.false_bound",
                 objective_sizes=(Size(1, 1, 2, 2, 8),), objective_batch=8, equivalence_n=(4, 300),
                 power_evals=24, power_claims=("planted.true_bound",), power_reference=2,
                 claim_objectives=("planted.true_bound", "wu2025.lemma4.safe"), claim_objective_count=8, cert_paper="planted",
                 cert_claims=("planted.false_bound",), cert_budget=1.0)
KEYS = {"case", "candidate_s", "baseline_s", "ratio", "peak_mem_bytes", "config"}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench")
    run_bench(TINY, "cpu", out, out / "rows.json", log=lambda s: None)
    return out


def test_json_rows_keep_the_contract(tiny):
    data = json.loads((tiny / "rows.json").read_text())
    rows = data["cases"]
    kinds = {r["case"].split("[")[0] for r in rows}
    assert {"block_vs_gd", "paper_scale_L2", "structured_vs_dense", "highprec_50digits", "audit_search",
            "objective_batch", "structured_batch", "search_power", "claim_objective", "certificate_check"} <= kinds
    for r in rows:
        assert KEYS <= set(r), r["case"]
        assert r["ratio"] == r["candidate_s"] / r["baseline_s"]
        assert r["candidate_s"] > 0 and r["baseline_s"] > 0 and r["peak_mem_bytes"] > 0
    assert json.loads((tiny / "bench.json").read_text())["cases"] == rows


def test_growth_curves_targets_plot_and_markdown(tiny):
    data = json.loads((tiny / "rows.json").read_text())
    for axis in ("n", "M", "N"):
        c = data["growth"][axis]
        assert len(c["x"]) == len(c["candidate_s"]) == len(c["baseline_s"]) >= 2
        assert np.isfinite(c["candidate_exponent"]) and np.isfinite(c["baseline_exponent_top3"])
        assert len(c["ratio"]) == len(c["x"])
    names = [t["target"] for t in data["targets"]]
    assert len(names) == 12 and all({"target", "measured", "met"} <= set(t) for t in data["targets"])
    assert any("claims' objectives" in t for t in names)
    assert any("factor 0.9" in t for t in names) and any("5x fewer" in t for t in names)
    assert any("every n" in t for t in names) and any("largest three" in t for t in names)
    assert (tiny / "bench_growth.png").stat().st_size > 0
    md = (tiny / "bench.md").read_text()
    assert "| case (cpu) |" in md
    assert "**search_power[" in md and "| x0.5 |" in md and "| claim objective (float64, CPU) |" in md
    assert "accepted by the independent checker" in md


def test_rows_record_correctness_of_what_was_timed(tiny):
    rows = {r["case"].split("[")[0]: r for r in json.loads((tiny / "rows.json").read_text())["cases"]}
    assert rows["structured_vs_dense"]["details"]["max_abs_diff"] < 1e-12
    assert rows["highprec_50digits"]["details"]["encloses_mpmath_at_dps_plus_20"] is True
    assert rows["highprec_50digits"]["details"]["enclosure_max_radius"] < 1e-45
    assert rows["audit_search"]["details"]["identical_to_single_process"] is True
    assert rows["block_vs_gd"]["details"]["w_error_vs_gd"] < 1e-2
    assert rows["objective_batch"]["details"]["max_rel_diff_vs_one_at_a_time"] < 1e-12
    assert rows["structured_batch"]["details"]["max_abs_diff_vs_one_at_a_time"] < 1e-12
    eq = rows["structured_vs_dense"]["details"]["equivalence_by_n"]
    assert set(eq) == {"4", "300"} and all(v["max_abs_diff"] < 1e-12 for v in eq.values())
    assert eq["300"]["tokens_compared"] < 301
    power = rows["search_power"]["details"]
    assert {e["engine"] for e in power["errata"]} == {"portfolio", "previous"}
    assert rows["claim_objective"]["details"]["same_values"] is True
    objs = [r for r in json.loads((tiny / "rows.json").read_text())["cases"] if r["case"].startswith("claim_objective")]
    assert sorted(r["config"]["batch"] for r in objs) == ["configuration", "configuration", "explore", "explore"]
    assert all(r["case"].endswith(f", {r['config']['batch']}]") for r in objs)
    cert = rows["certificate_check"]["details"]
    assert cert["certificates"] > 0 and cert["all_accepted"] is True


def test_search_power_finds_planted_errata_with_both_engines():
    """At a tiny budget: both engines report every erratum; the bound of planted.true_bound halved (its worst case
    is sqrt 3 at the corners) is found by both; the scaled errata read off one shared search agree with running each
    planted claim; the widened box is confirmed false at high precision."""
    from proofs_check import bench_search as bs
    from proofs_check.search_power import run

    ids = ("planted.true_bound",)
    row = bs.case_search_power(evaluations=40, ids=ids, reference_factor=2)
    d = row.details
    assert row.candidate_s > 0 and row.baseline_s > 0 and row.ratio == row.candidate_s / row.baseline_s
    s = d["summary"]
    assert s["portfolio"]["errata"] == s["previous"]["errata"] == 4       # 3 severities + the widened box
    assert set(s["portfolio"]["by_severity"]) == {"x0.5", "x0.9", "x0.99", "structural"}
    assert d["references"]["planted.true_bound"] == pytest.approx(1.0, abs=0.05)
    half = [e for e in d["errata"] if e["erratum"] == "planted.true_bound scaled x0.5"]
    assert {e["engine"] for e in half} == {"portfolio", "previous"}
    assert all(e["found"] and 1 <= e["first"] <= 40 for e in half)
    widened = [e for e in d["errata"] if e["kind"] != "scaled"]
    assert widened and all(e["found"] and e["confirmed"]["violates"] is True for e in widened)
    assert {"every erratum at factor 0.9 found (portfolio)",
            "median evaluations to the first violation, previous / portfolio >= 5"} <= set(d["targets"])

    claim = get_claim("planted.true_bound")
    es = bs.errata(ids)[:3]
    ctx = AuditContext("planted")
    a = run(es, {"planted.true_bound": claim}, ctx, 40, share=True)
    b = run(es, {"planted.true_bound": claim}, ctx, 40, share=False)
    assert [(r.erratum, r.engine, r.found, r.first) for r in a.rows] == \
        [(r.erratum, r.engine, r.found, r.first) for r in b.rows]


def test_cli_quick_uses_the_quick_plan(tmp_path, monkeypatch):
    from proofs_check.cli import main

    monkeypatch.setattr(bench, "QUICK", TINY)
    assert main(["bench", "--quick", "--json", str(tmp_path / "b.json"), "--out", str(tmp_path / "o")]) == 0
    assert json.loads((tmp_path / "b.json").read_text())["plan"]["reps"] == TINY.reps
    assert main(["bench", "--quick", "--device", "tpu", "--json", str(tmp_path / "c.json")]) == 2
    assert not (tmp_path / "c.json").exists()


def test_fit_exponent_and_time_pair():
    xs = [16, 64, 256]
    assert fit_exponent(xs, [3e-3 * x**1.1 for x in xs]) == pytest.approx(1.1)
    c, b = time_pair(lambda: None, lambda: None, 3, baseline_reps=2)
    assert len(c) == 3 and len(b) == 2


@pytest.mark.parametrize("claim_id", ["planted.false_bound", "planted.true_bound"])
def test_search_is_identical_in_a_process_pool(claim_id):
    claim = get_claim(claim_id)
    space = claim.search_space(AuditContext("planted"))
    kw = dict(evaluations=40, seed=7)
    one = maximize(ClaimObjective(claim_id), space, workers=1, **kw)
    two = maximize(ClaimObjective(claim_id), space, workers=2, **kw)
    assert one.evaluations == two.evaluations == 40
    assert one.best_value == two.best_value and one.best == two.best and one.history == two.history


@pytest.mark.gpu
def test_bench_contract_on_cuda(tmp_path):
    data = run_bench(TINY, "cuda", tmp_path, tmp_path / "rows.json", log=lambda s: None)
    assert data["device"].startswith("cuda")
    rows = {r["case"].split("[")[0]: r for r in data["cases"]}
    assert rows["block_vs_gd"]["config"]["device"].startswith("cuda")
    assert rows["block_vs_gd"]["details"]["peak_mem_method"] == "torch.cuda.max_memory_allocated"
    for r in data["cases"]:
        assert r["ratio"] == r["candidate_s"] / r["baseline_s"]


@pytest.mark.slow
def test_search_power_targets_of_the_quick_plan():
    """Issue 13's targets at the quick plan's budget (27 errata, 100 evaluations, seed 0; evaluation counts, not
    time): every x0.9 erratum found by the portfolio and a median to the first violation >= 5x below the previous
    engine's."""
    from proofs_check import bench_search as bs

    d = bs.case_search_power(evaluations=100, reference_factor=4).details
    assert d["summary"]["portfolio"]["all_found_at_0.9"]
    assert d["summary"]["speedup_median"] >= 5
    assert all(t["met"] for t in d["targets"].values())


def test_search_results_with_array_instances_compare():
    """The audit_search row compares a pool's result with one process's; a Wu claim's best instance holds numpy
    arrays (``icl-verify bench --quick`` crashed on ``==`` there)."""
    from types import SimpleNamespace

    from proofs_check.bench import same_search_result

    def res(w, value=0.5):
        return SimpleNamespace(best_value=value, evaluations=8, best={"config": {"n": 1}, "prompt": {"w0": np.array(w)}})

    assert same_search_result(res([1.0, 2.0]), res([1.0, 2.0]))
    assert not same_search_result(res([1.0, 2.0]), res([1.0, 2.5]))
    assert not same_search_result(res([1.0]), res([1.0], value=0.6))
