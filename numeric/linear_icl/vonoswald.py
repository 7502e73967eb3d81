"""von Oswald et al. 2023 run in torch: the GD baseline and its rate scan (Section 4 / code ``scan_lrs``), training one
linear self-attention layer (spec C-6), the trained-vs-constructed metrics the paper uses (prediction difference,
cosine and L2 distance of the query sensitivities d yhat / d x_q, the interpolated model), and the optimal (eta, gamma)
of recurrent GD++ (App. A.10): directly on prompts (``gdpp_optimum``, L-BFGS on a fixed sample) and through the
spectrum of H = X^T X (``gdpp_spectral_optimum``, Monte Carlo with a batch-means confidence interval)."""
from __future__ import annotations

import numpy as np
import torch

from scipy.optimize import minimize

from numeric.backends import pick_device

from .models import lsa, mean_se, one_layer_prediction, uniform_prompts
from .training import adam_train, lbfgs_minimise


def gd_prediction(Z: torch.Tensor, eta: float, N: int) -> torch.Tensor:
    """One GD step from W_0 = 0 (Prop. 1): yhat = (eta/N) sum_i y_i <x_i, x_q>."""
    nx = Z.shape[-1] - 1
    X, y = Z[:, :N, :nx], Z[:, :N, nx]
    return eta / N * torch.einsum("bn,bnd,bd->b", y, X, Z[:, N, :nx])


def gd_rate_scan(N: int, nx: int, tasks: int, seed: int = 0, grid=None) -> dict:
    """The paper's brute-force GD rate search (code: lr in arange(0.001, 25, 0.1)) on ``tasks`` tasks, plus the exact
    minimiser of the same sample (the loss is quadratic in eta); losses are the paper's 1/2 mean squared error."""
    gen = torch.Generator().manual_seed(seed)
    Z, yq, _ = uniform_prompts(tasks, N, nx, gen, dtype=torch.float64)
    a = gd_prediction(Z, 1.0, N)
    grid = np.arange(0.001, 25, 0.1) if grid is None else np.asarray(grid)
    losses = [0.5 * float(((e * a - yq) ** 2).mean()) for e in grid]
    k = int(np.argmin(losses))
    eta_ls = float((a @ yq) / (a @ a))
    return {"eta_grid": float(grid[k]), "loss_grid": losses[k], "eta_exact_sample": eta_ls,
            "loss_exact_sample": 0.5 * float(((eta_ls * a - yq) ** 2).mean()), "tasks": tasks}


def gd_loss_mc(eta: float, N: int, nx: int, tasks: int, seed: int = 0, chunk: int = 50_000,
               a: float = 1.0) -> tuple[float, float]:
    """(1/2) MSE of one GD step at rate eta with its standard error (spec C-5), in chunks of ``chunk`` tasks;
    inputs x ~ U(-a, a)^{N_x} (a = 1: the paper's Section 4; a = 1/2: what the released code draws)."""
    gen = torch.Generator().manual_seed(seed)
    parts, done = [], 0
    while done < tasks:
        B = min(chunk, tasks - done)
        Z, yq, _ = uniform_prompts(B, N, nx, gen, a=a, dtype=torch.float64)
        parts.append(0.5 * (gd_prediction(Z, eta, N) - yq) ** 2)
        done += B
    return mean_se(torch.cat(parts))


