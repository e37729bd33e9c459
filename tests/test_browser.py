"""The Chromium that prints PDF briefs is found, not assumed: told, environment, PATH, Playwright's."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from routes._browser import ENVIRONMENT_VARIABLE, BrowserNotFoundError, find_chromium


def _executable(folder: Path, name: str) -> Path:
    path = folder / name
    path.write_text("#!/bin/sh\nexit 0\n", encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def test_an_explicit_path_wins_and_a_wrong_one_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    told = _executable(tmp_path, "my-chrome")
    monkeypatch.setenv(ENVIRONMENT_VARIABLE, "/nowhere/else")
    assert find_chromium(told) == str(told)
    with pytest.raises(BrowserNotFoundError, match="chromium= '/no/such/chromium'"):
        find_chromium("/no/such/chromium")


def test_the_environment_variable_comes_before_the_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    told = _executable(tmp_path, "chrome-from-env")
    monkeypatch.setenv(ENVIRONMENT_VARIABLE, str(told))
    assert find_chromium() == str(told)
    monkeypatch.setenv(ENVIRONMENT_VARIABLE, str(tmp_path / "missing"))
    with pytest.raises(BrowserNotFoundError, match=ENVIRONMENT_VARIABLE):
        find_chromium()


def test_the_usual_command_names_are_searched_on_the_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(ENVIRONMENT_VARIABLE, raising=False)
    found = _executable(tmp_path, "google-chrome-stable")
    monkeypatch.setenv("PATH", str(tmp_path))
    assert find_chromium() == str(found)


def test_no_browser_anywhere_names_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(ENVIRONMENT_VARIABLE, raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty folder: no browser on the PATH
    try:
        path = find_chromium()
    except BrowserNotFoundError as error:
        text = str(error)
        assert "apt-get install chromium" in text and "playwright install chromium" in text
        assert ENVIRONMENT_VARIABLE in text and "HTML briefs need no browser" in text
    else:  # Playwright downloaded its own browser on this machine: that one is used
        assert os.access(path, os.X_OK)


def test_a_pdf_brief_without_a_browser_fails_before_any_work(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    from routes.cli import main

    sample = Path(__file__).resolve().parent.parent / "data" / "sample"
    code = main(["brief", str(sample / "cases.csv"), "--events", str(sample / "events.csv"),
                 "--chromium", "/no/such/chromium", "--ledger", str(tmp_path / "l.sqlite"),
                 "-o", str(tmp_path / "brief.pdf")])
    err = capsys.readouterr().err
    assert code == 2 and "/no/such/chromium" in err and "Traceback" not in err
    assert not (tmp_path / "l.sqlite").exists()  # refused before the release was built
