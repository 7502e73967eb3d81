"""Running Wu et al.'s construction: prompts, exact references, executors, per-layer error extraction."""
