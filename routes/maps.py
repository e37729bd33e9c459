"""Route maps: published flows and places on a Leaflet page that works offline.

The layers take *published* tables, the output of :mod:`routes.privacy`: counts of distinct people
that passed the disclosure threshold (suppressed cells are not drawn) and nothing else. Every
GeoJSON property comes from an allow-list and every string in it is entity-encoded with
:func:`routes.privacy.escape_text`, because Leaflet and folium tooltips insert feature properties as
HTML. The page's own script is folium's, with no inline event handlers, so a Content-Security-
Policy with script hashes holds.

Drawing rules
-------------
* Flows are one GeoJSON layer of directed segments. Each segment is a quadratic Bézier curve bent
  to the right of its direction (control point at 18 % of the chord length, in Web Mercator, the
  map's own projection), so A → B and B → A run side by side, with an arrowhead half way.
  Line width is ``1.5 + 10.5 * sqrt(n / n_max)`` pixels for ``n`` people (area-like scaling, so a
  flow of four times the people looks twice as wide), colour the class of incidents per 100 people.
* Places are circles whose *area* is proportional to people passing (radius ``3 + 13 *
  sqrt(n / n_max)`` pixels); chokepoints have a thick dark ring; border crossings are a layer of
  their own, official and irregular in two colours.
* Offline there are no tiles: Natural Earth 1:110m country outlines (from ``countryinfo``) of the
  countries in view form a light basemap, and the page says so.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cache
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from routes.errors import RoutesError

if TYPE_CHECKING:
    import folium

    from routes.network import RouteNetwork
    from routes.privacy import DisclosurePolicy

__all__ = [
    "FLOW_PROPERTIES",
    "INCIDENT_CLASSES",
    "PLACE_PROPERTIES",
    "MapError",
    "country_outlines",
    "curved_flows",
    "published_tables",
    "route_map",
    "save_map",
]

LANGUAGES = ("en", "es")
MAX_ZOOM = 12
"""Deepest zoom: places are towns and crossings, and MarkerCluster needs a ``maxZoom`` without tiles."""

#: Published GeoJSON properties of a flow feature; nothing else reaches the page.
FLOW_PROPERTIES = ("u_name", "v_name", "n_people", "rate")
#: Published GeoJSON properties of a place feature.
PLACE_PROPERTIES = ("name", "country", "kind", "n_people", "chokepoint")

#: Upper bounds of the incident-rate classes (incidents per 100 people) and their colours; a rate
#: that is not published (too few people or incidents) is grey.
INCIDENT_CLASSES: tuple[tuple[float, str], ...] = (
    (5.0, "#fdbe85"),
    (15.0, "#fd8d3c"),
    (30.0, "#e6550d"),
    (np.inf, "#a63603"),
)
NOT_PUBLISHED_COLOUR = "#8c8c8c"
KIND_COLOURS = {"official_crossing": "#2c7fb8", "irregular_crossing_area": "#c51b8a"}
PLACE_COLOUR = "#3b4a5a"
CHOKEPOINT_RING = "#111111"
CROSSING_KINDS = ("official_crossing", "irregular_crossing_area")

_OUTLINE_STYLE = {"color": "#9aa5b1", "weight": 0.8, "fillColor": "#fbfaf6", "fillOpacity": 1.0}
_BEND = 0.18  # control-point offset, as a share of the chord
_CURVE_POINTS = 25
_ARROW_AT = 0.55  # arrow tip position along the curve
_ARROW_SHARE = 0.07  # arrow barb length as a share of the chord...
_ARROW_MAX_M = 45_000.0  # ...at most this many (Web Mercator) metres
_ARROW_HALF_ANGLE = np.deg2rad(28)
_WIDTH_PX = (1.5, 12.0)
_RADIUS_PX = (3.0, 16.0)
_DECIMALS = 4  # ~11 m: more than enough for gazetteer places, and a lighter page

#: Countries whose outlines may form the offline basemap (those in view are drawn).
REGION_ISO3 = (
    "MEX", "GTM", "BLZ", "SLV", "HND", "NIC", "CRI", "PAN", "CUB", "HTI", "DOM", "PRI", "TTO",
    "COL", "VEN", "GUY", "SUR", "GUF", "ECU", "PER", "BRA", "BOL", "PRY", "CHL", "ARG", "URY",
)

_TEXT: dict[str, tuple[str, str]] = {
    "legend": ("Legend", "Leyenda"),
    "flows": ("Flows between places", "Flujos entre lugares"),
    "places": ("Places", "Lugares"),
    "crossings": ("Border crossings", "Pasos fronterizos"),
    "outlines": ("Country outlines", "Contornos de país"),
    "u_name": ("From", "Desde"),
    "v_name": ("To", "Hacia"),
    "n_people": ("People (distinct)", "Personas (distintas)"),
    "rate": ("Incidents per 100 people", "Incidentes por 100 personas"),
    "name": ("Place", "Lugar"),
    "country": ("Country", "País"),
    "kind": ("Kind", "Tipo"),
    "chokepoint": ("Chokepoint", "Punto de paso obligado"),
    "yes": ("yes", "sí"),
    "no": ("no", "no"),
    "not_published": ("not published", "no publicado"),
    "city": ("city", "ciudad"),
    "transit_hub": ("transit hub", "centro de tránsito"),
    "service_point": ("service point", "punto de servicio"),
    "official_crossing": ("official crossing", "paso oficial"),
    "irregular_crossing_area": ("irregular crossing area", "zona de paso irregular"),
    "offline_note": (
        "Offline: no map tiles; country outlines from Natural Earth",
        "Sin conexión: sin teselas; contornos de país de Natural Earth",
    ),
    "not_prevalence": ("Reported cases, not prevalence.", "Casos reportados, no prevalencia."),
    "scaling": (
        "Line width and circle area grow with the number of people.",
        "El grosor de las líneas y el área de los círculos crecen con el número de personas.",
    ),
    "suppressed": (
        "Not shown (fewer people than the publication threshold): {segments} segments, {places} places.",
        "No se muestran (menos personas que el umbral de publicación): {segments} tramos, {places} lugares.",
    ),
}


class MapError(RoutesError, ValueError):
    """A map cannot be drawn or saved as asked (bad option, missing column, tiles offline)."""


def _text(key: str, lang: str) -> str:
    return _TEXT[key][LANGUAGES.index(lang)]


def _check_language(lang: str) -> None:
    if lang not in LANGUAGES:
        raise MapError(f"lang={lang!r}: expected one of {', '.join(LANGUAGES)}")


def _require(table: pd.DataFrame, columns: tuple[str, ...], what: str) -> None:
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise MapError(f"{what}: missing column(s) {missing}; has {list(table.columns)}")


# -- formatting ---------------------------------------------------------------------------------


def _format_numbers(values: pd.Series, lang: str, *, decimals: int = 0) -> pd.Series:
    """Numbers as text in the language's convention (es: ``1.234,5``), ``not published`` for NA."""
    from routes.privacy import escape_text

    numeric = pd.to_numeric(values, errors="coerce").astype("Float64")
    text = numeric.map(lambda x: f"{x:,.{decimals}f}", na_action="ignore").astype(object)
    if lang == "es":
        text = text.str.translate(str.maketrans({",": ".", ".": ","}))
    return text.fillna(_text("not_published", lang)).map(escape_text)


