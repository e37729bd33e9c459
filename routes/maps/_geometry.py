"""Flow geometry: curved arrows computed in Web Mercator, the map's own projection."""

from __future__ import annotations

from functools import cache
from typing import cast

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from routes.errors import MapError
from routes.publish.layers import DECIMALS

_BEND = 0.18  # control-point offset, as a share of the chord
_CURVE_POINTS = 25
_ARROW_AT = 0.55  # arrow tip position along the curve
_ARROW_SHARE = 0.07  # arrow barb length as a share of the chord...
_ARROW_MAX_M = 45_000.0  # ...at most this many (Web Mercator) metres
_ARROW_HALF_ANGLE = np.deg2rad(28)


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
    lonlat = np.round(lonlat, DECIMALS).reshape(n, _CURVE_POINTS + 3, 2)
    parts[0::2] = shapely.linestrings(lonlat[:, :_CURVE_POINTS])
    parts[1::2] = shapely.linestrings(lonlat[:, _CURVE_POINTS:])
    curves = shapely.multilinestrings(parts, indices=np.repeat(np.arange(n), 2))
    assert isinstance(curves, np.ndarray)  # with indices, shapely gives an array of n geometries
    return curves


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
