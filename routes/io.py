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

import html
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from routes._mapping_spec import MappingSpec
from routes._tables import (
    AGE,
    COORDINATE_PAIR,
    CRS,
    FIELDS,
    RawTable,
    RowChecks,
    ctdc_family,
    field_keys,
    header_key,
    hxl_key,
    read_raw,
    split_hxl,
    split_pattern,
    table_names,
    to_number,
)
from routes._text import did_you_mean, normalize_key
from routes.errors import CaseDataError, ParameterError, Problem
from routes.schema import (
    AGE_GROUP_BOUNDS,
    CASE_FIELDS,
    CTDC_MISSING,
    CTDC_ONE_HOT,
    MULTI_SEPARATOR,
    SEVERAL,
    UNKNOWN,
    Field,
    Kind,
    Role,
)

__all__ = ["STUDY_REGION", "StudyRegion", "ValidationReport", "read_cases", "read_services", "validate",
           "validate_event_coordinates",
           "validate_event_records"]

PathLike = str | os.PathLike[str]
Errors = Literal["raise", "quarantine"]

#: The response's countries (ISO 3166-1 alpha-3): the 17 of the R4V platform, Venezuela, and the
#: countries of the route north through Central America to Mexico. The default study region.
STUDY_REGION = ("ABW", "ARG", "BLZ", "BOL", "BRA", "CHL", "COL", "CRI", "CUW", "DOM", "ECU", "GTM", "GUY",
                "HND", "MEX", "NIC", "PAN", "PER", "PRY", "SLV", "TTO", "URY", "VEN")
_SEA_MARGIN_DEG = 2.0  # a point at sea counts within this many degrees of the region's outline box

_LIST_LIKE = r"\s*[;,|]\s*"  # what looks like a list in a single-valued field (for the hint)
_DAY_FIRST = r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?$"
_EARLIEST = pd.Timestamp("1900-01-01")
_EXCEL_EPOCH = "1899-12-30"
# One-hot flags of CTDC families read as yes/no.
YES_NO_FIELD = Field("flag", Kind.BOOL, Role.MODUS_OPERANDI, "", "flag", "indicador", vocabulary="yes_no")


