"""The phased schedule of ``proofs_check.search`` (the engine before the adaptive one, the search-power
benchmark's baseline): every seed, then random samples, then each strategy on its share in turn."""
from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Sequence

import numpy as np

if TYPE_CHECKING:
    from .search import _Run


def _explore(r: _Run, rng, budget: int, batch: int):
    pending = list(r.space.seeds)
    stop = r.evals + budget
    while r.evals < stop and not r.done():
        n = min(batch, stop - r.evals)
        cands = pending[:n]
        pending = pending[n:]
        while len(cands) < n:
            cands.append(r.space.sample(rng))
        r.run(cands, "explore")
    # seeds beyond the exploration share still get evaluated: they are the referee's first tries
    while pending and not r.done():
        r.run(pending[:batch], "explore")
        pending = pending[batch:]


def local_kids(r: _Run, rng, parent, sigma: float, n: int) -> list:
    """``n`` Gaussian steps from ``parent``: on one coordinate or on all (half each); a random sample where the
    parent has no continuous part."""
    kids = []
    for _ in range(n):
        v = np.array(parent.vector, dtype=float, copy=True)
        if v.size == 0:
            kids.append(r.space.sample(rng))
            continue
        if rng.random() < 0.5:
            k = rng.integers(v.size)
            v[k] += sigma * rng.standard_normal()
        else:
            v += sigma * rng.standard_normal(v.size)
        kids.append(parent.copy_with(v))
    return kids


def local_update(r: _Run, rng, parents: list, values: list, steps: list, i: int, kids: list, vals: list) -> None:
    """Parent ``i`` after its kids' values: the best kid replaces it when better (step x1.5), else the step x0.7; a
    collapsed step restarts the parent from a random sample."""
    sigma = steps[i]
    j = int(np.argmax(vals))
    if vals[j] > values[i]:
        parents[i], values[i] = kids[j], vals[j]
        steps[i] = sigma * 1.5
    else:
        steps[i] = sigma * 0.7
    if steps[i] < 1e-7 * max(1.0, r.space.step):
        parents[i] = r.space.sample(rng)
        got = r.run([parents[i]], "local")
        values[i] = got[0] if got else -math.inf
        steps[i] = r.space.step


def _local(r: _Run, rng, budget: int, batch: int, elites: int = 3):
    stop = r.evals + budget
    start = r.elites(elites) or [(-math.inf, r.space.sample(rng))]
    parents = [c for _, c in start]
    values = [v for v, _ in start]
    steps = [r.space.step] * len(parents)
    turn = 0
    while r.evals < stop and not r.done():
        i = turn % len(parents)
        turn += 1
        parent, sigma = parents[i], steps[i]
        kids = local_kids(r, rng, parent, sigma, min(batch, stop - r.evals))
        vals = r.run(kids, "local")
        if not vals:
            break
        local_update(r, rng, parents, values, steps, i, kids, vals)


def _cma(r: _Run, rng, budget: int, batch: int, elites: int = 3):
    """CMA-ES (``cma`` package) on the continuous vector, one run per elite's discrete choices."""
    import cma

    stop = r.evals + budget
    starts = [(v, c) for v, c in r.elites(4 * elites) if np.asarray(c.vector).size > 1]
    seen, picked = set(), []
    for v, c in starts:
        k = json.dumps(c.discrete, sort_keys=True, default=str)
        if k not in seen:
            seen.add(k)
            picked.append(c)
        if len(picked) == elites:
            break
    if not picked:
        return _local(r, rng, budget, batch)
    share = max(batch, (stop - r.evals) // len(picked))
    for idx, c0 in enumerate(picked):
        run_stop = min(stop, r.evals + share) if idx < len(picked) - 1 else stop
        x0 = np.asarray(c0.vector, float)
        es = cma.CMAEvolutionStrategy(x0, r.space.step, {
            "seed": int(rng.integers(1, 2**31 - 1)), "popsize": max(4, min(batch, 4 + int(3 * math.log(x0.size)))),
            "verbose": -9, "verb_log": 0, "verb_disp": 0, "tolx": 1e-12, "tolfun": 0, "tolflatfitness": 10**6,
            "maxfevals": 10**9})
        while r.evals < run_stop and not r.done():
            xs = es.ask()
            xs = xs[: max(1, run_stop - r.evals)]
            vals = r.run([c0.copy_with(np.asarray(x, float)) for x in xs], "cma")
            if len(vals) < es.popsize:  # the budget ended inside a generation: CMA-ES needs a whole one
                break
            es.tell(xs, [-min(v, 1e300) if v > -math.inf else 1e300 for v in vals])
            if any(math.isinf(v) and v > 0 for v in vals):
                break
            if es.stop() and "maxfevals" not in es.stop():
                es = cma.CMAEvolutionStrategy(np.asarray(c0.vector, float), r.space.step, {
                    "seed": int(rng.integers(1, 2**31 - 1)), "popsize": es.popsize, "verbose": -9,
                    "verb_log": 0, "verb_disp": 0, "tolfun": 0, "tolflatfitness": 10**6})


def _gradient(r: _Run, rng, budget: int, batch: int, elites: int = 3):
    """Ascent along ``space.gradient`` (normalised steps, halved on failure) from the elites; each gradient call
    counts as one evaluation."""
    if r.space.gradient is None:
        return _local(r, rng, budget, batch)
    stop = r.evals + budget
    for v0, c in r.elites(elites) or [(-math.inf, r.space.sample(rng))]:
        lr, cur, val = r.space.step, c, v0
        share_stop = min(stop, r.evals + max(2, budget // max(1, elites)))
        while r.evals < share_stop and not r.done():
            try:
                _, g = r.space.gradient(cur)
            except (ValueError, ArithmeticError, RuntimeError):
                break
            r.evals += 1
            g = np.asarray(g, float)
            norm = float(np.linalg.norm(g))
            if not math.isfinite(norm) or norm == 0:
                break
            nxt = cur.copy_with(np.asarray(cur.vector, float) + lr * g / norm)
            got = r.run([nxt], "gradient")
            if not got:
                break
            if got[0] > val:
                cur, val, lr = nxt, got[0], lr * 1.2
            else:
                lr *= 0.5
                if lr < 1e-9:
                    break


_STRATEGY_FN = {"local": _local, "cma": _cma, "gradient": _gradient}


def _phased(r: _Run, rngs: dict, portfolio: Sequence[str], batch: int, explore_fraction: float) -> None:
    """The phased schedule (the engine before the adaptive one): every seed, then random samples up to
    ``explore_fraction`` of the budget, then the other strategies one after the other on even shares."""
    n_explore = max(min(batch, r.planned), int(explore_fraction * r.planned)) if "explore" in portfolio or \
        len(portfolio) == 0 else min(len(r.space.seeds) + batch, r.planned)
    _explore(r, rngs["explore"], n_explore, batch)
    rest = [s for s in portfolio if s != "explore"]
    for i, s in enumerate(rest):
        if r.done():
            break
        share = r.left() // (len(rest) - i)
        if share > 0:
            _STRATEGY_FN[s](r, rngs[s], share, batch)
    while not r.done():  # what the strategies left (e.g. a CMA run that stopped early)
        _explore(r, rngs["explore"], r.left(), batch)
