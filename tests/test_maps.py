"""Route maps: flow geometry, styling classes, published content, offline pages, pinned assets."""

from __future__ import annotations

import re
import shutil
from html import unescape
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pyproj import Transformer
from shapely.geometry import box

from routes import _assets, maps
from routes.errors import PolicyError
from routes.network import RouteNetwork
from routes.places import load_gazetteer
from routes.privacy import DEFAULT_ALLOWED_FIELDS, DisclosurePolicy

EVIL = "Bogotá <script>window.pwned=1</script> `${window.pwned=2}` \\` \" ' &amp;"


@pytest.fixture(scope="module")
def published() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Hand-made published tables: a two-way pair, a suppressed segment, a hostile place name."""
    ids = ["ve-san-antonio-del-tachira", "co-trochas-villa-del-rosario", "co-cucuta", "co-bogota",
           "co-cali", "co-puente-rumichaca", "ec-quito"]
    places = load_gazetteer().places.loc[ids, ["name", "country", "kind", "geometry"]].copy()
    places["n_people"] = pd.array([40, 25, 120, 95, 60, 50, pd.NA], dtype="Int64")
    places["rate"] = [2.5, np.nan, 12.0, np.nan, np.nan, 31.0, np.nan]
    places["chokepoint"] = [False, False, True, False, False, True, False]
    places.loc["co-bogota", "name"] = EVIL
    segments = pd.DataFrame({
        "u": ["ve-san-antonio-del-tachira", "co-trochas-villa-del-rosario", "co-cucuta", "co-bogota",
              "co-cali", "co-cali", "co-puente-rumichaca"],
        "v": ["co-cucuta", "co-cucuta", "co-bogota", "co-cali", "co-bogota", "co-puente-rumichaca",
              "ec-quito"],
        "n_people": pd.array([40, 25, 100, 64, 16, 50, pd.NA], dtype="Int64"),
        "rate": [2.5, 40.0, 10.0, np.nan, 20.0, 31.0, np.nan],
    })
    return segments, places


def draw(published: tuple[pd.DataFrame, pd.DataFrame], *, n_hidden: tuple[int, int] = (0, 0),
         **options) -> folium.Map:
    """The map of the hand-made flows and places alone (no other layer)."""
    segments, places = published
    layers = maps.PublishedLayers(segments=segments, places=places,
                                  hidden={"segments": n_hidden[0], "places": n_hidden[1]})
    return maps.draw_map(layers, **options)


def geojson_layers(m: folium.Map) -> dict[str, folium.GeoJson]:
    return {child.layer_name: child for child in m._children.values() if isinstance(child, folium.GeoJson)}


# -- geometry and styling ------------------------------------------------------------------------


def test_opposite_flows_bend_to_opposite_sides_and_keep_their_ends() -> None:
    a, b = [-72.5, 7.9], [-74.1, 4.7]  # Cúcuta, Bogotá
    there, back = maps.curved_flows(np.array([a, b]), np.array([b, a]))
    curve, arrow = there.geoms
    assert curve.coords[0] == pytest.approx(a) and curve.coords[-1] == pytest.approx(b)
    assert len(curve.coords) == 25 and len(arrow.coords) == 3

    to_m = Transformer.from_crs("EPSG:4326", "EPSG:3857", always_xy=True)
    pa, pb = np.array(to_m.transform(*a)), np.array(to_m.transform(*b))
    chord = pb - pa

    def side(geometry) -> float:  # sign of the cross product of the chord and the curve's middle point
        middle = np.array(to_m.transform(*geometry.geoms[0].coords[12])) - pa
        return float(np.sign(chord[0] * middle[1] - chord[1] * middle[0]))

    assert side(there) == -side(back) != 0
    # the middle of the curve sits 0.18/2 of the chord off the straight line (Bezier at t=0.5)
    middle = np.array(to_m.transform(*there.geoms[0].coords[12])) - pa
    offset = abs(chord[0] * middle[1] - chord[1] * middle[0]) / np.hypot(*chord)
    assert offset / np.hypot(*chord) == pytest.approx(0.09, abs=1e-3)


def test_a_flow_from_a_place_to_itself_is_refused() -> None:
    with pytest.raises(maps.MapError, match="same point"):
        maps.curved_flows(np.array([[-72.5, 7.9]]), np.array([[-72.5, 7.9]]))


def test_incident_rate_classes_are_half_open_and_missing_is_grey() -> None:
    colours = maps.incident_colours(pd.Series([0.0, 4.9, 5.0, 14.9, 15.0, 30.0, 100.0, np.nan]))
    expected = ["#fdbe85", "#fdbe85", "#fd8d3c", "#fd8d3c", "#e6550d", "#a63603", "#a63603", "#8c8c8c"]
    assert colours.tolist() == expected


def test_widths_grow_with_the_square_root_of_people(published) -> None:
    m = draw(published, lang="en", offline=True)
    flows = geojson_layers(m)["Flows between places"]
    weights = {flows.style_function(feature)["weight"] for feature in flows.data["features"]}
    # 100 people is the widest (12 px); 64 → 1.5 + 10.5·0.8 = 9.9; 16 → 1.5 + 10.5·0.4 = 5.7
    assert {12.0, 9.9, 5.7} <= weights


# -- published content ---------------------------------------------------------------------------


def test_only_published_rows_are_drawn_and_the_legend_names_what_is_withheld(published) -> None:
    m = draw(published, lang="en", offline=True, n_hidden=(1, 1))
    layers = geojson_layers(m)
    assert len(layers["Flows between places"].data["features"]) == 6  # 7 segments, 1 suppressed
    assert len(layers["Places"].data["features"]) == 4  # San Antonio, Cúcuta, Bogotá, Cali (not Quito: NA)
    assert len(layers["Border crossings"].data["features"]) == 2  # trochas and Rumichaca
    text = unescape(m.get_root().render())
    # the rule, not a reason: a cell withheld to protect another may hold many people
    assert "Some figures are not published, to protect the people counted: segments, places." in text
    assert "fewer people" not in text


def test_geojson_properties_are_the_allow_list_and_flows_fit_the_policy(published) -> None:
    m = draw(published, lang="es", offline=True)
    layers = geojson_layers(m)
    for name, expected in (("Flujos entre lugares", maps.FLOW_PROPERTIES), ("Lugares", maps.PLACE_PROPERTIES),
                           ("Pasos fronterizos", maps.PLACE_PROPERTIES)):
        keys = {tuple(feature["properties"]) for feature in layers[name].data["features"]}
        assert keys == {expected}
    assert set(maps.FLOW_PROPERTIES) <= set(DEFAULT_ALLOWED_FIELDS["segments"])


def test_user_text_is_entity_encoded_everywhere(published) -> None:
    m = draw(published, lang="en", offline=True, title="<b>title</b>")
    html = m.get_root().render()
    assert "window.pwned" not in html and "<script>window" not in html and "<b>title" not in html
    names = [f["properties"]["name"] for f in geojson_layers(m)["Places"].data["features"]]
    assert unescape(names[2]) == EVIL  # the browser shows the name as written, as text
    assert all(re.fullmatch(r"(?:[A-Za-z0-9 ]|&#\d+;)*", name) for name in names)


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en", ["Flows between places", "Places", "Border crossings", "Incidents per 100 people",
                "Offline: no map tiles; country and first-level admin boundaries from Natural Earth"]),
        ("es", ["Flujos entre lugares", "Lugares", "Pasos fronterizos", "Incidentes por 100 personas",
                "Sin conexión: sin teselas; límites de país y de primer nivel administrativo de "
                "Natural Earth"]),
    ],
)
def test_layer_and_legend_names_follow_the_language(published, lang: str, expected: list[str]) -> None:
    m = draw(published, lang=lang, offline=True)
    assert list(geojson_layers(m))[2:] == expected[:3]  # after the outlines and admin-1 boundaries
    text = unescape(m.get_root().render())
    for label in expected:
        assert label in text


def test_unknown_language_is_refused(published) -> None:
    with pytest.raises(maps.MapError, match="lang='fr'"):
        draw(published, lang="fr")


def test_outlines_cover_the_countries_in_view() -> None:
    andean = maps.country_outlines((-80.0, -5.0, -66.0, 12.0), margin_deg=2.0)  # Ecuador to Venezuela
    assert {"COL", "VEN", "ECU", "PER", "BRA", "PAN"} <= set(andean["iso3"])
    assert "MEX" not in set(andean["iso3"]) and "ARG" not in set(andean["iso3"])


def test_the_basemap_at_1_10m_shows_the_gulf_of_uraba() -> None:
    """Necoclí and Turbo are on the coast of the gulf: at 1:110m they were inland."""
    import shapely

    colombia = maps.country_outlines((-78.0, 7.0, -75.0, 9.5), margin_deg=0.5, tolerance_deg=0.005)
    land = shapely.union_all(colombia.geometry.to_numpy())
    gulf = shapely.Point(-76.85, 8.3)  # water between Necoclí and Turbo
    assert not land.contains(gulf)
    for town in (shapely.Point(-76.78, 8.43), shapely.Point(-76.72, 8.09)):  # Necoclí, Turbo
        assert land.distance(town) < 0.05


def test_admin1_boundaries_are_lines_between_departments_never_a_coast_or_a_border() -> None:
    """Natural Earth admin-1 of the corridor countries: only the arcs two areas of a country share."""
    import shapely

    uraba = (-78.0, 7.0, -75.0, 9.5)
    lines = maps.admin1_lines(uraba, margin_deg=0.5, tolerance_deg=0.005)
    assert set(lines["iso3"]) == {"COL", "PAN"}
    drawn = shapely.union_all(lines.geometry.to_numpy())
    assert drawn.geom_type in ("LineString", "MultiLineString")
    west, south, east, north = drawn.bounds
    assert west >= uraba[0] - 0.5 and east <= uraba[2] + 0.5 and south >= uraba[1] - 0.5
    assert north <= uraba[3] + 0.5
    assert drawn.distance(shapely.Point(-76.90, 6.83)) < 0.02  # Antioquia | Chocó, by the Atrato
    assert drawn.distance(shapely.Point(-76.25, 8.36)) < 0.02  # Antioquia | Córdoba
    # no line along the Caribbean coast or the Colombia-Panama border: those are the outlines'
    assert drawn.distance(shapely.Point(-76.78, 8.43)) > 0.05  # Necoclí, on the coast
    assert drawn.distance(shapely.Point(-77.4, 8.4)) > 0.1  # the border ridge in the Darién
    venezuela = maps.admin1_lines((-73.0, 7.0, -71.5, 8.5), margin_deg=0.0)
    assert set(venezuela["iso3"]) == {"COL", "VEN"}  # Norte de Santander | Santander, Táchira | Zulia


def test_offline_basemap_draws_admin1_lines_under_the_published_layers(published) -> None:
    m = draw(published, lang="en", offline=True)
    basemap = list(geojson_layers(m).values())[:2]
    assert [layer.options.get("pane") for layer in basemap] == ["routes-outlines", "routes-admin1"]
    features = basemap[1].data["features"]
    assert features and all(f["properties"] == {} for f in features)
    assert {f["geometry"]["type"] for f in features} <= {"LineString", "MultiLineString"}
    html = m.get_root().render()
    z_index = {name: int(z) for name, z in re.findall(
        r'createPane\(\s*"(routes-[a-z0-9]+)"\);\s*\w+\.style\.zIndex = (\d+);', html)}
    admin1 = z_index.pop("routes-admin1")
    assert z_index.pop("routes-outlines") < admin1 < min(z_index.values())  # over the land, under the data
    assert re.search(r'createPane\(\s*"routes-admin1"\);\s*(\w+)\.style\.zIndex = \d+;\s*'
                     r"\1\.style\.pointerEvents = 'none';", html)  # never takes the pointer


# -- pages ---------------------------------------------------------------------------------------


def test_offline_page_loads_nothing_from_the_network(published, tmp_path: Path) -> None:
    m = draw(published, lang="en", offline=True)
    path = maps.save_map(m, tmp_path / "map.html")
    page = path.read_text(encoding="utf-8")
    assert _assets.external_references(page) == []
    markup = re.sub(r"<script>.*?</script>", "", page, flags=re.S)
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", markup)
    assert page.count('http-equiv="Content-Security-Policy"') == 1 and "unsafe-inline" not in page
    assert "jquery" not in page.lower() and "bootstrap" not in page.lower()
    assert path.stat().st_size < 500_000  # Leaflet only, and a 1:10m basemap with admin-1 lines


def test_online_page_pins_every_asset_with_integrity(published, tmp_path: Path) -> None:
    m = draw(published, lang="en", offline=False)
    page = maps.save_map(m, tmp_path / "map.html").read_text(encoding="utf-8")
    tags = re.findall(r"<(?:script|link)\b[^>]*(?:src|href)=\"https://[^>]*>", page)
    assert len(tags) == 2
    assert all('integrity="sha384-' in tag and 'crossorigin="anonymous"' in tag for tag in tags)
    assert _assets.external_references(page) == [asset.cdn_url for asset in _assets.ASSET_FILES[:2]]


def test_offline_save_of_a_tiled_map_is_refused(published, tmp_path: Path) -> None:
    m = draw(published, lang="en", offline=False)
    with pytest.raises(maps.MapError, match="tiles"):
        maps.save_map(m, tmp_path / "map.html", offline=True)
    assert not (tmp_path / "map.html").exists()


def test_route_map_publishes_rounded_counts_and_hides_small_ones(tmp_path: Path) -> None:
    journeys = {f"a{i}": ["San Antonio del Táchira", "Cúcuta", "Bogotá"] for i in range(30)}
    journeys |= {f"b{i}": ["Bogotá", "Cúcuta"] for i in range(14)}
    journeys |= {f"c{i}": ["Maicao", "Barranquilla"] for i in range(4)}
    network = RouteNetwork.from_journeys(journeys)
    for table in (network.place_people, network.segment_people):
        table["consent_reporting"] = "yes"
    m = maps.route_map(network, lang="en", offline=True)
    flows = geojson_layers(m)["Flows between places"].data["features"]
    drawn = {(f["properties"]["u_name"], f["properties"]["n_people"]) for f in flows}
    # 30 → 30, 14 → 15 (rounded to 5), 4 (Maicao → Barranquilla) suppressed
    assert drawn == {("San Antonio del T&#225;chira", "30"), ("C&#250;cuta", "30"), ("Bogot&#225;", "15")}
    # which layers, not how many
    assert "people counted: segments, places." in unescape(m.get_root().render())


def test_route_map_counts_only_people_who_consented() -> None:
    network = RouteNetwork.from_journeys({f"a{i}": ["Cúcuta", "Bogotá"] for i in range(30)})
    m = maps.route_map(network, policy=DisclosurePolicy.public(), offline=True)  # consent unknown
    assert geojson_layers(m)["Flows between places"].data["features"] == []


def test_route_map_protects_areas_and_places_together_so_an_area_minus_its_place_pins_no_one() -> None:
    """F3: Santander holds Bucaramanga (25 people) and Barrancabermeja (5, withheld). Protected table
    by table, the map showed the department at 30 and Bucaramanga at 25: 30 - 25 gives the withheld
    place's people in [1, 9]. Protected together, as a release protects them, the difference of any
    shown area and the places shown in it never falls inside [1, k - 1]."""
    from routes.publish import rounding_interval

    journeys = {f"a{i}": ["Cúcuta", "Bucaramanga", "Bogotá"] for i in range(25)}
    journeys |= {f"b{i}": ["Cúcuta", "Barrancabermeja", "Medellín"] for i in range(5)}
    journeys |= {f"c{i}": ["Cúcuta", "Bogotá"] for i in range(20)}
    network = RouteNetwork.from_journeys(journeys)
    for table in (network.place_people, network.segment_people):
        table["consent_reporting"] = "yes"
    policy = DisclosurePolicy.public()
    boundaries = gpd.GeoDataFrame({"dpto": ["Santander", "Norte de Santander"]},
                                  geometry=[box(-74.5, 5.7, -72.5, 8.1), box(-73.6, 7.0, -72.0, 9.3)],
                                  crs="EPSG:4326")
    m = maps.route_map(network, boundaries=boundaries, boundaries_code="dpto", boundaries_level="admin1",
                       policy=policy, offline=True, risks=(), period=None)
    layers = geojson_layers(m)
    shown = {f["properties"]["name"]: f["properties"]["n_people"]
             for f in layers["People per area"].data["features"]}
    places = {f["properties"]["name"]: f["properties"]["n_people"]
              for f in layers["Places"].data["features"]}
    admin1 = load_gazetteer().places.set_index("name")["admin1"]
    checked = 0
    for area, value in shown.items():
        inside = [int(v) for name, v in places.items()
                  if admin1.get(unescape(name)) == area and v not in ("", None)]
        if value in ("", None) or not inside:
            continue
        area_low, area_high = rounding_interval(np.array([int(value)]), policy)
        low, high = rounding_interval(np.array(inside), policy)
        rest = (int(area_low[0]) - int(high.sum()), int(area_high[0]) - int(low.sum()))
        assert not (rest[0] >= 1 and rest[1] < policy.k), (area, value, inside, rest)
        checked += 1
    assert checked or not shown.get("Santander"), shown  # the department is either checked or withheld


def test_route_map_refuses_the_formal_mode_and_points_to_a_release() -> None:
    """The formal mode's noise needs a release (the ledger's budget, the public keys): the notebook
    path refuses it rather than publish exact counts under a formal policy's name."""
    network = RouteNetwork.from_journeys({f"a{i}": ["Cúcuta", "Bogotá"] for i in range(30)})
    with pytest.raises(PolicyError, match=r"route map: the formal mode needs a release.*release --formal"):
        maps.route_map(network, policy=DisclosurePolicy.formal(), offline=True)


