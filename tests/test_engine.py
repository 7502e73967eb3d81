"""The audit engine can fail in both directions: planted claims, replay, resume, determinism."""
import json

from proofs_check.audit import AuditContext, run_audit
from proofs_check.claims import Outcome
from proofs_check.cli import main
from proofs_check.registry import claims_for
from proofs_check.search import maximize
from proofs_check.witness import replay


def _ctx(tmp_path, **kw):
    return AuditContext(paper="planted", budget_s=kw.pop("budget_s", 3.0), out_dir=tmp_path, **kw)


def test_planted_false_is_violated_and_true_is_verified(tmp_path):
    res = {r.claim_id: r for r in run_audit("planted", claims_for("planted"), _ctx(tmp_path, max_evals=400))}
    assert res["planted.false_bound"].outcome is Outcome.VIOLATED
    assert res["planted.true_bound"].outcome is Outcome.VERIFIED
    assert res["planted.inapplicable"].outcome is Outcome.NOT_APPLICABLE
    w = res["planted.false_bound"].witness
    assert replay(w).outcome is Outcome.VIOLATED


def test_replay_rejects_a_tampered_witness(tmp_path):
    r = run_audit("planted", [c for c in claims_for("planted") if c.id == "planted.false_bound"],
                  _ctx(tmp_path, max_evals=200))[0]
    data = json.loads(open(r.witness).read())
    data["instance"]["x"] = [0.1, 0.1, 0.1]  # no longer a counterexample
    bad = tmp_path / "tampered.json"
    bad.write_text(json.dumps(data))
    assert replay(bad).outcome is Outcome.VERIFIED
    data["instance"]["x"] = [2.0, 0.0, 0.0]  # outside the hypotheses
    bad.write_text(json.dumps(data))
    assert replay(bad).outcome is Outcome.NOT_APPLICABLE


def test_resume_skips_finished_claims(tmp_path):
    claims = claims_for("planted")
    first = run_audit("planted", claims[:1], _ctx(tmp_path, max_evals=100))
    calls = []
    again = run_audit("planted", claims, _ctx(tmp_path, max_evals=100), resume=True, on_result=calls.append)
    assert [r.claim_id for r in again] == [c.id for c in claims]
    norm = lambda r: json.loads(json.dumps(r.to_dict(), default=str))  # noqa: E731
    assert norm(again[0]) == norm(first[0]) and len(calls) == len(claims)


def test_search_is_deterministic_for_a_fixed_seed():
    claim = claims_for("planted")[0]
    space = claim.search_space(None)
    f = lambda inst: claim.evaluate(inst).ratio  # noqa: E731
    a = maximize(f, space, budget_s=1e9, max_evals=120, seed=3)
    b = maximize(f, space, budget_s=1e9, max_evals=120, seed=3)
    assert a.best == b.best and a.evaluations == b.evaluations == 120


def test_cli_strict_exit_status_and_bad_input(tmp_path, capsys):
    out = tmp_path / "o"
    assert main(["audit", "planted", "--budget", "2", "--max-evals", "100", "--out", str(out)]) == 0
    assert main(["audit", "planted", "--budget", "2", "--max-evals", "100", "--out", str(out), "--strict"]) == 1
    assert main(["audit", "planted", "--budget", "-1"]) == 2
    assert "--budget" in capsys.readouterr().err
    assert main(["audit", "planted", "--claim", "planted.nope"]) == 2
