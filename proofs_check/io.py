"""Atomic output files with normal permissions: a temporary file in the same folder, then a rename."""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path


def _umask_mode() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def _json_default(x):
    try:
        import mpmath

        if isinstance(x, mpmath.mpf):
            return mpmath.nstr(x, 40)
    except ImportError:  # pragma: no cover
        pass
    return repr(x) if isinstance(x, float) else str(x)


def write_text_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` (parent created) through a temporary file and a rename: never half-written;
    the file gets the permissions the umask gives a new file (0644 under the usual 022)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix="." + path.name, suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.chmod(tmp, _umask_mode())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_json_atomic(path: Path, data) -> None:
    """``data`` as indented JSON (mpmath numbers as 40-digit strings), written atomically."""
    write_text_atomic(path, json.dumps(data, indent=1, default=_json_default) + "\n")
