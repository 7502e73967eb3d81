"""Certificates of Hu et al.'s (LoRA) violations: the two HIGH findings' witnesses (Lemma 3.3's score range, Lemma
D.4's K-adapter gradient against the exact gradient derived from the loss in the certificate), a formula claim, a
shape claim and a chain claim (the proof's construction rebuilt from the Chebyshev series, Bessel functions enclosed
by Arb); each accepted by the independent checker and its forgeries rejected."""
import copy
from fractions import Fraction
import json

import mpmath
import pytest

from numeric.hu2025lora import instances as INS
from proofs_check.certificates import certify_violation
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
    return cert, ev


def _reject(cert, reason=None):
    r = check_certificate(cert)
    assert not r.ok, "a forged certificate was accepted"
    if reason:
        assert reason in r.reason, r.reason
    return r


@pytest.fixture(scope="module")
def lemmaD4():
    return _certify("hu2025lora.lemmaD_4.A_K", INS.raw_instance(2, 2, 1, 0))


def test_lemma_D4_K_gradient_witness_is_certified_against_the_loss(lemmaD4):
    cert, ev = lemmaD4
    names = [line[0] for line in cert["program"]]
    assert "loss" in names and any(n.startswith("d_AK_") for n in names)
    assert cert["functions"]["dloss_adapters_AK_0_0"] == {"derivative_of": "loss_adapters", "wrt": "arg_AK_0_0"}
    assert any(n.startswith("E_") for n in names)                                  # exp enclosed, never rounded
    assert any(row[0].startswith("does not conform") for row in cert["hypotheses"])   # T(d^2, d^2) readings
    assert all(isinstance(v, str) for row in cert["data"]["XQ"] for v in row)
    assert float(Fraction(cert["claimed"]["observed"]["mid"])) == pytest.approx(float(ev.observed), rel=1e-12)


def test_forged_lemma_D4_certificates_are_rejected(lemmaD4):
    cert, _ = lemmaD4
    c = copy.deepcopy(cert)
    c["data"]["XQ"][0][0] = c["data"]["XQ"][0][0].replace("1", "2", 1) if "1" in c["data"]["XQ"][0][0] else "1/3"
    _reject(c, "not in the claimed ball")                                          # a changed digit in the data
    c = copy.deepcopy(cert)
    c["claimed"]["observed"]["rad"] = c["claimed"]["observed"]["mid"]
    _reject(c, "not tight")                                                        # a widened ball
    c = copy.deepcopy(cert)
    c["data"]["r"] = 2                                                             # r = d: outside the hypotheses
    _reject(c, "r < d")
    c = copy.deepcopy(cert)
    c["data"]["beta"] = "2"                                                        # beta != 1
    _reject(c, "beta = 1")
    c = copy.deepcopy(cert)
    f = c["functions"]["loss_adapters"]                                            # a different loss: the checker
    f["body"] = f"({f['body']})*2/3"                                               # differentiates it itself
    _reject(c, "not in the claimed ball")


def test_lemma_3_3_score_range_witness():
    cert, _ = _certify("hu2025lora.lemma3_3.as23_normalisation", {"d": 2, "Gamma": "1"})
    c = copy.deepcopy(cert)
    c["data"]["C2"][0][1] = "2"                                                    # ||C2||_max > Gamma
    _reject(c, "||C2||_max <= Gamma")
    c = copy.deepcopy(cert)
    c["bound"] = "2*Gamma**2"
    c["claimed"]["bound"] = {"mid": "2", "rad": "0"}
    _reject(c, "does not exceed")


def test_a_formula_and_a_shape_claim():
    cert, _ = _certify("hu2025lora.eq2_1", INS.raw_instance(1, 2, 1, 0))
    assert float(Fraction(cert["claimed"]["observed"]["mid"])) == pytest.approx(0.5)       # (2.1) = L0 / 2 exactly
    cert, _ = _certify("hu2025lora.lemma3_2.B", INS.partial_instance(1, 2, 1, 0))
    assert cert["observed"] == "1" and any("does not conform" in r[0] for r in cert["hypotheses"])
    c = copy.deepcopy(cert)
    c["data"]["L"] = 2                                                             # at L = d the product conforms
    _reject(c, "does not conform")


def test_a_chain_claim_rebuilds_the_construction_from_the_chebyshev_series():
    cert, ev = _certify("hu2025lora.lemma3_6.proof_construction", INS.partial_instance(2, 2, 1, 0))
    text = json.dumps(cert["program"])
    assert "besseli(0, R)" in text and "delta_poly" in text                        # coefficients and delta_CT
    c = copy.deepcopy(cert)
    c["data"]["R"] = "1/100"                                                       # R no longer bounds the scores
    _reject(c, "R bounds the scores")
    c = copy.deepcopy(cert)
    line = next(x for x in c["program"] if x[0] == "I_1")
    line[1] = "besseli(2, R)"                                                      # another polynomial
    _reject(c)
