"""`icl-verify report wu2025`: run one configuration of the construction and report bound versus empirics.

Writes DIR/report.json (config, environment, layers, trajectory, claims, bounds), DIR/report.md and plots:
per-layer error vs bound, trajectory error vs Corollary 1.1, error vs number of knots M.  Every error is split
into floating-point error (torch vs the high-precision run of the same weights) and construction error (the
high-precision run vs exact mathematics).
"""
from __future__ import annotations

import json
import math
import sys
import time
from dataclasses import replace
from fractions import Fraction
from pathlib import Path

import mpmath
import numpy as np

from numeric.backends import pick_device
from numeric.precision import certify_sup_error
from numeric.wu2025.errors import layer_rows, trajectory_rows
from numeric.wu2025.prompt import Prompt, make_prompt
from numeric.wu2025.reference import projected_gd
from numeric.wu2025.run import run, w_after_block
from symbolic.wu2025 import bounds as B
from symbolic.wu2025.assemble import build_construction
from symbolic.wu2025.config import WuConfig

from ..audits.wu2025.common import config_dict
from ..claims import Outcome
from ..environment import environment
from ..plots import log_series
from ..registry import get_claim
from ..report import fmt, md
from ..witness import save_witness, write_json_atomic

REPORT_CLAIMS = ("wu2025.lemma2", "wu2025.lemma2.context", "wu2025.lemma2.safe", "wu2025.lemma3", "wu2025.lemma3.safe",
                 "wu2025.lemma4", "wu2025.lemma4.safe", "wu2025.lemma6.bound", "wu2025.lemma6.error",
                 "wu2025.lemma6.error.context", "wu2025.lemma6.error.safe", "wu2025.theorem1.grad_error",
                 "wu2025.theorem1.grad_error.safe", "wu2025.lemma2.norm", "wu2025.lemma3.norm", "wu2025.lemma4.norm",
                 "wu2025.lemma5.norm", "wu2025.theorem1.grad_layer_norm")


class _Progress:
    """A tqdm bar on stderr (silent when tqdm is missing)."""

    def __init__(self, total: int, desc: str):
        try:
            from tqdm import tqdm

            self.bar = tqdm(total=total, desc=desc, file=sys.stderr, leave=False, mininterval=0.5, disable=None)
        except ImportError:  # pragma: no cover
            self.bar = None

    def __call__(self):
        if self.bar is not None:
            self.bar.update(1)

    def close(self):
        if self.bar is not None:
            self.bar.close()


def _certified(wc) -> dict:
    a = wc.approx
    eps = {"eps_r": certify_sup_error(a.r), "eps_rp": certify_sup_error(a.rp)}
    return {k: v for k, v in eps.items()}


def _bound_rows(cfg: WuConfig, wc, eps: dict) -> tuple[dict, list]:
    """Every stated bound at this construction's certified eps (bounds.evaluate)."""
    a = wc.approx
    eps_l = 0 if cfg.loss == "square" else None
    if eps_l is None:
        from numeric.precision import certify_sup_error as cert
        from symbolic.losses import Z, get_loss
        from symbolic.sum_of_relu import interpolant, to_fraction
        from symbolic.wu2025 import constants as C
        import sympy as sp

        loss = get_loss(cfg.loss)
        eps_l = cert(interpolant(loss.dphi, Z, to_fraction(sp.Rational(C.residual_radius(cfg))), a.knots)).upper
    ev = B.evaluate(cfg, eps_r_=eps["eps_r"].upper, eps_rp_=eps["eps_rp"].upper, eps_l_=eps_l, C1_=a.r.C,
                    C2_=a.rp.C, C3_=a.u.C, M1_=a.r.H, M2_=a.rp.H, M3_=a.u.H, dps=30)
    return {r["id"]: r for r in ev.rows}, ev.rows


