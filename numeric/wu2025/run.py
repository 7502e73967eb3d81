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
from ..executors.structured import run_structured
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
    rows = initial_tokens(wc.layout, prompt)
    if executor == "dense":
        H0 = convert(rows, "float")
        _, states = run_dense(layers, H0, progress=progress)
    elif executor == "batched":
        H0 = torch.tensor(convert(rows, "float"), dtype=dtype, device=pick_device(device))
        with torch.no_grad():
            _, states = run_batched(layers, H0, progress=progress)
    elif executor == "structured":
        H0 = torch.tensor(convert(rows, "float"), dtype=dtype, device=pick_device(device))
        with torch.no_grad():
            _, states = run_structured(layers, H0, wc.layout)
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
