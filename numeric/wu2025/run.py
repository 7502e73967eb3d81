"""Run a Wu construction with any executor and read named slots out of the token states."""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import mpmath
import numpy as np
import torch

from symbolic.wu2025.assemble import WuConstruction
from symbolic.wu2025.layout import TokenLayout

from ..backends import pick_device
from ..executors.batched import run_batched
from ..executors.dense import run_dense
from ..executors.arb import run_arb
from ..executors.highprec import run_highprec
from ..executors.structured import TokenState, run_state
from .prompt import Prompt, convert, initial_tokens

EXECUTORS = ("dense", "batched", "structured", "highprec", "arb", "exact")


@dataclass
class Trace:
    """States after each layer (in ``layers`` order), as float64 arrays ('dense', 'batched') or nested lists of
    mpf / Fraction ('highprec', 'exact')."""

    executor: str
    layers: list
    states: list
    initial: object
    layout: TokenLayout

    def state(self, i: int):
        return self.initial if i < 0 else self.states[i]

    def slot(self, i: int, name: str, kind: str = "float"):
        """Slot ``name`` of every token after layer i (i = -1: the input), shape (n_tok, size)."""
        sl = self.layout.slice(name)
        H = self.state(i)
        if isinstance(H, np.ndarray):
            return H[:, sl]
        if isinstance(H, torch.Tensor):
            return H[:, sl].detach().cpu().numpy()
        rows = [r[sl] for r in H]
        if kind == "float":
            return np.array([[float(v) for v in r] for r in rows], dtype=np.float64)
        return np.array(rows, dtype=object)

    def as_float(self, i: int) -> np.ndarray:
        H = self.state(i)
        if isinstance(H, np.ndarray):
            return H
        if isinstance(H, torch.Tensor):
            return H.detach().cpu().numpy()
        return np.array([[float(v) for v in r] for r in H], dtype=np.float64)


def run(wc: WuConstruction, prompt: Prompt, executor: str = "batched", dtype=torch.float64,
        device: str | None = None, dps: int = 50, layers=None, progress=None) -> Trace:
    """Run the whole construction (or ``layers``) on the prompt's tokens; ``progress()`` is called per layer."""
    layers = list(layers if layers is not None else wc.net.layers)
    if executor == "structured":  # the tokens in floating point directly, slot by slot (no exact rational rows)
        st0 = token_state(wc.layout, prompt, dtype, device)
        with torch.no_grad():
            _, snaps = run_state(layers, st0, record=True, progress=progress)
        return Trace(executor, layers, [s.tokens() for s in snaps], st0.tokens(), wc.layout)
    rows = initial_tokens(wc.layout, prompt)
    if executor == "dense":
        H0 = convert(rows, "float")
        _, states = run_dense(layers, H0, progress=progress)
    elif executor == "batched":
        H0 = torch.tensor(convert(rows, "float"), dtype=dtype, device=pick_device(device))
        with torch.no_grad():
            _, states = run_batched(layers, H0, progress=progress)
    elif executor == "arb":
        H0 = rows
        _, states = run_arb(layers, rows, wc.layout, dps)
    elif executor == "highprec":
        with mpmath.workdps(dps):
            H0 = convert(rows, "mpmath")
            _, states = run_highprec(layers, H0, kind="mpmath", progress=progress)
    elif executor == "exact":
        H0 = convert(rows, "fraction")
        _, states = run_highprec(layers, H0, kind="fraction", progress=progress)
    else:
        raise ValueError(f"executor must be one of {EXECUTORS}")
    return Trace(executor, layers, states, H0, wc.layout)


def token_state(layout: TokenLayout, prompts, dtype=torch.float64, device=None) -> TokenState:
    """The initial tokens h_i = [x_i; y_i; w0; 0; 1; t_i] of one prompt (or of a list of prompts of the same sizes,
    stacked along a leading batch dimension) as the structured executor's ``TokenState``, built in floating point
    directly (w0 and the constant slot stored once, the scratch slots zero): the same values as
    ``initial_tokens`` (prompt entries are exact binary numbers), without the exact rational token matrix."""
    single = isinstance(prompts, Prompt)
    prompts = [prompts] if single else list(prompts)
    if not prompts:
        raise ValueError("no prompts")
    n = prompts[0].n
    if any(p.n != n or p.x.shape != prompts[0].x.shape or p.y.shape != prompts[0].y.shape
           or p.w0.shape != prompts[0].w0.shape for p in prompts):
        raise ValueError("prompts of one batch must share their sizes (n, d_x, d_y, D_N)")
    dev = device if isinstance(device, torch.device) else pick_device(device)
    t = lambda a: torch.as_tensor(np.asarray(a, dtype=np.float64), dtype=dtype, device=dev)  # noqa: E731
    X = t(np.stack([p.x for p in prompts])).transpose(-1, -2)                       # (B, d_x, n+1)
    Y = torch.zeros(len(prompts), prompts[0].y.shape[1], n + 1, dtype=dtype, device=dev)
    Y[..., :n] = t(np.stack([p.y for p in prompts])).transpose(-1, -2)
    W = t(np.stack([p.w0 for p in prompts]))[..., None]                              # (B, D_N, 1): shared
    T = torch.ones(1, 1, n + 1, dtype=dtype, device=dev)
    T[..., n] = 0
    one = torch.ones(1, 1, 1, dtype=dtype, device=dev)
    if single:
        X, Y, W, T, one = X[0], Y[0], W[0], T[0], one[0]
    if X.shape[-2] != layout.size("x") or Y.shape[-2] != layout.size("y") or W.shape[-2] != layout.size("w"):
        raise ValueError("the prompt does not match the layout's sizes")
    return TokenState(layout, {"x": X, "y": Y, "w": W, "one": one, "t": T}, n + 1)


def block_boundaries(wc: WuConstruction) -> list[tuple[int, int]]:
    """(first layer index, last layer index) of each block in the flat layer list."""
    out, i = [], 0
    for b in wc.blocks:
        out.append((i, i + len(b.layers) - 1))
        i += len(b.layers)
    return out


def w_after_block(trace: Trace, wc: WuConstruction, block: int, kind: str = "float") -> np.ndarray:
    """w read from token 0 after a block (block = -1: w^(0))."""
    bounds = block_boundaries(wc)
    i = -1 if block < 0 else bounds[block][1]
    return trace.slot(i, "w", kind)[0]


def fraction_rows(a) -> list:
    return [[Fraction(v) for v in r] for r in a]
