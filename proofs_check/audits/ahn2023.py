"""Claims of Ahn, Cheng, Daneshmand, Sra 2023, "Transformers learn to implement preconditioned gradient descent for
in-context learning" (NeurIPS 2023).

Display equations were missing from the full text the spec read (spec 0): Theorem 1's formula is [P-] (rebuilt, then
re-derived), Lemma 1's transpose convention could not be read (referee note A4), Theorem 5's formula is reconstructed.
Exact claims are decided in SymPy (rationals, symbolic n) and confirmed at ``ctx.precision`` digits; Monte Carlo and
training claims are ``verified`` or ``inconclusive``, never ``violated``.
"""
from __future__ import annotations

import math
import time
from fractions import Fraction

import mpmath
import numpy as np
import sympy as sp

from numeric.executors.dense import run_dense
from numeric.executors.highprec import run_highprec
from symbolic import ahn2023 as ahn
from symbolic.errors import require_int

from ..claims import Claim, Evaluation, Hypothesis, Outcome, Source
from ..search import Candidate, SearchSpace
from .vonoswald2023 import grid_audit, precision_bound, training_budget

PAPER = "Ahn, Cheng, Daneshmand, Sra 2023 (NeurIPS)"
DEFAULT_BUDGET_S = 330.0

# The spec's instance (A-2/A-4): d = 3, Sigma = U diag(1, 1/2, 1/10) U^T, U an exactly rational rotation.
SKEW = ("1/2", "1/3", "-1/4")
LAMBDAS = ("1", "1/2", "1/10")


def _Q(v) -> sp.Rational:
    return sp.Rational(str(v))


def sigma_of(inst) -> tuple[sp.Matrix, sp.Matrix, list]:
    """(Sigma, U, lambdas) of an instance {'skew': [...], 'lambdas': [...]}: Sigma = U diag(lambdas) U^T exactly."""
    lam = [_Q(v) for v in inst["lambdas"]]
    U = ahn.cayley_rotation([_Q(v) for v in inst["skew"]]) if inst.get("skew") else sp.eye(len(lam))
    return U * sp.diag(*lam) * U.T, U, lam


