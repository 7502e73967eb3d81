"""Softmax attention (App E): the naive swap, our sink-gate substitute, Theorem 2's 4L block, and the claims of
Theorem 2 / Lemma 16 and our substitutes (proofs_check.audits.wu2025.softmax) through the verdict engine: each
claim's verdict and tier, and mutations that change the verdict (violations replay from their witness file)."""
import json
from dataclasses import replace
from pathlib import Path

import mpmath
import numpy as np
import pytest
import sympy as sp
import torch

from numeric.wu2025 import softmax as S
from numeric.wu2025.prompt import Prompt, convert, initial_tokens, make_prompt
from proofs_check.audits.wu2025 import softmax as ext
from proofs_check.claims import Outcome, Tier
from proofs_check.engine import AuditContext, judge
from proofs_check.methods import Search
from proofs_check.witness import replay
from symbolic.activations import get_activation
from symbolic.wu2025.assemble import box_bounds, build_construction
from symbolic.wu2025.config import WuConfig
from numeric.wu2025.run import block_boundaries
from symbolic.wu2025.softmax import (SoftmaxAttention, SoftmaxSubstitute, build_softmax_construction,
                                     build_theorem2_model, sigmoid_gates, softmax_forward_layer)

CFG = WuConfig(radius="3.1", knots=80)
MICRO = WuConfig(d_in=1, d_out=1, K=2, N=2, n=4, L=2, radius="3.1", knots=80)


def test_naive_swap_outputs_sum_of_values_whatever_the_input():
    demo = S.naive_swap_demo(CFG)
    assert demo["softmax_output_minus_sum_c"] < 1e-12      # uniform weights: sum_m c_m for every token and prompt
    assert demo["relu_outputs_differ_by"] > 1e-2            # the ReLU layer does depend on the prompt


def test_sink_gate_layer_computes_the_gate_function_in_both_executors():
    cfg = replace(CFG, knots=20)
    wc = build_construction(cfg, readout=False)
    pr = make_prompt(cfg, wc.box, seed=3)
    g = sigmoid_gates(get_activation("sigmoid").expr, "3.1", 6, cfg.n + 1, extra=2)
    layer = softmax_forward_layer(wc.layout, 1, g)
    assert isinstance(layer, SoftmaxAttention) and layer.sink and layer.size == cfg.K * g.heads
    H0 = torch.tensor(convert(initial_tokens(wc.layout, pr), "float"), dtype=torch.float64)
    out = S.apply_softmax(layer, H0)[:, wc.layout.slice("p[1]")]
    V1 = pr.w0[: cfg.K * cfg.d_in].reshape(cfg.K, cfg.d_in)
    z = torch.tensor(pr.x @ V1.T)
    assert torch.allclose(out, S.gate_function(g, z), atol=1e-13, rtol=0)
    with mpmath.workdps(30):
        hp = S.run_mixed_highprec([layer], convert(initial_tokens(wc.layout, pr), "mpmath"))[0]
    hp = np.array([[float(v) for v in row[wc.layout.slice("p[1]")]] for row in hp])
    assert np.abs(hp - out.numpy()).max() < 1e-13
    # the literal per-head softmax arithmetic equals the gate formula at 50 digits
    with mpmath.workdps(50):
        zz = mpmath.mpf("0.37")
        assert abs(S.softmax_head_output(g, zz) - S.gate_function(g, zz, "mpmath")) < mpmath.mpf(10) ** -45


def test_gate_block_error_falls_with_size_and_temperature_table():
    Ms = (10, 20, 40)
    rows = S.gate_table(Ms=Ms)   # beta = M / 2R grows with the number of gates
    for key in ("softmax_err_r", "softmax_err_rp", "softmax_uncorrected_err_r", "relu_err_r"):
        errs = [r[key] for r in rows]
        assert all(b < a for a, b in zip(errs, errs[1:])), (key, errs)
    corrected = [r["softmax_err_r"] for r in rows]
    plain = [r["softmax_uncorrected_err_r"] for r in rows]
    assert np.polyfit(np.log(Ms), np.log(corrected), 1)[0] < -3.0   # ~ M^-4 with the h^2 correction
    assert -2.3 < np.polyfit(np.log(Ms), np.log(plain), 1)[0] < -1.6  # ~ M^-2 without
    assert rows[-1]["softmax_err_r"] < rows[-1]["relu_err_r"]  # at M = 40 the corrected gates beat the ReLU layer
    assert rows[-1]["softmax_vs_relu_layer_r"] < rows[0]["softmax_vs_relu_layer_r"]


