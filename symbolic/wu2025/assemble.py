"""The whole construction of Theorem 1 (and Theorem 4): L blocks of 2N+4 layers, plus our readout.

One block in application order (Def 9 composes right to left, (3.21) left to right: F16):
Attn_1..Attn_N (Lemma 2), Attn_{N+1} (Lemma 3), MLP_{N+2} (Lemma 4), EWML_{N+3}..EWML_{2N+2} (Lemma 5),
Attn_{2N+3} (gradient step, C.16), MLP_{2N+4} (projection + erase, ours).  The readout (ours, F12) is N more
Lemma-2 layers and a gated copy into the query's y slot.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

from ..network import NetworkShape
from ..transformer import Block, Construction
from .approximants import Approximants, build_approximants
from .backprop import backprop_layer
from .config import WuConfig
from .derivative import derivative_layer
from .forward import forward_layer
from .gradient_step import gradient_step_layer
from .layout import TokenLayout
from .loss_layer import loss_layer
from .projection import projection_layer, readout_layer


def box_bounds(shape: NetworkShape, Bv) -> list[Fraction]:
    """W_box (ours): |w_q| <= b_q with b_q a rational <= B_v / sqrt(in_j), so W_box is inside (3.4) for every j."""
    out = []
    for j in range(1, shape.N + 1):
        b = Fraction(math.floor(float(Bv) / math.sqrt(shape.fan_in(j)) * 10**9), 10**9)
        out += [b] * (shape.width(j) * shape.fan_in(j))
    return out


def block_layers(layout: TokenLayout, approx: Approximants, box, eta: Fraction, n: int, name: str) -> Block:
    """The 2N+4 layers of one ICGD block."""
    N = layout.shape.N
    layers = [forward_layer(layout, j, approx.r) for j in range(1, N + 1)]
    layers.append(derivative_layer(layout, approx.rp))
    layers.append(loss_layer(layout, approx.u, approx.R3))
    layers += [backprop_layer(layout, j) for j in range(N, 0, -1)]
    layers.append(gradient_step_layer(layout, eta, n))
    layers.append(projection_layer(layout, box))
    assert len(layers) == 2 * N + 4
    return Block(name, layers)


def readout_block(layout: TokenLayout, approx: Approximants) -> Block:
    N = layout.shape.N
    layers = [forward_layer(layout, j, approx.r, role=f"readout: p({j}) (ours)") for j in range(1, N + 1)]
    layers.append(readout_layer(layout, approx.R3))
    return Block("readout (ours)", layers)


@dataclass
class WuConstruction:
    config: WuConfig
    layout: TokenLayout
    approx: Approximants
    box: list[Fraction]
    eta: Fraction
    net: Construction

    @property
    def blocks(self) -> list[Block]:
        return self.net.blocks


def build_construction(cfg: WuConfig, approx: Approximants | None = None, box=None,
                       readout: bool = True) -> WuConstruction:
    """(2N+4)L layers simulating L projected GD steps with step size eta on n in-context examples."""
    layout = TokenLayout.for_shape(cfg.shape)
    approx = approx or build_approximants(cfg)
    box = list(box) if box is not None else box_bounds(cfg.shape, cfg.Bv)
    eta = Fraction(str(cfg.eta))
    blocks = [block_layers(layout, approx, box, eta, cfg.n, f"block {l + 1}") for l in range(cfg.L)]
    if readout:
        blocks.append(readout_block(layout, approx))
    net = Construction(layout.D, blocks, meta={"theorem": cfg.theorem, "origin_readout": "ours"})
    return WuConstruction(cfg, layout, approx, box, eta, net)


__all__ = ["WuConstruction", "build_construction", "box_bounds"]
