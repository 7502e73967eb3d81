"""Lemma 1 / Definition 3 against autodiff: torch float64, mpmath at 50 digits, and exact SymPy identities."""
import mpmath
import numpy as np
import pytest
import sympy as sp
import torch

from numeric.backends import autograd_gradient, lemma1_scalar, lemma1_torch, scalar_derivative, scalar_phi
from symbolic.activations import ACTIVATIONS
from symbolic.errors import ConfigError
from symbolic.losses import LOSSES
from symbolic.network import NetworkShape, empirical_risk, lemma1_terms

SMOOTH = ["sigmoid", "tanh", "softplus", "gelu"]


def _data(shape, n, seed, dtype=torch.float64):
    g = torch.Generator().manual_seed(seed)
    w = torch.randn(shape.num_params, generator=g, dtype=dtype) * 0.8
    X = torch.randn(n, shape.d_in, generator=g, dtype=dtype)
    Y = torch.randn(n, shape.d_out, generator=g, dtype=dtype)
    return w, X, Y


def test_counts_match_the_paper():
    s = NetworkShape.square(2, 3, 3)
    assert [s.D(j) for j in range(4)] == [0, 6, 15, 21]  # D_j of p.4 (spec 11.1)
    assert s.num_params == 2 * 2 * 3 + (3 - 2) * 9
    assert s.dim_p == 8  # (N-1)K + d, not (N-2)K + d (F2)
    t4 = NetworkShape(3, 2, 4, 4)
    assert t4.num_params == (3 + 2) * 4 + 2 * 16 and t4.dim_p == 14
    assert s.vector_slice(2, 1) == slice(6, 9)  # v_21 follows v_11..v_13 (3.2)


@pytest.mark.parametrize("bad", [dict(d_in=2, d_out=2, K=3, N=1), dict(d_in=2, d_out=2, K=0, N=3),
                                 dict(d_in=0, d_out=0, K=3, N=3)])
def test_bad_sizes_name_the_parameter(bad):
    with pytest.raises(ConfigError) as e:
        NetworkShape(**bad)
    assert e.value.param in {"--depth", "--width", "--dim"}


@pytest.mark.parametrize("act", list(ACTIVATIONS))
@pytest.mark.parametrize("N", [2, 3, 4])
@pytest.mark.parametrize("loss", list(LOSSES))
def test_lemma1_matches_autograd_float64(act, N, loss):
    shape = NetworkShape(2, 2, 3, N) if N != 4 else NetworkShape(3, 2, 3, 4)
    w, X, Y = _data(shape, 4, seed=N)
    g1 = lemma1_torch(shape, w, X, Y, ACTIVATIONS[act], LOSSES[loss]).grad
    g2 = autograd_gradient(shape, w, X, Y, ACTIVATIONS[act], LOSSES[loss])
    assert float((g1 - g2).norm() / g2.norm()) < 1e-13


@pytest.mark.parametrize("act", SMOOTH + ["relu"])
@pytest.mark.parametrize("N", [2, 3, 4])
def test_lemma1_matches_numerical_derivative_50_digits(act, N):
    """mpmath at 50 digits: Lemma 1 vs mpmath.diff of L_n (an independent, derivative-free reference that
    raises its own working precision), within 1e-40.  ReLU data are kept away from the kinks."""
    shape = NetworkShape.square(1, 2, N)
    a, l = ACTIVATIONS[act], LOSSES["square"]
    rng = np.random.default_rng(N)
    with mpmath.workdps(50):
        w = [mpmath.mpf(int(v)) / 64 for v in rng.integers(-80, 80, shape.num_params)]
        X = [[mpmath.mpf(int(v)) / 32] for v in rng.integers(-40, 40, 2)]
        Y = [[mpmath.mpf(int(v)) / 32] for v in rng.integers(-40, 40, 2)]
        grad = lemma1_scalar(shape, w, X, Y, a, l, kind="mpmath").grad
        r, phi = scalar_derivative(a, 0, "mpmath"), scalar_phi(l, "mpmath")
        Xa, Ya = np.array(X, dtype=object), np.array(Y, dtype=object)
    for k in range(shape.num_params):
        def risk_k(t, k=k):
            wk = np.array(w, dtype=object)
            wk[k] = t
            return empirical_risk(shape, wk, Xa, Ya, r, phi)

        with mpmath.workdps(70):
            ref = mpmath.diff(risk_k, w[k])
        assert abs(ref - grad[k]) < mpmath.mpf("1e-40"), (k, ref, grad[k])


