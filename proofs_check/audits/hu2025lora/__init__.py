"""Claims of Hu, Su, Kuo, Song, Liu: Computational Limits of LoRA Fine-Tuning for Transformer Models (ICLR 2025).

Split by method (every claim is data for the one verdict engine, ``proofs_check.engine.judge``):

* ``formulas``: the displayed formulas, one ``TABLE`` row each, evaluated literally (every row/column reading where
  one is needed) against the exact quantity on shapes ordered smallest first (``Scan()``);
* ``symbolic``: identities decided by SymPy, shape lints, integer and rational arithmetic (``Exact(...)``);
* ``search``: the inequalities and error bounds of the low-rank chain, searched adversarially inside their
  hypotheses with evaluation budgets (``Search(...)``);
* ``hypotheses``: the hypotheses as predicates on an instance; ``common``: sources and helpers.

Source kind 'paper' is the paper's statement as written (page numbers of the ICLR 2025 PDF); 'ours' marks the
project's corrected or added formula.  Where the paper's bound is the non-explicit 'eps/poly(L)', the number
compared with is the project's explicit bound (Sec. 2.4 of the spec), as each claim's source note says.
"""
from __future__ import annotations

from symbolic.errors import ConfigError, require_int

from .common import EXPLICIT, PAPER, src
from .formulas import TABLE, FormulaClaim, ReductionClaim, Row, TClaim, formula_claims
from .hypotheses import CHAIN_HYPS, H_DELTA, H_GAMMA, H_RANK, H_SHAPES, RAW_HYPS
from .search import STEP_TABLE, ChainSpace, FullChain, FullSpace, PolyClaim, RankSandwich, SearchClaim, StepClaim
from .search import search_claims
from .symbolic import SymbolicClaim, symbolic_claims


def _claims() -> list:
    """Every claim, in the paper's order of the report: the tensor-trick identities, the displayed formulas, the
    exact claims, then the searched bounds."""
    sym = {c.id.split(".", 1)[1]: c for c in symbolic_claims()}
    first = [sym.pop("lemma2_1"), sym.pop("def2_4")]
    return first + formula_claims() + list(sym.values()) + search_claims()


CLAIMS = _claims()
BY_ID = {c.id: c for c in CLAIMS}

# the claims a report re-runs cheaply (no adversarial search)
EXACT_AND_FORMULA = [c for c in CLAIMS if isinstance(c, (FormulaClaim, SymbolicClaim))]


def configure(args) -> dict:
    """Shared options: --seed (search seed), --precision (>= 50, checked by the audit command)."""
    seed = getattr(args, "seed", None)
    if seed is not None:
        require_int("--seed", seed, 0)
    device = getattr(args, "device", None)
    if device not in (None, "auto", "cpu") and not str(device).startswith("cuda"):
        raise ConfigError("--device", f"must be cpu, cuda or auto; got {device!r}")
    return {"seed": seed or 0}


__all__ = ["CLAIMS", "BY_ID", "EXACT_AND_FORMULA", "configure", "PAPER", "EXPLICIT", "src", "TABLE", "Row",
           "STEP_TABLE", "FormulaClaim", "TClaim", "ReductionClaim", "SymbolicClaim", "SearchClaim", "StepClaim",
           "ChainSpace", "FullSpace", "FullChain", "PolyClaim", "RankSandwich", "CHAIN_HYPS", "H_DELTA", "H_GAMMA",
           "H_RANK", "H_SHAPES", "RAW_HYPS"]
