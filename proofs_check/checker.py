"""The independent checker of icl-verify certificates (``icl-verify check DIR``).

Written to be read by a referee.  It imports the standard library, ``fractions``, python-flint (Arb balls) and
SymPy, and nothing else of the project.  A certificate is a JSON object; the checker rebuilds every quantity from
the certificate's data and formulas and accepts or rejects it.

Expressions are Python/SymPy text (``sympify``-able, or ``srepr`` constructors) parsed by ``Parser`` with the
``ast`` module, never ``eval``: numbers are integers or p/q (no floating-point literals), names are data, earlier
program lines or declared function arguments, functions are ``exp log sqrt tanh erf Abs Max Min Heaviside sign``,
``besseli(k, x)`` (I_k, k an integer literal) and the certificate's own ``functions``; anything else is rejected.
Values are Arb balls at ``precision_bits`` (``Balls``): a transcendental function is enclosed, never rounded;
Max/Min/Abs and even powers are enclosed from the balls' endpoints.  Comparisons hold only when the balls decide them.

Common fields: ``format`` ("icl-verify-certificate/1"), ``kind``, ``claim``, ``precision_bits`` (64..4096),
``data`` (name -> integer or exact decimal / "p/q" string, or nested lists of them, flattened to name_i_j),
``functions`` (name -> {"args": [...], "body": text} or {"derivative_of": name, "order": k, "wrt": argument}: the
partial derivative, taken by SymPy, of an earlier function; ``wrt`` names the argument when there are several).
Kinds (and ``schema``, a chain symbolic in every parameter: ``checker_schema``):

* ``violation``: ``hypotheses`` [name, text, lhs, rel, rhs] (decided exactly with Fractions when rational, else
  by Arb), ``constants`` (sup-defined, see ``check_constant``: upper bounds, or two-sided balls), a straight-line
  ``program`` [name, expr], ``conditions`` (on program lines and constants, decided with every one-sided constant
  at its upper bound: lhs nondecreasing in them, rhs free of them), ``observed`` and ``bound`` expressions, the
  finder's ``claimed`` balls {"observed"|"bound": {"mid", "rad"}}.  Accepted iff every hypothesis holds, every
  constant is proven, the bound is nondecreasing in the one-sided constants and observed free of them, the
  recomputed balls lie in the claimed ones, these are tight (rad <= 2^-(bits/2) |mid| or <= twice the recomputed
  radius), and observed.lower > bound.upper.
* ``enclosure``: f <= b (``relation`` "<=") or |f| <= b ("abs<=") on a box ``domain`` {var: [lo, hi]}: ``boxes``
  cover the domain exactly (``check_cover``) and on each box an Arb enclosure of f (``order`` 0: natural interval
  extension; 1: mean-value form; 2: 1-D Taylor form maximised exactly) is within the box's claimed value <= b.
* ``identity``: ``expression`` over declared ``symbols`` simplifies to exactly 0 (expand, cancel, simplify, or
  simplify of the Piecewise rewrite), and every expression of ``positive`` is positive by SymPy's assumptions on
  the symbols (e.g. a sum of products of positive symbols); or an ``induction`` (``check_induction``).
* ``chain``: a proof by composition, see ``check_chain``: certified constants, ``axioms`` (named mathematical
  lemmas, listed, not checked), axiom-justified bounds on named nonnegative quantities, side ``conditions``,
  and ``conclusions`` decided after substituting the bounds (monotone, so substitution is sound).
* ``gradient``: a claimed explicit gradient of a network's empirical risk, see ``check_gradient``: the checker
  builds the network and the risk itself and differentiates it (SymPy) in an undefined activation.
"""
from __future__ import annotations

import ast
import json
import math
import re
import time
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import sympy
from flint import arb, ctx, fmpq

FORMAT = "icl-verify-certificate/1"
KINDS = ("violation", "enclosure", "identity", "chain", "gradient", "schema")
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
BUILTIN = ("exp", "log", "sqrt", "tanh", "erf", "Abs", "Max", "Min", "Heaviside", "sign", "DiracDelta", "besseli")
RESERVED = set(BUILTIN) | {"E", "pi", "Integer", "Rational", "Symbol", "Add", "Mul", "Pow", "Float", "oo"}
MAX_BOXES = 200000
MAX_POWER = 1000
MAX_PARAMS = 64


class Reject(Exception):
    """The certificate is rejected; the message says why."""


@dataclass
class CheckResult:
    ok: bool
    kind: str
    claim: str
    reason: str
    path: str = ""
    axioms: list = field(default_factory=list)
    domain: str = ""
    seconds: float = 0.0
    whole_domain: bool = False      # declared by the certificate: it covers the claim's whole domain (reported)

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def need(cond, why: str) -> None:
    if not cond:
        raise Reject(why)


# ------------------------------------------------------------------------------------------- parsing (no eval)

def exact_number(v) -> Fraction:
    """An exact rational from JSON: an integer, or a string Fraction() reads ("3/4", "-0.125", "1e-3")."""
    need(not isinstance(v, (bool, float)), f"number {v!r}: floats are not exact, write a string p/q")
    try:
        return Fraction(v) if isinstance(v, (int, str)) else Fraction("x")
    except (ValueError, ZeroDivisionError):
        raise Reject(f"not an exact number: {v!r}") from None


def flatten(name: str, v, out: dict) -> None:
    """data entry -> scalar names: x = [[a, b]] gives x_0_0 = a, x_0_1 = b."""
    if isinstance(v, list):
        for i, item in enumerate(v):
            flatten(f"{name}_{i}", item, out)
    else:
        need(NAME.match(name) and name not in RESERVED, f"bad data name {name!r}")
        need(name not in out, f"data name {name!r} defined twice")
        out[name] = exact_number(v)


