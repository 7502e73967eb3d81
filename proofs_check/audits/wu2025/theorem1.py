"""Theorem 1 as stated (target eps, the proof's eps choices, w^(0) = 0, L steps) and Corollary 1.1.

For a target eps the proof sets eps_l = 2eps/(3C_l), eps_r = 2eps/(3C_r), eps_r' = 2eps/(3C_r') and claims
||eps^(l-1)||_2 = eta ||grad_bar L_n(w^(l-1)) - grad L_n(w^(l-1))||_2 <= eta eps at every step.  The audit builds
the proof's construction (radii R1, R2, R3) with approximants whose certified sup errors meet those choices.

Corollary 1.1: ||w^l - w_GD^l||_2 <= L_f^{-1} (1 + n L_f)^l eps, L_f "the Lipschitz constant of L_N(w) within W".
The true L_f is unknown; it lies in [L_lo, L_hi] with L_lo = max_l ||grad L_n(w_GD^l)|| (a valid lower bound in
this reading) and L_hi the analytic upper bound of ``constants.L_f``.  f(L) = (1 + nL)^l eps / L is quasi-convex
in L, so max(f(L_lo), f(L_hi)) bounds the claimed value for every admissible L_f: a violation of that maximum is
a violation for the true constant.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from functools import lru_cache

import mpmath
import numpy as np
import torch

from numeric.precision import certify_sup_error
from numeric.wu2025.prompt import Prompt
from numeric.wu2025.quantities import construction_float64, exact_float64
from numeric.wu2025.reference import exact_terms, projected_gd
from numeric.wu2025.run import run, w_after_block
from symbolic.activations import T, get_activation
from symbolic.wu2025 import bounds as B
from symbolic.wu2025.approximants import knots_for_eps
from symbolic.wu2025.assemble import WuConstruction, build_construction
from symbolic.wu2025.config import WuConfig

from ...claims import Claim, Evaluation, Hypothesis, Source
from .common import SMOOTH_R, X_BALL, Y_BALL, config_dict, construction_space, instance_config, \
    smooth_applicability

EPS_GRID = (0.3, 0.1, 0.03)
MAX_KNOTS = 1024


@dataclass
class BuiltEps:
    wc: WuConstruction
    required: dict      # eps_r, eps_rp, eps_l the proof requires
    certified: dict     # what the approximants achieve (Arb)
    values: dict        # the paper's constants at the target eps


@lru_cache(maxsize=64)
def _eps_setup(key: tuple, eps: float) -> BuiltEps | None:
    """The proof's eps choices at ``eps`` and the construction whose certified errors meet them (the smallest
    M found by the h^2 sup|phi''|/8 prediction, raised by 25% until the Arb certificates agree), or None when
    more than MAX_KNOTS knots would be needed.  ``key`` is the configuration without its knots."""
    cfg = WuConfig(**dict(key))
    values, _, _ = B.evaluate_values(cfg, eps_=eps, dps=30)
    req = {"eps_r": values[B.eps_r], "eps_rp": values[B.eps_rp], "eps_l": values[B.eps_l]}
    if cfg.loss != "square":
        raise ValueError("the Theorem 1 audit builds square-loss constructions (eps_l = 0 exactly)")
    act = get_activation(cfg.activation)
    probe = build_construction(replace(cfg, knots=2), readout=False).approx
    M = max(knots_for_eps(act.expr, T, probe.R1, float(req["eps_r"])),
            knots_for_eps(act.derivative(1), T, probe.R2, float(req["eps_rp"])))
    while M <= MAX_KNOTS:
        wc = build_construction(replace(cfg, knots=M), readout=False)
        cert = {"eps_r": certify_sup_error(wc.approx.r).upper, "eps_rp": certify_sup_error(wc.approx.rp).upper,
                "eps_l": mpmath.mpf(0)}
        if all(cert[k] <= req[k] for k in req):
            return BuiltEps(wc, req, cert, values)
        M = math.ceil(M * 1.25)
    return None


def _key(cfg: WuConfig) -> tuple:
    """The configuration without its knots (they follow from eps)."""
    return tuple(sorted((k, v) for k, v in config_dict(cfg).items() if k != "knots"))


def built_for_eps(cfg: WuConfig, eps: float) -> BuiltEps:
    b = _eps_setup(_key(cfg), eps)
    if b is None or b.wc.approx.knots != cfg.knots:
        raise ValueError(f"knots {cfg.knots} do not meet the proof's eps choices at eps = {eps}")
    return b


def h_eps_choice(inst):
    cfg = instance_config(inst)
    b = _eps_setup(_key(cfg), float(inst["eps"]))
    if b is None or b.wc.approx.knots != cfg.knots:
        return False, f"M = {cfg.knots} is not the construction meeting the proof's choices at eps = {inst['eps']}"
    ok = all(b.certified[k] <= b.required[k] for k in ("eps_r", "eps_rp", "eps_l"))
    return ok, ", ".join(f"{k}: certified {mpmath.nstr(b.certified[k], 4)} <= required {mpmath.nstr(b.required[k], 4)}"
                         for k in ("eps_r", "eps_rp", "eps_l")) + f" (M = {cfg.knots})"


def h_w0_zero(inst):
    return all(v == 0 for v in inst["prompt"]["w0"]), "w^(0) = 0 (Theorem 1)"


EPS_CHOICE = Hypothesis("proof's eps choices met", "the approximants' certified errors meet eps_* = 2eps/(3C_*)",
                        h_eps_choice)
W0_ZERO = Hypothesis("w^(0) = 0", "the iteration starts at w^(0) = 0 (Problem 1, Theorem 1)", h_w0_zero)


class _TargetEpsClaim(Claim):
    hypotheses = (X_BALL, Y_BALL, SMOOTH_R, EPS_CHOICE, W0_ZERO)
    budget_weight = 3.0
    ranges = {"N": (2, 3), "K": (1, 2, 3), "d": (1, 2), "n": (1, 2, 4), "Bv": (0.5, 1.0, 1.5, 2.0),
              "Bx": (0.5, 1.0, 2.0), "eta": (0.5, 2.0, 8.0), "knots": (8,)}

    def applicability(self, ctx):
        return smooth_applicability(ctx)

    def search_space(self, ctx):
        eps_grid = tuple((ctx.options or {}).get("eps_grid", EPS_GRID)) if ctx is not None else EPS_GRID
        rng = np.random.default_rng((ctx.seed if ctx else 0) + 17)

        def extra(cfg, cand):
            return {"eps": cand.discrete["eps"]}

        base = construction_space(ctx, "paper", pool=3, extra=extra, **self.ranges)
        cands = []
        for c in base.seeds:
            cfg = WuConfig(**c.discrete["config"])
            eps = float(eps_grid[int(rng.integers(len(eps_grid)))])
            b = _eps_setup(_key(replace(cfg, L=2)), eps)
            if b is None:
                continue
            cands.append((replace(cfg, L=2, knots=b.wc.approx.knots), eps, c.vector))
        if not cands:
            raise ValueError("no configuration of the pool can meet the proof's eps choices within "
                             f"{MAX_KNOTS} knots")
        from ...search import Candidate, SearchSpace

        seeds = [Candidate({"config": config_dict(cf), "eps": e}, v) for cf, e, v in cands]

        def sample(g):
            cf, e, v = cands[int(g.integers(len(cands)))]
            return Candidate({"config": config_dict(cf), "eps": e}, g.standard_normal(v.size) * g.choice([0.5, 2.0]))

        def decode(cand):
            inst = base.decode(cand)
            inst["prompt"]["w0"] = [0.0] * len(inst["prompt"]["w0"])
            inst["eps"] = cand.discrete["eps"]
            return inst

        return SearchSpace(sample, decode, seeds=seeds, step=1.0)

    def size(self, instance) -> int:
        from .common import instance_size

        return instance_size(instance)

    def trajectory(self, inst, dps):
        """Construction iterates w_bar^l (l = 0..L) and the exact gradients at them."""
        cfg = instance_config(inst)
        b = built_for_eps(cfg, float(inst["eps"]))
        pr = Prompt.from_dict(inst["prompt"])
        if dps is None:
            ws, errs = [np.array(pr.w0)], []
            for _ in range(cfg.L):
                p = Prompt(pr.x, pr.y, ws[-1])
                cq, eq = construction_float64(b.wc, p), exact_float64(b.wc, p)
                errs.append(float(torch.linalg.norm(cq.grad - eq.grad)))
                ws.append(cq.w_next.numpy())
            return b, pr, ws, errs
        full = build_construction(cfg, approx=b.wc.approx, readout=False)
        with mpmath.workdps(dps):
            tr = run(full, pr, "highprec", dps=dps)
            ws = [w_after_block(tr, full, l - 1, "mp") for l in range(cfg.L + 1)]
            eta = mpmath.mpf(full.eta.numerator) / full.eta.denominator
            errs = []
            for l in range(cfg.L):
                ex = exact_terms(cfg, list(ws[l]), pr.x.tolist(), pr.y.tolist(), "mpmath")
                last = l * (2 * cfg.N + 4) + 2 * cfg.N + 2  # the gradient-step layer of block l
                w_step = tr.slot(last, "w", "mp")[0]
                gbar = (np.array(ws[l], dtype=object) - w_step) / eta
                errs.append(mpmath.sqrt(mpmath.fsum((a - c) ** 2 for a, c in zip(gbar, ex.grad))))
        return b, pr, ws, errs


class Theorem1(_TargetEpsClaim):
    id = "wu2025.theorem1"
    source = Source("wu2025", "Theorem 1, p. 8 (restated Theorem 3, p. 28), with the proof's eps choices (p. 31)")
    statement = ("For any eps > 0 the (2N+4)L-layer NN_theta implements w^(l) = Proj_W(w^(l-1) - eta grad L_n(w^(l-1)) "
                 "+ eps^(l-1)), w^(0) = 0, with ||eps^(l-1)||_2 <= eta eps for every l in [L]")

    def evaluate(self, instance, dps=None):
        b, pr, ws, errs = self.trajectory(instance, dps)
        eps = mpmath.mpf(instance["eps"]) if dps else float(instance["eps"])
        eta = float(instance["config"]["eta"]) if dps is None else mpmath.mpf(str(instance["config"]["eta"]))
        l = int(np.argmax([float(e) for e in errs]))
        return Evaluation(eta * errs[l], eta * eps, {"step": l + 1, "grad_errors": [float(e) for e in errs],
                                                     "knots": b.wc.approx.knots, "R_r": float(b.wc.approx.R1),
                                                     "required_eps_r": float(b.required["eps_r"])})


class Corollary1_1(_TargetEpsClaim):
    id = "wu2025.corollary1_1"
    source = Source("wu2025", "Corollary 1.1, p. 8 (restated Corollary 3.1, p. 31); L_f read as the Lipschitz "
                              "constant of L_n on W, bracketed [L_lo, L_hi]")
    statement = "||w^l - w_GD^l||_2 <= L_f^{-1} (1 + n L_f)^l eps for the construction of Theorem 1"

    def evaluate(self, instance, dps=None):
        cfg = instance_config(instance)
        b, pr, ws, errs = self.trajectory(instance, dps)
        with mpmath.workdps(dps or 30):
            gd = projected_gd(cfg, b.wc.box, [0.0] * len(pr.w0), pr.x.tolist(), pr.y.tolist(), cfg.L, "mpmath")
            L_lo = max(mpmath.sqrt(mpmath.fsum(g * g for g in exact_terms(cfg, w, pr.x.tolist(), pr.y.tolist(),
                                                                            "mpmath").grad)) for w in gd)
            L_hi = b.values[B.L_f]
            lo, hi = min(L_lo, L_hi), max(L_lo, L_hi)
            eps = mpmath.mpf(instance["eps"])
            parts = []
            for l in range(1, cfg.L + 1):
                f = lambda L: (1 + cfg.n * L) ** l * eps / L  # noqa: E731
                bound = max(f(lo), f(hi))
                d = np.array([float(a) for a in ws[l]]) - np.array([float(g) for g in gd[l]]) if dps is None else \
                    np.array(ws[l], dtype=object) - np.array(gd[l], dtype=object)
                obs = float(np.linalg.norm(d)) if dps is None else mpmath.sqrt(mpmath.fsum(v * v for v in d))
                parts.append((l, obs, bound))
            l, obs, bound = max(parts, key=lambda t: float(t[1]) / float(t[2]))
        return Evaluation(obs, bound, {"step": l, "L_lo": float(lo), "L_hi": float(hi),
                                       "per_step": [(s, float(o), float(bd)) for s, o, bd in parts]})


THEOREM1_CLAIMS = [Theorem1(), Corollary1_1()]
