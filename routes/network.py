"""Route networks: places as nodes, the consecutive steps of people's journeys as directed segments.

A :class:`RouteNetwork` turns the events table (one row a step of a person's route, see
``docs/architecture.md``) into a plain :mod:`networkx` ``DiGraph`` with OSMnx-like attributes and two
GeoDataFrames of measures, ``places`` and ``segments``. Every count is a count of **distinct people**,
never of rows: a person who walks the same segment twice counts once.

How events become a network
---------------------------
* A person's **journey** is the ordered list of the places of their non-incident steps (recruitment,
  transit, exploitation), ordered by ``seq``; consecutive repeats of one place collapse into one visit.
  A journey may revisit a place (A → B → A): the revisit is kept, but a segment never loops on itself.
  A journey of a single place is a place visit with no segment (see
  :meth:`~RouteNetwork.reconciliation`).
* An **incident** event with a ``place_id`` counts at that place *and* on the segment the person was
  travelling when it happened (from their previous route place to their next one).
* An event with its own coordinates and no known place snaps to the nearest gazetteer place within
  ``snap_place_m`` metres; an incident that is farther than that snaps to the nearest segment within
  ``snap_segment_m`` metres. Distances are geodesic (WGS 84): candidates come from a shapely
  ``STRtree`` in an azimuthal equidistant projection centred on the data, then the nearest point is
  measured with :class:`pyproj.Geod`.
* Any other event goes to :attr:`RouteNetwork.unattached` with a ``reason``; the reconciliation table
  accounts for every input event.

Order: events are taken in ``seq`` order within a case. Two events of one case with the same ``seq``
raise :class:`~routes.errors.CaseDataError` (the order cannot be known); dates that decrease while
``seq`` increases keep the ``seq`` order and raise a ``UserWarning`` naming the cases.

Rates are incidents per 100 people passing, with a Wilson 95 % interval and an empirical-Bayes
(beta-binomial, method-of-moments prior) shrunk rate, so that one incident among two people does not
top a ranking above 40 among 200.
"""

from __future__ import annotations

import html
import itertools
import warnings
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from os import PathLike
from typing import TYPE_CHECKING, Generic, Literal, TypeVar, cast, overload

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Geod, Transformer

from routes._records import (
    NO_MONTH,
    RISKS,
    case_attributes,
    codes_of,
    count_people,
    month_periods,
    risk_codes,
    timestamps,
)
from routes._stats import wilson_interval
from routes._text import did_you_mean, normalize_key
from routes.errors import CaseDataError, NetworkError, PlaceNotFoundError, Problem
from routes.schema import MULTI_SEPARATOR, UNKNOWN, VOCABULARIES

if TYPE_CHECKING:
    from scipy import sparse

    from routes.places import Gazetteer

__all__ = [
    "RouteNetwork",
    "RoutePath",
    "beta_binomial_prior",
    "local_projection",
    "snap_points_to_lines",
    "wilson_interval",
]

CRS_LONLAT = "EPSG:4326"
GEOD = Geod(ellps="WGS84")
STAGES: tuple[str, ...] = VOCABULARIES["stage"].codes
INCIDENT = "incident"
BY_KEYS = ("stage", "case_type", "month", "consent_reporting")
ARROW = " → "
# An azimuthal equidistant projection stretches distances across the radius by up to ~25 % within
# 7,000 km of its centre; snapping candidates are searched that much farther, then measured exactly.
_PROJECTION_SLACK = 1.25
_SNAP_CHUNK = 100_000  # points per batch when snapping: bounds the candidate-pair arrays
_MAX_ROWS_COMPARED = 64  # above this many rows for one person, distinct rows are found by hashing
T = TypeVar("T")

# Reconciliation statuses: every input event gets exactly one.
ROUTE_STEP = "route step"
ROUTE_REPEAT = "route step repeating the previous place (collapsed)"
ROUTE_SINGLE = "route step of a single-place journey (no segment)"
INCIDENT_PLACE_SEGMENT = "incident at a place and on its segment"
INCIDENT_PLACE = "incident at a place"
INCIDENT_SEGMENT = "incident on a segment"
UNATTACHED_NO_PLACE = "no place or coordinates"
UNATTACHED_UNKNOWN_PLACE = "place_id not in the gazetteer and no coordinates"
UNATTACHED_FAR = "beyond snapping radius"
UNATTACHED_NO_JOURNEYS = ("no place within snapping radius and no segment to snap to (no journeys: flows "
                          "need at least two steps per person)")
UNATTACHED_REASONS = (UNATTACHED_NO_PLACE, UNATTACHED_UNKNOWN_PLACE, UNATTACHED_FAR, UNATTACHED_NO_JOURNEYS)


# --------------------------------------------------------------------------------------------------
# Statistics
# --------------------------------------------------------------------------------------------------


def beta_binomial_prior(successes: np.ndarray, trials: np.ndarray) -> tuple[float, float]:
    """Method-of-moments Beta(alpha, beta) prior of the rates of many units (places or segments).

    The overdispersion ``rho = 1 / (alpha + beta + 1)`` comes from the people-weighted spread of the
    observed rates around the pooled rate, minus the spread binomial noise alone would give. When the
    rates vary no more than noise, ``rho`` is floored at 1e-6 (nearly complete pooling).

    Returns
    -------
    alpha, beta
        ``(0, 0)`` when there are no people or no incidents at all (nothing to shrink towards).
    """
    x = np.asarray(successes, dtype=float)
    n = np.asarray(trials, dtype=float)
    keep = n > 0
    x, n = x[keep], n[keep]
    total = n.sum()
    if total == 0 or x.sum() == 0:
        return 0.0, 0.0
    mean = x.sum() / total
    if mean >= 1:
        return 1e6, 0.0
    k = len(n)
    spread = np.sum(n * (x / n - mean) ** 2) / (mean * (1 - mean))
    rho = (spread - (k - 1)) / (total - (k - 1)) if total > k - 1 else 0.0
    rho = float(np.clip(rho, 1e-6, 1 - 1e-6))
    strength = 1 / rho - 1
    return mean * strength, (1 - mean) * strength


def _rates(n_incidents: np.ndarray, n_people: np.ndarray) -> dict[str, np.ndarray]:
    """Incident rate per 100 people, its Wilson interval and its empirical-Bayes shrunk value."""
    x = np.asarray(n_incidents, dtype=float)
    n = np.asarray(n_people, dtype=float)
    low, high = wilson_interval(x, n)
    alpha, beta = beta_binomial_prior(x, n)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(n > 0, x / n, np.nan)
        shrunk = np.where(n > 0, (x + alpha) / (n + alpha + beta), np.nan) if alpha + beta > 0 else rate
    return {
        "incident_rate": 100 * rate,
        "rate_low": 100 * low,
        "rate_high": 100 * high,
        "rate_shrunk": 100 * shrunk,
    }


# --------------------------------------------------------------------------------------------------
# Geometry
# --------------------------------------------------------------------------------------------------


def local_projection(lon: np.ndarray, lat: np.ndarray) -> CRS:
    """An azimuthal equidistant CRS in metres centred on the mean of the given points.

    Distances from the centre are exact; elsewhere the scale error stays under 1 % within 1,500 km
    and under 4 % within 3,000 km, which covers the corridors from Caracas to Lima. Snapping uses it
    only to find candidates and measures the final distance geodesically.
    """
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    if lon.size == 0:
        raise NetworkError("cannot centre a projection on no points")
    # Mean of unit vectors, so data on both sides of the antimeridian still centre correctly.
    phi, lam = np.radians(lat), np.radians(lon)
    x, y, z = np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)
    lon0 = np.degrees(np.arctan2(y.mean(), x.mean()))
    lat0 = np.degrees(np.arctan2(z.mean(), np.hypot(x.mean(), y.mean())))
    return CRS.from_proj4(f"+proj=aeqd +lat_0={lat0:.6f} +lon_0={lon0:.6f} +datum=WGS84 +units=m +no_defs")


def _projector(crs: CRS) -> tuple[Transformer, Transformer]:
    forward = Transformer.from_crs(CRS_LONLAT, crs, always_xy=True)
    backward = Transformer.from_crs(crs, CRS_LONLAT, always_xy=True)
    return forward, backward


def _project_geometries(geoms: np.ndarray, forward: Transformer) -> np.ndarray:
    return shapely.transform(geoms, lambda xy: np.column_stack(forward.transform(xy[:, 0], xy[:, 1])))


