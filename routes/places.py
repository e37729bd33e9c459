"""The route gazetteer: real places of the corridors, matched by name, alias or id.

A :class:`Gazetteer` wraps a GeoDataFrame of places (index ``place_id``; geometry points in
EPSG:4326) and answers the questions the rest of the toolkit asks of it:

- ``lookup``: one name, alias or id (accent- and case-insensitive) to its row;
- ``resolve``: many names at once to place ids, ``None`` where unknown;
- ``nearest``: coordinates to the nearest place and the geodesic distance in metres;
- ``in_corridor``: the places of one corridor.

The bundled gazetteer (``routes/data/gazetteer.csv``) is loaded once by :func:`load_gazetteer`.

Distances
---------
Candidate places are found with a shapely ``STRtree`` built in an azimuthal equidistant
projection centred on northern South America (:data:`NEAREST_CRS`, ``+proj=aeqd +lat_0=0
+lon_0=-72``); over the region the tool covers (Mexico to Chile) its scale error stays below
about 12 %. Because of that error, every place within ``(1 + slack)`` times the projected nearest
distance is kept as a candidate and the winner is chosen by the exact geodesic distance on the
WGS84 ellipsoid (``pyproj.Geod.inv``), which is also the distance reported, in metres.
"""

from __future__ import annotations

import functools
import html
import os
from importlib import resources
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import pyproj
import shapely

from routes._text import did_you_mean, normalize_key
from routes.errors import GazetteerError, ParameterError, PlaceNotFoundError

__all__ = [
    "CORRIDORS",
    "NEAREST_CRS",
    "PLACE_COLUMNS",
    "PLACE_KINDS",
    "Gazetteer",
    "GazetteerError",
    "country_names",
    "load_gazetteer",
]

PLACE_KINDS: tuple[str, ...] = (
    "city",
    "official_crossing",
    "irregular_crossing_area",
    "transit_hub",
    "service_point",
)
"""Kinds of place the gazetteer knows."""

CORRIDORS: tuple[str, ...] = (
    "andean",
    "caribbean_darien",
    "brazil",
    "orinoquia",
    "catatumbo",
    "pacific",
    "origin",
)
"""Corridor names, in display order."""

PLACE_COLUMNS: tuple[str, ...] = (
    "name",
    "aliases",
    "country",
    "admin1",
    "admin2",
    "admin2_code",
    "kind",
    "corridors",
    "lat",
    "lon",
)
"""Columns of ``Gazetteer.places`` besides ``geometry`` (the index is ``place_id``)."""

NEAREST_CRS: str = "+proj=aeqd +lat_0=0 +lon_0=-72 +datum=WGS84 +units=m +no_defs"
"""Projection in which ``Gazetteer.nearest`` finds candidate places (distances are geodesic)."""

_TEXT_COLUMNS = ("name", "country", "admin1", "admin2", "admin2_code", "kind")
_ALIAS_SEP = "|"
_CORRIDOR_SEP = ";"
_GEOD = pyproj.Geod(ellps="WGS84")
# Largest ratio between true and projected distance tolerated when collecting candidates.
_NEAREST_SLACK = 0.25


@functools.cache
def _to_nearest_crs() -> pyproj.Transformer:
    """Transformer from WGS84 longitude/latitude to :data:`NEAREST_CRS` metres."""
    return pyproj.Transformer.from_crs("EPSG:4326", NEAREST_CRS, always_xy=True)




def _as_list(value: object, sep: str) -> list[str]:
    """A cell holding a list, a ``sep``-separated string or nothing, as a list of strings."""
    if isinstance(value, (list, tuple, np.ndarray, pd.Series)):
        items = [str(v).strip() for v in value if v is not None and not pd.isna(v)]
    elif value is None or (isinstance(value, float) and np.isnan(value)):
        items = []
    else:
        items = [part.strip() for part in str(value).split(sep)]
    return [item for item in items if item]


def _rows(index: pd.Index, mask: npt.NDArray[np.bool_], limit: int = 10) -> str:
    """Short listing of the place ids where ``mask`` holds."""
    ids = [str(i) for i in index[mask]]
    text = ", ".join(ids[:limit])
    return text + (f" (+{len(ids) - limit} more)" if len(ids) > limit else "")


