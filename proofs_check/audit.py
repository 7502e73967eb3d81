"""Running audits: one claim (generic adversarial search + high-precision confirmation) or a whole paper
(budget shared between claims, partial results written as it goes, ``--resume`` to continue)."""
from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

import mpmath

from .claims import AuditResult, Claim, Outcome
from .search import maximize
from .witness import save_witness, write_json_atomic


@dataclass
class AuditContext:
    """What an audit may spend and where it writes.  ``options``: the paper's validated configuration."""

    paper: str
    budget_s: float = 60.0
    max_evals: int | None = None
    seed: int = 0
    precision: int = 50
    out_dir: Path = Path("runs/audit")
    workers: int = 1
    scheduler: str | None = None
    options: dict = field(default_factory=dict)
    progress: Callable[[str], None] | None = None

    def share(self, budget_s: float) -> "AuditContext":
        return replace(self, budget_s=budget_s)


class ClaimObjective:
    """Picklable objective: observed/bound of a registered claim in float64 (for process pools and Dask)."""

    def __init__(self, claim_id: str):
        self.claim_id = claim_id

    def __call__(self, instance: dict) -> float:
        from .registry import get_claim

        return get_claim(self.claim_id).evaluate(instance, dps=None).ratio


def _fmt(x) -> str:
    if isinstance(x, mpmath.mpf):
        return mpmath.nstr(x, 6)
    if isinstance(x, float):
        return f"{x:.4g}"
    return str(x)


def search_audit(claim: Claim, ctx: AuditContext) -> AuditResult:
    """Search the hypotheses for max observed/bound and confirm at ``ctx.precision`` digits.

    The budget covers everything: building the search space, the search, and the confirmation (a reserve of
    ~15% is kept for it).  Among the instances whose float64 ratio exceeds 1, the smallest (``claim.size``) that
    the high-precision evaluation confirms becomes the witness; otherwise the worst instance is confirmed."""
    t0 = time.monotonic()
    blocked = [h for h in claim.applicability(ctx) if not h.holds]
    if blocked:
        return claim.result(Outcome.NOT_APPLICABLE, hypotheses=blocked, method="hypothesis check",
                            seconds=time.monotonic() - t0,
                            summary=f"hypothesis '{blocked[0].name}' fails: {blocked[0].detail}")
    space = claim.search_space(ctx)
    reserve = max(1.0, 0.15 * ctx.budget_s)
    left = max(0.5, ctx.budget_s - (time.monotonic() - t0) - reserve)
    objective = ClaimObjective(claim.id) if (ctx.workers > 1 or ctx.scheduler) else (
        lambda inst: claim.evaluate(inst, dps=None).ratio)
    size = (lambda cand: claim.size(space.decode(cand))) if hasattr(claim, "size") else None
    res = maximize(objective, space, budget_s=left, max_evals=ctx.max_evals, seed=ctx.seed,
                   workers=ctx.workers, scheduler=ctx.scheduler, threshold=1.0 if size else None, size=size)
    if res.best is None or res.best_value == -math.inf:
        return claim.result(Outcome.INCONCLUSIVE, evaluations=res.evaluations, seconds=time.monotonic() - t0,
                            method="adversarial search", summary="no admissible instance could be evaluated")
    candidates = [space.decode(c) for _, c in res.above[:3]] + [res.best]
    chosen, ev, checks = None, None, None
    with mpmath.workdps(ctx.precision):
        for inst in candidates:
            checks = claim.check_hypotheses(inst)
            if not all(c.holds for c in checks):
                bad = next(c for c in checks if not c.holds)
                return claim.result(Outcome.INCONCLUSIVE, hypotheses=checks, evaluations=res.evaluations,
                                    seconds=time.monotonic() - t0, method="adversarial search",
                                    summary=f"search left the hypotheses ({bad.name}: {bad.detail}); search space bug")
            ev = claim.evaluate(inst, dps=ctx.precision)
            chosen = inst
            if ev.violates() or time.monotonic() - t0 > ctx.budget_s:
                break
        violated = ev.violates()
    common = dict(bound=ev.bound, observed=ev.observed, ratio=ev.ratio, hypotheses=checks,
                  evaluations=res.evaluations, method=f"adversarial search ({res.evaluations} instances) + "
                                                      f"{ctx.precision}-digit confirmation",
                  details={**ev.details, "float64_worst_ratio": res.best_value, "search_seconds": res.seconds,
                           "history": res.history[-10:]})
    if violated:
        if size:
            common["details"]["witness_size"] = claim.size(chosen)
        path = save_witness(claim, chosen, checks, ev, ctx.precision, ctx.out_dir)
        r = claim.result(Outcome.VIOLATED, witness=str(path), seconds=time.monotonic() - t0,
                         summary=f"counterexample: observed {_fmt(ev.observed)} > bound {_fmt(ev.bound)} "
                                 f"(ratio {ev.ratio:.4g}), confirmed at {ctx.precision} digits", **common)
        r.details["explanation"] = claim.explain(chosen, ev) if hasattr(claim, "explain") else r.summary
        return r
    note = ""
    if res.best_value > 1:
        note = f"; float64 flagged ratio {res.best_value:.4g} but the {ctx.precision}-digit evaluation does not"
    return claim.result(Outcome.VERIFIED, seconds=time.monotonic() - t0,
                        summary=f"searched {res.evaluations} instances in {res.seconds:.1f}s, nothing found: "
                                f"worst observed/bound = {ev.ratio:.4g}{note}", **common)


def run_audit(paper: str, claims: list[Claim], ctx: AuditContext, resume: bool = False,
              on_result: Callable[[AuditResult], None] | None = None) -> list[AuditResult]:
    """Audit every claim, sharing ``ctx.budget_s`` by ``budget_weight``; results are written to
    ``ctx.out_dir/audit.partial.json`` after each claim, and read back with ``resume``."""
    partial_path = Path(ctx.out_dir) / "audit.partial.json"
    done: dict[str, AuditResult] = {}
    if resume and partial_path.exists():
        data = json.loads(partial_path.read_text())
        done = {d["claim_id"]: AuditResult.from_dict(d) for d in data.get("claims", [])}
    results: list[AuditResult] = []
    t_start = time.monotonic()
    todo = [c for c in claims if c.id not in done]
    weight_left = sum(c.budget_weight for c in todo)
    for claim in claims:
        if claim.id in done:
            results.append(done[claim.id])
            if on_result:
                on_result(done[claim.id])
            continue
        left = max(0.0, ctx.budget_s - (time.monotonic() - t_start))
        share = left * claim.budget_weight / weight_left if weight_left > 0 else 0.0
        weight_left -= claim.budget_weight
        try:
            r = claim.audit(ctx.share(max(share, 0.5)))
        except Exception as exc:  # an audit that crashes is reported, never hidden
            r = claim.result(Outcome.INCONCLUSIVE, method="error",
                             summary=f"audit raised {type(exc).__name__}: {exc}")
        results.append(r)
        write_json_atomic(partial_path, {"paper": paper, "claims": [x.to_dict() for x in results]})
        if on_result:
            on_result(r)
    return results
