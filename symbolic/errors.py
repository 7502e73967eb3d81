"""The one error type for bad input: it names the parameter and the allowed range."""
from __future__ import annotations

import math
from numbers import Real


class ConfigError(ValueError):
    """Bad input. ``param`` names the parameter: in symbolic/ and numeric/ the paper's name (``N (depth)``), which
    the CLI maps to its flag (``--depth``); the CLI's own checks use the flag.  ``message`` names the allowed range."""

    def __init__(self, param: str, message: str):
        self.param = param
        self.message = message
        super().__init__(f"{param}: {message}")


def require_int(param: str, value, low: int | None = None, high: int | None = None) -> int:
    """Return ``value`` as an int in [low, high] or raise ConfigError naming ``param``."""
    if isinstance(value, bool) or not isinstance(value, (int,)) and not (isinstance(value, Real) and float(value).is_integer()):
        raise ConfigError(param, f"must be an integer in {_range(low, high)}, got {value!r}")
    v = int(value)
    if low is not None and v < low or high is not None and v > high:
        raise ConfigError(param, f"must be an integer in {_range(low, high)}, got {v}")
    return v


def require_real(param: str, value, low: float | None = None, high: float | None = None,
                 strict_low: bool = False) -> float:
    """Return ``value`` as a finite float in the allowed range or raise ConfigError naming ``param``."""
    lo = f"({low}" if strict_low else f"[{low}" if low is not None else "(-inf"
    hi = f"{high}]" if high is not None else "inf)"
    try:
        v = float(value)
    except (TypeError, ValueError, OverflowError):
        raise ConfigError(param, f"must be a finite number in {lo}, {hi}, got {value!r}") from None
    if not math.isfinite(v):
        raise ConfigError(param, f"must be a finite number in {lo}, {hi}, got {value!r}")
    if low is not None and (v < low or (strict_low and v <= low)) or high is not None and v > high:
        raise ConfigError(param, f"must be a finite number in {lo}, {hi}, got {v}")
    return v


def require_choice(param: str, value: str, choices) -> str:
    if value not in choices:
        raise ConfigError(param, f"must be one of {', '.join(sorted(choices))}; got {value!r}")
    return value


def _range(low, high) -> str:
    lo = "-inf" if low is None else str(low)
    hi = "inf" if high is None else str(high)
    return f"[{lo}, {hi}]"
