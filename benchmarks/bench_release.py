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
counts against the true ones: the default mode, the formal mode at ε = 5, δ = 10⁻⁶ (``--draws``
noise draws for each contribution bound of ``--bounds`` and each ε of ``--epsilons``: the spread, and
how many keys no one is in were shown), and rounding to 5 with primary suppression only (what 0.1 published).
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


def utility(bounds: list[int], draws: int, epsilons: list[float]) -> None:
    from routes.privacy import DisclosurePolicy
    from routes.publish import Release

    cases, events, services = _read()
    default = Release.build(cases, events, services=services, dataset="bench")
    cells = default.cells
    exact = cells["exact"].astype(float)
    default_shown = cells["published"].notna()

    def measure(published: pd.Series) -> tuple[int, float, float]:
        shown = published.notna()
        error = float((published[shown].astype(float) - exact[shown]).abs().median())
        return int(shown.sum()), float((shown & default_shown).sum() / default_shown.sum()), error

    def spread(values: np.ndarray, form: str) -> str:
        low, high = form.format(values.min()), form.format(values.max())
        return low if low == high else f"{low}–{high}"

    def row(name: str, runs: list[tuple[int, float, float]], false_cells: str = "") -> None:
        n, share, error = (np.array(v) for v in zip(*runs, strict=True))
        print(f"  {name:<52} {spread(n, '{:,}'):>11} cells  ({spread(share, '{:.0%}'):>7} of the default's)  "
              f"median |error| {spread(error, '{:.1f}'):>7}{false_cells}")

    print(f"\n## utility on the sample ({len(cells):,} cells of one release, every corridor)")
    print("target: formal ≥ 75 % of the default's cells, median |error| ≤ 6")
    naive = default.policy.round_count(cells["exact"].astype(np.int64).to_numpy())
    row("0.1: primary suppression + rounding to 5", [measure(pd.Series(naive.to_numpy(), index=cells.index))])
    row("default (linked protection)", [measure(cells["published"])])
    for epsilon, bound in ((e, b) for e in epsilons for b in bounds):
        runs, false_cells = [], []
        for _ in range(draws):
            formal = Release.build(
                cases, events, services=services, dataset="bench",
                policy=DisclosurePolicy.formal(epsilon=epsilon, budget_epsilon=max(epsilon, 10.0),
                                               cells_per_person=bound),
            )
            merged = cells[["label", "by", "key"]].merge(formal.cells, on=["label", "by", "key"], how="left")
            runs.append(measure(merged["published"]))
            false_cells.append(int((formal.cells["exact"].eq(0) & formal.cells["published"].notna()).sum()))
        plan = formal._store.formal_plan if formal._store is not None else None
        assert plan is not None
        sd = sorted(round(f.scale, 1) for f in plan.families.values())
        row(f"formal ε={epsilon:g}, {bound} cells per person (sd {sd[0]}–{sd[-1]}), {draws} draws", runs,
            f"; keys with no one shown {min(false_cells)}–{max(false_cells)} "
            f"(at most {plan.expected_false_cells:.0f} expected)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="benchmarks.run release", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[10_000, 100_000])
    parser.add_argument("--utility", action="store_true", help="also the utility report on the sample")
    parser.add_argument("--bounds", type=int, nargs="*", default=[110])
    parser.add_argument("--draws", type=int, default=3, help="noise draws per formal row")
    parser.add_argument("--epsilons", type=float, nargs="*", default=[5.0],
                        help="ε of the formal rows (5: the documented default for one publication)")
    args = parser.parse_args(argv)
    if args.sizes:
        speed(args.sizes)
    if args.utility:
        utility(args.bounds, args.draws, args.epsilons)


if __name__ == "__main__":
    main()
