"""The structured executor (torch) and the Arb executor agree with the reference executors of the construction."""
from fractions import Fraction

import mpmath
import numpy as np
import pytest
import torch

from numeric.executors.arb import distance, encloses, max_radius, midpoints, run_arb
from numeric.executors.batched import run_batched
from numeric.executors.dense import run_dense
from numeric.executors.highprec import run_highprec
from numeric.executors.structured import apply_structured, run_structured, structured_kind
from numeric.wu2025.prompt import Prompt, convert, initial_tokens, make_prompt
from symbolic.wu2025.assemble import build_construction
from symbolic.wu2025.config import WuConfig

SIZES = [  # (d_x, d_y, K, N, n, M, L): spec 11.1, Theorem-4 shapes (d_x != d_y), N = 2, several M
    (2, 2, 3, 3, 4, 20, 2),
    (2, 1, 3, 3, 4, 10, 1),
    (3, 2, 4, 2, 3, 40, 1),
    (2, 2, 3, 2, 5, 80, 1),
]


def _setup(d_in, d_out, K, N, n, M, L, readout=True, seed=0, **kw):
    cfg = WuConfig(d_in=d_in, d_out=d_out, K=K, N=N, n=n, L=L, knots=M, radius="3.1", seed=seed, **kw)
    wc = build_construction(cfg, readout=readout)
    return cfg, wc, make_prompt(cfg, wc.box)


def _max_diff(states_a, states_b):
    return max(float(np.abs(np.asarray(a) - np.asarray(b)).max()) for a, b in zip(states_a, states_b))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: "dx{}-dy{}-K{}-N{}-n{}-M{}-L{}".format(*s))
def test_structured_equals_dense_and_batched_after_every_layer(size):
    cfg, wc, pr = _setup(*size)
    H0 = convert(initial_tokens(wc.layout, pr), "float")
    _, ts = run_structured(wc.net.layers, torch.tensor(H0), wc.layout)
    _, td = run_dense(wc.net.layers, H0)
    _, tb = run_batched(wc.net.layers, torch.tensor(H0))
    assert len(ts) == len(td) == len(wc.net.layers)
    assert _max_diff(ts, td) < 1e-12
    assert _max_diff(ts, tb) < 1e-12
    final, _ = run_structured(wc.net.layers, torch.tensor(H0), wc.layout, record=False)
    assert torch.equal(final, ts[-1])


def test_other_activation_and_loss_agree_with_dense():
    """tanh and log-cosh: the loss layer has M + 1 units per output coordinate instead of two."""
    cfg, wc, pr = _setup(2, 1, 3, 2, 3, 12, 1, activation="tanh", loss="logcosh")
    H0 = convert(initial_tokens(wc.layout, pr), "float")
    _, ts = run_structured(wc.net.layers, torch.tensor(H0), wc.layout)
    _, td = run_dense(wc.net.layers, H0)
    assert _max_diff(ts, td) < 1e-12


def test_structured_never_builds_heads():
    cfg, wc, pr = _setup(2, 2, 3, 3, 4, 20, 1)
    H0 = torch.tensor(convert(initial_tokens(wc.layout, pr), "float"))
    run_structured(wc.net.layers, H0, wc.layout, record=False)
    assert all(structured_kind(layer) for layer in wc.net.layers)
    assert not any("heads" in layer.__dict__ for layer in wc.net.layers)


def test_keys_with_different_w_and_the_fallback_agree_with_dense():
    """w differing between tokens keeps the mean over keys; a constant slot != 1 falls back to the batched executor."""
    cfg, wc, pr = _setup(2, 1, 3, 3, 4, 20, 1)
    lay = wc.layout
    H = convert(initial_tokens(lay, pr), "float")
    rng = np.random.default_rng(1)
    H[2, lay.slice("w")] += 0.1 * rng.standard_normal(lay.size("w"))
    for layer in wc.blocks[0].layers[:4]:  # Lemma 2 (x3) and Lemma 3
        H_next = run_dense([layer], H)[0]
        assert np.abs(apply_structured(layer, torch.tensor(H), lay).numpy() - H_next).max() < 1e-12
        H = H_next
    H[1, lay.index("one")] = 0.5
    layer = wc.blocks[0].layers[0]
    assert np.abs(apply_structured(layer, torch.tensor(H), lay).numpy() - run_dense([layer], H)[0]).max() < 1e-12
    H[1, lay.index("one")] = 1.0  # a whole run from tokens with different w (the run state starts unknown)
    _, ts = run_structured(wc.net.layers, torch.tensor(H), lay)
    assert _max_diff(ts, run_dense(wc.net.layers, H)[1]) < 1e-12


