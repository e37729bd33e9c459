"""Route briefs: two printable A4 pages per corridor and period (three at most), in Spanish or English.

A brief is what a sub-sector meeting reads on a projector or on paper instead of figures copied by hand
from spreadsheets. :func:`route_brief` reads the results of the analysis (a :class:`~routes.network.
RouteNetwork`, optionally the cases, a fitted :class:`~routes.patterns.PatternClusters` and the service
points), keeps the people of one corridor and period, and lays out:

1. key figures: people assisted, share of a target, change against the previous period, case types;
2. a static map of the corridor drawn without tiles on Natural Earth 1:10m country outlines
   (:mod:`routes.basemap`),
   readable in black-and-white print: line width says how many people, dash pattern says risk; drawn
   at the size it prints, its place and country labels never overprint each other, a marker, the
   legend or the scale (:func:`_place_labels`);
3. who: the sub-sector's groups (:data:`routes.schema.GROUPS`) as bar charts;
4. how: the modus-operandi patterns active on the corridor, with their generated labels;
5. where: riskiest segments, places by risk type, chokepoints, frequent routes, emerging segments;
   for data without journeys (an incident data set), the places with most people instead;
6. response: assistance, referrals and service gaps;
7. suggested actions, each derived by a documented rule (:data:`ACTION_RULES`) and tied to one of the
   sub-sector's lines of work (:data:`LINES_OF_WORK`);
8. notes: reported cases, not prevalence; what was withheld and why; sources (GeoNames, CC BY 4.0,
   when a town of the gazetteer's fallback is named) and period.

Every count passes through :func:`routes.privacy.release_counts` under the given policy (public by
default): a count under ``k`` never appears and is written "fewer than 11 people" / "menos de 11
personas" instead. Sentences are generated from the numbers in each language separately (Spanish is not a
word-by-word translation of English), and every count of people is written with its unit ("1,970
people", "1.970 personas") so that it can be checked in the printed text.

Output
------
:class:`Brief` holds a self-contained HTML page (no external reference, every string escaped by Jinja's
autoescape, a Content-Security-Policy from :func:`routes._web.with_csp`) and saves it as HTML or
PDF. The PDF is printed by Chromium through Playwright (Debian's ``chromium``, or the one
:func:`routes._browser.find_chromium` finds): the browser is
already needed for the browser tests, so no Pango/WeasyPrint stack is added. Same inputs give the same
HTML bytes and the same PDF text: nothing is dated unless ``prepared`` is passed, and the map's SVG is
written with a fixed ``svg.hashsalt`` and no date.

Suggested actions
-----------------
Each rule of :data:`ACTION_RULES` reads only released numbers:

======================  =========================  ====================================================
rule                    line of work               applies when
======================  =========================  ====================================================
legal_gap               case management            a risky place or segment has no legal service
                                                   within the gap radius
referrals_unfinished    case management            fewer than half of the people referred have a
                                                   completed referral
livelihoods             holistic responses         women heads of household or people in the informal
                                                   sector are at least a quarter of the people
recruitment_diagnostic  diagnostics                recruitment is reported at a place
emerging_routes         diagnostics                a segment is new or grew by half or more
cases_fell              sharing good practices     people assisted fell by a fifth or more
double_affectation      specific groups            double affectation is a tenth or more of the people
children                specific groups            children are published (at least k)
specialised_gap         specialised services       a risky place or segment has no psychosocial or
                                                   shelter service within the gap radius
sexual_abuse            specialised services       sexual abuse is reported at a place
dominant_pattern        policies and procedures    one modus-operandi pattern holds a quarter or more
chokepoints             capacity building          some places concentrate most journeys
cases_rose              capacity building          people assisted rose by a fifth or more
======================  =========================  ====================================================
"""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import html
import io
import os
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal, cast

import geopandas as gpd
import numpy as np
import pandas as pd

from routes._browser import CHROMIUM_ARGS
from routes._frame import as_text, is_in, positions_in
from routes.errors import RoutesError
from routes.places import CORRIDORS, country_code
from routes.schema import GROUPS, VOCABULARIES, multi_hot, sub_sector_groups

if TYPE_CHECKING:
    from matplotlib.typing import LineStyleType
    from playwright.sync_api import PdfMargins
    from shapely.geometry import Point

    from routes.network import RouteNetwork
    from routes.patterns import PatternClusters
    from routes.privacy import DisclosurePolicy
    from routes.publish.release import Release

__all__ = [
    "ACTION_RULES",
    "ALL_CORRIDORS",
    "CORRIDOR_LABELS",
    "LINES_OF_WORK",
    "ActionRule",
    "Brief",
    "BriefError",
    "BriefFindings",
    "ReportingPeriod",
    "brief_findings",
    "release_brief",
    "route_brief",
]

Lang = Literal["es", "en"]
Paper = Literal["A4", "Letter"]
Count = int | None
"""A released count of distinct people; ``None`` when withheld (fewer than ``k``)."""

ALL_CORRIDORS = "all"
CORRIDOR_LABELS: dict[str, tuple[str, str]] = {
    "andean": ("Andean corridor", "Corredor andino"),
    "caribbean_darien": ("Caribbean–Darién corridor", "Corredor Caribe–Darién"),
    "brazil": ("Brazil route", "Ruta a Brasil"),
    "orinoquia": ("Orinoquía corridor", "Corredor de la Orinoquía"),
    "catatumbo": ("Catatumbo corridor", "Corredor del Catatumbo"),
    "pacific": ("Pacific route", "Ruta del Pacífico"),
    "origin": ("Places of origin", "Lugares de origen"),
    ALL_CORRIDORS: ("All corridors", "Todos los corredores"),
}
"""Corridor code → (English, Spanish) title, for :data:`routes.places.CORRIDORS` and ``"all"``."""

# Where things happen "on" a corridor, as a sentence says it (Spanish needs the article's gender).
_CORRIDOR_IN: dict[str, tuple[str, str]] = {
    "andean": ("on the Andean corridor", "en el corredor andino"),
    "caribbean_darien": ("on the Caribbean–Darién corridor", "en el corredor Caribe–Darién"),
    "brazil": ("on the route to Brazil", "en la ruta a Brasil"),
    "orinoquia": ("on the Orinoquía corridor", "en el corredor de la Orinoquía"),
    "catatumbo": ("on the Catatumbo corridor", "en el corredor del Catatumbo"),
    "pacific": ("on the Pacific route", "en la ruta del Pacífico"),
    "origin": ("in the places of origin", "en los lugares de origen"),
    ALL_CORRIDORS: ("across all corridors", "en todos los corredores"),
}

LINES_OF_WORK: dict[str, tuple[str, str]] = {
    "case_management": ("Case management", "Gestión de casos"),
    "holistic_responses": ("Holistic responses", "Respuestas integrales"),
    "diagnostics": ("Diagnostics of routes and profiles", "Diagnósticos de rutas y perfiles"),
    "good_practices": ("Sharing good practices", "Intercambio de buenas prácticas"),
    "specific_groups": ("Specific groups and double affectation", "Grupos específicos y doble afectación"),
    "specialised_services": (
        "Specialised services: gender focus, psychosocial care, shelter",
        "Servicios especializados: enfoque de género, atención psicosocial, alojamiento",
    ),
    "policies_procedures": (
        "Policies and procedures to identify routes and modus operandi",
        "Políticas y procedimientos para identificar rutas y modus operandi",
    ),
    "capacity_building": ("Capacity building", "Fortalecimiento de capacidades"),
}
"""The sub-sector's eight lines of work (its 2022 priorities), code → (English, Spanish)."""

CASE_TYPES = VOCABULARIES["case_type"].codes
RISK_TYPES: tuple[str, ...] = ("recruitment", "sexual_abuse", "threats", "extortion")
"""Risks the brief follows place by place: the three the sub-sector ties to displacement, and extortion."""
GAP_SERVICES: tuple[str, ...] = ("legal", "psychosocial", "shelter")

PAGE_MARGIN: PdfMargins = {"top": "10mm", "bottom": "10mm", "left": "11mm", "right": "11mm"}
SVG_HASHSALT = "routes-brief"

# Thresholds of the action rules and of the text (shares of the people assisted).
CHANGE_NOTICED = 0.20
GROUP_SHARE_LIVELIHOODS = 0.25
DOUBLE_AFFECTATION_SHARE = 0.10
DOMINANT_PATTERN_SHARE = 0.25
REFERRALS_COMPLETED_MIN = 0.50
EMERGING_GROWTH = 0.50
TOP_ROWS = 5


class BriefError(RoutesError, ValueError):
    """A brief cannot be made or saved as asked."""


# ------------------------------------------------------------------------------------------------
# Periods
# ------------------------------------------------------------------------------------------------

_MONTHS = {
    "en": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
    "es": (
        "enero",
        "febrero",
        "marzo",
        "abril",
        "mayo",
        "junio",
        "julio",
        "agosto",
        "septiembre",
        "octubre",
        "noviembre",
        "diciembre",
    ),
}


@dataclass(frozen=True)
class ReportingPeriod:
    """A run of whole months, ``first`` to ``last`` included; time is never finer than a month."""

    first: pd.Period
    last: pd.Period

    @classmethod
    def parse(cls, value: str | pd.Period | tuple[str | pd.Period, str | pd.Period]) -> ReportingPeriod:
        """A period from ``"2022"``, ``"2022Q3"``, ``"2022-03"``, a :class:`pandas.Period` or a pair."""
        try:
            if isinstance(value, tuple):
                first, last = (pd.Period(v) for v in value)
            else:
                first = last = pd.Period(value)
        except (ValueError, TypeError) as exc:
            raise BriefError(
                f"period {value!r} is not a period; expected a year ('2022'), a quarter ('2022Q3'), "
                "a month ('2022-03') or a pair of them"
            ) from exc
        first, last = first.asfreq("M", how="start"), last.asfreq("M", how="end")
        if last < first:
            raise BriefError(f"period {value!r} ends before it starts")
        return cls(first, last)

    @property
    def n_months(self) -> int:
        return (self.last - self.first).n + 1

    @property
    def previous(self) -> ReportingPeriod:
        """The period of the same length just before this one."""
        return ReportingPeriod(self.first - self.n_months, self.last - self.n_months)

    def contains(self, months: pd.Series) -> np.ndarray:
        """Which monthly periods of ``months`` fall in this period."""
        return ((months >= self.first) & (months <= self.last)).to_numpy(dtype=bool, na_value=False)

    def label(self, lang: Lang) -> str:
        """``2022``, ``March 2022`` / ``marzo de 2022``, ``January–June 2022`` / ``enero–junio de 2022``."""
        names = _MONTHS[lang]
        of = " de " if lang == "es" else " "

        def month(p: pd.Period, *, year: bool) -> str:
            return names[p.month - 1] + (f"{of}{p.year}" if year else "")

        if self.first.month == 1 and self.last.month == 12:
            years = (
                str(self.first.year)
                if self.first.year == self.last.year
                else f"{self.first.year}–{self.last.year}"
            )
            return years
        if self.n_months == 1:
            return month(self.first, year=True)
        if self.first.year == self.last.year:
            return f"{month(self.first, year=False)}–{month(self.last, year=True)}"
        return f"{month(self.first, year=True)}–{month(self.last, year=True)}"


# ------------------------------------------------------------------------------------------------
# Findings: the released numbers a brief is written from (language-independent)
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SegmentFigure:
    """A segment ``origin → destination`` with its people and its incidents per 100 people."""

    origin: str
    destination: str
    people: Count
    rate: float | None = None


@dataclass(frozen=True)
class PlaceFigure:
    """A place (gazetteer name) with the people counted there; ``what`` says for what (a risk code)."""

    place: str
    people: Count
    what: str = ""


@dataclass(frozen=True)
class RouteFigure:
    """A frequent route (gazetteer names in order) with its people."""

    places: tuple[str, ...]
    people: Count


@dataclass(frozen=True)
class EmergingFigure:
    """A segment whose people grew from the previous period (``before``) to this one (``after``)."""

    origin: str
    destination: str
    before: Count
    after: Count


@dataclass(frozen=True)
class PatternFigure:
    """A modus-operandi pattern active on the corridor, with its generated labels and people.

    ``finding`` is the profiles' own verdict (``profiles_.table["finding"]``): False for a cluster
    that is unstable or has no trait most of its people hold, whose label is then "Mixed, not a
    finding". Such a pattern is listed, never named as the most frequent modus operandi.
    """

    label_en: str
    label_es: str
    people: Count
    finding: bool = True

    def label(self, lang: Lang) -> str:
        return self.label_es if lang == "es" else self.label_en


@dataclass(frozen=True)
class GapFigure:
    """A risky place or segment with no service of the listed types within ``radius_km``."""

    place: str
    missing: tuple[str, ...]
    people: Count


@dataclass(frozen=True, eq=False)
class BriefFindings:
    """Every number a brief shows, already released by the disclosure policy, in no language.

    Counts are ``None`` when withheld. Shares are computed from released counts, so a share never
    reveals a withheld one. ``map_segments`` and ``map_places`` are the released map layers.
    """

    corridor: str
    period: ReportingPeriod
    compare: bool
    k: int
    people: Count
    previous_people: Count
    target: int | None
    case_types: dict[str, Count]
    has_cases: bool
    groups: dict[str, Count]
    patterns: tuple[PatternFigure, ...]
    segments: tuple[SegmentFigure, ...]
    corridor_rate: float | None
    risk_places: tuple[PlaceFigure, ...]
    chokepoints: tuple[PlaceFigure, ...]
    routes: tuple[RouteFigure, ...]
    emerging: tuple[EmergingFigure, ...]
    assistance: dict[str, Count]
    assisted: Count
    referrals: dict[str, Count]
    referred: Count
    referrals_completed: Count
    gaps: tuple[GapFigure, ...]
    gap_radius_km: float
    has_services: bool
    withheld: int
    map_segments: gpd.GeoDataFrame = field(repr=False)
    map_places: gpd.GeoDataFrame = field(repr=False)
    programme_people: int | None = None  # the programme's own figure (5W), printed as given
    place_countries: Mapping[str, str] = field(default_factory=dict)  # place name → ISO 3166-1 alpha-3
    flows: bool = True  # whether the data hold journeys (two or more steps a person): without, no segments
    places: tuple[PlaceFigure, ...] = ()  # most people per place, for data without journeys
    geonames: bool = False  # whether a place the brief names is a town of the GeoNames fallback (CC BY 4.0)

    @property
    def publishable(self) -> bool:
        """Whether the corridor has enough people in the period to publish any figure."""
        return self.people is not None and self.people > 0

    def share(self, count: Count) -> float | None:
        """``count`` as a share of the people assisted; ``None`` when either is withheld."""
        if count is None or not self.people:
            return None
        return count / self.people

    @property
    def change(self) -> float | None:
        """Relative change of people assisted against the previous period, when both are published."""
        if not self.compare or self.people is None or not self.previous_people:
            return None
        return self.people / self.previous_people - 1


