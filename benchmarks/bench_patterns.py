"""Pattern clusters and hotspots at scale, in one run (``python -m benchmarks.run patterns``).

(a) ``PatternClusters()`` with default settings (latent classes, 20 bootstrap refits) on 100,000
    cases of ``routes.sample.generate_sample(people=100_000)``: wall time, peak traced memory and the
    adjusted Rand index against the planted patterns. Targets: < 60 s, < 4 GB. Two other methods are
    timed on the same cases without bootstrap, for reference (every method on many seeds and sizes:
    ``benchmarks/bench_methods.py``).
(b) ``hotspots()`` on 200,000 incidents at and around the 250 gazetteer places, against the named
    baseline "plain sklearn DBSCAN haversine ball_tree" (``min_samples`` counting rows, not people)
    on the same points. Both are timed; the number of clusters each finds is printed.

Options: ``--scale S`` multiplies both sizes (``--scale 0.1`` for a quick run).
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd
from sklearn.metrics import adjusted_rand_score

from benchmarks._common import Timing, megabytes, peak_memory, print_ratios, timed
from routes.patterns import EARTH_RADIUS_M, PatternClusters, hotspots
from routes.places import load_gazetteer
from routes.sample import generate_sample

SEED = 20240611


def bench_clusters(n_cases: int) -> None:
    (sample, generate_s) = timed(lambda: generate_sample(seed=SEED % 10_000, people=n_cases))
    cases, truth = sample.cases, sample.truth["pattern"].to_numpy()
    model, fit_s = timed(lambda: PatternClusters(random_state=0).fit(cases))
    _, peak = peak_memory(lambda: PatternClusters(random_state=0).fit(cases))
    ari = adjusted_rand_score(truth, model.labels_)
    print(f"\n## (a) PatternClusters() on {n_cases:,} cases (sample generated in {generate_s:.1f} s)")
    print("target: < 60 s and < 4 GB")
    print(
        f"  default ({model.method}, 20 bootstraps): {fit_s:7.1f} s   peak traced {megabytes(peak)}   "
        f"k = {model.n_clusters_}   ARI = {ari:.3f}   stability {np.round(model.stability_, 2).tolist()}"
    )
    for method in (m for m in ("onehot_kmeans", "latent_class", "hdbscan") if m != model.method):
        other, seconds = timed(
            lambda method=method: PatternClusters(method=method, random_state=0, n_bootstrap=0).fit(cases)
        )
        print(
            f"  {method} (no bootstrap):         {seconds:7.1f} s   k = {other.n_clusters_}   "
            f"ARI = {adjusted_rand_score(truth, other.labels_):.3f}"
        )


def synthetic_incidents(n_incidents: int, rng: np.random.Generator) -> pd.DataFrame:
    """Incidents at the 250 gazetteer places, ~1.5 per person, as the events contract gives them:
    half at the place's point (no own coordinates), half at their own point (Gaussian, sigma 10 km)."""
    places = load_gazetteer(fallback=False).places
    at = rng.integers(0, len(places), n_incidents)
    own = rng.random(n_incidents) < 0.5
    scatter_deg = rng.normal(0, 10_000 / EARTH_RADIUS_M, (n_incidents, 2)) * 180 / np.pi * own[:, None]
    lat = places["lat"].to_numpy()[at] + scatter_deg[:, 0]
    lon = places["lon"].to_numpy()[at] + scatter_deg[:, 1] / np.cos(np.radians(lat))
    people = int(n_incidents / 1.5)
    return pd.DataFrame(
        {
            "case_id": np.char.add("P", rng.integers(0, people, n_incidents).astype(str)),
            "stage": "incident",
            "risk": rng.choice(["extortion", "robbery", "threats;extortion", "sexual_abuse"], n_incidents),
            "date": pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 365, n_incidents), unit="D"),
            "lat": lat,
            "lon": lon,
        }
    )


def bench_hotspots(n_incidents: int) -> None:
    from sklearn.cluster import DBSCAN

    incidents = synthetic_incidents(n_incidents, np.random.default_rng(SEED))
    radians = np.radians(incidents[["lat", "lon"]].to_numpy())
    eps = 10_000 / EARTH_RADIUS_M
    ours, ours_s = timed(lambda: hotspots(incidents, radius_km=10, min_people=11))
    _, ours_peak = peak_memory(lambda: hotspots(incidents, radius_km=10, min_people=11))
    space_time, st_s = timed(lambda: hotspots(incidents, radius_km=10, min_people=11, window_days=30))
    baseline, base_s = timed(
        lambda: DBSCAN(eps=eps, min_samples=11, metric="haversine", algorithm="ball_tree").fit(radians)
    )
    _, base_peak = peak_memory(
        lambda: DBSCAN(eps=eps, min_samples=11, metric="haversine", algorithm="ball_tree").fit(radians)
    )
    n_base = len(set(baseline.labels_) - {-1})
    print_ratios(
        f"(b) hotspots on {n_incidents:,} incidents (10 km, 11 people)",
        Timing(
            "routes.patterns.hotspots",
            ours_s,
            f"{len(ours)} hotspots (people-counted cores, polygons, places); peak {megabytes(ours_peak)}",
        ),
        [
            Timing(
                "plain sklearn DBSCAN haversine ball_tree",
                base_s,
                f"{n_base} clusters (row-counted cores, labels only); peak {megabytes(base_peak)}",
            )
        ],
        target="no slower than the baseline",
    )
    print(f"  hotspots(window_days=30): {st_s:.2f} s, {len(space_time)} space-time hotspots")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="bench_patterns", description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every size (default 1)")
    scale = parser.parse_args(argv).scale
    bench_clusters(int(100_000 * scale))
    bench_hotspots(int(200_000 * scale))


if __name__ == "__main__":
    main()