def test_mlp_pairs_and_other_units_agree_with_dense():
    """Clip/erase pairs on scattered slots (index path), a unit that is no pair, and a negative constant slot."""
    from symbolic.transformer import MLP, SparseMatrix

    cfg, wc, pr = _setup(2, 2, 3, 2, 3, 10, 1)
    lay, D = wc.layout, wc.layout.D
    one = lay.index("one")
    W1, W2 = SparseMatrix((7, D)), SparseMatrix((D, 7))
    for m, (c, sign, b) in enumerate([(3, 1, "0.25"), (3, -1, "0.25"), (9, 1, "0"), (9, -1, "0"), (0, 1, "0.1")]):
        W1.add(m, c, sign)
        W1.add(m, one, -Fraction(b))
        W2.add(c, m, -sign if m < 4 else 2)
    W1.add(5, 1, Fraction(1, 2)).add(5, 2, Fraction(-1, 3))   # a unit reading two slots: CSR part
    W2.add(4, 5, Fraction(3, 2))
    W1.add(6, 5, 1)                                          # a lone half pair: CSR part
    W2.add(5, 6, -1)
    layer = MLP("test", W1, W2, structure={"kind": "projection"})
    H = convert(initial_tokens(lay, pr), "float") + np.random.default_rng(2).uniform(-1, 1, (cfg.n + 1, D))
    for ones in (1.0, np.array([1.0, -0.5, 2.0, 1.0])):
        H[:, one] = ones
        got = apply_structured(layer, torch.tensor(H), lay).numpy()
        assert np.abs(got - run_dense([layer], H)[0]).max() < 1e-14


def test_structured_float64_matches_mpmath_reference():
    cfg, wc, pr = _setup(2, 2, 3, 3, 4, 20, 1, readout=False)
    rows = initial_tokens(wc.layout, pr)
    _, ts = run_structured(wc.net.layers, torch.tensor(convert(rows, "float")), wc.layout)
    with mpmath.workdps(30):
        _, th = run_highprec(wc.net.layers, convert(rows, "mpmath"))
    assert max(np.abs(ts[i].numpy() - np.array(th[i], dtype=float)).max() for i in range(len(ts))) < 1e-13


def test_float32_runs_close_to_float64():
    cfg, wc, pr = _setup(2, 2, 3, 3, 4, 20, 1)
    H0 = torch.tensor(convert(initial_tokens(wc.layout, pr), "float"))
    f64, _ = run_structured(wc.net.layers, H0, wc.layout, record=False)
    f32, _ = run_structured(wc.net.layers, H0.float(), wc.layout, record=False)
    assert f32.dtype == torch.float32 and (f32.double() - f64).abs().max() < 1e-5


@pytest.mark.gpu
def test_structured_on_cuda_matches_cpu():
    cfg, wc, pr = _setup(2, 1, 3, 3, 4, 20, 1)
    H0 = torch.tensor(convert(initial_tokens(wc.layout, pr), "float"))
    cpu, _ = run_structured(wc.net.layers, H0, wc.layout, record=False)
    gpu, _ = run_structured(wc.net.layers, H0.cuda(), wc.layout, record=False)
    assert (gpu.cpu() - cpu).abs().max() < 1e-12


# --------------------------------------------------------------------------------------------- Arb balls


def _micro():
    cfg = WuConfig(d_in=1, d_out=1, K=2, N=2, n=2, L=2, eta=0.75, Bv=1.5, knots=6, radius="2.5")
    wc = build_construction(cfg)
    pr = Prompt(np.array([[0.5], [-0.75], [0.25]]), np.array([[0.3125], [-0.5]]),
                np.array([0.5, -0.625, 0.375, 0.75]))
    return wc, initial_tokens(wc.layout, pr)


def test_arb_balls_contain_the_exact_run_after_every_layer():
    wc, rows = _micro()
    _, exact = run_highprec(wc.net.layers, convert(rows, "fraction"), kind="fraction")
    _, balls = run_arb(wc.net.layers, rows, wc.layout, dps=30)
    for i, (b, e) in enumerate(zip(balls, exact)):
        assert encloses(b, e), f"layer {i}"
    assert 0 < max_radius(balls[-1]) < 1e-25


def test_arb_head_by_head_fallback_contains_the_exact_run():
    wc, rows = _micro()
    rows = [list(r) for r in rows]
    rows[0][wc.layout.index("one")] = Fraction(3, 4)  # no collapse: every head evaluated on balls
    layers = wc.blocks[0].layers[:2]
    out, _ = run_highprec(layers, convert(rows, "fraction"), kind="fraction")
    balls, _ = run_arb(layers, rows, wc.layout, dps=30, record=False)
    assert encloses(balls, out)


def test_arb_50_digits_agrees_with_mpmath_reference():
    cfg, wc, pr = _setup(2, 2, 3, 3, 4, 20, 1, readout=False)
    rows = initial_tokens(wc.layout, pr)
    balls, trace = run_arb(wc.net.layers, rows, wc.layout, dps=50)
    with mpmath.workdps(50):
        ref, _ = run_highprec(wc.net.layers, convert(rows, "mpmath"))
    with mpmath.workdps(70):
        finer, _ = run_highprec(wc.net.layers, convert(rows, "mpmath"))
    rad = max_radius(balls)
    assert rad < 1e-47
    assert encloses(balls, finer)                  # rigorous: the 70-digit reference lies in every ball
    assert distance(balls, ref) < rad + 1e-48      # the 50-digit reference within its own rounding
    _, ts = run_structured(wc.net.layers, torch.tensor(convert(rows, "float")), wc.layout)
    assert max(np.abs(midpoints(b) - s.numpy()).max() for b, s in zip(trace, ts)) < 1e-13
