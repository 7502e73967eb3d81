"""Running Hu et al. (LoRA, ICLR 2025): exact gradients, the paper's formulas evaluated literally, the
almost-linear approximate gradient, and the hardness illustrations.

``instances``: random instances as JSON dicts.  ``exact``: torch autograd (float64 ground truth), the
row-blocked O(L^2 d) gradient, mpmath gradients checked by finite differences.  ``checks``: every display
against the exact quantity under every reading.  ``poly``: polynomial method and feature map.  ``lowrank``:
the chain (paper's and corrected).  ``hardness``: Thm 4.1 reduction, epsilon-ranks, rank exponent.
``timing``: runtime sweeps and slope fits.  Torch code uses ``numeric.backends.pick_device``.
"""
