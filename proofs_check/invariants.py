"""Invariants that hold for every registered claim and every audit output (the registry-wide test runs them).

* ``claim_problems(claim, ctx)``: each declared method produces at least one instance, every produced instance is
  inside the claim's hypotheses, and ``evaluate`` succeeds on it in float64 and at 50 digits;
* ``audit_problems(out_dir)``: every ``violated`` row of an ``audit.json`` names a witness file that exists and that
  ``replay`` reproduces, every ``verified`` row carries a tier, no claim ended in a tool error.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import mpmath
import numpy as np

from .claims import Claim, Evaluation
from .engine import AuditContext, json_form
from .methods import Given, Grid, Search, Undecidable, methods_of
from .witness import WitnessError, replay


def produced_instances(claim: Claim, ctx: AuditContext, per_method: int = 2) -> list[tuple[str, dict]]:
    """A few instances of every method: a search's first seeds and a random sample, a grid's first entries."""
    out = []
    for m in methods_of(claim):
        if isinstance(m, Undecidable):
            continue
        if isinstance(m, Search):
            space = getattr(claim, m.producer)(ctx)
            rng = np.random.default_rng(ctx.seed)
            cands = list(space.seeds)[:per_method - 1] + [space.sample(rng)]
            out += [(f"search sample {k}", space.decode(c)) for k, c in enumerate(cands)]
        elif isinstance(m, (Grid, Given)):
            insts = list(m.instances) if isinstance(m, Given) else list(getattr(claim, m.producer)(ctx))
            out += [(f"{m.kind} instance {k}", inst) for k, inst in enumerate(insts[:per_method])]
    return out


def _finite_or_inf(x) -> bool:
    try:
        f = float(x)
    except (TypeError, ValueError, OverflowError):
        return isinstance(x, mpmath.mpf) and not mpmath.isnan(x)
    return not math.isnan(f)


def claim_problems(claim: Claim, ctx: AuditContext, per_method: int = 2) -> list[str]:
    """What breaks the registry's invariants for ``claim`` (empty when none)."""
    probs = []
    ms = methods_of(claim)
    if not ms:
        return [f"{claim.id}: declares no method"]
    if not claim.source.where or not claim.statement:
        probs.append(f"{claim.id}: source or statement missing")
    if claim.source.paper != claim.id.split(".", 1)[0]:
        probs.append(f"{claim.id}: Source.paper {claim.source.paper!r} is not the registry key")
    if all(isinstance(m, Undecidable) for m in ms):
        return probs
    if any(not h.holds for h in claim.applicability(ctx.options or {})):
        return probs
    insts = produced_instances(claim, ctx, per_method)
    if not insts:
        return probs + [f"{claim.id}: its methods produce no instance"]
    evaluated = 0
    for label, inst in insts:
        inst = json_form(inst)
        bad = [c for c in claim.check_hypotheses(inst) if not c.holds]
        if bad:
            probs.append(f"{claim.id}: {label} is outside the hypotheses ({bad[0].name}: {bad[0].detail})")
            continue
        for dps in (None, 50):
            try:
                if dps is None:
                    ev = claim.evaluate(inst, dps=None)
                else:
                    with mpmath.workdps(dps):
                        ev = claim.evaluate(inst, dps=dps)
            except (ArithmeticError, ValueError) as exc:
                if dps is None:   # a float64 overflow on a random sample is tolerated by searches
                    continue
                probs.append(f"{claim.id}: {label} fails at {dps} digits: {type(exc).__name__}: {exc}")
                continue
            if not isinstance(ev, Evaluation) or not (_finite_or_inf(ev.observed) and _finite_or_inf(ev.bound)):
                probs.append(f"{claim.id}: {label} gives no usable evaluation at {dps or 'float64'}: {ev!r}"[:300])
                continue
            evaluated += 1
    if not evaluated and not probs:
        probs.append(f"{claim.id}: no produced instance could be evaluated")
    return probs


def audit_problems(out_dir: Path) -> list[str]:
    """What breaks the invariants of an audit output folder (empty when none)."""
    out_dir = Path(out_dir)
    try:
        data = json.loads((out_dir / "audit.json").read_text())
    except (OSError, json.JSONDecodeError) as exc:
        return [f"{out_dir}: no readable audit.json ({exc})"]
    probs = [f"tool error in {e['claim_id']}: {e['error']}: {e['message']}" for e in data.get("errors", [])]
    for row in data["claims"]:
        cid, outcome = row["claim_id"], row["outcome"]
        if outcome in ("verified", "violated") and not row.get("tier"):
            probs.append(f"{cid}: {outcome} without a tier")
        if outcome != "violated":
            continue
        if not row.get("witness"):
            probs.append(f"{cid}: violated without a witness")
            continue
        for name, rel in {"witness": row["witness"], **row.get("witnesses", {})}.items():
            path = out_dir / rel
            if not path.exists():
                probs.append(f"{cid}: its {name} {rel} does not exist")
                continue
            try:
                rep = replay(path)
            except WitnessError as exc:
                probs.append(f"{cid}: its {name} {rel} is not a witness: {exc}")
                continue
            if not rep.reproduced:
                probs.append(f"{cid}: its {name} {rel} does not replay: {rep.summary}")
    return probs
