"""Executors of a construction (``symbolic.transformer`` data), all computing the same function:

* ``dense``: per head, dense D x D matrices, literally Definitions 6-8 (the reference; small sizes);
* ``batched``: torch, heads batched through sparse gathers (float32/float64, CPU/CUDA);
* ``structured``: torch, Wu et al.'s layers from their ``structure``, tokens stored slot by slot (a leading batch
  dimension runs many prompts in one call);
* ``highprec``: the same sparse form over exact ``Fraction``s or mpmath numbers at any precision;
* ``arb``: Arb balls over the structured form.

``run_layers(layers, H, executor)`` applies layers in order and returns the states after each layer.

Executors keep what they derive from a layer (compiled heads, packed index tensors, plans) in a ``LayerCache``:
a side table keyed weakly by the layer object, beside the construction and never on its layer objects, so a
construction stays plain data (picklable, comparable, free of executor state) and the entries go with it.
"""
from __future__ import annotations

import weakref
from typing import Callable, Sequence


class LayerCache:
    """Memo of one executor: ``get(layer, key, make)`` returns ``make()`` computed once per (layer, key).

    Entries live in a ``WeakKeyDictionary`` keyed by the layer object (layers compare by identity), so they are
    dropped with the layer; a value must not refer back to its layer (it would keep the layer alive)."""

    def __init__(self, name: str):
        self.name = name
        self._table: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def get(self, layer, key, make: Callable):
        entries = self._table.get(layer)
        if entries is None:
            entries = self._table[layer] = {}
        if key not in entries:
            entries[key] = make()
        return entries[key]

    def __contains__(self, layer) -> bool:
        return layer in self._table

    def clear(self) -> None:
        self._table.clear()


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