# ------------------------------------------------------------------------------------------------
# Suggested actions: documented rules on the released numbers
# ------------------------------------------------------------------------------------------------

Evidence = dict[str, Any]


@dataclass(frozen=True)
class ActionRule:
    """A rule from findings to a suggested action.

    ``evidence`` returns the values the texts need when the rule applies, ``None`` otherwise. Texts are
    :meth:`str.format` templates per language; list values are joined with "and" / "y", floats in
    ``[0, 1]`` are written as percentages, ``(en, es)`` pairs are picked by language.
    """

    code: str
    line_of_work: str
    condition: str
    evidence: Callable[[BriefFindings], Evidence | None]
    action_en: str
    action_es: str
    because_en: str
    because_es: str
    actor: str = "members"  # a key of ACTORS: who is responsible
    priority: str = "medium"  # a key of PRIORITIES
    timeframe: str = "3m"  # a key of TIMEFRAMES

    def texts(self, lang: Lang) -> tuple[str, str]:
        return (self.action_es, self.because_es) if lang == "es" else (self.action_en, self.because_en)


HOME_COUNTRY = "COL"
"""The sub-sector's country (ISO 3166-1 alpha-3): actions at places elsewhere become cross-border
coordination with the counterpart there. A brief's ``country`` option changes it."""

ACTORS: dict[str, tuple[tuple[str, str], dict[str, tuple[str, str]]]] = {
    # key: ((English, Spanish) actor type, {country: (English, Spanish) named institution})
    "members": (("Sub-sector member organisations", "Organizaciones miembro del subsector"), {}),
    "case_managers": (
        ("Case managers of the member organisations", "Gestores de caso de las organizaciones miembro"),
        {},
    ),
    "justice": (
        ("Prosecutor's office and ombudsperson, with member organisations",
         "Fiscalía y defensoría, con las organizaciones miembro"),
        {"COL": ("Fiscalía and Defensoría del Pueblo, with member organisations",
                 "Fiscalía y Defensoría del Pueblo, con las organizaciones miembro")},
    ),
    "early_warning": (
        ("Ombudsperson's early-warning system, with member organisations",
         "Sistema de alertas tempranas de la defensoría, con las organizaciones miembro"),
        {"COL": ("Defensoría del Pueblo (early-warning system), with member organisations",
                 "Defensoría del Pueblo (Sistema de Alertas Tempranas), con las organizaciones miembro")},
    ),
    "information": (
        ("Sub-sector information management, with the migration authority",
         "Manejo de información del subsector, con la autoridad migratoria"),
        {"COL": ("Sub-sector information management, with Migración Colombia",
                 "Manejo de información del subsector, con Migración Colombia")},
    ),
    "victims": (
        ("Victims' assistance system, with member organisations",
         "Sistema de atención a víctimas, con las organizaciones miembro"),
        {"COL": ("Unidad para las Víctimas, with member organisations",
                 "Unidad para las Víctimas, con las organizaciones miembro")},
    ),
    "child_protection": (
        ("National child protection authority", "Autoridad nacional de protección de la niñez"),
        {"COL": ("ICBF (Colombian Family Welfare Institute)",
                 "ICBF (Instituto Colombiano de Bienestar Familiar)")},
    ),
    "local_authorities": (
        ("Local authorities, with member organisations",
         "Autoridades locales, con las organizaciones miembro"),
        {},
    ),
    "health": (
        ("Member organisations, with local health services",
         "Organizaciones miembro, con los servicios de salud locales"),
        {},
    ),
    "frontline": (
        ("Member organisations, with the migration authority and local authorities",
         "Organizaciones miembro, con la autoridad migratoria y las autoridades locales"),
        {"COL": ("Member organisations, with Migración Colombia and local authorities",
                 "Organizaciones miembro, con Migración Colombia y las autoridades locales")},
    ),
    "cross_border": (
        ("Sub-sector coordination, with the foreign ministry",
         "Coordinación del subsector, con el Ministerio de Relaciones Exteriores"),
        {"COL": ("Sub-sector coordination, with Cancillería",
                 "Coordinación del subsector, con la Cancillería")},
    ),
}
"""Who acts on a suggestion: an actor type, named as the institution in the countries listed."""

PRIORITIES: dict[str, tuple[str, str]] = {"high": ("High", "Alta"), "medium": ("Medium", "Media")}
TIMEFRAMES: dict[str, tuple[str, str]] = {
    "now": ("At once", "De inmediato"),
    "1m": ("Within 1 month", "En 1 mes"),
    "3m": ("Within 3 months", "En 3 meses"),
    "6m": ("Within 6 months", "En 6 meses"),
}
CROSS_BORDER: tuple[str, str] = (
    "Agree with the protection authorities and partners in {country} who responds to what is reported "
    "in {places}.",
    "Acordar con las autoridades y los socios de protección de {country} quién responde a lo reportado "
    "en {places}.",
)
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
    completed = f.referrals_completed / f.referred
    return {"share": completed} if completed < REFERRALS_COMPLETED_MIN else None


def _livelihoods(f: BriefFindings) -> Evidence | None:
    shares = {g: f.share(f.groups.get(g)) for g in ("women_head_of_household", "informal_sector")}
    large = [GROUPS[g] for g, s in shares.items() if s is not None and s >= GROUP_SHARE_LIVELIHOODS]
    return {"groups": large} if large else None


def _group_share(group: str, minimum: float) -> Callable[[BriefFindings], Evidence | None]:
    def evidence(f: BriefFindings) -> Evidence | None:
        share = f.share(f.groups.get(group))
        return {"share": share} if share is not None and share >= minimum and share > 0 else None

    return evidence


def _emerging(f: BriefFindings) -> Evidence | None:
    segments = [f"{e.origin} → {e.destination}" for e in f.emerging]
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
    if not ranked or (f.share(ranked[0].people) or 0) < DOMINANT_PATTERN_SHARE:
        return None
    return {"pattern": (ranked[0].label_en, ranked[0].label_es), "share": f.share(ranked[0].people)}


def _chokepoints(f: BriefFindings) -> Evidence | None:
    places = [p.place for p in f.chokepoints if p.people is not None]
    return {"places": places} if places else None


ACTION_RULES: tuple[ActionRule, ...] = (
    ActionRule(
        "legal_gap",
        "case_management",
        "a place or segment with reported incidents has no legal service within the gap radius",
        lambda f: _gap_places(f, ["legal"]),
        "Bring legal advice and referral to the prosecutor's office within reach of {places}.",
        "Acercar la asesoría jurídica y la remisión a la Fiscalía a {places}.",
        "No legal service is registered within {radius} km of {places}.",
        "No hay servicio jurídico registrado a menos de {radius} km de {places}.",
        actor="justice",
        priority="high",
        timeframe="3m",
    ),
    ActionRule(
        "referrals_unfinished",
        "case_management",
        "fewer than half of the people referred have a completed referral",
        _referrals_unfinished,
        "Follow up open referrals with the receiving institutions until they are completed.",
        "Hacer seguimiento a las remisiones abiertas con las instituciones receptoras hasta cerrarlas.",
        "Only {share} of the people referred have a completed referral.",
        "Solo el {share} de las personas remitidas tiene la remisión completada.",
        actor="case_managers",
        priority="high",
        timeframe="1m",
    ),
    ActionRule(
        "livelihoods",
        "holistic_responses",
        "women heads of household or people in the informal sector are a quarter or more of the people",
        _livelihoods,
        "Link assistance with livelihoods, social inclusion and economic autonomy for {groups}.",
        "Articular la asistencia con medios de vida, inclusión social y autonomía económica para {groups}.",
        "{groups} are a large share of the people assisted.",
        "Una parte importante de las personas asistidas son {groups}.",
        actor="local_authorities",
        priority="medium",
        timeframe="6m",
    ),
    ActionRule(
        "recruitment_diagnostic",
        "diagnostics",
        "recruitment by armed or criminal groups is reported at a place",
        lambda f: _risk_at(f, "recruitment"),
        "Deepen the diagnostic of recruitment by armed groups and organised crime around {places}.",
        "Profundizar el diagnóstico del reclutamiento por grupos armados y crimen organizado en {places}.",
        "Recruitment is reported around {places}.",
        "Se reporta reclutamiento en {places}.",
        actor="early_warning",
        priority="high",
        timeframe="3m",
    ),
    ActionRule(
        "emerging_routes",
        "diagnostics",
        "a segment is new or carries half again as many people as in the previous period",
        _emerging,
        "Update the route diagnostic with the growing segments {segments}.",
        "Actualizar el diagnóstico de rutas con los tramos en aumento {segments}.",
        "More people travelled {segments} than in the previous period.",
        "Más personas recorrieron {segments} que en el periodo anterior.",
        actor="information",
        priority="medium",
        timeframe="3m",
    ),
    ActionRule(
        "cases_fell",
        "good_practices",
        "people assisted fell by a fifth or more against the previous period",
        _change(-1),
        "Check with partners whether fewer cases mean less access to registration, and share what kept "
        "services within reach.",
        "Verificar con los socios si la baja refleja menos acceso al registro y compartir las prácticas "
        "que mantuvieron los servicios al alcance.",
        "People assisted fell by {change} against {period}.",
        "Las personas asistidas bajaron un {change} frente a {period}.",
        actor="members",
        priority="medium",
        timeframe="1m",
    ),
    ActionRule(
        "double_affectation",
        "specific_groups",
        "double affectation (armed conflict) concerns a tenth or more of the people",
        _group_share("double_affectation", DOUBLE_AFFECTATION_SHARE),
        "Coordinate with the victims' assistance system so that people with double affectation receive "
        "both routes of care.",
        "Coordinar con el sistema de atención a víctimas para que las personas con doble afectación "
        "reciban ambas rutas de atención.",
        "{share} of the people assisted are also victims of the armed conflict.",
        "El {share} de las personas asistidas también es víctima del conflicto armado.",
        actor="victims",
        priority="high",
        timeframe="3m",
    ),
    ActionRule(
        "children",
        "specific_groups",
        "children and adolescents are published (at least k of them)",
        _group_share("children", 0.0),
        "Activate the child protection route for every child and adolescent identified.",
        "Activar la ruta de protección de niñas, niños y adolescentes (NNA) para cada NNA identificado.",
        "Children and adolescents are {share} of the people assisted.",
        "Las niñas, niños y adolescentes (NNA) son el {share} de las personas asistidas.",
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
        "Open or extend psychosocial care and specialised shelter near {places}.",
        "Abrir o ampliar la atención psicosocial y el alojamiento especializado cerca de {places}.",
        "No psychosocial or shelter service is registered within {radius} km of {places}.",
        "No hay atención psicosocial ni alojamiento registrados a menos de {radius} km de {places}.",
        actor="local_authorities",
        priority="high",
        timeframe="6m",
    ),
    ActionRule(
        "sexual_abuse",
        "specialised_services",
        "sexual abuse is reported at a place",
        lambda f: _risk_at(f, "sexual_abuse"),
        "Offer gender-focused care and safe spaces in {places}.",
        "Ofrecer atención con enfoque de género y espacios seguros en {places}.",
        "Sexual abuse is reported in {places}.",
        "Se reporta abuso sexual en {places}.",
        actor="health",
        priority="high",
        timeframe="1m",
    ),
    ActionRule(
        "dominant_pattern",
        "policies_procedures",
        "one modus-operandi pattern holds a quarter or more of the people",
        _dominant_pattern,
        "Add the pattern “{pattern}” to identification protocols and screening questions.",
        "Incluir la modalidad «{pattern}» en los protocolos de identificación y en las preguntas de "
        "tamizaje.",
        "That pattern covers {share} of the people assisted.",
        "Esa modalidad agrupa al {share} de las personas asistidas.",
        actor="frontline",
        priority="medium",
        timeframe="6m",
    ),
    ActionRule(
        "chokepoints",
        "capacity_building",
        "some places concentrate most journeys (chokepoints with published counts)",
        _chokepoints,
        "Train frontline staff in {places} to identify cases, mitigate risks and refer safely.",
        "Capacitar a los equipos de primera línea en {places} para identificar casos, mitigar riesgos y "
        "remitir de forma segura.",
        "Most journeys pass through {places}.",
        "La mayoría de los recorridos pasan por {places}.",
        actor="frontline",
        priority="medium",
        timeframe="3m",
    ),
    ActionRule(
        "cases_rose",
        "capacity_building",
        "people assisted rose by a fifth or more against the previous period",
        _change(+1),
        "Reinforce case identification and registration capacity along the corridor.",
        "Reforzar la capacidad de identificación y registro de casos a lo largo del corredor.",
        "People assisted rose by {change} against {period}.",
        "Las personas asistidas aumentaron un {change} frente a {period}.",
        actor="frontline",
        priority="medium",
        timeframe="3m",
    ),
)
"""The suggested-action rules, in the order of the sub-sector's lines of work (see the module docstring)."""


# ------------------------------------------------------------------------------------------------
# Wording: sentences generated from the numbers, one class per language
# ------------------------------------------------------------------------------------------------

NBSP = "\u00a0"


