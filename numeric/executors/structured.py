"""Structured executor: Wu et al.'s layers evaluated from their ``structure``, never building a head (torch).

Tokens are held slot by slot (``TokenState``): each slot of the layout (x, y, w, p(j), r'(j), g, s(j), 1, t) is a
tensor of shape (*batch, size, n_tok), tokens as columns; a slot that holds the same value in every token (w, and
the constant slot, as the construction's tokens are built) is stored once, shape (*batch, size, 1); a slot that is
exactly zero (the scratch before it is written and after it is erased) is not stored at all.  No layer copies the
D-wide token matrix, and no layer forms an n_tok x n_tok score matrix where its heads read per-token or shared
quantities: the update each head family makes is a sum computed once.

* Lemma 2 / Lemma 3 ('scalar_sum_of_relu', (C.8), (C.12)): head (m, k) scores a_m[1] v_k^T p_i(j-1) + a_m[2]
  against every key, so the H heads of one output coordinate collapse into one evaluation of the approximant in
  its exact piecewise form r_bar(z) = slope_q z + icpt_q per (token, coordinate).  q is the piece of z: on a
  uniform grid of breakpoints (the interpolants' knots) an affine map and a truncation, else a binary search.
  With w equal in every token the 1/n_tok sum over keys cancels (otherwise it is kept: a mean over keys, chunked).
  Lemma 3 reads the same pre-activations v_jk^T p(j-1) as Lemma 2: while w and p(j-1) are the very tensors Lemma 2
  read, unchanged (object and version), z and the pieces q are reused (``TokenState.memo``), not recomputed.
* Lemma 5 ('backprop_product', (3.20), (C.15)): s(j) += r'(j-1) (.) (V_{j+1}^T s(j+1)), one matrix product when w
  is shared, token by token otherwise.
* Gradient step ('gradient_step', (C.16)): relu(s) - relu(-s) = s, so
  w += -(eta (n+1)/(2n)) (1/n_tok) 1_i sum_t s_t(j) (x) p_t(j-1): one update, added once to the shared w.
* MLPs (any; Definition 8): pairs of units that clip or erase one slot entry are applied slot-wise (an erased
  slot becomes 'zero', a clip is clamp(h[c], -b, b) when the constant slot is 1); units repeated coordinate-wise
  (the loss units a_t p(N)[k] + a_y y[k] + b 1 + R3 t -> c g[k], the readout copy) on whole slots; any other units
  as small matrices over the slots they read.

A run (``run_state``) writes into a per-thread ``Workspace`` of buffers kept for the next run of the same sizes
(fresh memory costs a page fault per 4 KiB on first touch, at large n_tok as much as the arithmetic); a state only
updates in place tensors it created, so its input and every snapshot it returns stay as they were.  The collapse
of Lemmas 2-3 needs the constant slot to be 1 in every token; when it is not, or a layer has no recognised
structure, the layer runs on ``batched.apply_batched`` (the tokens are assembled for it).  float64 or float32, CPU
or CUDA; a leading batch dimension runs many prompts (same sizes) in one call.  Plans are kept in a side table
(``LayerCache``), never on the layers.
"""
from __future__ import annotations

import math
from functools import lru_cache
import threading
import warnings
import weakref
from bisect import bisect_right
from collections import OrderedDict
from dataclasses import dataclass
from fractions import Fraction

import torch

from symbolic.sum_of_relu import SumOfRelu
from symbolic.transformer import EWML, MLP, ReluAttention, SparseMatrix
from symbolic.wu2025.layout import TokenLayout

from . import LayerCache
from .batched import apply_batched

SCALAR, BACKPROP, STEP = "scalar_sum_of_relu", "backprop_product", "gradient_step"
MLP_KINDS = ("gated_loss_mlp", "projection", "readout")
KINDS = {SCALAR: ReluAttention, STEP: ReluAttention, BACKPROP: EWML, **{k: MLP for k in MLP_KINDS}}

_CACHE = LayerCache("structured")
PACKED_MAX = 4096             # up to this many pre-activations, one gather fetches slope and intercept together
MAX_KEY_CHUNK = 2**24          # entries of the (keys x K x queries) block when the keys carry different w


# --------------------------------------------------------------------------------------------- token state


class Workspace:
    """Buffers the layers of a run write into, reused by the next run of the same sizes.

    A block allocates its scratch slots, pre-activations and piece indices afresh otherwise; at large n_tok those
    are megabytes per layer, and fresh memory costs a page fault per 4 KiB on first touch (on the project's VMs
    about as much as the arithmetic).  ``keep=False`` (a single ``apply_state``): plain allocations."""

    def __init__(self, keep: bool = True):
        self.keep = keep
        self.bufs: dict = {}
        self.ids: set = set()
        self.views: dict = {}      # (key, dtype, shape) -> the view of the scratch buffer ``scratch`` returned

    def buf(self, key, shape, dtype, device) -> torch.Tensor:
        shape = tuple(shape)
        if not self.keep:
            return torch.empty(shape, dtype=dtype, device=device)
        k = (key, shape, dtype)
        t = self.bufs.get(k)
        if t is None:
            t = self.bufs[k] = torch.empty(shape, dtype=dtype, device=device)
            self.ids.add(id(t))
        return t

    def scratch(self, key, shape, dtype, device) -> torch.Tensor:
        """A transient buffer: one flat tensor per (key, dtype), grown to the largest size asked for, viewed as
        ``shape`` (what a layer uses and drops before the next request of the same key)."""
        shape = tuple(shape)
        if not self.keep:
            return torch.empty(shape, dtype=dtype, device=device)
        v = self.views.get((key, dtype, shape))
        if v is not None:                  # the same view as last time (its buffer has not grown since)
            return v
        numel = math.prod(shape)
        k = ("scratch", key, dtype)
        t = self.bufs.get(k)
        if t is None or t.numel() < numel:
            t = self.bufs[k] = torch.empty(numel, dtype=dtype, device=device)
            self.views = {vk: vv for vk, vv in self.views.items() if vk[:2] != (key, dtype)}
        v = self.views[(key, dtype, shape)] = t[:numel].view(shape)
        return v

    def owns(self, t) -> bool:
        return t is not None and id(t) in self.ids

    @property
    def nbytes(self) -> int:
        return sum(t.numel() * t.element_size() for t in self.bufs.values())


