"""Claims of Ahn, Cheng, Daneshmand, Sra 2023, "Transformers learn to implement preconditioned gradient descent for
in-context learning" (NeurIPS 2023).

Display equations were missing from the full text the spec read (spec 0): Theorem 1's formula is [P-] (rebuilt, then
re-derived), Lemma 1's transpose convention could not be read (referee note A4), Theorem 5's formula is reconstructed.
Exact claims are decided in SymPy (rationals, symbolic n) and confirmed at ``ctx.precision`` digits; Monte Carlo claims
carry their sample counts and seeds in the instance and their confidence half-width in ``Evaluation.spread``; training
and optimisation claims carry their step counts and can support a claim, never refute it.

Reported numbers: Table 1's rows (one exact condition per row), Fig. 2's values (magnitudes and signs), Figs. 3-5's
plotted family-(11) model (read from the output cells of the released notebooks that draw them) at the stated n = 10
and at the notebooks' N = 20, and Appendix D's baselines as the released code computes them.
"""
from __future__ import annotations

import math
from fractions import Fraction

import mpmath
import numpy as np
import sympy as sp

from symbolic import ahn2023 as ahn
from symbolic.errors import require_int

from ..claims import Claim, Evaluation, Hypothesis, SideCheck, Source, Tier
from ..methods import Exact, Grid, MonteCarlo, Search, Training
from .linear_common import (LAMBDAS, PGD_DATA_HYP, SIGMA_HYP, SKEW, PGDIdentity, Q, criteria, exact_eval,
                            exact_residual, memo, mp, mpf_of, n_of, rational_sigma_grid, scaled, sigma_of)

PAPER = "ahn2023"


def _src(where: str, kind: str = "paper", note: str = "", about: str = "statement") -> Source:
    return Source(PAPER, where, kind, note, about)


def _seed(ctx) -> int:
    return 0 if ctx is None else ctx.seed


def _ev(obs, bound, dps, details=None, spread=0.0) -> Evaluation:
    """A float Evaluation in float64, an mpf one at ``dps`` digits."""
    if dps is None:
        return Evaluation(float(obs), float(bound), details or {}, spread=float(spread))
    return Evaluation(mpmath.mpf(obs), mpmath.mpf(bound) if not isinstance(bound, str) else mp(bound), details or {},
                      spread=mpmath.mpf(spread))


# ----------------------------------------------------------------------------------------------------------
# Theorem 1

def _eigen_or_sigma(check):
    def f(inst):
        if inst.get("mode") == "eigen":
            return True, "symbolic lambda > 0, tr Sigma > 0, n > 0 (any d)"
        return check(inst)
    return f


THM1_HYP = tuple(Hypothesis(h.name, h.text, _eigen_or_sigma(h.check)) for h in SIGMA_HYP)


def _theorem1_per_direction(paper_gamma):
    """Theorem 1 in Sigma's eigenbasis: Gamma = -(the printed block) = U diag(gamma_i) U^T with gamma_i =
    ``paper_gamma(lambda_i, t, n)`` (printed: 1/(((n+1)/n) lambda_i + t/n), t = tr Sigma), and B = E[S_hat S_hat] =
    U diag(b_i) U^T with b_i = ((n+1)/n) lambda_i^2 + (t/n) lambda_i.  Sigma, Gamma and B are simultaneously diagonal
    (functions of Sigma), so the gradient 2 Sigma Gamma B - 2 Sigma^2 is 0 iff 2 lambda_i gamma_i b_i - 2 lambda_i^2
    = 0 for every i, and the Hessian 2 (B kron Sigma) is positive definite iff b_i lambda_j > 0: scalar identities
    in (lambda, t, n), whatever d."""
    lam, lam2, t, n = sp.symbols("lambda lambda_j t n", positive=True)
    gamma = paper_gamma(lam, t, n)
    b = (n + 1) / n * lam**2 + t / n * lam
    residual = sp.simplify(2 * lam * gamma * b - 2 * lam**2)
    b2 = (n + 1) / n * lam2**2 + t / n * lam2
    return residual, bool((b2 * lam).is_positive), gamma, (lam, t, n)


class Theorem1ClosedForm(Claim):
    id = "ahn2023.theorem1.closed_form"
    source = _src("Theorem 1 (x ~ N(0, Sigma), w* ~ N(0, I), one layer)",
                  note="display missing in the copy read; formula [P-], re-derived")
    statement = ("P_0 = [[0,0],[0,1]], Q_0 = -[[U diag(1/(((n+1)/n) lambda_i + (1/n) sum_k lambda_k)) U^T, 0],[0,0]] "
                 "minimises f in the (8)-family: Gamma = -Q_0's block is the zero of grad L(Gamma) and the Hessian "
                 "2 (B kron Sigma) is positive definite (L is a convex quadratic in Gamma)")
    hypotheses = THM1_HYP
    methods = (Exact(tier=Tier.CERTIFIED, producer="symbolic_grid",
                     label="SymPy: the eigendirection identity, symbolic in (lambda, tr Sigma, n), any d"),
               Exact(tier=Tier.SEARCHED, label="SymPy: grad L(Gamma) at the printed matrix formula, rational Sigma"))

    def paper_gamma(self, lam, tr, n):
        """Theorem 1 as printed, one eigendirection: 1 / (((n+1)/n) lambda_i + (1/n) sum_k lambda_k)."""
        n = sp.sympify(n)
        return 1 / ((n + 1) / n * lam + tr / n)

    def paper_block(self, lambdas, U, n) -> sp.Matrix:
        """Theorem 1 as printed (eigen form): Q_0's block -U diag(paper_gamma(lambda_i, tr Sigma, n)) U^T."""
        tr = sum(lambdas)
        return -U * sp.diag(*[self.paper_gamma(v, tr, n) for v in lambdas]) * U.T

    def evaluate(self, instance, dps=None):
        """Observed: max |grad L| at Gamma = -(the printed block), plus |printed eigen form - matrix form
        -(((n+1)/n) Sigma + (tr Sigma / n) I)^{-1}|, or 1 if the Hessian is not positive definite (bound 0)."""
        if instance.get("mode") == "eigen":
            residual, pd, _, _ = _theorem1_per_direction(self.paper_gamma)
            bad = (0 if residual == 0 else 1) + (0 if pd else 1)
            return _ev(bad, 0, dps, {"eigendirection_residual": str(residual), "hessian_pd": pd})
        Sigma, U, lam = sigma_of(instance)
        n = n_of(instance)
        block = self.paper_block(lam, U, n)
        B = ahn.B_matrix(Sigma, sp.eye(Sigma.shape[0]), n)
        R = exact_residual(2 * Sigma * (-block) * B - 2 * Sigma * Sigma)
        forms = exact_residual(block - ahn.theorem1_block(Sigma, n))
        # Hessian 2 (B kron Sigma): B = U diag(((n+1)/n) lambda^2 + (tr/n) lambda) U^T is positive definite for n > 0
        pd = bool(Sigma.is_positive_definite) and (bool(B.is_positive_definite) if instance["n"] != "symbolic" else True)
        worst = max(R, forms) if pd else sp.Integer(1)
        obs, bound = exact_eval(worst, dps)
        return Evaluation(obs, bound, {"gradient_residual": str(R), "eigen_minus_matrix_form": str(forms),
                                       "hessian_pd": pd})

    def symbolic_grid(self, ctx):
        return [{"mode": "eigen"}]

    def grid(self, ctx):
        return ([{"skew": list(SKEW), "lambdas": list(LAMBDAS), "n": "symbolic"},
                 {"skew": list(SKEW), "lambdas": list(LAMBDAS), "n": 10}] + rational_sigma_grid(_seed(ctx), 8))

    def side_checks(self, ctx):
        """The spec's reference values (A-2, d = 3, n = 10) and the isotropic special case n/(n+d+1)."""
        Sigma, U, lam = sigma_of({"skew": list(SKEW), "lambdas": list(LAMBDAS)})
        Gamma = -self.paper_block(lam, U, 10)
        eig = sorted(Gamma.eigenvals(multiple=True))
        loss = sp.simplify(ahn.gamma_loss(Gamma, Sigma, sp.eye(3), 10))
        ref = eig == sorted([sp.Rational(50, 63), sp.Rational(100, 71), sp.Rational(100, 27)]) and \
            loss == sp.Rational(27992, 67095)
        _, _, gamma, (lam_s, t, n) = _theorem1_per_direction(self.paper_gamma)
        d = sp.Symbol("d", positive=True)
        iso = sp.simplify(gamma.subs({lam_s: 1, t: d}) - n / (n + d + 1)) == 0 and \
            sp.simplify(1 / ((n - 1) / n + (d + 2) / n) - n / (n + d + 1)) == 0      # the paper's printed form
        return [SideCheck("spec A-2 reference values", bool(ref), f"eigenvalues {[str(v) for v in eig]}, L* = {loss} "
                          "(spec: 50/63, 100/71, 100/27; 27992/67095)"),
                SideCheck("isotropic case", bool(iso), "Sigma = I gives Gamma* = n/(n+d+1) I = 1/((n-1)/n + (d+2)/n) I "
                          "(the paper's printed form)")]


