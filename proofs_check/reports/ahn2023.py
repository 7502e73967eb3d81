"""``icl-verify report ahn2023``: Ahn et al.'s theorems and experiments at CPU size.

Writes DIR/report.md, DIR/report.json and DIR/*.png:
1. every claim of the audit (Theorem 1 exact / Monte Carlo / training, Lemma 1, Wishart moments, Theorem 3,
   Fig. 2, Theorem 5, Theorem 2, Section 4.3 training, Theorem 4, Appendix D baselines);
2. Section 4.3 (Theorem 3, Figs. 1-2): 3 layers of (8), d = 5, n = 20, Sigma = U^T diag(1, 1, 1/4, 1/16, 1) U,
   w* ~ N(0, Sigma^{-1}); CPU-sized (batch 4096, the claim's Adam steps instead of 30000 at batch 20000, one U):
   the run the engine judged for ahn2023.section4_3.training, read from its result;
3. Section 5.1 (Theorem 4): the five scalars of family (11) by L-BFGS on a fixed sample (n = 10 and n = 20);
4. Appendix D (Figs. 6-7): L-step GD / PGD / OLS baselines with all N context points and with the N - 1 the
   authors' notebooks use (referee note A1), against the exact 3-layer S-optimum.
"""
from __future__ import annotations

import time

from symbolic import ahn2023 as ahn

from ..report import verdict_word
from .common import base_config, claims_report, exit_status, log, md_table, write_report

PAPER = "ahn2023"


def section43(result) -> dict:
    """The 3-layer (8) training run in the Theorem 3 setting as the engine judged it (ahn2023.section4_3.training:
    the run, the exact S-optimum and Fig. 2's values are in its details); empty when the claim has no result."""
    return dict(result.details) if result is not None and "sorted_scalars" in result.details else {}


def section51(cfg) -> list[dict]:
    """Theorem 4's scalar family (11): L-BFGS from two starts at n = 10 (the setting 5.1 states) and n = 20."""
    from numeric.linear_icl.ahn import theorem4_scalars

    starts = [(-0.3, -2.0, -12.0, 0.9, 0.8), (-0.4, -5.0, -6.0, 0.9, 0.2)]
    rows = []
    for n in (10, 20):
        for r in theorem4_scalars(n, 5, cfg["t4_prompts"], starts[: cfg["t4_starts"]], seed=cfg["seed"],
                                  max_iter=cfg["t4_iter"]):
            rows.append({"n": n, **r})
    return rows


def appendix_d(cfg) -> dict:
    """Figs. 6-7 baselines, exact where possible: the 3-layer TF at its S-optimum, 3-step PGD with Sigma^{-1} at the
    best constant step (the looped optimum g(c*)), OLS (d - N for N < d, else 0, whitened), with N and N - 1 points;
    3-step GD by Monte Carlo with a step-size grid (numeric.linear_icl.ahn.appendix_d_table)."""
    from numeric.linear_icl.ahn import appendix_d_table, paper_sigma
    from symbolic.gatmiry2024 import c_star

    d, L = 5, 3
    mc = appendix_d_table(paper_sigma(cfg["seed"]), cfg["appd_N"], L, cfg["appd_prompts"], seed=cfg["seed"])
    rows = []
    for N, r in zip(cfg["appd_N"], mc):
        rows.append({"N": N, "tf_S_opt": float(ahn.s_optimum(N, d, L)["min_loss"]),
                     "pgd": float(c_star(N, d, L)["loss"]), "pgd_N-1": float(c_star(N - 1, d, L)["loss"]),
                     "ols": float(max(d - N, 0)), "ols_N-1": float(max(d - (N - 1), 0)),
                     "gd": r["gd"], "gd_N-1": r["gd_code"]})
    Ls = []
    for LL in (1, 2, 3, 4):
        Ls.append({"L": LL, "tf_S_opt": float(ahn.s_optimum(20, d, LL)["min_loss"]),
                   "pgd": float(c_star(20, d, LL)["loss"]), "pgd_N-1": float(c_star(19, d, LL)["loss"])})
    return {"vs_N": rows, "vs_L": Ls}


