"""The adversarial search: a portfolio of strategies sharing a budget counted in evaluations.

A claim describes its instances by a ``SearchSpace``: ``sample`` draws a ``Candidate`` (discrete choices plus a free
real vector), ``decode`` maps a candidate into an instance that satisfies the claim's hypotheses (by construction:
rescaling into norm balls, clipping into boxes).  ``maximize`` maximises a batched objective (usually observed/bound
in float64) over candidates with a portfolio of strategies:

* ``explore``: the space's structured seeds (the referee's first tries) and random samples;
* ``local`` (Gaussian steps on all coordinates or on one, step adapted by success x1.5 / failure x0.7, restart when
  the step collapses), ``cma`` (CMA-ES from the ``cma`` package on one candidate's continuous vector) and
  ``gradient`` (ascent along the space's ``gradient(candidate)``, when it has one).

Two schedules share them.  ``phased`` (the default): every seed (within the budget), random samples up to
30% of it, then the other strategies one after another on even shares, each from the best candidates so far.
``adaptive``: the strategies interleave from the first batch on (``_adaptive``: seeds share exploration batches
with random samples, the others refine the elites found so far, each on its share of the budget).  Measured on
the search-power suite and on the LoRA claims at their audit budgets (``benchmarks/README.md``), the phased
schedule with the same seeds is as good or better: refining early elites commits local search and CMA-ES to the
first basins they meet, so it stays an option, not the default.

Every random choice comes from generators seeded by ``seed``; nothing depends on the clock, so a fixed seed and
evaluation budget give the same result serially, on a local process pool or on a Dask cluster.  Wall time enters
only as a safety cap (``time_cap_s``), and a search stopped by it says so (``stopped_by = 'time cap'``).
"""
from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

from .search_adaptive import _adaptive
from .search_phased import _phased

STRATEGIES = ("explore", "local", "cma", "gradient")


@dataclass
class Candidate:
    discrete: dict
    vector: np.ndarray

    def copy_with(self, vector: np.ndarray) -> "Candidate":
        return Candidate(dict(self.discrete), vector)

    def key(self) -> str:
        return json.dumps(self.discrete, sort_keys=True, default=str) + np.asarray(self.vector, float).tobytes().hex()


@dataclass
class SearchSpace:
    """Where a claim's instances live.  ``decode`` maps EVERY candidate ``sample`` or a strategy can produce (any
    real vector of the candidate's length) into an instance inside the claim's hypotheses: it projects, rescales or
    clips, it does not reject (a ValueError there counts as a failed evaluation).  ``description`` declares the
    space (printed beside the verdict); ``gradient(candidate) -> (value, d value / d vector)`` is optional (torch
    autograd through the decode)."""

    sample: Callable[[np.random.Generator], Candidate]
    decode: Callable[[Candidate], dict]
    seeds: Sequence[Candidate] = ()
    step: float = 0.3
    description: str = ""
    gradient: Callable[[Candidate], tuple[float, np.ndarray]] | None = None


@dataclass
class SearchResult:
    best: dict | None
    best_value: float
    evaluations: int
    planned: int
    seconds: float
    stopped_by: str = "budget"
    failed: int = 0
    history: list = field(default_factory=list)   # (evaluation index, best value so far, strategy)
    top: list = field(default_factory=list)       # (value, instance), best first, distinct
    above: list = field(default_factory=list)     # (size, value, instance) with value > threshold, smallest first
    by_strategy: dict = field(default_factory=dict)  # strategy -> (evaluations, best value)
    first_above: int | None = None                # evaluation index of the first value above the threshold


