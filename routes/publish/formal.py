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
3. **Threshold after noise.** Which cells exist depends on the data, so a cell is published only when
   its noisy count reaches ``threshold``: the larger of k and the value a cell holding one person
   reaches with probability at most the other half of δ over all of that person's cells.
4. **Post-processing**: non-negative integers, rounded for display like the default mode. Post-
   processing costs no budget; the manifest writes ε, δ, ρ, the noise scale, the bound and the
   threshold.

What it does not do yet: margins are not made consistent (a place total is not forced to equal or
exceed its segments), and the grouping of cells with identical people is taken from the data (a strict
accounting would fix the queries in advance).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist
from typing import TYPE_CHECKING

import numpy as np
from scipy import sparse

from routes.privacy import DisclosurePolicy

if TYPE_CHECKING:
    from opendp.mod import Domain, Metric

__all__ = ["FormalPlan", "bound_contributions", "gaussian_noise", "plan_for"]


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
        Smallest noisy count published.
    """

    epsilon: float
    delta: float
    rho: float
    scale: float
    cells_per_person: int
    threshold: float

    def as_dict(self) -> dict[str, float | int | str]:
        """What ``manifest.json`` writes."""
        return {
            "mechanism": "Gaussian (OpenDP), zero-concentrated differential privacy",
            "epsilon": self.epsilon,
            "delta": self.delta,
            "rho": round(self.rho, 6),
            "noise_sd": round(self.scale, 3),
            "cells_per_person": self.cells_per_person,
            "rho_per_cell": round(self.rho / self.cells_per_person, 6),
            "threshold": round(self.threshold, 1),
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
    return FormalPlan(policy.epsilon, policy.delta, rho, scale, bound, threshold)


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
