"""Property tests of the disclosure rules on random tables (hypothesis).

The checks are written from the attacker's side, independently of the implementation: recount the
true cells with pandas, rebuild the linear system a reader of the published table can solve, and
compare class sizes with a brute-force pairwise comparison.
"""

from __future__ import annotations

import html
import json
import re

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from routes.privacy import (
    TOTAL,
    DisclosurePolicy,
    equivalence_class_sizes,
    escape_text,
    pseudonymise,
    release_counts,
    release_rate,
    release_rates,
    safe_json,
)

SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ROWS, COLS = list("abcdef"), list("xyz")

policies = st.builds(
    DisclosurePolicy,
    k=st.sampled_from([5, 8, 11]),
    rounding=st.sampled_from([1, 3, 5, 10]),
)


@st.composite
def memberships(draw: st.DrawFn, *, single: bool) -> pd.DataFrame:
    """People in cells (row, col); with ``single`` each person is in exactly one cell."""
    n_people = draw(st.integers(1, 120))
    row_weights = draw(st.lists(st.integers(0, 10), min_size=len(ROWS), max_size=len(ROWS)).filter(any))
    col_weights = draw(st.lists(st.integers(0, 10), min_size=len(COLS), max_size=len(COLS)).filter(any))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    per_person = np.ones(n_people, dtype=int) if single else rng.integers(1, 4, n_people)
    person = np.repeat(np.arange(n_people), per_person)
    p_row = np.asarray(row_weights) / sum(row_weights)
    p_col = np.asarray(col_weights) / sum(col_weights)
    return pd.DataFrame({
        "case_id": [f"p{i}" for i in person],
        "place": rng.choice(ROWS, len(person), p=p_row),
        "risk": rng.choice(COLS, len(person), p=p_col),
    })


def true_counts(frame: pd.DataFrame, by: list[str]) -> pd.Series:
    return frame.groupby(by)["case_id"].nunique()


@SETTINGS
@given(data=memberships(single=False), policy=policies, two_way=st.booleans(), margins=st.booleans())
def test_published_counts_are_rounded_true_counts_of_at_least_k(data, policy, two_way, margins):
    by = ["place", "risk"] if two_way else ["place"]
    release = release_counts(data, by, policy=policy, margins=margins)
    table = release.table
    published = table["n_people"].dropna().astype(int)
    assert (published >= policy.k).all()
    assert (published % policy.rounding == 0).all()
    assert table["n_people"].isna().equals(table["suppressed"])
    assert set(table["reason"]) <= {"", "below_k", "secondary"}
    assert (table["reason"].eq("") == ~table["suppressed"]).all()

    cells = release.cells.set_index(by)
    truth = true_counts(data, by).reindex(cells.index, fill_value=0)
    shown = ~cells["suppressed"]
    assert (truth[shown] > 0).all()  # an empty cell is absent, never a published 0
    expected = policy.round_count(truth[shown])
    assert cells.loc[shown, "n_people"].astype(int).tolist() == expected.astype(int).tolist()
    below_k = (truth > 0) & (truth < policy.k)
    assert cells.loc[below_k.to_numpy(), "reason"].eq("below_k").all()
    assert set(true_counts(data, by).index) <= set(cells.index)  # every non-empty cell is listed

    hidden_people = data.merge(cells.loc[cells["suppressed"]].reset_index()[by], on=by)["case_id"].nunique()
    assert (release.hidden_cells, release.hidden_people) == (int(cells["suppressed"].sum()), hidden_people)
    if margins:
        total = table.set_index(by).loc[(TOTAL,) * len(by) if two_way else TOTAL, "n_people"]
        n_total = data["case_id"].nunique()
        assert total is pd.NA or total == policy.round_count(n_total)


@SETTINGS
@given(data=memberships(single=False), policy=policies, two_way=st.booleans(), margins=st.booleans(),
       seed=st.integers(0, 2**32 - 1))
