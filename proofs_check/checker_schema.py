"""The independent checker's second module: ``schema`` certificates, a chain symbolic in every parameter (see
``check_schema``).  Like ``checker`` it imports the standard library and SymPy only, and of the project only
``checker`` itself (the parser, the rejection, the identity test).
"""
from __future__ import annotations

import sympy

from proofs_check.checker import NAME, RESERVED, Parser, is_zero, need

SCHEMA_ASSUMPTIONS = ("positive", "nonnegative", "atleast1")


def schema_cases(syms: dict, orders) -> list:
    """The substitutions of a schema's case split: every symbol by a SymPy symbol with its assumption (``atleast1``:
    1 + x_, x_ >= 0) and, for each declared pair (a, b) of ``atleast1`` symbols, both orders a = b + s and b = a + s
    (s >= 0): together the cases cover every value of the symbols."""
    need(isinstance(orders, list) and all(isinstance(o, list) and len(o) == 2 and all(syms.get(x) == "atleast1"
                                                                                       for x in o) for o in orders),
         "orders are pairs of 'atleast1' symbols")
    paired = [x for o in orders for x in o]
    need(len(paired) == len(set(paired)), "a symbol is in two orders")
    base_sub = {}
    for k, a in syms.items():
        if a == "atleast1":
            base_sub[sympy.Symbol(k)] = 1 + sympy.Dummy(k, nonnegative=True)
        else:
            base_sub[sympy.Symbol(k)] = sympy.Symbol(k, **{a: True})
    cases = [base_sub]
    for a, b in orders:
        A, Bs, nxt = sympy.Symbol(a), sympy.Symbol(b), []
        for c in cases:
            s = sympy.Dummy(f"{a}_{b}", nonnegative=True)
            nxt.append({**c, A: c[Bs] + s})                 # a >= b
            nxt.append({**c, Bs: c[A] + s})                 # b >= a
        cases = nxt
    return cases


def schema_nonneg(e) -> bool:
    """e >= 0 for every value of its (assumption-typed) symbols: 0, or nonnegative by SymPy's assumptions as built
    or expanded (a polynomial whose terms are all products of nonnegative symbols with positive coefficients)."""
    if e == 0 or e.is_nonnegative is True:
        return True
    x = sympy.expand(e)
    return x == 0 or x.is_nonnegative is True


class Schema:
    """One part of a ``schema`` certificate: symbolic program lines over typed symbols, in every case of the split.
    A line whose value keeps a Max or Min (its arguments not ordered by the case) is an atom, a nonnegative
    symbol standing for that value; every other line is replaced by its value."""

    def __init__(self, syms: dict, orders, program):
        self.cases = schema_cases(syms, orders)
        self.syms, self.lines = set(syms), []
        need(isinstance(program, list), "program must be a list of [name, expression]")
        for line in program:
            need(isinstance(line, list) and len(line) == 2 and isinstance(line[0], str) and NAME.match(line[0])
                 and line[0] not in RESERVED and line[0] not in self.syms and line[0] not in dict(self.lines),
                 f"bad program line {str(line)[:60]}")
            self.lines.append((line[0], self.parse(line[1])))
        self.subs = [self._lines(c) for c in self.cases]

    def parse(self, text, extra=()):
        return Parser(self.syms | {n for n, _ in self.lines} | set(extra)).parse(text)

    def _lines(self, case: dict):
        sub, atoms = dict(case), {}
        for name, e in self.lines:
            v = e.xreplace(sub)
            v = v.doit() if hasattr(v, "doit") else v
            if v.has(sympy.Max, sympy.Min):
                need(schema_nonneg(v), f"line {name}: not nonnegative")
                atom = sympy.Dummy(name, nonnegative=True)     # a top-level Max is >= each argument as written
                args = [a.xreplace(sub) for a in e.args] if e.func == sympy.Max else []
                atoms[name], sub[sympy.Symbol(name)] = (atom, args), atom
            else:
                sub[sympy.Symbol(name)] = v
        return sub, atoms

    def nonneg(self, e, extra=()) -> bool:
        """e >= 0 in every case, the ``extra`` names (quantities) nonnegative symbols."""
        q = {sympy.Symbol(x): sympy.Dummy(x, nonnegative=True) for x in extra}
        return all(schema_nonneg(e.xreplace(q).xreplace(sub)) for sub, _ in self.subs)

    def leq(self, lhs, rhs, hints: dict) -> bool:
        """lhs <= rhs in every case; ``hints`` {line: branch}: in the cases where the line is a Max atom, rhs is
        lowered by replacing it with the branch (one of its arguments; rhs nondecreasing in it)."""
        need(isinstance(hints, dict) and all(h in dict(self.lines) for h in hints), "hints name program lines")
        for sub, atoms in self.subs:
            R = rhs.xreplace(sub)
            for name, branch in hints.items():
                if name not in atoms:
                    continue
                atom, args = atoms[name]
                b = self.parse(branch).xreplace(sub)
                need(b in args or any(sympy.expand(a - b) == 0 for a in args), f"{branch[:60]} is not an argument of the "
                                                                      f"Max {name}")
                need(schema_nonneg(b) and schema_nonneg(sympy.diff(R, atom)),
                     f"the bound is not nondecreasing in {name} (or its branch is negative)")
                R = R.xreplace({atom: b})
            if not schema_nonneg(R - lhs.xreplace(sub)):
                return False
        return True


