"""Rendering verdicts from their JSON: the terminal table and the Markdown referee report."""
from __future__ import annotations

import math

from .claims import AuditResult, Outcome

_MARK = {Outcome.VERIFIED: "verified", Outcome.VIOLATED: "VIOLATED", Outcome.INCONCLUSIVE: "inconclusive",
         Outcome.NOT_APPLICABLE: "not_applicable"}


def fmt(x, digits: int = 4) -> str:
    if x is None:
        return "-"
    try:
        f = float(x)
    except (TypeError, ValueError):
        return str(x)
    if math.isinf(f):
        return "inf" if f > 0 else "-inf"
    return f"{f:.{digits}g}"


def md(x) -> str:
    """A Markdown table cell: pipes escaped, newlines flattened."""
    return str(x).replace("|", "\\|").replace("\n", " ")


def verdict_word(outcome: str, tier: str | None) -> str:
    """'verified (searched)', 'violated (high-precision)', ... ; a single-instance pass reads 'holds on the given
    instances', never 'verified'."""
    if outcome == "verified" and tier == "instance":
        return "holds on the given instances"
    return f"{outcome} ({tier})" if tier else outcome


def corrections(f: dict, rows: list) -> str:
    """A finding's corrected claims with their verdicts; one the ledger proves for every instance says so."""
    ledger = {r["claim_id"]: r.get("ledger") for r in rows}
    return "; ".join(f"`{c['claim']}` {verdict_word(c['outcome'], c['tier'])}"
                     + ("; certified for every instance" if ledger.get(c["claim"]) == "certified"
                        and c["tier"] != "certified" else "") for c in f["corrected_verdicts"])


def _d(r) -> dict:
    return r.to_dict() if isinstance(r, AuditResult) else r


def table_row(r) -> str:
    d = _d(r)
    word = verdict_word(d["outcome"], d.get("tier"))
    if d["outcome"] == "violated":
        word = "VIOLATED" + word[len("violated"):]
    narrow = " [narrowed]" if d.get("narrowing") else ""
    return (f"{d['claim_id']:38s} {word:28s} {d.get('evaluations', 0):>7d} evals  ratio {fmt(d.get('ratio')):>10s}"
            f"{narrow}  {d.get('witness') or ''}")


def table(results) -> str:
    head = f"{'claim':38s} {'verdict (tier)':28s} {'work':>13s}  {'obs/bound':>16s}  witness"
    return "\n".join([head, "-" * len(head)] + [table_row(r) for r in results])


def counts(results) -> dict:
    out = {str(o): 0 for o in Outcome}
    for r in results:
        out[_d(r)["outcome"]] += 1
    return out


SEVERITY_ORDER = {"HIGH": 0, "MEDIUM": 1, "LOW": 2}


def findings_markdown(data: dict) -> list[str]:
    """The one-page summary: the findings table sorted by severity, one paragraph per HIGH finding."""
    fs = [f for f in data.get("findings", []) if f["status"] == "confirmed"]
    fs.sort(key=lambda f: SEVERITY_ORDER[f["severity"]])      # stable: the data's order within a severity
    sc = data.get("severity_counts", {})
    lines = ["## Findings", "",
             f"{len(fs)} findings: {sc.get('HIGH', 0)} HIGH, {sc.get('MEDIUM', 0)} MEDIUM, {sc.get('LOW', 0)} LOW "
             f"(HIGH: a statement false as printed or a theorem that does not cover its advertised setting; MEDIUM: a "
             f"proof gap or inconsistency after whose repair the statement plausibly holds; LOW: a typo, notation or "
             f"convention slip).", "",
             "| finding | severity | about | root cause | claims | witness (observed vs bound) | our correction |",
             "|---|---|---|---|---|---|---|"]
    for f in fs:
        corr = corrections(f, data.get("claims", []))
        w = (f"`{f['witness']}` ({fmt(f.get('observed'))} vs {fmt(f.get('bound'))}"
             + ("; certified" if f.get("witness_certified") else "; not certified" if "witness_certified" in f else "")
             + ")") if f.get("witness") else "-"
        lines.append(f"| **{md(f['title'])}** (`{f['id']}`) | {f['severity']} | {f['about'].replace('_', ' ')} | "
                     f"{md(f['cause'])} | {', '.join('`' + c + '`' for c in f['violated_claims'])} | {w} | "
                     f"{corr or '-'} |")
    highs = [f for f in fs if f["severity"] == "HIGH"]
    if highs:
        lines += ["", "### HIGH findings", ""]
        for f in highs:
            lines += [f"**{f['title']}** ({f['where'] or f['id']}). {f['cause']}"
                      + (f" {f['note']}" if f.get("note") else "")
                      + (f" Witness: `{f['witness']}`, observed {fmt(f.get('observed'))} against the bound "
                         f"{fmt(f.get('bound'))}, replay with "
                         f"`icl-verify replay {f['witness']}` from the audit folder." if f.get("witness") else ""), ""]
    missing = [f for f in data.get("findings", []) if f["status"] != "confirmed"]
    if missing:
        lines += ["", "Findings of the registry not reproduced by this audit: "
                  + ", ".join(f"`{f['id']}`" for f in missing) + ".", ""]
    if data.get("finding_problems"):
        lines += ["", "**Grouping problems** (each violated claim must belong to exactly one finding): "
                  + "; ".join(md(p) for p in data["finding_problems"]), ""]
    return lines


