"""Softmax attention (App E, (E.1)) as data, and two Softmax substitutes for Wu et al.'s construction (ours).

Layer type (same conventions as ``symbolic.transformer``): ``SoftmaxAttention`` with heads (Q_m, K_m, V_m),
W^(O) folded into V_m, one softmax per head over the key index s (E.1):

    h_i <- h_i + sum_m sum_s softmax_s(<Q_m h_i, K_m h_s>) V_m h_s.

``sink=True`` (ours, not in (E.1)) adds one extra key with score 0 and value 0 to every head's softmax (an
attention sink / "softmax off by one"): the weights become e^{a_s} / (1 + sum_u e^{a_u}).

Why the naive swap fails (spec 7, item 2).  In Lemmas 2-3 (and C.16) the key reads only w and the constant 1,
which every token carries identically, so a head's score does not depend on the key s.  Softmax over equal
scores is uniform whatever the score, so a head returns its value averaged over tokens and the nonlinearity
r_bar(v^T p) disappears (``naive_softmax_swap``).  Any head whose score varies only with the query is blind in
the same way, because softmax_s(c_i + a_s) = softmax_s(a_s).

(a) The sink-gate substitute (ours).  With a sink, m = n_tok keys sharing the score a get total weight
m e^a / (m e^a + 1) = S(a + log m), S the logistic function.  A head with score beta (z - m_q) - log m and value
Delta_q e_out therefore adds Delta_q S(beta (z - m_q)).  Sums of such gates approximate r and r' (a smoothed
staircase with h^2-corrected node values, error O(h^4): ``GateApproximant``), replacing each Lemma-2/3 head
family.  The gradient step (C.16) uses a heavy sink instead: scores +-beta s_t - B give weights
~ e^{-B}(1 +- beta s_t), and two heads with values -+kappa p_t, kappa = eta e^B / (4 n beta), return
-(eta/2n) sum_t s_t p_t up to O(beta^2 s^2) + O(n e^{-B}) relative error.
EWML and MLP layers are unchanged, so this model has (2N+4)L layers, not Theorem 2's 4L.

(b) The Theorem-2 block (E.3 architecture, FF o Attn o FF then the projection MLP: 4 layers per GD step).
FF1 writes a per-example gradient g_t ~ grad_w l(w, x_t, y_t) into a scratch slot, gated to 0 on the query by
-R(1 - t) (the (C.14) trick); the softmax layer has Q = K = 0, so its weights are exactly uniform -- the failure
of item 2 used as an exact average -- and V = -eta (n+1)/n copies the mean into w; FF2 erases the scratch; the
MLP clips w to the box.  FF1's weights are fitted (``numeric.wu2025.softmax``): Lemma 16 only states that some
FF1 exists.  l = (1/2)||f(w, x) - y||^2, so Theorem 2's L_n = (1/n) sum l equals (2.2)'s square-loss L_n [F8].
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Sequence

import mpmath
import sympy as sp

from ..activations import T, get_activation
from ..network import NetworkShape
from ..sum_of_relu import to_fraction
from ..transformer import MLP, Block, Construction, Head, ReluAttention, SparseMatrix, _HeadLayer
from .approximants import build_approximants
from .assemble import WuConstruction, box_bounds
from .backprop import backprop_layer
from .config import WuConfig
from .layout import TokenLayout
from .loss_layer import loss_layer
from .projection import projection_layer, readout_layer

LOG_DIGITS = 40  # ours: log(n_tok), e^B and kappa are irrational; rounded to this many significant digits


@dataclass(eq=False)
class SoftmaxAttention(_HeadLayer):
    """(E.1): h_i <- h_i + sum_m sum_s softmax_s(<Q_m h_i, K_m h_s>) V_m h_s; ``sink`` adds a 0-score, 0-value key."""

    sink: bool = False
    kind = "softmax_attention"

    def describe(self) -> dict:
        return {**super().describe(), "sink": self.sink}


def rational(x, digits: int = LOG_DIGITS) -> Fraction:
    """A Fraction within a relative 10^-digits of the real number x (a SymPy expression or number)."""
    with mpmath.workdps(digits + 10):
        v = mpmath.mpf(sp.N(sp.sympify(x), digits + 10))
    with mpmath.workdps(digits):
        return to_fraction(+v)


def naive_softmax_swap(layer: ReluAttention) -> SoftmaxAttention:
    """The ReLU layer's heads under softmax, nothing else changed: uniform weights (spec 7, item 2)."""
    return SoftmaxAttention(f"naive softmax swap of: {layer.role}", lambda: list(layer.heads),
                            structure={**layer.structure, "origin": "ours", "naive_swap": True})


