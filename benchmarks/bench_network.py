"""RouteNetwork against named baselines, in one run (``python -m benchmarks.run network``).

(a) Build a network from 1,000,000 synthetic journeys (3–6 steps, random walks over 300 places each
    linked to its 4 nearest neighbours) given as an events table, against a plain Python loop that
    groups the same table into journeys, counts distinct people per transition and place in dicts
    and builds the networkx graph. Ours is timed twice: the core build (``from_events``: checked,
    ordered events, distinct people per place and segment, the places and segments tables) and the
    core build plus every table computed on first read (measures, cut tests, journeys, membership
    tables, reconciliation, graph). Both answers are checked equal.
(b) Snap 1,000,000 incident points to a 10,000-segment network within 20 km, against
    ``geopandas.sjoin_nearest`` on the same points and lines in the same projection, and against a
    per-point loop (a subsample, extrapolated). Agreement on the chosen segment is reported.
(c) The same journeys, on a subsample, through MovingPandas' ``TrajectoryCollectionAggregator``
    (Andrienko & Andrienko significant points → grid clusters → flows), against ``from_events``.

Options: ``--scale S`` multiplies every size (``--scale 0.1`` for a quick run).
"""

from __future__ import annotations

import argparse
import gc
import itertools
import time
import warnings
from collections.abc import Callable
from datetime import timedelta

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely

from benchmarks._common import Timing, megabytes, peak_memory, print_ratios, timed
from routes.network import RouteNetwork, local_projection, snap_points_to_lines
from routes.places import Gazetteer

SEED = 20240611
REGION = {"lon": (-80.0, -60.0), "lat": (-15.0, 12.0)}  # Andes to the Guianas, Panama to Bolivia


def synthetic_gazetteer(n_places: int, rng: np.random.Generator) -> Gazetteer:
    """``n_places`` random places over the region, as a Gazetteer."""
    table = pd.DataFrame({
        "place_id": [f"p{i:04d}" for i in range(n_places)],
        "name": [f"Place {i}" for i in range(n_places)],
        "lon": rng.uniform(*REGION["lon"], n_places),
        "lat": rng.uniform(*REGION["lat"], n_places),
        "kind": "city",
    })
    return Gazetteer(table.assign(aliases="", country="COL", admin1="", admin2="", admin2_code="",
                                  corridors=""), source="synthetic")


def nearest_neighbours(lon: np.ndarray, lat: np.ndarray, k: int) -> np.ndarray:
    """The ``k`` nearest other places of each place (metres in a local projection)."""
    from pyproj import Transformer
    from scipy.spatial import cKDTree

    x, y = Transformer.from_crs("EPSG:4326", local_projection(lon, lat), always_xy=True).transform(lon, lat)
    _, index = cKDTree(np.column_stack([x, y])).query(np.column_stack([x, y]), k=k + 1)
    return index[:, 1:]