class Parser:
    """Text -> SymPy tree, built with evaluate=False so the tree is what was written."""

    def __init__(self, names, functions=()):
        self.names = set(names)
        self.functions = set(functions)
        self.real = set()

    def parse(self, text) -> sympy.Expr:
        need(isinstance(text, str) and len(text) < 2_000_000, "an expression must be a string")
        try:
            tree = ast.parse(text.strip(), mode="eval")
        except SyntaxError as exc:
            raise Reject(f"cannot parse {text[:60]!r}: {exc.msg}") from None
        return self.node(tree.body)

    def chain(self, n, ops):
        """The operands of a left-nested chain a op b op c ... (iterative: long sums do not recurse deeply)."""
        parts = []
        while isinstance(n, ast.BinOp) and isinstance(n.op, ops):
            parts.append((n.op, n.right))
            n = n.left
        parts.append((None, n))
        return parts[::-1]

    def node(self, n):
        if isinstance(n, ast.BinOp) and isinstance(n.op, (ast.Add, ast.Sub)):
            terms = [self.node(x) if not isinstance(op, ast.Sub) else neg(self.node(x))
                     for op, x in self.chain(n, (ast.Add, ast.Sub))]
            return sympy.Add(*terms, evaluate=False)
        if isinstance(n, ast.BinOp) and isinstance(n.op, (ast.Mult, ast.Div)):
            factors = [self.node(x) if not isinstance(op, ast.Div) else sympy.Pow(self.node(x), -1, evaluate=False)
                       for op, x in self.chain(n, (ast.Mult, ast.Div))]
            if all(f.is_Rational or (f.is_Pow and f.base.is_Integer and f.exp == -1) for f in factors):
                need(all(not (f.is_Pow and f.base == 0) for f in factors), "division by zero")
                return sympy.Mul(*factors)            # a numeric literal p/q: fold it exactly
            return sympy.Mul(*factors, evaluate=False)
        if isinstance(n, ast.BinOp) and isinstance(n.op, ast.Pow):
            return sympy.Pow(self.node(n.left), self.node(n.right), evaluate=False)
        if isinstance(n, ast.UnaryOp) and isinstance(n.op, (ast.USub, ast.UAdd)):
            x = self.node(n.operand)
            return x if isinstance(n.op, ast.UAdd) else neg(x)
        if isinstance(n, ast.Constant):
            need(type(n.value) is int, f"literal {n.value!r}: only integers (write p/q, not decimals)")
            return sympy.Integer(n.value)
        if isinstance(n, ast.Name):
            if n.id in ("E", "pi"):
                return getattr(sympy, n.id)
            need(n.id in self.names, f"unknown name {n.id!r}")
            return sympy.Symbol(n.id, real=True) if n.id in self.real else sympy.Symbol(n.id)
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and not n.keywords:
            f = n.func.id
            if f == "Symbol":
                need(len(n.args) == 1 and isinstance(n.args[0], ast.Constant), "Symbol('name')")
                return self.node(ast.Name(id=str(n.args[0].value)))
            args = [self.node(a) for a in n.args]
            if f in ("Integer", "Rational"):
                need(all(a.is_Integer for a in args) and 1 <= len(args) <= 2, f"{f} takes integers")
                need(len(args) == 1 or args[1] != 0, "division by zero")
                return sympy.Rational(*args)
            if f in ("Add", "Mul"):
                return getattr(sympy, f)(*args, evaluate=False)
            if f == "Pow" and len(args) == 2:
                return sympy.Pow(*args, evaluate=False)
            if f == "sqrt" and len(args) == 1:
                return sympy.Pow(args[0], sympy.Rational(1, 2), evaluate=False)
            if f in BUILTIN and f != "sqrt":
                return getattr(sympy, f)(*args, evaluate=False)
            if f in self.functions:
                return sympy.Function(f)(*args)
            raise Reject(f"unknown function {f!r}")
        raise Reject(f"unsupported syntax {type(n).__name__} in an expression")


def neg(x):
    return sympy.Integer(-x) if x.is_Integer else sympy.Mul(sympy.Integer(-1), x, evaluate=False)


class Functions:
    """The certificate's functions: name -> (parameter symbols, body with every call expanded)."""

    def __init__(self, spec: dict, data_names):
        need(isinstance(spec, dict), "functions must be an object")
        self.defs: dict = {}
        for name, d in spec.items():
            need(NAME.match(name) and name not in RESERVED and name not in data_names, f"bad function name {name!r}")
            if "derivative_of" in d:
                base, order, wrt = d["derivative_of"], d.get("order", 1), d.get("wrt")
                need(base in self.defs, f"{name}: derivative of an earlier function")
                params, body = self.defs[base]
                need(wrt is None and len(params) == 1 or wrt in [p.name for p in params],
                     f"{name}: the derivative of a function of several arguments names one of them ('wrt')")
                need(type(order) is int and 1 <= order <= 4, f"{name}: order 1..4")
                t = params[0] if wrt is None else sympy.Symbol(wrt, real=True)
                self.defs[name] = (params, sympy.diff(body, t, order))
            else:
                args = d.get("args", [])
                need(all(NAME.match(a) and a not in RESERVED for a in args), f"{name}: bad argument names")
                p = Parser(set(data_names) | set(args), self.defs)
                p.real = set(args)
                self.defs[name] = (tuple(sympy.Symbol(a, real=True) for a in args), self.expand(p.parse(d["body"])))

    def expand(self, expr):
        """Replace every call of a certificate function by its body."""
        def body(call):
            params, b = self.defs[call.func.__name__]
            need(len(call.args) == len(params), f"{call.func.__name__} takes {len(params)} arguments")
            return b.xreplace(dict(zip(params, call.args)))
        return expr.replace(lambda e: isinstance(e, sympy.core.function.AppliedUndef), body)


# ------------------------------------------------------------------------------------------- evaluation

def ball(q: Fraction) -> arb:
    return arb(fmpq(q.numerator, q.denominator))


def hull(lo: arb, hi: arb) -> arb:
    """A ball containing [lo.lower, hi.upper]."""
    return lo.lower().union(hi.upper())


def ball_abs(x: arb) -> arb:
    if x.lower() >= 0:
        return x
    if x.upper() <= 0:
        return -x
    return hull(arb(0), arb.max(-x.lower(), x.upper()))


def top(points, sign=1):
    """The largest (sign 1) or smallest (sign -1) of exact Arb points."""
    best = points[0]
    for p in points[1:]:
        if (p > best) if sign > 0 else (p < best):
            best = p
    return best


def ball_max(xs):
    return hull(top([x.lower() for x in xs]), top([x.upper() for x in xs]))


def ball_min(xs):
    return hull(top([x.lower() for x in xs], -1), top([x.upper() for x in xs], -1))


def ball_pow(x: arb, e: Fraction) -> arb:
    """x^e for an integer or half-integer e, enclosed from the endpoints of x (x^k is monotone on each sign)."""
    if e.denominator not in (1, 2) or abs(e) > MAX_POWER:
        raise Reject(f"exponent {e}: only integer and half-integer powers up to {MAX_POWER}")
    if e.denominator == 2:
        need(x.lower() >= 0, "sqrt of a ball that is not certainly >= 0")
        return ball_pow(x.sqrt(), e * 2)
    k = abs(e.numerator)
    lo, hi = x.lower(), x.upper()
    pw = lambda p: p ** k if k else arb(1)  # noqa: E731  (a power of an exact point is a tight ball)
    if k % 2 == 1 or lo >= 0:
        out = hull(pw(lo), pw(hi))
    elif hi <= 0:
        out = hull(pw(hi), pw(lo))
    else:
        out = hull(arb(0), pw(top([-lo, hi])))
    return out if e >= 0 else 1 / out


