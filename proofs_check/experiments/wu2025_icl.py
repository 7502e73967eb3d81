"""``icl-verify experiment wu2025-icl --scale cpu|gpu [--out DIR] [--seed S] [--resume]``: Section 5 / App F of
Wu et al. (numeric.wu2025.icl_experiment).

cpu: d = 5, 3-block width-64 transformers, ~1000 steps each, a shared training budget (ICL_VERIFY_TRAIN_BUDGET_S,
default 480 s) so the run ends in under 20 minutes on 2 cores; gpu: the paper's d = 20, 12 blocks, 8 heads, width
256, checkpointed (ICL_VERIFY_TIME_BUDGET_S stops an invocation cleanly; --resume continues).  Shared options:
--dim (d), --depth (one target depth), --width (transformer width), --context (training examples), --steps
(training steps), --device, --seed; each is validated (proofs_check.validation) before anything runs, with a memory
estimate (--allow-large overrides).  --resume continues only a run made with the same options and code.
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from symbolic.errors import require_int, require_real


def main(args) -> int:
    from numeric.wu2025.icl_experiment.config import scale_from_args
    from .wu2025_icl_run import run_experiment

    scale = scale_from_args(args)
    seed = require_int("--seed", getattr(args, "seed", None) or 0, 0, 2**31 - 1)
    out = Path(args.out) if getattr(args, "out", None) else Path("runs") / f"experiment-wu2025-icl-{scale.name}"
    train_budget = None
    if scale.name == "cpu":
        train_budget = require_real("ICL_VERIFY_TRAIN_BUDGET_S", os.environ.get("ICL_VERIFY_TRAIN_BUDGET_S") or 480, 1)
    est = getattr(args, "resource_estimate", None)
    if est is not None:
        note = f"; training stops at its shared budget of {train_budget:.0f} s" if train_budget else ""
        print(f"estimate: {est.text()}{note}", file=sys.stderr, flush=True)
    t0 = time.monotonic()
    res = run_experiment(scale, out, seed=seed, resume=bool(getattr(args, "resume", False)),
                         train_budget_s=train_budget, log=lambda m: print(m, file=sys.stderr, flush=True))
    print(f"{res.get('status')}: {out / 'report.md' if res.get('status') == 'complete' else out} "
          f"({time.monotonic() - t0:.0f} s)")
    return 0
