"""Shared by the linear-attention reports (vonoswald2023, ahn2023, gatmiry2024): configuration, running the claims
with per-claim budgets, Markdown tables, and writing DIR/report.md + DIR/report.json."""
from __future__ import annotations

import sys
import time
from pathlib import Path

from symbolic.errors import require_int

from ..audit import AuditContext
from ..claims import AuditResult
from ..environment import environment
from ..report import audit_markdown, counts, fmt
from ..witness import write_json_atomic


def log(paper: str, msg: str) -> None:
    print(f"[report {paper}] {msg}", file=sys.stderr, flush=True)


def base_config(args, paper: str) -> dict:
    """seed, quick, out (created; shared by the three linear-attention reports); torch uses 2 threads (spec 4)."""
    from numeric.linear_icl.training import set_threads

    set_threads(2)
    seed = require_int("--seed", args.seed if getattr(args, "seed", None) is not None else 0, 0)
    out = Path(getattr(args, "out", None) or Path("runs") / f"report-{paper}")
    out.mkdir(parents=True, exist_ok=True)
    return {"seed": seed, "quick": bool(getattr(args, "quick", False)), "out": out}


def claims_report(paper: str, claims, budgets: dict, cfg: dict, options: dict | None = None) -> list[AuditResult]:
    """Audit ``claims`` with ``budgets[id]`` seconds each (default 10), witnesses under DIR/counterexamples."""
    results = []
    for c in claims:
        ctx = AuditContext(paper=paper, budget_s=budgets.get(c.id, 10.0), seed=cfg["seed"], precision=50,
                           out_dir=cfg["out"], options=options or {})
        t0 = time.monotonic()
        try:
            r = c.audit(ctx)
        except Exception as exc:  # a crashing check is reported, never hidden
            from ..claims import Outcome

            r = c.result(Outcome.INCONCLUSIVE, method="error", summary=f"raised {type(exc).__name__}: {exc}")
        log(paper, f"{c.id}: {r.outcome} ({time.monotonic() - t0:.1f}s) {r.summary[:120]}")
        results.append(r)
    return results


def claim_rows(results: list[AuditResult]) -> list[dict]:
    """The report.json rows {id, source, outcome, bound, observed, ratio} (plus summary and witness)."""
    rows = []
    for r in results:
        d = r.to_dict()
        rows.append({k: d.get(k) for k in ("id", "source", "outcome", "bound", "observed", "ratio", "summary",
                                          "witness", "method")})
    return rows


def md_table(header: list[str], rows: list[list]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(fmt(v) if isinstance(v, float) else str(v) for v in row) + " |" for row in rows]
    return out


def write_report(cfg: dict, paper: str, title: str, results: list[AuditResult], sections: list[str],
                 findings: list[str], experiments: dict, plots: list[str], t0: float) -> None:
    """DIR/report.md (findings, experiment sections, then the claim verdicts) and DIR/report.json."""
    out = cfg["out"]
    env = environment(device="cpu", precision=50, seed=cfg["seed"])
    config = {k: (str(v) if isinstance(v, Path) else v) for k, v in cfg.items()}
    md = [f"# Report: {title}", "",
          f"icl-verify {env.get('icl_verify')}, seed {cfg['seed']}, {'quick' if cfg['quick'] else 'full'} run, "
          f"{time.monotonic() - t0:.0f}s. Claim verdicts: {counts(results)}.", "", "## Findings", ""]
    md += [f"{i}. {f}" for i, f in enumerate(findings, 1)] + [""] + sections
    md += ["", "## Plots", ""] + [f"![{p}]({p})" for p in plots] + [""]
    md += audit_markdown(title, results, config, env).split("\n", 2)[2].splitlines()
    (out / "report.md").write_text("\n".join(md) + "\n")
    write_json_atomic(out / "report.json", {"paper": paper, "title": title, "config": config, "environment": env,
                                            "results": experiments, "findings": findings,
                                            "claims": claim_rows(results), "plots": plots})
