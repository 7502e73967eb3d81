"""The sum-of-ReLU approximants the construction uses (Definition 4), and where they are built.

The paper's Lemma 7 is existential (C(k) is never given), so the construction uses explicit interpolants
(``symbolic.sum_of_relu``): r_bar of r and r_bar' of r' on [-R, R], and the loss units g of u(t, y):

* radius ``paper``: R1 = max{B_v B_r, 1} for r, R2 = max{B_v B_r', 1} for r', R3 = max{B_v B_r, B_y, 1} for the
  gate -- the proof's own choices (``symbolic.wu2025.constants``);
* radius ``safe`` (ours, the default): one radius that contains every pre-activation v_jk^T p(j-1) that can occur
  (``constants.safe_radius``), and R3 >= every entry of [p(N); y; 1];
* a number: that radius for r and r'.

Square loss: u = 2(t - y) exactly with two units (eps_l = 0).  Other residual losses: the interpolant of phi'
on residuals z in [-2 R3, 2 R3], lifted to (t, y) with ||a||_1 <= 1.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import sympy as sp

from ..activations import T, get_activation
from ..losses import Z, get_loss
from ..sum_of_relu import (SumOfRelu, interpolant, interpolation_prediction, residual_units, square_loss_u_units,
                           to_fraction)
from .config import WuConfig


@dataclass(frozen=True)
class Approximants:
    r: SumOfRelu
    rp: SumOfRelu
    u: SumOfRelu
    R1: Fraction  # approximation radius of r
    R2: Fraction  # approximation radius of r'
    R3: Fraction  # gate radius of the loss layer
    mode: str
    knots: int

    def describe(self) -> dict:
        return {"mode": self.mode, "knots": self.knots, "R1": float(self.R1), "R2": float(self.R2),
                "R3": float(self.R3), "H_r": self.r.H, "C1": float(self.r.C), "H_rp": self.rp.H,
                "C2": float(self.rp.C), "H_u": self.u.H, "C3": float(self.u.C), "u_max_a_l1": float(self.u.max_a_l1)}


def knots_for_eps(target: sp.Expr, var: sp.Symbol, R: Fraction, eps: float) -> int:
    """Smallest M with the h^2 sup|phi''|/8 prediction <= eps (then certified by the caller)."""
    pred_1 = float(sp.N(interpolation_prediction(target, var, R, 1), 30))  # prediction with M = 1
    return max(2, math.ceil(math.sqrt(pred_1 / eps)))


def construction_knots(activation: str, R1, R2, eps: float) -> int:
    """The knot count for --eps: the smallest M whose prediction meets eps for r on [-R1, R1] and r' on [-R2, R2]."""
    act = get_activation(activation)
    return max(knots_for_eps(act.expr, T, to_fraction(R1), eps),
               knots_for_eps(act.derivative(1), T, to_fraction(R2), eps) if act.is_Ck(2) else 2)


def radii(cfg: WuConfig) -> tuple[Fraction, Fraction, Fraction]:
    """(R for r, R for r', R3 of the gate) for the configured radius mode (``constants``: paper or ours)."""
    from . import constants as C

    R3 = C.round_up(C.R3(cfg), C.PAPER_GRID) if cfg.radius == "paper" else C.R3_prime(cfg)
    return tuple(to_fraction(sp.Rational(v)) for v in (C.approximation_radius(cfg, "r"),
                                                        C.approximation_radius(cfg, "rp"), R3))


def build_approximants(cfg: WuConfig) -> Approximants:
    """r_bar, r_bar', g for the configuration (knots M, or the M that meets --eps by the prediction)."""
    act, loss = get_activation(cfg.activation), get_loss(cfg.loss)
    R1, R2, R3 = radii(cfg)
    rp_expr = act.derivative(1)
    M = cfg.knots if cfg.knots is not None else construction_knots(cfg.activation, R1, R2, cfg.eps)
    r_bar = interpolant(act.expr, T, R1, M)
    rp_bar = interpolant(rp_expr, T, R2, M)
    if loss.name == "square":
        u = square_loss_u_units()
    else:
        from .constants import residual_radius

        u = residual_units(interpolant(loss.dphi, Z, to_fraction(sp.Rational(residual_radius(cfg))), M))
    return Approximants(r_bar, rp_bar, u, R1, R2, R3, str(cfg.radius), M)
