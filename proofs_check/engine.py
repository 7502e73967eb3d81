"""The one verdict engine: ``judge(claim, ctx)`` is the only code that builds an ``AuditResult``.

For every claim, whatever its paper, the engine

1. checks the claim's applicability to the configured setting (``not_applicable`` names the failed hypothesis);
2. runs the claim's declared methods (``proofs_check.methods``) with budgets counted in evaluations, never seconds:
   searches through ``proofs_check.search.maximize``, grids instance by instance;
3. checks the hypotheses on every instance it judges (an instance outside them is a bug of the method: a tool
   error, never a verdict), confirms the worst and the smallest violating candidates at ``ctx.precision`` digits on
   the JSON form of the instance (so the saved witness is exactly what was judged);
4. saves the smallest violating instance as the witness (and one more per named cause), runs the claim's declared
   side checks, and builds the typed verdict with its tier, evaluation count, declared space and narrowing.

``run_audit`` judges a list of claims, writes partial results after each (``--resume`` continues only into the same
configuration and code), and records a crashing claim as a tool error with its traceback, never as a verdict.
"""
from __future__ import annotations

import json
import math
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import mpmath
import numpy as np

from .claims import AuditResult, Claim, Evaluation, Outcome, Tier
from .methods import Given, Grid, Search, Undecidable, methods_of
from .search import Candidate, Mapper, maximize
from .witness import save_witness, witness_record

NUMERIC_ERRORS = (ArithmeticError, ValueError, FloatingPointError)
TIER_RANK = {Tier.INSTANCE: 0, Tier.STATISTICAL: 1, Tier.SEARCHED: 2, Tier.EXHAUSTIVE: 3, Tier.CERTIFIED: 4}
DEFAULT_TIME_CAP_S = 1800.0


class ToolError(Exception):
    """A claim's method is broken (an instance outside the hypotheses, nothing evaluable): reported as a tool error
    of the audit, never turned into a verdict."""


@dataclass
class AuditContext:
    """What an audit may spend and where it writes.

    ``budget``: multiplier of every claim's declared evaluation budget (never below a method's floor).
    ``time_cap_s``: per-claim safety cap in seconds (hitting it gives ``inconclusive`` and says so).
    ``options``: the paper's validated configuration.  ``progress(claim_id, done, planned, best)``."""

    paper: str
    out_dir: Path = Path("runs/audit")
    budget: float = 1.0
    seed: int = 0
    precision: int = 50
    workers: int = 1
    scheduler: object = None
    options: dict = field(default_factory=dict)
    time_cap_s: float | None = DEFAULT_TIME_CAP_S
    progress: Callable | None = None
    pool: "WitnessPool | None" = None
    memo: dict | None = None

    @property
    def scale(self) -> float:
        return self.budget


POOL_PER_CLAIM = 6
KEEP_VIOLATORS = 96    # the smallest violators a search keeps (a rarer cause's smallest witness among them)


class WitnessPool:
    """The best instances every claim of an audit evaluated, by ``pool_family``: each claim of a family
    re-evaluates the others' instances (through its ``adopt``) as part of its own budget, so a witness found for one
    claim is tried on every claim whose hypotheses it satisfies."""

    def __init__(self, entries: dict | None = None):
        self.entries: dict[str, list] = {k: [tuple(e) for e in v] for k, v in (entries or {}).items()}

    def add(self, family: str, claim_id: str, value: float, instance: dict) -> None:
        self.entries.setdefault(family, []).append((claim_id, float(value), json_form(instance)))

    def others(self, family: str, claim_id: str) -> list[tuple[str, dict]]:
        return [(cid, inst) for cid, _, inst in self.entries.get(family, []) if cid != claim_id]

    def to_json(self) -> dict:
        return {k: [list(e) for e in v] for k, v in self.entries.items()}


# ------------------------------------------------------------------------------------------------ objectives

def _clean(v) -> float:
    try:
        f = float(v)
    except (TypeError, ValueError, OverflowError):
        return -math.inf
    return -math.inf if math.isnan(f) else f


