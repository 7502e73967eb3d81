"""Hu et al. (LoRA): the findings layer.  The grouping of the violated claims into findings (each violated claim in
exactly one finding, distinct witnesses, severities), the HIGH witnesses replaying at 50 digits, the provenance of
every claim (notes that say what is ours, no undefined labels), statements apart from proof steps, and the reported
numbers of App. G."""
import json
import re

import pytest

from proofs_check.audits import hu2025lora as AUD
from proofs_check.claims import Outcome, Tier
from proofs_check.engine import AuditContext, judge
from proofs_check.findings import assess, findings_for, severity_counts
from proofs_check.findings_data.hu2025lora import FINDINGS
from proofs_check.methods import Search, Undecidable, methods_of
from proofs_check.report import findings_markdown
from proofs_check.witness import replay

BY_ID = {c.id: c for c in AUD.CLAIMS}

# the violated claims of the default `icl-verify audit hu2025lora` (seed 0, budgets x1)
DEFAULT_VIOLATED = {f"hu2025lora.{c}" for c in (
    "eq2_1", "eq3_2", "lemmaC_1", "lemma3_2.B", "lemma3_3.as23_normalisation", "lemma3_5.C4_display",
    "lemma3_6.column_kronecker", "lemma3_6.C5_matrix_form", "lemma3_6.proof_construction", "lemma3_7.C6_matrix_form",
    "lemma3_7.proof_construction", "theorem3_1.proof_algorithm", "theorem3_1.C7_inequality", "lemmaD_2", "lemmaD_3",
    "lemmaD_4.B_Q", "lemmaD_4.A_K", "lemmaD_4.B_K", "theoremA_1.proof_algorithm", "theoremF_1.q_recall",
    "appG.figure1", "shapes")}
# the C.7 inequality needs a search; a small one finds it (the other violated claims are scans and exact decisions)
SMALL = {"hu2025lora.theorem3_1.C7_inequality": (Search(evaluations=120, floor=10),)}


def test_findings_are_data_over_registered_claims():
    assert findings_for("hu2025lora") == FINDINGS
    named = [c for f in FINDINGS for c in f.claims]
    assert len(named) == len(set(named)) and set(named) == DEFAULT_VIOLATED
    for f in FINDINGS:
        for c in f.claims + f.corrected:
            assert c in BY_ID, c
        plain = re.sub(r"\b(Def|App|Thm|Sec|Eq|Defs|Thms|pp?|i\.e|e\.g)\.", "", f.cause)
        assert f.witness_claim in f.claims and not re.search(r"\. [A-Z(]", plain), f.id   # one sentence
    assert len({f.witness_claim for f in FINDINGS}) == len(FINDINGS)
    sev = {s: [f for f in FINDINGS if f.severity == s] for s in ("HIGH", "MEDIUM", "LOW")}
    assert (len(sev["HIGH"]), len(sev["MEDIUM"]), len(sev["LOW"])) == (2, 4, 8)
    # the seven typo- or convention-level points of the theory are LOW (the eighth LOW is a figure value)
    assert {f.id.split("_", 1)[1] for f in sev["LOW"] if f.about != "figure"} == {
        "eq2_1_half", "eq3_2_wbar", "jacobian_convention", "commutation_convention", "C4_display",
        "column_kronecker", "nonconforming_displays"}
    # inconsistencies of the proofs' constructions are MEDIUM proof-step findings, never statement violations
    for f in sev["MEDIUM"]:
        assert f.about == "proof_step"
        assert all(BY_ID[c].source.about == "proof_step" for c in f.claims)


@pytest.fixture(scope="module")
def violated_rows(tmp_path_factory):
    """A fast audit of the violated claims: the rows the grouping is checked on (with their witnesses)."""
    out = tmp_path_factory.mktemp("hu-findings")
    ctx = AuditContext(paper="hu2025lora", out_dir=out)
    rows = [judge(BY_ID[c], ctx, methods=SMALL.get(c)).to_dict() for c in sorted(DEFAULT_VIOLATED)]
    return out, rows


def test_grouping_of_the_violated_claims_has_no_problems(violated_rows):
    out, rows = violated_rows
    assert {r["claim_id"] for r in rows if r["outcome"] == "violated"} == DEFAULT_VIOLATED
    assessed, problems = assess(FINDINGS, rows, complete=False)
    assert problems == []
    assert all(a.status == "confirmed" for a in assessed) and len(assessed) == len(FINDINGS)
    assert severity_counts(assessed) == {"HIGH": 2, "MEDIUM": 4, "LOW": 8}
    witnesses = [a.witness for a in assessed]
    assert None not in witnesses and len(set(witnesses)) == len(witnesses)
    # the summary page: sorted by severity, one paragraph per HIGH finding
    md = "\n".join(findings_markdown({"findings": [a.to_dict() for a in assessed],
                                      "severity_counts": severity_counts(assessed)}))
    assert "2 HIGH, 4 MEDIUM, 8 LOW" in md and md.count("replay with") == 2
    assert md.index("| HIGH |") < md.index("| MEDIUM |") < md.index("| LOW |")


