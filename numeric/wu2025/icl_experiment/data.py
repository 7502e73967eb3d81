"""Prompts of App F: x ~ omega_1 N(-2 1, I_d) + omega_2 N(2 1, I_d), y = f(x) with f an N-layer network whose
parameters are iid N(mu_p, 1), drawn fresh per prompt (F.1 step 1).

Unspecified in the paper (F18), ours: f(x) = W_N relu(W_{N-1} ... relu(W_1 x)/sqrt(K)...)/sqrt(K) with
W_1 in R^{K x d} (scaled by 1/sqrt(d)), N linear maps, no biases, linear output; each f is standardised on the
pretraining distribution N(-2 1, I) (mean and std of f over 128 fresh inputs, a property of f alone), so
y is O(1) in distribution and may be larger under shift.  Functions with std < 1e-6 are redrawn.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch


@dataclass
class Targets:
    """A batch of P target networks: weights[j] has shape (P, out_j, in_j); (mean, std) standardise f."""

    weights: list[torch.Tensor]
    mean: torch.Tensor
    std: torch.Tensor

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        """f_p(x_p) standardised, x of shape (P, m, d) -> (P, m)."""
        return (raw_forward(self.weights, x) - self.mean[:, None]) / self.std[:, None]


def raw_forward(weights: list[torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    h = x
    for j, W in enumerate(weights):
        h = torch.bmm(h, W.transpose(1, 2)) / math.sqrt(W.shape[2])
        if j < len(weights) - 1:
            h = torch.relu(h)
    return h[..., 0]


def sample_inputs(P: int, m: int, d: int, mixture, gen: torch.Generator, device) -> torch.Tensor:
    """(P, m, d) draws from omega_1 N(-2 1, I) + omega_2 N(2 1, I)."""
    w1, _ = mixture
    comp = torch.rand(P, m, 1, generator=gen, device=device) < w1
    mean = torch.where(comp, torch.tensor(-2.0, device=device), torch.tensor(2.0, device=device))
    return mean + torch.randn(P, m, d, generator=gen, device=device)


def sample_targets(P: int, d: int, depth: int, width: int, gen: torch.Generator, device, param_mean: float = 0.0,
                   calib: int = 128) -> Targets:
    """P standardised N-layer targets with iid N(param_mean, 1) parameters."""
    dims = [d] + [width] * (depth - 1) + [1]

    def draw(n):
        return [param_mean + torch.randn(n, dims[j + 1], dims[j], generator=gen, device=device) for j in range(depth)]

    weights = draw(P)
    for _ in range(10):
        xc = sample_inputs(P, calib, d, (1.0, 0.0), gen, device)
        out = raw_forward(weights, xc)
        mean, std = out.mean(1), out.std(1)
        bad = std < 1e-6
        if not bool(bad.any()):
            break
        fresh = draw(int(bad.sum()))
        for j in range(depth):
            weights[j][bad] = fresh[j]
    return Targets(weights, mean, std.clamp_min(1e-6))


@dataclass
class PromptBatch:
    """x: (P, n, d) context inputs, y: (P, n) labels, xq: (P, Q, d) held-out queries, yq: (P, Q) their labels."""

    x: torch.Tensor
    y: torch.Tensor
    xq: torch.Tensor | None = None
    yq: torch.Tensor | None = None


def sample_prompts(P: int, n: int, d: int, depth: int, width: int, mixture, gen: torch.Generator, device,
                   queries: int = 0, param_mean: float = 0.0) -> PromptBatch:
    f = sample_targets(P, d, depth, width, gen, device, param_mean)
    x = sample_inputs(P, n + queries, d, mixture, gen, device)
    y = f(x)
    if queries:
        return PromptBatch(x[:, :n], y[:, :n], x[:, n:], y[:, n:])
    return PromptBatch(x, y)