# -- assets --------------------------------------------------------------------------------------


def test_every_folium_default_asset_is_vendored_or_known_unavailable() -> None:
    from folium import plugins

    urls = {url for _, url in [*folium.Map.default_js, *folium.Map.default_css,
                               *plugins.MarkerCluster.default_js, *plugins.MarkerCluster.default_css]}
    vendored = {url for asset in _assets.ASSET_FILES for url in asset.folium_urls}
    unavailable = {u for u in urls if re.search("awesome-markers|awesome.rotate|glyphicons", u)}
    assert urls - vendored == unavailable and len(unavailable) == 4


def test_inlining_names_every_asset_it_cannot_vendor() -> None:
    with pytest.raises(_assets.AssetError, match="glyphicons") as error:
        _assets.inline_assets(folium.Map(tiles=None).get_root().render())
    assert str(error.value).count("https://") == 4


def test_an_altered_vendored_file_is_refused(tmp_path: Path) -> None:
    vendor = tmp_path / "vendor"
    shutil.copytree(_assets.VENDOR_DIR, vendor)
    leaflet = vendor / _assets.ASSET_FILES[0].key
    leaflet.write_text(leaflet.read_text(encoding="utf-8") + "\nwindow.evil = 1;", encoding="utf-8")
    m = folium.Map(tiles=None)
    m.default_js, m.default_css = _assets.LEAFLET_JS, _assets.LEAFLET_CSS
    with pytest.raises(_assets.AssetError, match="SHA-256 differs"):
        _assets.inline_assets(m.get_root().render(), vendor_dir=vendor)


