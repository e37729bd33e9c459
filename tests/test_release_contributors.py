"""A member of a pooled data set subtracts its own records from what is published (issue 12, F8).

Cases pooled from several organisations: each knows its own people exactly (their routes, risks,
offices). A published count of 25 (23 to 27 people) of which the member recorded 22 leaves the other
organisations 1 to 5 people: a count under k. The release withholds such a cell (``dominance``) and
certifies every withheld cell against each member's subtraction too. The members are the case's
``organisation`` and its office of registration; two members of one kind may pool their records
(attack of 2026-12-07, B3), and a member subtracts its people from a margin family's withheld
children as well as from one cell (B6).
"""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd
import pytest
from scipy import sparse

from routes.io import validate
from routes.privacy import DisclosurePolicy
from routes.publish import Release, rounding_interval
from routes.publish.audit import (
    MarginFamily,
    audit_store,
    cell_interval,
    contributor_disclosed,
    contributor_margin_leaks,
    margin_families,
)
from routes.publish.cells import CellStore, MemberKind
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


@pytest.fixture(scope="module")
def with_organisations(pooled: tuple[pd.DataFrame, pd.DataFrame]) -> Release:
    """The pooled export's release (the Andean corridor), built once."""
    cases, events = pooled
    return Release.build(cases, events, corridors=("andean",), dataset="pooled-organisation")


def members_pin(store: CellStore, published: np.ndarray, organisation: pd.Series) -> pd.DataFrame:
    """What each member recovers from the published values: the cells where a published count's
    rounding interval minus the member's own people leaves the others 1 to k-1 (and their truth)."""
    store.contributors = organisation.to_frame()  # the member's own records: whom of a cell it holds
    own = store.partial_contributions(store.membership_matrix(), pairs=False)
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
    pooled: tuple[pd.DataFrame, pd.DataFrame], member: str, request: pytest.FixtureRequest
) -> None:
    """With the organisation column, and with only the offices (an export without it): every
    member's subtraction leaves the others at 0 or k and more, in published and withheld cells."""
    cases, events = pooled
    release = (
        request.getfixturevalue("with_organisations") if member == "organisation"
        else Release.build(cases.drop(columns=["organisation"]), events, corridors=("andean",),
                           dataset="pooled-place_registered")
    )
    store = release._store
    assert store is not None and store.published is not None
    assert (release.cells["reason"] == "dominance").any()
    assert member in release.manifest()["contributors"]["columns"]
    assert members_pin(store, store.published, organisations(cases, member)).empty
    report = audit_store(store)
    assert report.contributors.empty and report.passed
    assert "0 cells a contributor pins under k" in report.summary()
    # the cells withheld for a member, attacked from scratch: both ends of each one's interval
    own = store.partial_contributions(store.membership_matrix(), pairs=False).tocsr()
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
    own = store.partial_contributions(store.membership_matrix(), pairs=False).tocsr()
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


def coalitions_own(store: CellStore, organisation: pd.Series) -> dict[str, np.ndarray]:
    """Each organisation, and each pair of organisations pooling their records, with the people of
    every cell it recorded: what it counts in its own records (``"A+B"`` a pair)."""
    names = sorted(organisation.unique())
    code = pd.Series(np.arange(len(names)), index=names)[organisation.to_numpy()]
    code.index = organisation.index
    counts = np.stack([
        np.bincount(code.reindex(store.people_of(t)).to_numpy(), minlength=len(names))
        for t in range(len(store))
    ])
    return {
        "+".join(names[i] for i in chosen): counts[:, list(chosen)].sum(axis=1)
        for size in (1, 2) for chosen in combinations(range(len(names)), size)
    }


