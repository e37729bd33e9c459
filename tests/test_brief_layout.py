"""The printed briefs of the sample's release as a reader gets them: map labels that never overprint
(measured in chromium), corridor briefs on two A4 pages, Spanish with no English wording or codes."""

from __future__ import annotations

import base64
import re
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import pycountry
import pytest

from routes.briefs import ACTORS, Brief, release_brief
from routes.places import country_names, load_gazetteer

if TYPE_CHECKING:
    from routes.publish import Release

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "sample"

CORRIDORS = ("andean", "caribbean_darien", "brazil")
BRIEFS = [(corridor, lang) for corridor in ("all", *CORRIDORS) for lang in ("es", "en")]
SOURCE = "routes synthetic sample (seed 2022)"
WORD = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*")
# Words the two languages write alike (legitimately in both briefs), beyond place, country and
# institution names: checked by hand against both briefs.
SHARED_WORDS = {"actor", "informal", "irregular", "sexual", "similar", "modus", "operandi", "lgbtiq", "un"}


@pytest.fixture(scope="module")
def demo_release(sample_tables: tuple[pd.DataFrame, pd.DataFrame]) -> Release:
    """The release ``routes demo`` publishes: every corridor, services, patterns, target and 5W figure."""
    from routes.io import read_services
    from routes.patterns import PatternClusters
    from routes.publish import Release
    from routes.sample import SAMPLE_PEOPLE, SAMPLE_TARGET

    cases, events = sample_tables
    return Release.build(cases, events, patterns=PatternClusters(random_state=0),
                         services=read_services(SAMPLE / "services.csv"), corridors=CORRIDORS,
                         target=SAMPLE_TARGET, assisted=SAMPLE_PEOPLE, dataset="sample", source=SOURCE)


@pytest.fixture(scope="module")
def briefs(demo_release: Release) -> dict[tuple[str, str], Brief]:
    return {(corridor, lang): release_brief(demo_release, corridor=corridor, lang=lang)  # type: ignore[arg-type]
            for corridor, lang in BRIEFS}


@pytest.fixture(scope="module")
def pdfs(
    briefs: dict[tuple[str, str], Brief], tmp_path_factory: pytest.TempPathFactory
) -> dict[tuple[str, str], Path]:
    out = tmp_path_factory.mktemp("briefs")
    return {key: brief.save(out / f"brief_{key[0]}_{key[1]}.pdf") for key, brief in briefs.items()}


def pdf_pages(path: Path) -> int:
    info = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True, text=True).stdout
    found = re.search(r"^Pages:\s+(\d+)", info, re.M)
    assert found, info
    return int(found.group(1))


def pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True, text=True).stdout


def text_boxes(loaded: Any) -> list[tuple[str, float, float, float, float]]:
    """Every SVG text of the page with its box as the browser lays it out (left, top, right, bottom)."""
    boxes = loaded.page.evaluate(
        """() => [...document.querySelectorAll('text')].map(t => {
             const r = t.getBoundingClientRect();
             return [t.textContent, r.left, r.top, r.right, r.bottom]; })"""
    )
    return [(str(text), float(x0), float(y0), float(x1), float(y1)) for text, x0, y0, x1, y1 in boxes]


def overlapping(boxes: list[tuple[str, float, float, float, float]]) -> list[tuple[str, str]]:
    """Pairs of boxes that share any area."""
    pairs = []
    for i, (a, ax0, ay0, ax1, ay1) in enumerate(boxes):
        for b, bx0, by0, bx1, by1 in boxes[i + 1:]:
            if min(ax1, bx1) > max(ax0, bx0) and min(ay1, by1) > max(ay0, by0):
                pairs.append((a, b))
    return pairs