def _escaped(values: pd.Series) -> pd.Series:
    from routes.privacy import escape_text

    return values.astype(object).map(escape_text)


# -- geometry -----------------------------------------------------------------------------------


@cache
def _mercator() -> tuple[Transformer, Transformer]:
    forward = Transformer.from_crs("EPSG:4326", "EPSG:3857", always_xy=True)
    return forward, Transformer.from_crs("EPSG:3857", "EPSG:4326", always_xy=True)


def curved_flows(origins: np.ndarray, destinations: np.ndarray) -> np.ndarray:
    """Directed curves with an arrowhead, one MultiLineString per (origin, destination) pair.

    Each curve is a quadratic Bézier from origin to destination whose control point lies
    ``_BEND`` × chord to the right of the direction of travel, so the opposite flow bends the
    other way; the arrowhead (two barbs) points along the curve at ``_ARROW_AT`` of its length.
    Computed in Web Mercator, the projection the map is shown in, so the curves look the same at
    every latitude.

    Parameters
    ----------
    origins, destinations
        ``(n, 2)`` arrays of longitude, latitude (EPSG:4326). Pairs must differ.

    Returns
    -------
    numpy.ndarray
        ``n`` shapely MultiLineStrings in EPSG:4326: the curve, then the arrowhead.
    """
    forward, back = _mercator()
    p0 = np.column_stack(forward.transform(origins[:, 0], origins[:, 1]))
    p2 = np.column_stack(forward.transform(destinations[:, 0], destinations[:, 1]))
    chord = p2 - p0
    length = np.hypot(chord[:, 0], chord[:, 1])[:, None]
    if (length == 0).any():
        raise MapError("a flow starts and ends at the same point; a segment cannot loop on one place")
    along = chord / length
    right = np.column_stack([along[:, 1], -along[:, 0]])
    p1 = (p0 + p2) / 2 + _BEND * length * right

    t = np.linspace(0.0, 1.0, _CURVE_POINTS)[None, :, None]
    curve = (1 - t) ** 2 * p0[:, None] + 2 * (1 - t) * t * p1[:, None] + t**2 * p2[:, None]

    tip_t = _ARROW_AT
    tip = (1 - tip_t) ** 2 * p0 + 2 * (1 - tip_t) * tip_t * p1 + tip_t**2 * p2
    tangent = 2 * (1 - tip_t) * (p1 - p0) + 2 * tip_t * (p2 - p1)
    tangent /= np.hypot(tangent[:, 0], tangent[:, 1])[:, None]
    normal = np.column_stack([tangent[:, 1], -tangent[:, 0]])
    barb = np.minimum(_ARROW_SHARE * length, _ARROW_MAX_M)
    back_step = barb * np.cos(_ARROW_HALF_ANGLE) * tangent
    side_step = barb * np.sin(_ARROW_HALF_ANGLE) * normal
    arrow = np.stack([tip - back_step + side_step, tip, tip - back_step - side_step], axis=1)

    n = len(p0)
    parts = np.empty((2 * n,), dtype=object)
    lonlat = np.column_stack(back.transform(*np.concatenate([curve, arrow], axis=1).reshape(-1, 2).T))
    lonlat = np.round(lonlat, _DECIMALS).reshape(n, _CURVE_POINTS + 3, 2)
    parts[0::2] = shapely.linestrings(lonlat[:, :_CURVE_POINTS])
    parts[1::2] = shapely.linestrings(lonlat[:, _CURVE_POINTS:])
    return shapely.multilinestrings(parts, indices=np.repeat(np.arange(n), 2))


