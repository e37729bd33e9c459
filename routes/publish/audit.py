"""An audit that attacks a release as a reader with only the published files would.

- :func:`cell_interval`: the values a withheld cell can take given every published cell that shares
  people with it. Variables are the groups of people with one pattern of membership over those cells
  (the reader is granted the structure: which groups exist); each published cell bounds the sum of
  its groups by its rounding interval, each withheld one is at least 1. Linear programming
  (``scipy.optimize.linprog``, HiGHS); the relaxation to real values can only widen the interval.
- :func:`audit_store`: every withheld cell with fewer than k people whose interval stays inside
  1..k-1, and every pair of nested published cells whose difference must be 1..k-1.

A failed audit makes :class:`routes.publish.Release` refuse to be written.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import sparse

from routes.privacy import DisclosurePolicy

if TYPE_CHECKING:
    from routes.publish.cells import CellStore

__all__ = ["AuditReport", "audit_store", "cell_interval"]


MARGIN_LIMIT = 20
"""Published cells of more than ``MARGIN_LIMIT * k`` people are left out of the interval attack.

They share people with almost every cell (corridor totals, groups), so they would make each linear
programme as large as the whole publication; margins up to 220 people (k = 11) are attacked."""


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
    dense = block[:, people].toarray().astype(bool)
    atoms = np.unique(dense.T, axis=0).T.astype(float)  # neighbours × groups of people
    target = atoms[int(np.flatnonzero(neighbours == t)[0])]
    shown = ~withheld[neighbours]
    low, high = rounding_interval(value[neighbours][shown], policy)
    a_ub = np.vstack([atoms[shown], -atoms[shown], -atoms[~shown]])
    b_ub = np.concatenate([high, -low, -np.ones(int((~shown).sum()))])

    def bound(sign: float) -> float:
        result = linprog(sign * target, A_ub=a_ub, b_ub=b_ub, bounds=(0, None), method="highs")
        if result.status == 3:  # unbounded
            return math.inf if sign < 0 else 0.0
        if result.status != 0:  # infeasible (values from an earlier release): claim nothing
            return math.inf if sign < 0 else 0.0
        return float(sign * result.fun)

    top = bound(-1.0)
    top = math.floor(top + 1e-6) if math.isfinite(top) else top
    if maximise_only:
        return 1.0, top
    bottom = bound(1.0)
    return float(math.ceil(bottom - 1e-6)), top


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
    checked_cells : int
        Withheld cells the interval attack was run on.
    """

    intervals: pd.DataFrame
    complements: pd.DataFrame
    checked_cells: int
    problems: tuple[str, ...] = field(default=())

    @property
    def passed(self) -> bool:
        """No withheld cell pinned under k, no nested difference under k, no other problem."""
        return not bool(self.intervals["disclosed"].any()) and self.complements.empty and not self.problems

    def summary(self) -> str:
        """One line for the analyst."""
        disclosed = int(self.intervals["disclosed"].sum())
        return (
            f"audit: {self.checked_cells} withheld cells attacked, {disclosed} pinned under k; "
            f"{len(self.complements)} nested differences under k; {len(self.problems)} other problems"
        )


def audit_store(store: CellStore, *, recompute: bool = False) -> AuditReport:
    """Attack every withheld cell under k and every nested pair of published cells of ``store``.

    The intervals the protection computed are certificates (withholding more only widens an
    interval), so they are reused unless ``recompute``; cells whose values an earlier release
    published (the ledger) were attacked when that release was built.
    """
    from routes.publish.cells import rounding_interval

    assert store.published is not None and store.reason is not None
    policy, k = store.policy, store.policy.k
    exact = store.exact
    withheld = np.isnan(store.published)
    value = np.where(withheld, 0, store.published).astype(np.int64)
    matrix = store.membership_matrix()
    overlap = (matrix @ matrix.T).tocsr()
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
    nested = (coo.data == exact[b]) & (exact[a] > exact[b]) & ~withheld[a] & ~withheld[b]
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
    problems = []
    shown = value[~withheld]
    if ((shown > 0) & (shown < k)).any():
        problems.append("a published count is under k")
    if policy.rounding > 1 and (shown % policy.rounding != 0).any():
        problems.append(f"a published count is not a multiple of {policy.rounding}")
    return AuditReport(intervals, complements, len(rows), tuple(problems))
