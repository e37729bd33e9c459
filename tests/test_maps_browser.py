"""Route maps in Debian chromium with the network cut: drawn, legible, toggleable, inert user text."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from routes import maps
from routes.network import RouteNetwork
from routes.privacy import DisclosurePolicy
from routes.publish import protect_together

pytestmark = pytest.mark.browser

EVIL = "Cúcuta <img src=x onerror=window.pwned=1> `${window.pwned=2}`"

COUNT = """() => ({
    flows: document.querySelectorAll('.leaflet-routes-flows-pane path').length,
    places: document.querySelectorAll('.leaflet-routes-places-pane path').length,
    outlines: document.querySelectorAll('.leaflet-routes-outlines-pane path').length,
})"""


@pytest.fixture(scope="module")
def saved_map(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An Andean-corridor network saved offline in Spanish: 6 flows of ≥ 11 people, 1 suppressed."""
    corridor = ["San Antonio del Táchira", "Cúcuta", "Bogotá", "Cali", "Rumichaca"]
    journeys = {f"a{i}": corridor for i in range(30)}
    journeys |= {f"b{i}": ["Cali", "Bogotá"] for i in range(14)}
    journeys |= {f"t{i}": ["Trochas de Villa del Rosario", "Cúcuta"] for i in range(12)}
    journeys |= {f"c{i}": ["Maicao", "Barranquilla"] for i in range(4)}
    network = RouteNetwork.from_journeys(journeys)
    for table in (network.place_people, network.segment_people):
        table["consent_reporting"] = "yes"
    network.places.loc["co-cucuta", "name"] = EVIL
    m = maps.route_map(network, lang="es", offline=True, title="Corredor andino")
    return maps.save_map(m, tmp_path_factory.mktemp("maps") / "andean.html")


def test_offline_map_draws_every_published_feature_without_network(open_offline, saved_map: Path) -> None:
    loaded = open_offline(saved_map, wait_for=".leaflet-routes-flows-pane path")
    assert loaded.problems == []
    # flows: San Antonio→Cúcuta, Cúcuta→Bogotá, Bogotá→Cali, Cali→Rumichaca, Cali→Bogotá, trochas→Cúcuta
    # places: San Antonio, Cúcuta, Bogotá, Cali (cities) + trochas, Rumichaca (crossings); Maicao hidden
    counts = loaded.page.evaluate(COUNT)
    assert counts["flows"] == 6 and counts["places"] == 6 and counts["outlines"] > 5
    assert loaded.page.locator(".leaflet-container").count() == 1
    legend = loaded.page.locator(".routes-legend").inner_text()
    assert "Incidentes por 100 personas" in legend and "Sin conexión" in legend
    assert "personas contadas: tramos, lugares." in legend  # the layers that withhold cells, not how many
    labels = loaded.page.locator(".leaflet-control-layers-overlays label").all_inner_texts()
    assert [label.strip() for label in labels] == ["Flujos entre lugares", "Lugares", "Pasos fronterizos"]
    loaded.screenshot("map_offline_es")


def test_unticking_a_layer_hides_its_features(open_offline, saved_map: Path) -> None:
    loaded = open_offline(saved_map, wait_for=".leaflet-routes-flows-pane path")
    page = loaded.page
    loaded.open_layer_control()
    page.get_by_role("checkbox", name="Flujos entre lugares").uncheck()
    assert page.evaluate(COUNT)["flows"] == 0 and page.evaluate(COUNT)["places"] == 6
    page.get_by_role("checkbox", name="Pasos fronterizos").uncheck()
    assert page.evaluate(COUNT)["places"] == 4
    page.get_by_role("checkbox", name="Flujos entre lugares").check()
    assert page.evaluate(COUNT)["flows"] == 6
    assert loaded.problems == []


