"""A starting mapping for an export the standard does not know: ``routes mapping suggest FILE``.

:func:`suggest_mapping` looks at a file's headers and values and proposes the YAML mapping that
:func:`routes.io.read_cases` takes: each header it can place (the standard's names and aliases, HXL
tags, Kobo group paths such as ``datos/sexo``, close spellings), a text column of ``"lat, lon"``
pairs, the separator of multi-valued cells, value tables for category values the vocabulary does
not know (the closest code, or a commented line to fill in), and, as comments, what it could not
place. Nothing is decided silently: every guess carries a comment, every column it cannot place is
mapped to ``null`` (ignored, and listed as such when the file is read).
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from routes import io as rio
from routes._tables import (
    COORDINATE_PAIR,
    FIELDS,
    ctdc_family,
    field_keys,
    header_key,
    hxl_key,
    read_raw,
    split_pattern,
    to_number,
)
from routes._text import did_you_mean, normalize_key
from routes.places import load_gazetteer
from routes.schema import MULTI_SEPARATOR, SEVERAL, UNKNOWN, Field, Kind, Vocabulary

__all__ = ["SuggestedMapping", "suggest_mapping"]

_TABLES = ("cases", "events")
_COORDINATE_SHARE = 0.8     # share of filled cells that must read as a pair of numbers
_SEPARATORS = (";", ",", "|", "/", " ")
_MAX_VALUES = 40            # distinct unknown values listed per field
_ID_WORDS = {"id", "code", "codigo", "identificador"}
_NUMBER_WORDS = {"no", "n", "nro", "num", "numero", "number", "de"}
_SHOWN_CODES = 20           # codes listed in a comment
_DATE_LIKE = r"^\s*(?:\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4})"  # ISO or day-first dates
_ROUTE_WORDS = {"route", "ruta", "corridor", "corredor"}
_ROUTE_STEP = r"\s(?:>|->|→)\s"  # a column of journeys: places joined by the route separator
_CLOSE = "check: close to "  # the note of a header placed by its spelling alone
_MAX_COUNT = 1000           # a column of whole numbers below this holds counts (never names or documents)
_SIMILAR = 0.85             # spelling similarity of a proposed typo fix
_REQUIRED = {"cases": ("case_id", "date_registered", "case_type", "consent_reporting"),
             "events": ("case_id", "stage")}


@dataclass
class SuggestedMapping:
    """A proposed mapping: the dictionary :func:`routes.io.read_cases` takes, and why.

    Attributes
    ----------
    mapping : dict
        ``columns``, ``coordinates``, ``separators`` and ``values`` as far as they were found.
    notes : dict
        A comment per entry: ``("columns", header)``, ``("values", field, value)``, ... → text.
    missing : list of str
        Required fields no column gives (each needs a column or a default you can justify).
    unplaced_values : dict
        Per field, values with no close code, to map by hand.
    file : str
        The file looked at.
    """

    mapping: dict[str, Any]
    notes: dict[tuple[str, ...], str] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    unplaced_values: dict[str, list[str]] = field(default_factory=dict)
    file: str = ""

    def to_yaml(self) -> str:
        """The mapping as commented YAML, ready to edit and pass as ``--mapping``."""
        out = [f"# routes mapping suggested from {self.file}: check every line with a comment.",
               "# A column mapped to null is ignored; a list feeds one field of each table (cases, events)."]
        columns = self.mapping.get("columns", {})
        if columns:
            out.append("columns:")
            for header, target in columns.items():
                out.append(_line(f"  {_q(header)}: {_target(target)}", self.notes.get(("columns", header))))
        coordinates = self.mapping.get("coordinates")
        if coordinates:
            out.append(_line(f"coordinates: {{column: {_q(coordinates['column'])}, "
                             f"order: {_q(coordinates['order'])}}}", self.notes.get(("coordinates",))))
        separators = self.mapping.get("separators", {})
        if separators:
            out.append("separators:")
            for key, seps in separators.items():
                out.append(_line(f"  {_q(key)}: [{', '.join(_q(s) for s in seps)}]",
                                 self.notes.get(("separators", key))))
        values = self.mapping.get("values", {})
        fields = list(dict.fromkeys([*values, *self.unplaced_values]))
        if fields:
            out.append("values:")
        for name in fields:
            out.append(f"  {name}:" + ("" if values.get(name) else "  # fill in the codes below"))
            for value, code in values.get(name, {}).items():
                out.append(_line(f"    {_q(value)}: {_q(code)}", self.notes.get(("values", name, value))))
            for value in self.unplaced_values.get(name, []):
                out.append(f"    # {_q(value)}: ?   {self.notes.get(('values', name, value), '')}".rstrip())
            if not values.get(name):
                out.append("    {}")
        if self.missing:
            out += ["# Required fields no column gives: map a column, or set a default only if it is true",
                    "# of every row (a default is stated in every report):", "# defaults:"]
            out += [f"#   {name}: {self.notes.get(('defaults', name), '...')}" for name in self.missing]
        return "\n".join(out) + "\n"


def suggest_mapping(path: rio.PathLike, *, sheet: str | None = None, encoding: str | None = None,
                    delimiter: str | None = None, gazetteer: Any = None,
                    form: rio.PathLike | None = None) -> SuggestedMapping:
    """Propose a mapping for ``path`` from its headers and values.

    Parameters
    ----------
    path : path
        A cases or events file (CSV, XLSX, GeoJSON, GeoPackage, GeoParquet), or one file holding both.
    sheet : str, optional
        Worksheet or layer, as for :func:`routes.io.read_cases`.
    encoding, delimiter : str, optional
        Override the detected text encoding and CSV delimiter.
    gazetteer : Gazetteer, optional
        Checks place names; defaults to :func:`routes.places.load_gazetteer`.
    form : path, optional
        The XLSForm a KoboToolbox/ODK export was collected with: its questions and choices
        (:func:`routes.kobo.form_mapping`) win over what the headers and values suggest.

    Returns
    -------
    SuggestedMapping
        ``.mapping`` is the dictionary ``read_cases(mapping=...)`` takes; ``.to_yaml()`` the
        commented YAML that ``routes mapping suggest`` prints.

    Raises
    ------
    CaseDataError
        When the file cannot be read as a table.
    """
    raw = read_raw(path, table="cases", sheet=sheet, encoding=encoding, delimiter=delimiter)
    gaz = gazetteer if gazetteer is not None else load_gazetteer()
    keys = {t: field_keys(t) for t in _TABLES}
    tags = {t: {hxl_key(f.hxl): f.name for f in FIELDS[t]} for t in _TABLES}
    out = SuggestedMapping({}, file=raw.file)
    columns: dict[str, list[str] | None] = {}
    taken: dict[str, dict[str, str]] = {t: {} for t in _TABLES}
    for i, header in enumerate(raw.headers):
        text = raw.cells[i]
        if not header:
            columns[header] = None
            out.notes[("columns", header)] = f"unnamed column {i + 1} (a row index?): ignored"
            continue
        if "coordinates" not in out.mapping and (order := _coordinate_order(text)):
            out.mapping["coordinates"] = {"column": header, "order": order}
            out.notes[("coordinates",)] = "a text column of number pairs: check the order"
            continue
        if ctdc_family(header, "cases") is not None:
            continue  # read as its CTDC one-hot family without a mapping
        targets, how = _place_header(header, raw.hxl[i] if raw.hxl else "", keys, tags)
        if how.startswith(_CLOSE):  # a guess from the header alone: the values must agree
            targets, how = _confirmed_by_values(targets, how, text)
        kept, shadowed = [], []
        for table, name in targets:
            if name in taken[table]:
                shadowed.append(f"{name} is already read from {taken[table][name]!r}")
            else:
                taken[table][name] = header
                kept.append(name)
        kept = list(dict.fromkeys(kept))
        if not kept:
            columns[header] = None
            out.notes[("columns", header)] = "; ".join(dict.fromkeys(shadowed)) if shadowed else (
                _unplaced_note(header, text))
            continue
        columns[header] = kept
        if how:
            out.notes[("columns", header)] = how
    # A file of one table: its columns feed that table only ("Municipio" is not also an event's place).
    only = {t: {f.name for f in FIELDS[t]} - {f.name for f in FIELDS[o]}
            for t, o in (("cases", "events"), ("events", "cases"))}
    single = {t[0] for t in columns.values() if t and len(t) == 1}  # columns that read as one field only
    events_like = bool(single & only["events"]) or "coordinates" in out.mapping
    steps = {"stage", "seq"} & {n for t in columns.values() for n in t or ()}
    cases_like = bool(single & only["cases"]) or not steps  # a file without steps may be cases too
    for header, names in columns.items():
        if names and len(names) > 1 and not (cases_like and events_like):
            columns[header] = [n for n in names if n not in only["events" if cases_like else "cases"]]
    for i, header in enumerate(raw.headers):
        for name in columns.get(header) or ():
            _values(out, name, header, raw.cells[i], gaz)
    out.mapping["columns"] = {h: t if t is None or len(t) > 1 else t[0] for h, t in columns.items()}
    found = {name for t in columns.values() for name in t or ()}
    for name in _REQUIRED["cases"] if cases_like else ():
        if name not in found:
            out.missing.append(name)
            out.notes[("defaults", name)] = _default_hint(name)
    if events_like and "stage" not in found:
        out.missing.append("stage")
        out.notes[("defaults", "stage")] = "incident   # a file of incidents; else recruitment, transit, ..."
    return _with_form(out, form, raw.headers) if form is not None else out


def _with_form(out: SuggestedMapping, form: rio.PathLike, headers: list[str]) -> SuggestedMapping:
    """``out`` with the XLSForm's placements for the file's headers on top (the form knows best)."""
    from routes.kobo import form_mapping

    known = form_mapping(form)
    columns = out.mapping.setdefault("columns", {})
    for header in headers:
        if header in known.mapping["columns"]:
            columns[header] = known.mapping["columns"][header]
            out.notes[("columns", header)] = known.notes.get(("columns", header), "from the form")
            if header in known.mapping.get("separators", {}):
                out.mapping.setdefault("separators", {})[header] = known.mapping["separators"][header]
                out.notes[("separators", header)] = known.notes[("separators", header)]
    for name, table in known.mapping.get("values", {}).items():
        out.mapping.setdefault("values", {}).setdefault(name, {}).update(table)
        out.unplaced_values[name] = [v for v in out.unplaced_values.get(name, []) if v not in table]
        if not out.unplaced_values[name]:
            del out.unplaced_values[name]
    found = {n for t in columns.values() if t for n in ([t] if isinstance(t, str) else t)}
    out.missing = [name for name in out.missing if name not in found]
    return out


# --------------------------------------------------------------------------------------------------


def _q(text: object) -> str:
    """A YAML scalar that reads back as exactly this text (a JSON string is valid YAML)."""
    return json.dumps(str(text), ensure_ascii=False)


def _target(target: object) -> str:
    if target is None:
        return "null"
    if isinstance(target, list):
        return "[" + ", ".join(str(t) for t in target) + "]"
    return str(target)


def _line(text: str, note: str | None) -> str:
    return f"{text}   # {note}" if note else text


def _default_hint(name: str) -> str:
    field = next(f for f in FIELDS["cases"] if f.name == name)
    if name == "case_id":
        return "(no default: set row_ids: \"row-\" to number the rows)"
    if field.vocab is not None:
        return "...   # one of " + ", ".join(field.vocab.codes)
    return "..."


def _coordinate_order(text: pd.Series) -> str | None:
    """``"lat,lon"`` or ``"lon,lat"`` for a column of number pairs, else ``None``."""
    filled = text[text.ne("")]
    if not len(filled):
        return None
    pair = filled.str.extract(COORDINATE_PAIR)
    ok = pair[0].notna() & pair[1].notna()
    if ok.mean() < _COORDINATE_SHARE:
        return None
    first, second = (to_number(pair.loc[ok, c].astype(str)) for c in (0, 1))
    region = rio.StudyRegion()  # the order that puts the points in the response's countries
    lat_first = region.contains(second.to_numpy(dtype=float), first.to_numpy(dtype=float)).mean()
    lon_first = region.contains(first.to_numpy(dtype=float), second.to_numpy(dtype=float)).mean()
    if lat_first == lon_first:
        lat_first, lon_first = (first.abs() <= 90).mean(), (second.abs() <= 90).mean()
    return "lat,lon" if lat_first >= lon_first else "lon,lat"


def _place_header(header: str, tag: str, keys: Mapping[str, Mapping[str, str]],
                  tags: Mapping[str, Mapping[Any, str]]) -> tuple[list[tuple[str, str]], str]:
    """(table, field) pairs a header reads as, and how it was found (empty: by the standard's names)."""
    key = header_key(header)
    leaf = header_key(header.replace("\\", "/").rsplit("/", 1)[-1])  # Kobo: group/question
    targets = []
    for table in _TABLES:
        name = (tags[table].get(hxl_key(tag)) if tag else None) or keys[table].get(key)
        if name is None and leaf != key:
            name = keys[table].get(leaf)
        if name is not None:
            targets.append((table, name))
    if targets:
        return targets, "" if any(keys[t].get(key) == n for t, n in targets) else "Kobo group path: check"
    words = normalize_key(header.replace("\\", "/").rsplit("/", 1)[-1]).split()
    numbered = len(words) > 1 and words[-1] in {"caso", "case"} and words[-2] in _NUMBER_WORDS
    if words and (words[-1] in _ID_WORDS or numbered):  # "Incident ID", "Main ID", "No. Caso"
        return [(t, "case_id") for t in _TABLES], "an id column: check it names one person (or incident)"
    spellings = []
    for table in _TABLES:
        close = did_you_mean(leaf, list(keys[table]), n=1)
        if close:
            targets.append((table, keys[table][close[0]]))
            spellings.append(close[0])
    return targets, _CLOSE + ", ".join(repr(s) for s in spellings)


def _unplaced_note(header: str, text: pd.Series) -> str:
    """Why a column is ignored; a route label ("Darien", "Central America to US") is named as one,
    so that nobody reads it as the places of a journey."""
    words = set(normalize_key(header).split())
    if words & _ROUTE_WORDS and not text.str.contains(_ROUTE_STEP, regex=True).any():
        return ("a route label (names a corridor, not the places of a journey in order): ignored; "
                "journeys are read from a column of places such as 'Cúcuta > Bogotá' (route)")
    return "not placed: no field of the standard matches; ignored"


def _confirmed_by_values(targets: list[tuple[str, str]], how: str,
                         text: pd.Series) -> tuple[list[tuple[str, str]], str]:
    """Keep the fields a header's spelling suggested only where the column's values fit them: a
    column of dates reads as the dates of both tables ("Incident Date" is not ``incident_type``), a
    category needs some values of its vocabulary."""
    filled = text[text.ne("")]
    if not len(filled):
        return targets, how
    dates = filled.str.match(_DATE_LIKE).mean() >= 0.9
    if dates:
        return [("cases", "date_registered"), ("events", "date")], "dates: check which date it is"
    numbers = to_number(filled)
    counts = numbers.notna().all() and bool((numbers % 1 == 0).all()) and numbers.max() < _MAX_COUNT
    kept = []
    for table, name in targets:
        f = _field(name)
        if f is None or f.kind is Kind.DATE:
            continue
        if f.kind in (Kind.INT, Kind.FLOAT):  # "Number of Dead" is no step number: steps count from 1
            least = 1 if name == "seq" else -np.inf
            if numbers.isna().mean() > 0.1 or (numbers < least).any():
                continue
        if f.kind is Kind.TEXT and counts:  # small whole numbers are counts, not names or documents
            continue
        if f.vocab is not None and not any(f.vocab.parse(v) not in (None, UNKNOWN)
                                           for v in pd.unique(filled)[:200]):
            continue
        kept.append((table, name))
    spelled = dict(zip(targets, how.removeprefix(_CLOSE).split(", "), strict=False))
    return kept, (_CLOSE + ", ".join(dict.fromkeys(spelled[t] for t in kept if t in spelled))) if kept else ""


def _values(out: SuggestedMapping, name: str, header: str, text: pd.Series, gaz: Any) -> None:
    """Separators and value tables for the field ``name`` read from ``text``."""
    f = _field(name)
    if f is None:
        return
    filled = text[text.ne("")]
    if f.kind is Kind.PLACE:
        distinct = pd.unique(filled)
        ids = gaz.resolve(list(distinct)) if len(distinct) else []
        for value, place_id in zip(distinct, ids, strict=True):
            if place_id is None or (isinstance(place_id, float) and pd.isna(place_id)):
                close = [c for c in gaz.suggest(value, n=1) if _similar(value, c)]
                _value_entry(out, name, value, close[0] if close else None,
                             f"check: close to the gazetteer's {close[0]!r}" if close
                             else "not in the gazetteer: map it to a place it knows")
        return
    vocab = f.vocab
    if vocab is None:
        return
    parts = filled
    if f.kind in (Kind.MULTI, Kind.CATEGORY):
        seps = _separators(filled, f)
        split = filled.str.split(split_pattern(seps), regex=True).explode()
        split = split[split.notna() & split.ne("")].astype(str)
        if f.kind is Kind.MULTI:
            if seps != (MULTI_SEPARATOR,):
                out.mapping.setdefault("separators", {})[header] = list(seps)
                out.notes[("separators", header)] = "cells list several values this way: check"
            parts = split
        elif _known_share(split, vocab) > _known_share(filled, vocab):  # a single value, listed
            out.mapping.setdefault("separators", {})[header] = list(seps)
            several = f"values that differ read as {SEVERAL!r}" if SEVERAL in vocab.codes else (
                "rows whose values differ are rejected")
            out.notes[("separators", header)] = (f"some cells list several {vocab.name} values: unknown "
                                                 f"parts are dropped, {several}; check")
            parts = split
    known = {v: vocab.parse(v) for v in pd.unique(parts)}
    unknown = [v for v, code in known.items() if code is None]
    counts = parts[parts.isin(unknown)].value_counts()
    for value in counts.index[:_MAX_VALUES]:
        close = vocab.close_matches(value, n=1)
        codes = (*vocab.codes, UNKNOWN)
        allowed = "one of " + ", ".join(codes[:_SHOWN_CODES]) + (
            f", ... ({len(codes) - _SHOWN_CODES} more in docs/case-data-standard.md)"
            if len(codes) > _SHOWN_CODES else "")
        if close and _similar(value, close[0][0]):
            spelling, code = close[0]
            _value_entry(out, name, value, code, f"check: close to {spelling!r}")
        else:
            hint = f"nearest {close[0][0]!r} ({close[0][1]}) is not close; " if close else ""
            _value_entry(out, name, value, None, f"{hint}no {vocab.name} code found; {allowed}")


def _value_entry(out: SuggestedMapping, name: str, value: str, code: str | None, note: str) -> None:
    if code is None:
        out.unplaced_values.setdefault(name, []).append(value)
    else:
        out.mapping.setdefault("values", {}).setdefault(name, {})[value] = code
    out.notes[("values", name, value)] = note


def _separators(filled: pd.Series, f: Field) -> tuple[str, ...]:
    """The separators that read most parts of a multi-valued column as known values."""
    vocab = f.vocab
    assert vocab is not None
    best: tuple[str, ...] = (MULTI_SEPARATOR,)
    best_score = -1.0
    sample = filled.head(2000)
    for sep in _SEPARATORS:
        seps = (MULTI_SEPARATOR,) if sep == MULTI_SEPARATOR else (MULTI_SEPARATOR, sep)
        parts = sample.str.split(split_pattern(seps), regex=True).explode()
        parts = parts[parts.notna() & parts.ne("")].astype(str)
        if not len(parts):
            continue
        score = _known_share(parts, vocab)
        if score > best_score + 1e-9:
            best, best_score = seps, score
    return best


def _known_share(parts: pd.Series, vocab: Vocabulary) -> float:
    """The share of ``parts`` the vocabulary reads (0 when there are none)."""
    if not len(parts):
        return 0.0
    distinct = pd.unique(parts)
    codes = dict(zip(distinct, (vocab.parse(v) for v in distinct), strict=True))
    return float(parts.map(codes).notna().mean())


def _similar(value: object, spelling: str) -> bool:
    """Close enough to propose as a typo fix (a looser match is only named in a comment)."""
    return difflib.SequenceMatcher(None, normalize_key(value), normalize_key(spelling)).ratio() >= _SIMILAR


def _field(name: str) -> Field | None:
    return next((f for t in _TABLES for f in FIELDS[t] if f.name == name), None)
