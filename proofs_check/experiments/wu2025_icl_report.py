"""The Markdown report and the plots of ``icl-verify experiment wu2025-icl``: the reproduction beside the paper's
Figures 2-7 (spec 8.2), point by point.  (Moved here from numeric/wu2025/icl_experiment: numeric/ never imports
proofs_check/, and the report is the judging room's.)

Every verdict below is computed from the results by the rule printed next to it; nothing is typed in.  The
paper's numbers are read off its plots (spec 8.2) and are approximate.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from numeric.wu2025.icl_experiment.config import MIXTURES

from ..io import atomic_path, write_text_atomic

TOL = 0.1  # ours: two R^2 values 'match' when they differ by at most 0.1


def _f(v, nd=3) -> str:
    return "n/a" if v is None else f"{v:.{nd}f}"


def _ci(e) -> str:
    return "n/a" if e is None else f"{e[0]:.3f} [{e[1]:.3f}, {e[2]:.3f}]"


def _at(curve: dict, key: str, k: int):
    if curve is None or k not in curve["positions"]:
        return None
    return curve[key][curve["positions"].index(k)]


def _cond(res, N, mix, mu=0.0):
    for c in res["conditions"].values():
        if c["depth"] == N and tuple(c["mixture"]) == tuple(mix) and c["param_mean"] == mu:
            return c
    return None


def _tf(c, kind, layers):
    if c is None:
        return None
    for name, v in c["transformers"].items():
        if name.startswith(kind + "_") and name.endswith(f"_L{layers}"):
            return v
    return None


def _v(e):
    return None if e is None else e[0]


# ------------------------------------------------------------------------------------------------- verdicts


def verdicts(res: dict) -> list[dict]:
    """One row per claim of spec 8.2: the paper's claim, our numbers, the rule, the verdict."""
    s = res["scale"]
    L, n_tr, n_te = s["layers"], s["train_points"], s["test_points"]
    ks_ffn = [k for k in s["ffn_positions"] if k <= n_tr]
    k_cmp = max(ks_ffn) if ks_ffn else n_tr
    k10 = 10 if 10 <= n_tr else n_tr
    rows = []
    for kind in ("softmax", "relu"):
        fig = "Fig 3" if kind == "relu" else "Fig 4"
        for N in s["target_depths"]:
            c0 = _cond(res, N, MIXTURES[0])
            tf = _tf(c0, kind, L)
            t_k = _v(_at(tf and tf["grid"], "pooled", k_cmp))
            ffn = c0 and c0.get("ffn")
            f_last = _v(_at(ffn and {"positions": ffn["positions"], **ffn["last"]}, "pooled", k_cmp))
            f_best = _v(_at(ffn and {"positions": ffn["positions"], **ffn["best_epoch_oracle"]}, "pooled", k_cmp))
            ok = None if t_k is None or f_last is None else t_k >= f_last - TOL
            rows.append({"figure": f"{fig} / Fig 2", "claim": f"{kind}, N = {N}: in distribution, ICL tracks the "
                         "N-layer network trained on the prompt", "ours": f"TF {_f(t_k)} vs FFN last-epoch "
                         f"{_f(f_last)} (oracle best-epoch {_f(f_best)}) at k = {k_cmp}, pooled",
                         "rule": f"TF >= FFN(last) - {TOL}", "verdict": _verdict(ok)})
            t10 = _v(_at(tf and tf["grid"], "pooled", k10))
            rows.append({"figure": fig, "claim": f"{kind}, N = {N}: in distribution R^2 reaches ~0.85-0.95 within "
                         "5-10 examples", "ours": f"{_f(t10)} at k = {k10}", "rule": "R^2(k=10) >= 0.85",
                         "verdict": _verdict(None if t10 is None else t10 >= 0.85)})
            r = {m: _v(_at(_tf(_cond(res, N, m), kind, L) and _tf(_cond(res, N, m), kind, L)["grid"], "pooled", n_tr))
                 for m in MIXTURES}
            a, b, c, d = (r[m] for m in MIXTURES)
            rows.append({"figure": fig, "claim": f"{kind}, N = {N}: the 0.9/0.1 mixture is close to in-distribution",
                         "ours": f"{_f(b)} vs {_f(a)} at k = {n_tr}", "rule": f"abs(diff) <= {TOL}",
                         "verdict": _verdict(None if a is None or b is None else abs(a - b) <= TOL)})
            rows.append({"figure": fig, "claim": f"{kind}, N = {N}: the 0.7/0.3 and 0.5/0.5 mixtures are markedly "
                         "lower",
                         "ours": f"{_f(c)}, {_f(d)} vs {_f(a)} at k = {n_tr}", "rule": f"both < in-dist - {TOL}",
                         "verdict": _verdict(None if None in (a, c, d) else (c < a - TOL and d < a - TOL))})
            at_tr, at_te = (_v(_at(tf and tf["context"], "pooled", k)) for k in (n_tr, n_te - 1))
            claim = ("R^2 decreases beyond the pretraining length (Fig 4 caption)" if kind == "softmax" else
                     "ICL matches training 'regardless of whether the prompt lengths are within or exceed' the "
                     "pretraining length (F.1)")
            drop = None if at_tr is None or at_te is None else at_tr - at_te
            ok = None if drop is None else (drop > 0.05 if kind == "softmax" else drop <= TOL)
            rows.append({"figure": "Fig 4 caption / F.1", "claim": f"{kind}, N = {N}: {claim}",
                         "ours": f"{_f(at_tr)} at k = {n_tr} -> {_f(at_te)} at k = {n_te - 1} (every-position "
                                 f"curve)", "rule": "drop > 0.05" if kind == "softmax" else f"drop <= {TOL}",
                         "verdict": _verdict(ok)})
    Nt = s["depth_target"]
    for kind in ("softmax", "relu"):
        fig = "Fig 5" if kind == "relu" else "Fig 6"
        for mu in (0.0, -0.5, 0.5):
            c = _cond(res, Nt, MIXTURES[0], mu)
            tf = _tf(c, kind, L)
            t_k = _v(_at(tf and tf["grid"], "pooled", k_cmp))
            ffn = c and c.get("ffn")
            f_last = _v(_at(ffn and {"positions": ffn["positions"], **ffn["last"]}, "pooled", k_cmp))
            ok = None if t_k is None or f_last is None else (t_k >= f_last - TOL)
            rows.append({"figure": fig, "claim": f"{kind}, N = {Nt}, params ~ N({mu:g}, I): ICL ~ baseline "
                         "~ 0.8-0.95", "ours": f"TF {_f(t_k)} vs FFN last-epoch {_f(f_last)} at k = {k_cmp}",
                         "rule": f"TF >= FFN(last) - {TOL}; level >= 0.8",
                         "verdict": _verdict(ok) + ("" if t_k is None or t_k >= 0.8 else " (level < 0.8)")})
    c0 = _cond(res, Nt, MIXTURES[0])
    depths = sorted(set(s["depth_sweep"]) | {L})
    for kind in ("softmax", "relu"):
        vals = {}
        for Lyr in depths:
            tf = _tf(c0, kind, Lyr)
            vals[Lyr] = [_v(_at(tf and tf["context"], "pooled", k)) for k in s["depth_positions"]]
        mean = [None if any(v is None for v in vals[Lyr]) else float(np.mean(vals[Lyr])) for Lyr in depths]
        inc = None if None in mean else all(b >= a - 0.01 for a, b in zip(mean, mean[1:]))
        rows.append({"figure": "Fig 7", "claim": f"{kind}: R^2 increases with transformer depth "
                     f"(paper: {'0.846 -> 0.91' if kind == 'softmax' else '0.815 -> 0.883'}, 4 -> 10 layers)",
                     "ours": ", ".join(f"{Lyr} layers: {_f(m)}" for Lyr, m in zip(depths, mean)) +
                             f" (mean over k in {list(s['depth_positions'])})",
                     "rule": "non-decreasing (slack 0.01)", "verdict": _verdict(inc)})
    for r in rows:
        r["audit_claims"] = audit_claims_of(r["figure"])
    return rows


