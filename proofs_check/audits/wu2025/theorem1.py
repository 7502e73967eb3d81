"""Theorem 1 as stated (target eps, the proof's eps choices, w^(0) = 0, L steps) and Corollary 1.1.

For a target eps the proof sets eps_l = 2eps/(3C_l), eps_r = 2eps/(3C_r), eps_r' = 2eps/(3C_r') and claims
||eps^(l-1)||_2 = eta ||grad_bar L_n(w^(l-1)) - grad L_n(w^(l-1))||_2 <= eta eps at every step.  Theorem 1 is an
existence statement proved by a construction: the audit runs the proof's construction (radii R1, R2, R3) with
approximants whose certified sup errors meet those choices, over everything the theorem allows -- any eps (a grid),
any L, eta, loss and smooth activation, the query unbounded (the theorem bounds i in [n] only, F13), w^(0) = 0 as
stated -- and over the proof's free choices: any approximant that satisfies Definition 4 on [-R, R] is admissible,
whatever it does outside (``free``: our interpolant, or it plus units that vanish on [-R, R] and bend outside).
A violation refutes the proof's construction, not the existence of some other network.

Corollary 1.1: ||w^l - w_GD^l||_2 <= L_f^{-1} (1 + n L_f)^l eps, L_f "the Lipschitz constant of L_N(w) within W".
The true L_f is unknown; it lies in [L_lo, L_hi] with L_lo = max_l ||grad L_n(w_GD^l)|| (a valid lower bound in
this reading) and L_hi the analytic upper bound of ``constants.L_f``.  f(L) = (1 + nL)^l eps / L is quasi-convex
in L, so max(f(L_lo), f(L_hi)) bounds the claimed value for every admissible L_f: a violation of that maximum is
a violation for the true constant.
"""
from __future__ import annotations

import math
from dataclasses import replace
from fractions import Fraction
from functools import lru_cache

import mpmath
import numpy as np
import sympy as sp
import torch

from numeric.wu2025.autograd_objective import construction_batch, exact_batch, single_thread
from numeric.wu2025.prompt import Prompt
from numeric.wu2025.reference import exact_terms, projected_gd
from numeric.wu2025.run import run, w_after_block
from symbolic.activations import T, get_activation
from symbolic.losses import Z, get_loss
from symbolic.sum_of_relu import to_fraction
from symbolic.wu2025 import bounds as B
from symbolic.wu2025 import constants as C
from symbolic.wu2025.approximants import knots_for_eps, radii
from symbolic.wu2025.config import WuConfig

from ...claims import Claim, Evaluation, Hypothesis, Source
from ...methods import Search
from ...search import Candidate, SearchSpace
from .block import batched, lanes, same_setup_groups
from .common import (GENES, POOL_FAMILY, QUERY_FREE, SMOOTH, SMOOTH_R, X_BALL, Y_BALL, ConfigSpace, config_dict,
                     data_size, decode_prompt, feasible, instance_config, instance_size, make_config, mutate,
                     random_config, remap, setup, smooth_applicability, space_from, structured_data)

EPS_GRID = (3.0, 1.0, 0.3, 0.1, 0.03)
MAX_KNOTS = 512
COST_CAP_T1 = 60000
FREE_CHOICES = (None, {"r_out": [1, 1]}, {"r_out": [-1, -1]}, {"r_out": [1, 1], "rp_out": [1, 1]},
                {"r_out": [10, 10], "rp_out": [-10, -10]})
SPACE = dict(N=(2, 3), K=(1, 2, 4, 8), d=(1, 2, 4), n=(1, 2, 4), L=(1, 2, 3, 4),
             eta=(0.1, 0.5, 2.0, 10.0, 100.0), Bv=(0.5, 1.0, 2.0, 5.0, 10.0), Bx=(0.01, 0.1, 1.0, 10.0),
             By=(0.1, 1.0, 10.0), activation=SMOOTH, loss=("square", "logcosh", "pseudo_huber"), knots=(2,))


def _free_key(free) -> tuple:
    return tuple(sorted((k, tuple(v)) for k, v in (free or {}).items()))


