"""Batched block quantities (``numeric.wu2025.batch``): one call for many prompts of one construction equals the
one-prompt functions of ``numeric.wu2025.quantities`` field by field (1e-12), at the audits' sizes."""
import numpy as np
import pytest

from numeric.wu2025.batch import (construction_float64_batch, construction_structured_batch, exact_float64_batch,
                                  group_by_size, quantities_batch, stack_prompts)
from numeric.wu2025.prompt import Prompt, make_prompt
from numeric.wu2025.quantities import construction_float64, construction_highprec, exact_float64
from symbolic.wu2025.assemble import build_construction
from symbolic.wu2025.config import WuConfig

AUDIT_SIZES = [  # (d_x, d_y, K, N, n, knots, activation, loss, radius): the audits' ranges
    (2, 2, 3, 3, 4, 16, "sigmoid", "square", "safe"),
    (1, 1, 1, 2, 2, 8, "tanh", "logcosh", "paper"),
    (3, 2, 4, 4, 1, 32, "softplus", "square", "safe"),
    (3, 3, 2, 2, 64, 8, "sigmoid", "pseudo_huber", "paper"),
]


def _fields(q):
    return [*q.p, *q.rp, q.g, *q.s, q.grad, q.w_next]


def _prompts(cfg, wc, count, seed=0):
    """Prompts inside and outside the hypotheses' balls (large weights drive pre-activations out of range)."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(count):
        p = make_prompt(cfg, wc.box, seed=seed * 1000 + i)
        scale = [1.0, 3.0, 10.0][i % 3]
        out.append(Prompt(p.x * scale, p.y, rng.standard_normal(p.w0.shape) * scale))
    return out


@pytest.mark.parametrize("size", AUDIT_SIZES, ids=lambda s: "dx{}-dy{}-K{}-N{}-n{}-M{}-{}-{}-{}".format(*s))
@pytest.mark.parametrize("mask_query", [True, False])
def test_batched_quantities_equal_the_one_prompt_path(size, mask_query):
    dx, dy, K, N, n, M, act, loss, radius = size
    cfg = WuConfig(d_in=dx, d_out=dy, K=K, N=N, n=n, L=1, knots=M, activation=act, loss=loss, radius=radius)
    wc = build_construction(cfg, readout=False)
    prompts = _prompts(cfg, wc, 9, seed=K + n)
    cb, eb = quantities_batch(wc, prompts, mask_query=mask_query)
    assert cb.grad.shape == (9, cfg.shape.num_params) and cb.p[0].shape == (9, n + 1, K)
    worst = 0.0
    for b, pr in enumerate(prompts):
        c1, e1 = construction_float64(wc, pr), exact_float64(wc, pr, mask_query=mask_query)
        for one, many in ((c1, cb.at(b)), (e1, eb.at(b))):
            for x, y in zip(_fields(one), _fields(many), strict=True):
                assert x.shape == y.shape
                worst = max(worst, float(((x - y).abs() / (1 + x.abs())).max()))
    assert worst < 1e-12


def test_explicit_weights_and_single_prompt_batches():
    cfg = WuConfig(d_in=2, d_out=2, K=3, N=3, n=4, L=1, knots=16)
    wc = build_construction(cfg, readout=False)
    prompts = _prompts(cfg, wc, 3)
    ws = np.random.default_rng(5).uniform(-0.5, 0.5, (3, cfg.shape.num_params))
    cb = construction_float64_batch(wc, prompts, ws=ws)
    eb = exact_float64_batch(wc, prompts[:1], ws=ws[:1])
    for b, pr in enumerate(prompts):
        assert (cb.grad[b] - construction_float64(wc, pr, w=ws[b]).grad).abs().max() < 1e-12
    assert (eb.w_next[0] - exact_float64(wc, prompts[0], w=ws[0]).w_next).abs().max() < 1e-12
    with pytest.raises(ValueError):
        stack_prompts(prompts, ws=ws[:2])


def test_mixed_sizes_are_refused_and_grouped():
    a = Prompt(np.zeros((3, 1)), np.zeros((2, 1)), np.zeros(4))
    b = Prompt(np.zeros((4, 1)), np.zeros((3, 1)), np.zeros(4))
    assert group_by_size([a, b, a]) == {(2, 1, 1, 4): [0, 2], (3, 1, 1, 4): [1]}
    with pytest.raises(ValueError):
        stack_prompts([a, b])


def test_transformer_batch_equals_approximant_semantics_and_50_digits():
    """The quantities read from the constructed transformer, all prompts in one structured-executor call, agree
    with the approximant semantics (float64) and, on the Section 11.1 instance, with the 50-digit transformer."""
    cfg = WuConfig(d_in=2, d_out=2, K=3, N=3, n=4, L=1, knots=20, radius="3.1")
    wc = build_construction(cfg, readout=False)
    prompts = [make_prompt(cfg, wc.box, seed=s) for s in range(4)]
    sb, cb = construction_structured_batch(wc, prompts), construction_float64_batch(wc, prompts)
    for x, y in zip(_fields(sb), _fields(cb), strict=True):
        assert x.shape == y.shape and (x - y).abs().max() < 1e-12
    hp = construction_highprec(wc, prompts[0], dps=50)
    one = sb.at(0)
    for x, y in zip(_fields(one), _fields(hp), strict=True):
        assert np.abs(x.numpy() - np.asarray(y, dtype=float)).max() < 1e-13
