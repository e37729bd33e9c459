"""Property: whatever happens to a valid export, the reader counts every row or raises CaseDataError.

A small valid cases + events pair is mutated at random (cells replaced with random text, unicode or
blanks; rows deleted or duplicated; columns dropped or renamed; the delimiter changed; the file
truncated; random bytes spliced in). Reading must then either return with accepted + rejected = read
for every table, or raise :class:`routes.errors.CaseDataError`, and never any other exception.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from routes.errors import CaseDataError
from routes.io import validate
from routes.places import load_gazetteer

TODAY = dt.date(2025, 1, 1)
CASES = [
    ["case_id", "fecha de registro", "sexo", "grupo de edad", "nacionalidad", "tipo de caso",
     "consentimiento", "medios de control", "municipio", "ruta"],
    ["C1", "05/03/2024", "Femenino", "18-29", "VEN", "trata", "sí", "amenazas;deuda", "Cúcuta",
     "Maracaibo > Maicao > Bogotá"],
    ["C2", "2024-04-01", "M", "30-38", "COL", "tráfico", "no", "", "Bogotá", ""],
    ["C3", "2024-04-02", "F", "9-17", "VEN", "ambos", "si", "threats", "Pasto", "Cúcuta > Pasto"],
]
EVENTS = [
    ["case_id", "paso", "fecha", "etapa", "lugar", "latitud", "longitud", "cruce", "riesgos"],
    ["C1", "1", "2024-01-10", "captación", "Maracaibo", "", "", "", ""],
    ["C1", "2", "2024-01-12", "tránsito", "", "7.8", "-72.4", "trocha", "robo;extorsión"],
    ["C2", "1", "", "recruitment", "Cúcuta", "", "", "", ""],
    ["C3", "1", "2024-02-01", "transit", "Pasto", "1.21", "-77.28", "", ""],
]

cell_text = st.one_of(
    st.just(""),
    st.text(max_size=12),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=6),
    st.sampled_from(["0", "-99", "0,0", "95", "31/02/2024", "2099-01-01", "45356", "#beneficiary+id",
                     "Femenio", "Cucta", ";;", '"', "\n", "C1", "nan", "∞", "1e400"]),
)


@st.composite
def mutated_table(draw: st.DrawFn, table: list[list[str]]) -> list[list[str]]:
    rows = [list(r) for r in table]
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(["cell", "delete_row", "duplicate_row", "drop_column", "rename_column"]))
        if kind == "cell":
            r, c = draw(st.integers(0, len(rows) - 1)), draw(st.integers(0, len(rows[0]) - 1))
            if c < len(rows[r]):
                rows[r][c] = draw(cell_text)
        elif kind == "delete_row" and len(rows) > 1:
            del rows[draw(st.integers(1, len(rows) - 1))]
        elif kind == "duplicate_row":
            r = draw(st.integers(0, len(rows) - 1))
            rows.insert(r, list(rows[r]))
        elif kind == "drop_column" and len(rows[0]) > 1:
            c = draw(st.integers(0, len(rows[0]) - 1))
            rows = [row[:c] + row[c + 1:] for row in rows]
        elif kind == "rename_column":
            rows[0][draw(st.integers(0, len(rows[0]) - 1))] = draw(cell_text)
    return rows


@st.composite
def mutated_file(draw: st.DrawFn, table: list[list[str]]) -> bytes:
    text = io.StringIO()
    delimiter = draw(st.sampled_from([",", ";", "\t", "|"]))
    csv.writer(text, delimiter=delimiter, lineterminator="\r\n").writerows(draw(mutated_table(table)))
    data = text.getvalue().encode(draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16"])),
                                  errors="replace")
    if draw(st.booleans()):
        data = data[: draw(st.integers(0, len(data)))]
    if draw(st.integers(0, 3)) == 0:
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.binary(min_size=1, max_size=40)) + data[at:]
    return data


@pytest.fixture(scope="module")
def gaz():
    return load_gazetteer()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(cases=mutated_file(CASES), events=mutated_file(EVENTS))
def test_mutated_exports_reconcile_or_raise_case_data_error(tmp_path, gaz, cases, events):
    cases_path, events_path = tmp_path / "cases.csv", tmp_path / "events.csv"
    cases_path.write_bytes(cases)
    events_path.write_bytes(events)
    try:
        report = validate(cases_path, events=events_path, gazetteer=gaz, today=TODAY)
    except CaseDataError:
        return
    summary = report.summary()
    assert (summary["accepted"] + summary["rejected"] == summary["read"]).all(), summary
    assert summary["accepted"].tolist() == [len(report.cases), len(report.events)]
    assert report.n_accepted + report.n_rejected == sum(report.n_read.values())
    assert set(report.events["case_id"]) <= set(report.cases["case_id"])
    # every rejected row has at least one listed problem (errors="raise" raises exactly when one is listed)
    assert report.n_rejected == 0 or len(report.rejected) > 0
    assert report.rejected["row"].dropna().isin(
        [*range(1, 200)]).all(), "rows are spreadsheet rows of the file"
