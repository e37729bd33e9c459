"""Suggested actions: documented rules from released findings to who does what, where and when."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from routes.publish.findings import BriefFindings, Lang
from routes.schema import GROUPS

if TYPE_CHECKING:
    pass


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

# Thresholds of the action rules and of the text (shares of the people assisted).
CHANGE_NOTICED = 0.20
GROUP_SHARE_LIVELIHOODS = 0.25
DOUBLE_AFFECTATION_SHARE = 0.10
DOMINANT_PATTERN_SHARE = 0.25
REFERRALS_COMPLETED_MIN = 0.50


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
