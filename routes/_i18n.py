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

__all__ = ["LANGUAGES", "MAP", "MESSAGES", "Lang", "Messages", "month_name", "number", "percent"]

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

MESSAGES: tuple[Messages, ...] = (MAP, BRIEF)
"""Every message table (``tests/test_i18n.py`` checks each)."""
