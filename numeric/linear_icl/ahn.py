"""Ahn et al. 2023 run in numpy / torch: Monte Carlo estimates of Theorem 1's optimum (spec A-2), training of one
full (P, Q) layer (A-4), the Theorem 3 gradient check on a Monte Carlo sample (A-7), Theorem 5's scalar (A-12),
Theorem 2's two symmetric layers (A-9), Section 4.3's training run (A-8), Theorem 4's family (11) with its
full-matrix gradient (A-10) and the Appendix D baselines with N and N - 1 points (A-11)."""
from __future__ import annotations

import math

import numpy as np
import torch

from numeric.backends import pick_device

from .models import gaussian_prompts, mean_se, one_layer_prediction, sparse8_prediction, sqrtm_psd, stack
from .training import adam_train, lbfgs_minimise

D_PAPER = (1.0, 1.0, 0.25, 0.0625, 1.0)     # Section 4.3: Sigma = U^T diag(1, 1, 1/4, 1/16, 1) U


def paper_sigma(seed: int, d: int = 5) -> np.ndarray:
    """Sigma = U^T D U with D = diag(1, 1, 1/4, 1/16, 1) and U a seeded random orthogonal matrix (Section 4.3)."""
    U = np.linalg.qr(np.random.default_rng(seed).standard_normal((d, d)))[0]
    return U.T @ np.diag(D_PAPER[:d]) @ U


def _chunks(total: int, chunk: int):
    done = 0
    while done < total:
        b = min(chunk, total - done)
        yield b
        done += b


def mc_gamma(Sigma, Omega, n: int, prompts: int, seed: int = 0, Gamma_ref=None, chunk: int = 200_000) -> dict:
    """Least-squares Monte Carlo estimate of argmin_Gamma E[(x_q^T Gamma S_hat w* - y_q)^2] (the prediction is linear in
    Gamma: features vec(x_q (S_hat w*)^T)), with a sandwich covariance computed from the residuals at ``Gamma_ref``,
    and the MC loss at ``Gamma_ref`` with its standard error.  numpy float64."""
    rng = np.random.default_rng(seed)
    Sh, Oh = np.linalg.cholesky(np.asarray(Sigma, float)), np.linalg.cholesky(np.asarray(Omega, float))
    d = Sh.shape[0]
    FtF = np.zeros((d * d, d * d))
    Fty = np.zeros(d * d)
    meat = np.zeros((d * d, d * d))
    loss_sum = loss_sq = 0.0
    used = 0
    g_ref = None if Gamma_ref is None else np.asarray(Gamma_ref, float).ravel()
    for B in _chunks(prompts, chunk):
        X = rng.standard_normal((B, n, d)) @ Sh.T
        xq = rng.standard_normal((B, d)) @ Sh.T
        w = rng.standard_normal((B, d)) @ Oh.T
        y = np.einsum("bnd,bd->bn", X, w)
        Sw = np.einsum("bnd,bn->bd", X, y) / n
        F = np.einsum("ba,bc->bac", xq, Sw).reshape(B, -1)
        yq = np.einsum("bd,bd->b", xq, w)
        FtF += F.T @ F
        Fty += F.T @ yq
        if g_ref is not None:
            e = yq - F @ g_ref
            meat += (F * (e * e)[:, None]).T @ F
            loss_sum += float(np.sum(e * e))
            loss_sq += float(np.sum(e ** 4))
        used += B
    G = np.linalg.solve(FtF, Fty).reshape(d, d)
    out = {"Gamma": G, "prompts": used}
    if g_ref is not None:
        inv = np.linalg.inv(FtF)
        cov = inv @ meat @ inv
        Gr = g_ref.reshape(d, d)
        out["rel_error"] = float(np.linalg.norm(G - Gr) / np.linalg.norm(Gr))
        out["rel_error_noise"] = float(math.sqrt(np.trace(cov)) / np.linalg.norm(Gr))  # rms size of pure noise
        m = loss_sum / used
        out["loss_at_ref"] = m
        out["loss_at_ref_se"] = math.sqrt(max(loss_sq / used - m * m, 0.0) / used)
    return out


