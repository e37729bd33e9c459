"""Sentences generated from the numbers: one class, its sentences templates of :data:`routes._i18n.SENTENCE`.

Spanish is written for itself, not translated word by word from English: where the grammar differs
(singular and plural, a subject's article) the table has a key per form.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, cast

from routes import _i18n
from routes.briefs._rules import Evidence
from routes.errors import BriefError
from routes.publish.findings import (
    BriefFindings,
    Count,
    EmergingFigure,
    Lang,
    PatternFigure,
    PlaceFigure,
    ReportingPeriod,
    SegmentFigure,
)
from routes.schema import GROUPS, VOCABULARIES

if TYPE_CHECKING:
    pass


CORRIDOR_LABELS: dict[str, tuple[str, str]] = _i18n.CORRIDOR.pairs()
"""Corridor code → (English, Spanish) title, for :data:`routes.places.CORRIDORS` and ``"all"``."""



NBSP = "\u00a0"
"""The no-break space between a number and its unit (``1.970\u00a0personas``)."""


class _Wording:
    """Numbers, lists and sentences in one language, written from :data:`routes._i18n.SENTENCE`'s
    templates (every sentence a brief prints is a key there, in both languages, with the same fields)."""

    def __init__(self, lang: Lang, k: int) -> None:
        self.lang: Lang = lang
        self.k = k

    def say(self, key: str, **values: object) -> str:
        """The sentence ``key`` in this language, its ``{fields}`` filled with ``values``."""
        return _i18n.SENTENCE.text(key, self.lang).format(**values)

    @property
    def ui(self) -> dict[str, str]:
        """The brief's headings and table labels, by key (:data:`routes._i18n.BRIEF`)."""
        return {key: _i18n.BRIEF.text(key, self.lang) for key in _i18n.BRIEF.texts}

    def number(self, value: int) -> str:
        return _i18n.number(value, self.lang)

    def decimal(self, value: float) -> str:
        return _i18n.number(value, self.lang, decimals=1)

    def percent(self, share: float) -> str:
        return _i18n.percent(share, self.lang)

    def people(self, count: Count) -> str:
        """A count of people with its unit, or "fewer than k people" when withheld."""
        if count is None:
            return self.say("fewer_than", n=self.number(self.k))
        return self.say("people", n=self.number(count))

    def join(self, items: Sequence[str]) -> str:
        return _i18n.join(items, self.lang)

    def pick(self, pair: tuple[str, str]) -> str:
        """The text of this language in an ``(English, Spanish)`` pair (the order of
        :data:`routes._i18n.LANGUAGES`)."""
        return _i18n.in_language(dict(zip(_i18n.LANGUAGES, pair, strict=True)), self.lang)

    def fill(self, template: str, evidence: Evidence) -> str:
        """Fill an action-rule template: lists joined, shares as percentages, pairs by language."""
        values: dict[str, str] = {}
        for key, value in evidence.items():
            if isinstance(value, ReportingPeriod):
                values[key] = self.period_phrase(value)
            elif isinstance(value, tuple):
                values[key] = self.pick(value)
            elif isinstance(value, list):
                values[key] = self.join([self.pick(v) if isinstance(v, tuple) else v for v in value])
            elif isinstance(value, float):
                values[key] = self.percent(value)
            elif isinstance(value, str):
                values[key] = value
            else:
                values[key] = self.number(int(value))
        text = template.format(**values)
        return text[0].upper() + text[1:]

    def period_phrase(self, period: ReportingPeriod) -> str:
        return period.label(self.lang)

    def corridor_title(self, corridor: str) -> str:
        return _i18n.CORRIDOR.text(corridor, self.lang)

    def corridor_in(self, corridor: str) -> str:
        return _i18n.CORRIDOR_IN.text(corridor, self.lang)

    def group(self, code: str) -> str:
        return self.pick(GROUPS[code])

    def term(self, vocabulary: str, code: str) -> str:
        return VOCABULARIES[vocabulary].label(code, self.lang)

    def capitalised(self, text: str) -> str:
        return text[:1].upper() + text[1:]

    def segment(self, origin: str, destination: str) -> str:
        return f"{origin} → {destination}"

    def rate(self, rate: float | None) -> str:
        return "–" if rate is None else self.decimal(rate)

    # The sentences.

    def headline(self, f: BriefFindings) -> str:
        return self._assisted_on(f, f.people)

    def _assisted_on(self, f: BriefFindings, people: Count) -> str:
        return self.capitalised(self.say(
            "headline", people=self.people(people), corridor_in=self.corridor_in(f.corridor),
            period=f.period.label(self.lang),
        ))

    def affected_headline(self, f: BriefFindings, source: str) -> str:
        return self.say(
            "affected_headline", source=source, people=self.people(f.people),
            corridor_in=self.corridor_in(f.corridor), period=f.period.label(self.lang),
        )

    def affected_caption(self, f: BriefFindings) -> str:
        return self.say("affected_caption", period=f.period.label(self.lang))

    def target(self, f: BriefFindings, share: float) -> str:
        return self.say("target", percent=self.percent(share), target=self.people(f.target))

    def programme_headline(self, f: BriefFindings) -> str:
        return self.say(
            "programme_headline", count=self.number(f.programme_people or 0), period=f.period.label(self.lang)
        )

    def breakdowns(self, f: BriefFindings) -> str:
        return self.say("breakdowns", people=self.people(f.people))

    def corridor_share(self, f: BriefFindings) -> str:
        return self.capitalised(self.say(
            "corridor_share", people=self.people(f.people), total=self.number(f.programme_people or 0),
            period=f.period.label(self.lang), corridor=_i18n.CORRIDOR_THROUGH.text(f.corridor, self.lang),
        ))

    def change(self, f: BriefFindings) -> str:
        previous = f.period.previous.label(self.lang)
        if f.previous_people is None:
            return self.say("change_withheld", previous=previous, people=self.people(None))
        if f.previous_people == 0:
            return self.say("change_none", previous=previous)
        change = f.change or 0.0
        before = self.people(f.previous_people)
        if abs(change) < 0.005:
            return self.say("change_same", previous=previous, before=before)
        key = "change_more" if change > 0 else "change_fewer"
        return self.say(key, percent=self.percent(abs(change)), previous=previous, before=before)

    def case_types(self, f: BriefFindings) -> str:
        return self.say("case_types", **{k: self.people(v) for k, v in f.case_types.items()})

    def largest_group(self, code: str, count: int, share: float) -> str:
        return self.say(
            "largest_group", group=self.group(code), people=self.people(count), percent=self.percent(share)
        )

    def double_affectation(self, count: int, share: float) -> str:
        return self.capitalised(
            self.say("double_affectation", people=self.people(count), percent=self.percent(share))
        )

    def withheld_groups(self, codes: Sequence[str]) -> str:
        return self.say(
            "withheld_groups", groups=self.join([self.group(c) for c in codes]), k=self.number(self.k)
        )

    def no_cases(self) -> str:
        return self.say("no_cases")

    def top_pattern(self, p: PatternFigure, share: float, *, past_mixed: bool = False) -> str:
        """The most frequent pattern that is a finding; ``past_mixed``: a larger one is mixed."""
        return self.say(
            "top_stable_pattern" if past_mixed else "top_pattern", pattern=p.label(self.lang),
            people=self.people(p.people), percent=self.percent(share),
        )

    def no_patterns(self) -> str:
        return self.say("no_patterns")

    def patterns_withheld(self) -> str:
        return self.say("patterns_withheld", k=self.number(self.k))

    def no_pattern_findings(self) -> str:
        return self.say("no_pattern_findings")

    def riskiest(self, s: SegmentFigure) -> str:
        return self.say(
            "riskiest", segment=self.segment(s.origin, s.destination), rate=self.rate(s.rate),
            people=self.people(s.people),
        )

    def risk_places(self, places: Sequence[PlaceFigure]) -> str:
        clauses = []
        for place, risks in _risks_by_place(places).items():
            plural = len(risks) > 1 or risks[0] == "threats"
            subjects = self.join([_i18n.RISK_SUBJECT.text(r, self.lang) for r in risks])
            clauses.append(self.say("risks_place" if plural else "risk_place", risks=subjects, place=place))
        return self.capitalised("; ".join(clauses)) + "."

    def chokepoints(self, places: Sequence[str]) -> str:
        return self.say("chokepoints", places=self.join(places))

    def top_places(self, places: Sequence[str], *, affected: bool) -> str:
        return self.say("top_places_affected" if affected else "top_places_counted", places=self.join(places))

    def no_flows(self) -> str:
        return self.say("no_flows")

    def emerging(self, items: Sequence[EmergingFigure], previous: ReportingPeriod) -> str:
        parts = [
            self.say(
                "emerging_segment", segment=self.segment(e.origin, e.destination),
                before=self.people(e.before), after=self.people(e.after),
            )
            for e in items
        ]
        return self.say("emerging", previous=previous.label(self.lang), segments=self.join(parts))

    def assisted(self, f: BriefFindings, top: str) -> str:
        share = f.share(f.assisted)
        pct = f" ({self.percent(share)})" if share is not None else ""
        return self.capitalised(self.say("assisted", people=self.people(f.assisted), share=pct, top=top))

    def referred(self, f: BriefFindings, top: str) -> str:
        text = self.capitalised(self.say("referred", people=self.people(f.referred), top=top))
        if f.referred and f.referrals_completed is not None:
            text += self.say("referrals_completed", percent=self.percent(f.referrals_completed / f.referred))
        return text + "."

    def gaps(self, f: BriefFindings, places: Sequence[str]) -> str:
        return self.say("gaps", places=self.join(places), km=self.number(int(f.gap_radius_km)))

    def no_services(self) -> str:
        return self.say("no_services")

    def too_few(self, f: BriefFindings) -> list[str]:
        return [self._assisted_on(f, None), self.say("too_few")]

    def notes(self, f: BriefFindings, source: str | None, prepared: str | None) -> list[str]:
        k = self.number(self.k)
        notes = [  # the rule, not how many figures it withheld: a statistic of small cells
            self.say("note_reported"), self.say("note_withheld", k=k),
            self.say("note_corridor", period=f.period.label(self.lang)),
        ]
        if f.publishable:
            notes.append(self.say("note_rates"))
        if source:
            notes.append(self.say("note_source", source=source))
        if prepared:
            notes.append(self.say("note_prepared", prepared=prepared))
        return notes

    def map_caption(self) -> str:
        return self.say("map_caption")

    def figure_captions(self, f: BriefFindings) -> dict[str, str]:
        period = f.period.label(self.lang)
        return {
            "people": self.say("caption_people", period=period),
            "programme": self.say("caption_programme", period=period),
            "target": self.say("caption_target", target=self.people(f.target)),
            "change": self.say("caption_change", previous=f.period.previous.label(self.lang)),
            "trafficking": self.say("caption_trafficking"),
            "smuggling": self.say("caption_smuggling"),
        }

    def withheld_bar(self) -> str:
        return self.say("withheld_bar", people=self.people(None))


def _risks_by_place(places: Sequence[PlaceFigure]) -> dict[str, list[str]]:
    """Place → the risk types whose most frequent place it is, in :data:`RISK_TYPES` order."""
    grouped: dict[str, list[str]] = {}
    for p in places:
        grouped.setdefault(p.place, []).append(p.what)
    return grouped


def _wording(lang: str, k: int) -> _Wording:
    """The wording of ``lang``; a language without a translation is refused by name."""
    if lang not in _i18n.LANGUAGES:
        raise BriefError(f"lang {lang!r} is not supported; expected 'es' or 'en'")
    return _Wording(cast(Lang, lang), k)