def _layer_bound(row, by_id: dict) -> tuple[float | None, str | None]:
    q = row.quantity
    pick = None
    if q.startswith("max |p_bar("):
        pick = f"wu2025.lemma2.coord[{q[len('max |p_bar('):].split(')')[0]}]"
    elif q.startswith("max |r_bar'"):
        pick = "wu2025.lemma3"
    elif q.startswith("max |g - u"):
        pick = "wu2025.lemma4"
    elif q.startswith("max |s_bar("):
        pick = f"wu2025.lemma6.s_error[{q[len('max |s_bar('):].split(')')[0]}]"
    elif q.startswith("||grad_bar"):
        pick = "wu2025.theorem1.grad_error"
    elif q.startswith("||w_next"):
        pick = "wu2025.theorem1.step_error"
    if pick and pick in by_id and by_id[pick]["value"] is not None:
        return float(by_id[pick]["value"]), pick
    return None, None


def _knot_sweep(cfg: WuConfig, prompt: Prompt, Ms, progress) -> list[dict]:
    """Trajectory error (float64) and certified eps_r for several knots M, same prompt."""
    out = []
    with mpmath.workdps(30):
        gd = projected_gd(cfg, build_construction(replace(cfg, knots=2), readout=False).box,
                          [Fraction(float(v)) for v in prompt.w0], prompt.x.tolist(), prompt.y.tolist(), cfg.L)
    for M in Ms:
        wc = build_construction(replace(cfg, knots=M), readout=False)
        tb = run(wc, prompt, "batched", device=cfg.device)
        err = max(float(np.linalg.norm(w_after_block(tb, wc, l) - np.array([float(v) for v in gd[l + 1]])))
                  for l in range(cfg.L))
        out.append({"knots": M, "trajectory_error": err, "eps_r": float(certify_sup_error(wc.approx.r).upper),
                    "eps_rp": float(certify_sup_error(wc.approx.rp).upper), "heads_max": max(
                        layer.structure.get("heads", 0) for layer in wc.blocks[0].layers)})
        progress()
    return out


def _slope(xs, ys) -> float:
    xs, ys = np.log(np.asarray(xs, float)), np.log(np.asarray(ys, float))
    return float(np.polyfit(xs, ys, 1)[0])


def _claims(cfg: WuConfig, prompt: Prompt, out: Path, dps: int, progress) -> list[dict]:
    """The registry's claims evaluated on this run's prompt at ``dps`` digits (violations saved as witnesses)."""
    rows = []
    for cid in REPORT_CLAIMS:
        claim = get_claim(cid)
        radius = getattr(claim, "radius", "paper")
        inst = {"config": config_dict(replace(cfg, radius=radius, L=1)), "prompt": prompt.to_dict()}
        checks = claim.check_hypotheses(inst)
        failed = [c for c in checks if not c.holds]
        row = {"id": cid, "source": str(claim.source), "statement": claim.statement}
        if failed:
            row.update(outcome=str(Outcome.NOT_APPLICABLE), bound=None, observed=None, ratio=None,
                       detail=f"hypothesis {failed[0].name} fails: {failed[0].detail}")
        else:
            with mpmath.workdps(dps):
                ev = claim.evaluate(inst, dps=dps)
                bad = ev.violates()
            row.update(outcome=str(Outcome.VIOLATED if bad else Outcome.VERIFIED), bound=float(ev.bound),
                       observed=float(ev.observed), ratio=ev.ratio if math.isfinite(ev.ratio) else str(ev.ratio),
                       detail=ev.details.get("worst_part", ""))
            if bad:
                row["counterexample"] = str(save_witness(claim, inst, checks, ev, dps, out))
        rows.append(row)
        progress()
    return rows


