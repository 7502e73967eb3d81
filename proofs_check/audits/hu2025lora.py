"""Claims of Hu, Su, Kuo, Song, Liu: Computational Limits of LoRA Fine-Tuning for Transformer Models (ICLR 2025).

Three kinds of claims:

* ``FormulaClaim``: a displayed formula of the paper, evaluated literally (every row/column reading where one
  is needed; numeric/hu2025lora/checks.py) against the exact quantity (float64 torch autograd) on a grid of
  shapes; a violation is searched for at the smallest sizes first and confirmed at >= 50 digits (mpmath chain
  rule, itself checked by finite differences) before its witness is saved.
* ``SearchClaim``: an inequality or error bound, searched adversarially inside its hypotheses by the generic
  engine (proofs_check.audit.search_audit).
* ``SymbolicClaim`` / small exact claims: identities decided by SymPy, shape lints, arithmetic.

Source kind 'paper' is the paper's statement as written (page numbers of the ICLR 2025 PDF); 'ours' marks the
project's corrected or added formula.  Where the paper's bound is the non-explicit 'eps/poly(L)', the number
compared with is the project's explicit bound (Sec. 2.4 of the spec), as each claim's source note says.
"""
from __future__ import annotations

import math
import time

import mpmath
import numpy as np

from numeric.hu2025lora import checks as CK
from numeric.hu2025lora import hardness as HD
from numeric.hu2025lora import instances as INS
from numeric.hu2025lora import lowrank as LR
from numeric.hu2025lora import poly as PL
from symbolic.errors import ConfigError, require_int
from symbolic.hu2025lora import bounds as BD
from symbolic.hu2025lora import shapes as SH
from symbolic.hu2025lora import tensor_trick as TT

from ..claims import Claim, Evaluation, Hypothesis, Outcome, Source
from ..search import Candidate, SearchSpace
from ..witness import save_witness

PAPER = "hu2025lora"
DEFAULT_BUDGET_S = 300.0


def src(where: str, kind: str = "paper", note: str = "") -> Source:
    return Source(PAPER, where, kind, note)


def _f(x) -> float:
    try:
        return float(x)
    except (TypeError, ValueError):
        return math.inf


def _jsonable(x):
    """Numbers as floats (mpf kept to 20 digits as strings), dicts/lists recursively."""
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if isinstance(x, mpmath.mpf):
        return mpmath.nstr(x, 20)
    if isinstance(x, (np.floating, np.integer)):
        return x.item()
    if isinstance(x, np.bool_):
        return bool(x)
    return x


# ------------------------------------------------------------------------------------------------ hypotheses


def _shapes_ok(inst):
    try:
        a = INS.arrays(inst)
        L, d, r = inst["L"], inst["d"], inst["r"]
        if inst.get("kind") == "partial":
            want = {"C1": (L, d), "C2": (L, d), "C3": (L, d), "Y": (L, d), "Wbar": (d, d), "B": (d, r), "A": (r, d)}
        else:
            want = {k: (L, d) for k in ("XQ", "XK", "XV", "Y")} | {f"W{m}s": (d, d) for m in "QKV"} | {
                f"B{m}": (d, r) for m in "QKV"} | {f"A{m}": (r, d) for m in "QKV"}
        bad = [k for k, s in want.items() if a[k].shape != s or not np.all(np.isfinite(a[k]))]
        return not bad, f"L={L}, d={d}, r={r}" + (f"; bad arrays {bad}" if bad else "")
    except (KeyError, ValueError, TypeError) as exc:
        return False, f"malformed instance: {exc}"


H_SHAPES = Hypothesis("shapes", "arrays have the shapes of (3.3)/(A.2) for (L, d, r) and are finite", _shapes_ok)
H_RANK = Hypothesis("r < d", "Def. 1.1: 1 <= r < min(a, b) = d",
                    lambda i: (1 <= i["r"] < i["d"], f"r={i['r']}, d={i['d']}"))
H_BETA1 = Hypothesis("beta = 1", "(S4): beta = 1", lambda i: (float(i.get("beta", 1)) == 1.0, f"beta={i.get('beta', 1)}"))
H_S1 = Hypothesis("alpha/r = 1", "App. A: beta = alpha/r = 1", lambda i: (float(i.get("s", 1)) == 1.0,
                                                                             f"alpha/r={i.get('s', 1)}"))


def _gamma_hyp(inst):
    a = INS.arrays(inst)
    G = float(inst["Gamma"])
    n1 = float(np.abs(a["C1"] @ (a["Wbar"] + a["B"] @ a["A"])).max())
    n2 = float(np.abs(a["C2"]).max())
    return n1 <= G * (1 + 1e-9) and n2 <= G * (1 + 1e-9), f"||C1 W||_max={n1:.6g}, ||C2||_max={n2:.6g}, Gamma={G:.6g}"


H_GAMMA = Hypothesis("norm bounds", "Thm 3.1 / L3.3: ||C1 W||_max <= Gamma and ||C2||_max <= Gamma", _gamma_hyp)


def _delta_hyp(inst):
    a = INS.arrays(inst)
    Qs = float(inst.get("beta", 1)) * (a["C1"] @ (a["Wbar"] + a["B"] @ a["A"])) if "C1" in a else None
    if Qs is None:
        W = {m: a[f"W{m}s"] + float(inst.get("s", 1)) * a["B" + m] @ a["A" + m] for m in "QK"}
        Qs, Ks = a["XQ"] @ W["Q"], a["XK"] @ W["K"]
    else:
        Ks = a["C2"]
    R = PL.score_range(Qs, Ks)
    dl = BD.delta_bound(inst["method"], R, int(inst["g"]), 30)
    return dl < 0.5, f"R={R:.6g}, g={inst['g']}, {inst['method']}: delta={mpmath.nstr(dl, 4)} (< 1/2 needed)"


H_DELTA = Hypothesis("delta < 1/2", "polynomial relative error below 1/2 on [-R, R] (eta = 2 delta/(1-delta) finite)",
                     _delta_hyp)


# ------------------------------------------------------------------------------------------- formula claims


