"""Wu et al.'s construction: three oracles in agreement, exactness, and convergence to projected GD."""
from fractions import Fraction

import mpmath
import numpy as np
import pytest
import torch

from numeric.executors.batched import run_batched
from numeric.wu2025.prompt import Prompt, convert, initial_tokens, make_prompt
from numeric.wu2025.reference import approx_terms, project_box, projected_gd
from numeric.wu2025.run import block_boundaries, run, w_after_block
from symbolic.transformer import ReluAttention
from symbolic.wu2025.assemble import build_construction
from symbolic.wu2025.config import WuConfig

R = "safe"  # our radius: contains every pre-activation (constants.safe_radius)


def _setup(**kw):
    cfg = WuConfig(radius=kw.pop("radius", R), **kw)
    wc = build_construction(cfg)
    return cfg, wc, make_prompt(cfg, wc.box)


@pytest.fixture(scope="module")
def main_case():
    cfg, wc, pr = _setup(knots=20)
    return cfg, wc, pr, run(wc, pr, "batched"), run(wc, pr, "highprec")


def test_three_executors_agree(main_case):
    cfg, wc, pr, tb, th = main_case
    td = run(wc, pr, "dense")
    last = len(td.states) - 1
    assert np.abs(td.as_float(last) - tb.as_float(last)).max() < 1e-12  # dense vs batched float64
    for i in range(len(th.states)):  # torch float64 vs 50 digits, after every layer
        assert np.abs(th.as_float(i) - tb.as_float(i)).max() < 1e-10


def test_scratch_erased_w_shared_and_query_excluded(main_case):
    cfg, wc, pr, tb, th = main_case
    lay = wc.layout
    for first, last in block_boundaries(wc)[: cfg.L]:
        H = th.as_float(last)
        for name in lay.scratch:
            assert np.all(H[:, lay.slice(name)] == 0.0), name
        assert np.all(H[:, lay.slice("w")] == H[0, lay.slice("w")])
        g = th.slot(first + cfg.N + 1, "g")  # after Lemma 4
        assert np.all(g[-1] == 0.0) and np.any(g[:-1] != 0.0)  # the gate: g_{n+1} = 0
        for j in range(1, cfg.N + 1):
            s = th.slot(last - 2, lay.s(j))  # after Lemma 5
            assert np.all(s[-1] == 0.0)


def test_gradient_step_uses_only_context_tokens(main_case):
    """Changing the query's x leaves every w^(l) unchanged (up to roundoff)."""
    cfg, wc, pr, tb, th = main_case
    x2 = pr.x.copy()
    x2[-1] = -0.5 * x2[-1]
    tb2 = run(wc, Prompt(x2, pr.y, pr.w0), "batched")
    for l in range(cfg.L):
        assert np.abs(w_after_block(tb, wc, l) - w_after_block(tb2, wc, l)).max() < 1e-15


def test_float64_reproduces_projected_gd_and_error_falls_like_M_minus_2():
    errs = []
    Ms = [20, 80, 320]
    for M in Ms:
        cfg, wc, pr = _setup(knots=M)
        tb = run(wc, pr, "batched")
        with mpmath.workdps(30):
            ws = projected_gd(cfg, wc.box, pr.w0, pr.x, pr.y, cfg.L)
        err = max(np.linalg.norm(w_after_block(tb, wc, l) - np.array([float(v) for v in ws[l + 1]]))
                  for l in range(cfg.L))
        errs.append(err)
    assert errs[1] < 1e-5
    slope = np.polyfit(np.log(Ms), np.log(errs), 1)[0]
    assert -2.3 <= slope <= -1.7, (errs, slope)


