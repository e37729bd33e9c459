"""Suggested actions: documented rules from released findings to who does what, where and when."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from routes import _i18n
from routes.publish.findings import BriefFindings, Lang
from routes.schema import GROUPS

if TYPE_CHECKING:
    pass


LINES_OF_WORK: dict[str, tuple[str, str]] = _i18n.LINE_OF_WORK.pairs()
"""The sub-sector's eight lines of work (its 2022 priorities), code → (English, Spanish)."""

# Thresholds of the action rules and of the text (shares of the people assisted).
CHANGE_NOTICED = 0.20
GROUP_SHARE_LIVELIHOODS = 0.25
DOUBLE_AFFECTATION_SHARE = 0.10
DOMINANT_PATTERN_SHARE = 0.25
REFERRALS_COMPLETED_MIN = 0.50


Evidence = dict[str, Any]


@dataclass(frozen=True)
class Share:
    """``count`` published people of ``total``: evidence the wording writes as a share as precisely as
    the counts allow (:meth:`routes.briefs._wording._Wording.share`), never a bare float that would
    print 100 % from two rounded counts."""

    count: int
    total: int


@dataclass(frozen=True)
class ActionRule:
    """A rule from findings to a suggested action.

    ``evidence`` returns the values the texts need when the rule applies, ``None`` otherwise. Texts are
    :meth:`str.format` templates per language; list values are joined with "and" / "y", floats in
    ``[0, 1]`` are written as percentages, ``(en, es)`` pairs are picked by language. The texts are
    :data:`routes._i18n.ACTION`'s, keyed by ``code``.
    """

    code: str
    line_of_work: str
    condition: str
    evidence: Callable[[BriefFindings], Evidence | None]
    actor: str = "members"  # a key of ACTORS: who is responsible
    priority: str = "medium"  # a key of PRIORITIES
    timeframe: str = "3m"  # a key of TIMEFRAMES

    def texts(self, lang: Lang) -> tuple[str, str]:
        """The action and its reason in ``lang``: :data:`routes._i18n.ACTION`'s ``<code>.action`` and
        ``<code>.because``."""
        return _i18n.ACTION.text(f"{self.code}.action", lang), _i18n.ACTION.text(f"{self.code}.because", lang)


HOME_COUNTRY = "COL"
"""The sub-sector's country (ISO 3166-1 alpha-3): actions at places elsewhere become cross-border
coordination with the counterpart there. A brief's ``country`` option changes it."""

ACTORS: dict[str, tuple[tuple[str, str], dict[str, tuple[str, str]]]] = {
    key: (pair, {named.removeprefix(f"{key}."): text for named, text in _i18n.ACTOR.pairs().items()
                 if named.startswith(f"{key}.")})
    for key, pair in _i18n.ACTOR.pairs().items() if "." not in key
}
"""Who acts on a suggestion: actor key → ((English, Spanish) actor type, {country: (English, Spanish) named
institution}), from :data:`routes._i18n.ACTOR`."""


def who_acts(key: str, country: str, lang: Lang) -> str:
    """Who acts for the actor ``key`` in the sub-sector's ``country``: the institution there if it is named,
    else the actor type."""
    named = f"{key}.{country}"
    return _i18n.ACTOR.text(named if named in _i18n.ACTOR else key, lang)


PRIORITIES: dict[str, tuple[str, str]] = _i18n.PRIORITY.pairs()
TIMEFRAMES: dict[str, tuple[str, str]] = _i18n.TIMEFRAME.pairs()
CROSS_BORDER: tuple[str, str] = _i18n.ACTION.pairs()["cross_border"]
"""The action for places outside the sub-sector's country: coordination, not action across the border."""


def _gap_places(f: BriefFindings, services: Sequence[str]) -> Evidence | None:
    places = [g.place for g in f.gaps if g.people is not None and set(g.missing) & set(services)]
    return {"places": places, "radius": round(f.gap_radius_km)} if places else None


def _risk_at(f: BriefFindings, risk: str) -> Evidence | None:
    places = [p.place for p in f.risk_places if p.what == risk and p.people is not None]
    return {"places": places} if places else None


def _referrals_unfinished(f: BriefFindings) -> Evidence | None:
    if not f.referred or f.referrals_completed is None:
        return None
    if f.referrals_completed / f.referred >= REFERRALS_COMPLETED_MIN:
        return None
    return {"share": Share(f.referrals_completed, f.referred)}


def _livelihoods(f: BriefFindings) -> Evidence | None:
    shares = {g: f.share(f.groups.get(g)) for g in ("women_head_of_household", "informal_sector")}
    large = [GROUPS[g] for g, s in shares.items() if s is not None and s >= GROUP_SHARE_LIVELIHOODS]
    return {"groups": large} if large else None


