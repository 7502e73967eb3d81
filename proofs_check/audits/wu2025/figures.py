"""Wu et al.'s figures and reported experimental statements as claims (Section 5, p. 9; Appendix F, p. 44-47).

Each figure statement is a claim with the setting the paper states for it.  None is decidable in an audit: the
setting is a GPT-2 pretraining run (12 blocks, 500k steps, 6400 test prompts) whose weights and code the paper does
not ship, so the verdict is ``inconclusive`` with that reason.  Our reduced-scale reading of the same statements
(a 4-layer GPT-2-style model trained on CPU, spec Sec. 8.3) is ``icl-verify experiment wu2025-icl``; each of its
verdict rows names the claim below that it reads (``FIGURE_OF_ROW``), and its numbers are evidence at that scale
only, never a verdict on the paper's figure.
"""
from __future__ import annotations

from ...claims import Claim, Source
from ...methods import Undecidable

PAPER = "wu2025"
SETTING = ("GPT-2 backbone (12 blocks, 8 heads, hidden 256), ReLU- or softmax-attention; x in R^20 from "
           "w1 N(-2, I) + w2 N(2, I); targets y = f(x), f an N-layer network with N(0, I) parameters (width, "
           "activation and scaling unspecified); pretraining 500k steps, batch 64, 50 examples from N(-2, I); "
           "testing 6400 prompts of 75 examples, mean R^2; baseline: an N-layer FFN (200 hidden) trained 100 epochs "
           "on the k - 1 examples, best epoch (App. F.1, p. 44-45)")
WHY = ("the stated setting is a GPU pretraining run ({setting}) whose weights and code are not released, beyond any "
       "audit budget; `icl-verify experiment wu2025-icl` reads this statement at reduced scale (ours, spec 8.3), "
       "which is evidence at that scale, not a verdict on the figure")


class FigureClaim(Claim):
    """One reported experimental statement; its method says why an audit cannot decide it."""

    hypotheses = ()

    def __init__(self, cid: str, where: str, statement: str, setting: str = SETTING, note: str = ""):
        self.id, self.statement = cid, statement
        self.source = Source(PAPER, where, about="figure", note=note)
        self.methods = Undecidable(WHY.format(setting=setting))


FIGURE_CLAIMS = [
    FigureClaim("wu2025.fig2.tracks_training", "Section 5 and Figure 2, p. 9",
                "ICL of the ReLU- and the Softmax-Transformer learns the 6-layer NN and achieves R^2 comparable to "
                "training the network on the prompt's examples, in distribution (N(-2, I))"),
    FigureClaim("wu2025.fig3.relu_targets", "Appendix F.1.1 and Figure 3, p. 45",
                "ReLU-Transformer, 3-, 4- and 6-layer targets: R^2 comparable to training with the prompt's "
                "examples; ICL performance declines as the test mixture (0.9/0.1, 0.7/0.3, 0.5/0.5) diverges from "
                "N(-2, I)"),
    FigureClaim("wu2025.fig4.softmax_targets", "Appendix F.1.2 and Figure 4, p. 45",
                "Softmax-Transformer, 3-, 4- and 6-layer targets: as Figure 3, and performance decreases when the "
                "prompt length exceeds the pretraining length 50 (Figure 4's caption)"),
    FigureClaim("wu2025.appF1.length_generalisation", "Appendix F.1, closing paragraph, p. 45",
                "the performance of ICL matches that of training N-layer networks 'regardless of whether the prompt "
                "lengths are within or exceed those used in pretraining'",
                note="the same page's Figure 4 caption says the Softmax-Transformer's performance decreases beyond "
                     "length 50: the two sentences disagree about one figure (a reading of the text, not a "
                     "computation)"),
    FigureClaim("wu2025.fig5_6.parameter_shift", "Appendix F.2, Figures 5 and 6, p. 45-46",
                "4-layer targets whose test parameters are N(0, I), N(-0.5, I) or N(0.5, I) (pretraining N(0, I)): "
                "ICL matches training the network on the prompt, for both transformers"),
    FigureClaim("wu2025.fig7.depth", "Appendix F.3 and Figure 7, p. 46-47",
                "R^2 at 15, 30 and 45 in-context examples increases with the transformer's depth (4, 6, 8, 10 "
                "layers): ReLU about 0.82 -> 0.88, Softmax about 0.85 -> 0.91 (the plotted ranges), 'supporting the "
                "idea that scaling up the transformer enables it to perform more ICGD steps'",
                setting=SETTING.replace("12 blocks", "4, 6, 8 or 10 layers")),
    FigureClaim("wu2025.sec5.validates_theorems", "Section 5, p. 9",
                "the experiments 'validate the performance of ICL matches that of training N-layer networks, i.e., "
                "the results in Theorem 1, Theorem 2, and Theorem 4'",
                note="the paper concedes that 'the trained transformers do not always achieve the theoretical "
                     "construction'; a trained GPT-2 (LayerNorm, positional embeddings, no element-wise "
                     "multiplication layers) is no instance of the (2N + 4)L-layer construction, so the figures do "
                     "not bear on the theorems' error bounds (spec F19)"),
]

# the experiment's verdict rows (proofs_check.experiments.wu2025_icl_report) -> the claim each reads
FIGURE_OF_ROW = {"Fig 2": "wu2025.fig2.tracks_training", "Fig 3": "wu2025.fig3.relu_targets",
                 "Fig 4": "wu2025.fig4.softmax_targets", "Fig 4 caption / F.1": "wu2025.appF1.length_generalisation",
                 "Fig 5": "wu2025.fig5_6.parameter_shift", "Fig 6": "wu2025.fig5_6.parameter_shift",
                 "Fig 7": "wu2025.fig7.depth"}