class LSA:
    """Trainable heads (W_K, W_Q, W_V, P) of one linear self-attention layer, truncated-normal init std ``init_std``;
    the layer only enters through W_KQ = W_K^T W_Q and W_PV = P W_V (gauge: (s W_PV, W_KQ / s))."""

    def __init__(self, D: int, heads: int, init_std: float, gen: torch.Generator, device="cpu"):
        def tn():
            t = torch.empty(D, D)
            torch.nn.init.trunc_normal_(t, std=init_std, a=-2 * init_std, b=2 * init_std, generator=gen)
            return t.to(device).requires_grad_(True)

        self.heads = [{k: tn() for k in ("W_K", "W_Q", "W_V", "P")} for _ in range(heads)]

    def params(self) -> list[torch.Tensor]:
        return [t for h in self.heads for t in h.values()]

    def products(self) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """(W_PV, W_KQ) per head."""
        return [(h["P"] @ h["W_V"], h["W_K"].T @ h["W_Q"]) for h in self.heads]

    def predict(self, Z: torch.Tensor, N: int) -> torch.Tensor:
        """yhat = -(y-entry of the updated query) (readout -h[:, -1, -1]); no 1/N (it is learned into P).  Z may live
        on the CPU when the weights are on a GPU; the prediction comes back on Z's device."""
        dev = self.heads[0]["P"].device
        Zd = Z.to(dev)
        return sum(one_layer_prediction(Zd, PV, KQ, 1.0, N) for PV, KQ in self.products()).to(Z.device)


def train_lsa(N: int, nx: int, steps: int, batch: int = 2048, lr: float = 1e-3, heads: int = 1, seed: int = 0,
              init_std: float = 0.002, clip: float | None = 10.0,
              log_every: int = 250, device=None) -> dict:
    """Spec C-6: Adam on (1/B) sum ||yhat - y||^2 with online fresh tasks (x ~ U(-1,1)^{N_x}, W ~ N(0, I)); lr for
    the first half of the steps, lr/10 for the second."""
    gen = torch.Generator().manual_seed(seed)
    device = pick_device(device)
    model = LSA(nx + 1, heads, init_std, gen, device)

    def loss_fn(step):
        Z, yq, _ = uniform_prompts(batch, N, nx, gen)
        Z, yq = Z.to(device), yq.to(device)
        return ((model.predict(Z, N) - yq) ** 2).mean()

    res = adam_train(model.params(), loss_fn, steps, lr, clip=clip, log_every=log_every,
                     lr_schedule=lambda f: 1.0 if f < 0.5 else 0.1)
    return {"model": model, "train": res}


def sensitivities(predict, Z: torch.Tensor, N: int) -> torch.Tensor:
    """d yhat / d x_q for every task (the implicit linear model), by autograd as in the paper's ``analyse``."""
    nx = Z.shape[-1] - 1
    Z = Z.clone().detach()
    xq = Z[:, N, :nx].clone().requires_grad_(True)
    Zq = torch.cat([Z[:, :N], torch.cat([xq, Z[:, N, nx:]], dim=-1)[:, None]], dim=1)
    (g,) = torch.autograd.grad(predict(Zq).sum(), xq)
    return g


def compare_to_gd(predict, eta: float, N: int, nx: int, tasks: int, seed: int = 0) -> dict:
    """The paper's metrics over ``tasks`` validation tasks: Preds diff = mean ||yhat_theta - yhat_GD||, Model cos =
    mean cosine of the sensitivities, Model diff = mean ||s_theta - s_GD||; plus both (1/2) losses."""
    gen = torch.Generator().manual_seed(seed)
    Z, yq, _ = uniform_prompts(tasks, N, nx, gen)
    with torch.no_grad():
        p_t, p_gd = predict(Z), gd_prediction(Z, eta, N)
    s_t = sensitivities(predict, Z, N)
    s_gd = sensitivities(lambda Zq: gd_prediction(Zq, eta, N), Z, N)
    cos = torch.nn.functional.cosine_similarity(s_t, s_gd, dim=1)
    loss_t, loss_t_se = mean_se(0.5 * (p_t - yq) ** 2)
    loss_gd, loss_gd_se = mean_se(0.5 * (p_gd - yq) ** 2)
    return {"preds_diff": float((p_t - p_gd).abs().mean()),
            "preds_rel_diff": float((p_t - p_gd).norm() / p_gd.norm()),
            "model_cos": float(cos.mean()), "model_diff": float((s_t - s_gd).norm(dim=1).mean()),
            "loss_trained": loss_t, "loss_trained_se": loss_t_se, "loss_gd": loss_gd, "loss_gd_se": loss_gd_se,
            "tasks": tasks}