class FormulaClaim(Claim):
    """A displayed formula vs the exact quantity: grid of shapes in float64, then the smallest violating
    instance confirmed at ctx.precision digits and saved."""

    check = None                      # numeric.hu2025lora.checks function
    kind = "partial"                  # 'partial' | 'raw' | 'W'
    grid = INS.size_grid()            # (L, d, r) shapes
    small = INS.small_sizes()         # smallest-witness scan order
    seeds = (0,)
    hypotheses = (H_SHAPES, H_RANK, H_BETA1)
    budget_weight = 0.6
    min_shapes = 3
    size_keys = ("L", "d", "r")
    explanation = ""                  # shown in the referee report when the claim is violated

    def make_instance(self, size, seed: int) -> dict:
        L, d, r = size
        if self.kind == "partial":
            return INS.partial_instance(L, d, r, seed)
        return INS.raw_instance(L, d, r, seed)

    def evaluate(self, instance, dps=None):
        res = type(self).check(instance, dps)
        details = {"rule": res["rule"], "primary reading": res["primary"], "readings": _jsonable(res["readings"]),
                   **_jsonable(res["details"])}
        return Evaluation(res["observed"], res["bound"], details)

    def _confirm(self, ctx, inst, t0, n_eval, scanned):
        checks = self.check_hypotheses(inst)
        if not all(c.holds for c in checks):
            return self.result(Outcome.INCONCLUSIVE, hypotheses=checks, seconds=time.monotonic() - t0,
                               summary="violating instance leaves the hypotheses (instance generator bug)")
        with mpmath.workdps(ctx.precision):
            ev = self.evaluate(inst, dps=ctx.precision)
            violated = ev.violates()
        common = dict(bound=ev.bound, observed=ev.observed, ratio=ev.ratio, hypotheses=checks, evaluations=n_eval,
                      details={**ev.details, "shapes scanned": scanned})
        method = f"literal formula vs exact quantity; smallest violating size confirmed at {ctx.precision} digits"
        if not violated:
            return self.result(Outcome.INCONCLUSIVE, method=method, seconds=time.monotonic() - t0,
                               summary="float64 shows a violation that the high-precision evaluation does not",
                               **common)
        if self.explanation:
            ev.details["explanation"] = self.explanation
            common["details"]["explanation"] = self.explanation
        path = save_witness(self, inst, checks, ev, ctx.precision, ctx.out_dir)
        size = {k: inst[k] for k in self.size_keys if k in inst}
        return self.result(Outcome.VIOLATED, witness=str(path), method=method, seconds=time.monotonic() - t0,
                           summary=f"violated at the smallest size {size}: observed {_fmt(ev.observed)} vs "
                                   f"bound {_fmt(ev.bound)} (rule: {ev.details.get('rule')}); "
                                   f"confirmed at {ctx.precision} digits", **common)

    def audit(self, ctx):
        t0 = time.monotonic()
        n_eval, worst, scanned = 0, None, []
        for size in self.small:                              # smallest sizes first: a violation shows here
            inst = self.make_instance(size, 0)
            ev = self.evaluate(inst)
            n_eval += 1
            if ev.violates():
                return self._confirm(ctx, inst, t0, n_eval, [size])
            if worst is None or ev.ratio > worst[0].ratio:
                worst = (ev, inst)
            if time.monotonic() - t0 > 0.25 * ctx.budget_s and n_eval >= 4:
                break
        for i, size in enumerate(self.grid):
            for seed in self.seeds:
                inst = self.make_instance(size, seed)
                ev = self.evaluate(inst)
                n_eval += 1
                scanned.append(list(size))
                if ev.violates():
                    return self._confirm(ctx, inst, t0, n_eval, scanned)
                if ev.ratio > worst[0].ratio:
                    worst = (ev, inst)
            if i + 1 >= self.min_shapes and time.monotonic() - t0 > ctx.budget_s:
                break
        ev, inst = worst
        return self.result(Outcome.VERIFIED, bound=ev.bound, observed=ev.observed, ratio=ev.ratio,
                           hypotheses=self.check_hypotheses(inst), evaluations=n_eval, seconds=time.monotonic() - t0,
                           method="literal formula vs float64 autograd / exact quantity on a grid of shapes",
                           details={**ev.details, "grid shapes (L, d, r) checked": scanned,
                                    "grid shapes planned": [list(s) for s in self.grid]},
                           summary=f"{n_eval} instances ({len(scanned)} grid shapes): worst error "
                                   f"{_fmt(ev.observed)} <= {_fmt(ev.bound)}" + (
                                       f" under the reading '{ev.details['primary reading']}' (every reading is "
                                       f"recorded in the details)" if ev.details.get("primary reading")
                                       and len(ev.details.get("readings", {})) > 1 else ""))


def _fmt(x) -> str:
    if isinstance(x, mpmath.mpf):
        return mpmath.nstr(x, 5)
    try:
        return f"{float(x):.4g}"
    except (TypeError, ValueError):
        return str(x)


def formula(cid, check, where, statement, kind="paper", note="", fkind="partial", grid=None, small=None,
            hyps=None, weight=None, base=FormulaClaim, explain=""):
    attrs = dict(id=f"{PAPER}.{cid}", source=src(where, kind, note), statement=statement, check=staticmethod(check),
                 kind=fkind, explanation=explain)
    if grid is not None:
        attrs["grid"] = grid
    if small is not None:
        attrs["small"] = small
    if hyps is not None:
        attrs["hypotheses"] = hyps
    if weight is not None:
        attrs["budget_weight"] = weight
    return type(f"C_{cid.replace('.', '_')}", (base,), attrs)()


GRID_CJ = INS.size_grid(Ls=(8, 16, 64), ds=(4, 8))            # (3.5) with explicit C_j (L^2 d^2 work)
GRID_CHAIN = INS.size_grid(Ls=(8, 32), ds=(2, 4), rs=(1, 2))
GRID_FULL = INS.size_grid(Ls=(8, 64, 256), ds=(4, 6), rs=(1, 2))
RAW_HYPS = (H_SHAPES, H_RANK, H_BETA1, H_S1)


class TClaim(FormulaClaim):
    """Lemma D.2 claims: instance {m, n, W}."""

    kind = "W"
    hypotheses = (Hypothesis("W is m x n", "W in R^{m x n}", lambda i: (
        np.asarray(i["W"]).shape == (i["m"], i["n"]), f"m={i['m']}, n={i['n']}")),)
    small = sorted([(m, n) for m in range(1, 5) for n in range(1, 5)], key=lambda t: (t[0] * t[1], t))
    size_keys = ("m", "n")
    grid = [(m, n) for m in (2, 3, 5, 8) for n in (2, 3, 5, 8)]

    def make_instance(self, size, seed):
        m, n = size
        W = np.random.default_rng(seed).uniform(-1, 1, (m, n))
        return {"kind": "W", "m": m, "n": n, "W": W.tolist()}


class ReductionClaim(FormulaClaim):
    """Thm 4.1: instances of AAttLGC mapped by App. E's reduction."""

    kind = "reduction"
    hypotheses = (Hypothesis("AAttLGC hypotheses", "Def. E.1: ||A1 X||_max <= B, ||A2||_max <= B, d > r", lambda i: (
        float(np.abs(np.asarray(i["A1"]) @ np.asarray(i["X"])).max()) <= i["B"] * (1 + 1e-12)
        and float(np.abs(np.asarray(i["A2"])).max()) <= i["B"] and i["d"] > i["r"], f"B={i['B']}, r={i['r']}, d={i['d']}")),)
    grid = [(L, r, B, lam) for L in (64, 256) for r in (6, 8) for B in (2.0, 3.0) for lam in (0.0, 0.5, 1.0, None)]
    small = [(2, 1, 2.0, None), (4, 2, 2.0, None)]
    size_keys = ("L", "r", "d")

    def make_instance(self, size, seed):
        L, r, B, lam = size
        return HD.reduction_instance(L, r, r + 2, B, lam, seed)

    def evaluate(self, instance, dps=None):
        res = HD.reduction_check(instance, dps)
        return Evaluation(res["observed"], res["bound"], _jsonable(res["details"]))


class RebalancedReductionClaim(ReductionClaim):
    """Thm 4.1's hard instances, rescaled, inside the norm hypotheses of Thm 3.1 with the same gradient."""

    def evaluate(self, instance, dps=None):
        res = HD.rebalanced_check(instance, dps)
        ok = res["details"]["within_thm31_norms"]
        obs = res["observed"] if ok else math.inf
        return Evaluation(obs, res["bound"], _jsonable(res["details"]))


# --------------------------------------------------------------------------------------- symbolic & exact


class SymbolicClaim(Claim):
    """Decided exactly (SymPy residuals, shape lints, arithmetic) on a list of sizes; violated claims save
    the smallest violating instance as a witness (``evaluate`` recomputes it exactly)."""

    sizes: tuple = ()
    budget_weight = 0.2
    explanation = ""

    def evaluate(self, instance, dps=None):
        raise NotImplementedError

    def audit(self, ctx):
        t0 = time.monotonic()
        worst = None
        for size in self.sizes:
            inst = dict(size)
            ev = self.evaluate(inst, dps=ctx.precision)
            if ev.violates():
                checks = self.check_hypotheses(inst)
                if self.explanation:
                    ev.details["explanation"] = self.explanation
                path = save_witness(self, inst, checks, ev, ctx.precision, ctx.out_dir)
                return self.result(Outcome.VIOLATED, bound=ev.bound, observed=ev.observed, ratio=ev.ratio,
                                   hypotheses=checks, witness=str(path), evaluations=len(self.sizes),
                                   method="exact evaluation (SymPy / shapes / rationals)", certified=True,
                                   seconds=time.monotonic() - t0, details=ev.details,
                                   summary=f"violated at {inst}: observed {_fmt(ev.observed)} vs bound {_fmt(ev.bound)}")
            if worst is None or ev.ratio > worst[0].ratio:
                worst = (ev, inst)
        ev, inst = worst
        return self.result(Outcome.VERIFIED, bound=ev.bound, observed=ev.observed, ratio=ev.ratio,
                           hypotheses=self.check_hypotheses(inst), evaluations=len(self.sizes), certified=True,
                           method="exact evaluation (SymPy / shapes / rationals) on every listed size",
                           seconds=time.monotonic() - t0, details={**ev.details, "sizes": [dict(s) for s in self.sizes]},
                           summary=f"exact on {len(self.sizes)} sizes: residual {_fmt(ev.observed)}")