def _group_share(group: str, minimum: float) -> Callable[[BriefFindings], Evidence | None]:
    def evidence(f: BriefFindings) -> Evidence | None:
        count = f.groups.get(group)
        share = f.share(count)
        if count is None or f.people is None or share is None or share < minimum or share <= 0:
            return None
        return {"share": Share(count, f.people)}

    return evidence


def _emerging(f: BriefFindings) -> Evidence | None:
    """The segments grown from a published earlier count, or new: never one whose earlier count is
    withheld (an unknown base shows no growth); the findings list no such segment, and this rule checks."""
    segments = [f"{e.origin} → {e.destination}" for e in f.emerging if e.before is not None]
    return {"segments": segments[:3]} if segments else None


def _change(sign: int) -> Callable[[BriefFindings], Evidence | None]:
    def evidence(f: BriefFindings) -> Evidence | None:
        change = f.change
        if change is None or sign * change < CHANGE_NOTICED:
            return None
        return {"change": abs(change), "period": f.period.previous}

    return evidence


def _dominant_pattern(f: BriefFindings) -> Evidence | None:
    ranked = sorted((p for p in f.patterns if p.people is not None and p.finding),
                    key=lambda p: -(p.people or 0))
    top = ranked[0].people if ranked else None
    if top is None or f.people is None or (f.share(top) or 0) < DOMINANT_PATTERN_SHARE:
        return None
    return {"pattern": (ranked[0].label_en, ranked[0].label_es), "share": Share(top, f.people)}


def _chokepoints(f: BriefFindings) -> Evidence | None:
    places = [p.place for p in f.chokepoints if p.people is not None]
    return {"places": places} if places else None


ACTION_RULES: tuple[ActionRule, ...] = (
    ActionRule(
        "legal_gap",
        "case_management",
        "a place or segment with reported incidents has no legal service within the gap radius",
        lambda f: _gap_places(f, ["legal"]),
        actor="justice",
        priority="high",
        timeframe="3m",
    ),
    ActionRule(
        "referrals_unfinished",
        "case_management",
        "fewer than half of the people referred have a completed referral",
        _referrals_unfinished,
        actor="case_managers",
        priority="high",
        timeframe="1m",
    ),
    ActionRule(
        "livelihoods",
        "holistic_responses",
        "women heads of household or people in the informal sector are a quarter or more of the people",
        _livelihoods,
        actor="local_authorities",
        priority="medium",
        timeframe="6m",
    ),
    ActionRule(
        "recruitment_diagnostic",
        "diagnostics",
        "recruitment by armed or criminal groups is reported at a place",
        lambda f: _risk_at(f, "recruitment"),
        actor="early_warning",
        priority="high",
        timeframe="3m",
    ),
    ActionRule(
        "emerging_routes",
        "diagnostics",
        "a segment is new (no one counted in the previous period) or carries half again as many people as "
        "its published count of the previous period (a withheld earlier count shows no growth)",
        _emerging,
        actor="information",
        priority="medium",
        timeframe="3m",
    ),
    ActionRule(
        "cases_fell",
        "good_practices",
        "people assisted fell by a fifth or more against the previous period",
        _change(-1),
        actor="members",
        priority="medium",
        timeframe="1m",
    ),
    ActionRule(
        "double_affectation",
        "specific_groups",
        "double affectation (armed conflict) concerns a tenth or more of the people",
        _group_share("double_affectation", DOUBLE_AFFECTATION_SHARE),
        actor="victims",
        priority="high",
        timeframe="3m",
    ),
    ActionRule(
        "children",
        "specific_groups",
        "children and adolescents are published (at least k of them)",
        _group_share("children", 0.0),
        actor="child_protection",
        priority="high",
        timeframe="now",
    ),
    ActionRule(
        "specialised_gap",
        "specialised_services",
        "a place or segment with reported incidents has no psychosocial or shelter service within the "
        "gap radius",
        lambda f: _gap_places(f, ["psychosocial", "shelter"]),
        actor="local_authorities",
        priority="high",
        timeframe="6m",
    ),
    ActionRule(
        "sexual_abuse",
        "specialised_services",
        "sexual abuse is reported at a place",
        lambda f: _risk_at(f, "sexual_abuse"),
        actor="health",
        priority="high",
        timeframe="1m",
    ),
    ActionRule(
        "dominant_pattern",
        "policies_procedures",
        "one modus-operandi pattern holds a quarter or more of the people",
        _dominant_pattern,
        actor="frontline",
        priority="medium",
        timeframe="6m",
    ),
    ActionRule(
        "chokepoints",
        "capacity_building",
        "some places concentrate most journeys (chokepoints with published counts)",
        _chokepoints,
        actor="frontline",
        priority="medium",
        timeframe="3m",
    ),
    ActionRule(
        "cases_rose",
        "capacity_building",
        "people assisted rose by a fifth or more against the previous period",
        _change(+1),
        actor="frontline",
        priority="medium",
        timeframe="3m",
    ),
)
"""The suggested-action rules, in the order of the sub-sector's lines of work (see the module docstring)."""
