"""Route maps: flow geometry, styling classes, published content, offline pages, pinned assets."""

from __future__ import annotations

import re
import shutil
from html import unescape
from pathlib import Path

import folium
import numpy as np
import pandas as pd
import pytest
from pyproj import Transformer

from routes import _assets, maps
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


def test_only_published_rows_are_drawn_and_the_legend_counts_the_rest(published) -> None:
    m = draw(published, lang="en", offline=True, n_hidden=(1, 1))
    layers = geojson_layers(m)
    assert len(layers["Flows between places"].data["features"]) == 6  # 7 segments, 1 suppressed
    assert len(layers["Places"].data["features"]) == 4  # San Antonio, Cúcuta, Bogotá, Cali (not Quito: NA)
    assert len(layers["Border crossings"].data["features"]) == 2  # trochas and Rumichaca
    text = unescape(m.get_root().render())
    assert "Not shown (fewer people than the publication threshold): 1 segments, 1 places." in text


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
                "Offline: no map tiles; country outlines from Natural Earth"]),
        ("es", ["Flujos entre lugares", "Lugares", "Pasos fronterizos", "Incidentes por 100 personas",
                "Sin conexión: sin teselas; contornos de país de Natural Earth"]),
    ],
)
def test_layer_and_legend_names_follow_the_language(published, lang: str, expected: list[str]) -> None:
    m = draw(published, lang=lang, offline=True)
    assert list(geojson_layers(m))[1:] == expected[:3]  # after the outlines
    text = unescape(m.get_root().render())
    for label in expected:
        assert label in text


def test_unknown_language_is_refused(published) -> None:
    with pytest.raises(maps.MapError, match="lang='fr'"):
        draw(published, lang="fr")


def test_outlines_cover_the_countries_in_view() -> None:
    andean = maps.country_outlines((-80.0, -5.0, -66.0, 12.0), margin_deg=2.0)  # Ecuador to Venezuela
    assert {"COL", "VEN", "ECU", "PER", "BRA", "PAN"} <= set(andean.index)
    assert "MEX" not in andean.index and "ARG" not in andean.index


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
    assert path.stat().st_size < 400_000  # Leaflet-only page


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
    assert "2 places" in unescape(m.get_root().render())


def test_route_map_counts_only_people_who_consented() -> None:
    network = RouteNetwork.from_journeys({f"a{i}": ["Cúcuta", "Bogotá"] for i in range(30)})
    m = maps.route_map(network, policy=DisclosurePolicy.public(), offline=True)  # consent unknown
    assert geojson_layers(m)["Flows between places"].data["features"] == []


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
