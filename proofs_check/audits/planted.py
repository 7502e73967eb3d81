"""Planted toy claims, one true and one false for every method kind: the engine must call each false claim
violated (or, for training evidence, inconclusive) and each true one verified with the right tier.

* search: ||x||_2 on the box [-1, 1]^3, whose true maximum is sqrt(3) (at a corner);
* exact: a polynomial identity decided by SymPy (true: (a+b)^2 = a^2 + 2ab + b^2; false: (a+b)^2 = a^2 + b^2);
* grid: x^3 <= x on a grid of [0, 1] (true) and of [0, 2] (false);
* scan: n^2 <= 10 n for n = 1, 2, ... (false from n = 11: the scan's smallest witness);
* Monte Carlo: E[U^2] = 1/3 for U ~ U(0, 1) (true) and = 0.3 (false), 4 standard errors;
* training: 10 GD steps on x^4 from x = 1 reach |x| < 1e-3 (false, but training evidence cannot refute);
* undecidable and not applicable.
"""
from __future__ import annotations

import math

import mpmath
import numpy as np
import sympy as sp

from ..claims import Claim, Evaluation, Hypothesis, HypothesisCheck, Source, Tier
from ..methods import Exact, Grid, MonteCarlo, Scan, Search, Training, Undecidable
from ..search import Candidate, SearchSpace


def _in_box(inst):
    x = inst["x"]
    ok = len(x) == 3 and all(-1 <= float(v) <= 1 for v in x)
    return ok, f"x = {x}"


def _src(where: str, about: str = "statement") -> Source:
    return Source("planted", where, "planted", about=about)


class _BoxNormClaim(Claim):
    hypotheses = (Hypothesis("box", "x in [-1, 1]^3", _in_box),)
    methods = Search(evaluations=300, floor=60)
    constant: str = "1"

    def _bound(self, dps):
        if dps is None:
            return math.sqrt(3) if self.constant == "sqrt3" else float(self.constant)
        return mpmath.sqrt(3) if self.constant == "sqrt3" else mpmath.mpf(self.constant)

    def evaluate(self, instance, dps=None):
        x = instance["x"]
        if dps is None:
            return Evaluation(float(np.linalg.norm(np.asarray(x, float))), self._bound(None))
        obs = mpmath.sqrt(mpmath.fsum(mpmath.mpf(v) ** 2 for v in x))
        return Evaluation(obs, self._bound(dps), {"x": x})

    def size(self, instance):
        return sum(1 for v in instance["x"] if abs(float(v)) > 1e-9)

    def search_space(self, ctx):
        def sample(rng):
            return Candidate({}, rng.uniform(-2, 2, size=3))

        def decode(c):
            return {"x": [float(v) for v in np.tanh(c.vector)]}  # inside the box by construction

        return SearchSpace(sample, decode, step=0.5, description="x = tanh(v), v in R^3 (the whole open box)")


class PlantedFalse(_BoxNormClaim):
    id = "planted.false_bound"
    source = _src("toy: ||x||_2 <= 1.5 on [-1,1]^3 (false: max is sqrt 3)")
    statement = "for all x in [-1,1]^3, ||x||_2 <= 1.5"
    constant = "1.5"


class PlantedTrue(_BoxNormClaim):
    id = "planted.true_bound"
    source = _src("toy: ||x||_2 <= sqrt 3 on [-1,1]^3 (true, tight at the corners)")
    statement = "for all x in [-1,1]^3, ||x||_2 <= sqrt(3)"
    constant = "sqrt3"


class PlantedInapplicable(_BoxNormClaim):
    id = "planted.inapplicable"
    source = _src("toy: needs a smooth activation; configured with relu")
    statement = "(any conclusion)"
    constant = "1.5"

    def applicability(self, options):
        act = options.get("activation", "relu")
        return [HypothesisCheck("smooth activation", act != "relu", f"activation = {act}")]


# --- exact ------------------------------------------------------------------------------------------------------

class _Identity(Claim):
    methods = Exact(tier=Tier.CERTIFIED)
    rhs: str = ""

    def grid(self, ctx):
        return [{"rhs": self.rhs}]

    def evaluate(self, instance, dps=None):
        a, b = sp.symbols("a b")
        residual = sp.expand((a + b) ** 2 - sp.sympify(instance["rhs"], locals={"a": a, "b": b}))
        return Evaluation(0 if residual == 0 else 1, 0, {"residual": str(residual)})


class PlantedExactTrue(_Identity):
    id = "planted.exact_true"
    source = _src("toy identity (a+b)^2 = a^2 + 2ab + b^2 (true)")
    statement = "(a+b)^2 = a^2 + 2ab + b^2 for all real a, b"
    rhs = "a**2 + 2*a*b + b**2"


class PlantedExactFalse(_Identity):
    id = "planted.exact_false"
    source = _src("toy identity (a+b)^2 = a^2 + b^2 (false)", "proof_step")
    statement = "(a+b)^2 = a^2 + b^2 for all real a, b"
    rhs = "a**2 + b**2"


# --- grid and scan ------------------------------------------------------------------------------------------------

def _x_range(top):
    def check(inst):
        return 0 <= sp.Rational(inst["x"]) <= top, f"x = {inst['x']} in [0, {top}]"
    return check


