"""The cells of one publication: every count of distinct people any product shows, held once.

A :class:`CellStore` is what :func:`routes.privacy.release_counts` and
:func:`routes.privacy.release_rates` count into while a release is being built
(:func:`routes.privacy.counting`). Each cell is a named set of people (``label``, the ``by`` columns
and their values): the map's segment table, a brief's corridor total and a risk at a place are all
cells of one store, so the same cell has the same published value in every product and language.

Protection is a property of the whole store, not of one table (:meth:`CellStore.protect`):

1. primary suppression of cells with 1 to k-1 people;
2. cells with the same people share one fate (a cell withheld here is withheld everywhere);
3. nested complements: when one published cell's people are a subset of another's and the
   difference, as the published (rounded) values bound it, must hold 1 to k-1 people, the smaller
   cell is withheld;
4. linked margins: for every withheld cell under k, the interval its value can take given every
   published cell that shares people with it (:func:`routes.publish.audit.cell_interval`, linear
   programming over the groups of people the cells define) must reach k; while it does not, the
   smallest published cell sharing people with it is withheld too;
5. margins read as sums: a parent (a place) minus its published children (the segments out of it)
   must not bound a withheld child under k, whatever the children's overlap
   (:func:`routes.publish.audit.margin_leaks`); while it does, the smallest published child is
   withheld too;
6. members of a pooled data set (:attr:`CellStore.contributors`): a coalition, one member or two
   of one kind pooling their records, subtracts its own people from a published cell's rounding
   interval (the cell is withheld, ``dominance``, when that leaves the others 1 to k-1), from a
   withheld cell's interval (certified in step 4), and from what a margin family bounds its
   withheld children to hold (:func:`routes.publish.audit.contributor_margin_leaks`; the
   smallest published child, else the parent, is withheld until no coalition pins the others).

Withholding more only widens every interval, so step 4 ends and its certificates stay valid after
steps 5 and 6; steps 5 and 6 withhold a cell each round or stop, so they end too.

The store keeps exact counts and memberships: it never leaves the analyst's machine.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from scipy import sparse

from routes.privacy import TOTAL, DisclosurePolicy, PeopleOf, Release

if TYPE_CHECKING:
    from routes.publish.audit import MarginFamily
    from routes.publish.formal import FormalPlan, PublicDomain

__all__ = [
    "POOLING", "UNSEEN", "CellKey", "CellStore", "MemberKind", "Sticky", "pooling", "rounding_interval",
    "with_pairs",
]

CellKey = tuple[str, tuple[str, ...], tuple[str, ...]]
"""(label, by columns, by values as text): what names a cell across products and releases."""

#: Why a cell is withheld (``reason``): for the analyst and the manifest's counts, never per cell in a page.
REASONS = (
    "below_k", "dominance", "same_people", "complement", "linked", "previous_release", "noise_threshold",
    "unseen",
)

#: The reason of a cell new to a table an earlier release of the period showed (someone entered since,
#: fewer than k in a revision): products show it as that release did, as no one, not as withheld.
UNSEEN = "unseen"


def _mix(codes: np.ndarray) -> np.ndarray:
    """splitmix64 of person codes: a sum of these over a set is the set's (order-free) hash."""
    z = codes.astype(np.uint64)  # a copy, mixed in place (tens of millions of memberships)
    z += np.uint64(0x9E3779B97F4A7C15)
    with np.errstate(over="ignore"):
        for shift, factor in ((30, 0xBF58476D1CE4E5B9), (27, 0x94D049BB133111EB)):
            z ^= z >> np.uint64(shift)
            z *= np.uint64(factor)
    z ^= z >> np.uint64(31)
    return z


def rounding_interval(published: np.ndarray, policy: DisclosurePolicy) -> tuple[np.ndarray, np.ndarray]:
    """The true counts a published (rounded) count can stand for: ``[low, high]`` per value.

    With k=11 and rounding to 5, 15 stands for 11..17 (11 and 12 are shown as 15), 20 for 18..22, 0
    for 0. This is what a reader who knows the policy can deduce, and what the audit assumes.
    """
    values = np.asarray(published, dtype=np.int64)
    step = policy.rounding
    low = values - step // 2
    high = values + (step - 1) // 2
    low = np.where(values == policy.smallest_published, policy.k, low)
    zero = values == 0
    return np.where(zero, 0, low), np.where(zero, 0, high)


#: Kinds of member whose members may pool their records: organisations of a pooled data set (a
#: consortium lead, a data-sharing agreement); they are attacked in pairs, and through the margin
#: families too. Offices of registration are attacked one at a time on each cell: two offices are
#: one organisation's staff, who hold its whole data set anyway, and pairing them, or attacking
#: them through the margin families, withheld a fifth of the sample's cells and every segment and
#: pattern of a 150-person export.
POOLING = ("organisation",)


def pooling(kinds: list[MemberKind]) -> list[MemberKind]:
    """The kinds of :data:`POOLING` among ``kinds``: those attacked through the margin families."""
    return [kind for kind in kinds if kind.pools]


@dataclass(frozen=True)
class MemberKind:
    """One kind of member (organisations, offices): ``counts``, cells × members, the people of each
    cell each member recorded; ``pools``, whether two of them are a coalition (:data:`POOLING`)."""

    counts: sparse.coo_matrix
    pools: bool


@dataclass(frozen=True)
class Sticky:
    """A cell as an earlier release of the same data set and period published it (from the ledger)."""

    published: int | None
    exact: int
    reason: str = ""


@dataclass(frozen=True)
class _Layout:
    """The cells one count of a table found: what reading the table again needs, without its people."""

    rows: int  # memberships counted
    cells: pd.DataFrame  # the ``by`` columns, one row a cell (margins last), in the table's order
    index: np.ndarray  # the store's cell of each row
    is_margin: np.ndarray  # rows that are margins (a ``by`` value is TOTAL)


@dataclass
class _Base:
    """A membership table many counts take some people's rows of: its rows' person codes, and for
    each combination of its columns counted, every cell's distinct people (:func:`_distinct_pairs`),
    found once for every subset of its people."""

    table: pd.DataFrame  # (kept: its id stays its own)
    codes: np.ndarray  # store person code of each row
    rows: np.ndarray  # rows of each category of the person column
    #: columns → (where each cell's people start, the people, each cell's values per column)
    pairs: dict[tuple[str, ...], tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]]


