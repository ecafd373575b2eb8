"""Input checks shared by every module: one rule and one message style for bad arguments.

Numbers may be of any real (``numbers.Real``) or integer (``numbers.Integral``) type, NumPy
scalars and 0-d arrays included, but not bool (NumPy's bool is not a ``numbers.Real``). A bad
value raises ``ValueError`` naming the parameter, the value and the allowed range, e.g.
``tau=-2 is out of range: allowed tau > 0``.
"""
from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["real", "integer", "choice"]


def _plain(value: Any) -> Any:
    """A 0-d NumPy array as its Python scalar; anything else unchanged."""
    if isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in "iuf":
        return value.item()
    return value


def _range_rule(name: str, low: float | None, high: float | None, low_open: bool) -> str:
    parts = []
    if low is not None:
        parts.append(f"{name} {'>' if low_open else '>='} {low:g}")
    if high is not None:
        parts.append(f"{name} <= {high:g}")
    return " and ".join(parts) or "a finite number"


def real(name: str, value: Any, low: float | None = None, *, high: float | None = None,
         low_open: bool = False, rule: str | None = None) -> float:
    """``value`` as a float, checked to be a finite real number in [low, high] (``low_open``:
    (low, high]); else ``ValueError`` naming ``name``, the value and ``rule`` (default: the
    range, e.g. ``tau > 0``)."""
    rule = _range_rule(name, low, high, low_open) if rule is None else rule
    value = _plain(value)
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name}={value!r} must be a real number, allowed {rule}")
    v = float(value)
    if not math.isfinite(v):
        raise ValueError(f"{name}={value!r} must be finite, allowed {rule}")
    if low is not None and (v <= low if low_open else v < low):
        raise ValueError(f"{name}={value!r} is out of range: allowed {rule}")
    if high is not None and v > high:
        raise ValueError(f"{name}={value!r} is out of range: allowed {rule}")
    return v


def integer(name: str, value: Any, low: int | None = None, *, high: int | None = None,
            rule: str | None = None) -> int:
    """``value`` as an int, checked to be an integer (any ``numbers.Integral``, or a real with
    an integer value such as 10.0) in [low, high]; else ``ValueError`` naming ``name``."""
    rule = _range_rule(name, low, high, False) if rule is None else rule
    value = _plain(value)
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name}={value!r} must be an integer, allowed {rule}")
    if not isinstance(value, numbers.Integral):
        v = float(value)
        if not (math.isfinite(v) and v.is_integer()):
            raise ValueError(f"{name}={value!r} must be an integer, allowed {rule}")
        value = int(v)
    if (low is not None and value < low) or (high is not None and value > high):
        raise ValueError(f"{name}={value!r} is out of range: allowed {rule}")
    return int(value)


def choice(name: str, value: Any, options: Sequence[Any]) -> Any:
    """``value`` if it is one of ``options``; else ``ValueError`` listing them."""
    if value not in options:
        raise ValueError(f"{name}={value!r} is unknown: allowed {', '.join(map(repr, options))}")
    return value
