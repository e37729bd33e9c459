"""An audit that attacks a release as a reader with only the published files would.

- :func:`cell_interval`: the values a withheld cell can take given every published cell that shares
  people with it. Variables are the groups of people with one pattern of membership over those cells
  (the reader is granted the structure: which groups exist); each published cell bounds the sum of
  its groups by its rounding interval, each withheld one is at least 1. Linear programming
  (``scipy.optimize.linprog``, HiGHS); the relaxation to real values can only widen the interval.
- :func:`margin_families` and :func:`margin_leaks`: the attack an analyst with a spreadsheet makes.
  A parent cell (a place) minus its published children (the segments out of it) bounds the withheld
  children, assuming the children are disjoint (people leave a place once). The assumption need not
  hold in the data for the answer to be right, so the linear programme, which is granted the true
  structure, can miss it; and it reaches parents of any size.
- :func:`contributor_disclosed`: the attack of a member of a pooled data set, who knows its own
  records (or of two members who pool theirs): a cell's interval minus its own people in it
  bounds everyone else's. :func:`contributor_margin_leaks`: the same subtraction from what a
  margin family bounds its withheld children to hold together.
- :func:`audit_store`: every withheld cell with fewer than k people whose interval stays inside
  1..k-1, every margin family that bounds its withheld children inside 1..k-1, every pair of
  nested published cells whose difference must be 1..k-1, and every cell or margin family whose
  other contributors' people a member's own records, or two members' together, pin inside 1..k-1.

A failed audit makes :class:`routes.publish.Release` refuse to be written.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import sparse

from routes.privacy import DisclosurePolicy

if TYPE_CHECKING:
    # scipy-stubs' TypedDict of linprog's highs-ds options (stub-only, so imported for typing only)
    from scipy.optimize._linprog import _OptionsHighsDS

    from routes.publish.cells import CellStore, MemberKind

__all__ = [
    "AuditReport",
    "MarginFamily",
    "audit_store",
    "cell_interval",
    "contributor_disclosed",
    "contributor_margin_leaks",
    "margin_families",
    "margin_leaks",
]


MARGIN_LIMIT = 20
"""Published cells of more than ``MARGIN_LIMIT * k`` people are left out of the interval attack.

They share people with almost every cell (corridor totals, groups), so they would make each linear
programme as large as the whole publication; margins up to 220 people (k = 11) are attacked."""


CONTRIBUTOR_COLUMNS = ["label", "by", "key", "low", "high", "own", "via"]
"""The columns of :attr:`AuditReport.contributors`."""


_SIMPLEX: _OptionsHighsDS = {"presolve": False}
"""HiGHS' dual simplex without presolve: the programmes are small (a few hundred rows) and their
presolve costs more than it saves; 2 to 2.5 times faster on the sample's 2,400 programmes, same optima."""


def cell_interval(
    t: int,
    matrix: sparse.csr_matrix,
    overlap: sparse.csr_matrix,
    value: np.ndarray,
    withheld: np.ndarray,
    policy: DisclosurePolicy,
    *,
    maximise_only: bool = False,
    sizes_of: np.ndarray | None = None,
) -> tuple[float, float]:
    """``(low, high)``: the range of cell ``t``'s true count consistent with what is published.

    ``matrix`` is cells × people, ``overlap`` its ``matrix @ matrix.T``; ``value`` the published
    (rounded) values and ``withheld`` which cells are not published; ``sizes_of`` the cells' exact
    sizes (the diagonal of ``overlap`` by default).
    """
    from scipy.optimize import linprog

    from routes.publish.cells import rounding_interval

    neighbours = overlap[t].indices
    sizes = np.asarray(overlap.diagonal())[neighbours] if sizes_of is None else sizes_of[neighbours]
    neighbours = neighbours[(sizes <= MARGIN_LIMIT * policy.k) | (neighbours == t)]
    block = matrix[neighbours]
    people = np.unique(block.indices)
    block = block[:, people].tocsc()
    # A person's pattern of membership, as two random projections (a collision is ~2**-100): one
    # sort of a vector instead of sorting the rows of a cells × people matrix.
    weights = np.random.default_rng(len(neighbours)).random((len(neighbours), 2))
    patterns = np.asarray(block.T @ weights)
    _, first = np.unique(patterns, axis=0, return_index=True)
    atoms = block[:, np.sort(first)].toarray().astype(float)  # neighbours × groups of people
    target = atoms[int(np.flatnonzero(neighbours == t)[0])]
    shown = ~withheld[neighbours]
    low, high = rounding_interval(value[neighbours][shown], policy)
    a_ub = np.vstack([atoms[shown], -atoms[shown], -atoms[~shown]])
    b_ub = np.concatenate([high, -low, -np.ones(int((~shown).sum()))])

    def bound(sign: float) -> float:
        result = linprog(
            sign * target, A_ub=a_ub, b_ub=b_ub, bounds=(0, None), method="highs-ds", options=_SIMPLEX
        )
        if result.status == 3:  # unbounded
            return math.inf if sign < 0 else 0.0
        if result.status != 0:  # infeasible (values from an earlier release): claim nothing
            return math.inf if sign < 0 else 0.0
        assert result.fun is not None  # status 0: an optimum was found
        return float(sign * result.fun)

    top = bound(-1.0)
    top = math.floor(top + 1e-6) if math.isfinite(top) else top
    if maximise_only:
        return 1.0, top
    bottom = bound(1.0)
    return float(math.ceil(bottom - 1e-6)), top


