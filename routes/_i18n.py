"""The words and number formats of every product, in English and Spanish: one table module.

Messages live in :class:`Messages` tables, each key with one text per language of :data:`LANGUAGES`
(``tests/test_i18n.py`` checks that every key has both, with the same ``{placeholders}``). Numbers,
decimals, percentages and month names follow each language's CLDR conventions through Babel
(es: ``1.234``, ``14,0``, ``25,4 %`` with a no-break space; en: ``1,234``, ``14.0``, ``25.4%``), so no
product writes a number by hand. A float is formatted from its exact value (``Decimal(value)``), rounded
half to even as Python's own formatting rounds it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import cache, lru_cache
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
    "LANGUAGES",
    "LINE_OF_WORK",
    "MAP",
    "MESSAGES",
    "PRIORITY",
    "RISK_SUBJECT",
    "SENTENCE",
    "TIMEFRAME",
    "Lang",
    "Messages",
    "month_name",
    "number",
    "percent",
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
        return self.texts[key][lang]

    def __contains__(self, key: object) -> bool:
        return key in self.texts

    def pairs(self) -> dict[str, tuple[str, str]]:
        """Each key → its ``(English, Spanish)`` texts: the shape of the public constants read before this
        table (``routes.briefs.CORRIDOR_LABELS``...)."""
        return {key: (texts["en"], texts["es"]) for key, texts in self.texts.items()}


def _check(lang: str) -> None:
    if lang not in LANGUAGES:
        raise ParameterError(f"lang={lang!r}: expected one of {', '.join(LANGUAGES)}")


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


MAP = Messages("map", {
    "legend": {"en": "Legend", "es": "Leyenda"},
    "flows": {"en": "Flows between places", "es": "Flujos entre lugares"},
    "places": {"en": "Places", "es": "Lugares"},
    "crossings": {"en": "Border crossings", "es": "Pasos fronterizos"},
    "outlines": {"en": "Country outlines", "es": "Contornos de país"},
    "admin1": {"en": "First-level admin boundaries", "es": "Límites de primer nivel administrativo"},
    "risk": {"en": "Risk", "es": "Riesgo"},
    "risks": {
        "en": "Risks reported (people with the risk)",
        "es": "Riesgos reportados (personas con el riesgo)",
    },
    "pattern": {"en": "Pattern", "es": "Patrón"},
    "patterns": {
        "en": "Modus-operandi patterns (people of the pattern)",
        "es": "Patrones de modus operandi (personas del patrón)",
    },
    "hexagons": {
        "en": "Incident hotspots (H3 hexagons)",
        "es": "Puntos calientes de incidentes (hexágonos H3)",
    },
    "hotspot_areas": {"en": "Incident hotspot areas", "es": "Áreas de puntos calientes de incidentes"},
    "services": {"en": "Services", "es": "Servicios"},
    "gaps": {
        "en": "High-risk places without a service within {km} km",
        "es": "Lugares de alto riesgo sin servicio a menos de {km} km",
    },
    "gap": {"en": "no service within reach", "es": "sin servicio al alcance"},
    "areas": {"en": "People per area", "es": "Personas por área"},
    "periods": {"en": "Flows by period", "es": "Flujos por periodo"},
    "all_periods": {"en": "All periods (no period layer)", "es": "Todos los periodos (sin capa de periodo)"},
    "period_help": {
        "en": "The slider (top left) shows the flows of one {unit} at a time.",
        "es": "El control deslizante (arriba a la izquierda) muestra los flujos de un {unit}.",
    },
    "month": {"en": "month", "es": "mes"},
    "quarter": {"en": "quarter", "es": "trimestre"},
    "year": {"en": "year", "es": "año"},
    "u_name": {"en": "From", "es": "Desde"},
    "v_name": {"en": "To", "es": "Hacia"},
    "n_people": {"en": "People (distinct)", "es": "Personas (distintas)"},
    "n_people_risk": {"en": "People with this risk", "es": "Personas con este riesgo"},
    "n_people_pattern": {"en": "People of this pattern", "es": "Personas de este patrón"},
    "n_people_incident": {"en": "People with incidents", "es": "Personas con incidentes"},
    "n_people_affected": {
        "en": "People affected (as the source published them)",
        "es": "Personas afectadas (según la fuente)",
    },
    "rate": {"en": "Incidents per 100 people", "es": "Incidentes por 100 personas"},
    "rate_risk": {
        "en": "With this risk, per 100 people passing",
        "es": "Con este riesgo, por 100 personas que pasan",
    },
    "name": {"en": "Place", "es": "Lugar"},
    "segment": {"en": "Segment or place", "es": "Tramo o lugar"},
    "area": {"en": "Area", "es": "Área"},
    "nearest_place": {"en": "Near", "es": "Cerca de"},
    "unnamed_area": {
        "en": "unnamed area (no place within {km:g} km)",
        "es": "zona sin nombre (ningún lugar a menos de {km:g} km)",
    },
    "country": {"en": "Country", "es": "País"},
    "kind": {"en": "Kind", "es": "Tipo"},
    "cluster": {"en": "Pattern", "es": "Patrón"},
    "label": {"en": "Description", "es": "Descripción"},
    "dominant_risks": {"en": "Dominant risks", "es": "Riesgos dominantes"},
    "h3": {"en": "H3 cell", "es": "Celda H3"},
    "hotspot": {"en": "Gi* class", "es": "Clase Gi*"},
    "hotspot_id": {"en": "Hotspot", "es": "Punto caliente"},
    "radius_m": {"en": "Radius (m)", "es": "Radio (m)"},
    "place": {"en": "Place", "es": "Lugar"},
    "service_type": {"en": "Service", "es": "Servicio"},
    "organisation_type": {"en": "Organisations", "es": "Organizaciones"},
    "chokepoint": {"en": "Chokepoint", "es": "Punto de paso obligado"},
    "not_published": {
        "en": "not published (too few people, or withheld to protect another count)",
        "es": "no publicado (muy pocas personas, o reservado para proteger otra cifra)",
    },
    "city": {"en": "city", "es": "ciudad"},
    "transit_hub": {"en": "transit hub", "es": "centro de tránsito"},
    "service_point": {"en": "service point", "es": "punto de servicio"},
    "official_crossing": {"en": "official crossing", "es": "paso oficial"},
    "irregular_crossing_area": {"en": "irregular crossing area", "es": "zona de paso irregular"},
    "populated_place": {"en": "town (GeoNames)", "es": "población (GeoNames)"},
    "hot_99": {
        "en": "hot spot, false discovery rate 1 %",
        "es": "punto caliente, tasa de falsos hallazgos 1 %",
    },
    "hot_95": {
        "en": "hot spot, false discovery rate 5 %",
        "es": "punto caliente, tasa de falsos hallazgos 5 %",
    },
    "hot_90": {
        "en": "hot spot, false discovery rate 10 %",
        "es": "punto caliente, tasa de falsos hallazgos 10 %",
    },
    "gi_method": {
        "en": (
            "Getis-Ord Gi* of published counts, 999 permutations, Benjamini-Hochberg correction over every "
            "hexagon; few reports is not safety, so no cold spots are shown"
        ),
        "es": (
            "Gi* de Getis-Ord sobre los conteos publicados, 999 permutaciones, corrección de "
            "Benjamini-Hochberg sobre todos los hexágonos; pocos reportes no es seguridad: no se muestran "
            "puntos fríos"
        ),
    },
    "not_significant": {"en": "not significant", "es": "no significativo"},
    "hotspot_circle": {
        "en": "area within which incidents of many people concentrate",
        "es": "área donde se concentran incidentes de muchas personas",
    },
    "geonames_credit": {
        "en": "Towns beyond the route gazetteer: GeoNames (CC BY 4.0).",
        "es": "Poblaciones fuera del nomenclátor de rutas: GeoNames (CC BY 4.0).",
    },
    "offline_note": {
        "en": "Offline: no map tiles; country and first-level admin boundaries from Natural Earth",
        "es": "Sin conexión: sin teselas; límites de país y de primer nivel administrativo de Natural Earth",
    },
    "no_journeys": {
        "en": (
            "No journeys: flows need at least two steps per person; these data hold places and incidents "
            "only."
        ),
        "es": (
            "Sin recorridos: los flujos necesitan al menos dos pasos por persona; estos datos solo tienen "
            "lugares e incidentes."
        ),
    },
    "scaling": {
        "en": "Line width and circle area grow with the number of people.",
        "es": "El grosor de las líneas y el área de los círculos crecen con el número de personas.",
    },
    "suppressed": {
        "en": "Not shown (fewer people than the publication threshold): {items}.",
        "es": "No se muestran (menos personas que el umbral de publicación): {items}.",
    },
    "hidden_segments": {"en": "segments", "es": "tramos"},
    "hidden_places": {"en": "places", "es": "lugares"},
    "hidden_risks": {"en": "risk cells", "es": "celdas de riesgo"},
    "hidden_patterns": {"en": "pattern cells", "es": "celdas de patrón"},
    "hidden_hexagons": {"en": "hexagons", "es": "hexágonos"},
    "hidden_hotspots": {"en": "hotspot areas", "es": "áreas de punto caliente"},
    "hidden_areas": {"en": "areas", "es": "áreas"},
    "hidden_periods": {"en": "period cells", "es": "celdas de periodo"},
})
"""The route map's layer names, legend, tooltip labels and notes."""

