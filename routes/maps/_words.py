"""The map's words in English and Spanish, and numbers and labels written for a page."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from routes.errors import MapError
from routes.maps._style import _LABEL_CHARS

LANGUAGES = ("en", "es")

_TEXT: dict[str, tuple[str, str]] = {
    "legend": ("Legend", "Leyenda"),
    "flows": ("Flows between places", "Flujos entre lugares"),
    "places": ("Places", "Lugares"),
    "crossings": ("Border crossings", "Pasos fronterizos"),
    "outlines": ("Country outlines", "Contornos de país"),
    "admin1": ("First-level admin boundaries", "Límites de primer nivel administrativo"),
    "risk": ("Risk", "Riesgo"),
    "risks": ("Risks reported (people with the risk)", "Riesgos reportados (personas con el riesgo)"),
    "pattern": ("Pattern", "Patrón"),
    "patterns": ("Modus-operandi patterns (people of the pattern)",
                 "Patrones de modus operandi (personas del patrón)"),
    "hexagons": ("Incident hotspots (H3 hexagons)", "Puntos calientes de incidentes (hexágonos H3)"),
    "hotspot_areas": ("Incident hotspot areas", "Áreas de puntos calientes de incidentes"),
    "services": ("Services", "Servicios"),
    "gaps": ("High-risk places without a service within {km} km",
             "Lugares de alto riesgo sin servicio a menos de {km} km"),
    "gap": ("no service within reach", "sin servicio al alcance"),
    "areas": ("People per area", "Personas por área"),
    "periods": ("Flows by period", "Flujos por periodo"),
    "all_periods": ("All periods (no period layer)", "Todos los periodos (sin capa de periodo)"),
    "period_help": ("The slider (top left) shows the flows of one {unit} at a time.",
                    "El control deslizante (arriba a la izquierda) muestra los flujos de un {unit}."),
    "month": ("month", "mes"),
    "quarter": ("quarter", "trimestre"),
    "year": ("year", "año"),
    "u_name": ("From", "Desde"),
    "v_name": ("To", "Hacia"),
    "n_people": ("People (distinct)", "Personas (distintas)"),
    "n_people_risk": ("People with this risk", "Personas con este riesgo"),
    "n_people_pattern": ("People of this pattern", "Personas de este patrón"),
    "n_people_incident": ("People with incidents", "Personas con incidentes"),
    "n_people_affected": ("People affected (as the source published them)",
                          "Personas afectadas (según la fuente)"),
    "rate": ("Incidents per 100 people", "Incidentes por 100 personas"),
    "rate_risk": ("With this risk, per 100 people passing", "Con este riesgo, por 100 personas que pasan"),
    "name": ("Place", "Lugar"),
    "segment": ("Segment or place", "Tramo o lugar"),
    "area": ("Area", "Área"),
    "nearest_place": ("Near", "Cerca de"),
    "unnamed_area": ("unnamed area (no place within {km:g} km)",
                     "zona sin nombre (ningún lugar a menos de {km:g} km)"),
    "country": ("Country", "País"),
    "kind": ("Kind", "Tipo"),
    "cluster": ("Pattern", "Patrón"),
    "label": ("Description", "Descripción"),
    "dominant_risks": ("Dominant risks", "Riesgos dominantes"),
    "h3": ("H3 cell", "Celda H3"),
    "hotspot": ("Gi* class", "Clase Gi*"),
    "hotspot_id": ("Hotspot", "Punto caliente"),
    "radius_m": ("Radius (m)", "Radio (m)"),
    "place": ("Place", "Lugar"),
    "service_type": ("Service", "Servicio"),
    "organisation_type": ("Organisations", "Organizaciones"),
    "chokepoint": ("Chokepoint", "Punto de paso obligado"),
    "not_published": ("not published (too few people, or withheld to protect another count)",
                      "no publicado (muy pocas personas, o reservado para proteger otra cifra)"),
    "city": ("city", "ciudad"),
    "transit_hub": ("transit hub", "centro de tránsito"),
    "service_point": ("service point", "punto de servicio"),
    "official_crossing": ("official crossing", "paso oficial"),
    "irregular_crossing_area": ("irregular crossing area", "zona de paso irregular"),
    "populated_place": ("town (GeoNames)", "población (GeoNames)"),
    "hot_99": ("hot spot, false discovery rate 1 %", "punto caliente, tasa de falsos hallazgos 1 %"),
    "hot_95": ("hot spot, false discovery rate 5 %", "punto caliente, tasa de falsos hallazgos 5 %"),
    "hot_90": ("hot spot, false discovery rate 10 %", "punto caliente, tasa de falsos hallazgos 10 %"),
    "gi_method": ("Getis-Ord Gi* of published counts, 999 permutations, Benjamini-Hochberg correction over "
                  "every hexagon; few reports is not safety, so no cold spots are shown",
                  "Gi* de Getis-Ord sobre los conteos publicados, 999 permutaciones, corrección de "
                  "Benjamini-Hochberg sobre todos los hexágonos; pocos reportes no es seguridad: no se "
                  "muestran puntos fríos"),
    "not_significant": ("not significant", "no significativo"),
    "hotspot_circle": ("area within which incidents of many people concentrate",
                       "área donde se concentran incidentes de muchas personas"),
    "geonames_credit": ("Towns beyond the route gazetteer: GeoNames (CC BY 4.0).",
                        "Poblaciones fuera del nomenclátor de rutas: GeoNames (CC BY 4.0)."),
    "offline_note": (
        "Offline: no map tiles; country and first-level admin boundaries from Natural Earth",
        "Sin conexión: sin teselas; límites de país y de primer nivel administrativo de Natural Earth",
    ),
    "no_journeys": (
        "No journeys: flows need at least two steps per person; these data hold places and incidents only.",
        "Sin recorridos: los flujos necesitan al menos dos pasos por persona; estos datos solo tienen "
        "lugares e incidentes.",
    ),
    "scaling": (
        "Line width and circle area grow with the number of people.",
        "El grosor de las líneas y el área de los círculos crecen con el número de personas.",
    ),
    "suppressed": (
        "Not shown (fewer people than the publication threshold): {items}.",
        "No se muestran (menos personas que el umbral de publicación): {items}.",
    ),
    "hidden_segments": ("segments", "tramos"),
    "hidden_places": ("places", "lugares"),
    "hidden_risks": ("risk cells", "celdas de riesgo"),
    "hidden_patterns": ("pattern cells", "celdas de patrón"),
    "hidden_hexagons": ("hexagons", "hexágonos"),
    "hidden_hotspots": ("hotspot areas", "áreas de punto caliente"),
    "hidden_areas": ("areas", "áreas"),
    "hidden_periods": ("period cells", "celdas de periodo"),
}


def _text(key: str, lang: str) -> str:
    return _TEXT[key][LANGUAGES.index(lang)]


def _check_language(lang: str) -> None:
    if lang not in LANGUAGES:
        raise MapError(f"lang={lang!r}: expected one of {', '.join(LANGUAGES)}")


def _format_numbers(values: pd.Series, lang: str, *, decimals: int = 0) -> pd.Series:
    """Numbers as text in the language's convention (es: ``1.234,5``), ``not published`` for NA."""
    from routes._web import escape_text

    numeric = pd.to_numeric(values, errors="coerce").astype("Float64")
    text = numeric.map(lambda x: f"{x:,.{decimals}f}", na_action="ignore").astype(object)
    if lang == "es":
        text = text.str.translate(str.maketrans(",.", ".,"))
    return text.fillna(_text("not_published", lang)).map(escape_text).reset_index(drop=True)


def _escaped(values: pd.Series | np.ndarray | Sequence[object]) -> pd.Series:
    from routes._web import escape_text

    return pd.Series(np.asarray(values, dtype=object)).map(escape_text)


def _vocabulary_labels(codes: pd.Series, vocabulary: str, lang: str) -> pd.Series:
    """Labels of ``;``-joined vocabulary codes, joined with ``, ``; unknown codes stay as given."""
    from routes.schema import MULTI_SEPARATOR, labels

    known = labels(vocabulary, lang)
    parts = codes.astype(object).fillna("").astype(str).str.split(MULTI_SEPARATOR)
    return parts.map(lambda items: ", ".join(known.get(code, code) for code in items if code))


def _short(text: str, limit: int = _LABEL_CHARS) -> str:
    """``text`` cut to at most ``limit`` characters at a word boundary, with an ellipsis (the tooltip
    shows it whole); a first word longer than ``limit`` is the only thing ever cut inside a word."""
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    words = head.rsplit(" ", 1)[0] if " " in head and not text[limit - 1].isspace() else head
    return words.rstrip(" ,;·→–-") + "…"


def _number(value: float, lang: str) -> str:
    text = f"{value:,.0f}"
    return text.translate(str.maketrans(",", ".")) if lang == "es" else text
