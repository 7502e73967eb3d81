"""The one verdict engine can fail in both directions: planted true and false claims through every method kind,
replay and its exit codes, resume only into the same configuration, determinism, tool errors, the time cap."""
import json
import math

import pytest

from proofs_check.audits import planted
from proofs_check.claims import Evaluation, Hypothesis, Outcome, Tier
from proofs_check.cli import main
from proofs_check.engine import AuditContext, ResumeMismatch, ToolError, float_objective, judge, run_audit
from proofs_check.methods import Search
from proofs_check.registry import claims_for
from proofs_check.search import maximize
from proofs_check.witness import replay


def _ctx(tmp_path, **kw):
    return AuditContext(paper="planted", out_dir=tmp_path, **kw)


def _by_id(results):
    return {r.claim_id: r for r in results}


def test_planted_claims_of_every_method_kind_get_their_expected_verdict_and_tier(tmp_path):
    run = run_audit(claims_for("planted"), _ctx(tmp_path))
    assert not run.errors
    got = {r.claim_id: (str(r.outcome), None if r.tier is None else str(r.tier)) for r in run.results}
    assert got == planted.EXPECTED
    for r in run.results:
        if r.outcome is Outcome.VIOLATED:
            rep = replay(tmp_path / r.witness)
            assert rep.reproduced and rep.outcome is Outcome.VIOLATED and not rep.disagreements
    by = _by_id(run.results)
    assert by["planted.scan_false"].details["witness_size"] == 11          # the scan's smallest witness
    assert by["planted.training_false"].summary.startswith("the evidence goes against the claim")
    assert "unspecified constants" in by["planted.undecidable"].summary
    assert by["planted.true_bound"].evaluations == by["planted.true_bound"].budget == 300


def test_budget_is_a_multiplier_of_evaluations_with_a_floor(tmp_path):
    claim = planted.PlantedTrue()
    r2 = judge(claim, _ctx(tmp_path, budget=2.0))
    r0 = judge(claim, _ctx(tmp_path, budget=0.01))
    assert r2.budget == 600 and r0.budget == claim.methods.floor == 60
    assert r2.evaluations == 600 and r0.evaluations == 60 and r2.confirmations == r0.confirmations == 1


def test_same_seed_same_verdicts_witnesses_and_numbers(tmp_path):
    a = run_audit(claims_for("planted"), _ctx(tmp_path / "a"))
    b = run_audit(claims_for("planted"), _ctx(tmp_path / "b"))
    strip = lambda r: {k: v for k, v in r.to_dict().items() if k != "seconds"}  # noqa: E731
    assert [strip(r) for r in a.results] == [strip(r) for r in b.results]
    for r in a.results:
        if r.witness:
            assert (tmp_path / "a" / r.witness).read_text() == (tmp_path / "b" / r.witness).read_text()


def test_search_is_bit_identical_serially_on_a_pool_and_on_a_dask_cluster():
    claim = planted.PlantedFalse()
    space = claim.search_space(None)
    f = float_objective(claim)
    kw = dict(evaluations=150, seed=3, threshold=1.0, size=lambda c: 0)
    serial = maximize(f, space, **kw)
    assert serial.evaluations == 150 and serial.best_value > 1
    from proofs_check.engine import ClaimObjective

    pooled = maximize(ClaimObjective(claim.id), space, workers=2, **kw)
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cl, \
            distributed.Client(cl) as client:
        clustered = maximize(ClaimObjective(claim.id), space, scheduler=client, **kw)
    for other in (pooled, clustered):
        assert other.best == serial.best and other.best_value == serial.best_value
        assert other.history == serial.history and other.evaluations == serial.evaluations


def test_every_strategy_of_the_portfolio_runs_and_counts_evaluations():
    claim = planted.PlantedFalse()
    space = claim.search_space(None)
    res = maximize(float_objective(claim), space, evaluations=200, seed=1, portfolio=("explore", "local", "cma"))
    assert res.evaluations == 200
    assert set(res.by_strategy) == {"explore", "local", "cma"}
    assert sum(n for n, _ in res.by_strategy.values()) == 200


