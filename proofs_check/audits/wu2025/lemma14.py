"""Lemma 14 (quoting Bai et al. 2023, Lemma G.1), p. 31-32, as printed, and our corrected forms.

Printed: W convex bounded, grad f L_f-Lipschitz on W, w^0 = w_GD^0 = 0,
w^l = Proj_W(w^{l-1} - eta grad L_n(w^{l-1}) + eps^{l-1}), ||eps^{l-1}||_2 <= eta eps;
"if eta <= L_f": (1/L) sum_{l=1}^{L-1} ||G(w^l)||^2 <= 8 (f(0) - inf_W f)/(eta L) + 10 eps^2, G the gradient
mapping (w - Proj_W(w - eta grad f(w)))/eta; and for all l >= 0, ||w^l - w_GD^l||_2 <= L_f^{-1}(1 + n L_f)^l eps.

The family audited: f = L_n with l_i(w) = 2 f(w) for all i (so f = L_n for every n), f(w) = (1/2)(w - a)^T A (w - a)
with A = diag(lambda) (any signs: the lemma does not ask f to be convex) on the box W = [-1, 1]^m; grad f = A (w - a)
is exactly L_f = max |lambda| Lipschitz.  The perturbations eps^l (norm <= eta eps) are part of the searched
instance; the structured seeds take eta at the largest value the hypothesis allows, negative curvature (errors grow
by 1 + eta L_f per step) and perturbations of full norm along the growing direction, first with eps small enough
that the projection onto W never clips an iterate (where the corrected bound is attained as eta L_f -> 1).
"""
from __future__ import annotations

import mpmath
import numpy as np

from ...claims import Claim, Evaluation, Hypothesis, Source
from ...methods import Search
from ...search import Candidate, SearchSpace


def _mp(x, dps):
    return mpmath.mpf(x) if dps else float(x)


def _run(inst, dps):
    """Both trajectories and the gradient mappings, in float64 (dps None) or mpmath."""
    lam = [_mp(v, dps) for v in inst["lambda"]]
    a = [_mp(v, dps) for v in inst["a"]]
    eta, L = _mp(inst["eta"], dps), int(inst["steps"])
    pert = [[_mp(v, dps) for v in e] for e in inst["perturbations"]]
    clip = lambda v: max(min(v, 1), -1)  # noqa: E731
    grad = lambda w: [li * (wi - ai) for li, wi, ai in zip(lam, w, a)]  # noqa: E731
    w = [0 * lam[0]] * len(lam)
    wg = list(w)
    ws, wgs = [w], [wg]
    for l in range(L):
        w = [clip(wi - eta * gi + ei) for wi, gi, ei in zip(w, grad(w), pert[l])]
        wg = [clip(wi - eta * gi) for wi, gi in zip(wg, grad(wg))]
        ws.append(w)
        wgs.append(wg)
    G = []
    for w in ws:
        prox = [clip(wi - eta * gi) for wi, gi in zip(w, grad(w))]
        G.append([(wi - pi) / eta for wi, pi in zip(w, prox)])
    return lam, a, eta, ws, wgs, G


def _norm(v, dps):
    return mpmath.sqrt(mpmath.fsum(x * x for x in v)) if dps else float(np.linalg.norm(v))


def _lf(inst):
    return max(abs(v) for v in inst["lambda"])


def h_eta(printed: bool):
    def check(inst):
        Lf = _lf(inst)
        ok = inst["eta"] <= Lf if printed else inst["eta"] * Lf <= 1
        return ok, f"eta = {inst['eta']:.6g}, L_f = {Lf:.6g} ({'eta <= L_f, as printed' if printed else 'eta L_f <= 1'})"
    return check


def h_pert(inst):
    bound = inst["eta"] * inst["eps"]
    worst = max(float(np.linalg.norm(e)) for e in inst["perturbations"])
    return worst <= bound, f"max ||eps^l|| = {worst:.6g} <= eta eps = {bound:.6g}"


def h_convex(inst):
    ok = len(inst["lambda"]) == len(inst["a"]) and _lf(inst) > 0
    return ok, (f"W = [-1,1]^{len(inst['lambda'])} convex and bounded; grad f = diag(lambda)(w - a) is "
                f"L_f = max|lambda| = {_lf(inst):.6g} Lipschitz")


