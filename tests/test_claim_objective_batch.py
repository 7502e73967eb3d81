"""The claims' batched float64 objective (``BlockClaim.evaluate_batch``, ``block.batched``): a prompt's value does
not depend on the prompts sharing its call (bit for bit), the one-prompt ``evaluate`` agrees to 1e-12, and a claim
that reads fewer stages of the block (``upto``) gets the same values for them as the full computation."""
import numpy as np
import pytest
import torch

from numeric.wu2025.autograd_objective import STAGES, construction_batch, exact_batch
from proofs_check import bench_search as bs
from proofs_check.audits.wu2025.block import LANES, batched
from proofs_check.audits.wu2025.common import setup_of
from proofs_check.registry import get_claim

CLAIMS = ["wu2025.lemma2.safe", "wu2025.lemma3", "wu2025.lemma4.safe", "wu2025.lemma6.error.safe",
          "wu2025.theorem1.grad_error", "wu2025.theorem1"]


def _instances(claim):
    ctx = bs.paper_context(claim.id, 0)
    return bs.objective_instances(claim, ctx, 12, 1, "explore") + bs.objective_instances(claim, ctx, 10, 2)


@pytest.mark.parametrize("cid", CLAIMS)
def test_a_value_does_not_depend_on_its_batch(cid):
    claim = get_claim(cid)
    insts = _instances(claim)
    full = claim.evaluate_batch(insts)
    assert np.isfinite(full).sum() >= len(insts) // 2
    alone = [claim.evaluate_batch([i])[0] for i in insts]
    threes = [v for k in range(0, len(insts), 3) for v in claim.evaluate_batch(insts[k:k + 3])]
    assert full == alone == threes                      # bit for bit, whatever shares the call
    one = np.array([claim.evaluate(i).ratio for i in insts], float)
    f = np.asarray(full, float)
    fin = np.isfinite(f)
    assert np.array_equal(fin, np.isfinite(one))
    assert np.max(np.abs(one[fin] - f[fin]) / np.maximum(1.0, np.abs(f[fin]))) < 1e-12


def test_the_padding_is_what_makes_it_invariant():
    """A 2-entry row padded to LANES rows gets, through softplus, exactly the values it has inside a 128-entry tensor
    (torch's element-wise kernels run a vectorised body and a scalar tail of numel mod 8 or 16 entries, which may
    differ in the last bit: unpadded 2-entry rows fall wholly in the tail)."""
    torch.set_num_threads(1)
    z = torch.linspace(-3, 3, 128, dtype=torch.float64).reshape(64, 2) + 1e-3
    full = torch.nn.functional.softplus(z)
    padded = torch.cat([torch.nn.functional.softplus(z[k:k + 1].expand(LANES, 2).clone())[:1] for k in range(64)])
    assert LANES % 16 == 0 and torch.equal(padded, full)


def test_batched_pads_and_returns_one_value_per_prompt():
    seen = []

    def fn(X, Y, W):
        seen.append(X.shape[0])
        return X[:, 0, 0]

    class P:
        def __init__(self, v):
            self.x, self.y, self.w0 = np.full((2, 1), v), np.zeros((1, 1)), np.zeros(3)

    out = batched(fn, [P(float(i)) for i in range(21)])
    assert out == [float(i) for i in range(21)] and seen == [32]


@pytest.mark.parametrize("cid", ["wu2025.lemma2.safe", "wu2025.lemma4.safe"])
def test_a_shorter_stage_computes_the_same_quantities(cid):
    claim = get_claim(cid)
    inst = _instances(claim)[-1]
    st = setup_of(inst)
    cfg = st.cfg
    ru, rpu, uu = st.units
    X, Y, W = (torch.as_tensor(np.asarray(inst["prompt"][k], float)[None], dtype=torch.float64)
               for k in ("x", "y", "w0"))
    full_c = construction_batch(cfg.shape, ru, rpu, uu, st.approx.R3, st.eta, st.box, X, Y, W)
    full_e = exact_batch(cfg.shape, cfg.activation, cfg.loss, st.eta, st.box, X, Y, W)
    for stage in STAGES:
        c = construction_batch(cfg.shape, ru, rpu, uu, st.approx.R3, st.eta, st.box, X, Y, W, upto=stage)
        e = exact_batch(cfg.shape, cfg.activation, cfg.loss, st.eta, st.box, X, Y, W, upto=stage)
        k = STAGES.index(stage)
        for short, full in ((c, full_c), (e, full_e)):
            assert all(torch.equal(a, b) for a, b in zip(short.p, full.p))
            assert all((a is None) == (k < 1) for a in short.rp)
            assert (short.g is None) == (k < 2) and (short.grad is None) == (k < 3)
            assert (short.w_next is None) == (k < 4)
            if k >= 2:
                assert torch.equal(short.g, full.g)
            if k >= 4:
                assert torch.equal(short.w_next, full.w_next)
