"""The large-data path: chunked reading with routes.io's checks, exact distinct people on Dask.

The Dask path runs on a real two-process ``LocalCluster`` and must give the same tables as the
in-process chunked path, which in turn must give the place counts of ``RouteNetwork`` itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import dask_geopandas
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from distributed import Client, LocalCluster
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from routes import io as rio
from routes.basemap import region_outline
from routes.errors import CaseDataError, NetworkError, PolicyError
from routes.network import RouteNetwork, local_projection
from routes.sample import write_sample
from routes.scale import (
    DistinctCounts,
    PersonBuckets,
    distinct_counts,
    iter_chunks,
    memberships,
    read_events_chunked,
    synthetic_records,
    validate_chunk,
    warm_up,
)

COUNT_TABLES = ("places", "segments", "hexagons", "place_incidents", "segment_incidents")
TODAY = pd.Timestamp("2026-01-01").date()


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return write_sample(tmp_path_factory.mktemp("sample"), people=600)


@pytest.fixture(scope="module")
def report(sample: dict[str, Path]) -> rio.ValidationReport:
    return rio.validate(sample["cases"], events=sample["events"], today=TODAY)


@pytest.fixture(scope="module")
def network(report: rio.ValidationReport) -> RouteNetwork:
    return RouteNetwork.from_events(report.events, cases=report.cases)


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as running:
        yield running


@pytest.fixture(scope="module")
def records_dir(network: RouteNetwork, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """120,000 records of 30,000 people in four Parquet files of row groups of 10,000: a person's
    records fall in several files, and 0.5 % of the records are broken."""
    folder = tmp_path_factory.mktemp("records")
    records = synthetic_records(network, n=120_000, people=30_000, seed=7, bad_share=0.005)
    return write_parts(records, folder, per_file=30_000, row_group=10_000)


def write_parts(records: pd.DataFrame, folder: Path, *, per_file: int, row_group: int) -> Path:
    """``records`` as hive-partitioned Parquet files ``part=<i>/records.parquet`` under ``folder``."""
    for part, start in enumerate(range(0, len(records), per_file)):
        (folder / f"part={part}").mkdir()
        records.iloc[start:start + per_file].to_parquet(folder / f"part={part}" / "records.parquet",
                                                        row_group_size=row_group, index=False)
    return folder


def assert_same_counts(left: DistinctCounts, right: DistinctCounts) -> None:
    for name in COUNT_TABLES:
        pd.testing.assert_frame_equal(getattr(left, name), getattr(right, name), obj=name)
    pd.testing.assert_frame_equal(left.quarantine.rejected, right.quarantine.rejected, obj="rejected")
    pd.testing.assert_frame_equal(left.quarantine.summary(), right.quarantine.summary(), obj="summary")


def as_text(members: pd.DataFrame) -> pd.DataFrame:
    """A membership table with text columns (the network keeps categoricals), sorted."""
    text = members.astype({c: "str" for c in members.columns if c != "month"})
    return text.sort_values(list(text.columns)).reset_index(drop=True)


# --------------------------------------------------------------------------------------------------
# Agreement with the in-memory network


def test_place_counts_equal_route_network_place_flows(sample, report, network):
    counts = distinct_counts(sample["events"], network, by="month", cases=report.cases, rows=1_000,
                             today=TODAY)
    expected = network.place_flows("month")
    expected = expected.assign(place_id=expected["place_id"].astype(str))
    expected = expected.sort_values(["place_id", "month"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(counts.places, expected, check_dtype=False)
    assert counts.quarantine.n_read == len(report.events)


def test_place_memberships_equal_route_network_place_people(sample, report, network):
    members = memberships(sample["events"], network, cases=report.cases, rows=2_500, today=TODAY)
    pd.testing.assert_frame_equal(as_text(members.place_people), as_text(network.place_people))


def test_records_go_to_the_segment_a_brute_force_search_finds_nearest(tmp_path, network):
    """3,000 points scattered up to about 40 km around the segments: a record off every place is on
    the segment at the least planar distance of all (the grid of candidates misses none), and a
    record left off every segment has none within the radius over the projection slack."""
    rng = np.random.default_rng(5)
    lines = np.asarray(network.segments.geometry.array, dtype=object)
    along = shapely.line_interpolate_point(lines[rng.integers(0, len(lines), 3_000)], rng.random(3_000),
                                           normalized=True)
    lon = shapely.get_x(along) + rng.normal(0, 0.15, 3_000)
    lat = shapely.get_y(along) + rng.normal(0, 0.15, 3_000)
    records = pd.DataFrame({"case_id": [f"R{i}" for i in range(3_000)], "seq": 1, "date": "2024-03-01",
                            "stage": "transit", "lat": lat.round(6), "lon": lon.round(6)})
    records.to_csv(tmp_path / "points.csv", index=False)
    members = memberships(tmp_path / "points.csv", network, rows=700, today=TODAY)
    xy = shapely.get_coordinates(lines)
    crs = local_projection(xy[:, 0], xy[:, 1])
    projected = gpd.GeoSeries(lines, crs="EPSG:4326").to_crs(crs).to_numpy()
    points = gpd.GeoSeries(gpd.points_from_xy(records["lon"], records["lat"]), crs="EPSG:4326").to_crs(crs)
    planar = shapely.distance(points.to_numpy()[:, None], projected[None, :])
    row = {case: i for i, case in enumerate(records["case_id"])}
    ends = zip(network.segments.index.get_level_values("u"), network.segments.index.get_level_values("v"),
               strict=True)
    position = {(str(u), str(v)): i for i, (u, v) in enumerate(ends)}
    on_segment = members.segment_people
    assert len(on_segment) > 1_000
    got = np.array([planar[row[c], position[(u, v)]] for c, u, v in
                    on_segment[["case_id", "u", "v"]].itertuples(index=False)])
    nearest = planar[[row[c] for c in on_segment["case_id"]]].min(axis=1)
    np.testing.assert_allclose(got, nearest, atol=1e-6)
    attached = set(on_segment["case_id"]) | set(members.place_people["case_id"])
    accepted = set(members.hex_people["case_id"])
    left_off = [row[c] for c in accepted - attached]
    assert len(left_off) > 50
    assert planar[left_off].min() > 20_000 / 1.25


# --------------------------------------------------------------------------------------------------
# Dask and in-process give identical tables


def test_dask_equals_in_process_on_the_sample_csv(sample, report, network, client):
    options = {"by": ("month", "stage"), "cases": report.cases, "rows": 1_500, "today": TODAY}
    in_process = distinct_counts(sample["events"], network, **options)
    on_dask = distinct_counts(sample["events"], network, client=client, progress=False, **options)
    assert_same_counts(on_dask, in_process)
    assert on_dask.quarantine.n_read == len(report.events)


def test_dask_equals_in_process_on_partitioned_parquet(records_dir, network, client):
    in_process = distinct_counts(records_dir, network, by="month", rows=15_000, today=TODAY)
    on_dask = distinct_counts(records_dir, network, by="month", rows=15_000, client=client, progress=False,
                              today=TODAY)
    assert_same_counts(on_dask, in_process)
    quarantine = on_dask.quarantine
    assert quarantine.n_read == 120_000
    assert quarantine.n_accepted + quarantine.n_rejected == quarantine.n_read
    assert 0.003 * 120_000 < quarantine.n_rejected < 0.007 * 120_000
    # Every broken record is listed with its file and row, and only broken ones.
    assert set(quarantine.rejected["file"]) == {"records.parquet"}
    assert set(quarantine.rejected["column"]) >= {"stage", "date"}
    assert len(on_dask.segments) > 0 and len(on_dask.hexagons) > 0


def test_quarantine_rows_do_not_depend_on_chunking(records_dir, network):
    whole = distinct_counts(records_dir / "part=1", network, rows=10**9, today=TODAY)
    chunked = distinct_counts(records_dir / "part=1", network, rows=10_000, today=TODAY)
    assert_same_counts(chunked, whole)


def test_dask_dataframe_input_gives_the_same_counts(sample, report, network, client):
    events = report.events.drop(columns=["place_id", "has_coords"])
    collection = dask_geopandas.from_geopandas(gpd.GeoDataFrame(events), npartitions=3)
    on_dask = distinct_counts(collection, network, by="month", cases=report.cases, progress=False,
                              today=TODAY)
    in_process = distinct_counts(sample["events"], network, by="month", cases=report.cases, today=TODAY)
    for name in COUNT_TABLES:
        pd.testing.assert_frame_equal(getattr(on_dask, name), getattr(in_process, name), obj=name)
    assert on_dask.quarantine.n_read == len(events)


# --------------------------------------------------------------------------------------------------
# Exact distinct people across partitions


@pytest.fixture(scope="module")
def split_person_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Person A is at Cúcuta in March 2024 in both files, B once in the second; A's incident in the
    first file has two risk codes, one of them again in the second file."""
    folder = tmp_path_factory.mktemp("split")
    first = pd.DataFrame({"case_id": ["A", "A"], "seq": [1, 2], "date": ["2024-03-02", "2024-03-20"],
                          "stage": ["transit", "incident"], "place": ["Cúcuta", "Cúcuta"],
                          "risk": ["", "extortion;robbery"]})
    second = pd.DataFrame({"case_id": ["A", "B", "A"], "seq": [3, 1, 4],
                           "date": ["2024-03-28", "2024-03-05", "2024-03-29"],
                           "stage": ["transit", "transit", "incident"],
                           "place": ["Cucuta", "Cúcuta", "Cúcuta"],
                           "risk": ["", "", "Extorsión"]})
    first.to_parquet(folder / "a.parquet", index=False)
    second.to_parquet(folder / "b.parquet", index=False)
    return folder


