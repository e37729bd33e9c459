"""One translation mechanism: every message in English and Spanish, numbers and months by CLDR (Babel)."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import routes
from routes import schema
from routes._i18n import BRIEF, LANGUAGES, MAP, MESSAGES, Messages, in_language, month_name, number, percent
from routes.errors import ParameterError
from routes.privacy import DisclosurePolicy

NBSP = "\u00a0"


def _fields(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}


@pytest.mark.parametrize("table", MESSAGES, ids=lambda table: table.name)
def test_every_message_has_english_and_spanish_with_the_same_placeholders(table: Messages) -> None:
    """A key without one language would print a KeyError on a product; one whose languages take other
    ``{placeholders}`` would print a raw brace or fail in one language only."""
    for key, texts in table.texts.items():
        assert set(texts) == set(LANGUAGES), (table.name, key, sorted(texts))
        assert all(texts[lang].strip() for lang in LANGUAGES), (table.name, key)
        assert _fields(texts["en"]) == _fields(texts["es"]), (table.name, key)


def test_every_key_the_map_asks_for_is_in_its_table() -> None:
    """Each literal key the map's modules pass to ``_text`` is a message of :data:`routes._i18n.MAP`."""
    asked = set()
    for path in sorted((Path(routes.__file__).parent / "maps").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "_text"
                    and node.args and isinstance(node.args[0], ast.Constant)):
                asked.add(node.args[0].value)
    assert asked and not asked - set(MAP.texts), sorted(asked - set(MAP.texts))


def test_numbers_percentages_and_months_follow_each_language() -> None:
    assert number(1970, "es") == "1.970" and number(1970, "en") == "1,970"
    assert number(1234567.5, "es", decimals=1) == "1.234.567,5"
    assert number(1234567.5, "en", decimals=1) == "1,234,567.5"
    assert number(14, "es", decimals=1) == "14,0" and number(14, "en", decimals=1) == "14.0"
    assert percent(0.254, "es") == f"25,4{NBSP}%" and percent(0.254, "en") == "25.4%"  # CLDR: es spaces it
    assert percent(0.5, "es", decimals=0) == f"50{NBSP}%"
    assert number(np.int64(1970), "es") == "1.970" and number(np.float64(14), "en", decimals=1) == "14.0"
    assert [month_name(m, "es") for m in (1, 3, 12)] == ["enero", "marzo", "diciembre"]
    assert [month_name(m, "en") for m in (1, 3, 12)] == ["January", "March", "December"]


@given(st.floats(min_value=0, max_value=1e9, allow_nan=False), st.integers(min_value=0, max_value=2))
def test_a_number_rounds_as_python_does(value: float, decimals: int) -> None:
    """Babel formats the float's exact value, rounded half to even, so a product writes the same digits
    as before Babel (``f"{x:,.1f}"``, with ``.`` and ``,`` swapped in Spanish)."""
    english = f"{value:,.{decimals}f}"
    assert number(value, "en", decimals=decimals) == english
    assert number(value, "es", decimals=decimals) == english.translate(str.maketrans(",.", ".,"))


@given(st.integers(min_value=0, max_value=10_000), st.integers(min_value=1, max_value=10_000))
def test_a_percentage_is_the_hundredfold_share_rounded_once(part: int, whole: int) -> None:
    """Scaled by 100 in floating point, then rounded once, as the briefs always wrote a share."""
    share = part / whole
    english = f"{100 * share:,.1f}"
    assert percent(share, "en") == english + "%"
    assert percent(share, "es") == english.translate(str.maketrans(",.", ".,")) + f"{NBSP}%"


@pytest.mark.parametrize(
    "call",
    [lambda: number(1, "fr"), lambda: percent(0.1, "pt"), lambda: month_name(1, "de")],
    ids=["fr", "pt", "de"],
)
def test_a_language_without_a_translation_is_refused_by_name(call: object) -> None:
    assert callable(call)
    with pytest.raises(ParameterError, match=r"lang='..': expected one of en, es"):
        call()