def test_a_missing_or_doubled_claim_is_a_grouping_problem(violated_rows):
    out, rows = violated_rows
    doubled = FINDINGS + [FINDINGS[0].__class__(**{**FINDINGS[0].__dict__, "id": "hu2025lora.copy"})]
    assert any("belongs to 2 findings" in p for p in assess(doubled, rows, complete=False)[1])
    assert any("belongs to 0 findings" in p for p in assess(FINDINGS[1:], rows, complete=False)[1])


def test_every_HIGH_witness_replays_at_50_digits(violated_rows):
    out, rows = violated_rows
    by = {r["claim_id"]: r for r in rows}
    for f in (f for f in FINDINGS if f.severity == "HIGH"):
        row = by[f.witness_claim]
        path = out / row["witness"]
        rec = json.loads(path.read_text())
        assert rec["precision_digits"] >= 50 and rec["tier"] in ("exact", "high-precision")
        rep = replay(path)
        assert rep.reproduced and rep.outcome is Outcome.VIOLATED and not rep.disagreements, f.id


def test_statements_are_apart_from_their_proof_steps(tmp_path):
    ctx = AuditContext(paper="hu2025lora", out_dir=tmp_path)
    few = (Search(evaluations=30, floor=10),)
    # Lemmas 3.6 and 3.7 hold with our construction of the paper's width; their proofs' constructions do not
    for lemma in ("lemma3_6", "lemma3_7"):
        r = judge(BY_ID[f"hu2025lora.{lemma}"], ctx, methods=few)
        assert r.outcome is Outcome.VERIFIED and r.tier is Tier.SEARCHED and r.about == "statement"
        assert "widths" in r.details and "ours" in r.source_note
    # Theorems 3.1, A.1, 4.1 and Lemma 3.3 are asymptotic: undecidable, with their computable parts beside them
    for thm in ("theorem3_1", "theoremA_1", "theorem4_1", "lemma3_3"):
        c = BY_ID[f"hu2025lora.{thm}"]
        assert any(isinstance(m, Undecidable) for m in methods_of(c)) and c.source.about == "statement"
    r = judge(BY_ID["hu2025lora.theorem4_1"], ctx)
    assert r.outcome is Outcome.INCONCLUSIVE and "theorem4_1.reduction" in r.summary
    # Lemma 3.3 and the proof's application of Alman-Song name each other and what each checks
    l33, as23 = BY_ID["hu2025lora.lemma3_3"], BY_ID["hu2025lora.lemma3_3.as23_normalisation"]
    assert "as23_normalisation" in methods_of(l33)[1].reason and "hu2025lora.lemma3_3 " in as23.source.note


LABEL = re.compile(r"\(L\d+|\bL\d+[;,)]|\bK-\d+|\bspec\b|Sec\. 2\.[2-4]\b|Sec\. 6\b")


def _texts(c):
    yield c.source.where
    yield c.source.note
    yield c.statement
    yield from c.narrowing
    for m in methods_of(c):
        yield getattr(m, "reason", "")
    yield getattr(getattr(c, "row", None), "explanation", "") or getattr(c, "explanation", "") or ""


def test_provenance_notes_and_no_undefined_labels():
    for c in AUD.CLAIMS:
        for t in _texts(c):
            assert not LABEL.search(t or ""), (c.id, LABEL.search(t).group(0), t)
        if c.source.kind == "paper" and "poly(L)" in c.statement:
            assert "ours" in c.source.note, c.id            # what stands in for eps/poly(L) is ours, and says so
        if c.source.kind == "paper":
            assert re.search(r"\bpp?\. \d", c.source.where), c.id


def test_reported_numbers_of_app_G(tmp_path):
    ctx = AuditContext(paper="hu2025lora", out_dir=tmp_path)
    about = {c.id: c.source.about for c in AUD.CLAIMS if c.id.startswith("hu2025lora.appG")}
    assert about == {"hu2025lora.appG.table1.minutes": "table", "hu2025lora.appG.table1": "table",
                     "hu2025lora.appG.speedups": "reported_number", "hu2025lora.appG.figure1": "figure"}
    for cid in about:
        assert "setting as the paper states it" in BY_ID[cid].source.note
    fig = judge(BY_ID["hu2025lora.appG.figure1"], ctx)
    assert fig.outcome is Outcome.VIOLATED and fig.tier is Tier.EXACT
    assert fig.details["worst bar"] == "OPT-350M outlier-free"
    read = fig.details["bar heights read (min)"]
    assert abs(read["OPT-350M outlier-free"] - 60) < 0.2
    assert all(abs(read[b] - t) < 0.2 for b, t in fig.details["Table 1 (min)"].items() if b != "OPT-350M outlier-free")
    assert replay(tmp_path / fig.witness).reproduced
    assert judge(BY_ID["hu2025lora.appG.table1.minutes"], ctx).outcome is Outcome.INCONCLUSIVE


def test_a_correction_the_ledger_certifies_says_so_and_only_then():
    from proofs_check.report import corrections
    f = {"corrected_verdicts": [{"claim": "a.ours", "outcome": "verified", "tier": "searched"},
                                {"claim": "b.ours", "outcome": "verified", "tier": "searched"}]}
    rows = [{"claim_id": "a.ours", "ledger": "certified"}, {"claim_id": "b.ours", "ledger": "searched"}]
    text = corrections(f, rows)
    assert text == ("`a.ours` verified (searched); certified for every instance; `b.ours` verified (searched)")
    assert "certified" not in corrections(f, [])    # an audit run with --no-certificates has no ledger