@dataclass(frozen=True)
class StudyRegion:
    """Where a study's points may lie: countries (their 1:10m outlines and a 25 km coastal band,
    plus the sea between them) or bounds. A point outside is rejected with the country it falls in.

    Build one with :meth:`of`: ``None`` (the response's countries, :data:`STUDY_REGION`), country
    codes or names (``["COL", "Venezuela"]``, ``"COL,VEN,PAN"``), or ``(west, south, east, north)``
    in degrees (``"-95,-56,-30,33"``).
    """

    countries: tuple[str, ...] = STUDY_REGION
    bounds: tuple[float, float, float, float] | None = None

    @classmethod
    def of(cls, region: StudyRegion | str | Sequence[str] | Sequence[float] | None) -> StudyRegion:
        """A study region from what a user writes (see the class docstring)."""
        from routes.places import country_code

        if region is None:
            return cls()
        if isinstance(region, StudyRegion):
            return region
        parts: list[Any] = [p.strip() for p in region.split(",")] if isinstance(region, str) else list(region)
        numbers = pd.to_numeric(pd.Series(parts, dtype=object), errors="coerce")
        if len(parts) == 4 and numbers.notna().all():
            west, south, east, north = (float(x) for x in numbers)
            if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
                raise ParameterError(f"region bounds {parts}: expected west < east and south < north, "
                                     "in degrees (west, south, east, north)")
            return cls((), (west, south, east, north))
        if not parts:
            raise ParameterError("region: expected country codes or names, or west, south, east, north")
        return cls(tuple(dict.fromkeys(country_code(str(p)) for p in parts)))

    def describe(self) -> str:
        """What a point of this region is, for a rejected row's ``expected``."""
        if self.bounds is not None:
            west, south, east, north = self.bounds
            return (f"a point in the study region (longitude {west:g} to {east:g}, latitude {south:g} to "
                    f"{north:g})")
        shown = ", ".join(self.countries[:8]) + (", ..." if len(self.countries) > 8 else "")
        return f"a point in the study region ({shown} or the sea between them)"

    def contains(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """Whether each point lies in the region (vectorised; missing coordinates: False)."""
        lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
        if self.bounds is not None:
            west, south, east, north = self.bounds
            return (lon >= west) & (lon <= east) & (lat >= south) & (lat <= north)
        from routes.basemap import country_of, region_outline

        outline = region_outline(self.countries)
        finite = np.isfinite(lon) & np.isfinite(lat)
        inside = np.zeros(len(lon), dtype=bool)
        inside[finite] = shapely.contains_xy(outline, lon[finite], lat[finite])
        west, south, east, north = shapely.bounds(outline)
        near = finite & ~inside & (lon >= west - _SEA_MARGIN_DEG) & (lon <= east + _SEA_MARGIN_DEG) & (
            lat >= south - _SEA_MARGIN_DEG) & (lat <= north + _SEA_MARGIN_DEG)
        if near.any():  # outside the outlines but near: at sea is in, another country is out
            inside[near] = pd.isna(country_of(lon[near], lat[near])).astype(bool)
        return inside


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
    region: StudyRegion | str | Sequence[str] | Sequence[float] | None = None,
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
    region : StudyRegion, country codes or names, or (west, south, east, north), optional
        Where points may lie (:class:`StudyRegion`); by default the response's countries
        (:data:`STUDY_REGION`) and the sea between them. A point elsewhere is rejected, naming the
        country it falls in.

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
                      events_sheet=events_sheet, encoding=encoding, delimiter=delimiter, today=today,
                      region=region)
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
    mapping: Mapping[str, Any] | PathLike | MappingSpec | None = None,
    gazetteer: Any = None,
    today: date | pd.Timestamp | None = None,
    region: StudyRegion | str | Sequence[str] | Sequence[float] | None = None,
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
    mapping, gazetteer, today, region
        As for :func:`read_cases`; ``mapping`` may also be one already loaded.
    """
    spec = mapping if isinstance(mapping, MappingSpec) else MappingSpec.load(mapping)
    gaz = _gazetteer(gazetteer)
    raw = RawTable(file, list(headers), cells, rows, point=point)
    if hxl:
        raw = split_hxl(raw)
    parsed = _parse_table(raw, "events", _match_columns(raw, "events", spec), spec, gaz,
                          pd.Timestamp(today or date.today()), StudyRegion.of(region))
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


def validate_event_coordinates(
    headers: Sequence[str],
    cells: pd.DataFrame,
    rows: np.ndarray,
    *,
    file: str,
    point: Any = None,
    mapping: Mapping[str, Any] | PathLike | MappingSpec | None = None,
    region: StudyRegion | str | Sequence[str] | Sequence[float] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Only the coordinate checks of :func:`validate_event_records`, record by record.

    The coordinates are the one part of an event record checked across cells (both or neither, in
    range, in the study region); every other field is checked cell by cell, so a caller holding
    millions of records (:mod:`routes.scale`) checks those once per distinct value and these here.
    Takes the arguments of :func:`validate_event_records`; returns ``lat``, ``lon`` as read (also for
    rejected records) and the coordinate problems, in the problem-table format.
    """
    spec = mapping if isinstance(mapping, MappingSpec) else MappingSpec.load(mapping)
    raw = RawTable(file, list(headers), cells, rows, point=point)
    parsed = _parse_table(raw, "events", _match_columns(raw, "events", spec), spec, None, pd.Timestamp.now(),
                          StudyRegion.of(region), only=("lat", "lon"))
    return parsed.values[["lat", "lon"]], parsed.checks.frame()


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
    region: StudyRegion | str | Sequence[str] | Sequence[float] | None = None,
) -> ValidationReport:
    """Check a case export against the case data standard and report every problem.

    Takes the same options as :func:`read_cases` and never raises for bad rows: they are listed in
    ``ValidationReport.rejected``. A file that is empty, not a table, or matches no field of the
    standard still raises :class:`CaseDataError`, since no row of it can be counted.
    """
    spec = MappingSpec.load(mapping, preset=preset)
    gaz = _gazetteer(gazetteer)
    today = pd.Timestamp(today or date.today())
    options = {"encoding": encoding, "delimiter": delimiter}

    raw_cases = read_raw(path, table="cases", sheet=sheet, **options)
    area = StudyRegion.of(region)
    cases = _parse_table(raw_cases, "cases", _match_columns(raw_cases, "cases", spec), spec, gaz, today, area)
    _check_duplicate_ids(cases, one_file=events is not None and _same_file(path, events))

    if events is not None:
        label = "route" in cases.headers and not cases.values["route"].str.contains(
            spec.route_separator, regex=True).any()  # "Darien", "Central America to US": no journeys
        if label and cases.n_rows:  # a route label must not pass for journeys read
            cases.warnings.append((cases.headers["route"], "the route column is not read: its cells hold no "
                                   "journey ('A > B') and, with an events file, events come from that file; "
                                   "map it to null to say so"))
        raw_events = read_raw(events, table="events", sheet=events_sheet, **options)
        ev = _parse_table(raw_events, "events", _match_columns(raw_events, "events", spec), spec, gaz,
                          today, area)
    else:
        ev = _events_from_routes(cases, spec, gaz, today, area, raw=raw_cases)
    _check_event_cases(ev, cases)
    if events is not None and _same_file(path, events):
        _records_of_one_file(cases, ev)

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
    spec = MappingSpec.load(mapping)
    raw = read_raw(path, table="services", sheet=sheet, encoding=encoding, delimiter=delimiter)
    parsed = _parse_table(raw, "services", _match_columns(raw, "services", spec), spec, gaz,
                          pd.Timestamp(date.today()), StudyRegion())
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


