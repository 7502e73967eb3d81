"""Claims of Wu et al.'s Appendix G (diffusion score via ICL): the reduction to Problem 2 is not applicable as
written (F20: its hypotheses are named); our Gaussian/OU check is a claim (labelled ours), searched over the task
and the prompt's seed."""
from __future__ import annotations

import math
from functools import lru_cache

import mpmath
import numpy as np

from ...claims import Claim, Evaluation, Hypothesis, HypothesisCheck, Source
from ...methods import Search, Undecidable
from ...search import Candidate, SearchSpace
from .ext_common import config_dict, config_of, key_of, same_as

PAPER = "wu2025"


class AppGReduction(Claim):
    id = "wu2025.appG.reduction"
    source = Source(PAPER, "Appendix G.2, pp. 48-49 (Problem 3, Lemma 19, 'we reduce Problem 3 to Problem 2')",
                    about="statement")
    statement = ("ICL for the score function reduces to Problem 2 with loss (G.1); following Theorem 1, transformers "
                 "approximate the diffusion score by in-context gradient descent")
    # never reached: the hypotheses below fail whatever the configuration, so the engine answers not_applicable
    methods = Undecidable("the reduction's hypotheses fail (see applicability): nothing to evaluate")

    def applicability(self, options):
        return [
            HypothesisCheck("Theorem 1: r, r' Lipschitz and r in C^4", False,
                            "Lemma 19's score network (Chen et al. 2023) is a ReLU network; r' = 1(t > 0) is not "
                            "Lipschitz and cannot be approximated as Lemma 3 needs (finding wu2025.F01_relu_networks)"),
            HypothesisCheck("Problem 2: empirical loss (2.2) on the prompt", False,
                            "(G.1) is a time-integrated population loss with the unknown score; (G.2) needs x_0, "
                            "which the prompt (x_i, grad log p_{t_i}(x_i)) does not carry"),
            HypothesisCheck("Definition 1 network f(w, x)", False,
                            "f(w, x, t) takes the time t as an input and Chen et al.'s networks have biases; Def 1 has "
                            "neither (time can enter as an input coordinate via Theorem 4, d_x = d + 1)"),
            HypothesisCheck("a guarantee linking ICGD iterates to the score", False,
                            "Lemma 19 is an approximation result (some w exists); Theorem 1 gives GD iterates, and no "
                            "convergence of GD to that w is derived; t_i also clashes with the position flag"),
        ]


@lru_cache(maxsize=2)
def _construction(key: str):
    import json

    from symbolic.wu2025.assemble import build_construction

    return build_construction(config_of(json.loads(key)[0]), readout=False)


def _appg_config():
    from numeric.wu2025.icl_experiment.appg import APPG_CONFIG

    return APPG_CONFIG


def _task_hyp(inst):
    return (-1 <= inst["mu"] <= 1 and 0.25 <= inst["s2"] <= 2, f"mu = {inst['mu']}, s2 = {inst['s2']}")


def _samples_hyp(inst):
    ok = isinstance(inst["seed"], int) and inst["seed"] >= 0 and isinstance(inst["heldout"], int) \
        and inst["heldout"] >= 1
    return ok, f"seed = {inst['seed']}, {inst['heldout']} held-out points"