class _Wording(ABC):
    """Numbers, lists and sentences in one language; subclasses write the sentences.

    Every sentence a brief prints is declared here, so each language must write all of them, with the
    same arguments.
    """

    lang: Lang
    person_word: str
    fewer_than: str
    conjunction: str
    ui: ClassVar[dict[str, str]]
    """The brief's headings and table labels, by key."""

    def __init__(self, k: int) -> None:
        self.k = k

    def number(self, value: int) -> str:
        text = f"{value:,}"
        return text.replace(",", ".") if self.lang == "es" else text

    def decimal(self, value: float) -> str:
        text = f"{value:.1f}"
        return text.replace(".", ",") if self.lang == "es" else text

    def percent(self, share: float) -> str:
        sign = "" if self.lang == "en" else NBSP
        return f"{self.decimal(100 * share)}{sign}%"

    def people(self, count: Count) -> str:
        """A count of people with its unit, or "fewer than k people" when withheld."""
        if count is None:
            return f"{self.fewer_than} {self.number(self.k)}{NBSP}{self.person_word}"
        return f"{self.number(count)}{NBSP}{self.person_word}"

    def join(self, items: Sequence[str]) -> str:
        items = list(items)
        if len(items) <= 1:
            return "".join(items)
        return f"{', '.join(items[:-1])} {self.conjunction} {items[-1]}"

    def pick(self, pair: tuple[str, str]) -> str:
        return pair[1] if self.lang == "es" else pair[0]

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
        return self.pick(CORRIDOR_LABELS[corridor])

    def corridor_in(self, corridor: str) -> str:
        return self.pick(_CORRIDOR_IN[corridor])

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

    # The sentences, written by each language.

    @abstractmethod
    def headline(self, f: BriefFindings) -> str: ...

    @abstractmethod
    def target(self, f: BriefFindings, share: float) -> str: ...

    @abstractmethod
    def programme_headline(self, f: BriefFindings) -> str: ...

    @abstractmethod
    def breakdowns(self, f: BriefFindings) -> str: ...

    @abstractmethod
    def corridor_share(self, f: BriefFindings) -> str: ...

    @abstractmethod
    def change(self, f: BriefFindings) -> str: ...

    @abstractmethod
    def case_types(self, f: BriefFindings) -> str: ...

    @abstractmethod
    def largest_group(self, code: str, count: int, share: float) -> str: ...

    @abstractmethod
    def double_affectation(self, count: int, share: float) -> str: ...

    @abstractmethod
    def withheld_groups(self, codes: Sequence[str]) -> str: ...

    @abstractmethod
    def no_cases(self) -> str: ...

    @abstractmethod
    def top_pattern(self, p: PatternFigure, share: float, *, past_mixed: bool = False) -> str:
        """The most frequent pattern that is a finding; ``past_mixed``: a larger one is mixed."""

    @abstractmethod
    def no_patterns(self) -> str: ...

    @abstractmethod
    def patterns_withheld(self) -> str: ...

    @abstractmethod
    def no_pattern_findings(self) -> str: ...

    @abstractmethod
    def riskiest(self, s: SegmentFigure) -> str: ...

    @abstractmethod
    def risk_places(self, places: Sequence[PlaceFigure]) -> str: ...

    @abstractmethod
    def chokepoints(self, places: Sequence[str]) -> str: ...

    @abstractmethod
    def top_places(self, places: Sequence[str], *, affected: bool) -> str: ...

    @abstractmethod
    def no_flows(self) -> str: ...

    @abstractmethod
    def emerging(self, items: Sequence[EmergingFigure], previous: ReportingPeriod) -> str: ...

    @abstractmethod
    def assisted(self, f: BriefFindings, top: str) -> str: ...

    @abstractmethod
    def referred(self, f: BriefFindings, top: str) -> str: ...

    @abstractmethod
    def gaps(self, f: BriefFindings, places: Sequence[str]) -> str: ...

    @abstractmethod
    def no_services(self) -> str: ...

    @abstractmethod
    def too_few(self, f: BriefFindings) -> list[str]: ...

    @abstractmethod
    def notes(self, f: BriefFindings, source: str | None, prepared: str | None) -> list[str]: ...

    @abstractmethod
    def affected_headline(self, f: BriefFindings, source: str) -> str: ...

    @abstractmethod
    def affected_caption(self, f: BriefFindings) -> str: ...

    @abstractmethod
    def map_caption(self) -> str: ...

    @abstractmethod
    def figure_captions(self, f: BriefFindings) -> dict[str, str]: ...

    @abstractmethod
    def withheld_bar(self) -> str: ...


class _English(_Wording):
    lang: Lang = "en"
    person_word = "people"
    fewer_than = "fewer than"
    conjunction = "and"
    ui: ClassVar[dict[str, str]] = {
        "kicker": "Human Trafficking and Smuggling Sub-Sector · Route brief",
        "confidential": "CONFIDENTIAL — internal use",
        "who": "Who",
        "how": "How: modus operandi",
        "where": "Where it happens",
        "response": "Response",
        "actions": "Suggested actions",
        "notes": "Notes",
        "pattern": "Pattern",
        "people": "People",
        "share": "Share",
        "riskiest": "Riskiest segments",
        "segment": "Segment",
        "rate": "Incidents per 100",
        "routes": "Frequent routes (origin → destination)",
        "route": "Route",
        "risk_places": "Places by risk type",
        "risk": "Risk",
        "place": "Place",
        "chokepoints": "Chokepoints",
        "top_places": "Places with most people",
        "geonames": "Places beyond the route gazetteer: GeoNames (CC BY 4.0).",
        "assistance": "Assistance given",
        "referrals": "Referred to",
        "gaps": "Service gaps",
        "missing": "No service of type",
        "action": "Action",
        "line": "Line of work",
        "actor": "Who acts",
        "when": "Priority · when",
        "because": "Evidence",
        "no_actions": "No rule of the brief applies to these figures.",
        "map_alt": "Map of the corridor's segments by people and risk",
    }

    def headline(self, f: BriefFindings) -> str:
        return (
            f"{self.capitalised(self.people(f.people))} were assisted "
            f"{self.corridor_in(f.corridor)} in {f.period.label('en')}."
        )

    def affected_headline(self, f: BriefFindings, source: str) -> str:
        return (
            f"{source} recorded {self.people(f.people)} affected {self.corridor_in(f.corridor)} in "
            f"{f.period.label('en')}: people its records count (for instance dead and missing), not people "
            "assisted."
        )

    def affected_caption(self, f: BriefFindings) -> str:
        return f"people affected, {f.period.label('en')} (as the source published them)"

    def target(self, f: BriefFindings, share: float) -> str:
        return (
            f"That is {self.percent(share)} of the {self.people(f.target)} the sub-sector set out to reach."
        )

    def programme_headline(self, f: BriefFindings) -> str:
        return (
            f"{self.number(f.programme_people or 0)}{NBSP}people were assisted in {f.period.label('en')}, as "
            "the programme reports them (its monitoring figure, given by the analyst and printed as given)."
        )

    def breakdowns(self, f: BriefFindings) -> str:
        return f"The figures below count the {self.people(f.people)} who consented to reporting."

    def corridor_share(self, f: BriefFindings) -> str:
        return (
            f"{self.people(f.people)} of the {self.number(f.programme_people or 0)} assisted in "
            f"{f.period.label('en')} travelled {self.corridor_in(f.corridor).removeprefix('on ')} "
            "(people who consented to reporting)."
        )

    def change(self, f: BriefFindings) -> str:
        previous = f.period.previous.label("en")
        if f.previous_people is None:
            return f"In {previous} {self.people(None)} were assisted, too few to publish a comparison."
        if f.previous_people == 0:
            return f"No case was recorded in {previous}, so no change is given."
        change = f.change or 0.0
        if abs(change) < 0.005:
            return f"That is about as many as in {previous} ({self.people(f.previous_people)})."
        more = "more" if change > 0 else "fewer"
        before = self.people(f.previous_people)
        return f"That is {self.percent(abs(change))} {more} than in {previous} ({before})."

    def case_types(self, f: BriefFindings) -> str:
        c = {k: self.people(v) for k, v in f.case_types.items()}
        return (
            f"By case type, {c['trafficking']} were in trafficking cases, {c['smuggling']} in migrant "
            f"smuggling cases and {c['both']} in cases of both."
        )

    def largest_group(self, code: str, count: int, share: float) -> str:
        return (
            f"The largest of the groups the sub-sector follows is {self.group(code)}: "
            f"{self.people(count)}, {self.percent(share)} of the people counted (who consented to reporting)."
        )

    def double_affectation(self, count: int, share: float) -> str:
        return (
            f"{self.capitalised(self.people(count))} ({self.percent(share)}) are also victims of the "
            "armed conflict (double affectation)."
        )

    def withheld_groups(self, codes: Sequence[str]) -> str:
        return (
            f"Figures for {self.join([self.group(c) for c in codes])} are under {self.number(self.k)} "
            "people and are not shown."
        )

    def no_cases(self) -> str:
        return "The case table was not given, so profiles, groups and assistance are not described."

    def top_pattern(self, p: PatternFigure, share: float, *, past_mixed: bool = False) -> str:
        return (
            f"The most frequent {'stable ' if past_mixed else ''}modus operandi is “{p.label('en')}”, "
            f"found among {self.people(p.people)} "
            f"({self.percent(share)} of the people assisted)."
        )

    def no_patterns(self) -> str:
        return "No modus-operandi pattern was estimated for this brief."

    def patterns_withheld(self) -> str:
        return (
            f"Every pattern on this corridor concerns fewer than {self.number(self.k)} people; none is shown."
        )

    def no_pattern_findings(self) -> str:
        return (
            "No modus-operandi pattern on this corridor is a finding: each is unstable or has no trait "
            "that most of its people share, and is shown as mixed."
        )

    def riskiest(self, s: SegmentFigure) -> str:
        return (
            f"Allowing for how many people travelled each segment, the riskiest is "
            f"{self.segment(s.origin, s.destination)}: {self.rate(s.rate)} reported incidents for every 100 "
            f"people who travelled it ({self.people(s.people)})."
        )

    def risk_places(self, places: Sequence[PlaceFigure]) -> str:
        clauses = []
        for place, risks in _risks_by_place(places).items():
            plural = len(risks) > 1 or risks[0] == "threats"
            clauses.append(
                f"{self.join([self.term('risk', r) for r in risks])} "
                f"{'are' if plural else 'is'} reported most often around {place}"
            )
        return self.capitalised("; ".join(clauses)) + "."

    def chokepoints(self, places: Sequence[str]) -> str:
        return f"Most journeys converge on {self.join(places)}."

    def top_places(self, places: Sequence[str], *, affected: bool) -> str:
        return f"The places with most people {'affected' if affected else 'counted'} are {self.join(places)}."

    def no_flows(self) -> str:
        return ("No journeys: flows need at least two steps per person, so this brief shows places, not "
                "segments or routes.")

    def emerging(self, items: Sequence[EmergingFigure], previous: ReportingPeriod) -> str:
        parts = [
            f"{self.segment(e.origin, e.destination)} (from {self.people(e.before)} to "
            f"{self.people(e.after)})"
            for e in items
        ]
        return f"Segments growing against {previous.label(self.lang)}: {self.join(parts)}."

    def assisted(self, f: BriefFindings, top: str) -> str:
        share = f.share(f.assisted)
        pct = f" ({self.percent(share)})" if share is not None else ""
        return (
            f"{self.capitalised(self.people(f.assisted))}{pct} received at least one form of assistance, "
            f"most often {top}."
        )

    def referred(self, f: BriefFindings, top: str) -> str:
        text = (
            f"{self.capitalised(self.people(f.referred))} were referred to other institutions, "
            f"most often to {top}"
        )
        if f.referred and f.referrals_completed is not None:
            text += f"; {self.percent(f.referrals_completed / f.referred)} of those referrals were completed"
        return text + "."

    def gaps(self, f: BriefFindings, places: Sequence[str]) -> str:
        return (
            f"Incidents are reported in {self.join(places)} with no service of some type within "
            f"{self.number(int(f.gap_radius_km))} km."
        )

    def no_services(self) -> str:
        return "Service points were not given, so service gaps are not assessed."

    def too_few(self, f: BriefFindings) -> list[str]:
        return [
            f"{self.capitalised(self.people(None))} were assisted {self.corridor_in(f.corridor)} in "
            f"{f.period.label('en')}.",
            "That is too few to publish any figure without risking that someone is recognised, so this brief "
            "gives no numbers, map or profiles for this corridor and period.",
        ]

    def notes(self, f: BriefFindings, source: str | None, prepared: str | None) -> list[str]:
        notes = [
            "These figures are reported cases, not prevalence: they count the people assisted by the "
            "sub-sector's members, not everyone affected on the corridor.",
            f"Counts of fewer than {self.number(self.k)} people are withheld and published counts are "
            "rounded; "
            + ("one figure was" if f.withheld == 1 else f"{self.number(f.withheld)} figures were")
            + " withheld for that reason. People who did not consent to reporting are not counted.",
            "A person belongs to the corridor when most of the places of their journey lie on it; the period "
            f"is {f.period.label('en')}, by month of registration.",
        ]
        if f.publishable:
            notes.append(
                "Incident rates are reported incidents per 100 people who travelled a segment; map line "
                "width shows people, dash pattern shows risk."
            )
        if source:
            notes.append(f"Source: {source}.")
        if prepared:
            notes.append(f"Prepared on {prepared}.")
        return notes

    def map_caption(self) -> str:
        return (
            "Segments with a published count of people. Solid: incident rate above the corridor's; "
            "dashed: similar; dotted: below. Circles: chokepoints; squares: official crossings; "
            "crosses: irregular crossing areas."
        )

    def figure_captions(self, f: BriefFindings) -> dict[str, str]:
        return {
            "people": f"people assisted, {f.period.label('en')}",
            "programme": f"people assisted, {f.period.label('en')} (programme figure)",
            "target": f"of the target of {self.people(f.target)}",
            "change": f"against {f.period.previous.label('en')}",
            "trafficking": "people in trafficking cases",
            "smuggling": "people in migrant smuggling cases",
        }

    def withheld_bar(self) -> str:
        return f"{self.people(None)}, not shown"