def _diag_lambdas(inst):
    lam = inst["lambdas"]
    ok = all(v == "symbolic" or Q(v) > 0 for v in lam) and len(lam) >= 1
    return ok, f"lambdas = {lam}"


class Theorem1GlobalFullPQ(Claim):
    id = "ahn2023.theorem1.global_full_pq"
    source = _src("Theorem 1 and its proof (convex reduction over the full (P, Q); spec A-3)", about="proof_step")
    statement = ("(P_0, Q_0) is a global minimiser of f over ALL (P, Q) in R^{(d+1)x(d+1)}: f depends on (P, Q) only via "
                 "b (last row of P) and A = Q[:, :d]; for diagonal Sigma, f = sum_j lambda_j f_j(a_j b^T), each f_j a convex "
                 "quadratic whose gradient vanishes at the realisable X_j = c_j e_j e_{d+1}^T")
    hypotheses = (Hypothesis("Sigma", "Sigma = diag(lambda), lambda_i > 0 (rational or symbolic)", _diag_lambdas),
                  SIGMA_HYP[1])
    methods = Exact(tier=Tier.SEARCHED, label="exact E[G (x) G], E[w_j G] (Isserlis + exact Gauss-Hermite), SymPy")
    narrowing = ("d = 2 symbolic in (n, lambda_1, lambda_2); d = 2, 3 at rational (lambda, n) otherwise",
                 "Sigma diagonal: a rotated Sigma reduces to diag(lambda) via w* -> U^T w* (w* ~ N(0, I))")

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
        lam = [sp.Symbol(f"lambda{i + 1}", positive=True) if v == "symbolic" else Q(v)
               for i, v in enumerate(instance["lambdas"])]
        worst = exact_residual([v for G in self.gradients(lam, n_of(instance)) for v in G])
        obs, bound = exact_eval(worst, dps)
        return Evaluation(obs, bound, {"max_abs_relaxation_gradient": str(worst)})

    def grid(self, ctx):
        return [{"lambdas": ["symbolic", "symbolic"], "n": "symbolic"}, {"lambdas": list(LAMBDAS), "n": 10},
                {"lambdas": ["2", "1/3", "5/7"], "n": 1}, {"lambdas": ["1", "1", "1"], "n": 20},
                {"lambdas": ["3", "1/4"], "n": 7}]


class GeneralPrior(Claim):
    id = "ahn2023.theorem1.general_prior"
    source = _src("spec 2.2: Gamma* = Omega Sigma B^{-1} for w* ~ N(0, Omega)", "ours")
    statement = ("for the prediction x_q^T Gamma S_hat w*, w* ~ N(0, Omega): Gamma* = Omega Sigma B^{-1}, "
                 "B = ((n+1)/n) Sigma Omega Sigma + (tr(Omega Sigma)/n) Sigma; for Omega = Sigma^{-1}: "
                 "Gamma* = (n/(n+d+1)) Sigma^{-1} and L* = d(d+1)/(n+d+1); for Omega = I: "
                 "L* = sum_i lambda_i (lambda_i + tr Sigma)/((n+1) lambda_i + tr Sigma)")
    hypotheses = SIGMA_HYP
    methods = Exact(tier=Tier.SEARCHED, label="SymPy, exact rationals (and symbolic n)")
    narrowing = ("d = 3; rational Sigma, symbolic n for the spec's Sigma",)

    def evaluate(self, instance, dps=None):
        Sigma, U, lam = sigma_of(instance)
        n, d = n_of(instance), Sigma.shape[0]
        Om = Sigma.inv()
        G = ahn.optimal_gamma(Sigma, Om, n)
        e1 = exact_residual(G - n / (n + d + 1) * Om)
        e2 = exact_residual([ahn.gamma_loss(G, Sigma, Om, n) - sp.Rational(d * (d + 1)) / (n + d + 1)])
        GI = ahn.optimal_gamma(Sigma, sp.eye(d), n)
        tr = sum(lam)
        e3 = exact_residual([ahn.gamma_loss(GI, Sigma, sp.eye(d), n)
                             - sum(v * (v + tr) / ((n + 1) * v + tr) for v in lam)])
        obs, bound = exact_eval(e1 + e2 + e3, dps)
        return Evaluation(obs, bound, {"errors": [str(e1), str(e2), str(e3)]})

    def grid(self, ctx):
        return ([{"skew": list(SKEW), "lambdas": list(LAMBDAS), "n": "symbolic"},
                 {"skew": list(SKEW), "lambdas": list(LAMBDAS), "n": 5}] + rational_sigma_grid(_seed(ctx) + 3, 6))


def _theorem1_reference(n: int) -> tuple[sp.Matrix, np.ndarray, float]:
    """The spec's A-2/A-4 instance: (Sigma exact, Theorem 1's Gamma* as floats, its loss L*)."""
    Sigma, _, _ = sigma_of({"skew": list(SKEW), "lambdas": list(LAMBDAS)})
    block = ahn.theorem1_block(Sigma, n)
    return Sigma, -np.array(block.tolist(), float), float(ahn.gamma_loss(-block, Sigma, sp.eye(3), n))


def _prompts_hyp(key, least):
    def check(inst):
        return int(inst[key]) >= least, f"{inst[key]} {key} (at least {least})"
    return Hypothesis(key, f"at least {least} {key}", check)


