"""Formal privacy for a release: zero-concentrated differential privacy on OpenDP.

The ``formal`` mode of :class:`routes.privacy.DisclosurePolicy` replaces threshold protection
(suppression, rounding intervals, secondary suppression) with noise whose effect on any one person is
bounded whatever else an attacker knows or publishes later:

1. **Contributions bounded.** Cells with the same people are one query. Each person counts in at
   most ``cells_per_person`` queries; a person in more keeps a uniformly random subset (their other
   memberships are dropped from the noisy counts only).
2. **Gaussian noise** (``opendp.measurements.make_gaussian``) on every query at once, its scale
   found by OpenDP (``binary_search_param``) so that the release is ρ-zCDP with the ε and half the δ
   of the policy (``make_zCDP_to_approxDP`` and ``make_fix_delta``). One person changes at most
   ``cells_per_person`` counts by one: the L2 sensitivity is its square root, and the budget is split
   equally over a person's cells (ρ / ``cells_per_person`` each).
3. **A public domain** (:class:`PublicDomain`): the briefs' tables whose keys come from the
   schema's vocabularies (each corridor's totals, assistance and referral codes, case types, groups)
   are known before the data is read. Every key of such a table is a query, also a key no one is
   counted in (noise on 0), and is shown when its noisy count reaches k: display suppression, which
   is post-processing and costs no δ.
4. **Threshold after noise** for every other cell. Which places, segments, routes, periods and
   hexagons exist depends on the data, so such a cell is published only when its noisy count reaches
   ``threshold``: the larger of k and the value a cell holding one person reaches with probability at
   most the other half of δ over all of that person's cells.
5. **Post-processing**: non-negative integers, rounded for display like the default mode. Post-
   processing costs no budget; the manifest writes ε, δ and how it is used (half for the zCDP
   conversion, half for the threshold), ρ and its equal split over a person's cells, the noise
   scale, the bound, both thresholds and the public domain.

What it does not do yet: places, segments, routes and periods have no public list of keys (the
gazetteer lists places, but the map and the briefs show only the places of the data's network, and
no list of segments is published), so they keep the δ-threshold, which is what keeps the mode under
the issue's targets; ρ is split equally over a person's cells rather than towards the tables products
show most; margins are not made consistent (a place total is not forced to equal or exceed its
segments); and the grouping of cells with identical people is taken from the data (a strict
accounting would fix the queries in advance).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from statistics import NormalDist
from typing import TYPE_CHECKING

import numpy as np
from scipy import sparse

from routes.privacy import DisclosurePolicy

if TYPE_CHECKING:
    from opendp.mod import Domain, Metric

__all__ = ["FormalPlan", "PublicDomain", "bound_contributions", "gaussian_noise", "plan_for"]

#: The key of a margin (every value of a column), as :mod:`routes.privacy` names it.
MARGIN = "__total__"


@dataclass(frozen=True)
class PublicDomain:
    """Cells whose keys are known without looking at the data: released by noise alone.

    A table is in the domain when its label starts with one of ``prefixes`` followed by ``:`` and
    each of its ``by`` columns has a public list of values in ``columns`` (``scope`` is the table's
    own prefix: a corridor's total). Every key of such a table — the product of the columns' lists,
    with the table's margins — is a query of the release whether or not anyone is counted in it: a
    key with no one gets noise on 0 like any other, and every key is shown when its noisy count
    reaches k (post-processing of the noisy counts: no δ). Keys outside the domain (places, segments,
    routes: their lists would come from the data) keep the δ-threshold.

    Attributes
    ----------
    columns
        Column → its public values (vocabularies of the schema, never the data).
    prefixes
        Label prefixes of the tables the domain covers (the briefs' corridors and ``"all"``).
    """

    columns: Mapping[str, tuple[str, ...]]
    prefixes: tuple[str, ...]

    def _values(self, label: str, column: str) -> tuple[str, ...] | None:
        if column == "scope":
            return (label.split(":", 1)[0],)
        return self.columns.get(column)

    def covers(self, label: str, by: Sequence[str]) -> bool:
        """Whether the table ``label`` by ``by`` has every key in the domain."""
        head, colon, _ = label.partition(":")
        return (
            bool(colon) and head in self.prefixes and "#" not in label
            and all(self._values(label, c) is not None for c in by)
        )

    def contains(self, label: str, by: Sequence[str], key: Sequence[str]) -> bool:
        """Whether one cell (its table and key values as text) is in the domain."""
        if not self.covers(label, by):
            return False
        return all(
            value == MARGIN or value in (self._values(label, c) or ())
            for c, value in zip(by, key, strict=True)
        )

    def keys(self, label: str, by: Sequence[str], margins: bool) -> list[tuple[str, ...]]:
        """Every key of a covered table, margins included (the patterns :mod:`routes.privacy` counts)."""
        lists = [self._values(label, c) or () for c in by]
        patterns = [[True] * len(by)]
        if margins:
            if len(by) > 1:
                patterns += [[*([True] * (len(by) - 1)), False], [False] * (len(by) - 1) + [True]]
            patterns.append([False] * len(by))
        out: dict[tuple[str, ...], None] = {}
        for pattern in patterns:
            choices = [values if kept else (MARGIN,) for values, kept in zip(lists, pattern, strict=True)]
            out.update(dict.fromkeys(itertools.product(*choices)))
        return list(out)

    def as_dict(self) -> dict[str, object]:
        """What the manifest writes: the public lists and which tables they cover."""
        return {
            "tables": [f"{p}:*" for p in self.prefixes],
            "columns": {c: len(v) for c, v in sorted(self.columns.items())} | {"scope": 1},
            "source": "schema vocabularies and the corridor list (no data)",
        }


@dataclass(frozen=True)
class FormalPlan:
    """The noise of one formal release, derived from the policy only (never from the data).

    Attributes
    ----------
    epsilon, delta
        The (ε, δ) guarantee of the whole release.
    rho
        The zCDP budget the Gaussian mechanism spends (what the ledger adds up).
    scale
        Standard deviation of the Gaussian noise on each count.
    cells_per_person
        Most queries one person counts in.
    threshold
        Smallest noisy count published for a cell outside the public domain (its key comes from the
        data).
    public_threshold
        Smallest noisy count shown for a cell of the public domain (k: display only, no δ).
    domain
        The public domain, or ``None`` (every cell takes the threshold).
    public_cells
        Keys of the public domain in the release (with no one counted or not: a data-free number).
    """

    epsilon: float
    delta: float
    rho: float
    scale: float
    cells_per_person: int
    threshold: float
    public_threshold: float = 0.0
    domain: PublicDomain | None = field(default=None, compare=False)
    public_cells: int = 0

    @property
    def delta_conversion(self) -> float:
        """The δ the zCDP → (ε, δ) conversion uses (half of the policy's)."""
        return self.delta / 2

    @property
    def delta_threshold(self) -> float:
        """The δ the threshold on data-dependent keys uses (the other half)."""
        return self.delta - self.delta_conversion

    def as_dict(self) -> dict[str, object]:
        """What ``manifest.json`` writes: the guarantee, how ρ and δ are spent, and the public domain."""
        return {
            "mechanism": "Gaussian (OpenDP), zero-concentrated differential privacy",
            "epsilon": self.epsilon,
            "delta": self.delta,
            "delta_use": {
                "zcdp_to_approx_dp": self.delta_conversion,
                "threshold_on_data_dependent_keys": self.delta_threshold,
            },
            "rho": round(self.rho, 6),
            "noise_sd": round(self.scale, 3),
            "cells_per_person": self.cells_per_person,
            "rho_per_cell": round(self.rho / self.cells_per_person, 6),
            "budget_split": "equal: each of the at most cells_per_person queries a person counts in, in "
            "every table, gets rho / cells_per_person",
            "threshold": round(self.threshold, 1),
            "public_threshold": round(self.public_threshold, 1),
            "public_domain": self.domain.as_dict() if self.domain is not None else None,
            "public_cells": self.public_cells,
        }


def _space() -> tuple[Domain, Metric]:
    import opendp.prelude as dp

    dp.enable_features("contrib")
    return dp.vector_domain(dp.atom_domain(T=float, nan=False)), dp.l2_distance(T=float)


def plan_for(policy: DisclosurePolicy) -> FormalPlan:
    """The noise scale and threshold that give ``policy``'s (ε, δ) for its contribution bound."""
    import opendp.prelude as dp

    domain, metric = _space()
    bound = int(policy.cells_per_person)
    sensitivity = math.sqrt(bound)
    half_delta = policy.delta / 2

    def mechanism(scale: float) -> dp.Measurement:
        return dp.m.make_gaussian(domain, metric, scale=scale)

    scale = float(
        dp.binary_search_param(
            lambda s: dp.c.make_fix_delta(dp.c.make_zCDP_to_approxDP(mechanism(s)), half_delta),
            d_in=sensitivity,
            d_out=(policy.epsilon, half_delta),
        )
    )
    rho = float(mechanism(scale).map(sensitivity))
    # A cell that exists only because of one person holds 1; each of that person's cells may reach
    # the threshold with probability half_delta / bound at most.
    z = NormalDist().inv_cdf(1 - half_delta / bound)
    threshold = max(float(policy.k), 1 + z * scale)
    return FormalPlan(policy.epsilon, policy.delta, rho, scale, bound, threshold, float(policy.k))


def bound_contributions(matrix: sparse.csr_matrix, limit: int, rng: np.random.Generator) -> sparse.csr_matrix:
    """``matrix`` (queries × people, 0/1) with each person kept in at most ``limit`` random queries."""
    coo = matrix.tocoo()
    order = np.lexsort((rng.random(coo.nnz), coo.col))
    cols = coo.col[order]
    starts = np.r_[0, np.flatnonzero(np.diff(cols) != 0) + 1]
    rank = np.arange(len(cols)) - np.repeat(starts, np.diff(np.r_[starts, len(cols)]))
    keep = order[rank < limit]
    return sparse.csr_matrix(
        (coo.data[keep], (coo.row[keep], coo.col[keep])), shape=matrix.shape
    )


def gaussian_noise(counts: np.ndarray, plan: FormalPlan) -> np.ndarray:
    """``counts`` plus OpenDP's Gaussian noise of the plan's scale (its own secure sampler)."""
    import opendp.prelude as dp

    domain, metric = _space()
    measurement = dp.m.make_gaussian(domain, metric, scale=plan.scale)
    return np.asarray(measurement([float(c) for c in counts]), dtype=float)
