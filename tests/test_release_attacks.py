"""The six findings of the independent audit, each run first on an unprotected publication, where it
must succeed (the attack works), then on a release of the same sample, where it must recover nothing.

The unprotected publication is what version 0.1 published: every cell rounded to 5 and suppressed
under k on its own, rates from exact counts, Gi* z-scores from every count (``tests/attacks.py``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from attacks import (
    bounds,
    changed_cells,
    exact_recoveries,
    gi_star_recoveries,
    margin_leaks,
    nested_leaks,
    release_view,
    unprotected_view,
)

from routes.network import RouteNetwork
from routes.patterns import hex_hotspots, hexagon_gi_star
from routes.privacy import DisclosurePolicy
from routes.publish import Release

POLICY = DisclosurePolicy.public()


@pytest.fixture(scope="module")
def exact(release: Release) -> dict[str, pd.Series]:
    """True count per table and key (what scores an attack; no attacker has it)."""
    return {
        str(label): pd.Series(group["exact"].to_numpy(float), index=group["key"].to_numpy())
        for label, group in release.cells.groupby("label", sort=False)
    }


def test_inverting_rates_recovers_exact_counts_of_an_unprotected_publication(exact: dict) -> None:
    view = unprotected_view(exact, POLICY)
    box = bounds(view, POLICY)
    for label, table in box.items():  # the attack is sound: the truth is inside every interval
        truth = exact[label].reindex(table.index)
        assert ((table["low"] <= truth) & (truth <= table["high"])).all(), label
    assert exact_recoveries(view, box, exact) > 50


def test_inverting_the_rates_of_a_release_recovers_no_count(release: Release, exact: dict) -> None:
    view = release_view(release)
    assert sum(len(rate) for rate in view.rates.values()) > 300
    assert exact_recoveries(view, bounds(view, release.policy), exact) == 0


def test_place_totals_minus_segments_pin_a_withheld_segment_of_an_unprotected_publication(
    exact: dict,
) -> None:
    box = bounds(unprotected_view(exact, POLICY), POLICY)
    leaks = margin_leaks(box, exact, POLICY)
    assert "co-apartado|co-turbo" in leaks or len(leaks) >= 3


def test_place_totals_minus_segments_pin_no_withheld_segment_of_a_release(
    release: Release, exact: dict
) -> None:
    assert margin_leaks(bounds(release_view(release), release.policy), exact, release.policy) == []


def test_nested_differences_pin_small_groups_of_an_unprotected_publication(exact: dict) -> None:
    leaks = nested_leaks(bounds(unprotected_view(exact, POLICY), POLICY), exact, POLICY)
    assert (leaks["smaller"].str.startswith("places:") & (leaks["larger"] == "places:any incident")).any()
    assert (leaks["smaller"] == "andean:segments").any()  # the map minus a corridor's brief
    assert leaks["difference"].between(1, POLICY.k - 1).all()


def test_nested_differences_pin_no_small_group_of_a_release(release: Release, exact: dict) -> None:
    leaks = nested_leaks(bounds(release_view(release), release.policy), exact, release.policy)
    assert leaks.empty, leaks


def _exact_of_network(network: RouteNetwork) -> dict[str, pd.Series]:
    """People per place, segment, and with an incident (and each risk) there: consenting only."""
    def counted(table: pd.DataFrame, by: list[str]) -> pd.Series:
        table = table[table["consent_reporting"].astype("string").eq("yes").fillna(False).to_numpy()]
        keys = table[by].astype(str).agg("|".join, axis=1)
        return table["case_id"].groupby(keys.to_numpy()).nunique().astype(float)

    out = {"places": counted(network.place_people, ["place_id"]),
           "segments": counted(network.segment_people, ["u", "v"])}
    incidents = network.incident_people
    for name, by in (("places", ["place_id"]), ("segments", ["u", "v"])):
        located = incidents.dropna(subset=by)
        out[f"{name}:any incident"] = counted(located, by)
        for risk, group in located.groupby("risk"):
            out[f"{name}:{risk}"] = counted(group, by)
    return out


def test_republishing_an_unprotected_publication_without_one_person_points_to_that_person(
    sample_tables: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    """Finding 2 on the old path: every count that changes is one of the removed person's cells."""
    cases, events = sample_tables
    full = _exact_of_network(RouteNetwork.from_events(events, cases=cases))
    before = unprotected_view(full, POLICY)
    consenting = cases.loc[cases["consent_reporting"].astype("string").eq("yes").fillna(False), "case_id"]
    people = ["CASE-0004", *np.random.default_rng(0).choice(consenting.to_numpy(), size=9, replace=False)]
    revealed = 0
    for person in people:
        keep = events["case_id"].astype(str) != person
        fewer = _exact_of_network(RouteNetwork.from_events(events[keep.to_numpy()], cases=cases))
        aligned = {label: fewer.get(label, pd.Series(dtype=float)).reindex(t.index, fill_value=0.0)
                   for label, t in full.items()}
        changed = changed_cells(before, unprotected_view(aligned, POLICY))
        theirs = {(label, key) for label, t in full.items() for key in t.index[(t - aligned[label]) > 0]}
        assert changed <= theirs  # nothing else moves: each change is a place or risk of theirs
        revealed += bool(changed)
        if person == "CASE-0004":
            assert any(label.startswith("places:") and label != "places:any incident" for label, _ in changed)
    assert revealed >= 8


def test_gi_star_of_every_count_gives_back_suppressed_hexagons(exact: dict) -> None:
    """Finding 6 on the old path: z-scores from unsuppressed counts, least squares recovers counts."""
    counts = exact["hexagons"]
    table = hexagon_gi_star(pd.Series(counts.astype(int).to_numpy(), index=counts.index))
    n = pd.to_numeric(table["n_people"], errors="coerce")
    table["n_people"] = n.where(~n.between(1, POLICY.k - 1))
    assert gi_star_recoveries(table, counts, POLICY) > 20


def test_gi_star_of_publishable_hexagons_gives_back_no_suppressed_hexagon(
    sample_tables: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    cases, events = sample_tables
    published = hex_hotspots(events, cases=cases, publishable=True)
    consenting = cases.loc[cases["consent_reporting"].astype("string").eq("yes").fillna(False), "case_id"]
    mine = events["case_id"].astype(str).isin(consenting.astype(str)).to_numpy()
    truth = hex_hotspots(events[mine], publishable=False).set_index("h3_cell")["n_people"].astype(float)
    assert pd.to_numeric(published["n_people"], errors="coerce").isna().sum() > 20
    assert gi_star_recoveries(published, truth, POLICY) == 0


def test_the_map_of_a_release_carries_no_gi_star_score(release: Release) -> None:
    assert release.layers.hexagons is not None
    assert not {"gi_z", "gi_p"} & set(release.layers.hexagons.columns)
