"""A withheld count is written "not published", never "fewer than k"; no growth from a withheld base; no
100 % from rounded counts (attack F7).

On a small synthetic sample (seed 11, 200 people) whose 2023 release withholds counts for reasons other than
their size (the people assisted of every corridor, withheld to protect the assistance cells: reason
``complement``), withholds earlier counts of segments published this year, and publishes as many people
assisted as people: the release's cells (``Release.cells``, the ledger's confidential rows) say which.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from routes.briefs import Brief, release_brief
from routes.briefs._wording import _wording
from routes.publish import Ledger, Release

SEED, PEOPLE, PERIOD = 11, 200, "2023"
CORRIDORS = ("all", "andean", "caribbean_darien")
LANGS = ("en", "es")
GROWING = r"(?:growing|crecen|en aumento|Más personas recorrieron)[^.]*\."  # sentences and actions
FEWER = {"en": re.compile(r"fewer than\s+11", re.I), "es": re.compile(r"menos de\s+11", re.I)}


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> Release:
    from routes.io import validate
    from routes.sample import write_sample

    folder = tmp_path_factory.mktemp("f7")
    paths = write_sample(folder, seed=SEED, people=PEOPLE)
    report = validate(paths["cases"], events=paths["events"])
    return Release.build(report.cases, report.events, period=PERIOD, corridors=CORRIDORS[1:], dataset="f7",
                         ledger=Ledger(Path(folder) / "ledger.sqlite"))


@pytest.fixture(scope="module")
def briefs(release: Release) -> dict[tuple[str, str], Brief]:
    return {(c, lang): release_brief(release, corridor=c, lang=lang) for c in CORRIDORS for lang in LANGS}


def visible(brief: Brief) -> str:
    """The page's text as a reader sees it, without the notes' statement of the rule (which names k)."""
    text = re.sub(r"<[^>]+>", " ", brief.html).replace("\u00a0", " ").replace("&#39;", "'")
    rule = _wording(brief.lang, 11).say("note_withheld", k="11").replace("\u00a0", " ")
    assert rule in text
    return re.sub(r"\s+", " ", text.replace(rule, " "))


def withheld(release: Release, corridor: str, table: str) -> pd.DataFrame:
    """The withheld cells of ``corridor``'s ``table`` with their reason (confidential: for the test only)."""
    cells = release.cells
    return cells[(cells["label"] == f"{corridor}:{table}") & cells["published"].isna()]


def test_the_sample_withholds_counts_for_reasons_other_than_their_size(release: Release) -> None:
    """The case F7 found: a count withheld to protect another is no count "under k"."""
    assisted = withheld(release, "all", "assisted")
    assert release.findings["all"].assisted is None
    assert len(assisted) and set(assisted["reason"]) != {"below_k"}
    assert (assisted["exact"] >= 11).all()  # so "fewer than 11 people" would be false


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("corridor", CORRIDORS)
def test_a_withheld_count_is_never_written_as_fewer_than_k(
    briefs: dict[tuple[str, str], Brief], corridor: str, lang: str
) -> None:
    text = visible(briefs[corridor, lang])
    assert not FEWER[lang].search(text), FEWER[lang].search(text)
    assert "too few" not in text and "muy pocas" not in text  # no reason is told either


@pytest.mark.parametrize("lang", LANGS)
def test_people_assisted_withheld_is_said_not_published_and_the_most_frequent_published_form_still_named(
    briefs: dict[tuple[str, str], Brief], lang: str
) -> None:
    text = visible(briefs["all", lang])
    said = {
        "en": "The number of people who received assistance is not published; of the forms with a published "
              "count, the most frequent was ",
        "es": "No se publica el número de personas que recibieron asistencia; entre las formas con un conteo "
              "publicado, la más frecuente fue ",
    }
    assert said[lang] in text