def audit_claims_of(figure: str) -> list[str]:
    """The audit claims (``wu2025.fig*``, inconclusive there: the paper's setting is not run) a row reads."""
    from ..audits.wu2025.figures import FIGURE_OF_ROW

    if figure in FIGURE_OF_ROW:
        return [FIGURE_OF_ROW[figure]]
    return [FIGURE_OF_ROW[p.strip()] for p in figure.split(" / ") if p.strip() in FIGURE_OF_ROW]


def observations(res: dict) -> list[str]:
    """Facts about the protocol that the point-by-point table does not show (each computed from the results)."""
    s = res["scale"]
    out = []
    gaps = []
    for c in res["conditions"].values():
        f = c.get("ffn")
        if f:
            for k, best, last in zip(f["positions"], f["best_epoch_oracle"]["per_prompt"], f["last"]["per_prompt"]):
                gaps.append(best[0] - last[0])
    if gaps:
        out.append(f"App F's baseline keeps each prompt's best epoch judged on the test query (an oracle): over "
                   f"{len(gaps)} (condition, k) cells the per-prompt R^2 of that choice exceeds the last epoch's by "
                   f"{np.mean(gaps):.3f} on average (max {np.max(gaps):.3f}).")
    n_tr = s["train_points"]
    drops = []
    for c in res["conditions"].values():
        if c["objective"] != 1:
            continue
        for name, tf in c["transformers"].items():
            a, b = (_v(_at(tf["context"], "pooled", k)) for k in (n_tr, n_tr + 1))
            if a is not None and b is not None:
                drops.append(a - b)
    if drops:
        out.append(f"Beyond the pretraining length the learned absolute position embeddings are untrained: from "
                   f"k = {n_tr} to k = {n_tr + 1} the pooled R^2 changes by {-np.mean(drops):+.3f} on average over "
                   f"{len(drops)} (model, condition) curves.")
    for c in res["conditions"].values():
        und = [u for tf in c["transformers"].values() for u in tf["grid"].get("per_prompt_undefined", [])]
        if und and max(und) > 0:
            out.append(f"{c['label']}, {c['depth']}-layer target: {max(und)} of {s['eval_prompts']} prompts have "
                       "constant labels on their held-out queries (every ReLU unit of the target off on these "
                       "inputs: no biases, mean-shifted weights), so their per-prompt R^2 is undefined and left out.")
    out.append("Pooled R^2 (variance across prompts in the denominator) is higher than per-prompt R^2 (variance "
               "within a prompt) throughout; App F does not say which it reports.")
    return out


