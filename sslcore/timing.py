"""Timing helper for the chapters' timing cells and ``benchmarks/``."""
from __future__ import annotations

import time
from collections.abc import Callable

__all__ = ["time_call"]


def time_call(fn: Callable[[], object], repeat: int = 1) -> float:
    """Best wall-clock time (seconds) of ``repeat`` calls of ``fn()``."""
    best = float("inf")
    for _ in range(int(repeat)):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best
