"""Declared methods: how a claim is tested.  A method only says where instances come from and how many
evaluations (or samples, or steps) it may spend; the engine (``proofs_check.engine``) runs it and judges.

Budgets are counted in work, never in seconds: a search gets ``evaluations`` float64 evaluations (times the audit's
``--budget`` multiplier, never below ``floor``), a grid evaluates every instance it lists, Monte Carlo and training
instances carry their sample and step counts (scaled by the same multiplier through ``ctx.scale``).  A fixed command
therefore gives the same verdicts, witnesses and numbers on any machine and under any load; wall time is only a
safety cap (``AuditContext.time_cap_s``), and a claim stopped by it is ``inconclusive``, never a weaker verified.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from .claims import Tier


@dataclass(frozen=True)
class Search:
    """Adversarial search of ``claim.<producer>(ctx)`` (a ``SearchSpace``): float64 evaluations of observed/bound,
    the best and the smallest violating candidates confirmed at ``ctx.precision`` digits.

    ``portfolio``: the search strategies that share the budget (``proofs_check.search.STRATEGIES``)."""

    evaluations: int = 400
    floor: int = 64
    producer: str = "search_space"
    confirm: int = 3
    batch: int = 16
    portfolio: tuple = ("explore", "local", "cma")
    tier: Tier = Tier.SEARCHED
    kind: str = "search"

    def budget(self, scale: float) -> int:
        return max(self.floor, int(math.ceil(self.evaluations * scale)))

    def describe(self) -> str:
        return f"search ({'/'.join(self.portfolio)})"


@dataclass(frozen=True)
class Grid:
    """Every instance of ``claim.<producer>(ctx)`` is evaluated.

    ``precision``: 'high' (each at ``ctx.precision`` digits), 'float64' (screened in float64, the worst and every
    violating instance confirmed at ``ctx.precision`` digits) or 'exact' (the claim's evaluation is exact:
    rationals / SymPy).  ``tier``: what a pass establishes over the declared domain (``CERTIFIED`` when each
    instance is decided over the whole domain, e.g. a symbolic identity; ``EXHAUSTIVE`` when the grid lists every
    case of a finite domain; ``SEARCHED`` for a sample of the domain; ``STATISTICAL`` for Monte Carlo or training
    evidence).  ``stop_at_first``: the grid is ordered by size and the first violation ends it (the smallest
    witness).  ``may_violate``: False for optimisation / training evidence, which can support but never refute a
    claim (a failing instance makes the verdict ``inconclusive``).  ``confirm_worst`` (float64 grids): False when the
    float64-worst instance is too large for a high-precision run; every flagged instance is still confirmed and the
    verdict says the worst ratio is float64."""

    tier: Tier = Tier.SEARCHED
    precision: str = "high"
    producer: str = "grid"
    stop_at_first: bool = False
    may_violate: bool = True
    label: str = ""
    confirm_worst: bool = True
    kind: str = "grid"

    def __post_init__(self):
        if self.precision not in ("high", "float64", "exact"):
            raise ValueError("Grid precision must be 'high', 'float64' or 'exact'")

    def describe(self) -> str:
        return self.label or {"high": "grid at high precision", "float64": "grid screened in float64",
                              "exact": "exact evaluation"}[self.precision]


def Exact(tier: Tier = Tier.CERTIFIED, producer: str = "grid", label: str = "exact decision (SymPy / rationals)",
          stop_at_first: bool = False) -> Grid:
    """An exact decision: each instance evaluated exactly (SymPy residuals, rational runs)."""
    return Grid(tier=tier, precision="exact", producer=producer, label=label, stop_at_first=stop_at_first)


def Scan(producer: str = "grid", precision: str = "float64", label: str = "scan over sizes, smallest first",
         tier: Tier = Tier.SEARCHED) -> Grid:
    """A scan over sizes, smallest first; the first violation is the smallest witness."""
    return Grid(tier=tier, precision=precision, producer=producer, stop_at_first=True, label=label)


def MonteCarlo(producer: str = "grid", label: str = "Monte Carlo with a confidence interval") -> Grid:
    """Monte Carlo evidence: each instance fixes its seed and sample count; observed carries a CI half-width."""
    return Grid(tier=Tier.STATISTICAL, precision="high", producer=producer, label=label)


def Training(producer: str = "grid", label: str = "training / optimisation evidence") -> Grid:
    """Optimisation evidence: step counts and tolerances are part of the instance; it never refutes a claim."""
    return Grid(tier=Tier.STATISTICAL, precision="high", producer=producer, may_violate=False, label=label)


@dataclass(frozen=True)
class Undecidable:
    """The claim cannot be decided by computation (an existence statement with unspecified constants, an
    asymptotic rate); the verdict is ``inconclusive`` with ``reason``."""

    reason: str
    kind: str = "undecidable"

    def describe(self) -> str:
        return "not decidable by computation"


def methods_of(claim) -> tuple:
    m = claim.methods
    return tuple(m) if isinstance(m, (tuple, list)) else (m,)


@dataclass(frozen=True)
class Given:
    """Fixed instances handed in by the caller (a report's run): a pass holds on these instances only."""

    instances: tuple
    label: str = "the given instances"
    tier: Tier = Tier.INSTANCE
    precision: str = "high"
    stop_at_first: bool = False
    may_violate: bool = True
    kind: str = "given"

    def describe(self) -> str:
        return self.label
