"""Property-based fuzzing of the CLI (hypothesis): generated argument lists for every command (numbers of every sign
and size, NaN/inf, strings, missing and repeated options, unknown options, bad paths) and generated witness files
for ``replay`` must end with a documented exit status (0 or 2; audit --strict 1; replay 1 = not reproduced), with
exactly one line ``icl-verify: error: ...`` on exit 2, never a traceback, and nothing written on exit 2.

The CLI runs in-process (``proofs_check.cli.main``).  Commands whose valid input starts real work (bounds, report,
bench, experiment, audits of the real papers) are replaced by a stub once validation has passed: the stub checks
that every option arrives converted to its type, and counts the cases that reached the work stage.  ``claims``,
audits of the planted paper (tiny budgets) and ``replay`` run for real, and a small separate property runs
``bounds`` for real on valid-leaning input.

Default run: FUZZ_EXAMPLES (100) cases per command, about 10-20 s in all.  ``-m slow``: 2000 per command
(``ICL_VERIFY_FUZZ_SLOW`` overrides), bounds for real 200.
"""
from __future__ import annotations

import collections
import contextlib
import io
import json
import os
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from proofs_check import cli, validation

FUZZ_EXAMPLES = int(os.environ.get("ICL_VERIFY_FUZZ_EXAMPLES", "100"))
FUZZ_SLOW = int(os.environ.get("ICL_VERIFY_FUZZ_SLOW", "2000"))
RAN = collections.Counter()       # cases run, per command
REACHED = collections.Counter()   # cases that passed validation and reached the work stage
CODES = collections.Counter()     # (command, exit status)


def _settings(n: int):
    return settings(max_examples=n, deadline=None, database=None, derandomize=True, print_blob=True,
                    suppress_health_check=list(HealthCheck))


# ------------------------------------------------------------------------------------------------ values and paths

NUMBERS = st.one_of(
    st.integers(-5, 70).map(str),
    st.integers(-(10**40), 10**40).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.floats(min_value=1e-320, max_value=1e300).map(lambda x: f"{x:.3g}"),
    st.sampled_from(["nan", "NaN", "-nan", "inf", "-inf", "+inf", "Infinity", "1e300", "-1e300", "1e-300", "1e309",
                     "0", "-0", "0.0", "+3", "1e3", "2.5", "0x10", "1_000", " 3", "3 ", "", " ", "abc", "\u0663", "1e",
                     "-", "--", "None", "true", "9" * 500, "1/2", "3j"]),
    st.text(max_size=6),
)
VALID = {
    "--depth": ["2", "3", "4"], "--width": ["1", "2", "3", "8", "16"], "--dim": ["1", "2", "3"],
    "--dim-in": ["2", "3"], "--dim-out": ["1", "2"], "--context": ["2", "4", "10"], "--steps": ["1", "2", "3"],
    "--eta": ["0.1", "0.5", "1e300"], "--Bv": ["1", "1.5"], "--Bx": ["1", "2"], "--By": ["1", "0.5"],
    "--activation": ["sigmoid", "tanh", "softplus", "gelu", "relu"], "--loss": ["square", "logcosh", "pseudo_huber"],
    "--knots": ["20", "40", "80"], "--eps": ["0.1", "0.01"], "--radius": ["safe", "paper", "3"],
    "--precision": ["15", "50", "60"], "--device": ["auto", "cpu", "cuda", "cuda:0"], "--seed": ["0", "1", "7"],
    "--scale": ["cpu", "gpu", "tpu"], "--budget": ["0.01", "0.02", "0", "-1", "nan", "1e9"],
    "--time-cap": ["30", "0", "-1", "nan", "1e-9"], "--workers": ["1", "0", "-3", "x", "1000"],
    "--claim": ["planted.true_bound", "planted.false_bound", "planted.inapplicable", "nope", "", "wu2025.lemma2"],
    "--scheduler": ["", " ", "tcp://a b", "\x00"],
}
SHARED = list(validation.FLAGS.values())
PATH_KEYS = ["fresh", "fresh", "file", "dir", "missing_parent", "under_file", "proc", "devnull", "empty", "nul",
             "dot", "cwd_runs"]


