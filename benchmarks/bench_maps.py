"""Route maps against plain folium markers, in one run (``python -m benchmarks.run maps``).

The sample (``routes.sample``, seed 2022: 1,969 people, 1,524 incident events) is replicated with
new case ids until it holds 10,000, 100,000 and 1,000,000 incidents: the same journeys and places,
``r`` times the people. For each size:

* ours: :func:`routes.maps.publish_layers` + :func:`routes.maps.draw_map` (flows, places, four
  risk layers, H3 hexagons, services and gaps, quarterly flows; patterns are left out because they
  need a clustering of every replicated case), saved offline with :func:`routes.maps.save_map`;
* plain folium, one marker per incident at its point, offline with the same vendored Leaflet:
  ``MarkerCluster`` (one JS block per marker) and ``FastMarkerCluster`` (one data array).

Measured: time to an HTML file (building the ``folium.Map``, then rendering and saving it: folium
does most of its work when rendering), HTML size and the time
to the page's ``load`` event in headless Debian chromium with every network request aborted
(``PerformanceNavigationTiming.loadEventStart``; Leaflet draws from inline scripts, before ``load``).
Baselines that would pass ``--budget`` seconds to an HTML file are extrapolated linearly from the largest
measured size and marked so. Targets: a 1,000,000-incident map under 5 MB, loading in under 3 s.

Options: ``--sizes 10000 100000`` to choose sizes; ``--budget`` seconds per baseline build (60).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks._common import Timing, print_ratios, timed
from routes._browser import CHROMIUM_ARGS, find_chromium
from routes.network import RouteNetwork

SIZES = (10_000, 100_000, 1_000_000)
TARGET_BYTES = 5 * 2**20
TARGET_LOAD_S = 3.0
LOAD_TIMEOUT_MS = 120_000
MEMBERSHIPS = ("place_people", "segment_people", "incident_people")


@dataclass(frozen=True)
class Sample:
    """The sample's network, incident events (with a point each) and services."""

    network: RouteNetwork
    incidents: pd.DataFrame
    services: pd.DataFrame


@dataclass(frozen=True)
class PageCost:
    """What one map costs: build and save seconds, page bytes, seconds to the load event.

    ``publish_s`` is the part of ``build_s`` spent counting and suppressing (ours only).
    """

    build_s: float
    save_s: float
    size_bytes: int
    load_s: float
    note: str = ""
    publish_s: float | None = None


def load_sample() -> Sample:
    """Read the sample (``data/sample``, else generated into a temporary folder) and build its network."""
    from routes.io import read_cases, read_services
    from routes.sample import write_sample

    folder = Path(__file__).resolve().parent.parent / "data" / "sample"
    if not (folder / "cases.csv").exists():
        folder = Path(tempfile.mkdtemp(prefix="routes-sample-"))
        write_sample(folder)
    cases, events = read_cases(folder / "cases.csv", events=folder / "events.csv")
    network = RouteNetwork.from_events(events, cases=cases)
    incidents = events.loc[events["stage"].eq("incident"), ["case_id", "stage", "risk", "geometry"]]
    points = incidents.geometry
    incidents = pd.DataFrame({"case_id": incidents["case_id"].astype(str).to_numpy(), "stage": "incident",
                              "risk": incidents["risk"].to_numpy(), "lat": points.y.to_numpy(),
                              "lon": points.x.to_numpy()}).dropna(subset=["lat", "lon"])
    return Sample(network, incidents, read_services(folder / "services.csv"))


def _replicated_ids(ids: pd.Series, copies: int) -> pd.Categorical:
    """``ids`` repeated ``copies`` times, each copy with its own suffix: distinct people per copy."""
    base = pd.Categorical(ids.astype(str))
    offsets = np.repeat(np.arange(copies) * len(base.categories), len(base))
    codes = np.tile(base.codes.astype(np.int64), copies) + offsets
    categories = pd.Index(np.char.add(np.tile(np.asarray(base.categories, dtype=str), copies),
                                      np.repeat([f"~{c}" for c in range(copies)], len(base.categories))))
    return pd.Categorical.from_codes(codes, categories=categories)


def replicate(sample: Sample, copies: int) -> tuple[RouteNetwork, pd.DataFrame]:
    """The sample network with ``copies`` times the people (membership tables repeated), and its incidents."""
    tables = {}
    for name in MEMBERSHIPS:
        table = getattr(sample.network, name)
        repeated = table.iloc[np.tile(np.arange(len(table)), copies)].reset_index(drop=True)
        tables[name] = repeated.assign(case_id=_replicated_ids(table["case_id"], copies))
    network = RouteNetwork(sample.network.places, sample.network.segments,
                           gazetteer=sample.network.gazetteer, **tables)
    rows = np.tile(np.arange(len(sample.incidents)), copies)
    incidents = sample.incidents.iloc[rows].reset_index(drop=True)
    incidents["case_id"] = np.asarray(_replicated_ids(sample.incidents["case_id"], copies))
    return network, incidents


