"""The hypotheses of Hu et al.'s statements as checkable predicates on an instance (every instance a method
produces is checked against its claim's hypotheses by the engine before it is judged)."""
from __future__ import annotations

import mpmath
import numpy as np

from numeric.hu2025lora import instances as INS
from numeric.hu2025lora import poly as PL
from symbolic.hu2025lora import bounds as BD

from ...claims import Hypothesis

_PARTIAL = {"C1": "Ld", "C2": "Ld", "C3": "Ld", "Y": "Ld", "Wbar": "dd", "B": "dr", "A": "rd"}
_RAW = {**{k: "Ld" for k in ("XQ", "XK", "XV", "Y")}, **{f"W{m}s": "dd" for m in "QKV"},
        **{f"B{m}": "dr" for m in "QKV"}, **{f"A{m}": "rd" for m in "QKV"}}


def _shapes_ok(inst):
    a = INS.arrays(inst)
    dims = {"L": inst["L"], "d": inst["d"], "r": inst["r"]}
    want = _PARTIAL if inst.get("kind") == "partial" else _RAW
    bad = [k for k, s in want.items()
           if a[k].shape != (dims[s[0]], dims[s[1]]) or not np.all(np.isfinite(a[k]))]
    return not bad, f"L={dims['L']}, d={dims['d']}, r={dims['r']}" + (f"; bad arrays {bad}" if bad else "")


H_SHAPES = Hypothesis("shapes", "arrays have the shapes of (3.3)/(A.2) for (L, d, r) and are finite", _shapes_ok)
H_RANK = Hypothesis("r < d", "Def. 1.1: 1 <= r < min(a, b) = d",
                    lambda i: (1 <= i["r"] < i["d"], f"r={i['r']}, d={i['d']}"))
H_BETA1 = Hypothesis("beta = 1", "(S4): beta = 1",
                     lambda i: (float(i.get("beta", 1)) == 1.0, f"beta={i.get('beta', 1)}"))
H_S1 = Hypothesis("alpha/r = 1", "App. A: beta = alpha/r = 1",
                  lambda i: (float(i.get("s", 1)) == 1.0, f"alpha/r={i.get('s', 1)}"))
H_BETA_POS = Hypothesis("beta > 0", "inverse temperature beta > 0 (Defs. 1.2, 2.5)",
                        lambda i: (float(i.get("beta", 1)) > 0, f"beta={i.get('beta', 1)}"))
RAW_HYPS = (H_SHAPES, H_RANK, H_BETA1, H_S1)


def _gamma_hyp(inst):
    a = INS.arrays(inst)
    G = float(inst["Gamma"])
    n1 = float(np.abs(a["C1"] @ (a["Wbar"] + a["B"] @ a["A"])).max())
    n2 = float(np.abs(a["C2"]).max())
    return n1 <= G * (1 + 1e-9) and n2 <= G * (1 + 1e-9), f"||C1 W||_max={n1:.6g}, ||C2||_max={n2:.6g}, Gamma={G:.6g}"


H_GAMMA = Hypothesis("norm bounds", "Thm 3.1 / L3.3: ||C1 W||_max <= Gamma and ||C2||_max <= Gamma", _gamma_hyp)


def delta_ok(inst):
    """(holds, detail): the polynomial's relative error on [-R, R] is below 1/2 (so eta = 2 delta/(1 - delta) is
    finite)."""
    a = INS.arrays(inst)
    if "C1" in a:
        Qs = float(inst.get("beta", 1)) * (a["C1"] @ (a["Wbar"] + a["B"] @ a["A"]))
        Ks = a["C2"]
    else:
        W = {m: a[f"W{m}s"] + float(inst.get("s", 1)) * a["B" + m] @ a["A" + m] for m in "QK"}
        Qs, Ks = a["XQ"] @ W["Q"], a["XK"] @ W["K"]
    R = PL.score_range(Qs, Ks)
    dl = BD.delta_bound(inst["method"], R, int(inst["g"]), 30)
    return dl < 0.5, f"R={R:.6g}, g={inst['g']}, {inst['method']}: delta={mpmath.nstr(dl, 4)} (< 1/2 needed)"


H_DELTA = Hypothesis("delta < 1/2",
                     "polynomial relative error below 1/2 on [-R, R] (eta = 2 delta/(1-delta) finite)", delta_ok)
CHAIN_HYPS = (H_SHAPES, H_RANK, H_DELTA, H_GAMMA)

H_W_MATRIX = Hypothesis("W is m x n", "Lemma D.2: W in R^{m x n}", lambda i: (
    np.asarray(i["W"], dtype=float).shape == (i["m"], i["n"]), f"m={i['m']}, n={i['n']}"))


def _aattlgc(i):
    A1, X, A2 = (np.asarray(i[k], dtype=float) for k in ("A1", "X", "A2"))
    ok = (float(np.abs(A1 @ X).max()) <= i["B"] * (1 + 1e-12) and float(np.abs(A2).max()) <= i["B"]
          and i["d"] > i["r"])
    return ok, f"B={i['B']}, r={i['r']}, d={i['d']}"


H_AATTLGC = Hypothesis("AAttLGC hypotheses", "Def. E.1: ||A1 X||_max <= B, ||A2||_max <= B, d > r", _aattlgc)


def positive_ints(*keys):
    """A hypothesis: the named sizes are integers >= 1."""
    def check(i):
        vals = {k: i[k] for k in keys}
        return all(isinstance(v, int) and v >= 1 for v in vals.values()), ", ".join(f"{k}={v}" for k, v in vals.items())
    return Hypothesis("sizes", f"{', '.join(keys)} integers >= 1", check)