class Paths:
    """Concrete paths for the generated path keys, under one base folder per test."""

    def __init__(self, base: Path):
        self.base = base
        (base / "a_file").write_text("x")
        (base / "a_dir").mkdir(exist_ok=True)
        self.n = 0

    def get(self, key: str) -> str:
        self.n += 1
        return {"fresh": str(self.base / f"fresh_{self.n}"), "file": str(self.base / "a_file"),
                "dir": str(self.base / "a_dir"), "missing_parent": str(self.base / "missing" / "x"),
                "under_file": str(self.base / "a_file" / "x"), "proc": "/proc/icl-verify-x", "devnull": "/dev/null",
                "empty": "", "nul": "a\x00b", "dot": ".", "cwd_runs": "runs"}[key]


def _costly(flag: str, v: str) -> bool:
    """A valid audit value that would make the run slow (a large budget, a process pool, many digits)."""
    try:
        x = float(v)
    except (TypeError, ValueError, OverflowError):
        return False
    return ((flag == "--budget" and 0.05 < x <= 1000) or (flag == "--workers" and 2 <= x <= 256)
            or (flag == "--precision" and 80 <= x <= 100000))


SAFE_AUDIT = ("--budget", "--workers", "--precision")


def value_for(flag: str, command: str = ""):
    if flag in ("--out", "--json"):
        return st.sampled_from(PATH_KEYS).map(lambda k: ("path", k))
    pool = VALID.get(flag)
    numbers = NUMBERS.filter(lambda v: not _costly(flag, v)) if command == "audit" and flag in SAFE_AUDIT else NUMBERS
    return st.one_of(st.sampled_from(pool), st.sampled_from(pool), numbers) if pool else numbers


@st.composite
def arguments(draw, command: str, positionals: list, flags: list, switches: list):
    """[command, positional?, options...]: options with values, with a missing value, as --flag=value, repeated,
    unknown options and stray positionals (paths as ('path', key) placeholders)."""
    argv = [command]
    pos = draw(st.sampled_from(positionals))
    if pos is not None:
        argv.append(pos)
    option = st.sampled_from(flags).flatmap(lambda f: value_for(f, command).map(lambda v: [f, v]))
    items = draw(st.lists(st.one_of(
        option, option, option,
        st.sampled_from(flags).flatmap(lambda f: value_for(f, command).map(
            lambda v: [f"{f}={v}"] if isinstance(v, str) else [f, v])),
        st.sampled_from(flags).map(lambda f: [f]),                         # a missing value
        st.sampled_from(switches or ["--frob"]).map(lambda f: [f]),
        st.sampled_from(["--frob", "-x", "extra", "--", "-", "--dep", "--json", "--out"]).map(lambda f: [f]),
    ), max_size=7))
    for it in items:
        argv += it
    return argv


OWN_FLAGS = {"bounds": ["--json"], "report": ["--out"], "experiment": ["--out", "--scale"],
             "bench": ["--json", "--device", "--out"], "claims": [],
             "audit": ["--budget", "--time-cap", "--workers", "--claim", "--json", "--out"]}
GOOD_PAPERS = {"bounds": ["wu2025"], "report": ["wu2025", "vonoswald2023", "ahn2023", "gatmiry2024", "hu2025lora"],
               "experiment": ["wu2025-icl"], "bench": [None], "claims": [None, "wu2025", "planted", "hu2025lora"],
               "audit": ["planted", "planted", "wu2025", "vonoswald2023", "ahn2023"]}


