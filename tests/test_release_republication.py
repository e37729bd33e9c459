"""Republication in one working folder (its ledger): corrected exports under other names, other
policies, other corridors, the next period, a refitted pattern model."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from attacks import cli_release as release
from attacks import published_table as published

from routes.cli import main
from routes.network import RouteNetwork
from routes.publish import Ledger, Release
from routes.publish.findings import corridor_people
from routes.sample import generate_sample

COUNTS = {"places.csv": ["n_people", "n_events", "rate"], "segments.csv": ["n_people", "n_events", "rate"],
          "hexagons.csv": ["n_people"]}


def test_republishing_one_person_fewer_under_another_file_name_or_data_set_name_changes_nothing(
    tiny: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The corrected export saved as another file (its stem is the default data set name), or named
    anew with --dataset: the ledger knows its people and keeps the published values."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ROUTES_LEDGER")
    release(tiny / "cases.csv", tiny / "events.csv", tmp_path / "first")
    first = {name: published(tmp_path / "first", name) for name in COUNTS}
    cases = pd.read_csv(tiny / "cases.csv", dtype=str, keep_default_na=False)
    consenting = cases.index[cases["consent_reporting"].eq("yes")]
    for n, drop in enumerate(np.random.default_rng(5).choice(consenting, size=3, replace=False)):
        renamed = tmp_path / f"cases_corrected_{n}.csv"
        cases.drop(index=drop).to_csv(renamed, index=False)
        log = io.StringIO()
        with contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
            extra = ["--dataset", f"another name {n}"] if n % 2 else []
            code = main(["release", str(renamed), "--events", str(tiny / "events.csv"), *extra,
                         "-o", str(tmp_path / "again")])
        assert code == 0, log.getvalue()
        assert "published as that data set" in " ".join(log.getvalue().split())
        for name, columns in COUNTS.items():
            again = published(tmp_path / "again", name)
            pd.testing.assert_frame_equal(again[columns], first[name][columns], obj=f"{name}, {renamed.name}")


def test_the_ledger_matches_a_data_set_by_its_people_not_its_name(tmp_path: Path) -> None:
    """Same people under another name (one fewer): the recorded name, compared on the months the two
    periods share (a quarter's people are a quarter of the year's); other people, or a period that does
    not overlap: no match. The ledger stores keyed hashes, never the ids."""
    import sqlite3

    from routes.publish import Ledger, ReleasePeriod

    ledger = Ledger(tmp_path / "ledger.sqlite")
    ids = pd.Series([f"CASE-{i:04d}" for i in range(200)])
    months = pd.Series([f"2023-{1 + i % 12:02d}" for i in range(200)])
    mine = ledger.fingerprint(ids, months)
    with sqlite3.connect(ledger.path) as db:
        db.execute("INSERT INTO releases (release_id, dataset, period, first_month, last_month, policy, "
                   "revision) VALUES ('r1', 'cases', '2023', '2023-01', '2023-12', '{}', 0)")
        db.executemany("INSERT INTO people VALUES (1, ?, ?, ?)", mine.itertuples(index=False))
        stored = {str(v) for (v,) in db.execute("SELECT digest FROM people")}
    assert not stored & set(ids) and len(stored) == 200
    year, quarter = ReleasePeriod.parse("2023"), ReleasePeriod.parse("2023Q3")
    assert ledger.same_people("cases_v2", year, ledger.fingerprint(ids.drop(index=7), months.drop(index=7))) \
        == "cases"
    in_q3 = months.between("2023-07", "2023-09")
    assert in_q3.mean() == 0.25  # compared whole, the quarter would share 25 % of the year's people
    assert ledger.same_people("cases_v2", quarter, ledger.fingerprint(ids[in_q3], months[in_q3])) == "cases"
    assert ledger.same_people("cases", year, ledger.fingerprint(ids, months)) is None  # itself
    others = pd.Series([f"OTHER-{i}" for i in range(200)])
    assert ledger.same_people("partner", year, ledger.fingerprint(others, months)) is None
    later = months.str.replace("2023", "2024")
    assert ledger.same_people("cases_v2", ReleasePeriod.parse("2024"), ledger.fingerprint(ids, later)) is None
    assert Ledger(tmp_path / "another.sqlite").fingerprint(ids, months)["digest"].tolist() \
        != mine["digest"].tolist()  # own key


def test_a_quarter_of_a_published_year_is_refused_under_another_file_name(
    tiny: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The attack of 2026-12-07 (F1): the year published from cases.csv, then its quarters from the same
    export copied to cases_q.csv (the file name is the default data set name). The quarters were a new
    data set and were published: year = sum of quarters, a linked system protected twice. Now the copy
    is recognised on the months it shares with the year, and the overlap is refused."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ROUTES_LEDGER")
    copy = tmp_path / "cases_q.csv"
    copy.write_bytes((tiny / "cases.csv").read_bytes())
    log = io.StringIO()
    with contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
        code = main(["release", str(tiny / "cases.csv"), "--events", str(tiny / "events.csv"),
                     "--period", "2023", "-o", str(tmp_path / "year")])
        assert code == 0, log.getvalue()
        code = main(["release", str(copy), "--events", str(tiny / "events.csv"), "--period", "2023Q1",
                     "-o", str(tmp_path / "quarter")])
    said = " ".join(log.getvalue().split())
    assert code != 0 and "Traceback" not in said
    assert "period 2023Q1 overlaps 2023" in said
    assert not (tmp_path / "quarter" / "segments.csv").exists()


@pytest.mark.parametrize("policy", [[], ["--formal"]])
def test_a_field_offices_export_with_its_own_case_codes_is_the_same_data_set(
    tiny: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, policy: list[str]
) -> None:
    """The attack of 2026-12-07 (A4, A7): the same people exported by a field office under its own case
    codes were a new data set for the ledger (it knew people by their ids), so 2022/2023 was published
    after 2023 and the two subtracted, and formal releases spent a fresh budget. The ledger now also
    knows a person by their record's profile (when, where and whom the programme registered), so the
    export is the same data set and the overlapping period is refused."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ROUTES_LEDGER")
    cases = pd.read_csv(tiny / "cases.csv", dtype=str, keep_default_na=False)
    events = pd.read_csv(tiny / "events.csv", dtype=str, keep_default_na=False)
    codes = dict(zip(cases["case_id"], [f"OF-{i:05d}" for i in range(len(cases))], strict=True))
    cases.assign(case_id=cases["case_id"].map(codes)).to_csv(tmp_path / "casos.csv", index=False)
    events.assign(case_id=events["case_id"].map(codes)).to_csv(tmp_path / "eventos.csv", index=False)
    log = io.StringIO()
    with contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
        code = main(["release", str(tiny / "cases.csv"), "--events", str(tiny / "events.csv"),
                     "--period", "2023", *policy, "-o", str(tmp_path / "year")])
        assert code == 0, log.getvalue()
        code = main(["release", str(tmp_path / "casos.csv"), "--events", str(tmp_path / "eventos.csv"),
                     "--period", "2022/2023", *policy, "-o", str(tmp_path / "two-years")])
    said = " ".join(log.getvalue().split())
    assert code != 0 and "Traceback" not in said
    assert "overlaps 2023" in said
    assert not (tmp_path / "two-years" / "segments.csv").exists()


