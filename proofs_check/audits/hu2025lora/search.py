"""Inequalities and error bounds of the low-rank chain (Lemmas 3.3-3.7, C.4, C.7, our corrected chain, the full
case, the polynomial bounds, the rank sandwich), searched adversarially inside their hypotheses.

Method: ``Search(evaluations, floor)``: the engine's portfolio (explore / local / CMA-ES) spends the evaluation
budget on float64 observed/bound, then confirms the smallest violating instances and the best one at the audit's
precision.  Every instance carries what ``evaluate`` needs (arrays, degree, method, chain variant), so a witness
replays from the registry.  The spaces are narrower than the hypotheses (bounded L, d, g; boxes for the entries):
each claim declares its space and narrowing.
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import mpmath
import numpy as np

from numeric.hu2025lora import checks as CK
from numeric.hu2025lora import hardness as HD
from numeric.hu2025lora import instances as INS
from numeric.hu2025lora import lowrank as LR
from numeric.hu2025lora import poly as PL
from symbolic.hu2025lora import bounds as BD

from ...claims import Claim, Evaluation, Hypothesis
from ...methods import Search, Undecidable
from ...search import Candidate, SearchSpace
from .common import EXPLICIT, PAPER, POLY, as_float, hp, jsonable, src, workdps
from .hypotheses import CHAIN_HYPS, H_DELTA, H_RANK, H_SHAPES, delta_ok

# --------------------------------------------------------------------------------------------- search spaces


def _tanh_box(v, shape, scale=1.0):
    n = int(np.prod(shape))
    return scale * np.tanh(v[:n]).reshape(shape), v[n:]


def _set(xs) -> str:
    """{a, b, c} in the given order (a printed Python set would depend on the hash seed)."""
    return "{" + ", ".join(str(x) for x in dict.fromkeys(xs)) + "}"


def _sigmoid(x):
    return 1 / (1 + math.exp(-x))


JITTER = 0.05        # raw-coordinate jitter of the aligned seeds (ChainSpace.aligned_vector)


class ChainSpace:
    """Instances of (3.3) inside the hypotheses of Thm 3.1: ||C1 W||_max = Gamma, ||C2||_max <= Gamma, with a
    polynomial (method, g) whose relative error on [-R, R] is below 1/2 (``fit_delta``)."""

    def __init__(self, Ls=(4, 8, 16), ds=(2, 3, 4), gs=range(2, 9), gamma=(0.05, 1.5), k2s=("2d",), chains=("ours",),
                 aligned: bool = False):
        self.Ls, self.ds, self.gs, self.gamma, self.k2s, self.chains = Ls, ds, list(gs), gamma, k2s, chains
        self.aligned = aligned      # seed with the instances on which E_p1 is nearly attained (``aligned_vector``)

    def description(self) -> str:
        return (f"(3.3) instances: L in {_set(self.Ls)}, d in {_set(self.ds)}, 1 <= r < d, g in "
                f"{self.gs[0]}..{self.gs[-1]}, method in {_set(BD.METHODS)}, Gamma in [{self.gamma[0]}, "
                f"{self.gamma[1]}] (||C1 W||_max = Gamma), C1, C2 in tanh boxes, ||C3||_max, ||Y||_max in [0.1, 3], "
                f"||W-bar||_max <= 0.3, ||B||_max, ||A||_max <= 1, k2 in {_set(self.k2s)}, "
                f"chain in {_set(self.chains)}")

    def narrowing(self) -> str:
        return (f"L <= {max(self.Ls)}, d <= {max(self.ds)}, g <= {self.gs[-1]}, Gamma <= {self.gamma[1]}, "
                f"||C3||_max, ||Y||_max <= 3, ||W-bar||_max <= 0.3 (the hypotheses bound none of these)")

    def sample(self, rng):
        L, d = int(rng.choice(self.Ls)), int(rng.choice(self.ds))
        r = int(rng.integers(1, d))
        disc = {"L": L, "d": d, "r": r, "g": int(rng.choice(self.gs)), "method": str(rng.choice(BD.METHODS)),
                "k2": str(rng.choice(self.k2s)), "chain": str(rng.choice(self.chains))}
        return Candidate(disc, rng.normal(0, 1, self.vector_size(L, d, r)))

    def vector_size(self, L: int, d: int, r: int) -> int:
        """The length of a candidate's real vector (what ``decode`` reads)."""
        return 4 * L * d + d * d + 2 * d * r + 4

    def decode(self, c):
        z, v = c.discrete, c.vector
        L, d, r = z["L"], z["d"], z["r"]
        C1, v = _tanh_box(v, (L, d))
        C2, v = _tanh_box(v, (L, d))
        C3, v = _tanh_box(v, (L, d))
        Y, v = _tanh_box(v, (L, d))
        Wbar, v = _tanh_box(v, (d, d), 0.3)
        B, v = _tanh_box(v, (d, r), 1.0)
        A, v = _tanh_box(v, (r, d), 1.0)
        lo, hi = self.gamma
        G = lo + (hi - lo) * _sigmoid(v[0])
        t2 = 0.1 + 0.9 * _sigmoid(v[1])
        m3 = 0.1 + 2.9 * _sigmoid(v[2])
        mY = 0.1 + 2.9 * _sigmoid(v[3])
        n1 = np.abs(C1 @ (Wbar + B @ A)).max()
        if n1 == 0 or np.abs(C2).max() == 0:
            raise ValueError("degenerate instance")
        C1 = C1 * (G * (1 - 1e-12) / n1)
        C2 = C2 * (G * t2 / np.abs(C2).max())

        def make(g, shrink):
            return {"kind": "partial", "L": L, "d": d, "r": r, "beta": 1.0, "Gamma": G * shrink, "g": g,
                    "method": z["method"], "k2": z["k2"], "chain": z["chain"],
                    **INS._lists(C1=shrink * C1, C2=shrink * C2, C3=m3 * C3, Y=mY * Y, Wbar=Wbar, B=B, A=A)}

        return self.fit_delta(make, z["g"])

    def fit_delta(self, make, g0):
        """The instance ``make(g, shrink)`` inside the hypothesis delta < 1/2: the candidate's degree if it is
        enough, else the smallest larger degree of the space that is, else the norms (Gamma, C1 or X^(Q), C2 or
        X^(K)) shrunk by 0.8 until it is (so every candidate decodes into the hypotheses, deterministically)."""
        for g in [g for g in self.gs if g >= g0]:
            inst = make(g, 1.0)
            if delta_ok(inst)[0]:
                return inst
        shrink = 1.0
        for _ in range(60):
            shrink *= 0.8
            inst = make(g0, shrink)
            if delta_ok(inst)[0]:
                return inst
        raise ValueError("polynomial relative error >= 1/2")

    def seeds(self, count: int = 88) -> list[Candidate]:
        """The referee's first tries: for a space of E_p1's claims (``aligned``), on each size (the largest, the
        smallest, then the two mixed ones) the instances on which every step of the bound's derivation is tight
        (``aligned_seeds``); then near the corners of every tanh box (raw coordinates +-2, tanh(2) = 0.96 of the
        box's edge, not saturated, with fixed random signs and a N(0, 1/4) jitter: equal magnitudes or constant
        signs alone make the matrices degenerate, with bounds of 0 and float64 artefacts) and a point at +-1
        between, every method and the smallest and largest degree in turn."""
        rng = np.random.default_rng(3)
        probe = self.sample(np.random.default_rng(0)).discrete      # the space's other discrete choices
        sizes = ((max(self.Ls), max(self.ds)), (min(self.Ls), min(self.ds)), (max(self.Ls), min(self.ds)),
                 (min(self.Ls), max(self.ds)))
        aligned = self.aligned_seeds(sizes, probe) if self.aligned else []
        out = []
        for L, d in sizes:
            for k, method in enumerate(BD.METHODS):
                disc = dict(probe, L=L, d=d, r=d - 1, method=str(method),
                            g=self.gs[0] if k % 2 == 0 else self.gs[-1])
                size = self.vector_size(L, d, d - 1)
                for scale in (2.0, 1.0, 2.0):       # near a corner, an inner point, near another corner
                    out.append(Candidate(disc, scale * rng.choice([-1.0, 1.0], size)
                                         + 0.5 * rng.standard_normal(size)))
        return (aligned + out)[:count]

    def aligned_seeds(self, sizes, probe) -> list[Candidate]:
        """``aligned_vector`` at the smallest degree on every size: the corner where the derivation is tightest
        first (small Gamma: nearly equal softmax weights; small ||C3||, large ||Y||: the E_q term, which the c step
        does not attain, is the smallest part of E_p1) with every method, then the other seven corners, the methods
        in turn."""
        tight = (-10.0, -10.0, 10.0)       # raw coordinates: sigmoid(+-10) puts each constant at its range's end
        corners = [tight] + [c for c in itertools.product((-10.0, 10.0), repeat=3) if c != tight]
        aligned, k = [], 0
        for corner in corners:
            for L, d in sizes:
                for method in (BD.METHODS if corner == tight else (BD.METHODS[k % len(BD.METHODS)],)):
                    disc = dict(probe, L=L, d=d, r=d - 1, method=str(method), g=self.gs[0])
                    aligned.append(Candidate(disc, self.aligned_vector(L, d, d - 1, *corner)))
                k += 1
        return aligned

    def aligned_vector(self, L: int, d: int, r: int, G: float, m3: float, mY: float) -> np.ndarray:
        """The raw vector of an instance on which E_p1 = (1 + eta) E_q + eta M_q is nearly attained: C3 = M3 1 s^T
        and Y = -MY 1 s^T (s alternating signs), so c = f C3 - Y = (M3 + MY) 1 s^T and every entry of q^T is
        d M3 (M3 + MY) = M_q; keys C2 alternating +-(1, ..., 1) and queries C1 = (1, ..., 1), so each row of scores
        alternates +-||Q_j|| ||K_l|| = +-R, the two ends where the polynomial's relative error has opposite signs
        and (for small Gamma) nearly equal softmax weights: the normalised f~ errs by about eta/2 on every entry
        (its row l1 error is at most eta times the row's mass, and the positive and negative errors each carry half
        of it).  ``G``, ``m3``, ``mY``: raw coordinates of Gamma, ||C3||_max, ||Y||_max (sigmoid scales)."""
        s = np.where(np.arange(d) % 2 == 0, 1.0, -1.0)
        alt = np.where(np.arange(L) % 2 == 0, 1.0, -1.0)
        parts = [np.full((L, d), 2.0), np.outer(alt, np.full(d, 2.0)), np.tile(2.0 * s, (L, 1)),
                 np.tile(-2.0 * s, (L, 1)), 2.0 * np.eye(d), np.full((d, r), 2.0), np.full((r, d), 2.0)]
        v = np.concatenate([p.ravel() for p in parts])
        # a small fixed jitter: exactly constant blocks make the steps degenerate (c~ = c exactly, bounds of 0 that
        # the rounding residue of q~ - q exceeds at any precision)
        v = v + JITTER * np.random.default_rng(L * 100 + d).standard_normal(v.size)
        v = np.concatenate([v, np.array([G, 3.0, m3, mY])])
        assert v.size == self.vector_size(L, d, r)
        return v

    def space(self):
        return SearchSpace(self.sample, self.decode, seeds=self.seeds(), step=0.4, description=self.description())


