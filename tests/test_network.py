"""RouteNetwork on small hand-built journeys whose answers are worked out by hand.

The unit tests use a ten-place gazetteer (real coordinates) so each number can be checked on paper;
the last tests run on the real gazetteer and the synthetic sample.
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyproj import Geod
from shapely.geometry import LineString, Point

from routes.errors import CaseDataError, NetworkError, PlaceNotFoundError
from routes.network import (
    INCIDENT_PLACE,
    INCIDENT_PLACE_SEGMENT,
    INCIDENT_SEGMENT,
    ROUTE_REPEAT,
    ROUTE_SINGLE,
    UNATTACHED_FAR,
    UNATTACHED_NO_PLACE,
    RouteNetwork,
    beta_binomial_prior,
    snap_points_to_lines,
    wilson_interval,
)
from routes.places import Gazetteer

GEOD = Geod(ellps="WGS84")
PLACES = [
    ("cuc", "Cúcuta", 7.8939, -72.5078, "city"),
    ("vdr", "Villa del Rosario", 7.8336, -72.4742, "irregular_crossing_area"),
    ("buc", "Bucaramanga", 7.1193, -73.1227, "city"),
    ("bog", "Bogotá", 4.7110, -74.0721, "city"),
    ("cal", "Cali", 3.4516, -76.5320, "city"),
    ("ipi", "Ipiales", 0.8302, -77.6445, "official_crossing"),
    ("qui", "Quito", -0.1807, -78.4678, "city"),
    ("lim", "Lima", -12.0464, -77.0428, "city"),
    ("nec", "Necoclí", 8.4260, -76.7837, "transit_hub"),
    ("med", "Medellín", 6.2442, -75.5812, "city"),
]
XY = {pid: (lon, lat) for pid, _, lat, lon, _ in PLACES}


@pytest.fixture(scope="module")
def gaz() -> Gazetteer:
    table = pd.DataFrame(PLACES, columns=["place_id", "name", "lat", "lon", "kind"])
    return Gazetteer(
        table.assign(aliases="", country="COL", admin1="", admin2="", admin2_code="", corridors="andean"),
        source="test places",
    )


def step(
    case: str,
    seq: int,
    place: str | None = None,
    stage: str = "transit",
    *,
    date: str | None = None,
    lon: float = math.nan,
    lat: float = math.nan,
    risk: str = "",
) -> dict[str, object]:
    """One events row of the table contract (docs/architecture.md)."""
    return {
        "case_id": case,
        "seq": seq,
        "date": pd.Timestamp(date) if date else pd.NaT,
        "stage": stage,
        "place": place or "",
        "place_id": place,
        "lat": lat,
        "lon": lon,
        "has_coords": not math.isnan(lat),
        "crossing": "unknown",
        "risk": risk,
    }


def events_table(*rows: dict[str, object]) -> gpd.GeoDataFrame:
    frame = pd.DataFrame(list(rows))
    lon = frame["lon"].where(frame["has_coords"], frame["place_id"].map(lambda p: XY.get(p, (math.nan,))[0]))
    lat = frame["lat"].where(
        frame["has_coords"], frame["place_id"].map(lambda p: XY.get(p, (0, math.nan))[1])
    )
    return gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326")


def journey(
    case: str,
    places: list[str],
    *,
    stage: str = "transit",
    date: str | None = None,
    incident_after: dict[int, tuple[str, str]] | None = None,
) -> list[dict[str, object]]:
    """Route steps through ``places``; ``incident_after[i] = (place, risk)`` adds an incident after step i."""
    rows, seq = [], 0
    for i, place in enumerate(places):
        seq += 1
        rows.append(step(case, seq, place, stage, date=date))
        if incident_after and i in incident_after:
            seq += 1
            where, risk = incident_after[i]
            rows.append(step(case, seq, where, "incident", date=date, risk=risk))
    return rows


def offset(place: str, metres: float, azimuth: float = 90.0) -> tuple[float, float]:
    lon, lat = XY[place]
    lon2, lat2, _ = GEOD.fwd(lon, lat, azimuth, metres)
    return lon2, lat2


# -- distinct people ----------------------------------------------------------------------------------


def test_a_person_walking_a_segment_twice_counts_once(gaz: Gazetteer) -> None:
    net = RouteNetwork.from_journeys(
        {"a": ["Cúcuta", "Bogotá", "Cúcuta", "Bogotá"], "b": ["cuc", "bog"]}, gazetteer=gaz
    )
    assert net.segments.loc[("cuc", "bog"), "n_people"] == 2
    assert net.segments.loc[("bog", "cuc"), "n_people"] == 1
    assert net.places.loc["cuc", "n_people"] == 2
    assert net.graph.edges["cuc", "bog"]["n_people"] == 2
    assert net.graph.graph["crs"] == "EPSG:4326"


def test_consecutive_repeats_collapse_and_revisits_stay_without_self_loops(gaz: Gazetteer) -> None:
    net = RouteNetwork.from_events(events_table(*journey("a", ["cuc", "cuc", "bog", "cuc"])), gazetteer=gaz)
    assert sorted(net.segments.index) == [("bog", "cuc"), ("cuc", "bog")]
    assert not any(u == v for u, v in net.graph.edges)
    assert net.journeys["place_id"].tolist() == ["cuc", "bog", "cuc"]
    table = net.reconciliation().set_index("status")
    assert table.loc[ROUTE_REPEAT, "n_events"] == 1


def test_single_place_journey_is_a_visit_without_segment(gaz: Gazetteer) -> None:
    net = RouteNetwork.from_events(
        events_table(*journey("a", ["med"]), *journey("b", ["cuc", "bog"])), gazetteer=gaz
    )
    assert net.places.loc["med", "n_people"] == 1
    assert "med" not in set(net.segments.index.get_level_values("u")) | set(
        net.segments.index.get_level_values("v")
    )
    table = net.reconciliation().set_index("status")
    assert table.loc[ROUTE_SINGLE, "n_people"] == 1
    assert table.loc["total", "n_events"] == 3


def test_segment_length_is_geodesic_metres(gaz: Gazetteer) -> None:
    net = RouteNetwork.from_journeys([["Cúcuta", "Lima"]], gazetteer=gaz)
    expected = GEOD.inv(*XY["cuc"], *XY["lim"])[2]
    assert net.segments.loc[("cuc", "lim"), "length_m"] == pytest.approx(expected, rel=1e-9)
    (lon1, lat1), (lon2, lat2) = np.radians(XY["cuc"]), np.radians(XY["lim"])
    haversine = (
        2
        * 6_371_000
        * np.arcsin(
            np.sqrt(
                np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
            )
        )
    )
    assert expected == pytest.approx(haversine, rel=0.01)  # metres, not degrees: about 2,260 km


# -- flows ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def staged(gaz: Gazetteer) -> RouteNetwork:
    events = events_table(
        step("a", 1, "cuc", "recruitment", date="2024-01-05"),
        step("a", 2, "bog", "transit", date="2024-02-01"),
        step("a", 3, "lim", "exploitation", date="2024-03-10"),
        step("b", 1, "cuc", date="2024-01-20"),
        step("b", 2, "bog", date="2024-01-25"),
        step("c", 1, "cuc"),
        step("c", 2, "bog"),
    )
    cases = pd.DataFrame(
        {
            "case_id": ["a", "b", "c"],
            "case_type": ["trafficking", "smuggling", "smuggling"],
            "consent_reporting": ["yes", "yes", "no"],
            "date_registered": pd.to_datetime(["2024-04-01", "2024-04-01", "2024-05-03"]),
        }
    )
    return RouteNetwork.from_events(events, cases=cases, gazetteer=gaz)


def test_flows_by_stage_case_type_and_month(staged: RouteNetwork) -> None:
    def cell(table: pd.DataFrame, by: str) -> dict[object, int]:
        rows = table[(table["u"] == "cuc") & (table["v"] == "bog")]
        return dict(zip(rows[by].astype(object), rows["n_people"], strict=True))

    assert cell(staged.flows(by="stage"), "stage") == {"transit": 3}
    assert cell(staged.flows(by="case_type"), "case_type") == {"trafficking": 1, "smuggling": 2}
    months = cell(staged.flows(by="month"), "month")
    # a and b by their step dates; c has no dates and takes its registration month.
    assert months == {
        pd.Period("2024-02", "M"): 1,
        pd.Period("2024-01", "M"): 1,
        pd.Period("2024-05", "M"): 1,
    }
    assert cell(staged.flows(by="consent_reporting"), "consent_reporting") == {"yes": 2, "no": 1}
    places = staged.place_flows(by="stage")
    cuc = places[places["place_id"] == "cuc"]
    assert dict(zip(cuc["stage"], cuc["n_people"], strict=True)) == {"recruitment": 1, "transit": 2}
    assert staged.places.loc["lim", "n_exploitation"] == 1
    assert staged.segments.loc[("bog", "lim"), "n_exploitation"] == 1


def test_flows_reject_an_unknown_key(staged: RouteNetwork) -> None:
    with pytest.raises(NetworkError, match="`by` must be one of"):
        staged.flows(by="sex")  # type: ignore[arg-type]


def test_segment_people_is_a_long_membership_table(staged: RouteNetwork) -> None:
    members = staged.segment_people
    assert set(members.columns) >= {"case_id", "u", "v", "month", "stage", "case_type", "consent_reporting"}
    assert len(members[(members["u"] == "cuc") & (members["v"] == "bog")]) == 3


# -- rates ---------------------------------------------------------------------------------------------


def test_wilson_interval_matches_the_textbook_values() -> None:
    low, high = wilson_interval(np.array([1, 0, 40]), np.array([10, 10, 200]))
    # 1 of 10: 0.0179–0.4042; 0 of 10: 0–0.2775; 40 of 200: 0.1505–0.2609 (Wilson 1927, z = 1.96).
    assert low == pytest.approx([0.01788, 0.0, 0.15045], abs=5e-5)
    assert high == pytest.approx([0.40415, 0.27753, 0.26086], abs=5e-5)


def test_beta_binomial_prior_by_method_of_moments() -> None:
    x, n = np.array([1, 40, 2, 5]), np.array([2, 200, 100, 100])
    alpha, beta = beta_binomial_prior(x, n)
    mean = 48 / 402
    spread = np.sum(n * (x / n - mean) ** 2) / (mean * (1 - mean))
    rho = (spread - 3) / (402 - 3)
    assert alpha + beta == pytest.approx(1 / rho - 1)
    assert alpha / (alpha + beta) == pytest.approx(mean)
    assert beta_binomial_prior(np.array([0, 0]), np.array([5, 9])) == (0.0, 0.0)


@pytest.fixture(scope="module")
def risky(gaz: Gazetteer) -> RouteNetwork:
    """Segments: med→nec 1 of 2 people, cuc→bog 40 of 200, bog→cal 2 of 100, cal→ipi 5 of 100."""
    rows = []
    for (u, v), people, hurt in (
        (("med", "nec"), 2, 1),
        (("cuc", "bog"), 200, 40),
        (("bog", "cal"), 100, 2),
        (("cal", "ipi"), 100, 5),
    ):
        for i in range(people):
            incident = {0: (v, "extortion;robbery")} if i < hurt else None
            rows += journey(f"{u}{v}{i}", [u, v], incident_after=incident)
    return RouteNetwork.from_events(events_table(*rows), gazetteer=gaz)


def test_shrinkage_ranks_one_in_two_below_forty_in_two_hundred(risky: RouteNetwork) -> None:
    segments = risky.segments
    assert segments.loc[("med", "nec"), "incident_rate"] == 50
    assert segments.loc[("cuc", "bog"), "incident_rate"] == 20
    ranked = risky.riskiest("segments")
    assert list(ranked.index[:2]) == [("cuc", "bog"), ("med", "nec")]
    # Prior from the four segments: alpha ≈ 1.706, beta ≈ 12.58 (see the test above).
    assert segments.loc[("med", "nec"), "rate_shrunk"] == pytest.approx(
        100 * (1 + 1.706) / (2 + 14.29), abs=0.1
    )
    assert segments.loc[("cuc", "bog"), "rate_low"] == pytest.approx(15.045, abs=0.01)
    assert list(risky.riskiest("segments", min_people=50).index) == [
        ("cuc", "bog"),
        ("cal", "ipi"),
        ("bog", "cal"),
    ]


def test_incidents_count_per_risk_type_on_places_and_segments(risky: RouteNetwork) -> None:
    assert risky.segments.loc[("cuc", "bog"), "risk_extortion"] == 40
    assert risky.segments.loc[("cuc", "bog"), "risk_robbery"] == 40
    assert risky.places.loc["bog", "n_incidents"] == 40
    people = risky.incident_people
    assert len(people[(people["u"] == "cuc") & (people["risk"] == "robbery")]) == 40
    by_risk = risky.riskiest("segments", risk="robbery", top=1)
    assert by_risk.index[0] == ("cuc", "bog")
    with pytest.raises(NetworkError, match="unknown risk 'robery'"):
        risky.riskiest(risk="robery")


def test_incident_between_two_steps_counts_at_its_place_and_on_its_segment(gaz: Gazetteer) -> None:
    net = RouteNetwork.from_events(
        events_table(
            *journey("a", ["cuc", "bog", "lim"], incident_after={0: ("bog", "threats"), 2: ("lim", "")})
        ),
        gazetteer=gaz,
    )
    assert net.places.loc["bog", "n_incidents"] == 1
    assert net.segments.loc[("cuc", "bog"), "n_incidents"] == 1
    assert net.segments.loc[("bog", "lim"), "n_incidents"] == 0
    assert net.places.loc["lim", "risk_unspecified"] == 1
    table = net.reconciliation().set_index("status")
    assert table.loc[INCIDENT_PLACE_SEGMENT, "n_events"] == 1
    assert table.loc[INCIDENT_PLACE, "n_events"] == 1


# -- chokepoints and routes -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def four(gaz: Gazetteer) -> RouteNetwork:
    return RouteNetwork.from_journeys(
        {
            "a": ["Cúcuta", "Bogotá", "Lima"],
            "b": ["cuc", "bog", "cal", "lim"],
            "c": ["Cúcuta", "Bogotá", "Cúcuta", "Bogotá"],
            "d": ["Medellín"],
        },
        gazetteer=gaz,
    )


def test_chokepoint_shares_and_cut_pairs(four: RouteNetwork) -> None:
    table = four.chokepoints(top=5)
    assert table.index[0] == "bog"
    assert table.loc["bog", "share"] == 0.75 and table.loc["bog", "pass_share"] == 0.75
    assert table.loc["cuc", "share"] == 0.75 and table.loc["cuc", "pass_share"] == 0.25
    # Without Bogotá, Cúcuta → Lima (people a and b) has no path; Cúcuta → Bogotá is not counted (endpoint).
    assert (table.loc["bog", "cut_pairs"], table.loc["bog", "cut_people"]) == (1, 2)
    assert table.loc["cal", "cut_pairs"] == 0  # a reached Lima without Cali
    segments = four.chokepoints(kind="segments", top=1)
    assert segments.index[0] == ("cuc", "bog")
    assert (segments.iloc[0]["cut_pairs"], segments.iloc[0]["cut_people"]) == (2, 3)


def test_cut_people_reporting_counts_only_people_who_consented(gaz: Gazetteer) -> None:
    rows = [*journey("a", ["cuc", "bog", "lim"]), *journey("b", ["cuc", "bog", "lim"]),
            *journey("c", ["cuc", "bog", "lim"])]
    cases = pd.DataFrame({"case_id": ["a", "b", "c"], "case_type": "trafficking",
                          "consent_reporting": ["yes", "no", "unknown"]})
    net = RouteNetwork.from_events(events_table(*rows), cases=cases, gazetteer=gaz)
    assert (net.places.loc["bog", "cut_people"], net.places.loc["bog", "cut_people_reporting"]) == (3, 1)


def test_frequent_routes_and_subroutes_count_people(gaz: Gazetteer) -> None:
    journeys = [["cuc", "bog", "lim"]] * 3 + [["cuc", "bog", "cal", "lim"]] * 2 + [["vdr", "cuc", "bog"]]
    journeys += [["cuc", "bog", "cuc", "bog"]]
    net = RouteNetwork.from_journeys(journeys, gazetteer=gaz)
    full = net.frequent_routes(top=3)
    assert full["route"].tolist() == [
        "Cúcuta → Bogotá → Lima",
        "Cúcuta → Bogotá → Cali → Lima",
        "Cúcuta → Bogotá → Cúcuta → Bogotá",
    ]
    assert full["n_people"].tolist() == [3, 2, 1]
    assert full.loc[0, "place_ids"] == ("cuc", "bog", "lim")
    sub = net.frequent_routes(top=3, subroutes=True)
    # Everyone walks Cúcuta → Bogotá; the person who walks it twice counts once.
    assert sub["route"].tolist() == ["Cúcuta → Bogotá", "Cúcuta → Bogotá → Lima", "Bogotá → Lima"]
    assert sub["n_people"].tolist() == [7, 3, 3]
    assert (
        net.frequent_routes(min_length=4, subroutes=True)["route"].tolist()[0]
        == "Cúcuta → Bogotá → Cali → Lima"
    )


def test_corridors_group_journeys_sharing_segments(gaz: Gazetteer) -> None:
    journeys = [["cuc", "bog", "cal", "ipi", "qui", "lim"]] * 3 + [["cuc", "bog", "cal", "ipi", "lim"]] * 2
    journeys += [["med", "nec"]] * 2
    net = RouteNetwork.from_journeys(journeys, gazetteer=gaz)
    corridors = net.corridors(min_share=0.5)  # Jaccard of the two Andean journeys: 3 / 6
    assert corridors["name"].tolist() == ["Cúcuta → Lima", "Medellín → Necoclí"]
    assert corridors["n_people"].tolist() == [5, 2]
    assert corridors["n_routes"].tolist() == [2, 1]
    assert corridors.loc[0, "top_route"] == "Cúcuta → Bogotá → Cali → Ipiales → Quito → Lima"
    assert len(net.corridors(min_share=0.6)) == 3


# -- paths ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shortcut(gaz: Gazetteer) -> RouteNetwork:
    """20 people take the risky Bogotá → Lima shortcut (10 incidents); 5 go safely through Cali."""
    rows = []
    for i in range(20):
        rows += journey(
            f"s{i}", ["cuc", "bog", "lim"], incident_after={1: ("lim", "robbery")} if i < 10 else None
        )
    for i in range(5):
        rows += journey(f"c{i}", ["cuc", "bog", "cal", "lim"])
    return RouteNetwork.from_events(events_table(*rows), gazetteer=gaz)


def test_most_used_and_safest_paths_differ_around_a_risky_shortcut(shortcut: RouteNetwork) -> None:
    used = shortcut.most_used_path("Cúcuta", "Lima")
    safe = shortcut.safest_path("cucuta", "LIMA")
    assert used.names == ["Cúcuta", "Bogotá", "Lima"]
    assert safe.names == ["Cúcuta", "Bogotá", "Cali", "Lima"]
    assert safe.expected_incidents < used.expected_incidents
    assert used.length_m == pytest.approx(
        GEOD.inv(*XY["cuc"], *XY["bog"])[2] + GEOD.inv(*XY["bog"], *XY["lim"])[2], rel=1e-9
    )
    assert shortcut.safest_path("Cúcuta", "Lima", risk="robbery").names == safe.names
    assert "Cúcuta → Bogotá → Lima" in repr(used)


def test_paths_name_unknown_places_and_missing_paths(shortcut: RouteNetwork) -> None:
    with pytest.raises(PlaceNotFoundError, match="did you mean 'Cúcuta'"):
        shortcut.most_used_path("Cucta", "Lima")
    with pytest.raises(NetworkError, match="no path from 'Lima' to 'Cúcuta'"):
        shortcut.safest_path("Lima", "Cúcuta")
    with pytest.raises(NetworkError, match="on no journey"):
        shortcut.safest_path("Quito", "Lima")


# -- trends and services -------------------------------------------------------------------------------


def test_emerging_segments_between_two_months(gaz: Gazetteer) -> None:
    rows = []
    for i in range(3):
        rows += journey(f"jan{i}", ["cuc", "bog"], date="2024-01-10")
    rows += journey("feb0", ["cuc", "bog"], date="2024-02-10", incident_after={0: ("bog", "threats")})
    for i in range(4):
        rows += journey(f"feb{i + 1}", ["bog", "cal"], date="2024-02-15")
    net = RouteNetwork.from_events(events_table(*rows), gazetteer=gaz)
    table = net.emerging_segments("2024-01", "2024-02").set_index(["u", "v"])
    assert table.index[0] == ("bog", "cal")
    assert table.loc[("bog", "cal"), "change_people"] == 4 and table.loc[("bog", "cal"), "is_new"]
    assert table.loc[("cuc", "bog"), "change_people"] == -2
    assert table.loc[("cuc", "bog"), "rate_after"] == 100
    by_rate = net.emerging_segments(slice("2023-12", "2024-01"), pd.Period("2024-02", "M"), by="rate")
    assert (by_rate.loc[0, "u"], by_rate.loc[0, "v"]) == ("cuc", "bog")


def test_service_gaps_find_risky_places_far_from_a_service(gaz: Gazetteer) -> None:
    rows = [
        step("a", 1, "cuc"),
        step("a", 2, "bog"),
        step("a", 3, "bog", "incident", risk="threats"),
        step("a", 4, "cal"),
        step("a", 5, "cal", "incident", risk="extortion"),
    ]
    net = RouteNetwork.from_events(events_table(*rows), gazetteer=gaz)
    services = gpd.GeoDataFrame(
        {"service_id": ["s1", "s2"], "place_id": ["bog", "cal"], "service_type": ["legal", "psychosocial"]},
        geometry=[Point(XY["bog"]), Point(XY["cal"])],
        crs="EPSG:4326",
    )
    gaps = net.service_gaps(services, service_type="legal", radius_km=25)
    # Bogotá and the Bogotá → Cali segment touch the legal service; Cali is 300 km from it.
    assert gaps[["kind", "id"]].values.tolist() == [["place", "cal"]]
    assert gaps.loc[0, "nearest_service_km"] == pytest.approx(
        GEOD.inv(*XY["cal"], *XY["bog"])[2] / 1000, rel=1e-6
    )
    assert net.service_gaps(services, radius_km=25).empty  # any type: Cali has a psychosocial service


# -- snapping ------------------------------------------------------------------------------------------


def test_incident_coordinates_snap_to_place_then_segment_else_stay_unattached(gaz: Gazetteer) -> None:
    near_bogota = offset("bog", 2_000)
    mid = ((XY["cuc"][0] + XY["bog"][0]) / 2, (XY["cuc"][1] + XY["bog"][1]) / 2)
    off_segment = GEOD.fwd(*mid, 315, 10_000)[:2]
    far_away = offset("cuc", 150_000, azimuth=45)
    rows = [
        *journey("a", ["cuc", "bog"]),
        step("a", 3, None, "incident", lon=near_bogota[0], lat=near_bogota[1], risk="robbery"),
        step("a", 4, None, "incident", lon=off_segment[0], lat=off_segment[1], risk="extortion"),
        step("a", 5, None, "incident", lon=far_away[0], lat=far_away[1]),
        step("a", 6, None, "incident"),
    ]
    net = RouteNetwork.from_events(events_table(*rows), gazetteer=gaz)
    assert net.places.loc["bog", "risk_robbery"] == 1
    assert net.segments.loc[("cuc", "bog"), "risk_extortion"] == 1
    assert net.unattached["reason"].tolist() == [UNATTACHED_FAR, UNATTACHED_NO_PLACE]
    status = net.reconciliation()
    assert set(status.loc[status["status"] == INCIDENT_SEGMENT, "how"]) == {"coordinates → segment"}
    assert status.iloc[-1]["n_events"] == len(rows)
    assert status.loc[status["status"] != "total", "n_events"].sum() == len(rows)


def test_snapping_radii_are_metres(gaz: Gazetteer) -> None:
    inside, outside = offset("med", 4_900), offset("med", 5_100)
    rows = [
        *journey("a", ["cuc", "bog"]),
        step("a", 3, None, "incident", lon=inside[0], lat=inside[1]),
        step("b", 1, None, "incident", lon=outside[0], lat=outside[1]),
    ]
    net = RouteNetwork.from_events(
        events_table(*rows), gazetteer=gaz, snap_place_m=5_000, snap_segment_m=1_000
    )
    assert net.places.loc["med", "n_incidents"] == 1
    assert net.unattached["reason"].tolist() == [UNATTACHED_FAR]


def test_snap_points_to_lines_reports_geodesic_metres() -> None:
    line = LineString([(-74.0, 4.0), (-73.0, 4.0)])
    lon, lat = np.array([-73.5, -73.2, -70.0]), np.array([4.1, 3.9, 4.0])
    index, metres = snap_points_to_lines(lon, lat, np.array([line]), max_distance_m=20_000)
    assert index.tolist() == [0, 0, -1]
    # Brute force: the closest of 20,001 points along the geodesic from one end to the other.
    along = np.array(GEOD.npts(-74.0, 4.0, -73.0, 4.0, 20_001))
    for i in range(2):
        truth = GEOD.inv(np.full(len(along), lon[i]), np.full(len(along), lat[i]), along[:, 0], along[:, 1])[
            2
        ].min()
        assert metres[i] == pytest.approx(truth, rel=2e-3)
    assert np.isnan(metres[2])


# -- round trips ---------------------------------------------------------------------------------------


def test_to_gdfs_from_gdfs_round_trip_keeps_measures(shortcut: RouteNetwork) -> None:
    nodes, edges = shortcut.to_gdfs()
    assert nodes.index.name == "place_id" and {"x", "y", "geometry"} <= set(nodes.columns)
    assert list(edges.index.names) == ["u", "v"]
    rebuilt = RouteNetwork.from_gdfs(nodes, edges)
    pd.testing.assert_frame_equal(rebuilt.places.drop(columns="geometry"), nodes.drop(columns="geometry"))
    pd.testing.assert_frame_equal(rebuilt.segments, edges)
    assert sorted(rebuilt.graph.edges) == sorted(shortcut.graph.edges)
    assert rebuilt.safest_path("cuc", "lim").names == ["Cúcuta", "Bogotá", "Cali", "Lima"]
    with pytest.raises(NetworkError, match="without them"):
        rebuilt.flows()
    with_members = RouteNetwork.from_gdfs(nodes, edges, segment_people=shortcut.segment_people)
    pd.testing.assert_frame_equal(with_members.flows(), shortcut.flows())


def test_from_gdfs_names_what_is_wrong(shortcut: RouteNetwork) -> None:
    nodes, edges = shortcut.to_gdfs()
    with pytest.raises(NetworkError, match=r"'x' and 'y'.*not among the nodes"):
        RouteNetwork.from_gdfs(nodes.drop(columns=["x", "y"]).drop(index="cal"), edges)


def test_geopackage_has_places_and_segments_layers(shortcut: RouteNetwork, tmp_path: Path) -> None:
    path = tmp_path / "network.gpkg"
    shortcut.to_file(path)
    places = gpd.read_file(path, layer="places").set_index("place_id")
    segments = gpd.read_file(path, layer="segments").set_index(["u", "v"])
    assert places.loc["bog", "n_people"] == 25
    assert places.loc["bog", "corridors"] == "andean"
    assert segments.loc[("bog", "lim"), "n_incidents"] == 10
    assert segments.crs.to_epsg() == 4326


def test_notebook_summary_and_repr(four: RouteNetwork) -> None:
    assert repr(four) == "<RouteNetwork: 4 people, 5 places, 5 segments, 0 unattached events>"
    assert "Bogotá (75% pass through)" in four.summary()
    page = four._repr_html_()
    assert "<table>" in page and "Bogotá (75% pass through)" in page


def test_place_names_are_escaped_in_html(gaz: Gazetteer) -> None:
    table = pd.DataFrame(
        {
            "place_id": ["x1", "x2"],
            "name": ["<b>One</b>", "Two"],
            "lat": [4.0, 4.5],
            "lon": [-74.0, -74.5],
            "kind": "city",
        }
    )
    odd = Gazetteer(
        table.assign(aliases="", country="COL", admin1="", admin2="", admin2_code="", corridors="")
    )
    page = RouteNetwork.from_journeys([["x2", "x1", "x2"]], gazetteer=odd)._repr_html_()
    assert "<b>One</b>" not in page and "&lt;b&gt;One&lt;/b&gt;" in page


# -- bad input -----------------------------------------------------------------------------------------


def test_unknown_place_name_suggests_the_closest(gaz: Gazetteer) -> None:
    with pytest.raises(PlaceNotFoundError, match="unknown place 'Bogta'; did you mean 'Bogotá'"):
        RouteNetwork.from_journeys([["Cúcuta", "Bogta"]], gazetteer=gaz)


def test_repeated_seq_within_a_case_is_an_error_naming_the_case(gaz: Gazetteer) -> None:
    rows = [step("a", 1, "cuc"), step("a", 2, "bog"), step("b", 1, "cuc"), step("b", 1, "bog")]
    with pytest.raises(CaseDataError, match="case 'b' seq 1") as error:
        RouteNetwork.from_events(events_table(*rows), gazetteer=gaz)
    assert len(error.value.problems) == 1


def test_dates_out_of_seq_order_warn_and_keep_seq_order(gaz: Gazetteer) -> None:
    rows = [step("z", 2, "bog", date="2024-01-01"), step("z", 1, "cuc", date="2024-03-01")]
    with pytest.warns(UserWarning, match="seq order is kept: 'z'"):
        net = RouteNetwork.from_events(events_table(*rows), gazetteer=gaz)
    assert list(net.segments.index) == [("cuc", "bog")]


def test_missing_columns_and_bad_values_are_listed(gaz: Gazetteer) -> None:
    with pytest.raises(CaseDataError, match="column 'stage'"):
        RouteNetwork.from_events(
            pd.DataFrame({"case_id": ["a"], "seq": [1], "place_id": ["cuc"]}), gazetteer=gaz
        )
    bad = events_table(step("a", 1, "cuc", "travel"), step("a", 2, "bog"))
    bad.loc[1, "seq"] = None
    with pytest.raises(CaseDataError, match="2 problems") as error:
        RouteNetwork.from_events(bad, gazetteer=gaz)
    assert {(p.row, p.column) for p in error.value.problems} == {(2, "stage"), (3, "seq")}


def test_unknown_place_id_without_coordinates_is_unattached(gaz: Gazetteer) -> None:
    rows = [*journey("a", ["cuc", "bog"]), step("a", 3, "atlantis")]
    net = RouteNetwork.from_events(events_table(*rows), gazetteer=gaz)
    assert net.unattached["reason"].tolist() == ["place_id not in the gazetteer and no coordinates"]
    assert net.unattached.index.tolist() == [2]


# -- building: the core at once, the other tables on first read ---------------------------------------


def test_a_case_whose_rows_are_split_by_another_case_is_one_person(gaz: Gazetteer) -> None:
    rows = [step("a", 1, "cuc"), step("b", 1, "cuc"), step("b", 2, "bog"), step("a", 2, "bog"),
            step("a", 3, "med")]
    net = RouteNetwork.from_events(events_table(*rows), gazetteer=gaz)
    assert net.segments["n_people"].to_dict() == {("cuc", "bog"): 2, ("bog", "med"): 1}
    assert net.places["n_people"].to_dict() == {"cuc": 2, "bog": 2, "med": 1}
    assert net.journeys["place_id"].tolist() == ["cuc", "bog", "med", "cuc", "bog"]
    assert net.n_people == 2


def test_text_columns_of_any_dtype_give_the_same_network(gaz: Gazetteer) -> None:
    rows = [*journey("a", ["cuc", "bog", "cal"], incident_after={1: ("bog", "robbery")}),
            *journey("b", ["cuc", "bog"])]
    frame = pd.DataFrame(events_table(*rows).drop(columns="geometry"))
    assert frame["stage"].dtype == "str"  # pandas' default text, held by Arrow
    reference = RouteNetwork.from_events(frame, gazetteer=gaz)
    measures = ["n_people", "n_incidents", "risk_robbery"]
    assert reference.segments.loc[("bog", "cal"), measures].tolist() == [1, 1, 1]
    for dtype in ("object", "category", "string[python]"):
        text = {"case_id": dtype, "stage": dtype, "place_id": dtype}
        other = RouteNetwork.from_events(frame.astype(text), gazetteer=gaz)
        pd.testing.assert_frame_equal(other.places, reference.places)
        pd.testing.assert_frame_equal(other.segments, reference.segments)


def test_tables_read_later_come_from_the_events_as_given(gaz: Gazetteer) -> None:
    events = events_table(*journey("a", ["cuc", "bog"], incident_after={1: ("bog", "robbery")}),
                          *journey("b", ["cuc", "bog"]))
    net = RouteNetwork.from_events(events, gazetteer=gaz)
    events.loc[events["stage"] == "incident", "risk"] = "kidnapping"  # edited after the build
    events.loc[0, "place_id"] = "med"
    assert net.incident_people["risk"].tolist() == ["robbery"]
    assert net.places.loc["bog", ["risk_robbery", "risk_kidnapping"]].tolist() == [1, 0]
    assert "med" not in net.places.index
    assert net.places is net.places  # computed once, then kept


def test_a_row_without_case_id_or_cases_without_case_id_are_errors(gaz: Gazetteer) -> None:
    rows = events_table(*journey("a", ["cuc", "bog"]))
    rows.loc[1, "case_id"] = None
    with pytest.raises(CaseDataError, match="a case id") as error:
        RouteNetwork.from_events(rows, gazetteer=gaz)
    assert [(p.row, p.column) for p in error.value.problems] == [(3, "case_id")]
    with pytest.raises(CaseDataError, match="a column of the cases table"):
        RouteNetwork.from_events(events_table(*journey("a", ["cuc"])),
                                 cases=pd.DataFrame({"case_type": ["x"]}), gazetteer=gaz)


# -- properties ----------------------------------------------------------------------------------------


place_ids = st.sampled_from([p[0] for p in PLACES])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.lists(place_ids, min_size=1, max_size=6), min_size=1, max_size=12))
def test_counts_are_distinct_people_for_any_journeys(gaz: Gazetteer, journeys: list[list[str]]) -> None:
    net = RouteNetwork.from_journeys(journeys, gazetteer=gaz)
    expected: dict[tuple[str, str], set[int]] = {}
    for person, places in enumerate(journeys):
        collapsed = [p for i, p in enumerate(places) if i == 0 or p != places[i - 1]]
        for pair in itertools.pairwise(collapsed):
            expected.setdefault(pair, set()).add(person)
    assert {k: len(v) for k, v in expected.items()} == net.segments["n_people"].to_dict()
    visited = {p for places in journeys for p in places}
    assert set(net.places.index) == visited
    for place in visited:
        assert net.places.loc[place, "n_people"] == sum(place in j for j in journeys)
    assert net.reconciliation().iloc[-1]["n_events"] == sum(map(len, journeys))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.lists(place_ids, min_size=1, max_size=5), min_size=1, max_size=8), st.integers(0, 2**31))
def test_the_order_of_the_rows_does_not_change_the_network(
    gaz: Gazetteer, journeys: list[list[str]], seed: int
) -> None:
    grouped = pd.DataFrame([step(f"j{person}", i + 1, place)
                            for person, places in enumerate(journeys) for i, place in enumerate(places)])
    shuffled = grouped.sample(frac=1, random_state=seed)
    ordered, unordered = (RouteNetwork.from_events(rows, gazetteer=gaz) for rows in (grouped, shuffled))
    pd.testing.assert_frame_equal(unordered.places, ordered.places)
    pd.testing.assert_frame_equal(unordered.segments, ordered.segments)


# -- the sample data -----------------------------------------------------------------------------------


SAMPLE = Path(__file__).resolve().parent.parent / "data" / "sample"


@pytest.fixture(scope="module")
def sample() -> RouteNetwork:
    from routes.io import read_cases

    cases, events = read_cases(SAMPLE / "cases.csv", events=SAMPLE / "events.csv")
    return RouteNetwork.from_events(events, cases=cases)


def test_sample_chokepoints_include_the_cucuta_crossings_and_necocli(sample: RouteNetwork) -> None:
    top = set(sample.chokepoints(top=10).index)
    assert {"co-trochas-villa-del-rosario", "co-puente-simon-bolivar", "co-necocli"} <= top
    assert sample.chokepoints(top=1).index[0] == "co-cucuta"


def test_sample_reconciles_every_event_and_ranks_the_darien_riskiest(sample: RouteNetwork) -> None:
    table = sample.reconciliation()
    assert table.iloc[-1]["n_events"] == table.iloc[:-1]["n_events"].sum()
    assert table.iloc[-1]["n_people"] == sample.n_people
    riskiest = sample.riskiest(top=3, min_people=50)
    assert all("Tapón del Darién" in name for name in riskiest["name"])