def audit_markdown(data: dict) -> str:
    """A referee report rendered from audit.json: the findings first (sorted by severity), then per claim in paper
    order the tier, the work done, the source note, the narrowing of the searched space, the verdict and the
    witness."""
    rows = data["claims"]
    c = data["counts"]
    env = data.get("environment", {})
    lines = [f"# Referee report: {data['title']}", "",
             f"Generated by icl-verify {env.get('icl_verify')} (commit {env.get('git_commit') or 'unknown'}), "
             f"precision {data['config']['precision']} digits, seed {data['config']['seed']}, evaluation budgets "
             f"x{data['config']['budget']:g}.", "",
             f"**Summary.** {len(rows)} claims: {c['violated']} violated, {c['verified']} verified, "
             f"{c['inconclusive']} inconclusive, {c['not_applicable']} not applicable."
             + (f" **{len(data['errors'])} tool error(s)**: " + ", ".join(e['claim_id'] for e in data['errors'])
                if data.get("errors") else ""), ""]
    if data.get("findings"):
        lines += findings_markdown(data)
    if data.get("certificates"):
        cc = data["certificates"]
        lines += [f"Certificates: {cc['accepted']} accepted and {cc['rejected']} rejected by the independent checker "
                  f"(`icl-verify check DIR` re-checks them); the ledger (`ledger.md`) says per claim what is proven "
                  f"and what is evidence.", ""]
    lines += ["## Claims", "",
             "Tiers: `certified` = decided exactly or by rigorous enclosure over the declared domain; `exhaustive` = "
             "every case of a finite domain; `searched` = the stated number of evaluations over the declared space "
             "found nothing (evidence, not proof); `statistical` = Monte Carlo or training evidence with a confidence "
             "interval. A `violated` verdict is confirmed `exact`, at `high-precision` (>= 50 digits) or "
             "`statistical`, and replays with `icl-verify replay <witness>`.", "",
             "| claim | source | verdict (tier) | ledger | evaluations | observed | bound | observed/bound | witness |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        w = f"`{r['witness']}`" if r.get("witness") else ""
        lines.append(f"| `{r['claim_id']}` | {md(r['source'])} | **{verdict_word(r['outcome'], r.get('tier'))}** | "
                     f"{r.get('ledger', '-')} | "
                     f"{r.get('evaluations', 0)} of {r.get('budget', 0)}"
                     + (f" + {r['confirmations']} at {data['config']['precision']} digits" if r.get("confirmations") else "")
                     + f" | {fmt(r.get('observed'))} | "
                     f"{fmt(r.get('bound'))} | {fmt(r.get('ratio'))} | {w} |")
    lines += [""]
    for r in rows:
        lines += [f"### `{r['claim_id']}`: {verdict_word(r['outcome'], r.get('tier'))}", "",
                  f"*Source:* {r['source']} (about: {r.get('about', 'statement')})", ""]
        if r.get("source_note"):
            lines += [f"*Source note:* {r['source_note']}", ""]
        lines += [f"*Statement:* {r['statement']}", "",
                  f"*Method:* {r['method']}; {r.get('evaluations', 0)} evaluations of a budget of {r.get('budget', 0)}"
                  + (f", {r['confirmations']} confirmations at high precision" if r.get("confirmations") else "")
                  + (f"; space: {r['space']}" if r.get("space") else ""), ""]
        if r.get("narrowing"):
            lines += ["*Narrowing of the hypotheses in this search:* " + "; ".join(r["narrowing"]), ""]
        lines += [f"*Finding:* {r['summary']}", ""]
        if r.get("ledger"):
            lines += [f"*Ledger:* {r['ledger']} (see ledger.md: what the independent checker proved)", ""]
        if r.get("hypotheses"):
            lines.append("*Hypotheses checked:* " + "; ".join(
                f"{h['name']} ({'holds' if h['holds'] else 'fails'}{': ' + h['detail'] if h['detail'] else ''})"
                for h in r["hypotheses"]))
            lines.append("")
        if r["outcome"] == "violated" and r.get("details", {}).get("explanation"):
            lines += [r["details"]["explanation"], ""]
    if data.get("errors"):
        lines += ["## Tool errors", "", "These claims crashed; they have no verdict (tracebacks in `errors.log`).", ""]
        lines += [f"- `{e['claim_id']}`: {e['error']}: {md(e['message'])}" for e in data["errors"]] + [""]
    lines += ["## Configuration", "", "```", *(f"{k}: {v}" for k, v in data["config"].items()), "```", ""]
    return "\n".join(lines)
