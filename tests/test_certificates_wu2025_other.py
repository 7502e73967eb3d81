"""Certificates of Wu et al.'s claims beyond the block claims: Lemma 14's recursions, the (B.1) norms of the exact
construction, Theorem 2's proof constant, the query gate, the identities of the proofs (certified verdicts) and
Lemma 5's EWML layers; each accepted by the checker and its forgeries rejected."""
import copy
import json

import mpmath
import pytest

from proofs_check.certificates import certify_claim, certify_violation
from proofs_check.checker import check_certificate
from proofs_check.registry import get_claim

LEMMA14 = {"lambda": [20.085536923187668], "a": [0.0], "eta": 20.035872959477953, "eps": 0.0001, "steps": 3, "n": 1,
           "perturbations": [[0.0020035872959457916]] * 3}
NORM_CFG = {"d_in": 1, "d_out": 1, "K": 1, "N": 4, "n": 8, "L": 1, "eta": 0.1, "Bv": 2.0, "Bx": 1.0, "By": 3.0,
            "activation": "tanh", "loss": "square", "knots": 8, "radius": "paper"}
GATE = {"config": {"d_in": 1, "d_out": 1, "K": 8, "N": 4, "n": 1, "L": 1, "eta": 0.5, "Bv": 0.25, "Bx": 0.001,
                   "By": 1.0, "activation": "softplus", "loss": "square", "knots": 4, "radius": "paper"},
        "prompt": {"x": [[0.000999999999999], [0.000999999999999]], "y": [[-0.999999999999]],
                   "w0": [0.24999999999975] * 8 + [0.08838834764823006] * 136},
        "free": {"norm": "l2"}}


def _certify(claim_id, instance):
    claim = get_claim(claim_id)
    with mpmath.workdps(50):
        ev = claim.evaluate(instance, dps=50)
    assert ev.violates()
    cert, why = certify_violation(claim, instance, ev, 50)
    assert cert is not None, why
    cert = json.loads(json.dumps(cert))
    r = check_certificate(cert)
    assert r.ok, r.reason
    return cert


def _reject(cert, reason=None):
    r = check_certificate(cert)
    assert not r.ok, "a forged certificate was accepted"
    if reason:
        assert reason in r.reason, r.reason


def test_lemma14_recursions_are_certified_step_by_step():
    pert = [[-0.0020035872959457916]] + [[0.0020035872959457916]] * 2
    c = _certify("wu2025.lemma14", dict(LEMMA14, perturbations=pert))
    assert any(line[0] == "w3_0" for line in c["program"]) or any(line[0] == "w2_0" for line in c["program"])
    f = copy.deepcopy(c)
    f["data"]["eta"] = "21"                                            # eta > L_f: outside the printed hypothesis
    _reject(f, "eta <= L_f")
    f = copy.deepcopy(c)
    f["data"]["pert"][0][0] = "1/100"                                  # a perturbation beyond eta eps
    _reject(f, "||eps^l|| <= eta eps")
    c = _certify("wu2025.lemma14.convergence", LEMMA14)
    f = copy.deepcopy(c)
    f["data"]["lam"][0] = "-20"                                        # the sign case of inf_W f no longer holds
    _reject(f)


def test_our_lemma14_is_certified_for_every_instance_by_induction():
    """q_l <= eps((1 + eta L_f)^l - 1)/L_f <= L_f^-1 (1 + eta L_f)^l eps for all l, eta, eps, L_f > 0: accepted,
    whole domain; a forged step, a weaker invariant, the printed growth (1 + n L_f)^l, a false base, a step that
    is not monotone in q and missing axioms are rejected."""
    cert, why = certify_claim("wu2025.lemma14.ours")
    assert cert is not None, why
    cert = json.loads(json.dumps(cert))
    r = check_certificate(cert)
    assert r.ok and r.whole_domain and "induction" in r.reason, r.reason
    assert any(a.startswith("projection") for a in r.axioms)
    forged = {"step": ("(1 + 2*eta*L_f)*q + eta*eps", "inductive step"),
              "invariant": ("eps*((1 + eta*L_f)**l - 1)/(2*L_f)", "inductive step"),
              "target": ("(1 + eta*L_f)**l*eps/(2*L_f)", "target"),
              "base": ("eps", "base case")}
    for key, (text, reason) in forged.items():
        f = copy.deepcopy(cert)
        f["induction"][key] = text
        _reject(f, reason)
    f = copy.deepcopy(cert)                 # the printed growth with n: not implied by the recursion
    f["symbols"]["n"] = "positive"
    f["induction"]["target"] = "(1 + n*L_f)**l*eps/L_f"
    _reject(f, "target")
    f = copy.deepcopy(cert)
    f["induction"]["step"] = "(1 + eta*L_f)*q**2 + eta*eps"
    _reject(f, "nondecreasing")
    f = copy.deepcopy(cert)
    f["axioms"] = {}
    _reject(f, "axioms")


