"""Helpers shared by the three linear-attention audits (vonoswald2023, ahn2023, gatmiry2024).

* numbers: ``Q`` (exact rational of an instance entry), ``mp`` (the same at the working mpmath precision),
  ``exact_eval`` (an exact nonnegative residual as observed against the bound 0), ``precision_bound`` (the
  tolerance of the high-precision identity claims), ``mpf_of`` (a SymPy number at ``dps`` digits);
* sizes and labels: ``scaled`` (a sample or step count times the audit's budget multiplier, never below a floor),
  ``label`` (a short text of an instance's sizes);
* the instance's covariance: ``sigma_of`` (Sigma = U diag(lambda) U^T exactly, U an exact Cayley rotation) and the
  hypotheses ``SIGMA_HYP``;
* ``PGDIdentity``: the token-level identity "the (8)-stack computes L steps of preconditioned GD" (Ahn et al.'s
  Lemma 1, Gatmiry et al.'s looped forward pass): float64 search over random data, 50-digit confirmation;
* ``memo``: results of expensive deterministic computations (a training run, a Monte Carlo sample) keyed by their
  parameters, so two claims that judge the same run (a trained layer and its roll-out) train it once; the key is
  the complete parameter set, so a memoised value depends on the instance only;
* ``criteria``: several pass criteria folded into one observed value in the units of the primary one.
"""
from __future__ import annotations

import json
from collections import OrderedDict
from fractions import Fraction
from typing import Callable

import mpmath
import numpy as np
import sympy as sp

from numeric.executors.dense import run_dense
from numeric.executors.highprec import run_highprec
from symbolic import ahn2023 as ahn

from ..claims import Claim, Evaluation, Hypothesis
from ..search import Candidate, SearchSpace

# ----------------------------------------------------------------------------------------------------------
# numbers


def Q(v) -> sp.Rational:
    """The exact rational of an instance entry (int, decimal or fraction string, float)."""
    return sp.Rational(str(v))


def mp(v):
    """An instance entry at the working mpmath precision (fraction strings exactly)."""
    if isinstance(v, str):
        f = Fraction(v)
        return mpmath.mpf(f.numerator) / f.denominator
    return mpmath.mpf(v)


def mpf_of(x, dps: int):
    """A SymPy number (Rational, CRootOf, algebraic expression) as an mpf at ``dps`` digits."""
    return mpmath.mpf(sp.N(x, dps + 10))


def precision_bound(dps: int | None):
    """The identity claims' tolerance: 1e-(dps-5) relative at dps digits (1e-45 at 50), 1e-10 in float64."""
    return 1e-10 if dps is None else mpmath.mpf(10) ** (5 - dps)


def exact_residual(entries) -> sp.Expr:
    """The size of exact residuals (SymPy expressions, possibly rational functions of symbols): max |entry| when every
    entry is a number, else the number of entries that are not identically 0 (so a violation is >= 1)."""
    vals = [sp.cancel(sp.sympify(v)) for v in entries]
    if all(v.is_number for v in vals):
        return max((abs(v) for v in vals), default=sp.Integer(0))
    return sp.Integer(sum(1 for v in vals if v != 0))


def exact_eval(value, dps: int | None) -> tuple:
    """An exact nonnegative residual as (observed, bound = 0): float in float64, mpf at ``dps`` digits."""
    v = sp.sympify(value)
    return (float(v), 0.0) if dps is None else (mpf_of(v, dps), mpmath.mpf(0))


def scaled(ctx, default: int, floor: int) -> int:
    """``default`` times the audit's budget multiplier (``ctx.scale``), never below ``floor``."""
    scale = 1.0 if ctx is None else ctx.scale
    return max(int(floor), int(round(default * scale)))


def label(inst: dict) -> str:
    keys = [k for k in ("N", "nx", "ny", "K", "n", "d", "L", "c", "s", "gamma") if k in inst]
    return ", ".join(f"{k}={inst[k]}" for k in keys) or "instance"


