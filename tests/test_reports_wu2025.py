"""`icl-verify report wu2025` as a user reads it: the opening verdict line, single-instance wording, bound
excesses flagged, plots that show what the tables say, outputs written atomically with normal permissions and
paths relative to the output folder.

The report's claim rows come from ``_claims`` (the audit engine's, being rewritten); these tests replace it with a
fixed set of rows so that they check the report's own parts."""
from __future__ import annotations

import json
import math
import os
import stat
from types import SimpleNamespace

import pytest

import proofs_check.reports.wu2025 as W
from proofs_check import cli, plots

OUTCOMES = {"verified", "violated", "inconclusive", "not_applicable"}


def fake_claims(cfg, prompt, out, dps, progress):
    rows = []
    for i, cid in enumerate(W.REPORT_CLAIMS[:6]):
        bad = i in (0, 3)
        row = {"id": cid, "source": "src", "statement": "s", "outcome": "violated" if bad else "verified",
               "bound": 1.0, "observed": 2.0 if bad else 0.5, "ratio": 2.0 if bad else 0.5, "detail": ""}
        if bad:
            row["counterexample"] = str(out / "counterexamples" / f"{cid}.json")
        rows.append(row)
        progress()
    rows.append({"id": "wu2025.lemma5.norm", "source": "src", "statement": "s", "outcome": "not_applicable",
                 "bound": None, "observed": None, "ratio": None, "detail": "hypothesis fails"})
    return rows


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("rep") / "report"
    old_claims, old_umask = W._claims, os.umask(0o022)
    W._claims = fake_claims
    try:
        rc = cli.main(["report", "wu2025", "--quick", "--eta", "1e300", "--save-instance",
                       "--out", str(out)])
    finally:
        W._claims = old_claims
        os.umask(old_umask)
    assert rc == 0
    return out


def test_report_opens_with_a_one_line_verdict(report):
    lines = (report / "report.md").read_text().splitlines()
    assert lines[0].startswith("# ") and lines[1] == ""
    verdict = lines[2]
    assert verdict.startswith("**Verdict (one instance, not a search):**")
    assert "2 of 7 claims fail on this instance" in verdict
    assert f"`{W.REPORT_CLAIMS[0]}`" in verdict and f"`{W.REPORT_CLAIMS[3]}`" in verdict
    # eta = 1e300: the trajectory leaves Corollary 1.1's bound, and the opening line says so
    assert "exceeds the paper's bound" in verdict and "trajectory step" in verdict
    data = json.loads((report / "report.json").read_text())
    assert data["verdict"]["line"] == verdict and data["verdict"]["bound_exceeded"]
    assert data["verdict"]["claims_failing_on_instance"] == [W.REPORT_CLAIMS[0], W.REPORT_CLAIMS[3]]


def test_single_instance_results_are_never_called_verified(report):
    md = (report / "report.md").read_text()
    table = md.split("## Claims on this instance")[1].split("## Per-layer errors")[0]
    rows = [r for r in table.splitlines() if r.startswith("| `")]
    assert len(rows) == 7
    assert all("**verified**" not in r and "**violated**" not in r for r in rows)
    assert sum("**holds on this instance**" in r for r in rows) == 4
    assert sum("**fails on this instance**" in r for r in rows) == 2
    data = json.loads((report / "report.json").read_text())
    for c in data["claims"]:                       # the JSON keeps the typed outcome (other tools read it)
        assert c["outcome"] in OUTCOMES and c["on_instance"] == W.on_instance(c["outcome"])
    assert "(above the bound)" in md


def test_outputs_are_atomic_0644_and_paths_relative(report):
    names = sorted(p.name for p in report.iterdir())
    assert {"report.md", "report.json", "layers.png", "trajectory.png", "knots.png", "instance.json",
            "weights.json"} <= set(names)
    assert not [n for n in names if n.startswith(".") or n.endswith(".tmp")]
    for n in names:
        p = report / n
        if p.is_file():
            assert stat.S_IMODE(p.stat().st_mode) == 0o644, n
            if n.endswith(".png"):
                assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    data = json.loads((report / "report.json").read_text())
    assert data["plots"] == {"layers": "layers.png", "trajectory": "trajectory.png", "knots": "knots.png"}
    for c in data["claims"]:
        if c.get("counterexample"):
            assert c["counterexample"] == f"counterexamples/{c['id']}.json"
    assert json.loads((report / "instance.json").read_text())["weights"] == "weights.json"


