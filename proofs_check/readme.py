"""Regenerate the README's findings sections from audit JSON, so the README quotes only what its commands give.

    python -m proofs_check.readme runs/audit-wu2025/audit.json runs/audit-hu2025lora/audit.json ... [--readme README.md]

Each paper's section lies between ``<!-- audit:PAPER:start -->`` and ``<!-- audit:PAPER:end -->``; a paper whose
markers are missing is appended at the end of the README's findings part.  ``--check`` exits 1 when the README
differs from what the JSON gives (a test and CI can use it).
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from .report import SEVERITY_ORDER, corrections, fmt, md, verdict_word

START, END = "<!-- audit:{paper}:start -->", "<!-- audit:{paper}:end -->"


def section(data: dict, command: str) -> str:
    """The Markdown of one paper's audit: command, counts by outcome and tier, findings by severity, claims."""
    rows = data["claims"]
    c = data["counts"]
    sc = data.get("severity_counts", {})
    tiers: dict = {}
    for r in rows:
        if r["outcome"] in ("verified", "violated"):
            tiers[verdict_word(r["outcome"], r.get("tier"))] = tiers.get(verdict_word(r["outcome"], r.get("tier")), 0) + 1
    lines = [f"`{command}` ({len(rows)} claims, evaluation budgets x{data['config']['budget']:g}, seed "
             f"{data['config']['seed']}): {c['violated']} violated, {c['verified']} verified, {c['inconclusive']} "
             f"inconclusive, {c['not_applicable']} not applicable; by tier: "
             + ", ".join(f"{n} {k}" for k, n in sorted(tiers.items())) + "."]
    fs = sorted((f for f in data.get("findings", []) if f["status"] == "confirmed"),
                key=lambda f: SEVERITY_ORDER[f["severity"]])
    if fs:
        lines += ["", f"Findings: {sc.get('HIGH', 0)} HIGH, {sc.get('MEDIUM', 0)} MEDIUM, {sc.get('LOW', 0)} LOW.", "",
                  "| finding | severity | about | root cause | witness: observed vs bound | our correction |",
                  "|---|---|---|---|---|---|"]
        for f in fs:
            corr = corrections(f, rows)
            lines.append(f"| {md(f['title'])} (`{f['id']}`) | {f['severity']} | {f['about'].replace('_', ' ')} | "
                         f"{md(f['cause'])} | {fmt(f.get('observed'))} vs {fmt(f.get('bound'))} | {corr or '-'} |")
    lines += ["", "<details><summary>Every claim: verdict, tier, evaluations, observed/bound</summary>", "",
              "| claim | verdict (tier) | evaluations | observed/bound | narrowing |", "|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| `{r['claim_id']}` | {verdict_word(r['outcome'], r.get('tier'))} | {r.get('evaluations', 0)}"
                     + (f" + {r['confirmations']}" if r.get("confirmations") else "")
                     + f" | {fmt(r.get('ratio'))} | {md('; '.join(r.get('narrowing') or [])) or '-'} |")
    lines += ["", "</details>"]
    return "\n".join(lines)


def update(readme: str, data: dict, command: str) -> str:
    paper = data["paper"]
    start, end = START.format(paper=paper), END.format(paper=paper)
    body = f"{start}\n{section(data, command)}\n{end}"
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.S)
    if pattern.search(readme):
        return pattern.sub(lambda _: body, readme)
    return readme.rstrip("\n") + "\n\n" + body + "\n"


def command_of(data: dict) -> str:
    budget = data["config"]["budget"]
    return f"icl-verify audit {data['paper']}" + ("" if budget == 1 else f" --budget {budget:g}")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m proofs_check.readme", description=__doc__.splitlines()[0])
    p.add_argument("audits", nargs="+", type=Path, help="audit.json files of the documented commands")
    p.add_argument("--readme", type=Path, default=Path("README.md"))
    p.add_argument("--check", action="store_true", help="exit 1 when the README is not what the JSON gives")
    args = p.parse_args(argv)
    text = old = args.readme.read_text()
    for path in args.audits:
        data = json.loads(path.read_text())
        text = update(text, data, command_of(data))
    if args.check:
        if text != old:
            print(f"{args.readme} differs from what {', '.join(map(str, args.audits))} give", file=sys.stderr)
            return 1
        return 0
    args.readme.write_text(text)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
