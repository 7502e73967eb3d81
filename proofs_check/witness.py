"""Witnesses: JSON files that ``icl-verify replay`` re-checks from scratch in high precision.

A witness holds the claim id, the instance (everything the claim's ``evaluate`` needs), the numbers the engine
observed, and how strong the confirmation was.  ``replay`` rebuilds the claim from the registry, re-checks the
hypotheses, re-evaluates, and compares both the verdict and the stored numbers with the recomputation.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

from fractions import Fraction

import mpmath

from . import __version__
from .claims import Evaluation, HypothesisCheck, Outcome
from .io import write_json_atomic

FORMAT = "icl-verify-witness/2"
REQUIRED = ("format", "claim", "instance", "observed", "bound", "precision_digits", "outcome")


class WitnessError(Exception):
    """The file is not a usable witness (the CLI's exit status 2)."""


def num_str(x) -> str:
    if isinstance(x, mpmath.mpf):
        return mpmath.nstr(x, 40)
    return repr(x) if isinstance(x, float) else str(x)


def _short(x) -> str:
    try:
        return mpmath.nstr(x, 12) if isinstance(x, mpmath.mpf) else f"{float(x):.12g}"
    except (TypeError, ValueError, OverflowError):
        return str(x)


def witness_record(claim, instance: dict, checks: list[HypothesisCheck], ev: Evaluation, dps: int, tier: str,
                   cause: str | None = None) -> dict:
    """The JSON record of a violation (no timestamp: the same audit writes the same file)."""
    return {
        "format": FORMAT,
        "claim": claim.id,
        "source": str(claim.source),
        "statement": claim.statement,
        "outcome": str(Outcome.VIOLATED),
        "tier": tier,
        "cause": cause,
        "instance": instance,
        "hypotheses": [c.__dict__ for c in checks],
        "observed": num_str(ev.observed),
        "bound": num_str(ev.bound),
        "spread": num_str(ev.spread),
        "ratio": ev.ratio if math.isfinite(ev.ratio) else str(ev.ratio),
        "precision_digits": dps,
        "details": ev.details,
        "tool_version": __version__,
    }


def witness_name(claim_id: str, cause: str | None = None) -> str:
    safe = "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in (cause or ""))
    return f"{claim_id}.json" if not cause else f"{claim_id}@{safe}.json"


def save_witness(record: dict, out_dir: Path) -> Path:
    """Write ``out_dir/counterexamples/<claim>[@<cause>].json`` and return its path."""
    path = Path(out_dir) / "counterexamples" / witness_name(record["claim"], record.get("cause"))
    write_json_atomic(path, record)
    return path


def load_witness(path: Path) -> dict:
    """The witness at ``path``; ``WitnessError`` saying what is wrong when it is not one."""
    path = Path(path)
    if not path.exists():
        raise WitnessError(f"no such file: {path}")
    if path.is_dir():
        raise WitnessError(f"{path} is a directory, not a witness file")
    try:
        data = json.loads(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError:
        raise WitnessError(f"{path} is not a text file (not a witness)") from None
    except json.JSONDecodeError as exc:
        raise WitnessError(f"{path} is not JSON ({exc.msg} at line {exc.lineno})") from None
    if not isinstance(data, dict):
        raise WitnessError(f"{path} holds a JSON {type(data).__name__}, not a witness object")
    if data.get("format") != FORMAT:
        hint = " (an audit.json: replay one of its counterexamples/*.json)" if "claims" in data else ""
        raise WitnessError(f"{path} is not an icl-verify witness (format {data.get('format')!r}, want {FORMAT!r}){hint}")
    missing = [k for k in REQUIRED if k not in data]
    if missing:
        raise WitnessError(f"{path}: witness lacks {', '.join(missing)}")
    for key in ("observed", "bound"):
        if isinstance(data[key], bool) or not isinstance(data[key], (str, int, float)):
            raise WitnessError(f"{path}: '{key}' must be a number or a decimal string, got {data[key]!r}"[:300])
    if not isinstance(data["instance"], dict):
        raise WitnessError(f"{path}: 'instance' must be a JSON object")
    try:
        dps = int(data["precision_digits"])
    except (TypeError, ValueError):
        raise WitnessError(f"{path}: precision_digits must be an integer") from None
    if not 15 <= dps <= 10000:
        raise WitnessError(f"{path}: precision_digits must be in [15, 10000], got {dps}")
    if data["outcome"] != str(Outcome.VIOLATED):
        raise WitnessError(f"{path}: a witness records a violation, not {data['outcome']!r}")
    return data


@dataclass
class Replay:
    """What a replay found: the recomputed verdict, whether it reproduces the saved one, and any stored number that
    disagrees with the recomputation."""

    claim_id: str
    saved: str
    outcome: Outcome
    reproduced: bool
    precision: int
    observed: object = None
    bound: object = None
    ratio: float | None = None
    hypotheses: list = field(default_factory=list)
    disagreements: list = field(default_factory=list)
    summary: str = ""


def _tolerance(tier: str | None, dps: int):
    return mpmath.mpf(10) ** (-8) if tier == "statistical" else mpmath.mpf(10) ** (20 - dps)


def _to_mpf(x):
    """An mpf from an mpf, a number, a Fraction or its string 'p/q' (exact claims store rationals)."""
    if isinstance(x, mpmath.mpf):
        return x
    if isinstance(x, Fraction):
        return mpmath.mpf(x.numerator) / x.denominator
    if isinstance(x, str) and "/" in x:
        f = Fraction(x)
        return mpmath.mpf(f.numerator) / f.denominator
    return mpmath.mpf(x)


def _saved(value) -> str:
    """A stored number as ``_short`` prints it (a stored rational p/q too), else its text."""
    try:
        return _short(_to_mpf(str(value)))
    except (ValueError, TypeError, ZeroDivisionError):
        return str(value)[:24]


def _agrees(stored: str, value, tol) -> bool:
    if isinstance(value, float):   # a float64 constant: stored as its repr, compared as the same double
        try:
            return float(stored) == value or (math.isnan(value) and math.isnan(float(stored)))
        except (TypeError, ValueError):
            return False
    try:
        s = _to_mpf(stored)
    except (TypeError, ValueError, ZeroDivisionError):
        return False
    v = _to_mpf(value)
    if mpmath.isinf(s) or mpmath.isinf(v) or mpmath.isnan(s) or mpmath.isnan(v):
        return s == v
    return abs(s - v) <= tol * max(abs(s), abs(v), mpmath.mpf(10) ** -30)


def replay(path: Path, dps: int | None = None, claim=None) -> Replay:
    """Re-check a saved witness: hypotheses, then observed vs bound at ``dps`` digits (default: the file's, >= 50).

    ``claim``: the claim to replay against (default: the registered one of the witness's id)."""
    from symbolic.errors import ConfigError

    from .registry import get_claim

    data = load_witness(path)
    try:
        claim = claim or get_claim(str(data["claim"]))
    except ConfigError:
        raise WitnessError(f"{path}: no registered claim {data['claim']!r} (see `icl-verify claims`)") from None
    saved_dps = int(data["precision_digits"])
    dps = max(50, saved_dps) if dps is None else dps
    inst = data["instance"]
    checks = claim.check_hypotheses(inst)
    broken = [c for c in checks if c.detail.startswith("could not be checked")]
    if broken:
        raise WitnessError(f"{path}: the instance is malformed for {claim.id} ({broken[0].name}: {broken[0].detail})")
    failed = [c for c in checks if not c.holds]
    if failed:
        h = next(x for x in claim.hypotheses if x.name == failed[0].name)
        return Replay(claim.id, data["outcome"], Outcome.NOT_APPLICABLE, False, dps, hypotheses=checks,
                      summary=f"the instance is outside the hypotheses: {h.name} ({h.text}) fails: {failed[0].detail}")
    try:
        with mpmath.workdps(dps):
            ev = claim.evaluate(inst, dps=dps)
            violated, holds = ev.violates(), ev.holds()
    except (KeyError, TypeError, IndexError, AttributeError) as exc:
        raise WitnessError(f"{path}: the instance is malformed for {claim.id} ({type(exc).__name__}: {exc})") from None
    outcome = Outcome.VIOLATED if violated else Outcome.VERIFIED if holds else Outcome.INCONCLUSIVE
    disagreements = []
    if dps == saved_dps:
        tol = _tolerance(data.get("tier"), dps)
        with mpmath.workdps(dps):
            for key, value in (("observed", ev.observed), ("bound", ev.bound)):
                if not _agrees(str(data[key]), value, tol):
                    disagreements.append(f"stored {key} {data[key]} vs recomputed {_short(value)}")
    reproduced = outcome is Outcome.VIOLATED and not disagreements
    summary = (f"observed {_short(ev.observed)} vs bound {_short(ev.bound)} (ratio {ev.ratio:.6g}) at {dps} digits: "
               f"{outcome}; saved: {data['outcome']} (observed {_saved(data['observed'])}, bound {_saved(data['bound'])})")
    if disagreements:
        summary += "; " + "; ".join(disagreements)
    return Replay(claim.id, data["outcome"], outcome, reproduced, dps, ev.observed, ev.bound, ev.ratio, checks,
                  disagreements, summary)