_LOCAL = threading.local()
WORKSPACES = 4                 # per thread: the most recent sizes keep their buffers


def workspace(st: "TokenState") -> Workspace:
    """The calling thread's workspace for the state's sizes (least recently used ones are dropped)."""
    cache = getattr(_LOCAL, "cache", None)
    if cache is None:
        cache = _LOCAL.cache = OrderedDict()
    key = (st.layout, tuple(st.batch), st.n_tok, st.dtype, str(st.device))
    ws = cache.pop(key, None) or Workspace()
    cache[key] = ws
    while len(cache) > WORKSPACES:
        cache.popitem(last=False)
    return ws


def release_workspaces() -> None:
    """Drop this thread's workspaces (their memory goes back to the allocator)."""
    _LOCAL.cache = OrderedDict()


class TokenState:
    """The token matrix of a construction, slot by slot, tokens as columns (see the module docstring).

    ``slots[name]``: a tensor (*batch, size, n_tok), or (*batch, size, 1) when equal in every token, or None when
    exactly zero.  A state never modifies a tensor it was given; the tensors it created itself (``owned``, in its
    workspace or fresh) it may update in place.  ``copy()`` is a snapshot that no later layer changes, and a value
    derived from slots (``memo``) is reused while those slot tensors are unchanged (same object, same version)."""

    def __init__(self, layout: TokenLayout, slots: dict, n_tok: int, ws: Workspace | None = None):
        self.layout, self.n_tok = layout, int(n_tok)
        self.slots = {name: slots.get(name) for name, _, _ in layout.slots}
        unknown = set(slots) - set(self.slots)
        if unknown:
            raise KeyError(f"no slots {sorted(unknown)} in the layout")
        ref = next((t for t in self.slots.values() if t is not None), None)
        if ref is None:
            raise ValueError("every slot is zero: give at least one tensor")
        self.dtype, self.device = ref.dtype, ref.device
        self.batch = _bshape(*(t.shape[:-2] for t in self.slots.values() if t is not None))
        for name, t in self.slots.items():
            if t is not None and (t.shape[-2] != layout.size(name) or t.shape[-1] not in (1, self.n_tok)):
                raise ValueError(f"slot {name}: shape {tuple(t.shape)}, want (..., {layout.size(name)}, "
                                 f"{self.n_tok} or 1)")
        self.ws = ws if ws is not None else Workspace(keep=False)
        self.owned: set = set()
        self.memo: dict = {}

    # ------------------------------------------------------------------ conversion

    @classmethod
    def from_tokens(cls, H: torch.Tensor, layout: TokenLayout, share: bool = True) -> "TokenState":
        """From H of shape (*batch, n_tok, D), tokens as rows (copied).  ``share``: store a slot equal in every
        token once (checked exactly), and an all-zero slot as zero."""
        n_tok = H.shape[-2]
        if H.shape[-1] != layout.D:
            raise ValueError(f"tokens have width {H.shape[-1]}, the layout {layout.D}")
        slots = {}
        for name, start, size in layout.slots:
            blk = H[..., start:start + size].transpose(-1, -2)
            if share and not bool(blk.any()):
                slots[name] = None
            elif share and n_tok > 1 and torch.equal(blk, blk[..., :1].expand_as(blk)):
                slots[name] = blk[..., :1].clone()
            else:
                slots[name] = blk.clone(memory_format=torch.contiguous_format)
        if all(v is None for v in slots.values()):
            slots["one"] = H[..., layout.slice("one")].transpose(-1, -2)[..., :1].clone()
        return cls(layout, slots, n_tok)

    def tokens(self) -> torch.Tensor:
        """The token matrix (*batch, n_tok, D), tokens as rows (a new tensor)."""
        out = torch.zeros(*self.batch, self.n_tok, self.layout.D, dtype=self.dtype, device=self.device)
        for name, start, size in self.layout.slots:
            t = self.slots[name]
            if t is not None:
                out[..., start:start + size] = t.transpose(-1, -2)
        return out

    def copy(self, ws: Workspace | None = None) -> "TokenState":
        """A snapshot no later layer changes: workspace buffers are cloned, other tensors shared (and no longer
        updated in place by this state).  ``ws``: the workspace of the copy (default: plain allocations)."""
        new = TokenState.__new__(TokenState)
        new.__dict__.update(self.__dict__)
        new.slots = {k: (v.clone() if self.ws.owns(v) else v) for k, v in self.slots.items()}
        self.owned = {k for k in self.owned if self.ws.owns(self.slots[k])}
        new.owned, new.memo = set(), {}
        new.ws = ws if ws is not None else Workspace(keep=False)
        return new

    def to(self, dtype=None, device=None) -> "TokenState":
        return TokenState(self.layout, {k: None if v is None else v.to(dtype=dtype, device=device)
                                        for k, v in self.slots.items()}, self.n_tok)

    # ------------------------------------------------------------------ access

    def get(self, name: str) -> torch.Tensor | None:
        return self.slots[name]

    def full(self, name: str) -> torch.Tensor:
        """Slot ``name`` as (*batch, size, n_tok) (a broadcast view where stored once, zeros where zero)."""
        t = self.slots[name]
        if t is None:
            return torch.zeros(*self.batch, self.layout.size(name), self.n_tok, dtype=self.dtype, device=self.device)
        return t.expand(*self.batch, t.shape[-2], self.n_tok)

    def slot(self, name: str) -> torch.Tensor:
        """Slot ``name`` of every token, tokens as rows: (*batch, n_tok, size) (a new tensor)."""
        return self.full(name).transpose(-1, -2).clone()

    def set(self, name: str, value: torch.Tensor | None, owned: bool = False) -> None:
        self.slots[name] = value
        if owned and value is not None:
            self.owned.add(name)
        else:
            self.owned.discard(name)

    def add(self, name: str, value: torch.Tensor | None) -> None:
        """slot += value (value: a tensor the caller does not keep)."""
        if value is None:
            return
        old = self.slots[name]
        if old is None:
            self.set(name, value)
        elif name in self.owned and old.shape == _bshape(old.shape, value.shape):
            old.add_(value)
        else:
            self.set(name, old + value, owned=True)

    def emit(self, name: str, shape, compute) -> None:
        """slot ``name`` += the result ``compute(out)`` writes into ``out`` (a buffer of ``shape``)."""
        shape = torch.Size(shape)
        old = self.slots[name]
        if old is None:
            out = self.ws.buf(("slot", name), shape, self.dtype, self.device)
            compute(out)
            self.set(name, out, owned=True)
            return
        tmp = self.ws.scratch("emit", shape, self.dtype, self.device)
        compute(tmp)
        self.add(name, tmp)

    def add_scaled(self, name: str, h: torch.Tensor, c: float) -> None:
        """slot ``name`` += c h (h: a tensor the state does not keep), one pass where the slot is its own."""
        old = self.slots[name]
        if old is None:
            self.emit(name, h.shape, lambda out: torch.mul(h, c, out=out))
        elif name in self.owned and old.shape == _bshape(old.shape, h.shape):
            old.add_(h, alpha=c)
        else:
            self.set(name, old + h * c, owned=True)

    def buf(self, key, shape, dtype=None) -> torch.Tensor:
        return self.ws.buf(key, shape, dtype or self.dtype, self.device)

    def shared(self, name: str) -> bool:
        t = self.slots[name]
        return t is None or t.shape[-1] == 1 or self.n_tok == 1

    def ones(self) -> bool:
        """The constant slot is exactly 1 in every token (memoised on the slot tensor and its version)."""
        t = self.slots["one"]
        hit = self.memo.get("ones")
        if hit is None or hit[0] is not t or (t is not None and hit[1] != t._version):
            hit = self.memo["ones"] = (t, None if t is None else t._version, t is not None and bool((t == 1).all()))
        return hit[2]


