"""The quantities the lemmas bound, computed two ways for one block at a given w:

* ``construction``: what the constructed transformer holds after each step -- from the real transformer run
  in high precision (``engine="highprec"``), or from the approximant semantics in float64 torch
  (``engine="float64"``, the fast path the adversarial search uses; the executors are tested equal to it);
* ``exact``: Definition 2/3 and Lemma 1 with the true r, r', u (mpmath or torch float64).

Arrays are (n+1, size) per quantity: p[j] (j = 1..N), rp[j] (j = 0..N-1), g, s[j] (j = 1..N); plus grad and the
next iterate.  High-precision arrays are NumPy object arrays of mpf.  ``numeric.wu2025.batch`` computes the float64
quantities of many prompts at once (a leading batch axis; ``BlockQuantities.at(b)`` is prompt b's).
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache

import mpmath
import numpy as np
import torch

from symbolic.activations import get_activation
from symbolic.losses import get_loss
from symbolic.sum_of_relu import SumOfRelu
from symbolic.wu2025.assemble import WuConstruction

from ..backends import TorchArrays, torch_derivative, torch_u
from .prompt import Prompt
from .reference import exact_terms, project_box
from .run import run


@dataclass
class BlockQuantities:
    p: list
    rp: list
    g: object
    s: list
    grad: object
    w_next: object

    def at(self, b: int) -> "BlockQuantities":
        """Prompt ``b`` of a batched result (``numeric.wu2025.batch``): every field indexed on its batch axis."""
        return BlockQuantities([a[b] for a in self.p], [a[b] for a in self.rp], self.g[b], [a[b] for a in self.s],
                               self.grad[b], self.w_next[b])


def torch_approximant(approx: SumOfRelu, dtype=torch.float64):
    """Vectorised sum_h c_h relu(a_h^T [z; 1]) in torch (weights rounded to dtype once, kept per approximant)."""
    key = (id(approx), dtype)
    hit = _APPROX.get(key)
    if hit is not None and hit[0] is approx:
        return hit[1]
    A = torch.tensor([[float(a) for a in u.a] for u in approx.units], dtype=dtype)
    c = torch.tensor([float(u.c) for u in approx.units], dtype=dtype)
    if approx.arity == 1:
        fn = lambda z: torch.relu(z[..., None] * A[:, 0] + A[:, 1]) @ c  # noqa: E731
    else:
        fn = lambda t, y: torch.relu(t[..., None] * A[:, 0] + y[..., None] * A[:, 1] + A[:, 2]) @ c  # noqa: E731
    if len(_APPROX) >= 1024:
        _APPROX.clear()
    _APPROX[key] = (approx, fn)
    return fn


_APPROX: dict = {}   # (id(approx), dtype) -> (approx, function); the approximant is kept, so its id stays its own


def piecewise(approx: SumOfRelu, dtype=torch.float64, device=None):
    """A 1-D approximant as a vectorised torch function in its exact piecewise-linear form r_bar(z) = slope_q z +
    icpt_q (``numeric.executors.structured.Piecewise``; kept per approximant)."""
    from ..executors.structured import Piecewise

    key = (id(approx), dtype, str(device), "piecewise")
    hit = _APPROX.get(key)
    if hit is None or hit[0] is not approx:
        if len(_APPROX) >= 1024:
            _APPROX.clear()
        hit = _APPROX[key] = (approx, Piecewise.of(approx, dtype, device or "cpu"))
    return hit[1]


@lru_cache(maxsize=None)
def torch_functions(activation: str, loss: str) -> tuple:
    """(r, r', u) as vectorised torch functions for the named activation and loss (lambdified once)."""
    act, ls = get_activation(activation), get_loss(loss)
    return torch_derivative(act, 0), torch_derivative(act, 1), torch_u(ls)


def _inputs(prompt: Prompt, dtype=torch.float64, mask_query: bool = True):
    n = prompt.n
    X = torch.tensor(prompt.x, dtype=dtype)
    Y = torch.cat([torch.tensor(prompt.y, dtype=dtype), torch.zeros(1, prompt.y.shape[1], dtype=dtype)])
    mask = torch.cat([torch.ones(n, dtype=dtype), torch.full((1,), 1.0 if not mask_query else 0.0, dtype=dtype)])
    return X, Y, mask


_BOXES: dict = {}   # (id(box), dtype, device) -> (box, tensor): a construction's box is converted once, not per call


def box_project(w: torch.Tensor, box) -> torch.Tensor:
    """Proj_W onto the box |w_q| <= box[q] (rationals), the bounds kept as a tensor per box, dtype and device (the
    boxes are built once per construction and never mutated)."""
    key = (id(box), w.dtype, str(w.device))
    hit = _BOXES.get(key)
    if hit is None or hit[0] is not box:
        if len(_BOXES) >= 1024:
            _BOXES.clear()
        hit = _BOXES[key] = (box, torch.tensor([float(v) for v in box], dtype=w.dtype, device=w.device))
    b = hit[1]
    return torch.maximum(torch.minimum(w, b), -b)


def construction_float64(wc: WuConstruction, prompt: Prompt, w=None) -> BlockQuantities:
    """The block's quantities from the approximant semantics in float64 (no transformer).  r_bar and r_bar' are
    evaluated in their exact piecewise-linear form (``piecewise``, as the structured executor does): the same
    function as the sum of their H units, without the cancellation of H terms of size |a z| far from the knots."""
    cfg = wc.config
    X, Y, mask = _inputs(prompt)
    w = torch.tensor(prompt.w0 if w is None else w, dtype=torch.float64)
    from symbolic.network import lemma1_terms

    t = lemma1_terms(cfg.shape, w, X, Y, piecewise(wc.approx.r), piecewise(wc.approx.rp),
                     torch_approximant(wc.approx.u), mask=mask, xp=TorchArrays)
    eta = float(wc.eta)
    return BlockQuantities(t.p[1:], t.rp, t.u, t.s[1:], t.grad, box_project(w - eta * t.grad, wc.box))


def exact_float64(wc: WuConstruction, prompt: Prompt, w=None, mask_query: bool = True) -> BlockQuantities:
    """Definition 2/3 and Lemma 1 with the true r, r', u in torch float64.  With ``mask_query=False`` the query's
    u and s are Definition 3's (u at y_{n+1} = 0), as Lemma 6's 'i in [n+1]' reads; grad always uses i in [n]."""
    from symbolic.network import lemma1_terms

    cfg = wc.config
    X, Y, mask = _inputs(prompt)
    w = torch.tensor(prompt.w0 if w is None else w, dtype=torch.float64)
    fns = torch_functions(cfg.activation, cfg.loss)
    t = lemma1_terms(cfg.shape, w, X, Y, *fns, mask=mask, xp=TorchArrays)
    eta = float(wc.eta)
    out = BlockQuantities(t.p[1:], t.rp, t.u, t.s[1:], t.grad, box_project(w - eta * t.grad, wc.box))
    if not mask_query:
        full = lemma1_terms(cfg.shape, w, X, Y, *fns, mask=None, xp=TorchArrays)
        out.g, out.s = full.u, full.s[1:]
    return out


def construction_highprec(wc: WuConstruction, prompt: Prompt, dps: int = 50) -> BlockQuantities:
    """The block's quantities read from the real transformer (first block), run in mpmath at ``dps`` digits."""
    lay, N = wc.layout, wc.config.N
    block = wc.blocks[0].layers
    with mpmath.workdps(dps):
        tr = run(wc, prompt, "highprec", dps=dps, layers=block)
        p = [tr.slot(j - 1, lay.p(j), "mp") for j in range(1, N + 1)]
        rp = [tr.slot(N, lay.rp(j), "mp") for j in range(N)]
        g = tr.slot(N + 1, "g", "mp")
        s = [tr.slot(2 * N + 1, lay.s(j), "mp") for j in range(1, N + 1)]
        w0 = tr.slot(-1, "w", "mp")[0]
        w_step = tr.slot(2 * N + 2, "w", "mp")[0]
        eta = mpmath.mpf(wc.eta.numerator) / wc.eta.denominator
        grad = (w0 - w_step) / eta
        w_next = tr.slot(2 * N + 3, "w", "mp")[0]
    return BlockQuantities(p, rp, g, s, grad, w_next)


def exact_highprec(wc: WuConstruction, prompt: Prompt, dps: int = 50, w=None,
                   mask_query: bool = True) -> BlockQuantities:
    """Definition 2/3 and Lemma 1 with the true r, r', u in mpmath at ``dps`` digits (see exact_float64)."""
    with mpmath.workdps(dps):
        w = [Fraction(float(v)) for v in (prompt.w0 if w is None else w)]
        t = exact_terms(wc.config, w, prompt.x.tolist(), prompt.y.tolist(), "mpmath")
        eta = mpmath.mpf(wc.eta.numerator) / wc.eta.denominator
        wm = [mpmath.mpf(v.numerator) / v.denominator for v in w]
        w_next = np.array(project_box([a - eta * b for a, b in zip(wm, t.grad)], wc.box), dtype=object)
        out = BlockQuantities(t.p[1:], t.rp, t.u, t.s[1:], t.grad, w_next)
        if not mask_query:
            full = exact_terms(wc.config, w, prompt.x.tolist(), prompt.y.tolist(), "mpmath", mask_query=False)
            out.g, out.s = full.u, full.s[1:]
    return out


def quantities(wc: WuConstruction, prompt: Prompt, engine: str, dps: int = 50, mask_query: bool = True):
    """(construction, exact) quantities for the first block, float64 (fast) or high precision."""
    if engine == "float64":
        return construction_float64(wc, prompt), exact_float64(wc, prompt, mask_query=mask_query)
    return construction_highprec(wc, prompt, dps), exact_highprec(wc, prompt, dps, mask_query=mask_query)


def max_abs(a, b, rows=None) -> object:
    """max |a - b| over entries (and the given token rows), in the arrays' own number type."""
    if isinstance(a, torch.Tensor):
        d = (a - b).abs()
        d = d[rows] if rows is not None else d
        return float(d.max()) if d.numel() else 0.0
    d = np.abs(np.asarray(a, dtype=object) - np.asarray(b, dtype=object))
    d = d[rows] if rows is not None else d
    return max(d.reshape(-1), default=mpmath.mpf(0))
