"""Claims on one block of the construction: Lemma 2 (3.9), Lemma 3 (3.14), Lemma 4 (3.16), Lemma 6 and the
gradient-error inequality of Theorem 1's proof, each as the paper states it, plus our labelled corrections.

The paper's claims are audited on the construction its proofs give, with the proofs' own radii R1, R2, R3
(``radius = "paper"``); the 'ours' claims use our safe radius.  Observed quantities come from the approximant
semantics in float64 during the search and from the real transformer run at >= 50 digits for confirmation.
"""
from __future__ import annotations

from functools import lru_cache

import mpmath
import numpy as np

from numeric.wu2025.prompt import Prompt
from numeric.wu2025.quantities import construction_float64, construction_highprec, exact_float64, exact_highprec
from symbolic.wu2025 import bounds as B

from ...claims import Claim, Evaluation, Source
from .common import (QUERY_BALL, instance_size, paper_values, R_APPROX, RP_APPROX, SMOOTH_R, V_BALL, X_BALL, Y_BALL, built, construction_space,
                     instance_config, smooth_applicability)


@lru_cache(maxsize=64)
def _values_at(key: tuple, dps: int) -> dict:
    """The paper's constants at ``dps`` digits for a built configuration (the search uses 30 digits)."""
    from symbolic.wu2025.config import WuConfig

    b = built(WuConfig(**dict(key)))
    if dps <= 30:
        return b.values
    return paper_values(b.wc.config, b.wc, b.eps_r, b.eps_rp, b.eps_l, dps)


def _num(a):
    """Entries as mpf (high precision) or float."""
    if hasattr(a, "detach"):
        return a.detach().numpy()
    return np.asarray(a, dtype=object)


def _absmax(a, b, rows=None):
    d = np.abs(_num(a) - _num(b))
    if rows is not None:
        d = d[rows]
    return max(d.reshape(-1), default=0)


def _rownorm_max(a, b, rows=None):
    d = _num(a) - _num(b)
    if rows is not None:
        d = d[rows]
    if d.dtype == object:
        return max((mpmath.sqrt(mpmath.fsum(v * v for v in row)) for row in d), default=mpmath.mpf(0))
    return float(np.linalg.norm(d, axis=1).max(initial=0.0))


class BlockClaim(Claim):
    """A claim on the quantities of one block at w = prompt['w0']."""

    radius = "paper"
    query_free = False
    mask_query = True
    hypotheses = (X_BALL, Y_BALL, V_BALL, SMOOTH_R, R_APPROX, RP_APPROX)
    ranges: dict = {}
    budget_weight = 2.0

    def applicability(self, ctx):
        return smooth_applicability(ctx)

    pool = 6

    def search_space(self, ctx):
        return construction_space(ctx, self.radius, query_free=self.query_free, pool=self.pool, **self.ranges)

    def evaluate(self, instance, dps=None):
        cfg = instance_config(instance)
        if cfg.radius != self.radius:
            raise ValueError(f"{self.id} audits the construction with radius {self.radius!r}, got {cfg.radius!r}")
        b = built(cfg)
        pr = Prompt.from_dict(instance["prompt"])
        key = tuple(sorted((k, instance["config"][k]) for k in instance["config"]))
        if dps is None:
            cq, eq = construction_float64(b.wc, pr), exact_float64(b.wc, pr, mask_query=self.mask_query)
            vals = b.values
        else:
            with mpmath.workdps(dps):
                cq = construction_highprec(b.wc, pr, dps)
                eq = exact_highprec(b.wc, pr, dps, mask_query=self.mask_query)
            vals = _values_at(key, dps)
        with mpmath.workdps(dps or 30):
            return self.compare(b, pr, cq, eq, vals, dps)

    def compare(self, b, pr, cq, eq, vals, dps) -> Evaluation:
        raise NotImplementedError

    cause = ""

    def size(self, instance) -> int:
        """Free numbers of the instance (weights and data): the smaller witness is preferred."""
        return instance_size(instance)

    def explain(self, instance, ev) -> str:
        c = instance["config"]
        d = ev.details
        part = d.get("worst_part", "")
        return (f"Smallest witness found: N={c['N']}, K={c['K']}, d_x={c['d_in']}, d_y={c['d_out']}, n={c['n']}, "
                f"{c['activation']} activation, {c['loss']} loss, B_v={c['Bv']}, B_x={c['Bx']}, B_y={c['By']}; the "
                f"construction of the proof (approximation radius {d.get('R_r')} for r and {d.get('R_rp')} for r', "
                f"{d.get('knots')} knots, certified eps_r = {d.get('eps_r', 0):.3g}, eps_r' = {d.get('eps_rp', 0):.3g}) "
                f"gives {float(ev.observed):.4g} at {part} against the stated bound {float(ev.bound):.4g} "
                f"(ratio {ev.ratio:.4g}, confirmed at 50 digits on the constructed transformer). {self.cause}")

    @staticmethod
    def worst(pairs, details: dict) -> Evaluation:
        """The (observed, bound) pair with the largest ratio; every pair goes into the details."""
        best = None
        for label, obs, bd in pairs:
            r = float(obs) / float(bd) if float(bd) > 0 else (float("inf") if float(obs) > 0 else 0.0)
            details.setdefault("per_part", {})[label] = {"observed": float(obs), "bound": float(bd), "ratio": r}
            if best is None or r > best[0]:
                best = (r, label, obs, bd)
        details["worst_part"] = best[1]
        return Evaluation(best[2], best[3], details)


