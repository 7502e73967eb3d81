"""Gatmiry et al. 2024 run in torch / numpy: training the looped linear transformer (spec B-6), the full-matrix and
u-trainable optima on a fixed Monte Carlo sample (B-2, B-3), test-time loop extrapolation (B-7) and the gradient flow
on the isotropic ray (B-5)."""
from __future__ import annotations

import math

import numpy as np
import torch

from numeric.backends import pick_device

from .models import gaussian_prompts, mean_se, sparse8_prediction, sqrtm_psd
from .training import adam_train, lbfgs_minimise


def rel_dist(A: np.ndarray, target: np.ndarray) -> float:
    return float(np.linalg.norm(A - target) / np.linalg.norm(target))


def scale_dist(M: np.ndarray) -> tuple[float, float]:
    """(alpha, Dist(M, I)) with alpha = tr M / d and Dist = ||M - alpha I||_F / ||M||_F (Ahn et al. Section 4.3)."""
    d = M.shape[0]
    alpha = float(np.trace(M) / d)
    return alpha, float(np.linalg.norm(M - alpha * np.eye(d)) / np.linalg.norm(M))


def train_looped(Sigma, n: int, L: int, steps: int, batch: int = 4096, lr: float = 1e-2, lr_late: float = 1e-3,
                 seed: int = 0, train_u: bool = False, init_scale: float = 1e-2,
                 log_every: int = 100, monitor=None, device=None) -> dict:
    """Spec B-6: one (8)-layer looped L times, A (and optionally u) trained by Adam on fresh prompts x ~ N(0, Sigma),
    w* ~ N(0, Sigma^{-1}); lr for the first half, then lr_late; A starts at init_scale * N(0, 1)."""
    gen = torch.Generator().manual_seed(seed)
    Sigma = np.asarray(Sigma, float)
    Sh = torch.tensor(sqrtm_psd(Sigma), dtype=torch.float32)
    Oh = torch.tensor(sqrtm_psd(np.linalg.inv(Sigma)), dtype=torch.float32)
    d = Sigma.shape[0]
    device = pick_device(device)
    A = (init_scale * torch.randn(d, d, generator=gen)).to(device).requires_grad_(True)
    u = torch.zeros(d, device=device, requires_grad=train_u)
    params = [A, u] if train_u else [A]

    def loss_fn(step):
        Z, yq, _ = gaussian_prompts(batch, n, Sh, Oh, gen)
        Z, yq = Z.to(device), yq.to(device)
        pred = sparse8_prediction(Z[..., :d], Z[..., d], [A] * L, n, u if train_u else None)
        return ((pred - yq) ** 2).mean()

    mon = None if monitor is None else (lambda: monitor(A.detach().cpu().numpy().astype(float)))
    res = adam_train(params, loss_fn, steps, lr, lr_schedule=lambda f: 1.0 if f < 0.5 else lr_late / lr,
                     log_every=log_every, monitor=mon)
    return {"A": A.detach().cpu().numpy().astype(float), "u": u.detach().cpu().numpy().astype(float), "train": res}


def looped_loss_mc(A, n: int, L: int, Sigma, prompts: int, seed: int = 0, chunk: int = 50_000) -> tuple:
    """MC loss (mean, SE) of the looped model with u = 0, float64, fresh prompts."""
    gen = torch.Generator().manual_seed(seed)
    Sigma = np.asarray(Sigma, float)
    Sh = torch.tensor(sqrtm_psd(Sigma), dtype=torch.float64)
    Oh = torch.tensor(sqrtm_psd(np.linalg.inv(Sigma)), dtype=torch.float64)
    d = Sigma.shape[0]
    At = torch.tensor(A, dtype=torch.float64)
    errs = []
    with torch.no_grad():
        done = 0
        while done < prompts:
            B = min(chunk, prompts - done)
            Z, yq, _ = gaussian_prompts(B, n, Sh, Oh, gen, dtype=torch.float64)
            errs.append((sparse8_prediction(Z[..., :d], Z[..., d], [At] * L, n) - yq) ** 2)
            done += B
    return mean_se(torch.cat(errs))


def shat_sample(n: int, d: int, samples: int, seed: int = 0) -> torch.Tensor:
    """Whitened S_hat = (1/n) sum_i x_i x_i^T, x ~ N(0, I): (samples, d, d), float64."""
    gen = torch.Generator().manual_seed(seed)
    X = torch.randn(samples, n, d, generator=gen, dtype=torch.float64)
    return X.transpose(1, 2) @ X / n


def looped_loss_per_sample(B, S_hat: torch.Tensor, L: int) -> torch.Tensor:
    """||(I - B S_hat)^L||_F^2 for every sample: the whitened looped loss with u = 0 before the expectation."""
    eye = torch.eye(S_hat.shape[-1], dtype=torch.float64)
    R = torch.linalg.matrix_power(eye - torch.as_tensor(B, dtype=torch.float64) @ S_hat, L)
    return (R * R).sum(dim=(-1, -2))


def full_matrix_optimum(S_hat: torch.Tensor, L: int, starts: int = 3, seed: int = 0, max_iter: int = 300) -> dict:
    """Spec B-2: minimise E ||(I - B S_hat)^L||_F^2 over B in R^{d x d} (the whitened looped loss with u = 0,
    B = Sigma^{1/2} A^T Sigma^{1/2}) on a fixed sample by L-BFGS from random starts around 0.5 I."""
    d = S_hat.shape[-1]
    eye = torch.eye(d, dtype=torch.float64)
    gen = torch.Generator().manual_seed(seed)
    runs = []
    for _ in range(starts):
        B = (0.5 * eye + 0.2 * torch.randn(d, d, generator=gen, dtype=torch.float64)).requires_grad_(True)
        lbfgs_minimise([B], lambda: looped_loss_per_sample(B, S_hat, L).mean(), max_iter, tolerance_change=1e-15)
        with torch.no_grad():
            m, se = mean_se(looped_loss_per_sample(B, S_hat, L))
        runs.append({"B": B.detach().numpy(), "loss": m, "loss_se": se})
    return {"runs": runs, "samples": int(S_hat.shape[0])}