class Theorem1MonteCarlo(Claim):
    id = "ahn2023.theorem1.monte_carlo"
    source = _src("Theorem 1 checked by Monte Carlo (spec A-2)", "ours")
    statement = ("the least-squares Monte Carlo estimate of argmin_Gamma E[(x_q^T Gamma S_hat w* - y_q)^2] is within 1% "
                 "(relative Frobenius) of Theorem 1's Gamma*, and the Monte Carlo loss at Gamma* within 2% of L* "
                 "(d = 3, n = 10, Sigma = U diag(1, 1/2, 1/10) U^T; 4-SE intervals)")
    hypotheses = (_prompts_hyp("prompts", 100_000),)
    methods = MonteCarlo()
    narrowing = ("the spec's instance only: d = 3, n = 10, Sigma = U diag(1, 1/2, 1/10) U^T",)

    def grid(self, ctx):
        base = {"n": 10, "prompts": scaled(ctx, 4_000_000, 400_000), "seed": _seed(ctx)}
        return [{**base, "quantity": "gamma", "tolerance": "0.01"}, {**base, "quantity": "loss", "tolerance": "0.02"}]

    def evaluate(self, instance, dps=None):
        """gamma: observed ||Gamma_MC - Gamma*||_F / ||Gamma*||_F, spread 2 x the rms size of its pure noise (the
        norm of a 9-dimensional Gaussian exceeds twice its rms with probability ~4e-5); loss: |MC loss at Gamma* -
        L*| / L*, spread 4 SE / L*."""
        from numeric.linear_icl.ahn import mc_gamma

        n = instance["n"]
        Sigma, G, Lstar = _theorem1_reference(n)
        p = {"n": n, "prompts": instance["prompts"], "seed": instance["seed"]}
        r = memo("ahn_mc_gamma", p, lambda: mc_gamma(np.array(Sigma.tolist(), float), np.eye(3), n, p["prompts"],
                                                       seed=p["seed"], Gamma_ref=G))
        details = {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in r.items()}
        details.update(Gamma_star=G.tolist(), L_star=Lstar, loss_z=abs(r["loss_at_ref"] - Lstar) / r["loss_at_ref_se"])
        if instance["quantity"] == "gamma":
            return _ev(r["rel_error"], instance["tolerance"], dps, details, spread=2 * r["rel_error_noise"])
        return _ev(abs(r["loss_at_ref"] - Lstar) / Lstar, instance["tolerance"], dps, details,
                   spread=4 * r["loss_at_ref_se"] / Lstar)


def _steps_hyp(inst):
    return int(inst["steps"]) >= 1 and int(inst["batch"]) >= 1, f"{inst['steps']} Adam steps of batch {inst['batch']}"


STEPS_HYP = Hypothesis("training", "a positive number of Adam steps and batch size", _steps_hyp)


class Theorem1Training(Claim):
    id = "ahn2023.theorem1.training"
    source = _src("Theorem 1 recovered by training one full (P, Q) layer on CPU (spec A-4)", "ours")
    statement = ("Adam on fresh prompts recovers Theorem 1's preconditioner: ||Gamma_eff - Gamma*||_F/||Gamma*||_F < 5% "
                 "with Gamma_eff = -(P_{d+1,d+1} Q_{1:d,1:d})^T, population-loss gap < 1%, and b_x, a_y below 2% of "
                 "the scale")
    hypotheses = (STEPS_HYP,)
    methods = Training()
    narrowing = ("the spec's instance d = 3, n = 10; 2000 Adam steps of batch 2048; init P_{d+1,d+1} = 1, everything "
                 "else 1e-2 N(0, 1); one seed",)
    default_steps = 2000

    def grid(self, ctx):
        o = (ctx.options if ctx is not None else {}) or {}
        return [{"n": 10, "steps": o.get("train_steps") or scaled(ctx, self.default_steps, 200), "batch": 2048,
                 "lr": 2e-2, "lr_late": 2e-3, "init_scale": 1e-2, "seed": _seed(ctx)}]

    def evaluate(self, instance, dps=None):
        """Observed: the relative error of Gamma_eff (bound 5%), or 5% x the worst other criterion's fraction of its
        threshold (|loss gap| / 1%, max(|b_x|, |a_y| P_dd) / (2% of max(1, P_dd))) when that binds."""
        from numeric.linear_icl.ahn import gamma_eff, train_one_layer

        n = instance["n"]
        Sigma_s, G, Lstar = _theorem1_reference(n)
        Sigma = np.array(Sigma_s.tolist(), float)
        keys = ("n", "steps", "batch", "lr", "lr_late", "init_scale", "seed")
        p = {k: instance[k] for k in keys}
        run = memo("ahn_thm1_train", p, lambda: train_one_layer(Sigma, n, steps=p["steps"], batch=p["batch"],
                                                                  lr=p["lr"], lr_late=p["lr_late"], seed=p["seed"],
                                                                  init_scale=p["init_scale"]))
        P, Qm = run["P"], run["Q"]
        Ge = gamma_eff(P, Qm)
        err = float(np.linalg.norm(Ge - G) / np.linalg.norm(G))
        Sh = np.linalg.cholesky(Sigma)
        err_sigma = float(np.linalg.norm(Sh.T @ (Ge - G) @ Sh) / np.linalg.norm(Sh.T @ G @ Sh))
        loss = float(ahn.full_loss(P, Qm, Sigma, ahn.g_moments(Sigma, np.eye(3), n, exact=False)))
        gap = loss / Lstar - 1
        scale = abs(P[3, 3])
        small = max(np.abs(P[3, :3]).max(), np.abs(Qm[3, :3]).max() * scale) / (0.02 * max(1.0, scale))
        obs = criteria(err, 0.05, [(abs(gap), 0.01), (small * 0.02, 0.02)])
        details = {"Gamma_eff": Ge.tolist(), "Gamma_star": G.tolist(), "rel_error": err, "rel_error_sigma": err_sigma,
                   "exact_loss": loss, "L_star": Lstar, "loss_gap": gap, "b_x": P[3, :3].tolist(),
                   "a_y": Qm[3, :3].tolist(), "P_dd": P[3, 3], "steps": run["train"].steps,
                   "history": run["train"].history[-5:]}
        return _ev(obs, 0.05, dps, details)


# ----------------------------------------------------------------------------------------------------------
# Lemma 1: the (8)-stack is L steps of preconditioned GD

def _symmetric(inst):
    ok = all(np.allclose(np.asarray(A, float), np.asarray(A, float).T, rtol=0, atol=0) for A in inst["A"])
    return ok, "every A_l symmetric" if ok else "some A_l is not symmetric"


class Lemma1(PGDIdentity):
    id = "ahn2023.lemma1.pgd"
    source = _src("Lemma 1 (forward pass under (8) = L steps of preconditioned GD)",
                  note="display missing in the copy read; the symmetric A_l of Theorems 2-4 are assumed")
    statement = ("under (8), [Z_l]_{d+1,n+1} = -<x_q, w_l^gd> with w_0 = 0, w_{l+1} = w_l - A_l grad R_{w*}(w_l) "
                 "(and the context y-entries hold the residuals y_i - <w_l, x_i>)")
    hypotheses = (PGD_DATA_HYP, Hypothesis("symmetric", "A_l symmetric (as in Theorems 2-4)", _symmetric))
    methods = (Search(evaluations=3000, floor=200),
               Grid(tier=Tier.SEARCHED, precision="high", label="d = 4, n = 7, L = 1, 2, 3 at 50 digits"))
    narrowing = ("the search draws n <= 11, d <= 5, L <= 3 (the lemma states any sizes)",)
    transpose = False       # Lemma 1 as summarised: A_l (for symmetric A_l the same as A_l^T)
    nonsymmetric = False

    def layers(self, inst) -> list:
        """One (8)-layer per A_l (weights as exact Fractions of the instance's floats)."""
        return [ahn.pq_layer(*ahn.sparse8([[Fraction(v) for v in r] for r in A]), inst["n"]) for A in inst["A"]]

    def expected(self, inst, X, y, xq, num) -> list:
        """Lemma 1: the PGD iterate's residual tokens (``num`` converts the instance's numbers)."""
        return ahn.pgd_tokens(X, y, xq, [[[num(v) for v in r] for r in A] for A in inst["A"]], transpose=self.transpose)

    def make(self, rng, n, d, L) -> dict:
        A = [rng.standard_normal((d, d)) * 0.4 for _ in range(L)]
        if not self.nonsymmetric:
            A = [(M + M.T) / 2 for M in A]
        return {"n": n, "d": d, "X": rng.standard_normal((n, d)).tolist(), "y": rng.standard_normal(n).tolist(),
                "xq": rng.standard_normal(d).tolist(), "A": [M.tolist() for M in A]}


