"""Findings of Hu, Su, Kuo, Song, Liu, "Computational Limits of Low-Rank Adaptation (LoRA) Fine-Tuning for
Transformer Models" (ICLR 2025): the violated claims of ``icl-verify audit hu2025lora`` grouped by root cause.

Severities (``proofs_check.findings``): HIGH, a statement false as printed (under every reading) or a theorem that
does not cover its advertised setting; MEDIUM, a proof gap or inconsistency after whose repair the statement
plausibly holds; LOW, a typo, notation or convention slip (seven in the theory) and one figure value.
"""
from ..findings import Finding

P = "hu2025lora."


def _c(*ids: str) -> tuple[str, ...]:
    return tuple(P + i for i in ids)


FINDINGS = [
    # ------------------------------------------------------------------------------------------------ HIGH
    Finding(
        P + "F01_score_range", "Theorem 3.1's norm hypothesis does not bound the attention scores",
        "Lemma 3.3 applies Alman-Song's Thm 3.8 with $B = \\Gamma$, but their scores are $QK^\\top/d$ with entries "
        "at most $B$, while $\\Vert C_1W\\Vert _{\\max}, \\Vert C_2\\Vert _{\\max} \\le \\Gamma$ lets $C_1WC_2^\\top$ reach "
        "$d\\Gamma^2$ (so $B = \\sqrt{d}\\,\\Gamma$): for Theorem 3.1's $d = \\Theta(\\log L)$ this is the hard "
        "regime, and under SETH Theorems 3.1 and A.1 cannot hold together with Theorem 4.1.",
        "HIGH", "statement", _c("lemma3_3.as23_normalisation"), P + "lemma3_3.as23_normalisation",
        corrected=_c("ours.lemma3_3.score_range"), where="Lemma 3.3 (pp. 7-8), Theorems 3.1 (p. 9) and A.1 (p. 18)",
        note="Theorem 4.1's hard instances, rescaled by $C_1 \\to C_1/\\sqrt{r}$, $C_2 \\to \\sqrt{r}\\,C_2$, keep "
             "their gradient and satisfy Theorem 3.1's hypotheses with $\\Gamma = O(\\kappa(L)) = o(\\sqrt{\\log L})$ "
             "(`hu2025lora.ours.theorem3_1_vs_4_1`, verified), and Alman-Song's own hard instances divided by "
             "$\\sqrt{d}$ satisfy Lemma 3.3's with $\\Gamma = O(1)$. The lemma's and theorems' statements are "
             "therefore `inconclusive` (asymptotic; `hu2025lora.lemma3_3` only checks the accuracy of our "
             "construction, not its width $k_1 = L^{o(1)}$, which is what fails). The statements need "
             "$\\sqrt{d}\\,\\Gamma = o(\\sqrt{\\log L})$, e.g. $\\Gamma = o(1)$ when $d = \\Theta(\\log L)$."),
    Finding(
        P + "F02_lemmaD4_K", "Lemma D.4's K-adapter gradients put the transpose in the wrong place",
        "With $G = C_{K1}^\\top p_K C_{K2} = \\partial L/\\partial W_K^\\top$ the gradients are "
        "$\\partial L/\\partial A_K = B_K^\\top G^\\top$ and $\\partial L/\\partial B_K = G^\\top A_K^\\top$, but "
        "Lemma D.4 applies $T(d^2,d^2)^\\top$ to the vectorised $B_K^\\top G$ (and to a non-conforming "
        "$C_{K1}^\\top p_K A_K C_{K2}$), and no permutation, nor any reordering of the factors, turns these into the "
        "gradients.",
        "HIGH", "statement", _c("lemmaD_4.A_K", "lemmaD_4.B_K"), P + "lemmaD_4.A_K",
        corrected=_c("ours.lemmaD_4"), where="Lemma D.4, p. 32 (used in the proof of Theorem A.1, pp. 34-36)",
        note="Every reading of $T$ ($T(d^2,d^2)$ as written, $T(d,d)$, $T(r,d)$, $T(d,r)$, none) and of $p_K$ fails. "
             "The full-case algorithm with the corrected formulas meets its bounds (`hu2025lora.ours.theoremA_1`), so "
             "Theorem A.1's conclusion is not affected beyond the score-range finding."),
    # ---------------------------------------------------------------------------------------------- MEDIUM
    Finding(
        P + "F03_q_transposed", "C.5 and App. F use the transpose of Lemma 3.2's q",
        "Lemma 3.2 defines $q(W) := C_3c(W)^\\top$ and (3.6) holds with $q(W)_j$ its $j$-th column, but C.5's "
        "$p_1(W) = f(W) \\odot q(W)$ (and App. F's 'recall' $q(W) := c(W)C_3^\\top$) take $q(W)_j$ as the $j$-th "
        "row, so Lemma 3.6's construction $U_3 = U_1 \\oslash U_2$, $V_3 = V_1 \\oslash V_2$ approximates "
        "$f \\odot q$, not $p_1 = f \\odot q^\\top$.",
        "MEDIUM", "proof_step",
        _c("lemma3_6.C5_matrix_form", "lemma3_6.proof_construction", "theoremF_1.q_recall"),
        P + "lemma3_6.C5_matrix_form",
        corrected=_c("ours.lemma3_6.C5_matrix_form", "lemma3_6", "ours.lemma3_6"),
        where="C.5, proof of Lemma 3.6 (p. 25); App. F, Step 3 (p. 39)",
        note="Lemma 3.6's statement holds with our construction $U_3 = U_1 \\oslash V_2$, $V_3 = V_1 \\oslash U_2$ of "
             "the same width $k_1k_2$."),
    Finding(
        P + "F04_p2_matrix_form", "C.6 scales the columns of f where Def. 3.6 scales its rows",
        "Def. 3.6 gives $p_2(W)_j = f_jf_j^\\top q_j = r_jf_j$, i.e. $p_2 = \\mathrm{diag}(r)f$, but C.6 writes "
        "$p_2 = f\\,\\mathrm{diag}(r)$ and builds $U_4 = U_1$, $V_4 = \\mathrm{diag}(\\tilde r)V_1$ (with (C.1)'s "
        "$\\tilde r$ pairing rows of $\\tilde f$ and $\\tilde q$), which approximates $p_2$ under no reading.",
        "MEDIUM", "proof_step", _c("lemma3_7.C6_matrix_form", "lemma3_7.proof_construction"),
        P + "lemma3_7.C6_matrix_form", corrected=_c("ours.lemma3_7.C6_matrix_form", "lemma3_7", "ours.lemma3_7"),
        where="C.6, proof of Lemma 3.7, p. 26",
        note="Lemma 3.7's statement holds with our construction $U_4 = \\mathrm{diag}(\\tilde r)U_1$, $V_4 = V_1$ of "
             "the same width $k_1$."),
    Finding(
        P + "F05_proof_algorithm", "The algorithm of Theorem 3.1's proof (and of Theorem A.1's) computes the wrong matrix",
        "C.7 assembles $\\tilde G^{(A)} = B_Q^\\top C_1^\\top(U_3V_3^\\top - U_4V_4^\\top)C_2$ from the constructions "
        "of C.5 and C.6, so as the polynomial degree grows it tends to $B_Q^\\top C_1^\\top(f \\odot q - "
        "f\\,\\mathrm{diag}(r_{\\mathrm{row}}))C_2 \\ne \\partial L/\\partial A_Q$; Theorem A.1's proof reruns this "
        "chain for $\\mu = Q$.",
        "MEDIUM", "proof_step", _c("theorem3_1.proof_algorithm", "theoremA_1.proof_algorithm"),
        P + "theorem3_1.proof_algorithm", corrected=_c("ours.theorem3_1", "ours.theoremA_1"),
        where="C.7 (pp. 27-28), proof of Theorem A.1 (pp. 34-36)",
        note="Our corrected chain computes the gradients at the proof's cost $O(Lk_1k_2d)$; the theorems' statements "
             "are `inconclusive` (asymptotic, see the score-range finding), not violated."),
    Finding(
        P + "F06_maxnorm_not_submultiplicative", "C.7's gradient step uses a sub-multiplicativity the max norm lacks",
        "C.7 bounds $\\Vert B_Q^\\top C_1^\\top \\Delta C_2\\Vert _{\\max}$ by $\\Vert B_Q\\Vert _{\\max}\\Vert C_1\\Vert _{\\max}"
        "\\Vert C_2\\Vert _{\\max}\\Vert \\Delta\\Vert _{\\max}$ 'by the sub-multiplicative property of the $\\infty$-norm', but each "
        "entry sums $dL^2$ products, so the left side can exceed the right by up to a factor $dL^2$.",
        "MEDIUM", "proof_step", _c("theorem3_1.C7_inequality"), P + "theorem3_1.C7_inequality",
        corrected=_c("ours.theorem3_1"), where="C.7 (pp. 27-28), proof of Theorem A.1 (pp. 35-36)",
        note="A valid step: $\\Vert X^\\top\\Delta Y\\Vert _{\\max} \\le L\\Vert X\\Vert _{\\max}\\Vert Y\\Vert _{\\max}\\max_l"
             "\\Vert \\Delta[l,:]\\Vert _1$ with $X = C_1B_Q$, $Y = C_2$; the extra factor $L$ is absorbed by "
             "$\\epsilon/\\mathrm{poly}(L)$."),
    # ------------------------------------------------------------------------------------------------- LOW
    Finding(
        P + "F07_eq2_1_half", "(2.1) carries a factor 1/2 that $L_0$ does not",
        "(2.1) writes $L_0 = \\sum_j\\sum_i \\frac12(\\ldots)^2$ while $L_0$ on the same page has no $\\frac12$, "
        "so the display equals $L_0/2$ (it also drops $\\beta$); the large observed/bound is a relative error of "
        "exactly 1/2 over a $10^{-10}$ tolerance, not a wrong algorithm.",
        "LOW", "statement", _c("eq2_1"), P + "eq2_1", corrected=_c("ours.eq2_1"), where="(2.1), p. 4"),
    Finding(
        P + "F08_eq3_2_wbar", "(3.2) drops the $\\bar W$ term",
        "The right side of (3.2) is $C_1B_QA_QC_2^\\top$; the left side equals $C_1(\\bar W + B_QA_Q)C_2^\\top$ "
        "with $\\bar W = (r/\\alpha)W_Q^\\star$, as (3.3) then uses.",
        "LOW", "statement", _c("eq3_2"), P + "eq3_2", corrected=_c("ours.eq3_2"), where="(3.2), p. 5"),
    Finding(
        P + "F09_jacobian_convention", "Lemma C.1's Jacobians are column-major (and Lemma D.3 repeats them)",
        "$J_B = \\mathrm{blockdiag}(B_Q) = I_d \\otimes B_Q$ and $J_A = A_Q^\\top \\otimes I_d$ are the Jacobians "
        "of $\\mathrm{vec}(B_QA_Q)$ for column-major vec, while Def. 2.1's vec, $C = C_1 \\otimes C_2$ and (3.5) "
        "are row-major ($B_Q \\otimes I_d$, $I_d \\otimes A_Q^\\top$); Lemma D.3 reuses them (with "
        "$T(d^2,d^2)$, $d^4 \\times d^4$, where $T(d,d)$ is meant).",
        "LOW", "statement", _c("lemmaC_1", "lemmaD_3"), P + "lemmaC_1", corrected=_c("ours.lemmaC_1", "ours.lemmaD_3"),
        where="Lemma C.1 (p. 23), Lemma D.3 (p. 31)"),
    Finding(
        P + "F10_commutation_convention", "Lemma D.2's commutation matrix is column-major",
        "$T(m,n)$ as defined maps the column-major vec of $W$ to that of $W^\\top$ (its proof writes "
        "$W[p,k] = \\mathrm{vec}(W)[(k-1)m+p]$); with Def. 2.1's row-major vec the map is $T(m,n)^\\top = T(n,m)$, "
        "the same only for $m = n$, the case App. D uses.",
        "LOW", "statement", _c("lemmaD_2"), P + "lemmaD_2", corrected=_c("ours.lemmaD_2"), where="Lemma D.2, p. 30"),
    Finding(
        P + "F11_C4_display", "C.4's displayed equality subtracts $C_3Y^\\top$ instead of q",
        "$\\Vert \\tilde q - q\\Vert _\\infty$ is displayed as $\\Vert C_3(U_1V_1^\\top C_3 - Y)^\\top - C_3Y^\\top\\Vert _\\infty$, "
        "which is $\\Vert \\tilde q - C_3Y^\\top\\Vert $; it should read $\\Vert C_3(\\tilde c - c)^\\top\\Vert _\\infty$, and the "
        "inequality on the next line holds.",
        "LOW", "proof_step", _c("lemma3_5.C4_display"), P + "lemma3_5.C4_display",
        corrected=_c("lemma3_5.C4_inequality"), where="C.4, proof of Lemma 3.5, p. 24"),
    Finding(
        P + "F12_column_kronecker", "C.5's 'column-wise Kronecker product' must be the row-wise one",
        "$A \\oslash B := [A[:,1] \\otimes B[:,1] \\mid \\ldots]$ is $L^2 \\times k_1$ and needs $k_1 = k_2$; the width "
        "$k_1k_2$ and the identity $(U_1 \\oslash U_2)(V_1 \\oslash V_2)^\\top = (U_1V_1^\\top) \\odot "
        "(U_2V_2^\\top)$ hold for the row-wise (face-splitting) product.",
        "LOW", "proof_step", _c("lemma3_6.column_kronecker"), P + "lemma3_6.column_kronecker",
        corrected=_c("ours.face_splitting"), where="C.5, p. 25"),
    Finding(
        P + "F13_nonconforming_displays", "Non-conforming B-gradients and swapped declared shapes",
        "The B-gradients of (3.6), C.2, Lemma D.4 ($\\mu = Q$) and App. F write $C_1^\\top p(W)A_QC_2$, where the "
        "$r \\times d$ matrix $A_Q$ cannot follow the $L \\times L$ matrix $p(W)$ (the gradient is "
        "$C_1^\\top p(W)C_2A_Q^\\top$), and Problems 1-3, Theorems 3.1 and A.1 and Def. E.1 declare "
        "$\\tilde G^{(A)}$, $\\tilde G^{(B)}$, $\\tilde g$ with swapped or wrong shapes.",
        "LOW", "statement", _c("shapes", "lemma3_2.B", "lemmaD_4.B_Q"), P + "shapes",
        corrected=_c("ours.lemma3_2.B", "ours.lemmaD_4"),
        where="(3.6) (p. 7), C.2 (p. 23), Lemma D.4 (p. 32), App. F (p. 39); Problems 1-3, Thms 3.1, A.1, Def. E.1"),
    Finding(
        P + "F14_figure1_bar", "Figure 1 shows 60 min where Table 1 prints 61 min (OPT-350M, outlier-free)",
        "Read off the figure, five bars match Table 1 within 0.1 min, but the OPT-350M outlier-free bar stands at "
        "60.0 min against the table's 61 min, from which the table's $-11.6\\%$ and the text's $13.1\\%$ are "
        "computed (60 would give $-13.0\\%$ and $15.0\\%$).",
        "LOW", "figure", _c("appG.figure1"), P + "appG.figure1", corrected=_c("appG.table1", "appG.speedups"),
        where="App. G, Figure 1 and Table 1, p. 40",
        note="The minutes themselves (setting: OPT models, LibriLight, 4 x A100) are not reproducible here "
             "(`hu2025lora.appG.table1.minutes`, inconclusive); the table's and the text's percentages are "
             "consistent with the table's minutes."),
]
