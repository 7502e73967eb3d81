"""Pretraining (App F): fresh prompts of train_points + 1 points each step from N(-2 1, I) (omega_1 = 1), MSE on
every position (Garg et al.),
Adam with linear warmup and cosine decay (ours; the paper names no optimiser, F18), gradient clipping at 1.

Checkpoints (model, optimiser, scheduler, data generator, step) are written atomically every
``checkpoint_every`` steps and when the time budget runs out; ``train(..., resume=True)`` continues from them.
"""
from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass
from pathlib import Path

import torch

from .config import Scale
from .data import sample_prompts
from .model import ICLTransformer, max_len


@dataclass
class TrainResult:
    model: ICLTransformer
    step: int
    done: bool
    seconds: float
    losses: list            # (step, mean loss over the last interval)


def build_model(scale: Scale, kind: str, layers: int | None = None) -> ICLTransformer:
    return ICLTransformer(scale.d, scale.width, layers or scale.layers, scale.heads, scale.mlp, kind,
                          max_len(scale.encoding, scale.test_points), scale.encoding)


def _save(path: Path, state: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    torch.save(state, tmp)
    os.replace(tmp, path)


def train(scale: Scale, kind: str, depth: int, seed: int, device, ckpt: Path | None = None, resume: bool = False,
          steps: int | None = None, layers: int | None = None, deadline: float | None = None,
          log=None, progress=None) -> TrainResult:
    """Train one transformer on N-layer targets of depth ``depth``; stops early (checkpointed) at ``deadline``.
    ``progress(step, loss)`` is called after every step (for a progress bar; ``log`` gets a line every 100)."""
    steps = steps if steps is not None else scale.steps
    torch.manual_seed(seed)
    model = build_model(scale, kind, layers).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=scale.lr, foreach=True)
    warm = min(scale.warmup, max(1, steps // 10))
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / warm) * 0.5 * (1 + math.cos(math.pi * min(1.0, s / max(1, steps)))))
    gen = torch.Generator(device=device).manual_seed(seed)
    step, losses, t_prev = 0, [], 0.0
    if resume and ckpt is not None and ckpt.exists():
        st = torch.load(ckpt, map_location=device, weights_only=False)
        model.load_state_dict(st["model"])
        opt.load_state_dict(st["opt"])
        sched.load_state_dict(st["sched"])
        gen.set_state(st["gen"].cpu())  # generator states are CPU byte tensors, also for CUDA generators
        step, losses, t_prev = st["step"], st["losses"], st["seconds"]
    t0 = time.monotonic()

    def checkpoint():
        if ckpt is not None:
            _save(ckpt, {"model": model.state_dict(), "opt": opt.state_dict(), "sched": sched.state_dict(),
                         "gen": gen.get_state(), "step": step, "losses": losses,
                         "seconds": t_prev + time.monotonic() - t0, "kind": kind, "depth": depth,
                         "layers": layers or scale.layers, "steps": steps})

    model.train()
    acc, cnt = 0.0, 0
    while step < steps:
        if deadline is not None and time.monotonic() > deadline:
            checkpoint()
            return TrainResult(model.eval(), step, False, t_prev + time.monotonic() - t0, losses)
        b = sample_prompts(scale.batch, scale.train_points + 1, scale.d, depth, scale.target_width, (1.0, 0.0), gen,
                           device)   # train_points examples and a query, as App F's 50 + 1
        loss = ((model.predict_context(b.x, b.y) - b.y) ** 2).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        step += 1
        acc, cnt = acc + float(loss.detach()), cnt + 1
        if progress is not None:
            progress(step, acc / cnt)
        if step % 100 == 0 or step == steps:
            losses.append((step, acc / cnt))
            if log:
                log(f"  {kind} N={depth} layers={layers or scale.layers}: step {step}/{steps} loss {acc / cnt:.4f}")
            acc, cnt = 0.0, 0
        if step % scale.checkpoint_every == 0:
            checkpoint()
    checkpoint()
    return TrainResult(model.eval(), step, True, t_prev + time.monotonic() - t0, losses)