def _base_details(b, pr) -> dict:
    a = b.wc.approx
    return {"R_r": float(a.R1), "R_rp": float(a.R2), "R3": float(a.R3), "knots": a.knots,
            "eps_r": float(b.eps_r), "eps_rp": float(b.eps_rp), "eps_l": float(b.eps_l), "n": pr.n}


class Lemma2(BlockClaim):
    id = "wu2025.lemma2"
    source = Source("wu2025", "Lemma 2, eq. (3.8)-(3.9), p. 6 (restated as Lemma 9, p. 19)")
    statement = ("If ||x_i|| <= B_x (i in [n]), ||v_jk|| <= B_v and r is (eps_r, R1, M1, C1)-approximable with "
                 "R1 = max{B_v B_r, 1}, then for any i in [n+1]: ||pbar_i(j) - p_i(j)||_2 <= "
                 "(sum_{l<j} K^{l/2} L_r^l B_v^l) sqrt(K) eps_r (j <= N-1), ... sqrt(d) eps_r (j = N)")
    query_free = True
    rows = None  # all n+1 tokens
    cause = ("Cause: the hypotheses bound ||x_i|| only for i in [n] while the conclusion covers i = n+1, and the "
             "proof's radius R1 = max{B_v B_r, 1} omits the factor sqrt(K) of |v_jk^T p(j-1)| <= B_v sqrt(K) B_r^{j-1}: "
             "pre-activations leave [-R1, R1], where r_bar is not an eps_r-approximation of r (F13, and the radius "
             "finding).")

    def compare(self, b, pr, cq, eq, vals, dps):
        cfg = b.wc.config
        pairs = []
        for j in range(1, cfg.N + 1):
            bound = mpmath.sqrt(cfg.shape.width(j)) * vals[B.S(j)] * vals[B.eps_r]
            pairs.append((f"j={j}", _rownorm_max(cq.p[j - 1], eq.p[j - 1], self.rows_for(pr)), bound))
        return self.worst(pairs, _base_details(b, pr))

    def rows_for(self, pr):
        return None


class Lemma2Context(Lemma2):
    id = "wu2025.lemma2.context"
    source = Source("wu2025", "Lemma 2, eq. (3.9), p. 6, read for i in [n] only (the tokens its hypotheses bound)",
                    "ours")
    statement = "Lemma 2's bound (3.9) for the in-context tokens i in [n], with the proof's radius R1"
    query_free = False
    hypotheses = Lemma2.hypotheses + (QUERY_BALL,)
    cause = ("Cause: R1 = max{B_v B_r, 1} (Lemma 2) bounds |v_jk^T p(j-1)| by B_v times a bound on one coordinate of "
             "p(j-1); Cauchy-Schwarz gives B_v ||p(j-1)||_2 <= B_v sqrt(K) B_r^{j-1}. Pre-activations of layers j >= 2 "
             "leave [-R1, R1], where the approximant is extrapolated linearly and its error is not eps_r.")

    def rows_for(self, pr):
        return slice(0, pr.n)


class Lemma2Safe(Lemma2):
    id = "wu2025.lemma2.safe"
    source = Source("wu2025", "Lemma 2 (3.9) with our radius R = safe_radius >= B_v sqrt(K) sup|r| "
                              "(the pre-activation bound the proof needs)", "ours")
    statement = "(3.9) for i in [n+1] with ||x_{n+1}|| <= B_x and the approximant built on our safe radius"
    radius = "safe"
    query_free = False
    hypotheses = Lemma2.hypotheses + (QUERY_BALL,)