def test_stylesheet_images_become_data_uris() -> None:
    m = folium.Map(tiles=None)
    m.default_js, m.default_css = _assets.LEAFLET_JS, _assets.LEAFLET_CSS
    page = _assets.inline_assets(m.get_root().render())
    assert page.count('url("data:image/png;base64,') == 3  # layers.png, layers-2x.png, marker-icon.png
    assert "images/layers.png" not in page


# -- phase 2 layers on a hand-built network ------------------------------------------------------
#
# 40 people Cúcuta → Bogotá, then p00–p19 on to Cali in January 2023 and p20–p39 on to Medellín in
# May 2023. At Bogotá p10–p29 report extortion and p00–p04 threats. An incident at Bogotá counts at
# the place and on the segment being travelled (Bogotá → Cali or Medellín).


@pytest.fixture(scope="module")
def corridor() -> tuple[RouteNetwork, pd.DataFrame]:
    rows = []
    for i in range(40):
        case_id, date = f"p{i:02d}", ("2023-01-15" if i < 20 else "2023-05-15")
        rows += [(case_id, 1, date, "recruitment", "co-cucuta", ""),
                 (case_id, 2, date, "transit", "co-bogota", "")]
        risk = ";".join(code for code, holds in (("extortion", 10 <= i < 30), ("threats", i < 5)) if holds)
        if risk:
            rows.append((case_id, 3, date, "incident", "co-bogota", risk))
        rows.append((case_id, 4, date, "exploitation", "co-cali" if i < 20 else "co-medellin", ""))
    events = pd.DataFrame(rows, columns=["case_id", "seq", "date", "stage", "place_id", "risk"])
    events["date"] = pd.to_datetime(events["date"])
    cases = pd.DataFrame({"case_id": [f"p{i:02d}" for i in range(40)], "consent_reporting": "yes",
                          "recruitment_method": ["false_job_offer"] * 20 + ["online"] * 20,
                          "sex": ["male"] * 20 + ["female"] * 20})
    return RouteNetwork.from_events(events, cases=cases), cases


