"""Findings: what a referee reports.  Claims that fail for one root cause form one finding.

A finding is data (``Finding``): a stable id, a title, the root cause in one sentence, a severity a referee would give
(HIGH: a statement false as printed, or a theorem that does not cover its advertised setting; MEDIUM: a proof gap or
an inconsistency after whose repair the statement plausibly holds; LOW: a typo, notation or convention slip), what it
is about (statement, proof step, figure / table / reported number, released code, our own conjecture), the claims it
affects, the claim (and cause) whose witness exhibits it, and our corrected claims with their own verdicts.

``assess(findings, audit)`` reads an audit's JSON rows and checks the grouping: every violated claim belongs to
exactly one finding, every confirmed finding has a witness that exists, and no two findings share a witness.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

SEVERITIES = ("HIGH", "MEDIUM", "LOW")
ABOUT = ("statement", "proof_step", "figure", "table", "reported_number", "code", "conjecture")


@dataclass(frozen=True)
class Finding:
    id: str
    title: str
    cause: str
    severity: str
    about: str
    claims: tuple[str, ...]
    witness_claim: str
    witness_cause: str | None = None
    corrected: tuple[str, ...] = ()
    where: str = ""
    note: str = ""

    def __post_init__(self):
        if self.severity not in SEVERITIES:
            raise ValueError(f"{self.id}: severity must be one of {SEVERITIES}")
        if self.about not in ABOUT:
            raise ValueError(f"{self.id}: about must be one of {ABOUT}")
        if self.witness_claim not in self.claims:
            raise ValueError(f"{self.id}: the witness claim {self.witness_claim} is not among its claims")


@dataclass
class AssessedFinding:
    finding: Finding
    status: str                     # confirmed | not reproduced (none of its claims is violated in this audit)
    witness: str | None = None      # path relative to the audit folder
    ratio: float | str | None = None
    observed: object = None
    bound: object = None
    violated: list = field(default_factory=list)
    corrected: list = field(default_factory=list)   # [(claim id, outcome, tier)]

    def to_dict(self) -> dict:
        d = asdict(self.finding)
        d.update(status=self.status, witness=self.witness, ratio=self.ratio, observed=self.observed, bound=self.bound,
                 violated_claims=self.violated,
                 corrected_verdicts=[{"claim": c, "outcome": o, "tier": t} for c, o, t in self.corrected])
        return d


def assess(findings: list[Finding], rows: list[dict], complete: bool = True
           ) -> tuple[list[AssessedFinding], list[str]]:
    """The findings against an audit's claim rows, and the grouping problems (empty when the grouping holds).
    ``complete``: the audit judged every claim of the paper (a ``--claim`` subset checks only what it judged)."""
    by_id = {r["claim_id"]: r for r in rows}
    problems = []
    ids = [f.id for f in findings]
    if len(ids) != len(set(ids)):
        problems.append("duplicate finding ids")
    owner: dict[str, list[str]] = {}
    for f in findings:
        for c in f.claims:
            owner.setdefault(c, []).append(f.id)
    out = []
    if not complete:
        findings = [f for f in findings if any(c in by_id for c in f.claims)]
    for f in findings:
        violated = [c for c in f.claims if by_id.get(c, {}).get("outcome") == "violated"]
        corrected = [(c, by_id[c]["outcome"], by_id[c].get("tier")) for c in f.corrected if c in by_id]
        if not violated:
            out.append(AssessedFinding(f, "not reproduced", corrected=corrected))
            continue
        row = by_id.get(f.witness_claim, {})
        if row.get("outcome") != "violated":
            problems.append(f"{f.id}: its witness claim {f.witness_claim} is not violated in this audit")
            out.append(AssessedFinding(f, "confirmed", violated=violated, corrected=corrected))
            continue
        witness = row.get("witnesses", {}).get(f.witness_cause) if f.witness_cause else row.get("witness")
        if f.witness_cause and witness is None:
            problems.append(f"{f.id}: no witness for the cause {f.witness_cause!r} of {f.witness_claim}")
            witness = row.get("witness")
        out.append(AssessedFinding(f, "confirmed", witness, row.get("ratio"), row.get("observed"), row.get("bound"),
                                   violated, corrected))
    for r in rows:
        if r["outcome"] == "violated":
            n = len(owner.get(r["claim_id"], []))
            if n != 1:
                problems.append(f"{r['claim_id']}: violated, but belongs to {n} findings (must be exactly one)")
    seen: dict[str, str] = {}
    for a in out:
        if a.witness:
            if a.witness in seen:
                problems.append(f"{a.finding.id} and {seen[a.witness]} share the witness {a.witness}")
            seen[a.witness] = a.finding.id
    known = set(by_id)
    for f in findings if complete else ():
        for c in f.claims + f.corrected:
            if c not in known:
                problems.append(f"{f.id}: names a claim {c} that this audit did not judge")
    return out, problems


def findings_for(paper: str) -> list[Finding]:
    """The paper's findings (``FINDINGS`` of proofs_check/findings_data/<paper>.py; none when absent)."""
    import importlib

    try:
        mod = importlib.import_module(f"proofs_check.findings_data.{paper}")
    except ModuleNotFoundError as exc:
        if exc.name != f"proofs_check.findings_data.{paper}":
            raise
        return []
    return list(mod.FINDINGS)


def severity_counts(assessed: list[AssessedFinding]) -> dict:
    out = {s: 0 for s in SEVERITIES}
    for a in assessed:
        if a.status == "confirmed":
            out[a.finding.severity] += 1
    return out
