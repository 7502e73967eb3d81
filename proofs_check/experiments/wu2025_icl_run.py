"""The orchestration of ``icl-verify experiment wu2025-icl``: pretrain, evaluate, baselines, the Softmax-substitute
study, App G, report.  The numeric pieces (data, models, training, baselines, metrics) live in
numeric/wu2025/icl_experiment; this module (moved from there: numeric/ never imports proofs_check/) runs them and
writes the results.

Partial results (``results.partial.json``) and checkpoints are written as it goes.  A run stops cleanly when its
time budget is spent (``budget_s``; the environment variable ICL_VERIFY_TIME_BUDGET_S overrides it): training is
checkpointed, and ``resume=True`` continues (finished models and evaluated conditions are not redone).  The partial
file records the full configuration (scale, seed, code version); resuming with any other refuses (ConfigError
naming the differing options, before anything is written).  At the cpu scale the training budget is shared between
the models, so the run ends in time on a loaded machine and the report says at which step each model stopped; a
resumed run gets what is left of that budget, not a fresh one.
"""
from __future__ import annotations

import json
import math
import os
import time
from dataclasses import replace
from pathlib import Path

import torch

from numeric.backends import pick_device
from numeric.wu2025.icl_experiment.config import MIXTURES, PARAM_MEANS, Scale
from numeric.wu2025.icl_experiment.evaluate import (Condition, evaluate_ffn, evaluate_transformer, evaluate_trivial,
                                                    test_prompts)
from numeric.wu2025.icl_experiment.train import build_model, train
from symbolic.errors import ConfigError

from ..environment import environment
from ..io import Progress, write_json_atomic

KINDS = ("softmax", "relu")


def conditions(scale: Scale) -> list[tuple[int, Condition]]:
    """(objective, condition): Objectives 1-2 (every depth x mixture) and 3 (parameter shift, N = depth_target)."""
    out = [(1, Condition(N, m)) for N in scale.target_depths for m in MIXTURES]
    if scale.depth_target in scale.target_depths:
        out += [(3, Condition(scale.depth_target, MIXTURES[0], mu)) for mu in PARAM_MEANS if mu != 0]
    return out


def model_specs(scale: Scale) -> list[dict]:
    """Main models (kind x target depth) and the Objective-4 depth sweep (extra transformer depths)."""
    specs = [{"kind": k, "depth": N, "layers": scale.layers, "steps": scale.steps, "role": "main"}
             for N in scale.target_depths for k in KINDS]
    if scale.depth_target in scale.target_depths:
        specs += [{"kind": k, "depth": scale.depth_target, "layers": Lyr, "steps": scale.depth_steps, "role": "depth"}
                  for Lyr in scale.depth_sweep if Lyr != scale.layers for k in KINDS]
    for s in specs:
        s["name"] = f"{s['kind']}_N{s['depth']}_L{s['layers']}"
    return specs


def _threads(scale: Scale) -> int:
    env = os.environ.get("ICL_VERIFY_THREADS")
    return int(env) if env else (1 if scale.name == "cpu" else max(1, min(16, os.cpu_count() or 1)))


SCALE_FLAGS = {"name": "--scale", "d": "--dim", "target_depths": "--depth", "depth_target": "--depth",
               "width": "--width", "train_points": "--context", "test_points": "--context", "steps": "--steps",
               "depth_steps": "--steps", "device": "--device"}


def _code_version() -> str | None:
    try:
        from ..environment import code_version
    except ImportError:  # pragma: no cover - older environment module
        return None
    return code_version()


def run_config(scale: Scale, seed: int, train_budget_s) -> dict:
    """What a partial file must match to be resumed: every size of the scale, the seed, the training budget, the
    code version."""
    return {"scale": json.loads(json.dumps(scale.to_dict())), "seed": seed, "train_budget_s": train_budget_s,
            "code_version": _code_version()}


def resume_differences(old: dict, new: dict) -> list[str]:
    """The options (as flags where there is one) in which two run configurations differ."""
    diffs = []
    if old.get("seed") != new.get("seed"):
        diffs.append(f"--seed ({old.get('seed')} then, {new.get('seed')} now)")
    so, sn = old.get("scale", {}), new.get("scale", {})
    seen = set()
    for k in sorted(set(so) | set(sn)):
        if so.get(k) != sn.get(k):
            flag = SCALE_FLAGS.get(k, f"scale field {k}")
            if flag in seen:
                continue
            seen.add(flag)
            diffs.append(f"{flag} ({k} = {so.get(k)} then, {sn.get(k)} now)")
    if old.get("train_budget_s") != new.get("train_budget_s"):
        diffs.append(f"ICL_VERIFY_TRAIN_BUDGET_S ({old.get('train_budget_s')} then, {new.get('train_budget_s')} now)")
    if old.get("code_version") != new.get("code_version"):
        diffs.append(f"the code version ({old.get('code_version')} then, {new.get('code_version')} now)")
    return diffs