def test_the_B1_norm_of_the_exact_construction():
    c = _certify("wu2025.lemma4.norm", {"config": NORM_CFG})
    assert any(k.endswith("_W1") for k in c["data"]) and c["observed"].endswith("_B1")
    f = copy.deepcopy(c)
    key = next(k for k in c["data"] if k.endswith("_W1"))
    f["data"][key][0][0] = "100"                                       # a weight of W1 changed
    _reject(f, "not in the claimed ball")


def test_theorem2_proof_constant():
    c = _certify("wu2025.theorem2.proof_eta", {"eta": "1/100", "eps": "1/1000000", "D_w": 1})
    f = copy.deepcopy(c)
    f["data"]["eta"] = "1"                                             # eta = 1: the proof's eps is the claim's
    _reject(f)


def test_the_query_gate_leak_is_certified_on_the_constructed_block():
    c = _certify("wu2025.theorem1.query_gate", GATE)
    f = copy.deepcopy(c)
    f["data"]["x"][1][0] = "2"                                         # a query outside the B_x ball
    _reject(f, "||x_{n+1}|| <= B_x")


def test_the_relu_coverage_witness_is_certified_from_the_step_itself():
    """The HIGH finding F01's witness: the interpolant of 1(t > 0) rebuilt by the program at M = 3."""
    c = _certify("wu2025.abstract.relu_coverage", {"M": 3})
    assert any("Heaviside(tau_" in line[1] for line in c["program"])
    f = copy.deepcopy(c)
    f["data"]["M"] = 4                                                 # another interpolant: values change
    _reject(f, "not in the claimed ball")
    f = copy.deepcopy(c)
    f["data"]["t_off"] = "-1/1000000000000"                           # both points on one side of the step
    _reject(f, "t_off")
    f = copy.deepcopy(c)
    f["data"]["eps_rp"] = "3/5"                                        # a target the interpolant does meet
    _reject(f)
    claim = get_claim("wu2025.abstract.relu_coverage")
    cert, why = certify_violation(claim, {"M": 2}, claim.evaluate({"M": 2}, dps=50), 50)
    assert cert is None and "knot at the step's discontinuity" in why


@pytest.mark.parametrize("claim_id", ["wu2025.identity.lemma2", "wu2025.identity.lemma6", "wu2025.identity.theorem1",
                                      "wu2025.lemma16.arithmetic", "wu2025.lemma5"])
def test_identity_certificates_of_the_certified_verdicts(claim_id):
    cert, why = certify_claim(claim_id)
    assert cert is not None, why
    r = check_certificate(cert)
    assert r.ok and cert["whole_domain"], r.reason
    f = copy.deepcopy(cert)
    f["expression"] = f["expression"].replace("z_1*(", "z_1*(1 + ", 1) if "z_1*(" in f["expression"] else \
        f["expression"] + " + z_0"
    _reject(f, "does not simplify to 0")


@pytest.mark.parametrize("claim_id", ["wu2025.lemma1", "wu2025.lemma15"])
def test_lemma1_gradient_certificates_are_rebuilt_by_the_checker_and_forgeries_rejected(claim_id):
    """The checker builds the network and L_n from the sizes, differentiates it in an undefined r and compares with
    the claimed components (our Lemma 1 code): genuine accepted; a changed factor, r' for r, a dropped component,
    a one-layer network, a planted wrong recursion (s(N) without r'(N-1)) rejected."""
    import numpy as np
    import sympy

    from symbolic.network import NetworkShape, lemma1_terms

    cert, why = certify_claim(claim_id)
    assert cert is not None, why
    r = check_certificate(cert)
    assert r.ok and cert["whole_domain"] and r.kind == "gradient", r.reason
    first = cert["networks"][0]["claimed"][0]
    f = copy.deepcopy(cert)
    f["networks"][0]["claimed"][0] = first.replace("/4", "/2", 1)
    _reject(f, "is not the gradient")
    f = copy.deepcopy(cert)
    f["networks"][0]["claimed"][0] = first.replace("dr(", "r(", 1)
    _reject(f, "is not the gradient")
    f = copy.deepcopy(cert)
    f["networks"][1]["claimed"].pop()
    _reject(f, "claimed must hold")
    f = copy.deepcopy(cert)
    f["networks"][0]["network"]["N"] = 1
    _reject(f, "N >= 2")
    d_in, d_out, K, N = (cert["networks"][2]["network"][k] for k in ("d_in", "d_out", "K", "N"))
    shape = NetworkShape(d_in, d_out, K, N)
    w = np.array([sympy.Symbol(f"w_{q}") for q in range(shape.num_params)], dtype=object)
    X = np.array([[sympy.Symbol(f"x_{i}_{a}") for a in range(d_in)] for i in range(2)], dtype=object)
    Y = np.array([[sympy.Symbol(f"y_{i}_{k}") for k in range(d_out)] for i in range(2)], dtype=object)
    wrong = lemma1_terms(shape, w, X, Y, sympy.Function("r"), lambda v: 1, lambda t, y: 2 * (t - y))  # r' := 1
    f = copy.deepcopy(cert)
    f["networks"][2]["claimed"] = [str(g) for g in wrong.grad]
    _reject(f, "is not the gradient")