def test_rates_count_true_events_and_equal_one_release_rate_per_numerator(data, policy, two_way, margins,
                                                                           seed):
    by = ["place", "risk"] if two_way else ["place"]
    rng = np.random.default_rng(seed)
    numerators = {share: data.loc[rng.random(len(data)) < share] for share in (0.0, 0.3, 0.8)}
    tables = release_rates(numerators, data, by, policy=policy, margins=margins)
    for share, numerator in numerators.items():
        table = tables[share]
        alone = release_rate(numerator, data, by, policy=policy, margins=margins)
        pd.testing.assert_frame_equal(table, alone, check_exact=True)
        cells = table.loc[~table[by].eq(TOTAL).any(axis=1)].set_index(by)
        events = true_counts(numerator, by).reindex(cells.index, fill_value=0)
        people = true_counts(data, by).reindex(cells.index)
        shown = ~cells["suppressed"]
        assert cells.loc[shown, "n_events"].astype(int).tolist() == policy.round_count(events[shown]).tolist()
        # rates come from the published counts, so inverting one gives back only what is shown
        published = cells.loc[shown, "n_events"].astype(float) / cells.loc[shown, "n_people"].astype(float)
        assert np.allclose(cells.loc[shown, "rate"], np.round(100 * published, 1))
        assert people.notna().all()
        assert ((events[shown] == 0) | (events[shown] >= policy.k)).all()
        assert (people[shown] - events[shown] >= policy.k).all()


keys = st.sampled_from(["b", "a", "c", None])


@SETTINGS
@given(rows=st.lists(st.tuples(st.integers(0, 30), keys, keys, keys), min_size=1, max_size=150),
       categorical=st.booleans())
def test_cells_are_listed_in_groupby_order_with_missing_and_categorical_keys(rows, categorical):
    data = pd.DataFrame(rows, columns=["case_id", "x", "y", "z"]).astype({"case_id": str})
    if categorical:  # categories in an order of their own, one never used
        data = data.astype({c: pd.CategoricalDtype(["c", "a", "b", "unused"]) for c in ("x", "y", "z")})
    by = ["x", "y", "z"]
    cells = release_counts(data, by, policy=DisclosurePolicy.internal(), margins=False).cells
    truth = data.groupby(by, sort=True, dropna=False, observed=True)["case_id"].nunique()
    listed = [tuple(key) for key in cells[by].astype(object).where(cells[by].notna(), None).to_numpy()]
    expected = [tuple(None if pd.isna(v) else v for v in key) for key in truth.index]
    assert listed == expected
    shown = ~cells["suppressed"].to_numpy()
    assert cells.loc[shown, "n_people"].tolist() == truth[shown].tolist()


def determined_cells(entries: dict[object, object], lines: list[tuple[list[object], object]]) -> list[object]:
    """Hidden entries a reader can solve for, given that each line's members add up to its total.

    ``entries`` maps each listed entry (cell or margin) to its published value (NA when hidden);
    entries not listed are known zeros. A hidden entry is determined when its unit vector lies in the
    row space of the constraint matrix restricted to the unknowns.
    """
    unknown = [key for key, value in entries.items() if pd.isna(value)]
    position = {key: j for j, key in enumerate(unknown)}
    system = np.zeros((len(lines), len(unknown)))
    for i, (members, total) in enumerate(lines):
        for member in members:
            if member in position:
                system[i, position[member]] += 1
        if total in position:
            system[i, position[total]] -= 1
    rank = np.linalg.matrix_rank(system)
    determined = []
    for key, j in position.items():
        unit = np.zeros((1, len(unknown)))
        unit[0, j] = 1
        if np.linalg.matrix_rank(np.vstack([system, unit])) == rank:
            determined.append(key)
    return determined


def two_way_lines() -> list[tuple[list[object], object]]:
    rows, cols = [TOTAL, *ROWS], [TOTAL, *COLS]
    return ([([(r, c) for c in COLS], (r, TOTAL)) for r in rows]
            + [([(r, c) for r in ROWS], (TOTAL, c)) for c in cols])


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=memberships(single=True), k=st.sampled_from([5, 11]))
def test_no_hidden_cell_of_a_two_way_table_is_determined_by_the_margins(data, k):
    policy = DisclosurePolicy(k=k, rounding=1)
    table = release_counts(data, ["place", "risk"], policy=policy, margins=True).table
    entries = table.set_index(["place", "risk"])["n_people"].to_dict()
    assert determined_cells(entries, two_way_lines()) == []


@SETTINGS
@given(data=memberships(single=True), k=st.sampled_from([5, 11]))
def test_no_hidden_cell_of_a_one_way_table_is_recovered_from_the_total(data, k):
    policy = DisclosurePolicy(k=k, rounding=1)
    table = release_counts(data, "place", policy=policy, margins=True).table
    assert table["suppressed"].sum() != 1
    entries = table.set_index("place")["n_people"].to_dict()
    assert determined_cells(entries, [(ROWS, TOTAL)]) == []


