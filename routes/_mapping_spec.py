"""A user's column mapping and the sector's presets, checked once and keyed for matching.

An internal API shared by :mod:`routes.io`, :mod:`routes.scale` and :mod:`routes.mapping` (the
format is documented in ``docs/case-data-standard.md``, Mappings). Not part of the public API.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from routes._tables import AGE, FIELDS, header_key, table_names
from routes._text import did_you_mean, normalize_key
from routes.errors import CaseDataError, ParameterError
from routes.schema import MULTI_SEPARATOR, UNKNOWN, Field, Kind

__all__ = ["PRESETS", "MappingSpec"]

PathLike = str | os.PathLike[str]

_ROUTE_SPLIT = r"\s*(?:->|→|>)\s*"
_MAPPING_KEYS = ("columns", "values", "coordinates", "route_column", "route_separator", "defaults",
                 "separators", "row_ids")


@dataclass(frozen=True)
class MappingSpec:
    """A user's mapping, checked and keyed for matching (see :func:`routes.io.read_cases`).

    ``columns`` maps a header key to the fields it feeds, at most one per table; an empty tuple is a
    column the mapping ignores (``null``). Explicit entries win over the automatic aliases and HXL
    tags. ``separators`` maps a field name or a header key to the regular expression that splits
    its multi-valued cells (default the standard's ``;``), or the listed cells of a single-valued field.
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
        names = table_names(table)
        return next((t for t in self.columns.get(key, ()) if t in names), None)

    def separator(self, name: str, header: str) -> tuple[str, ...]:
        """The separators of multi-valued cells of field ``name`` read from ``header`` (default ``;``)."""
        return self.listed(name, header) or (MULTI_SEPARATOR,)

    def listed(self, name: str, header: str) -> tuple[str, ...] | None:
        """The separators the mapping gives for field ``name`` read from ``header``, if it gives any:
        a single-valued field with an entry takes cells that list several values."""
        return self.separators.get(header_key(header)) or self.separators.get(name)

    @classmethod
    def load(cls, spec: Mapping[str, Any] | PathLike | None, *, preset: str | None = None) -> MappingSpec:
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

    def under(self, user: MappingSpec) -> MappingSpec:
        """This mapping (a preset) with ``user``'s entries on top: the user wins key by key."""
        values = {f: {**self.values.get(f, {}), **user.values.get(f, {})}
                  for f in self.values.keys() | user.values.keys()}
        separator = user.route_separator if user.route_separator != _ROUTE_SPLIT else self.route_separator
        return MappingSpec(
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


def _preset(name: str) -> MappingSpec:
    """The mapping preset ``name`` (see :data:`PRESETS`)."""
    key = str(name).lower()
    if key not in _PRESET_SPECS:
        raise ParameterError(f"preset={name!r}; expected one of {', '.join(PRESETS)}")
    loaded = _load_mapping(_PRESET_SPECS[key], f"preset {key}")
    return MappingSpec(loaded.columns, loaded.values, loaded.coordinates, loaded.route_separator,
                    loaded.defaults, loaded.separators, loaded.row_ids, dict(_PRESET_REASONS[key]))


def _fields_named(name: str) -> list[Field]:
    return [f for fields in FIELDS.values() for f in fields if f.name == name]


def _load_mapping(spec: Mapping[str, Any], source: str) -> MappingSpec:
    """Check a mapping dictionary (see :func:`read_cases`) and key it for matching."""
    known_fields = {f.name for fields in FIELDS.values() for f in fields} | {AGE}

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
            bad = [t for t in target if t not in FIELDS]
            if bad:
                raise CaseDataError(f"{source}: {where} has tables {bad}; expected some of {list(FIELDS)}")
            for table, name in target.items():
                if name is not None and field_name(name, where) not in table_names(table):
                    raise CaseDataError(f"{source}: {where} sends {table} to {name!r}, which is not a "
                                        f"field of the {table} table")
            names = tuple(str(n) for n in target.values() if n is not None)
        elif isinstance(target, Sequence):
            names = tuple(field_name(t, where) for t in target)
        else:
            raise CaseDataError(f"{source}: {where} must be a field name, a list of field names (one per "
                                f"table), a table → field dictionary or null, got {target!r}")
        for table in FIELDS:
            both = [n for n in names if n in table_names(table)]
            if len(both) > 1:
                raise CaseDataError(f"{source}: {where} feeds {both} of the {table} table; a column feeds "
                                    "at most one field of each table")
        columns[header_key(header)] = names
    if spec.get("route_column"):
        columns[header_key(spec["route_column"])] = ("route",)
    values = {field_name(f, "values"): _value_table(f, table, source)
              for f, table in (spec.get("values") or {}).items()}
    coordinates = None
    if spec.get("coordinates"):
        coord = spec["coordinates"]
        order = normalize_key(coord.get("order", "lat,lon")) if isinstance(coord, Mapping) else ""
        if order not in ("lat lon", "lon lat") or "column" not in coord:
            raise CaseDataError(f"{source}: coordinates needs a 'column' and an order 'lat,lon' "
                                f"or 'lon,lat', got {coord!r}")
        coordinates = (header_key(coord["column"]), order == "lat lon")
    separator = re.escape(str(spec["route_separator"])) if spec.get("route_separator") else _ROUTE_SPLIT
    defaults = {field_name(f, "defaults"): str(v) for f, v in (spec.get("defaults") or {}).items()}
    separators = {}
    for key, sep in (spec.get("separators") or {}).items():
        seps = [sep] if isinstance(sep, str) else sep
        if not isinstance(seps, Sequence) or not seps or not all(isinstance(x, str) and x for x in seps):
            raise CaseDataError(f"{source}: separators[{key!r}] must be a separator such as ';' or ',' "
                                f"(or a list of them), got {sep!r}")
        name = str(key) if key in known_fields else header_key(key)
        separators[name] = tuple(seps)
    row_ids = spec.get("row_ids")
    return MappingSpec(columns, values, coordinates, separator, defaults, separators,
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