def gd_products(nx: int, eta: float, N: int, dtype=torch.float32) -> tuple[torch.Tensor, torch.Tensor]:
    """The construction's (W_PV, W_KQ) = ((eta/N) [[0,0],[0,-1]], [[I,0],[0,0]]) (App. A.1, W_0 = 0)."""
    D = nx + 1
    PV = torch.zeros(D, D, dtype=dtype)
    PV[nx, nx] = -eta / N
    KQ = torch.zeros(D, D, dtype=dtype)
    KQ[:nx, :nx] = torch.eye(nx)
    return PV, KQ


def interpolate(model: LSA, eta: float, N: int, nx: int):
    """App. A.3, single head: rescale W_KQ by beta (the mean of its diagonal without the last entry), multiply W_PV by
    beta, and average with the construction: theta_I = (theta + theta_GD)/2 on the gauge-fixed products."""
    (PV, KQ), = model.products()
    PV, KQ = PV.detach().cpu(), KQ.detach().cpu()
    beta = float(torch.diagonal(KQ)[:nx].mean())
    PV_gd, KQ_gd = gd_products(nx, eta, N)
    PV_i, KQ_i = (beta * PV + PV_gd) / 2, (KQ / beta + KQ_gd) / 2
    return (lambda Z: one_layer_prediction(Z, PV_i, KQ_i, 1.0, N)), beta


def gdpp_prediction(eta, gamma, Z: torch.Tensor, N: int, layers: int) -> torch.Tensor:
    """``layers`` tied GD++ layers (App. A.10) on a batch, W_0 = 0: every token x_j <- (I - gamma X X^T) x_j
    (un-normalised, pre-update context), y_j <- y_j - (eta/N) sum_i <x_i, x_j> y_i; yhat = -(y-entry of the query)."""
    nx = Z.shape[-1] - 1
    X, y = Z[..., :nx], Z[..., nx]
    for _ in range(layers):
        Xc, yc = X[:, :N], y[:, :N]
        K = X @ Xc.transpose(1, 2)                                        # (B, N+1, N): <x_j, x_i>
        y = y - eta / N * torch.einsum("bji,bi->bj", K, yc)
        X = X - gamma * torch.einsum("bji,bid->bjd", K, Xc)
    return -y[:, N]


def gdpp_optimum(N: int, nx: int, tasks: int, layers: int = 2, seed: int = 0) -> dict:
    """Optimal tied (eta, gamma) of recurrent GD++ on a fixed sample of the paper's tasks (L-BFGS from the GD rate),
    and the optimum with gamma = 0 (plain GD) for comparison."""
    gen = torch.Generator().manual_seed(seed)
    Z, yq, _ = uniform_prompts(tasks, N, nx, gen, dtype=torch.float64)

    def loss(eta, gamma):
        return 0.5 * (gdpp_prediction(eta, gamma, Z, N, layers) - yq).pow(2).mean()

    out = {}
    for name, free_gamma in (("gd", False), ("gdpp", True)):
        eta = torch.tensor(1.0, dtype=torch.float64, requires_grad=True)
        gamma = torch.tensor(0.0, dtype=torch.float64, requires_grad=free_gamma)
        params = [eta, gamma] if free_gamma else [eta]
        lbfgs_minimise(params, lambda: loss(eta, gamma), 200)
        out[name] = {"eta": float(eta.detach()), "gamma": float(gamma.detach()),
                     "half_loss": float(loss(eta, gamma).detach())}
    out["tasks"] = tasks
    return out