def _scaled(values: pd.Series, low: float, high: float, *, top: float | None = None) -> np.ndarray:
    """``low + (high - low) * sqrt(value / top)`` pixels: sizes whose square grows with the count.

    ``top`` defaults to the largest value; pass a shared one to put several layers on one scale.
    """
    counts = values.to_numpy(dtype=float, na_value=0.0)
    top = counts.max(initial=0.0) if top is None else top
    share = np.sqrt(counts / top) if top > 0 else np.zeros_like(counts)
    return np.round(low + (high - low) * share, 1)


def incident_colours(rates: pd.Series) -> np.ndarray:
    """Colour of each rate's class in :data:`INCIDENT_CLASSES`; grey where the rate is not published."""
    values = rates.to_numpy(dtype=float, na_value=np.nan)
    bounds = np.array([upper for upper, _ in INCIDENT_CLASSES])
    colours = np.array([colour for _, colour in INCIDENT_CLASSES], dtype=object)
    picked = colours[np.minimum(np.searchsorted(bounds, values, side="right"), len(bounds) - 1)]
    return np.where(np.isnan(values), NOT_PUBLISHED_COLOUR, picked)


# -- layers -------------------------------------------------------------------------------------


def _feature_collection(table: pd.DataFrame, geometry: np.ndarray, properties: tuple[str, ...]) -> dict:
    """GeoJSON with feature ids ``"0"``..``"n-1"`` and exactly the allow-listed properties."""
    frame = gpd.GeoDataFrame(
        table.loc[:, list(properties)].reset_index(drop=True), geometry=list(geometry), crs="EPSG:4326"
    )
    collection = frame.__geo_interface__
    for i, feature in enumerate(collection["features"]):
        feature["id"] = str(i)
    return collection