def _residual_eval(residual, extra=None):
    nz = [x for x in residual if x != 0]
    return Evaluation(len(nz), 0, {"nonzero residual entries": len(nz), "example": str(nz[0])[:200] if nz else "",
                                   **(extra or {})})


class Lemma2_1(SymbolicClaim):
    id = f"{PAPER}.lemma2_1"
    source = src("Lemma 2.1 (tensor trick), p. 4")
    statement = ('vec(A X B^T) = (A (x) B) vec(X) for A in R^{La x da}, B in R^{Lb x db}, X in R^{da x db} (vec of '
                 'Def. 2.1)')
    sizes = tuple({"La": a, "da": b, "Lb": c, "db": e} for a, b, c, e in ((1, 1, 1, 1), (2, 2, 2, 2), (2, 3, 3, 2),
                                                                          (3, 2, 2, 3)))

    def evaluate(self, instance, dps=None):
        res = TT.lemma2_1_residual(instance["La"], instance["da"], instance["Lb"], instance["db"], "row")
        col = TT.lemma2_1_residual(instance["La"], instance["da"], instance["Lb"], instance["db"], "col")
        return _residual_eval(res, {"column-major reading: nonzero entries": sum(1 for x in col if x != 0)})


class DefCj(SymbolicClaim):
    id = f"{PAPER}.def2_4"
    source = src("Defs. 2.4 and 3.2 (sub-block C_j of C = C1 (x) C2), pp. 4 and 6")
    statement = "C_j vec(W) = (C1 W C2^T)[j, :]^T for every j (row-major vec)"
    sizes = tuple({"L": L, "d": d} for L, d in ((1, 1), (2, 2), (3, 2), (2, 3)))

    def evaluate(self, instance, dps=None):
        return _residual_eval(TT.cj_residual(instance["L"], instance["d"]))


class ColumnKron(SymbolicClaim):
    explanation = ("The column-wise product as written is L^2 x k1 and needs k1 = k2; the identity and the width k1 k2 "
                   "of C.5 hold for the row-wise (face-splitting) product (L1; hu2025lora.ours.face_splitting).")
    id = f"{PAPER}.lemma3_6.column_kronecker"
    source = src("C.5, proof of Lemma 3.6, p. 25")
    statement = ("A (/) B := [A[:,1] (x) B[:,1] | ... | A[:,k1] (x) B[:,k1]] in R^{L x k1 k2} for A in R^{L x k1}, "
                 "B in R^{L x k2}, and (U1 (/) U2)(V1 (/) V2)^T = (U1 V1^T) (.) (U2 V2^T)")
    sizes = tuple({"L": L, "k1": a, "k2": b} for L, a, b in ((2, 1, 1), (2, 1, 2), (2, 2, 2), (3, 2, 3)))

    def evaluate(self, instance, dps=None):
        L, k1, k2 = instance["L"], instance["k1"], instance["k2"]
        A, C = TT._sym("a", L, k1), TT._sym("c", L, k1)
        B, D = TT._sym("b", L, k2), TT._sym("e", L, k2)
        try:
            lhs = TT.column_kron_as_written(A, B) @ TT.column_kron_as_written(C, D).T
        except TT.NonConforming as exc:
            return Evaluation(1, 0, {"failure": str(exc), "declared shape": [L, k1 * k2]})
        if lhs.shape != (L, L):
            return Evaluation(1, 0, {"failure": f"(A (/) B) is {(L * L, k1)}, declared {(L, k1 * k2)}; the product "
                                                f"is {lhs.shape}, not L x L", "declared shape": [L, k1 * k2]})
        return _residual_eval([sp for sp in (lhs - (A @ C.T) * (B @ D.T)).reshape(-1)])


class FaceSplitOurs(SymbolicClaim):
    id = f"{PAPER}.ours.face_splitting"
    source = src("C.5 (replaces the column-wise product): row-wise Kronecker", "ours")
    statement = "(A (/) B)(C (/) D)^T = (A C^T) (.) (B D^T) for the row-wise product (A (/) B)[l,:] = A[l,:] (x) B[l,:]"
    sizes = tuple({"L": L, "k1": a, "k2": b} for L, a, b in ((1, 1, 1), (2, 1, 2), (2, 2, 3), (3, 3, 2)))

    def evaluate(self, instance, dps=None):
        return _residual_eval(list(TT.face_splitting_residual(instance["L"], instance["k1"], instance["k2"])))


class HockeyStick(SymbolicClaim):
    id = f"{PAPER}.ours.feature_rank"
    source = src("Sec. 2.2 of the spec (feature map of L3.3)", "ours",
                 "AS23's form C(2(g+d), 2g) is compared, not confirmed against AS23")
    statement = "sum_{t<=g} C(t+d-1, d-1) = C(g+d, d) (symbolic in g), and C(2(g+d), 2g) >= C(g+d, d) for g, d <= 60"
    sizes = tuple({"d": d} for d in (1, 2, 3, 4, 6, 8))

    def evaluate(self, instance, dps=None):
        import sympy as sp

        g = sp.Symbol("g", integer=True, nonnegative=True)
        res = TT.hockey_stick_residual(g, instance["d"])
        bad = sum(1 for gg in range(61) for dd in range(1, 61)
                  if math.comb(2 * (gg + dd), 2 * gg) < math.comb(gg + dd, dd))
        return Evaluation((1 if res != 0 else 0) + bad, 0, {"residual": str(res), "AS23 form smaller (count)": bad})


class AS23Normalisation(SymbolicClaim):
    explanation = ('AS23 (Thm 3.8, the source of Lemma 3.3) approximate A = exp(Q K^T / d) with Q, K in [-B, B]^{n x '
                   'd}, '
                   "so their scores are at most B^2. Lemma 3.3 applies it to exp(C1 W C2^T) (no 1/d) with "
                   "||C1 W||_max, ||C2||_max <= Gamma, whose scores reach d Gamma^2: as an AS23 instance this is "
                   "B = sqrt(d) Gamma, which for d = Theta(log L) is Theta(sqrt(log L)) Gamma -- AS23's hard regime "
                   "unless Gamma = o(1). (S4) sets beta = 1 'without loss of generality' as a mere rescaling, but the "
                   "range of the scores is exactly what decides the complexity (AS23's normalisation is beta = 1/d). "
                   "Consistently, hu2025lora.ours.theorem3_1_vs_4_1 rescales Theorem 4.1's hard "
                   "instances into Theorem 3.1's hypotheses (Gamma = B/sqrt(r) = O(kappa(L))) with the same gradient, "
                   "so under SETH Theorems 3.1 and 4.1 cannot both hold as stated. The polynomial method needs the "
                   'score range R = max|S| = o(log L) for a rank L^{o(1)} when d = Theta(log L) (report, rank '
                   'exponent).')
    id = f"{PAPER}.lemma3_3.as23_normalisation"
    source = src("Lemma 3.3 (application of Alman-Song 2023, Thm 3.8), pp. 7-8",
                 note="finite component: AS23's attention is exp(QK^T/d), Q, K in [-B, B]^{n x d} (AS23, abstract and "
                      "Def. of AAttC), so applying it with B = Gamma needs max |C1 W C2^T| <= Gamma^2")
    statement = ("if ||C1 W||_max <= Gamma and ||C2||_max <= Gamma, then exp(C1 W C2^T) is an AS23 attention matrix "
                 "exp(Q K^T / d) with entries of Q, K in [-Gamma, Gamma], i.e. max |C1 W C2^T| <= Gamma^2")
    sizes = tuple({"d": d, "Gamma": G} for d, G in ((1, "1"), (2, "1"), (2, "1/2"), (8, "3/2")))

    def evaluate(self, instance, dps=None):
        from fractions import Fraction as Fr

        d, G = int(instance["d"]), Fr(instance["Gamma"])
        Q = [G] * d                     # ||C1 W||_max = Gamma (one row), C2 = the same row: max score d Gamma^2
        s = sum(x * x for x in Q)
        f = lambda x: mpmath.mpf(x.numerator) / x.denominator  # noqa: E731
        return Evaluation(f(s), f(G * G), {"max score (exact)": str(s), "Gamma^2": str(G * G),
                                           "AS23 B needed": f"sqrt(d) Gamma = {math.sqrt(d) * float(G):.4g}"})