def test_gate_certificate_is_sound_and_tight():
    g = sigmoid_gates(get_activation("sigmoid").expr, "3.1", 20, 5)
    cert = S.certify_gate_error(g)
    sampled = S.sampled_sup_error(g.target, lambda z: S.gate_function(g, z), 3.1, points=40001)
    assert cert.lower <= sampled * (1 + 1e-9) and sampled <= cert.upper <= 1.02 * sampled


def test_fixed_size_temperature_sweep_is_u_shaped():
    rows = S.temperature_sweep(M=40, factors=(0.25, 1, 2, 8))
    err = {r["beta"] / rows[1]["beta"]: r["softmax_err_r"] for r in rows}
    assert err[1] < err[0.25] and err[2] < err[8]


def test_gradient_step_block_error_falls_with_temperature():
    rows = S.gradient_step_table(replace(CFG, knots=20), betas=(1e-1, 1e-2, 1e-3), Bs=(30,))
    rel = [r["relative_err"] for r in rows]
    assert rel[0] > 50 * rel[1] > 50 * 50 * rel[2] * 0.5 and rel[2] < 1e-8


def test_softmax_construction_reproduces_gd_and_keeps_the_invariants():
    cfg = WuConfig(d_in=2, d_out=2, K=3, N=2, n=4, L=2, radius="3.1", knots=20)
    pr = make_prompt(cfg, box_bounds(cfg.shape, cfg.Bv), seed=1)
    errs = []
    for M in (12, 36):
        wc = build_softmax_construction(cfg, SoftmaxSubstitute(M=M, extra=12))
        e = S.icgd_errors(wc, pr)
        errs.append(max(e["eps_step"]))
    assert errs[1] < errs[0] / 10 and errs[1] < 1e-4 and e["readout_err"] < 1e-4
    H, states = S.run_tokens(wc.net.layers, wc.layout, pr)
    for first, last in block_boundaries(wc)[: cfg.L]:
        Hb = states[last]
        for name in wc.layout.scratch:
            assert torch.all(Hb[:, wc.layout.slice(name)] == 0), name
        assert torch.all(Hb[:, wc.layout.slice("w")] == Hb[0, wc.layout.slice("w")])
        assert torch.all(states[first + cfg.N + 1][-1, wc.layout.slice("g")] == 0)  # the query gate of Lemma 4


def _ff_numpy(ff):
    A = np.array([[float(v) for v in r] for r in ff.A])
    b = np.array([float(v) for v in ff.b])
    C = np.array([[float(v) for v in r] for r in ff.C])
    c = np.array([float(v) for v in ff.c])
    return lambda z: np.maximum(z @ A.T + b, 0) @ C.T + c


def test_theorem2_block_averages_the_fitted_gradients_exactly():
    box = box_bounds(MICRO.shape, MICRO.Bv)
    fit = S.fit_gradient_ff(MICRO, box, width=16, steps=50, seed=0, heldout=256)
    model = build_theorem2_model(MICRO, fit.ff, box)
    assert len(model.net.layers) == 4 * MICRO.L
    pr = make_prompt(MICRO, box, seed=5)
    H, states = S.run_tokens(model.net.layers, model.layout, pr)
    lay, n = model.layout, MICRO.n
    ff = _ff_numpy(fit.ff)
    z = np.concatenate([pr.x[:n], pr.y, np.repeat(pr.w0[None], n, 0)], 1)
    expected = pr.w0 - MICRO.eta / n * ff(z).sum(0)
    w_pre = states[1][:, lay.slice("w")].numpy()
    assert np.abs(w_pre - expected).max() < 1e-12          # uniform softmax = exact mean; query gated out
    assert np.all(states[2][:, lay.slice("gw")].numpy() == 0)
    e = S.theorem2_errors(model, pr)
    assert e["w_spread_across_tokens"] == 0 and e["scratch_after_block"] == 0
    x2 = pr.x.copy()
    x2[-1] *= -0.5
    _, st2 = S.run_tokens(model.net.layers, model.layout, Prompt(x2, pr.y, pr.w0))
    assert torch.equal(states[-1][0, lay.slice("w")], st2[-1][0, lay.slice("w")])


