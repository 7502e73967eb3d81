"""Executors of a construction (``symbolic.transformer`` data), all computing the same function:

* ``dense``: per head, dense D x D matrices, literally Definitions 6-8 (the reference; small sizes);
* ``batched``: torch, heads batched through sparse gathers (float32/float64, CPU/CUDA);
* ``highprec``: the same sparse form over exact ``Fraction``s or mpmath numbers at any precision.

``run_layers(layers, H, executor)`` applies layers in order and returns the states after each layer.
"""
from __future__ import annotations

from typing import Callable, Sequence


def run_layers(layers: Sequence, H, apply: Callable, record: bool = True, progress: Callable | None = None):
    """Apply ``apply(layer, H)`` for every layer; return (final H, [H after layer 1, ...] if record).
    ``progress()`` is called after each layer."""
    trace = []
    for layer in layers:
        H = apply(layer, H)
        if record:
            trace.append(H)
        if progress is not None:
            progress()
    return H, trace
