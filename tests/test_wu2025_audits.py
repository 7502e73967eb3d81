"""The Wu et al. audits can fail in both directions: mutations of a weight, a bound constant or a hypothesis
check change the verdict; violations replay from their saved witnesses in high precision; every claim runs on the
one engine (no claim overrides it) with an honest tier and its declared narrowing."""
import json

import pytest

from proofs_check.audits.wu2025 import CLAIMS, CORE_CLAIMS, common
from proofs_check.audits.wu2025 import lemmas as L
from proofs_check.claims import ABOUT, Hypothesis, Outcome, Tier
from proofs_check.cli import main
from proofs_check.engine import AuditContext, ToolError, judge
from proofs_check.methods import Search, methods_of
from proofs_check.registry import claims_for, get_claim
from proofs_check.witness import replay
from symbolic.wu2025 import bounds as B
from symbolic.wu2025.config import WuConfig

SMALL = {"N": (2,), "K": (2,), "d": (1,), "n": (2,), "knots": (8,), "activations": ("sigmoid",), "Bv": (1.5,),
         "Bx": (1.0,), "By": (1.0,)}


def _ctx(tmp_path, budget=0.05, **ranges):
    return AuditContext(paper="wu2025", budget=budget, out_dir=tmp_path, seed=1,
                        options={"ranges": {**SMALL, **ranges}})


@pytest.fixture(autouse=True)
def _fresh_cache():
    common.clear_caches()
    yield
    common.clear_caches()


def test_registry_ids_are_unique_sourced_and_on_the_engine():
    claims = claims_for("wu2025")
    ids = [c.id for c in claims]
    assert len(ids) == len(set(ids)) and ids == [c.id for c in CLAIMS]
    for want in ("wu2025.lemma1", "wu2025.lemma2", "wu2025.lemma2.norm", "wu2025.lemma3", "wu2025.lemma3.norm",
                 "wu2025.lemma4", "wu2025.lemma5", "wu2025.lemma6.bound", "wu2025.lemma6.error", "wu2025.theorem1",
                 "wu2025.theorem1.heads", "wu2025.corollary1_1", "wu2025.lemma14", "wu2025.theorem4",
                 "wu2025.theorem2", "wu2025.appG.reduction"):
        assert want in ids
    for c in CORE_CLAIMS:
        assert c.source.paper == "wu2025" and c.source.where and c.statement and c.source.about in ABOUT
        assert "audit" not in type(c).__dict__ and not hasattr(c, "budget_weight")
        assert methods_of(c), c.id
        if any(isinstance(m, Search) for m in methods_of(c)):
            assert c.narrowing, f"{c.id}: a search narrower than the hypotheses must declare it"
    by = {c.id: c for c in CORE_CLAIMS}
    assert by["wu2025.theorem1.grad_error"].source.about == "proof_step"
    assert by["wu2025.theorem1.query_gate"].source.about == "proof_step"
    assert by["wu2025.identity.lemma6"].source.about == "proof_step"
    assert by["wu2025.abstract.relu_networks"].source.about == "statement"


def test_safe_lemma2_verified_then_a_perturbed_weight_is_caught(tmp_path, monkeypatch):
    claim = get_claim("wu2025.lemma2.safe")
    ok = judge(claim, _ctx(tmp_path))
    assert ok.outcome is Outcome.VERIFIED and ok.tier is Tier.SEARCHED and ok.ratio <= 1
    assert ok.narrowing and ok.evaluations >= methods_of(claim)[0].floor

    real = common.build_construction

    def mutated(cfg, approx=None, box=None, readout=True):
        """One value weight of one Lemma-2 head (V[p(1)[0], 1] = c_m) perturbed by 0.1 in the transformer only:
        the float64 search never sees it, the 50-digit confirmation runs the real transformer and must."""
        wc = real(cfg, approx, box, readout)
        head = wc.blocks[0].layers[0].heads[0]  # the constant unit relu(0 t + 1) of k = 1: always active
        (key, val), = head.V.entries.items()
        head.V.entries[key] = val + type(val)(1, 10)  # far above the bound, whatever the sign of the error
        return wc

    monkeypatch.setattr(common, "build_construction", mutated)
    common.clear_caches()
    bad = judge(claim, _ctx(tmp_path / "bad"))
    assert bad.outcome is Outcome.VIOLATED and bad.tier is Tier.HIGH_PRECISION
    rep = replay(tmp_path / "bad" / bad.witness)
    assert rep.outcome is Outcome.VIOLATED and rep.reproduced


