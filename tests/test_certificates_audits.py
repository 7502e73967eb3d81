"""End to end (slow): ``icl-verify audit PAPER --out DIR`` then ``icl-verify check DIR`` accepts every certificate, every
violated claim with an exact or high-precision witness has a certified witness (statistical ones say why not), and
every HIGH finding's witness is certified."""
import json

import pytest

from proofs_check.cli import main

PAPERS = ["hu2025lora", "ahn2023", "gatmiry2024", "vonoswald2023"]


@pytest.mark.slow
@pytest.mark.parametrize("paper", PAPERS)
def test_every_certificate_of_the_audit_is_accepted(paper, tmp_path):
    assert main(["audit", paper, "--out", str(tmp_path)]) == 0
    assert main(["check", str(tmp_path)]) == 0
    ledger = json.loads((tmp_path / "ledger.json").read_text())
    for row in ledger["claims"]:
        if row["outcome"] == "violated" and row["tier"] != "statistical":
            assert row["status"] == "violated-certified", (row["claim_id"], row["evidence"])
    audit = json.loads((tmp_path / "audit.json").read_text())
    for f in audit.get("findings", []):
        if f.get("severity") == "HIGH":
            assert f["witness_certified"], f["witness_claim"]