class ShapeLint(SymbolicClaim):
    explanation = "Each non-conforming display and declared shape is listed in the details (L6, L7, L12, L1)."
    id = f"{PAPER}.shapes"
    source = src("Problems 1-3, Lemma 3.2, (3.6), C.2, C.5, Thm 3.1, Lemmas D.3-D.4, Def. E.1, App. F (pp. 2-39)")
    statement = "every displayed product conforms and every declared shape is the shape of the object (K-14)"
    sizes = tuple({"L": L, "d": d, "r": r, "k1": k1, "k2": k2}
                  for L, d, r, k1, k2 in ((2, 2, 1, 1, 2), (8, 4, 2, 3, 8), (64, 8, 3, 10, 16)))
    hypotheses = (H_RANK,)

    def evaluate(self, instance, dps=None):
        rows = SH.lint(instance)
        bad = [f"{r['where']}: {r['expr']} ({r['detail']})" for r in rows if not r["conforms"]]
        return Evaluation(len(bad), 0, {"non-conforming": bad, "checked": len(rows)})


class AppG(SymbolicClaim):
    id = f"{PAPER}.appG_table1"
    source = src("App. G, Table 1 and text, p. 40")
    statement = ("58->55, 69->61, 84->63 minutes are -5.2%, -11.6%, -25.0% (Table 1) and 5.5%, 13.1%, 33.3% faster "
                 "(text)")
    sizes = ({"old": [58, 69, 84], "new": [55, 61, 63], "reduction": [-5.2, -11.6, -25.0], "speedup": [5.5, 13.1, 33.3]},)

    def evaluate(self, instance, dps=None):
        from fractions import Fraction as Fr

        errs = []
        for o, n, red, sp_ in zip(instance["old"], instance["new"], instance["reduction"], instance["speedup"]):
            errs.append(abs(Fr(100) * (Fr(n) - Fr(o)) / Fr(o) - Fr(str(red))))
            errs.append(abs(Fr(100) * (Fr(o) / Fr(n) - 1) - Fr(str(sp_))))
        worst = max(errs)
        return Evaluation(mpmath.mpf(worst.numerator) / worst.denominator, mpmath.mpf("0.05"),
                          {"abs errors (percentage points)": [float(e) for e in errs],
                           "note": "arithmetic only; L26: dense attention costs the same FLOPs whatever the norms"})


# ------------------------------------------------------------------------------------------- search claims


def _tanh_box(v, shape, scale=1.0):
    n = int(np.prod(shape))
    return scale * np.tanh(v[:n]).reshape(shape), v[n:]


class ChainSpace:
    """Instances of (3.3) inside the hypotheses of Thm 3.1: ||C1 W||_max = Gamma, ||C2||_max <= Gamma, with
    a polynomial (method, g) whose relative error on [-R, R] is below 1/2."""

    def __init__(self, Ls=(4, 8, 16), ds=(2, 3, 4), gs=range(2, 9), gamma=(0.05, 1.5), k2s=("2d",), chains=("ours",)):
        self.Ls, self.ds, self.gs, self.gamma, self.k2s, self.chains = Ls, ds, list(gs), gamma, k2s, chains

    def sample(self, rng):
        L, d = int(rng.choice(self.Ls)), int(rng.choice(self.ds))
        r = int(rng.integers(1, d))
        disc = {"L": L, "d": d, "r": r, "g": int(rng.choice(self.gs)), "method": str(rng.choice(BD.METHODS)),
                "k2": str(rng.choice(self.k2s)), "chain": str(rng.choice(self.chains))}
        n = 4 * L * d + d * d + 2 * d * r + 4
        return Candidate(disc, rng.normal(0, 1, n))

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
        G = lo + (hi - lo) / (1 + math.exp(-v[0]))
        t2 = 0.1 + 0.9 / (1 + math.exp(-v[1]))
        m3 = 0.1 + 2.9 / (1 + math.exp(-v[2]))
        mY = 0.1 + 2.9 / (1 + math.exp(-v[3]))
        n1 = np.abs(C1 @ (Wbar + B @ A)).max()
        if n1 == 0 or np.abs(C2).max() == 0:
            raise ValueError("degenerate instance")
        C1 = C1 * (G * (1 - 1e-12) / n1)
        C2 = C2 * (G * t2 / np.abs(C2).max())
        inst = {"kind": "partial", "L": L, "d": d, "r": r, "beta": 1.0, "Gamma": G, "g": z["g"], "method": z["method"],
                "k2": z["k2"], "chain": z["chain"],
                **INS._lists(C1=C1, C2=C2, C3=m3 * C3, Y=mY * Y, Wbar=Wbar, B=B, A=A)}
        ok, _ = _delta_hyp(inst)
        if not ok:
            raise ValueError("polynomial relative error >= 1/2")
        return inst

    def space(self):
        return SearchSpace(self.sample, self.decode, step=0.4)


def _chain_eval(inst, dps, variant=None):
    a = INS.arrays(inst, dps)
    beta = INS.scalar(inst, "beta", dps)
    ctx = mpmath.workdps(dps + 10) if dps else _Null()
    with ctx:
        ch = LR.chain_partial(a, beta, inst["method"], int(inst["g"]), variant or inst.get("chain", "ours"),
                              inst.get("k2", "2d"), dps)
        e = LR.step_errors(a, ch, beta)
        b = LR.bound_values(a, ch, beta, dps)
    return a, ch, e, b


class _Null:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


class SearchClaim(Claim):
    """Generic adversarial search (proofs_check.audit.search_audit) over ``space_factory()``."""

    budget_weight = 3.0
    space_factory = ChainSpace

    def audit(self, ctx):
        """The generic search with 3/4 of the share, leaving the rest for the high-precision confirmation."""
        from ..audit import search_audit

        return search_audit(self, ctx.share(max(0.5, 0.75 * ctx.budget_s)))

    def search_space(self, ctx):
        return type(self).space_factory().space()


def _step_claim(cid, where, kind, statement, observed_key, bound_key, note="", hyps=None, variant=None,
                space=None, weight=None, explanation=""):
    def evaluate(self, instance, dps=None):
        a, ch, e, b = _chain_eval(instance, dps, variant)
        if bound_key is None:                       # observed_key returns (observed, bound) of the worse part
            obs, bound = observed_key(e, b)
        else:
            obs = e[observed_key] if not callable(observed_key) else observed_key(e, b)
            bound = b[bound_key] if not callable(bound_key) else bound_key(e, b, a)
        det = {"explanation": explanation, "measured": _jsonable({k: v for k, v in e.items() if k != "exact"}),
               "bounds": _jsonable({k: v for k, v in b.items() if k != "values"}),
               "eta": _jsonable(ch["fa"]["eta"]), "R": ch["fa"]["R"], "k": ch["fa"]["k"]}
        return Evaluation(obs, bound, det)

    attrs = dict(id=f"{PAPER}.{cid}", source=src(where, kind, note), statement=statement,
                 hypotheses=hyps or (H_SHAPES, H_RANK, H_DELTA), evaluate=evaluate)
    if space is not None:
        attrs["space_factory"] = staticmethod(space)
    if weight is not None:
        attrs["budget_weight"] = weight
    return type(f"S_{cid.replace('.', '_')}", (SearchClaim,), attrs)()