def brute_force_sizes(frame: pd.DataFrame, columns: list[str]) -> list[int]:
    values = frame[columns].astype(object).to_numpy()
    missing = pd.isna(frame[columns]).to_numpy() | np.isin(values.astype(str), ["", "unknown"])
    sizes = []
    for i in range(len(values)):
        compatible = 0
        for j in range(len(values)):
            compatible += all(missing[i, q] or missing[j, q] or values[i, q] == values[j, q]
                              for q in range(len(columns)))
        sizes.append(compatible)
    return sizes


cell_values = st.sampled_from(["a", "b", "c", "unknown", "", None])


@SETTINGS
@given(rows=st.lists(st.tuples(cell_values, cell_values, cell_values), min_size=1, max_size=40),
       labels=st.lists(st.sampled_from([0, 1, 2, "x"]), min_size=40, max_size=40))
def test_class_sizes_equal_brute_force_with_missing_values_and_any_index(rows, labels):
    frame = pd.DataFrame(rows, columns=["q1", "q2", "q3"], index=labels[:len(rows)])
    sizes = equivalence_class_sizes(frame, ["q1", "q2", "q3"])
    assert sizes.index.equals(frame.index)
    assert sizes.tolist() == brute_force_sizes(frame, ["q1", "q2", "q3"])


def test_class_sizes_stay_exact_when_the_key_space_overflows_64_bits():
    rng = np.random.default_rng(3)
    # 12 keys of ~60 distinct values each: 60**12 ≈ 2e21 combinations, more than int64 holds.
    frame = pd.DataFrame({f"q{j}": rng.integers(0, 60, 150).astype(str) for j in range(12)})
    frame.iloc[::7, 3] = "unknown"
    frame.iloc[::5, :] = frame.iloc[0].to_numpy()  # a large class to find
    columns = list(frame.columns)
    assert equivalence_class_sizes(frame, columns).tolist() == brute_force_sizes(frame, columns)


text_without_unrepresentable = st.text(
    alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Cn")) | st.sampled_from("\t\n\r"),
    max_size=200,
)


@SETTINGS
@given(text=text_without_unrepresentable)
def test_escape_text_round_trips_and_leaves_only_entities(text):
    escaped = escape_text(text)
    assert html.unescape(escaped) == text
    assert re.fullmatch(r"(?:[A-Za-z0-9 ]|&#\d+;)*", escaped)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=30)
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children,
                                                                       max_size=4),
    max_leaves=20,
)


@SETTINGS
@given(value=json_values)
def test_safe_json_parses_back_and_holds_no_html_breakers(value):
    text = safe_json(value)
    assert json.loads(text) == value
    assert not re.search(r"[<>&'\u2028\u2029]", text) and text.isascii()
    literals = re.findall(r'"(?:[^"\\]|\\.)*"', text)  # no brace inside a string: no {{ }} for a template
    assert not any(brace in literal for literal in literals for brace in "{}")


@SETTINGS
@given(ids=st.lists(st.text(min_size=1, max_size=12), min_size=1, max_size=30),
       key_a=st.binary(min_size=1, max_size=16), key_b=st.binary(min_size=1, max_size=16))
def test_pseudonyms_depend_on_the_key_and_are_stable(ids, key_a, key_b):
    series = pd.Series(ids)
    first = pseudonymise(series, key_a)
    assert first.equals(pseudonymise(series, key_a))
    assert (first.groupby(series).nunique() == 1).all()  # one pseudonym per id
    assert first.nunique() == series.nunique()
    if key_a != key_b:
        assert (first != pseudonymise(series, key_b)).all()
    assert all(re.fullmatch(r"[0-9a-f]{16}", p) for p in first)


@SETTINGS
@given(n=st.integers(0, 10_000), policy=policies)
def test_round_count_never_publishes_a_count_under_k(n, policy):
    published = policy.round_count(n)
    if 0 < n < policy.k:
        assert published is pd.NA
    else:
        assert published == 0 if n == 0 else (published >= policy.k and published % policy.rounding == 0
                                              and abs(published - n) < max(policy.rounding, policy.k))