def _verdict(ok) -> str:
    return "not measured" if ok is None else ("matches" if ok else "does not match")


# ------------------------------------------------------------------------------------------------- plots


def _savefig(fig, path: Path) -> None:
    """PNG written atomically with normal permissions (plots.save_figure's rule)."""
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=110, format="png")


def plots(res: dict, out: Path) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    s = res["scale"]
    files = []
    colors = ["C0", "C1", "C2", "C3"]
    for kind in ("relu", "softmax"):
        Ns = s["target_depths"]
        fig, axes = plt.subplots(1, len(Ns), figsize=(5 * len(Ns), 4), squeeze=False)
        for ax, N in zip(axes[0], Ns):
            for m, col in zip(MIXTURES, colors):
                tf = _tf(_cond(res, N, m), kind, s["layers"])
                if tf is None:
                    continue
                cur = tf["context"]
                k = np.array(cur["positions"])
                v = np.array(cur["pooled"])
                lab = "N(-2, I)" if m[1] == 0 else f"{m[0]:g}N(-2,I)+{m[1]:g}N(2,I)"
                ax.plot(k, v[:, 0], color=col, label=lab)
                ax.fill_between(k, v[:, 1], v[:, 2], color=col, alpha=0.2)
            c0 = _cond(res, N, MIXTURES[0])
            if c0 and c0.get("ffn"):
                f = c0["ffn"]
                ax.errorbar(f["positions"], [e[0] for e in f["last"]["pooled"]],
                            yerr=_err(f["last"]["pooled"]), fmt="s", color="gray", label="FFN on prompt (last epoch)")
                ax.plot(f["positions"], [e[0] for e in f["best_epoch_oracle"]["pooled"]], "x", color="k",
                        label="FFN (oracle best epoch)")
            ax.axvline(s["train_points"], color="k", lw=0.5, ls=":")
            ax.set_ylim(-1, 1.05)
            ax.set_title(f"{kind} transformer, {N}-layer target")
            ax.set_xlabel("in-context examples")
            ax.set_ylabel("R^2 (pooled, 95% CI)")
        axes[0][0].legend(fontsize=7)
        fig.tight_layout()
        name = f"fig_icl_{kind}.png"
        _savefig(fig, out / name)
        plt.close(fig)
        files.append(name)
    # per-prompt and pooled at the grid, in distribution, with all baselines
    Ns = s["target_depths"]
    fig, axes = plt.subplots(1, len(Ns), figsize=(5 * len(Ns), 4), squeeze=False)
    for ax, N in zip(axes[0], Ns):
        c0 = _cond(res, N, MIXTURES[0])
        if c0 is None:
            continue
        for kind, col in (("softmax", "C0"), ("relu", "C1")):
            tf = _tf(c0, kind, s["layers"])
            if tf:
                g = tf["grid"]
                ax.errorbar(g["positions"], [e[0] for e in g["per_prompt"]], yerr=_err(g["per_prompt"]), color=col,
                            label=f"{kind} TF (per prompt)", capsize=2)
                ax.plot(g["positions"], [e[0] for e in g["pooled"]], ls="--", color=col, label=f"{kind} TF (pooled)")
        for name, col in (("ridge", "C2"), ("one_nn", "C4"), ("context_mean", "C5")):
            g = c0["trivial"][name]
            ax.plot(g["positions"], [e[0] for e in g["per_prompt"]], ":", color=col, label=f"{name} (per prompt)")
        if c0.get("ffn"):
            f = c0["ffn"]
            ax.errorbar(f["positions"], [e[0] for e in f["last"]["per_prompt"]], yerr=_err(f["last"]["per_prompt"]),
                        fmt="s", color="gray", label="FFN last epoch (per prompt)")
        ax.set_ylim(-1.5, 1.05)
        ax.set_title(f"{N}-layer target, N(-2, I)")
        ax.set_xlabel("in-context examples")
        ax.set_ylabel("R^2")
    axes[0][0].legend(fontsize=6)
    fig.tight_layout()
    _savefig(fig, out / "fig_per_prompt.png")
    plt.close(fig)
    files.append("fig_per_prompt.png")
    # Objective 3 and 4
    Nt = s["depth_target"]
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for kind, ls in (("softmax", "-"), ("relu", "--")):
        for mu, col in ((0.0, "C0"), (-0.5, "C1"), (0.5, "C2")):
            tf = _tf(_cond(res, Nt, MIXTURES[0], mu), kind, s["layers"])
            if tf:
                cur = tf["context"]
                axes[0].plot(cur["positions"], [e[0] for e in cur["pooled"]], ls=ls, color=col,
                             label=f"{kind}, params ~ N({mu:g}, I)")
    axes[0].set_ylim(-1, 1.05)
    axes[0].set_title(f"Objective 3 ({Nt}-layer target)")
    axes[0].set_xlabel("in-context examples")
    axes[0].legend(fontsize=7)
    depths = sorted(set(s["depth_sweep"]) | {s["layers"]})
    c0 = _cond(res, Nt, MIXTURES[0])
    for kind, mk in (("softmax", "o-"), ("relu", "s--")):
        for k, col in zip(s["depth_positions"], ("C0", "C1", "C2")):
            ys = [_v(_at(_tf(c0, kind, Lyr) and _tf(c0, kind, Lyr)["context"], "pooled", k)) for Lyr in depths]
            axes[1].plot(depths, [np.nan if y is None else y for y in ys], mk, color=col, label=f"{kind}, k = {k}")
    axes[1].set_title("Objective 4: transformer depth")
    axes[1].set_xlabel("transformer layers")
    axes[1].set_ylabel("R^2 (pooled)")
    axes[1].legend(fontsize=7)
    fig.tight_layout()
    _savefig(fig, out / "fig_obj3_obj4.png")
    plt.close(fig)
    files.append("fig_obj3_obj4.png")
    if "softmax_study" in res:
        files.append(softmax_plot(res["softmax_study"], out))
    return files


