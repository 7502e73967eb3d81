"""The claim ledger of an audit: what is proven (a certificate the independent checker accepted) and what is evidence.

Per claim, one status:

* ``certified``: verified, and a certificate of the claim's whole declared domain was accepted by the checker;
* ``violated-certified``: violated, and a violation certificate of the witness was accepted by the checker;
* ``searched``: verified by a search / grid (the evaluations and the space are given), not proven;
* ``statistical``: Monte Carlo or training evidence (a confidence interval), either way;
* ``high-precision only``: violated, confirmed at >= 50 digits, but no accepted certificate (the reason is given);
* ``not checked``: inconclusive, not applicable, a tool error, or an exact engine decision with no certificate.

A rejected certificate never counts; it is listed with the checker's reason.  ``ledger(audit_json, results)``
returns (ledger_json, ledger_md); ``write_ledger(out_dir)`` checks ``out_dir/certificates`` and writes
``ledger.json`` and ``ledger.md`` next to ``audit.json``.
"""
from __future__ import annotations

import json
from pathlib import Path

STATUSES = ("certified", "violated-certified", "searched", "statistical", "high-precision only", "not checked")
PROVEN = ("certified", "violated-certified")


def _cert_entry(r) -> dict:
    return {"path": Path(r.path).name if r.path else "", "kind": r.kind, "ok": r.ok, "reason": r.reason,
            "scope": getattr(r, "domain", ""), "whole_domain": bool(getattr(r, "whole_domain", False)),
            "seconds": round(getattr(r, "seconds", 0.0), 3)}


def _status(row: dict, certs: list, reason: str | None) -> tuple[str, str]:
    outcome, tier = row.get("outcome"), row.get("tier")
    accepted = [c for c in certs if c["ok"]]
    rejected = [c for c in certs if not c["ok"]]
    bad = f"; certificate REJECTED by the checker: {rejected[0]['reason']}" if rejected else ""
    evidence = f"{row.get('evaluations', 0)} evaluations ({row.get('method', '')}) over {row.get('space') or 'the declared space'}"
    if outcome == "violated":
        if any(c["kind"] == "violation" for c in accepted):
            files = ", ".join(c["path"] for c in accepted if c["kind"] == "violation")
            return "violated-certified", f"witness certified ({files}); {row.get('summary', '')}{bad}"
        if tier == "statistical":
            return "statistical", (reason or "a confidence interval beyond the bound") + bad
        return "high-precision only", (f"{row.get('summary', '')}; no certificate: "
                                       f"{reason or 'no certificate builder for this claim'}{bad}")
    if outcome == "verified":
        whole = [c for c in accepted if c["kind"] != "violation" and c.get("whole_domain")]
        partial = [c for c in accepted if c["kind"] != "violation" and not c.get("whole_domain")]
        if whole:
            return "certified", f"{whole[0]['kind']} certificate {whole[0]['path']}: {whole[0]['scope']}" + bad
        part = (f"certified for {len(partial)} configuration(s) / parts of the domain only (not the whole declared "
                f"domain): " + " | ".join(c["scope"] for c in partial[:3]) + "; ") if partial else ""
        if tier == "statistical":
            return "statistical", f"{part}{evidence}{bad}"
        if tier == "certified":
            return "not checked", (f"{part}decided by the engine ({row.get('method', '')}) but no certificate was "
                                   f"re-checked by the independent checker: {reason or 'no certificate builder'}{bad}")
        return "searched", f"{part}{evidence} (tier {tier})" + (f"; not certified: {reason}" if reason and not partial
                                                                else "") + bad
    return "not checked", f"{outcome}: {row.get('summary', '')}{bad}"


def ledger(audit_json: dict, check_results, reasons: dict | None = None) -> tuple[dict, str]:
    """(ledger_json, ledger_md) of an audit (the audit.json dict) and the checker's results on its certificates;
    ``reasons``: claim id -> why no certificate was built (the finder's reasons)."""
    reasons = dict(reasons or {})
    by_claim: dict = {}
    for r in check_results:
        entry = _cert_entry(r)
        entry["whole_domain"] = bool(r.ok and getattr(r, "whole_domain", False))
        by_claim.setdefault(r.claim, []).append(entry)
    rows, seen = [], set()
    for row in audit_json.get("claims", []):
        cid = row.get("claim_id") or row.get("id")
        seen.add(cid)
        certs = by_claim.get(cid, [])
        status, evidence = _status(row, certs, reasons.get(cid) or (row.get("certificate") or {}).get("reason"))
        rows.append({"claim_id": cid, "outcome": row.get("outcome"), "tier": row.get("tier"), "status": status,
                     "evidence": evidence, "source": row.get("source", ""), "certificates": certs,
                     "evaluations": row.get("evaluations", 0), "space": row.get("space", ""),
                     "narrowing": row.get("narrowing", [])})
    for e in audit_json.get("errors", []):
        rows.append({"claim_id": e.get("claim_id"), "outcome": "tool error", "tier": None, "status": "not checked",
                     "evidence": f"tool error {e.get('error')}: {e.get('message')}", "certificates": []})
        seen.add(e.get("claim_id"))
    other = [dict(c, claim=cid) for cid, cs in by_claim.items() if cid not in seen for c in cs]
    axioms = sorted({a for r in check_results if r.ok for a in getattr(r, "axioms", [])})
    counts = {s: sum(1 for r in rows if r["status"] == s) for s in STATUSES}
    data = {"paper": audit_json.get("paper"), "counts": counts, "claims": rows, "other_certificates": other,
            "axioms": axioms, "certificates_checked": len(list(check_results)),
            "certificates_rejected": sum(1 for r in check_results if not r.ok)}
    return data, markdown(data)