def _markdown(cfg, env, lrows, trows, claims, sweep, slope, by_id, approx, eps, seconds, plots) -> str:
    lines = ["# Wu et al. (ICML 2025): the (2N+4)L-layer construction, bound versus empirics", "",
             f"Configuration: {cfg.theorem} setting, N = {cfg.N} layers of width K = {cfg.K}, d_x = {cfg.d_in}, "
             f"d_y = {cfg.d_out}, n = {cfg.n} in-context examples, L = {cfg.L} GD steps, eta = {cfg.eta}, "
             f"{cfg.activation} activation, {cfg.loss} loss, B_v = {cfg.Bv}, B_x = {cfg.Bx}, B_y = {cfg.By}, "
             f"{approx['knots']} knots, approximation radius mode '{cfg.radius}' (R = {approx['R1']:.4g} for r and r', "
             f"gate R3 = {approx['R3']:.4g}), seed {cfg.seed}.  Token width D = {env['D']}; "
             f"{env['layers']} layers ({cfg.L} blocks of 2N+4 plus our N+1-layer readout).", "",
             f"Approximants (Definition 4, explicit interpolants): r_bar {approx['H_r']} units, C1 = {approx['C1']:.4g}, "
             f"certified sup error eps_r in [{fmt(eps['eps_r'].lower, 6)}, {fmt(eps['eps_r'].upper, 6)}]; r_bar' "
             f"{approx['H_rp']} units, C2 = {approx['C2']:.4g}, eps_r' <= {fmt(eps['eps_rp'].upper, 6)}; loss units "
             f"{approx['H_u']} (square loss: exact, eps_l = 0).", "",
             f"Environment: torch {env['torch']} on {env['device']}, {env['precision_digits']}-digit mpmath reference, "
             f"sympy {env['sympy']}, commit {env.get('git_commit') or 'unknown'}; run time {seconds:.1f}s.", "",
             "**Two error sources, reported separately.** *Construction error* = high-precision run of the constructed "
             "transformer vs exact mathematics (true r, r', u; exact projected GD).  *Floating-point error* = torch "
             "float64 vs the high-precision run of the same weights.", "",
             "## Verdicts on this instance", "",
             "Each claim evaluated on this run's prompt at w^(0) (one block), as the paper states it ('paper') and in "
             "our corrected reading ('ours'); `violated` rows carry a witness that `icl-verify replay` re-checks.  "
             "A single friendly instance proves little: `icl-verify audit wu2025` searches adversarially.", "",
             "| claim | source | outcome | observed | bound | ratio |", "|---|---|---|---|---|---|"]
    for r in claims:
        lines.append(f"| `{r['id']}` | {md(r['source'])} | **{r['outcome']}** | {fmt(r['observed'])} | {fmt(r['bound'])} | "
                     f"{fmt(r['ratio'])} |")
    lines += ["", "## Per-layer errors", "", "| block | layer | kind | role | heads | quantity | construction error "
              "(50 digits) | float64 error vs exact | float error (torch - 50 digits) | paper's bound | bound id |",
              "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in lrows:
        lines.append(f"| {r.block} | {r.index} | {r.kind} | {md(r.role)} | {r.heads} | {md(r.quantity)} | "
                     f"{fmt(r.observed_highprec)} | {fmt(r.observed_float64)} | {fmt(r.float_error)} | {fmt(r.bound)} | "
                     f"{r.bound_id or ''} |")
    lines += ["", f"![per-layer errors]({plots['layers']})", "", "## GD trajectory", "",
              "| step | \\|\\|w_construction - w_GD\\|\\|_2 | float error | Corollary 1.1 bound (as printed) |",
              "|---|---|---|---|"]
    for t in trows:
        lines.append(f"| {t.step} | {fmt(t.error)} | {fmt(t.float_error)} | {fmt(t.bound)} |")
    lines += ["", f"![trajectory]({plots['trajectory']})", "", "## Error versus number of knots", "",
              f"Trajectory error after L = {cfg.L} steps falls like M^{slope:.2f} (fitted; the interpolation error "
              "is O(M^-2)).", "", "| knots M | trajectory error | certified eps_r | certified eps_r' | max heads per layer |",
              "|---|---|---|---|---|"]
    for s in sweep:
        lines.append(f"| {s['knots']} | {fmt(s['trajectory_error'])} | {fmt(s['eps_r'])} | {fmt(s['eps_rp'])} | "
                     f"{s['heads_max']} |")
    lines += ["", f"![error vs knots]({plots['knots']})", "", "## Notes", "",
              "* The paper's bounds use the certified sup errors of our explicit approximants for eps_r, eps_r', eps_l; "
              "B_l, L_f, the approximation radius 'safe', the box W and its projection/erasure MLP, and the readout "
              "layers are this project's additions (labelled 'ours').",
              "* The paper's Theorem-1 gradient-error bound at these eps: "
              f"{fmt(by_id.get('wu2025.theorem1.grad_error', {}).get('value'))}; the observed gradient errors are in the "
              "table above: typical instances sit far below the bounds, which is why the audits search adversarially.",
              ""]
    return "\n".join(lines)


def main(args) -> int:
    cfg = WuConfig.from_args(args)
    pick_device(cfg.device)  # validates --device
    out = Path(args.out or Path("runs") / "report-wu2025")
    t0 = time.monotonic()
    dps = cfg.precision
    wc = build_construction(cfg)
    prompt = make_prompt(cfg, wc.box)
    n_layers = len(wc.net.layers)
    Ms = [10, 20, 40] if args.quick else [10, 20, 40, 80, 160]
    bar = _Progress(2 * n_layers + len(Ms) + len(REPORT_CLAIMS) + 2, "wu2025 report")
    eps = _certified(wc)
    by_id, bound_rows = _bound_rows(cfg, wc, eps)
    bar()
    tb = run(wc, prompt, "batched", device=cfg.device, progress=bar)
    th = run(wc, prompt, "highprec", dps=dps, progress=bar)
    lrows = layer_rows(wc, prompt, tb, th, dps)
    for r in lrows:
        r.bound, r.bound_id = _layer_bound(r, by_id)
    trows = trajectory_rows(wc, prompt, tb, th, dps)
    for t in trows:
        row = by_id.get(f"wu2025.corollary1_1[{t.step}]")
        t.bound = float(row["value"]) if row and row["value"] is not None else None
    sweep = _knot_sweep(cfg, prompt, Ms, bar)
    slope = _slope([s["knots"] for s in sweep], [s["trajectory_error"] for s in sweep])
    out.mkdir(parents=True, exist_ok=True)
    claims = _claims(cfg, prompt, out, dps, bar)
    bar.close()
    env = environment(device=str(pick_device(cfg.device)), precision=dps, seed=cfg.seed)
    env.update(D=wc.layout.D, layers=n_layers)
    approx = wc.approx.describe()
    plots = {"layers": "layers.png", "trajectory": "trajectory.png", "knots": "knots.png"}
    xs = list(range(len(lrows)))
    log_series(out / plots["layers"], "Per-layer error vs the paper's bound", xs,
               {"construction error (50 digits vs exact)": ([r.observed_highprec for r in lrows], "o-"),
                "float64 vs exact": ([r.observed_float64 for r in lrows], "x"),
                "floating-point error (torch - 50 digits)": ([r.float_error for r in lrows], "s:"),
                "paper's bound": ([r.bound for r in lrows], "k_")}, "layer",
               xticks=[f"{r.block}.{r.index} {r.role.split(':')[0]}" for r in lrows])
    log_series(out / plots["trajectory"], "GD trajectory: construction vs exact projected GD", [t.step for t in trows],
               {"||w_construction - w_GD||": ([t.error for t in trows], "o-"),
                "float error": ([t.float_error for t in trows], "s:"),
                "Corollary 1.1 bound (as printed)": ([t.bound for t in trows], "k--")}, "GD step l")
    log_series(out / plots["knots"], "Error vs number of knots M", [s["knots"] for s in sweep],
               {"trajectory error": ([s["trajectory_error"] for s in sweep], "o-"),
                "certified eps_r": ([s["eps_r"] for s in sweep], "s--"),
                "certified eps_r'": ([s["eps_rp"] for s in sweep], "^--")}, "knots M", xlog=True,
               fits={"fitted slope": f"{slope:.2f}"})
    seconds = time.monotonic() - t0
    data = {"config": {**cfg.to_dict(), "approximants": approx}, "environment": env,
            "layers": [r.to_dict() for r in lrows], "trajectory": [t.to_dict() for t in trows], "claims": claims,
            "knot_sweep": {"rows": sweep, "fitted_slope": slope},
            "bounds": [{k: (float(v) if isinstance(v, mpmath.mpf) and mpmath.isfinite(v) else
                            (str(v) if isinstance(v, mpmath.mpf) else v)) for k, v in r.items()} for r in bound_rows],
            "certified": {k: v.as_dict() for k, v in eps.items()}, "seconds": seconds}
    write_json_atomic(out / "report.json", data)
    (out / "report.md").write_text(_markdown(cfg, env, lrows, trows, claims, sweep, slope, by_id, approx, eps,
                                             seconds, plots))
    if args.save_instance:
        _save_instance(out, cfg, wc, prompt)
    worst = max((r for r in lrows if r.observed_highprec is not None), key=lambda r: r.observed_highprec)
    print(f"wu2025 report: {out}/report.md, report.json, {len(plots)} plots ({seconds:.1f}s); "
          f"||w^L - w_GD^L|| = {trows[-1].error:.3g}; worst layer error {worst.observed_highprec:.3g} "
          f"({worst.role}); max float error {max(r.float_error or 0 for r in lrows):.2g}; claims: "
          + ", ".join(f"{sum(1 for c in claims if c['outcome'] == o)} {o}" for o in ("verified", "violated")))
    return 0


def _frac(v: Fraction) -> str:
    return str(v)


def _save_instance(out: Path, cfg: WuConfig, wc, prompt: Prompt) -> None:
    """instance.json (prompt, w0, box, sizes) and weights.json (every head / MLP matrix, exact rationals)."""
    inst = {"x": prompt.x.tolist(), "y": prompt.y.tolist(), "w0": prompt.w0.tolist(),
            "box": [float(b) for b in wc.box], "box_exact": [_frac(b) for b in wc.box], "eta": cfg.eta,
            "steps": cfg.L, "depth": cfg.N, "width": cfg.K, "dim_in": cfg.d_in, "dim_out": cfg.d_out,
            "activation": cfg.activation, "loss": cfg.loss, "knots": wc.approx.knots, "config": cfg.to_dict(),
            "layout": wc.layout.as_dict(), "weights": "weights.json",
            "note": "tokens are h_i = [x_i; y_i; w0; 0; 1; t_i] (layout); replay: build the construction from "
                    "config with symbolic.wu2025.assemble.build_construction and run numeric.wu2025.run.run"}
    layers = []
    for b in wc.blocks:
        for layer in b.layers:
            entry = {"block": b.name, "kind": layer.kind, "role": layer.role}
            if layer.kind == "mlp":
                entry["W1"] = [[r, c, _frac(v)] for (r, c), v in sorted(layer.W1.entries.items())]
                entry["W2"] = [[r, c, _frac(v)] for (r, c), v in sorted(layer.W2.entries.items())]
                entry["shape_W1"] = list(layer.W1.shape)
            else:
                entry["heads"] = [{m: [[r, c, _frac(v)] for (r, c), v in sorted(getattr(h, m).entries.items())]
                                   for m in ("Q", "K", "V")} for h in layer.heads]
            layers.append(entry)
    write_json_atomic(out / "instance.json", inst)
    (out / "weights.json").write_text(json.dumps({"D": wc.layout.D, "layers": layers}))