def _report_warnings(spec: MappingSpec, tables: list[_Parsed]) -> pd.DataFrame:
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
# Column matching


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


def _match_columns(raw: RawTable, table: str, spec: MappingSpec) -> _Columns:
    """Place each column: the mapping's entries first, whatever the column order; then HXL tags and
    the standard's names and aliases for the fields still free; then CTDC one-hot families."""
    keys = field_keys(table)
    tags = {hxl_key(f.hxl): f.name for f in FIELDS[table]}
    names = table_names(table)
    out = _Columns({}, {}, None, [], {})
    positions = out.positions

    def label(i: int) -> str:
        return raw.headers[i] or f"(unnamed column {i + 1})"

    placed: set[int] = set()
    for i, header in enumerate(raw.headers):
        key = header_key(header)
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
        key = header_key(header)
        tag = raw.hxl[i] if raw.hxl else ""
        target = (tags.get(hxl_key(tag)) if tag else None) or keys.get(key)
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
        family = ctdc_family(header, table)
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
    if AGE in positions and "age_group" in positions:
        out.ignored.append(raw.headers[positions.pop(AGE)])
    return out


# --------------------------------------------------------------------------------------------------
# Parsing and checking one table


@dataclass
class _Parsed:
    """One table's parsed values (codes, dates, numbers), with its problems and provenance."""

    table: str
    values: pd.DataFrame
    checks: RowChecks
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