BRIEF = Messages("brief", {
    "kicker": {
        "en": "Human Trafficking and Smuggling Sub-Sector · Route brief",
        "es": "Subsector de Trata y Tráfico · Informe de rutas",
    },
    "confidential": {"en": "CONFIDENTIAL — internal use", "es": "CONFIDENCIAL — uso interno"},
    "who": {"en": "Who", "es": "Quiénes"},
    "how": {"en": "How: modus operandi", "es": "Cómo: modus operandi"},
    "where": {"en": "Where it happens", "es": "Dónde ocurre"},
    "response": {"en": "Response", "es": "Respuesta"},
    "actions": {"en": "Suggested actions", "es": "Acciones sugeridas"},
    "notes": {"en": "Notes", "es": "Notas"},
    "pattern": {"en": "Pattern", "es": "Modalidad"},
    "people": {"en": "People", "es": "Personas"},
    "share": {"en": "Share", "es": "Proporción"},
    "riskiest": {"en": "Riskiest segments", "es": "Tramos de mayor riesgo"},
    "segment": {"en": "Segment", "es": "Tramo"},
    "rate": {"en": "Incidents per 100", "es": "Incidentes por 100"},
    "routes": {"en": "Frequent routes (origin → destination)", "es": "Rutas frecuentes (origen → destino)"},
    "route": {"en": "Route", "es": "Ruta"},
    "risk_places": {"en": "Places by risk type", "es": "Lugares por tipo de riesgo"},
    "risk": {"en": "Risk", "es": "Riesgo"},
    "place": {"en": "Place", "es": "Lugar"},
    "chokepoints": {"en": "Chokepoints", "es": "Puntos de paso obligado"},
    "top_places": {"en": "Places with most people", "es": "Lugares con más personas"},
    "geonames": {
        "en": "Places beyond the route gazetteer: GeoNames (CC BY 4.0).",
        "es": "Lugares fuera del nomenclátor de rutas: GeoNames (CC BY 4.0).",
    },
    "assistance": {"en": "Assistance given", "es": "Asistencia brindada"},
    "referrals": {"en": "Referred to", "es": "Remitidas a"},
    "gaps": {"en": "Service gaps", "es": "Brechas de servicios"},
    "missing": {"en": "No service of type", "es": "Sin servicio de"},
    "action": {"en": "Action", "es": "Acción"},
    "actor": {"en": "Who acts", "es": "Responsable"},
    "when": {"en": "Priority · when", "es": "Prioridad · plazo"},
    "because": {"en": "Evidence", "es": "Evidencia"},
    "no_actions": {
        "en": "No rule of the brief applies to these figures.",
        "es": "Ninguna regla del informe aplica a estas cifras.",
    },
    "map_alt": {
        "en": "Map of the corridor's segments by people and risk",
        "es": "Mapa de los tramos del corredor según personas y riesgo",
    },
})
"""A route brief's headings and table labels (its sentences are written by ``routes.briefs``' wording)."""

