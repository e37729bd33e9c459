"""Finding 2 through the command line: consent withdrawn by one person, the period republished in the
same working folder (its ledger), for 50 people drawn at random."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from attacks import cli_release as release
from attacks import published_table as published

from routes.publish import Ledger, Release

DROPPED = 50


def test_republishing_without_any_one_of_50_people_changes_no_published_byte(
    tiny: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every file of the export (counts, rates, patterns and their labels, GeoJSON, the manifest and the
    release id on every row) is the same byte for byte without any one of 50 people. Before the ledger
    recorded the pattern model, a refit without CASE-0077 dropped the "Cúcuta" pattern's rows; before the
    id hashed published cells only, it changed with a withheld cell that lost its one person."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ROUTES_LEDGER")  # the working folder's own ledger, as an analyst would have it
    # one programme's export without its offices: on 150 people, pairs of offices pooling their
    # records would leave no segment nor pattern published (tests/test_release_contributors.py)
    cases = pd.read_csv(tiny / "cases.csv", dtype=str, keep_default_na=False).drop(columns="place_registered")
    cases.to_csv(tmp_path / "cases.csv", index=False)
    release(tmp_path / "cases.csv", tiny / "events.csv", tmp_path / "first")
    assert (tmp_path / "routes-releases.sqlite").exists()
    first = {path.name: path.read_bytes() for path in sorted((tmp_path / "first").iterdir())}
    assert {"segments.csv", "places.csv", "patterns.csv", "manifest.json"} <= set(first)
    assert published(tmp_path / "first", "segments.csv")["n_people"].ne("").any()
    assert len(published(tmp_path / "first", "patterns.csv"))
    consenting = cases.index[cases["consent_reporting"].eq("yes")]
    for drop in np.random.default_rng(3).choice(consenting, size=DROPPED, replace=False):
        cases.drop(index=drop).to_csv(tmp_path / "cases.csv", index=False)
        release(tmp_path / "cases.csv", tiny / "events.csv", tmp_path / "again")
        again = {path.name: path.read_bytes() for path in sorted((tmp_path / "again").iterdir())}
        changed = [name for name in first if again.get(name) != first[name]]
        assert not changed and set(again) == set(first), (cases.loc[drop, "case_id"], changed)


def _products(release: Release) -> tuple[str, ...]:
    """What a release's products show: the map's published rows and every brief's findings, as text."""
    layers = release.layers
    tables = [
        table.loc[table["n_people"].notna()]
        for table in (layers.places.drop(columns="geometry"), layers.segments, layers.risks)
        if table is not None
    ]
    briefs = [  # (the countries of the network's places: a lookup for the places a brief names)
        repr(dataclasses.replace(f, place_countries={}))
        + "".join(m.drop(columns="geometry").to_csv() for m in (f.map_segments, f.map_places))
        for _, f in sorted(release.findings.items())
    ]
    return (*(t.to_csv(index=False) for t in tables), *briefs, release.release_id)


def test_a_person_alone_in_a_withheld_cell_leaves_it_withheld_not_zero(
    sample_tables: tuple[pd.DataFrame, pd.DataFrame], tmp_path: Path
) -> None:
    """The only person with an incident at a place (or in a brief's group) withdraws and the period is
    published again, or revised: the cell stays "not published". Read as no one, it would have said
    that person had the incident there (attack of 2026-12-07: 8 of 8 such people on one sample)."""
    cases, events = sample_tables
    cases = cases.loc[cases["date_registered"].dt.year == 2023].reset_index(drop=True)
    ledger = Ledger(tmp_path / "ledger.sqlite")
    first = Release.build(cases, events, corridors=("andean", "caribbean_darien"), dataset="s", ledger=ledger)
    store = first._store
    assert store is not None and store.published is not None
    alone = [
        store.people_of(i)[0]
        for i, (label, _, _) in enumerate(store.keys)
        if store.exact[i] == 1 and np.isnan(store.published[i])
        and label.rpartition(":")[2] in ("any incident", "sexual_abuse", "groups", "case types", "segments")
    ]
    assert len(alone) >= 3
    expected = _products(first)
    for person in list(dict.fromkeys(alone))[:3]:
        without = cases.loc[cases["case_id"].astype(str) != person]
        for revise in (False, True):
            copy = Ledger(tmp_path / f"{person}-{revise}.sqlite")
            shutil.copyfile(ledger.path, copy.path)
            again = Release.build(without, events, corridors=("andean", "caribbean_darien"), dataset="s",
                                  ledger=copy, revise=revise)
            assert _products(again) == expected, (person, revise)


def test_a_record_entered_late_shows_as_the_first_release_showed_its_cells(
    sample_tables: tuple[pd.DataFrame, pd.DataFrame], tmp_path: Path
) -> None:
    """One record entered after the period was published, reporting a risk no one had reported at its
    place, and the period published again (or revised): the place's count of that risk stays as it
    was shown, no one, not "not published", which would say someone reported it there since (attack
    of 2026-12-07, B7: an incident at El Tarra, a smuggling case in a corridor's brief)."""
    cases, events = sample_tables
    cases = cases.loc[cases["date_registered"].dt.year == 2023].reset_index(drop=True)
    ledger = Ledger(tmp_path / "ledger.sqlite")
    first = Release.build(cases, events, corridors=("andean", "caribbean_darien"), dataset="s", ledger=ledger)
    store = first._store
    assert store is not None
    said_yes = cases["consent_reporting"].astype("string").eq("yes").fillna(False)
    consenting = set(cases.loc[said_yes, "case_id"])
    counted = set(store.keys)
    incidents = events.loc[events["stage"].eq("incident") & events["case_id"].isin(consenting)]
    late = None
    for row in incidents.itertuples():  # an incident whose place had no one with some risk
        absent = [r for r in ("recruitment", "sexual_abuse", "threats", "extortion")
                  if ("places:" + r, ("place_id",), (str(row.place_id),)) not in counted]
        if absent:
            late = (row, absent[0])
            break
    assert late is not None
    row, risk = late
    person = cases.loc[cases["case_id"] == row.case_id].assign(case_id="CASE-LATE")
    journey = events.loc[events["case_id"] == row.case_id].assign(case_id="CASE-LATE")
    journey.loc[journey["seq"] == row.seq, "risk"] = risk
    more_cases = pd.concat([cases, person], ignore_index=True)
    more_events = pd.concat([events, journey], ignore_index=True)
    expected = _products(first)
    for revise in (False, True):
        copy = Ledger(tmp_path / f"late-{revise}.sqlite")
        shutil.copyfile(ledger.path, copy.path)
        again = Release.build(more_cases, more_events, corridors=("andean", "caribbean_darien"), dataset="s",
                              ledger=copy, revise=revise)
        assert _products(again) == expected, revise
        assert again.withheld == first.withheld