def _styler(styles: list[dict[str, Any]]) -> Callable[[dict], dict[str, Any]]:
    return lambda feature: styles[int(feature["id"])]


def _tooltip(fields: tuple[str, ...], lang: str) -> folium.GeoJsonTooltip:
    import folium

    from routes.privacy import escape_text

    aliases = [escape_text(_text(field, lang)) for field in fields]
    return folium.GeoJsonTooltip(fields=list(fields), aliases=aliases, sticky=True,
                                 class_name="routes-tooltip")


def _flow_layer(segments: pd.DataFrame, places: gpd.GeoDataFrame, *, lang: str) -> folium.GeoJson:
    """One GeoJSON layer of the published segments, drawn as curved arrows (module docstring).

    Parameters
    ----------
    segments
        Published segments: ``u``, ``v`` (place ids, as columns or index levels), ``n_people``
        (distinct people; rows with NA, i.e. suppressed, are not drawn) and ``rate``
        (incidents per 100 people, NaN when not published).
    places
        Places indexed by ``place_id`` with ``name`` and point geometry, for the segment ends.
    """
    import folium

    table = segments.reset_index() if {"u", "v"} <= set(segments.index.names) else segments
    _require(table, ("u", "v", "n_people", "rate"), "segments")
    table = table.loc[table["n_people"].notna() & (table["u"] != table["v"])].reset_index(drop=True)
    ends = places.geometry.loc[pd.Index(table["u"]).append(pd.Index(table["v"]))]
    xy = shapely.get_coordinates(ends.to_numpy())
    geometry = curved_flows(xy[: len(table)], xy[len(table):])

    names = places["name"]
    shown = pd.DataFrame(
        {
            "u_name": _escaped(names.loc[table["u"]].reset_index(drop=True)),
            "v_name": _escaped(names.loc[table["v"]].reset_index(drop=True)),
            "n_people": _format_numbers(table["n_people"], lang),
            "rate": _format_numbers(table["rate"], lang, decimals=1),
        }
    )
    styles = [
        {"color": colour, "weight": float(width), "opacity": 0.85, "lineCap": "round", "lineJoin": "round"}
        for colour, width in zip(incident_colours(table["rate"]),
                                 _scaled(table["n_people"], *_WIDTH_PX), strict=True)
    ]
    return folium.GeoJson(
        _feature_collection(shown, geometry, FLOW_PROPERTIES),
        name=_text("flows", lang),
        style_function=_styler(styles),
        tooltip=_tooltip(FLOW_PROPERTIES, lang),
        pane=_PANES["flows"][0],
    )


