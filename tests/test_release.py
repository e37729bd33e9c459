"""One protected release per publication: the audit's findings, rerun as attacks, fail to disclose."""

from __future__ import annotations

import dataclasses
import json
import math
import sqlite3
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from routes.io import validate
from routes.privacy import Release as PrivacyRelease
from routes.privacy import counting as counting_into
from routes.publish import Ledger, Release
from routes.publish.cells import CellStore
from routes.publish.release import ReleasePeriod
from routes.sample import generate_sample


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, pd.DataFrame]:
    data = generate_sample(seed=7, people=300)
    folder = tmp_path_factory.mktemp("small")
    data.cases.to_csv(folder / "cases.csv", index=False)
    data.events.to_csv(folder / "events.csv", index=False)
    report = validate(folder / "cases.csv", events=folder / "events.csv")
    return report.cases, report.events


def test_rates_are_computed_from_published_counts_so_inverting_them_gives_nothing_new(
    release: Release,
) -> None:
    for table in (release.layers.segments, release.layers.places):
        shown = table.dropna(subset=["rate"])
        assert len(shown) > 10
        expected = np.round(shown["n_events"].astype(float) / shown["n_people"].astype(float) * 100, 1)
        np.testing.assert_allclose(shown["rate"].to_numpy(dtype=float), expected.to_numpy())


def test_every_published_count_is_rounded_and_at_least_k(release: Release) -> None:
    published = release.cells["published"].dropna().astype(int)
    assert ((published == 0) | (published >= release.policy.k)).all()
    assert (published % release.policy.rounding == 0).all()


def test_audit_finds_no_withheld_cell_pinned_under_k(release: Release) -> None:
    assert release.audit.passed, release.audit.summary()
    assert release.audit.checked_cells > 100
    assert not release.audit.intervals["disclosed"].any()


def test_map_and_briefs_show_one_value_per_cell(release: Release) -> None:
    """Finding 5: the 'all' brief and the map count the same people on a segment: one cell, one value."""
    whole = release.cells[release.cells["label"].isin(["segments", "all:segments"])]
    shown = whole["published"].astype("string").fillna("withheld")
    values = shown.groupby(whole["key"]).nunique()
    assert len(values) > 100
    assert (values == 1).all()


def test_patterns_and_hexagons_count_only_people_who_consented(
    sample_tables: tuple[pd.DataFrame, pd.DataFrame], release: Release
) -> None:
    cases, _ = sample_tables
    consenting = int(cases["consent_reporting"].astype(str).eq("yes").sum())
    assert release.cells.loc[release.cells["label"] == "all:people", "exact"].max() == consenting


def test_periods_come_from_the_grid_only() -> None:
    assert ReleasePeriod.parse("2023Q2").label == "2023Q2"
    assert ReleasePeriod.parse("2022/2023").label == "2022/2023"
    with pytest.raises(Exception, match="free date ranges"):
        ReleasePeriod.parse("2023-01-01..2023-11-30")


def test_republishing_without_one_person_changes_no_published_value(
    small: tuple[pd.DataFrame, pd.DataFrame], tmp_path: Path
) -> None:
    """Finding 2: consent withdrawn, republished in the same working folder: nothing points to the person."""
    cases, events = small
    ledger = Ledger(tmp_path / "ledger.sqlite")
    first = Release.build(cases, events, corridors=(), dataset="small", ledger=ledger)
    again = Release.build(cases, events, corridors=(), dataset="small", ledger=ledger)
    assert again.release_id == first.release_id
    rng = np.random.default_rng(0)
    consenting = cases.index[cases["consent_reporting"].astype(str).eq("yes")]
    for drop in rng.choice(consenting, size=3, replace=False):
        fewer = cases.drop(index=drop).reset_index(drop=True)
        for revise in (False, True):
            other = Release.build(fewer, events, corridors=(), dataset="small", ledger=ledger, revise=revise)
            merged = first.cells.merge(other.cells, on=["label", "by", "key"], suffixes=("", "_after"))
            before = merged["published"].astype("string").fillna("withheld")
            after = merged["published_after"].astype("string").fillna("withheld")
            changed = before != after
            assert not changed.any(), merged.loc[changed, ["label", "key"]]