# --------------------------------------------------------------------------- (a) sink gates


@dataclass(frozen=True)
class GateApproximant:
    """phi_soft(z) = c0 S(B0) + sum_q Delta_q S(beta (z - m_q)): the function one head family computes (ours).

    Knots tau_q = -R - E h + q h (h = 2R/M, q = 0..M+2E), m_q the segment midpoints, Delta_q = psi(tau_{q+1}) -
    psi(tau_q), c0 = psi(tau_0), beta = 1/h, psi = phi or its h^2-corrected version (``sigmoid_gates``); the E
    extra gates per side push boundary effects below e^{-E}.
    ``log_m`` is the rational log(n_tok) the scores use, so the realised gate is S(beta (z - m_q) + log n_tok -
    log_m) -- exact up to the rounding of log n_tok.
    """

    target: sp.Expr
    R: Fraction
    M: int
    extra: int
    beta: Fraction
    centers: tuple[Fraction, ...]
    deltas: tuple[Fraction, ...]
    c0: Fraction
    B0: Fraction
    n_tok: int
    log_m: Fraction
    corrected: bool = True

    @property
    def heads(self) -> int:
        return len(self.centers) + 1

    @property
    def C(self) -> Fraction:
        """sum of |values|: |c0| + sum_q |Delta_q| (the analogue of Definition 4's C)."""
        return abs(self.c0) + sum((abs(d) for d in self.deltas), Fraction(0))

    def describe(self) -> dict:
        return {"M": self.M, "extra_per_side": self.extra, "heads": self.heads, "beta": float(self.beta),
                "temperature": float(1 / self.beta), "R": float(self.R), "C": float(self.C), "B0": float(self.B0),
                "n_tok": self.n_tok, "corrected": self.corrected}


def sigmoid_gates(target: sp.Expr, R, M: int, n_tok: int, extra: int = 16, B0: int = 60, corrected: bool = True,
                  value_digits: int = 40) -> GateApproximant:
    """The sink-gate approximant of ``target`` (in T) on [-R, R] with M gates across it, beta = 1/h = M/(2R) (ours).

    Uncorrected, the sum is a logistic smoothing of phi plus a midpoint-rule term: phi + (pi^2/6 + 1/24) h^2 phi''
    + O(h^4).  ``corrected`` takes the node values of psi = phi - (pi^2/6 + 1/24) h^2 phi'' instead, which cancels
    the h^2 term (error O(h^4), measured in ``numeric.wu2025.softmax.gate_table``)."""
    R = to_fraction(R)
    if M < 1 or n_tok < 1 or extra < 0:
        raise ValueError("need M >= 1, n_tok >= 1, extra >= 0")
    h = 2 * R / M
    nodes = target
    if corrected:
        hs = sp.Rational(h.numerator, h.denominator)
        nodes = target - (sp.pi**2 / 6 + sp.Rational(1, 24)) * hs**2 * sp.diff(target, T, 2)
    taus = [-R - extra * h + q * h for q in range(M + 2 * extra + 1)]
    vals = _node_values(nodes, taus, value_digits)
    centers = tuple((a + b) / 2 for a, b in zip(taus, taus[1:]))
    deltas = tuple(b - a for a, b in zip(vals, vals[1:]))
    return GateApproximant(target, R, M, extra, 1 / h, centers, deltas, vals[0], Fraction(B0), n_tok,
                           rational(sp.log(n_tok)), corrected)


def _node_values(expr: sp.Expr, taus: Sequence[Fraction], digits: int) -> list[Fraction]:
    """expr(tau) for every knot, rounded to ``digits`` significant digits (mpmath, 20 guard digits)."""
    f = sp.lambdify(T, expr, modules="mpmath")
    out = []
    for t in taus:
        with mpmath.workdps(digits + 20):
            v = f(mpmath.mpf(t.numerator) / t.denominator)
        with mpmath.workdps(digits):
            out.append(to_fraction(+v))
    return out


