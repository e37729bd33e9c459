"""The words and number formats of every product, in English and Spanish: one translation mechanism.

Messages live in :class:`Messages` tables, each key with one text per language of :data:`LANGUAGES`,
read from the catalogue ``routes/data/messages.toml`` (a section ``[table.key]`` a message, its ``en``
and ``es`` texts; ``tests/test_i18n.py`` checks that every key has both, with the same
``{placeholders}``, and that every key the package asks for exists). A text's language is chosen in one
place, :func:`in_language`, also for data that carry their own English and Spanish (the case standard's
labels, a pattern's generated labels). Numbers, decimals, percentages, month and quarter names, a
month of a year and Spanish country names follow each language's CLDR conventions through Babel
(es: ``1.234``, ``14,0``, ``25,4 %`` with a no-break space, ``marzo de 2022``; en: ``1,234``, ``14.0``,
``25.4%``, ``March 2022``), so no product writes a number or a date by hand. A float is formatted from
its exact value (``Decimal(value)``), rounded half to even as Python's own formatting rounds it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cache, lru_cache
from types import MappingProxyType
from typing import Literal

from routes.errors import ParameterError

__all__ = [
    "ACTION",
    "ACTOR",
    "BRIEF",
    "BRIEF_MAP",
    "CORRIDOR",
    "CORRIDOR_IN",
    "CORRIDOR_THROUGH",
    "COUNTRY",
    "DEMO",
    "GROUP",
    "LANGUAGES",
    "LINE_OF_WORK",
    "MAP",
    "MESSAGES",
    "PATTERN",
    "PRIORITY",
    "PUBLICATION",
    "RISK_SUBJECT",
    "SENTENCE",
    "TIMEFRAME",
    "WORD",
    "Lang",
    "Messages",
    "countries",
    "in_language",
    "join",
    "month_name",
    "month_year",
    "number",
    "percent",
    "quarter_name",
]

Lang = Literal["es", "en"]
LANGUAGES: tuple[str, ...] = ("en", "es")
"""The languages of every product (the order of :data:`routes.maps.LANGUAGES` before this module)."""


@dataclass(frozen=True)
class Messages:
    """A table of messages: each key → its text in each language of :data:`LANGUAGES`."""

    name: str
    texts: Mapping[str, Mapping[str, str]]

    def text(self, key: str, lang: str) -> str:
        """The message ``key`` in ``lang``."""
        return in_language(self.texts[key], lang)

    def __contains__(self, key: object) -> bool:
        return key in self.texts

    def pairs(self) -> dict[str, tuple[str, str]]:
        """Each key → its ``(English, Spanish)`` texts: the shape of the public constants read before this
        table (``routes.briefs.CORRIDOR_LABELS``...)."""
        return {key: (texts["en"], texts["es"]) for key, texts in self.texts.items()}


@cache
def _catalogue() -> dict[str, dict[str, dict[str, str]]]:
    """``routes/data/messages.toml``: table → key → language → text, in the catalogue's order."""
    import tomllib
    from importlib import resources

    with resources.files("routes").joinpath("data", "messages.toml").open("rb") as file:
        return tomllib.load(file)


def _table(name: str) -> Messages:
    """The catalogue's table ``name``, read-only."""
    texts = _catalogue()[name]
    return Messages(name, MappingProxyType({key: MappingProxyType(text) for key, text in texts.items()}))


def _check(lang: str) -> None:
    if lang not in LANGUAGES:
        raise ParameterError(f"lang={lang!r}: expected one of {', '.join(LANGUAGES)}")


def in_language(texts: Mapping[str, str], lang: str) -> str:
    """The text of ``lang`` among ``texts`` (language → text): the one place a text's language is chosen.

    Tables use it, and so do data that carry their own English and Spanish (a vocabulary term's labels, a
    pattern's generated labels); a language the products do not have is refused by name, never read as
    English.
    """
    _check(lang)
    return texts[lang]


def _exact(value: float) -> Decimal:
    """The exact value of a Python or NumPy number (a NumPy scalar becomes its Python number first)."""
    item = getattr(value, "item", None)
    return Decimal(item() if callable(item) else value)


@lru_cache(maxsize=65_536)
def number(value: float, lang: str, *, decimals: int = 0) -> str:
    """``value`` with ``decimals`` decimals as ``lang`` writes it: es ``12.345,5``, en ``12,345.5``.

    Cached: a page writes the same rounded counts and rates many times, and Babel takes about 25 µs a call.
    """
    from babel.numbers import format_decimal

    _check(lang)
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return format_decimal(_exact(value), format=pattern, locale=lang)


@cache
def _percent_pattern(lang: str, decimals: int) -> str:
    """The language's CLDR percent pattern (es ``#,##0 %``, en ``#,##0%``) with ``decimals`` decimals."""
    from babel import Locale

    pattern = Locale.parse(lang).percent_formats[None].pattern
    return pattern.replace("0", "0" + ("." + "0" * decimals if decimals else ""), 1)


def percent(share: float, lang: str, *, decimals: int = 1) -> str:
    """``share`` (0.254) as a percentage in the language's convention (es ``25,4 %``, en ``25.4%``).

    The share is scaled by 100 in floating point first, as the briefs always did, then formatted exactly.
    """
    from babel.numbers import format_percent

    _check(lang)
    exact = _exact(100 * share).scaleb(-2)  # Babel scales by 100 again, exactly
    return format_percent(exact, format=_percent_pattern(lang, decimals), locale=lang)


