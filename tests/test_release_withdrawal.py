"""Finding 2 through the command line: consent withdrawn by one person, the period republished in the
same working folder (its ledger), for 50 people drawn at random."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from attacks import cli_release as release
from attacks import published_table as published

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
    release(tiny / "cases.csv", tiny / "events.csv", tmp_path / "first")
    assert (tmp_path / "routes-releases.sqlite").exists()
    first = {path.name: path.read_bytes() for path in sorted((tmp_path / "first").iterdir())}
    assert {"segments.csv", "places.csv", "patterns.csv", "manifest.json"} <= set(first)
    assert published(tmp_path / "first", "segments.csv")["n_people"].ne("").any()
    assert len(published(tmp_path / "first", "patterns.csv"))
    cases = pd.read_csv(tiny / "cases.csv", dtype=str, keep_default_na=False)
    consenting = cases.index[cases["consent_reporting"].eq("yes")]
    for drop in np.random.default_rng(3).choice(consenting, size=DROPPED, replace=False):
        cases.drop(index=drop).to_csv(tmp_path / "cases.csv", index=False)
        release(tmp_path / "cases.csv", tiny / "events.csv", tmp_path / "again")
        again = {path.name: path.read_bytes() for path in sorted((tmp_path / "again").iterdir())}
        changed = [name for name in first if again.get(name) != first[name]]
        assert not changed and set(again) == set(first), (cases.loc[drop, "case_id"], changed)
