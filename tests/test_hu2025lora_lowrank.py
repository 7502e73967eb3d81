"""Hu et al. (LoRA): polynomial method, feature map, the chain (corrected vs the paper's), slope fitting."""
import numpy as np
import pytest

from numeric.hu2025lora import hardness as HD
from numeric.hu2025lora import instances as INS
from numeric.hu2025lora import lowrank as LR
from numeric.hu2025lora import poly as PL
from numeric.hu2025lora import timing as TM
from symbolic.hu2025lora import bounds as BD


@pytest.mark.parametrize("method", BD.METHODS)
def test_measured_polynomial_error_below_closed_form(method):
    for R, g in ((0.3, 3), (2.0, 9), (6.0, 20)):
        assert PL.measured_rel_error(method, R, g, 30, 200) <= BD.delta_bound(method, R, g)


def test_feature_map_is_exact_and_has_rank_C_g_plus_d():
    rng = np.random.default_rng(0)
    Q, K = rng.uniform(-1, 1, (7, 3)), rng.uniform(-1, 1, (9, 3))
    a = PL.float_coefficients("cheb_trunc", 3.0, 7)
    U, V = PL.feature_map(Q, K, a, 7)
    assert U.shape == (7, BD.rank(7, 3))
    assert np.abs(U @ V.T - np.polyval(a[::-1], Q @ K.T)).max() < 1e-13


@pytest.mark.parametrize("d,k2", [(2, "2d"), (4, "d")])
def test_corrected_chain_within_every_bound(d, k2):
    inst = INS.partial_instance(96, d, 1, seed=3, Gamma=0.7)
    a = INS.arrays(inst)
    ch = LR.chain_partial(a, 1.0, "cheb_trunc", 5, "ours", k2)
    e, b = LR.step_errors(a, ch), LR.bound_values(a, ch)
    assert e["f_rel"] <= b["E_f"] and e["c"] <= b["E_c"] and e["q"] <= b["E_q"]
    assert max(e["p1"], e["p1_row"]) <= b["E_p1"] and e["r"] <= b["E_r"] and max(e["p2"], e["p2_row"]) <= b["E_p2"]
    assert e["GA"] <= b["E_GA"] + b["FP_GA"] and e["GB"] <= b["E_GB"] + b["FP_GB"]


def test_paper_chain_does_not_converge_while_ours_does():
    a = INS.arrays(INS.partial_instance(32, 3, 2, seed=1))
    errs = {}
    for variant in ("paper", "ours"):
        errs[variant] = [LR.step_errors(a, LR.chain_partial(a, 1.0, "cheb_trunc", g, variant))["GA"] for g in (4, 12)]
    assert errs["ours"][1] < 1e-10 < errs["ours"][0] * 1e3
    assert min(errs["paper"]) > 1e-3


def test_full_case_corrected_chain_within_bounds():
    from numeric.hu2025lora.exact import torch_full

    raw = INS.raw_instance(40, 3, 2, seed=8)
    a = INS.arrays(raw)
    ch = LR.chain_full(a, 1.0, 1.0, "cheb_trunc", 8)
    ex, bd = torch_full(a), LR.full_bounds(a, ch)
    for k, bound in bd.items():
        assert np.abs(ch[k] - ex[k]).max() <= bound, k


def test_slope_fit_on_synthetic_timings():
    Ls = [1024, 2048, 4096, 8192, 16384]
    rng = np.random.default_rng(0)
    assert TM.fit_slope(Ls, [3e-9 * L ** 2 for L in Ls]) == pytest.approx(2.0)
    noisy = [1e-5 * L * (1 + 0.05 * rng.standard_normal()) for L in Ls]
    assert abs(TM.fit_slope(*TM.upper_half(Ls, noisy)) - 1.0) < 0.2
    assert TM.upper_half(Ls, Ls)[0] == [4096, 8192, 16384]
    with pytest.raises(ValueError):
        TM.fit_slope([1], [1])


def test_rank_sandwich_and_degree_growth():
    Q, K = HD.attention_instance(128, 4, 1.0, seed=0)
    res = HD.rank_sandwich(Q, K, 1e-6)
    assert res["lower"] <= res["upper"]
    rows = HD.degree_vs_gamma(1024, 4, [0.25, 0.5, 1.0, 2.0])
    assert [r["rank"] for r in rows] == sorted(r["rank"] for r in rows)
    assert rows[0]["rank"] < 1024 < rows[-1]["rank"]


def test_blockwise_exact_gradient_of_step_errors_matches_autograd():
    from numeric.hu2025lora.exact import torch_partial

    inst = INS.partial_instance(70, 3, 2, seed=6, beta=0.5)
    a = INS.arrays(inst)
    e = LR.step_errors(a, LR.chain_partial(a, 0.5, "taylor", 4), 0.5, blk=16, sample_blocks=2)
    ref = torch_partial(a, 0.5)
    assert np.abs(e["exact"]["gA"] - ref["dA"]).max() < 1e-13 and np.abs(e["exact"]["gB"] - ref["dB"]).max() < 1e-13
    assert 0 < e["rows_checked"] <= 32  # two blocks of at most 16 rows


@pytest.mark.parametrize("chunk", [7, 64])
def test_streamed_chain_equals_the_in_memory_chain(chunk):
    a = INS.arrays(INS.partial_instance(50, 3, 2, seed=9))
    ref = LR.chain_partial(a, 1.0, "cheb_interp", 5, "ours", "d")
    st = LR.chain_partial_streamed(a, 1.0, "cheb_interp", 5, chunk=chunk)
    for k in ("GA", "GB", "ct", "rt"):
        assert np.abs(st[k] - ref[k]).max() <= 1e-13 * max(1.0, np.abs(ref[k]).max()), k
