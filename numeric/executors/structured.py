"""Structured executor: Wu et al.'s layers evaluated from their ``structure``, never building a head (torch).

* Lemma 2 / Lemma 3 ('scalar_sum_of_relu', (C.8), (C.12)): head (m, k) scores a_m[1] v_k^T p_i(j-1) + a_m[2]
  against every key, so the H heads of one output coordinate collapse into one evaluation of the approximant
  in its exact piecewise form r_bar(z) = slope_q z + icpt_q, q = searchsorted(breaks, z), per (token, coordinate);
  with w equal in every token the 1/n_tok sum over keys cancels (otherwise it is kept: a mean over keys).
* Lemma 5 ('backprop_product', (3.20), (C.15)): s(j) += r'(j-1) (.) (V_{j+1}^T s(j+1)), token by token.
* Gradient step ('gradient_step', (C.16)): relu(s) - relu(-s) = s, so
  w += -(eta (n+1)/(2n)) (1/n_tok) 1_i sum_t s_t(j) (x) p_t(j-1).
* MLPs ('gated_loss_mlp' (C.14), 'projection', 'readout'): pairs of units that clip or erase one slot are
  applied slot-wise, h[c] += relu(-h[c] - b) - relu(h[c] - b); the other units as CSR matrices, O(nnz) per token.

Inside, tokens are columns (H in R^{D x n_tok}, as in the paper), so every slot is a contiguous block of rows.
The collapse needs the constant slot to be 1 in every token; when it is not, or a layer has no recognised
structure, the layer runs on ``batched.apply_batched``.  float64 or float32, CPU or CUDA.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from fractions import Fraction

import torch

from symbolic.sum_of_relu import SumOfRelu
from symbolic.transformer import EWML, MLP, ReluAttention, SparseMatrix
from symbolic.wu2025.layout import TokenLayout

from .batched import apply_batched

SCALAR, BACKPROP, STEP = "scalar_sum_of_relu", "backprop_product", "gradient_step"
MLP_KINDS = ("gated_loss_mlp", "projection", "readout")
KINDS = {SCALAR: ReluAttention, STEP: ReluAttention, BACKPROP: EWML, **{k: MLP for k in MLP_KINDS}}


@dataclass
class Piecewise:
    """r_bar in its exact piecewise-linear form (``SumOfRelu.pieces``), rounded once to the working dtype."""

    breaks: torch.Tensor
    slope: torch.Tensor
    icpt: torch.Tensor

    @classmethod
    def of(cls, approx: SumOfRelu, dtype, device) -> "Piecewise":
        breaks, pieces = approx.pieces()
        t = lambda xs: torch.tensor([float(x) for x in xs], dtype=dtype, device=device)  # noqa: E731
        return cls(t(breaks), t([s for s, _ in pieces]), t([c for _, c in pieces]))

    def __call__(self, z: torch.Tensor) -> torch.Tensor:
        """Definition 4, sum_m c_m relu(a_m^T [z; 1]), as slope_q z + icpt_q on the piece q of z."""
        q = torch.searchsorted(self.breaks, z.contiguous())
        return self.slope[q] * z + self.icpt[q]


@dataclass
class ScalarPlan:
    """Lemmas 2-3: for each served layer j, the rows of p(j-1) and of V_j, and the rows written."""

    f: Piecewise
    terms: list  # (rows of p(j-1), rows of V_j, K_j, in_j)
    out: slice | torch.Tensor


def _csr(m: SparseMatrix, dtype, device) -> torch.Tensor:
    """A ``SparseMatrix`` as a torch CSR tensor (exact entries rounded once)."""
    items = sorted(m.entries.items())
    crow = [0] * (m.shape[0] + 1)
    for (r, _), _ in items:
        crow[r + 1] += 1
    for r in range(m.shape[0]):
        crow[r + 1] += crow[r]
    cols = torch.tensor([c for (_, c), _ in items], dtype=torch.long)
    vals = torch.tensor([float(v) for _, v in items], dtype=dtype)
    with warnings.catch_warnings():  # "sparse CSR support is in beta": CSR @ dense is all we use
        warnings.simplefilter("ignore", UserWarning)
        return torch.sparse_csr_tensor(torch.tensor(crow, dtype=torch.long), cols, vals, m.shape).to(device)


def pair_units(layer: MLP, one: int) -> tuple[dict, list[int]]:
    """Split an MLP's hidden units into slot-wise pairs and the rest.

    A pair for slot c is two units relu(+h[c] + beta 1) and relu(-h[c] + beta 1) with W_2 weights -1 and +1 into
    the same slot c: together h[c] += -relu(h[c] + beta) + relu(-h[c] + beta), i.e. clipping to [-b, b]
    (beta = -b) or erasing (beta = 0), the units of the projection/readout layers.  Returns ({c: beta}, rest)."""
    rows, cols = layer.W1.rows(), {}
    for (r, c), v in layer.W2.entries.items():
        cols.setdefault(c, []).append((r, v))
    cand: dict = {}
    for m in range(layer.W1.shape[0]):
        terms = dict(rows.get(m, []))
        beta = terms.pop(one, Fraction(0))
        if len(terms) == 1 and len(cols.get(m, [])) == 1:
            (c, alpha), ((r, gamma),) = next(iter(terms.items())), cols[m]
            if r == c and abs(alpha) == 1 and gamma == -alpha:
                cand.setdefault(c, []).append((alpha, beta, m))
    pairs = {c: u[0][1] for c, u in cand.items()
             if len(u) == 2 and {u[0][0], u[1][0]} == {1, -1} and u[0][1] == u[1][1]}
    paired = {m for c in pairs for _, _, m in cand[c]}
    return pairs, [m for m in range(layer.W1.shape[0]) if m not in paired]


def _restrict(m: SparseMatrix, keep: list[int], axis: int) -> SparseMatrix:
    """Rows (axis 0) or columns (axis 1) ``keep`` of m, renumbered 0..len(keep)-1."""
    pos = {k: i for i, k in enumerate(keep)}
    shape = (len(keep), m.shape[1]) if axis == 0 else (m.shape[0], len(keep))
    ent = {((pos[r], c) if axis == 0 else (r, pos[c])): v for (r, c), v in m.entries.items()
           if (r if axis == 0 else c) in pos}
    return SparseMatrix(shape, ent)


@dataclass
class SparseMLP:
    """Definition 8 without dense matrices: slot-wise pairs (clip / erase) plus the other units in CSR form."""

    slots: torch.Tensor | slice | None   # rows updated by pairs
    beta: torch.Tensor | None             # (pairs, 1)
    clip: bool                            # every beta <= 0
    one: int
    W1: torch.Tensor | None               # the other units
    W2: torch.Tensor | None               # restricted to the rows it writes,
    written: torch.Tensor | slice | None  # which are these
    others_write_w: bool                  # the non-pair units write into w

    @classmethod
    def of(cls, layer: MLP, layout: TokenLayout, dtype, device) -> "SparseMLP":
        one = layout.index("one")
        pairs, rest = pair_units(layer, one)
        slots = sorted(pairs)
        beta = torch.tensor([[float(pairs[c])] for c in slots], dtype=dtype, device=device) if slots else None
        W1 = W2 = None
        W2r = _restrict(layer.W2, rest, 1)
        out = sorted({r for r, _ in W2r.entries})  # units that write nothing are dropped
        if out:
            W1, W2 = _csr(_restrict(layer.W1, rest, 0), dtype, device), _csr(_restrict(W2r, out, 0), dtype, device)
        w = layout.slice("w")
        return cls(_rows_of(slots, device), beta, all(pairs[c] <= 0 for c in slots), one, W1, W2,
                   _rows_of(out, device), any(w.start <= r < w.stop for r in out))

    def apply(self, Ht: torch.Tensor, ones: bool) -> torch.Tensor:
        """h_i += W_2 relu(W_1 h_i) for every token (columns), in place; ``ones``: the constant slot is 1 everywhere."""
        other = self.W2 @ torch.relu(self.W1 @ Ht) if self.W2 is not None else None
        if self.slots is not None:
            x, one = Ht[self.slots], Ht[self.one]
            if self.clip and ones:  # b = -beta >= 0: the pair is clamp(h[c], -b, b)
                if isinstance(self.slots, slice):
                    x.clamp_(min=self.beta, max=-self.beta)     # a view: clamps the slots in place
                else:
                    Ht[self.slots] = x.clamp(min=self.beta, max=-self.beta)
            else:
                b = self.beta * one
                Ht[self.slots] = x + (torch.relu(-x + b) - torch.relu(x + b))
        if other is not None:
            if isinstance(self.written, slice):
                Ht[self.written] += other
            else:
                Ht.index_add_(0, self.written, other)
        return Ht


def _rows_of(idx: list[int], device) -> slice | torch.Tensor | None:
    """Token rows ``idx`` as a slice when contiguous, else an index tensor (None when empty)."""
    if not idx:
        return None
    return slice(idx[0], idx[-1] + 1) if idx == list(range(idx[0], idx[-1] + 1)) else torch.tensor(idx, device=device)


def _w_rows(layout: TokenLayout, j: int) -> slice:
    """Rows of V_j = [v_j1; ...; v_jK_j] (row-major, ordering (3.2))."""
    start, sl = layout.slice("w").start, layout.shape.layer_slice(j)
    return slice(start + sl.start, start + sl.stop)


def _plan(layer, layout: TokenLayout, dtype, device):
    """The layer's plan for this dtype/device (cached on the layer)."""
    key = ("structured", dtype, str(device), layout)
    cache = layer.__dict__.setdefault("_structured", {})
    if key in cache:
        return cache[key]
    kind, shape = layer.structure["kind"], layout.shape
    if kind == SCALAR:
        terms, out = [], []
        for j, slot in zip(layer.structure["layers"], layer.structure["writes"]):
            terms.append((layout.slice(layout.p(j - 1)), _w_rows(layout, j), shape.width(j), shape.fan_in(j)))
            out += range(layout.slice(slot).start, layout.slice(slot).stop)
        plan = ScalarPlan(Piecewise.of(layer.structure["approximant"], dtype, device), terms, _rows_of(out, device))
    elif kind == BACKPROP:
        (j,) = layer.structure["layers"]
        plan = ("backprop", j)
    elif kind == STEP:
        n = layer.structure["n"]
        plan = ("step", Fraction(layer.structure["eta"]) * (n + 1) / (2 * n))
    else:
        plan = SparseMLP.of(layer, layout, dtype, device)
    cache[key] = plan
    return plan