def gamma_eff(P: np.ndarray, Q: np.ndarray) -> np.ndarray:
    """Gamma_eff = -(P_{d+1,d+1} Q_{1:d,1:d})^T: the preconditioner of x_q^T Gamma S_hat w* a full layer implements."""
    d = Q.shape[0] - 1
    return -(P[d, d] * Q[:d, :d]).T


def train_one_layer(Sigma, n: int, steps: int = 4000, batch: int = 4096, lr: float = 3e-3, lr_late: float = 5e-4,
                    seed: int = 0, init_scale: float = 1e-2, fixed_p: bool = True, device=None, log_every: int = 200, monitor=None) -> dict:
    """Spec A-4: one full (P, Q) layer, w* ~ N(0, I), Adam (lr, then lr_late for the last half), float32.
    Init: P_{d+1,d+1} = 1 (``fixed_p``) and everything else init_scale * N(0, 1); ``fixed_p`` False: a fully small init."""
    gen = torch.Generator(device="cpu").manual_seed(seed)
    device = pick_device(device)
    Sh = torch.tensor(sqrtm_psd(Sigma), dtype=torch.float32)
    d = Sh.shape[0]
    P = (init_scale * torch.randn(d + 1, d + 1, generator=gen))
    Q = (init_scale * torch.randn(d + 1, d + 1, generator=gen))
    if fixed_p:
        P[d, d] = 1.0
    P, Q = P.to(device).requires_grad_(True), Q.to(device).requires_grad_(True)
    eye = torch.eye(d)

    def loss_fn(step):
        Z, yq, _ = gaussian_prompts(batch, n, Sh, eye, gen)
        Z, yq = Z.to(device), yq.to(device)
        return ((one_layer_prediction(Z, P, Q, 1.0 / n, n) - yq) ** 2).mean()

    mon = None if monitor is None else (lambda: monitor(P.detach().cpu().numpy().astype(float),
                                                        Q.detach().cpu().numpy().astype(float)))
    res = adam_train([P, Q], loss_fn, steps, lr, lr_schedule=lambda f: 1.0 if f < 0.5 else lr_late / lr,
                     log_every=log_every, monitor=mon)
    return {"P": P.detach().cpu().numpy().astype(float), "Q": Q.detach().cpu().numpy().astype(float),
            "train": res}


def batch_gradient_mc(params, batch_errors, batches: int) -> dict:
    """Mean over ``batches`` independent batches of grad (mean error) w.r.t. ``params``, its noise level from batch
    means (SE per entry), and the mean error with its SE; ``batch_errors(k)`` returns per-prompt errors of batch k."""
    grads, errs = [], []
    for k in range(batches):
        e = batch_errors(k)
        g = torch.autograd.grad(e.mean(), params)
        grads.append(torch.stack([x.detach() for x in g]))
        errs.append(e.detach())
    G = torch.stack(grads)
    gmean, gse = G.mean(0), G.std(0) / math.sqrt(batches)
    m, se = mean_se(torch.cat(errs))
    return {"grad": gmean.numpy(), "grad_se": gse.numpy(), "grad_norm": float(gmean.norm()),
            "noise_norm": float(gse.norm()), "loss": m, "loss_se": se}


def s_family_loss_mc(a, n: int, d: int, prompts: int, seed: int = 0, batches: int = 20, dtype=torch.float64) -> dict:
    """Spec A-7: at A_l = a_l I (whitened), the MC loss of the (8)-stack and the autograd gradient with respect to the
    full matrices A_l, with its noise level from batch means.  Returns mean gradient, its SE, loss and SE."""
    gen = torch.Generator().manual_seed(seed)
    As = [(float(v) * torch.eye(d, dtype=dtype)).requires_grad_(True) for v in a]
    eye = torch.eye(d, dtype=dtype)
    per = prompts // batches

    def errors(_):
        Z, yq, _ = gaussian_prompts(per, n, eye, eye, gen, dtype=dtype)
        return (sparse8_prediction(Z[..., :d], Z[..., d], As, n) - yq) ** 2

    return {**batch_gradient_mc(As, errors, batches), "prompts": per * batches}


