"""The reading layer under :mod:`routes.io`: files into raw text tables, header keys, row problems.

An internal API shared by the whole-file reader (:mod:`routes.io`), the chunked reader
(:mod:`routes.scale`) and the mapping suggester (:mod:`routes.mapping`), so the three read cells,
match headers and report problems the same way. Not part of the public API: the names are public so
that those modules share them without reaching into each other's private names.
"""

from __future__ import annotations

import csv
import io
import os
import re
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from routes._text import normalize_key
from routes.errors import CaseDataError
from routes.schema import (
    CASE_FIELDS,
    CTDC_EXPLOITATION_FLAGS,
    CTDC_ONE_HOT,
    EVENT_FIELDS,
    MULTI_SEPARATOR,
    SERVICE_FIELDS,
    VOCABULARIES,
    Field,
)

__all__ = [
    "AGE",
    "COORDINATE_PAIR",
    "CRS",
    "FIELDS",
    "PathLike",
    "RawTable",
    "RowChecks",
    "clean_cells",
    "column_text",
    "ctdc_family",
    "field_keys",
    "header_key",
    "hxl_key",
    "read_raw",
    "sniff_delimiter",
    "split_hxl",
    "split_pattern",
    "table_names",
    "to_number",
]

PathLike = str | os.PathLike[str]

CRS = "EPSG:4326"
_DELIMITERS = (",", ";", "\t", "|")
_SNIFF_LINES = 50
_GARBAGE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffd]")
_MAX_GARBAGE_SHARE = 0.01
_MULTI_SPLIT = r"\s*;\s*"  # the standard's separator; others by mapping
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
COORDINATE_PAIR = (r"^\s*\(?\s*([-+]?\d+(?:[.,]\d+)?)\s*[,;\s]\s*([-+]?\d+(?:[.,]\d+)?)\s*\)?\s*$")
_GEO_SUFFIXES = {".geojson", ".json", ".gpkg", ".parquet", ".geoparquet", ".shp", ".fgb"}
_XLSX_SUFFIXES = {".xlsx", ".xlsm"}
# Sheet or layer names that say which table they hold, when ``sheet`` is not given.
_TABLE_SHEETS = {
    "cases": {"cases", "casos", "case", "caso"},
    "events": {"events", "eventos", "event", "evento", "ruta", "rutas", "routes"},
    "services": {"services", "servicios", "service", "servicio"},
}
# Headers read by io beyond the schema's aliases: a numeric age becomes ``age_group``, and CTDC
# publishes the registration year only (read as 1 January of that year).
AGE = "age"
_AGE_HEADERS = {"age", "edad", "edadanos", "ageyears", "edadactual", "ageatregistration"}
_EXTRA_HEADERS = {"cases": {"yearofregistration": "date_registered"}}
FIELDS: dict[str, tuple[Field, ...]] = {"cases": CASE_FIELDS, "events": EVENT_FIELDS,
                                         "services": SERVICE_FIELDS}
_PROBLEM_COLUMNS = ["table", "file", "row", "column", "value", "expected", "hint"]


def table_names(table: str) -> set[str]:
    return {f.name for f in FIELDS[table]} | ({AGE} if table == "cases" else set())


# --------------------------------------------------------------------------------------------------
# Reading files into raw text tables


@dataclass
class RawTable:
    """A file's cells as text, by column position, with the spreadsheet row number of each row."""

    file: str
    headers: list[str]
    cells: pd.DataFrame          # columns 0..k-1, str, "" for blanks, RangeIndex
    rows: np.ndarray             # spreadsheet row (or feature number) per row
    hxl: list[str] | None = None
    point: pd.DataFrame | None = None  # lat, lon, geom_type from a geometry column
    ragged: pd.Series | None = None    # cells count per row where it exceeds the header


