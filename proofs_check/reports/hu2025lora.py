"""``icl-verify report hu2025lora``: the almost-linear LoRA gradient against the exact one (Hu et al., ICLR 2025).

Writes DIR/report.md, DIR/report.json and DIR/*.png:
1. error of the corrected low-rank gradient vs the project's bound, L in {1024, 4096, 16384}, d in {2, 4};
2. time vs L of the exact (row-blocked, App. F) and the approximate gradient, log-log slopes (same run);
3. error vs polynomial degree g (corrected chain and the paper's literal chain);
4. rank needed vs Gamma across sqrt(log L) (polynomial method) and the SVD epsilon-rank of exp(S);
5. the rank exponent ln C(g* + d, d) / ln L; the Theorem 4.1 reduction; the formula verdicts (quick audit).
"""
from __future__ import annotations

import math
import sys
import time
from pathlib import Path

import numpy as np
import torch

from numeric.backends import pick_device
from numeric.hu2025lora import hardness as HD
from numeric.hu2025lora import instances as INS
from numeric.hu2025lora import lowrank as LR
from numeric.hu2025lora import timing as TM
from symbolic.errors import ConfigError, require_int
from symbolic.hu2025lora import bounds as BD

from ..engine import AuditContext, AuditRun, run_audit
from ..environment import environment
from ..report import verdict_word
from ..io import write_json_atomic, write_text_atomic
from ..plots import save_figure

PAPER = "hu2025lora"


def _log(msg: str) -> None:
    print(f"[report {PAPER}] {msg}", file=sys.stderr, flush=True)


def configure(args) -> dict:
    quick = bool(getattr(args, "quick", False))
    seed = require_int("--seed", args.seed if getattr(args, "seed", None) is not None else 0, 0)
    dims = [require_int("--dim", args.dim, 1, 16)] if getattr(args, "dim", None) is not None else [2, 4]
    device = pick_device(getattr(args, "device", None))
    cfg = dict(seed=seed, device=str(device), quick=quick, dims=dims, r=1, Gamma=0.5, method="cheb_trunc",
               error_Ls=[512, 1024, 2048] if quick else [1024, 4096, 16384], error_g=8,
               timing_d=4, timing_g=6 if quick else 10, timing_threads=1,
               timing_exact_Ls=[512, 1024, 2048, 4096] if quick else [1024, 2048, 4096, 8192, 16384],
               timing_approx_Ls=[512, 1024, 2048, 4096, 8192] if quick else [1024, 2048, 4096, 8192, 16384, 32768,
                                                                              65536],
               degree_L=512 if quick else 1024, degree_gs=list(range(1, 13 if quick else 15)),
               rank_L=512 if quick else 1024, rank_gammas=[0.25, 0.5, 1.0, 1.5, 2.0, 3.0],
               rank_ds=[2, 4] if quick else [2, 4, 8], repeats=1 if quick else 3,
               edge_L=1024 if quick else 4096, edge_gammas=[0.5, 1.0, 2.0], edge_ds=[2, 4, 8, 16],
               precision_L=512 if quick else 1024, precision_d=2, precision_Rs=[0.5, 2.0, 4.0, 8.0])
    return cfg


# ---------------------------------------------------------------------------------------------- sections


