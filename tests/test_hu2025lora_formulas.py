"""Hu et al. (LoRA): the paper's displays against float64 autograd and at 30 digits."""
import mpmath
import numpy as np
import pytest
import torch

from numeric.hu2025lora import checks as CK
from numeric.hu2025lora import exact as EX
from numeric.hu2025lora import hardness as HD
from numeric.hu2025lora import instances as INS
from symbolic.hu2025lora import objects as P
from symbolic.hu2025lora import tensor_trick as TT


@pytest.fixture(scope="module")
def inst():
    return INS.partial_instance(8, 4, 2, seed=5)


@pytest.fixture(scope="module")
def raw():
    return INS.raw_instance(8, 4, 2, seed=5)


def test_lemma3_1_matches_autograd(inst):
    assert CK.lemma3_1(inst)["observed"] < 1e-10


def test_lemma3_2_A_only_under_the_proofs_reading(inst):
    res = CK.lemma3_2_A(inst)
    assert res["readings"][CK.PRIMARY] < 1e-10
    others = [v for k, v in res["readings"].items() if k != CK.PRIMARY and not isinstance(v, str)]
    assert others and min(others) > 1e-3


def test_lemma3_2_B_does_not_conform_and_ours_matches(inst):
    assert all(isinstance(v, str) for v in CK.lemma3_2_B(inst)["readings"].values())
    assert CK.lemma3_2_B_ours(inst)["observed"] < 1e-10


def test_matrix_forms_of_C5_C6_fail_and_ours_hold(inst):
    assert CK.C5_p1(inst)["observed"] > 1e-3
    assert CK.C6_p2(inst)["observed"] > 1e-3       # every reading
    assert CK.C5_p1_ours(inst)["observed"] < 1e-12
    assert CK.C6_p2_ours(inst)["observed"] < 1e-12
    assert CK.def3_6(inst)["observed"] < 1e-10


def test_lemma_C1_fails_and_row_major_jacobians_hold(inst):
    assert CK.lemmaC_1(inst)["observed"] > 1e-3
    assert CK.lemmaC_1_ours(inst)["observed"] < 1e-10


def test_eq2_1_is_half_of_L0_and_ours_is_exact(raw):
    res = CK.eq2_1(raw)
    assert res["details"]["ratio_21_to_L0"] == pytest.approx(0.5, rel=1e-12)
    assert CK.eq2_1_ours(dict(raw, beta=0.7))["observed"] < 1e-12


def test_eq3_2_drops_Wbar_and_ours_keeps_it(raw):
    assert CK.eq3_2(raw)["observed"] > 1e-3
    assert CK.eq3_2_ours(raw)["observed"] < 1e-12
    assert CK.eq3_3(raw)["observed"] < 1e-12


def test_full_adaptation_formulas(raw):
    assert CK.lemmaD_1(raw)["observed"] < 1e-10
    assert CK.lemmaD_4_A_Q(raw)["observed"] < 1e-10
    assert CK.lemmaD_4_A_K(raw)["observed"] > 1e-3
    assert CK.lemmaD_4_ours(raw)["observed"] < 1e-10
    assert CK.lemmaD_3_ours(raw)["observed"] < 1e-10
    assert CK.V_path_ours(raw)["observed"] < 1e-10
    assert CK.fQ_equals_fK(raw)["observed"] < 1e-12


@pytest.mark.parametrize("beta", [1.0, 0.25])
def test_row_blocked_exact_gradient_matches_full_autograd(beta):
    inst = INS.partial_instance(300, 4, 2, seed=2, beta=beta)
    a = INS.arrays(inst)
    ref = EX.torch_partial(a, beta)
    blk = EX.exact_grad_partial(*(a[k] for k in INS.PARTIAL_KEYS), beta=beta, blk=37, keep=True)
    assert np.abs(blk["gA"] - ref["dA"]).max() <= 1e-12 * max(1, np.abs(ref["dA"]).max())
    assert np.abs(blk["gB"] - ref["dB"]).max() <= 1e-12 * max(1, np.abs(ref["dB"]).max())
    assert np.abs(blk["dS"] - ref["dS"]).max() <= 1e-14


def test_high_precision_gradient_agrees_with_finite_differences_and_autograd():
    inst = INS.partial_instance(3, 3, 1, seed=4)
    with mpmath.workdps(30):
        m = EX.mp_partial(INS.arrays(inst, 30), mpmath.mpf(1), 30)
    assert m["fd_max_diff"] < mpmath.mpf(10) ** -15
    ref = EX.torch_partial(INS.arrays(inst))
    assert np.abs(np.array(m["dA"], dtype=float) - ref["dA"]).max() < 1e-15


def test_violation_survives_high_precision():
    inst = INS.partial_instance(2, 2, 1, seed=0)
    with mpmath.workdps(30):
        res = CK.C5_p1(inst, 30)
    assert res["observed"] > mpmath.mpf("1e-3")


def test_theorem4_1_reduction_is_exact():
    res = HD.reduction_check(HD.reduction_instance(64, 6, 8, 3.0, 0.5, seed=1))
    assert res["observed"] <= 1e-12 and res["details"]["bookkeeping_ok"]
    rx = HD.reduction_instance(16, 3, 5, 2.0, None, seed=2)
    assert HD.reduction_check(rx)["observed"] <= 1e-12


def test_non_conforming_products_raise():
    with pytest.raises(TT.NonConforming):
        P.grad_B_36(np.ones((5, 4)), np.ones((5, 5)), np.ones((2, 4)), np.ones((5, 4)))
    torch.manual_seed(0)
