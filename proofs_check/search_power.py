"""The search-power benchmark: planted errata at graded severity, found by the portfolio and by the previous engine.

An erratum is a registered claim with a planted error: its bound multiplied by ``factor`` times the worst observed/
bound R* of the true claim (so only instances within a fraction 1 - factor of the worst case violate it), a factor of
the bound left out (a missing sqrt(K)), or a hypothesis widened.  Each erratum is searched twice at the same evaluation
budget and seed: by the claim's own portfolio and search space (today's engine) and by the previous engine (random
exploration plus local search, on the claim's ``legacy_search_space`` when it keeps one); the benchmark reports the
fraction of errata found and the median number of evaluations to the first violation.
"""
from __future__ import annotations

import math
import statistics
import time
from dataclasses import dataclass, field
from typing import Callable

import mpmath

from .claims import Claim, Evaluation
from .engine import AuditContext, float_ratios
from .methods import Search, methods_of
from .search import maximize

PREVIOUS = ("explore", "local")


class Planted(Claim):
    """A registered claim with a planted error: ``transform(ev) -> ev`` rewrites each evaluation."""

    def __init__(self, base: Claim, name: str, transform: Callable[[Evaluation], Evaluation],
                 space: Callable | None = None):
        self.base, self.name, self.transform, self._space = base, name, transform, space
        self.id, self.source, self.statement = base.id, base.source, f"[planted erratum: {name}] {base.statement}"
        self.hypotheses, self.methods, self.narrowing = base.hypotheses, base.methods, base.narrowing

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


@dataclass
class PowerReport:
    rows: list = field(default_factory=list)
    references: dict = field(default_factory=dict)

    def summary(self) -> dict:
        out = {}
        for engine in ("portfolio", "previous"):
            rs = [r for r in self.rows if r.engine == engine]
            firsts = [r.first if r.found else r.evaluations * 2 for r in rs]   # not found: counted as twice the budget
            out[engine] = {"errata": len(rs), "found": sum(r.found for r in rs),
                           "found_fraction": (sum(r.found for r in rs) / len(rs)) if rs else None,
                           "median_evaluations_to_first": statistics.median(firsts) if firsts else None,
                           "seconds": sum(r.seconds for r in rs)}
            at09 = [r for r in rs if r.erratum.endswith("x0.9")]
            out[engine]["found_at_0.9"] = f"{sum(r.found for r in at09)}/{len(at09)}"
        p, q = out["portfolio"]["median_evaluations_to_first"], out["previous"]["median_evaluations_to_first"]
        out["speedup_median"] = (q / p) if p else None
        return out


def _search(claim: Claim, ctx: AuditContext, evaluations: int, portfolio, legacy: bool):
    space_fn = getattr(claim.base if isinstance(claim, Planted) else claim, "legacy_search_space", None) \
        if legacy else None
    space = space_fn(ctx) if space_fn is not None else claim.search_space(ctx)
    return maximize(lambda insts: float_ratios(claim, insts), space, evaluations=evaluations, seed=ctx.seed,
                    portfolio=portfolio, threshold=1.0)


def reference_ratio(base: Claim, ctx: AuditContext, evaluations: int) -> float:
    """R*: the worst float64 observed/bound either engine finds with four times the budget."""
    m = next(m for m in methods_of(base) if isinstance(m, Search))
    best = -math.inf
    for portfolio, legacy in ((m.portfolio, False), (PREVIOUS, True)):
        best = max(best, _search(base, ctx, 4 * evaluations, portfolio, legacy).best_value)
    return best


def run(errata: list[Erratum], claims: dict[str, Claim], ctx: AuditContext, evaluations: int) -> PowerReport:
    rep = PowerReport()
    for e in errata:
        base = claims[e.claim_id]
        if e.kind == "scaled":
            if e.claim_id not in rep.references:
                rep.references[e.claim_id] = reference_ratio(base, ctx, evaluations)
            planted = Planted(base, e.name, scale_bound(e.factor * rep.references[e.claim_id]))
        else:
            planted = e.make(base)
        m = next(m for m in methods_of(base) if isinstance(m, Search))
        for engine, portfolio, legacy in (("portfolio", m.portfolio, False), ("previous", PREVIOUS, True)):
            t0 = time.perf_counter()
            res = _search(planted, ctx, evaluations, portfolio, legacy)
            rep.rows.append(Outcome(e.name, engine, res.first_above is not None, res.first_above, res.evaluations,
                                    res.best_value, time.perf_counter() - t0))
    return rep
