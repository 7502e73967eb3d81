"""Claims as data: id, source, hypotheses (checkable predicates), the stated bound, the observed quantity.

An audit returns a typed ``Outcome`` with the numbers behind it, never a bare bool:

* ``verified``: inside the hypotheses, the search (or a certificate) found nothing; ``details`` says which.
* ``violated``: a counterexample was found, confirmed in high precision, saved and replayable.
* ``inconclusive``: the search could not decide (e.g. only float64 evidence, or an unconverged run).
* ``not_applicable``: the hypotheses fail for the configured setting; the failed hypothesis is named.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from enum import Enum
from typing import Any, Callable

import mpmath


class Outcome(str, Enum):
    VERIFIED = "verified"
    VIOLATED = "violated"
    INCONCLUSIVE = "inconclusive"
    NOT_APPLICABLE = "not_applicable"

    def __str__(self) -> str:
        return self.value


SOURCE_KINDS = ("paper", "ours", "reconstructed", "planted")


@dataclass(frozen=True)
class Source:
    """Where a claim comes from. ``kind``: 'paper' (as stated), 'ours' (a corrected or added claim of this
    project, clearly labelled), 'reconstructed' (not read in the paper's full text), 'planted' (a test claim)."""

    paper: str
    where: str
    kind: str = "paper"
    note: str = ""

    def __post_init__(self):
        if self.kind not in SOURCE_KINDS:
            raise ValueError(f"source kind must be one of {SOURCE_KINDS}")

    def __str__(self) -> str:
        tag = "" if self.kind == "paper" else f" [{self.kind}]"
        return f"{self.paper}: {self.where}{tag}"


@dataclass(frozen=True)
class Hypothesis:
    """A named, checkable predicate on an instance: ``check(instance) -> (holds, detail)``."""

    name: str
    text: str
    check: Callable[[dict], tuple[bool, str]]


@dataclass
class HypothesisCheck:
    name: str
    holds: bool
    detail: str = ""


def _num(x) -> Any:
    """A JSON-friendly number: float when finite and exact enough, else a decimal string."""
    if x is None:
        return None
    if isinstance(x, mpmath.mpf):
        f = float(x)
        return f if math.isfinite(f) and f != 0 or x == 0 else mpmath.nstr(x, 30)
    if isinstance(x, (int, float)):
        return x if not isinstance(x, float) or math.isfinite(x) else str(x)
    try:
        return float(x)
    except (TypeError, ValueError):
        return str(x)


@dataclass
class Evaluation:
    """One instance evaluated: the observed quantity and the claim's bound at that instance."""

    observed: Any
    bound: Any
    details: dict = field(default_factory=dict)

    @property
    def ratio(self) -> float:
        """observed / bound (inf when the bound is 0 and observed > 0, 0 when both are 0)."""
        o, b = float(self.observed), float(self.bound)
        if b == 0:
            return 0.0 if o == 0 else math.inf
        return o / b

    def violates(self) -> bool:
        """True when observed > bound, compared exactly in the numbers' own type (mpmath in high precision)."""
        return self.observed > self.bound


@dataclass
class AuditResult:
    """The verdict on one claim, with the numbers behind it."""

    claim_id: str
    source: str
    statement: str
    outcome: Outcome
    bound: Any = None
    observed: Any = None
    ratio: float | None = None
    method: str = ""
    certified: bool = False
    evaluations: int = 0
    seconds: float = 0.0
    witness: str | None = None
    hypotheses: list[HypothesisCheck] = field(default_factory=list)
    details: dict = field(default_factory=dict)
    summary: str = ""

    def to_dict(self) -> dict:
        d = asdict(self)
        d["outcome"] = str(self.outcome)
        d["id"] = self.claim_id
        d["bound"], d["observed"] = _num(self.bound), _num(self.observed)
        d["ratio"] = None if self.ratio is None else (self.ratio if math.isfinite(self.ratio) else str(self.ratio))
        if self.witness:
            d["counterexample"] = self.witness
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "AuditResult":
        keys = {f for f in cls.__dataclass_fields__}
        kw = {k: v for k, v in d.items() if k in keys}
        kw["outcome"] = Outcome(d["outcome"])
        kw["hypotheses"] = [HypothesisCheck(**h) for h in d.get("hypotheses", [])]
        return cls(**kw)


class Claim:
    """Base class of a claim. Subclasses set the class attributes and implement ``evaluate``.

    * ``id``: stable id, '<paper>.<object>[.<part>]' (e.g. 'wu2025.lemma2.norm').
    * ``source``: a ``Source``.  ``statement``: the conclusion as the paper states it.
    * ``hypotheses``: tuple of ``Hypothesis``; checked on every instance.
    * ``evaluate(instance, dps)``: observed and bound; ``dps=None`` is the fast float64 path used by the search,
      an int is an mpmath (or Arb) evaluation at that many digits used to confirm and replay.
    * ``search_space(ctx)``: a ``proofs_check.search.SearchSpace`` of instances inside the hypotheses; claims
      that are decided symbolically override ``audit`` instead.
    """

    id: str = ""
    source: Source = Source("?", "?")
    statement: str = ""
    hypotheses: tuple[Hypothesis, ...] = ()
    budget_weight: float = 1.0

    def check_hypotheses(self, instance: dict) -> list[HypothesisCheck]:
        out = []
        for h in self.hypotheses:
            try:
                ok, detail = h.check(instance)
            except Exception as exc:  # a hypothesis that cannot be checked does not hold
                ok, detail = False, f"could not be checked: {exc}"
            out.append(HypothesisCheck(h.name, bool(ok), detail))
        return out

    def applicability(self, ctx) -> list[HypothesisCheck]:
        """Hypotheses that fail for the whole configured setting (e.g. ReLU where r' must be Lipschitz)."""
        return []

    def evaluate(self, instance: dict, dps: int | None = None) -> Evaluation:
        raise NotImplementedError

    def search_space(self, ctx):
        raise NotImplementedError

    def audit(self, ctx) -> AuditResult:
        from .audit import search_audit

        return search_audit(self, ctx)

    def result(self, outcome: Outcome, **kw) -> AuditResult:
        """An ``AuditResult`` pre-filled with this claim's id, source and statement."""
        return AuditResult(claim_id=self.id, source=str(self.source), statement=self.statement, outcome=outcome, **kw)