def test_resume_reuses_finished_claims_and_refuses_another_configuration(tmp_path):
    claims = claims_for("planted")
    full = run_audit(claims, _ctx(tmp_path / "full"))
    part = tmp_path / "part"
    run_audit(claims[:4], _ctx(part))                        # an interrupted run: four claims done
    data = json.loads((part / "audit.partial.json").read_text())
    data["fingerprint"]["claims"] = [c.id for c in claims]   # as the full run would have recorded them
    (part / "audit.partial.json").write_text(json.dumps(data))
    resumed = run_audit(claims, _ctx(part), resume=True)
    assert resumed.resumed == [c.id for c in claims[:4]]
    strip = lambda r: {k: v for k, v in r.to_dict().items() if k != "seconds"}  # noqa: E731
    assert [strip(r) for r in resumed.results] == [strip(r) for r in full.results]
    with pytest.raises(ResumeMismatch) as exc:
        run_audit(claims, _ctx(part, seed=5), resume=True)
    assert "seed" in str(exc.value)


def test_cli_resume_into_other_options_is_a_usage_error(tmp_path, capsys):
    out = tmp_path / "o"
    assert main(["audit", "planted", "--claim", "planted.true_bound", "--out", str(out)]) == 0
    (out / "audit.partial.json").write_text(json.dumps({"fingerprint": {"paper": "planted", "budget": 1.0,
                                                                        "seed": 0}, "claims": []}))
    assert main(["audit", "planted", "--claim", "planted.true_bound", "--out", str(out), "--resume",
                 "--budget", "2"]) == 2
    err = capsys.readouterr().err
    assert "--resume" in err and "budget" in err


class _Crashing(planted.PlantedTrue):
    id = "planted.crashing"

    def evaluate(self, instance, dps=None):
        if dps is not None:
            raise RuntimeError("boom in the high-precision path")
        return super().evaluate(instance, dps)


class _Outside(planted.PlantedTrue):
    id = "planted.outside"
    hypotheses = (Hypothesis("tiny box", "x in [-0.1, 0.1]^3", lambda i: (max(abs(v) for v in i["x"]) <= 0.1, "")),)


def test_a_crash_is_a_tool_error_and_the_other_claims_are_still_written(tmp_path):
    run = run_audit([_Crashing(), planted.PlantedFalse()], _ctx(tmp_path))
    assert [e.claim_id for e in run.errors] == ["planted.crashing"]
    assert [r.claim_id for r in run.results] == ["planted.false_bound"]
    log = (tmp_path / "errors.log").read_text()
    assert "boom in the high-precision path" in log and "Traceback" in log
    with pytest.raises(ToolError, match="outside the hypotheses"):
        judge(_Outside(), _ctx(tmp_path))


def test_cli_exit_3_names_the_crashing_claim(tmp_path, capsys, monkeypatch):
    def boom(self, instance, dps=None):
        raise RuntimeError("broken evaluate")

    monkeypatch.setattr(planted.PlantedTrue, "evaluate", boom)
    out = tmp_path / "o"
    assert main(["audit", "planted", "--out", str(out)]) == 3
    err = capsys.readouterr().err
    assert "planted.true_bound" in err and "errors.log" in err
    data = json.loads((out / "audit.json").read_text())
    assert data["errors"][0]["claim_id"] == "planted.true_bound"
    assert {c["claim_id"] for c in data["claims"]} == set(planted.EXPECTED) - {"planted.true_bound"}


def test_time_cap_gives_inconclusive_never_a_weaker_verified(tmp_path):
    class Slow(planted.PlantedTrue):
        id = "planted.slow"
        methods = Search(evaluations=10**6, floor=10**6)

    r = judge(Slow(), _ctx(tmp_path, time_cap_s=0.5))
    assert r.outcome is Outcome.INCONCLUSIVE and r.stopped_by == "time cap"
    assert "stopped by the time cap" in r.summary and r.evaluations < r.budget


def test_statistical_interval_straddling_the_bound_is_inconclusive(tmp_path):
    class Straddle(planted.PlantedMCTrue):
        id = "planted.straddle"

        def evaluate(self, instance, dps=None):
            return Evaluation(0.019, 0.02, spread=0.01)

    r = judge(Straddle(), _ctx(tmp_path))
    assert r.outcome is Outcome.INCONCLUSIVE and "straddles" in r.summary


def _witness(tmp_path):
    r = judge(planted.PlantedFalse(), _ctx(tmp_path))
    return tmp_path / r.witness


