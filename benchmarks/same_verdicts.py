"""Compare two audit folders of the same command: outcomes, tiers, numbers and witnesses must be identical.

    python benchmarks/same_verdicts.py RUN_A RUN_B [--json OUT]

Timings (``seconds``, wall clocks, dates) and paths of the folders are ignored; everything else of every claim's
row in ``audit.json`` (outcome, tier, observed, bound, ratio, evaluations, confirmations, stopped_by, witness file
names, details) and every saved witness file must be equal.  Exit 0 when identical, 1 when not (the differences
are printed, one line each).  Issue 12's check: the same ``icl-verify audit PAPER`` twice, once with the cores
busy with another job.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

IGNORED = {"seconds", "wall_s", "elapsed_s", "started", "finished", "date", "time", "timestamp", "duration_s",
           "check_s", "audit_s", "out_dir", "path", "log", "host", "cpu_count", "load_average",
           "counterexample"}   # counterexample: the witness's path from where the audit ran (the name is compared)


def strip(x):
    """``x`` without its timing keys, recursively."""
    if isinstance(x, dict):
        return {k: strip(v) for k, v in x.items() if k not in IGNORED and not k.endswith("_seconds")}
    if isinstance(x, list):
        return [strip(v) for v in x]
    return x


def diff(a, b, where: str, out: list) -> None:
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                out.append(f"{where}.{k}: only in {'B' if k not in a else 'A'}")
            else:
                diff(a[k], b[k], f"{where}.{k}", out)
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            diff(x, y, f"{where}[{i}]", out)
    elif a != b:
        out.append(f"{where}: {str(a)[:80]!s} != {str(b)[:80]!s}")


def compare(run_a: Path, run_b: Path) -> dict:
    A, B = (json.loads((r / "audit.json").read_text()) for r in (run_a, run_b))
    rows_a = {r["claim_id"]: r for r in A["claims"]}
    rows_b = {r["claim_id"]: r for r in B["claims"]}
    problems: list = []
    if list(rows_a) != list(rows_b):
        problems.append(f"claims differ: {sorted(set(rows_a) ^ set(rows_b))} (or their order)")
    files = 0
    for cid in rows_a:
        if cid not in rows_b:
            continue
        diff(strip(rows_a[cid]), strip(rows_b[cid]), cid, problems)
        names = {rows_a[cid].get("witness")} | set((rows_a[cid].get("witnesses") or {}).values())
        for name in sorted(n for n in names if n):
            fa, fb = run_a / name, run_b / name
            if not fb.exists():
                problems.append(f"{cid}: witness {name} missing in B")
                continue
            files += 1
            diff(strip(json.loads(fa.read_text())), strip(json.loads(fb.read_text())), f"{cid}:{name}", problems)
    counts = {k: (A.get("counts"), B.get("counts")) for k in ("counts",)}
    return {"claims": len(rows_a), "witness_files": files, "identical": not problems, "differences": problems,
            "counts_a": counts["counts"][0], "counts_b": counts["counts"][1],
            "seconds_a": sum(float(r.get("seconds") or 0) for r in rows_a.values()),
            "seconds_b": sum(float(r.get("seconds") or 0) for r in rows_b.values())}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("run_a", type=Path)
    ap.add_argument("run_b", type=Path)
    ap.add_argument("--json", type=Path)
    a = ap.parse_args(argv)
    for r in (a.run_a, a.run_b):
        if not (r / "audit.json").is_file():
            print(f"{r}: no audit.json (run `icl-verify audit PAPER --out {r}` first)", file=sys.stderr)
            return 2
    res = compare(a.run_a, a.run_b)
    for p in res["differences"]:
        print(p)
    print(f"{res['claims']} claims, {res['witness_files']} witness files: "
          f"{'identical' if res['identical'] else str(len(res['differences'])) + ' differences'} "
          f"(claim seconds {res['seconds_a']:.0f} vs {res['seconds_b']:.0f})")
    if a.json:
        a.json.write_text(json.dumps(res, indent=1))
    return 0 if res["identical"] else 1


if __name__ == "__main__":
    sys.exit(main())
