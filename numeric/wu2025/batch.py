"""The block quantities of many prompts of one construction in one call: the audits' search batches.

A search batch holds candidates of one configuration (one built construction ``wc``) that differ in the data x, y
and the weights w of the simulated network; w sits in the token matrix, not in the transformer's weights, so the
prompts stack along a leading batch axis and every quantity is computed once for the whole batch:

* ``construction_float64_batch(wc, prompts, ws=None) -> BlockQuantities``: the approximant semantics in float64,
  what ``quantities.construction_float64`` computes for one prompt;
* ``exact_float64_batch(wc, prompts, ws=None, mask_query=True) -> BlockQuantities``: Definition 2/3 and Lemma 1
  with the true r, r', u, as ``quantities.exact_float64``;
* ``quantities_batch(wc, prompts, mask_query=True)``: both, as ``quantities.quantities(..., "float64")``;
* ``construction_structured_batch(wc, prompts)``: the same quantities read from the constructed transformer itself
  (first block), run once for the whole batch by the structured executor with a leading batch dimension.

The fields are those of ``BlockQuantities`` with a leading batch axis B: ``p[j-1]`` (B, n+1, K_j), ``rp[j]``
(B, n+1, K_{j+1}), ``g`` (B, n+1, d_y), ``s[j-1]`` (B, n+1, K_j), ``grad`` and ``w_next`` (B, D_N); ``.at(b)`` is
prompt b's ``BlockQuantities`` (views), equal to the unbatched functions' result to rounding (tests: 1e-12).
All prompts of one call must share n, d_x, d_y and D_N (``group_by_size`` splits a mixed list).
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
import torch

from symbolic.network import Lemma1Terms, NetworkShape
from symbolic.wu2025.assemble import WuConstruction

from .prompt import Prompt
from .quantities import BlockQuantities, box_project, piecewise, torch_approximant, torch_functions


def group_by_size(prompts: Sequence[Prompt]) -> dict[tuple, list[int]]:
    """Indices of the prompts grouped by (n, d_x, d_y, D_N): each group can run as one batch."""
    out: dict = {}
    for i, p in enumerate(prompts):
        out.setdefault((p.n, p.x.shape[1], p.y.shape[1], p.w0.shape[0]), []).append(i)
    return out


def stack_prompts(prompts: Sequence[Prompt], ws=None, dtype=torch.float64, device=None):
    """(W (B, D_N), X (B, n+1, d_x), Y (B, n+1, d_y) with y_{n+1} = 0) as tensors; ``ws`` replaces the w0's."""
    prompts = list(prompts)
    if not prompts:
        raise ValueError("no prompts")
    if len(group_by_size(prompts)) != 1:
        raise ValueError("the prompts of one batch must share n, d_x, d_y and D_N (see group_by_size)")
    n, dy = prompts[0].n, prompts[0].y.shape[1]
    t = lambda a: torch.as_tensor(np.asarray(a, dtype=np.float64), dtype=dtype, device=device)  # noqa: E731
    X = t(np.stack([p.x for p in prompts]))
    Y = torch.cat([t(np.stack([p.y for p in prompts])), torch.zeros(len(prompts), 1, dy, dtype=dtype,
                                                                       device=X.device)], dim=1)
    W = t(np.stack([np.asarray(p.w0, dtype=np.float64) for p in prompts]) if ws is None else np.asarray(ws))
    if W.shape != (len(prompts), prompts[0].w0.shape[0]):
        raise ValueError(f"ws must have shape ({len(prompts)}, {prompts[0].w0.shape[0]}), got {tuple(W.shape)}")
    return W, X, Y, n


def query_mask(n: int, mask_query: bool, dtype=torch.float64, device=None) -> torch.Tensor:
    """(n+1,): 1 for the in-context tokens, the query's entry 0 unless ``mask_query`` is False."""
    m = torch.ones(n + 1, dtype=dtype, device=device)
    if mask_query:
        m[n] = 0
    return m


def lemma1_batch(shape: NetworkShape, W: torch.Tensor, X: torch.Tensor, Y: torch.Tensor, r: Callable,
                 rprime: Callable, u: Callable, mask: torch.Tensor | None = None) -> Lemma1Terms:
    """``symbolic.network.lemma1_terms`` over a leading batch axis: W (B, D_N), X (B, T, d_x), Y (B, T, d_y);
    ``mask`` (T,) or (B, T).  Every list entry and ``u``, ``grad`` gain the batch axis; the per-token blocks ``A``
    are not formed (None): grad is sum_i s_i(j) (x) p_i(j-1) = s(j)^T p(j-1) directly."""
    Vs, p, z, rp = _forward(shape, W, X, r, rprime)
    (uu, s, grad), _ = _backward(shape, Vs, p, rp, Y, u, mask)
    return Lemma1Terms(p=p, z=z, rp=rp, u=uu, s=s, A=[None] * (shape.N + 1), grad=grad)


def _forward(shape: NetworkShape, W, X, r, rprime):
    """V_j, p(j), z(j) and r'(z(j)) (Definition 1); two piecewise functions on one grid share the piece lookup."""
    from ..executors.structured import Piecewise

    N, B = shape.N, W.shape[0]
    Vs = [W[:, shape.layer_slice(j)].reshape(B, shape.width(j), shape.fan_in(j)) for j in range(1, N + 1)]
    same_grid = isinstance(r, Piecewise) and isinstance(rprime, Piecewise) and r.key == rprime.key
    p, z, rp = [X], [None], []
    for V in Vs:
        zj = torch.bmm(p[-1], V.transpose(-1, -2))
        z.append(zj)
        if same_grid:
            q = r.index(zj)
            p.append(r(zj, q))
            rp.append(rprime(zj, q))
        else:
            p.append(r(zj))
            rp.append(rprime(zj))
    return Vs, p, z, rp


