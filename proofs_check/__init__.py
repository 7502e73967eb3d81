"""Judging the papers: claims, hypotheses, adversarial search, verdicts, reports and the CLI."""
__version__ = "0.1.0"