class FullSpace(ChainSpace):
    """Def. A.1 instances (alpha/r = beta = 1) with all six adapters, ||X^(Q) W_Q||_max = Gamma."""

    def description(self) -> str:
        return (f"Def. A.1 instances: L in {_set(self.Ls)}, d in {_set(self.ds)}, 1 <= r < d, g in "
                f"{self.gs[0]}..{self.gs[-1]}, method in {_set(BD.METHODS)}, Gamma in [{self.gamma[0]}, "
                f"{self.gamma[1]}] (||X^(Q) W_Q||_max = Gamma), X's, Y in tanh boxes, ||W*||_max <= 1/sqrt(d), "
                "adapters ||.||_max <= 1/2")

    def narrowing(self) -> str:
        return (f"L <= {max(self.Ls)}, d <= {max(self.ds)}, g <= {self.gs[-1]}, Gamma <= {self.gamma[1]}, "
                "||W*||_max <= 1/sqrt(d), adapters ||.||_max <= 1/2 (the hypotheses bound none of these)")

    def sample(self, rng):
        L, d = int(rng.choice(self.Ls)), int(rng.choice(self.ds))
        r = int(rng.integers(1, d))
        disc = {"L": L, "d": d, "r": r, "g": int(rng.choice(self.gs)), "method": str(rng.choice(BD.METHODS))}
        return Candidate(disc, rng.normal(0, 1, self.vector_size(L, d, r)))

    def vector_size(self, L: int, d: int, r: int) -> int:
        return 4 * L * d + 3 * d * d + 6 * d * r + 2

    def decode(self, c):
        z, v = c.discrete, c.vector
        L, d, r = z["L"], z["d"], z["r"]
        arr = {}
        for k in ("XQ", "XK", "XV", "Y"):
            arr[k], v = _tanh_box(v, (L, d))
        for k in ("WQs", "WKs", "WVs"):
            arr[k], v = _tanh_box(v, (d, d), 1 / math.sqrt(d))
        for m in "QKV":
            arr["B" + m], v = _tanh_box(v, (d, r), 0.5)
            arr["A" + m], v = _tanh_box(v, (r, d), 0.5)
        lo, hi = self.gamma
        G = lo + (hi - lo) * _sigmoid(v[0])
        WQ = arr["WQs"] + arr["BQ"] @ arr["AQ"]
        WK = arr["WKs"] + arr["BK"] @ arr["AK"]
        n1, n2 = np.abs(arr["XQ"] @ WQ).max(), np.abs(arr["XK"] @ WK).max()
        if n1 == 0 or n2 == 0:
            raise ValueError("degenerate")
        arr["XQ"] *= G * (1 - 1e-12) / n1
        arr["XK"] *= G * (0.1 + 0.9 * _sigmoid(v[1])) / n2

        def make(g, shrink):
            scaled = {k: (shrink * x if k in ("XQ", "XK") else x) for k, x in arr.items()}
            return {"kind": "raw", "L": L, "d": d, "r": r, "s": 1.0, "beta": 1.0, "Gamma": G * shrink, "g": g,
                    "method": z["method"], **INS._lists(**scaled)}

        return self.fit_delta(make, z["g"])