CORRIDOR = Messages("corridor", {
    "andean": {"en": "Andean corridor", "es": "Corredor andino"},
    "caribbean_darien": {"en": "Caribbean–Darién corridor", "es": "Corredor Caribe–Darién"},
    "brazil": {"en": "Brazil route", "es": "Ruta a Brasil"},
    "orinoquia": {"en": "Orinoquía corridor", "es": "Corredor de la Orinoquía"},
    "catatumbo": {"en": "Catatumbo corridor", "es": "Corredor del Catatumbo"},
    "pacific": {"en": "Pacific route", "es": "Ruta del Pacífico"},
    "origin": {"en": "Places of origin", "es": "Lugares de origen"},
    "all": {"en": "All corridors", "es": "Todos los corredores"},
})
"""Corridor code (:data:`routes.places.CORRIDORS` and ``"all"``) → a brief's title for it."""

CORRIDOR_IN = Messages("corridor_in", {
    "andean": {"en": "on the Andean corridor", "es": "en el corredor andino"},
    "caribbean_darien": {"en": "on the Caribbean–Darién corridor", "es": "en el corredor Caribe–Darién"},
    "brazil": {"en": "on the route to Brazil", "es": "en la ruta a Brasil"},
    "orinoquia": {"en": "on the Orinoquía corridor", "es": "en el corredor de la Orinoquía"},
    "catatumbo": {"en": "on the Catatumbo corridor", "es": "en el corredor del Catatumbo"},
    "pacific": {"en": "on the Pacific route", "es": "en la ruta del Pacífico"},
    "origin": {"en": "in the places of origin", "es": "en los lugares de origen"},
    "all": {"en": "across all corridors", "es": "en todos los corredores"},
})
"""Corridor code → where things happen "on" it, as a sentence says it (Spanish needs the article's gender)."""

LINE_OF_WORK = Messages("line_of_work", {
    "case_management": {"en": "Case management", "es": "Gestión de casos"},
    "holistic_responses": {"en": "Holistic responses", "es": "Respuestas integrales"},
    "diagnostics": {"en": "Diagnostics of routes and profiles", "es": "Diagnósticos de rutas y perfiles"},
    "good_practices": {"en": "Sharing good practices", "es": "Intercambio de buenas prácticas"},
    "specific_groups": {
        "en": "Specific groups and double affectation",
        "es": "Grupos específicos y doble afectación",
    },
    "specialised_services": {
        "en": "Specialised services: gender focus, psychosocial care, shelter",
        "es": "Servicios especializados: enfoque de género, atención psicosocial, alojamiento",
    },
    "policies_procedures": {
        "en": "Policies and procedures to identify routes and modus operandi",
        "es": "Políticas y procedimientos para identificar rutas y modus operandi",
    },
    "capacity_building": {"en": "Capacity building", "es": "Fortalecimiento de capacidades"},
})
"""The sub-sector's eight lines of work (its 2022 priorities), by code."""

