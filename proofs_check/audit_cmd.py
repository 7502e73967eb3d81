"""``icl-verify audit PAPER``: judge the claims, print the table, write audit.json and the Markdown referee report.

Exit status: 0 (whatever the verdicts), 1 with ``--strict`` when a claim is violated, 2 for bad input, 3 when a
claim's method crashed (a tool error: the claim is named, its traceback is in DIR/errors.log, and every other
claim's result is still written).
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from numeric.precision import check_digits
from symbolic.errors import ConfigError, require_int, require_real

from .claims import AuditResult, Outcome
from .engine import AuditContext, ResumeMismatch, ToolErrorRecord, run_audit
from .environment import environment
from .findings import assess, findings_for, severity_counts
from .io import write_json_atomic, write_text_atomic
from .registry import claims_module, paper_entry
from .report import audit_markdown, counts, table, table_row

EXIT_TOOL_ERROR = 3


class _Progress:
    """Per-claim lines on stderr; a live search bar (evaluations, best observed/bound) when stderr is a terminal."""

    def __init__(self, total: int):
        self.total, self.done, self.t0 = total, 0, time.monotonic()
        self.seen: set = set()
        self.bar = None
        self.tty = sys.stderr.isatty()

    def search(self, claim_id: str, evals: int, planned: int, best: float) -> None:
        if not self.tty:
            return
        from tqdm import tqdm

        if self.bar is None or self.bar.desc != claim_id:
            self.close()
            self.bar = tqdm(total=planned, desc=claim_id, leave=False, file=sys.stderr, unit="eval")
        self.bar.n = evals
        self.bar.set_postfix_str(f"best obs/bound {best:.4g}", refresh=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def result(self, r) -> None:
        self.close()
        if r.claim_id in self.seen:   # the second pass changed this claim's verdict (instances pooled after it)
            head = f"[revised {time.monotonic() - self.t0:6.1f}s]"
        else:
            self.seen.add(r.claim_id)
            self.done += 1
            head = f"[{self.done}/{self.total} {time.monotonic() - self.t0:6.1f}s]"
        if isinstance(r, ToolErrorRecord):
            print(f"{head} {r.claim_id:38s} TOOL ERROR {r.error}: {r.message}", file=sys.stderr, flush=True)
        else:
            print(f"{head} {table_row(r)}", file=sys.stderr, flush=True)


def build_context(args, module, claims) -> AuditContext:
    options = module.configure(args) if hasattr(module, "configure") else {}
    budget = require_real("--budget", args.budget if args.budget is not None else 1.0, 0, 1000, strict_low=True)
    precision = check_digits(args.precision if args.precision is not None else 50)
    if precision < 50:
        raise ConfigError("--precision", f"audits confirm violations at >= 50 digits, got {precision}")
    workers = require_int("--workers", args.workers, 1, 256)
    cap = require_real("--time-cap", args.time_cap, 0, strict_low=True) if args.time_cap is not None else 1800.0
    seed = require_int("--seed", args.seed if args.seed is not None else 0, 0, 2**31 - 1)
    out_dir = Path(args.out or Path("runs") / f"audit-{args.paper}")
    return AuditContext(paper=args.paper, budget=budget, seed=seed, precision=precision, out_dir=out_dir,
                        workers=workers, scheduler=args.scheduler, options=options, time_cap_s=cap)


def select_claims(args, module) -> list:
    claims = list(module.CLAIMS)
    if args.claim:
        ids = {c.id for c in claims}
        for cid in args.claim:
            if cid not in ids:
                raise ConfigError("--claim", f"no claim {cid!r} in {args.paper} (see `icl-verify claims {args.paper}`)")
        claims = [c for c in claims if c.id in set(args.claim)]
    return claims


def audit_data(entry, ctx: AuditContext, claims, run, env) -> dict:
    """audit.json: JSON is the source of truth; the Markdown is rendered from it."""
    from .engine import audit_fingerprint

    rows = []
    for r in run.results:
        d = r.to_dict()
        if r.witness:
            d["counterexample"] = str(Path(ctx.out_dir) / r.witness)   # as reachable from where the audit ran
        rows.append(d)
    config = {"paper": ctx.paper, "budget": ctx.budget, "seed": ctx.seed, "precision": ctx.precision,
              "time_cap_s": ctx.time_cap_s, "claims": [c.id for c in claims]}
    complete = [c.id for c in claims] == [c.id for c in claims_module(ctx.paper).CLAIMS]
    assessed, problems = assess(findings_for(ctx.paper), rows, complete=complete)
    return {"paper": ctx.paper, "title": entry.title, "config": config, "fingerprint": audit_fingerprint(ctx, claims),
            "environment": env, "counts": counts(run.results), "severity_counts": severity_counts(assessed),
            "findings": [a.to_dict() for a in assessed], "finding_problems": problems, "claims": rows,
            "errors": [e.to_dict() for e in run.errors]}


def certify(out_dir: Path, data: dict) -> dict:
    """Certificates of the audit's violations (and of the verified claims with a certificate builder, for the
    configurations of their worst instances), re-checked by the independent checker; the ledger; and each claim row
    annotated with its ledger status (no verdict changes: the ledger says what the checker proved)."""
    from .certificates import certify_audit
    from .checker import check_dir
    from .ledger import write_ledger

    configs = {}
    for row in data["claims"]:
        worst = (row.get("details") or {}).get("worst_instance") or {}
        if row["outcome"] == "verified" and isinstance(worst, dict) and "config" in worst:
            configs[row["claim_id"]] = [worst["config"]]
    write_json_atomic(out_dir / "audit.json", data)
    t0, tty = time.monotonic(), sys.stderr.isatty()
    print(f"certificates: building them for {len(data['claims'])} claims' verdicts, then the independent checker "
          "re-checks every one", file=sys.stderr, flush=True)

    def progress(k: int, total: int, cid: str) -> None:
        if tty:
            print(f"\r[certificates {k}/{total} {time.monotonic() - t0:6.1f}s] {cid:<48}", end="", file=sys.stderr,
                  flush=True)

    certify_audit(out_dir, configs=configs, progress=progress)
    done = f"certificates built in {time.monotonic() - t0:.1f}s; checking them"
    print("\r" + done + " " * 40 if tty else done, file=sys.stderr, flush=True)
    results = check_dir(out_dir)
    write_ledger(out_dir, results=results)
    ledger = json.loads((out_dir / "ledger.json").read_text())
    status = {r["claim_id"]: r["status"] for r in ledger["claims"]}
    for row in data["claims"]:
        row["ledger"] = status.get(row["claim_id"], "not checked")
    for f in data.get("findings", []):
        f["witness_certified"] = status.get(f["witness_claim"]) == "violated-certified"
    return {"accepted": sum(r.ok for r in results), "rejected": sum(not r.ok for r in results),
            "counts": ledger["counts"]}


def main(args) -> int:
    entry = paper_entry(args.paper)
    module = claims_module(args.paper)
    claims = select_claims(args, module)
    ctx = build_context(args, module, claims)
    progress = _Progress(len(claims))
    ctx.progress = progress.search
    print(f"auditing {len(claims)} claims of {args.paper} (evaluation budgets x{ctx.budget:g}, seed {ctx.seed}) -> "
          f"{ctx.out_dir}", file=sys.stderr)
    try:
        run = run_audit(claims, ctx, resume=args.resume, on_result=progress.result)
    except ResumeMismatch as exc:
        raise ConfigError("--resume", f"{exc} (run without --resume, or with the earlier options)") from None
    finally:
        progress.close()
    env = environment(precision=ctx.precision, seed=ctx.seed)
    data = audit_data(entry, ctx, claims, run, env)
    if not getattr(args, "no_certificates", False):
        data["certificates"] = certify(Path(ctx.out_dir), data)
    write_json_atomic(Path(ctx.out_dir) / "audit.json", data)
    if args.json:
        write_json_atomic(args.json, data)
    write_text_atomic(Path(ctx.out_dir) / "referee_report.md", audit_markdown(data))
    (Path(ctx.out_dir) / "audit.partial.json").unlink(missing_ok=True)
    print(table(run.results))
    print(f"\n{counts(run.results)}; JSON {args.json or Path(ctx.out_dir) / 'audit.json'}, "
          f"report {Path(ctx.out_dir) / 'referee_report.md'}")
    if data.get("certificates"):
        c = data["certificates"]
        print(f"certificates: {c['accepted']} accepted, {c['rejected']} rejected by the independent checker; "
              f"ledger {Path(ctx.out_dir) / 'ledger.md'} ({', '.join(f'{n} {k}' for k, n in c['counts'].items() if n)})")
    if run.errors:
        names = ", ".join(e.claim_id for e in run.errors)
        print(f"icl-verify: tool error in {len(run.errors)} claim(s): {names}; tracebacks in "
              f"{Path(ctx.out_dir) / 'errors.log'}", file=sys.stderr)
        return EXIT_TOOL_ERROR
    if args.strict and any(r.outcome is Outcome.VIOLATED for r in run.results):
        return 1
    return 0


__all__ = ["main", "build_context", "select_claims", "audit_data", "AuditResult"]
