"""Every product writer end to end, against an adversary: canaries, small counts, consent, differencing, XSS.

The sample (``data/sample``) is copied with a unique canary planted in every direct-identifier and
free-text cell (``CANARYNAME000123``, ``CANARYDOC...``, ``CANARYPHONE...``, ``CANARYADDR...``,
``CANARYNOTE...``, ``CANARYEVNOTE...`` in a new events ``notes`` column) and every ``case_id``
replaced by ``CANARYCASE000123``. Every writer then runs on it: :func:`routes.maps.route_map` with
:func:`~routes.maps.save_map` (offline and online), :func:`routes.briefs.route_brief` saved as HTML
and PDF (es, en; andean and all corridors) and the command line in-process (``map``, ``brief``,
``demo``, and the working-file commands ``network -o`` and ``patterns -o``). Every byte written is
searched: raw bytes, the text of PDFs (``pdftotext``), and the base64 ``data:`` images of HTML
pages decoded. No canary may appear in a public product; working files may carry the pseudonymous
``case_id`` but never a name, document, phone, address or note.

Small counts, consent, differencing and injection are checked on the same outputs (see each test).
"""

from __future__ import annotations

import base64
import contextlib
import copy
import io
import itertools
import json
import re
import shutil
import subprocess
from collections.abc import Callable
from html import unescape
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from routes.briefs import corridor_people, route_brief
from routes.cli import main
from routes.io import read_cases, read_services, validate
from routes.maps import PublishedLayers, publish_layers, route_map, save_map
from routes.network import RouteNetwork
from routes.patterns import PatternClusters, hex_hotspots
from routes.privacy import DisclosurePolicy
from routes.publish import Release, rounding_interval

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "sample"
POLICY = DisclosurePolicy.public()
K, BASE = POLICY.k, POLICY.rounding
LANGS = ("es", "en")

#: Case column → canary prefix; each cell gets the prefix and its row number on six digits.
PLANTED = {"name": "CANARYNAME", "document_number": "CANARYDOC", "phone": "CANARYPHONE",
           "address": "CANARYADDR", "notes": "CANARYNOTE"}
CASE_ID_PREFIX, EVENT_NOTE_PREFIX = "CANARYCASE", "CANARYEVNOTE"
CANARY = re.compile(r"CANARY[A-Z]*\d*", re.I)
IDENTIFYING_CANARY = re.compile(r"CANARY(?!CASE)[A-Z]*\d*", re.I)

#: Public products, as written under the products folder (library, command line, demo).
MAPS = ["lib/map_offline_es.html", "lib/map_online_en.html", "cli/map_es.html",
        "demo/route_map_es.html", "demo/route_map_en.html"]
DEMO_CORRIDORS = ("all", "andean", "caribbean_darien", "brazil")
BRIEF_HTML = ([f"lib/brief_{corridor}_{lang}.html" for corridor in ("andean", "all") for lang in LANGS]
              + ["cli/brief_caribbean_darien_en.html"]
              + [f"demo/brief_{corridor}_{lang}.html" for corridor in DEMO_CORRIDORS for lang in LANGS])
BRIEF_PDF = ([f"lib/brief_all_{lang}.pdf" for lang in LANGS]
             + [f"demo/brief_{corridor}_{lang}.pdf" for corridor in DEMO_CORRIDORS for lang in LANGS])
PUBLIC = MAPS + BRIEF_HTML + BRIEF_PDF
WORKING = ["work/network.gpkg", "work/clusters.csv"]

#: Every payload of the XSS corpus (research notes §6) in one string: markup, a script end tag, a
#: template-literal substitution, a backtick, a backslash before a backtick and U+2028.
PAYLOAD = ("<img src=x onerror=alert(1)> </script><script>alert(2)</script> ${alert(3)} ` \\` {{7*7}} "
           "\u2028 fin")


def hostile(field: str) -> str:
    """The payload tagged with the field it was put in, so each field's text can be found."""
    return f"{field}: {PAYLOAD}"


# -- reading what was written ---------------------------------------------------------------------


def pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True,
                          text=True).stdout.replace("\u00a0", " ")