def test_every_heading_the_brief_asks_for_is_in_its_table() -> None:
    """The brief's template (``t.kicker``...) and code (``ui["map_alt"]``) ask only for keys of
    :data:`routes._i18n.BRIEF`, and every key of it is asked for somewhere."""
    root = Path(routes.__file__).parent
    template = (root / "templates" / "brief.html.j2").read_text(encoding="utf-8")
    code = "".join(path.read_text(encoding="utf-8") for path in sorted((root / "briefs").glob("*.py")))
    asked = set(re.findall(r"\bt\.(\w+)", template)) | set(re.findall(r"\bui\[\"(\w+)\"\]", code))
    assert asked == set(BRIEF.texts), (sorted(asked - set(BRIEF.texts)), sorted(set(BRIEF.texts) - asked))


def test_every_action_rule_finds_its_texts_actor_priority_and_timeframe_in_the_tables() -> None:
    """Each rule has an ``.action`` and a ``.because`` text, and only rules (and the cross-border action)
    have texts; each actor, priority, timeframe and line of work a rule names is a key of its table."""
    from routes._i18n import ACTION, ACTOR, LINE_OF_WORK, PRIORITY, TIMEFRAME
    from routes.briefs import ACTION_RULES

    expected = {f"{rule.code}.{part}" for rule in ACTION_RULES for part in ("action", "because")}
    assert set(ACTION.texts) == expected | {"cross_border"}
    for rule in ACTION_RULES:
        assert rule.actor in ACTOR and rule.priority in PRIORITY and rule.timeframe in TIMEFRAME, rule.code
        assert rule.line_of_work in LINE_OF_WORK, rule.code
    named = {key.split(".")[0] for key in ACTOR.texts if "." in key}
    assert named <= set(ACTOR.texts) and "cross_border" in ACTOR


def test_every_corridor_and_map_class_the_brief_writes_has_its_words() -> None:
    """Every gazetteer corridor and ``all`` has a title and an "on the corridor" phrase; every risk class
    and place marker the brief map draws has a legend text."""
    from routes._i18n import BRIEF_MAP, CORRIDOR, CORRIDOR_IN
    from routes.places import CORRIDORS

    assert list(CORRIDOR.texts) == list(CORRIDOR_IN.texts) == [*CORRIDORS, "all"]
    assert set(BRIEF_MAP.texts) == {
        "higher", "similar", "lower", "unknown", "chokepoint", "official_crossing", "irregular_crossing_area",
        "people",
    }


def test_every_sentence_of_the_brief_is_written_and_every_written_sentence_is_in_its_table() -> None:
    """The brief's one wording class asks only for keys of :data:`routes._i18n.SENTENCE` and names every
    key of it, so no language carries a sentence the other lacks and no template is dead."""
    from routes._i18n import SENTENCE

    code = (Path(routes.__file__).parent / "briefs" / "_wording.py").read_text(encoding="utf-8")
    asked = set(re.findall(r"self\.say\(\s*\"(\w+)\"", code))
    literals = set(re.findall(r"\"(\w+)\"", code))
    assert asked and asked <= set(SENTENCE.texts), sorted(asked - set(SENTENCE.texts))
    assert set(SENTENCE.texts) <= literals, sorted(set(SENTENCE.texts) - literals)


def _tables() -> dict[str, Messages]:
    """Each message table of :mod:`routes._i18n` by the name the code imports it as."""
    from routes import _i18n

    return {name: value for name, value in vars(_i18n).items() if isinstance(value, _i18n.Messages)}


