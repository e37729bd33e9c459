"""The ``routes`` command: each command run in-process on the bundled sample, and the console script once.

The expensive commands (``demo``, ``map``, ``brief``, ``network``, ``patterns``) run once in module
fixtures; their files and printed output are shared by the tests that read them.
"""

from __future__ import annotations

import contextlib
import io
import re
import shutil
import subprocess
import sys
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

from routes.cli import main

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "sample"
BROKEN = SAMPLE / "broken"
COMMANDS = ("demo", "validate", "mapping", "sample", "network", "patterns", "map", "release", "brief")
SAMPLE_FILES = ("cases.csv", "events.csv", "services.csv", "truth.csv")
INPUTS = [str(SAMPLE / "cases.csv"), "--events", str(SAMPLE / "events.csv")]


def run(argv: list[str]) -> tuple[int, str]:
    """``routes.cli.main(argv)`` in-process: exit code and everything it printed (for module fixtures)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        code = main(argv)
    return code, out.getvalue()


def pdf_pages(path: Path) -> int:
    info = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True, text=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))


def pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True, text=True).stdout


# -- help, validate, sample -----------------------------------------------------------------------


def test_console_script_help_lists_every_command() -> None:
    script = Path(sys.executable).parent / "routes"
    done = subprocess.run([str(script), "--help"], capture_output=True, text=True, check=False)
    assert done.returncode == 0 and done.stderr == ""
    listed = re.search(r"\{([a-z,]+)\}", done.stdout).group(1).split(",")
    assert listed == list(COMMANDS)
    for command in COMMANDS:
        assert re.search(rf"^\s+{command}\s+\S", done.stdout, re.M), command


def test_validate_broken_export_exits_1_naming_rows_and_columns(tmp_path: Path, capsys) -> None:
    for name in ("cases_broken.csv", "events_broken.csv"):
        shutil.copy(BROKEN / name, tmp_path / name)
    cases, events = (str(tmp_path / f"{table}_broken.csv") for table in ("cases", "events"))
    code = main(["validate", cases, "--events", events])
    printed = capsys.readouterr().out
    assert code == 1
    # 15 case rows: rows 3-8 and 10-14 are rejected (11); 15 event rows: 6, 7 and 10-15 (8)
    assert re.search(r"cases\W+15\W+4\W+11\W+True", printed)
    assert re.search(r"events\W+15\W+7\W+8\W+True", printed)
    assert "19 rows rejected" in printed
    rejected = pd.read_csv(tmp_path / "cases_broken.rejected.csv", dtype={"row": "Int64"},
                           keep_default_na=False)
    assert list(rejected.columns) == ["table", "file", "row", "column", "value", "expected", "hint"]
    assert len(rejected) == 19
    by_table = rejected.groupby("table")["row"].apply(lambda rows: sorted(set(rows)))
    assert by_table["cases"] == [3, 4, 5, 6, 7, 8, 10, 11, 12, 13, 14]
    assert by_table["events"] == [6, 7, 10, 11, 12, 13, 14, 15]
    first = rejected.iloc[0]
    assert (first["file"], first["row"], first["column"], first["value"]) == (
        "cases_broken.csv", 3, "Fecha de registro", "31/02/2024")
    for column, value in (("Fecha de registro", "31/02/2024"), ("Municipio", "Cucta"), ("Sexo", "Femenio")):
        assert re.search(rf"{column}\W+{value}", printed), (column, value)


def test_validate_writes_rejected_rows_where_asked(tmp_path: Path, capsys) -> None:
    target = tmp_path / "reasons.csv"
    code = main(["validate", str(BROKEN / "cases_broken.csv"), "--events", str(BROKEN / "events_broken.csv"),
                 "--rejected", str(target)])
    assert code == 1 and len(pd.read_csv(target)) == 19
    assert str(target) in capsys.readouterr().out.replace("\n", "")


def test_validate_clean_sample_exits_0(capsys) -> None:
    assert main(["validate", *INPUTS]) == 0
    printed = capsys.readouterr().out
    assert re.search(r"cases\W+1969\W+1969\W+0\W+True", printed)
    assert re.search(r"events\W+11554\W+11554\W+0\W+True", printed)
    assert "every row accepted" in printed


def test_validate_prints_warnings_for_meaning_lost(tmp_path: Path, capsys) -> None:
    events = tmp_path / "events.csv"
    events.write_text("case_id,stage,place\nCASE-0001,transit,Cúcuta\n", encoding="utf-8")
    code = main(["validate", str(SAMPLE / "cases.csv"), "--events", str(events)])
    printed = capsys.readouterr().out
    assert code == 0 and re.search(r"events\W+1\W+1\W+0\W+True\W+1", printed)
    assert "Warnings (1)" in printed and "1 events have no date" in " ".join(printed.split())


def test_validate_with_the_ctdc_preset_states_its_assumptions(tmp_path: Path, capsys) -> None:
    ctdc = tmp_path / "ctdc.csv"
    ctdc.write_text(",yearOfRegistration,gender,citizenship,isForcedLabour\n0,2020,Female,VE,1.0\n"
                    "1,2021,Male,UA,0.0\n", encoding="utf-8")
    code = main(["validate", str(ctdc), "--preset", "ctdc"])
    printed = " ".join(capsys.readouterr().out.split())
    assert code == 0 and "every row accepted" in printed
    assert "CTDC's files hold identified victims" in printed and "ctdc-row-" in printed


def test_mapping_suggest_prints_yaml_that_validate_reads(tmp_path: Path, capsys) -> None:
    target = tmp_path / "mapping.yaml"
    assert main(["mapping", "suggest", str(BROKEN / "cases_broken.csv"), "-o", str(target)]) == 0
    assert main(["mapping", "suggest", str(BROKEN / "cases_broken.csv")]) == 0
    printed = capsys.readouterr().out
    assert target.read_text(encoding="utf-8") in printed
    code = main(["validate", str(BROKEN / "cases_broken.csv"), "--mapping", str(target)])
    printed = capsys.readouterr().out
    assert code == 1 and re.search(r"cases\W+15\W+\d+\W+\d+\W+True", printed)


def test_mapping_suggest_on_a_missing_file_exits_2(tmp_path: Path, capsys) -> None:
    assert main(["mapping", "suggest", str(tmp_path / "nope.csv")]) == 2
    assert "cannot read the file" in capsys.readouterr().err


def test_sample_with_the_same_seed_reproduces_the_bundled_sample_byte_for_byte(tmp_path: Path,
                                                                                capsys) -> None:
    assert main(["sample", "--out", str(tmp_path), "--seed", "2022"]) == 0
    for name in SAMPLE_FILES:
        assert (tmp_path / name).read_bytes() == (SAMPLE / name).read_bytes(), name
    assert capsys.readouterr().out.count("wrote ") == len(SAMPLE_FILES)


# -- network, patterns: working files ------------------------------------------------------------


@pytest.fixture(scope="module")
def working_files(tmp_path_factory: pytest.TempPathFactory) -> dict:
    out = tmp_path_factory.mktemp("work")
    network = run(["network", *INPUTS, "-o", str(out / "network.gpkg")])
    patterns = run(["patterns", str(SAMPLE / "cases.csv"), "-o", str(out / "clusters.csv")])
    return {"dir": out, "network": network, "patterns": patterns}


def test_network_writes_places_and_segments_and_prints_chokepoints(working_files: dict) -> None:
    import pyogrio

    code, printed = working_files["network"]
    assert code == 0
    path = working_files["dir"] / "network.gpkg"
    assert sorted(name for name, _ in pyogrio.list_layers(path)) == ["places", "segments"]
    places = pyogrio.read_dataframe(path, layer="places")
    segments = pyogrio.read_dataframe(path, layer="segments")
    assert (len(places), len(segments)) == (98, 334)  # as the summary line says
    assert "1,969 people, 98 places, 334 segments" in printed
    chokepoints = printed[printed.index("Chokepoints"):printed.index("Riskiest")]
    assert "Cúcuta" in chokepoints
    assert "CONFIDENTIAL" in printed


def test_patterns_writes_one_row_per_case(working_files: dict) -> None:
    code, printed = working_files["patterns"]
    assert code == 0 and "Patterns (reported cases, not prevalence)" in printed
    clusters = pd.read_csv(working_files["dir"] / "clusters.csv")
    cases = pd.read_csv(SAMPLE / "cases.csv", usecols=["case_id"])
    assert list(clusters.columns) == ["case_id", "cluster", "label"]
    assert clusters["case_id"].tolist() == cases["case_id"].tolist()
    assert clusters["cluster"].dtype.kind == "i" and clusters["cluster"].ge(-1).all()
    labelled = clusters[clusters["cluster"] >= 0]
    assert labelled["label"].notna().all() and labelled.groupby("cluster")["label"].nunique().eq(1).all()


# -- map and brief ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def products(tmp_path_factory: pytest.TempPathFactory) -> dict:
    out = tmp_path_factory.mktemp("products")
    services = ["--services", str(SAMPLE / "services.csv")]
    return {
        "map": (*run(["map", *INPUTS, *services, "--offline", "--lang", "es", "-o", str(out / "x.html")]),
                out / "x.html"),
        "brief": (*run(["brief", *INPUTS, *services, "--corridor", "andean", "--lang", "en",
                        "-o", str(out / "x.pdf")]), out / "x.pdf"),
    }


class _References(HTMLParser):
    """``src``/``href`` attribute values of the markup (scripts' own text is not markup)."""

    def __init__(self) -> None:
        super().__init__()
        self.values: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.values += [value or "" for name, value in attrs if name in ("src", "href")]


#: URLs in the inlined Leaflet source that the page never loads: the SVG namespace, the attribution
#: link and a comment.
NOT_LOADED = {"http://www.w3.org/2000/svg", "https://leafletjs.com",
              "https://bugzilla.mozilla.org/show_bug.cgi?id=888319"}


def test_offline_map_refers_to_no_network_and_carries_a_csp(products: dict) -> None:
    code, printed, path = products["map"]
    assert code == 0 and "self-contained" in printed
    page = path.read_text(encoding="utf-8")
    references = _References()
    references.feed(page)
    assert not [v for v in references.values if re.match(r"\s*(https?:)?//", v)]
    assert not re.search(r"url\(\s*['\"]?(https?:)?//|@import", page)
    assert set(re.findall(r"https?://[^\s\"'()<>\\]+", page)) <= NOT_LOADED
    csp = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', page)
    assert csp and csp.start() < page.index("<script")
    assert "default-src 'none'" in csp.group(1) and "unsafe-inline" not in csp.group(1)
    assert 'lang="es"' in page or "Flujos entre lugares" in page


def test_brief_command_writes_a_one_to_three_page_pdf(products: dict) -> None:
    code, printed, path = products["brief"]
    assert code == 0 and str(path) in printed.replace("\n", "")
    assert path.read_bytes().startswith(b"%PDF-")
    assert pdf_pages(path) in (1, 2, 3)
    text = pdf_text(path)
    assert "Andean corridor" in text and "people" in text


def test_unknown_corridor_exits_2_with_the_reason(tmp_path: Path, capsys) -> None:
    code = main(["brief", *INPUTS, "--corridor", "atlantis", "-o", str(tmp_path / "b.html")])
    assert code == 2
    assert "atlantis" in capsys.readouterr().err
    assert not (tmp_path / "b.html").exists()


# -- demo -----------------------------------------------------------------------------------------

DEMO_PAGES = {f"route_map_{lang}.html" for lang in ("es", "en")} | {
    f"brief_{corridor}_{lang}.{suffix}" for corridor in ("all", "andean", "caribbean_darien", "brazil")
    for lang in ("es", "en") for suffix in ("html", "pdf")}
DEMO_FILES = DEMO_PAGES | {"release"}  # the ledger (CONFIDENTIAL: exact counts) stays in the working folder


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> dict:
    data = tmp_path_factory.mktemp("data") / "sample"
    shutil.copytree(SAMPLE, data)
    out = tmp_path_factory.mktemp("demo") / "maps"
    code, printed = run(["demo", "--data", str(data), "--out", str(out)])
    return {"code": code, "printed": printed, "out": out, "data": data}


def test_demo_writes_offline_maps_and_briefs_per_corridor_and_language(
    demo: dict, module_ledger: Path
) -> None:
    assert demo["code"] == 0
    assert {p.name for p in demo["out"].iterdir()} == DEMO_FILES
    assert module_ledger.exists() and "release ledger" in demo["printed"]  # one ledger whatever --out
    for name in DEMO_PAGES:
        assert re.search(re.escape(str(demo["out"] / name)), demo["printed"].replace("\n", "")), name


def test_demo_products_are_public_pages_and_printable_briefs(demo: dict) -> None:
    out = demo["out"]
    for name in sorted(DEMO_PAGES):
        path = out / name
        if path.suffix == ".pdf":
            assert path.read_bytes().startswith(b"%PDF-") and 1 <= pdf_pages(path) <= 3, name
        else:
            page = path.read_text(encoding="utf-8")
            assert '<meta http-equiv="Content-Security-Policy"' in page, name
    title = "Rutas de trata y tráfico (datos sintéticos)"
    assert title in unescape((out / "route_map_es.html").read_text(encoding="utf-8"))
    assert "Brazil route" in pdf_text(out / "brief_brazil_en.pdf")
    assert "Ruta a Brasil" in pdf_text(out / "brief_brazil_es.pdf")


def test_demo_briefs_state_the_programme_figure_and_its_coverage_of_the_target(demo: dict) -> None:
    """The sub-sector's brief: 1,969 people assisted as the programme reports them, 12.9 % of 15,264;
    a corridor brief relates its people to the 1,969 and is never compared with the whole target."""
    out = demo["out"]
    english = " ".join(pdf_text(out / "brief_all_en.pdf").split())
    spanish = " ".join(pdf_text(out / "brief_all_es.pdf").split())
    assert "1,969 people were assisted" in english and "12.9%" in english and "as the programme" in english
    assert "1.969 personas" in spanish and "12,9 %" in spanish and "cifra de monitoreo" in spanish
    assert "who consented to reporting" in english  # the breakdowns say whom they count
    corridor = " ".join(pdf_text(out / "brief_andean_en.pdf").split())
    assert re.search(r"[\d,]+ people of the 1,969 assisted", corridor)
    assert "15,264" not in corridor and "set out to reach" not in corridor


def test_demo_reports_validation_network_and_patterns(demo: dict) -> None:
    printed = demo["printed"]
    assert re.search(r"cases\W+1969\W+1969\W+0\W+True", printed)
    assert "RouteNetwork: 1,969 people, 98 places, 334 segments" in printed
    assert "Patterns" in printed and "k = 11, rounded to 5" in printed
    assert not (demo["data"] / "cases.rejected.csv").exists()  # nothing rejected, nothing written beside it


@pytest.mark.parametrize(
    ("option", "expected"),
    [(["--k", "0"], "at least 5"), (["--target", "-5"], "positive number of people"), (["--k", "x"], "'x'")],
)
def test_out_of_range_options_are_usage_errors_naming_the_option(option: list[str], expected: str) -> None:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), pytest.raises(SystemExit) as stop:
        main(["brief", str(SAMPLE / "cases.csv"), "--events", str(SAMPLE / "events.csv"), *option,
              "-o", "brief.html"])
    assert stop.value.code == 2
    assert option[0] in err.getvalue() and expected in err.getvalue()


