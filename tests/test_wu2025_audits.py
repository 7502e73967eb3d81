"""The Wu et al. audits can fail in both directions: mutations of a weight, a bound constant or a hypothesis
check change the verdict; violations replay from their saved witnesses in high precision."""
import json
import pytest

from proofs_check.audit import AuditContext, search_audit
from proofs_check.audits.wu2025 import common
from proofs_check.audits.wu2025 import lemmas as L
from proofs_check.claims import Hypothesis, Outcome
from proofs_check.cli import main
from proofs_check.registry import claims_for, get_claim
from proofs_check.witness import replay
from symbolic.wu2025 import bounds as B


def _ctx(tmp_path, budget=6.0, **options):
    return AuditContext(paper="wu2025", budget_s=budget, out_dir=tmp_path, seed=1,
                        options={"ranges": {"N": (2,), "K": (2,), "d": (1,), "n": (2,), "knots": (8,),
                                            "activations": ("sigmoid",), "Bv": (1.5,), "Bx": (1.0,), **options}})


@pytest.fixture(autouse=True)
def _fresh_cache():
    common._built.cache_clear()
    L._values_at.cache_clear()
    yield
    common._built.cache_clear()
    L._values_at.cache_clear()


def test_registry_ids_are_unique_and_sourced():
    claims = claims_for("wu2025")
    ids = [c.id for c in claims]
    assert len(ids) == len(set(ids))
    for want in ("wu2025.lemma1", "wu2025.lemma2", "wu2025.lemma2.norm", "wu2025.lemma3", "wu2025.lemma3.norm",
                 "wu2025.lemma4", "wu2025.lemma5", "wu2025.lemma6.bound", "wu2025.lemma6.error", "wu2025.theorem1",
                 "wu2025.theorem1.heads", "wu2025.corollary1_1", "wu2025.lemma14", "wu2025.theorem4"):
        assert want in ids
    for c in claims:
        assert c.source.paper == "wu2025" and c.source.where and c.statement


def test_safe_lemma2_verified_then_a_perturbed_weight_is_caught(tmp_path, monkeypatch):
    claim = get_claim("wu2025.lemma2.safe")
    ok = search_audit(claim, _ctx(tmp_path))
    assert ok.outcome is Outcome.VERIFIED and ok.ratio <= 1

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
    common._built.cache_clear()
    bad = search_audit(claim, _ctx(tmp_path))
    assert bad.outcome is Outcome.VIOLATED
    assert replay(bad.witness).outcome is Outcome.VIOLATED


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
    r = search_audit(claim, _ctx(tmp_path))
    assert r.outcome is Outcome.VIOLATED


def test_a_weakened_hypothesis_check_changes_the_verdict(tmp_path, monkeypatch):
    """Let the search leave the hypothesis ||x_{n+1}|| <= B_x: with the check intact the audit refuses
    (inconclusive: the search left the hypotheses); with the check removed it reports a violation."""
    claim = L.Lemma2Safe()
    monkeypatch.setattr(claim, "query_free", True, raising=False)
    r1 = search_audit(claim, _ctx(tmp_path, Bx=(0.5,)))
    assert r1.outcome in (Outcome.INCONCLUSIVE, Outcome.VERIFIED)
    if r1.outcome is Outcome.INCONCLUSIVE:
        assert "left the hypotheses" in r1.summary
    always = Hypothesis("||x_{n+1}|| <= B_x", "mutated: always true", lambda inst: (True, "mutated"))
    monkeypatch.setattr(claim, "hypotheses", L.Lemma2.hypotheses + (always,), raising=False)
    r2 = search_audit(claim, _ctx(tmp_path, Bx=(0.5,)))
    assert r2.outcome is Outcome.VIOLATED


def test_norm_claims_exact_and_mutation_of_the_gradient_layer(tmp_path, monkeypatch):
    claim = get_claim("wu2025.theorem1.grad_layer_norm")
    inst = {"config": common.config_dict(common.WuConfig(d_in=2, d_out=2, K=3, N=3, n=4, L=1, eta=0.5, knots=8,
                                                          radius="paper"))}
    ev = claim.evaluate(inst, dps=50)
    assert not ev.violates() and float(ev.observed) == 6.0  # 1 + eta (n+1)/n ((N-1)K + d) = 1 + 0.5*1.25*8
    ctx = _ctx(tmp_path, d=(4,), K=(1,), n=(1,), eta=(0.5,))
    r = search_audit(claim, ctx)
    assert r.outcome is Outcome.VIOLATED  # d > K, n = 1: 1 + eta*2*(N-1+4) > 1 + 2 eta N
    assert replay(r.witness).outcome is Outcome.VIOLATED
    l3 = search_audit(get_claim("wu2025.lemma3.norm"), _ctx(tmp_path))
    assert l3.outcome is Outcome.VIOLATED  # ((N-1)K + d) C2 > K(N-1) C2 always


def test_lemma14_as_printed_is_violated_and_the_corrected_form_holds(tmp_path):
    ctx = AuditContext(paper="wu2025", budget_s=3.0, out_dir=tmp_path, max_evals=1500)
    printed = search_audit(get_claim("wu2025.lemma14"), ctx)
    ours = search_audit(get_claim("wu2025.lemma14.ours"), ctx)
    assert printed.outcome is Outcome.VIOLATED and ours.outcome is Outcome.VERIFIED
    data = json.loads(open(printed.witness).read())
    assert data["instance"]["eta"] <= max(data["instance"]["lambda"])  # inside the printed hypothesis
    assert replay(printed.witness).outcome is Outcome.VIOLATED


def test_symbolic_claims(tmp_path):
    ctx = AuditContext(paper="wu2025", budget_s=20, out_dir=tmp_path)
    for cid in ("wu2025.lemma1", "wu2025.identity.theorem1", "wu2025.lemma5"):
        r = get_claim(cid).audit(ctx)
        assert r.outcome is Outcome.VERIFIED and r.certified, (cid, r.summary)


def test_relu_makes_smoothness_claims_not_applicable(tmp_path, capsys):
    out = tmp_path / "a.json"
    assert main(["audit", "wu2025", "--claim", "wu2025.lemma2", "--claim", "wu2025.lemma3.norm", "--activation",
                 "relu", "--budget", "6", "--json", str(out), "--out", str(tmp_path / "o")]) == 0
    data = json.loads(out.read_text())
    outcome = {c["id"]: c["outcome"] for c in data["claims"]}
    assert outcome["wu2025.lemma2"] == "not_applicable"
    assert outcome["wu2025.lemma3.norm"] == "violated"
    assert "wu2025.lemma3.norm" in open(tmp_path / "o" / "referee_report.md").read()
