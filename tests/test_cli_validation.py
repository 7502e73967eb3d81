"""The CLI's validation layer (proofs_check.validation): every bad input of issue 17's list ends with exit 2 and one
line ``icl-verify: error: PARAM: message``, before any work and with nothing written; outputs are atomic and 0644;
``claims | head`` ends quietly; numeric/ never imports proofs_check/."""
from __future__ import annotations

import ast
import contextlib
import io
import os
import stat
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest

from proofs_check import cli, validation
from proofs_check.io import atomic_path, write_json_atomic, write_text_atomic

ROOT = Path(__file__).resolve().parent.parent


def run_cli(argv, stub: dict | None = None):
    """(exit status, stdout, stderr) of ``cli.main(argv)`` in-process; ``stub`` replaces commands (name -> fn)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.ExitStack() as st:
        if stub:
            st.enter_context(mock.patch.dict(cli.COMMANDS, stub))
        st.enter_context(contextlib.redirect_stdout(out))
        st.enter_context(contextlib.redirect_stderr(err))
        try:
            rc = cli.main([str(a) for a in argv])
        except SystemExit as exc:   # argparse (--help: 0, bad usage: 2)
            rc = exc.code
    return rc, out.getvalue(), err.getvalue()


class Reached(Exception):
    pass


def _reached(args):
    raise Reached(args)


WORK = {k: _reached for k in ("bounds", "report", "bench", "experiment", "audit")}


def tree(path: Path) -> set:
    return {str(p.relative_to(path)) for p in path.rglob("*")}


def assert_usage_error(argv, tmp_path, *needles, cwd=None):
    """Exit 2, exactly one stderr line naming the parameter, no traceback, nothing written (tmp_path and cwd)."""
    before = tree(tmp_path)
    rc, out, err = run_cli(argv, WORK)
    lines = err.strip().splitlines()
    assert rc == 2, (argv, rc, err)
    assert len(lines) == 1 and lines[0].startswith("icl-verify: error: "), (argv, err)
    assert "Traceback" not in err
    for n in needles:
        assert n in lines[0], (argv, n, lines[0])
    assert tree(tmp_path) == before, argv
    return lines[0]


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


# ------------------------------------------------------------------------------------------------ output paths


@pytest.mark.parametrize("command", [["report", "wu2025"], ["audit", "planted"], ["experiment", "wu2025-icl"],
                                     ["bench"], ["report", "ahn2023"]])
def test_out_must_be_a_writable_folder(in_tmp, command):
    f = in_tmp / "a_file"
    f.write_text("x")
    assert_usage_error(command + ["--out", f], in_tmp, "--out", "not a folder")
    assert_usage_error(command + ["--out", in_tmp / "missing" / "deeper"], in_tmp, "--out", "does not exist")
    assert_usage_error(command + ["--out", f / "sub"], in_tmp, "--out")
    assert_usage_error(command + ["--out", "/proc/icl-verify-out"], in_tmp, "--out", "cannot create files")


@pytest.mark.parametrize("command", [["bounds", "wu2025"], ["audit", "planted"], ["bench"]])
def test_json_must_be_a_writable_file(in_tmp, command):
    d = in_tmp / "a_dir"
    d.mkdir()
    assert_usage_error(command + ["--json", d], in_tmp, "--json", "is a folder")
    assert_usage_error(command + ["--json", in_tmp / "missing" / "x.json"], in_tmp, "--json", "does not exist")
    assert_usage_error(command + ["--json", "/dev/null"], in_tmp, "--json", "not a regular file")
    assert_usage_error(command + ["--json", "/proc/x.json"], in_tmp, "--json")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through permissions")
def test_unwritable_folder_by_permissions(in_tmp):
    ro = in_tmp / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        assert_usage_error(["bounds", "wu2025", "--json", ro / "b.json"], in_tmp, "--json", "cannot create")
        assert_usage_error(["report", "wu2025", "--out", ro], in_tmp, "--out", "cannot create")
    finally:
        ro.chmod(0o700)


def test_valid_paths_pass_and_defaults_may_create_parents(in_tmp):
    (in_tmp / "old.json").write_text("{}")           # an existing regular file is replaced
    for argv in (["bounds", "wu2025", "--json", in_tmp / "old.json"], ["report", "wu2025", "--out", in_tmp / "new"],
                 ["report", "wu2025"], ["audit", "planted", "--json", "x.json"]):
        with pytest.raises(Reached):
            _run_reaching(argv)
    assert not (in_tmp / "runs").exists() and not (in_tmp / "new").exists()   # validation creates nothing


def _run_reaching(argv):
    with mock.patch.dict(cli.COMMANDS, WORK):
        cli.main([str(a) for a in argv])


def test_atomic_writes_have_normal_permissions(tmp_path):
    old = os.umask(0o022)
    try:
        write_json_atomic(tmp_path / "a" / "b.json", {"x": 1})
        write_text_atomic(tmp_path / "c.md", "text")
        with atomic_path(tmp_path / "d.png") as tmp:
            tmp.write_bytes(b"png")
    finally:
        os.umask(old)
    for name in ("a/b.json", "c.md", "d.png"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o644, name
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "c.md", "d.png"]   # no temporary left
    with pytest.raises(RuntimeError):
        with atomic_path(tmp_path / "e.json"):
            raise RuntimeError("writer failed")
    assert not (tmp_path / "e.json").exists() and sorted(p.name for p in tmp_path.iterdir()) == ["a", "c.md", "d.png"]


# ------------------------------------------------------------------------------------------------ options per paper


CASES = [
    (["report", "wu2025", "--activation", "relu"], ["--activation", "twice", "audit wu2025 --activation relu"]),
    (["report", "wu2025", "--context", "100000"], ["--context", "GB of memory", "--allow-large"]),
    (["report", "wu2025", "--width", "4096"], ["--width", "--allow-large"]),
    (["report", "wu2025", "--precision", "100000"], ["--precision", "h on 2 CPU cores", "--allow-large"]),
    (["bounds", "wu2025", "--knots", "10000000"], ["--knots", "--allow-large"]),
    (["report", "wu2025", "--eps", "1e-12"], ["--eps", "--allow-large"]),
    (["report", "vonoswald2023", "--eta", "nan"], ["--eta", "not used by `icl-verify report vonoswald2023`"]),
    (["audit", "ahn2023", "--depth", "0", "--context", "-5"], ["--depth", "not used by `icl-verify audit ahn2023`"]),
    (["audit", "vonoswald2023", "--context", "-5"], ["--context", "[1, 200]"]),
    (["audit", "vonoswald2023", "--eta", "1"], ["--eta", "not used"]),
    (["audit", "wu2025", "--steps", "3"], ["--steps", "not used by `icl-verify audit wu2025`"]),
    (["audit", "wu2025", "--depth", "1"], ["--depth", "[2, 64]"]),
    (["audit", "wu2025", "--device", "cuda"], ["--device"]),
    (["audit", "planted", "--precision", "20"], ["--precision", "[50, 10^5]"]),
    (["bounds", "wu2025", "--depth", "1"], ["--depth", "N (network depth)", "[2, 64]"]),
    (["bounds", "wu2025", "--device", "cpu"], ["--device", "not used by `icl-verify bounds wu2025`"]),
    (["bounds", "wu2025", "--seed", "3"], ["--seed", "not used"]),
    (["bounds", "ahn2023"], ["PAPER", "wu2025 only"]),
    (["bounds", "wu2025", "--knots", "20", "--eps", "0.1"], ["--eps", "not both"]),
    (["bounds", "wu2025", "--dim", "2", "--dim-in", "3"], ["--dim", "not both"]),
    (["bounds", "wu2025", "--dim-out", "3"], ["--dim-out", "--dim-in"]),
    (["report", "wu2025", "--eta", "nan"], ["--eta", "finite"]),
    (["report", "wu2025", "--Bv", "inf"], ["--Bv", "finite"]),
    (["report", "wu2025", "--Bx", "-1"], ["--Bx", "(0, inf)"]),
    (["report", "wu2025", "--eta=-1e300"], ["--eta"]),
    (["report", "wu2025", "--radius", "-2"], ["--radius", "'safe', 'paper'"]),
    (["report", "wu2025", "--depth", "2.5"], ["--depth", "integer"]),
    (["report", "wu2025", "--depth", "9" * 5000], ["--depth", "integer"]),
    (["report", "wu2025", "--seed", "-1"], ["--seed", "[0, 2^31-1]"]),
    (["report", "wu2025", "--loss", "l1"], ["--loss", "square"]),
    (["report", "wu2025", "--device", "tpu"], ["--device", "auto, cpu, cuda"]),
    (["report", "hu2025lora", "--dim", "17"], ["--dim", "[1, 16]"]),
    (["report", "planted"], ["PAPER", "no report"]),
    (["report", "nope"], ["PAPER"]),
    (["experiment", "nope"], ["NAME"]),
    (["experiment", "wu2025-icl", "--width", "30"], ["--width", "multiple"]),
    (["experiment", "wu2025-icl", "--eta", "1"], ["--eta", "not used by `icl-verify experiment wu2025-icl`"]),
    (["experiment", "wu2025-icl", "--width", "16384"], ["--width", "GB of memory", "--allow-large"]),
    (["claims", "nope"], ["PAPER"]),
    (["report", "wu2025", "--depth"], ["--depth", "expected one argument"]),
    (["report", "wu2025", "--frobnicate", "1"], ["--frobnicate", "unrecognized"]),
    (["report", "wu2025", "--dep", "3"], ["--dep", "unrecognized"]),   # no silent abbreviations
    (["report"], ["PAPER", "required"]),
    (["frob"], ["COMMAND", "invalid choice"]),
    (["experiment", "wu2025-icl", "--scale", "tpu"], ["--scale", "invalid choice"]),
]


@pytest.mark.parametrize("argv,needles", CASES, ids=[" ".join(c[0])[:60] for c in CASES])
def test_bad_input_is_one_line_exit_2(in_tmp, argv, needles):
    assert_usage_error(argv, in_tmp, *needles)


def test_allow_large_overrides_the_estimate(in_tmp):
    with pytest.raises(Reached) as e:
        _run_reaching(["report", "wu2025", "--context", "100000", "--allow-large"])
    args = e.value.args[0]
    assert args.context == 100000 and args.resource_estimate.memory > 1e11


def test_options_reach_the_command_converted(in_tmp):
    with pytest.raises(Reached) as e:
        _run_reaching(["report", "wu2025", "--depth", "4", "--eta", "0.25", "--radius", "3", "--seed", "7",
                       "--precision", "60", "--activation", "tanh"])
    a = e.value.args[0]
    assert (a.depth, a.eta, a.radius, a.seed, a.precision, a.activation) == (4, 0.25, "3.0", 7, 60, "tanh")
    assert a.resource_estimate.seconds < validation.TIME_LIMIT_S


@pytest.mark.skipif(validation._cuda_count() > 0, reason="needs a machine without CUDA")
def test_cuda_without_cuda_is_a_usage_error(in_tmp):
    assert_usage_error(["report", "wu2025", "--device", "cuda"], in_tmp, "--device", "devices found: cpu")
    assert_usage_error(["report", "hu2025lora", "--device", "cuda:1"], in_tmp, "--device", "devices found: cpu")
    assert_usage_error(["bench", "--device", "cuda"], in_tmp, "--device", "devices found: cpu")
    assert_usage_error(["experiment", "wu2025-icl", "--scale", "gpu"], in_tmp, "--scale", "no CUDA device")


def test_missing_dask_is_a_usage_error_with_the_install_command(in_tmp):
    with mock.patch.object(validation, "have_module", lambda name: name not in ("dask", "distributed")):
        line = assert_usage_error(["audit", "planted", "--scheduler", "tcp://127.0.0.1:8786"], in_tmp, "--scheduler")
    assert "pip install 'icl-verify[dask]'" in line
    assert_usage_error(["audit", "planted", "--scheduler", "  "], in_tmp, "--scheduler", "address")


def test_symbolic_errors_are_mapped_to_flags():
    from symbolic.errors import ConfigError
    from symbolic.wu2025.config import WuConfig

    with pytest.raises(ConfigError) as e:
        WuConfig(N=1)
    assert e.value.param.startswith("N ")                  # the paper's name in symbolic/ ...
    mapped = validation.cli_error(e.value)
    assert mapped.param == "--depth" and "N (depth)" in mapped.message and "[2, 64]" in mapped.message  # ... the flag


def test_experiment_budget_environment_is_validated(in_tmp, monkeypatch):
    monkeypatch.setenv("ICL_VERIFY_TIME_BUDGET_S", "soon")
    assert_usage_error(["experiment", "wu2025-icl"], in_tmp, "ICL_VERIFY_TIME_BUDGET_S")


def test_claims_into_a_closed_pipe_is_quiet():
    r = subprocess.run(f"{sys.executable} -m proofs_check claims | head -n 2", shell=True, capture_output=True,
                       text=True, cwd=ROOT, timeout=300)
    assert len(r.stdout.splitlines()) == 2
    assert "Traceback" not in r.stderr and "BrokenPipe" not in r.stderr, r.stderr


# ------------------------------------------------------------------------------------------------ the house rule


def test_numeric_never_imports_proofs_check():
    offenders = []
    for f in sorted((ROOT / "numeric").rglob("*.py")):
        for node in ast.walk(ast.parse(f.read_text(), filename=str(f))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            offenders += [f"{f.relative_to(ROOT)}:{node.lineno} imports {n}" for n in names
                          if n == "proofs_check" or n.startswith("proofs_check.")]
    assert not offenders, offenders