class Lemma1Transpose(Lemma1):
    id = "ahn2023.lemma1.transpose"
    source = _src("Lemma 1 for non-symmetric A_l (referee note A4)", "ours")
    statement = ("for any (not necessarily symmetric) A_l, the (8)-stack with Q_l = -[[A_l,0],[0,0]] implements "
                 "w_{l+1} = w_l - A_l^T grad R(w_l) (a transpose relative to the summary of Lemma 1)")
    hypotheses = (PGD_DATA_HYP,)
    transpose = True
    nonsymmetric = True

    def evaluate(self, instance, dps=None):
        ev = super().evaluate(instance, dps)
        if dps is not None:
            other = Lemma1().evaluate(instance, dps)          # the summary's A_l on the same data
            ev.details["untransposed_A_l_relative_error"] = mpmath.nstr(other.observed, 5)
        return ev


# ----------------------------------------------------------------------------------------------------------
# Wishart moments, Theorem 3 (Hankel optimum), Figure 2, Theorem 5

SPEC_MOMENTS = {  # spec 2.3, E tr(W^k) / (n d)
    1: "1", 2: "n + d + 1", 3: "n**2 + d**2 + 3*n*d + 3*n + 3*d + 4",
    4: "n**3 + d**3 + 6*n**2*d + 6*n*d**2 + 6*n**2 + 6*d**2 + 17*n*d + 21*n + 21*d + 20",
    5: "n**4 + d**4 + 10*n**3*d + 10*n*d**3 + 20*n**2*d**2 + 10*n**3 + 10*d**3 + 55*n**2*d + 55*n*d**2 + 65*n**2 "
       "+ 65*d**2 + 175*n*d + 160*n + 160*d + 148"}


def _k_hyp(inst):
    k = inst["k"]
    ok = isinstance(k, int) and 1 <= k <= (7 if inst["check"] == "wick" else 5)
    return ok, f"k = {k} ({inst['check']})"


class WishartMoments(Claim):
    id = "ahn2023.wishart.moments"
    source = _src("spec 2.3 / A-6: exact E tr(W^k), W ~ Wishart_d(n, I)", "ours")
    statement = ("the Stein-recursion moments E tr(W^k) equal the Wick-pairing enumeration for k <= 7 and the spec's "
                 "formulas for k <= 5, as polynomials in (n, d)")
    hypotheses = (Hypothesis("k", "k <= 7 (Wick) / k <= 5 (spec)", _k_hyp),)
    methods = Exact(tier=Tier.CERTIFIED, label="SymPy polynomial identities in (n, d)")

    def evaluate(self, instance, dps=None):
        """Observed: the number of terms of the expanded difference (0 when the polynomials are equal; bound 0)."""
        n, d, k = ahn.n_sym, ahn.d_sym, instance["k"]
        other = ahn.wishart_trace_moment_wick(k) if instance["check"] == "wick" else \
            n * d * sp.sympify(SPEC_MOMENTS[k], locals={"n": n, "d": d})
        diff = sp.expand(ahn.wishart_trace_moment(k) - other)
        terms = 0 if diff == 0 else len(sp.Add.make_args(diff))
        return _ev(terms, 0, dps, {"difference": str(diff)[:200]})

    def grid(self, ctx):
        return [{"k": k, "check": "wick"} for k in range(1, 8)] + [{"k": k, "check": "spec"} for k in range(1, 6)]

    def side_checks(self, ctx):
        """A Monte Carlo sanity check (independent of both exact computations): E tr(W^k) for k <= 4 at n = 20,
        d = 5 within 4 SE on 10^5 draws."""
        n, d = ahn.n_sym, ahn.d_sym
        rng = np.random.default_rng(_seed(ctx))
        nn, dd, draws = 20, 5, scaled(ctx, 100_000, 20_000)
        lam = np.concatenate([np.linalg.eigvalsh(np.einsum("bni,bnj->bij", X, X))
                              for X in (rng.standard_normal((min(20_000, draws - i), nn, dd))
                                        for i in range(0, draws, 20_000))])
        zs = {}
        for k in range(1, 5):
            v = (lam ** k).sum(1)
            exact = float(ahn.wishart_trace_moment(k).subs({n: nn, d: dd}))
            zs[k] = abs(v.mean() - exact) / (v.std() / math.sqrt(lam.shape[0]))
        zmax = max(zs.values())
        return [SideCheck("Monte Carlo sanity check", bool(zmax <= 4), f"max |z| = {zmax:.2f} over k <= 4 (n = 20, d = 5, "
                                                                   f"{lam.shape[0]} draws)")]


def _theorem3_hyp(inst):
    ok = isinstance(inst["n"], int) and inst["n"] >= 1 and 1 <= inst["L"] <= 4 and inst["d"] >= 1
    return ok, f"n={inst['n']}, d={inst['d']}, L={inst['L']}"


class Theorem3(Claim):
    id = "ahn2023.theorem3.critical_point"
    source = _src("Theorem 3 (x ~ N(0, Sigma), w* ~ N(0, Sigma^{-1}), L layers of (8))")
    statement = ("inf over S = {A_i = a_i Sigma^{-1}} of sum_i ||grad_{A_i} f||_F^2 is 0; here attained at the Hankel / "
                 "Christoffel-Darboux steps a* (whose full-matrix gradient is (1/d) (df/da_i) Sigma)")
    hypotheses = (Hypothesis("sizes", "n >= 1, d >= 1, 1 <= L <= 4", _theorem3_hyp),)
    methods = Grid(tier=Tier.SEARCHED, precision="high",
                   label="exact moments, Hankel solve, CRootOf steps; df/da_i at 50 digits")
    narrowing = ("(n, d) in {(20, 5), (10, 5), (40, 10), (5, 3)}, L <= 4 (the theorem states any n, d, L)",)

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

    def grid(self, ctx):
        return [{"n": n, "d": d, "L": L} for (n, d) in ((20, 5), (10, 5), (40, 10), (5, 3)) for L in (1, 2, 3, 4)]

    def side_checks(self, ctx):
        """The rotation-invariance step the evaluation relies on, by Monte Carlo autograd: at A_i = a_i* I (d = 5,
        n = 20, L = 3, whitened) the full-matrix gradient is within 3x its noise level and the MC loss within 3 SE."""
        from numeric.linear_icl.ahn import s_family_loss_mc

        ref = ahn.s_optimum(20, 5, 3)
        mc = s_family_loss_mc([float(v) for v in ref["steps"]], 20, 5, scaled(ctx, 200_000, 40_000), seed=_seed(ctx))
        g_ratio = mc["grad_norm"] / mc["noise_norm"]
        loss_z = abs(mc["loss"] - float(ref["min_loss"])) / mc["loss_se"]
        return [SideCheck("full-matrix gradient (MC autograd)", bool(g_ratio <= 3 and loss_z <= 3),
                          f"gradient/noise {g_ratio:.2f}, loss {mc['loss']:.4f} +- {mc['loss_se']:.4f} vs "
                          f"{float(ref['min_loss']):.4f} ({loss_z:.1f} SE), {mc['prompts']} prompts")]


