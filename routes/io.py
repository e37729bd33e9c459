"""Validated reading of case exports: cases, events and service points as GeoDataFrames.

``read_cases`` turns an export into the two tables of the case data standard (the table contracts in
``docs/architecture.md``): vocabulary codes instead of labels, ``"yes"``/``"no"``/``"unknown"``
booleans, ``;``-joined multi-valued codes, gazetteer place ids and EPSG:4326 points. It reads CSV
(UTF-8, UTF-8 with BOM, UTF-16 "Unicode text", cp1252/Latin-1; ``,`` ``;`` tab ``|`` delimiters),
XLSX, GeoJSON, GeoPackage and GeoParquet; headers may be the standard's names, Spanish headers, HXL
hashtags, HTCDS names or CTDC names with their one-hot families.

Nothing is dropped silently. Every row read is either accepted or listed in a :class:`ValidationReport`
with the file, the row as a spreadsheet shows it, the column, the value, what was expected and a
did-you-mean hint; columns that match no field are listed in ``ValidationReport.ignored_columns``.
Per table, accepted + rejected = rows read, always. Meaning lost or assumed without a rejected row
(events without dates, a column the mapping shadows, a default given to every row) is listed in
``ValidationReport.warnings``. Mappings and presets: ``docs/case-data-standard.md``, Mappings.
"""

from __future__ import annotations

import csv
import html
import io
import os
import re
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from routes._text import did_you_mean, normalize_key
from routes.errors import CaseDataError, ParameterError, Problem
from routes.schema import (
    AGE_GROUP_BOUNDS,
    CASE_FIELDS,
    CTDC_EXPLOITATION_FLAGS,
    CTDC_MISSING,
    CTDC_ONE_HOT,
    EVENT_FIELDS,
    MULTI_SEPARATOR,
    SERVICE_FIELDS,
    UNKNOWN,
    VOCABULARIES,
    Field,
    Kind,
    Role,
)

__all__ = ["ValidationReport", "read_cases", "read_services", "validate", "validate_event_records"]

PathLike = str | os.PathLike[str]
Errors = Literal["raise", "quarantine"]

CRS = "EPSG:4326"
# The response's region (Mexico to Patagonia): a point outside it that lands inside once its
# latitude and longitude are exchanged was almost certainly written the wrong way round.
REGION_LON = (-95.0, -30.0)
REGION_LAT = (-56.0, 33.0)

_DELIMITERS = (",", ";", "\t", "|")
_SNIFF_LINES = 50
_GARBAGE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffd]")
_MAX_GARBAGE_SHARE = 0.01
_MULTI_SPLIT = r"\s*;\s*"  # the standard's separator; others by mapping
_LIST_LIKE = r"\s*[;,|]\s*"  # what looks like a list in a single-valued field (for the hint)
_ROUTE_SPLIT = r"\s*(?:->|→|>)\s*"
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_COORDINATE_PAIR = (r"^\s*\(?\s*([-+]?\d+(?:[.,]\d+)?)\s*[,;\s]\s*([-+]?\d+(?:[.,]\d+)?)\s*\)?\s*$")
_DAY_FIRST = r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?$"
_EARLIEST = pd.Timestamp("1900-01-01")
_EXCEL_EPOCH = "1899-12-30"
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
_AGE = "age"
_AGE_HEADERS = {"age", "edad", "edadanos", "ageyears", "edadactual", "ageatregistration"}
_EXTRA_HEADERS = {"cases": {"yearofregistration": "date_registered"}}
_MAPPING_KEYS = ("columns", "values", "coordinates", "route_column", "route_separator", "defaults",
                 "separators", "row_ids")
_FIELDS: dict[str, tuple[Field, ...]] = {"cases": CASE_FIELDS, "events": EVENT_FIELDS,
                                         "services": SERVICE_FIELDS}
# One-hot flags of CTDC families read as yes/no.
YES_NO_FIELD = Field("flag", Kind.BOOL, Role.MODUS_OPERANDI, "", "flag", "indicador", vocabulary="yes_no")
_PROBLEM_COLUMNS = ["table", "file", "row", "column", "value", "expected", "hint"]


# --------------------------------------------------------------------------------------------------
# Report


@dataclass
class ValidationReport:
    """What reading an export gave: accepted tables, rejected rows with reasons, and the counts.

    Attributes
    ----------
    cases, events : GeoDataFrame
        Accepted rows, in the table contracts of ``docs/architecture.md``.
    rejected : DataFrame
        One row per problem (``table, file, row, column, value, expected, hint``). ``row`` is the row
        as a spreadsheet shows it, or missing for a problem with a whole column or file; a row with
        several problems appears several times but is counted once.
    n_read : dict
        Rows read per table (blank lines are not rows; each step of a route column is an event).
    n_rejected_by_table : dict
        Distinct rows rejected per table.
    ignored_columns : dict
        Per table, the headers that match no field and were dropped.
    column_map : dict
        Per table, how each header was read: header → field.
    warnings : DataFrame
        One row per meaning lost or assumed without rejecting a row (``table, file, column,
        warning``): events without dates, a column shadowed by the mapping, a default given to every
        row, a value table no column uses. Counted per table in :meth:`summary`.
    """

    cases: gpd.GeoDataFrame
    events: gpd.GeoDataFrame
    rejected: pd.DataFrame
    n_read: dict[str, int]
    n_rejected_by_table: dict[str, int]
    ignored_columns: dict[str, list[str]] = field(default_factory=dict)
    column_map: dict[str, dict[str, str]] = field(default_factory=dict)
    warnings: pd.DataFrame = field(default_factory=lambda: _warnings_frame([]))

    @property
    def n_accepted(self) -> int:
        """Rows accepted over all tables."""
        return len(self.cases) + len(self.events)

    @property
    def n_rejected(self) -> int:
        """Distinct rows rejected over all tables."""
        return sum(self.n_rejected_by_table.values())

    def summary(self) -> pd.DataFrame:
        """Per table: rows read, accepted, rejected, whether accepted + rejected = read, and warnings."""
        accepted = {"cases": len(self.cases), "events": len(self.events)}
        frame = pd.DataFrame(
            {
                "read": [self.n_read[t] for t in self.n_read],
                "accepted": [accepted.get(t, 0) for t in self.n_read],
                "rejected": [self.n_rejected_by_table.get(t, 0) for t in self.n_read],
            },
            index=pd.Index(list(self.n_read), name="table"),
        )
        frame["reconciles"] = frame["accepted"] + frame["rejected"] == frame["read"]
        counts = self.warnings["table"].value_counts() if len(self.warnings) else pd.Series(dtype=int)
        frame["warnings"] = [int(counts.get(t, 0)) for t in self.n_read]
        return frame

    def problems(self) -> list[Problem]:
        """The rejected rows as :class:`routes.errors.Problem` objects, in file order."""
        return _as_problems(self.rejected)

    def raise_for_rejected(self) -> None:
        """Raise one :class:`CaseDataError` listing every problem, if any was found.

        A problem with a whole column of an empty table rejects no row but still raises.
        """
        if len(self.rejected):
            raise CaseDataError(self.problems())

    def _repr_html_(self) -> str:
        head = f"<p><b>ValidationReport</b>: {self.n_accepted} accepted, {self.n_rejected} rejected</p>"
        ignored = "".join(
            f"<p>ignored columns in {html.escape(t)}: {html.escape(', '.join(cols))}</p>"
            for t, cols in self.ignored_columns.items() if cols
        )
        warned = self.warnings.to_html(index=False) if len(self.warnings) else ""
        shown = self.rejected.head(20).to_html(index=False, na_rep="")  # to_html escapes cells
        more = len(self.rejected) - 20
        tail = f"<p>... and {more} more problems</p>" if more > 0 else ""
        return (head + self.summary().to_html() + ignored + warned + (shown if len(self.rejected) else "")
                + tail)


# --------------------------------------------------------------------------------------------------
# Public API


