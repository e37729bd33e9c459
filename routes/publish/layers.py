"""The published tables of a route map: counted, suppressed and rounded by a disclosure policy.

This is the counting side of :mod:`routes.maps`: each ``published_*`` function counts one layer's
distinct people through :mod:`routes.privacy` and :func:`publish_layers` gathers them into
:class:`PublishedLayers`, which :func:`routes.maps.draw_map` draws. A release
(:class:`routes.publish.Release`) runs :func:`publish_layers` under :func:`routes.privacy.counting`;
:mod:`routes.maps` re-exports these names, so ``routes.maps.publish_layers`` still works.

The ``*_PROPERTIES`` tuples name the GeoJSON properties each layer would embed; what a page really
carries is the part of them the policy's ``allowed_fields`` (:data:`routes.privacy.DEFAULT_ALLOWED_FIELDS`,
the one allow-list) permits.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Geod

from routes._frame import is_in
from routes.errors import MapError, PolicyError

if TYPE_CHECKING:
    from routes.network import RouteNetwork
    from routes.patterns import PatternClusters
    from routes.privacy import DisclosurePolicy, Memberships

__all__ = [
    "AREA_PROPERTIES",
    "DECIMALS",
    "FLOW_PROPERTIES",
    "GAP_PROPERTIES",
    "HEXAGON_PROPERTIES",
    "HOTSPOT_PROPERTIES",
    "PATTERN_PROPERTIES",
    "PERIOD_PROPERTIES",
    "PLACE_PROPERTIES",
    "RISK_LAYERS",
    "RISK_PROPERTIES",
    "SERVICE_PROPERTIES",
    "PublishedLayers",
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
    "require_columns",
]

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
#: Decimals of published coordinates (~11 m): more than enough for gazetteer places, and a lighter page.
DECIMALS = 4
_HOTSPOT_CENTRE_DECIMALS = 2  # ~1.1 km: a hotspot's drawn centre says no more than that
_HOTSPOT_RADIUS_STEP_M = 1_000.0
_CIRCLE_VERTICES = 48
_AREA_SIMPLIFY_M = 250.0  # boundary detail finer than this is invisible at the map's zoom levels
_PATTERN_TOP_PLACES = 6
_GEOD = Geod(ellps="WGS84")
_TIME_UNITS = {"month": ("M", 1), "quarter": ("Q", 2), "year": ("Y", 3)}


def require_columns(table: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    """Raise :class:`~routes.errors.MapError` naming the ``columns`` that ``table`` (``what``) lacks."""
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise MapError(f"{what}: missing column(s) {missing}; has {list(table.columns)}")


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
    numerators: Mapping[str, Memberships]  # _ANY_INCIDENT and each risk with people → memberships
    tables: Mapping[str, pd.DataFrame]  # the same keys → their release_rate table
    label: str  # the table name of the geography in a publication


def _rows(table: pd.DataFrame, chosen: np.ndarray | slice) -> Memberships:
    """The ``chosen`` rows of ``table``, selected when first counted (a release's second pass reads
    its tables from its store and selects nothing)."""
    return cache(lambda: table.loc[chosen])


def _of_everyone(table: pd.DataFrame, build: Memberships, policy: DisclosurePolicy) -> Memberships:
    """``build`` (rows of the network's ``table``), as the rows of everyone in ``table``
    (:class:`routes.privacy.PeopleOf`) when everyone in it may be counted: a release's store then
    counts the map's table and the briefs' people of it from one count of ``table``."""
    from routes.privacy import PeopleOf

    ids = table["case_id"] if "case_id" in table.columns else pd.Series(dtype=object)
    if not (isinstance(ids.dtype, pd.CategoricalDtype) and callable(build) and policy.eligible(table).all()):
        return build
    everyone = np.ones(len(ids.cat.categories), dtype=np.bool_)
    return PeopleOf(table, lambda: everyone, build)


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
    # (a categorical's categories compared once each, not a million rows turned into text)
    with_risk = {risk: is_in(incidents["risk"], [risk]) for risk in risks}
    rates = []
    for by, denominator in _RATE_GEOGRAPHIES:
        located = incidents[list(by)].notna().all(axis=1).to_numpy()
        # (a row with no value of ``by`` is in no cell: the whole table counts as its located rows)
        numerators = {_ANY_INCIDENT: _of_everyone(incidents, _rows(incidents, located), policy)}
        for risk, chosen in with_risk.items():
            if (chosen & located).any():
                numerators[risk] = _rows(incidents, chosen & located)
        people = _memberships(network, denominator)
        tables = release_rates(numerators, _of_everyone(people, _rows(people, slice(None)), policy),
                               list(by), policy=policy, margins=False, label=_RATE_LABELS[denominator])
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
    require_columns(cases, ("case_id",), "cases")
    if len(cases) != len(labels):
        raise MapError(f"cases has {len(cases)} rows but patterns.labels_ has {len(labels)}: pass the case "
                       "table the patterns were fitted on")
    members = _memberships(network, "place_people")

    @cache
    def memberships() -> pd.DataFrame:  # built when counted: a release's second pass reads its store
        cluster_of = pd.Series(np.asarray(labels), index=pd.Index(cases["case_id"].astype(str)))
        cluster_of = cluster_of[~cluster_of.index.duplicated()]
        cluster = members["case_id"].astype(str).map(cluster_of)
        member = cluster.notna().to_numpy() & (cluster.fillna(-1).to_numpy() >= 0)
        return members.loc[member].assign(cluster=cluster[member].astype(np.int64).to_numpy(),
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
    require_columns(hexagons, ("h3_cell", "n_people", "hotspot"), "hotspots (hexagons)")
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
    rings = np.round(np.column_stack([x, y]), DECIMALS).reshape(n, _CIRCLE_VERTICES, 2)
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

    require_columns(hotspots, ("hotspot_id", "n_people"), "hotspots (areas)")
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

    require_columns(services, ("service_type", "geometry"), "services")
    points = services.geometry.to_crs("EPSG:4326") if services.crs is not None else services.geometry
    frame = pd.DataFrame({
        "place": (services["place"] if "place" in services.columns else pd.Series("", index=services.index))
        .astype(object).to_numpy(),
        "service_type": services["service_type"].astype(object).to_numpy(),
        "organisation_type": (services["organisation_type"] if "organisation_type" in services.columns
                              else pd.Series("", index=services.index)).astype(object).fillna("").to_numpy(),
        "x": np.round(points.x.to_numpy(), DECIMALS), "y": np.round(points.y.to_numpy(), DECIMALS),
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
    require_columns(boundaries, (code,), "boundaries")
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
    geometry = shapely.set_precision(shapely.simplify(outlines.to_numpy(), tolerance), 10**-DECIMALS)
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

    def dated() -> pd.DataFrame:  # built when counted: a release's second pass reads its store
        months = members["month"]
        periods = (months.dt.asfreq(freq) if isinstance(months.dtype, pd.PeriodDtype)
                   else pd.to_datetime(months, errors="coerce").dt.to_period(freq))
        return members.assign(period=periods).dropna(subset=["period"])

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