FIG2_PAPER = (0.69, 0.42, 1.71)   # Fig. 2: Sigma^{1/2} A_i Sigma^{1/2} ~ -0.69 I, -0.42 I, -1.71 I (d=5, n=20, L=3)


class Figure2(Claim):
    id = "ahn2023.figure2.values"
    source = _src("Section 4.3, Fig. 2 (learned Sigma^{1/2} A_i Sigma^{1/2} ~ -0.69 I, -0.42 I, -1.71 I)", about="figure")
    statement = "the magnitudes 0.69, 0.42, 1.71 of the plotted matrices are Theorem 3's critical steps (d=5, n=20, L=3)"
    hypotheses = (Hypothesis("values", "three values read off the figure", lambda i: (len(i["paper"]) == 3,
                                                                                       f"{i['paper']}")),)
    methods = Grid(tier=Tier.EXHAUSTIVE, precision="high", label="exact S-optimum vs the figure's 2-decimal values "
                                                                  "(tolerance 0.005)")

    def evaluate(self, instance, dps=None):
        exact = sorted(ahn.s_optimum(20, 5, 3)["steps"], key=float)
        paper = sorted(instance["paper"])
        err = max(abs(sp.N(a, 60) - sp.Rational(str(b))) for a, b in zip(exact, paper))
        details = {"exact": [str(sp.N(v, 8)) for v in exact],
                   "sign_note": "Fig. 2 shows negative multiples of I although under (8) the steps A_i = a_i Sigma^{-1} "
                                "are positive (w <- w - A grad R); the plotted object is the raw Q block, -A_i (A3)"}
        if dps is None:
            return Evaluation(float(err), 0.005, details)
        return Evaluation(mpf_of(err, dps), mpmath.mpf("0.005"), details)

    def grid(self, ctx):
        return [{"paper": list(FIG2_PAPER)}]


FIG2_SIGNED = (-0.69, -0.42, -1.71)   # Fig. 2 as printed: Sigma^{1/2} A_i Sigma^{1/2} ~ -0.69 I, -0.42 I, -1.71 I


class Figure2Sign(Claim):
    id = "ahn2023.figure2.sign"
    source = _src("Section 4.3, Fig. 2 and its caption (the plotted matrices are Sigma^{1/2} A_i Sigma^{1/2}, shown as "
                  "-0.69 I, -0.42 I, -1.71 I)", about="figure",
                  note="family (8) Q_l = -[[A_l, 0], [0, 0]] (w <- w - A_l grad R) is [P-] (display missing, read from a "
                       "secondary source; consistent with the code); referee note A3")
    statement = ("the plotted values, signs included, are Sigma^{1/2} A_i Sigma^{1/2} = a_i I at Theorem 3's critical "
                 "point under (8) (d = 5, n = 20, L = 3; tolerance 0.005)")
    hypotheses = (Hypothesis("values", "three signed values read off the figure",
                             lambda i: (len(i["paper"]) == 3, f"{i['paper']}")),)
    methods = Grid(tier=Tier.EXHAUSTIVE, precision="high", label="exact S-optimum vs the figure's signed values")

    def evaluate(self, instance, dps=None):
        """Observed: max |plotted - a_i| pairing by magnitude (the critical steps a_i > 0); bound 0.005.  The same with
        the raw Q block -a_i (what the code plots) is in the details."""
        exact = sorted(ahn.s_optimum(20, 5, 3)["steps"], key=float)
        paper = sorted(instance["paper"], key=abs)
        err = max(abs(sp.N(a, 60) - sp.Rational(str(b))) for a, b in zip(exact, paper))
        err_q = max(abs(-sp.N(a, 60) - sp.Rational(str(b))) for a, b in zip(exact, paper))
        details = {"exact_steps": [str(sp.N(v, 8)) for v in exact],
                   "error_against_minus_A_i (the raw Q block)": str(sp.N(err_q, 6))}
        if dps is None:
            return Evaluation(float(err), 0.005, details)
        return Evaluation(mpf_of(err, dps), mpmath.mpf("0.005"), details)

    def explain(self, instance, ev):
        return ("Fig. 2 plots -0.69 I, -0.42 I, -1.71 I while at Theorem 3's critical point under (8) Sigma^{1/2} A_i "
                "Sigma^{1/2} = +0.6891 I, +0.4224 I, +1.7142 I; the magnitudes agree to 0.0042, so the figure shows the "
                "raw Q block -A_i (the released code trains Q directly), not the captioned matrix")

    def grid(self, ctx):
        return [{"paper": list(FIG2_SIGNED)}]


# Figs. 3-5 (Section 5.1): the plotted values, read from the output cells of the released notebooks that draw them
FIG45 = {"A_diag": [[-0.38] * 5, [-2.40, -2.40, -2.39, -2.38, -2.42], [-9.59, -9.54, -9.55, -9.46, -9.65]],
         "B_diag": [[0.90, 0.91, 0.90, 0.90, 0.91], [0.56, 0.57, 0.57, 0.56, 0.57]], "log_test_loss": "-7.12"}
FIG45_NOTE = ("values read from the output cells of chengxiang/LinearTransformer at b6ddc35, 'rotation "
              "demonstration-Adam.ipynb' (N = 20, d = 5, 3 layers of family (11), AdamW lr 0.1, 100000 iterations, "
              "batch 20000; cell 7 draws the heat maps of B_0, B_1 and (UD)^T A_l (UD) with entries printed to 2 "
              "decimals, cell 6 prints the mean log test loss -7.12); the L-BFGS notebook (Fig. 3(c)) plateaus at "
              "~8.5e-4 with the same matrices to 2%; the figures of the paper's PDF were not read")


def _fig45_hyp(inst):
    ok = (len(inst["A_diag"]) == 3 and len(inst["B_diag"]) == 2 and inst["n"] >= 1 and inst["d"] == 5
          and int(inst["prompts"]) >= 1000)
    return ok, f"n = {inst['n']}, d = {inst['d']}, {inst['prompts']} prompts"


