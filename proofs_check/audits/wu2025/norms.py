"""The parameter-norm claims of Lemmas 2-5 and of the gradient layer, (B.1) and (3.19), decided exactly.

Norms are computed with exact rationals on the constructed layers (``symbolic.transformer.*.param_norm``):
||A||_1 is the maximum absolute column sum (Notation, p. 2); (B.1) adds max_m {||Q_m||_1, ||K_m||_1},
sum_m ||V_m||_1 and ||W_1||_1 + ||W_2||_1.  The constants C1, C2 are the approximants' own sum |c| (the smallest
value the approximability hypothesis allows), C3 the sum over k of the per-coordinate C3^k (the most generous
reading of the undefined C3).  Each claim is a scan over configurations, smallest first, evaluated exactly: the
first violation is the smallest witness, confirmed in exact arithmetic.
"""
from __future__ import annotations

from fractions import Fraction

import mpmath
import numpy as np

from symbolic.wu2025.config import WuConfig

from ...claims import Claim, Evaluation, Hypothesis, Source, Tier
from ...methods import Grid
from .common import config_dict, feasible, instance_config, setup

GRID = dict(N=(2, 3, 4), K=(1, 2, 3, 4), d=(1, 2, 3, 4, 6), n=(1, 2, 4, 8), Bv=(0.5, 1.0, 2.0, 4.0),
            By=(0.5, 1.0, 3.0), eta=(0.1, 0.5, 1.0, 2.0), knots=(4, 8, 16), activation=("sigmoid", "tanh", "softplus"))
SCAN_CONFIGS = 40


def _mp(x):
    if isinstance(x, Fraction):
        return mpmath.mpf(x.numerator) / x.denominator
    return mpmath.mpf(x)


def _sizes(inst):
    cfg = instance_config(inst)
    return True, f"N={cfg.N}, K={cfg.K}, d_x={cfg.d_in}, d_y={cfg.d_out}, n={cfg.n}"


def norm_grid(ctx, salt: str = "norms") -> list[dict]:
    """Configurations of the grid (a seeded sample of its product, scaled by the budget), smallest first."""
    import zlib

    rng = np.random.default_rng(zlib.crc32(salt.encode()) + (ctx.seed if ctx is not None else 0))
    count = max(12, int(SCAN_CONFIGS * (ctx.scale if ctx is not None else 1)))
    opts = (ctx.options or {}).get("ranges", {}) if ctx is not None else {}
    g = {k: tuple(opts.get(k, v)) for k, v in GRID.items()}
    if opts.get("activations"):
        g["activation"] = tuple(opts["activations"])
    out, seen = [], set()
    corners = [dict(N=min(g["N"]), K=min(g["K"]), d=min(g["d"]), n=min(g["n"])),
               dict(N=min(g["N"]), K=min(g["K"]), d=max(g["d"]), n=min(g["n"])),
               dict(N=max(g["N"]), K=max(g["K"]), d=max(g["d"]), n=max(g["n"]))]
    for k in range(count + len(corners)):
        v = {key: vals[int(rng.integers(len(vals)))] for key, vals in g.items()}
        if k < len(corners):
            v.update(corners[k])
        cfg = WuConfig(d_in=v["d"], d_out=v["d"], K=v["K"], N=v["N"], n=v["n"], L=1, eta=v["eta"], Bv=v["Bv"],
                       Bx=1.0, By=v["By"], activation=v["activation"], loss="square", knots=v["knots"],
                       radius="paper")
        key = tuple(sorted(config_dict(cfg).items()))
        if key in seen or not feasible(cfg)[0]:
            continue
        seen.add(key)
        out.append({"config": config_dict(cfg)})
    out.sort(key=lambda inst: (instance_config(inst).shape.num_params, inst["config"]["n"], inst["config"]["knots"],
                               str(inst["config"])))
    return out


class NormClaim(Claim):
    hypotheses = (Hypothesis("valid sizes", "N >= 2, K, d, n >= 1 (construction built as in the proof)", _sizes),)
    methods = Grid(tier=Tier.SEARCHED, precision="exact", stop_at_first=True,
                   label="scan over configurations, smallest first, exact rational norms")
    narrowing = ("configurations: a seeded sample of the grid N in {2,3,4}, K in {1..4}, d in {1,2,3,4,6}, n in "
                 "{1,2,4,8}, B_v in {0.5,1,2,4}, B_y in {0.5,1,3}, eta in {0.1,0.5,1,2}, knots in {4,8,16}, "
                 "r in {sigmoid, tanh, softplus}, square loss (the claims are for every configuration)",
                 "the approximants are our interpolants on the proof's radii (C1, C2 = their sum |c|)")
    cause = ""

    def grid(self, ctx):
        return norm_grid(ctx)

    def evaluate(self, instance, dps=None):
        b = setup(instance_config(instance))
        obs, bound, details = self.norms(b)
        with mpmath.workdps(dps or 30):
            return Evaluation(_mp(obs), _mp(bound) if not isinstance(bound, mpmath.mpf) else bound,
                              {**details, "observed_exact": str(obs), "bound_exact": str(bound)})

    def size(self, instance) -> int:
        return instance_config(instance).shape.num_params

    def explain(self, instance, ev) -> str:
        c = instance["config"]
        return (f"Smallest witness of the scan: N={c['N']}, K={c['K']}, d_x={c['d_in']}, d_y={c['d_out']}, "
                f"n={c['n']}, eta={c['eta']}, B_v={c['Bv']}, B_y={c['By']}, {c['knots']} knots: the layer the proof "
                f"constructs has norm {ev.details['observed_exact']} = {float(ev.observed):.6g} against the stated "
                f"{ev.details['bound_exact']} = {float(ev.bound):.6g} (exact rational arithmetic). {self.cause}")