def read_raw(path: PathLike, *, table: str, sheet: str | None, encoding: str | None,
              delimiter: str | None) -> RawTable:
    path = Path(path)
    name = path.name
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CaseDataError(f"{name}: cannot read the file ({exc.strerror or exc})") from exc
    if not data.strip():
        raise CaseDataError(f"{name}: the file is empty")
    suffix = path.suffix.lower()
    if suffix in _XLSX_SUFFIXES or data[:4] == b"PK\x03\x04":
        raw = _read_xlsx(data, name, table=table, sheet=sheet)
    elif (suffix in _GEO_SUFFIXES or data[:16] == b"SQLite format 3\x00" or data[:4] == b"PAR1"):
        raw = _read_geo(path, table=table, layer=sheet)
    else:
        raw = _read_text(data, name, encoding=encoding, delimiter=delimiter)
    if not raw.headers or not any(raw.headers):
        raise CaseDataError(f"{name}: no header row found")
    return split_hxl(raw)


def _decode(data: bytes, name: str, encoding: str | None) -> str:
    """Text of a CSV file: the given encoding, else BOMs, UTF-8, then cp1252 / Latin-1."""
    if encoding:
        try:
            return data.decode(encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            raise CaseDataError(f"{name}: cannot decode the file as {encoding} ({exc})") from exc
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise CaseDataError(f"{name}: broken UTF-16 text ({exc})") from exc
    for candidate in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(candidate)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def sniff_delimiter(lines: list[str]) -> str:
    """The delimiter that splits the header into most columns and most rows alike."""
    best, best_score = ",", (0, 0)
    for candidate in _DELIMITERS:
        widths = [len(r) for r in csv.reader(lines, delimiter=candidate)]
        if not widths or widths[0] < 2:
            continue
        score = (sum(w == widths[0] for w in widths), widths[0])
        if score > best_score:
            best, best_score = candidate, score
    return best


def _read_text(data: bytes, name: str, *, encoding: str | None, delimiter: str | None) -> RawTable:
    text = _decode(data, name, encoding)
    sample = text[:65536]
    if len(_GARBAGE.findall(sample)) > _MAX_GARBAGE_SHARE * len(sample):
        raise CaseDataError(f"{name}: not a table (binary or garbled content; expected CSV, XLSX, "
                            "GeoJSON, GeoPackage or GeoParquet)")
    lines = text.splitlines()
    try:
        sep = delimiter or sniff_delimiter([ln for ln in lines[:_SNIFF_LINES] if ln.strip()])
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=sep))
    except csv.Error as exc:
        raise CaseDataError(f"{name}: not a readable CSV table ({exc})") from exc
    numbered = [(i + 1, r) for i, r in enumerate(records) if any(c.strip() for c in r)]
    if not numbered:
        raise CaseDataError(f"{name}: the file is empty")
    (_, header), body = numbered[0], numbered[1:]
    width = len(header)
    rows = np.array([n for n, _ in body], dtype=int)
    widths = pd.Series([len(r) for _, r in body], dtype=int)
    cells = pd.DataFrame([(r + [""] * width)[:width] for _, r in body], columns=range(width), dtype=str)
    overflow = pd.Series([any(c.strip() for c in r[width:]) for _, r in body], dtype=bool)
    ragged = widths.where(overflow) if overflow.any() else None
    return RawTable(name, [h.strip() for h in header], clean_cells(cells, width), rows, ragged=ragged)


def clean_cells(cells: pd.DataFrame, width: int) -> pd.DataFrame:
    cells = cells.reindex(columns=range(width)).fillna("").astype(str)
    return cells.apply(lambda column: column.str.strip()).reset_index(drop=True)


