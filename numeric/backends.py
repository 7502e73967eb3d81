"""Backends of the same math: torch tensors (float32/float64, CPU/CUDA), mpmath and SymPy scalars.

Every scalar function here is derived from the SymPy expression of the activation or loss
(``sympy.lambdify``), except numerically stable torch forms of sigmoid/softplus, which tests check against
the lambdified expressions.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Callable, Sequence

import sympy as sp
import torch

from symbolic.activations import T, Activation
from symbolic.losses import Z, ResidualLoss
from symbolic.network import Lemma1Terms, NetworkShape, ObjectArrays, empirical_risk, lemma1_terms


def pick_device(device: str | None = None) -> torch.device:
    """``cuda`` when present (or when asked for), otherwise ``cpu``."""
    if device in (None, "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.startswith("cuda") and not torch.cuda.is_available():
        from symbolic.errors import ConfigError

        raise ConfigError("--device", "cuda was requested but torch sees no CUDA device (use cpu or auto)")
    return torch.device(device)


class TorchArrays:
    """Array namespace over torch tensors; functions are vectorised torch callables."""

    name = "torch"

    @staticmethod
    def concat(arrays: Sequence[torch.Tensor]) -> torch.Tensor:
        return torch.cat(list(arrays), dim=-1)

    @staticmethod
    def apply(fn: Callable, a: torch.Tensor) -> torch.Tensor:
        return fn(a)

    @staticmethod
    def apply2(fn: Callable, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return fn(a, b)


_STABLE = {
    ("sigmoid", 0): torch.sigmoid,
    ("sigmoid", 1): lambda t: torch.sigmoid(t) * torch.sigmoid(-t),
    ("softplus", 0): torch.nn.functional.softplus,
    ("softplus", 1): torch.sigmoid,
    ("tanh", 0): torch.tanh,
    ("relu", 0): torch.relu,
    ("relu", 1): lambda t: (t > 0).to(t.dtype),
}


@lru_cache(maxsize=256)
def torch_derivative(act: Activation, order: int) -> Callable[[torch.Tensor], torch.Tensor]:
    """r^{(order)} as a vectorised torch function (cached per activation and order: the SymPy derivative and its
    lambdification cost milliseconds, more than a batched evaluation of the audits' sizes)."""
    if (act.name, order) in _STABLE:
        return _STABLE[(act.name, order)]
    return sp.lambdify(T, sp.nfloat(act.derivative(order), 17), modules="torch")


@lru_cache(maxsize=256)
def torch_u(loss: ResidualLoss) -> Callable:
    """u(t, y)[k] = phi'(t_k - y_k) as a vectorised torch function of (t, y) (cached per loss, as above)."""
    f = sp.lambdify(Z, sp.nfloat(loss.dphi, 17), modules="torch")
    if loss.dphi.is_polynomial(Z) and sp.degree(loss.dphi, Z) <= 1:
        c1, c0 = sp.Poly(loss.dphi, Z).all_coeffs() if sp.degree(loss.dphi, Z) == 1 else (0, loss.dphi)
        c1, c0 = float(c1), float(c0)
        return lambda t, y: c1 * (t - y) + c0
    return lambda t, y: f(t - y)


@lru_cache(maxsize=256)
def torch_phi(loss: ResidualLoss) -> Callable:
    return sp.lambdify(Z, sp.nfloat(loss.phi, 17), modules="torch")


def scalar_derivative(act: Activation, order: int, kind: str) -> Callable:
    """r^{(order)} on scalars: kind 'mpmath' (lambdified) or 'sympy' (exact substitution)."""
    expr = act.derivative(order)
    if kind == "mpmath":
        if act.name == "relu":
            return (lambda v: v if v > 0 else 0 * v) if order == 0 else (lambda v: 1 if v > 0 else 0)
        return sp.lambdify(T, expr, modules="mpmath")
    if kind == "sympy":
        return lambda v: expr.subs(T, v)
    raise ValueError(kind)


def scalar_u(loss: ResidualLoss, kind: str) -> Callable:
    if kind == "mpmath":
        f = sp.lambdify(Z, loss.dphi, modules="mpmath")
        return lambda t, y: f(t - y)
    return lambda t, y: loss.dphi.subs(Z, t - y)


def scalar_phi(loss: ResidualLoss, kind: str) -> Callable:
    if kind == "mpmath":
        return sp.lambdify(Z, loss.phi, modules="mpmath")
    return lambda v: loss.phi.subs(Z, v)


def lemma1_torch(shape: NetworkShape, w: torch.Tensor, X: torch.Tensor, Y: torch.Tensor, act: Activation,
                 loss: ResidualLoss, mask: torch.Tensor | None = None) -> Lemma1Terms:
    """Lemma 1 terms with torch tensors."""
    return lemma1_terms(shape, w, X, Y, torch_derivative(act, 0), torch_derivative(act, 1), torch_u(loss),
                        mask=mask, xp=TorchArrays)


def lemma1_scalar(shape: NetworkShape, w, X, Y, act: Activation, loss: ResidualLoss, kind: str = "mpmath",
                  mask=None) -> Lemma1Terms:
    """Lemma 1 terms on NumPy object arrays of mpmath numbers ('mpmath') or SymPy expressions ('sympy')."""
    xp = ObjectArrays
    return lemma1_terms(shape, xp.asarray(w), xp.asarray(X), xp.asarray(Y), scalar_derivative(act, 0, kind),
                        scalar_derivative(act, 1, kind), scalar_u(loss, kind),
                        mask=None if mask is None else xp.asarray(mask), xp=xp)


def autograd_gradient(shape: NetworkShape, w: torch.Tensor, X: torch.Tensor, Y: torch.Tensor, act: Activation,
                      loss: ResidualLoss) -> torch.Tensor:
    """grad of L_n(w) (2.2) by torch autograd: the ground truth for Lemma 1."""
    w = w.detach().clone().requires_grad_(True)
    risk = empirical_risk(shape, w, X, Y, torch_derivative(act, 0), torch_phi(loss), xp=TorchArrays)
    (g,) = torch.autograd.grad(risk, w)
    return g
