"""One protected release per publication: the audit's findings, rerun as attacks, fail to disclose."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from routes.io import validate
from routes.publish import Ledger, Release
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


def test_the_same_release_renders_byte_identical_maps(release: Release, tmp_path: Path) -> None:
    from routes.maps import release_map, save_map

    first = save_map(release_map(release, lang="en"), tmp_path / "a.html").read_bytes()
    second = save_map(release_map(release, lang="en"), tmp_path / "b.html").read_bytes()
    assert first == second
    assert release.release_id.encode() in first


def test_es_and_en_briefs_carry_the_release_id(release: Release) -> None:
    from routes.briefs import release_brief

    for lang in ("es", "en"):
        assert release.release_id in release_brief(release, corridor="andean", lang=lang).html


# -- formal mode (OpenDP) -----------------------------------------------------------------------------


def test_formal_plan_meets_the_policy_guarantee_by_opendp_accounting() -> None:
    from routes.privacy import DisclosurePolicy
    from routes.publish.formal import plan_for
    from routes.publish.ledger import zcdp_epsilon

    policy = DisclosurePolicy.formal(epsilon=2.0, cells_per_person=16)
    plan = plan_for(policy)
    # OpenDP found the scale for (ε, δ/2); the textbook conversion of its ρ is no tighter than that.
    assert zcdp_epsilon(plan.rho, policy.delta / 2) >= policy.epsilon - 1e-6
    assert plan.rho == pytest.approx(16 / (2 * plan.scale**2), rel=1e-6)
    assert plan.threshold > policy.k
    looser = plan_for(DisclosurePolicy.formal(epsilon=4.0, cells_per_person=16))
    assert looser.scale < plan.scale


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


def test_formal_release_publishes_noisy_counts_at_or_above_its_threshold(
    small: tuple[pd.DataFrame, pd.DataFrame], tmp_path: Path
) -> None:
    import json

    from routes.privacy import DisclosurePolicy

    cases, events = small
    policy = DisclosurePolicy.formal(cells_per_person=24)
    release = Release.build(cases, events, corridors=(), dataset="small", policy=policy, hexagons=False)
    assert release.audit.passed and "formal mode" in release.audit.summary()
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
    with pytest.raises(DisclosureError, match="past the budget"):
        Release.build(cases, events, period="2023", **options)
