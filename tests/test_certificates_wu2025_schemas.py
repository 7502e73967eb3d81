"""Whole-domain (schema) certificates of our corrected Wu bounds on the safe radius: accepted for every claim, and
their forgeries rejected (a stronger step, the paper's row factor, a false branch of a maximum, a missing case
split, sqrt(d) allowed below 1, a cover without its branch, data in a schema, an unknown axiom)."""
import copy
import json

import pytest

from proofs_check.certificates.schemas import DEPTHS, SCHEMA_CLAIMS, schema_certificate
from proofs_check.checker import check_certificate

FAST = {"wu2025.lemma6.bound.columns_safe": (1, 2, 3), "wu2025.lemma6.error.columns_safe": (2, 3),
        "wu2025.theorem1.grad_error.columns_safe": (1, 2, 3), "wu2025.theorem4.columns_safe": (2,)}


def _cert(claim_id, depths=None):
    cert, why = schema_certificate(claim_id, depths=depths or FAST.get(claim_id, DEPTHS))
    assert cert is not None, why
    return json.loads(json.dumps(cert))


def _reject(cert, reason=None):
    r = check_certificate(cert)
    assert not r.ok, "a forged schema was accepted"
    if reason:
        assert reason in r.reason, r.reason


def _quantity(part, name):
    return next(q for q in part["quantities"] if q["name"] == name)


@pytest.mark.parametrize("claim_id", sorted(SCHEMA_CLAIMS))
def test_schema_is_accepted_for_every_configuration(claim_id):
    cert = _cert(claim_id)
    r = check_certificate(cert)
    assert r.ok and r.whole_domain and r.kind == "schema", r.reason
    assert "every value of" in r.reason and not cert.get("data")
    premises = {"levels", "radius rule"} if claim_id == "wu2025.ours.safe_radius" else {"safe radius", "approximable"}
    assert premises <= set(cert["axioms"]) and set(cert["premises"]) <= set(cert["axioms"])
    assert "premises" in cert["scope"]


def test_safe_radius_schema_rejects_the_papers_radius_and_a_broken_induction():
    """Our safe radius for every configuration: rho_j without the sqrt(K) of Cauchy-Schwarz (the paper's R1 omits
    it), a requirement that does not follow (a level used outside the interval it is a sup over), a conclusion
    lowered to the wrong layer's rho, and a level of the wrong layer are rejected."""
    cert = _cert("wu2025.ours.safe_radius", (2, 3))
    r = check_certificate(cert)
    assert r.ok and "2 parts" in r.reason, r.reason
    f = copy.deepcopy(cert)
    f["parts"][1]["program"][1][1] = "B_v*S_1 + s_2"                         # rho_2 = B_v S_1: no sqrt(K)
    _reject(f, "does not follow")
    f = copy.deepcopy(cert)
    _quantity(f["parts"][1], "h_2")["requires"] = [["a_2", "<=", "B_v*S_1"]]
    _reject(f, "its requirement a_2")
    f = copy.deepcopy(cert)
    f["parts"][1]["conclusions"][2][3] = {"c_Rmax": "c_rho_1"}               # a_3 <= rho_1: false
    _reject(f, "does not follow")
    f = copy.deepcopy(cert)
    _quantity(f["parts"][1], "h_2")["bound"] = "S_1"                          # layer 2 bounded by layer 1's level
    _reject(f, "does not follow")
    f = copy.deepcopy(cert)
    f["symbols"]["sqrtK"] = "nonnegative"                                     # sqrt(K) < 1 allowed: still true
    assert check_certificate(f).ok                                            # (the radius needs no sqrt(K) >= 1)