def _cell(s: str, n: int = 220) -> str:
    s = " ".join(str(s).split()).replace("|", "\\|")
    return s if len(s) <= n else s[: n - 3] + "..."


def markdown(data: dict) -> str:
    c = data["counts"]
    lines = [f"# Claim ledger: {data.get('paper') or ''}", "",
             "What is **proven** (a certificate re-checked by the independent checker, `proofs_check/checker.py`) and "
             "what is **evidence** (searches, high-precision confirmations, statistics).", "",
             ", ".join(f"{c[s]} {s}" for s in STATUSES) + f"; {data['certificates_checked']} certificates checked, "
             f"{data['certificates_rejected']} rejected.", ""]
    groups = (("Proven", PROVEN), ("Evidence, not proof", ("searched", "statistical", "high-precision only")),
              ("Not checked", ("not checked",)))
    for title, sts in groups:
        rows = [r for r in data["claims"] if r["status"] in sts]
        if not rows:
            continue
        lines += [f"## {title}", "", "| claim | verdict | ledger | evidence |", "|---|---|---|---|"]
        for r in rows:
            verdict = f"{r['outcome']}" + (f" ({r['tier']})" if r.get("tier") else "")
            lines.append(f"| `{r['claim_id']}` | {verdict} | **{r['status']}** | {_cell(r['evidence'])} |")
        lines.append("")
    rejected = [(r["claim_id"], x) for r in data["claims"] for x in r["certificates"] if not x["ok"]]
    rejected += [(x["claim"], x) for x in data["other_certificates"] if not x["ok"]]
    if rejected:
        lines += ["## Rejected certificates", ""] + [f"- `{cid}` ({x['path']}): {x['reason']}" for cid, x in rejected]
        lines.append("")
    other = [x for x in data["other_certificates"] if x["ok"]]
    if other:
        lines += ["## Further certificates (not claims of the audit table)", ""]
        lines += [f"- `{x['claim']}` ({x['kind']}, {x['path']}): {_cell(x['scope'] or x['reason'], 300)}" for x in other]
        lines.append("")
    if data["axioms"]:
        lines += ["## Axioms the accepted chain certificates rely on (stated, not machine-checked)", ""]
        lines += [f"- {a}" for a in data["axioms"]] + [""]
    return "\n".join(lines)


def write_ledger(out_dir, reasons: dict | None = None, results=None) -> tuple[Path, Path]:
    """Check ``out_dir/certificates`` and write ``out_dir/ledger.json`` and ``ledger.md``; the finder's reasons are
    read from ``out_dir/certificate_reasons.json`` when not given."""
    from .checker import check_dir
    from .io import write_json_atomic, write_text_atomic

    out = Path(out_dir)
    audit = json.loads((out / "audit.json").read_text())
    if reasons is None and (out / "certificate_reasons.json").exists():
        reasons = json.loads((out / "certificate_reasons.json").read_text())
    data, md = ledger(audit, check_dir(out) if results is None else results, reasons)
    write_json_atomic(out / "ledger.json", data)
    write_text_atomic(out / "ledger.md", md)
    return out / "ledger.json", out / "ledger.md"


def check_command(out_dir, stream=None) -> int:
    """What ``icl-verify check DIR`` does: re-check every certificate of ``DIR/certificates`` with the independent
    checker, print one line per certificate, write the ledger when ``DIR/audit.json`` exists; exit status 0 when every
    certificate is accepted, 1 when one is rejected, 2 when there is no certificate folder."""
    import sys

    from .checker import check_dir

    stream = stream or sys.stdout
    out = Path(out_dir)
    if not (out / "certificates").is_dir():
        print(f"icl-verify check: no certificates folder in {out}", file=sys.stderr)
        return 2
    results = check_dir(out)
    for r in results:
        print(f"{'ACCEPTED' if r.ok else 'REJECTED'} {Path(r.path).name} ({r.kind}, {r.claim}, {r.seconds:.2f}s): "
              f"{r.reason}", file=stream)
    bad = sum(1 for r in results if not r.ok)
    print(f"{len(results) - bad} of {len(results)} certificates accepted", file=stream)
    if (out / "audit.json").exists():
        j, m = write_ledger(out, results=results)
        print(f"ledger: {m}", file=stream)
    return 1 if bad else 0


__all__ = ["STATUSES", "ledger", "markdown", "write_ledger", "check_command"]
