"""Large record sets: the in-process chunked path against a bare floor, and Dask with 1 and 2 workers.

``python -m benchmarks.run scale -- --rows 1e6 2e6`` generates that many synthetic movement records
(``routes.scale.synthetic_records`` along the sample network, 0.1 % broken) into Parquet files of
one million rows on disk, then times :func:`routes.scale.distinct_counts` by month on each engine
and reports the peak resident memory of the process that did the work (each worker's, on Dask).
Every configuration runs in fresh processes, so peaks do not carry over.

The named baseline is the **floor**: the least any per-record pass over the same files must do
(read the Parquet columns it needs, project the points, ``STRtree.query_nearest`` onto the
network's segments within 20 km, count distinct people per segment-month with a group-by), with no
validation, no places, no hexagons and no quarantine. It runs in the same invocation, alternating
with the in-process path (``--repeat`` times each, best kept), and the target is the in-process
path within 1.3x of it. The load average is printed with every number: on a shared machine only the
ratios of one run mean anything.

The Dask comparison alone (what to rerun on a quiet machine):
``python -m benchmarks.run scale -- --rows 1e6 --no-in-process --repeat 3``: 1 and 2 workers on
fresh local clusters, alternating, best wall time of each, with each worker's CPU seconds (their
sum against one worker's is the overhead of the second worker) and peak memory. The workers are
warm (``routes.scale.warm_up`` before the clock, as a long-lived cluster's are after its first
call).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import multiprocessing
import os
import resource
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from benchmarks._common import Timing, megabytes, print_ratios

FILE_ROWS = 1_000_000
CHUNK_ROWS = 250_000
ROW_GROUP_ROWS = 125_000


def sample_network() -> object:
    """The network of the bundled synthetic sample (2,000 people by default)."""
    from routes import io as rio
    from routes.network import RouteNetwork
    from routes.sample import write_sample

    folder = Path(tempfile.mkdtemp(prefix="bench-scale-sample-"))
    paths = write_sample(folder)
    report = rio.validate(paths["cases"], events=paths["events"])
    network = RouteNetwork.from_events(report.events, cases=report.cases)
    shutil.rmtree(folder)
    return network


def write_records(network: object, n_rows: int, folder: Path) -> Path:
    """``n_rows`` records in Parquet files of ``FILE_ROWS`` rows, generated one file at a time."""
    from routes.scale import synthetic_records

    folder.mkdir(parents=True, exist_ok=True)
    for part, start in enumerate(range(0, n_rows, FILE_ROWS)):
        size = min(FILE_ROWS, n_rows - start)
        frame = synthetic_records(network, n=size, people=max(n_rows // 20, 1), seed=part, bad_share=0.001)
        frame.to_parquet(folder / f"part-{part:05d}.parquet", row_group_size=ROW_GROUP_ROWS, index=False)
    return folder


def _peak_rss() -> int:
    """Peak resident memory of this process since it started its program.

    Linux keeps ``ru_maxrss`` across ``exec``, so a freshly spawned process would report its
    parent's peak (the parent that generated the records); ``VmHWM`` starts again with the program.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _floor(folder: Path, network: object) -> tuple[float, int, int]:
    import numpy as np
    import pandas as pd
    import pyarrow.parquet as pq
    import shapely
    from pyproj import Transformer

    from routes.network import CRS_LONLAT, local_projection

    start = time.perf_counter()
    lines = np.asarray(network.segments.geometry.array, dtype=object)
    xy = shapely.get_coordinates(lines)
    forward = Transformer.from_crs(CRS_LONLAT, local_projection(xy[:, 0], xy[:, 1]), always_xy=True)
    projected = shapely.transform(lines, lambda c: np.column_stack(forward.transform(c[:, 0], c[:, 1])))
    tree = shapely.STRtree(projected)
    parts = []
    for file in sorted(folder.glob("*.parquet")):
        for batch in pq.ParquetFile(file).iter_batches(CHUNK_ROWS, columns=["case_id", "date", "lat", "lon"]):
            frame = batch.to_pandas()
            frame = frame[frame["lat"].notna() & frame["lon"].notna()]
            x, y = forward.transform(frame["lon"].to_numpy(), frame["lat"].to_numpy())
            which, segment = tree.query_nearest(shapely.points(x, y), max_distance=20_000, all_matches=False)
            hit = frame.iloc[which]
            month = pd.to_datetime(hit["date"].to_numpy(), errors="coerce").to_period("M")
            parts.append(pd.DataFrame({"segment": segment, "month": month,
                                       "case_id": hit["case_id"].to_numpy()}).drop_duplicates())
    counts = pd.concat(parts).groupby(["segment", "month"])["case_id"].nunique()
    return time.perf_counter() - start, _peak_rss(), len(counts)


def run_floor(folder: Path, network: object) -> tuple[float, int, int]:
    """Time and peak memory of the floor (see the module docstring), in a fresh process."""
    return _fresh(_floor, folder, network)


def _in_process(folder: Path, network: object) -> tuple[float, int, int]:
    from routes.scale import distinct_counts

    start = time.perf_counter()
    counts = distinct_counts(folder, network, by="month", rows=CHUNK_ROWS)
    return time.perf_counter() - start, _peak_rss(), len(counts.segments)


def _profiled(folder: Path, network: object) -> str:
    import cProfile
    import io
    import pstats

    from routes.scale import distinct_counts

    profile = cProfile.Profile()
    profile.enable()
    distinct_counts(folder, network, by="month", rows=CHUNK_ROWS)
    profile.disable()
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out).sort_stats("cumulative")
    stats.print_stats(r"routes/(scale|io|network|places|basemap|_records)\.py", 30)
    return out.getvalue()