def test_tooltip_shows_hostile_place_name_as_text(open_offline, saved_map: Path) -> None:
    loaded = open_offline(saved_map, wait_for=".leaflet-routes-places-pane path")
    page = loaded.page
    names = page.evaluate("""() => {
        const shown = [];
        document.querySelectorAll('.leaflet-routes-places-pane path').forEach(path => {
            path.dispatchEvent(new MouseEvent('mouseover', {bubbles: true, clientX: 1, clientY: 1}));
            const tip = document.querySelector('.leaflet-tooltip');
            if (tip) shown.push(tip.querySelector('td').textContent);
            path.dispatchEvent(new MouseEvent('mouseout', {bubbles: true}));
        });
        return shown;
    }""")
    assert EVIL in names
    assert page.evaluate("() => window.pwned === undefined")
    assert page.locator(".leaflet-tooltip img").count() == 0
    assert loaded.problems == []


# -- the sample map with every layer -------------------------------------------------------------

#: Every payload of the research notes' XSS corpus in one string (research/data_responsibility.md §6).
HOSTILE = ("Cúcuta <img src=x onerror=alert(1)> </script><script>alert(2)</script> ${alert(3)} "
           "` \\` {{7*7}} \u2028 fin")

PANES = ("flows", "places", "risks", "patterns", "hexagons", "services", "gaps", "periods")
COUNT_ALL = "() => ({" + ", ".join(
    f"{pane}: document.querySelectorAll('.leaflet-routes-{pane}-pane path').length" for pane in PANES) + "})"
SHOW_TOOLTIPS = """(panes) => {
    const shown = [];
    panes.forEach(pane => document.querySelectorAll(`.leaflet-routes-${pane}-pane path`).forEach(path => {
        path.dispatchEvent(new MouseEvent('mouseover', {bubbles: true, clientX: 1, clientY: 1}));
        document.querySelectorAll('.leaflet-tooltip').forEach(tip => shown.push(tip.textContent));
        path.dispatchEvent(new MouseEvent('mouseout', {bubbles: true}));
    }));
    return shown;
}"""
SET_PERIOD = """(position) => {
    const slider = document.querySelector('.routes-period-slider');
    slider.value = String(position);
    slider.dispatchEvent(new Event('input', {bubbles: true}));
    return document.querySelector('.routes-period-label').textContent;
}"""


@pytest.fixture(scope="module")
def sample_map(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, maps.PublishedLayers]:
    """The bundled sample (routes.sample, seed 2022) with hostile text in a place, a pattern and a service.

    Returns the saved offline page (Spanish) and the published layers it was drawn from, which give
    the expected numbers of features.
    """
    from routes.io import read_cases, read_services
    from routes.patterns import PatternClusters, hex_hotspots
    from routes.sample import write_sample

    folder = Path(__file__).resolve().parent.parent / "data" / "sample"
    if not (folder / "cases.csv").exists():
        folder = tmp_path_factory.mktemp("sample")
        write_sample(folder)
    cases, events = read_cases(folder / "cases.csv", events=folder / "events.csv")
    services = read_services(folder / "services.csv")
    network = RouteNetwork.from_events(events, cases=cases)
    patterns = PatternClusters(random_state=0, n_bootstrap=0).fit(cases, events=events)
    hexagons = hex_hotspots(events, cases=cases)

    network.places.loc["co-cucuta", "name"] = HOSTILE
    patterns.profiles_.table.loc[0, ["label_en", "label_es"]] = HOSTILE
    services.loc[0, ["place", "organisation_type"]] = HOSTILE
    options = {"patterns": patterns, "cases": cases, "hotspots": hexagons, "services": services}
    layers = protect_together(lambda: maps.publish_layers(network, **options), DisclosurePolicy.public(),
                              product="sample map", cases=cases)  # as route_map protects them
    m = maps.route_map(network, **options, lang="es", offline=True, title="Muestra: todos los corredores")
    return maps.save_map(m, tmp_path_factory.mktemp("maps") / "sample.html"), layers