def error_vs_bound(cfg, dev) -> list[dict]:
    """Our corrected chain vs the exact gradient (row blocks) and our explicit error bounds, every step."""
    rows = []
    for d in cfg["dims"]:
        for L in cfg["error_Ls"]:
            inst = INS.partial_instance(L, d, min(cfg["r"], d - 1) or 1, cfg["seed"], cfg["Gamma"])
            m = TM.tensors(inst, dev)
            t0 = time.perf_counter()
            ch = LR.chain_partial(m, 1.0, cfg["method"], cfg["error_g"], "ours", "2d")
            e = LR.step_errors(m, ch, 1.0, blk=512, sample_blocks=None if L <= 4096 else 4, seed=cfg["seed"])
            b = LR.bound_values(m, ch, 1.0)
            steps = {}
            for name, key, bkey in (("f (entrywise relative)", "f_rel", "E_f"), ("c", "c", "E_c"), ("q", "q", "E_q"),
                                    ("p1", "p1", "E_p1"), ("r", "r", "E_r"), ("p2", "p2", "E_p2"),
                                    ("G(A)", "GA", "E_GA"), ("G(B)", "GB", "E_GB")):
                bound = b[bkey] + (b["FP_GA"] if key == "GA" else b["FP_GB"] if key == "GB" else 0.0)
                steps[name] = {"measured": float(e[key]), "bound": float(bound), "ratio": float(e[key]) / float(bound)}
            rows.append(dict(L=L, d=d, r=inst["r"], g=cfg["error_g"], k=ch["fa"]["k"], R=ch["fa"]["R"],
                             step_rows_checked=e["rows_checked"],
                             eta=ch["fa"]["eta"], steps=steps, seconds=time.perf_counter() - t0,
                             max_ratio=max(s["ratio"] for s in steps.values())))
            _log(f"error vs bound L={L} d={d}: max ratio {rows[-1]['max_ratio']:.3g}")
    return rows


def timing(cfg, dev) -> dict:
    old = torch.get_num_threads()
    torch.set_num_threads(cfg["timing_threads"])
    try:
        return TM.sweep(cfg["timing_exact_Ls"], cfg["timing_approx_Ls"], d=cfg["timing_d"], r=2, g=cfg["timing_g"],
                        method=cfg["method"], Gamma=cfg["Gamma"], seed=cfg["seed"], device=dev,
                        repeats=cfg["repeats"], progress=lambda r: _log(f"timing {r}"))
    finally:
        torch.set_num_threads(old)


def error_vs_degree(cfg, dev) -> list[dict]:
    inst = INS.partial_instance(cfg["degree_L"], 4, 2, cfg["seed"], cfg["Gamma"])
    m = TM.tensors(inst, dev)
    rows = []
    exact = None
    for method in BD.METHODS:
        for g in cfg["degree_gs"]:
            ch = LR.chain_partial(m, 1.0, method, g, "ours", "2d")
            if exact is None:
                exact = LR.step_errors(m, ch, 1.0, blk=1024)["exact"]
            b = LR.bound_values(m, ch, 1.0)
            err = float((ch["GA"] - exact["gA"]).abs().max())
            row = dict(method=method, g=g, k=ch["fa"]["k"], delta=ch["fa"]["delta"], error=err,
                       bound=float(b["E_GA"] + b["FP_GA"]))
            if method == "cheb_trunc":
                lit = LR.chain_partial(m, 1.0, method, g, "paper", "2d")
                row["paper_chain_error"] = float((lit["GA"] - exact["gA"]).abs().max())
            rows.append(row)
    _log("error vs degree done")
    return rows


def rank_vs_gamma(cfg) -> dict:
    theory = {}
    for m_exp in (10, 14, 20):
        L = 2 ** m_exp
        theory[str(L)] = HD.degree_vs_gamma(L, 4, [x * math.sqrt(math.log(L)) for x in np.linspace(0.1, 1.2, 12)])
    svd = []
    for d in cfg["rank_ds"]:
        for G in cfg["rank_gammas"]:
            Q, K = HD.attention_instance(cfg["rank_L"], d, G, cfg["seed"])
            res = HD.rank_sandwich(Q, K, 1e-6)
            svd.append(dict(d=d, Gamma=G, **{k: v for k, v in res.items()}))
    _log("rank vs Gamma done")
    return {"theory": theory, "svd": svd, "L_svd": cfg["rank_L"]}