def test_lemma1_exact_identity_generic_activation():
    """Exact SymPy identity for an arbitrary differentiable r (undefined function), N in {2, 3, 4}."""
    r = sp.Function("r")

    def rprime(v):
        xi = sp.Dummy("xi")
        return sp.Subs(sp.Derivative(r(xi), xi), xi, v)

    for N in (2, 3, 4):
        shape = NetworkShape.square(1, 2, N)
        w = np.array(sp.symbols(f"w0:{shape.num_params}", real=True), dtype=object)
        X = np.array(sp.symbols("x0:2", real=True), dtype=object).reshape(2, 1)
        Y = np.array(sp.symbols("y0:2", real=True), dtype=object).reshape(2, 1)
        terms = lemma1_terms(shape, w, X, Y, r, rprime, lambda t, y: 2 * (t - y))
        risk = empirical_risk(shape, w, X, Y, r, lambda v: v**2)
        for wi, gi in zip(w, terms.grad):
            assert sp.expand(sp.diff(risk, wi).doit() - gi.doit()) == 0


@pytest.mark.parametrize("act", SMOOTH)
def test_lemma1_exact_identity_micro_case(act):
    """d=1, K=2, N=2, n=2, every weight and datum a symbol: the difference simplifies to exactly 0."""
    shape = NetworkShape.square(1, 2, 2)
    w = np.array(sp.symbols(f"w0:{shape.num_params}", real=True), dtype=object)
    X = np.array(sp.symbols("x0:2", real=True), dtype=object).reshape(2, 1)
    Y = np.array(sp.symbols("y0:2", real=True), dtype=object).reshape(2, 1)
    a, l = ACTIVATIONS[act], LOSSES["square"]
    terms = lemma1_scalar(shape, w, X, Y, a, l, kind="sympy")
    risk = empirical_risk(shape, w, X, Y, scalar_derivative(a, 0, "sympy"), scalar_phi(l, "sympy"))
    for wi, gi in zip(w, terms.grad):
        assert sp.cancel(sp.together(sp.diff(risk, wi) - gi)) == 0


def test_relu_micro_case_exact_away_from_kinks():
    shape = NetworkShape.square(1, 2, 2)
    w = [sp.Rational(3, 4), sp.Rational(-1, 2), sp.Rational(1, 3), sp.Rational(2, 5)]
    X = [[sp.Rational(1, 2)], [sp.Rational(-2, 3)]]
    Y = [[sp.Rational(1, 7)], [sp.Rational(-1, 5)]]
    a, l = ACTIVATIONS["relu"], LOSSES["square"]
    ws = sp.symbols("w0:4", real=True)
    risk = empirical_risk(shape, np.array(ws, dtype=object), np.array(X, dtype=object), np.array(Y, dtype=object),
                          scalar_derivative(a, 0, "sympy"), scalar_phi(l, "sympy"))
    terms = lemma1_scalar(shape, w, X, Y, a, l, kind="sympy")
    for wi, gi in zip(ws, terms.grad):
        assert sp.simplify(sp.diff(risk, wi).subs(dict(zip(ws, w))) - gi) == 0


def test_query_mask_drops_the_query():
    shape = NetworkShape.square(2, 3, 3)
    w, X, Y = _data(shape, 5, seed=7)
    mask = torch.tensor([1, 1, 1, 1, 0], dtype=torch.float64)
    g_mask = lemma1_torch(shape, w, X, Y, ACTIVATIONS["sigmoid"], LOSSES["square"], mask=mask).grad
    g_ctx = lemma1_torch(shape, w, X[:4], Y[:4], ACTIVATIONS["sigmoid"], LOSSES["square"]).grad
    assert torch.allclose(g_mask, g_ctx, rtol=0, atol=1e-15)