def _literals(node: ast.expr) -> set[str]:
    """The keys a ``.text(...)`` argument can be: a string, or either branch of a conditional."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return _literals(node.body) | _literals(node.orelse)
    return set()


def _asked_of_tables() -> dict[str, set[str]]:
    """Table name → every literal key the package asks of it (``TABLE.text("key", lang)`` or
    ``_i18n.TABLE.text(...)``), over every module of ``routes``."""
    tables = _tables()
    asked: dict[str, set[str]] = {name: set() for name in tables}
    for path in sorted(Path(routes.__file__).parent.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "text" and node.args):
                continue
            owner = node.func.value
            name = getattr(owner, "id", None) or getattr(owner, "attr", "")
            if name in tables:
                asked[name] |= _literals(node.args[0])
    return asked


def test_every_key_the_package_asks_of_a_table_is_in_it() -> None:
    """A ``TABLE.text("key", lang)`` anywhere in the package names a key of that table, so no product can
    fail on a missing message in one language or both."""
    tables = _tables()
    asked = _asked_of_tables()
    missing = {name: sorted(keys - set(tables[name].texts)) for name, keys in asked.items()}
    assert not any(missing.values()), missing
    assert asked["PUBLICATION"] and asked["WORD"] and asked["DEMO"]


def test_every_publication_word_and_demo_message_is_asked_for() -> None:
    """The tables whose keys are only ever asked by name hold no message nobody writes."""
    tables = _tables()
    asked = _asked_of_tables()
    for name in ("PUBLICATION", "WORD", "DEMO"):
        assert asked[name] == set(tables[name].texts), name


def test_no_module_chooses_a_language_by_comparing_it() -> None:
    """Outside :mod:`routes._i18n`, no code compares a language with ``"es"`` or ``"en"``: every text
    chooses its language through a table or :func:`routes._i18n.in_language`."""
    found = []
    root = Path(routes.__file__).parent
    for path in sorted(root.rglob("*.py")):
        if path.name == "_i18n.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Compare) and any(
                isinstance(side, ast.Constant) and side.value in LANGUAGES
                for side in (node.left, *node.comparators)
            ):
                found.append(f"{path.relative_to(root)}:{node.lineno}")
    assert not found, found


def test_the_policy_and_release_sentences_read_the_same_in_both_languages() -> None:
    """The footer sentences of every product, from :data:`routes._i18n.PUBLICATION`, word for word."""
    from routes.privacy import DisclosurePolicy, Release

    public = DisclosurePolicy.public()
    internal = DisclosurePolicy.internal(k=10, reference="ISP 2025")
    source = DisclosurePolicy.public_source(source="ACLED", licence="CC BY 4.0")
    assert public.describe("en") == ("Counts under 11 are suppressed; counts rounded to the nearest 5 and "
                                     "shown as at least 15; reported cases, not prevalence.")
    assert public.describe("es") == ("Se suprimen los conteos menores de 11; los conteos se redondean al "
                                     "múltiplo de 5 más cercano y se muestran como mínimo 15; casos "
                                     "reportados, no prevalencia.")
    assert internal.describe("en") == (
        "CONFIDENTIAL: internal use only. Counts under 10 are suppressed; reported cases, not prevalence. "
        "Information-sharing protocol: ISP 2025."
    )
    assert internal.describe("es") == (
        "CONFIDENCIAL: solo para uso interno. Se suprimen los conteos menores de 10; casos reportados, no "
        "prevalencia. Protocolo de intercambio de información: ISP 2025."
    )
    assert source.attribution("en") == "Source: ACLED (CC BY 4.0)."
    assert source.attribution("es") == "Fuente: ACLED (CC BY 4.0)."
    assert DisclosurePolicy.public_source(source="ACLED").attribution("es") == "Fuente: ACLED."
    assert source.describe("es").startswith("Fuente: ACLED (CC BY 4.0). Datos ya publicados por su fuente")
    assert public.attribution("es") == ""

    def note(hidden: int, lang: str) -> str:
        release = Release(pd.DataFrame(), (), public, hidden_cells=hidden, hidden_people=0)
        return release.note(lang).removesuffix(" " + public.describe(lang))

    assert [note(n, "en") for n in (0, 1, 2)] == [
        "No cell hidden.",
        "1 cell hidden to protect people (fewer than 11 people, or cells that would reveal them).",
        "2 cells hidden to protect people (fewer than 11 people, or cells that would reveal them).",
    ]
    assert [note(n, "es") for n in (0, 1, 1500)] == [
        "Ninguna celda oculta.",
        "1 celda oculta para proteger a las personas (menos de 11 personas, o celdas que permitirían "
        "deducirlas).",
        "1.500 celdas ocultas para proteger a las personas (menos de 11 personas, o celdas que permitirían "
        "deducirlas).",
    ]


def test_a_period_is_named_in_each_language_by_cldr() -> None:
    """A month of a year by CLDR's year-month format (``marzo de 2022``), a range of months sharing the
    year once, quarters by CLDR's abbreviation (T for trimestre)."""
    from routes._i18n import month_year, quarter_name
    from routes.publish.findings import ReportingPeriod

    assert month_year(2022, 3, "es") == "marzo de 2022" and month_year(2022, 3, "en") == "March 2022"
    periods = [ReportingPeriod.parse(p) for p in ("2022", "2022-03", ("2022-01", "2022-06"),
                                                  ("2022-11", "2023-02"), ("2022", "2023"))]
    assert [p.label("es") for p in periods] == [
        "2022", "marzo de 2022", "enero–junio de 2022", "noviembre de 2022–febrero de 2023", "2022–2023"
    ]
    assert [p.label("en") for p in periods] == [
        "2022", "March 2022", "January–June 2022", "November 2022–February 2023", "2022–2023"
    ]
    assert [quarter_name(q, "es") for q in (1, 4)] == ["T1", "T4"]
    assert [quarter_name(q, "en") for q in (1, 4)] == ["Q1", "Q4"]


