"""The adaptive schedule of ``proofs_check.search``: every strategy is a generator that evaluates one batch per
step; a deterministic scheduler interleaves them from the first batch on (the structured seeds share the
exploration's batches with random samples, and the exploiting strategies start from the first elites instead of
waiting for every seed)."""
from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Sequence

import numpy as np

from .search_phased import local_kids, local_update

if TYPE_CHECKING:
    from .search import _Run


def _explore_steps(r: _Run, rng, batch: int, seed_share: float, random_samples: bool = True):
    """Batches of the space's seeds (``seed_share`` of each batch while any remain; all of it without random
    samples) and random samples."""
    pending = list(r.space.seeds)
    per = max(1, int(math.ceil(batch * seed_share))) if random_samples else batch
    while True:
        seeds = pending[:per]
        pending = pending[per:]
        if random_samples:
            # the random samples spread through the batch (the second candidate is one): a batch's first
            # evaluations are not all seeds
            gap = max(2, round(batch / max(1, batch - len(seeds)))) if len(seeds) < batch else batch + 1
            cands, si = [], 0
            for k in range(batch):
                if si < len(seeds) and (k % gap != 1 or len(cands) - si >= batch - len(seeds)):
                    cands.append(seeds[si])
                    si += 1
                else:
                    cands.append(r.space.sample(rng))
        elif not seeds:
            return
        else:
            cands = seeds
        r.run(cands, "explore")
        yield


def _local_steps(r: _Run, rng, batch: int, elites: int = 3):
    """Gaussian steps from the elites (all coordinates or one; the step x1.5 on success, x0.7 on failure; a
    collapsed step restarts from a random sample); a parent is replaced by the run's best when that is better
    than every parent (another strategy found it)."""
    start = r.elites(elites) or [(-math.inf, r.space.sample(rng))]
    parents = [c for _, c in start]
    values = [v for v, _ in start]
    steps = [r.space.step] * len(parents)
    turn = 0
    while True:
        if r.best[1] is not None and r.best[0] > max(values):
            w = int(np.argmin(values))
            parents[w], values[w], steps[w] = r.best[1], r.best[0], r.space.step
        i = turn % len(parents)
        turn += 1
        parent, sigma = parents[i], steps[i]
        kids = local_kids(r, rng, parent, sigma, batch)
        vals = r.run(kids, "local")
        if not vals:
            return
        local_update(r, rng, parents, values, steps, i, kids, vals)
        yield


def _cma_steps(r: _Run, rng, batch: int, patience: int = 12):
    """CMA-ES (``cma`` package) on the continuous vector of one candidate's discrete choices, one generation per
    step; a run that stops (or makes no progress for ``patience`` generations) restarts from the best elite whose
    discrete choices no run has started from yet (the run's best once all have); when another strategy finds a
    better candidate than the run's best, the next run starts from it."""
    import cma

    started: set = set()
    follow = None
    while True:
        c0, follow = follow, None
        for _, c in ([] if c0 is not None else r.elites(12)):
            k = json.dumps(c.discrete, sort_keys=True, default=str)
            if np.asarray(c.vector).size > 1 and k not in started:
                c0 = c
                started.add(k)
                break
        if c0 is None:
            c0 = r.best[1]
        if c0 is None or np.asarray(c0.vector).size <= 1:
            yield from _local_steps(r, rng, batch)
            return
        x0 = np.asarray(c0.vector, float)
        es = cma.CMAEvolutionStrategy(x0, r.space.step, {
            "seed": int(rng.integers(1, 2**31 - 1)), "popsize": max(4, min(batch, 4 + int(3 * math.log(x0.size)))),
            "verbose": -9, "verb_log": 0, "verb_disp": 0, "tolx": 1e-12, "tolfun": 0, "tolflatfitness": 10**6,
            "maxfevals": 10**9})
        best, stale = -math.inf, 0
        while True:
            xs = es.ask()
            vals = r.run([c0.copy_with(np.asarray(x, float)) for x in xs], "cma")
            if len(vals) < len(xs):   # the budget ended inside a generation
                return
            es.tell(xs, [-min(v, 1e300) if v > -math.inf else 1e300 for v in vals])
            top = max(vals)
            best, stale = (top, 0) if top > best else (best, stale + 1)
            yield
            if r.best[0] > best and r.best[1] is not None and np.asarray(r.best[1].vector).size > 1:
                follow = r.best[1]      # another strategy found better: the next run starts there
                break
            if any(math.isinf(v) and v > 0 for v in vals) or stale >= patience or \
                    (es.stop() and "maxfevals" not in es.stop()):
                break


