"""Large incident sets: the per-record work in bounded chunks, in-process or on a Dask cluster.

Years of flow-monitoring surveys or de-identified mobility records (tens to hundreds of millions of
rows) do not fit in memory, but the work on each record is independent of every other record:
read it, validate it (with :mod:`routes.io`'s own checks), attach it to a :class:`RouteNetwork`
(a gazetteer place within ``snap_place_m``, else the nearest segment within ``snap_segment_m``),
bin it into an H3 hexagon and a month. What comes out is small: distinct people per place, segment,
hexagon and month. This module runs that per-record layer two ways that give identical tables:

* **in-process** (no ``client`` or ``workers``): :func:`iter_chunks` reads ``rows`` records at a
  time, so no more than that many raw rows are ever held; each chunk's distinct (cell, person) rows
  are spilled to disk in buckets by a hash of the person (:class:`PersonBuckets`) and counted a
  bucket at a time, so memory does not grow with the number of records;
* **on Dask**: the same chunk functions run as tasks on a ``distributed`` cluster (or on the
  partitions of a Dask DataFrame the user passes); the network and the cases travel to the workers
  once (``Client.scatter(..., broadcast=True)``), and distinct people are counted exactly across
  partitions: each task splits its distinct (cell, person) rows into buckets by the same hash, one
  task a bucket counts them (a person is in one bucket only), and the buckets' small tables add up.
  What travels between workers is integers: a person is a 64-bit hash of the case id, checked by a
  second hash (a collision is caught and the counts made again with another salt, so they stay
  exact). The workers hold the bucketed rows until the bucket tasks run (Dask spills them to its
  local disk past a worker's memory target); :func:`warm_up` loads once per worker what every
  chunk uses.

The membership tables carry the column names of :class:`~routes.network.RouteNetwork`'s
``place_people``, ``segment_people`` and ``incident_people`` (plus ``hex_people``), so the
disclosure-control layer reads them unchanged. Nothing Dask-specific leaves this module.

How a record is attached (per record, no journey context)
---------------------------------------------------------
* Its ``place_id`` if the gazetteer knows it, else its coordinates snapped to the nearest gazetteer
  place within ``snap_place_m`` metres (as :meth:`RouteNetwork.from_events` does). Such a record is
  in ``place_people``; ``place_people`` therefore equals the network's own for the same events.
* A record with coordinates and no place within reach goes to the nearest segment of the network
  within ``snap_segment_m`` geodesic metres (``segment_people``). Unlike the in-memory network
  builder, an incident *at* a place is not also put on the segment the person was travelling: that
  needs the person's other records, which may sit in another partition.
* Every record with a point (its own, else its place's) falls in one H3 cell (``hex_people``);
  cells finer than resolution 6 are refused for publishable output.
* Incidents, one row per risk code, go to ``incident_people`` (``place_id`` or ``u``/``v``).

CSV files for this path hold one record per line (no line breaks inside quoted cells): chunk
boundaries are found by counting line ends, which is what lets the chunks be read in parallel.
"""

from __future__ import annotations

import glob
import io
import json
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from itertools import repeat
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from routes import io as rio
from routes._mapping_spec import MappingSpec
from routes._records import (
    NO_MONTH,
    case_attributes,
    codes_of,
    month_ordinals,
    month_periods,
    risk_codes,
)
from routes._records import (
    RISKS as RISK_CODES,
)
from routes._tables import RawTable, RowChecks, clean_cells, column_text, sniff_delimiter, split_hxl
from routes.errors import CaseDataError, NetworkError, ParameterError, PolicyError
from routes.network import (
    BY_KEYS,
    CRS_LONLAT,
    GEOD,
    INCIDENT,
    local_projection,
)
from routes.places import CURATED_SOURCE, load_gazetteer
from routes.schema import EVENT_FIELDS, UNKNOWN, VOCABULARIES, Kind

if TYPE_CHECKING:
    import dask.dataframe as dd
    from distributed import Client
    from typing_extensions import TypeIs

    from routes.network import RouteNetwork
    from routes.places import Gazetteer

__all__ = [
    "DistinctCounts",
    "Memberships",
    "PersonBuckets",
    "Quarantine",
    "RawChunk",
    "distinct_counts",
    "iter_chunks",
    "memberships",
    "read_events_chunked",
    "synthetic_records",
    "validate_chunk",
    "warm_up",
]

PathLike = str | os.PathLike[str]
DEFAULT_ROWS = 500_000
MAX_PUBLISHABLE_H3_RESOLUTION = 6
_PARQUET_SUFFIXES = (".parquet", ".geoparquet")
_CSV_SUFFIXES = (".csv", ".txt", ".tsv")
_SCAN_BYTES = 64 * 2**20
_NEWLINE = 10
_NONE = np.array(None, dtype=object)
"""``None`` as a 0-d array, for ``np.where`` (numpy's stubs take no bare ``None``; numpy makes the same)."""
_STAGES: tuple[str, ...] = (*VOCABULARIES["stage"].codes, UNKNOWN)
_STAGE_TEXT = np.array(_STAGES, dtype=object)
_RISK_TEXT = np.array(RISK_CODES, dtype=object)

# The membership tables (column names and order as RouteNetwork's), and the counts made from them:
# count → (table, cell keys). Incidents at places have no u, v; on segments no place_id.
TABLES: dict[str, tuple[str, ...]] = {
    "place_people": ("case_id", "place_id", "stage", "month", "case_type", "consent_reporting"),
    "segment_people": ("case_id", "u", "v", "stage", "month", "case_type", "consent_reporting"),
    "hex_people": ("case_id", "h3_cell", "stage", "month", "case_type", "consent_reporting"),
    "incident_people": ("case_id", "u", "v", "place_id", "risk", "month", "case_type", "consent_reporting"),
}
COUNTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "places": ("place_people", ("place_id",)),
    "segments": ("segment_people", ("u", "v")),
    "hexagons": ("hex_people", ("h3_cell",)),
    "place_incidents": ("incident_people", ("place_id", "risk")),
    "segment_incidents": ("incident_people", ("u", "v", "risk")),
}


# --------------------------------------------------------------------------------------------------
# Reading in chunks


@dataclass(frozen=True)
class RawChunk:
    """Up to ``rows`` consecutive records of one file, as text cells ready for :mod:`routes.io` checks.

    Attributes
    ----------
    file : str
        File name shown in problems (a Dask partition is named ``"partition <i>"``).
    headers : list of str
        The file's header.
    cells : pandas.DataFrame
        Text cells by column position (``""`` for blanks), one row a record.
    rows : numpy.ndarray
        Row of each record as a spreadsheet shows it (CSV: line number, header = 1; Parquet and
        Dask partitions: 1-based feature number).
    point : pandas.DataFrame or None
        ``lat``, ``lon``, ``geom_type`` of a GeoParquet geometry column, if any.
    """

    file: str
    headers: list[str]
    cells: pd.DataFrame
    rows: np.ndarray
    point: pd.DataFrame | None = None


@dataclass(frozen=True)
class _Piece:
    """Where one chunk lies in a file: CSV byte range or Parquet row-group range, and its first row."""

    path: str
    start: int
    stop: int
    first_row: int


def iter_chunks(path: PathLike, *, rows: int = DEFAULT_ROWS, encoding: str | None = None,
                delimiter: str | None = None) -> Iterator[RawChunk]:
    """Read a large CSV or (Geo)Parquet file, or a folder or glob of them, ``rows`` records at a time.

    Parameters
    ----------
    path
        A file, a folder (every ``*.parquet``/``*.csv`` below it, e.g. a hive-partitioned data set,
        in sorted order) or a glob pattern.
    rows
        Most records per chunk: the memory budget of raw rows. A Parquet chunk is a run of whole
        row groups, so it may exceed ``rows`` when one row group does.
    encoding, delimiter
        CSV text encoding (default: UTF-8, else cp1252) and delimiter (default: sniffed as
        :func:`routes.io.read_cases` does).

    Yields
    ------
    RawChunk
    """
    plan = _plan(path, rows=rows, encoding=encoding, delimiter=delimiter)
    for piece in plan.pieces:
        yield plan.read(piece)


@dataclass(frozen=True)
class _Plan:
    """The chunks of a set of files, and how to read each: cheap to pickle and send to workers."""

    pieces: list[_Piece]
    csv_options: dict[str, tuple[str, str, list[str]]]  # path → (encoding, delimiter, headers)

    def read(self, piece: _Piece) -> RawChunk:
        if piece.path in self.csv_options:
            return _read_csv_piece(piece, *self.csv_options[piece.path])
        return _read_parquet_piece(piece)


def _files(path: PathLike) -> list[Path]:
    text = os.fspath(path)
    if any(c in text for c in "*?["):
        found = sorted(Path(p) for p in glob.glob(text, recursive=True))
    elif Path(text).is_dir():
        suffixes = _PARQUET_SUFFIXES + _CSV_SUFFIXES
        found = sorted(p for p in Path(text).rglob("*") if p.suffix.lower() in suffixes)
    else:
        found = [Path(text)]
    if not found:
        raise CaseDataError(f"{text}: no CSV or Parquet file found")
    missing = [str(p) for p in found if not p.is_file()]
    if missing:
        raise CaseDataError(f"{missing[0]}: cannot read the file (no such file)")
    return found


def _plan(path: PathLike, *, rows: int, encoding: str | None, delimiter: str | None) -> _Plan:
    if rows < 1:
        raise ParameterError(f"rows must be at least 1, got {rows}")
    pieces: list[_Piece] = []
    csv_options: dict[str, tuple[str, str, list[str]]] = {}
    for file in _files(path):
        if file.suffix.lower() in _PARQUET_SUFFIXES:
            pieces.extend(_parquet_pieces(file, rows))
        else:
            file_pieces, options = _csv_pieces(file, rows, encoding=encoding, delimiter=delimiter)
            pieces.extend(file_pieces)
            csv_options[str(file)] = options
    return _Plan(pieces, csv_options)