def _pos_lambdas(inst):
    lam = [_Q(v) for v in inst["lambdas"]]
    d = len(lam)
    ok = all(v > 0 for v in lam) and len(inst.get("skew") or []) in (0, d * (d - 1) // 2)
    return ok, f"lambdas = {[str(v) for v in lam]}"


def _n_ok(inst):
    return isinstance(inst["n"], int) and inst["n"] >= 1, f"n = {inst['n']}"


SIGMA_HYP = (Hypothesis("Sigma", "Sigma = U diag(lambda) U^T, lambda_i > 0, U orthogonal", _pos_lambdas),
             Hypothesis("n", "n >= 1 in-context examples", _n_ok))


def _exact_eval(value: sp.Expr, dps):
    """An exact nonnegative rational as float (dps None) or mpf; the bound of the exact claims is 0."""
    v = sp.simplify(value) if not isinstance(value, sp.Rational) else value
    return (float(v), 0.0) if dps is None else (mpmath.mpf(sp.N(v, dps + 10)), mpmath.mpf(0))


def _rational_grid(seed: int, count: int, d: int = 3) -> list[dict]:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(count):
        out.append({"skew": [f"{int(rng.integers(-4, 5))}/{int(rng.integers(1, 6))}" for _ in range(d * (d - 1) // 2)],
                    "lambdas": [f"{int(rng.integers(1, 20))}/{int(rng.integers(1, 10))}" for _ in range(d)],
                    "n": int(rng.choice([1, 2, 5, 10, 20, 100]))})
    return out


# ----------------------------------------------------------------------------------------------------------
# Theorem 1

class Theorem1ClosedForm(Claim):
    id = "ahn2023.theorem1.closed_form"
    source = Source(PAPER, "Theorem 1 (x ~ N(0, Sigma), w* ~ N(0, I), one layer)",
                    note="display missing in the copy read; formula [P-], re-derived")
    statement = ("P_0 = [[0,0],[0,1]], Q_0 = -[[U diag(1/(((n+1)/n) lambda_i + (1/n) sum_k lambda_k)) U^T, 0],[0,0]] "
                 "minimises f; in the (8)-family this is the zero of grad L(Gamma), Gamma = -Q_0's block")
    hypotheses = SIGMA_HYP

    def paper_block(self, lambdas, U, n) -> sp.Matrix:
        """Theorem 1 as printed (eigen form)."""
        return ahn.theorem1_eigen_block(lambdas, U, n)

    def residual(self, Sigma, U, lam, n) -> sp.Matrix:
        """grad L at Gamma = -(paper block) with w* ~ N(0, I): 2 Sigma Gamma B - 2 Sigma Sigma (spec 2.2)."""
        Gamma = -self.paper_block(lam, U, n)
        B = ahn.B_matrix(Sigma, sp.eye(Sigma.shape[0]), n)
        return sp.simplify(2 * Sigma * Gamma * B - 2 * Sigma * Sigma)

    def evaluate(self, instance, dps=None):
        Sigma, U, lam = sigma_of(instance)
        R = self.residual(Sigma, U, lam, sp.Integer(instance["n"]))
        obs, bound = _exact_eval(max(abs(v) for v in R), dps)
        return Evaluation(obs, bound, {"max_abs_gradient": str(max(abs(v) for v in R))})

    def audit(self, ctx):
        t0 = time.monotonic()
        n, d = sp.Symbol("n", positive=True), sp.Symbol("d", positive=True)
        inst = {"skew": list(SKEW), "lambdas": list(LAMBDAS), "n": 10}
        Sigma, U, lam = sigma_of(inst)
        symbolic_zero = self.residual(Sigma, U, lam, n) == sp.zeros(3, 3)
        matrix_form = sp.simplify(self.paper_block(lam, U, n) - ahn.theorem1_block(Sigma, n)) == sp.zeros(3, 3)
        B = ahn.B_matrix(Sigma, sp.eye(3), 10)
        hessian_pd = B.is_positive_definite and Sigma.is_positive_definite        # Hessian 2 (B kron Sigma)
        iso = sp.simplify(n / (n + d + 1) - 1 / ((n - 1) / n + (d + 2) / n)) == 0
        Gamma = -self.paper_block(lam, U, 10)
        eig = sorted(Gamma.eigenvals(multiple=True))
        loss = sp.simplify(ahn.gamma_loss(Gamma, Sigma, sp.eye(3), 10))
        reference = eig == sorted([sp.Rational(50, 63), sp.Rational(100, 71), sp.Rational(100, 27)]) and \
            loss == sp.Rational(27992, 67095)
        extra = {"symbolic_n_gradient_zero": symbolic_zero, "eigen_form_equals_matrix_form": matrix_form,
                 "hessian_2(B kron Sigma)_pd": bool(hessian_pd), "isotropic_n/(n+d+1)": iso,
                 "reference_d3_n10": {"eigenvalues": [str(v) for v in eig], "L*": str(loss), "matches_spec": reference}}
        res = grid_audit(self, ctx, [inst] + _rational_grid(ctx.seed, 8), extra=extra, t0=t0, certified=True,
                         method="SymPy: gradient of L(Gamma) at the printed formula, symbolic n and 9 rational Sigma")
        if res.outcome is Outcome.VERIFIED and not all([symbolic_zero, matrix_form, hessian_pd, iso, reference]):
            res.outcome = Outcome.INCONCLUSIVE
            res.summary = f"grid exact, but a symbolic check failed: {extra}"
        return res


class Theorem1GlobalFullPQ(Claim):
    id = "ahn2023.theorem1.global_full_pq"
    source = Source(PAPER, "Theorem 1 and its proof (convex reduction over the full (P, Q); spec A-3)")
    statement = ("(P_0, Q_0) is a global minimiser of f over ALL (P, Q) in R^{(d+1)x(d+1)}: f depends on (P, Q) only via "
                 "b (last row of P) and A = Q[:, :d]; for diagonal Sigma, f = sum_j lambda_j f_j(a_j b^T), each f_j a convex "
                 "quadratic whose gradient vanishes at the realisable X_j = c_j e_j e_{d+1}^T")
    hypotheses = SIGMA_HYP

    def paper_coefficients(self, lam, n) -> list:
        """c_j = Q_0's diagonal entries for Sigma = diag(lambda) (Theorem 1)."""
        return list(ahn.theorem1_block(sp.diag(*lam), n).diagonal())

    def gradients(self, lam, n) -> list[sp.Matrix]:
        d = len(lam)
        mom = ahn.g_moments(sp.diag(*lam), sp.eye(d), n)
        out = []
        for j, c in enumerate(self.paper_coefficients(lam, n)):
            X = np.full((d + 1, d + 1), sp.Integer(0), dtype=object)
            X[j, d] = c                                              # a_j b^T with a_j = c e_j, b = e_{d+1}
            out.append(sp.Matrix(ahn.relaxation_gradient(X, j, mom)).applyfunc(sp.simplify))
        return out

    def evaluate(self, instance, dps=None):
        lam = [_Q(v) for v in instance["lambdas"]]
        worst = max(abs(v) for G in self.gradients(lam, sp.Integer(instance["n"])) for v in G)
        obs, bound = _exact_eval(worst, dps)
        return Evaluation(obs, bound, {"max_abs_relaxation_gradient": str(worst)})

    def audit(self, ctx):
        t0 = time.monotonic()
        n = sp.Symbol("n", positive=True)
        l1, l2 = sp.symbols("lambda1 lambda2", positive=True)
        symbolic = all(G == sp.zeros(3, 3) for G in self.gradients([l1, l2], n))
        grid = [{"lambdas": list(LAMBDAS), "n": 10}, {"lambdas": ["2", "1/3", "5/7"], "n": 1},
                {"lambdas": ["1", "1", "1"], "n": 20}, {"lambdas": ["3", "1/4"], "n": 7}]
        res = grid_audit(self, ctx, grid, t0=t0, certified=True,
                         extra={"symbolic_d2_n_lambda1_lambda2_gradient_zero": symbolic,
                                "rotation": "a rotated Sigma reduces to diag(lambda) via w* -> U^T w* (w* ~ N(0, I))"},
                         method="exact E[G (x) G], E[w_j G] (Isserlis + exact Gauss-Hermite), SymPy; symbolic "
                                "(n, lambda_1, lambda_2) for d = 2 and rational d = 3 cases")
        if res.outcome is Outcome.VERIFIED and not symbolic:
            res.outcome, res.summary = Outcome.INCONCLUSIVE, "the symbolic d = 2 gradient does not simplify to 0"
        return res


class GeneralPrior(Claim):
    id = "ahn2023.theorem1.general_prior"
    source = Source(PAPER, "spec 2.2: Gamma* = Omega Sigma B^{-1} for w* ~ N(0, Omega)", "ours")
    statement = ("for the prediction x_q^T Gamma S_hat w*, w* ~ N(0, Omega): Gamma* = Omega Sigma B^{-1}, "
                 "B = ((n+1)/n) Sigma Omega Sigma + (tr(Omega Sigma)/n) Sigma; for Omega = Sigma^{-1}: "
                 "Gamma* = (n/(n+d+1)) Sigma^{-1} and L* = d(d+1)/(n+d+1); for Omega = I: "
                 "L* = sum_i lambda_i (lambda_i + tr Sigma)/((n+1) lambda_i + tr Sigma)")
    hypotheses = SIGMA_HYP

    def evaluate(self, instance, dps=None):
        Sigma, U, lam = sigma_of(instance)
        n, d = sp.Integer(instance["n"]), Sigma.shape[0]
        Om = Sigma.inv()
        G = ahn.optimal_gamma(Sigma, Om, n)
        e1 = max(abs(v) for v in (G - n / (n + d + 1) * Om))
        e2 = abs(ahn.gamma_loss(G, Sigma, Om, n) - sp.Rational(d * (d + 1)) / (n + d + 1))
        GI = ahn.optimal_gamma(Sigma, sp.eye(d), n)
        tr = sum(lam)
        e3 = abs(sp.simplify(ahn.gamma_loss(GI, Sigma, sp.eye(d), n))
                 - sum(v * (v + tr) / ((n + 1) * v + tr) for v in lam))
        obs, bound = _exact_eval(sp.simplify(e1 + e2 + e3), dps)
        return Evaluation(obs, bound, {"errors": [str(e1), str(e2), str(e3)]})

    def audit(self, ctx):
        t0 = time.monotonic()
        n = sp.Symbol("n", positive=True)
        Sigma, _, _ = sigma_of({"skew": list(SKEW), "lambdas": list(LAMBDAS)})
        sym = sp.simplify(ahn.optimal_gamma(Sigma, Sigma.inv(), n) - n / (n + 4) * Sigma.inv()) == sp.zeros(3, 3)
        return grid_audit(self, ctx, [{"skew": list(SKEW), "lambdas": list(LAMBDAS), "n": 5}] +
                          _rational_grid(ctx.seed + 3, 6), extra={"symbolic_n_Omega_Sigma_inv": sym}, t0=t0,
                          certified=sym, method="SymPy, exact rationals")


def _theorem1_reference(n: int) -> tuple[sp.Matrix, np.ndarray, float]:
    """The spec's A-2/A-4 instance: (Sigma exact, Theorem 1's Gamma* as floats, its loss L*)."""
    Sigma, _, _ = sigma_of({"skew": list(SKEW), "lambdas": list(LAMBDAS)})
    block = ahn.theorem1_block(Sigma, n)
    return Sigma, -np.array(block.tolist(), float), float(ahn.gamma_loss(-block, Sigma, sp.eye(3), n))


class Theorem1MonteCarlo(Claim):
    id = "ahn2023.theorem1.monte_carlo"
    source = Source(PAPER, "Theorem 1 checked by Monte Carlo (spec A-2)", "ours")
    statement = ("the least-squares Monte Carlo estimate of argmin_Gamma E[(x_q^T Gamma S_hat w* - y_q)^2] is within 1% "
                 "(relative Frobenius) of Theorem 1's Gamma* (d = 3, n = 10, Sigma = U diag(1, 1/2, 1/10) U^T)")
    budget_weight = 2.0

    def audit(self, ctx):
        from numeric.linear_icl.ahn import mc_gamma

        t0 = time.monotonic()
        n = 10
        Sigma, G, Lstar = _theorem1_reference(n)
        prompts = int(min(8_000_000, max(400_000, 100_000 * ctx.budget_s)))
        r = mc_gamma(np.array(Sigma.tolist(), float), np.eye(3), n, prompts, seed=ctx.seed, Gamma_ref=G,
                     deadline_s=0.9 * ctx.budget_s)
        err, noise = r["rel_error"], r["rel_error_noise"]
        z_loss = abs(r["loss_at_ref"] - Lstar) / r["loss_at_ref_se"]
        details = {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in r.items()}
        details.update(Gamma_star=G.tolist(), L_star=Lstar, loss_z=z_loss)
        if err < 0.01 and err < 4 * noise and z_loss <= 3:
            outcome = Outcome.VERIFIED
        else:
            outcome = Outcome.INCONCLUSIVE
        return self.result(outcome, bound=0.01, observed=err, ratio=err / 0.01, details=details,
                           evaluations=r["prompts"], seconds=time.monotonic() - t0,
                           method=f"numpy Monte Carlo, {r['prompts']:.3g} prompts, sandwich covariance",
                           summary=f"relative error {100 * err:.2f}% (pure-noise scale {100 * noise:.2f}%); MC loss at "
                                   f"Gamma* {r['loss_at_ref']:.5f} +- {r['loss_at_ref_se']:.5f} vs L* = {Lstar:.5f} "
                                   f"({z_loss:.1f} SE)")


class Theorem1Training(Claim):
    id = "ahn2023.theorem1.training"
    source = Source(PAPER, "Theorem 1 recovered by training one full (P, Q) layer on CPU (spec A-4)", "ours")
    statement = ("Adam on fresh prompts recovers Theorem 1's preconditioner: ||Gamma_eff - Gamma*||_F/||Gamma*||_F < 5% "
                 "with Gamma_eff = -(P_{d+1,d+1} Q_{1:d,1:d})^T, and population-loss gap < 1%")
    budget_weight = 4.0

    def audit(self, ctx):
        from numeric.linear_icl.ahn import gamma_eff, train_one_layer

        t0 = time.monotonic()
        n = 10
        Sigma_s, G, Lstar = _theorem1_reference(n)
        Sigma = np.array(Sigma_s.tolist(), float)
        mom = ahn.g_moments(Sigma, np.eye(3), n, exact=False)
        steps = ctx.options.get("train_steps", 2000)
        run = train_one_layer(Sigma, n, steps=steps, batch=2048, lr=2e-2, lr_late=2e-3, seed=ctx.seed,
                              deadline_s=training_budget(ctx, 110.0))
        P, Q = run["P"], run["Q"]
        Ge = gamma_eff(P, Q)
        err = float(np.linalg.norm(Ge - G) / np.linalg.norm(G))
        Sh = np.linalg.cholesky(Sigma)
        err_sigma = float(np.linalg.norm(Sh.T @ (Ge - G) @ Sh) / np.linalg.norm(Sh.T @ G @ Sh))
        loss = float(ahn.full_loss(P, Q, Sigma, mom))
        gap = loss / Lstar - 1
        scale = abs(P[3, 3])
        details = {"Gamma_eff": Ge.tolist(), "Gamma_star": G.tolist(), "rel_error": err, "rel_error_sigma": err_sigma,
                   "exact_loss": loss, "L_star": Lstar, "loss_gap": gap, "b_x": P[3, :3].tolist(),
                   "a_y": Q[3, :3].tolist(), "P_dd": P[3, 3], "steps": run["train"].steps,
                   "stopped_by": run["train"].stopped_by, "train_seconds": run["train"].seconds,
                   "history": run["train"].history[-5:]}
        small = max(np.abs(P[3, :3]).max(), np.abs(Q[3, :3]).max() * scale) < 0.02 * max(1.0, scale)
        ok = err < 0.05 and abs(gap) < 0.01 and small
        return self.result(Outcome.VERIFIED if ok else Outcome.INCONCLUSIVE, bound=0.05, observed=err,
                           ratio=err / 0.05, details=details, seconds=time.monotonic() - t0,
                           method=f"torch float32 Adam (lr 2e-2, then 2e-3), {run['train'].steps} steps of batch 2048; "
                                  "exact population loss of the trained (P, Q)",
                           summary=f"||Gamma_eff - Gamma*||/||Gamma*|| = {100 * err:.2f}% (Sigma-weighted "
                                   f"{100 * err_sigma:.2f}%), loss gap {100 * gap:.3f}%, in {run['train'].seconds:.0f}s"
                                   + ("" if ok else " (not within the pass criteria: inconclusive)"))


# ----------------------------------------------------------------------------------------------------------
# Lemma 1: the (8)-stack is L steps of preconditioned GD

def _lemma_data(inst):
    shapes = (np.shape(inst["X"]) == (inst["n"], inst["d"]) and len(inst["y"]) == inst["n"]
              and len(inst["xq"]) == inst["d"] and all(np.shape(A) == (inst["d"], inst["d"]) for A in inst["A"]))
    return shapes and all(np.all(np.isfinite(np.asarray(inst[k], float))) for k in ("X", "y", "xq", "A")), \
        f"n={inst['n']}, d={inst['d']}, L={len(inst['A'])}"


def _symmetric(inst):
    ok = all(np.allclose(np.asarray(A, float), np.asarray(A, float).T, rtol=0, atol=0) for A in inst["A"])
    return ok, "every A_l symmetric" if ok else "some A_l is not symmetric"


class Lemma1(Claim):
    id = "ahn2023.lemma1.pgd"
    source = Source(PAPER, "Lemma 1 (forward pass under (8) = L steps of preconditioned GD)",
                    note="display missing in the copy read; the symmetric A_l of Theorems 2-4 are assumed")
    statement = ("under (8), [Z_l]_{d+1,n+1} = -<x_q, w_l^gd> with w_0 = 0, w_{l+1} = w_l - A_l grad R_{w*}(w_l) "
                 "(and the context y-entries hold the residuals y_i - <w_l, x_i>)")
    hypotheses = (Hypothesis("data", "finite data of the stated shapes", _lemma_data),
                  Hypothesis("symmetric", "A_l symmetric (as in Theorems 2-4)", _symmetric))
    transpose = False       # Lemma 1 as summarised: A_l (for symmetric A_l the same as A_l^T)

    def layers(self, inst) -> list:
        """One (8)-layer per A_l (weights as exact Fractions of the instance's floats)."""
        return [ahn.pq_layer(*ahn.sparse8([[Fraction(v) for v in r] for r in A]), inst["n"]) for A in inst["A"]]

    def expected(self, inst, X, y, xq, num) -> list:
        """Lemma 1: the PGD iterate's residual tokens (``num`` converts the instance's numbers)."""
        return ahn.pgd_tokens(X, y, xq, [[[num(v) for v in r] for r in A] for A in inst["A"]], transpose=self.transpose)

    def evaluate(self, instance, dps=None):
        layers = self.layers(instance)
        if dps is None:
            H = np.asarray(ahn.prompt_tokens(instance["X"], instance["y"], instance["xq"]), float)
            out, _ = run_dense(layers, H)
            exp = np.asarray(self.expected(instance, instance["X"], instance["y"], instance["xq"], float), float)
            return Evaluation(float(np.max(np.abs(out - exp)) / max(1.0, np.max(np.abs(exp)))), precision_bound(None))
        with mpmath.workdps(dps):
            mp = mpmath.mpf
            X, y, xq = [[mp(v) for v in r] for r in instance["X"]], [mp(v) for v in instance["y"]], \
                [mp(v) for v in instance["xq"]]
            out, _ = run_highprec(layers, ahn.prompt_tokens(X, y, xq), kind="mpmath")
            exp = self.expected(instance, X, y, xq, mp)
            err = max(abs(a - b) for ra, rb in zip(out, exp) for a, b in zip(ra, rb))
            scale = max(mpmath.mpf(1), max(abs(v) for r in exp for v in r))
            return Evaluation(err / scale, precision_bound(dps), {"max_abs_error": mpmath.nstr(err, 5)})

    def make(self, rng, n, d, L) -> dict:
        A = [rng.standard_normal((d, d)) * 0.4 for _ in range(L)]
        if not self.nonsymmetric:
            A = [(M + M.T) / 2 for M in A]
        return {"n": n, "d": d, "X": rng.standard_normal((n, d)).tolist(), "y": rng.standard_normal(n).tolist(),
                "xq": rng.standard_normal(d).tolist(), "A": [M.tolist() for M in A]}

    nonsymmetric = False

    def search_space(self, ctx):
        def sample(rng):
            return Candidate({"inst": self.make(rng, int(rng.integers(1, 12)), int(rng.integers(1, 6)),
                                                int(rng.integers(1, 4)))}, np.zeros(0))

        return SearchSpace(sample, lambda c: c.discrete["inst"])

    def audit(self, ctx):
        t0 = time.monotonic()
        search = super().audit(ctx.share(max(0.5, ctx.budget_s * 0.4)))
        if search.outcome is Outcome.VIOLATED:
            return search
        rng = np.random.default_rng(ctx.seed)
        grid = [self.make(rng, 7, 4, L) for L in (1, 2, 3)]
        extra = {"search": {"outcome": str(search.outcome), "worst_observed": str(search.observed),
                            "evaluations": search.evaluations}}
        if self.nonsymmetric:
            other = Lemma1()                                          # the summary's A_l on the same data
            with mpmath.workdps(ctx.precision):
                extra["untransposed_A_l_relative_error"] = mpmath.nstr(
                    max(other.evaluate(g, ctx.precision).observed for g in grid), 5)
        return grid_audit(self, ctx, grid, extra=extra, t0=t0, evaluations=search.evaluations,
                          method=f"float64 search ({search.evaluations}) + {ctx.precision}-digit grid (d = 4, n = 7, "
                                 "L = 1, 2, 3)")


class Lemma1Transpose(Lemma1):
    id = "ahn2023.lemma1.transpose"
    source = Source(PAPER, "Lemma 1 for non-symmetric A_l (referee note A4)", "ours")
    statement = ("for any (not necessarily symmetric) A_l, the (8)-stack with Q_l = -[[A_l,0],[0,0]] implements "
                 "w_{l+1} = w_l - A_l^T grad R(w_l) (a transpose relative to the summary of Lemma 1)")
    hypotheses = (Hypothesis("data", "finite data of the stated shapes", _lemma_data),)
    transpose = True
    nonsymmetric = True


# ----------------------------------------------------------------------------------------------------------
# Wishart moments, Theorem 3 (Hankel optimum), Figure 2, Theorem 5

SPEC_MOMENTS = {  # spec 2.3, E tr(W^k) / (n d)
    1: "1", 2: "n + d + 1", 3: "n**2 + d**2 + 3*n*d + 3*n + 3*d + 4",
    4: "n**3 + d**3 + 6*n**2*d + 6*n*d**2 + 6*n**2 + 6*d**2 + 17*n*d + 21*n + 21*d + 20",
    5: "n**4 + d**4 + 10*n**3*d + 10*n*d**3 + 20*n**2*d**2 + 10*n**3 + 10*d**3 + 55*n**2*d + 55*n*d**2 + 65*n**2 "
       "+ 65*d**2 + 175*n*d + 160*n + 160*d + 148"}


class WishartMoments(Claim):
    id = "ahn2023.wishart.moments"
    source = Source(PAPER, "spec 2.3 / A-6: exact E tr(W^k), W ~ Wishart_d(n, I)", "ours")
    statement = ("the Stein-recursion moments equal the Wick-pairing enumeration (k <= 7) and the spec's formulas "
                 "(k <= 5); a Monte Carlo estimate agrees within 4 SE (k <= 4)")

    def audit(self, ctx):
        t0 = time.monotonic()
        n, d = ahn.n_sym, ahn.d_sym
        kmax = 7 if ctx.budget_s > 5 else 6
        wick = {k: sp.expand(ahn.wishart_trace_moment(k) - ahn.wishart_trace_moment_wick(k)) == 0
                for k in range(1, kmax + 1)}
        spec = {k: sp.expand(ahn.wishart_trace_moment(k) - n * d * sp.sympify(f, locals={"n": n, "d": d})) == 0
                for k, f in SPEC_MOMENTS.items()}
        rng = np.random.default_rng(ctx.seed)
        nn, dd, draws = 20, 5, 100_000
        X = rng.standard_normal((draws, nn, dd))
        lam = np.linalg.eigvalsh(np.einsum("bni,bnj->bij", X, X))
        zs = {}
        for k in range(1, 5):
            v = (lam ** k).sum(1)
            exact = float(ahn.wishart_trace_moment(k).subs({n: nn, d: dd}))
            zs[k] = abs(v.mean() - exact) / (v.std() / math.sqrt(draws))
        ok = all(wick.values()) and all(spec.values())
        zmax = max(zs.values())
        outcome = Outcome.VERIFIED if ok and zmax <= 4 else (Outcome.VIOLATED if not ok else Outcome.INCONCLUSIVE)
        return self.result(outcome, bound=4.0, observed=zmax, ratio=zmax / 4, certified=ok,
                           details={"wick_equal": wick, "spec_equal": spec, "mc_z": zs, "draws": draws},
                           method="SymPy polynomial identities + Monte Carlo", seconds=time.monotonic() - t0,
                           summary=f"recursion = Wick for k <= {kmax}: {all(wick.values())}; = spec k <= 5: "
                                   f"{all(spec.values())}; MC max |z| = {zmax:.2f} (n=20, d=5, 10^5 draws)")


def _theorem3_hyp(inst):
    ok = isinstance(inst["n"], int) and inst["n"] >= 1 and 1 <= inst["L"] <= 4 and inst["d"] >= 1
    return ok, f"n={inst['n']}, d={inst['d']}, L={inst['L']}"


class Theorem3(Claim):
    id = "ahn2023.theorem3.critical_point"
    source = Source(PAPER, "Theorem 3 (x ~ N(0, Sigma), w* ~ N(0, Sigma^{-1}), L layers of (8))")
    statement = ("inf over S = {A_i = a_i Sigma^{-1}} of sum_i ||grad_{A_i} f||_F^2 is 0; here attained at the Hankel / "
                 "Christoffel-Darboux steps a* (whose full-matrix gradient is (1/d) (df/da_i) Sigma)")
    hypotheses = (Hypothesis("sizes", "n >= 1, d >= 1, 1 <= L <= 4", _theorem3_hyp),)

    def steps(self, inst) -> list:
        return ahn.s_optimum(inst["n"], inst["d"], inst["L"])["steps"]

    def evaluate(self, instance, dps=None):
        n, d, L = instance["n"], instance["d"], instance["L"]
        a = self.steps(instance)
        g = ahn.s_loss_gradient(a, n, d, dps=dps or 30)
        worst = max(abs(v) for v in g)
        bound = mpmath.mpf(10) ** (10 - (dps or 30)) if dps else 1e-12
        real = len(a) == L and all(sp.N(v) > 0 for v in a)
        obs = worst if real else mpmath.inf
        return Evaluation(obs if dps else float(obs), bound, {"steps": [str(sp.N(v, 12)) for v in a],
                                                             "real_positive_roots": real})

    def audit(self, ctx):
        from numeric.linear_icl.ahn import s_family_loss_mc

        t0 = time.monotonic()
        grid = [{"n": n, "d": d, "L": L} for (n, d) in ((20, 5), (10, 5), (40, 10), (5, 3)) for L in (1, 2, 3, 4)]
        table = {f"n={g['n']},d={g['d']},L={g['L']}": {
            "steps": [float(v) for v in ahn.s_optimum(g["n"], g["d"], g["L"])["steps"]],
            "min_loss": float(ahn.s_optimum(g["n"], g["d"], g["L"])["min_loss"])} for g in grid[:4]}
        ref = ahn.s_optimum(20, 5, 3)
        a_star = [float(v) for v in ref["steps"]]
        prompts = int(min(200_000, max(100_000, 3000 * ctx.budget_s)))
        mc = s_family_loss_mc(a_star, 20, 5, prompts, seed=ctx.seed)
        g_ratio = mc["grad_norm"] / mc["noise_norm"]
        loss_z = abs(mc["loss"] - float(ref["min_loss"])) / mc["loss_se"]
        extra = {"table_n20_d5": table, "mc_autograd": {"grad_norm": mc["grad_norm"], "noise_norm": mc["noise_norm"],
                                                         "ratio": g_ratio, "loss": mc["loss"], "loss_se": mc["loss_se"],
                                                         "loss_z": loss_z, "prompts": mc["prompts"]}}
        res = grid_audit(self, ctx, grid, extra=extra, t0=t0,
                         method="exact moments, Hankel solve, CRootOf steps; df/da_i at 50 digits; MC autograd of the "
                                "full-matrix gradient (d=5, n=20, L=3)")
        if res.outcome is Outcome.VERIFIED and (g_ratio > 3 or loss_z > 3):
            res.outcome = Outcome.INCONCLUSIVE
            res.summary += f"; but the MC check fails (gradient/noise {g_ratio:.2f}, loss {loss_z:.1f} SE)"
        else:
            res.summary += f"; MC full-matrix gradient/noise {g_ratio:.2f}, loss {mc['loss']:.4f} ({loss_z:.1f} SE)"
        return res


FIG2_PAPER = (0.69, 0.42, 1.71)   # Fig. 2: Sigma^{1/2} A_i Sigma^{1/2} ~ -0.69 I, -0.42 I, -1.71 I (d=5, n=20, L=3)


class Figure2(Claim):
    id = "ahn2023.figure2.values"
    source = Source(PAPER, "Section 4.3, Fig. 2 (learned Sigma^{1/2} A_i Sigma^{1/2} ~ -0.69 I, -0.42 I, -1.71 I)")
    statement = "the magnitudes 0.69, 0.42, 1.71 of the plotted matrices are Theorem 3's critical steps (d=5, n=20, L=3)"

    def evaluate(self, instance, dps=None):
        exact = sorted(ahn.s_optimum(20, 5, 3)["steps"], key=float)
        paper = sorted(instance["paper"])
        err = max(abs(sp.N(a, 30) - sp.Rational(str(b))) for a, b in zip(exact, paper))
        if dps is None:
            return Evaluation(float(err), 0.005)
        return Evaluation(mpmath.mpf(sp.N(err, dps)), mpmath.mpf("0.005"), {"exact": [str(sp.N(v, 8)) for v in exact]})

    def audit(self, ctx):
        res = grid_audit(self, ctx, [{"paper": list(FIG2_PAPER)}], method="exact S-optimum vs the figure's "
                         "2-decimal values (tolerance 0.005)",
                         extra={"sign_note": "Fig. 2 shows negative multiples of I although under (8) the steps "
                                             "A_i = a_i Sigma^{-1} are positive (w <- w - A grad R); the plotted "
                                             "object is the raw Q block, -A_i (referee note A3)"})
        return res


class Theorem5(Claim):
    id = "ahn2023.theorem5.relu_scale"
    source = Source(PAPER, "Theorem 5 (ReLU attention, x, w* ~ N(0, I), last row of Q zero)", "reconstructed",
                    note="formula rebuilt from garbled text (spec A8)")
    statement = "the global minimiser has P's last row e_{d+1} and A = -(2n / ((n-1) + 2(d+2))) I"

    def audit(self, ctx):
        from numeric.linear_icl.ahn import theorem5_mc

        t0 = time.monotonic()
        n, d = sp.symbols("n d", positive=True)
        same = sp.simplify(ahn.theorem5_scale(n, d) - ahn.theorem5_scale_derived(n, d)) == 0
        prompts = int(min(1_000_000, max(100_000, 8000 * ctx.budget_s)))
        rows = []
        for dd, nn in ((5, 20), (3, 5), (10, 10)):
            r = theorem5_mc(nn, dd, prompts, seed=ctx.seed + dd)
            f = float(ahn.theorem5_scale(nn, dd))
            rows.append({"d": dd, "n": nn, "c_mc": r["c"], "se": r["se"], "formula": f, "z": abs(r["c"] - f) / r["se"]})
        zmax = max(r["z"] for r in rows)
        ok = same and zmax <= 4
        return self.result(Outcome.VERIFIED if ok else Outcome.INCONCLUSIVE, bound=4.0, observed=zmax,
                           ratio=zmax / 4, details={"rows": rows, "formula_equals_exact_derivation": same,
                                                    "scope": "the scalar only; global minimality over all (P, Q) "
                                                             "is not checked"},
                           method="SymPy derivation of the optimal scalar + Monte Carlo least squares",
                           seconds=time.monotonic() - t0,
                           summary=f"reconstructed formula = exact derivation E[y_q h]/E[h^2]: {same}; MC within "
                                   f"{zmax:.2f} SE for (d, n) = (5,20), (3,5), (10,10)")


class Theorem2(Claim):
    id = "ahn2023.theorem2.diagonal"
    source = Source(PAPER, "Theorem 2 (2 layers, (8), symmetric A_1, A_2, x, w* ~ N(0, I))")
    statement = "there exist diagonal A_1, A_2 that are global minimisers of f"
    budget_weight = 2.0

    def audit(self, ctx):
        from numeric.linear_icl.ahn import stack_loss_mc, train_sparse8

        t0 = time.monotonic()
        n, d = 20, 5
        ref = ahn.s_optimum(n, d, 2)
        run = train_sparse8(n, np.eye(d), np.eye(d), 2, steps=ctx.options.get("thm2_steps", 1500), seed=ctx.seed,
                            symmetric=True, init_mean=0.5, init_scale=0.1, deadline_s=training_budget(ctx, 60.0))

        layers = [ahn.sparse8(A.tolist()) for A in run["A"]]
        layers = [(np.array(P, float), np.array(Q, float)) for P, Q in layers]
        m, se = stack_loss_mc(layers, n, np.eye(d), np.eye(d), 100_000, seed=ctx.seed + 1)
        off = max(float(np.linalg.norm(A - np.diag(np.diag(A))) / np.linalg.norm(A)) for A in run["A"])
        diag_spread = [float(np.std(np.diag(A)) / abs(np.mean(np.diag(A)))) for A in run["A"]]
        scalars = sorted(float(np.mean(np.diag(A))) for A in run["A"])
        fmin = float(ref["min_loss"])
        gap = m / fmin - 1
        ok = off < 0.02 and gap < 0.03
        return self.result(Outcome.VERIFIED if ok else Outcome.INCONCLUSIVE, bound=0.02, observed=off, ratio=off / 0.02,
                           details={"offdiag_rel": off, "diag_rel_spread": diag_spread, "scalars": scalars,
                                    "S_optimum_steps": [float(v) for v in ref["steps"]], "S_optimum_loss": fmin,
                                    "mc_loss": m, "mc_se": se, "steps": run["train"].steps},
                           method=f"torch training from a random symmetric init ({run['train'].steps} Adam steps) "
                                  "+ MC loss (10^5 prompts)", seconds=time.monotonic() - t0,
                           summary=f"trained A_i: off-diagonal mass {100 * off:.2f}%, diagonals {scalars} (scalar "
                                   f"optimum in S: {[round(float(v), 4) for v in ref['steps']]}), loss {m:.4f} +- "
                                   f"{se:.4f} vs {fmin:.4f}; evidence, not a proof of global minimality")


# ----------------------------------------------------------------------------------------------------------
# Section 4.3 (training), Theorem 4 (family (11)), Appendix D (baselines)

class Section43Training(Claim):
    id = "ahn2023.section4_3.training"
    source = Source(PAPER, "Section 4.3, Figs. 1-2 (3 layers of (8), d = 5, n = 20, x ~ N(0, Sigma), w* ~ N(0, "
                           "Sigma^{-1}), Sigma = U^T diag(1, 1, 1/4, 1/16, 1) U, Adam, per-matrix gradient clipping 0.01)",
                    note="CPU size (spec A-8): batch 4096 resampled every step, one U, a wall-clock budget instead of "
                         "30000 steps at batch 20000")
    statement = ("training drives Dist(Sigma^{1/2} A_i Sigma^{1/2}, I) -> 0 for every layer while Dist(A_i, I) stays "
                 "large, and the learned steps are Theorem 3's critical point: sorted |alpha_i| = {0.4224, 0.6891, "
                 "1.7142} (Fig. 2), loss 0.1336 (pass: Dist < 0.05, steps within 5%, loss within 3%)")
    budget_weight = 4.0

    def checks(self, run: dict, ref: dict) -> dict:
        """The spec's A-8 pass criteria for one trained stack against the exact S-optimum."""
        exact = [float(v) for v in ref["steps"]]
        step_err = max(abs(a / b - 1) for a, b in zip(run["sorted_scalars"], exact))
        gap = abs(run["loss"] / float(ref["min_loss"]) - 1)
        dist = max(run["dist_white"])
        return {"max_dist_white": dist, "step_rel_error": step_err, "loss_rel_gap": gap,
                "passed": dist < 0.05 and step_err < 0.05 and gap < 0.03}

    def audit(self, ctx):
        from numeric.linear_icl.ahn import paper_sigma, section43_run

        t0 = time.monotonic()
        ref = ahn.s_optimum(20, 5, 3)
        Sigma = paper_sigma(ctx.seed)
        run = section43_run(Sigma, steps=ctx.options.get("s43_steps", 8000), seed=ctx.seed,
                            deadline_s=0.85 * training_budget(ctx, 120.0), eval_prompts=60_000)
        c = self.checks(run, ref)
        details = {k: v for k, v in run.items() if k not in ("history", "A")}
        details.update(c, history=run["history"][-4:], exact_steps=[float(v) for v in ref["steps"]],
                       exact_min_loss=float(ref["min_loss"]), paper_fig2=list(FIG2_PAPER),
                       Sigma_eigenvalues=sorted(np.linalg.eigvalsh(Sigma).tolist()))
        fmt = ", ".join
        summary = (f"{run['steps']} Adam steps ({run['seconds']:.0f}s, stopped by {run['stopped_by']}): "
                   f"Dist(Sigma^1/2 A_i Sigma^1/2, I) = {fmt(f'{v:.3f}' for v in run['dist_white'])}, Dist(A_i, I) = "
                   f"{fmt(f'{v:.2f}' for v in run['dist_raw'])} (optimum {run['dist_raw_optimum']:.2f}); |alpha| "
                   f"{fmt(f'{v:.3f}' for v in run['sorted_scalars'])} vs exact 0.422, 0.689, 1.714; loss "
                   f"{run['loss']:.4f} +- {run['loss_se']:.4f} vs 0.1336")
        if not c["passed"]:
            summary += "; not converged within the budget (inconclusive, not evidence against Section 4.3)"
        return self.result(Outcome.VERIFIED if c["passed"] else Outcome.INCONCLUSIVE, bound=0.05,
                           observed=c["max_dist_white"], ratio=c["max_dist_white"] / 0.05, details=details,
                           evaluations=run["steps"], seconds=time.monotonic() - t0, summary=summary,
                           method="torch float32 Adam (lr 2e-2 then 2e-3, per-matrix clipping 0.01, batch 4096, "
                                  "init 0.1 N(0,1)) + float64 MC loss (6e4 prompts)")


T4_REFERENCE = {10: ((-0.299, -1.98, -12.9, 0.91, 0.83), 0.030)}        # spec 2.3, Theorem 4 numerics [V]
T4_STARTS = ((-0.3, -0.3, -0.3, 0.5, 0.5), (-0.3, -2.0, -12.0, 0.9, 0.8))   # generic; near the spec's n = 10 row


class Theorem4(Claim):
    id = "ahn2023.theorem4.critical_point"
    source = Source(PAPER, "Theorem 4 and Section 5.1 (family (11): P_l = [[B_l,0],[0,1]], Q_l = [[A_l,0],[0,0]], "
                           "x ~ N(0, Sigma), w* ~ N(0, Sigma^{-1}), L = 3, n = 10, d = 5)")
    statement = ("S = {A_i = a_i Sigma^{-1}, B_i = b_i I} contains critical points of f over all matrices (A_i, B_i): "
                 "at the best scalar point the full-matrix gradient is zero up to Monte Carlo noise (pass: "
                 "||grad|| <= 3 x its noise level)")
    budget_weight = 3.0

    def audit(self, ctx):
        from numeric.linear_icl.ahn import family11_gradient_mc, theorem4_scalars

        t0 = time.monotonic()
        n, d = 10, 5
        deadline = 0.6 * min(90.0, ctx.budget_s)
        fits = theorem4_scalars(n, d, 20_000, T4_STARTS, seed=ctx.seed, max_iter=150, deadline_s=deadline)
        best = min(fits, key=lambda r: r["loss"])
        g = family11_gradient_mc(best["theta"], n, d, 20_000, seed=ctx.seed + 101)
        ratio, off = g["grad_norm"] / g["noise_norm"], g["off_scalar_norm"] / g["noise_norm"]
        ref, ref_loss = T4_REFERENCE[n]
        ref_dist = float(np.linalg.norm(np.subtract(best["theta"], ref)) / np.linalg.norm(ref))
        details = {"fits": fits, "best_theta": best["theta"], "grad_norm": g["grad_norm"], "noise_norm": g["noise_norm"],
                   "ratio": ratio, "off_scalar_ratio": off, "per_matrix_grad_norm(A0,A1,A2,B0,B1,B2)":
                   g["per_matrix_norm"], "fresh_loss": g["loss"], "fresh_loss_se": g["loss_se"],
                   "spec_reference": {"theta": ref, "loss": ref_loss, "rel_distance": ref_dist},
                   "whitening": "Sigma = I: A -> Sigma^{1/2} A Sigma^{1/2}, B -> Sigma^{-1/2} B Sigma^{1/2} maps the "
                                "Sigma-problem onto the whitened one (a linear bijection of the parameters), so S and "
                                "its critical points correspond"}
        ok = ratio <= 3
        summary = (f"best scalar point (a; b) = ({', '.join(f'{v:.3g}' for v in best['theta'][:3])}; "
                   f"{', '.join(f'{v:.3g}' for v in best['theta'][3:])}), fit loss {best['loss']:.4f} (spec row "
                   f"n = 10: {ref}, loss {ref_loss}; distance {100 * ref_dist:.0f}%; several local critical points "
                   f"exist; {len(fits)} of {len(T4_STARTS)} starts fitted within the budget); fresh-sample full-matrix "
                   f"gradient/noise {ratio:.2f} (off-S part {off:.2f})")
        if not ok:
            summary += ("; inconclusive: the loss of (11) at |a_2| ~ 10 is heavy-tailed, so a 2e4-prompt optimum "
                        "is not a population critical point to MC accuracy")
        return self.result(Outcome.VERIFIED if ok else Outcome.INCONCLUSIVE, bound=3.0, observed=ratio,
                           ratio=ratio / 3, details=details, evaluations=2 * 20_000, summary=summary,
                           seconds=time.monotonic() - t0,
                           method="whitened (Sigma = I), float64: L-BFGS over 5 scalars on 2e4 prompts from 2 starts; "
                                  "autograd over all six d x d matrices on 2e4 fresh prompts, noise by 20 batch means")


def _code_points(inst):
    ok = inst["N"] >= 2 and inst["code_points"] == inst["N"] - 1 and 1 <= inst["L"] <= 4 and inst["d"] >= 1
    return ok, f"N = {inst['N']}, code uses {inst['code_points']} points, L = {inst['L']}, d = {inst['d']}"


class AppendixDBaselines(Claim):
    id = "ahn2023.appendixD.baselines"
    source = Source(PAPER, "Appendix D, Figs. 6-7 and the authors' code (variable_N_exp.ipynb, variable_L_exp.ipynb "
                           "at chengxiang/LinearTransformer b6ddc35)", note="referee note A1 (confirmed in the code)")
    statement = ("the baselines of Figs. 6-7 are L-step GD, L-step preconditioned GD with Sigma^{-1} (grid-searched "
                 "step sizes) and OLS on the N in-context examples")
    hypotheses = (Hypothesis("code", "the notebooks' do_gd / do_preconditioned_gd / do_OLS use X = Z[0:N-1], "
                                     "i.e. N - 1 of the N context points (read in the code)", _code_points),)

    def evaluate(self, instance, dps=None):
        """Observed: min over constant steps of the exact loss of L-step PGD (Sigma^{-1}) on the code's N - 1 points (a
        lower bound for the plotted curve); bound: the same on the N points the paper states (spec 2.3, g(c*))."""
        from symbolic.gatmiry2024 import c_star

        N, d, L = instance["N"], instance["d"], instance["L"]
        code, stated = c_star(instance["code_points"], d, L)["loss"], c_star(N, d, L)["loss"]
        if dps is None:
            return Evaluation(float(code), float(stated))
        return Evaluation(mpmath.mpf(sp.N(code, dps + 5)), mpmath.mpf(sp.N(stated, dps + 5)),
                          {"code_pgd_loss": str(sp.N(code, 12)), "stated_pgd_loss": str(sp.N(stated, 12))})

    def audit(self, ctx):
        from numeric.linear_icl.ahn import appendix_d_table, paper_sigma

        t0 = time.monotonic()
        grid = [{"N": N, "d": 5, "L": 3, "code_points": N - 1} for N in range(2, 21)]
        grid += [{"N": 20, "d": 5, "L": L, "code_points": 19} for L in (1, 2, 4)]          # Fig. 7
        prompts = int(min(40_000, max(4_000, 300 * ctx.budget_s)))
        table = appendix_d_table(paper_sigma(ctx.seed), range(2, 21), 3, prompts, seed=ctx.seed)
        res = grid_audit(self, ctx, grid, t0=t0, extra={"mc_table": table, "mc_prompts": prompts},
                         method=f"exact best-step PGD losses g(c*) (SymPy moments) at {ctx.precision} digits; MC "
                                f"GD / PGD / OLS on {prompts} prompts (steps chosen on one half, losses on the other)")
        r2 = table[0]
        res.summary = (f"the code's baselines use N - 1 of the N points (A1): at N = 2 one point; exact 3-step PGD "
                       f"loss {float(self.evaluate(grid[0]).observed):.4f} vs {float(self.evaluate(grid[0]).bound):.4f} "
                       f"(x{r2['pgd_ratio']:.2f} by MC), GD x{r2['gd_ratio']:.2f}, OLS x{r2['ols_ratio']:.2f} (4 vs "
                       f"3 exactly); at N = 5 OLS {table[3]['ols_code']:.2f} vs {table[3]['ols']:.2f}; at N = 20 PGD "
                       f"x{table[-1]['pgd_ratio']:.3f}, GD x{table[-1]['gd_ratio']:.3f}. " + res.summary)
        return res


CLAIMS = [Theorem1ClosedForm(), Theorem1GlobalFullPQ(), GeneralPrior(), Theorem1MonteCarlo(), Theorem1Training(),
          Lemma1(), Lemma1Transpose(), WishartMoments(), Theorem3(), Figure2(), Theorem5(), Theorem2(),
          Section43Training(), Theorem4(), AppendixDBaselines()]


def configure(args) -> dict:
    """torch uses 2 threads (spec 4). --steps: Adam steps of the Theorem 1 training run (default 2000)."""
    from numeric.linear_icl.training import set_threads

    set_threads(2)
    opts = {"train_steps": 2000}
    if getattr(args, "steps", None) is not None:
        opts["train_steps"] = require_int("--steps", args.steps, 1, 10**6)
    return opts