class Figures35StatedSetting(Claim):
    id = "ahn2023.figures3_5.stated_setting"
    source = _src("Section 5.1, Figs. 3-5 (3 layers of family (11), n = 10, d = 5, x ~ N(0, Sigma), w* ~ N(0, "
                  "Sigma^{-1}), the Sigma recipe of Section 4.3)", about="figure", note=FIG45_NOTE)
    statement = ("the plotted trained model (whitened A_l = a_l I with a = (-0.38, -2.40, -9.56), B_l = b_l I with b = "
                 "(0.90, 0.57)) is the model trained at the stated n = 10: it reaches the plotted test loss "
                 "exp(-7.12) = 8.1e-4 there (within a factor 2)")
    hypotheses = (Hypothesis("setting", "the plotted scalars of 3 A's and 2 B's, d = 5, >= 1000 prompts", _fig45_hyp),)
    methods = MonteCarlo(label="Monte Carlo loss of the plotted model (errors capped at d, a lower bound), 4-SE "
                               "interval")
    narrowing = ("the plotted matrices are taken as their diagonal means (off-diagonal entries <= 0.06 in the "
                 "heat maps)", "whitened coordinates (Sigma = I): the loss depends on Sigma only through the plotted "
                 "(UD)^T A (UD) and B")
    n = 10

    def grid(self, ctx):
        return [{**FIG45, "n": self.n, "d": 5, "prompts": scaled(ctx, 100_000, 20_000),
                 "seed": (0 if ctx is None else ctx.seed) + 17 + self.n, "cap": 5, "factor": 2}]

    def evaluate(self, instance, dps=None):
        """Observed: |log(capped loss / plotted loss)|, the capped loss E min(error, cap) with cap = d = E y_q^2 (the
        zero predictor's loss; capping only lowers the estimate, so a loss found too large is conservative); spread:
        4 SE / capped loss; bound: log(factor)."""
        from numeric.linear_icl.ahn import family11_loss_mc

        a = [float(np.mean(r)) for r in instance["A_diag"]]
        b = [float(np.mean(r)) for r in instance["B_diag"]]
        theta = tuple(a + b)
        p = {"theta": theta, "n": instance["n"], "d": instance["d"], "prompts": instance["prompts"],
             "seed": instance["seed"], "cap": instance["cap"]}
        r = memo("ahn_fig45", p, lambda: family11_loss_mc(theta, p["n"], p["d"], p["prompts"], seed=p["seed"],
                                                            cap=p["cap"]))
        plotted = math.exp(float(instance["log_test_loss"]))
        m, se = r["capped_loss"], r["capped_loss_se"]
        obs = abs(math.log(m / plotted))
        details = {"theta": list(theta), "plotted_loss": plotted, **r, "n": instance["n"],
                   "reference_S_points": {"n = 10": T4_REFERENCE[10], "n = 20": T4_REFERENCE[20]},
                   "work": f"{instance['prompts']} prompts"}
        return _ev(obs, math.log(instance["factor"]), dps, details, spread=4 * se / m)

    def explain(self, instance, ev):
        d = ev.details
        return (f"at n = {instance['n']} the plotted model's loss is at least {d['capped_loss']:.4g} +- "
                f"{4 * d['capped_loss_se']:.2g} (errors capped at d = 5; uncapped mean {d['loss']:.4g}, median "
                f"{d['median']:.3g}, {d['frac_over_cap']:.2%} of prompts above the cap), not the plotted "
                f"{d['plotted_loss']:.2g}; at n = 20, the N of the released notebooks, it matches the plotted loss "
                "(ahn2023.figures3_5.code_setting); the best point of S found at n = 10 is "
                f"{T4_REFERENCE[10][0]} with loss {T4_REFERENCE[10][1]} (spec 2.3)")


class Figures35CodeSetting(Figures35StatedSetting):
    id = "ahn2023.figures3_5.code_setting"
    source = _src("Figs. 3-5 against the setting of the released notebooks (N = 20)", "ours", about="code",
                  note=FIG45_NOTE)
    statement = ("at n = 20 (the notebooks' N = 20) the plotted model reaches the plotted test loss exp(-7.12) = 8.1e-4 "
                 "within a factor 2, near the n = 20 critical point of S (-0.372, -2.379, -9.51; 0.91, 0.566) (spec 2.3)")
    n = 20


class Theorem5(Claim):
    id = "ahn2023.theorem5.relu_scale"
    source = _src("Theorem 5 (ReLU attention, x, w* ~ N(0, I), last row of Q zero)", "reconstructed",
                  note="formula rebuilt from garbled text (spec A8)")
    statement = ("the global minimiser has P's last row e_{d+1} and A = -(2n / ((n-1) + 2(d+2))) I; checked: the "
                 "least-squares scalar c of the prediction c (1/n) sum_i y_i relu(x_i^T x_q) is within 2% of "
                 "2n / ((n-1) + 2(d+2)) (4-SE interval)")
    hypotheses = (_prompts_hyp("prompts", 50_000),)
    methods = MonteCarlo()
    narrowing = ("the scalar only (A = c I with P's last row e_{d+1}); global minimality over all (P, Q) is not "
                 "checked", "(d, n) in {(5, 20), (3, 5), (10, 10)}")

    def grid(self, ctx):
        return [{"d": d, "n": n, "prompts": scaled(ctx, 1_000_000, 100_000), "seed": _seed(ctx) + d,
                 "tolerance": "0.02"} for d, n in ((5, 20), (3, 5), (10, 10))]

    def evaluate(self, instance, dps=None):
        from numeric.linear_icl.ahn import theorem5_mc

        d, n = instance["d"], instance["n"]
        p = {"d": d, "n": n, "prompts": instance["prompts"], "seed": instance["seed"]}
        r = memo("ahn_thm5", p, lambda: theorem5_mc(n, d, p["prompts"], seed=p["seed"]))
        f = float(ahn.theorem5_scale(n, d))
        return _ev(abs(r["c"] - f) / f, instance["tolerance"], dps,
                   {"c_mc": r["c"], "se": r["se"], "formula": f, "z": abs(r["c"] - f) / r["se"]},
                   spread=4 * r["se"] / f)

    def side_checks(self, ctx):
        n, d = sp.symbols("n d", positive=True)
        same = sp.simplify(ahn.theorem5_scale(n, d) - ahn.theorem5_scale_derived(n, d)) == 0
        return [SideCheck("formula = derivation", bool(same), "the reconstructed 2n/((n-1)+2(d+2)) equals our derivation "
                                                         "E[y_q h]/E[h^2] symbolically in (n, d)")]


class Theorem2(Claim):
    id = "ahn2023.theorem2.diagonal"
    source = _src("Theorem 2 (2 layers, (8), symmetric A_1, A_2, x, w* ~ N(0, I))")
    statement = ("there exist diagonal A_1, A_2 that are global minimisers of f (checked by training from a random "
                 "symmetric init: off-diagonal mass < 2% and loss within 3% of the S-optimum)")
    hypotheses = (STEPS_HYP,)
    methods = Training()
    narrowing = ("d = 5, n = 20; one seed; evidence, not a proof of global minimality",)

    def grid(self, ctx):
        o = (ctx.options if ctx is not None else {}) or {}
        return [{"n": 20, "d": 5, "L": 2, "steps": o.get("thm2_steps") or scaled(ctx, 1500, 100), "batch": 4096,
                 "lr": 1e-2, "init_mean": 0.5, "init_scale": 0.1, "seed": _seed(ctx), "mc_prompts": 100_000,
                 "mc_seed": _seed(ctx) + 1}]

    def evaluate(self, instance, dps=None):
        """Observed: the largest off-diagonal mass ||A - diag A||/||A|| (bound 2%), or 2% x (loss gap / 3%) when the
        loss gap binds."""
        obs, details = memo("ahn_thm2", instance, lambda: self._run(instance))
        return _ev(obs, 0.02, dps, details)

    def _run(self, instance):
        from numeric.linear_icl.ahn import stack_loss_mc, train_sparse8

        n, d, L = instance["n"], instance["d"], instance["L"]
        ref = ahn.s_optimum(n, d, L)
        run = train_sparse8(n, np.eye(d), np.eye(d), L, steps=instance["steps"], batch=instance["batch"],
                            lr=instance["lr"], seed=instance["seed"], symmetric=True, init_mean=instance["init_mean"],
                            init_scale=instance["init_scale"])
        layers = [tuple(np.array(M, float) for M in ahn.sparse8(A.tolist())) for A in run["A"]]
        m, se = stack_loss_mc(layers, n, np.eye(d), np.eye(d), instance["mc_prompts"], seed=instance["mc_seed"])
        off = max(float(np.linalg.norm(A - np.diag(np.diag(A))) / np.linalg.norm(A)) for A in run["A"])
        scalars = sorted(float(np.mean(np.diag(A))) for A in run["A"])
        fmin = float(ref["min_loss"])
        gap = m / fmin - 1
        details = {"offdiag_rel": off, "diag_rel_spread": [float(np.std(np.diag(A)) / abs(np.mean(np.diag(A))))
                                                           for A in run["A"]],
                   "scalars": scalars, "S_optimum_steps": [float(v) for v in ref["steps"]], "S_optimum_loss": fmin,
                   "mc_loss": m, "mc_se": se, "loss_gap": gap, "steps": run["train"].steps}
        return criteria(off, 0.02, [(abs(gap), 0.03)]), details