class Lemma3(BlockClaim):
    id = "wu2025.lemma3"
    source = Source("wu2025", "Lemma 3, eq. (3.14), p. 6 (restated as Lemma 10, p. 22)")
    statement = ("With R2 = max{B_v B_r', 1}: for any i in [n+1], j in [N], k: |rbar'_i(j-1)[k] - r'_i(j-1)[k]| "
                 "<= eps_r' + L_r' B_v E_r eps_r")
    query_free = True
    cause = ("Cause: R2 = max{B_v B_r', 1} is built from bounds on |r'|, but the argument of r' is the same "
             "pre-activation v_jk^T p(j-1) as in Lemma 2, bounded by B_v sqrt(K) B_r^{j-1}, not by B_v B_r'; and the "
             "query is unbounded. r_bar' is then evaluated outside [-R2, R2].")

    def compare(self, b, pr, cq, eq, vals, dps):
        bound = vals[B.eps_rp] + vals[B.L_rp] * vals[B.B_v] * vals[B.E_r] * vals[B.eps_r]
        rows = self.rows_for(pr)
        pairs = [(f"j={j + 1}", _absmax(cq.rp[j], eq.rp[j], rows), bound) for j in range(b.wc.config.N)]
        return self.worst(pairs, _base_details(b, pr))

    def rows_for(self, pr):
        return None


class Lemma3Safe(Lemma3):
    id = "wu2025.lemma3.safe"
    source = Source("wu2025", "Lemma 3 (3.14) with our safe radius for r' and a bounded query", "ours")
    statement = "(3.14) with the approximant of r' built on our safe radius, ||x_{n+1}|| <= B_x"
    radius = "safe"
    query_free = False
    hypotheses = Lemma3.hypotheses + (QUERY_BALL,)


class Lemma4(BlockClaim):
    id = "wu2025.lemma4"
    source = Source("wu2025", "Lemma 4, eq. (3.16), p. 7 (restated as Lemma 11, p. 23)")
    statement = ("With R3 = max{B_v B_r, B_y, 1}: for i in [n], |gbar_i[k] - u(p_i(N), y_i)[k]| <= "
                 "eps_l + L_l E_r eps_r")
    ranges = {"losses": ("square", "logcosh", "pseudo_huber")}
    cause = ("Cause: the bound uses E_r eps_r from Lemma 2, which fails when pre-activations leave [-R1, R1] (see "
             "wu2025.lemma2.context); the error of p_bar(N) then enters u(p_bar(N), y) through L_l.")

    def compare(self, b, pr, cq, eq, vals, dps):
        bound = vals[B.eps_l] + vals[B.L_l] * vals[B.E_r] * vals[B.eps_r]
        return self.worst([("g", _absmax(cq.g, eq.g, slice(0, pr.n)), bound)], _base_details(b, pr))


class Lemma4Safe(Lemma4):
    id = "wu2025.lemma4.safe"
    source = Source("wu2025", "Lemma 4 (3.16) on our safe radius (approximants of r and of phi')", "ours")
    statement = "(3.16) with the construction built on our safe radius"
    radius = "safe"


class Lemma6Bound(BlockClaim):
    id = "wu2025.lemma6.bound"
    source = Source("wu2025", "Lemma 6, p. 8 (restated as Lemma 13, p. 26): s_i(j)[k] <= B_s")
    statement = ("For any i in [n+1], j in [N], k: sbar_i(j)[k] <= B_s and s_i(j)[k] <= B_s, "
                 "B_s = max_j (P B_r' B_v)^{N-j} B_r' B_l, P = max{sqrt K, sqrt d}")
    mask_query = False
    ranges = {"Bx": (0.05, 0.1, 1.0), "Bv": (1.0, 1.5, 2.0), "K": (1, 2), "N": (2, 3), "d": (4, 8, 16),
              "By": (1.0,), "activations": ("sigmoid", "tanh"), "n": (1, 2)}
    pool = 8
    cause = ("Cause: the proof bounds (V_{j+1}^T s(j+1))[k] by ||v_{j+1,k}||_2 ||s(j+1)||_2, i.e. with the k-th ROW "
             "of V_{j+1}, but the sum runs over its k-th COLUMN, whose norm is not bounded by B_v: with every row "
             "along one axis the sum reaches B_v K_{j+1} max|s(j+1)| instead of B_v P max|s(j+1)|.")

    def compare(self, b, pr, cq, eq, vals, dps):
        pairs = []
        for j in range(1, b.wc.config.N + 1):
            top = max(max(_num(cq.s[j - 1]).reshape(-1)), max(_num(eq.s[j - 1]).reshape(-1)))
            pairs.append((f"j={j}", top, vals[B.B_s]))
        d = _base_details(b, pr)
        d.update({"B_rp": float(vals[B.B_rp]), "B_l": float(vals[B.B_l]), "P": float(vals[B.P])})
        return self.worst(pairs, d)


