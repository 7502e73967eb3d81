"""The environment recorded in every report: versions, device, precision, seed, git commit."""
from __future__ import annotations

import platform
import subprocess
from pathlib import Path


def environment(device: str | None = None, precision: int | None = None, seed: int | None = None) -> dict:
    import mpmath
    import numpy
    import sympy
    import torch

    try:
        import flint

        flint_version = flint.__version__
    except ImportError:  # pragma: no cover
        flint_version = None
    from . import __version__

    env = {
        "icl_verify": __version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "torch": torch.__version__,
        "sympy": sympy.__version__,
        "mpmath": mpmath.__version__,
        "numpy": numpy.__version__,
        "python_flint": flint_version,
        "cuda_available": torch.cuda.is_available(),
        "device": device,
        "precision_digits": precision,
        "seed": seed,
        "git_commit": _git_commit(),
    }
    if torch.cuda.is_available():
        env["cuda_device"] = torch.cuda.get_device_name(0)
    return env


def _git_commit() -> str | None:
    try:
        root = Path(__file__).resolve().parent.parent
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=5)
        return out.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def code_version() -> str:
    """A hash of the three packages' Python sources (icl-verify version + sha256, first 16 hex digits): it changes
    with any edit, committed or not, so a partial audit never resumes into other code."""
    import hashlib

    from . import __version__

    root = Path(__file__).resolve().parent.parent
    h = hashlib.sha256()
    for pkg in ("symbolic", "numeric", "proofs_check"):
        for f in sorted((root / pkg).rglob("*.py")):
            h.update(str(f.relative_to(root)).encode())
            h.update(f.read_bytes())
    return f"{__version__}+{h.hexdigest()[:16]}"
