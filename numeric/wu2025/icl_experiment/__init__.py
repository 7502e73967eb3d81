"""Section 5 / Appendix F of Wu et al. reproduced at two scales (``icl-verify experiment wu2025-icl``), plus the
Appendix G check (``appg``).  Modules: ``config`` (the cpu/gpu scales), ``data`` (Gaussian-mixture prompts and
N-layer targets), ``model`` (GPT-2-style transformer, softmax or ReLU attention), ``train`` (checkpointed
pretraining), ``baselines`` (the N-layer network trained on the prompt, context mean, ridge, 1-NN), ``metrics``
(pooled and per-prompt R^2, bootstrap CIs), ``evaluate``, ``report`` and ``runner``.
"""