@lru_cache(maxsize=256)
def _knots(key: tuple, eps: float, max_knots: int = MAX_KNOTS, cost_cap: int | None = COST_CAP_T1
           ) -> tuple[int, dict] | None:
    """The proof's eps choices at ``eps`` and the smallest knot count M (the h^2 sup|phi''|/8 prediction, raised by
    25% until the Arb certificates agree) whose approximants meet them; None beyond MAX_KNOTS."""
    cfg = WuConfig(**dict(key), knots=2)
    values, _, _ = B.evaluate_values(cfg, eps_=eps, dps=30)
    req = {"eps_r": values[B.eps_r], "eps_rp": values[B.eps_rp], "eps_l": values[B.eps_l]}
    act = get_activation(cfg.activation)
    R1, R2, R3 = radii(cfg)
    M = max(knots_for_eps(act.expr, T, R1, float(req["eps_r"])),
            knots_for_eps(act.derivative(1), T, R2, float(req["eps_rp"])))
    if cfg.loss != "square":
        rho = to_fraction(sp.Rational(C.residual_radius(cfg)))
        M = max(M, knots_for_eps(get_loss(cfg.loss).dphi, Z, rho, float(req["eps_l"])))
    while M <= max_knots:
        c = replace(cfg, knots=M)
        if cost_cap is not None and not feasible(c, cost_cap)[0]:
            return None
        st = setup(c)
        cert = {"eps_r": st.eps_r, "eps_rp": st.eps_rp, "eps_l": st.eps_l}
        if all(cert[k] <= req[k] for k in req):
            return M, {k: (float(req[k]), float(cert[k])) for k in req}
        M = math.ceil(M * 1.25)
    return None


def _key(cfg: WuConfig) -> tuple:
    """The configuration without its knots (they follow from eps)."""
    return tuple(sorted((k, v) for k, v in config_dict(cfg).items() if k != "knots"))


def knots_for(cfg: WuConfig, eps: float, max_knots: int = MAX_KNOTS, cost_cap: int | None = COST_CAP_T1) -> int:
    got = _knots(_key(cfg), float(eps), max_knots, cost_cap)
    if got is None:
        raise ValueError(f"the proof's eps choices at eps = {eps} need more than {MAX_KNOTS} knots (or exceed "
                         "the caps) for this configuration")
    return got[0]


@lru_cache(maxsize=256)
def _eps_values(key: tuple, eps: float, dps: int) -> dict:
    values, _, _ = B.evaluate_values(WuConfig(**dict(key)), eps_=eps, dps=dps)
    return values


def h_eps_choice(inst):
    cfg = instance_config(inst)
    got = _knots(_key(cfg), float(inst["eps"]))
    if got is None or got[0] != cfg.knots:
        return False, f"M = {cfg.knots} is not the construction meeting the proof's choices at eps = {inst['eps']}"
    return True, ", ".join(f"{k}: certified {c:.4g} <= required {r:.4g}" for k, (r, c) in got[1].items()) + \
        f" (M = {cfg.knots})"


def h_w0_zero(inst):
    return all(v == 0 for v in inst["prompt"]["w0"]), "w^(0) = 0 (Theorem 1)"


def h_free(inst):
    fr = inst.get("free") or {}
    ok = set(fr) <= {"r_out", "rp_out"}
    return ok, ("our interpolants" if not fr else f"admissible free choice outside [-R, R]: {fr} (units vanishing on "
                "[-R, R], ||a||_1 = 1: Definition 4 holds with the same sup error)")


EPS_CHOICE = Hypothesis("proof's eps choices met", "the approximants' certified errors meet eps_* = 2eps/(3C_*)",
                        h_eps_choice)
W0_ZERO = Hypothesis("w^(0) = 0", "the iteration starts at w^(0) = 0 (Problem 1, Theorem 1)", h_w0_zero)
FREE_OK = Hypothesis("approximants admissible", "r_bar, r_bar' satisfy Definition 4 on [-R1, R1], [-R2, R2]",
                     h_free)