def _err(v):
    a = np.array(v)
    return np.vstack([a[:, 0] - a[:, 1], a[:, 2] - a[:, 0]])


def softmax_plot(st: dict, out: Path) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(15, 4))
    g = st["gates"]
    M = [r["M"] for r in g]
    for key, lab, ls in (("softmax_err", "softmax sink gates (corrected)", "o-"),
                         ("softmax_uncorrected_err", "softmax sink gates (plain)", "^-"),
                         ("relu_err", "ReLU interpolant (Lemma 2/3 layer)", "s--")):
        for fn, col in (("r", "C0"), ("rp", "C1")):
            axes[0].loglog(M, [r[f"{key}_{fn}"] for r in g], ls, color=col, label=f"{lab}, {fn}")
    axes[0].set_xlabel("M (gates across [-R, R]; beta = M/2R)")
    axes[0].set_ylabel("sup error on [-R, R]")
    axes[0].set_title("Lemma 2/3 block: error vs size and temperature")
    axes[0].legend(fontsize=6)
    t = st["temperature"]
    axes[1].semilogy([r["beta"] for r in t], [r["softmax_err_r"] for r in t], "o-")
    axes[1].set_xlabel("inverse temperature beta (M = 40 gates fixed)")
    axes[1].set_ylabel("sup error (r)")
    axes[1].set_title("fixed size: too hot smooths, too cold is a staircase")
    gs = st["gradient_step"]
    for B in sorted({r["B"] for r in gs}):
        rows = [r for r in gs if r["B"] == B]
        axes[2].loglog([r["beta"] for r in rows], [r["relative_err"] for r in rows], "o-", label=f"sink score B = {B}")
    axes[2].set_xlabel("beta of the gradient heads (temperature 1/beta)")
    axes[2].set_ylabel("relative error vs the ReLU layer (C.16)")
    axes[2].set_title("gradient-step block")
    axes[2].legend(fontsize=7)
    fig.tight_layout()
    _savefig(fig, out / "fig_softmax_blocks.png")
    plt.close(fig)
    return "fig_softmax_blocks.png"


