"""Shape lint of the paper's displayed products and declared shapes (spec K-14).

Each entry is a display with its location; shapes are functions of the sizes (L, d, r, k1, k2).  A
``Product`` conforms when consecutive inner dimensions agree; a ``Declared`` entry compares the shape the
expression has with the shape the paper declares for it (or with the object it is subtracted from).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

Shape = Callable[[dict], tuple]


@dataclass(frozen=True)
class Product:
    where: str
    expr: str
    factors: tuple  # ((name, shape_fn), ...)

    def check(self, z: dict) -> tuple[bool, str]:
        shapes = [(nm, tuple(f(z))) for nm, f in self.factors]
        for (na, a), (nb, b) in zip(shapes, shapes[1:]):
            if a[1] != b[0]:
                return False, f"{na} {a} x {nb} {b}"
        return True, " x ".join(f"{nm}{s}" for nm, s in shapes)


@dataclass(frozen=True)
class Declared:
    where: str
    expr: str
    actual: Shape
    declared: Shape

    def check(self, z: dict) -> tuple[bool, str]:
        a, b = tuple(self.actual(z)), tuple(self.declared(z))
        return a == b, f"is {a}, declared {b}"


def _s(*dims):
    return lambda z: tuple(z[x] if isinstance(x, str) else x(z) if callable(x) else x for x in dims)


DISPLAYS = (
    Product("Lemma 2.1 (p. 4)", "(A (x) B) vec X", (("A(x)B", _s(lambda z: z["L"] * z["L"], lambda z: z["d"] ** 2)),
                                                    ("vecX", _s(lambda z: z["d"] ** 2, 1)))),
    Product("(3.5) Lemma 3.1 (p. 7)", "C_j^T (diag f_j - f_j f_j^T) C3[:, i]",
            (("C_j^T", _s(lambda z: z["d"] ** 2, "L")), ("J_f", _s("L", "L")), ("C3[:,i]", _s("L", 1)))),
    Declared("Lemma 3.2 (p. 7)", "p(W)_j := (diag f_j - f_j f_j^T) q(W) in R^L", _s("L", "L"), _s("L", 1)),
    Product("(3.6) Lemma 3.2 (p. 7), dL/dA_Q", "B_Q^T C1^T p(W) C2",
            (("B_Q^T", _s("r", "d")), ("C1^T", _s("d", "L")), ("p", _s("L", "L")), ("C2", _s("L", "d")))),
    Product("(3.6) Lemma 3.2 (p. 7), dL/dB_Q", "C1^T p(W) A_Q C2",
            (("C1^T", _s("d", "L")), ("p", _s("L", "L")), ("A_Q", _s("r", "d")), ("C2", _s("L", "d")))),
    Product("C.2 proof of Lemma 3.2 (p. 23)", "C1 (x) (A_Q C2)", (("A_Q", _s("r", "d")), ("C2", _s("L", "d")))),
    Declared("Problem 1 (p. 2) / Problem 2 (p. 6)", "G~(A) in R^{d x r} vs dL/dA in R^{r x d}", _s("d", "r"), _s("r", "d")),
    Declared("Theorem 3.1 (p. 9)", "G~(B)_Q in R^{r x d} vs dL/dB_Q in R^{d x r}", _s("r", "d"), _s("d", "r")),
    Declared("C.5 (p. 25)", "A (/) B := [A[:,1] (x) B[:,1] | ... | A[:,k1] (x) B[:,k1]] in R^{L x k1 k2}",
             lambda z: (z["L"] ** 2, z["k1"]) if z["k1"] == z["k2"] else ("undefined: k1 != k2",),
             _s("L", lambda z: z["k1"] * z["k2"])),
    Product("(C.1) (p. 26)", "U1[j,:] V1^T V2 U2[j,:]^T",
            (("U1[j,:]", _s(1, "k1")), ("V1^T", _s("k1", "L")), ("V2", _s("L", "k2")), ("U2[j,:]^T", _s("k2", 1)))),
    Product("C.4 (p. 24)", "C3 (U1 V1^T C3 - Y)^T", (("C3", _s("L", "d")), ("(.)^T", _s("d", "L")))),
    Product("C.6 (p. 26)", "V4 = diag(r~) V1", (("diag(r~)", _s("L", "L")), ("V1", _s("L", "k1")))),
    Product("Lemma D.3 (p. 31)", "T(d^2, d^2) J_{B_K}",
            (("T(d^2,d^2)", _s(lambda z: z["d"] ** 4, lambda z: z["d"] ** 4)),
             ("J_B", _s(lambda z: z["d"] ** 2, lambda z: z["r"] * z["d"])))),
    Product("Lemma D.4 (p. 32), dL/dA_K", "T(d^2, d^2)^T vec(B_K^T C_K1^T p_K C_K2)",
            (("T^T", _s(lambda z: z["d"] ** 4, lambda z: z["d"] ** 4)), ("vec", _s(lambda z: z["r"] * z["d"], 1)))),
    Product("Lemma D.4 (p. 32), dL/dB_Q", "C_Q1^T p_Q A_Q C_Q2",
            (("C_Q1^T", _s("d", "L")), ("p_Q", _s("L", "L")), ("A_Q", _s("r", "d")), ("C_Q2", _s("L", "d")))),
    Product("Lemma D.4 (p. 32), dL/dB_K", "C_K1^T p_K A_K C_K2",
            (("C_K1^T", _s("d", "L")), ("p_K", _s("L", "L")), ("A_K", _s("r", "d")), ("C_K2", _s("L", "d")))),
    Declared("Problem 3 / Theorem A.1 (p. 18)", "G~(A)_mu in R^{d x r} vs dL/dA_mu in R^{r x d}", _s("d", "r"), _s("r", "d")),
    Declared("Definition E.1 (p. 37)", "g~ in R^{L x L} vs dL/dX in R^{r x r}", _s("L", "L"), _s("r", "r")),
    Product("App. F Step 5 (p. 39)", "(C1)^T p(W) A_Q C2",
            (("C1^T", _s("d", "L")), ("p", _s("L", "L")), ("A_Q", _s("r", "d")), ("C2", _s("L", "d")))),
)


def lint(sizes: dict) -> list[dict]:
    """Every display checked at ``sizes`` (keys L, d, r, k1, k2): where, expr, conforms, detail."""
    out = []
    for disp in DISPLAYS:
        ok, detail = disp.check(sizes)
        out.append({"where": disp.where, "expr": disp.expr, "conforms": ok, "detail": detail})
    return out
