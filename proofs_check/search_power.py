"""The search-power benchmark: planted errata at graded severity, found by the portfolio and by the previous engine.

An erratum is a registered claim with a planted error: its bound multiplied by ``factor`` times the worst observed/
bound R* of the true claim (so only instances within a fraction 1 - factor of the worst case violate it), a factor of
the bound left out (a missing sqrt(K)), or a hypothesis widened.  Each erratum is searched twice at the same evaluation
budget and seed: by the claim's own portfolio and search space (today's engine) and by the previous engine (random
exploration (random samples only: none of the structured seeds this engine adds) plus local search, on the
claim's ``legacy_search_space`` when it keeps one); the benchmark reports the
fraction of errata found and the median number of evaluations to the first violation.
"""
from __future__ import annotations

import math
import statistics
import time
from dataclasses import dataclass, field, replace
from typing import Callable

import mpmath

from .claims import Claim, Evaluation
from .engine import AuditContext, float_ratios
from .methods import Search, methods_of
from .search import maximize

PREVIOUS = ("explore", "local")
PREVIOUS_SCHEDULE = "phased"


class Planted(Claim):
    """A registered claim with a planted error: ``transform(ev) -> ev`` rewrites each evaluation; ``space(ctx)``
    (optional) replaces the claim's search space (a widened hypothesis); ``ratio(instance, r) -> r'``: the same
    rewrite on a float64 observed/bound, so that a claim with an ``evaluate_batch`` keeps its batched objective."""

    def __init__(self, base: Claim, name: str, transform: Callable[[Evaluation], Evaluation],
                 space: Callable | None = None, ratio: Callable[[dict, float], float] | None = None):
        self.base, self.name, self.transform, self._space = base, name, transform, space
        self.id, self.source, self.statement = base.id, base.source, f"[planted erratum: {name}] {base.statement}"
        self.hypotheses, self.methods, self.narrowing = base.hypotheses, base.methods, base.narrowing
        batch = getattr(base, "evaluate_batch", None)
        self.evaluate_batch = None if batch is None or ratio is None else (
            lambda insts: [ratio(i, v) if math.isfinite(v) else v for i, v in zip(insts, batch(insts))])

    def evaluate(self, instance, dps=None):
        return self.transform(self.base.evaluate(instance, dps))

    def search_space(self, ctx):
        return self._space(ctx) if self._space is not None else self.base.search_space(ctx)

    def size(self, instance):
        return self.base.size(instance)


def scale_bound(by) -> Callable[[Evaluation], Evaluation]:
    def t(ev: Evaluation) -> Evaluation:
        f = mpmath.mpf(by) if isinstance(ev.bound, mpmath.mpf) else float(by)
        return Evaluation(ev.observed, ev.bound * f, ev.details, ev.spread)
    return t


@dataclass(frozen=True)
class Erratum:
    """``claim_id``: the true claim; ``kind``: 'scaled' (``factor`` of R*), or a named structural error whose
    ``make(base) -> Planted`` builds it."""

    claim_id: str
    kind: str
    factor: float | None = None
    make: Callable[[Claim], Planted] | None = None

    @property
    def name(self) -> str:
        return f"{self.claim_id} {self.kind}" + (f" x{self.factor:g}" if self.factor is not None else "")


@dataclass
class Outcome:
    erratum: str
    engine: str
    found: bool
    first: int | None
    evaluations: int
    best: float
    seconds: float
    kind: str = "scaled"
    factor: float | None = None
    search: str = ""                 # the search that produced it (the scaled errata of a claim share one)
    confirmed: dict | None = None    # structural errata: the best witness re-evaluated at ``dps`` digits


def _median_first(rs: list) -> float | None:
    firsts = [r.first if r.found else r.evaluations * 2 for r in rs]   # not found: counted as twice the budget
    return statistics.median(firsts) if firsts else None