def rollout_losses(products, Z: torch.Tensor, yq: torch.Tensor, N: int, steps: int, lam: float) -> list[float]:
    """App. A.6 roll-out: apply one LSA layer ``steps`` times to every token with dampening, Z <- Z + lam (LSA(Z) - Z);
    the (1/2) loss of yhat = -(y-entry of the query) after each application.  ``products``: [(W_PV, W_KQ)] per head."""
    products = [(PV.to(Z), KQ.to(Z)) for PV, KQ in products]
    out = []
    for _ in range(steps):
        Z = Z + lam * sum(lsa(Z, PV, KQ, 1.0, N) - Z for PV, KQ in products)
        out.append(0.5 * float(((-Z[:, N, -1] - yq) ** 2).mean()))
    return out


def gd_rollout_losses(Z: torch.Tensor, yq: torch.Tensor, N: int, steps: int, rate: float) -> list[float]:
    """``steps`` GD steps at ``rate`` from W_0 = 0 on each task's context, (1/2) loss of W_t x_q after each step."""
    nx = Z.shape[-1] - 1
    X, y, xq = Z[:, :N, :nx], Z[:, :N, nx], Z[:, N, :nx]
    w = torch.zeros_like(xq)
    out = []
    for _ in range(steps):
        w = w - rate / N * torch.einsum("bn,bnd->bd", torch.einsum("bnd,bd->bn", X, w) - y, X)
        out.append(0.5 * float(((torch.einsum("bd,bd->b", w, xq) - yq) ** 2).mean()))
    return out


def rollout_comparison(model: LSA | None, eta: float, N: int, nx: int, tasks: int, steps: int = 50,
                       lam: float = 0.75, seed: int = 0) -> dict:
    """Spec C-7: the trained layer (or, with ``model`` None, the construction at rate eta) rolled out with dampening
    lam against GD at rate lam * eta; per-step (1/2) losses and their relative gap."""
    gen = torch.Generator().manual_seed(seed)
    Z, yq, _ = uniform_prompts(tasks, N, nx, gen, dtype=torch.float64)
    products = ([(PV.detach().cpu(), KQ.detach().cpu()) for PV, KQ in model.products()] if model is not None
                else [gd_products(nx, eta, N, dtype=torch.float64)])
    with torch.no_grad():
        tf = rollout_losses(products, Z, yq, N, steps, lam)
        gd = gd_rollout_losses(Z, yq, N, steps, lam * eta)
    gaps = [abs(a - b) / b for a, b in zip(tf, gd)]
    return {"tf": tf, "gd": gd, "rel_gap": gaps, "lam": lam, "rate": lam * eta, "tasks": tasks, "steps": steps}


# ----------------------------------------------------------------------------------------------------------
# Recurrent GD++ through the spectrum of H = X^T X (App. A.10)

def uniform_spectra(N: int, nx: int, samples: int, seed: int = 0, a: float = 1.0, chunk: int = 5000) -> np.ndarray:
    """Eigenvalues of H = X^T X = sum_{i<=N} x_i x_i^T for ``samples`` tasks with x_i ~ U(-a, a)^{N_x} (numpy PCG64,
    seeded): shape (samples, N_x)."""
    rng = np.random.default_rng(seed)
    out, done = [], 0
    while done < samples:
        B = min(chunk, samples - done)
        X = rng.uniform(-a, a, size=(B, N, nx))
        out.append(np.linalg.eigvalsh(np.einsum("bni,bnj->bij", X, X)))
        done += B
    return np.concatenate(out)


def gdpp_spectral_factor(lam: np.ndarray, eta: float, gamma: float, N: int, layers: int) -> np.ndarray:
    """p(lambda) with yhat = x_q^T p(H) w for ``layers`` tied GD++ layers from W_0 = 0 (App. A.10), per eigenvalue of
    H = X^T X: layer k adds (eta/N) T_k^2 lambda R_k to p, where T_k = prod_{j<k} (1 - gamma h_j) (the x-transform,
    h_{j+1} = (1 - gamma h_j)^2 h_j) and R_{k+1} = R_k (1 - (eta/N) T_k^2 lambda) (the context residuals y - ... =
    X R_k(H) w).  Derived from the token map of ``gdpp_prediction`` (every matrix is a polynomial in H, so they
    commute); tested against it."""
    h, T2, R, p = lam, np.ones_like(lam), np.ones_like(lam), np.zeros_like(lam)
    for _ in range(layers):
        step = eta / N * T2 * lam * R
        p, R = p + step, R - step
        T2 = T2 * (1 - gamma * h) ** 2
        h = (1 - gamma * h) ** 2 * h
    return p


