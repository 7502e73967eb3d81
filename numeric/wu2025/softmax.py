"""Executors and error studies for the Softmax substitutes of ``symbolic.wu2025.softmax`` (ours).

* ``apply_softmax`` (torch) and ``apply_softmax_highprec`` (mpmath / Fractions are not closed under exp) run a
  ``SoftmaxAttention`` layer from the sparse compiled form (``compile_heads``, via ``batched.pack``); every
  other layer goes to the existing executors (``run_mixed``, ``run_mixed_highprec``).
* ``gate_function`` evaluates phi_soft exactly as the heads realise it; ``certify_gate_error`` gives an Arb
  upper bound on sup_{[-R, R]} |phi_soft - phi| (order-3 Taylor model, branch and bound).
* ``gate_table`` / ``temperature_sweep`` / ``gradient_step_table`` / ``construction_table``: error of each Softmax
  block against its target (the exact function and the ReLU layer) as its size and temperature change.
* ``fit_gradient_ff`` fits Theorem 2's FF1 (per-example gradient) and ``theorem2_errors`` measures the 4L model's
  eps^(l-1) = w_pre^(l) - (w^(l-1) - eta grad L_n(w^(l-1))) against eta * eps.
"""
from __future__ import annotations

import heapq
import math
import time
from dataclasses import dataclass, replace
from fractions import Fraction

import mpmath
import numpy as np
import sympy as sp
import torch
from flint import arb, ctx

from symbolic.activations import T, get_activation
from symbolic.network import NetworkShape
from symbolic.sum_of_relu import interpolant
from symbolic.wu2025.assemble import build_construction
from symbolic.wu2025.config import WuConfig
from symbolic.wu2025.softmax import (FittedFF, GateApproximant, SoftmaxAttention, SoftmaxSubstitute,
                                     build_softmax_construction, build_theorem2_model, naive_softmax_swap,
                                     sigmoid_gates, softmax_gradient_step_layer)

from ..executors import run_layers
from ..executors.batched import apply_batched, pack
from ..executors.compiled import compile_heads
from ..executors.highprec import apply_highprec, converter
from ..precision import arb_function, to_arb
from .prompt import Prompt, convert, initial_tokens, make_prompt
from .reference import exact_terms, projected_gd
from .run import block_boundaries

# ----------------------------------------------------------------------------------------------- executors