@st.composite
def valid_leaning(draw, command: str, switches: list):
    """Mostly valid input: a real paper, only the options it reads, values mostly from the valid pools."""
    paper = draw(st.sampled_from(GOOD_PAPERS[command]))
    argv = [command] + ([paper] if paper is not None else [])
    used = [validation.FLAGS[d] for d in validation.USES.get((command, paper), {})]
    flags = sorted(set(used + OWN_FLAGS[command]))
    if flags:
        for flag in draw(st.lists(st.sampled_from(flags), max_size=5, unique=True)):
            pool = VALID.get(flag)
            if flag in ("--out", "--json"):
                v = draw(st.sampled_from(["fresh", "fresh", "fresh", "dir" if flag == "--out" else "fresh"] +
                                         PATH_KEYS).map(lambda k: ("path", k)))
            elif pool and draw(st.integers(0, 9)) < 8:
                v = draw(st.sampled_from(pool))
            else:
                v = draw(value_for(flag, command).filter(lambda x: isinstance(x, str)))
            argv += [flag, v]
    argv += draw(st.lists(st.sampled_from([w for w in switches if w != "-h"] or ["--frob"]), max_size=2,
                          unique=True))
    return argv


def resolve(argv: list, paths: Paths) -> list[str]:
    return [paths.get(a[1]) if isinstance(a, tuple) else a for a in argv]


def snapshot(base: Path) -> dict:
    out = {}
    for p in base.rglob("*"):
        try:
            st_ = p.lstat()
        except OSError:
            continue
        out[str(p.relative_to(base))] = (st_.st_size, st_.st_mtime_ns, p.is_dir())
    return out


def run_cli(argv: list[str]):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            rc = cli.main(argv)
        except SystemExit as exc:           # argparse: --help 0, usage errors 2 (after one line)
            rc = exc.code if isinstance(exc.code, int) else 2
    return rc, out.getvalue(), err.getvalue()


def check(argv: list[str], base: Path, allowed=(0, 2), name: str | None = None) -> int:
    """Run once; documented exit status, one line on exit 2, no traceback, nothing written on exit 2.  An exception
    escaping ``main`` fails the test (hypothesis shrinks it to a minimal argument list)."""
    before = snapshot(base)
    rc, out, err = run_cli(argv)
    RAN[name or argv[0]] += 1
    CODES[(name or argv[0], rc)] += 1
    assert "Traceback" not in err and "Traceback" not in out, (argv, err)
    assert rc in allowed, (argv, rc, err[-2000:])
    if rc == 2:
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("icl-verify: error: "), (argv, err)
        assert ": " in lines[0][len("icl-verify: error: "):], (argv, lines[0])
        assert snapshot(base) == before, (argv, "wrote files on exit 2")
    return rc


def _typed(args) -> None:
    """The stub's check: every shared option arrives converted to the type its paper's table declares."""
    table = validation.uses(args.command, validation.paper_of(args))
    for dest, opt in table.items():
        v = getattr(args, dest, None)
        if v is None:
            continue
        want = {"int": int, "real": float}.get(opt.kind, str)
        assert isinstance(v, want) and not isinstance(v, bool), (dest, v, opt)


def reached(args) -> int:
    if args.command in ("bounds", "report", "audit", "experiment"):
        _typed(args)
    REACHED[args.command] += 1
    return 0


REAL_AUDIT = cli.COMMANDS["audit"]


def audit_planted_or_stub(args) -> int:
    if args.paper != "planted":
        return reached(args)
    REACHED[args.command] += 1
    return REAL_AUDIT(args)


STUBS = {"bounds": reached, "report": reached, "bench": reached, "experiment": reached,
         "audit": audit_planted_or_stub}


@contextlib.contextmanager
def in_folder(base: Path):
    old = os.getcwd()
    (base / "cwd").mkdir(exist_ok=True)
    os.chdir(base / "cwd")
    try:
        yield
    finally:
        os.chdir(old)


