"""Data its source already published (a public incident data set): counted as published, attributed."""

from __future__ import annotations

import html
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from routes import maps
from routes.briefs import release_brief
from routes.errors import PolicyError
from routes.io import validate
from routes.mapping import suggest_mapping
from routes.network import RouteNetwork
from routes.privacy import DisclosurePolicy
from routes.publish import Release

SOURCE = "IOM Missing Migrants Project"
CENTRES = [(8.2, -77.4), (8.51, -76.78), (7.89, -72.50), (14.9, -92.26), (9.0, -79.5)]


def incident_file(path: Path, n: int = 60) -> Path:
    """A file shaped like a public incident data set: one row an incident, a "lat, lon" text column,
    a count of dead and missing, a cause of death."""
    rng = np.random.default_rng(4)
    rows = []
    for i in range(n):
        lat, lon = CENTRES[i % len(CENTRES)]
        rows.append({
            "Incident ID": f"MMP-{i:04d}",
            "Incident Date": f"2023-{1 + i % 12:02d}-{1 + i % 27:02d}",
            "Coordinates": f"{lat + rng.normal(0, 0.03):.4f}, {lon + rng.normal(0, 0.03):.4f}",
            "Total Number of Dead and Missing": int(rng.integers(1, 9)),
            "Cause of Death": ["Drowning", "Violence"][i % 2],
        })
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def read(path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    mapping = yaml.safe_load(suggest_mapping(path).to_yaml())
    mapping["columns"]["Cause of Death"] = "risk"
    mapping["values"] = {"risk": {"Violence": "physical_violence", "Drowning": None}}
    mapping["defaults"] = {"stage": "incident", "case_type": "smuggling", "consent_reporting": "unknown"}
    report = validate(path, events=path, mapping=mapping)
    assert report.n_rejected == 0 and report.n_accepted == 2 * len(pd.read_csv(path))
    return report.cases, report.events


def test_a_public_source_policy_needs_its_source_and_publishes_counts_as_they_are() -> None:
    policy = DisclosurePolicy.public_source(source=SOURCE, licence="CC BY 4.0")
    assert (policy.k, policy.rounding, policy.require_consent, policy.weighted) == (1, 1, False, True)
    assert policy.round_count(3) == 3
    assert policy.describe("en").startswith(f"Source: {SOURCE} (CC BY 4.0).")
    assert policy.describe("es").startswith(f"Fuente: {SOURCE} (CC BY 4.0).")
    with pytest.raises(PolicyError, match="needs the source"):
        DisclosurePolicy.public_source(source=" ")
    with pytest.raises(PolicyError, match="k=1 and rounding=1"):
        DisclosurePolicy(mode="public_source", source=SOURCE)
    with pytest.raises(PolicyError, match="consented"):  # case records never skip consent
        DisclosurePolicy.public(require_consent=False)


def test_suggest_reads_an_incident_date_as_dates_and_the_dead_and_missing_as_weights(tmp_path) -> None:
    mapping = suggest_mapping(incident_file(tmp_path / "incidents.csv")).mapping
    assert mapping["columns"]["Incident Date"] == ["date_registered", "date"]
    assert mapping["columns"]["Total Number of Dead and Missing"] == "weight"
    assert mapping["coordinates"] == {"column": "Coordinates", "order": "lat,lon"}


def test_a_negative_count_of_people_affected_is_rejected(tmp_path) -> None:
    path = incident_file(tmp_path / "incidents.csv", n=5)
    table = pd.read_csv(path)
    table.loc[2, "Total Number of Dead and Missing"] = -3
    table.to_csv(path, index=False)
    mapping = suggest_mapping(path).mapping
    mapping["defaults"] = {"stage": "incident", "case_type": "smuggling", "consent_reporting": "no"}
    report = validate(path, events=path, mapping=mapping)
    problem = report.rejected[report.rejected["table"].eq("events")].iloc[0]
    assert (problem["row"], problem["value"], problem["expected"]) == (4, "-3", "people affected: 0 or more")
    assert report.summary()["reconciles"].all()


def test_a_public_source_release_counts_people_affected_exactly_and_says_whose_counts_they_are(
    tmp_path,
) -> None:
    cases, events = read(incident_file(tmp_path / "incidents.csv"))
    policy = DisclosurePolicy.public_source(source=SOURCE, licence="CC BY 4.0")
    release = Release.build(cases, events, policy=policy, corridors=(), dataset="mmp")
    assert release.audit.passed and release.withheld == {}
    places = release.layers.places
    weights = events.groupby("case_id")["weight"].sum()  # people affected per record
    network = RouteNetwork.from_events(events, cases=cases)
    members = network.place_people.drop_duplicates(["place_id", "case_id"])
    truth = members.groupby("place_id")["case_id"].agg(lambda ids: int(weights.loc[ids].sum()))
    shown = places["n_people"].dropna().astype(int)
    assert len(truth) and shown.reindex(truth.index).tolist() == truth.tolist()
    assert (shown < 11).any()  # counts under k are the source's own: published as they are
    page = maps.save_map(maps.release_map(release, lang="es", offline=True), tmp_path / "mmp.html")
    text = html.unescape(page.read_text(encoding="utf-8").replace("\\u0026", "&"))  # escaped twice
    assert f"Fuente: {SOURCE} (CC BY 4.0)." in text and "Personas afectadas (según la fuente)" in text
    brief = release_brief(release, lang="en")
    text = re.sub(r"<[^>]+>", " ", re.sub(r"<(style|script).*?</\1>", "", brief.html, flags=re.S))
    assert f"{SOURCE} recorded" in text and "not people assisted" in text
    assert f"Source: {SOURCE} (CC BY 4.0)." in text
    assert "did not consent" not in text and "withheld" not in text
    assert "per 100 people" not in text and "Who" not in text and "assisted by" not in text
    spanish = re.sub(r"<[^>]+>", " ", release_brief(release, lang="es").html)
    assert "personas asistidas" not in spanish.replace("no personas asistidas", "")


def test_the_default_policy_never_weights_a_record_by_its_count(tmp_path, sample_tables) -> None:
    """Weights count only for already-public data: in a case release one person is one person."""
    cases, events = sample_tables
    heavy = cases.assign(weight=50)
    plain = Release.build(cases, events, corridors=(), dataset="w", hexagons=False)
    weighted = Release.build(heavy, events.assign(weight=50), corridors=(), dataset="w2", hexagons=False)
    assert plain.cells["published"].equals(weighted.cells["published"])


def test_routes_map_publishes_a_public_incident_file_with_its_source_and_refuses_one_without(
    tmp_path, monkeypatch
) -> None:
    """The command line end to end: suggested mapping, --policy public-source, a written map."""
    import contextlib
    import io

    from routes.cli import main

    monkeypatch.chdir(tmp_path)
    path = incident_file(tmp_path / "incidents.csv")
    mapping = yaml.safe_load(suggest_mapping(path).to_yaml())
    mapping["defaults"] = {"stage": "incident", "case_type": "smuggling", "consent_reporting": "unknown"}
    (tmp_path / "m.yaml").write_text(yaml.safe_dump(mapping), encoding="utf-8")
    base = ["map", "incidents.csv", "--events", "incidents.csv", "--mapping", "m.yaml", "--policy",
            "public-source", "-o", "out/incidents.html"]
    said = []
    for argv, code in ((base, 2), ([*base, "--source", SOURCE, "--licence", "CC BY 4.0"], 0)):
        out = io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            assert main(argv) == code, out.getvalue()
        said.append(" ".join(out.getvalue().split()))
    assert "give --source" in said[0] and not any("Traceback" in text for text in said)
    page = html.unescape((tmp_path / "out" / "incidents.html").read_text(encoding="utf-8"))
    assert f"{SOURCE} (CC BY 4.0)" in page


def test_split_incidents_under_one_main_id_are_one_record_whose_people_affected_add_up(tmp_path) -> None:
    """A public incident data set splits an incident over rows sharing a main id: one record, its
    rows its events, its weight their sum; the repeated rows are accounted for, not lost."""
    path = incident_file(tmp_path / "split.csv", n=6)
    table = pd.read_csv(path)
    table.insert(0, "Main ID", table["Incident ID"])
    table.loc[1, "Main ID"] = table.loc[0, "Main ID"]
    table.to_csv(path, index=False)
    mapping = yaml.safe_load(suggest_mapping(path).to_yaml())
    assert mapping["columns"]["Main ID"] == "case_id" and mapping["columns"]["Incident ID"] is None
    mapping["defaults"] = {"stage": "incident", "case_type": "smuggling", "consent_reporting": "unknown"}
    report = validate(path, events=path, mapping=mapping)
    summary = report.summary()
    assert summary["reconciles"].all() and summary.loc["events", "accepted"] == 6
    assert summary.loc["cases", "accepted"] == 5
    repeated = report.rejected.iloc[0]
    assert repeated["row"] == 3 and repeated["hint"].startswith("another event of the record of row 2")
    weights = report.events.groupby("case_id")["weight"].sum()
    assert weights["MMP-0000"] == table.loc[:1, "Total Number of Dead and Missing"].sum()


@pytest.mark.browser
def test_a_public_source_map_draws_its_incidents_in_chromium_and_names_its_source(
    open_offline, tmp_path
) -> None:
    cases, events = read(incident_file(tmp_path / "incidents.csv"))
    policy = DisclosurePolicy.public_source(source=SOURCE, licence="CC BY 4.0")
    release = Release.build(cases, events, policy=policy, corridors=(), dataset="mmp")
    path = maps.save_map(maps.release_map(release, lang="en", offline=True), tmp_path / "mmp.html")
    for viewport in ((1400, 900), (390, 844)):
        loaded = open_offline(path, viewport=viewport, wait_for=".leaflet-routes-places-pane path")
        drawn = loaded.page.evaluate("(pane) => document.querySelectorAll(pane).length",
                                     ".leaflet-routes-places-pane path")
        assert drawn == len(release.layers.places.dropna(subset=["n_people"])) > 0
        assert loaded.problems == []
    legend = loaded.page.locator(".routes-legend")
    legend.locator("summary").first.click()  # collapsed on a phone
    assert f"Source: {SOURCE} (CC BY 4.0)." in legend.inner_text()


def test_the_public_source_policy_refuses_case_records_that_name_people(tmp_path, sample_tables) -> None:
    """Case records are not public because a partner shared them: records that carry a name (the
    sample's fake identifiers) are refused, and the message says which policy to use."""
    cases, events = sample_tables
    assert cases["name"].astype("string").fillna("").ne("").any()
    policy = DisclosurePolicy.public_source(source="a partner's export")
    refused = r"only case records hold \([^)]*\bname\b.*default \(or formal\) policy"
    with pytest.raises(PolicyError, match=refused):
        Release.build(cases, events, policy=policy, corridors=(), dataset="cases")


@pytest.mark.parametrize("kept", ["notes", "assistance", "referred_to", "consent_reporting", "lgbtiq"])
def test_the_public_source_policy_refuses_de_identified_case_records(sample_tables, kept) -> None:
    """The attack of 2026-12-07: the sample's export with names, documents, phones and addresses
    dropped was accepted as a public source and published exact counts of 1, 2, 3 people, consent
    ignored. Free text, the services given, a refusal of consent and a person's sensitive attributes
    are each enough to refuse it: no data set a source published holds them."""
    cases, events = sample_tables
    identifiers = ["name", "document_number", "phone", "address"]
    case_only = ["notes", "assistance", "referred_to", "referral_status", "consent_reporting",
                 "gender_identity", "lgbtiq", "disability", "ethnicity", "double_affectation"]
    stripped = cases.drop(columns=identifiers)
    blank = {"consent_reporting": "yes", "referral_status": "unknown"}
    for column in case_only:
        if column != kept:
            stripped[column] = blank.get(column, "")
    assert stripped[kept].isin(["no"]).any() or kept != "consent_reporting"
    policy = DisclosurePolicy.public_source(source="a partner's export")
    with pytest.raises(PolicyError, match=rf"only case records hold \({kept}\)"):
        Release.build(stripped, events, policy=policy, corridors=(), dataset="cases")


@pytest.mark.parametrize("lang", ["es", "en"])
def test_a_brief_of_incidents_without_journeys_lists_the_places_with_most_people_affected(
    tmp_path, lang
) -> None:
    """No journeys, no flows: the "where" section lists the release's published places by people
    affected, most first, and says why it shows no segments."""
    cases, events = read(incident_file(tmp_path / "incidents.csv"))
    policy = DisclosurePolicy.public_source(source=SOURCE, licence="CC BY 4.0")
    release = Release.build(cases, events, policy=policy, corridors=(), dataset="mmp")
    published = release.layers.places.dropna(subset=["n_people"])
    published = published[published["n_people"] > 0].sort_values("n_people", ascending=False, kind="stable")
    page = release_brief(release, lang=lang).html
    # an incident data set records no case type: no "trafficking sums 0 people" figure or sentence
    assert not re.search(r"By case type|Por tipo de caso|in (?:trafficking|migrant smuggling) cases|"
                         r"en casos de (?:trata|tráfico)", html.unescape(page))
    where = page[page.index("<h2>Dónde ocurre" if lang == "es" else "<h2>Where it happens"):]
    where = html.unescape(where[: where.index("<section")])
    rows = re.findall(r"<tr><td>([^<]+)</td><td class=\"n\">(\d+)\s(?:personas|people)</td></tr>", where)
    assert rows == [(str(name), str(int(n))) for name, n in
                    zip(published["name"][:5], published["n_people"][:5], strict=True)]
    text = " ".join(re.sub(r"<[^>]+>", " ", where).split())
    top = ", ".join(published["name"][:2]) + (" y " if lang == "es" else " and ") + published["name"].iloc[2]
    if lang == "es":
        assert f"Los lugares con más personas afectadas son {top}." in text
        assert "Sin recorridos: los flujos requieren al menos dos pasos por persona" in text
    else:
        assert f"The places with most people affected are {top}." in text
        assert "No journeys: flows need at least two steps per person" in text