class _Spanish(_Wording):
    lang: Lang = "es"
    person_word = "personas"
    fewer_than = "menos de"
    conjunction = "y"
    ui: ClassVar[dict[str, str]] = {
        "kicker": "Subsector de Trata y Tráfico · Informe de rutas",
        "confidential": "CONFIDENCIAL — uso interno",
        "who": "Quiénes",
        "how": "Cómo: modus operandi",
        "where": "Dónde ocurre",
        "response": "Respuesta",
        "actions": "Acciones sugeridas",
        "notes": "Notas",
        "pattern": "Modalidad",
        "people": "Personas",
        "share": "Proporción",
        "riskiest": "Tramos de mayor riesgo",
        "segment": "Tramo",
        "rate": "Incidentes por 100",
        "routes": "Rutas frecuentes (origen → destino)",
        "route": "Ruta",
        "risk_places": "Lugares por tipo de riesgo",
        "risk": "Riesgo",
        "place": "Lugar",
        "chokepoints": "Puntos de paso obligado",
        "top_places": "Lugares con más personas",
        "geonames": "Lugares fuera del nomenclátor de rutas: GeoNames (CC BY 4.0).",
        "assistance": "Asistencia brindada",
        "referrals": "Remitidas a",
        "gaps": "Brechas de servicios",
        "missing": "Sin servicio de",
        "action": "Acción",
        "line": "Línea de trabajo",
        "actor": "Responsable",
        "when": "Prioridad · plazo",
        "because": "Evidencia",
        "no_actions": "Ninguna regla del informe aplica a estas cifras.",
        "map_alt": "Mapa de los tramos del corredor según personas y riesgo",
    }

    def headline(self, f: BriefFindings) -> str:
        return (
            f"En {f.period.label('es')} se brindó asistencia a {self.people(f.people)} "
            f"{self.corridor_in(f.corridor)}."
        )

    def affected_headline(self, f: BriefFindings, source: str) -> str:
        return (
            f"{source} registró {self.people(f.people)} afectadas {self.corridor_in(f.corridor)} en "
            f"{f.period.label('es')}: las personas que cuentan sus registros (por ejemplo muertas y "
            "desaparecidas), no personas asistidas."
        )

    def affected_caption(self, f: BriefFindings) -> str:
        return f"personas afectadas, {f.period.label('es')} (según la fuente)"

    def target(self, f: BriefFindings, share: float) -> str:
        return (
            f"Equivale al {self.percent(share)} de la meta del subsector, fijada en {self.people(f.target)}."
        )

    def programme_headline(self, f: BriefFindings) -> str:
        return (
            f"En {f.period.label('es')} se brindó asistencia a {self.number(f.programme_people or 0)}{NBSP}"
            "personas, según la cifra de monitoreo del programa (dada por el equipo de análisis y "
            "publicada tal cual)."
        )

    def breakdowns(self, f: BriefFindings) -> str:
        return f"Las cifras que siguen cuentan a las {self.people(f.people)} que consintieron el reporte."

    def corridor_share(self, f: BriefFindings) -> str:
        return (
            f"{self.capitalised(self.people(f.people))} de las {self.number(f.programme_people or 0)} "
            f"asistidas en {f.period.label('es')} transitaron "
            f"{'por ' + self.corridor_in(f.corridor).removeprefix('en ')} "
            "(personas que consintieron el reporte)."
        )

    def change(self, f: BriefFindings) -> str:
        previous = f.period.previous.label("es")
        if f.previous_people is None:
            return (
                f"En {previous} se asistió a {self.people(None)}: son muy pocas para publicar una "
                "comparación."
            )
        if f.previous_people == 0:
            return f"En {previous} no se registraron casos, por lo que no se calcula el cambio."
        change = f.change or 0.0
        if abs(change) < 0.005:
            return f"Son casi tantas como en {previous} ({self.people(f.previous_people)})."
        more = "más" if change > 0 else "menos"
        return (
            f"Son un {self.percent(abs(change))} {more} que en {previous} ({self.people(f.previous_people)})."
        )

    def case_types(self, f: BriefFindings) -> str:
        c = {k: self.people(v) for k, v in f.case_types.items()}
        return (
            f"Por tipo de caso, la trata de personas suma {c['trafficking']}; el tráfico de migrantes, "
            f"{c['smuggling']}; y los casos de ambos delitos, {c['both']}."
        )

    def largest_group(self, code: str, count: int, share: float) -> str:
        return (
            f"Entre los grupos que sigue el subsector, el más numeroso es el de {self.group(code)}: "
            f"{self.people(count)}, el {self.percent(share)} de las personas contadas "
            "(que consintieron el reporte)."
        )

    def double_affectation(self, count: int, share: float) -> str:
        return (
            f"{self.capitalised(self.people(count))} ({self.percent(share)}) son además víctimas del "
            "conflicto armado (doble afectación)."
        )

    def withheld_groups(self, codes: Sequence[str]) -> str:
        return (
            f"Las cifras de {self.join([self.group(c) for c in codes])} no llegan a "
            f"{self.number(self.k)} personas y no se muestran."
        )

    def no_cases(self) -> str:
        return "No se entregó la tabla de casos: no se describen perfiles, grupos ni asistencia."

    def top_pattern(self, p: PatternFigure, share: float, *, past_mixed: bool = False) -> str:
        return (
            f"La modalidad {'estable ' if past_mixed else ''}más frecuente es «{p.label('es')}», "
            f"que reúne a {self.people(p.people)} "
            f"(el {self.percent(share)} de las personas asistidas)."
        )

    def no_patterns(self) -> str:
        return "Para este informe no se estimaron modalidades de operación."

    def patterns_withheld(self) -> str:
        return (
            f"Cada modalidad de este corredor reúne a menos de {self.number(self.k)} personas; "
            "no se muestra ninguna."
        )

    def no_pattern_findings(self) -> str:
        return (
            "Ninguna modalidad de este corredor es un hallazgo: cada una es inestable o no tiene un rasgo "
            "que comparta la mayoría de sus personas, y se muestra como mixta."
        )

    def riskiest(self, s: SegmentFigure) -> str:
        return (
            f"Teniendo en cuenta cuántas personas recorrieron cada tramo, el de mayor riesgo es "
            f"{self.segment(s.origin, s.destination)}: {self.rate(s.rate)} incidentes reportados por cada "
            "100 "
            f"personas que lo recorrieron ({self.people(s.people)})."
        )

    def risk_places(self, places: Sequence[PlaceFigure]) -> str:
        subjects = {
            "recruitment": "el reclutamiento",
            "sexual_abuse": "el abuso sexual",
            "threats": "las amenazas",
            "extortion": "la extorsión",
        }
        clauses = []
        for place, risks in _risks_by_place(places).items():
            plural = len(risks) > 1 or risks[0] == "threats"
            clauses.append(
                f"{self.join([subjects[r] for r in risks])} "
                f"{'se reportan' if plural else 'se reporta'} sobre todo en {place}"
            )
        return self.capitalised("; ".join(clauses)) + "."

    def chokepoints(self, places: Sequence[str]) -> str:
        return f"La mayoría de los recorridos confluyen en {self.join(places)}."

    def top_places(self, places: Sequence[str], *, affected: bool) -> str:
        which = "afectadas" if affected else "contadas"
        return f"Los lugares con más personas {which} son {self.join(places)}."

    def no_flows(self) -> str:
        return ("Sin recorridos: los flujos requieren al menos dos pasos por persona, por lo que este "
                "informe muestra lugares, no tramos ni rutas.")

    def emerging(self, items: Sequence[EmergingFigure], previous: ReportingPeriod) -> str:
        parts = [
            f"{self.segment(e.origin, e.destination)} (de {self.people(e.before)} a {self.people(e.after)})"
            for e in items
        ]
        return f"Tramos que crecen frente a {previous.label(self.lang)}: {self.join(parts)}."

    def assisted(self, f: BriefFindings, top: str) -> str:
        share = f.share(f.assisted)
        pct = f" ({self.percent(share)})" if share is not None else ""
        return (
            f"{self.capitalised(self.people(f.assisted))}{pct} recibieron al menos una forma de "
            f"asistencia; la más frecuente fue {top}."
        )

    def referred(self, f: BriefFindings, top: str) -> str:
        text = (
            f"{self.capitalised(self.people(f.referred))} fueron remitidas a otras instituciones (la más "
            f"frecuente: {top})"
        )
        if f.referred and f.referrals_completed is not None:
            text += f"; el {self.percent(f.referrals_completed / f.referred)} de esas remisiones se completó"
        return text + "."

    def gaps(self, f: BriefFindings, places: Sequence[str]) -> str:
        return (
            f"En {self.join(places)} se reportan incidentes y falta algún tipo de servicio a menos de "
            f"{self.number(int(f.gap_radius_km))} km."
        )

    def no_services(self) -> str:
        return "No se entregaron los puntos de servicio: no se evalúan brechas."

    def too_few(self, f: BriefFindings) -> list[str]:
        return [
            f"En {f.period.label('es')} se brindó asistencia a {self.people(None)} "
            f"{self.corridor_in(f.corridor)}.",
            "Son muy pocas para publicar cifras sin riesgo de que alguien sea reconocido: este informe no "
            "presenta números, mapa ni perfiles para este corredor y periodo.",
        ]

    def notes(self, f: BriefFindings, source: str | None, prepared: str | None) -> list[str]:
        notes = [
            "Estas cifras son casos reportados, no prevalencia: cuentan a las personas asistidas por las "
            "organizaciones del subsector, no a todas las personas afectadas en el corredor.",
            f"Los conteos de menos de {self.number(self.k)} personas se omiten y los publicados se "
            "redondean; "
            + (
                "por esa razón se omitió una cifra."
                if f.withheld == 1
                else f"por esa razón se omitieron {self.number(f.withheld)} cifras."
            )
            + " No se cuentan las personas que no dieron su consentimiento para el reporte.",
            "Una persona pertenece al corredor cuando la mayoría de los lugares de su recorrido están en él; "
            f"el periodo es {f.period.label('es')}, por mes de registro.",
        ]
        if f.publishable:
            notes.append(
                "Las tasas de incidentes son incidentes reportados por cada 100 personas que recorrieron "
                "un tramo; en el mapa, el grosor de la línea indica personas y el trazo, el riesgo."
            )
        if source:
            notes.append(f"Fuente: {source}.")
        if prepared:
            notes.append(f"Elaborado el {prepared}.")
        return notes

    def map_caption(self) -> str:
        return (
            "Tramos con un número publicable de personas. Línea continua: tasa de incidentes superior a "
            "la del corredor; discontinua: similar; punteada: inferior. Círculos: puntos de paso "
            "obligado; cuadrados: pasos oficiales; aspas: pasos irregulares (trochas)."
        )

    def figure_captions(self, f: BriefFindings) -> dict[str, str]:
        return {
            "people": f"personas asistidas, {f.period.label('es')}",
            "programme": f"personas asistidas, {f.period.label('es')} (cifra del programa)",
            "target": f"de la meta de {self.people(f.target)}",
            "change": f"frente a {f.period.previous.label('es')}",
            "trafficking": "personas en casos de trata",
            "smuggling": "personas en casos de tráfico de migrantes",
        }

    def withheld_bar(self) -> str:
        return f"{self.people(None)}, no se muestra"


def _risks_by_place(places: Sequence[PlaceFigure]) -> dict[str, list[str]]:
    """Place → the risk types whose most frequent place it is, in :data:`RISK_TYPES` order."""
    grouped: dict[str, list[str]] = {}
    for p in places:
        grouped.setdefault(p.place, []).append(p.what)
    return grouped


def _wording(lang: str, k: int) -> _Wording:
    if lang == "es":
        return _Spanish(k)
    if lang == "en":
        return _English(k)
    raise BriefError(f"lang {lang!r} is not supported; expected 'es' or 'en'")


# ------------------------------------------------------------------------------------------------
# Collecting the findings from the analysis results, through the disclosure policy
# ------------------------------------------------------------------------------------------------


def _corridor_place_ids(network: RouteNetwork, corridor: str) -> pd.Index:
    """Ids of the network's places that the gazetteer tags with ``corridor`` (its ``corridors`` column)."""
    tags = network.places["corridors"].explode()
    return tags.index[(tags == corridor).to_numpy()].unique()


def corridor_people(network: RouteNetwork, corridor: str) -> pd.Index:
    """The people whose journey belongs to ``corridor``: more than half of its places carry the tag.

    Places are the distinct gazetteer places of the person's journey; tags are the gazetteer's
    ``corridors``. With ``"all"``, everyone with a journey.
    """
    journeys = _membership(network, "journeys")
    visits = journeys[["case_id", "place_id"]].drop_duplicates()
    if corridor == ALL_CORRIDORS:
        return pd.Index(visits["case_id"].unique(), name="case_id")
    visits = visits.assign(on=visits["place_id"].isin(_corridor_place_ids(network, corridor)))
    share = visits.groupby("case_id", observed=True)["on"].mean()
    return pd.Index(share.index[share.to_numpy() > 0.5], name="case_id")