def _parse_table(raw: RawTable, table: str, columns: _Columns, spec: MappingSpec, gaz: Any,
                 today: pd.Timestamp, region: StudyRegion, *, only: tuple[str, ...] | None = None) -> _Parsed:
    fields = FIELDS[table] if only is None else tuple(f for f in FIELDS[table] if f.name in only)
    checks = RowChecks(table, raw.file, raw.rows)
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
        listed = spec.listed(f.name, header) if f.kind is Kind.CATEGORY else None
        values[f.name] = (_parse_listed_category(f, text, header, spec.values.get(f.name, {}), checks, listed)
                          if listed else
                          _parse_field(f, text, header, spec.values.get(f.name, {}), checks, today,
                                       separators=spec.separator(f.name, header)))
    if table == "events" and n and "date" not in headers:
        warnings.append(("date", f"no column gives the events' dates: {n} events have no date, so periods "
                                 "and trends leave them out; map a column to 'date' (a column may feed a "
                                 "field of each table: [date_registered, date])"))

    if table == "cases" and AGE in columns.positions and "age_group" not in columns.positions:
        pos = columns.positions[AGE]
        values["age_group"] = _age_groups(raw.cells[pos], raw.headers[pos], checks)
        headers["age_group"] = raw.headers[pos]
    if "lat" in values:
        _coordinates(raw, columns, values, headers, checks, region)
    located = (values["lat"].notna() & values["lon"].notna()) if "lat" in values else None
    for f in fields:
        if f.kind is Kind.PLACE:
            values[f"{f.name}_id" if table == "cases" else "place_id"] = _resolve_places(
                values[f.name], headers.get(f.name, f.name), f.required, spec.values.get(f.name, {}),
                gaz, checks, located=located if f.name == "place" else None, warnings=warnings)
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


def _parse_field(f: Field, text: pd.Series, header: str, overrides: dict[str, str], checks: RowChecks,
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
        numbers = to_number(text)
        bad = ~blank & numbers.isna()
        if f.kind is Kind.INT:
            bad |= numbers.notna() & (numbers % 1 != 0)
        checks.add(bad, column=header, values=text, expected="a whole number" if f.kind is Kind.INT
                   else "a number")
        if f.name == "weight":  # people affected by the record: a count
            negative = ~bad & (numbers < 0)
            checks.add(negative, column=header, values=text, expected="people affected: 0 or more")
            bad |= negative
        return numbers.where(~bad)
    if f.kind in (Kind.CATEGORY, Kind.BOOL):
        return _parse_category(f, text, header, overrides, checks)
    if f.kind is Kind.MULTI:
        return _parse_multi(f, text, header, overrides, checks, separators=separators)
    return text  # TEXT and PLACE (resolved once lat/lon are known)


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
                    checks: RowChecks) -> pd.Series:
    codes = _vocab_codes(f, text, overrides)
    several = codes.isna() & text.str.contains(_LIST_LIKE, regex=True)
    checks.add(several, column=header, values=text, expected=f"a single {f.vocabulary} value",
               hint=_single_hint(f, text.where(several, ""), header))
    unknown = codes.isna() & ~several
    checks.add(unknown, column=header, values=text, expected=_expected(f),
               hint=_suggest(f, text.where(unknown, "")))
    return codes.fillna(UNKNOWN).astype(str)


def _single_hint(f: Field, listed: pd.Series, header: str) -> pd.Series:
    """Why a listed cell of a single-valued field is refused, and, when every part is a known value,
    the ``separators`` entry that reads it ("Honduras,Unknown")."""
    vocab = f.vocab
    assert vocab is not None
    plain = f"{f.name} holds one value, not a list"
    hints = {"": ""}
    for value in pd.unique(listed[listed.ne("")]):
        hints[value] = plain
        for sep in (",", ";", "|"):
            pieces = [p.strip() for p in str(value).split(sep)]
            if len(pieces) > 1 and all(vocab.parse(p) is not None for p in pieces):
                reads = (f"several different values read as {SEVERAL!r}" if SEVERAL in vocab.codes
                         else "parts that differ are still rejected")
                hints[value] = (f"{plain}; to read listed cells map separators: {{{header!r}: {sep!r}}} "
                                f"(unknown parts are dropped, {reads})")
                break
    return listed.map(hints).astype(str)