def gdpp_spectral_half_loss(lam: np.ndarray, eta: float, gamma: float, N: int, layers: int, s2: float) -> float:
    """(1/2) E (yhat - y_q)^2 = (1/2) s^2 E sum_i (p(lambda_i) - 1)^2 (w ~ N(0, I), x_q independent with
    E x_q x_q^T = s^2 I), averaged over the sample of spectra ``lam``."""
    return float(0.5 * s2 * np.mean(np.sum((gdpp_spectral_factor(lam, eta, gamma, N, layers) - 1) ** 2, axis=1)))


def _nelder_mead(f, x0) -> tuple[np.ndarray, float]:
    r = minimize(f, np.asarray(x0, float), method="Nelder-Mead",
                 options={"xatol": 1e-11, "fatol": 1e-15, "maxiter": 4000, "maxfev": 8000})
    return r.x, float(r.fun)


def gdpp_spectral_optimum(N: int, nx: int, samples: int, seed: int = 0, a: float = 1.0, layers: int = 2,
                          batches: int = 10, grid: int = 24) -> dict:
    """The loss-minimising tied (eta, gamma) of ``layers``-layer recurrent GD++ (App. A.10) for x ~ U(-a, a)^{N_x},
    w ~ N(0, I), N context points, by Monte Carlo over the spectrum of H: a global grid over (eta s^2, gamma N s^2)
    in (0, 3] x [0, 1.5] (s^2 = a^2/3, the scale-free coordinates) on the first 1000 spectra, Nelder-Mead on the
    whole sample from the best grid point, then the same refinement on each of ``batches`` disjoint batches (the
    confidence interval of gamma* from batch means: SE = std / sqrt(batches)).  Also the plain-GD optimum (gamma = 0,
    ``layers`` steps) on the same sample."""
    lam = uniform_spectra(N, nx, samples, seed=seed, a=a)
    s2 = a * a / 3
    sub = lam[:1000]
    f_sub = lambda v: gdpp_spectral_half_loss(sub, v[0], v[1], N, layers, s2)  # noqa: E731
    cands = [(f_sub((u / s2, v / (N * s2))), u / s2, v / (N * s2))
             for u in np.linspace(0.05, 3.0, grid) for v in np.linspace(0.0, 1.5, grid + 1)]
    _, e0, g0 = min(cands)
    full = lambda v: gdpp_spectral_half_loss(lam, v[0], v[1], N, layers, s2)  # noqa: E731
    x, fx = _nelder_mead(full, (e0, g0))
    per = []
    for idx in np.array_split(np.arange(samples), batches):
        part = lam[idx]
        xb, _ = _nelder_mead(lambda v: gdpp_spectral_half_loss(part, v[0], v[1], N, layers, s2), x)
        per.append(xb)
    per = np.asarray(per)
    se = per.std(axis=0, ddof=1) / np.sqrt(batches)
    gd_x, gd_f = _nelder_mead(lambda v: gdpp_spectral_half_loss(lam, v[0], 0.0, N, layers, s2), (x[0],))
    return {"eta": float(x[0]), "gamma": float(x[1]), "eta_se": float(se[0]), "gamma_se": float(se[1]),
            "half_loss": fx, "gd_eta": float(gd_x[0]), "gd_half_loss": gd_f, "samples": samples, "a": a,
            "layers": layers, "batches": batches, "scale_free": {"eta_s2": float(x[0] * s2),
                                                                   "gamma_N_s2": float(x[1] * N * s2)}}