def criteria(primary: float, bound: float, others: list[tuple[float, float]]) -> float:
    """Observed value of a claim with several pass criteria: the primary quantity, or, when another criterion
    (value, threshold) is the binding one, ``bound`` times that criterion's fraction of its threshold (so the
    observed/bound ratio is always the worst criterion's fraction of its threshold)."""
    worst = max([primary / bound] + [v / t for v, t in others])
    return bound * worst if worst > primary / bound else primary


# ----------------------------------------------------------------------------------------------------------
# memoised deterministic computations

_MEMO: "OrderedDict[str, object]" = OrderedDict()
_MEMO_SIZE = 32


def memo(kind: str, params: dict, compute: Callable[[], object]):
    """``compute()`` once per (kind, params); params must determine the result completely (seeds included)."""
    key = kind + json.dumps(params, sort_keys=True, default=str)
    if key in _MEMO:
        _MEMO.move_to_end(key)
        return _MEMO[key]
    value = compute()
    _MEMO[key] = value
    while len(_MEMO) > _MEMO_SIZE:
        _MEMO.popitem(last=False)
    return value


# ----------------------------------------------------------------------------------------------------------
# Sigma = U diag(lambda) U^T (Ahn et al., Gatmiry et al.)

SKEW = ("1/2", "1/3", "-1/4")     # the spec's rational rotation
LAMBDAS = ("1", "1/2", "1/10")    # Sigma's eigenvalues in Ahn et al.'s Theorem 1 instance


def sigma_of(inst) -> tuple[sp.Matrix, sp.Matrix, list]:
    """(Sigma, U, lambdas) of an instance {'skew': [...], 'lambdas': [...]}: Sigma = U diag(lambdas) U^T exactly."""
    lam = [Q(v) for v in inst["lambdas"]]
    U = ahn.cayley_rotation([Q(v) for v in inst["skew"]]) if inst.get("skew") else sp.eye(len(lam))
    return U * sp.diag(*lam) * U.T, U, lam


