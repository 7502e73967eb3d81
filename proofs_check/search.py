"""The adversarial search engine: random restarts plus local optimisation, budgeted by time and evaluations.

A claim describes its instances by a ``SearchSpace``: ``sample`` draws a ``Candidate`` (discrete choices plus a
free real vector), ``decode`` maps a candidate into an instance that satisfies the claim's hypotheses (by
construction: rescaling into norm balls, clipping into boxes).  The engine maximises the objective (usually
observed/bound) over candidates:

1. exploration: the space's hand-made seeds, then random samples;
2. local search from the elites: Gaussian steps on all coordinates or on one coordinate (coordinate search),
   step size adapted by success (x1.5) or failure (x0.7), restart from a fresh sample when the step collapses.

Candidates are generated in batches from one seeded generator, so a run with a fixed seed and an evaluation
budget gives the same result in one process, in a local process pool (``workers``) or on a Dask cluster.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np


@dataclass
class Candidate:
    discrete: dict
    vector: np.ndarray

    def copy_with(self, vector: np.ndarray) -> "Candidate":
        return Candidate(dict(self.discrete), vector)


@dataclass
class SearchSpace:
    sample: Callable[[np.random.Generator], Candidate]
    decode: Callable[[Candidate], dict]
    seeds: Sequence[Candidate] = ()
    step: float = 0.3


@dataclass
class SearchResult:
    best: dict | None
    best_value: float
    evaluations: int
    seconds: float
    best_candidate: Candidate | None = None
    history: list = field(default_factory=list)  # (evaluation index, best value so far)
    above: list = field(default_factory=list)    # (value, candidate) with value > threshold, smallest first


class _Mapper:
    """Maps an objective over a batch: serially, over a process pool, or over a Dask cluster."""

    def __init__(self, objective, workers: int = 1, scheduler: str | None = None):
        self.objective = objective
        self.pool = None
        self.client = None
        if scheduler:
            try:
                from dask.distributed import Client
            except ImportError as exc:  # pragma: no cover - optional dependency
                raise RuntimeError("--scheduler needs dask[distributed]: pip install 'icl-verify[dask]'") from exc
            self.client = Client(scheduler)
        elif workers > 1:
            from concurrent.futures import ProcessPoolExecutor

            self.pool = ProcessPoolExecutor(max_workers=workers)

    def __call__(self, instances: list[dict]) -> list[float]:
        if self.client is not None:
            futures = self.client.map(_safe_eval, [self.objective] * len(instances), instances, pure=False)
            return self.client.gather(futures)
        if self.pool is not None:
            return list(self.pool.map(_safe_eval, [self.objective] * len(instances), instances))
        return [_safe_eval(self.objective, inst) for inst in instances]

    def close(self):
        if self.pool is not None:
            self.pool.shutdown()
        if self.client is not None:
            self.client.close()


def _safe_eval(objective, instance) -> float:
    try:
        v = float(objective(instance))
    except (ArithmeticError, ValueError, OverflowError, RuntimeError):
        return -math.inf
    return v if not math.isnan(v) else -math.inf


def maximize(objective: Callable[[dict], float], space: SearchSpace, *, budget_s: float = 10.0,
             max_evals: int | None = None, seed: int = 0, batch: int = 8, workers: int = 1,
             scheduler: str | None = None, explore_fraction: float = 0.3, elites: int = 3,
             progress: Callable[[int, float], None] | None = None, threshold: float | None = None,
             size: Callable[[Candidate], float] | None = None, keep: int = 32) -> SearchResult:
    """Maximise ``objective(space.decode(candidate))``; see the module docstring.

    With ``threshold`` and ``size``, the ``keep`` smallest candidates (by ``size``, then by larger value) whose value
    exceeds ``threshold`` are returned in ``above``: the smallest counterexamples found on the way."""
    rng = np.random.default_rng(seed)
    t0 = time.monotonic()
    max_evals = max_evals if max_evals is not None else 10**9
    mapper = _Mapper(objective, workers, scheduler)
    evals = 0
    scored: list[tuple[float, int, Candidate]] = []  # (value, order, candidate)
    history: list = []
    above: list = []
    best = (-math.inf, None)

    def out_of_budget() -> bool:
        return evals >= max_evals or time.monotonic() - t0 >= budget_s

    def run(cands: list[Candidate]) -> list[float]:
        nonlocal evals, best
        insts = []
        for c in cands:
            try:
                insts.append(space.decode(c))
            except (ValueError, ArithmeticError):
                insts.append(None)
        vals = mapper([i for i in insts if i is not None])
        it = iter(vals)
        out = []
        for c, inst in zip(cands, insts):
            v = next(it) if inst is not None else -math.inf
            evals += 1
            out.append(v)
            scored.append((v, evals, c))
            if threshold is not None and size is not None and v > threshold:
                above.append((size(c), -v, evals, c))
                above.sort(key=lambda t: t[:3])
                del above[keep:]
            if v > best[0]:
                best = (v, c)
                history.append((evals, v))
        if progress:
            progress(evals, best[0])
        return out

    try:
        pending = list(space.seeds)
        n_explore = max(batch, int(explore_fraction * max_evals)) if max_evals < 10**9 else None
        explore_deadline = t0 + explore_fraction * budget_s
        while not out_of_budget():
            if n_explore is not None and evals >= n_explore and not pending:
                break
            if n_explore is None and time.monotonic() >= explore_deadline and not pending:
                break
            cands = pending[:batch]
            pending = pending[batch:]
            while len(cands) < batch:
                cands.append(space.sample(rng))
            run(cands[: max(1, min(batch, max_evals - evals))])
        # local search from the elites
        scored.sort(key=lambda s: (-s[0], s[1]))
        parents = [c for v, _, c in scored[:elites] if v > -math.inf] or [space.sample(rng)]
        steps = [space.step] * len(parents)
        values = [v for v, _, _ in scored[: len(parents)]] if scored else [-math.inf]
        turn = 0
        while not out_of_budget():
            i = turn % len(parents)
            turn += 1
            parent, sigma = parents[i], steps[i]
            kids = []
            for _ in range(min(batch, max_evals - evals)):
                v = parent.vector.copy()
                if v.size == 0:
                    kids.append(space.sample(rng))
                    continue
                if rng.random() < 0.5:
                    k = rng.integers(v.size)
                    v[k] += sigma * rng.standard_normal()
                else:
                    v += sigma * rng.standard_normal(v.size)
                kids.append(parent.copy_with(v))
            vals = run(kids)
            j = int(np.argmax(vals))
            if vals[j] > values[i]:
                parents[i], values[i] = kids[j], vals[j]
                steps[i] = sigma * 1.5
            else:
                steps[i] = sigma * 0.7
            if steps[i] < 1e-7 * max(1.0, space.step):
                parents[i] = space.sample(rng)
                values[i] = run([parents[i]])[0]
                steps[i] = space.step
    finally:
        mapper.close()
    value, cand = best
    return SearchResult(space.decode(cand) if cand is not None else None, value, evals,
                        time.monotonic() - t0, cand, history, [(-nv, c) for _, nv, _, c in above])
