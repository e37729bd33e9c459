"""Disclosure control: policy floors, suppressed releases, microdata risk, output guards, HTML safety.

Every expected number here is worked out by hand in the comment next to it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point

from routes.errors import CaseDataError, DisclosureError, PolicyError
from routes.privacy import (
    DEFAULT_HIERARCHIES,
    TOTAL,
    DisclosurePolicy,
    check_publishable,
    content_security_policy,
    equivalence_class_sizes,
    escape_text,
    flag_homogeneous,
    generalise,
    individual_risk,
    level_from_mapping,
    pseudonymise,
    release_counts,
    release_rate,
    release_rates,
    risk_summary,
    safe_json,
    with_csp,
)

PUBLIC = DisclosurePolicy.public()
EXACT = DisclosurePolicy.public(rounding=1)


def people_in(cells: dict[str, int], *, start: int = 0, column: str = "place") -> pd.DataFrame:
    """Memberships: ``cells[name]`` distinct people in each cell, ids numbered from ``start``."""
    frames = []
    for name, n in cells.items():
        frames.append(pd.DataFrame({"case_id": [f"c{start + i}" for i in range(n)], column: name}))
        start += n
    return pd.concat(frames, ignore_index=True)


# -- policy ------------------------------------------------------------------------------------


@pytest.mark.parametrize("settings", [
    {"k": 4}, {"k": 0}, {"rounding": 0}, {"max_h3_resolution": 7}, {"require_consent": False},
    {"time_unit": "day"}, {"geography": "point"}, {"audience": "everyone"},
])
def test_public_policy_refuses_settings_below_its_floors(settings):
    with pytest.raises(PolicyError, match=next(iter(settings))):
        DisclosurePolicy(**settings)


def test_internal_policy_may_be_finer_but_not_below_k_5():
    policy = DisclosurePolicy.internal(max_h3_resolution=8, require_consent=False)
    assert (policy.k, policy.rounding, policy.max_h3_resolution) == (5, 1, 8)
    with pytest.raises(PolicyError, match="k=3"):
        DisclosurePolicy.internal(k=3)


def test_round_count_rounds_to_nearest_multiple_never_below_k():
    counts = pd.Series([0, 3, 10, 11, 12, 13, 15, 17, 18, 22, 23])
    # 11 and 12 round to 10, which would read as "under 11": they show as 15, the first multiple >= k.
    assert PUBLIC.round_count(counts).tolist() == [0, pd.NA, pd.NA, 15, 15, 15, 15, 15, 20, 20, 25]
    assert PUBLIC.round_count(7) is pd.NA
    assert PUBLIC.round_count(42) == 40
    assert DisclosurePolicy(k=10).round_count(pd.Series([10, 12, 13])).tolist() == [10, 10, 15]
    assert EXACT.round_count(pd.Series([11, 12, 99])).tolist() == [11, 12, 99]


def test_describe_gives_the_product_sentence_in_both_languages():
    assert PUBLIC.describe() == ("Counts under 11 are suppressed; counts rounded to the nearest 5 and shown "
                                 "as at least 15; reported cases, not prevalence.")
    assert DisclosurePolicy(k=10, reference="ISP GIFMM 2025-03").describe("es") == (
        "Se suprimen los conteos menores de 10; los conteos se redondean al múltiplo de 5 más cercano; "
        "casos reportados, no prevalencia. Protocolo de intercambio de información: ISP GIFMM 2025-03.")
    assert DisclosurePolicy.internal().describe().startswith("CONFIDENTIAL")


def test_eligible_counts_only_explicit_consent():
    cases = pd.DataFrame({"consent_reporting": ["yes", "Sí", "no", "unknown", None, True]},
                         index=[5, 5, 7, 1, 2, 3])
    assert PUBLIC.eligible(cases).tolist() == [True, True, False, False, False, True]
    assert DisclosurePolicy.internal(require_consent=False).eligible(cases).all()
    with pytest.raises(CaseDataError, match="consent_reporting"):
        PUBLIC.eligible(pd.DataFrame({"sex": ["female"]}))


def test_month_and_period_coarsen_dates():
    dates = pd.Series(pd.to_datetime(["2024-03-15", None, "2024-12-31"]))
    months = PUBLIC.month(dates)
    assert str(months.dtype) == "period[M]" and months.isna().tolist() == [False, True, False]
    assert months.dropna().tolist() == [pd.Period("2024-03", "M"), pd.Period("2024-12", "M")]
    quarterly = DisclosurePolicy(time_unit="quarter").period(dates)
    assert quarterly.dropna().tolist() == [pd.Period("2024Q1", "Q"), pd.Period("2024Q4", "Q")]


def test_allow_adds_properties_to_one_product_only():
    policy = PUBLIC.allow("segments", "corridor_es")
    assert "corridor_es" in policy.allowed_fields["segments"]
    assert "corridor_es" not in PUBLIC.allowed_fields["segments"]
    assert "reason" not in policy.allowed_fields["segments"]


# -- release_counts ----------------------------------------------------------------------------


def test_release_counts_suppresses_small_cells_and_protects_them_from_the_total():
    memberships = people_in({"A": 30, "B": 12, "C": 3})
    release = release_counts(memberships, "place", policy=PUBLIC)
    table = release.table.set_index("place")
    # C (3) is under k; total 45 - A 30 - B 12 would give C back, so B (the next smallest) goes too.
    assert table.loc["C", "reason"] == "below_k"
    assert table.loc["B", "reason"] == "secondary"
    assert table["n_people"].tolist() == [30, pd.NA, pd.NA, 45]
    assert table.loc[TOTAL, "suppressed"] == np.False_
    assert (release.hidden_cells, release.hidden_people) == (2, 15)
    assert release.note().startswith("2 cells hidden to protect people")
    assert release.note("es").startswith("2 celdas ocultas")
    assert "reason" not in release.publishable().columns


def test_suppressed_cell_cannot_be_recovered_by_subtraction_from_the_row_total():
    memberships = people_in({"A": 40, "B": 25, "C": 4})
    table = release_counts(memberships, "place", policy=EXACT).table.set_index("place")["n_people"]
    published = table.drop(TOTAL).dropna()
    remainder = table[TOTAL] - published.sum()
    hidden = table.drop(TOTAL).isna()
    assert hidden.sum() >= 2  # the remainder (29) mixes C with at least one other cell
    assert remainder == 29 and remainder != 4


def test_release_counts_counts_distinct_people_once_per_cell_and_once_in_total():
    # c0 is three times in A and once in B; 12 people in A, 11 in B, 22 distinct people in all.
    a = pd.DataFrame({"case_id": [f"a{i}" for i in range(11)] + ["c0", "c0", "c0"], "place": "A"})
    b = pd.DataFrame({"case_id": [f"b{i}" for i in range(10)] + ["c0"], "place": "B"})
    table = release_counts(pd.concat([a, b]), "place", policy=EXACT).table.set_index("place")
    assert table["n_people"].to_dict() == {"A": 12, "B": 11, TOTAL: 22}


def test_release_counts_drops_people_without_consent():
    memberships = people_in({"A": 12, "B": 20})
    memberships["consent_reporting"] = ["no"] * 2 + ["yes"] * 30
    table = release_counts(memberships, "place", policy=EXACT).table.set_index("place")
    # A loses two people (12 -> 10 < 11) and B then goes too, or the total would give A away.
    assert table.loc["A", "reason"] == "below_k"
    assert table.loc[TOTAL, "n_people"] == 30


def test_release_counts_counts_datetime_cells_per_month():
    memberships = pd.DataFrame({
        "case_id": range(24),
        "date": pd.to_datetime(["2024-01-03"] * 12 + ["2024-01-28"] * 12),
    })
    table = release_counts(memberships, "date", policy=EXACT, margins=False).table
    assert table["date"].astype(str).tolist() == ["2024-01"]
    assert table["n_people"].tolist() == [24]


def test_two_way_release_hides_a_second_cell_in_row_and_column():
    # rows A, B, C x columns x, y; A-y holds 3 people, every other cell 20.
    frames = [people_in({"x": 20, "y": 3}, column="risk"), people_in({"x": 20, "y": 20}, start=100,
                                                                    column="risk"),
              people_in({"x": 20, "y": 20}, start=200, column="risk")]
    for frame, place in zip(frames, "ABC", strict=True):
        frame["place"] = place
    release = release_counts(pd.concat(frames), ["place", "risk"], policy=EXACT)
    cells = release.cells.set_index(["place", "risk"])["reason"]
    # A-y alone in row A and column y: the cheapest cycle through it is A-x, B-x, B-y (or C's).
    assert cells[("A", "y")] == "below_k"
    assert (cells == "secondary").sum() == 3
    assert cells[("A", "x")] == "secondary"
    margins = release.table[release.table["place"].eq(TOTAL) | release.table["risk"].eq(TOTAL)]
    assert not margins["suppressed"].any()
    assert margins.set_index(["place", "risk"]).loc[(TOTAL, TOTAL), "n_people"] == 103


def test_release_counts_refuses_missing_columns_and_person_ids():
    with pytest.raises(CaseDataError, match="'site'"):
        release_counts(people_in({"A": 12}), "site", policy=PUBLIC)
    memberships = people_in({"A": 12})
    memberships.loc[3, "case_id"] = None
    with pytest.raises(CaseDataError, match="row 4"):
        release_counts(memberships, "place", policy=PUBLIC)


# -- homogeneous cells -------------------------------------------------------------------------


def exploitation_table() -> pd.DataFrame:
    memberships = people_in({"A": 12, "B": 15, "C": 20})
    exploitation = (["sexual"] * 6 + ["sexual;forced_labour"] * 6  # A: everyone shares "sexual"
                    + ["sexual"] * 14 + ["unknown"]  # B: one unknown breaks it
                    + ["forced_labour"] * 10 + ["sexual"] * 10)
    return memberships.assign(exploitation_type=exploitation)


def test_flag_homogeneous_finds_cells_where_everyone_shares_a_code():
    flagged = flag_homogeneous(exploitation_table(), "place", "exploitation_type", policy=PUBLIC)
    assert flagged.to_dict("records") == [{"place": "A", "n_people": 12, "value": "sexual"}]


def test_release_counts_suppresses_homogeneous_cells_and_protects_them():
    release = release_counts(exploitation_table(), "place", policy=EXACT, sensitive="exploitation_type")
    reasons = release.table.set_index("place")["reason"].to_dict()
    assert reasons == {"A": "homogeneous", "B": "secondary", "C": "", TOTAL: ""}


def test_sensitive_breakdown_column_hides_rows_held_by_one_category():
    # place A: all 12 people in "sexual"; place B: 20 sexual, 20 forced labour.
    a = people_in({"sexual": 12}, column="exploitation_type").assign(place="A")
    b = people_in({"sexual": 20, "forced_labour": 20}, start=100, column="exploitation_type")
    table = release_counts(pd.concat([a, b.assign(place="B")]), ["place", "exploitation_type"],
                           policy=EXACT, sensitive="exploitation_type").table
    row_a = table[table["place"].eq("A") & table["exploitation_type"].ne(TOTAL)]
    assert row_a["suppressed"].all() and (row_a["reason"] == "homogeneous").any()


# -- release_rate ------------------------------------------------------------------------------


def test_release_rate_publishes_wilson_interval_only_when_both_sides_pass_k():
    denominator = people_in({"A": 40, "B": 40, "C": 40, "D": 40, "E": 40})
    ids = denominator.groupby("place")["case_id"]
    # events: A 20 of 40, B 5 (under k), C 35 (5 without: under k), D 40 (everyone), E none.
    chosen = {"A": 20, "B": 5, "C": 35, "D": 40, "E": 0}
    numerator = denominator[ids.cumcount() < denominator["place"].map(chosen)]
    table = release_rate(numerator, denominator, "place", policy=EXACT, margins=False).set_index("place")
    # Wilson 95 % for 20/40: centre 0.5, half-width 1.96*sqrt(.25/40 + 1.96²/6400)/(1 + 1.96²/40) = 0.148.
    assert table.loc["A", ["rate", "rate_low", "rate_high"]].tolist() == [50.0, 35.2, 64.8]
    assert table.loc["A", "n_events"] == 20
    assert table["reason"].to_dict() == {"A": "", "B": "below_k", "C": "below_k", "D": "homogeneous",
                                         "E": ""}
    assert table.loc["E", "rate"] == 0.0
    assert table.loc[["B", "C", "D"], "rate"].isna().all()
    assert table.loc[["B", "C", "D"], "n_events"].isna().all()
    assert table["n_people"].tolist() == [40] * 5


def test_release_rate_refuses_events_outside_the_denominator():
    denominator = people_in({"A": 20})
    numerator = pd.DataFrame({"case_id": ["stranger"], "place": ["A"]})
    with pytest.raises(CaseDataError, match="stranger"):
        release_rate(numerator, denominator, "place", policy=PUBLIC)


def test_release_rates_give_each_numerator_the_table_of_its_own_release_rate():
    denominator = people_in({"A": 40, "B": 30})
    first = denominator.groupby("place").head(20)  # 20 of 40 at A; 20 of 30 at B: 10 without, under k
    at_b = denominator.loc[denominator["place"].eq("B")].head(12)  # 12 of 30 at B, none at A
    tables = release_rates({"first": first, "at B": at_b}, denominator, "place", policy=EXACT, margins=False)
    assert list(tables) == ["first", "at B"]
    for name, numerator in (("first", first), ("at B", at_b)):
        expected = release_rate(numerator, denominator, "place", policy=EXACT, margins=False)
        pd.testing.assert_frame_equal(tables[name], expected, check_exact=True)
    first_rates = tables["first"].set_index("place")
    assert first_rates["reason"].tolist() == ["", "below_k"] and first_rates.loc["A", "rate"] == 50.0
    at_b_rates = tables["at B"].set_index("place")
    assert at_b_rates.loc["A", "rate"] == 0.0 and at_b_rates.loc["B", "rate"] == 40.0  # 12 / 30


def test_release_rates_name_the_numerator_holding_a_stranger():
    denominator = people_in({"A": 20, "B": 20})
    stranger = pd.DataFrame({"case_id": ["c0", "c25", "stranger"], "place": ["A", "A", "B"]})
    with pytest.raises(CaseDataError, match=r"numerator memberships 'risk'.*row 2.*c25") as caught:
        release_rates({"fine": people_in({"A": 15}), "risk": stranger}, denominator, "place", policy=PUBLIC)
    assert "stranger" in str(caught.value) and "c0" not in str(caught.value)


# -- microdata risk ----------------------------------------------------------------------------


def small_microdata(index: list[object] | None = None) -> pd.DataFrame:
    return pd.DataFrame({
        "sex": ["female", "female", "female", "male", None],
        "age_group": ["18-29", "18-29", "unknown", "18-29", ""],
        "nationality": ["VEN", "VEN", "VEN", "COL", np.nan],
    }, index=index)


def test_class_sizes_treat_missing_values_as_matching_anything():
    # row 0 matches 1 (equal), 2 (age unknown) and 4 (all unknown): 4. Row 3 (male, COL) only 4: 2.
    # Row 4 is unknown everywhere and so compatible with every record: 5.
    sizes = equivalence_class_sizes(small_microdata(), ["sex", "age_group", "nationality"])
    assert sizes.tolist() == [4, 4, 4, 2, 5]


def test_class_sizes_follow_rows_not_index_labels():
    shuffled = small_microdata(index=["x", 7, "x", 0, 7])
    sizes = equivalence_class_sizes(shuffled, ["sex", "age_group", "nationality"])
    assert sizes.index.tolist() == ["x", 7, "x", 0, 7]
    assert sizes.tolist() == [4, 4, 4, 2, 5]
    reordered = small_microdata().iloc[[3, 0, 4, 2, 1]]
    assert equivalence_class_sizes(reordered, ["sex", "age_group", "nationality"]).tolist() == [2, 4, 5, 4, 4]


def test_risk_summary_reports_k_mean_and_max_risk():
    data = small_microdata(index=list("abcde"))
    summary = risk_summary(data, ["sex", "age_group", "nationality"], k=3)
    # risks 1/4, 1/4, 1/4, 1/2, 1/5: mean (0.75 + 0.5 + 0.2) / 5 = 0.29.
    assert (summary.k_min, summary.max_risk, summary.n_over_threshold) == (2, 0.5, 1)
    assert summary.mean_risk == pytest.approx(0.29)
    assert summary.records_at_risk.tolist() == ["d"]
    assert not summary.passes()
    assert individual_risk(data, ["sex", "age_group", "nationality"])["d"] == 0.5


def test_default_quasi_identifiers_are_those_present():
    data = small_microdata().assign(notes="free text")
    assert risk_summary(data).quasi_identifiers == ("sex", "age_group", "nationality")


def synthetic_cases(n: int = 2000, seed: int = 7) -> tuple[pd.DataFrame, dict[str, str]]:
    rng = np.random.default_rng(seed)
    places = [f"P{i:02d}" for i in range(30)]
    admin1 = {p: f"D{i % 6}" for i, p in enumerate(places)}
    cases = pd.DataFrame({
        "case_id": [f"c{i}" for i in range(n)],
        "sex": rng.choice(["female", "male", "unknown"], n, p=[0.6, 0.38, 0.02]),
        "age_group": rng.choice(["0-8", "9-17", "18-29", "30-38", "39-47", "48+"], n),
        "nationality": rng.choice(["VEN", "COL", "ECU", "PER", "HTI", "CUB"], n,
                                  p=[0.75, 0.1, 0.05, 0.04, 0.03, 0.03]),
        "place_registered": rng.choice(places, n),
        "date_registered": pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 730, n), "D"),
        "head_of_household": rng.choice(["yes", "no"], n),
        "lgbtiq": rng.choice(["yes", "no"], n, p=[0.1, 0.9]),
        "double_affectation": rng.choice(["yes", "no"], n, p=[0.2, 0.8]),
        "informal_sector": rng.choice(["yes", "no"], n),
    }, index=rng.permutation(n))
    return cases, admin1


def test_generalise_reaches_k_11_and_the_3_percent_gate():
    cases, admin1 = synthetic_cases()
    hierarchies = {**DEFAULT_HIERARCHIES, "place_registered": (level_from_mapping("admin1", admin1),)}
    before = risk_summary(cases)
    assert before.k_min == 1 and before.mean_risk > 0.9  # nine keys: nearly everyone is unique
    out, report = generalise(cases, hierarchies=hierarchies)
    after = risk_summary(out)  # measured afresh on the returned table
    assert after.k_min >= 11 and after.mean_risk < 0.03
    assert report.passed and report.after.k_min == after.k_min
    assert report.before.mean_risk == pytest.approx(before.mean_risk)
    assert ("place_registered", "admin1") in report.recodings
    assert out.index.equals(cases.index) and out["case_id"].equals(cases["case_id"])
    # the report counts exactly the values turned to unknown (none were unknown before, but sex's 2 %)
    for name, n in report.suppressed_values.items():
        newly_unknown = out[name].isin(["unknown"]) | out[name].isna()
        was_unknown = cases[name].isin(["unknown"]) | cases[name].isna()
        assert (newly_unknown & ~was_unknown).sum() == n, name
    assert report.n_records_suppressed <= len(cases)
    assert "k-anonymity 1 →" in str(report)


def test_generalise_refuses_tables_too_small_for_the_gate():
    cases, _ = synthetic_cases(n=20)
    with pytest.raises(DisclosureError, match="20 records"):
        generalise(cases)


# -- output guards -----------------------------------------------------------------------------


def test_check_publishable_passes_a_clean_release():
    release = release_counts(people_in({"A": 30, "B": 12, "C": 3}), "place", policy=PUBLIC)
    check_publishable(release.publishable(), policy=PUBLIC, name="places.csv")


@pytest.mark.parametrize(("table", "message"), [
    (pd.DataFrame({"name": ["Ana"], "n_people": [15]}), "'name' is a direct identifier"),
    (pd.DataFrame({"notes": ["..."], "n_people": [15]}), "'notes' is a direct identifier or free text"),
    (pd.DataFrame({"case_id": ["c1"]}), "case ids"),
    (pd.DataFrame({"place": ["A", "B"], "n_people": [15, 4]}), r"'n_people', rows 1: counts \[4\]"),
    (pd.DataFrame({"place": ["A"], "reason": ["below_k"]}), "'reason' tells"),
    (pd.DataFrame({"date": pd.to_datetime(["2024-03-01", "2024-03-15"])}), "'date', rows 1: dates finer"),
    (pd.DataFrame({"month": pd.period_range("2024-03-01", periods=2, freq="D")}), "periods of D"),
    (pd.DataFrame({"h3": ["88754e6499fffff"]}), "finer than resolution 6"),
    (pd.DataFrame({"lat": [7.8939], "lon": [-72.5071]}), "finer than 2 decimals"),
])
def test_check_publishable_catches_each_violation(table, message):
    with pytest.raises(DisclosureError, match=message) as caught:
        check_publishable(table, policy=PUBLIC, name="export.csv")
    assert "export.csv" in str(caught.value)


def test_check_publishable_accepts_coarse_dates_cells_and_points():
    table = pd.DataFrame({
        "month": pd.to_datetime(["2024-03-01", "2024-04-01"]),
        "h3": ["86754e64fffffff", "86754e64fffffff"],
        "lat": [7.89, 7.8939], "lon": [-72.51, -72.5071],
        "n_people": pd.array([15, pd.NA], dtype="Int64"),
    })
    check_publishable(table, policy=PUBLIC, name="t", known_points=np.array([[-72.5071, 7.8939]]))


def test_check_publishable_checks_point_geometry_and_allow_list():
    cucuta = Point(-72.5071, 7.8939)
    places = gpd.GeoDataFrame({"name": ["Cúcuta", "x"], "n_people": [15, 20]},
                              geometry=[cucuta, Point(-72.123456, 7.654321)], crs="EPSG:4326")
    with pytest.raises(DisclosureError) as caught:
        check_publishable(places, policy=PUBLIC, name="map", layer="places",
                          known_points=gpd.GeoSeries([cucuta]))
    assert caught.value.violations == [
        "geometry, rows 1: points finer than 2 decimals that are not gazetteer places (a survivor's own "
        "location?)"]
    with pytest.raises(DisclosureError, match="name its allow-list"):
        check_publishable(places.iloc[:1], policy=PUBLIC, name="map", known_points=[cucuta])
    with pytest.raises(DisclosureError, match=r"\['age_group'\] are not in the allow-list"):
        check_publishable(places.iloc[:1].assign(age_group="18-29"), policy=PUBLIC, name="map",
                          layer="places", known_points=[cucuta])
    check_publishable(places.iloc[:1], policy=PUBLIC, name="map", layer="places", known_points=[cucuta])


def test_check_publishable_text_refuses_day_dates():
    with pytest.raises(DisclosureError, match="2024-03-15"):
        check_publishable("Registrado el 2024-03-15 en Cúcuta.", policy=PUBLIC, name="brief.txt")
    check_publishable("Marzo de 2024: 15 personas.", policy=PUBLIC, name="brief.txt")


PAGE = """<!DOCTYPE html>
<html>
<head>
  <meta charset="utf-8">
  <style>body { margin: 0 }</style>
  <script>document.title = "ok";</script>