# ------------------------------------------------------------------------------------------------- Markdown


def markdown(res: dict, files: list[str]) -> str:
    s = res["scale"]
    L = []
    w = L.append
    w(f"# Wu et al. (ICML 2025), Section 5 / Appendix F reproduced: scale `{s['name']}`\n")
    w(f"Status: **{res.get('status')}**. Device `{res.get('device')}`, torch threads {res.get('threads')}, "
      f"seed {res.get('seed')}.\n")
    w("## Setup: paper vs this run\n")
    w("| | paper (App F) | this run |\n|---|---|---|")
    for k, paper, ours in [
        ("input dim d", "20", s["d"]), ("target N-layer networks", "3, 4, 6 layers; width/activation unspecified",
                                        f"{s['target_depths']} linear maps, width {s['target_width']}, ReLU, "
                                        "no biases"),
        ("transformer", "GPT-2, 12 blocks, 8 heads, width 256, MLP 256",
         f"{s['layers']} blocks, {s['heads']} heads, width {s['width']}, MLP {s['mlp']}"),
        ("pretraining", "500k steps, batch 64, 50 examples", f"{s['steps']} steps planned, batch {s['batch']}, "
                                                              f"{s['train_points']} examples, Adam {s['lr']}"),
        ("testing", "6400 prompts, 75 examples", f"{s['eval_prompts']} prompts, {s['test_points']} examples, "
                                                f"{s['eval_queries']} held-out queries per position"),
        ("FFN baseline", "3/4/6 layers, width 200, 100 epochs, best epoch",
         f"width {s['ffn_width']}, {s['ffn_epochs']} epochs, Adam {s['ffn_lr']}, {s['ffn_prompts']} prompts, "
         "best epoch (oracle) and last epoch"),
        ("encoding", "Garg et al. interleaved x, y tokens", s["encoding"]),
        ("depth sweep (Fig 7)", "4, 6, 8, 10 layers at 15/30/45 examples",
         f"{sorted(set(s['depth_sweep']) | {s['layers']})} layers at {list(s['depth_positions'])} examples")]:
        w(f"| {k} | {paper} | {ours} |")
    w("")
    w("Choices the paper leaves open (F18) and ours: the target network's form and scaling (weights iid N(mu, 1) "
      "applied as W h / sqrt(fan_in), ReLU hidden layers, linear output, each target standardised on N(-2, I)); the "
      "ReLU attention's normalisation (relu(q.k/sqrt(d_h)) / number of attended tokens); Adam with warmup and cosine "
      "decay; no curriculum.  R^2 is reported pooled across prompts and per prompt (mean over prompts of the "
      "prompt's R^2 over its held-out queries), each with a 95% percentile bootstrap CI over prompts "
      f"({s['bootstrap']} draws).  The paper's FFN baseline picks the best epoch with the test query (an oracle); "
      "we show that and the last epoch.\n")
    w("## Training\n")
    w("| model | target N | layers | steps done / planned | final train MSE | seconds |\n|---|---|---|---|---|---|")
    for name, m in res["models"].items():
        w(f"| {m['kind']} | {m['depth']} | {m['layers']} | {m['steps_done']} / {m['steps']}"
          f"{' (truncated by the time budget)' if m.get('truncated') else ''} | {_f(m.get('final_loss'), 4)} | "
          f"{m['seconds']:.0f} |")
    w("")
    done = [m["steps_done"] for m in res["models"].values()]
    if done:
        w(f"Pretraining is truncated relative to the paper's 500k steps: {min(done)}-{max(done)} steps per model in "
          f"this run ({sum(m.get('truncated', False) for m in res['models'].values())} of {len(done)} models stopped "
          "by their share of the time budget before their planned steps).\n")
    w("## Observations computed from this run\n")
    for line in observations(res):
        w(f"* {line}")
    w("")
    w("## The paper's Figures 2-7, point by point\n")
    w("Paper values are read off its plots (spec 8.2). 'matches' / 'does not match' follow the rule shown; at this "
      "scale a mismatch is a finding about this reproduction, not necessarily about the paper.\n")
    rows = verdicts(res)
    tally = {v: sum(r["verdict"].startswith(v) for r in rows) for v in ("matches", "does not match", "not measured")}
    w(f"Tally: {tally['matches']} match, {tally['does not match']} do not match, {tally['not measured']} not "
      f"measured, of {len(rows)} points.\n")
    w("Each row reads an audit claim (`icl-verify audit wu2025`: inconclusive there, the paper's setting is a GPU "
      "pretraining run); this table is our reduced-scale evidence for it.\n")
    w("| figure (audit claim) | paper's claim | this run | rule | verdict |\n|---|---|---|---|---|")
    cell = lambda t: str(t).replace("|", "\\|")  # noqa: E731
    for r in rows:
        ids = ", ".join(f"`{c}`" for c in r.get("audit_claims") or [])
        w(f"| {cell(r['figure'])} ({ids or '-'}) | {cell(r['claim'])} | {cell(r['ours'])} | {cell(r['rule'])} | "
          f"**{cell(r['verdict'])}** |")
    w("")
    w("## R^2 at the evaluation positions (pooled and per prompt, 95% bootstrap CI)\n")
    for key, c in res["conditions"].items():
        w(f"### Objective {c['objective']}: {c['depth']}-layer target, {c['label']}\n")
        ks = None
        curves = {}
        for name, tf in c["transformers"].items():
            curves[f"TF {name}"] = tf["grid"]
        for name, g in c["trivial"].items():
            curves[name] = g
        if c.get("ffn"):
            f = c["ffn"]
            curves[f"FFN last epoch ({f['prompts']} prompts)"] = {"positions": f["positions"], **f["last"]}
            curves["FFN best epoch (oracle)"] = {"positions": f["positions"], **f["best_epoch_oracle"]}
        ks = sorted({k for g in curves.values() for k in g["positions"]})
        w("| curve | " + " | ".join(f"k = {k}" for k in ks) + " |")
        w("|---|" + "---|" * len(ks))
        for name, g in curves.items():
            w(f"| {name} pooled | " + " | ".join(_ci(_at(g, "pooled", k)) for k in ks) + " |")
            if "per_prompt" in g:
                w(f"| {name} per prompt | " + " | ".join(_ci(_at(g, "per_prompt", k)) for k in ks) + " |")
        w("")
    if "softmax_study" in res:
        w(softmax_markdown(res["softmax_study"]))
    if "appg" in res:
        w("## Appendix G: ICL for a closed-form score (ours)\n")
        w("Gaussian data P_0 = N(mu, s^2), OU forward process, labels 1/2 + c grad log p_t(x) on inputs (x, t); "
          "the Theorem-4 construction (d_x = 2, d_y = 1, K = 3, N = 3, n = 16, L = 3, sigmoid, eta = 1/2, "
          "M = 80) against projected GD.\n")
        w("| mu | s^2 | max_l ‖w_TF^l - w_GD^l‖ | held-out label MSE w^(0) -> w^(L) | label variance |\n"
          "|---|---|---|---|---|")
        for r in res["appg"]:
            w(f"| {r['task']['mu']} | {r['task']['s2']} | {r['max_w_dev']:.3g} | "
              f"{' -> '.join(f'{v:.4g}' for v in r['heldout_mse'])} | {r['score_var']:.4g} |")
        w("")
    w("## Plots\n")
    for f in files:
        w(f"![{f}]({f})\n")
    w("## Timing\n")
    for k, v in res.get("timing", {}).items():
        w(f"* {k}: {v:.0f} s")
    w("")
    return "\n".join(L)