def test_a_period_published_under_one_policy_is_refused_under_another(
    tiny: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two protections of the same cells (k = 11 and k = 15) are two sets of bounds a reader can combine:
    the second is refused, saying which release and policy the period was published with; the same
    policy again, and an internal (confidential) product of the period, are not."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ROUTES_LEDGER")
    release(tiny / "cases.csv", tiny / "events.csv", tmp_path / "first")
    args = ["release", str(tiny / "cases.csv"), "--events", str(tiny / "events.csv"), "--dataset", "tiny"]
    log = io.StringIO()
    with contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
        code = main([*args, "--k", "15", "-o", str(tmp_path / "stricter")])
    said = " ".join(log.getvalue().split())
    assert code != 0 and "Traceback" not in said
    assert "was published as release" in said and "k=11, rounding 5" in said and "k=15" in said
    assert not (tmp_path / "stricter" / "segments.csv").exists()
    release(tiny / "cases.csv", tiny / "events.csv", tmp_path / "again")
    with contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
        assert main([*args, "--internal", "-o", str(tmp_path / "internal")]) == 0, log.getvalue()


def _corridor_cells(release: Release, corridor: str) -> pd.DataFrame:
    cells = release.cells
    mine = cells.loc[cells["label"].str.startswith(f"{corridor}:"), ["label", "by", "key", "published"]]
    return mine.sort_values(["label", "by", "key"]).reset_index(drop=True)


