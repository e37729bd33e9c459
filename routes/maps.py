"""Route maps: published flows, places, risks, patterns, hotspots, services and periods, offline.

The layers take *published* tables, the output of :mod:`routes.privacy`: counts of distinct people
that passed the disclosure threshold (suppressed cells are not drawn) and nothing else.
:func:`publish_layers` computes them from the analysis results, :func:`draw_map` draws them and
:func:`route_map` does both. Every GeoJSON property is a name the policy's
``allowed_fields`` lists for that product (others are dropped before the page is built), and every
string in it is entity-encoded with :func:`routes._web.escape_text`, because Leaflet and folium
tooltips insert feature properties as HTML. The page's scripts are folium's plus one hashed script
for the period slider, with no inline event handlers, so a Content-Security-Policy with script
hashes holds.

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
* Risks: one layer per risk type (the first shown), the same curves and circles sized by the
  people who reported that risk there, on one scale across risk types.
* Patterns: one layer per modus-operandi cluster (the first shown), rings at the places where the
  cluster is over-represented, sized by its people there.
* Hotspots: H3 hexagons coloured by their Getis-Ord Gi* class, or hotspot areas drawn as circles
  around a centre rounded to 0.01° with a radius rounded up to the kilometre, so the drawing does
  not trace the incidents' own coordinates.
* Services: concentric rings at the service's place, one radius and colour per service type; high-
  risk places with no service within reach get a dashed red ring.
* Admin areas: a choropleth of people per area in five classes (quantile breaks of published counts).
* Periods: the flows of one quarter (or month, or year) at a time, chosen with a slider.
* Offline there are no tiles: Natural Earth 1:10m country outlines and, inside the gazetteer's
  countries, dashed first-level admin boundaries (:mod:`routes.basemap`), clipped to the view and
  simplified, form a light basemap, and the page says so.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, cast

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Geod, Transformer

from routes.basemap import admin1_lines, country_outlines
from routes.errors import PolicyError, RoutesError
from routes.places import FALLBACK_ID_PREFIX, country_names

if TYPE_CHECKING:
    import folium

    from routes.network import RouteNetwork
    from routes.patterns import PatternClusters
    from routes.privacy import DisclosurePolicy
    from routes.publish.release import Release

__all__ = [
    "FLOW_PROPERTIES",
    "INCIDENT_CLASSES",
    "PLACE_PROPERTIES",
    "RISK_LAYERS",
    "MapError",
    "PublishedLayers",
    "admin1_lines",
    "country_outlines",
    "curved_flows",
    "draw_map",
    "explore",
    "publish_layers",
    "published_areas",
    "published_gaps",
    "published_hexagons",
    "published_hotspots",
    "published_patterns",
    "published_periods",
    "published_risks",
    "published_services",
    "published_tables",
    "release_map",
    "route_map",
    "save_map",
    "stable_ids",
]

LANGUAGES = ("en", "es")
MAX_ZOOM = 12
"""Deepest zoom: places are towns and crossings, and MarkerCluster needs a ``maxZoom`` without tiles."""

# Properties each layer would embed, in tooltip order. A page gets only those that
# ``policy.allowed_fields`` allows for the layer's product(s) (see ``_LAYER_PRODUCTS``).
#: Published GeoJSON properties of a flow feature.
FLOW_PROPERTIES = ("u_name", "v_name", "n_people", "rate")
#: Published GeoJSON properties of a place feature (a chokepoint is said in ``kind``).
PLACE_PROPERTIES = ("name", "country", "kind", "n_people", "rate")
RISK_PROPERTIES = ("name", "n_people", "rate")
PATTERN_PROPERTIES = ("cluster", "label", "n_people")
HEXAGON_PROPERTIES = ("h3", "n_people", "hotspot")
HOTSPOT_PROPERTIES = ("hotspot_id", "name", "label", "n_people", "radius_m")
SERVICE_PROPERTIES = ("place", "service_type", "organisation_type")
GAP_PROPERTIES = ("name", "n_people", "rate")
AREA_PROPERTIES = ("name", "n_people")
PERIOD_PROPERTIES = ("u_name", "v_name", "n_people")

#: Risk types drawn by default, one layer each (the sub-sector's displacement risks).
RISK_LAYERS = ("recruitment", "sexual_abuse", "threats", "extortion")

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
RISK_COLOURS = {"recruitment": "#6a3d9a", "sexual_abuse": "#e31a1c", "threats": "#ff7f00",
                "extortion": "#1f78b4", "robbery": "#33a02c", "kidnapping": "#b15928",
                "disappearance": "#111111", "physical_violence": "#fb9a99", "detention": "#cab2d6",
                "abandonment": "#a6cee3"}
PATTERN_COLOURS = ("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#666666")
#: Getis-Ord Gi* classes of :func:`routes.patterns.hex_hotspots` and their fill colours.
HOTSPOT_CLASS_COLOURS = {"hot_99": "#b2182b", "hot_95": "#d6604d", "hot_90": "#f4a582",
                         "not_significant": "#d9d9d9"}
HOTSPOT_AREA_COLOUR = "#b30000"
#: Service types: ring colour and radius in pixels, so types at one place nest without hiding.
SERVICE_STYLES = {"legal": ("#1b7837", 5.0), "psychosocial": ("#762a83", 8.0), "shelter": ("#b35806", 11.0),
                  "health": ("#2166ac", 14.0)}
OTHER_SERVICE_STYLE = ("#4d4d4d", 17.0)
GAP_COLOUR = "#d7301f"
AREA_COLOURS = ("#f2f0f7", "#cbc9e2", "#9e9ac8", "#756bb1", "#54278f")
PERIOD_COLOUR = "#08306b"

_OUTLINE_STYLE = {"color": "#9aa5b1", "weight": 0.8, "fillColor": "#fbfaf6", "fillOpacity": 1.0}
#: Admin-1 boundaries: thinner, lighter and dashed, so a department line never reads as a border.
_ADMIN1_STYLE = {"color": "#b4bcc6", "weight": 0.7, "dashArray": "4 3", "fill": False}
_BEND = 0.18  # control-point offset, as a share of the chord
_CURVE_POINTS = 25
_ARROW_AT = 0.55  # arrow tip position along the curve
_ARROW_SHARE = 0.07  # arrow barb length as a share of the chord...
_ARROW_MAX_M = 45_000.0  # ...at most this many (Web Mercator) metres
_ARROW_HALF_ANGLE = np.deg2rad(28)
_WIDTH_PX = (1.5, 12.0)
_RADIUS_PX = (3.0, 16.0)
_PATTERN_RADIUS_PX = (6.0, 20.0)
_GAP_RADIUS_PX = 21.0
_DECIMALS = 4  # ~11 m: more than enough for gazetteer places, and a lighter page
_HOTSPOT_CENTRE_DECIMALS = 2  # ~1.1 km: a hotspot's drawn centre says no more than that
_HOTSPOT_RADIUS_STEP_M = 1_000.0
_CIRCLE_VERTICES = 48
_AREA_SIMPLIFY_M = 250.0  # boundary detail finer than this is invisible at the map's zoom levels
_PATTERN_TOP_PLACES = 6
_LABEL_CHARS = 40  # a pattern label in the layer control is cut here; the tooltip has it whole
_GEOD = Geod(ellps="WGS84")
_TIME_UNITS = {"month": ("M", 1), "quarter": ("Q", 2), "year": ("Y", 3)}

#: Simplification of the 1:10m outlines on a page (degrees, about 550 m): the Gulf of Urabá and the
#: Darién coast keep their shape at zoom 9, and the sample's page carries about 0.3 MB of outlines.
_OUTLINE_TOLERANCE_DEG = 0.005
_OUTLINE_MARGIN_DEG = 8.0
#: Admin-1 lines: 3 decimals (about 110 m; the source is quantised to 100-200 m) and a coarser
#: simplification (about 1.1 km) than the coast: context lines, about 80 kB on the sample's page.
_ADMIN1_DECIMALS = 3
_ADMIN1_TOLERANCE_DEG = 0.01
#: Place names are written on the map from this zoom on (about 1:4 million).
LABEL_MIN_ZOOM = 7

_TEXT: dict[str, tuple[str, str]] = {
    "legend": ("Legend", "Leyenda"),
    "flows": ("Flows between places", "Flujos entre lugares"),
    "places": ("Places", "Lugares"),
    "crossings": ("Border crossings", "Pasos fronterizos"),
    "outlines": ("Country outlines", "Contornos de país"),
    "admin1": ("First-level admin boundaries", "Límites de primer nivel administrativo"),
    "risk": ("Risk", "Riesgo"),
    "risks": ("Risks reported (people with the risk)", "Riesgos reportados (personas con el riesgo)"),
    "pattern": ("Pattern", "Patrón"),
    "patterns": ("Modus-operandi patterns (people of the pattern)",
                 "Patrones de modus operandi (personas del patrón)"),
    "hexagons": ("Incident hotspots (H3 hexagons)", "Puntos calientes de incidentes (hexágonos H3)"),
    "hotspot_areas": ("Incident hotspot areas", "Áreas de puntos calientes de incidentes"),
    "services": ("Services", "Servicios"),
    "gaps": ("High-risk places without a service within {km} km",
             "Lugares de alto riesgo sin servicio a menos de {km} km"),
    "gap": ("no service within reach", "sin servicio al alcance"),
    "areas": ("People per area", "Personas por área"),
    "periods": ("Flows by period", "Flujos por periodo"),
    "all_periods": ("All periods (no period layer)", "Todos los periodos (sin capa de periodo)"),
    "period_help": ("The slider (top left) shows the flows of one {unit} at a time.",
                    "El control deslizante (arriba a la izquierda) muestra los flujos de un {unit}."),
    "month": ("month", "mes"),
    "quarter": ("quarter", "trimestre"),
    "year": ("year", "año"),
    "u_name": ("From", "Desde"),
    "v_name": ("To", "Hacia"),
    "n_people": ("People (distinct)", "Personas (distintas)"),
    "n_people_risk": ("People with this risk", "Personas con este riesgo"),
    "n_people_pattern": ("People of this pattern", "Personas de este patrón"),
    "n_people_incident": ("People with incidents", "Personas con incidentes"),
    "n_people_affected": ("People affected (as the source published them)",
                          "Personas afectadas (según la fuente)"),
    "rate": ("Incidents per 100 people", "Incidentes por 100 personas"),
    "rate_risk": ("With this risk, per 100 people passing", "Con este riesgo, por 100 personas que pasan"),
    "name": ("Place", "Lugar"),
    "segment": ("Segment or place", "Tramo o lugar"),
    "area": ("Area", "Área"),
    "nearest_place": ("Near", "Cerca de"),
    "unnamed_area": ("unnamed area (no place within {km:g} km)",
                     "zona sin nombre (ningún lugar a menos de {km:g} km)"),
    "country": ("Country", "País"),
    "kind": ("Kind", "Tipo"),
    "cluster": ("Pattern", "Patrón"),
    "label": ("Description", "Descripción"),
    "dominant_risks": ("Dominant risks", "Riesgos dominantes"),
    "h3": ("H3 cell", "Celda H3"),
    "hotspot": ("Gi* class", "Clase Gi*"),
    "hotspot_id": ("Hotspot", "Punto caliente"),
    "radius_m": ("Radius (m)", "Radio (m)"),
    "place": ("Place", "Lugar"),
    "service_type": ("Service", "Servicio"),
    "organisation_type": ("Organisations", "Organizaciones"),
    "chokepoint": ("Chokepoint", "Punto de paso obligado"),
    "not_published": ("not published (too few people, or withheld to protect another count)",
                      "no publicado (muy pocas personas, o reservado para proteger otra cifra)"),
    "city": ("city", "ciudad"),
    "transit_hub": ("transit hub", "centro de tránsito"),
    "service_point": ("service point", "punto de servicio"),
    "official_crossing": ("official crossing", "paso oficial"),
    "irregular_crossing_area": ("irregular crossing area", "zona de paso irregular"),
    "populated_place": ("town (GeoNames)", "población (GeoNames)"),
    "hot_99": ("hot spot, false discovery rate 1 %", "punto caliente, tasa de falsos hallazgos 1 %"),
    "hot_95": ("hot spot, false discovery rate 5 %", "punto caliente, tasa de falsos hallazgos 5 %"),
    "hot_90": ("hot spot, false discovery rate 10 %", "punto caliente, tasa de falsos hallazgos 10 %"),
    "gi_method": ("Getis-Ord Gi* of published counts, 999 permutations, Benjamini-Hochberg correction over "
                  "every hexagon; few reports is not safety, so no cold spots are shown",
                  "Gi* de Getis-Ord sobre los conteos publicados, 999 permutaciones, corrección de "
                  "Benjamini-Hochberg sobre todos los hexágonos; pocos reportes no es seguridad: no se "
                  "muestran puntos fríos"),
    "not_significant": ("not significant", "no significativo"),
    "hotspot_circle": ("area within which incidents of many people concentrate",
                       "área donde se concentran incidentes de muchas personas"),
    "geonames_credit": ("Towns beyond the route gazetteer: GeoNames (CC BY 4.0).",
                        "Poblaciones fuera del nomenclátor de rutas: GeoNames (CC BY 4.0)."),
    "offline_note": (
        "Offline: no map tiles; country and first-level admin boundaries from Natural Earth",
        "Sin conexión: sin teselas; límites de país y de primer nivel administrativo de Natural Earth",
    ),
    "no_journeys": (
        "No journeys: flows need at least two steps per person; these data hold places and incidents only.",
        "Sin recorridos: los flujos necesitan al menos dos pasos por persona; estos datos solo tienen "
        "lugares e incidentes.",
    ),
    "scaling": (
        "Line width and circle area grow with the number of people.",
        "El grosor de las líneas y el área de los círculos crecen con el número de personas.",
    ),
    "suppressed": (
        "Not shown (fewer people than the publication threshold): {items}.",
        "No se muestran (menos personas que el umbral de publicación): {items}.",
    ),
    "hidden_segments": ("segments", "tramos"),
    "hidden_places": ("places", "lugares"),
    "hidden_risks": ("risk cells", "celdas de riesgo"),
    "hidden_patterns": ("pattern cells", "celdas de patrón"),
    "hidden_hexagons": ("hexagons", "hexágonos"),
    "hidden_hotspots": ("hotspot areas", "áreas de punto caliente"),
    "hidden_areas": ("areas", "áreas"),
    "hidden_periods": ("period cells", "celdas de periodo"),
}


class MapError(RoutesError, ValueError):
    """A map cannot be drawn or saved as asked (bad option, missing column, tiles offline)."""


def _text(key: str, lang: str) -> str:
    return _TEXT[key][LANGUAGES.index(lang)]


def _check_language(lang: str) -> None:
    if lang not in LANGUAGES:
        raise MapError(f"lang={lang!r}: expected one of {', '.join(LANGUAGES)}")


def _require(table: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise MapError(f"{what}: missing column(s) {missing}; has {list(table.columns)}")


# -- formatting ---------------------------------------------------------------------------------


def _format_numbers(values: pd.Series, lang: str, *, decimals: int = 0) -> pd.Series:
    """Numbers as text in the language's convention (es: ``1.234,5``), ``not published`` for NA."""
    from routes._web import escape_text

    numeric = pd.to_numeric(values, errors="coerce").astype("Float64")
    text = numeric.map(lambda x: f"{x:,.{decimals}f}", na_action="ignore").astype(object)
    if lang == "es":
        text = text.str.translate(str.maketrans(",.", ".,"))
    return text.fillna(_text("not_published", lang)).map(escape_text).reset_index(drop=True)


