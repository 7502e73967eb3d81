"""Test conditions of App F and their evaluation: every curve at every position with bootstrap CIs.

A condition is (target depth N, input mixture, target-parameter mean); its test prompts are drawn once (seeded
by the condition) and shared by every model and baseline, so differences between curves are paired.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import torch

from . import baselines
from .config import Scale
from .data import PromptBatch, sample_prompts
from .metrics import bootstrap_mean, bootstrap_pooled, r2_summary


@dataclass(frozen=True)
class Condition:
    depth: int
    mixture: tuple[float, float]
    param_mean: float = 0.0

    @property
    def key(self) -> str:
        return f"N{self.depth}_mix{self.mixture[0]:g}-{self.mixture[1]:g}_param{self.param_mean:+g}"

    def label(self) -> str:
        w1, w2 = self.mixture
        x = "N(-2, I)" if w2 == 0 else f"{w1:g}N(-2, I) + {w2:g}N(2, I)"
        return x + ("" if self.param_mean == 0 else f", params ~ N({self.param_mean:g}, I)")


def test_prompts(scale: Scale, cond: Condition, seed: int, device) -> PromptBatch:
    h = int(hashlib.sha256(f"{cond.key}/{seed}".encode()).hexdigest()[:12], 16)
    gen = torch.Generator(device=device).manual_seed(h)
    return sample_prompts(scale.eval_prompts, scale.test_points, scale.d, cond.depth, scale.target_width,
                          cond.mixture, gen, device, queries=scale.eval_queries, param_mean=cond.param_mean)


def _np(t: torch.Tensor) -> np.ndarray:
    return t.detach().cpu().double().numpy()


@torch.no_grad()
def transformer_predictions(model, b: PromptBatch, ks, chunk: int = 128):
    """(context predictions (P, n), query predictions (P, len(ks), Q))."""
    ctx, qry = [], []
    for i in range(0, b.x.shape[0], chunk):
        sl = slice(i, i + chunk)
        ctx.append(model.predict_context(b.x[sl], b.y[sl]))
        qry.append(model.predict_queries(b.x[sl], b.y[sl], b.xq[sl], ks))
    return torch.cat(ctx), torch.cat(qry)


def context_curve(pred: np.ndarray, y: np.ndarray, B: int, seed: int) -> dict:
    """Pooled R^2 of the prediction of y_{k+1} from k examples, at every k (one query per prompt)."""
    return {"positions": list(range(y.shape[1])),
            "pooled": [bootstrap_pooled(pred[:, k], y[:, k], B, seed + k).as_list() for k in range(y.shape[1])]}


def grid_curve(pred: np.ndarray, yq: np.ndarray, ks, B: int, seed: int) -> dict:
    """Pooled and per-prompt R^2 over the Q held-out queries at every k in ks; pred (P, len(ks), Q)."""
    rows = [r2_summary(pred[:, j], yq, B, seed + j) for j in range(len(ks))]
    return {"positions": list(ks), "pooled": [r["pooled"] for r in rows],
            "per_prompt": [r["per_prompt"] for r in rows], "per_prompt_median": [r["per_prompt_median"] for r in rows],
            "per_prompt_undefined": [r["per_prompt_undefined"] for r in rows]}


def evaluate_transformer(model, b: PromptBatch, scale: Scale, seed: int) -> dict:
    ks = list(scale.eval_positions)
    ctx, qry = transformer_predictions(model, b, ks)
    return {"context": context_curve(_np(ctx), _np(b.y), scale.bootstrap, seed),
            "grid": grid_curve(_np(qry), _np(b.yq), ks, scale.bootstrap, seed)}


def evaluate_trivial(b: PromptBatch, scale: Scale, seed: int) -> dict:
    ks = list(scale.eval_positions)
    out = {}
    for name, fn in baselines.TRIVIAL.items():
        pred = np.stack([_np(fn(b.x, b.y, b.xq, k)) for k in ks], 1)
        out[name] = grid_curve(pred, _np(b.yq), ks, scale.bootstrap, seed)
    return out


def evaluate_ffn(b: PromptBatch, cond: Condition, scale: Scale, seed: int) -> dict:
    """The N-layer network trained on the prompt (App F's baseline) on the first ``ffn_prompts`` prompts."""
    P = min(scale.ffn_prompts, b.x.shape[0])
    x, y, xq, yq = b.x[:P], b.y[:P], b.xq[:P], b.yq[:P]
    ks = [k for k in scale.ffn_positions if k >= 1]
    best, last, best_pool, epochs = [], [], [], []
    yq_np = _np(yq)
    for k in ks:
        r = baselines.ffn(x, y, xq, yq, k, cond.depth, scale.ffn_width, scale.ffn_epochs, scale.ffn_lr, seed + k)
        last.append(r2_summary(r["last_pred"], yq_np, scale.bootstrap, seed + k))
        bp = r2_summary(r["best_pool_pred"], yq_np, scale.bootstrap, seed + k)
        best_pool.append(bp["pooled"])
        best.append(bootstrap_mean(r["best_per_prompt"], scale.bootstrap, seed + k).as_list())
        epochs.append(r["best_pool_epoch"])
    return {"positions": ks, "prompts": P,
            "last": {"pooled": [r["pooled"] for r in last], "per_prompt": [r["per_prompt"] for r in last]},
            "best_epoch_oracle": {"pooled": best_pool, "per_prompt": best, "pooled_best_epoch": epochs}}