def read_cases(
    path: PathLike,
    *,
    events: PathLike | None = None,
    mapping: Mapping[str, Any] | PathLike | None = None,
    preset: str | None = None,
    errors: Errors = "raise",
    gazetteer: Any = None,
    sheet: str | None = None,
    events_sheet: str | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    today: date | None = None,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Read a case export (and its events) into the ``cases`` and ``events`` tables.

    Parameters
    ----------
    path : path
        The cases file: CSV, XLSX, GeoJSON, GeoPackage or GeoParquet.
    events : path, optional
        The events file. Without it, events come from a route column of the cases file
        (``"Maracaibo > Paraguachón > Maicao > Bogotá"``: recruitment at the first place, transit in
        between, exploitation at the last, transit for smuggling-only cases), or are empty.
    mapping : dict or path to a YAML file, optional
        How to read headers and values that the standard does not know::

            columns:      {"Their Header": field_name, ...}
            values:       {field_name: {"their value": code, ...}, ...}
            coordinates:  {column: "Coords", order: "lat,lon"}   # one "lat, lon" text column
            route_column: "Ruta"                                 # places in order, in the cases file
            route_separator: ">"                                 # default: ">", "->" or "→"
            defaults:     {field_name: value, ...}               # for fields the file does not hold
            separators:   {field_name or "Their Header": ","}   # multi-valued cells; default ";"
            row_ids:      "row-"                                 # case ids from row numbers, if none

        Keys of ``columns``, ``values`` and ``separators`` match accent- and case-insensitively. An
        explicit ``columns`` entry wins over the standard's aliases and HXL tags whatever the column
        order (a column the alias would have read instead is ignored, with a warning). A column's
        target may be ``null`` (the column is ignored and listed in ``ignored_columns``), a list of
        fields, at most one per table (``Fecha: [date_registered, date]`` feeds the cases' and the
        events' date, for a file read as both tables or a route column), or a table → field
        dictionary (``{cases: date_registered, events: date}``). A value maps to a code, a label or
        alias of the field's vocabulary, ``null`` (unknown), or for a multi-valued field a list of
        codes; any other target is an error of the mapping naming the allowed codes. ``separators``
        takes one separator or a list (``" "`` splits at spaces, as Kobo's ``select_multiple``).
    preset : {"ctdc", "htcds"}, optional
        A mapping for the sector's exports, merged under ``mapping`` (the user's entries win).
        ``"ctdc"``: the raw file's unnamed index column ignored, ``case_type`` ``trafficking`` and
        ``consent_reporting`` ``yes`` by default, case ids from row numbers when the file has none;
        each assumption is stated in ``ValidationReport.warnings``.
    errors : {"raise", "quarantine"}
        ``"raise"``: one :class:`CaseDataError` listing every problem. ``"quarantine"``: return the
        accepted rows; :func:`validate` gives the rejected ones with reasons.
    gazetteer : Gazetteer, optional
        Resolves place names; defaults to :func:`routes.places.load_gazetteer`.
    sheet, events_sheet : str, optional
        XLSX worksheet or GeoPackage layer of the cases file and of the events file (a workbook with
        a cover sheet, say). By default a sheet named like its table (``cases``, ``casos``,
        ``events``, ``eventos``), else the first.
    encoding, delimiter : str, optional
        Override the detected text encoding and CSV delimiter.
    today : date, optional
        Dates after it are rejected as in the future; defaults to ``date.today()``.

    Returns
    -------
    cases, events : GeoDataFrame
        EPSG:4326, as described in the table contracts.

    Raises
    ------
    CaseDataError
        With ``errors="raise"`` when any row is rejected; in both modes when a file is empty, is not a
        table, or matches no field of the standard.
    ParameterError
        When ``errors`` is neither ``"raise"`` nor ``"quarantine"``, or ``preset`` is not one of
        :data:`PRESETS`.
    """
    if errors not in ("raise", "quarantine"):
        raise ParameterError(f"errors must be 'raise' or 'quarantine', got {errors!r}")
    report = validate(path, events=events, mapping=mapping, preset=preset, gazetteer=gazetteer, sheet=sheet,
                      events_sheet=events_sheet, encoding=encoding, delimiter=delimiter, today=today)
    if errors == "raise":
        report.raise_for_rejected()
    return report.cases, report.events


def validate_event_records(
    headers: Sequence[str],
    cells: pd.DataFrame,
    rows: np.ndarray,
    *,
    file: str,
    point: Any = None,
    hxl: bool = False,
    mapping: Mapping[str, Any] | PathLike | _Mapping | None = None,
    gazetteer: Any = None,
    today: date | pd.Timestamp | None = None,
) -> ValidationReport:
    """Check a block of raw event records (one chunk of a large file) with the events checks.

    The per-record layer of :mod:`routes.scale` calls this for every chunk, so a chunk is validated
    by exactly the code that validates a whole file. Checks that need the cases table (an event's
    case must be an accepted case) are not made here; ``cases`` of the report is empty.

    Parameters
    ----------
    headers
        Column names as in the file.
    cells
        The records as text, one column per header (positional column labels).
    rows
        The 1-based row number of each record as a spreadsheet shows it (for the problem list).
    file
        The name problems cite.
    point
        Point geometries of the records when the source was a spatial file.
    hxl
        Whether the block may start with an HXL hashtag row (the first block of a file).
    mapping, gazetteer, today
        As for :func:`read_cases`; ``mapping`` may also be one already loaded.
    """
    spec = mapping if isinstance(mapping, _Mapping) else _Mapping.load(mapping)
    gaz = _gazetteer(gazetteer)
    raw = _RawTable(file, list(headers), cells, rows, point=point)
    if hxl:
        raw = _split_hxl(raw)
    parsed = _parse_table(raw, "events", _match_columns(raw, "events", spec), spec, gaz,
                          pd.Timestamp(today or date.today()))
    return ValidationReport(
        cases=gpd.GeoDataFrame(geometry=gpd.GeoSeries([], crs=CRS)),
        events=_events_table(parsed, gaz),
        rejected=parsed.checks.frame(),
        n_read={"events": parsed.n_rows},
        n_rejected_by_table={"events": int(parsed.checks.bad.sum())},
        ignored_columns={"events": parsed.ignored},
        column_map={"events": parsed.column_map},
        warnings=_warnings_frame(_table_warnings(parsed)),
    )


def validate(
    path: PathLike,
    *,
    events: PathLike | None = None,
    mapping: Mapping[str, Any] | PathLike | None = None,
    preset: str | None = None,
    gazetteer: Any = None,
    sheet: str | None = None,
    events_sheet: str | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    today: date | None = None,
) -> ValidationReport:
    """Check a case export against the case data standard and report every problem.

    Takes the same options as :func:`read_cases` and never raises for bad rows: they are listed in
    ``ValidationReport.rejected``. A file that is empty, not a table, or matches no field of the
    standard still raises :class:`CaseDataError`, since no row of it can be counted.
    """
    spec = _Mapping.load(mapping, preset=preset)
    gaz = _gazetteer(gazetteer)
    today = pd.Timestamp(today or date.today())
    options = {"encoding": encoding, "delimiter": delimiter}

    raw_cases = _read_raw(path, table="cases", sheet=sheet, **options)
    cases = _parse_table(raw_cases, "cases", _match_columns(raw_cases, "cases", spec), spec, gaz, today)
    _check_duplicate_ids(cases)

    if events is not None:
        raw_events = _read_raw(events, table="events", sheet=events_sheet, **options)
        ev = _parse_table(raw_events, "events", _match_columns(raw_events, "events", spec), spec, gaz,
                          today)
    else:
        ev = _events_from_routes(cases, spec, gaz, today, raw=raw_cases)
    _check_event_cases(ev, cases)

    rejected = pd.concat([cases.checks.frame(), ev.checks.frame()], ignore_index=True)
    return ValidationReport(
        cases=_cases_table(cases, gaz),
        events=_events_table(ev, gaz),
        rejected=rejected,
        n_read={"cases": cases.n_rows, "events": ev.n_rows},
        n_rejected_by_table={"cases": int(cases.checks.bad.sum()), "events": int(ev.checks.bad.sum())},
        ignored_columns={"cases": cases.ignored, "events": ev.ignored},
        column_map={"cases": cases.column_map, "events": ev.column_map},
        warnings=_report_warnings(spec, [cases, ev]),
    )


def read_services(
    path: PathLike,
    *,
    gazetteer: Any = None,
    mapping: Mapping[str, Any] | PathLike | None = None,
    sheet: str | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
) -> gpd.GeoDataFrame:
    """Read a list of service points (``SERVICE_FIELDS``) placed at gazetteer places.

    Returns a GeoDataFrame (EPSG:4326) with ``service_id, place, place_id, service_type,
    organisation_type, geometry``. Raises one :class:`CaseDataError` listing every problem: a service
    list is reference data, so a bad row is an error rather than a quarantined row.
    """
    gaz = _gazetteer(gazetteer)
    spec = _Mapping.load(mapping)
    raw = _read_raw(path, table="services", sheet=sheet, encoding=encoding, delimiter=delimiter)
    parsed = _parse_table(raw, "services", _match_columns(raw, "services", spec), spec, gaz,
                          pd.Timestamp(date.today()))
    problems = parsed.checks.frame()
    if len(problems):
        raise CaseDataError(_as_problems(problems))
    frame = parsed.values[["service_id", "place", "place_id", "service_type", "organisation_type"]]
    return gpd.GeoDataFrame(frame.reset_index(drop=True), geometry=_place_points(gaz, frame["place_id"]),
                            crs=CRS)


_WARNING_COLUMNS = ["table", "file", "column", "warning"]


def _warnings_frame(rows: list[tuple[str, str, str, str]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=_WARNING_COLUMNS, dtype=object).drop_duplicates(ignore_index=True)


def _table_warnings(parsed: _Parsed) -> list[tuple[str, str, str, str]]:
    return [(parsed.table, parsed.checks.file, column, text) for column, text in parsed.warnings]


def _report_warnings(spec: _Mapping, tables: list[_Parsed]) -> pd.DataFrame:
    """Every table's warnings, plus what the mapping asked for and no table could use."""
    rows = [w for parsed in tables for w in _table_warnings(parsed)]
    used: dict[str, set[str]] = {}
    for parsed in tables:
        used.setdefault(parsed.checks.file, set()).update(parsed.column_map)
    for parsed in tables:
        for header, targets in parsed.elsewhere.items():
            if header not in used[parsed.checks.file]:
                rows.append((parsed.table, parsed.checks.file, header,
                             f"the mapping sends {header!r} to {', '.join(targets)}, which no table read "
                             f"from {parsed.checks.file} has; it was ignored (a column may feed a field "
                             "of each table: list them)"))
    read = {name for parsed in tables for name in parsed.headers}
    for name in spec.values:
        if name not in read and tables:
            rows.append((tables[0].table, "mapping", name,
                         f"the mapping has a value table for {name}, but no column is read as {name}"))
    return _warnings_frame(rows)


def _as_problems(table: pd.DataFrame) -> list[Problem]:
    """The rows of a problem table as :class:`Problem` objects (a missing row or column: ``None``)."""
    columns = (table[c].tolist() for c in ("file", "row", "column", "value", "expected", "hint"))
    return [
        Problem(file, None if pd.isna(row) else int(row), column or None, value, expected, hint)
        for file, row, column, value, expected, hint in zip(*columns, strict=True)
    ]


def _gazetteer(gazetteer: Any) -> Any:
    if gazetteer is not None:
        return gazetteer
    from routes.places import load_gazetteer

    return load_gazetteer()


# --------------------------------------------------------------------------------------------------
# Mapping


@dataclass(frozen=True)
class _Mapping:
    """A user's mapping, checked and keyed for matching (see :func:`read_cases`).

    ``columns`` maps a header key to the fields it feeds, at most one per table; an empty tuple is a
    column the mapping ignores (``null``). Explicit entries win over the automatic aliases and HXL
    tags. ``separators`` maps a field name or a header key to the regular expression that splits
    its multi-valued cells (default the standard's ``;``).
    """

    columns: dict[str, tuple[str, ...]] = field(default_factory=dict)  # header key → fields (or none)
    values: dict[str, dict[str, str]] = field(default_factory=dict)  # field → value key → code
    coordinates: tuple[str, bool] | None = None                    # (header key, lat first)
    route_separator: str = _ROUTE_SPLIT
    defaults: dict[str, str] = field(default_factory=dict)
    separators: dict[str, tuple[str, ...]] = field(default_factory=dict)  # field or header key
    row_ids: str | None = None                                     # case id prefix for id-less files
    reasons: dict[str, str] = field(default_factory=dict)          # field → why a preset assumes it

    def targets(self, key: str, table: str) -> str | None:
        """The field of ``table`` an explicit entry sends header ``key`` to (``None``: not this table)."""
        names = _table_names(table)
        return next((t for t in self.columns.get(key, ()) if t in names), None)

    def separator(self, name: str, header: str) -> tuple[str, ...]:
        """The separators of multi-valued cells of field ``name`` read from ``header`` (default ``;``)."""
        return self.separators.get(_header_key(header)) or self.separators.get(name) or (MULTI_SEPARATOR,)

    @classmethod
    def load(cls, spec: Mapping[str, Any] | PathLike | None, *, preset: str | None = None) -> _Mapping:
        base = _preset(preset) if preset is not None else None
        if spec is None:
            return base or cls()
        source = "mapping"
        if isinstance(spec, str | os.PathLike):
            import yaml

            source = str(spec)
            try:
                spec = yaml.safe_load(Path(spec).read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
                raise CaseDataError(f"{source}: cannot read the mapping file ({exc})") from exc
            if spec is None:  # an empty file (or only comments) maps nothing
                spec = {}
        if not isinstance(spec, Mapping):
            raise CaseDataError(f"{source}: a mapping must be a dictionary, got {type(spec).__name__}")
        unknown = [k for k in spec if k not in _MAPPING_KEYS]
        if unknown:
            raise CaseDataError(f"{source}: unknown keys {unknown}; expected some of {list(_MAPPING_KEYS)}")
        loaded = _load_mapping(spec, source)
        return base.under(loaded) if base is not None else loaded

    def under(self, user: _Mapping) -> _Mapping:
        """This mapping (a preset) with ``user``'s entries on top: the user wins key by key."""
        values = {f: {**self.values.get(f, {}), **user.values.get(f, {})}
                  for f in self.values.keys() | user.values.keys()}
        separator = user.route_separator if user.route_separator != _ROUTE_SPLIT else self.route_separator
        return _Mapping(
            columns={**self.columns, **user.columns}, values=values,
            coordinates=user.coordinates or self.coordinates, route_separator=separator,
            defaults={**self.defaults, **user.defaults}, separators={**self.separators, **user.separators},
            row_ids=user.row_ids if user.row_ids is not None else self.row_ids,
            reasons={f: r for f, r in self.reasons.items()
                     if f not in user.defaults and not (f == "case_id" and user.row_ids is not None)},
        )


PRESETS = ("ctdc", "htcds")
"""The sector's exports a mapping preset exists for (``validate(path, preset="ctdc")``)."""

# What each preset assumes, stated in every report that uses it.
_CTDC_REASON = ("CTDC's files hold identified victims of trafficking and are published k-anonymised by "
                "CTDC; preset ctdc assumes this")
_PRESET_SPECS: dict[str, dict[str, Any]] = {
    # CTDC's global data set and the files derived from it: the raw file's first column is an unnamed
    # row index; there is no case id, case type or consent column. Its names, one-hot families, -99,
    # 1.0/0.0 flags and ISO-2 citizenship are read without a mapping.
    "ctdc": {"columns": {"": None, "Unnamed: 0": None, "index": None},
             "defaults": {"case_type": "trafficking", "consent_reporting": "yes"},
             "row_ids": "ctdc-row-"},
    # HTCDS names are the standard's aliases already; the preset makes them win over other aliases
    # and numbers rows of a file without a case id.
    "htcds": {"columns": {"Case_ID": ["case_id"], "VictimID": ["case_id"],
                          "DateOfRegistration": "date_registered", "hte_Date": "date",
                          "hte_Type": "stage", "hte_Location": "place", "hte_Order": "seq"},
              "row_ids": "htcds-row-"},
}
_PRESET_REASONS = {
    "ctdc": {"case_type": _CTDC_REASON, "consent_reporting": _CTDC_REASON,
             "case_id": "CTDC publishes no case id"},
    "htcds": {"case_id": "the file has no HTCDS case id"},
}


def _preset(name: str) -> _Mapping:
    """The mapping preset ``name`` (see :data:`PRESETS`)."""
    key = str(name).lower()
    if key not in _PRESET_SPECS:
        raise ParameterError(f"preset={name!r}; expected one of {', '.join(PRESETS)}")
    loaded = _load_mapping(_PRESET_SPECS[key], f"preset {key}")
    return _Mapping(loaded.columns, loaded.values, loaded.coordinates, loaded.route_separator,
                    loaded.defaults, loaded.separators, loaded.row_ids, dict(_PRESET_REASONS[key]))


def _table_names(table: str) -> set[str]:
    return {f.name for f in _FIELDS[table]} | ({_AGE} if table == "cases" else set())


def _fields_named(name: str) -> list[Field]:
    return [f for fields in _FIELDS.values() for f in fields if f.name == name]


def _load_mapping(spec: Mapping[str, Any], source: str) -> _Mapping:
    """Check a mapping dictionary (see :func:`read_cases`) and key it for matching."""
    known_fields = {f.name for fields in _FIELDS.values() for f in fields} | {_AGE}

    def field_name(name: object, where: str) -> str:
        if name not in known_fields:
            close = did_you_mean(str(name), sorted(known_fields))
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise CaseDataError(f"{source}: {where} names field {name!r}, which the case data "
                                f"standard does not have{hint}")
        return str(name)

    columns: dict[str, tuple[str, ...]] = {}
    for header, target in (spec.get("columns") or {}).items():
        where = f"columns[{header!r}]"
        if target is None:
            names: tuple[str, ...] = ()
        elif isinstance(target, str):
            names = (field_name(target, where),)
        elif isinstance(target, Mapping):
            bad = [t for t in target if t not in _FIELDS]
            if bad:
                raise CaseDataError(f"{source}: {where} has tables {bad}; expected some of {list(_FIELDS)}")
            for table, name in target.items():
                if name is not None and field_name(name, where) not in _table_names(table):
                    raise CaseDataError(f"{source}: {where} sends {table} to {name!r}, which is not a "
                                        f"field of the {table} table")
            names = tuple(str(n) for n in target.values() if n is not None)
        elif isinstance(target, Sequence):
            names = tuple(field_name(t, where) for t in target)
        else:
            raise CaseDataError(f"{source}: {where} must be a field name, a list of field names (one per "
                                f"table), a table → field dictionary or null, got {target!r}")
        for table in _FIELDS:
            both = [n for n in names if n in _table_names(table)]
            if len(both) > 1:
                raise CaseDataError(f"{source}: {where} feeds {both} of the {table} table; a column feeds "
                                    "at most one field of each table")
        columns[_header_key(header)] = names
    if spec.get("route_column"):
        columns[_header_key(spec["route_column"])] = ("route",)
    values = {field_name(f, "values"): _value_table(f, table, source)
              for f, table in (spec.get("values") or {}).items()}
    coordinates = None
    if spec.get("coordinates"):
        coord = spec["coordinates"]
        order = normalize_key(coord.get("order", "lat,lon")) if isinstance(coord, Mapping) else ""
        if order not in ("lat lon", "lon lat") or "column" not in coord:
            raise CaseDataError(f"{source}: coordinates needs a 'column' and an order 'lat,lon' "
                                f"or 'lon,lat', got {coord!r}")
        coordinates = (_header_key(coord["column"]), order == "lat lon")
    separator = re.escape(str(spec["route_separator"])) if spec.get("route_separator") else _ROUTE_SPLIT
    defaults = {field_name(f, "defaults"): str(v) for f, v in (spec.get("defaults") or {}).items()}
    separators = {}
    for key, sep in (spec.get("separators") or {}).items():
        seps = [sep] if isinstance(sep, str) else sep
        if not isinstance(seps, Sequence) or not seps or not all(isinstance(x, str) and x for x in seps):
            raise CaseDataError(f"{source}: separators[{key!r}] must be a separator such as ';' or ',' "
                                f"(or a list of them), got {sep!r}")
        name = str(key) if key in known_fields else _header_key(key)
        separators[name] = tuple(seps)
    row_ids = spec.get("row_ids")
    return _Mapping(columns, values, coordinates, separator, defaults, separators,
                    None if row_ids is None else str(row_ids))


def _value_table(name: str, table: object, source: str) -> dict[str, str]:
    """A field's value table, each target checked against the field's vocabulary."""
    if not isinstance(table, Mapping):
        raise CaseDataError(f"{source}: values[{name!r}] must be a dictionary of value → code, got {table!r}")
    fields = _fields_named(name)
    vocab_fields = [f for f in fields if f.vocab is not None]
    if not vocab_fields:
        if any(f.kind is Kind.PLACE for f in fields):  # place names: the gazetteer checks them
            return {normalize_key(v): str(code) for v, code in table.items()}
        raise CaseDataError(f"{source}: values[{name!r}]: {name} is not a category or a place, so a value "
                            "table cannot apply to it")
    f = vocab_fields[0]
    vocab = f.vocab
    assert vocab is not None
    out: dict[str, str] = {}
    for value, code in table.items():
        codes = [UNKNOWN] if code is None else (
            [str(c) for c in code] if isinstance(code, list) else str(code).split(MULTI_SEPARATOR))
        if len(codes) > 1 and f.kind is not Kind.MULTI:
            raise CaseDataError(f"{source}: values[{name!r}][{value!r}] = {code!r}: {name} holds one value")
        parsed = [vocab.parse(c) for c in codes]
        bad = [c for c, p in zip(codes, parsed, strict=True) if p is None]
        if bad:
            close = vocab.suggest(bad[0])
            hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
            raise CaseDataError(f"{source}: values[{name!r}] maps {value!r} to {bad[0]!r}, which is not a "
                                f"{vocab.name} value; allowed: {', '.join((*vocab.codes, UNKNOWN))}{hint}")
        out[normalize_key(value)] = MULTI_SEPARATOR.join(str(p) for p in parsed)
    return out


# --------------------------------------------------------------------------------------------------
# Reading files into raw text tables


@dataclass
class _RawTable:
    """A file's cells as text, by column position, with the spreadsheet row number of each row."""

    file: str
    headers: list[str]
    cells: pd.DataFrame          # columns 0..k-1, str, "" for blanks, RangeIndex
    rows: np.ndarray             # spreadsheet row (or feature number) per row
    hxl: list[str] | None = None
    point: pd.DataFrame | None = None  # lat, lon, geom_type from a geometry column
    ragged: pd.Series | None = None    # cells count per row where it exceeds the header


def _read_raw(path: PathLike, *, table: str, sheet: str | None, encoding: str | None,
              delimiter: str | None) -> _RawTable:
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
    return _split_hxl(raw)


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


def _sniff_delimiter(lines: list[str]) -> str:
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


def _read_text(data: bytes, name: str, *, encoding: str | None, delimiter: str | None) -> _RawTable:
    text = _decode(data, name, encoding)
    sample = text[:65536]
    if len(_GARBAGE.findall(sample)) > _MAX_GARBAGE_SHARE * len(sample):
        raise CaseDataError(f"{name}: not a table (binary or garbled content; expected CSV, XLSX, "
                            "GeoJSON, GeoPackage or GeoParquet)")
    lines = text.splitlines()
    try:
        sep = delimiter or _sniff_delimiter([ln for ln in lines[:_SNIFF_LINES] if ln.strip()])
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
    return _RawTable(name, [h.strip() for h in header], _clean(cells, width), rows, ragged=ragged)


def _clean(cells: pd.DataFrame, width: int) -> pd.DataFrame:
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


def _read_xlsx(data: bytes, name: str, *, table: str, sheet: str | None) -> _RawTable:
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
    return _RawTable(name, [h.strip() for h in header[:width]], _clean(cells, width),
                     np.array([i for i, _ in body], dtype=int),
                     ragged=ragged if any(extra) else None)


def _read_geo(path: Path, *, table: str, layer: str | None) -> _RawTable:
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
    cells = pd.DataFrame({i: _column_text(frame[c]) for i, c in enumerate(frame.columns)},
                         index=range(len(frame)))
    return _RawTable(name, [str(c).strip() for c in frame.columns], _clean(cells, frame.shape[1]),
                     np.arange(1, len(frame) + 1), point=point)


def _column_text(values: pd.Series) -> pd.Series:
    """A typed column as text: whole floats without ``.0``, dates in ISO form, missing as ``""``."""
    values = values.reset_index(drop=True)
    if pd.api.types.is_float_dtype(values):
        finite = values.dropna()
        if len(finite) and (finite % 1 == 0).all():
            values = values.astype("Int64")
    elif pd.api.types.is_datetime64_any_dtype(values):
        values = values.dt.strftime("%Y-%m-%d %H:%M:%S")
    return values.astype("string").fillna("").astype(str)


def _split_hxl(raw: _RawTable) -> _RawTable:
    """Take the HXL hashtag row (the first row, every filled cell a ``#tag``) out of the data."""
    if not len(raw.cells):
        return raw
    first = raw.cells.iloc[0]
    filled = first[first.ne("")]
    if not len(filled) or not filled.str.match(r"^#[A-Za-z]").all():
        return raw
    ragged = raw.ragged.iloc[1:].reset_index(drop=True) if raw.ragged is not None else None
    point = raw.point.iloc[1:].reset_index(drop=True) if raw.point is not None else None
    return _RawTable(raw.file, raw.headers, raw.cells.iloc[1:].reset_index(drop=True), raw.rows[1:],
                     hxl=first.tolist(), point=point, ragged=ragged)


# --------------------------------------------------------------------------------------------------
# Column matching


def _header_key(header: object) -> str:
    """Headers match ignoring accents, case, spacing and punctuation."""
    return normalize_key(_CAMEL.sub(" ", str(header))).replace(" ", "")


def _hxl_key(tag: str) -> tuple[str, frozenset[str]]:
    """An HXL tag as (hashtag, attributes): attribute order does not matter."""
    parts = tag.strip().lower().replace(" ", "").split("+")
    return parts[0], frozenset(parts[1:])


def _field_keys(table: str) -> dict[str, str]:
    keys: dict[str, str] = {}
    for f in _FIELDS[table]:
        for spelling in (f.name, f.en, f.es, *f.header_aliases):
            keys.setdefault(_header_key(spelling), f.name)
    for spelling, name in _EXTRA_HEADERS.get(table, {}).items():
        keys.setdefault(spelling, name)
    if table == "cases":
        keys.update(dict.fromkeys(_AGE_HEADERS, _AGE))
    return keys


@dataclass
class _Columns:
    """Which column position holds each field, and what was left over."""

    positions: dict[str, int]                   # field → column position
    one_hot: dict[str, dict[int, str]]          # field → {column position: code} (CTDC families)
    coordinates: tuple[int, bool] | None        # (position, lat first)
    ignored: list[str]
    column_map: dict[str, str]
    warnings: list[tuple[str, str]] = field(default_factory=list)       # (column, what was lost)
    elsewhere: dict[str, tuple[str, ...]] = field(default_factory=dict)  # header → fields of other tables


def _match_columns(raw: _RawTable, table: str, spec: _Mapping) -> _Columns:
    """Place each column: the mapping's entries first, whatever the column order; then HXL tags and
    the standard's names and aliases for the fields still free; then CTDC one-hot families."""
    keys = _field_keys(table)
    tags = {_hxl_key(f.hxl): f.name for f in _FIELDS[table]}
    names = _table_names(table)
    out = _Columns({}, {}, None, [], {})
    positions = out.positions

    def label(i: int) -> str:
        return raw.headers[i] or f"(unnamed column {i + 1})"

    placed: set[int] = set()
    for i, header in enumerate(raw.headers):
        key = _header_key(header)
        if spec.coordinates and key == spec.coordinates[0] and {"lat", "lon"} <= names:
            out.coordinates = (i, spec.coordinates[1])
            out.column_map[header] = "lat, lon"
            placed.add(i)
            continue
        if key not in spec.columns:
            continue
        placed.add(i)
        target = spec.targets(key, table)
        if target is None:  # null, or fields of another table only
            out.ignored.append(label(i))
            if spec.columns[key]:
                out.elsewhere[label(i)] = spec.columns[key]
        elif target in positions:
            first = label(positions[target])
            out.ignored.append(label(i))
            out.warnings.append((label(i), f"the mapping sends {first!r} and {label(i)!r} to {target}; "
                                           f"{target} is read from {first!r} and {label(i)!r} is ignored"))
        else:
            positions[target] = i
            out.column_map[header] = target
    explicit = set(positions)
    for i, header in enumerate(raw.headers):
        if i in placed:
            continue
        key = _header_key(header)
        tag = raw.hxl[i] if raw.hxl else ""
        target = (tags.get(_hxl_key(tag)) if tag else None) or keys.get(key)
        if target in names and target not in positions:
            positions[target] = i
            out.column_map[header] = target
            continue
        if target in positions:
            source = label(positions[target])
            why = "the mapping reads" if target in explicit else "an earlier column gives"
            out.warnings.append((label(i), f"{label(i)!r} reads as {target}, but {why} {target} from "
                                           f"{source!r}; {label(i)!r} is ignored (map it to null to say so)"))
            out.ignored.append(label(i))
            continue
        family = _ctdc_family(header, table)
        if family is not None and target is None:
            name, code = family
            out.one_hot.setdefault(name, {})[i] = code
            out.column_map[header] = f"{name} ({code})"
            continue
        out.ignored.append(label(i))
    if raw.point is not None and "lat" in names:
        for axis in ("lat", "lon"):
            if axis not in positions and out.coordinates is None:
                out.column_map[f"geometry ({axis})"] = axis
    elif raw.point is not None:
        out.ignored.append("geometry")
    for name in out.one_hot.keys() & positions.keys():  # a direct column wins over its one-hot family
        out.ignored.extend(raw.headers[i] for i in out.one_hot.pop(name))
    if _AGE in positions and "age_group" in positions:
        out.ignored.append(raw.headers[positions.pop(_AGE)])
    return out


def _ctdc_family(header: str, table: str) -> tuple[str, str] | None:
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


class _Checks:
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
# Parsing and checking one table


@dataclass
class _Parsed:
    """One table's parsed values (codes, dates, numbers), with its problems and provenance."""

    table: str
    values: pd.DataFrame
    checks: _Checks
    headers: dict[str, str]  # field → header (as in the file) it was read from
    ignored: list[str]
    column_map: dict[str, str]
    warnings: list[tuple[str, str]] = field(default_factory=list)  # (column, meaning lost or assumed)
    elsewhere: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def n_rows(self) -> int:
        return len(self.values)

    @property
    def accepted(self) -> np.ndarray:
        return ~self.checks.bad


def _parse_table(raw: _RawTable, table: str, columns: _Columns, spec: _Mapping, gaz: Any,
                 today: pd.Timestamp) -> _Parsed:
    fields = _FIELDS[table]
    checks = _Checks(table, raw.file, raw.rows)
    n = len(raw.cells)
    if not columns.positions and not columns.one_hot:
        raise CaseDataError(f"{raw.file}: no column matches the {table} table of the case data standard "
                            f"(headers: {raw.headers[:12]})")
    if raw.ragged is not None:
        checks.add(raw.ragged.notna(), column="", values=raw.ragged.fillna(0).astype(int).astype(str),
                   expected=f"at most {len(raw.headers)} cells, as many as the header has",
                   hint="a delimiter inside an unquoted cell?")
    values: dict[str, pd.Series] = {}
    headers: dict[str, str] = {}

    warnings = list(columns.warnings)

    def text_of(name: str) -> tuple[pd.Series, str] | None:
        if name in columns.positions:
            pos = columns.positions[name]
            return raw.cells[pos], raw.headers[pos] or f"(column {pos + 1})"
        if name in spec.defaults:
            if n:
                reason = f" ({spec.reasons[name]})" if name in spec.reasons else ""
                warnings.append((name, f"no column gives {name}: every row takes {spec.defaults[name]!r} "
                                       f"from the mapping's defaults{reason}"))
            return pd.Series(spec.defaults[name], index=raw.cells.index, dtype=str), "(mapping default)"
        if name == "case_id" and spec.row_ids is not None:
            if n:
                reason = f" ({spec.reasons[name]})" if name in spec.reasons else ""
                warnings.append((name, f"no case id column: case ids are {spec.row_ids!r} + the row number, "
                                       f"pseudonymous and stable for this file only{reason}"))
            ids = pd.Series(raw.rows, index=raw.cells.index).astype(str)
            return spec.row_ids + ids, "(row number)"
        return None

    for f in fields:
        found = text_of(f.name)
        if found is None and f.name in columns.one_hot:
            found = _collapse_one_hot(raw, f, columns.one_hot[f.name], checks)
        if found is None:
            if f.required:
                checks.add_table(column=f.name, value=None,
                                 expected=f"a column for required field {f.name!r} ({f.en} / {f.es})",
                                 hint=_header_hint(f, raw.headers))
            values[f.name] = _missing(f, n)
            continue
        text, header = found
        headers[f.name] = header
        values[f.name] = _parse_field(f, text, header, spec.values.get(f.name, {}), checks, today,
                                      separators=spec.separator(f.name, header))
    if table == "events" and n and "date" not in headers:
        warnings.append(("date", f"no column gives the events' dates: {n} events have no date, so periods "
                                 "and trends leave them out; map a column to 'date' (a column may feed a "
                                 "field of each table: [date_registered, date])"))

    if table == "cases" and _AGE in columns.positions and "age_group" not in columns.positions:
        pos = columns.positions[_AGE]
        values["age_group"] = _age_groups(raw.cells[pos], raw.headers[pos], checks)
        headers["age_group"] = raw.headers[pos]
    if "lat" in values:
        _coordinates(raw, columns, values, headers, checks)
    for f in fields:
        if f.kind is Kind.PLACE:
            values[f"{f.name}_id" if table == "cases" else "place_id"] = _resolve_places(
                values[f.name], headers.get(f.name, f.name), f.required, spec.values.get(f.name, {}),
                gaz, checks)
    return _Parsed(table, pd.DataFrame(values, index=raw.cells.index), checks, headers, columns.ignored,
                   columns.column_map, warnings, columns.elsewhere)


def _missing(f: Field, n: int) -> pd.Series:
    """The filler of an optional field the file does not hold (table contracts)."""
    if f.kind in (Kind.CATEGORY, Kind.BOOL):
        return pd.Series(UNKNOWN, index=range(n), dtype=str)
    if f.kind is Kind.DATE:
        return pd.Series(pd.NaT, index=range(n), dtype="datetime64[ns]")
    if f.kind in (Kind.INT, Kind.FLOAT):
        return pd.Series(np.nan, index=range(n), dtype=float)
    return pd.Series("", index=range(n), dtype=str)


def _header_hint(f: Field, headers: list[str]) -> str:
    close = did_you_mean(f.name, [h for h in headers if h])
    return f"did you mean {close[0]!r}?" if close else "add the column or map it in mapping['columns']"


def _parse_field(f: Field, text: pd.Series, header: str, overrides: dict[str, str], checks: _Checks,
                 today: pd.Timestamp, *, separators: tuple[str, ...] = (MULTI_SEPARATOR,)) -> pd.Series:
    blank = text.eq("")
    if f.kind is Kind.ID:
        if f.required:
            checks.add(blank, column=header, values=text, expected=f"a {f.en}", hint="required")
        return text
    if f.kind is Kind.DATE:
        dates = _parse_dates(text)
        if f.required:
            checks.add(blank, column=header, values=text, expected=f"a {f.en}", hint="required")
        invalid = ~blank & (dates.isna() | (dates < _EARLIEST))
        checks.add(invalid, column=header, values=text, expected="a date: YYYY-MM-DD or DD/MM/YYYY")
        checks.add(~invalid & (dates > today), column=header, values=text,
                   expected=f"a date no later than {today.date().isoformat()}", hint="date in the future")
        return dates.where(~invalid & (dates <= today))
    if f.kind in (Kind.INT, Kind.FLOAT):
        numbers = _to_number(text)
        bad = ~blank & numbers.isna()
        if f.kind is Kind.INT:
            bad |= numbers.notna() & (numbers % 1 != 0)
        checks.add(bad, column=header, values=text, expected="a whole number" if f.kind is Kind.INT
                   else "a number")
        return numbers.where(~bad)
    if f.kind in (Kind.CATEGORY, Kind.BOOL):
        return _parse_category(f, text, header, overrides, checks)
    if f.kind is Kind.MULTI:
        return _parse_multi(f, text, header, overrides, checks, separators=separators)
    return text  # TEXT and PLACE (resolved once lat/lon are known)


def _to_number(text: pd.Series) -> pd.Series:
    """Numbers written with a decimal point or a decimal comma (Spanish Excel)."""
    return pd.to_numeric(text.str.replace(",", ".", regex=False), errors="coerce").astype(float)


def _parse_dates(text: pd.Series) -> pd.Series:
    """Dates as exports write them: ISO, day first (DD/MM/YYYY, DD-MM-YY), Excel serials, a bare year."""
    out = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    day_first = text.str.extract(_DAY_FIRST)
    passes = [
        (text.str.match(r"^\d{4}-\d{1,2}-\d{1,2}(?:[ T][\d:.]+)?$"), text, "ISO8601"),
        (day_first[2].str.len().eq(4), day_first[0] + "/" + day_first[1] + "/" + day_first[2], "%d/%m/%Y"),
        (day_first[2].str.len().eq(2), day_first[0] + "/" + day_first[1] + "/" + day_first[2], "%d/%m/%y"),
        (text.str.match(r"^\d{4}/\d{1,2}/\d{1,2}$"), text, "%Y/%m/%d"),
        (text.str.match(r"^\d{4}$"), text, "%Y"),
    ]
    for mask, source, fmt in passes:
        mask = mask.fillna(False).astype(bool)
        if mask.any():
            out[mask] = pd.to_datetime(source[mask], format=fmt, errors="coerce").astype("datetime64[ns]")
    serial = text.str.match(r"^\d{5}(?:\.\d+)?$")
    if serial.any():
        out[serial] = pd.to_datetime(text[serial].astype(float), unit="D", origin=_EXCEL_EPOCH,
                                     errors="coerce").dt.floor("D").astype("datetime64[ns]")
    return out


def _vocab_codes(f: Field, parts: pd.Series, overrides: dict[str, str]) -> pd.Series:
    """Code of each value (``None`` when unknown): looked up once per distinct value."""
    vocab = f.vocab
    assert vocab is not None
    table = {}
    for value in pd.unique(parts):
        key = normalize_key(value)
        table[value] = vocab.parse(overrides[key]) if key in overrides else vocab.parse(value)
    return parts.map(table)


def _suggest(f: Field, values: pd.Series) -> pd.Series:
    """Did-you-mean hints over every spelling of the vocabulary (Spanish labels and aliases too)."""
    vocab = f.vocab
    assert vocab is not None
    hints = {}
    for value in pd.unique(values):
        close = [f"{s!r} ({c})" if s != c else repr(c) for s, c in vocab.close_matches(value)]
        hints[value] = f"did you mean {', '.join(close)}?" if close else ""
    return values.map(hints)


def _expected(f: Field) -> str:
    vocab = f.vocab
    assert vocab is not None
    codes = ", ".join(vocab.codes[:10]) + (", ..." if len(vocab.codes) > 10 else "")
    return f"one of the {vocab.name} values ({codes})"


def _parse_category(f: Field, text: pd.Series, header: str, overrides: dict[str, str],
                    checks: _Checks) -> pd.Series:
    codes = _vocab_codes(f, text, overrides)
    several = codes.isna() & text.str.contains(_LIST_LIKE, regex=True)
    checks.add(several, column=header, values=text, expected=f"a single {f.vocabulary} value",
               hint=f"{f.name} holds one value, not a list")
    unknown = codes.isna() & ~several
    checks.add(unknown, column=header, values=text, expected=_expected(f),
               hint=_suggest(f, text.where(unknown, "")))
    return codes.fillna(UNKNOWN).astype(str)


def _parse_multi(f: Field, text: pd.Series, header: str, overrides: dict[str, str],
                 checks: _Checks, *, separators: tuple[str, ...] = (MULTI_SEPARATOR,)) -> pd.Series:
    vocab = f.vocab
    assert vocab is not None
    parts = text.str.split(_split_pattern(separators), regex=True).explode()
    parts = parts[parts.notna() & parts.ne("")].astype(str)
    if overrides:  # a mapped value may stand for several codes ("a;b"), checked when the mapping loaded
        distinct = pd.unique(parts)
        parts = parts.map(dict(zip(distinct, [overrides.get(normalize_key(v), v) for v in distinct],
                                   strict=True)))
        parts = parts.str.split(MULTI_SEPARATOR, regex=False).explode()
        parts = parts[parts.notna() & parts.ne("")].astype(str)
    codes = _vocab_codes(f, parts, {})
    bad = codes.isna()
    bad_parts = parts[bad]
    unknown_text = bad_parts.groupby(level=0).agg("; ".join).reindex(text.index, fill_value="")
    hints = (_list_hints(f, bad_parts, header).groupby(level=0).agg(lambda h: "; ".join(x for x in h if x))
             .reindex(text.index, fill_value=""))
    checks.add(unknown_text.ne(""), column=header, values=text,
               expected=f"{_expected(f)}, separated by {_shown_separator(separators)}",
               hint="unknown: " + unknown_text + hints.where(hints.eq(""), "; " + hints))
    known = codes[~bad & codes.ne(UNKNOWN)]
    order = pd.Series(range(len(vocab.codes)), index=list(vocab.codes))
    ranked = pd.DataFrame({"row": known.index, "code": known.to_numpy(),
                           "rank": order.reindex(known.to_numpy()).to_numpy()})
    joined = (ranked.drop_duplicates(["row", "code"]).sort_values(["row", "rank"])
              .groupby("row")["code"].agg(MULTI_SEPARATOR.join))
    return joined.reindex(text.index, fill_value="").astype(str)


def _list_hints(f: Field, parts: pd.Series, header: str) -> pd.Series:
    """Did-you-mean hints, or for a list written with another separator ("robo, extorsión") the
    ``separators`` entry that reads it."""
    vocab = f.vocab
    assert vocab is not None
    hints = _suggest(f, parts)
    listed = {}
    for value in pd.unique(parts):
        for sep in (",", "|", "/"):
            pieces = [p.strip() for p in str(value).split(sep)]
            if len(pieces) > 1 and all(p and vocab.parse(p) not in (None, UNKNOWN) for p in pieces):
                listed[value] = (f"a list separated by {sep!r}? the standard separates values with "
                                 f"{MULTI_SEPARATOR!r}; or map separators: {{{header!r}: {sep!r}}}")
                break
    return parts.map(listed).fillna(hints).astype(str) if listed else hints


def _split_pattern(separators: tuple[str, ...]) -> str:
    """The regular expression splitting cells at any of ``separators`` (a blank one: any spaces)."""
    if separators == (MULTI_SEPARATOR,):
        return _MULTI_SPLIT
    pattern = "|".join(re.escape(x) if x.strip() else r"\s+" for x in separators)
    return rf"\s*(?:{pattern})\s*"


def _shown_separator(separators: tuple[str, ...]) -> str:
    return " or ".join("spaces" if not x.strip() else repr(x) for x in separators)


def _collapse_one_hot(raw: _RawTable, f: Field, family: dict[int, str],
                      checks: _Checks) -> tuple[pd.Series, str]:
    """A CTDC family of 0/1 columns (``-99`` missing) as one ``;``-joined text column of codes."""
    vocab = f.vocab
    assert vocab is not None
    joined = pd.Series("", index=raw.cells.index, dtype=str)
    rank = {code: i for i, code in enumerate((*vocab.codes, UNKNOWN))}
    for pos, code in sorted(family.items(), key=lambda item: rank[item[1]]):
        text = raw.cells[pos].where(~raw.cells[pos].isin(CTDC_MISSING), "")
        flag = _vocab_codes(YES_NO_FIELD, text, {})
        checks.add(flag.isna(), column=raw.headers[pos], values=text, expected="1, 0 or -99 (missing)")
        if code != UNKNOWN:  # a "not specified" flag adds nothing
            joined = joined.where(~flag.eq("yes"), joined + MULTI_SEPARATOR + code)
    prefixes = {p for p in (*CTDC_ONE_HOT, "is") for pos in family if raw.headers[pos].startswith(p)}
    return joined.str.lstrip(MULTI_SEPARATOR), ", ".join(f"{p}*" for p in sorted(prefixes))


def _age_groups(text: pd.Series, header: str, checks: _Checks) -> pd.Series:
    """A numeric age in years as its ``age_group`` band (schema.AGE_GROUP_BOUNDS)."""
    age = _to_number(text)
    blank = text.eq("") | text.isin(CTDC_MISSING)
    low, high = min(b[0] for b in AGE_GROUP_BOUNDS.values()), max(b[1] for b in AGE_GROUP_BOUNDS.values())
    bad = ~blank & (age.isna() | (age < low) | (age > high))
    checks.add(bad, column=header, values=text, expected=f"an age in years from {low} to {high}")
    bands = list(AGE_GROUP_BOUNDS)
    edges = [AGE_GROUP_BOUNDS[b][0] for b in bands] + [high + 1]
    groups = pd.cut(age.where(~bad & ~blank), bins=edges, labels=bands, right=False)
    return groups.astype(object).where(groups.notna(), UNKNOWN).astype(str)


def _coordinates(raw: _RawTable, columns: _Columns, values: dict[str, pd.Series], headers: dict[str, str],
                 checks: _Checks) -> None:
    """Fill lat/lon from a coordinate text column or point geometry, then check them together."""
    if columns.coordinates is not None:
        pos, lat_first = columns.coordinates
        text, header = raw.cells[pos], raw.headers[pos]
        pair = text.str.extract(_COORDINATE_PAIR)
        first, second = (_to_number(pair[i].fillna("")) for i in (0, 1))
        checks.add(text.ne("") & (first.isna() | second.isna()), column=header, values=text,
                   expected="'lat, lon' as two numbers" if lat_first else "'lon, lat' as two numbers")
        values["lat"], values["lon"] = (first, second) if lat_first else (second, first)
        headers["lat"] = headers["lon"] = header
    elif raw.point is not None and "lat" not in columns.positions and "lon" not in columns.positions:
        values["lat"], values["lon"] = raw.point["lat"], raw.point["lon"]
        headers["lat"] = headers["lon"] = "geometry"
        geom = raw.point["geom_type"]
        checks.add(geom.ne("") & geom.ne("Point"), column="geometry", values=geom,
                   expected="a point geometry")
    lat, lon = values["lat"], values["lon"]
    column = headers.get("lat", "lat") if headers.get("lat") == headers.get("lon") else (
        f"{headers.get('lat', 'lat')}, {headers.get('lon', 'lon')}")
    shown = lat.astype(str) + ", " + lon.astype(str)
    checks.add(lat.isna() != lon.isna(), column=column, values=shown,
               expected="both latitude and longitude, or neither")
    out_of_range = (lat.abs() > 90) | (lon.abs() > 180)
    checks.add(out_of_range, column=column, values=shown,
               expected="latitude from -90 to 90 and longitude from -180 to 180",
               hint=np.where((lon.abs() <= 90) & (lat.abs() <= 180), "latitude and longitude swapped?", ""))
    checks.add((lat == 0) & (lon == 0), column=column, values=shown,
               expected="a real location", hint="(0, 0) is a blank exported as zero")
    in_region = lat.between(*REGION_LAT) & lon.between(*REGION_LON)
    swapped_in = lon.between(*REGION_LAT) & lat.between(*REGION_LON)
    region = (f"a point in the study region (longitude {REGION_LON[0]:g} to {REGION_LON[1]:g}, "
              f"latitude {REGION_LAT[0]:g} to {REGION_LAT[1]:g})")
    checks.add(~out_of_range & ~in_region & swapped_in, column=column, values=shown, expected=region,
               hint="latitude and longitude look swapped")
    blank = (lat == 0) & (lon == 0)  # reported once, as a blank
    elsewhere = (~out_of_range & ~in_region & ~swapped_in & ~blank & lat.notna() & lon.notna()).to_numpy()
    hint = np.full(len(lat), "", dtype=object)
    if elsewhere.any():  # say where the point is, so a data-entry error is recognisable
        from routes.basemap import country_of
        from routes.places import country_names

        codes = pd.Series(country_of(lon.to_numpy()[elsewhere], lat.to_numpy()[elsewhere]), dtype="string")
        names = country_names(codes.fillna(""), "en").where(codes.notna(), "the sea")
        hint[elsewhere] = ("falls in " + names).to_numpy(dtype=object)
    checks.add(pd.Series(elsewhere, index=lat.index), column=column, values=shown, expected=region,
               hint=hint)


def _resolve_places(names: pd.Series, header: str, required: bool, overrides: dict[str, str], gaz: Any,
                    checks: _Checks) -> pd.Series:
    """Gazetteer id of each place name (``None`` for blanks); unknown names are problems."""
    blank = names.eq("")
    if required:
        checks.add(blank, column=header, values=names, expected="a place", hint="required")
    distinct = pd.unique(names[~blank])
    lookup_names = [overrides.get(normalize_key(v), v) for v in distinct]
    ids = np.asarray(gaz.resolve(lookup_names), dtype=object) if len(distinct) else np.array([], dtype=object)
    found = dict(zip(distinct, ids, strict=True))
    resolved = names.map(found).astype(object).where(~blank, None)
    resolved = resolved.where(resolved.notna(), None)
    unknown = ~blank & resolved.isna()
    if unknown.any():
        hints = {}
        for value in pd.unique(names[unknown]):
            close = gaz.suggest(value, n=3)
            hints[value] = f"did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        checks.add(unknown, column=header, values=names, expected="a place in the route gazetteer",
                   hint=names.map(hints).fillna(""))
    return resolved


# --------------------------------------------------------------------------------------------------
# Checks across rows and tables


def _check_duplicate_ids(cases: _Parsed) -> None:
    """Later rows repeating a case_id are rejected; the first row with it is kept."""
    ids = cases.values["case_id"]
    repeated = ids.ne("") & ids.duplicated(keep="first")
    if repeated.any():
        first_row = pd.Series(cases.checks.rows, index=ids.index).groupby(ids).transform("first")
        cases.checks.add(repeated, column=cases.headers.get("case_id", "case_id"), values=ids,
                         expected="a case_id not used by an earlier row",
                         hint="duplicate of row " + first_row.astype(str) + "; the first row is kept")


def _check_event_cases(events: _Parsed, cases: _Parsed) -> None:
    """Events must belong to an accepted case."""
    if not events.n_rows:
        return
    ids = events.values["case_id"]
    known = ids.isin(cases.values["case_id"])
    first_rows = pd.Series(cases.checks.rows, index=cases.values.index)
    kept = ~cases.values["case_id"].duplicated(keep="first")
    accepted = ids.isin(cases.values.loc[cases.accepted & kept, "case_id"])
    column = events.headers.get("case_id", "case_id")
    events.checks.add(ids.ne("") & ~known, column=column, values=ids,
                      expected=f"a case_id of {cases.checks.file}", hint="no case with this id")
    row_of = first_rows[kept].groupby(cases.values.loc[kept, "case_id"]).first()
    events.checks.add(known & ~accepted, column=column, values=ids,
                      expected="a case_id of an accepted case",
                      hint="its case was rejected (row " + ids.map(row_of).astype("Int64").astype(str)
                           + " of " + cases.checks.file + ")")
    place_ids, has_coords = events.values["place_id"], events.values["lat"].notna()
    given = events.values["place"].ne("")
    events.checks.add(~given & ~has_coords & place_ids.isna(), column=events.headers.get("place", "place"),
                      values=events.values["place"], expected="a known place or coordinates",
                      hint="the event has neither")


def _events_from_routes(cases: _Parsed, spec: _Mapping, gaz: Any, today: pd.Timestamp, *,
                        raw: _RawTable | None = None) -> _Parsed:
    """Events from the cases' route column: one per place, in order (see :func:`read_cases`).

    A column of the cases file that the mapping sends to an events field (``Fecha: [date_registered,
    date]``) gives its value to every step of its row's route.
    """
    header = cases.headers.get("route")
    route = cases.values["route"] if header else pd.Series("", index=cases.values.index, dtype=str)
    parts = route.str.split(spec.route_separator, regex=True).explode().fillna("").str.strip()
    parts = parts[parts.ne("")]
    source = parts.index.to_numpy()
    step = parts.groupby(level=0).cumcount().to_numpy() + 1
    last = step == parts.groupby(level=0).transform("size").to_numpy()
    smuggling = cases.values["case_type"].eq("smuggling").to_numpy()[source]
    stage = np.where(step == 1, "recruitment", np.where(last & ~smuggling, "exploitation", "transit"))
    cells = pd.DataFrame({0: cases.values["case_id"].to_numpy()[source], 1: step.astype(str), 2: stage,
                          3: parts.to_numpy()}).astype(str)
    id_header = cases.headers.get("case_id", "case_id")
    route_header = header or "route"
    headers = [id_header, route_header, route_header, route_header]
    columns = _Columns({"case_id": 0, "seq": 1, "stage": 2, "place": 3}, {}, None, [],
                       {route_header: "place, stage, seq"} if header else {})
    for i, column in enumerate(raw.headers if raw is not None and header else []):
        target = spec.targets(_header_key(column), "events")
        if target is not None and target not in columns.positions:
            columns.positions[target] = len(headers)
            columns.column_map[column] = target
            cells[len(headers)] = raw.cells[i].to_numpy()[source] if raw is not None else ""
            headers.append(column)
    events_raw = _RawTable(cases.checks.file, headers, cells, cases.checks.rows[source])
    return _parse_table(events_raw, "events", columns, spec, gaz, today)


# --------------------------------------------------------------------------------------------------
# Output tables


def _place_points(gaz: Any, place_ids: pd.Series) -> np.ndarray:
    """Each place id's point, an empty point where there is none."""
    points = shapely.empty(len(place_ids), geom_type=shapely.GeometryType.POINT)
    known = place_ids.notna().to_numpy()
    if known.any():
        points[known] = gaz.places.geometry.loc[place_ids[known].to_numpy()].to_numpy()
    return points


def _cases_table(cases: _Parsed, gaz: Any) -> gpd.GeoDataFrame:
    values = cases.values[cases.accepted].reset_index(drop=True)
    read = set(cases.headers)
    names = [f.name for f in CASE_FIELDS if f.kind is not Kind.TEXT or f.name in read]
    order = []
    for name in names:
        order.append(name)
        if name == "place_registered":
            order.append("place_registered_id")
    frame = values[order].copy()
    frame["place_registered_id"] = frame["place_registered_id"].astype(object)
    return gpd.GeoDataFrame(frame, geometry=_place_points(gaz, frame["place_registered_id"]), crs=CRS)


def _events_table(events: _Parsed, gaz: Any) -> gpd.GeoDataFrame:
    values = events.values[events.accepted]
    order = ["case_id", "seq", "date", "stage", "place", "place_id", "lat", "lon", "has_coords",
             "crossing", "risk"] + (["notes"] if "notes" in events.headers else [])
    frame = values.assign(_order=np.arange(len(values)), seq_given=values["seq"])
    frame = frame.sort_values(["case_id", "seq_given", "date", "_order"], na_position="last",
                              kind="stable")
    frame["seq"] = frame.groupby("case_id").cumcount().astype(int) + 1
    frame["has_coords"] = frame["lat"].notna() & frame["lon"].notna()
    frame["date"] = frame["date"].astype("datetime64[ns]")
    frame["place_id"] = frame["place_id"].astype(object)
    frame = frame[order].reset_index(drop=True)
    points = _place_points(gaz, frame["place_id"])
    own = frame["has_coords"].to_numpy()
    points[own] = shapely.points(frame.loc[own, "lon"].to_numpy(), frame.loc[own, "lat"].to_numpy())
    return gpd.GeoDataFrame(frame, geometry=points, crs=CRS)