def decoded_data_uris(page: str) -> list[str]:
    """The base64 ``data:`` URIs of an HTML page, decoded (images and fonts hide text from a byte search)."""
    blobs = re.findall(r"data:[a-z0-9.+/-]+;base64,([A-Za-z0-9+/=]+)", page)
    return [base64.b64decode(blob).decode("latin-1") for blob in blobs]


def every_reading(path: Path) -> list[str]:
    """Raw bytes of ``path`` (as latin-1, byte for byte), plus its PDF text or its decoded data URIs."""
    raw = path.read_bytes().decode("latin-1")
    if path.suffix == ".pdf":
        return [raw, pdf_text(path)]
    if path.suffix == ".html":
        return [raw, *decoded_data_uris(path.read_text(encoding="utf-8"))]
    return [raw]


class _Text(HTMLParser):
    """Text nodes of an HTML page, scripts and styles left out."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self._skip += tag in ("script", "style")

    def handle_endtag(self, tag: str) -> None:
        self._skip -= tag in ("script", "style")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def visible_text(page: str) -> str:
    parser = _Text()
    parser.feed(page)
    return re.sub(r"\s+", " ", " ".join(parser.parts))


PEOPLE = {
    "en": re.compile(r"(fewer than )?(?<![\d.,])(\d{1,3}(?:,\d{3})*|\d+) people\b", re.I),
    "es": re.compile(r"(menos de )?(?<![\d.,])(\d{1,3}(?:\.\d{3})*|\d+) personas\b", re.I),
}


def people_counts(text: str, lang: str) -> list[tuple[bool, int]]:
    """(written as "fewer than", value) of every number of people in ``text``."""
    return [(bool(fewer), int(re.sub(r"[.,]", "", n))) for fewer, n in PEOPLE[lang].findall(text)]


def number(text: str, lang: str) -> float:
    """A number as the maps write it (es ``1.234,5``, en ``1,234.5``), after HTML unescaping."""
    text = unescape(text)
    text = text.replace(".", "").replace(",", ".") if lang == "es" else text.replace(",", "")
    return float(text)


def geojson_features(page: str) -> list[dict]:
    """Every feature of every GeoJSON layer folium embedded in ``page`` (``geo_json_<id>_add({...})``)."""
    decoder = json.JSONDecoder()
    features = []
    for match in re.finditer(r"geo_json_[0-9a-f]+_add\((?=\{)", page):
        collection, _ = decoder.raw_decode(page, match.end())
        features += collection["features"]
    return features


def page_lang(name: str) -> str:
    return "es" if re.search(r"_es\.(html|pdf)$", name) else "en"


def assert_publishable_count(value: int, where: str) -> None:
    assert value >= K and value % BASE == 0, f"{where}: {value} is not a published count (≥ {K}, × {BASE})"


# -- the canary sample and every product written from it -----------------------------------------


def numbered(prefix: str, n: int) -> pd.Series:
    return prefix + pd.Series(np.arange(n)).astype(str).str.zfill(6)


def plant_canaries(folder: Path) -> Path:
    """Copy the sample into ``folder`` with canaries in every identifying cell and canary case ids."""
    cases = pd.read_csv(SAMPLE / "cases.csv", dtype=str, keep_default_na=False)
    events = pd.read_csv(SAMPLE / "events.csv", dtype=str, keep_default_na=False)
    new_id = pd.Series(numbered(CASE_ID_PREFIX, len(cases)).to_numpy(), index=cases["case_id"])
    cases["case_id"] = new_id.to_numpy()
    events["case_id"] = events["case_id"].map(new_id)
    for column, prefix in PLANTED.items():
        cases[column] = numbered(prefix, len(cases))
    events["notes"] = numbered(EVENT_NOTE_PREFIX, len(events))
    folder.mkdir(parents=True, exist_ok=True)
    cases.to_csv(folder / "cases.csv", index=False, lineterminator="\n")
    events.to_csv(folder / "events.csv", index=False, lineterminator="\n")
    shutil.copy(SAMPLE / "services.csv", folder / "services.csv")
    return folder


@pytest.fixture(scope="module")
def canary_sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return plant_canaries(tmp_path_factory.mktemp("canary") / "sample")


@pytest.fixture(scope="module")
def analysis(canary_sample: Path) -> dict:
    """The canary sample read, its network, patterns (with events) and H3 hexagons, as the demo makes them."""
    report = validate(canary_sample / "cases.csv", events=canary_sample / "events.csv")
    cases, events = report.cases, report.events
    network = RouteNetwork.from_events(events, cases=cases)
    patterns = PatternClusters(random_state=0, n_bootstrap=0).fit(cases, events=events)
    return {"report": report, "cases": cases, "events": events, "network": network, "patterns": patterns,
            "services": read_services(canary_sample / "services.csv"),
            "hexagons": hex_hotspots(events, resolution=6, cases=cases)}


def run_cli(argv: list[str]) -> str:
    """``routes.cli.main(argv)`` in-process; its stdout and stderr, after checking it exited 0."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    assert code == 0, f"routes {' '.join(argv)} exited {code}: {err.getvalue()}"
    return out.getvalue() + err.getvalue()