class _Collector:
    """Counts for one corridor and period, every one released through the disclosure policy."""

    def __init__(
        self, network: RouteNetwork, *, cases: pd.DataFrame | None, policy: DisclosurePolicy, corridor: str
    ) -> None:
        self.network = network
        self.cases = cases
        self.policy = policy
        self.corridor = corridor
        self.withheld = 0
        self.names = network.places["name"].astype(str)
        self.persons = self._persons()
        self._corridor_places = set(_corridor_place_ids(network, corridor))
        #: (persons, categories of case ids) → row of each category's person in ``persons`` (-1: none)
        self._consent_rows: dict[tuple[int, int], tuple[pd.DataFrame, pd.Index, np.ndarray]] = {}
        self._case_rows: tuple[pd.DataFrame, pd.DataFrame] | None = None  # persons → their case rows

    def on_corridor(self, place_id: str) -> bool:
        """Whether the gazetteer tags ``place_id`` with the brief's corridor (always, for ``"all"``)."""
        return self.corridor == ALL_CORRIDORS or place_id in self._corridor_places

    def _persons(self) -> pd.DataFrame:
        """One row a person of the corridor: registration ``month``, ``case_type``, ``consent_reporting``."""
        members = corridor_people(self.network, self.corridor)
        if self.cases is not None:
            persons = pd.DataFrame(
                {
                    "case_id": self.cases["case_id"].astype(str).array,
                    "month": pd.PeriodIndex(pd.to_datetime(self.cases["date_registered"]), freq="M"),
                    "case_type": self.cases["case_type"].astype(str).array,
                    "consent_reporting": self.cases["consent_reporting"].astype(str).array,
                }
            )
            if self.corridor != ALL_CORRIDORS:
                persons = persons[is_in(persons["case_id"], members)]
            return persons.set_index("case_id", drop=False)
        steps = _membership(self.network, "place_people")
        steps = steps[is_in(steps["case_id"], members)]
        persons = (
            steps.sort_values("month")
            .groupby("case_id", observed=True)
            .agg(
                month=("month", "last"),
                case_type=("case_type", "first"),
                consent_reporting=("consent_reporting", "first"),
            )
            .reset_index()
        )
        persons["case_id"] = persons["case_id"].astype(str)
        return persons.set_index("case_id", drop=False)

    def months(self) -> ReportingPeriod:
        months = self.persons["month"].dropna()
        if months.empty:
            raise BriefError(f"no person of corridor {self.corridor!r} has a month to report on")
        return ReportingPeriod(months.min(), months.max())

    def in_period(self, period: ReportingPeriod) -> pd.DataFrame:
        return self.persons[period.contains(self.persons["month"])].reset_index(drop=True)

    # -- the one door to counts ------------------------------------------------------------------

    def count(self, members: pd.DataFrame, by: Sequence[str], what: str) -> pd.DataFrame:
        """Distinct people per cell of ``by`` as released (``n_people`` Int64, NA when withheld).

        ``what`` names the table within the corridor's view of a publication.
        """
        from routes.privacy import release_counts

        release = release_counts(members, list(by), policy=self.policy, label=f"{self.corridor}:{what}")
        self.withheld += release.hidden_cells
        return release.cells.reset_index(drop=True)

    def released(self, members: pd.DataFrame, by: str, codes: Sequence[str], what: str) -> dict[str, Count]:
        table = self.count(members, [by], what).set_index(by)["n_people"]
        return {code: _count(table.get(code, 0)) for code in codes}

    def total(self, persons: pd.DataFrame, what: str = "people") -> Count:
        table = self.count(persons.assign(scope=self.corridor), ["scope"], what)["n_people"]
        return _count(table.iloc[0]) if len(table) else 0

    def _with_consent(self, members: pd.DataFrame, persons: pd.DataFrame) -> pd.DataFrame:
        consent = persons.set_index("case_id")["consent_reporting"]
        ids = members["case_id"]
        if isinstance(ids.dtype, pd.CategoricalDtype):  # the network's tables: one lookup per person
            categories = ids.cat.categories
            known = self._consent_rows.get((id(persons), id(categories)))
            if known is None or known[0] is not persons or known[1] is not categories:
                known = (persons, categories, np.r_[positions_in(categories, consent.index), -1])
                self._consent_rows[(id(persons), id(categories))] = known  # a brief's persons: a few tables
            row = known[2][np.asarray(ids.cat.codes)]
        else:
            row = positions_in(ids, consent.index)
        keep = row >= 0
        # a new frame either way (copy on write: the network's table is never changed); no copy of
        # its rows when everyone is kept (the all-corridors brief)
        members = members.copy(deep=False) if keep.all() else members[keep]
        if not isinstance(ids.dtype, pd.CategoricalDtype):
            members["case_id"] = as_text(members["case_id"])
        members["consent_reporting"] = consent.array.take(row[keep])
        return members

    # -- sections ----------------------------------------------------------------------------------

    def case_rows(self, persons: pd.DataFrame) -> pd.DataFrame:
        """The case rows of ``persons``; kept for the next call with the same ``persons`` (the
        groups and the response of a brief read the same rows)."""
        assert self.cases is not None
        if self._case_rows is not None and self._case_rows[0] is persons:
            return self._case_rows[1]
        cases = self.cases.assign(case_id=self.cases["case_id"].astype(str))
        rows = cases[is_in(cases["case_id"], persons["case_id"])].reset_index(drop=True)
        self._case_rows = (persons, rows)
        return rows

    def _members(self, flags: pd.DataFrame, persons: pd.DataFrame, column: str) -> pd.DataFrame:
        """Long table (``case_id``, ``column``, ``consent_reporting``) of the set cells of ``flags``,
        row by row as stacking them gives (without building the unset ones)."""
        row, flag = np.nonzero(flags.to_numpy(dtype=bool))
        long = pd.DataFrame(
            {"case_id": flags.index.array.take(row), column: flags.columns.to_numpy(dtype=object)[flag]}
        )
        return self._with_consent(long, persons)

    def groups(self, persons: pd.DataFrame) -> dict[str, Count]:
        rows = self.case_rows(persons)
        flags = sub_sector_groups(rows).set_index(rows["case_id"])
        return self.released(self._members(flags, persons, "group"), "group", list(GROUPS), "groups")

    def multi(self, rows: pd.DataFrame, persons: pd.DataFrame, column: str, vocabulary: str) -> pd.DataFrame:
        """Long table (case_id, code, consent) of a multi-valued case field, without ``none``.

        Each distinct value of the field is split once (cases repeat a few combinations of codes)
        and its rows take its codes, in the order stacking every row's indicators gives.
        """
        value, distinct = pd.factorize(rows[column])
        hot = multi_hot(pd.Series(distinct, dtype=object), vocabulary).drop(columns="none", errors="ignore")
        known = np.flatnonzero(value >= 0)
        row, code = np.nonzero(hot.to_numpy(dtype=bool)[value[known]])
        long = pd.DataFrame(
            {
                "case_id": rows["case_id"].array.take(known[row]),
                "code": hot.columns.to_numpy(dtype=object)[code],
            }
        )
        return self._with_consent(long, persons)

    def response(self, persons: pd.DataFrame) -> dict[str, Any]:
        rows = self.case_rows(persons)
        assistance = self.multi(rows, persons, "assistance", "assistance")
        referrals = self.multi(rows, persons, "referred_to", "referral_target")
        referred_people = persons[is_in(persons["case_id"], referrals["case_id"])]
        completed = rows.loc[
            is_in(rows["case_id"], referred_people["case_id"])
            & rows["referral_status"].astype(str).eq("completed"),
            ["case_id"],
        ]
        return {
            "assistance": self.released(assistance, "code", _codes_but_none("assistance"), "assistance"),
            "assisted": self.total(persons[is_in(persons["case_id"], assistance["case_id"])], "assisted"),
            "referrals": self.released(referrals, "code", _codes_but_none("referral_target"), "referrals"),
            "referred": self.total(referred_people, "referred"),
            "referrals_completed": self.total(persons[is_in(persons["case_id"], completed["case_id"])],
                                              "referrals completed"),
        }

    def patterns(self, persons: pd.DataFrame, patterns: PatternClusters) -> tuple[PatternFigure, ...]:
        assert self.cases is not None
        labels = np.asarray(patterns.labels_)
        if len(labels) != len(self.cases):
            raise BriefError(
                f"the patterns were fitted on {len(labels)} cases but {len(self.cases)} cases were given; "
                "pass the cases table the estimator was fitted on"
            )
        members = pd.DataFrame({"case_id": self.cases["case_id"].astype(str).array, "cluster": labels})
        members = self._with_consent(members[members["cluster"] >= 0], persons)
        counts = self.count(members, ["cluster"], "patterns").set_index("cluster")["n_people"]
        table = patterns.profiles_.table.set_index("cluster")
        finding = table["finding"] if "finding" in table.columns else pd.Series(True, index=table.index)
        figures = [
            PatternFigure(str(table.at[c, "label_en"]), str(table.at[c, "label_es"]), _count(n),
                          bool(finding.at[c]))
            for c, n in counts.items()
            if c in table.index
        ]
        return tuple(sorted(figures, key=lambda p: (p.people is None, -(p.people or 0), p.label_en)))

    def segments(self, persons: pd.DataFrame) -> pd.DataFrame:
        """Per segment (u, v): released ``n_people`` and incidents per 100 people with a 95 % interval."""
        from routes.privacy import release_rate

        steps = self._with_consent(_membership(self.network, "segment_people"), persons)
        hits = self._with_consent(_membership(self.network, "incident_people"), persons)
        steps = steps.assign(u=as_text(steps["u"]), v=as_text(steps["v"]))
        hits = hits.dropna(subset=["u", "v"])
        hits = hits.assign(u=as_text(hits["u"]), v=as_text(hits["v"]))
        rates = release_rate(hits, steps, ["u", "v"], policy=self.policy, margins=False,
                             label=f"{self.corridor}:segments")
        self.withheld += int(rates["suppressed"].sum())
        return rates.set_index(["u", "v"])[["n_people", "rate", "rate_low", "rate_high"]]

    def corridor_rate(self, persons: pd.DataFrame) -> float | None:
        """Incidents per 100 people over all the corridor's segments, when publishable."""
        from routes.privacy import release_rate

        steps = self._with_consent(_membership(self.network, "segment_people"), persons)
        hits = self._with_consent(_membership(self.network, "incident_people"), persons).dropna(subset=["u"])
        people = steps[["case_id", "consent_reporting"]].drop_duplicates().assign(scope=self.corridor)
        hit = hits[["case_id", "consent_reporting"]].drop_duplicates().assign(scope=self.corridor)
        rates = release_rate(hit, people, ["scope"], policy=self.policy, margins=False,
                             label=f"{self.corridor}:corridor")
        return None if rates.empty or pd.isna(rates["rate"].iloc[0]) else float(rates["rate"].iloc[0])

    def risk_places(self, persons: pd.DataFrame) -> tuple[PlaceFigure, ...]:
        hits = self._with_consent(_membership(self.network, "incident_people"), persons).dropna(
            subset=["place_id"]
        )
        hits = hits[as_text(hits["risk"]).isin(RISK_TYPES)]
        hits = hits.assign(risk=as_text(hits["risk"]), place_id=as_text(hits["place_id"]))
        table = self.count(hits, ["risk", "place_id"], "risk places").dropna(subset=["n_people"])
        table = table.sort_values(["n_people", "place_id"], ascending=[False, True])
        top = table.drop_duplicates("risk").set_index("risk")
        return tuple(
            PlaceFigure(self.names[str(top.at[r, "place_id"])], _count(top.at[r, "n_people"]), r)
            for r in RISK_TYPES
            if r in top.index
        )

    def places(self, persons: pd.DataFrame) -> tuple[PlaceFigure, ...]:
        """The places with most people (people affected, for a public source), as released."""
        members = self._with_consent(_membership(self.network, "place_people"), persons)
        table = self.count(members.astype({"place_id": str}), ["place_id"], "places")
        table = table.dropna(subset=["n_people"])
        table = table[table["n_people"] > 0].sort_values(["n_people", "place_id"], ascending=[False, True])
        return tuple(
            PlaceFigure(self.names[p], _count(n))
            for p, n in zip(table["place_id"].head(TOP_ROWS), table["n_people"].head(TOP_ROWS), strict=True)
        )

    def journeys(self, persons: pd.DataFrame) -> pd.DataFrame:
        steps = _membership(self.network, "journeys")
        return self._with_consent(steps, persons).sort_values(["case_id", "pos"])

    def chokepoints(self, persons: pd.DataFrame) -> tuple[PlaceFigure, ...]:
        steps = self.journeys(persons)
        last = steps.groupby("case_id")["pos"].transform("max")
        passing = steps[(steps["pos"] > 0) & (steps["pos"] < last)]
        passing = passing.assign(place_id=as_text(passing["place_id"]))
        table = self.count(passing, ["place_id"], "passing").dropna(subset=["n_people"])
        table = table.sort_values(["n_people", "place_id"], ascending=[False, True]).head(TOP_ROWS)
        return tuple(
            PlaceFigure(self.names[p], _count(n))
            for p, n in zip(table["place_id"], table["n_people"], strict=True)
        )

    def routes(self, persons: pd.DataFrame) -> tuple[RouteFigure, ...]:
        """The most frequent origin → destination pairs (first and last place of a journey)."""
        steps = self.journeys(persons)
        ends = steps.groupby("case_id").agg(origin=("place_id", "first"), destination=("place_id", "last"))
        ends = ends[ends["origin"].astype(str) != ends["destination"].astype(str)].astype(str)
        origin, _ = pd.factorize(ends["origin"])
        destination, destinations = pd.factorize(ends["destination"])
        pairs = origin.astype(np.int64) * max(len(destinations), 1) + destination
        _, first, pair = np.unique(pairs, return_index=True, return_inverse=True)  # each pair named once
        heads = ends.take(first)
        named = np.empty(len(first), dtype=object)
        origins, ends_at = self.names[heads["origin"]], self.names[heads["destination"]]
        for i, pair_names in enumerate(zip(origins, ends_at, strict=True)):
            named[i] = pair_names
        route = pd.Series(named[pair.ravel()], index=ends.index, name="route", dtype=object)
        members = self._with_consent(route.reset_index(), persons)
        table = self.count(members, ["route"], "routes").dropna(subset=["n_people"])
        table = table.sort_values(["n_people", "route"], ascending=[False, True]).head(TOP_ROWS)
        return tuple(
            RouteFigure(r, _count(n)) for r, n in zip(table["route"], table["n_people"], strict=True)
        )

    def gaps(
        self,
        services: gpd.GeoDataFrame,
        segments: pd.DataFrame,
        persons: pd.DataFrame,
        radius_km: float,
        network_gaps: Mapping[str, pd.DataFrame] | None = None,
    ) -> tuple[GapFigure, ...]:
        missing: dict[tuple[str, Any], list[str]] = {}
        every = network_gaps
        if every is None:
            every = service_gaps_by_type(self.network, services, radius_km)
        for service in GAP_SERVICES:
            gaps = every[service]
            for kind, key in zip(gaps["kind"], gaps["id"], strict=True):
                ends = [key] if kind == "place" else list(key)
                if all(self.on_corridor(end) for end in ends):
                    missing.setdefault((kind, key), []).append(service)
        places = self._with_consent(_membership(self.network, "place_people"), persons)
        places = places.assign(place_id=as_text(places["place_id"]))
        at_place = self.count(places, ["place_id"], "places").set_index("place_id")["n_people"]
        figures = []
        for (kind, key), types in missing.items():
            if kind == "place":
                people, name = at_place.get(key, 0), self.names[key]
            else:
                people = segments["n_people"].get(tuple(key), 0)
                name = f"{self.names[key[0]]} → {self.names[key[1]]}"
            if not pd.isna(people) and people > 0:
                figures.append(GapFigure(name, tuple(types), _count(people)))
        figures.sort(key=lambda g: (-(g.people or 0), g.place))
        return tuple(figures[:TOP_ROWS])

    def emerging(self, before: pd.DataFrame, after_segments: pd.DataFrame) -> tuple[EmergingFigure, ...]:
        steps = self._with_consent(_membership(self.network, "segment_people"), before)
        previous = self.count(steps, ["u", "v"], "previous segments").set_index(["u", "v"])["n_people"]
        after = after_segments["n_people"].dropna()
        prior = previous.reindex(after.index)
        grown = prior.isna() | (after >= (1 + EMERGING_GROWTH) * prior.fillna(0))
        rows = pd.DataFrame({"after": after, "before": prior})[grown.to_numpy()]
        rows = rows.assign(gain=rows["after"] - rows["before"].fillna(0)).sort_values("gain", ascending=False)
        return tuple(
            EmergingFigure(self.names[u], self.names[v], _count(b), _count(a))
            for (u, v), a, b in zip(rows.index[:3], rows["after"][:3], rows["before"][:3], strict=True)
        )

    def map_layers(
        self, segments: pd.DataFrame, corridor_rate: float | None, chokepoints: Sequence[PlaceFigure]
    ) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
        """Released segments with a risk class, and the places at their ends."""
        shown = segments[segments["n_people"].fillna(0) > 0]
        # types-geopandas types GeoSeries.reindex as pandas' Series.reindex; it returns a GeoSeries
        geometry = cast(gpd.GeoSeries, self.network.segments.geometry.reindex(shown.index))
        risk = np.full(len(shown), "unknown", dtype=object)
        if corridor_rate is not None:
            risk[(shown["rate_low"] > corridor_rate).to_numpy()] = "higher"
            risk[(shown["rate_high"] < corridor_rate).to_numpy()] = "lower"
            risk[
                ((shown["rate_low"] <= corridor_rate) & (shown["rate_high"] >= corridor_rate)).to_numpy()
            ] = "similar"
        lines = gpd.GeoDataFrame(
            {"n_people": shown["n_people"].astype(float).to_numpy(), "risk": risk},
            geometry=geometry.to_numpy(),
            crs=self.network.segments.crs,
        )
        ends = pd.unique(
            np.concatenate(
                [shown.index.get_level_values(0).astype(str), shown.index.get_level_values(1).astype(str)]
            )
        )
        places = self.network.places.loc[ends, ["name", "kind", "geometry"]].copy()
        choke_names = {c.place for c in chokepoints}
        places["chokepoint"] = places["name"].isin(choke_names).to_numpy()
        people = (
            pd.concat(
                [
                    pd.Series(shown["n_people"].to_numpy(float), index=shown.index.get_level_values(i))
                    for i in (0, 1)
                ]
            )
            .groupby(level=0)
            .max()
        )
        places["n_people"] = people.reindex(places.index.astype(str)).to_numpy()
        return lines, gpd.GeoDataFrame(places, geometry="geometry", crs=self.network.places.crs)


