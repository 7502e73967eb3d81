"""Matplotlib plots shared by the reports (Agg backend, PNG files)."""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def _pos(v):
    return [x if (x is not None and x > 0) else np.nan for x in v]


def log_series(path: Path, title: str, x, series: dict, xlabel: str, ylabel: str = "error", xticks=None,
               xlog: bool = False, fits: dict | None = None) -> Path:
    """One log-scale plot: ``series`` maps a label to (values, matplotlib style)."""
    fig, ax = plt.subplots(figsize=(9, 4.5))
    for label, (values, style) in series.items():
        ax.plot(x, _pos(values), style, label=label, markersize=14 if style.endswith("_") else 5,
                markeredgewidth=2 if style.endswith("_") else 1)
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
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def save_figure(fig, path: Path, dpi: int = 120) -> str:
    """tight_layout, write ``path`` as PNG, close the figure; returns the file name (for the report's plot list)."""
    fig.tight_layout()
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
    return Path(path).name
