"""Wu et al.'s stated bounds (symbolic/wu2025/bounds.py, constants.py) and `icl-verify bounds wu2025`."""
from __future__ import annotations

import json
import math
import subprocess
import sys

import mpmath
import pytest
import sympy as sp

from proofs_check.cli import main as cli_main
from symbolic.wu2025 import bounds as B
from symbolic.wu2025 import constants as C
from symbolic.wu2025.config import WuConfig

CFG = WuConfig()  # Section 11.1: d=2, K=3, N=3, n=4, L=2, sigmoid, square, B_v=1.5, B_x=B_y=1, eta=0.5
SMALL = ["--depth", "3", "--width", "3", "--dim", "2", "--activation", "sigmoid", "--Bv", "1.5", "--Bx", "1"]
REQUIRED = ["wu2025.E_r", "wu2025.lemma2", "wu2025.lemma3", "wu2025.lemma4", "wu2025.lemma6.B_s",
            "wu2025.lemma6.E_s_r", "wu2025.lemma6.E_s_rp", "wu2025.lemma6.E_s_l", "wu2025.theorem1.grad_error",
            "wu2025.corollary1_1", "wu2025.lemma14", "wu2025.lemma2.norm", "wu2025.lemma3.norm", "wu2025.lemma4.norm",
            "wu2025.lemma5.norm", "wu2025.theorem1.grad_layer_norm", "wu2025.theorem1.max_heads"]
SPEC_EPS = dict(eps_r_=1.15e-3, eps_rp_=1.46e-3, eps_l_=0)  # spec 5.7 / 11.3 (M = 20)
INPUTS = dict(C1_=sp.Rational(6, 5), C2_=sp.Rational(4, 5), C3_=8, M1_=81, M2_=81, M3_=4)


def sigmoid(t):
    return 1 / (1 + math.exp(-t))


def hand_theorem1(N, K, d, Bv, Br, Brp, Lr, Lrp, Ll, Bl, er, erp, el):
    """Independent float re-computation of E_r (3.11), B_s, E_s^* (Lemma 6) and Theorem 1's gradient error."""
    a = math.sqrt(K) * Lr * Bv
    S = [sum(a**q for q in range(j)) for j in range(N + 1)]
    Er = max([math.sqrt(K) * S[j] for j in range(1, N + 1)] + [math.sqrt(d) * S[N]])
    P = max(math.sqrt(K), math.sqrt(d))
    rho = Brp * Bv * P
    G = [sum(rho**q for q in range(N - j)) for j in range(N + 1)]
    Bs = max(rho ** (N - j) * Brp * Bl for j in range(1, N + 1))
    Esr = max(Lrp * Er * P * Bs * Bv**2 * G[j] + rho ** (N - j) * (Bl * Lrp * Bv * Er + Brp * Ll * Er)
              for j in range(1, N + 1))
    Esrp = max(P * Bs * Bv * G[j] + rho ** (N - j) * Bl for j in range(1, N + 1))
    Esl = max(rho ** (N - j) * Brp for j in range(1, N + 1))
    grad = N / 2 * P * ((Esr * er + Esrp * erp + Esl * el) * math.sqrt(P) * Br + Bs * Er * er)
    return dict(E_r=Er, B_s=Bs, E_s_r=Esr, E_s_rp=Esrp, E_s_l=Esl, grad=grad)


def rows_by_id(ev):
    return {r["id"]: r for r in ev.rows}


@pytest.fixture(scope="module")
def ev_spec():
    return rows_by_id(B.evaluate(CFG, **SPEC_EPS, **INPUTS))


# --- constants -------------------------------------------------------------------------------------------------