# -------------------------------------------------------------------------------------------- chain claims


def chain_eval(inst, dps, variant=None):
    """The chain of the instance (its degree, method, k2, variant) with its measured step errors and our explicit
    bounds, in float64 or at ``dps`` (+10 working) digits."""
    a = INS.arrays(inst, dps)
    beta = INS.scalar(inst, "beta", dps)
    with workdps(dps):
        ch = LR.chain_partial(a, beta, inst["method"], int(inst["g"]), variant or inst.get("chain", "ours"),
                              inst.get("k2", "2d"), dps)
        e = LR.step_errors(a, ch, beta)
        b = LR.bound_values(a, ch, beta, dps)
    return a, ch, e, b


class SearchClaim(Claim):
    """An inequality searched over ``space_factory()`` with an evaluation budget."""

    space_factory = ChainSpace
    methods = Search(evaluations=1000, floor=250)

    def __init__(self):
        self.narrowing = (self.space_factory().narrowing(),)

    def search_space(self, ctx):
        return self.space_factory().space()

    def size(self, instance):
        return float(instance["L"] + instance["d"] + instance["r"]) + instance["L"] / 1000


@dataclass(frozen=True)
class StepRow:
    """One chain-step claim: id, where, kind, statement, observed (key or function of (errors, bounds)), bound
    (key, function of (errors, bounds, arrays), or None when ``observed`` returns the (observed, bound) pair),
    note, about, hypotheses, chain variant, space, evaluation budget, explanation."""

    id: str
    where: str
    kind: str
    statement: str
    observed: object
    bound: object
    note: str = ""
    about: str = "statement"
    hypotheses: tuple = CHAIN_HYPS
    variant: str | None = None
    space: object = ChainSpace
    evaluations: int = 1000
    floor: int = 250
    explanation: str = ""
    undecidable: str = ""          # an asymptotic existence statement: the search is a side computation
    width: object = None           # (chain) -> a dict of widths recorded in the details (the cost of the construction)