def _ver(t) -> int | None:
    return None if t is None else t._version


def _same(entry, *tensors) -> bool:
    """A memo entry (t1, version1, t2, version2, ...) still describes ``tensors`` (same objects, unchanged)."""
    return entry is not None and all(entry[2 * i] is t and entry[2 * i + 1] == _ver(t) for i, t in enumerate(tensors))


# --------------------------------------------------------------------------------------------- plans


@dataclass
class Piecewise:
    """r_bar in its exact piecewise-linear form (``SumOfRelu.pieces``), rounded once to the working dtype.

    ``grid = (b0, 1/h, G)`` when every breakpoint lies on the uniform grid b0 + i h (i < G): the pieces are then
    refined onto the grid (a piece repeated where the grid has a point the approximant has no kink at) and the
    piece of z is ceil((z - b0)/h) clamped to [0, G], no search.  ``key`` identifies the piece function of z."""

    breaks: torch.Tensor
    slope: torch.Tensor
    icpt: torch.Tensor
    grid: tuple | None = None
    key: tuple | None = None
    _shift: torch.Tensor | None = None
    _tables: dict | None = None

    @classmethod
    def of(cls, approx: SumOfRelu, dtype, device) -> "Piecewise":
        breaks, pieces = approx.pieces()
        t = lambda xs: torch.tensor([float(x) for x in xs], dtype=dtype, device=device)  # noqa: E731
        grid = _grid(breaks)
        if grid is None:
            return cls(t(breaks), t([s for s, _ in pieces]), t([c for _, c in pieces]), None,
                       ("breaks", tuple(breaks)))
        b0, h, G = grid
        idx = [0] + [bisect_right(breaks, b0 + (q - 1) * h) for q in range(1, G + 1)]
        refined = [pieces[i] for i in idx]
        return cls(t(breaks), t([s for s, _ in refined]), t([c for _, c in refined]),
                   (float(b0), float(1 / h), G), ("grid", b0, h, G))

    def index(self, z: torch.Tensor, out: torch.Tensor | None = None, tmp: torch.Tensor | None = None):
        """The piece of every entry of z (integer, shape of z); NaN goes to a valid piece (the value stays NaN).
        ``out`` (int32) and ``tmp`` (z's dtype): buffers of z's shape to compute in.

        On the grid: q = ceil((z - b0)/h) clamped to [0, G], computed as trunc(clamp((z - b0)/h + 1, 0, G)), equal
        except where (z - b0)/h is an integer, i.e. z on a knot, where both pieces give r_bar(z)."""
        if self.grid is None:
            q = torch.searchsorted(self.breaks, z.contiguous())
            return q if out is None else out.copy_(q)
        _, inv_h, G = self.grid
        if self._shift is None or self._shift.dtype != z.dtype or self._shift.device != z.device:
            self._shift = torch.tensor(1 - self.grid[0] * inv_h, dtype=z.dtype, device=z.device)
        u = torch.add(self._shift, z, alpha=inv_h, out=tmp) if tmp is not None else torch.add(self._shift, z,
                                                                                                alpha=inv_h)
        u.clamp_(0, G)                                                      # finite except NaN
        q = out.copy_(u) if out is not None else u.to(torch.int32)          # truncation = floor on [0, G]
        if z.device.type != "cpu":
            q.clamp_(0, G)                      # NaN -> some integer -> a valid piece (the value stays NaN)
        return q                                # on CPU a NaN's index is caught by the lookup (``__call__``)

    def table(self, other: "Piecewise | None" = None) -> torch.Tensor:
        """The pieces as rows [slope, icpt] (and [slope, icpt, slope', icpt'] of ``other``, an approximant on the same
        pieces): one gather fetches every coefficient a piece needs."""
        if self._tables is None:
            self._tables = {}
        tables = self._tables
        hit = tables.get(id(other))
        if hit is None or hit[0] is not other:
            cols = [self.slope, self.icpt] + ([] if other is None else [other.slope, other.icpt])
            hit = tables[id(other)] = (other, torch.stack(cols, dim=1).contiguous())
        return hit[1]

    def _fetch(self, q: torch.Tensor, fetch):
        """``fetch(flat q)``; a NaN in z (CPU) has an out-of-range index: q is clamped (any piece will do)."""
        try:
            return fetch(q.reshape(-1))
        except IndexError:
            q.clamp_(0, len(self.slope) - 1)
            return fetch(q.reshape(-1))

    def gather(self, q: torch.Tensor, other: "Piecewise | None" = None, scratch: torch.Tensor | None = None):
        """The rows of ``table(other)`` at the pieces q: shape (*q.shape, 2 or 4).  ``scratch``: a buffer of
        (q.numel(), columns) to gather into."""
        tab = self.table(other)
        g = self._fetch(q, lambda flat: tab.index_select(0, flat) if scratch is None else
                        torch.index_select(tab, 0, flat, out=scratch))
        return g.view(*q.shape, tab.shape[1])

    def __call__(self, z: torch.Tensor, q: torch.Tensor | None = None, out: torch.Tensor | None = None,
                 scratch: torch.Tensor | None = None) -> torch.Tensor:
        """Definition 4, sum_m c_m relu(a_m^T [z; 1]), as slope_q z + icpt_q on the piece q of z.  ``out``: the
        result buffer; ``scratch``: a buffer of (z.numel(), 2) for the gathered slopes and intercepts."""
        q = self.index(z) if q is None else q
        if z.numel() > PACKED_MAX:          # large: contiguous 1-D gathers (a strided addcmul is several times slower)
            ab = None if scratch is None else scratch.view(-1).view(2, -1)
            a, b = self._fetch(q, lambda flat: (self.slope.index_select(0, flat), self.icpt.index_select(0, flat))
                               if ab is None else (torch.index_select(self.slope, 0, flat, out=ab[0]),
                                                   torch.index_select(self.icpt, 0, flat, out=ab[1])))
            a, b = a.view(q.shape), b.view(q.shape)
            return torch.addcmul(b, a, z) if out is None else torch.addcmul(b, a, z, out=out)
        g = self.gather(q, None, scratch)
        return torch.addcmul(g[..., 1], g[..., 0], z) if out is None else \
            torch.addcmul(g[..., 1], g[..., 0], z, out=out)