def test_a_perturbed_bound_constant_is_caught(tmp_path, monkeypatch):
    """Lemma 2's bound is nearly attained at j = 1; halving S_j (a constant of (3.9)) must be caught."""
    claim = get_claim("wu2025.lemma2.safe")
    real = B._definitions.__wrapped__

    def smaller(N):
        defs = real(N)
        for j in range(1, N + 1):
            defs[B.S(j)] = defs[B.S(j)] / 2
        return defs

    monkeypatch.setattr(B, "_definitions", smaller)
    r = judge(claim, _ctx(tmp_path))
    assert r.outcome is Outcome.VIOLATED
    assert replay(tmp_path / r.witness).outcome is Outcome.VIOLATED


def test_a_weakened_hypothesis_check_changes_the_verdict(tmp_path, monkeypatch):
    """Let the search leave the hypothesis ||x_{n+1}|| <= B_x: with the check intact the engine refuses (a tool
    error: the method produced an instance outside the hypotheses); with the check removed it is a violation."""
    claim = L.Lemma2Safe()
    monkeypatch.setattr(claim, "query", "free", raising=False)
    with pytest.raises(ToolError, match="outside the hypotheses"):
        judge(claim, _ctx(tmp_path, Bx=(0.5,)))
    always = Hypothesis("||x_{n+1}|| <= B_x", "mutated: always true", lambda inst: (True, "mutated"))
    monkeypatch.setattr(claim, "hypotheses", L.Lemma2.hypotheses + (always,), raising=False)
    r2 = judge(claim, _ctx(tmp_path, Bx=(0.5,)))
    assert r2.outcome is Outcome.VIOLATED
    assert "query" in " ".join(r2.witnesses)


def test_norm_claims_exact_and_mutation_of_the_gradient_layer(tmp_path):
    claim = get_claim("wu2025.theorem1.grad_layer_norm")
    inst = {"config": common.config_dict(WuConfig(d_in=2, d_out=2, K=3, N=3, n=4, L=1, eta=0.5, knots=8,
                                                  radius="paper"))}
    ev = claim.evaluate(inst, dps=50)
    assert not ev.violates() and float(ev.observed) == 6.0  # 1 + eta (n+1)/n ((N-1)K + d) = 1 + 0.5*1.25*8
    r = judge(claim, _ctx(tmp_path, d=(4,), K=(1,), n=(1,), eta=(0.5,)))
    assert r.outcome is Outcome.VIOLATED and r.tier is Tier.EXACT  # d > K, n = 1: 1 + eta*2*(N-1+4) > 1 + 2 eta N
    assert replay(tmp_path / r.witness).outcome is Outcome.VIOLATED
    l3 = judge(get_claim("wu2025.lemma3.norm"), _ctx(tmp_path))
    assert l3.outcome is Outcome.VIOLATED  # ((N-1)K + d) C2 > K(N-1) C2 always
    l5 = judge(get_claim("wu2025.lemma5.norm"), _ctx(tmp_path))
    assert l5.outcome is Outcome.VERIFIED and l5.tier is Tier.SEARCHED and l5.narrowing


def test_lemma14_as_printed_is_violated_and_the_corrected_form_holds(tmp_path):
    ctx = AuditContext(paper="wu2025", budget=0.5, out_dir=tmp_path)
    printed = judge(get_claim("wu2025.lemma14"), ctx)
    ours = judge(get_claim("wu2025.lemma14.ours"), ctx)
    assert printed.outcome is Outcome.VIOLATED and ours.outcome is Outcome.VERIFIED
    data = json.loads((tmp_path / printed.witness).read_text())
    lam = data["instance"]["lambda"]
    assert data["instance"]["eta"] <= max(abs(v) for v in lam)  # inside the printed hypothesis
    assert replay(tmp_path / printed.witness).outcome is Outcome.VIOLATED