def test_top_below_one_is_a_usage_error() -> None:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), pytest.raises(SystemExit):
        main(["network", str(SAMPLE / "cases.csv"), "--events", str(SAMPLE / "events.csv"), "--top", "-1"])
    assert "--top" in err.getvalue()


def test_an_output_that_cannot_be_written_fails_before_any_work_without_a_traceback() -> None:
    code, text = run(["map", str(SAMPLE / "cases.csv"), "--events", str(SAMPLE / "events.csv"),
                      "-o", "/proc/routes-test/map.html"])
    assert code == 2
    assert "cannot write" in text and "/proc/routes-test" in text and "Traceback" not in text


def test_an_output_folder_that_does_not_exist_yet_is_made(tmp_path: Path) -> None:
    from routes.sample import generate_sample

    data = generate_sample(seed=5, people=120)
    data.cases.to_csv(tmp_path / "cases.csv", index=False)
    data.events.to_csv(tmp_path / "events.csv", index=False)
    code, text = run(["release", str(tmp_path / "cases.csv"), "--events", str(tmp_path / "events.csv"),
                      "-o", str(tmp_path / "new" / "deeper")])
    assert code == 0, text
    assert (tmp_path / "new" / "deeper" / "manifest.json").exists()


def test_version_and_examples_are_in_the_help() -> None:
    from routes import __version__

    code, text = run_exit(["--version"])
    assert code == 0 and text.strip() == f"routes {__version__}"
    code, text = run_exit(["--help"])
    assert code == 0 and "examples:" in text and "routes map cases.csv --events events.csv" in text