def _grid(breaks: list[Fraction], spread: int = 4) -> tuple | None:
    """(b0, h, G) when the sorted exact breakpoints lie on b0 + i h, i = 0..G-1, with G <= spread * count + 64."""
    if len(breaks) < 2:
        return None
    b0 = breaks[0]
    diffs = [b - b0 for b in breaks[1:]]
    den = 1
    for d in diffs:
        den = den * d.denominator // math.gcd(den, d.denominator)
    g = 0
    for d in diffs:
        g = math.gcd(g, int(d * den))
    h = Fraction(g, den)
    G = int((breaks[-1] - b0) / h) + 1
    return (b0, h, G) if G <= spread * len(breaks) + 64 else None


@dataclass
class ScalarTerm:
    j: int
    p_slot: str            # p(j-1)
    v_rows: slice          # rows of V_j inside the w slot (row-major, ordering (3.2))
    K: int
    fan_in: int
    out_slot: str          # the slot written


@dataclass
class ScalarPlan:
    """Lemmas 2-3: the approximant and, for each served layer j, what it reads and writes."""

    f: Piecewise
    terms: list


@dataclass
class Pairs:
    """MLP units paired on one slot (clip or erase): rows inside the slot and the pair's beta = -b."""

    slot: str
    rows: slice | torch.Tensor     # inside the slot
    whole: bool
    beta: torch.Tensor             # (len, 1)
    erase: bool                    # every beta is 0: the rows become exactly 0
    clip: bool                     # every beta <= 0: clamp(h, beta, -beta) when the constant slot is 1


@dataclass
class Family:
    """Units repeated coordinate-wise: unit k (k < size) reads entry k of the slots ``reads`` (and the size-1 slots
    ``scalars``) with the same coefficients and writes entry k of the slots ``writes`` with the same coefficients,
    e.g. a loss unit a_t p(N)[k] + a_y y[k] + b 1 + R3 t -> c g[k].  Evaluated on whole slots, no matrix."""

    size: int
    reads: tuple                   # ((slot, coef), ...) slots of this size
    scalars: tuple                 # ((slot, coef), ...) slots of size 1
    writes: tuple                  # ((slot, coef), ...) slots of this size


@dataclass
class MLPPlan:
    """Definition 8 without D-wide matrices: paired units slot-wise, unit families on whole slots, the other units
    as blocks per slot read."""

    pairs: list                    # [Pairs]
    families: list                 # [Family]
    reads: list                    # [(slot, rows inside the slot, W1 block (units, rows) dense or CSR)]
    writes: list                   # [(slot, rows inside the slot, whole, W2 block (rows, units))]
    units: int                     # the other units (those of ``reads`` / ``writes``)


def _csr_or_dense(block: SparseMatrix, dtype, device):
    """A small block as a dense tensor, or as CSR when it is large and sparse (``_matmul`` multiplies either)."""
    rows, cols = block.shape
    if rows * cols <= 1 << 16 or block.nnz > 0.1 * rows * cols:
        return torch.tensor(block.to_dense(), dtype=dtype, device=device)
    items = sorted(block.entries.items())
    crow = [0] * (rows + 1)
    for (r, _), _ in items:
        crow[r + 1] += 1
    for r in range(rows):
        crow[r + 1] += crow[r]
    with warnings.catch_warnings():  # "sparse CSR support is in beta": CSR @ dense is all we use
        warnings.simplefilter("ignore", UserWarning)
        return torch.sparse_csr_tensor(torch.tensor(crow, dtype=torch.long),
                                       torch.tensor([c for (_, c), _ in items], dtype=torch.long),
                                       torch.tensor([float(v) for _, v in items], dtype=dtype),
                                       block.shape).to(device)


def _matmul(W: torch.Tensor, X: torch.Tensor) -> torch.Tensor:
    """W (a, b) dense or CSR times X (*batch, b, n)."""
    if W.layout != torch.sparse_csr or X.dim() == 2:
        return W @ X
    Xf = X.movedim(-2, 0).reshape(X.shape[-2], -1)
    return (W @ Xf).reshape(W.shape[0], *X.shape[:-2], X.shape[-1]).movedim(0, -2)


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


