"""The structured executor (torch) and the Arb executor agree with the reference executors of the construction:
the dense per-head executor at every n of the bench (layer by layer), the batched executor, the 50-digit one."""
from fractions import Fraction

import mpmath
import numpy as np
import pytest
import torch

from numeric.executors.arb import distance, encloses, max_radius, midpoints, run_arb
from numeric.executors.batched import run_batched
from numeric.executors.dense import apply_dense, run_dense
from numeric.executors.highprec import run_highprec
from numeric.executors.structured import (TokenState, Workspace, apply_structured, release_workspaces, run_state,
                                          run_structured, structured_kind)
from numeric.wu2025.prompt import Prompt, convert, initial_tokens, make_prompt
from numeric.wu2025.run import token_state
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


# --------------------------------------------------------------------------------------------- token state, large n



N_SWEEP = (16, 64, 256, 1024, 4096, pytest.param(16384, marks=pytest.mark.slow))   # the bench's n axis


def _tiny(n, **kw):
    """A small construction (D = 18, 4 knots) so that the dense per-head executor runs at every n."""
    return _setup(1, 1, 2, 2, n, 4, 1, **kw)


@pytest.mark.parametrize("n", N_SWEEP)
def test_structured_equals_dense_per_layer_at_every_benchmarked_n(n):
    """Layer by layer from the same input: the structured executor (tokens slot by slot, w stored once) against the
    dense per-head executor; all tokens up to n = 64, beyond that a fixed sample of query tokens (the keys are
    still all n + 1 tokens: the dense n x n score matrices of all tokens would not fit).  n = 16384 is ``slow``
    here (about 10 s of dense products); the full bench checks it too (``equivalence_by_n``)."""
    cfg, wc, pr = _tiny(n)
    st = token_state(wc.layout, pr)
    H = st.tokens().numpy()
    if n <= 256:
        assert np.array_equal(H, convert(initial_tokens(wc.layout, pr), "float"))
    rows = None if n <= 64 else np.unique(np.r_[0, 1, n - 1, n, np.random.default_rng(n).integers(0, n + 1, 29)])
    worst = 0.0
    for layer in wc.net.layers:
        st, _ = run_state([layer], st)
        H_next = st.tokens().numpy()
        ref = apply_dense(layer, H, rows=rows)
        worst = max(worst, float(np.abs((H_next if rows is None else H_next[rows]) - ref).max()))
        H = H_next
    assert worst < 1e-12
    assert st.shared("w") and st.get("p[1]") is None          # w stayed one vector, the scratch is erased


def test_whole_run_equals_dense_from_factored_tokens():
    cfg, wc, pr = _setup(2, 2, 3, 3, 40, 20, 2)
    st = token_state(wc.layout, pr)
    fin, trace = run_state(wc.net.layers, st, record=True)
    _, td = run_dense(wc.net.layers, st.tokens().numpy())
    assert _max_diff([s.tokens() for s in trace], td) < 1e-12
    assert torch.equal(fin.tokens(), trace[-1].tokens())


def test_batch_dimension_equals_one_prompt_at_a_time():
    cfg, wc, _ = _setup(2, 1, 3, 3, 6, 12, 2)
    prompts = [make_prompt(cfg, wc.box, seed=s) for s in range(5)]
    H = torch.stack([torch.tensor(convert(initial_tokens(wc.layout, p), "float")) for p in prompts])
    fin, trace = run_structured(wc.net.layers, H, wc.layout)
    assert fin.shape == H.shape and len(trace) == len(wc.net.layers)
    for b, p in enumerate(prompts):
        one, tr1 = run_structured(wc.net.layers, H[b], wc.layout)
        assert (fin[b] - one).abs().max() < 1e-12
        assert max(float((t[b] - u).abs().max()) for t, u in zip(trace, tr1)) < 1e-12
    st, _ = run_state(wc.net.layers, token_state(wc.layout, prompts))
    assert (st.tokens() - fin).abs().max() < 1e-12


