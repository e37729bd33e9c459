"""The synthetic sample: byte-reproducible, read cleanly by the standard reader, with its plants in place."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Geod

from routes.errors import ParameterError
from routes.io import read_services, validate
from routes.places import load_gazetteer
from routes.sample import (
    PATTERNS,
    SAMPLE_PEOPLE,
    SAMPLE_TARGET,
    generate_sample,
    write_sample,
)
from routes.schema import CASE_FIELDS, MULTI_SEPARATOR, UNKNOWN, VOCABULARIES, Kind, Role, sub_sector_groups

SAMPLE_DIR = Path(__file__).resolve().parent.parent / "data" / "sample"
TABLES = ("cases", "events", "services", "truth")
CUCUTA_CROSSINGS = ("Puente Internacional Simón Bolívar", "Trochas de Villa del Rosario",
                    "Puente Internacional Francisco de Paula Santander", "Puente Internacional Tienditas",
                    "Cúcuta")
DARIEN = ("Necoclí", "Turbo", "Capurganá", "Acandí", "Sapzurro", "Tapón del Darién", "Bajo Chiquito",
          "Lajas Blancas")


def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(SAMPLE_DIR / f"{name}.csv", dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def cases() -> pd.DataFrame:
    return _read("cases")


@pytest.fixture(scope="module")
def events() -> pd.DataFrame:
    frame = _read("events")
    return frame.assign(seq=frame["seq"].astype(int), date=pd.to_datetime(frame["date"]),
                        lat=pd.to_numeric(frame["lat"]), lon=pd.to_numeric(frame["lon"]))


@pytest.fixture(scope="module")
def truth() -> pd.DataFrame:
    return _read("truth")


@pytest.fixture(scope="module")
def services() -> pd.DataFrame:
    return _read("services")


def test_committed_files_are_byte_identical_to_a_fresh_write(tmp_path: Path) -> None:
    paths = write_sample(tmp_path)
    assert sorted(paths) == sorted(TABLES)
    for name in TABLES:
        fresh = paths[name].read_bytes()
        assert b"\r\n" not in fresh
        committed = (SAMPLE_DIR / f"{name}.csv").read_bytes()
        assert fresh == committed, f"{name}.csv differs: regenerate data/sample with write_sample"


def test_counts_match_the_sub_sector_figures(cases: pd.DataFrame, truth: pd.DataFrame) -> None:
    assert len(cases) == SAMPLE_PEOPLE == 1969
    assert round(100 * len(cases) / SAMPLE_TARGET, 1) == 12.9
    assert cases["case_id"].is_unique
    assert truth["case_id"].tolist() == cases["case_id"].tolist()
    # Shares 25/25/12/28/10 % of 1,969 are 492.25, 492.25, 236.28, 551.32, 196.9: floors sum to 1,967,
    # the two largest remainders (.9, .32) get the last two people.
    assert truth["pattern"].value_counts().to_dict() == {
        "smuggling_darien": 552, "labour_mining_agri": 492, "sexual_online_partner": 492,
        "armed_recruitment": 236, "domestic_begging": 197}


def test_standard_reader_accepts_every_row() -> None:
    report = validate(SAMPLE_DIR / "cases.csv", events=SAMPLE_DIR / "events.csv")
    assert report.n_rejected == 0
    assert len(report.cases) == 1969
    assert len(report.events) == len(_read("events"))
    assert report.events["place_id"].notna().all()
    services = read_services(SAMPLE_DIR / "services.csv")
    assert services["place_id"].notna().all()


def test_cases_hold_the_standard_fields_as_codes(cases: pd.DataFrame) -> None:
    # every field but the organisation that recorded a case: the sample is one programme's cases,
    # its offices of registration the members a release protects against
    assert cases.columns.tolist() == [f.name for f in CASE_FIELDS if f.name != "organisation"]
    for f in CASE_FIELDS:
        if f.vocabulary is None:
            continue
        allowed = {*VOCABULARIES[f.vocabulary].codes, UNKNOWN}
        values = cases[f.name]
        if f.kind is Kind.MULTI:
            values = values.str.split(MULTI_SEPARATOR).explode()
            values = values[values != ""]
        assert set(values) <= allowed, f.name
    registered = pd.to_datetime(cases["date_registered"], format="%Y-%m-%d")
    assert registered.between("2022-01-01", "2023-12-31").all()


def test_direct_identifiers_are_present_and_obviously_fake(cases: pd.DataFrame) -> None:
    assert cases.loc[0, ["name", "document_number", "phone", "address"]].tolist() == [
        "FAKE-NAME-0001 Ejemplo", "FAKE-DOC-00000001", "+57 300 000 0001", "Calle Ficticia 1 # 0-00"]
    assert cases["name"].str.fullmatch(r"FAKE-NAME-\d{4} Ejemplo").all()
    assert cases["document_number"].str.startswith("FAKE-DOC-").all()
    assert cases["notes"].str.startswith("Relato ficticio ").all()
    assert cases["phone"].is_unique


def test_consent_refusals_and_missingness_are_realistic(cases: pd.DataFrame) -> None:
    assert 0.03 < cases["consent_reporting"].eq("no").mean() < 0.07
    for name in ("disability", "ethnicity", "migration_status", "head_of_household"):
        assert 0.04 < cases[name].eq(UNKNOWN).mean() < 0.25, name
    assert cases["case_type"].ne(UNKNOWN).all()


def test_every_place_resolves_in_the_gazetteer(cases: pd.DataFrame, events: pd.DataFrame,
                                               services: pd.DataFrame) -> None:
    gazetteer = load_gazetteer()
    for table, column in ((events, "place"), (services, "place"), (cases, "place_registered")):
        names = table[column].unique()
        unresolved = names[pd.isna(gazetteer.resolve(names))]
        assert unresolved.size == 0, f"{column}: {unresolved.tolist()}"
    steps = cases["route"].str.split(" > ").explode().unique()
    assert pd.notna(gazetteer.resolve(steps)).all()


def test_sub_sector_groups_are_publishable_at_k11(cases: pd.DataFrame) -> None:
    counts = sub_sector_groups(cases).sum()
    assert (counts >= 60).all(), counts.to_dict()


def _trait_table(cases: pd.DataFrame, member: np.ndarray) -> pd.DataFrame:
    """Share of the pattern's cases and of the others' holding each (field, code), and the lift."""
    fields = [f.name for f in CASE_FIELDS if f.vocabulary is not None
              and f.role in (Role.MODUS_OPERANDI, Role.QUASI_IDENTIFIER, Role.SENSITIVE)]
    held = pd.concat({name: cases[name].str.get_dummies(sep=MULTI_SEPARATOR) for name in fields}, axis=1)
    held = held.drop(columns=[c for c in held.columns if c[1] in (UNKNOWN, "no")])
    table = pd.DataFrame({"inside": held[member].mean(), "outside": held[~member].mean()})
    return table.assign(lift=table["inside"] / table["outside"].clip(lower=1e-9))


@pytest.mark.parametrize("pattern", list(PATTERNS))
def test_defining_traits_are_over_represented_but_not_giveaways(
        pattern: str, cases: pd.DataFrame, truth: pd.DataFrame) -> None:
    defining = list(PATTERNS[pattern].defining)
    table = _trait_table(cases, truth["pattern"].eq(pattern).to_numpy())
    mine = table.loc[defining]
    assert mine["inside"].between(0.5, 0.95).all(), mine
    assert (mine["outside"] > 0).all(), mine  # shared with other patterns: no single column gives it away
    assert (mine["lift"] >= 1.5).all(), mine
    top = table[table["inside"] >= 0.5].nlargest(len(defining) + 2, "lift").index
    assert set(defining) <= set(top), table[table["inside"] >= 0.5].sort_values("lift", ascending=False)


def test_patterns_are_recoverable_but_not_trivially(cases: pd.DataFrame, truth: pd.DataFrame) -> None:
    from sklearn.cluster import KMeans
    from sklearn.metrics import adjusted_rand_score

    fields = [f.name for f in CASE_FIELDS if f.vocabulary is not None
              and f.role in (Role.MODUS_OPERANDI, Role.QUASI_IDENTIFIER, Role.SENSITIVE)]
    encoded = pd.concat([cases[name].str.get_dummies(sep=MULTI_SEPARATOR).add_prefix(f"{name}=")
                         for name in fields], axis=1)
    labels = KMeans(n_clusters=5, n_init=10, random_state=0).fit_predict(encoded.to_numpy(float))
    assert 0.75 <= adjusted_rand_score(truth["pattern"], labels) <= 0.95


def test_events_are_ordered_journeys_of_three_to_seven_steps(cases: pd.DataFrame,
                                                             events: pd.DataFrame) -> None:
    assert events[["case_id", "seq"]].equals(events[["case_id", "seq"]].sort_values(["case_id", "seq"]))
    assert set(events["case_id"]) == set(cases["case_id"])
    per_case = events.groupby("case_id")
    assert (per_case["seq"].min() == 1).all() and (per_case["seq"].max() == per_case.size()).all()
    route_steps = events[events["stage"] != "incident"].groupby("case_id").size()
    assert route_steps.between(3, 7).all()
    assert (per_case["date"].diff().dropna() >= pd.Timedelta(0)).all()
    registered = pd.to_datetime(cases.set_index("case_id")["date_registered"])
    assert (per_case["date"].max() < registered.loc[per_case["date"].max().index]).all()
    assert per_case["stage"].first().eq("recruitment").all()
    last = events.loc[events["stage"] != "incident"].groupby("case_id")["stage"].last()
    exploited = cases.set_index("case_id")["case_type"].isin(["trafficking", "both"])
    assert (last == np.where(exploited.loc[last.index], "exploitation", "transit")).all()


def test_risks_and_own_coordinates_only_on_incidents(events: pd.DataFrame) -> None:
    incident = events["stage"].eq("incident")
    assert events.loc[incident, "risk"].ne("").all()
    assert events.loc[~incident, "risk"].eq("").all()
    assert events.loc[~incident, ["lat", "lon"]].isna().all().all()
    with_coords = events[incident & events["lat"].notna()]
    assert 0.25 < len(with_coords) / incident.sum() < 0.35
    places = load_gazetteer(fallback=False).places.set_index("name")
    origin = places.loc[with_coords["place"], ["lat", "lon"]].to_numpy(float)
    _, _, metres = Geod(ellps="WGS84").inv(origin[:, 1], origin[:, 0], with_coords["lon"], with_coords["lat"])
    assert ((metres > 1_990) & (metres < 8_010)).all()  # jittered 2–8 km off the place, five decimals kept


def test_incidents_concentrate_on_trochas_and_the_darien(events: pd.DataFrame) -> None:
    places = load_gazetteer(fallback=False).places.set_index("name")
    incidents = events[events["stage"] == "incident"]
    trochas_or_darien = (places.loc[incidents["place"], "kind"].eq("irregular_crossing_area").to_numpy()
                         | incidents["place"].isin(DARIEN).to_numpy())
    assert trochas_or_darien.mean() > 0.6
    top = incidents["place"].value_counts().index[:2].tolist()
    assert set(top) == {"Trochas de Villa del Rosario", "Tapón del Darién"}
    at_crossings = events[events["place"].isin(places.index[places["kind"] == "official_crossing"])]
    assert set(at_crossings["crossing"]) == {"official", "irregular"}


def test_cucuta_crossings_and_necocli_are_the_bottlenecks(events: pd.DataFrame, truth: pd.DataFrame) -> None:
    corridor = truth.set_index("case_id")["corridor"]
    passes = events.groupby("case_id")["place"].agg(lambda p: bool(set(p) & set(CUCUTA_CROSSINGS)))
    assert passes[corridor.index[corridor == "andean"]].mean() > 0.95
    darien = events[events["place"].isin(DARIEN)]
    people = darien.groupby("place")["case_id"].nunique()
    assert people.idxmax() in ("Necoclí", "Tapón del Darién", "Bajo Chiquito")
    via_necocli = darien.groupby("case_id")["place"].agg(lambda p: "Necoclí" in set(p))
    assert 0.7 < via_necocli.mean() < 0.85


def test_darien_flows_grow_strongly_while_the_andean_corridor_holds(cases: pd.DataFrame, events: pd.DataFrame,
                                                                      truth: pd.DataFrame) -> None:
    registered = cases.set_index("case_id")["date_registered"].str[:4]
    darien_ids = events.loc[events["place"].isin(DARIEN), "case_id"].unique()
    andean_ids = truth.loc[truth["corridor"] == "andean", "case_id"]
    darien_registered = registered[darien_ids].value_counts()
    andean_registered = registered[andean_ids].value_counts()
    assert darien_registered["2023"] > 3 * darien_registered["2022"]
    assert 0.9 < andean_registered["2023"] / andean_registered["2022"] < 1.1
    # By the date of the steps themselves: journeys of people registered after the window are missing,
    # which pulls the last year down, yet the Darién still more than doubles and stays below the Andes.
    year = events["date"].dt.year
    darien = events[events["place"].isin(DARIEN)].groupby(year)["case_id"].nunique()
    andean = events[events["case_id"].isin(andean_ids)].groupby(year)["case_id"].nunique()
    assert darien[2023] > 2 * darien[2022]
    assert andean[2023] > darien[2023]


def test_services_have_the_planted_gaps(services: pd.DataFrame) -> None:
    assert 50 <= len(services) <= 70
    assert services["service_id"].is_unique
    assert set(services["service_type"]) == set(VOCABULARIES["service_type"].codes)
    assert set(services["organisation_type"]) <= set(VOCABULARIES["organisation_type"].codes)
    shelters = set(services.loc[services["service_type"] == "shelter", "place"])
    assert not shelters & {*DARIEN, "Metetí", "Tibú", "El Tarra", "La Gabarra"}
    assert "Necoclí" in set(services["place"])
    assert "legal" not in set(services.loc[services["place"] == "Necoclí", "service_type"])


def test_route_templates_give_three_to_seven_distinct_steps() -> None:
    for pattern in PATTERNS.values():
        for template, _ in pattern.routes:
            names = [name for slot in template.slots for name in slot.places]
            assert len(names) == len(set(names)), (pattern.name, template.corridor)
            assert sum(slot.keep == 1.0 for slot in template.slots) >= 3
            assert len(template.slots) <= 7


def test_seed_drives_everything() -> None:
    one, again, other = (generate_sample(seed=s, people=200) for s in (5, 5, 6))
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(one, name), getattr(again, name))
    assert not one.events.equals(other.events)


def test_three_times_the_people_keeps_the_shares() -> None:
    big = generate_sample(seed=11, people=3 * SAMPLE_PEOPLE)
    assert len(big.cases) == 5907 and big.cases["case_id"].is_unique
    assert big.cases["case_id"].iloc[-1] == "CASE-5907"
    shares = big.truth["pattern"].value_counts(normalize=True)
    assert shares.round(2).to_dict() == {name: p.share for name, p in PATTERNS.items()}
    assert (sub_sector_groups(big.cases).sum() >= 180).all()


@settings(max_examples=12, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), people=st.integers(1, 40))
def test_any_seed_gives_well_formed_tables(seed: int, people: int) -> None:
    sample = generate_sample(seed=seed, people=people)
    assert len(sample.cases) == people == len(sample.truth)
    steps = sample.events[sample.events["stage"] != "incident"].groupby("case_id").size()
    assert len(steps) == people and steps.between(3, 7).all()
    assert (sample.events.groupby("case_id")["seq"].max() == sample.events.groupby("case_id").size()).all()


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"people": 0}, "people must be at least 1"),
    ({"noise": 1.5}, "noise must be within"),
    ({"mixing": -0.1}, "mixing must be within"),
    ({"start": "2023-01-01", "end": "2022-01-01"}, "before start"),
])
def test_bad_options_are_refused(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ParameterError, match=message):
        generate_sample(**kwargs)
