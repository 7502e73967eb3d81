"""TokenLayout: named residual-stream slots of Wu et al.'s tokens, (2.1), (3.13), (3.15), (3.17), (3.22).

Order (the paper's): [x; y; w; p(1..N); r'(0..N-1); g; s(N), s(N-1), ..., s(1); 1; t].  Every matrix of the
construction is built from these names, never from raw indices.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..network import NetworkShape


@dataclass(frozen=True)
class TokenLayout:
    shape: NetworkShape
    slots: tuple[tuple[str, int, int], ...]  # (name, start, size)

    @classmethod
    def for_shape(cls, shape: NetworkShape) -> "TokenLayout":
        N = shape.N
        sizes = [("x", shape.d_in), ("y", shape.d_out), ("w", shape.num_params)]
        sizes += [(f"p[{j}]", shape.width(j)) for j in range(1, N + 1)]
        sizes += [(f"rp[{j}]", shape.width(j + 1)) for j in range(0, N)]
        sizes += [("g", shape.d_out)]
        sizes += [(f"s[{j}]", shape.width(j)) for j in range(N, 0, -1)]
        sizes += [("one", 1), ("t", 1)]
        slots, start = [], 0
        for name, size in sizes:
            slots.append((name, start, size))
            start += size
        layout = cls(shape, tuple(slots))
        layout._check()
        return layout

    def _check(self) -> None:
        s = self.shape
        assert self.size("rp") == s.dim_p == self.size("p") == self.size("s"), "F2: r' has (N-1)K + d entries"
        assert self.D == s.num_params + 3 * s.dim_p + s.d_in + 2 * s.d_out + 2

    @property
    def D(self) -> int:
        name, start, size = self.slots[-1]
        return start + size

    def _slot(self, name: str) -> tuple[int, int]:
        for n, start, size in self.slots:
            if n == name:
                return start, size
        raise KeyError(f"no slot {name!r}")

    def slice(self, name: str) -> slice:
        start, size = self._slot(name)
        return slice(start, start + size)

    def index(self, name: str, k: int = 0) -> int:
        """0-based token index of entry k (0-based) of slot ``name``."""
        start, size = self._slot(name)
        if not 0 <= k < size:
            raise IndexError(f"entry {k} outside slot {name!r} of size {size}")
        return start + k

    def size(self, family: str) -> int:
        """Total size of a slot family ('p', 'rp', 's') or of one slot."""
        if family in ("p", "rp", "s"):
            return sum(size for n, _, size in self.slots if n.startswith(family + "["))
        return self._slot(family)[1]

    @staticmethod
    def p(j: int) -> str:
        """Slot of p(j); p(0) is x (Remark 1)."""
        return "x" if j == 0 else f"p[{j}]"

    @staticmethod
    def rp(j: int) -> str:
        return f"rp[{j}]"

    @staticmethod
    def s(j: int) -> str:
        return f"s[{j}]"

    def w(self, j: int, k: int, l: int) -> int:
        """Token index of v_{jk}[l] (j, k 1-based as in the paper, l 0-based), ordering (3.2)."""
        return self.index("w", self.shape.vector_slice(j, k).start + l)

    @property
    def scratch(self) -> list[str]:
        """The zero block that fills up during a block and is erased at its end."""
        return [n for n, _, _ in self.slots if n[:2] in ("p[", "rp", "s[") or n == "g"]

    def as_dict(self) -> dict:
        return {name: [start, start + size] for name, start, size in self.slots}
