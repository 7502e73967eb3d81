"""Registry-wide invariants (tracr's test_cases.py is the model: the cases are data, every claim runs through the
same checks): every registered claim of every paper produces instances inside its hypotheses that evaluate in
float64 and at 50 digits; audit outputs keep a replayable witness for every violated claim, and the checks fail
when a witness is removed or broken."""
import json
import shutil

import pytest

from proofs_check.engine import AuditContext, run_audit
from proofs_check.invariants import audit_problems, claim_problems
from proofs_check.registry import PAPERS, claims_for

CASES = [(paper, c.id) for paper in PAPERS for c in claims_for(paper)]


@pytest.mark.parametrize("paper, claim_id", CASES, ids=[cid for _, cid in CASES])
def test_every_registered_claim_keeps_the_invariants(paper, claim_id, tmp_path):
    claim = next(c for c in claims_for(paper) if c.id == claim_id)
    module = __import__(PAPERS[paper].claims, fromlist=["configure"])
    ctx = AuditContext(paper=paper, out_dir=tmp_path, budget=0.01,
                       options=module.configure(_no_args()) if hasattr(module, "configure") else {})
    assert claim_problems(claim, ctx) == []


def test_ids_are_unique_across_papers():
    ids = [cid for _, cid in CASES]
    assert len(ids) == len(set(ids))


def _no_args():
    import argparse

    from proofs_check.cli import build_parser

    return build_parser().parse_args(["audit", "planted"])


@pytest.fixture(scope="module")
def planted_audit(tmp_path_factory):
    out = tmp_path_factory.mktemp("planted")
    from proofs_check.cli import main

    assert main(["audit", "planted", "--out", str(out)]) == 0
    return out


def test_planted_audit_keeps_the_invariants(planted_audit):
    assert audit_problems(planted_audit) == []


def test_removing_a_witness_or_breaking_its_replay_fails_the_invariants(planted_audit, tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(planted_audit, broken)
    data = json.loads((broken / "audit.json").read_text())
    violated = [c for c in data["claims"] if c["outcome"] == "violated"]
    (broken / violated[0]["witness"]).unlink()
    w = broken / violated[1]["witness"]
    rec = json.loads(w.read_text())
    rec["observed"] = "0"                       # the stored number no longer matches the recomputation
    w.write_text(json.dumps(rec))
    probs = audit_problems(broken)
    assert any(violated[0]["claim_id"] in p and "does not exist" in p for p in probs)
    assert any(violated[1]["claim_id"] in p and "does not replay" in p for p in probs)
    data["claims"][0]["tier"] = None
    data["errors"] = [{"claim_id": "planted.x", "error": "RuntimeError", "message": "boom"}]
    (broken / "audit.json").write_text(json.dumps(data))
    probs = audit_problems(broken)
    assert any("without a tier" in p for p in probs) and any("tool error in planted.x" in p for p in probs)