class _Cube(Claim):
    methods = Grid()
    top = 1

    def grid(self, ctx):
        return [{"x": str(sp.Rational(k, 8) * self.top)} for k in range(9)]

    def evaluate(self, instance, dps=None):
        x = mpmath.mpf(sp.Rational(instance["x"]).p) / sp.Rational(instance["x"]).q if dps else float(
            sp.Rational(instance["x"]))
        return Evaluation(x ** 3, x)


class PlantedGridTrue(_Cube):
    id = "planted.grid_true"
    source = _src("toy: x^3 <= x on [0, 1] (true)")
    statement = "x^3 <= x for x in [0, 1]"
    hypotheses = (Hypothesis("x in [0, 1]", "", _x_range(1)),)


class PlantedGridFalse(_Cube):
    id = "planted.grid_false"
    source = _src("toy: x^3 <= x on [0, 2] (false for x > 1)")
    statement = "x^3 <= x for x in [0, 2]"
    hypotheses = (Hypothesis("x in [0, 2]", "", _x_range(2)),)
    top = 2


class PlantedScanFalse(Claim):
    id = "planted.scan_false"
    source = _src("toy: n^2 <= 10 n for every n >= 1 (false from n = 11)")
    statement = "n^2 <= 10 n for every integer n >= 1"
    hypotheses = (Hypothesis("n >= 1", "", lambda i: (int(i["n"]) >= 1, f"n = {i['n']}")),)
    methods = Scan()

    def grid(self, ctx):
        return [{"n": n} for n in range(1, 40)]

    def size(self, instance):
        return instance["n"]

    def evaluate(self, instance, dps=None):
        n = int(instance["n"])
        return Evaluation(n * n, 10 * n)


# --- Monte Carlo and training ---------------------------------------------------------------------------------

class _MeanSquare(Claim):
    methods = MonteCarlo()
    hypotheses = (Hypothesis("samples", "at least 1000 samples", lambda i: (int(i["samples"]) >= 1000,
                                                                              f"{i['samples']} samples")),)
    claimed = "1/3"

    def grid(self, ctx):
        return [{"samples": max(1000, int(20000 * ctx.scale)), "seed": ctx.seed, "claimed": self.claimed,
                 "tolerance": 0.02}]

    def evaluate(self, instance, dps=None):
        u = np.random.default_rng(int(instance["seed"])).uniform(0, 1, int(instance["samples"]))
        m, se = float(np.mean(u * u)), float(np.std(u * u, ddof=1) / math.sqrt(u.size))
        claimed = float(sp.Rational(instance["claimed"]))
        obs = abs(m - claimed)
        return Evaluation(mpmath.mpf(obs), mpmath.mpf(instance["tolerance"]), {"mean": m, "se": se},
                          spread=mpmath.mpf(4 * se))


class PlantedMCTrue(_MeanSquare):
    id = "planted.mc_true"
    source = _src("toy: E[U^2] = 1/3 for U ~ U(0,1), within 0.02 (true)", "reported_number")
    statement = "E[U^2] = 1/3 (to 0.02)"


class PlantedMCFalse(_MeanSquare):
    id = "planted.mc_false"
    source = _src("toy: E[U^2] = 0.3 for U ~ U(0,1), within 0.02 (false)", "reported_number")
    statement = "E[U^2] = 0.3 (to 0.02)"
    claimed = "3/10"


class PlantedTrainingFalse(Claim):
    id = "planted.training_false"
    source = _src("toy: 10 GD steps (rate 0.1) on x^4 from x = 1 reach |x| < 1e-3 (false: GD on x^4 is slow)")
    statement = "10 GD steps on x^4 from x = 1 at rate 0.1 reach |x| < 1e-3"
    hypotheses = (Hypothesis("steps", "", lambda i: (int(i["steps"]) >= 1, f"{i['steps']} steps")),)
    methods = Training()

    def grid(self, ctx):
        return [{"steps": 10, "rate": "0.1"}]

    def evaluate(self, instance, dps=None):
        x, eta = mpmath.mpf(1), mpmath.mpf(instance["rate"])
        for _ in range(int(instance["steps"])):
            x -= eta * 4 * x ** 3
        return Evaluation(abs(x), mpmath.mpf("1e-3"))


class PlantedUndecidable(Claim):
    id = "planted.undecidable"
    source = _src("toy: 'there exist constants with f = O(g)' (asymptotic, constants unspecified)")
    statement = "f(n) = O(g(n)) for some unspecified constant"
    methods = Undecidable("an O(.) statement with unspecified constants cannot be refuted by finitely many values")


CLAIMS = [PlantedFalse(), PlantedTrue(), PlantedInapplicable(), PlantedExactTrue(), PlantedExactFalse(),
          PlantedGridTrue(), PlantedGridFalse(), PlantedScanFalse(), PlantedMCTrue(), PlantedMCFalse(),
          PlantedTrainingFalse(), PlantedUndecidable()]

# what each planted claim must come to (tests/test_engine.py and the registry-wide invariants)
EXPECTED = {
    "planted.false_bound": ("violated", "high-precision"), "planted.true_bound": ("verified", "searched"),
    "planted.inapplicable": ("not_applicable", None), "planted.exact_true": ("verified", "certified"),
    "planted.exact_false": ("violated", "exact"), "planted.grid_true": ("verified", "searched"),
    "planted.grid_false": ("violated", "high-precision"), "planted.scan_false": ("violated", "high-precision"),
    "planted.mc_true": ("verified", "statistical"), "planted.mc_false": ("violated", "statistical"),
    "planted.training_false": ("inconclusive", None), "planted.undecidable": ("inconclusive", None),
}
