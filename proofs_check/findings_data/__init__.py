"""One module per paper with its ``FINDINGS`` (``proofs_check.findings.Finding`` data), reviewed like code."""
