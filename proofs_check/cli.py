"""``icl-verify``: bounds, report, audit, replay, bench, experiment, claims.

Bad input exits with status 2 and one line naming the parameter; nothing is written in that case.
``audit`` exits 0 whatever the verdicts (a paper's errors are findings, not crashes); ``--strict`` exits 1
when a claim is violated.
"""
from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

from symbolic.errors import ConfigError

PROG = "icl-verify"


def add_model_options(p: argparse.ArgumentParser) -> None:
    """The option names shared by every command (each paper reads the ones it needs)."""
    g = p.add_argument_group("configuration (shared by every command)")
    g.add_argument("--depth", type=int, help="N, number of network layers (>= 2)")
    g.add_argument("--width", type=int, help="K, hidden width (>= 1)")
    g.add_argument("--dim", type=int, help="d = d_x = d_y (Theorem 1)")
    g.add_argument("--dim-in", type=int, dest="dim_in", help="d_x (Theorem 4)")
    g.add_argument("--dim-out", type=int, dest="dim_out", help="d_y (Theorem 4)")
    g.add_argument("--context", type=int, help="n, in-context examples (>= 1)")
    g.add_argument("--steps", type=int, help="L, GD steps / layers / loops (>= 1)")
    g.add_argument("--eta", type=str, help="step size eta (> 0)")
    g.add_argument("--Bv", type=str, help="B_v, bound on ||v_jk||_2 (> 0)")
    g.add_argument("--Bx", type=str, help="B_x, bound on ||x_i||_2 (> 0)")
    g.add_argument("--By", type=str, help="B_y, bound on ||y_i||_2 (> 0)")
    g.add_argument("--activation", type=str, help="sigmoid, tanh, softplus, gelu or relu")
    g.add_argument("--loss", type=str, help="square, logcosh or pseudo_huber")
    g.add_argument("--knots", type=int, help="M, knots of the sum-of-ReLU approximants")
    g.add_argument("--eps", type=str, help="target accuracy eps (alternative to --knots)")
    g.add_argument("--radius", type=str, help="approximation radius: 'safe' (ours, default), 'paper', or a number")
    g.add_argument("--precision", type=int, help="decimal digits of the high-precision engine (>= 15, default 50)")
    g.add_argument("--device", type=str, help="cpu, cuda or auto (default auto)")
    g.add_argument("--seed", type=int, help="random seed (default 0)")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)

    b = sub.add_parser("bounds", help="every stated bound as SymPy, evaluated (Wu et al.)")
    b.add_argument("paper")
    add_model_options(b)
    b.add_argument("--json", type=Path, help="write the bounds JSON here")

    r = sub.add_parser("report", help="run one configuration: bound versus empirics (Markdown, JSON, plots)")
    r.add_argument("paper")
    add_model_options(r)
    r.add_argument("--out", type=Path, help="output directory (default runs/report-<paper>)")
    r.add_argument("--save-instance", action="store_true", help="also write the prompt, w0 and the weights")
    r.add_argument("--quick", action="store_true", help="smaller sweeps")

    a = sub.add_parser("audit", help="referee-style audits: every claim searched for counterexamples")
    a.add_argument("paper")
    add_model_options(a)
    a.add_argument("--claim", action="append", help="audit only this claim id (repeatable)")
    a.add_argument("--budget", type=float, default=None, help="total seconds (default per paper)")
    a.add_argument("--max-evals", type=int, dest="max_evals", help="evaluation budget per claim")
    a.add_argument("--json", type=Path, help="write the verdicts JSON here")
    a.add_argument("--out", type=Path, help="directory for the referee report and counterexamples")
    a.add_argument("--resume", action="store_true", help="continue an interrupted run from its partial results")
    a.add_argument("--strict", action="store_true", help="exit 1 when a claim is violated")
    a.add_argument("--workers", type=int, default=1, help="local process pool for the search")
    a.add_argument("--scheduler", type=str, help="Dask scheduler address for the search")

    rp = sub.add_parser("replay", help="re-check a saved counterexample from scratch in high precision")
    rp.add_argument("file", type=Path)
    rp.add_argument("--precision", type=int, help="digits (default: the file's, at least 50)")

    bn = sub.add_parser("bench", help="performance cases against baselines measured in the same run")
    bn.add_argument("--quick", action="store_true")
    bn.add_argument("--json", type=Path)
    bn.add_argument("--device", type=str)
    bn.add_argument("--out", type=Path, help="directory for the cost-growth plot")

    e = sub.add_parser("experiment", help="reproduce a paper's experiment")
    e.add_argument("name")
    add_model_options(e)
    e.add_argument("--scale", choices=["cpu", "gpu"], default="cpu")
    e.add_argument("--out", type=Path)
    e.add_argument("--resume", action="store_true")

    c = sub.add_parser("claims", help="list the registered claims")
    c.add_argument("paper", nargs="?")
    return p


def _cmd_bounds(args) -> int:
    from .bounds_cmd import main

    return main(args)


def _cmd_report(args) -> int:
    from .registry import paper_entry

    entry = paper_entry(args.paper)
    if entry.report is None:
        raise ConfigError("PAPER", f"{args.paper} has no report")
    return importlib.import_module(entry.report).main(args)


def _cmd_audit(args) -> int:
    from .audit_cmd import main

    return main(args)


def _cmd_replay(args) -> int:
    from .witness import replay
    from numeric.precision import check_digits

    if args.precision is not None:
        check_digits(args.precision)
    if not args.file.exists():
        raise ConfigError("FILE", f"no such witness file: {args.file}")
    r = replay(args.file, args.precision)
    print(f"{r.claim_id}: {r.outcome} ({r.method}); {r.summary}")
    for h in r.hypotheses:
        print(f"  hypothesis {h.name}: {'holds' if h.holds else 'FAILS'} {h.detail}")
    return 0


def _cmd_bench(args) -> int:
    from .bench import main

    return main(args)


def _cmd_experiment(args) -> int:
    from .registry import EXPERIMENTS

    if args.name not in EXPERIMENTS:
        raise ConfigError("NAME", f"must be one of {', '.join(EXPERIMENTS)}; got {args.name!r}")
    return importlib.import_module(EXPERIMENTS[args.name]).main(args)


def _cmd_claims(args) -> int:
    from .registry import PAPERS, claims_for

    papers = [args.paper] if args.paper else [p for p in PAPERS if p != "planted"]
    for paper in papers:
        for c in claims_for(paper):
            print(f"{c.id:40s} {c.source}")
    return 0


COMMANDS = {"bounds": _cmd_bounds, "report": _cmd_report, "audit": _cmd_audit, "replay": _cmd_replay,
            "bench": _cmd_bench, "experiment": _cmd_experiment, "claims": _cmd_claims}


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except ConfigError as exc:
        print(f"{PROG}: error: {exc.param}: {exc.message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