ACTOR = Messages("actor", {
    "members": {"en": "Sub-sector member organisations", "es": "Organizaciones miembro del subsector"},
    "case_managers": {
        "en": "Case managers of the member organisations",
        "es": "Gestores de caso de las organizaciones miembro",
    },
    "justice": {
        "en": "Prosecutor's office and ombudsperson, with member organisations",
        "es": "Fiscalía y defensoría, con las organizaciones miembro",
    },
    "justice.COL": {
        "en": "Fiscalía and Defensoría del Pueblo, with member organisations",
        "es": "Fiscalía y Defensoría del Pueblo, con las organizaciones miembro",
    },
    "early_warning": {
        "en": "Ombudsperson's early-warning system, with member organisations",
        "es": "Sistema de alertas tempranas de la defensoría, con las organizaciones miembro",
    },
    "early_warning.COL": {
        "en": "Defensoría del Pueblo (early-warning system), with member organisations",
        "es": "Defensoría del Pueblo (Sistema de Alertas Tempranas), con las organizaciones miembro",
    },
    "information": {
        "en": "Sub-sector information management, with the migration authority",
        "es": "Manejo de información del subsector, con la autoridad migratoria",
    },
    "information.COL": {
        "en": "Sub-sector information management, with Migración Colombia",
        "es": "Manejo de información del subsector, con Migración Colombia",
    },
    "victims": {
        "en": "Victims' assistance system, with member organisations",
        "es": "Sistema de atención a víctimas, con las organizaciones miembro",
    },
    "victims.COL": {
        "en": "Unidad para las Víctimas, with member organisations",
        "es": "Unidad para las Víctimas, con las organizaciones miembro",
    },
    "child_protection": {
        "en": "National child protection authority",
        "es": "Autoridad nacional de protección de la niñez",
    },
    "child_protection.COL": {
        "en": "ICBF (Colombian Family Welfare Institute)",
        "es": "ICBF (Instituto Colombiano de Bienestar Familiar)",
    },
    "local_authorities": {
        "en": "Local authorities, with member organisations",
        "es": "Autoridades locales, con las organizaciones miembro",
    },
    "health": {
        "en": "Member organisations, with local health services",
        "es": "Organizaciones miembro, con los servicios de salud locales",
    },
    "frontline": {
        "en": "Member organisations, with the migration authority and local authorities",
        "es": "Organizaciones miembro, con la autoridad migratoria y las autoridades locales",
    },
    "frontline.COL": {
        "en": "Member organisations, with Migración Colombia and local authorities",
        "es": "Organizaciones miembro, con Migración Colombia y las autoridades locales",
    },
    "cross_border": {
        "en": "Sub-sector coordination, with the foreign ministry",
        "es": "Coordinación del subsector, con el Ministerio de Relaciones Exteriores",
    },
    "cross_border.COL": {
        "en": "Sub-sector coordination, with Cancillería",
        "es": "Coordinación del subsector, con la Cancillería",
    },
})
"""Who acts on a suggestion: an actor type (``justice``), named as the institution in a country
(``justice.COL``)."""

PRIORITY = Messages("priority", {
    "high": {"en": "High", "es": "Alta"},
    "medium": {"en": "Medium", "es": "Media"},
})
"""An action's priority."""

TIMEFRAME = Messages("timeframe", {
    "now": {"en": "At once", "es": "De inmediato"},
    "1m": {"en": "Within 1 month", "es": "En 1 mes"},
    "3m": {"en": "Within 3 months", "es": "En 3 meses"},
    "6m": {"en": "Within 6 months", "es": "En 6 meses"},
})
"""An action's timeframe."""