def _with_copies(cases: pd.DataFrame, events: pd.DataFrame, case_id: str, n: int
                 ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The tables with ``n`` copies of one record under new ids (records an insider adds)."""
    ids = [f"COPY-{i:03d}" for i in range(n)]
    one, steps = cases[cases["case_id"].eq(case_id)], events[events["case_id"].eq(case_id)]
    copies = pd.concat([one.assign(case_id=i) for i in ids], ignore_index=True)
    copied = pd.concat([steps.assign(case_id=i) for i in ids], ignore_index=True)
    return (pd.concat([cases, copies], ignore_index=True).astype(cases.dtypes.to_dict()),
            pd.concat([events, copied], ignore_index=True).astype(events.dtypes.to_dict()))


def test_revisions_that_add_copies_of_a_known_record_pin_no_earlier_count(
    small: tuple[pd.DataFrame, pd.DataFrame], tmp_path: Path
) -> None:
    """The attack of 2026-12-07 (F4): 11, 22, ..., 55 copies of one record added before each of five
    revisions moved its cells by a known amount; each value was rounded anew, so the five roundings of
    old + 11 m pinned the old count (148 exactly, a withheld 5 to 5..8). Now a published cell moves by
    its change since the latest release, rounded: a value the reader who added the copies knows
    already; and a withheld cell stays withheld: nothing of the first release's counts is learned."""
    cases, events = small
    consenting = cases[cases["consent_reporting"].astype(str).eq("yes")]
    steps = events[events["case_id"].isin(consenting["case_id"])].groupby("case_id").size()
    known = str(steps.idxmax())
    ledger = Ledger(tmp_path / "ledger.sqlite")
    first = Release.build(cases, events, corridors=(), dataset="small", ledger=ledger, hexagons=False)
    base = first.cells.set_index(["label", "by", "key"])
    rounding = first.policy.rounding
    moved_cells = 0
    for m in range(1, 6):
        more_cases, more_events = _with_copies(cases, events, known, 11 * m)
        revised = Release.build(more_cases, more_events, corridors=(), dataset="small", ledger=ledger,
                                hexagons=False, revise=True)
        after = revised.cells.set_index(["label", "by", "key"])
        shared = base.index.intersection(after.index)  # the latest release before this revision
        was, now = base.loc[shared], after.loc[shared]
        withheld = was["published"].isna()
        assert now.loc[withheld[withheld].index, "published"].isna().all(), f"+{11 * m}: withheld shown"
        change = (now["exact"] - was["exact"])[~withheld]
        big = change.abs() >= first.policy.k
        expected = was.loc[~withheld, "published"].astype("Int64") + np.sign(change).astype("Int64") * (
            (change.abs() + rounding // 2) // rounding * rounding
        ).where(big, 0).astype("Int64")
        shown = now.loc[~withheld, "published"].astype("Int64")
        drifted = shown.notna() & (shown != expected)
        assert not drifted.any(), (f"+{11 * m}", now.loc[drifted[drifted].index, ["exact", "published"]])
        moved_cells += int((big & shown.notna()).sum())
        base = after
    assert moved_cells > 0  # the copies did move published cells


def test_a_period_overlapping_a_published_one_is_refused(
    small: tuple[pd.DataFrame, pd.DataFrame], tmp_path: Path
) -> None:
    from routes.errors import DisclosureError

    cases, events = small
    ledger = Ledger(tmp_path / "ledger.sqlite")
    Release.build(cases, events, corridors=(), period="2023", dataset="small", ledger=ledger, hexagons=False)
    with pytest.raises(DisclosureError, match="overlaps"):
        Release.build(
            cases, events, corridors=(), period="2023Q4", dataset="small", ledger=ledger, hexagons=False
        )
    with sqlite3.connect(tmp_path / "ledger.sqlite") as db:
        assert db.execute("SELECT COUNT(*) FROM releases").fetchone()[0] == 1


def test_export_writes_hxl_csv_geojson_and_a_manifest(release: Release, tmp_path: Path) -> None:
    import json

    written = release.to_files(tmp_path)
    names = {p.name for p in written}
    assert {"segments.csv", "places.csv", "segments.geojson", "manifest.json"} <= names
    segments = pd.read_csv(tmp_path / "segments.csv")
    assert segments.iloc[0]["n_people"] == "#affected+num"
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["release_id"] == release.release_id and manifest["policy"]["k"] == 11
    # why cells were withheld, never how many (a statistic of small cells that one person can move)
    assert "below_k" in manifest["cells_withheld_because"]
    assert all(isinstance(reason, str) for reason in manifest["cells_withheld_because"])


def test_the_same_release_renders_byte_identical_maps(release: Release, tmp_path: Path) -> None:
    from routes.maps import release_map, save_map

    first = save_map(release_map(release, lang="en"), tmp_path / "a.html").read_bytes()
    second = save_map(release_map(release, lang="en"), tmp_path / "b.html").read_bytes()
    assert first == second
    assert release.release_id.encode() in first


def test_an_unseeded_pattern_model_gives_the_same_release_every_time(
    small: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    """Cluster numbers are keys of the ledger: an unseeded model would renumber them run to run."""
    from routes.patterns import PatternClusters

    cases, events = small
    builds = [
        Release.build(cases, events, patterns=PatternClusters(n_bootstrap=0), corridors=("andean",),
                      dataset="x")
        for _ in range(2)
    ]
    assert builds[0].release_id == builds[1].release_id
    pd.testing.assert_frame_equal(builds[0].cells, builds[1].cells)


def test_es_and_en_briefs_carry_the_release_id(release: Release) -> None:
    from routes.briefs import release_brief

    for lang in ("es", "en"):
        assert release.release_id in release_brief(release, corridor="andean", lang=lang).html


# -- formal mode (OpenDP) -----------------------------------------------------------------------------


def test_formal_plan_meets_the_policy_guarantee_by_opendp_accounting() -> None:
    from routes.privacy import DisclosurePolicy
    from routes.publish.formal import FAMILIES, plan_for
    from routes.publish.ledger import zcdp_epsilon

    policy = DisclosurePolicy.formal(epsilon=2.0, cells_per_person=16)
    plan = plan_for(policy)
    # OpenDP found ρ for (ε, δ/2); the textbook conversion of its ρ is no tighter than that.
    assert zcdp_epsilon(plan.rho, policy.delta / 2) >= policy.epsilon - 1e-6
    families = plan.families.values()
    assert set(plan.families) == set(FAMILIES) and plan.cells_per_person == 16
    # Each family's ρ is its Gaussian's (norm / 2 sd²: the norm is the sensitivity squared), its share
    # of the whole, and they add up.
    for family in families:
        assert family.bound >= family.norm >= 1
        assert family.rho == pytest.approx(family.norm / (2 * family.scale**2), rel=1e-6)
        assert family.rho == pytest.approx(family.share * plan.rho, rel=1e-6)
        assert family.threshold > policy.k
    assert plan.rho == pytest.approx(sum(f.rho for f in families))
    # zCDP composes by adding ρ: OpenDP's conversion of the families' total gives at most the policy's ε.
    import opendp.prelude as dp

    dp.enable_features("contrib")
    space = (dp.vector_domain(dp.atom_domain(T=float, nan=False)), dp.l2_distance(T=float))
    whole = dp.m.make_gaussian(*space, scale=math.sqrt(1 / (2 * plan.rho)))
    epsilon, _ = dp.c.make_fix_delta(dp.c.make_zCDP_to_approxDP(whole), policy.delta / 2).map(1.0)
    assert epsilon <= policy.epsilon
    looser = plan_for(DisclosurePolicy.formal(epsilon=4.0, cells_per_person=16))
    assert all(looser.families[f.name].scale < f.scale for f in families)


@settings(max_examples=40, deadline=None)
@given(
    memberships=st.lists(
        st.tuples(st.integers(0, 30), st.integers(0, 9)), min_size=1, max_size=200, unique=True
    ),
    limit=st.integers(1, 8),
)
def test_bounded_contributions_keep_at_most_the_limit_per_person_and_nothing_new(
    memberships: list[tuple[int, int]], limit: int
) -> None:
    from scipy import sparse

    from routes.publish.formal import bound_contributions

    rows, cols = zip(*memberships, strict=True)
    matrix = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(31, 10))
    bounded = bound_contributions(matrix, limit, np.random.default_rng(0))
    per_person = np.asarray(bounded.sum(axis=0)).ravel()
    before = np.asarray(matrix.sum(axis=0)).ravel()
    assert (per_person == np.minimum(before, limit)).all()
    assert ((bounded - bounded.multiply(matrix)).nnz == 0)  # only memberships that were there


@settings(max_examples=60, deadline=None)
@given(
    memberships=st.lists(
        st.tuples(st.integers(0, 30), st.integers(0, 9)), min_size=1, max_size=200, unique=True
    ),
    norm=st.integers(1, 8),
)
def test_weighted_contributions_keep_each_persons_sum_of_squares_within_the_norm(
    memberships: list[tuple[int, int]], norm: int
) -> None:
    """What the Gaussian's sensitivity assumes: however many queries a person is in, the squares of
    what they add sum to at most the norm; people within it count 1 everywhere; nothing new appears."""
    from scipy import sparse

    from routes.publish.formal import weigh_contributions

    rows, cols = zip(*memberships, strict=True)
    matrix = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(31, 10))
    weighted = weigh_contributions(matrix, norm)
    squares = np.asarray(weighted.multiply(weighted).sum(axis=0)).ravel()
    before = np.asarray(matrix.sum(axis=0)).ravel()
    assert (squares <= norm + 1e-9).all()
    assert np.allclose(squares, np.minimum(before, norm))  # the whole norm is used, no more
    within = before <= norm
    assert (weighted.toarray()[:, within] == matrix.toarray()[:, within]).all()
    assert ((weighted != 0).toarray() == (matrix != 0).toarray()).all()  # every membership, no other


def test_formal_release_publishes_noisy_counts_at_or_above_its_threshold(
    small: tuple[pd.DataFrame, pd.DataFrame], tmp_path: Path
) -> None:
    import json

    from routes.privacy import DisclosurePolicy

    cases, events = small
    policy = DisclosurePolicy.formal(cells_per_person=24)
    release = Release.build(cases, events, corridors=(), dataset="small", policy=policy, hexagons=False)
    assert release.audit.passed and "formal mode" in release.audit.summary()
    families = release.manifest()["formal"]["families"]
    sds = sorted(f["noise_sd"] for f in families.values())
    # the summary gives the spread of the families' noise, not one family's sd as the whole release's
    assert f"{len(families)} families of tables, noise sd {sds[0]:g}–{sds[-1]:g}" in release.audit.summary()
    published = release.cells["published"].dropna().astype(int)
    assert len(published) > 10
    assert (published >= policy.k).all() and (published % policy.rounding == 0).all()
    assert release.withheld.get("noise_threshold", 0) > 0
    release.to_files(tmp_path)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["mode"] == "formal"
    assert manifest["formal"]["epsilon"] == 5.0 and manifest["formal"]["cells_per_person"] == 24


def test_formal_releases_spend_the_ledger_budget_and_republishing_costs_nothing(
    small: tuple[pd.DataFrame, pd.DataFrame], tmp_path: Path
) -> None:
    from routes.errors import DisclosureError
    from routes.privacy import DisclosurePolicy

    cases, events = small
    ledger = Ledger(tmp_path / "ledger.sqlite")
    policy = DisclosurePolicy.formal(epsilon=3.0, budget_epsilon=4.0, cells_per_person=24)
    options = {"corridors": (), "dataset": "small", "policy": policy, "ledger": ledger, "hexagons": False}
    first = Release.build(cases, events, period="2022", **options)
    spent = ledger.spent("small")
    assert spent == pytest.approx(first._store.formal_plan.rho)
    again = Release.build(cases, events, period="2022", **options)
    assert again.release_id == first.release_id and ledger.spent("small") == spent
    # attack6 F8: a corridor's brief after the period's first release costs nothing either (each
    # corridor's first brief drew new noise and charged everyone a release's ρ: the 4th was refused)
    andean = Release.build(cases, events, period="2022", **{**options, "corridors": ("andean",)})
    assert "andean" in andean.findings and ledger.spent("small") == spent
    # The same values, keys no one is in included: nothing is drawn again.
    assert (first.cells["exact"] == 0).any()
    pd.testing.assert_frame_equal(again.cells, first.cells)
    with pytest.raises(DisclosureError, match="past the budget"):
        Release.build(cases, events, period="2023", **options)


def test_the_formal_budget_is_charged_per_person_so_quarters_of_other_people_fit(
    small: tuple[pd.DataFrame, pd.DataFrame], tmp_path: Path
) -> None:
    """Four quarters, each counting its people and the quarter before's (the comparison): a person is
    in two releases, so at ε = 3 a budget of 5 (two releases' worth, not three) holds all four, where
    adding up every release refused the third (the attack of 2026-12-07 found only three monthly
    releases fit the default budget). A revision of the last quarter charges its people and the
    quarter before's a third time and is refused."""
    from routes.errors import DisclosureError
    from routes.privacy import DisclosurePolicy
    from routes.publish.ledger import zcdp_epsilon

    cases, events = small
    ledger = Ledger(tmp_path / "ledger.sqlite")
    policy = DisclosurePolicy.formal(epsilon=3.0, budget_epsilon=5.0, cells_per_person=24)
    options = {"corridors": (), "dataset": "small", "policy": policy, "ledger": ledger, "hexagons": False}
    built = [Release.build(cases, events, period=f"2023Q{q}", **options) for q in (1, 2, 3, 4)]
    rho = built[0]._store.formal_plan.rho
    assert zcdp_epsilon(2 * rho, policy.delta) <= 5.0 < zcdp_epsilon(3 * rho, policy.delta)
    assert ledger.spent("small") == pytest.approx(2 * rho)  # a person, not the four releases
    with pytest.raises(DisclosureError, match="past the budget"):
        Release.build(cases, events, period="2023Q4", revise=True, **options)


def test_a_table_read_again_after_protection_gives_what_counting_it_again_gives() -> None:
    """A release reads its products a second time once protected; the store then takes each table's
    cells from its first count (no person touched). Counting the same memberships again gives the
    same table, values and hidden cells, and no new cell: two tables share a name with other people."""
    from routes.privacy import DisclosurePolicy

    rng = np.random.default_rng(3)
    people = np.array([f"p{i:03d}" for i in range(300)])
    u, v = rng.choice(list("abcd"), 700), rng.choice(list("wxyz"), 700)
    u[:4], v[:4] = "e", "z"  # a segment of 4 people: withheld
    segments = pd.DataFrame({"case_id": rng.choice(people, 700), "u": u, "v": v})
    places = pd.DataFrame({"case_id": rng.choice(people, 500), "place_id": rng.choice(list("pqrstu"), 500)})
    places["case_id"] = places["case_id"].astype("category")  # the network's tables are categorical
    tables = [
        (segments, ["u", "v"], True, "segments"),
        (places, ["place_id"], False, "all:places"),
        (places.head(120), ["place_id"], False, "all:places"),  # same name, fewer people: other cells
        (segments.assign(scope="all"), ["scope"], False, "all:people"),
    ]
    store = CellStore(DisclosurePolicy.public())
    for frame, by, margins, label in tables:
        store.table(frame, by, person="case_id", margins=margins, label=label)
    store.protect()
    cells = len(store)
    reread = [
        store.table(frame, by, person="case_id", margins=m, label=label) for frame, by, m, label in tables
    ]
    counted = [  # one duplicated membership: more rows than the first count, so counted again
        store.table(pd.concat([frame, frame.head(1)]), by, person="case_id", margins=m, label=label)
        for frame, by, m, label in tables
    ]
    assert len(store) == cells
    for read, count in zip(reread, counted, strict=True):
        pd.testing.assert_frame_equal(read.table, count.table)
        assert (read.hidden_cells, read.hidden_people) == (count.hidden_cells, count.hidden_people)
    assert reread[1].table["n_people"].sum() > reread[2].table["n_people"].sum()
    assert reread[0].hidden_cells > 0  # some cells under k: withheld values are compared too


def test_the_store_numbers_new_people_in_the_order_python_sorts_their_ids() -> None:
    """People new to a store get the next codes in sorted order of their ids, as Python sorts text (by
    code point), whether the ids come as text or as a categorical's categories: accents, other
    scripts and digits included, so that a store's codes do not depend on how its tables hold ids."""
    from routes.privacy import DisclosurePolicy

    ids = ["Zoë-2", "zoe-1", "Ávila-3", "avila-4", "Ωmega-5", "10-b", "9-a", "émile", "Émile", "ﬁ-lig"]
    for as_category in (False, True):
        store = CellStore(DisclosurePolicy.public())
        persons = pd.Series(ids * 2)  # each id twice: one code each
        frame = pd.DataFrame({"case_id": persons.astype("category") if as_category else persons,
                              "who": ids * 2})
        store.table(frame, ["who"], person="case_id", margins=False, label="people")
        code_of = {key[2][0]: int(store.members(i)[0]) for i, key in enumerate(store.keys)}
        assert sorted(ids, key=code_of.__getitem__) == sorted(ids)
        assert sorted(code_of.values()) == list(range(len(ids)))


def test_counting_some_peoples_rows_of_a_shared_table_gives_what_counting_those_rows_gives() -> None:
    """A brief counts its corridor's people's rows of a network table from the table's own count
    (:class:`routes.privacy.PeopleOf`): the same cells, people, values and store as counting the rows
    selected, margins, a missing value and a column with one value (the corridor) included."""
    from routes.privacy import DisclosurePolicy, PeopleOf, release_counts

    rng = np.random.default_rng(5)
    people = pd.Index([f"p{i:03d}" for i in range(400)])
    u = rng.choice(list("abcde"), 3000).astype(object)
    u[:40] = None  # rows with no segment are in no cell
    table = pd.DataFrame({
        "case_id": pd.Categorical(rng.choice(people, 3000), categories=people),
        "u": pd.Categorical(u), "v": pd.Categorical(rng.choice(list("wxyz"), 3000)),
    })
    subsets = [rng.random(len(people)) < share for share in (1.0, 0.5, 0.1, 0.0)]
    policy = DisclosurePolicy.public()
    stores = {how: CellStore(policy) for how in ("shared", "selected")}
    results: dict[str, list[PrivacyRelease]] = {how: [] for how in stores}
    for how, store in stores.items():
        store.table(table, ["u", "v"], person="case_id", margins=False, label="map")  # codes everyone
        for n, chosen in enumerate(subsets):
            def rows(chosen: np.ndarray = chosen) -> pd.DataFrame:
                return table[chosen[table["case_id"].cat.codes.to_numpy()]].assign(scope="north")
            tables = ((["u", "v"], True), (["u"], False), (["scope"], True), (["scope", "v"], True))
            for by, margins in tables:
                label = f"c{n}:{'/'.join(by)}"
                if how == "shared":
                    counted = store.table_of_people(
                        PeopleOf(table, lambda chosen=chosen: chosen, rows, {"scope": "north"}), by,
                        person="case_id", margins=margins, label=label)
                    assert counted is not None
                else:
                    counted = store.table(rows(), by, person="case_id", margins=margins, label=label)
                results[how].append(counted)
    for shared, selected in zip(results["shared"], results["selected"], strict=True):
        pd.testing.assert_frame_equal(shared.table, selected.table)
        assert (shared.hidden_cells, shared.hidden_people) == (selected.hidden_cells, selected.hidden_people)
    a, b = stores["shared"], stores["selected"]
    assert a.keys == b.keys and len(a) > 40
    assert all(np.array_equal(a.members(i), b.members(i)) for i in range(len(a)))
    fresh, direct = CellStore(policy), CellStore(policy)
    with counting_into(fresh):  # a store that never saw the table's people counts the rows built
        built = release_counts(PeopleOf(table, lambda: subsets[1], lambda: table.head(50)), ["u"],
                               policy=policy, label="fallback")
    expected = direct.table(table.head(50), ["u"], person="case_id", margins=True, label="fallback")
    pd.testing.assert_frame_equal(built.table, expected.table)
    assert fresh.keys == direct.keys
    # everyone's rows, first counted: the store numbers the table's people as counting the rows would
    everyone = np.ones(len(people), dtype=bool)
    first = fresh.table_of_people(PeopleOf(table, lambda: everyone, lambda: table), ["u", "v"],
                                  person="case_id", margins=False, label="everyone")
    counted = direct.table(table, ["u", "v"], person="case_id", margins=False, label="everyone")
    assert first is not None
    pd.testing.assert_frame_equal(first.table, counted.table)
    assert fresh.keys == direct.keys
    assert all(np.array_equal(fresh.members(i), direct.members(i)) for i in range(len(fresh)))


def _assert_same(a: object, b: object, where: str) -> None:
    """``a`` and ``b`` hold the same values: frames cell for cell, dataclasses field by field."""
    if isinstance(a, pd.DataFrame):
        pd.testing.assert_frame_equal(a, b, obj=where)
    elif isinstance(a, pd.Series):
        pd.testing.assert_series_equal(a, b, obj=where)
    elif dataclasses.is_dataclass(a) and not isinstance(a, type):
        for f in dataclasses.fields(a):
            _assert_same(getattr(a, f.name), getattr(b, f.name), f"{where}.{f.name}")
    elif isinstance(a, dict):
        assert isinstance(b, dict) and a.keys() == b.keys(), where
        for key in a:
            _assert_same(a[key], b[key], f"{where}[{key!r}]")
    elif isinstance(a, tuple | list):
        assert isinstance(b, tuple | list) and len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _assert_same(x, y, f"{where}[{i}]")
    else:
        assert a == b or (a != a and b != b), f"{where}: {a!r} != {b!r}"


def test_a_release_reads_its_second_pass_from_the_store_as_counting_again_would(
    sample_tables: tuple[pd.DataFrame, pd.DataFrame], release: Release, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The products a release publishes, read from the cells its first pass counted, are those that
    counting every table again after the protection gives: same cells, release id, layers and findings."""
    import routes.publish.release as release_module

    class CountingAgain(CellStore):
        def reread(self, by: Sequence[str], *, margins: bool, label: str) -> PrivacyRelease | None:
            return None  # every table built and given to table() again

        def table(self, frame: pd.DataFrame, by: Sequence[str], *, person: str, margins: bool,
                  label: str) -> PrivacyRelease:
            if self.protected and len(frame):  # a duplicated membership (same people): counted again
                frame = pd.concat([frame, frame.head(1)])
            return super().table(frame, by, person=person, margins=margins, label=label)

    monkeypatch.setattr(release_module, "CellStore", CountingAgain)
    cases, events = sample_tables
    counted = Release.build(cases, events, corridors=("andean",), dataset="sample")
    assert isinstance(counted._store, CountingAgain)
    assert counted.release_id == release.release_id
    pd.testing.assert_frame_equal(counted.cells, release.cells)
    _assert_same(counted.layers, release.layers, "layers")
    _assert_same(dict(counted.findings), dict(release.findings), "findings")


def _formal_store(monkeypatch: pytest.MonkeyPatch, shift: float) -> tuple[CellStore, pd.DataFrame]:
    """A formal store with a public table of codes and a table of places, noise replaced by ``shift``."""
    import routes.publish.formal as formal
    from routes.privacy import DisclosurePolicy
    from routes.publish.formal import PublicDomain

    monkeypatch.setattr(formal, "gaussian_noise", lambda counts, scale: np.asarray(counts, float) + shift)
    store = CellStore(DisclosurePolicy.formal())
    store.public_domain = PublicDomain(columns={"code": ("food", "legal", "shelter")}, prefixes=("all",))
    people = [f"p{i}" for i in range(30)]
    codes = pd.DataFrame({"case_id": people, "code": "food"})
    places = pd.DataFrame({"case_id": people, "place_id": "co-cucuta"})
    store.table(codes, ["code"], person="case_id", margins=False, label="all:assistance")
    store.table(places, ["place_id"], person="case_id", margins=False, label="all:places")
    store.protect()
    return store, codes


def test_a_public_domain_cell_is_published_without_the_data_dependent_threshold(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    store, _ = _formal_store(monkeypatch, 0.0)
    cells = store.cells_table().set_index(["label", "key"])
    plan = store.formal_plan
    assert plan.families["places"].threshold > 30 >= plan.display["all:assistance by code"] > plan.k
    assert cells.loc[("all:assistance", "food"), "published"] == 30  # public key: shown at k
    assert cells.loc[("all:places", "co-cucuta"), "reason"] == "noise_threshold"  # key from the data


@pytest.mark.parametrize(("shift", "shown"), [(32.0, 30), (5.0, None)])
def test_public_keys_with_no_one_get_noise_too_and_are_withheld_below_k(
    monkeypatch: pytest.MonkeyPatch, shift: float, shown: int | None
) -> None:
    store, codes = _formal_store(monkeypatch, shift)
    assert set(store.empty_public) == {
        ("all:assistance", ("code",), ("legal",)),
        ("all:assistance", ("code",), ("shelter",)),
    }
    table = store.table(codes, ["code"], person="case_id", margins=False, label="all:assistance")
    values = table.cells.set_index("code")["n_people"]
    assert list(values.index) == ["food", "legal", "shelter"]  # the product sees every public key
    for code in ("legal", "shelter"):
        assert (values[code] is pd.NA) if shown is None else values[code] == shown  # 32 shows as 30
    cells = store.cells_table()
    empty = cells[cells["exact"] == 0]
    assert len(empty) == 2 and set(empty["reason"]) == ({"noise_threshold"} if shown is None else {""})


@settings(max_examples=60, deadline=None)
@given(
    lists=st.dictionaries(
        st.sampled_from(["code", "group", "case_type"]),
        st.lists(st.text("abc", min_size=1, max_size=3), min_size=1, max_size=4, unique=True).map(tuple),
        min_size=1,
    ),
    key=st.lists(st.text("abcd_", min_size=1, max_size=9), min_size=1, max_size=3),
    margins=st.booleans(),
)
def test_the_public_domain_holds_only_keys_made_of_public_values(
    lists: dict[str, tuple[str, ...]], key: list[str], margins: bool
) -> None:
    from routes.publish.formal import MARGIN, PublicDomain

    domain = PublicDomain(columns=lists, prefixes=("all",))
    by = tuple(lists)[: len(key)]
    key = key[: len(by)]
    inside = domain.contains("all:x", by, key)
    assert inside == all(v == MARGIN or v in lists[c] for c, v in zip(by, key, strict=True))
    assert not domain.contains("segments", by, key) and not domain.contains("all:x#0f", by, key)
    assert not domain.covers("all:x", (*by, "place_id"))  # a column without a public list
    every = domain.keys("all:x", by, margins)
    assert len(every) == len(set(every)) and all(domain.contains("all:x", by, k) for k in every)
    full = int(np.prod([len(lists[c]) for c in by]))
    assert len([k for k in every if MARGIN not in k]) == full


def test_formal_manifest_accounts_for_the_whole_budget_and_names_the_public_domain(
    small: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    from statistics import NormalDist

    from routes.places import CORRIDORS
    from routes.privacy import DisclosurePolicy
    from routes.publish.formal import FALSE_CELLS
    from routes.publish.ledger import zcdp_epsilon

    cases, events = small
    policy = DisclosurePolicy.formal(cells_per_person=24)
    release = Release.build(cases, events, corridors=(), dataset="small", policy=policy, hexagons=False)
    formal = release.manifest()["formal"]
    assert sum(formal["delta_use"].values()) == pytest.approx(policy.delta)
    families = formal["families"].values()
    assert sum(f["rho_share"] for f in families) == pytest.approx(1)
    assert sum(f["rho"] for f in families) == pytest.approx(formal["rho"], abs=1e-5)
    assert sum(f["bound"] for f in families) == formal["cells_per_person"] == 24
    for f in families:  # the noise is calibrated to the contribution norm, at most the bound
        assert f["bound"] >= f["norm"] >= 1
        assert f["rho"] == pytest.approx(f["norm"] / (2 * f["noise_sd"] ** 2), rel=1e-3)
    assert zcdp_epsilon(formal["rho"], formal["delta_use"]["zcdp_to_approx_dp"]) >= policy.epsilon - 1e-5
    every_corridor = {*(f"{c}:*" for c in (*CORRIDORS, "all")), "places"}  # attack6 F8: all at once
    assert set(formal["public_domain"]["tables"]) == every_corridor
    listed = release.cells[release.cells["label"].str.contains(":", regex=False)  # every corridor's
                           & release.cells["by"].isin(["code", "group", "case_type", "scope"])]
    places = [table for table in formal["display_thresholds"] if table.endswith(" by place_id")]
    assert {"places by place_id", "all:passing by place_id"} <= set(places)
    # Every key of the domain is a query: each code of a listed table is a row, each of the 250
    # curated places (and the margin, when the table has one) a key of every table of places.
    sizes = {f"{label} by {by}": len(table) for (label, by), table in listed.groupby(["label", "by"])}
    cells = release.cells.assign(table=release.cells["label"] + " by " + release.cells["by"])
    margins = set(cells.loc[cells["key"] == "__total__", "table"])
    # a corridor's places passed have their total, shown or not (a corridor no one took shows no row)
    margins |= {table for table in places if table.endswith(":passing by place_id")}
    sizes |= {table: 250 + (table in margins) for table in places}
    assert formal["public_cells"] == sum(sizes.values())
    # Each public table's display threshold is k or what a key with no one passes FALSE_CELLS / keys
    # of the time: the table's size and its noise, nothing else.
    for table, keys in sizes.items():
        family = "totals" if table.endswith("by scope") else "places" if table in places else "codes"
        sd = formal["families"][family]["noise_sd"]
        expected = policy.k if keys <= FALSE_CELLS else max(
            policy.k, sd * NormalDist().inv_cdf(1 - FALSE_CELLS / keys))
        assert formal["display_thresholds"][table] == pytest.approx(expected, abs=0.1)


def test_a_formal_release_can_draw_a_gazetteer_place_no_one_passed(
    small: tuple[pd.DataFrame, pd.DataFrame], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A curated place is a public key: when its noise passes the display threshold the map shows
    it, whoever is in the data (dropping it because the data lacks it would be a decision on the data)."""
    import routes.publish.formal as formal
    from routes.maps import release_map, save_map
    from routes.places import load_gazetteer
    from routes.privacy import DisclosurePolicy, escape_text

    cases, events = small
    monkeypatch.setattr(formal, "gaussian_noise", lambda counts, scale: np.asarray(counts, float) + 500)
    policy = DisclosurePolicy.formal()
    release = Release.build(cases, events, corridors=(), dataset="small", policy=policy, hexagons=False)
    curated = load_gazetteer(fallback=False).places
    empty = release.cells[(release.cells["label"] == "places") & (release.cells["exact"] == 0)]
    assert len(empty) > 100 and set(empty["key"]) <= set(curated.index)  # places no one passed
    shown = release.layers.places.dropna(subset=["n_people"])
    assert set(empty["key"]) <= set(shown.index)
    page = save_map(release_map(release), tmp_path / "map.html", policy=policy).read_text()
    name = curated.loc[empty["key"].iloc[0], "name"]
    assert escape_text(name) in page


@settings(max_examples=20, deadline=None)
@given(
    codes=st.lists(st.sampled_from(["food", "legal", "shelter", "other", "x<y"]), min_size=1, max_size=40),
    places=st.lists(st.sampled_from(["co-cucuta", "co-tibu", "zz-new"]), min_size=1, max_size=40),
)
def test_public_keys_and_display_thresholds_do_not_depend_on_the_data(
    codes: list[str], places: list[str]
) -> None:
    """Whatever the data holds, the public keys are the domain's lists and the display thresholds
    are the same; keys from the data (a code outside the vocabulary, a place) are never public."""
    from routes.privacy import DisclosurePolicy
    from routes.publish.formal import PublicDomain

    def protected(codes: list[str], places: list[str]) -> CellStore:
        store = CellStore(DisclosurePolicy.formal())
        store.public_domain = PublicDomain(columns={"code": ("food", "legal", "shelter")}, prefixes=("all",))
        for column, values, label in (("code", codes, "all:assistance"), ("place_id", places, "all:places")):
            frame = pd.DataFrame({"case_id": [f"p{i}" for i in range(len(values))], column: values})
            store.table(frame, [column], person="case_id", margins=False, label=label)
        store.protect()
        return store

    store, reference = protected(codes, places), protected(["food"], ["co-cucuta"])
    plan = store.formal_plan
    assert plan.display == reference.formal_plan.display and plan.public_cells == 3
    assert plan.expected_false_cells == reference.formal_plan.expected_false_cells
    cells = store.cells_table()
    vocabulary = {"food", "legal", "shelter"}
    assert vocabulary <= set(cells.loc[cells["label"] == "all:assistance", "key"])  # every public key
    data_keys = cells[(cells["label"] == "all:places") | ~cells["key"].isin(vocabulary)]
    family = np.where(data_keys["label"] == "all:places", "places", "codes")
    rows = data_keys[["label", "by", "key"]].itertuples(index=False)
    assert not any(plan.domain.contains(label, (by,), (key,)) for label, by, key in rows)
    threshold = np.array([plan.families[f].threshold for f in family])
    shown = data_keys["published"].notna().to_numpy()  # only above the family's δ-threshold
    assert (data_keys["published"].astype(float).to_numpy()[shown] >= threshold[shown] - 2.5).all()


def test_formal_brief_counts_stay_within_the_tables_they_are_nested_in(
    small: tuple[pd.DataFrame, pd.DataFrame], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Post-processing: the people assisted are never more than the corridor's people, nor those with
    one assistance code more than those assisted, however the noise falls (here: more on codes)."""
    import routes.publish.formal as formal
    from routes.privacy import DisclosurePolicy

    cases, events = small
    def more_on_codes(counts: np.ndarray, scale: float) -> np.ndarray:  # codes have the largest sd
        return np.asarray(counts, float) + 100 * scale

    monkeypatch.setattr(formal, "gaussian_noise", more_on_codes)
    policy = DisclosurePolicy.formal()
    release = Release.build(cases, events, corridors=(), dataset="small", policy=policy, hexagons=False)
    shown = release.cells.dropna(subset=["published"]).set_index(["label", "key"])["published"].astype(int)
    people, assisted, referred = (shown[(f"all:{t}", "all")] for t in ("people", "assisted", "referred"))
    assert assisted <= people and referred <= people
    assert shown[("all:referrals completed", "all")] <= referred
    assert shown.loc["all:assistance"].max() == assisted  # more noise on codes: held at their parent
    assert shown.loc["all:referrals"].max() == referred
    assert shown.loc["all:groups"].max() <= people and shown.loc["all:case types"].max() <= people


def test_formal_builds_count_the_same_tables_whatever_the_noise_draw(
    small: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    """Finding F6: a brief counted its sections only when its corridor total reached k, so a total
    under k that the noise showed asked the second pass for tables the first never counted (a crash
    in three draws of four here). Every draw must build, count the same tables, the sections of
    corridors under k included, and give the manifest the same accounting.

    ε = 10 (the most the default budget allows): the display threshold of a corridor total is then k,
    and the noise shows the totals of this month (6 and 10 people) often."""
    from routes.privacy import DisclosurePolicy
    from routes.publish.findings import CASE_TYPES
    from routes.schema import GROUPS

    cases, events = small
    policy = DisclosurePolicy.formal(epsilon=10.0)
    tables, accounting = set(), set()
    for _ in range(4):  # fresh noise each build
        release = Release.build(cases, events, policy=policy, period="2023-11", hexagons=False,
                                corridors=("andean", "caribbean_darien"), dataset="small")
        assert release._store is not None
        tables.add(release._store.tables)
        formal = release.manifest()["formal"]
        accounting.add((formal["public_cells"], tuple(sorted(formal["display_thresholds"]))))
        for corridor, findings in release.findings.items():
            if findings.publishable:  # its sections were counted: every code and group is listed
                assert findings.case_types.keys() == set(CASE_TYPES), corridor
                assert findings.groups.keys() == set(GROUPS), corridor
    assert len(tables) == 1 and len(accounting) == 1
    # the corridors' totals (6 and 10 people) are under k, their sections counted all the same
    counted = next(iter(tables))
    assert {(f"{c}:case types", ("case_type",)) for c in ("andean", "caribbean_darien")} <= counted


def test_an_internal_export_says_confidential_in_every_file_name_and_keeps_apart_from_a_public_one(
    tiny: Path, tmp_path: Path
) -> None:
    """The attack of 2026-12-07 (A9): the internal export (exact counts from 5) had the public export's
    file names and HXL rows; a partner uploading the wrong folder would publish it."""
    from routes.errors import PolicyError
    from routes.privacy import DisclosurePolicy

    report = validate(tiny / "cases.csv", events=tiny / "events.csv")
    internal = Release.build(report.cases, report.events, policy=DisclosurePolicy.internal(),
                             corridors=(), dataset="tiny-internal", hexagons=False)
    written = internal.to_files(tmp_path / "internal")
    assert written and all(path.name.startswith("CONFIDENTIAL-") for path in written)
    manifest = json.loads((tmp_path / "internal" / "CONFIDENTIAL-manifest.json").read_text(encoding="utf-8"))
    assert manifest["classification"].startswith("CONFIDENTIAL")
    public = Release.build(report.cases, report.events, corridors=(), dataset="tiny-public", hexagons=False)
    with pytest.raises(PolicyError, match="separate folders"):
        public.to_files(tmp_path / "internal")
    public.to_files(tmp_path / "public")
    with pytest.raises(PolicyError, match="separate folders"):
        internal.to_files(tmp_path / "public")
    (tmp_path / "public" / "manifest.json").unlink()  # the public CSVs alone still keep it out
    with pytest.raises(PolicyError, match="separate folders"):
        internal.to_files(tmp_path / "public")
    # attack6 F5: the mark travels with the rows, and a public table renamed still keeps it out
    table = pd.read_csv(tmp_path / "internal" / "CONFIDENTIAL-places.csv", dtype=str, skiprows=[1])
    assert table["classification"].eq("CONFIDENTIAL").all()
    renamed = tmp_path / "renamed"
    renamed.mkdir()
    (renamed / "lugares.csv").write_bytes((tmp_path / "public" / "places.csv").read_bytes())
    with pytest.raises(PolicyError, match="separate folders"):
        internal.to_files(renamed)
    (renamed / "lugares.csv").write_bytes((tmp_path / "internal" / "CONFIDENTIAL-places.csv").read_bytes())
    with pytest.raises(PolicyError, match="separate folders"):
        public.to_files(renamed)