def rank_exponent_table() -> list[dict]:
    rows = []
    for dname, drule in (("4", lambda lnL: 4), ("ceil(ln L)", lambda lnL: math.ceil(lnL))):
        for Rname, Rrule in (("1", lambda lnL: 1.0), ("ln L/ln ln L", lambda lnL: lnL / math.log(lnL)),
                             ("ln L/4", lambda lnL: lnL / 4), ("ln L", lambda lnL: lnL), ("4 ln L", lambda lnL: 4 * lnL)):
            for p in (2, 3):
                for mexp in (10, 20, 40, 100, 1000, 10000):
                    lnL = mexp * math.log(2)
                    R, d = Rrule(lnL), drule(lnL)
                    gs = BD.g_star_log("cheb_interp", R, -p * lnL)
                    import mpmath

                    lk = float(mpmath.log(mpmath.binomial(gs + d, d)))
                    rows.append(dict(d_rule=dname, R_rule=Rname, delta=f"L^-{p}", m=mexp, d=d, R=R, g_star=gs,
                                     e=lk / lnL))
    return rows


def rank_exponent_gates(rows) -> dict:
    """Sanity gates: e(L) decreases in L for R = 1 and d = 4; for R = c ln L, e(L) is nondecreasing in c."""
    sel = lambda d, R, p: [r for r in rows if r["d_rule"] == d and r["R_rule"] == R and r["delta"] == p]  # noqa: E731
    dec = all(all(a["e"] >= b["e"] for a, b in zip(sel("4", "1", p), sel("4", "1", p)[1:])) for p in ("L^-2", "L^-3"))
    mono = True
    for d in ("4", "ceil(ln L)"):
        for p in ("L^-2", "L^-3"):
            es = [sel(d, R, p) for R in ("ln L/4", "ln L", "4 ln L")]
            mono &= all(a["e"] <= b["e"] + 1e-12 for x, y in zip(es, es[1:]) for a, b in zip(x, y))
    return {"e decreasing in L (R = 1, d = 4)": dec, "e nondecreasing in c (R = c ln L)": mono}


def edge_instances(cfg) -> list[dict]:
    """Theorem 3.1 at the edge of its hypotheses: ||C1 W||_max = ||C2||_max = Gamma exactly, random +-Gamma signs (max |S| = d Gamma^2 when two
    rows align); attained R, g*(R, 1e-8), the rank C(g* + d, d) and e(L) = ln(rank)/ln L."""
    rows = []
    L = cfg["edge_L"]
    for G in cfg["edge_gammas"]:
        for d in cfg["edge_ds"]:
            Q, K = HD.attention_instance(L, d, G, cfg["seed"], extremal=True)
            R = float(np.abs(Q @ K.T).max())
            gs = BD.g_star("cheb_trunc", R, 1e-8)
            k = BD.rank(gs, d)
            rows.append(dict(L=L, Gamma=G, d=d, R=R, dGamma2=d * G * G, g_star=gs, rank=k, e=math.log(k) / math.log(L),
                             hyp_ok=bool(np.abs(Q).max() <= G and np.abs(K).max() <= G)))
    return rows


def precision_rows(cfg, dev) -> list[dict]:
    """Precision: our corrected chain in float32 vs float64 (error vs the float64 bound and e^{2R} 2^-24)."""
    rows = []
    L, d = cfg["precision_L"], cfg["precision_d"]
    base = INS.partial_instance(L, d, 1, cfg["seed"], 1.0)
    for R in cfg["precision_Rs"]:
        m = TM.tensors(base, dev)
        R0 = LR._rownorm_max(m["C1"] @ (m["Wbar"] + m["B"] @ m["A"])) * LR._rownorm_max(m["C2"])
        sc = math.sqrt(R / R0)
        m["C1"], m["C2"] = m["C1"] * sc, m["C2"] * sc
        g = min(BD.g_star("cheb_trunc", R, 1e-13), 30)
        ch64 = LR.chain_partial(m, 1.0, "cheb_trunc", g, "ours", "d")
        e64 = LR.step_errors(m, ch64, 1.0, blk=512)
        b = LR.bound_values(m, ch64, 1.0)
        m32 = {k: v.float() for k, v in m.items()}
        ch32 = LR.chain_partial(m32, 1.0, "cheb_trunc", g, "ours", "d")
        err32 = float((ch32["GA"].double() - e64["exact"]["gA"]).abs().max())
        rows.append(dict(L=L, d=d, R=R, g=g, err64=float(e64["GA"]), bound64=float(b["E_GA"] + b["FP_GA"]), err32=err32,
                         predicted32=math.exp(2 * R) * 2.0 ** -24 * float(e64["exact"]["gA"].abs().max()),
                         within64=bool(e64["GA"] <= b["E_GA"] + b["FP_GA"])))
    _log("precision sensitivity done")
    return rows


