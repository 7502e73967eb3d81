"""Certificates for the verdict engine (the FINDER side; ``proofs_check.checker`` is the independent checker).

* ``certify_violation(claim, instance, ev, dps) -> (certificate | None, reason)``: a ``violation`` certificate of
  a confirmed witness (the instance in exact rationals, the claim's formula as a straight-line program, the
  observed value and the bound enclosed in Arb balls, every sup-defined constant of the bound with its cover).
* ``certify_claim(claim_id, config=None) -> (certificate | None, reason)``: a certificate of a ``verified`` claim
  over its declared domain (an identity, an enclosure, or a chain of inequalities for our corrected Wu bounds).
* ``write_certificate(cert, out_dir, cause=None) -> Path``: ``out_dir/certificates/<claim>[@cause].json``.
* ``check_all(out_dir)`` / ``bench_check(out_dir)``: the checker's results for an audit folder, and their timing.

Every function returns ``(None, reason)`` rather than raising when a claim cannot be certified; the reason says
why (statistical evidence, an attained bound, a certificate that would be too large, a chain that resists).

Builders per paper: ``planted``; ``wu2025`` (block claims) and ``wu2025_other`` (Lemma 14, the (B.1) norms, the
query gate, Theorem 1 as stated, Theorem 2's proof constant; the identities, Lemma 5, Lemma 16's arithmetic),
``chains`` (Wu's corrected bounds per configuration), ``schemas`` (the same bounds for every configuration,
symbolically); ``hu2025lora`` (every violated display, shape and chain claim);
``linear`` (Ahn et al., Gatmiry et al., von Oswald et al.); ``program`` is the shared builder of straight-line
programs over matrices.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

from .common import CoverFailed, write_certificate

__all__ = ["certify_violation", "certify_claim", "certify_audit", "write_certificate", "check_all", "bench_check",
           "CoverFailed"]


# paper -> the module (of this package) with its violation / claim certificate builders
VIOLATION_MODULES = {"hu2025lora": "hu2025lora", "ahn2023": "linear", "gatmiry2024": "linear",
                     "vonoswald2023": "linear"}
CLAIM_MODULES = {"ahn2023": "linear", "gatmiry2024": "linear", "vonoswald2023": "linear", "hu2025lora": "hu2025lora"}


def certify_violation(claim, instance: dict, ev, dps: int = 50):
    """A violation certificate of ``instance`` (a confirmed witness of ``claim``, ``ev`` its evaluation at ``dps``
    digits), or None with the reason it cannot be certified this way."""
    paper = claim.source.paper
    try:
        if paper == "planted":
            from . import planted

            if claim.id in planted.VIOLATIONS:
                return planted.VIOLATIONS[claim.id](claim, instance, ev)
            return None, planted.NOT_CERTIFIABLE.get(claim.id, "no certificate builder for this planted claim")
        if paper == "wu2025":
            from . import wu2025, wu2025_other

            if claim.id in wu2025.BLOCK_CLAIMS:
                return wu2025.certify_violation(claim, instance, ev, dps)
            return wu2025_other.certify_violation(claim, instance, ev, dps)
        if paper in VIOLATION_MODULES:
            import importlib

            return importlib.import_module(f".{VIOLATION_MODULES[paper]}", __name__).certify_violation(
                claim, instance, ev, dps)
    except CoverFailed as exc:
        return None, f"an enclosure of a constant of the bound did not close: {exc}"
    return None, f"no certificate builder for {paper} claims yet (the violation stays high-precision)"


def certify_claim(claim_id: str, config=None):
    """A certificate of a verified claim over its declared domain (``config``: the configuration it is certified
    for, where the claim's domain is a pool of configurations), or None with the reason."""
    paper = claim_id.split(".", 1)[0]
    try:
        if paper == "planted":
            from . import planted
            from ..registry import get_claim

            if claim_id in planted.CLAIMS:
                return planted.CLAIMS[claim_id](get_claim(claim_id))
            return None, planted.NOT_CERTIFIABLE.get(claim_id, "no certificate builder for this planted claim")
        if paper == "wu2025":
            from . import chains, wu2025_other

            if claim_id in wu2025_other.CLAIMS:
                return wu2025_other.certify_claim(claim_id, config)
            return chains.certify_claim(claim_id, config)
        if paper in CLAIM_MODULES:
            import importlib

            return importlib.import_module(f".{CLAIM_MODULES[paper]}", __name__).certify_claim(claim_id, config)
    except CoverFailed as exc:
        return None, f"the enclosure resists: {exc}"
    return None, f"no certificate builder for {paper} claims yet"


def evaluation_of_witness(rec: dict):
    """The Evaluation a witness file records (observed, bound, details): what ``certify_violation`` cross-checks."""
    import mpmath

    from ..claims import Evaluation

    with mpmath.workdps(max(50, int(rec.get("precision_digits", 50)))):
        obs, bd = mpmath.mpf(str(rec["observed"])), mpmath.mpf(str(rec["bound"]))
    return Evaluation(obs, bd, rec.get("details") or {})


def certify_audit(out_dir, configs: dict | None = None, claim_ids=None, progress=None) -> dict:
    """Certificates of an audit folder's results (``out_dir/audit.json``): for every violated claim one violation
    certificate per saved witness (``counterexamples/<claim>[@cause].json`` -> ``certificates/<same name>``), for
    every verified claim ``certify_claim(id, configs.get(id))`` where a builder exists (Wu's per-configuration chains
    only with a configuration given: ``configs[id]`` a WuConfig or a list of them, one certificate each,
    ``<claim>@config<k>.json``).  Writes ``out_dir/certificate_reasons.json`` (claim -> why there is no
    certificate) and returns {claim id: 'ok' or the reason}."""
    from ..io import write_json_atomic
    from ..registry import get_claim

    out = Path(out_dir)
    audit = json.loads((out / "audit.json").read_text())
    configs = configs or {}
    status: dict = {}
    rows = [r for r in audit.get("claims", []) if claim_ids is None or (r.get("claim_id") or r.get("id")) in claim_ids]
    for k, row in enumerate(rows, 1):
        cid = row.get("claim_id") or row.get("id")
        if progress is not None:
            progress(k, len(rows), cid)
        try:
            claim = get_claim(cid)
        except Exception as exc:  # noqa: BLE001 - a claim the registry cannot build is reported, not certified
            status[cid] = f"the claim could not be loaded ({type(exc).__name__}: {exc})"
            continue
        if row.get("outcome") == "violated":
            files = sorted({row.get("witness")} | set((row.get("witnesses") or {}).values()) - {None})
            reasons = []
            for f in files:
                rec = json.loads((out / f).read_text())
                cert, why = certify_violation(claim, rec["instance"], evaluation_of_witness(rec),
                                              int(rec.get("precision_digits", 50)))
                if cert is not None:
                    write_certificate(cert, out, rec.get("cause"))
                else:
                    reasons.append(why)
            status[cid] = "ok" if not reasons else reasons[0]
        elif row.get("outcome") == "verified":
            whole = _wu_schema(cid, out)
            if whole is not None and cid not in configs:
                status[cid] = whole
                continue
            if cid.startswith("wu2025.") and cid not in configs and not _wu_other_claim(cid):
                status[cid] = ("not certified: Wu's chain certificates are per configuration (certify_claim(id, "
                               "config)); no configuration was given") if cid.endswith(".safe") else \
                    "no certificate builder for this claim (a search / grid verdict)"
                continue
            given = configs.get(cid)
            many = given if isinstance(given, (list, tuple)) else [given]
            reasons = []
            for k, cfg in enumerate(many):
                cert, why = certify_claim(cid, cfg)
                if cert is not None:
                    write_certificate(cert, out, None if len(many) == 1 else f"config{k}")
                else:
                    reasons.append(why)
            if whole is not None and whole != "ok":
                reasons.insert(0, whole)
            status[cid] = "ok" if not reasons else reasons[0]
    path = out / "certificate_reasons.json"
    reasons = json.loads(path.read_text()) if path.exists() else {}
    reasons.update({k: v for k, v in status.items() if v != "ok"})
    for k, v in status.items():
        if v == "ok":
            reasons.pop(k, None)
    write_json_atomic(path, reasons)
    return status


def _wu_schema(cid: str, out: Path):
    """For our corrected Wu bounds with a whole-domain schema: write it (``<claim>@whole-domain.json``) and return
    'ok' or the reason it resists; None for every other claim."""
    from . import schemas

    if cid not in schemas.SCHEMA_CLAIMS:
        return None
    cert, why = schemas.schema_certificate(cid)
    if cert is None:
        return why
    write_certificate(cert, out, "whole-domain")
    return "ok"


def _wu_other_claim(cid: str) -> bool:
    from . import wu2025_other

    return cid in wu2025_other.CLAIMS


def check_all(out_dir) -> list:
    """The independent checker's results for every certificate of an audit folder."""
    from ..checker import check_dir

    return check_dir(out_dir)


def bench_check(out_dir) -> dict:
    """Time to check every certificate of an audit folder against the audit's own time (its claims' seconds in
    audit.json): {'certificates', 'accepted', 'check_s', 'audit_s', 'ratio', 'per_certificate'}."""
    from ..checker import check_dir

    t0 = time.perf_counter()
    results = check_dir(out_dir)
    check_s = time.perf_counter() - t0
    audit_s = None
    p = Path(out_dir) / "audit.json"
    if p.exists():
        data = json.loads(p.read_text())
        audit_s = sum(float(c.get("seconds") or 0) for c in data.get("claims", []))
    return {"certificates": len(results), "accepted": sum(r.ok for r in results), "check_s": check_s,
            "audit_s": audit_s, "ratio": (check_s / audit_s) if audit_s else None,
            "per_certificate": [{"claim": r.claim, "kind": r.kind, "ok": r.ok, "seconds": r.seconds,
                                 "path": Path(r.path).name} for r in results]}
