"""Claims of Hu, Su, Kuo, Song, Liu: Computational Limits of LoRA Fine-Tuning for Transformer Models (ICLR 2025).

Split by method (every claim is data for the one verdict engine, ``proofs_check.engine.judge``):

* ``formulas``: the displayed formulas, one ``TABLE`` row each, evaluated literally (every row/column reading where
  one is needed) against the exact quantity on shapes ordered smallest first (``Scan()``);
* ``symbolic``: identities decided by SymPy, shape lints, integer and rational arithmetic (``Exact(...)``);
* ``search``: the inequalities and error bounds of the low-rank chain, searched adversarially inside their
  hypotheses with evaluation budgets (``Search(...)``);
* ``hypotheses``: the hypotheses as predicates on an instance; ``common``: sources and helpers.

* ``statements``: the asymptotic existence and lower-bound statements (Theorems 3.1, A.1, 4.1) and App. G's
  minutes, undecidable, with their computable parts as side computations.

Source kind 'paper' is the paper's statement as written (page numbers of the ICLR 2025 PDF); 'ours' marks the
project's corrected or added claim.  ``Source.about`` says whether a claim encodes a statement, a proof step or a
table / figure / reported number: a proof step that fails (``lemma3_6.proof_construction``, ...) is filed apart from
the statement it was meant to prove (``lemma3_6``).  Where the paper's bound is the non-explicit 'eps/poly(L)', the
number compared with is our explicit bound, and the construction of Lemma 3.3 is our polynomial method: each
claim's source note says exactly what is ours.  The findings (claims grouped by root cause, with severities) are
``proofs_check/findings_data/hu2025lora.py``.
"""
from __future__ import annotations

from symbolic.errors import ConfigError, require_int

from .common import EXPLICIT, PAPER, src
from .formulas import TABLE, FormulaClaim, ReductionClaim, Row, TClaim, formula_claims
from .hypotheses import CHAIN_HYPS, H_DELTA, H_GAMMA, H_RANK, H_SHAPES, RAW_HYPS
from .search import STEP_TABLE, ChainSpace, FullChain, FullSpace, PolyClaim, RankSandwich, SearchClaim, StepClaim
from .search import search_claims
from .statements import statement_claims
from .symbolic import SymbolicClaim, symbolic_claims


# paper order (page, then the statement before its proof steps and our corrections); the shape lint, which spans the
# paper, last
ORDER = (
    "lemma2_1", "def2_4", "eq2_1", "ours.eq2_1", "sec2.vectorised_score",                               # pp. 4-5
    "eq3_2", "ours.eq3_2", "eq3_3", "eq3_4",                                                            # pp. 5-6
    "lemma3_1", "lemma3_2.A", "lemma3_2.B", "ours.lemma3_2.B", "def3_6",                                # p. 7
    "lemma3_3", "lemma3_3.as23_normalisation", "ours.lemma3_3.score_range", "ours.feature_rank",         # pp. 7-8
    "ours.poly_bounds",
    "lemma3_4", "lemma3_5", "lemma3_6", "lemma3_7",                                                     # p. 8
    "theorem3_1", "theorem4_1",                                                                         # p. 9
    "theoremA_1",                                                                                       # p. 18
    "lemmaC_1", "ours.lemmaC_1",                                                                        # p. 23
    "lemma3_5.C4_display", "lemma3_5.C4_inequality",                                                    # p. 24
    "lemma3_6.column_kronecker", "ours.face_splitting", "lemma3_6.C5_matrix_form",                      # p. 25
    "ours.lemma3_6.C5_matrix_form", "lemma3_6.proof_construction", "ours.lemma3_6",
    "lemma3_7.C6_matrix_form", "ours.lemma3_7.C6_matrix_form", "lemma3_7.proof_construction",           # p. 26
    "ours.lemma3_7",
    "theorem3_1.proof_algorithm", "theorem3_1.C7_inequality", "ours.theorem3_1",                        # pp. 27-28
    "ours.fQ_equals_fK",                                                                                # p. 29
    "lemmaD_1", "lemmaD_2", "ours.lemmaD_2",                                                            # p. 30
    "lemmaD_3", "ours.lemmaD_3",                                                                        # p. 31
    "lemmaD_4.A_Q", "lemmaD_4.B_Q", "lemmaD_4.A_K", "lemmaD_4.B_K", "ours.lemmaD_4",                    # p. 32
    "theoremA_1.proof_algorithm", "ours.theoremA_1", "ours.V_path",                                     # pp. 34-36
    "theorem4_1.reduction", "ours.theorem3_1_vs_4_1", "ours.rank_sandwich",                             # p. 37
    "theoremF_1.q_recall",                                                                              # p. 39
    "appG.table1.minutes", "appG.table1", "appG.speedups", "appG.figure1",                              # p. 40
    "shapes",
)


def _claims() -> list:
    """Every claim, in the paper's order (``ORDER``)."""
    made = symbolic_claims() + formula_claims() + search_claims() + list(statement_claims().values())
    by_id = {c.id.split(".", 1)[1]: c for c in made}
    if len(by_id) != len(made) or set(by_id) != set(ORDER) or len(ORDER) != len(set(ORDER)):
        raise RuntimeError(f"hu2025lora: ORDER and the claims differ: {sorted(set(by_id) ^ set(ORDER))}")
    return [by_id[k] for k in ORDER]


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
