"""Hu et al. (LoRA, ICLR 2025): tensor-trick identities, shapes and closed-form bounds, decided exactly."""
import math

import numpy as np
import pytest

from symbolic.hu2025lora import bounds as BD
from symbolic.hu2025lora import shapes as SH
from symbolic.hu2025lora import tensor_trick as TT


def test_lemma2_1_row_major_holds_and_column_major_does_not():
    assert all(x == 0 for x in TT.lemma2_1_residual(2, 3, 3, 2, "row"))
    assert any(x != 0 for x in TT.lemma2_1_residual(2, 3, 3, 2, "col"))


def test_C_j_gives_the_rows_of_the_score_matrix():
    assert all(x == 0 for x in TT.cj_residual(3, 2))


def test_face_splitting_identity_and_the_column_wise_product_as_written():
    assert all(x == 0 for x in TT.face_splitting_residual(2, 2, 3))
    with pytest.raises(TT.NonConforming):
        TT.column_kron_as_written(np.ones((3, 2)), np.ones((3, 4)))
    assert TT.column_kron_as_written(np.ones((3, 2)), np.ones((3, 2))).shape == (9, 2)  # L^2 x k1, not L x k1 k2


def test_jacobians_of_lemma_C1_are_column_major():
    rng = np.random.default_rng(0)
    d, r = 3, 2
    B, A = rng.normal(size=(d, r)), rng.normal(size=(r, d))
    assert np.allclose(TT.J_B_rowmajor(B, d) @ TT.vec(A), TT.vec(B @ A))
    assert np.allclose(TT.J_A_rowmajor(A, d) @ TT.vec(B), TT.vec(B @ A))
    assert np.allclose(TT.J_B_displayed(B, d) @ TT.vec_col(A), TT.vec_col(B @ A))
    assert np.allclose(TT.J_A_displayed(A, d) @ TT.vec_col(B), TT.vec_col(B @ A))
    assert not np.allclose(TT.J_B_displayed(B, d) @ TT.vec(A), TT.vec(B @ A))


@pytest.mark.parametrize("m,n", [(2, 3), (3, 2), (2, 5)])
def test_T_of_lemma_D2_is_the_column_major_commutation(m, n):
    W = np.random.default_rng(1).normal(size=(m, n))
    T = TT.T_matrix(m, n)
    assert np.allclose(T @ TT.vec_col(W), TT.vec_col(W.T))
    assert not np.allclose(T @ TT.vec(W), TT.vec(W.T))
    assert np.allclose(T.T @ TT.vec(W), TT.vec(W.T))
    S = TT.T_matrix(m, m)
    assert np.array_equal(S, S.T)  # square case: harmless


def test_g_star_table_of_the_spec_is_reproduced():
    table = {0.5: ((7, 6, 6), (10, 8, 8)), 1: ((9, 8, 7), (13, 11, 10)), 2: ((14, 11, 10), (18, 14, 14)),
             4: ((21, 17, 15), (26, 21, 19)), 8: ((36, 28, 24), (42, 33, 29))}
    for R, (a, b) in table.items():
        assert tuple(BD.g_star(m, R, 1e-6) for m in BD.METHODS) == a
        assert tuple(BD.g_star(m, R, 1e-10) for m in BD.METHODS) == b


def test_closed_form_log_bound_matches_the_direct_search():
    for R in (0.5, 2.0, 7.0):
        for meth in ("taylor", "cheb_interp"):
            assert BD.g_star_log(meth, R, math.log(1e-8)) == BD.g_star(meth, R, 1e-8)


def test_feature_rank_hockey_stick():
    import sympy as sp

    g = sp.Symbol("g", integer=True, nonnegative=True)
    assert TT.hockey_stick_residual(g, 3) == 0
    assert BD.rank(10, 4) == 1001 and BD.rank(6, 4) == 210


def test_shape_lint_flags_the_B_gradient_and_passes_the_A_gradient():
    rows = {r["expr"]: r for r in SH.lint(dict(L=8, d=4, r=2, k1=3, k2=8))}
    assert rows["B_Q^T C1^T p(W) C2"]["conforms"]
    assert not rows["C1^T p(W) A_Q C2"]["conforms"]
    assert not rows["T(d^2, d^2) J_{B_K}"]["conforms"]


def test_chain_bounds_are_monotone_in_eta():
    base = dict(M3=1, MY=1, d=4, L=100, N1=1, M2=1, M1=1, N2=1, beta=1, u=1e-16, n=300, MX=1, s=1, MBV=1, MAV=1,
                MB=1, MA=1)
    lo, hi = BD.chain(dict(base, eta=1e-8)), BD.chain(dict(base, eta=1e-6))
    assert all(hi[k] >= lo[k] for k in ("E_c", "E_q", "E_p1", "E_p2", "E_GA"))
    assert lo["E_GA"] == pytest.approx(100 * 1 * 1 * (lo["E_p1"] + lo["E_p2"]))