@pytest.mark.parametrize("engine", ["in-process", "dask"])
def test_a_person_in_two_partitions_counts_once(split_person_dir, network, client, engine):
    counts = distinct_counts(split_person_dir, network, by="month", rows=1, progress=False, today=TODAY,
                             client=client if engine == "dask" else None)
    cucuta = counts.places[counts.places["place_id"] == "co-cucuta"]
    assert cucuta[["month", "n_people"]].astype(str).values.tolist() == [["2024-03", "2"]]
    incidents = counts.place_incidents.set_index("risk")["n_people"].to_dict()
    assert incidents == {"extortion": 1, "robbery": 1}
    assert counts.quarantine.n_read == 5 and counts.quarantine.n_rejected == 0


def chunk_rows(rng: np.random.Generator, people: np.ndarray,
               n: int) -> tuple[dict[str, pd.DataFrame], np.ndarray]:
    """``n`` rows of (segment, month, person) over 50 segments and 12 months, persons drawn from
    ``people``, in the form :meth:`PersonBuckets.add` takes."""
    labels, person = np.unique(rng.choice(people, n), return_inverse=True)
    frame = pd.DataFrame({"segment": rng.integers(0, 50, n), "month": rng.integers(600, 612, n),
                          "person": person})
    return {"segments": frame}, labels.astype(object)