def holdout_difference(B, c: float, S_hat: torch.Tensor, L: int) -> tuple[float, float]:
    """Paired held-out estimate of L(B) - L(c I) (whitened, u = 0) with its standard error."""
    eye = torch.eye(S_hat.shape[-1], dtype=torch.float64)
    return mean_se(looped_loss_per_sample(B, S_hat, L) - looped_loss_per_sample(c * eye, S_hat, L))


def u_optimum(n: int, d: int, L: int, prompts: int, seed: int = 0, max_iter: int = 200) -> dict:
    """Spec B-3: A and u both trained (L-BFGS) on a fixed whitened prompt sample, from A = 0.5 I, u ~ N(0, 0.1^2 I)."""
    gen = torch.Generator().manual_seed(seed)
    eye = torch.eye(d, dtype=torch.float64)
    Z, yq, _ = gaussian_prompts(prompts, n, eye, eye, gen, dtype=torch.float64)
    A = (0.5 * eye).clone().requires_grad_(True)
    u = (0.1 * torch.randn(d, generator=gen, dtype=torch.float64)).requires_grad_(True)

    def per_prompt(uu):
        return (sparse8_prediction(Z[..., :d], Z[..., d], [A] * L, n, uu) - yq) ** 2

    lbfgs_minimise([A, u], lambda: per_prompt(u).mean(), max_iter, tolerance_change=1e-15)
    with torch.no_grad():
        m, se = mean_se(per_prompt(u))
        m0, se0 = mean_se(per_prompt(None))
    return {"A": A.detach().numpy(), "u": u.detach().numpy(), "loss": m, "loss_se": se, "loss_u0": m0,
            "loss_u0_se": se0, "prompts": prompts}


def loop_extrapolation(c: float, n: int, d: int, T_max: int, samples: int, seed: int = 0) -> dict:
    """Spec B-7: loss of A = c Sigma^{-1} run with T = 1..T_max loops, whitened: per prompt
    E_{x_q, w}[loss | S_hat] = sum_i (1 - c lambda_i(S_hat))^{2T}; returns the mean (with SE) and median over prompts."""
    lam = torch.linalg.eigvalsh(shat_sample(n, d, samples, seed)).numpy()       # (samples, d)
    base = np.abs(1 - c * lam)
    T = np.arange(1, T_max + 1)
    with np.errstate(over="ignore"):
        per = np.stack([np.sum(base ** (2 * t), axis=1) for t in T])             # (T, samples)
    mean = per.mean(axis=1)
    se = per.std(axis=1) / math.sqrt(samples)
    return {"T": T.tolist(), "mean": mean.tolist(), "se": se.tolist(), "median": np.median(per, axis=1).tolist(),
            "frac_divergent": float(np.mean(np.any(base > 1, axis=1))), "max_eig": float(lam.max())}


def ray_gradient_flow(g_coeffs, d: int, t_max: float, c0: float = 0.0, n_eval: int = 400) -> dict:
    """Spec B-5: gradient flow dA/dt = -grad L(A, 0) from A = c0 I (Sigma = I) stays on the ray A = c I, where
    dc/dt = -g'(c)/d; integrated with an adaptive RK45 at tight tolerance.  ``g_coeffs``: g's coefficients, highest first."""
    from scipy.integrate import solve_ivp

    g = np.poly1d(np.asarray(g_coeffs, float))
    dg = g.deriv()
    ts = np.concatenate([[0.0], np.geomspace(1e-3, t_max, n_eval)])
    sol = solve_ivp(lambda t, c: -dg(c) / d, (0.0, t_max), [c0], t_eval=ts, rtol=1e-11, atol=1e-13, method="RK45")
    c = sol.y[0]
    return {"t": sol.t.tolist(), "c": c.tolist(), "loss": g(c).tolist()}


def flow_time_to(g_coeffs, d: int, xi: float, t_max: float = 1e6, c0: float = 0.0) -> float | None:
    """The time the ray gradient flow dc/dt = -g'(c)/d from c0 first reaches g(c) = xi: RK45 at rtol 1e-11 with an
    event at g(c) - xi = 0 (scipy locates the crossing to the integrator's accuracy); None when not reached by t_max."""
    from scipy.integrate import solve_ivp

    g = np.poly1d(np.asarray(g_coeffs, float))
    dg = g.deriv()
    if g(c0) <= xi:
        return 0.0

    def hit(t, c):
        return g(c[0]) - xi

    hit.terminal, hit.direction = True, -1
    sol = solve_ivp(lambda t, c: -dg(c) / d, (0.0, t_max), [c0], events=hit, rtol=1e-11, atol=1e-13, method="RK45")
    return float(sol.t_events[0][0]) if sol.t_events[0].size else None


def time_to_reach(flow: dict, xi: float) -> float | None:
    """First time at which the flow's loss is <= xi (linear interpolation), None when never."""
    t, f = np.asarray(flow["t"]), np.asarray(flow["loss"])
    idx = np.nonzero(f <= xi)[0]
    if idx.size == 0:
        return None
    k = int(idx[0])
    if k == 0:
        return 0.0
    return float(t[k - 1] + (t[k] - t[k - 1]) * (f[k - 1] - xi) / (f[k - 1] - f[k]))