def contributor_disclosed(
    low: np.ndarray | float, high: np.ndarray | float, own: np.ndarray, k: int
) -> np.ndarray:
    """Whether a member that recorded ``own`` of a cell's people, knowing the cell holds ``low`` to
    ``high`` people, knows that other organisations' people in it number 1 to k-1."""
    own = np.asarray(own, dtype=float)
    return np.asarray((np.asarray(low) - own >= 1) & (np.asarray(high) - own <= k - 1), dtype=bool)


@dataclass(frozen=True)
class MarginFamily:
    """A parent cell and the cells of one table it contains that differ from each other in one key.

    The segments ``(u, v)`` out of place ``u`` and the cell of place ``u``; a table's rows and its
    margin row. ``children`` are store indices.
    """

    parent: int
    children: np.ndarray


def margin_families(store: CellStore, overlap: sparse.csr_matrix) -> list[MarginFamily]:
    """Every (parent, children) family of ``store`` a reader could subtract.

    Children are the cells of one label and ``by`` whose keys agree on all values but one; a parent is
    a cell whose key is the values they share (any label: a place for its segments) or the same key
    with :data:`routes.privacy.TOTAL` in the position that varies (a table's margin), and that
    contains every child's people.
    """
    from routes.privacy import TOTAL

    by_key: dict[tuple[str, ...], list[int]] = {}
    for i, (_, _, key) in enumerate(store.keys):
        by_key.setdefault(key, []).append(i)
    groups: dict[tuple[Any, ...], list[int]] = {}
    for i, (label, by, key) in enumerate(store.keys):
        if len(key) < 2 or TOTAL in key:
            continue
        for j in range(len(key)):
            groups.setdefault((label, by, j, key[:j] + key[j + 1 :]), []).append(i)
    candidates: list[MarginFamily] = []
    for (label, by, j, shared), children in groups.items():
        if len(children) < 2:
            continue
        kids = np.asarray(children, dtype=np.int64)
        margin = (*shared[:j], TOTAL, *shared[j:])
        parents = by_key.get(shared, []) + [
            p for p in by_key.get(margin, []) if store.keys[p][0] == label and store.keys[p][1] == by
        ]
        candidates += [MarginFamily(int(p), kids) for p in parents]
    if not candidates:
        return []
    # a parent holds its children when it shares each child's every person: one gather for all pairs
    sizes = np.asarray([len(family.children) for family in candidates])
    rows = np.repeat([family.parent for family in candidates], sizes)
    columns = np.concatenate([family.children for family in candidates])
    held = np.asarray(overlap[rows, columns]).ravel() == store.exact[columns]
    whole = np.logical_and.reduceat(held, np.r_[0, np.cumsum(sizes)[:-1]])
    return [family for family, kept in zip(candidates, whole, strict=True) if kept]


def margin_leaks(
    families: list[MarginFamily],
    value: np.ndarray,
    withheld: np.ndarray,
    exact: np.ndarray,
    policy: DisclosurePolicy,
) -> list[tuple[MarginFamily, float]]:
    """Families whose published parent and children bound a withheld child under k: ``(family, bound)``.

    Bound = the parent's highest value − the published children's lowest values − one for each other
    withheld child (a withheld cell holds at least one person). A bound of 0 or less contradicts the
    disjointness the reader assumes, so it teaches nothing.
    """
    from routes.publish.cells import rounding_interval

    k = policy.k
    leaks = []
    for family in families:
        p, kids = family.parent, family.children
        hidden = kids[withheld[kids]]
        if withheld[p] or not len(hidden) or not ((exact[hidden] > 0) & (exact[hidden] < k)).any():
            continue
        shown = kids[~withheld[kids]]
        high_parent = rounding_interval(value[[p]], policy)[1][0]
        low_shown = rounding_interval(value[shown], policy)[0].sum() if len(shown) else 0
        bound = float(high_parent - low_shown - (len(hidden) - 1))
        if 1 <= bound <= k - 1:
            leaks.append((family, bound))
    return leaks