class _TargetEpsClaim(Claim):
    theorem4 = False
    hypotheses = (X_BALL, Y_BALL, SMOOTH_R, EPS_CHOICE, W0_ZERO, FREE_OK)
    free_choices = FREE_CHOICES
    pool_family = POOL_FAMILY
    methods = (Search(evaluations=320, floor=100),
               Search(evaluations=100, floor=40, producer="search_space_ball"))
    narrowing = (f"eps on the grid {list(EPS_GRID)} (the theorem: any eps > 0); configurations on the grids "
                 "N in {2,3}, K in {1,2,4,8}, d in {1,2,4}, n in {1,2,4}, L in {1..4}, eta in {0.1,0.5,2,10,100}, "
                 "B_v in {0.5..10}, B_x in {0.01..10}, B_y in {0.1,1,10}, three residual losses, four smooth r",
                 f"constructions needing more than {MAX_KNOTS} knots or more than {COST_CAP_T1} unit-token^2-steps "
                 "at 50 digits are not run",
                 f"the query (unbounded in the theorem) is searched in the ball of radius {QUERY_FREE:g} B_x",
                 "the proof's free choice of approximants: our interpolants, alone or plus units that vanish on "
                 "[-R, R] with slopes +-1, +-10 outside (wu2025.theorem1.ours: our interpolants only)")

    def applicability(self, options):
        return smooth_applicability(options)

    def space(self, ctx) -> ConfigSpace:
        return space_from(ctx, "paper", **SPACE)

    def search_space_ball(self, ctx):
        """The same space with the query in the B_x ball: the failures of the in-context tokens alone."""
        return self.search_space(ctx, query="ball")

    def search_space(self, ctx, query: str = "free"):
        sp_ = self.space(ctx)
        eps_grid = tuple((ctx.options or {}).get("eps_grid", EPS_GRID)) if ctx is not None else EPS_GRID
        G = len(GENES)
        rng = np.random.default_rng(17 + (ctx.seed if ctx is not None else 0))

        def ok(cfg, eps):
            try:
                return feasible(replace(cfg, knots=2, radius="safe"))[0] and \
                    _knots(_key(cfg), float(eps)) is not None
            except (ValueError, ArithmeticError):
                return False

        configs = []
        mk = lambda **v: make_config(sp_, **{"knots": 2, **v})  # noqa: E731
        hi = lambda xs: max(xs)  # noqa: E731
        lo = lambda xs: min(xs)  # noqa: E731
        starts = []
        for act in ("sigmoid", "softplus"):   # r(0) != 0: GD from w = 0 moves (tanh and gelu are stationary there)
            starts.append((mk(N=lo(sp_.N), K=lo(sp_.K), d=lo(sp_.d), n=lo(sp_.n), L=2 if 2 in sp_.L else lo(sp_.L),
                              eta=sp_.eta[len(sp_.eta) // 2], Bv=sp_.Bv[len(sp_.Bv) // 2], Bx=sp_.Bx[-2],
                              By=sp_.By[len(sp_.By) // 2], activation=act, loss=sp_.loss[0]), eps_grid[0]))
            starts.append((mk(N=lo(sp_.N), K=hi(sp_.K), d=lo(sp_.d), n=lo(sp_.n), L=2 if 2 in sp_.L else lo(sp_.L),
                              eta=hi(sp_.eta), Bv=hi(sp_.Bv), Bx=lo(sp_.Bx), By=sp_.By[len(sp_.By) // 2],
                              activation=act, loss=sp_.loss[0]), eps_grid[0]))
            starts.append((mk(N=lo(sp_.N), K=sp_.K[len(sp_.K) // 2], d=lo(sp_.d), n=lo(sp_.n), L=hi(sp_.L),
                              eta=hi(sp_.eta), Bv=sp_.Bv[-2], Bx=sp_.Bx[-2], By=sp_.By[len(sp_.By) // 2],
                              activation=act, loss=sp_.loss[0]), eps_grid[min(1, len(eps_grid) - 1)]))
        for cfg, eps in starts:
            if all(a in sp_.activation for a in (cfg.activation,)) and ok(cfg, eps):
                configs.append((cfg, eps))
        base = (ctx.options or {}).get("config") if ctx is not None else None
        if base is not None:
            b = replace(base, radius="paper", knots=2)
            if ok(b, eps_grid[0]):
                configs.insert(0, (b, eps_grid[0]))
        tries = 0
        while len(configs) < len(starts) + 4 and tries < 40:
            tries += 1
            cfg = random_config(rng, replace(sp_, knots=(2,)))
            eps = float(eps_grid[int(rng.integers(len(eps_grid)))])
            if ok(cfg, eps) and (cfg, eps) not in configs:
                configs.append((cfg, eps))
        if not configs:
            raise ValueError("no configuration of the space meets the proof's eps choices within the caps")
        seeds = []
        for cfg, eps in configs:
            for fi, free in enumerate(self.free_choices[:3]):
                for label, v in [x for x in structured_data(cfg, query) if x[0] in ("aligned++", "aligned+-",
                                                                                     "columns+-", "corners-+")]:
                    seeds.append(Candidate({"config": config_dict(cfg), "eps": eps, "free": fi},
                                           np.concatenate([v, np.zeros(G + 2)])))

        def sample(g):
            cfg, eps = configs[int(g.integers(len(configs)))]
            v = g.standard_normal(data_size(cfg)) * float(g.choice([0.3, 1.0, 3.0]))
            if query == "free" and g.random() < 0.5:
                v[cfg.n * cfg.d_in:(cfg.n + 1) * cfg.d_in] *= float(g.choice([3.0, 30.0, 100.0]))
            return Candidate({"config": config_dict(cfg), "eps": eps,
                              "free": int(g.integers(len(self.free_choices)))},
                             np.concatenate([v, np.zeros(G + 2)]))

        def decode(cand):
            b = WuConfig(**cand.discrete["config"])
            vec = np.asarray(cand.vector, float)
            nd = data_size(b)
            cfg = mutate(b, vec[nd:nd + G], sp_)
            eps_i = eps_grid.index(cand.discrete["eps"]) if cand.discrete["eps"] in eps_grid else 0
            eps_i = min(len(eps_grid) - 1, max(0, eps_i + int(math.trunc(vec[nd + G] / 3.0))))
            fi = min(len(self.free_choices) - 1,
                     max(0, cand.discrete["free"] + int(math.trunc(vec[nd + G + 1] / 3.0))))
            eps = float(eps_grid[eps_i])
            if cfg != b and not ok(cfg, eps):
                cfg = b
            if not ok(cfg, eps):
                eps = float(cand.discrete["eps"])
            M = knots_for(cfg, eps)
            cfg = replace(cfg, knots=M)
            data = remap(b, cfg, vec[:nd])
            pr = decode_prompt(cfg, data, query)
            pr.w0[:] = 0.0
            inst = {"config": config_dict(cfg), "eps": eps, "prompt": pr.arrays()}
            if self.free_choices[fi]:
                inst["free"] = {k: list(v) for k, v in self.free_choices[fi].items()}
            return inst

        qdesc = f"the query in the ball of radius {QUERY_FREE:g} B_x" if query == "free" else "the query in the B_x ball"
        desc = ("Theorem 1's setting: configurations (" + sp_.describe().split("; radius")[0] +
                f"), eps in {list(eps_grid)}, knots from the proof's eps choices, w^(0) = 0, x_i, y_i in their balls, "
                f"{qdesc}, free choices of the approximants outside [-R, R]")
        return SearchSpace(sample, decode, seeds=seeds, step=1.0, description=desc)

    def size(self, instance) -> int:
        return instance_size(instance) + 10 * int(instance["config"]["L"])

    def adopt(self, instance, source=None):
        """Instances of the other target-eps claims (same hypotheses); others do not carry eps and w^(0) = 0."""
        if "eps" not in instance or any(float(v) != 0 for v in instance.get("prompt", {}).get("w0", [1])):
            return None
        if (instance["config"].get("d_in") != instance["config"].get("d_out")) != self.theorem4:
            return None
        if instance.get("free") and None in self.free_choices and len(self.free_choices) == 1:
            return {k: v for k, v in instance.items() if k != "free"}
        return instance

    def _st(self, instance):
        cfg = instance_config(instance)
        if cfg.radius != "paper":
            raise ValueError("Theorem 1 is audited on the proof's construction (radius 'paper')")
        if knots_for(cfg, float(instance["eps"])) != cfg.knots:
            raise ValueError("the knots do not meet the proof's eps choices")
        return setup(cfg, instance.get("free"))

    def trajectory_batch(self, st, X, Y, steps: int):
        """float64: the construction's iterates w_bar^l and, at each, ||grad_bar - grad|| (batched)."""
        cfg = st.cfg
        ru, rpu, uu = st.units
        W = torch.zeros(X.shape[0], cfg.shape.num_params, dtype=torch.float64)
        ws, errs = [W], []
        for _ in range(steps):
            ct = construction_batch(cfg.shape, ru, rpu, uu, st.approx.R3, st.eta, st.box, X, Y, ws[-1])
            et = exact_batch(cfg.shape, cfg.activation, cfg.loss, st.eta, st.box, X, Y, ws[-1])
            errs.append(torch.linalg.norm(ct.grad - et.grad, dim=-1))
            ws.append(ct.w_next)
        return ws, errs

    def trajectory_hp(self, st, pr, dps):
        """At dps digits on the real transformer (L blocks): iterates w_bar^l and the gradient errors."""
        cfg = st.cfg
        full = st.wc
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
        return ws, errs

    def evaluate_batch(self, instances):
        out = [-math.inf] * len(instances)
        for idx in same_setup_groups(instances, ("config", "eps", "free")):
            try:
                st = self._st(instances[idx[0]])
                prs = [Prompt.from_dict(instances[i]["prompt"]) for i in idx]
                inst0 = instances[idx[0]]
                r = batched(lambda X, Y, W: self.ratio_batch(st, inst0, X, Y), prs)
                for i, v in zip(idx, r):
                    out[i] = v if not math.isnan(v) else -math.inf
            except (ValueError, ArithmeticError):
                continue
        return out


class Theorem1(_TargetEpsClaim):
    id = "wu2025.theorem1"
    source = Source("wu2025", "Theorem 1, p. 8 (restated Theorem 3, p. 28), as its proof establishes it: the construction "
                              "of Lemmas 2-6 and (C.16) with the proof's eps choices (p. 31)", about="proof_step",
                    note="audited on the proof's construction (Lemmas 2-6, radii R1, R2, R3) with any approximants "
                         "admissible under Definition 4: a violation refutes the proof's construction, not the "
                         "existence of some other network")
    statement = ("For any eps > 0 the proof's (2N+4)L-layer NN_theta (with any approximants admissible under Definition "
                 "4 and the proof's eps choices) implements w^(l) = Proj_W(w^(l-1) - eta grad L_n(w^(l-1)) + eps^(l-1)), "
                 "w^(0) = 0, with ||eps^(l-1)||_2 <= eta eps for every l in [L]")

    def ratio_batch(self, st, inst, X, Y):
        _, errs = self.trajectory_batch(st, X, Y, st.cfg.L)
        return torch.stack(errs).amax(dim=0) / float(inst["eps"])

    def evaluate(self, instance, dps=None):
        st = self._st(instance)
        pr = Prompt.from_dict(instance["prompt"])
        if dps is None:
            X, Y = lanes(pr.x, pr.y)
            with torch.no_grad(), single_thread():
                _, errs = self.trajectory_batch(st, X, Y, st.cfg.L)
            errs = [float(e[0]) for e in errs]
            eps, eta = float(instance["eps"]), float(instance["config"]["eta"])
        else:
            _, errs = self.trajectory_hp(st, pr, dps)
            eps, eta = mpmath.mpf(instance["eps"]), mpmath.mpf(str(instance["config"]["eta"]))
        l = int(np.argmax([float(e) for e in errs]))
        return Evaluation(eta * errs[l], eta * eps, {"step": l + 1, "grad_errors": [float(e) for e in errs],
                                                     "knots": st.approx.knots, "R_r": float(st.approx.R1),
                                                     "R3": float(st.approx.R3), "free": instance.get("free")})

    def causes(self, instance, ev):
        return [c for c, _ in self.named_causes(instance)]

    def named_causes(self, instance):
        """Which part of the construction fails at the worst step: the query gate, a pre-activation outside the
        approximation interval (with the free choice outside), or neither."""
        st = self._st(instance)
        pr = Prompt.from_dict(instance["prompt"])
        cfg = st.cfg
        X, Y = (torch.as_tensor(a[None], dtype=torch.float64) for a in (pr.x, pr.y))
        with torch.no_grad(), single_thread():
            ws, errs = self.trajectory_batch(st, X, Y, cfg.L)
            l = int(torch.stack(errs)[:, 0].argmax())
            ru, rpu, uu = st.units
            ct = construction_batch(cfg.shape, ru, rpu, uu, st.approx.R3, st.eta, st.box, X, Y, ws[l])
        n = cfg.n
        out = []
        sq = max(float(s[0, n].abs().max()) for s in ct.s[1:])
        if sq > 0:
            out.append(("query gate leaks", f"at step {l + 1} the query's s_bar_{{n+1}} reaches {sq:.4g} (the gate "
                        f"of (C.14) needs p_bar_{{n+1}}(N) within R3 = {float(st.approx.R3):.4g}; the query has norm "
                        f"{float(np.linalg.norm(pr.x[n])):.4g})"))
        R1, R2 = float(st.approx.R1), float(st.approx.R2)
        worst = None
        for j, z in enumerate(ct.z[1:], start=1):
            zz = z[0, :n].abs()
            v = float(zz.max())
            if v > min(R1, R2) and (worst is None or v > worst[1]):
                worst = (j, v)
        if worst is not None:
            j, v = worst
            bent = "ours (extrapolated)" if not instance.get("free") else "bent: " + str(instance["free"])
            out.append(("pre-activation outside the approximation interval",
                        f"at step {l + 1} an in-context pre-activation of layer {j} reaches |v^T p_bar| = {v:.4g} "
                        f"outside [-R1, R1] = [-{R1:.4g}, {R1:.4g}] / [-R2, R2] = [-{R2:.4g}, {R2:.4g}] (R1 omits "
                        f"sqrt(K)); there the approximants are {bent}"))
        if not out:
            out.append(("error with every pre-activation inside", f"at step {l + 1} every pre-activation is inside "
                        "the approximation intervals and the gate is exact"))
        return out

    def explain(self, instance, ev):
        c = instance["config"]
        shown = "; ".join(s for _, s in self.named_causes(instance))
        return (f"Witness: N={c['N']}, K={c['K']}, d_x={c['d_in']}, d_y={c['d_out']}, n={c['n']}, L={c['L']}, "
                f"eta={c['eta']}, {c['activation']}, {c['loss']} loss, B_v={c['Bv']}, B_x={c['Bx']}, B_y={c['By']}, "
                f"eps = "
                f"{instance['eps']}, {c['knots']} knots (the proof's eps choices met, certified), w^(0) = 0: "
                f"||eps^(l-1)|| = {float(ev.observed):.4g} > eta eps = {float(ev.bound):.4g} (ratio {ev.ratio:.4g}) "
                f"at step {ev.details.get('step')}, on the constructed transformer at 50 digits. What the witness "
                f"shows: {shown}.")


def corners(box) -> list[list[float]]:
    """Three points of W (the box): all coordinates at +b, at -b, alternating; ||grad L_n|| there is a lower bound
    of the Lipschitz constant of L_n on W as well (beside the GD iterates)."""
    b = [float(v) for v in box]
    return [b, [-v for v in b], [v if q % 2 == 0 else -v for q, v in enumerate(b)]]


class Corollary1_1(_TargetEpsClaim):
    id = "wu2025.corollary1_1"
    source = Source("wu2025", "Corollary 1.1, p. 8 (restated Corollary 3.1, p. 31) for the proof's construction; L_f "
                              "read as the Lipschitz constant of L_n on W, bracketed [L_lo, L_hi]", about="proof_step",
                    note="L_hi is our analytic bound on sup_W ||grad L_n|| (constants.L_f); L_lo = the largest "
                         "||grad L_n|| at the GD iterates and at three corners of W; the claimed bound is taken at the "
                         "worse end of the bracket (infinite when L_lo = 0)")
    statement = ("||w^l - w_GD^l||_2 <= L_f^{-1} (1 + n L_f)^l eps for the construction of Theorem 1's proof (any "
                 "approximants admissible under Definition 4)")

    def _parts(self, instance, ws, gd_ws, gd_grads, dps):
        cfg = instance_config(instance)
        st = self._st(instance)
        with mpmath.workdps(dps or 30):
            L_lo = max(mpmath.mpf(float(g)) if dps is None else g for g in gd_grads)
            L_hi = _eps_values(_key(cfg), float(instance["eps"]), 30)[B.L_f]
            lo, hi = min(L_lo, L_hi), max(L_lo, L_hi)
            eps = mpmath.mpf(instance["eps"])
            parts = []
            for l in range(1, cfg.L + 1):
                f = lambda L: (1 + cfg.n * L) ** l * eps / L  # noqa: E731
                bound = max(f(lo), f(hi)) if lo > 0 else mpmath.inf
                if dps is None:
                    obs = float(np.linalg.norm(np.asarray(ws[l], float) - np.asarray(gd_ws[l], float)))
                else:
                    d = np.array(ws[l], dtype=object) - np.array(gd_ws[l], dtype=object)
                    obs = mpmath.sqrt(mpmath.fsum(v * v for v in d))
                parts.append((l, obs, bound))
        del st
        return parts, float(lo), float(hi)

    def ratio_batch(self, st, inst, X, Y):
        cfg = st.cfg
        ws, _ = self.trajectory_batch(st, X, Y, cfg.L)
        W = torch.zeros_like(ws[0])
        gd, norms = [W], []
        for _ in range(cfg.L):
            et = exact_batch(cfg.shape, cfg.activation, cfg.loss, st.eta, st.box, X, Y, gd[-1])
            norms.append(torch.linalg.norm(et.grad, dim=-1))
            gd.append(et.w_next)
        et = exact_batch(cfg.shape, cfg.activation, cfg.loss, st.eta, st.box, X, Y, gd[-1])
        norms.append(torch.linalg.norm(et.grad, dim=-1))
        for c in corners(st.box):
            Wc = torch.tensor(c, dtype=torch.float64).expand(X.shape[0], -1)
            et = exact_batch(cfg.shape, cfg.activation, cfg.loss, st.eta, st.box, X, Y, Wc)
            norms.append(torch.linalg.norm(et.grad, dim=-1))
        L_lo = torch.stack(norms).amax(dim=0)
        L_hi = float(_eps_values(_key(cfg), float(inst["eps"]), 30)[B.L_f])
        eps = float(inst["eps"])
        best = None
        for l in range(1, cfg.L + 1):
            f = lambda L: (1 + cfg.n * L) ** l * eps / L  # noqa: E731
            lo = torch.minimum(L_lo, torch.full_like(L_lo, L_hi))
            hi = torch.maximum(L_lo, torch.full_like(L_lo, L_hi))
            bound = torch.where(lo > 0, torch.maximum(f(torch.clamp(lo, min=1e-300)), f(hi)),
                                torch.full_like(lo, math.inf))
            r = torch.linalg.norm(ws[l] - gd[l], dim=-1) / bound
            best = r if best is None else torch.maximum(best, r)
        return best

    def evaluate(self, instance, dps=None):
        cfg = instance_config(instance)
        st = self._st(instance)
        pr = Prompt.from_dict(instance["prompt"])
        if dps is None:
            X, Y = lanes(pr.x, pr.y)
            with torch.no_grad(), single_thread():
                ws, _ = self.trajectory_batch(st, X, Y, cfg.L)
                ws = [w[0].numpy() for w in ws]
                W = torch.zeros(X.shape[0], cfg.shape.num_params, dtype=torch.float64)
                gd, grads = [W], []
                for _ in range(cfg.L + 1):
                    et = exact_batch(cfg.shape, cfg.activation, cfg.loss, st.eta, st.box, X, Y, gd[-1])
                    grads.append(float(torch.linalg.norm(et.grad[0])))
                    gd.append(et.w_next)
                gd = [g[0].numpy() for g in gd[:cfg.L + 1]]
                for c in corners(st.box):
                    Wc = torch.tensor(c, dtype=torch.float64)[None].expand(X.shape[0], -1)
                    et = exact_batch(cfg.shape, cfg.activation, cfg.loss, st.eta, st.box, X, Y, Wc)
                    grads.append(float(torch.linalg.norm(et.grad[0])))
        else:
            ws, _ = self.trajectory_hp(st, pr, dps)
            with mpmath.workdps(dps):
                gd = projected_gd(cfg, st.box, [0.0] * len(pr.w0), pr.x.tolist(), pr.y.tolist(), cfg.L, "mpmath")
                pts = list(gd) + [[Fraction(v) for v in c] for c in corners(st.box)]
                grads = [mpmath.sqrt(mpmath.fsum(g * g for g in exact_terms(cfg, w, pr.x.tolist(), pr.y.tolist(),
                                                                              "mpmath").grad)) for w in pts]
        parts, lo, hi = self._parts(instance, ws, gd, grads, dps)
        l, obs, bound = max(parts, key=lambda t: float(t[1]) / float(t[2]))
        return Evaluation(obs, bound, {"step": l, "L_lo": lo, "L_hi": hi, "knots": st.approx.knots,
                                       "per_step": [(s, float(o), float(bd)) for s, o, bd in parts]})

    def causes(self, instance, ev):
        return [c for c, _ in Theorem1.named_causes(self, instance)]

    def explain(self, instance, ev):
        c = instance["config"]
        shown = "; ".join(s for _, s in Theorem1.named_causes(self, instance))
        return (f"Witness: N={c['N']}, K={c['K']}, d={c['d_in']}, n={c['n']}, L={c['L']}, eta={c['eta']}, "
                f"{c['activation']}, {c['loss']} loss, eps = {instance['eps']}, {c['knots']} knots, w^(0) = 0: "
                f"||w^l - w_GD^l|| = {float(ev.observed):.4g} > {float(ev.bound):.4g} (ratio {ev.ratio:.4g}) at step "
                f"{ev.details.get('step')} for every L_f in [{ev.details.get('L_lo'):.4g}, "
                f"{ev.details.get('L_hi'):.4g}]. What the witness shows: {shown}.")


class Theorem4Stated(Theorem1):
    id = "wu2025.theorem4.stated"
    source = Source("wu2025", "Theorem 4, p. 34 (Theorem 1 repeated for d_x != d_y, Definition 10), as Theorem 1's "
                              "proof establishes it, with the proof's eps choices (p. 31)", about="proof_step",
                    note="audited on the proof's construction (Lemmas 2-6 with d_y outputs, radii R1, R2, R3) with any "
                         "admissible approximants: a violation refutes the construction, not every network")
    statement = ("For any eps > 0 the proof's (2N+4)L-layer NN_theta (any admissible approximants) implements L steps "
                 "of projected GD on the network of Definition 10 (x in R^{d_x}, y in R^{d_y}), w^(0) = 0, with "
                 "||eps^(l-1)||_2 <= eta eps")

    theorem4 = True

    def space(self, ctx) -> ConfigSpace:
        return space_from(ctx, "paper", **{**SPACE, "d": (1, 2, 4), "d_out": (1, 2, 4)})


class Theorem1Ours(Theorem1):
    id = "wu2025.theorem1.ours"
    source = Source("wu2025", "Theorem 1 on the proof's construction with our interpolants (linear beyond [-R, R], no "
                              "free choice outside), the proof's radii and eps choices", "ours", about="proof_step",
                    note="our approximants: the piecewise-linear interpolants of r, r' (constant left of -R, linear "
                         "right of R); the paper's claim wu2025.theorem1 allows any admissible approximant")
    statement = ("Theorem 1's conclusion ||eps^(l-1)||_2 <= eta eps for the proof's construction built with our "
                 "interpolants, w^(0) = 0, the query unbounded")
    hypotheses = (X_BALL, Y_BALL, SMOOTH_R, EPS_CHOICE, W0_ZERO,
                  Hypothesis("our interpolants", "no free choice outside [-R, R]",
                             lambda inst: (not inst.get("free"), f"free = {inst.get('free')}")))
    free_choices = (None,)


THEOREM1_CLAIMS = [Theorem1(), Corollary1_1(), Theorem4Stated(), Theorem1Ours()]