def _pos_lambdas(inst):
    lam = [Q(v) for v in inst["lambdas"]]
    d = len(lam)
    ok = all(v > 0 for v in lam) and len(inst.get("skew") or []) in (0, d * (d - 1) // 2)
    return ok, f"lambdas = {[str(v) for v in lam]}"


def _n_ok(inst):
    n = inst["n"]
    ok = n == "symbolic" or (isinstance(n, int) and n >= 1)
    return ok, f"n = {n}"


SIGMA_HYP = (Hypothesis("Sigma", "Sigma = U diag(lambda) U^T, lambda_i > 0, U orthogonal", _pos_lambdas),
             Hypothesis("n", "n >= 1 in-context examples (or symbolic n > 0)", _n_ok))


def n_of(inst):
    """The instance's n: an int, or the positive symbol n for 'symbolic'."""
    return sp.Symbol("n", positive=True) if inst["n"] == "symbolic" else sp.Integer(inst["n"])


def rational_sigma_grid(seed: int, count: int, d: int = 3, ns=(1, 2, 5, 10, 20, 100)) -> list[dict]:
    """``count`` random exactly rational (rotation, eigenvalues, n) instances."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(count):
        out.append({"skew": [f"{int(rng.integers(-4, 5))}/{int(rng.integers(1, 6))}" for _ in range(d * (d - 1) // 2)],
                    "lambdas": [f"{int(rng.integers(1, 20))}/{int(rng.integers(1, 10))}" for _ in range(d)],
                    "n": int(rng.choice(list(ns)))})
    return out


# ----------------------------------------------------------------------------------------------------------
# The (8)-stack = L steps of preconditioned GD (token level)

def _pgd_data(inst):
    As = inst["A"]
    shapes = (np.shape(inst["X"]) == (inst["n"], inst["d"]) and len(inst["y"]) == inst["n"]
              and len(inst["xq"]) == inst["d"] and len(As) >= 1 and all(np.shape(A) == (inst["d"], inst["d"]) for A in As)
              and len(inst.get("u") or []) in (0, inst["d"]))
    finite = all(np.all(np.isfinite(np.asarray(inst[k], float))) for k in ("X", "y", "xq", "A"))
    return shapes and finite, f"n={inst['n']}, d={inst['d']}, L={len(As)}"


PGD_DATA_HYP = Hypothesis("data", "finite data of the stated shapes", _pgd_data)


class PGDIdentity(Claim):
    """Observed: max |the layers' output tokens - the preconditioned-GD tokens| relative to max(1, max |entry|);
    bound: 1e-(dps-5) (1e-45 at 50 digits), 1e-10 in float64.  Subclasses give ``layers`` (weights as exact
    Fractions of the instance's floats), ``expected`` (the GD side, in the scalar type ``num``) and ``make``."""

    hypotheses = (PGD_DATA_HYP,)
    search_sizes = ((1, 12), (1, 6), (1, 4))        # n, d, L ranges of the search (upper bounds exclusive)

    def layers(self, inst) -> list:
        raise NotImplementedError

    def expected(self, inst, X, y, xq, num) -> list:
        raise NotImplementedError

    def make(self, rng, n, d, L) -> dict:
        raise NotImplementedError

    def size(self, instance):
        return instance["n"] * instance["d"] * len(instance["A"])

    def evaluate(self, instance, dps=None):
        layers = self.layers(instance)
        if dps is None:
            H = np.asarray(ahn.prompt_tokens(instance["X"], instance["y"], instance["xq"]), float)
            out, _ = run_dense(layers, H)
            exp = np.asarray(self.expected(instance, instance["X"], instance["y"], instance["xq"], float), float)
            return Evaluation(float(np.max(np.abs(out - exp)) / max(1.0, np.max(np.abs(exp)))), precision_bound(None))
        with mpmath.workdps(dps):
            X, y = [[mpmath.mpf(v) for v in r] for r in instance["X"]], [mpmath.mpf(v) for v in instance["y"]]
            xq = [mpmath.mpf(v) for v in instance["xq"]]
            out, _ = run_highprec(layers, ahn.prompt_tokens(X, y, xq), kind="mpmath")
            exp = self.expected(instance, X, y, xq, mpmath.mpf)
            err = max(abs(a - b) for ra, rb in zip(out, exp) for a, b in zip(ra, rb))
            scale = max(mpmath.mpf(1), max(abs(v) for r in exp for v in r))
            return Evaluation(err / scale, precision_bound(dps), {"max_abs_error": mpmath.nstr(err, 5)})

    def search_space(self, ctx):
        (n0, n1), (d0, d1), (l0, l1) = self.search_sizes

        def sample(rng):
            inst = self.make(rng, int(rng.integers(n0, n1)), int(rng.integers(d0, d1)), int(rng.integers(l0, l1)))
            return Candidate({"inst": inst}, np.zeros(0))

        # the referee's first tries: the largest sizes (the most terms and steps, where a wrong coefficient or a
        # rounding error compounds), then the smallest, each drawn twice from a fixed generator
        seed_rng = np.random.default_rng(7)
        seeds = [Candidate({"inst": self.make(seed_rng, n, d, L)}, np.zeros(0))
                 for n, d, L in ((n1 - 1, d1 - 1, l1 - 1), (n0, d0, l0)) for _ in range(2)]
        return SearchSpace(sample, lambda c: c.discrete["inst"], seeds=seeds, description=(
            f"random data, n < {n1}, d < {d1}, L < {l1}: x, y, x_q ~ N(0, 1), A_l ~ 0.4 N(0, 1); first the largest "
            "and the smallest sizes"))

    def grid(self, ctx):
        rng = np.random.default_rng(0 if ctx is None else ctx.seed)
        return [self.make(rng, 7, 4, L) for L in (1, 2, 3)]
