"""A KoboToolbox export read with its XLSForm: the form maps once, every export of it reads."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pytest
import yaml
from shapes import kobo_export as export
from shapes import xlsform

from routes.errors import CaseDataError
from routes.io import validate
from routes.kobo import form_mapping
from routes.mapping import suggest_mapping

TODAY = dt.date(2025, 1, 1)


def test_the_form_places_questions_by_name_label_or_choices_and_choices_on_codes(tmp_path) -> None:
    suggestion = form_mapping(xlsform(tmp_path / "form.xlsx"))
    columns, values = suggestion.mapping["columns"], suggestion.mapping["values"]
    assert columns["perfil/sexo"] == columns["Sexo"] == columns["Sex"] == "sex"
    assert columns["autoriza"] == "consent_reporting"  # placed by its choices (Sí/No), not its name
    assert columns["ruta/recorrido"] == "route" and columns["fecha"] == ["date_registered", "date"]
    assert columns["_uuid"] is None and columns["medio"] is None  # metadata, and no field of the standard
    assert suggestion.mapping["separators"]["ruta/riesgos"] == [" "]
    assert values["risk"]["abuso_sexual"] == values["risk"]["Abuso sexual"] == "sexual_abuse"
    assert suggestion.unplaced_values["risk"] == ["otro"]  # listed, never guessed
    assert values["sex"] == {"f": "female", "Mujer": "female", "Woman": "female",
                             "m": "male", "Hombre": "male", "Man": "male"}


def test_a_kobo_export_reads_with_the_mapping_its_form_gives(tmp_path) -> None:
    form = xlsform(tmp_path / "form.xlsx")
    suggestion = suggest_mapping(export(tmp_path / "export.csv"), form=form)
    mapping = yaml.safe_load(suggestion.to_yaml())  # the YAML an analyst keeps, read back
    report = validate(tmp_path / "export.csv", mapping=mapping, today=TODAY)
    summary = report.summary()
    assert summary.loc["cases", "read"] == 3 == summary.loc["cases", "accepted"], report.rejected
    cases = report.cases.set_index("case_id")
    assert cases.loc["K-1", "sex"] == "female" and cases.loc["K-2", "case_type"] == "smuggling"
    assert cases["consent_reporting"].tolist() == ["yes", "no", "yes"]
    assert report.events.groupby("case_id").size().to_dict() == {"K-1": 3, "K-2": 3, "K-3": 2}
    assert summary["reconciles"].all()
    assert set(report.ignored_columns["cases"]) >= {"_id", "_uuid", "start", "medio"}


def test_an_export_with_label_headers_and_label_values_reads_with_the_same_form(tmp_path) -> None:
    form = xlsform(tmp_path / "form.xlsx")
    header = ["Código del caso", "Fecha de atención", "Sexo", "Tipo de caso", "Ruta seguida",
              "¿Autoriza el reporte?"]
    rows = [["K-9", "2024-04-01", "Mujer", "Trata de personas", "Cúcuta > Bogotá", "Sí"]]
    path = export(tmp_path / "labels.csv", header, rows)
    mapping = form_mapping(form).mapping  # one mapping for both export shapes
    report = validate(path, mapping=mapping, today=TODAY)
    assert report.summary().loc["cases", "rejected"] == 0, report.rejected
    assert report.cases[["sex", "case_type", "consent_reporting"]].values.tolist() == [
        ["female", "trafficking", "yes"]]


def test_a_file_that_is_not_an_xlsform_is_refused_with_its_name(tmp_path) -> None:
    path = tmp_path / "notaform.xlsx"
    openpyxl.Workbook().save(path)
    with pytest.raises(CaseDataError, match=r"notaform\.xlsx: not a readable XLSForm"):
        form_mapping(path)