PAPERS = ["wu2025", "wu2025", "vonoswald2023", "ahn2023", "gatmiry2024", "hu2025lora", "planted", "nope", "", None]
SPECS = {
    "bounds": (PAPERS, SHARED + ["--json"], ["--allow-large", "-h"]),
    "report": (PAPERS, SHARED + ["--out"], ["--save-instance", "--quick", "--allow-large"]),
    "experiment": (["wu2025-icl", "wu2025-icl", "wu2025-icl", "nope", None],
                   SHARED + ["--out", "--scale"], ["--resume", "--allow-large"]),
    "bench": ([None, None, "extra"], ["--json", "--device", "--out"], ["--quick"]),
    "claims": ([None, "wu2025", "planted", "ahn2023", "nope", ""], ["--paper", "--json"], ["-h"]),
    "audit": (["planted", "planted", "planted", "wu2025", "vonoswald2023", "hu2025lora", "nope", None],
              ["--precision", "--seed", "--budget", "--time-cap", "--workers", "--claim", "--json", "--out",
               "--scheduler", "--depth", "--eta", "--steps", "--device", "--context"],
              ["--resume", "--strict"]),
}


def fuzz(command: str, n: int, base: Path) -> None:
    positionals, flags, switches = SPECS[command]
    paths = Paths(base)

    @_settings(n)
    @given(st.one_of(arguments(command, positionals, flags, switches), valid_leaning(command, switches)))
    def prop(argv):
        argv = resolve(argv, paths)
        if command == "audit":     # tiny budgets first (a generated --budget later wins, and is tiny or invalid)
            argv = argv[:2] + ["--budget", "0.01"] + argv[2:] if len(argv) >= 2 else argv
        allowed = (0, 1, 2) if command == "audit" and "--strict" in argv else (0, 2)
        check(argv, base, allowed, name=command)

    with in_folder(base), mock.patch.dict(cli.COMMANDS, STUBS):
        prop()


COMMANDS = ["bounds", "report", "claims", "bench", "experiment", "audit"]


@pytest.mark.parametrize("command", COMMANDS)
def test_fuzz_cli(command, tmp_path):
    RAN[command] = REACHED[command] = 0
    fuzz(command, FUZZ_EXAMPLES, tmp_path)
    assert RAN[command] >= FUZZ_EXAMPLES


@pytest.mark.slow
@pytest.mark.parametrize("command", COMMANDS)
def test_fuzz_cli_slow(command, tmp_path):
    RAN[command] = REACHED[command] = 0
    fuzz(command, FUZZ_SLOW, tmp_path)
    print(f"\nfuzz {command}: {RAN[command]} cases, {REACHED[command]} reached the work stage, 0 tracebacks")
    assert RAN[command] >= FUZZ_SLOW
    if command in ("bounds", "report", "bench", "experiment"):
        assert REACHED[command] > 0          # valid input does get through validation


# ------------------------------------------------------------------------------------------------ bounds for real


REAL_BOUNDS = {"--depth": ["2", "3"], "--width": ["1", "2", "3"], "--dim": ["1", "2"], "--context": ["2", "4"],
               "--steps": ["1", "2"], "--eta": ["0.5", "1e300", "1e-300"], "--Bv": ["1.5", "1e-300", "30"],
               "--Bx": ["1", "1e-300"], "--By": ["1", "1e-300"], "--activation": VALID["--activation"],
               "--loss": VALID["--loss"], "--knots": ["2", "20"], "--eps": ["0.5", "0.05"],
               "--radius": ["safe", "paper", "1e-300", "3"], "--precision": ["15", "30"]}


@st.composite
def bounds_argv(draw):
    argv = ["bounds", "wu2025"]
    for flag in draw(st.lists(st.sampled_from(sorted(REAL_BOUNDS)), max_size=5, unique=True)):
        argv += [flag, draw(st.one_of(st.sampled_from(REAL_BOUNDS[flag]), st.sampled_from(REAL_BOUNDS[flag]),
                                      NUMBERS))]
    if draw(st.booleans()):
        argv += ["--json", "b.json"]
    return argv


def _fuzz_bounds_real(n: int, base: Path) -> None:
    @_settings(n)
    @given(bounds_argv())
    def prop(argv):
        check(argv, base, name="bounds (real)")

    with in_folder(base):
        prop()


