"""Per-layer and per-step errors of a full run, each split into its two sources:

* floating-point error: torch (float64/float32) vs the high-precision run of the same weights;
* construction error: the high-precision run vs exact mathematics (true r, r', u; exact projected GD).

Row quantities follow what each layer writes: p(j) (Lemma 2), r'(0..N-1) (Lemma 3), g (Lemma 4), s(j)
(Lemma 5), the gradient step (C.16, reported as ||grad_bar - grad||_2), the projection (w vs the exact projected
step from the same w), and for our readout the query's p(j) and y_{n+1}.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from fractions import Fraction

import mpmath
import numpy as np

from symbolic.wu2025.assemble import WuConstruction

from .prompt import Prompt
from .reference import exact_terms, project_box, projected_gd
from .run import Trace, block_boundaries


@dataclass
class LayerRow:
    block: int
    index: int            # 1-based position inside the block
    layer: int            # 0-based position in the whole network
    kind: str
    role: str
    heads: int
    quantity: str
    observed_float64: float | None = None     # |torch - exact|
    observed_highprec: float | None = None    # |high precision - exact| = construction error
    float_error: float | None = None          # |torch - high precision|
    bound: float | None = None
    bound_id: str | None = None
    norm_B1: float | None = None
    extra: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class StepRow:
    step: int
    w_construction: list
    w_gd: list
    error: float
    float_error: float
    bound: float | None = None

    def to_dict(self) -> dict:
        return asdict(self)


def _mp_array(rows) -> np.ndarray:
    return np.array(rows, dtype=object)


def _diff(a, b, rows=None) -> float:
    a, b = np.asarray(a, dtype=object), np.asarray(b, dtype=object)
    d = np.abs(a - b)
    if rows is not None:
        d = d[rows]
    return float(max(d.reshape(-1), default=0))


def layer_rows(wc: WuConstruction, prompt: Prompt, tf: Trace, th: Trace, dps: int = 50) -> list[LayerRow]:
    """One row per layer of every block and of the readout."""
    cfg, lay, N = wc.config, wc.layout, wc.config.N
    rows: list[LayerRow] = []
    n = prompt.n
    ctx_rows = slice(0, n)
    bounds = block_boundaries(wc)
    with mpmath.workdps(dps):
        eta = mpmath.mpf(wc.eta.numerator) / wc.eta.denominator
        for b, (first, last) in enumerate(bounds):
            block = wc.blocks[b]
            w_in = th.slot(first - 1, "w", "mp")[0]
            ex = exact_terms(cfg, list(w_in), prompt.x.tolist(), prompt.y.tolist(), "mpmath")
            for idx, layer in enumerate(block.layers):
                i = first + idx
                st = layer.structure
                kind = st.get("kind", layer.kind)
                row = LayerRow(b + 1, idx + 1, i, layer.kind, layer.role, layer.size, "")
                pn = layer.param_norm()
                row.norm_B1 = float(pn["B1"])

                def compare(slot_names, exact_list, rows_sel=None):
                    hp = [th.slot(i, s, "mp") for s in slot_names]
                    fl = [tf.slot(i, s) for s in slot_names]
                    row.observed_highprec = max(_diff(h, e, rows_sel) for h, e in zip(hp, exact_list))
                    row.observed_float64 = max(_diff(f.astype(object), e, rows_sel) for f, e in zip(fl, exact_list))
                    row.float_error = max(_diff(f.astype(object), h, rows_sel) for f, h in zip(fl, hp))

                if kind == "scalar_sum_of_relu" and st["lemma"] == "Lemma 2" and not layer.role.startswith("readout"):
                    j = st["layers"][0]
                    row.quantity = f"max |p_bar({j}) - p({j})| (all n+1 tokens)"
                    compare([lay.p(j)], [ex.p[j]])
                elif kind == "scalar_sum_of_relu" and st["lemma"] == "Lemma 3":
                    row.quantity = "max |r_bar'(j-1) - r'(j-1)| over j (all tokens)"
                    compare([lay.rp(j) for j in range(N)], list(ex.rp))
                elif kind == "gated_loss_mlp":
                    row.quantity = "max |g - u(p(N), y)| (context tokens; query gated to 0)"
                    compare(["g"], [ex.u], ctx_rows)
                    row.extra["query_g"] = _diff(th.slot(i, "g", "mp")[n:], np.zeros((1, cfg.d_out), dtype=object))
                elif kind == "backprop_product":
                    j = st["layers"][0]
                    row.quantity = f"max |s_bar({j}) - s({j})| (context tokens)"
                    compare([lay.s(j)], [ex.s[j]], ctx_rows)
                    row.extra["query_s"] = _diff(th.slot(i, lay.s(j), "mp")[n:],
                                                 np.zeros((1, cfg.shape.width(j)), dtype=object))
                elif kind == "gradient_step":
                    row.quantity = "||grad_bar - grad L_n(w)||_2"
                    gh = (np.array(w_in, dtype=object) - th.slot(i, "w", "mp")[0]) / eta
                    gf = (np.array([float(v) for v in w_in]) - tf.slot(i, "w")[0]) / float(eta)
                    ge = np.array(ex.grad, dtype=object)
                    row.observed_highprec = float(mpmath.sqrt(sum((gh - ge) ** 2)))
                    row.observed_float64 = float(np.linalg.norm(gf - ge.astype(float)))
                    row.float_error = float(np.linalg.norm(gf - gh.astype(float)))
                elif kind == "projection":
                    row.quantity = "||w_next - Proj(w - eta grad L_n(w))||_2; scratch max"
                    target = project_box([a - eta * g for a, g in zip(w_in, ex.grad)], wc.box)
                    wh, wf = th.slot(i, "w", "mp")[0], tf.slot(i, "w")[0]
                    row.observed_highprec = float(mpmath.sqrt(sum((wh - np.array(target, dtype=object)) ** 2)))
                    row.observed_float64 = float(np.linalg.norm(wf - np.array([float(v) for v in target])))
                    row.float_error = float(np.linalg.norm(wf - wh.astype(float)))
                    H = th.as_float(i)
                    row.extra["scratch_max"] = max(float(np.abs(H[:, lay.slice(s)]).max()) for s in lay.scratch)
                    row.extra["w_spread"] = float(np.abs(H[:, lay.slice("w")] - H[0, lay.slice("w")]).max())
                elif kind == "scalar_sum_of_relu":  # readout forward layers
                    j = st["layers"][0]
                    row.quantity = f"query: |p_bar({j}) - p({j})| at w^(L)"
                    compare([lay.p(j)], [ex.p[j]], slice(n, n + 1))
                elif kind == "readout":
                    row.quantity = "|y_hat_{n+1} - f(w^(L), x_{n+1})|"
                    yh = th.slot(i, "y", "mp")[n:]
                    yf = tf.slot(i, "y")[n:]
                    target = ex.p[N][n:]
                    row.observed_highprec = _diff(yh, target)
                    row.observed_float64 = _diff(yf.astype(object), target)
                    row.float_error = _diff(yf.astype(object), yh)
                rows.append(row)
    return rows


def trajectory_rows(wc: WuConstruction, prompt: Prompt, tf: Trace, th: Trace, dps: int = 50) -> list[StepRow]:
    """w^(l) of the construction vs exact projected GD from w^(0), l = 0..L."""
    cfg = wc.config
    bounds = block_boundaries(wc)
    out = []
    with mpmath.workdps(dps):
        ws = projected_gd(cfg, wc.box, [Fraction(float(v)) for v in prompt.w0], prompt.x.tolist(),
                          prompt.y.tolist(), cfg.L, "mpmath")
        for l in range(cfg.L + 1):
            i = -1 if l == 0 else bounds[l - 1][1]
            wh = th.slot(i, "w", "mp")[0]
            wf = tf.slot(i, "w")[0]
            wg = np.array(ws[l], dtype=object)
            out.append(StepRow(l, [float(v) for v in wh], [float(v) for v in wg],
                               float(mpmath.sqrt(sum((wh - wg) ** 2))), float(np.linalg.norm(wf - wh.astype(float)))))
    return out