def _gradient_steps(r: _Run, rng, batch: int):
    """Ascent along ``space.gradient`` (normalised steps, x1.2 on success, halved on failure) from the run's best,
    then from the next elites; each gradient call counts as one evaluation."""
    if r.space.gradient is None:
        yield from _local_steps(r, rng, batch)
        return
    tried: set = set()
    while True:
        start = next(((v, c) for v, c in r.elites(12) if c.key() not in tried), None)
        if start is None:
            yield from _local_steps(r, rng, batch)
            return
        val, cur = start
        tried.add(cur.key())
        lr = r.space.step
        while lr >= 1e-9:
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
                return
            if got[0] > val:
                cur, val, lr = nxt, got[0], lr * 1.2
                tried.add(cur.key())
            else:
                lr *= 0.5
            yield


_STEPS_FN = {"local": _local_steps, "cma": _cma_steps, "gradient": _gradient_steps}


def _adaptive(r: _Run, rngs: dict, portfolio: Sequence[str], batch: int, explore_fraction: float,
              seed_share: float, streak: int = 4) -> None:
    """The adaptive schedule.  Shares: exploration ``explore_fraction`` of the budget, or up to half of it while
    structured seeds remain; the other strategies split the rest evenly.  The first batch explores; then the
    strategy furthest below its share runs one step, and a strategy whose step raised the best value runs again
    (at most ``streak`` times in a row, and not beyond 1.5 times its share); while structured seeds remain and the
    exploration is within its share, every other step is an exploration batch (the seeds are the referee's first
    tries, the steps between them refine the best found so far).  Deterministic: nothing depends on the clock."""
    explore = "explore" in portfolio or not portfolio
    rest = [s for s in portfolio if s != "explore"]
    n_seeds = len(r.space.seeds)
    share_x = max(explore_fraction, min(n_seeds, r.planned / 2) / max(1, r.planned)) if explore else \
        min(1.0, (n_seeds + batch) / max(1, r.planned))
    if not rest:
        share_x = 1.0
    shares = {"explore": share_x, **{s: (1 - share_x) / len(rest) for s in rest}}
    gens = {"explore": _explore_steps(r, rngs["explore"], batch, seed_share, random_samples=explore)}
    spent = {s: 0 for s in shares}
    last, run_len = None, 0
    explore_batches = [1]

    def step(s: str) -> bool:
        before, best0 = r.evals, r.best[0]
        if s not in gens:
            gens[s] = _STEPS_FN[s](r, rngs[s], batch)
        try:
            next(gens[s])
        except StopIteration:
            if s == "explore" and not explore:
                shares["explore"] = 0.0          # the seeds are done and random exploration is not in the portfolio
                for t in rest:
                    shares[t] = 1.0 / len(rest)
            else:
                gens.pop(s)                      # a strategy that ended restarts at its next turn
        spent[s] += r.evals - before
        return r.best[0] > best0

    improved = step("explore")
    last = "explore"
    seed_batches = math.ceil(n_seeds / max(1, math.ceil(batch * seed_share) if explore else batch))
    while not r.done():
        total = max(1, r.evals)
        if last != "explore" and rest and explore_batches[0] < seed_batches and shares["explore"] > 0 and \
                spent["explore"] <= shares["explore"] * total:
            s = "explore"                        # while seeds remain, every other step evaluates seeds
            run_len = 0
        elif improved and run_len < streak and last != "explore" and shares.get(last, 0) > 0 and \
                spent[last] <= 1.5 * shares[last] * total:
            s = last
            run_len += 1
        else:
            s = max(shares, key=lambda t: (shares[t] * total - spent[t], -list(shares).index(t)))
            run_len = 0
        before = r.evals
        improved = step(s)
        if s == "explore":
            explore_batches[0] += 1
        last = s
        if r.evals == before and not r.done():
            # a step that evaluated nothing (a generator that ended at once): charge it a batch so that the
            # scheduler moves on
            spent[s] += batch