def float_ratios(claim: Claim, instances: list[dict]) -> list[float]:
    """observed/bound of each instance in float64 (-inf where the float64 evaluation fails numerically)."""
    batch = getattr(claim, "evaluate_batch", None)
    if batch is not None:
        try:
            return [_clean(v) for v in batch(instances)]
        except NUMERIC_ERRORS:
            pass
    out = []
    for inst in instances:
        try:
            out.append(_clean(claim.evaluate(inst, dps=None).ratio))
        except NUMERIC_ERRORS:
            out.append(-math.inf)
    return out


class ClaimObjective:
    """Picklable batched objective of a registered claim (process pools, Dask workers)."""

    def __init__(self, claim_id: str):
        self.claim_id = claim_id

    def __call__(self, instances: list[dict]) -> list[float]:
        from .registry import get_claim

        return float_ratios(get_claim(self.claim_id), instances)


class _LocalObjective:
    def __init__(self, claim: Claim):
        self.claim = claim

    def __call__(self, instances: list[dict]) -> list[float]:
        return float_ratios(self.claim, instances)


# ------------------------------------------------------------------------------------------------ judging

def json_form(instance: dict) -> dict:
    """The instance as JSON gives it back (numpy scalars and arrays as Python numbers and lists)."""
    def default(x):
        if isinstance(x, np.generic):
            return x.item()
        if isinstance(x, np.ndarray):
            return x.tolist()
        if isinstance(x, mpmath.mpf):
            return mpmath.nstr(x, 40)
        return str(x)

    return json.loads(json.dumps(instance, default=default))


@dataclass
class _Judged:
    """A confirmed evaluation; ``violated`` / ``holds`` are decided at the evaluation's own precision."""

    instance: dict
    checks: list
    ev: Evaluation
    method: object
    violated: bool = False
    holds: bool = True


@dataclass
class _Work:
    """What the methods of one claim did: evaluations, planned budget, confirmed evaluations, stopping reasons."""

    evaluations: int = 0
    confirmations: int = 0
    planned: int = 0
    judged: list = field(default_factory=list)
    spaces: list = field(default_factory=list)
    capped: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    undecidable: list = field(default_factory=list)
    details: dict = field(default_factory=dict)
    tiers: list = field(default_factory=list)


def _confirm(claim: Claim, inst: dict, ctx: AuditContext, method, dps: int | None = None) -> _Judged:
    inst = json_form(inst)
    key = ("confirm", claim.id, ctx.precision if dps is None else dps, json.dumps(inst, sort_keys=True))
    if ctx.memo is not None and key in ctx.memo:
        ev, checks, violated, holds = ctx.memo[key]
        return _Judged(inst, checks, ev, method, violated, holds)
    checks = claim.check_hypotheses(inst)
    bad = [c for c in checks if not c.holds]
    if bad:
        raise ToolError(f"{claim.id}: its {method.kind} produced an instance outside the hypotheses "
                        f"({bad[0].name}: {bad[0].detail})")
    dps = ctx.precision if dps is None else dps
    with mpmath.workdps(dps):
        ev = claim.evaluate(inst, dps=dps)
        violated, holds = ev.violates(), ev.holds()
    if violated and _rounding_residue(claim, inst, ev, dps):
        violated, holds = False, True
    if ctx.memo is not None:
        ctx.memo[key] = (ev, checks, violated, holds)
    return _Judged(inst, checks, ev, method, violated, holds)


RESIDUE_EXTRA = 20      # digits added to tell a rounding residue from a violation


def _excess(ev: Evaluation):
    """observed - bound and the scale max(1, |observed|, |bound|) as mpf (None for values that are not numbers)."""
    try:
        o, b = mpmath.mpf(ev.observed), mpmath.mpf(ev.bound)
    except (TypeError, ValueError):
        return None
    if not (mpmath.isfinite(o) and mpmath.isfinite(b)):
        return None                    # an infinite observed (a shape that does not conform) is no residue
    return o - b, max(mpmath.mpf(1), abs(o), abs(b))


