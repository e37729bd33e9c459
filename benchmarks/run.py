"""Run every ``benchmarks/bench_*.py`` (or the named ones): ``python -m benchmarks.run [network ...]``.

Each module exposes ``main(argv: list[str]) -> None``; options after ``--`` go to it, e.g.
``python -m benchmarks.run network -- --scale 0.1`` for a quick run at a tenth of the size.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def available() -> list[str]:
    """Names of the benchmark modules, ``bench_network.py`` giving ``network``."""
    return sorted(p.stem.removeprefix("bench_") for p in HERE.glob("bench_*.py"))


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    extra: list[str] = []
    if "--" in args:
        extra = args[args.index("--") + 1:]
        args = args[: args.index("--")]
    names = args or available()
    unknown = [n for n in names if n not in available()]
    if unknown:
        print(f"unknown benchmark(s) {unknown}; available: {available()}", file=sys.stderr)
        return 2
    for name in names:
        print(f"# benchmark: {name}")
        importlib.import_module(f"benchmarks.bench_{name}").main(extra)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