def contributor_margin_leaks(
    families: list[MarginFamily],
    kinds: list[MemberKind],
    value: np.ndarray,
    withheld: np.ndarray,
    policy: DisclosurePolicy,
) -> list[tuple[MarginFamily, float, float, int]]:
    """Families whose published parent and children, minus a coalition's own people in the withheld
    children, bound the other members' people in them inside 1..k-1: ``(family, low, high, own)``.

    ``kinds`` is :meth:`~routes.publish.cells.CellStore.member_counts` (cells × members, one matrix
    a kind); a coalition is a member, or two of a kind that pools. The withheld children together hold the
    parent's interval minus the published children's, ``[W_lo, W_hi]`` (children disjoint, as
    :func:`margin_leaks` assumes); the coalition recorded ``own`` of them, so the others hold
    ``[W_lo - own, W_hi - own]``. A withheld child holding none of the coalition's people holds at
    least one other: the others in it are 1 to ``W_hi - own`` minus one for each other such child.
    Every family and coalition at once: sparse products.
    """
    from routes.publish.cells import rounding_interval, with_pairs

    k = policy.k
    open_ = [f for f in families if not withheld[f.parent] and withheld[f.children].any()]
    if not open_ or not kinds:
        return []
    low, high = rounding_interval(value, policy)
    sizes = np.asarray([len(f.children) for f in open_])
    columns = np.concatenate([f.children for f in open_])
    rows = np.repeat(np.arange(len(open_)), sizes)
    hidden = withheld[columns]

    def per_family(mask: np.ndarray) -> sparse.csr_matrix:
        ones = np.ones(int(mask.sum()), dtype=np.int64)
        return sparse.csr_matrix((ones, (rows[mask], columns[mask])), shape=(len(open_), len(value)))

    shown, of_hidden = per_family(~hidden), per_family(hidden)
    parent = np.asarray([f.parent for f in open_])
    w_high = high[parent] - shown @ low
    w_low = low[parent] - shown @ high
    n_hidden = np.bincount(rows[hidden], minlength=len(open_))
    # per family and coalition, its people in the withheld children and how many of them hold some,
    # as ``own * base + holding`` (``base`` above any family's number of children): each member's
    # summed over the children, then paired; a child both members of a pair hold counted once
    base = int(sizes.max()) + 1
    found = []
    for pooled in kinds:
        kind = pooled.counts
        at = (kind.row, kind.col)
        coded = sparse.csr_matrix((kind.data.astype(np.int64) * base + 1, at), kind.shape)
        if not pooled.pools:
            found.append((of_hidden @ coded).tocoo())
            continue
        pairs = with_pairs(sparse.coo_matrix((np.ones(kind.nnz, dtype=np.int64), at), kind.shape))
        both = np.where(pairs.col >= kind.shape[1], pairs.data // 2, 0)  # a pair's members both in a child
        held_twice = sparse.csr_matrix((both, (pairs.row, pairs.col)), pairs.shape)
        found.append((with_pairs(of_hidden @ coded).tocsr() - of_hidden @ held_twice).tocoo())
    family = np.concatenate([f.row for f in found])
    coded_sums = np.concatenate([f.data for f in found]).astype(np.int64)
    mine, holding = coded_sums // base, coded_sums % base
    empty = n_hidden[family] - holding  # withheld children with none of the coalition's people
    others_high = np.where(empty > 0, w_high[family] - mine - empty + 1, w_high[family] - mine)
    others_low = np.where(empty > 0, 1, w_low[family] - mine)
    hit = np.flatnonzero((mine > 0) & (others_low >= 1) & (others_high <= k - 1))
    return [
        (open_[family[i]], float(others_low[i] + mine[i]), float(others_high[i] + mine[i]), int(mine[i]))
        for i in hit
    ]


@dataclass(frozen=True)
class AuditReport:
    """What an attacker could recover from a release; empty tables mean the audit passed.

    Attributes
    ----------
    intervals : DataFrame
        One row per withheld cell with fewer than k people: ``label``, ``by``, ``key``, ``low``,
        ``high`` (what the published cells allow) and ``disclosed`` (the interval lies in 1..k-1).
    complements : DataFrame
        Nested published cells whose difference the published values pin inside 1..k-1.
    margins : DataFrame
        Parent − published children bounds inside 1..k-1 (``parent``, ``children``, ``bound``).
    checked_cells : int
        Withheld cells the interval attack was run on.
    contributors : DataFrame
        Cells whose other contributors' people a member, or two members together, pin inside 1..k-1
        by subtracting their own (``label``, ``by``, ``key``, ``low``, ``high``: the cell's interval,
        ``own``, ``via``: "cell", or "margin" for the withheld children of the parent named).
    """

    intervals: pd.DataFrame
    complements: pd.DataFrame
    checked_cells: int
    problems: tuple[str, ...] = field(default=())
    margins: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["parent", "children", "bound"])
    )
    contributors: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=CONTRIBUTOR_COLUMNS))
    formal: Mapping[str, Any] | None = None
    recorded: str = ""  # a republication: the audit line of the release it republishes

    @property
    def passed(self) -> bool:
        """No withheld cell pinned under k, by intervals or margins; no nested difference under k."""
        return (
            not bool(self.intervals["disclosed"].any())
            and self.complements.empty
            and self.margins.empty
            and self.contributors.empty
            and not self.problems
        )

    def summary(self) -> str:
        """One line for the analyst."""
        if self.recorded:
            return self.recorded
        disclosed = int(self.intervals["disclosed"].sum())
        if self.formal is not None:
            families = self.formal.get("families") or {"all": self.formal}
            sd = [f["noise_sd"] for f in families.values()]
            cut = [f.get("threshold_data_dependent_keys", f.get("threshold")) for f in families.values()]
            return (
                f"audit: formal mode (ε = {self.formal['epsilon']:g}, δ = {self.formal['delta']:g}; "
                f"{len(families)} families of tables, noise sd {_span(sd)}, threshold on keys from the data "
                f"{_span(cut)}); {len(self.problems)} other problems"
            )
        return (
            f"audit: {self.checked_cells} withheld cells attacked, {disclosed} pinned under k; "
            f"{len(self.margins)} margins under k; {len(self.complements)} nested differences under k; "
            f"{len(self.contributors)} cells a contributor pins under k; {len(self.problems)} other problems"
        )


    def public_summary(self) -> str:
        """The audit's line for a published manifest: what was attacked and that nothing was pinned,
        without :meth:`summary`'s number of withheld cells attacked (a statistic of small cells,
        which moves with one person)."""
        if self.formal is not None or not self.passed:
            return self.summary()
        return ("audit passed: no withheld cell, margin, nested difference or member's subtraction "
                "pins a count under k")