def _by_slot(layout: TokenLayout, indices) -> dict:
    """Token indices grouped by slot: {slot: [(offset in slot, position in ``indices``)]} in layout order."""
    out: dict = {}
    for pos, i in enumerate(indices):
        for name, start, size in layout.slots:
            if start <= i < start + size:
                out.setdefault(name, []).append((i - start, pos))
                break
    return out


def _rows(offsets: list[int], device) -> slice | torch.Tensor:
    if offsets == list(range(offsets[0], offsets[-1] + 1)):
        return slice(offsets[0], offsets[-1] + 1)
    return torch.tensor(offsets, dtype=torch.long, device=device)


def _sub(m: SparseMatrix, rows: list[int], cols: list[int]) -> SparseMatrix:
    """m[rows][:, cols], renumbered."""
    rp, cp = {r: i for i, r in enumerate(rows)}, {c: i for i, c in enumerate(cols)}
    return SparseMatrix((len(rows), len(cols)), {(rp[r], cp[c]): v for (r, c), v in m.entries.items()
                                                  if r in rp and c in cp})


def mlp_plan(layer: MLP, layout: TokenLayout, dtype, device) -> MLPPlan:
    one = layout.index("one")
    pairs, rest = pair_units(layer, one)
    plist = []
    for name, items in _by_slot(layout, sorted(pairs)).items():
        offs = [o for o, _ in items]
        start = layout.slice(name).start
        betas = [pairs[start + o] for o in offs]
        plist.append(Pairs(name, _rows(offs, device), offs == list(range(layout.size(name))),
                           torch.tensor([[float(b)] for b in betas], dtype=dtype, device=device),
                           all(b == 0 for b in betas), all(b <= 0 for b in betas)))
    families, rest = _families(layer, layout, rest)
    W2r = _sub(layer.W2, list(range(layer.W2.shape[0])), rest)
    written = sorted({r for r, _ in W2r.entries})
    keep = sorted({c for _, c in W2r.entries})          # units that write nothing are dropped
    reads, writes = [], []
    if written and keep:
        units = [rest[c] for c in keep]
        unit_set = set(units)
        read_cols = sorted({c for (r, c) in layer.W1.entries if r in unit_set})
        for name, items in _by_slot(layout, read_cols).items():
            offs = [o for o, _ in items]
            start = layout.slice(name).start
            reads.append((name, _rows(offs, device),
                          _csr_or_dense(_sub(layer.W1, units, [start + o for o in offs]), dtype, device)))
        for name, items in _by_slot(layout, written).items():
            offs = [o for o, _ in items]
            start = layout.slice(name).start
            block = _sub(layer.W2, [start + o for o in offs], units)
            writes.append((name, _rows(offs, device), offs == list(range(layout.size(name))),
                           _csr_or_dense(block, dtype, device)))
    return MLPPlan(plist, families, reads, writes, len(keep))


def _families(layer: MLP, layout: TokenLayout, units: list[int]) -> tuple[list[Family], list[int]]:
    """Split ``units`` into complete coordinate-wise families (``Family``) and the rest."""
    where = {}
    for name, start, size in layout.slots:
        for o in range(size):
            where[start + o] = (name, o, size)
    w1, w2 = {}, {}
    for (r, c), v in layer.W1.entries.items():
        w1.setdefault(r, []).append((c, v))
    for (r, c), v in layer.W2.entries.items():
        w2.setdefault(c, []).append((r, v))
    groups: dict = {}
    for m in units:
        outs = [(where[r], v) for r, v in w2.get(m, [])]
        if not outs:
            continue
        size, k = outs[0][0][2], outs[0][0][1]
        if any(s_ != size or o != k for (_, o, s_), _ in outs):
            continue
        reads, scalars, ok = [], [], True
        for c, v in w1.get(m, []):
            name, o, s_ = where[c]
            if s_ == size and o == k:
                reads.append((name, v))
            elif s_ == 1:
                scalars.append((name, v))
            else:
                ok = False
                break
        if ok:
            sig = (size, tuple(sorted(reads)), tuple(sorted(scalars)), tuple(sorted((n, v) for (n, _, _), v in outs)))
            groups.setdefault(sig, {})[k] = m
    families, used = [], set()
    for (size, reads, scalars, writes), by_k in groups.items():
        if sorted(by_k) == list(range(size)):
            families.append(Family(size, tuple((n, float(v)) for n, v in reads),
                                   tuple((n, float(v)) for n, v in scalars), tuple((n, float(v)) for n, v in writes)))
            used.update(by_k.values())
    return families, [m for m in units if m not in used]


def _w_rows(layout: TokenLayout, j: int) -> slice:
    """Rows of V_j = [v_j1; ...; v_jK_j] inside the w slot (row-major, ordering (3.2))."""
    return layout.shape.layer_slice(j)


def _plan(layer, layout: TokenLayout, dtype, device):
    """The layer's plan for this dtype/device (kept in the executor's side table, not on the layer)."""
    def make():
        kind = structured_kind(layer)
        shape = layout.shape
        if kind == SCALAR:
            terms = [ScalarTerm(j, layout.p(j - 1), _w_rows(layout, j), shape.width(j), shape.fan_in(j), slot)
                     for j, slot in zip(layer.structure["layers"], layer.structure["writes"])]
            return ScalarPlan(Piecewise.of(layer.structure["approximant"], dtype, device), terms)
        if kind == BACKPROP:
            (j,) = layer.structure["layers"]
            return ("backprop", j)
        if kind == STEP:
            n = layer.structure["n"]
            return ("step", Fraction(layer.structure["eta"]) * (n + 1) / (2 * n))
        return mlp_plan(layer, layout, dtype, device)

    return _CACHE.get(layer, ("structured", dtype, str(device), layout), make)


# --------------------------------------------------------------------------------------------- layers


def _mul(a, b):
    return None if a is None or b is None else a * b


@lru_cache(maxsize=4096)
def _bshape(*shapes) -> torch.Size:
    """``torch.broadcast_shapes`` for concrete integer shapes, without its symbolic-shape machinery (about 10 us a
    call, several calls a layer: most of a small block's time); memoised (a run asks the same few shapes)."""
    n = max((len(s) for s in shapes), default=0)
    out = [1] * n
    for s in shapes:
        off = n - len(s)
        for i, d in enumerate(s):
            o = out[off + i]
            if d == o or d == 1:
                continue
            if o == 1:
                out[off + i] = d
            else:
                raise RuntimeError(f"shapes {[tuple(x) for x in shapes]} do not broadcast")
    return torch.Size(out)