def _place_layer(places: gpd.GeoDataFrame, *, lang: str, name: str, sizes_from: pd.Series) -> folium.GeoJson:
    """One GeoJSON layer of published places as circles (area ∝ people), chokepoints ringed.

    ``places`` has ``name``, ``country``, ``kind``, ``n_people`` (published) and ``chokepoint``
    (bool); ``sizes_from`` is the ``n_people`` of every place on the map, so that circles in two
    layers share one scale.
    """
    import folium

    kinds = places["kind"].astype(object)
    shown = pd.DataFrame(
        {
            "name": _escaped(places["name"]),
            "country": _escaped(places["country"]),
            "kind": _escaped(kinds.map(lambda k: _text(k, lang) if k in _TEXT else k)),
            "n_people": _format_numbers(places["n_people"], lang),
            "chokepoint": _escaped(places["chokepoint"].map({True: _text("yes", lang),
                                                             False: _text("no", lang)})),
        }
    )
    radii = _scaled(places["n_people"], *_RADIUS_PX, top=float(sizes_from.max()))
    fills = kinds.map(KIND_COLOURS).fillna(PLACE_COLOUR).to_numpy()
    choke = places["chokepoint"].to_numpy(dtype=bool)
    styles = [
        {"radius": float(r), "fill": True, "fillColor": fill, "fillOpacity": 0.85, "opacity": 1.0,
         "color": CHOKEPOINT_RING if ring else "#ffffff", "weight": 3.0 if ring else 1.0,
         "pane": _PANES["places"][0]}  # point layers take their pane from the marker options
        for r, fill, ring in zip(radii, fills, choke, strict=True)
    ]
    return folium.GeoJson(
        _feature_collection(shown, places.geometry.to_numpy(), PLACE_PROPERTIES),
        name=name,
        style_function=_styler(styles),
        tooltip=_tooltip(PLACE_PROPERTIES, lang),
        marker=folium.CircleMarker(),
    )


# -- offline basemap -----------------------------------------------------------------------------


@cache
def _region_outlines() -> gpd.GeoSeries:
    """Natural Earth 1:110m outlines of :data:`REGION_ISO3`, from the ``countryinfo`` package."""
    from countryinfo import CountryInfo

    shapes = [shapely.geometry.shape(CountryInfo(code).geo_json()["features"][0]["geometry"])
              for code in REGION_ISO3]
    return gpd.GeoSeries(shapes, index=pd.Index(REGION_ISO3, name="iso3"), crs="EPSG:4326")


def country_outlines(bounds: tuple[float, float, float, float], *, margin_deg: float = 8.0) -> gpd.GeoSeries:
    """Outlines of the region's countries that reach into ``bounds`` (lon/lat) widened by a margin.

    The margin is in degrees because it only decides which outlines are worth drawing around the
    data on screen, not a distance.
    """
    west, south, east, north = bounds
    view = shapely.box(west - margin_deg, south - margin_deg, east + margin_deg, north + margin_deg)
    outlines = _region_outlines()
    return outlines[outlines.intersects(view)]


def _outline_layer(bounds: tuple[float, float, float, float], *, lang: str) -> folium.GeoJson:
    """Non-interactive country outlines with no properties, drawn below everything else."""
    import folium

    outlines = country_outlines(bounds)
    geometry = shapely.set_precision(outlines.to_numpy(), 10**-_DECIMALS)
    return folium.GeoJson(
        {"type": "FeatureCollection",
         "features": [{"type": "Feature", "properties": {}, "geometry": shapely.geometry.mapping(g)}
                      for g in geometry]},
        name=_text("outlines", lang),
        control=False,
        style_function=lambda feature: _OUTLINE_STYLE,
        interactive=False,
        pane=_PANES["outlines"][0],
    )


# -- page furniture ------------------------------------------------------------------------------

#: Map panes (name, z-index): outlines under the overlay pane, places over the flows, so toggling
#: a layer off and on keeps the drawing order without page script.
_PANES: Mapping[str, tuple[str, int]] = {
    "outlines": ("routes-outlines", 350),
    "flows": ("routes-flows", 410),
    "places": ("routes-places", 420),
}

