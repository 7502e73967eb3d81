"""Shared by the linear-attention reports (vonoswald2023, ahn2023, gatmiry2024): configuration, judging the claims with
the one verdict engine (``engine.run_audit``; the report's budget is a multiplier of every claim's evaluation budget),
Markdown tables, and writing DIR/report.md + DIR/report.json."""
from __future__ import annotations

import sys
import time
from pathlib import Path

from symbolic.errors import require_int

from ..claims import AuditResult
from ..engine import AuditContext, AuditRun, ToolErrorRecord, run_audit
from ..environment import environment
from ..io import write_json_atomic, write_text_atomic
from ..report import audit_markdown, counts, fmt, table_row


def log(paper: str, msg: str) -> None:
    print(f"[report {paper}] {msg}", file=sys.stderr, flush=True)


def base_config(args, paper: str) -> dict:
    """seed, quick, out (created; shared by the three linear-attention reports); torch uses one thread
    (``numeric.linear_icl.training.set_threads``)."""
    from numeric.linear_icl.training import set_threads

    set_threads()
    seed = require_int("--seed", args.seed if getattr(args, "seed", None) is not None else 0, 0)
    out = Path(getattr(args, "out", None) or Path("runs") / f"report-{paper}")
    out.mkdir(parents=True, exist_ok=True)
    return {"seed": seed, "quick": bool(getattr(args, "quick", False)), "out": out}


def claims_report(paper: str, claims, cfg: dict, options: dict | None = None, budget: float = 1.0) -> AuditRun:
    """Judge ``claims`` with the one engine (``engine.run_audit``): every claim's evaluation (sample, step) budget
    times ``budget``, never below its floor; witnesses under DIR/counterexamples.  A crashing claim is a tool error
    (traceback in DIR/errors.log), never a verdict: the caller reports it and exits non-zero."""
    ctx = AuditContext(paper=paper, out_dir=cfg["out"], budget=budget, seed=cfg["seed"], precision=50,
                       options=options or {})

    def on_result(r):
        if isinstance(r, ToolErrorRecord):
            log(paper, f"{r.claim_id}: TOOL ERROR {r.error}: {r.message} (traceback in {cfg['out'] / 'errors.log'})")
        else:
            log(paper, table_row(r))

    run = run_audit(list(claims), ctx, on_result=on_result)
    (Path(cfg["out"]) / "audit.partial.json").unlink(missing_ok=True)   # the run finished: report.json holds it
    return run


def exit_status(paper: str, run: AuditRun) -> int:
    """0, or 3 (a tool error, as ``icl-verify audit``) when a claim crashed."""
    if run.errors:
        log(paper, f"tool error in {len(run.errors)} claim(s): {', '.join(e.claim_id for e in run.errors)}")
        return 3
    return 0


def claim_rows(results: list[AuditResult]) -> list[dict]:
    """The report.json rows {id, source, outcome, tier, bound, observed, ratio} (plus evaluations, narrowing, summary,
    witness), as the engine judged them."""
    rows = []
    for r in results:
        d = r.to_dict()
        rows.append({k: d.get(k) for k in ("id", "source", "outcome", "tier", "bound", "observed", "ratio",
                                          "evaluations", "budget", "narrowing", "summary", "witness", "method")})
    return rows


def md_table(header: list[str], rows: list[list]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(fmt(v) if isinstance(v, float) else str(v) for v in row) + " |" for row in rows]
    return out


def write_report(cfg: dict, paper: str, title: str, run: AuditRun, sections: list[str],
                 findings: list[str], experiments: dict, plots: list[str], t0: float) -> None:
    """DIR/report.md (findings, experiment sections, then the engine's claim verdicts) and DIR/report.json."""
    out = cfg["out"]
    results = run.results
    env = environment(device="cpu", precision=50, seed=cfg["seed"])
    config = {k: (str(v) if isinstance(v, Path) else v) for k, v in cfg.items()}
    md = [f"# Report: {title}", "",
          f"icl-verify {env.get('icl_verify')}, seed {cfg['seed']}, {'quick' if cfg['quick'] else 'full'} run, "
          f"{time.monotonic() - t0:.0f}s. Claim verdicts: {counts(results)}.", "", "## Findings", ""]
    md += [f"{i}. {f}" for i, f in enumerate(findings, 1)] + [""] + sections
    md += ["", "## Plots", ""] + [f"![{p}]({p})" for p in plots] + [""]
    data = {"title": title, "environment": env, "counts": counts(results), "claims": [r.to_dict() for r in results],
            "errors": [e.to_dict() for e in run.errors],
            "config": {"paper": paper, "precision": 50, "seed": cfg["seed"], "budget": cfg.get("budget", 1.0)}}
    md += audit_markdown(data).split("\n", 2)[2].splitlines()
    write_text_atomic(out / "report.md", "\n".join(md) + "\n")
    write_json_atomic(out / "report.json", {"paper": paper, "title": title, "config": config, "environment": env,
                                            "results": experiments, "findings": findings,
                                            "claims": claim_rows(results), "plots": plots,
                                            "errors": [e.to_dict() for e in run.errors]})