def check_schema(cert: dict, cx) -> str:
    """A proof by composition symbolic in every parameter (the claim's whole domain): ``symbols`` {name:
    positive | nonnegative | atleast1}, ``orders`` (pairs of atleast1 symbols split into both orders), ``axioms``
    (listed, not checked) and ``parts``, each with a ``program`` of named expressions (the claim's formulas),
    ``quantities`` [{name, means, bound, axiom}] as in a chain (the bound nondecreasing in the earlier quantities,
    in every case; or, with ``covers`` [q...] and ``via`` [{line: branch}...], a bound free of quantities that
    dominates each covered quantity's composed bound; ``requires``: conclusions the step's axiom is conditional on,
    e.g. a pre-activation inside the interval a sup is taken over, checked before the step) and ``conclusions`` [quantity, '<=', expr, {line: branch}]:
    the composed bound minus expr is nonnegative in every case (``Schema.leq``)."""
    axioms, syms = cert.get("axioms"), cert.get("symbols")
    need(isinstance(axioms, dict) and axioms, "a schema lists its axioms {name: statement}")
    need(isinstance(syms, dict) and syms and all(NAME.match(k) and k not in RESERVED and a in SCHEMA_ASSUMPTIONS
                                                  for k, a in syms.items()),
         f"symbols {{name: assumption}}, assumptions {SCHEMA_ASSUMPTIONS}")
    need(not cert.get("data"), "a schema has no data: every parameter is a symbol")
    parts = cert.get("parts")
    need(isinstance(parts, list) and parts, "a schema needs parts")
    steps = 0
    for part in parts:
        need(isinstance(part, dict), "a part is an object")
        sc = Schema(syms, cert.get("orders") or [], part.get("program") or [])
        bounds: dict = {}
        for q in part.get("quantities") or []:
            need(isinstance(q, dict) and {"name", "means", "bound", "axiom"} <= set(q),
                 "a quantity needs name, means, bound, axiom")
            name = q["name"]
            need(isinstance(name, str) and NAME.match(name) and name not in bounds and name not in sc.syms and
                 name not in dict(sc.lines) and name not in RESERVED, f"bad quantity name {name!r}")
            cited = q["axiom"] if isinstance(q["axiom"], list) else [q["axiom"]]
            need(cited and all(a in axioms for a in cited), f"{name}: cites an unknown axiom {q['axiom']!r}")
            for r in q.get("requires") or []:           # a premise of this step, proven from the earlier ones
                need(isinstance(r, list) and len(r) in (3, 4) and r[0] in bounds and r[1] == "<=",
                     f"{name}: a requirement is [earlier quantity, '<=', expression, hints]")
                need(sc.leq(bounds[r[0]], sc.parse(r[2]), r[3] if len(r) == 4 else {}),
                     f"{name}: its requirement {r[0]} <= {r[2][:60]} does not follow")
            e = sc.parse(q["bound"], extra=bounds)
            if "covers" in q:
                covers, via = q["covers"], q.get("via") or [{}] * len(q["covers"])
                need(isinstance(covers, list) and covers and all(c in bounds for c in covers) and
                     isinstance(via, list) and len(via) == len(covers), f"{name}: covers earlier quantities")
                need(not (e.free_symbols & {sympy.Symbol(b) for b in bounds}), f"{name}: a cover's bound is free of "
                                                                                 "quantities")
                for c, h in zip(covers, via):
                    need(sc.leq(bounds[c], e, h), f"{name}: does not dominate {c}")
            else:
                used = [b for b in bounds if sympy.Symbol(b) in e.free_symbols]
                need(all(sc.nonneg(sympy.diff(e, sympy.Symbol(b)), bounds) for b in used),
                     f"{name}: the bound is not nondecreasing in the quantities it uses")
                e = e.xreplace({sympy.Symbol(k): v for k, v in bounds.items()})
            bounds[name] = e
            steps += 1
        concl = part.get("conclusions") or []
        need(concl, "a part needs conclusions")
        for c in concl:
            need(isinstance(c, list) and len(c) in (3, 4) and c[0] in bounds and c[1] == "<=",
                 "a conclusion is [quantity, '<=', expression, hints]")
            need(sc.leq(bounds[c[0]], sc.parse(c[2]), c[3] if len(c) == 4 else {}),
                 f"{part.get('label', '')}: conclusion {c[0]} <= {c[2][:80]} does not follow")
    return f"schema: {len(parts)} parts, {steps} steps, {len(axioms)} axioms, every conclusion holds for every " \
           f"value of {len(syms)} symbols"


__all__ = ["check_schema", "Schema"]
