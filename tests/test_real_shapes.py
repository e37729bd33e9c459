"""Real third-party files end to end: built in their published shapes (``tests/shapes.py``), read,
validated, turned into a network or hotspots, published, opened in chromium, and briefed.

Every test reconciles its counts: rows accepted + rows rejected = rows read, per table.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import html
import io
import re
from pathlib import Path

import pandas as pd
import pycountry
import pytest
import yaml
from shapes import (
    KOBO_HEADER,
    MMP_CAUSES,
    ctdc_derived,
    ctdc_raw,
    kobo_export,
    kobo_rows,
    missing_migrants_americas,
    xlsform,
)

from routes import maps
from routes.briefs import release_brief, route_brief
from routes.cli import main
from routes.io import ValidationReport, validate
from routes.mapping import suggest_mapping
from routes.network import UNATTACHED_NO_JOURNEYS, RouteNetwork
from routes.patterns import NAMED_WITHIN_KM, hotspots
from routes.places import NEAR_WITHIN_KM, load_gazetteer
from routes.privacy import DisclosurePolicy
from routes.publish import Release
from routes.schema import SEVERAL

SOURCE = "IOM Missing Migrants Project"
LICENCE = "CC BY 4.0"
TODAY = dt.date(2025, 1, 1)
INCIDENT_DEFAULTS = {"stage": "incident", "case_type": "smuggling", "consent_reporting": "unknown"}


def reconciles(report: ValidationReport) -> bool:
    """Accepted + rejected = read, for each table and in all."""
    summary = report.summary()
    by_table = bool((summary["accepted"] + summary["rejected"] == summary["read"]).all())
    return by_table and report.n_accepted + report.n_rejected == sum(report.n_read.values())


def text_of(page: str) -> str:
    """The words of an HTML page (styles and scripts left out)."""
    return " ".join(re.sub(r"<[^>]+>", " ", re.sub(r"<(style|script).*?</\1>", "", page, flags=re.S)).split())


def mmp_mapping(path: Path) -> dict:
    """The suggested mapping as an analyst keeps it (YAML read back), with what only a person can
    decide: the causes of death that are risks of the standard, and the defaults of an incident file."""
    mapping = yaml.safe_load(suggest_mapping(path).to_yaml())
    mapping["columns"]["Cause of Death"] = "risk"
    mapping["values"] = {**mapping.get("values", {}),
                         "risk": {"Violence": "physical_violence", "Drowning": None, MMP_CAUSES[2]: None}}
    mapping["defaults"] = INCIDENT_DEFAULTS
    return mapping


def read_mmp(path: Path) -> ValidationReport:
    return validate(path, events=path, mapping=mmp_mapping(path), today=TODAY)


def mmp_release(report: ValidationReport) -> Release:
    policy = DisclosurePolicy.public_source(source=SOURCE, licence=LICENCE)
    return Release.build(report.cases, report.events, policy=policy, corridors=(), dataset="mmp")


def run_cli(argv: list[str]) -> tuple[int, str]:
    """The command's exit code and everything it printed, on one line."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        code = main(argv)
    return code, " ".join(out.getvalue().split())


# ----------------------------------------------------------------- a Missing Migrants Project file


def test_suggest_reads_a_missing_migrants_file_for_what_each_column_is(tmp_path) -> None:
    suggestion = suggest_mapping(missing_migrants_americas(tmp_path / "mmp.csv"))
    columns = suggestion.mapping["columns"]
    assert columns["Main ID"] == "case_id" and columns["Incident ID"] is None
    assert columns["Incident Date"] == ["date_registered", "date"]
    assert columns["Total Number of Dead and Missing"] == "weight"
    assert columns["Country of Origin"] == "nationality"
    assert suggestion.mapping["separators"]["Country of Origin"] == [";", ","]
    assert suggestion.mapping["coordinates"] == {"column": "Coordinates", "order": "lat,lon"}
    # counts are no step number nor an identifier; a route label is ignored, and said to be one
    assert columns["Number of Dead"] is None and columns["Minimum Estimated Number of Missing"] is None
    assert columns["Migration Route"] is None
    yaml_text = suggestion.to_yaml()
    assert '"Migration Route": null   # a route label (names a corridor' in yaml_text
    assert "values that differ read as 'several'" in yaml_text
    # the free-text locations it cannot place are listed for a person, never guessed
    assert suggestion.unplaced_values["place"] == ["Darien jungle, Panama", "Ankara, Türkiye"]