def published_interval(store: CellStore) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(withheld, value, low, high)``: what a reader knows of every cell."""
    assert store.published is not None
    withheld = np.isnan(store.published)
    value = np.where(withheld, 0, store.published).astype(np.int64)
    low, high = rounding_interval(value, store.policy)
    return withheld, value, low, high


def test_two_members_pooling_their_records_pin_no_other_organisations_count_under_k(
    pooled: tuple[pd.DataFrame, pd.DataFrame], with_organisations: Release
) -> None:
    """The attack of 2026-12-07 (attack5, B3): two organisations together (a consortium lead, a
    data-sharing agreement) subtract their records from a published count; 9 of 10 pairs pinned the
    three others' people under k. Every pair (and each one alone) now leaves them 0 or k and more, in
    published cells and in the cells withheld for a member (both ends of their interval)."""
    cases, _ = pooled
    store = with_organisations._store
    assert store is not None
    k = store.policy.k
    withheld, value, low, high = published_interval(store)
    coalitions = coalitions_own(store, organisations(cases, "organisation"))
    assert len(coalitions) == 15
    matrix, overlap = store.membership_matrix(), store.shared_people()
    attacked = np.flatnonzero(store.reason == "dominance")
    intervals = {
        int(t): cell_interval(int(t), matrix, overlap, value, withheld, store.policy) for t in attacked
    }
    pins = []
    for name, own in coalitions.items():
        others = (own > 0) & (own < store.exact)
        shown = others & ~withheld & (low - own >= 1) & (high - own <= k - 1)
        pins += [(name, store.keys[t]) for t in np.flatnonzero(shown)]
        pins += [(name, store.keys[t]) for t in attacked if others[t] and contributor_disclosed(
            intervals[int(t)][0], intervals[int(t)][1], own[t : t + 1], k).any()]
    assert not pins, pins[:10]
    assert with_organisations.audit.contributors.empty


def test_a_member_subtracting_its_people_from_a_margins_withheld_children_pins_nothing_under_k(
    pooled: tuple[pd.DataFrame, pd.DataFrame], with_organisations: Release
) -> None:
    """The attack of 2026-12-07 (attack5, B6): a crossing's total minus its published exits bounds
    the withheld exits together ([11, 19] at Simón Bolívar); a member that recorded 10 of those
    people knows the other organisations have 1 to 9 there. And a withheld exit holding none of the
    member's people holds at least one other. For every margin family of the release, every member
    and every pair, the others in the withheld children are 0 or k and more, as far as a reader can
    tell."""
    cases, _ = pooled
    store = with_organisations._store
    assert store is not None
    k = store.policy.k
    withheld, _, low, high = published_interval(store)
    families = [f for f in margin_families(store, store.shared_people()) if not withheld[f.parent]]
    assert any(withheld[f.children].any() for f in families)
    pins = []
    for name, own in coalitions_own(store, organisations(cases, "organisation")).items():
        for family in families:
            kids = family.children
            hidden, shown = kids[withheld[kids]], kids[~withheld[kids]]
            mine = int(own[hidden].sum())
            if not mine:
                continue
            at_most = high[family.parent] - low[shown].sum() - mine  # others in the withheld children
            at_least = low[family.parent] - high[shown].sum() - mine
            empty = int((own[hidden] == 0).sum())  # withheld children where all are others
            if (empty and at_most - empty + 1 <= k - 1) or (not empty and at_least >= 1 and at_most <= k - 1):
                pins.append((name, store.keys[family.parent]))
    assert not pins, pins[:10]


def test_the_audit_subtracts_a_members_people_from_what_a_margin_bounds_its_withheld_children() -> None:
    """Simón Bolívar (B6): the place 55 (53 to 57 people), its one published exit 40 (38 to 42), so
    the withheld exits hold 11 to 19; the member's 6 and 4 people on the two of them leave the others
    1 to 9. With 3 and 2 of its people there, the others hold 6 to 14: nothing pinned. An exit with
    none of the member's people holds 1 or more others: 8 of the member's on the other exit leave it
    1 to 11 (nothing pinned); where the two exits hold 1 to 9 together, 2 of the member's leave it 1
    to 7 (pinned). Two members, 6 people on one exit and 4 on the other, pin what neither pins
    alone."""
    policy = DisclosurePolicy.public()
    family = MarginFamily(parent=0, children=np.array([1, 2, 3]))
    value = np.array([55, 40, 0, 0])
    withheld = np.array([False, False, True, True])

    def pinned(*people: tuple[int, int], shown: np.ndarray = value) -> list[tuple[float, float]]:
        """The others' people a kind of members pins: one tuple a member, its people on each exit."""
        table = np.array([[0] * len(people), [0] * len(people), *zip(*people, strict=True)])
        kinds = [MemberKind(sparse.coo_matrix(table), pools=True)]
        leaks = contributor_margin_leaks([family], kinds, shown, withheld, policy)
        return [(low - mine, high - mine) for _, low, high, mine in leaks]

    assert pinned((6, 4), (0, 0)) == [(1, 9)]
    assert pinned((3, 2), (0, 0)) == []
    assert pinned((8, 0), (0, 0)) == []  # the other exit holds 1 to 19 - 8 others
    narrow = np.array([45, 40, 0, 0])  # 43..47 - 38..42: the withheld exits hold 1 to 9 together
    assert pinned((2, 0), (0, 0), shown=narrow) == [(1, 7)]
    # each alone: 6 (the other exit 1 to 13 others), 4 (1 to 15); together 10: 1 to 9
    assert pinned((6, 0), (0, 4)) == [(1, 9)]