def _escaped(values: pd.Series | np.ndarray | Sequence[object]) -> pd.Series:
    from routes._web import escape_text

    return pd.Series(np.asarray(values, dtype=object)).map(escape_text)


def _vocabulary_labels(codes: pd.Series, vocabulary: str, lang: str) -> pd.Series:
    """Labels of ``;``-joined vocabulary codes, joined with ``, ``; unknown codes stay as given."""
    from routes.schema import MULTI_SEPARATOR, labels

    known = labels(vocabulary, lang)
    parts = codes.astype(object).fillna("").astype(str).str.split(MULTI_SEPARATOR)
    return parts.map(lambda items: ", ".join(known.get(code, code) for code in items if code))


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
    curves = shapely.multilinestrings(parts, indices=np.repeat(np.arange(n), 2))
    assert isinstance(curves, np.ndarray)  # with indices, shapely gives an array of n geometries
    return curves


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




# -- published tables ----------------------------------------------------------------------------


def _memberships(network: RouteNetwork, name: str) -> pd.DataFrame:
    table = getattr(network, name)
    if table is None:
        raise MapError(f"network.{name} is missing: build the network with RouteNetwork.from_events "
                       "or pass the membership tables to from_gdfs")
    return table


def _published_only(counts: pd.Series) -> np.ndarray:
    """Rows whose published count is a number above zero (suppressed cells are not drawn)."""
    return counts.fillna(0).to_numpy(dtype=np.int64) > 0


#: The geographies incidents and risks are rated on: cell columns and the table of people who passed.
_RATE_GEOGRAPHIES: tuple[tuple[tuple[str, ...], str], ...] = (
    (("u", "v"), "segment_people"), (("place_id",), "place_people"))
#: Table names of those geographies in a publication (:func:`routes.privacy.counting`).
_RATE_LABELS: Mapping[str, str] = {"segment_people": "segments", "place_people": "places"}
#: Numerator key of the people with any incident (risk keys are vocabulary codes: no clash).
_ANY_INCIDENT = "any incident"


@dataclass(frozen=True)
class _IncidentRates:
    """People with an incident, and with each risk, among those who passed the cells of one geography."""

    by: tuple[str, ...]
    numerators: Mapping[str, pd.DataFrame]  # _ANY_INCIDENT and each risk with people → memberships
    tables: Mapping[str, pd.DataFrame]  # the same keys → their release_rate table
    label: str  # the table name of the geography in a publication


def _check_risks(risks: Sequence[str]) -> None:
    from routes.schema import VOCABULARIES

    unknown = [risk for risk in risks if risk not in VOCABULARIES["risk"].codes]
    if unknown:
        raise MapError(f"risks={list(risks)!r}: unknown code(s) {unknown}; expected codes of the risk "
                       f"vocabulary: {', '.join(VOCABULARIES['risk'].codes)}")


def _incident_rates(
    network: RouteNetwork, *, policy: DisclosurePolicy, risks: Sequence[str]
) -> tuple[_IncidentRates, ...]:
    """:func:`routes.privacy.release_rates` of incidents and of each risk, per segment and per place.

    The people who passed a segment or place are the denominator of every one of these rates, and
    counting, suppressing and protecting them is most of the work: it is done once per geography
    (:func:`routes.privacy.release_rates`), not once per risk. Each table is the one
    :func:`routes.privacy.release_rate` gives for that numerator alone.
    """
    from routes.privacy import release_rates

    incidents = _memberships(network, "incident_people")
    with_risk: dict[str, np.ndarray] = {}
    if risks:
        risk_codes = incidents["risk"].astype("string")
        with_risk = {risk: risk_codes.eq(risk).fillna(False).to_numpy(dtype=bool) for risk in risks}
    rates = []
    for by, denominator in _RATE_GEOGRAPHIES:
        located = incidents[list(by)].notna().all(axis=1).to_numpy()
        numerators = {_ANY_INCIDENT: incidents.loc[located]}
        for risk, chosen in with_risk.items():
            if (chosen & located).any():
                numerators[risk] = incidents.loc[chosen & located]
        tables = release_rates(numerators, _memberships(network, denominator), list(by), policy=policy,
                               margins=False, label=_RATE_LABELS[denominator])
        rates.append(_IncidentRates(by, numerators, tables, _RATE_LABELS[denominator]))
    return tuple(rates)


def published_tables(
    network: RouteNetwork, *, policy: DisclosurePolicy
) -> tuple[pd.DataFrame, gpd.GeoDataFrame, tuple[int, int]]:
    """The segments and places a map may show, counted and suppressed by ``policy``.

    Segments and places: :func:`routes.privacy.release_rate` of people with an incident among the
    people who passed, by ``(u, v)`` and by ``place_id``: ``n_people`` (rounded, NA when
    suppressed), ``n_events`` (people with an incident, rounded, NA when hidden) and ``rate`` (per
    100, NaN when not publishable). A place is a chokepoint when losing it cuts an observed
    origin-destination pair of at least ``policy.k`` people (``cut_people_reporting``: only people
    who consented count when the policy requires consent), so the mark never
    rests on fewer people than a published count.

    Returns
    -------
    segments, places, (hidden segments, hidden places)
        ``places`` holds every network place (index ``place_id``) with ``name``, ``country``,
        ``kind``, ``geometry``, the published columns and ``chokepoint``.
    """
    return _tables_of(network, _incident_rates(network, policy=policy, risks=()), policy=policy)


def _tables_of(
    network: RouteNetwork, rates: tuple[_IncidentRates, ...], *, policy: DisclosurePolicy
) -> tuple[pd.DataFrame, gpd.GeoDataFrame, tuple[int, int]]:
    """:func:`published_tables` from already released rates."""
    segments, at_places = (geography.tables[_ANY_INCIDENT] for geography in rates)
    released = at_places.assign(place_id=at_places["place_id"].astype(str)).set_index("place_id")
    places = network.places.loc[:, ["name", "country", "kind", "geometry"]].copy()
    for column in ("n_people", "n_events"):
        places[column] = released[column].reindex(places.index).astype("Int64")
    places["rate"] = released["rate"].reindex(places.index).to_numpy(dtype=float)
    cut = "cut_people_reporting" if policy.require_consent else "cut_people"
    # a network rebuilt without that column marks no chokepoint rather than one it cannot vouch for
    cut_people = pd.to_numeric(network.places.get(cut, pd.Series(0, index=network.places.index)),
                               errors="coerce").fillna(0)
    places["chokepoint"] = (cut_people >= policy.k).to_numpy()
    hidden = (int(segments["n_people"].isna().sum()), int(places["n_people"].isna().sum()))
    return segments.drop(columns="reason"), places, hidden


def published_risks(
    network: RouteNetwork, *, policy: DisclosurePolicy, risks: Sequence[str] = RISK_LAYERS
) -> tuple[pd.DataFrame, int]:
    """People who reported each risk type, per segment and per place, as a published long table.

    For each risk, :func:`routes.privacy.release_rate` of the people with that risk (rows of
    ``network.incident_people`` whose ``risk`` is the code) among the people who passed the segment
    or place. Only cells whose count of people with the risk is published and above zero are kept.
    The people who passed are counted once for all risks (:func:`routes.privacy.release_rates`).

    Returns
    -------
    table, hidden
        ``risk``, ``u``, ``v`` (segments; NA for places), ``place_id`` (places; NA for segments),
        ``n_people`` (people with the risk, rounded) and ``rate`` (per 100 people passing, NaN
        when not publishable); and the number of cells with the risk that are not shown.
    """
    _check_risks(risks)
    return _risks_of(_incident_rates(network, policy=policy, risks=risks), risks, policy=policy)


def _risks_of(
    rates: tuple[_IncidentRates, ...], risks: Sequence[str], *, policy: DisclosurePolicy
) -> tuple[pd.DataFrame, int]:
    """:func:`published_risks` from already released rates."""
    from routes.privacy import release_counts

    parts, hidden = [], 0
    for risk in risks:
        for geography in rates:
            if risk not in geography.tables:
                continue
            by = list(geography.by)
            released = geography.tables[risk]
            shown = released.loc[_published_only(released["n_events"]), [*by, "n_events", "rate"]]
            present = len(release_counts(geography.numerators[risk], by, policy=policy, margins=False,
                                         label=f"{geography.label}:{risk}").cells)
            hidden += present - len(shown)
            parts.append(shown.astype({column: object for column in by})
                         .rename(columns={"n_events": "n_people"}).assign(risk=risk))
    columns = ["risk", "u", "v", "place_id", "n_people", "rate"]
    if not parts:
        return pd.DataFrame({column: pd.Series(dtype=object) for column in columns}), hidden
    table = pd.concat(parts, ignore_index=True).reindex(columns=columns)
    return table.astype({"n_people": "Int64", "rate": float}), hidden