def test_a_violation_without_a_builder_says_why():
    claim = get_claim("wu2025.ours.safe_radius")
    cert, why = certify_violation(claim, {}, None, 50)
    assert cert is None and "no violation certificate builder for wu2025.ours.safe_radius" in why


COROLLARY = {"config": {"d_in": 1, "d_out": 1, "K": 1, "N": 2, "n": 1, "L": 4, "eta": 100.0, "Bv": 5.0, "Bx": 1.0,
                        "By": 1.0, "activation": "sigmoid", "loss": "square", "knots": 57, "radius": "paper"},
             "eps": 1.0, "prompt": {"x": [[0.999999999999], [99.38067335131993]], "y": [[-0.9999999999990001]],
                                    "w0": [0.0, 0.0]}, "free": {"r_out": [-1, -1]}}


def test_corollary1_1_is_certified_with_two_sided_constants_and_forgeries_rejected():
    """The bound max(f(L_lo), f(L_hi)) is not monotone in L_hi's sup-defined constants: they are two-sided (a cover
    above, a point value below), so the checker encloses f(L_hi) instead of relying on monotonicity."""
    c = _certify("wu2025.corollary1_1", COROLLARY)
    two = {k["name"]: k for k in c["constants"] if "attained" in k}
    assert set(two) == {"a_Lf", "ap_Lf", "u_Lf"}
    f = copy.deepcopy(c)                        # the point of the lower bound outside [-radius, radius]
    u = next(k for k in f["constants"] if k["name"] == "u_Lf")
    u["attained"] = "3"
    _reject(f, "not certainly inside")
    f = copy.deepcopy(c)                        # a lower bound above the proven upper bound: the value lowered
    a = next(k for k in f["constants"] if k["name"] == "a_Lf")
    a["value"] = "1/2"
    _reject(f)
    f = copy.deepcopy(c)                        # without the lower bound, f(L_hi) needs monotonicity: refused
    for k in f["constants"]:
        k.pop("attained", None)
    _reject(f, "not nondecreasing")
    f = copy.deepcopy(c)                        # another label: the transformer and GD now agree less
    f["data"]["y"][0][0] = "1/3"
    _reject(f)
    f = copy.deepcopy(c)                        # a claimed bound ball wider than twice the checker's own
    f["claimed"]["bound"]["rad"] = "1/1000"
    _reject(f, "not tight")


THEOREM1 = {"config": {"d_in": 1, "d_out": 1, "K": 2, "N": 2, "n": 1, "L": 4, "eta": 100.0, "Bv": 2.0, "Bx": 1.0,
                       "By": 1.0, "activation": "sigmoid", "loss": "square", "knots": 11, "radius": "paper"},
            "eps": 1.0, "prompt": {"x": [[0.3729686692313463], [99.9999999999]], "y": [[0.6338606154861609]],
                                   "w0": [0.0, 0.0, 0.0, 0.0]}, "free": {"r_out": [-1, -1]}}


@pytest.mark.slow
def test_theorem1_as_stated_runs_the_blocks_and_checks_the_eps_choices():
    c = _certify("wu2025.theorem1", THEOREM1)
    assert len(c["conditions"]) == 3 and {k["name"] for k in c["constants"]} >= {"epsilon_r", "epsilon_rp"}
    f = copy.deepcopy(c)
    f["data"]["eps"] = "1/10"                                          # the construction's errors miss the eps choices
    _reject(f, "condition 'proof's eps choices met'")
    f = copy.deepcopy(c)
    f["data"]["w"][0] = "1/2"                                          # w^(0) != 0
    _reject(f, "w^(0) = 0")