def theorem5_mc(n: int, d: int, prompts: int, seed: int = 0, chunk: int = 200_000) -> dict:
    """Spec A-12: least-squares scalar c for the prediction c (1/n) sum_i y_i relu(x_i^T x_q), x, w* ~ N(0, I), with a
    delta-method standard error."""
    rng = np.random.default_rng(seed)
    s11 = s12 = 0.0
    rows = []
    for B in _chunks(prompts, chunk):
        X = rng.standard_normal((B, n, d))
        xq = rng.standard_normal((B, d))
        w = rng.standard_normal((B, d))
        y = np.einsum("bnd,bd->bn", X, w)
        h = np.einsum("bn,bn->b", y, np.maximum(np.einsum("bnd,bd->bn", X, xq), 0)) / n
        yq = np.einsum("bd,bd->b", xq, w)
        s11 += float(h @ h)
        s12 += float(h @ yq)
        rows.append((h, yq))
    c = s12 / s11
    h = np.concatenate([r[0] for r in rows])
    yq = np.concatenate([r[1] for r in rows])
    e = yq - c * h
    se = math.sqrt(float(np.sum((h * e) ** 2))) / s11
    return {"c": c, "se": se, "prompts": prompts}


def train_sparse8(n: int, Sigma, Omega, L: int, steps: int, batch: int = 4096, lr: float = 1e-2, seed: int = 0,
                  symmetric: bool = False, init_mean: float = 0.0, init_scale: float = 0.1,
                  log_every: int = 100, monitor=None, device=None,
                  clip: float | None = None) -> dict:
    """L layers of (8) with trainable A_l (symmetric: parametrised as (S + S^T)/2; Theorem 2), Adam on fresh
    prompts x ~ N(0, Sigma), w* ~ N(0, Omega); lr for the first half, lr/10 for the second.  A_l starts at
    init_mean I + init_scale N(0, 1); ``clip``: each matrix's gradient norm clipped (Section 4.3: 0.01)."""
    gen = torch.Generator().manual_seed(seed)
    d = np.asarray(Sigma).shape[0]
    Sh = torch.tensor(sqrtm_psd(Sigma), dtype=torch.float32)
    Oh = torch.tensor(sqrtm_psd(Omega), dtype=torch.float32)
    device = pick_device(device)
    S = [(init_mean * torch.eye(d) + init_scale * torch.randn(d, d, generator=gen)).to(device).requires_grad_(True)
         for _ in range(L)]

    def mats():
        return [(s + s.T) / 2 for s in S] if symmetric else S

    def loss_fn(step):
        Z, yq, _ = gaussian_prompts(batch, n, Sh, Oh, gen)
        Z, yq = Z.to(device), yq.to(device)
        return ((sparse8_prediction(Z[..., :d], Z[..., d], mats(), n) - yq) ** 2).mean()

    mon = None if monitor is None else (lambda: monitor([m.detach().cpu().numpy().astype(float) for m in mats()]))
    res = adam_train(S, loss_fn, steps, lr, lr_schedule=lambda f: 1.0 if f < 0.5 else 0.1, clip=clip,
                     clip_per_tensor=True, log_every=log_every, monitor=mon)
    return {"A": [m.detach().cpu().numpy().astype(float) for m in mats()], "train": res}