def published_patterns(
    network: RouteNetwork, patterns: PatternClusters, cases: pd.DataFrame, *, policy: DisclosurePolicy,
    top: int = _PATTERN_TOP_PLACES,
) -> tuple[pd.DataFrame, int]:
    """Where each modus-operandi cluster concentrates: its people per place, published.

    People are those of ``network.place_people`` with their cluster from ``patterns.labels_``
    (aligned with ``cases["case_id"]``, the table ``patterns`` was fitted on).
    :func:`routes.privacy.release_counts` counts them by ``(cluster, place_id)`` with secondary
    suppression; a cluster whose own total is not published is left out. A cluster's places are
    those where it is over-represented (``profiles_.places`` lift > 1, when the clusters were
    fitted with events), its ``top`` largest published ones.

    Returns
    -------
    table, hidden
        ``cluster``, ``label_en``, ``label_es``, ``place_id``, ``n_people``; and the number of
        suppressed (cluster, place) cells.
    """
    from routes.privacy import release_counts

    labels = getattr(patterns, "labels_", None)
    if labels is None or not hasattr(patterns, "profiles_"):
        raise MapError("patterns: expected a fitted PatternClusters (call .fit(cases, events=events) first)")
    _require(cases, ("case_id",), "cases")
    if len(cases) != len(labels):
        raise MapError(f"cases has {len(cases)} rows but patterns.labels_ has {len(labels)}: pass the case "
                       "table the patterns were fitted on")
    cluster_of = pd.Series(np.asarray(labels), index=pd.Index(cases["case_id"].astype(str)))
    cluster_of = cluster_of[~cluster_of.index.duplicated()]
    members = _memberships(network, "place_people")
    cluster = members["case_id"].astype(str).map(cluster_of)
    member = cluster.notna().to_numpy() & (cluster.fillna(-1).to_numpy() >= 0)
    memberships = members.loc[member].assign(cluster=cluster[member].astype(np.int64).to_numpy(),
                                             place_id=members.loc[member, "place_id"].astype(str))
    totals = release_counts(memberships, "cluster", policy=policy, margins=False, label="patterns").cells
    clusters = totals.loc[_published_only(totals["n_people"]), "cluster"]
    release = release_counts(memberships, ["cluster", "place_id"], policy=policy, margins=False,
                             label="pattern places")
    cells = release.cells
    cells = cells.loc[_published_only(cells["n_people"]) & cells["cluster"].isin(clusters).to_numpy(),
                      ["cluster", "place_id", "n_people"]].astype({"cluster": np.int64, "place_id": str})
    over = patterns.profiles_.places
    if over is not None:
        over = over.loc[over["lift"] > 1, ["cluster", "place_id"]]
        cells = cells.merge(over.astype({"cluster": np.int64, "place_id": str}), on=["cluster", "place_id"])
    cells = cells.sort_values(["cluster", "n_people", "place_id"], ascending=[True, False, True])
    cells = cells.groupby("cluster").head(top)
    names = patterns.profiles_.table[["cluster", "label_en", "label_es"]].astype({"cluster": np.int64})
    table = cells.merge(names, on="cluster", how="left")
    columns = ["cluster", "label_en", "label_es", "place_id", "n_people"]
    return table[columns].reset_index(drop=True), int(release.hidden_cells)


def _check_hexagon_resolution(cells: pd.Series, policy: DisclosurePolicy) -> None:
    import h3

    resolutions = pd.Series([h3.get_resolution(cell) for cell in cells.unique()], dtype=np.int64)
    if len(resolutions) and resolutions.max() > policy.max_h3_resolution:
        raise PolicyError(f"hotspots: H3 resolution {int(resolutions.max())} is finer than the policy's "
                          f"max_h3_resolution={policy.max_h3_resolution}; build the hexagons with "
                          f"routes.patterns.hex_hotspots(resolution<={policy.max_h3_resolution})")