class StepClaim(SearchClaim):
    def __init__(self, row: StepRow):
        self.row = row
        self.id = f"{PAPER}.{row.id}"
        self.source = src(row.where, row.kind, row.note, row.about)
        self.statement = row.statement
        self.hypotheses = row.hypotheses
        self.space_factory = row.space
        search = Search(evaluations=row.evaluations, floor=row.floor)
        self.methods = (search, Undecidable(row.undecidable)) if row.undecidable else search
        self.narrowing = (row.space().narrowing(),)

    def evaluate(self, instance, dps=None):
        a, ch, e, b = chain_eval(instance, dps, self.row.variant)
        obs_key, bound_key = self.row.observed, self.row.bound
        if bound_key is None:                       # observed returns (observed, bound) of the worse part
            obs, bound = obs_key(e, b)
        else:
            obs = e[obs_key] if not callable(obs_key) else obs_key(e, b)
            bound = b[bound_key] if not callable(bound_key) else bound_key(e, b, a)
        det = {"measured": jsonable({k: v for k, v in e.items() if k != "exact"}),
               "bounds": jsonable({k: v for k, v in b.items() if k != "values"}),
               "eta": jsonable(ch["fa"]["eta"]), "R": ch["fa"]["R"], "k": ch["fa"]["k"]}
        if self.row.width is not None:
            det["widths"] = self.row.width(ch)
        return Evaluation(hp(obs, dps), hp(bound, dps), det)

    def explain(self, instance, ev):
        return self.row.explanation or None


def _worse(*pairs):
    """The (observed, bound) pair with the larger observed/bound."""
    return max(pairs, key=lambda p: as_float(p[0]) / as_float(p[1]) if as_float(p[1]) > 0 else math.inf)


def _ga_obs(e, b):
    return _worse((e["GA"], b["E_GA"] + b["FP_GA"]), (e["GB"], b["E_GB"] + b["FP_GB"]))


def _p2_obs(e, b):
    return _worse((e["r"], b["E_r"]), (max(e["p2"], e["p2_row"]), b["E_p2"]))


def _c4_bound(e, b, a):
    return a["C3"].shape[1] * LR.maxabs(a["C3"]) * e["c"]


def _c7_bound(e, b, a):
    return LR.maxabs(a["B"]) * LR.maxabs(a["C1"]) * LR.maxabs(a["C2"]) * (e["p1"] + e["p2"])


def _ours_space():
    return ChainSpace(k2s=("2d", "d"))


def _p1_space():
    """(3.3) instances seeded first where E_p1 is nearly attained (Lemma 3.6's bound)."""
    return ChainSpace(aligned=True)


def _ours_p1_space():
    return ChainSpace(k2s=("2d", "d"), aligned=True)


def _c7_space():
    return ChainSpace(Ls=(2, 3, 4, 8), chains=("ours", "paper"))