class Lemma6Error(BlockClaim):
    id = "wu2025.lemma6.error"
    source = Source("wu2025", "Lemma 6, p. 8 (restated as Lemma 13, p. 26)")
    statement = ("For any i in [n+1], j in [N], k: |sbar_i(j)[k] - s_i(j)[k]| <= E_s^r eps_r + E_s^{r'} eps_r' "
                 "+ E_s^l eps_l (s_i of Definition 3; for the query u_{n+1} = u(p_{n+1}(N), y_{n+1} = 0))")
    mask_query = False
    rows_all = True
    cause = ("Cause: the lemma is stated for i in [n+1], but the construction gates the query (C.14) so that "
             "s_bar_{n+1}(j) = 0, while s_{n+1}(j) of Definition 3 (with u_{n+1} = u(p_{n+1}(N), 0)) is not 0; for "
             "in-context tokens alone (wu2025.lemma6.error.context) no violation was found.")

    def compare(self, b, pr, cq, eq, vals, dps):
        bound = vals[B.E_s_r] * vals[B.eps_r] + vals[B.E_s_rp] * vals[B.eps_rp] + vals[B.E_s_l] * vals[B.eps_l]
        rows = None if self.rows_all else slice(0, pr.n)
        pairs = [(f"j={j}", _absmax(cq.s[j - 1], eq.s[j - 1], rows), bound) for j in range(1, b.wc.config.N + 1)]
        return self.worst(pairs, _base_details(b, pr))


class Lemma6ErrorContext(Lemma6Error):
    id = "wu2025.lemma6.error.context"
    source = Source("wu2025", "Lemma 6 read for i in [n] (the query is gated to sbar_{n+1} = 0 by (C.14))", "ours")
    statement = "Lemma 6's error bound for the in-context tokens i in [n], with the proof's radii"
    mask_query = True
    rows_all = False


class Lemma6ErrorSafe(Lemma6ErrorContext):
    id = "wu2025.lemma6.error.safe"
    source = Source("wu2025", "Lemma 6's error bound for i in [n] on our safe radius", "ours")
    statement = "Lemma 6's error bound for i in [n] with the construction on our safe radius"
    radius = "safe"


class Theorem1GradError(BlockClaim):
    id = "wu2025.theorem1.grad_error"
    source = Source("wu2025", "proof of Theorem 1, p. 30-31: ||grad_bar L_n(w) - grad L_n(w)||_2 <= (N/2) P "
                              "[(E_s^r eps_r + E_s^{r'} eps_r' + E_s^l eps_l) sqrt(P) B_r + B_s E_r eps_r] for any w")
    statement = "||grad_bar L_n(w) - grad L_n(w)||_2 <= (N/2) P [(E_s^r eps_r + E_s^r' eps_r' + E_s^l eps_l) sqrt(P) B_r + B_s E_r eps_r]"
    ranges = {"losses": ("square", "logcosh")}
    cause = ("Cause: the chain of Lemmas 2-6 fails once pre-activations leave the proof's approximation intervals "
             "(see wu2025.lemma2.context); in addition the proof bounds sum_k |s_bar(j)[k] - s(j)[k]| ||p_bar(j-1)|| "
             "with a factor P^{3/2} where Cauchy-Schwarz gives K_j ||p_bar(j-1)|| <= K_j sqrt(K) B_r.")

    def compare(self, b, pr, cq, eq, vals, dps):
        g = _num(cq.grad) - _num(eq.grad)
        obs = mpmath.sqrt(mpmath.fsum(v * v for v in g)) if g.dtype == object else float(np.linalg.norm(g))
        return self.worst([("grad", obs, vals[B.eps])], _base_details(b, pr))


class Theorem1GradErrorSafe(Theorem1GradError):
    id = "wu2025.theorem1.grad_error.safe"
    source = Source("wu2025", "the gradient-error inequality of Theorem 1's proof on our safe radius", "ours")
    statement = "the same inequality with the construction built on our safe radius"
    radius = "safe"


class Theorem4GradError(Theorem1GradError):
    id = "wu2025.theorem4"
    source = Source("wu2025", "Theorem 4, p. 34 (repeats Theorem 1 for d_x != d_y; P = max{sqrt K, sqrt d_y}); "
                              "audited through the gradient-error inequality of Theorem 1's proof")
    statement = "Theorem 1's gradient-error bound for networks with input dimension d_x != output dimension d_y"
    ranges = {"d": (1, 2, 3), "d_out": (1, 2), "losses": ("square",)}


class Theorem4GradErrorSafe(Theorem4GradError):
    id = "wu2025.theorem4.safe"
    source = Source("wu2025", "Theorem 4's gradient-error bound on our safe radius", "ours")
    statement = "Theorem 4 with the construction built on our safe radius"
    radius = "safe"


LEMMA_CLAIMS = [Lemma2(), Lemma2Context(), Lemma2Safe(), Lemma3(), Lemma3Safe(), Lemma4(), Lemma4Safe(),
                Lemma6Bound(), Lemma6Error(), Lemma6ErrorContext(), Lemma6ErrorSafe(), Theorem1GradError(),
                Theorem1GradErrorSafe(), Theorem4GradError(), Theorem4GradErrorSafe()]
