"""Disclosure control: every number or place that leaves the analyst's machine passes through here.

Survivor data is published only as aggregates of distinct people. This module holds the rules and the
machinery that enforce them, and nothing about maps or briefs:

- :class:`DisclosurePolicy`: who the product is for, the threshold ``k`` (11 by default, as the Counter
  Trafficking Data Collaborative publishes), rounding, the finest time unit, geography and H3 resolution,
  consent, and the allow-list of properties each product may embed.
- :func:`release_counts` / :func:`release_rate` / :func:`release_rates` (several numerators over one
  denominator, counted once): counts of distinct people per cell with primary
  suppression (1 to k-1), group-attribute (100 %) suppression and secondary suppression, so that no hidden
  cell can be recovered from published cells and margins by linear algebra.
- :func:`equivalence_class_sizes`, :func:`risk_summary`, :func:`generalise`: k-anonymity and
  re-identification risk of microdata for internal exports (sdcMicro semantics, the OCHA Centre for
  Humanitarian Data 3 % gate).
- :func:`check_publishable`: the last guard before a product is written.
- :func:`escape_text`, :func:`safe_json`, :func:`content_security_policy`, :func:`with_csp`: page safety,
  re-exported from :mod:`routes._web` (their home) so existing imports keep working.

See ``docs/data-responsibility.md`` for the sources of every default and for what stays the analyst's
decision.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import re
import sys
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any, Literal, Protocol, TypeVar, cast

import numpy as np
import pandas as pd

from routes._i18n import PUBLICATION, number
from routes._stats import wilson_interval
from routes._web import content_security_policy, escape_text, page_violations, safe_json, with_csp
from routes.errors import CaseDataError, DisclosureError, PolicyError, Problem
from routes.schema import (
    CHILD_AGE_GROUPS,
    TABLES,
    UNKNOWN,
    YES_NO,
    Role,
    identifying_columns,
)

__all__ = [
    "DEFAULT_ALLOWED_FIELDS",
    "DEFAULT_HIERARCHIES",
    "QUASI_IDENTIFIERS",
    "TOTAL",
    "DisclosurePolicy",
    "GeneralisationReport",
    "Level",
    "PeopleOf",
    "Release",
    "RiskSummary",
    "check_publishable",
    "content_security_policy",
    "equivalence_class_sizes",
    "escape_text",
    "flag_homogeneous",
    "generalise",
    "individual_risk",
    "level_from_mapping",
    "pseudonymise",
    "release_counts",
    "release_rate",
    "release_rates",
    "risk_summary",
    "safe_json",
    "with_csp",
]

Audience = Literal["public", "internal"]
TimeUnit = Literal["month", "quarter", "year"]
Geography = Literal["place", "admin2", "admin1", "country"]
PrivacyMode = Literal["rounding", "formal", "public_source"]
_Name = TypeVar("_Name", bound=Hashable)  # the names of release_rates' numerators
Memberships = pd.DataFrame | Callable[[], pd.DataFrame]
"""A membership table, or what builds it: a publication's second pass reads the table from its store
(:meth:`CellCounter.reread`) and never builds it."""

TOTAL = "__total__"
"""Value of the ``by`` columns on margin rows of a :class:`Release` table."""


@dataclass(frozen=True)
class PeopleOf:
    """Memberships: the rows of ``table`` of some of its people, and what builds them as a frame.

    ``table`` is a membership table shared by many counts (a network's segments of every person, say)
    whose person column is a categorical; ``chosen`` gives, per category of that column, whether the
    person's rows are counted (consent already applied: a chosen person may be counted); ``build``
    gives those rows as a frame, as a product would count them, with ``constant`` columns holding one
    value on every row (a brief's corridor). Calling it builds the frame, so it is a
    :data:`Memberships` like any other. A :func:`counting` store that knows every person of ``table``
    counts the chosen people from ``table``'s own count, sorted once for every subset of its people
    (:meth:`CellCounter.table_of_people`), without building the frame.
    """

    table: pd.DataFrame
    chosen: Callable[[], np.ndarray]
    build: Callable[[], pd.DataFrame]
    constant: Mapping[str, str] = field(default_factory=dict)

    def __call__(self) -> pd.DataFrame:
        return self.build()

K_FLOOR = 5
"""No policy may set ``k`` below this (IHSN SDC Practice Guide: 3 and 5 are the common floors)."""

PUBLIC_MAX_H3_RESOLUTION = 6
"""H3 resolution 6 averages 36 km² per cell; finer cells are refused for public products."""

_TIME_FREQ: dict[str, str] = {"month": "M", "quarter": "Q", "year": "Y"}
_TIME_RANK: dict[str, int] = {"M": 1, "Q": 2, "Y": 3, "A": 3}
_GEOGRAPHIES = ("place", "admin2", "admin1", "country")

DEFAULT_ALLOWED_FIELDS: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "segments": ("u", "v", "u_name", "v_name", "name", "corridor", "crossing", "n_people", "n_events",
                 "rate", "rate_low", "rate_high", "suppressed", "length_m"),
    "places": ("place_id", "name", "country", "admin1", "admin2", "kind", "n_people", "n_events", "rate",
               "rate_low", "rate_high", "suppressed", "chokepoint_score"),
    "hexagons": ("h3", "n_people", "hotspot", "suppressed"),
    "hotspots": ("hotspot_id", "name", "label", "n_people", "radius_m", "suppressed"),
    "patterns": ("cluster", "label", "trait", "share", "lift", "n_people", "suppressed"),
    "services": ("service_id", "name", "place", "place_id", "service_type", "organisation_type"),
})
"""Properties each product may embed in a page; ``reason`` is deliberately absent (it tells small cells)."""


def _freeze_fields(fields: Mapping[str, Iterable[str]]) -> Mapping[str, tuple[str, ...]]:
    return MappingProxyType({str(product): tuple(names) for product, names in fields.items()})


@dataclass(frozen=True)
class DisclosurePolicy:
    """What may leave the analyst's machine, and for whom.

    Parameters
    ----------
    audience : {"public", "internal"}
        ``public`` products follow every floor below; ``internal`` ones may be finer but are marked
        CONFIDENTIAL and still never carry direct identifiers.
    k : int
        Smallest count of distinct people that may be published (counts 1 to k-1 are suppressed). 11 by
        default, the threshold of CTDC's public dataset; never below 5.
    rounding : int
        Published counts are rounded to a multiple of this (1 = no rounding), never below ``k``: see
        :meth:`round_count`.
    time_unit : {"month", "quarter", "year"}
        Finest time unit published.
    geography : {"place", "admin2", "admin1", "country"}
        Finest geography published (``place`` = route gazetteer places, never a survivor's coordinates).
    max_h3_resolution : int
        Finest H3 resolution published; at most 6 (≈ 36 km² cells) for public products.
    require_consent : bool
        Count only people with ``consent_reporting == "yes"`` (GBVIMS / Primero rule); always true for
        public products.
    allowed_fields : Mapping[str, tuple[str, ...]]
        Product (``segments``, ``places``, ``hexagons``, ``hotspots``, ``patterns``, ``services``) →
        property names that may be embedded in its GeoJSON or table.
    reference : str
        Reference of the information-sharing protocol under which the product is shared; printed on it.
    mode : {"rounding", "formal", "public_source"}
        ``rounding`` (default): suppression under k, rounding, secondary suppression attacked by
        linear programming. ``formal``: zero-concentrated differential privacy with Gaussian noise on
        OpenDP (:mod:`routes.publish.formal`), for data sets published again and again.
        ``public_source`` (:meth:`public_source`): data its source has already published (a public
        incident data set): no consent requirement, no k and no rounding, each record counting its
        ``weight`` (people affected) when it has one, the source and licence printed on every
        product; direct identifiers, escaping and the page's CSP still apply.
    epsilon, delta : float
        The formal mode's guarantee for one release (default ε = 5, δ = 10⁻⁶).
    cells_per_person : int
        The formal mode's bound on the cells one person counts in, over every family of tables
        (default 110, split over the families as :data:`routes.publish.formal.FAMILIES` says: on the
        synthetic sample almost no one counts in more, so the noisy counts lose almost no one).
    budget_epsilon : float
        The formal mode's total ε for all releases of a data set in one ledger (default 10): a
        release that would pass it is refused.
    """

    audience: Audience = "public"
    k: int = 11
    rounding: int = 5
    time_unit: TimeUnit = "month"
    geography: Geography = "place"
    max_h3_resolution: int = PUBLIC_MAX_H3_RESOLUTION
    require_consent: bool = True
    allowed_fields: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: DEFAULT_ALLOWED_FIELDS,
                                                          hash=False)
    reference: str = ""
    mode: PrivacyMode = "rounding"
    epsilon: float = 5.0
    delta: float = 1e-6
    cells_per_person: int = 110
    budget_epsilon: float = 10.0
    source: str = ""
    licence: str = ""

    def __post_init__(self) -> None:
        problems = []
        public_source = self.mode == "public_source"
        if self.mode not in ("rounding", "formal", "public_source"):
            problems.append(f"mode={self.mode!r}: expected 'rounding', 'formal' or 'public_source'")
        if public_source and not str(self.source).strip():
            problems.append("mode='public_source' needs the source that published the data (source=...)")
        if public_source and (self.k != 1 or self.rounding != 1):
            problems.append("mode='public_source' publishes the source's own counts: k=1 and rounding=1 "
                            "(use DisclosurePolicy.public_source)")
        if not isinstance(self.epsilon, int | float) or not 0 < self.epsilon <= self.budget_epsilon:
            problems.append(f"epsilon={self.epsilon!r}: expected more than 0 and at most "
                            f"budget_epsilon={self.budget_epsilon!r}")
        if not isinstance(self.delta, float) or not 0 < self.delta <= 1e-4:
            problems.append(f"delta={self.delta!r}: expected more than 0 and at most 1e-4")
        if not isinstance(self.cells_per_person, int | np.integer) or self.cells_per_person < 1:
            problems.append(f"cells_per_person={self.cells_per_person!r}: expected a positive integer")
        if self.audience not in ("public", "internal"):
            problems.append(f"audience={self.audience!r}: expected 'public' or 'internal'")
        if not isinstance(self.k, int | np.integer) or (self.k < K_FLOOR and not public_source):
            problems.append(f"k={self.k!r}: expected an integer of at least {K_FLOOR}")
        if not isinstance(self.rounding, int | np.integer) or self.rounding < 1:
            problems.append(f"rounding={self.rounding!r}: expected a positive integer (1 = no rounding)")
        if self.time_unit not in _TIME_FREQ:
            problems.append(f"time_unit={self.time_unit!r}: expected one of {', '.join(_TIME_FREQ)}")
        if self.geography not in _GEOGRAPHIES:
            problems.append(f"geography={self.geography!r}: expected one of {', '.join(_GEOGRAPHIES)}")
        limit = PUBLIC_MAX_H3_RESOLUTION if self.audience == "public" else 15
        resolution = self.max_h3_resolution
        if not isinstance(resolution, int | np.integer) or not 0 <= resolution <= limit:
            problems.append(f"max_h3_resolution={self.max_h3_resolution!r}: expected 0 to {limit} "
                            f"for a {self.audience} product")
        if self.audience == "public" and not self.require_consent and not public_source:
            problems.append("require_consent=False: public products count only people who consented")
        if problems:
            raise PolicyError("disclosure policy refused: " + "; ".join(problems))
        object.__setattr__(self, "allowed_fields", _freeze_fields(self.allowed_fields))

    @classmethod
    def public(cls, **kw: Any) -> DisclosurePolicy:
        """Policy for products anyone may read: k=11, counts rounded to 5, months, H3 ≤ 6."""
        return cls(audience="public", **kw)

    @classmethod
    def formal(cls, **kw: Any) -> DisclosurePolicy:
        """Public policy in the formal mode: ε = 5, δ = 10⁻⁶ per release, then rounding for display."""
        return cls(audience="public", mode="formal", **kw)

    @classmethod
    def public_source(cls, *, source: str, licence: str = "", **kw: Any) -> DisclosurePolicy:
        """Public policy for data its source already published, e.g. a public incident data set.

        Counts are the source's own (each record its ``weight`` of people affected, else one): no
        consent requirement, no k, no rounding. ``source`` and ``licence`` are printed on every
        product. Never use it for case records: they are not public because a partner shared them.
        """
        kw = {"k": 1, "rounding": 1, "require_consent": False, **kw}
        return cls(audience="public", mode="public_source", source=source, licence=licence, **kw)

    @classmethod
    def internal(cls, **kw: Any) -> DisclosurePolicy:
        """Policy for products kept inside the agencies of the sharing protocol.

        Defaults: k=5 (the IHSN floor), no rounding, H3 up to resolution 7; consent is still required
        unless ``require_consent=False`` is passed explicitly.
        """
        kw = {"k": K_FLOOR, "rounding": 1, "max_h3_resolution": 7, **kw}
        return cls(audience="internal", **kw)

    def allow(self, product: str, *names: str) -> DisclosurePolicy:
        """A copy of this policy that also allows ``names`` in ``product``'s embedded properties."""
        fields = dict(self.allowed_fields)
        fields[product] = tuple(dict.fromkeys((*fields.get(product, ()), *names)))
        return replace(self, allowed_fields=fields)

    @property
    def smallest_published(self) -> int:
        """Smallest non-zero value a published count can take: the first multiple of ``rounding`` ≥ k."""
        return -(-self.k // self.rounding) * self.rounding

    def eligible(self, cases: pd.DataFrame) -> pd.Series:
        """Which rows may be counted: ``consent_reporting`` is yes (unknown counts as no).

        Returns a boolean Series aligned to ``cases``; all true when the policy does not require consent.
        """
        if not self.require_consent:
            return pd.Series(True, index=cases.index)
        _require_columns(cases, ["consent_reporting"], "cases")
        consent = cases["consent_reporting"]
        yes = {value for value in consent.unique() if YES_NO.parse(value) == "yes"}  # per distinct value
        return consent.isin(yes).astype(bool)

    def round_count(self, n: int | pd.Series | np.ndarray) -> Any:
        """Round counts for publishing.

        0 stays 0, counts from 1 to k-1 become missing (suppressed), and larger counts are rounded to the
        nearest multiple of ``rounding`` but never below :attr:`smallest_published`. With k=11 and
        rounding=5, 11 and 12 are shown as 15 (not 10, which would read as a count under k), 13 as 15,
        17 as 15 and 18 as 20. Every published value is then a multiple of ``rounding`` and ≥ k.
        Scalars give an ``int`` or ``pd.NA``; arrays and Series give a nullable ``Int64`` Series.
        """
        scalar = np.ndim(n) == 0
        index = n.index if isinstance(n, pd.Series) else None
        values = np.atleast_1d(np.asarray(n, dtype=np.int64))
        step = self.rounding
        rounded = (values + step // 2) // step * step
        rounded = np.maximum(rounded, self.smallest_published)
        out = pd.array(np.where(values == 0, 0, rounded), dtype="Int64")
        out[(values > 0) & (values < self.k)] = pd.NA
        if scalar:
            return pd.NA if out[0] is pd.NA else int(out[0])
        return pd.Series(out, index=index)

    def month(self, dates: pd.Series) -> pd.Series:
        """Dates as monthly periods (``Period[M]``); NaT stays missing. Timezones are dropped (local time)."""
        return _as_datetime(dates).dt.to_period("M")

    def period(self, dates: pd.Series) -> pd.Series:
        """Dates coarsened to the policy's :attr:`time_unit` (``Period[M]``, ``[Q]`` or ``[Y]``)."""
        return _as_datetime(dates).dt.to_period(_TIME_FREQ[self.time_unit])

    @property
    def weighted(self) -> bool:
        """Whether a record counts its ``weight`` (people affected) instead of one person."""
        return self.mode == "public_source"

    def attribution(self, lang: str = "en") -> str:
        """The source (and licence) of already-public data, as every product prints it; "" otherwise."""
        if self.mode != "public_source":
            return ""
        if self.licence:
            return PUBLICATION.text("source_licence", lang).format(source=self.source, licence=self.licence)
        return PUBLICATION.text("source", lang).format(source=self.source)

    def describe(self, lang: str = "en") -> str:
        """One sentence for a product's footer: threshold, rounding, caveat, protocol reference."""
        if self.mode == "public_source":
            return PUBLICATION.text("public_source", lang).format(attribution=self.attribution(lang))
        k, step = number(self.k, lang), number(self.rounding, lang)
        parts = [PUBLICATION.text("suppressed", lang).format(k=k)]
        if self.rounding > 1:
            bumped = (self.k + self.rounding // 2) // self.rounding * self.rounding < self.k
            smallest = number(self.smallest_published, lang)
            parts.append(PUBLICATION.text("rounded_at_least" if bumped else "rounded", lang)
                         .format(step=step, smallest=smallest))
        parts.append(PUBLICATION.text("reported", lang))
        text = "; ".join(parts) + "."
        if self.audience == "internal":
            text = PUBLICATION.text("internal", lang).format(text=text)
        if self.reference:
            text = PUBLICATION.text("protocol", lang).format(text=text, reference=self.reference)
        return text


def _as_datetime(dates: pd.Series) -> pd.Series:
    values = dates if isinstance(dates, pd.Series) else pd.Series(dates)
    if not pd.api.types.is_datetime64_any_dtype(values):
        values = pd.to_datetime(values)
    if getattr(values.dt, "tz", None) is not None:
        values = values.dt.tz_localize(None)
    return values


def _require_columns(frame: pd.DataFrame, columns: Iterable[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise CaseDataError([
            Problem(what, None, column, "no such column", f"a column {column!r}",
                    hint=f"columns present: {', '.join(map(str, frame.columns[:20]))}")
            for column in missing
        ])


# ----------------------------------------------------------------------------------------------------
# Aggregation with suppression
# ----------------------------------------------------------------------------------------------------

_REASONS = np.array(["", "below_k", "secondary", "homogeneous"], dtype=object)
_NONE, _BELOW_K, _SECONDARY, _HOMOGENEOUS = range(4)


@dataclass(frozen=True)
class Release:
    """Counts of distinct people per cell, ready to publish.

    Attributes
    ----------
    table : DataFrame
        The ``by`` columns, ``n_people`` (nullable Int64: the rounded published count, ``<NA>`` when
        suppressed), ``suppressed`` (bool) and ``reason`` (``below_k``, ``secondary``, ``homogeneous`` or
        ``""``), then margin rows whose ``by`` values are :data:`TOTAL`. ``reason`` is for the analyst:
        publish :meth:`publishable` instead, which drops it (it would say which cells are small).
    by : tuple of str
        The cell columns.
    policy : DisclosurePolicy
        The policy applied.
    hidden_cells : int
        Number of suppressed cells (margins excluded). Safe to publish.
    hidden_people : int
        Distinct people in suppressed cells. An internal number: do not publish it.
    """

    table: pd.DataFrame
    by: tuple[str, ...]
    policy: DisclosurePolicy
    hidden_cells: int
    hidden_people: int

    @property
    def cells(self) -> pd.DataFrame:
        """The table without its margin rows."""
        is_margin = (self.table[list(self.by)] == TOTAL).any(axis=1)
        return self.table.loc[~is_margin]

    def publishable(self) -> pd.DataFrame:
        """The table without ``reason``; suppressed rows keep ``n_people`` missing.

        A suppressed row still says that one or more people are in its cell: drop those rows from a map
        unless showing "suppressed" is meaningful to the reader.
        """
        return self.table.drop(columns="reason")

    def note(self, lang: str = "en") -> str:
        """Sentence for the product: how many cells are hidden and the policy's description."""
        n = self.hidden_cells
        head = PUBLICATION.text("no_cell_hidden" if n == 0 else "cell_hidden" if n == 1 else "cells_hidden",
                                lang).format(n=number(n, lang), k=number(self.policy.k, lang))
        return f"{head} {self.policy.describe(lang)}"


@dataclass(frozen=True)
class _Grid:
    """Distinct-people counts on an (R+1) × (C+1) grid; row 0 and column 0 hold the margins.

    Cells are numbered ``r * C + c`` (0-based inner row and column) and people by their position in
    ``people``; ``pairs`` holds each distinct (cell, person) membership once, packed as
    ``cell * len(people) + person`` and sorted, so numerators can be placed on the same grid.
    """

    counts: np.ndarray  # int64 (R+1, C+1); [0, 0] is the grand total
    row_keys: pd.DataFrame  # R rows: the values of by[:-1]
    col_keys: np.ndarray  # C values of by[-1]
    levels: tuple[pd.Index, ...]  # the sorted distinct values of each by column (object dtype)
    row_index: np.ndarray  # sorted packed codes of by[:-1] of the R rows (see _row_codes)
    people: pd.Index  # person ids; a person's code is its position
    pairs: np.ndarray  # sorted distinct (cell, person) keys


_MAX_KEY = 2**62


def _sorted_unique(keys: np.ndarray) -> np.ndarray:
    """Distinct values of an int64 array, sorted (a sort and a diff: far faster than ``np.unique`` here)."""
    ordered = np.sort(keys)
    if len(ordered) < 2:
        return ordered
    first = np.empty(len(ordered), dtype=bool)
    first[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=first[1:])
    return ordered[first]


def _levels(values: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Codes of ``values`` in their sorted distinct values, missing last (``groupby(sort=True)`` order)."""
    codes, uniques = pd.factorize(values, sort=True, use_na_sentinel=False)
    return codes.astype(np.int64), pd.Index(np.asarray(uniques, dtype=object), dtype=object)


def _codes_in(values: pd.Series, levels: pd.Index) -> np.ndarray:
    """Position of each value in ``levels``, -1 when absent; a categorical is looked up per category."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        categories = pd.Index(np.asarray(values.cat.categories, dtype=object), dtype=object)
        lookup = np.append(levels.get_indexer(categories), levels.get_indexer(pd.Index([np.nan])))
        return lookup[values.cat.codes.to_numpy()]  # code -1 (missing) takes the last entry
    return levels.get_indexer(pd.Index(values.to_numpy(dtype=object), dtype=object))


def _row_codes(codes: Sequence[np.ndarray], levels: Sequence[pd.Index], n: int) -> np.ndarray:
    """One int64 per row for the codes of several columns, ordered as the columns sort; -1 if any is."""
    packed, space = np.zeros(n, dtype=np.int64), 1
    for column_codes, column_levels in zip(codes, levels, strict=True):
        space *= max(len(column_levels), 1)
        if space >= _MAX_KEY:
            raise PolicyError("the 'by' row columns have more than 2**62 combinations of values; count them "
                              "by fewer or coarser columns")
        packed = packed * max(len(column_levels), 1) + column_codes
    missing = np.zeros(n, dtype=bool)
    for column_codes in codes:
        missing |= column_codes < 0
    packed[missing] = -1
    return packed


def _distinct_counts(cells: np.ndarray, persons: np.ndarray, shape: tuple[int, int],
                     n_people: int) -> tuple[np.ndarray, np.ndarray]:
    """Distinct people per cell, per row, per column and in total, and the distinct (cell, person) keys.

    ``cells`` are ``r * C + c`` (0-based), ``persons`` codes below ``n_people``. Every count is a sort
    of packed int64 keys: no string is hashed or compared.
    """
    n_rows, n_cols = shape
    pairs = _sorted_unique(cells * n_people + persons)  # < R*C*P: within int64 for any grid that fits memory
    cell, person = np.divmod(pairs, n_people)
    row, col = np.divmod(cell, n_cols)
    counts = np.zeros((n_rows + 1, n_cols + 1), dtype=np.int64)
    counts[1:, 1:] = np.bincount(cell, minlength=n_rows * n_cols).reshape(n_rows, n_cols)
    counts[1:, 0] = np.bincount(_sorted_unique(row * n_people + person) // n_people, minlength=n_rows)
    counts[0, 1:] = np.bincount(_sorted_unique(col * n_people + person) // n_people, minlength=n_cols)
    counts[0, 0] = np.count_nonzero(np.bincount(person, minlength=n_people))
    return counts, pairs


def _distinct_grid(memberships: pd.DataFrame, by: list[str], person: str) -> _Grid:
    """Count distinct people per cell of ``by`` with margins; rows and columns in ``groupby`` sort order."""
    n = len(memberships)
    coded = [_levels(memberships[column]) for column in by]
    levels = tuple(column_levels for _, column_levels in coded)
    if by[:-1]:
        row_codes = _row_codes([codes for codes, _ in coded[:-1]], levels[:-1], n)
        rid, row_index = pd.factorize(row_codes, sort=True)
    else:
        rid, row_index = np.zeros(n, dtype=np.int64), np.zeros(1, dtype=np.int64)
    col_keys = levels[-1].to_numpy()
    person_codes, people = pd.factorize(memberships[person])
    n_rows, n_cols = len(row_index), len(col_keys)
    cells = rid.astype(np.int64) * n_cols + coded[-1][0]
    counts, pairs = _distinct_counts(cells, person_codes.astype(np.int64), (n_rows, n_cols), len(people))
    if by[:-1]:
        any_row = np.zeros(n_rows, dtype=np.int64)
        any_row[rid] = np.arange(n)  # every row of a group holds the group's values: any one will do
        row_keys = memberships[by[:-1]].iloc[any_row].reset_index(drop=True)
    else:
        row_keys = pd.DataFrame(index=range(1))
    people = pd.Index(np.asarray(people, dtype=object), dtype=object)
    return _Grid(counts, row_keys, col_keys, levels, np.asarray(row_index, dtype=np.int64), people, pairs)


def _protect_line(counts: np.ndarray, reasons: np.ndarray) -> None:
    """Secondary suppression for one line (cells and their total, total first), in place.

    With exactly one hidden member, the total and the other cells would give it away by subtraction:
    hide the smallest other non-zero cell as well (the total when there is none).
    """
    hidden = reasons != _NONE
    if hidden.sum() != 1:
        return
    candidates = np.flatnonzero(~hidden[1:] & (counts[1:] > 0)) + 1
    if len(candidates):
        reasons[candidates[np.argmin(counts[candidates])]] = _SECONDARY
    else:
        reasons[0] = _SECONDARY


def _protect_table(counts: np.ndarray, reasons: np.ndarray) -> None:
    """Secondary suppression of a 2-D table with margins, in place.

    Read the table with its margins as the complete bipartite graph rows × columns (row 0 and column 0
    are the margins; each cell an edge). Every line of the table sums to its margin, and with signs
    flipped on the margins every line sums to zero, so the hidden cells a reader cannot determine are
    exactly the hidden edges that lie on a cycle of hidden edges. A hidden cell that is a *bridge* of the
    hidden subgraph is recoverable by linear algebra. For each bridge, hide the cheapest other path
    between its row and its column (hidden cells cost nothing, a published cell costs its count, an
    empty cell costs more than any count), closing a cycle through it. Adding edges never creates a
    bridge elsewhere, so the loop ends. This generalises "hide the next-smallest cell of a line holding
    exactly one hidden cell", and is right also when those lines already hold two.
    """
    import networkx as nx
    from scipy.sparse.csgraph import csgraph_from_dense, dijkstra

    n_rows, n_cols = counts.shape
    if n_rows < 2 or n_cols < 2:
        return
    empty_cost = float(counts.sum() + 1)
    while True:
        hidden = reasons != _NONE
        rows, cols = np.nonzero(hidden)
        graph: nx.Graph[int] = nx.Graph()
        graph.add_edges_from(zip(rows.tolist(), (cols + n_rows).tolist(), strict=True))
        # types-networkx types bridges as yielding nodes; it yields edges
        edges = cast("Iterator[tuple[int, int]]", nx.bridges(graph))
        bridges = sorted(tuple(sorted(edge)) for edge in edges)
        if not bridges:
            return
        row, col = bridges[0][0], bridges[0][1] - n_rows
        cost = np.where(hidden, 1e-9, np.where(counts > 0, counts.astype(float), empty_cost))
        cost[row, col] = np.inf
        adjacency = np.full((n_rows + n_cols, n_rows + n_cols), np.inf)
        adjacency[:n_rows, n_rows:] = cost
        adjacency[n_rows:, :n_rows] = cost.T
        # scipy-stubs type indices as an array; scipy takes one int too, and then gives 1-D results
        _, predecessors = dijkstra(  # type: ignore[call-overload]
            csgraph_from_dense(adjacency, null_value=np.inf), indices=row, return_predecessors=True
        )
        node = col + n_rows
        while node != row:
            previous = predecessors[node]
            r, c = (previous, node - n_rows) if previous < n_rows else (node, previous - n_rows)
            if reasons[r, c] == _NONE:
                reasons[r, c] = _SECONDARY
            node = previous


def _homogeneous_cells(memberships: pd.DataFrame, by: list[str], sensitive: str, person: str,
                       k: int) -> pd.DataFrame:
    """Groups of at least k people who all share one value of ``sensitive`` (multi-valued codes split)."""
    group = [c for c in by if c != sensitive]
    frame = memberships[[*by, person, sensitive]] if sensitive not in by else memberships[[*by, person]]
    if not group:
        frame = frame.assign(_all=0)
        group = ["_all"]
    values = memberships[sensitive].astype("string").str.split(";")
    codes = frame.assign(_value=values).explode("_value")
    codes["_value"] = codes["_value"].str.strip()
    known = codes["_value"].notna() & ~codes["_value"].isin(["", UNKNOWN])
    size = frame.groupby(group, dropna=False, observed=True)[person].nunique().rename("n_people")
    holders = (codes.loc[known].groupby([*group, "_value"], dropna=False, observed=True)[person]
               .nunique().rename("n_holders").reset_index())
    merged = holders.merge(size.reset_index(), on=group)
    flagged = merged.loc[(merged["n_holders"] == merged["n_people"]) & (merged["n_people"] >= k)]
    flagged = flagged.drop_duplicates(group).rename(columns={"_value": "value"})
    return flagged[[*group, "n_people", "value"]].reset_index(drop=True)


def flag_homogeneous(memberships: pd.DataFrame, by: str | Sequence[str], sensitive: str, *,
                     policy: DisclosurePolicy, person: str = "case_id") -> pd.DataFrame:
    """Cells of at least k people who all share one value of a sensitive attribute.

    Publishing such a cell discloses the attribute of every person in it without identifying anyone
    (group attribute disclosure, *Handbook on SDC* ch. 5). Multi-valued attributes (``;``-joined codes)
    are split: a cell is flagged when one code is held by every person in it; unknown values hold no
    code. When ``sensitive`` is itself one of ``by``, the groups are the cells of the other columns (a
    row whose people all fall in one column).

    Returns the group columns, ``n_people`` (true count: internal, not for publishing) and the shared
    ``value``.
    """
    by = [by] if isinstance(by, str) else list(by)
    _require_columns(memberships, [*by, sensitive, person], "memberships")
    group = [c for c in by if c != sensitive]
    flagged = _homogeneous_cells(memberships, by, sensitive, person, policy.k)
    return flagged.drop(columns="_all") if not group else flagged


def _prepared(memberships: pd.DataFrame, by: list[str], person: str, policy: DisclosurePolicy,
              what: str, extra: Sequence[str] = ()) -> pd.DataFrame:
    """Memberships ready to count: consent applied, person ids present, datetime cells as periods.

    Only the ``by``, ``person`` and ``extra`` columns are kept, so filtering copies no other column.
    """
    columns = list(dict.fromkeys([*by, person, *extra]))
    _require_columns(memberships, columns, what)
    frame = memberships[columns]
    if policy.require_consent and "consent_reporting" in memberships.columns:
        eligible = policy.eligible(memberships).to_numpy()
        if not eligible.all():  # (no copy of the rows when everyone consented)
            frame = frame.loc[eligible]
    missing_person = frame[person].isna().to_numpy()
    if missing_person.any():
        raise CaseDataError([Problem(what, int(i) + 1, person, None, "a person id")
                             for i in np.flatnonzero(missing_person)])
    coarsened = {c: policy.period(frame[c]) for c in by if pd.api.types.is_datetime64_any_dtype(frame[c])}
    return frame.assign(**coarsened) if coarsened else frame


def _release(frame: pd.DataFrame, by: list[str], *, policy: DisclosurePolicy, person: str,
             margins: bool, sensitive: str | None) -> tuple[Release, _Grid, np.ndarray]:
    """Count, suppress and assemble; also the grid and the (row, column) grid position of each table row."""
    grid = _distinct_grid(frame, by, person)
    counts = grid.counts
    reasons = np.where((counts > 0) & (counts < policy.k), _BELOW_K, _NONE).astype(np.int8)
    if sensitive is not None:
        _mark_homogeneous(frame, by, sensitive, person, policy.k, grid, reasons)
    if len(by) == 1:
        _protect_line(counts[1], reasons[1])
        reasons[0, 1:] = reasons[1, 1:]  # in 1-D, the "column margins" are the cells themselves
        reasons[0, 0] = reasons[1, 0]
    else:
        _protect_table(counts, reasons)
    release, positions = _assemble(grid, reasons, by, policy, margins)
    return release, grid, positions


class CellCounter(Protocol):
    """What counts cells for a whole publication (:class:`routes.publish.cells.CellStore`)."""

    def table(self, frame: pd.DataFrame, by: Sequence[str], *, person: str, margins: bool,
              label: str) -> Release: ...

    def reread(self, by: Sequence[str], *, margins: bool, label: str) -> Release | None:
        """The table as its first count found it, with final values, when it is read again; else None."""

    def table_of_people(self, people: PeopleOf, by: Sequence[str], *, person: str, margins: bool,
                        label: str) -> Release | None:
        """``people``'s rows counted as :meth:`table` counts the frame they build; None when it cannot."""


def _counted(counter: CellCounter, memberships: Memberships, by: list[str], *, person: str,
             policy: DisclosurePolicy, margins: bool, label: str, what: str,
             extra: Sequence[str] = ()) -> Release:
    """``memberships`` counted into ``counter`` as table ``label``, or read again from it (then the
    memberships are not built)."""
    read = counter.reread(by, margins=margins, label=label)
    if read is not None:
        return read
    if isinstance(memberships, PeopleOf) and not extra:
        counted = counter.table_of_people(memberships, by, person=person, margins=margins, label=label)
        if counted is not None:
            return counted
    frame = _prepared(_built(memberships), by, person, policy, what, extra)
    return counter.table(frame, by, person=person, margins=margins, label=label)


def _built(memberships: Memberships) -> pd.DataFrame:
    return memberships() if callable(memberships) else memberships


_COUNTER: ContextVar[CellCounter | None] = ContextVar("routes_cell_counter", default=None)


@contextmanager
def counting(counter: CellCounter) -> Iterator[CellCounter]:
    """Count every :func:`release_counts` and :func:`release_rates` cell into ``counter``.

    Used by :class:`routes.publish.Release` while it builds a publication: each product's tables
    become cells of one store, protected together, instead of table by table.
    """
    token = _COUNTER.set(counter)
    try:
        yield counter
    finally:
        _COUNTER.reset(token)


def release_counts(memberships: Memberships, by: str | Sequence[str], *, policy: DisclosurePolicy,
                   person: str = "case_id", margins: bool = True,
                   sensitive: str | None = None, label: str | None = None) -> Release:
    """Count distinct people per cell and suppress what would disclose someone.

    Parameters
    ----------
    memberships : DataFrame or callable
        One row per (person, cell) membership; a person may be in several cells (several segments of a
        route, several risks). Rows whose ``consent_reporting`` column (when present) is not yes are
        dropped when the policy requires consent. Datetime ``by`` columns are counted per policy period.
        A callable returning the table is called only when the table is counted (a :func:`counting`
        store reading a table again after its protection does not need it).
    by : str or list of str
        Cell columns. One column is a 1-D table; two or more a 2-D table whose rows are the combinations
        of all but the last column and whose columns are the values of the last.
    policy : DisclosurePolicy
    person : str
        Column holding the person's pseudonymous id.
    margins : bool
        Add margin rows (distinct people per row, per column and in total).
    sensitive : str, optional
        Sensitive attribute whose breakdown the product shows: cells (or, when ``sensitive`` is in
        ``by``, rows) where every person shares one value are suppressed with reason ``homogeneous``.
    label : str, optional
        Name of the table in a publication: while a :func:`counting` store is active, the cells
        are counted into it under this name and protected with every other table of the release.

    Returns
    -------
    Release

    Notes
    -----
    Primary suppression hides counts 1 to k-1 (empty cells are simply absent). Secondary suppression
    assumes the reader knows the true margins whether or not this table publishes them (a headline
    total in a brief is enough), and hides further cells until no hidden cell is determined by the
    linear system of cells and margins (see ``_protect_table``). With people in several cells the
    margins are smaller than the sums, and the protection is computed as if they added up, which only
    hides more. Published counts are rounded with :meth:`DisclosurePolicy.round_count`.
    """
    by = [by] if isinstance(by, str) else list(by)
    if not by:
        raise PolicyError("release_counts needs at least one 'by' column")
    extra = [sensitive] if sensitive else []
    counter = _COUNTER.get()
    if counter is not None:
        return _counted(counter, memberships, by, person=person, policy=policy, margins=margins,
                        label=label or "/".join(by), what="memberships", extra=extra)
    frame = _prepared(_built(memberships), by, person, policy, "memberships", extra)
    return _release(frame, by, policy=policy, person=person, margins=margins, sensitive=sensitive)[0]


def _mark_homogeneous(frame: pd.DataFrame, by: list[str], sensitive: str, person: str, k: int,
                      grid: _Grid, reasons: np.ndarray) -> None:
    flagged = _homogeneous_cells(frame, by, sensitive, person, k)
    if flagged.empty:
        return
    group = [c for c in by if c != sensitive]
    cells = _cell_index(grid, by)
    if group:
        hit = cells[group].astype(object).merge(flagged[group].astype(object).drop_duplicates(), on=group,
                                                how="left", indicator=True)
        cells = cells.loc[hit["_merge"].eq("both").to_numpy()]
    r, c = cells["_r"].to_numpy(), cells["_c"].to_numpy()
    open_cells = (reasons[r, c] == _NONE) & (grid.counts[r, c] > 0)
    reasons[r[open_cells], c[open_cells]] = _HOMOGENEOUS


def _cell_index(grid: _Grid, by: list[str]) -> pd.DataFrame:
    """Every inner cell of the grid with its ``by`` values and grid position (``_r``, ``_c``)."""
    n_rows, n_cols = grid.counts.shape[0] - 1, grid.counts.shape[1] - 1
    r = np.repeat(np.arange(1, n_rows + 1), n_cols)
    c = np.tile(np.arange(1, n_cols + 1), n_rows)
    cells = grid.row_keys.iloc[r - 1].reset_index(drop=True)
    cells[by[-1]] = grid.col_keys[c - 1]
    cells["_r"], cells["_c"] = r, c
    return cells


def _assemble(grid: _Grid, reasons: np.ndarray, by: list[str], policy: DisclosurePolicy,
              margins: bool) -> tuple[Release, np.ndarray]:
    """The published table of a suppressed grid, and the (row, column) grid position of each of its rows."""
    counts = grid.counts
    cells = _cell_index(grid, by)
    r, c = cells["_r"].to_numpy(), cells["_c"].to_numpy()
    keep = (counts[r, c] > 0) | (reasons[r, c] != _NONE)
    cells = cells.loc[keep].reset_index(drop=True)
    parts = [cells]
    if margins:
        row_cols = by[:-1]
        n_rows, n_cols = counts.shape[0] - 1, counts.shape[1] - 1
        if row_cols:
            row_margin = grid.row_keys.copy()
            row_margin[by[-1]] = TOTAL
            row_margin["_r"], row_margin["_c"] = np.arange(1, n_rows + 1), 0
            col_margin = pd.DataFrame({col: [TOTAL] * n_cols for col in row_cols})
            col_margin[by[-1]] = grid.col_keys
            col_margin["_r"], col_margin["_c"] = 0, np.arange(1, n_cols + 1)
            parts += [row_margin, col_margin]
        parts.append(pd.DataFrame({**{col: [TOTAL] for col in by}, "_r": [0], "_c": [0]}))
    table = pd.concat(parts, ignore_index=True) if len(parts) > 1 else cells
    r, c = table["_r"].to_numpy(), table["_c"].to_numpy()
    code = reasons[r, c]
    table["n_people"] = policy.round_count(counts[r, c]).array
    table["n_people"] = table["n_people"].mask(code != _NONE)
    table["suppressed"] = code != _NONE
    table["reason"] = pd.array(_REASONS[code], dtype="string")
    table = table.drop(columns=["_r", "_c"])

    inner_hidden = reasons[1:, 1:] != _NONE
    hidden_cells = int(inner_hidden.sum())
    cell, person = np.divmod(grid.pairs, max(len(grid.people), 1))
    hidden_people = len(_sorted_unique(person[inner_hidden.ravel()[cell]]))
    return Release(table, tuple(by), policy, hidden_cells, hidden_people), np.column_stack([r, c])


def release_rate(numerator_memberships: Memberships, denominator_memberships: Memberships,
                 by: str | Sequence[str], *, policy: DisclosurePolicy, per: float = 100,
                 person: str = "case_id", margins: bool = True, label: str | None = None) -> pd.DataFrame:
    """Share of people with an event (an incident, a risk) per cell, with a Wilson 95 % interval.

    ``n_people`` comes from :func:`release_counts` on the denominator (so it agrees with the count
    tables, secondary suppression included). ``n_events`` counts distinct people of the numerator. The
    rate is published only when the count is published, the people with the event number 0 or at least
    k, and the people without it at least k; a rate of 100 % is suppressed as ``homogeneous`` (it states
    the attribute of everyone in the cell). Rates and their intervals are computed from the published
    (rounded) counts, never from true ones: inverting a rate gives back only what is already shown.

    Returns a DataFrame: the ``by`` columns, ``n_people``, ``n_events`` (Int64), ``rate``,
    ``rate_low``, ``rate_high`` (float, per ``per``), ``suppressed`` (rate hidden) and ``reason``.
    """
    return _release_rates({"numerator memberships": numerator_memberships}, denominator_memberships, by,
                          policy=policy, per=per, person=person, margins=margins,
                          label=label)["numerator memberships"]


def release_rates(numerators: Mapping[_Name, Memberships], denominator_memberships: Memberships,
                  by: str | Sequence[str], *, policy: DisclosurePolicy, per: float = 100,
                  person: str = "case_id", margins: bool = True,
                  label: str | None = None) -> dict[_Name, pd.DataFrame]:
    """:func:`release_rate` of several numerators over one denominator, the denominator counted once.

    For a rate per risk type, say: the people who passed each place, and for each risk the people who
    reported it there. Counting, suppressing and protecting the denominator is most of the work of a
    rate, and it is the same for every numerator, so this does it once.

    Parameters
    ----------
    numerators : Mapping
        Name (any hashable) → numerator memberships, as ``numerator_memberships`` of
        :func:`release_rate`.
    denominator_memberships, by, policy, per, person, margins, label
        As for :func:`release_rate`; numerator ``name``'s cells are labelled ``f"{label}:{name}"``.

    Returns
    -------
    dict
        Name → the table ``release_rate(numerators[name], denominator_memberships, by, ...)`` returns,
        identical to it.

    Raises
    ------
    CaseDataError
        When a numerator holds a membership the denominator does not; the problem names the numerator.
    """
    named = {f"numerator memberships {name!r}": name for name in numerators}
    tables = _release_rates({what: numerators[name] for what, name in named.items()}, denominator_memberships,
                            by, policy=policy, per=per, person=person, margins=margins, label=label,
                            names={what: str(name) for what, name in named.items()})
    return {name: tables[what] for what, name in named.items()}


def _release_rates(numerators: Mapping[str, Memberships], denominator_memberships: Memberships,
                   by: str | Sequence[str], *, policy: DisclosurePolicy, per: float, person: str,
                   margins: bool, label: str | None = None,
                   names: Mapping[str, str] | None = None) -> dict[str, pd.DataFrame]:
    """Rate tables of numerators named by what their errors call them, over one released denominator."""
    by = [by] if isinstance(by, str) else list(by)
    counter = _COUNTER.get()
    if counter is not None:
        return _counted_rates(counter, numerators, denominator_memberships, by, policy=policy, per=per,
                              person=person, margins=margins, label=label or "/".join(by), names=names or {})
    denominator = _prepared(_built(denominator_memberships), by, person, policy, "denominator memberships")
    release, people, positions = _release(denominator, by, policy=policy, person=person, margins=margins,
                                          sensitive=None)
    r, c = positions[:, 0], positions[:, 1]
    n_people = people.counts[r, c]
    tables = {}
    for what, memberships in numerators.items():
        numerator = _prepared(_built(memberships), by, person, policy, what)
        n_events = _events_on_grid(numerator, by, person, people, what)[r, c]
        tables[what] = _rate_table(release, n_people, n_events, policy=policy, per=per)
    return tables


def _counted_rates(counter: CellCounter, numerators: Mapping[str, Memberships], denominator: Memberships,
                   by: list[str], *, policy: DisclosurePolicy, per: float, person: str, margins: bool,
                   label: str, names: Mapping[str, str]) -> dict[str, pd.DataFrame]:
    """Rate tables whose counts are cells of a publication's store (see :func:`counting`)."""
    people = _counted(counter, denominator, by, person=person, policy=policy, margins=margins, label=label,
                      what="denominator memberships")
    keys = people.table[by].astype(str)
    tables = {}
    for what, memberships in numerators.items():
        events = _counted(counter, memberships, by, person=person, policy=policy, margins=margins,
                          label=f"{label}:{names.get(what, what)}", what=what).table
        found = keys.merge(events[by].astype(str).assign(_row=np.arange(len(events))), on=by, how="left")
        row = found["_row"].to_numpy(dtype=float)
        inside = ~np.isnan(row)
        n_events = pd.array(np.zeros(len(keys), dtype=np.int64), dtype="Int64")
        n_events[inside] = events["n_people"].array[row[inside].astype(np.int64)]
        if policy.mode == "formal":  # no one with the event is a fact of the data, not a noisy value:
            n_events[~inside] = pd.NA  # shown as withheld, like a noisy count under the threshold
        table = people.table[[*by, "n_people", "reason"]].copy()
        withheld = pd.Series(n_events).isna().to_numpy()
        table["reason"] = np.where((table["reason"] == "") & withheld, "below_k", table["reason"])
        same = (pd.Series(n_events).fillna(-1).to_numpy() == table["n_people"].fillna(-2).to_numpy())
        table["reason"] = np.where((table["reason"] == "") & same & ~withheld, "homogeneous", table["reason"])
        tables[what] = _rates_from_published(table, by, n_events, per=per)
    return tables


def _rates_from_published(table: pd.DataFrame, by: list[str], n_events: Any, *, per: float) -> pd.DataFrame:
    """Rate table from published counts: what a reader could compute, so inverting it tells nothing."""
    reason = table["reason"].astype(object).to_numpy()
    hide = reason != ""
    people = table["n_people"].fillna(0).to_numpy(dtype=np.int64)
    events = pd.Series(n_events).fillna(0).to_numpy(dtype=np.int64)
    low, high = wilson_interval(events, np.maximum(people, 1))
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = events / people
    out = table[by].copy()
    out["n_people"] = table["n_people"]
    out["n_events"] = pd.array(n_events, dtype="Int64")
    out["n_events"] = out["n_events"].mask(hide)
    for column, values in (("rate", rate), ("rate_low", low), ("rate_high", high)):
        out[column] = np.where(hide, np.nan, np.round(values * per, 1))
    out["suppressed"] = hide
    out["reason"] = pd.array(reason, dtype="string")
    return out


def _rate_table(release: Release, n_people: np.ndarray, n_events: np.ndarray, *, policy: DisclosurePolicy,
                per: float) -> pd.DataFrame:
    """The published rate table of ``release``'s rows, given their true people and event counts."""
    table, by = release.table, list(release.by)
    n_without = n_people - n_events
    k = policy.k
    reason = table["reason"].to_numpy(dtype=object).copy()
    small = ((n_events > 0) & (n_events < k)) | ((n_without > 0) & (n_without < k))
    reason[(reason == "") & small] = "below_k"
    reason[(reason == "") & (n_without == 0)] = "homogeneous"
    table = table[[*by, "n_people"]].assign(reason=pd.array(reason, dtype="string"))
    return _rates_from_published(table, by, policy.round_count(n_events).array, per=per)


def _positions_in(sorted_keys: np.ndarray, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Position of each of ``keys`` in ``sorted_keys``, and whether it is there (else ignore the position)."""
    if not len(sorted_keys):
        return np.zeros(len(keys), dtype=np.int64), np.zeros(len(keys), dtype=bool)
    position = np.searchsorted(sorted_keys, keys).clip(max=len(sorted_keys) - 1)
    return position, sorted_keys[position] == keys


def _events_on_grid(numerator: pd.DataFrame, by: list[str], person: str, people: _Grid,
                    what: str) -> np.ndarray:
    """Distinct people of ``numerator`` on the grid of ``people`` (same rows, columns and margins).

    Each numerator row is coded with the grid's own levels and looked up among its (cell, person)
    memberships; a row that is not one of them is refused.
    """
    n, n_cols, n_people = len(numerator), len(people.col_keys), len(people.people)
    codes = [_codes_in(numerator[column], levels) for column, levels in zip(by, people.levels, strict=True)]
    row_codes = _row_codes(codes[:-1], people.levels[:-1], n)  # all 0 for a one-way table: its one row
    row, known = _positions_in(people.row_index, row_codes)
    person_codes = _codes_in(numerator[person], people.people)
    known &= (row_codes >= 0) & (codes[-1] >= 0) & (person_codes >= 0)
    keys = np.where(known, (row * n_cols + codes[-1]) * n_people + person_codes, -1)
    inside = known & _positions_in(people.pairs, keys)[1]
    if not inside.all():
        raise CaseDataError([Problem(what, int(i) + 1, person, numerator[person].iloc[i],
                                     "a membership also in the denominator")
                             for i in np.flatnonzero(~inside)])
    cell, person_code = np.divmod(keys, max(n_people, 1))
    return _distinct_counts(cell, person_code, (people.counts.shape[0] - 1, n_cols), n_people)[0]


# ----------------------------------------------------------------------------------------------------
# Microdata risk (internal exports)
# ----------------------------------------------------------------------------------------------------

QUASI_IDENTIFIERS: tuple[str, ...] = (
    "sex", "age_group", "nationality", "place_registered", "date_registered", "head_of_household",
    "lgbtiq", "double_affectation", "informal_sector",
)
"""Default key variables: what someone who knows a survivor could know about them."""


def _missing(values: pd.Series) -> np.ndarray:
    missing = values.isna().to_numpy()
    if values.dtype == object or pd.api.types.is_string_dtype(values):
        text = values.astype("string").str.strip().str.casefold()
        missing = missing | text.isin(["", UNKNOWN]).fillna(True).to_numpy(dtype=bool)
    return missing


def _qi_codes(df: pd.DataFrame, quasi_identifiers: Sequence[str]) -> np.ndarray:
    """Integer codes of the key variables, -1 where a value is missing or unknown."""
    codes = np.empty((len(df), len(quasi_identifiers)), dtype=np.int64)
    for j, name in enumerate(quasi_identifiers):
        values = df[name]
        column = pd.factorize(values.astype(object), use_na_sentinel=True)[0]
        column[_missing(values)] = -1
        codes[:, j] = column
    return codes


def _class_sizes(codes: np.ndarray) -> np.ndarray:
    """Number of records compatible with each record; a missing code (-1) matches any value.

    Records are grouped by their pattern of missing values. Two records of patterns a and b are
    compatible when they agree on the key variables known in both, so for each pair of patterns the
    records of a look their key on those shared variables up among the sorted keys of b. Keys are
    mixed-radix integers of the codes (exact, no hashing; rows are ranked instead when the
    product of the cardinalities would overflow). Cost: O(patterns × records × log records).
    """
    n = len(codes)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    known = codes >= 0
    patterns, pattern_of = np.unique(known, axis=0, return_inverse=True)
    pattern_of = pattern_of.ravel()
    members = [np.flatnonzero(pattern_of == a) for a in range(len(patterns))]
    cardinalities = [max(int(c) + 1, 1) for c in codes.max(axis=0)]
    weights = np.cumprod([1, *cardinalities[:-1]], dtype=object)
    exact_int = math.prod(cardinalities) < 2**62

    def shared_keys(rows_a: np.ndarray, rows_b: np.ndarray, shared: np.ndarray) -> tuple[np.ndarray, ...]:
        block_a, block_b = codes[np.ix_(rows_a, shared)], codes[np.ix_(rows_b, shared)]
        if exact_int:
            w = weights[shared].astype(np.int64)
            return block_a @ w, block_b @ w
        inverse = np.unique(np.vstack([block_a, block_b]), axis=0, return_inverse=True)[1].ravel()
        return inverse[:len(rows_a)], inverse[len(rows_a):]

    sizes = np.zeros(n, dtype=np.int64)
    for a, rows_a in enumerate(members):
        for b, rows_b in enumerate(members):
            keys_a, keys_b = shared_keys(rows_a, rows_b, patterns[a] & patterns[b])
            keys_b = np.sort(keys_b)
            sizes[rows_a] += (np.searchsorted(keys_b, keys_a, side="right")
                              - np.searchsorted(keys_b, keys_a, side="left"))
    return sizes


def _resolve_qi(df: pd.DataFrame, quasi_identifiers: Sequence[str] | None) -> list[str]:
    if quasi_identifiers is None:
        return [q for q in QUASI_IDENTIFIERS if q in df.columns]
    quasi_identifiers = list(quasi_identifiers)
    _require_columns(df, quasi_identifiers, "microdata")
    return quasi_identifiers


def equivalence_class_sizes(df: pd.DataFrame,
                            quasi_identifiers: Sequence[str] | None = None) -> pd.Series:
    """Size of each record's equivalence class on the quasi-identifiers (its ``f_k``).

    Missing values (NA, NaT, ``""``, ``"unknown"``) follow sdcMicro's default (``alpha = 1``): a missing
    value could be anything, so it matches every value. The size of a record is the number of records
    compatible with it: equal on every key variable known in both. A complete record's class therefore
    holds its exact copies plus the records with gaps that could be it; a record with gaps counts every
    record agreeing on its known values. This is what makes local suppression (setting a value to
    unknown) protect a record, and it is the reading an attacker with the same data would make. Values
    are compared as given: a day-level date is a day-level key (see :func:`generalise`).

    Parameters
    ----------
    df : DataFrame
        One row a person; any index (duplicates allowed): the work is positional.
    quasi_identifiers : list of str, optional
        Key variables; by default those of :data:`QUASI_IDENTIFIERS` present in ``df``.

    Returns
    -------
    Series of int aligned to ``df.index``.
    """
    qi = _resolve_qi(df, quasi_identifiers)
    return pd.Series(_class_sizes(_qi_codes(df, qi)), index=df.index, name="class_size")


def individual_risk(df: pd.DataFrame, quasi_identifiers: Sequence[str] | None = None) -> pd.Series:
    """Re-identification risk of each record, ``1 / f_k``.

    Case-management data is a census of the cases held, not a sample, so sdcMicro's individual risk
    reduces exactly to the inverse of the class size (``indivRisk`` with ``survey = FALSE``).
    """
    return (1.0 / equivalence_class_sizes(df, quasi_identifiers)).rename("risk")


@dataclass(frozen=True)
class RiskSummary:
    """Disclosure risk of a microdata table on its quasi-identifiers.

    ``k_min`` is the smallest class size (the table is k-anonymous for any k ≤ ``k_min``);
    ``mean_risk`` is sdcMicro's global risk (mean of ``1 / f_k``), gated at 3 % by HDX;
    ``n_over_threshold`` counts records whose risk exceeds ``1 / k`` (class smaller than k), and
    ``records_at_risk`` holds their index labels.
    """

    quasi_identifiers: tuple[str, ...]
    k: int
    n_records: int
    k_min: int
    mean_risk: float
    max_risk: float
    n_over_threshold: int
    records_at_risk: pd.Index

    def passes(self, *, max_mean_risk: float = 0.03) -> bool:
        """Whether the table is k-anonymous and its mean risk is below ``max_mean_risk``."""
        return self.k_min >= self.k and self.mean_risk < max_mean_risk


def _summary(df: pd.DataFrame, qi: Sequence[str], sizes: np.ndarray, k: int) -> RiskSummary:
    if len(sizes) == 0:
        return RiskSummary(tuple(qi), k, 0, 0, 0.0, 0.0, 0, df.index[:0])
    at_risk = sizes < k
    risk = 1.0 / sizes
    return RiskSummary(tuple(qi), k, len(sizes), int(sizes.min()), float(risk.mean()), float(risk.max()),
                       int(at_risk.sum()), df.index[at_risk])


def risk_summary(df: pd.DataFrame, quasi_identifiers: Sequence[str] | None = None, *,
                 k: int = 11) -> RiskSummary:
    """k-anonymity and re-identification risk of ``df`` (see :func:`equivalence_class_sizes`)."""
    qi = _resolve_qi(df, quasi_identifiers)
    return _summary(df, qi, _class_sizes(_qi_codes(df, qi)), k)


@dataclass(frozen=True)
class Level:
    """One step of a generalisation hierarchy: a name and a recoding of the *original* values.

    ``recode`` maps the column as read to this level (missing stays missing), so levels of one
    hierarchy are independent and the coarsest reached is applied once.
    """

    name: str
    recode: Callable[[pd.Series], pd.Series]


def level_from_mapping(name: str, mapping: Mapping[Any, Any]) -> Level:
    """A level that recodes values through ``mapping`` (values not in it become missing).

    Use it for places: ``level_from_mapping("admin1", dict(zip(gaz["place_id"], gaz["admin1"])))``.
    """
    table = dict(mapping)
    return Level(name, lambda values: values.map(table))


def _date_level(freq: str) -> Callable[[pd.Series], pd.Series]:
    def recode(values: pd.Series) -> pd.Series:
        periods = _as_datetime(values).dt.to_period(freq)
        return periods.astype(str).where(periods.notna())
    return recode


def _child_or_adult(values: pd.Series) -> pd.Series:
    known = ~pd.Series(_missing(values), index=values.index)
    return pd.Series(np.where(values.isin(CHILD_AGE_GROUPS), "child", "adult"),
                     index=values.index, dtype=object).where(known)


def _venezuelan_or_other(values: pd.Series) -> pd.Series:
    known = ~pd.Series(_missing(values), index=values.index)
    return pd.Series(np.where(values.eq("VEN"), "VEN", "other"), index=values.index,
                     dtype=object).where(known)


DEFAULT_HIERARCHIES: Mapping[str, tuple[Level, ...]] = MappingProxyType({
    "date_registered": (Level("month", _date_level("M")), Level("quarter", _date_level("Q")),
                        Level("year", _date_level("Y"))),
    "age_group": (Level("child/adult", _child_or_adult),),
    "nationality": (Level("VEN/other", _venezuelan_or_other),),
})
"""Recodings :func:`generalise` may apply, finest first. Places need the gazetteer: pass
``hierarchies={"place_registered": (level_from_mapping("admin1", ...), level_from_mapping("country",
...))}``; without one, places are protected by local suppression only."""


@dataclass(frozen=True)
class GeneralisationReport:
    """What :func:`generalise` did and the risk before and after."""

    quasi_identifiers: tuple[str, ...]
    k: int
    max_mean_risk: float
    recodings: tuple[tuple[str, str], ...]
    suppressed_values: Mapping[str, int]
    n_records_suppressed: int
    before: RiskSummary
    after: RiskSummary

    @property
    def passed(self) -> bool:
        """Whether the result is k-anonymous with mean risk below the gate."""
        return self.after.passes(max_mean_risk=self.max_mean_risk)

    def __str__(self) -> str:
        lines = [
            f"k-anonymity {self.before.k_min} → {self.after.k_min} (target {self.k}); "
            f"mean risk {self.before.mean_risk:.1%} → {self.after.mean_risk:.1%} "
            f"(gate {self.max_mean_risk:.0%}); {'passed' if self.passed else 'NOT passed'}",
        ]
        lines += [f"recoded {qi} to {level}" for qi, level in self.recodings]
        lines += [f"set {n} value{'s' if n != 1 else ''} of {qi} to unknown"
                  for qi, n in self.suppressed_values.items() if n]
        lines.append(f"{self.n_records_suppressed} of {self.after.n_records} records have a suppressed value")
        return "\n".join(lines)


def _suppress(column: pd.Series, rows: np.ndarray) -> pd.Series:
    """``column`` with the values at positions ``rows`` set to unknown (NaT / NA for non-text)."""
    mask = np.zeros(len(column), dtype=bool)
    mask[rows] = True
    if column.dtype == object or pd.api.types.is_string_dtype(column):
        return column.mask(mask, UNKNOWN)
    return column.mask(mask)


def generalise(df: pd.DataFrame, quasi_identifiers: Sequence[str] | None = None, *, k: int = 11,
               max_mean_risk: float = 0.03, hierarchies: Mapping[str, Sequence[Level]] | None = None,
               max_suppressed_share: float = 0.05) -> tuple[pd.DataFrame, GeneralisationReport]:
    """Recode and suppress quasi-identifiers until the table is k-anonymous with mean risk below the gate.

    1. Global recoding, one hierarchy step at a time: the step that leaves the fewest records under k
       (then the lowest mean risk) is applied, until at most ``max_suppressed_share`` of the records are
       under k and the mean risk would pass once they are fixed, or no step is left.
    2. Local suppression: each record still under k gets the key value whose removal (set to unknown)
       grows its class most; repeated until every class has k records. If the mean risk is still at or
       above ``max_mean_risk``, the target class size is raised (× 1.5) and suppression continues; a
       class of at least ``1 / max_mean_risk`` everywhere always passes.

    The defaults are the HDX gate (mean risk < 3 %) and CTDC's k = 11. Measure after treatment: the
    report's ``after`` is recomputed from the returned table.

    Returns
    -------
    (DataFrame, GeneralisationReport)
        A copy of ``df`` with the key columns recoded (as text) or set to unknown; other columns as given.

    Raises
    ------
    DisclosureError
        When the table has fewer than ``max(k, 1 / max_mean_risk)`` records: no treatment can pass.
    """
    qi = _resolve_qi(df, quasi_identifiers)
    hierarchies = DEFAULT_HIERARCHIES if hierarchies is None else hierarchies
    needed = max(k, math.floor(1 / max_mean_risk) + 1)
    if len(df) < needed:
        raise DisclosureError("microdata", [f"{len(df)} records: at least {needed} are needed to reach "
                                            f"k={k} and a mean risk under {max_mean_risk:.0%}"])
    out = df.copy()
    for q in qi:
        if isinstance(out[q].dtype, pd.CategoricalDtype):
            out[q] = out[q].astype(object)
    before = _summary(df, qi, _class_sizes(_qi_codes(df, qi)), k)
    recodings: list[tuple[str, str]] = []
    depth = dict.fromkeys(qi, 0)

    def sizes_of(frame: pd.DataFrame) -> np.ndarray:
        return _class_sizes(_qi_codes(frame, qi))

    sizes = sizes_of(out)
    while True:
        under = sizes < k
        estimate = np.minimum(1.0 / sizes, 1.0 / k).mean()
        if under.mean() <= max_suppressed_share and estimate < max_mean_risk:
            break
        steps = [q for q in qi if depth[q] < len(hierarchies.get(q, ()))]
        if not steps:
            break
        trials = []
        for q in steps:
            level = hierarchies[q][depth[q]]
            trial = out.assign(**{q: level.recode(df[q]).to_numpy()})
            trial_sizes = sizes_of(trial)
            trials.append(((int((trial_sizes < k).sum()), float((1.0 / trial_sizes).mean())), q, trial,
                           trial_sizes))
        _, q, out, sizes = min(trials, key=lambda t: t[0])
        recodings.append((q, hierarchies[q][depth[q]].name))
        depth[q] += 1

    suppressed = np.zeros((len(out), len(qi)), dtype=bool)
    order = sorted(range(len(qi)), key=lambda j: -out[qi[j]].nunique())
    target = k
    while True:
        risky = np.flatnonzero(sizes < target)
        if len(risky) == 0:
            if (1.0 / sizes).mean() < max_mean_risk:
                break
            target = min(math.ceil(target * 1.5), len(out))
            continue
        gains = np.full((len(risky), len(qi)), -1, dtype=np.int64)
        for j in order:
            open_rows = risky[~suppressed[risky, j]]
            if len(open_rows) == 0:
                continue
            trial = out.assign(**{qi[j]: _suppress(out[qi[j]], open_rows).to_numpy()})
            gains[:, j] = np.where(suppressed[risky, j], -1, sizes_of(trial)[risky])
        if (gains < 0).all():
            break  # every key of every risky record is already unknown
        ranked = gains[:, order]
        best = np.asarray(order)[np.argmax(ranked, axis=1)]
        for j in np.unique(best):
            rows = risky[(best == j) & (gains[np.arange(len(risky)), j] >= 0)]
            out[qi[j]] = _suppress(out[qi[j]], rows).to_numpy()
            suppressed[rows, j] = True
        sizes = sizes_of(out)

    after = _summary(out, qi, sizes, k)
    report = GeneralisationReport(
        tuple(qi), k, max_mean_risk, tuple(recodings),
        MappingProxyType({q: int(suppressed[:, j].sum()) for j, q in enumerate(qi)}),
        int(suppressed.any(axis=1).sum()), before, after,
    )
    return out, report


# ----------------------------------------------------------------------------------------------------
# Output guards
# ----------------------------------------------------------------------------------------------------

_H3_COLUMNS = ("h3", "h3_cell", "hex", "hex_id")
_LAT_LON = (("lat", "lon"), ("latitude", "longitude"), ("lat", "lng"))
_DAY_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2}/\d{1,2}/\d{4}\b")
_MAX_LISTED = 5


def _is_geodataframe(obj: object) -> bool:
    """Whether ``obj`` is a GeoDataFrame, without importing GeoPandas (if never imported, it is not one)."""
    geopandas = sys.modules.get("geopandas")
    return geopandas is not None and isinstance(obj, geopandas.GeoDataFrame)


def _known_coordinates(known_points: Any) -> pd.MultiIndex:
    import shapely

    if known_points is None:
        coords = np.empty((0, 2))
    elif hasattr(known_points, "geometry") or hasattr(known_points, "geom_type"):
        geometry = getattr(known_points, "geometry", known_points)
        coords = shapely.get_coordinates(np.asarray(geometry))
    else:
        array = np.asarray(known_points)
        coords = shapely.get_coordinates(array) if array.dtype == object else array.reshape(-1, 2)
    rounded = np.round(coords.astype(float), 6)
    return pd.MultiIndex.from_arrays([rounded[:, 0], rounded[:, 1]])


def _fine_points(x: np.ndarray, y: np.ndarray, known: pd.MultiIndex) -> np.ndarray:
    """Which (x, y) are neither a known point nor rounded to 2 decimals (≈ 1.1 km)."""
    coarse = (np.abs(x * 100 - np.round(x * 100)) < 1e-6) & (np.abs(y * 100 - np.round(y * 100)) < 1e-6)
    is_known = pd.MultiIndex.from_arrays([np.round(x, 6), np.round(y, 6)]).isin(known)
    present = ~(np.isnan(x) | np.isnan(y))
    return present & ~coarse & ~is_known


def _rows(frame: pd.DataFrame, mask: np.ndarray) -> str:
    labels = frame.index[mask][:_MAX_LISTED].tolist()
    more = int(mask.sum()) - len(labels)
    return ", ".join(map(repr, labels)) + (f" and {more} more" if more > 0 else "")


def _table_violations(frame: pd.DataFrame, policy: DisclosurePolicy, layer: str | None,
                      known_points: Any, require_layer: bool) -> list[str]:
    violations = []
    geometry = frame.geometry.name if _is_geodataframe(frame) else None
    columns = [c for c in frame.columns if c != geometry]
    allowed = policy.allowed_fields.get(layer, ()) if layer is not None else ()
    for column in identifying_columns(c for c in columns if c not in allowed):
        violations.append(f"column {column!r} is a direct identifier or free text")
    if policy.audience == "public":
        ids = {f.name for fields in TABLES.values() for f in fields if f.role == Role.PSEUDONYMOUS_ID}
        violations += [f"column {c!r} holds case ids (links records)" for c in columns if c in ids]
        if "reason" in columns and frame["reason"].astype("string").isin(["below_k", "homogeneous"]).any():
            violations.append("column 'reason' tells which cells are small or homogeneous; drop it")
    for column in columns:
        values = frame[column]
        if str(column).startswith("n_") and pd.api.types.is_numeric_dtype(values):
            numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
            small = (numbers > 0) & (numbers < policy.k)
            if small.any():
                violations.append(f"column {column!r}, rows {_rows(frame, small)}: counts "
                                  f"{sorted(set(numbers[small].astype(int).tolist()))[:_MAX_LISTED]}, "
                                  f"expected 0 or at least k={policy.k}")
        violations += _date_violations(frame, column, policy)
        if column in _H3_COLUMNS:
            violations += _h3_violations(frame, column, policy)
    known = _known_coordinates(known_points)
    for lat, lon in _LAT_LON:
        if lat in frame.columns and lon in frame.columns:
            y = pd.to_numeric(frame[lat], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
            x = pd.to_numeric(frame[lon], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
            fine = _fine_points(x, y, known)
            if fine.any():
                violations.append(f"columns {lat!r}/{lon!r}, rows {_rows(frame, fine)}: coordinates finer "
                                  "than 2 decimals that are not gazetteer places")
    if _is_geodataframe(frame) and frame.geometry.name in frame.columns:
        violations += _point_violations(frame, known)
    if layer is not None:
        if layer not in policy.allowed_fields:
            violations.append(f"no allow-list for product {layer!r} in the policy "
                              f"(known: {', '.join(policy.allowed_fields)})")
        extra = [c for c in columns if c not in allowed]
        if extra and layer in policy.allowed_fields:
            violations.append(f"properties {extra} are not in the allow-list of {layer!r}")
    elif require_layer:
        violations.append("a GeoDataFrame embeds every property: name its allow-list with layer=")
    return violations


def _date_violations(frame: pd.DataFrame, column: str, policy: DisclosurePolicy) -> list[str]:
    values = frame[column]
    allowed = _TIME_RANK[_TIME_FREQ[policy.time_unit]]
    if isinstance(values.dtype, pd.PeriodDtype):
        freq = values.dtype.freq.freqstr
        rank = _TIME_RANK.get(freq.split("-")[0], 0)
        if rank < allowed:
            return [f"column {column!r} holds periods of {freq}, finer than a "
                    f"{policy.time_unit}"]
        return []
    if not pd.api.types.is_datetime64_any_dtype(values):
        return []
    dates = _as_datetime(values)
    start = dates.dt.to_period(_TIME_FREQ[policy.time_unit]).dt.start_time
    fine = (dates.notna() & dates.ne(start)).to_numpy()
    if fine.any():
        return [f"column {column!r}, rows {_rows(frame, fine)}: dates finer than a {policy.time_unit}"]
    return []


def _h3_violations(frame: pd.DataFrame, column: str, policy: DisclosurePolicy) -> list[str]:
    import h3

    cells = pd.unique(frame[column].dropna().astype(str))
    fine = [c for c in cells if h3.is_valid_cell(c) and h3.get_resolution(c) > policy.max_h3_resolution]
    if fine:
        return [f"column {column!r}: H3 cells finer than resolution {policy.max_h3_resolution} "
                f"(e.g. {fine[0]!r} at {h3.get_resolution(fine[0])})"]
    return []


def _point_violations(frame: pd.DataFrame, known: pd.MultiIndex) -> list[str]:
    import shapely

    geometry = np.asarray(frame.geometry.array)
    types = shapely.get_type_id(geometry)
    points = (types == 0) | (types == 4)  # Point, MultiPoint
    if not points.any():
        return []
    coords, owner = shapely.get_coordinates(geometry[points], return_index=True)
    fine_coords = _fine_points(coords[:, 0], coords[:, 1], known)
    fine = np.zeros(len(frame), dtype=bool)
    fine[np.flatnonzero(points)[np.unique(owner[fine_coords])]] = True
    if fine.any():
        return [f"geometry, rows {_rows(frame, fine)}: points finer than 2 decimals that are not "
                "gazetteer places (a survivor's own location?)"]
    return []


def check_publishable(product: pd.DataFrame | str, *, policy: DisclosurePolicy, name: str,
                      kind: Literal["table", "geodataframe", "html", "text"] | None = None,
                      layer: str | None = None, known_points: Any = None) -> None:
    """Refuse to publish a product that breaks the policy; returns None when it passes.

    Checks, by kind:

    - ``table`` / ``geodataframe``: no direct-identifier or free-text column (schema roles), no case
      id in public products (a column the ``layer``'s allow-list names is accepted: a place's
      ``name`` is not a person's), no ``reason`` column naming small cells, no ``n_*`` count from 1 to k-1,
      no datetime finer than the policy's time unit, no H3 cell finer than its resolution, no point
      (geometry or lat/lon columns) that is neither one of ``known_points`` (e.g. the gazetteer's place
      points) nor rounded to 2 decimals, and, when ``layer`` names a product of
      ``policy.allowed_fields``, no column outside its allow-list. GeoDataFrames embed every property,
      so for them ``layer`` is required. Only points are checked: lines and polygons are drawn between
      or around places.
    - ``html``: a CSP meta element before any script, without ``'unsafe-inline'``/``'unsafe-eval'``,
      with ``object-src`` and ``base-uri`` ``'none'`` and the hash of every inline script; no inline
      event handler attributes. Escaping of user text is :func:`escape_text`'s job, not checked here.
    - ``text``: no day-level date (``2024-03-15``, ``15/03/2024``).

    Parameters
    ----------
    product : DataFrame, GeoDataFrame or str
    policy : DisclosurePolicy
    name : str
        What the product is called in the error (file name, layer name).
    kind : {"table", "geodataframe", "html", "text"}, optional
        Inferred when omitted.
    layer : str, optional
        Key of ``policy.allowed_fields`` listing the properties the product may hold.
    known_points : GeoSeries, array of points or (n, 2) array of lon/lat, optional

    Raises
    ------
    DisclosureError
        Listing every violation found.
    """
    if kind is None:
        if isinstance(product, pd.DataFrame):
            kind = "geodataframe" if _is_geodataframe(product) else "table"
        else:
            kind = "html" if re.match(r"\s*(<!doctype html|<html)", str(product), re.IGNORECASE) else "text"
    if kind in ("table", "geodataframe"):
        if not isinstance(product, pd.DataFrame):
            raise TypeError(f"{name}: a {kind} product must be a DataFrame, got {type(product).__name__}")
        violations = _table_violations(product, policy, layer, known_points, kind == "geodataframe")
    elif kind == "html":
        violations = page_violations(str(product))
    elif kind == "text":
        dates = sorted(set(_DAY_DATE.findall(str(product))))
        violations = [f"day-level dates {dates[:_MAX_LISTED]}"] if dates else []
    else:
        raise PolicyError(f"kind={kind!r}: expected 'table', 'geodataframe', 'html' or 'text'")
    if violations:
        raise DisclosureError(name, violations)


def pseudonymise(ids: pd.Series, key: str | bytes, *, length: int = 16) -> pd.Series:
    """Keyed pseudonyms: HMAC-SHA256 of each id, as ``length`` hex characters.

    The key comes from the analyst and is never stored by ``routes``: without it the pseudonyms can be
    neither reversed nor recomputed from a guessed id (an unkeyed hash of a case code can). The same key
    gives the same pseudonym, so tables pseudonymised with one key still join. Missing ids stay missing.
    """
    if not key:
        raise PolicyError("pseudonymise needs a non-empty secret key; choose one and keep it off the data")
    if not 8 <= length <= 64:
        raise PolicyError(f"length={length}: expected 8 to 64 hex characters")
    secret = key.encode("utf-8") if isinstance(key, str) else bytes(key)
    uniques = pd.unique(ids.dropna().astype(str))
    table = {value: hmac.new(secret, value.encode("utf-8"), hashlib.sha256).hexdigest()[:length]
             for value in uniques}
    return ids.astype(str).map(table).where(ids.notna())