OURS_BOUND = ("ours: the corrected chain and its explicit error bounds (E_f = eta, E_c = eta M3, E_q = d M3 E_c, "
              "M_q = d M3 (M3 + MY), E_p1 = E_r = (1 + eta) E_q + eta M_q, E_p2 = (M_q + E_r) eta + E_r, M3 = "
              "||C3||_max, MY = ||Y||_max) on " + POLY.split(": ", 1)[1])


def _widths_p1(ch):
    k1, k2 = ch["U1"].shape[1], ch["U2"].shape[1]
    return {"k1": k1, "k2": k2, "k3 (ours: U1 (/) V2)": k1 * ch["V2"].shape[1], "k3 of the paper's U1 (/) U2": k1 * k2}


def _widths_p2(ch):
    return {"k1": ch["U1"].shape[1], "k4 (ours: diag(r~) U1)": ch["U1"].shape[1], "k4 of the paper's U4 = U1":
            ch["U1"].shape[1]}


LEMMA3_3_UNDECIDABLE = (
    "Lemma 3.3 is an asymptotic existence statement (U1, V1 of width k1 = L^{o(1)} built in L^{1+o(1)} time with "
    "error eps/poly(L), for Gamma = o(sqrt(log L)), d unrestricted) whose constants are not specified: not decidable "
    "by computation. Its computable part, the accuracy of our polynomial construction, is the side computation. The "
    "width is what fails: for d = Theta(log L) the scores reach d Gamma^2, outside the range of the theorem the "
    "proof applies, and under SETH no such U1, V1 can be built in L^{1+o(1)} time (Alman-Song's hard instances, "
    "divided by sqrt(d), satisfy the hypotheses: hu2025lora.lemma3_3.as23_normalisation)")