def _parquet_pieces(file: Path, rows: int) -> list[_Piece]:
    """Runs of whole row groups of about ``rows`` records."""
    import pyarrow.parquet as pq

    try:
        metadata = pq.ParquetFile(file).metadata
    except Exception as exc:  # pyarrow raises several types for unreadable files
        raise CaseDataError(f"{file.name}: not a readable Parquet file ({exc})") from exc
    sizes = np.array([metadata.row_group(i).num_rows for i in range(metadata.num_row_groups)], dtype=np.int64)
    pieces, start, first = [], 0, 1
    while start < len(sizes):
        stop = start + max(1, int(np.searchsorted(np.cumsum(sizes[start:]), rows, side="right")))
        pieces.append(_Piece(str(file), start, stop, first))
        first += int(sizes[start:stop].sum())
        start = stop
    return pieces


def _csv_pieces(file: Path, rows: int, *, encoding: str | None,
                delimiter: str | None) -> tuple[list[_Piece], tuple[str, str, list[str]]]:
    """Byte ranges of ``rows`` lines each, found by one pass counting line ends."""
    with file.open("rb") as handle:
        head = handle.read(_SCAN_BYTES)
    if not head.strip():
        raise CaseDataError(f"{file.name}: the file is empty")
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise CaseDataError(f"{file.name}: UTF-16 text is not read in chunks; save it as UTF-8 or use "
                            "routes.read_cases")
    if encoding is None:
        try:
            head[: head.rfind(b"\n") + 1 or len(head)].decode("utf-8")
            encoding = "utf-8-sig"
        except UnicodeDecodeError:
            encoding = "cp1252"
    lines = head.decode(encoding, errors="replace").splitlines()[: 50]
    sep = delimiter or sniff_delimiter([ln for ln in lines if ln.strip()])
    header = next(ln for ln in lines if ln.strip())
    headers = [h.strip() for h in pd.read_csv(io.StringIO(header), sep=sep, header=None,
                                              dtype=str, keep_default_na=False).iloc[0].tolist()]
    # Line starts of the body: the offset after each newline.
    starts: list[np.ndarray] = []
    offset = 0
    with file.open("rb") as handle:
        while block := handle.read(_SCAN_BYTES):
            starts.append(np.flatnonzero(np.frombuffer(block, dtype=np.uint8) == _NEWLINE) + offset + 1)
            offset += len(block)
    line_start = np.concatenate([[0], *starts])
    line_start = line_start[line_start < offset]
    header_line = lines.index(header)
    body = line_start[header_line + 1:]
    cuts = np.r_[body[::rows], offset]
    first_rows = header_line + 2 + np.arange(0, len(body), rows)
    pieces = [_Piece(str(file), int(a), int(b), int(r)) for a, b, r in zip(cuts[:-1], cuts[1:], first_rows,
                                                                           strict=True)]
    return pieces, (encoding, sep, headers)


def _read_csv_piece(piece: _Piece, encoding: str, sep: str, headers: list[str]) -> RawChunk:
    with open(piece.path, "rb") as handle:
        handle.seek(piece.start)
        data = handle.read(piece.stop - piece.start)
    name = Path(piece.path).name
    try:
        cells = pd.read_csv(io.BytesIO(data), sep=sep, header=None, names=range(len(headers)),
                            dtype=str, keep_default_na=False, na_filter=False, skip_blank_lines=False,
                            encoding=encoding, index_col=False)
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise CaseDataError(f"{name}: not a readable CSV table from row {piece.first_row} ({exc})") from exc
    rows = piece.first_row + np.arange(len(cells))
    filled = (cells != "").any(axis=1).to_numpy()
    cells = clean_cells(cells[filled].reset_index(drop=True), len(headers))
    return RawChunk(name, headers, cells, rows[filled])


def _read_parquet_piece(piece: _Piece) -> RawChunk:
    import pyarrow.parquet as pq

    parquet = pq.ParquetFile(piece.path)
    table = parquet.read_row_groups(list(range(piece.start, piece.stop)))
    geo = json.loads((parquet.schema_arrow.metadata or {}).get(b"geo", b"null"))
    return _frame_chunk(table.to_pandas(), Path(piece.path).name, piece.first_row, geo)


def _frame_chunk(frame: pd.DataFrame, name: str, first_row: int, geo: dict[str, Any] | None) -> RawChunk:
    """Typed columns as text (as :mod:`routes.io` reads GeoParquet), a geometry column as points."""
    point = None
    geometry_column = geo["primary_column"] if geo else (
        frame.geometry.name if isinstance(frame, gpd.GeoDataFrame) else None)
    if geometry_column is not None and geometry_column in frame:
        values = frame[geometry_column]
        if isinstance(values, gpd.GeoSeries):
            geometry = values
        else:
            crs = (geo or {}).get("columns", {}).get(geometry_column, {}).get("crs", "EPSG:4326")
            geometry = gpd.GeoSeries(shapely.from_wkb(values.to_numpy()), crs=crs or "EPSG:4326")
        if geometry.crs is not None and not geometry.crs.equals(rio.CRS):
            geometry = geometry.to_crs(rio.CRS)
        is_point = np.asarray(geometry.geom_type == "Point") & ~np.asarray(geometry.is_empty)
        xy = shapely.get_coordinates(geometry.values[is_point])
        lat, lon = np.full(len(frame), np.nan), np.full(len(frame), np.nan)
        lat[is_point], lon[is_point] = xy[:, 1], xy[:, 0]
        point = pd.DataFrame({"lat": lat, "lon": lon, "geom_type": geometry.geom_type.fillna("").to_numpy()})
        frame = pd.DataFrame(frame.drop(columns=geometry_column))
    cells = pd.DataFrame({i: column_text(frame[c]) for i, c in enumerate(frame.columns)},
                         index=range(len(frame)))
    return RawChunk(name, [str(c).strip() for c in frame.columns], clean_cells(cells, frame.shape[1]),
                    first_row + np.arange(len(frame)), point)


# --------------------------------------------------------------------------------------------------
# Validating a chunk (routes.io's checks, unchanged)


def validate_chunk(chunk: RawChunk, *, mapping: Mapping[str, Any] | PathLike | None = None,
                   gazetteer: Gazetteer | None = None, today: date | None = None) -> rio.ValidationReport:
    """Check one chunk of event records with :mod:`routes.io`'s events checks.

    Returns a :class:`~routes.io.ValidationReport` whose ``cases`` is empty: accepted events in the
    events table contract, and every rejected row with its reason. Checks that need the cases
    table (an event's case must be an accepted case) are not made here.
    """
    gaz = gazetteer if gazetteer is not None else load_gazetteer()
    return _validate(chunk, MappingSpec.load(mapping), gaz, pd.Timestamp(today or date.today()))


def _validate(chunk: RawChunk, spec: MappingSpec, gaz: Gazetteer,
              today: pd.Timestamp) -> rio.ValidationReport:
    # the first chunk of a file may carry an HXL tag row
    return rio.validate_event_records(chunk.headers, chunk.cells, chunk.rows, file=chunk.file,
                                      point=chunk.point, hxl=chunk.rows[:1].tolist() in ([1], [2]),
                                      mapping=spec, gazetteer=gaz, today=today)


@dataclass(frozen=True)
class _Checked:
    """One chunk checked: what attaching needs of its accepted records, and its problem table."""

    events: pd.DataFrame
    """``case_id, date, stage, place_id, lat, lon, risk`` of the accepted records."""
    rejected: pd.DataFrame
    n_read: int
    n_rejected: int


_COORDINATES = ("lat", "lon", "lat, lon")
_EVENT_KINDS = {f.name: f.kind for f in EVENT_FIELDS}
_FIELD_RANK = {f.name: i for i, f in enumerate(EVENT_FIELDS)}
_CHECKED = ("case_id", "date", "stage", "place_id", "lat", "lon", "risk")


def _check(chunk: RawChunk, spec: MappingSpec, gaz: Gazetteer, today: pd.Timestamp) -> _Checked:
    """:mod:`routes.io`'s events checks on one chunk, each distinct value of a column checked once."""
    checked = _check_by_value(chunk, spec, gaz, today)
    if checked is not None:
        return checked
    report = _validate(chunk, spec, gaz, today)
    return _Checked(pd.DataFrame(report.events[list(_CHECKED)]), report.rejected, report.n_read["events"],
                    report.n_rejected_by_table["events"])


