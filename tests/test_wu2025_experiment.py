"""Section 5 / App F pipeline: metrics with known answers, data, causal masks, baselines, a tiny end-to-end run
with resume; the full CPU run is `slow`, the GPU one `gpu`."""
import json
import time
from dataclasses import replace
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from numeric.wu2025.icl_experiment import baselines, metrics
from numeric.wu2025.icl_experiment.config import CPU, GPU, clip_positions, scale_from_args
from numeric.wu2025.icl_experiment.data import sample_inputs, sample_prompts, sample_targets
from numeric.wu2025.icl_experiment.model import ICLTransformer
from proofs_check.experiments.wu2025_icl_run import run_experiment
from symbolic.errors import ConfigError


@pytest.fixture(autouse=True)
def one_thread():
    """These tensors are tiny: on a loaded 2-core machine a second thread only spins (measured 15x slower)."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


# ------------------------------------------------------------------------------------------------ metrics


def test_r2_known_values():
    rng = np.random.default_rng(0)
    y = rng.normal(size=(50, 6))
    assert metrics.pooled_r2(y, y) == 1.0
    assert abs(metrics.pooled_r2(np.full_like(y, y.mean()), y)) < 1e-12
    assert np.allclose(metrics.per_prompt_r2(np.repeat(y.mean(1, keepdims=True), 6, 1), y), 0)
    assert metrics.pooled_r2(np.zeros_like(y) + y.mean() + 1, y) < 0


def test_prompts_with_constant_labels_have_no_per_prompt_r2():
    rng = np.random.default_rng(3)
    y = rng.normal(size=(40, 5))
    y[7] = 0.25                                        # a constant target on this prompt's queries
    yhat = y + 0.1 * rng.normal(size=y.shape)
    r = metrics.per_prompt_r2(yhat, y)
    assert np.isnan(r[7]) and np.isfinite(np.delete(r, 7)).all()
    s = metrics.r2_summary(yhat, y, B=200)
    assert s["per_prompt_undefined"] == 1
    assert abs(s["per_prompt"][0] - np.mean(np.delete(r, 7))) < 1e-12 and s["per_prompt"][1] <= s["per_prompt"][0]


def test_r2_estimates_and_ci_cover_the_population_value():
    rng = np.random.default_rng(1)
    sigma = 0.5                                      # yhat = y + sigma e: population R^2 = 1 - sigma^2
    y = rng.normal(size=(2000, 8))
    est = metrics.bootstrap_pooled(y + sigma * rng.normal(size=y.shape), y, B=500)
    assert abs(est.value - 0.75) < 0.02 and est.lo < 0.75 < est.hi and est.hi - est.lo < 0.05


def test_bootstrap_coverage_is_near_95_percent():
    rng = np.random.default_rng(2)
    hits_pool = hits_mean = 0
    reps = 120
    for r in range(reps):
        y = rng.normal(size=(100, 4))
        e = metrics.bootstrap_pooled(y + 0.5 * rng.normal(size=y.shape), y, B=300, seed=r)
        hits_pool += e.lo <= 0.75 <= e.hi
        m = metrics.bootstrap_mean(rng.normal(0.3, 1.0, size=100), B=300, seed=r)
        hits_mean += m.lo <= 0.3 <= m.hi
    assert 0.85 <= hits_pool / reps <= 0.99 and 0.85 <= hits_mean / reps <= 0.99


# ------------------------------------------------------------------------------------------------ data, model


def test_mixtures_and_standardised_targets():
    gen = torch.Generator().manual_seed(0)
    x = sample_inputs(200, 100, 3, (0.5, 0.5), gen, "cpu")
    assert abs(float(x.mean())) < 0.1 and abs(float((x[..., 0] > 0).float().mean()) - 0.5) < 0.03
    assert abs(float(sample_inputs(50, 100, 3, (1.0, 0.0), gen, "cpu").mean()) + 2) < 0.05
    f = sample_targets(300, 3, 4, 8, gen, "cpu")
    y = f(sample_inputs(300, 400, 3, (1.0, 0.0), gen, "cpu"))
    assert abs(float(y.mean())) < 0.1 and abs(float(y.std(1).mean()) - 1) < 0.15


@pytest.mark.parametrize("kind", ["softmax", "relu"])
@pytest.mark.parametrize("encoding", ["paired", "interleaved"])
def test_predictions_are_causal_and_queries_see_only_k_examples(kind, encoding):
    torch.manual_seed(0)
    m = ICLTransformer(3, 16, 2, 2, 32, kind, 25, encoding).double().eval()
    gen = torch.Generator().manual_seed(1)
    b = sample_prompts(4, 8, 3, 3, 8, (1.0, 0.0), gen, "cpu", queries=3)
    x, y, xq = b.x.double(), b.y.double(), b.xq.double()
    with torch.no_grad():
        p = m.predict_context(x, y)
        q = m.predict_queries(x, y, xq, [0, 2, 5])
        x2, y2 = x.clone(), y.clone()
        x2[:, 6:] += 1.0
        y2[:, 5:] -= 3.0          # y_j (0-based j >= 5), x_j (j >= 6): predictions for j <= 5 must not move
        p2 = m.predict_context(x2, y2)
        q2 = m.predict_queries(x2, y2, xq, [0, 2, 5])
        assert torch.allclose(p[:, :6], p2[:, :6], atol=1e-12) and not torch.allclose(p[:, 6:], p2[:, 6:])
        assert torch.allclose(q, q2, atol=1e-12)
        if encoding == "paired":   # a training-style query is the same computation as a held-out one
            qq = m.predict_queries(x, y, x[:, 4:5], [4])[:, 0, 0]
            assert torch.allclose(qq, p[:, 4], atol=1e-12)


# ------------------------------------------------------------------------------------------------ baselines


def test_trivial_baselines_on_known_data():
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(5, 12, 3, generator=gen)
    a = torch.randn(5, 3, generator=gen)
    y = (x * a[:, None]).sum(-1) + 0.5
    xq = torch.randn(5, 4, 3, generator=gen)
    yq = (xq * a[:, None]).sum(-1) + 0.5
    assert torch.allclose(baselines.ridge(x, y, xq, 12, lam=1e-9), yq, atol=1e-4)
    assert torch.allclose(baselines.context_mean(x, y, xq, 12), y.mean(1, keepdim=True).expand(5, 4))
    nn = baselines.one_nn(x, y, x[:, :4] + 1e-6, 12)
    assert torch.allclose(nn, y[:, :4])
    assert torch.all(baselines.one_nn(x, y, xq, 0) == 0) and torch.all(baselines.ridge(x, y, xq, 0) == 0)


def test_ffn_baseline_trains_every_prompt_independently():
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(6, 20, 2, generator=gen)
    y = torch.tanh(x[..., 0] - x[..., 1])
    xq = torch.randn(6, 8, 2, generator=gen)
    yq = torch.tanh(xq[..., 0] - xq[..., 1])
    r = baselines.ffn(x, y, xq, yq, 20, depth=3, width=32, epochs=150, lr=1e-2)
    assert metrics.pooled_r2(r["last_pred"], yq.numpy()) > 0.8
    assert np.all(r["best_per_prompt"] >= metrics.per_prompt_r2(r["last_pred"], yq.numpy()) - 1e-12)
    # independence: changing prompt 1's data leaves prompt 0's trained network unchanged (same seed, same init)
    y_other = y.clone()
    y_other[1] = -3 * y_other[1] + 1
    ra = baselines.ffn(x[:2], y[:2], xq[:2], yq[:2], 20, depth=3, width=32, epochs=50, lr=1e-2, seed=3)
    rb = baselines.ffn(x[:2], y_other[:2], xq[:2], yq[:2], 20, depth=3, width=32, epochs=50, lr=1e-2, seed=3)
    assert np.array_equal(ra["last_pred"][0], rb["last_pred"][0])
    assert not np.allclose(ra["last_pred"][1], rb["last_pred"][1])


# ------------------------------------------------------------------------------------------------ pipeline


TINY = clip_positions(replace(
    CPU, d=3, target_depths=(3, 4), target_width=8, layers=1, heads=2, width=16, mlp=32, steps=30, batch=16,
    train_points=8, test_points=12, eval_prompts=32, eval_queries=4, eval_positions=(0, 1, 2, 4, 8, 12), ffn_width=8,
    ffn_epochs=5, ffn_prompts=16, ffn_positions=(2, 4, 8), depth_sweep=(2,), depth_target=4,
    depth_positions=(2, 4, 6), depth_steps=20, bootstrap=100, checkpoint_every=10))


def test_tiny_pipeline_end_to_end_with_resume(tmp_path):
    out = tmp_path / "exp"
    res = run_experiment(TINY, out, seed=0, budget_s=0.5, studies=False, log=lambda m: None)
    assert res["status"].startswith("partial")
    assert (out / "results.partial.json").exists() and any((out / "checkpoints").glob("*.pt"))
    res = run_experiment(TINY, out, seed=0, resume=True, studies=False, log=lambda m: None)
    assert res["status"] == "complete"
    assert all(m["done"] and m["steps_done"] == m["steps"] for m in res["models"].values())
    data = json.loads((out / "results.json").read_text())
    assert len(data["conditions"]) == 2 * 4 + 2
    c = data["conditions"]["N4_mix1-0_param+0"]
    assert {"softmax_N4_L1", "relu_N4_L1", "softmax_N4_L2", "relu_N4_L2"} <= set(c["transformers"])
    g = c["transformers"]["softmax_N4_L1"]["grid"]
    assert len(g["pooled"]) == len(g["per_prompt"]) == len(TINY.eval_positions)
    assert all(lo <= v <= hi for v, lo, hi in g["pooled"] + g["per_prompt"])
    assert set(c["trivial"]) == {"context_mean", "ridge", "one_nn"} and "ffn" in c
    report = (out / "report.md").read_text()
    assert "pooled" in report and "per prompt" in report and "Fig 7" in report
    from proofs_check.experiments.wu2025_icl_report import verdicts
    from proofs_check.registry import get_claim
    rows = verdicts(data)
    assert all(r["audit_claims"] for r in rows), [r["figure"] for r in rows if not r["audit_claims"]]
    assert all(get_claim(c).source.about == "figure" for r in rows for c in r["audit_claims"])
    assert "`wu2025.fig7.depth`" in report
    assert (out / "fig_icl_relu.png").exists() and (out / "fig_per_prompt.png").exists()


def test_resume_refuses_other_options_and_keeps_the_training_budget(tmp_path):
    out = tmp_path / "exp"
    res = run_experiment(TINY, out, seed=0, budget_s=0.3, train_budget_s=50.0, studies=False, log=lambda m: None)
    assert res["status"].startswith("partial") and res["run_config"]["seed"] == 0
    before = (out / "results.partial.json").read_bytes()
    for scale, seed, what in ((replace(TINY, width=32), 0, "--width"), (TINY, 1, "--seed"),
                              (replace(TINY, steps=31), 0, "--steps")):
        with pytest.raises(ConfigError) as e:
            run_experiment(scale, out, seed=seed, resume=True, train_budget_s=50.0, studies=False, log=lambda m: None)
        assert e.value.param == "--resume" and what in e.value.message
    with pytest.raises(ConfigError) as e:
        run_experiment(TINY, out, seed=0, resume=True, train_budget_s=60.0, studies=False, log=lambda m: None)
    assert "ICL_VERIFY_TRAIN_BUDGET_S" in e.value.message
    assert (out / "results.partial.json").read_bytes() == before        # refusing writes nothing
    logs = []
    res = run_experiment(TINY, out, seed=0, resume=True, train_budget_s=50.0, studies=False, log=logs.append)
    assert res["status"] == "complete"
    spent = sum(m["seconds"] for m in res["models"].values())
    assert spent < 50.0 and not any("1000000000000" in m for m in logs)


def test_cli_options_map_onto_the_scale():
    s = scale_from_args(SimpleNamespace(scale="cpu", dim=4, depth=3, width=32, context=10, steps=50, device=None))
    assert (s.d, s.target_depths, s.width, s.train_points, s.test_points, s.steps) == (4, (3,), 32, 10, 15, 50)
    assert max(s.eval_positions) == 15 and max(s.depth_positions) <= 10
    with pytest.raises(ConfigError):
        scale_from_args(SimpleNamespace(scale="cpu", width=30, dim=None, depth=None, context=None, steps=None,
                                        device=None))
    assert GPU.d == 20 and GPU.layers == 12 and GPU.heads == 8 and GPU.width == 256


@pytest.mark.slow
def test_cpu_experiment_end_to_end(tmp_path):
    from proofs_check.cli import main

    t0 = time.monotonic()
    assert main(["experiment", "wu2025-icl", "--scale", "cpu", "--out", str(tmp_path)]) == 0
    assert time.monotonic() - t0 < 20 * 60
    data = json.loads((tmp_path / "results.json").read_text())
    assert data["status"] == "complete"
    for c in data["conditions"].values():
        for tf in c["transformers"].values():
            assert all(len(e) == 3 for e in tf["grid"]["pooled"] + tf["grid"]["per_prompt"])
    assert (tmp_path / "report.md").exists() and (tmp_path / "fig_softmax_blocks.png").exists()


@pytest.mark.gpu
def test_gpu_experiment_runs_and_resumes(tmp_path, monkeypatch):
    from proofs_check.cli import main

    monkeypatch.setenv("ICL_VERIFY_TIME_BUDGET_S", "60")
    args = ["experiment", "wu2025-icl", "--scale", "gpu", "--steps", "200", "--out", str(tmp_path)]
    assert main(args) == 0
    assert any((tmp_path / "checkpoints").glob("*.pt"))
    monkeypatch.delenv("ICL_VERIFY_TIME_BUDGET_S")
    assert main(args + ["--resume"]) == 0
