"""Large record sets: the in-process chunked path against Dask with 1 and 2 worker processes.

``python -m benchmarks.run scale -- --rows 1e6 2e6`` generates that many synthetic movement records
(``routes.scale.synthetic_records`` along the sample network, 0.1 % broken) into Parquet files of
one million rows on disk, then times :func:`routes.scale.distinct_counts` by month on each engine
and reports the peak resident memory of the process that did the work (each worker's, on Dask).
Every configuration runs in fresh processes, so peaks do not carry over. The ratios printed are
the speed-up of Dask with 2 workers over each other engine.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import multiprocessing
import resource
import shutil
import tempfile
import time
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
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _in_process(folder: Path, network: object) -> tuple[float, int, int]:
    from routes.scale import distinct_counts

    start = time.perf_counter()
    counts = distinct_counts(folder, network, by="month", rows=CHUNK_ROWS)
    return time.perf_counter() - start, _peak_rss(), len(counts.segments)


def run_in_process(folder: Path, network: object) -> tuple[float, int, int]:
    """Time and peak memory of the in-process chunked path, in a fresh process."""
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(1, mp_context=context) as pool:
        return pool.submit(_in_process, folder, network).result()


def run_dask(folder: Path, network: object, workers: int) -> tuple[float, list[int], int]:
    """Time of the Dask path on a fresh local cluster, and each worker's peak memory."""
    from distributed import Client, LocalCluster

    from routes.scale import distinct_counts

    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                      memory_limit="8GiB") as cluster, Client(cluster) as client:
        start = time.perf_counter()
        counts = distinct_counts(folder, network, by="month", rows=CHUNK_ROWS, client=client, progress=False)
        seconds = time.perf_counter() - start
        peaks = sorted(client.run(_peak_rss).values())
    return seconds, peaks, len(counts.segments)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="bench_scale", description=__doc__)
    parser.add_argument("--rows", type=float, nargs="+", default=[1e6, 2e6],
                        help="record counts to measure (e.g. 1e7 5e7)")
    parser.add_argument("--no-in-process", action="store_true", help="skip the in-process path")
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
            results: list[Timing] = []
            if not args.no_in_process:
                seconds, peak, n_segments = run_in_process(folder, network)
                results.append(Timing("in-process chunked", seconds,
                                      f"peak {megabytes(peak)}; {n_rows / seconds:,.0f} rows/s"))
            for workers in (1, 2):
                seconds, peaks, n_segments = run_dask(folder, network, workers)
                per_core = n_rows / seconds / workers
                results.append(Timing(f"dask, {workers} worker(s)", seconds,
                                      f"peak per worker {', '.join(megabytes(p) for p in peaks)}; "
                                      f"{per_core:,.0f} rows/s/core; {n_segments:,} segment-month rows"))
            print_ratios(f"distinct people by month, {n_rows:,} records", results[-1], results[:-1],
                         target="the same tables on every engine; time falling with workers")
            shutil.rmtree(folder)
    finally:
        if args.folder is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