</head>
<body><div id="map" style="height: 100%"></div>
<script type="application/json" id="data">{"a":1}</script>
<script>
  var box = document.getElementById("map");
</script>
</body>
</html>"""


def inline_blocks(page: str, tag: str) -> list[str]:
    return re.findall(rf"<{tag}(?![^>]*\bsrc=)[^>]*>(.*?)</{tag}>", page, flags=re.S)


def sha256_source(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def test_check_publishable_html_needs_a_strict_csp():
    with pytest.raises(DisclosureError, match="no Content-Security-Policy"):
        check_publishable(PAGE, policy=PUBLIC, name="map.html")
    check_publishable(with_csp(PAGE), policy=PUBLIC, name="map.html")
    tampered = with_csp(PAGE).replace('document.title = "ok";', 'document.title = "pwned";')
    with pytest.raises(DisclosureError, match="1 inline script"):
        check_publishable(tampered, policy=PUBLIC, name="map.html")
    loose = PAGE.replace("<head>", "<head><meta http-equiv=\"Content-Security-Policy\" "
                                   "content=\"script-src 'unsafe-inline'\">")
    with pytest.raises(DisclosureError, match="'unsafe-inline'") as caught:
        check_publishable(loose, policy=PUBLIC, name="map.html")
    assert any("base-uri" in v for v in caught.value.violations)
    handler = with_csp(PAGE).replace("<div id", "<div onmouseover=\"alert(1)\" id")
    with pytest.raises(DisclosureError, match="onmouseover="):
        check_publishable(handler, policy=PUBLIC, name="map.html")


# -- pseudonymise ------------------------------------------------------------------------------


def test_pseudonymise_is_keyed_stable_and_hides_the_id():
    ids = pd.Series(["COL-2024-0001", "COL-2024-0002", None, "COL-2024-0001"], index=[3, 1, 2, 0])
    first = pseudonymise(ids, "a long analyst secret")
    assert first.index.tolist() == [3, 1, 2, 0]
    assert first[3] == first[0] and first[3] != first[1] and pd.isna(first[2])
    expected = hmac.new(b"a long analyst secret", b"COL-2024-0001", hashlib.sha256).hexdigest()[:16]
    assert first[3] == expected
    assert pseudonymise(ids, "a long analyst secret").equals(first)
    assert (pseudonymise(ids, b"another key").dropna() != first.dropna()).all()
    assert not any("2024" in p or "0001" in p for p in first.dropna())
    with pytest.raises(PolicyError, match="non-empty"):
        pseudonymise(ids, "")


# -- HTML safety -------------------------------------------------------------------------------

PAYLOADS = [
    "<img src=x onerror=alert(1)>",
    "</script><script>alert(1)</script>",
    "${alert(1)}",
    "`",
    "\\\\`",
    "{{7*7}}",
    "line\u2028separator\u2029end",
    "Cúcuta — Ñuñoa, São Paulo 🙂",
    "\"quoted\" & 'single'",
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_escape_text_is_inert_and_round_trips(payload):
    escaped = escape_text(payload)
    assert html.unescape(escaped) == payload
    assert re.fullmatch(r"[A-Za-z0-9 &#;]*", escaped)
    assert not re.search(r"&(?!#\d+;)", escaped)


def test_escape_text_handles_missing_and_control_characters():
    assert escape_text(None) == "" and escape_text(pd.NA) == "" and escape_text(np.nan) == ""
    assert escape_text(15) == "15"
    assert escape_text("a\x00b\x85c") == "a&#65533;b&#65533;c"
    assert escape_text("é") == "&#233;"


def test_safe_json_cannot_close_a_script_and_parses_back():
    value = {"name": "</script><script>alert(1)</script>", "sep": "\u2028", "n": np.int64(15),
             "amp": "a & b 'c'", "missing": pd.NA}
    text = safe_json(value)
    assert not re.search(r"[<>&'\u2028\u2029]", text)
    assert json.loads(text) == {"name": value["name"], "sep": "\u2028", "n": 15, "amp": "a & b 'c'",
                                "missing": None}
    with pytest.raises(ValueError):
        safe_json({"x": float("nan")})


def test_content_security_policy_hashes_every_inline_script_and_style():
    policy = content_security_policy(PAGE)
    directives = {d.split()[0]: d.split()[1:] for d in policy.split("; ")}
    scripts = inline_blocks(PAGE, "script")
    assert len(scripts) == 3
    assert directives["script-src"] == [sha256_source(s) for s in scripts]
    assert directives["style-src"] == [sha256_source("body { margin: 0 }")]
    for name in ("default-src", "object-src", "base-uri", "form-action", "connect-src"):
        assert directives[name] == ["'none'"]
    assert directives["img-src"] == ["data:"]
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy


def test_content_security_policy_can_allow_style_attributes_by_hash():
    policy = content_security_policy(PAGE, allow_style_attributes=True)
    style_src = next(d for d in policy.split("; ") if d.startswith("style-src")).split()[1:]
    assert style_src[1:] == ["'unsafe-hashes'", sha256_source("height: 100%")]


def test_content_security_policy_refuses_handlers_and_loose_sources():
    with pytest.raises(DisclosureError, match="onclick="):
        content_security_policy('<html><head></head><body><a onclick="go()">x</a></body></html>')
    for source in ("'unsafe-inline'", "*", "https://ok.org; script-src *"):
        with pytest.raises(PolicyError, match="refused sources"):
            content_security_policy(PAGE, extra_script_src=[source])


def test_with_csp_puts_the_meta_first_in_head_and_replaces_an_old_one():
    page = with_csp(PAGE, img_src=["data:", "https://tile.openstreetmap.org"])
    head = page.split("<head>", 1)[1]
    assert head.startswith('<meta http-equiv="Content-Security-Policy" content="default-src \'none\';')
    assert "img-src data: https://tile.openstreetmap.org;" in page
    again = with_csp(page)
    assert again.count("Content-Security-Policy") == 1
    assert with_csp("<p>bare</p>").startswith("<head><meta http-equiv=")


@pytest.mark.browser
def test_csp_lets_hashed_scripts_run_and_blocks_injected_handlers(tmp_path, open_offline):
    # the hashed script injects a payload through innerHTML, as a Leaflet popup would.
    payload = "<img src=x onerror=\"document.title='pwned'\">"
    page = with_csp(f"""<!DOCTYPE html><html><head><title>start</title></head><body><div id="box"></div>
<script>document.title = "ran"; document.getElementById("box").innerHTML = {json.dumps(payload)};</script>
<p id="text">{escape_text(payload)}</p></body></html>""")
    path = tmp_path / "page.html"
    path.write_text(page, encoding="utf-8")
    opened = open_offline(path)
    opened.page.wait_for_timeout(300)
    assert opened.page.title() == "ran"
    assert opened.page.inner_text("#text") == payload
    assert any("Content Security Policy" in e for e in opened.console_errors)
