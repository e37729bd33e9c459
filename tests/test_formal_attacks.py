"""The audit's attacks on a formal (OpenDP) release of the sample.

Finding 2 (republish without one person, compare) and finding 1 (invert the rates) are run on the
formal mode, where the published values are noisy counts: a republication draws new noise on every
cell, so what changes does not point to the person removed, and rates are ratios of published
values. The attacks that read rounding intervals as exact bounds (margins, nested differences) are
not run here: noisy values are not intervals around the truth, so a difference they "pin" is right
only by chance and the attacker cannot tell when (differential privacy bounds what any such
inference can learn).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from attacks import bounds, exact_recoveries, release_view

from routes.privacy import DisclosurePolicy
from routes.publish import Release

POLICY = DisclosurePolicy.formal()
OPTIONS = {"corridors": ("andean",), "dataset": "sample", "policy": POLICY, "hexagons": False}


@pytest.fixture(scope="module")
def formal_release(sample_tables: tuple[pd.DataFrame, pd.DataFrame]) -> Release:
    cases, events = sample_tables
    return Release.build(cases, events, **OPTIONS)


def _cells(release: Release) -> pd.DataFrame:
    return release.cells.set_index(["label", "by", "key"])[["exact", "published"]]


def test_inverting_the_rates_of_a_formal_release_recovers_no_count(formal_release: Release) -> None:
    view = release_view(formal_release)
    exact = {
        str(label): pd.Series(group["exact"].to_numpy(float), index=group["key"].to_numpy())
        for label, group in formal_release.cells.groupby("label", sort=False)
    }
    assert sum(len(rate.dropna()) for rate in view.rates.values()) > 30  # 45 when written
    assert exact_recoveries(view, bounds(view, formal_release.policy), exact) == 0


def test_republishing_a_formal_release_without_one_person_does_not_point_to_that_person(
    sample_tables: tuple[pd.DataFrame, pd.DataFrame], formal_release: Release
) -> None:
    """Finding 2 on the formal mode: the cells whose shown value drops are no more often the removed
    person's than any other cell (on the unprotected path every one of them is theirs,
    ``test_release_attacks``), and the values move by noise, not by that person."""
    cases, events = sample_tables
    before = _cells(formal_release)
    consenting = cases.loc[cases["consent_reporting"].astype("string").eq("yes").fillna(False), "case_id"]
    people = ["CASE-0004", *np.random.default_rng(1).choice(consenting.to_numpy(), size=3, replace=False)]
    for person in people:
        keep_cases = cases["case_id"].astype(str).ne(person).to_numpy()
        keep_events = events["case_id"].astype(str).ne(person).to_numpy()
        fewer = Release.build(cases[keep_cases], events[keep_events], **OPTIONS)
        after = _cells(fewer).reindex(before.index)
        theirs = before["exact"].to_numpy() > after["exact"].fillna(0).to_numpy()  # the truth
        shown_before = before["published"].notna().to_numpy()
        was = before["published"].astype(float).to_numpy()
        now = after["published"].astype(float).to_numpy()
        dropped = shown_before & ((now < was) | np.isnan(now))  # what the attacker reads as "theirs"
        assert (theirs & shown_before).sum() >= 5, person  # they are in published cells
        assert dropped.sum() >= 20  # fresh noise: many cells move, theirs or not
        precision = (dropped & theirs).sum() / dropped.sum()
        base = (theirs & shown_before).sum() / shown_before.sum()
        assert precision < max(0.5, 3 * base), (person, precision, base)
        moved = np.isfinite(was) & np.isfinite(now)
        # what changes is noise: cells without them move as much as cells with them
        assert np.abs(now - was)[moved & ~theirs].mean() >= 3


def test_a_formal_release_shows_no_one_as_it_shows_a_noisy_count_under_the_threshold(
    formal_release: Release,
) -> None:
    """A place or segment with no one who reported an incident is withheld, like one whose noisy count
    fell under the threshold: an exact 0 beside noisy values would tell the two apart with certainty,
    and one person's leaving would turn one into the other (attack of 2026-12-07)."""
    layers = formal_release.layers
    for table in (layers.places, layers.segments):
        shown = table["n_people"].notna()
        assert shown.sum() >= 10
        assert not table["n_events"].eq(0).fillna(False).any()
        assert table.loc[table["n_events"].isna(), "rate"].isna().all()