class Balls:
    """Arb evaluation of SymPy trees; ``env``: symbol name -> arb.  Non-finite results are rejected."""

    def __init__(self, env: dict):
        self.env = env
        self.memo: dict = {}

    def __call__(self, e) -> arb:
        if e in self.memo:
            return self.memo[e]
        v = self.node(e)
        if not v.is_finite():
            raise Reject(f"the enclosure of {str(e)[:80]} is not finite (division by ~0, log or sqrt of <= 0)")
        self.memo[e] = v
        return v

    def node(self, e) -> arb:
        if e.is_Symbol:
            if e.name not in self.env:
                raise Reject(f"no value for {e.name}")
            return self.env[e.name]
        if e.is_Rational:
            return ball(Fraction(int(e.p), int(e.q)))
        if e is sympy.E or e is sympy.pi:
            return arb.const_e() if e is sympy.E else arb.pi()
        if e.is_Add:
            return sum((self(a) for a in e.args), arb(0))
        if e.is_Mul:
            return math.prod((self(a) for a in e.args), start=arb(1))
        if e.is_Pow:
            if not e.exp.is_Rational:
                raise Reject(f"exponent {e.exp} must be a number")
            return ball_pow(self(e.base), Fraction(int(e.exp.p), int(e.exp.q)))
        args = [self(a) for a in e.args]
        name = type(e).__name__
        if name in ("exp", "log", "tanh", "erf") and len(args) == 1:
            return getattr(args[0], name)()
        if name == "besseli" and len(args) == 2:          # I_k(x), k an integer literal (Arb's enclosure)
            need(e.args[0].is_Integer and 0 <= e.args[0] <= MAX_POWER, "besseli(k, x): k an integer in [0, 1000]")
            return args[1].bessel_i(args[0])
        if name == "Abs":
            return ball_abs(args[0])
        if name in ("Max", "Min"):
            return (ball_max if name == "Max" else ball_min)(args)
        if name in ("Heaviside", "sign"):              # enclosures of every convention at 0
            x, lo = args[0], (arb(0) if name == "Heaviside" else arb(-1))
            return arb(1) if x.lower() > 0 else lo if x.upper() < 0 else hull(lo, arb(1))
        if name == "DiracDelta":
            need(args[0].lower() > 0 or args[0].upper() < 0, "DiracDelta at a kink inside a box")
            return arb(0)
        raise Reject(f"unknown function {name}")


class NotExact(Exception):
    pass


def exact_value(e, env: dict) -> Fraction:
    """e in exact rationals (env: name -> Fraction); NotExact when e is not rational arithmetic."""
    if e.is_Symbol:
        if e.name not in env:
            raise NotExact
        return env[e.name]
    if e.is_Rational:
        return Fraction(int(e.p), int(e.q))
    args = [exact_value(a, env) for a in e.args]
    if e.is_Add:
        return sum(args, Fraction(0))
    if e.is_Mul:
        return math.prod(args, start=Fraction(1))
    if e.is_Pow and e.exp.is_Integer and abs(e.exp) <= MAX_POWER and not (args[0] == 0 and e.exp < 0):
        return args[0] ** int(e.exp)
    name = type(e).__name__
    if name == "Abs":
        return abs(args[0])
    if name in ("Max", "Min"):
        return max(args) if name == "Max" else min(args)
    raise NotExact


RELATIONS = {"<=": (lambda a, b: a <= b), "<": (lambda a, b: a < b), ">=": (lambda a, b: a >= b),
             ">": (lambda a, b: a > b)}


def decide(lhs, rel: str, rhs, exact_env: dict, balls: Balls) -> bool:
    """lhs rel rhs: exactly when both sides are rational, else only if the Arb balls decide it."""
    need(rel in RELATIONS, f"relation {rel!r}")
    try:
        return RELATIONS[rel](exact_value(lhs, exact_env), exact_value(rhs, exact_env))
    except NotExact:
        a, b = balls(lhs), balls(rhs)
        return {"<=": a.upper() <= b.lower(), "<": a.upper() < b.lower(), ">=": a.lower() >= b.upper(),
                ">": a.lower() > b.upper()}[rel]


# ------------------------------------------------------------------------------------------- monotonicity

def monotone_class(e, classes: dict, balls: Balls) -> str:
    """How e depends on the 'bounded' names (each a nonnegative quantity replaced by an upper bound of it):
    'const' (not at all), 'pos' (nonnegative and nondecreasing), 'inc' (nondecreasing) or 'fail'.
    ``classes``: name -> class of the names met so far (data and constants 'const', bounded names 'pos')."""
    if e.is_Symbol:
        return classes.get(e.name, "const")
    if e.is_Number or e.is_NumberSymbol:
        return "const"
    cs = [monotone_class(a, classes, balls) for a in e.args]
    if all(c == "const" for c in cs):
        return "const"
    if "fail" in cs:
        return "fail"
    nonneg = lambda a, c: c == "pos" or (c == "const" and balls(a).lower() >= 0)  # noqa: E731
    if e.is_Add:
        return "pos" if all(nonneg(a, c) for a, c in zip(e.args, cs)) else "inc"
    if e.is_Mul:
        if all(nonneg(a, c) for a, c in zip(e.args, cs)):
            return "pos"
        moving = [c for c in cs if c != "const"]
        ok = len(moving) == 1 and all(c != "const" or balls(a).lower() >= 0 for a, c in zip(e.args, cs))
        return "inc" if ok else "fail"
    if e.is_Pow:
        return "pos" if cs[0] == "pos" and cs[1] == "const" and e.exp.is_Rational and e.exp > 0 else "fail"
    name = type(e).__name__
    if name in ("Max", "Min"):
        return "pos" if all(nonneg(a, c) for a, c in zip(e.args, cs)) else "inc"
    if name == "exp":
        return "pos"
    if name in ("tanh", "erf"):
        return "inc"
    return "fail"


# ------------------------------------------------------------------------------------------- covers of boxes