def _cell_text(value: object) -> str:
    """An XLSX cell as text: whole numbers without ``.0``, dates in ISO form."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, date):
        return value.isoformat(sep=" ") if isinstance(value, datetime) else value.isoformat()
    return str(value)


def _pick(names: list[str], wanted: str | None, table: str, name: str) -> str:
    if wanted is not None:
        if wanted not in names:
            raise CaseDataError(f"{name}: no sheet or layer {wanted!r}; found {names}")
        return wanted
    for candidate in names:
        if normalize_key(candidate) in _TABLE_SHEETS[table]:
            return candidate
    return names[0]


def _read_xlsx(data: bytes, name: str, *, table: str, sheet: str | None) -> RawTable:
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as exc:
        raise CaseDataError(f"{name}: not a readable XLSX workbook ({exc})") from exc
    try:
        ws = book[_pick(book.sheetnames, sheet, table, name)]
        numbered = [(i, [_cell_text(v) for v in values])
                    for i, values in enumerate(ws.iter_rows(values_only=True), start=1)]
    finally:
        book.close()
    numbered = [(i, r) for i, r in numbered if any(c.strip() for c in r)]
    if not numbered:
        raise CaseDataError(f"{name}: the sheet is empty")
    (_, header), body = numbered[0], numbered[1:]
    width = max(i + 1 for i, h in enumerate(header) if h.strip()) if any(header) else len(header)
    extra = [any(c.strip() for c in r[width:]) for _, r in body]
    cells = pd.DataFrame([r[:width] for _, r in body], columns=range(width), dtype=str)
    ragged = pd.Series([len(r) if x else np.nan for (_, r), x in zip(body, extra, strict=True)])
    return RawTable(name, [h.strip() for h in header[:width]], clean_cells(cells, width),
                     np.array([i for i, _ in body], dtype=int),
                     ragged=ragged if any(extra) else None)


def _read_geo(path: Path, *, table: str, layer: str | None) -> RawTable:
    import pyogrio

    name = path.name
    frame: pd.DataFrame
    try:
        if path.suffix.lower() in (".parquet", ".geoparquet"):
            frame = gpd.read_parquet(path)
        else:
            layers = [str(n) for n in pyogrio.list_layers(path)[:, 0]]
            frame = gpd.read_file(path, layer=_pick(layers, layer, table, name))
    except CaseDataError:
        raise
    except Exception as exc:  # pyogrio, pyarrow and shapely raise many types for unreadable input
        raise CaseDataError(f"{name}: not a readable geospatial table ({exc})") from exc
    point = None
    if isinstance(frame, gpd.GeoDataFrame) and frame.geometry.name in frame:
        geometry = frame.geometry
        if frame.crs is not None and not frame.crs.equals(CRS):
            geometry = geometry.to_crs(CRS)
        is_point = np.asarray(geometry.geom_type == "Point") & ~np.asarray(geometry.is_empty)
        xy = shapely.get_coordinates(geometry.values[is_point])
        lat, lon = np.full(len(frame), np.nan), np.full(len(frame), np.nan)
        lat[is_point], lon[is_point] = xy[:, 1], xy[:, 0]
        point = pd.DataFrame({"lat": lat, "lon": lon,
                              "geom_type": geometry.geom_type.fillna("").to_numpy()})
        frame = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    cells = pd.DataFrame({i: column_text(frame[c]) for i, c in enumerate(frame.columns)},
                         index=range(len(frame)))
    return RawTable(name, [str(c).strip() for c in frame.columns], clean_cells(cells, frame.shape[1]),
                     np.arange(1, len(frame) + 1), point=point)


def column_text(values: pd.Series) -> pd.Series:
    """A typed column as text: whole floats without ``.0``, dates in ISO form, missing as ``""``."""
    values = values.reset_index(drop=True)
    if pd.api.types.is_float_dtype(values):
        finite = values.dropna()
        if len(finite) and (finite % 1 == 0).all():
            values = values.astype("Int64")
    elif pd.api.types.is_datetime64_any_dtype(values):
        values = values.dt.strftime("%Y-%m-%d %H:%M:%S")
    return values.astype("string").fillna("").astype(str)


def split_hxl(raw: RawTable) -> RawTable:
    """Take the HXL hashtag row (the first row, every filled cell a ``#tag``) out of the data."""
    if not len(raw.cells):
        return raw
    first = raw.cells.iloc[0]
    filled = first[first.ne("")]
    if not len(filled) or not filled.str.match(r"^#[A-Za-z]").all():
        return raw
    ragged = raw.ragged.iloc[1:].reset_index(drop=True) if raw.ragged is not None else None
    point = raw.point.iloc[1:].reset_index(drop=True) if raw.point is not None else None
    return RawTable(raw.file, raw.headers, raw.cells.iloc[1:].reset_index(drop=True), raw.rows[1:],
                     hxl=first.tolist(), point=point, ragged=ragged)


# --------------------------------------------------------------------------------------------------
# Header keys


def header_key(header: object) -> str:
    """Headers match ignoring accents, case, spacing and punctuation."""
    return normalize_key(_CAMEL.sub(" ", str(header))).replace(" ", "")


def hxl_key(tag: str) -> tuple[str, frozenset[str]]:
    """An HXL tag as (hashtag, attributes): attribute order does not matter."""
    parts = tag.strip().lower().replace(" ", "").split("+")
    return parts[0], frozenset(parts[1:])


def field_keys(table: str) -> dict[str, str]:
    keys: dict[str, str] = {}
    for f in FIELDS[table]:
        for spelling in (f.name, f.en, f.es, *f.header_aliases):
            keys.setdefault(header_key(spelling), f.name)
    for spelling, name in _EXTRA_HEADERS.get(table, {}).items():
        keys.setdefault(spelling, name)
    if table == "cases":
        keys.update(dict.fromkeys(_AGE_HEADERS, AGE))
    return keys


def ctdc_family(header: str, table: str) -> tuple[str, str] | None:
    """(field, code) for a CTDC one-hot column such as ``meansOfControlDebtBondage``."""
    if table != "cases":
        return None
    if header in CTDC_EXPLOITATION_FLAGS:
        return "exploitation_type", CTDC_EXPLOITATION_FLAGS[header]
    for prefix, name in CTDC_ONE_HOT.items():
        if header.startswith(prefix) and len(header) > len(prefix):
            code = VOCABULARIES[name].parse(_CAMEL.sub(" ", header[len(prefix):]))
            return (name, code) if code is not None else None
    return None


# --------------------------------------------------------------------------------------------------
# Problems


class RowChecks:
    """Problems found in one table, collected as vectorised masks over its rows."""

    def __init__(self, table: str, file: str, rows: np.ndarray) -> None:
        self.table, self.file, self.rows = table, file, rows
        self.bad = np.zeros(len(rows), dtype=bool)
        self._frames: list[pd.DataFrame] = []

    def add(self, mask: pd.Series | np.ndarray, *, column: str, values: pd.Series | str, expected: str,
            hint: pd.Series | np.ndarray | str = "") -> None:
        """Record a problem for every row where ``mask`` holds."""
        mask = np.asarray(mask, dtype=bool)
        if not mask.any():
            return
        self.bad |= mask
        n = int(mask.sum())

        def pick(v: pd.Series | np.ndarray | str) -> Any:
            return np.asarray(v, dtype=object)[mask] if isinstance(v, pd.Series | np.ndarray) else [v] * n

        self._frames.append(pd.DataFrame({
            "table": self.table, "file": self.file, "row": self.rows[mask], "column": column,
            "value": pick(values), "expected": expected, "hint": pick(hint),
        }))

    def add_table(self, *, column: str, value: object, expected: str, hint: str = "") -> None:
        """Record a problem with a whole column: every row of the table is rejected."""
        self.bad[:] = True
        self._frames.append(pd.DataFrame({
            "table": [self.table], "file": [self.file], "row": [None], "column": [column],
            "value": [value], "expected": [expected], "hint": [hint],
        }))

    def frame(self) -> pd.DataFrame:
        frames = [f for f in self._frames if len(f)]
        if not frames:
            return pd.DataFrame({c: pd.Series(dtype="Int64" if c == "row" else object)
                                 for c in _PROBLEM_COLUMNS})
        # Steps of one route share their case's row: say each thing once.
        out = pd.concat(frames, ignore_index=True).drop_duplicates()
        out["row"] = out["row"].astype("Int64")
        out["value"] = out["value"].astype(object)
        return out.sort_values(["file", "row"], kind="stable", na_position="first").reset_index(drop=True)


# --------------------------------------------------------------------------------------------------
# Cell text


def to_number(text: pd.Series) -> pd.Series:
    """Numbers written with a decimal point or a decimal comma (Spanish Excel)."""
    return pd.to_numeric(text.str.replace(",", ".", regex=False), errors="coerce").astype(float)


def split_pattern(separators: tuple[str, ...]) -> str:
    """The regular expression splitting cells at any of ``separators`` (a blank one: any spaces)."""
    if separators == (MULTI_SEPARATOR,):
        return _MULTI_SPLIT
    pattern = "|".join(re.escape(x) if x.strip() else r"\s+" for x in separators)
    return rf"\s*(?:{pattern})\s*"


