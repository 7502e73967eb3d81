"""Reproductions of the papers' experiments (`icl-verify experiment NAME`)."""