STEP_TABLE: tuple[StepRow, ...] = (
    StepRow("lemma3_3", "Lemma 3.3, pp. 7-8", "paper",
            "there exist U1, V1 in R^{L x k1}, k1 = L^{o(1)}, with ||U1 V1^T - f(W)||_inf <= eps/poly(L) (Gamma = "
            "o(sqrt(log L))); side computation: our polynomial construction is entrywise within |f~ - f| <= eta f",
            "f_rel", "E_f", EXPLICIT + " (E_f = eta, entrywise relative); the width k1 and the time are not checked",
            undecidable=LEMMA3_3_UNDECIDABLE),
    StepRow("lemma3_4", "Lemma 3.4 and C.3, pp. 8 and 24", "paper",
            "||U1 V1^T C3 - Y - c(W)||_inf <= eps/poly(L) with Lemma 3.3's U1, V1 (read as our E_c = eta M3)",
            "c", "E_c", EXPLICIT + " (E_c = eta ||C3||_max; the proof's route through Alman-Song's Lemma D.2 gives "
            "L E_f ||C3||_max)"),
    StepRow("lemma3_5", "Lemma 3.5 and C.4, pp. 8 and 24", "paper",
            "U2 = [C3, -C3], V2 = [U1 V1^T C3, Y] give ||U2 V2^T - q(W)||_inf <= eps/poly(L) (read as our "
            "E_q = d M3 E_c)", "q", "E_q", EXPLICIT + " (E_q = d ||C3||_max E_c, the proof's own inequality with our "
            "E_c); q(W) compared as Lemma 3.2's C3 c^T; U2, V2 are the paper's (k2 = 2d)"),
    StepRow("lemma3_5.C4_inequality", "C.4, proof of Lemma 3.5, p. 24", "paper",
            "||q~(W) - q(W)||_inf <= d ||C3||_inf ||U1 V1^T C3 - Y - c(W)||_inf", "q", _c4_bound,
            POLY + "; both sides are measured (no bound of ours enters)", about="proof_step"),
    StepRow("lemma3_6", "Lemma 3.6, p. 8", "paper",
            "given U1 V1^T ~ f(W) and U2 V2^T ~ q(W) within eps/poly(L), there exist U3, V3 in R^{L x k3}, k3 = "
            "L^{o(1)}, with ||U3 V3^T - p1(W)||_inf <= eps/poly(L), built in L^{1+o(1)} time: with our construction "
            "U3 = U1 (/) V2, V3 = V1 (/) U2 of the paper's width k3 = k1 k2 (cost O(L k1 k2)) and eps/poly(L) read "
            "as E_p1 = (1 + eta) E_q + eta M_q", "p1", "E_p1",
            "the statement is the paper's; the construction that achieves it is ours (the proof's U1 (/) U2, V1 (/) "
            "V2 does not: hu2025lora.lemma3_6.proof_construction), " + OURS_BOUND + "; U2, V2 are the paper's "
            "(k2 = 2d); p1 is Def. 3.6's with q(W)_j the j-th column of q (the reading under which Lemma 3.2 holds)",
            hypotheses=(H_SHAPES, H_RANK, H_DELTA), space=_p1_space, evaluations=400, floor=100, width=_widths_p1),
    StepRow("lemma3_7", "Lemma 3.7, p. 8", "paper",
            "given U1 V1^T ~ f(W) and U2 V2^T ~ q(W) within eps/poly(L), there exist U4, V4 in R^{L x k4}, k4 = "
            "L^{o(1)}, with ||U4 V4^T - p2(W)||_inf <= eps/poly(L), built in L^{1+o(1)} time: with our construction "
            "U4 = diag(r~) U1, V4 = V1 of the paper's width k4 = k1 (r~ in O(L k1 k2)) and eps/poly(L) read as "
            "E_p2 = (M_q + E_r) eta + E_r", "p2", "E_p2",
            "the statement is the paper's; the construction that achieves it is ours (the proof's U4 = U1, V4 = "
            "diag(r~) V1 does not: hu2025lora.lemma3_7.proof_construction), " + OURS_BOUND + "; p2 is Def. 3.6's "
            "with q(W)_j the j-th column of q", hypotheses=(H_SHAPES, H_RANK, H_DELTA), evaluations=400, floor=100,
            width=_widths_p2),
    StepRow("theorem3_1.C7_inequality", "C.7, proof of Thm 3.1, pp. 27-28 (and proof of Thm A.1, pp. 35-36)",
            "paper",
            "||B_Q^T C1^T (p - p~) C2||_inf <= ||B_Q||_inf ||C1||_inf ||C2||_inf (||p1 - p1~||_inf + "
            "||p2 - p2~||_inf) ('sub-multiplicative property of the inf-norm')", "GA", _c7_bound,
            note="both sides are measured: the exact p1, p2 (q(W)_j the j-th column of q) and the chain's p1~, p2~ "
                 "(the paper's chain or our corrected one); " + POLY, about="proof_step", space=_c7_space,
            explanation="The max norm is not sub-multiplicative: each entry of B_Q^T C1^T Delta C2 sums d L^2 "
                        "products, so it can exceed ||B_Q|| ||C1|| ||C2|| ||Delta|| by up to d L^2. A valid bound is "
                        "L ||C1 B_Q||_max ||C2||_max max_l ||Delta[l,:]||_1 (hu2025lora.ours.theorem3_1)."),
    StepRow("ours.lemma3_6", "Lemma 3.6 corrected: U3 = U1 (/) V2, V3 = V1 (/) U2", "ours",
            "||p1~ - p1||_max and max_j ||(p1~ - p1)[j,:]||_1 <= E_p1 = (1 + eta) E_q + eta M_q",
            lambda e, b: max(e["p1"], e["p1_row"]), "E_p1", OURS_BOUND + "; k2 in {2d, d}",
            hypotheses=(H_SHAPES, H_RANK, H_DELTA), space=_ours_p1_space),
    StepRow("ours.lemma3_7", "Lemma 3.7 corrected: U4 = diag(r~) U1, V4 = V1", "ours",
            "|r~ - r| <= E_r and ||p2~ - p2||_max, row l1 <= E_p2 = (M_q + E_r) eta + E_r", _p2_obs, None,
            OURS_BOUND + "; k2 in {2d, d}", hypotheses=(H_SHAPES, H_RANK, H_DELTA), space=_ours_space),
    StepRow("ours.theorem3_1", "Theorem 3.1 corrected chain and our gradient bound", "ours",
            "||G~(A) - dL/dA_Q||_max <= beta L ||C1 B_Q||_max ||C2||_max (E_p1 + E_p2) (+ rounding), same for B_Q "
            "with ||C1||_max ||C2 A_Q^T||_max; observed/bound is the worse of the two", _ga_obs, None,
            OURS_BOUND + "; the gradient step uses ||X^T Delta Y||_max <= L ||X||_max ||Y||_max max_l "
            "||Delta[l,:]||_1 in place of C.7's sub-multiplicativity; k2 in {2d, d}",
            hypotheses=(H_SHAPES, H_RANK, H_DELTA), space=_ours_space),
)


def _full_space():
    return FullSpace(Ls=(4, 8, 16), ds=(2, 3, 4), gs=range(2, 8))


