"""``icl-verify``: bounds, report, audit, replay, bench, experiment, claims.

Bad input exits with status 2 and one line ``icl-verify: error: PARAM: message`` naming the parameter and its
allowed range; nothing is written in that case.  Every option is checked against the paper it is used with, and
output paths and sizes before any work starts (``proofs_check.validation``).  ``audit`` exits 0 whatever the
verdicts (a paper's errors are findings, not crashes); ``--strict`` exits 1 when a claim is violated.
"""
from __future__ import annotations

import argparse
import importlib
import os
import re
import sys
from pathlib import Path

from symbolic.errors import ConfigError

PROG = "icl-verify"


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (``icl-verify: error: PARAM: message``, exit 2) and no abbreviated options."""

    def __init__(self, *a, **kw):
        kw.setdefault("allow_abbrev", False)
        super().__init__(*a, **kw)

    def error(self, message):  # noqa: D401 - argparse's hook
        print(f"{PROG}: error: {_one_line(message, self.prog)}", file=sys.stderr)
        sys.exit(2)


def _one_line(message: str, prog: str = PROG) -> str:
    """argparse's message as PARAM: message ('argument --depth: expected one argument' -> '--depth: ...')."""
    message = " ".join(str(message).split())
    m = re.match(r"argument ([^:]+): (.*)", message)
    if m:
        name = m.group(1).split("/")[-1]
        name = {"command": "COMMAND"}.get(name, name)
        return f"{name}: {m.group(2)}"
    m = re.match(r"the following arguments are required: (.*)", message)
    if m:
        return f"{m.group(1).upper()}: required (see {prog} --help)"
    m = re.match(r"unrecognized arguments: (.*)", message)
    if m:
        return f"{m.group(1).split()[0]}: unrecognized argument (see {prog} --help)"
    return message


def add_model_options(p: argparse.ArgumentParser) -> None:
    """The option names shared by every command (each paper reads the ones it needs)."""
    # Parsed as strings: proofs_check.validation converts them with the range of the paper they are used with, and
    # rejects an option the paper does not read.
    g = p.add_argument_group("configuration (shared by every command; each paper reads the ones it uses and "
                             "rejects the others)")
    g.add_argument("--depth", type=str, help="N, number of network layers (>= 2)")
    g.add_argument("--width", type=str, help="K, hidden width (>= 1)")
    g.add_argument("--dim", type=str, help="d = d_x = d_y (Theorem 1)")
    g.add_argument("--dim-in", type=str, dest="dim_in", help="d_x (Theorem 4)")
    g.add_argument("--dim-out", type=str, dest="dim_out", help="d_y (Theorem 4)")
    g.add_argument("--context", type=str, help="n, in-context examples (>= 1)")
    g.add_argument("--steps", type=str, help="L, GD steps / layers / loops (>= 1)")
    g.add_argument("--eta", type=str, help="step size eta (> 0)")
    g.add_argument("--Bv", type=str, help="B_v, bound on ||v_jk||_2 (> 0)")
    g.add_argument("--Bx", type=str, help="B_x, bound on ||x_i||_2 (> 0)")
    g.add_argument("--By", type=str, help="B_y, bound on ||y_i||_2 (> 0)")
    g.add_argument("--activation", type=str, help="sigmoid, tanh, softplus, gelu or relu (relu: bounds and audit only)")
    g.add_argument("--loss", type=str, help="square, logcosh or pseudo_huber")
    g.add_argument("--knots", type=str, help="M, knots of the sum-of-ReLU approximants")
    g.add_argument("--eps", type=str, help="target accuracy eps (alternative to --knots)")
    g.add_argument("--radius", type=str, help="approximation radius: 'safe' (ours, default), 'paper', or a number")
    g.add_argument("--precision", type=str, help="decimal digits of the high-precision engine (>= 15, default 50)")
    g.add_argument("--device", type=str, help="cpu, cuda or auto (default auto)")
    g.add_argument("--seed", type=str, help="random seed (default 0)")