TABLE1 = {  # Table 1: result -> (x^(i), w*, architecture, guarantee)
    "Thm 1": ("N(0, Sigma)", "N(0, I)", "1 layer, full P, Q", "global minimiser"),
    "Thm 2": ("N(0, I)", "N(0, I)", "2 layers, sparse (8), symmetric A_i", "global minimiser (diagonal A_i exist)"),
    "Thm 3": ("N(0, Sigma)", "N(0, Sigma^{-1})", "L layers, sparse (8)", "critical points A_i = a_i Sigma^{-1}"),
    "Thm 4": ("N(0, Sigma)", "N(0, Sigma^{-1})", "L layers, sparse (11)", "critical points A_i = a_i Sigma^{-1}, "
                                                                        "B_i = b_i I"),
    "Thm 5": ("N(0, I)", "N(0, I)", "1 layer, ReLU attention, last row of Q zero", "global minimiser")}


def _row_hyp(inst):
    return inst["row"] in TABLE1 and inst["row"] != "Thm 4", f"row {inst['row']}: {TABLE1.get(inst['row'])}"


class Table1(Claim):
    id = "ahn2023.table1.rows"
    source = _src("Table 1 (for each result: the law of x^(i), of w*, the architecture, the guarantee)", about="table")
    statement = ("each row's guarantee holds in the row's own setting; checked per row by an exact condition it implies "
                 "(Thm 1: the stationarity and convexity identity, any d; Thms 2-3: the scalar S-optimum is a critical "
                 "point over full matrices, d = 5, n = 20, L = 2, 3; Thm 5: the reconstructed scalar equals its "
                 "derivation in (n, d))")
    hypotheses = (Hypothesis("row", "a row of Table 1 with an exact check (not Thm 4)", _row_hyp),)
    methods = Grid(tier=Tier.SEARCHED, precision="high", label="one exact / 50-digit check per row")
    narrowing = ("Thm 4's row is checked by Monte Carlo only (ahn2023.theorem4.critical_point)",
                 "critical points are a necessary condition of the global-minimiser rows (Thm 2's global minimality is "
                 "training evidence: ahn2023.theorem2.diagonal)", "Thm 2 with w* ~ N(0, I) is Thm 3's prior at Sigma = I")

    def evaluate(self, instance, dps=None):
        """Observed: the row's residual (0 for the exact identities, max |df/da_i| at 50 digits for the critical
        points); bound: 0 (exact rows) or 10^-(dps-10)."""
        row = instance["row"]
        details = {"row": row, "setting": TABLE1[row]}
        if row == "Thm 1":
            ev = Theorem1ClosedForm().evaluate({"mode": "eigen"}, dps)
            ev.details.update(details)
            return ev
        if row == "Thm 5":
            n, d = sp.symbols("n d", positive=True)
            bad = 0 if sp.simplify(ahn.theorem5_scale(n, d) - ahn.theorem5_scale_derived(n, d)) == 0 else 1
            return _ev(bad, 0, dps, details)
        L = 2 if row == "Thm 2" else 3
        ev = Theorem3().evaluate({"n": 20, "d": 5, "L": L}, dps)
        ev.details.update(details, L=L)
        return ev

    def grid(self, ctx):
        return [{"row": r} for r in TABLE1 if r != "Thm 4"]


# ----------------------------------------------------------------------------------------------------------
# Section 4.3 (training), Theorem 4 (family (11)), Appendix D (baselines)

class Section43Training(Claim):
    id = "ahn2023.section4_3.training"
    source = _src("Section 4.3, Figs. 1-2 (3 layers of (8), d = 5, n = 20, x ~ N(0, Sigma), w* ~ N(0, Sigma^{-1}), "
                  "Sigma = U^T diag(1, 1, 1/4, 1/16, 1) U, Adam, per-matrix gradient clipping 0.01)", about="figure",
                  note="CPU size (spec A-8): batch 4096 resampled every step, one U, fewer steps than the paper's 30000 "
                       "at batch 20000")
    statement = ("training drives Dist(Sigma^{1/2} A_i Sigma^{1/2}, I) -> 0 for every layer while Dist(A_i, I) stays "
                 "large, and the learned steps are Theorem 3's critical point: sorted |alpha_i| = {0.4224, 0.6891, "
                 "1.7142} (Fig. 2), loss 0.1336 (pass: Dist < 0.05, steps within 5%, loss within 3%)")
    hypotheses = (STEPS_HYP,)
    methods = Training()
    narrowing = ("CPU size: batch 4096, 4000 Adam steps (lr 2e-2, then 2e-3), one random U (seeded), one training "
                 "seed",)
    default_steps = 4000

    def checks(self, run: dict, ref: dict) -> dict:
        """The spec's A-8 pass criteria for one trained stack against the exact S-optimum."""
        exact = [float(v) for v in ref["steps"]]
        step_err = max(abs(a / b - 1) for a, b in zip(run["sorted_scalars"], exact))
        gap = abs(run["loss"] / float(ref["min_loss"]) - 1)
        dist = max(run["dist_white"])
        return {"max_dist_white": dist, "step_rel_error": step_err, "loss_rel_gap": gap,
                "passed": dist < 0.05 and step_err < 0.05 and gap < 0.03}

    def grid(self, ctx):
        o = (ctx.options if ctx is not None else {}) or {}
        return [{"sigma_seed": _seed(ctx), "n": 20, "L": 3, "steps": o.get("s43_steps") or
                 scaled(ctx, self.default_steps, 100), "batch": 4096, "lr": 2e-2, "clip": 0.01, "init_scale": 0.1,
                 "seed": _seed(ctx), "eval_prompts": 60_000}]

    def evaluate(self, instance, dps=None):
        """Observed: max_i Dist(Sigma^{1/2} A_i Sigma^{1/2}, I) (bound 0.05), or 0.05 x the worst other criterion's
        fraction of its threshold (step error / 5%, loss gap / 3%) when that binds."""
        from numeric.linear_icl.ahn import paper_sigma, section43_run

        ref = ahn.s_optimum(instance["n"], 5, instance["L"])
        Sigma = paper_sigma(instance["sigma_seed"])
        keys = ("sigma_seed", "n", "L", "steps", "batch", "lr", "clip", "init_scale", "seed", "eval_prompts")
        p = {k: instance[k] for k in keys}
        run = memo("ahn_s43", p, lambda: section43_run(Sigma, n=p["n"], L=p["L"], steps=p["steps"], seed=p["seed"],
                                                         batch=p["batch"], lr=p["lr"], clip=p["clip"],
                                                         init_scale=p["init_scale"], eval_prompts=p["eval_prompts"]))
        c = self.checks(run, ref)
        details = {k: v for k, v in run.items() if k not in ("A",)}
        details.update(c, exact_steps=[float(v) for v in ref["steps"]], exact_min_loss=float(ref["min_loss"]),
                       paper_fig2=list(FIG2_PAPER), Sigma_eigenvalues=sorted(np.linalg.eigvalsh(Sigma).tolist()))
        obs = criteria(c["max_dist_white"], 0.05, [(c["step_rel_error"], 0.05), (c["loss_rel_gap"], 0.03)])
        return _ev(obs, 0.05, dps, details)


T4_REFERENCE = {10: ((-0.299, -1.98, -12.9, 0.91, 0.83), 0.030),      # spec 2.3, Theorem 4 numerics [V]
                20: ((-0.372, -2.379, -9.51, 0.91, 0.566), 6.6e-4)}
