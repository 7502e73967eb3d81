"""Hu, Su, Kuo, Song, Liu: Computational Limits of LoRA Fine-Tuning for Transformer Models (ICLR 2025).

``tensor_trick``: vec, Kronecker, C_j, Lemma 2.1, J_A/J_B (Lemma C.1), T(m, n) (Lemma D.2), the products of C.5.
``objects``: losses and the gradient decomposition exactly as the paper states them.
``corrected``: the project's corrected formulas.  ``bounds``: polynomial-method and chain error bounds (SymPy).
``shapes``: the shape lint of displayed products.  Pure SymPy/numpy; never imports ``numeric`` or torch.
"""
