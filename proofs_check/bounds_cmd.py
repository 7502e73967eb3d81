"""``icl-verify bounds wu2025``: every stated bound of Wu et al., evaluated at one configuration.

With ``--knots M`` the sum-of-ReLU interpolants of r and r' are built on the approximation interval and their
sup errors certified (Arb); those certified values are eps_r, eps_r' and C1, C2 are the interpolants' sum |c|.
The square loss is exact with two units per coordinate (eps_l = 0); other residual losses interpolate phi'.
With ``--eps`` the proof's choices eps_* = 2 eps / (3 C_*) are reported, and the interpolants are sized to
meet them.  The JSON is written only after everything succeeded.
"""
from __future__ import annotations

import math
from fractions import Fraction

import mpmath
import sympy as sp

from numeric.precision import certify_sup_error, digits
from symbolic.activations import T, get_activation, sup_abs_expr
from symbolic.errors import ConfigError
from symbolic.losses import Z, get_loss
from symbolic.sum_of_relu import SumOfRelu, interpolant, residual_units, square_loss_u_units, to_fraction
from symbolic.wu2025 import bounds as B
from symbolic.wu2025 import constants as C
from symbolic.wu2025.config import WuConfig

from .io import Progress, write_json_atomic
from .report import fmt

MAX_KNOTS = 1024   # --eps mode: cap on the knots of a sized interpolant (C barely depends on M)
NODE_SLACK = sp.Rational(1, 10**35)  # --eps mode: covers the 40-digit rounding of the node values


def _relu_sup_error(approx: SumOfRelu, order: int) -> Fraction:
    """Exact sup_{[lo,hi]} |r^(order) - approx| for r = ReLU (order 0) or its step derivative (order 1).

    Both are piecewise linear, so the sup is the largest one-sided limit at a breakpoint or an endpoint.
    """
    lo, hi = approx.domain
    a_breaks, a_lines = approx.pieces()
    t_lines = [(Fraction(0), Fraction(0)), (Fraction(1), Fraction(0)) if order == 0 else (Fraction(0), Fraction(1))]

    def line(breaks, lines, x, side):
        idx = sum(1 for b in breaks if (b < x if side == "left" else b <= x))
        return lines[idx][0] * x + lines[idx][1]

    pts = sorted({lo, hi, *[b for b in a_breaks if lo < b < hi], *([Fraction(0)] if lo < 0 < hi else [])})
    best = Fraction(0)
    for x in pts:
        for side in ("left", "right"):
            if (x == lo and side == "left") or (x == hi and side == "right"):
                continue
            best = max(best, abs(line([Fraction(0)], t_lines, x, side) - line(a_breaks, a_lines, x, "right")))
    return best


def _M_for(R, eps, sup2) -> int:
    """Knots so that the classical bound h^2 sup|phi''| / 8 (h = 2R/M) is <= eps."""
    if eps <= 0 or not sp.sympify(sup2).is_finite:
        return 2
    return max(2, min(MAX_KNOTS, math.ceil(float(2 * R) * math.sqrt(float(sup2) / (8 * float(eps))) * (1 + 1e-9))))


def _approximant(target, var, R, M, relu_order: int | None, sup2=None) -> tuple[SumOfRelu, dict]:
    """The uniform interpolant on [-R, R] with M segments and its sup error: exact (ReLU), certified (Arb), or
    (--eps mode, sup2 = sup|phi''| given) the classical bound h^2 sup2 / 8 plus the node-rounding slack."""
    approx = interpolant(target, var, to_fraction(sp.Rational(R)), M)
    info = {"target": str(target), "radius": str(R), "radius_float": float(R), "knots": M, "H": approx.H,
            "C": float(approx.C), "C_exact": str(approx.C)}
    if relu_order is not None:
        e = _relu_sup_error(approx, relu_order)
        info.update(eps=mpmath.mpf(e.numerator) / e.denominator, eps_lower=float(e),
                    method="exact (piecewise-linear target)")
    elif sup2 is None:
        cert = certify_sup_error(approx)
        info.update(eps=cert.upper, eps_lower=float(cert.lower), method=cert.method, boxes=cert.boxes)
    else:  # sum_of_relu.interpolation_prediction's h^2 sup|phi''| / 8, with the cached sup2
        bound = (2 * sp.Rational(R) / M) ** 2 * sup2 / 8 + NODE_SLACK
        info.update(eps=mpmath.mpf(sp.N(bound, mpmath.mp.dps + 5)), eps_lower=None,
                    method="classical bound h^2 sup|phi''|/8 + 1e-35 (not Arb-certified)")
    return approx, info


