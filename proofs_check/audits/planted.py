"""Planted toy claims: the audit engine must call a false bound violated and a true one verified.

Both bound the Euclidean norm of x in the box [-1, 1]^3, whose true maximum is sqrt(3) (at a corner).
"""
from __future__ import annotations

import mpmath
import numpy as np

from ..claims import Claim, Evaluation, Hypothesis, HypothesisCheck, Source
from ..search import Candidate, SearchSpace


def _in_box(inst):
    x = inst["x"]
    ok = len(x) == 3 and all(-1 <= v <= 1 for v in x)
    return ok, f"x = {x}"


class _BoxNormClaim(Claim):
    hypotheses = (Hypothesis("box", "x in [-1, 1]^3", _in_box),)
    constant: str = "1"

    def evaluate(self, instance, dps=None):
        x = instance["x"]
        if dps is None:
            return Evaluation(float(np.linalg.norm(x)), float(mpmath.mpf(self.constant) if "sqrt" not in self.constant
                                                             else mpmath.sqrt(3)))
        with mpmath.workdps(dps):
            obs = mpmath.sqrt(mpmath.fsum(mpmath.mpf(v) ** 2 for v in x))
            bound = mpmath.sqrt(3) if "sqrt" in self.constant else mpmath.mpf(self.constant)
            return Evaluation(obs, bound, {"x": x})

    def search_space(self, ctx):
        def sample(rng):
            return Candidate({}, rng.uniform(-2, 2, size=3))

        def decode(c):
            return {"x": [float(v) for v in np.tanh(c.vector)]}  # inside the box by construction

        return SearchSpace(sample, decode, step=0.5)


class PlantedFalse(_BoxNormClaim):
    id = "planted.false_bound"
    source = Source("planted", "toy: ||x||_2 <= 1.5 on [-1,1]^3 (false: max is sqrt 3)", "planted")
    statement = "for all x in [-1,1]^3, ||x||_2 <= 1.5"
    constant = "1.5"


class PlantedTrue(_BoxNormClaim):
    id = "planted.true_bound"
    source = Source("planted", "toy: ||x||_2 <= sqrt 3 on [-1,1]^3 (true, tight at the corners)", "planted")
    statement = "for all x in [-1,1]^3, ||x||_2 <= sqrt(3)"
    constant = "sqrt3"


class PlantedInapplicable(_BoxNormClaim):
    id = "planted.inapplicable"
    source = Source("planted", "toy: needs a smooth activation; configured with relu", "planted")
    statement = "(any conclusion)"
    constant = "1.5"

    def applicability(self, ctx):
        act = ctx.options.get("activation", "relu")
        return [HypothesisCheck("smooth activation", act != "relu", f"activation = {act}")]


CLAIMS = [PlantedFalse(), PlantedTrue(), PlantedInapplicable()]