def _span(values: list[float]) -> str:
    """``3.1–19`` (or one value): a range for the summary line."""
    low, high = min(values), max(values)
    return f"{low:g}" if low == high else f"{low:g}–{high:g}"


def audit_store(store: CellStore, *, recompute: bool = False) -> AuditReport:
    """Attack every withheld cell under k and every nested pair of published cells of ``store``.

    The intervals the protection computed are certificates (withholding more only widens an
    interval), so they are reused, with the memberships and overlaps it computed, unless
    ``recompute``; cells whose values an earlier release
    published (the ledger) were attacked when that release was built.
    """
    from routes.publish.cells import rounding_interval

    assert store.published is not None and store.reason is not None
    policy, k = store.policy, store.policy.k
    exact = store.exact
    withheld = np.isnan(store.published)
    value = np.where(withheld, 0, store.published).astype(np.int64)
    problems = _count_problems(value[~withheld], policy)
    if policy.mode == "formal":
        # Noisy values bound nothing exactly: the guarantee is the mechanism's, not an interval's.
        return AuditReport(
            pd.DataFrame(columns=["label", "by", "key", "low", "high", "disclosed"]).astype(
                {"disclosed": bool}
            ),
            pd.DataFrame(columns=["outer", "inner"]),
            0,
            tuple(problems),
            formal=store.formal_plan.as_dict() if store.formal_plan is not None else None,
        )
    if store.overlap is not None and not recompute:
        matrix, overlap = store.overlap
    else:
        matrix = store.membership_matrix()
        overlap = store.shared_people()
    rows = []
    for t in np.flatnonzero(withheld & (exact > 0) & (exact < k)):
        if int(t) in store.frozen_values:
            continue
        known = store.interval_high.get(int(t))
        if known is not None and not recompute:
            low, high = 1.0, known
        else:
            low, high = cell_interval(
                int(t), matrix, overlap, value, withheld, policy, maximise_only=True, sizes_of=exact
            )
        label, by, key = store.keys[t]
        rows.append((label, "|".join(by), "|".join(key), low, high, low >= 1 and high <= k - 1))
    intervals = pd.DataFrame(rows, columns=["label", "by", "key", "low", "high", "disclosed"])
    coo = overlap.tocoo()
    a, b = coo.row, coo.col
    frozen = np.zeros(len(exact), dtype=bool)
    frozen[list(store.frozen_values)] = True
    # Values an earlier, audited release published show the reader nothing new: only pairs and
    # families with a cell protected now are attacked.
    nested = (coo.data == exact[b]) & (exact[a] > exact[b]) & ~withheld[a] & ~withheld[b]
    nested &= ~(frozen[a] & frozen[b])
    a, b = a[nested], b[nested]
    low_a, high_a = rounding_interval(value[a], policy)
    low_b, high_b = rounding_interval(value[b], policy)
    leak = (low_a - high_b >= 1) & (high_a - low_b <= k - 1)
    complements = pd.DataFrame(
        {
            "outer": ["|".join(store.keys[i][2]) for i in a[leak]],
            "inner": ["|".join(store.keys[i][2]) for i in b[leak]],
        }
    )
    families = margin_families(store, overlap)
    margins = pd.DataFrame(
        [
            (
                _cell_name(store, family.parent),
                ", ".join(_cell_name(store, c) for c in family.children),
                bound,
            )
            for family, bound in margin_leaks(families, value, withheld, exact, policy)
            if not (frozen[family.parent] and frozen[family.children].all())
        ],
        columns=["parent", "children", "bound"],
    )
    return AuditReport(
        intervals, complements, len(rows), tuple(problems), margins,
        contributors=_contributor_leaks(store, matrix, overlap, families, value, withheld, frozen, recompute),
    )