def check_cover(domain: list, boxes: list) -> None:
    """The boxes (lists of [lo, hi] per variable, exact) cover the domain exactly: each box inside it, interiors
    pairwise disjoint, total volume equal to the domain's (so the closed boxes' union is the whole domain); in
    1-D, sorted boxes must chain lo_0 = lo, hi_k = lo_{k+1}, hi_last = hi.  Zero-width variables must match."""
    need(boxes, "a cover needs boxes")
    need(len(boxes) <= MAX_BOXES, "too many boxes")
    for b in boxes:
        need(len(b) == len(domain), "a box has the wrong number of variables")
        for (lo, hi), (dlo, dhi) in zip(b, domain):
            need(dlo <= lo <= hi <= dhi, f"box [{lo}, {hi}] is not inside the domain [{dlo}, {dhi}]")
            need(lo < hi or dlo == dhi, "a box of zero width")
    wide = [k for k, (lo, hi) in enumerate(domain) if lo < hi]
    need(len(wide) <= 1 or len(boxes) <= 5000, "at most 5000 boxes in several variables")
    if len(wide) <= 1:
        k = wide[0] if wide else 0
        spans = sorted((b[k][0], b[k][1]) for b in boxes)
        need(spans[0][0] == domain[k][0] and spans[-1][1] == domain[k][1], "the boxes do not reach the domain's ends")
        for (_, h), (l2, _) in zip(spans, spans[1:]):
            need(h == l2, f"gap or overlap in the cover at {h} / {l2}")
        return
    vol = lambda b: math.prod((b[k][1] - b[k][0] for k in wide), start=Fraction(1))  # noqa: E731
    need(sum(vol(b) for b in boxes) == vol(domain), "the boxes' volume differs from the domain's (a gap or overlap)")
    order = sorted(boxes, key=lambda b: b[wide[0]][0])
    for i, a in enumerate(order):
        for b in order[i + 1:]:
            if b[wide[0]][0] >= a[wide[0]][1]:
                break
            need(any(a[k][1] <= b[k][0] or b[k][1] <= a[k][0] for k in wide), "two boxes overlap")


def affine(e, box_vars, known: dict):
    """(constant, {var: coefficient}) when e is affine in the box variables with rational coefficients (``known``:
    the exact values of the other names)."""
    if e.is_Rational:
        return Fraction(int(e.p), int(e.q)), {}
    if e.is_Symbol:
        if e.name in box_vars:
            return Fraction(0), {e.name: Fraction(1)}
        return (known[e.name], {}) if e.name in known else None
    if e.is_Pow and e.exp == -1 and e.base.is_Symbol and known.get(e.base.name):
        return 1 / known[e.base.name], {}
    if not (e.is_Add or e.is_Mul):
        return None
    parts = [affine(a, box_vars, known) for a in e.args]
    if any(p is None for p in parts):
        return None
    if e.is_Add:
        c, lin = Fraction(0), {}
        for c2, l2 in parts:
            c += c2
            for v, k in l2.items():
                lin[v] = lin.get(v, Fraction(0)) + k
        return c, lin
    if sum(1 for _, l in parts if l) > 1:
        return None
    c, lin = Fraction(1), {}
    for c2, l2 in parts:
        lin = {v: k * c2 for v, k in lin.items()} if lin else {v: k * c for v, k in l2.items()}
        c *= c2
    return c, lin


def affine_range(aff, box: dict) -> tuple:
    """The exact range [lo, hi] of an affine function over a box {var: (lo, hi)}."""
    c, lin = aff
    lo = c + sum(min(k * box[v][0], k * box[v][1]) for v, k in lin.items())
    hi = c + sum(max(k * box[v][0], k * box[v][1]) for v, k in lin.items())
    return lo, hi


PIECEWISE = ("Max", "Min", "Abs", "Heaviside", "sign")


class Resolver:
    """On a box, every innermost Max / Min / Abs / Heaviside / sign whose branches differ by affine functions of the
    box variables is replaced by the branch it takes on the whole closed box (decided exactly with Fractions), so
    that the function is smooth on the box wherever the box avoids the kinks."""

    def __init__(self, f, box_vars, known: dict):
        self.f, self.cache = f, {}
        self.nodes = []
        for node in f.find(lambda x: type(x).__name__ in PIECEWISE):
            if any(type(x).__name__ in PIECEWISE for a in node.args for x in sympy.preorder_traversal(a)):
                continue                                     # only innermost nodes are resolved
            name, args = type(node).__name__, node.args
            sgn = -1 if name == "Min" else 1
            if name in ("Max", "Min"):
                forms = [[affine(sgn * (a - b), box_vars, known) for b in args if b is not a] for a in args]
            else:
                forms = [[affine(args[0], box_vars, known)]]
            self.nodes.append((node, name, forms))

    def __call__(self, box: dict):
        key, subs = [], {}
        for node, name, forms in self.nodes:
            pick = None
            if name in ("Max", "Min"):
                for i, diffs in enumerate(forms):
                    if all(d is not None and affine_range(d, box)[0] >= 0 for d in diffs):
                        pick = i
                        break
                if pick is not None:
                    subs[node] = node.args[pick]
            elif forms[0][0] is not None:
                lo, hi = affine_range(forms[0][0], box)
                if name == "Abs" and (lo >= 0 or hi <= 0):
                    pick = 1 if lo >= 0 else -1
                    subs[node] = node.args[0] if lo >= 0 else -node.args[0]
                elif name != "Abs" and (lo > 0 or hi < 0):
                    pick = 1 if lo > 0 else (0 if name == "Heaviside" else -1)
                    subs[node] = sympy.Integer(pick)
            key.append(pick)
        key = tuple(key)
        if key not in self.cache:
            self.cache[key] = self.f.xreplace(subs) if subs else self.f
        return self.cache[key]


def box_balls(box: dict) -> dict:
    return {v: hull(ball(lo), ball(hi)) for v, (lo, hi) in box.items()}


def quadratic_sup(beta: arb, c: arb, r: arb) -> arb:
    """An upper bound of sup over u in [0, r] of beta u + c u^2 / 2 (beta, c exact points, r > 0)."""
    if c >= 0:
        return top([arb(0), (beta * r + c * r * r / 2).upper()])
    if beta <= 0:
        return arb(0)
    vertex = (beta * beta / (2 * -c)).upper()                # the parabola's maximum over all u
    if (beta / -c).lower() >= r.upper():                     # ... lies beyond r: the maximum is at u = r
        return (beta * r + c * r * r / 2).upper()
    return vertex


def forms(d) -> tuple:
    """The derivative as SymPy gives it and, when it has exp / tanh / erf, also over a common denominator
    (``sympy.cancel``, an exact rewriting): both enclose the same function, and the checker intersects them.  (A
    difference of nearly equal terms such as r'' = e^t/(e^t+1) - e^(2t)/(e^t+1)^2 of softplus loses everything to
    cancellation on a box; the cancelled form e^t/(e^t+1)^2 does not.)"""
    if d.is_number or not d.has(sympy.exp, sympy.tanh, sympy.erf):
        return (d,)
    try:
        c = sympy.cancel(d)
    except (TypeError, ValueError, NotImplementedError, sympy.PolynomialError):
        return (d,)
    return (d, c) if c != d else (d,)


