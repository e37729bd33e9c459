"""A member of a pooled data set subtracts its own records from what is published (issue 12, F8).

Cases pooled from several organisations: each knows its own people exactly (their routes, risks,
offices). A published count of 25 (23 to 27 people) of which the member recorded 22 leaves the other
organisations 1 to 5 people: a count under k. The release withholds such a cell (``dominance``) and
certifies every withheld cell against each member's subtraction too. The member is the case's
``organisation`` where the export has one, else its office of registration.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from routes.io import validate
from routes.publish import Release, rounding_interval
from routes.publish.audit import audit_store, cell_interval, contributor_disclosed
from routes.publish.cells import CellStore
from routes.sample import generate_sample


@pytest.fixture(scope="module")
def pooled(tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A 600-person sample (seed 13) whose cases were recorded by five organisations, each at its
    own offices: the export a sub-sector pools from its members."""
    folder = tmp_path_factory.mktemp("pooled")
    data = generate_sample(seed=13, people=600)
    offices = sorted(data.cases["place_registered"].unique())
    organisation = {office: f"Organisation {i % 5 + 1}" for i, office in enumerate(offices)}
    cases = data.cases.assign(organisation=data.cases["place_registered"].map(organisation))
    cases.rename(columns={"organisation": "Organización"}).to_csv(folder / "cases.csv", index=False)
    data.events.to_csv(folder / "events.csv", index=False)
    report = validate(folder / "cases.csv", events=folder / "events.csv")
    return report.cases, report.events


def members_pin(store: CellStore, published: np.ndarray, organisation: pd.Series) -> pd.DataFrame:
    """What each member recovers from the published values: the cells where a published count's
    rounding interval minus the member's own people leaves the others 1 to k-1 (and their truth)."""
    store.contributors = organisation.to_frame()  # the member's own records: whom of a cell it holds
    own = store.partial_contributions(store.membership_matrix())
    k = store.policy.k
    shown = ~np.isnan(published[own.row])
    cell, mine = own.row[shown], own.data[shown]
    low, high = rounding_interval(published[cell].astype(np.int64), store.policy)
    pinned = (low - mine >= 1) & (high - mine <= k - 1)
    return pd.DataFrame({
        "cell": [store.keys[c] for c in cell[pinned]],
        "others_low": low[pinned] - mine[pinned],
        "others_high": high[pinned] - mine[pinned],
        "others_truth": store.exact[cell[pinned]] - mine[pinned],
    })


def organisations(cases: pd.DataFrame, column: str) -> pd.Series:
    return pd.Series(cases[column].astype(str).to_numpy(), index=cases["case_id"].astype(str).to_numpy())


def test_the_export_names_the_organisation_that_recorded_each_case(
    pooled: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    """A Spanish header ("Organización") reads as the case standard's ``organisation``."""
    cases, _ = pooled
    assert cases["organisation"].nunique() == 5
    assert cases["organisation"].notna().all()


def test_members_subtracting_their_own_records_pin_other_organisations_counts_without_the_rule(
    pooled: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    """The attack works: a release that does not know who recorded whom (no organisation, no office)."""
    cases, events = pooled
    anonymous = cases.drop(columns=["organisation", "place_registered", "place_registered_id"])
    release = Release.build(anonymous, events, corridors=("andean",), dataset="pooled-anonymous")
    store = release._store
    assert store is not None and store.published is not None
    pinned = members_pin(store, store.published, organisations(cases, "organisation"))
    assert len(pinned) >= 20, pinned  # 67 (a cell and a member) when written
    truth = pinned["others_truth"]
    assert ((truth >= pinned["others_low"]) & (truth <= pinned["others_high"]) & (truth >= 1)).all()


@pytest.mark.parametrize("member", ["organisation", "place_registered"])
def test_no_member_pins_another_organisations_count_under_k(
    pooled: tuple[pd.DataFrame, pd.DataFrame], member: str
) -> None:
    """With the organisation column, and with only the offices (an export without it): every
    member's subtraction leaves the others at 0 or k and more, in published and withheld cells."""
    cases, events = pooled
    table = cases if member == "organisation" else cases.drop(columns=["organisation"])
    release = Release.build(table, events, corridors=("andean",), dataset=f"pooled-{member}")
    store = release._store
    assert store is not None and store.published is not None
    assert (release.cells["reason"] == "dominance").any()
    assert member in release.manifest()["contributors"]["columns"]
    assert members_pin(store, store.published, organisations(cases, member)).empty
    report = audit_store(store)
    assert report.contributors.empty and report.passed
    assert "0 cells a contributor pins under k" in report.summary()
    # the cells withheld for a member, attacked from scratch: both ends of each one's interval
    own = store.partial_contributions(store.membership_matrix()).tocsr()
    matrix, overlap = store.membership_matrix(), store.shared_people()
    withheld = np.isnan(store.published)
    value = np.where(withheld, 0, store.published).astype(np.int64)
    for t in np.flatnonzero(store.reason == "dominance"):
        low, high = cell_interval(int(t), matrix, overlap, value, withheld, store.policy)
        assert low <= store.exact[t] <= high
        assert not contributor_disclosed(low, high, own[t].data, store.policy.k).any()


def test_an_organisation_column_does_not_switch_off_the_offices_nor_a_second_spelling_a_member(
    pooled: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    """The attack of 2026-12-07 (attack5, B2, B4): one organisation's name on every row (a single
    agency's template), or a member's records spelled another way or left blank, made the rule read
    one member where there were several. Offices are members whatever the organisation column says,
    and a name is one member however it is accented, cased or spaced."""
    cases, events = pooled
    table = cases.assign(organisation="Agencia Única")
    one = table["organisation"].index[table["place_registered"] == table["place_registered"].iloc[0]]
    table.loc[one[::2], "organisation"] = "  AGENCIA   unica "  # the same agency, spelled another way
    table.loc[one[1::2], "organisation"] = ""  # and left blank
    release = Release.build(table, events, corridors=("andean",), dataset="pooled-template")
    store = release._store
    assert store is not None and store.published is not None
    assert release.manifest()["contributors"]["columns"] == ["organisation", "place_registered"]
    assert members_pin(store, store.published, organisations(cases, "place_registered")).empty
    assert audit_store(store).passed


def test_each_members_people_of_a_cell_are_those_of_the_cells_own_members(
    pooled: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    """The rule counts a member's people per pattern of membership (people in exactly the same
    cells), not per membership: each cell's counts are those of reading the cell's people and their
    members, for both kinds of member (organisations, offices), where a member recorded some but not
    all of them."""
    cases, events = pooled
    release = Release.build(cases, events, corridors=("andean",), dataset="pooled-patterns")
    store = release._store
    assert store is not None and store.contributors is not None
    own = store.partial_contributions(store.membership_matrix()).tocsr()
    kinds = store.contributors.columns
    members = {kind: set() for kind in kinds}
    partial = 0
    for cell in range(len(store)):
        of_people = store.contributors.loc[store.people_of(cell)]
        expected = []
        for kind in kinds:
            counts = of_people[kind].value_counts()
            members[kind] |= set(counts.index)
            expected += [int(n) for n in counts if n < len(of_people)]
        assert sorted(own[cell].data.tolist()) == sorted(expected), store.keys[cell]
        partial += len(expected)
    assert partial > 100 and own.nnz == partial
    assert own.shape == (len(store), sum(len(names) for names in members.values()))