class Gazetteer:
    """Places of the migration corridors, searchable by name, alias, id and coordinates.

    Parameters
    ----------
    places : geopandas.GeoDataFrame or pandas.DataFrame
        One row a place, indexed by ``place_id`` (or with a ``place_id`` column), with the
        columns of :data:`PLACE_COLUMNS`: ``name``, ``aliases`` (list of str, or a
        ``|``-separated string), ``country`` (ISO 3166-1 alpha-3), ``admin1``, ``admin2``,
        ``admin2_code`` (official code such as DIVIPOLA, or empty), ``kind`` (one of
        :data:`PLACE_KINDS`), ``corridors`` (list of str, or a ``;``-separated string, each one
        of :data:`CORRIDORS`), ``lat`` and ``lon`` (WGS84 decimal degrees).
    source : str, optional
        Where the table came from, named in error messages.

    Attributes
    ----------
    places : geopandas.GeoDataFrame
        The validated places; ``geometry`` is rebuilt from ``lon``/``lat`` in EPSG:4326. Treat
        it as read-only: the lookup keys are built once, at construction.

    Raises
    ------
    GazetteerError
        Listing every problem: missing columns, duplicate or empty ids, unknown kinds or
        corridors, coordinates missing or out of range, a name or alias naming two places.

    Examples
    --------
    >>> gaz = load_gazetteer()
    >>> gaz.lookup("cucuta")["admin2_code"]
    '54001'
    >>> gaz.resolve(["Cúcuta", "Rumichaca", "nowhere"]).tolist()
    ['co-cucuta', 'co-puente-rumichaca', None]
    """

    def __init__(self, places: gpd.GeoDataFrame | pd.DataFrame, *, source: str = "table") -> None:
        self.source = source
        frame = pd.DataFrame(places).copy()
        if "place_id" in frame.columns:
            frame = frame.set_index("place_id")
        frame.index = frame.index.astype(str)
        frame.index.name = "place_id"
        problems: list[str] = []
        missing = [c for c in PLACE_COLUMNS if c not in frame.columns]
        if missing:
            raise GazetteerError(source, [f"missing column(s) {', '.join(missing)}"])
        self.places: gpd.GeoDataFrame = self._validated(frame, problems)
        self._keys: dict[str, str] = self._build_keys(problems)
        if problems:
            raise GazetteerError(source, problems)
        self._tree: shapely.STRtree | None = None
        self._projected: npt.NDArray[np.object_] | None = None

    # ------------------------------------------------------------------ construction
    @staticmethod
    def _validated(frame: pd.DataFrame, problems: list[str]) -> gpd.GeoDataFrame:
        """Normalise column types and collect every value problem."""
        ids = frame.index
        blank = (ids.str.strip() == "") | ids.isin(["nan", "None"])
        if blank.any():
            problems.append(f"{int(blank.sum())} place(s) without place_id")
        dup = ids.duplicated(keep=False)
        if dup.any():
            problems.append(f"duplicate place_id: {_rows(ids, dup)}")
        for col in _TEXT_COLUMNS:
            frame[col] = frame[col].fillna("").astype(str).str.strip()
        no_name = (frame["name"] == "").to_numpy()
        if no_name.any():
            problems.append(f"place(s) without name: {_rows(ids, no_name)}")
        bad_kind = ~frame["kind"].isin(PLACE_KINDS).to_numpy()
        if bad_kind.any():
            kinds = sorted(set(frame.loc[bad_kind, "kind"]))
            problems.append(
                f"unknown kind {kinds} at {_rows(ids, bad_kind)}; expected one of {PLACE_KINDS}"
            )
        bad_country = ~frame["country"].str.fullmatch(r"[A-Z]{3}").to_numpy()
        if bad_country.any():
            problems.append(
                f"country is not an ISO 3166-1 alpha-3 code at {_rows(ids, bad_country)}"
            )
        bad_code = ~frame["admin2_code"].str.fullmatch(r"\d*").to_numpy()
        if bad_code.any():
            problems.append(f"admin2_code is not all digits at {_rows(ids, bad_code)}")
        frame["aliases"] = frame["aliases"].map(lambda v: _as_list(v, _ALIAS_SEP))
        frame["corridors"] = frame["corridors"].map(lambda v: _as_list(v, _CORRIDOR_SEP))
        flat = frame["corridors"].explode()
        bad = flat.notna() & ~flat.isin(CORRIDORS)
        if bad.any():
            problems.append(
                f"unknown corridor {sorted(set(flat[bad]))} at "
                f"{', '.join(sorted(set(flat.index[bad])))}; expected any of {CORRIDORS}"
            )
        for col, bound in (("lat", 90.0), ("lon", 180.0)):
            values = pd.to_numeric(frame[col], errors="coerce").astype(float)
            out = (values.isna() | (values.abs() > bound)).to_numpy()
            if out.any():
                problems.append(f"{col} missing or outside ±{bound:g} at {_rows(ids, out)}")
            frame[col] = values
        geometry = gpd.points_from_xy(frame["lon"], frame["lat"], crs="EPSG:4326")
        columns = list(PLACE_COLUMNS) + [
            c for c in frame.columns if c not in PLACE_COLUMNS and c != "geometry"
        ]
        return gpd.GeoDataFrame(frame[columns], geometry=geometry, crs="EPSG:4326")

    def _build_keys(self, problems: list[str]) -> dict[str, str]:
        """Map every normalised id, name and alias to its place id; report ambiguous keys."""
        places = self.places
        labels = pd.concat(
            [
                pd.Series(places.index, index=places.index),
                places["name"],
                places["aliases"].explode().dropna(),
            ]
        )
        keys = pd.DataFrame({"key": labels.map(normalize_key), "place_id": labels.index})
        keys = keys[keys["key"] != ""].drop_duplicates()
        n_places = keys.groupby("key")["place_id"].nunique()
        clashes = n_places[n_places > 1]
        for key in clashes.index[:20]:
            owners = sorted(keys.loc[keys["key"] == key, "place_id"])
            problems.append(f"name or alias {key!r} names several places: {', '.join(owners)}")
        if len(clashes) > 20:
            problems.append(f"... and {len(clashes) - 20} more ambiguous names")
        return dict(zip(keys["key"], keys["place_id"], strict=True))

    @classmethod
    def from_csv(cls, path: str | os.PathLike[str]) -> Gazetteer:
        """Read a gazetteer CSV (UTF-8, header row, the columns of :data:`PLACE_COLUMNS`).

        Parameters
        ----------
        path : str or os.PathLike
            CSV with a ``place_id`` column; ``aliases`` separated by ``|``, ``corridors`` by
            ``;``. Codes keep their leading zeros (``05490``).

        Returns
        -------
        Gazetteer
        """
        try:
            frame = pd.read_csv(
                path, dtype=str, keep_default_na=False, encoding="utf-8", index_col=False
            )
        except (OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
            raise GazetteerError(str(path), [f"cannot read the file: {exc}"]) from exc
        if "place_id" not in frame.columns:
            raise GazetteerError(str(path), ["missing column(s) place_id"])
        return cls(frame, source=str(path))

    # ------------------------------------------------------------------ names
    def __len__(self) -> int:
        return len(self.places)

    def __contains__(self, name_or_id: object) -> bool:
        return normalize_key(name_or_id) in self._keys

    def __repr__(self) -> str:
        countries = self.places["country"].nunique()
        return f"<Gazetteer: {len(self)} places in {countries} countries ({self.source})>"

    @property
    def corridors(self) -> tuple[str, ...]:
        """Corridors that have at least one place, in the order of :data:`CORRIDORS`."""
        present = set(self.places["corridors"].explode().dropna())
        return tuple(c for c in CORRIDORS if c in present)

    def lookup(self, name_or_id: str) -> pd.Series:
        """The place named ``name_or_id`` (its id, name or any alias; accents and case ignored).

        Parameters
        ----------
        name_or_id : str
            For example ``"Cúcuta"``, ``"CUCUTA"``, ``"San José de Cúcuta"`` or ``"co-cucuta"``.

        Returns
        -------
        pandas.Series
            The place's row; ``Series.name`` is its ``place_id``.

        Raises
        ------
        PlaceNotFoundError
            When nothing matches, with up to three suggestions.
        """
        place_id = self._keys.get(normalize_key(name_or_id))
        if place_id is None:
            raise PlaceNotFoundError(str(name_or_id), self.suggest(str(name_or_id)))
        row = self.places.loc[place_id]
        assert isinstance(row, pd.Series)  # place ids are unique, so one id is one row
        return row.copy()

    def suggest(self, name: str, n: int = 3) -> list[str]:
        """Names of the places whose name or alias is closest to ``name``, best first.

        Parameters
        ----------
        name : str
            A misspelt place name, such as ``"Cucta"``.
        n : int, default 3
            Most suggestions returned.

        Returns
        -------
        list of str
            Official place names (an alias that matches is reported as its place's name).
        """
        label_to_name = dict(zip(self.places["name"], self.places["name"], strict=True))
        aliases = self.places["aliases"].explode().dropna()
        label_to_name.update(
            (alias, name_)
            for alias, name_ in zip(aliases, self.places.loc[aliases.index, "name"], strict=True)
            if alias not in label_to_name
        )
        out: list[str] = []
        for label in did_you_mean(name, label_to_name, n=max(n * 3, n)):
            canonical = label_to_name[label]
            if canonical not in out:
                out.append(canonical)
        return out[:n]

    def resolve(self, names: npt.ArrayLike) -> npt.NDArray[np.object_]:
        """Place ids for many names, ids or aliases at once.

        Each distinct value is normalised once; rows are mapped through a key dictionary.

        Parameters
        ----------
        names : array-like
            Names, aliases or place ids; ``None``/``NaN`` allowed.

        Returns
        -------
        numpy.ndarray of object
            One ``place_id`` per input, ``None`` where the input is missing or unknown.
        """
        values = pd.Series(np.asarray(names, dtype=object).ravel())
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        mapped = pd.Series(uniques, dtype=object).map(normalize_key).map(self._keys)
        table = np.append(mapped.astype(object).where(mapped.notna(), None).to_numpy(), np.array([None]))
        return table[codes]  # code -1 (missing) picks the trailing None

    # ------------------------------------------------------------------ geometry
    def _nearest_index(self) -> tuple[shapely.STRtree, pyproj.Transformer]:
        """STRtree of the places in :data:`NEAREST_CRS`, built on first use."""
        transformer = _to_nearest_crs()
        if self._tree is None:
            x, y = transformer.transform(
                self.places["lon"].to_numpy(), self.places["lat"].to_numpy()
            )
            self._projected = shapely.points(x, y)
            self._tree = shapely.STRtree(self._projected)
        return self._tree, transformer

    def nearest(
        self,
        lon: npt.ArrayLike,
        lat: npt.ArrayLike,
        *,
        max_distance_m: float | None = None,
    ) -> tuple[npt.NDArray[np.object_], npt.NDArray[np.float64]]:
        """The nearest place to each coordinate, and the geodesic distance to it in metres.

        Parameters
        ----------
        lon, lat : array-like of float
            WGS84 longitudes and latitudes (same length; scalars give arrays of one).
        max_distance_m : float, optional
            Farther than this, the place id is ``None`` (the distance is still reported).

        Returns
        -------
        place_ids : numpy.ndarray of object
            ``place_id`` of the nearest place; ``None`` for missing or invalid coordinates and
            beyond ``max_distance_m``.
        distances_m : numpy.ndarray of float
            Geodesic distance on the WGS84 ellipsoid in metres; ``NaN`` for invalid coordinates.

        Notes
        -----
        Candidates come from a shapely ``STRtree`` in :data:`NEAREST_CRS` (azimuthal
        equidistant centred at 0°N 72°W); all places within 1.25 times the projected nearest
        distance are compared by exact geodesic distance (``pyproj.Geod``), so the projection's
        scale error cannot pick the wrong place.
        """
        lon_a = np.atleast_1d(np.asarray(lon, dtype=float)).ravel()
        lat_a = np.atleast_1d(np.asarray(lat, dtype=float)).ravel()
        if lon_a.shape != lat_a.shape:
            raise ParameterError(f"lon and lat differ in length: {lon_a.size} != {lat_a.size}")
        ids = np.full(lon_a.size, None, dtype=object)
        dist = np.full(lon_a.size, np.nan)
        valid = (
            np.isfinite(lon_a) & np.isfinite(lat_a) & (np.abs(lat_a) <= 90) & (np.abs(lon_a) <= 180)
        )
        if not valid.any() or len(self) == 0:
            return ids, dist
        tree, transformer = self._nearest_index()
        rows = np.flatnonzero(valid)
        x, y = transformer.transform(lon_a[rows], lat_a[rows])
        points = shapely.points(x, y)
        (q, _), d0 = tree.query_nearest(points, return_distance=True, all_matches=False)
        radius = np.empty(rows.size)
        radius[q] = d0 * (1.0 + _NEAREST_SLACK) + 1.0
        qi, ti = tree.query(points, predicate="dwithin", distance=radius)
        _, _, meters = _GEOD.inv(
            lon_a[rows[qi]],
            lat_a[rows[qi]],
            self.places["lon"].to_numpy()[ti],
            self.places["lat"].to_numpy()[ti],
        )
        order = np.lexsort((meters, qi))
        first = order[np.unique(qi[order], return_index=True)[1]]
        best_rows = rows[qi[first]]
        dist[best_rows] = meters[first]
        ids[best_rows] = self.places.index.to_numpy()[ti[first]]
        if max_distance_m is not None:
            ids[~(dist <= max_distance_m)] = None
        return ids, dist

    # ------------------------------------------------------------------ subsets & display
    def in_corridor(self, corridor: str) -> gpd.GeoDataFrame:
        """Places on ``corridor`` (one of :data:`CORRIDORS`), as a copy.

        Raises
        ------
        GazetteerError
            When ``corridor`` is not a known corridor.
        """
        key = normalize_key(corridor).replace(" ", "_")
        if key not in CORRIDORS:
            hint = did_you_mean(corridor, CORRIDORS)
            raise GazetteerError(
                self.source,
                [
                    f"unknown corridor {corridor!r}; expected one of {CORRIDORS}"
                    + (f" (did you mean {hint[0]!r}?)" if hint else "")
                ],
            )
        flat = self.places["corridors"].explode()
        ids = flat.index[(flat == key).to_numpy()].unique()
        return self.places.loc[self.places.index.isin(ids)].copy()

    def summary(self) -> pd.DataFrame:
        """Number of places by country (rows) and kind (columns), with totals."""
        table = pd.crosstab(
            self.places["country"], self.places["kind"], margins=True, margins_name="total"
        )
        kinds = [k for k in PLACE_KINDS if k in table.columns] + ["total"]
        return table[kinds]

    def _repr_html_(self) -> str:
        head = (
            f"<p><strong>Gazetteer</strong>: {len(self)} places, "
            f"{self.places['country'].nunique()} countries, corridors: "
            f"{html.escape(', '.join(self.corridors))}</p>"
        )
        return head + self.summary().to_html(escape=True)


def _packaged_csv() -> Any:
    return resources.files("routes").joinpath("data", "gazetteer.csv")


@functools.lru_cache(maxsize=1)
def load_gazetteer() -> Gazetteer:
    """The bundled route gazetteer (``routes/data/gazetteer.csv``), read once and cached.

    Returns
    -------
    Gazetteer
        Shared between callers: do not modify its ``places`` in place.
    """
    with resources.as_file(_packaged_csv()) as path:
        return Gazetteer.from_csv(path)


def country_code(country: str) -> str:
    """``country`` as ISO 3166-1 alpha-3: ``"CO"``, ``"COL"``, ``"Colombia"`` → ``"COL"`` (pycountry).

    Raises :class:`routes.errors.ParameterError` naming the value when it is no country.
    """
    import pycountry

    try:
        return str(pycountry.countries.lookup(str(country).strip()).alpha_3)
    except LookupError:
        raise ParameterError(
            f"unknown country {country!r}; expected an ISO 3166-1 code or name, e.g. COL or Colombia"
        ) from None


def country_names(codes: pd.Series, lang: str = "en") -> pd.Series:
    """ISO 3166-1 alpha-3 codes as country names a reader knows (``PER`` → Peru / Perú).

    The common name where ISO has one ("Venezuela", not "Venezuela, Bolivarian Republic of"), in
    Spanish from pycountry's iso3166-1 catalogue; a code ISO does not know is kept as given.
    """
    return codes.map(_country_table(lang)).fillna(codes)


@functools.cache
def _country_table(lang: str) -> dict[str, str]:
    import gettext

    import pycountry

    spanish = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["es"], fallback=True)
    names = {}
    for country in pycountry.countries:
        name = getattr(country, "common_name", None) or country.name
        names[country.alpha_3] = spanish.gettext(name) if lang == "es" else name
    return names