def test_lemma14_ours_first_seeds_are_the_proof_s_tight_case():
    """Concave f with eta L_f -> 1 and eps small enough that W never clips an iterate: every step amplifies the
    error by exactly 1 + eta L_f, so our corrected bound is nearly attained (the seeds with eps = 1 reach 0.92)."""
    from proofs_check.engine import float_ratios

    claim = get_claim("wu2025.lemma14.ours")
    space = claim.search_space(AuditContext(paper="wu2025"))
    first = [space.decode(c) for c in space.seeds[:6]]
    ratios = float_ratios(claim, first)
    assert all(inst["eps"] <= 1e-2 and min(inst["lambda"]) < 0 for inst in first)
    assert all(h.holds for inst in first for h in claim.check_hypotheses(inst))
    assert 0.995 < max(ratios) < 1 and min(ratios) > 0.99


def test_symbolic_claims_are_certified_over_their_declared_sizes(tmp_path):
    ctx = AuditContext(paper="wu2025", out_dir=tmp_path)
    for cid in ("wu2025.lemma1", "wu2025.identity.theorem1", "wu2025.lemma5"):
        r = judge(get_claim(cid), ctx)
        assert r.outcome is Outcome.VERIFIED and r.tier is Tier.CERTIFIED, (cid, r.summary)
        assert r.narrowing and "decided for" in r.narrowing[0]


def test_resources_norm_is_undecidable_and_heads_a_scan(tmp_path):
    ctx = AuditContext(paper="wu2025", out_dir=tmp_path)
    norm = judge(get_claim("wu2025.theorem1.norm"), ctx)
    assert norm.outcome is Outcome.INCONCLUSIVE and "unspecified constants" in norm.summary
    emb = judge(get_claim("wu2025.theorem1.embedding"), ctx)
    assert emb.outcome is Outcome.VERIFIED and emb.tier is Tier.SEARCHED and "evidence" in emb.narrowing[0]


def test_relu_makes_smoothness_claims_not_applicable(tmp_path, capsys):
    out = tmp_path / "a.json"
    assert main(["audit", "wu2025", "--claim", "wu2025.lemma2", "--claim", "wu2025.lemma3.norm", "--activation",
                 "relu", "--budget", "0.05", "--json", str(out), "--out", str(tmp_path / "o")]) == 0
    data = json.loads(out.read_text())
    outcome = {c["id"]: c["outcome"] for c in data["claims"]}
    assert outcome["wu2025.lemma2"] == "not_applicable"
    assert outcome["wu2025.lemma3.norm"] == "violated"
    assert "wu2025.lemma3.norm" in open(tmp_path / "o" / "referee_report.md").read()
    relu = judge(get_claim("wu2025.abstract.relu_networks"), AuditContext(paper="wu2025", out_dir=tmp_path))
    assert relu.outcome is Outcome.NOT_APPLICABLE and "1/2" in relu.summary


def test_lemma2_reports_the_query_and_the_in_context_cause_each_with_its_witness(tmp_path):
    """The unbounded query gives the smallest violations; the in-context failure (the radius R1 without sqrt(K))
    is its own witness, and each explanation names the cause its witness exhibits, with the pre-activation and the
    interval."""
    claim = get_claim("wu2025.lemma2")
    r = judge(claim, _ctx(tmp_path, K=(3,), Bv=(3.0,), Bx=(0.5,)))
    assert r.outcome is Outcome.VIOLATED
    causes = set(r.witnesses)
    assert {"query pre-activation outside [-R1, R1]", "in-context pre-activation outside [-R1, R1]"} <= causes
    for cause, rel in r.witnesses.items():
        data = json.loads((tmp_path / rel).read_text())
        shown = claim.causes(data["instance"], None)
        assert cause in shown
        text = claim.explain(data["instance"], claim.evaluate(data["instance"]))
        assert "outside [-R1, R1] = [-" in text and "pre-activation" in text
        assert replay(tmp_path / rel).reproduced
    main_w = json.loads((tmp_path / r.witness).read_text())
    assert r.details["explanation"].count("outside [-R1, R1] = [") == len(claim.causes(main_w["instance"], None))
