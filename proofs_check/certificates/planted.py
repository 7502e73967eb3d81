"""Certificates of the planted claims (proofs_check.audits.planted): each violated claim with an exact witness, the
true identity with its SymPy identity; what cannot be certified says why."""
from __future__ import annotations

from fractions import Fraction

import sympy as sp

from .common import agrees, base, claimed, evaluate_certificate, q

STATISTICAL = ("statistical evidence: the claim bounds an expectation, and the witness is a Monte Carlo mean with a "
               "confidence interval; no finite sample proves a bound on an expectation, so the violation stays "
               "'statistical' (it replays with its seed)")


def _finish(cert: dict, ev) -> tuple:
    obs, bd = evaluate_certificate(cert)
    cert["claimed"] = {"observed": claimed(obs), "bound": claimed(bd)}
    if ev is not None and not (agrees(obs, ev.observed) and agrees(bd, ev.bound)):
        return None, "the certificate's program disagrees with the claim's evaluation (a bug of the builder)"
    if not obs.lower() > bd.upper():
        return None, f"the certificate's recomputation does not separate observed {obs.str(10)} from bound {bd.str(10)}"
    return cert, "ok"


def box_norm(claim, instance, ev):
    x = instance["x"]
    cert = base("violation", claim, data={"x": [q(v) for v in x], "B": q(Fraction(claim.constant))},
                hypotheses=[["box", "x in [-1, 1]^3", "Max(Abs(x_0), Abs(x_1), Abs(x_2))", "<=", "1"]],
                program=[["norm2", "x_0**2 + x_1**2 + x_2**2"], ["norm", "sqrt(norm2)"]],
                observed="norm", bound="B",
                scope="the witness instance x (exact binary values of the saved floats)")
    if claim.constant == "sqrt3":
        cert["data"].pop("B")
        cert["bound"] = "sqrt(3)"
    return _finish(cert, ev)


def cube(claim, instance, ev):
    cert = base("violation", claim, data={"x": q(sp.Rational(instance["x"])), "top": q(claim.top)},
                hypotheses=[["range", f"x in [0, {claim.top}]", "x", ">=", "0"], ["range", "", "x", "<=", "top"]],
                observed="x**3", bound="x", scope="the witness instance x")
    return _finish(cert, ev)


def scan(claim, instance, ev):
    cert = base("violation", claim, data={"n": int(instance["n"])}, hypotheses=[["n >= 1", "", "n", ">=", "1"]],
                observed="n**2", bound="10*n", scope="the witness instance n")
    return _finish(cert, ev)


def exact_identity_false(claim, instance, ev):
    a, b = sp.symbols("a b")
    rhs = sp.sympify(instance["rhs"], locals={"a": a, "b": b})
    residual = (a + b) ** 2 - rhs
    for pa, pb in ((1, 1), (1, 2), (2, 3), (-1, 2), (3, 7)):
        if residual.subs({a: pa, b: pb}) != 0:
            break
    else:
        return None, "no rational point with a nonzero residual among the tried ones"
    cert = base("violation", claim, data={"a": pa, "b": pb}, program=[["lhs", "(a + b)**2"], ["rhs", instance["rhs"]]],
                observed="Abs(lhs - rhs)", bound="0",
                scope=f"the identity fails at a = {pa}, b = {pb} (a counterexample to 'for all real a, b')")
    return _finish(cert, None)


def identity_true(claim):
    a, b = sp.symbols("a b")
    cert = base("identity", claim, symbols={"a": "real", "b": "real"},
                expression=f"(a + b)**2 - ({claim.rhs})", scope="every real a, b (SymPy simplifies to 0)",
                whole_domain=True)
    return cert, "ok"


VIOLATIONS = {"planted.false_bound": box_norm, "planted.grid_false": cube, "planted.scan_false": scan,
              "planted.exact_false": exact_identity_false}
NOT_CERTIFIABLE = {
    "planted.mc_false": STATISTICAL,
    "planted.mc_true": "statistical evidence: a Monte Carlo mean with a confidence interval supports a bound on an "
                       "expectation but cannot prove it",
    "planted.training_false": "training evidence can support but never refute a claim; nothing to certify",
    "planted.true_bound": "the bound sqrt(3) is attained at the corners of the box: an Arb enclosure proves only strict "
                          "inequalities (ball endpoints lie strictly outside the exact range), so the claim stays "
                          "'searched'",
    "planted.grid_true": "x^3 <= x holds with equality at x = 0 and x = 1: an enclosure cannot decide an inequality that "
                         "is attained, so the claim stays 'searched'",
    "planted.undecidable": "an O(.) statement with unspecified constants: nothing to certify",
    "planted.inapplicable": "not applicable: nothing to certify",
}
CLAIMS = {"planted.exact_true": identity_true}