def _backward(shape: NetworkShape, Vs, p, rp, Y, u, mask, unmasked: bool = False):
    """((u times the mask, s(j) by (3.6), grad (Lemma 1, (3.5)) with n = sum(mask)), unmasked) where ``unmasked``
    is (u, s) of Definition 3 for every token when asked for (None otherwise).  s_i(j) depends on token i alone, so
    the masked s are the unmasked ones with the query's rows times its mask entry (0): one recursion serves both."""
    N, B, T = shape.N, p[0].shape[0], p[0].shape[1]
    uu = u(p[N], Y)
    if mask is not None and not unmasked:
        uu = uu * mask[..., :, None]
    s = [None] * (N + 1)
    s[N] = rp[N - 1] * uu
    for j in range(N - 1, 0, -1):
        s[j] = rp[j - 1] * torch.bmm(s[j + 1], Vs[j])
    full = None
    if unmasked:
        full = (uu, s)
        if mask is not None:
            m = mask[..., :, None]
            uu, s = uu * m, [None] + [x * m for x in s[1:]]
    n = torch.full((B,), float(T), dtype=p[0].dtype, device=p[0].device) if mask is None else \
        mask.sum(-1).expand(B).to(p[0].dtype)
    grad = torch.cat([torch.bmm(s[j].transpose(-1, -2), p[j - 1]).reshape(B, -1) for j in range(1, N + 1)], dim=-1)
    return (uu, s, grad / (2 * n)[:, None]), full


def _quantities(wc: WuConstruction, W: torch.Tensor, t: Lemma1Terms) -> BlockQuantities:
    return BlockQuantities(t.p[1:], t.rp, t.u, t.s[1:], t.grad, box_project(W - float(wc.eta) * t.grad, wc.box))


def construction_float64_batch(wc: WuConstruction, prompts: Sequence[Prompt], ws=None) -> BlockQuantities:
    """``quantities.construction_float64`` for every prompt at once (approximant semantics, float64)."""
    return _construction(wc, *stack_prompts(prompts, ws))


def _construction(wc: WuConstruction, W, X, Y, n: int) -> BlockQuantities:
    a = wc.approx
    t = lemma1_batch(wc.config.shape, W, X, Y, piecewise(a.r), piecewise(a.rp), torch_approximant(a.u),
                     mask=query_mask(n, True))
    return _quantities(wc, W, t)


def exact_float64_batch(wc: WuConstruction, prompts: Sequence[Prompt], ws=None,
                        mask_query: bool = True) -> BlockQuantities:
    """``quantities.exact_float64`` for every prompt at once: Definition 2/3 and Lemma 1 with the true r, r', u.
    With ``mask_query=False`` g and s are Definition 3's for the query too; grad always uses i in [n]."""
    W, X, Y, n = stack_prompts(prompts, ws)
    return _exact(wc, W, X, Y, n, mask_query)


def _exact(wc: WuConstruction, W, X, Y, n: int, mask_query: bool) -> BlockQuantities:
    cfg = wc.config
    r, rprime, u = torch_functions(cfg.activation, cfg.loss)
    Vs, p, z, rp = _forward(cfg.shape, W, X, r, rprime)
    (uu, s, grad), full = _backward(cfg.shape, Vs, p, rp, Y, u, query_mask(n, True), unmasked=not mask_query)
    out = _quantities(wc, W, Lemma1Terms(p, z, rp, uu, s, [None] * (cfg.N + 1), grad))
    if not mask_query:                 # Definition 3 for the query too: the same recursion before the mask
        out.g, out.s = full[0], full[1][1:]
    return out


def quantities_batch(wc: WuConstruction, prompts: Sequence[Prompt], mask_query: bool = True, ws=None):
    """(construction, exact) float64 quantities of the first block for every prompt (``quantities.quantities``)."""
    W, X, Y, n = stack_prompts(prompts, ws)
    return _construction(wc, W, X, Y, n), _exact(wc, W, X, Y, n, mask_query)


def construction_structured_batch(wc: WuConstruction, prompts: Sequence[Prompt], dtype=torch.float64,
                                  device=None) -> BlockQuantities:
    """The block quantities read from the constructed transformer (first block), every prompt in one structured
    executor call with a leading batch dimension (as ``quantities.construction_highprec`` reads them at 50
    digits): p(j) after layer j, r' after Lemma 3, g after Lemma 4, s after Lemma 5, grad = (w0 - w_step) / eta."""
    from ..executors.structured import run_state
    from .run import token_state

    lay, N = wc.layout, wc.config.N
    st0 = token_state(lay, list(prompts), dtype=dtype, device=device)
    _, tr = run_state(wc.blocks[0].layers, st0, record=True)
    p = [tr[j - 1].slot(lay.p(j)) for j in range(1, N + 1)]
    rp = [tr[N].slot(lay.rp(j)) for j in range(N)]
    g = tr[N + 1].slot("g")
    s = [tr[2 * N + 1].slot(lay.s(j)) for j in range(1, N + 1)]
    w0, w_step, w_next = st0.full("w")[..., 0], tr[2 * N + 2].full("w")[..., 0], tr[2 * N + 3].full("w")[..., 0]
    return BlockQuantities(p, rp, g, s, (w0 - w_step) / float(wc.eta), w_next.clone())


__all__ = ["construction_float64_batch", "construction_structured_batch", "exact_float64_batch", "group_by_size",
           "lemma1_batch", "quantities_batch", "stack_prompts"]