# ------------------------------------------------------------------------------------------------
# The corridor map
# ------------------------------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.parametrize(("corridor", "lang"), BRIEFS)
def test_corridor_map_labels_never_overlap_in_chromium(
    briefs: dict[tuple[str, str], Brief], open_offline: Callable[..., Any], tmp_path: Path,
    corridor: str, lang: str,
) -> None:
    """The brief's map (an SVG image) opened in chromium: no two texts (places, countries, legend,
    scale) share any area, and the corridor's busiest chokepoint is named."""
    brief = briefs[(corridor, lang)]
    page = open_offline(brief.save(tmp_path / "brief.html"), wait_for="figure img")
    drawn = page.page.evaluate("() => document.querySelector('figure img').naturalWidth")
    assert drawn > 0 and page.problems == []
    uri = page.page.get_attribute("figure img", "src")
    assert uri and uri.startswith("data:image/svg+xml;base64,")
    svg = tmp_path / "map.svg"
    svg.write_bytes(base64.b64decode(uri.split(",", 1)[1]))
    boxes = text_boxes(open_offline(svg, viewport=(1200, 1200), wait_for="svg"))
    names = [text for text, *_ in boxes]
    legend = {"es": ("punto de paso obligado", "paso oficial"),
              "en": ("chokepoint", "official crossing")}[lang]
    assert set(legend) <= set(names) and any(name.endswith(" km") for name in names)
    assert brief.findings.chokepoints[0].place in names
    assert len(names) >= 12 and all(x1 > x0 and y1 > y0 for _, x0, y0, x1, y1 in boxes)
    assert overlapping(boxes) == []


# ------------------------------------------------------------------------------------------------
# Pages
# ------------------------------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.parametrize(("corridor", "lang"), BRIEFS)
def test_corridor_briefs_fit_two_a4_pages(
    pdfs: dict[tuple[str, str], Path], corridor: str, lang: str
) -> None:
    """A corridor's brief is two A4 pages; the all-corridors one at most three, and a last page is
    never a stray line or two (a page three-quarters empty)."""
    path = pdfs[(corridor, lang)]
    info = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True, text=True).stdout
    assert "pts (A4)" in info
    pages = pdf_pages(path)
    assert pages == 2 if corridor != "all" else pages in (2, 3)
    last = subprocess.run(["pdftotext", "-f", str(pages), "-l", str(pages), "-layout", str(path), "-"],
                          check=True, capture_output=True, text=True).stdout
    assert len([line for line in last.splitlines() if line.strip()]) >= 25


# ------------------------------------------------------------------------------------------------
# Spanish
# ------------------------------------------------------------------------------------------------


def words(text: str) -> set[str]:
    return {w.lower() for w in WORD.findall(text)}


def name_words() -> set[str]:
    """Words that are names, not wording: places, countries (both languages) and institutions."""
    names = set(load_gazetteer().places["name"].astype(str))
    codes = pd.Series([country.alpha_3 for country in pycountry.countries])
    names |= set(country_names(codes, "es")) | set(country_names(codes, "en"))
    for generic, named in ACTORS.values():
        names |= {label for pair in (generic, *named.values()) for label in pair}
    return set().union(*(words(name) for name in names))


@pytest.mark.browser
@pytest.mark.parametrize("corridor", ["all", *CORRIDORS])
def test_spanish_briefs_carry_no_english_wording_and_no_country_codes(
    demo_release: Release, pdfs: dict[tuple[str, str], Path], corridor: str
) -> None:
    """Every word of the Spanish brief that the English brief also writes is a name or a word both
    languages share; no ISO 3166-1 alpha-3 code stands as a word; "Fuente" only in Spanish."""
    def printed(lang: str) -> str:
        text = pdf_text(pdfs[(corridor, lang)]).replace(SOURCE, " ")  # data: the source and the
        for name in (demo_release.release_id, demo_release.dataset):  # release's id and data-set name
            text = re.sub(rf"\b{re.escape(name)}\b", " ", text)
        return text

    spanish, english = printed("es"), printed("en")
    english_only = words(english) - name_words() - SHARED_WORDS
    assert sorted(words(spanish) & english_only) == []
    codes = {c.alpha_3 for c in pycountry.countries}
    assert sorted(set(re.findall(r"\b[A-Z]{3}\b", spanish)) & codes) == []
    assert "Fuente:" in spanish and "Fuente" not in english and "Porque" not in spanish
    assert "(NNA)" in spanish  # the sector's abbreviation, spelt out once
