#!/usr/bin/env bash
# The CUDA checks of issue 16, bounded to fit a short GPU lease (defaults: under 10 minutes in all).
#
#   benchmarks/gpu_check.sh [OUT_DIR]          # default runs/gpu-check
#
# 1. `pytest -m gpu` (the CUDA tests), 2. `icl-verify bench --quick --device cuda --json`, 3. a slice of
# `icl-verify experiment wu2025-icl --scale gpu` stopped by its time budget, then `--resume` to show it continues.
# Everything goes under OUT_DIR: env.txt, one log per step, bench-cuda.json (+ bench.md, plot), the experiment's
# folder, summary.md.  Without a CUDA device the CUDA steps are skipped and say so (exit 0); GPU_CHECK_FORCE=1 runs
# them anyway on the CPU to test this script (the bench on cpu, the experiment slice at --scale cpu).
# Limits (seconds): GPU_CHECK_PYTEST_S (180), GPU_CHECK_BENCH_S (240), GPU_CHECK_EXPERIMENT_S (45 per invocation).
# GPU_CHECK_EXPERIMENT_ARGS: extra options for both experiment invocations (e.g. "--allow-large").
# GPU_CHECK_ALL_GPU_TESTS=1 also runs tests/test_wu2025_experiment.py::test_gpu_experiment_runs_and_resumes, whose
# `--resume` half has no time budget (step 3 runs the same flow bounded).
set -u
OUT=${1:-runs/gpu-check}
mkdir -p "$OUT"
PY=${PYTHON:-python}
T_PYTEST=${GPU_CHECK_PYTEST_S:-180}; T_BENCH=${GPU_CHECK_BENCH_S:-240}; T_EXP=${GPU_CHECK_EXPERIMENT_S:-45}
SUMMARY="$OUT/summary.md"
echo "# GPU check ($(date -u +%Y-%m-%dT%H:%M:%SZ))" > "$SUMMARY"

CUDA=$($PY -c "import torch; print(int(torch.cuda.is_available()))" 2>/dev/null || echo 0)
{
  $PY -c "import torch, platform; print('torch', torch.__version__, 'cuda', torch.version.cuda, 'python', platform.python_version())"
  if [ "$CUDA" = 1 ]; then
    $PY -c "import torch; p = torch.cuda.get_device_properties(0); print('device', torch.cuda.get_device_name(0), f'{p.total_memory / 2**30:.0f} GiB')"
    nvidia-smi -L 2>/dev/null || true
  else
    echo "device: none (torch.cuda.is_available() is False)"
  fi
} > "$OUT/env.txt" 2>&1
cat "$OUT/env.txt" | tee -a "$SUMMARY"
echo >> "$SUMMARY"

step() {  # step NAME LIMIT_S COMMAND...: run with a timeout, log, record rc and seconds
  local name=$1 limit=$2; shift 2
  local t0=$SECONDS
  echo "== $name (limit ${limit}s): $*"
  timeout --kill-after=10 "$limit" "$@" > "$OUT/$name.log" 2>&1
  local rc=$?
  local note=""; [ $rc = 124 ] || [ $rc = 137 ] && note=" (stopped by the ${limit}s limit)"
  echo "| $name | rc $rc$note | $((SECONDS - t0)) s | \`$*\` |" >> "$SUMMARY"
  tail -n 3 "$OUT/$name.log"
}

echo "| step | result | time | command |" >> "$SUMMARY"
echo "|---|---|---|---|" >> "$SUMMARY"
DESELECT=(--deselect tests/test_wu2025_experiment.py::test_gpu_experiment_runs_and_resumes)
[ "${GPU_CHECK_ALL_GPU_TESTS:-0}" = 1 ] && DESELECT=()
# pytest -m gpu skips every test cleanly without CUDA (tests/conftest.py): it runs either way
step pytest_gpu "$T_PYTEST" $PY -m pytest -m gpu -q -rs -p no:cacheprovider --continue-on-collection-errors "${DESELECT[@]}" \
  --junitxml="$OUT/pytest-gpu.xml"

if [ "$CUDA" = 1 ] || [ "${GPU_CHECK_FORCE:-0}" = 1 ]; then
  DEV=cuda; SCALE=gpu; [ "$CUDA" = 1 ] || { DEV=cpu; SCALE=cpu; }
  step bench_$DEV "$T_BENCH" $PY -m proofs_check bench --quick --device $DEV --json "$OUT/bench-$DEV.json" \
    --out "$OUT/bench-$DEV"
  # the paper's scale, stopped cleanly by the time budget (checkpoint + partial results), then continued
  step experiment_$SCALE "$((T_EXP + 120))" env ICL_VERIFY_TIME_BUDGET_S=$T_EXP \
    $PY -m proofs_check experiment wu2025-icl --scale $SCALE --steps 200 --out "$OUT/experiment" --device $DEV \
    ${GPU_CHECK_EXPERIMENT_ARGS:-}
  step experiment_${SCALE}_resume "$((T_EXP + 120))" env ICL_VERIFY_TIME_BUDGET_S=$T_EXP \
    $PY -m proofs_check experiment wu2025-icl --scale $SCALE --steps 200 --out "$OUT/experiment" --device $DEV \
    ${GPU_CHECK_EXPERIMENT_ARGS:-} --resume
  $PY - "$OUT" "$DEV" >> "$SUMMARY" <<'EOF'
import json, sys
from pathlib import Path
out, dev = Path(sys.argv[1]), sys.argv[2]
b = out / f"bench-{dev}.json"
if b.exists():
    d = json.loads(b.read_text())
    print(f"\n## bench --quick --device {dev} ({d['device']}, {d['seconds']:.0f} s)\n")
    print("| case | candidate s | baseline s | ratio | ratio of minima | peak memory |\n|---|---|---|---|---|---|")
    for r in d["cases"]:
        mem = "-" if r["peak_mem_bytes"] is None else f"{r['peak_mem_bytes'] / 2**20:.0f} MiB"
        print(f"| {r['case']} | {r['candidate_s']:.4g} | {r['baseline_s']:.4g} | {r['ratio']:.3g} | "
              f"{r['details']['ratio_of_minima']:.3g} | {mem} |")
    for t in d["targets"]:
        print(f"- target: {t['target']}: measured {t['measured']} -> {t['met']}")
p = out / "experiment" / "results.partial.json"
if p.exists():
    r = json.loads(p.read_text())
    done = {k: v.get("steps_done") for k, v in r.get("models", {}).items()}
    print(f"\n## experiment slice: device {r.get('device')}, models (steps done) {done}, "
          f"conditions evaluated {len(r.get('conditions', {}))}")
EOF
else
  echo "no CUDA device: the CUDA bench and the gpu-scale experiment were not run (GPU_CHECK_FORCE=1 runs them on CPU)" \
    | tee -a "$SUMMARY"
fi
echo "summary: $SUMMARY"
