"""Arb-ball executor over the structured form (python-flint): the whole construction at any precision, rigorous.

Every entry of the state is an Arb ball that contains the value exact real arithmetic gives for the same
weights and input; the radius bounds the rounding error of the run (not the construction's approximation
error, which is a property of the weights).  The layers are collapsed as in ``structured`` -- one evaluation of
the approximant's exact piecewise form per (token, coordinate) for Lemmas 2-3, slot-wise products for Lemma 5
and (C.16), sparse MLPs -- and every step is an interval extension:

* a ball z touching several pieces of r_bar gets the union of those pieces' values (breakpoints compared as
  balls, so a piece is dropped only when certainly not touched);
* relu of a ball is ``max(ball, 0)``;
* Lemmas 2-3 read the union over tokens of the w balls (each key's w lies in it, and a mean of values in an
  interval stays in it), so the 1/n_tok normalisation cancels rigorously.

Layers without a recognised structure, or a constant slot that is not exactly 1, run head by head (``compile_heads``)
with the same ball relu.  Tokens are rows: H is a list of lists of ``arb``.
"""
from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
from flint import arb, arb_mat, ctx

from symbolic.sum_of_relu import SumOfRelu, to_fraction
from symbolic.transformer import EWML, MLP, LinearAttention, ReluAttention
from symbolic.wu2025.layout import TokenLayout

from ..precision import digits, to_arb
from . import LayerCache
from .compiled import compile_heads, mlp_terms
from .structured import BACKPROP, SCALAR, STEP, structured_kind


def relu(x: arb) -> arb:
    """sigma(x) = max(x, 0) as an Arb enclosure."""
    return x.max(0)


def arb_rows(rows) -> list[list[arb]]:
    """Exact token rows (Fractions, ints or floats) as Arb balls; equal values share one ball object."""
    seen: dict = {}
    for r in rows:
        for v in r:
            if v not in seen:
                seen[v] = to_arb(v)
    return [[seen[v] for v in r] for r in rows]


class ArbPiecewise:
    """r_bar in exact piecewise form with breakpoints, slopes and intercepts as balls at the working precision."""

    def __init__(self, approx: SumOfRelu):
        breaks, pieces = approx.pieces()
        self.breaks = [to_arb(b) for b in breaks]
        self.pieces = [(to_arb(s), to_arb(c)) for s, c in pieces]

    def _count(self, pred) -> int:
        """Number of breakpoints b (sorted) with pred(b), for a predicate true then false along the list."""
        lo, hi = 0, len(self.breaks)
        while lo < hi:
            mid = (lo + hi) // 2
            if pred(self.breaks[mid]):
                lo = mid + 1
            else:
                hi = mid
        return lo

    def __call__(self, z: arb) -> arb:
        """An enclosure of r_bar(z*) for every z* in z: the union over the pieces z may touch."""
        q_min = self._count(lambda b: b < z)            # breakpoints certainly left of z
        q_max = self._count(lambda b: not (b >= z))     # breakpoints possibly left of z
        s, c = self.pieces[q_min]
        out = s * z + c
        for q in range(q_min + 1, q_max + 1):
            s, c = self.pieces[q]
            out = out.union(s * z + c)
        return out


_CACHE = LayerCache("arb")


def _plan(layer, layout: TokenLayout, prec: int):
    """The layer's plan at precision ``prec`` (kept in the executor's side table, not on the layer)."""
    def make():
        kind = layer.structure["kind"]
        if kind == SCALAR:
            return ArbPiecewise(layer.structure["approximant"])
        if kind == STEP:
            n = layer.structure["n"]
            return to_arb(Fraction(layer.structure["eta"]) * (n + 1) / (2 * n))
        if kind == BACKPROP:
            return None
        return mlp_plan(layer)

    return _CACHE.get(layer, ("arb", prec, layout), make)


def _matmul(A: list[list[arb]], B: list[list[arb]]) -> list[list[arb]]:
    """A @ B through ``arb_mat`` (ball matrix product)."""
    return (arb_mat(A) * arb_mat(B)).tolist()


def _shared_w(H, w: slice) -> list[arb]:
    """The union over tokens of the w balls (the same object when every token holds the same ball)."""
    U = list(H[0][w])
    for row in H[1:]:
        for q, x in enumerate(row[w]):
            if x is not U[q]:
                U[q] = U[q].union(x)
    return U


