"""Formal privacy for a release: zero-concentrated differential privacy on OpenDP.

The ``formal`` mode of :class:`routes.privacy.DisclosurePolicy` replaces threshold protection
(suppression, rounding intervals, secondary suppression) with noise whose effect on any one person is
bounded whatever else an attacker knows or publishes later:

1. **Families of tables, budgets fixed by policy** (:data:`FAMILIES`). A table belongs to a family
   by its key columns (places, segments, segment × period, routes, risk × place, hexagons, totals,
   codes). Each family has a most number of queries one person counts in, a contribution norm and
   a share of ρ, all fixed in advance (chosen on the synthetic sample of
   :func:`routes.sample.generate_sample`, never on the analyst's data): more of the budget goes to
   the places and segments that carry most of a publication's cells, less to the totals and schema
   codes, whose counts are large anyway.
2. **Contributions bounded.** Cells with the same people are one query. In each family a person
   counts in at most that family's most queries (``bound``); a person in more keeps a uniformly
   random subset (their other memberships are dropped from the noisy counts only). A person in ``m``
   queries of a family, more than its norm ``b``, then counts ``sqrt(b / m)`` in each instead of 1
   (:func:`weigh_contributions`): the sum of squares of what they add is at most ``b`` whatever
   ``m``, the L2 sensitivity the Gaussian needs, and their cells lose less than when
   memberships are dropped down to ``b`` (``sqrt(b / m)`` of a person each instead of ``b / m``).
3. **Gaussian noise** (``opendp.measurements.make_gaussian``) on every query, each family with its
   own scale: family *f* with norm *b* and share *w* of ρ has ``sd = sqrt(b / (2 w ρ))``, so one
   person costs at most ρ over all families (zCDP composes by adding ρ). ρ is what OpenDP finds for
   the ε and half the δ of the policy (``make_zCDP_to_approxDP`` and ``make_fix_delta``).
4. **A public domain** (:class:`PublicDomain`): keys known before the data is read — the briefs' tables
   of schema codes (each corridor's totals, assistance and referral codes, case types, groups) and the
   places of the curated gazetteer in the tables of places (the map's, the people passing, each
   corridor's; not those of risks at a place). Every key of such a table is a query, also a key no one
   is counted in (noise on 0), and is shown when its noisy count reaches the table's **display
   threshold**: the larger of k and the value a key with no one reaches with probability
   :data:`FALSE_CELLS` / (keys of the table), so that each table shows on average at most
   :data:`FALSE_CELLS` keys no one is in. It depends on the domain's size and the noise only, so it is
   post-processing and costs no δ. The release gives its networks every curated place, so products can
   draw a place no one passed.
5. **Threshold after noise** for every other cell. Which segments, routes, periods, hexagons, risks
   at places and places outside the curated gazetteer exist depends on the data, so such a cell is
   published only when its noisy count reaches its family's ``threshold``: the larger of k and the
   value a cell holding one person reaches with probability at most the other half of δ over all of
   that person's cells.
6. **Post-processing**: a brief's count is kept at most the count of the table it is nested in
   (:data:`NESTED`: the people assisted at most the corridor's people), then non-negative
   integers, rounded for display like the default mode. The manifest writes ε, δ and its two uses,
   ρ and its split over the families (bound, norm, share, noise, threshold), every display threshold and
   its rule, and the public domain.

What it does not do yet: segments and periods keep the δ-threshold. Ordered pairs of curated places and
the quarters of the period are public too (about 5 points more of the default's cells in a simulation,
``benchmarks/README.md``), but the map and the briefs draw only the segments of the data's network: a
segment no one travelled that passes the display threshold would be dropped by the products, which is a
decision on the data. Risks at places are left out of the domain: a key with no one shown there would
read as a risk reported at a place where no one reported it. Margins beyond the briefs' totals are not
made consistent (a place total may be below one of its segments); the grouping of cells with identical
people, and which tables are counted (a risk's tables exist when someone reported it), are taken from
the data, where a strict accounting would fix the queries in advance.
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

__all__ = [
    "FALSE_CELLS",
    "FAMILIES",
    "NESTED",
    "Family",
    "FormalPlan",
    "PublicDomain",
    "bound_contributions",
    "family_of",
    "gaussian_noise",
    "plan_for",
    "weigh_contributions",
]

#: The key of a margin (every value of a column), as :mod:`routes.privacy` names it.
MARGIN = "__total__"

#: Family → (most queries one person counts in, the contribution norm, share of ρ) at
#: ``cells_per_person=110``; another ``cells_per_person`` scales both numbers. Fixed by policy, never
#: by the analyst's data, all chosen on the synthetic sample (:func:`routes.sample.generate_sample`,
#: seed 2022): the most queries are the 99th percentile of the queries per person of each family
#: (someone in more keeps a random subset), the norms about the 80th (someone in ``m`` queries of a
#: family above its norm ``b`` counts ``sqrt(b / m)`` in each, so the sum of squares of what one
#: person adds is at most ``b``), the shares put two thirds of ρ on the places and segments that
#: carry most of a publication's cells.
FAMILIES: Mapping[str, tuple[int, int, float]] = {
    "places": (20, 15, 0.33),
    "segments": (16, 10, 0.33),
    "risk places": (16, 12, 0.05),
    "periods": (7, 5, 0.04),
    "routes": (4, 3, 0.03),
    "hexagons": (3, 2, 0.01),
    "totals": (10, 9, 0.06),
    "codes": (34, 26, 0.15),
}

_FAMILY_OF_KEYS = {
    ("place_id",): "places",
    ("u", "v"): "segments",
    ("u", "v", "period"): "periods",
    ("risk", "place_id"): "risk places",
    ("route",): "routes",
    ("h3_cell",): "hexagons",
    ("scope",): "totals",
}

#: A brief's table → the table of the same corridor its people are all in, by construction (the
#: people assisted are among the corridor's people, an assistance code's among those assisted):
#: post-processing keeps each noisy count at most its parent's, parents first.
NESTED: Mapping[str, str] = {
    "assisted": "people",
    "referred": "people",
    "referrals completed": "referred",
    "assistance": "assisted",
    "referrals": "referred",
    "groups": "people",
    "case types": "people",
}

#: Expected number of keys no one is counted in that one table of the public domain shows.
FALSE_CELLS = 0.1


def family_of(by: Sequence[str]) -> str:
    """The family of a table by its key columns (anything else is ``"codes"``)."""
    return _FAMILY_OF_KEYS.get(tuple(by), "codes")


@dataclass(frozen=True)
class PublicDomain:
    """Cells whose keys are known without looking at the data: released by noise and a display threshold.

    A table is in the domain when its label's head (before the first ``:``) is one of ``prefixes``, or its
    label one of ``labels``, and each of its ``by`` columns has a public list of values in ``columns``
    (``scope`` is the table's own head: a corridor's total). Every key of such a table — the product of
    the columns' lists, with the table's margins — is a query of the release whether or not anyone is
    counted in it: a key with no one gets noise on 0 like any other, and every key is shown when its
    noisy count reaches the table's display threshold (:meth:`Family.display_threshold`: post-processing
    of the noisy counts, no δ). Keys outside the domain (segments, routes, hexagons, places outside the
    curated gazetteer: their lists would come from the data) keep the δ-threshold.

    Attributes
    ----------
    columns
        Column → its public values (vocabularies of the schema, the curated gazetteer; never the
        data).
    prefixes
        Label heads of the tables the domain covers (the briefs' corridors and ``"all"``).
    labels
        Whole labels of other tables it covers (the map's ``places``; not its tables of risks at a
        place, where a key with no one shown would read as a risk reported there).
    listed
        Columns whose tables products list key by key (a brief's bar of every code): their keys with
        no one are rows of the table, shown or withheld. A table with another column (a place) shows
        only the keys with no one that pass its display threshold.
    """

    columns: Mapping[str, tuple[str, ...]]
    prefixes: tuple[str, ...]
    labels: tuple[str, ...] = ()
    listed: frozenset[str] = frozenset({"code", "case_type", "group", "scope"})

    def _values(self, label: str, column: str) -> tuple[str, ...] | None:
        if column == "scope":
            return (label.split(":", 1)[0],)
        return self.columns.get(column)

    def covers(self, label: str, by: Sequence[str]) -> bool:
        """Whether the table ``label`` by ``by`` has every key in the domain."""
        head, colon, _ = label.partition(":")
        return (
            ((bool(colon) and head in self.prefixes) or label in self.labels) and "#" not in label
            and all(self._values(label, c) is not None for c in by)
        )

    def is_listed(self, by: Sequence[str]) -> bool:
        """Whether products list every key of a table by ``by`` (small vocabularies)."""
        return all(c in self.listed for c in by)

    def contains(self, label: str, by: Sequence[str], key: Sequence[str]) -> bool:
        """Whether one cell (its table and key values as text) is in the domain."""
        if not self.covers(label, by):
            return False
        return all(
            value == MARGIN or value in (self._values(label, c) or ())
            for c, value in zip(by, key, strict=True)
        )

    def _patterns(self, by: Sequence[str], margins: bool) -> list[list[bool]]:
        """Which columns each kind of key keeps (the patterns :mod:`routes.privacy` counts)."""
        patterns = [[True] * len(by)]
        if margins:
            if len(by) > 1:
                patterns += [[*([True] * (len(by) - 1)), False], [False] * (len(by) - 1) + [True]]
            patterns.append([False] * len(by))
        return patterns

    def size(self, label: str, by: Sequence[str], margins: bool) -> int:
        """How many keys a covered table has, margins included: a number from the public lists only."""
        return sum(
            math.prod(len(self._values(label, c) or ()) if kept else 1 for c, kept in zip(by, p, strict=True))
            for p in self._patterns(by, margins)
        )

    def keys(self, label: str, by: Sequence[str], margins: bool) -> list[tuple[str, ...]]:
        """Every key of a covered table, margins included."""
        lists = [self._values(label, c) or () for c in by]
        out: dict[tuple[str, ...], None] = {}
        for pattern in self._patterns(by, margins):
            choices = [values if kept else (MARGIN,) for values, kept in zip(lists, pattern, strict=True)]
            out.update(dict.fromkeys(itertools.product(*choices)))
        return list(out)

    def as_dict(self) -> dict[str, object]:
        """What the manifest writes: the public lists and which tables they cover."""
        return {
            "tables": [*(f"{p}:*" for p in self.prefixes), *self.labels],
            "columns": {c: len(v) for c, v in sorted(self.columns.items())} | {"scope": 1},
            "source": "schema vocabularies, the curated gazetteer and the corridor list (no data)",
        }


@dataclass(frozen=True)
class Family:
    """One family of tables in a formal plan: the most queries a person counts in (``bound``), the
    norm of what they add (``norm``: a sum of squares, the Gaussian's sensitivity squared), its share
    of ρ and its noise."""

    name: str
    bound: int
    norm: int
    share: float
    scale: float
    rho: float
    threshold: float

    def display_threshold(self, keys: int, k: int) -> float:
        """Smallest noisy count shown in a public table of ``keys`` keys: at most :data:`FALSE_CELLS`
        of its keys with no one pass it on average (data-free: the domain's size and the noise)."""
        if keys <= FALSE_CELLS:
            return float(k)
        return max(float(k), self.scale * NormalDist().inv_cdf(1 - FALSE_CELLS / keys))

    def false_rate(self, threshold: float) -> float:
        """Probability that a key with no one reaches ``threshold``."""
        return 1 - NormalDist(0, self.scale).cdf(threshold)


@dataclass(frozen=True)
class FormalPlan:
    """The noise of one formal release, derived from the policy only (never from the data).

    Attributes
    ----------
    epsilon, delta
        The (ε, δ) guarantee of the whole release.
    rho
        The zCDP budget the Gaussian mechanisms spend together (what the ledger adds up).
    families
        Family name → its bound, norm, share of ρ, noise and δ-threshold.
    k
        The policy's k: no cell is shown below it.
    domain
        The public domain, or ``None`` (every cell takes its family's δ-threshold).
    public_cells
        Keys of the public domain in the release (with no one counted or not: a data-free number).
    display
        Public table (``label by columns``) → its display threshold.
    expected_false_cells
        At most how many keys with no one the public tables show on average (as if every key were
        empty: a data-free number).
    """

    epsilon: float
    delta: float
    rho: float
    families: Mapping[str, Family]
    k: int
    domain: PublicDomain | None = field(default=None, compare=False)
    public_cells: int = 0
    display: Mapping[str, float] = field(default_factory=dict)
    expected_false_cells: float = 0.0

    @property
    def cells_per_person(self) -> int:
        """Most queries one person counts in, over every family."""
        return sum(f.bound for f in self.families.values())

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
            "cells_per_person": self.cells_per_person,
            "budget_split": "per family of tables, fixed by policy: a person counts in at most `bound` "
            "queries of a family (a random subset beyond), with weight sqrt(norm / m) each when in "
            "m > `norm` of them (the sum of squares of what one person adds is at most `norm`), each "
            "query with noise sd sqrt(norm / (2 rho_share rho)); the families' rho add up to rho",
            "families": {
                f.name: {
                    "bound": f.bound,
                    "norm": f.norm,
                    "rho_share": f.share,
                    "rho": round(f.rho, 6),
                    "noise_sd": round(f.scale, 3),
                    "threshold_data_dependent_keys": round(f.threshold, 1),
                }
                for f in self.families.values()
            },
            "noise_sd": round(max(f.scale for f in self.families.values()), 3),
            "threshold": round(max(f.threshold for f in self.families.values()), 1),
            "display_threshold": f"public keys: the larger of k = {self.k} and the noisy count a key "
            f"with no one reaches with probability {FALSE_CELLS:g} / (keys of its table); chosen from the "
            "domain's size and the noise only (post-processing, no delta)",
            "display_thresholds": {table: round(t, 1) for table, t in sorted(self.display.items())},
            "public_domain": self.domain.as_dict() if self.domain is not None else None,
            "public_cells": self.public_cells,
            "expected_false_cells": round(self.expected_false_cells, 2),
        }


def _space() -> tuple[Domain, Metric]:
    import opendp.prelude as dp

    dp.enable_features("contrib")
    return dp.vector_domain(dp.atom_domain(T=float, nan=False)), dp.l2_distance(T=float)


def plan_for(policy: DisclosurePolicy) -> FormalPlan:
    """The noise scales and thresholds that give ``policy``'s (ε, δ) for its contribution bounds."""
    import opendp.prelude as dp

    domain, metric = _space()
    half_delta = policy.delta / 2

    def mechanism(scale: float) -> dp.Measurement:
        return dp.m.make_gaussian(domain, metric, scale=scale)

    unit = float(
        dp.binary_search_param(
            lambda s: dp.c.make_fix_delta(dp.c.make_zCDP_to_approxDP(mechanism(s)), half_delta),
            d_in=1.0,
            d_out=(policy.epsilon, half_delta),
        )
    )
    rho = float(mechanism(unit).map(1.0))
    bounds = _split_bound(int(policy.cells_per_person))
    norms = {  # scaled with the bounds, never above them
        name: min(bounds[name], max(1, round(norm * bounds[name] / bound)))
        for name, (bound, norm, _) in FAMILIES.items()
    }
    # A cell that exists only because of one person holds at most 1 (their weight); each of that
    # person's cells (at most the sum of the bounds) may reach the threshold with probability
    # half_delta / (their cells) at most.
    z = NormalDist().inv_cdf(1 - half_delta / sum(bounds.values()))
    shares = {name: share / sum(s for *_, s in FAMILIES.values()) for name, (*_, share) in FAMILIES.items()}
    families = {}
    for name, share in shares.items():
        scale = math.sqrt(norms[name] / (2 * share * rho)) * (1 + 1e-9)  # OpenDP rounds ρ up
        spent = float(mechanism(scale).map(math.sqrt(norms[name])))  # OpenDP's ρ of the family
        families[name] = Family(
            name, bounds[name], norms[name], share, scale, spent, max(float(policy.k), 1 + z * scale)
        )
    return FormalPlan(policy.epsilon, policy.delta, sum(f.rho for f in families.values()), families, policy.k)


def _split_bound(total: int) -> dict[str, int]:
    """``total`` split over the families in the proportions of :data:`FAMILIES` (largest remainders),
    at least one query each."""
    default = sum(b for b, *_ in FAMILIES.values())
    exact = {name: b * total / default for name, (b, *_) in FAMILIES.items()}
    bounds = {name: max(1, math.floor(v)) for name, v in exact.items()}
    for name in sorted(exact, key=lambda n: exact[n] - math.floor(exact[n]), reverse=True):
        if sum(bounds.values()) >= total:
            break
        bounds[name] += 1
    return bounds


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


def weigh_contributions(matrix: sparse.csr_matrix, norm: int) -> sparse.csr_matrix:
    """``matrix`` (queries × people, 0/1), each person in ``m > norm`` queries weighted ``sqrt(norm / m)``.

    The sum of squares of each person's column is then at most ``norm`` (the L2 sensitivity the
    Gaussian is calibrated to is ``sqrt(norm)``), and a person above the norm still counts in every
    query they are in, less than one each: less bias than dropping memberships down to ``norm``.
    The weight depends on that person's own memberships only.
    """
    ones = matrix.tocsr().astype(float)
    per_person = np.asarray(ones.sum(axis=0)).ravel()
    weight = np.where(per_person > norm, np.sqrt(norm / np.maximum(per_person, 1)), 1.0)
    return sparse.csr_matrix(ones @ sparse.diags_array(weight))


def gaussian_noise(counts: np.ndarray, scale: float) -> np.ndarray:
    """``counts`` plus OpenDP's Gaussian noise of sd ``scale`` (its own secure sampler)."""
    import opendp.prelude as dp

    if not len(counts):
        return np.zeros(0, dtype=float)
    domain, metric = _space()
    measurement = dp.m.make_gaussian(domain, metric, scale=scale)
    return np.asarray(measurement([float(c) for c in counts]), dtype=float)