def _validated_sample(folder: Path, *, seed: int, people: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A generated sample written as CSV and read back through validation, as the CLI reads it."""
    from routes.io import validate

    data = generate_sample(seed=seed, people=people)
    data.cases.to_csv(folder / "cases.csv", index=False)
    data.events.to_csv(folder / "events.csv", index=False)
    report = validate(folder / "cases.csv", events=folder / "events.csv")
    return report.cases, report.events


@pytest.fixture(scope="module")
def mid_sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, pd.DataFrame]:
    return _validated_sample(tmp_path_factory.mktemp("mid"), seed=23, people=700)


def test_a_corridor_brief_published_after_another_shows_its_figures(
    mid_sample: tuple[pd.DataFrame, pd.DataFrame], tmp_path: Path
) -> None:
    """One corridor's brief, then another's, in one working folder: the second is protected anew, linked
    with what the first published (not withheld as if republished), and the first keeps its values."""
    cases, events = mid_sample
    ledger = Ledger(tmp_path / "ledger.sqlite")
    first = Release.build(cases, events, corridors=("andean",), dataset="mid", ledger=ledger)
    second = Release.build(cases, events, corridors=("caribbean_darien",), dataset="mid", ledger=ledger)
    alone = Release.build(cases, events, corridors=("caribbean_darien",), dataset="mid")
    shown_second = _corridor_cells(second, "caribbean_darien")["published"].notna().sum()
    shown_alone = _corridor_cells(alone, "caribbean_darien")["published"].notna().sum()
    assert shown_alone > 20 and shown_second >= 0.9 * shown_alone
    pd.testing.assert_frame_equal(_corridor_cells(second, "andean"), _corridor_cells(first, "andean"))
    assert second.audit.passed


def test_republishing_a_corridor_after_another_corridor_without_one_person_changes_nothing(
    mid_sample: tuple[pd.DataFrame, pd.DataFrame], tmp_path: Path
) -> None:
    """Andean brief, then the Caribbean–Darién brief, then the Andean brief again without one of its
    people: every Andean figure is the first release's (the ledger keeps every cell of the period,
    not only its latest release's)."""
    cases, events = mid_sample
    ledger = Ledger(tmp_path / "ledger.sqlite")
    first = Release.build(cases, events, corridors=("andean",), dataset="mid", ledger=ledger)
    Release.build(cases, events, corridors=("caribbean_darien",), dataset="mid", ledger=ledger)
    network = RouteNetwork.from_events(events, cases=cases)
    consenting = set(cases.loc[cases["consent_reporting"].eq("yes"), "case_id"].astype(str))
    andean = sorted(set(corridor_people(network, "andean").astype(str)) & consenting)
    drop = andean[int(np.random.default_rng(7).integers(len(andean)))]
    again = Release.build(
        cases.loc[cases["case_id"].ne(drop)], events.loc[events["case_id"].ne(drop)],
        corridors=("andean",), dataset="mid", ledger=ledger,
    )
    pd.testing.assert_frame_equal(_corridor_cells(again, "andean"), _corridor_cells(first, "andean"))


def _compared_cells(release: Release, table: str) -> pd.Series:
    cells = release.cells
    mine = cells.loc[cells["label"].str.endswith(f":{table}") & ~cells["label"].str.startswith("all:")]
    labels = mine["label"].str.replace("previous ", "", regex=False)
    values = mine["published"].to_numpy(dtype=float, na_value=np.nan)
    return pd.Series(values, index=pd.MultiIndex.from_arrays([labels, mine["key"]]))


def _disagreements(built: dict[str, Release]) -> int:
    """Cells of 2022 whose value in the 2022 release and in the 2023 release's comparison differ."""
    out = 0
    for own, previous in (("people", "previous people"), ("segments", "previous segments")):
        first, again = _compared_cells(built["2022"], own), _compared_cells(built["2023"], previous)
        both = first.index.intersection(again.index)
        assert len(both) >= 10 and first[both].notna().sum() >= 5
        a, b = first[both], again[both]
        out += int((~((a == b) | (a.isna() & b.isna()))).sum())
    return out


@pytest.fixture(scope="module")
def two_years(tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A sample (seed 31, 1,200 people) on which the two protections disagree (measured: the 2022 release
    withholds Huaquillas → Lima on the Andean corridor, the 2023 comparison shows 20). Exported without
    offices of registration: no member's subtraction is protected (``test_release_contributors``), as
    when this was measured."""
    cases, events = _validated_sample(tmp_path_factory.mktemp("years"), seed=31, people=1200)
    return cases.drop(columns=["place_registered", "place_registered_id"]), events


def test_two_protections_of_one_period_disagree_without_the_ledger(
    two_years: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    """The attack's premise: a year's brief and the next year's comparison, protected each on its own,
    show a cell one of them withholds (two sets of bounds on the same people)."""
    cases, events = two_years
    built = {y: Release.build(cases, events, period=y, dataset="years") for y in ("2022", "2023")}
    assert _disagreements(built) >= 1


@pytest.mark.parametrize("order", ["earlier first", "later first, the earlier under another name"])
def test_a_period_and_the_next_periods_comparison_show_one_value_per_cell(
    two_years: tuple[pd.DataFrame, pd.DataFrame], tmp_path: Path, order: str
) -> None:
    """A year's brief shows its corridor totals and segments; the next year's brief shows the same
    people again as "the previous period". With the ledger, whichever is published first fixes the
    values for the other, in either order; and under another data set name (a copy of the export, the
    attack of 2026-12-07 F12): the later year's release recorded the earlier year's people it compares
    with, so the copy is recognised as the same data set."""
    cases, events = two_years
    ledger = Ledger(tmp_path / "ledger.sqlite")
    if order == "earlier first":
        built = {y: Release.build(cases, events, period=y, dataset="years", ledger=ledger)
                 for y in ("2022", "2023")}
    else:
        built = {"2023": Release.build(cases, events, period="2023", dataset="years", ledger=ledger)}
        built["2022"] = Release.build(cases, events, period="2022", dataset="years copy", ledger=ledger)
        assert built["2022"].dataset == "years"
    assert _disagreements(built) == 0


def _patterns_by_label(release: Release) -> pd.DataFrame:
    table = release.layers.patterns
    return (
        table[["cluster", "label_en", "place_id", "n_people"]]
        .sort_values(["cluster", "place_id"])
        .reset_index(drop=True)
    )


def test_a_republication_without_one_person_draws_the_recorded_patterns_not_a_refit(tmp_path: Path) -> None:
    """Withdrawing one person's consent and refitting the pattern model numbers the same patterns
    differently on this sample (seed 5, 1,500 people, CASE-0018): the ledger's values for pattern 1
    were then printed beside another pattern's label. A republication draws the period's recorded
    model (who is in which pattern, its labels and places) and prints the same table."""
    from routes.patterns import PatternClusters

    cases, events = _validated_sample(tmp_path, seed=5, people=1500)
    # one programme's export without its offices: pairs of offices pooling their records would leave
    # no pattern published here (tests/test_release_contributors.py)
    cases = cases.drop(columns=["place_registered", "place_registered_id"])
    ledger = Ledger(tmp_path / "ledger.sqlite")
    model = PatternClusters(random_state=0)
    first = Release.build(cases, events, patterns=model, corridors=(), dataset="five", ledger=ledger)
    withdrawn = cases.assign(
        consent_reporting=cases["consent_reporting"].mask(cases["case_id"].eq("CASE-0018"), "no")
    )
    refit = Release.build(withdrawn, events, patterns=model, corridors=())
    renumbered = _patterns_by_label(refit).drop_duplicates("cluster").set_index("cluster")["label_en"]
    before = _patterns_by_label(first).drop_duplicates("cluster").set_index("cluster")["label_en"]
    assert not renumbered.equals(before)  # the attack's premise: the refit numbers patterns otherwise
    again = Release.build(withdrawn, events, patterns=model, corridors=(), dataset="five", ledger=ledger)
    pd.testing.assert_frame_equal(_patterns_by_label(again), _patterns_by_label(first))


def test_a_period_published_again_after_its_corridor_fell_under_k_builds_its_brief(tmp_path: Path) -> None:
    """Finding F6 on the default mode: a corridor's total published, then its people fall under k by
    fewer than k people. Republished or revised, the ledger keeps the published total; the brief must
    then have its sections, counted in the first pass although the corridor's exact total is under k
    (counted only when it reached k, they were asked for by the second pass alone: a crash)."""
    from routes.publish.findings import CASE_TYPES
    from routes.schema import GROUPS

    cases, events = _validated_sample(tmp_path, seed=7, people=300)
    ledger = Ledger(tmp_path / "ledger.sqlite")
    options = {"period": "2023Q4", "corridors": ("andean",), "dataset": "small", "hexagons": False}
    first = Release.build(cases, events, ledger=ledger, **options)
    k = first.policy.k
    quarter = pd.to_datetime(cases["date_registered"]).dt.to_period("Q").eq(pd.Period("2023Q4"))
    now = set(cases.loc[quarter & cases["consent_reporting"].eq("yes"), "case_id"].astype(str))
    network = RouteNetwork.from_events(events, cases=cases)
    andean = sorted(set(corridor_people(network, "andean").astype(str)) & now)
    assert k <= len(andean) < 2 * k - 2 and first.findings["andean"].publishable
    drop = set(andean[: len(andean) - (k - 2)])  # k - 2 people left: fewer than k changed
    kept_cases = cases.loc[~cases["case_id"].astype(str).isin(drop)]
    kept_events = events.loc[~events["case_id"].astype(str).isin(drop)]
    for revise in (True, False):
        again = Release.build(kept_cases, kept_events, ledger=ledger, revise=revise, **options)
        brief = again.findings["andean"]
        assert brief.people == first.findings["andean"].people, revise  # the ledger's value
        assert brief.case_types.keys() == set(CASE_TYPES) and brief.groups.keys() == set(GROUPS), revise
        assert again.audit.passed and again._store is not None and first._store is not None
        assert again._store.tables == first._store.tables