def expected_counts(layers: maps.PublishedLayers) -> dict[str, int]:
    """Features drawn at first: published rows, only the first risk layer; patterns and services start off."""
    first_risk = layers.risks["risk"].iloc[0]
    segments = layers.segments
    return {
        "flows": int((segments["n_people"].notna() & (segments["u"] != segments["v"])).sum()),
        "places": int(layers.places["n_people"].notna().sum()),
        "risks": int(layers.risks["risk"].eq(first_risk).sum()),
        "patterns": 0,
        "hexagons": len(layers.hexagons),
        "services": 0,
        "gaps": len(layers.gaps),
        "periods": 0,
    }


def test_sample_map_draws_every_published_layer_offline(open_offline, sample_map) -> None:
    path, layers = sample_map
    loaded = open_offline(path, wait_for=".leaflet-routes-hexagons-pane path")
    counts = loaded.page.evaluate(COUNT_ALL)
    expected = expected_counts(layers)
    assert counts == expected
    assert all(n > 0 for pane, n in expected.items() if pane not in ("periods", "patterns", "services"))
    first_cluster = int(layers.patterns["cluster"].iloc[0])
    loaded.open_layer_control()
    loaded.page.get_by_role("checkbox", name=re.compile(rf"^Patrón {first_cluster + 1}:")).check()
    loaded.page.get_by_role("checkbox", name="Servicios", exact=True).check()
    shown = loaded.page.evaluate(COUNT_ALL)
    assert shown["patterns"] == int(layers.patterns["cluster"].eq(first_cluster).sum()) > 0
    assert shown["services"] == len(layers.services) > 0
    assert loaded.page.locator(".leaflet-container").count() == 1
    legend = loaded.page.locator(".routes-legend").inner_text()
    for heading in ("Riesgos reportados", "Patrones de modus operandi", "Puntos calientes de incidentes",
                    "Servicios", "Se suprimen los conteos menores de 11", "Sin conexión",
                    "corrección de Benjamini-Hochberg"):
        assert heading in legend
    labels = [label.strip() for label in
              loaded.page.locator(".leaflet-control-layers-overlays label").all_inner_texts()]
    assert labels[:4] == ["Puntos calientes de incidentes (hexágonos H3)", "Flujos entre lugares", "Lugares",
                          "Pasos fronterizos"]
    assert "Riesgo: reclutamiento por grupos armados o criminales" in labels
    assert "Lugares de alto riesgo sin servicio a menos de 25 km" in labels
    assert loaded.problems == []
    loaded.page.wait_for_timeout(600)  # let fitBounds' zoom animation end before the picture
    loaded.screenshot("map_sample_es")
    loaded.page.evaluate("([lat, lon, zoom]) => Object.values(window).find(v => v instanceof L.Map)"
                         ".setView([lat, lon], zoom, {animate: false})", [7.85, -72.5, 10])
    loaded.page.wait_for_timeout(300)
    loaded.screenshot("map_sample_es_cucuta")


def test_layer_toggles_hide_and_show_their_features(open_offline, sample_map) -> None:
    path, layers = sample_map
    loaded = open_offline(path, wait_for=".leaflet-routes-hexagons-pane path")
    page = loaded.page
    expected = expected_counts(layers)
    loaded.open_layer_control()
    page.get_by_role("checkbox", name="Puntos calientes de incidentes (hexágonos H3)").uncheck()
    page.get_by_role("checkbox", name="Servicios", exact=True).uncheck()
    counts = page.evaluate(COUNT_ALL)
    assert counts["hexagons"] == 0 and counts["services"] == 0 and counts["flows"] == expected["flows"]
    page.get_by_role("checkbox", name="Riesgo: extorsión").check()
    extortion = int(layers.risks["risk"].eq("extortion").sum())
    assert page.evaluate(COUNT_ALL)["risks"] == expected["risks"] + extortion
    page.get_by_role("checkbox", name="Riesgo: reclutamiento por grupos armados o criminales").uncheck()
    assert page.evaluate(COUNT_ALL)["risks"] == extortion
    assert page.locator(".routes-legend h5").first.is_visible()
    page.locator(".routes-legend summary").click()  # the legend folds away without any script
    assert not page.locator(".routes-legend h5").first.is_visible()
    assert loaded.problems == []


