"""R^2 at one position, pooled across prompts and per prompt, with percentile-bootstrap confidence intervals
over prompts (ours: the paper reports 'the mean R-squared value for all 6400 samples' without saying over what
R^2 is computed, spec 8.1).

* pooled:     1 - sum_{p,q} (yhat - y)^2 / sum_{p,q} (y - ybar)^2, ybar the grand mean at that position;
* per prompt: mean_p [1 - sum_q (yhat - y)^2 / sum_q (y - ybar_p)^2], ybar_p the prompt's own mean over its Q
              held-out queries (needs Q >= 2); prompts with constant labels have no R^2 and are left out (counted).
A bootstrap draw resamples prompts with replacement and recomputes the statistic (B draws, 2.5/97.5 percentiles).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Estimate:
    value: float
    lo: float
    hi: float

    def as_list(self) -> list[float]:
        return [self.value, self.lo, self.hi]


def _as2d(a) -> np.ndarray:
    a = np.asarray(a, dtype=np.float64)
    return a[:, None] if a.ndim == 1 else a


def pooled_r2(yhat, y) -> float:
    yhat, y = _as2d(yhat), _as2d(y)
    return float(1 - ((yhat - y) ** 2).sum() / ((y - y.mean()) ** 2).sum())


DEGENERATE = 1e-10  # ours: a prompt whose labels vary less than this (relative to the average prompt) has no R^2


def per_prompt_r2(yhat, y) -> np.ndarray:
    """(P,) R^2 of each prompt over its Q queries (y of shape (P, Q), Q >= 2); NaN where the prompt's labels are
    (numerically) constant, sum_q (y - ybar_p)^2 <= DEGENERATE * mean_p of that sum: R^2 is undefined there."""
    yhat, y = _as2d(yhat), _as2d(y)
    if y.shape[1] < 2:
        raise ValueError("per-prompt R^2 needs at least two queries per prompt")
    sst = ((y - y.mean(1, keepdims=True)) ** 2).sum(1)
    ok = sst > DEGENERATE * max(float(sst.mean()), 1e-300)
    out = np.full(sst.shape, np.nan)
    out[ok] = 1 - ((yhat[ok] - y[ok]) ** 2).sum(1) / sst[ok]
    return out


def _counts(P: int, B: int, rng: np.random.Generator) -> np.ndarray:
    return rng.multinomial(P, np.full(P, 1.0 / P), size=B).astype(np.float64)


def bootstrap_pooled(yhat, y, B: int = 1000, seed: int = 0) -> Estimate:
    """Pooled R^2 and its bootstrap CI; resampling prompts is done with per-prompt sums (vectorised)."""
    yhat, y = _as2d(yhat), _as2d(y)
    P, Q = y.shape
    sse, sy, syy = ((yhat - y) ** 2).sum(1), y.sum(1), (y**2).sum(1)
    c = _counts(P, B, np.random.default_rng(seed))
    N = c.sum(1) * Q
    sst = c @ syy - (c @ sy) ** 2 / N
    draws = 1 - (c @ sse) / sst
    lo, hi = np.percentile(draws, [2.5, 97.5])
    return Estimate(pooled_r2(yhat, y), float(lo), float(hi))


def bootstrap_mean(values, B: int = 1000, seed: int = 0) -> Estimate:
    """Mean of per-prompt values and its bootstrap CI; NaN entries (undefined R^2) are left out."""
    v = np.asarray(values, dtype=np.float64)
    ok = np.isfinite(v)
    if not ok.any():
        return Estimate(float("nan"), float("nan"), float("nan"))
    c = _counts(v.size, B, np.random.default_rng(seed))
    with np.errstate(invalid="ignore", divide="ignore"):
        draws = (c @ np.where(ok, v, 0.0)) / (c @ ok.astype(np.float64))
    lo, hi = np.nanpercentile(draws, [2.5, 97.5])
    return Estimate(float(v[ok].mean()), float(lo), float(hi))


def r2_summary(yhat, y, B: int = 1000, seed: int = 0) -> dict:
    """{'pooled': [value, lo, hi], 'per_prompt': [...], 'per_prompt_median': m} for (P, Q) arrays."""
    out = {"pooled": bootstrap_pooled(yhat, y, B, seed).as_list()}
    if _as2d(y).shape[1] >= 2:
        r = per_prompt_r2(yhat, y)
        out["per_prompt"] = bootstrap_mean(r, B, seed + 1).as_list()
        out["per_prompt_median"] = float(np.nanmedian(r)) if np.isfinite(r).any() else float("nan")
        out["per_prompt_undefined"] = int((~np.isfinite(r)).sum())
    return out
