"""One protected release against the table-by-table map path, and the utility of each privacy mode.

Run with ``python -m benchmarks.run release``. The sample (``data/sample``: 1,969 people, 1,524
incidents) is replicated with new case ids until it holds about ``--sizes`` incidents (the same
journeys, ``r`` times the people). For each size:

* ours: :meth:`routes.publish.Release.build` with every corridor, hexagons and services: the
  network, the map's layers and every brief's findings counted once, protected together (primary,
  same people, complements, the interval attack's linear programmes, margins) and audited from the
  protection's certificates;
* the audit recomputed from scratch (every withheld cell's linear programme again), reported beside;
* baseline: the 0.1 path, :class:`routes.network.RouteNetwork` + :func:`routes.maps.publish_layers`
  table by table (the map alone, no briefs, no linked protection).

``--utility`` reports, on the sample, cells published and the median absolute error of published
counts against the true ones: the default mode, the formal mode at ε = 5, δ = 10⁻⁶ for several
contribution bounds, and rounding to 5 with primary suppression only (what 0.1 published).
Target (issue 12): a 1,000,000-incident release in under 10 s; formal mode ≥ 75 % of the default's
cells with a median absolute error of at most 6 people.
"""

from __future__ import annotations

import argparse
import importlib
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import numpy as np
import pandas as pd

from benchmarks._common import Timing, print_ratios, timed

T = TypeVar("T")

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "sample"


def _read() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    from routes.io import read_services, validate

    report = validate(SAMPLE / "cases.csv", events=SAMPLE / "events.csv")
    return report.cases, report.events, read_services(SAMPLE / "services.csv")


def replicate(cases: pd.DataFrame, events: pd.DataFrame, copies: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``copies`` copies of the cases and their events, each copy with its own case ids."""

    def copied(table: pd.DataFrame) -> pd.DataFrame:
        many = pd.concat([table] * copies, ignore_index=True)
        suffix = np.repeat([f"~{c}" for c in range(copies)], len(table))
        many["case_id"] = np.char.add(many["case_id"].astype(str).to_numpy(dtype=str), suffix)
        return type(table)(many)

    return copied(cases), copied(events)


def _cpu(fn: Callable[[], T]) -> tuple[T, float, float]:
    """``fn``'s result, wall seconds and CPU seconds of this process (the machine may be shared:
    CPU time is what the call itself cost)."""
    start = time.process_time()
    result, wall = timed(fn)
    return result, wall, time.process_time() - start


def _warm() -> None:
    """Import what a release imports lazily (scikit-learn, esda, HiGHS...): not part of a build."""
    for name in ("esda", "libpysal", "scipy.optimize", "sklearn.base", "routes.briefs", "routes.maps",
                 "routes.network", "routes.patterns"):
        importlib.import_module(name)


def speed_at(cases: pd.DataFrame, events: pd.DataFrame, services: pd.DataFrame, copies: int) -> None:
    """Time one size: the release, its audit from scratch, and the 0.1 map path."""
    from routes.maps import publish_layers
    from routes.network import RouteNetwork
    from routes.publish import Release
    from routes.publish.audit import audit_store

    many_cases, many_events = replicate(cases, events, copies)
    n = int(many_events["stage"].eq("incident").sum())
    release, built, built_cpu = _cpu(
        lambda: Release.build(many_cases, many_events, services=services, dataset="bench")
    )
    store = release._store
    assert store is not None
    report, audit_s, audit_cpu = _cpu(lambda: audit_store(store, recompute=True))

    def table_by_table() -> object:
        network = RouteNetwork.from_events(many_events, cases=many_cases)
        return publish_layers(network, services=services)

    _, baseline, baseline_cpu = _cpu(table_by_table)
    print_ratios(
        f"{n:,} incidents ({copies} copies, {len(many_cases):,} people): release vs the 0.1 map path",
        Timing("Release.build", built,
               f"cpu {built_cpu:.1f} s; {len(release.cells):,} cells; {release.audit.summary()}"),
        [
            Timing("audit recomputed from scratch", audit_s, f"cpu {audit_cpu:.1f} s; {report.summary()}"),
            Timing("0.1: network + publish_layers (map only)", baseline, f"cpu {baseline_cpu:.1f} s"),
        ],
        target="1,000,000 incidents in under 10 s",
    )


def speed(sizes: list[int]) -> None:
    _warm()
    cases, events, services = _read()
    incidents = int(events["stage"].eq("incident").sum())
    for size in sizes:
        speed_at(cases, events, services, max(1, round(size / incidents)))


def utility(bounds: list[int]) -> None:
    from routes.privacy import DisclosurePolicy
    from routes.publish import Release

    cases, events, services = _read()
    default = Release.build(cases, events, services=services, dataset="bench")
    cells = default.cells
    exact = cells["exact"].astype(float)

    def row(name: str, published: pd.Series) -> None:
        shown = published.notna()
        error = (published[shown].astype(float) - exact[shown]).abs().median()
        share = (shown & default_shown).sum() / default_shown.sum()
        print(f"  {name:<44} {int(shown.sum()):6,} cells  ({share:5.0%} of the default's)  "
              f"median |error| {error:4.1f}")

    default_shown = cells["published"].notna()
    print(f"\n## utility on the sample ({len(cells):,} cells of one release, every corridor)")
    print("target: formal ≥ 75 % of the default's cells, median |error| ≤ 6")
    policy = default.policy
    naive = policy.round_count(cells["exact"].astype(np.int64).to_numpy())
    row("0.1: primary suppression + rounding to 5", pd.Series(naive.to_numpy(), index=cells.index))
    row("default (linked protection)", cells["published"])
    for bound in bounds:
        formal = Release.build(
            cases, events, services=services, dataset="bench",
            policy=DisclosurePolicy.formal(cells_per_person=bound),
        )
        plan = formal._store.formal_plan if formal._store is not None else None
        merged = cells[["label", "by", "key"]].merge(formal.cells, on=["label", "by", "key"], how="left")
        note = f" (sd {plan.scale:.1f}, threshold {plan.threshold:.0f})" if plan else ""
        row(f"formal ε=5, {bound} cells per person{note}", merged["published"])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="benchmarks.run release", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[10_000, 100_000])
    parser.add_argument("--utility", action="store_true", help="also the utility report on the sample")
    parser.add_argument("--bounds", type=int, nargs="*", default=[24, 48, 64, 80])
    args = parser.parse_args(argv)
    if args.sizes:
        speed(args.sizes)
    if args.utility:
        utility(args.bounds)


if __name__ == "__main__":
    main()