ACTION = Messages("action", {
    "legal_gap.action": {
        "en": "Bring legal advice and referral to the prosecutor's office within reach of {places}.",
        "es": "Acercar la asesoría jurídica y la remisión a la Fiscalía a {places}.",
    },
    "legal_gap.because": {
        "en": "No legal service is registered within {radius} km of {places}.",
        "es": "No hay servicio jurídico registrado a menos de {radius} km de {places}.",
    },
    "referrals_unfinished.action": {
        "en": "Follow up open referrals with the receiving institutions until they are completed.",
        "es": "Hacer seguimiento a las remisiones abiertas con las instituciones receptoras hasta cerrarlas.",
    },
    "referrals_unfinished.because": {
        "en": "Only {share} of the people referred have a completed referral.",
        "es": "Solo el {share} de las personas remitidas tiene la remisión completada.",
    },
    "livelihoods.action": {
        "en": "Link assistance with livelihoods, social inclusion and economic autonomy for {groups}.",
        "es": (
            "Articular la asistencia con medios de vida, inclusión social y autonomía económica para "
            "{groups}."
        ),
    },
    "livelihoods.because": {
        "en": "{groups} are a large share of the people assisted.",
        "es": "Una parte importante de las personas asistidas son {groups}.",
    },
    "recruitment_diagnostic.action": {
        "en": "Deepen the diagnostic of recruitment by armed groups and organised crime around {places}.",
        "es": (
            "Profundizar el diagnóstico del reclutamiento por grupos armados y crimen organizado en "
            "{places}."
        ),
    },
    "recruitment_diagnostic.because": {
        "en": "Recruitment is reported around {places}.",
        "es": "Se reporta reclutamiento en {places}.",
    },
    "emerging_routes.action": {
        "en": "Update the route diagnostic with the growing segments {segments}.",
        "es": "Actualizar el diagnóstico de rutas con los tramos en aumento {segments}.",
    },
    "emerging_routes.because": {
        "en": "More people travelled {segments} than in the previous period.",
        "es": "Más personas recorrieron {segments} que en el periodo anterior.",
    },
    "cases_fell.action": {
        "en": (
            "Check with partners whether fewer cases mean less access to registration, and share what kept "
            "services within reach."
        ),
        "es": (
            "Verificar con los socios si la baja refleja menos acceso al registro y compartir las "
            "prácticas que mantuvieron los servicios al alcance."
        ),
    },
    "cases_fell.because": {
        "en": "People assisted fell by {change} against {period}.",
        "es": "Las personas asistidas bajaron un {change} frente a {period}.",
    },
    "double_affectation.action": {
        "en": (
            "Coordinate with the victims' assistance system so that people with double affectation receive "
            "both routes of care."
        ),
        "es": (
            "Coordinar con el sistema de atención a víctimas para que las personas con doble afectación "
            "reciban ambas rutas de atención."
        ),
    },
    "double_affectation.because": {
        "en": "{share} of the people assisted are also victims of the armed conflict.",
        "es": "El {share} de las personas asistidas también es víctima del conflicto armado.",
    },
    "children.action": {
        "en": "Activate the child protection route for every child and adolescent identified.",
        "es": (
            "Activar la ruta de protección de niñas, niños y adolescentes (NNA) para cada NNA identificado."
        ),
    },
    "children.because": {
        "en": "Children and adolescents are {share} of the people assisted.",
        "es": "Las niñas, niños y adolescentes (NNA) son el {share} de las personas asistidas.",
    },
    "specialised_gap.action": {
        "en": "Open or extend psychosocial care and specialised shelter near {places}.",
        "es": "Abrir o ampliar la atención psicosocial y el alojamiento especializado cerca de {places}.",
    },
    "specialised_gap.because": {
        "en": "No psychosocial or shelter service is registered within {radius} km of {places}.",
        "es": "No hay atención psicosocial ni alojamiento registrados a menos de {radius} km de {places}.",
    },
    "sexual_abuse.action": {
        "en": "Offer gender-focused care and safe spaces in {places}.",
        "es": "Ofrecer atención con enfoque de género y espacios seguros en {places}.",
    },
    "sexual_abuse.because": {
        "en": "Sexual abuse is reported in {places}.",
        "es": "Se reporta abuso sexual en {places}.",
    },
    "dominant_pattern.action": {
        "en": "Add the pattern “{pattern}” to identification protocols and screening questions.",
        "es": (
            "Incluir la modalidad «{pattern}» en los protocolos de identificación y en las preguntas de "
            "tamizaje."
        ),
    },
    "dominant_pattern.because": {
        "en": "That pattern covers {share} of the people assisted.",
        "es": "Esa modalidad agrupa al {share} de las personas asistidas.",
    },
    "chokepoints.action": {
        "en": "Train frontline staff in {places} to identify cases, mitigate risks and refer safely.",
        "es": (
            "Capacitar a los equipos de primera línea en {places} para identificar casos, mitigar riesgos "
            "y remitir de forma segura."
        ),
    },
    "chokepoints.because": {
        "en": "Most journeys pass through {places}.",
        "es": "La mayoría de los recorridos pasan por {places}.",
    },
    "cases_rose.action": {
        "en": "Reinforce case identification and registration capacity along the corridor.",
        "es": "Reforzar la capacidad de identificación y registro de casos a lo largo del corredor.",
    },
    "cases_rose.because": {
        "en": "People assisted rose by {change} against {period}.",
        "es": "Las personas asistidas aumentaron un {change} frente a {period}.",
    },
    "cross_border": {
        "en": (
            "Agree with the protection authorities and partners in {country} who responds to what is "
            "reported in {places}."
        ),
        "es": (
            "Acordar con las autoridades y los socios de protección de {country} quién responde a lo "
            "reportado en {places}."
        ),
    },
})
"""The suggested actions' :meth:`str.format` templates: ``<rule code>.action`` and ``<rule code>.because``
for each action rule, ``cross_border`` for places outside the sub-sector's country."""