class AppGGaussian(Claim):
    id = "wu2025.appG.gaussian"
    source = Source(PAPER, "Appendix G checked on Gaussian data with the closed-form Ornstein-Uhlenbeck score", "ours",
                    "numeric.wu2025.icl_experiment.appg", about="conjecture")
    statement = ("on prompts (x_i, t_i) -> 1/2 + c grad log p_{t_i}(x_i) with P_0 = N(mu, s^2) (mu in [-1, 1], "
                 "s^2 in [1/4, 2]) under the OU process, the Theorem-4 construction (d_x = 2, d_y = 1, K = 3, N = 3, "
                 "n = 16, L = 3, sigmoid, eta = 1/2, M = 80 knots) stays within 1e-4 of projected GD at every step; "
                 "the held-out score MSE per step is reported (observation only)")
    methods = Search(evaluations=40, floor=12, batch=8, portfolio=("explore", "local"))
    narrowing = ("the prompt's points are drawn from the task by the seed: the search varies mu, s^2 and the seed, "
                 "not the points themselves",
                 "w^(0) drawn uniformly in 0.9 W_box by the seed (appg_check), not searched over W_box")
    tolerance = 1e-4
    heldout = 1024
    stated_config = None   # APPG_CONFIG (numeric.wu2025.icl_experiment.appg), imported when first needed

    @property
    def config(self):
        return self.stated_config or _appg_config()

    @property
    def hypotheses(self):
        return (Hypothesis("task", "mu in [-1, 1], s^2 in [1/4, 2]", _task_hyp),
                Hypothesis("the stated construction", "Theorem 4, d_x = 2, d_y = 1, K = 3, N = 3, n = 16, L = 3, "
                           "80 knots", same_as(config_dict(self.config), "config", "construction")),
                Hypothesis("samples", "a seed >= 0 and a held-out sample count >= 1", _samples_hyp))

    def evaluate(self, instance, dps=None):
        """observed: max_l ||w_TF^(l) - w_GD^(l)||_2, the transformer in float64 torch against projected GD, or (at
        ``dps`` digits) the transformer in Arb ball arithmetic (midpoints; the balls' radii are reported) against
        projected GD in mpmath; bound: the tolerance.  The held-out MSE (float64) is an observation only."""
        from numeric.wu2025.icl_experiment.appg import ScoreTask, appg_check

        cfg = config_of(instance["config"])
        wc = _construction(key_of(instance["config"]))
        task = ScoreTask(mu=float(instance["mu"]), s2=float(instance["s2"]))
        r = appg_check(task, cfg=cfg, seed=int(instance["seed"]), wc=wc, heldout=int(instance["heldout"]))
        details = {**r, "observation": _observation(r)}
        if dps is None:
            return Evaluation(r["max_w_dev"], self.tolerance, details)
        dev, radius = _arb_deviation(wc, score_prompt(task, cfg, wc, int(instance["seed"])), dps)
        details.update(executor=f"arb ({dps} digits)", max_ball_radius=radius)
        return Evaluation(dev, mpmath.mpf(self.tolerance), details)

    def search_space(self, ctx):
        extra = {"config": config_dict(self.config), "heldout": self.heldout}

        def sample(rng):
            return Candidate({"seed": int(rng.integers(0, 10**6))}, rng.normal(0, 1, size=2))

        def decode(c):
            return {"mu": float(np.tanh(c.vector[0])), "s2": float(0.25 + 1.75 / (1 + math.exp(-c.vector[1]))),
                    "seed": c.discrete["seed"], **extra}

        return SearchSpace(sample, decode, seeds=[Candidate({"seed": 0}, np.array([0.5493, -1.3863]))], step=0.5,
                           description="mu = tanh(v_1) in (-1, 1), s^2 = 1/4 + 7/4 sigmoid(v_2), prompt seed in "
                                       "[0, 10^6)")


def score_prompt(task, cfg, wc, seed: int):
    """The prompt ``appg_check`` builds for (task, seed): the same draws in the same order (the float64 path runs
    ``appg_check`` itself; the tests check that both paths see the same prompt)."""
    from numeric.wu2025.prompt import Prompt

    rng = np.random.default_rng(seed)
    u, y = task.sample(cfg.n + 1, rng)
    b = np.array([float(v) for v in wc.box])
    w0 = rng.uniform(-1, 1, b.size) * b * 0.9
    return Prompt(u, y[: cfg.n], w0)


def _arb_deviation(wc, prompt, dps: int):
    """max_l ||w_TF^(l) - w_GD^(l)||_2 with the transformer run in Arb at ``dps`` digits (ball midpoints, exact) and
    projected GD in mpmath at ``dps`` digits; and the largest ball radius (the run's rigorous rounding bound)."""
    from numeric.wu2025.reference import projected_gd
    from numeric.wu2025.run import run, w_after_block

    cfg = wc.config
    tr = run(wc, prompt, "arb", dps=dps)
    with mpmath.workdps(dps):
        gd = projected_gd(cfg, wc.box, prompt.w0, prompt.x, prompt.y, cfg.L)
        devs, radius = [], 0.0
        for l in range(cfg.L):
            balls = w_after_block(tr, wc, l, kind="mp")
            mids = []
            for a in balls:
                man, exp = (int(v) for v in a.mid().man_exp())
                mids.append(mpmath.ldexp(mpmath.mpf(man), exp))
                radius = max(radius, float(a.rad()))
            devs.append(mpmath.sqrt(mpmath.fsum((m - g) ** 2 for m, g in zip(mids, gd[l + 1]))))
        return max(devs), radius


def _observation(r: dict) -> str:
    dec = r["heldout_mse"][-1] < r["heldout_mse"][0]
    return (f"held-out label MSE {r['heldout_mse'][0]:.4g} at w^(0) -> {r['heldout_mse'][-1]:.4g} at w^(L): "
            f"{'decreases' if dec else 'does not decrease'} (label variance {r['score_var']:.4g})")


APPG_CLAIMS = [AppGReduction(), AppGGaussian()]