def _check_by_value(chunk: RawChunk, spec: MappingSpec, gaz: Gazetteer,
                    today: pd.Timestamp) -> _Checked | None:
    """The chunk's records checked through their columns' dictionaries (None: check row by row).

    Every events check but the coordinates' reads one cell (and, for a place name, whether the
    record has coordinates). So :func:`routes.io.validate_event_records` checks a small table of
    each column's distinct values, twice over (without and with coordinates), and
    :func:`routes.io.validate_event_coordinates` checks the coordinates record by record; a
    record's problems are those of its values and of its coordinates, and it is accepted when it
    has none. Chunks the shortcut cannot read exactly (a possible HXL tag row, repeated headers,
    a field fed by several columns, case ids from row numbers, a missing required column) are
    checked row by row.
    """
    n, cells, headers = len(chunk.cells), chunk.cells, chunk.headers
    if not n or len(set(headers)) < len(headers) or (
            chunk.rows[:1].tolist() in ([1], [2]) and split_hxl(
                RawTable(chunk.file, headers, cells.iloc[:1], chunk.rows[:1])).hxl is not None):
        return None
    probe = rio.validate_event_records(headers, cells.iloc[:0], chunk.rows[:0], gazetteer=gaz, today=today,
                                       point=None if chunk.point is None else chunk.point.iloc[:0],
                                       file=chunk.file, mapping=spec)
    field_of = probe.column_map["events"]
    mapped = list(field_of.values())
    if len(probe.rejected) or len(set(mapped)) < len(mapped) or "case_id" not in mapped:
        return None
    located_values, coordinate_problems = rio.validate_event_coordinates(headers, cells, chunk.rows,
                                                                         point=chunk.point, file=chunk.file,
                                                                         mapping=spec)
    located = (located_values["lat"].notna() & located_values["lon"].notna()).to_numpy()
    # Each checked column's distinct values (an id or free text: only whether it is blank).
    position = {field_of[h]: i for i, h in enumerate(headers) if field_of.get(h) not in (None, *_COORDINATES)}
    codes, distinct = {}, {}
    for name, i in position.items():
        if _EVENT_KINDS[name] in (Kind.ID, Kind.TEXT):
            codes[name] = cells[i].ne("").to_numpy().astype(np.int64)
            distinct[name] = np.array(["", "x"], dtype=object)
        else:
            code, values = pd.factorize(cells[i])
            codes[name], distinct[name] = code.astype(np.int64), np.asarray(values, dtype=object)
    m = max([len(v) for v in distinct.values()] + [1])
    bad = np.isin(chunk.rows, coordinate_problems["row"].dropna().to_numpy())
    # The coordinates the table's second half borrows: a record's whose coordinates are sound, if any.
    sound = located & ~bad
    first_located = int(np.argmax(sound if sound.any() else located)) if located.any() else None
    table = _value_table(chunk, field_of, position, distinct, m, first_located)
    point = None
    if chunk.point is not None:
        blank = pd.DataFrame({"lat": np.nan, "lon": np.nan, "geom_type": ""}, index=range(m))
        point = pd.concat([blank, *([] if first_located is None else [
            chunk.point.iloc[[first_located] * m]])], ignore_index=True)
    rows = np.arange(1, len(table) + 1)
    found = rio.validate_event_records(headers, table, rows, point=point, gazetteer=gaz, today=today,
                                       file=chunk.file, mapping=spec).rejected
    label = {(headers[i] or f"(column {i + 1})"): name for name, i in position.items()}
    found = found[found["column"].isin(list(label))].assign(name=lambda f: f["column"].map(label),
                                                              at=lambda f: f["row"].astype(np.int64) - 1)
    # Each record's row of the table per column: the place name's depends on its coordinates.
    at = {name: code + (m * located if name == "place" else 0) for name, code in codes.items()}
    bad_values = {name: found.loc[found["name"] == name, "at"].to_numpy() for name in codes}
    for name, where in at.items():
        bad |= np.isin(where, bad_values[name])
    problems = [coordinate_problems.assign(rank=len(_FIELD_RANK))]
    for name, where in at.items():
        hits = found[found["name"] == name]
        if len(hits):
            record = np.flatnonzero(np.isin(where, hits["at"].to_numpy()))
            expanded = pd.DataFrame({"record": record, "at": where[record]}).merge(hits, on="at", sort=False)
            rank = _FIELD_RANK[name] + (len(_FIELD_RANK) + 1 if name == "place" else 0)
            problems.append(expanded.assign(row=chunk.rows[expanded["record"].to_numpy()], rank=rank)
                            [[*coordinate_problems.columns, "rank"]])
    problems = [frame for frame in problems if len(frame)] or problems[:1]
    rejected = (pd.concat(problems, ignore_index=True).sort_values(["row", "rank"], kind="stable")
                .drop(columns="rank").drop_duplicates().reset_index(drop=True))
    rejected = rejected.astype({"row": "Int64", "value": object})
    events = _accepted_values(chunk, table, point, rows, gaz, today, spec, found, at, position, ~bad,
                              located_values)
    if events is None:
        return None
    return _Checked(events, rejected, n, int(bad.sum()))


def _value_table(chunk: RawChunk, field_of: Mapping[str, str], position: Mapping[str, int],
                 distinct: Mapping[str, np.ndarray], m: int, first_located: int | None) -> pd.DataFrame:
    """Each checked column's distinct values (the last repeated to ``m`` rows), once with blank
    coordinates and, if a record has coordinates, once more with that record's."""
    blocks = 1 if first_located is None else 2
    columns = {}
    for i, header in enumerate(chunk.headers):
        name = field_of.get(header)
        if name is not None and position.get(name) == i:
            values = distinct[name][np.minimum(np.arange(m), len(distinct[name]) - 1)]
            columns[i] = np.tile(values, blocks)
        elif name in _COORDINATES and first_located is not None:
            columns[i] = np.repeat(np.array(["", chunk.cells[i].iloc[first_located]], dtype=object), m)
        else:
            columns[i] = np.full(m * blocks, "", dtype=object)
    return pd.DataFrame(columns).astype("str")


def _accepted_values(chunk: RawChunk, table: pd.DataFrame, point: pd.DataFrame | None, rows: np.ndarray,
                     gaz: Gazetteer, today: pd.Timestamp, spec: MappingSpec, found: pd.DataFrame,
                     at: Mapping[str, np.ndarray], position: Mapping[str, int], accepted: np.ndarray,
                     coordinates: pd.DataFrame) -> pd.DataFrame | None:
    """The values of the accepted records, read from the value table once its problem cells hold a
    good value of their column and its case ids number its rows (None if it is not all accepted)."""
    kept = np.flatnonzero(accepted)
    table = table.copy()
    for name, i in position.items():
        wrong = found.loc[found["name"] == name, "at"].unique()
        if len(wrong):
            good = np.setdiff1d(np.arange(len(table)), wrong)
            if not len(good) and len(kept):
                return None
            column = table[i].to_numpy(dtype=object)
            column[wrong] = "" if name == "place" or not len(good) else column[good[0]]
            table[i] = pd.array(column, dtype="str")
    table[position["case_id"]] = pd.array(np.arange(len(table)).astype(str), dtype="str")
    events = rio.validate_event_records(chunk.headers, table, rows, point=point, gazetteer=gaz, today=today,
                                        file=chunk.file, mapping=spec).events
    order = events["case_id"].astype(np.int64).to_numpy()
    read = np.zeros(len(table), dtype=bool)
    read[order] = True
    where = {name: at[name][kept] if name in at else np.zeros(len(kept), dtype=np.int64)
             for name in ("date", "stage", "place", "risk")}
    if not all(read[w].all() for w in where.values()):
        return None
    out: dict[str, Any] = {"case_id": chunk.cells[position["case_id"]].to_numpy()[kept]}
    for field, name in (("date", "date"), ("stage", "stage"), ("place_id", "place"), ("risk", "risk")):
        by_row = np.empty(len(table), dtype=events[field].to_numpy().dtype)
        by_row[order] = events[field].to_numpy()
        out[field] = by_row[where[name]]
    out["lat"] = coordinates["lat"].to_numpy(dtype=float)[kept]
    out["lon"] = coordinates["lon"].to_numpy(dtype=float)[kept]
    return pd.DataFrame(out)


def warm_up() -> None:
    """Load once in this process what every chunk's checks and attaching use, so no chunk pays it.

    That is the study region's outline (about a second), and the first use of the Parquet reader,
    :mod:`routes.io`'s checks, the projection library's database and H3 (about half a second
    more), here on two made-up records. Each process keeps them, so a long-lived Dask cluster pays
    this once per worker: ``client.run(routes.scale.warm_up)`` after the workers start does it for
    all of them at once, before the first call rather than inside its first tasks.
    """
    import h3.api.numpy_int as h3
    import pyarrow.parquet as pq

    lon, lat = np.array([-74.08, -72.5]), np.array([4.61, 7.9])
    records = pd.DataFrame({"case_id": ["a", "b"], "date": ["2024-01-02", "2024-02-03"],
                            "stage": ["transit", INCIDENT], "place": ["", "Cúcuta"], "lat": [lat[0], np.nan],
                            "lon": [lon[0], np.nan], "risk": ["", "extortion"]})
    parquet = io.BytesIO()
    records.to_parquet(parquet, index=False)
    chunk = _frame_chunk(pq.read_table(parquet).to_pandas(), "warm-up", 1, None)
    _check(chunk, MappingSpec.load(None), load_gazetteer(), pd.Timestamp(date.today()))  # loads the outline
    Transformer.from_crs(CRS_LONLAT, local_projection(lon, lat), always_xy=True).transform(lon, lat)
    h3.latlng_to_cell(lat[0], lon[0], MAX_PUBLISHABLE_H3_RESOLUTION)


def read_events_chunked(path: PathLike, *, rows: int = DEFAULT_ROWS,
                        mapping: Mapping[str, Any] | PathLike | None = None,
                        gazetteer: Gazetteer | None = None,
                        today: date | None = None, encoding: str | None = None,
                        delimiter: str | None = None) -> Iterator[rio.ValidationReport]:
    """Validated events, ``rows`` raw records at a time (see :func:`iter_chunks`, :func:`validate_chunk`).

    Per chunk, accepted + rejected = read; so across chunks too.
    """
    spec = MappingSpec.load(mapping)
    gaz = gazetteer if gazetteer is not None else load_gazetteer()
    stamp = pd.Timestamp(today or date.today())
    for chunk in iter_chunks(path, rows=rows, encoding=encoding, delimiter=delimiter):
        yield _validate(chunk, spec, gaz, stamp)


# --------------------------------------------------------------------------------------------------
# Attaching records to a network


@dataclass(frozen=True)
class _Attached:
    """The accepted records of one chunk attached to the network, as integer codes, one entry a record.

    Every column a count can be keyed by is an integer here (a position in a table the attacher
    holds, an H3 index, a month ordinal), so a chunk reduces to distinct integer rows and is
    decoded to text only once, in the final small count tables.
    """

    labels: np.ndarray
    """The chunk's distinct case ids."""
    codes: dict[str, np.ndarray]
    """Per record: ``case_id`` (position in ``labels``), ``place_id`` (gazetteer position),
    ``segment`` (network segment position), ``h3_cell`` (H3 index as int64), ``stage``, ``month``
    (ordinal), ``case_type``, ``consent_reporting`` (positions in the attacher's tables); -1
    (``NO_MONTH`` for months) where missing."""
    has_point: np.ndarray
    incident: np.ndarray
    """Record of each (incident, risk code) row, and the code in ``risk``."""
    risk: np.ndarray
    n_unattached: int

    def table(self, name: str) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """The rows of membership table ``name`` (positions of records) and their integer columns."""
        codes = self.codes
        if name == "incident_people":
            rows = self.incident
            return rows, {**{k: v[rows] for k, v in codes.items()}, "risk": self.risk}
        kept = {"place_people": codes["place_id"] >= 0, "segment_people": codes["segment"] >= 0,
                "hex_people": self.has_point}[name]
        rows = np.flatnonzero(kept)
        return rows, {k: v[rows] for k, v in codes.items()}

    def pairs(self, count: str, keys: Sequence[str]) -> pd.DataFrame:
        """Distinct (cell, ``by`` values, person) rows of one count, all integer columns.

        Rows whose ``keys`` miss a value (no month) are left out, as a group-by leaves them out.
        """
        table, _ = COUNTS[count]
        _, columns = self.table(table)
        names = _code_keys(keys)
        kept = np.ones(len(columns["case_id"]), dtype=bool)
        if table == "incident_people":  # an incident is at a place or on a segment
            kept &= columns["place_id" if "place_id" in names else "segment"] >= 0
        if "month" in names:
            kept &= columns["month"] != NO_MONTH
        frame = pd.DataFrame({**{name: columns[name][kept] for name in names},
                              "person": columns["case_id"][kept]})
        return frame.drop_duplicates(ignore_index=True)


