"""Claims of Wu et al. (ICML 2025), each with its hypotheses, its source and a declared method for the engine.

Claims of the paper are encoded as printed (source kind 'paper'); a corrected or restricted reading is a
separate claim with source kind 'ours'.  Claim modules: ``lemmas`` (one block: Lemmas 2-4, 6, the gradient
error; on ``block``), ``theorem1`` (Theorem 1 as stated, Corollary 1.1), ``lemma14``, ``norms`` ((B.1)/(3.19)),
``safe_radius`` (our radius's containment), ``findings`` (Lemmas 1, 5, 15, the query gate, the proofs' identities,
resources, ReLU); ``softmax`` and ``appg``
(Theorem 2 / Lemma 16, Appendix G); ``figures`` (Section 5 and Appendix F's reported statements, undecidable
in an audit: the paper's setting is a GPU pretraining run).  The construction claims share the witness pool ``wu2025.construction``.
"""
from __future__ import annotations

from symbolic.errors import ConfigError
from symbolic.wu2025.config import WuConfig

from .appg import APPG_CLAIMS
from .figures import FIGURE_CLAIMS
from .findings import FINDING_CLAIMS
from .lemma14 import LEMMA14_CLAIMS
from .lemmas import LEMMA_CLAIMS
from .norms import NORM_CLAIMS
from .safe_radius import SAFE_RADIUS_CLAIMS
from .softmax import SOFTMAX_CLAIMS
from .theorem1 import THEOREM1_CLAIMS

CORE_CLAIMS = (FINDING_CLAIMS[:3] + LEMMA_CLAIMS + SAFE_RADIUS_CLAIMS + NORM_CLAIMS + THEOREM1_CLAIMS + LEMMA14_CLAIMS
               + FINDING_CLAIMS[3:])
CLAIMS = CORE_CLAIMS + list(SOFTMAX_CLAIMS) + list(APPG_CLAIMS) + FIGURE_CLAIMS


def configure(args) -> dict:
    """Narrow the search to the shared CLI options given (sizes, activation, loss, constants)."""
    opts: dict = {"ranges": {}}
    r = opts["ranges"]
    g = lambda name: getattr(args, name, None)  # noqa: E731
    given = {k: g(k) for k in ("depth", "width", "dim", "dim_in", "dim_out", "context", "eta", "Bv", "Bx", "By",
                                "activation", "loss", "knots")}
    if any(v is not None for v in given.values()):
        cfg = WuConfig.from_args(args, L=1)  # validates every option (exit 2 on bad input)
        opts["config"] = cfg
        for key, attr in (("N", "depth"), ("K", "width"), ("n", "context"), ("knots", "knots")):
            if g(attr) is not None:
                r[key] = (getattr(cfg, {"N": "N", "K": "K", "n": "n", "knots": "knots"}[key]),)
        if g("dim") is not None or g("dim_in") is not None:
            r["d"] = (cfg.d_in,)
            if cfg.d_in != cfg.d_out:
                r["d_out"] = (cfg.d_out,)
        for key in ("Bv", "Bx", "By", "eta"):
            if g(key) is not None:
                r[key] = (getattr(cfg, key),)
        if g("activation") is not None:
            r["activations"] = (cfg.activation,)
            opts["activations"] = (cfg.activation,)
        if g("loss") is not None:
            r["losses"] = (cfg.loss,)
    if g("eps") is not None:
        try:
            opts["eps_grid"] = (float(g("eps")),)
        except ValueError:
            raise ConfigError("--eps", f"must be a number, got {g('eps')!r}") from None
    return opts