def _membership(network: RouteNetwork, name: str) -> pd.DataFrame:
    """A membership table of ``network`` (``journeys``, ``segment_people``...), which briefs need."""
    table = getattr(network, name, None)
    if table is None:
        raise BriefError(
            f"the network has no {name} table: build it with RouteNetwork.from_events "
            "(networks rebuilt from GeoDataFrames carry no people to count)"
        )
    return table


def _codes_but_none(vocabulary: str) -> list[str]:
    """The codes of ``vocabulary`` in order, without ``"none"`` (which no one is counted under)."""
    return [code for code in VOCABULARIES[vocabulary].codes if code != "none"]


def _count(value: Any) -> Count:
    """A released cell (a pandas scalar, NaN when withheld) as ``int`` (``None`` when withheld)."""
    return None if pd.isna(value) else int(value)


# ------------------------------------------------------------------------------------------------
# The static map: segments by people and risk on country outlines, no tiles
# ------------------------------------------------------------------------------------------------

# Risk class → (colour, dash pattern in line widths, drawing order). Dashes keep the classes apart in
# black-and-white print; colour only helps on screen.
_RISK_STYLE: dict[str, tuple[str, tuple[float, ...] | None, int]] = {
    "higher": ("#8b1a1a", None, 3),
    "similar": ("#5a4a1a", (3.0, 1.6), 2),
    "lower": ("#4d4d4d", (0.6, 1.6), 1),
    "unknown": ("#8c8c8c", (3.0, 1.2, 0.6, 1.2), 0),
}
_RISK_LEGEND = {
    "higher": ("incident rate above the corridor's", "tasa de incidentes superior a la del corredor"),
    "similar": ("similar to the corridor's", "similar a la del corredor"),
    "lower": ("below the corridor's", "inferior a la del corredor"),
    "unknown": ("rate not published", "tasa no publicada"),
}
_MARKER_LEGEND = {
    "chokepoint": ("chokepoint", "punto de paso obligado"),
    "official_crossing": ("official crossing", "paso oficial"),
    "irregular_crossing_area": ("irregular crossing area", "paso irregular (trocha)"),
}
_MAP_SIZE_IN = (3.65, 3.5)  # the half-page column it prints in, so 6 pt labels print at 6 pt
_MAX_LINE_PT = 5.0
_MIN_LINE_PT = 0.6
_MAX_LABELS = 12


def _line_style(dashes: tuple[float, ...] | None) -> LineStyleType:
    """A risk class's dash pattern as a matplotlib line style: solid when it has none."""
    return (0, dashes) if dashes else "solid"


def _nice_round(value: float) -> int:
    """``value`` rounded down to 1, 2 or 5 times a power of ten."""
    power = 10 ** int(np.floor(np.log10(max(value, 1))))
    return int(max(m for m in (1, 2, 5) if m * power <= max(value, 1)) * power)


def corridor_map_svg(
    segments: gpd.GeoDataFrame,
    places: gpd.GeoDataFrame,
    *,
    lang: Lang = "es",
    smallest: int = 15,
    size_in: tuple[float, float] = _MAP_SIZE_IN,
) -> str:
    """Draw the released corridor layers as a standalone SVG document.

    Parameters
    ----------
    segments
        Lines in EPSG:4326 with ``n_people`` (released counts) and ``risk`` (``higher``, ``similar``,
        ``lower`` or ``unknown`` against the corridor's rate).
    places
        Points in EPSG:4326 with ``name``, ``kind``, ``chokepoint`` (bool) and ``n_people``.
    lang
        Language of the legend and of the country names.
    smallest
        Smallest count the legend may show as a line-width sample (the policy's smallest published count).
    size_in
        Figure size in inches.

    Returns
    -------
    str
        SVG text, byte-stable for the same input (fixed ``svg.hashsalt``, no date).
    """
    import matplotlib
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    pick = 1 if lang == "es" else 0
    west, south, east, north = _bounds(segments, places)
    crs = (
        f"+proj=aeqd +lat_0={(south + north) / 2:.3f} +lon_0={(west + east) / 2:.3f} "
        "+datum=WGS84 +units=m +no_defs"
    )
    lines, points = segments.to_crs(crs), places.to_crs(crs)
    xmin, ymin, xmax, ymax = _bounds(lines, points)
    width, height = xmax - xmin, ymax - ymin
    aspect = size_in[0] / size_in[1]
    span_x = max(width * 1.15, height * 1.15 * aspect, 300_000.0)
    span_y = span_x / aspect
    cx, cy = (xmin + xmax) / 2, (ymin + ymax) / 2
    view = (cx - span_x / 2, cx + span_x / 2, cy - span_y / 2, cy + span_y / 2)
    from routes.basemap import country_outlines
    from routes.places import country_names

    countries = country_outlines((west, south, east, north), margin_deg=12.0, tolerance_deg=0.01)
    countries = countries.assign(name=country_names(countries["iso3"], lang)).to_crs(crs)

    with matplotlib.rc_context(
        {
            "svg.hashsalt": SVG_HASHSALT,
            "svg.fonttype": "none",
            "font.family": ["Liberation Sans", "DejaVu Sans"],
            "font.size": 6.5,
        }
    ):
        figure = Figure(figsize=size_in)
        ax = figure.add_axes((0, 0, 1, 1))
        countries.plot(ax=ax, facecolor="#f2f2f2", edgecolor="#7a7a7a", linewidth=0.5)
        top = max(float(lines["n_people"].max()), 1.0) if len(lines) else 1.0
        widths = _MIN_LINE_PT + (_MAX_LINE_PT - _MIN_LINE_PT) * np.sqrt(
            lines["n_people"].to_numpy(float) / top
        )
        for risk, (colour, dashes, order) in sorted(_RISK_STYLE.items(), key=lambda item: item[1][2]):
            chosen = (lines["risk"] == risk).to_numpy()
            if chosen.any():
                # types-geopandas types linewidth as one float; plot passes it on to matplotlib's
                # LineCollection, which takes one width per line
                lines[chosen].plot(  # type: ignore[call-overload]
                    ax=ax,
                    color=colour,
                    linewidth=widths[chosen],
                    zorder=2 + order,
                    linestyle=_line_style(dashes),
                    capstyle="round",
                )
        for kind, marker, size in (("official_crossing", "s", 18), ("irregular_crossing_area", "X", 26)):
            of_kind = points[(points["kind"] == kind).to_numpy()]
            if len(of_kind):
                ax.scatter(
                    of_kind.geometry.x,
                    of_kind.geometry.y,
                    marker=marker,
                    s=size,
                    facecolor="white",
                    edgecolor="black",
                    linewidth=0.8,
                    zorder=8,
                )
        choke = points[points["chokepoint"].to_numpy(bool)]
        ax.scatter(
            choke.geometry.x,
            choke.geometry.y,
            marker="o",
            s=70,
            facecolor="none",
            edgecolor="black",
            linewidth=1.2,
            zorder=9,
        )
        other = points[~points["kind"].isin(["official_crossing", "irregular_crossing_area"]).to_numpy()]
        ax.scatter(other.geometry.x, other.geometry.y, marker="o", s=5, color="black", zorder=7)
        ax.set_xlim(view[0], view[1])
        ax.set_ylim(view[2], view[3])
        _scale_bar(ax, view)
        handles = [
            Line2D(
                [],
                [],
                color=_RISK_STYLE[r][0],
                linewidth=2.2,
                linestyle=_line_style(_RISK_STYLE[r][1]),
                label=_RISK_LEGEND[r][pick],
            )
            for r in ("higher", "similar", "lower", "unknown")
            if (lines["risk"] == r).any()
        ]
        for people in sorted(
            {p for p in (_nice_round(top), _nice_round(top / 8)) if p >= smallest}, reverse=True
        ):
            width = _MIN_LINE_PT + (_MAX_LINE_PT - _MIN_LINE_PT) * np.sqrt(people / top)
            unit = "personas" if lang == "es" else "people"
            handles.append(
                Line2D(
                    [],
                    [],
                    color="black",
                    linewidth=width,
                    label=f"{people:,}".replace(",", "." if lang == "es" else ",") + f" {unit}",
                )
            )
        handles += [
            Line2D(
                [],
                [],
                marker="o",
                markersize=7,
                markerfacecolor="none",
                markeredgecolor="black",
                linestyle="none",
                label=_MARKER_LEGEND["chokepoint"][pick],
            ),
            Line2D(
                [],
                [],
                marker="s",
                markersize=4.5,
                markerfacecolor="white",
                markeredgecolor="black",
                linestyle="none",
                label=_MARKER_LEGEND["official_crossing"][pick],
            ),
            Line2D(
                [],
                [],
                marker="X",
                markersize=5.5,
                markerfacecolor="white",
                markeredgecolor="black",
                linestyle="none",
                label=_MARKER_LEGEND["irregular_crossing_area"][pick],
            ),
        ]
        ax.legend(
            handles=handles,
            loc="lower left",
            fontsize=5.5,
            frameon=True,
            framealpha=0.92,
            edgecolor="#333333",
            handlelength=3.2,
            borderpad=0.5,
        )
        ax.set_axis_off()
        _place_labels(ax, points, countries, view)
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    text = buffer.getvalue()
    return text[text.index("<svg") :]


_NEAR_SPOTS = (  # (dx, dy) in points from the place, horizontal and vertical alignment: tried in order
    (4.0, 0.0, "left", "center"),
    (-4.0, 0.0, "right", "center"),
    (3.0, 3.0, "left", "bottom"),
    (-3.0, 3.0, "right", "bottom"),
    (3.0, -3.0, "left", "top"),
    (-3.0, -3.0, "right", "top"),
    (0.0, 5.0, "center", "bottom"),
    (0.0, -5.0, "center", "top"),
)
_LEADER_DIRECTIONS = ((1, 0), (-1, 0), (1, 1), (-1, 1), (1, -1), (-1, -1), (0, 1), (0, -1))
_LEADER_LENGTHS_PT = (14.0, 22.0, 32.0)  # a crowded place's label this far out, joined by a leader line
_LABEL_PAD_PT = (1.2, 1.6)  # room kept around a label's box (x, y): a browser's text box is a little taller
_LABEL_PAD_WIDTH = 0.06  # and a share of its width each side: at 6 px a browser rounds glyph advances up
_MARKER_RADIUS_PT = {"chokepoint": 4.6, "official_crossing": 2.8, "irregular_crossing_area": 3.2, "": 1.6}
_CROWD_PT = 30.0  # markers within this distance make a crowd: leader lines point away from its centre


class _LabelBoard:
    """The boxes already taken on a map (display units), and whether a new label or leader line fits."""

    def __init__(self, ax: Any) -> None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        self.ax = ax
        self.renderer = FigureCanvasAgg(ax.figure).get_renderer()
        self.pt = ax.figure.dpi / 72
        self.frame = ax.get_window_extent(self.renderer).padded(-2 * self.pt)
        self.boxes = [ax.get_legend().get_window_extent(self.renderer)]
        self.boxes += [artist.get_window_extent(self.renderer) for artist in (*ax.texts, *ax.lines)]
        self.leaders: list[Any] = []

    def free(self, box: Any) -> bool:
        inside = (self.frame.x0 <= box.x0 and box.x1 <= self.frame.x1
                  and self.frame.y0 <= box.y0 and box.y1 <= self.frame.y1)
        return inside and not any(box.overlaps(other) for other in self.boxes)

    def place(self, text: Any, leader: Any = None) -> bool:
        """Keep ``text`` (and its leader, a shapely line in display units) if free, else remove it."""
        from matplotlib.transforms import Bbox

        extent = text.get_window_extent(self.renderer)
        dx = _LABEL_PAD_PT[0] * self.pt + _LABEL_PAD_WIDTH * extent.width
        dy = _LABEL_PAD_PT[1] * self.pt
        box = Bbox([[extent.x0 - dx, extent.y0 - dy], [extent.x1 + dx, extent.y1 + dy]])
        area = _shapely_box(box)
        crossing = any(line.intersects(area) for line in self.leaders) or (leader is not None and (
            any(leader.intersects(other) for other in self.leaders)
            or any(leader.intersects(_shapely_box(other)) for other in self.boxes)
        ))
        if crossing or not self.free(box):
            text.remove()
            return False
        self.boxes.append(box)
        if leader is not None:
            self.leaders.append(leader)
        return True


def _shapely_box(bbox: Any) -> Any:
    from shapely import box

    return box(bbox.x0, bbox.y0, bbox.x1, bbox.y1)


