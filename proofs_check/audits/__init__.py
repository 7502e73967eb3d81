"""One module per paper: its claims (``CLAIMS``), with hypotheses, bounds and audits."""
