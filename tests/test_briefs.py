"""Route briefs: printed pages that fit, carry the headline figures, never a count under k, es and en."""

from __future__ import annotations

import itertools
import re
import subprocess
from collections import Counter
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from routes._i18n import CORRIDOR_IN
from routes.briefs import (
    ACTION_RULES,
    CORRIDOR_LABELS,
    LINES_OF_WORK,
    Brief,
    BriefError,
    BriefFindings,
    EmergingFigure,
    GapFigure,
    PatternFigure,
    PlaceFigure,
    ReportingPeriod,
    corridor_map_svg,
    route_brief,
)
from routes.briefs._render import _actions  # private helpers, tested where they live
from routes.briefs._wording import _wording
from routes.network import RouteNetwork
from routes.places import CORRIDORS, load_gazetteer
from routes.privacy import DisclosurePolicy, check_publishable

K = 11
CORRIDOR, PERIOD = "andean", "2023"
PEOPLE_COUNT = {
    "en": re.compile(r"(fewer than\s+)?(?<![\d.,])(\d{1,3}(?:,\d{3})*)\s+people\b", re.I),
    "es": re.compile(r"(menos de\s+)?(?<![\d.,])(\d{1,3}(?:\.\d{3})*)\s+personas\b", re.I),
}
NUMBER = {
    "en": re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"),
    "es": re.compile(r"\d{1,3}(?:\.\d{3})+(?:,\d+)?|\d+(?:,\d+)?"),
}


def numbers(text: str, lang: str) -> Counter[float]:
    """Every number of ``text`` read in its language's notation (1,970.5 / 1.970,5)."""
    found = NUMBER[lang].findall(text)
    if lang == "en":
        return Counter(float(n.replace(",", "")) for n in found)
    return Counter(float(n.replace(".", "").replace(",", ".")) for n in found)


def people_counts(text: str, lang: str) -> list[tuple[bool, int]]:
    """(written as "fewer than", value) for every count of people in the text."""
    return [(bool(fewer), int(re.sub(r"[.,]", "", n))) for fewer, n in PEOPLE_COUNT[lang].findall(text)]


def pdf_text(path: Path) -> str:
    text = subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True, text=True).stdout
    return text.replace("\u00a0", " ")


def pdf_pages(path: Path) -> int:
    info = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True, text=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))


# ------------------------------------------------------------------------------------------------
# The sample, its network and patterns, and the briefs made from them (built once)
# ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def analysis(tmp_path_factory: pytest.TempPathFactory) -> dict:
    from routes.io import read_cases, read_services
    from routes.network import RouteNetwork
    from routes.patterns import PatternClusters
    from routes.sample import write_sample

    paths = write_sample(tmp_path_factory.mktemp("sample"))
    cases, events = read_cases(paths["cases"], events=paths["events"])
    services = read_services(paths["services"])
    network = RouteNetwork.from_events(events, cases=cases)
    patterns = PatternClusters(random_state=0, n_bootstrap=0).fit(cases)
    return {"cases": cases, "services": services, "network": network, "patterns": patterns}


def make_brief(analysis: dict, *, lang: str, corridor: str = CORRIDOR, period: str = PERIOD) -> Brief:
    from routes.sample import SAMPLE_TARGET

    return route_brief(
        analysis["network"],
        analysis["patterns"],
        cases=analysis["cases"],
        corridor=corridor,
        period=period,
        target=SAMPLE_TARGET,
        services=analysis["services"],
        lang=lang,
        source="synthetic sample data",
    )


@pytest.fixture(scope="module")
def briefs(analysis: dict) -> dict[str, Brief]:
    return {lang: make_brief(analysis, lang=lang) for lang in ("es", "en")}