def _round_published(counts: pd.Series, policy: DisclosurePolicy) -> pd.Series:
    """``policy.round_count`` of counts that may already be missing (suppressed upstream)."""
    raw = pd.to_numeric(counts, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    rounded = policy.round_count(np.nan_to_num(raw).astype(np.int64))
    return rounded.mask(np.isnan(raw)).set_axis(counts.index)


def published_hexagons(
    hexagons: gpd.GeoDataFrame, *, policy: DisclosurePolicy
) -> tuple[gpd.GeoDataFrame, int]:
    """Hexagons of :func:`routes.patterns.hex_hotspots` whose people count may be published.

    Counts are rounded with :meth:`DisclosurePolicy.round_count` (those under ``k``, and those
    ``hex_hotspots`` already suppressed, are dropped); the resolution must not be finer than the
    policy's ``max_h3_resolution``.

    Returns
    -------
    hexagons, hidden
        ``h3``, ``n_people``, ``hotspot`` (Gi* class) and the hexagon; and the number of hexagons
        with people that are not shown.
    """
    _require(hexagons, ("h3_cell", "n_people", "hotspot"), "hotspots (hexagons)")
    _check_hexagon_resolution(hexagons["h3_cell"].astype(str), policy)
    counts = _round_published(hexagons["n_people"], policy)
    shown = _published_only(counts)
    raw = pd.to_numeric(hexagons["n_people"], errors="coerce")
    hidden = int((raw.isna() | raw.gt(0)).sum() - shown.sum())  # hexagons with people, not drawn
    table = gpd.GeoDataFrame({"h3": hexagons["h3_cell"].astype(str).to_numpy()[shown],
                              "n_people": counts.to_numpy()[shown],
                              "hotspot": hexagons["hotspot"].astype(str).to_numpy()[shown]},
                             geometry=hexagons.geometry.to_crs("EPSG:4326").to_numpy()[shown],
                             crs="EPSG:4326")
    return table.astype({"n_people": "Int64"}), hidden


def _circles(lon: np.ndarray, lat: np.ndarray, radius_m: np.ndarray) -> np.ndarray:
    """Geodesic circles (WGS 84) as polygons of ``_CIRCLE_VERTICES`` vertices."""
    n = len(lon)
    azimuths = np.tile(np.linspace(0.0, 360.0, _CIRCLE_VERTICES, endpoint=False), n)
    x, y, _ = _GEOD.fwd(np.repeat(lon, _CIRCLE_VERTICES), np.repeat(lat, _CIRCLE_VERTICES), azimuths,
                        np.repeat(radius_m, _CIRCLE_VERTICES))
    rings = np.round(np.column_stack([x, y]), _DECIMALS).reshape(n, _CIRCLE_VERTICES, 2)
    circles = shapely.polygons(np.concatenate([rings, rings[:, :1]], axis=1))
    assert isinstance(circles, np.ndarray)  # (n, vertices, 2) coordinates make an array of n polygons
    return circles


def _near_place(areas: pd.DataFrame) -> pd.Series:
    """"Necoclí · 12 km" for a hotspot named after a nearby place, the name alone within 1 km, else ""."""
    if "place" not in areas.columns:
        return pd.Series("", index=areas.index)
    place = areas["place"].astype("string").fillna("")
    if "distance_m" not in areas.columns:
        return place
    km = np.round(areas["distance_m"].to_numpy(dtype=float) / 1000).astype(int)
    far = place.ne("") & (km >= 1)
    return place.where(~far, place + " · " + pd.Series(km, index=areas.index).astype(str) + " km")


def published_hotspots(
    hotspots: gpd.GeoDataFrame, *, policy: DisclosurePolicy
) -> tuple[gpd.GeoDataFrame, int]:
    """Hotspot areas of :func:`routes.patterns.hotspots` as circles that reveal no incident point.

    A hotspot's polygon is the buffered hull of its incidents' own coordinates, so it is not drawn:
    the circle is centred on its centroid rounded to 0.01° (about 1.1 km) with the geodesic radius
    that covers the polygon, rounded up to the kilometre. Counts are rounded by the policy (under
    ``k``: dropped); dominant risks are the ``top_risks`` codes held by at least ``k`` people.

    Returns
    -------
    hotspots, hidden
        ``hotspot_id``, ``name`` (the gazetteer place it is near and how far, "Necoclí · 12 km";
        empty for an unnamed area), ``risks`` (``;`` codes), ``n_people``, ``radius_m`` and the
        circle; and the number of hotspots not shown.
    """
    from routes.schema import MULTI_SEPARATOR

    _require(hotspots, ("hotspot_id", "n_people"), "hotspots (areas)")
    if policy.require_consent and not hotspots.attrs.get("consenting_only", False):
        raise PolicyError("hotspot areas for a product that requires consent must count only people who "
                          "consented: compute them with routes.patterns.hotspots(events, cases=cases)")
    counts = _round_published(hotspots["n_people"], policy)
    shown = _published_only(counts)
    areas = hotspots.loc[shown]
    geometry = areas.geometry.to_crs("EPSG:4326").to_numpy()
    centres = np.round(shapely.get_coordinates(shapely.centroid(geometry)), _HOTSPOT_CENTRE_DECIMALS)
    vertices, owner = shapely.get_coordinates(geometry, return_index=True)
    reach = _GEOD.inv(centres[owner, 0], centres[owner, 1], vertices[:, 0], vertices[:, 1])[2]
    radius = np.zeros(len(areas))
    np.maximum.at(radius, owner, reach)
    radius = np.ceil(radius / _HOTSPOT_RADIUS_STEP_M).clip(min=1) * _HOTSPOT_RADIUS_STEP_M
    top = (areas["top_risks"] if "top_risks" in areas.columns else pd.Series("", index=areas.index))
    items = top.astype("string").fillna("").str.split(MULTI_SEPARATOR).explode()
    pairs = items.str.extract(r"^(.+):([^:]*)$")  # code:people; columns 0 and 1 even when empty
    common = pairs[0][pd.to_numeric(pairs[1], errors="coerce").ge(policy.k).fillna(False)]
    risks = common.groupby(level=0).agg(MULTI_SEPARATOR.join).reindex(areas.index).fillna("")
    names = _near_place(areas)
    table = gpd.GeoDataFrame(
        {"hotspot_id": areas["hotspot_id"].to_numpy(), "name": names.to_numpy(dtype=object),
         "risks": risks.to_numpy(dtype=object), "n_people": counts[shown].to_numpy(), "radius_m": radius},
        geometry=_circles(centres[:, 0], centres[:, 1], radius), crs="EPSG:4326")
    return table.astype({"n_people": "Int64"}), int((~shown).sum())


def published_services(services: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Service points by place and type: organisations, not survivors, so shown at their places.

    Returns one row per (place, service type): ``place``, ``service_type``, ``organisation_type``
    (the distinct organisation types there, ``;``-joined) and the place's point.
    """
    from routes.schema import MULTI_SEPARATOR

    _require(services, ("service_type", "geometry"), "services")
    points = services.geometry.to_crs("EPSG:4326") if services.crs is not None else services.geometry
    frame = pd.DataFrame({
        "place": (services["place"] if "place" in services.columns else pd.Series("", index=services.index))
        .astype(object).to_numpy(),
        "service_type": services["service_type"].astype(object).to_numpy(),
        "organisation_type": (services["organisation_type"] if "organisation_type" in services.columns
                              else pd.Series("", index=services.index)).astype(object).fillna("").to_numpy(),
        "x": np.round(points.x.to_numpy(), _DECIMALS), "y": np.round(points.y.to_numpy(), _DECIMALS),
    })
    grouped = frame.groupby(["x", "y", "service_type"], sort=True)
    table = grouped.agg(place=("place", "first"),
                        organisation_type=("organisation_type",
                                           lambda kinds: MULTI_SEPARATOR.join(sorted(set(kinds) - {""}))))
    table = table.reset_index()
    return gpd.GeoDataFrame(table[["place", "service_type", "organisation_type"]],
                            geometry=shapely.points(table["x"].to_numpy(), table["y"].to_numpy()),
                            crs="EPSG:4326")


def published_gaps(
    network: RouteNetwork, services: gpd.GeoDataFrame, places: pd.DataFrame, *, policy: DisclosurePolicy,
    radius_km: float = 25.0,
) -> pd.Index:
    """High-risk places with no service within ``radius_km`` (:meth:`RouteNetwork.service_gaps`).

    A place counts as high-risk here only when its number of people with incidents is published
    (``places["n_events"]``, from :func:`published_tables`): at least ``k``, so the mark tells
    nothing a count would not.
    """
    everything = len(network.places) + len(network.segments)
    gaps = network.service_gaps(services, radius_km=radius_km, top=everything)
    ids = pd.Index(gaps.loc[gaps["kind"].eq("place"), "id"].astype(str))
    risky = places.index[_published_only(places["n_events"])]
    return ids.intersection(risky, sort=False)


@cache
def _iso2_of_iso3() -> Mapping[str, str]:
    import pycountry

    return {country.alpha_3: country.alpha_2 for country in pycountry.countries}


def _code_keys(codes: pd.Series) -> pd.Series:
    """Admin codes as one spelling: an ISO alpha-2 prefix dropped before digits and leading zeros
    dropped, so a COD-AB P-code ``CO05001``, DIVIPOLA ``05001`` and a spreadsheet's ``5001`` agree."""
    text = codes.astype("string").fillna("").str.strip().str.upper()
    bare = text.str.replace(r"^[A-Z]{2}(?=\d)", "", regex=True)
    digits = bare.str.fullmatch(r"\d+").fillna(False)
    return bare.str.lstrip("0").where(digits, text).mask(digits & bare.str.lstrip("0").eq(""), "0")


def _country_keys(values: pd.Series) -> pd.Series:
    """Country codes or names (ISO alpha-2 or alpha-3, English, accents ignored) as alpha-3; "" if none."""
    from routes._text import normalize_key
    from routes.errors import ParameterError
    from routes.places import country_code

    def one(value: str) -> str:
        for spelling in (value, normalize_key(value)):
            try:
                return country_code(spelling)
            except ParameterError:
                continue
        return ""

    text = values.astype("string").fillna("").str.strip()
    return text.map({v: one(v) for v in text.unique() if v}).fillna("")


def _area_of_places(places: pd.DataFrame, keys: pd.Series, level: str) -> pd.Series:
    """Position in ``keys`` (the boundaries' code column) of each place's area; NA where none matches.

    ``admin2``: the gazetteer's official code, whatever its padding or ISO prefix (:func:`_code_keys`).
    ``admin1``: the name, accent- and case-insensitively, or for Colombia the department code (the
    first two digits of DIVIPOLA, ``5`` or ``05`` for Antioquia). ``country``: ISO codes or names.
    """
    from routes._text import normalize_key

    def lookup(boundary_keys: pd.Series) -> pd.Series:
        table = pd.Series(np.arange(len(boundary_keys)), index=boundary_keys.to_numpy())
        return table[~table.index.duplicated() & (table.index != "")]

    if level == "country":
        return places["country"].astype("string").map(lookup(_country_keys(keys)))
    codes = _code_keys(places["admin2_code"])
    if level == "admin2":
        return codes.map(lookup(_code_keys(keys))).where(codes.ne("") & codes.ne("0"))
    by_name = places["admin1"].map(normalize_key).map(lookup(keys.map(normalize_key)))
    official = places["admin2_code"].astype("string").fillna("")
    colombian = places["country"].eq("COL") & official.str.len().eq(5)  # DIVIPOLA: department + 3 digits
    department = _code_keys(official.str[:2]).where(colombian, "")
    by_code = department.map(lookup(_code_keys(keys))).where(department.ne(""))
    return by_name.fillna(by_code)


def published_areas(
    network: RouteNetwork, boundaries: gpd.GeoDataFrame, *, code: str, policy: DisclosurePolicy,
    level: Literal["country", "admin1", "admin2"] = "admin2",
) -> tuple[gpd.GeoDataFrame, int]:
    """Distinct people per admin area of ``boundaries``, published; for a choropleth.

    Each place joins the area whose ``code`` column holds its gazetteer admin2 code (``level=
    "admin2"``, plain, unpadded or as an ISO-prefixed P-code), its admin1 name or Colombian
    department code (``level="admin1"``) or its country's ISO code or name (``level="country"``). A
    person who passed two places of one area counts once (:func:`routes.privacy.release_counts`).

    Returns
    -------
    areas, hidden
        ``code``, ``name`` (the gazetteer's name of the area, else the code), ``n_people`` (0 where
        nobody passed, NA when suppressed) and the area's outline simplified to about 250 m; and
        the number of suppressed areas.
    """
    from routes.places import country_names, load_gazetteer
    from routes.privacy import release_counts

    if level not in ("country", "admin1", "admin2"):
        raise MapError(f"boundaries_level={level!r}: expected 'country', 'admin1' or 'admin2'")
    _require(boundaries, (code,), "boundaries")
    raw = boundaries[code].astype("string").fillna("")
    gazetteer = network.gazetteer if network.gazetteer is not None else load_gazetteer()
    places = gazetteer.places.reindex(network.places.index)
    area = _area_of_places(places, raw.reset_index(drop=True), level)
    if area.notna().sum() == 0:
        column = {"country": "country", "admin1": "admin1", "admin2": "admin2_code"}[level]
        raise MapError(f"boundaries: no value of column {code!r} (e.g. {raw.head(3).tolist()}) matches a "
                       f"place's {level} (e.g. {places[column].dropna().head(3).tolist()})")
    members = _memberships(network, "place_people")
    position = members["place_id"].astype(str).map(area)
    inside = position.notna().to_numpy()
    memberships = members.loc[inside].assign(area=position[inside].astype(np.int64).to_numpy())
    release = release_counts(memberships, "area", policy=policy, margins=False, label=f"areas {level}")
    released = release.cells.set_index("area")["n_people"]
    counts = pd.array(np.zeros(len(raw), dtype=np.int64), dtype="Int64")  # nobody passed: 0
    counts[released.index.to_numpy(dtype=np.int64)] = released.array
    name_of = places.assign(area=area).dropna(subset=["area"]).groupby("area")[
        "admin2" if level == "admin2" else level].first()
    if level == "country":  # a reader knows the country's name, not its ISO code
        name_of = country_names(name_of.astype("string"), "en")
    names = name_of.reindex(np.arange(len(raw))).astype(object).fillna(pd.Series(raw.to_numpy(dtype=object)))
    outlines = boundaries.geometry.to_crs("EPSG:4326") if boundaries.crs is not None else boundaries.geometry
    tolerance = _AREA_SIMPLIFY_M / 111_320.0  # metres to degrees of latitude: display detail only
    geometry = shapely.set_precision(shapely.simplify(outlines.to_numpy(), tolerance), 10**-_DECIMALS)
    table = gpd.GeoDataFrame({"code": raw.to_numpy(dtype=object), "name": names.to_numpy(dtype=object),
                              "n_people": counts},
                             geometry=geometry, crs="EPSG:4326")
    return table, int(release.hidden_cells)


def _time_unit(period: str, policy: DisclosurePolicy) -> str:
    """``period``, or the policy's time unit when that is coarser."""
    if period not in _TIME_UNITS:
        raise MapError(f"period={period!r}: expected one of {', '.join(_TIME_UNITS)} or None")
    return max((period, policy.time_unit), key=lambda unit: _TIME_UNITS[unit][1])


def published_periods(
    network: RouteNetwork, *, policy: DisclosurePolicy, period: str = "quarter"
) -> tuple[pd.DataFrame, int]:
    """Distinct people per segment and period (months coarsened to ``period``), published.

    One 2-D :func:`routes.privacy.release_counts` of segments × periods, so secondary suppression
    protects each period's cells against the others and the segment totals. ``period`` is
    coarsened to the policy's ``time_unit`` when that is coarser.

    Returns
    -------
    table, hidden
        ``u``, ``v``, ``period`` (``pandas.Period``), ``n_people`` for published cells; and the
        number of suppressed cells.
    """
    from routes.privacy import release_counts

    freq = _TIME_UNITS[_time_unit(period, policy)][0]
    members = _memberships(network, "segment_people")
    months = members["month"]
    periods = (months.dt.asfreq(freq) if isinstance(months.dtype, pd.PeriodDtype)
               else pd.to_datetime(months, errors="coerce").dt.to_period(freq))
    dated = members.assign(period=periods).dropna(subset=["period"])
    release = release_counts(dated, ["u", "v", "period"], policy=policy, margins=False, label="periods")
    cells = release.cells
    cells = cells.loc[_published_only(cells["n_people"]), ["u", "v", "period", "n_people"]]
    cells = cells.astype({"u": str, "v": str}).sort_values(["period", "u", "v"])
    return cells.reset_index(drop=True), int(release.hidden_cells)


@dataclass(frozen=True)
class PublishedLayers:
    """Everything a route map draws, already counted, suppressed and rounded by a policy.

    Built by :func:`publish_layers`; each table is the output of the ``published_*`` function of
    the same name, ``None`` for a layer not asked for. ``hidden`` counts, per layer, the cells
    withheld by the policy (safe to print: it says how many, not which).
    """

    segments: pd.DataFrame
    places: gpd.GeoDataFrame
    risks: pd.DataFrame | None = None
    patterns: pd.DataFrame | None = None
    hexagons: gpd.GeoDataFrame | None = None
    hotspots: gpd.GeoDataFrame | None = None
    services: gpd.GeoDataFrame | None = None
    gaps: pd.Index | None = None
    gap_radius_km: float = 25.0
    areas: gpd.GeoDataFrame | None = None
    periods: pd.DataFrame | None = None
    period_unit: str = "quarter"
    hidden: Mapping[str, int] = field(default_factory=dict)
    journeys: bool = True  # False for an incident data set: places and incidents, no segment at all


def publish_layers(
    network: RouteNetwork,
    *,
    patterns: PatternClusters | None = None,
    cases: pd.DataFrame | None = None,
    hotspots: gpd.GeoDataFrame | None = None,
    services: gpd.GeoDataFrame | None = None,
    boundaries: gpd.GeoDataFrame | None = None,
    boundaries_code: str | None = None,
    boundaries_level: Literal["country", "admin1", "admin2"] = "admin2",
    risks: Sequence[str] = RISK_LAYERS,
    period: str | None = "quarter",
    gap_radius_km: float = 25.0,
    policy: DisclosurePolicy | None = None,
) -> PublishedLayers:
    """Count, suppress and round every layer a route map may draw (see :func:`route_map`).

    Returns
    -------
    PublishedLayers
    """
    from routes.privacy import DisclosurePolicy

    policy = DisclosurePolicy.public() if policy is None else policy
    _check_risks(risks)
    rates = _incident_rates(network, policy=policy, risks=risks)  # every rate's denominator, once
    segments, places, (hidden_segments, hidden_places) = _tables_of(network, rates, policy=policy)
    hidden = {"segments": hidden_segments, "places": hidden_places}
    layers: dict[str, Any] = {"gap_radius_km": gap_radius_km}
    if risks:
        layers["risks"], hidden["risks"] = _risks_of(rates, risks, policy=policy)
    if patterns is not None:
        if cases is None:
            raise MapError("patterns needs cases=: the case table the patterns were fitted on, whose "
                           "case_id ties each cluster label to a person")
        layers["patterns"], hidden["patterns"] = published_patterns(network, patterns, cases, policy=policy)
    if hotspots is not None:
        if "h3_cell" in hotspots.columns:
            layers["hexagons"], hidden["hexagons"] = published_hexagons(hotspots, policy=policy)
        else:
            layers["hotspots"], hidden["hotspots"] = published_hotspots(hotspots, policy=policy)
    if services is not None:
        layers["services"] = published_services(services)
        layers["gaps"] = published_gaps(network, services, places, policy=policy, radius_km=gap_radius_km)
    if boundaries is not None:
        if boundaries_code is None:
            raise MapError("boundaries needs boundaries_code=: the column holding each area's code "
                           "(e.g. 'ADM2_PCODE')")
        layers["areas"], hidden["areas"] = published_areas(network, boundaries, code=boundaries_code,
                                                           level=boundaries_level, policy=policy)
    if period is not None:
        layers["period_unit"] = _time_unit(period, policy)
        layers["periods"], hidden["periods"] = published_periods(network, policy=policy, period=period)
    return PublishedLayers(segments=segments, places=places, hidden=hidden,
                           journeys=bool(len(network.segments)), **layers)


# -- layers -------------------------------------------------------------------------------------

#: Map panes (name, z-index): outlines and areas under the overlay pane, points over lines, so
#: toggling a layer off and on keeps the drawing order without page script.
_PANES: Mapping[str, tuple[str, int]] = {
    "outlines": ("routes-outlines", 350),
    "admin1": ("routes-admin1", 355),
    "areas": ("routes-areas", 360),
    "hexagons": ("routes-hexagons", 370),
    "hotspots": ("routes-hotspots", 380),
    "flows": ("routes-flows", 410),
    "periods": ("routes-periods", 412),
    "risks": ("routes-risks", 415),
    "places": ("routes-places", 420),
    "patterns": ("routes-patterns", 425),
    "services": ("routes-services", 430),
    "gaps": ("routes-gaps", 435),
}


#: Panes of the offline basemap: drawn, never hit by the pointer.
_BASEMAP_PANES = ("routes-outlines", "routes-admin1")


def _pane(layer: str) -> str:
    return _PANES[layer][0]


def _feature_collection(table: pd.DataFrame, geometry: np.ndarray | Sequence[Any]) -> dict:
    """GeoJSON with feature ids ``"0"``..``"n-1"`` and the columns of ``table`` as properties."""
    frame = gpd.GeoDataFrame(table.reset_index(drop=True), geometry=list(geometry), crs="EPSG:4326")
    collection = frame.__geo_interface__
    for i, feature in enumerate(collection["features"]):
        feature["id"] = str(i)
    return collection


def _styler(styles: list[dict[str, Any]]) -> Callable[[dict], dict[str, Any]]:
    return lambda feature: styles[int(feature["id"])]


def _embedded(columns: Sequence[str], products: Sequence[str], policy: DisclosurePolicy) -> list[str]:
    """The columns every one of ``products`` allows in ``policy.allowed_fields``, in order."""
    return [c for c in columns if all(c in policy.allowed_fields.get(product, ()) for product in products)]


def _layer(
    shown: pd.DataFrame,
    geometry: np.ndarray | Sequence[Any],
    styles: list[dict[str, Any]],
    *,
    products: Sequence[str],
    policy: DisclosurePolicy,
    lang: str,
    name: str,
    pane: str,
    aliases: Mapping[str, str] | None = None,
    show: bool = True,
    control: bool = True,
) -> folium.GeoJson:
    """One GeoJSON layer whose properties are the (escaped) columns of ``shown`` the policy allows.

    ``products`` are the keys of ``policy.allowed_fields`` the features belong to; a property must
    be allowed for all of them. ``aliases`` maps a property to the text key of its tooltip label.
    Point features are circle markers styled (and put in ``pane``) by their style.
    """
    import folium

    from routes._web import escape_text

    fields = _embedded(list(shown.columns), products, policy)
    tooltip = popup = None
    if fields and len(shown):  # folium checks the fields against the first feature
        keys = [(aliases or {}).get(f, f) for f in fields]
        if policy.weighted:  # a public source's records count the people each one affected
            keys = ["n_people_affected" if key.startswith("n_people") else key for key in keys]
        labels = [escape_text(_text(key, lang)) for key in keys]
        tooltip = folium.GeoJsonTooltip(fields=fields, aliases=labels, sticky=True, opacity=1.0,
                                        class_name="routes-tooltip")  # opaque: it may lie over the legend
        popup = folium.GeoJsonPopup(fields=fields, aliases=labels, class_name="routes-tooltip")
    return folium.GeoJson(
        _feature_collection(shown.loc[:, fields], geometry),
        name=name, style_function=_styler(styles), tooltip=tooltip, popup=popup,
        marker=folium.CircleMarker(), pane=pane, show=show, control=control,
    )


def _segment_curves(table: pd.DataFrame, places: gpd.GeoDataFrame) -> np.ndarray:
    """Curved arrows (:func:`curved_flows`) of the ``u``, ``v`` rows of ``table``."""
    ends = places.geometry.loc[pd.Index(table["u"].astype(str)).append(pd.Index(table["v"].astype(str)))]
    xy = shapely.get_coordinates(_geometries(ends))
    return curved_flows(xy[: len(table)], xy[len(table):])


def _geometries(rows: pd.Series) -> np.ndarray:
    """The shapely geometries of rows of a GeoSeries, as an object array.

    types-geopandas types ``GeoSeries.loc[...]`` as a pandas ``Series`` of geometries, whose
    ``to_numpy`` its overloads do not cover; at run time the rows are a GeoSeries.
    """
    return cast(gpd.GeoSeries, rows).to_numpy()


def _line_styles(colours: Iterable[str], widths: np.ndarray, *,
                 opacity: float = 0.85) -> list[dict[str, Any]]:
    return [{"color": colour, "weight": float(width), "opacity": opacity, "lineCap": "round",
             "lineJoin": "round"}
            for colour, width in zip(colours, widths, strict=True)]


def _flow_layer(segments: pd.DataFrame, places: gpd.GeoDataFrame, *, lang: str,
                policy: DisclosurePolicy) -> folium.GeoJson:
    """One GeoJSON layer of the published segments, drawn as curved arrows (module docstring).

    ``segments``: ``u``, ``v`` (place ids, as columns or index levels), ``n_people`` (rows with NA,
    i.e. suppressed, are not drawn) and ``rate`` (NaN when not published). ``places``: indexed by
    ``place_id`` with ``name`` and point geometry, for the segment ends.
    """
    table = segments.reset_index() if {"u", "v"} <= set(segments.index.names) else segments
    _require(table, ("u", "v", "n_people", "rate"), "segments")
    table = table.loc[table["n_people"].notna() & (table["u"] != table["v"])].reset_index(drop=True)
    names = places["name"]
    shown = pd.DataFrame({
        "u_name": _escaped(names.loc[table["u"].astype(str)]),
        "v_name": _escaped(names.loc[table["v"].astype(str)]),
        "n_people": _format_numbers(table["n_people"], lang),
        "rate": _format_numbers(table["rate"], lang, decimals=1),
    })
    styles = _line_styles(incident_colours(table["rate"]), _scaled(table["n_people"], *_WIDTH_PX))
    return _layer(shown, _segment_curves(table, places), styles, products=("segments",), policy=policy,
                  lang=lang, name=_text("flows", lang), pane=_pane("flows"))


def _kind_text(places: pd.DataFrame, lang: str) -> pd.Series:
    """The place kind in words, with ``chokepoint`` appended where the place is one."""
    kinds = places["kind"].astype(object).map(lambda k: _text(k, lang) if k in _TEXT else k)
    choke = places["chokepoint"].to_numpy(dtype=bool)
    return pd.Series(np.where(choke, kinds + ", " + _text("chokepoint", lang).lower(), kinds))


def _place_layer(places: gpd.GeoDataFrame, *, lang: str, name: str, sizes_from: pd.Series,
                 policy: DisclosurePolicy) -> folium.GeoJson:
    """One GeoJSON layer of published places as circles (area ∝ people), chokepoints ringed.

    ``places`` has ``name``, ``country``, ``kind``, ``n_people`` and ``rate`` (published) and
    ``chokepoint`` (bool); ``sizes_from`` is the ``n_people`` of every place on the map, so that
    circles in two layers share one scale.
    """
    shown = pd.DataFrame({
        "name": _escaped(places["name"]),
        "country": _escaped(country_names(places["country"].astype("string"), lang)),
        "kind": _escaped(_kind_text(places, lang)),
        "n_people": _format_numbers(places["n_people"], lang),
        "rate": _format_numbers(places["rate"], lang, decimals=1),
    })
    radii = _scaled(places["n_people"], *_RADIUS_PX, top=float(sizes_from.max()))
    fills = places["kind"].map(KIND_COLOURS).fillna(PLACE_COLOUR).to_numpy()
    choke = places["chokepoint"].to_numpy(dtype=bool)
    styles = [
        {"radius": float(r), "fill": True, "fillColor": fill, "fillOpacity": 0.85, "opacity": 1.0,
         "color": CHOKEPOINT_RING if ring else "#ffffff", "weight": 3.0 if ring else 1.0,
         "pane": _pane("places")}  # point layers take their pane from the marker options
        for r, fill, ring in zip(radii, fills, choke, strict=True)
    ]
    return _layer(shown, places.geometry.to_numpy(), styles, products=("places",), policy=policy, lang=lang,
                  name=name, pane=_pane("places"))


def _risk_layers(risks: pd.DataFrame, places: gpd.GeoDataFrame, *, lang: str,
                 policy: DisclosurePolicy) -> list[folium.GeoJson]:
    """One layer per risk type with people who reported it, segments and places, the first shown."""
    from routes.schema import label

    top = float(risks["n_people"].max()) if len(risks) else 0.0
    layers: list[folium.GeoJson] = []
    for risk in dict.fromkeys(risks["risk"]):
        rows = risks.loc[risks["risk"].eq(risk)]
        on_segments = rows.loc[rows["u"].notna()].reset_index(drop=True)
        at_places = rows.loc[rows["u"].isna()].reset_index(drop=True)
        names = places["name"].astype(object)
        segment_names = (names.loc[on_segments["u"].astype(str)].to_numpy() + " → "
                         + names.loc[on_segments["v"].astype(str)].to_numpy())
        table = pd.concat([on_segments, at_places], ignore_index=True)
        shown = pd.DataFrame({
            "name": _escaped(np.concatenate([segment_names, names.loc[at_places["place_id"].astype(str)]])),
            "n_people": _format_numbers(table["n_people"], lang),
            "rate": _format_numbers(table["rate"], lang, decimals=1),
        })
        colour = RISK_COLOURS.get(risk, NOT_PUBLISHED_COLOUR)
        widths = _scaled(on_segments["n_people"], *_WIDTH_PX, top=top)
        radii = _scaled(at_places["n_people"], *_RADIUS_PX, top=top)
        styles = _line_styles([colour] * len(on_segments), widths, opacity=0.9) + [
            {"radius": float(r), "fill": True, "fillColor": colour, "fillOpacity": 0.55, "color": colour,
             "weight": 1.5, "opacity": 1.0, "pane": _pane("risks")} for r in radii]
        geometry = np.concatenate([_segment_curves(on_segments, places),
                                   _geometries(places.geometry.loc[at_places["place_id"].astype(str)])])
        layers.append(_layer(
            shown, geometry, styles, products=("segments", "places"), policy=policy, lang=lang,
            name=f"{_text('risk', lang)}: {label('risk', risk, lang)}", pane=_pane("risks"),
            aliases={"name": "segment", "n_people": "n_people_risk", "rate": "rate_risk"}, show=not layers))
    return layers


def _short(text: str, limit: int = _LABEL_CHARS) -> str:
    """``text`` cut to at most ``limit`` characters at a word boundary, with an ellipsis (the tooltip
    shows it whole); a first word longer than ``limit`` is the only thing ever cut inside a word."""
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    words = head.rsplit(" ", 1)[0] if " " in head and not text[limit - 1].isspace() else head
    return words.rstrip(" ,;·→–-") + "…"


def _pattern_layers(patterns: pd.DataFrame, places: gpd.GeoDataFrame, *, lang: str,
                    policy: DisclosurePolicy) -> list[folium.GeoJson]:
    """One layer per cluster: rings at the places where it concentrates, the first cluster shown."""
    from routes._web import escape_text

    top = float(patterns["n_people"].max()) if len(patterns) else 0.0
    layers = []
    for cluster in dict.fromkeys(patterns["cluster"]):
        rows = patterns.loc[patterns["cluster"].eq(cluster)].reset_index(drop=True)
        label = str(rows.at[0, f"label_{lang}"])
        shown = pd.DataFrame({"cluster": escape_text(int(cluster) + 1), "label": escape_text(label),
                              "n_people": _format_numbers(rows["n_people"], lang)}, index=rows.index)
        colour = _pattern_colour(int(cluster))
        styles = [{"radius": float(r), "fill": True, "fillColor": colour, "fillOpacity": 0.12,
                   "color": colour, "weight": 3.0, "opacity": 0.95, "pane": _pane("patterns")}
                  for r in _scaled(rows["n_people"], *_PATTERN_RADIUS_PX, top=top)]
        layers.append(_layer(
            shown, _geometries(places.geometry.loc[rows["place_id"]]), styles, products=("patterns",),
            policy=policy, lang=lang, name=escape_text(f"{_text('pattern', lang)} {int(cluster) + 1}: "
                                                       f"{_short(label)}"),
            pane=_pane("patterns"), aliases={"n_people": "n_people_pattern"}, show=False))
    return layers


def _pattern_colour(cluster: int) -> str:
    return PATTERN_COLOURS[cluster % len(PATTERN_COLOURS)]


def _hexagon_layer(hexagons: gpd.GeoDataFrame, *, lang: str, policy: DisclosurePolicy) -> folium.GeoJson:
    shown = pd.DataFrame({
        "h3": _escaped(hexagons["h3"]),
        "n_people": _format_numbers(hexagons["n_people"], lang),
        "hotspot": _escaped(hexagons["hotspot"].map(lambda c: _text(c, lang) if c in _TEXT else c)),
    })
    styles = [{"fillColor": HOTSPOT_CLASS_COLOURS.get(c, NOT_PUBLISHED_COLOUR), "fillOpacity": 0.6,
               "color": "#555555", "weight": 0.6, "opacity": 0.8} for c in hexagons["hotspot"]]
    return _layer(shown, hexagons.geometry.to_numpy(), styles, products=("hexagons",), policy=policy,
                  lang=lang, name=_text("hexagons", lang), pane=_pane("hexagons"),
                  aliases={"n_people": "n_people_incident"})


def _hotspot_layer(hotspots: gpd.GeoDataFrame, *, lang: str, policy: DisclosurePolicy) -> folium.GeoJson:
    from routes.patterns import NAMED_WITHIN_KM

    ids = hotspots["hotspot_id"]
    unnamed = _text("unnamed_area", lang).format(km=NAMED_WITHIN_KM)
    risks = _vocabulary_labels(hotspots["risks"], "risk", lang)
    shown = pd.DataFrame({
        "hotspot_id": _escaped(ids + 1 if pd.api.types.is_integer_dtype(ids) else ids),  # numbered from 1
        "name": _escaped(hotspots["name"].astype("string").fillna("").replace("", unnamed)),
        "label": _escaped(risks.replace("", _text("not_published", lang))),
        "n_people": _format_numbers(hotspots["n_people"], lang),
        "radius_m": _format_numbers(hotspots["radius_m"], lang),
    })
    styles = [{"fillColor": HOTSPOT_AREA_COLOUR, "fillOpacity": 0.18, "color": HOTSPOT_AREA_COLOUR,
               "weight": 2.0, "opacity": 0.9}] * len(hotspots)
    aliases = {"name": "nearest_place", "label": "dominant_risks", "n_people": "n_people_incident"}
    return _layer(shown, hotspots.geometry.to_numpy(), styles, products=("hotspots",), policy=policy,
                  lang=lang, name=_text("hotspot_areas", lang), pane=_pane("hotspots"), aliases=aliases)


def _service_layers(services: gpd.GeoDataFrame, gaps: pd.Index, places: gpd.GeoDataFrame, *, radius_km: float,
                    lang: str, policy: DisclosurePolicy) -> list[folium.GeoJson]:
    """Service rings by type, and the dashed rings of high-risk places with no service in reach."""
    shown = pd.DataFrame({
        "place": _escaped(services["place"]),
        "service_type": _escaped(_vocabulary_labels(services["service_type"], "service_type", lang)),
        "organisation_type": _escaped(_vocabulary_labels(services["organisation_type"], "organisation_type",
                                                         lang)),
    })
    rings = [SERVICE_STYLES.get(t, OTHER_SERVICE_STYLE) for t in services["service_type"]]
    styles = [{"radius": radius, "fill": False, "weight": 2.5, "color": colour, "opacity": 1.0,
               "pane": _pane("services")} for colour, radius in rings]
    layers = [_layer(shown, services.geometry.to_numpy(), styles, products=("services",), policy=policy,
                     lang=lang, name=_text("services", lang), pane=_pane("services"), show=False)]
    gap_places = places.loc[gaps]
    gap_shown = pd.DataFrame({
        "name": _escaped(gap_places["name"]),
        "n_people": _format_numbers(gap_places["n_people"], lang),
        "rate": _format_numbers(gap_places["rate"], lang, decimals=1),
    })
    gap_styles = [{"radius": _GAP_RADIUS_PX, "fill": False, "color": GAP_COLOUR, "weight": 3.0,
                   "opacity": 1.0, "dashArray": "5 4", "pane": _pane("gaps")}] * len(gap_places)
    layers.append(_layer(gap_shown, gap_places.geometry.to_numpy(), gap_styles, products=("places",),
                         policy=policy, lang=lang, name=_text("gaps", lang).format(km=f"{radius_km:g}"),
                         pane=_pane("gaps")))
    return layers


def area_breaks(counts: pd.Series) -> np.ndarray:
    """Upper bounds of the choropleth classes: quintiles of the published non-zero counts."""
    values = counts.fillna(0).to_numpy(dtype=float)
    values = values[values > 0]
    if not len(values):
        return np.array([np.inf])
    return np.append(np.unique(np.quantile(values, [0.2, 0.4, 0.6, 0.8], method="higher")), np.inf)


def _area_layer(areas: gpd.GeoDataFrame, *, lang: str, policy: DisclosurePolicy) -> folium.GeoJson:
    shown = pd.DataFrame({"name": _escaped(areas["name"]),
                          "n_people": _format_numbers(areas["n_people"], lang)})
    breaks = area_breaks(areas["n_people"])
    counts = areas["n_people"].to_numpy(dtype=float, na_value=np.nan)
    classes = np.minimum(np.searchsorted(breaks, counts, side="left"), len(AREA_COLOURS) - 1)
    fills = np.where(np.isnan(counts), NOT_PUBLISHED_COLOUR,
                     np.where(counts == 0, "#ffffff", np.asarray(AREA_COLOURS, dtype=object)[classes]))
    styles = [{"fillColor": fill, "fillOpacity": 0.7, "color": "#7a7a7a", "weight": 0.7, "opacity": 0.9}
              for fill in fills]
    return _layer(shown, areas.geometry.to_numpy(), styles, products=("places",), policy=policy, lang=lang,
                  name=_text("areas", lang), pane=_pane("areas"), aliases={"name": "area"})


def _period_label(period: pd.Period, lang: str) -> str:
    if period.freqstr.startswith("Q"):
        return f"{period.year} {'T' if lang == 'es' else 'Q'}{period.quarter}"
    return str(period)


def _period_layers(periods: pd.DataFrame, places: gpd.GeoDataFrame, *, lang: str,
                   policy: DisclosurePolicy) -> tuple[list[folium.GeoJson], list[str]]:
    """One hidden layer of published flows per period (all on one width scale), and their labels."""
    top = float(periods["n_people"].max()) if len(periods) else 0.0
    layers: list[folium.GeoJson] = []
    labels: list[str] = []
    for period, rows in periods.groupby("period", sort=True):
        assert isinstance(period, pd.Period)  # the period column holds pandas Periods
        rows = rows.reset_index(drop=True)
        shown = pd.DataFrame({"u_name": _escaped(places["name"].loc[rows["u"]]),
                              "v_name": _escaped(places["name"].loc[rows["v"]]),
                              "n_people": _format_numbers(rows["n_people"], lang)})
        styles = _line_styles([PERIOD_COLOUR] * len(rows), _scaled(rows["n_people"], *_WIDTH_PX, top=top),
                              opacity=0.9)
        label = _period_label(period, lang)
        layers.append(_layer(shown, _segment_curves(rows, places), styles, products=("segments",),
                             policy=policy, lang=lang, name=label, pane=_pane("periods"), show=False,
                             control=False))
        labels.append(label)
    return layers, labels


def _period_control(layers: list[folium.GeoJson], labels: list[str], *, unit: str, lang: str) -> Any:
    """A slider (top left) that shows one period layer at a time; position 0 shows none.

    The script builds the control with DOM calls and attaches its listener itself: no inline
    event handler, so the page's hash-based Content-Security-Policy covers it.
    """
    from branca.element import MacroElement
    from jinja2 import Template

    from routes._web import safe_json

    class PeriodControl(MacroElement):
        _template = Template("""
{% macro script(this, kwargs) %}
(function () {
  var map = {{ this._parent.get_name() }};
  var layers = [{{ this.layer_names }}];
  var labels = {{ this.labels }};
  var control = L.control({position: "topleft"});
  control.onAdd = function () {
    var box = L.DomUtil.create("div", "routes-period leaflet-bar");
    var title = L.DomUtil.create("div", "routes-period-title", box);
    title.textContent = {{ this.title }};
    var slider = L.DomUtil.create("input", "routes-period-slider", box);
    slider.type = "range"; slider.min = "0"; slider.max = String(layers.length); slider.step = "1";
    slider.value = "0";
    slider.setAttribute("aria-label", {{ this.title }});
    var shown = L.DomUtil.create("div", "routes-period-label", box);
    shown.textContent = labels[0];
    slider.addEventListener("input", function () {
      var chosen = Number(slider.value);
      layers.forEach(function (layer, i) {
        if (i + 1 === chosen) { map.addLayer(layer); } else { map.removeLayer(layer); }
      });
      shown.textContent = labels[chosen];
    });
    L.DomEvent.disableClickPropagation(box);
    L.DomEvent.disableScrollPropagation(box);
    return box;
  };
  control.addTo(map);
})();
{% endmacro %}
""")

        def __init__(self) -> None:
            super().__init__()
            self._name = "RoutesPeriodControl"
            self.layer_names = ", ".join(layer.get_name() for layer in layers)
            self.labels = safe_json([_text("all_periods", lang), *labels])
            self.title = safe_json(f"{_text('periods', lang)} ({_text(unit, lang)})")

    return PeriodControl()


def _place_labels(places: gpd.GeoDataFrame) -> Any:
    """Names of the places drawn, from zoom :data:`LABEL_MIN_ZOOM`; none overprints another.

    Labels are laid out on every zoom and pan, the places with most people (published counts)
    first; a label whose box meets one already shown is hidden. Names travel entity-encoded like
    every string of the page, are decoded as RCDATA (a ``textarea``, which makes no element) and set
    as text, never HTML.
    """
    from branca.element import MacroElement
    from jinja2 import Template

    from routes._web import escape_text, safe_json

    order = places.assign(_n=pd.to_numeric(places["n_people"], errors="coerce").fillna(0))
    order = order.sort_values(["_n", "name"], ascending=[False, True], kind="stable")
    xy = np.round(shapely.get_coordinates(order.geometry.to_numpy()), _DECIMALS)
    rows = [[float(y), float(x), escape_text(name)] for (x, y), name in zip(xy, order["name"], strict=True)]

    class PlaceLabels(MacroElement):
        _template = Template("""
{% macro script(this, kwargs) %}
(function () {
  var map = {{ this._parent.get_name() }};
  var places = {{ this.places }};
  var decoder = document.createElement("textarea");
  function text(encoded) { decoder.innerHTML = encoded; return decoder.value; }
  var pane = map.createPane("routes-labels");
  pane.style.zIndex = "450"; pane.style.pointerEvents = "none";
  var markers = places.map(function (p) {
    return L.marker([p[0], p[1]], {icon: L.divIcon({className: "routes-label", html: "", iconSize: null}),
                                   pane: "routes-labels", interactive: false, keyboard: false});
  });
  function layout() {
    var show = map.getZoom() >= {{ this.min_zoom }};
    var taken = [];
    markers.forEach(function (marker, i) {
      if (!show) { if (map.hasLayer(marker)) { map.removeLayer(marker); } return; }
      if (!map.hasLayer(marker)) { marker.addTo(map); marker.getElement().textContent = text(places[i][2]); }
      var label = marker.getElement();
      label.style.visibility = "visible";
      var r = label.getBoundingClientRect();
      var clash = taken.some(function (t) {
        return r.left < t.right && t.left < r.right && r.top < t.bottom && t.top < r.bottom;
      });
      if (clash) { label.style.visibility = "hidden"; } else { taken.push(r); }
    });
  }
  map.on("zoomend moveend", layout);
  map.whenReady(layout);
})();
{% endmacro %}
""")

        def __init__(self) -> None:
            super().__init__()
            self._name = "RoutesPlaceLabels"
            self.places = safe_json(rows)
            self.min_zoom = LABEL_MIN_ZOOM

    return PlaceLabels()


# -- offline basemap -----------------------------------------------------------------------------


def _basemap_layers(bounds: tuple[float, float, float, float], *, lang: str) -> list[folium.GeoJson]:
    """The offline basemap: filled country outlines, then admin-1 boundary lines over their fill.

    Both are non-interactive, have no properties and sit in panes below every published layer.
    """
    import folium

    west, south, east, north = bounds
    # a wide screen fitted to the places shows about twice their span: draw that much coast around them
    margin = max(_OUTLINE_MARGIN_DEG, 1.5 * max(east - west, north - south))
    layers = []
    for name, frame, style, decimals in (
        ("outlines", country_outlines(bounds, margin_deg=margin, tolerance_deg=_OUTLINE_TOLERANCE_DEG),
         _OUTLINE_STYLE, _DECIMALS),
        ("admin1", admin1_lines(bounds, margin_deg=margin, tolerance_deg=_ADMIN1_TOLERANCE_DEG),
         _ADMIN1_STYLE, _ADMIN1_DECIMALS),
    ):
        geometry = shapely.set_precision(frame.geometry.to_numpy(), 10**-decimals)
        layers.append(folium.GeoJson(
            {"type": "FeatureCollection",
             "features": [{"type": "Feature", "properties": {}, "geometry": shapely.geometry.mapping(g)}
                          for g in geometry if not g.is_empty]},
            name=_text(name, lang), control=False, style_function=lambda feature, style=style: style,
            interactive=False, pane=_pane(name),
        ))
    return layers


# -- page furniture ------------------------------------------------------------------------------

_PAGE_CSS = """
.leaflet-container { background: #e4ebf1; }
.routes-legend { position: absolute; z-index: 1000; left: 10px; bottom: 22px; max-width: 300px;
  max-height: calc(100% - 210px); overflow-y: auto;
  background: rgba(255,255,255,0.93); border-radius: 4px; padding: 8px 10px; font: 12px/1.35 sans-serif;
  box-shadow: 0 1px 4px rgba(0,0,0,0.3); color: #222; }
.routes-legend summary { cursor: pointer; font-weight: bold; color: #555; margin-bottom: 2px; }
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
.routes-hollow { display: inline-block; width: 10px; height: 10px; border-radius: 50%; margin-right: 6px;
  vertical-align: middle; border: 2px solid; }
.routes-dashed { border-style: dashed; }
.routes-box { display: inline-block; width: 12px; height: 10px; margin-right: 6px; vertical-align: middle;
  border: 1px solid #777; }
.routes-tooltip { white-space: normal; width: max-content; max-width: min(340px, calc(100vw - 24px)); }
.routes-tooltip th { text-align: left; padding-right: 8px; font-weight: normal; color: #555; }
.routes-above-controls { position: absolute; left: 0; top: 0; z-index: 1100; }
.leaflet-control-scale-line { font-size: 10px; padding: 1px 3px 0; }
.routes-period { background: #fff; padding: 6px 8px; font: 12px/1.3 sans-serif; min-width: 190px; }
.routes-period-title { font-weight: bold; margin-bottom: 2px; }
.routes-period-slider { width: 100%; }
.routes-label { font: 600 11px/1.1 sans-serif; color: #2b2b2b; white-space: nowrap; margin: -6px 0 0 9px;
  text-shadow: 0 0 2px #fff, 0 0 2px #fff, 0 0 3px #fff; }
@media (max-width: 640px) {
  .routes-legend { max-width: calc(100% - 70px); max-height: 45%; bottom: 30px; font-size: 11px; }
  .routes-period { min-width: 150px; }
}
"""
#: Longest scale bar (CSS pixels): Leaflet rounds down to 1, 2, 3 or 5 × 10ⁿ, so the bar is at least
#: half of it, wide enough for its label ("1000 km" at 10 px) that Leaflet's CSS would otherwise clip.
_SCALE_MAX_PX = 120
#: Width (CSS pixels) under which the page is laid out for a phone (see ``_PAGE_CSS``'s media query).
_SMALL_SCREEN_PX = 640
#: Least distance (CSS pixels) between an open tooltip and the map's edge.
_TOOLTIP_MARGIN_PX = 4


def _legend_colours() -> dict[str, str]:
    return {
        **{f"routes-c{i}": c for i, (_, c) in enumerate(INCIDENT_CLASSES)},
        "routes-cna": NOT_PUBLISHED_COLOUR, "routes-place": PLACE_COLOUR, "routes-gap": GAP_COLOUR,
        "routes-period-colour": PERIOD_COLOUR, "routes-hotspot-area": HOTSPOT_AREA_COLOUR,
        "routes-area-zero": "#ffffff",
        **{f"routes-{kind}": colour for kind, colour in KIND_COLOURS.items()},
        **{f"routes-r-{risk}": colour for risk, colour in RISK_COLOURS.items()},
        **{f"routes-p{i}": colour for i, colour in enumerate(PATTERN_COLOURS)},
        **{f"routes-h-{name}": colour for name, colour in HOTSPOT_CLASS_COLOURS.items()},
        **{f"routes-s-{name}": colour for name, (colour, _) in SERVICE_STYLES.items()},
        "routes-s-other": OTHER_SERVICE_STYLE[0],
        **{f"routes-a{i}": colour for i, colour in enumerate(AREA_COLOURS)},
    }


def _legend_css() -> str:
    """Page CSS plus one class a colour, so the legend needs no ``style`` attributes (CSP)."""
    rules = "\n".join(
        f".{name} {{ border-color: {c}; }} .routes-dot.{name}, .routes-box.{name} {{ background: {c}; }}"
        for name, c in _legend_colours().items())
    return _PAGE_CSS + rules


def _number(value: float, lang: str) -> str:
    text = f"{value:,.0f}"
    return text.translate(str.maketrans(",", ".")) if lang == "es" else text


def _legend_html(layers: PublishedLayers, *, lang: str, title: str | None, offline: bool,
                 policy: DisclosurePolicy) -> str:
    """The legend box: title, a section per layer drawn, notes. All text escaped."""
    from routes._web import escape_text
    from routes.schema import label

    def item(css: str, text: str, shape: str = "routes-swatch") -> str:
        return f'<li><span class="{shape} {css}"></span>{escape_text(text)}</li>'

    def section(heading: str, items: list[str]) -> str:
        return f"<h5>{escape_text(heading)}</h5><ul>{''.join(items)}</ul>"

    uppers = [upper for upper, _ in INCIDENT_CLASSES]
    rate_labels = [
        f"< {upper:g}" if lower == 0 else f"≥ {lower:g}" if np.isinf(upper) else f"{lower:g} – {upper:g}"
        for lower, upper in zip([0.0, *uppers[:-1]], uppers, strict=True)
    ]
    flows = layers.journeys  # flows, their rates and chokepoints need journeys
    parts = [section(_text("rate", lang), [item(f"routes-c{i}", text) for i, text in enumerate(rate_labels)]
                     + [item("routes-cna", _text("not_published", lang))])] if flows else []
    parts.append(section(_text("places", lang), [item("routes-place", _text("city", lang), "routes-dot")]
                         + [item(f"routes-{k}", _text(k, lang), "routes-dot") for k in CROSSING_KINDS]
                         + [item("routes-ring", _text("chokepoint", lang), "routes-dot")] * flows))
    if layers.risks is not None and len(layers.risks):
        parts.append(section(_text("risks", lang), [item(f"routes-r-{risk}", label("risk", risk, lang))
                                                    for risk in dict.fromkeys(layers.risks["risk"])]))
    if layers.patterns is not None and len(layers.patterns):
        names = layers.patterns.drop_duplicates("cluster")
        parts.append(section(_text("patterns", lang), [
            item(f"routes-p{int(c) % len(PATTERN_COLOURS)}",
                 f"{int(c) + 1}: {_short(text, 2 * _LABEL_CHARS)}", "routes-hollow")
            for c, text in zip(names["cluster"], names[f"label_{lang}"], strict=True)]))
    if layers.hexagons is not None and len(layers.hexagons):
        present = set(layers.hexagons["hotspot"])
        parts.append(section(_text("hexagons", lang), [
            item(f"routes-h-{name}", _text(name, lang), "routes-box")
            for name in HOTSPOT_CLASS_COLOURS if name in present]))
        parts.append(f"<p>{escape_text(_text('gi_method', lang))}</p>")
    if layers.hotspots is not None and len(layers.hotspots):
        parts.append(section(_text("hotspot_areas", lang),
                             [item("routes-hotspot-area", _text("hotspot_circle", lang), "routes-hollow")]))
    if layers.services is not None:
        types = dict.fromkeys(layers.services["service_type"])
        parts.append(section(_text("services", lang), [
            item(f"routes-s-{t}" if t in SERVICE_STYLES else "routes-s-other",
                 label("service_type", t, lang) if t in SERVICE_STYLES else str(t), "routes-hollow")
            for t in types] + [item("routes-gap", _text("gap", lang), "routes-hollow routes-dashed")]))
    if layers.areas is not None:
        breaks = area_breaks(layers.areas["n_people"])
        lowers = [policy.smallest_published, *breaks[:-1]]
        ranges = [f"{_number(low, lang)} – {_number(high, lang)}" if np.isfinite(high)
                  else f"> {_number(low, lang)}" for low, high in zip(lowers, breaks, strict=True)]
        parts.append(section(_text("areas", lang), [item(f"routes-a{i}", text, "routes-box")
                                                    for i, text in enumerate(ranges)]
                             + [item("routes-area-zero", "0", "routes-box"),
                                item("routes-cna", _text("not_published", lang), "routes-box")]))
    notes = [_text("scaling", lang) if flows else _text("no_journeys", lang)]
    if layers.periods is not None and len(layers.periods):
        notes.append(_text("period_help", lang).format(unit=_text(layers.period_unit, lang)))
    notes.append(policy.describe(lang))
    if layers.places.index.astype(str).str.startswith(FALLBACK_ID_PREFIX).any():  # the fallback's towns
        notes.append(_text("geonames_credit", lang))
    hidden = [f"{n} {_text('hidden_' + name, lang)}" for name, n in layers.hidden.items() if n]
    if hidden:
        notes.append(_text("suppressed", lang).format(items=", ".join(hidden)))
    paragraphs = "".join(f"<p>{escape_text(note)}</p>" for note in notes)
    if offline:
        paragraphs += f'<p class="routes-note">{escape_text(_text("offline_note", lang))}</p>'
    heading = f"<h4>{escape_text(title)}</h4>" if title else ""
    # <details> folds the legend away with no script (the page's CSP allows none inline but hashed)
    legend_label = escape_text(_text("legend", lang))
    return (f'<div class="routes-legend" role="region" aria-label="{legend_label}"><details open>'
            f"<summary>{legend_label}</summary>{heading}{''.join(parts)}{paragraphs}</details></div>")


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


def _page_controls() -> Any:
    """A metric scale only; on a phone-sized screen the legend folded until tapped; tooltips and
    popups above every control and inside the map.

    Leaflet draws tooltips and popups in panes of its map pane, a stacking context under the
    controls and the legend (z-index 1000), so a tooltip beside the legend or the layer control
    used to slide under it. Their panes move to a pane of their own over the controls
    (``.routes-above-controls``) that follows the map pane as the map moves, and a tooltip that
    would cross the map's edge (a place near the top, a sticky tooltip at the side) is shifted
    back inside. Leaflet's ``auto`` direction already opens a tooltip towards the map's centre,
    away from the controls at the sides.
    """
    from branca.element import MacroElement
    from jinja2 import Template

    class PageControls(MacroElement):
        _template = Template("""
{% macro script(this, kwargs) %}
(function () {
  var map = {{ this._parent.get_name() }};
  L.control.scale({metric: true, imperial: false, position: "topright", maxWidth: {{ this.scale_px }}})
    .addTo(map);
  if (window.matchMedia("(max-width: {{ this.small_screen }}px)").matches) {
    var legend = document.querySelector(".routes-legend details");
    if (legend) { legend.removeAttribute("open"); }
  }
  var above = L.DomUtil.create("div", "routes-above-controls", map.getContainer());
  above.appendChild(map.getPane("tooltipPane"));
  above.appendChild(map.getPane("popupPane"));
  function follow() { L.DomUtil.setPosition(above, L.DomUtil.getPosition(map.getPane("mapPane"))); }
  map.on("move zoom viewreset moveend zoomend resize", follow);
  follow();
  if (!L.Tooltip.prototype.routesKeptInside) {
    var place = L.Tooltip.prototype._setPosition;
    L.Tooltip.include({routesKeptInside: true, _setPosition: function (pos) {
      place.call(this, pos);
      var margin = {{ this.margin }}, size = this._map.getSize(), tip = this._container;
      var at = this._map.layerPointToContainerPoint(L.DomUtil.getPosition(tip));
      var right = at.x + tip.offsetWidth, bottom = at.y + tip.offsetHeight;
      var dx = at.x < margin ? margin - at.x : right > size.x - margin ? size.x - margin - right : 0;
      var dy = at.y < margin ? margin - at.y : bottom > size.y - margin ? size.y - margin - bottom : 0;
      if (dx || dy) { L.DomUtil.setPosition(tip, L.DomUtil.getPosition(tip).add(L.point(dx, dy))); }
    }});
  }
})();
{% endmacro %}
""")

        def __init__(self) -> None:
            super().__init__()
            self._name = "RoutesPageControls"
            self.small_screen = _SMALL_SCREEN_PX
            self.margin = _TOOLTIP_MARGIN_PX
            self.scale_px = _SCALE_MAX_PX

    return PageControls()


# -- public API ----------------------------------------------------------------------------------


def draw_map(
    layers: PublishedLayers,
    *,
    lang: str = "en",
    policy: DisclosurePolicy | None = None,
    offline: bool = False,
    title: str | None = None,
) -> folium.Map:
    """Draw already published layers (:func:`publish_layers`) on a Leaflet map.

    ``policy`` decides which properties each layer embeds (``allowed_fields``) and the sentence in
    the legend; it must be the policy the layers were published with (public by default).
    """
    import folium
    from folium.map import CustomPane

    from routes._assets import LEAFLET_CSS, LEAFLET_JS
    from routes.privacy import DisclosurePolicy

    _check_language(lang)
    policy = DisclosurePolicy.public() if policy is None else policy
    places = layers.places
    _require(places, ("name", "country", "kind", "n_people", "rate", "chokepoint"), "places")
    shown = places.loc[places["n_people"].notna()]
    west, south, east, north = shown.total_bounds if len(shown) else (-82.0, -20.0, -60.0, 12.0)

    m = folium.Map(tiles=None if offline else "OpenStreetMap", maxZoom=MAX_ZOOM, minZoom=3, zoom_start=5,
                   location=[(south + north) / 2, (west + east) / 2], control_scale=False)
    m.default_js, m.default_css = LEAFLET_JS, LEAFLET_CSS  # nothing else is used: no jQuery, no Bootstrap
    for pane, z_index in _PANES.values():
        CustomPane(pane, z_index=z_index, pointer_events=pane not in _BASEMAP_PANES).add_to(m)
    if offline:
        for basemap_layer in _basemap_layers((west, south, east, north), lang=lang):
            basemap_layer.add_to(m)
    drawn: list[Any] = []
    if layers.areas is not None:
        drawn.append(_area_layer(layers.areas, lang=lang, policy=policy))
    if layers.hexagons is not None and len(layers.hexagons):
        drawn.append(_hexagon_layer(layers.hexagons, lang=lang, policy=policy))
    if layers.hotspots is not None:
        drawn.append(_hotspot_layer(layers.hotspots, lang=lang, policy=policy))
    if layers.journeys:  # an incident data set has places and no journeys: no flow layer
        drawn.append(_flow_layer(layers.segments, places, lang=lang, policy=policy))
    crossing = shown["kind"].isin(CROSSING_KINDS)
    for name, rows in (("places", ~crossing), ("crossings", crossing)):
        if rows.any():
            drawn.append(_place_layer(shown.loc[rows], lang=lang, name=_text(name, lang),
                                      sizes_from=shown["n_people"], policy=policy))
    if layers.risks is not None:
        drawn += _risk_layers(layers.risks, places, lang=lang, policy=policy)
    if layers.patterns is not None:
        drawn += _pattern_layers(layers.patterns, places, lang=lang, policy=policy)
    if layers.services is not None:
        gaps = layers.gaps if layers.gaps is not None else pd.Index([])
        drawn += _service_layers(layers.services, gaps, places, radius_km=layers.gap_radius_km, lang=lang,
                                 policy=policy)
    period_layers: list[Any] = []
    if layers.periods is not None and len(layers.periods):
        period_layers, labels = _period_layers(layers.periods, places, lang=lang, policy=policy)
        drawn += period_layers
    for layer in drawn:
        layer.add_to(m)
    folium.LayerControl(collapsed=True).add_to(m)  # an icon until asked for: the map stays visible
    stable_ids(m)  # before the period control writes layer names into its script
    if period_layers:
        m.add_child(_period_control(period_layers, labels, unit=layers.period_unit, lang=lang))
    m.add_child(_legend(_legend_html(layers, lang=lang, title=title, offline=offline, policy=policy)))
    m.add_child(_page_controls())
    if len(shown):
        m.add_child(_place_labels(shown))
    if len(shown):
        m.fit_bounds([[south, west], [north, east]], padding=(20, 20))
    return stable_ids(m)  # elements added last are numbered after every earlier one: names unchanged


def route_map(
    network: RouteNetwork,
    *,
    patterns: PatternClusters | None = None,
    cases: pd.DataFrame | None = None,
    hotspots: gpd.GeoDataFrame | None = None,
    services: gpd.GeoDataFrame | None = None,
    boundaries: gpd.GeoDataFrame | None = None,
    boundaries_code: str | None = None,
    boundaries_level: Literal["country", "admin1", "admin2"] = "admin2",
    risks: Sequence[str] = RISK_LAYERS,
    period: str | None = "quarter",
    gap_radius_km: float = 25.0,
    lang: str = "en",
    policy: DisclosurePolicy | None = None,
    offline: bool = False,
    title: str | None = None,
) -> folium.Map:
    """A Leaflet map of a route network's published flows, places, risks, patterns and services.

    Every count passes :mod:`routes.privacy` first (:func:`publish_layers`; the public policy by
    default), so the map holds only what the policy allows: suppressed cells are not drawn and the
    legend says how many were withheld. Each layer can be switched in the layer control and is
    explained in the legend.

    Parameters
    ----------
    network
        A :class:`~routes.network.RouteNetwork` with its membership tables.
    patterns, cases
        A fitted :class:`~routes.patterns.PatternClusters` and the case table it was fitted on (its
        ``case_id`` ties labels to people): one layer per cluster where it concentrates.
    hotspots
        :func:`routes.patterns.hex_hotspots` hexagons (an ``h3_cell`` column) or
        :func:`routes.patterns.hotspots` areas.
    services
        Service points (:func:`routes.io.read_services`): rings by type, plus the high-risk places
        with no service within ``gap_radius_km``.
    boundaries, boundaries_code, boundaries_level
        Admin areas (e.g. a COD-AB layer), the column of their codes and whether those are admin2
        codes (P-codes or the official national codes) or admin1 names: a choropleth of people.
    risks
        Risk codes with one layer each (the first is shown); ``()`` for none.
    period
        ``"month"``, ``"quarter"`` or ``"year"``: flows per period under a slider (no finer than the
        policy's ``time_unit``); ``None`` for none.
    gap_radius_km
        Reach of a service, in kilometres.
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
    >>> m = route_map(net, patterns=mo, cases=cases, hotspots=hexes, services=services,
    ...               lang="es", offline=True)  # doctest: +SKIP
    >>> save_map(m, "maps/andean.html")  # doctest: +SKIP
    """
    from routes.privacy import DisclosurePolicy

    _check_language(lang)
    policy = DisclosurePolicy.public() if policy is None else policy
    layers = publish_layers(network, patterns=patterns, cases=cases, hotspots=hotspots, services=services,
                            boundaries=boundaries, boundaries_code=boundaries_code,
                            boundaries_level=boundaries_level, risks=risks, period=period,
                            gap_radius_km=gap_radius_km, policy=policy)
    return draw_map(layers, lang=lang, policy=policy, offline=offline, title=title)


def release_map(release: Release, *, lang: str = "en", offline: bool = True,
                title: str | None = None) -> folium.Map:
    """The route map of a release: it draws the release's layers, it never counts.

    The release id is printed under the title; :func:`save_map` refuses a map whose release failed
    its audit. Offline (country outlines, every asset inlined) by default.
    """
    release.check()
    stamp = release.stamp("es" if lang == "es" else "en")
    m = draw_map(release.layers, lang=lang, policy=release.policy, offline=offline,
                 title=f"{title} · {stamp}" if title else stamp)
    m._routes_release = release  # type: ignore[attr-defined]  # save_map checks it again
    return m


def stable_ids(m: folium.Map) -> folium.Map:
    """Give every element of ``m`` an id from its position, not a random one.

    Folium names elements with random hex ids, so two renderings of one map differ (and so do the
    CSP hashes of their scripts); with positional ids the same release gives byte-identical pages
    that anyone can verify by rendering again.
    """
    seen = 0

    def visit(element: Any) -> None:
        nonlocal seen
        element._id = f"{seen:032x}"
        seen += 1
        for child in element._children.values():
            visit(child)

    visit(m.get_root())
    return m


def explore(
    network: RouteNetwork, *results: Any, cases: pd.DataFrame | None = None, **options: Any
) -> folium.Map:
    """The route map in one line for a notebook: ``explore(net, mo, hexes, services, cases=cases)``.

    Each of ``results`` goes to the :func:`route_map` layer it is: a fitted ``PatternClusters``
    (with ``cases``), hotspots (hexagons or areas) or services (a ``service_type`` column). Other
    keyword options are :func:`route_map`'s. The map displays inline; call :func:`save_map` to
    publish it.

    Raises
    ------
    MapError
        A result of an unknown kind, or two of one kind.
    """
    from routes.patterns import PatternClusters

    layers: dict[str, Any] = {}
    for result in results:
        if isinstance(result, PatternClusters):
            kind = "patterns"
        elif isinstance(result, pd.DataFrame) and {"h3_cell", "hotspot_id"} & set(result.columns):
            kind = "hotspots"
        elif isinstance(result, pd.DataFrame) and "service_type" in result.columns:
            kind = "services"
        else:
            raise MapError(f"explore: cannot tell which layer a {type(result).__name__} is; expected a "
                           "fitted PatternClusters, hex_hotspots/hotspots output or a services table")
        if kind in layers:
            raise MapError(f"explore: two {kind} results given; pass one")
        layers[kind] = result
    return route_map(network, cases=cases, **layers, **options)


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
    from routes._web import with_csp
    from routes.privacy import DisclosurePolicy, check_publishable

    release = getattr(m, "_routes_release", None)
    if release is not None:
        release.check()
        policy = release.policy if policy is None else policy
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
