"""Batched, differentiable float64 quantities of one Wu block (torch autograd), for adversarial searches.

Two sides, for a batch of prompts of one configuration (X: (B, n+1, d_x) with the query last, Y: (B, n, d_y),
W: (B, D_N)), every operation a torch operation so that ``torch.autograd`` differentiates any objective built from
them with respect to the data and the weights:

* ``construction_batch``: what the constructed transformer computes in exact arithmetic, from its approximants --
  p_bar (C.6), r_bar' (C.11), the loss layer's *gated* g (C.14: every unit's pre-activation of the query shifted by
  -R3, exactly as the MLP does, so a leaking gate shows), s_bar (3.20) over all n+1 tokens, the gradient step of
  (C.16) (sum over the n+1 tokens divided by 2n: the query enters when its s_bar is not 0) and the box projection;
* ``exact_batch``: Definition 2/3 and Lemma 1 with the true r, r', u (i in [n]; with ``mask_query=False`` the query's
  u and s are Definition 3's at y_{n+1} = 0).

These equal ``numeric.wu2025.quantities.construction_float64`` / ``exact_float64`` on a single prompt (tested), with
the gate modelled instead of assumed.  ``pre_activations`` of both sides are returned too (the causes of a failure).
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import torch

from symbolic.activations import get_activation
from symbolic.losses import get_loss
from symbolic.network import NetworkShape
from symbolic.sum_of_relu import SumOfRelu

from ..backends import torch_derivative, torch_u
from .quantities import box_project

DT = torch.float64


@dataclass
class BatchTerms:
    """Per-token quantities with a leading batch dimension: z[j], p[j] (j = 1..N, z[0] = None, p[0] = x), rp[j]
    (j = 0..N-1), g (B, T, d_y), s[j] (j = 1..N, s[0] = None), grad (B, D_N), w_next (B, D_N)."""

    z: list
    p: list
    rp: list
    g: torch.Tensor
    s: list
    grad: torch.Tensor
    w_next: torch.Tensor | None = None


class TorchUnits:
    """sum_h c_h relu(a_h^T [z; 1]) of a Definition-4 approximant as torch tensors (rounded to float64 once)."""

    def __init__(self, approx: SumOfRelu):
        self.A = torch.tensor([[float(a) for a in u.a] for u in approx.units], dtype=DT)
        self.c = torch.tensor([float(u.c) for u in approx.units], dtype=DT)
        self.arity = approx.arity

    def __call__(self, z: torch.Tensor) -> torch.Tensor:
        return torch.relu(z[..., None] * self.A[:, 0] + self.A[:, 1]) @ self.c

    def gated(self, t: torch.Tensor, y: torch.Tensor, shift: torch.Tensor) -> torch.Tensor:
        """Two-argument units with an extra pre-activation ``shift`` (broadcast over the units)."""
        pre = t[..., None] * self.A[:, 0] + y[..., None] * self.A[:, 1] + self.A[:, 2] + shift[..., None]
        return torch.relu(pre) @ self.c


def _matrices(shape: NetworkShape, W: torch.Tensor) -> list[torch.Tensor]:
    """[V_1, ..., V_N], each (B, K_j, in_j), from the row-major flat parameter vectors (3.2)."""
    out = []
    for j in range(1, shape.N + 1):
        sl = shape.layer_slice(j)
        out.append(W[:, sl].reshape(W.shape[0], shape.width(j), shape.fan_in(j)))
    return out


def _backprop(shape: NetworkShape, Vs, p, rp, g, n: int, rows: int) -> tuple[list, torch.Tensor]:
    """s(N) = r'(N-1) (.) g, s(j) = r'(j-1) (.) (V_{j+1}^T s(j+1)); grad = (1/2n) sum over the first ``rows`` tokens
    of [s(j) (x) p(j-1)]_j."""
    N = shape.N
    s = [None] * (N + 1)
    s[N] = rp[N - 1] * g
    for j in range(N - 1, 0, -1):
        s[j] = rp[j - 1] * torch.einsum("btl,blk->btk", s[j + 1], Vs[j])
    blocks = []
    for j in range(1, N + 1):
        A = torch.einsum("btk,btl->bkl", s[j][:, :rows], p[j - 1][:, :rows])
        blocks.append(A.reshape(A.shape[0], -1))
    return s, torch.cat(blocks, dim=1) / (2 * n)


STAGES = ("p", "rp", "g", "s", "w")   # what a claim reads, in the order the block computes it (``upto``)


def _upto(shape: NetworkShape, z, p, rp, g=None, s=None, grad=None) -> BatchTerms:
    """The stages computed so far, the later ones None (a claim's ``upto``)."""
    return BatchTerms(z, p, rp, g, [None] * (shape.N + 1) if s is None else s, grad)


def _forward(shape: NetworkShape, Vs, X, r, rprime):
    """p(j), z(j) and, unless ``rprime`` is None (a claim that reads p only), r'(z(j))."""
    p, z, rp = [X], [None], []
    for j in range(shape.N):
        zj = torch.einsum("btl,bkl->btk", p[-1], Vs[j])
        z.append(zj)
        p.append(r(zj))
        rp.append(rprime(zj) if rprime is not None else None)
    return p, z, rp


def construction_batch(shape: NetworkShape, r_units: TorchUnits, rp_units: TorchUnits, u_units: TorchUnits,
                       R3: Fraction | float, eta: Fraction | float, box, X: torch.Tensor, Y: torch.Tensor,
                       W: torch.Tensor, upto: str = "w") -> BatchTerms:
    """The constructed block in exact arithmetic (float64 here): approximants, the gated loss layer, the exact
    EWML recursion and the gradient step over all n+1 tokens (the query included, as the attention layer sums).
    ``upto``: the last of STAGES computed (the later fields are None; the earlier ones are the same either way)."""
    B, T = X.shape[0], X.shape[1]
    n = T - 1
    stage = STAGES.index(upto)
    Vs = _matrices(shape, W)
    p, z, rp = _forward(shape, Vs, X, r_units, rp_units if stage >= 1 else None)
    if stage < 2:
        return _upto(shape, z, p, rp)
    Yq = torch.cat([Y, torch.zeros(B, 1, Y.shape[2], dtype=DT)], dim=1)           # y_{n+1} = 0
    t = torch.ones(T, dtype=DT)
    t[n] = 0
    shift = (-float(R3) * (1 - t))[None, :, None].expand(B, T, Y.shape[2])       # -R3 (1 - t_i)
    g = u_units.gated(p[shape.N], Yq, shift)
    if stage < 3:
        return _upto(shape, z, p, rp, g)
    s, grad = _backprop(shape, Vs, p, rp, g, n, T)
    if stage < 4:
        return _upto(shape, z, p, rp, g, s, grad)
    w_next = box_project(W - float(eta) * grad, box)
    return BatchTerms(z, p, rp, g, s, grad, w_next)


def exact_batch(shape: NetworkShape, activation: str, loss: str, eta, box, X: torch.Tensor, Y: torch.Tensor,
                W: torch.Tensor, mask_query: bool = True, upto: str = "w") -> BatchTerms:
    """Definition 2/3 and Lemma 1 with the true r, r', u; grad over i in [n].  ``mask_query=False``: the query's
    u and s are Definition 3's (u at y_{n+1} = 0); the gradient is always over the n in-context tokens.
    ``upto`` as in ``construction_batch``."""
    B, T = X.shape[0], X.shape[1]
    n = T - 1
    stage = STAGES.index(upto)
    act, lo = get_activation(activation), get_loss(loss)
    r, rprime, u = torch_derivative(act, 0), torch_derivative(act, 1), torch_u(lo)
    Vs = _matrices(shape, W)
    p, z, rp = _forward(shape, Vs, X, r, rprime if stage >= 1 else None)
    if stage < 2:
        return _upto(shape, z, p, rp)
    Yq = torch.cat([Y, torch.zeros(B, 1, Y.shape[2], dtype=DT)], dim=1)
    g = u(p[shape.N], Yq)
    if mask_query:
        mask = torch.ones(T, dtype=DT)
        mask[n] = 0
        g = g * mask[None, :, None]
    if stage < 3:
        return _upto(shape, z, p, rp, g)
    s, grad = _backprop(shape, Vs, p, rp, g, n, n)
    if stage < 4:
        return _upto(shape, z, p, rp, g, s, grad)
    w_next = box_project(W - float(eta) * grad, box)
    return BatchTerms(z, p, rp, g, s, grad, w_next)


class single_thread:
    """One torch intra-op thread inside the block (restored after): these tensors are small, so threads only cost
    (on a loaded machine, many times over), and one thread makes every value independent of the machine's core
    count."""

    def __enter__(self):
        self.n = torch.get_num_threads()
        if self.n != 1:
            torch.set_num_threads(1)
        return self

    def __exit__(self, *exc):
        if self.n != 1:
            torch.set_num_threads(self.n)
        return False


def as_tensors(prompts) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Stack prompts (objects with x, y, w0 arrays of equal sizes) into (X, Y, W) float64 tensors (np.array stacks
    equal shapes at a third of np.stack's overhead)."""
    import numpy as np

    return tuple(torch.as_tensor(np.array([getattr(p, f) for p in prompts]), dtype=DT) for f in ("x", "y", "w0"))


__all__ = ["STAGES", "BatchTerms", "TorchUnits", "construction_batch", "exact_batch", "as_tensors", "single_thread"]
