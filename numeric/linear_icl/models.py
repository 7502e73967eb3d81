"""Batched linear attention and prompt samplers (torch; tokens as rows, the query last)."""
from __future__ import annotations

import math

import numpy as np
import torch


def lsa(Z: torch.Tensor, P: torch.Tensor, Q: torch.Tensor, scale: float, n_ctx: int) -> torch.Tensor:
    """One layer z_j <- z_j + scale sum_{i<=n} P z_i <z_i, Q z_j> for every token j (keys/values: context only).
    Ahn et al.: scale 1/n, (P, Q); von Oswald et al.: P <- P W_V, Q <- W_K^T W_Q, scale 1."""
    ctx = Z[:, :n_ctx]
    scores = Z @ Q.transpose(-1, -2) @ ctx.transpose(1, 2)        # [j, i] = z_i^T Q z_j
    return Z + scale * scores @ (ctx @ P.transpose(-1, -2))


def stack(Z: torch.Tensor, layers, scale: float, n_ctx: int) -> torch.Tensor:
    """Apply (P_l, Q_l) for l = 1..L in order."""
    for P, Q in layers:
        Z = lsa(Z, P, Q, scale, n_ctx)
    return Z


def one_layer_prediction(Z: torch.Tensor, P: torch.Tensor, Q: torch.Tensor, scale: float, n_ctx: int) -> torch.Tensor:
    """-[lsa(Z)]_{query, last} for one layer when the query's last entry is 0: -scale p^T (sum_i z_i z_i^T) Q z_q with
    p the last row of P (the other outputs are not needed for the prediction)."""
    ctx = Z[:, :n_ctx]
    G = ctx.transpose(1, 2) @ ctx                                   # (B, D, D), no parameters
    return -scale * torch.einsum("d,bde,be->b", P[-1], G, Z[:, n_ctx] @ Q.T)


def sparse8_prediction(X: torch.Tensor, y: torch.Tensor, As, n_ctx: int, u: torch.Tensor | None = None):
    """Prediction of a stack of (8)-layers (P = [[0,0],[u^T,1]], Q = -[[A_l,0],[0,0]], scale 1/n): the x-rows never
    change, so only the y-row is updated, y_j <- y_j - (1/n) sum_i (u^T x_i + y_i) x_i^T A_l x_j (eq. (2) restricted).
    X: (B, n+1, d) with the query last, y: (B, n+1) with y_q = 0 (ignored).  Returns -y_q after the stack."""
    Xc = X[:, :n_ctx]
    y = torch.cat([y[:, :n_ctx], torch.zeros_like(y[:, n_ctx:])], dim=1)
    for A in As:
        K = Xc @ A @ X.transpose(1, 2)                                   # (B, n, n+1): x_i^T A x_j
        v = y[:, :n_ctx] if u is None else y[:, :n_ctx] + Xc @ u
        y = y - torch.einsum("bi,bij->bj", v, K) / n_ctx
    return -y[:, n_ctx]


def sqrtm_psd(S: np.ndarray) -> np.ndarray:
    lam, U = np.linalg.eigh(np.asarray(S, float))
    return (U * np.sqrt(np.clip(lam, 0, None))) @ U.T


def gaussian_prompts(B: int, n: int, Sigma_half: torch.Tensor, Omega_half: torch.Tensor,
                     gen: torch.Generator, dtype=torch.float32, device="cpu"):
    """x_i, x_q ~ N(0, Sigma), w* ~ N(0, Omega), y = <w*, x> (no noise).  Returns Z0 (B, n+1, d+1) with the query's
    y-entry 0, the target y_q (B,), and w* (B, d)."""
    d = Sigma_half.shape[0]
    X = torch.randn(B, n + 1, d, generator=gen, dtype=dtype, device=device) @ Sigma_half.T.to(dtype)
    w = torch.randn(B, d, generator=gen, dtype=dtype, device=device) @ Omega_half.T.to(dtype)
    y = torch.einsum("bnd,bd->bn", X, w)
    Z = torch.cat([X, y[..., None]], dim=-1)
    Z[:, n, d] = 0
    return Z, y[:, n], w


def uniform_prompts(B: int, N: int, nx: int, gen: torch.Generator, a: float = 1.0, dtype=torch.float32,
                    device="cpu"):
    """von Oswald et al.'s data (Section 4): x ~ U(-a, a)^{N_x}, W ~ N(0, I), N_y = 1; query (x_q, 0)."""
    X = (torch.rand(B, N + 1, nx, generator=gen, dtype=dtype, device=device) * 2 - 1) * a
    w = torch.randn(B, nx, generator=gen, dtype=dtype, device=device)
    y = torch.einsum("bnd,bd->bn", X, w)
    Z = torch.cat([X, y[..., None]], dim=-1)
    Z[:, N, nx] = 0
    return Z, y[:, N], w


def mean_se(v: torch.Tensor | np.ndarray) -> tuple[float, float]:
    """Sample mean and its standard error."""
    v = torch.as_tensor(v, dtype=torch.float64).flatten()
    return float(v.mean()), float(v.std() / math.sqrt(max(1, v.numel())))