def apply_softmax(layer: SoftmaxAttention, H: torch.Tensor, max_scores: int = 2**24) -> torch.Tensor:
    """(E.1) on H of shape (n_tok, D), heads batched; with ``sink`` one extra key of score 0 and value 0."""
    n_tok = H.shape[0]
    P = pack(layer, H.dtype, H.device)
    out = H.clone()
    chunk = max(1, max_scores // max(1, n_tok * (n_tok + 1)))
    for m0 in range(0, P.qidx.shape[0], chunk):
        sl = slice(m0, m0 + chunk)
        Hq = H[:, P.qidx[sl]] * P.coef[sl]
        Hk = H[:, P.kidx[sl]]
        Hv = H[:, P.vcol[sl]] * P.vval[sl]
        S = torch.einsum("imb,smb->mis", Hq, Hk)
        if layer.sink:
            S = torch.cat([S, torch.zeros_like(S[..., :1])], dim=-1)
        Wt = torch.softmax(S, dim=-1)[..., :n_tok]
        contrib = torch.einsum("mis,smv->imv", Wt, Hv)
        out.index_add_(1, P.vrow[sl].reshape(-1), contrib.reshape(n_tok, -1))
    return out


def apply_mixed(layer, H: torch.Tensor) -> torch.Tensor:
    return apply_softmax(layer, H) if isinstance(layer, SoftmaxAttention) else apply_batched(layer, H)


def run_mixed(layers, H: torch.Tensor, record: bool = True):
    """Torch run of a layer list that may contain ``SoftmaxAttention`` layers."""
    with torch.no_grad():
        return run_layers(layers, H, apply_mixed, record)


def apply_softmax_highprec(layer: SoftmaxAttention, H: list[list]) -> list[list]:
    """(E.1) in mpmath at the current precision (weights converted exactly from the Fractions)."""
    num = converter("mpmath")
    comp = compile_heads(layer)
    n_tok = len(H)
    out = [row[:] for row in H]
    for sterms, vterms in zip(comp.score, comp.value):
        st = [(qc, kc, num(v)) for qc, kc, v in sterms]
        vt = [(r, c, num(v)) for r, c, v in vterms]
        vals = [[(r, v * H[s][c]) for r, c, v in vt] for s in range(n_tok)]
        for i in range(n_tok):
            sc = [mpmath.fsum(v * H[i][qc] * H[s][kc] for qc, kc, v in st) for s in range(n_tok)]
            top = max(sc + ([mpmath.mpf(0)] if layer.sink else []))
            ex = [mpmath.exp(a - top) for a in sc]
            Z = mpmath.fsum(ex) + (mpmath.exp(-top) if layer.sink else 0)
            for s in range(n_tok):
                wgt = ex[s] / Z
                for r, v in vals[s]:
                    out[i][r] += wgt * v
    return out


def run_mixed_highprec(layers, H, record: bool = True):
    """mpmath run (current precision) of a layer list that may contain ``SoftmaxAttention`` layers."""
    num = converter("mpmath")

    def apply(layer, h):
        if isinstance(layer, SoftmaxAttention):
            return apply_softmax_highprec(layer, h)
        return apply_highprec(layer, h, num)

    return run_layers(layers, [list(r) for r in H], apply, record)


def run_tokens(layers, wc_layout, prompt: Prompt, dtype=torch.float64):
    """(final H, states) of ``layers`` on the prompt's initial tokens (torch)."""
    H0 = torch.tensor(convert(initial_tokens(wc_layout, prompt), "float"), dtype=dtype)
    return run_mixed(layers, H0)


# ----------------------------------------------------------------------------------------------- gates


def gate_function(g: GateApproximant, z, kind: str = "torch"):
    """phi_soft(z) as the heads realise it: c0 S(B0 + delta) + sum_q Delta_q S(beta (z - m_q) + delta),
    delta = log n_tok - log_m (kind 'torch': float64 tensor z; 'mpmath': one mpf z)."""
    if kind == "torch":
        z = torch.as_tensor(z, dtype=torch.float64)
        c = torch.tensor([float(v) for v in g.centers], dtype=torch.float64)
        dl = torch.tensor([float(v) for v in g.deltas], dtype=torch.float64)
        return float(g.c0) * torch.sigmoid(torch.tensor(float(g.B0), dtype=torch.float64)) + \
            (torch.sigmoid(float(g.beta) * (z[..., None] - c)) * dl).sum(-1)
    f = converter("mpmath")
    delta = mpmath.log(g.n_tok) - f(g.log_m)
    sig = lambda x: 1 / (1 + mpmath.exp(-x))  # noqa: E731
    beta = f(g.beta)
    return f(g.c0) * sig(f(g.B0) + delta) + mpmath.fsum(f(d) * sig(beta * (z - f(m)) + delta)
                                                         for m, d in zip(g.centers, g.deltas))


def softmax_head_output(g: GateApproximant, z, n_tok: int | None = None):
    """The literal softmax arithmetic of one head family for a token whose score input is z (mpmath): each head
    has n_tok keys of score a and a sink of score 0, weight e^a / (n_tok e^a + 1) per key, value Delta_q."""
    f = converter("mpmath")
    m = g.n_tok if n_tok is None else n_tok
    total = mpmath.mpf(0)
    heads = [(f(g.B0) - f(g.log_m), f(g.c0))]
    heads += [(f(g.beta) * z - f(g.beta) * f(mq) - f(g.log_m), f(dq)) for mq, dq in zip(g.centers, g.deltas)]
    for a, val in heads:
        total += m * val / (m + mpmath.exp(-a))
    return total


def _gate_derivs_point(g: GateApproximant, z: arb, delta: arb, beta: arb, cs, ds):
    """(phi_soft, phi_soft', phi_soft'') at a point, as Arb balls."""
    v0 = to_arb(g.c0) / (1 + (-(to_arb(g.B0) + delta)).exp())
    v1 = v2 = arb(0)
    for c, d in zip(cs, ds):
        s = 1 / (1 + (-(beta * (z - c) + delta)).exp())
        sp1 = s * (1 - s)
        v0 += d * s
        v1 += d * beta * sp1
        v2 += d * beta * beta * sp1 * (1 - 2 * s)
    return v0, v1, v2


@dataclass(frozen=True)
class GateCertificate:
    lower: float
    upper: float
    boxes: int
    seconds: float

    def as_dict(self) -> dict:
        return {"lower": self.lower, "upper": self.upper, "boxes": self.boxes, "seconds": self.seconds,
                "method": "Arb Taylor model (order 3) + branch and bound"}


def certify_gate_error(g: GateApproximant, rtol: float = 1e-2, max_boxes: int = 20000,
                       dps: int = 30) -> GateCertificate:
    """Rigorous upper bound (and sampled lower bound) on sup_{[-R, R]} |phi_soft - phi| (ours).

    On a box [m - r, m + r]: |e| <= |e(m)| + |e'(m)| r + |e''(m)| r^2/2 + sup |e'''| r^3/6, with
    |S'''| <= S' <= e^{-|x|}; gates with |beta (m - m_q)| > 40 + beta r enter e''' only through that tail bound.
    """
    t0 = time.monotonic()
    old = ctx.dps
    ctx.dps = dps
    try:
        f = [arb_function(sp.diff(g.target, T, k), T) for k in range(4)]
        beta = to_arb(g.beta)
        delta = arb(g.n_tok).log() - to_arb(g.log_m)
        cs = [to_arb(c) for c in g.centers]
        ds = [to_arb(d) for d in g.deltas]
        cf = [float(c) for c in g.centers]
        bf = float(g.beta)
        tail_abs = sum(abs(float(d)) for d in g.deltas) * math.exp(-40) * bf**3 * 1.01

        def bound(a: Fraction, b: Fraction):
            m, r = (a + b) / 2, (b - a) / 2
            am, ar = to_arb(m), to_arb(r)
            v0, v1, v2 = _gate_derivs_point(g, am, delta, beta, cs, ds)
            e0, e1, e2 = f[0](am) - v0, f[1](am) - v1, f[2](am) - v2
            J = am + arb(0, 1) * ar
            e3 = abs(f[3](J)).upper()
            near = [k for k, c in enumerate(cf) if abs(bf * (float(m) - c)) <= 40 + bf * float(r) + 1]
            for k in near:
                s = 1 / (1 + (-(beta * (J - cs[k]) + delta)).exp())
                e3 += abs(ds[k] * beta**3 * s * (1 - s) * (1 - 6 * s * (1 - s))).upper()
            e3 += arb(tail_abs)
            ub = abs(e0).upper() + abs(e1).upper() * ar + abs(e2).upper() * ar**2 / 2 + e3 * ar**3 / 6
            return ub.upper(), float(abs(e0).lower())

        R = g.R
        pieces = max(8, 2 * g.M)
        edges = [-R + 2 * R * Fraction(q, pieces) for q in range(pieces + 1)]
        heap, lower, boxes = [], 0.0, 0
        for a, b in zip(edges, edges[1:]):
            ub, lb = bound(a, b)
            boxes += 1
            lower = max(lower, lb)
            heapq.heappush(heap, (-float(ub.mid()), boxes, a, b, ub))
        while heap and boxes < max_boxes:
            _, _, a, b, ub = heap[0]
            if float(ub.mid()) <= lower * (1 + rtol):
                break
            heapq.heappop(heap)
            mid = (a + b) / 2
            for a2, b2 in ((a, mid), (mid, b)):
                ub2, lb2 = bound(a2, b2)
                boxes += 1
                lower = max(lower, lb2)
                heapq.heappush(heap, (-float(ub2.mid()), boxes, a2, b2, ub2))
        upper = float(heap[0][4].upper().mid()) * (1 + 1e-12) if heap else 0.0
        return GateCertificate(lower, upper, boxes, time.monotonic() - t0)
    finally:
        ctx.dps = old


def sampled_sup_error(target: sp.Expr, approx_fn, R: float, points: int = 20001) -> float:
    """max |approx - target| on a uniform grid of [-R, R] (float64; a lower estimate of the sup)."""
    z = torch.linspace(-R, R, points, dtype=torch.float64)
    exact = sp.lambdify(T, target, modules="torch")(z)
    return float((approx_fn(z) - exact).abs().max())


def relu_interpolant_fn(target: sp.Expr, R, M: int):
    """The ReLU layer's r_bar (interpolant with M segments) as a float64 torch function."""
    ip = interpolant(target, T, R, M)
    a = torch.tensor([[float(u.a[0]), float(u.a[1])] for u in ip.units], dtype=torch.float64)
    c = torch.tensor([float(u.c) for u in ip.units], dtype=torch.float64)
    return lambda z: (torch.relu(z[..., None] * a[:, 0] + a[:, 1]) * c).sum(-1)


def gate_table(activation: str = "sigmoid", R="3.1", Ms=(10, 20, 40, 80, 160), n_tok: int = 5,
               certify: bool = False, relu: bool = True) -> list[dict]:
    """Sup error on [-R, R] of the sink-gate block for r and r' (heads = M + 2E + 1, beta = M/2R) vs the ReLU
    interpolant with the same M (its Lemma 2/3 layer, if ``relu``), and the block's deviation from that layer."""
    act = get_activation(activation)
    Rf = float(Fraction(str(R)))
    rows = []
    for M in Ms:
        row = {"M": M}
        for name, target in (("r", act.expr), ("rp", act.derivative(1))):
            g = sigmoid_gates(target, R, M, n_tok)
            g_plain = sigmoid_gates(target, R, M, n_tok, corrected=False)
            row[f"heads_{name}"] = g.heads
            row["beta"] = float(g.beta)
            row[f"softmax_err_{name}"] = sampled_sup_error(target, lambda z: gate_function(g, z), Rf)
            row[f"softmax_uncorrected_err_{name}"] = sampled_sup_error(target, lambda z: gate_function(g_plain, z), Rf)
            if relu:
                relu_fn = relu_interpolant_fn(target, R, M)
                row[f"relu_err_{name}"] = sampled_sup_error(target, relu_fn, Rf)
                z = torch.linspace(-Rf, Rf, 20001, dtype=torch.float64)
                row[f"softmax_vs_relu_layer_{name}"] = float((gate_function(g, z) - relu_fn(z)).abs().max())
            if certify:
                row[f"certified_{name}"] = certify_gate_error(g).upper
        rows.append(row)
    return rows


def temperature_sweep(activation: str = "sigmoid", R="3.1", M: int = 40, factors=(0.25, 0.5, 1, 2, 4, 8),
                      n_tok: int = 5) -> list[dict]:
    """Fixed gate positions, inverse temperature beta = factor * M / 2R: too hot smooths, too cold is a staircase."""
    act = get_activation(activation)
    g0 = sigmoid_gates(act.expr, R, M, n_tok)
    rows = []
    for fct in factors:
        g = replace(g0, beta=g0.beta * Fraction(str(fct)))
        rows.append({"M": M, "beta": float(g.beta), "temperature": 1 / float(g.beta),
                     "softmax_err_r": sampled_sup_error(act.expr, lambda z: gate_function(g, z), float(g0.R))})
    return rows


def naive_swap_demo(cfg: WuConfig, seeds=(0, 1)) -> dict:
    """Lemma 2's first layer with softmax in place of ReLU: p(1) equals sum_m c_m for every prompt (spec 7.2)."""
    wc = build_construction(cfg, readout=False)
    layer = wc.blocks[0].layers[0]
    swap = naive_softmax_swap(layer)
    lay = wc.layout
    outs, relu_outs = [], []
    for s in seeds:
        pr = make_prompt(cfg, wc.box, seed=s)
        H0 = torch.tensor(convert(initial_tokens(lay, pr), "float"), dtype=torch.float64)
        outs.append(apply_softmax(swap, H0)[:, lay.slice(lay.p(1))])
        relu_outs.append(apply_batched(layer, H0)[:, lay.slice(lay.p(1))])
    c_sum = float(sum(u.c for u in wc.approx.r.units))
    spread = max(float((o - c_sum).abs().max()) for o in outs)
    relu_spread = float((relu_outs[0] - relu_outs[1]).abs().max())
    return {"sum_c": c_sum, "softmax_output_minus_sum_c": spread, "relu_outputs_differ_by": relu_spread,
            "softmax_p1": outs[0].tolist(), "relu_p1": relu_outs[0].tolist()}


# ----------------------------------------------------------------------------------------------- whole runs


def _gd_step_error(cfg: WuConfig, box, w_prev, w_pre, x, y) -> float:
    """||eps^(l-1)||_2 with w_pre = w^(l-1) - eta grad L_n(w^(l-1)) + eps^(l-1) (pre-projection), float64."""
    g = exact_terms(cfg, list(w_prev), x, y, kind="float").grad
    target = np.array(w_prev, dtype=float) - cfg.eta * np.array([float(v) for v in g])
    return float(np.linalg.norm(np.array(w_pre, dtype=float) - target))


def icgd_errors(wc, prompt: Prompt, layers=None) -> dict:
    """For a (2N+4)L construction (ReLU or softmax): per step ||eps^(l-1)||_2 (Theorem 2's form, from the model's
    own iterate), ||w^(l) - w_GD^(l)||_2, and the readout |y_hat - f(w_GD^L, x_query)| when present."""
    cfg = wc.config
    H, states = run_tokens(wc.net.layers if layers is None else layers, wc.layout, prompt)
    wsl = wc.layout.slice("w")
    with mpmath.workdps(30):
        ws_gd = [np.array([float(v) for v in w])
                 for w in projected_gd(cfg, wc.box, prompt.w0, prompt.x, prompt.y, cfg.L)]
    bounds = block_boundaries(wc)
    eps, dev = [], []
    w_prev = prompt.w0
    for l in range(cfg.L):
        first, last = bounds[l]
        w_pre = states[last - 1][0, wsl].numpy()  # after the gradient step, before the projection MLP
        eps.append(_gd_step_error(cfg, wc.box, w_prev, w_pre, prompt.x, prompt.y))
        w_prev = states[last][0, wsl].numpy()
        dev.append(float(np.linalg.norm(w_prev - ws_gd[l + 1])))
    out = {"eps_step": eps, "w_dev": dev, "max_eps_over_eta": max(eps) / cfg.eta}
    if len(bounds) > cfg.L:
        from symbolic.network import forward

        act = get_activation(cfg.activation)
        from ..backends import TorchArrays, torch_derivative

        p, _ = forward(cfg.shape, torch.tensor(ws_gd[-1]), torch.tensor(prompt.x[-1:]), torch_derivative(act, 0),
                       TorchArrays)
        yhat = H[-1, wc.layout.slice("y")].numpy()
        out["readout_err"] = float(np.abs(yhat - p[-1].numpy()[0]).max())
    return out


def construction_table(cfg: WuConfig, Ms=(20, 40, 80, 160), seed: int = 0, sub: SoftmaxSubstitute | None = None
                       ) -> list[dict]:
    """Sink-gate softmax construction vs the ReLU construction with the same M: ICGD errors on one prompt."""
    rows = []
    for M in Ms:
        c_relu = replace(cfg, knots=M)
        wr = build_construction(c_relu)
        pr = make_prompt(c_relu, wr.box, seed=seed)
        ws = build_softmax_construction(c_relu, replace(sub or SoftmaxSubstitute(), M=M))
        er, es = icgd_errors(wr, pr), icgd_errors(ws, pr)
        rows.append({"M": M, "relu_max_eps": max(er["eps_step"]), "softmax_max_eps": max(es["eps_step"]),
                     "relu_w_dev": er["w_dev"][-1], "softmax_w_dev": es["w_dev"][-1],
                     "relu_readout_err": er.get("readout_err"), "softmax_readout_err": es.get("readout_err"),
                     "softmax_heads_per_block": sum(layer.size for layer in ws.blocks[0].layers
                                                    if isinstance(layer, SoftmaxAttention))})
    return rows


def gradient_step_table(cfg: WuConfig, betas=(1e-1, 1e-2, 1e-3, 1e-4), Bs=(10, 20, 30), seed: int = 0) -> list[dict]:
    """Heavy-sink gradient layer vs the ReLU layer (C.16) on the same state (the one just before C.16)."""
    wc = build_construction(replace(cfg, knots=cfg.knots or 80), readout=False)
    pr = make_prompt(wc.config, wc.box, seed=seed)
    H, states = run_tokens(wc.net.layers, wc.layout, pr)
    first, last = block_boundaries(wc)[0]
    before = states[last - 2]
    relu_layer = wc.blocks[0].layers[-2]
    target = apply_batched(relu_layer, before)[:, wc.layout.slice("w")]
    step = float((target[0] - before[0, wc.layout.slice("w")]).norm())
    rows = []
    for B in Bs:
        for beta in betas:
            layer = softmax_gradient_step_layer(wc.layout, cfg.eta, cfg.n, Fraction(str(beta)), B)
            out = apply_softmax(layer, before)[:, wc.layout.slice("w")]
            err = float((out - target).norm(dim=1).max())
            rows.append({"beta": beta, "B": B, "err": err, "relative_err": err / step,
                         "kappa": float(layer.structure["kappa"])})
    return rows


# ----------------------------------------------------------------------------------------------- Theorem 2 (4L)


def network_batch(shape: NetworkShape, W: torch.Tensor, X: torch.Tensor, r) -> torch.Tensor:
    """f(w_b, x_b) of Definition 1/10 for a batch of parameter vectors W (B, D_N) and inputs X (B, d_x)."""
    p = X
    for j in range(1, shape.N + 1):
        V = W[:, shape.layer_slice(j)].reshape(-1, shape.width(j), shape.fan_in(j))
        p = r(torch.bmm(V, p[:, :, None])[:, :, 0])
    return p


def per_example_gradients(shape: NetworkShape, activation: str, W, X, Y) -> torch.Tensor:
    """grad_w l(w_b, x_b, y_b), l = (1/2)||f(w, x) - y||^2 (Theorem 2's l; (1/n) sum l = (2.2)'s L_n)."""
    from ..backends import torch_derivative

    r = torch_derivative(get_activation(activation), 0)
    W = W.detach().clone().requires_grad_(True)
    loss = 0.5 * ((network_batch(shape, W, X, r) - Y) ** 2).sum()
    (g,) = torch.autograd.grad(loss, W)
    return g


def _sample_inputs(cfg: WuConfig, box: torch.Tensor, B: int, gen: torch.Generator) -> torch.Tensor:
    def ball(d, radius):
        v = torch.randn(B, d, generator=gen, dtype=torch.float64)
        v = v / v.norm(dim=1, keepdim=True)
        return v * radius * torch.rand(B, 1, generator=gen, dtype=torch.float64) ** (1.0 / d)

    w = (2 * torch.rand(B, box.numel(), generator=gen, dtype=torch.float64) - 1) * box
    return torch.cat([ball(cfg.d_in, cfg.Bx), ball(cfg.d_out, cfg.By), w], dim=1)


@dataclass
class FitResult:
    ff: FittedFF
    width: int
    steps: int
    heldout_sup: float      # max over held-out samples of ||FF(z) - grad l(z)||_2
    heldout_rms: float
    seconds: float


def fit_gradient_ff(cfg: WuConfig, box, width: int = 128, steps: int = 2000, batch: int = 512, lr: float = 3e-3,
                    seed: int = 0, heldout: int = 4096) -> FitResult:
    """Fit FF1: z = [x; y; w] -> grad_w l(w, x, y) by a one-hidden-layer ReLU network (Adam on fresh samples).
    Runs on one thread: for tensors this small, extra threads only spin (15x slower on a loaded 2-core box)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return _fit(cfg, box, width, steps, batch, lr, seed, heldout)
    finally:
        torch.set_num_threads(threads)


def _fit(cfg, box, width, steps, batch, lr, seed, heldout) -> FitResult:
    t0 = time.monotonic()
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    boxt = torch.tensor([float(b) for b in box], dtype=torch.float64)
    din = cfg.d_in + cfg.d_out + boxt.numel()
    net = torch.nn.Sequential(torch.nn.Linear(din, width), torch.nn.ReLU(), torch.nn.Linear(width, boxt.numel()))
    net = net.double()
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
    split = [cfg.d_in, cfg.d_out, boxt.numel()]

    def target(z):
        x, y, w = torch.split(z, split, dim=1)
        return per_example_gradients(cfg.shape, cfg.activation, w, x, y)

    for _ in range(steps):
        z = _sample_inputs(cfg, boxt, batch, gen)
        loss = ((net(z) - target(z)) ** 2).sum(1).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
    with torch.no_grad():
        z = _sample_inputs(cfg, boxt, heldout, gen)
    err = (net(z) - target(z)).detach().norm(dim=1)
    lin1, lin2 = net[0], net[2]
    F = lambda t: tuple(tuple(Fraction(float(v)) for v in row) for row in t.detach().tolist())  # noqa: E731
    ff = FittedFF(F(lin1.weight), tuple(Fraction(float(v)) for v in lin1.bias.detach().tolist()),
                  F(lin2.weight), tuple(Fraction(float(v)) for v in lin2.bias.detach().tolist()))
    return FitResult(ff, width, steps, float(err.max()), float(err.pow(2).mean().sqrt()), time.monotonic() - t0)


def theorem2_errors(model, prompt: Prompt) -> dict:
    """eps^(l-1) of the 4L model (E.3): w_pre^(l) (after FF1, Attn) minus w^(l-1) - eta grad L_n(w^(l-1))."""
    cfg = model.config
    H, states = run_tokens(model.net.layers, model.layout, prompt)
    wsl = model.layout.slice("w")
    eps, dev = [], []
    with mpmath.workdps(30):
        ws_gd = [np.array([float(v) for v in w])
                 for w in projected_gd(cfg, model.box, prompt.w0, prompt.x, prompt.y, cfg.L)]
    w_prev = prompt.w0
    for l in range(cfg.L):
        w_pre = states[4 * l + 1][0, wsl].numpy()
        eps.append(_gd_step_error(cfg, model.box, w_prev, w_pre, prompt.x, prompt.y))
        w_prev = states[4 * l + 3][0, wsl].numpy()
        dev.append(float(np.linalg.norm(w_prev - ws_gd[l + 1])))
    same_w = float(max((states[4 * l + 3][:, wsl] - states[4 * l + 3][0, wsl]).abs().max() for l in range(cfg.L)))
    scratch = float(max(states[4 * l + 3][:, model.layout.slice("gw")].abs().max() for l in range(cfg.L)))
    return {"eps_step": eps, "max_eps_over_eta": max(eps) / cfg.eta, "w_dev": dev, "w_spread_across_tokens": same_w,
            "scratch_after_block": scratch}


def theorem2_table(cfg: WuConfig, widths=(16, 64, 256), steps: int = 1500, prompts: int = 8,
                   seed: int = 0) -> list[dict]:
    """Width of the fitted FF1 vs the held-out fit error and the 4L model's max_l ||eps^(l-1)|| / eta."""
    from symbolic.wu2025.assemble import box_bounds

    box = box_bounds(cfg.shape, cfg.Bv)
    rows = []
    for width in widths:
        fit = fit_gradient_ff(cfg, box, width=width, steps=steps, seed=seed)
        model = build_theorem2_model(cfg, fit.ff, box)
        worst = 0.0
        for s in range(prompts):
            e = theorem2_errors(model, make_prompt(cfg, box, seed=seed + 1000 + s))
            worst = max(worst, e["max_eps_over_eta"])
        rows.append({"width": width, "fit_steps": steps, "heldout_sup_grad_err": fit.heldout_sup,
                     "heldout_rms_grad_err": fit.heldout_rms, "max_eps_over_eta": worst, "prompts": prompts,
                     "layers": 4 * cfg.L, "fit_seconds": fit.seconds})
    return rows