def test_run_state_leaves_its_input_and_earlier_results_alone():
    """The workspace is reused between runs: nothing a run returns (or was given) may change afterwards."""
    cfg, wc, pr = _setup(2, 2, 3, 3, 4, 20, 1, readout=False)
    layers = wc.blocks[0].layers[:5]   # stops before the erase: scratch slots are live in the result
    st = token_state(wc.layout, pr)
    before = st.tokens()
    a, tr = run_state(layers, st, record=True)
    snap = [s.tokens() for s in tr]
    out_a = a.tokens()
    b, _ = run_state(layers, token_state(wc.layout, make_prompt(cfg, wc.box, seed=3)))
    assert torch.equal(st.tokens(), before)
    assert torch.equal(a.tokens(), out_a) and all(torch.equal(s.tokens(), t) for s, t in zip(tr, snap))
    assert not torch.equal(a.tokens(), b.tokens())
    release_workspaces()
    assert torch.equal(run_state(layers, st)[0].tokens(), out_a)


def test_programs_are_per_layer_sequence_and_safe_under_threads(monkeypatch):
    """A run resolves its layers once per layer sequence (``_program``); with the table forced to evict (2 entries)
    and 4 threads running 8 different prefixes of the block, every result equals the serial one."""
    from concurrent.futures import ThreadPoolExecutor

    from numeric.executors import structured

    cfg, wc, pr = _setup(2, 2, 3, 3, 4, 20, 1, readout=False)
    layers = wc.blocks[0].layers
    st = token_state(wc.layout, pr)
    p1 = structured._program(list(layers), wc.layout, st.dtype, st.device)
    assert structured._program(list(layers), wc.layout, st.dtype, st.device) is p1
    assert structured._program(list(layers[:3]), wc.layout, st.dtype, st.device) is not p1
    serial = [run_state(layers[:k], st)[0].tokens() for k in range(3, 11)]
    monkeypatch.setattr(structured, "PROGRAMS", 2)
    monkeypatch.setattr(structured, "_PROGRAMS", type(structured._PROGRAMS)())    # empty: the threads insert, evict
    with ThreadPoolExecutor(4) as pool:
        got = list(pool.map(lambda k: run_state(layers[:k], st)[0].tokens(), list(range(3, 11)) * 3))
    assert all(torch.equal(g, serial[i % 8]) for i, g in enumerate(got))
    assert len(structured._PROGRAMS) <= 2


def test_factored_tokens_round_trip_and_sharing():
    cfg, wc, pr = _setup(2, 2, 3, 3, 4, 20, 1)
    H = torch.tensor(convert(initial_tokens(wc.layout, pr), "float"))
    st = TokenState.from_tokens(H, wc.layout)
    assert torch.equal(st.tokens(), H)
    assert st.get("w").shape[-1] == 1 and st.get("one").shape[-1] == 1 and st.get("g") is None
    H2 = H.clone()
    H2[1, wc.layout.index("w", 0)] += 1.0
    assert not TokenState.from_tokens(H2, wc.layout).shared("w")
    assert Workspace(keep=False).buf("a", (2, 3), torch.float64, "cpu").shape == (2, 3)


def test_executors_keep_no_cache_on_the_layers():
    """House rule: caches live beside the construction (side tables), never on its layer objects."""
    from numeric.executors import batched, compiled, structured

    cfg, wc, pr = _setup(2, 1, 3, 2, 3, 10, 1)
    H0 = convert(initial_tokens(wc.layout, pr), "float")
    before = [set(vars(layer)) for layer in wc.net.layers]
    run_structured(wc.net.layers, torch.tensor(H0), wc.layout)
    run_batched(wc.net.layers, torch.tensor(H0))
    with mpmath.workdps(20):
        run_highprec(wc.net.layers[:2], convert(initial_tokens(wc.layout, pr), "mpmath"))
    run_arb(wc.net.layers[:3], initial_tokens(wc.layout, pr), wc.layout, dps=20)
    for layer, keys in zip(wc.net.layers, before):
        assert set(vars(layer)) - keys <= {"heads"}          # the layer's own lazily built heads only
    assert any(layer in structured._CACHE for layer in wc.net.layers)
    assert any(layer in batched._CACHE or layer in compiled._CACHE for layer in wc.net.layers)


