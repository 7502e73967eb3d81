"""A small Adam training loop shared by the three papers: online fresh prompts, optional per-tensor gradient
clipping, a step budget and a wall-clock deadline, and a history of (step, loss, extra metrics)."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

import torch


@dataclass
class TrainResult:
    steps: int
    seconds: float
    history: list = field(default_factory=list)   # dicts: step, loss, seconds, and whatever ``monitor`` returns
    stopped_by: str = "steps"


def set_threads(n: int = 2) -> None:
    """torch.set_num_threads(2) (spec 4: heavy sys time from thread contention otherwise)."""
    torch.set_num_threads(max(1, n))


def adam_train(params: list[torch.Tensor], loss_fn: Callable[[int], torch.Tensor], steps: int, lr: float,
               lr_schedule: Callable[[int], float] | None = None, clip: float | None = None,
               clip_per_tensor: bool = False, deadline_s: float | None = None, log_every: int = 100,
               monitor: Callable[[], dict] | None = None, project: Callable[[], None] | None = None,
               betas=(0.9, 0.999)) -> TrainResult:
    """Minimise ``loss_fn(step)`` (a fresh batch per step) with Adam for ``steps`` steps or until the deadline.
    ``lr_schedule(progress)`` multiplies lr, progress = max(step/steps, elapsed/deadline) in [0, 1] (so a run cut
    short by its deadline still gets its late phase); ``clip``: global-norm clipping, or per tensor."""
    opt = torch.optim.Adam(params, lr=lr, betas=betas)
    t0 = time.monotonic()
    hist: list = []
    stopped = "steps"
    step = 0
    for step in range(1, steps + 1):
        if lr_schedule is not None:
            progress = step / steps
            if deadline_s:
                progress = max(progress, (time.monotonic() - t0) / deadline_s)
            for g in opt.param_groups:
                g["lr"] = lr * lr_schedule(min(1.0, progress))
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
            row = {"step": step, "loss": float(loss.detach()), "seconds": time.monotonic() - t0}
            if monitor is not None:
                row.update(monitor())
            hist.append(row)
        if deadline_s is not None and time.monotonic() - t0 > deadline_s:
            stopped = "deadline"
            break
    return TrainResult(step, time.monotonic() - t0, hist, stopped)


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