BRIEF_MAP = Messages("brief_map", {
    "higher": {
        "en": "incident rate above the corridor's",
        "es": "tasa de incidentes superior a la del corredor",
    },
    "similar": {"en": "similar to the corridor's", "es": "similar a la del corredor"},
    "lower": {"en": "below the corridor's", "es": "inferior a la del corredor"},
    "unknown": {"en": "rate not published", "es": "tasa no publicada"},
    "chokepoint": {"en": "chokepoint", "es": "punto de paso obligado"},
    "official_crossing": {"en": "official crossing", "es": "paso oficial"},
    "irregular_crossing_area": {"en": "irregular crossing area", "es": "paso irregular (trocha)"},
    "people": {"en": "{n} people", "es": "{n} personas"},
})
"""The brief map's legend: a segment's incident rate against the corridor's, and the place markers."""

CORRIDOR_THROUGH = Messages("corridor_through", {
    "andean": {"en": "the Andean corridor", "es": "por el corredor andino"},
    "caribbean_darien": {"en": "the Caribbean–Darién corridor", "es": "por el corredor Caribe–Darién"},
    "brazil": {"en": "the route to Brazil", "es": "por la ruta a Brasil"},
    "orinoquia": {"en": "the Orinoquía corridor", "es": "por el corredor de la Orinoquía"},
    "catatumbo": {"en": "the Catatumbo corridor", "es": "por el corredor del Catatumbo"},
    "pacific": {"en": "the Pacific route", "es": "por la ruta del Pacífico"},
    "origin": {"en": "in the places of origin", "es": "por los lugares de origen"},
    "all": {"en": "across all corridors", "es": "por todos los corredores"},
})
"""Corridor code → the corridor as people travel it ("travelled the Andean corridor", "transitaron por el
corredor andino")."""

RISK_SUBJECT = Messages("risk_subject", {
    "recruitment": {"en": "recruitment by armed or criminal groups", "es": "el reclutamiento"},
    "sexual_abuse": {"en": "sexual abuse", "es": "el abuso sexual"},
    "threats": {"en": "threats", "es": "las amenazas"},
    "extortion": {"en": "extortion", "es": "la extorsión"},
})
"""A risk the brief follows as the subject of a sentence (Spanish with its article)."""

