"""Which papers exist and where their claims, reports and experiments live (imported lazily)."""
from __future__ import annotations

import importlib
from dataclasses import dataclass

from symbolic.errors import ConfigError


@dataclass(frozen=True)
class PaperEntry:
    claims: str            # module with CLAIMS (list of Claim) and optional configure(args) -> dict
    report: str | None     # module with main(args) -> int for `icl-verify report <paper>`
    title: str


PAPERS: dict[str, PaperEntry] = {
    "wu2025": PaperEntry("proofs_check.audits.wu2025", "proofs_check.reports.wu2025",
                         "Wu, Su, Hu, Song, Liu: In-Context Deep Learning via Transformer Models (ICML 2025)"),
    "vonoswald2023": PaperEntry("proofs_check.audits.vonoswald2023", "proofs_check.reports.vonoswald2023",
                                "von Oswald et al.: Transformers learn in-context by gradient descent (ICML 2023)"),
    "ahn2023": PaperEntry("proofs_check.audits.ahn2023", "proofs_check.reports.ahn2023",
                          "Ahn, Cheng, Daneshmand, Sra: Transformers learn to implement preconditioned GD (NeurIPS 2023)"),
    "gatmiry2024": PaperEntry("proofs_check.audits.gatmiry2024", "proofs_check.reports.gatmiry2024",
                              "Gatmiry, Saunshi, Reddi, Jegelka, Kumar: Can looped transformers learn to implement "
                              "multi-step GD for in-context learning? (ICML 2024)"),
    "hu2025lora": PaperEntry("proofs_check.audits.hu2025lora", "proofs_check.reports.hu2025lora",
                             "Hu, Su, Kuo, Song, Liu: Computational Limits of LoRA Fine-Tuning for Transformer "
                             "Models (ICLR 2025)"),
    "planted": PaperEntry("proofs_check.audits.planted", None, "Planted toy claims that test the audit engine"),
}

EXPERIMENTS: dict[str, str] = {
    "wu2025-icl": "proofs_check.experiments.wu2025_icl",
}


def paper_entry(paper: str) -> PaperEntry:
    try:
        return PAPERS[paper]
    except KeyError:
        raise ConfigError("PAPER", f"must be one of {', '.join(p for p in PAPERS if p != 'planted')}; got {paper!r}") from None


def claims_module(paper: str):
    return importlib.import_module(paper_entry(paper).claims)


def claims_for(paper: str) -> list:
    return list(claims_module(paper).CLAIMS)


def get_claim(claim_id: str):
    """The registered claim with this id (its paper is the id's first component)."""
    paper = claim_id.split(".", 1)[0]
    for c in claims_for(paper):
        if c.id == claim_id:
            return c
    raise ConfigError("--claim", f"no claim {claim_id!r} in {paper}")