def test_primitive_constants_section_11_1():
    assert C.B_r_levels(CFG)[0] == 1 and C.B_r(CFG) == 1          # max over j = 0..N includes B_r^0 = B_x
    assert math.isclose(float(C.B_r_levels(CFG)[1]), sigmoid(1.5), rel_tol=1e-15)
    assert math.isclose(float(C.B_r_levels(CFG)[2]), sigmoid(1.5 * sigmoid(1.5)), rel_tol=1e-15)
    assert C.B_rp_levels(CFG)[1:] == (sp.Rational(1, 4),) * 3 and C.B_rp(CFG) == 1
    assert (C.R1(CFG), C.R2(CFG), C.R3(CFG), C.P(CFG)) == (sp.Rational(3, 2),) * 3 + (sp.sqrt(3),)
    # safe radius by hand: R_1 = 1.5, R_j = 1.5 sqrt(3) (sigmoid(R_{j-1}) + 0.1), max rounded up to 1/100
    R = [1.5]
    for _ in range(2):
        R.append(1.5 * math.sqrt(3) * (sigmoid(R[-1]) + 0.1))
    assert C.safe_radius(CFG) == sp.Rational(math.ceil(max(R) * 100), 100) == sp.Rational(66, 25)
    Lr, Lrp, Ll = C.L_r(CFG), C.L_rp(CFG), C.L_l(CFG)
    assert Lr.value == sp.Rational(1, 4) and sp.simplify(Lrp.value - sp.sqrt(3) / 18) == 0 and Ll.value == 2
    assert Lr.interval == (-sp.Rational(66, 25), sp.Rational(66, 25)) and Lrp.interval == Lr.interval
    assert C.sup_u(CFG).value == 6 and C.sup_u(CFG).origin == "ours"          # |2(t - y)| <= 4 R3
    assert C.Delta_f(CFG).value == sp.Rational(9, 4)                          # (1/2) d (1/2 + 1)^2


def test_relu_keeps_infinite_lipschitz():
    cfg = WuConfig(activation="relu")
    assert C.L_rp(cfg).value == sp.oo and C.L_r(cfg).value == 1
    rows = rows_by_id(B.evaluate(cfg, eps_r_=0, eps_rp_=1, eps_l_=0, **INPUTS))
    assert rows["wu2025.lemma3"]["value"] == mpmath.inf
    assert rows["wu2025.theorem1.grad_error"]["value"] == mpmath.inf
    assert mpmath.isfinite(rows["wu2025.E_r"]["value"])


# --- hand checks ------------------------------------------------------------------------------------------------

def test_E_r_by_hand(ev_spec):
    a = math.sqrt(3) * 0.25 * 1.5                                 # sqrt(K) L_r B_v
    assert math.isclose(float(ev_spec["wu2025.E_r"]["value"]), math.sqrt(3) * (1 + a + a * a), rel_tol=1e-14)
    assert math.isclose(float(ev_spec["wu2025.lemma2[3]"]["value"]), math.sqrt(2) * (1 + a + a * a) * 1.15e-3,
                        rel_tol=1e-14)
    assert math.isclose(float(ev_spec["wu2025.lemma2.coord[2]"]["value"]), (1 + a) * 1.15e-3, rel_tol=1e-14)


def test_B_s_and_lemma3_lemma4_by_hand(ev_spec):
    Er = math.sqrt(3) * (1 + 3 * math.sqrt(3) / 8 + 27 / 64)
    Bl = 6 + 2 * Er * 1.15e-3                                     # ours: sup|u| + eps_l + L_l E_r eps_r
    assert math.isclose(float(ev_spec["wu2025.B_l"]["value"]), Bl, rel_tol=1e-14)
    assert math.isclose(float(ev_spec["wu2025.lemma6.B_s"]["value"]), (1.5 * math.sqrt(3)) ** 2 * Bl, rel_tol=1e-14)
    assert math.isclose(float(ev_spec["wu2025.lemma3"]["value"]), 1.46e-3 + math.sqrt(3) / 18 * 1.5 * Er * 1.15e-3,
                        rel_tol=1e-14)
    assert math.isclose(float(ev_spec["wu2025.lemma4"]["value"]), 2 * Er * 1.15e-3, rel_tol=1e-14)


