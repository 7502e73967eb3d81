"""Section 5 / Appendix F of Wu et al. reproduced at two scales (``icl-verify experiment wu2025-icl``), plus the
Appendix G check (``appg``).  Modules: ``config`` (the cpu/gpu scales), ``data`` (Gaussian-mixture prompts and
N-layer targets), ``model`` (GPT-2-style transformer, softmax or ReLU attention), ``train`` (checkpointed
pretraining), ``baselines`` (the N-layer network trained on the prompt, context mean, ridge, 1-NN), ``metrics``
(pooled and per-prompt R^2, bootstrap CIs) and ``evaluate``.  The orchestration and the report live in
proofs_check/experiments/wu2025_icl_run.py and wu2025_icl_report.py (numeric/ never imports proofs_check/).
"""