def expected_counts(chunks: list[tuple[dict[str, pd.DataFrame], np.ndarray]]) -> pd.DataFrame:
    rows = pd.concat([tables["segments"].assign(person=labels[tables["segments"]["person"]])
                      for tables, labels in chunks])
    return rows.groupby(["segment", "month"])["person"].nunique().rename("n_people").reset_index()


@pytest.mark.parametrize("n_chunks", [2, 8, 32])
def test_person_buckets_hold_about_one_chunk_whatever_the_number_of_records(n_chunks):
    """New people in every chunk (distinct pairs grow with the records): with a bucket per chunk,
    the most rows in memory at once stay about one chunk's, and the counts are exact."""
    rng = np.random.default_rng(n_chunks)
    chunks = [chunk_rows(rng, np.array([f"P{c}-{i}" for i in range(3_000)]), 5_000) for c in range(n_chunks)]
    with PersonBuckets({"segments": ["segment", "month"]}, n_chunks) as buckets:
        for tables, labels in chunks:
            buckets.add(tables, labels)
        counts = buckets.counts()["segments"]
    got = counts.sort_values(["segment", "month"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(got, expected_counts(chunks), check_dtype=False)
    assert buckets.spilled == 5_000 * n_chunks
    assert buckets.largest <= 1.3 * 5_000


def test_person_buckets_count_a_person_once_across_chunks_and_buckets():
    """The same 400 people in every chunk: each is in one bucket, so counts add up exactly."""
    rng = np.random.default_rng(3)
    people = np.array([f"case {i}" for i in range(400)])
    chunks = [chunk_rows(rng, people, 3_000) for _ in range(6)]
    for n in (1, 4, 64):
        with PersonBuckets({"segments": ["segment", "month"]}, n) as buckets:
            for tables, labels in chunks:
                buckets.add(tables, labels)
            counts = buckets.counts()["segments"].sort_values(["segment", "month"]).reset_index(drop=True)
        pd.testing.assert_frame_equal(counts, expected_counts(chunks), check_dtype=False, obj=f"{n} buckets")


def weak_hashes(salt_that_collides: int | None):
    """A stand-in for the 64-bit hashes of case ids that gives every person the same one under
    ``salt_that_collides`` (None: every salt): a collision, which real 64-bit hashes of test
    data never give, so the check that catches it can be seen at work. The second hash stays sound."""
    def hashes(labels: np.ndarray, salt: int) -> tuple[np.ndarray, np.ndarray]:
        text = np.asarray(labels, dtype=object)
        ids = pd.util.hash_array(text, hash_key=f"test-ids-{salt:07d}", categorize=False)
        check = pd.util.hash_array(text, hash_key=f"test-chk-{salt:07d}", categorize=False)
        return (np.zeros_like(ids) if salt_that_collides in (None, salt) else ids), check
    return hashes


def test_counts_stay_exact_when_two_case_ids_share_a_hash(records_dir, network, monkeypatch):
    """A collision under the first salt is caught and the counts are made again with the next."""
    options = {"by": "month", "rows": 30_000, "today": TODAY}
    exact = distinct_counts(records_dir, network, **options)
    monkeypatch.setattr("routes.scale._person_hashes", weak_hashes(0))
    assert_same_counts(distinct_counts(records_dir, network, **options), exact)


def test_case_ids_that_always_share_a_hash_are_an_error_not_a_merged_count(split_person_dir, network,
                                                                           monkeypatch):
    monkeypatch.setattr("routes.scale._person_hashes", weak_hashes(None))
    with pytest.raises(CaseDataError, match="same 64-bit hash"):
        distinct_counts(split_person_dir, network, by="month", rows=1, today=TODAY)
    with PersonBuckets({"segments": ["segment", "month"]}, 2) as buckets:
        buckets.add(*chunk_rows(np.random.default_rng(5), np.array(["A", "B", "C", "D"]), 40))
        with pytest.raises(CaseDataError, match="another salt"):
            buckets.counts()


def test_warm_up_loads_the_region_outline_a_process_keeps_for_every_chunk():
    region_outline.cache_clear()
    warm_up()
    assert region_outline.cache_info().misses == 1  # built once by the warm-up
    assert isinstance(region_outline(rio.StudyRegion().countries), shapely.Geometry)
    assert region_outline.cache_info().misses == 1  # and not again for the chunks' checks


# --------------------------------------------------------------------------------------------------
# Chunked reading


def test_iter_chunks_holds_at_most_rows_records_and_numbers_csv_lines(sample):
    chunks = list(iter_chunks(sample["events"], rows=1_000))
    n_lines = sum(1 for _ in sample["events"].open(encoding="utf-8")) - 1
    assert all(len(c.cells) <= 1_000 for c in chunks)
    assert sum(len(c.cells) for c in chunks) == n_lines
    assert chunks[0].rows[0] == 2 and chunks[1].rows[0] == 1_002
    assert chunks[-1].rows[-1] == n_lines + 1


def test_read_events_chunked_reconciles_per_chunk(tmp_path):
    path = tmp_path / "events.csv"
    path.write_text("case_id,seq,date,stage,place\n"
                    "A,1,2024-01-05,transit,Cúcuta\n"
                    "A,2,2024-01-07,wandering,Pamplona\n"
                    "\n"
                    "B,1,2024-13-01,transit,Bogotá\n"
                    "B,2,2024-01-09,transit,Bogotá\n", encoding="utf-8")
    reports = list(read_events_chunked(path, rows=2, today=TODAY))
    assert [r.n_read["events"] for r in reports] == [2, 1, 1]  # the blank line is no record
    assert [len(r.events) for r in reports] == [1, 0, 1]
    rejected = pd.concat([r.rejected for r in reports], ignore_index=True)
    assert rejected[["row", "column", "value"]].astype(str).values.tolist() == [
        ["3", "stage", "wandering"], ["5", "date", "2024-13-01"]]


MESSY_EVENTS = (
    "case_id,seq,date,stage,place,lat,lon,risk,notes\n"
    "A,1,2024-01-05,transit,Cúcuta,,,,hola\n"
    "A,2,2024-01-07,wandering,Pamplona,,,robo;extorsión,\n"
    ",3,2024-13-01,incident,Atlantis,,,,\n"
    "B,x,2030-01-01,incidente,Atlantis,7.9,-72.5,robbery;flying,\n"
    "B,2,2024-02-01,transit,,95,-72,,\n"
    "C,1,01/02/2024,transit,,0,0,,\n"
    "C,2,2024-02-03,transit,Bogotá,4.6,,,\n"
    "D,1,2024-02-03,incident,,40.4,-3.7,extortion,\n"
    "D,2,2024-02-03,incident,Bogota,4.6,-74.1,Extorsión,\n"
    "E,1,2024,transit,Cucuta,-72.5,7.9,,\n"
)


@pytest.mark.parametrize("rows", [100, 3])
def test_chunks_checked_by_distinct_value_report_what_routes_io_reports_row_by_row(tmp_path, network, rows):
    """Unknown codes, bad and future dates, unknown places with and without coordinates, coordinates
    out of range, at (0, 0), half given, abroad and swapped: the same problems, in the same order,
    and the same accepted records as routes.io's row-by-row check of each chunk."""
    path = tmp_path / "messy.csv"
    path.write_text(MESSY_EVENTS, encoding="utf-8")
    reports = [validate_chunk(chunk, today=TODAY) for chunk in iter_chunks(path, rows=rows)]
    expected = pd.concat([r.rejected for r in reports], ignore_index=True).astype({"value": object})
    counts = distinct_counts(path, network, by=("month", "stage"), rows=rows, today=TODAY)
    pd.testing.assert_frame_equal(counts.quarantine.rejected, expected, check_dtype=False)
    assert set(expected["column"]) == {"case_id", "seq", "date", "stage", "place", "lat, lon", "risk"}
    assert counts.quarantine.n_rejected == sum(r.n_rejected_by_table["events"] for r in reports) == 8
    members = memberships(path, network, rows=rows, today=TODAY)
    accepted = pd.concat([r.events for r in reports])
    assert set(members.place_people["case_id"]) == set(accepted["case_id"]) == {"A", "D"}


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.integers(min_value=1, max_value=6))
def test_counts_do_not_depend_on_chunk_size(split_person_dir, network, rows):
    reference = distinct_counts(split_person_dir, network, by=("month", "stage"), rows=10**6, today=TODAY)
    counts = distinct_counts(split_person_dir, network, by=("month", "stage"), rows=rows, today=TODAY)
    assert counts.quarantine.n_read == 5
    for name in COUNT_TABLES:
        pd.testing.assert_frame_equal(getattr(counts, name), getattr(reference, name), obj=name)


# --------------------------------------------------------------------------------------------------
# Refusals


def test_hexagons_finer_than_resolution_6_are_refused_for_publication(split_person_dir, network):
    with pytest.raises(PolicyError, match=r"^hexagon counts: H3 resolution 7 is finer than 6 "):
        distinct_counts(split_person_dir, network, h3_resolution=7)
    internal = distinct_counts(split_person_dir, network, h3_resolution=7, publishable=False, today=TODAY)
    assert internal.hexagons["h3_cell"].str.len().eq(15).all()


def test_unknown_by_is_refused(split_person_dir, network):
    with pytest.raises(NetworkError, match="'week'"):
        distinct_counts(split_person_dir, network, by="week")


@pytest.mark.slow
def test_dask_equals_in_process_on_two_million_records(network, client, tmp_path):
    """The issue's 'few million rows': 2,000,000 records of 400,000 people in 8 Parquet files."""
    write_parts(synthetic_records(network, n=2_000_000, people=400_000, seed=11, bad_share=0.001), tmp_path,
                per_file=250_000, row_group=125_000)
    in_process = distinct_counts(tmp_path, network, by="month", rows=250_000, today=TODAY)
    on_dask = distinct_counts(tmp_path, network, by="month", rows=250_000, client=client, progress=False,
                              today=TODAY)
    assert_same_counts(on_dask, in_process)
    assert on_dask.quarantine.n_read == 2_000_000
    assert on_dask.quarantine.n_accepted + on_dask.quarantine.n_rejected == 2_000_000