def _parse_listed_category(f: Field, text: pd.Series, header: str, overrides: dict[str, str],
                           checks: RowChecks, separators: tuple[str, ...]) -> pd.Series:
    """A single-valued field whose cells may list several values, split at the mapping's
    ``separators``: unknown parts are dropped, parts that agree give their code, parts that differ
    give :data:`~routes.schema.SEVERAL` where the vocabulary has it, else the row is rejected."""
    vocab = f.vocab
    assert vocab is not None
    parts = text.str.split(split_pattern(separators), regex=True).explode().fillna("").str.strip()
    codes = _vocab_codes(f, parts, overrides)
    bad = codes.isna()
    bad_parts = parts[bad]
    unknown_text = bad_parts.groupby(level=0).agg("; ".join).reindex(text.index, fill_value="")
    hints = (_suggest(f, bad_parts).groupby(level=0).agg(lambda h: "; ".join(x for x in h if x))
             .reindex(text.index, fill_value=""))
    checks.add(unknown_text.ne(""), column=header, values=text,
               expected=f"{_expected(f)}, separated by {_shown_separator(separators)}",
               hint="unknown: " + unknown_text + hints.where(hints.eq(""), "; " + hints))
    known = codes[~bad & codes.ne(UNKNOWN)]
    n_codes = known.groupby(level=0).nunique().reindex(text.index, fill_value=0)
    out = known.groupby(level=0).first().reindex(text.index).fillna(UNKNOWN).astype(str)
    several = n_codes > 1
    if SEVERAL in vocab.codes:
        return out.where(~several, SEVERAL)
    checks.add(several & unknown_text.eq(""), column=header, values=text,
               expected=f"a single {f.vocabulary} value",
               hint=f"{f.name} holds one value: the parts name different values")
    return out


def _parse_multi(f: Field, text: pd.Series, header: str, overrides: dict[str, str],
                 checks: RowChecks, *, separators: tuple[str, ...] = (MULTI_SEPARATOR,)) -> pd.Series:
    vocab = f.vocab
    assert vocab is not None
    parts = text.str.split(split_pattern(separators), regex=True).explode()
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


def _shown_separator(separators: tuple[str, ...]) -> str:
    return " or ".join("spaces" if not x.strip() else repr(x) for x in separators)


def _collapse_one_hot(raw: RawTable, f: Field, family: dict[int, str],
                      checks: RowChecks) -> tuple[pd.Series, str]:
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


def _age_groups(text: pd.Series, header: str, checks: RowChecks) -> pd.Series:
    """A numeric age in years as its ``age_group`` band (schema.AGE_GROUP_BOUNDS)."""
    age = to_number(text)
    blank = text.eq("") | text.isin(CTDC_MISSING)
    low, high = min(b[0] for b in AGE_GROUP_BOUNDS.values()), max(b[1] for b in AGE_GROUP_BOUNDS.values())
    bad = ~blank & (age.isna() | (age < low) | (age > high))
    checks.add(bad, column=header, values=text, expected=f"an age in years from {low} to {high}")
    bands = list(AGE_GROUP_BOUNDS)
    edges = [AGE_GROUP_BOUNDS[b][0] for b in bands] + [high + 1]
    groups = pd.cut(age.where(~bad & ~blank), bins=edges, labels=bands, right=False)
    return groups.astype(object).where(groups.notna(), UNKNOWN).astype(str)


