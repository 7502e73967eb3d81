"""The independent checker (proofs_check/checker.py): genuine certificates of every kind are accepted, forged ones
are rejected for the right reason, and the checker imports nothing of the project."""
import ast
import copy
import json
from pathlib import Path

import pytest

from proofs_check import checker
from proofs_check.checker import FORMAT, check_certificate, check_dir

CHECKER = Path(checker.__file__)
ALLOWED = {"__future__", "ast", "json", "math", "re", "time", "dataclasses", "fractions", "pathlib", "sympy", "flint"}


SECOND = CHECKER.with_name("checker_schema.py")      # the checker's second module (schema certificates)
OWN = {"proofs_check.checker", "proofs_check.checker_schema"}


@pytest.mark.parametrize("path", [CHECKER, SECOND], ids=["checker", "checker_schema"])
def test_checker_imports_only_the_standard_library_fractions_flint_and_sympy(path):
    tree = ast.parse(path.read_text())
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, "no relative import of the project"
            if node.module not in OWN:                # its two modules import each other, nothing else of ours
                roots.add(node.module.split(".")[0])
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            assert node.func.id not in ("eval", "exec", "compile", "__import__"), "the checker never evaluates text"
    assert roots <= ALLOWED, roots - ALLOWED
    assert not roots & {"proofs_check", "symbolic", "numeric", "torch", "mpmath", "numpy"}
    assert len(path.read_text().splitlines()) < 1000
    assert len(CHECKER.read_text().splitlines()) + len(SECOND.read_text().splitlines()) < 1200


def _violation():
    return {"format": FORMAT, "kind": "violation", "claim": "toy.norm", "precision_bits": 256,
            "data": {"x": ["1", "-1", "9/10"], "B": "3/2"},
            "hypotheses": [["box", "x in [-1, 1]^3", "Max(Abs(x_0), Abs(x_1), Abs(x_2))", "<=", "1"]],
            "program": [["norm2", "x_0**2 + x_1**2 + x_2**2"], ["norm", "sqrt(norm2)"]],
            "observed": "norm", "bound": "B",
            "claimed": {"observed": {"mid": "1.676305461424021012844569555651607275860068499", "rad": "1e-40"},
                        "bound": {"mid": "3/2", "rad": "0"}}}


def test_a_genuine_violation_is_accepted():
    r = check_certificate(_violation())
    assert r.ok, r.reason
    assert r.kind == "violation" and r.claim == "toy.norm"


@pytest.mark.parametrize("forge, reason", [
    (lambda c: c["data"]["x"].__setitem__(2, "8/10"), "not in the claimed ball"),             # a changed digit
    (lambda c: c["claimed"]["observed"].__setitem__("mid", "1.676305461424021012844569555651617275860068499"),
     "not in the claimed ball"),                                                              # claimed digit
    (lambda c: c["claimed"]["observed"].__setitem__("rad", "1e-10"), "not tight"),           # a widened ball
    (lambda c: c["data"]["x"].__setitem__(0, "11/10"), "hypothesis 'box'"),                  # outside hypotheses
    (lambda c: c["program"][1].__setitem__(1, "hypot(norm2)"), "unknown function 'hypot'"),  # unknown function
    (lambda c: c["program"][1].__setitem__(1, "norm2**0.5"), "only integers"),               # a float literal
    (lambda c: c["program"][1].__setitem__(1, "__import__(1)"), "unknown function '__import__'"),
    (lambda c: c["program"][1].__setitem__(1, "__import__('os')"), "only integers"),
    (lambda c: c["program"][1].__setitem__(1, "norm2.real"), "unsupported syntax"),
    (lambda c: c["program"][1].__setitem__(1, "norm2.__class__"), "unsupported syntax"),
    (lambda c: c["data"].__setitem__("B", 1.5), "floats are not exact"),
    (lambda c: (c.__setitem__("bound", "2"), c["claimed"].__setitem__("bound", {"mid": "2", "rad": "0"})),
     "does not exceed the bound"),
    (lambda c: c.__setitem__("precision_bits", 20), "precision_bits"),
    (lambda c: c.__setitem__("format", "other/1"), "format"),
])
def test_forged_violations_are_rejected(forge, reason):
    c = _violation()
    forge(c)
    r = check_certificate(c)
    assert not r.ok and reason in r.reason, r.reason


def test_srepr_text_is_read_too():
    c = _violation()
    c["program"][0][1] = "Add(Pow(Symbol('x_0'), Integer(2)), Pow(Symbol('x_1'), Integer(2)), Mul(x_2, x_2))"
    assert check_certificate(c).ok
    c["program"][0][1] = "Add(Float('0.5'), x_0)"
    assert not check_certificate(c).ok