class Lemma2Norm(NormClaim):
    id = "wu2025.lemma2.norm"
    source = Source("wu2025", "Lemma 2, p. 6 (restated Lemma 9, p. 20): B_theta_j <= 1 + K C1")
    statement = "For any j in [N], the (B.1) norm of Attn_theta_j satisfies B_theta_j <= 1 + K C1"
    cause = ("Cause: layer N has d output units, so (B.1) sums d M1 value matrices: B_theta_N = 1 + d C1 > 1 + K C1 "
             "when d > K (the proof's last line even reads 1 + C1).")

    def norms(self, b):
        N = b.wc.config.N
        per = [b.wc.blocks[0].layers[j].param_norm()["B1"] for j in range(N)]
        return max(per), 1 + b.wc.config.K * b.wc.approx.r.C, {"per_layer": [str(v) for v in per],
                                                                "C1": float(b.wc.approx.r.C)}


class Lemma3Norm(NormClaim):
    id = "wu2025.lemma3.norm"
    source = Source("wu2025", "Lemma 3, p. 6 (restated Lemma 10, p. 22): B_theta_{N+1} <= 1 + K(N-1) C2")
    statement = "The (B.1) norm of Attn_theta_{N+1} satisfies B_theta_{N+1} <= 1 + K(N-1) C2"
    cause = ("Cause: the layer has one head per (j, m, k) for all j in [N] and k in [K_j]: (N-1)K + d groups of "
             "value matrices, so B = 1 + ((N-1)K + d) C2 > 1 + K(N-1) C2 for every d >= 1.")

    def norms(self, b):
        cfg = b.wc.config
        obs = b.wc.blocks[0].layers[cfg.N].param_norm()["B1"]
        return obs, 1 + cfg.K * (cfg.N - 1) * b.wc.approx.rp.C, {"C2": float(b.wc.approx.rp.C),
                                                                  "heads": b.wc.blocks[0].layers[cfg.N].size}


class Lemma4Norm(NormClaim):
    id = "wu2025.lemma4.norm"
    source = Source("wu2025", "Lemma 4, p. 7 (restated Lemma 11, p. 24): B_theta_{N+2} <= max{R3 + 1, C3}",
                    note="C3 read as sum_k C3^k (the most generous reading of the undefined C3)")
    statement = "The (B.1) norm ||W_1||_1 + ||W_2||_1 of MLP_theta_{N+2} is at most max{R3 + 1, C3}"
    cause = ("Cause: (B.1) adds ||W_1||_1 and ||W_2||_1 (the claim takes a max), and W_1's columns for the constant "
             "1 and for t hold -R3 and +R3 in all M3 rows, so ||W_1||_1 >= M3 R3, not R3 + 1.")

    def norms(self, b):
        cfg = b.wc.config
        pn = b.wc.blocks[0].layers[cfg.N + 1].param_norm()
        C3 = cfg.d_out * b.wc.approx.u.C  # sum over k of C3^k
        R3 = b.wc.approx.R3
        return pn["B1"], max(R3 + 1, C3), {"W1": str(pn["W1"]), "W2": str(pn["W2"]), "R3": str(R3),
                                           "C3 (sum_k C3^k)": str(C3)}


class Lemma5Norm(NormClaim):
    id = "wu2025.lemma5.norm"
    source = Source("wu2025", "Lemma 5, p. 7 (restated Lemma 12, p. 25-26): B_theta_{N+2+j} <= 1 under (3.19)")
    statement = "Each EWML layer has max_m {||Q_m||_1, ||K_m||_1, ||V_m||_1} <= 1 (3.19)"

    def norms(self, b):
        N = b.wc.config.N
        per = [b.wc.blocks[0].layers[N + 2 + i].param_norm()["eq3_19"] for i in range(N)]
        return max(per), Fraction(1), {"per_layer": [str(v) for v in per]}


class GradLayerNorm(NormClaim):
    id = "wu2025.theorem1.grad_layer_norm"
    source = Source("wu2025", "proof of Theorem 1, p. 30: B_theta_{2N+3} <= 1 + 2 eta N K", about="proof_step")
    statement = "The (B.1) norm of the gradient-step attention layer (C.16) is at most 1 + 2 eta N K"
    cause = ("Cause: (C.16) has 2((N-1)K + d) heads, each with ||V||_1 = eta (n+1)/(2n): the sum is "
             "eta (n+1)/n ((N-1)K + d), which exceeds 2 eta N K when d > K and n is small.")

    def norms(self, b):
        cfg = b.wc.config
        obs = b.wc.blocks[0].layers[2 * cfg.N + 2].param_norm()["B1"]
        eta = Fraction(str(cfg.eta))
        return obs, 1 + 2 * eta * cfg.N * cfg.K, {"eta": str(eta), "n": cfg.n, "dimP": cfg.shape.dim_p}


NORM_CLAIMS = [Lemma2Norm(), Lemma3Norm(), Lemma4Norm(), Lemma5Norm(), GradLayerNorm()]
