"""The case data standard: vocabularies read real export spellings, never guess, and stay documented."""

from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from routes import schema
from routes._text import normalize_key

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    ("vocabulary", "spelling", "code"),
    [
        ("sex", "Femenino", "female"),
        ("sex", "MUJER", "female"),
        ("sex", "F", "female"),
        ("sex", "varón", "male"),
        ("age_group", "18--20", "18-29"),
        ("age_group", "0--8", "0-8"),
        ("yes_no", "Sí", "yes"),
        ("yes_no", "-99", "unknown"),
        ("yes_no", "NS/NR", "unknown"),
        ("nationality", "venezolana", "VEN"),
        ("nationality", "VE", "VEN"),
        ("risk", "Extorsión", "extortion"),
        ("risk", "vacuna", "extortion"),
        ("recruitment_method", "Oferta laboral falsa", "false_job_offer"),
        ("exploitation_type", "isSexualExploit"[2:], "sexual"),
        ("crossing", "trocha", "irregular"),
        ("stage", "captación", "recruitment"),
        ("case_type", "Trata de personas", "trafficking"),
    ],
)
def test_vocabularies_read_the_spellings_exports_use(vocabulary: str, spelling: str, code: str) -> None:
    assert schema.VOCABULARIES[vocabulary].parse(spelling) == code


def test_unknown_values_are_not_guessed_but_suggested() -> None:
    assert schema.SEX.parse("Femenio") is None
    assert "female" in schema.SEX.suggest("Femenio")


def test_blank_and_nan_read_as_unknown() -> None:
    assert schema.SEX.parse(None) == "unknown"
    assert schema.SEX.parse(float("nan")) == "unknown"
    assert schema.SEX.parse("  ") == "unknown"


def test_every_term_has_both_labels_and_no_spelling_maps_to_two_codes() -> None:
    collisions = []
    for vocab in schema.VOCABULARIES.values():
        seen: dict[str, str] = {}
        for term in vocab.terms:
            assert term.en and term.es, (vocab.name, term.code)
            for spelling in (term.code, term.en, term.es, *term.aliases):
                first = seen.setdefault(normalize_key(spelling), term.code)
                if first != term.code:
                    collisions.append((vocab.name, spelling, first, term.code))
    assert collisions == []


@given(st.sampled_from(sorted(schema.VOCABULARIES)), st.data())
def test_every_code_and_label_parses_back_to_its_code(name: str, data: st.DataObject) -> None:
    vocab = schema.VOCABULARIES[name]
    term = data.draw(st.sampled_from(vocab.terms))
    spelling = data.draw(st.sampled_from([term.code, term.en, term.es]))
    cased = data.draw(st.sampled_from([spelling, spelling.upper(), f"  {spelling.lower()} "]))
    assert vocab.parse(cased) == term.code


def test_fields_have_unique_names_and_hxl_tags_per_table() -> None:
    for fields in schema.TABLES.values():
        names = [f.name for f in fields]
        tags = [f.hxl for f in fields]
        assert len(names) == len(set(names))
        assert len(tags) == len(set(tags))
        assert all(t.startswith("#") for t in tags)


def test_direct_identifiers_and_free_text_are_marked() -> None:
    assert set(schema.identifying_columns(["name", "phone", "notes", "sex", "document_number"])) == {
        "name", "phone", "notes", "document_number"}


def test_sub_sector_groups_count_people_known_to_belong() -> None:
    cases = pd.DataFrame({
        "sex": ["female", "male", "male", "female", "unknown"],
        "age_group": ["30-38", "18-29", "18-29", "9-17", "unknown"],
        "head_of_household": ["yes", "no", "unknown", "no", "yes"],
        "informal_sector": ["no", "yes", "no", "no", "unknown"],
        "lgbtiq": ["no", "no", "yes", "no", "unknown"],
        "gender_identity": ["woman", "man", "man", "trans_woman", "unknown"],
        "double_affectation": ["no", "yes", "no", "no", "no"],
    })
    groups = schema.sub_sector_groups(cases)
    assert groups["women_head_of_household"].tolist() == [True, False, False, False, False]
    assert groups["young_men_informal"].tolist() == [False, True, False, False, False]
    assert groups["lgbtiq"].tolist() == [False, False, True, True, False]
    assert groups["children"].tolist() == [False, False, False, True, False]
    assert groups["double_affectation"].sum() == 1


def test_multi_hot_keeps_vocabulary_order_and_ignores_blanks() -> None:
    hot = schema.multi_hot(pd.Series(["threats;debt_bondage", "", "threats"]), "means_of_control")
    assert list(hot.columns) == ["debt_bondage", "threats"]
    assert hot.to_numpy().tolist() == [[1, 1], [0, 0], [0, 1]]


def test_case_data_standard_doc_is_generated_from_the_schema() -> None:
    doc = (ROOT / "docs" / "case-data-standard.md").read_text(encoding="utf-8")
    assert doc == schema.standard_markdown(), "regenerate: python -m routes.schema > docs/..."


@pytest.mark.parametrize(
    ("value", "key"),
    [("Łódź", "lodz"), ("Đà Nẵng", "da nang"), ("北京", "beijing"), ("القاهرة", "lqhrh"),
     ("Cúcuta", "cucuta")],
)
def test_keys_keep_the_letters_of_every_script(value: str, key: str) -> None:
    assert normalize_key(value) == key


def test_a_value_in_another_script_is_not_in_the_vocabulary_and_never_unknown() -> None:
    sex = schema.VOCABULARIES["sex"]
    for value in ("女", "امرأة", "Kobieta", "Phụ nữ"):
        assert sex.parse(value) is None, value
    for blank in ("", " ", "-", "?", "N/A"):
        assert sex.parse(blank) == "unknown", blank


@given(st.text(min_size=1, max_size=12).filter(lambda t: any(ch.isalnum() for ch in t)))
def test_text_with_a_letter_or_digit_reads_as_unknown_only_when_spelled_as_missing(text: str) -> None:
    code = schema.VOCABULARIES["nationality"].parse(text)
    if code == "unknown":
        assert normalize_key(text) in schema.VOCABULARIES["nationality"].lookup
        assert normalize_key(text) != ""