def section43_run(Sigma, n: int = 20, L: int = 3, steps: int = 4000, seed: int = 0, batch: int = 4096, lr: float = 2e-2, clip: float | None = 0.01, init_scale: float = 0.1,
                  eval_prompts: int = 100_000, log_every: int = 50) -> dict:
    """Section 4.3 / Figs. 1-2: L layers of (8) trained by Adam with per-matrix clipping on x ~ N(0, Sigma),
    w* ~ N(0, Sigma^{-1}); per layer (alpha, Dist) of Sigma^{1/2} A_i Sigma^{1/2}, Dist(A_i, I), and the MC loss."""
    from symbolic.ahn2023 import sparse8

    from .gatmiry import scale_dist

    Sh = sqrtm_psd(Sigma)
    Om = np.linalg.inv(Sigma)

    def monitor(As):
        row = {}
        for i, A in enumerate(As):
            row[f"dist_white_{i}"] = scale_dist(Sh @ A @ Sh)[1]
            row[f"dist_raw_{i}"] = scale_dist(A)[1]
        return row

    run = train_sparse8(n, Sigma, Om, L, steps=steps, batch=batch, lr=lr, seed=seed, init_scale=init_scale,
                        monitor=monitor, log_every=log_every, clip=clip)
    white = [scale_dist(Sh @ A @ Sh) for A in run["A"]]
    layers = [tuple(np.array(M, float) for M in sparse8(A.tolist())) for A in run["A"]]
    m, se = stack_loss_mc(layers, n, Sigma, Om, eval_prompts, seed=seed + 1)
    return {"scalars": [w[0] for w in white], "dist_white": [w[1] for w in white],
            "dist_raw": [scale_dist(A)[1] for A in run["A"]], "sorted_scalars": sorted(abs(w[0]) for w in white),
            "dist_raw_optimum": scale_dist(Om)[1], "loss": m, "loss_se": se, "steps": run["train"].steps,
            "history": run["train"].history,
            "A": [A.tolist() for A in run["A"]]}


def stack_loss_mc(layers_np, n: int, Sigma, Omega, prompts: int, seed: int = 0, chunk: int = 50_000) -> tuple:
    """MC loss (mean, SE) of a stack of (P, Q) layers on fresh prompts, float64."""
    gen = torch.Generator().manual_seed(seed)
    Sh = torch.tensor(sqrtm_psd(Sigma), dtype=torch.float64)
    Oh = torch.tensor(sqrtm_psd(Omega), dtype=torch.float64)
    d = Sh.shape[0]
    layers = [(torch.tensor(P, dtype=torch.float64), torch.tensor(Q, dtype=torch.float64)) for P, Q in layers_np]
    errs = []
    with torch.no_grad():
        for B in _chunks(prompts, chunk):
            Z, yq, _ = gaussian_prompts(B, n, Sh, Oh, gen, dtype=torch.float64)
            pred = -stack(Z, layers, 1.0 / n, n)[:, n, d]
            errs.append((pred - yq) ** 2)
    return mean_se(torch.cat(errs))


def family11_errors(Z, yq, As, Bs, n: int):
    """Per-prompt squared errors of family (11): P_l = [[B_l, 0], [0, 1]], Q_l = [[A_l, 0], [0, 0]], 1/n scaling on
    both the x- and the y-updates (Section 5.1, the authors' code)."""
    d = As[0].shape[0]
    corner = torch.zeros(d + 1, d + 1, dtype=Z.dtype)
    corner[d, d] = 1.0
    pad = torch.nn.functional.pad
    layers = [(pad(B, (0, 1, 0, 1)) + corner, pad(A, (0, 1, 0, 1))) for A, B in zip(As, Bs)]
    return (-stack(Z, layers, 1.0 / n, n)[:, n, d] - yq) ** 2


def family11_scalar_mats(theta, d: int, dtype=torch.float64):
    """theta = (a_0, a_1, a_2, b_0, b_1) -> A_l = a_l I, B_l = b_l I, B_2 = 0 (it does not enter the loss; Thm 4)."""
    eye = torch.eye(d, dtype=dtype)
    a, b = theta[:3], list(theta[3:]) + [0.0 * theta[0]]
    return [a[l] * eye for l in range(3)], [b[l] * eye for l in range(3)]


