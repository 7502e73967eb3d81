"""A small Adam training loop shared by the three papers: online fresh prompts, optional per-tensor gradient
clipping, a fixed number of steps (never a wall-clock deadline: the same call gives the same run on any machine
and under any load), and a history of (step, loss, extra metrics)."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

import torch


@dataclass
class TrainResult:
    steps: int
    seconds: float
    history: list = field(default_factory=list)   # dicts: step, loss, and whatever ``monitor`` returns
    stopped_by: str = "steps"


def set_threads(n: int = 1) -> None:
    """torch.set_num_threads(n), default 1.  Spec 4 caps torch at 2 threads because of heavy sys time from thread
    contention; the models here are tiny (batches of 11 x 11 or 21 x 6 tokens), and on a shared 2-core machine even
    two threads spin against each other: one Adam step of von Oswald et al.'s layer took 100 ms of CPU with 2
    threads and 12 ms with 1 under load.  The thread count is fixed, so a run is reproducible on one machine."""
    torch.set_num_threads(max(1, n))


def adam_train(params: list[torch.Tensor], loss_fn: Callable[[int], torch.Tensor], steps: int, lr: float,
               lr_schedule: Callable[[int], float] | None = None, clip: float | None = None,
               clip_per_tensor: bool = False, log_every: int = 100,
               monitor: Callable[[], dict] | None = None, project: Callable[[], None] | None = None,
               betas=(0.9, 0.999)) -> TrainResult:
    """Minimise ``loss_fn(step)`` (a fresh batch per step) with Adam for exactly ``steps`` steps.
    ``lr_schedule(progress)`` multiplies lr, progress = step/steps in (0, 1]; ``clip``: global-norm clipping, or
    per tensor.  ``seconds`` is recorded for information only; nothing depends on it."""
    opt = torch.optim.Adam(params, lr=lr, betas=betas)
    t0 = time.monotonic()
    hist: list = []
    step = 0
    for step in range(1, steps + 1):
        if lr_schedule is not None:
            for g in opt.param_groups:
                g["lr"] = lr * lr_schedule(step / steps)
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(step)
        loss.backward()
        if clip is not None:
            if clip_per_tensor:
                for p in params:
                    torch.nn.utils.clip_grad_norm_([p], clip)
            else:
                torch.nn.utils.clip_grad_norm_(params, clip)
        opt.step()
        if project is not None:
            with torch.no_grad():
                project()
        if step % log_every == 0 or step == steps:
            row = {"step": step, "loss": float(loss.detach())}
            if monitor is not None:
                row.update(monitor())
            hist.append(row)
    return TrainResult(step, time.monotonic() - t0, hist, "steps")


def lbfgs_minimise(params: list[torch.Tensor], loss_fn: Callable[[], torch.Tensor], max_iter: int,
                   tolerance_grad: float = 1e-12, tolerance_change: float = 1e-9) -> None:
    """Minimise a deterministic ``loss_fn()`` (a fixed sample) over ``params`` in place: one L-BFGS call with strong-Wolfe
    line search (torch's default tolerance_change 1e-9)."""
    opt = torch.optim.LBFGS(params, max_iter=max_iter, line_search_fn="strong_wolfe", tolerance_grad=tolerance_grad,
                            tolerance_change=tolerance_change)

    def closure():
        opt.zero_grad()
        v = loss_fn()
        v.backward()
        return v

    opt.step(closure)
