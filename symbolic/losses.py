"""Residual-type losses l(t, y) = sum_k phi(t_k - y_k) of (2.2), and u(t, y) = (dl/dt)^T of Definition 3.

The square loss l(t, y) = ||t - y||^2 has u = 2(t - y).  The interface is open to any smooth phi.
"""
from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from .activations import sup_abs_expr
from .errors import ConfigError

Z = sp.Symbol("z", real=True)


@dataclass(frozen=True)
class ResidualLoss:
    """l(t, y) = sum_k phi(t_k - y_k); u(t, y)[k] = phi'(t_k - y_k)."""

    name: str
    phi: sp.Expr  # in Z

    @property
    def dphi(self) -> sp.Expr:
        """phi'(z): the k-th entry of u(t, y) at z = t_k - y_k."""
        return sp.diff(self.phi, Z)

    def lipschitz_u(self, lo, hi) -> sp.Expr:
        """L_l: Lipschitz constant of u(., y)[k] on residuals z in [lo, hi] (= sup |phi''|)."""
        d2 = sp.diff(self.phi, Z, 2)
        return sp.Abs(d2) if d2.is_number else sup_abs_expr(d2, lo, hi, Z)

    def sup_abs_u(self, lo, hi) -> sp.Expr:
        """sup |u[k]| over residuals z in [lo, hi]."""
        return sup_abs_expr(self.dphi, lo, hi, Z)


LOSSES: dict[str, ResidualLoss] = {
    "square": ResidualLoss("square", Z**2),
    "logcosh": ResidualLoss("logcosh", sp.log(sp.cosh(Z))),
    "pseudo_huber": ResidualLoss("pseudo_huber", sp.sqrt(1 + Z**2) - 1),
}


def get_loss(name: str) -> ResidualLoss:
    """Look up a loss by name; ConfigError naming ``--loss`` otherwise."""
    try:
        return LOSSES[name]
    except KeyError:
        raise ConfigError("--loss", f"must be one of {', '.join(LOSSES)}; got {name!r}") from None