def test_theorem2_fit_improves_with_width():
    box = box_bounds(MICRO.shape, MICRO.Bv)
    narrow = S.fit_gradient_ff(MICRO, box, width=2, steps=300, batch=256, seed=0, heldout=512)
    wide = S.fit_gradient_ff(MICRO, box, width=64, steps=300, batch=256, seed=0, heldout=512)
    assert wide.heldout_rms < 0.7 * narrow.heldout_rms


# ------------------------------------------------------------------------------------------------ claims


@pytest.fixture
def registry(monkeypatch):
    """``replay`` finds a witness's claim in the registry: point the wu2025 entry at the claims of this module (and
    of appg), so these tests do not depend on the rest of the paper's claims."""
    import proofs_check.registry as reg
    from proofs_check.audits.wu2025.appg import APPG_CLAIMS

    real = reg.claims_for
    monkeypatch.setattr(reg, "claims_for",
                        lambda paper: list(ext.SOFTMAX_CLAIMS + APPG_CLAIMS) if paper == "wu2025" else real(paper))


def _ctx(tmp_path, **kw):
    return AuditContext(paper="wu2025", out_dir=tmp_path, **kw)


def test_lemma16_arithmetic_is_certified_and_a_misprinted_step_is_an_exact_violation(tmp_path, registry):
    for name, (lhs, rhs) in ext.lemma16_identities().items():
        assert sp.simplify(lhs - rhs) == 0, name
    assert str(ext.lemma16_case1_threshold()) == "d*n/4 - 1/4"
    r = judge(ext.Lemma16Arithmetic(), _ctx(tmp_path))
    assert r.outcome is Outcome.VERIFIED and r.tier is Tier.CERTIFIED and r.evaluations == len(ext.LEMMA16_STEPS)

    final = "final sum (E.4) + output side"

    class Misprinted(ext.Lemma16Arithmetic):   # the final sum with 7 sqrt(dn) where the pieces give 8
        steps = {**ext.LEMMA16_STEPS, final: (ext.LEMMA16_STEPS[final][0], "L*(7*sqrt(d*n) + sqrt(n))*B_x/(2*D)")}

    bad = judge(Misprinted(), _ctx(tmp_path))
    assert bad.outcome is Outcome.VIOLATED and bad.tier is Tier.EXACT
    assert bad.details["identity"] == final and bad.details["residual"] != "0"
    rep = replay(tmp_path / bad.witness)   # the instance carries the step: the registered claim replays it
    assert rep.reproduced and rep.outcome is Outcome.VIOLATED


def test_lemma17_delta_formula_sizes_and_the_existence_verdict(tmp_path):
    with mpmath.workdps(40):
        n, V, d, rmin, rmax, eps = 3, 1, 1, mpmath.mpf(1), mpmath.mpf(2), mpmath.mpf("0.5")
        c = (V + 1) ** 4 * (2 * mpmath.log(n) + 3) * mpmath.pi * d
        pre = 2 * mpmath.log(n) ** 2 * eps**2 * rmin / (rmax**2 * c)
        direct = pre * mpmath.exp(-(V + 1) ** 4 * (2 * mpmath.log(n) + 3) * mpmath.pi * d * rmax**2 / (4 * eps * rmin))
        assert abs(ext.lemma17_log10_delta(n, V, d, rmin, rmax, eps) - mpmath.log10(direct)) < 1e-30
    rows = ext.lemma16_sizes()
    assert [r["D"] for r in rows] == [2, 4, 4093]
    assert float(rows[0]["log10_delta"]) < -400            # even d = 1, n = 2, D = 2
    assert float(rows[-1]["log10_delta"]) < -1e100
    r = judge(ext.Lemma16(), _ctx(tmp_path))
    assert r.outcome is Outcome.INCONCLUSIVE and r.summary.startswith("existence only") and r.witness is None
    assert [row["log10_delta"] for row in r.details["sizes"]] == [row["log10_delta"] for row in rows]

    class Coarse(ext.Lemma16):   # side data against the claim (a granularity too coarse) can never refute it
        def evaluate(self, instance, dps=None):
            ev = super().evaluate(instance, dps)
            return type(ev)(ev.observed * 2, ev.bound, ev.details)

    r = judge(Coarse(), _ctx(tmp_path))
    assert r.outcome is Outcome.INCONCLUSIVE and r.witness is None and "cannot refute" in r.summary