@pytest.fixture(scope="module")
def products(analysis: dict, canary_sample: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Every product written from the canary sample: ``files`` (relative name → path), ``console`` text."""
    root = tmp_path_factory.mktemp("products")
    for folder in ("lib", "cli", "work"):
        (root / folder).mkdir()
    options = {"patterns": analysis["patterns"], "cases": analysis["cases"], "hotspots": analysis["hexagons"],
               "services": analysis["services"], "policy": POLICY}
    m = route_map(analysis["network"], **options, lang="es", offline=True, title="Rutas (canarios)")
    save_map(m, root / "lib/map_offline_es.html", offline=True, policy=POLICY)
    m = route_map(analysis["network"], **options, lang="en", offline=False, title="Routes (canaries)")
    save_map(m, root / "lib/map_online_en.html", offline=False, policy=POLICY)
    for corridor in ("andean", "all"):
        for lang in LANGS:
            brief = route_brief(analysis["network"], analysis["patterns"], cases=analysis["cases"],
                                corridor=corridor, services=analysis["services"], lang=lang, policy=POLICY)
            brief.save(root / f"lib/brief_{corridor}_{lang}.html")
            if corridor == "all":  # the demo prints the andean ones
                brief.save(root / f"lib/brief_{corridor}_{lang}.pdf")

    cases, events, services = (str(canary_sample / f"{t}.csv") for t in ("cases", "events", "services"))
    inputs = [cases, "--events", events]
    console = [
        run_cli(["map", *inputs, "--services", services, "--offline", "--lang", "es", "-o",
                 str(root / "cli/map_es.html")]),
        run_cli(["brief", *inputs, "--services", services, "--corridor", "caribbean_darien", "--lang", "en",
                 "-o", str(root / "cli/brief_caribbean_darien_en.html")]),
        run_cli(["demo", "--data", str(canary_sample), "--out", str(root / "demo")]),
        run_cli(["network", *inputs, "-o", str(root / "work/network.gpkg")]),
        run_cli(["patterns", cases, "-o", str(root / "work/clusters.csv")]),
    ]
    files = {str(p.relative_to(root)): p for p in root.rglob("*") if p.is_file()}
    return {"files": files, "console": "\n".join(console)}


# -- canaries -------------------------------------------------------------------------------------


def test_canaries_reach_every_writer_unrejected(analysis: dict) -> None:
    report = analysis["report"]
    assert report.n_rejected == 0 and len(report.cases) == 1969 and len(report.events) == 11554
    cases = analysis["cases"]
    for column, prefix in PLANTED.items():
        assert cases[column].str.fullmatch(prefix + r"\d{6}").all(), column
    assert cases["case_id"].str.fullmatch(CASE_ID_PREFIX + r"\d{6}").all()
    assert analysis["events"]["notes"].str.fullmatch(EVENT_NOTE_PREFIX + r"\d{6}").all()
    assert analysis["network"].segment_people["case_id"].astype(str).str.startswith(CASE_ID_PREFIX).all()


def test_every_writer_wrote_its_files(products: dict) -> None:
    assert set(PUBLIC + WORKING) <= set(products["files"])


@pytest.mark.parametrize("name", PUBLIC)
def test_no_canary_nor_case_id_in_a_public_product(products: dict, name: str) -> None:
    path = products["files"][name]
    found = {hit for reading in every_reading(path) for hit in CANARY.findall(reading)}
    assert found == set(), f"{name} carries {sorted(found)[:10]}"


@pytest.mark.parametrize("name", WORKING)
def test_working_files_carry_no_identifier_or_note(products: dict, name: str) -> None:
    readings = every_reading(products["files"][name])
    found = {hit for reading in readings for hit in IDENTIFYING_CANARY.findall(reading)}
    assert found == set(), f"{name} carries {sorted(found)[:10]}"


def test_console_output_carries_no_canary(products: dict) -> None:
    assert CANARY.findall(products["console"]) == []


def test_patterns_working_file_keeps_the_pseudonymous_case_id_only(products: dict, analysis: dict) -> None:
    clusters = pd.read_csv(products["files"]["work/clusters.csv"], dtype=str)
    assert list(clusters.columns) == ["case_id", "cluster", "label"]
    assert clusters["case_id"].tolist() == analysis["cases"]["case_id"].tolist()


# -- small counts ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", MAPS)
def test_map_embeds_no_count_under_k(products: dict, name: str) -> None:
    """Every ``n_*`` property of every embedded GeoJSON feature (what tooltips show) is ≥ k and rounded."""
    page = products["files"][name].read_text(encoding="utf-8")
    lang = page_lang(name)
    not_published = {"no publicado", "not published"}
    counts = [(key, value) for feature in geojson_features(page)
              for key, value in (feature.get("properties") or {}).items() if key.startswith("n_")]
    assert len(counts) > 100  # flows, places, risks, patterns, hexagons, gaps, periods
    for key, value in counts:
        if unescape(str(value)) in not_published:
            continue
        assert_publishable_count(int(number(str(value), lang)), f"{name} {key}")
    # no count property lives outside the GeoJSON layers (e.g. in a script's own JSON)
    assert len(re.findall(r'"n_[a-z_]+":', page)) == len(counts)


@pytest.mark.parametrize("name", MAPS)
def test_map_legend_states_no_count_under_k(products: dict, name: str) -> None:
    lang = page_lang(name)
    text = visible_text(products["files"][name].read_text(encoding="utf-8"))
    for _, value in people_counts(text, lang):
        assert value >= K, f"{name}: '{value}' people in the legend"


def brief_tables(page: str) -> list[tuple[list[str], list[list[str]]]]:
    """(header cells, body rows) of every table of a brief page, as text."""
    tables = []
    for table in re.findall(r"<table>(.*?)</table>", page, re.S):
        rows = [[re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", "", cell))).strip()
                 for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
                for row in re.findall(r"<tr>(.*?)</tr>", table, re.S)]
        tables.append((rows[0], rows[1:]))
    return tables


@pytest.mark.parametrize("name", BRIEF_HTML)
def test_brief_html_states_no_count_under_k(products: dict, name: str) -> None:
    """Numbers of people in the text, the bar charts and the corridor map (an embedded SVG) are ≥ k.

    Counts are multiples of the rounding base too, except the programme figures the demo passes, printed
    as given and said to be so (the target, a plan; the people assisted as the programme's monitoring
    reports them, not a count of the case data). Every cell of a table's people column reads as a count.
    """
    from routes.sample import SAMPLE_PEOPLE, SAMPLE_TARGET

    lang = page_lang(name)
    page = products["files"][name].read_text(encoding="utf-8")
    svgs = [svg for svg in decoded_data_uris(page) if svg.lstrip().startswith("<svg")]
    assert len(svgs) == 1
    svg_text = " ".join(unescape(t) for t in re.findall(r"<text[^>]*>([^<]*)</text>", svgs[0]))
    texts = [visible_text(page), svg_text]
    found = [count for text in texts for count in people_counts(text, lang)]
    assert len(found) > 20
    for fewer, value in found:
        if fewer:
            assert value == K, f"{name}: 'fewer than {value}'"
        elif value not in (SAMPLE_TARGET, SAMPLE_PEOPLE):
            assert_publishable_count(value, name)
    people_header = "Personas" if lang == "es" else "People"
    cells = [row[header.index(people_header)] for header, rows in brief_tables(page)
             if people_header in header for row in rows]
    assert len(cells) >= 5
    for cell in cells:
        assert PEOPLE[lang].fullmatch(cell), f"{name}: people cell {cell!r}"


# -- consent --------------------------------------------------------------------------------------

#: 20 people who did not consent, all on a journey no one else makes: Tumaco → Bucaramanga → Manaus
#: (neither segment is in the sample), each reporting a robbery in Manaus (no incident there in the sample).
UNCONSENTED = 20
UNCONSENTED_ROUTE = ("Tumaco", "Bucaramanga", "Manaus")
UNCONSENTED_SEGMENTS = list(itertools.pairwise(UNCONSENTED_ROUTE))
UNCONSENTED_STEPS = (("recruitment", "Tumaco", ""), ("transit", "Bucaramanga", ""),
                     ("exploitation", "Manaus", ""), ("incident", "Manaus", "robbery"))


@pytest.fixture(scope="module")
def consent_variant(canary_sample: Path, analysis: dict, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The canary sample plus the 20 unconsented people; its network, hexagons and published layers."""
    folder = tmp_path_factory.mktemp("consent")
    cases = pd.read_csv(canary_sample / "cases.csv", dtype=str, keep_default_na=False)
    events = pd.read_csv(canary_sample / "events.csv", dtype=str, keep_default_na=False)
    ids = numbered("NOCONSENT", UNCONSENTED)
    extra = pd.DataFrame([cases.iloc[0]] * UNCONSENTED).assign(
        case_id=ids.to_numpy(), consent_reporting="no", place_registered=UNCONSENTED_ROUTE[-1],
        route=" > ".join(UNCONSENTED_ROUTE), date_registered="2023-03-20")
    steps = pd.DataFrame([
        {"case_id": case, "seq": str(seq), "date": f"2023-03-{10 + seq:02d}", "stage": stage, "place": place,
         "lat": "", "lon": "", "crossing": "none", "risk": risk, "notes": ""}
        for case in ids for seq, (stage, place, risk) in enumerate(UNCONSENTED_STEPS, start=1)
    ])
    pd.concat([cases, extra]).to_csv(folder / "cases.csv", index=False, lineterminator="\n")
    pd.concat([events, steps]).to_csv(folder / "events.csv", index=False, lineterminator="\n")
    varied_cases, varied_events = read_cases(folder / "cases.csv", events=folder / "events.csv")
    network = RouteNetwork.from_events(varied_events, cases=varied_cases)
    hexagons = hex_hotspots(varied_events, resolution=6, cases=varied_cases)  # as routes demo builds them
    m = route_map(network, hotspots=hexagons, lang="es", offline=True, policy=POLICY)
    return {
        "cases": varied_cases, "network": network, "hexagons": hexagons,
        "layers": publish_layers(network, hotspots=hexagons, policy=POLICY),
        "original": publish_layers(analysis["network"], hotspots=analysis["hexagons"], policy=POLICY),
        "page": save_map(m, folder / "map.html", offline=True, policy=POLICY).read_text(encoding="utf-8"),
    }


def test_unconsented_people_are_in_the_network_but_draw_no_segment(consent_variant: dict) -> None:
    network = consent_variant["network"]
    ids = {name: place for place, name in network.places["name"].items()}
    new = [(ids[a], ids[b]) for a, b in UNCONSENTED_SEGMENTS]
    assert int(network.segments.loc[new, "n_people"].min()) == UNCONSENTED  # the raw network sees them
    layers: PublishedLayers = consent_variant["layers"]
    drawn = set(zip(layers.segments["u"].astype(str), layers.segments["v"].astype(str), strict=True))
    assert drawn.isdisjoint(new)
    pd.testing.assert_frame_equal(layers.segments, consent_variant["original"].segments)
    flows = {(unescape(f["properties"]["u_name"]), unescape(f["properties"]["v_name"]))
             for f in geojson_features(consent_variant["page"]) if "u_name" in f["properties"]}
    assert len(flows) > 50
    assert flows.isdisjoint(UNCONSENTED_SEGMENTS)


def test_unconsented_people_change_no_place_count_or_rate(consent_variant: dict) -> None:
    columns = ["n_people", "n_events", "rate"]
    pd.testing.assert_frame_equal(consent_variant["layers"].places[columns],
                                  consent_variant["original"].places[columns])


def test_unconsented_people_make_no_chokepoint(consent_variant: dict) -> None:
    pd.testing.assert_series_equal(consent_variant["layers"].places["chokepoint"],
                                   consent_variant["original"].places["chokepoint"])


def test_unconsented_people_add_no_hexagon(consent_variant: dict) -> None:
    varied, original = consent_variant["layers"].hexagons, consent_variant["original"].hexagons
    pd.testing.assert_frame_equal(varied[["h3", "n_people"]], original[["h3", "n_people"]])


def test_unconsented_people_are_not_counted_in_a_brief(consent_variant: dict, analysis: dict) -> None:
    varied = route_brief(consent_variant["network"], cases=consent_variant["cases"], corridor="all",
                         lang="en")
    original = route_brief(analysis["network"], cases=analysis["cases"], corridor="all", lang="en")
    assert varied.findings.people == original.findings.people == 1875
    assert varied.findings.case_types == original.findings.case_types
    segments = {(s.origin, s.destination) for s in varied.findings.segments}
    assert segments.isdisjoint(UNCONSENTED_SEGMENTS)


# -- differencing ---------------------------------------------------------------------------------

#: Corridors and periods whose case-type breakdown has hidden cells in the sample, and one without.
BREAKDOWNS = [("andean", "2023-05"), ("caribbean_darien", "2023Q1"), ("brazil", "2023-05"),
              ("brazil", "2023Q1"), ("catatumbo", None), ("orinoquia", "2022"), ("all", None)]


def true_case_types(analysis: dict, corridor: str, period: str | None) -> pd.Series:
    """Consenting people of ``corridor`` registered in ``period``, by case type (the truth a reader wants)."""
    cases = analysis["cases"]
    month = pd.PeriodIndex(pd.to_datetime(cases["date_registered"]), freq="M")
    chosen = (cases["case_id"].isin(corridor_people(analysis["network"], corridor))
              & cases["consent_reporting"].eq("yes")).to_numpy()
    if period is not None:
        wanted = pd.Period(period)
        first, last = wanted.asfreq("M", how="start"), wanted.asfreq("M", how="end")
        chosen = chosen & (month >= first) & (month <= last)
    return cases.loc[chosen, "case_type"].value_counts()


@pytest.mark.parametrize(("corridor", "period"), BREAKDOWNS)
def test_case_type_breakdown_cannot_be_solved_by_subtraction(analysis: dict, corridor: str,
                                                             period: str | None) -> None:
    """Total minus the published case types never pins a hidden cell under k.

    Every published cell is 0 or a rounded count ≥ k. The brief's tables are protected together
    (``route_brief`` through ``protect_together``, as a release protects them): the total may be
    withheld with them, and a line may hold one hidden cell when the rounding intervals of the total
    and the published cells leave it anywhere from 0 (or from k) up; two or more hidden cells with
    people only give their sum.
    """
    findings = route_brief(analysis["network"], cases=analysis["cases"], corridor=corridor, period=period,
                           lang="en").findings
    truth = true_case_types(analysis, corridor, period)
    assert findings.people in (None, POLICY.round_count(int(truth.sum())))
    hidden = [code for code, count in findings.case_types.items() if count is None]
    shown = []
    for code, count in findings.case_types.items():
        if count is None:
            assert truth.get(code, 0) > 0
        elif count:
            assert_publishable_count(count, f"{corridor} {period} {code}")
            assert count == POLICY.round_count(int(truth[code]))
            shown.append(count)
        else:
            assert truth.get(code, 0) == 0
    if len(hidden) == 1 and findings.people is not None:
        total_low, total_high = rounding_interval(np.array([findings.people]), POLICY)
        low, high = rounding_interval(np.array(shown, dtype=np.int64), POLICY)
        rest = (int(total_low[0]) - int(high.sum()), int(total_high[0]) - int(low.sum()))
        assert not (rest[0] >= 1 and rest[1] < POLICY.k), f"{corridor} {period}: {hidden[0]} in {rest}"
    elif len(hidden) > 1:
        for code in hidden:
            others = sum(truth.get(other, 0) for other in hidden if other != code)
            assert others > 0, f"{corridor} {period}: {code} = total − published cells"
    if corridor != "all" and findings.people is not None:  # (a withheld total shows no breakdown)
        assert hidden  # the combinations were chosen for their hidden cells


def test_a_cell_in_map_and_brief_is_withheld_or_shown_alike(analysis: dict) -> None:
    """The map's segment totals and the all-corridor brief's segments are one table: same numbers, same gaps.

    Two different roundings or suppressions of one cell would let a reader intersect them: one
    release draws both (a map and a brief made apart in a notebook are two publications, each
    protected on its own; ``docs/data-responsibility.md``).
    """
    release = Release.build(analysis["cases"], analysis["events"], corridors=(), hexagons=False,
                            policy=POLICY)
    in_map = release.layers.segments.set_index(["u", "v"])["n_people"]
    in_map = in_map[in_map.notna().to_numpy() & (in_map.fillna(0) > 0).to_numpy()].astype(int)
    network = analysis["network"]
    segment_of = dict(zip(network.segments.geometry.map(lambda g: g.wkb), network.segments.index,
                          strict=True))
    shown = release.findings["all"].map_segments
    in_brief = pd.Series(shown["n_people"].to_numpy(dtype=int),
                         index=pd.MultiIndex.from_tuples([segment_of[g.wkb] for g in shown.geometry]))
    assert len(in_brief) > 50
    assert in_brief.to_dict() == {(str(u), str(v)): n for (u, v), n in in_map.items()}


def test_period_breakdown_never_leaves_one_hidden_cell_against_a_segment_total(analysis: dict) -> None:
    """The flows layer gives each segment's total; the period slider gives its quarters.

    For every segment whose total the map publishes, the hidden quarters with people are never
    exactly one, so no quarter is the total minus the published quarters. Nor is any quarter's column
    left with exactly one hidden cell (a reader may know how many people passed in a quarter).
    """
    layers = publish_layers(analysis["network"], risks=(), period="quarter", policy=POLICY)
    members = analysis["network"].segment_people
    members = members[members["consent_reporting"].eq("yes")]
    truth = (members.assign(period=members["month"].dt.asfreq("Q"))
             .groupby(["u", "v", "period"], observed=True)["case_id"].nunique().rename("true"))
    published = layers.periods.set_index(["u", "v", "period"])["n_people"].rename("published")
    table = truth.to_frame().join(published)
    table["hidden"] = table["published"].isna()
    shown = table[~table["hidden"]]
    assert table["hidden"].sum() > 100 and len(shown) > 50
    rounded = POLICY.round_count(shown["true"].to_numpy()).to_numpy()
    assert (shown["published"].to_numpy() == rounded).all()
    totals = layers.segments.set_index(["u", "v"])["n_people"]
    published_totals = totals.index[totals.notna().to_numpy() & (totals.fillna(0) > 0).to_numpy()]
    hidden_per_segment = table.groupby(level=["u", "v"])["hidden"].sum()
    with_total = hidden_per_segment[hidden_per_segment.index.isin(published_totals)]
    assert with_total.gt(1).sum() > 10  # segments whose quarters are partly hidden do occur
    assert (with_total != 1).all(), with_total[with_total == 1]
    hidden_per_period = table.groupby(level="period")["hidden"].sum()
    assert (hidden_per_period != 1).all(), hidden_per_period[hidden_per_period == 1]


# -- injection ------------------------------------------------------------------------------------

TOOLTIP_ROWS = """() => {
    const rows = [];
    document.querySelectorAll('.leaflet-pane path').forEach(path => {
        path.dispatchEvent(new MouseEvent('mouseover', {bubbles: true, clientX: 1, clientY: 1}));
        document.querySelectorAll('.leaflet-tooltip tr').forEach(tr => rows.push(
            [tr.querySelector('th') ? tr.querySelector('th').textContent : '',
             tr.querySelector('td') ? tr.querySelector('td').textContent : '']));
        path.dispatchEvent(new MouseEvent('mouseout', {bubbles: true}));
    });
    return rows;
}"""


@pytest.fixture(scope="module")
def hostile_outputs(analysis: dict, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The payload in place names, pattern labels, service fields, the map title and the brief's source."""
    network = copy.deepcopy(analysis["network"])
    patterns = copy.deepcopy(analysis["patterns"])
    services = analysis["services"].copy()
    network.places.loc["co-cucuta", "name"] = hostile("place")
    patterns.profiles_.table.loc[0, ["label_en", "label_es"]] = hostile("label")
    cucuta = services["place_id"].eq("co-cucuta").to_numpy()
    services.loc[cucuta, "place"] = hostile("service place")
    services.loc[cucuta, "organisation_type"] = hostile("organisation")
    services.loc[cucuta, "service_type"] = hostile("service type")
    out = tmp_path_factory.mktemp("hostile")
    m = route_map(network, patterns=patterns, cases=analysis["cases"], hotspots=analysis["hexagons"],
                  services=services, lang="es", offline=True, title=hostile("title"), policy=POLICY)
    brief = route_brief(network, patterns, cases=analysis["cases"], corridor="andean", services=services,
                        lang="es", source=hostile("source"), policy=POLICY)
    return {"map": save_map(m, out / "map.html", offline=True, policy=POLICY),
            "brief_html": brief.save(out / "brief.html"), "brief_pdf": brief.save(out / "brief.pdf")}


def watched(open_offline: Callable[..., Any], path: Path, wait_for: str) -> tuple[Any, list[str]]:
    """The page opened offline, then reloaded with a dialog handler, so load-time dialogs are caught too."""
    loaded = open_offline(path, wait_for=wait_for)
    dialogs: list[str] = []
    loaded.page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    loaded.page.reload(wait_until="load")
    loaded.page.wait_for_selector(wait_for, state="attached")
    return loaded, dialogs


@pytest.mark.browser
def test_payloads_in_every_map_text_field_stay_text(open_offline, hostile_outputs: dict) -> None:
    loaded, dialogs = watched(open_offline, hostile_outputs["map"], ".leaflet-routes-places-pane path")
    page = loaded.page
    title = page.title()
    loaded.open_layer_control()
    boxes = page.locator(".leaflet-control-layers-overlays input[type=checkbox]")
    for i in range(boxes.count()):
        boxes.nth(i).check()
    page.evaluate("""() => { const s = document.querySelector('.routes-period-slider');
                             s.value = '1'; s.dispatchEvent(new Event('input', {bubbles: true})); }""")
    rows = page.evaluate(TOOLTIP_ROWS)
    cells = [cell for row in rows for cell in row]
    for field in ("place", "label", "service place", "organisation", "service type"):
        assert any(hostile(field) in cell for cell in cells), field
    assert hostile("title") in page.locator(".routes-legend").text_content()
    injected = "img[src='x'], [onerror], .leaflet-tooltip script, .routes-legend script"
    assert page.locator(injected).count() == 0
    assert page.evaluate("() => [...document.scripts].every(s => !s.textContent.includes('alert(2)'))")
    assert dialogs == [] and page.title() == title
    assert loaded.problems == []
    # tooltips, read as a person would: every count of people is ≥ k and rounded
    people = [value for label, value in rows if label.lower().startswith("personas")]
    assert len(people) > 100
    for value in people:
        if value != "no publicado":
            assert_publishable_count(int(number(value, "es")), f"tooltip {value!r}")


@pytest.mark.browser
def test_payloads_in_a_brief_stay_text_in_html_and_pdf(open_offline, hostile_outputs: dict) -> None:
    html = hostile_outputs["brief_html"].read_text(encoding="utf-8")
    # no script at all, so "${...}" and backticks are plain text; markup arrives only as entities
    assert "<script" not in html.lower() and "</script" not in html.lower() and "<img src=x" not in html
    loaded, dialogs = watched(open_offline, hostile_outputs["brief_html"], "h1")
    body = loaded.page.locator("body").inner_text()
    for field in ("place", "label", "source"):
        assert hostile(field).replace("\u2028", "") in body.replace("\u2028", ""), field
    assert loaded.page.locator("script, img[src='x'], [onerror]").count() == 0
    assert dialogs == [] and loaded.problems == []
    text = re.sub(r"\s+", " ", pdf_text(hostile_outputs["brief_pdf"]))
    for field in ("place", "source"):
        assert f"{field}: <img src=x onerror=alert(1)> </script><script>alert(2)</script>" in text, field
