"""Performance of Wu et al.'s construction against same-run baselines: a thin wrapper of ``icl-verify bench``.

    python benchmarks/construction_speed.py --quick --json runs/bench/bench.json   # ~1 min on 2 CPU cores (full: 2-6)
    python benchmarks/construction_speed.py --device cuda --out runs/bench-cuda      # the full plan on a GPU

Every option is ``icl-verify bench``'s (``proofs_check.bench``); see benchmarks/README.md for the cases.
"""
import sys

from proofs_check.cli import main

if __name__ == "__main__":
    sys.exit(main(["bench", *sys.argv[1:]]))