def _ones(H, one: int) -> bool:
    return all(r[one].is_exact() and r[one] == 1 for r in H)


def _scalar(layer, H, layout: TokenLayout, f: ArbPiecewise):
    """Lemmas 2-3 (C.8), (C.12): out_i[slot k] += r_bar(v_jk^T p_i(j-1)) for each served layer j."""
    shape = layout.shape
    U = _shared_w(H, layout.slice("w"))
    out = [row[:] for row in H]
    for j, slot in zip(layer.structure["layers"], layer.structure["writes"]):
        K, fan_in = shape.width(j), shape.fan_in(j)
        vs = shape.layer_slice(j)
        V = U[vs.start:vs.stop]
        Z = _matmul([row[layout.slice(layout.p(j - 1))] for row in H],
                    [[V[k * fan_in + l] for k in range(K)] for l in range(fan_in)])   # (n_tok, K_j)
        start = layout.slice(slot).start
        for i, zi in enumerate(Z):
            for k, z in enumerate(zi):
                out[i][start + k] = out[i][start + k] + f(z)
    return out


def _backprop(layer, H, layout: TokenLayout):
    """Lemma 5, (3.20): s(N) += g 1 r'(N-1); s(j) += r'(j-1) (.) (V_{j+1}^T s(j+1)), each token its own w."""
    shape = layout.shape
    (j,) = layer.structure["layers"]
    out = [row[:] for row in H]
    rp, s = layout.slice(layout.rp(j - 1)), layout.slice(layout.s(j))
    one, g = layout.index("one"), layout.slice("g")
    for i, row in enumerate(H):
        if j == shape.N:
            score = [x * row[one] for x in row[g]]
        else:
            K1, K = shape.width(j + 1), shape.fan_in(j + 1)
            vs = shape.layer_slice(j + 1)
            V = row[layout.slice("w")][vs.start:vs.stop]
            s1 = row[layout.slice(layout.s(j + 1))]
            score = [sum((V[l * K + k] * s1[l] for l in range(1, K1)), V[k] * s1[0]) for k in range(K)]
        for k, (sc, r) in enumerate(zip(score, row[rp])):
            out[i][s.start + k] = row[s.start + k] + sc * r
    return out


def _step(H, layout: TokenLayout, scale: arb):
    """(C.16): w += -(scale / n_tok) 1_i sum_t s_t(j) (x) p_t(j-1); one shared update when 1_i = 1 exactly."""
    shape = layout.shape
    G: list[arb] = []
    for j in range(1, shape.N + 1):
        S = [row[layout.slice(layout.s(j))] for row in H]
        P = [row[layout.slice(layout.p(j - 1))] for row in H]
        G += [x for r in _matmul([list(c) for c in zip(*S)], P) for x in r]          # (K_j, in_j), row-major
    coef = -scale / len(H)
    w, one = layout.slice("w"), layout.index("one")
    out = [row[:] for row in H]
    if _ones(H, one):
        upd = [coef * x for x in G]
        w0 = H[0][w]
        new0 = [a + b for a, b in zip(w0, upd)]
        for i, row in enumerate(H):
            same = all(a is b for a, b in zip(row[w], w0))
            out[i][w] = new0 if same else [a + b for a, b in zip(row[w], upd)]
    else:
        for i, row in enumerate(H):
            c = coef * row[one]
            out[i][w] = [a + c * b for a, b in zip(row[w], G)]
    return out


def mlp_plan(layer: MLP):
    """W_1 rows [(r, [(c, ball)])] and W_2 rows [(r, [(c, ball)])] at the current precision."""
    rows, w2 = mlp_terms(layer)
    out_rows: dict = {}
    for (r, c), v in w2:
        out_rows.setdefault(r, []).append((c, to_arb(v)))
    return ([(r, [(c, to_arb(v)) for c, v in t]) for r, t in rows.items()], sorted(out_rows.items()))


