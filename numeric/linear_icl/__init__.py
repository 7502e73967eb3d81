"""Running the linear-attention papers (von Oswald et al. 2023, Ahn et al. 2023, Gatmiry et al. 2024): batched
torch forward passes, prompt samplers, training loops, Monte Carlo estimates and the trained-vs-constructed metrics.

Tokens are rows (spec 0.1): a batch of prompts is Z of shape (B, n+1, D), the query last.
"""