class CellStore:
    """Every cell of one publication, counted once, protected together (see the module docstring).

    Parameters
    ----------
    policy : DisclosurePolicy
        Threshold and rounding.
    """

    def __init__(self, policy: DisclosurePolicy) -> None:
        self.policy = policy
        self._people = pd.Index([], dtype=object)  # person ids in the order of their codes
        self._people_text = pa.array([], type=pa.large_string())  # the same, for Arrow's lookups
        #: id of a categorical's categories → (the categories, the person code of each, -1 when not yet seen)
        self._category_codes: dict[int, tuple[pd.Index, np.ndarray]] = {}
        #: id of a categorical's categories → (the categories, the rank of each then -1, the ranked values)
        self._category_ranks: dict[int, tuple[pd.Index, np.ndarray, np.ndarray]] = {}
        #: Public-source mode: people affected per person id (a record's ``weight``); a cell's count
        #: is then the sum over its distinct people (one each when missing). ``None``: one each.
        self.weights: pd.Series | None = None
        self._weight_of = np.zeros(0, dtype=float)  # weight per person code
        #: Default mode: who recorded each person id (index), one column a kind of member (the
        #: organisation, the office of registration), when cases are pooled from several: a member knows
        #: its own records and can subtract them from a published count. ``None``: one source.
        self.contributors: pd.DataFrame | None = None
        self._index: dict[CellKey, int] = {}
        self.keys: list[CellKey] = []
        self._members: list[np.ndarray] = []
        self._hashes: list[int] = []
        #: Each person's pattern of membership, refined as cells are registered: two people have the
        #: same number when exactly the same cells hold them (see :meth:`shared_people`).
        self._pattern = np.zeros(0, dtype=np.int64)
        self._patterns = 1  # numbers given so far (0: in no cell yet)
        self._mix_of = np.zeros(0, dtype=np.uint64)  # :func:`_mix` of each person code
        #: Each number's pattern before the split that gave it, and the cell of that split (one
        #: array a registered cell): following them back from a number lists its pattern's cells.
        self._split_from: list[np.ndarray] = [np.zeros(1, dtype=np.int64)]
        self._split_by: list[np.ndarray] = [np.full(1, -1, dtype=np.int64)]
        self._renumber = np.zeros(0, dtype=np.int64)  # scratch of :meth:`_split_patterns`
        self.exact = np.zeros(0, dtype=np.int64)
        self._exact: list[int] = []
        self.published: np.ndarray | None = None  # float, NaN when withheld
        self.reason: np.ndarray | None = None  # object: "" or one of REASONS
        self.frozen_values: set[int] = set()  # cells whose value comes from an earlier release
        self.interval_high: dict[int, float] = {}  # withheld cell → most people the published cells allow
        #: withheld cell → fewest people the published cells allow, where a contributor's own records
        #: made the protection compute it
        self.interval_low: dict[int, float] = {}
        #: cells × people (:meth:`membership_matrix`) and cells × cells shared people, as
        #: :meth:`protect` computed them (the audit attacks the same store: no second product)
        self.overlap: tuple[sparse.csr_matrix, sparse.csr_matrix] | None = None
        self.formal_plan: FormalPlan | None = None  # the noise of a formal release
        #: Formal mode: keys known without the data (set before :meth:`protect`); see
        #: :class:`routes.publish.formal.PublicDomain`.
        self.public_domain: PublicDomain | None = None
        self._tables: dict[tuple[str, tuple[str, ...]], bool] = {}  # every table counted → margins
        #: Keys no one is counted in that products still show: a formal release's public keys (their
        #: noisy value, NaN when not shown) and the cells an earlier release of the period showed
        #: whose people have all left (:meth:`_carry_emptied`); with their reason.
        self.empty_public: dict[CellKey, tuple[float, str]] = {}
        self._empty_tables: dict[tuple[str, tuple[str, ...]], list[tuple[tuple[str, ...], float, str]]] = {}
        #: (label, by, margins) → the cells of each count of that table, in order; and how many
        #: times each was read since :meth:`protect` (see :meth:`table`)
        self._layouts: dict[tuple[str, tuple[str, ...], bool], list[_Layout]] = {}
        self._reads: dict[tuple[str, tuple[str, ...], bool], int] = {}
        #: id of a shared membership table → it, its person codes, its rows per category, and the
        #: distinct pairs of each combination of its columns counted (see :meth:`table_of_people`)
        self._bases: dict[int, _Base] = {}

    # -- counting ---------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.keys)

    @property
    def tables(self) -> frozenset[tuple[str, tuple[str, ...]]]:
        """Every table counted before :meth:`protect`, as (label, by columns): what is protected, the
        same for every noise draw (:meth:`check_reads`)."""
        return frozenset(self._tables)

    @property
    def protected(self) -> bool:
        """Whether :meth:`protect` has run: tables read from now on carry final values."""
        return self.published is not None

    def _person_codes(self, persons: pd.Series) -> np.ndarray:
        """A code per row's person: people new to the store get the next codes, in sorted order.

        A categorical's categories are looked up once and remembered: the network's membership
        tables share theirs, so a table of a million memberships costs one gather, not a million
        hash lookups of text.
        """
        if not isinstance(persons.dtype, pd.CategoricalDtype):
            row, distinct = pd.factorize(persons, sort=False)
            return self._codes_of(pd.Index(distinct).astype(str))[row]
        categories = persons.cat.categories
        row = np.asarray(persons.cat.codes, dtype=np.int64)
        known = self._category_codes.get(id(categories))
        if known is None or known[0] is not categories:  # (the categories are kept: their id stays theirs)
            known = next(
                (seen for seen in self._category_codes.values() if seen[0].equals(categories)),
                (categories, np.full(len(categories), -1, dtype=np.int64)),
            )  # equal categories (a copy of the network's) share their codes
            self._category_codes[id(categories)] = (categories, known[1])
        codes = known[1]
        coded = codes[row]
        new = (coded < 0) & (row >= 0)  # rows of people not coded yet
        if new.any():  # (text categories are distinct text: no need to factorize them again)
            unknown = np.flatnonzero(np.bincount(row[new], minlength=len(categories)))
            ids = pd.Index(categories[unknown])
            text = isinstance(ids.dtype, pd.StringDtype)
            codes[unknown] = self._codes_of(ids if text else ids.astype(str), distinct=text)
            coded = codes[row]
        return coded

    def _codes_of(self, texts: pd.Index, *, distinct: bool = False) -> np.ndarray:
        """The person code of each of ``texts`` (``distinct``: no id twice); people new to the store
        get the next codes, in sorted order of their ids.

        Looked up in Arrow, no Python string per person: the store's ids are looked up among
        ``texts`` (a hash of the fewer ids, probed by the more), so a table of a corridor's people
        does not hash the million ids of the store again. Only the new ids are sorted.
        """
        inverse, distinct_texts = (None, texts) if distinct else pd.factorize(texts, sort=False)
        text = pa.array(pd.Series(distinct_texts, dtype="string[pyarrow]")).cast(pa.large_string())
        if len(text) < len(self._people_text):
            where = pc.index_in(self._people_text, value_set=text)  # each known person's place in text
            known = np.flatnonzero(where.is_valid().to_numpy(zero_copy_only=False))
            codes = np.full(len(text), -1, dtype=np.int64)
            codes[np.asarray(where.drop_null().to_numpy(), dtype=np.int64)] = known
        else:
            found = pc.fill_null(pc.index_in(text, value_set=self._people_text), -1)
            codes = np.array(found.to_numpy(zero_copy_only=False), dtype=np.int64)
        new = np.flatnonzero(codes < 0)
        if len(new):  # the store grows only when someone is new, in sorted order of the new ids
            # (sorted in Arrow: UTF-8 bytes sort as Python sorts text, by code point; ids are distinct)
            order = new[np.asarray(pc.sort_indices(text.take(pa.array(new))).to_numpy(), dtype=np.int64)]
            codes[order] = len(self._people) + np.arange(len(order))
            added = pd.Index(np.asarray(distinct_texts, dtype=object)[order], dtype=object)
            self._people = self._people.append(added)
            self._pattern = np.r_[self._pattern, np.zeros(len(added), dtype=np.int64)]
            self._people_text = pa.concat_arrays([self._people_text, text.take(pa.array(order))])
            if self.weights is not None:
                weights = self.weights.reindex(added).fillna(1.0)
                self._weight_of = np.r_[self._weight_of, weights.to_numpy(dtype=float)]
        return codes.astype(np.int64) if inverse is None else codes.astype(np.int64)[inverse]

    def _of_people(self, frame: pd.DataFrame) -> pd.DataFrame:
        """``frame`` (indexed by distinct person ids) reindexed by the store's people, missing where
        absent: looked up in Arrow (a million ids hashed as Python objects took seconds)."""
        ids = pa.array(pd.Series(frame.index, dtype="string[pyarrow]")).cast(pa.large_string())
        where = pc.index_in(self._people_text, value_set=ids)  # each person's row in frame, or null
        row = np.full(len(self._people), -1, dtype=np.int64)
        found = where.is_valid().to_numpy(zero_copy_only=False)
        row[found] = np.asarray(where.drop_null().to_numpy(), dtype=np.int64)
        return pd.DataFrame(
            {column: frame[column].array.take(row, allow_fill=True) for column in frame.columns},
            index=self._people,
        )

    def table(
        self, frame: pd.DataFrame, by: Sequence[str], *, person: str, margins: bool, label: str
    ) -> Release:
        """Count ``frame`` (one row a membership) into cells of ``by`` and return them as released.

        The returned :class:`routes.privacy.Release` has the shape :func:`routes.privacy.release_counts`
        gives; before :meth:`protect` its values are provisional (primary suppression and rounding
        only), after it they are the publication's.

        A table read again after :meth:`protect` (a release computes its products a second time to
        read final values) is not counted again: the ``n``-th read of a (``label``, ``by``,
        ``margins``) table takes the cells the ``n``-th count of it found, when ``frame`` has as many
        rows as then. Products build the same memberships in both passes (:meth:`check_reads`), so
        this reads the same cells without touching a person; tests check it against counting the
        tables again.
        """
        by = list(by)
        name = (label, tuple(by), margins)
        if self.protected:
            seen = self._reads.get(name, 0)
            self._reads[name] = seen + 1
            layouts = self._layouts.get(name, [])
            if seen < len(layouts) and layouts[seen].rows == len(frame):
                return self._released(layouts[seen], by, label)
        else:
            self._tables.setdefault((label, tuple(by)), margins)
        layout = self._count(frame, by, person=person, margins=margins, label=label)
        if not self.protected:
            self._layouts.setdefault(name, []).append(layout)
        return self._released(layout, by, label)

    def reread(self, by: Sequence[str], *, margins: bool, label: str) -> Release | None:
        """The next read of a (``label``, ``by``, ``margins``) table after :meth:`protect`: the cells
        its count of the same rank found, with final values; ``None`` before the protection or for a
        table counted fewer times (then :meth:`table` counts it).

        A release's second pass reads its tables this way without building their memberships: the
        products read the same tables in the same order in both passes (:meth:`check_reads`).
        """
        if not self.protected:
            return None
        name = (label, tuple(by), margins)
        seen = self._reads.get(name, 0)
        layouts = self._layouts.get(name, [])
        if seen >= len(layouts):
            return None
        self._reads[name] = seen + 1
        return self._released(layouts[seen], list(by), label)

    def table_of_people(
        self, people: PeopleOf, by: Sequence[str], *, person: str, margins: bool, label: str
    ) -> Release | None:
        """Count the chosen people's rows of a shared table (:class:`routes.privacy.PeopleOf`) as
        :meth:`table` counts the frame ``people`` builds: the same cells, registered in the same order.

        The shared table is counted once for all its people (each combination of its ``by`` columns:
        one sort of its (cell, person) pairs); each subset then keeps the pairs of its people, already
        in order. ``None`` (then the frame is built and counted) once the store is protected, when the
        table's person column is not a categorical, a column is a date (counted by period), or someone
        in the table is not in the store yet (counting the frame would number the new people: the
        chosen ones only, at this table).
        """
        table, by = people.table, list(by)
        columns = [column for column in by if column not in people.constant]
        ids = table[person]
        if (
            self.protected
            or not isinstance(ids.dtype, pd.CategoricalDtype)
            or any(pd.api.types.is_datetime64_any_dtype(table[column]) for column in columns)
        ):
            return None
        base = self._base(table, person)
        chosen: np.ndarray | None = None
        if base is None:  # someone not numbered yet: when everyone is counted, number them as counting would
            chosen = np.asarray(people.chosen(), dtype=bool)
            present = np.bincount(np.asarray(ids.cat.codes, dtype=np.int64) + 1, minlength=len(chosen) + 1)
            if present[0] or not chosen[present[1:] > 0].all():
                return None
            self._person_codes(ids)
            base = self._base(table, person)
            if base is None:
                return None
        chosen = np.asarray(people.chosen(), dtype=bool) if chosen is None else chosen
        everyone = bool(chosen[base.rows > 0].all())  # (the map's tables, the all-corridors brief's)
        if not everyone:
            known = self._category_codes[id(ids.cat.categories)][1]
            counted = np.zeros(len(self._people), dtype=bool)  # the chosen people, by store code
            counted[known[chosen & (known >= 0)]] = True
        patterns: list[list[str | None]] = [list(by)]
        if margins:
            if len(by) > 1:
                patterns += [[*by[:-1], None], [None] * (len(by) - 1) + [by[-1]]]
            patterns.append([None] * len(by))
        parts = []
        for pattern in patterns:
            kept = tuple(column for column in pattern if column is not None and column in columns)
            bounds, code, values = self._base_pairs(base, kept)
            if everyone:  # every pair kept: no pass over them (no cell is empty)
                sizes = np.diff(bounds)
            else:
                keep = counted[code]
                code = code[keep]  # each cell's people of the subset, still in order
                sizes = np.add.reduceat(keep, bounds[:-1], dtype=np.int64) if len(keep) else bounds[:-1]
            held = np.flatnonzero(sizes)
            heads = {}
            for column in by:  # the values :meth:`_cells` gives a counted frame's cells
                if column in kept:
                    heads[column] = values[column][held]
                else:
                    value = TOTAL if column not in pattern else people.constant[column]
                    heads[column] = np.full(len(held), value, dtype=object)
            parts.append(self._registered(heads, code, np.r_[0, np.cumsum(sizes[held])], by, label))
        cells = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
        index = cells.pop("_cell").to_numpy(dtype=np.int64)
        is_margin = (cells[by] == TOTAL).any(axis=1).to_numpy()
        layout = _Layout(int(base.rows[chosen].sum()), cells, index, is_margin)
        self._tables.setdefault((label, tuple(by)), margins)
        self._layouts.setdefault((label, tuple(by), margins), []).append(layout)
        return self._released(layout, by, label)

    def _base(self, table: pd.DataFrame, person: str) -> _Base | None:
        """The shared ``table``'s person codes (once), or ``None`` while someone in it is not coded."""
        base = self._bases.get(id(table))
        if base is not None and base.table is table:
            return base
        ids = table[person]
        known = self._category_codes.get(id(ids.cat.categories))
        if known is None or known[0] is not ids.cat.categories:
            return None
        row = np.asarray(ids.cat.codes, dtype=np.int64)
        if (row < 0).any():
            return None
        codes = known[1][row]
        if (codes < 0).any():
            return None
        rows = np.bincount(row, minlength=len(known[1]))
        base = _Base(table, codes, rows, {})
        self._bases[id(table)] = base
        return base

    def _base_pairs(
        self, base: _Base, columns: tuple[str, ...]
    ) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
        """Every cell's distinct people of the shared table by ``columns`` (once): where each cell's
        people start (and the end), the people (by cell, then person), each cell's values of each
        column."""
        found = base.pairs.get(columns)
        if found is None:
            keys = [self._ranked(base.table[column]) for column in columns]
            people, bounds, first = _distinct_pairs(keys, base.codes)
            values = {column: held[rank[first]] for column, (rank, held) in zip(columns, keys, strict=True)}
            found = base.pairs[columns] = (bounds, people, values)
        return found

    def check_reads(self) -> None:
        """Raise when a table was read since :meth:`protect` more often than it was counted before it.

        The invariant of a release's two passes (:meth:`routes.publish.Release.build`): the second
        pass reads the tables the first counted, and no other, whatever the protected values it
        reads. Which tables are counted, and so protected, then depends on the products' inputs
        only, never on a noise draw or on the values a ledger keeps: a product that chose its
        tables from a value it reads (a brief counting its sections only when its corridor total
        was shown) would ask the second pass for a table no one protected. Counting is not
        publishing: a table counted but never shown is protected like any other.
        """
        extra = sorted(
            f"{label} by {', '.join(by)}"
            for (label, by, margins), reads in self._reads.items()
            if reads > len(self._layouts.get((label, by, margins), []))
        )
        if extra:
            raise RuntimeError(
                "the release's second pass read tables its first pass did not count (a product chose "
                f"its tables from a protected value): {', '.join(extra)}"
            )

    def _count(
        self, frame: pd.DataFrame, by: list[str], *, person: str, margins: bool, label: str
    ) -> _Layout:
        """The cells of ``frame`` by ``by`` (and margins), registered in the store."""
        codes = self._person_codes(frame[person])
        columns = [self._ranked(frame[column]) for column in by]
        total = (np.zeros(len(frame), dtype=np.int64), np.array([TOTAL], dtype=object))
        patterns: list[list[str | None]] = [list(by)]
        if margins:
            if len(by) > 1:
                patterns += [[*by[:-1], None], [None] * (len(by) - 1) + [by[-1]]]
            patterns.append([None] * len(by))
        parts = [
            self._cells(
                [total if kept is None else ranked for ranked, kept in zip(columns, pattern, strict=True)],
                codes,
                by,
                label,
            )
            for pattern in patterns
        ]
        cells = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
        index = cells.pop("_cell").to_numpy(dtype=np.int64)
        is_margin = (cells[by] == TOTAL).any(axis=1).to_numpy()
        return _Layout(len(frame), cells, index, is_margin)

    def _ranked(self, column: pd.Series) -> tuple[np.ndarray, np.ndarray]:
        """:func:`_ranked`; a categorical's categories are ranked once (the network's tables share
        theirs: thousands of places, ranked for every table of every brief otherwise)."""
        if not isinstance(column.dtype, pd.CategoricalDtype):
            return _ranked(column)
        categories = column.cat.categories
        known = self._category_ranks.get(id(categories))
        if known is None or known[0] is not categories:  # (the categories are kept: their id stays theirs)
            rank, ordered = _ranked(pd.Series(pd.Categorical.from_codes(np.arange(len(categories)),
                                                                        dtype=column.dtype)))
            known = (categories, np.r_[rank, -1], ordered)
            self._category_ranks[id(categories)] = known
        return known[1][np.asarray(column.cat.codes, dtype=np.int64)], known[2]

    def _released(self, layout: _Layout, by: list[str], label: str) -> Release:
        """A counted table with the store's current values (provisional, or final once protected)."""
        index, is_margin = layout.index, layout.is_margin
        values, reasons = self._values(index)
        cells = layout.cells.copy()
        cells["n_people"] = pd.array(values, dtype="Int64")
        cells["suppressed"] = reasons != ""
        cells["reason"] = pd.array(reasons, dtype="string")
        seen = reasons != UNSEEN  # shown as an earlier release showed them: no one, no row
        if not seen.all():
            cells, index, is_margin = cells.loc[seen].reset_index(drop=True), index[seen], is_margin[seen]
        hidden = (reasons[seen] != "") & ~is_margin
        hidden_people = (
            len(np.unique(np.concatenate([self._members[i] for i in index[hidden]]))) if hidden.any() else 0
        )
        if not self.empty_public:  # (most releases: no key without people to add)
            return Release(cells, tuple(by), self.policy, int(hidden.sum()), hidden_people)
        counted = len(cells)
        cells = self._with_empty_public(cells, by, label)
        extra = cells.iloc[counted:]  # withheld keys no one is in now are withheld rows all the same
        margin = (extra[by].astype(str).to_numpy() == TOTAL).any(axis=1)
        extra_hidden = extra["suppressed"].to_numpy(dtype=bool) & ~margin
        return Release(cells, tuple(by), self.policy, int(hidden.sum() + extra_hidden.sum()), hidden_people)

    def _with_empty_public(self, cells: pd.DataFrame, by: list[str], label: str) -> pd.DataFrame:
        """``cells`` and the keys of the table no one is in that products still show (:attr:`empty_public`).

        A formal release's public keys got noise like every other key (:meth:`_protect_formal`), and a
        cell whose people left since an earlier release keeps what that release showed, so a product
        shows a key with no one exactly as it shows a key with people: by its value, or as withheld.
        """
        if not self.empty_public:
            return cells
        if not self._empty_tables:
            for key, (value, why) in self.empty_public.items():  # once per release
                self._empty_tables.setdefault((key[0], key[1]), []).append((key[2], value, why))
        have = set(cells[by].astype(str).itertuples(index=False, name=None)) if len(cells) else set()
        rows = [row for row in self._empty_tables.get((label, tuple(by)), []) if row[0] not in have]
        if not rows:
            return cells
        extra = pd.DataFrame([dict(zip(by, values, strict=True)) for values, _, _ in rows], columns=by)
        shown = np.array([value for _, value, _ in rows], dtype=float)
        counts = pd.array(np.where(np.isnan(shown), 0, shown).astype(np.int64), dtype="Int64")
        counts[np.isnan(shown)] = pd.NA
        extra["n_people"] = counts
        extra["suppressed"] = np.isnan(shown)
        extra["reason"] = pd.array([why for _, _, why in rows], dtype="string")
        for c in by:  # a key no one is in may be no category of the table's column any more
            if c in cells and isinstance(cells[c].dtype, pd.CategoricalDtype):
                missing = pd.Index(extra[c].unique()).difference(cells[c].cat.categories)
                cells[c] = cells[c].cat.add_categories(missing) if len(missing) else cells[c]
        extra = extra.astype({c: cells[c].dtype for c in by if c in cells})
        return pd.concat([cells, extra], ignore_index=True)

    def _cells(
        self, keys: list[tuple[np.ndarray, np.ndarray]], codes: np.ndarray, by: list[str], label: str
    ) -> pd.DataFrame:
        """Register the cells of ``keys`` (per ``by`` column, :func:`_ranked` of its rows; one row a
        membership); the cells' values (one row a cell, in sorted order of the values) and store index.

        Rows with a missing value are in no cell, as in ``groupby(by, sort=True, dropna=True)``.
        """
        people, bounds, first = _distinct_pairs(keys, codes)
        heads = {column: values[rank[first]] for column, (rank, values) in zip(by, keys, strict=True)}
        return self._registered(heads, people, bounds, by, label)

    def _registered(
        self, heads: dict[str, np.ndarray], people: np.ndarray, bounds: np.ndarray, by: list[str], label: str
    ) -> pd.DataFrame:
        """Register cells: the ``i``-th has the ``by`` values ``heads[column][i]`` (objects) and the
        people ``people[bounds[i]:bounds[i + 1]]`` (sorted codes); the cells' values and store index."""
        frame = pd.DataFrame(heads)
        if not len(frame):
            return pd.DataFrame({column: np.zeros(0, dtype=object) for column in by}).assign(
                _cell=np.zeros(0, dtype=np.int64)
            )
        digests = np.add.reduceat(self._mixed(people), bounds[:-1])  # each cell's hash (no cell is empty)
        cells = [
            self._register((label, tuple(by), tuple(map(_key_text, values))), people[lo:hi], int(digest))
            for values, lo, hi, digest in zip(
                frame.itertuples(index=False, name=None), bounds[:-1], bounds[1:], digests, strict=True
            )
        ]  # once per cell, not per row
        return frame.assign(_cell=np.asarray(cells, dtype=np.int64))

    def _mixed(self, codes: np.ndarray) -> np.ndarray:
        """:func:`_mix` of person codes, each person mixed once a release (memberships gather it)."""
        if len(self._mix_of) < len(self._people):  # people new to the store
            added = np.arange(len(self._mix_of), len(self._people), dtype=np.int64)
            self._mix_of = np.r_[self._mix_of, _mix(added)]
        return self._mix_of[codes]

    def _register(self, key: CellKey, members: np.ndarray, digest: int) -> int:
        """The store's index of the cell ``key`` of people ``members`` (sorted codes; ``digest``: the
        sum of their :func:`_mix`), registered when new."""
        size = round(float(self._weight_of[members].sum())) if self.weights is not None else len(members)
        found = self._index.get(key)
        if found is not None:
            if self._hashes[found] == digest and self._exact[found] == size:
                return found
            key = (f"{key[0]}#{digest:016x}", key[1], key[2])  # same name, other people: another cell
            found = self._index.get(key)
            if found is not None:
                return found
        if self.protected:
            raise RuntimeError(
                f"cell {key!r} was not counted before the release was protected (see check_reads)"
            )
        self._index[key] = len(self.keys)
        self.keys.append(key)
        self._members.append(members)
        self._hashes.append(digest)
        self._exact.append(size)
        self._split_patterns(members)
        return len(self.keys) - 1

    def _split_patterns(self, members: np.ndarray) -> None:
        """Separate the people of a new cell from everyone else in their pattern of membership.

        Each pattern the members were in gets a new number (never given before) for its people in the
        cell; the others keep theirs. After every cell, two people share a number exactly when the
        same cells hold them: the patterns are known at the protection without transposing the store.
        """
        if not len(members):
            return
        if len(self._renumber) < self._patterns:  # a scratch array: number given → its new number
            self._renumber = np.zeros(2 * self._patterns, dtype=np.int64)
        before = self._pattern[members]
        at = np.arange(len(before))
        self._renumber[before] = at  # (repeated numbers: one of their positions is written)
        split = before[self._renumber[before] == at]  # each number the members were in, once
        self._renumber[split] = self._patterns + np.arange(len(split))
        self._pattern[members] = self._renumber[before]
        self._patterns += len(split)
        self._split_from.append(split)
        self._split_by.append(np.full(len(split), len(self.keys) - 1, dtype=np.int64))

    def _values(self, index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if self.protected:
            assert self.published is not None and self.reason is not None
            published = self.published[index]
            values = np.where(np.isnan(published), 0, published).astype(np.int64)
            out = pd.array(values, dtype="Int64")
            out[np.isnan(published)] = pd.NA
            return np.asarray(out.astype(object)), self.reason[index].astype(object)
        exact = np.asarray(self._exact, dtype=np.int64)[index]
        reasons = np.where((exact > 0) & (exact < self.policy.k), "below_k", "").astype(object)
        rounded = self.policy.round_count(exact)
        return np.asarray(rounded.astype(object)), reasons

    # -- protecting ---------------------------------------------------------------------------------

    def membership_matrix(self) -> sparse.csr_matrix:
        """Cells × people incidence (CSR, 0/1)."""
        lengths = np.fromiter((len(m) for m in self._members), dtype=np.int64, count=len(self._members))
        indptr = np.r_[0, np.cumsum(lengths)]
        # 32-bit indices when they fit, as scipy would convert them (a copy of every membership)
        index = np.dtype(np.int32 if int(indptr[-1]) < 2**31 and len(self._people) < 2**31 else np.int64)
        indices: npt.NDArray[np.signedinteger[Any]] = (
            np.concatenate(self._members, dtype=index) if self._members else np.zeros(0, index)
        )
        return sparse.csr_matrix(
            (np.ones(len(indices), dtype=np.int32), indices, indptr.astype(index)),
            shape=(len(self._members), max(len(self._people), 1)),
        )

    def shared_people(self) -> sparse.csr_matrix:
        """Cells × cells: the people each pair of cells shares, ``M @ M.T`` exactly (``M``: the
        :meth:`membership_matrix`).

        Computed over the distinct patterns of membership, each weighted by the people who have it:
        people in the same cells (a common journey, the same risks, the same month) add the same to
        every pair, and the product's cost grows with the square of each person's cells. The
        patterns were numbered as the cells were registered (:meth:`_split_patterns`); each one's
        cells are found by following its splits back, without reading a membership.
        """
        number, people, row, column = self._pattern_cells()
        shape = (len(self.keys), len(number))
        atoms = sparse.csr_matrix((np.ones(len(row), dtype=np.int32), (row, column)), shape=shape)
        weighted = sparse.csr_matrix((people[column].astype(np.int32), (row, column)), shape=shape)
        return sparse.csr_matrix(weighted @ atoms.T)  # cells × patterns × cells

    def _pattern_cells(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The distinct patterns of membership (their numbers, sorted, and the people of each) and
        their cells, as (cell, pattern's position) pairs: each pattern's splits followed back
        (:meth:`_split_patterns`), one vectorised step a round, without reading a membership."""
        number, people = np.unique(self._pattern, return_counts=True)
        people, number = people[number > 0], number[number > 0]  # (0: in no cell)
        split_from, split_by = np.concatenate(self._split_from), np.concatenate(self._split_by)
        cells, patterns = [], []
        pattern, at = np.arange(len(number)), number
        while len(at):  # one step back a round: as many rounds as the most cells a person is in
            cells.append(split_by[at])
            patterns.append(pattern)
            at = split_from[at]
            pattern, at = pattern[at > 0], at[at > 0]
        row = np.concatenate(cells) if cells else np.zeros(0, dtype=np.int64)
        column = np.concatenate(patterns) if patterns else np.zeros(0, dtype=np.int64)
        return number, people, row, column

    def partial_contributions(self, matrix: sparse.csr_matrix, *, pairs: bool = True) -> sparse.coo_matrix:
        """Cells × coalitions: the people of each cell a coalition recorded, where it recorded some but
        not all of them (a coalition that recorded all of a cell's people learns nothing of anyone
        else's). A coalition is one member, or (``pairs``) two members of a kind that pools
        (:data:`POOLING`: a consortium lead, a data-sharing agreement): after such a kind's ``m``
        members, ``m * m`` columns, one a pair (:func:`with_pairs`). A member alone stays a
        coalition: the interval minus its own people can pin the others where the interval minus a
        larger pair's does not. Empty with fewer than two members of every kind, or in
        public-source mode.

        ``matrix`` is the :meth:`membership_matrix`.
        """
        kinds = self.member_counts(matrix)
        none = np.zeros(0, dtype=np.int64)
        if not kinds:
            return sparse.coo_matrix((none, (none, none)), shape=(len(self.keys), 0))
        counts = sparse.coo_matrix(sparse.hstack(
            [with_pairs(kind.counts) if pairs and kind.pools else kind.counts for kind in kinds]
        ))
        partial = counts.data < np.asarray(self._exact, dtype=np.int64)[counts.row]
        return sparse.coo_matrix(
            (counts.data[partial], (counts.row[partial], counts.col[partial])), shape=counts.shape
        )

    def member_counts(self, matrix: sparse.csr_matrix) -> list[MemberKind]:
        """Cells × members, one matrix a kind of :attr:`contributors` with two members or more (the
        organisations, then the offices: each kind is a threat on its own): the people of each cell
        each member recorded, all of them included, and whether two members of the kind may pool
        their records (:data:`POOLING`). None in public-source mode.

        ``matrix`` is the :meth:`membership_matrix`.
        """
        if self.contributors is None or self.weights is not None or not len(self.keys):
            return []
        named = self._of_people(self.contributors[~self.contributors.index.duplicated()])
        kinds = [
            MemberKind(self._contributions_by(_member_names(named[c]), matrix), c in POOLING)
            for c in named.columns
        ]
        return [kind for kind in kinds if kind.counts.shape[1] >= 2]  # one member alone learns nothing new

    def _contributions_by(self, member: pd.Series, matrix: sparse.csr_matrix) -> sparse.coo_matrix:
        """:meth:`member_counts` of one kind of member (a person's member per person code)."""
        code, names = pd.factorize(member)
        # people counted per (pattern of membership, member): a person has one member of a kind, and
        # people of one pattern are in the same cells, so each pattern's cells take its people's
        # count per member (no pass over the memberships: tens of millions at a million incidents)
        number, _, cell, pattern = self._pattern_cells()
        known = (code >= 0) & (self._pattern > 0)
        of_pattern = np.searchsorted(number, self._pattern[known]) * len(names) + code[known]
        group, people = np.unique(of_pattern, return_counts=True)
        by_member = sparse.csr_matrix(
            (people, np.divmod(group, max(len(names), 1))), shape=(len(number), len(names))
        )
        atoms = sparse.csr_matrix(
            (np.ones(len(cell), dtype=np.int64), (cell, pattern)), shape=(matrix.shape[0], len(number))
        )
        counts = sparse.coo_matrix(atoms @ by_member)
        pair = counts.row.astype(np.int64) * len(names) + counts.col
        order = np.argsort(pair)
        pair, own = pair[order], np.asarray(counts.data, dtype=np.int64)[order]
        row, column = np.divmod(pair, max(len(names), 1))
        return sparse.coo_matrix((own, (row, column)), shape=(len(self.keys), len(names)))

    def members(self, cell: int) -> np.ndarray:
        """Sorted person codes of one cell."""
        return self._members[cell]

    def people_of(self, cell: int) -> pd.Index:
        """The ids of one cell's people (CONFIDENTIAL: the analyst's checks, never a product)."""
        return self._people[self._members[cell]]

    def protect(
        self,
        *,
        sticky: Mapping[CellKey, Sticky] | None = None,
        reuse: bool = False,
    ) -> None:
        """Decide every cell's published value (see the module docstring); idempotent inputs, one result.

        ``sticky``: cells an earlier release of the same period published; a cell keeps its earlier
        value unless its people changed by at least k, and then moves by that change, rounded (a
        revision); a cell an earlier release withheld stays withheld. ``reuse``: republishing the
        period as it was published: every cell keeps its earlier value, and a cell new to a table it
        had is withheld. A table no earlier release had (the brief of a
        corridor not published before) is protected anew, linked with the values already published.
        """
        from routes.publish.audit import cell_interval, contributor_disclosed

        policy, k = self.policy, self.policy.k
        exact = np.asarray(self._exact, dtype=np.int64)
        self.exact = exact
        n = len(exact)
        reason = np.where((exact > 0) & (exact < k), "below_k", "").astype(object)
        value = np.array(policy.round_count(exact).fillna(0), dtype=np.int64)
        frozen = np.zeros(n, dtype=bool)
        if reuse:
            published_tables = {(label, by) for label, by, _ in sticky or {}}
            frozen[:] = [(label, by) in published_tables for label, by, _ in self.keys]
            reason[frozen] = "previous_release"
        # A formal revision draws new noise everywhere: keeping a value when few people changed would
        # be a decision on exact counts.
        keep = sticky or {} if reuse or policy.mode != "formal" else {}
        for key, earlier in keep.items():
            i = self._index.get(key)
            if i is None:
                continue  # no one is in it now
            change = int(exact[i]) - earlier.exact
            if not reuse and abs(change) >= k and earlier.published is not None:
                if exact[i] < k:
                    continue  # protected anew: under k now
                # A revision moves a published cell by its change, rounded: a reader who knows the
                # change (records they added) learns nothing new of the earlier count, where a value
                # rounded anew would give a second rounding of it (five revisions pin it).
                moved = (abs(change) + policy.rounding // 2) // policy.rounding * policy.rounding
                value[i] = earlier.published + int(np.sign(change)) * moved
                reason[i] = ""
            elif earlier.published is None and earlier.reason == UNSEEN:
                if not reuse and exact[i] >= k:
                    continue  # k or more people in a cell shown as no one: protected anew
                reason[i] = UNSEEN
            elif earlier.published is None:  # withheld before, withheld in every revision
                reason[i] = earlier.reason or "previous_release"
            else:
                value[i], reason[i] = earlier.published, ""
            frozen[i] = True
        if keep:  # a key new to a table shown before: as no one, as then (a revision: under k only)
            shown = {(label, by) for label, by, _ in keep}
            new = np.array([(label, by) in shown and (label, by, key) not in keep
                            for label, by, key in self.keys], dtype=bool)
            new &= True if reuse else exact < k
            reason[new], frozen[new] = UNSEEN, True
        self.frozen_values = set(np.flatnonzero(frozen).tolist())
        self.interval_high = {}
        self._reads = {}  # the products are read again from the first table
        self._bases = {}  # (counted: the shared tables' pairs are not needed again, their memory is)
        matrix = self.membership_matrix()
        hashes = np.asarray(self._hashes, dtype=np.uint64)
        _, canonical = np.unique(np.column_stack([hashes.view(np.int64), exact]), axis=0, return_inverse=True)
        canonical = canonical.ravel()
        if policy.mode == "formal" or frozen.all():  # a republication changes nothing: no attack to run
            self._protect_formal(matrix, canonical, value, reason, frozen, keep)
            self._carry_emptied(keep, reuse)
            return

        def share_fate() -> None:
            withheld = reason != ""
            hit = np.zeros(canonical.max() + 1 if n else 0, dtype=bool)
            hit[canonical[withheld]] = True
            spread = hit[canonical] & ~withheld & ~frozen
            reason[spread] = "same_people"

        own = self.partial_contributions(matrix)
        if own.nnz:  # a member's own people subtracted from a published count: the others under k
            floor, ceiling = rounding_interval(value[own.row], policy)
            open_ = (reason[own.row] == "") & ~frozen[own.row]
            hit = contributor_disclosed(floor, ceiling, own.data, k) & open_
            reason[np.unique(own.row[hit])] = "dominance"
        own_by_cell = own.tocsr()
        self.interval_low = {}
        share_fate()
        if n:
            overlap = self.shared_people().tocoo()
            self._complements(overlap, exact, value, reason, frozen)
            share_fate()
            overlap_csr = overlap.tocsr()
            self.overlap = (matrix, overlap_csr)

            def certify(t: int) -> float:
                """The cell's most people, or -inf when a member's own records pin the others under k
                (then its fewest people are computed too)."""
                _, high = cell_interval(
                    t, matrix, overlap_csr, value, reason != "", policy, maximise_only=True, sizes_of=exact
                )
                self.interval_high[t] = high
                mine = own_by_cell[t].data
                mine = mine[exact[t] - mine < k]  # members whose others are under k
                if high < k or not len(mine) or high >= k + mine.max():
                    return high
                low, _ = cell_interval(t, matrix, overlap_csr, value, reason != "", policy, sizes_of=exact)
                self.interval_low[t] = low
                return -math.inf if contributor_disclosed(low, high, mine, k).any() else high

            kinds = pooling(self.member_counts(matrix))  # organisations' people, for the margins
            # under k, or a member's own records leave under k others: (withheld) cells to certify
            few_others = np.zeros(n, dtype=bool)
            few_others[own.row[exact[own.row] - own.data < k]] = True
            sensitive = np.flatnonzero(((exact > 0) & (exact < k) | few_others) & (reason != "") & ~frozen)
            certified: dict[int, float] = {}  # same people, same neighbours: one programme
            while True:  # withholding to certify one cell can withhold another with few others
                for t in sensitive[~self._unbounded(matrix, sensitive, reason, exact)]:
                    if int(canonical[t]) in certified:
                        self.interval_high[int(t)] = certified[int(canonical[t])]
                        continue
                    while True:
                        high = certify(int(t))
                        if high >= k:
                            certified[int(canonical[t])] = high
                            break
                        neighbours = overlap_csr[t].indices
                        open_ = neighbours[
                            (reason[neighbours] == "") & (exact[neighbours] > 0) & ~frozen[neighbours]
                        ]
                        if not len(open_):
                            break
                        pick = open_[np.lexsort((open_, exact[open_]))[0]]
                        reason[canonical == canonical[pick]] = "linked"
                self._member_margins(overlap_csr, kinds, exact, value, reason, frozen, canonical)
                seen = np.zeros(n, dtype=bool)
                seen[sensitive] = True
                seen[list(self.interval_high)] = True
                sensitive = np.flatnonzero(few_others & (reason != "") & ~frozen & ~seen)
                if not len(sensitive):
                    break
        self._settle(value, reason)
        self.empty_public, self._empty_tables = {}, {}
        self._carry_emptied(keep, reuse)

    def _carry_emptied(self, earlier: Mapping[CellKey, Sticky], reuse: bool) -> None:
        """Keep in the products the cells of a table an earlier release of the period showed, whose
        people have all left since (a consent withdrawn, a record corrected): as withheld when they
        were withheld, with their value in a republication.

        Left out, such a cell would read as no one, where the earlier release said "not published":
        the person who left was alone in it (their incident at that place, their group in that brief).
        A revision shows a published cell of k or more people as no one, the change it is.
        """
        for key, cell in earlier.items():
            if key in self._index or key in self.empty_public or (key[0], key[1]) not in self._tables:
                continue
            if cell.reason == UNSEEN:  # shown as no one then, and now
                continue
            if TOTAL in key[2]:  # a margin: products read the table's rows, not its margins
                continue
            if cell.published is None:
                self.empty_public[key] = (np.nan, cell.reason or "previous_release")
            elif reuse or cell.exact < self.policy.k:
                self.empty_public[key] = (float(cell.published), "")

    def _settle(self, value: np.ndarray, reason: np.ndarray) -> None:
        """Fix the published values: ``value`` where ``reason`` is empty, withheld (NaN) elsewhere."""
        published = value.astype(float)
        published[reason != ""] = np.nan
        self.published, self.reason = published, reason

    def _protect_formal(
        self,
        matrix: sparse.csr_matrix,
        canonical: np.ndarray,
        value: np.ndarray,
        reason: np.ndarray,
        frozen: np.ndarray,
        earlier: Mapping[CellKey, Sticky] | None = None,
    ) -> None:
        """Noisy counts (:mod:`routes.publish.formal`) for every cell an earlier release did not fix.

        Each query gets its family's noise. A cell of the public domain is shown when its noisy count
        reaches its table's display threshold; any other cell, whose key exists because someone is
        in it, only when it reaches its family's δ-threshold. Keys of the public domain no one is
        counted in get noise too (:attr:`empty_public`). Also the end of a republication in either
        mode: every cell keeps its earlier value.
        """
        from dataclasses import replace

        from routes.publish.formal import (
            bound_contributions,
            family_of,
            gaussian_noise,
            plan_for,
            weigh_contributions,
        )

        self.empty_public, self._empty_tables = {}, {}
        if self.policy.mode != "formal":
            self._settle(value, reason)
            return
        plan = plan_for(self.policy)
        domain = self.public_domain
        tables = {
            (label, by): margins
            for (label, by), margins in self._tables.items()
            if domain is not None and domain.covers(label, by)
        }
        sizes = {table: domain.size(*table, margins) for table, margins in tables.items() if domain}
        display = {  # chosen from the domain's size and the noise only: no δ
            table: plan.families[family_of(table[1])].display_threshold(size, self.policy.k)
            for table, size in sizes.items()
        }
        self.formal_plan = plan = replace(
            plan,
            domain=domain,
            public_cells=sum(sizes.values()),
            display={f"{label} by {', '.join(by)}": t for (label, by), t in display.items()},
            expected_false_cells=sum(  # at most: as if every key were empty
                size * plan.families[family_of(table[1])].false_rate(display[table])
                for table, size in sizes.items()
            ),
        )
        before = earlier or {}
        published_tables = {(label, by) for label, by, _ in before}
        if domain is not None:  # a table published before keeps its values, nothing drawn again
            self.empty_public = {  # in the order they were drawn: the release id reads it
                key: (
                    (float(cell.published), "")
                    if (cell := before.get(key)) is not None and cell.published is not None
                    else (np.nan, cell.reason if cell is not None else "previous_release")
                )
                for (label, by), margins in tables.items()
                if (label, by) in published_tables
                for key in ((label, by, values) for values in domain.keys(label, by, margins))
                if key not in self._index
                and (domain.is_listed(by) or (key in before and before[key].published is not None))
            }
        if frozen.all():  # a republication: the values it had, nothing drawn again
            self._settle(value, reason)
            return
        self.empty_public |= self._noisy_empty_keys(
            plan, {t: m for t, m in tables.items() if t not in published_tables}, display
        )
        families = [family_of(key[1]) for key in self.keys]
        names = list(plan.families)
        # One query per family and set of people: a family's bound counts its own queries only.
        _, query = np.unique(
            np.column_stack([canonical, [names.index(f) for f in families]]), axis=0, return_inverse=True
        )
        query = query.ravel()
        _, first = np.unique(query, return_index=True)
        rng = np.random.default_rng()  # fresh entropy: noise an attacker cannot replay
        noisy = np.zeros(len(first))
        for name, family in plan.families.items():
            mine = np.flatnonzero([families[i] == name for i in first])
            bounded = bound_contributions(matrix[first[mine]], family.bound, rng)
            weighted = weigh_contributions(bounded, family.norm)
            noisy[mine] = gaussian_noise(np.asarray(weighted.sum(axis=1)).ravel(), family.scale)
        threshold = np.array(
            [
                display[(key[0], key[1])] if (key[0], key[1]) in display and domain is not None
                and domain.contains(*key) else plan.families[family].threshold
                for key, family in zip(self.keys, families, strict=True)
            ],
            dtype=float,
        )  # once per cell
        drawn = self._within_parents(noisy[query])
        shown = drawn >= threshold
        whole = np.rint(np.where(shown, drawn, 0)).astype(np.int64)
        fresh = ~frozen  # a republication's new tables only; the others keep their values
        value[fresh] = np.asarray(self.policy.round_count(whole).fillna(0)).astype(np.int64)[fresh]
        reason[fresh] = np.where(shown, "", "noise_threshold")[fresh]
        self._settle(value, reason)

    def _within_parents(self, drawn: np.ndarray) -> np.ndarray:
        """``drawn`` with each brief count at most its parent's (:data:`routes.publish.formal.NESTED`):
        post-processing of noisy values on relations known from the tables' names, not the data."""
        from routes.publish.formal import NESTED

        out = drawn.copy()
        for child, parent in NESTED.items():
            for i, (label, by, key) in enumerate(self.keys):
                corridor, _, table = label.partition(":")
                if table != child:
                    continue
                parent_key = key if by == ("scope",) else (corridor,)
                j = self._index.get((f"{corridor}:{parent}", ("scope",), parent_key))
                if j is not None:
                    out[i] = min(out[i], out[j])
        return out

    def _noisy_empty_keys(
        self,
        plan: FormalPlan,
        tables: Mapping[tuple[str, tuple[str, ...]], bool],
        display: Mapping[tuple[str, tuple[str, ...]], float],
    ) -> dict[CellKey, tuple[float, str]]:
        """OpenDP's noise on each public key no one is counted in: its rounded value, or NaN and why.

        Keys of a listed table (codes) are kept shown or withheld, the products list them all; of
        another table (places) only those shown.
        """
        from routes.publish.formal import family_of, gaussian_noise

        assert self.public_domain is not None
        out: dict[CellKey, tuple[float, str]] = {}
        for (label, by), margins in tables.items():
            every = self.public_domain.keys(label, by, margins)
            keys = [values for values in every if (label, by, values) not in self._index]
            drawn = gaussian_noise(np.zeros(len(keys)), plan.families[family_of(by)].scale)
            shown = drawn >= display[(label, by)]
            whole = np.rint(np.where(shown, drawn, 0)).astype(np.int64)
            rounded = np.asarray(self.policy.round_count(whole).fillna(0), dtype=float)
            listed = self.public_domain.is_listed(by)
            for values, v, s in zip(keys, rounded, shown, strict=True):
                if s or listed:
                    out[(label, by, values)] = (float(v), "") if s else (np.nan, "noise_threshold")
        return out

    def _margins(
        self,
        overlap: sparse.csr_matrix,
        exact: np.ndarray,
        value: np.ndarray,
        reason: np.ndarray,
        frozen: np.ndarray,
        canonical: np.ndarray,
    ) -> None:
        """Withhold children (or the parent) until no margin family bounds a withheld child under k."""
        from routes.publish.audit import margin_families, margin_leaks

        families = margin_families(self, overlap)
        while True:
            leaks = margin_leaks(families, value, reason != "", exact, self.policy)
            if not leaks:
                return
            progressed = False
            for family, _ in leaks:
                pick = _widening(family, exact, reason, frozen)
                if pick is None:
                    continue  # values of an earlier release: the audit reports it
                reason[canonical == canonical[pick]] = "linked"
                progressed = True
            if not progressed:
                return

    def _member_margins(
        self,
        overlap: sparse.csr_matrix,
        kinds: list[MemberKind],
        exact: np.ndarray,
        value: np.ndarray,
        reason: np.ndarray,
        frozen: np.ndarray,
        canonical: np.ndarray,
    ) -> None:
        """:meth:`_margins`, then withhold children (or the parent) until no coalition's own people
        (one organisation's or two's: ``kinds`` is :func:`pooling` of :meth:`member_counts`), subtracted
        from what a margin family bounds its withheld children to hold, pin the others there under k
        (:func:`routes.publish.audit.contributor_margin_leaks`); the plain margins again after each
        round. Each round withholds a cell or ends: the loop ends."""
        from routes.publish.audit import contributor_margin_leaks, margin_families

        self._margins(overlap, exact, value, reason, frozen, canonical)
        if not kinds:
            return
        families = margin_families(self, overlap)
        while True:
            leaks = contributor_margin_leaks(families, kinds, value, reason != "", self.policy)
            picks = {_widening(family, exact, reason, frozen) for family, *_ in leaks} - {None}
            if not picks:
                return  # none, or only values of an earlier release: the audit reports them
            for pick in picks:
                reason[(canonical == canonical[pick]) & (reason == "") & ~frozen] = "dominance"
            self._margins(overlap, exact, value, reason, frozen, canonical)

    def _unbounded(
        self, matrix: sparse.csr_matrix, cells: np.ndarray, reason: np.ndarray, exact: np.ndarray
    ) -> np.ndarray:
        """Which of ``cells`` hold someone in no published cell the interval attack uses.

        That person's group of people is bounded by no published value, so the attack's interval
        has no upper end: no linear programme is needed to know the cell is protected.
        """
        from routes.publish.audit import MARGIN_LIMIT

        published = (reason == "") & (exact <= MARGIN_LIMIT * self.policy.k)
        covered = np.asarray(matrix[np.flatnonzero(published)].sum(axis=0)).ravel() > 0
        uncovered = (~covered).astype(np.int32)
        free = np.asarray(matrix[cells] @ uncovered).ravel() > 0
        for t in np.flatnonzero(free):
            self.interval_high[int(cells[t])] = float("inf")
        return free

    def cells_table(self) -> pd.DataFrame:
        """Every cell: ``label``, ``by``, ``key`` (``|``-joined), ``exact`` (CONFIDENTIAL), ``published``
        (``<NA>`` when withheld) and ``reason``; the ledger's rows."""
        assert self.published is not None and self.reason is not None
        published = pd.array(
            np.where(np.isnan(self.published), 0, self.published).astype(np.int64), dtype="Int64"
        )
        published[np.isnan(self.published)] = pd.NA
        table = pd.DataFrame(
            {
                "label": [key[0] for key in self.keys],
                "by": ["|".join(key[1]) for key in self.keys],
                "key": ["|".join(key[2]) for key in self.keys],
                "exact": self.exact,
                "published": published,
                "reason": self.reason.astype(str),
            }
        )
        if not self.empty_public:
            return table
        shown = np.array([v for v, _ in self.empty_public.values()], dtype=float)
        values = pd.array(np.where(np.isnan(shown), 0, shown).astype(np.int64), dtype="Int64")
        values[np.isnan(shown)] = pd.NA
        empty = pd.DataFrame(
            {
                "label": [key[0] for key in self.empty_public],
                "by": ["|".join(key[1]) for key in self.empty_public],
                "key": ["|".join(key[2]) for key in self.empty_public],
                "exact": np.zeros(len(shown), dtype=np.int64),
                "published": values,
                "reason": [why for _, why in self.empty_public.values()],
            }
        )
        return pd.concat([table, empty], ignore_index=True)

    def _complements(
        self,
        overlap: sparse.coo_matrix,
        exact: np.ndarray,
        value: np.ndarray,
        reason: np.ndarray,
        frozen: np.ndarray,
    ) -> None:
        """Withhold the smaller of two nested published cells whose difference must be 1..k-1."""
        k = self.policy.k
        a, b, shared = overlap.row, overlap.col, overlap.data
        nested = (shared == exact[b]) & (exact[a] > exact[b])  # b's people are all in a
        a, b = a[nested], b[nested]
        while len(a):
            open_ = (reason[a] == "") & (reason[b] == "") & ~(frozen[a] & frozen[b])
            low_a, high_a = rounding_interval(value[a], self.policy)
            low_b, high_b = rounding_interval(value[b], self.policy)
            lo, hi = low_a - high_b, high_a - low_b
            leak = open_ & (lo >= 1) & (hi <= k - 1)
            if not leak.any():
                return
            # the smaller, unless an earlier release published it: then the larger, new one
            reason[np.unique(np.where(frozen[b[leak]], a[leak], b[leak]))] = "complement"


def _distinct_pairs(
    keys: list[tuple[np.ndarray, np.ndarray]], codes: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The cells of ``keys`` (per column, :func:`_ranked` of its rows) and their people (``codes``, one
    per row): each cell's distinct people (sorted codes, cell after cell in sorted order of the
    values), where each cell's people start (and the end), and a row of each cell.

    Rows with a missing value are in no cell, as in ``groupby(by, sort=True, dropna=True)``.
    """
    ranks = [rank for rank, _ in keys]
    valid = np.logical_and.reduce([rank >= 0 for rank in ranks]) if ranks else np.ones(len(codes), bool)
    rows = np.flatnonzero(valid)
    whole = len(rows) == len(codes)  # no row with a missing value: the columns as they are
    codes = codes if whole else codes[rows]
    group, span, combined = np.zeros(len(rows), dtype=np.int64), 1, 0
    for rank, values in keys:  # lexicographic order of the columns' ranks
        if len(values) == 1:  # (a margin's TOTAL): one value, no order to add
            continue
        ranked = rank if whole else rank[rows]
        # ranked among the values these rows hold (thousands of places, a few hundred present)
        held = np.bincount(ranked, minlength=len(values)) > 0
        dense = (np.cumsum(held) - 1)[ranked]
        group = dense if not combined else group * int(held.sum()) + dense
        span, combined = span * int(held.sum()), combined + 1
        if span > 4 * len(rows) + 1024:  # kept dense (and within 64 bits)
            group = pd.factorize(group, sort=True)[0].astype(np.int64)
            span = int(group.max()) + 1 if len(group) else 1
    if combined > 1:  # cell numbers of the values present, in sorted order (one column: already)
        present = np.zeros(span, dtype=bool)
        present[group] = True
        group = (np.cumsum(present) - 1)[group]
    if not len(group):
        return np.zeros(0, dtype=np.int64), np.zeros(1, dtype=np.int64), np.zeros(0, dtype=np.int64)
    if span == 1:  # one cell (a margin's total, a brief's scope): its people, marked, not sorted
        seen = np.zeros(int(codes.max()) + 1, dtype=bool)
        seen[codes] = True
        people = np.flatnonzero(seen)
        bounds = np.array([0, len(people)], dtype=np.int64)
    else:
        bits = int(codes.max()).bit_length()  # (cell, person) in one integer: the cell's bits above
        pairs = np.sort((group << bits) | codes)  # by cell, then person
        distinct = np.ones(len(pairs), dtype=bool)
        np.not_equal(pairs[1:], pairs[:-1], out=distinct[1:])
        pairs = pairs[distinct]
        people = pairs & ((1 << bits) - 1)
        bounds = np.searchsorted(pairs, np.arange(int(group.max()) + 2) << bits)  # where each cell starts
    first = np.empty(len(bounds) - 1, dtype=np.int64)
    first[group] = rows  # a row of each cell (its rows share the cell's values)
    return people, bounds, first


def _widening(family: MarginFamily, exact: np.ndarray, reason: np.ndarray, frozen: np.ndarray) -> int | None:
    """The cell to withhold so that ``family`` bounds its withheld children less: its smallest
    published child, else its parent; ``None`` when values of an earlier release leave none."""
    kids = family.children
    open_ = kids[(reason[kids] == "") & (exact[kids] > 0) & ~frozen[kids]]
    if len(open_):
        return int(open_[np.lexsort((open_, exact[open_]))[0]])
    if not frozen[family.parent] and reason[family.parent] == "":
        return family.parent
    return None


def with_pairs(counts: sparse.coo_matrix | sparse.csr_matrix) -> sparse.coo_matrix:
    """Rows × (members, then pairs of members): ``counts`` (one kind's members, rows × ``m``, a
    value per row and member) and, in column ``m + a * m + b`` (``a < b``), the sum of members
    ``a``'s and ``b``'s values in each row: the people two members recorded together. Only members
    with a value in a row are paired there: a pair with a member absent from a row is that member
    alone.

    Vectorised over every row at once: a row's members follow each other once sorted by row, and
    each entry is paired with those after it in its row (few members per cell: a corridor's
    offices at most).
    """
    table = counts.tocoo()
    m = table.shape[1]
    order = np.lexsort((table.col, table.row))
    row, col, own = table.row[order], table.col[order], table.data[order]
    first = np.r_[True, row[1:] != row[:-1]] if len(row) else np.zeros(0, dtype=bool)
    group = np.cumsum(first) - 1  # each entry's row, numbered among the rows with members
    ends = (np.flatnonzero(first) + np.bincount(group))[group]  # where each entry's row ends
    later = ends - np.arange(len(row)) - 1  # entries after each one in its row
    left = np.repeat(np.arange(len(row)), later)
    right = left + 1 + np.arange(len(left)) - np.repeat(np.cumsum(later) - later, later)
    return sparse.coo_matrix(
        (
            np.r_[own, own[left] + own[right]],
            (np.r_[row, row[left]], np.r_[col, m + col[left].astype(np.int64) * m + col[right]]),
        ),
        shape=(table.shape[0], m + m * m),
    )


def _member_names(names: pd.Series) -> pd.Series:
    """Members' names as one spelling: case, accents and spacing aside ("Fundación  Sur" is "fundacion
    sur"), missing when blank, so that a member spelled two ways is still one member.

    Each distinct name is spelled once (a name per person: a million rows, a few hundred names)."""
    row, distinct = pd.factorize(names)
    text = pd.Series(distinct).astype("string")
    text = text.str.normalize("NFKD").str.encode("ascii", "ignore").str.decode("ascii")
    text = text.str.casefold().str.split().str.join(" ")
    spelled = np.r_[text.mask(text == "").to_numpy(dtype=object), np.nan]  # row -1 (no name): missing, last
    return pd.Series(spelled[row], index=names.index, name=names.name, dtype=object)


def _ranked(column: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Per row, the rank of its value among the column's distinct values as ``groupby(sort=True)``
    orders them (-1 when missing), and those values (objects) in that order.

    Each distinct value is converted and sorted once; a categorical's rows are never converted.
    """
    if isinstance(column.dtype, pd.CategoricalDtype):
        row = np.asarray(column.cat.codes, dtype=np.int64)
        distinct = column.cat.categories.to_numpy(dtype=object)
    else:
        row, uniques = pd.factorize(column, sort=False)
        distinct = np.asarray(uniques, dtype=object)
    rank, ordered = pd.factorize(distinct, sort=True)
    ranked = np.r_[rank, -1][row]  # row -1 (missing) takes the last: -1
    return ranked.astype(np.int64), np.asarray(ordered, dtype=object)


def _key_text(value: Any) -> str:
    """A cell value as stable text (periods as ``2023Q1``, numbers without a trailing ``.0``)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
