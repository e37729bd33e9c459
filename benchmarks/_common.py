"""Small helpers shared by the benchmarks: time a call, measure its peak memory, print ratios.

Every benchmark prints, for one task, our time and each named baseline's time with the ratio
``baseline / ours`` (above 1 means we are faster), so one run gives the whole comparison.
"""

from __future__ import annotations

import gc
import time
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Timing:
    """One measured run: what ran, how long it took and a note (scale, extrapolation...)."""

    label: str
    seconds: float
    note: str = ""


def timed(fn: Callable[[], T], *, repeat: int = 1) -> tuple[T, float]:
    """Run ``fn`` ``repeat`` times; return its (last) result and the best wall time in seconds."""
    best = float("inf")
    result: T
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return result, best


def peak_memory(fn: Callable[[], T]) -> tuple[T, int]:
    """Run ``fn`` under ``tracemalloc``; return its result and the peak traced allocation in bytes.

    NumPy and pandas buffers are traced; memory held by C libraries that bypass Python's allocator
    (GEOS, PROJ) is not. Tracing slows the call: never time and trace the same run.
    """
    gc.collect()
    tracemalloc.start()
    try:
        result = fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return result, peak


def print_ratios(title: str, ours: Timing, baselines: Sequence[Timing], *, target: str = "") -> None:
    """Print our time and each baseline's, with the speed-up ``baseline / ours``."""
    print(f"\n## {title}")
    if target:
        print(f"target: {target}")
    width = max(len(t.label) for t in (ours, *baselines))
    print(f"  {ours.label:<{width}}  {ours.seconds:9.3f} s  (ours)  {ours.note}")
    for base in baselines:
        ratio = base.seconds / ours.seconds if ours.seconds > 0 else float("inf")
        print(f"  {base.label:<{width}}  {base.seconds:9.3f} s  {ratio:6.1f}x  {base.note}")


def megabytes(n_bytes: int) -> str:
    return f"{n_bytes / 2**20:,.0f} MB"