class Mapper:
    """Maps a batched objective over a list of instances: in this process, over a process pool, or over a Dask
    cluster (``scheduler`` an address, or a ``dask.distributed.Client``).  Chunks are contiguous and results are
    concatenated in order, so every mapper returns the same list."""

    def __init__(self, objective, workers: int = 1, scheduler=None):
        self.objective = objective
        self.workers = max(1, int(workers))
        self.pool = None
        self.client = None
        self._own_client = False
        if scheduler is not None:
            from dask.distributed import Client  # checked by the CLI: a usage error when missing

            if isinstance(scheduler, Client):
                self.client = scheduler
            else:
                self.client = Client(scheduler)
                self._own_client = True
        elif self.workers > 1:
            from concurrent.futures import ProcessPoolExecutor

            self.pool = ProcessPoolExecutor(max_workers=self.workers)

    def _chunks(self, items: list) -> list[list]:
        parts = self.workers if self.pool is not None else max(1, len(items) // 4) if self.client else 1
        parts = max(1, min(parts, len(items)))
        size = math.ceil(len(items) / parts)
        return [items[i:i + size] for i in range(0, len(items), size)]

    def __call__(self, instances: list[dict]) -> list[float]:
        if not instances:
            return []
        if self.client is not None:
            futures = self.client.map(self.objective, self._chunks(instances), pure=False)
            return [v for part in self.client.gather(futures) for v in part]
        if self.pool is not None:
            return [v for part in self.pool.map(self.objective, self._chunks(instances)) for v in part]
        return list(self.objective(instances))

    def close(self):
        if self.pool is not None:
            self.pool.shutdown()
        if self.client is not None and self._own_client:
            self.client.close()


class _Run:
    """Book-keeping of one search: evaluations, the best values, the distinct top and the smallest above the
    threshold, the stopping rule."""

    def __init__(self, space, mapper, planned, threshold, size, keep, time_cap_s, progress):
        self.space, self.mapper, self.planned = space, mapper, planned
        self.threshold, self.size, self.keep = threshold, size, keep
        self.time_cap_s, self.progress = time_cap_s, progress
        self.t0 = time.monotonic()
        self.evals = 0
        self.failed = 0
        self.best = (-math.inf, None)
        self.history: list = []
        self.top: dict = {}        # key -> (value, order, candidate)
        self.above: list = []
        self.by_strategy: dict = {}
        self.stopped_by = "budget"
        self.first_above = None

    def left(self) -> int:
        return self.planned - self.evals

    def done(self) -> bool:
        if self.evals >= self.planned:
            return True
        if self.time_cap_s is not None and time.monotonic() - self.t0 >= self.time_cap_s:
            self.stopped_by = "time cap"
            return True
        return False

    def run(self, cands: list[Candidate], strategy: str) -> list[float]:
        cands = cands[: max(0, self.left())]
        if not cands:
            return []
        insts: list = []
        for c in cands:
            try:
                insts.append(self.space.decode(c))
            except (ValueError, ArithmeticError):
                insts.append(None)
        good = [i for i in insts if i is not None]
        vals = iter(self.mapper(good))
        out = []
        for c, inst in zip(cands, insts):
            v = next(vals) if inst is not None else -math.inf
            v = -math.inf if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)
            self.evals += 1
            if v == -math.inf:
                self.failed += 1
            out.append(v)
            k = c.key()
            if v > -math.inf and (k not in self.top or self.top[k][0] < v):
                self.top[k] = (v, self.evals, c)
                if len(self.top) > 4 * self.keep:
                    for kk, _ in sorted(self.top.items(), key=lambda t: (-t[1][0], t[1][1]))[2 * self.keep:]:
                        del self.top[kk]
            if self.threshold is not None and v > self.threshold:
                if self.first_above is None:
                    self.first_above = self.evals
                s = self.size(c) if self.size else 0
                self.above.append((s, -v, self.evals, c))
                self.above.sort(key=lambda t: t[:3])
                del self.above[self.keep:]
            if v > self.best[0]:
                self.best = (v, c)
                self.history.append((self.evals, v, strategy))
        n, b = self.by_strategy.get(strategy, (0, -math.inf))
        self.by_strategy[strategy] = (n + len(out), max([b] + out))
        if self.progress:
            self.progress(self.evals, self.planned, self.best[0])
        return out

    def elites(self, k: int) -> list[tuple[float, Candidate]]:
        ranked = sorted(self.top.values(), key=lambda t: (-t[0], t[1]))
        return [(v, c) for v, _, c in ranked[:k]]


def maximize(objective: Callable[[list[dict]], list[float]], space: SearchSpace, *, evaluations: int, seed: int = 0,
             batch: int = 16, workers: int = 1, scheduler=None, mapper: Mapper | None = None,
             portfolio: Sequence[str] = ("explore", "local", "cma"), explore_fraction: float = 0.3,
             schedule: str = "phased", seed_share: float = 0.75,
             threshold: float | None = None, size: Callable[[Candidate], float] | None = None, keep: int = 8,
             time_cap_s: float | None = None, progress: Callable[[int, int, float], None] | None = None
             ) -> SearchResult:
    """Maximise ``objective([space.decode(c), ...])`` over candidates with ``evaluations`` evaluations.

    ``threshold`` and ``size``: the ``keep`` smallest candidates (by ``size``, then by larger value) whose value
    exceeds ``threshold`` come back in ``above`` (the smallest counterexamples found on the way).  ``schedule``:
    'adaptive' or 'phased' (module docstring); ``seed_share``: the seeds' share of an adaptive exploration batch."""
    unknown = [s for s in portfolio if s not in STRATEGIES]
    if unknown:
        raise ValueError(f"unknown search strategies {unknown}; known: {STRATEGIES}")
    own = mapper is None
    mapper = mapper or Mapper(objective, workers, scheduler)
    r = _Run(space, mapper, int(evaluations), threshold, size, keep, time_cap_s, progress)
    root = np.random.default_rng(seed)
    rngs = {s: np.random.default_rng(root.integers(2**63)) for s in STRATEGIES}
    try:
        if schedule == "adaptive":
            _adaptive(r, rngs, portfolio, batch, explore_fraction, seed_share)
        elif schedule == "phased":
            _phased(r, rngs, portfolio, batch, explore_fraction)
        else:
            raise ValueError(f"unknown schedule {schedule!r}; known: 'adaptive', 'phased'")
    finally:
        if own:
            mapper.close()
    value, cand = r.best
    top = []
    for v, _, c in sorted(r.top.values(), key=lambda t: (-t[0], t[1]))[: r.keep]:
        top.append((v, space.decode(c)))
    return SearchResult(space.decode(cand) if cand is not None else None, value, r.evals, r.planned,
                        time.monotonic() - r.t0, r.stopped_by, r.failed, r.history, top,
                        [(s, -nv, space.decode(c)) for s, nv, _, c in r.above], r.by_strategy, r.first_above)