def test_theorem1_magnitude_spec_5_7(ev_spec):
    """Spec 5.7 says 2.44 at eps_r = 1.15e-3, eps_r' = 1.46e-3.  That number takes B_l = 4 (= sup|2(t-y)| over
    |t| <= B_r, |y| <= B_y); with spec 5.1's B_l (sup over |t|, |y| <= R3 = 1.5, i.e. 6 + slack) it is 3.57."""
    base = dict(N=3, K=3, d=2, Bv=1.5, Br=1, Brp=1, Lr=0.25, Lrp=math.sqrt(3) / 18, Ll=2, er=1.15e-3, erp=1.46e-3, el=0)
    spec = hand_theorem1(Bl=4, **base)
    assert round(spec["grad"], 2) == 2.44
    rows4 = rows_by_id(B.evaluate(CFG, **SPEC_EPS, **INPUTS, B_l_=4))
    assert math.isclose(float(rows4["wu2025.theorem1.grad_error"]["value"]), spec["grad"], rel_tol=1e-13)
    ours = hand_theorem1(Bl=6 + 2 * spec["E_r"] * 1.15e-3, **base)
    for key in ("E_r", "B_s", "E_s_r", "E_s_rp", "E_s_l"):
        rid = "wu2025." + key if key == "E_r" else "wu2025.lemma6." + key
        assert math.isclose(float(ev_spec[rid]["value"]), ours[key], rel_tol=1e-13), key
    assert math.isclose(float(ev_spec["wu2025.theorem1.grad_error"]["value"]), ours["grad"], rel_tol=1e-13)
    assert 3.5 < ours["grad"] < 3.6


def test_corollary_and_eps_choice_by_hand(ev_spec):
    g = float(ev_spec["wu2025.theorem1.grad_error"]["value"])
    Lf = float(C.L_f(CFG).value)
    for step in range(3):
        want = (1 + 4 * Lf) ** step * g / Lf                     # n = 4 as printed
        assert math.isclose(float(ev_spec[f"wu2025.corollary1_1[{step}]"]["value"]), want, rel_tol=1e-13)
    want = 8 * 2.25 / (0.5 * 2) + 10 * g * g
    assert math.isclose(float(ev_spec["wu2025.lemma14"]["value"]), want, rel_tol=1e-13)
    # eps choices: (1/2)(C_l eps_l + C_r eps_r + C_r' eps_r') = eps
    c = {k: float(ev_spec[f"wu2025.theorem1.{k}"]["value"]) for k in ("C_l", "C_r", "C_rp", "eps_l", "eps_r", "eps_rp")}
    assert math.isclose((c["C_l"] * c["eps_l"] + c["C_r"] * c["eps_r"] + c["C_rp"] * c["eps_rp"]) / 2, g, rel_tol=1e-13)
    assert math.isclose(float(ev_spec["wu2025.lemma2.norm"]["value"]), 1 + 3 * 1.2)
    assert math.isclose(float(ev_spec["wu2025.theorem1.grad_layer_norm"]["value"]), 1 + 2 * 0.5 * 3 * 3)
    assert ev_spec["wu2025.theorem1.max_embedding_dim.ours"]["value"] == 53       # spec 11.1 token dimension


def test_target_eps_mode():
    ev = rows_by_id(B.evaluate(CFG, eps_=sp.Rational(1, 100), **INPUTS))
    with mpmath.workdps(50):
        assert abs(ev["wu2025.theorem1.grad_error"]["value"] - mpmath.mpf(1) / 100) < mpmath.mpf(10) ** -45
        assert abs(ev["wu2025.theorem1.eps_r"]["value"] * 3 * ev["wu2025.theorem1.C_r"]["value"] / 2
                   - mpmath.mpf(1) / 100) < mpmath.mpf(10) ** -45


# --- identities -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("N", [2, 3, 4])
def test_identities_simplify_to_zero(N):
    results = B.identity_results(N)
    assert len(results) >= 10
    bad = [iid for iid, _, zero in results if not zero]
    assert not bad


def test_identity_rows_hold(ev_spec):
    ids = [r for r in ev_spec.values() if r["kind"] == "identity"]
    assert ids and all(r["holds"] and r["value"] == 0 for r in ids)


