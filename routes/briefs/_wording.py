"""Sentences generated from the numbers: one class, its sentences templates of :data:`routes._i18n.SENTENCE`.

Spanish is written for itself, not translated word by word from English: where the grammar differs
(singular and plural, a subject's article) the table has a key per form.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, cast

from routes import _i18n
from routes.briefs._rules import Evidence, Share
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

    def __init__(self, lang: Lang, k: int, *, exact: bool = False) -> None:
        self.lang: Lang = lang
        self.k = k
        self.exact = exact  # whether published counts are exact (no rounding, no noise)

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

    def percent(self, share: float, *, exact: bool | None = None) -> str:
        """A percentage: one decimal from exact counts, whole per cent from rounded or noisy ones
        (:meth:`share` says why); ``exact`` overrides the policy's (the programme's own figures are
        exact under any policy)."""
        exact = self.exact if exact is None else exact
        return _i18n.percent(share, self.lang, decimals=1 if exact else 0)

    def share(self, count: int, total: int, *, of: bool = False) -> str:
        """``count`` as a share of ``total``, as precisely as the published counts allow; ``of``: as the
        words before a noun ("12% of" / "el 12 % de").

        A share of exact counts is written to one decimal. A published count of the public policy is
        rounded (to 5, and never below k: 11 reads 15) and may be noisy (the formal mode), so each of
        the two counts may be off by a few people: 170 published of 170 may be 170 of 171, and 15 of
        4,000 may be 11 of 4,002. Such a share is written to whole per cent, and never as the
        categorical 100 % or 0 % the counts cannot tell from nearly all or a few: "all or nearly all"
        for a share that would read 100 %, "less than 1%" for one of some people that would read 0 %.
        """
        ratio = count / total
        if not self.exact and count > 0:
            if 0.995 <= ratio <= 1:
                return self.say("nearly_all_of" if of else "nearly_all")
            if ratio < 0.005:
                return self.say("under_one_percent_of" if of else "under_one_percent")
        text = self.percent(ratio)
        return self.say("share_of", percent=text) if of else text

    def people(self, count: Count) -> str:
        """A count of people with its unit, or "not published" when withheld: never "fewer than k", for
        a count is withheld for reasons other than its size too, and no reason is told."""
        if count is None:
            return self.say("not_published")
        return self.say("people", n=self.number(count))

    def people_phrase(self, count: Count) -> str:
        """A count of people within a sentence: :meth:`people`, or "an unpublished number of people"."""
        return self.say("unpublished_people") if count is None else self.people(count)

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
            elif isinstance(value, Share):
                values[key] = self.share(value.count, value.total, of=True)
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

    def target(self, f: BriefFindings, percent: str) -> str:
        return self.say("target", percent=percent, target=self.people(f.target))

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
            return self.say("change_withheld", previous=previous)
        if f.previous_people == 0:
            return self.say("change_none", previous=previous)
        change = f.change or 0.0
        before = self.people(f.previous_people)
        if abs(change) < 0.005:
            return self.say("change_same", previous=previous, before=before)
        key = "change_more" if change > 0 else "change_fewer"
        return self.say(key, percent=self.percent(abs(change)), previous=previous, before=before)

    def case_types(self, f: BriefFindings) -> str:
        return self.say("case_types", **{k: self.people_phrase(v) for k, v in f.case_types.items()})

    def largest_group(self, code: str, count: int, total: int) -> str:
        return self.say(
            "largest_group", group=self.group(code), people=self.people(count),
            share=self.share(count, total, of=True),
        )

    def double_affectation(self, count: int, total: int) -> str:
        return self.capitalised(
            self.say("double_affectation", people=self.people(count), percent=self.share(count, total))
        )

    def withheld_groups(self, codes: Sequence[str]) -> str:
        return self.say("withheld_groups", groups=self.join([self.group(c) for c in codes]))

    def no_cases(self) -> str:
        return self.say("no_cases")

    def top_pattern(self, p: PatternFigure, count: int, total: int, *, past_mixed: bool = False) -> str:
        """The most frequent published pattern that is a finding (``count`` of ``total`` people), said to
        be the most frequent among the published ones only: a withheld pattern may hold more people
        (whether one is withheld is not said). ``past_mixed``: a larger published one is mixed."""
        return self.say(
            "top_stable_pattern" if past_mixed else "top_pattern", pattern=p.label(self.lang),
            people=self.people(count), share=self.share(count, total, of=True),
        )

    def no_patterns(self) -> str:
        return self.say("no_patterns")

    def patterns_withheld(self) -> str:
        return self.say("patterns_withheld")

    def no_pattern_findings(self) -> str:
        return self.say("no_pattern_findings")

    def riskiest(self, s: SegmentFigure) -> str:
        return self.say(
            "riskiest", segment=self.segment(s.origin, s.destination), rate=self.rate(s.rate),
            people=self.people_phrase(s.people),
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
        """Segments grown from a published earlier count, or new (no one counted before)."""
        parts = [
            self.say("emerging_new", segment=self.segment(e.origin, e.destination),
                     after=self.people(e.after))
            if e.before == 0
            else self.say(
                "emerging_segment", segment=self.segment(e.origin, e.destination),
                before=self.people(e.before), after=self.people(e.after),
            )
            for e in items
        ]
        return self.say("emerging", previous=previous.label(self.lang), segments=self.join(parts))

    def assisted(self, f: BriefFindings, top: str) -> str:
        if f.assisted is None:
            return self.say("assisted_withheld", top=top)
        share = f" ({self.share(f.assisted, f.people)})" if f.people else ""
        return self.capitalised(self.say("assisted", people=self.people(f.assisted), share=share, top=top))

    def referred(self, f: BriefFindings, top: str) -> str:
        if f.referred is None:
            return self.say("referred_withheld", top=top) + "."
        text = self.capitalised(self.say("referred", people=self.people(f.referred), top=top))
        if f.referred and f.referrals_completed is not None:
            share = self.share(f.referrals_completed, f.referred, of=True)
            text += self.say("referrals_completed", share=share)
        return text + "."

    def gaps(self, f: BriefFindings, places: Sequence[str]) -> str:
        return self.say("gaps", places=self.join(places), km=self.number(int(f.gap_radius_km)))

    def no_services(self) -> str:
        return self.say("no_services")

    def too_few(self, f: BriefFindings) -> list[str]:
        """What a brief with nothing to publish says: that no one was counted (a published 0), or that
        the number is not published, never why."""
        on, period = self.corridor_in(f.corridor), f.period.label(self.lang)
        if f.people is None:
            return [self.say("withheld_headline", corridor_in=on, period=period), self.say("too_few")]
        return [self.say("no_one_headline", corridor_in=on, period=period)]

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


def _risks_by_place(places: Sequence[PlaceFigure]) -> dict[str, list[str]]:
    """Place → the risk types whose most frequent place it is, in :data:`RISK_TYPES` order."""
    grouped: dict[str, list[str]] = {}
    for p in places:
        grouped.setdefault(p.place, []).append(p.what)
    return grouped


def _wording(lang: str, k: int, *, exact: bool = False) -> _Wording:
    """The wording of ``lang`` (``exact``: the published counts are exact); a language without a
    translation is refused by name."""
    if lang not in _i18n.LANGUAGES:
        raise BriefError(f"lang {lang!r} is not supported; expected 'es' or 'en'")
    return _Wording(cast(Lang, lang), k, exact=exact)