def test_risk_layer_publishes_people_with_each_risk_and_hides_small_cells(corridor) -> None:
    network, _ = corridor
    risks, hidden = maps.published_risks(network, policy=DisclosurePolicy.public(),
                                         risks=("extortion", "threats"))
    # extortion at Bogotá: 20 of 40 people passing (rate 50); on Bogotá → Cali and → Medellín only 10
    # of 20 each (suppressed); threats: 5 people at Bogotá and on Bogotá → Cali (suppressed)
    assert risks[["risk", "place_id", "n_people", "rate"]].to_dict("records") == [
        {"risk": "extortion", "place_id": "co-bogota", "n_people": 20, "rate": 50.0}]
    assert hidden == 4


def test_unknown_risk_code_is_refused_naming_the_vocabulary(corridor) -> None:
    with pytest.raises(maps.MapError, match=r"'extorsion'.*sexual_abuse"):
        maps.published_risks(corridor[0], policy=DisclosurePolicy.public(), risks=("extorsion",))


def test_places_carry_incident_rates_and_a_gap_is_a_published_high_risk_place(corridor) -> None:
    network, _ = corridor
    policy = DisclosurePolicy.public()
    _, places, hidden = maps.published_tables(network, policy=policy)
    # Bogotá: 40 people, 25 with an incident (15 without): rate 62.5; Cúcuta: 40, none
    assert places.loc["co-bogota", ["n_people", "n_events", "rate"]].tolist() == [40, 25, 62.5]
    assert places.loc["co-cucuta", ["n_people", "n_events", "rate"]].tolist() == [40, 0, 0.0]
    assert hidden == (0, 0)
    gazetteer = load_gazetteer().places
    services = gpd.GeoDataFrame(
        {"service_id": ["s1", "s2", "s3"], "place": ["Cúcuta"] * 3, "place_id": ["co-cucuta"] * 3,
         "service_type": ["legal", "legal", "psychosocial"], "organisation_type": ["ngo", "church", "ngo"]},
        geometry=[gazetteer.geometry["co-cucuta"]] * 3, crs="EPSG:4326")
    assert maps.published_gaps(network, services, places, policy=policy).tolist() == ["co-bogota"]
    grouped = maps.published_services(services)
    assert grouped[["place", "service_type", "organisation_type"]].to_dict("records") == [
        {"place": "Cúcuta", "service_type": "legal", "organisation_type": "church;ngo"},
        {"place": "Cúcuta", "service_type": "psychosocial", "organisation_type": "ngo"}]


