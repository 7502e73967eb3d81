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
    assert r.outcome is Outcome.VIOLATED and r.ratio > 1.99   # sup error ~ 1/2 (M = 3) against eps_r' = 1/4
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


def test_column_constants_dominate_the_papers_and_reduce_to_them_when_P_is_1():
    """Lemma 6 with the column factor (ours): B_v P^2 >= B_v P, so every constant is at least the paper's, with
    equality exactly when P = 1 (K = d = 1)."""
    import mpmath

    from symbolic.wu2025 import bounds as B
    from symbolic.wu2025.config import WuConfig

    for K, d, equal in ((3, 2, False), (1, 1, True)):
        cfg = WuConfig(K=K, d_in=d, d_out=d, N=3)
        vals, _, _ = B.evaluate_values(cfg, eps_r_="1e-3", eps_rp_="1e-3", eps_l_="1e-3", dps=30)
        cv = B.column_values(vals, cfg.N)
        for sym in (B.B_s, B.E_s_r, B.E_s_rp, B.E_s_l):
            assert cv[sym] >= vals[sym]
            assert (abs(cv[sym] - vals[sym]) <= mpmath.mpf(10) ** -12 * vals[sym]) is equal, sym
        paper_repair = B._eval(B.grad_error_columns().subs(__import__("sympy").Symbol("N"), cfg.N), vals)
        assert cv[B.eps_columns] >= paper_repair


def test_figure_claims_are_inconclusive_with_the_setting_they_need(tmp_path):
    """Section 5 / Appendix F's statements are claims about figures; an audit cannot run their setting and says so."""
    figs = [c for c in claims_for("wu2025") if c.source.about == "figure"]
    assert {"wu2025.fig2.tracks_training", "wu2025.fig7.depth", "wu2025.appF1.length_generalisation"} <= \
        {c.id for c in figs}
    for c in figs:
        r = judge(c, AuditContext(paper="wu2025", out_dir=tmp_path))
        assert r.outcome is Outcome.INCONCLUSIVE and "500k steps" in r.summary and r.witness is None, c.id