class Enclosure:
    """Upper bounds of f (sign 1) or -f (sign -1) on a box: order 0 (natural interval extension), 1 (mean-value
    form f(m) + sum_i |d_i f(X)| r_i) or 2 (one variable: f(X) within f(m) + f'(m) h + f''(X) h^2 / 2, |h| <= r,
    the quadratic maximised exactly).  Derivatives come from SymPy's diff of the function resolved on the box."""

    def __init__(self, f, box_vars: list, order: int, env: dict, known: dict):
        need(order in (0, 1, 2), "order must be 0, 1 or 2")
        need(order < 2 or len(box_vars) == 1, "order 2 is for one variable")
        self.vars, self.order, self.env = box_vars, order, env
        self.syms = [sympy.Symbol(v, real=True) for v in box_vars]
        self.resolver = Resolver(f, box_vars, known)
        self.cache: dict = {}

    def derivatives(self, g):
        """[d f / d x_i] (order 1) or [f', f''] (order 2); a sum is differentiated term by term (cached)."""
        if g not in self.cache:
            if g.is_Add:                              # a list of [terms of each derivative]
                parts = [self.derivatives(a) for a in g.args]
                self.cache[g] = [sum(col, []) for col in zip(*parts)] if parts else []
            elif self.order == 1:
                self.cache[g] = [[forms(sympy.diff(g, s))] for s in self.syms]
            elif self.order == 2:
                d1 = sympy.diff(g, self.syms[0])
                self.cache[g] = [[forms(d1)], [forms(sympy.diff(d1, self.syms[0]))]]
            else:
                self.cache[g] = []
        return self.cache[g]

    @staticmethod
    def value(terms, balls) -> arb:
        """A derivative, given as terms each with alternative forms: the sum of the intersected enclosures."""
        out = arb(0)
        for alts in terms:
            v = balls(alts[0])
            for a in alts[1:]:
                v = v.intersection(balls(a))
            out = out + v
        return out

    def bound(self, box: dict, relation: str) -> arb:
        """An upper bound of f ('<=') or of |f| ('abs<=') on the closed box."""
        g = self.resolver(box)
        ups = [self.upper(g, box, 1)] + ([self.upper(g, box, -1)] if relation == "abs<=" else [])
        return top(ups)

    def upper(self, g, box: dict, sign: int) -> arb:
        X = Balls({**self.env, **box_balls(box)})
        if self.order == 0:
            return (sign * X(g)).upper()
        M = Balls({**self.env, **{v: ball((lo + hi) / 2) for v, (lo, hi) in box.items()}})
        rad = [ball((box[v][1] - box[v][0]) / 2) for v in self.vars]
        ds = self.derivatives(g)
        if self.order == 1:
            out = (sign * M(g)).upper()
            for d, r in zip(ds, rad):
                out = out + (ball_abs(self.value(d, X)) * r).upper()
            return out.upper()
        a, b, c = sign * M(g), sign * self.value(ds[0], M), (sign * self.value(ds[1], X)).upper()
        return (a.upper() + top([quadratic_sup(b.upper(), c, rad[0]), quadratic_sup((-b).upper(), c, rad[0])])).upper()


def rational_box(spec, n: int, what: str) -> list:
    need(isinstance(spec, list) and len(spec) == n, f"{what}: one [lo, hi] per variable")
    out = []
    for lohi in spec:
        need(isinstance(lohi, list) and len(lohi) == 2, f"{what}: [lo, hi]")
        lo, hi = exact_number(lohi[0]), exact_number(lohi[1])
        need(lo <= hi, f"{what}: lo > hi")
        out.append((lo, hi))
    return out


def check_boxes(f, box_vars, domain, cover: dict, relation: str, bound, env: dict, known: dict) -> int:
    """The boxes cover the domain exactly, and on every box the recomputed upper bound of f (or |f|) is <= the box's
    claimed value, which is <= the bound (a Fraction, compared exactly, or an Arb ball)."""
    need(relation in ("<=", "abs<="), "relation must be '<=' or 'abs<='")
    raw = cover.get("boxes")
    need(isinstance(raw, list), "a cover lists its boxes")
    boxes, claimed = [], []
    for b in raw:
        need(isinstance(b, list) and len(b) == len(box_vars) + 1, "a box is [[lo, hi] per variable..., claimed]")
        boxes.append(rational_box(b[:-1], len(box_vars), "box"))
        claimed.append(exact_number(b[-1]))
    check_cover(domain, boxes)
    enc = Enclosure(f, box_vars, cover.get("order", 0), env, known)
    for box, c in zip(boxes, claimed):
        up = enc.bound(dict(zip(box_vars, box)), relation)
        below = c <= bound if isinstance(bound, Fraction) else ball(c) <= bound.lower()
        if not (up <= ball(c) and below):
            where = ", ".join(f"{v} in [{lo}, {hi}]" for v, (lo, hi) in zip(box_vars, box))
            need(up <= ball(c), f"on the box {where} the enclosure's upper bound {up.str(10)} exceeds the claimed {c}")
            raise Reject(f"the box {where} claims {c}, above the bound {bound}")
    return len(boxes)


# ------------------------------------------------------------------------------------------- the certificate

def rational(q: Fraction):
    return sympy.Rational(q.numerator, q.denominator)


class Context:
    """Data, functions and named values of one certificate: ``env`` (name -> Arb ball), ``exact`` (name ->
    Fraction, where rational), ``symbolic`` (name -> exact SymPy value), ``classes`` (monotonicity class)."""

    def __init__(self, cert: dict):
        self.bits = cert["precision_bits"]                  # checked by check_certificate
        data: dict = {}
        need(isinstance(cert.get("data", {}), dict), "data must be an object")
        for name, v in (cert.get("data") or {}).items():
            flatten(name, v, data)
        self.exact = dict(data)
        self.env = {k: ball(v) for k, v in data.items()}
        self.symbolic = {sympy.Symbol(k): rational(v) for k, v in data.items()}
        self.classes: dict = {}
        self.lines: dict = {}
        self.functions = Functions(cert.get("functions") or {}, data)
        self.balls = Balls(self.env)

    def expr(self, text, extra=(), real=()):
        p = Parser(set(self.env) | set(extra) | set(real), self.functions.defs)
        p.real = set(real)
        return self.functions.expand(p.parse(text))

    def exact_sympy(self, e):
        """e with every program line, constant and data name replaced by its exact SymPy value (lazily: only the
        identity fallbacks need it)."""
        for name in reversed(self.lines):
            e = e.xreplace({sympy.Symbol(name): self.lines[name]})
        return e.xreplace(self.symbolic)

    def cls(self, e) -> str:
        return monotone_class(e, self.classes, self.balls)

    def define(self, name: str, e, cls: str = "const", line: bool = False) -> None:
        need(isinstance(name, str) and NAME.match(name) and name not in RESERVED and name not in self.functions.defs,
             f"bad name {name!r}")
        need(name not in self.env, f"{name} is defined twice")
        self.env[name] = self.balls(e)
        self.classes[name] = cls
        if line:
            self.lines[name] = e
        else:
            self.symbolic[sympy.Symbol(name)] = e
        try:
            self.exact[name] = exact_value(e, self.exact)
        except NotExact:
            pass

    def run_program(self, program) -> None:
        need(isinstance(program, list), "program must be a list of [name, expression]")
        for line in program:
            need(isinstance(line, list) and len(line) == 2, "a program line is [name, expression]")
            e = self.expr(line[1])
            self.define(line[0], e, cls=self.cls(e), line=True)

    def check_relations(self, rows, what: str, lhs_classes=("const",)) -> dict:
        out = {}
        for h in rows or []:
            need(isinstance(h, list) and len(h) == 5, f"a {what} is [name, text, lhs, relation, rhs]")
            lhs, rhs = self.expr(h[2]), self.expr(h[4])
            need(self.cls(lhs) in lhs_classes and self.cls(rhs) == "const" and
                 (self.cls(lhs) == "const" or h[3] in ("<=", "<")),
                 f"{what} '{h[0]}': its sides depend on bounded constants the wrong way")
            need(decide(lhs, h[3], rhs, self.exact, self.balls), f"{what} '{h[0]}' ({h[1]}) does not hold")
            out[h[0]] = h[1]
        return out