def test_a_missing_migrants_file_reads_its_origins_weights_and_outlier_as_documented(tmp_path) -> None:
    path = missing_migrants_americas(tmp_path / "mmp.csv", n=60)
    table = pd.read_csv(path)
    report = read_mmp(path)
    summary = report.summary()
    assert reconciles(report) and summary["read"].tolist() == [60, 60]
    assert summary["accepted"].tolist() == [58, 59]
    rejected = report.rejected
    records = rejected[rejected["table"].eq("cases")].set_index("row")["hint"]
    assert records[3].startswith("another event of the record of row 2")
    outlier = rejected[rejected["table"].eq("events")].iloc[0]
    assert (outlier["row"], outlier["value"], outlier["hint"]) == (61, "39.93, 32.86", "falls in Türkiye")
    # the outlier's record is not counted where it cannot be placed
    assert records[61] == ("every row of this record was rejected as an event (row 61), so it cannot be "
                           "placed or dated")
    # listed origins: values that agree are that nationality, values that differ 'several',
    # unknown parts add nothing
    nationality = report.cases.set_index("case_id")["nationality"]
    origin = table.drop_duplicates("Main ID").set_index("Main ID")["Country of Origin"]
    read = pd.DataFrame({"origin": origin, "nationality": nationality.reindex(origin.index)}).dropna()
    assert read.groupby("origin")["nationality"].unique().map(list).to_dict() == {
        "Venezuela (Bolivarian Republic of)": ["VEN"],
        "Venezuela (Bolivarian Republic of),Colombia": [SEVERAL], "Honduras,Unknown": ["HND"],
        "Haiti": ["HTI"], "Ecuador": ["ECU"], "Unknown": ["unknown"]}
    # weights: each record's people affected is the sum over its rows (a split incident adds up)
    accepted = table.drop(index=len(table) - 1)  # the outlier's row
    expected = accepted.groupby("Main ID")["Total Number of Dead and Missing"].sum()
    assert report.events.groupby("case_id")["weight"].sum().to_dict() == expected.to_dict()
    # the route label is not read at all, and said so; nothing in the tables comes from it
    assert "Migration Route" in report.ignored_columns["cases"]
    assert "Migration Route" in report.ignored_columns["events"]
    # free text: 4 of the 5 sites resolve ("near X", "N km from X", "Town, Admin1, Country"); the
    # others are placed by their coordinates, with a warning naming them
    located = report.events.assign(site=accepted.set_index("Main ID")["Location of Incident"]
                                   .groupby(level=0).first().reindex(report.events["case_id"]).to_numpy())
    resolved = located.groupby("site")["place_id"].first().to_dict()
    assert pd.isna(resolved.pop("Darien jungle, Panama"))
    assert {site: load_gazetteer().places.loc[pid, "name"] for site, pid in resolved.items()} == {
        "near Necoclí, Antioquia, Colombia": "Necoclí", "2 km from Puerto Obaldía": "Puerto Obaldía",
        "Villa del Rosario, Norte de Santander, Colombia": "Villa del Rosario",
        "Tapachula, Chiapas, Mexico": "Tapachula"}
    assert "'Darien jungle, Panama'" in " ".join(report.warnings["warning"])


def test_listed_origins_without_a_separator_are_rejected_naming_the_entry_that_reads_them(tmp_path) -> None:
    path = missing_migrants_americas(tmp_path / "mmp.csv", n=12)
    mapping = mmp_mapping(path)
    del mapping["separators"]
    report = validate(path, events=path, mapping=mapping, today=TODAY)
    assert reconciles(report)
    listed = report.rejected[report.rejected["column"].eq("Country of Origin")]
    assert set(listed["value"]) == {"Venezuela (Bolivarian Republic of),Colombia", "Honduras,Unknown"}
    assert listed["hint"].str.contains("map separators: {'Country of Origin': ','}", regex=False).all()
    assert listed["expected"].eq("a single nationality value").all()


