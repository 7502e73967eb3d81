"""Matplotlib plots shared by the reports (Agg backend, PNG files written atomically with normal permissions).

Conventions, so that a plot reads the way its table does:
* on a log axis an exact zero is drawn at a floor (a decade below the smallest positive value) with a hollow
  marker, and the legend says so; a missing value (no bound stated) is not drawn;
* series that sit on top of each other are drawn side by side (a small x offset) with different markers;
* the axis label names the norm (max-abs |.| or L2 ||.||_2) of every series on it;
* a quantity defined at integer steps gets integer ticks and markers, not a continuous line.
"""
from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.ticker import FixedLocator, MaxNLocator, NullLocator  # noqa: E402

from .io import atomic_path  # noqa: E402


def _finite(v) -> bool:
    return v is not None and isinstance(v, (int, float)) and math.isfinite(v)


def zero_floor(*series) -> float:
    """A decade below the smallest positive finite value of ``series`` (1e-17 if there is none)."""
    pos = [v for s in series for v in s if _finite(v) and v > 0]
    if not pos:
        return 1e-17
    return 10 ** (math.floor(math.log10(min(pos))) - 1)


def split_zero(x, values, floor: float):
    """(x, y) of the positive values and (x, floor) of the exact zeros; None / nan / inf are dropped."""
    xp, yp, xz = [], [], []
    for xi, v in zip(x, values):
        if not _finite(v):
            continue
        if v > 0:
            xp.append(xi)
            yp.append(v)
        elif v == 0:
            xz.append(xi)
    return (xp, yp), (xz, [floor] * len(xz))


CLIP_TOP = 1e299   # larger values are drawn at this height (matplotlib's log ticks overflow near 1e308)


def plot_log(ax, x, values, floor: float, label: str, zero_note: list, **style):
    """Positive values as ``style``, exact zeros hollow at ``floor``, values above CLIP_TOP as hollow triangles at
    CLIP_TOP; records in ``zero_note`` what was drawn that way (for the legend)."""
    vals = list(values)
    clipped = [(xi, CLIP_TOP) for xi, v in zip(x, vals) if _finite(v) and v > CLIP_TOP]
    vals = [None if (_finite(v) and v > CLIP_TOP) else v for v in vals]
    (xp, yp), (xz, yz) = split_zero(x, vals, floor)
    line = ax.plot(xp, yp, label=label, **style)[0] if xp else None
    color = line.get_color() if line is not None else style.get("color")
    for pts, marker, note in ((list(zip(xz, yz)), style.get("marker", "o"), "zero"), (clipped, "^", "clip")):
        if pts:
            ax.plot([p[0] for p in pts], [p[1] for p in pts], linestyle="none", marker=marker,
                    markersize=style.get("markersize", 6), markerfacecolor="none", markeredgecolor=color,
                    zorder=style.get("zorder", 2), label=None if (xp or line is not None) else label)
            zero_note.append((note, label))
            if line is None:
                line = ax.get_lines()[-1]
    return line


def note_zero(ax, floor: float, zero_note: list) -> None:
    """Legend entries for the exact zeros (a dotted line at the floor) and the clipped values."""
    if any(n == "zero" for n, _ in zero_note):
        ax.axhline(floor, color="0.6", lw=0.8, ls=":", zorder=0,
                   label=f"hollow markers on this line: exactly 0 (drawn at {floor:.0e})")
    if any(n == "clip" for n, _ in zero_note):
        ax.plot([], [], linestyle="none", marker="^", markerfacecolor="none", markeredgecolor="0.3",
                label=f"hollow triangles: above {CLIP_TOP:.0e}, drawn at {CLIP_TOP:.0e}")


def log_limits(ax, floor: float, *series) -> None:
    """Explicit y limits for a log axis, from the floor to the largest finite value (matplotlib's own margins
    overflow to inf beyond ~1e290 and then fall back to (1, 10), hiding every point)."""
    vals = [min(v, CLIP_TOP) for s in series for v in s if _finite(v) and v > 0]
    hi = max(vals + [floor * 10])
    lo, top = floor / 3, min(hi * 3, 3 * CLIP_TOP)
    ax.set_ylim(lo, top)
    e0, e1 = math.floor(math.log10(lo)), math.ceil(math.log10(top))
    if e1 - e0 > 40:   # very wide spans: a few decade ticks (matplotlib's locator overflows near 1e308)
        step = math.ceil((e1 - e0) / 8)
        ax.yaxis.set_major_locator(FixedLocator([10.0 ** e for e in range(e0, min(e1, 299) + 1, step)]))
        ax.yaxis.set_minor_locator(NullLocator())


def integer_ticks(ax) -> None:
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))


def log_series(path: Path, title: str, x, series: dict, xlabel: str, ylabel: str = "error", xticks=None,
               xlog: bool = False, fits: dict | None = None) -> Path:
    """One log-scale plot: ``series`` maps a label to (values, matplotlib format string); zeros at a floor."""
    fig, ax = plt.subplots(figsize=(9, 4.5))
    floor = zero_floor(*[v for v, _ in series.values()])
    zeros: list = []
    for label, (values, fmt) in series.items():
        (xp, yp), (xz, yz) = split_zero(x, values, floor)
        line = ax.plot(xp, yp, fmt, label=label, markersize=14 if fmt.endswith("_") else 5)[0] if xp else None
        if xz:
            ax.plot(xz, yz, "o", markerfacecolor="none", color=line.get_color() if line is not None else "k")
            zeros.append(("zero", label))
    note_zero(ax, floor, zeros)
    ax.set_yscale("log")
    if xlog:
        ax.set_xscale("log")
    if xticks is not None:
        ax.set_xticks(list(x))
        ax.set_xticklabels(xticks, rotation=60, fontsize=7)
    for label, text in (fits or {}).items():
        ax.plot([], [], " ", label=f"{label}: {text}")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    save_figure(fig, path, dpi=110)
    return Path(path)


def save_figure(fig, path: Path, dpi: int = 120) -> str:
    """tight_layout, write ``path`` as PNG (atomically: a temporary file, then a rename), close the figure; returns
    the file name (for the report's plot list)."""
    with np.errstate(all="ignore"):  # log axes reaching 1e300 overflow in matplotlib's transforms (harmless)
        fig.tight_layout()
        with atomic_path(path) as tmp:
            fig.savefig(tmp, dpi=dpi, format="png")
    plt.close(fig)
    return Path(path).name


__all__ = ["plt", "np", "save_figure", "log_series", "zero_floor", "split_zero", "plot_log", "note_zero",
           "integer_ticks", "log_limits"]
