"""``icl-verify audit PAPER``: run the audits, print the table, write JSON and the Markdown referee report."""
from __future__ import annotations

import sys
import time
from pathlib import Path

from numeric.precision import check_digits
from symbolic.errors import ConfigError, require_int, require_real

from .audit import AuditContext, run_audit
from .claims import Outcome
from .environment import environment
from .registry import claims_module, paper_entry
from .report import audit_markdown, counts, table, table_row
from .witness import write_json_atomic

DEFAULT_BUDGET_S = 300.0


def main(args) -> int:
    entry = paper_entry(args.paper)
    module = claims_module(args.paper)
    options = module.configure(args) if hasattr(module, "configure") else {}
    budget = args.budget if args.budget is not None else getattr(module, "DEFAULT_BUDGET_S", DEFAULT_BUDGET_S)
    budget = require_real("--budget", budget, 0, strict_low=True)
    precision = check_digits(args.precision if args.precision is not None else 50)
    if precision < 50:
        raise ConfigError("--precision", f"audits confirm violations at >= 50 digits, got {precision}")
    workers = require_int("--workers", args.workers, 1, 256)
    claims = list(module.CLAIMS)
    if args.claim:
        ids = {c.id for c in claims}
        for cid in args.claim:
            if cid not in ids:
                raise ConfigError("--claim", f"no claim {cid!r} in {args.paper} (see `icl-verify claims {args.paper}`)")
        claims = [c for c in claims if c.id in set(args.claim)]
    out_dir = args.out or Path("runs") / f"audit-{args.paper}"
    ctx = AuditContext(paper=args.paper, budget_s=budget, seed=args.seed or 0, precision=precision,
                       out_dir=Path(out_dir), workers=workers, scheduler=args.scheduler, options=options,
                       max_evals=require_int("--max-evals", args.max_evals, 1) if args.max_evals else None)
    print(f"auditing {len(claims)} claims of {args.paper} with a budget of {budget:.0f}s -> {out_dir}",
          file=sys.stderr)
    t0 = time.monotonic()
    done = [0]

    def on_result(r):
        done[0] += 1
        print(f"[{done[0]}/{len(claims)} {time.monotonic() - t0:6.1f}s] {table_row(r)}", file=sys.stderr)

    results = run_audit(args.paper, claims, ctx, resume=args.resume, on_result=on_result)
    env = environment(precision=precision, seed=ctx.seed)
    config = {"paper": args.paper, "budget_s": budget, "claims": [c.id for c in claims], **options}
    data = {"paper": args.paper, "title": entry.title, "config": config, "environment": env,
            "counts": counts(results), "claims": [r.to_dict() for r in results]}
    write_json_atomic(Path(out_dir) / "audit.json", data)
    if args.json:
        write_json_atomic(args.json, data)
    md = audit_markdown(entry.title, results, config, env)
    (Path(out_dir) / "referee_report.md").write_text(md)
    print(table(results))
    print(f"\n{counts(results)}; JSON {args.json or Path(out_dir) / 'audit.json'}, "
          f"report {Path(out_dir) / 'referee_report.md'}")
    if args.strict and any(r.outcome is Outcome.VIOLATED for r in results):
        return 1
    return 0