def test_period_slider_draws_one_period_at_a_time(open_offline, sample_map) -> None:
    path, layers = sample_map
    loaded = open_offline(path, wait_for=".routes-period-slider")
    page = loaded.page
    per_period = layers.periods.groupby("period").size()
    assert page.evaluate(COUNT_ALL)["periods"] == 0
    first = page.evaluate(SET_PERIOD, 1)
    assert first == f"{per_period.index[0].year} T{per_period.index[0].quarter}"
    assert page.evaluate(COUNT_ALL)["periods"] == per_period.iloc[0]
    page.evaluate(SET_PERIOD, len(per_period) - 2)
    assert page.evaluate(COUNT_ALL)["periods"] == per_period.iloc[-3]
    loaded.screenshot("map_sample_es_period")
    assert page.evaluate(SET_PERIOD, 0) == "Todos los periodos (sin capa de periodo)"
    assert page.evaluate(COUNT_ALL)["periods"] == 0
    assert loaded.problems == []


def test_hostile_place_pattern_and_service_text_stays_inert(open_offline, sample_map) -> None:
    path, _ = sample_map
    loaded = open_offline(path, wait_for=".leaflet-routes-places-pane path")
    page = loaded.page
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    title = page.title()
    loaded.open_layer_control()
    page.get_by_role("checkbox", name=re.compile(r"^Patrón 1:")).check()  # the hostile label's layer
    page.get_by_role("checkbox", name="Servicios", exact=True).check()
    shown = page.evaluate(SHOW_TOOLTIPS, ["places", "patterns", "services"])
    assert sum(HOSTILE in text for text in shown) >= 3  # place name, pattern label, service place
    assert any(f"{HOSTILE}" in text and "Organizaciones" in text for text in shown)
    assert HOSTILE[:70] in page.locator(".routes-legend").text_content()  # the label, cut at 80 characters
    layer_names = page.locator(".leaflet-control-layers-overlays").text_content()
    assert HOSTILE[:20] in layer_names  # the pattern layer's name, cut short, as text
    assert page.locator(".leaflet-tooltip img, .routes-legend img, .leaflet-control-layers img").count() == 0
    assert dialogs == [] and page.title() == title
    assert loaded.problems == []


BOXES = """() => {
    const box = (selector) => {
        const element = document.querySelector(selector);
        if (!element) return null;
        const r = element.getBoundingClientRect();
        return r.width && r.height ? [r.left, r.top, r.right, r.bottom] : null;
    };
    return {zoom: box('.leaflet-control-zoom'), layers: box('.leaflet-control-layers'),
            legend: box('.routes-legend'), slider: box('.routes-period'),
            scale: box('.leaflet-control-scale'), tooltip: box('.leaflet-tooltip')};
}"""
OPEN_TOOLTIP = """() => {
    const map = Object.values(window).find(v => v instanceof L.Map);
    const middle = map.getContainer().getBoundingClientRect();
    let best = null, distance = Infinity;
    document.querySelectorAll('.leaflet-routes-places-pane path').forEach(path => {
        const r = path.getBoundingClientRect();
        const d = Math.hypot(r.x - middle.width / 2, r.y - middle.height / 2);
        if (d < distance) { best = [path, r]; distance = d; }
    });
    const [path, r] = best;
    path.dispatchEvent(new MouseEvent('mouseover', {bubbles: true, clientX: r.x + r.width / 2,
                                                    clientY: r.y + r.height / 2}));
    path.dispatchEvent(new MouseEvent('mousemove', {bubbles: true, clientX: r.x + r.width / 2,
                                                    clientY: r.y + r.height / 2}));
}"""


def _overlaps(boxes: dict[str, list[float] | None]) -> list[tuple[str, str]]:
    shown = {name: box for name, box in boxes.items() if box}
    names = sorted(shown)
    return [(a, b) for i, a in enumerate(names) for b in names[i + 1:]
            if shown[a][0] < shown[b][2] and shown[b][0] < shown[a][2]
            and shown[a][1] < shown[b][3] and shown[b][1] < shown[a][3]]