def reduction_rows(cfg) -> list[dict]:
    rows = []
    for L in (64, 256):
        for r in (6, 8):
            for B in (2.0, 3.0):
                for lam in (0.0, 0.5, 1.0):
                    res = HD.reduction_check(HD.reduction_instance(L, r, r + 2, B, lam, cfg["seed"]))
                    rows.append(dict(L=L, r=r, d=r + 2, B=B, lam=lam, max_abs_diff=float(res["observed"]),
                                     bookkeeping_ok=res["details"]["bookkeeping_ok"]))
    return rows


def formula_verdicts(out_dir: Path, quick: bool, seed: int = 0) -> AuditRun:
    """The formula, symbolic and reduction claims of the audit (scans over sizes and exact decisions: no search
    budget), judged by the engine (``engine.run_audit``; witnesses under DIR/counterexamples, a crashing claim is a
    tool error with its traceback in DIR/errors.log).  ``quick`` changes nothing here: these methods have no budget."""
    from ..audits import hu2025lora as AUD

    ctx = AuditContext(paper=PAPER, out_dir=out_dir, precision=50, seed=seed)
    run = run_audit(AUD.EXACT_AND_FORMULA, ctx)
    (Path(out_dir) / "audit.partial.json").unlink(missing_ok=True)
    _log(f"{len(run.results)} formula verdicts" + (f", {len(run.errors)} tool error(s)" if run.errors else ""))
    return run


# ------------------------------------------------------------------------------------------------- plots