def theorem4_scalars(n: int, d: int, prompts: int, starts, seed: int = 0, max_iter: int = 200) -> list[dict]:
    """Spec A-10: L-BFGS over (a_0, a_1, a_2, b_0, b_1) of family (11) with A_l = a_l I, B_l = b_l I (B_2 does not
    enter the loss), on a fixed whitened MC sample, float64, several starts."""
    gen = torch.Generator().manual_seed(seed)
    eye = torch.eye(d, dtype=torch.float64)
    Z, yq, _ = gaussian_prompts(prompts, n, eye, eye, gen, dtype=torch.float64)
    out = []
    for start in starts:
        theta = torch.tensor(start, dtype=torch.float64, requires_grad=True)

        def loss():
            return family11_errors(Z, yq, *family11_scalar_mats(theta, d), n).mean()

        lbfgs_minimise([theta], loss, max_iter, tolerance_grad=1e-10)
        grad = torch.autograd.grad(loss(), theta)[0]
        out.append({"start": list(start), "theta": theta.detach().tolist(), "loss": float(loss().detach()),
                    "sample_grad_norm": float(grad.norm())})
    return out


def family11_loss_mc(theta, n: int, d: int, prompts: int, seed: int = 0, cap: float | None = None,
                     chunk: int = 25_000) -> dict:
    """The Monte Carlo loss of family (11) at A_l = a_l I, B_l = b_l I (whitened; theta = (a_0, a_1, a_2, b_0, b_1)) on
    fresh prompts: the mean squared error and its SE, and, with ``cap``, the mean of min(error, cap) and its SE (a
    lower bound on the loss whose variance is finite even when the errors are heavy-tailed), the fraction of prompts
    above the cap, the median and the largest error."""
    gen = torch.Generator().manual_seed(seed)
    eye = torch.eye(d, dtype=torch.float64)
    As, Bs = family11_scalar_mats(torch.tensor(theta, dtype=torch.float64), d)
    parts = []
    for B in _chunks(prompts, chunk):
        Z, yq, _ = gaussian_prompts(B, n, eye, eye, gen, dtype=torch.float64)
        with torch.no_grad():
            parts.append(family11_errors(Z, yq, As, Bs, n))
    e = torch.cat(parts)
    m, se = mean_se(e)
    out = {"loss": m, "loss_se": se, "median": float(e.median()), "max": float(e.max()), "prompts": int(e.numel())}
    if cap is not None:
        t = torch.clamp(e, max=cap)
        mt, set_ = mean_se(t)
        out.update(capped_loss=mt, capped_loss_se=set_, cap=cap, frac_over_cap=float((e > cap).double().mean()))
    return out


def family11_gradient_mc(theta, n: int, d: int, prompts: int, seed: int = 0, batches: int = 20) -> dict:
    """Spec A-10 / Theorem 4: at A_l = a_l I, B_l = b_l I (whitened), the autograd gradient of the MC loss with respect
    to ALL six d x d matrices A_0..A_2, B_0..B_2 on a fresh sample, with its noise level from batch means."""
    gen = torch.Generator().manual_seed(seed)
    eye = torch.eye(d, dtype=torch.float64)
    As, Bs = family11_scalar_mats(torch.tensor(theta, dtype=torch.float64), d)
    params = [M.detach().clone().requires_grad_(True) for M in As + Bs]
    per = prompts // batches

    def errors(_):
        Z, yq, _ = gaussian_prompts(per, n, eye, eye, gen, dtype=torch.float64)
        return family11_errors(Z, yq, params[:3], params[3:], n)

    r = batch_gradient_mc(params, errors, batches)
    G = r["grad"]
    off = G - np.einsum("lii->l", G)[:, None, None] / d * np.eye(d)
    return {**r, "prompts": per * batches, "per_matrix_norm": [float(np.linalg.norm(g)) for g in G],
            "off_scalar_norm": float(np.linalg.norm(off))}


