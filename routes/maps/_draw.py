"""Drawing a map: :func:`draw_map` draws published layers, :func:`route_map` publishes and draws."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

import geopandas as gpd
import pandas as pd

from routes.errors import MapError
from routes.maps._layers import (
    _area_layer,
    _basemap_layers,
    _flow_layer,
    _hexagon_layer,
    _hotspot_layer,
    _pattern_layers,
    _period_layers,
    _place_layer,
    _risk_layers,
    _service_layers,
)
from routes.maps._legend import _legend, _legend_html
from routes.maps._page import _page_controls, _period_control, _place_labels
from routes.maps._save import stable_ids
from routes.maps._style import _BASEMAP_PANES, _PANES, CROSSING_KINDS
from routes.maps._words import _check_language, _text
from routes.publish.layers import RISK_LAYERS, PublishedLayers, publish_layers, require_columns
from routes.publish.together import protect_together

if TYPE_CHECKING:
    import folium

    from routes.network import RouteNetwork
    from routes.patterns import PatternClusters
    from routes.privacy import DisclosurePolicy
    from routes.publish.release import Release


MAX_ZOOM = 12
"""Deepest zoom: places are towns and crossings, and MarkerCluster needs a ``maxZoom`` without tiles."""


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
    require_columns(places, ("name", "country", "kind", "n_people", "rate", "chokepoint"), "places")
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
    default), and the layers are protected together, as a release protects them
    (:func:`routes.publish.protect_together`: no layer can be subtracted from another), so the map
    holds only what the policy allows: suppressed cells are not drawn and the legend says how many
    were withheld. Each layer can be switched in the layer control and is
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

    Raises
    ------
    PolicyError
        A formal policy: draw a release instead (:func:`release_map`).
    DisclosureError
        When the audit of the layers recovers a withheld cell.

    Examples
    --------
    >>> m = route_map(net, patterns=mo, cases=cases, hotspots=hexes, services=services,
    ...               lang="es", offline=True)  # doctest: +SKIP
    >>> save_map(m, "maps/andean.html")  # doctest: +SKIP
    """
    from routes.privacy import DisclosurePolicy

    _check_language(lang)
    policy = DisclosurePolicy.public() if policy is None else policy
    layers = protect_together(
        lambda: publish_layers(network, patterns=patterns, cases=cases, hotspots=hotspots, services=services,
                               boundaries=boundaries, boundaries_code=boundaries_code,
                               boundaries_level=boundaries_level, risks=risks, period=period,
                               gap_radius_km=gap_radius_km, policy=policy),
        policy, product="route map", cases=cases,
    )
    return draw_map(layers, lang=lang, policy=policy, offline=offline, title=title)


def release_map(release: Release, *, lang: str = "en", offline: bool = True,
                title: str | None = None) -> folium.Map:
    """The route map of a release: it draws the release's layers, it never counts.

    The release id is printed under the title; :func:`save_map` refuses a map whose release failed
    its audit. Offline (country outlines, every asset inlined) by default.
    """
    _check_language(lang)
    release.check()
    stamp = release.stamp(lang)
    m = draw_map(release.layers, lang=lang, policy=release.policy, offline=offline,
                 title=f"{title} · {stamp}" if title else stamp)
    m._routes_release = release  # type: ignore[attr-defined]  # save_map checks it again
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