def synthetic_journeys(n_journeys: int, neighbours: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Random walks of 3–6 places along the neighbour links: a (journeys × 6) matrix, -1 padded."""
    lengths = rng.integers(3, 7, n_journeys)
    walks = np.full((n_journeys, 6), -1, dtype=np.int64)
    walks[:, 0] = rng.integers(0, len(neighbours), n_journeys)
    for step in range(1, 6):
        walks[:, step] = neighbours[walks[:, step - 1], rng.integers(0, neighbours.shape[1], n_journeys)]
    walks[np.arange(6) >= lengths[:, None]] = -1
    return walks


def events_from_walks(walks: np.ndarray, place_ids: pd.Index) -> pd.DataFrame:
    """The events table (contract columns the network reads) of the walks."""
    person, pos = np.nonzero(walks >= 0)
    return pd.DataFrame({
        "case_id": pd.Series(person).astype(str).radd("c").to_numpy(),
        "seq": pos + 1,
        "stage": "transit",
        "place_id": place_ids.to_numpy()[walks[person, pos]],
    })


def python_loop_network(case_ids: list[str], place_ids: list[str]) -> nx.DiGraph:
    """Baseline: group rows into journeys, count distinct people per transition and place in dicts."""
    journeys: dict[str, list[str]] = {}
    for case, place in zip(case_ids, place_ids, strict=True):
        steps = journeys.setdefault(case, [])
        if not steps or steps[-1] != place:
            steps.append(place)
    people_at: dict[str, int] = {}
    people_on: dict[tuple[str, str], int] = {}
    for steps in journeys.values():
        for place in set(steps):
            people_at[place] = people_at.get(place, 0) + 1
        for segment in set(itertools.pairwise(steps)):
            people_on[segment] = people_on.get(segment, 0) + 1
    graph = nx.DiGraph()
    graph.add_nodes_from((place, {"n_people": n}) for place, n in people_at.items())
    graph.add_edges_from((u, v, {"n_people": n}) for (u, v), n in people_on.items())
    return graph


def timed_with_cpu(fn: Callable[[], object], *, repeat: int) -> tuple[object, float, float]:
    """The result of ``fn``, its best wall time and its best CPU time (this process) over ``repeat`` runs.

    On a shared machine, waiting for a core inflates wall time but not CPU time.
    """
    wall, cpu = float("inf"), float("inf")
    for _ in range(repeat):
        gc.collect()
        start_wall, start_cpu = time.perf_counter(), time.process_time()
        result = fn()
        wall = min(wall, time.perf_counter() - start_wall)
        cpu = min(cpu, time.process_time() - start_cpu)
    return result, wall, cpu


def read_everything(network: RouteNetwork) -> RouteNetwork:
    """Read every table a network computes on first use, so that all of them are built."""
    for name in ("places", "segments", "graph", "journeys", "place_people", "segment_people",
                 "incident_people", "unattached"):
        getattr(network, name)
    network.reconciliation()
    return network


def bench_build(n_journeys: int, rng: np.random.Generator) -> np.ndarray:
    gazetteer = synthetic_gazetteer(300, rng)
    neighbours = nearest_neighbours(gazetteer.places["lon"].to_numpy(), gazetteer.places["lat"].to_numpy(), 4)
    walks = synthetic_journeys(n_journeys, neighbours, rng)
    events = events_from_walks(walks, gazetteer.places.index)

    def core() -> RouteNetwork:
        return RouteNetwork.from_events(events, gazetteer=gazetteer)

    def everything() -> RouteNetwork:
        return read_everything(RouteNetwork.from_events(events, gazetteer=gazetteer))

    def loop() -> nx.DiGraph:
        return python_loop_network(events["case_id"].tolist(), events["place_id"].tolist())

    read_everything(RouteNetwork.from_events(events.head(1000), gazetteer=gazetteer))  # warm imports
    _, core_s, core_cpu = timed_with_cpu(core, repeat=3)
    network, everything_s, everything_cpu = timed_with_cpu(everything, repeat=3)
    graph, loop_s, loop_cpu = timed_with_cpu(loop, repeat=3)
    theirs = {(u, v): d["n_people"] for u, v, d in graph.edges(data=True)}
    assert network.segments["n_people"].to_dict() == theirs, "the baseline and RouteNetwork disagree"
    assert network.places["n_people"].to_dict() == dict(graph.nodes(data="n_people")), "places disagree"
    small = events[events["case_id"].isin(events["case_id"].unique()[: max(n_journeys // 10, 1)])]
    _, core_peak = peak_memory(lambda: RouteNetwork.from_events(small, gazetteer=gazetteer))
    _, everything_peak = peak_memory(
        lambda: read_everything(RouteNetwork.from_events(small, gazetteer=gazetteer))
    )
    _, loop_peak = peak_memory(
        lambda: python_loop_network(small["case_id"].tolist(), small["place_id"].tolist())
    )
    baseline = Timing("Python loop: dict counts + nx graph", loop_s, "n_people per place/segment only")
    title = (f"{n_journeys:,} journeys ({len(events):,} events, 300 places, "
             f"{len(network.segments):,} segments)")
    print_ratios(
        f"(a) core build from {title}",
        Timing("RouteNetwork.from_events", core_s,
               "checks, order, distinct people per place/segment, places + segments tables"),
        [baseline],
        target=">= 10x faster than the Python loop",
    )
    print(f"  CPU time: ours {core_cpu:.3f} s, loop {loop_cpu:.3f} s: {loop_cpu / core_cpu:.1f}x")
    print_ratios(
        f"(a') core build + every table computed on first read, {title}",
        Timing("from_events + all tables + .graph", everything_s,
               "+ stages, shares, rates, EB, risks, cut pairs of 20+20 candidates, journeys, memberships"),
        [baseline],
    )
    print(f"  CPU time: ours {everything_cpu:.3f} s, loop {loop_cpu:.3f} s: {loop_cpu / everything_cpu:.1f}x")
    print("  (best of 3 runs each)")
    print(f"  peak traced memory at {small['case_id'].nunique():,} journeys: core {megabytes(core_peak)}, "
          f"everything {megabytes(everything_peak)}, loop {megabytes(loop_peak)}")
    return walks


def bench_snap(n_points: int, n_segments: int, rng: np.random.Generator) -> None:
    lon = rng.uniform(*REGION["lon"], 3_000)
    lat = rng.uniform(*REGION["lat"], 3_000)
    neighbours = nearest_neighbours(lon, lat, 6)
    pairs = np.unique(np.sort(np.column_stack([np.repeat(np.arange(3_000), 6), neighbours.ravel()]), axis=1),
                      axis=0)[:n_segments]
    coords = np.stack([np.column_stack([lon[pairs[:, 0]], lat[pairs[:, 0]]]),
                       np.column_stack([lon[pairs[:, 1]], lat[pairs[:, 1]]])], axis=1)
    lines = shapely.linestrings(coords)
    which = rng.integers(0, len(lines), n_points)
    along = rng.uniform(0, 1, n_points)[:, None]
    base = coords[which, 0] + along * (coords[which, 1] - coords[which, 0])
    points = base + rng.normal(0, 0.1, (n_points, 2))  # ~11 km spread: most within 20 km, some beyond
    crs = local_projection(coords[:, :, 0].ravel(), coords[:, :, 1].ravel())

    (index, _), ours_s = timed(lambda: snap_points_to_lines(points[:, 0], points[:, 1], lines,
                                                            max_distance_m=20_000, crs=crs))

    def sjoin() -> pd.Series:
        left = gpd.GeoDataFrame(geometry=gpd.points_from_xy(points[:, 0], points[:, 1]), crs="EPSG:4326")
        right = gpd.GeoDataFrame(geometry=lines, crs="EPSG:4326").to_crs(crs)
        joined = gpd.sjoin_nearest(left.to_crs(crs), right, how="left", max_distance=20_000)
        return joined["index_right"][~joined.index.duplicated()]

    nearest, sjoin_s = timed(sjoin)
    sample = 500
    projected_lines = gpd.GeoSeries(lines, crs="EPSG:4326").to_crs(crs).to_numpy()
    projected_points = gpd.GeoSeries(gpd.points_from_xy(points[:sample, 0], points[:sample, 1]),
                                     crs="EPSG:4326").to_crs(crs).to_numpy()

    def per_point() -> list[int]:
        found = []
        for point in projected_points:
            distance = shapely.distance(point, projected_lines)
            best = int(np.argmin(distance))
            found.append(best if distance[best] <= 20_000 else -1)
        return found

    _, loop_s = timed(per_point)
    theirs = nearest.reindex(range(n_points)).fillna(-1).to_numpy(dtype=np.int64)
    agree = np.mean(theirs == index)
    print_ratios(
        f"(b) snap {n_points:,} points to {len(lines):,} segments within 20 km",
        Timing("snap_points_to_lines (STRtree + geodesic metres)", ours_s,
               f"{np.mean(index >= 0):.1%} snapped"),
        [Timing("geopandas.sjoin_nearest (projected metres)", sjoin_s,
                f"same segment for {agree:.2%} of points"),
         Timing("per-point loop (shapely.distance to all lines)", loop_s * n_points / sample,
                f"extrapolated from {sample:,} points ({loop_s:.2f} s)")],
        target="no slower than sjoin_nearest",
    )


def bench_movingpandas(walks: np.ndarray, n_journeys: int, rng: np.random.Generator) -> None:
    import movingpandas as mpd

    gazetteer = synthetic_gazetteer(300, np.random.default_rng(SEED))  # the same places as (a)
    walks = walks[:n_journeys]
    events = events_from_walks(walks, gazetteer.places.index)
    xy = gazetteer.places.loc[events["place_id"], ["lon", "lat"]].to_numpy()
    track = gpd.GeoDataFrame(
        {"case_id": events["case_id"],
         "t": pd.Timestamp("2024-01-01") + pd.to_timedelta(events["seq"] * 24, unit="h")},
        geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs="EPSG:4326",
    )

    def aggregate() -> mpd.TrajectoryCollectionAggregator:
        collection = mpd.TrajectoryCollection(track, traj_id_col="case_id", t="t")
        return mpd.TrajectoryCollectionAggregator(collection, max_distance=50_000, min_distance=10_000,
                                                  min_stop_duration=timedelta(hours=12))

    network, ours_s = timed(lambda: read_everything(RouteNetwork.from_events(events, gazetteer=gazetteer)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        aggregator, mp_s = timed(aggregate)
    flows = aggregator.get_flows_gdf()
    clusters = aggregator.get_clusters_gdf()
    print_ratios(
        f"(c) {n_journeys:,} journeys: MovingPandas flow aggregation",
        Timing("RouteNetwork.from_events + all tables", ours_s,
               f"{len(network.places)} places, {len(network.segments)} segments, "
               f"{network.segments['n_people'].sum():,} person-segments"),
        [Timing("TrajectoryCollection + TrajectoryCollectionAggregator", mp_s,
                f"{len(clusters)} clusters, {len(flows)} flows, weight {int(flows['weight'].sum()):,}, "
                f"obj_weight {int(flows['obj_weight'].sum()):,}")],
    )
    print("  MovingPandas keeps only significant points (start, end, turns >= 45°, stops) and merges them"
          " into 50 km grid clusters,\n  so its flows skip straight-through places; RouteNetwork keeps every"
          " gazetteer place and counts distinct people per segment.")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="benchmarks.run network", description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every size (default 1)")
    options = parser.parse_args(argv or [])
    rng = np.random.default_rng(SEED)
    walks = bench_build(int(1_000_000 * options.scale), rng)
    bench_snap(int(1_000_000 * options.scale), 10_000, rng)
    bench_movingpandas(walks, max(int(2_000 * options.scale), 50), rng)