class FullChain(SearchClaim):
    id = f"{PAPER}.ours.theoremA_1"
    source = src("Thm A.1 / App. D, corrected low-rank gradients of all six adapters (shared f~)", "ours",
                 OURS_BOUND + "; per adapter the gradient bound s beta L ||X||_max ||Y||_max (E_p1 + E_p2) "
                 "(+ rounding) for Q and K, and L ||X_V B_V||_max (L ((1 + eta) E_c + eta (M3 + MY))) for V")
    statement = ("the corrected chain's G~(A)_mu, G~(B)_mu (mu = Q, K, V) are within the project's bounds of the "
                 "autograd gradients of Def. A.1")
    hypotheses = (H_SHAPES, H_RANK, H_DELTA)
    space_factory = staticmethod(_full_space)
    methods = Search(evaluations=400, floor=100)

    def evaluate(self, instance, dps=None):
        a = INS.arrays(instance, dps)
        s, beta = INS.scalar(instance, "s", dps), INS.scalar(instance, "beta", dps)
        with workdps(dps):
            ch = LR.chain_full(a, s, beta, instance["method"], int(instance["g"]), dps)
            ex = CK.exact_full(a, s, beta, dps)
            bd = LR.full_bounds(a, ch, s, beta, dps)
            errs = {k: LR.maxabs(ch[k] - ex[k]) for k in bd}
        ratios = {k: as_float(errs[k]) / as_float(bd[k]) if as_float(bd[k]) > 0 else math.inf for k in bd}
        worst = max(ratios, key=ratios.get)
        return Evaluation(errs[worst], bd[worst], {"worst adapter": worst, "errors": jsonable(errs),
                                                   "bounds": jsonable(bd), "eta": jsonable(ch["fa"]["eta"])})


class _PolySpace:
    @staticmethod
    def narrowing():
        return "R in [0.05, 10], g <= 30 (the bounds are claimed for every R > 0, g >= 0)"


class PolyClaim(SearchClaim):
    id = f"{PAPER}.ours.poly_bounds"
    source = src("our polynomial method for Lemma 3.3 (pp. 7-8): relative-error bounds of exp on [-R, R]", "ours",
                 "ours: delta_T = e^R R^{g+1}/(g+1)!, delta_CI = e^{2R} R^{g+1}/(2^g (g+1)!), delta_CT = 2 e^R "
                 "sum_{k>g} I_k(R); observed: the sup over 400 (float64 screen) / 2000 (confirmation) points of "
                 "[-R, R] plus the Chebyshev extrema, evaluated with mpmath")
    statement = "sup_{|s|<=R} |P_g(s) e^{-s} - 1| <= delta_method(R, g) for Taylor, Chebyshev interpolation and series"
    hypotheses = (Hypothesis("R > 0, g >= 0", "interval and degree", lambda i: (i["R"] > 0 and i["g"] >= 0, str(i))),)
    space_factory = _PolySpace
    methods = Search(evaluations=160, floor=40)

    def evaluate(self, instance, dps=None):
        R, g, m = float(instance["R"]), int(instance["g"]), instance["method"]
        bound = BD.delta_bound(m, R, g, 60)
        need = 30 + max(0, int(-mpmath.log10(bound)) + 5) if bound > 0 else 30
        digits = max(need, dps or 0)
        meas = PL.measured_rel_error(m, R, g, digits, 400 if dps is None else 2000)
        if dps is None:
            return Evaluation(float(meas), float(bound), {})
        with mpmath.workdps(dps):
            return Evaluation(+meas, +BD.delta_bound(m, R, g, dps + 10), {"digits": digits})

    def size(self, instance):
        return float(instance["g"])

    def search_space(self, ctx):
        def sample(rng):
            return Candidate({"method": str(rng.choice(BD.METHODS)), "g": int(rng.integers(0, 31))},
                             rng.normal(0, 1, 1))

        def decode(c):
            return {"method": c.discrete["method"], "g": c.discrete["g"],
                    "R": float(0.05 * math.exp(math.log(200) * _sigmoid(c.vector[0])))}

        return SearchSpace(sample, decode, step=0.5,
                           description="method in {taylor, cheb_interp, cheb_trunc}, g in 0..30, R = 0.05 * 200^t, "
                                       "t in (0, 1)")


def _entries_bounded(i):
    G = i["Gamma"]
    ok = (float(np.abs(np.asarray(i["Q"], dtype=float)).max()) <= G * (1 + 1e-12)
          and float(np.abs(np.asarray(i["K"], dtype=float)).max()) <= G * (1 + 1e-12))
    return ok, f"Gamma={G:.4g}"


class _RankSpace:
    @staticmethod
    def narrowing():
        return "L in {32, 64, 128}, d in {2, 4, 8}, Gamma in [0.25, 3], eps = 1e-6 fixed"