def _scalar(plan: ScalarPlan, st: TokenState, ahead=()) -> None:
    """Lemmas 2-3 (C.8), (C.12) (the constant slot is 1 everywhere).

    ``ahead``: [(j, f, slot)] terms of a later layer (Lemma 3's r_bar' of z_j) on the same pre-activations and the
    same pieces: evaluated here while z_j and its pieces are at hand, kept in ``memo`` with what they read, and
    taken by that layer while w and p(j-1) are unchanged (else it computes them itself)."""
    w = st.get("w")
    f = plan.f
    for t in plan.terms:
        P = st.get(t.p_slot)
        if not st.shared("w"):
            st.add(t.out_slot, _scalar_keys(f, t, w, P, st))
            continue
        done = st.memo.pop(("ahead", t.out_slot), None)
        if _same(done, w, P) and done[4] is f:
            if st.get(t.out_slot) is None:
                st.set(t.out_slot, done[5], owned=True)
            else:
                st.add(t.out_slot, done[5])
            continue
        later = [(f2, slot) for j, f2, slot in ahead if j == t.j]
        hit = st.memo.get(("z", t.j))
        if _same(hit, w, P):
            z = hit[4]
        else:
            if w is None or P is None:
                z = torch.zeros(*st.batch, t.K, 1, dtype=st.dtype, device=st.device)
            else:
                V = w[..., t.v_rows, 0].reshape(*w.shape[:-2], t.K, t.fan_in)
                shape = (*_bshape(V.shape[:-2], P.shape[:-2]), t.K, P.shape[-1])
                z = st.ws.scratch("z", shape, st.dtype, st.device) if later else st.buf(("z", t.j), shape)
                torch.matmul(V, P, out=z)                                            # (*b, K_j, n_tok)
            if not later:      # a later layer may need z again (with ``later`` it is served now)
                st.memo[("z", t.j)] = (w, _ver(w), P, _ver(P), z)
        hq = st.memo.get(("q", t.j))
        if _same(hq, z) and hq[2] == f.key:
            q = hq[3]
        else:
            qbuf = st.ws.scratch("q", z.shape, torch.int32, st.device) if later else \
                st.buf(("q", t.j), z.shape, torch.int32)
            q = f.index(z, out=qbuf, tmp=st.ws.scratch("u", z.shape, st.dtype, st.device))
            if not later:
                st.memo[("q", t.j)] = (z, _ver(z), f.key, q)
        pending = []
        for f2, slot in later:
            buf = st.buf(("ahead", slot), z.shape)
            if st.get(slot) is not buf:  # else still that slot's value (not erased since): left to the later layer
                pending.append((f2, slot, buf))
        if len(pending) == 1 and pending[0][0].key == f.key and z.numel() <= PACKED_MAX:
            # r_bar and r_bar' on the same pieces: one gather (strided operands: for small z only)
            f2, slot, buf = pending[0]
            g = f.gather(q, f2, st.ws.scratch("g4", (z.numel(), 4), st.dtype, st.device))
            st.emit(t.out_slot, z.shape, lambda out, z=z, g=g: torch.addcmul(g[..., 1], g[..., 0], z, out=out))
            st.memo[("ahead", slot)] = (w, _ver(w), P, _ver(P), f2, torch.addcmul(g[..., 3], g[..., 2], z, out=buf))
            continue
        scratch = st.ws.scratch("g2", (z.numel(), 2), st.dtype, st.device)
        st.emit(t.out_slot, z.shape, lambda out, z=z, q=q: f(z, q, out=out, scratch=scratch))
        for f2, slot, buf in pending:
            q2 = q if f2.key == f.key else f2.index(z)
            st.memo[("ahead", slot)] = (w, _ver(w), P, _ver(P), f2, f2(z, q2, out=buf, scratch=scratch))


def _lookahead(layers, layout: TokenLayout, dtype, device) -> dict:
    """{index of a Lemma-2 layer: [(j, f, slot)]}: the terms of the next scalar layer (Lemma 3) that read the same
    pre-activations v_jk^T p(j-1) with an approximant on the same pieces, to be evaluated with it (``_scalar``)."""
    out, last = {}, {}
    for i, layer in enumerate(layers):
        if structured_kind(layer) != SCALAR:
            last = {}
            continue
        plan = _plan(layer, layout, dtype, device)
        for t in plan.terms:
            key = (t.j, t.p_slot, t.v_rows.start, t.v_rows.stop)
            if key in last and last[key][1].key == plan.f.key and last[key][0] != i:
                out.setdefault(last[key][0], []).append((t.j, plan.f, t.out_slot))
                del last[key]
            else:
                last[key] = (i, plan.f)
    return out