def profile_in_process(folder: Path, network: object) -> str:
    """Where the in-process path spends its time: cumulative seconds of the toolkit's functions."""
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(1, mp_context=context) as pool:
        return pool.submit(_profiled, folder, network).result()


def run_in_process(folder: Path, network: object) -> tuple[float, int, int]:
    """Time and peak memory of the in-process chunked path, in a fresh process."""
    return _fresh(_in_process, folder, network)


def _fresh(work: Callable[[Path, object], tuple[float, int, int]], folder: Path,
           network: object) -> tuple[float, int, int]:
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(1, mp_context=context) as pool:
        return pool.submit(work, folder, network).result()


def _load() -> str:
    return f"load {os.getloadavg()[0]:.1f}"


def _cpu_seconds() -> float:
    return time.process_time()


def run_dask(folder: Path, network: object, workers: int) -> tuple[float, list[int], list[float], int]:
    """Time of the Dask path on a fresh local cluster, each worker's peak memory and CPU seconds.

    The workers import ``routes.scale`` and run :func:`routes.scale.warm_up` before the clock
    starts (the region outline and libraries a long-lived cluster's workers hold after their first
    call); the CPU seconds show how evenly the work was split when the machine's load hides it.
    """
    import importlib

    from distributed import Client, LocalCluster

    from routes.scale import distinct_counts, warm_up

    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                      memory_limit="8GiB") as cluster, Client(cluster) as client:
        client.run(importlib.import_module, "routes.scale")
        client.run(warm_up)
        cpu = client.run(_cpu_seconds)
        start = time.perf_counter()
        counts = distinct_counts(folder, network, by="month", rows=CHUNK_ROWS, client=client, progress=False)
        seconds = time.perf_counter() - start
        used = [after - cpu[worker] for worker, after in client.run(_cpu_seconds).items()]
        peaks = sorted(client.run(_peak_rss).values())
    return seconds, peaks, sorted(used), len(counts.segments)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="bench_scale", description=__doc__)
    parser.add_argument("--rows", type=float, nargs="+", default=[1e6, 2e6],
                        help="record counts to measure (e.g. 1e7 5e7)")
    parser.add_argument("--repeat", type=int, default=1, help="runs of the floor and the in-process path, "
                        "and of Dask with 1 and 2 workers (alternating; the best of each is kept)")
    parser.add_argument("--no-in-process", action="store_true", help="skip the floor and the in-process path")
    parser.add_argument("--no-dask", action="store_true", help="skip the Dask runs")
    parser.add_argument("--profile", action="store_true",
                        help="also profile the in-process path once (where the time goes)")
    parser.add_argument("--folder", type=Path, default=None, help="where to write the records (temporary)")
    args = parser.parse_args(argv)
    network = sample_network()
    root = args.folder or Path(tempfile.mkdtemp(prefix="bench-scale-"))
    try:
        for n_rows in (int(r) for r in args.rows):
            folder = root / f"rows-{n_rows}"
            start = time.perf_counter()
            write_records(network, n_rows, folder)
            size = sum(p.stat().st_size for p in folder.glob("*.parquet"))
            print(f"\n{n_rows:,} records written in {time.perf_counter() - start:.0f} s "
                  f"({megabytes(size)} of Parquet)")
            if not args.no_in_process:
                floors, ours = [], []
                for _ in range(args.repeat):
                    floors.append((*run_floor(folder, network), _load()))
                    ours.append((*run_in_process(folder, network), _load()))
                floor, best = min(floors), min(ours)
                print_ratios(f"distinct people by segment-month, {n_rows:,} records, in-process",
                             Timing("in-process chunked", best[0],
                                    f"peak {megabytes(best[1])}; {n_rows / best[0]:,.0f} records/s; "
                                    f"{best[2]:,} segment-month rows; {best[3]}"),
                             [Timing("floor (read, project, query_nearest, group-by)", floor[0],
                                     f"peak {megabytes(floor[1])}; {n_rows / floor[0]:,.0f} records/s; "
                                     f"{floor[2]:,} segment-month rows; {floor[3]}")],
                             target="in-process within 1.3x of the floor (ratio >= 0.77 above); "
                                    "peak memory flat in records")
                print(f"  ours / floor = {best[0] / floor[0]:.2f}")
            if args.profile:
                print(profile_in_process(folder, network))
            if args.no_dask:
                continue
            runs: dict[int, list[tuple[float, list[int], list[float], int, str]]] = {1: [], 2: []}
            for _ in range(args.repeat):
                for workers, done in runs.items():
                    done.append((*run_dask(folder, network, workers), _load()))
                    print(f"  dask, {workers} worker(s): {done[-1][0]:.1f} s; CPU per worker "
                          f"{', '.join(f'{u:.1f} s' for u in done[-1][2])}; {done[-1][4]}")
            results = [Timing(f"dask, {workers} worker(s)", seconds,
                              f"peak per worker {', '.join(megabytes(p) for p in peaks)}; "
                              f"CPU per worker {', '.join(f'{u:.1f} s' for u in used)} "
                              f"(sum {sum(used):.1f} s); "
                              f"{n_rows / seconds:,.0f} records/s; {n_segments:,} segment-month rows; {load}")
                       for workers, (seconds, peaks, used, n_segments, load) in
                       ((workers, min(done)) for workers, done in runs.items())]
            print_ratios(f"distinct people by month, {n_rows:,} records, Dask", results[-1], results[:-1],
                         target="2 workers at least 1.8x one worker; the same tables on every engine")
            one, two = (min(sum(run[2]) for run in done) for done in runs.values())
            print(f"  CPU of 2 workers / CPU of 1 worker (least of each) = {two / one:.2f}")
            shutil.rmtree(folder)
    finally:
        if args.folder is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