def test_a_route_label_mapped_as_a_route_is_not_taken_for_journeys_and_the_report_says_so(tmp_path) -> None:
    path = missing_migrants_americas(tmp_path / "mmp.csv", n=12)
    mapping = mmp_mapping(path)
    mapping["columns"]["Migration Route"] = "route"
    report = validate(path, events=path, mapping=mapping, today=TODAY)
    assert reconciles(report) and report.n_read["events"] == 12  # one event a row, as before
    warned = report.warnings.set_index("column")["warning"]
    assert warned["Migration Route"].startswith("the route column is not read: its cells hold no journey")


def test_an_incident_only_network_names_the_real_cause_of_what_it_cannot_attach(tmp_path) -> None:
    report = read_mmp(missing_migrants_americas(tmp_path / "mmp.csv"))
    network = RouteNetwork.from_events(report.events, cases=report.cases)
    assert len(network.segments) == 0 and len(network.places) == 4
    # "Darien jungle, Panama" resolves to no place and its points lie far from any: no segment to
    # snap to is the cause, not a radius
    assert set(network.unattached["reason"]) == {UNATTACHED_NO_JOURNEYS}
    assert "no journeys: flows need at least two steps per person" in UNATTACHED_NO_JOURNEYS
    reconciliation = network.reconciliation().set_index("status")
    assert reconciliation.loc["total", "n_events"] == len(report.events)


def test_routes_network_on_an_incident_file_lists_places_and_why_events_stay_unattached(
    tmp_path, monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)
    path = missing_migrants_americas(tmp_path / "mmp.csv")
    (tmp_path / "m.yaml").write_text(yaml.safe_dump(mmp_mapping(path), allow_unicode=True), encoding="utf-8")
    code, said = run_cli(["network", "mmp.csv", "--events", "mmp.csv", "--mapping", "m.yaml"])
    assert code == 0, said
    assert "Places with most incidents (no journeys: no chokepoints or segments)" in said
    assert "Necoclí" in said and "Chokepoints" not in said
    assert UNATTACHED_NO_JOURNEYS in said and "beyond snapping radius" not in said


@pytest.mark.browser
def test_a_missing_migrants_file_is_published_drawn_in_chromium_and_briefed(tmp_path, open_offline) -> None:
    """validate → network and hotspots → public-source release → map in chromium → brief."""
    report = read_mmp(missing_migrants_americas(tmp_path / "mmp.csv"))
    release = mmp_release(report)
    assert release.audit.passed and release.withheld == {}
    weights = report.events.groupby("case_id")["weight"].sum()
    places = release.layers.places.dropna(subset=["n_people"])
    network = RouteNetwork.from_events(report.events, cases=report.cases)
    members = network.place_people.drop_duplicates(["place_id", "case_id"])
    truth = members.groupby("place_id")["case_id"].agg(lambda ids: int(weights.loc[ids].sum()))
    assert places["n_people"].astype(int).reindex(truth.index).tolist() == truth.tolist()

    page = maps.save_map(maps.release_map(release, lang="es", offline=True), tmp_path / "mmp.html")
    for viewport in ((1400, 900), (390, 844)):
        loaded = open_offline(page, viewport=viewport, wait_for=".leaflet-routes-places-pane path")
        drawn = loaded.page.evaluate("(pane) => document.querySelectorAll(pane).length",
                                     ".leaflet-routes-places-pane path")
        assert drawn == len(places) == 4
        assert loaded.page.locator(".leaflet-routes-hexagons-pane path").count() > 0
        assert loaded.problems == []
        loaded.screenshot(f"real-shapes-mmp-{viewport[0]}")
    text = html.unescape(page.read_text(encoding="utf-8").replace("\\u0026", "&"))
    assert f"Fuente: {SOURCE} ({LICENCE})." in text and "Personas afectadas (según la fuente)" in text

    brief = text_of(release_brief(release, lang="en").html)
    assert f"{SOURCE} recorded {int(weights.sum())} people affected" in brief
    assert "not people assisted" in brief and f"Source: {SOURCE} ({LICENCE})." in brief


