"""Runtime of the exact (App. F, row-blocked) and the approximate (corrected chain) gradients vs L, and the
log-log slope fit.  Measurements only: no test asserts a timing."""
from __future__ import annotations

import statistics
import time

import numpy as np
import torch

from numeric.backends import pick_device

from . import exact as EX
from . import lowrank as LR
from .instances import PARTIAL_KEYS, partial_instance


def fit_slope(Ls, ts) -> float:
    """Least-squares slope of log t against log L."""
    x, y = np.log(np.asarray(Ls, dtype=float)), np.log(np.asarray(ts, dtype=float))
    if len(x) < 2:
        raise ValueError("need at least two points to fit a slope")
    return float(np.polyfit(x, y, 1)[0])


def upper_half(Ls, ts, min_points: int = 3):
    """The upper half of a sweep (at least ``min_points`` points), where the asymptotic cost dominates."""
    n = max(min_points, (len(Ls) + 1) // 2)
    return list(Ls)[-n:], list(ts)[-n:]


def timed(fn, repeats: int = 3, budget_s: float = 10.0, sync=None) -> float:
    """Median wall time of ``repeats`` runs after one warm-up (one run only when a run exceeds ``budget_s``)."""
    t0 = time.perf_counter()
    fn()
    if sync:
        sync()
    first = time.perf_counter() - t0
    if first > budget_s:
        return first
    out = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        if sync:
            sync()
        out.append(time.perf_counter() - t0)
    return statistics.median(out)


def tensors(inst: dict, device) -> dict:
    return {k: torch.as_tensor(np.asarray(inst[k]), dtype=torch.float64, device=device) for k in PARTIAL_KEYS}


def sweep(Ls_exact, Ls_approx, d: int = 4, r: int = 2, g: int = 10, method: str = "cheb_trunc", Gamma: float = 0.5,
          seed: int = 0, device=None, repeats: int = 3, progress=None, single_run_above_s: float = 3.0) -> dict:
    """Times of the exact and of the approximate gradient on the same instances (spec K-12)."""
    dev = device if isinstance(device, torch.device) else pick_device(device)
    sync = torch.cuda.synchronize if dev.type == "cuda" else None
    rows = []
    for L in sorted(set(Ls_exact) | set(Ls_approx)):
        inst = partial_instance(L, d, r, seed, Gamma)
        m = tensors(inst, dev)
        row = {"L": L}
        if L in Ls_approx:
            row["approx_s"] = timed(lambda: LR.chain_partial_streamed(m, 1.0, method, g), repeats,
                                    single_run_above_s, sync)
        if L in Ls_exact:
            args = [m[k] for k in PARTIAL_KEYS]
            row["exact_s"] = timed(lambda: EX.exact_grad_partial(*args, beta=1.0, device=dev), repeats,
                                   single_run_above_s, sync)
        rows.append(row)
        if progress:
            progress(row)
    ex = [(r_["L"], r_["exact_s"]) for r_ in rows if "exact_s" in r_]
    ap = [(r_["L"], r_["approx_s"]) for r_ in rows if "approx_s" in r_]
    out = {"rows": rows, "d": d, "r": r, "g": g, "k": LR.bnd.rank(g, d), "method": method, "device": str(dev),
           "threads": torch.get_num_threads()}
    for name, pts in (("exact", ex), ("approx", ap)):
        Lf, tf = upper_half([p[0] for p in pts], [p[1] for p in pts])
        out[f"{name}_slope"] = fit_slope(Lf, tf)
        out[f"{name}_fit_Ls"] = Lf
    cross = [r_["L"] for r_ in rows if "exact_s" in r_ and "approx_s" in r_ and r_["approx_s"] < r_["exact_s"]]
    out["crossover_L"] = min(cross) if cross else None
    return out