_PAGE_CSS = """
.leaflet-container { background: #e4ebf1; }
.routes-legend { position: absolute; z-index: 1000; left: 10px; bottom: 22px; max-width: 290px;
  background: rgba(255,255,255,0.93); border-radius: 4px; padding: 8px 10px; font: 12px/1.35 sans-serif;
  box-shadow: 0 1px 4px rgba(0,0,0,0.3); color: #222; }
.routes-legend h4 { margin: 0 0 4px; font-size: 13px; }
.routes-legend h5 { margin: 6px 0 2px; font-size: 12px; }
.routes-legend ul { list-style: none; margin: 0; padding: 0; }
.routes-legend li { margin: 1px 0; }
.routes-legend p { margin: 4px 0 0; color: #444; }
.routes-legend .routes-note { font-weight: bold; color: #5a3d00; }
.routes-swatch { display: inline-block; width: 18px; height: 0; border-top: 4px solid; margin-right: 6px;
  vertical-align: middle; }
.routes-dot { display: inline-block; width: 10px; height: 10px; border-radius: 50%; margin-right: 6px;
  vertical-align: middle; border: 1px solid #fff; }
.routes-ring { border: 3px solid #111; width: 8px; height: 8px; }
.routes-tooltip th { text-align: left; padding-right: 8px; font-weight: normal; color: #555; }
"""


def _legend_css() -> str:
    """Page CSS plus one class a colour, so the legend needs no ``style`` attributes (CSP)."""
    colours = {**{f"routes-c{i}": c for i, (_, c) in enumerate(INCIDENT_CLASSES)},
               "routes-cna": NOT_PUBLISHED_COLOUR, "routes-place": PLACE_COLOUR,
               **{f"routes-{kind}": colour for kind, colour in KIND_COLOURS.items()}}
    rules = "\n".join(f".{name} {{ border-color: {c}; }} .routes-dot.{name} {{ background: {c}; }}"
                      for name, c in colours.items())
    return _PAGE_CSS + rules


def _legend_html(*, lang: str, title: str | None, offline: bool, n_hidden: tuple[int, int]) -> str:
    """The legend box: title, flow colour classes, place symbols, notes. All text escaped."""
    from routes.privacy import escape_text

    def item(css: str, label: str, shape: str = "routes-swatch") -> str:
        return f'<li><span class="{shape} {css}"></span>{escape_text(label)}</li>'

    uppers = [upper for upper, _ in INCIDENT_CLASSES]
    rate_labels = [
        f"< {upper:g}" if lower == 0 else f"≥ {lower:g}" if np.isinf(upper) else f"{lower:g} – {upper:g}"
        for lower, upper in zip([0.0, *uppers[:-1]], uppers, strict=True)
    ]
    flows = "".join(item(f"routes-c{i}", label) for i, label in enumerate(rate_labels))
    flows += item("routes-cna", _text("not_published", lang))
    places = (item("routes-place", _text("city", lang), "routes-dot")
              + "".join(item(f"routes-{k}", _text(k, lang), "routes-dot") for k in CROSSING_KINDS)
              + item("routes-ring", _text("chokepoint", lang), "routes-dot"))
    notes = [_text("scaling", lang), _text("not_prevalence", lang)]
    if any(n_hidden):
        notes.append(_text("suppressed", lang).format(segments=n_hidden[0], places=n_hidden[1]))
    paragraphs = "".join(f"<p>{escape_text(note)}</p>" for note in notes)
    if offline:
        paragraphs += f'<p class="routes-note">{escape_text(_text("offline_note", lang))}</p>'
    heading = f"<h4>{escape_text(title)}</h4>" if title else ""
    return (
        f'<div class="routes-legend" role="region" aria-label="{escape_text(_text("legend", lang))}">'
        f"{heading}"
        f"<h5>{escape_text(_text('rate', lang))}</h5><ul>{flows}</ul>"
        f"<h5>{escape_text(_text('places', lang))}</h5><ul>{places}</ul>{paragraphs}</div>"
    )


def _legend(html: str) -> Any:
    """A branca element that puts the page CSS in the head and the legend box in the body."""
    from branca.element import MacroElement
    from jinja2 import Template

    class Legend(MacroElement):
        _template = Template(
            "{% macro header(this, kwargs) %}<style>{{ this.css }}</style>{% endmacro %}"
            "{% macro html(this, kwargs) %}{{ this.body }}{% endmacro %}"
        )

        def __init__(self) -> None:
            super().__init__()
            self._name = "RoutesLegend"
            self.css = _legend_css()
            self.body = html

    return Legend()


