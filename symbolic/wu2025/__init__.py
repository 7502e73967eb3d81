"""Wu, Su, Hu, Song, Liu, "In-Context Deep Learning via Transformer Models" (ICML 2025, arXiv 2411.16549)."""