SCALE_AT_ZOOM = """zoom => {
  Object.values(window).find(v => v instanceof L.Map).setZoom(zoom, {animate: false});
  const line = document.querySelector('.leaflet-control-scale-line');
  return [line.scrollWidth, line.clientWidth, line.innerText];
}"""


@pytest.mark.parametrize("viewport", [(1400, 900), (390, 844)], ids=["desktop", "phone"])
def test_controls_legend_scale_and_a_tooltip_never_overlap(open_offline, sample_map, viewport) -> None:
    path, _ = sample_map
    loaded = open_offline(path, viewport=viewport, wait_for=".leaflet-routes-places-pane path")
    page = loaded.page
    page.wait_for_timeout(600)  # fitBounds' animation
    page.evaluate(OPEN_TOOLTIP)
    boxes = page.evaluate(BOXES)
    assert all(boxes[name] for name in ("zoom", "layers", "legend", "slider", "scale", "tooltip")), boxes
    assert _overlaps(boxes) == []
    scale = page.locator(".leaflet-control-scale").inner_text()
    assert "km" in scale and "mi" not in scale  # metric only
    first = page.evaluate("Object.values(window).find(v => v instanceof L.Map).getZoom()")
    for zoom in (3, 4, 5, 6, 9, 12, first):  # the label is whole at every zoom (Leaflet's CSS clipped it)
        line = page.evaluate(SCALE_AT_ZOOM, zoom)
        assert line[0] <= line[1], (zoom, line)
    legend_open = page.locator(".routes-legend details").get_attribute("open") is not None
    assert legend_open == (viewport[0] > 640)  # folded on a phone until tapped
    if viewport[0] <= 640:
        page.locator(".routes-legend summary").click()
        opened = page.evaluate(BOXES)
        assert [pair for pair in _overlaps(opened) if "tooltip" not in pair] == []
    assert loaded.problems == []
    loaded.screenshot(f"map_sample_es_{viewport[0]}x{viewport[1]}")


#: Zoom to 9 and pan the map so that the named place sits beside a control; return the pointer position
#: (client pixels) of the place's centre. ``side``: "legend" (right of the legend, half way up; on a
#: phone, above it), "layers" (left of the top-right controls, just under the layer control's bottom,
#: near the map's top edge).
PLACE_BESIDE = """([name, side]) => {
    const map = Object.values(window).find(v => v instanceof L.Map);
    const decoder = document.createElement('textarea');
    let place = null;
    map.eachLayer(layer => {
        if (layer.feature && layer.options.pane === 'routes-places') {
            decoder.innerHTML = layer.feature.properties.name;
            if (decoder.value === name) place = layer;
        }
    });
    map.setView(place.getLatLng(), 9, {animate: false});  // close enough that no other place hides it
    const frame = map.getContainer().getBoundingClientRect();
    const control = document.querySelector(side === 'legend' ? '.routes-legend' : '.leaflet-control-layers')
        .getBoundingClientRect();
    const phone = frame.width <= 640;
    const corner = document.querySelector('.leaflet-top.leaflet-right').getBoundingClientRect();  // + scale
    const target = side === 'layers' ? [corner.left - 14, control.bottom + 14]
        : phone ? [frame.width / 2, control.top - 14]
        : [control.right + 14, (control.top + control.bottom) / 2];
    const now = map.latLngToContainerPoint(place.getLatLng());
    map.panBy([now.x - (target[0] - frame.left), now.y - (target[1] - frame.top)], {animate: false});
    const at = map.latLngToContainerPoint(place.getLatLng());
    return [at.x + frame.left, at.y + frame.top];
}"""
#: The open tooltip's box, whether it lies inside the viewport, and whether it is the topmost element
#: at its centre and at points 3 pixels inside each corner (nothing covers it).
TOOLTIP_ON_TOP = """() => {
    const tips = document.querySelectorAll('.leaflet-tooltip');
    if (tips.length !== 1) return {count: tips.length};
    const tip = tips[0];
    tip.style.pointerEvents = 'auto';  // elementFromPoint skips pointer-events: none
    const r = tip.getBoundingClientRect();
    const points = [[r.left + 3, r.top + 3], [r.right - 3, r.top + 3], [r.left + 3, r.bottom - 3],
                    [r.right - 3, r.bottom - 3], [(r.left + r.right) / 2, (r.top + r.bottom) / 2]];
    const covered = points.filter(([x, y]) => !tip.contains(document.elementFromPoint(x, y)));
    tip.style.pointerEvents = '';
    return {count: 1, text: tip.textContent, box: [r.left, r.top, r.right, r.bottom],
            inside: r.left >= 0 && r.top >= 0 && r.right <= innerWidth && r.bottom <= innerHeight,
            covered: covered};
}"""