def _place_labels(ax: Any, points: gpd.GeoDataFrame, countries: gpd.GeoDataFrame,
                  view: tuple[float, float, float, float]) -> None:
    """Name places and countries on the map so that no label overprints another, a marker, a leader
    line, the legend or the scale bar.

    Places go first (chokepoints, then by people; at most :data:`_MAX_LABELS`): each at the first of
    :data:`_NEAR_SPOTS` around its point where its box is free, else farther out in a direction away
    from the crowd of markers around it, with a leader line that crosses no other; a name that fits
    nowhere is left out. Countries follow, largest first, at a point inside their visible part or a
    line or two above or below it, and are left out where they would collide. Boxes are measured with
    matplotlib's Agg renderer (the same Liberation Sans a browser draws the SVG with), with room to spare.
    """
    from matplotlib.transforms import Bbox
    from shapely import box

    board = _LabelBoard(ax)
    pt = board.pt
    xy = np.asarray(ax.transData.transform(np.column_stack([points.geometry.x, points.geometry.y])))
    kinds = np.where(points["chokepoint"].to_numpy(bool), "chokepoint",
                     points["kind"].where(points["kind"].isin(list(_MARKER_RADIUS_PT)), "").to_numpy(str))
    radius = np.array([_MARKER_RADIUS_PT[kind] * pt for kind in kinds])
    board.boxes += [Bbox([[x - r, y - r], [x + r, y + r]]) for (x, y), r in zip(xy, radius, strict=True)]
    order = np.lexsort((points["name"].to_numpy(str), -points["n_people"].fillna(0).to_numpy(float),
                        ~points["chokepoint"].to_numpy(bool)))
    named = 0
    for i in order:
        if named == _MAX_LABELS:
            break
        crowd = xy[np.hypot(*(xy - xy[i]).T) < _CROWD_PT * pt]
        away = xy[i] - crowd.mean(axis=0)
        named += _label_place(board, str(points["name"].iloc[i]), points.geometry.iloc[i], away, radius[i])
    frame = box(view[0], view[2], view[1], view[3])
    visible = countries.assign(geometry=countries.geometry.intersection(frame))
    visible = visible[~visible.geometry.is_empty]
    visible = visible.assign(area=visible.geometry.area)
    visible = visible.sort_values(["area", "name"], ascending=[False, True])
    # types-geopandas: a GeoSeries holds BaseGeometry; representative_point's are all Points
    anchors = cast("Sequence[Point]", visible.geometry.representative_point())
    for name, anchor in zip(visible["name"], anchors, strict=True):
        for lines in (0, 1.5, -1.5, 3, -3):
            text = ax.annotate(name.upper(), (anchor.x, anchor.y), xytext=(0, lines * 6),
                               textcoords="offset points", ha="center", va="center", color="#8a8a8a",
                               fontsize=6, fontstyle="italic", zorder=1.5)
            if board.place(text):
                break


def _label_place(board: _LabelBoard, name: str, point: Point, away: np.ndarray, radius: float) -> bool:
    """Name one place: beside it if there is room, else out along a leader line pointing ``away``
    (display units) from its crowd. Whether it was named."""
    from shapely import LineString

    ax, pt = board.ax, board.pt
    halo = {"boxstyle": "square,pad=0.08", "facecolor": "white", "edgecolor": "none", "alpha": 0.8}

    def label(dx: float, dy: float, ha: str, va: str) -> Any:
        return ax.annotate(name, (point.x, point.y), xytext=(dx, dy), textcoords="offset points", ha=ha,
                           va=va, fontsize=6, bbox=halo, zorder=10)

    if any(board.place(label(*spot)) for spot in _NEAR_SPOTS):
        return True
    at = np.asarray(ax.transData.transform((point.x, point.y)))
    directions = sorted(_LEADER_DIRECTIONS, key=lambda d: -float(np.dot(d, away)) / float(np.hypot(*d)))
    for length in _LEADER_LENGTHS_PT:
        for ux, uy in directions:
            unit = np.array([ux, uy]) / np.hypot(ux, uy)
            ends = [at + unit * (radius + 0.5 * pt), at + unit * (length - 1.5) * pt]
            dx, dy = unit * length
            text = label(float(dx), float(dy), {1: "left", 0: "center", -1: "right"}[ux],
                         {1: "bottom", 0: "center", -1: "top"}[uy])
            if board.place(text, LineString(ends)):
                line = ax.transData.inverted().transform(ends)
                ax.plot(line[:, 0], line[:, 1], color="#333333", linewidth=0.4, zorder=9.5)
                return True
    return False


def _bounds(*frames: gpd.GeoDataFrame) -> tuple[float, float, float, float]:
    boxes = np.array([f.total_bounds for f in frames if len(f)])
    return boxes[:, 0].min(), boxes[:, 1].min(), boxes[:, 2].max(), boxes[:, 3].max()


def _scale_bar(ax: Any, view: tuple[float, float, float, float]) -> None:
    """A scale bar in km at the lower right, a fifth of the view wide, rounded to 1, 2 or 5."""
    length_km = _nice_round((view[1] - view[0]) / 5 / 1000)
    x1 = view[1] - (view[1] - view[0]) * 0.04
    x0 = x1 - length_km * 1000
    y = view[2] + (view[3] - view[2]) * 0.04
    ax.plot([x0, x1], [y, y], color="black", linewidth=1.5, solid_capstyle="butt", zorder=11)
    ax.text(
        (x0 + x1) / 2, y + (view[3] - view[2]) * 0.012, f"{length_km} km", ha="center", fontsize=6, zorder=11
    )


# ------------------------------------------------------------------------------------------------
# Putting it together
# ------------------------------------------------------------------------------------------------


def service_gaps_by_type(
    network: RouteNetwork, services: gpd.GeoDataFrame, radius_km: float
) -> dict[str, gpd.GeoDataFrame]:
    """Every place and segment of ``network`` with incidents and no service of each of
    :data:`GAP_SERVICES` within ``radius_km`` (:meth:`RouteNetwork.service_gaps`).

    They depend on the network, not on a corridor: a release computes them once for every brief.
    """
    top = len(network.places) + len(network.segments)
    return {
        service: network.service_gaps(services, radius_km=radius_km, service_type=service, top=top)
        for service in GAP_SERVICES
    }


def brief_findings(
    network: RouteNetwork,
    patterns: PatternClusters | None,
    *,
    cases: pd.DataFrame | None,
    corridor: str,
    period: ReportingPeriod | None,
    compare: bool | None = None,
    target: int | None,
    services: gpd.GeoDataFrame | None,
    policy: DisclosurePolicy,
    gap_radius_km: float,
    programme_people: int | None = None,
    network_gaps: Mapping[str, pd.DataFrame] | None = None,
) -> BriefFindings:
    """Every released number of one brief (``compare``: with the previous period; by default when
    ``period`` is given). A release (:class:`routes.publish.Release`) runs this for each corridor,
    with the network's service gaps computed once (``network_gaps``: :func:`service_gaps_by_type`)."""
    collector = _Collector(network, cases=cases, policy=policy, corridor=corridor)
    compare = period is not None if compare is None else compare
    period = period if period is not None else collector.months()
    persons = collector.in_period(period)
    previous_persons = collector.in_period(period.previous)
    people = collector.total(persons)
    empty_map = gpd.GeoDataFrame(geometry=[], crs="EPSG:4326")
    findings: dict[str, Any] = {
        "corridor": corridor,
        "period": period,
        "compare": compare,
        "k": policy.k,
        "people": people,
        "target": target,
        "programme_people": programme_people,
        "has_cases": cases is not None,
        "has_services": services is not None,
        "gap_radius_km": gap_radius_km,
        "previous_people": None,
        "case_types": {},
        "groups": {},
        "patterns": (),
        "segments": (),
        "corridor_rate": None,
        "risk_places": (),
        "chokepoints": (),
        "routes": (),
        "emerging": (),
        "assistance": {},
        "assisted": None,
        "referrals": {},
        "referred": None,
        "referrals_completed": None,
        "gaps": (),
        "places": (),
        "map_segments": empty_map,
        "map_places": empty_map,
        "place_countries": dict(
            zip(network.places["name"].astype(str), network.places["country"].astype(str), strict=True)
        ),
    }
    if people:
        if compare:
            findings["previous_people"] = collector.total(previous_persons, "previous people")
        findings["case_types"] = collector.released(persons, "case_type", CASE_TYPES, "case types")
        if cases is not None:
            findings["groups"] = collector.groups(persons)
            findings.update(collector.response(persons))
            if patterns is not None:
                findings["patterns"] = collector.patterns(persons, patterns)
        segments = collector.segments(persons)
        corridor_rate = collector.corridor_rate(persons)
        # Ranked by the lower end of the 95 % interval: a high rate among few people ranks below a
        # slightly lower one among many.
        ranked = segments[segments["rate"] > 0].sort_values(["rate_low", "n_people"], ascending=False)
        ranked = ranked.head(TOP_ROWS)
        findings["segments"] = tuple(
            SegmentFigure(collector.names[u], collector.names[v], _count(n), float(rate))
            for (u, v), n, rate in zip(ranked.index, ranked["n_people"], ranked["rate"], strict=True)
        )
        findings["corridor_rate"] = corridor_rate
        findings["risk_places"] = collector.risk_places(persons)
        findings["chokepoints"] = collector.chokepoints(persons)
        findings["routes"] = collector.routes(persons)
        if compare:
            findings["emerging"] = collector.emerging(previous_persons, segments)
        if services is not None:
            findings["gaps"] = collector.gaps(services, segments, persons, gap_radius_km, network_gaps)
        findings["map_segments"], findings["map_places"] = collector.map_layers(
            segments, corridor_rate, findings["chokepoints"]
        )
        if not len(network.segments):  # an incident data set: places, no flows
            findings["flows"] = False
            findings["places"] = collector.places(persons)
    findings["geonames"] = _names_fallback_town(network, findings)
    return BriefFindings(withheld=collector.withheld, **findings)


def _names_fallback_town(network: RouteNetwork, findings: Mapping[str, Any]) -> bool:
    """Whether a place the brief names (map, tables, sentences) is a GeoNames fallback town."""
    from routes.places import FALLBACK_ID_PREFIX

    fallback = network.places.index.astype(str).str.startswith(FALLBACK_ID_PREFIX)
    towns = set(network.places.loc[fallback, "name"].astype(str))
    if not towns:
        return False
    named = set(findings["map_places"]["name"]) if len(findings["map_places"]) else set()
    for key in ("risk_places", "chokepoints", "places", "gaps"):
        named |= {end.strip() for figure in findings[key] for end in figure.place.split("→")}
    for key in ("segments", "emerging"):
        named |= {end for figure in findings[key] for end in (figure.origin, figure.destination)}
    named |= {place for route in findings["routes"] for place in route.places}
    return bool(named & towns)


def _bar_rows(
    counts: Mapping[str, Count],
    label: Callable[[str], str],
    w: _Wording,
    *,
    total: Count = None,
    drop_zero: bool = True,
) -> list[dict[str, Any]]:
    """Rows of a bar chart: label, relative width (``None`` when withheld) and the count as text."""
    top = max([c for c in counts.values() if c] or [1])
    rows: list[dict[str, Any]] = []
    for code, count in counts.items():
        if count == 0 and drop_zero:
            continue
        if count is None:
            rows.append({"label": w.capitalised(label(code)), "width": None, "text": w.withheld_bar()})
            continue
        share = f" ({w.percent(count / total)})" if total else ""
        rows.append(
            {"label": w.capitalised(label(code)), "width": count / top, "text": w.people(count) + share}
        )
    return rows


PLACES_PER_ACTION = 3
"""At most this many places are named in one action (the first, in the order the findings rank them)."""


def _actions(f: BriefFindings, w: _Wording, *, country: str = HOME_COUNTRY) -> list[dict[str, str]]:
    """One row per action: what (with where and the country), line of work, who, priority, when, why.

    An action at places in ``country`` is the rule's own. Places in another country become one
    cross-border coordination action per country with the counterpart there (:data:`CROSS_BORDER`),
    gathering what every rule found there, so a meeting is never asked to act across its border. A
    segment belongs to ``country`` when either end does. High priority first, then the lines of work.
    """
    from routes.places import country_names

    def name(code: str) -> str:
        return str(country_names(pd.Series([code]), w.lang).iloc[0])

    def country_of(place: str) -> str:
        ends = [f.place_countries.get(end.strip(), country) for end in place.split("→")]
        return country if country in ends else ends[-1]

    def row(rule: ActionRule, actor: str, action: str, because: str, where: str) -> dict[str, str]:
        generic, named = ACTORS[actor]
        return {
            "action": action,
            "where": where,
            "line": w.pick(LINES_OF_WORK[rule.line_of_work]),
            "who": w.pick(named.get(country, generic)),
            "priority": w.pick(PRIORITIES[rule.priority]),
            "when": w.pick(TIMEFRAMES[rule.timeframe]),
            "because": because,
        }

    ranked: list[tuple[bool, int, dict[str, str]]] = []
    abroad: dict[str, tuple[ActionRule, int, list[str], list[str]]] = {}  # country → first rule, places, why
    for order, rule in enumerate(ACTION_RULES):
        evidence = rule.evidence(f)
        if evidence is None:
            continue
        action, because = rule.texts(w.lang)
        by_country: dict[str, list[str]] = {}
        for place in evidence.get("places", [None]):
            by_country.setdefault(country if place is None else country_of(place), []).append(place)
        for where, places in by_country.items():
            local = {**evidence, "places": places[:PLACES_PER_ACTION]} if "places" in evidence else evidence
            if where == country:
                texts = w.fill(action, local), w.fill(because, local)
                ranked.append((rule.priority != "high", order, row(rule, rule.actor, *texts, name(where))))
                continue
            first, first_order, there, why = abroad.setdefault(where, (rule, order, [], []))
            there += [p for p in places if p not in there]
            why.append(w.fill(because, local))
            if rule.priority == "high" and first.priority != "high":
                abroad[where] = (rule, first_order, there, why)
    for where, (rule, order, there, why) in abroad.items():
        action = w.fill(w.pick(CROSS_BORDER), {"places": there[:PLACES_PER_ACTION], "country": name(where)})
        because = " ".join(dict.fromkeys(why))
        coordination = row(rule, "cross_border", action, because, name(where))
        ranked.append((rule.priority != "high", order, coordination))
    return [r for _, _, r in sorted(ranked, key=lambda item: item[:2])]