def test_periods_coarsen_months_to_quarters_and_never_below_the_policy(corridor) -> None:
    network, _ = corridor
    periods, hidden = maps.published_periods(network, policy=DisclosurePolicy.public(), period="quarter")
    cells = {(u, v, str(p)): n for u, v, p, n in periods.itertuples(index=False)}
    assert cells == {("co-cucuta", "co-bogota", "2023Q1"): 20, ("co-bogota", "co-cali", "2023Q1"): 20,
                     ("co-cucuta", "co-bogota", "2023Q2"): 20, ("co-bogota", "co-medellin", "2023Q2"): 20}
    assert hidden == 0
    yearly, _ = maps.published_periods(network, policy=DisclosurePolicy.public(time_unit="year"),
                                       period="month")
    assert set(yearly["period"].astype(str)) == {"2023"}  # a month is finer than the policy allows
    with pytest.raises(maps.MapError, match="period='week'"):
        maps.published_periods(network, policy=DisclosurePolicy.public(), period="week")


def test_patterns_are_drawn_where_each_cluster_is_over_represented(corridor) -> None:
    from routes.patterns import PatternClusters

    network, cases = corridor
    events = network.place_people.loc[:, ["case_id", "place_id"]].astype(str)
    events["place"] = network.places["name"].reindex(events["place_id"]).to_numpy()
    patterns = PatternClusters(features=["recruitment_method", "sex"], method="onehot_kmeans", n_clusters=2,
                               random_state=0, n_bootstrap=5).fit(cases, events=events)
    table, hidden = maps.published_patterns(network, patterns, cases, policy=DisclosurePolicy.public())
    # each cluster is one half: its only over-represented place is its destination (lift 2)
    by_place = {row.place_id: (row.n_people, row.label_en) for row in table.itertuples()}
    assert set(by_place) == {"co-cali", "co-medellin"}
    assert by_place["co-cali"][0] == by_place["co-medellin"][0] == 20
    # age is not clustered on: the people are named by sex alone, never as adults
    assert by_place["co-cali"][1] == "False job offer, men and boys, Cali"
    assert by_place["co-medellin"][1] == "Online / social media, women and girls, Medellín"
    assert hidden == 0
    with pytest.raises(maps.MapError, match=r"39 rows but patterns\.labels_ has 40"):
        maps.published_patterns(network, patterns, cases.iloc[:39], policy=DisclosurePolicy.public())


