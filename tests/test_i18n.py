"""One translation mechanism: every message in English and Spanish, numbers and months by CLDR (Babel)."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import routes
from routes._i18n import BRIEF, LANGUAGES, MAP, MESSAGES, month_name, number, percent
from routes.errors import ParameterError

NBSP = "\u00a0"


def _fields(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}


@pytest.mark.parametrize("table", MESSAGES, ids=lambda table: table.name)
def test_every_message_has_english_and_spanish_with_the_same_placeholders(table: object) -> None:
    """A key without one language would print a KeyError on a product; one whose languages take other
    ``{placeholders}`` would print a raw brace or fail in one language only."""
    from routes._i18n import Messages

    assert isinstance(table, Messages)
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