def test_one_block_is_exactly_projected_approximate_gd_in_sympy():
    """Micro case d=1, K=2, N=2, n=2, rational knots and data: the SymPy run of one block equals
    Proj_W(w - eta grad_bar) exactly, grad_bar computed from the approximants directly (no transformer)."""
    cfg = WuConfig(d_in=1, d_out=1, K=2, N=2, n=2, L=1, eta=0.75, Bv=1.5, Bx=1, By=1, knots=6, radius="2.5")
    wc = build_construction(cfg, readout=False)
    pr = Prompt(np.array([[0.5], [-0.75], [0.25]]), np.array([[0.3125], [-0.5]]),
                np.array([0.5, -0.625, 0.375, 0.75]))
    from numeric.executors.highprec import run_highprec

    rows = initial_tokens(wc.layout, pr)
    import sympy as sp

    H0 = [[sp.Rational(v.numerator, v.denominator) for v in r] for r in rows]
    out, _ = run_highprec(wc.net.layers, H0, kind="sympy")
    w_run = [Fraction(int(v.p), int(v.q)) for v in out[0][wc.layout.slice("w")]]
    terms = approx_terms(cfg, wc.approx, [Fraction(v) for v in pr.w0], pr.x, pr.y, kind="fraction")
    eta = Fraction(str(cfg.eta))
    expected = project_box([Fraction(w) - eta * g for w, g in zip(pr.w0, terms.grad)], wc.box)
    assert w_run == expected
    assert all(isinstance(v, sp.Rational) for r in out for v in r)


def test_normalisation_convention_is_pinned():
    """F7: 1/n_tok normalisation; dividing by n instead while scaling V by n/(n+1) gives the same output."""
    cfg, wc, pr = _setup(knots=10)
    layer = wc.blocks[0].layers[0]
    H = torch.tensor(convert(initial_tokens(wc.layout, pr), "float"))
    ref = run_batched([layer], H)[0]
    n = cfg.n
    alt = ReluAttention("alt", lambda: [type(h)(h.Q, h.K, _scaled(h.V, Fraction(n, n + 1))) for h in layer.heads])
    out = H + (run_batched([alt], H)[0] - H) * (n + 1) / n
    assert torch.allclose(ref, out, rtol=0, atol=1e-14)


def _scaled(m, c):
    from symbolic.transformer import SparseMatrix

    return SparseMatrix(m.shape, {k: v * c for k, v in m.entries.items()})


def test_weights_are_exact_rationals_and_sympy_matrices():
    cfg, wc, pr = _setup(knots=4)
    head = wc.blocks[0].layers[0].heads[1]
    Q = head.Q.to_sympy()
    assert Q.shape == (wc.layout.D, wc.layout.D)
    assert all(v.is_Rational for v in Q.values())
    assert all(isinstance(v, Fraction) for v in head.V.entries.values())


def test_theorem4_dimensions_run():
    cfg, wc, pr = _setup(d_in=2, d_out=1, knots=20)
    assert wc.layout.D == 45
    tb = run(wc, pr, "batched")
    with mpmath.workdps(30):
        ws = projected_gd(cfg, wc.box, pr.w0, pr.x, pr.y, cfg.L)
    assert np.abs(w_after_block(tb, wc, cfg.L - 1) - np.array([float(v) for v in ws[-1]])).max() < 1e-3


@pytest.mark.parametrize("d_in,d_out,K,N", [(2, 1, 3, 3), (3, 2, 4, 4)])
def test_theorem4_reproduces_projected_gd_at_80_knots(d_in, d_out, K, N):
    """Issue 7: Theorem 4 (d_x != d_y) at (2,1,3,3) and (3,2,4,4): within 1e-4 of projected GD at 80 knots."""
    cfg, wc, pr = _setup(d_in=d_in, d_out=d_out, K=K, N=N, knots=80)
    ts = run(wc, pr, "structured")
    with mpmath.workdps(30):
        ws = projected_gd(cfg, wc.box, pr.w0, pr.x, pr.y, cfg.L)
    for l in range(cfg.L):
        assert np.linalg.norm(w_after_block(ts, wc, l) - np.array([float(v) for v in ws[l + 1]])) < 1e-4
