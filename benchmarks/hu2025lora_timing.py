"""Standalone timing of the exact (row-blocked, App. F) vs the low-rank LoRA gradient (Hu et al., ICLR 2025).

    python benchmarks/hu2025lora_timing.py [--d 4] [--g 10] [--threads 1] [--max-exact 16384] [--max-approx 65536]

Prints one JSON object: the times, the fitted log-log slopes (upper half of each sweep) and the crossover L.
A measurement, not a test: nothing here asserts a timing.
"""
from __future__ import annotations

import argparse
import json

import torch

from numeric.hu2025lora.timing import sweep


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--d", type=int, default=4)
    p.add_argument("--g", type=int, default=10)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--max-exact", type=int, default=16384)
    p.add_argument("--max-approx", type=int, default=65536)
    p.add_argument("--device", default="auto")
    a = p.parse_args(argv)
    torch.set_num_threads(a.threads)
    Ls = lambda top: [2 ** m for m in range(10, top.bit_length())]  # noqa: E731
    res = sweep(Ls(a.max_exact), Ls(a.max_approx), d=a.d, g=a.g, device=a.device)
    print(json.dumps(res, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