@dataclass
class PowerReport:
    rows: list = field(default_factory=list)
    references: dict = field(default_factory=dict)

    def groups(self, engine: str) -> dict:
        """{'x0.5': rows, 'x0.9': ..., 'x0.99': ..., 'structural': rows} of one engine."""
        out: dict = {}
        for r in self.rows:
            if r.engine == engine:
                out.setdefault(f"x{r.factor:g}" if r.kind == "scaled" else "structural", []).append(r)
        return out

    def summary(self) -> dict:
        out = {}
        for engine in ("portfolio", "previous"):
            rs = [r for r in self.rows if r.engine == engine]
            seconds = {r.search: r.seconds for r in rs}                     # a shared search counted once
            out[engine] = {"errata": len(rs), "found": sum(r.found for r in rs),
                           "found_fraction": (sum(r.found for r in rs) / len(rs)) if rs else None,
                           "median_evaluations_to_first": _median_first(rs),
                           "seconds": sum(seconds.values()), "searches": len(seconds),
                           "by_severity": {g: {"errata": len(v), "found": sum(r.found for r in v),
                                               "found_fraction": sum(r.found for r in v) / len(v),
                                               "median_evaluations_to_first": _median_first(v)}
                                           for g, v in self.groups(engine).items()}}
            at09 = [r for r in rs if r.kind == "scaled" and r.factor == 0.9]
            out[engine]["found_at_0.9"] = f"{sum(r.found for r in at09)}/{len(at09)}"
            out[engine]["all_found_at_0.9"] = bool(at09) and all(r.found for r in at09)
        p, q = out["portfolio"]["median_evaluations_to_first"], out["previous"]["median_evaluations_to_first"]
        out["speedup_median"] = (q / p) if p else None
        pairs = {}
        for r in self.rows:
            pairs.setdefault(r.erratum, {})[r.engine] = r
        both = [(v["portfolio"].first, v["previous"].first) for v in pairs.values()
                if len(v) == 2 and v["portfolio"].found and v["previous"].found]
        out["found_by_both"] = len(both)
        out["median_evaluations_to_first_found_by_both"] = {
            "portfolio": statistics.median([a for a, _ in both]) if both else None,
            "previous": statistics.median([b for _, b in both]) if both else None}
        out["per_erratum_speedup"] = {k: (v["previous"].first or 2 * v["previous"].evaluations) /
                                      (v["portfolio"].first or 2 * v["portfolio"].evaluations)
                                      for k, v in pairs.items() if len(v) == 2}
        out["portfolio_fewer"] = sum(1 for v in out["per_erratum_speedup"].values() if v > 1)
        out["previous_fewer"] = sum(1 for v in out["per_erratum_speedup"].values() if v < 1)
        return out


def _search(claim: Claim, ctx: AuditContext, evaluations: int, portfolio, legacy: bool):
    space_fn = getattr(claim.base if isinstance(claim, Planted) else claim, "legacy_search_space", None) \
        if legacy else None
    space = space_fn(ctx) if space_fn is not None else claim.search_space(ctx)
    if legacy and space_fn is None:
        # the previous engine explored by random samples: no referee seeds (aligned weights, corners, extremes),
        # no gradient; a claim that keeps its old space (legacy_search_space) gets that space instead
        space = replace(space, seeds=(), gradient=None)
    return maximize(lambda insts: float_ratios(claim, insts), space, evaluations=evaluations, seed=ctx.seed,
                    portfolio=portfolio, threshold=1.0, **({"schedule": PREVIOUS_SCHEDULE} if legacy else {}))


def engines(base: Claim):
    """(name, portfolio, on the legacy space) of the two engines compared on ``base``."""
    m = next(m for m in methods_of(base) if isinstance(m, Search))
    return (("portfolio", tuple(m.portfolio), False), ("previous", PREVIOUS, True))


def reference_ratio(base: Claim, ctx: AuditContext, evaluations: int, factor: int = 4) -> float:
    """R*: the worst float64 observed/bound either engine finds with ``factor`` times the budget."""
    best = -math.inf
    for _, portfolio, legacy in engines(base):
        best = max(best, _search(base, ctx, factor * evaluations, portfolio, legacy).best_value)
    return best