def _scalar(plan: ScalarPlan, Ht: torch.Tensor, shared: bool) -> None:
    """Lemmas 2-3 (C.8), (C.12) in place (the constant slot is 1 everywhere); ``shared``: w equal in all tokens."""
    zs = []
    for p_rows, v_rows, K, fan_in in plan.terms:
        P = Ht[p_rows]                                                       # (in_j, n_tok)
        if shared:
            zs.append(Ht[v_rows, 0].view(K, fan_in) @ P)                     # (K_j, n_tok)
        else:  # keys carry different w: keep (1/n_tok) sum over keys s
            Vs = Ht[v_rows].T.reshape(-1, K, fan_in)                         # (n_tok keys, K_j, in_j)
            zs.append(torch.einsum("skl,li->ski", Vs, P))                    # (keys, K_j, queries)
    z = torch.cat(zs, dim=-2)
    vals = plan.f(z) if shared else plan.f(z).mean(dim=0)
    if isinstance(plan.out, slice):
        Ht[plan.out] += vals
    else:
        Ht.index_add_(0, plan.out, vals)


def _backprop(layout: TokenLayout, j: int, Ht: torch.Tensor) -> None:
    """Lemma 5, (3.20): s(N) += (g 1) (.) r'(N-1); s(j) += r'(j-1) (.) (V_{j+1}^T s(j+1)), each token its own w."""
    shape = layout.shape
    rp = Ht[layout.slice(layout.rp(j - 1))]
    if j == shape.N:
        score = Ht[layout.slice("g")] * Ht[layout.index("one")]
    else:
        V = Ht[_w_rows(layout, j + 1)].view(shape.width(j + 1), shape.fan_in(j + 1), -1)   # (K_{j+1}, K_j, n_tok)
        score = (V * Ht[layout.slice(layout.s(j + 1))][:, None, :]).sum(0)
    Ht[layout.slice(layout.s(j))] += score * rp


