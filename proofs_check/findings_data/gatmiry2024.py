"""Findings of Gatmiry, Saunshi, Reddi, Jegelka, Kumar 2024, "Can looped transformers learn to implement multi-step
gradient descent for in-context learning?" (ICML 2024): the violated claims of ``icl-verify audit gatmiry2024``.

The paper's full text was not available: no claim of the paper's own wording is violated; the one finding is about the
project's conjecture (our reading of the abstract's 'preconditioner close to the inverse of the population covariance
matrix'), which fails for non-symmetric preconditioners.
"""
from ..findings import Finding

P = "gatmiry2024."

FINDINGS = [
    Finding(
        P + "F01_nonsymmetric_minimiser", "c* Sigma^{-1} is not the global minimiser over all A (d = 2, L >= 2)",
        "Over all $A \\in \\mathbb{R}^{d\\times d}$ the looped loss $L(A, 0)$ is not minimised by $c^*\\Sigma^{-1}$: for "
        "$d = 2$, $L \\ge 2$, $n \\ge 20$ it is a saddle (negative curvature along the skew direction $J$), and a "
        "non-symmetric $A^\\top = c^* I + s J$ with complex spectrum has a strictly lower exact loss.",
        "MEDIUM", "conjecture", (P + "full_matrix.cstar_global",), P + "full_matrix.cstar_global",
        corrected=(P + "full_matrix.corrected",),
        where="our reading of the abstract ('a preconditioner close to the inverse of the population covariance "
              "matrix'); spec 3.3 / B-2",
        note="Our conjecture, not the paper's wording: whether the paper restricts $A$ to symmetric matrices could "
             "not be read, so the abstract's claim stays `inconclusive` (`gatmiry2024.abstract.global_minimizer`). "
             "The corrected statement (`gatmiry2024.full_matrix.corrected`: a minimiser on the ray, a critical point "
             "over all $A$, the global minimiser for $L = 1$, a saddle for $L \\ge 2$, $n \\ge 20$) is verified."),
]