def run_exit(argv: list[str]) -> tuple[int, str]:
    """``main(argv)`` for argparse actions that exit (help, version, usage errors)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out), pytest.raises(SystemExit) as done:
        main(argv)
    return int(done.value.code or 0), out.getvalue()


def test_a_header_only_file_reads_zero_rows_and_says_so(tmp_path: Path) -> None:
    header = tmp_path / "cases.csv"
    first_line = (SAMPLE / "cases.csv").read_text(encoding="utf-8").splitlines()[0]
    header.write_text(first_line + "\n", encoding="utf-8")
    code, text = run(["validate", str(header)])
    assert code == 1 and "0 rows read" in text and "every row accepted" not in text
    code, text = run(["map", str(header), "--events", str(SAMPLE / "events.csv"),
                      "-o", str(tmp_path / "m.html")])
    assert code == 2 and "no rows of cases" in text and "Traceback" not in text
    assert not (tmp_path / "m.html").exists()


def test_a_period_without_records_is_refused_naming_it(tmp_path: Path) -> None:
    code, text = run(["brief", *INPUTS, "--period", "2030", "--ledger", str(tmp_path / "l.sqlite"),
                      "-o", str(tmp_path / "b.html")])
    assert code == 2 and "2030" in text and "nothing to publish" in text
    assert not (tmp_path / "b.html").exists()


def test_sheet_picks_the_worksheet_of_a_workbook_with_a_cover_sheet(tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    book.active.title = "Portada"
    book.active.append(["Informe de casos", "oficina de terreno"])
    sheet = book.create_sheet("Hoja de datos")
    frame = pd.read_csv(SAMPLE / "cases.csv", dtype=str, keep_default_na=False).head(40)
    sheet.append(list(frame.columns))
    for row in frame.itertuples(index=False):
        sheet.append(list(row))
    path = tmp_path / "casos.xlsx"
    book.save(path)
    code, text = run(["validate", str(path), "--sheet", "Hoja de datos"])
    assert code in (0, 1) and "40" in text
    code, text = run(["validate", str(path), "--sheet", "Hoja2"])
    assert code == 2 and "no sheet or layer 'Hoja2'" in text and "Hoja de datos" in text


def test_an_internal_error_is_one_line_without_a_traceback(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import routes.cli

    def broken(args: object) -> int:
        return 1 // 0

    monkeypatch.setattr(routes.cli, "cmd_sample", broken)  # a bug, as a user would meet it
    code, text = run(["sample", "--out", str(tmp_path)])
    assert code == 3 and "internal error" in text and "ZeroDivisionError" in text and "Traceback" not in text


BAD_RUNS = [
    ["validate", "/no/such/cases.csv"],
    ["validate", str(SAMPLE / "cases.csv"), "--events", "/no/such/events.csv"],
    ["validate", str(SAMPLE / "cases.csv"), "--mapping", "/no/such/mapping.yaml"],
    ["validate", str(SAMPLE / "services.csv")],
    ["network", "/no/such/cases.csv", "--events", str(SAMPLE / "events.csv")],
    ["network", *INPUTS, "--top", "zero"],
    ["patterns", "/no/such/cases.csv"],
    ["patterns", str(SAMPLE / "cases.csv"), "--method", "magic"],
    ["map", "/no/such/cases.csv", "--events", str(SAMPLE / "events.csv"), "-o", "{tmp}/m.html"],
    ["map", *INPUTS, "--period", "2023-13", "-o", "{tmp}/m.html"],
    ["map", *INPUTS, "--k", "abc", "-o", "{tmp}/m.html"],
    ["map", *INPUTS, "--services", "/no/such/services.csv", "-o", "{tmp}/m.html"],
    ["release", *INPUTS, "--target", "0", "-o", "{tmp}/r"],
    ["release", *INPUTS, "--period", "next year", "-o", "{tmp}/r"],
    ["brief", *INPUTS, "--corridor", "atlantis", "-o", "{tmp}/b.html"],
    ["brief", *INPUTS, "-o", "{tmp}/brief.docx"],
    ["brief", *INPUTS, "--lang", "fr", "-o", "{tmp}/b.html"],
    ["brief", *INPUTS, "--country", "Atlantis", "-o", "{tmp}/b.html"],
    ["sample", "--people", "many"],
    ["demo", "--out", "/proc/routes-demo"],
]


@pytest.mark.parametrize("argv", BAD_RUNS, ids=lambda argv: " ".join(argv[:1] + argv[-2:])[:60])
def test_every_command_with_a_bad_path_or_value_exits_2_without_a_traceback(
    argv: list[str], tmp_path: Path
) -> None:
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        try:
            code = main(argv)
        except SystemExit as usage:  # argparse: a usage error naming the option
            code = int(usage.code or 0)
    text = out.getvalue()
    assert code in (1, 2), text
    assert "Traceback" not in text and "internal error" not in text, text
    assert "error" in text.lower() or "rejected" in text.lower(), text