def _published_map(
    segments: pd.DataFrame,
    places: gpd.GeoDataFrame,
    *,
    lang: str = "en",
    offline: bool = False,
    title: str | None = None,
    n_hidden: tuple[int, int] = (0, 0),
) -> folium.Map:
    """Assemble the map from already published tables (see :func:`_flow_layer`, :func:`_place_layer`).

    ``places`` is indexed by ``place_id`` with ``name``, ``country``, ``kind``, ``n_people`` and
    ``chokepoint``; rows with NA ``n_people`` are not drawn. ``n_hidden`` is (segments, places)
    withheld by the disclosure policy, reported in the legend.
    """
    import folium
    from folium.map import CustomPane

    from routes._assets import LEAFLET_CSS, LEAFLET_JS

    _check_language(lang)
    _require(places, ("name", "country", "kind", "n_people", "chokepoint"), "places")
    shown = places.loc[places["n_people"].notna()]
    west, south, east, north = shown.total_bounds if len(shown) else (-82.0, -20.0, -60.0, 12.0)

    m = folium.Map(tiles=None if offline else "OpenStreetMap", maxZoom=MAX_ZOOM, minZoom=3, zoom_start=5,
                   location=[(south + north) / 2, (west + east) / 2], control_scale=True)
    m.default_js, m.default_css = LEAFLET_JS, LEAFLET_CSS  # nothing else is used: no jQuery, no Bootstrap
    for pane, z_index in _PANES.values():
        CustomPane(pane, z_index=z_index, pointer_events=pane != _PANES["outlines"][0]).add_to(m)
    if offline:
        _outline_layer((west, south, east, north), lang=lang).add_to(m)
    _flow_layer(segments, places, lang=lang).add_to(m)
    crossing = shown["kind"].isin(CROSSING_KINDS)
    for layer, rows in (("places", ~crossing), ("crossings", crossing)):
        if rows.any():
            layer_name = _text(layer, lang)
            _place_layer(shown.loc[rows], lang=lang, name=layer_name, sizes_from=shown["n_people"]).add_to(m)
    folium.LayerControl(collapsed=False).add_to(m)
    m.add_child(_legend(_legend_html(lang=lang, title=title, offline=offline, n_hidden=n_hidden)))
    if len(shown):
        m.fit_bounds([[south, west], [north, east]], padding=(20, 20))
    return m


# -- public API ----------------------------------------------------------------------------------


def published_tables(
    network: RouteNetwork, *, policy: DisclosurePolicy
) -> tuple[pd.DataFrame, gpd.GeoDataFrame, tuple[int, int]]:
    """The segments and places a map may show, counted and suppressed by ``policy``.

    Segments: :func:`routes.privacy.release_rate` of people with an incident on the segment among
    people who travelled it, by ``(u, v)``: ``n_people`` (rounded, NA when suppressed) and
    ``rate`` (per 100, NaN when not publishable). Places: :func:`routes.privacy.release_counts` of
    ``place_people`` by ``place_id``. A place is a chokepoint when losing it cuts an observed
    origin-destination pair of at least ``policy.k`` people (``cut_people``), so the mark never
    rests on fewer people than a published count.

    Returns
    -------
    segments, places, (hidden segments, hidden places)
    """
    from routes.privacy import release_counts, release_rate

    for name in ("segment_people", "place_people", "incident_people"):
        if getattr(network, name) is None:
            raise MapError(f"network.{name} is missing: build the network with RouteNetwork.from_events "
                           "or pass the membership tables to from_gdfs")
    on_segments = network.incident_people.dropna(subset=["u", "v"])
    segments = release_rate(on_segments, network.segment_people, ["u", "v"], policy=policy, margins=False)
    places_release = release_counts(network.place_people, "place_id", policy=policy, margins=False)
    counts = places_release.table.set_index("place_id")["n_people"]
    places = network.places.loc[:, ["name", "country", "kind", "geometry"]].copy()
    places["n_people"] = counts.reindex(places.index).astype("Int64")
    cut_people = pd.to_numeric(network.places["cut_people"], errors="coerce").fillna(0)
    places["chokepoint"] = (cut_people >= policy.k).to_numpy()
    hidden = (int(segments["n_people"].isna().sum()), int(places["n_people"].isna().sum()))
    return segments.drop(columns="reason"), places, hidden