def _coordinates(raw: RawTable, columns: _Columns, values: dict[str, pd.Series], headers: dict[str, str],
                 checks: RowChecks, region: StudyRegion) -> None:
    """Fill lat/lon from a coordinate text column or point geometry, then check them together."""
    if columns.coordinates is not None:
        pos, lat_first = columns.coordinates
        text, header = raw.cells[pos], raw.headers[pos]
        pair = text.str.extract(COORDINATE_PAIR)
        first, second = (to_number(pair[i].fillna("")) for i in (0, 1))
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
    known = (lat.notna() & lon.notna() & ~out_of_range).to_numpy()
    in_region = pd.Series(region.contains(np.where(known, lon, np.nan), np.where(known, lat, np.nan)),
                          index=lat.index)
    off = known & ~in_region.to_numpy()
    swapped = np.zeros(len(lat), dtype=bool)  # outside, but inside once latitude and longitude swap
    swapped[off] = region.contains(lat.to_numpy(dtype=float)[off], lon.to_numpy(dtype=float)[off])
    swapped_in = pd.Series(swapped, index=lat.index)
    expected = region.describe()
    checks.add(~out_of_range & ~in_region & swapped_in, column=column, values=shown, expected=expected,
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
    checks.add(pd.Series(elsewhere, index=lat.index), column=column, values=shown, expected=expected,
               hint=hint)


def _resolve_places(names: pd.Series, header: str, required: bool, overrides: dict[str, str], gaz: Any,
                    checks: RowChecks, *, located: pd.Series | None = None,
                    warnings: list[tuple[str, str]] | None = None) -> pd.Series:
    """Gazetteer id of each place name (``None`` for blanks); unknown names are problems.

    An event with coordinates (``located``) whose place text the gazetteer does not know keeps its
    text and no id: the network places it by its coordinates, and a warning names the texts.
    """
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
    if located is not None and (unknown & located).any():
        by_point = unknown & located
        texts = pd.unique(names[by_point])
        shown = ", ".join(repr(t) for t in texts[:5]) + (", ..." if len(texts) > 5 else "")
        if warnings is not None:
            warnings.append((header, f"{int(by_point.sum())} events name a place the gazetteer does not know "
                                     f"({shown}): they are placed by their coordinates"))
        unknown &= ~located
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


def _check_duplicate_ids(cases: _Parsed, *, one_file: bool = False) -> None:
    """Later rows repeating a case_id are rejected as cases; the first row with it is kept.

    When one file holds both tables (a row an event: split incidents under one main id), such a row
    is still read as an event of that record; the cases table says so instead of calling it a copy.
    """
    ids = cases.values["case_id"]
    repeated = ids.ne("") & ids.duplicated(keep="first")
    if repeated.any():
        first_row = pd.Series(cases.checks.rows, index=ids.index).groupby(ids).transform("first")
        hint = ("another event of the record of row " + first_row.astype(str)
                + ", read as an event; its case fields come from that row") if one_file else (
                "duplicate of row " + first_row.astype(str) + "; the first row is kept")
        cases.checks.add(repeated, column=cases.headers.get("case_id", "case_id"), values=ids,
                         expected="a case_id not used by an earlier row", hint=hint)


def _same_file(a: PathLike, b: PathLike) -> bool:
    try:
        return Path(a).resolve() == Path(b).resolve()
    except OSError:
        return False


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


def _records_of_one_file(cases: _Parsed, events: _Parsed) -> None:
    """One file read as both tables (a row an incident, split incidents under one main id): a record
    is its rows. A record none of whose rows is an accepted event (a point in another continent) is
    rejected as a case too, so that it is not counted (as one person affected, or its weight) where
    it cannot be placed."""
    ids = cases.values["case_id"]
    accepted_ids = events.values.loc[events.accepted, "case_id"]
    lost = cases.accepted & ids.ne("").to_numpy() & ~ids.isin(accepted_ids).to_numpy()
    rows = (pd.Series(events.checks.rows, index=events.values.index).astype(str)
            .groupby(events.values["case_id"]).agg(", ".join))
    cases.checks.add(lost, column=cases.headers.get("case_id", "case_id"), values=ids,
                     expected="a record with at least one accepted event",
                     hint="every row of this record was rejected as an event (row " + ids.map(rows).fillna("")
                          + "), so it cannot be placed or dated")


def _events_from_routes(cases: _Parsed, spec: MappingSpec, gaz: Any, today: pd.Timestamp,
                        region: StudyRegion, *, raw: RawTable | None = None) -> _Parsed:
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
        target = spec.targets(header_key(column), "events")
        if target is not None and target not in columns.positions:
            columns.positions[target] = len(headers)
            columns.column_map[column] = target
            cells[len(headers)] = raw.cells[i].to_numpy()[source] if raw is not None else ""
            headers.append(column)
    events_raw = RawTable(cases.checks.file, headers, cells, cases.checks.rows[source])
    return _parse_table(events_raw, "events", columns, spec, gaz, today, region)


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
             "crossing", "risk"] + [c for c in ("weight", "notes") if c in events.headers]
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
