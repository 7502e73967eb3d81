"""Counterexamples as JSON files that ``icl-verify replay`` re-checks from scratch in high precision."""
from __future__ import annotations

import datetime as _dt
import json
import os
import tempfile
from pathlib import Path

import mpmath

from . import __version__
from .claims import AuditResult, Claim, Evaluation, HypothesisCheck, Outcome

FORMAT = "icl-verify-witness/1"


def _str(x) -> str:
    if isinstance(x, mpmath.mpf):
        return mpmath.nstr(x, 40)
    return repr(x) if isinstance(x, float) else str(x)


def _short(x) -> str:
    return mpmath.nstr(x, 12) if isinstance(x, mpmath.mpf) else f"{float(x):.12g}"


def write_json_atomic(path: Path, data) -> None:
    """Write JSON to ``path`` through a temporary file and a rename: never half-written."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(data, f, indent=1, default=_str)
            f.write("\n")
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def save_witness(claim: Claim, instance: dict, checks: list[HypothesisCheck], ev: Evaluation, dps: int,
                 out_dir: Path) -> Path:
    """Write ``out_dir/counterexamples/<claim-id>.json`` and return its path."""
    path = Path(out_dir) / "counterexamples" / f"{claim.id}.json"
    write_json_atomic(path, {
        "format": FORMAT,
        "claim": claim.id,
        "source": str(claim.source),
        "statement": claim.statement,
        "instance": instance,
        "hypotheses": [c.__dict__ for c in checks],
        "observed": _str(ev.observed),
        "bound": _str(ev.bound),
        "ratio": ev.ratio,
        "precision_digits": dps,
        "details": ev.details,
        "tool_version": __version__,
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
    })
    return path


def replay(path: Path, dps: int | None = None) -> AuditResult:
    """Re-check a saved witness: hypotheses, then observed vs bound at ``dps`` (default: the file's, >= 50)."""
    from .registry import get_claim

    data = json.loads(Path(path).read_text())
    if data.get("format") != FORMAT:
        raise ValueError(f"{path}: not an icl-verify witness (format {data.get('format')!r})")
    claim = get_claim(data["claim"])
    dps = max(50, int(data.get("precision_digits", 50))) if dps is None else dps
    checks = claim.check_hypotheses(data["instance"])
    failed = [c for c in checks if not c.holds]
    if failed:
        return claim.result(Outcome.NOT_APPLICABLE, hypotheses=checks, method="replay",
                            summary=f"witness fails hypothesis {failed[0].name}: {failed[0].detail}")
    with mpmath.workdps(dps):
        ev = claim.evaluate(data["instance"], dps=dps)
        outcome = Outcome.VIOLATED if ev.violates() else Outcome.VERIFIED
    return claim.result(outcome, bound=ev.bound, observed=ev.observed, ratio=ev.ratio, method=f"replay at {dps} digits",
                        hypotheses=checks, witness=str(path), details=ev.details,
                        summary=f"observed {_short(ev.observed)} vs bound {_short(ev.bound)} (ratio {ev.ratio:.6g})")