EXPLICIT = "eps/poly(L) made explicit by the project's bound (spec Sec. 2.4) at eta = 2 delta/(1 - delta)"


def _worse(*pairs):
    """The (observed, bound) pair with the larger observed/bound."""
    return max(pairs, key=lambda p: _f(p[0]) / _f(p[1]) if _f(p[1]) > 0 else math.inf)


def _ga_obs(e, b):
    return _worse((e["GA"], b["E_GA"] + b["FP_GA"]), (e["GB"], b["E_GB"] + b["FP_GB"]))


def _p2_obs(e, b):
    return _worse((e["r"], b["E_r"]), (max(e["p2"], e["p2_row"]), b["E_p2"]))


def _c7_bound(e, b, a):
    return LR.maxabs(a["B"]) * LR.maxabs(a["C1"]) * LR.maxabs(a["C2"]) * (e["p1"] + e["p2"])


class PolyClaim(Claim):
    id = f"{PAPER}.ours.poly_bounds"
    source = src("spec Sec. 2.2: (T), (CI), (CT) relative-error bounds for exp on [-R, R]", "ours")
    statement = "sup_{|s|<=R} |P_g(s) e^{-s} - 1| <= delta_method(R, g) for Taylor, Chebyshev interpolation and series"
    hypotheses = (Hypothesis("R > 0, g >= 0", "interval and degree", lambda i: (i["R"] > 0 and i["g"] >= 0, str(i))),)
    budget_weight = 1.5

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

    def search_space(self, ctx):
        def sample(rng):
            return Candidate({"method": str(rng.choice(BD.METHODS)), "g": int(rng.integers(0, 31))},
                             rng.normal(0, 1, 1))

        def decode(c):
            return {"method": c.discrete["method"], "g": c.discrete["g"],
                    "R": float(0.05 * math.exp(math.log(200) / (1 + math.exp(-c.vector[0]))))}

        return SearchSpace(sample, decode, step=0.5)


class RankSandwich(Claim):
    id = f"{PAPER}.ours.rank_sandwich"
    source = src("spec Sec. 3.2 item 3 (hardness illustration)", "ours")
    statement = ("k_F(L eps) <= C(g*(R, eps) + d, d): the Frobenius eps-rank lower bound of exp(S - max S) never "
                 "exceeds the polynomial method's rank (eps = 1e-6)")
    hypotheses = (Hypothesis("entries bounded", "||Q||_max, ||K||_max <= Gamma", lambda i: (
        float(np.abs(np.asarray(i["Q"])).max()) <= i["Gamma"] * (1 + 1e-12)
        and float(np.abs(np.asarray(i["K"])).max()) <= i["Gamma"] * (1 + 1e-12), f"Gamma={i['Gamma']:.4g}")),)
    budget_weight = 1.5

    def evaluate(self, instance, dps=None):
        Q, K = np.asarray(instance["Q"]), np.asarray(instance["K"])
        res = HD.rank_sandwich(Q, K, 1e-6)
        return Evaluation(res["lower"], res["upper"], {k: v for k, v in res.items()} | {
            "note": "float64 SVD in both paths (the integers compared do not depend on the last digits)"})

    def search_space(self, ctx):
        def sample(rng):
            return Candidate({"L": int(rng.choice((32, 64, 128))), "d": int(rng.choice((2, 4, 8)))},
                             rng.normal(0, 1, 1 + 2 * 128 * 8))

        def decode(c):
            L, d = c.discrete["L"], c.discrete["d"]
            G = 0.25 + 2.75 / (1 + math.exp(-c.vector[0]))
            Q = G * np.tanh(c.vector[1:1 + L * d]).reshape(L, d)
            K = G * np.tanh(c.vector[1 + L * d:1 + 2 * L * d]).reshape(L, d)
            return {"L": L, "d": d, "Gamma": G, "Q": Q.tolist(), "K": K.tolist()}

        return SearchSpace(sample, decode, step=0.5)


class FullSpace(ChainSpace):
    """Def. A.1 instances (alpha/r = beta = 1) with all six adapters, ||X^(Q) W_Q||_max = Gamma."""

    def sample(self, rng):
        L, d = int(rng.choice(self.Ls)), int(rng.choice(self.ds))
        r = int(rng.integers(1, d))
        disc = {"L": L, "d": d, "r": r, "g": int(rng.choice(self.gs)), "method": str(rng.choice(BD.METHODS))}
        return Candidate(disc, rng.normal(0, 1, 4 * L * d + 3 * d * d + 6 * d * r + 2))

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
        G = lo + (hi - lo) / (1 + math.exp(-v[0]))
        WQ = arr["WQs"] + arr["BQ"] @ arr["AQ"]
        WK = arr["WKs"] + arr["BK"] @ arr["AK"]
        n1, n2 = np.abs(arr["XQ"] @ WQ).max(), np.abs(arr["XK"] @ WK).max()
        if n1 == 0 or n2 == 0:
            raise ValueError("degenerate")
        arr["XQ"] *= G * (1 - 1e-12) / n1
        arr["XK"] *= G * (0.1 + 0.9 / (1 + math.exp(-v[1]))) / n2
        inst = {"kind": "raw", "L": L, "d": d, "r": r, "s": 1.0, "beta": 1.0, "Gamma": G, "g": z["g"],
                "method": z["method"], **INS._lists(**arr)}
        ok, _ = _delta_hyp(inst)
        if not ok:
            raise ValueError("polynomial relative error >= 1/2")
        return inst


class FullChain(SearchClaim):
    id = f"{PAPER}.ours.theoremA_1"
    source = src("Thm A.1 / App. D, corrected low-rank gradients of all six adapters (shared f~)", "ours")
    statement = ("the corrected chain's G~(A)_mu, G~(B)_mu (mu = Q, K, V) are within the project's bounds of the "
                 "autograd gradients of Def. A.1")
    hypotheses = (H_SHAPES, H_RANK, H_DELTA)
    space_factory = staticmethod(lambda: FullSpace(Ls=(4, 8, 16), ds=(2, 3, 4), gs=range(2, 8)))

    def evaluate(self, instance, dps=None):
        a = INS.arrays(instance, dps)
        s, beta = INS.scalar(instance, "s", dps), INS.scalar(instance, "beta", dps)
        ctx = mpmath.workdps(dps + 10) if dps else _Null()
        with ctx:
            ch = LR.chain_full(a, s, beta, instance["method"], int(instance["g"]), dps)
            ex = CK.exact_full(a, s, beta, dps)
            bd = LR.full_bounds(a, ch, s, beta, dps)
            errs = {k: LR.maxabs(ch[k] - ex[k]) for k in bd}
        ratios = {k: _f(errs[k]) / _f(bd[k]) if _f(bd[k]) > 0 else math.inf for k in bd}
        worst = max(ratios, key=ratios.get)
        return Evaluation(errs[worst], bd[worst], {"worst adapter": worst, "errors": _jsonable(errs),
                                                   "bounds": _jsonable(bd), "eta": _jsonable(ch["fa"]["eta"])})


# ---------------------------------------------------------------------------------------------- the list