T4_STARTS = ((-0.3, -0.3, -0.3, 0.5, 0.5), (-0.3, -2.0, -12.0, 0.9, 0.8))   # generic; near the spec's n = 10 row


class Theorem4(Claim):
    id = "ahn2023.theorem4.critical_point"
    source = _src("Theorem 4 and Section 5.1 (family (11): P_l = [[B_l,0],[0,1]], Q_l = [[A_l,0],[0,0]], "
                  "x ~ N(0, Sigma), w* ~ N(0, Sigma^{-1}), L = 3, n = 10, d = 5)",
                  note="at Section 5.1's stated n = 10; the released notebooks behind Figs. 3-5 use N = 20 "
                       "(ahn2023.figures3_5.*); the sign convention of (11) is [P-] (consistent with the code)")
    statement = ("S = {A_i = a_i Sigma^{-1}, B_i = b_i I} contains critical points of f over all matrices (A_i, B_i): "
                 "at the best scalar point the full-matrix gradient is zero up to Monte Carlo noise (pass: "
                 "||grad|| <= 3 x its noise level)")
    hypotheses = (_prompts_hyp("prompts", 1000),)
    methods = Training(label="L-BFGS over the 5 scalars + Monte Carlo autograd (optimisation evidence)")
    narrowing = ("whitened (Sigma = I: a linear bijection of the parameters maps the Sigma-problem onto it), n = 10, "
                 "d = 5; the scalar optimum on a fixed sample of 2e4 prompts from two starts",)

    def grid(self, ctx):
        return [{"n": 10, "d": 5, "prompts": scaled(ctx, 20_000, 2000), "starts": [list(s) for s in T4_STARTS],
                 "seed": _seed(ctx), "max_iter": 150, "grad_prompts": scaled(ctx, 20_000, 2000),
                 "grad_seed": _seed(ctx) + 101}]

    def evaluate(self, instance, dps=None):
        """Observed: ||full-matrix gradient|| / its noise level (20 batch means) at the best scalar point; bound 3."""
        from numeric.linear_icl.ahn import family11_gradient_mc, theorem4_scalars

        n, d = instance["n"], instance["d"]
        p = {k: instance[k] for k in ("n", "d", "prompts", "starts", "seed", "max_iter")}
        fits = memo("ahn_t4", p, lambda: theorem4_scalars(n, d, p["prompts"], [tuple(s) for s in p["starts"]],
                                                            seed=p["seed"], max_iter=p["max_iter"]))
        best = min(fits, key=lambda r: r["loss"])
        g = family11_gradient_mc(best["theta"], n, d, instance["grad_prompts"], seed=instance["grad_seed"])
        ratio, off = g["grad_norm"] / g["noise_norm"], g["off_scalar_norm"] / g["noise_norm"]
        ref, ref_loss = T4_REFERENCE[10]
        details = {"fits": fits, "best_theta": best["theta"], "grad_norm": g["grad_norm"], "noise_norm": g["noise_norm"],
                   "ratio": ratio, "off_scalar_ratio": off, "per_matrix_grad_norm(A0,A1,A2,B0,B1,B2)":
                   g["per_matrix_norm"], "fresh_loss": g["loss"], "fresh_loss_se": g["loss_se"],
                   "spec_reference": {"theta": ref, "loss": ref_loss, "rel_distance": float(
                       np.linalg.norm(np.subtract(best["theta"], ref)) / np.linalg.norm(ref))},
                   "note": "the loss of (11) at |a_2| ~ 10 is heavy-tailed, so a 2e4-prompt optimum need not be a "
                           "population critical point to Monte Carlo accuracy"}
        return _ev(ratio, 3, dps, details)


def _code_points(inst):
    ok = inst["N"] >= 2 and inst["code_points"] == inst["N"] - 1 and 1 <= inst["L"] <= 4 and inst["d"] >= 1
    return ok, f"N = {inst['N']}, code uses {inst['code_points']} points, L = {inst['L']}, d = {inst['d']}"


class AppendixDBaselines(Claim):
    id = "ahn2023.appendixD.baselines"
    source = _src("Appendix D, Figs. 6-7 and the authors' code (variable_N_exp.ipynb, variable_L_exp.ipynb at "
                  "chengxiang/LinearTransformer b6ddc35)", note="referee note A1 (confirmed in the code)", about="code")
    statement = ("the baselines of Figs. 6-7 are L-step GD, L-step preconditioned GD with Sigma^{-1} (grid-searched "
                 "step sizes) and OLS on the N in-context examples")
    hypotheses = (Hypothesis("code", "the notebooks' do_gd / do_preconditioned_gd / do_OLS use X = Z[0:N-1], "
                                     "i.e. N - 1 of the N context points (read in the code)", _code_points),)
    methods = Exact(tier=Tier.EXHAUSTIVE, label="exact best-step PGD losses g(c*) (SymPy moments)")
    narrowing = ("d = 5, N = 2..20 at L = 3 (Fig. 6) and L = 1, 2, 4 at N = 20 (Fig. 7)",)

    def size(self, instance):
        return instance["N"]

    def evaluate(self, instance, dps=None):
        """Observed: min over constant steps of the exact loss of L-step PGD (Sigma^{-1}) on the code's N - 1 points (a
        lower bound for the plotted curve); bound: the same on the N points the paper states (spec 2.3, g(c*)).  The
        exact OLS losses (whitened: d - rank) are in the details."""
        from symbolic.gatmiry2024 import c_star

        N, d, L = instance["N"], instance["d"], instance["L"]
        code, stated = c_star(instance["code_points"], d, L)["loss"], c_star(N, d, L)["loss"]
        details = {"code_pgd_loss": str(sp.N(code, 12)), "stated_pgd_loss": str(sp.N(stated, 12)),
                   "code_ols_loss": max(d - instance["code_points"], 0), "stated_ols_loss": max(d - N, 0)}
        if dps is None:
            return Evaluation(float(code), float(stated), details)
        return Evaluation(mpf_of(code, dps), mpf_of(stated, dps), details)

    def explain(self, instance, ev):
        N, d = instance["N"], instance["d"]
        return (f"at N = {N} the notebooks fit the baselines on X = Z[0:N-1], {instance['code_points']} point(s): the "
                f"best constant-step {instance['L']}-step PGD loss is {mpmath.nstr(ev.observed, 6)} instead of "
                f"{mpmath.nstr(ev.bound, 6)} with all N points (exact, from Wishart moments), and OLS leaves "
                f"{max(d - instance['code_points'], 0)} instead of {max(d - N, 0)} (whitened d - rank)")

    def grid(self, ctx):
        return ([{"N": N, "d": 5, "L": 3, "code_points": N - 1} for N in range(2, 21)]
                + [{"N": 20, "d": 5, "L": L, "code_points": 19} for L in (1, 2, 4)])


CLAIMS = [Table1(), Theorem1ClosedForm(), Theorem1GlobalFullPQ(), GeneralPrior(), Theorem1MonteCarlo(),
          Theorem1Training(), Lemma1(), Lemma1Transpose(), WishartMoments(), Theorem3(), Figure2(), Figure2Sign(),
          Theorem5(), Theorem2(), Section43Training(), Theorem4(), Figures35StatedSetting(), Figures35CodeSetting(),
          AppendixDBaselines()]


def configure(args) -> dict:
    """torch uses one thread (numeric.linear_icl.training.set_threads). --steps: Adam steps of the Theorem 1 training
    run (default 2000 times the --budget multiplier)."""
    from numeric.linear_icl.training import set_threads

    set_threads()
    opts = {}
    if getattr(args, "steps", None) is not None:
        opts["train_steps"] = require_int("--steps", args.steps, 1, 10**6)
    return opts
