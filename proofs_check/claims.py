"""Claims as data: id, source, statement, hypotheses, a declared method, and the observed quantity.

A claim never judges itself.  It declares *how* it is to be tested (``methods``: a search over a space, a grid of
given instances, an exact decision, Monte Carlo or training evidence; see ``proofs_check.methods``) and supplies the
pieces that method needs (``search_space(ctx)``, ``grid(ctx)``, ...) and ``evaluate(instance, dps)``.  The one
engine (``proofs_check.engine.judge``) runs the method, checks the hypotheses, confirms at high precision, saves and
replays the witness and builds the typed verdict; it is the only code that constructs an ``AuditResult``.

Outcomes, each with its strength (``Tier``):

* ``verified``: ``certified`` (decided exactly or by rigorous enclosure over the whole declared domain),
  ``exhaustive`` (every case of a finite domain), ``searched`` (N evaluations over the declared space, nothing
  found), ``statistical`` (Monte Carlo / training evidence with a confidence interval), ``instance`` (holds on the
  given instances only: a report's single run);
* ``violated``: a witness saved and replayed, confirmed ``exact`` (exact arithmetic), at ``high-precision``
  (>= 50 digits) or ``statistical`` (a confidence interval entirely beyond the bound);
* ``inconclusive``: the reason is written out (time cap, an interval straddling the bound, an existence statement);
* ``not_applicable``: the failed hypothesis is named.
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


class Tier(str, Enum):
    """The strength of a verdict (see the module docstring)."""

    CERTIFIED = "certified"
    EXHAUSTIVE = "exhaustive"
    SEARCHED = "searched"
    STATISTICAL = "statistical"
    INSTANCE = "instance"
    EXACT = "exact"
    HIGH_PRECISION = "high-precision"

    def __str__(self) -> str:
        return self.value


SOURCE_KINDS = ("paper", "ours", "reconstructed", "planted")
ABOUT = ("statement", "proof_step", "figure", "table", "reported_number", "code", "conjecture")


@dataclass(frozen=True)
class Source:
    """Where a claim comes from.

    ``kind``: 'paper' (as stated), 'ours' (a corrected or added claim of this project, clearly labelled),
    'reconstructed' (not read in the paper's full text), 'planted' (a test claim).  ``about``: what the claim
    encodes: a displayed ``statement``, a ``proof_step``, a ``figure`` / ``table`` value or a ``reported_number``,
    the authors' released ``code``, or our own ``conjecture``.  ``note``: provenance printed beside the verdict
    (e.g. which constant of ours stands in for one the paper leaves implicit)."""

    paper: str
    where: str
    kind: str = "paper"
    note: str = ""
    about: str = "statement"

    def __post_init__(self):
        if self.kind not in SOURCE_KINDS:
            raise ValueError(f"source kind must be one of {SOURCE_KINDS}")
        if self.about not in ABOUT:
            raise ValueError(f"source about must be one of {ABOUT}")

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


@dataclass
class SideCheck:
    """A declared consistency check of a claim (e.g. a property its method relies on); a failing one stops a
    ``verified`` verdict (the result is ``inconclusive`` with the reason)."""

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
    if isinstance(x, bool):
        return x
    if isinstance(x, (int, float)):
        return x if not isinstance(x, float) or math.isfinite(x) else str(x)
    try:
        f = float(x)
    except (TypeError, ValueError):
        return str(x)
    return f if math.isfinite(f) else str(f)


def ratio_of(observed, bound) -> float:
    """observed / bound as a float (inf when the bound is 0 and observed > 0, 0 when both are 0)."""
    try:
        o, b = float(observed), float(bound)
    except (TypeError, ValueError, OverflowError):
        return math.nan
    if math.isnan(o) or math.isnan(b):
        return math.nan
    if b == 0:
        return 0.0 if o <= 0 else math.inf
    if math.isinf(o) and math.isinf(b):
        return math.nan
    return o / b


@dataclass
class Evaluation:
    """One instance evaluated: the observed quantity and the claim's bound at that instance.

    ``details['work']`` (optional): the samples or steps inside this one evaluation (e.g. '4000000 prompts',
    '2000 Adam steps'), printed beside the method.  ``spread``: the half-width of a confidence interval of ``observed`` (statistical evidence; 0 for exact and
    high-precision evaluations).  The claim holds at the instance when observed + spread <= bound and is violated
    when observed - spread > bound; in between the evidence straddles the bound."""

    observed: Any
    bound: Any
    details: dict = field(default_factory=dict)
    spread: Any = 0

    @property
    def ratio(self) -> float:
        return ratio_of(self.observed, self.bound)

    def violates(self) -> bool:
        """observed - spread > bound, compared in the numbers' own type (mpmath in high precision)."""
        return bool(self.observed - self.spread > self.bound)

    def holds(self) -> bool:
        """observed + spread <= bound."""
        return bool(self.observed + self.spread <= self.bound)


@dataclass
class AuditResult:
    """The verdict on one claim, with the numbers behind it.  Constructed by ``proofs_check.engine`` only."""

    claim_id: str
    source: str
    statement: str
    outcome: Outcome
    tier: Tier | None = None
    bound: Any = None
    observed: Any = None
    ratio: float | None = None
    method: str = ""
    evaluations: int = 0
    confirmations: int = 0
    budget: int = 0
    space: str = ""
    narrowing: list[str] = field(default_factory=list)
    stopped_by: str = ""
    seconds: float = 0.0
    witness: str | None = None
    witnesses: dict = field(default_factory=dict)
    hypotheses: list[HypothesisCheck] = field(default_factory=list)
    side_checks: list[SideCheck] = field(default_factory=list)
    details: dict = field(default_factory=dict)
    summary: str = ""
    source_kind: str = "paper"
    source_note: str = ""
    about: str = "statement"

    @property
    def certified(self) -> bool:
        return self.tier is Tier.CERTIFIED

    def to_dict(self) -> dict:
        d = asdict(self)
        d["outcome"] = str(self.outcome)
        d["tier"] = None if self.tier is None else str(self.tier)
        d["id"] = self.claim_id
        d["bound"], d["observed"] = _num(self.bound), _num(self.observed)
        d["ratio"] = None if self.ratio is None else (self.ratio if math.isfinite(self.ratio) else str(self.ratio))
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "AuditResult":
        keys = set(cls.__dataclass_fields__)
        kw = {k: v for k, v in d.items() if k in keys}
        kw["outcome"] = Outcome(d["outcome"])
        kw["tier"] = Tier(d["tier"]) if d.get("tier") else None
        kw["hypotheses"] = [HypothesisCheck(**h) for h in d.get("hypotheses", [])]
        kw["side_checks"] = [SideCheck(**h) for h in d.get("side_checks", [])]
        if isinstance(kw.get("ratio"), str):
            kw["ratio"] = float(kw["ratio"])
        return cls(**kw)


class Claim:
    """A claim: data plus the functions its declared method needs.  Subclasses set the class attributes.

    * ``id``: stable id, '<paper>.<object>[.<part>]' (e.g. 'wu2025.lemma2.norm'); the paper is the registry key.
    * ``source``: a ``Source``.  ``statement``: the conclusion as the paper states it.
    * ``hypotheses``: tuple of ``Hypothesis``; checked on every instance the engine judges.
    * ``methods``: a ``proofs_check.methods`` method or a tuple of them (run in order, budgets in evaluations).
    * ``narrowing``: where the searched space is narrower than the hypotheses (printed beside the verdict).
    * ``evaluate(instance, dps)``: observed and bound; ``dps=None`` is the fast float64 path used by searches and
      float64 screens, an int is an evaluation at that many digits (mpmath / Arb / exact) used to confirm and replay.
    * ``evaluate_batch(instances)`` (optional): float64 observed/bound ratios of many instances in one call.
    * ``search_space(ctx)`` / ``grid(ctx)`` / other producers named by the methods: instances inside the hypotheses.
    * ``applicability(options)``: hypotheses that fail for the whole configured setting (-> ``not_applicable``).
    * ``side_checks(ctx)``: declared consistency checks (``SideCheck`` list).
    * ``size(instance)`` / ``explain(instance, ev)`` / ``causes(instance, ev)``: the smallest witness, its explanation,
      and the named causes a violating instance exhibits (one witness is kept per cause).
    """

    id: str = ""
    source: Source = Source("?", "?")
    statement: str = ""
    hypotheses: tuple[Hypothesis, ...] = ()
    methods: Any = ()
    narrowing: tuple[str, ...] = ()

    def check_hypotheses(self, instance: dict) -> list[HypothesisCheck]:
        out = []
        for h in self.hypotheses:
            try:
                ok, detail = h.check(instance)
            except (KeyError, TypeError, ValueError, IndexError, ArithmeticError, AttributeError) as exc:
                ok, detail = False, f"could not be checked on this instance ({type(exc).__name__}: {exc})"
            out.append(HypothesisCheck(h.name, bool(ok), detail))
        return out

    def applicability(self, options: dict) -> list[HypothesisCheck]:
        return []

    def side_checks(self, ctx) -> list[SideCheck]:
        return []

    def evaluate(self, instance: dict, dps: int | None = None) -> Evaluation:
        raise NotImplementedError

    def size(self, instance: dict) -> float | None:
        return None

    def explain(self, instance: dict, ev: Evaluation) -> str | None:
        return None

    def causes(self, instance: dict, ev: Evaluation) -> list[str]:
        return []