class _Lemma14Claim(Claim):
    printed_eta = True
    methods = Search(evaluations=1000, floor=200)
    narrowing = ("f in the family (1/2)(w - a)^T diag(lambda)(w - a) on W = [-1, 1]^m, m <= 4, at most 12 steps, "
                 "n in {1, 2, 4, 16} (the lemma is for any L_f-smooth f on a convex bounded W)",
                 "w^(0) = w_GD^(0) = 0 (as printed)")
    cause = ("Cause: the lemma prints 'eta <= L_f' where Bai et al.'s Lemma G.1 needs eta <= 1/L_f, and the growth "
             "factor (1 + n L_f) where one step amplifies errors by (1 + eta L_f); with eta up to L_f the projected "
             "iteration overshoots.")

    def size(self, instance) -> int:
        return len(instance["lambda"]) * int(instance["steps"])

    def explain(self, instance, ev) -> str:
        return (f"Smallest witness found: f(w) = (1/2)(w - a)^T diag(lambda)(w - a) on W = [-1, 1]^{len(instance['lambda'])}, "
                f"lambda = {[round(v, 4) for v in instance['lambda']]}, a = {[round(v, 4) for v in instance['a']]}, "
                f"L_f = {_lf(instance):.4g}, eta = {instance['eta']:.4g} (<= L_f as printed), eps = "
                f"{instance['eps']:.3g}, n = {instance['n']}, {instance['steps']} steps, perturbations of norm eta eps: "
                f"observed {float(ev.observed):.4g} against the stated {float(ev.bound):.4g} (ratio {ev.ratio:.4g}, "
                f"50 digits). {self.cause}")

    def search_space(self, ctx):
        def sample(rng):
            m = int(rng.integers(1, 5))
            L = int(rng.integers(2, 13))
            return Candidate({"m": m, "steps": L, "n": int(rng.choice([1, 2, 4, 16]))},
                             rng.standard_normal(3 * m + 2 + L * m) * float(rng.choice([0.5, 1.0, 3.0])))

        def decode(c):
            m, L, v = c.discrete["m"], c.discrete["steps"], c.vector
            lam = np.exp(np.clip(v[:m], -3, 4)) * np.where(v[2 * m + 2:3 * m + 2] < 0, -1.0, 1.0)
            Lf = float(np.abs(lam).max())
            frac = 0.5 * (1 + np.tanh(v[m] / 2))
            eta = frac * (Lf if self.printed_eta else 1 / Lf)
            eps = float(10 ** np.clip(v[m + 1], -4, 0))
            a = np.tanh(v[m + 2:2 * m + 2])
            dirs = v[3 * m + 2:3 * m + 2 + L * m].reshape(L, m)
            dirs = dirs / np.maximum(np.linalg.norm(dirs, axis=1, keepdims=True), 1e-300)
            pert = dirs * eta * eps * (1 - 1e-12)
            return {"lambda": lam.tolist(), "a": a.tolist(), "eta": float(eta), "eps": eps, "steps": L,
                    "n": c.discrete["n"], "perturbations": pert.tolist()}

        sizes = ((1, 12, 1), (2, 12, 16), (4, 8, 4))

        def seed(m, L, n, log_eps, sign):
            """eta L_f -> 1, perturbations of full norm along the curvature sign's growing direction."""
            v = np.concatenate([np.full(m, 2.0), [8.0, log_eps], np.full(m, 0.0), np.full(m, sign), np.ones(L * m)])
            return Candidate({"m": m, "steps": L, "n": n}, v)

        # concave, eps small enough that no iterate is clipped by W: every step amplifies the error by 1 + eta L_f
        seeds = [seed(m, L, n, log_eps, -1.0) for m, L, n in sizes for log_eps in (-3.0, -2.0)]
        seeds.append(Candidate({"m": 1, "steps": 3, "n": 1}, np.array([3.0, 6.0, -2.0, 0.0, 1.0, 1.0, 1.0, 1.0])))
        seeds += [seed(m, L, n, 0.0, sign) for m, L, n in sizes for sign in (1.0, -1.0)]   # convex / concave
        return SearchSpace(sample, decode, seeds=seeds, step=0.7,
                           description="f(w) = (1/2)(w-a)^T diag(lambda)(w-a) on [-1,1]^m, lambda of any sign, "
                                       "eta in (0, bound), eps in [1e-4, 1], perturbations of norm eta eps")