def _plots(out, s43, appd) -> list[str]:
    from ..plots import plt, save_figure

    names = []
    if s43.get("history"):
        fig, ax = plt.subplots(1, 2, figsize=(9, 3.5))
        h = s43["history"]
        ax[0].semilogy([r["step"] for r in h], [r["loss"] for r in h])
        ax[0].axhline(s43["exact_min_loss"], color="k", ls="--", label="exact S-optimum 0.1336")
        ax[0].set_xlabel("Adam step")
        ax[0].set_ylabel("batch loss")
        ax[0].legend()
        for i in range(3):
            ax[1].plot([r["step"] for r in h], [r[f"dist_white_{i}"] for r in h], label=f"layer {i}: Sigma^1/2 A Sigma^1/2")
            ax[1].plot([r["step"] for r in h], [r[f"dist_raw_{i}"] for r in h], ls=":", label=f"layer {i}: A")
        ax[1].set_xlabel("Adam step")
        ax[1].set_ylabel("Dist(M, I)")
        ax[1].legend(fontsize=6)
        fig.suptitle("Section 4.3 / Fig. 1 at CPU size (d=5, n=20, L=3)")
        names.append(save_figure(fig, out / "section43.png"))
    rows = appd["vs_N"]
    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    Ns = [r["N"] for r in rows]
    for key, style in (("tf_S_opt", "k-"), ("pgd", "b-"), ("pgd_N-1", "b--"), ("gd", "g-"), ("gd_N-1", "g--"),
                       ("ols", "r-"), ("ols_N-1", "r--")):
        ax.semilogy(Ns, [max(r[key], 1e-6) for r in rows], style, label=key)
    ax.set_xlabel("N (in-context examples)")
    ax.set_ylabel("loss")
    ax.legend(fontsize=7)
    ax.set_title("Appendix D, Fig. 6: baselines with N and N-1 points")
    names.append(save_figure(fig, out / "appendix_d.png"))
    return names