def test_lemma2_schema_rejects_a_stronger_step_or_target():
    cert = _cert("wu2025.lemma2.safe", (2, 3))
    f = copy.deepcopy(cert)
    _quantity(f["parts"][1], "e_2")["bound"] = "epsilon_r + 2*L_r*B_v*sqrtK*e_1"   # the step twice as large
    _reject(f, "does not follow")
    f = copy.deepcopy(cert)
    f["parts"][0]["conclusions"][0][2] = f["parts"][0]["conclusions"][0][2].replace("sqrt(sqrtK**2)", "1")
    _reject(f, "does not follow")                                                # (3.9) without its sqrt(K)
    f = copy.deepcopy(cert)
    _quantity(f["parts"][0], "e_2")["bound"] = "epsilon_r + L_r*B_v*sqrtK*(1 - e_1)"  # decreasing in e_1
    _reject(f, "nondecreasing")
    f = copy.deepcopy(cert)
    _quantity(f["parts"][0], "e_2")["axiom"] = ["construction", "no such lemma"]
    _reject(f, "unknown axiom")
    f = copy.deepcopy(cert)
    f["data"] = {"K": 4}
    _reject(f, "no data")


def test_lemma6_schema_rejects_the_papers_row_factor_and_a_missing_case_split():
    cert = _cert("wu2025.lemma6.bound.columns_safe", (2,))
    f = copy.deepcopy(cert)               # B_s with the proof's row factor B_v P instead of the column's B_v P^2
    for line in f["parts"][0]["program"]:
        line[1] = line[1].replace("c_P**2", "c_P")
    _reject(f, "does not follow")
    f = copy.deepcopy(cert)
    f["orders"] = []                      # P = max(sqrt K, sqrt d) stays a maximum: no order decides it
    _reject(f, "does not follow")


def test_branches_of_a_maximum_are_checked():
    cert = _cert("wu2025.lemma4.safe", (2,))
    f = copy.deepcopy(cert)
    eE = _quantity(f["parts"][0], "eE")
    eE["via"] = [{"c_E_r": "2*sqrtd*c_S_2"}]                           # not an argument of E_r's max
    _reject(f, "is not an argument")
    f = copy.deepcopy(cert)
    _quantity(f["parts"][0], "eE")["via"] = [{}]                      # no branch: E_r stays an atom
    _reject(f, "does not dominate")
    f = copy.deepcopy(cert)
    f["symbols"]["sqrtd"] = "nonnegative"                             # E_r >= S_N needs sqrt(d) >= 1
    f["orders"] = []
    _reject(f, "does not dominate")


def test_theorem1_schema_rejects_a_missing_half_a_doubled_difference_and_a_wrong_branch():
    """Theorem 1's gradient error on the safe radius for every configuration: the step without its 1/2 (the n
    in-context terms over 2n), ||pbar(1)|| with twice the difference, B_r^R lowered to sup |r| for ||x|| (it is
    B_x there) and a missing query-gate premise are rejected; the same schema serves Theorem 4."""
    cert = _cert("wu2025.theorem1.grad_error.columns_safe", (2,))
    assert "query gate" in cert["premises"] and check_certificate(cert).ok
    part = cert["parts"][0]
    f = copy.deepcopy(cert)
    _quantity(f["parts"][0], "A_2")["bound"] = "sqrtd*esS*pnS + sqrtd*mS*nE"
    _reject(f, "conclusion G")
    f = copy.deepcopy(cert)
    _quantity(f["parts"][0], "pn_2")["bound"] = "sqrtK*bar_r_R + 2*n_1"
    _reject(f, "does not dominate pn_2")
    f = copy.deepcopy(cert)
    _quantity(f["parts"][0], "pnS")["via"][0] = {"c_B_r_R": "bar_r_R"}
    _reject(f, "does not dominate pn_1")
    f = copy.deepcopy(cert)
    del f["axioms"]["query gate"]
    _reject(f, "unknown axiom")
    t4 = _cert("wu2025.theorem4.columns_safe", (2,))
    assert t4["parts"] == cert["parts"] and t4["claim"] != cert["claim"] and check_certificate(t4).ok
    assert [c[0] for c in part["conclusions"]] == ["G"]