# ------------------------------------------------------------------------------------------------ the plots


@pytest.fixture
def figures(monkeypatch, tmp_path):
    """Keep the figures the report draws (instead of writing and closing them)."""
    kept = []

    def keep(fig, path, dpi=110):
        kept.append(fig)
        return path.name

    monkeypatch.setattr(W, "save_figure", keep)
    yield kept
    for f in kept:
        plots.plt.close(f)


def _row(**kw):
    base = dict(block=1, index=1, layer=0, kind="mlp", role="lemma2: p(1)", heads=3, quantity="max |p_bar(1) - p(1)|",
                observed_float64=1e-5, observed_highprec=1e-5, float_error=1e-16, bound=1e-3, bound_id="x")
    base.update(kw)
    return SimpleNamespace(**base)


def test_layers_plot_separates_norms_shows_zeros_and_float64_on_top(figures, tmp_path):
    rows = [_row(), _row(index=2, float_error=0.0), _row(index=3, quantity="||grad_bar - grad||_2", role="gradient"),
            _row(index=4, quantity="||w_next - Proj||_2", float_error=0.0, bound=None)]
    W._plot_layers(tmp_path / "layers.png", rows)
    (fig,) = figures
    top, bottom = fig.axes[:2]
    assert "max-abs" in top.get_ylabel() and "L2" in bottom.get_ylabel()
    for ax in (top, bottom):
        lines = {ln.get_label(): ln for ln in ax.get_lines()}
        assert lines["float64 vs exact"].get_zorder() > lines["construction error (50 digits vs exact)"].get_zorder()
        x64 = lines["float64 vs exact"].get_xdata()
        xc = lines["construction error (50 digits vs exact)"].get_xdata()
        assert len(x64) == len(xc) and all(a != b for a, b in zip(x64, xc))    # side by side, not hidden
        labels = [ln.get_label() for ln in ax.get_lines()]
        assert any(lab.startswith("hollow markers on this line: exactly 0") for lab in labels)


def test_trajectory_plot_has_integer_steps_and_bound_points(figures, tmp_path):
    rows = [SimpleNamespace(step=s, error=e, float_error=f, bound=b)
            for s, e, f, b in ((0, 0.0, 0.0, 0.1), (1, 1e-5, 1e-17, 1.0), (2, 2e-5, 0.0, 5.0))]
    W._plot_trajectory(tmp_path / "t.png", rows)
    (fig,) = figures
    ax = fig.axes[0]
    assert all(float(t).is_integer() for t in ax.get_xticks())
    bound = next(ln for ln in ax.get_lines() if ln.get_label().startswith("Corollary 1.1"))
    assert bound.get_linestyle() == "None" and list(bound.get_xdata()) == [0, 1, 2]


def test_knots_plot_draws_the_fit_and_the_M2_reference(figures, tmp_path):
    Ms = [10, 20, 40, 80]
    sweep = [{"knots": m, "trajectory_error": 3.0 / m**2, "eps_r": 1.0 / m**2, "eps_rp": 2.0 / m**2} for m in Ms]
    slope = W._slope(Ms, [s["trajectory_error"] for s in sweep])
    assert math.isclose(slope, -2.0, rel_tol=1e-9)
    W._plot_knots(tmp_path / "k.png", sweep, slope)
    (fig,) = figures
    labels = [ln.get_label() for ln in fig.axes[0].get_lines()]
    assert any("least-squares fit" in lab and "M^-2.00" in lab for lab in labels)
    assert any("reference slope M^-2" in lab for lab in labels)
    assert math.isnan(W._slope([10, 20], [0.0, 0.0]))     # zeros cannot be fitted on a log scale: no crash


def test_zero_floor_and_split():
    floor = plots.zero_floor([3e-5, 0.0, None, float("nan")], [2e-16])
    assert floor == 1e-17
    (xp, yp), (xz, yz) = plots.split_zero([0, 1, 2, 3], [1e-3, 0.0, None, float("inf")], floor)
    assert (xp, yp, xz, yz) == ([0], [1e-3], [1], [floor])


def test_verdict_line_without_failures():
    line = W.verdict_line([{"id": "a", "outcome": "verified"}], [])
    assert "no claim fails on this instance" in line and "within the paper's bound" in line
