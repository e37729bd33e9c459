"""Folium layers of published tables: GeoJSON whose properties the policy allows, escaped."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from routes._i18n import MAP, quarter_name
from routes.basemap import admin1_lines, country_outlines
from routes.maps._geometry import _geometries, _segment_curves
from routes.maps._style import (
    _ADMIN1_STYLE,
    _GAP_RADIUS_PX,
    _OUTLINE_STYLE,
    _PATTERN_RADIUS_PX,
    _RADIUS_PX,
    _WIDTH_PX,
    AREA_COLOURS,
    CHOKEPOINT_RING,
    GAP_COLOUR,
    HOTSPOT_AREA_COLOUR,
    HOTSPOT_CLASS_COLOURS,
    KIND_COLOURS,
    NOT_PUBLISHED_COLOUR,
    OTHER_SERVICE_STYLE,
    PERIOD_COLOUR,
    PLACE_COLOUR,
    RISK_COLOURS,
    SERVICE_STYLES,
    _line_styles,
    _pane,
    _pattern_colour,
    _scaled,
    area_breaks,
    incident_colours,
)
from routes.maps._words import _escaped, _format_numbers, _short, _text, _vocabulary_labels
from routes.places import country_names
from routes.publish.layers import DECIMALS, require_columns

if TYPE_CHECKING:
    import folium

    from routes.privacy import DisclosurePolicy


#: Simplification of the 1:10m outlines on a page (degrees, about 550 m): the Gulf of Urabá and the
#: Darién coast keep their shape at zoom 9, and the sample's page carries about 0.3 MB of outlines.
_OUTLINE_TOLERANCE_DEG = 0.005
_OUTLINE_MARGIN_DEG = 8.0
#: Admin-1 lines: 3 decimals (about 110 m; the source is quantised to 100-200 m) and a coarser
#: simplification (about 1.1 km) than the coast: context lines, about 80 kB on the sample's page.
_ADMIN1_DECIMALS = 3
_ADMIN1_TOLERANCE_DEG = 0.01


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


def _flow_layer(segments: pd.DataFrame, places: gpd.GeoDataFrame, *, lang: str,
                policy: DisclosurePolicy) -> folium.GeoJson:
    """One GeoJSON layer of the published segments, drawn as curved arrows (module docstring).

    ``segments``: ``u``, ``v`` (place ids, as columns or index levels), ``n_people`` (rows with NA,
    i.e. suppressed, are not drawn) and ``rate`` (NaN when not published). ``places``: indexed by
    ``place_id`` with ``name`` and point geometry, for the segment ends.
    """
    table = segments.reset_index() if {"u", "v"} <= set(segments.index.names) else segments
    require_columns(table, ("u", "v", "n_people", "rate"), "segments")
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
    kinds = places["kind"].astype(object).map(lambda k: _text(k, lang) if k in MAP else k)
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


def _hexagon_layer(hexagons: gpd.GeoDataFrame, *, lang: str, policy: DisclosurePolicy) -> folium.GeoJson:
    shown = pd.DataFrame({
        "h3": _escaped(hexagons["h3"]),
        "n_people": _format_numbers(hexagons["n_people"], lang),
        "hotspot": _escaped(hexagons["hotspot"].map(lambda c: _text(c, lang) if c in MAP else c)),
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
        return f"{period.year} {quarter_name(period.quarter, lang)}"
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
         _OUTLINE_STYLE, DECIMALS),
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
