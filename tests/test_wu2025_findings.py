"""Wu et al.'s findings data against the registry, and the exact F01 witness end to end."""
import json

from proofs_check.claims import Outcome
from proofs_check.engine import AuditContext, judge
from proofs_check.findings import assess, findings_for
from proofs_check.registry import claims_for, get_claim
from proofs_check.witness import replay

FINDINGS = findings_for("wu2025")


def test_every_named_claim_is_registered_and_belongs_to_one_finding():
    ids = {c.id for c in claims_for("wu2025")}
    owner = {}
    for f in FINDINGS:
        for c in f.claims + f.corrected:
            assert c in ids, f"{f.id} names an unregistered claim {c}"
        for c in f.claims:
            assert c not in owner, f"{c} belongs to {owner[c]} and {f.id}"
            owner[c] = f.id
        assert get_claim(f.witness_claim).source.about == f.about, f"{f.id} is about {f.about}, its witness claim not"
    assert {f.severity for f in FINDINGS} == {"HIGH", "MEDIUM", "LOW"}


def test_relu_coverage_is_violated_with_an_exact_witness_that_replays(tmp_path):
    r = judge(get_claim("wu2025.abstract.relu_coverage"), AuditContext(paper="wu2025", out_dir=tmp_path))
    assert r.outcome is Outcome.VIOLATED and r.ratio >= 2   # sup error >= 1/2 against eps_r' = 1/4
    assert replay(tmp_path / r.witness).reproduced
    rows = [{"claim_id": r.claim_id, "outcome": r.outcome.value, "witness": r.witness, "witnesses": {},
             "ratio": r.ratio}]
    out, problems = assess(FINDINGS, rows, complete=False)
    f01 = next(a for a in out if a.finding.id == "wu2025.F01_relu_networks")
    assert f01.status == "confirmed" and f01.witness == r.witness and not problems


def test_the_grouping_catches_a_violated_claim_without_a_finding():
    rows = [{"claim_id": "wu2025.lemma2.safe", "outcome": "violated", "witness": "w.json", "witnesses": {}}]
    _, problems = assess(FINDINGS, rows, complete=False)
    assert any("wu2025.lemma2.safe" in p and "0 findings" in p for p in problems)