def check_resume(out: Path, config: dict) -> dict:
    """The partial results to continue (empty when there are none); ConfigError when they were made with other
    options.  Reads only."""
    partial = Path(out) / "results.partial.json"
    if not partial.is_file():
        return {}
    try:
        res = json.loads(partial.read_text())
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise ConfigError("--resume", f"{partial} is not a readable partial result ({exc}); remove it or run "
                                      "without --resume into another folder") from None
    if not isinstance(res, dict) or "run_config" not in res:
        raise ConfigError("--resume", f"{partial} records no run configuration (written by an older version); "
                                      "run without --resume into another folder")
    diffs = resume_differences(res["run_config"], config)
    if diffs:
        raise ConfigError("--resume", f"the partial results in {out} were made with other options: "
                                      + "; ".join(diffs) + " (resume with the same options, or use another --out)")
    return res


def run_experiment(scale: Scale, out: Path, seed: int = 0, resume: bool = False, budget_s: float | None = None,
                   train_budget_s: float | None = None, studies: bool = True, log=print) -> dict:
    """Run (or continue) the experiment into ``out``; returns the results dict (``status``: 'complete'/'partial').

    ``budget_s``: hard stop of this invocation (checkpoint, partial results); ``train_budget_s``: the training
    time shared between the models (each stops at its share, its step recorded), None = train every model fully."""
    threads = torch.get_num_threads()
    try:
        return _run(scale, Path(out), seed, resume, budget_s, train_budget_s, studies, log)
    finally:
        torch.set_num_threads(threads)