def first_above_scaled(history: list, by: float) -> int | None:
    """The evaluation at which a search of the claim with its bound multiplied by ``by`` > 0 first sees
    observed/bound > 1, read off the search of the true claim: a first value above the threshold is a new best, so
    it is in the history, at its evaluation index."""
    for i, v, _ in history:
        if v / by > 1.0:
            return i
    return None


def run(errata: list[Erratum], claims: dict[str, Claim], ctx, evaluations: int,
        share: bool = True, confirm_dps: int | None = 30, reference_factor: int = 4,
        log: Callable[[str], None] | None = None) -> PowerReport:
    """Search every erratum with both engines at ``evaluations`` evaluations.

    ``share``: the scaled errata of one claim share one search per engine, of the true claim: multiplying the bound
    by a constant c > 0 divides every value by c, which leaves every comparison the strategies make (better or
    not, CMA-ES's ranks, the gradient's normalised steps) unchanged, so the planted search visits the same
    candidates in the same order; the first violation at each factor is read off its history
    (``first_above_scaled``; ``share=False`` runs each planted claim, the test compares both).
    ``confirm_dps``: a structural erratum's best witness is re-evaluated at that many digits (the planted claim
    must be false there, not only in float64).  ``ctx``: an ``AuditContext``, or ``claim_id -> AuditContext``
    (each paper's configured options)."""
    rep = PowerReport()
    shared: dict = {}
    context = ctx if callable(ctx) else (lambda cid: ctx)
    for e in errata:
        base = claims[e.claim_id]
        cx = context(e.claim_id)
        t_claim = time.perf_counter()
        if e.kind == "scaled" and e.claim_id not in rep.references:
            rep.references[e.claim_id] = reference_ratio(base, cx, evaluations, reference_factor)
        for engine, portfolio, legacy in engines(base):
            if e.kind == "scaled":
                by = e.factor * rep.references[e.claim_id]
                key = f"{e.claim_id} {engine}" if share else f"{e.name} {engine}"
                if share:
                    if key not in shared:
                        t0 = time.perf_counter()
                        res = _search(base, cx, evaluations, portfolio, legacy)
                        shared[key] = (res, time.perf_counter() - t0)
                    res, secs = shared[key]
                    first = first_above_scaled(res.history, by)
                    rep.rows.append(Outcome(e.name, engine, first is not None, first, res.evaluations,
                                            res.best_value / by, secs, "scaled", e.factor, key))
                    continue
                planted = Planted(base, e.name, scale_bound(by), ratio=lambda inst, r, by=by: r / by)
            else:
                planted, key = e.make(base), f"{e.name} {engine}"
            t0 = time.perf_counter()
            res = _search(planted, cx, evaluations, portfolio, legacy)
            secs = time.perf_counter() - t0
            rep.rows.append(Outcome(e.name, engine, res.first_above is not None, res.first_above, res.evaluations,
                                    res.best_value, secs, e.kind, e.factor, key,
                                    _confirm(planted, res, confirm_dps) if e.kind != "scaled" else None))
        if log is not None:
            got = [r for r in rep.rows if r.erratum == e.name]
            log(f"  {e.name}: " + ", ".join(f"{r.engine} {'found at ' + str(r.first) if r.found else 'not found'}"
                                           for r in got) + f" ({time.perf_counter() - t_claim:.1f}s)")
    return rep


def _confirm(planted: Claim, res, dps: int | None) -> dict | None:
    if dps is None or res.first_above is None or res.best is None:
        return None
    try:
        ev = planted.evaluate(res.best, dps=dps)
        return {"dps": dps, "violates": ev.violates(), "ratio": float(ev.ratio)}
    except Exception as exc:  # noqa: BLE001 - a failed confirmation is reported as such, never as a violation
        return {"dps": dps, "violates": None, "error": f"{type(exc).__name__}: {exc}"[:200]}