def test_admin_areas_join_plain_and_pcode_codes_and_count_people_once(corridor) -> None:
    network, _ = corridor
    boxes = {"CO11001": (-74.3, 4.4, -73.9, 4.9), "CO76001": (-76.7, 3.3, -76.4, 3.6),
             "05001": (-75.7, 6.1, -75.4, 6.4), "CO99999": (-70.0, 1.0, -69.0, 2.0)}
    boundaries = gpd.GeoDataFrame({"ADM2_PCODE": list(boxes)}, geometry=[box(*b) for b in boxes.values()],
                                  crs="EPSG:4326")
    areas, hidden = maps.published_areas(network, boundaries, code="ADM2_PCODE",
                                         policy=DisclosurePolicy.public())
    assert areas[["code", "name", "n_people"]].to_dict("records") == [
        {"code": "CO11001", "name": "Bogotá D.C.", "n_people": 40},
        {"code": "CO76001", "name": "Cali", "n_people": 20},
        {"code": "05001", "name": "Medellín", "n_people": 20},
        {"code": "CO99999", "name": "CO99999", "n_people": 0}]
    assert hidden == 0
    with pytest.raises(maps.MapError, match="no value of column 'ADM2_PCODE'"):
        maps.published_areas(network, boundaries.assign(ADM2_PCODE=["x", "y", "z", "w"]), code="ADM2_PCODE",
                             policy=DisclosurePolicy.public())


def test_admin_areas_join_unpadded_codes_department_codes_and_countries(corridor) -> None:
    """A field office's boundaries: municipality codes without their leading zero ("5001" for
    Medellín), departments by code ("5" for Antioquia, "76" for Valle) or name, and countries."""
    network, _ = corridor
    square = box(-80.0, -5.0, -66.0, 13.0)
    policy = DisclosurePolicy.public()
    def areas_of(codes: list[str]) -> gpd.GeoDataFrame:
        return gpd.GeoDataFrame({"code": codes}, geometry=[square] * len(codes), crs="EPSG:4326")

    areas, _ = maps.published_areas(network, areas_of(["5001", "76001", "11001"]), code="code", policy=policy)
    assert areas[["name", "n_people"]].values.tolist() == [
        ["Medellín", 20], ["Cali", 20], ["Bogotá D.C.", 40]]
    departments = areas_of(["5", "76", "cundinamarca"]).rename(columns={"code": "dpto"})
    areas, _ = maps.published_areas(network, departments, code="dpto", policy=policy, level="admin1")
    assert areas["n_people"].tolist()[:2] == [20, 20]
    countries = areas_of(["CO", "Venezuela"]).rename(columns={"code": "iso"})
    areas, _ = maps.published_areas(network, countries, code="iso", policy=policy, level="country")
    assert areas[["name", "n_people"]].values.tolist() == [["Colombia", 40], ["Venezuela", 0]]
    with pytest.raises(maps.MapError, match="expected 'country', 'admin1' or 'admin2'"):
        maps.published_areas(network, countries, code="iso", policy=policy, level="admin3")  # type: ignore[arg-type]


def test_hexagons_are_rounded_and_too_fine_ones_refused() -> None:
    from routes.patterns import hex_hotspots

    gazetteer = load_gazetteer().places
    incidents = pd.DataFrame({"case_id": [f"p{i:02d}" for i in range(30)], "stage": "incident",
                              "risk": "extortion", "lat": gazetteer.at["co-bogota", "lat"],
                              "lon": gazetteer.at["co-bogota", "lon"], "consent_reporting": "yes"})
    incidents.loc[:2, ["lat", "lon"]] = [gazetteer.at["co-cali", "lat"], gazetteer.at["co-cali", "lon"]]
    hexagons, hidden = maps.published_hexagons(hex_hotspots(incidents), policy=DisclosurePolicy.public())
    assert hexagons["n_people"].tolist() == [25]  # 27 people at Bogotá, rounded to 25; Cali's 3 hidden
    assert hidden == 1
    fine = hex_hotspots(incidents, resolution=7, publishable=False)
    with pytest.raises(PolicyError, match="resolution 7"):
        maps.published_hexagons(fine, policy=DisclosurePolicy.public())