@pytest.mark.parametrize("viewport", [(1400, 900), (390, 844)], ids=["desktop", "phone"])
@pytest.mark.parametrize(("name", "side"),
                         [("Necoclí", "legend"), ("Trochas de Villa del Rosario", "layers")])
def test_a_tooltip_beside_the_legend_or_the_layer_control_is_whole_and_on_top(
    open_offline, sample_map, viewport, name, side
) -> None:
    """The issue's Necoclí and trochas tooltips: hovered with the pointer next to a control, the
    tooltip lies inside the window and nothing (legend, layer control, slider) covers any of it."""
    path, _ = sample_map
    loaded = open_offline(path, viewport=viewport, wait_for=".leaflet-routes-places-pane path")
    page = loaded.page
    page.wait_for_timeout(600)  # fitBounds' animation
    if viewport[0] <= 640:
        page.locator(".routes-legend summary").click()  # open the folded legend: the worst case
    x, y = page.evaluate(PLACE_BESIDE, [name, side])
    page.mouse.move(x, y)
    page.wait_for_selector(".leaflet-tooltip", state="visible")
    shown = page.evaluate(TOOLTIP_ON_TOP)
    assert shown["count"] == 1 and name in shown["text"], shown
    assert shown["inside"] and shown["covered"] == [], shown
    page.mouse.move(x, y + 1)  # a sticky tooltip follows the pointer and stays whole
    assert page.evaluate(TOOLTIP_ON_TOP)["covered"] == []
    assert loaded.problems == []
    loaded.screenshot(f"map_sample_es_{viewport[0]}x{viewport[1]}_tooltip_beside_{side}")


def test_a_popup_beside_the_legend_is_above_it(open_offline, sample_map) -> None:
    path, _ = sample_map
    loaded = open_offline(path, viewport=(1400, 900), wait_for=".leaflet-routes-places-pane path")
    page = loaded.page
    page.wait_for_timeout(600)
    x, y = page.evaluate(PLACE_BESIDE, ["Necoclí", "legend"])
    page.mouse.click(x, y)
    popup = page.locator(".leaflet-popup-content-wrapper")
    popup.wait_for(state="visible")
    covered = page.evaluate("""() => {
        const popup = document.querySelector('.leaflet-popup-content-wrapper');
        const whole = document.querySelector('.leaflet-popup');  // with its close button
        const r = popup.getBoundingClientRect(), legend = document.querySelector('.routes-legend');
        const points = [[r.left + 8, r.top + 8], [r.right - 8, r.top + 8], [r.left + 8, r.bottom - 8],
                        [r.right - 8, r.bottom - 8], [(r.left + r.right) / 2, (r.top + r.bottom) / 2]];
        const over = legend.getBoundingClientRect();
        return {overLegend: r.left < over.right,
                covered: points.filter(([x, y]) => !whole.contains(document.elementFromPoint(x, y)))};
    }""")
    assert covered == {"overLegend": True, "covered": []}  # it spans the legend's edge, on top
    assert "Necoclí" in popup.inner_text()
    assert loaded.problems == []