def test_piecewise_grid_index_matches_binary_search():
    from numeric.executors.structured import Piecewise

    cfg, wc, _ = _setup(2, 2, 3, 3, 4, 20, 1)
    f = Piecewise.of(wc.approx.r, torch.float64, "cpu")
    assert f.grid is not None
    z = torch.cat([torch.linspace(-8, 8, 2001, dtype=torch.float64), f.breaks,
                   torch.tensor([float("inf"), -float("inf"), 1e300, -1e300], dtype=torch.float64)])
    ref = torch.tensor([float(wc.approx.r(float(v))) if abs(v) < 1e10 else 0.0 for v in z.tolist()],
                       dtype=torch.float64)
    got = f(z)
    finite = z.abs() < 1e10
    assert (got[finite] - ref[finite]).abs().max() < 1e-12
    assert torch.isnan(f(torch.tensor([float("nan")], dtype=torch.float64))).all()


def test_piecewise_packed_and_contiguous_gathers_agree_bitwise_and_keep_nan():
    """Up to PACKED_MAX pre-activations r_bar (and r_bar' beside it) come from one gather of a packed table, above
    it from contiguous 1-D gathers: the same values bit for bit, a NaN stays NaN on both paths."""
    from numeric.executors.structured import PACKED_MAX, Piecewise

    cfg, wc, _ = _setup(2, 2, 3, 3, 4, 20, 1)
    f = Piecewise.of(wc.approx.r, torch.float64, "cpu")
    fp = Piecewise.of(wc.approx.rp, torch.float64, "cpu")
    assert f.key == fp.key
    g = torch.Generator().manual_seed(3)
    z = (torch.rand(3, PACKED_MAX + 77, generator=g, dtype=torch.float64) - 0.5) * 20
    z[1, 5] = float("nan")
    big, small = f(z), torch.cat([f(z[:, i:i + 1000]) for i in range(0, z.shape[1], 1000)], dim=1)
    assert z[:, :1000].numel() <= PACKED_MAX < z.numel()
    assert torch.equal(big[~z.isnan()], small[~z.isnan()]) and big[1, 5].isnan() and small[1, 5].isnan()
    zs = z[:, :1000]
    g4 = f.gather(f.index(zs), fp)                              # r_bar' from the packed table of the pair
    ok = ~zs.isnan()
    assert torch.equal(torch.addcmul(g4[..., 3], g4[..., 2], zs)[ok], fp(zs)[ok])
    assert torch.equal(torch.addcmul(g4[..., 1], g4[..., 0], zs)[ok], f(zs)[ok])


@pytest.mark.gpu
def test_factored_batch_on_cuda_matches_cpu():
    """The structured executor on CUDA (float64, batch dimension, n = 4096) against the CPU run."""
    cfg, wc, _ = _setup(2, 2, 3, 3, 4096, 20, 1)
    prompts = [make_prompt(cfg, wc.box, seed=s) for s in range(3)]
    cpu, _ = run_state(wc.net.layers, token_state(wc.layout, prompts))
    gpu, _ = run_state(wc.net.layers, token_state(wc.layout, prompts, device="cuda"))
    assert gpu.device.type == "cuda"
    assert (gpu.tokens().cpu() - cpu.tokens()).abs().max() < 1e-12
    f32, _ = run_state(wc.net.layers, token_state(wc.layout, prompts, dtype=torch.float32, device="cuda"))
    assert (f32.tokens().double().cpu() - cpu.tokens()).abs().max() < 1e-3


def test_lemma3_values_computed_ahead_match_and_respect_unerased_slots():
    """Lemma 3's r_bar'(z) is evaluated with Lemma 2 (same z, same pieces) inside a run; running the layers one by
    one (no look-ahead), or twice without the erasing projection in between, gives the dense result."""
    cfg, wc, pr = _setup(2, 2, 3, 3, 6, 20, 1, readout=False)
    lay = wc.layout
    fwd = wc.blocks[0].layers[:cfg.N + 1]            # Lemma 2 (x N) and Lemma 3
    st = token_state(lay, pr)
    one_run, _ = run_state(fwd, st)
    step_by_step = st
    for layer in fwd:
        step_by_step, _ = run_state([layer], step_by_step)
    ref = run_dense(fwd, st.tokens().numpy())[0]
    assert np.abs(one_run.tokens().numpy() - ref).max() < 1e-12
    assert np.abs(step_by_step.tokens().numpy() - ref).max() < 1e-12
    twice, _ = run_state(fwd + fwd, st)              # the second pass adds onto live p and r' slots
    assert np.abs(twice.tokens().numpy() - run_dense(fwd + fwd, st.tokens().numpy())[0]).max() < 1e-12