def plots(out: Path, data: dict) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    files = []
    tm = data["timing"]
    fig, ax = plt.subplots(figsize=(6, 4.2))
    for key, label, mk in (("exact_s", "exact (row-blocked, App. F)", "o-"), ("approx_s", "low-rank (corrected chain)", "s-")):
        pts = [(r["L"], r[key]) for r in tm["rows"] if key in r]
        ax.loglog([p[0] for p in pts], [p[1] for p in pts], mk, label=f"{label}, slope {tm[key.split('_')[0] + '_slope']:.2f}")
    ax.set_xlabel("L")
    ax.set_ylabel("seconds")
    ax.set_title(f"gradient time vs L (d={tm['d']}, g={tm['g']}, k={tm['k']}, {tm['threads']} thread(s))")
    ax.legend(fontsize=8)
    ax.grid(True, which="both", alpha=0.3)
    save_figure(fig, out / "time_vs_L.png")
    files.append("time_vs_L.png")

    fig, ax = plt.subplots(figsize=(6, 4.2))
    for method in BD.METHODS:
        rows = [r for r in data["error_vs_degree"] if r["method"] == method]
        ax.semilogy([r["g"] for r in rows], [max(r["error"], 1e-17) for r in rows], "o-", label=f"{method}: measured")
        ax.semilogy([r["g"] for r in rows], [r["bound"] for r in rows], "--", alpha=0.6, label=f"{method}: bound")
    lit = [r for r in data["error_vs_degree"] if "paper_chain_error" in r]
    ax.semilogy([r["g"] for r in lit], [r["paper_chain_error"] for r in lit], "k^-", label="paper's chain (C.5-C.7)")
    ax.set_xlabel("polynomial degree g")
    ax.set_ylabel("max |G~(A) - dL/dA_Q|")
    ax.set_title(f"error vs degree (L={data['config']['degree_L']}, d=4)")
    ax.legend(fontsize=7)
    ax.grid(True, alpha=0.3)
    save_figure(fig, out / "error_vs_degree.png")
    files.append("error_vs_degree.png")

    fig, axs = plt.subplots(1, 2, figsize=(11, 4.2))
    for L, rows in data["rank_vs_gamma"]["theory"].items():
        axs[0].semilogy([r["Gamma_over_sqrt_lnL"] for r in rows], [r["rank"] for r in rows], "o-", label=f"C(g*+d,d), L={L}")
        axs[0].axhline(int(L), ls=":", alpha=0.5)
    axs[0].set_xlabel("Gamma / sqrt(ln L)")
    axs[0].set_ylabel("rank for delta = 1/L^2 (d = 4, R = d Gamma^2)")
    axs[0].set_title("polynomial-method rank vs Gamma (dotted: L)")
    axs[0].legend(fontsize=7)
    axs[0].grid(True, alpha=0.3)
    for d in sorted({r["d"] for r in data["rank_vs_gamma"]["svd"]}):
        rows = [r for r in data["rank_vs_gamma"]["svd"] if r["d"] == d]
        axs[1].semilogy([r["Gamma"] for r in rows], [max(r["lower"], 1) for r in rows], "o-", label=f"SVD k_F(L eps), d={d}")
        axs[1].semilogy([r["Gamma"] for r in rows], [r["upper"] for r in rows], "--", label=f"C(g*+d,d), d={d}")
    axs[1].axhline(data["rank_vs_gamma"]["L_svd"], color="k", ls=":", alpha=0.5)
    axs[1].set_xlabel("Gamma (||C1 W||_max = ||C2||_max bound)")
    axs[1].set_ylabel("rank (eps = 1e-6)")
    axs[1].set_title(f"rank of exp(S - max S), L = {data['rank_vs_gamma']['L_svd']}")
    axs[1].legend(fontsize=7)
    axs[1].grid(True, alpha=0.3)
    save_figure(fig, out / "rank_vs_gamma.png")
    files.append("rank_vs_gamma.png")
    return files


# ---------------------------------------------------------------------------------------------- markdown