def test_a_click_opens_a_popup_with_the_full_text(open_offline, sample_map) -> None:
    path, _ = sample_map
    loaded = open_offline(path, wait_for=".leaflet-routes-places-pane path")
    page = loaded.page
    page.wait_for_timeout(600)
    page.evaluate("""() => {
        const path = document.querySelector('.leaflet-routes-places-pane path');
        path.dispatchEvent(new MouseEvent('click', {bubbles: true}));
    }""")
    popup = page.locator(".leaflet-popup-content")
    assert popup.count() == 1 and "Personas" in popup.inner_text()
    assert loaded.problems == []


LABELS = """() => Array.from(document.querySelectorAll('.routes-label'))
    .filter(label => label.style.visibility !== 'hidden')
    .map(label => { const r = label.getBoundingClientRect();
                    return {text: label.textContent, children: label.children.length,
                            box: [r.left, r.top, r.right, r.bottom]}; })"""


def test_place_names_show_from_zoom_7_as_text_and_never_overprint(open_offline, sample_map) -> None:
    path, layers = sample_map
    loaded = open_offline(path, viewport=(1400, 900), wait_for=".leaflet-routes-places-pane path")
    page = loaded.page
    set_view = ("([lat, lon, zoom]) => Object.values(window).find(v => v instanceof L.Map)"
                ".setView([lat, lon], zoom, {animate: false})")
    page.evaluate(set_view, [4.0, -74.0, 6])
    page.wait_for_timeout(300)
    assert page.evaluate(LABELS) == []  # too far out: the map is not a wall of names
    page.evaluate(set_view, [7.88, -72.5, 11])  # Cúcuta, the bridges and the trochas
    page.wait_for_timeout(300)
    shown = page.evaluate(LABELS)
    texts = [label["text"] for label in shown]
    assert HOSTILE in texts and all(label["children"] == 0 for label in shown)  # text, never markup
    assert "Trochas de Villa del Rosario" in texts and len(texts) >= 4
    boxes = [label["box"] for label in shown]
    assert not [(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1:]
                if a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]]
    published = set(layers.places.loc[layers.places["n_people"].notna(), "name"])
    assert set(texts) <= published | {HOSTILE}  # only places the map draws
    assert loaded.problems == []
    loaded.screenshot("map_sample_es_cucuta_zoom11")
    page.evaluate(set_view, [8.3, -77.0, 9])  # the Darién and the Gulf of Urabá
    page.wait_for_timeout(300)
    assert "Necoclí" in [label["text"] for label in page.evaluate(LABELS)]
    loaded.screenshot("map_sample_es_darien_zoom9")


# -- an incident data set: places and incidents, no journeys ---------------------------------------


def test_an_incident_data_set_maps_places_and_hexagons_without_flows(
    open_offline, sample_tables, tmp_path
) -> None:
    """One incident per person and no other step (a public incident data set's shape): no segment,
    so no flow layer, and the legend says why instead of failing on an empty layer."""
    from routes.briefs import release_brief
    from routes.publish import Release

    cases, events = sample_tables
    incidents = events[events["stage"].eq("incident")].drop_duplicates("case_id")
    people = cases[cases["case_id"].isin(incidents["case_id"])]
    network = RouteNetwork.from_events(incidents, cases=people)
    assert len(network.segments) == 0
    assert "no journeys: flows and chokepoints need at least two steps per person" in network.summary()
    release = Release.build(people, incidents, corridors=(), dataset="incidents")
    path = maps.save_map(maps.release_map(release, lang="en", offline=True), tmp_path / "incidents.html")
    loaded = open_offline(path, viewport=(1400, 900), wait_for=".leaflet-routes-hexagons-pane path")
    counts = loaded.page.evaluate(COUNT_ALL)
    assert counts["flows"] == 0 and counts["places"] > 0 and counts["hexagons"] > 0
    assert "No journeys: flows need at least two steps per person" in loaded.page.locator(
        ".routes-legend").inner_text()
    labels = loaded.page.locator(".leaflet-control-layers-overlays label").all_inner_texts()
    assert not any("Flows" in label for label in labels)
    assert loaded.problems == []
    loaded.page.wait_for_timeout(600)
    loaded.screenshot("map_incidents_desktop")
    brief = release_brief(release, lang="en")
    assert brief.findings.people and not brief.findings.segments