def load_seconds(path: Path) -> float:
    """Seconds from navigation to the ``load`` event of ``path`` in headless chromium, network cut."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=find_chromium(), headless=True,
                                             args=list(CHROMIUM_ARGS))
        try:
            context = browser.new_context(viewport={"width": 1200, "height": 800})
            context.route("**/*", lambda route: route.continue_() if route.request.url.startswith(
                ("file:", "data:", "blob:")) else route.abort("internetdisconnected"))
            page = context.new_page()
            page.goto(path.resolve().as_uri(), wait_until="load", timeout=LOAD_TIMEOUT_MS)
            return page.evaluate("performance.getEntriesByType('navigation')[0].loadEventStart") / 1000
        finally:
            browser.close()


def measure(build: Callable[[], object], save: Callable[[object, Path], Path], path: Path) -> PageCost:
    m, build_s = timed(build)
    saved, save_s = timed(lambda: save(m, path))
    return PageCost(build_s, save_s, saved.stat().st_size, load_seconds(saved))


def ours(network: RouteNetwork, incidents: pd.DataFrame, services: pd.DataFrame, path: Path) -> PageCost:
    """Our map; also times :func:`routes.maps.publish_layers` (the disclosure control) on its own."""
    from routes import maps
    from routes.patterns import hex_hotspots

    publish_s = []

    def build() -> object:
        hotspots = hex_hotspots(incidents, publishable=False)  # replicated people: consent not modelled
        started = time.perf_counter()
        layers = maps.publish_layers(network, hotspots=hotspots, services=services)
        publish_s.append(time.perf_counter() - started)
        return maps.draw_map(layers, lang="es", offline=True)

    cost = measure(build, maps.save_map, path)
    return replace(cost, publish_s=publish_s[-1])


def plain_folium(incidents: pd.DataFrame, path: Path, *, fast: bool) -> PageCost:
    """One marker per incident, clustered; assets inlined from the same vendored files as ours."""
    import folium
    from folium import plugins

    from routes._assets import LEAFLET_CSS, LEAFLET_JS, inline_assets

    points = incidents[["lat", "lon"]].to_numpy()

    def build() -> object:
        m = folium.Map(tiles=None, location=[4.0, -72.0], zoom_start=5, max_zoom=12)
        m.default_js, m.default_css = LEAFLET_JS, LEAFLET_CSS
        if fast:
            plugins.FastMarkerCluster(points.tolist()).add_to(m)
        else:
            cluster = plugins.MarkerCluster().add_to(m)
            for lat, lon in points:
                folium.Marker([lat, lon]).add_to(cluster)
        return m

    def save(m: object, target: Path) -> Path:
        target.write_text(inline_assets(m.get_root().render()), encoding="utf-8")
        return target

    return measure(build, save, path)


def extrapolated(measured: PageCost, factor: float) -> PageCost:
    """A baseline scaled linearly from a smaller measured size (build, save, bytes and load)."""
    return PageCost(measured.build_s * factor, measured.save_s * factor, int(measured.size_bytes * factor),
                    measured.load_s * factor, note=f"extrapolated x{factor:g} from a measured run")


def report(n: int, mine: PageCost, baselines: dict[str, PageCost]) -> None:
    for what, value in (("to an HTML file (build + save)", lambda c: c.build_s + c.save_s),
                        ("load event", lambda c: c.load_s)):
        print_ratios(f"{n:,} incidents: {what}", Timing("routes.maps", value(mine), mine.note),
                     [Timing(label, value(cost), cost.note) for label, cost in baselines.items()],
                     target=f"load < {TARGET_LOAD_S:g} s" if what == "load event" else "")
    print(f"  page size: routes.maps {mine.size_bytes / 2**20:.2f} MB (target < 5 MB), "
          + ", ".join(f"{label} {cost.size_bytes / 2**20:.1f} MB ({cost.size_bytes / mine.size_bytes:.0f}x)"
                      for label, cost in baselines.items()))
    if mine.publish_s is not None:
        print(f"  of which publish_layers (counting and suppression): routes.maps {mine.publish_s:.2f} s")
    print(f"  of which save: routes.maps {mine.save_s:.2f} s, "
          + ", ".join(f"{label} {cost.save_s:.2f} s" for label, cost in baselines.items()))
    if n >= 1_000_000:
        verdict = mine.size_bytes < TARGET_BYTES and mine.load_s < TARGET_LOAD_S
        print(f"  targets (< 5 MB, load < 3 s): {'met' if verdict else 'MISSED'}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="benchmarks.run maps", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES), help="incidents per run")
    parser.add_argument("--budget", type=float, default=60.0,
                        help="seconds a baseline may take to an HTML file before it is extrapolated")
    options = parser.parse_args(argv or [])
    started = time.perf_counter()
    sample = load_sample()
    print(f"sample: {sample.network.n_people:,} people, {len(sample.incidents):,} incidents with a point "
          f"(read and built in {time.perf_counter() - started:.1f} s)")
    measured: dict[str, tuple[int, PageCost]] = {}
    with tempfile.TemporaryDirectory(prefix="routes-bench-maps-") as tmp:
        for n in sorted(options.sizes):
            copies = max(1, round(n / len(sample.incidents)))
            network, incidents = replicate(sample, copies)
            incidents = incidents.iloc[:n]
            mine = ours(network, incidents, sample.services, Path(tmp) / f"ours_{n}.html")
            baselines = {}
            for label, fast in (("folium MarkerCluster", False), ("folium FastMarkerCluster", True)):
                previous = measured.get(label)
                cost_s = previous[1].build_s + previous[1].save_s if previous else 0.0
                if previous is not None and cost_s * n / previous[0] > options.budget:
                    baselines[label] = extrapolated(previous[1], n / previous[0])
                    continue
                cost = plain_folium(incidents, Path(tmp) / f"{label.split()[-1]}_{n}.html", fast=fast)
                measured[label] = (n, cost)
                baselines[label] = cost
            report(n, mine, baselines)
    print(f"\n(total {time.perf_counter() - started:.0f} s)")