def test_mutation_breaks_identities():
    defs = B.definitions(3)
    bad = dict(defs)
    bad[B.T("r", 2)] = defs[B.T("r", 2)] * sp.Rational(1001, 1000)
    assert not all(B.is_zero(e) for e in B.identity_lemma6_coefficients(3, bad))
    assert all(B.is_zero(e) for e in B.identity_lemma6_coefficients(3, defs))
    bad = dict(defs)
    bad[B.C_r] = defs[B.C_r] * sp.Rational(1001, 1000)
    assert not B.is_zero(B.identity_theorem1_coefficients(3, bad))
    assert not B.is_zero(B.identity_eps_choice(3, bad))
    bad = dict(defs)
    bad[B.S(2)] = 1 + 2 * sp.sqrt(B.K) * B.L_r * B.B_v                     # a wrong constant in S_2
    assert not all(B.is_zero(e) for e in B.identity_S_recursion(3, bad))
    bad = dict(defs)
    bad[B.b_s(3)] = B.B_rp * B.B_l * 2
    assert not all(B.is_zero(e) for e in B.identity_B_s_recursion(3, bad))


def test_symbolic_does_not_import_numeric_or_torch():
    code = ("import sys, symbolic.wu2025.bounds, symbolic.wu2025.constants; "
            "bad = [m for m in sys.modules if m.split('.')[0] in ('numeric', 'torch')]; assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


# --- CLI ----------------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def cli_json(tmp_path_factory):
    out = tmp_path_factory.mktemp("bounds") / "bounds.json"
    assert cli_main(["bounds", "wu2025", *SMALL, "--knots", "20", "--json", str(out)]) == 0
    return json.loads(out.read_text())


def test_cli_contract(cli_json):
    ids = [r["id"] for r in cli_json["bounds"]]
    for want in REQUIRED:
        assert any(i == want or i.startswith(want + "[") or i.startswith(want + ".") for i in ids), want
    assert len(ids) == len(set(ids))
    for r in cli_json["bounds"]:
        assert {"id", "source", "expression", "value", "value_str", "kind", "origin"} <= set(r)
        assert r["kind"] in {"error", "norm", "resource", "constant", "identity"} and r["origin"] in {"paper", "ours"}
        assert isinstance(r["value"], float) or r["value"] == "oo"
    assert cli_json["config"]["K"] == 3 and cli_json["config"]["radius_r"] == "66/25"
    a = cli_json["approximants"]
    assert a["r"]["H"] == 21 and a["u"]["eps"] == "0.0"
    assert 8e-4 < float(a["r"]["eps"]) < 8.4e-4 and float(a["r"]["eps_lower"]) <= float(a["r"]["eps"])
    g = next(r for r in cli_json["bounds"] if r["id"] == "wu2025.theorem1.grad_error")
    assert 0 < g["value"] < 10 and math.isclose(float(g["value_str"]), g["value"], rel_tol=1e-15)
    assert len(g["value_str"].replace("e", " ").split()[0]) > 30                       # high-precision string


BAD = [(["--depth", "1"], "--depth"), (["--width", "0"], "--width"), (["--dim", "0"], "--dim"),
       (["--context", "0"], "--context"), (["--activation", "swish"], "--activation"), (["--loss", "l1"], "--loss"),
       (["--Bv", "nan"], "--Bv"), (["--eta", "inf"], "--eta"), (["--precision", "14"], "--precision"),
       (["--knots", "20", "--eps", "0.1"], "--eps")]


@pytest.mark.parametrize("extra,param", BAD)
def test_cli_bad_input(tmp_path, capsys, extra, param):
    out = tmp_path / "bad.json"
    assert cli_main(["bounds", "wu2025", *extra, "--json", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and param in err[0]
    assert not out.exists()


def test_cli_other_paper(tmp_path, capsys):
    out = tmp_path / "bad.json"
    assert cli_main(["bounds", "ahn2023", "--json", str(out)]) == 2
    assert "PAPER" in capsys.readouterr().err and not out.exists()
