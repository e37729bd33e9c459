"""Finding 2 through the command line: consent withdrawn by one person, the period republished in the
same working folder (its ledger), for 50 people drawn at random."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from routes.cli import main
from routes.sample import generate_sample

DROPPED = 50
COUNTS = {"places.csv": ["n_people", "n_events", "rate"], "segments.csv": ["n_people", "n_events", "rate"],
          "hexagons.csv": ["n_people"]}


def release(cases: Path, events: Path, out: Path) -> None:
    """``routes release`` in the working folder (its default ledger), exiting 0."""
    log = io.StringIO()
    with contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
        code = main(["release", str(cases), "--events", str(events), "--dataset", "tiny", "-o", str(out)])
    assert code == 0, log.getvalue()


def published(folder: Path, name: str) -> pd.DataFrame:
    table = pd.read_csv(folder / name, dtype=str, keep_default_na=False, skiprows=[1])
    return table.drop(columns=[c for c in table.columns if c == "release_id"])


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("tiny")
    data = generate_sample(seed=11, people=150)
    data.cases.to_csv(folder / "cases.csv", index=False)
    data.events.to_csv(folder / "events.csv", index=False)
    return folder


def test_republishing_without_any_one_of_50_people_changes_no_published_count(
    tiny: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ROUTES_LEDGER")  # the working folder's own ledger, as an analyst would have it
    release(tiny / "cases.csv", tiny / "events.csv", tmp_path / "first")
    assert (tmp_path / "routes-releases.sqlite").exists()
    first = {name: published(tmp_path / "first", name) for name in COUNTS}
    assert len(first["segments.csv"]) and first["segments.csv"]["n_people"].ne("").any()
    cases = pd.read_csv(tiny / "cases.csv", dtype=str, keep_default_na=False)
    consenting = cases.index[cases["consent_reporting"].eq("yes")]
    for drop in np.random.default_rng(3).choice(consenting, size=DROPPED, replace=False):
        cases.drop(index=drop).to_csv(tmp_path / "cases.csv", index=False)
        release(tmp_path / "cases.csv", tiny / "events.csv", tmp_path / "again")
        for name, columns in COUNTS.items():
            again = published(tmp_path / "again", name)
            pd.testing.assert_frame_equal(
                again[columns], first[name][columns], obj=f"{name} without {cases.loc[drop, 'case_id']}"
            )