def test_route_map_draws_a_network_without_segments_with_its_hotspots(tmp_path) -> None:
    """``route_map`` + ``save_map`` on incidents only (it raised "The field u_name is not available"):
    places and hotspot areas drawn, no flow layer; a hotspot is named after a place only near one."""
    path = missing_migrants_americas(tmp_path / "mmp.csv")
    table = pd.read_csv(path)
    remote = table.iloc[2:8].assign(  # deep in the Amazon, in the study region, far from any place
        **{"Main ID": [f"AMZ-{i}" for i in range(6)], "Location of Incident": "Amazon river",
           "Coordinates": [f"{-5.5 + i / 100:.2f}, {-67.5 + i / 100:.2f}" for i in range(6)]})
    pd.concat([table, remote]).to_csv(path, index=False)
    report = read_mmp(path)
    assert reconciles(report)
    network = RouteNetwork.from_events(report.events, cases=report.cases)
    policy = DisclosurePolicy.public_source(source=SOURCE, licence=LICENCE)
    hot = hotspots(report.events, radius_km=10, min_people=2, weight="weight")  # people affected
    records = hotspots(report.events, radius_km=10, min_people=2)  # one record, one person
    assert records["n_people"].sum() < hot["n_people"].sum() <= report.events["weight"].sum()
    named = hot[hot["place"].ne("")]
    assert (named["distance_m"] <= NAMED_WITHIN_KM * 1000).all()
    assert hot.loc[hot["place"].eq(""), "distance_m"].gt(NAMED_WITHIN_KM * 1000).all()
    assert "Necoclí" in set(named["place"]) and NEAR_WITHIN_KM == NAMED_WITHIN_KM
    assert hot["place"].eq("").sum() == 1  # the Amazon's: hundreds of km from the nearest place
    page = maps.save_map(maps.route_map(network, hotspots=hot, policy=policy, lang="es", offline=True),
                         tmp_path / "incidents.html")
    text = html.unescape(page.read_text(encoding="utf-8").replace("\\u0026", "&"))  # escaped twice
    assert "Sin recorridos: los flujos necesitan al menos dos pasos por persona" in text
    assert re.search(r"Necoclí · \d+ km", text)
    assert f"zona sin nombre (ningún lugar a menos de {NAMED_WITHIN_KM:g} km)" in text


def test_route_map_draws_hotspots_none_of_which_has_a_common_risk(tmp_path) -> None:
    report = read_mmp(missing_migrants_americas(tmp_path / "mmp.csv"))
    events = report.events.assign(risk="")
    network = RouteNetwork.from_events(events, cases=report.cases)
    policy = DisclosurePolicy.public_source(source=SOURCE, licence=LICENCE)
    hot = hotspots(events, radius_km=10, min_people=2)
    assert len(hot)
    shown, hidden = maps.published_hotspots(hot, policy=policy)
    assert len(shown) + hidden == len(hot) and len(shown) and (shown["risks"] == "").all()
    maps.save_map(maps.route_map(network, hotspots=hot, policy=policy, lang="en", offline=True),
                  tmp_path / "m.html")
    assert (tmp_path / "m.html").stat().st_size > 0


def test_routes_brief_on_an_incident_file_says_what_it_can_and_cannot_show(tmp_path) -> None:
    report = read_mmp(missing_migrants_americas(tmp_path / "mmp.csv"))
    network = RouteNetwork.from_events(report.events, cases=report.cases)
    policy = DisclosurePolicy.public_source(source=SOURCE, licence=LICENCE)
    brief = text_of(route_brief(network, cases=report.cases, lang="en", policy=policy).html)
    assert f"{SOURCE} recorded" in brief and "not people assisted" in brief
    assert "No modus-operandi pattern was estimated" in brief