def _step(layout: TokenLayout, scale: Fraction, Ht: torch.Tensor, ones: bool) -> None:
    """(C.16): w += -(scale / n_tok) 1_i sum_t s_t(j) (x) p_t(j-1), scale = eta (n+1)/(2n)."""
    shape = layout.shape
    G = torch.cat([(Ht[layout.slice(layout.s(j))] @ Ht[layout.slice(layout.p(j - 1))].T).reshape(-1)
                   for j in range(1, shape.N + 1)]) * (-float(scale) / Ht.shape[1])
    if ones:  # the same update for every token
        Ht[layout.slice("w")] += G[:, None]
    else:
        Ht[layout.slice("w")] += G[:, None] * Ht[layout.index("one")][None, :]


def structured_kind(layer) -> str | None:
    """The structure kind this executor collapses, or None (the layer runs on the batched executor)."""
    kind = getattr(layer, "structure", {}).get("kind")
    return kind if kind in KINDS and isinstance(layer, KINDS[kind]) else None


def apply_columns(layer, Ht: torch.Tensor, layout: TokenLayout, state: dict | None = None) -> torch.Tensor:
    """One layer on Ht (D, n_tok) contiguous, in place where structured; returns the new Ht.

    ``state`` carries between layers whether w is known to be equal in every token ('w_shared': True, or None
    when unknown and to be checked): the layers that write w keep it equal when the constant slot is 1."""
    state = {} if state is None else state
    kind = structured_kind(layer)
    ones = bool((Ht[layout.index("one")] == 1).all()) if kind else False
    plan = _plan(layer, layout, Ht.dtype, Ht.device) if kind else None
    if kind == SCALAR and ones:
        if state.get("w_shared") is None:
            w = Ht[layout.slice("w")]
            state["w_shared"] = torch.equal(w[:, 1:], w[:, :-1])
        _scalar(plan, Ht, state["w_shared"])
        return Ht
    if kind == BACKPROP:
        _backprop(layout, plan[1], Ht)
        return Ht
    if kind == STEP:
        _step(layout, plan[1], Ht, ones)
    elif kind in MLP_KINDS:
        plan.apply(Ht, ones)
    else:  # no recognised structure, or Lemma 2/3 with a constant slot that is not 1
        Ht = apply_batched(layer, Ht.T).T.contiguous()
    keeps = ones and (kind == STEP or (kind in MLP_KINDS and not plan.others_write_w))
    state["w_shared"] = True if keeps and state.get("w_shared") else None
    return Ht


def apply_structured(layer, H: torch.Tensor, layout: TokenLayout) -> torch.Tensor:
    """One layer on H of shape (n_tok, D), tokens as rows like the other executors; H is not modified."""
    return apply_columns(layer, H.T.contiguous(), layout).T.contiguous()


def run_structured(layers, H: torch.Tensor, layout: TokenLayout, record: bool = True):
    """Apply layers in order to H (n_tok, D); returns (final H, [H after each layer] if ``record``)."""
    Ht, state = H.T.contiguous(), {}
    trace = []
    for layer in layers:
        Ht = apply_columns(layer, Ht, layout, state)
        if record:
            trace.append(Ht.T.contiguous())
    return Ht.T.contiguous(), trace