def test_no_segment_grows_from_a_withheld_earlier_count(
    release: Release, briefs: dict[tuple[str, str], Brief]
) -> None:
    """A segment published this year whose previous count is withheld is never "growing", in the
    findings, the "where" sentences or the suggested actions, in either language."""
    from routes.places import load_gazetteer

    names = load_gazetteer().places["name"].astype(str)
    unknown_base = 0
    for corridor in CORRIDORS:
        cells = release.cells
        now = cells[(cells["label"] == f"{corridor}:segments") & cells["published"].notna()]
        base = set(withheld(release, corridor, "previous segments")["key"]) & set(now["key"])
        unknown_base += len(base)
        pairs = {tuple(names[end] for end in key.split("|")) for key in base}
        f = release.findings[corridor]
        assert all(e.before is not None for e in f.emerging)
        assert not pairs & {(e.origin, e.destination) for e in f.emerging}
        for lang in LANGS:
            text = visible(briefs[corridor, lang])
            for origin, destination in pairs:
                for growing in re.findall(GROWING, text):
                    assert f"{origin} → {destination}" not in growing
    assert unknown_base >= 2  # the case occurs on this sample (the old code called each one growing)


@pytest.mark.parametrize("lang", LANGS)
def test_a_share_of_two_equal_rounded_counts_is_never_written_as_100_percent(
    release: Release, briefs: dict[tuple[str, str], Brief], lang: str
) -> None:
    equal = [c for c, f in release.findings.items() if f.assisted is not None and f.assisted == f.people]
    assert equal  # the case occurs: as many published people assisted as people
    nearly_all = {"en": " (all or nearly all) received at least one form of assistance",
                  "es": " (todas o casi todas) recibieron al menos una forma de asistencia"}
    for corridor in CORRIDORS:
        text = visible(briefs[corridor, lang])
        assert (nearly_all[lang] in text) == (corridor in equal)
        assert not re.search(r"\(100\s?%\)|100\s?% (?:of|de)\b", text)
        assert not re.search(r"\d[.,]\d\s?%", text)  # rounded counts: whole per cent only


@pytest.fixture(scope="module")
def patterned(tmp_path_factory: pytest.TempPathFactory) -> Release:
    """A release with modus-operandi patterns (seed 11, 400 people) whose Andean brief withholds one."""
    from routes.io import validate
    from routes.patterns import PatternClusters
    from routes.sample import write_sample

    folder = tmp_path_factory.mktemp("f4")
    paths = write_sample(folder, seed=SEED, people=400)
    report = validate(paths["cases"], events=paths["events"])
    return Release.build(report.cases, report.events, period=PERIOD, corridors=("andean",), dataset="f4",
                         patterns=PatternClusters(random_state=0),
                         ledger=Ledger(Path(folder) / "ledger.sqlite"))


#: The ranking sentences of the "how" and "response" sections, as the brief wrote them before attack F4:
#: "the most frequent" of every pattern, form of assistance or referral, said of the published ones.
UNQUALIFIED = {
    "en": re.compile(
        r"The most frequent (?:stable )?modus operandi is|most often (?:to )?|the most frequent form was"
    ),
    "es": re.compile(
        r"La modalidad (?:estable )?más frecuente es|la forma más frecuente fue|\(la más frecuente:"
    ),
}
QUALIFIED = {
    "en": "Among the patterns with a published count, the most frequent is “",
    "es": "Entre las modalidades con un conteo publicado, la más frecuente es «",
}


@pytest.mark.parametrize("lang", LANGS)
def test_the_top_published_pattern_is_the_most_frequent_among_published_ones_only(
    patterned: Release, lang: str
) -> None:
    """F4: a withheld pattern may hold more people than the largest published one (a complement
    withholds large cells), so the brief ranks patterns, forms of assistance and referrals among
    those with a published count, whether or not one is withheld (the wording never tells)."""
    cells = patterned.cells
    patterns = cells[cells["label"] == "andean:patterns"]
    assert patterns["published"].isna().any()  # the case: a pattern of this brief is withheld
    text = visible(release_brief(patterned, corridor="andean", lang=lang))
    assert QUALIFIED[lang] in text
    assert not UNQUALIFIED[lang].search(text), UNQUALIFIED[lang].search(text)