def _gd_losses(Xw, w, pre, steps: int, etas) -> np.ndarray:
    """L-step (P)GD from w = 0 on R(v) = (1/2m) sum_i (<v, x_i> - y_i)^2, v <- v - eta pre S_hat (v - w*), for every
    eta at once; returns (len(etas), prompts) errors ||v_L - w*||^2 in whitened coordinates (rows of Xw whitened)."""
    m = Xw.shape[1]
    S_hat = np.einsum("bni,bnj->bij", Xw, Xw) / m
    v = np.zeros((len(etas),) + w.shape)
    eta = np.asarray(etas, float)[:, None, None]
    for _ in range(steps):
        v = v - eta * np.einsum("bjk,ebk->ebj", S_hat, v - w) @ pre.T
    return np.sum((v - w) ** 2, axis=-1)


def _ols_errors(Xw, w) -> np.ndarray:
    """Minimum-norm OLS in whitened coordinates (the authors' do_OLS: pinv(X^T X) X^T y after X -> D^{-1} U^T X)."""
    v = np.einsum("bij,bj->bi", np.linalg.pinv(Xw), np.einsum("bni,bi->bn", Xw, w))
    return np.sum((v - w) ** 2, axis=-1)


def baseline_losses(Sigma, N: int, m: int, steps: int, etas, prompts: int, seed: int = 0) -> dict:
    """Appendix D (Figs. 6-7): L-step GD, L-step PGD with Sigma^{-1} and OLS using the first ``m`` of the N context
    points (m = N as the paper states, m = N - 1 in the authors' code), x ~ N(0, Sigma), w* ~ N(0, Sigma^{-1});
    loss E[<v - w*, x_q>^2] (not halved).  Step sizes are grid-searched on one half of the sample and the losses
    reported on the other half (mean, SE)."""
    rng = np.random.default_rng(seed)
    d = np.asarray(Sigma).shape[0]
    Z = rng.standard_normal((2, prompts // 2, N, d))[:, :, :m]       # whitened context points (same draws for any m)
    w = rng.standard_normal((2, prompts // 2, d))                     # whitened w* (Sigma^{1/2} w* ~ N(0, I))
    Sh = sqrtm_psd(Sigma)
    out = {"m": m}
    for name, pre in (("gd", Sh @ Sh), ("pgd", np.eye(d))):           # raw GD is whitened GD with pre = Sigma
        sel = _gd_losses(Z[0], w[0], pre, steps, etas).mean(1)
        k = int(np.argmin(sel))
        out[name], out[name + "_se"] = mean_se(_gd_losses(Z[1], w[1], pre, steps, [etas[k]])[0])
        out[name + "_eta"] = float(etas[k])
    out["ols"], out["ols_se"] = mean_se(_ols_errors(Z[1], w[1]))
    out["ols_exact"] = float(max(d - m, 0))                            # E ||(I - P_span) v||^2 = d - rank
    return out


def appendix_d_table(Sigma, Ns, steps: int, prompts: int, seed: int = 0, etas=None) -> list[dict]:
    """Appendix D: for each N the baselines with all N points (as stated) and with N - 1 (the authors' X = Z[0:N-1]),
    on common random numbers, and the ratios code / stated."""
    etas = np.geomspace(0.01, 2.0, 40) if etas is None else etas
    rows = []
    for N in Ns:
        ok = baseline_losses(Sigma, N, N, steps, etas, prompts, seed=seed + N)
        code = baseline_losses(Sigma, N, N - 1, steps, etas, prompts, seed=seed + N)
        row = {"N": N}
        for k in ("gd", "pgd", "ols"):
            row[k], row[k + "_code"] = ok[k], code[k]
            row[k + "_ratio"] = code[k] / ok[k] if ok[k] > 1e-12 else (math.inf if code[k] > 1e-12 else 1.0)
        row.update(gd_eta=ok["gd_eta"], gd_eta_code=code["gd_eta"], pgd_eta=ok["pgd_eta"],
                   pgd_eta_code=code["pgd_eta"], gd_se=ok["gd_se"], gd_code_se=code["gd_se"])
        rows.append(row)
    return rows