def gate_heads(layout: TokenLayout, j: int, k: int, gates: GateApproximant, out_index: int) -> list[Head]:
    """Heads adding phi_soft(v_jk^T p(j-1)) at ``out_index``: score beta v_jk^T p_i(j-1) - beta m_q - log_m."""
    D, fan_in, one = layout.D, layout.shape.fan_in(j), layout.index("one")
    heads = []
    Q, K, V = SparseMatrix((D, D)), SparseMatrix((D, D)), SparseMatrix((D, D))
    Q.add(0, one, gates.B0 - gates.log_m)  # the constant c0: weight S(B0) ~ 1
    K.add(0, one, 1)
    V.add(out_index, one, gates.c0)
    heads.append(Head(Q, K, V))
    for mq, dq in zip(gates.centers, gates.deltas):
        Q, K, V = SparseMatrix((D, D)), SparseMatrix((D, D)), SparseMatrix((D, D))
        for l in range(fan_in):
            Q.add(l, layout.index(layout.p(j - 1), l), gates.beta)
            K.add(l, layout.w(j, k, l), 1)
        Q.add(fan_in, one, -gates.beta * mq - gates.log_m)
        K.add(fan_in, one, 1)
        V.add(out_index, one, dq)
        heads.append(Head(Q, K, V))
    return heads


def softmax_forward_layer(layout: TokenLayout, j: int, gates: GateApproximant, role: str | None = None):
    """Sink-gate substitute of Lemma 2's Attn_theta_j: p(j)[k] = phi_soft(v_jk^T p(j-1)) (ours)."""
    width = layout.shape.width(j)

    def build():
        out = []
        for k in range(1, width + 1):
            out += gate_heads(layout, j, k, gates, layout.index(layout.p(j), k - 1))
        return out

    return SoftmaxAttention(role or f"softmax lemma2: p({j}) (ours)", build, sink=True,
                            structure={"kind": "sink_gates", "lemma": "Lemma 2", "layers": [j],
                                       "writes": [layout.p(j)], "gates": gates, "heads": width * gates.heads,
                                       "origin": "ours"})


def softmax_derivative_layer(layout: TokenLayout, gates: GateApproximant):
    """Sink-gate substitute of Lemma 3's Attn_theta_{N+1}: r'(j-1)[k] for every j, k (ours)."""
    shape = layout.shape

    def build():
        out = []
        for j in range(1, shape.N + 1):
            for k in range(1, shape.width(j) + 1):
                out += gate_heads(layout, j, k, gates, layout.index(layout.rp(j - 1), k - 1))
        return out

    return SoftmaxAttention("softmax lemma3: r'(0..N-1) (ours)", build, sink=True,
                            structure={"kind": "sink_gates", "lemma": "Lemma 3",
                                       "writes": [layout.rp(j) for j in range(shape.N)], "gates": gates,
                                       "heads": shape.dim_p * gates.heads, "origin": "ours"})


def gradient_kappa(eta, n: int, beta, B) -> Fraction:
    """kappa = eta e^B / (4 n beta): the value scale of the heavy-sink gradient heads (ours)."""
    return rational(sp.Rational(str(eta)) * sp.exp(sp.Rational(str(B))) / (4 * n * sp.Rational(str(beta))))


def softmax_gradient_step_layer(layout: TokenLayout, eta, n: int, beta, B):
    """Heavy-sink substitute of (C.16): w <- w - (eta/2n) sum_t s_t(j)[k] p_t(j-1) + O(beta^2 + n e^{-B}) (ours)."""
    shape, D, one = layout.shape, layout.D, layout.index("one")
    beta, B = Fraction(str(beta)), Fraction(str(B))
    kappa = gradient_kappa(eta, n, beta, B)

    def build():
        heads = []
        for j in range(1, shape.N + 1):
            for k in range(1, shape.width(j) + 1):
                for sign in (1, -1):
                    Q, K, V = SparseMatrix((D, D)), SparseMatrix((D, D)), SparseMatrix((D, D))
                    Q.add(0, one, sign * beta)
                    K.add(0, layout.index(layout.s(j), k - 1), 1)
                    Q.add(1, one, -B)
                    K.add(1, one, 1)
                    for l in range(shape.fan_in(j)):
                        V.add(layout.w(j, k, l), layout.index(layout.p(j - 1), l), -sign * kappa)
                    heads.append(Head(Q, K, V))
        return heads

    return SoftmaxAttention("softmax gradient step (C.16 substitute, ours)", build, sink=True,
                            structure={"kind": "heavy_sink_gradient", "writes": ["w"], "beta": beta, "B": B,
                                       "kappa": kappa, "eta": Fraction(str(eta)), "n": n,
                                       "heads": 2 * shape.dim_p, "origin": "ours"})


@dataclass(frozen=True)
class SoftmaxSubstitute:
    """Parameters of the sink-gate substitute: M gates for r and r', (beta, B) of the gradient heads."""

    M: int = 80
    grad_beta: Fraction = Fraction(1, 10**4)
    grad_B: Fraction = Fraction(30)
    extra: int = 16