def snap_points_to_lines(
    lon: np.ndarray,
    lat: np.ndarray,
    lines: np.ndarray | gpd.GeoSeries,
    *,
    max_distance_m: float,
    crs: CRS | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Index of the nearest line to each point within ``max_distance_m`` geodesic metres.

    Parameters
    ----------
    lon, lat
        Point coordinates in degrees (WGS 84).
    lines
        LineStrings in EPSG:4326.
    max_distance_m
        Snapping radius in metres.
    crs
        Projected CRS used to find candidates; by default :func:`local_projection` of the lines.

    Returns
    -------
    index, metres
        ``index[i]`` is the position in ``lines`` of the nearest line to point ``i``, or -1 when none
        lies within the radius; ``metres[i]`` is the geodesic distance to it (NaN for -1).
    """
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    lines = np.asarray(lines.array if isinstance(lines, gpd.GeoSeries) else lines, dtype=object)
    index = np.full(lon.shape, -1, dtype=np.int64)
    metres = np.full(lon.shape, np.nan)
    if lon.size == 0 or lines.size == 0:
        return index, metres
    if crs is None:
        coords = shapely.get_coordinates(lines)
        crs = local_projection(coords[:, 0], coords[:, 1])
    forward, backward = _projector(crs)
    projected_lines = _project_geometries(lines, forward)
    tree = shapely.STRtree(projected_lines)
    reach = max_distance_m * _PROJECTION_SLACK
    for start in range(0, lon.size, _SNAP_CHUNK):
        chunk = slice(start, start + _SNAP_CHUNK)
        px, py = forward.transform(lon[chunk], lat[chunk])
        points = shapely.points(px, py)
        # Candidates by bounding box (cheap), then exact planar distances, nearest per point.
        which_point, which_line = tree.query(shapely.box(px - reach, py - reach, px + reach, py + reach))
        if not (np.diff(which_point) >= 0).all():
            by_point = np.argsort(which_point, kind="stable")
            which_point, which_line = which_point[by_point], which_line[by_point]
        planar = shapely.distance(points[which_point], projected_lines[which_line])
        close = planar <= reach
        which_point, which_line, planar = which_point[close], which_line[close], planar[close]
        first = _first_minimum(which_point, planar)
        which_point, which_line = which_point[first], which_line[first]
        # Geodesic metres from the point to the nearest point of the line.
        hit_lines = projected_lines[which_line]
        along = shapely.line_locate_point(hit_lines, points[which_point])
        nearest = shapely.line_interpolate_point(hit_lines, along)
        nlon, nlat = backward.transform(shapely.get_x(nearest), shapely.get_y(nearest))
        rows = which_point + start
        _, _, distance = GEOD.inv(lon[rows], lat[rows], nlon, nlat)
        inside = distance <= max_distance_m
        index[rows[inside]] = which_line[inside]
        metres[rows[inside]] = distance[inside]
    return index, metres


def _first_minimum(group: np.ndarray, value: np.ndarray) -> np.ndarray:
    """Position of the smallest ``value`` of each run of equal ``group`` codes (``group`` sorted)."""
    if len(group) == 0:
        return np.zeros(0, dtype=np.int64)
    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    smallest = np.repeat(np.minimum.reduceat(value, starts), np.diff(np.r_[starts, len(group)]))
    candidates = np.flatnonzero(value == smallest)
    owner = group[candidates]
    return candidates[np.r_[True, owner[1:] != owner[:-1]]]


def _straight_lines(x0: np.ndarray, y0: np.ndarray, x1: np.ndarray, y1: np.ndarray) -> np.ndarray:
    coords = np.stack([np.column_stack([x0, y0]), np.column_stack([x1, y1])], axis=1)
    lines = shapely.linestrings(coords)
    assert isinstance(lines, np.ndarray)  # (n, 2, 2) coordinates make an array of n lines
    return lines


def _geodesic_lengths(lines: np.ndarray) -> np.ndarray:
    """Geodesic length in metres of each EPSG:4326 line (vectorised over two-point lines)."""
    counts = shapely.get_num_coordinates(lines)
    lengths = np.empty(len(lines))
    simple = counts == 2
    if simple.any():
        c = shapely.get_coordinates(lines[simple]).reshape(-1, 2, 2)
        lengths[simple] = GEOD.inv(c[:, 0, 0], c[:, 0, 1], c[:, 1, 0], c[:, 1, 1])[2]
    for i in np.flatnonzero(~simple):  # user-supplied road geometries: few, many vertices each
        lengths[i] = GEOD.geometry_length(lines[i])
    return lengths


# --------------------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RoutePath:
    """A path through the network, returned by :meth:`RouteNetwork.most_used_path` and friends.

    Attributes
    ----------
    places
        The places in travel order (index ``place_id``).
    segments
        The segments in travel order (MultiIndex ``(u, v)``) with their measures.
    criterion
        What was optimised: ``"most used"`` or ``"safest"``.
    """

    places: gpd.GeoDataFrame
    segments: gpd.GeoDataFrame
    criterion: str

    @property
    def names(self) -> list[str]:
        """Place names in travel order."""
        return self.places["name"].astype(str).tolist()

    @property
    def length_m(self) -> float:
        """Total geodesic length in metres."""
        return float(self.segments["length_m"].sum())

    @property
    def expected_incidents(self) -> float:
        """Expected incidents per person walking the path: sum of the segments' shrunk rates / 100."""
        return float(np.nansum(self.segments["rate_shrunk"].to_numpy(dtype=float)) / 100)

    @property
    def p_incident(self) -> float:
        """Probability of at least one incident on the path if segments were independent."""
        p = np.nan_to_num(self.segments["rate_shrunk"].to_numpy(dtype=float) / 100)
        return float(1 - np.prod(1 - p))

    @property
    def min_people(self) -> int:
        """People on the path's least used segment."""
        return int(self.segments["n_people"].min())

    def to_gdf(self) -> gpd.GeoDataFrame:
        """The path's segments in order, one row each."""
        return self.segments.copy()

    def __repr__(self) -> str:
        return (
            f"RoutePath({self.criterion}: {ARROW.join(self.names)}; {self.length_m / 1000:,.0f} km, "
            f"{self.expected_incidents:.2f} expected incidents per person)"
        )


# --------------------------------------------------------------------------------------------------
# The network
# --------------------------------------------------------------------------------------------------


class _Table(Generic[T]):
    """A table attribute of :class:`RouteNetwork`: set by the constructor, or computed from the
    events on first read.

    :meth:`RouteNetwork.from_events` does only the core build (places and segments with their
    distinct people); each other table, and the measure columns of ``places`` and ``segments``,
    is made by the network's ``_NetworkBuilder`` the first time it is read, then kept.
    """

    def __init__(self, source: str | None = None) -> None:
        self._source = source

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name
        self.source = self._source or name

    @overload
    def __get__(self, network: None, owner: type) -> _Table[T]: ...

    @overload
    def __get__(self, network: RouteNetwork, owner: type) -> T: ...

    def __get__(self, network: RouteNetwork | None, owner: type) -> T | _Table[T]:
        if network is None:
            return self
        if self.name not in network._tables:
            network._tables[self.name] = getattr(network._builder, self.source)
        return network._tables[self.name]  # type: ignore[return-value]

    def __set__(self, network: RouteNetwork, table: T) -> None:
        network._tables[self.name] = table


class RouteNetwork:
    """Places as nodes, journeys' consecutive steps as directed segments, measured on distinct people.

    Build one with :meth:`from_events`, :meth:`from_journeys` or :meth:`from_gdfs`; the constructor
    takes the already computed tables. A network built from events computes each table below the
    first time it is read, then keeps it: building pays only for checking the events and counting
    distinct people per place and segment.

    Attributes
    ----------
    graph : networkx.DiGraph
        Nodes keyed by ``place_id`` with ``x``, ``y``, ``geometry`` and the place measures; edges
        ``(u, v)`` with ``geometry``, ``length_m`` and the segment measures; ``graph.graph["crs"]``.
    places : geopandas.GeoDataFrame
        One row a place (index ``place_id``): ``n_people``, ``n_<stage>``, ``share`` (of journeys
        through it), ``pass_share`` (through it but not starting or ending there), ``n_incidents``,
        ``incident_rate``, ``rate_low``, ``rate_high``, ``rate_shrunk`` (per 100 people),
        ``risk_<code>`` (people with that risk there), ``cut_pairs``, ``cut_people`` and
        ``cut_people_reporting`` (those of them who consented to reporting).
    segments : geopandas.GeoDataFrame
        One row a segment (MultiIndex ``(u, v)``): the same measures plus ``name`` and ``length_m``.
    journeys : pandas.DataFrame
        One row a collapsed route step: ``case_id``, ``pos`` (0-based), ``place_id``, ``stage``, ``month``.
    place_people, segment_people, incident_people : pandas.DataFrame
        Long membership tables (one row a person in a cell) for the disclosure-control layer, which
        counts distinct people per cell: see :meth:`from_events`.
    unattached : pandas.DataFrame
        Input events that are not in the network, with their ``reason``.
    """

    places = _Table[gpd.GeoDataFrame]()
    segments = _Table[gpd.GeoDataFrame]()
    journeys = _Table["pd.DataFrame | None"]()
    place_people = _Table["pd.DataFrame | None"]()
    segment_people = _Table["pd.DataFrame | None"]()
    incident_people = _Table["pd.DataFrame | None"]()
    unattached = _Table[pd.DataFrame]()
    _event_status = _Table["pd.DataFrame | None"]("event_status")

    def __init__(
        self,
        places: gpd.GeoDataFrame,
        segments: gpd.GeoDataFrame,
        *,
        journeys: pd.DataFrame | None = None,
        place_people: pd.DataFrame | None = None,
        segment_people: pd.DataFrame | None = None,
        incident_people: pd.DataFrame | None = None,
        unattached: pd.DataFrame | None = None,
        event_status: pd.DataFrame | None = None,
        gazetteer: Gazetteer | None = None,
    ) -> None:
        self._tables: dict[str, object] = {}
        self._builder: _NetworkBuilder | None = None
        self.places = places
        self.segments = segments
        self.journeys = journeys
        self.place_people = place_people
        self.segment_people = segment_people
        self.incident_people = incident_people
        self.unattached = unattached if unattached is not None else pd.DataFrame(columns=["reason"])
        self._event_status = event_status
        self.gazetteer = gazetteer
        self._graph: nx.DiGraph | None = None

    @classmethod
    def _from_builder(cls, builder: _NetworkBuilder) -> RouteNetwork:
        """A network whose tables ``builder`` (its core build done) computes when first read."""
        network = cls.__new__(cls)
        network._tables, network._builder, network._graph = {}, builder, None
        network.gazetteer = builder.gazetteer
        return network

    @property
    def graph(self) -> nx.DiGraph:
        """The network as a networkx ``DiGraph`` (built from ``places`` and ``segments`` on first use)."""
        if self._graph is None:
            self._graph = _graph_from_tables(self.places, self.segments)
        return self._graph

    # -- construction ------------------------------------------------------------------------------

    @classmethod
    def from_events(
        cls,
        events: pd.DataFrame,
        *,
        cases: pd.DataFrame | None = None,
        gazetteer: Gazetteer | None = None,
        snap_place_m: float = 5_000,
        snap_segment_m: float = 20_000,
        path_geometries: gpd.GeoDataFrame | gpd.GeoSeries | None = None,
        n_cut_candidates: int = 20,
    ) -> RouteNetwork:
        """Build the network from an events table (``docs/architecture.md``).

        Parameters
        ----------
        events
            One row a step: ``case_id``, ``seq``, ``stage`` and ``place_id`` and/or ``lat``/``lon``;
            ``date`` and ``risk`` (``;`` codes) are used when present.
        cases
            The cases table; gives ``case_type``, ``consent_reporting`` and ``date_registered``
            (the month of a step without a date). Without it those are ``"unknown"``.
        gazetteer
            The place gazetteer; :func:`routes.places.load_gazetteer` by default.
        snap_place_m
            Events with coordinates but no known place snap to the nearest place within this many metres.
        snap_segment_m
            Incidents farther than ``snap_place_m`` from any place snap to the nearest segment
            within this many metres.
        path_geometries
            Optional real paths (e.g. roads) keyed by a ``(u, v)`` MultiIndex, in EPSG:4326; other
            segments are straight lines between their places.
        n_cut_candidates
            How many places and segments (the most passed-through) get the ``cut_pairs`` test.

        Returns
        -------
        RouteNetwork
            With membership tables ``place_people`` (``case_id, place_id, stage, month, case_type,
            consent_reporting``), ``segment_people`` (``case_id, u, v, stage, month, ...``; the stage
            and month of the step arriving at ``v``) and ``incident_people`` (``case_id, u, v,
            place_id, risk, month, ...``; one row per risk code, ``u``/``v`` or ``place_id`` empty).
            Only the distinct people per place and segment are counted here; every table, and the
            other measures of ``places`` and ``segments``, is computed from the events as given
            when first read.

        Raises
        ------
        CaseDataError
            Missing columns, steps without ``case_id`` or ``seq``, unknown stages, two steps of one
            case with the same ``seq`` (listing the cases), or a cases table without ``case_id``.
        """
        if gazetteer is None:
            from routes.places import load_gazetteer

            gazetteer = load_gazetteer()
        return cls._from_builder(_NetworkBuilder(
            events, cases=cases, gazetteer=gazetteer, snap_place_m=snap_place_m,
            snap_segment_m=snap_segment_m, path_geometries=path_geometries, n_cut_candidates=n_cut_candidates,
        ))

    @classmethod
    def from_journeys(
        cls,
        journeys: Iterable[Sequence[str]] | Mapping[Hashable, Sequence[str]],
        *,
        gazetteer: Gazetteer | None = None,
        stage: str = "transit",
        n_cut_candidates: int = 20,
    ) -> RouteNetwork:
        """Build the network from place sequences, one a person (names or place ids).

        Parameters
        ----------
        journeys
            A list of place sequences (people get ids ``"j0"``, ``"j1"``...) or a mapping from a
            person's id to their sequence.
        gazetteer
            Resolves names and aliases (accent- and case-insensitive); the bundled one by default.
        stage
            Stage given to every step.

        Raises
        ------
        PlaceNotFoundError
            For the first unknown name, with suggestions.
        """
        if gazetteer is None:
            from routes.places import load_gazetteer

            gazetteer = load_gazetteer()
        if isinstance(journeys, Mapping):
            ids, sequences = list(journeys.keys()), list(journeys.values())
        else:
            sequences = [list(j) if not isinstance(j, str) else [j] for j in journeys]
            ids = [f"j{i}" for i in range(len(sequences))]
        lengths = np.fromiter((len(s) for s in sequences), dtype=np.int64, count=len(sequences))
        names = pd.Series([name for sequence in sequences for name in sequence], dtype=object)
        events = pd.DataFrame(
            {
                "case_id": np.repeat(np.asarray(ids, dtype=object), lengths),
                "seq": _positions(lengths) + 1,
                "stage": stage,
                "place_id": _resolve_names(names, gazetteer),
            }
        )
        return cls.from_events(events, gazetteer=gazetteer, n_cut_candidates=n_cut_candidates)

    @classmethod
    def from_gdfs(
        cls,
        nodes: gpd.GeoDataFrame,
        edges: gpd.GeoDataFrame,
        *,
        journeys: pd.DataFrame | None = None,
        place_people: pd.DataFrame | None = None,
        segment_people: pd.DataFrame | None = None,
        incident_people: pd.DataFrame | None = None,
        gazetteer: Gazetteer | None = None,
    ) -> RouteNetwork:
        """Rebuild a network from :meth:`to_gdfs` output (OSMnx ``graph_from_gdfs`` convention).

        Every measure column survives. The membership tables and journeys do not travel in the
        GeoDataFrames: pass them to get :meth:`flows`, :meth:`frequent_routes`, :meth:`corridors`
        and :meth:`emerging_segments` back; without them those raise :class:`NetworkError`.

        Raises
        ------
        NetworkError
            Nodes without ``x``/``y`` or with repeated ids, edges without a ``(u, v)`` index or
            whose ends are not nodes.
        """
        problems: list[str] = []
        if not {"x", "y"} <= set(nodes.columns):
            problems.append("`nodes` must have 'x' and 'y' columns")
        if not nodes.index.is_unique:
            problems.append("`nodes` index (place_id) has repeated values")
        if {"u", "v"} <= set(edges.columns):
            edges = edges.set_index(["u", "v"])
        if list(edges.index.names) != ["u", "v"]:
            problems.append(f"`edges` must be indexed by (u, v); got index names {list(edges.index.names)}")
        else:
            ends = set(edges.index.get_level_values("u")) | set(edges.index.get_level_values("v"))
            missing = sorted(map(str, ends - set(nodes.index)))
            if missing:
                problems.append(f"edge ends not among the nodes: {missing[:10]}")
        if problems:
            raise NetworkError("cannot rebuild a RouteNetwork: " + "; ".join(problems))
        places = gpd.GeoDataFrame(
            nodes.drop(columns="geometry", errors="ignore"),
            geometry=gpd.points_from_xy(nodes["x"], nodes["y"]),
            crs=CRS_LONLAT,
        )
        places.index.name = "place_id"
        segments = edges.to_crs(CRS_LONLAT) if edges.crs is not None else edges.set_crs(CRS_LONLAT)
        return cls(
            places, segments, journeys=journeys, place_people=place_people,
            segment_people=segment_people, incident_people=incident_people, gazetteer=gazetteer,
        )

    # -- export ------------------------------------------------------------------------------------

    def to_gdfs(self) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
        """Nodes (index ``place_id``, ``x``, ``y``) and edges (MultiIndex ``(u, v)``) as GeoDataFrames."""
        return self.places.copy(), self.segments.copy()

    def to_file(self, path: str | PathLike[str]) -> None:
        """Write a GeoPackage with layers ``places`` and ``segments`` (list cells become ``;`` text).

        This is the analyst's working file: it holds counts below any publication threshold. Publish
        through :mod:`routes.privacy`.
        """
        for layer, table in (("places", self.places), ("segments", self.segments)):
            flat = table.reset_index()
            for column in flat.columns:
                if column != "geometry" and flat[column].map(lambda v: isinstance(v, list | tuple)).any():
                    flat[column] = flat[column].map(
                        lambda v: MULTI_SEPARATOR.join(map(str, v)) if isinstance(v, list | tuple) else v
                    )
            flat.to_file(path, layer=layer, driver="GPKG")

    # -- accounting --------------------------------------------------------------------------------

    @property
    def n_people(self) -> int:
        """Distinct people with at least one route step in the network."""
        return 0 if self.journeys is None else int(self.journeys["case_id"].nunique())

    def reconciliation(self) -> pd.DataFrame:
        """Where every input event went: events and distinct people per status, with a total.

        The rows partition the input: route steps (kept, collapsed repeats, single-place journeys),
        incidents (at a place, on a segment, both) and unattached events by reason. ``how`` tells
        whether the place came from ``place_id`` or from snapping coordinates.
        """
        status = self._require(self._event_status, "the event status")
        table = (
            status.groupby(["status", "how"], observed=True)
            .agg(n_events=("case_id", "size"), n_people=("case_id", "nunique"))
            .reset_index()
        )
        order = {s: i for i, s in enumerate((ROUTE_STEP, ROUTE_REPEAT, ROUTE_SINGLE, INCIDENT_PLACE_SEGMENT,
                                             INCIDENT_PLACE, INCIDENT_SEGMENT, *UNATTACHED_REASONS))}
        table = table.sort_values("status", key=lambda s: s.map(order)).reset_index(drop=True)
        total = pd.DataFrame(
            {"status": ["total"], "how": [""], "n_events": [len(status)],
             "n_people": [status["case_id"].nunique()]}
        )
        return pd.concat([table, total], ignore_index=True)

    # -- flows -------------------------------------------------------------------------------------

    def flows(
        self, by: Literal["stage", "case_type", "month", "consent_reporting"] = "stage"
    ) -> pd.DataFrame:
        """Distinct people per segment and value of ``by``: columns ``u, v, <by>, n_people``."""
        members = self._require(self.segment_people, "segment memberships")
        return _count_by(members, ["u", "v"], by)

    def place_flows(
        self, by: Literal["stage", "case_type", "month", "consent_reporting"] = "stage"
    ) -> pd.DataFrame:
        """Distinct people per place and value of ``by``: columns ``place_id, <by>, n_people``."""
        members = self._require(self.place_people, "place memberships")
        return _count_by(members, ["place_id"], by)

    # -- rankings ----------------------------------------------------------------------------------

    def riskiest(
        self,
        kind: Literal["segments", "places"] = "segments",
        *,
        risk: str | None = None,
        top: int = 10,
        min_people: int = 0,
    ) -> pd.DataFrame:
        """Places or segments ranked by shrunk incident rate (of one risk type when ``risk`` is given).

        Ties break on the number of people with incidents, then on people passing.
        """
        table = self._table(kind)
        table = table[table["n_people"] >= min_people]
        if risk is not None:
            column = f"risk_{_risk_code(risk)}"
            rates = pd.DataFrame(_rates(table[column].to_numpy(), table["n_people"].to_numpy()),
                                 index=table.index)
            table = table.drop(columns=list(rates.columns)).assign(n_incidents=table[column], **rates)
        ranked = table.sort_values(["rate_shrunk", "n_incidents", "n_people"], ascending=False)
        columns = ["name", "n_people", "n_incidents", "incident_rate", "rate_low", "rate_high", "rate_shrunk"]
        return pd.DataFrame(ranked[columns].head(top))

    def chokepoints(self, *, top: int = 10, kind: Literal["places", "segments"] = "places") -> pd.DataFrame:
        """Places (or segments) most journeys pass through, with the OD pairs their loss would cut.

        ``share`` is the fraction of people whose journey includes it; for places ``pass_share``
        leaves out journeys that start or end there. ``cut_pairs`` counts observed origin →
        destination pairs (first → last place of journeys, neither being the place itself) with no
        remaining path once it is removed; ``cut_people`` the people with those pairs. Cuts are
        computed for the most passed-through candidates only (``n_cut_candidates``); others are NA.
        """
        table = self._table(kind)
        key = "pass_share" if kind == "places" else "share"
        columns = ["name", "n_people", "share", *(["pass_share"] if kind == "places" else []),
                   "cut_pairs", "cut_people"]
        ranked = table.sort_values([key, "cut_pairs", "n_people"], ascending=False, na_position="last")
        return pd.DataFrame(ranked[columns].head(top))

    # -- routes ------------------------------------------------------------------------------------

    def frequent_routes(self, *, top: int = 10, min_length: int = 2, subroutes: bool = False) -> pd.DataFrame:
        """The most frequent routes, counted on distinct people.

        Parameters
        ----------
        top
            Rows returned.
        min_length
            Fewest places in a route.
        subroutes
            Count every contiguous sub-route of ``min_length`` places or more (a person counts once
            per sub-route however often it recurs in their journey) instead of whole journeys.

        Returns
        -------
        pandas.DataFrame
            ``route`` (names joined by " → "), ``place_ids`` (tuple), ``n_places``, ``n_people``,
            ``share`` (of all people with a journey), most frequent first.
        """
        if min_length < 1:
            raise NetworkError(f"`min_length` must be at least 1; got {min_length}")
        matrix = self._journey_matrix()
        n_journeys = len(matrix)
        width = matrix.shape[1]
        keys: list[pd.DataFrame] = []
        lengths = range(min_length, width + 1) if subroutes else [None]
        for length in lengths:
            if length is None:
                rows = matrix[(matrix >= 0).sum(axis=1) >= min_length]
                windows = pd.DataFrame(rows)
                people = np.arange(len(rows))
            else:
                view = np.lib.stride_tricks.sliding_window_view(matrix, length, axis=1)
                owner, start = np.nonzero(view[:, :, -1] >= 0)
                windows = pd.DataFrame(view[owner, start])
                windows = windows.reindex(columns=range(width), fill_value=-1)
                people = owner
            windows.insert(0, "person", people)
            keys.append(windows.drop_duplicates())
        distinct = pd.concat(keys, ignore_index=True)
        counted = (
            distinct.groupby(list(range(width)), sort=False).size().rename("n_people").reset_index()
        )
        counted = counted.sort_values("n_people", ascending=False, kind="stable").head(top * 4 + 10)
        ids = self.places.index.to_numpy()
        names = self.places["name"].astype(str).to_numpy()
        codes = counted[list(range(width))].to_numpy()
        counted = pd.DataFrame(
            {
                "route": [ARROW.join(names[c[c >= 0]]) for c in codes],
                "place_ids": [tuple(ids[c[c >= 0]]) for c in codes],
                "n_places": (codes >= 0).sum(axis=1),
                "n_people": counted["n_people"].to_numpy(),
            }
        )
        counted["share"] = counted["n_people"] / max(n_journeys, 1)
        return (
            counted.sort_values(["n_people", "n_places", "route"], ascending=[False, False, True])
            .head(top)
            .reset_index(drop=True)
        )

    def corridors(self, *, min_share: float = 0.5) -> pd.DataFrame:
        """Group journeys that share most of their segments into named corridors.

        Two distinct journeys are linked when the Jaccard similarity of their segment sets is at
        least ``min_share``; corridors are the connected components of that graph (single linkage,
        computed on the sparse journey × segment incidence matrix). Each corridor is named after
        its most common origin and destination, e.g. ``"Cúcuta → Lima"``. Journeys without a
        segment are left out.

        Returns
        -------
        pandas.DataFrame
            Index ``corridor`` (0 = most people): ``name``, ``origin``, ``destination``,
            ``n_people``, ``n_routes`` (distinct journeys), ``top_route``, ``segments`` (list of
            ``(u, v)`` used by any of its journeys).
        """
        from scipy import sparse
        from scipy.sparse.csgraph import connected_components

        if not 0 < min_share <= 1:
            raise NetworkError(f"`min_share` must be in (0, 1]; got {min_share}")
        matrix = self._journey_matrix()
        routes, weight = np.unique(matrix, axis=0, return_counts=True)
        has_segment = (routes[:, 1] >= 0) if routes.shape[1] > 1 else np.zeros(len(routes), bool)
        routes, weight = routes[has_segment], weight[has_segment]
        if len(routes) == 0:
            raise NetworkError("no journey has a segment: nothing to group into corridors")
        n_places = len(self.places)
        row, col = np.nonzero((routes[:, :-1] >= 0) & (routes[:, 1:] >= 0))
        segment_key = routes[row, col].astype(np.int64) * n_places + routes[row, col + 1]
        segment_code, segment_keys = pd.factorize(segment_key)
        incidence = sparse.csr_matrix(
            (np.ones(len(row)), (row, segment_code)), shape=(len(routes), len(segment_keys))
        )
        incidence.data[:] = 1  # a revisited segment is one member of the set
        incidence.sum_duplicates()
        incidence.data[:] = 1
        sizes = np.asarray(incidence.sum(axis=1)).ravel()
        shared = (incidence @ incidence.T).tocoo()
        jaccard = shared.data / (sizes[shared.row] + sizes[shared.col] - shared.data)
        keep = jaccard >= min_share
        linked = sparse.coo_matrix((np.ones(keep.sum()), (shared.row[keep], shared.col[keep])),
                                   shape=shared.shape)
        _, label = connected_components(linked, directed=False)
        last = (routes >= 0).sum(axis=1) - 1
        ids = self.places.index.to_numpy()
        names = self.places["name"].astype(str).to_numpy()
        frame = pd.DataFrame({"label": label, "weight": weight, "origin": routes[:, 0],
                              "destination": routes[np.arange(len(routes)), last]})
        rows = []
        for _, group in frame.groupby("label"):
            # the labels are place positions and route rows (ints); pandas-stubs types idxmax as Hashable
            origin = cast(int, group.groupby("origin")["weight"].sum().idxmax())
            destination = cast(int, group.groupby("destination")["weight"].sum().idxmax())
            top_route = routes[cast(int, group["weight"].idxmax())]
            members = incidence[group.index.to_numpy()].sum(axis=0).A1 > 0
            used = segment_keys[members]
            rows.append(
                {
                    "name": f"{names[origin]}{ARROW}{names[destination]}",
                    "origin": ids[origin],
                    "destination": ids[destination],
                    "n_people": int(group["weight"].sum()),
                    "n_routes": len(group),
                    "top_route": ARROW.join(names[top_route[top_route >= 0]]),
                    "segments": [(ids[k // n_places], ids[k % n_places]) for k in used],
                }
            )
        table = pd.DataFrame(rows).sort_values(["n_people", "name"], ascending=[False, True])
        table.index = pd.RangeIndex(len(table), name="corridor")
        return table

    # -- paths -------------------------------------------------------------------------------------

    def most_used_path(self, source: str, target: str) -> RoutePath:
        """The path people use most: maximises the product of segment shares (weight ``-log share``)."""
        weights = -np.log(np.clip(self.segments["share"].to_numpy(dtype=float), 1e-12, 1.0))
        return self._shortest(source, target, weights, "most used")

    def safest_path(
        self, source: str, target: str, *, risk: str | None = None, by_length: bool = False
    ) -> RoutePath:
        """The path with the lowest chance of an incident, from shrunk segment rates.

        Segment weight is ``-log(1 - p)`` with ``p`` the shrunk incident rate (of ``risk`` when
        given), so the path minimises the probability of at least one incident. With
        ``by_length=True`` the weight is multiplied by the length in km (the rate read per km).
        """
        if risk is None:
            p = self.segments["rate_shrunk"].to_numpy(dtype=float) / 100
        else:
            column = f"risk_{_risk_code(risk)}"
            counts = self.segments[column].to_numpy()
            p = _rates(counts, self.segments["n_people"].to_numpy())["rate_shrunk"] / 100
        weights = -np.log1p(-np.clip(np.nan_to_num(p), 0, 1 - 1e-9))
        if by_length:
            weights = weights * self.segments["length_m"].to_numpy(dtype=float) / 1000
        return self._shortest(source, target, weights + 1e-12, "safest")

    # -- trends and services -----------------------------------------------------------------------

    def emerging_segments(
        self,
        before: pd.Period | str | slice,
        after: pd.Period | str | slice,
        *,
        top: int = 10,
        by: Literal["people", "rate"] = "people",
    ) -> pd.DataFrame:
        """Segments whose flow or incident rate changed most between two periods.

        Parameters
        ----------
        before, after
            A period (``"2024"``, ``"2024-03"``, ``pd.Period``) or a ``slice`` of them (both ends
            included); months of the memberships falling inside count.
        by
            Rank by absolute change in people (``"people"``) or in incident rate (``"rate"``).

        Returns
        -------
        pandas.DataFrame
            ``u, v, name, n_before, n_after, change_people, rate_before, rate_after, change_rate,
            is_new`` (no one on it before).
        """
        members = self._require(self.segment_people, "segment memberships")
        incidents = self._require(self.incident_people, "incident memberships")
        incidents = incidents.dropna(subset=["u"])
        columns = {}
        for label, period in (("before", before), ("after", after)):
            people = count_people(members[_in_period(members["month"], period)], ["u", "v"])
            hit = count_people(incidents[_in_period(incidents["month"], period)], ["u", "v"])
            columns[f"n_{label}"] = people
            columns[f"incidents_{label}"] = hit
        table = pd.DataFrame(columns).fillna(0).astype(int)
        with np.errstate(invalid="ignore", divide="ignore"):
            for label in ("before", "after"):
                table[f"rate_{label}"] = np.where(
                    table[f"n_{label}"] > 0, 100 * table[f"incidents_{label}"] / table[f"n_{label}"], np.nan
                )
        table["change_people"] = table["n_after"] - table["n_before"]
        table["change_rate"] = table["rate_after"].fillna(0) - table["rate_before"].fillna(0)
        table["is_new"] = (table["n_before"] == 0) & (table["n_after"] > 0)
        table["name"] = self.segments["name"].reindex(table.index).to_numpy()
        rank = table["change_people"].abs() if by == "people" else table["change_rate"].abs()
        table = table.assign(_rank=rank).sort_values(["_rank", "n_after"], ascending=False).head(top)
        return table.reset_index()[
            ["u", "v", "name", "n_before", "n_after", "change_people", "rate_before", "rate_after",
             "change_rate", "is_new"]
        ].reset_index(drop=True)

    def service_gaps(
        self,
        services: gpd.GeoDataFrame,
        *,
        radius_km: float = 25,
        service_type: str | None = None,
        min_rate: float | None = None,
        top: int = 20,
    ) -> gpd.GeoDataFrame:
        """High-risk places and segments with no service (of ``service_type``) within ``radius_km``.

        A place or segment is high-risk when it has at least one person with an incident, or, with
        ``min_rate``, when its shrunk rate per 100 is at least ``min_rate``. Distance is to the
        nearest point of the place or segment, searched with an ``STRtree`` in the network's local
        projection and measured geodesically.

        Returns
        -------
        geopandas.GeoDataFrame
            ``kind`` (place or segment), ``id``, ``name``, ``n_people`` (people affected),
            ``n_incidents``, ``rate_shrunk``, ``nearest_service_km`` (NaN when none of that type
            exists), ``geometry``; most people first.
        """
        if "geometry" not in services or services.geometry.isna().all():
            raise NetworkError("`services` needs point geometries (read it with routes.io.read_services)")
        chosen = services
        if service_type is not None:
            chosen = services[services["service_type"].astype(str) == service_type]
        chosen = chosen.to_crs(CRS_LONLAT) if chosen.crs is not None else chosen.set_crs(CRS_LONLAT)
        parts = []
        for kind, table in (("place", self.places), ("segment", self.segments)):
            risky = table["n_incidents"] > 0
            if min_rate is not None:
                risky = table["rate_shrunk"] >= min_rate
            parts.append(
                pd.DataFrame(
                    {
                        "kind": kind,
                        "id": [i if isinstance(i, str) else tuple(i) for i in table.index[risky]],
                        "name": table.loc[risky, "name"].to_numpy(),
                        "n_people": table.loc[risky, "n_people"].to_numpy(),
                        "n_incidents": table.loc[risky, "n_incidents"].to_numpy(),
                        "rate_shrunk": table.loc[risky, "rate_shrunk"].to_numpy(),
                        # types-geopandas types a GeoSeries's rows as a pandas Series
                        "geometry": cast(gpd.GeoSeries, table.geometry[risky]).to_numpy(),
                    }
                )
            )
        targets = pd.concat(parts, ignore_index=True)
        geometries = targets["geometry"].to_numpy()
        points = chosen.geometry.to_numpy()
        nearest_m = np.full(len(targets), np.nan)
        if len(points) and len(targets):
            coords = shapely.get_coordinates(geometries)
            forward, backward = _projector(local_projection(coords[:, 0], coords[:, 1]))
            projected_targets = _project_geometries(geometries, forward)
            projected_points = _project_geometries(points, forward)
            tree = shapely.STRtree(projected_points)
            which_target, which_point = tree.query_nearest(projected_targets, all_matches=False)
            on_target = shapely.shortest_line(projected_targets[which_target],
                                              projected_points[which_point])
            ends = shapely.get_coordinates(on_target).reshape(-1, 2, 2)
            lon0, lat0 = backward.transform(ends[:, 0, 0], ends[:, 0, 1])
            lon1, lat1 = backward.transform(ends[:, 1, 0], ends[:, 1, 1])
            nearest_m[which_target] = GEOD.inv(lon0, lat0, lon1, lat1)[2]
        targets["nearest_service_km"] = nearest_m / 1000
        gaps = targets[~(targets["nearest_service_km"] <= radius_km)]
        gaps = gaps.sort_values(["n_people", "n_incidents"], ascending=False).head(top)
        return gpd.GeoDataFrame(gaps.reset_index(drop=True), geometry="geometry", crs=CRS_LONLAT)

    # -- notebook ----------------------------------------------------------------------------------

    def _summary_rows(self) -> list[tuple[str, str]]:
        rows = [
            ("people with a journey", f"{self.n_people:,}"),
            ("places", f"{len(self.places):,}"),
            ("segments", f"{len(self.segments):,}"),
            ("unattached events", f"{len(self.unattached):,}"),
        ]
        if not len(self.segments):
            rows.append(("no journeys", "flows and chokepoints need at least two steps per person"))
        elif len(self.places):
            top = self.chokepoints(top=3)
            rows.append(("top chokepoints", "; ".join(f"{row.name} ({row.pass_share:.0%} pass through)"
                                                      for row in top.itertuples())))
        return rows

    def summary(self) -> str:
        """A few lines: people with a journey, places, segments, unattached events, top chokepoints."""
        extra = [f"{name}: {value}" for name, value in self._summary_rows()[4:]]
        return "\n".join([repr(self)[1:-1], *extra])

    def __repr__(self) -> str:
        return (
            f"<RouteNetwork: {self.n_people:,} people, {len(self.places):,} places, "
            f"{len(self.segments):,} segments, {len(self.unattached):,} unattached events>"
        )

    def _repr_html_(self) -> str:
        body = "".join(f"<tr><th style='text-align:left'>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>"
                       for k, v in self._summary_rows())
        return (f"<div><strong>RouteNetwork</strong> <small>(counts of distinct people; not for "
                f"publication before routes.privacy)</small><table>{body}</table></div>")

    # -- internals ---------------------------------------------------------------------------------

    def _require(self, table: pd.DataFrame | None, what: str) -> pd.DataFrame:
        if table is None:
            raise NetworkError(
                f"this network has no {what}: it was rebuilt from GeoDataFrames without them "
                "(pass them to RouteNetwork.from_gdfs, or build with from_events)"
            )
        return table

    def _table(self, kind: str) -> gpd.GeoDataFrame:
        if kind not in ("places", "segments"):
            raise NetworkError(f"`kind` must be 'places' or 'segments'; got {kind!r}")
        return self.places if kind == "places" else self.segments

    def _journey_matrix(self) -> np.ndarray:
        """Journeys as a (people × longest journey) matrix of place positions, -1 padded."""
        journeys = self._require(self.journeys, "journeys")
        person, _ = pd.factorize(journeys["case_id"])
        place = self.places.index.get_indexer(pd.Index(journeys["place_id"]))
        pos = journeys["pos"].to_numpy()
        matrix = np.full((person.max() + 1 if len(person) else 0, pos.max() + 1 if len(pos) else 1), -1,
                         dtype=np.int32)
        matrix[person, pos] = place
        return matrix

    def _node(self, name: str) -> Hashable:
        """The place_id of a place named ``name`` (or given by id) that is in the network."""
        if name in self.graph:
            return name
        if self.gazetteer is not None:
            place_id = self.gazetteer.lookup(name).name
        else:
            keys = self.places["name"].map(normalize_key)
            hits = self.places.index[keys == normalize_key(name)]
            if len(hits) == 0:
                raise PlaceNotFoundError(name, did_you_mean(name, self.places["name"].astype(str)))
            place_id = hits[0]
        if place_id not in self.graph:
            raise NetworkError(
                f"place {name!r} ({place_id}) is in the gazetteer but on no journey of this network"
            )
        return place_id

    def _shortest(self, source: str, target: str, weights: np.ndarray, criterion: str) -> RoutePath:
        u, v = self._node(source), self._node(target)
        weighted = dict(zip(self.segments.index, weights, strict=True))
        try:
            nodes = nx.dijkstra_path(self.graph, u, v, weight=lambda a, b, _: weighted[(a, b)])
        except nx.NetworkXNoPath as error:
            raise NetworkError(f"no path from {source!r} to {target!r} in the network") from error
        pairs = list(itertools.pairwise(nodes))
        return RoutePath(self.places.loc[nodes], self.segments.loc[pairs], criterion)


class _CutTest:
    """Which observed origin → destination pairs lose every path when one place or segment goes.

    Only an OD pair whose every observed journey uses the candidate can be cut, so those are the
    only pairs tested; reachability comes from ``scipy.sparse.csgraph`` (strongly connected
    components first, a breadth-first search only from origins they leave undecided). The steps of
    all candidates are grouped in one pass, so a candidate costs the size of its own crowd.

    Parameters
    ----------
    person, node, interior
        One entry per journey step, in journey order: the journey (0, 1, ... ascending), the place
        position, and whether the step is neither the first nor the last of its journey.
    hop_person, hop_segment
        One entry per consecutive pair of steps: the journey and the segment position.
    u, v
        Place positions of each segment's ends.
    n_places
        Number of places.
    reporting
        Per journey, whether its person consented to reporting (``cut_people_reporting`` counts
        only them, so a published chokepoint mark never rests on people who did not consent).
    """

    def __init__(
        self,
        person: np.ndarray,
        node: np.ndarray,
        interior: np.ndarray,
        hop_person: np.ndarray,
        hop_segment: np.ndarray,
        u: np.ndarray,
        v: np.ndarray,
        n_places: int,
        reporting: np.ndarray,
    ) -> None:
        self.person, self.node, self.interior = person, node, interior
        self.reporting = reporting
        self.hop_person, self.hop_segment = hop_person, hop_segment
        self.u, self.v, self.n_places = u, v, n_places
        new_journey = np.r_[True, person[1:] != person[:-1]][: len(person)]
        self.origin = node[new_journey]
        self.destination = node[np.r_[new_journey[1:], True][: len(person)]]
        self.proper = self.origin != self.destination
        od_keys = self.origin.astype(np.int64) * n_places + self.destination
        self.od_keys = _present(od_keys, n_places**2)
        self.od = _positions_of(od_keys, self.od_keys, n_places**2)
        self.od_people = np.bincount(self.od[self.proper], minlength=len(self.od_keys))

    def places(self, candidates: np.ndarray) -> tuple[pd.arrays.IntegerArray, ...]:
        """The cut columns (pairs, people, reporting people) of every place; NA but at ``candidates``."""
        results = []
        for p, steps in zip(candidates, _rows_by_group(self.node, candidates, self.n_places), strict=True):
            through = _distinct_sorted(self.person[steps[self.interior[steps]]])
            through = through[(self.origin[through] != p) & (self.destination[through] != p)]
            kept = (self.u != p) & (self.v != p)
            results.append(self._cut(_distinct_sorted(self.person[steps]), through, kept))
        return _sparse_counts(candidates, results, self.n_places)

    def segments(self, candidates: np.ndarray) -> tuple[pd.arrays.IntegerArray, ...]:
        """The cut columns (pairs, people, reporting people) of every segment; NA but at ``candidates``."""
        results = []
        walked = _rows_by_group(self.hop_segment, candidates, len(self.u))
        for s, hops in zip(candidates, walked, strict=True):
            kept = np.ones(len(self.u), bool)
            kept[s] = False
            walkers = _distinct_sorted(self.hop_person[hops])
            results.append(self._cut(walkers, walkers, kept))
        return _sparse_counts(candidates, results, len(self.u))

    def _cut(self, visitors: np.ndarray, through: np.ndarray,
             kept_segments: np.ndarray) -> tuple[int, int, int]:
        """OD pairs (and their people) that pass ``through`` the candidate and lose every path.

        ``visitors`` are the people whose journey uses the candidate; a pair is cut only if no
        other person links it.
        """
        from scipy import sparse

        n_places = self.n_places
        visiting = np.bincount(self.od[visitors[self.proper[visitors]]], minlength=len(self.od_keys))
        seen_elsewhere = self.od_people > visiting
        od = self.od[through[self.proper[through]]]
        candidates = np.flatnonzero((np.bincount(od, minlength=len(self.od_keys)) > 0) & ~seen_elsewhere)
        reduced = sparse.csr_matrix(
            (np.ones(kept_segments.sum(), dtype=np.int8), (self.u[kept_segments], self.v[kept_segments])),
            shape=(n_places, n_places),
        )
        keys = self.od_keys[candidates]
        lost = candidates[~_reachable(reduced, keys // n_places, keys % n_places)]
        cut = np.isin(od, lost)
        return len(lost), int(cut.sum()), int((cut & self.reporting[through[self.proper[through]]]).sum())


def _rows_by_group(group: np.ndarray, wanted: np.ndarray, n_groups: int) -> list[np.ndarray]:
    """For each code in ``wanted``, the positions (ascending) of the rows whose ``group`` it is."""
    slot = np.full(n_groups, -1, dtype=np.int64)
    slot[wanted] = np.arange(len(wanted))
    rows = np.flatnonzero(slot[group] >= 0)
    rows = rows[np.argsort(slot[group[rows]], kind="stable")]
    bounds = np.searchsorted(slot[group[rows]], np.arange(len(wanted) + 1))
    return [rows[start:stop] for start, stop in itertools.pairwise(bounds)]


def _distinct_sorted(values: np.ndarray) -> np.ndarray:
    """The distinct values of an ascending array."""
    return values[np.r_[True, values[1:] != values[:-1]][: len(values)]]


def _sparse_counts(
    where: np.ndarray, rows: Sequence[tuple[int, ...]], n: int, width: int = 3
) -> tuple[pd.arrays.IntegerArray, ...]:
    """``width`` nullable integer columns of length ``n``: ``rows`` at ``where``, NA elsewhere."""
    values = np.zeros((width, n), dtype=np.int64)
    missing = np.ones(n, bool)
    if len(rows):
        values[:, where] = np.asarray(rows, dtype=np.int64).T
    missing[where] = False
    return tuple(pd.arrays.IntegerArray(column, missing.copy()) for column in values)


def _reachable(adjacency: sparse.csr_matrix, sources: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Whether each target can be reached from its source in a sparse directed graph."""
    from scipy.sparse.csgraph import breadth_first_order, connected_components

    if len(sources) == 0:
        return np.zeros(0, bool)
    _, component = connected_components(adjacency, directed=True, connection="strong")
    reachable = component[sources] == component[targets]
    for source in np.unique(sources[~reachable]):
        ask = np.flatnonzero((sources == source) & ~reachable)
        found = breadth_first_order(adjacency, source, directed=True, return_predecessors=False)
        reachable[ask] = np.isin(targets[ask], found)
    return reachable


# --------------------------------------------------------------------------------------------------
# Building from events
# --------------------------------------------------------------------------------------------------

STATUSES: tuple[str, ...] = (ROUTE_STEP, ROUTE_REPEAT, ROUTE_SINGLE, INCIDENT_PLACE_SEGMENT, INCIDENT_PLACE,
                             INCIDENT_SEGMENT, *UNATTACHED_REASONS)
HOWS: tuple[str, ...] = ("", "place_id", "coordinates → place", "coordinates → segment")
_INCIDENT_CODE = STAGES.index(INCIDENT)


class _NetworkBuilder:
    """The events table as integer codes, and the tables of a :class:`RouteNetwork` made from them.

    The constructor is the core build that :meth:`RouteNetwork.from_events` pays for: it checks and
    orders the events, attaches each to a place or a segment (snapping coordinates), collapses the
    journeys and counts distinct people per place and per segment into ``core_places`` and
    ``core_segments``. Everything else (the journeys, the membership tables, the reconciliation and
    the per-stage, share, incident, risk and cut columns) is a property computed from the codes
    when the network first reads it, so an analysis pays only for what it reads.

    Everything runs on integer codes (people, places, stages, month ordinals) at event positions in
    case-then-seq order; text and categorical columns are only made for the tables handed to the
    user. Segments are keyed ``u * n_places + v`` on gazetteer positions.
    """

    def __init__(
        self,
        events: pd.DataFrame,
        *,
        cases: pd.DataFrame | None,
        gazetteer: Gazetteer,
        snap_place_m: float,
        snap_segment_m: float,
        path_geometries: gpd.GeoDataFrame | gpd.GeoSeries | None,
        n_cut_candidates: int,
    ) -> None:
        if cases is not None and "case_id" not in cases:
            raise CaseDataError(
                [Problem("cases", None, "case_id", "missing column", "a column of the cases table")]
            )
        # Shallow copies: under copy-on-write, later edits of the caller's tables do not reach the
        # tables computed on first read.
        self.source = events.copy(deep=False)
        self.cases = cases.copy(deep=False) if cases is not None else None
        self.gazetteer = gazetteer
        self.place_ids = pd.Index(gazetteer.places.index.astype(str))
        self.path_geometries = path_geometries
        self.n_cut_candidates = n_cut_candidates
        self.order, self.case, self.case_labels, self.stage, self.stamps = _ordered_events(events)
        self.incident = self.stage == _INCIDENT_CODE
        self._attach_places(snap_place_m)
        n_places = len(self.place_ids)

        # Journeys: route steps with a place, consecutive repeats collapsed. Cases are contiguous.
        self.route = ~self.incident & (self.place >= 0)
        self.route_rows = np.flatnonzero(self.route)
        route_case, route_place = _select(self.case, self.route_rows), _select(self.place, self.route_rows)
        new_place = np.r_[True, (route_case[1:] != route_case[:-1]) | (route_place[1:] != route_place[:-1])]
        self.steps = _select(self.route_rows, new_place)
        self.step_case, self.step_place = _select(route_case, new_place), _select(route_place, new_place)
        hop = self.step_case[1:] == self.step_case[:-1]  # at the arrival of each hop
        keys = self.step_place[:-1].astype(np.int64)
        keys *= n_places
        keys += self.step_place[1:]
        hops = (self.steps[1:][hop], self.step_case[1:][hop], keys[hop])
        self._attach_incidents(snap_segment_m, hops[2])

        # The core: distinct people per place and per segment (memberships in event order, so grouped
        # by person), and the two tables.
        on_place = self.place >= 0  # route steps and incidents at a place
        self.place_code = _select(self.place, on_place)
        self.nodes, n_people = _people_per_key(self.place_code, _select(self.case, on_place), n_places)
        self.core_places = self._core_places(n_people)
        self.seg_rows, self.seg_case, self.seg_keys = _merge_sorted(
            hops, (self.incident_rows, self.case[self.incident_rows], self.incident_keys))
        self.edge_keys, n_people = _people_per_key(self.seg_keys, self.seg_case, n_places**2)
        self.core_segments = self._core_segments(n_people)

    # -- the core build ----------------------------------------------------------------------------

    def _attach_places(self, snap_place_m: float) -> None:
        """``place`` of every event (gazetteer position, or -1): its place_id, else its coordinates
        snapped to the nearest place within reach (those events are ``snapped_to_place``)."""
        events, n_events = self.source, len(self.case)
        self.place = (self._in_order(codes_of(events["place_id"], self.place_ids)) if "place_id" in events
                      else np.full(n_events, -1, dtype=np.int32))
        self.has_xy = np.zeros(n_events, bool)
        if {"lon", "lat"} <= set(events.columns):
            self.lon = self._in_order(_floats(events["lon"], n_events))
            self.lat = self._in_order(_floats(events["lat"], n_events))
            self.has_xy = np.isfinite(self.lon) & np.isfinite(self.lat)
        to_snap = np.flatnonzero((self.place < 0) & self.has_xy)
        self.snapped_to_place = to_snap[:0]
        if len(to_snap):
            ids, metres = self.gazetteer.nearest(self.lon[to_snap], self.lat[to_snap],
                                                 max_distance_m=snap_place_m)
            snapped = self.place_ids.get_indexer(pd.Index(ids, dtype=object))
            snapped[~(np.asarray(metres, dtype=float) <= snap_place_m)] = -1
            self.place = self.place.copy()  # may be Arrow's read-only buffer
            self.place[to_snap] = snapped
            self.snapped_to_place = to_snap[snapped >= 0]

    def _attach_incidents(self, snap_segment_m: float, hop_keys: np.ndarray) -> None:
        """``incident_rows`` and ``incident_keys``: the incidents on a segment, in event order.

        An incident at a place goes on the segment its person was travelling (previous to next route
        place; those events are ``travelling``); one off any place on the nearest travelled segment
        within reach (those are ``snapped_to_segment``).
        """
        case, place, route_rows, n_places = self.case, self.place, self.route_rows, len(self.place_ids)
        incidents = np.flatnonzero(self.incident)
        at_place = incidents[place[incidents] >= 0]
        following = np.searchsorted(route_rows, at_place)
        between = (following > 0) & (following < len(route_rows))
        at_place, following = at_place[between], route_rows[following[between]]
        previous = route_rows[np.searchsorted(route_rows, at_place) - 1]
        travelling = (case[previous] == case[at_place]) & (case[following] == case[at_place]) & (
            place[previous] != place[following])
        self.travelling = at_place[travelling]
        rows = self.travelling
        keys = place[previous[travelling]].astype(np.int64) * n_places + place[following[travelling]]
        off_place = incidents[(place[incidents] < 0) & self.has_xy[incidents]]
        self.snapped_to_segment = off_place[:0]
        if len(off_place) and len(hop_keys):
            travelled = _present(hop_keys, n_places**2)
            lines = self._segment_lines(travelled // n_places, travelled % n_places)
            nearest, _ = snap_points_to_lines(self.lon[off_place], self.lat[off_place], lines,
                                              max_distance_m=snap_segment_m)
            self.snapped_to_segment = off_place[nearest >= 0]
            rows, keys = _merge_sorted((rows, keys),
                                       (self.snapped_to_segment, travelled[nearest[nearest >= 0]]))
        self.incident_rows, self.incident_keys = rows, keys

    def _core_places(self, n_people: np.ndarray) -> gpd.GeoDataFrame:
        """The places on the network (gazetteer order) with their gazetteer columns and ``n_people``."""
        base = self.gazetteer.places.iloc[self.nodes]
        places = pd.DataFrame(index=pd.Index(base.index.astype(str), name="place_id"))
        for column in ("name", "country", "admin1", "admin2", "kind", "corridors"):
            if column in base:
                places[column] = base[column].to_numpy()
        places["x"] = base["lon"].to_numpy(dtype=float)
        places["y"] = base["lat"].to_numpy(dtype=float)
        places["n_people"] = n_people
        return gpd.GeoDataFrame(places, geometry=gpd.points_from_xy(places["x"], places["y"]), crs=CRS_LONLAT)

    def _core_segments(self, n_people: np.ndarray) -> gpd.GeoDataFrame:
        """The segments (by ``(u, v)`` in gazetteer order) with name, geodesic length and ``n_people``."""
        n_places = len(self.place_ids)
        u, v = self.edge_keys // n_places, self.edge_keys % n_places
        lines = self._segment_lines(u, v)
        names = self.gazetteer.places["name"].astype(str).to_numpy(dtype=object)
        segments = pd.DataFrame(index=pd.MultiIndex.from_arrays([self.place_ids[u], self.place_ids[v]],
                                                                names=["u", "v"]))
        segments["name"] = names[u] + ARROW + names[v]
        segments["length_m"] = _geodesic_lengths(lines)
        segments["n_people"] = n_people
        return gpd.GeoDataFrame(segments, geometry=lines, crs=CRS_LONLAT)

    def _segment_lines(self, u: np.ndarray, v: np.ndarray) -> np.ndarray:
        """Straight lines between gazetteer places ``u`` and ``v``, or their ``path_geometries``."""
        x = self.gazetteer.places["lon"].to_numpy(dtype=float)
        y = self.gazetteer.places["lat"].to_numpy(dtype=float)
        lines = _straight_lines(x[u], y[u], x[v], y[v])
        if self.path_geometries is not None and len(u):
            keys = pd.MultiIndex.from_arrays([self.place_ids[u], self.place_ids[v]], names=["u", "v"])
            custom = _path_lookup(self.path_geometries).reindex(keys).to_numpy()
            lines = np.where(pd.isna(custom), lines, custom)
        return lines

    # -- tables computed on first read -------------------------------------------------------------

    @property
    def places(self) -> gpd.GeoDataFrame:
        """``core_places`` with the per-stage, share, incident, risk and cut columns."""
        n_nodes, n_stages = len(self.nodes), len(STAGES)
        person, stage = _select(self.case, self.place_rows), _select(self.stage, self.place_rows)
        by_stage = _distinct(self._node * n_stages + stage, person, n_nodes * n_stages)
        by_stage = by_stage.reshape(n_nodes, n_stages)
        columns: dict[str, object] = {f"n_{code}": by_stage[:, i] for i, code in enumerate(STAGES)}
        step_node, interior = self._step_node, self._step_interior
        columns["share"] = _distinct(step_node, self.step_case, n_nodes) / self._n_journeys
        pass_share = _distinct(step_node[interior], self.step_case[interior], n_nodes) / self._n_journeys
        columns["pass_share"] = pass_share
        hurt, on_place, risk = self._incidents
        at = np.searchsorted(self.nodes, self.place[hurt[on_place]])
        columns |= _incident_columns(at, self.case[hurt[on_place]], risk[on_place],
                                     self.core_places["n_people"].to_numpy())
        table = _with_columns(self.core_places, columns)
        cuts = self._cut_test.places(self._cut_candidates(pass_share))
        table["cut_pairs"], table["cut_people"], table["cut_people_reporting"] = cuts
        return table

    @property
    def segments(self) -> gpd.GeoDataFrame:
        """``core_segments`` with the per-stage, share, incident, risk and cut columns."""
        n_edges, n_stages = len(self.edge_keys), len(STAGES)
        person, stage, edge = self.seg_case, self.stage[self.seg_rows], self._edge
        by_stage = _distinct(edge * n_stages + stage, person, n_edges * n_stages).reshape(n_edges, n_stages)
        columns: dict[str, object] = {f"n_{code}": by_stage[:, i] for i, code in enumerate(STAGES)}
        hop = self.route[self.seg_rows]
        share = _distinct(edge[hop], person[hop], n_edges) / self._n_journeys
        columns["share"] = share
        hurt, on_place, risk = self._incidents
        on_segment = ~on_place
        at = np.searchsorted(self.edge_keys, self._incident_key(hurt[on_segment]))
        columns |= _incident_columns(at, self.case[hurt[on_segment]], risk[on_segment],
                                     self.core_segments["n_people"].to_numpy())
        table = _with_columns(self.core_segments, columns)
        cuts = self._cut_test.segments(self._cut_candidates(share))
        table["cut_pairs"], table["cut_people"], table["cut_people_reporting"] = cuts
        return table

    @property
    def journeys(self) -> pd.DataFrame:
        return pd.DataFrame({
            "case_id": self._cases(self.step_case),
            "pos": self._step_position,
            "place_id": self._places(self.step_place),
            "stage": pd.Categorical.from_codes(self.stage[self.steps], categories=pd.Index(STAGES)),
            "month": month_periods(self._month[self.steps]),
        })

    @property
    def place_people(self) -> pd.DataFrame:
        rows = self.place_rows
        return self._members(_select(self.case, rows), {"place_id": self.place_code,
                                                        "stage": _select(self.stage, rows),
                                                        "month": _select(self._month, rows)})

    @property
    def segment_people(self) -> pd.DataFrame:
        rows, n_places = self.seg_rows, len(self.place_ids)
        return self._members(self.seg_case, {"u": self.seg_keys // n_places, "v": self.seg_keys % n_places,
                                               "stage": self.stage[rows], "month": self._month[rows]})

    @property
    def incident_people(self) -> pd.DataFrame:
        hurt, on_place, risk = self._incidents
        n_places = len(self.place_ids)
        keys = np.full(len(hurt), -1, dtype=np.int64)
        keys[~on_place] = self._incident_key(hurt[~on_place])
        return self._members(self.case[hurt], {
            "u": np.where(on_place, -1, keys // n_places),
            "v": np.where(on_place, -1, keys % n_places),
            "place_id": np.where(on_place, self.place[hurt], -1),
            "risk": risk,
            "month": self._month[hurt],
        })

    @property
    def event_status(self) -> pd.DataFrame:
        status, how = self._status
        return pd.DataFrame({
            "case_id": self._cases(self.case),
            "status": pd.Categorical.from_codes(status, categories=pd.Index(STATUSES)),
            "how": pd.Categorical.from_codes(how, categories=pd.Index(HOWS)),
        })

    @property
    def unattached(self) -> pd.DataFrame:
        status, _ = self._status
        outside = np.flatnonzero(status >= STATUSES.index(UNATTACHED_REASONS[0]))
        table = self.source.iloc[self._source_rows(outside)].copy()
        table["reason"] = np.asarray(STATUSES, dtype=object)[status[outside]]
        return table

    # -- shared intermediate results ---------------------------------------------------------------

    @cached_property
    def place_rows(self) -> np.ndarray:
        """Positions of the place memberships: route steps and incidents at a place."""
        return np.flatnonzero(self.place >= 0)

    @cached_property
    def _node(self) -> np.ndarray:
        """The position in ``core_places`` of each place membership."""
        return _positions_of(self.place_code, self.nodes, len(self.place_ids))

    @cached_property
    def _edge(self) -> np.ndarray:
        """The position in ``core_segments`` of each segment membership."""
        return _positions_of(self.seg_keys, self.edge_keys, len(self.place_ids) ** 2)

    def _incident_key(self, rows: np.ndarray) -> np.ndarray:
        """The segment key of incidents on a segment, given their event positions."""
        return self.incident_keys[np.searchsorted(self.incident_rows, rows)]

    @cached_property
    def _steps_per_case(self) -> np.ndarray:
        return np.bincount(self.step_case, minlength=len(self.case_labels))

    @cached_property
    def _n_journeys(self) -> int:
        """People with at least one route step (the denominator of shares, at least 1)."""
        return max(int(np.count_nonzero(self._steps_per_case)), 1)

    @cached_property
    def _step_position(self) -> np.ndarray:
        return _positions(self._steps_per_case[self._steps_per_case > 0])

    @cached_property
    def _step_interior(self) -> np.ndarray:
        return (self._step_position > 0) & (self._step_position < self._steps_per_case[self.step_case] - 1)

    @cached_property
    def _step_node(self) -> np.ndarray:
        """Each step's place as a position in ``core_places``."""
        return _positions_of(self.step_place, self.nodes, len(self.place_ids))

    @cached_property
    def _month(self) -> np.ndarray:
        """Month ordinal of every event: its date's, else its case's registration month."""
        month = (np.full(len(self.case), NO_MONTH, dtype=np.int64) if self.stamps is None
                 else self.stamps.astype("datetime64[M]").astype(np.int64))
        no_month = month == NO_MONTH
        month[no_month] = self._case_attributes[2][self.case[no_month]]
        return month

    @cached_property
    def _case_attributes(self) -> tuple[pd.Categorical[str], pd.Categorical[str], np.ndarray]:
        return case_attributes(self.case_labels, self.cases)

    # One dtype each, so that their categories are checked once, not per table.
    @cached_property
    def _case_dtype(self) -> pd.CategoricalDtype:
        return pd.CategoricalDtype(self.case_labels)

    @cached_property
    def _place_dtype(self) -> pd.CategoricalDtype:
        return pd.CategoricalDtype(self.place_ids)

    @cached_property
    def _incidents(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """One row per incident and risk code, in event order: the event, whether the row is the
        incident at its place (else on its segment) and the risk code (into ``RISKS``)."""
        at_place = np.flatnonzero(self.incident & (self.place >= 0))
        rows = np.concatenate([at_place, self.incident_rows])
        risk, row = risk_codes(self.source.get("risk"), self._source_rows(rows))
        by_event = np.argsort(rows[row], kind="stable")
        risk, row = risk[by_event], row[by_event]
        return rows[row], row < len(at_place), risk

    @cached_property
    def _status(self) -> tuple[np.ndarray, np.ndarray]:
        """Every event's status (code into ``STATUSES``) and how it was attached (into ``HOWS``)."""
        status = np.full(len(self.case), STATUSES.index(UNATTACHED_NO_PLACE), dtype=np.int8)
        if "place_id" in self.source:
            named = self.source["place_id"].notna() & (self.source["place_id"].astype(str) != "")
            status[self._in_order(named.to_numpy()) & ~self.has_xy] = STATUSES.index(UNATTACHED_UNKNOWN_PLACE)
        far = UNATTACHED_FAR if len(self.edge_keys) else UNATTACHED_NO_JOURNEYS  # the real cause
        status[self.has_xy] = STATUSES.index(far)
        single = self._steps_per_case[_select(self.case, self.route_rows)] == 1
        status[self.route_rows] = np.where(single, STATUSES.index(ROUTE_SINGLE), STATUSES.index(ROUTE_REPEAT))
        status[self.steps[self._steps_per_case[self.step_case] > 1]] = STATUSES.index(ROUTE_STEP)
        status[self.incident & (self.place >= 0)] = STATUSES.index(INCIDENT_PLACE)
        status[self.travelling] = STATUSES.index(INCIDENT_PLACE_SEGMENT)
        status[self.incident_rows[self.place[self.incident_rows] < 0]] = STATUSES.index(INCIDENT_SEGMENT)
        how = (self.place >= 0).astype(np.int8) * HOWS.index("place_id")
        how[self.snapped_to_place] = HOWS.index("coordinates → place")
        how[self.snapped_to_segment] = HOWS.index("coordinates → segment")
        how[status >= STATUSES.index(UNATTACHED_REASONS[0])] = 0
        return status, how

    @cached_property
    def _cut_test(self) -> _CutTest:
        """The cut test on the journeys, in positions of ``core_places`` and ``core_segments``."""
        n_places = len(self.place_ids)
        person = np.cumsum(np.r_[True, self.step_case[1:] != self.step_case[:-1]][: len(self.steps)]) - 1
        hop = self.step_case[1:] == self.step_case[:-1]
        hop_keys = (self.step_place[:-1].astype(np.int64) * n_places + self.step_place[1:])[hop]
        u = _positions_of(self.edge_keys // n_places, self.nodes, n_places)
        v = _positions_of(self.edge_keys % n_places, self.nodes, n_places)
        _, consent, _ = self._case_attributes
        starts = np.r_[True, self.step_case[1:] != self.step_case[:-1]][: len(self.steps)]
        reporting = np.asarray(consent, dtype=object)[self.step_case[starts]] == "yes"
        return _CutTest(person, self._step_node, self._step_interior, person[1:][hop],
                        _positions_of(hop_keys, self.edge_keys, n_places**2), u, v, len(self.nodes),
                        reporting)

    def _cut_candidates(self, passing: np.ndarray) -> np.ndarray:
        """The ``n_cut_candidates`` most passed-through units (none when there is no segment)."""
        n = self.n_cut_candidates if len(self.edge_keys) else 0
        return np.argsort(-passing, kind="stable")[: max(n, 0)]

    # -- helpers -----------------------------------------------------------------------------------

    def _in_order(self, values: np.ndarray) -> np.ndarray:
        """Values given per input row, in case-then-seq order."""
        return values if self.order is None else values[self.order]

    def _source_rows(self, positions: np.ndarray) -> np.ndarray:
        """The input rows of events given by their case-then-seq positions."""
        return positions if self.order is None else self.order[positions]

    def _cases(self, codes: np.ndarray) -> pd.Categorical:
        return pd.Categorical.from_codes(codes, dtype=self._case_dtype)

    def _places(self, codes: np.ndarray) -> pd.Categorical:
        return pd.Categorical.from_codes(codes, dtype=self._place_dtype)

    def _members(self, case: np.ndarray, codes: Mapping[str, np.ndarray]) -> pd.DataFrame:
        """A membership table (one row a person in a cell, duplicates dropped) from codes."""
        keep = _first_in_person(case, *codes.values())
        case = case[keep]
        columns: dict[str, object] = {"case_id": self._cases(case)}
        for name, values in codes.items():
            values = values[keep]
            if name in ("u", "v", "place_id"):
                columns[name] = self._places(values)
            elif name == "stage":
                columns[name] = pd.Categorical.from_codes(values, categories=pd.Index(STAGES))
            elif name == "risk":
                columns[name] = pd.Categorical.from_codes(values, categories=pd.Index(RISKS))
            else:
                columns[name] = month_periods(values)
        case_type, consent, _ = self._case_attributes
        columns["case_type"] = case_type[case]
        columns["consent_reporting"] = consent[case]
        return pd.DataFrame(columns)


def _floats(values: pd.Series | None, n: int) -> np.ndarray:
    if values is None:
        return np.full(n, np.nan)
    return pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def _ordered_events(
    events: pd.DataFrame,
) -> tuple[np.ndarray | None, np.ndarray, pd.Index, np.ndarray, np.ndarray | None]:
    """Check the columns the network needs and order the events by case, then seq.

    Returns
    -------
    order, case, case_labels, stage, stamps
        Positions of the events in case-then-seq order (None when they already are, the usual
        case: nothing is reordered), and for those positions the case codes
        (into ``case_labels``, contiguous per case), stage codes (into ``STAGES``) and dates
        (``datetime64[ns]``, NaT when missing; None without a ``date`` column).
    """
    problems: list[Problem] = []
    for column in ("case_id", "seq", "stage"):
        if column not in events:
            problems.append(Problem("events", None, column, "missing column", "a column of the events table"))
    if "place_id" not in events and not {"lat", "lon"} <= set(events.columns):
        problems.append(Problem("events", None, "place_id", "missing column", "place_id, or lat and lon"))
    if problems:
        raise CaseDataError(problems)
    case_ids = events["case_id"].astype(str)
    # NumPy integer step numbers are compared as they are; anything else as numbers, NaN where not one.
    whole = isinstance(events["seq"].dtype, np.dtype) and events["seq"].dtype.kind in "iu"
    seq = events["seq"].to_numpy() if whole else _floats(events["seq"], len(events))
    stage = codes_of(events["stage"], STAGES)
    for column, bad, expected in (
        ("case_id", case_ids.isna().to_numpy(), "a case id"),
        ("seq", np.isnan(seq), "a step number (1, 2, ...)"),
        ("stage", stage < 0, f"one of {', '.join(STAGES)}"),
    ):
        for position in np.flatnonzero(bad)[:50]:
            value = events[column].iloc[position]
            problems.append(Problem("events", int(position) + 2, column, value, expected))
    if problems:
        raise CaseDataError(problems)
    code, labels = _case_codes(case_ids)
    same_case = code[1:] == code[:-1]
    # In order (each case's seq increasing) means no reordering and no repeated seq to look for.
    in_order = ((code[1:] > code[:-1]) | (same_case & (seq[1:] > seq[:-1]))).all()
    order = None if in_order else np.lexsort((seq, code))
    if order is not None:
        code, seq, stage = code[order], seq[order], stage[order]
        same_case = code[1:] == code[:-1]
    repeated: np.ndarray | list[int] = (
        np.flatnonzero(same_case & (seq[1:] == seq[:-1])) + 1 if order is not None else []
    )
    if len(repeated):
        pairs = pd.DataFrame({"case": labels[code[repeated]], "seq": seq[repeated]}).drop_duplicates()
        raise CaseDataError(
            Problem("events", None, "seq", f"case {case!r} seq {s:g}",
                    "one step per seq number within a case (the order of the steps is ambiguous)")
            for case, s in pairs.itertuples(index=False)
        )
    stamps = timestamps(events["date"]) if "date" in events else None
    if stamps is not None and order is not None:
        stamps = stamps[order]
    if stamps is not None:
        backwards = np.flatnonzero(same_case & (stamps[1:] < stamps[:-1])) + 1  # NaT compares False
        if len(backwards):
            cases = pd.unique(labels[code[backwards]])
            warnings.warn(
                f"{len(cases)} case(s) have dates that decrease as seq increases; the seq order is kept: "
                + ", ".join(map(repr, cases[:20])) + (" ..." if len(cases) > 20 else ""),
                UserWarning,
                stacklevel=4,
            )
    return order, code, labels, stage, stamps


def _case_codes(case_ids: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Codes (int32) of the case ids in order of first appearance, and the ids (``labels[codes]`` is the ids).

    Events usually come grouped by case, so only the first id of each run of equal ids is hashed
    (one vectorised comparison of neighbours finds the runs): a million journeys in 4.5 million
    events hash a million strings, not 4.5 million. Ungrouped events give more runs, not a wrong answer.
    """
    n = len(case_ids)
    if n == 0:
        return np.zeros(0, dtype=np.int32), pd.Index(case_ids)
    values = case_ids.array
    starts = np.flatnonzero(np.r_[True, np.asarray(values[1:] != values[:-1], dtype=bool)])
    run_code, labels = pd.factorize(case_ids.iloc[starts])
    return np.repeat(run_code.astype(np.int32), np.diff(np.r_[starts, n])), pd.Index(labels)


def _positions(lengths: np.ndarray) -> np.ndarray:
    """0..n-1 within each consecutive run of the given lengths."""
    lengths = np.asarray(lengths, dtype=np.int64)
    starts = np.repeat(np.cumsum(lengths) - lengths, lengths)
    return np.arange(lengths.sum(), dtype=np.int64) - starts


def _risk_code(risk: str) -> str:
    code = VOCABULARIES["risk"].parse(risk)
    if code is None or code == UNKNOWN:
        if risk == "unspecified":
            return risk
        suggestions = VOCABULARIES["risk"].suggest(risk)
        raise NetworkError(f"unknown risk {risk!r}; expected one of {', '.join(RISKS)}"
                           + (f" (did you mean {', '.join(suggestions)}?)" if suggestions else ""))
    return code


def _resolve_names(names: pd.Series, gazetteer: Gazetteer) -> np.ndarray:
    """Place ids for names or ids; the first unknown raises PlaceNotFoundError with suggestions."""
    ids = names.to_numpy(dtype=object).copy()
    is_id = pd.Index(gazetteer.places.index).get_indexer(names.astype(str)) >= 0
    unique_names = pd.unique(names[~is_id])
    if len(unique_names):
        resolved = gazetteer.resolve(unique_names)
        for name, place_id in zip(unique_names, resolved, strict=True):
            if place_id is None or (isinstance(place_id, float) and np.isnan(place_id)):
                gazetteer.lookup(name)  # raises PlaceNotFoundError with suggestions
        mapping = dict(zip(unique_names, resolved, strict=True))
        ids[~is_id] = names[~is_id].map(mapping).to_numpy(dtype=object)
    return ids


def _path_lookup(path_geometries: gpd.GeoDataFrame | gpd.GeoSeries) -> pd.Series:
    table = path_geometries
    if isinstance(table, gpd.GeoDataFrame) and {"u", "v"} <= set(table.columns):
        table = table.set_index(["u", "v"])
    if table.crs is not None and not CRS(table.crs).equals(CRS(CRS_LONLAT)):
        table = table.to_crs(CRS_LONLAT)
    series = table.geometry if isinstance(table, gpd.GeoDataFrame) else table
    if series.index.nlevels != 2:
        raise NetworkError("`path_geometries` must be keyed by (u, v): a MultiIndex or 'u' and 'v' columns")
    return pd.Series(series.to_numpy(), index=series.index.set_names(["u", "v"]))


def _in_period(months: pd.Series, period: pd.Period | str | slice) -> np.ndarray:
    """Whether each month lies inside a period or an inclusive slice of periods."""
    start, stop = (period.start, period.stop) if isinstance(period, slice) else (period, period)
    first = pd.Period(start).start_time if start is not None else pd.Timestamp.min
    last = pd.Period(stop).end_time if stop is not None else pd.Timestamp.max
    starts = months.dt.start_time
    return ((starts >= first) & (months.dt.end_time <= last)).to_numpy()


def _count_by(members: pd.DataFrame, keys: list[str], by: str) -> pd.DataFrame:
    if by not in BY_KEYS:
        raise NetworkError(f"`by` must be one of {', '.join(BY_KEYS)}; got {by!r}")
    return count_people(members, [*keys, by]).rename("n_people").reset_index()


# --------------------------------------------------------------------------------------------------
# Measures
# --------------------------------------------------------------------------------------------------


def _present(codes: np.ndarray, n_codes: int) -> np.ndarray:
    """The distinct values of non-negative integer codes below ``n_codes``, sorted (by counting)."""
    if n_codes > 50_000_000:
        return np.unique(codes)
    return np.flatnonzero(np.bincount(codes, minlength=n_codes))


def _select(values: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """``values[rows]`` for sorted distinct positions or a boolean mask ``rows``.

    ``values`` itself (no copy) when ``rows`` selects everything: the usual case of clean events,
    where every event is a route step, saves a pass over millions of values per selection. The
    result must not be written to.
    """
    everything = rows.all() if rows.dtype == bool else len(rows) == len(values)
    return values if everything else values[rows]


def _merge_sorted(
    first: tuple[np.ndarray, ...], second: tuple[np.ndarray, ...]
) -> tuple[np.ndarray, ...]:
    """Two sets of sorted, disjoint positions (first array), each with values (next arrays), merged
    into one set in position order.

    Linear in the positions (two binary searches place each set among the other), no sort.
    """
    if len(second[0]) == 0:
        return first
    at = np.arange(len(first[0])) + np.searchsorted(second[0], first[0])
    second_at = np.arange(len(second[0])) + np.searchsorted(first[0], second[0])
    merged = []
    for values, more in zip(first, second, strict=True):
        column = np.empty(len(values) + len(more), dtype=np.result_type(values, more))
        column[at], column[second_at] = values, more
        merged.append(column)
    return tuple(merged)


def _people_per_key(keys: np.ndarray, person: np.ndarray, n_keys: int) -> tuple[np.ndarray, np.ndarray]:
    """The distinct keys (non-negative, below ``n_keys``; sorted) and the distinct people of each.

    Rows are grouped by person. Counted with ``np.bincount`` when the key space is small against
    the rows, else by ``np.unique``.
    """
    first = _first_in_person(person, keys)
    if n_keys <= max(4 * len(keys), 1 << 20):
        counts = np.bincount(keys[first], minlength=n_keys)
        present = np.flatnonzero(counts)
        return present, counts[present]
    return np.unique(keys[first], return_counts=True)


def _positions_of(keys: np.ndarray, distinct: np.ndarray, n_keys: int) -> np.ndarray:
    """Position of each key (non-negative, below ``n_keys``) in ``distinct``, sorted and holding them all.

    A table lookup when the key space is small against the keys, else a binary search.
    """
    if n_keys <= max(4 * len(keys), 1 << 20):
        table = np.zeros(n_keys, dtype=np.int64)
        table[distinct] = np.arange(len(distinct))
        return table[keys]
    return np.searchsorted(distinct, keys)


def _first_in_person(person: np.ndarray, *columns: np.ndarray) -> np.ndarray:
    """True on the first row of each distinct (person, *columns) combination.

    Rows should be sorted by person code (as events are, by case). A person has
    few rows, so comparing each row with the previous rows of the same person (one vectorised pass
    per offset) beats hashing millions of keys; people with very many rows fall back to hashing.
    """
    n = len(person)
    if n == 0:
        return np.ones(0, bool)
    starts = np.flatnonzero(np.r_[True, person[1:] != person[:-1]])
    longest = int(np.diff(np.r_[starts, n]).max())
    if longest > _MAX_ROWS_COMPARED or (np.diff(person[starts]) < 0).any():
        frame = pd.DataFrame({"person": person, **{str(i): c for i, c in enumerate(columns)}})
        return ~frame.duplicated().to_numpy()
    first = np.ones(n, bool)
    for offset in range(1, longest):
        same = person[offset:] == person[:-offset]
        for column in columns:
            same &= column[offset:] == column[:-offset]
        first[offset:] &= ~same
    return first


def _distinct(group: np.ndarray, person: np.ndarray, n_groups: int) -> np.ndarray:
    """Distinct people per group code (0..n_groups-1); rows grouped by person."""
    first = _first_in_person(person, group)
    return np.bincount(group[first], minlength=n_groups)


def _incident_columns(
    unit: np.ndarray, person: np.ndarray, risk: np.ndarray, n_people: np.ndarray
) -> dict[str, np.ndarray]:
    """``n_incidents``, the rates and ``risk_<code>`` (distinct people) of places or segments.

    ``unit``, ``person`` and ``risk`` are the incident rows (grouped by person): the place or
    segment position, the person and the risk code; ``n_people`` the people passing each unit.
    """
    n_units, n_risks = len(n_people), len(RISKS)
    n_incidents = _distinct(unit, person, n_units)
    by_risk = _distinct(unit * n_risks + risk, person, n_units * n_risks).reshape(n_units, n_risks)
    return {
        "n_incidents": n_incidents,
        **_rates(n_incidents, n_people),
        **{f"risk_{code}": by_risk[:, i] for i, code in enumerate(RISKS)},
    }


def _with_columns(table: gpd.GeoDataFrame, columns: Mapping[str, object]) -> gpd.GeoDataFrame:
    """A new GeoDataFrame: ``table`` with ``columns`` added just before its geometry."""
    added = pd.DataFrame(dict(columns), index=table.index)
    body = pd.concat([pd.DataFrame(table.drop(columns=table.geometry.name)), added], axis=1)
    return gpd.GeoDataFrame(body, geometry=table.geometry.array, crs=table.crs)


def _graph_from_tables(places: gpd.GeoDataFrame, segments: gpd.GeoDataFrame) -> nx.DiGraph:
    """An OSMnx-style DiGraph: node and edge attributes are the rows of the two tables."""
    graph: nx.DiGraph[str] = nx.DiGraph(crs=CRS_LONLAT)
    graph.add_nodes_from(zip(places.index, _records(places), strict=True))
    graph.add_edges_from(
        (u, v, record) for (u, v), record in zip(segments.index, _records(segments), strict=True)
    )
    return graph


def _records(table: pd.DataFrame) -> list[dict[str, object]]:
    """Rows as dicts, built column-wise (``DataFrame.to_dict`` is slow on geometry columns)."""
    columns = [np.asarray(table[c].array, dtype=object) if c == "geometry" else table[c].tolist()
               for c in table.columns]
    names = list(table.columns)
    return [dict(zip(names, values, strict=True)) for values in zip(*columns, strict=True)]