def add_allow_large(p: argparse.ArgumentParser) -> None:
    p.add_argument("--allow-large", action="store_true", dest="allow_large",
                   help="run even when the resource estimate (memory, evaluations, time) is over this machine's limits")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog=PROG, description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    b = sub.add_parser("bounds", help="every stated bound as SymPy, evaluated (Wu et al.)")
    b.add_argument("paper")
    add_model_options(b)
    b.add_argument("--json", type=Path, help="write the bounds JSON here")
    add_allow_large(b)

    r = sub.add_parser("report", help="run one configuration: bound versus empirics (Markdown, JSON, plots)")
    r.add_argument("paper")
    add_model_options(r)
    r.add_argument("--out", type=Path, help="output directory (default runs/report-<paper>)")
    r.add_argument("--save-instance", action="store_true", help="also write the prompt, w0 and the weights")
    r.add_argument("--quick", action="store_true", help="smaller sweeps")
    add_allow_large(r)

    a = sub.add_parser("audit", help="referee-style audits: every claim searched for counterexamples")
    a.add_argument("paper")
    add_model_options(a)
    a.add_argument("--claim", action="append", help="audit only this claim id (repeatable)")
    a.add_argument("--budget", type=str, default=None,
                   help="multiplier of every claim's evaluation budget (default 1; a claim never runs below its "
                        "declared floor). Budgets count evaluations, samples and steps, never seconds, so a fixed "
                        "command gives the same verdicts on any machine")
    a.add_argument("--no-certificates", action="store_true", dest="no_certificates",
                   help="skip building the certificates and the ledger (the verdicts are the same)")
    a.add_argument("--time-cap", type=str, dest="time_cap", default=None,
                   help="per-claim safety cap in seconds (default 1800); a claim stopped by it is inconclusive")
    a.add_argument("--json", type=Path, help="write the verdicts JSON here")
    a.add_argument("--out", type=Path, help="directory for the referee report and counterexamples")
    a.add_argument("--resume", action="store_true", help="continue an interrupted run from its partial results")
    a.add_argument("--strict", action="store_true", help="exit 1 when a claim is violated")
    a.add_argument("--workers", type=int, default=1, help="local process pool for the search")
    a.add_argument("--scheduler", type=str, help="Dask scheduler address for the search")

    rp = sub.add_parser("replay", help="re-check a saved counterexample from scratch in high precision")
    rp.add_argument("file", type=Path)
    rp.add_argument("--precision", type=int, help="digits (default: the file's, at least 50)")

    ck = sub.add_parser("check", help="re-check every certificate of an audit folder with the independent checker "
                                      "(exit 0: all accepted, 1: one rejected, 2: no certificates) and write the ledger")
    ck.add_argument("dir", type=Path)

    bn = sub.add_parser("bench", help="performance cases against baselines measured in the same run")
    bn.add_argument("--quick", action="store_true")
    bn.add_argument("--json", type=Path)
    bn.add_argument("--device", type=str, help="cpu, cuda or auto (default auto)")
    bn.add_argument("--out", type=Path, help="directory for the cost-growth plot")

    e = sub.add_parser("experiment", help="reproduce a paper's experiment")
    e.add_argument("name")
    add_model_options(e)
    e.add_argument("--scale", choices=["cpu", "gpu"], default="cpu")
    e.add_argument("--out", type=Path, help="output directory (default runs/experiment-NAME-SCALE)")
    e.add_argument("--resume", action="store_true", help="continue an interrupted run (same options only)")
    add_allow_large(e)

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
    """Exit 0: the saved verdict reproduced; 1: it did not (both printed); 2: the file is not a witness."""
    from numeric.precision import check_digits

    from .witness import WitnessError, replay

    if args.precision is not None:
        check_digits(args.precision)
    try:
        r = replay(args.file, args.precision)
    except WitnessError as exc:
        raise ConfigError("FILE", str(exc)) from None
    print(f"{r.claim_id}: {'reproduced' if r.reproduced else 'NOT reproduced'}: recomputed {r.outcome}, saved "
          f"{r.saved}; {r.summary}")
    for h in r.hypotheses:
        print(f"  hypothesis {h.name}: {'holds' if h.holds else 'FAILS'} {h.detail}")
    return 0 if r.reproduced else 1


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


def _cmd_check(args) -> int:
    from .ledger import check_command

    if not args.dir.is_dir():
        raise ConfigError("DIR", f"no such audit folder: {args.dir}")
    if not (args.dir / "certificates").is_dir():
        raise ConfigError("DIR", f"{args.dir} has no certificates/ folder (an audit run with --no-certificates, or "
                                 "not an audit folder)")
    return check_command(args.dir)


COMMANDS = {"bounds": _cmd_bounds, "report": _cmd_report, "audit": _cmd_audit, "replay": _cmd_replay,
            "check": _cmd_check, "bench": _cmd_bench, "experiment": _cmd_experiment, "claims": _cmd_claims}


def _silence_stdout() -> None:
    """After a closed pipe (``icl-verify claims | head``): send the rest of stdout to /dev/null so that the
    interpreter's final flush does not raise again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # pragma: no cover - stdout without a file descriptor
        pass


def main(argv=None) -> int:
    """Parse, validate every option and output path (exit 2, one line, nothing written), then run the command."""
    from . import validation

    try:
        args = build_parser().parse_args(argv)
        try:
            validation.validate(args)
            rc = COMMANDS[args.command](args)
        except ConfigError as exc:
            exc = validation.cli_error(exc)
            print(f"{PROG}: error: {exc.param}: {' '.join(str(exc.message).split())}", file=sys.stderr)
            return 2
        except KeyboardInterrupt:
            print(f"{PROG}: interrupted", file=sys.stderr)
            return 130
        sys.stdout.flush()
        return rc
    except BrokenPipeError:
        _silence_stdout()
        return 141  # 128 + SIGPIPE, what a shell reports for a writer whose reader went away


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