def route_map(
    network: RouteNetwork,
    *,
    lang: str = "en",
    policy: DisclosurePolicy | None = None,
    offline: bool = False,
    title: str | None = None,
) -> folium.Map:
    """A Leaflet map of a route network's published flows and places.

    Counts pass through :func:`published_tables` first (the public policy by default), so the map
    holds only what the policy allows: suppressed segments and places are not drawn and the legend
    says how many were withheld.

    Parameters
    ----------
    network
        A :class:`~routes.network.RouteNetwork` with its membership tables.
    lang
        ``"en"`` or ``"es"``: layer names, legend and tooltip labels.
    policy
        Disclosure policy; :meth:`DisclosurePolicy.public` by default.
    offline
        No tile layer: Natural Earth country outlines instead, and a note saying so. Save with
        :func:`save_map` to inline the scripts too.
    title
        Shown at the top of the legend (escaped).

    Returns
    -------
    folium.Map

    Examples
    --------
    >>> m = route_map(net, lang="es", offline=True)  # doctest: +SKIP
    >>> save_map(m, "maps/andean.html")  # doctest: +SKIP
    """
    from routes.privacy import DisclosurePolicy

    _check_language(lang)
    policy = DisclosurePolicy.public() if policy is None else policy
    segments, places, hidden = published_tables(network, policy=policy)
    return _published_map(segments, places, lang=lang, offline=offline, title=title, n_hidden=hidden)


#: Hosts an online page loads from: pinned scripts and styles, and OpenStreetMap's tiles.
ONLINE_ASSET_HOST = "https://cdn.jsdelivr.net"
ONLINE_TILE_HOST = "https://tile.openstreetmap.org"


def save_map(
    m: folium.Map, path: str | PathLike[str], *, offline: bool | None = None,
    policy: DisclosurePolicy | None = None,
) -> Path:
    """Write ``m`` as a publishable HTML page: assets inlined or pinned, a strict CSP, checked.

    Parameters
    ----------
    m
        A map from :func:`route_map`.
    path
        Output file.
    offline
        Inline every script, stylesheet, image and font (the page then makes no network request).
        By default, offline when the map has no tile layer. Online, assets stay on jsDelivr with
        Subresource Integrity and tiles come from OpenStreetMap, which sees the viewer's address.
    policy
        Policy for the final check (:func:`routes.privacy.check_publishable`); public by default.

    Raises
    ------
    MapError
        ``offline=True`` for a map with a tile layer (build it with ``route_map(..., offline=True)``).
    routes._assets.AssetError
        Offline assets were never fetched (``python -m routes._assets fetch``).
    DisclosureError
        The page fails the publication check; nothing is written.
    """
    import folium

    from routes._assets import inline_assets, pin_assets
    from routes.privacy import DisclosurePolicy, check_publishable, with_csp

    has_tiles = any(isinstance(child, folium.TileLayer) for child in m._children.values())
    offline = not has_tiles if offline is None else offline
    if offline and has_tiles:
        raise MapError("offline=True but the map loads tiles from the network; build it with offline=True")
    page = m.get_root().render()
    if offline:
        page = with_csp(inline_assets(page))
    else:
        hosts = [ONLINE_ASSET_HOST]
        page = with_csp(pin_assets(page), extra_script_src=hosts, extra_style_src=hosts,
                        img_src=["data:", ONLINE_TILE_HOST, *hosts])
    target = Path(path)
    check_publishable(page, policy=DisclosurePolicy.public() if policy is None else policy, name=str(target),
                      kind="html")
    target.write_text(page, encoding="utf-8")
    return target