def check_constant(c: dict, cx: Context) -> None:
    """A sup-defined constant, name := sup |function| over |var| <= radius (``var``) or over all real ``vars``
    (``identity``: the function is identically 0).  A ``cover`` proves |function| <= value on a rational interval
    [-half_width, half_width] that contains [-radius, radius]; the radius may use earlier constants and must be
    nondecreasing in them (a larger interval only raises the sup).  Then ``name`` evaluates to ``value``, an upper
    bound, a 'bounded' name for the monotonicity checks; with ``attained`` (t0, |t0| <= radius certainly) to the Arb
    ball [|f(t0)|, value] (two-sided: an enclosure, sound in any expression)."""
    need(isinstance(c, dict) and {"name", "function", "value"} <= set(c), "a constant needs name, function, value")
    value = exact_number(c["value"])
    need(value >= 0, f"{c['name']}: a sup of |.| is nonnegative")
    if "identity" in c:
        xs = c.get("vars") or []
        need(all(NAME.match(v) and v not in cx.env for v in xs), "bad variables")
        f = cx.expr(c["function"], real=xs)
        need(is_zero(cx.exact_sympy(f)), f"{c['name']}: the function is not identically 0")
    else:
        var, cover = c.get("var"), c.get("cover")
        need(isinstance(var, str) and NAME.match(var) and var not in cx.env, f"{c['name']}: bad variable")
        need(isinstance(cover, dict), f"{c['name']}: needs a cover or an identity")
        f = cx.expr(c["function"], real=(var,))
        radius = cx.expr(c["radius"])
        need(cx.cls(radius) in ("const", "pos", "inc"), f"{c['name']}: the radius is not nondecreasing in them")
        D = exact_number(cover.get("half_width"))
        need(cx.balls(radius).upper() <= ball(D), f"{c['name']}: the cover [-{D}, {D}] misses the radius")
        check_boxes(f, [var], [(-D, D)], cover, "abs<=", value, cx.env, cx.exact)
    cx.define(c["name"], sympy.Rational(value.numerator, value.denominator), cls="pos")
    if "attained" in c:        # two-sided: |f(t0)| <= sup <= value, t0 in [-radius, radius]: the name is a ball
        t0 = exact_number(c["attained"])      # the radius must be free of one-sided constants (its lower end)
        need("identity" not in c and cx.cls(radius) == "const" and ball(abs(t0)) <= cx.balls(radius).lower(),
             f"{c['name']}: t0 is not certainly inside the radius")
        low = ball_abs(Balls({**cx.env, var: ball(t0)})(f)).lower()
        cx.env[c["name"]], cx.classes[c["name"]] = hull(low, ball(value)), "const"   # any expression is sound
        del cx.exact[c["name"]], cx.symbolic[sympy.Symbol(c["name"])]