def build_softmax_construction(cfg: WuConfig, sub: SoftmaxSubstitute = SoftmaxSubstitute(),
                               readout: bool = True) -> WuConstruction:
    """The (2N+4)L-layer construction with every ReLU-attention layer replaced by its sink substitute (ours)."""
    layout = TokenLayout.for_shape(cfg.shape)
    approx = build_approximants(cfg)  # u (exact for square loss), R3 and the radii of r, r'
    act = get_activation(cfg.activation)
    n_tok = cfg.n + 1
    g_r = sigmoid_gates(act.expr, approx.R1, sub.M, n_tok, sub.extra)
    g_rp = sigmoid_gates(act.derivative(1), approx.R2, sub.M, n_tok, sub.extra)
    box = box_bounds(cfg.shape, cfg.Bv)
    eta = Fraction(str(cfg.eta))
    N = cfg.N
    blocks = []
    for l in range(cfg.L):
        layers = [softmax_forward_layer(layout, j, g_r) for j in range(1, N + 1)]
        layers.append(softmax_derivative_layer(layout, g_rp))
        layers.append(loss_layer(layout, approx.u, approx.R3))
        layers += [backprop_layer(layout, j) for j in range(N, 0, -1)]
        layers.append(softmax_gradient_step_layer(layout, eta, cfg.n, sub.grad_beta, sub.grad_B))
        layers.append(projection_layer(layout, box))
        blocks.append(Block(f"softmax block {l + 1}", layers))
    if readout:
        layers = [softmax_forward_layer(layout, j, g_r, role=f"softmax readout: p({j}) (ours)")
                  for j in range(1, N + 1)]
        layers.append(readout_layer(layout, approx.R3))
        blocks.append(Block("readout (ours)", layers))
    net = Construction(layout.D, blocks, meta={"theorem": cfg.theorem, "origin": "ours: sink-gate softmax",
                                               "gates_r": g_r, "gates_rp": g_rp, "substitute": sub})
    return WuConstruction(cfg, layout, approx, box, eta, net)


# --------------------------------------------------------------------------- (b) Theorem 2's 4-layer block


def theorem2_layout(shape: NetworkShape) -> TokenLayout:
    """(E.2) tokens [x; y; w; 0; 1; t] with the 0 block holding one per-example gradient (D_N entries, ours)."""
    sizes = [("x", shape.d_in), ("y", shape.d_out), ("w", shape.num_params), ("gw", shape.num_params),
             ("one", 1), ("t", 1)]
    slots, start = [], 0
    for name, size in sizes:
        slots.append((name, start, size))
        start += size
    return TokenLayout(shape, tuple(slots))


@dataclass(frozen=True)
class FittedFF:
    """A one-hidden-layer ReLU network z -> C relu(A z + b) + c on z = [x; y; w] (exact rationals of fitted floats)."""

    A: tuple[tuple[Fraction, ...], ...]
    b: tuple[Fraction, ...]
    C: tuple[tuple[Fraction, ...], ...]
    c: tuple[Fraction, ...]

    @property
    def width(self) -> int:
        return len(self.b)

    def gate_radius(self, bounds: Sequence[Fraction]) -> Fraction:
        """R >= max_m |A_m z + b_m| + 1 over the box |z_l| <= bounds[l]: the query gate -R(1 - t) is then exact."""
        worst = max(sum(abs(a) * bd for a, bd in zip(row, bounds)) + abs(bm) for row, bm in zip(self.A, self.b))
        return Fraction(math.ceil(worst)) + 1


def theorem2_ff1(layout: TokenLayout, ff: FittedFF, R: Fraction) -> MLP:
    """FF1: gw <- 1{t = 1} (C relu(A [x; y; w] + b) + c); every hidden pre-activation is shifted by -R (1 - t)."""
    shape = layout.shape
    inputs = [layout.index("x", k) for k in range(shape.d_in)] + [layout.index("y", k) for k in range(shape.d_out)]
    inputs += [layout.index("w", q) for q in range(shape.num_params)]
    one, t = layout.index("one"), layout.index("t")
    H = ff.width + 1
    W1, W2 = SparseMatrix((H, layout.D)), SparseMatrix((layout.D, H))
    for m, (row, bm) in enumerate(zip(ff.A, ff.b)):
        for col, a in zip(inputs, row):
            W1.add(m, col, a)
        W1.add(m, one, bm - R)
        W1.add(m, t, R)
        for q in range(shape.num_params):
            W2.add(layout.index("gw", q), m, ff.C[q][m])
    W1.add(ff.width, one, 1 - R)  # the output bias c, switched on only for t = 1 (needs R >= 1)
    W1.add(ff.width, t, R)
    for q in range(shape.num_params):
        W2.add(layout.index("gw", q), ff.width, ff.c[q])
    return MLP("theorem2 FF1: per-example gradient (fitted, gated by t)", W1, W2,
               structure={"kind": "fitted_gradient_ff", "writes": ["gw"], "R": R, "width": ff.width,
                          "origin": "ours (fitted)"})