def main(args) -> int:
    from ..audits import ahn2023 as A

    t0 = time.monotonic()
    cfg = base_config(args, PAPER)
    q = cfg["quick"]
    cfg.update(t4_prompts=3000 if q else 20000, t4_starts=1 if q else 2,
               t4_iter=30 if q else 200, appd_N=[2, 5, 10, 20] if q else list(range(2, 21)),
               appd_prompts=4000 if q else 20000)
    opts = {}
    cfg.update(opts=opts, budget=0.3 if q else 1.0)      # a multiplier of every claim's evaluation / step budget
    run = claims_report(PAPER, A.CLAIMS, cfg, opts, budget=cfg["budget"])
    results = run.results
    by = {r.claim_id: r for r in results}
    s43 = section43(by.get("ahn2023.section4_3.training"))
    log(PAPER, "Section 5.1 scalars")
    s51 = section51(cfg)
    log(PAPER, "Appendix D baselines")
    appd = appendix_d(cfg)
    plots = _plots(cfg["out"], s43, appd)
    findings = []
    fig2 = by.get("ahn2023.figure2.values")
    exact_steps = [float(v) for v in ahn.s_optimum(20, 5, 3)["steps"]]
    fig2_word = verdict_word(str(fig2.outcome), fig2.tier and str(fig2.tier)) if fig2 else "no verdict (tool error)"
    findings.append(f"Fig. 2's magnitudes 0.42, 0.69, 1.71 equal Theorem 3's exact critical steps "
                    f"{', '.join(f'{v:.4f}' for v in exact_steps)} to the printed 2 decimals ({fig2_word}); "
                    "but the figure shows -0.69 I, -0.42 I, -1.71 I for 'Sigma^{1/2} A_i Sigma^{1/2}', whereas under (8) "
                    "the A_i are positive: the plotted object is the raw Q block -A_i (sign inconsistency, A3).")
    if s43:
        findings.append(f"Section 4.3 at CPU size ({s43['steps']} steps): trained |scalars| "
                        f"{', '.join(f'{v:.3f}' for v in s43['sorted_scalars'])} vs exact "
                        f"{', '.join(f'{v:.3f}' for v in s43['exact_steps'])}; Dist(Sigma^1/2 A_i Sigma^1/2, I) = "
                        f"{', '.join(f'{v:.3f}' for v in s43['dist_white'])} (paper: -> 0), Dist(A_i, I) = "
                        f"{', '.join(f'{v:.3f}' for v in s43['dist_raw'])} (paper: stays large); loss "
                        f"{s43['loss']:.4f} +- {s43['loss_se']:.4f} vs exact {s43['exact_min_loss']:.4f}. The "
                        "ill-conditioned direction (eigenvalue 1/16) converges slowly; the paper trains 30000 steps at "
                        "batch 20000.")
    r20 = next(r for r in appd["vs_N"] if r["N"] == max(cfg["appd_N"]))
    findings.append(f"Appendix D (A1, confirmed in the authors' notebooks): with N - 1 instead of N points the baselines "
                    f"are handicapped; at N = {r20['N']}: 3-step PGD {r20['pgd']:.4f} vs {r20['pgd_N-1']:.4f} "
                    f"(x{r20['pgd_N-1'] / r20['pgd']:.2f}), 3-step GD {r20['gd']:.4f} vs {r20['gd_N-1']:.4f}; at N = 2 "
                    f"the buggy baselines use one point. The TF's exact S-optimum is {r20['tf_S_opt']:.4f}.")
    f35 = by.get("ahn2023.figures3_5.stated_setting")
    if f35 is not None and f35.outcome.value == "violated":
        findings.append(f"Section 5.1 states n = 10, but Figs. 3-5 show the released notebooks' N = 20 run: at n = 10 the "
                        f"plotted model's loss is at least {f35.details['capped_loss']:.3g} (plotted: "
                        f"{f35.details['plotted_loss']:.2g}); at n = 20 it matches (ahn2023.figures3_5.code_setting).")
    findings.append("Section 5.1 describes Adam but the caption of Fig. 3c mentions L-BFGS (A2); Theorem 3 says "
                    "'k-layer' where L is used (A5). Lemma 1's transpose: the (8)-stack implements w <- w - A_l^T grad R "
                    "(ahn2023.lemma1.transpose, 50 digits); the un-transposed form fails for non-symmetric A_l.")
    findings += [f"{r.claim_id}: **{verdict_word(str(r.outcome), r.tier and str(r.tier))}**: {r.summary}" for r in results
                 if r.claim_id in ("ahn2023.theorem1.monte_carlo", "ahn2023.theorem1.training",
                                   "ahn2023.theorem2.diagonal")]
    sections = ["## Theorem 1", ""] + md_table(["claim", "verdict (tier)", "evaluations", "summary"], [
        [r.claim_id, verdict_word(str(r.outcome), r.tier and str(r.tier)), r.evaluations, r.summary]
        for r in results if r.claim_id.startswith("ahn2023.theorem1")]) + [""]
    if s43:
        sections += ["## Section 4.3 (Theorem 3, Figs. 1-2) at CPU size", ""] + md_table(
            ["layer", "alpha = tr(Sigma^1/2 A Sigma^1/2)/d", "Dist(Sigma^1/2 A Sigma^1/2, I)", "Dist(A, I)"],
            [[i, s43["scalars"][i], s43["dist_white"][i], s43["dist_raw"][i]] for i in range(3)]) + [""]
    figs = [by.get(c) for c in ("ahn2023.figures3_5.stated_setting", "ahn2023.figures3_5.code_setting")]
    fig_rows = [[r.claim_id, r.details.get("n"), r.details.get("capped_loss"), r.details.get("loss"),
                 r.details.get("median"), r.details.get("plotted_loss"),
                 verdict_word(str(r.outcome), r.tier and str(r.tier))] for r in figs if r is not None]
    sections += ["## Section 5.1 (Theorem 4): scalars of family (11) by L-BFGS", "",
                 "Figs. 3-5's values, read from the output cells of the released notebooks that draw them (N = 20 "
                 "there; Section 5.1 states n = 10): whitened A_l ~ (-0.38, -2.40, -9.56) I, B_l ~ (0.90, 0.57) I, mean "
                 "log test loss -7.12 (8.1e-4). Their Monte Carlo loss at each n (capped at d = 5 for the lower "
                 "bound):", ""] + md_table(["claim", "n", "capped loss", "mean loss", "median", "plotted", "verdict"],
                                           fig_rows) + ["",
                 "Reference values (spec 2.3, MC-derived): n = 10: (-0.299, -1.98, -12.9; 0.91, 0.83) loss 0.030; "
                 "n = 20: (-0.372, -2.379, -9.51; 0.91, 0.566) loss 6.6e-4. Ours:", ""] + md_table(
        ["n", "start", "(a0, a1, a2; b0, b1)", "loss"],
        [[r["n"], r["start"], [round(v, 3) for v in r["theta"]], r["loss"]] for r in s51]) + [""]
    sections += ["## Appendix D (Figs. 6-7): baselines with N and N-1 context points", ""] + md_table(
        ["N", "TF S-opt (exact)", "PGD (exact)", "PGD N-1", "GD (MC)", "GD N-1", "OLS", "OLS N-1"],
        [[r["N"], r["tf_S_opt"], r["pgd"], r["pgd_N-1"], r["gd"], r["gd_N-1"], r["ols"], r["ols_N-1"]]
         for r in appd["vs_N"]]) + [""] + md_table(
        ["L (N = 20)", "TF S-opt", "PGD", "PGD N-1"],
        [[r["L"], r["tf_S_opt"], r["pgd"], r["pgd_N-1"]] for r in appd["vs_L"]]) + [""]
    experiments = {"section43": s43, "section51": s51, "appendix_d": appd}
    write_report(cfg, PAPER, "Ahn, Cheng, Daneshmand, Sra 2023, Transformers learn to implement preconditioned GD",
                 run, sections, findings, experiments, plots, t0)
    log(PAPER, f"wrote {cfg['out'] / 'report.md'}")
    return exit_status(PAPER, run)