def test_theorem2_proof_constant_violation_is_exact_and_replays_and_the_repair_holds(tmp_path, registry):
    claim = ext.Theorem2ProofEta()
    with mpmath.workdps(50):
        ev = claim.evaluate({"eta": "1/2", "eps": "1/1000", "D_w": 21}, dps=50)
        assert ev.violates() and abs(ev.ratio - 2) < 1e-12
    assert not claim.evaluate({"eta": "1", "eps": "1/1000", "D_w": 21}).violates()
    r = judge(claim, _ctx(tmp_path))
    assert r.outcome is Outcome.VIOLATED and r.tier is Tier.EXACT and r.ratio == pytest.approx(100, rel=1e-12)
    data = json.loads((tmp_path / r.witness).read_text())
    assert data["claim"] == claim.id and data["instance"] == {"eta": "1/100", "eps": "1/1000000", "D_w": 1}
    rep = replay(tmp_path / r.witness)
    assert rep.reproduced and rep.outcome is Outcome.VIOLATED and not rep.disagreements

    class Repaired(ext.Theorem2ProofEta):   # kappa = eta eps / sqrt(D_w): the chain then gives eta eps
        def chain(self, eta, eps, D_w):
            kappa = eta * eps / sp.sqrt(D_w)
            return kappa, sp.sqrt(D_w) * kappa

    ok = judge(Repaired(), _ctx(tmp_path / "repaired"))
    assert ok.outcome is Outcome.VERIFIED and ok.tier is Tier.SEARCHED and ok.ratio == pytest.approx(1)
    assert ok.narrowing == list(ext.Theorem2ProofEta.narrowing)


def test_theorem2_is_undecidable_with_the_fitted_4l_model_as_side_data(tmp_path):
    r = judge(ext.Theorem2(), _ctx(tmp_path, budget=0.34))     # 510 Adam steps of the fit (1500 at budget 1)
    assert r.outcome is Outcome.INCONCLUSIVE and r.summary.startswith("existence only") and r.witness is None
    assert r.details["model"] == "fitted_4L" and r.details["layers"] == 4 * MICRO.L and r.details["fit_steps"] == 510
    assert r.details["max_eps_over_eta"] < 0.1

    class Strict(ext.Theorem2):   # our model at a far smaller eps: evidence against, never a violation
        def grid(self, ctx):
            return [{**inst, "eps": "1e-6"} for inst in super().grid(ctx)]

    s = judge(Strict(), _ctx(tmp_path, budget=0.34))
    assert s.outcome is Outcome.INCONCLUSIVE and s.witness is None and "cannot refute" in s.summary


class _SmallGates(ext.SoftmaxGates):
    M = 20  # the registered claim uses M = 80; the same code at a size whose certificate takes a second
    methods = Search(evaluations=300, floor=64, batch=32)


class _HalvedCertificate(_SmallGates):
    def evaluate(self, instance, dps=None):
        ev = super().evaluate(instance, dps)
        return type(ev)(ev.observed, ev.bound / 2, ev.details)


