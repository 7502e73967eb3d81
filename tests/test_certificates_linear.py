"""Certificates of the linear-attention papers: Ahn et al.'s Appendix D baselines and Gatmiry et al.'s full-matrix
conjecture (a polynomial's global minimum bounded below by a cover and a tail row), Ahn et al.'s Figure 2 signs
(roots isolated by sign changes), von Oswald et al.'s notebook constant, and the identity certificates of the
certified verdicts; each accepted by the checker and its forgeries rejected."""
import copy
import json
from fractions import Fraction

import mpmath
import pytest

from proofs_check.certificates import certify_claim, certify_violation
from proofs_check.checker import check_certificate
from proofs_check.registry import get_claim


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


@pytest.fixture(scope="module")
def baselines():
    return _certify("ahn2023.appendixD.baselines", {"N": 2, "d": 5, "L": 3, "code_points": 1})


def test_the_baselines_minimum_is_bounded_below_by_a_cover_and_a_tail(baselines):
    c = baselines
    assert c["observed"] == "M0" and c["bound"] == "K + g_stated"
    assert c["constants"][0]["name"] == "K" and len(c["constants"][0]["cover"]["boxes"]) > 2
    assert any(row[0] == "tail" for row in c["hypotheses"])


def test_forged_baselines_certificates_are_rejected(baselines):
    c = copy.deepcopy(baselines)
    c["constants"][0]["cover"]["boxes"].pop(1)                      # a box missing from K's cover
    _reject(c, "gap or overlap")
    c = copy.deepcopy(baselines)
    c["data"]["C"] = "1/2"                                            # the tail argument needs C >= 1
    _reject(c, "C >= 1")
    c = copy.deepcopy(baselines)
    c["data"]["M0"] = str(int(c["data"]["M0"]) + 1)                   # a changed digit in M0: K's cover fails
    _reject(c)
    c = copy.deepcopy(baselines)
    c["data"]["code_points"] = 2                                      # the code's N - 1 points: outside the hypothesis
    _reject(c, "hypothesis 'code'")
    c = copy.deepcopy(baselines)
    c["constants"][0]["value"] = str(Fraction(c["constants"][0]["value"]) * 999 / 1000)
    _reject(c, "above the bound")                                     # K understated


def test_gatmiry_figure2_and_vonoswald_violations():
    c = _certify("gatmiry2024.full_matrix.cstar_global", {"n": 20, "L": 2, "d": 2, "c": 0.828808, "s": 0.1})
    f = copy.deepcopy(c)
    f["data"]["sB"] = "0"                                             # on the ray: no lower loss
    _reject(f)
    c = _certify("ahn2023.figure2.sign", {"paper": [-0.69, -0.42, -1.71]})
    f = copy.deepcopy(c)
    f["data"]["root_hi"][0] = f["data"]["root_lo"][0]                # an empty interval: no sign change
    _reject(f, "root 1")
    f = copy.deepcopy(c)
    f["data"]["p"][0] = "1"                                           # not the Hankel solution
    _reject(f, "Hankel row")
    c = _certify("vonoswald2023.code.gd_loss_constant",
                 {"constant": "0.20468888", "N": 10, "nx": 10, "a": "1", "tolerance": "0.05"})
    f = copy.deepcopy(c)
    f["data"]["a"] = "1/2"                                            # U(-1/2, 1/2): within 1% of the constant
    _reject(f)


@pytest.mark.parametrize("claim_id", ["ahn2023.theorem1.closed_form", "ahn2023.wishart.moments",
                                      "gatmiry2024.infinite_n.identity"])
def test_identity_certificates_of_the_certified_verdicts(claim_id):
    cert, why = certify_claim(claim_id)
    assert cert is not None, why
    r = check_certificate(cert)
    assert r.ok and cert["whole_domain"], r.reason
    forged = copy.deepcopy(cert)
    forged["expression"] = forged["expression"] + " + 1/10**30"
    _reject(forged, "does not simplify to 0")


def test_the_hessian_positivity_is_checked():
    cert, _ = certify_claim("ahn2023.theorem1.closed_form")
    forged = copy.deepcopy(cert)
    forged["positive"] = [forged["positive"][0] + " - lam"]           # no longer positive for every value
    _reject(forged, "not positive")
