"""Route maps in Debian chromium with the network cut: drawn, legible, toggleable, inert user text."""

from __future__ import annotations

from pathlib import Path

import pytest

from routes import maps
from routes.network import RouteNetwork

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
    assert "Incidentes por 100 personas" in legend and "Sin conexión" in legend and "1 tramos" in legend
    labels = loaded.page.locator(".leaflet-control-layers-overlays label").all_inner_texts()
    assert [label.strip() for label in labels] == ["Flujos entre lugares", "Lugares", "Pasos fronterizos"]
    loaded.screenshot("map_offline_es")


def test_unticking_a_layer_hides_its_features(open_offline, saved_map: Path) -> None:
    loaded = open_offline(saved_map, wait_for=".leaflet-routes-flows-pane path")
    page = loaded.page
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