def test_a_bound_that_decreases_in_an_upper_bounded_constant_is_rejected():
    """Replacing a constant by an upper bound is sound only where the bound is nondecreasing in it."""
    c = _violation()
    c["constants"] = [{"name": "m", "function": "t**2", "var": "t", "radius": "1", "value": "11/10",
                       "cover": {"order": 0, "half_width": "1", "boxes": [[["-1", "0"], "11/10"], [["0", "1"], "11/10"]]}}]
    c["bound"] = "2 - m"
    c["claimed"]["bound"] = {"mid": "9/10", "rad": "0"}
    r = check_certificate(c)
    assert not r.ok and "not nondecreasing" in r.reason
    c["bound"] = "m + 1/2"
    c["claimed"]["bound"] = {"mid": "8/5", "rad": "0"}
    assert check_certificate(c).ok


def _enclosure():
    boxes = [[["-2", "-1"], "1"], [["-1", "0"], "1"], [["0", "1"], "1"], [["1", "2"], "1"]]
    return {"format": FORMAT, "kind": "enclosure", "claim": "toy.tanh", "precision_bits": 128,
            "domain": {"t": ["-2", "2"]}, "function": "tanh(t)", "relation": "abs<=", "bound": "1", "order": 0,
            "boxes": boxes}


def test_enclosures_accepted_and_forged_covers_rejected():
    assert check_certificate(_enclosure()).ok
    for forge, reason in [
        (lambda c: c["boxes"].pop(1), "gap or overlap"),                                   # a box missing
        (lambda c: c["boxes"].pop(), "do not reach the domain's ends"),
        (lambda c: c["boxes"].append([["1", "2"], "1"]), "gap or overlap"),                # an overlap
        (lambda c: c["boxes"].__setitem__(3, [["1", "3"], "1"]), "not inside the domain"),
        (lambda c: c["boxes"].__setitem__(0, [["-2", "-1"], "3/4"]), "exceeds the claimed"),  # a claimed value too low
        (lambda c: c.__setitem__("bound", "9/10"), "above the bound"),
        (lambda c: c.__setitem__("function", "tanh(t) + exp(t)/100"), "exceeds the claimed"),
    ]:
        c = _enclosure()
        forge(c)
        r = check_certificate(c)
        assert not r.ok and reason in r.reason, (reason, r.reason)


def test_an_enclosure_in_two_variables_checks_the_cover_by_volume():
    c = {"format": FORMAT, "kind": "enclosure", "claim": "toy.2d", "precision_bits": 128,
         "domain": {"a": ["0", "1"], "b": ["0", "1"]}, "function": "a*b", "relation": "<=", "bound": "3/2",
         "order": 1, "boxes": [[["0", "1/2"], ["0", "1"], "3/2"], [["1/2", "1"], ["0", "1/2"], "3/2"],
                               [["1/2", "1"], ["1/2", "1"], "3/2"]]}
    assert check_certificate(c).ok
    c["boxes"].pop()
    assert "volume" in check_certificate(c).reason


def test_identities_accepted_and_a_wrong_identity_rejected():
    c = {"format": FORMAT, "kind": "identity", "claim": "toy.id", "precision_bits": 64,
         "symbols": {"a": "real", "b": "real"}, "expression": "(a + b)**2 - (a**2 + 2*a*b + b**2)"}
    assert check_certificate(c).ok
    c["expression"] = "(a + b)**2 - (a**2 + b**2)"
    r = check_certificate(c)
    assert not r.ok and "does not simplify to 0" in r.reason
    relu = {"format": FORMAT, "kind": "identity", "claim": "toy.relu", "precision_bits": 64,
            "symbols": {"t": "real", "y": "real"}, "data": {"c": 4},
            "functions": {"g": {"args": ["t", "y"], "body": "c*Max(0, (t - y)/2) - c*Max(0, (y - t)/2)"}},
            "expression": "g(t, y) - 2*(t - y)"}
    assert check_certificate(relu).ok


def _chain():
    return {"format": FORMAT, "kind": "chain", "claim": "toy.chain", "precision_bits": 128,
            "data": {"a": "1/2"},
            "functions": {"f": {"args": ["t"], "body": "1/(1 + exp(-t))"}, "df": {"derivative_of": "f", "order": 1}},
            "axioms": {"A": "a stated lemma"},
            "constants": [{"name": "L", "function": "df(t)", "var": "t", "radius": "2", "value": "26/100",
                           "cover": {"order": 2, "half_width": "2",
                                     "boxes": [[[f"{k}/8", f"{k + 1}/8"], "26/100"] for k in range(-16, 16)]}}],
            "program": [["target", "a + 1"]],
            "conditions": [["small", "L a <= 1", "L*a", "<=", "1"]],
            "quantities": [{"name": "e1", "means": "a quantity", "bound": "L", "axiom": "A", "needs": ["small"]},
                           {"name": "e2", "means": "the next", "bound": "a*e1 + L", "axiom": ["A"]}],
            "conclusions": [["e2", "<=", "target"]]}


