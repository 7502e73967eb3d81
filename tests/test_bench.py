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
                 objective_sizes=(Size(1, 1, 2, 2, 8),), objective_batch=8, equivalence_n=(4, 300))
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
            "objective_batch", "structured_batch"} <= kinds
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
    assert len(names) == 9 and all({"target", "measured", "met"} <= set(t) for t in data["targets"])
    assert any("every n" in t for t in names) and any("largest three" in t for t in names)
    assert (tiny / "bench_growth.png").stat().st_size > 0
    assert "| case (cpu) |" in (tiny / "bench.md").read_text()


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