def _contributor_leaks(
    store: CellStore,
    matrix: sparse.csr_matrix,
    overlap: sparse.csr_matrix,
    families: list[MarginFamily],
    value: np.ndarray,
    withheld: np.ndarray,
    frozen: np.ndarray,
    recompute: bool,
) -> pd.DataFrame:
    """Cells a member of a pooled data set, or two members together, pin by subtracting their own
    records: a published cell's rounding interval, or a withheld cell's linear-programme interval,
    minus their own people (``via`` "cell"); or a margin family's bound on its withheld children
    minus their own people in them (``via`` "margin", the parent named; organisations only,
    :data:`~routes.publish.cells.POOLING`)."""
    from routes.publish.cells import pooling, rounding_interval

    policy, k = store.policy, store.policy.k
    own = store.partial_contributions(matrix)
    keep = ~frozen[own.row] & (store.exact[own.row] - own.data < k)  # others under k: else none to pin
    cell, mine = own.row[keep], own.data[keep]
    low, high = rounding_interval(value[cell], policy)
    low, high = low.astype(float), high.astype(float)
    known: dict[int, tuple[float, float]] = {}  # a cell's interval, once for all its members
    for i in np.flatnonzero(withheld[cell]):
        t = int(cell[i])
        if t not in known:
            known[t] = (
                cell_interval(t, matrix, overlap, value, withheld, policy, sizes_of=store.exact)
                if recompute or t not in store.interval_high
                else (store.interval_low.get(t, 1.0), store.interval_high[t])
            )
        low[i], high[i] = known[t]
    hit = contributor_disclosed(low, high, mine, k)
    pinned = [
        (int(t), lo, hi, int(o), "cell")
        for t, lo, hi, o in zip(cell[hit], low[hit], high[hit], mine[hit], strict=True)
    ]
    organisations = pooling(store.member_counts(matrix))
    margins = contributor_margin_leaks(families, organisations, value, withheld, policy)
    pinned += [
        (family.parent, lo, hi, o, "margin")
        for family, lo, hi, o in margins
        if not (frozen[family.parent] and frozen[family.children].all())
    ]
    return pd.DataFrame(
        [
            (store.keys[t][0], "|".join(store.keys[t][1]), "|".join(store.keys[t][2]), lo, hi, o, via)
            for t, lo, hi, o, via in pinned
        ],
        columns=CONTRIBUTOR_COLUMNS,
    )


def _count_problems(shown: np.ndarray, policy: DisclosurePolicy) -> list[str]:
    problems = []
    if ((shown > 0) & (shown < policy.k)).any():
        problems.append("a published count is under k")
    if policy.rounding > 1 and (shown % policy.rounding != 0).any():
        problems.append(f"a published count is not a multiple of {policy.rounding}")
    return problems


def _cell_name(store: CellStore, cell: int) -> str:
    label, _, key = store.keys[cell]
    return f"{label}:{'|'.join(key)}"