def test_a_chain_is_accepted_and_its_forgeries_rejected():
    r = check_certificate(_chain())
    assert r.ok, r.reason
    assert r.axioms == ["A: a stated lemma"]
    for forge, reason in [
        (lambda c: c["conclusions"].__setitem__(0, ["e2", "<=", "3/10"]), "is not below"),
        (lambda c: c["quantities"][1].__setitem__("bound", "L - e1"), "not nondecreasing"),
        (lambda c: c["quantities"][0].__setitem__("axiom", "B"), "unknown axiom"),
        (lambda c: c["quantities"][0].__setitem__("needs", ["large"]), "unknown condition"),
        (lambda c: c["conditions"].__setitem__(0, ["big", "", "L", ">=", "0"]), "the wrong way"),
        (lambda c: c["constants"][0].__setitem__("value", "24/100"), "above the bound"),
        (lambda c: c["constants"][0]["cover"]["boxes"].pop(2), "gap or overlap"),
        (lambda c: c["constants"][0].__setitem__("radius", "3"), "misses the radius"),
    ]:
        c = _chain()
        forge(c)
        r = check_certificate(c)
        assert not r.ok and reason in r.reason, (reason, r.reason)


def test_a_two_sided_constant_is_an_enclosure_and_its_point_is_checked():
    """With ``attained`` a sup-defined constant is the ball [|f(t0)|, value]: a condition not monotone in it (1/L)
    is decided on that ball; one-sided, the same condition is refused; the point must lie certainly inside the
    radius, and a radius with a one-sided constant in it has no certain lower end."""
    c = _chain()
    c["conditions"].append(["inverse", "1/L <= 5", "1/L", "<=", "5"])
    r = check_certificate(c)
    assert not r.ok and "the wrong way" in r.reason           # one-sided: 1/L is not nondecreasing in L
    c["constants"][0]["attained"] = "0"                       # sigmoid' (0) = 1/4 <= L <= 26/100
    r = check_certificate(c)
    assert r.ok, r.reason
    c["conditions"][-1] = ["inverse", "1/L <= 3.9", "1/L", "<=", "39/10"]
    r = check_certificate(c)                                  # 1/L in [3.846, 4]: not certainly <= 3.9
    assert not r.ok and "does not hold" in r.reason
    c = _chain()
    c["constants"][0]["attained"] = "3"
    r = check_certificate(c)
    assert not r.ok and "not certainly inside" in r.reason
    c = _chain()
    c["constants"].append({"name": "M", "function": "f(t)", "var": "t", "radius": "8*L", "value": "99/100",
                           "attained": "2", "cover": {"order": 2, "half_width": "4", "boxes": [
                               [[f"{k}/4", f"{k + 1}/4"], "99/100"] for k in range(-16, 16)]}})
    r = check_certificate(c)
    assert not r.ok and "not certainly inside" in r.reason   # 8 L is an upper bound only: t0 = 2 may lie outside


def test_a_constant_proven_by_an_identity():
    c = _chain()
    c["functions"]["g"] = {"args": ["t", "y"], "body": "4*Max(0, (t - y)/2) - 4*Max(0, (y - t)/2) - 2*(t - y)"}
    c["constants"].append({"name": "z", "function": "g(t, y)", "vars": ["t", "y"], "identity": True, "value": "0"})
    c["quantities"][1]["bound"] = "a*e1 + L + z"
    assert check_certificate(c).ok
    c["functions"]["g"]["body"] = "4*Max(0, (t - y)/2) - 4*Max(0, (y - t)/2) - 3*(t - y)"
    assert "not identically 0" in check_certificate(c).reason


def test_order_two_enclosure_of_a_kinked_function_resolves_the_kinks_per_box():
    """r - rbar with rbar a sum of relu units: boxes between the kinks are smooth, the Taylor form applies."""
    units = [("0", "1", "1/2"), ("1/2", "0", "1/2")]           # 1/2 + relu(t/2) (1/2): a kink at 0
    body = " + ".join(f"{c}*Max(0, {a}*t + {b})" for a, b, c in units)
    c = {"format": FORMAT, "kind": "enclosure", "claim": "toy.kink", "precision_bits": 128,
         "functions": {"rbar": {"args": ["t"], "body": body}}, "domain": {"t": ["-1", "1"]},
         "function": "rbar(t) - 1/2 - Max(0, t)/4", "relation": "abs<=", "bound": "1/10**12", "order": 2,
         "boxes": [[["-1", "0"], "1/10**12"], [["0", "1"], "1/10**12"]]}
    c["boxes"] = [[["-1", "0"], "1/1000000000000"], [["0", "1"], "1/1000000000000"]]
    c["bound"] = "1/1000000000000"
    assert check_certificate(c).ok
    c["boxes"] = [[["-1", "1"], "1/1000000000000"]]                # a box across the kink: not smooth there
    assert not check_certificate(c).ok