def _claims():
    P = "paper"
    out = [
        Lemma2_1(), DefCj(),
        formula("eq2_1", CK.eq2_1, "(2.1), Sec. 2, p. 4",
                "L0 := ||D^{-1} exp(X W X^T beta) X W_V - Y||_F^2 equals sum_j sum_i 1/2 (<D_jj^{-1} exp(A_j vec W), "
                "X W_V[:, i]> - Y_ji)^2 (A := X (x) X)", fkind="raw", hyps=RAW_HYPS,
                explain=('(2.1) carries a factor 1/2 that the definition of L0 on the same page does not: (2.1) = L0 '
                         '/ 2 at every instance (it also drops beta). The corrected form is hu2025lora.ours.eq2_1.')),
        formula("ours.eq2_1", CK.eq2_1_ours, "(2.1) without the 1/2, beta kept", kind="ours",
                statement="L0 = sum_j sum_i (<D_jj^{-1} exp(beta A_j vec W), X W_V[:, i]> - Y_ji)^2", fkind="raw",
                hyps=(H_SHAPES, H_RANK)),
        formula("sec2.vectorised_score", CK.vectorised_score, "Sec. 2, p. 4 (vectorised attention score)",
                "(D (x) I_L)^{-1} exp(A vec W) is the vectorised D^{-1} exp(X W X^T)", fkind="raw", hyps=RAW_HYPS),
        formula("eq3_2", CK.eq3_2, "(3.2), (S2), p. 5",
                "X^(Q) (alpha/r) ((r/alpha) W_Q* + B_Q A_Q) (W_K*)^T X^(K)T = C1 B_Q A_Q C2^T", fkind="raw",
                hyps=(H_SHAPES, H_RANK), explain='The right side drops the W-bar = (r/alpha) W_Q* term (L8): the left'
                                                 ' side equals C1 (W-bar + B_Q A_Q) C2^T (hu2025lora.ours.eq3_2), as '
                                                 '(3.3) then uses.'),
        formula("ours.eq3_2", CK.eq3_2_ours, "(3.2) with the W-bar term", kind="ours",
                statement="X^(Q) (alpha/r) ((r/alpha) W_Q* + B_Q A_Q) (W_K*)^T X^(K)T = C1 (W-bar + B_Q A_Q) C2^T",
                fkind="raw", hyps=(H_SHAPES, H_RANK)),
        formula("eq3_3", CK.eq3_3, "(3.3), p. 6",
                "the loss (3.3) with C1, C2, C3, W-bar of (S2) equals Def. 3.1's loss (one point, W_V fixed, beta = 1)",
                fkind="raw", hyps=(H_SHAPES, H_RANK)),
        formula("eq3_4", CK.eq3_4, "Defs. 3.2-3.5 and (3.4), p. 6",
                "c(W) = f(W) C3 - Y (Defs. 3.2-3.5 through the C_j) and L(W) = 1/2 sum_j sum_i c(W)_{j,i}^2",
                grid=GRID_CJ),
        formula("lemma3_1", CK.lemma3_1, "Lemma 3.1, (3.5), p. 7",
                "dL/dvec(W) = sum_j sum_i c(W)_{j,i} C_j^T (diag(f(W)_j) - f(W)_j f(W)_j^T) C3[:, i]", grid=GRID_CJ),
        formula("lemmaC_1", CK.lemmaC_1, "Lemma C.1, p. 23",
                'dL/dA_Q = sum J_B^T c_{j,i} C_j^T (...) C3[:, i], dL/dB_Q = sum J_A^T (...), with J_B = '
                'blockdiag(B_Q) '
                "and J_A = [diag_d(A_Q[k, i])]_{i,k}", grid=GRID_CJ,
                explain=('J_B = blockdiag(B_Q) = I_d (x) B_Q and J_A = A_Q^T (x) I_d are the Jacobians of vec(B_Q '
                         "A_Q) for COLUMN-major vec; (3.5) and C = C1 (x) C2 use Def. 2.1's row-major vec, for which "
                         'they are B_Q (x) I_d and I_d (x) A_Q^T (L2; hu2025lora.ours.lemmaC_1). Neither output '
                         'ordering rescues the display.')),
        formula("ours.lemmaC_1", CK.lemmaC_1_ours, "Lemma C.1 with row-major Jacobians", kind="ours",
                statement="J_B = B_Q (x) I_d and J_A = I_d (x) A_Q^T (row-major vec), then dL/dA_Q = J_B^T (3.5)",
                grid=GRID_CJ),
        formula("lemma3_2.A", CK.lemma3_2_A, "Lemma 3.2, (3.6), p. 7",
                "dL/dA_Q = vec(B_Q^T (C1)^T p(W) C2), p(W)_j := (diag(f(W)_j) - f(W)_j f(W)_j^T) q(W), q := C3 c^T",
                note="the display has no index j on q (L12); the proof (C.2) uses q(W)_j = sum_i c_{j,i} C3[:, i], "
                     "the j-th column of q"),
        formula("lemma3_2.B", CK.lemma3_2_B, "Lemma 3.2, (3.6), p. 7", "dL/dB_Q = vec((C1)^T p(W) A_Q C2)",
                explain=('C1^T p(W) A_Q C2 multiplies the L x L matrix p(W) by the r x d matrix A_Q (and A_Q C2 is r '
                         'x d times L x d): it is not defined for r < d. The gradient is C1^T p(W) C2 A_Q^T '
                         '(hu2025lora.ours.lemma3_2.B).')),
        formula("ours.lemma3_2.B", CK.lemma3_2_B_ours, "(3.6) for B_Q, corrected", kind="ours",
                statement="dL/dB_Q = C1^T p(W) C2 A_Q^T (rows of p(W) are p(W)_j)"),
        formula("def3_6", CK.def3_6, "Definition 3.6, p. 7",
                "p1(W)_j := diag(f(W)_j) q(W)_j, p2(W)_j := f(W)_j f(W)_j^T q(W)_j and p(W) = p1(W) - p2(W) = dL/dS"),
        formula("lemma3_6.C5_matrix_form", CK.C5_p1, "C.5, proof of Lemma 3.6, p. 25",
                "p1(W) = f(W) (.) q(W) (with Def. 3.6's p1 and Lemma 3.2's q)",
                explain=('With q(W) = C3 c(W)^T (Lemma 3.2) and q(W)_j its j-th column (the proof in C.2 turns sum_i '
                         'c_{j,i} C3[:, i] into q(W)_j), Def. 3.6 gives p1(W) = f (.) q^T, not f (.) q. f (.) q holds'
                         ' only if q(W)_j is read as the j-th row, under which (3.6) fails (see '
                         "hu2025lora.lemma3_2.A's readings); App. F's q := c C3^T would make it hold.")),
        formula("ours.lemma3_6.C5_matrix_form", CK.C5_p1_ours, "C.5 corrected", kind="ours",
                statement="p1(W) = f(W) (.) q(W)^T"),
        formula("lemma3_7.C6_matrix_form", CK.C6_p2, "C.6, proof of Lemma 3.7, p. 26",
                "p2(W) = f(W) diag(r(W)) with r(W)_j := f(W)_j^T q(W)_j",
                explain=('p2(W)_j = f_j f_j^T q_j = r_j f_j, so p2 = diag(r) f (rows) or f^T diag(r) (columns); f '
                         'diag(r) scales the columns of f instead. It fails under every reading '
                         '(hu2025lora.ours.lemma3_7.C6_matrix_form).')),
        formula("ours.lemma3_7.C6_matrix_form", CK.C6_p2_ours, "C.6 corrected", kind="ours",
                statement="p2(W) = diag(r(W)) f(W) with r(W)_j = f(W)_j^T q(W)[:, j]"),
        formula("theoremF_1.q_recall", CK.appF_q, "App. F, proof of Thm F.1, Step 3, p. 39",
                "'recall that q(W) := c(W) (C3)^T' (the q of Lemma 3.2)",
                explain="App. F 'recalls' q(W) := c(W) (C3)^T, the transpose of Lemma 3.2's q(W) := C3 c(W)^T."),
        formula("lemma3_5.C4_display", CK.C4_display, "C.4, proof of Lemma 3.5, p. 24",
                '||q~(W) - q(W)||_inf = ||C3 (U1 V1^T C3 - Y)^T - C3 Y^T||_inf', grid=GRID_CHAIN, weight=0.8,
                explain=('C3 (U1 V1^T C3 - Y)^T - C3 Y^T is q~ - C3 Y^T, not q~ - q; it should read ||C3 (c~ - c)^T||'
                         ' (L13). The bound on the next line (hu2025lora.lemma3_5.C4_inequality) is right.')),
        formula("lemma3_6", CK.lemma3_6, "Lemma 3.6 and C.5, pp. 8 and 25",
                "U3 = U1 (/) U2, V3 = V1 (/) V2 give ||U3 V3^T - p1(W)||_inf <= eps/poly(L)", note=EXPLICIT,
                grid=GRID_CHAIN, weight=0.8, explain='U3 V3^T = (U1 V1^T) (.) (U2 V2^T) = f~ (.) q~ approximates f '
                                                     '(.) q, which is not p1 = f (.) q^T under the reading that makes'
                                                     ' Lemma 3.2 hold; the error stays O(1) as the degree grows '
                                                     '(report, error vs degree). The corrected construction U3 = U1 '
                                                     '(/) V2, V3 = V1 (/) U2 is hu2025lora.ours.lemma3_6. The column-'
                                                     'wise (/) as written does not conform (L1).'),
        formula("lemma3_7", CK.lemma3_7, "Lemma 3.7 and C.6, pp. 8 and 26",
                "U4 = U1, V4 = diag(r~) V1 with r~_j = U1[j,:] V1^T V2 U2[j,:]^T give ||U4 V4^T - p2(W)||_inf <= "
                "eps/poly(L)", note=EXPLICIT, grid=GRID_CHAIN, weight=0.8,
                explain=('U4 V4^T = f~ diag(r~) with r~_j = <f~[j,:], q~[j,:]> approximates f diag(r_row), which is '
                         'not p2 under any reading (p2 = diag(r) f with r_j = <f_j, q[:, j]>). Corrected: U4 = '
                         'diag(r~) U1, V4 = V1, r~_j = U1[j,:] V1^T U2 V2[j,:]^T (hu2025lora.ours.lemma3_7).')),
        formula("theorem3_1", CK.theorem3_1, "Theorem 3.1 and its proof (C.7), pp. 9 and 27",
                "the algorithm of C.7 (chain of L3.3-L3.7, G~(A) = vec(B_Q^T C1^T (U3 V3^T - U4 V4^T) C2)) outputs "
                "||dL/dA_Q - G~(A)||_inf <= 1/poly(L)", note=EXPLICIT, grid=GRID_CHAIN, weight=0.8,
                explain=('The gradient assembled in C.7 from the constructions of Lemmas 3.6-3.7 tends (as eta -> 0) '
                         'to B_Q^T C1^T (f (.) q - f diag(r_row)) C2, which is not dL/dA_Q: the algorithm of the '
                         'proof does not compute the LoRA gradient, whatever the degree. The existence statement '
                         'survives with the corrected chain (hu2025lora.ours.theorem3_1, same L k d^2 cost). G~(B) '
                         "'similarly' (vec(C1^T p~ A_Q C2)) does not conform.")),
        formula("lemmaD_1", CK.lemmaD_1, "Lemma D.1, p. 30",
                "dL/dvec(W_Q) and dL/dvec(W_K^T) are (3.5) with C^Q = C_Q1 (x) C_Q2 and C^K = C_K1 (x) C_K2",
                fkind="raw", grid=INS.size_grid(Ls=(8, 16, 64), ds=(4, 6), rs=(1, 2)), hyps=RAW_HYPS),
        formula("lemmaD_2", CK.lemmaD_2, "Lemma D.2, p. 30",
                'for W in R^{m x n}, vec(W^T) = T(m, n) vec(W) with T(m,n)[(p-1)n+k, (k-1)m+p] = 1', base=TClaim,
                explain=('T(m, n) as defined maps the column-major vec of W to that of W^T (its proof writes W[p,k] ='
                         " vec(W)[(k-1)m + p], column-major). With Def. 2.1's row-major vec the map is T(m, n)^T = "
                         'T(n, m); the two agree only for m = n (L2), which is the case used in App. D.')),
        formula("ours.lemmaD_2", CK.lemmaD_2_ours, "Lemma D.2 under row-major vec", kind="ours",
                statement="vec(W^T) = T(m, n)^T vec(W) = T(n, m) vec(W) (row-major)", base=TClaim),
        formula("lemmaD_3", CK.lemmaD_3, "Lemma D.3, p. 31",
                "dL/dA_Q = sum J_{B_Q}^T (...), dL/dA_K = sum (T(d^2, d^2) J_{B_K})^T c_K (C^K_j)^T (...) C3[:, i] "
                "(and the same with J_A for the B's)", fkind="raw", grid=INS.size_grid(Ls=(8, 16, 64), ds=(4, 6),
                                                                                       rs=(1, 2)), hyps=RAW_HYPS,
                explain=('T(d^2, d^2) is d^4 x d^4 and does not conform with J_{B_K} (d^2 x rd); with T(d, d) the '
                         "displayed (column-major) J's still give wrong gradients, and the proof's T J_{B_K} "
                         'dL/dvec(W_K^T) has no transpose and does not conform. Corrected: hu2025lora.ours.lemmaD_3.')),
        formula("ours.lemmaD_3", CK.lemmaD_3_ours, "Lemma D.3 corrected", kind="ours",
                statement='dL/dA_mu = J_{B_mu}^T g_mu with row-major J, g_Q = dL/dvec(W_Q), g_K = T(d,d)^T '
                          'dL/dvec(W_K^T)',
                fkind="raw", grid=INS.size_grid(Ls=(8, 16, 64), ds=(4, 6), rs=(1, 2)), hyps=RAW_HYPS),
        formula("lemmaD_4.A_Q", CK.lemmaD_4_A_Q, "Lemma D.4, p. 32",
                "dL/dA_Q = vec(B_Q^T (C_Q1)^T p_Q(W_Q) C_Q2)", fkind="raw", grid=GRID_FULL, hyps=RAW_HYPS),
        formula("lemmaD_4.B_Q", CK.lemmaD_4_B_Q, "Lemma D.4, p. 32",
                "dL/dB_Q = vec((C_Q1)^T p_Q(W_Q) A_Q C_Q2)", fkind="raw", grid=GRID_FULL, hyps=RAW_HYPS,
                explain='C_Q1^T p_Q A_Q C_Q2 does not conform (as in (3.6)); the gradient is C_Q1^T p_Q C_Q2 A_Q^T.'),
        formula("lemmaD_4.A_K", CK.lemmaD_4_A_K, "Lemma D.4, p. 32",
                "dL/dA_K = T(d^2, d^2)^T vec(B_K^T (C_K1)^T p_K(W_K^T) C_K2)", fkind="raw", grid=GRID_FULL,
                hyps=RAW_HYPS, explain='T(d^2, d^2)^T does not conform with vec(B_K^T ...) in R^{rd}; beyond the '
                                       'shapes, no permutation maps B_K^T G to the gradient B_K^T G^T (G = C_K1^T p_K'
                                       ' C_K2 = dL/dW_K^T), so the formula fails under every reading of T and p_K. '
                                       'Corrected: hu2025lora.ours.lemmaD_4.'),
        formula("lemmaD_4.B_K", CK.lemmaD_4_B_K, "Lemma D.4, p. 32",
                "dL/dB_K = T(d^2, d^2)^T vec((C_K1)^T p_K(W_K^T) A_K C_K2)", fkind="raw", grid=GRID_FULL,
                hyps=RAW_HYPS, explain='C_K1^T p_K A_K C_K2 does not conform; the gradient is G^T A_K^T with G = '
                                       'C_K1^T p_K C_K2.'),
        formula("ours.lemmaD_4", CK.lemmaD_4_ours, "Lemma D.4 corrected", kind="ours",
                statement="dL/dB_Q = C_Q1^T p_Q C_Q2 A_Q^T; dL/dA_K = B_K^T G^T, dL/dB_K = G^T A_K^T, "
                          "G = C_K1^T p_K C_K2", fkind="raw", grid=GRID_FULL, hyps=RAW_HYPS),
        formula("ours.V_path", CK.V_path_ours, "V adapters (Problem 1 asks for them; not analysed, L3)", kind="ours",
                statement="dL/dW_V = X_V^T F^T c, dL/dA_V = (alpha/r) B_V^T dL/dW_V, dL/dB_V = (alpha/r) dL/dW_V A_V^T",
                fkind="raw", grid=GRID_FULL, hyps=RAW_HYPS),
        formula("ours.fQ_equals_fK", CK.fQ_equals_fK, "App. D, Defs. D.3 (L27)", kind="ours",
                statement="f_Q(W_Q) = f_K(W_K^T): one score matrix, so c_Q = c_K, q_Q = q_K, p_Q = p_K",
                fkind="raw", grid=GRID_FULL, hyps=RAW_HYPS),
        formula("theoremA_1", CK.theoremA_1, "Theorem A.1 and its proof, pp. 18 and 34-36",
                "the algorithm of the proof (Thm 3.1's chain for mu = Q, Lemma D.4 for mu = K) outputs gradients "
                "within 1/poly(L)", note=EXPLICIT, fkind="raw", grid=INS.size_grid(Ls=(8, 32), ds=(2, 4), rs=(1, 2)),
                hyps=RAW_HYPS, weight=0.8, explain="The mu = Q part of the proof is Theorem 3.1's chain (same "
                                                   'failure: it converges to the wrong matrix); the mu = K part uses '
                                                   "Lemma D.4's K formulas, which do not conform. Corrected full-case"
                                                   ' algorithm: hu2025lora.ours.theoremA_1.'),
        formula("theorem4_1", None, "Theorem 4.1 and App. E, pp. 9 and 37",
                "the reduction AAttLGC(L, r) -> ALoRAGC(L, d, r): C1 = [A1, 0], B_Q = [I_r; 0], A_Q = [X, 0], "
                "C2 = [A2, 0]/r, C3 = [A3, 0], Y = 0 (W-bar = 0) gives dL/dA_Q = [dL/dX, 0]; the SETH lower bound "
                "itself is not checkable", note="max abs difference, bound 1e-12 (spec K-08)", base=ReductionClaim),
        formula("ours.theorem3_1_vs_4_1", None, "Theorems 3.1 and 4.1 together (App. E instance, rescaled)", kind="ours",
                statement='the App. E instance with C1 -> C1/sqrt(r), C2 -> sqrt(r) C2 has the same dL/dA_Q (= '
                          '[dL/dX, 0]) '
                          "and satisfies ||C1 W||_max, ||C2||_max <= B/sqrt(r) (Thm 3.1's hypotheses with "
                          "Gamma = O(kappa(L)) when r = Theta(log L))",
                note="observed = max abs gradient difference (inf if the norms exceed B/sqrt(r)); bound 1e-12",
                base=RebalancedReductionClaim),
        AS23Normalisation(), ColumnKron(), FaceSplitOurs(), HockeyStick(), ShapeLint(), AppG(),
        _step_claim("lemma3_3", "Lemma 3.3 (via AS23 Thm 3.8), p. 7", P,
                    "U1 V1^T (polynomial method, normalised) satisfies ||U1 V1^T - f(W)||_inf <= eps/poly(L); "
                    "checked entrywise: |f~ - f| <= eta f", "f_rel", "E_f", EXPLICIT,
                    hyps=(H_SHAPES, H_RANK, H_DELTA, H_GAMMA)),
        _step_claim("lemma3_4", "Lemma 3.4 and C.3, pp. 8 and 24", P,
                    "||U1 V1^T C3 - Y - c(W)||_inf <= eps/poly(L)", "c", "E_c", EXPLICIT,
                    hyps=(H_SHAPES, H_RANK, H_DELTA, H_GAMMA)),
        _step_claim("lemma3_5", "Lemma 3.5 and C.4, pp. 8 and 24", P,
                    "U2 = [C3, -C3], V2 = [U1 V1^T C3, Y] give ||U2 V2^T - q(W)||_inf <= eps/poly(L)", "q", "E_q",
                    EXPLICIT, hyps=(H_SHAPES, H_RANK, H_DELTA, H_GAMMA)),
        _step_claim("lemma3_5.C4_inequality", "C.4, proof of Lemma 3.5, p. 24", P,
                    "||q~(W) - q(W)||_inf <= d ||C3||_inf ||U1 V1^T C3 - Y - c(W)||_inf", "q",
                    lambda e, b, a: a["C3"].shape[1] * LR.maxabs(a["C3"]) * e["c"],
                    hyps=(H_SHAPES, H_RANK, H_DELTA, H_GAMMA), weight=1.5),
        _step_claim("theorem3_1.C7_inequality", "C.7, proof of Thm 3.1, p. 27 (and proof of Thm A.1, p. 35)", P,
                    "||B_Q^T C1^T (p - p~) C2||_inf <= ||B_Q||_inf ||C1||_inf ||C2||_inf (||p1 - p1~||_inf + "
                    "||p2 - p2~||_inf) ('sub-multiplicative property of the inf-norm')", "GA", _c7_bound,
                    note="evaluated with the exact p1, p2 (rows, q_j the j-th column of q) and the chain's p1~, p2~ "
                         "(paper's or corrected chain)",
                    hyps=(H_SHAPES, H_RANK, H_DELTA, H_GAMMA),
                    space=lambda: ChainSpace(Ls=(2, 3, 4, 8), chains=("ours", "paper")), weight=1.5,
                    explanation="The max norm is not sub-multiplicative: each entry of B_Q^T C1^T Delta C2 sums "
                                'd L^2 products, so it can exceed ||B_Q|| ||C1|| ||C2|| ||Delta|| by up to d L^2. A '
                                'valid '
                                "bound is L ||C1 B_Q||_max ||C2||_max max_l ||Delta[l,:]||_1 (step 9 of "
                                "hu2025lora.ours.theorem3_1)."),
        _step_claim("ours.lemma3_6", "Lemma 3.6 corrected: U3 = U1 (/) V2, V3 = V1 (/) U2", "ours",
                    "||p1~ - p1||_max and max_j ||(p1~ - p1)[j,:]||_1 <= E_p1 = (1 + eta) E_q + eta M_q",
                    lambda e, b: max(e["p1"], e["p1_row"]), "E_p1", space=lambda: ChainSpace(k2s=("2d", "d"))),
        _step_claim("ours.lemma3_7", "Lemma 3.7 corrected: U4 = diag(r~) U1, V4 = V1", "ours",
                    "|r~ - r| <= E_r and ||p2~ - p2||_max, row l1 <= E_p2 = (M_q + E_r) eta + E_r",
                    _p2_obs, None, space=lambda: ChainSpace(k2s=("2d", "d"))),
        _step_claim("ours.theorem3_1", "Theorem 3.1 corrected chain and step-9 sandwich bound", "ours",
                    "||G~(A) - dL/dA_Q||_max <= beta L ||C1 B_Q||_max ||C2||_max (E_p1 + E_p2) (+ rounding), same "
                    "for B_Q with ||C1||_max ||C2 A_Q^T||_max; observed/bound is the worse of the two",
                    _ga_obs, None, space=lambda: ChainSpace(k2s=("2d", "d"))),
        FullChain(), PolyClaim(), RankSandwich(),
    ]
    return out


CLAIMS = _claims()


def configure(args) -> dict:
    """Shared options: --seed (search seed), --precision (>= 50, checked by the audit command)."""
    seed = getattr(args, "seed", None)
    if seed is not None:
        require_int("--seed", seed, 0)
    device = getattr(args, "device", None)
    if device not in (None, "auto", "cpu") and not str(device).startswith("cuda"):
        raise ConfigError("--device", f"must be cpu, cuda or auto; got {device!r}")
    return {"seed": seed or 0}