def _context(
    f: BriefFindings,
    w: _Wording,
    *,
    policy: DisclosurePolicy,
    source: str | None,
    prepared: str | None,
    country: str = HOME_COUNTRY,
) -> dict[str, Any]:
    """Everything the template shows, as text in one language."""
    title = w.corridor_title(f.corridor)
    context: dict[str, Any] = {
        "lang": w.lang,
        "t": w.ui,
        "title": title,
        "publishable": f.publishable,
        "confidential": policy.audience == "internal",
        "period_line": f.period.label(w.lang),
        "notes": w.notes(f, source, prepared),
    }
    if policy.weighted:  # already-public data: its source's counts, no suppression, no consent rule
        # its counts are the source's: no suppression, consent, corridor membership or rate notes apply
        context["notes"] = [policy.describe(w.lang), *([w.notes(f, None, prepared)[-1]] if prepared else [])]
    if f.geonames:  # GeoNames' licence asks for attribution, as the map legend gives it
        context["notes"].append(w.ui["geonames"])
    if not f.publishable:
        context["too_few"] = w.too_few(f)
        return context
    captions = w.figure_captions(f)
    whole, programme = f.corridor == ALL_CORRIDORS, f.programme_people
    if whole and programme:  # the sub-sector's own figure heads the brief, said to be so
        figures = [{"value": w.number(programme), "caption": captions["programme"]}]
        lead = [w.programme_headline(f)]
    else:
        figures = [{"value": w.number(f.people or 0), "caption": captions["people"]}]
        lead = [w.corridor_share(f) if programme else w.headline(f)]
        if policy.weighted:
            figures[0]["caption"] = w.affected_caption(f)
            lead = [w.affected_headline(f, policy.source)]
    if f.target and whole:  # a corridor is never compared with the whole sub-sector's target
        share = (programme or f.people or 0) / f.target
        figures.append({"value": w.percent(share), "caption": captions["target"]})
        lead.append(w.target(f, share))
    if whole and programme:
        lead.append(w.breakdowns(f))
    if f.compare:
        if f.change is not None:
            figures.append(
                {
                    "value": ("+" if f.change >= 0 else "−") + w.percent(abs(f.change)),
                    "caption": captions["change"],
                }
            )
        lead.append(w.change(f))
    if not policy.weighted:  # a public incident data set records no case type: none is printed
        for code in ("trafficking", "smuggling"):
            count = f.case_types.get(code)
            figures.append(
                {"value": w.number(count) if count is not None else w.people(None), "caption": captions[code]}
            )
        lead.append(w.case_types(f))
    context.update(figures=figures, lead=lead)

    who: list[str] = []
    if f.has_cases:
        published = {g: n for g, n in f.groups.items() if n}
        if published:
            largest = max(published, key=lambda g: (published[g], g))
            who.append(w.largest_group(largest, published[largest], f.share(published[largest]) or 0.0))
        if f.groups.get("double_affectation"):
            count = f.groups["double_affectation"] or 0
            who.append(w.double_affectation(count, f.share(count) or 0.0))
        withheld = [g for g, n in f.groups.items() if n is None]
        if withheld:
            who.append(w.withheld_groups(withheld))
    else:
        who.append(w.no_cases())
    context["who"] = {
        "bars": _bar_rows(f.groups, w.group, w, total=f.people, drop_zero=False),
        "sentences": who,
    }

    how: list[str] = []
    published_patterns = [p for p in f.patterns if p.people]
    if not f.patterns:
        how.append(w.no_patterns())
    elif not published_patterns:
        how.append(w.patterns_withheld())
    elif not (findings := [p for p in published_patterns if p.finding]):
        how.append(w.no_pattern_findings())
    else:
        how.append(w.top_pattern(findings[0], f.share(findings[0].people) or 0.0,
                                 past_mixed=findings[0] is not published_patterns[0]))
    context["how"] = {
        "sentences": how,
        "rows": [
            {
                "label": p.label(w.lang),
                "people": w.people(p.people),
                "share": w.percent(f.share(p.people) or 0.0) if p.people is not None else "–",
            }
            for p in published_patterns[:6]
        ],
    }

    where: list[str] = []
    if f.segments:
        where.append(w.riskiest(f.segments[0]))
    if f.risk_places:
        where.append(w.risk_places(f.risk_places))
    if f.chokepoints:
        where.append(w.chokepoints([c.place for c in f.chokepoints[:3]]))
    if f.emerging:
        where.append(w.emerging(f.emerging, f.period.previous))
    if not f.flows:
        if f.places:
            where.append(w.top_places([p.place for p in f.places[:3]], affected=policy.weighted))
        where.append(w.no_flows())
    context["where"] = {
        "sentences": where,
        "segments": [
            {
                "segment": w.segment(s.origin, s.destination),
                "people": w.people(s.people),
                "rate": w.rate(s.rate),
            }
            for s in f.segments
        ],
        "risk_places": [
            {"risk": w.capitalised(w.term("risk", p.what)), "place": p.place, "people": w.people(p.people)}
            for p in f.risk_places
        ],
        "chokepoints": [{"place": c.place, "people": w.people(c.people)} for c in f.chokepoints],
        "places": [{"place": p.place, "people": w.people(p.people)} for p in f.places],
        "routes": [{"route": " → ".join(r.places), "people": w.people(r.people)} for r in f.routes],
    }

    response: list[str] = []
    if f.has_cases:
        top_assistance = _top(f.assistance)
        if top_assistance:
            response.append(w.assisted(f, w.term("assistance", top_assistance)))
        top_referral = _top(f.referrals)
        if top_referral:
            response.append(w.referred(f, w.term("referral_target", top_referral)))
    if f.has_services:
        if f.gaps:
            response.append(w.gaps(f, [g.place for g in f.gaps[:3]]))
    else:
        response.append(w.no_services())
    context["response"] = {
        "sentences": response,
        "assistance": _bar_rows(_largest(f.assistance), lambda c: w.term("assistance", c), w),
        "referrals": _bar_rows(_largest(f.referrals), lambda c: w.term("referral_target", c), w),
        "gaps": [
            {
                "place": g.place,
                "missing": w.join([w.term("service_type", m) for m in g.missing]),
                "people": w.people(g.people),
            }
            for g in f.gaps
        ],
    }
    if policy.weighted:  # a public source's records: no profile of people, no assistance given
        context["who"] = context["response"] = None
    context["actions"] = _actions(f, w, country=country)
    context["map"] = (
        {
            "uri": "data:image/svg+xml;base64,"
            + base64.b64encode(
                corridor_map_svg(
                    f.map_segments, f.map_places, lang=w.lang, smallest=policy.smallest_published
                ).encode()
            ).decode("ascii"),
            "alt": w.ui["map_alt"],
            "caption": w.map_caption(),
        }
        if len(f.map_segments)
        else None
    )
    return context


def _top(counts: Mapping[str, Count]) -> str | None:
    published = {c: n for c, n in counts.items() if n}
    return max(published, key=lambda c: (published[c], c)) if published else None


def _largest(counts: Mapping[str, Count], n: int = 6) -> dict[str, Count]:
    """The ``n`` largest published counts (withheld ones after them), in that order."""
    order = sorted(counts, key=lambda c: (counts[c] is None, -(counts[c] or 0), c))
    return {c: counts[c] for c in order[:n] if counts[c] != 0}


@lru_cache(maxsize=1)
def _environment() -> Any:
    import jinja2

    return jinja2.Environment(
        loader=jinja2.PackageLoader("routes", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )


class Brief:
    """A route brief: a self-contained HTML page that saves as ``.html`` or ``.pdf``.

    Attributes
    ----------
    html : str
        The page, with its Content-Security-Policy.
    findings : BriefFindings
        The released numbers it was written from.
    lang : {"es", "en"}
    """

    def __init__(self, html: str, findings: BriefFindings, *, lang: Lang) -> None:
        self.html = html
        self.findings = findings
        self.lang = lang

    def save(self, path: str | os.PathLike[str], *, paper: Paper = "A4", chromium: str | None = None) -> Path:
        """Write the brief as HTML or, for a ``.pdf`` path, as a PDF on ``paper`` (A4 or Letter).

        ``chromium``: the browser that prints the PDF; found by :func:`routes._browser.find_chromium`
        when not given (``$ROUTES_CHROMIUM``, the PATH, the usual folders, Playwright's own).
        Returns the path written.
        """
        path = Path(path)
        if path.suffix.lower() == ".pdf":
            path.write_bytes(self.to_pdf(paper=paper, chromium=chromium))
        elif path.suffix.lower() in (".html", ".htm"):
            path.write_text(self.html, encoding="utf-8")
        else:
            raise BriefError(f"cannot save a brief as {path.name!r}: expected a .html or .pdf file")
        return path

    def to_pdf(self, *, paper: Paper = "A4", chromium: str | None = None) -> bytes:
        """The brief printed to PDF by headless Chromium (Playwright), with the network blocked."""
        from routes._browser import find_chromium, require_playwright

        if paper not in ("A4", "Letter"):
            raise BriefError(f"paper {paper!r} is not supported; expected 'A4' or 'Letter'")
        chromium = find_chromium(chromium)
        require_playwright()
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return _print_pdf(self.html, paper=paper, chromium=chromium)
        # Playwright's sync API refuses to run inside an event loop (Jupyter): print from a thread.
        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(_print_pdf, self.html, paper=paper, chromium=chromium).result()

    def _repr_html_(self) -> str:
        """The page in a sandboxed iframe, so its styles stay out of the notebook."""
        return (
            f'<iframe srcdoc="{html.escape(self.html, quote=True)}" sandbox="" '
            'style="width:100%;height:900px;border:1px solid #ccc"></iframe>'
        )

    def __repr__(self) -> str:
        f = self.findings
        people = "withheld" if f.people is None else f"{f.people:,} people"
        return f"<Brief {f.corridor} {f.period.label('en')} ({self.lang}): {people}>"


def _print_pdf(page: str, *, paper: Paper, chromium: str) -> bytes:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium, headless=True, args=list(CHROMIUM_ARGS)
        )
        try:
            tab = browser.new_page()
            tab.route("**/*", lambda route: route.abort())
            tab.set_content(page, wait_until="load")
            return tab.pdf(
                format=paper, print_background=True, margin=PAGE_MARGIN, prefer_css_page_size=False
            )
        finally:
            browser.close()


def release_brief(
    release: Release,
    *,
    corridor: str = ALL_CORRIDORS,
    lang: Lang = "es",
    prepared: str | None = None,
    country: str = HOME_COUNTRY,
) -> Brief:
    """The brief of one corridor of a release, in one language: it renders, it never counts.

    Every number is the release's (:class:`routes.publish.Release`), so the map, every brief and both
    languages agree; the release id is printed in the notes. A release that failed its audit is refused.
    ``country`` is the sub-sector's (ISO 3166-1 alpha-3): actions elsewhere become cross-border ones.
    """
    from routes._web import with_csp
    from routes.privacy import check_publishable

    release.check()
    if corridor not in release.findings:
        raise BriefError(f"corridor {corridor!r} is not in release {release.release_id}; it holds "
                         f"{', '.join(sorted(release.findings))}")
    wording = _wording(lang, release.policy.k)
    source = " · ".join(part for part in (release.source, release.stamp(wording.lang)) if part)
    context = _context(release.findings[corridor], wording, policy=release.policy, source=source,
                       prepared=prepared, country=country_code(country))
    page = with_csp(_environment().get_template("brief.html.j2").render(**context))
    check_publishable(page, policy=release.policy, name=f"brief {corridor} ({lang})", kind="html")
    return Brief(page, release.findings[corridor], lang=wording.lang)


def route_brief(
    network: RouteNetwork,
    patterns: PatternClusters | None = None,
    *,
    cases: pd.DataFrame | None = None,
    corridor: str = ALL_CORRIDORS,
    period: str | pd.Period | tuple[str | pd.Period, str | pd.Period] | None = None,
    target: int | None = None,
    assisted: int | None = None,
    services: gpd.GeoDataFrame | None = None,
    lang: Lang = "es",
    policy: DisclosurePolicy | None = None,
    gap_radius_km: float = 25,
    source: str | None = None,
    prepared: str | None = None,
    country: str = HOME_COUNTRY,
) -> Brief:
    """A two-page brief (three at most) on one corridor and period, every number released by ``policy``.

    Parameters
    ----------
    network
        Built with :meth:`RouteNetwork.from_events` (the brief counts people from its membership tables).
    patterns
        A fitted :class:`~routes.patterns.PatternClusters`; needs ``cases``, the table it was fitted on.
    cases
        The cases table: registration month, groups, assistance and referrals. Without it a person's
        month is that of their last route step and the who / response sections say so.
    corridor
        A gazetteer corridor (:data:`routes.places.CORRIDORS`) or ``"all"``. A person belongs to it when most
        places of their journey carry its tag.
    period
        ``"2023"``, ``"2023Q2"``, ``"2023-05"``, a :class:`pandas.Period` or a pair (first, last).
        Compared with the previous period of the same length. ``None``: every month of the data, with
        no comparison.
    target
        People the sub-sector set out to reach in the period (e.g. ``SAMPLE_TARGET``); only the
        all-corridors brief compares with it.
    assisted
        People assisted in the period as the programme reports them (its 5W monitoring figure),
        printed as given and said to be so; the breakdowns still count consenting people.
    services
        Service points (:func:`routes.io.read_services`) for the service gaps.
    lang
        ``"es"`` or ``"en"``.
    policy
        Disclosure policy; :meth:`DisclosurePolicy.public` by default.
    gap_radius_km
        A risky place or segment with no service of a type within this distance is a gap.
    source
        Where the data come from, printed in the notes.
    prepared
        Date printed as "prepared on"; nothing is dated otherwise, so the same inputs give the same bytes.
    country
        The sub-sector's country (ISO 3166-1 alpha-2 or alpha-3, or its name): suggested actions at
        places elsewhere become cross-border coordination with the counterpart there.

    Returns
    -------
    Brief

    Raises
    ------
    BriefError
        Unknown corridor or language, a period that is not one, patterns without their cases.
    DisclosureError
        If the finished page fails :func:`routes.privacy.check_publishable` (nothing is returned).
    """
    from routes._web import with_csp
    from routes.privacy import DisclosurePolicy, check_publishable

    corridors = (*CORRIDORS, ALL_CORRIDORS)
    if corridor not in corridors:
        raise BriefError(f"unknown corridor {corridor!r}; expected one of {', '.join(corridors)}")
    policy = policy or DisclosurePolicy.public()
    wording = _wording(lang, policy.k)
    if patterns is not None and cases is None:
        raise BriefError("patterns were given without the cases they were fitted on; pass cases=")
    findings = brief_findings(
        network,
        patterns,
        cases=cases,
        corridor=corridor,
        period=ReportingPeriod.parse(period) if period is not None else None,
        target=target,
        services=services,
        policy=policy,
        gap_radius_km=gap_radius_km,
        programme_people=assisted,
    )
    context = _context(findings, wording, policy=policy, source=source, prepared=prepared,
                       country=country_code(country))
    page = with_csp(_environment().get_template("brief.html.j2").render(**context))
    check_publishable(page, policy=policy, name=f"brief {corridor} ({lang})", kind="html")
    return Brief(page, findings, lang=wording.lang)