def test_check_dir_reads_every_certificate_and_reports_unreadable_files(tmp_path):
    d = tmp_path / "certificates"
    d.mkdir()
    (d / "a.json").write_text(json.dumps(_violation()))
    (d / "b.json").write_text("{not json")
    bad = copy.deepcopy(_violation())
    bad["claimed"]["observed"]["mid"] = "1.7"
    (d / "c.json").write_text(json.dumps(bad))
    res = check_dir(tmp_path)
    assert [r.ok for r in res] == [True, False, False]
    assert "unreadable" in res[1].reason


def test_bessel_functions_are_enclosed_and_forged_orders_rejected():
    c = {"format": FORMAT, "kind": "violation", "claim": "toy.bessel", "precision_bits": 256, "data": {"x": "1"},
         "program": [["b", "besseli(1, x)"]], "observed": "b", "bound": "1/2",
         "claimed": {"observed": {"mid": "0.565159103992485027207696027609863307328899621621", "rad": "1e-40"},
                     "bound": {"mid": "1/2", "rad": "0"}}}
    assert check_certificate(c).ok
    for body, reason in (("besseli(1/2, x)", "an integer"), ("besseli(x, x)", "an integer"),
                         ("besseli(2, x)", "not in the claimed ball")):
        f = copy.deepcopy(c)
        f["program"][0][1] = body
        r = check_certificate(f)
        assert not r.ok and reason in r.reason, r.reason


def test_partial_derivatives_of_a_function_of_several_arguments():
    """The checker differentiates a certificate's function itself ({"derivative_of", "wrt"})."""
    c = {"format": FORMAT, "kind": "violation", "claim": "toy.grad", "precision_bits": 256,
         "data": {"a": "2", "b": "3"},
         "functions": {"f": {"args": ["u", "v"], "body": "u**2*v + exp(u - v)"},
                       "fu": {"derivative_of": "f", "wrt": "u"}},
         "program": [["g", "fu(a, b)"]], "observed": "g", "bound": "12",     # 2 a b + exp(a - b) = 12.3678...
         "claimed": {"observed": {"mid": "12.3678794411714423215955237701614608674458111310", "rad": "1e-39"},
                     "bound": {"mid": "12", "rad": "0"}}}
    r = check_certificate(c)
    assert r.ok, r.reason
    f = copy.deepcopy(c)
    f["functions"]["fu"]["wrt"] = "w"                                       # not an argument
    assert "names one of them" in check_certificate(f).reason
    f = copy.deepcopy(c)
    del f["functions"]["fu"]["wrt"]                                         # ambiguous for two arguments
    assert "names one of them" in check_certificate(f).reason
    f = copy.deepcopy(c)
    f["functions"]["f"]["body"] = "u**2*v + exp(v - u)"                     # another function: another derivative
    assert "not in the claimed ball" in check_certificate(f).reason


def test_violation_conditions_on_bounded_constants():
    """A condition is decided with the constants at their proven upper bounds, so only lhs <= rhs with lhs
    nondecreasing in them is sound; other directions are rejected."""
    c = _violation()
    boxes = [[["-1", "0"], "11/10"], [["0", "1"], "11/10"]]
    c["constants"] = [{"name": "m", "function": "t**2", "var": "t", "radius": "1", "value": "11/10",
                       "cover": {"order": 0, "half_width": "1", "boxes": boxes}}]
    c["conditions"] = [["small", "3 m <= 4", "3*m", "<=", "4"]]
    assert check_certificate(c).ok
    c["conditions"] = [["small", "3 m <= 3", "3*m", "<=", "3"]]
    assert "condition 'small'" in check_certificate(c).reason
    c["conditions"] = [["large", "m >= 0", "m", ">=", "0"]]
    assert "the wrong way" in check_certificate(c).reason


def test_identity_side_facts_are_positive_by_the_assumptions():
    c = {"format": FORMAT, "kind": "identity", "claim": "toy.pos", "precision_bits": 64,
         "symbols": {"a": "positive", "b": "positive"}, "expression": "(a + b)**2 - (a**2 + 2*a*b + b**2)",
         "positive": ["a*b + b**2/a"]}
    assert check_certificate(c).ok
    c["positive"] = ["a - b"]
    assert "not positive" in check_certificate(c).reason
