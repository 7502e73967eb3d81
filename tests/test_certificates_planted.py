"""The planted audit end to end: certificates for every violated claim with an exact witness and for the true
identity, all accepted by the checker; the reasons where none can be built; the ledger; a tampered file on disk
rejected and never counted as proof; the bench helper."""
import json

import pytest

from proofs_check.certificates import bench_check, certify_audit
from proofs_check.checker import check_dir
from proofs_check.cli import main
from proofs_check.ledger import ledger, write_ledger

LEDGER = {"planted.false_bound": "violated-certified", "planted.exact_false": "violated-certified",
          "planted.grid_false": "violated-certified", "planted.scan_false": "violated-certified",
          "planted.exact_true": "certified", "planted.true_bound": "searched", "planted.grid_true": "searched",
          "planted.mc_true": "statistical", "planted.mc_false": "statistical", "planted.inapplicable": "not checked",
          "planted.training_false": "not checked", "planted.undecidable": "not checked"}


@pytest.fixture(scope="module")
def audit_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("planted")
    assert main(["audit", "planted", "--out", str(out)]) == 0
    status = certify_audit(out)
    return out, status


def test_every_certificate_of_the_planted_audit_is_accepted(audit_dir):
    out, status = audit_dir
    results = check_dir(out)
    assert results and all(r.ok for r in results), [r.reason for r in results if not r.ok]
    assert {r.claim for r in results} == {c for c, s in LEDGER.items() if s.endswith("certified")}
    assert "statistical" in status["planted.mc_false"] and "attained" in status["planted.true_bound"]
    reasons = json.loads((out / "certificate_reasons.json").read_text())
    assert set(reasons) == {c for c in status if status[c] != "ok"}


def test_the_ledger_says_what_is_proven_and_what_is_evidence(audit_dir):
    out, _ = audit_dir
    jpath, mpath = write_ledger(out)
    data = json.loads(jpath.read_text())
    assert {r["claim_id"]: r["status"] for r in data["claims"]} == LEDGER
    md = mpath.read_text()
    assert "## Proven" in md and "## Evidence, not proof" in md and "**violated-certified**" in md


def test_a_tampered_certificate_is_rejected_and_not_counted(audit_dir, tmp_path):
    out, _ = audit_dir
    audit = json.loads((out / "audit.json").read_text())
    results = check_dir(out)
    cert = json.loads((out / "certificates" / "planted.scan_false.json").read_text())
    cert["data"]["n"] = 9                               # n^2 <= 10 n holds at 9: no longer a counterexample
    d = tmp_path / "certificates"
    d.mkdir()
    (d / "planted.scan_false.json").write_text(json.dumps(cert))
    forged = check_dir(tmp_path)
    assert not forged[0].ok
    data, md = ledger(audit, [r for r in results if r.claim != "planted.scan_false"] + forged)
    row = next(r for r in data["claims"] if r["claim_id"] == "planted.scan_false")
    assert row["status"] == "high-precision only" and "REJECTED" in row["evidence"]
    assert data["certificates_rejected"] == 1 and "## Rejected certificates" in md


def test_bench_check_times_the_checker_against_the_audit(audit_dir):
    out, _ = audit_dir
    b = bench_check(out)
    assert b["certificates"] == b["accepted"] == 5
    assert b["check_s"] > 0 and b["audit_s"] > 0 and len(b["per_certificate"]) == 5
