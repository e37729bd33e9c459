"""routes.io mappings: explicit entries win, null ignores, one column per table, separators, warnings,
value tables checked against the vocabulary, presets; routes.mapping.suggest_mapping reads files back."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pandas as pd
import pytest
import yaml

from routes.errors import CaseDataError, ParameterError
from routes.io import ValidationReport, validate
from routes.places import load_gazetteer

TODAY = dt.date(2025, 1, 1)
SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
CASE_HEADER = ["case_id", "date_registered", "sex", "case_type", "consent_reporting"]
CASE_ROWS = [["C1", "2024-03-05", "female", "trafficking", "yes"],
             ["C2", "2024-04-01", "male", "smuggling", "no"]]


@pytest.fixture(scope="module")
def gaz():
    return load_gazetteer()


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    text = io.StringIO()
    csv.writer(text, lineterminator="\r\n").writerows([header, *rows])
    path.write_text(text.getvalue(), encoding="utf-8")
    return path


def cases_csv(tmp_path: Path) -> Path:
    return write_csv(tmp_path / "cases.csv", CASE_HEADER, CASE_ROWS)


def assert_reconciles(report: ValidationReport) -> None:
    summary = report.summary()
    assert (summary["accepted"] + summary["rejected"] == summary["read"]).all(), summary


def warnings_about(report: ValidationReport, column: str) -> list[str]:
    return report.warnings.loc[report.warnings["column"] == column, "warning"].tolist()


# ------------------------------------------------------------------------- explicit entries win

def _incidents(tmp_path: Path, header: list[str]) -> Path:
    rows = [["C1", "incident", "Cúcuta", "Death", "robo"], ["C2", "incident", "Pasto", "Death", "secuestro"]]
    by_name = dict(zip(["case_id", "stage", "place", "Incident Type", "Cause of Death"],
                       zip(*rows, strict=True), strict=True))
    return write_csv(tmp_path / "events.csv", header, [list(r) for r in zip(*(by_name[h] for h in header),
                                                                            strict=True)])


@pytest.mark.parametrize("header", [
    ["case_id", "stage", "place", "Incident Type", "Cause of Death"],   # the alias column comes first
    ["case_id", "stage", "place", "Cause of Death", "Incident Type"],
])
def test_explicit_column_wins_over_an_alias_whatever_the_column_order(tmp_path, gaz, header):
    report = validate(cases_csv(tmp_path), events=_incidents(tmp_path, header), gazetteer=gaz, today=TODAY,
                      mapping={"columns": {"Cause of Death": "risk"}})
    assert report.events["risk"].tolist() == ["robbery", "kidnapping"]
    assert report.column_map["events"]["Cause of Death"] == "risk"
    assert "Incident Type" in report.ignored_columns["events"]
    assert "'Cause of Death'" in warnings_about(report, "Incident Type")[0]
    assert report.n_rejected == 0


def test_explicit_column_wins_over_an_hxl_tag(tmp_path, gaz):
    header = ["case_id", "stage", "place", "Tipo", "Causa"]
    rows = [["#beneficiary+id", "#event+stage", "#loc+name", "#impact+risk", ""],
            ["C1", "incident", "Cúcuta", "Death", "robo"]]
    report = validate(cases_csv(tmp_path), events=write_csv(tmp_path / "e.csv", header, rows), gazetteer=gaz,
                      today=TODAY, mapping={"columns": {"Causa": "risk"}})
    assert report.events["risk"].tolist() == ["robbery"]
    assert "Tipo" in report.ignored_columns["events"]


def test_two_explicit_columns_for_one_field_read_the_first_and_warn(tmp_path, gaz):
    report = validate(cases_csv(tmp_path), events=_incidents(tmp_path, ["case_id", "stage", "place",
                                                                        "Incident Type", "Cause of Death"]),
                      gazetteer=gaz, today=TODAY,
                      mapping={"columns": {"Cause of Death": "risk", "Incident Type": "risk"}})
    assert report.n_rejected == 2  # "Death" is no risk: the first column in file order was read
    assert "is ignored" in warnings_about(report, "Cause of Death")[0]


# ------------------------------------------------------------------------------------- null

@pytest.mark.parametrize("as_yaml", [False, True])
def test_null_target_ignores_the_column_and_lists_it(tmp_path, gaz, as_yaml):
    header = [*CASE_HEADER, "Colegio"]
    rows = [[*CASE_ROWS[0], "x"], [*CASE_ROWS[1], "y"]]
    mapping: dict | Path = {"columns": {"sex": None, "Colegio": None}}
    if as_yaml:
        mapping = tmp_path / "m.yaml"
        mapping.write_text("columns:\n  sex: ~\n  Colegio: null\n", encoding="utf-8")
    report = validate(write_csv(tmp_path / "c.csv", header, rows), mapping=mapping, gazetteer=gaz,
                      today=TODAY)
    assert report.cases["sex"].tolist() == ["unknown", "unknown"]
    assert report.ignored_columns["cases"] == ["sex", "Colegio"]
    assert report.n_rejected == 0 and report.warnings.empty


# ------------------------------------------------------------------ one column, a field of each table

def _one_file(tmp_path: Path) -> Path:
    header = ["Incident ID", "Reported Date", "Coordinates", "Cause of Death"]
    rows = [["I1", "2024-05-02", "8.68, -77.36", "desaparición"],
            ["I2", "2024-06-10", "7.88, -72.50", "robo"]]
    return write_csv(tmp_path / "incidents.csv", header, rows)


@pytest.mark.parametrize("target", [["date_registered", "date"],
                                    {"cases": "date_registered", "events": "date"}])
def test_one_column_feeds_a_field_of_each_table_of_one_file(tmp_path, gaz, target):
    path = _one_file(tmp_path)
    mapping = {"columns": {"Incident ID": "case_id", "Reported Date": target, "Cause of Death": "risk"},
               "coordinates": {"column": "Coordinates", "order": "lat,lon"},
               "defaults": {"case_type": "smuggling", "consent_reporting": "yes", "stage": "incident"}}
    report = validate(path, events=path, mapping=mapping, gazetteer=gaz, today=TODAY)
    assert report.n_rejected == 0, report.rejected
    assert report.cases["date_registered"].tolist() == report.events["date"].tolist() == [
        pd.Timestamp("2024-05-02"), pd.Timestamp("2024-06-10")]
    assert report.events["risk"].tolist() == ["disappearance", "robbery"]
    assert not warnings_about(report, "date")
    assert_reconciles(report)


def test_steps_of_a_route_column_take_a_cases_column_mapped_to_an_events_field(tmp_path, gaz):
    header = [*CASE_HEADER, "Ruta", "Fecha"]
    rows = [[*CASE_ROWS[0], "Maracaibo > Maicao", "2024-02-01"], [*CASE_ROWS[1], "Cúcuta", "2024-03-01"]]
    report = validate(write_csv(tmp_path / "c.csv", header, rows), gazetteer=gaz, today=TODAY,
                      mapping={"columns": {"Fecha": ["date"]}})
    assert report.events["date"].tolist() == [pd.Timestamp("2024-02-01")] * 2 + [pd.Timestamp("2024-03-01")]
    assert report.n_rejected == 0 and not warnings_about(report, "date")


def test_a_column_mapped_to_another_tables_field_only_warns(tmp_path, gaz):
    header = [*CASE_HEADER, "Fecha del hecho"]
    rows = [[*r, "2024-01-01"] for r in CASE_ROWS]
    report = validate(write_csv(tmp_path / "c.csv", header, rows), gazetteer=gaz, today=TODAY,
                      mapping={"columns": {"Fecha del hecho": "date"}})
    assert "list them" in warnings_about(report, "Fecha del hecho")[0]


@pytest.mark.parametrize(("target", "message"), [
    (["date_registered", "place_registered"], "at most one field of each table"),
    ({"cases": "date"}, "not a field of the cases table"),
    ({"people": "date"}, "expected some of"),
    (3, "must be a field name"),
])
def test_a_column_cannot_feed_two_fields_of_one_table(tmp_path, gaz, target, message):
    with pytest.raises(CaseDataError, match=message):
        validate(cases_csv(tmp_path), gazetteer=gaz, mapping={"columns": {"Fecha": target}})


# -------------------------------------------------------------------------------- separators

def _risks(tmp_path: Path, cells: list[str]) -> Path:
    rows = [["C1", "transit", "Cúcuta", cell] for cell in cells]
    return write_csv(tmp_path / "e.csv", ["case_id", "stage", "place", "Riesgos"], rows)


def test_multi_valued_cells_split_at_semicolons_only_as_documented(tmp_path, gaz):
    report = validate(cases_csv(tmp_path), events=_risks(tmp_path, ["robo; extorsión", "robo, extorsión"]),
                      gazetteer=gaz, today=TODAY)
    assert report.events["risk"].tolist() == ["extortion;robbery"]
    problem = report.rejected.iloc[0]
    assert (problem["row"], problem["value"]) == (3, "robo, extorsión")
    assert "separators: {'Riesgos': ','}" in problem["hint"]
    assert_reconciles(report)


@pytest.mark.parametrize(("key", "separators", "cell"), [
    ("Riesgos", ",", "robo, extorsión"),
    ("risk", [",", " y "], "robo y extorsión, amenazas"),
    ("riesgos", " ", "robo extorsion"),          # Kobo select_multiple: names separated by spaces
])
def test_separators_per_column_or_field(tmp_path, gaz, key, separators, cell):
    report = validate(cases_csv(tmp_path), events=_risks(tmp_path, [cell]), gazetteer=gaz, today=TODAY,
                      mapping={"separators": {key: separators}})
    assert report.n_rejected == 0, report.rejected
    assert set(report.events["risk"].iloc[0].split(";")) <= {"robbery", "extortion", "threats"}
    assert "robbery" in report.events["risk"].iloc[0]


def test_a_comma_inside_one_value_stays_one_value(tmp_path, gaz):
    mapping = {"values": {"risk": {"Harsh conditions, lack of food, water": "abandonment"}}}
    report = validate(cases_csv(tmp_path),
                      events=_risks(tmp_path, ["Harsh conditions, lack of food, water; robo"]),
                      gazetteer=gaz, today=TODAY, mapping=mapping)
    assert report.events["risk"].tolist() == ["robbery;abandonment"]


def test_bad_separators_are_errors_of_the_mapping(tmp_path, gaz):
    with pytest.raises(CaseDataError, match=r"separators\['risk'\]"):
        validate(cases_csv(tmp_path), gazetteer=gaz, mapping={"separators": {"risk": ""}})


# ---------------------------------------------------------------------------------- value tables

def test_mapped_value_outside_the_vocabulary_is_an_error_naming_value_and_allowed(tmp_path, gaz):
    with pytest.raises(CaseDataError, match=r"'drowning', which is not a risk value; allowed: recruitment, "):
        validate(cases_csv(tmp_path), gazetteer=gaz,
                 mapping={"values": {"risk": {"Ahogamiento": "drowning"}}})


def test_mapped_nationality_code_outside_the_list_is_an_error(tmp_path, gaz):
    with pytest.raises(CaseDataError, match="'XX'"):
        validate(cases_csv(tmp_path), gazetteer=gaz, mapping={"values": {"nationality": {"99": "XX"}}})


def test_value_table_for_a_field_without_values_is_an_error(tmp_path, gaz):
    with pytest.raises(CaseDataError, match="not a category or a place"):
        validate(cases_csv(tmp_path), gazetteer=gaz, mapping={"values": {"case_id": {"a": "b"}}})


def test_mapped_values_may_be_labels_null_or_several_codes(tmp_path, gaz):
    mapping = {"values": {"risk": {"asalto": ["robbery", "physical_violence"], "ns": None},
                          "sex": {"1": "Mujer"}}}
    events = _risks(tmp_path, ["asalto", "ns"])
    cases = write_csv(tmp_path / "c.csv", CASE_HEADER, [[*CASE_ROWS[0][:2], "1", *CASE_ROWS[0][3:]]])
    report = validate(cases, events=events, gazetteer=gaz, today=TODAY, mapping=mapping)
    assert report.events["risk"].tolist() == ["robbery;physical_violence", ""]
    assert report.cases["sex"].tolist() == ["female"]


def test_single_valued_field_cannot_map_to_several_codes(tmp_path, gaz):
    with pytest.raises(CaseDataError, match="holds one value"):
        validate(cases_csv(tmp_path), gazetteer=gaz, mapping={"values": {"sex": {"x": "female;male"}}})


def test_value_table_that_no_column_uses_warns(tmp_path, gaz):
    report = validate(cases_csv(tmp_path), gazetteer=gaz, today=TODAY,
                      mapping={"values": {"ethnicity": {"wayuu": "indigenous"}}})
    assert "no column is read as ethnicity" in warnings_about(report, "ethnicity")[0]


# ------------------------------------------------------------------------------------ warnings

def test_events_without_a_date_column_warn_in_the_report_and_its_summary(tmp_path, gaz):
    report = validate(cases_csv(tmp_path), events=_risks(tmp_path, ["robo", "amenaza"]), gazetteer=gaz,
                      today=TODAY)
    assert report.n_rejected == 0
    assert "2 events have no date" in warnings_about(report, "date")[0]
    assert report.summary().loc["events", "warnings"] == 1
    assert "2 events have no date" in report._repr_html_()


def test_a_route_column_without_dates_warns(tmp_path, gaz):
    header = [*CASE_HEADER, "Ruta"]
    rows = [[*CASE_ROWS[0], "Maracaibo > Maicao"], [*CASE_ROWS[1], ""]]
    report = validate(write_csv(tmp_path / "c.csv", header, rows), gazetteer=gaz, today=TODAY)
    assert warnings_about(report, "date")


def test_defaults_for_every_row_are_stated(tmp_path, gaz):
    header = [h for h in CASE_HEADER if h != "case_type"]
    rows = [[c for h, c in zip(CASE_HEADER, r, strict=True) if h != "case_type"] for r in CASE_ROWS]
    report = validate(write_csv(tmp_path / "c.csv", header, rows), gazetteer=gaz, today=TODAY,
                      mapping={"defaults": {"case_type": "trafficking"}})
    assert "every row takes 'trafficking'" in warnings_about(report, "case_type")[0]


# ------------------------------------------------------------------------------------- presets

CTDC_HEADER = ["", "yearOfRegistration", "gender", "ageBroad", "citizenship", "isSexualExploit",
               "isForcedLabour", "meansOfControlThreats", "meansOfControlDebtBondage"]
CTDC_ROWS = [["0", "2019", "Female", "18--20", "VE", "1.0", "0.0", "1", "-99"],
             ["1", "2020", "Male", "30--38", "0", "0.0", "1.0", "0", "1"],
             ["2", "2021", "Female", "-99", "UA", "-99", "1", "-99", "-99"]]


def test_ctdc_preset_reads_a_raw_ctdc_file_with_no_hand_mapping(tmp_path, gaz):
    report = validate(write_csv(tmp_path / "ctdc.csv", CTDC_HEADER, CTDC_ROWS), preset="ctdc", gazetteer=gaz,
                      today=TODAY)
    assert report.n_rejected == 0, report.rejected
    cases = report.cases
    assert cases["case_id"].tolist() == ["ctdc-row-2", "ctdc-row-3", "ctdc-row-4"]
    assert cases["nationality"].tolist() == ["VEN", "unknown", "UKR"]
    assert cases["case_type"].tolist() == ["trafficking"] * 3
    assert cases["exploitation_type"].tolist() == ["sexual", "forced_labour", "forced_labour"]
    assert report.ignored_columns["cases"] == ["(unnamed column 1)"]
    stated = " ".join(report.warnings["warning"])
    assert "CTDC's files hold identified victims" in stated and "consent_reporting" in stated
    assert "CTDC publishes no case id" in stated
    assert_reconciles(report)


def test_the_users_mapping_wins_over_the_preset(tmp_path, gaz):
    header = [*CTDC_HEADER, "Victim"]
    rows = [[*r, f"V{i}"] for i, r in enumerate(CTDC_ROWS)]
    report = validate(write_csv(tmp_path / "ctdc.csv", header, rows), preset="ctdc", gazetteer=gaz,
                      today=TODAY, mapping={"columns": {"Victim": "case_id"},
                                            "defaults": {"consent_reporting": "no"}})
    assert report.cases["case_id"].tolist() == ["V0", "V1", "V2"]
    assert report.cases["consent_reporting"].tolist() == ["no"] * 3
    assert "CTDC" not in " ".join(warnings_about(report, "consent_reporting"))


def test_an_unknown_preset_is_a_parameter_error(tmp_path, gaz):
    with pytest.raises(ParameterError, match="ctdc, htcds"):
        validate(cases_csv(tmp_path), preset="kobo", gazetteer=gaz)


def test_mapping_file_of_comments_only_maps_nothing(tmp_path, gaz):
    path = tmp_path / "m.yaml"
    path.write_text("# nothing yet\n", encoding="utf-8")
    assert validate(cases_csv(tmp_path), mapping=path, gazetteer=gaz, today=TODAY).n_rejected == 0



# ------------------------------------------------------------------------------- mapping suggest

def _suggested(path: Path, tmp_path: Path, gaz) -> Path:
    from routes.mapping import suggest_mapping

    target = tmp_path / f"{path.stem}.mapping.yaml"
    target.write_text(suggest_mapping(path, gazetteer=gaz).to_yaml(), encoding="utf-8")
    return target


def test_suggested_mapping_reads_the_bundled_sample_as_without_a_mapping(tmp_path, gaz):
    cases, events = SAMPLE / "cases.csv", SAMPLE / "events.csv"
    for path in (cases, events):
        report = validate(cases, events=events, mapping=_suggested(path, tmp_path, gaz), gazetteer=gaz)
        assert report.n_rejected == 0 and report.warnings.empty, report.warnings
        assert report.summary().loc[["cases", "events"], "read"].tolist() == [1969, 11554]
        assert_reconciles(report)


FIELD_OFFICE = ["No. Caso", "Fecha de atención", "Sexo", "Edad", "País de origen", "Tipo de caso",
                "Consentimiento informado", "Medios de control", "datos/etnia", "Municipio", "Colegio"]
FIELD_ROWS = [
    ["FO-1", "05/03/2024", "Mujer", "24", "Venezuela", "Trata", "Sí", "amenazas, deuda", "Wayuu", "Maicao",
     "x"],
    ["FO-2", "06/03/2024", "Femenio", "31", "Colombia", "Tráfico", "No", "", "ninguna", "Cucta", "y"],
    ["FO-3", "07/03/2024", "Hombre", "17", "VE", "Contrabando", "Sí", "engaño", "", "Riohacha", ""],
    ["FO-4", "08/03/2024", "Hombre", "40", "Ecuador", "Trata", "Sí", "amenazas", "afro", "Pasto", "z"],
]


def test_suggested_mapping_reads_a_spanish_field_office_file(tmp_path, gaz):
    from routes.mapping import suggest_mapping

    path = write_csv(tmp_path / "oficina.csv", FIELD_OFFICE, FIELD_ROWS)
    suggestion = suggest_mapping(path, gazetteer=gaz)
    columns = suggestion.mapping["columns"]
    assert columns["No. Caso"] == "case_id" and columns["datos/etnia"] == "ethnicity"
    assert columns["Colegio"] is None and columns["Fecha de atención"] == "date_registered"
    assert suggestion.mapping["separators"] == {"Medios de control": [";", ","]}
    assert suggestion.mapping["values"]["sex"] == {"Femenio": "female"}
    assert suggestion.mapping["values"]["place_registered"] == {"Cucta": "Cúcuta"}
    assert suggestion.unplaced_values["case_type"] == ["Contrabando"]
    assert '# "Contrabando": ?' in suggestion.to_yaml()

    report = validate(path, mapping=_suggested(path, tmp_path, gaz), gazetteer=gaz, today=TODAY)
    assert report.summary().loc["cases"].tolist()[:4] == [4, 3, 1, True]
    assert report.rejected["value"].tolist() == ["Contrabando"]
    cases = report.cases.set_index("case_id")
    assert cases.loc["FO-1", "means_of_control"] == "debt_bondage;threats"
    assert cases.loc["FO-2", ["sex", "place_registered_id"]].tolist() == ["female", "co-cucuta"]
    assert cases["ethnicity"].tolist() == ["indigenous", "none", "afrodescendant"]
    assert report.ignored_columns["cases"] == ["Colegio"]


@pytest.mark.parametrize(("cells", "order"), [(["8.68, -77.36", "7.88,-72.5"], "lat,lon"),
                                              (["-77.36; 8.68", "(-72.5, 7.88)"], "lon,lat")])
def test_suggest_finds_a_coordinate_text_column_and_its_order(tmp_path, gaz, cells, order):
    from routes.mapping import suggest_mapping

    path = write_csv(tmp_path / "incidentes.csv", ["Incident ID", "Fecha", "Coordinates"],
                     [["I1", "2024-05-02", cells[0]], ["I2", "2024-06-10", cells[1]]])
    suggestion = suggest_mapping(path, gazetteer=gaz)
    assert suggestion.mapping["coordinates"] == {"column": "Coordinates", "order": order}
    assert suggestion.mapping["columns"]["Fecha"] == ["date_registered", "date"]
    assert "stage" in suggestion.missing and "case_type" in suggestion.missing
    mapping = yaml.safe_load(suggestion.to_yaml())
    mapping["defaults"] = {"stage": "incident", "case_type": "smuggling", "consent_reporting": "yes"}
    report = validate(path, events=path, mapping=mapping, gazetteer=gaz, today=TODAY)
    assert report.n_rejected == 0, report.rejected
    assert report.events["lat"].round(2).tolist() == [8.68, 7.88]
    assert report.events["date"].notna().all()


def test_the_documented_mapping_example_loads():
    import re

    from routes._mapping_spec import MappingSpec

    doc = (SAMPLE.parents[1] / "docs" / "case-data-standard.md").read_text(encoding="utf-8")
    block = re.search(r"## Mappings.*?```yaml\n(.*?)```", doc, re.S).group(1)
    spec = MappingSpec.load(yaml.safe_load(block))
    assert spec.columns["incidenttype"] == () and spec.columns["fecha"] == ("date_registered", "date")
    assert spec.values["risk"]["asalto"] == "robbery;physical_violence"