@cache
def month_name(month: int, lang: str) -> str:
    """The stand-alone name of ``month`` (1-12): ``March``, ``marzo`` (Spanish months are lower case)."""
    from babel.dates import get_month_names

    _check(lang)
    return str(get_month_names("wide", context="stand-alone", locale=lang)[month])


@cache
def month_year(year: int, month: int, lang: str) -> str:
    """A month of a year as the language's CLDR year-month format writes it: ``March 2022``,
    ``marzo de 2022``."""
    from datetime import date

    from babel.dates import format_skeleton

    _check(lang)
    return str(format_skeleton("yMMMM", date(year, month, 1), locale=lang))


@cache
def quarter_name(quarter: int, lang: str) -> str:
    """The abbreviated name of ``quarter`` (1-4) in CLDR: en ``Q1``, es ``T1`` (trimestre)."""
    from babel.dates import get_quarter_names

    _check(lang)
    return str(get_quarter_names("abbreviated", locale=lang)[quarter])


def join(items: Sequence[str], lang: str) -> str:
    """``a``, ``a and b``, ``a, b and c`` (es ``a, b y c``): a list as a sentence says it, no serial comma."""
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return WORD.text("and", lang).format(items=", ".join(items[:-1]), last=items[-1])


@cache
def countries(lang: str) -> Mapping[str, str]:
    """ISO 3166-1 alpha-3 code → the country's name in ``lang``, for every country pycountry knows.

    English: ISO's short name, its common name where it has one ("Venezuela", not "Venezuela,
    Bolivarian Republic of"). Spanish: CLDR's territory name (Babel), which writes the region's usage
    ("Surinam", "Argelia", "Túnez") where pycountry's Spanish catalogue does not. :data:`COUNTRY`
    overrides either where the products follow UN usage instead.
    """
    import pycountry
    from babel import Locale

    _check(lang)
    spanish = Locale.parse("es").territories
    names = {}
    for country in pycountry.countries:
        english = getattr(country, "common_name", None) or country.name
        own = {"en": english, "es": spanish.get(country.alpha_2, english)}
        texts = COUNTRY.texts.get(country.alpha_3, own)
        names[str(country.alpha_3)] = in_language(texts, lang)
    return MappingProxyType(names)


MAP = _table("map")
"""The route map's layer names, legend, tooltip labels and notes."""

BRIEF = _table("brief")
"""A route brief's headings and table labels (its sentences are written by ``routes.briefs``' wording)."""

CORRIDOR = _table("corridor")
"""Corridor code (:data:`routes.places.CORRIDORS` and ``"all"``) → a brief's title for it."""

CORRIDOR_IN = _table("corridor_in")
"""Corridor code → where things happen "on" it, as a sentence says it (Spanish needs the article's gender)."""

LINE_OF_WORK = _table("line_of_work")
"""The sub-sector's eight lines of work (its 2022 priorities), by code."""

ACTOR = _table("actor")
"""Who acts on a suggestion: an actor type (``justice``), named as the institution in a country
(``justice.COL``)."""

PRIORITY = _table("priority")
"""An action's priority."""

TIMEFRAME = _table("timeframe")
"""An action's timeframe."""

ACTION = _table("action")
"""The suggested actions' :meth:`str.format` templates: ``<rule code>.action`` and ``<rule code>.because``
for each action rule, ``cross_border`` for places outside the sub-sector's country."""

BRIEF_MAP = _table("brief_map")
"""The brief map's legend: a segment's incident rate against the corridor's, and the place markers."""

CORRIDOR_THROUGH = _table("corridor_through")
"""Corridor code → the corridor as people travel it ("travelled the Andean corridor", "transitaron por el
corredor andino")."""

RISK_SUBJECT = _table("risk_subject")
"""A risk the brief follows as the subject of a sentence (Spanish with its article)."""

SENTENCE = _table("sentence")
"""A brief's sentences, one key per sentence shape, as :meth:`str.format` templates filled by
``routes.briefs``' wording (where the languages' grammar differs, as in singular and plural, each form
has its own key)."""

WORD = _table("word")
"""Words every product shares: a list's last link (:func:`join`) and a vocabulary's ``unknown``."""

PUBLICATION = _table("publication")
"""What every product says of its release: the stamp, the source, the disclosure policy and the cells
hidden (``routes.privacy``, ``routes.publish.release``)."""

GROUP = _table("group")
"""The sub-sector's groups (``routes.schema.GROUPS``, :func:`routes.schema.sub_sector_groups`), by code."""

PATTERN = _table("pattern")
"""The words of a modus-operandi pattern's generated label (``routes.patterns``): the label of a cluster
that is not a finding, the people it is made of (``who.SEX.STAGE``, sex and stage of life, child or adult,
where known) and the flags it names (``flag.FIELD``)."""

COUNTRY = _table("country")
"""Country names the products write as the United Nations do, where neither ISO's English short name nor
CLDR's Spanish name does (see :func:`countries`)."""

DEMO = _table("demo")
"""The title of ``routes demo``'s route maps."""

MESSAGES: tuple[Messages, ...] = (
    MAP, BRIEF, CORRIDOR, CORRIDOR_IN, LINE_OF_WORK, ACTOR, PRIORITY, TIMEFRAME, ACTION, BRIEF_MAP,
    CORRIDOR_THROUGH, RISK_SUBJECT, SENTENCE, WORD, PUBLICATION, GROUP, PATTERN, COUNTRY, DEMO,
)
"""Every message table (``tests/test_i18n.py`` checks each)."""