def build_approximants(config: WuConfig, eps_targets: dict | None = None, progress=None) -> dict:
    """The approximants of r, r' and u and their certified errors; sized from ``eps_targets`` in --eps mode;
    ``progress()`` is called after each."""
    progress = progress or (lambda n=1: None)
    act, loss = get_activation(config.activation), get_loss(config.loss)
    relu = config.activation == "relu"
    out = {}
    for key, order, which in (("r", 0, "r"), ("r_prime", 1, "rp")):
        R = C.approximation_radius(config, which)
        target = act.derivative(order)
        M, sup2 = config.knots, None
        if eps_targets is not None:
            sup2 = sp.oo if relu else act.sup_abs(order + 2, -R, R)
            M = _M_for(R, eps_targets[which], sup2)
        _, info = _approximant(target, T, R, M, order if relu else None, sup2)
        info["interval"] = [str(-R), str(R)]
        out[key] = info
        progress()
    if config.loss == "square":
        u = square_loss_u_units()
        out["u"] = {"target": "2(t - y) per coordinate", "H": u.H, "C": float(u.C), "C_exact": str(u.C),
                    "eps": mpmath.mpf(0), "eps_lower": 0.0, "method": "exact two-unit representation", "M3": u.H * config.d_out}
    else:
        Ru = C.residual_radius(config)
        M, sup2 = config.knots, None
        if eps_targets is not None:
            sup2 = sup_abs_expr(sp.diff(loss.dphi, Z, 2), -Ru, Ru, Z)
            M = _M_for(Ru, eps_targets["l"], sup2)
        approx, info = _approximant(loss.dphi, Z, Ru, M, None, sup2)
        lifted = residual_units(approx)
        info.update(C=float(lifted.C), C_exact=str(lifted.C), M3=lifted.H * config.d_out,
                    interval=[str(-Ru), str(Ru)], note="phi' on residuals z = t - y, lifted to (t, y) with ||a||_1 <= 1")
        out["u"] = info
    progress()
    return out


def _json_number(v):
    if v is None:
        return None, "undefined"
    if mpmath.isinf(v):
        return "oo", "oo"
    return float(v), mpmath.nstr(v, mpmath.mp.dps, min_fixed=-3, max_fixed=3)


def _constant_json(c: C.Constant, dps: int) -> dict:
    v = c.value
    with mpmath.workdps(dps):
        num = mpmath.inf if v == sp.oo else mpmath.mpf(sp.N(v, dps + 5))
        val, s = _json_number(num)
    return {"name": c.name, "exact": str(v), "value": val, "value_str": s, "source": c.source, "origin": c.origin,
            "interval": None if c.interval is None else [str(x) for x in c.interval], "note": c.note}


def _evaluate(config: WuConfig, approx: dict | None, eps_target) -> B.Evaluation:
    cs = {}
    if approx is not None:
        cs = dict(C1_=Fraction(approx["r"]["C_exact"]), C2_=Fraction(approx["r_prime"]["C_exact"]),
                  C3_=Fraction(approx["u"]["C_exact"]), M1_=approx["r"]["H"], M2_=approx["r_prime"]["H"],
                  M3_=approx["u"]["M3"])
        cs = {k: (sp.Rational(v.numerator, v.denominator) if isinstance(v, Fraction) else v) for k, v in cs.items()}
    if eps_target is not None:
        return B.evaluate(config, eps_=eps_target, **cs)
    return B.evaluate(config, eps_r_=approx["r"]["eps"], eps_rp_=approx["r_prime"]["eps"], eps_l_=approx["u"]["eps"], **cs)


