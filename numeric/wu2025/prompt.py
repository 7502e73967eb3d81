"""Prompts (2.1) inside the hypotheses: ||x_i|| <= B_x (the query too, F13), ||y_i|| <= B_y, w0 in W_box."""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import mpmath
import numpy as np

from symbolic.activations import get_activation
from symbolic.network import forward
from symbolic.wu2025.config import WuConfig
from symbolic.wu2025.layout import TokenLayout

from ..backends import TorchArrays, torch_derivative


@dataclass
class Prompt:
    """x: (n+1, d_x) with the query last; y: (n, d_y); w0: (D_N,). Entries are float64 (exact binary values)."""

    x: np.ndarray
    y: np.ndarray
    w0: np.ndarray

    @property
    def n(self) -> int:
        return self.y.shape[0]

    def to_dict(self) -> dict:
        return {"x": self.x.tolist(), "y": self.y.tolist(), "w0": self.w0.tolist()}

    def arrays(self) -> dict:
        """The prompt as a dict of float64 arrays (what a search hands its objective: no round trip through lists;
        ``json_form`` gives the lists of ``to_dict``, the same values)."""
        return {"x": self.x, "y": self.y, "w0": self.w0}

    @classmethod
    def from_dict(cls, d: dict) -> "Prompt":
        return cls(np.asarray(d["x"], dtype=np.float64), np.asarray(d["y"], dtype=np.float64),
                   np.asarray(d["w0"], dtype=np.float64))


def _ball(rng, n, d, radius):
    v = rng.standard_normal((n, d))
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    return v * (radius * rng.uniform(0, 1, (n, 1)) ** (1.0 / d))


def make_prompt(cfg: WuConfig, box, seed: int | None = None) -> Prompt:
    """x_i uniform in the B_x ball; y_i from a random teacher in W_box, scaled into the B_y ball; w0 in W_box."""
    import torch

    rng = np.random.default_rng(cfg.seed if seed is None else seed)
    b = np.array([float(v) for v in box])
    x = _ball(rng, cfg.n + 1, cfg.d_in, cfg.Bx)
    teacher = rng.uniform(-1, 1, b.size) * b
    act = get_activation(cfg.activation)
    with torch.no_grad():
        p, _ = forward(cfg.shape, torch.tensor(teacher), torch.tensor(x[: cfg.n]), torch_derivative(act, 0),
                       TorchArrays)
    y = p[-1].numpy().copy()
    y -= y.mean(axis=0, keepdims=True) * 0.5  # keep labels away from the teacher's output offset
    norms = np.linalg.norm(y, axis=1, keepdims=True)
    y *= np.minimum(1.0, cfg.By / np.maximum(norms, 1e-300))
    w0 = rng.uniform(-1, 1, b.size) * b * 0.9
    return Prompt(x, y, w0)


def initial_tokens(layout: TokenLayout, prompt: Prompt) -> list[list[Fraction]]:
    """h_i = [x_i; y_i; w0; 0; 1; t_i] exactly (y_{n+1} = 0, t = 1 for examples and 0 for the query)."""
    n = prompt.n
    rows = []
    for i in range(n + 1):
        h = [Fraction(0)] * layout.D
        for k, v in enumerate(prompt.x[i]):
            h[layout.index("x", k)] = Fraction(float(v))
        if i < n:
            for k, v in enumerate(prompt.y[i]):
                h[layout.index("y", k)] = Fraction(float(v))
        for q, v in enumerate(prompt.w0):
            h[layout.index("w", q)] = Fraction(float(v))
        h[layout.index("one")] = Fraction(1)
        h[layout.index("t")] = Fraction(1 if i < n else 0)
        rows.append(h)
    return rows


def convert(rows: list[list[Fraction]], kind: str):
    """Exact token rows -> 'float' (numpy), 'mpmath' (nested mpf lists at the current precision), 'fraction'."""
    if kind == "float":
        return np.array([[float(v) for v in r] for r in rows], dtype=np.float64)
    if kind == "mpmath":
        return [[mpmath.mpf(v.numerator) / v.denominator for v in r] for r in rows]
    if kind == "fraction":
        return [list(r) for r in rows]
    raise ValueError(kind)
