"""What the papers say: objects, constructions as data, bounds as SymPy expressions.

This room imports neither ``numeric`` nor ``torch``.
"""