class RankSandwich(SearchClaim):
    id = f"{PAPER}.ours.rank_sandwich"
    source = src("illustration of Theorem 4.1's threshold (p. 9): a rank lower bound valid for every low-rank "
                 "method", "ours",
                 "ours: if ||M - U V^T||_max <= eps then ||M - U V^T||_F <= L eps, so rank >= k_F(L eps) from the SVD "
                 "of M = exp(S - max S); float64 SVD in both paths (the integers compared do not depend on the last "
                 "digits)")
    statement = ("k_F(L eps) <= C(g*(R, eps) + d, d): the Frobenius eps-rank lower bound of exp(S - max S) never "
                 "exceeds the polynomial method's rank (eps = 1e-6)")
    hypotheses = (Hypothesis("entries bounded", "||Q||_max, ||K||_max <= Gamma", _entries_bounded),)
    space_factory = _RankSpace
    methods = Search(evaluations=120, floor=40)

    def evaluate(self, instance, dps=None):
        Q, K = np.asarray(instance["Q"], dtype=float), np.asarray(instance["K"], dtype=float)
        res = HD.rank_sandwich(Q, K, 1e-6)
        return Evaluation(res["lower"], res["upper"], dict(res))

    def size(self, instance):
        return float(instance["L"] + instance["d"])

    def search_space(self, ctx):
        def sample(rng):
            return Candidate({"L": int(rng.choice((32, 64, 128))), "d": int(rng.choice((2, 4, 8)))},
                             rng.normal(0, 1, 1 + 2 * 128 * 8))

        def decode(c):
            L, d = c.discrete["L"], c.discrete["d"]
            G = 0.25 + 2.75 * _sigmoid(c.vector[0])
            Q = G * np.tanh(c.vector[1:1 + L * d]).reshape(L, d)
            K = G * np.tanh(c.vector[1 + L * d:1 + 2 * L * d]).reshape(L, d)
            return {"L": L, "d": d, "Gamma": G, "Q": Q.tolist(), "K": K.tolist()}

        return SearchSpace(sample, decode, step=0.5,
                           description="Q, K = Gamma tanh(v) in R^{L x d}, L in {32, 64, 128}, d in {2, 4, 8}, "
                                       "Gamma in [0.25, 3]")


class _ScoreSpace:
    @staticmethod
    def narrowing():
        return ("L in {2, 4, 8, 16}, d in {1, 2, 3, 4, 8}, Gamma in [0.1, 3] (the bound is claimed for every L, d, "
                "Gamma)")


class ScoreRange(SearchClaim):
    id = f"{PAPER}.ours.lemma3_3.score_range"
    source = src("Lemma 3.3 corrected: the score range under its norm hypotheses (pp. 7-8)", "ours",
                 "ours: with Q := C1 W and K := C2, max |Q K^T| <= d Gamma^2 (each score sums d products of entries "
                 "at most Gamma), attained when two rows have equal entries Gamma (hu2025lora.lemma3_3."
                 "as23_normalisation's witness); so Alman-Song's Thm 3.8 applies with B = sqrt(d) Gamma and the "
                 "almost-linear regime of Lemma 3.3 / Theorem 3.1 needs sqrt(d) Gamma = o(sqrt(log L))")
    statement = ("if ||C1 W||_max <= Gamma and ||C2||_max <= Gamma, then max |C1 W C2^T| <= d Gamma^2, i.e. "
                 "exp(C1 W C2^T) is an Alman-Song attention matrix exp(Q K^T / d) with Q, K entries in "
                 "[-sqrt(d) Gamma, sqrt(d) Gamma]")
    hypotheses = (Hypothesis("entries bounded", "||C1 W||_max, ||C2||_max <= Gamma", _entries_bounded),)
    space_factory = _ScoreSpace
    methods = Search(evaluations=200, floor=50)

    def evaluate(self, instance, dps=None):
        G, d = instance["Gamma"], int(instance["d"])
        if dps is None:
            Q, K = np.asarray(instance["Q"], dtype=float), np.asarray(instance["K"], dtype=float)
            return Evaluation(float(np.abs(Q @ K.T).max()), d * G * G * (1 + 1e-12), {})
        with mpmath.workdps(dps + 10):
            Q, K = INS.to_mp(instance["Q"]), INS.to_mp(instance["K"])
            obs = LR.maxabs(Q @ K.T)
            Gm = mpmath.mpf(G)
            return Evaluation(+obs, d * Gm * Gm, {"max score": mpmath.nstr(obs, 20)})

    def size(self, instance):
        return float(instance["L"] + instance["d"])

    def search_space(self, ctx):
        def sample(rng):
            return Candidate({"L": int(rng.choice((2, 4, 8, 16))), "d": int(rng.choice((1, 2, 3, 4, 8)))},
                             rng.normal(0, 1, 1 + 2 * 16 * 8))

        def decode(c):
            L, d = c.discrete["L"], c.discrete["d"]
            G = 0.1 + 2.9 * _sigmoid(c.vector[0])
            Q = G * np.tanh(c.vector[1:1 + L * d]).reshape(L, d)
            K = G * np.tanh(c.vector[1 + L * d:1 + 2 * L * d]).reshape(L, d)
            return {"L": L, "d": d, "Gamma": G, "Q": Q.tolist(), "K": K.tolist()}

        return SearchSpace(sample, decode, step=0.5,
                           description="Q = C1 W, K = C2 = Gamma tanh(v) in R^{L x d}, L in {2, 4, 8, 16}, d in {1, 2, "
                                       "3, 4, 8}, Gamma in [0.1, 3]")


def search_claims() -> list[Claim]:
    return [StepClaim(row) for row in STEP_TABLE] + [FullChain(), PolyClaim(), RankSandwich(), ScoreRange()]