def test_fuzz_bounds_for_real(tmp_path):
    _fuzz_bounds_real(max(3, FUZZ_EXAMPLES // 6), tmp_path)


@pytest.mark.slow
def test_fuzz_bounds_for_real_slow(tmp_path):
    _fuzz_bounds_real(200, tmp_path)
    print(f"\nfuzz bounds (real): {RAN['bounds (real)']} cases, 0 tracebacks")


# ------------------------------------------------------------------------------------------------ replay


@pytest.fixture(scope="module")
def witness(tmp_path_factory) -> dict:
    """A real witness: the planted false bound, found by a tiny audit."""
    d = tmp_path_factory.mktemp("witness")
    rc, out, err = run_cli(["audit", "planted", "--claim", "planted.false_bound", "--budget", "0.05", "--out",
                            str(d / "audit")])
    assert rc == 0, err
    files = sorted((d / "audit" / "counterexamples").glob("*.json"))
    assert files, (out, err)
    return json.loads(files[0].read_text())


JSON = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20), st.floats(), st.text(max_size=8)),
                    lambda c: st.one_of(st.lists(c, max_size=4), st.dictionaries(st.text(max_size=6), c, max_size=4)),
                    max_leaves=12)
WITNESS_KEYS = ["format", "claim", "instance", "observed", "bound", "outcome", "tier", "precision_digits", "ratio",
                "hypotheses", "details", "source", "statement", "spread", "cause", "tool_version"]


@st.composite
def witness_file(draw, base: dict):
    """Bytes of a file: the real witness with mutations (keys dropped, values replaced, instance reshaped), other
    JSON, text, binary; or a special path (missing, directory, empty)."""
    kind = draw(st.sampled_from(["mutated"] * 6 + ["json", "text", "binary", "missing", "directory", "empty"]))
    if kind in ("missing", "directory", "empty"):
        return kind
    if kind == "json":
        return json.dumps(draw(JSON)).encode()
    if kind == "text":
        return draw(st.text(max_size=200)).encode("utf-8", "surrogatepass")
    if kind == "binary":
        return draw(st.binary(max_size=300))
    w = json.loads(json.dumps(base))
    for _ in range(draw(st.integers(1, 4))):
        key = draw(st.sampled_from(WITNESS_KEYS))
        op = draw(st.sampled_from(["drop", "json", "number", "instance", "claim"]))
        if op == "drop":
            w.pop(key, None)
        elif op == "json":
            w[key] = draw(JSON)
        elif op == "number":
            w[key] = draw(st.one_of(NUMBERS, st.floats(), st.integers()))
        elif op == "instance":
            w["instance"] = {"x": draw(st.lists(st.one_of(st.floats(), st.integers(-10**6, 10**6), NUMBERS, JSON),
                                                max_size=5))}
        else:
            w["claim"] = draw(st.sampled_from(["planted.true_bound", "planted.false_bound", "planted.inapplicable",
                                               "planted.exact_false", "nope", "", "wu2025.nope"]))
    text = json.dumps(w, allow_nan=draw(st.booleans())) if draw(st.booleans()) else json.dumps(w)
    return text.encode()


def _fuzz_replay(n: int, base: Path, witness: dict) -> None:
    counter = [0]

    @_settings(n)
    @given(witness_file(witness), st.sampled_from([None, None, "50", "60", "15", "14", "x", "-1", "100001"]))
    def prop(content, precision):
        counter[0] += 1
        path = base / f"w_{counter[0]}.json"
        if content == "directory":
            path.mkdir()
        elif content == "empty":
            path.write_bytes(b"")
        elif content != "missing":
            path.write_bytes(content)
        argv = ["replay", str(path)] + ([] if precision is None else ["--precision", precision])
        check(argv, base, (0, 1, 2), name="replay")

    prop()


def test_fuzz_replay(tmp_path, witness):
    _fuzz_replay(FUZZ_EXAMPLES, tmp_path, witness)


@pytest.mark.slow
def test_fuzz_replay_slow(tmp_path, witness):
    RAN["replay"] = 0
    _fuzz_replay(FUZZ_SLOW, tmp_path, witness)
    print(f"\nfuzz replay: {RAN['replay']} cases, 0 tracebacks")
    assert RAN["replay"] >= FUZZ_SLOW