def markdown(data: dict) -> str:
    tm = data["timing"]
    lines = ["# LoRA gradients: exact, the paper's chain and the almost-linear algorithm (Hu et al., ICLR 2025)", "",
             f"Seed {data['config']['seed']}, device {data['config']['device']}, "
             f"{'quick' if data['config']['quick'] else 'default'} configuration.", "",
             "## 1. Approximate gradient error vs our explicit bound", "",
             "Step errors (f, c, q, p1, r, p2) on the rows listed (random row blocks when L > 4096); the gradient "
             "errors G(A), G(B) against the exact row-blocked gradient over all rows.", "",
             "| L | d | r | g | k | R | eta | rows for steps | max measured/bound over steps | G(A) err | G(A) bound |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in data["error_vs_bound"]:
        ga = r["steps"]["G(A)"]
        lines.append(f"| {r['L']} | {r['d']} | {r['r']} | {r['g']} | {r['k']} | {r['R']:.3g} | {r['eta']:.2e} | "
                     f"{r['step_rows_checked']} | {r['max_ratio']:.3g} | {ga['measured']:.2e} | {ga['bound']:.2e} |")
    lines += ["", f"All steps within their bounds: **{data['summary']['errors_within_bounds']}**.", "",
              "## 2. Time vs L", "",
              f"d = {tm['d']}, g = {tm['g']} (k = {tm['k']}), {tm['threads']} thread(s), device {tm['device']}.", "",
              "| L | exact (s) | low-rank (s) |", "|---|---|---|"]
    for r in tm["rows"]:
        lines.append(f"| {r['L']} | {r.get('exact_s', float('nan')):.4g} | {r.get('approx_s', float('nan')):.4g} |")
    lines += ["", f"Fitted slopes (upper half): exact **{tm['exact_slope']:.3f}** on L in {tm['exact_fit_Ls']}, "
                  f"low-rank **{tm['approx_slope']:.3f}** on L in {tm['approx_fit_Ls']}; crossover L = {tm['crossover_L']}.",
              f"Targets: low-rank slope <= 1.2: **{tm['approx_slope'] <= 1.2}**; exact slope >= 1.7: "
              f"**{tm['exact_slope'] >= 1.7}** (a measurement, not a proof).", "",
              "![time](time_vs_L.png)", "", "## 3. Error vs polynomial degree", "",
              "The paper's chain (C.5: p1 = f (.) q; C.6: p2 = f diag(r)) does not converge to the gradient as g grows;"
              " the corrected chain does.", "", "![degree](error_vs_degree.png)", "",
              "## 4. Rank vs Gamma", "", "![rank](rank_vs_gamma.png)", "",
              "| d | Gamma | R | g* | C(g*+d,d) | SVD lower bound k_F(L eps) | eps-rank 1e-3 | eps-rank 1e-6 |",
              "|---|---|---|---|---|---|---|---|"]
    for r in data["rank_vs_gamma"]["svd"]:
        lines.append(f"| {r['d']} | {r['Gamma']} | {r['R']:.3g} | {r['g_star']} | {r['upper']} | {r['lower']} | "
                     f"{r['eps_rank_1e3']} | {r['eps_rank_1e6']} |")
    lines += ["", "## 5. Rank exponent e(L) = ln C(g* + d, d) / ln L (CI bound, closed form)", "",
              "| d rule | R rule | delta | m (L = 2^m) | g* | e(L) |", "|---|---|---|---|---|---|"]
    for r in data["rank_exponent"]:
        if r["delta"] == "L^-2":
            lines.append(f"| {r['d_rule']} | {r['R_rule']} | {r['delta']} | {r['m']} | {r['g_star']} | {r['e']:.3f} |")
    lines += ["", f"Sanity gates: {data['rank_exponent_gates']}", "",
              "## 6. Thm 3.1 at the edge of its hypotheses", "",
              "| L | Gamma | d | attained R | d Gamma^2 | g*(R, 1e-8) | C(g*+d, d) | e = ln rank / ln L |",
              "|---|---|---|---|---|---|---|---|"]
    for r in data["edge_instances"]:
        lines.append(f"| {r['L']} | {r['Gamma']} | {r['d']} | {r['R']:.3g} | {r['dGamma2']:.3g} | {r['g_star']} | "
                     f"{r['rank']} | {r['e']:.2f} |")
    lines += ["", "## 7. Precision: float32 vs float64 (gated: float64 within bound)", "",
              "| R | g | float64 error | float64 bound | float32 error | e^{2R} 2^-24 max|G| |", "|---|---|---|---|---|---|"]
    for r in data["precision"]:
        lines.append(f"| {r['R']} | {r['g']} | {r['err64']:.2e} | {r['bound64']:.2e} | {r['err32']:.2e} | "
                     f"{r['predicted32']:.2e} |")
    red = data["reduction"]
    lines += ["", "## 8. Theorem 4.1 reduction (App. E)", "",
              f"{len(red)} instances; max |dL/dA_Q[:, :r] - dL/dX| (and the zero block, and the loss) = "
              f"{max(r['max_abs_diff'] for r in red):.2e}; norm bookkeeping holds in all: "
              f"{all(r['bookkeeping_ok'] for r in red)}.", "", "## 9. Claims", "",
              "Verdicts of the formula and exact claims of `icl-verify audit hu2025lora`, judged by the audit engine "
              "on this run (the searched bounds need the audit itself).", "",
              "| claim | source | verdict (tier) | evaluations | observed | bound | ratio | witness |",
              "|---|---|---|---|---|---|---|---|"]
    for c in data["claims"]:
        lines.append(f"| `{c['id']}` | {c['source']} | **{verdict_word(c['outcome'], c['tier'])}** | "
                     f"{c['evaluations']} | {c['observed']} | {c['bound']} | {c['ratio']} | {c['witness'] or ''} |")
    for e in data.get("tool_errors", []):
        lines.append(f"| `{e['claim_id']}` | | **tool error** ({e['error']}: {e['message']}) | | | | | errors.log |")
    lines += ["", "## 10. Measurements (not verdicts)", "",
              "| quantity | measured | compared with |", "|---|---|---|"]
    for m in data.get("measurements", []):
        lines.append(f"| {m['quantity']} | {m['measured']:.4g} | {m['compared_with']} |")
    lines += ["", "SETH, the 'no O(L^{2-delta}) algorithm' statement and every o(1) claim are stated, not checkable."]
    return "\n".join(lines) + "\n"


def _claim_row(r, out: Path) -> dict:
    """An engine result as a report row (read, never re-judged)."""
    d = r.to_dict()
    row = {k: d.get(k) for k in ("id", "source", "outcome", "tier", "evaluations", "bound", "observed", "ratio",
                                 "witness", "narrowing", "summary")}
    row["counterexample"] = str(Path(out) / r.witness) if r.witness else None
    return row


def main(args) -> int:
    cfg = configure(args)
    out = Path(getattr(args, "out", None) or Path("runs") / f"report-{PAPER}")
    out.mkdir(parents=True, exist_ok=True)
    dev = torch.device(cfg["device"])
    t0 = time.monotonic()
    data = {"paper": PAPER, "config": cfg}
    data["error_vs_bound"] = error_vs_bound(cfg, dev)
    data["timing"] = timing(cfg, dev)
    data["error_vs_degree"] = error_vs_degree(cfg, dev)
    data["rank_vs_gamma"] = rank_vs_gamma(cfg)
    data["rank_exponent"] = rank_exponent_table()
    data["rank_exponent_gates"] = rank_exponent_gates(data["rank_exponent"])
    data["edge_instances"] = edge_instances(cfg)
    data["precision"] = precision_rows(cfg, dev)
    data["reduction"] = reduction_rows(cfg)
    run = formula_verdicts(out, cfg["quick"], cfg["seed"])
    tm = data["timing"]
    data["claims"] = [_claim_row(r, out) for r in run.results]
    data["tool_errors"] = [e.to_dict() for e in run.errors]
    ok_err = all(r["max_ratio"] <= 1 for r in data["error_vs_bound"]) and all(r["within64"] for r in data["precision"])
    # measurements of this run, printed beside what they are compared with; the verdicts on the corrected chain are
    # the audit's searched claims (hu2025lora.ours.theorem3_1 ...), and timings are not reproducible verdicts
    data["measurements"] = [
        {"quantity": f"max measured/bound over the corrected chain's steps, L in {cfg['error_Ls']}, d in {cfg['dims']}",
         "measured": max(r["max_ratio"] for r in data["error_vs_bound"]), "compared_with": "1 (our explicit bounds)"},
        {"quantity": "log-log slope of the low-rank gradient's time in L", "measured": tm["approx_slope"],
         "compared_with": "<= 1.2 (almost linear)"},
        {"quantity": "log-log slope of the exact gradient's time in L", "measured": tm["exact_slope"],
         "compared_with": ">= 1.7 (quadratic)"}]
    data["summary"] = {"errors_within_bounds": ok_err, "approx_slope": tm["approx_slope"],
                       "exact_slope": tm["exact_slope"], "seconds": time.monotonic() - t0}
    data["environment"] = environment(device=cfg["device"], precision=50, seed=cfg["seed"])
    data["plots"] = plots(out, data)
    write_json_atomic(out / "report.json", data)
    write_text_atomic(out / "report.md", markdown(data))
    _log(f"wrote {out / 'report.md'} in {time.monotonic() - t0:.0f}s")
    if run.errors:
        _log(f"tool error in {', '.join(e.claim_id for e in run.errors)}; tracebacks in {out / 'errors.log'}")
        return 3
    return 0


__all__ = ["main", "configure", "ConfigError"]
