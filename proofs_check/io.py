"""Outputs: atomic files with normal permissions, and progress on the terminal.

Files: a temporary file in the same folder, then a rename (never half-written); the file gets the permissions the
umask gives a new file (0644 under the usual 022; ``tempfile.mkstemp`` alone would leave 0600).  Progress: a tqdm
bar on stderr, shown only when stderr is a terminal (quiet in pipes, logs and tests).
"""
from __future__ import annotations

import json
import os
import sys
import tempfile
from contextlib import contextmanager
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


@contextmanager
def atomic_path(path: Path):
    """Yield a temporary path beside ``path`` (parent created); on success it is renamed onto ``path`` with the
    umask's permissions, on failure removed.  For writers that want a file name (matplotlib, torch.save)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix="." + path.name, suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, _umask_mode())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_text_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` (parent created) through a temporary file and a rename: never half-written;
    the file gets the permissions the umask gives a new file (0644 under the usual 022)."""
    with atomic_path(path) as tmp:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)


def write_json_atomic(path: Path, data) -> None:
    """``data`` as indented JSON (mpmath numbers as 40-digit strings), written atomically."""
    write_text_atomic(path, json.dumps(data, indent=1, default=_json_default) + "\n")


def stderr_is_terminal() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


class Progress:
    """A tqdm bar on stderr, shown only when stderr is a terminal.  ``bar()`` advances by one; ``bar.note(msg)``
    prints a line above the bar (terminal only); ``bar.status(**kv)`` sets the text after the bar."""

    def __init__(self, total: int | None, desc: str, unit: str = "step"):
        from tqdm import tqdm

        self.enabled = stderr_is_terminal()
        self.bar = tqdm(total=total, desc=desc, unit=unit, file=sys.stderr, leave=False, mininterval=0.5,
                        dynamic_ncols=True, disable=not self.enabled)

    def __call__(self, n: int = 1) -> None:
        self.bar.update(n)

    def to(self, n: int) -> None:
        """Set the count to ``n`` (a loop that knows its own position, e.g. a resumed training)."""
        if n != self.bar.n:
            self.bar.update(n - self.bar.n)

    def status(self, **kv) -> None:
        if self.enabled:
            self.bar.set_postfix({k: v for k, v in kv.items()}, refresh=False)

    def note(self, msg: str) -> None:
        if self.enabled:
            self.bar.write(msg, file=sys.stderr)

    def close(self) -> None:
        self.bar.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False