class Lemma14(_Lemma14Claim):
    id = "wu2025.lemma14"
    source = Source("wu2025", "Lemma 14, p. 31 (quoting Bai et al. 2023, Lemma G.1), error accumulation as printed")
    statement = "for all l >= 0: ||w^l - w_GD^l||_2 <= L_f^{-1} (1 + n L_f)^l eps   (under eta <= L_f, as printed)"
    hypotheses = (Hypothesis("W convex bounded, grad f L_f-Lipschitz", "", h_convex),
                  Hypothesis("eta <= L_f", "as printed", h_eta(True)),
                  Hypothesis("||eps^l|| <= eta eps", "", h_pert))
    growth = "n"

    def evaluate(self, instance, dps=None):
        with mpmath.workdps(dps or 30):
            lam, a, eta, ws, wgs, _ = _run(instance, dps)
            Lf = max(abs(v) for v in lam)
            eps = _mp(instance["eps"], dps)
            g = _mp(instance["n"], dps) if self.growth == "n" else eta
            parts = []
            for l in range(len(ws)):
                obs = _norm([x - y for x, y in zip(ws[l], wgs[l])], dps)
                parts.append((l, obs, (1 + g * Lf) ** l * eps / Lf))
            l, obs, bound = max(parts, key=lambda t: float(t[1]) / float(t[2]))
        return Evaluation(obs, bound, {"step": l, "L_f": float(Lf), "eta": float(eta), "n": instance["n"]})


class Lemma14Ours(Lemma14):
    id = "wu2025.lemma14.ours"
    source = Source("wu2025", "Lemma 14's error accumulation with Bai et al.'s (1 + eta L_f)^l and eta L_f <= 1", "ours")
    statement = "||w^l - w_GD^l||_2 <= L_f^{-1} (1 + eta L_f)^l eps for eta <= 1/L_f"
    hypotheses = (Lemma14.hypotheses[0], Hypothesis("eta L_f <= 1", "", h_eta(False)), Lemma14.hypotheses[2])
    printed_eta = False
    growth = "eta"


class Lemma14Convergence(_Lemma14Claim):
    id = "wu2025.lemma14.convergence"
    source = Source("wu2025", "Lemma 14, p. 31: convergence of the gradient mapping, as printed ('if eta <= L_f')")
    statement = "(1/L) sum_{l=1}^{L-1} ||G(w^l)||_2^2 <= 8 (f(0) - inf_W f)/(eta L) + 10 eps^2"
    hypotheses = Lemma14.hypotheses

    def evaluate(self, instance, dps=None):
        with mpmath.workdps(dps or 30):
            lam, a, eta, ws, wgs, G = _run(instance, dps)
            L = int(instance["steps"])
            avg = sum((sum(x * x for x in G[l]) for l in range(1, L)), 0 * eta) / L
            f = lambda w: sum(li * (wi - ai) ** 2 for li, wi, ai in zip(lam, w, a)) / 2  # noqa: E731
            # the box minimiser of a separable quadratic: clip(a) where lambda >= 0, the far end where lambda < 0
            wmin = [max(min(ai, 1), -1) if li >= 0 else (-1 if ai > 0 else 1) for li, ai in zip(lam, a)]
            inf_f = f(wmin)
            eps = _mp(instance["eps"], dps)
            bound = 8 * (f([0 * eta] * len(lam)) - inf_f) / (eta * L) + 10 * eps * eps
        return Evaluation(avg, bound, {"L_f": float(max(abs(v) for v in lam)), "eta": float(eta), "steps": L})


class Lemma14ConvergenceOurs(Lemma14Convergence):
    id = "wu2025.lemma14.convergence.ours"
    source = Source("wu2025", "Lemma 14's convergence bound under Bai et al.'s eta <= 1/L_f", "ours")
    statement = "the same bound for eta L_f <= 1"
    hypotheses = Lemma14Ours.hypotheses
    printed_eta = False


LEMMA14_CLAIMS = [Lemma14(), Lemma14Ours(), Lemma14Convergence(), Lemma14ConvergenceOurs()]