SENTENCE = Messages("sentence", {
    "people": {"en": "{n}\u00a0people", "es": "{n}\u00a0personas"},
    "fewer_than": {"en": "fewer than {n}\u00a0people", "es": "menos de {n}\u00a0personas"},
    "and": {"en": "{items} and {last}", "es": "{items} y {last}"},
    "headline": {
        "en": "{people} were assisted {corridor_in} in {period}.",
        "es": "En {period} se brindó asistencia a {people} {corridor_in}.",
    },
    "affected_headline": {
        "en": (
            "{source} recorded {people} affected {corridor_in} in {period}: people its records count (for "
            "instance dead and missing), not people assisted."
        ),
        "es": (
            "{source} registró {people} afectadas {corridor_in} en {period}: las personas que cuentan sus "
            "registros (por ejemplo muertas y desaparecidas), no personas asistidas."
        ),
    },
    "affected_caption": {
        "en": "people affected, {period} (as the source published them)",
        "es": "personas afectadas, {period} (según la fuente)",
    },
    "target": {
        "en": "That is {percent} of the {target} the sub-sector set out to reach.",
        "es": "Equivale al {percent} de la meta del subsector, fijada en {target}.",
    },
    "programme_headline": {
        "en": (
            "{count}\u00a0people were assisted in {period}, as the programme reports them (its monitoring "
            "figure, given by the analyst and printed as given)."
        ),
        "es": (
            "En {period} se brindó asistencia a {count}\u00a0personas, según la cifra de monitoreo del "
            "programa (dada por el equipo de análisis y publicada tal cual)."
        ),
    },
    "breakdowns": {
        "en": "The figures below count the {people} who consented to reporting.",
        "es": "Las cifras que siguen cuentan a las {people} que consintieron el reporte.",
    },
    "corridor_share": {
        "en": (
            "{people} of the {total} assisted in {period} travelled {corridor} (people who consented to "
            "reporting)."
        ),
        "es": (
            "{people} de las {total} asistidas en {period} transitaron {corridor} (personas que consintieron "
            "el reporte)."
        ),
    },
    "change_withheld": {
        "en": "In {previous} {people} were assisted, too few to publish a comparison.",
        "es": "En {previous} se asistió a {people}: son muy pocas para publicar una comparación.",
    },
    "change_none": {
        "en": "No case was recorded in {previous}, so no change is given.",
        "es": "En {previous} no se registraron casos, por lo que no se calcula el cambio.",
    },
    "change_same": {
        "en": "That is about as many as in {previous} ({before}).",
        "es": "Son casi tantas como en {previous} ({before}).",
    },
    "change_more": {
        "en": "That is {percent} more than in {previous} ({before}).",
        "es": "Son un {percent} más que en {previous} ({before}).",
    },
    "change_fewer": {
        "en": "That is {percent} fewer than in {previous} ({before}).",
        "es": "Son un {percent} menos que en {previous} ({before}).",
    },
    "case_types": {
        "en": (
            "By case type, {trafficking} were in trafficking cases, {smuggling} in migrant smuggling cases "
            "and {both} in cases of both."
        ),
        "es": (
            "Por tipo de caso, la trata de personas suma {trafficking}; el tráfico de migrantes, "
            "{smuggling}; y los casos de ambos delitos, {both}."
        ),
    },
    "largest_group": {
        "en": (
            "The largest of the groups the sub-sector follows is {group}: {people}, {percent} of the people "
            "counted (who consented to reporting)."
        ),
        "es": (
            "Entre los grupos que sigue el subsector, el más numeroso es el de {group}: {people}, el "
            "{percent} de las personas contadas (que consintieron el reporte)."
        ),
    },
    "double_affectation": {
        "en": "{people} ({percent}) are also victims of the armed conflict (double affectation).",
        "es": "{people} ({percent}) son además víctimas del conflicto armado (doble afectación).",
    },
    "withheld_groups": {
        "en": "Figures for {groups} are under {k} people and are not shown.",
        "es": "Las cifras de {groups} no llegan a {k} personas y no se muestran.",
    },
    "no_cases": {
        "en": "The case table was not given, so profiles, groups and assistance are not described.",
        "es": "No se entregó la tabla de casos: no se describen perfiles, grupos ni asistencia.",
    },
    "top_pattern": {
        "en": (
            "The most frequent modus operandi is “{pattern}”, found among {people} ({percent} of the people "
            "assisted)."
        ),
        "es": (
            "La modalidad más frecuente es «{pattern}», que reúne a {people} (el {percent} de las personas "
            "asistidas)."
        ),
    },
    "top_stable_pattern": {
        "en": (
            "The most frequent stable modus operandi is “{pattern}”, found among {people} ({percent} of the "
            "people assisted)."
        ),
        "es": (
            "La modalidad estable más frecuente es «{pattern}», que reúne a {people} (el {percent} de las "
            "personas asistidas)."
        ),
    },
    "no_patterns": {
        "en": "No modus-operandi pattern was estimated for this brief.",
        "es": "Para este informe no se estimaron modalidades de operación.",
    },
    "patterns_withheld": {
        "en": "Every pattern on this corridor concerns fewer than {k} people; none is shown.",
        "es": "Cada modalidad de este corredor reúne a menos de {k} personas; no se muestra ninguna.",
    },
    "no_pattern_findings": {
        "en": (
            "No modus-operandi pattern on this corridor is a finding: each is unstable or has no trait "
            "that most of its people share, and is shown as mixed."
        ),
        "es": (
            "Ninguna modalidad de este corredor es un hallazgo: cada una es inestable o no tiene un rasgo "
            "que comparta la mayoría de sus personas, y se muestra como mixta."
        ),
    },
    "riskiest": {
        "en": (
            "Allowing for how many people travelled each segment, the riskiest is {segment}: {rate} reported "
            "incidents for every 100 people who travelled it ({people})."
        ),
        "es": (
            "Teniendo en cuenta cuántas personas recorrieron cada tramo, el de mayor riesgo es {segment}: "
            "{rate} incidentes reportados por cada 100 personas que lo recorrieron ({people})."
        ),
    },
    "risk_place": {
        "en": "{risks} is reported most often around {place}",
        "es": "{risks} se reporta sobre todo en {place}",
    },
    "risks_place": {
        "en": "{risks} are reported most often around {place}",
        "es": "{risks} se reportan sobre todo en {place}",
    },
    "chokepoints": {
        "en": "Most journeys converge on {places}.",
        "es": "La mayoría de los recorridos confluyen en {places}.",
    },
    "top_places_counted": {
        "en": "The places with most people counted are {places}.",
        "es": "Los lugares con más personas contadas son {places}.",
    },
    "top_places_affected": {
        "en": "The places with most people affected are {places}.",
        "es": "Los lugares con más personas afectadas son {places}.",
    },
    "no_flows": {
        "en": (
            "No journeys: flows need at least two steps per person, so this brief shows places, not "
            "segments or routes."
        ),
        "es": (
            "Sin recorridos: los flujos requieren al menos dos pasos por persona, por lo que este "
            "informe muestra lugares, no tramos ni rutas."
        ),
    },
    "emerging_segment": {
        "en": "{segment} (from {before} to {after})",
        "es": "{segment} (de {before} a {after})",
    },
    "emerging": {
        "en": "Segments growing against {previous}: {segments}.",
        "es": "Tramos que crecen frente a {previous}: {segments}.",
    },
    "assisted": {
        "en": "{people}{share} received at least one form of assistance, most often {top}.",
        "es": "{people}{share} recibieron al menos una forma de asistencia; la más frecuente fue {top}.",
    },
    "referred": {
        "en": "{people} were referred to other institutions, most often to {top}",
        "es": "{people} fueron remitidas a otras instituciones (la más frecuente: {top})",
    },
    "referrals_completed": {
        "en": "; {percent} of those referrals were completed",
        "es": "; el {percent} de esas remisiones se completó",
    },
    "gaps": {
        "en": "Incidents are reported in {places} with no service of some type within {km} km.",
        "es": "En {places} se reportan incidentes y falta algún tipo de servicio a menos de {km} km.",
    },
    "no_services": {
        "en": "Service points were not given, so service gaps are not assessed.",
        "es": "No se entregaron los puntos de servicio: no se evalúan brechas.",
    },
    "too_few": {
        "en": (
            "That is too few to publish any figure without risking that someone is recognised, so this brief "
            "gives no numbers, map or profiles for this corridor and period."
        ),
        "es": (
            "Son muy pocas para publicar cifras sin riesgo de que alguien sea reconocido: este informe no "
            "presenta números, mapa ni perfiles para este corredor y periodo."
        ),
    },
    "note_reported": {
        "en": (
            "These figures are reported cases, not prevalence: they count the people assisted by the "
            "sub-sector's members, not everyone affected on the corridor."
        ),
        "es": (
            "Estas cifras son casos reportados, no prevalencia: cuentan a las personas asistidas por las "
            "organizaciones del subsector, no a todas las personas afectadas en el corredor."
        ),
    },
    "note_withheld_one": {
        "en": (
            "Counts of fewer than {k} people are withheld and published counts are rounded; one figure was "
            "withheld for that reason. People who did not consent to reporting are not counted."
        ),
        "es": (
            "Los conteos de menos de {k} personas se omiten y los publicados se redondean; por esa razón se "
            "omitió una cifra. No se cuentan las personas que no dieron su consentimiento para el reporte."
        ),
    },
    "note_withheld": {
        "en": (
            "Counts of fewer than {k} people are withheld and published counts are rounded; {n} figures "
            "were withheld for that reason. People who did not consent to reporting are not counted."
        ),
        "es": (
            "Los conteos de menos de {k} personas se omiten y los publicados se redondean; por esa razón se "
            "omitieron {n} cifras. No se cuentan las personas que no dieron su consentimiento para el "
            "reporte."
        ),
    },
    "note_corridor": {
        "en": (
            "A person belongs to the corridor when most of the places of their journey lie on it; the period "
            "is {period}, by month of registration."
        ),
        "es": (
            "Una persona pertenece al corredor cuando la mayoría de los lugares de su recorrido están en él; "
            "el periodo es {period}, por mes de registro."
        ),
    },
    "note_rates": {
        "en": (
            "Incident rates are reported incidents per 100 people who travelled a segment; map line "
            "width shows people, dash pattern shows risk."
        ),
        "es": (
            "Las tasas de incidentes son incidentes reportados por cada 100 personas que recorrieron "
            "un tramo; en el mapa, el grosor de la línea indica personas y el trazo, el riesgo."
        ),
    },
    "note_source": {"en": "Source: {source}.", "es": "Fuente: {source}."},
    "note_prepared": {"en": "Prepared on {prepared}.", "es": "Elaborado el {prepared}."},
    "map_caption": {
        "en": (
            "Segments with a published count of people. Solid: incident rate above the corridor's; "
            "dashed: similar; dotted: below. Circles: chokepoints; squares: official crossings; "
            "crosses: irregular crossing areas."
        ),
        "es": (
            "Tramos con un número publicable de personas. Línea continua: tasa de incidentes superior a "
            "la del corredor; discontinua: similar; punteada: inferior. Círculos: puntos de paso "
            "obligado; cuadrados: pasos oficiales; aspas: pasos irregulares (trochas)."
        ),
    },
    "caption_people": {"en": "people assisted, {period}", "es": "personas asistidas, {period}"},
    "caption_programme": {
        "en": "people assisted, {period} (programme figure)",
        "es": "personas asistidas, {period} (cifra del programa)",
    },
    "caption_target": {"en": "of the target of {target}", "es": "de la meta de {target}"},
    "caption_change": {"en": "against {previous}", "es": "frente a {previous}"},
    "caption_trafficking": {"en": "people in trafficking cases", "es": "personas en casos de trata"},
    "caption_smuggling": {
        "en": "people in migrant smuggling cases",
        "es": "personas en casos de tráfico de migrantes",
    },
    "withheld_bar": {"en": "{people}, not shown", "es": "{people}, no se muestra"},
})
"""A brief's sentences, one key per sentence shape, as :meth:`str.format` templates filled by
``routes.briefs``' wording (where the languages' grammar differs, as in singular and plural, each form
has its own key)."""

MESSAGES: tuple[Messages, ...] = (
    MAP, BRIEF, CORRIDOR, CORRIDOR_IN, LINE_OF_WORK, ACTOR, PRIORITY, TIMEFRAME, ACTION, BRIEF_MAP,
    CORRIDOR_THROUGH, RISK_SUBJECT, SENTENCE,
)
"""Every message table (``tests/test_i18n.py`` checks each)."""