def _scalar_keys(f: Piecewise, t: ScalarTerm, w: torch.Tensor, P, st: TokenState) -> torch.Tensor:
    """Keys carrying different w: (1/n_tok) sum_s r_bar(v_jk,s^T p_i(j-1)) for every query i, keys in chunks."""
    V = w[..., t.v_rows, :].reshape(*w.shape[:-2], t.K, t.fan_in, w.shape[-1])            # (*b, K, in, keys)
    n_keys = V.shape[-1]
    if P is None:
        P = torch.zeros(*st.batch, t.fan_in, 1, dtype=st.dtype, device=st.device)
    chunk = max(1, MAX_KEY_CHUNK // max(1, t.K * P.shape[-1]))
    total = None
    for s0 in range(0, n_keys, chunk):
        z = torch.einsum("...kls,...li->...ski", V[..., s0:s0 + chunk], P)                 # (*b, keys, K, queries)
        part = f(z).sum(dim=-3)
        total = part if total is None else total + part
    return total / n_keys


def _backprop(layout: TokenLayout, j: int, st: TokenState) -> None:
    """Lemma 5, (3.20): s(N) += (g 1) (.) r'(N-1); s(j) += r'(j-1) (.) (V_{j+1}^T s(j+1)), each token its own w."""
    shape = layout.shape
    rp = st.get(layout.rp(j - 1))
    if rp is None:
        return
    if j == shape.N:
        g, one = st.get("g"), st.get("one")
        if g is None or one is None:
            return
        if st.ones():       # g 1 = g exactly
            st.emit(layout.s(j), _bshape(g.shape, rp.shape), lambda out: torch.mul(g, rp, out=out))
        else:
            st.add(layout.s(j), g * one * rp)
        return
    w, s1 = st.get("w"), st.get(layout.s(j + 1))
    if w is None or s1 is None:
        return
    K1, K = shape.width(j + 1), shape.fan_in(j + 1)
    if st.shared("w"):
        V = w[..., _w_rows(layout, j + 1), 0].reshape(*w.shape[:-2], K1, K).transpose(-1, -2)
        score = st.ws.scratch("score", (*_bshape(V.shape[:-2], s1.shape[:-2]), K, s1.shape[-1]), st.dtype,
                              st.device)
        torch.matmul(V, s1, out=score)                                                  # (*b, K_j, n_tok)
        st.emit(layout.s(j), _bshape(score.shape, rp.shape), lambda out: torch.mul(score, rp, out=out))
    else:
        V = w[..., _w_rows(layout, j + 1), :].reshape(*w.shape[:-2], K1, K, w.shape[-1])
        st.add(layout.s(j), (V * s1[..., :, None, :]).sum(-3) * rp)


def _step(layout: TokenLayout, scale: Fraction, st: TokenState) -> None:
    """(C.16): w += -(scale / n_tok) 1_i sum_t s_t(j) (x) p_t(j-1), scale = eta (n+1)/(2n)."""
    shape = layout.shape
    pairs = [(st.get(layout.s(j)), st.get(layout.p(j - 1))) for j in range(1, shape.N + 1)]
    if not st.batch and st.get("w") is not None and st.ones() and all(S is not None and P is not None
                                                                      for S, P in pairs):
        # one buffer, each block's product written into its rows (no concatenation; the same values)
        G = st.ws.scratch("step", (sum(shape.width(j) * shape.fan_in(j) for j in range(1, shape.N + 1)),),
                          st.dtype, st.device)
        off = 0
        for j in range(1, shape.N + 1):
            size = shape.width(j) * shape.fan_in(j)
            torch.matmul(st.full(layout.s(j)), st.full(layout.p(j - 1)).transpose(-1, -2),
                         out=G[off:off + size].view(shape.width(j), shape.fan_in(j)))
            off += size
        st.add("w", G.mul_(-float(scale) / st.n_tok)[:, None])     # w exists: never the buffer itself
        return
    parts = []
    for j in range(1, shape.N + 1):
        S, P = pairs[j - 1]
        if S is None or P is None:
            parts.append(torch.zeros(*st.batch, shape.width(j) * shape.fan_in(j), dtype=st.dtype, device=st.device))
        else:
            G = st.full(layout.s(j)) @ st.full(layout.p(j - 1)).transpose(-1, -2)         # (*b, K_j, in_j)
            parts.append(G.reshape(*G.shape[:-2], -1).expand(*st.batch, -1))
    G = torch.cat(parts, dim=-1) * (-float(scale) / st.n_tok)
    st.add("w", G[..., None] if st.ones() else G[..., None] * st.full("one"))


def _mlp(plan: MLPPlan, st: TokenState) -> None:
    """h_i += W_2 relu(W_1 h_i) for every token; every unit reads the input state, the writes come last."""
    one = st.get("one")
    out = []                                       # (slot, rows, whole, value or (hidden, coef))
    if plan.writes:
        pre = None
        for name, rows, W in plan.reads:
            X = st.get(name)
            if X is not None:
                v = _matmul(W, X[..., rows, :])
                pre = v if pre is None else pre + v
        if pre is not None:
            hidden = torch.relu(pre)
            out = [(name, rows, whole, _matmul(W, hidden)) for name, rows, whole, W in plan.writes]
    lins: dict = {}     # a family's reads ((slot, coef), ...) -> sum c X, computed once (a family reading the
    for i, f in enumerate(plan.families):   # negated combination, e.g. a loss unit's twin, takes minus it)
        reads = tuple((name, c) for name, c in f.reads if st.get(name) is not None)
        scalars = tuple((name, c) for name, c in f.scalars if st.get(name) is not None)
        if not reads and not scalars:
            continue
        gate = None if not scalars else lins.get(scalars)                    # (*b, 1, n_tok or 1): small
        if scalars and gate is None:
            gate = lins[scalars] = _lincomb([(st.get(name), c) for name, c in scalars], None)
        neg = tuple((name, -c) for name, c in reads)
        sign = 1
        if not reads:
            A = None
        elif reads in lins:
            A = lins[reads]
        elif neg in lins:
            A, sign = lins[neg], -1
        else:
            terms = [(st.get(name), c) for name, c in reads]
            A = lins[reads] = _lincomb(terms, st.buf(("lin", i), _bshape(*(X.shape for X, _ in terms))))
        shape = _bshape(*([] if A is None else [A.shape]), *([] if gate is None else [gate.shape]))
        pre = st.buf(("family", i), shape)
        if A is None:
            pre.copy_(gate.expand(shape))
        elif gate is None:
            torch.mul(A, sign, out=pre)
        elif sign == 1:
            torch.add(A, gate, out=pre)
        else:
            torch.sub(gate, A, out=pre)
        h = pre.relu_()
        out += [(name, None, True, (h, c)) for name, c in f.writes]
    ones = None
    for p in plan.pairs:
        if p.erase and p.whole:
            st.set(p.slot, None)
            continue
        X = st.get(p.slot)
        if X is None and p.erase:
            continue
        x = (st.full(p.slot) if X is None else X)[..., p.rows, :]
        if p.erase:
            new = torch.zeros_like(x)
        else:
            ones = st.ones() if ones is None else ones
            if p.clip and ones:                       # b = -beta >= 0: the pair is clamp(h[c], -b, b)
                new = torch.maximum(torch.minimum(x, -p.beta), p.beta)
            else:
                b = p.beta * (one if one is not None else torch.zeros((), dtype=st.dtype, device=st.device))
                new = x + (torch.relu(-x + b) - torch.relu(x + b))
        _put(st, p.slot, p.rows, p.whole, new, add=False)
    for name, rows, whole, v in out:
        if isinstance(v, tuple):
            st.add_scaled(name, *v)
        else:
            _put(st, name, rows, whole, v, add=True)


def _lincomb(terms: list, out: torch.Tensor | None) -> torch.Tensor:
    """sum c X over terms [(X, c)] (broadcast), into ``out`` (of the broadcast shape) when given."""
    if out is None:                        # the largest first: the others broadcast into it in place
        terms = sorted(terms, key=lambda t: -t[0].numel())
    (X0, c0), rest = terms[0], terms[1:]
    if out is None:
        acc = X0 * c0
    else:
        acc = torch.mul(X0.expand(out.shape), c0, out=out)
    for X, c in rest:
        try:
            acc.add_(X, alpha=c)           # X broadcasts to acc's shape (the usual case)
        except RuntimeError:               # it would have to grow acc: out of place
            acc = acc + X * c
    return acc


def _put(st: TokenState, name: str, rows, whole: bool, value: torch.Tensor, add: bool) -> None:
    """Write (or add) ``value`` into rows ``rows`` of slot ``name``, out of place."""
    X = st.get(name)
    if whole:
        st.set(name, (X + value) if add and X is not None else value, owned=add and X is not None)
        return
    n = max(1 if X is None else X.shape[-1], value.shape[-1])
    shape = (*_bshape(st.batch, value.shape[:-2]), st.layout.size(name), n)
    base = torch.zeros(shape, dtype=st.dtype, device=st.device) if X is None else X.expand(shape).clone()
    if add:
        base[..., rows, :] += value
    else:
        base[..., rows, :] = value
    st.set(name, base, owned=True)


def structured_kind(layer) -> str | None:
    """The structure kind this executor collapses, or None (the layer runs on the batched executor)."""
    kind = getattr(layer, "structure", {}).get("kind")
    return kind if kind in KINDS and isinstance(layer, KINDS[kind]) else None


def apply_state(layer, st: TokenState, ahead=()) -> TokenState:
    """One layer on the token state (slots it was given are replaced, never modified); returns the state.
    ``ahead``: terms of a later layer to evaluate with this one (``_lookahead``)."""
    return _apply(layer, *_resolve(layer, st.layout, st.dtype, st.device), st, ahead)


def _resolve(layer, layout: TokenLayout, dtype, device) -> tuple:
    """(structure kind, plan) of a layer; the plan is None for a layer that runs on the batched executor."""
    kind = structured_kind(layer)
    return kind, (_plan(layer, layout, dtype, device)
                  if kind is not None or isinstance(layer, MLP) else None)


def _apply(layer, kind, plan, st: TokenState, ahead) -> TokenState:
    """``apply_state`` with the layer's kind and plan resolved (``_program``)."""
    if kind == SCALAR and st.ones():
        _scalar(plan, st, ahead)
    elif kind == BACKPROP:
        _backprop(st.layout, plan[1], st)
    elif kind == STEP:
        _step(st.layout, plan[1], st)
    elif isinstance(layer, MLP):
        _mlp(plan, st)
    else:  # no recognised structure, or Lemma 2/3 with a constant slot that is not 1
        new = TokenState.from_tokens(apply_batched(layer, st.tokens()), st.layout)
        st.slots, st.memo = new.slots, {}
        st.owned = {k for k, v in new.slots.items() if v is not None}     # fresh tensors of this state
    return st


_PROGRAMS: OrderedDict = OrderedDict()     # (layer ids, layout id, dtype, device) -> (layer weakrefs, layout, steps)
PROGRAMS = 16
_PROGRAMS_LOCK = threading.Lock()


def _program(layers: list, layout: TokenLayout, dtype, device) -> list:
    """[(kind, plan, ahead)] of every layer of a run, resolved once per layer sequence (the plans live in the side
    table; this keeps weak references to the layers, never the layers)."""
    key = (tuple(map(id, layers)), id(layout), dtype, str(device))
    with _PROGRAMS_LOCK:
        hit = _PROGRAMS.get(key)
        if hit is not None and hit[1] is layout and all(r() is l for r, l in zip(hit[0], layers)):
            _PROGRAMS.move_to_end(key)
            return hit[2]
    ahead = _lookahead(layers, layout, dtype, device)
    steps = []
    for i, layer in enumerate(layers):
        steps.append((*_resolve(layer, layout, dtype, device), ahead.get(i, ())))
    with _PROGRAMS_LOCK:
        _PROGRAMS[key] = ([weakref.ref(l) for l in layers], layout, steps)
        while len(_PROGRAMS) > PROGRAMS:
            _PROGRAMS.popitem(last=False)
    return steps


def run_state(layers, st: TokenState, record: bool = False, progress=None) -> tuple[TokenState, list[TokenState]]:
    """Apply layers in order to ``st`` (not modified); returns (final state, [snapshot after each layer] if
    ``record``); ``progress()`` is called after each layer.  The run writes into the calling thread's workspace for
    these sizes; what it returns does not alias the workspace."""
    work = st.copy(ws=workspace(st))
    layers = list(layers)
    trace = []
    for layer, (kind, plan, ahead) in zip(layers, _program(layers, st.layout, st.dtype, st.device)):
        _apply(layer, kind, plan, work, ahead)
        if record:
            trace.append(work.copy())
        if progress is not None:
            progress()
    return work.copy(), trace


def apply_structured(layer, H: torch.Tensor, layout: TokenLayout) -> torch.Tensor:
    """One layer on H of shape (*batch, n_tok, D), tokens as rows like the other executors; H is not modified."""
    return apply_state(layer, TokenState.from_tokens(H, layout)).tokens()


def run_structured(layers, H: torch.Tensor, layout: TokenLayout, record: bool = True):
    """Apply layers in order to H (*batch, n_tok, D); returns (final H, [H after each layer] if ``record``)."""
    st, trace = run_state(layers, TokenState.from_tokens(H, layout), record)
    return st.tokens(), [s.tokens() for s in trace]
