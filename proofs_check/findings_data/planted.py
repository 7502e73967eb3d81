"""Findings of the planted toy claims (they test the findings layer itself)."""
from ..findings import Finding

FINDINGS = [
    Finding("planted.F1", "Norm bound below the corner value", "the corners of [-1,1]^3 have norm sqrt 3 > 1.5",
            "HIGH", "statement", ("planted.false_bound",), "planted.false_bound", corrected=("planted.true_bound",)),
    Finding("planted.F2", "Binomial expanded without the cross term", "(a+b)^2 lacks 2ab", "LOW", "proof_step",
            ("planted.exact_false",), "planted.exact_false", corrected=("planted.exact_true",)),
    Finding("planted.F3", "Cube below the identity beyond 1", "x^3 > x for x > 1", "MEDIUM", "statement",
            ("planted.grid_false", "planted.scan_false"), "planted.scan_false", corrected=("planted.grid_true",)),
    Finding("planted.F4", "Reported mean of U^2", "E[U^2] = 1/3, not 0.3", "LOW", "reported_number",
            ("planted.mc_false",), "planted.mc_false", corrected=("planted.mc_true",)),
]