def _rounding_residue(claim: Claim, inst: dict, ev: Evaluation, dps: int) -> bool:
    """True when the excess of observed over the bound is a rounding residue of the dps-digit evaluation: below
    10^(-dps/2) of the values' scale (a real violation exceeds the bound by far more: the audits' smallest is 1e-4
    relative) and, evaluated again at dps + RESIDUE_EXTRA digits, shrunk by at least 10^(RESIDUE_EXTRA/2) (recorded
    in the details); then the exact value meets the bound.  An excess that stays is a violation."""
    ex = _excess(ev)
    if ex is None or not 0 < ex[0] <= ex[1] * mpmath.mpf(10) ** (-(dps // 2)):
        return False
    hi = dps + RESIDUE_EXTRA
    with mpmath.workdps(hi):
        ex2 = _excess(claim.evaluate(inst, dps=hi))
    if ex2 is None or ex2[0] > ex[0] * mpmath.mpf(10) ** (-(RESIDUE_EXTRA // 2)):
        return False
    if isinstance(ev.details, dict):
        ev.details["precision_residue"] = {f"excess at {dps} digits": mpmath.nstr(ex[0], 6),
                                           f"excess at {hi} digits": mpmath.nstr(ex2[0], 6)}
    return True


def _left_s(ctx: AuditContext, t0: float) -> float | None:
    return None if ctx.time_cap_s is None else max(0.0, ctx.time_cap_s - (time.monotonic() - t0))


def _pooled(claim: Claim, ctx: AuditContext, work: _Work) -> list[tuple[float, dict]]:
    """The other claims' pooled instances adopted into this claim's space, inside its hypotheses, in float64."""
    family = getattr(claim, "pool_family", None)
    if not family or ctx.pool is None:
        return []
    adopt = getattr(claim, "adopt", None)
    seen, insts, sources = set(), [], []
    for src, inst in ctx.pool.others(family, claim.id):
        try:
            mine = adopt(inst, src) if adopt is not None else inst
        except NUMERIC_ERRORS + (KeyError, TypeError):
            mine = None
        if mine is None:
            continue
        mine = json_form(mine)
        k = json.dumps(mine, sort_keys=True)
        if k in seen or not all(c.holds for c in claim.check_hypotheses(mine)):
            continue
        seen.add(k)
        insts.append(mine)
        sources.append(src)
    if not insts:
        return []
    values = float_ratios(claim, insts)
    work.evaluations += len(insts)
    work.planned += len(insts)
    best = int(np.argmax(values))
    work.details["pool"] = {"re_evaluated": len(insts), "best_ratio": values[best], "best_from": sources[best],
                            "above_1": sum(1 for v in values if v > 1)}
    return list(zip(values, insts))


def _float_causes(claim: Claim, inst: dict) -> list[str]:
    if type(claim).causes is Claim.causes:
        return []
    try:
        ev = claim.evaluate(inst, dps=None)
    except NUMERIC_ERRORS:
        return []
    return list(claim.causes(inst, ev) or [])


def _run_search(claim: Claim, ctx: AuditContext, m: Search, work: _Work, t0: float) -> None:
    space = getattr(claim, m.producer)(ctx)
    planned = m.budget(ctx.scale)
    work.planned += planned
    memo_key = ("search", claim.id, m, ctx.seed, ctx.budget)
    res = ctx.memo.get(memo_key) if ctx.memo is not None else None
    if res is None:
        objective = ClaimObjective(claim.id) if (ctx.workers > 1 or ctx.scheduler is not None) \
            else _LocalObjective(claim)
        has_size = type(claim).size is not Claim.size
        size = (lambda cand: claim.size(space.decode(cand))) if has_size else None
        progress = (lambda done, total, best: ctx.progress(claim.id, done, total, best)) if ctx.progress else None
        mapper = Mapper(objective, ctx.workers, ctx.scheduler)
        try:
            res = maximize(objective, space, evaluations=planned, seed=ctx.seed, batch=m.batch, mapper=mapper,
                           portfolio=m.portfolio, threshold=1.0, size=size, keep=max(KEEP_VIOLATORS, 2 * m.confirm),
                           time_cap_s=_left_s(ctx, t0), progress=progress)
        finally:
            mapper.close()
        if ctx.memo is not None and res.stopped_by == "budget":
            ctx.memo[memo_key] = res
    work.evaluations += res.evaluations
    work.spaces.append(space.description or m.describe())
    work.tiers.append(m.tier)
    work.details.setdefault("search", []).append({
        "space": space.description, "portfolio": list(m.portfolio), "evaluations": res.evaluations,
        "planned": planned, "failed_float64": res.failed, "float64_best_ratio": res.best_value,
        "first_violation_at": res.first_above, "by_strategy": {k: [n, b] for k, (n, b) in res.by_strategy.items()},
        "history": [list(h) for h in res.history[-10:]]})
    if res.stopped_by != "budget":
        work.capped.append(f"{res.evaluations} of {planned} search evaluations")
    if res.stopped_by != "budget" and (res.best is None or res.best_value == -math.inf):
        return   # stopped by the time cap before anything could be judged: inconclusive, not a tool error
    if res.best is None or res.best_value == -math.inf:
        raise ToolError(f"{claim.id}: none of the {res.evaluations} searched instances could be evaluated in float64")
    family = getattr(claim, "pool_family", None)
    if family and ctx.pool is not None and (ctx.memo is None or ("pooled", claim.id) not in ctx.memo):
        for v, inst in res.top[:POOL_PER_CLAIM]:
            ctx.pool.add(family, claim.id, v, inst)
        if ctx.memo is not None:
            ctx.memo[("pooled", claim.id)] = True
    pooled = _pooled(claim, ctx, work)
    # violating candidates, smallest first: the search's and the pool's
    above = [(s_, v, inst) for s_, v, inst in res.above]
    above += [((claim.size(inst) or 0), v, inst) for v, inst in pooled if v > 1]
    above.sort(key=lambda t: (t[0], -t[1]))
    # confirm the smallest violator, the smallest of every further cause, then the best (search or pool)
    order, covered = [], set()
    for k, (_, v, inst) in enumerate(above):
        if len(order) >= m.confirm + 4:
            break
        causes = set(_float_causes(claim, inst))
        if k == 0 or causes - covered:
            order.append(inst)
            covered |= causes
        elif len(order) < m.confirm and not causes:
            order.append(inst)
    best_pool = max(pooled, key=lambda t: t[0]) if pooled else None
    best = res.top[0] if res.top else None
    if best_pool is not None and (best is None or best_pool[0] > best[0]):
        best = best_pool
    if best is not None:
        order.append(best[1])
    seen, confirmed_causes, any_causes = set(), set(), bool(covered)
    for inst in order:
        key = json.dumps(json_form(inst), sort_keys=True)
        if key in seen:
            continue
        seen.add(key)
        j = _confirm(claim, inst, ctx, m)
        work.confirmations += 1
        work.judged.append(j)
        if j.violated:
            confirmed_causes |= set(claim.causes(j.instance, j.ev) or [])
            if not any_causes or covered <= confirmed_causes:
                break
    if max(res.best_value, best_pool[0] if best_pool else -math.inf) > 1 and \
            not any(j.violated for j in work.judged):
        work.notes.append(f"float64 flagged observed/bound {res.best_value:.4g}, the {ctx.precision}-digit "
                          "evaluation does not confirm it")


def _run_grid(claim: Claim, ctx: AuditContext, m, work: _Work, t0: float) -> None:
    insts = list(m.instances) if isinstance(m, Given) else list(getattr(claim, m.producer)(ctx))
    if not insts:
        raise ToolError(f"{claim.id}: its {m.kind} produced no instance")
    work.planned += len(insts)
    work.spaces.append(m.describe())
    work.tiers.append(m.tier)
    if m.precision != "float64":
        for k, inst in enumerate(insts):
            if _left_s(ctx, t0) == 0.0:
                work.capped.append(f"{k} of {len(insts)} grid instances")
                break
            j = _confirm(claim, inst, ctx, m, dps=ctx.precision)
            work.evaluations += 1
            work.judged.append(j)
            if m.stop_at_first and j.violated:
                break
        return
    # screened in float64; a flagged instance is confirmed at high precision (a scan goes on past a false alarm)
    screened, confirmed = [], set()

    def confirm(k, inst):
        if k in confirmed:
            return None
        confirmed.add(k)
        j = _confirm(claim, inst, ctx, m)
        work.confirmations += 1
        work.judged.append(j)
        return j

    for k, inst in enumerate(insts):
        if _left_s(ctx, t0) == 0.0:
            work.capped.append(f"{k} of {len(insts)} grid instances")
            break
        inst = json_form(inst)
        bad = [c for c in claim.check_hypotheses(inst) if not c.holds]
        if bad:
            raise ToolError(f"{claim.id}: grid instance outside the hypotheses ({bad[0].name}: {bad[0].detail})")
        screened.append((float_ratios(claim, [inst])[0], k, inst))
        work.evaluations += 1
        if m.stop_at_first and screened[-1][0] > 1:
            j = confirm(k, inst)
            if j is not None and j.violated:
                break
    if not screened and work.capped:
        return
    if not screened or all(v == -math.inf for v, _, _ in screened):
        raise ToolError(f"{claim.id}: no grid instance could be evaluated in float64")
    if not m.stop_at_first:
        for _, k, inst in [s for s in screened if s[0] > 1][:3]:
            confirm(k, inst)
    v, k, inst = max(screened, key=lambda s: (s[0], -s[1]))
    if m.confirm_worst:
        confirm(k, inst)
    elif k not in confirmed:
        ev = claim.evaluate(inst, dps=None)
        work.judged.append(_Judged(inst, claim.check_hypotheses(inst), ev, m, False, ev.holds()))
        work.notes.append(f"the float64-worst instance (observed/bound {v:.4g}) is not confirmed at high precision "
                          "(declared by the claim: too large for it); every flagged instance is")
    work.details.setdefault("grid", []).append({"instances": len(insts), "screened_float64": len(screened),
                                               "float64_worst_ratio": v})


def _violation_tier(method) -> Tier:
    if getattr(method, "precision", None) == "exact":
        return Tier.EXACT
    if getattr(method, "tier", None) is Tier.STATISTICAL:
        return Tier.STATISTICAL
    return Tier.HIGH_PRECISION


def _fmt(x) -> str:
    if isinstance(x, mpmath.mpf):
        return mpmath.nstr(x, 6)
    try:
        return f"{float(x):.4g}"
    except (TypeError, ValueError, OverflowError):
        return str(x)


def _smallest(claim: Claim, judged: list[_Judged]) -> _Judged:
    def key(j):
        s = claim.size(j.instance)
        r = j.ev.ratio
        return (s if s is not None else 0, -(r if not math.isnan(r) else 0))
    return min(judged, key=key)


def judge(claim: Claim, ctx: AuditContext, methods=None) -> AuditResult:
    """The verdict on ``claim`` (see the module docstring); ``methods`` overrides the claim's own (a report's
    ``Given`` instances)."""
    t0 = time.monotonic()
    src = claim.source
    base = dict(claim_id=claim.id, source=str(src), statement=claim.statement, source_kind=src.kind,
                source_note=src.note, about=src.about, narrowing=list(claim.narrowing))
    blocked = [h for h in claim.applicability(ctx.options or {}) if not h.holds]
    if blocked:
        return AuditResult(outcome=Outcome.NOT_APPLICABLE, hypotheses=blocked, method="hypothesis check",
                           seconds=time.monotonic() - t0,
                           summary=f"hypothesis '{blocked[0].name}' fails: {blocked[0].detail}", **base)
    ms = methods_of(claim) if methods is None else tuple(methods)
    if not ms:
        raise ToolError(f"{claim.id}: declares no method")
    work = _Work()
    for m in ms:
        if isinstance(m, Undecidable):
            work.undecidable.append(m.reason)
        elif isinstance(m, Search):
            _run_search(claim, ctx, m, work, t0)
        elif isinstance(m, (Grid, Given)):
            _run_grid(claim, ctx, m, work, t0)
        else:
            raise ToolError(f"{claim.id}: unknown method {m!r}")
    side = list(claim.side_checks(ctx))
    method_text = " + ".join(m.describe() for m in ms)
    work_done = sorted({str(j.ev.details["work"]) for j in work.judged if j.ev.details.get("work")})
    if work_done:   # the samples / steps inside each evaluation (Monte Carlo, training), as the claim reports them
        method_text += " [" + "; ".join(work_done[:4]) + (" ..." if len(work_done) > 4 else "") + "]"
    common = dict(evaluations=work.evaluations, confirmations=work.confirmations, budget=work.planned,
                  space="; ".join(work.spaces),
                  side_checks=side, method=method_text, **base)
    if not work.judged:
        if work.capped:
            return AuditResult(outcome=Outcome.INCONCLUSIVE, seconds=time.monotonic() - t0, stopped_by="time cap",
                               details=work.details, summary=f"stopped by the time cap ({ctx.time_cap_s:g}s) after "
                                                             f"{', '.join(work.capped)}", **common)
        reason = "; ".join(work.undecidable) or "no instance was judged"
        return AuditResult(outcome=Outcome.INCONCLUSIVE, seconds=time.monotonic() - t0, details=work.details,
                           summary=reason, **common)
    violators = [j for j in work.judged if j.violated]
    refuting = [j for j in violators if getattr(j.method, "may_violate", True)]
    if refuting:
        w = _smallest(claim, refuting)
        tier = _violation_tier(w.method)
        rec = witness_record(claim, w.instance, w.checks, w.ev, ctx.precision, str(tier))
        path = save_witness(rec, ctx.out_dir)
        witnesses = {}
        for cause in claim.causes(w.instance, w.ev) or []:
            witnesses[cause] = str(path.relative_to(ctx.out_dir))
        extra = {}
        for j in refuting:
            for cause in claim.causes(j.instance, j.ev) or []:
                if cause not in witnesses and cause not in extra:
                    extra[cause] = j
        for cause, j in extra.items():
            p = save_witness(witness_record(claim, j.instance, j.checks, j.ev, ctx.precision,
                                            str(_violation_tier(j.method)), cause), ctx.out_dir)
            witnesses[cause] = str(p.relative_to(ctx.out_dir))
        details = {**work.details, **w.ev.details}
        size = claim.size(w.instance)
        if size is not None:
            details["witness_size"] = size
        explanation = claim.explain(w.instance, w.ev)
        summary = (f"counterexample: observed {_fmt(w.ev.observed)} > bound {_fmt(w.ev.bound)} (ratio "
                   f"{w.ev.ratio:.4g}), {'exact' if tier is Tier.EXACT else 'confirmed at ' + str(ctx.precision) + ' digits'}"
                   + (f" (confidence half-width {_fmt(w.ev.spread)})" if tier is Tier.STATISTICAL else ""))
        if explanation:
            details["explanation"] = explanation
        return AuditResult(outcome=Outcome.VIOLATED, tier=tier, bound=w.ev.bound, observed=w.ev.observed,
                           ratio=w.ev.ratio, hypotheses=w.checks, witness=str(path.relative_to(ctx.out_dir)),
                           witnesses=witnesses, seconds=time.monotonic() - t0, details=details,
                           summary=summary, **common)
    worst = max(work.judged, key=lambda j: (j.ev.ratio if not math.isnan(j.ev.ratio) else -math.inf))
    per = {}
    if any(isinstance(m, (Grid, Given)) for m in ms) and len(work.judged) <= 64:
        per = {"per_instance": [{"observed": _fmt(j.ev.observed), "bound": _fmt(j.ev.bound),
                                 "ratio": j.ev.ratio if math.isfinite(j.ev.ratio) else str(j.ev.ratio),
                                 "details": j.ev.details} for j in work.judged]}
    nums = dict(bound=worst.ev.bound, observed=worst.ev.observed, ratio=worst.ev.ratio, hypotheses=worst.checks,
                details={**work.details, **worst.ev.details, "worst_instance": worst.instance, **per})
    seconds = time.monotonic() - t0
    if violators:
        return AuditResult(outcome=Outcome.INCONCLUSIVE, seconds=seconds, summary=(
            f"the evidence goes against the claim (observed {_fmt(violators[0].ev.observed)} > bound "
            f"{_fmt(violators[0].ev.bound)}), but {violators[0].method.describe()} cannot refute it"), **nums, **common)
    if work.capped:
        return AuditResult(outcome=Outcome.INCONCLUSIVE, seconds=seconds, stopped_by="time cap", summary=(
            f"stopped by the time cap ({ctx.time_cap_s:.0f}s) after {', '.join(work.capped)}; worst observed/bound "
            f"so far {worst.ev.ratio:.4g}"), **nums, **common)
    straddling = [j for j in work.judged if not j.holds]
    if straddling:
        j = straddling[0]
        return AuditResult(outcome=Outcome.INCONCLUSIVE, seconds=seconds, summary=(
            f"the interval observed {_fmt(j.ev.observed)} +- {_fmt(j.ev.spread)} straddles the bound "
            f"{_fmt(j.ev.bound)}"), **nums, **common)
    failed_side = [s for s in side if not s.holds]
    if failed_side:
        return AuditResult(outcome=Outcome.INCONCLUSIVE, seconds=seconds, summary=(
            f"side check '{failed_side[0].name}' fails: {failed_side[0].detail}"), **nums, **common)
    if work.undecidable:   # the side computations document the claim; their ratio is no verdict's number
        return AuditResult(outcome=Outcome.INCONCLUSIVE, seconds=seconds, hypotheses=worst.checks,
                           details={**nums["details"], "side_computation_worst_ratio": worst.ev.ratio},
                           summary="; ".join(work.undecidable) + f" (side computations: worst observed/bound "
                                                                 f"{worst.ev.ratio:.4g})", **common)
    tier = max(work.tiers, key=lambda t: TIER_RANK[t])
    how = {Tier.CERTIFIED: "certified", Tier.EXHAUSTIVE: "every case checked", Tier.SEARCHED: "searched",
           Tier.STATISTICAL: "statistical evidence", Tier.INSTANCE: "holds on the given instances"}[tier]
    summary = (f"{how}: {work.evaluations} evaluations ({method_text}) and {work.confirmations} confirmations at "
               f"{ctx.precision} digits, nothing found; worst observed/bound = {worst.ev.ratio:.4g}")
    if work.notes:
        summary += "; " + "; ".join(work.notes)
    return AuditResult(outcome=Outcome.VERIFIED, tier=tier, seconds=seconds, summary=summary, **nums, **common)


# ------------------------------------------------------------------------------------------------ whole audits

@dataclass
class ToolErrorRecord:
    claim_id: str
    error: str
    message: str

    def to_dict(self) -> dict:
        return {"claim_id": self.claim_id, "error": self.error, "message": self.message}


@dataclass
class AuditRun:
    results: list[AuditResult]
    errors: list[ToolErrorRecord]
    resumed: list[str] = field(default_factory=list)


def audit_fingerprint(ctx: AuditContext, claims: list[Claim]) -> dict:
    """Everything a verdict depends on: a partial run resumes only into an identical fingerprint."""
    from .environment import code_version

    options = json.loads(json.dumps(ctx.options or {}, sort_keys=True, default=repr))
    return {"paper": ctx.paper, "claims": [c.id for c in claims], "budget": ctx.budget, "seed": ctx.seed,
            "precision": ctx.precision, "options": options, "code": code_version()}


def fingerprint_differences(old: dict, new: dict) -> list[str]:
    """The keys whose values differ."""
    out = []
    for k in sorted(set(old) | set(new)):
        if old.get(k) != new.get(k):
            out.append(k)
    return out


def _has_pooled_search(claim: Claim) -> bool:
    return bool(getattr(claim, "pool_family", None)) and any(isinstance(m, Search) for m in methods_of(claim))


def run_audit(claims: list[Claim], ctx: AuditContext, resume: bool = False,
              on_result: Callable[[AuditResult | ToolErrorRecord], None] | None = None) -> AuditRun:
    """Judge every claim in order, then once more every verified claim of a witness-pool family that later claims
    added instances to (the second pass re-evaluates those, as part of the claim's budget, and replaces the verdict);
    ``ctx.out_dir/audit.partial.json`` holds the finished claims and the pool after each claim (with the
    configuration's fingerprint), and ``resume`` reuses them when the fingerprint is identical (a
    ``ResumeMismatch`` otherwise).  An exception inside a claim is recorded as a tool error (traceback appended to
    ``ctx.out_dir/errors.log``) and the other claims go on."""
    from .io import write_json_atomic

    out = Path(ctx.out_dir)
    partial_path = out / "audit.partial.json"
    fp = audit_fingerprint(ctx, claims)
    done: dict[str, AuditResult] = {}
    pool = WitnessPool()
    if resume and partial_path.exists():
        data = json.loads(partial_path.read_text())
        diff = fingerprint_differences(data.get("fingerprint", {}), fp)
        if diff:
            raise ResumeMismatch(diff, data.get("fingerprint", {}), fp)
        done = {d["claim_id"]: AuditResult.from_dict(d) for d in data.get("claims", [])}
        pool = WitnessPool(data.get("pool"))
    ctx.pool = pool if ctx.pool is None else ctx.pool
    ctx.memo = {} if ctx.memo is None else ctx.memo
    results: dict[str, AuditResult] = {}
    errors: list[ToolErrorRecord] = []
    resumed = []

    def save():
        write_json_atomic(partial_path, {"fingerprint": fp, "claims": [r.to_dict() for r in results.values()],
                                         "pool": ctx.pool.to_json()})

    def attempt(claim) -> AuditResult | None:
        try:
            return judge(claim, ctx)
        except Exception as exc:  # noqa: BLE001 - a crash is a tool error of the audit, never a verdict
            rec = ToolErrorRecord(claim.id, type(exc).__name__, str(exc).splitlines()[0][:300] if str(exc) else "")
            errors.append(rec)
            out.mkdir(parents=True, exist_ok=True)
            with open(out / "errors.log", "a") as f:
                f.write(f"=== {claim.id}: {type(exc).__name__}\n{traceback.format_exc()}\n")
            if on_result:
                on_result(rec)
            return None

    pool_size_after: dict[str, int] = {}
    for claim in claims:
        if claim.id in done:
            results[claim.id] = done[claim.id]
            resumed.append(claim.id)
            if on_result:
                on_result(done[claim.id])
            continue
        r = attempt(claim)
        fam = getattr(claim, "pool_family", None)
        pool_size_after[claim.id] = len(ctx.pool.entries.get(fam, [])) if fam else 0
        if r is None:
            continue
        results[claim.id] = r
        save()
        if on_result:
            on_result(r)
    # second pass: instances pooled after a claim was judged are part of its budget too
    for claim in claims:
        r = results.get(claim.id)
        if r is None or r.outcome is not Outcome.VERIFIED or not _has_pooled_search(claim):
            continue
        fam = claim.pool_family
        if len(ctx.pool.entries.get(fam, [])) <= pool_size_after.get(claim.id, 0):
            continue
        again = attempt(claim)
        if again is None:
            results.pop(claim.id, None)
            continue
        results[claim.id] = again
        save()
        if again.outcome is not r.outcome and on_result:
            on_result(again)
    ordered = [results[c.id] for c in claims if c.id in results]
    return AuditRun(ordered, errors, resumed)


class ResumeMismatch(Exception):
    """``--resume`` into a configuration other than the partial run's."""

    def __init__(self, keys, old, new):
        self.keys, self.old, self.new = keys, old, new
        parts = [f"{k} {old.get(k)!r} -> {new.get(k)!r}" if k not in ("claims", "options") else k for k in keys]
        super().__init__("the partial results were made with another configuration: " + "; ".join(parts))


def float_objective(claim: Claim) -> Callable[[list[dict]], list[float]]:
    """The batched float64 objective the engine searches with (for benches and tests)."""
    return _LocalObjective(claim)


__all__ = ["AuditContext", "AuditRun", "ClaimObjective", "ResumeMismatch", "ToolError", "judge", "run_audit",
           "float_ratios", "float_objective", "json_form", "Candidate"]