def _mlp(H, plan):
    """Definition 8 on balls: h_i += W_2 relu(W_1 h_i).  A unit (or output) whose inputs are the same ball
    objects in every token is evaluated once, so w and the constant slot stay shared across tokens."""
    rows, w2 = plan
    memo: dict = {}
    out = []
    for h in H:
        hidden = {}
        for r, t in rows:
            key = ("h", r) + tuple(id(h[c]) for c, _ in t)
            if key not in memo:
                memo[key] = relu(sum((v * h[c] for c, v in t[1:]), t[0][1] * h[t[0][0]]))
            hidden[r] = memo[key]
        o = h[:]
        for r, t in w2:
            key = ("o", r, id(h[r])) + tuple(id(hidden.get(c)) for c, _ in t)
            if key not in memo:
                memo[key] = sum((v * hidden[c] for c, v in t if c in hidden), h[r])
            o[r] = memo[key]
        out.append(o)
    return out


def _heads(layer, H):
    """Any attention/EWML layer head by head on balls (the fallback; Definitions 6-7)."""
    n_tok = len(H)
    comp = compile_heads(layer)
    out = [row[:] for row in H]
    keys = n_tok - 1 if isinstance(layer, LinearAttention) and layer.keys == "context" else n_tok
    scale = to_arb(layer.scale) if isinstance(layer, LinearAttention) else arb(1) / n_tok
    for sterms, vterms in zip(comp.score, comp.value):
        st = [(qc, kc, to_arb(v)) for qc, kc, v in sterms]
        vt = [(r, c, to_arb(v)) for r, c, v in vterms]
        for i in range(n_tok):
            for s in ((i,) if isinstance(layer, EWML) else range(keys)):
                score = sum((v * H[i][qc] * H[s][kc] for qc, kc, v in st), arb(0))
                if isinstance(layer, ReluAttention):
                    score = relu(score) * scale
                elif isinstance(layer, LinearAttention):
                    score = score * scale
                for r, c, v in vt:
                    out[i][r] = out[i][r] + score * v * H[s][c]
    return out


def apply_arb(layer, H, layout: TokenLayout, prec: int):
    """One layer on balls at the current Arb precision ``prec`` (bits; set by the caller)."""
    kind = structured_kind(layer)
    if kind is None:
        return _mlp(H, mlp_plan(layer)) if isinstance(layer, MLP) else _heads(layer, H)
    plan = _plan(layer, layout, prec)
    if kind == SCALAR:
        return _scalar(layer, H, layout, plan) if _ones(H, layout.index("one")) else _heads(layer, H)
    if kind == BACKPROP:
        return _backprop(layer, H, layout)
    if kind == STEP:
        return _step(H, layout, plan)
    return _mlp(H, plan)


def run_arb(layers, H0, layout: TokenLayout, dps: int = 50, record: bool = True):
    """Run layers on exact token rows H0 at ``dps`` digits; returns (final balls, [balls after each layer])."""
    with digits(dps):
        H = arb_rows(H0)
        trace = []
        for layer in layers:
            H = apply_arb(layer, H, layout, ctx.prec)
            if record:
                trace.append(H)
    return H, trace


def midpoints(H) -> np.ndarray:
    """The balls' midpoints as float64."""
    return np.array([[float(x.mid()) for x in row] for row in H], dtype=np.float64)


def max_radius(H) -> float:
    """max radius over the state, rounded up to a float: a rigorous bound on the run's rounding error."""
    r = max((x.rad() for row in H for x in row), key=float, default=arb(0))
    return math.nextafter(float(r), math.inf) if r > 0 else 0.0


def _fraction(x: arb) -> Fraction:
    """The exact value of an exact ball (a midpoint or a radius)."""
    man, exp = (int(v) for v in x.man_exp())
    return Fraction(man) * Fraction(2) ** exp


def _endpoints(x: arb) -> tuple[Fraction, Fraction]:
    m, r = _fraction(x.mid()), _fraction(x.rad())
    return m - r, m + r


def encloses(H, ref) -> bool:
    """True when every ball contains the matching entry of ``ref`` (Fractions, mpf or floats), compared exactly."""
    for row, rrow in zip(H, ref):
        for x, v in zip(row, rrow):
            lo, hi = _endpoints(x)
            if not lo <= to_fraction(v) <= hi:
                return False
    return True


def distance(H, ref) -> float:
    """max |mid - ref| over the state, computed exactly and rounded to float."""
    return float(max((abs(_fraction(x.mid()) - to_fraction(v)) for row, rrow in zip(H, ref)
                      for x, v in zip(row, rrow)), default=Fraction(0)))