def test_routes_brief_on_an_incident_file_briefs_people_affected_or_says_why_it_cannot(
    tmp_path, monkeypatch
) -> None:
    """Under the default policy nobody in a public incident file consented: the command says so and
    exits 2 (no traceback); as already-public data it briefs the people affected, attributed."""
    monkeypatch.chdir(tmp_path)
    path = missing_migrants_americas(tmp_path / "mmp.csv")
    (tmp_path / "m.yaml").write_text(yaml.safe_dump(mmp_mapping(path), allow_unicode=True), encoding="utf-8")
    base = ["brief", "mmp.csv", "--events", "mmp.csv", "--mapping", "m.yaml", "--lang", "en", "-o", "b.html"]
    code, said = run_cli(base)
    assert code == 2 and "no consenting person registered in 2023: nothing to publish" in said
    assert "--policy public-source --source" in said  # no one consented at all: the way out is named
    assert "Traceback" not in said and not (tmp_path / "b.html").exists()
    code, said = run_cli([*base, "--policy", "public-source", "--source", SOURCE, "--licence", LICENCE])
    assert code == 0, said
    weights = read_mmp(path).events["weight"].sum()
    brief = text_of((tmp_path / "b.html").read_text(encoding="utf-8"))
    assert f"{SOURCE} recorded {int(weights)} people affected" in brief
    assert f"Source: {SOURCE} ({LICENCE})." in brief


def test_the_brief_of_an_incident_file_names_where_incidents_are_and_that_it_has_no_journeys(
    tmp_path,
) -> None:
    release = mmp_release(read_mmp(missing_migrants_americas(tmp_path / "mmp.csv")))
    brief = text_of(release_brief(release, lang="en").html)
    where = brief.split("Where it happens", 1)[1].split("Suggested actions", 1)[0]
    assert "Necoclí" in where and "Tapachula" in where
    assert "flows need at least two steps per person" in brief


# ------------------------------------------------------------------------------------------ CTDC


@pytest.mark.parametrize("build", [ctdc_raw, ctdc_derived], ids=["raw", "derived"])
def test_a_ctdc_file_reads_with_the_preset_keeping_every_known_code(tmp_path, build) -> None:
    path = build(tmp_path / "ctdc.csv", n=400)
    report = validate(path, preset="ctdc", today=TODAY)
    assert reconciles(report) and report.n_read["cases"] == 400
    assert report.n_accepted >= 0.99 * 400, report.rejected.head()
    citizenship = pd.read_csv(path, dtype=str, keep_default_na=False)["citizenship"]
    known = {c.alpha_2: c.alpha_3 for c in pycountry.countries}
    expected = citizenship.map(known).fillna("unknown")
    ids = report.cases["case_id"].str.removeprefix("ctdc-row-").astype(int) - 2
    assert report.cases["nationality"].tolist() == expected.iloc[ids].tolist()  # none turned unknown
    assert (report.cases["nationality"].ne("unknown") == citizenship.iloc[ids].isin(known).to_numpy()).all()
    release = Release.build(report.cases, report.events, corridors=(), dataset=f"ctdc-{build.__name__}")
    brief = text_of(release_brief(release, lang="en").html)
    assert re.search(r"\b\d[\d,]* people assisted", brief) and "reported cases, not prevalence" in brief


# ----------------------------------------------------------------------------------- KoboToolbox


@pytest.mark.browser
def test_a_kobo_export_maps_once_from_its_form_and_is_published_and_drawn(tmp_path, open_offline,
                                                                           monkeypatch) -> None:
    """``routes mapping suggest --form`` → validate → network → release → map in chromium → brief."""
    monkeypatch.chdir(tmp_path)
    xlsform(tmp_path / "form.xlsx")
    kobo_export(tmp_path / "export.csv", KOBO_HEADER, kobo_rows(60))
    code, said = run_cli(["mapping", "suggest", "export.csv", "--form", "form.xlsx", "-o", "mapping.yaml"])
    assert code == 0, said
    report = validate("export.csv", mapping="mapping.yaml", today=TODAY)
    assert reconciles(report) and report.n_rejected == 0, report.rejected
    assert report.n_read["cases"] == 60
    assert report.events["risk"].str.contains("extortion").any()
    network = RouteNetwork.from_events(report.events, cases=report.cases)
    assert len(network.segments) > 0
    release = Release.build(report.cases, report.events, corridors=("andean",), dataset="kobo")
    assert release.audit.passed
    page = maps.save_map(maps.release_map(release, lang="es", offline=True), tmp_path / "kobo.html")
    loaded = open_offline(page, viewport=(1400, 900), wait_for=".leaflet-container")
    assert loaded.problems == []
    drawn = loaded.page.locator(".leaflet-routes-places-pane path").count()
    assert drawn == len(release.layers.places.dropna(subset=["n_people"]))
    brief = text_of(release_brief(release, corridor="andean", lang="es").html)
    assert "casos reportados" in brief.lower()