def test_a_list_is_joined_as_each_language_says_it() -> None:
    from routes._i18n import join

    assert join([], "es") == "" and join(["a"], "en") == "a"
    assert join(["a", "b"], "es") == "a y b" and join(["a", "b", "c"], "en") == "a, b and c"


def test_every_person_and_flag_a_pattern_label_names_has_its_words() -> None:
    """Each sex a label can name, alone, with a child or an adult stage or neither, and each flag, is a
    key of :data:`routes._i18n.PATTERN`; the table holds nothing else."""
    from routes import patterns
    from routes._i18n import PATTERN

    sexes = {"female", "male", "intersex"}
    assert sexes <= set(schema.VOCABULARIES["sex"].codes)
    who = {".".join(["who", *(part for part in (sex, stage) if part)])
           for sex in (*sexes, None) for stage in ("child", "adult", None)}
    flags = {f"flag.{name}" for name in patterns._FLAGS}
    assert set(PATTERN.texts) == who | flags | {"mixed"}
    assert patterns.MIXED_LABEL == {"en": "Mixed, not a finding", "es": "Mixto, no es un hallazgo"}


def test_the_sub_sector_groups_are_the_groups_counted() -> None:
    """Every group :func:`routes.schema.sub_sector_groups` tells has its words, and only those."""
    from routes._i18n import GROUP

    assert list(GROUP.texts) == list(schema.sub_sector_groups(pd.DataFrame(index=[0])).columns)
    assert GROUP.pairs() == schema.GROUPS


def test_every_country_has_a_name_in_both_languages() -> None:
    """Every ISO 3166-1 country has a non-empty name in each language; the overrides name real codes."""
    import pycountry

    from routes._i18n import COUNTRY, countries

    codes = {c.alpha_3 for c in pycountry.countries}
    for lang in LANGUAGES:
        names = countries(lang)
        assert set(names) == codes and all(names.values()), lang
    assert set(COUNTRY.texts) <= codes
    assert countries("es")["SUR"] == "Surinam" and countries("es")["DZA"] == "Argelia"
    assert schema.label("nationality", "DZA", "es") == "Argelia"  # the label of a country without demonym
    assert schema.NATIONALITY.parse("Algeria") == schema.NATIONALITY.parse("Argelia") == "DZA"


@pytest.mark.parametrize(
    "call",
    [
        lambda: schema.label("sex", "female", "fr"),
        lambda: schema.get_field("cases", "sex").label("pt"),
        lambda: DisclosurePolicy.public().describe("de"),
        lambda: in_language({"en": "a", "es": "b"}, "fr"),
    ],
    ids=["term", "field", "policy", "in_language"],
)
def test_a_label_in_a_language_without_it_is_refused_not_read_as_english(call: object) -> None:
    """Before one mechanism, these fell back to English silently; a typo in a language now says so."""
    assert callable(call)
    with pytest.raises(ParameterError, match=r"lang='..': expected one of en, es"):
        call()