def test_hotspot_areas_become_coarse_circles_with_common_risks_only() -> None:
    area = gpd.GeoSeries([box(-74.12, 4.58, -74.04, 4.66)], crs="EPSG:4326")
    hotspots = gpd.GeoDataFrame({"hotspot_id": [0, 1], "n_people": [23, 6], "n_incidents": [30, 6],
                                 "top_risks": ["extortion:14;threats:9", "robbery:6"],
                                 "place": ["Bogotá", "X"]},
                                geometry=[area[0], area[0]], crs="EPSG:4326")
    with pytest.raises(PolicyError, match="consented"):
        maps.published_hotspots(hotspots, policy=DisclosurePolicy.public())
    hotspots.attrs["consenting_only"] = True  # as routes.patterns.hotspots(events, cases=...) marks it
    circles, hidden = maps.published_hotspots(hotspots, policy=DisclosurePolicy.public())
    assert hidden == 1 and circles["n_people"].tolist() == [25]
    assert circles.loc[0, "risks"] == "extortion"  # threats: 9 people, under k
    # centre (-74.08, 4.62), already on the 0.01° grid; the farthest corner (-74.12, 4.58) is 4.44 km
    # east-west and 4.42 km north-south from it, 6.27 km: the radius is rounded up to 7 km
    centre = circles.geometry[0].centroid
    assert (centre.x, centre.y) == pytest.approx((-74.08, 4.62), abs=1e-3)
    assert circles.loc[0, "radius_m"] == 7_000.0


def test_route_map_embeds_only_allowed_properties_for_every_layer(corridor, tmp_path: Path) -> None:
    network, _ = corridor
    gazetteer = load_gazetteer().places
    services = gpd.GeoDataFrame({"service_id": ["s1"], "place": [EVIL], "place_id": ["co-cucuta"],
                                 "service_type": ["legal"], "organisation_type": ["ngo"]},
                                geometry=[gazetteer.geometry["co-cucuta"]], crs="EPSG:4326")
    m = maps.route_map(network, services=services, risks=("extortion",), lang="es", offline=True)
    layers = geojson_layers(m)
    # Bogotá's 20 people reporting extortion are those of its two segments (10 each, under k), and
    # the map's tables are protected together: the place is withheld with them, no layer is drawn
    assert "Riesgo: extorsión" not in layers
    internal = maps.route_map(network, risks=("extortion",), period=None, lang="es", offline=True,
                              policy=DisclosurePolicy.internal())  # k = 5: the risk layer is drawn
    products = {"Servicios": ("services",),
                "Lugares de alto riesgo sin servicio a menos de 25 km": ("places",),
                "2023 T1": ("segments",), "2023 T2": ("segments",)}
    for name, owners in products.items():
        keys = {key for feature in layers[name].data["features"] for key in feature["properties"]}
        assert keys and all(keys <= set(DEFAULT_ALLOWED_FIELDS[owner]) for owner in owners), name
    risk_keys = {key for feature in geojson_layers(internal)["Riesgo: extorsión"].data["features"]
                 for key in feature["properties"]}
    assert risk_keys and all(risk_keys <= set(DEFAULT_ALLOWED_FIELDS[o]) for o in ("segments", "places"))
    assert [f["properties"]["name"] for f in layers["Lugares de alto riesgo sin servicio a menos de 25 km"]
            .data["features"]] == ["Bogot&#225;"]
    html = m.get_root().render()
    assert "window.pwned" not in html
    strict = DisclosurePolicy.public(allowed_fields={**DEFAULT_ALLOWED_FIELDS, "services": ("service_type",)})
    m = maps.route_map(network, services=services, risks=(), period=None, policy=strict, offline=True)
    features = geojson_layers(m)["Services"].data["features"]
    assert [feature["properties"] for feature in features] == [{"service_type": "legal"}]


def test_period_slider_script_passes_the_page_csp(corridor, tmp_path: Path) -> None:
    m = maps.route_map(corridor[0], lang="en", offline=True)
    page = maps.save_map(m, tmp_path / "map.html").read_text(encoding="utf-8")
    assert "routes-period" in page and 'addEventListener("input"' in page
    assert not re.search(r"<[^>]+\son[a-z]+\s*=", page)  # no inline handler anywhere


def test_explore_sends_each_result_to_its_layer(corridor) -> None:
    network, _ = corridor
    gazetteer = load_gazetteer().places
    services = gpd.GeoDataFrame({"place": ["Cúcuta"], "service_type": ["shelter"],
                                 "organisation_type": ["ngo"]},
                                geometry=[gazetteer.geometry["co-cucuta"]], crs="EPSG:4326")
    names = list(geojson_layers(maps.explore(network, services, risks=())))
    assert "Services" in names and "High-risk places without a service within 25 km" in names
    with pytest.raises(maps.MapError, match="cannot tell which layer a str is"):
        maps.explore(network, "hexagons")


# -- the sample: one denominator per geography gives the tables of one release per risk ----------