def test_softmax_gates_float_and_highprec_agree_and_a_halved_certificate_is_violated(tmp_path):
    claim = _SmallGates()
    for which, z in (("r", 0.3), ("rp", -2.9), ("r", 3.1)):
        inst = {"which": which, "z": z, **claim.family}
        assert all(h.holds for h in claim.check_hypotheses(inst))
        lo = claim.evaluate(inst)
        with mpmath.workdps(50):
            hi = claim.evaluate(inst, dps=50)
        assert abs(float(hi.observed) - lo.observed) < 1e-12 and hi.ratio <= 1
    assert not all(h.holds for h in claim.check_hypotheses({"which": "r", "z": 3.2, **claim.family}))
    assert not all(h.holds for h in ext.SoftmaxGates().check_hypotheses({"which": "r", "z": 0.0, **claim.family}))
    r = judge(claim, _ctx(tmp_path))
    assert r.outcome is Outcome.VERIFIED and r.tier is Tier.SEARCHED and 0.9 < r.ratio <= 1  # sound and tight
    assert r.evaluations >= r.budget == 300 and "seconds" not in r.details["certificate"]
    bad = judge(_HalvedCertificate(), _ctx(tmp_path))
    assert bad.outcome is Outcome.VIOLATED and bad.tier is Tier.HIGH_PRECISION and bad.ratio > 1.5
    rep = replay(tmp_path / bad.witness, claim=_HalvedCertificate())
    assert rep.reproduced and not rep.disagreements


class _CoarseSinkModel(ext.SoftmaxICGD):
    """The claim's code with 8 gates instead of 80 (a perturbed model): Theorem 2's eta eps no longer holds."""
    stated_sub = {**ext.SINK_SUB, "M": 8}
    methods = Search(evaluations=4, floor=4, batch=4, portfolio=("explore",))


def test_softmax_icgd_a_coarser_model_is_violated_and_replays(tmp_path):
    claim = ext.SoftmaxICGD()
    space = claim.search_space(_ctx(tmp_path))
    inst = space.decode(space.seeds[0])
    assert all(h.holds for h in claim.check_hypotheses(inst))
    assert claim.evaluate(inst).ratio < 0.5
    assert not all(h.holds for h in claim.check_hypotheses({**inst, "eps": "1e-3"}))   # not the stated eps
    bad = judge(_CoarseSinkModel(), _ctx(tmp_path))
    assert bad.outcome is Outcome.VIOLATED and bad.tier is Tier.HIGH_PRECISION and bad.ratio > 2
    rep = replay(tmp_path / bad.witness, claim=_CoarseSinkModel())
    assert rep.reproduced and not rep.disagreements
    w = json.loads((tmp_path / bad.witness).read_text())
    lo = _CoarseSinkModel().evaluate(w["instance"])
    assert abs(lo.observed - float(w["observed"])) < 1e-9 * float(w["observed"])   # float64 agrees with 50 digits
    assert not all(h.holds for h in claim.check_hypotheses(w["instance"]))        # another model than the claim's


def test_softmax_claims_are_well_formed():
    from proofs_check.claims import Claim
    from proofs_check.methods import methods_of

    ids = [c.id for c in ext.SOFTMAX_CLAIMS]
    assert ids == ["wu2025.theorem2", "wu2025.theorem2.proof_eta", "wu2025.lemma16", "wu2025.lemma16.arithmetic",
                   "wu2025.softmax.gates", "wu2025.softmax.icgd"]
    for c in ext.SOFTMAX_CLAIMS:
        assert c.source.paper == "wu2025" and methods_of(c) and "audit" not in type(c).__dict__
        assert type(c).evaluate is not Claim.evaluate
    kinds = {c.id: (c.source.kind, c.source.about) for c in ext.SOFTMAX_CLAIMS}
    assert kinds["wu2025.softmax.gates"][0] == kinds["wu2025.softmax.icgd"][0] == "ours"
    assert kinds["wu2025.theorem2"] == kinds["wu2025.lemma16"] == ("paper", "statement")
    assert kinds["wu2025.theorem2.proof_eta"] == kinds["wu2025.lemma16.arithmetic"] == ("paper", "proof_step")


def test_softmax_claims_are_registered():
    from proofs_check.registry import get_claim

    for c in ext.SOFTMAX_CLAIMS:
        assert type(get_claim(c.id)) is type(c)


@pytest.mark.slow
def test_theorem2_and_softmax_icgd_at_the_default_budget(tmp_path):
    r = judge(ext.Theorem2(), _ctx(tmp_path))
    assert r.outcome is Outcome.INCONCLUSIVE and r.details["max_eps_over_eta"] < 0.1
    r = judge(ext.SoftmaxICGD(), _ctx(tmp_path))
    assert r.outcome is Outcome.VERIFIED and r.tier is Tier.SEARCHED and r.ratio < 1 and r.evaluations >= r.budget == 96