# ----------------------------------------------------------------------- free-text locations

#: "Location of Incident" as a public incident data set of the Americas writes it.
FREE_TEXT_LOCATIONS = (
    "near Necoclí, Antioquia, Colombia", "Necoclí, Antioquia, Colombia", "Darien jungle, Panama",
    "Tapachula, Chiapas, Mexico", "2 km from Puerto Obaldía", "Bajo Chiquito, Darién, Panama",
    "Canaán Membrillo, Darién, Panama", "near Capurganá, Chocó, Colombia", "Acandí, Chocó, Colombia",
    "Río Bravo near Piedras Negras, Coahuila, Mexico", "Cúcuta, Norte de Santander, Colombia",
    "Villa del Rosario, Norte de Santander, Colombia", "trocha near Villa del Rosario",
    "Pacaraima, Roraima, Brazil", "near Pacaraima", "Ipiales, Nariño, Colombia", "Rumichaca bridge, Ipiales",
    "Huaquillas, El Oro, Ecuador", "Colchane, Tarapacá, Chile", "Tacna, Peru",
    "Sea between Turbo and Capurganá", "Caribbean Sea off Necoclí", "San Pedro Sula, Honduras",
    "Ciudad Hidalgo, Chiapas, Mexico",
    "Highway near Tapachula, Mexico", "Lajas Blancas, Darién, Panama", "Metetí, Panama",
    "Paso Canoas, Costa Rica", "Danlí, El Paraíso, Honduras", "Arica, Chile", "Maicao, La Guajira, Colombia",
    "Paraguachón, La Guajira, Colombia", "Saravena, Arauca, Colombia", "Tibú, Norte de Santander",
    "5 km north of Tibú", "Road to Pamplona, Colombia", "Tumbes, Peru", "Tulcán, Carchi, Ecuador",
    "Unknown location, Darién", "Near the border, Venezuela",
)


def test_free_text_locations_resolve_by_qualified_names_and_the_place_they_are_near() -> None:
    gaz = load_gazetteer()
    ids = pd.Series(gaz.resolve(list(FREE_TEXT_LOCATIONS)), index=FREE_TEXT_LOCATIONS)
    assert ids.notna().sum() == 28  # 21 of 40 before "near X" / "N km from X" were read
    names = ids.dropna().map(gaz.places["name"])
    assert names["near Necoclí, Antioquia, Colombia"] == names["Necoclí, Antioquia, Colombia"] == "Necoclí"
    assert names["5 km north of Tibú"] == "Tibú"
    assert names["trocha near Villa del Rosario"] == "Villa del Rosario"
    # a distance beyond NEAR_WITHIN_KM, a country or a sea is no place
    far = gaz.resolve([f"{NEAR_WITHIN_KM + 5:g} km from Tibú", "near Panama", "near the coast",
                       "Darien jungle, Panama"])
    assert list(far) == [None, None, None, None]


def test_a_record_split_over_two_places_counts_at_each_place_the_people_affected_there(tmp_path) -> None:
    path = missing_migrants_americas(tmp_path / "mmp.csv", n=6)
    table = pd.read_csv(path)
    table.loc[1, ["Coordinates", "Location of Incident"]] = ["14.9012, -92.2611",
                                                            "Tapachula, Chiapas, Mexico"]
    table.loc[[0, 1], "Total Number of Dead and Missing"] = [3, 2]
    table.to_csv(path, index=False)
    report = read_mmp(path)
    assert reconciles(report)
    release = mmp_release(report)
    shown = release.layers.places["n_people"].dropna().astype(int)
    gaz = load_gazetteer()
    by_name = shown.rename(index=gaz.places["name"]).to_dict()
    truth = (report.events.assign(name=report.events["place_id"].map(gaz.places["name"]))
             .groupby("name")["weight"].sum().astype(int).to_dict())
    assert by_name == truth