@pytest.fixture(scope="module")
def pdfs(briefs: dict[str, Brief], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("pdf")
    return {
        "es": briefs["es"].save(out / "andean_es.pdf"),
        "en": briefs["en"].save(out / "andean_en.pdf"),
        "es-letter": briefs["es"].save(out / "andean_es_letter.pdf", paper="Letter"),
    }


def expected_headline(analysis: dict) -> int:
    """People of the Andean corridor registered in 2023 who consented, counted by hand and rounded to 5."""
    network, cases = analysis["network"], analysis["cases"]
    tagged = {pid for pid, tags in network.places["corridors"].items() if CORRIDOR in tags}
    members = set()
    for case_id, steps in network.journeys.groupby("case_id", observed=True):
        places = set(steps["place_id"].astype(str))
        if sum(p in tagged for p in places) / len(places) > 0.5:
            members.add(str(case_id))
    chosen = cases[
        cases["case_id"].isin(members)
        & (cases["date_registered"].dt.year == 2023)
        & cases["consent_reporting"].eq("yes")
    ]
    n = chosen["case_id"].nunique()
    return max(int((n + 2) // 5 * 5), 15)


# ------------------------------------------------------------------------------------------------
# The printed brief
# ------------------------------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.parametrize("which", ["es", "en", "es-letter"])
def test_pdf_fits_one_to_three_pages(pdfs: dict[str, Path], which: str) -> None:
    assert pdf_pages(pdfs[which]) in (1, 2, 3)


@pytest.mark.browser
def test_letter_paper_is_letter_sized(pdfs: dict[str, Path]) -> None:
    info = subprocess.run(
        ["pdfinfo", str(pdfs["es-letter"])], check=True, capture_output=True, text=True
    ).stdout
    assert "612 x 792 pts (letter)" in info


@pytest.mark.browser
def test_pdf_text_carries_the_headline_figures(pdfs: dict[str, Path], analysis: dict) -> None:
    """A corridor's people, never a share of the whole sub-sector's target (a corridor is not the target)."""
    people = expected_headline(analysis)
    es, en = pdf_text(pdfs["es"]), pdf_text(pdfs["en"])
    assert f"se brindó asistencia a {people:,} personas en el corredor andino".replace(
        ",", "."
    ) in es.replace("\n", " ")
    assert f"{people:,} people were assisted on the Andean corridor in 2023" in en.replace("\n", " ")
    assert "15,264" not in en and "15.264" not in es and "set out to reach" not in en


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["es", "en"])
def test_pdf_text_states_no_count_under_k(pdfs: dict[str, Path], lang: str) -> None:
    counts = people_counts(pdf_text(pdfs[lang]), lang)
    assert len(counts) > 40  # every count is written with its unit, so the scan sees them all
    assert all(n >= K for _, n in counts)
    # "fewer than 11 people" once, in the notes' statement of the rule: a withheld count is "not published"
    assert [n for fewer, n in counts if fewer] == [K]
    # public counts are rounded to 5; the target (15,264) is a plan, not a count of people assisted
    assert all(n % 5 == 0 for fewer, n in counts if not fewer and n != 15264)


@pytest.mark.browser
def test_spanish_and_english_briefs_carry_the_same_numbers(pdfs: dict[str, Path]) -> None:
    assert numbers(pdf_text(pdfs["es"]), "es") == numbers(pdf_text(pdfs["en"]), "en")


@pytest.mark.browser
def test_printed_pages_are_not_blank(pdfs: dict[str, Path], tmp_path: Path) -> None:
    from matplotlib.image import imread

    subprocess.run(["pdftoppm", "-r", "50", "-png", str(pdfs["es"]), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) == pdf_pages(pdfs["es"])
    for page in pages:
        pixels = imread(page)[..., :3].mean(axis=2)
        assert pixels.var() > 0.005, page.name
        assert (pixels < 0.5).mean() > 0.005, page.name  # some ink, not only a frame


@pytest.mark.browser
def test_same_inputs_give_the_same_html_and_pdf_bytes(
    analysis: dict, briefs: dict[str, Brief], pdfs: dict[str, Path], tmp_path: Path
) -> None:
    """A published PDF is verified by printing it again: its dates are the period's last day."""
    again = make_brief(analysis, lang="es")
    assert again.html == briefs["es"].html
    printed = again.save(tmp_path / "again.pdf").read_bytes()
    assert printed == pdfs["es"].read_bytes()
    assert b"/CreationDate (D:20231231000000+00'00')" in printed


# ------------------------------------------------------------------------------------------------
# The page
# ------------------------------------------------------------------------------------------------


def test_page_is_self_contained_with_csp_and_caveat(briefs: dict[str, Brief]) -> None:
    for lang, phrase in (
        ("es", "casos reportados, no prevalencia"),
        ("en", "reported cases, not prevalence"),
    ):
        page = briefs[lang].html
        assert phrase in page
        assert '<meta http-equiv="Content-Security-Policy"' in page
        assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", page)
        assert "url(" not in page and "<script" not in page
        check_publishable(page, policy=DisclosurePolicy.public(), name="brief", kind="html")


def test_user_derived_text_is_escaped(analysis: dict) -> None:
    import copy

    hostile = '<img src=x onerror="alert(1)">'
    patterns = copy.deepcopy(analysis["patterns"])
    patterns.profiles_.table["label_es"] = hostile
    page = route_brief(
        analysis["network"], patterns, cases=analysis["cases"], corridor=CORRIDOR, period=PERIOD, lang="es"
    ).html
    assert hostile not in page
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in page


@pytest.mark.parametrize("lang", ["es", "en"])
def test_corridor_with_no_one_counted_says_so_instead_of_numbers(analysis: dict, lang: str) -> None:
    brief = make_brief(analysis, lang=lang, corridor="pacific", period="2023-03")
    assert not brief.findings.publishable and brief.findings.people == 0
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", brief.html).replace("\u00a0", " "))
    on = CORRIDOR_IN.text("pacific", lang)
    assert (
        (f"No one who consented to reporting was assisted {on} in March 2023" in text)
        if lang == "en"
        else (f"En marzo de 2023 no se asistió {on} a ninguna persona que consintiera el reporte" in text)
    )
    counts = people_counts(text, lang)
    assert counts == [(True, K)]  # only the notes' rule ("counts of fewer than 11 people ... are withheld")
    assert "<img" not in brief.html and "<table" not in brief.html


@pytest.mark.parametrize("lang", ["es", "en"])
def test_a_withheld_total_is_said_not_published_without_a_number_or_a_reason(lang: str) -> None:
    said = " ".join(_wording(lang, K).too_few(findings(people=None)))
    assert said == {
        "en": "The number of people assisted on the Andean corridor in 2023 is not published. So that no one "
              "can be recognised, this brief gives no numbers, map or profiles for this corridor and period.",
        "es": "No se publica el número de personas asistidas en el corredor andino en 2023. Para que nadie "
              "pueda ser reconocido, este informe no presenta números, mapa ni perfiles para este corredor y "
              "periodo.",
    }[lang]


def test_repr_html_isolates_the_page_in_an_iframe(briefs: dict[str, Brief]) -> None:
    shown = briefs["en"]._repr_html_()
    assert shown.startswith("<iframe srcdoc=") and "<style" not in shown


def test_save_refuses_other_formats(briefs: dict[str, Brief], tmp_path: Path) -> None:
    with pytest.raises(BriefError, match=r"expected a \.html or \.pdf"):
        briefs["en"].save(tmp_path / "brief.docx")
    saved = briefs["en"].save(tmp_path / "brief.html")
    assert saved.read_text(encoding="utf-8") == briefs["en"].html


def test_unknown_corridor_and_patterns_without_cases_are_refused(analysis: dict) -> None:
    with pytest.raises(BriefError, match=r"unknown corridor 'andes'"):
        route_brief(analysis["network"], corridor="andes")
    with pytest.raises(BriefError, match="without the cases"):
        route_brief(analysis["network"], analysis["patterns"], corridor=CORRIDOR)


# ------------------------------------------------------------------------------------------------
# Periods, wording, rules and the map, on hand-made inputs
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "first", "last", "previous", "es", "en"),
    [
        ("2022", "2022-01", "2022-12", ("2021-01", "2021-12"), "2022", "2022"),
        ("2023Q2", "2023-04", "2023-06", ("2023-01", "2023-03"), "abril–junio de 2023", "April–June 2023"),
        ("2023-03", "2023-03", "2023-03", ("2023-02", "2023-02"), "marzo de 2023", "March 2023"),
        (
            ("2022-07", "2023-06"),
            "2022-07",
            "2023-06",
            ("2021-07", "2022-06"),
            "julio de 2022–junio de 2023",
            "July 2022–June 2023",
        ),
    ],
)
def test_reporting_periods_parse_compare_and_read(value, first, last, previous, es, en) -> None:
    period = ReportingPeriod.parse(value)
    assert (str(period.first), str(period.last)) == (first, last)
    assert (str(period.previous.first), str(period.previous.last)) == previous
    assert period.label("es") == es and period.label("en") == en


def test_bad_period_is_refused() -> None:
    with pytest.raises(BriefError, match="not a period"):
        ReportingPeriod.parse("last year")


@given(st.one_of(st.none(), st.integers(min_value=K, max_value=10_000_000)))
def test_written_counts_are_never_under_k(count: int | None) -> None:
    for wording, lang in ((_wording("es", K), "es"), (_wording("en", K), "en")):
        written = people_counts(wording.people(count), lang)
        assert written == ([] if count is None else [(False, count)])  # withheld: "not published", no number


def test_counts_and_shares_follow_each_language() -> None:
    es, en = _wording("es", K), _wording("en", K)
    assert es.people(1970) == "1.970\u00a0personas" and en.people(1970) == "1,970\u00a0people"
    assert es.people(None) == "no publicado" and en.people(None) == "not published"
    assert es.people_phrase(None) == "un número no publicado de personas"
    assert en.people_phrase(None) == "an unpublished number of people"
    # shares of rounded counts to whole per cent; of exact ones (rounding 1, no noise) to a decimal
    assert es.percent(1969 / 15264) == "13\u00a0%" and en.percent(1969 / 15264) == "13%"
    exact_es, exact_en = _wording("es", K, exact=True), _wording("en", K, exact=True)
    assert exact_es.percent(1969 / 15264) == "12,9\u00a0%" and exact_en.percent(1969 / 15264) == "12.9%"
    assert es.join(["Cúcuta", "Ipiales", "Tulcán"]) == "Cúcuta, Ipiales y Tulcán"


@pytest.mark.parametrize("lang", ["es", "en"])
def test_a_share_of_rounded_counts_is_whole_and_never_all_or_none(lang: str) -> None:
    """170 published of 170 may be 170 of 171: "all or nearly all", not 100 %; 15 of 4,000 is not 0 %.
    Exact counts (no rounding, no noise) keep their decimal and their 100 %."""
    rounded, exact = _wording(lang, K), _wording(lang, K, exact=True)
    nearly_all = {"en": ("all or nearly all", "all or nearly all of"),
                  "es": ("todas o casi todas", "todas o casi todas")}[lang]
    assert (rounded.share(170, 170), rounded.share(170, 170, of=True)) == nearly_all
    assert (rounded.share(1000, 1004), rounded.share(995, 1000, of=True)) == nearly_all
    assert rounded.share(15, 4000) == {"en": "less than 1%", "es": "menos del 1\u00a0%"}[lang]
    assert rounded.share(50, 95, of=True) == {"en": "53% of", "es": "el 53\u00a0% de"}[lang]
    assert rounded.share(0, 95) == rounded.percent(0.0)  # a published 0 is exact
    assert exact.share(170, 170) == {"en": "100.0%", "es": "100,0\u00a0%"}[lang]
    assert exact.share(170, 171) == {"en": "99.4%", "es": "99,4\u00a0%"}[lang]


@pytest.mark.parametrize("lang", ["es", "en"])
def test_a_new_segment_grows_from_no_one_and_a_withheld_count_is_not_published(lang: str) -> None:
    w = _wording(lang, K)
    grown = [EmergingFigure("Cúcuta", "Bogotá", 0, 20), EmergingFigure("Ipiales", "Tulcán", 15, 35)]
    text = w.emerging(grown, ReportingPeriod.parse("2022"))
    assert text == {
        "en": "Segments growing against 2022: Cúcuta → Bogotá (from no one to 20\u00a0people) and "
              "Ipiales → Tulcán (from 15\u00a0people to 35\u00a0people).",
        "es": "Tramos que crecen frente a 2022: Cúcuta → Bogotá (de ninguna persona a 20\u00a0personas) y "
              "Ipiales → Tulcán (de 15\u00a0personas a 35\u00a0personas).",
    }[lang]
    f = findings(previous_people=None, case_types={"trafficking": 120, "smuggling": None, "both": 20},
                 groups={"lgbtiq": None, "children": None})
    said = " ".join([w.change(f), w.case_types(f), w.withheld_groups(["lgbtiq", "children"])])
    assert not re.search(r"fewer than|menos de|too few|muy pocas", said)
    assert said == {
        "en": "The number of people assisted in 2022 is not published, so no comparison is given. By case "
              "type, 120\u00a0people were in trafficking cases, an unpublished number of people in migrant "
              "smuggling cases and 20\u00a0people in cases of both. Figures for LGBTIQ+ people and children "
              "and adolescents are not published.",
        "es": "No se publica el número de personas asistidas en 2022, por lo que no se presenta una "
              "comparación. Por tipo de caso, la trata de personas suma 120\u00a0personas; el tráfico de "
              "migrantes, un número no publicado de personas; y los casos de ambos delitos, "
              "20\u00a0personas. Las cifras de personas LGBTIQ+ y niñas, niños y adolescentes no se "
              "publican.",
    }[lang]


def findings(**changes) -> BriefFindings:
    """Hand-made findings of 200 people on the Andean corridor in 2023 (175 in 2022)."""
    empty = gpd.GeoDataFrame(geometry=[], crs="EPSG:4326")
    base = dict(
        corridor="andean",
        period=ReportingPeriod.parse("2023"),
        compare=True,
        k=K,
        people=200,
        previous_people=175,
        target=None,
        case_types={"trafficking": 120, "smuggling": 60, "both": 20},
        has_cases=True,
        groups={
            "women_head_of_household": 30,
            "informal_sector": 40,
            "lgbtiq": None,
            "young_men_informal": 15,
            "children": None,
            "double_affectation": 15,
        },
        patterns=(PatternFigure("false job offer", "oferta laboral falsa", 40),),
        segments=(),
        corridor_rate=10.0,
        risk_places=(),
        chokepoints=(),
        routes=(),
        emerging=(),
        assistance={},
        assisted=None,
        referrals={},
        referred=100,
        referrals_completed=60,
        gaps=(),
        gap_radius_km=25,
        has_services=True,
        withheld=0,
        map_segments=empty,
        map_places=empty,
    )
    return BriefFindings(**{**base, **changes})


def fired(f: BriefFindings) -> set[str]:
    return {rule.code for rule in ACTION_RULES if rule.evidence(f) is not None}


def test_no_rule_fires_on_unremarkable_findings() -> None:
    # 14 % more people, 60 % of referrals completed, no gap, groups under a quarter, no place named
    assert fired(findings()) == set()


@pytest.mark.parametrize(
    ("changes", "rule"),
    [
        ({"gaps": (GapFigure("Necoclí", ("legal",), 60),)}, "legal_gap"),
        ({"gaps": (GapFigure("Tibú", ("shelter",), 25),)}, "specialised_gap"),
        ({"referrals_completed": 45}, "referrals_unfinished"),
        ({"groups": {"informal_sector": 50}}, "livelihoods"),
        ({"risk_places": (PlaceFigure("Tibú", 20, "recruitment"),)}, "recruitment_diagnostic"),
        ({"risk_places": (PlaceFigure("Necoclí", 20, "sexual_abuse"),)}, "sexual_abuse"),
        ({"previous_people": 260}, "cases_fell"),
        ({"previous_people": 160}, "cases_rose"),
        ({"groups": {"double_affectation": 20}}, "double_affectation"),
        ({"groups": {"children": 15}}, "children"),
        ({"patterns": (PatternFigure("a", "a", 50),)}, "dominant_pattern"),
        ({"chokepoints": (PlaceFigure("Cúcuta", 150),)}, "chokepoints"),
        ({"emerging": (EmergingFigure("Cúcuta", "Bogotá", 15, 35),)}, "emerging_routes"),
    ],
)
def test_each_rule_fires_on_its_condition(changes: dict, rule: str) -> None:
    assert fired(findings(**changes)) == {rule}


def test_withheld_numbers_fire_no_rule() -> None:
    f = findings(
        gaps=(GapFigure("Necoclí", ("legal",), None),),
        previous_people=None,
        chokepoints=(PlaceFigure("Cúcuta", None),),
        groups={"children": None},
        emerging=(EmergingFigure("Cúcuta", "Bogotá", None, 50),),  # no growth from an unknown base
    )
    assert fired(f) == set()


def test_every_line_of_work_has_a_rule_and_rules_read_in_both_languages() -> None:
    assert {rule.line_of_work for rule in ACTION_RULES} == set(LINES_OF_WORK)
    f = findings(
        previous_people=260, gaps=(GapFigure("Necoclí", ("legal", "shelter"), 60),), referrals_completed=30
    )
    for wording in (_wording("es", K), _wording("en", K)):
        for rule in ACTION_RULES:
            evidence = rule.evidence(f)
            if evidence is not None:
                action, because = (wording.fill(t, evidence) for t in rule.texts(wording.lang))
                assert action[0].isupper() and action.endswith(".") and "{" not in action + because
    en = _wording("en", K)
    legal = next(r for r in ACTION_RULES if r.code == "legal_gap")
    assert (
        en.fill(legal.texts("en")[1], legal.evidence(f))
        == "No legal service is registered within 25 km of Necoclí."
    )
    fell = next(r for r in ACTION_RULES if r.code == "cases_fell")
    assert (
        _wording("es", K).fill(fell.texts("es")[1], fell.evidence(f))
        == "Las personas asistidas bajaron un 23\u00a0% frente a 2022."  # rounded counts: whole per cent
    )


PLACE_COUNTRIES = {"Necoclí": "COL", "Tapón del Darién": "COL", "Bajo Chiquito": "PAN", "Tibú": "COL"}


def darien_findings() -> BriefFindings:
    return findings(
        place_countries=PLACE_COUNTRIES,
        risk_places=(
            PlaceFigure("Bajo Chiquito", 30, "sexual_abuse"),
            PlaceFigure("Necoclí", 20, "sexual_abuse"),
            PlaceFigure("Bajo Chiquito", 25, "recruitment"),
        ),
        gaps=(
            GapFigure("Tapón del Darién → Bajo Chiquito", ("legal",), 40),
            GapFigure("Bajo Chiquito", ("legal", "shelter"), 30),
        ),
        groups={"children": 15},
    )


@pytest.mark.parametrize("wording", [_wording("en", K), _wording("es", K)], ids=["en", "es"])
def test_every_action_names_where_who_priority_and_when(wording) -> None:
    rows = _actions(darien_findings(), wording)
    assert rows
    for row in rows:
        assert all(row[key].strip() for key in ("action", "where", "line", "who", "priority", "when"))
        assert "{" not in row["action"] + row["because"]
    priorities = [row["priority"] for row in rows]
    high = wording.pick(("High", "Alta"))
    assert priorities == sorted(priorities, key=lambda p: p != high)  # high priority first
    children = next(row for row in rows if "NNA" in row["action"] or "child" in row["action"])
    assert "ICBF" in children["who"] and children["when"] == wording.pick(("At once", "De inmediato"))


def test_places_abroad_become_one_cross_border_action_per_country() -> None:
    rows = _actions(darien_findings(), _wording("en", K))
    abroad = [row for row in rows if row["where"] == "Panama"]
    assert len(abroad) == 1
    assert "Bajo Chiquito" in abroad[0]["action"] and "Panama" in abroad[0]["action"]
    assert abroad[0]["who"] == "Sub-sector coordination, with Cancillería"
    assert "Sexual abuse is reported in Bajo Chiquito." in abroad[0]["because"]
    assert "Recruitment is reported around Bajo Chiquito." in abroad[0]["because"]
    home = [row for row in rows if row["where"] == "Colombia"]
    assert not any("Bajo Chiquito" in row["action"] and "→" not in row["action"] for row in home)
    # a segment with one end at home stays a domestic action
    legal = next(row for row in home if "legal advice" in row["action"])
    assert "Tapón del Darién → Bajo Chiquito" in legal["action"]
    assert "Fiscalía" in legal["who"]


def test_the_sub_sectors_country_decides_what_is_cross_border() -> None:
    rows = _actions(darien_findings(), _wording("es", K), country="PAN")
    to_colombia = [row for row in rows if row["where"] == "Colombia"]
    assert len(to_colombia) == 1 and "Necoclí" in to_colombia[0]["action"]
    assert to_colombia[0]["who"] == "Coordinación del subsector, con el Ministerio de Relaciones Exteriores"
    # no Colombian institution is named for a Panamanian sub-sector
    assert not any("ICBF" in row["who"] or "Migración Colombia" in row["who"] for row in rows)


def test_country_option_takes_codes_and_names_and_refuses_others() -> None:
    from routes.errors import ParameterError
    from routes.places import country_code

    assert {country_code(c) for c in ("CO", "col", "Colombia")} == {"COL"}
    assert country_code("Panama") == "PAN"
    with pytest.raises(ParameterError, match="Atlantis"):
        country_code("Atlantis")


def test_corridor_labels_name_the_main_corridors() -> None:
    assert CORRIDOR_LABELS["andean"] == ("Andean corridor", "Corredor andino")
    assert CORRIDOR_LABELS["caribbean_darien"] == ("Caribbean–Darién corridor", "Corredor Caribe–Darién")
    assert CORRIDOR_LABELS["brazil"] == ("Brazil route", "Ruta a Brasil")


def test_every_gazetteer_corridor_has_a_title_and_a_phrase_in_both_languages() -> None:
    expected = [*CORRIDORS, "all"]
    assert list(CORRIDOR_LABELS) == expected
    assert list(CORRIDOR_IN.texts) == expected


def test_static_map_is_stable_svg_on_gazetteer_places() -> None:
    gaz = load_gazetteer().places
    ids = ["co-trochas-villa-del-rosario", "co-cucuta", "co-bogota", "co-puente-rumichaca", "ec-quito"]
    places = gaz.loc[ids, ["name", "kind", "geometry"]].copy()
    places["chokepoint"] = [False, True, False, True, False]
    places["n_people"] = [40.0, 120.0, 95.0, 60.0, 50.0]
    from shapely import LineString

    pairs = list(itertools.pairwise(ids))
    segments = gpd.GeoDataFrame(
        {"n_people": [40.0, 95.0, 60.0, 50.0], "risk": ["higher", "similar", "lower", "unknown"]},
        geometry=[LineString([gaz.geometry[u], gaz.geometry[v]]) for u, v in pairs],
        crs="EPSG:4326",
    )
    first = corridor_map_svg(segments, places, lang="es", smallest=15)
    assert first == corridor_map_svg(segments, places, lang="es", smallest=15)
    assert first.startswith("<svg") and "dc:date" not in first
    assert "COLOMBIA" in first and "punto de paso obligado" in first
    assert re.findall(r">(Cúcuta|Bogotá|Quito)</text>", first)  # place names are texts, not paths
    # line-width samples: the largest segment (95) rounded down to 50; 95 / 8 rounds to 10, under k, dropped
    assert re.findall(r">(\d+) personas<", first) == ["50"]
    dashes = set(re.findall(r"stroke-dasharray: ([\d.,\s]+)", first))
    assert len(dashes) >= 3  # risk classes differ by dash pattern, not only by colour
    assert np.isfinite(places.geometry.x).all()


def test_findings_keep_shares_of_published_counts_only() -> None:
    f = findings()
    assert f.share(50) == 0.25 and f.share(None) is None
    assert f.change == pytest.approx(200 / 175 - 1)
    assert findings(previous_people=None).change is None and findings(compare=False).change is None
    assert pd.isna(pd.NA) and findings(people=None).publishable is False


@pytest.mark.parametrize("lang", ["es", "en"])
def test_a_brief_through_a_town_of_the_geonames_fallback_credits_geonames(lang: str) -> None:
    """San Pedro Sula comes from the GeoNames fallback (CC BY 4.0), not the curated route places: a
    brief that names it credits GeoNames in its notes, as the map legend does; one of curated places
    only does not."""
    gazetteer = load_gazetteer()
    town = str(gazetteer.resolve(["San Pedro Sula"])[0])
    assert town.startswith("geonames-")
    people = [f"p{i:02d}" for i in range(30)]
    cases = pd.DataFrame({"case_id": people, "consent_reporting": "yes", "case_type": "smuggling",
                          "date_registered": pd.Timestamp("2023-03-01")})
    credit = {"es": "Lugares fuera del nomenclátor de rutas: GeoNames (CC BY 4.0).",
              "en": "Places beyond the route gazetteer: GeoNames (CC BY 4.0)."}[lang]
    pages = {}
    for second in (town, "co-bogota"):
        events = pd.DataFrame({"case_id": np.repeat(people, 2), "seq": [1, 2] * len(people),
                               "stage": ["recruitment", "transit"] * len(people),
                               "place_id": ["co-cucuta", second] * len(people),
                               "date": pd.Timestamp("2023-03-01")})
        network = RouteNetwork.from_events(events, cases=cases, gazetteer=gazetteer)
        pages[second] = route_brief(network, lang=lang).html
    notes = {second: page[page.index('<section class="notes">'):] for second, page in pages.items()}
    assert "San Pedro Sula" in pages[town] and credit in notes[town]
    assert credit not in pages["co-bogota"]