def check_violation(cert: dict, cx: Context) -> str:
    cx.check_relations(cert.get("hypotheses"), "hypothesis")
    for c in cert.get("constants") or []:
        check_constant(c, cx)
    cx.run_program(cert.get("program") or [])
    cx.check_relations(cert.get("conditions"), "condition", ("const", "pos", "inc"))
    obs_e, bd_e = cx.expr(cert["observed"]), cx.expr(cert["bound"])
    need(cx.cls(obs_e) == "const", "the observed quantity depends on a bounded constant")
    need(cx.cls(bd_e) in ("const", "pos", "inc"),
         "the bound is not nondecreasing in its bounded constants (their upper bounds would not bound it)")
    obs, bd = cx.balls(obs_e), cx.balls(bd_e)
    tol = Fraction(1, 2 ** (cx.bits // 2))
    for what, val in (("observed", obs), ("bound", bd)):
        spec = (cert.get("claimed") or {}).get(what)
        need(isinstance(spec, dict) and "mid" in spec and "rad" in spec, f"the claimed {what} ball is {{mid, rad}}")
        mid, rad = exact_number(spec["mid"]), exact_number(spec["rad"])
        need(0 <= rad and (rad <= tol * abs(mid) or ball(rad) <= 2 * val.rad()),   # or as tight as the recomputed
             f"the claimed {what} ball is not tight (radius {float(rad):.3g} > 2^-{cx.bits // 2} relative)")
        need(hull(ball(mid - rad), ball(mid + rad)).contains(val),
             f"the recomputed {what} {val.str(25)} is not in the claimed ball {float(mid):.17g} +- {float(rad):.3g}")
    need(obs.lower() > bd.upper(), f"observed {obs.str(12)} does not exceed the bound {bd.str(12)}")
    return f"violated: observed {obs.str(12)} > bound {bd.str(12)}"


def check_enclosure(cert: dict, cx: Context) -> str:
    dom = cert.get("domain")
    need(isinstance(dom, dict) and dom, "domain {var: [lo, hi]}")
    box_vars = list(dom)
    need(all(NAME.match(v) and v not in cx.env for v in box_vars), "bad box variable")
    domain = rational_box([dom[v] for v in box_vars], len(box_vars), "domain")
    f = cx.expr(cert["function"], real=box_vars)
    bound_e = cx.expr(cert["bound"])
    try:
        bound = exact_value(bound_e, cx.exact)
    except NotExact:
        bound = cx.balls(bound_e)
    relation = cert.get("relation", "<=")
    n = check_boxes(f, box_vars, domain, cert, relation, bound, cx.env, cx.exact)
    return f"certified on {n} boxes: {'|f|' if relation == 'abs<=' else 'f'} <= {cx.balls(bound_e).str(12)}"


def is_zero(expr) -> bool:
    """expr simplifies to exactly 0 (expand, cancel, simplify, or simplify of its Piecewise rewrite)."""
    e = sympy.sympify(expr)
    for attempt in (sympy.expand, sympy.cancel, sympy.simplify, lambda x: sympy.simplify(x.rewrite(sympy.Piecewise))):
        try:
            if attempt(e) == 0:
                return True
        except (TypeError, ValueError, NotImplementedError, AttributeError):
            continue
    return False


ASSUMPTIONS = ("real", "positive", "nonnegative", "integer", "")


def nonnegative(e) -> bool:
    """e is 0 or >= 0 by SymPy's assumptions on its symbols (as built, expanded or simplified)."""
    return is_zero(e) or any(f(e).is_nonnegative is True for f in (sympy.sympify, sympy.expand, sympy.simplify))


def check_induction(ind: dict, cert: dict, cx: Context, assume: dict) -> str:
    """For every integer l >= 0: q_l <= target(l), given the ``axioms`` (reported, not checked) q_0 <= base and
    q_l <= step(q_(l-1), l) for l >= 1: checked that invariant(0) >= base, the step is nondecreasing in q,
    step(invariant(k), k + 1) <= invariant(k + 1) for every integer k >= 0, and invariant(l) <= target(l)."""
    l, q, syms = ind.get("index"), ind.get("quantity"), cert.get("symbols") or {}
    need(isinstance(cert.get("axioms"), dict) and cert["axioms"] and l != q and all(
        isinstance(v, str) and NAME.match(v) and v not in {**syms, **cx.env} and v not in RESERVED for v in (l, q)),
        "an induction cites axioms and names a new index and quantity")
    ex = lambda key: cx.exact_sympy(cx.expr(ind[key], extra={**syms, l: "", q: ""})).xreplace(assume)  # noqa: E731
    L, Q, k = sympy.Symbol(l), sympy.Symbol(q), sympy.Symbol("k_", integer=True, nonnegative=True)
    inv, step, target = ex("invariant"), ex("step"), ex("target")
    need(Q not in inv.free_symbols | target.free_symbols, "the invariant and the target are free of the quantity")
    need(nonnegative(inv.subs(L, 0) - ex("base")), "base case: invariant(0) < base")
    need(nonnegative(sympy.diff(step, Q)), "the step is not nondecreasing in the quantity")
    need(nonnegative(inv.subs(L, k + 1) - step.subs({Q: inv.subs(L, k), L: k + 1})),
         "inductive step: step(invariant(k), k + 1) > invariant(k + 1)")
    need(nonnegative(target.subs(L, k) - inv.subs(L, k)), "invariant(l) > target(l) for some l")
    return f"induction over {l} >= 0 ({len(cert['axioms'])} axioms)"


def check_identity(cert: dict, cx: Context) -> str:
    syms = cert.get("symbols") or {}
    need(isinstance(syms, dict) and all(a in ASSUMPTIONS for a in syms.values()),
         f"symbols {{name: assumption}}, assumptions {ASSUMPTIONS}")
    need(all(NAME.match(v) and v not in cx.env and v not in RESERVED for v in syms), "bad symbol name")
    assume = {sympy.Symbol(k): sympy.Symbol(k, **({a: True} if a else {})) for k, a in syms.items()}
    if "induction" in cert:
        return check_induction(cert["induction"], cert, cx, assume)
    e = cx.exact_sympy(cx.expr(cert["expression"], extra=syms)).xreplace(assume)
    need(is_zero(e), "the expression does not simplify to 0")
    for p in cert.get("positive") or []:               # side facts: positive by SymPy's assumptions on the symbols
        need(cx.exact_sympy(cx.expr(p, extra=syms)).xreplace(assume).is_positive is True,
             f"{str(p)[:60]} is not positive for every value of the symbols")
    return "identity: the expression simplifies to 0" + (f"; {len(cert['positive'])} expressions are positive"
                                                          if cert.get("positive") else "")


def check_chain(cert: dict, cx: Context) -> str:
    """A proof by composition, in order:
    ``constants``: sup-defined constants proven as in violations (each then stands for its upper bound);
    ``program``: named expressions (the claim's formula for the conclusions);
    ``conditions``: [name, text, lhs, rel, rhs], decided with every constant at its upper bound (lhs nondecreasing
    in the constants, rhs free of them: so the condition holds for the true constants too);
    ``quantities``: [{name, means, bound, axiom, needs}]: a nonnegative quantity over the whole domain (a max of
    absolute values or norms) bounded by an expression in data, constants and earlier quantities, nondecreasing
    in the quantities, justified by the listed ``axioms`` it cites (mathematical lemmas and properties of the
    construction: reported, not checked) under the named conditions;
    ``conclusions``: [quantity, rel, expr]: the quantity's bound with every earlier bound substituted (sound by
    monotonicity) is rel expr, decided exactly, by Arb, or (for '<=') because the difference simplifies to 0."""
    axioms = cert.get("axioms") or {}
    need(isinstance(axioms, dict) and axioms, "a chain lists its axioms {name: statement}")
    for c in cert.get("constants") or []:
        check_constant(c, cx)
    cx.run_program(cert.get("program") or [])
    conds = cx.check_relations(cert.get("conditions"), "condition", ("const", "pos", "inc"))
    bounds: dict = {}
    for q in cert.get("quantities") or []:
        need(isinstance(q, dict) and {"name", "means", "bound", "axiom"} <= set(q), "a quantity needs name, means, "
                                                                                      "bound, axiom")
        name = q["name"]
        need(isinstance(name, str) and NAME.match(name) and name not in cx.env and name not in bounds,
             f"bad quantity name {name!r}")
        cited = q["axiom"] if isinstance(q["axiom"], list) else [q["axiom"]]
        need(cited and all(a in axioms for a in cited), f"{name}: cites an unknown axiom {q['axiom']!r}")
        need(all(n in conds for n in q.get("needs", [])), f"{name}: needs an unknown condition")
        e = cx.expr(q["bound"], extra=bounds)
        need(monotone_class(e, {**cx.classes, **{k: "pos" for k in bounds}}, cx.balls) in ("const", "pos", "inc"),
             f"{name}: the bound is not nondecreasing in the quantities it uses")
        bounds[name] = e.xreplace({sympy.Symbol(k): v for k, v in bounds.items()})
    concl = cert.get("conclusions") or []
    need(concl, "a chain needs conclusions")
    for c in concl:
        need(isinstance(c, list) and len(c) == 3 and c[0] in bounds and c[1] in ("<=", "<"),
             "a conclusion is [quantity, '<=' or '<', expression]")
        composed, target = bounds[c[0]], cx.expr(c[2])
        need(cx.cls(target) == "const", f"conclusion {c[0]}: the stated bound uses a bounded constant")
        if decide(composed, c[1], target, cx.exact, cx.balls):
            continue
        need(c[1] == "<=" and is_zero(cx.exact_sympy(composed - target)),
             f"conclusion {c[0]} {c[1]} {c[2][:80]}: the composed bound {cx.balls(composed).str(12)} is not below "
             f"{cx.balls(target).str(12)}")
    return f"chain: {len(cx.classes)} named values, {len(conds)} conditions, {len(bounds)} steps, {len(axioms)} " \
           f"axioms, {len(concl)} conclusions hold"


def check_schema(cert: dict, cx: Context) -> str:
    from proofs_check.checker_schema import check_schema as schema      # the checker's second module
    return schema(cert, cx)


def network_risk(net: dict):
    """(2.1)-(2.2) from the sizes: p_i(j) = r(V_j p_i(j-1)), p_i(0) = x_i, V_j of rows v_jk (K_j x in_j: K_N = d_y, else
    K; in_1 = d_x, else K) in w row-major (3.2); L_n = (1/2n) sum_i ||p_i(N) - y_i||^2.  -> (risk, [w_q], names)."""
    need(isinstance(net, dict), "network must be an object")
    d_in, d_out, K, N, n = (net.get(k) for k in ("d_in", "d_out", "K", "N", "n"))
    need(all(type(v) is int and v >= 1 for v in (d_in, d_out, K, N, n)), "network sizes are integers >= 1")
    need(N >= 2, "the lemma's networks have N >= 2 layers")
    widths, fans = [K] * (N - 1) + [d_out], [d_in] + [K] * (N - 1)
    P = sum(a * b for a, b in zip(widths, fans))
    need(P <= MAX_PARAMS and n <= 4, f"at most {MAX_PARAMS} parameters and 4 tokens")
    r, w, risk, mats, off = sympy.Function("r"), sympy.symbols(f"w_0:{P}"), sympy.Integer(0), [], 0
    for Kj, inj in zip(widths, fans):
        mats.append([w[off + k * inj:off + (k + 1) * inj] for k in range(Kj)])
        off += Kj * inj
    names = [f"w_{q}" for q in range(P)]
    for i in range(n):
        names += [f"x_{i}_{a}" for a in range(d_in)] + [f"y_{i}_{k}" for k in range(d_out)]
        p = sympy.symbols(f"x_{i}_0:{d_in}")
        for V in mats:
            p = [r(sympy.Add(*[v * x for v, x in zip(row, p)])) for row in V]
        risk += sympy.Add(*[(t - y) ** 2 for t, y in zip(p, sympy.symbols(f"y_{i}_0:{d_out}"))])
    return risk / (2 * n), w, names


def check_gradient(cert: dict, cx: Context) -> str:
    """``networks``: a list of {``network``: {d_in, d_out, K, N, n}, ``claimed``: [one expression per w_q]} over the
    symbols w_q, x_i_a, y_i_k and the functions r and dr (r').  Each network's risk is built by ``network_risk`` (not
    read from the certificate) and differentiated, SymPy's Subs(Derivative(r(xi), xi), xi, z) written dr(z);
    accepted iff claimed - dL_n/dw_q expands to 0 for every q (an identity in every weight, datum and in r)."""
    nets, total, dr = cert.get("networks"), 0, sympy.Function("dr")
    need(isinstance(nets, list) and nets and all(isinstance(x, dict) for x in nets), "networks: a list of objects")
    for item in nets:
        risk, w, names = network_risk(item.get("network"))
        claimed, parser = item.get("claimed"), Parser(set(names), ("r", "dr"))
        need(isinstance(claimed, list) and len(claimed) == len(w), f"claimed must hold {len(w)} expressions")
        for q, (wq, text) in enumerate(zip(w, claimed)):
            want = sympy.diff(risk, wq).replace(lambda a: isinstance(a, sympy.Subs) and len(a.point) == 1 and isinstance(
                a.expr, sympy.Derivative) and a.expr.expr.func.__name__ == "r", lambda a: dr(a.point[0]))
            got = sympy.sympify(str(parser.parse(text)))       # rebuilt with evaluation: a canonical tree
            need(sympy.expand(got - want) == 0, f"{item['network']}: the claimed dL/dw_{q} is not the gradient")
        total += len(w)
    return f"gradient: {total} components of {len(nets)} networks equal SymPy's derivative of the rebuilt risk"


CHECKS = {"violation": check_violation, "enclosure": check_enclosure, "identity": check_identity,
          "chain": check_chain, "gradient": check_gradient, "schema": check_schema}


def check_certificate(data, path: str = "") -> CheckResult:
    """Accept or reject one certificate; a bad certificate never raises (the reason is in the result)."""
    t0, d = time.perf_counter(), (data if isinstance(data, dict) else {})
    kind, claim = d.get("kind", "?"), str(d.get("claim", "?"))
    old = ctx.prec
    try:
        need(isinstance(data, dict), "a certificate is a JSON object")
        need(data.get("format") == FORMAT, f"format must be {FORMAT!r}")
        need(kind in KINDS, f"kind must be one of {KINDS}")
        bits = data.get("precision_bits")
        need(type(bits) is int and 64 <= bits <= 4096, "precision_bits must be an integer in [64, 4096]")
        ctx.prec = bits                                   # before any number is made a ball
        cx = Context(data)
        ok, reason = True, CHECKS[kind](data, cx)
    except Reject as exc:
        ok, reason = False, str(exc)
    except (KeyError, TypeError, ValueError, ZeroDivisionError, RecursionError, AttributeError, IndexError) as exc:
        ok, reason = False, f"malformed certificate ({type(exc).__name__}: {exc})"
    finally:
        ctx.prec = old
    axioms = d.get("axioms") if isinstance(d.get("axioms"), dict) else {}
    return CheckResult(ok, kind, claim, reason, path, [f"{k}: {v}" for k, v in axioms.items()],
                       str(d.get("scope", "")), time.perf_counter() - t0, bool(d.get("whole_domain")))


def check_file(path) -> CheckResult:
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        return CheckResult(False, "?", "?", f"unreadable certificate: {exc}", str(path))
    return check_certificate(data, str(path))


def check_dir(audit_dir) -> list:
    """Every ``certificates/*.json`` of an audit output folder, in name order."""
    return [check_file(p) for p in sorted((Path(audit_dir) / "certificates").glob("*.json"))]


__all__ = ["FORMAT", "CheckResult", "Reject", "check_certificate", "check_dir", "check_file"]