def _run(scale: Scale, out: Path, seed: int, resume: bool, budget_s, train_budget_s, studies: bool, log) -> dict:
    t_start = time.monotonic()
    env_budget = os.environ.get("ICL_VERIFY_TIME_BUDGET_S")
    budget_s = float(env_budget) if env_budget else budget_s
    deadline = t_start + budget_s if budget_s is not None else math.inf
    config = run_config(scale, seed, train_budget_s)
    res = check_resume(out, config) if resume else {}
    if resume and not res:
        log(f"nothing to resume in {out}: starting a new run")
    out.mkdir(parents=True, exist_ok=True)
    device = pick_device(scale.device)
    torch.set_num_threads(_threads(scale))
    partial = out / "results.partial.json"
    res.update({"scale": scale.to_dict(), "seed": seed, "device": str(device), "threads": torch.get_num_threads(),
                "run_config": config})
    res.setdefault("models", {})
    res.setdefault("conditions", {})
    res.setdefault("timing", {})

    def save():
        write_json_atomic(partial, res)

    # ---------------------------------------------------------------- pretraining
    specs = model_specs(scale)
    models = {}
    t_train = time.monotonic()
    # cpu: the training budget is shared in proportion to cost; a depth-sweep model costs ~ layers/L of a main one
    # and trains exactly as many steps as the main model of its kind reached, so Fig 7's comparison is at equal steps
    units = {s["name"]: 1.0 if s["role"] == "main" else s["layers"] / scale.layers for s in specs}
    # the shared training budget counts every invocation: a resumed run gets what is left of it
    spent = sum(float(m.get("seconds") or 0.0) for m in res["models"].values())
    train_deadline = deadline if train_budget_s is None else min(deadline, t_start + max(0.0, train_budget_s - spent))
    for i, spec in enumerate(specs):
        name = spec["name"]
        ckpt = out / "checkpoints" / f"{name}.pt"
        status = res["models"].get(name, {})
        if status.get("done") and ckpt.exists():
            m = build_model(scale, spec["kind"], spec["layers"]).to(device)
            m.load_state_dict(torch.load(ckpt, map_location=device, weights_only=False)["model"])
            models[name] = m.eval()
            continue
        steps, my_deadline = spec["steps"], deadline
        if train_budget_s is not None:
            if spec["role"] == "depth":
                main = res["models"].get(f"{spec['kind']}_N{spec['depth']}_L{scale.layers}", {})
                steps = main.get("steps_done", steps)
            else:
                left = [s["name"] for s in specs[i:] if not res["models"].get(s["name"], {}).get("done")]
                share = units[name] / sum(units[n] for n in left)
                my_deadline = time.monotonic() + share * max(0.0, train_deadline - time.monotonic())
        allowed = min(my_deadline, deadline) - time.monotonic()
        log(f"training {name} ({steps} steps, " + (f"{allowed:.0f}s allowed)" if math.isfinite(allowed) else
                                                   "no time limit)"))
        bar = Progress(steps, f"training {name}", unit="step")
        try:
            r = train(scale, spec["kind"], spec["depth"], seed + 1000 * i, device, ckpt=ckpt, resume=resume,
                      steps=steps, layers=spec["layers"], deadline=min(my_deadline, deadline), log=log,
                      progress=lambda step, loss: (bar.to(step), bar.status(loss=f"{loss:.4f}")))
        finally:
            bar.close()
        models[name] = r.model
        truncated = not r.done and time.monotonic() < deadline  # its share of the cpu budget ran out, not the run's
        res["models"][name] = {**spec, "steps": steps, "steps_done": r.step, "done": r.done or truncated,
                               "truncated": truncated, "seconds": r.seconds, "losses": r.losses,
                               "final_loss": r.losses[-1][1] if r.losses else None}
        save()
        if not r.done and not truncated:
            return _stop(res, save, t_start, "training", log)
    res["timing"]["training_s"] = res["timing"].get("training_s", 0.0) + time.monotonic() - t_train

    # ---------------------------------------------------------------- evaluation
    t_eval = time.monotonic()
    todo = [(obj, cond) for obj, cond in conditions(scale) if cond.key not in res["conditions"]]
    ebar = Progress(len(todo), "evaluating", unit="condition")
    for obj, cond in todo:
        if time.monotonic() > deadline:
            ebar.close()
            return _stop(res, save, t_start, "evaluation", log)
        log(f"evaluating {cond.key}")
        b = test_prompts(scale, cond, seed, device)
        c = {"objective": obj, "depth": cond.depth, "mixture": list(cond.mixture), "param_mean": cond.param_mean,
             "label": cond.label(), "transformers": {}}
        for spec in specs:
            if spec["depth"] == cond.depth and (spec["role"] == "main" or
                                                (obj == 1 and cond.mixture == MIXTURES[0])):
                c["transformers"][spec["name"]] = evaluate_transformer(models[spec["name"]], b, scale, seed)
        c["trivial"] = evaluate_trivial(b, scale, seed)
        if obj == 3 or MIXTURES.index(cond.mixture) in scale.ffn_mixtures:
            c["ffn"] = evaluate_ffn(b, cond, scale, seed)
        res["conditions"][cond.key] = c
        save()
        ebar()
    ebar.close()
    res["timing"]["evaluation_s"] = res["timing"].get("evaluation_s", 0.0) + time.monotonic() - t_eval

    # ---------------------------------------------------------------- Softmax substitute and App G
    if studies and "softmax_study" not in res:
        if time.monotonic() > deadline:
            return _stop(res, save, t_start, "studies", log)
        t_s = time.monotonic()
        log("softmax-substitute study (symbolic.wu2025.softmax)")
        res["softmax_study"] = softmax_study(quick=scale.name != "gpu")
        res["timing"]["softmax_study_s"] = time.monotonic() - t_s
        save()
    if studies and "appg" not in res:
        t_s = time.monotonic()
        log("Appendix G check")
        from numeric.wu2025.icl_experiment.appg import ScoreTask, appg_check

        res["appg"] = [appg_check(ScoreTask(mu=mu, s2=s2), seed=seed) for mu, s2 in ((0.5, 0.5), (-1.0, 2.0))]
        res["timing"]["appg_s"] = time.monotonic() - t_s
        save()
    res["status"] = "complete"
    res["timing"]["this_invocation_s"] = time.monotonic() - t_start
    res["environment"] = environment(device=str(device), seed=seed)
    save()
    write_json_atomic(out / "results.json", res)
    from .wu2025_icl_report import write_report

    write_report(res, out)
    return res


def _stop(res, save, t_start, phase, log) -> dict:
    res["status"] = f"partial (time budget spent during {phase}; continue with --resume)"
    res["timing"]["this_invocation_s"] = time.monotonic() - t_start
    save()
    log(res["status"])
    return res


def softmax_study(quick: bool = True) -> dict:
    """The Softmax blocks' errors vs size/temperature (numeric.wu2025.softmax) for the report."""
    from numeric.wu2025 import softmax as S
    from symbolic.wu2025.config import WuConfig

    cfg = WuConfig(radius="3.1", knots=80)
    micro = replace(cfg, d_in=1, d_out=1, K=2, N=2)
    out = {"naive_swap": {k: v for k, v in S.naive_swap_demo(cfg).items() if not k.endswith("_p1")},
           "gates": S.gate_table(Ms=(10, 20, 40, 80, 160, 320)),
           "temperature": S.temperature_sweep(M=40, factors=(0.25, 0.5, 1, 2, 4, 8)),
           "gradient_step": S.gradient_step_table(cfg),
           "construction": S.construction_table(cfg, Ms=(20, 40, 80) if quick else (20, 40, 80, 160)),
           "theorem2_4L": S.theorem2_table(micro, widths=(16, 64, 256), steps=800 if quick else 4000,
                                           prompts=4 if quick else 16),
           "config": cfg.to_dict(), "theorem2_config": micro.to_dict()}
    return out