@pytest.mark.parametrize("content, message", [
    (b"", "not JSON"), (b"[]", "JSON list"), (b"{}", "not an icl-verify witness"), (b"\x89PNG\x00\xff", "not a text"),
    (b'{"claims": []}', "audit.json"), (b'{"format": "icl-verify-witness/2", "claim": "planted.false_bound"}', "lacks"),
])
def test_replay_exit_2_for_files_that_are_not_witnesses(tmp_path, capsys, content, message):
    f = tmp_path / "w.json"
    f.write_bytes(content)
    assert main(["replay", str(f)]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1 and "Traceback" not in err
    assert main(["replay", str(tmp_path)]) == 2


def test_replay_exit_codes_reproduced_tampered_outside_and_malformed(tmp_path, capsys):
    w = _witness(tmp_path)
    assert main(["replay", str(w)]) == 0
    assert "violated" in capsys.readouterr().out
    data = json.loads(w.read_text())
    bad = tmp_path / "tampered.json"
    bad.write_text(json.dumps({**data, "instance": {"x": [0.1, 0.1, 0.1]}}))     # no longer a counterexample
    assert main(["replay", str(bad)]) == 1
    out = capsys.readouterr().out
    assert "NOT reproduced" in out and "recomputed verified" in out
    bad.write_text(json.dumps({**data, "observed": "1.9"}))                       # stored number forged
    assert main(["replay", str(bad)]) == 1
    assert "stored observed 1.9" in capsys.readouterr().out
    bad.write_text(json.dumps({**data, "instance": {"x": [2.0, 0.0, 0.0]}}))     # outside the hypotheses
    assert main(["replay", str(bad)]) == 1
    assert "outside the hypotheses: box (x in [-1, 1]^3)" in capsys.readouterr().out
    bad.write_text(json.dumps({**data, "instance": {"y": 1}}))                    # malformed instance
    assert main(["replay", str(bad)]) == 2
    assert "malformed" in capsys.readouterr().err
    assert math.isfinite(json.loads(w.read_text())["ratio"])


def test_cli_audit_strict_and_bad_input(tmp_path, capsys):
    out = tmp_path / "o"
    assert main(["audit", "planted", "--out", str(out)]) == 0
    assert main(["audit", "planted", "--out", str(out), "--strict"]) == 1
    for bad in (["--budget", "-1"], ["--budget", "nan"], ["--time-cap", "0"], ["--claim", "planted.nope"]):
        assert main(["audit", "planted", "--out", str(out), *bad]) == 2
        assert bad[0] in capsys.readouterr().err
    data = json.loads((out / "audit.json").read_text())
    assert all(c["tier"] for c in data["claims"] if c["outcome"] in ("verified", "violated"))
    assert all((out / c["witness"]).exists() for c in data["claims"] if c["outcome"] == "violated")
    assert Tier.SEARCHED.value in (out / "referee_report.md").read_text()


class _SumClaim(planted.PlantedTrue):
    """|x1| + |x2| + |x3| <= 2.9 on the box (false at the corners), with a search too weak to find it alone."""

    id = "planted.sum_pool"
    pool_family = "planted.box"
    methods = Search(evaluations=1, floor=1, portfolio=("explore",))

    def evaluate(self, instance, dps=None):
        x = instance["x"]
        if dps is None:
            return Evaluation(float(sum(abs(v) for v in x)), 2.9)
        return Evaluation(mpmath_sum(x), planted.mpmath.mpf("2.9"))

    def search_space(self, ctx):
        space = super().search_space(ctx)
        space.sample = lambda rng: planted.Candidate({}, rng.uniform(-0.01, 0.01, size=3))
        return space


def mpmath_sum(x):
    return planted.mpmath.fsum(abs(planted.mpmath.mpf(v)) for v in x)


class _PooledFalse(planted.PlantedFalse):
    pool_family = "planted.box"


@pytest.mark.parametrize("order", ["pool_first", "pool_second"])
def test_the_witness_pool_carries_one_claims_instances_to_another(tmp_path, order):
    alone = judge(_SumClaim(), _ctx(tmp_path / "alone"))
    assert alone.outcome is Outcome.VERIFIED                 # one evaluation near 0 cannot find the corner
    claims = [_PooledFalse(), _SumClaim()] if order == "pool_first" else [_SumClaim(), _PooledFalse()]
    run = run_audit(claims, _ctx(tmp_path / order))
    r = _by_id(run.results)["planted.sum_pool"]
    assert r.outcome is Outcome.VIOLATED, r.summary           # the other claim's corner, adopted and confirmed
    assert r.details["pool"]["re_evaluated"] >= 1 and r.details["pool"]["best_from"] == "planted.false_bound"
    assert r.evaluations > alone.evaluations and r.budget > alone.budget   # pool re-evaluation counts as budget


def test_two_processes_with_different_hash_seeds_give_the_same_audit(tmp_path):
    """Set ordering and other per-process randomness must not reach a verdict, a number or a witness."""
    import os
    import subprocess
    import sys

    outs = []
    for seed in ("1", "2"):
        out = tmp_path / f"h{seed}"
        env = {**os.environ, "PYTHONHASHSEED": seed}
        subprocess.run([sys.executable, "-m", "proofs_check", "audit", "planted", "--out", str(out)], env=env,
                       check=True, capture_output=True)
        data = json.loads((out / "audit.json").read_text())
        outs.append((out, [{k: v for k, v in c.items() if k != "seconds"} for c in data["claims"]]))
    (a, ra), (b, rb) = outs
    assert [{k: v for k, v in r.items() if k != "counterexample"} for r in ra] == \
        [{k: v for k, v in r.items() if k != "counterexample"} for r in rb]
    for r in ra:
        if r.get("witness"):
            assert (a / r["witness"]).read_text() == (b / r["witness"]).read_text()


class _Residue(planted.PlantedTrue):
    """|sqrt(2)^2 - 2| against the bound 0: exactly 0, a rounding residue of about 10^-dps at dps digits."""

    id = "planted.residue"
    methods = __import__("proofs_check.methods", fromlist=["Grid"]).Grid()
    hypotheses = ()

    def grid(self, ctx):
        return [{"x": 2}]

    def size(self, instance):
        return 1

    def evaluate(self, instance, dps=None):
        import mpmath

        x = mpmath.mpf(instance["x"])
        return Evaluation(abs(mpmath.sqrt(x) ** 2 - x), mpmath.mpf(0), {})


class _Tiny(_Residue):
    """A real excess of 1e-40 over the bound 0: below 10^(-dps/2) of the scale, but it does not shrink."""

    id = "planted.tiny_excess"

    def evaluate(self, instance, dps=None):
        import mpmath

        return Evaluation(mpmath.mpf(10) ** -40, mpmath.mpf(0), {})


def test_a_rounding_residue_over_a_zero_bound_is_no_violation_but_a_tiny_real_excess_is(tmp_path):
    import mpmath

    with mpmath.workdps(50):
        assert _Residue().evaluate({"x": 2}).violates()          # what a bare 50-digit comparison says
    res = judge(_Residue(), _ctx(tmp_path))
    assert res.outcome is Outcome.VERIFIED, res.summary
    tiny = judge(_Tiny(), _ctx(tmp_path))
    assert tiny.outcome is Outcome.VIOLATED, tiny.summary


class _Infinite(_Residue):
    """An infinite observed (e.g. a count of non-conforming shapes over a 0 tolerance, ratio inf): no residue."""

    id = "planted.infinite_excess"

    def evaluate(self, instance, dps=None):
        import mpmath

        return Evaluation(mpmath.inf, mpmath.mpf(0), {})


def test_an_infinite_excess_is_never_taken_for_a_rounding_residue(tmp_path):
    assert judge(_Infinite(), _ctx(tmp_path)).outcome is Outcome.VIOLATED


def test_progress_counts_each_claim_once_and_marks_a_revised_verdict(capsys, monkeypatch):
    """The second pass may change a verdict (instances pooled after the claim was judged): its line says 'revised'
    and the count stays at the number of claims (it printed [65/64] before)."""
    from types import SimpleNamespace

    from proofs_check import audit_cmd

    progress = audit_cmd._Progress(2)
    lines = []
    monkeypatch.setattr(audit_cmd, "table_row", lambda r: r.claim_id)
    for cid in ("a", "b", "a"):
        progress.result(SimpleNamespace(claim_id=cid))
        lines.append(capsys.readouterr().err.strip())
    assert lines[0].startswith("[1/2") and lines[1].startswith("[2/2") and lines[2].startswith("[revised")
    assert progress.done == 2