def _code_keys(keys: Sequence[str]) -> list[str]:
    """The integer columns of count keys: a segment's ``u, v`` is one ``segment`` code."""
    return ["segment" if k == "u" else k for k in keys if k != "v"]


_SLACK = 1.25
"""Largest ratio between projected and geodesic distance that snapping allows for (as
:func:`routes.network.snap_points_to_lines` does): candidates are looked for within the radius
times this, and a point nearer than the radius over this is within the radius on the ellipsoid."""


_OFFSET = 2**20
"""Added to a cell's column and row numbers so both pack, non-negative, into one int64 key."""

_BLOCK = 8
"""Cells a side of the blocks whose candidates a cell's are looked for among."""


class _Grid:
    """Pieces of geometry (two-point lines; a place is a piece of length 0) in projected metres, and,
    for each square cell of ``size`` metres that a point has fallen in, the pieces that matter to
    any point of the cell.

    For a point ``p`` in a cell of centre ``c`` and half-diagonal ``h``, the distance to a piece is
    within ``h`` of the centre's (distance to a set is 1-Lipschitz). So the pieces within ``reach``
    of ``p`` are among those within ``reach + h`` of ``c``, and its nearest piece is among those
    within ``m + 2h`` of ``c`` (``m``: the centre's nearest). Candidates are found once per cell
    (their number is bounded by the area near the network, not by the records) and each point is
    measured exactly against its cell's few candidates: a nearest-neighbour query without a tree
    walk per point. The candidates of a cell are looked for among those of its block of
    :data:`_BLOCK` × :data:`_BLOCK` cells, found the same way with the block's half-diagonal ``H``
    (a cell's centre is within ``H - h`` of its block's, so every piece a cell's bound keeps is
    within the block's bound): the same lists, for a few pieces measured per cell instead of all.
    """

    def __init__(self, x0: np.ndarray, y0: np.ndarray, x1: np.ndarray, y1: np.ndarray, *, reach: float,
                 nearest: bool, size: float = 5_000.0) -> None:
        self.ends = (x0, y0, x1, y1)
        self.reach, self.nearest, self.size = reach, nearest, size
        self.cells: dict[int, np.ndarray] = {}
        self.blocks: dict[int, np.ndarray] = {}

    def foot(self, px: np.ndarray, py: np.ndarray, piece: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The point of each piece nearest to its point (broadcasting)."""
        x0, y0, x1, y1 = (end[piece] for end in self.ends)
        dx, dy = x1 - x0, y1 - y0
        length2 = dx * dx + dy * dy
        along = np.clip(((px - x0) * dx + (py - y0) * dy) / np.where(length2 > 0, length2, 1.0), 0.0, 1.0)
        return x0 + along * dx, y0 + along * dy

    def distance(self, px: np.ndarray, py: np.ndarray, piece: np.ndarray) -> np.ndarray:
        """Planar distance from each point to its piece (broadcasting)."""
        fx, fy = self.foot(px, py, piece)
        return np.hypot(px - fx, py - fy)

    def _candidates(self, keys: np.ndarray) -> None:
        """Find the candidate pieces of cells ``keys`` (not yet known), among their blocks'."""
        column, row = (keys >> 32) - _OFFSET, (keys & 0xFFFFFFFF) - _OFFSET
        code, blocks = pd.factorize(((column // _BLOCK + _OFFSET) << 32) | (row // _BLOCK + _OFFSET))
        new = np.array([key for key in blocks.tolist() if key not in self.blocks], dtype=np.int64)
        if len(new):
            self.blocks.update(zip(new.tolist(), self._within(new, self.size * _BLOCK, [np.arange(len(
                self.ends[0]))], np.zeros(len(new), dtype=np.int64)), strict=True))
        found = self._within(keys, self.size, [self.blocks[key] for key in blocks.tolist()], code)
        self.cells.update(zip(keys.tolist(), found, strict=True))

    def _within(self, keys: np.ndarray, size: float, lists: Sequence[np.ndarray],
                which: np.ndarray) -> list[np.ndarray]:
        """For each square of side ``size`` numbered by ``keys``, those of the pieces
        ``lists[which]`` that matter to any point of it (within ``reach``, or, ``nearest``, of the
        centre's nearest, plus the half-diagonal; see the class docstring)."""
        half = size * np.sqrt(0.5)
        out: list[np.ndarray] = []
        for part in np.array_split(np.arange(len(keys)),
                                   max(1, sum(len(lists[i]) for i in which.tolist()) // 2**22 + 1)):
            square, piece = _gather(lists, which[part])
            metres = self.distance(((keys[part] >> 32) - _OFFSET + 0.5)[square] * size,
                                   ((keys[part] & 0xFFFFFFFF) - _OFFSET + 0.5)[square] * size, piece)
            # (plus a metre, so rounding at a cell's corner cannot drop a candidate)
            bound = np.full(len(part), self.reach + half + 1.0)
            if self.nearest and len(piece):
                least = np.full(len(part), np.inf)
                starts = np.flatnonzero(np.r_[True, square[1:] != square[:-1]])
                least[square[starts]] = np.minimum.reduceat(metres, starts)
                bound = np.minimum(bound, least + 2 * half + 1.0)
            kept = metres <= bound[square]
            out.extend(np.split(piece[kept], np.cumsum(np.bincount(square[kept], minlength=len(part)))[:-1]))
        return out

    def pairs(self, px: np.ndarray, py: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(point, piece, planar metres) for every piece within ``reach`` of a point (``nearest``:
        of the pieces that may be nearest to it), sorted by point."""
        inside = np.flatnonzero(np.isfinite(px) & np.isfinite(py))  # a projection's failures are inf
        px, py = px[inside], py[inside]
        keys = ((np.floor(px / self.size).astype(np.int64) + _OFFSET) << 32) | (
            np.floor(py / self.size).astype(np.int64) + _OFFSET)
        inverse, distinct = pd.factorize(keys)
        new = [key for key in distinct.tolist() if key not in self.cells]
        if new:
            self._candidates(np.array(new, dtype=np.int64))
        point, piece = _gather([self.cells[key] for key in distinct.tolist()], inverse)
        metres = self.distance(px[point], py[point], piece)
        close = metres <= self.reach
        return inside[point[close]], piece[close], metres[close]


def _gather(lists: Sequence[np.ndarray], which: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every (row, item) with item in ``lists[which[row]]``, sorted by row: one list per row, flat."""
    sizes = np.array([len(items) for items in lists], dtype=np.int64)
    flat = np.concatenate([*lists, np.zeros(0, dtype=np.int64)])
    per_row = sizes[which]
    row = np.repeat(np.arange(len(which)), per_row)
    start = np.repeat((np.cumsum(sizes) - sizes)[which] - np.cumsum(per_row) + per_row, per_row)
    return row, flat[start + np.arange(len(row))]


class _Snapper:
    """The curated gazetteer places and the network's segments projected once, in two :class:`_Grid`.

    A record's point is projected once: the places within ``snap_place_m`` are all measured
    geodesically and the nearest kept (as :meth:`Gazetteer.nearest` chooses); a point off every
    place goes to the planar-nearest segment (as :func:`routes.network.snap_points_to_lines`
    chooses; a tie to the first segment) if it lies within ``snap_segment_m``. Only points whose
    planar distance falls between the radius over and times :data:`_SLACK` are measured
    geodesically. Built in each process that attaches records.
    """

    def __init__(self, attacher: _Attacher) -> None:
        self.forward = Transformer.from_crs(CRS_LONLAT, attacher.crs, always_xy=True)
        self.backward = Transformer.from_crs(attacher.crs, CRS_LONLAT, always_xy=True)
        self.place_rows = np.flatnonzero(attacher.curated)
        self.place_lon = attacher.place_lon[self.place_rows]
        self.place_lat = attacher.place_lat[self.place_rows]
        x, y = self.forward.transform(self.place_lon, self.place_lat)
        self.places = _Grid(x, y, x, y, reach=attacher.snap_place_m * _SLACK, nearest=False)
        xy, line = shapely.get_coordinates(attacher.segment_lines, return_index=True)
        x, y = self.forward.transform(xy[:, 0], xy[:, 1])
        start = np.flatnonzero(line[1:] == line[:-1])
        self.line = line[start]
        self.segments = _Grid(x[start], y[start], x[start + 1], y[start + 1],
                              reach=attacher.snap_segment_m * _SLACK, nearest=True)
        self.snap_place_m = attacher.snap_place_m
        self.snap_segment_m = attacher.snap_segment_m

    def snap(self, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Gazetteer position of each point's place and, off places, network position of its
        segment (-1: none within reach)."""
        x, y = self.forward.transform(lon, lat)
        place = np.full(len(lon), -1, dtype=np.int64)
        query, near, _ = self.places.pairs(x, y)
        if len(query):
            metres = GEOD.inv(lon[query], lat[query], self.place_lon[near], self.place_lat[near])[2]
            order = np.lexsort((near, metres, query))
            first = order[np.r_[True, query[order][1:] != query[order][:-1]]]
            first = first[metres[first] <= self.snap_place_m]
            place[query[first]] = self.place_rows[near[first]]
        segment = np.full(len(lon), -1, dtype=np.int64)
        off = np.flatnonzero(place < 0)
        which, piece, planar = self.segments.pairs(x[off], y[off])
        if not len(which):
            return place, segment
        # The nearest piece of each point (the first of equals), then its line.
        starts = np.flatnonzero(np.r_[True, which[1:] != which[:-1]])
        least = np.minimum.reduceat(planar, starts)
        best = np.flatnonzero(planar == np.repeat(least, np.diff(np.r_[starts, len(which)])))
        best = best[np.r_[True, which[best][1:] != which[best][:-1]]]
        which, piece, planar = off[which[best]], piece[best], planar[best]
        unsure = np.flatnonzero(planar > self.snap_segment_m / _SLACK)
        if len(unsure):
            on_lon, on_lat = self.backward.transform(*self.segments.foot(x[which[unsure]], y[which[unsure]],
                                                                          piece[unsure]))
            metres = GEOD.inv(lon[which[unsure]], lat[which[unsure]], on_lon, on_lat)[2]
            far = unsure[~(metres <= self.snap_segment_m)]
            which, piece = np.delete(which, far), np.delete(piece, far)
        segment[which] = self.line[piece]
        return place, segment


@dataclass(frozen=True)
class _Attacher:
    """What every task needs, built once and sent to each worker once."""

    gazetteer: Gazetteer
    place_ids: np.ndarray
    place_lon: np.ndarray
    place_lat: np.ndarray
    curated: np.ndarray
    segment_u: np.ndarray
    segment_v: np.ndarray
    segment_lines: np.ndarray
    crs: Any
    case_index: pd.Index
    case_codes: dict[str, np.ndarray]
    """Per case of ``case_index``: ``case_type`` and ``consent_reporting`` (positions in ``labels``)
    and the registration month ordinal (``registered``)."""
    labels: dict[str, np.ndarray]
    spec: MappingSpec
    today: pd.Timestamp
    snap_place_m: float
    snap_segment_m: float
    h3_resolution: int

    @classmethod
    def build(cls, network: RouteNetwork, *, cases: pd.DataFrame | None, gazetteer: Gazetteer | None,
              mapping: Mapping[str, Any] | PathLike | None, today: date | None, snap_place_m: float,
              snap_segment_m: float, h3_resolution: int, publishable: bool) -> _Attacher:
        if not 0 <= h3_resolution <= 15:
            raise ParameterError(f"h3_resolution={h3_resolution!r}; expected an H3 resolution 0..15")
        if publishable and h3_resolution > MAX_PUBLISHABLE_H3_RESOLUTION:
            raise PolicyError(
                f"hexagon counts: H3 resolution {h3_resolution} is finer than "
                f"{MAX_PUBLISHABLE_H3_RESOLUTION} (about 36 km²), the finest allowed for publishable "
                "survivor locations; use publishable=False for internal work"
            )
        gaz = gazetteer or network.gazetteer or load_gazetteer()
        segments = network.segments
        lines = np.asarray(segments.geometry.array, dtype=object)
        coords = shapely.get_coordinates(lines) if len(lines) else gaz.places[["lon", "lat"]].to_numpy()
        crs = local_projection(coords[:, 0], coords[:, 1])
        points = np.asarray(gaz.places.geometry.array, dtype=object)
        place_lon, place_lat = shapely.get_x(points), shapely.get_y(points)
        case_index = pd.Index([], dtype=object) if cases is None else pd.Index(
            pd.unique(cases["case_id"].astype(str)))
        case_type, consent, registered = case_attributes(case_index, cases)
        labels = {name: pd.Index([*values.categories.astype(str), UNKNOWN]).unique()
                  for name, values in (("case_type", case_type), ("consent_reporting", consent))}
        case_codes = {name: labels[name].get_indexer(pd.Index(np.asarray(values, dtype=object)))
                      for name, values in (("case_type", case_type), ("consent_reporting", consent))}
        return cls(
            gazetteer=gaz,
            place_ids=gaz.places.index.to_numpy(dtype=object),
            place_lon=place_lon,
            place_lat=place_lat,
            curated=(gaz.places["source"] == CURATED_SOURCE).to_numpy(),
            segment_u=segments.index.get_level_values("u").astype(str).to_numpy(dtype=object),
            segment_v=segments.index.get_level_values("v").astype(str).to_numpy(dtype=object),
            segment_lines=lines,
            crs=crs,
            case_index=case_index,
            case_codes={**case_codes, "registered": registered},
            labels={name: index.to_numpy(dtype=object) for name, index in labels.items()},
            spec=MappingSpec.load(mapping),
            today=pd.Timestamp(today or date.today()),
            snap_place_m=snap_place_m,
            snap_segment_m=snap_segment_m,
            h3_resolution=h3_resolution,
        )

    @cached_property
    def snapper(self) -> _Snapper:
        """The projected places and segments, built on first use in each process."""
        return _Snapper(self)

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "snapper"}

    def attach(self, events: pd.DataFrame) -> _Attached:
        """Attach one chunk of accepted events (``routes.io``'s events table) to the network."""
        n = len(events)
        known = events["place_id"].astype(object)
        place = pd.Index(self.place_ids).get_indexer(pd.Index(known.where(known.notna(), "")))
        lon, lat = events["lon"].to_numpy(dtype=float), events["lat"].to_numpy(dtype=float)
        has_xy = np.isfinite(lon) & np.isfinite(lat)
        # The record's point: its own, else its named place's (H3 binning).
        point_lon = np.where(has_xy, lon, np.where(place >= 0, self.place_lon[place], np.nan))
        point_lat = np.where(has_xy, lat, np.where(place >= 0, self.place_lat[place], np.nan))
        segment = np.full(n, -1, dtype=np.int64)
        to_snap = np.flatnonzero((place < 0) & has_xy)
        if len(to_snap):
            place[to_snap], segment[to_snap] = self.snapper.snap(lon[to_snap], lat[to_snap])
        person, labels = pd.factorize(events["case_id"].astype(str))
        case = self.case_index.get_indexer(pd.Index(labels))
        own_month = month_ordinals(events["date"], n)
        registered = self._per_case("registered", case, NO_MONTH)[person]
        has_point, h3_cell = self._hexagons(point_lon, point_lat)
        codes = {
            "case_id": person.astype(np.int64),
            "place_id": place.astype(np.int64),
            "segment": segment,
            "h3_cell": h3_cell,
            "stage": codes_of(events["stage"], _STAGES).astype(np.int64),
            "month": np.where(own_month == NO_MONTH, registered, own_month),
        }
        for name in ("case_type", "consent_reporting"):
            unknown = self.labels[name].tolist().index(UNKNOWN)
            codes[name] = self._per_case(name, case, unknown)[person]
        attached = (place >= 0) | (segment >= 0)
        incident = np.flatnonzero((codes["stage"] == _STAGES.index(INCIDENT)) & attached)
        risk, row = risk_codes(events["risk"], incident)
        return _Attached(np.asarray(labels, dtype=object), codes, has_point, incident[row],
                         np.asarray(risk, dtype=np.int64), int((~attached).sum()))

    def _per_case(self, name: str, case: np.ndarray, missing: int) -> np.ndarray:
        """``case_codes[name]`` at positions ``case`` of ``case_index``, ``missing`` at -1."""
        values = self.case_codes[name]
        if not len(values):
            return np.full(len(case), missing, dtype=np.int64)
        return np.where(case >= 0, values[np.maximum(case, 0)], missing).astype(np.int64)

    def _hexagons(self, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Which points are known, and the H3 cell of each as int64 (-1 for unknown ones).

        H3 has no array API; binning a point (about 1 µs) costs less than finding repeated ones first.
        """
        import h3.api.numpy_int as h3

        has_point = np.isfinite(lon) & np.isfinite(lat)
        cells = np.full(len(lon), -1, dtype=np.int64)
        cells[has_point] = np.fromiter(
            map(h3.latlng_to_cell, lat[has_point].tolist(), lon[has_point].tolist(),
                repeat(self.h3_resolution)),
            dtype=np.uint64, count=int(has_point.sum())).view(np.int64)
        return has_point, cells

    def membership_tables(self, attached: _Attached) -> dict[str, pd.DataFrame]:
        """The membership tables of one attached chunk as text (the network's), duplicates dropped."""
        tables = {}
        for name, columns in TABLES.items():
            _, codes = attached.table(name)
            frame = pd.DataFrame({c: self.text(c, codes[_code_keys([c])[0] if c != "v" else "segment"],
                                               attached.labels) for c in columns})
            tables[name] = frame.astype({c: "period[M]" if c == "month" else "str" for c in columns}
                                        ).drop_duplicates(ignore_index=True)
        return tables

    def text(self, name: str, codes: np.ndarray, labels: np.ndarray | None = None) -> Any:
        """Integer codes of column ``name`` as the text (or months) the tables show; -1 is ``None``."""
        if name == "month":
            return month_periods(codes)
        if name == "h3_cell":
            import h3.api.numpy_int as h3

            code, distinct = pd.factorize(codes)
            cells = np.array([h3.int_to_str(c) if c >= 0 else None
                              for c in np.asarray(distinct, dtype=np.int64).tolist()], dtype=object)
            return cells[code]
        table = {"case_id": labels, "place_id": self.place_ids, "u": self.segment_u,
                 "v": self.segment_v, "stage": _STAGE_TEXT, "risk": _RISK_TEXT, **self.labels}[name]
        assert table is not None  # case ids come with their chunk's labels
        return np.where(codes >= 0, table[np.maximum(codes, 0)], _NONE)


# --------------------------------------------------------------------------------------------------
# Results


@dataclass(frozen=True)
class Quarantine:
    """The accounting of the records read: accepted + rejected = read, across every chunk.

    Attributes
    ----------
    rejected : pandas.DataFrame
        :mod:`routes.io`'s problem table (``table, file, row, column, value, expected, hint``), in
        file and row order.
    n_read, n_accepted, n_rejected : int
        Records read, accepted and rejected (a record with several problems counts once).
    n_unattached : int
        Accepted records that reached neither a place nor a segment (they may still be in a hexagon).
    """

    rejected: pd.DataFrame
    n_read: int
    n_accepted: int
    n_rejected: int
    n_unattached: int

    def summary(self) -> pd.DataFrame:
        """One row: read, accepted, rejected, unattached, and whether accepted + rejected = read."""
        return pd.DataFrame({"read": [self.n_read], "accepted": [self.n_accepted],
                             "rejected": [self.n_rejected],
                             "unattached": [self.n_unattached],
                             "reconciles": [self.n_accepted + self.n_rejected == self.n_read]},
                            index=pd.Index(["events"], name="table"))


@dataclass(frozen=True)
class DistinctCounts:
    """Distinct people per cell and value of ``by``, exact across chunks and partitions.

    Attributes
    ----------
    places : pandas.DataFrame
        ``place_id, <by...>, n_people``.
    segments : pandas.DataFrame
        ``u, v, <by...>, n_people`` (records snapped onto a segment between places).
    hexagons : pandas.DataFrame
        ``h3_cell, <by...>, n_people``.
    place_incidents, segment_incidents : pandas.DataFrame
        People with an incident of each ``risk``: ``place_id, risk, <by...>, n_people`` and
        ``u, v, risk, <by...>, n_people`` (``stage`` is always ``incident`` and is not a key here).
    quarantine : Quarantine
    by : tuple of str

    Counts from 1 up are all here: this is the analyst's table. Publish through :mod:`routes.privacy`.
    """

    places: pd.DataFrame
    segments: pd.DataFrame
    hexagons: pd.DataFrame
    place_incidents: pd.DataFrame
    segment_incidents: pd.DataFrame
    quarantine: Quarantine
    by: tuple[str, ...] = ()


@dataclass(frozen=True)
class Memberships:
    """The membership tables of every accepted record (one row a person in a cell), duplicates dropped.

    ``place_people``, ``segment_people`` and ``incident_people`` have the columns of
    :class:`~routes.network.RouteNetwork`'s tables of the same names; ``hex_people`` has
    ``case_id, h3_cell, stage, month, case_type, consent_reporting``.
    """

    place_people: pd.DataFrame
    segment_people: pd.DataFrame
    hex_people: pd.DataFrame
    incident_people: pd.DataFrame
    quarantine: Quarantine


# --------------------------------------------------------------------------------------------------
# One chunk end to end (the unit of work of both paths)


@dataclass(frozen=True)
class _ChunkResult:
    """What one chunk gives: its reduced tables and its quarantine accounting.

    ``tables`` holds, per count, the chunk's distinct integer rows (cell, ``by`` values, ``person``
    into ``labels``); or, for :func:`memberships`, the membership tables as text.
    """

    tables: dict[str, pd.DataFrame]
    labels: np.ndarray
    rejected: pd.DataFrame
    n_read: int
    n_accepted: int
    n_rejected: int
    n_unattached: int

    def table(self, name: str) -> pd.DataFrame:
        return self.tables[name]

    def accounts(self) -> pd.DataFrame:
        """The chunk's counts as one row (summed over chunks by either engine)."""
        return pd.DataFrame({"n_read": [self.n_read], "n_accepted": [self.n_accepted],
                             "n_rejected": [self.n_rejected], "n_unattached": [self.n_unattached]})


def _process(chunk: RawChunk, attacher: _Attacher, keys: Mapping[str, list[str]] | None) -> _ChunkResult:
    """Validate, attach and reduce one chunk: to distinct integer rows per count of ``keys``, or
    (``keys`` None) to the membership tables."""
    report = _check(chunk, attacher.spec, attacher.gazetteer, attacher.today)
    attached = attacher.attach(report.events)
    if keys is None:
        tables = attacher.membership_tables(attached)
    else:
        tables = {count: attached.pairs(count, k) for count, k in keys.items()}
    return _ChunkResult(tables, attached.labels, report.rejected, report.n_read, len(report.events),
                        report.n_rejected, attached.n_unattached)


def _process_piece(plan: _Plan, piece: _Piece, attacher: _Attacher,
                   keys: Mapping[str, list[str]] | None) -> _ChunkResult:
    return _process(plan.read(piece), attacher, keys)


def _process_partition(frame: pd.DataFrame, number: int, attacher: _Attacher,
                       keys: Mapping[str, list[str]] | None) -> _ChunkResult:
    return _process(_frame_chunk(frame, f"partition {number}", 1, None), attacher, keys)


@dataclass(frozen=True)
class _Bucket:
    """One chunk's rows that fall in one bucket: the bucket's people (each once, as 64-bit hashes
    of their case ids, with a second, independent hash to detect collisions) and, per count, integer
    cell columns with each row's person as a position in ``people``."""

    people: np.ndarray
    check: np.ndarray
    cells: dict[str, np.ndarray]
    person: dict[str, np.ndarray]


_HASH_TRIES = 3
"""Salts tried, each after a collision under the last, before the collision is an error (each
try: chance about n²/2^65 of a collision among n people; n²/2^129 that one escapes the check)."""


class _IdCollision(CaseDataError):
    """Two different case ids got the same 64-bit hash under one salt: counted with it, they would
    be one person."""


def _person_hashes(labels: np.ndarray, salt: int) -> tuple[np.ndarray, np.ndarray]:
    """Two independent 64-bit SipHashes of each case id (the same in every process for a ``salt``):
    the first stands for the person, the second checks that no two ids share the first."""
    text = np.asarray(labels, dtype=object)
    ids = pd.util.hash_array(text, hash_key=f"routes-id-{salt:06d}", categorize=False)
    check = pd.util.hash_array(text, hash_key=f"routes-ck-{salt:06d}", categorize=False)
    return ids, check


def _split_by_person(tables: Mapping[str, pd.DataFrame], labels: np.ndarray, n: int,
                     salt: int = 0) -> list[_Bucket]:
    """A chunk's distinct rows of every count in ``n`` buckets by a hash of the person's case id.

    The hash (SipHash of the text with a key made from ``salt``, the same in every process) sends
    every row of a person, whichever chunk or worker it comes from, to the same bucket, so buckets
    are counted apart and their counts add up exactly. Each person is stored once per bucket as two
    64-bit integers, whatever its counts, and rows as 32-bit integers where their values fit: what
    travels between Dask workers, or to the spill files, is compact integers, not Python strings.
    """
    ids, check = _person_hashes(labels, salt)
    bucket_of = (ids % np.uint64(n)).astype(np.int64)
    by_bucket = np.argsort(bucket_of, kind="stable")
    edges = np.searchsorted(bucket_of[by_bucket], np.arange(n + 1))
    local = np.empty(len(labels), dtype=_narrow(len(labels)))  # a person's position among its bucket's
    local[by_bucket] = np.arange(len(labels)) - np.repeat(edges[:-1], np.diff(edges))
    out = [_Bucket(ids[by_bucket[edges[i]:edges[i + 1]]], check[by_bucket[edges[i]:edges[i + 1]]], {}, {})
           for i in range(n)]
    for count, frame in tables.items():
        person = frame["person"].to_numpy(dtype=np.int64)
        cells = frame.drop(columns="person").to_numpy(dtype=np.int64)
        if len(cells):
            cells = cells.astype(_narrow(-int(cells.min()), int(cells.max())), copy=False)
        bucket = bucket_of[person]
        order = np.argsort(bucket, kind="stable")
        bounds = np.searchsorted(bucket[order], np.arange(n + 1))
        for i, part in enumerate(out):
            rows = order[bounds[i]:bounds[i + 1]]
            part.cells[count], part.person[count] = cells[rows], local[person[rows]]
    return out


def _narrow(*magnitudes: int) -> type[np.signedinteger[Any]]:
    """int32 if every value within these magnitudes fits in it, else int64."""
    return np.int32 if max(magnitudes, default=0) < 2**31 - 1 else np.int64


def _count_bucket(pieces: Sequence[_Bucket], columns: Mapping[str, list[str]]) -> dict[str, pd.DataFrame]:
    """Distinct people per cell of each count in one bucket: ``<columns>, n_people``.

    Raises
    ------
    _IdCollision
        Two people share the first hash but not the second (a new salt gives exact counts).
    """
    ids = np.concatenate([np.zeros(0, dtype=np.uint64), *(p.people for p in pieces)])
    check = np.concatenate([np.zeros(0, dtype=np.uint64), *(p.check for p in pieces)])
    code, people = pd.factorize(ids)
    seen = np.zeros(len(people), dtype=np.uint64)
    seen[code] = check
    if not np.array_equal(seen[code], check):
        raise _IdCollision("two different case ids have the same 64-bit hash, so they cannot be counted "
                           "apart with this salt; count again with another salt")
    starts = np.cumsum([0, *(len(p.people) for p in pieces)])
    out = {}
    for count, names in columns.items():
        person = np.concatenate([np.zeros(0, dtype=np.int64), *(
            code[start + p.person[count]] for start, p in zip(starts, pieces, strict=False))])
        cells = np.concatenate([np.zeros((0, len(names)), dtype=np.int64), *(p.cells[count] for p in pieces)])
        if not len(cells):
            out[count] = pd.DataFrame(cells, columns=names).assign(n_people=np.zeros(0, dtype=np.int64))
            continue
        cell, first = _row_codes([cells[:, j] for j in range(len(names))])
        pairs = np.sort(cell * len(people) + person)
        pairs = pairs[np.r_[True, pairs[1:] != pairs[:-1]]]
        n_people = np.bincount(pairs // len(people), minlength=len(first))
        out[count] = pd.DataFrame(cells[first], columns=names).assign(n_people=n_people)
    return out


def _add_buckets(counted: Sequence[Mapping[str, pd.DataFrame]],
                 columns: Mapping[str, list[str]]) -> dict[str, pd.DataFrame]:
    """Per count, the buckets' counts summed per cell (each person is in one bucket only)."""
    out = {}
    for count, names in columns.items():
        frame = pd.concat([c[count] for c in counted], ignore_index=True)
        out[count] = frame.groupby(names, sort=False)["n_people"].sum().reset_index()
    return out


_MAX_BUCKETS = 512
"""Most buckets (spill files, or reduce tasks on Dask) of one run."""


class PersonBuckets:
    """Exact distinct people per cell over any number of chunks, in memory bounded by one bucket.

    Each chunk's distinct (cell, person) rows are split into ``n`` buckets by a hash of the person
    and appended to one spill file per bucket (a temporary folder): nothing of past chunks stays
    in memory. :meth:`counts` then counts one bucket at a time and adds the buckets' small tables.
    With ``n`` about the number of chunks, a bucket holds about one chunk's rows whatever the
    number of records. ``largest`` is the most rows one bucket held when counted: the in-memory
    state, for tests and benchmarks. The spill takes about 30 bytes a row on disk (in
    :func:`tempfile.gettempdir`) and is removed when the ``with`` block ends.

    Parameters
    ----------
    columns
        Per count, the names of its integer cell columns.
    n
        Number of buckets (at least 1; at most 512 open spill files is sensible).
    salt
        Chooses the keys of the two 64-bit hashes that stand for a case id (see :meth:`counts`).
    """

    def __init__(self, columns: Mapping[str, list[str]], n: int, *, salt: int = 0) -> None:
        import tempfile

        self.columns = dict(columns)
        self.n = max(1, n)
        self.salt = salt
        self.folder = tempfile.TemporaryDirectory(prefix="routes-scale-")
        self.files = [open(Path(self.folder.name) / f"{i}.pickle", "wb") for i in range(self.n)]  # noqa: SIM115
        self.spilled = 0
        self.largest = 0

    def __enter__(self) -> PersonBuckets:
        return self

    def __exit__(self, *exc: object) -> None:
        for file in self.files:
            file.close()
        self.folder.cleanup()

    def add(self, tables: Mapping[str, pd.DataFrame], labels: np.ndarray) -> None:
        """Spill one chunk's rows, bucket by bucket.

        ``tables`` holds per count the chunk's rows: its integer cell ``columns`` and ``person``, a
        position in ``labels`` (the chunk's case ids). Repeated rows are allowed.
        """
        import pickle

        ordered = {count: tables[count][[*names, "person"]] for count, names in self.columns.items()}
        for file, part in zip(self.files, _split_by_person(ordered, labels, self.n, self.salt),
                              strict=True):
            pickle.dump(part, file, protocol=pickle.HIGHEST_PROTOCOL)
            self.spilled += sum(len(rows) for rows in part.person.values())

    def counts(self) -> dict[str, pd.DataFrame]:
        """Per count: its integer key columns and ``n_people`` (once every chunk is added).

        Raises
        ------
        CaseDataError
            Two different case ids share the 64-bit hash that stands for them under this ``salt``
            (found by a second hash; about n²/2^65 for n people): add the chunks again with
            another salt.
        """
        import pickle

        total: dict[str, pd.DataFrame] = {}
        for file in self.files:
            file.close()
            pieces = []
            with open(file.name, "rb") as spill:
                while True:
                    try:
                        pieces.append(pickle.load(spill))
                    except EOFError:
                        break
            held = sum(len(rows) for piece in pieces for rows in piece.person.values())
            self.largest = max(self.largest, held)
            counted = _count_bucket(pieces, self.columns)
            # Folded in at once: the running total holds each cell once, however many buckets.
            total = _add_buckets([total, counted], self.columns) if total else counted
        return total


def _row_codes(columns: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """A code for each row's combination of values (first seen, first numbered), and one row of each
    code (any row of a code holds its values)."""
    n = len(columns[0])
    code, n_codes = np.zeros(n, dtype=np.int64), 1
    for values in columns:
        part, distinct = pd.factorize(values)
        code, uniques = pd.factorize(code * len(distinct) + part)
        n_codes = len(uniques)
    first = np.empty(n_codes, dtype=np.int64)
    first[code] = np.arange(n)
    return code, first


def _quarantine(rejected: Sequence[pd.DataFrame], accounts: pd.DataFrame) -> Quarantine:
    """The quarantine of a run from its chunks' rejected rows (in chunk order) and counts."""
    frames = [frame for frame in rejected if len(frame)]
    table = (pd.concat(frames, ignore_index=True) if frames
             else RowChecks("events", "", np.zeros(0, dtype=int)).frame())
    # Dask may store text as another string dtype on the way: one set of dtypes whatever the engine.
    text = {c: "str" for c in ("table", "file", "column", "expected", "hint")}
    table = table.astype({**text, "row": "Int64", "value": object})
    totals = accounts.sum()
    return Quarantine(table, int(totals["n_read"]), int(totals["n_accepted"]), int(totals["n_rejected"]),
                      int(totals["n_unattached"]))


def _by_columns(by: str | Sequence[str]) -> tuple[str, ...]:
    columns = (by,) if isinstance(by, str) else tuple(by)
    unknown = [b for b in columns if b not in BY_KEYS]
    if unknown:
        raise NetworkError(f"`by` must name some of {', '.join(BY_KEYS)}; "
                           f"got {', '.join(map(repr, unknown))}")
    return columns


def _count_keys(count: str, by: Sequence[str]) -> list[str]:
    table, cell = COUNTS[count]
    return [*cell, *(b for b in by if b in TABLES[table])]


def _tidy(attacher: _Attacher, counted: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """A count's integer key columns and ``n_people`` as a table ``<keys>, n_people`` of text and
    months, sorted by its keys (the same whichever engine counted)."""
    frame = pd.DataFrame({k: attacher.text(k, counted[_code_keys([k])[0] if k != "v" else "segment"]
                                           .to_numpy(dtype=np.int64)) for k in keys})
    frame = frame.astype({k: "str" for k in keys if k != "month"})
    frame["n_people"] = counted["n_people"].to_numpy(dtype=np.int64)
    return frame.sort_values(keys, kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------------------------------
# Public entry points


def distinct_counts(
    source: PathLike | dd.DataFrame,
    network: RouteNetwork,
    *,
    by: str | Sequence[str] = "month",
    cases: pd.DataFrame | None = None,
    client: Client | str | None = None,
    workers: int | None = None,
    rows: int = DEFAULT_ROWS,
    mapping: Mapping[str, Any] | PathLike | None = None,
    gazetteer: Gazetteer | None = None,
    snap_place_m: float = 5_000,
    snap_segment_m: float = 20_000,
    h3_resolution: int = 6,
    publishable: bool = True,
    today: date | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    progress: bool = True,
) -> DistinctCounts:
    """Distinct people per place, segment, hexagon (and incident risk) and ``by``, from a large record set.

    Parameters
    ----------
    source
        A CSV or (Geo)Parquet file, a folder or a glob of them (read in chunks of ``rows`` records),
        or a Dask DataFrame / dask-geopandas GeoDataFrame of records (one task a partition).
    network
        The network to attach records to (usually built from case data with
        :meth:`RouteNetwork.from_events`); it is sent to each worker once.
    by
        One or more of ``stage``, ``case_type``, ``month``, ``consent_reporting``.
    cases
        Accepted cases (:func:`routes.read_cases`): ``case_type``, ``consent_reporting`` and the
        registration month of records without a date. Sent to each worker once.
    client
        A ``distributed.Client`` or a scheduler address (``"tcp://scheduler:8786"``): run on that
        cluster. Without ``client`` and ``workers``, a path is read in-process, one chunk at a time,
        and a Dask DataFrame is computed with Dask's default scheduler.
    workers
        Start a local cluster of this many single-threaded worker processes for the call. A script
        doing so must guard its entry point with ``if __name__ == "__main__":``.
    rows
        Records per chunk: the bound on raw rows held at once by the in-process path and per task.
    mapping, gazetteer, today, encoding, delimiter
        As for :func:`routes.read_cases`.
    snap_place_m, snap_segment_m
        Snapping radii in metres to a gazetteer place, then to a segment of ``network``.
    h3_resolution, publishable
        Hexagon resolution; finer than 6 raises :class:`~routes.errors.PolicyError` when ``publishable``.
    progress
        Show a progress bar (``distributed.progress`` on a cluster, ``dask.diagnostics.ProgressBar``
        otherwise; nothing in-process).

    Returns
    -------
    DistinctCounts
        The count tables, sorted by their keys, identical whichever way they were computed, and the
        quarantine of rejected records.

    Raises
    ------
    CaseDataError
        A file that cannot be read, or matches no field of the events table.
    ParameterError
        ``rows`` below 1 or ``h3_resolution`` outside 0..15.
    PolicyError
        ``h3_resolution`` finer than 6 with ``publishable=True``.
    """
    columns = _by_columns(by)
    attacher = _Attacher.build(network, cases=cases, gazetteer=gazetteer, mapping=mapping, today=today,
                               snap_place_m=snap_place_m, snap_segment_m=snap_segment_m,
                               h3_resolution=h3_resolution, publishable=publishable)
    keys = {count: _count_keys(count, columns) for count in COUNTS}
    counted, quarantine = _run(source, attacher, keys, client=client, workers=workers, rows=rows,
                               encoding=encoding, delimiter=delimiter, progress=progress)
    tidy = {count: _tidy(attacher, counted[count], keys[count]) for count in COUNTS}
    return DistinctCounts(**tidy, quarantine=quarantine, by=columns)


def memberships(
    source: PathLike | dd.DataFrame,
    network: RouteNetwork,
    *,
    cases: pd.DataFrame | None = None,
    client: Client | str | None = None,
    workers: int | None = None,
    rows: int = DEFAULT_ROWS,
    mapping: Mapping[str, Any] | PathLike | None = None,
    gazetteer: Gazetteer | None = None,
    snap_place_m: float = 5_000,
    snap_segment_m: float = 20_000,
    h3_resolution: int = 6,
    publishable: bool = True,
    today: date | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    progress: bool = True,
) -> Memberships:
    """The membership tables of a large record set, for code that counts people itself.

    Takes the options of :func:`distinct_counts`. The result has one row per distinct
    (person, cell, stage, month, ...) and is collected into memory: prefer :func:`distinct_counts`
    when only counts are needed.
    """
    attacher = _Attacher.build(network, cases=cases, gazetteer=gazetteer, mapping=mapping, today=today,
                               snap_place_m=snap_place_m, snap_segment_m=snap_segment_m,
                               h3_resolution=h3_resolution, publishable=publishable)
    tables, quarantine = _run(source, attacher, None, client=client, workers=workers, rows=rows,
                              encoding=encoding, delimiter=delimiter, progress=progress)
    ordered = {name: table.sort_values(list(TABLES[name]), kind="stable").reset_index(drop=True)
               for name, table in tables.items()}
    return Memberships(**ordered, quarantine=quarantine)


# --------------------------------------------------------------------------------------------------
# Synthetic records (to try a cluster, test and benchmark)


def synthetic_records(network: RouteNetwork, *, n: int, people: int, seed: int = 0, start: str = "2022-01-01",
                      months: int = 36, incident_share: float = 0.05, place_share: float = 0.1,
                      bad_share: float = 0.0) -> pd.DataFrame:
    """Draw ``n`` movement records of ``people`` people along the segments of ``network`` (vectorised).

    Each record lies on a segment drawn in proportion to its people, at a uniform position along it,
    jittered by about 2 km; ``place_share`` of them give the nearer place's name instead of
    coordinates, ``incident_share`` are incidents with one or two risk codes, and ``bad_share`` carry
    one of three errors that :mod:`routes.io` rejects (unknown stage, latitude 95, a 13th month).

    Returns
    -------
    pandas.DataFrame
        ``case_id, seq, date, stage, place, lat, lon, risk`` as an export would hold them (text dates).
    """
    if len(network.segments) == 0:
        raise NetworkError("the network has no segment to draw records along")
    rng = np.random.default_rng(seed)
    segments = network.segments
    weight = segments["n_people"].to_numpy(dtype=float)
    which = rng.choice(len(segments), size=n, p=weight / weight.sum())
    gaz = network.gazetteer or load_gazetteer()
    ends = [gaz.places.loc[segments.index.get_level_values(end).astype(str)] for end in ("u", "v")]
    t = rng.random(n)
    lon = (1 - t) * ends[0]["lon"].to_numpy()[which] + t * ends[1]["lon"].to_numpy()[which]
    lat = (1 - t) * ends[0]["lat"].to_numpy()[which] + t * ends[1]["lat"].to_numpy()[which]
    lon, lat = lon + rng.normal(0, 0.02, n), lat + rng.normal(0, 0.02, n)
    by_name = rng.random(n) < place_share
    nearer = np.where(t < 0.5, ends[0]["name"].to_numpy(dtype=object)[which],
                      ends[1]["name"].to_numpy(dtype=object)[which])
    incident = rng.random(n) < incident_share
    risks = np.array([c for c in RISK_CODES if c != "unspecified"], dtype=object)
    first, second = risks[rng.integers(0, len(risks), n)], risks[rng.integers(0, len(risks), n)]
    two = rng.random(n) < 0.3
    day = pd.Timestamp(start) + pd.to_timedelta(rng.integers(0, months * 30, n), unit="D")
    frame = pd.DataFrame({
        "case_id": pd.Series(rng.integers(0, people, n)).map("P{:08d}".format),
        "seq": rng.integers(1, 50, n),
        "date": day.strftime("%Y-%m-%d"),
        "stage": np.where(incident, INCIDENT, "transit"),
        "place": np.where(by_name, nearer, ""),
        "lat": np.where(by_name, np.nan, lat.round(5)),
        "lon": np.where(by_name, np.nan, lon.round(5)),
        "risk": np.where(incident, np.where(two, first + ";" + second, first), ""),
    })
    bad = np.flatnonzero(rng.random(n) < bad_share)
    kind = rng.integers(0, 3, len(bad))
    frame.loc[bad[kind == 0], "stage"] = "wandering"
    frame.loc[bad[kind == 1], ["lat", "lon"]] = (95.0, -72.0)
    frame.loc[bad[kind == 2], "date"] = "2023-13-01"
    return frame


# --------------------------------------------------------------------------------------------------
# The two engines


def _is_collection(source: object) -> TypeIs[dd.DataFrame]:
    return hasattr(source, "to_delayed") and hasattr(source, "npartitions")


def _run(source: PathLike | dd.DataFrame, attacher: _Attacher, keys: Mapping[str, list[str]] | None, *,
         client: Client | str | None, workers: int | None, rows: int, encoding: str | None,
         delimiter: str | None, progress: bool) -> tuple[dict[str, pd.DataFrame], Quarantine]:
    """The counts (``keys``) or membership tables of either engine.

    Counts stand for a person by a 64-bit hash of the case id; if two people of the data share it
    (caught by a second hash), the counts are made again with the next salt, so they stay exact.
    """
    for salt in range(_HASH_TRIES):
        try:
            if _is_collection(source) or client is not None or workers is not None:
                return _on_dask(source, attacher, keys, client=client, workers=workers, rows=rows,
                                encoding=encoding, delimiter=delimiter, progress=progress, salt=salt)
            return _in_process(source, attacher, keys, rows=rows, encoding=encoding, delimiter=delimiter,
                               salt=salt)
        except _IdCollision:
            continue
    raise CaseDataError(f"two different case ids had the same 64-bit hash under each of {_HASH_TRIES} "
                        "hash keys, so people cannot be counted apart; please report this data set")


def _in_process(source: PathLike, attacher: _Attacher, keys: Mapping[str, list[str]] | None, *, rows: int,
                encoding: str | None, delimiter: str | None,
                salt: int) -> tuple[dict[str, pd.DataFrame], Quarantine]:
    """Chunk after chunk. Counts (``keys``): each chunk's distinct (cell, person) rows are spilled
    to :class:`PersonBuckets` (one bucket a chunk), then counted a bucket at a time; membership
    tables are compacted whenever they pass ``rows`` rows."""
    plan = _plan(source, rows=rows, encoding=encoding, delimiter=delimiter)
    held: dict[str, list[pd.DataFrame]] = {name: [] for name in TABLES}
    rejected: list[pd.DataFrame] = []
    accounts: list[pd.DataFrame] = []
    with ExitStack() as stack:
        columns = None if keys is None else {count: _code_keys(k) for count, k in keys.items()}
        buckets = None if columns is None else stack.enter_context(
            PersonBuckets(columns, min(len(plan.pieces), _MAX_BUCKETS), salt=salt))
        for piece in plan.pieces:
            result = _process_piece(plan, piece, attacher, keys)
            rejected.append(result.rejected)
            accounts.append(result.accounts())
            if buckets is not None:
                buckets.add(result.tables, result.labels)
                continue
            for name, table in result.tables.items():
                held[name].append(table)
            if sum(len(t) for tables in held.values() for t in tables) > rows:
                held = {name: [pd.concat(tables, ignore_index=True).drop_duplicates(ignore_index=True)]
                        for name, tables in held.items()}
        quarantine = _quarantine(rejected, pd.concat(accounts, ignore_index=True))
        if buckets is not None:
            return buckets.counts(), quarantine
    return {name: pd.concat(parts, ignore_index=True).drop_duplicates(ignore_index=True) if parts
            else _empty(TABLES[name]) for name, parts in held.items()}, quarantine


def _empty(columns: Sequence[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="period[M]" if c == "month" else "str") for c in columns})


def _on_dask(source: PathLike | dd.DataFrame, attacher: _Attacher, keys: Mapping[str, list[str]] | None, *,
             client: Client | str | None, workers: int | None, rows: int, encoding: str | None,
             delimiter: str | None, progress: bool, salt: int) -> tuple[dict[str, pd.DataFrame], Quarantine]:
    """One task a chunk or partition, an exact shuffle per count (or table), the results collected."""
    import dask
    import dask.dataframe as dd
    from distributed import Client, LocalCluster

    with ExitStack() as stack:
        connected: Client | None
        if client is None and workers is not None:
            cluster = stack.enter_context(
                LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None))
            connected = stack.enter_context(Client(cluster))
        elif isinstance(client, str):
            connected = stack.enter_context(Client(client))
        else:
            connected = client
        shared = (connected.scatter(attacher, broadcast=True) if connected is not None
                  else dask.delayed(attacher))
        tasks: list[tuple[Any, ...]]
        if _is_collection(source):
            tasks = [(_process_partition, part, i) for i, part in enumerate(source.to_delayed())]
        else:
            plan = _plan(source, rows=rows, encoding=encoding, delimiter=delimiter)
            tasks = [(_process_piece, plan, piece) for piece in plan.pieces]
        if keys is None:
            results = [dask.delayed(process)(*args, shared, keys) for process, *args in tasks]
            wanted = {name: dd.from_delayed([dask.delayed(_ChunkResult.table)(r, name) for r in results],
                                            meta=_empty(columns), verify_meta=False).drop_duplicates()
                      for name, columns in TABLES.items()}
            rejected = dd.from_delayed([dask.delayed(getattr)(r, "rejected") for r in results],
                                       meta=_quarantine([], _empty_accounts()).rejected, verify_meta=False)
            accounts = dd.from_delayed([dask.delayed(_ChunkResult.accounts)(r) for r in results],
                                       meta=_empty_accounts(), verify_meta=False)
            collections = [*wanted.values(), dask.delayed(_quarantine)([rejected], accounts)]
        else:
            # Map: each chunk processed and its rows put in n buckets by person, in one task (nothing
            # but the buckets' integers travels); reduce: one task a bucket; then a sum.
            columns = {count: _code_keys(k) for count, k in keys.items()}
            n = max(1, min(len(tasks), _MAX_BUCKETS) // 2)
            mapped = [dask.delayed(_mapped, nout=n + 2)(n, salt, process, *args, shared, keys)
                      for process, *args in tasks]
            counted = [dask.delayed(_count_bucket)([m[i] for m in mapped], columns) for i in range(n)]
            accounts = dask.delayed(pd.concat)([m[n + 1] for m in mapped], ignore_index=True)
            collections = [dask.delayed(_add_buckets)(counted, columns),
                           dask.delayed(_quarantine)([m[n] for m in mapped], accounts)]
        if connected is not None:
            futures = connected.compute(collections)
            if progress:
                from distributed import progress as show_progress

                show_progress(futures)
            values = connected.gather(futures)
        else:
            from dask.diagnostics import ProgressBar

            with ProgressBar() if progress else ExitStack():
                values = dask.compute(*collections)
    if keys is not None:
        return values[0], values[1]
    return dict(zip(TABLES, values[:-1], strict=True)), values[-1]


def _mapped(n: int, salt: int, process: Callable[..., _ChunkResult], *args: Any) -> tuple[Any, ...]:
    """One chunk processed (``process(*args)``): its ``n`` buckets of distinct rows, then its
    rejected rows and its accounts."""
    result = process(*args)
    return (*_split_by_person(result.tables, result.labels, n, salt), result.rejected, result.accounts())


def _empty_accounts() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=np.int64) for c in ("n_read", "n_accepted", "n_rejected",
                                                                  "n_unattached")})