@pytest.fixture(scope="module")
def sample_network(tmp_path_factory: pytest.TempPathFactory) -> RouteNetwork:
    from routes.io import read_cases
    from routes.sample import write_sample

    paths = write_sample(tmp_path_factory.mktemp("sample"))
    cases, events = read_cases(paths["cases"], events=paths["events"])
    return RouteNetwork.from_events(events, cases=cases)


def per_risk_tables(
    network: RouteNetwork, policy: DisclosurePolicy
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, int]:
    """Segments, places, risks and hidden risk cells, one release per risk and geography (the old way)."""
    from routes.privacy import release_counts, release_rate

    incidents = network.incident_people
    segments = release_rate(incidents.dropna(subset=["u", "v"]), network.segment_people, ["u", "v"],
                            policy=policy, margins=False)
    places = release_rate(incidents.dropna(subset=["place_id"]), network.place_people, ["place_id"],
                          policy=policy, margins=False)
    parts, hidden = [], 0
    for risk in maps.RISK_LAYERS:
        chosen = incidents.loc[incidents["risk"].astype("string").eq(risk).fillna(False).to_numpy()]
        for by, denominator in ((["u", "v"], network.segment_people), (["place_id"], network.place_people)):
            numerator = chosen.dropna(subset=by)
            if numerator.empty:
                continue
            released = release_rate(numerator, denominator, by, policy=policy, margins=False)
            shown = released.loc[released["n_events"].fillna(0).to_numpy() > 0, [*by, "n_events", "rate"]]
            hidden += len(release_counts(numerator, by, policy=policy, margins=False).cells) - len(shown)
            parts.append(shown.astype({column: object for column in by})
                         .rename(columns={"n_events": "n_people"}).assign(risk=risk))
    columns = ["risk", "u", "v", "place_id", "n_people", "rate"]
    risks = pd.concat(parts, ignore_index=True).reindex(columns=columns)
    risks = risks.astype({"n_people": "Int64", "rate": float})
    return segments.drop(columns="reason"), places.set_index("place_id"), risks, hidden


@pytest.mark.parametrize("policy", [DisclosurePolicy.public(), DisclosurePolicy.internal()],
                         ids=["public", "internal"])
def test_shared_denominators_publish_the_tables_of_one_release_per_risk(sample_network, policy) -> None:
    layers = maps.publish_layers(sample_network, policy=policy, period=None)
    segments, places, risks, hidden = per_risk_tables(sample_network, policy)
    pd.testing.assert_frame_equal(layers.segments, segments, check_exact=True)
    for column in ("n_people", "n_events", "rate"):
        expected = places[column].set_axis(places.index.astype(str)).reindex(layers.places.index)
        assert layers.places[column].equals(expected.astype(layers.places[column].dtype)), column
    pd.testing.assert_frame_equal(layers.risks, risks, check_exact=True)
    assert layers.hidden["risks"] == hidden
    # the sample exercises both sides: published risk cells and hidden ones, on segments and places
    assert risks["u"].notna().any() and risks["place_id"].notna().any() and hidden > 0


def test_a_map_through_a_town_of_the_geonames_fallback_credits_geonames() -> None:
    """San Pedro Sula is not a curated route place: it comes from the GeoNames fallback (CC BY 4.0),
    and a map that shows it says so; a map of curated places only does not."""
    gazetteer = load_gazetteer()
    town = str(gazetteer.resolve(["San Pedro Sula"])[0])
    assert town.startswith("geonames-")
    people = [f"p{i:02d}" for i in range(12)]
    events = pd.DataFrame({"case_id": np.repeat(people, 2), "seq": [1, 2] * len(people),
                           "stage": ["recruitment", "transit"] * len(people),
                           "place_id": ["co-cucuta", town] * len(people)})
    cases = pd.DataFrame({"case_id": people, "consent_reporting": "yes", "case_type": "smuggling"})
    credit = "Towns beyond the route gazetteer: GeoNames (CC BY 4.0)."
    network = RouteNetwork.from_events(events, cases=cases, gazetteer=gazetteer)
    page = unescape(maps.route_map(network, lang="en", offline=True).get_root().render())
    assert credit in page
    curated = RouteNetwork.from_events(events.assign(place_id=["co-cucuta", "co-bogota"] * len(people)),
                                       cases=cases, gazetteer=gazetteer)
    assert credit not in unescape(maps.route_map(curated, lang="en", offline=True).get_root().render())


@given(st.text(alphabet=st.sampled_from("abcdeéñ ,;→"), max_size=120), st.integers(min_value=8, max_value=90))
def test_long_labels_are_cut_between_words_never_inside_one(text: str, limit: int) -> None:
    """A label shortened for the layer control or the legend keeps whole words ("explotaci…" was a
    reported misreading); only a first word longer than the limit is cut inside."""
    from routes.maps._words import _short  # a private helper, tested where it lives

    short = _short(text, limit)
    if len(text) <= limit:
        assert short == text
        return
    kept = short.removesuffix("…")
    assert short.endswith("…") and len(short) <= limit and text.startswith(kept)
    inside_a_word = kept and kept[-1] != " " and text[len(kept)] not in " ,;→"
    assert not inside_a_word or " " not in text[:limit].strip()