def softmax_markdown(st: dict) -> str:
    L = []
    w = L.append
    w("## Softmax substitutes for the ReLU-attention layers (ours; Theorem 2 is existence-only)\n")
    ns = st["naive_swap"]
    w(f"Naive swap (spec 7, item 2): Lemma 2's first layer with softmax in place of ReLU outputs sum_m c_m = "
      f"{ns['sum_c']:.6f} for every token and prompt (max deviation {ns['softmax_output_minus_sum_c']:.2e}); the ReLU "
      f"layer's outputs on two prompts differ by {ns['relu_outputs_differ_by']:.3f}. Keys that read only w and 1 "
      "give equal scores, and softmax over equal scores is uniform.\n")
    w("Sink-gate block (Lemma 2/3): each head sees n+1 equal scores plus a sink key of score 0, so its total weight "
      "is a logistic gate S(beta (z - m_q)); M gates across [-R, R] (R = 3.1, sigmoid), beta = M/2R, node values "
      "corrected for the h^2 smoothing term. Sup errors on [-R, R] (dense grid):\n")
    w("| M | heads | beta | softmax r | softmax r (plain) | ReLU layer r | softmax vs ReLU layer (r) | softmax r' | "
      "ReLU layer r' |\n|---|---|---|---|---|---|---|---|---|")
    for r in st["gates"]:
        w(f"| {r['M']} | {r['heads_r']} | {r['beta']:.3g} | {r['softmax_err_r']:.2e} | "
          f"{r['softmax_uncorrected_err_r']:.2e} | {r['relu_err_r']:.2e} | {r['softmax_vs_relu_layer_r']:.2e} | "
          f"{r['softmax_err_rp']:.2e} | {r['relu_err_rp']:.2e} |")
    w("\nFixed size (M = 40), varying the temperature:\n")
    w("| beta | temperature | sup error (r) |\n|---|---|---|")
    for r in st["temperature"]:
        w(f"| {r['beta']:.3g} | {r['temperature']:.3g} | {r['softmax_err_r']:.2e} |")
    w("\nGradient-step block (heavy sink: scores +-beta s_t - B, values -+kappa p_t), error vs the ReLU layer (C.16) "
      "on the same state:\n")
    w("| B | beta | relative error | kappa |\n|---|---|---|---|")
    for r in st["gradient_step"]:
        w(f"| {r['B']} | {r['beta']:g} | {r['relative_err']:.2e} | {r['kappa']:.3g} |")
    w("\nWhole (2N+4)L model, spec-11.1 instance (d = 2, K = 3, N = 3, n = 4, L = 2), one prompt: "
      "max_l ‖eps^(l-1)‖ (Theorem 2's form) and ‖w^L - w_GD^L‖:\n")
    w("| M | ReLU max eps | softmax max eps | ReLU w dev | softmax w dev | softmax heads / block |\n"
      "|---|---|---|---|---|---|")
    for r in st["construction"]:
        w(f"| {r['M']} | {r['relu_max_eps']:.2e} | {r['softmax_max_eps']:.2e} | {r['relu_w_dev']:.2e} | "
          f"{r['softmax_w_dev']:.2e} | {r['softmax_heads_per_block']} |")
    w("\nTheorem 2's 4L architecture (FF1 o Attn o FF2, then the projection MLP; FF1 fitted, Attn with uniform "
      "weights, FF2 and the projection exact), micro example d = 1, K = 2, N = 2, n = 4, L = 2:\n")
    w("| FF1 width | held-out sup ‖FF1 - grad l‖ | max_l ‖eps^(l-1)‖ / eta | prompts |\n|---|---|---|---|")
    for r in st["theorem2_4L"]:
        w(f"| {r['width']} | {r['heldout_sup_grad_err']:.3g} | {r['max_eps_over_eta']:.3g} | {r['prompts']} |")
    w("\nTheorem 2 asks for ‖eps^(l-1)‖ <= eta eps: the last column is the eps this model reaches on these "
      "prompts.\n")
    return "\n".join(L)


def write_report(res: dict, out: Path) -> Path:
    out = Path(out)
    files = plots(res, out)
    path = out / "report.md"
    write_text_atomic(path, markdown(res, files))
    return path
