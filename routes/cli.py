"""The ``routes`` command line: one command from a case export to publishable products.

Commands: ``demo``, ``validate``, ``sample``, ``network``, ``patterns``, ``map``, ``brief``.
Every product written here goes through the public disclosure policy unless ``--internal`` is given.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
from rich.console import Console
from rich.table import Table

console = Console(stderr=False, highlight=False)
err_console = Console(stderr=True, highlight=False)


def _table(title: str, frame: pd.DataFrame, *, max_rows: int = 20) -> Table:
    table = Table(title=title, title_justify="left")
    for col in frame.columns:
        table.add_column(str(col))
    for _, row in frame.head(max_rows).iterrows():
        table.add_row(*("" if v is None else str(v) for v in row.tolist()))
    return table


def cmd_validate(args: argparse.Namespace) -> int:
    from routes.io import validate

    report = validate(args.file, events=args.events, mapping=args.mapping)
    console.print(_table("Validation summary", report.summary().reset_index()))
    rejected_path = Path(args.rejected or Path(args.file).with_suffix("").as_posix() + ".rejected.csv")
    if report.n_rejected:
        report.rejected.to_csv(rejected_path, index=False)
        console.print(_table("First rejected rows", report.rejected))
        console.print(f"[bold red]{report.n_rejected} rows rejected[/]; all reasons in {rejected_path}")
        return 1
    console.print("[green]every row accepted[/]")
    return 0


def cmd_sample(args: argparse.Namespace) -> int:
    from routes.sample import write_sample

    paths = write_sample(args.out, seed=args.seed, people=args.people)
    for name, path in paths.items():
        console.print(f"wrote {name}: {path}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="routes",
        description="Diagnostics of human-trafficking and migrant-smuggling routes.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("validate", help="read and validate a case export; write rejected rows with reasons")
    p.add_argument("file", help="cases file (CSV, XLSX, GeoJSON, GeoPackage, GeoParquet, HXL)")
    p.add_argument("--events", help="events file (one row a step)")
    p.add_argument("--mapping", help="column/value mapping (YAML)")
    p.add_argument("--rejected", help="where to write rejected rows (CSV)")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("sample", help="write the synthetic sample data set")
    p.add_argument("--out", default="data/sample", help="output folder")
    p.add_argument("--seed", type=int, default=2022)
    p.add_argument("--people", type=int, default=1969)
    p.set_defaults(func=cmd_sample)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``routes`` console script."""
    from routes.errors import RoutesError

    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except RoutesError as exc:
        err_console.print(f"[bold red]error:[/] {exc}")
        return 2


if __name__ == "__main__":
    sys.exit(main())