def main(args) -> int:
    if args.paper != "wu2025":
        raise ConfigError("PAPER", f"bounds are implemented for wu2025 only; got {args.paper!r}")
    if getattr(args, "knots", None) is not None and getattr(args, "eps", None) is not None:
        raise ConfigError("--eps", "give either --knots or --eps, not both")
    config = WuConfig.from_args(args)
    bar = Progress(4 if config.knots is not None else 5, "wu2025 bounds", unit="stage")
    est = getattr(args, "resource_estimate", None)
    if est is not None:
        bar.note(f"estimate: {est.text()}")
    with digits(config.precision), bar:
        if config.knots is not None:
            bar.status(stage="certified approximants")
            approx = build_approximants(config, progress=bar)
            bar.status(stage="bounds")
            ev = _evaluate(config, approx, None)
            bar()
        else:
            bar.status(stage="eps choices")
            ev0 = _evaluate(config, None, config.eps)
            bar()
            targets = {"r": ev0.values[B.eps_r], "rp": ev0.values[B.eps_rp], "l": ev0.values[B.eps_l]}
            bar.status(stage="sized approximants")
            approx = build_approximants(config, targets, progress=bar)
            for key, which in (("r", "r"), ("r_prime", "rp"), ("u", "l")):
                approx[key]["eps_choice"] = targets[which]
                approx[key]["meets_choice"] = bool(approx[key]["eps"] <= targets[which])
            bar.status(stage="bounds")
            ev = _evaluate(config, approx, config.eps)
            bar()
        rows = []
        for r in ev.rows:
            val, s = _json_number(r["value"])
            rows.append({**{k: v for k, v in r.items() if k != "value"}, "value": val, "value_str": s})
        approx_json = {k: {kk: (_json_number(vv)[1] if isinstance(vv, mpmath.mpf) else vv) for kk, vv in v.items()}
                       for k, v in approx.items()}
        data = {
            "paper": "wu2025",
            "config": {**config.to_dict(), "mode": "knots" if config.knots is not None else "eps",
                       "radius_r": str(C.approximation_radius(config, "r")),
                       "radius_rp": str(C.approximation_radius(config, "rp")),
                       "residual_radius": str(C.residual_radius(config))},
            "approximants": approx_json,
            "constants": [_constant_json(c, config.precision) for c in ev.constants],
            "bounds": rows,
        }
    print(_table(data))
    if getattr(args, "json", None) is not None:
        from .environment import environment

        data["environment"] = environment(precision=config.precision, seed=config.seed)
        write_json_atomic(args.json, data)
        print(f"wrote {args.json}")
    return 0


def _table(data: dict) -> str:
    cfg = data["config"]
    head = (f"Wu et al. (2025) bounds: d_x={cfg['d_in']} d_y={cfg['d_out']} K={cfg['K']} N={cfg['N']} n={cfg['n']} "
            f"L={cfg['L']} {cfg['activation']}/{cfg['loss']} B_v={cfg['Bv']} B_x={cfg['Bx']} B_y={cfg['By']} "
            f"eta={cfg['eta']} mode={cfg['mode']} radius={cfg['radius']} ({cfg['radius_r']})")
    lines = [head]
    for k, a in data["approximants"].items():
        eps_ = a.get("eps")
        lines.append(f"  approximant {k:8s} H={a.get('H')} C={fmt(a.get('C'), 6)} "
                     f"eps={fmt(float(eps_) if eps_ not in (None, 'oo') else eps_, 6)} ({a.get('method')})")
    cols = f"{'id':44s} {'kind':9s} {'origin':6s} {'value':>12s}  source"
    lines += [cols, "-" * len(cols)]
    for r in data["bounds"]:
        mark = "" if r["kind"] != "identity" else ("  [holds]" if r.get("holds") else "  [FAILS]")
        lines.append(f"{r['id']:44s} {r['kind']:9s} {r['origin']:6s} {fmt(r['value'], 6):>12s}  {r['source'][:60]}{mark}")
    return "\n".join(lines)