def theorem2_attention(layout: TokenLayout, eta, n: int) -> SoftmaxAttention:
    """(E.1) with Q = K = 0: uniform weights 1/(n+1), V = -eta (n+1)/n from gw to w, so w <- w - (eta/n) sum_t g_t."""
    D, scale = layout.D, Fraction(str(eta)) * (n + 1) / n

    def build():
        V = SparseMatrix((D, D))
        for q in range(layout.shape.num_params):
            V.add(layout.index("w", q), layout.index("gw", q), -scale)
        return [Head(SparseMatrix((D, D)), SparseMatrix((D, D)), V)]

    return SoftmaxAttention("theorem2 Attn: uniform average of the per-example gradients", build, sink=False,
                            structure={"kind": "uniform_average", "writes": ["w"], "n": n, "origin": "ours"})


def theorem2_erase(layout: TokenLayout) -> MLP:
    """FF2: gw <- 0 exactly (-relu(z) + relu(-z) = -z)."""
    Dn = layout.shape.num_params
    W1, W2 = SparseMatrix((2 * Dn, layout.D)), SparseMatrix((layout.D, 2 * Dn))
    for q in range(Dn):
        idx = layout.index("gw", q)
        W1.add(2 * q, idx, 1)
        W2.add(idx, 2 * q, -1)
        W1.add(2 * q + 1, idx, -1)
        W2.add(idx, 2 * q + 1, 1)
    return MLP("theorem2 FF2: erase the gradient slot", W1, W2, structure={"kind": "erase", "writes": ["gw"]})


def theorem2_projection(layout: TokenLayout, box: Sequence[Fraction]) -> MLP:
    """Proj_W = MLP (Theorem 2's assumption), realised exactly for the box: clip(w) - w = -relu(w-b) + relu(-w-b)."""
    Dn, one = layout.shape.num_params, layout.index("one")
    W1, W2 = SparseMatrix((2 * Dn, layout.D)), SparseMatrix((layout.D, 2 * Dn))
    for q, b in enumerate(box):
        wq = layout.index("w", q)
        W1.add(2 * q, wq, 1)
        W1.add(2 * q, one, -b)
        W2.add(wq, 2 * q, -1)
        W1.add(2 * q + 1, wq, -1)
        W1.add(2 * q + 1, one, -b)
        W2.add(wq, 2 * q + 1, 1)
    return MLP("theorem2 projection MLP (box)", W1, W2, structure={"kind": "projection", "writes": ["w"]})


@dataclass
class Theorem2Model:
    """L identical 4-layer blocks FF1, Attn, FF2, Proj (E.3): layer 4l outputs [x; y; w^(l); 0; 1; t]."""

    config: WuConfig
    layout: TokenLayout
    ff: FittedFF
    R: Fraction
    box: list[Fraction]
    net: Construction = field(repr=False)


def build_theorem2_model(cfg: WuConfig, ff: FittedFF, box=None) -> Theorem2Model:
    """4L layers; FF1 from fitted weights ``ff`` (the only non-constructive part, as in Lemma 16)."""
    layout = theorem2_layout(cfg.shape)
    box = list(box) if box is not None else box_bounds(cfg.shape, cfg.Bv)
    bounds = [Fraction(str(cfg.Bx))] * cfg.d_in + [Fraction(str(cfg.By))] * cfg.d_out + list(box)
    R = ff.gate_radius(bounds)
    eta = Fraction(str(cfg.eta))
    blocks = [Block(f"theorem2 block {l + 1}", [theorem2_ff1(layout, ff, R), theorem2_attention(layout, eta, cfg.n),
                                                 theorem2_erase(layout), theorem2_projection(layout, box)])
              for l in range(cfg.L)]
    net = Construction(layout.D, blocks, meta={"theorem": "theorem2", "origin": "ours: fitted FF1"})
    return Theorem2Model(cfg, layout, ff, R, box, net)
