"""Finder-side builder of straight-line certificate programs over matrices (used by the per-paper builders).

``Program`` keeps the certificate's ``data`` (exact rationals: the instance's floats by their binary values) and
its ``program`` lines [name, expression text], one line per matrix entry, so that a reader can follow every
quantity.  ``gradient`` makes the exact gradient of a program line (a loss) checkable: it is
derived by the checker itself from the loss written in the certificate (a function and its partial derivatives,
SymPy's diff), not copied from the claim's numeric code.
"""
from __future__ import annotations

import re

import numpy as np
import sympy as sp

from .common import q, text

NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


class Program:
    def __init__(self):
        self.data: dict = {}
        self.exprs: dict = {}            # line name -> SymPy expression (in insertion order)
        self.functions: dict = {}        # certificate functions (the loss and its derivatives)
        self.taken: set = set()

    # ------------------------------------------------------------------------------------------ data
    def _claim(self, name: str):
        if not NAME.match(name) or name in self.taken:
            raise ValueError(f"name {name!r} is bad or taken")
        self.taken.add(name)

    def scalar(self, name: str, value) -> sp.Symbol:
        self._claim(name)
        self.data[name] = q(value)
        return sp.Symbol(name)

    def integer(self, name: str, value: int) -> sp.Symbol:
        self._claim(name)
        self.data[name] = int(value)
        return sp.Symbol(name)

    def matrix(self, name: str, arr) -> np.ndarray:
        """A data matrix (or vector): entries name_i_j (name_i) as Symbols."""
        self._claim(name)
        a = np.asarray(arr, dtype=object)
        self.data[name] = _nested(a, q)
        out = np.empty(a.shape, dtype=object)
        for idx in np.ndindex(a.shape):
            out[idx] = sp.Symbol(name + "".join(f"_{i}" for i in idx))
        return out

    # ------------------------------------------------------------------------------------------ lines
    def line(self, name: str, expr) -> sp.Expr:
        """A program line name := expr; a symbol or a number is returned as it is (no line)."""
        expr = sp.sympify(expr)
        if expr.is_Symbol or expr.is_Number:
            return expr
        self._claim(name)
        self.exprs[name] = expr
        return sp.Symbol(name)

    def lines(self, label: str, M) -> np.ndarray:
        """Every entry of the array M as a line label_i_j."""
        M = np.asarray(M, dtype=object)
        out = np.empty(M.shape, dtype=object)
        for idx in np.ndindex(M.shape):
            out[idx] = self.line(label + "".join(f"_{i}" for i in idx), M[idx])
        return out

    def program(self, targets=None) -> list:
        """[[name, text]] in order, only the lines the ``targets`` (names or Symbols) depend on when given."""
        names = list(self.exprs)
        if targets is not None:
            keep, todo = set(), [str(t) for t in targets]
            while todo:
                n = todo.pop()
                if n in keep or n not in self.exprs:
                    continue
                keep.add(n)
                todo += [s.name for s in self.exprs[n].free_symbols if s.name in self.exprs]
            names = [n for n in names if n in keep]
        return [[n, text(self.exprs[n])] for n in names]

    # ------------------------------------------------------------------------------------------ gradients
    def inline(self, expr, stop=frozenset()) -> sp.Expr:
        """expr with every line replaced by its expression (down to the data), except the symbols in ``stop``."""
        stop = {x.name if isinstance(x, sp.Symbol) else str(x) for x in stop}
        e = sp.sympify(expr)
        while True:
            subs = {x: self.exprs[x.name] for x in e.free_symbols if x.name in self.exprs and x.name not in stop}
            if not subs:
                return e
            e = e.xreplace(subs)

    def gradient(self, out: sp.Symbol, wrt, label: str, prefix: str = "d_") -> dict:
        """d out / d w for every w in ``wrt`` (data or line symbols), derived by the CHECKER: a certificate function
        loss_<label>(args) whose body is ``out`` written down to the data with the w's as arguments, its partial
        derivatives {"derivative_of": ..., "wrt": ...} (SymPy's diff in the checker), and one line per w calling the
        derivative at the program's values.  Returns {w: the gradient line's symbol}."""
        wrt = list(wrt)
        args = [f"arg_{w.name}" for w in wrt]
        body = self.inline(out, stop=wrt).xreplace({w: sp.Symbol(a) for w, a in zip(wrt, args)})
        fname = f"loss_{label}"
        self.functions[fname] = {"args": args, "body": text(body)}
        res = {}
        for w, a in zip(wrt, args):
            dname = f"dloss_{label}_{w.name}"
            self.functions[dname] = {"derivative_of": fname, "wrt": a}
            res[w] = self.line(prefix + w.name, sp.Function(dname)(*wrt))
        return res


def _nested(a, f):
    if not isinstance(a, np.ndarray):
        return f(a)
    if a.ndim == 0:
        return f(a.item())
    return [_nested(x, f) for x in a]


def grad_array(grads: dict, M: np.ndarray) -> np.ndarray:
    """The gradient entries of the array of symbols M."""
    out = np.empty(M.shape, dtype=object)
    for idx in np.ndindex(M.shape):
        out[idx] = grads[M[idx]]
    return out


def maxabs(M) -> sp.Expr:
    xs = [sp.Abs(x) for x in np.asarray(M, dtype=object).reshape(-1)]
    return xs[0] if len(xs) == 1 else sp.Max(*xs, evaluate=False)


def softmax_rows(prog: Program, S: np.ndarray, label: str = "") -> np.ndarray:
    """Row softmax of the line matrix S: E = exp(S) (lines E_i_j), D_i = sum_j E_i_j, F = E / D (lines F_i_j)."""
    E = prog.lines(f"E{label}", np.vectorize(lambda x: sp.exp(x), otypes=[object])(S))
    D = prog.lines(f"D{label}", np.array([sp.Add(*row) for row in E], dtype=object))
    return prog.lines(f"F{label}", E / D[:, None])


__all__ = ["Program", "grad_array", "maxabs", "softmax_rows"]
