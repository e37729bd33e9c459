"""A seeded, entirely synthetic case data set shaped like the sub-sector's real ones.

Nothing here describes a real person. The generator plants what the analysis modules must find, so
their tests and demos have a known answer:

* journeys along the real corridors of the gazetteer (Andean, Caribbean–Darién, Brazil, Orinoquia,
  Catatumbo, Pacific), with bottlenecks at the Cúcuta crossings and at Necoclí, incidents concentrated
  on the trochas, in the Darién and in the conflict areas, and Darién flows that grow strongly in the
  second year (an emerging route);
* five modus-operandi patterns (``PATTERNS``; the truth table says which one each case follows), each
  with defining traits present in most but not all of its cases and shared with other patterns, and a
  share of values drawn at random so that recovering them takes a real method;
* the sub-sector's groups (women heads of household, informal sector, LGBTIQ+, young men in informal
  work, children, double affectation) in numbers publishable at k = 11;
* service points with deliberate gaps (no shelter in the Darién or Catatumbo, no legal service in
  Necoclí);
* obviously fake direct identifiers (``FAKE-NAME-0001 Ejemplo``) so that privacy tests have something to
  catch.

Everything is drawn from one ``numpy.random.Generator(PCG64(seed))`` in a fixed order, and the CSV
writer fixes number formats and line endings, so one seed always gives byte-identical files.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from pyproj import Geod

from routes.errors import ParameterError, PlaceNotFoundError
from routes.places import Gazetteer, load_gazetteer
from routes.schema import (
    CASE_FIELDS,
    CHILD_AGE_GROUPS,
    CORRIDOR_NATIONALITIES,
    MULTI_SEPARATOR,
    UNKNOWN,
    VOCABULARIES,
)

SAMPLE_PEOPLE = 1969
"""People assisted by the sub-sector in the period the sample stands for."""
SAMPLE_TARGET = 15264
"""The sub-sector's target for the same period: 1,969 people assisted are 12.9 % of it."""

_FLOAT_FORMAT = "%.5f"  # about 1 m: finer than any jitter, coarse enough to stay byte-stable
_INCIDENT_COORD_SHARE = 0.30
_JITTER_M = (2_000.0, 8_000.0)


@dataclass(frozen=True)
class Slot:
    """One step of a route template: the places it may be (with weights) and how often it is kept."""

    places: tuple[str, ...]
    weights: tuple[float, ...] | None = None
    keep: float = 1.0


@dataclass(frozen=True)
class RouteTemplate:
    """An ordered sequence of slots on one corridor.

    ``growth`` is the ratio of the registration rate at the end of the window to the rate at its start
    (exponential in between): 1 is flat, 16 puts four cases in the second half for one in the first.
    """

    corridor: str
    slots: tuple[Slot, ...]
    growth: float = 1.0


@dataclass(frozen=True)
class Pattern:
    """A planted modus operandi: trait distributions, route templates and route risks.

    ``traits`` maps a category or yes/no field to code weights; ``multi`` maps a multi-valued field to
    the probability of each code; ``risks`` gives the probability of each risk code on an incident;
    ``incident_rate`` scales the hazard of the places on the way. ``defining`` names the
    ``(field, code)`` traits the pattern is known by: each is held by most of its cases, is several
    times rarer elsewhere, and none is held by all of them.
    """

    name: str
    share: float
    defining: tuple[tuple[str, str], ...]
    traits: Mapping[str, Mapping[str, float]]
    multi: Mapping[str, Mapping[str, float]]
    routes: tuple[tuple[RouteTemplate, float], ...]
    risks: Mapping[str, float]
    incident_rate: float = 1.0


def _slot(*places: str, weights: tuple[float, ...] | None = None, keep: float = 1.0) -> Slot:
    return Slot(tuple(places), weights, keep)


# Place names as the gazetteer spells them (tests assert each resolves).
_VEN_WEST = _slot("Caracas", "Valencia", "Barquisimeto", "Maracay", "San Cristóbal", "Mérida",
                  weights=(0.25, 0.2, 0.15, 0.15, 0.15, 0.1))
_VEN_EAST = _slot("Ciudad Guayana", "Ciudad Bolívar", "Maturín", "Upata", weights=(0.45, 0.25, 0.2, 0.1))
_VEN_ZULIA = _slot("Maracaibo", "Cabimas", "Machiques", weights=(0.7, 0.2, 0.1))
_TACHIRA = _slot("San Antonio del Táchira", "Ureña", weights=(0.75, 0.25), keep=0.35)
_CUCUTA_CROSSING = _slot("Puente Internacional Simón Bolívar", "Trochas de Villa del Rosario",
                         "Puente Internacional Francisco de Paula Santander",
                         "Puente Internacional Tienditas", weights=(0.38, 0.37, 0.15, 0.10))
_CUCUTA_TROCHAS = _slot("Trochas de Villa del Rosario", "Trochas de Puerto Santander",
                        "Puente Internacional Simón Bolívar", weights=(0.65, 0.15, 0.2))
_CUCUTA = _slot("Cúcuta", keep=0.85)
_RUMICHACA = _slot("Puente Internacional de Rumichaca")
_HUAQUILLAS = _slot("Puente Internacional Huaquillas–Aguas Verdes", "Huaquillas", weights=(0.6, 0.4))
_GUAJIRA_CROSSING = _slot("Paraguachón", "Trochas de Paraguachón", weights=(0.45, 0.55))
_URABA = _slot("Necoclí", "Turbo", weights=(0.78, 0.22))
_DARIEN_COAST = _slot("Capurganá", "Acandí", "Sapzurro", weights=(0.55, 0.35, 0.1))
_DARIEN_GAP = _slot("Tapón del Darién", keep=0.55)
_PANAMA_RECEPTION = _slot("Lajas Blancas", "Metetí", "Ciudad de Panamá", weights=(0.55, 0.2, 0.25), keep=0.8)
_BRAZIL_BORDER = _slot("Santa Elena de Uairén", "Fronteira Pacaraima–Santa Elena (Marco BV-8)",
                       weights=(0.5, 0.5))

_ANDEAN_SOUTH = RouteTemplate("andean", (
    _VEN_WEST, _TACHIRA, _CUCUTA_CROSSING, _CUCUTA, _slot("Bogotá", "Cali", weights=(0.6, 0.4), keep=0.5),
    _RUMICHACA, _slot("Quito", "Lima", "Santiago", "Tulcán", weights=(0.4, 0.35, 0.15, 0.1)),
))
_ANDEAN_PERU_CHILE = RouteTemplate("andean", (
    _VEN_WEST, _CUCUTA_CROSSING, _CUCUTA, _RUMICHACA, _HUAQUILLAS,
    _slot("Tumbes", "Piura", "Trujillo", weights=(0.5, 0.25, 0.25), keep=0.6),
    _slot("Lima", "Tacna", "Arica", "Santiago", "Iquique", weights=(0.35, 0.1, 0.1, 0.35, 0.1)),
))


_SANTANDER = _slot("Pamplona", "Bucaramanga", weights=(0.5, 0.5), keep=0.45)


def _andean_to(*destinations: str, weights: tuple[float, ...] | None = None,
               via: Slot = _SANTANDER) -> RouteTemplate:
    """Venezuela → the Cúcuta crossings → (``via``) → one of ``destinations``."""
    return RouteTemplate("andean", (_VEN_WEST, _TACHIRA, _CUCUTA_CROSSING, _CUCUTA, via,
                                    _slot(*destinations, weights=weights)))


def _darien(*head: Slot) -> RouteTemplate:
    return RouteTemplate("caribbean_darien", (*head, _URABA, _DARIEN_COAST, _DARIEN_GAP,
                                              _slot("Bajo Chiquito"), _PANAMA_RECEPTION), growth=16.0)


PATTERNS: dict[str, Pattern] = {
    "labour_mining_agri": Pattern(
        name="labour_mining_agri",
        share=0.25,
        defining=(("recruitment_method", "false_job_offer"), ("exploitation_type", "forced_labour"),
                  ("means_of_control", "debt_bondage"), ("means_of_control", "withholds_documents"),
                  ("means_of_control", "excessive_working_hours"), ("gender_identity", "man")),
        traits={
            "gender_identity": {"man": 0.84, "woman": 0.14, "trans_woman": 0.01, "non_binary": 0.01},
            "age_group": {"9-17": 0.03, "18-29": 0.55, "30-38": 0.30, "39-47": 0.09, "48+": 0.03},
            "nationality": {"VEN": 0.86, "COL": 0.09, "ECU": 0.03, "PER": 0.02},
            "lgbtiq": {"yes": 0.03, "no": 0.97},
            "head_of_household": {"yes": 0.4, "no": 0.6},
            "informal_sector": {"yes": 0.82, "no": 0.18},
            "disability": {"yes": 0.04, "no": 0.96},
            "ethnicity": {"none": 0.76, "afrodescendant": 0.14, "indigenous": 0.08, "rrom": 0.02},
            "migration_status": {"irregular": 0.5, "in_transit": 0.2, "regular": 0.2, "pendular": 0.1},
            "double_affectation": {"yes": 0.1, "no": 0.9},
            "recruitment_method": {"false_job_offer": 0.78, "online": 0.1, "debt": 0.07, "other": 0.05},
            "recruiter_relation": {"employer": 0.45, "agency": 0.3, "friend": 0.15,
                                   "criminal_organisation": 0.1},
            "labour_sector": {"mining": 0.45, "agriculture": 0.4, "construction": 0.1, "manufacturing": 0.05},
            "armed_actor_involved": {"yes": 0.12, "no": 0.88},
            "case_type": {"trafficking": 0.85, "both": 0.15},
        },
        multi={
            "means_of_control": {"debt_bondage": 0.75, "withholds_documents": 0.7,
                                 "excessive_working_hours": 0.75, "takes_earnings": 0.4, "threats": 0.3,
                                 "restricts_financial_access": 0.2},
            "exploitation_type": {"forced_labour": 0.93, "forced_criminality": 0.04},
        },
        routes=(
            (_ANDEAN_SOUTH, 0.2),
            (_ANDEAN_PERU_CHILE, 0.1),
            (_andean_to("Arequipa", "Juliaca", "Puno", "Ica", "Nueva Loja",
                        weights=(0.25, 0.2, 0.15, 0.25, 0.15),
                        via=_slot("Bogotá", "Cali", "Ipiales", weights=(0.3, 0.3, 0.4), keep=0.6)), 0.15),
            (_andean_to("Caucasia", "Montelíbano", "Barbacoas", "Puerto Gaitán", "Ocaña", "Barrancabermeja",
                        weights=(0.2, 0.15, 0.15, 0.2, 0.1, 0.2)), 0.35),
            (RouteTemplate("brazil", (_VEN_EAST, _slot("Tumeremo", keep=0.6), _BRAZIL_BORDER,
                                      _slot("Pacaraima", keep=0.6), _slot("Boa Vista", "Mucajaí", "Caracaraí",
                                                                          weights=(0.6, 0.2, 0.2)))), 0.2),
        ),
        risks={"extortion": 0.45, "threats": 0.4, "robbery": 0.35, "physical_violence": 0.15},
        incident_rate=0.8,
    ),
    "sexual_online_partner": Pattern(
        name="sexual_online_partner",
        share=0.25,
        defining=(("exploitation_type", "sexual"), ("labour_sector", "sex_industry"),
                  ("means_of_control", "restricts_movement"), ("means_of_control", "debt_bondage"),
                  ("gender_identity", "woman"), ("age_group", "18-29")),
        traits={
            "gender_identity": {"woman": 0.78, "trans_woman": 0.12, "man": 0.06, "non_binary": 0.04},
            "age_group": {"9-17": 0.12, "18-29": 0.72, "30-38": 0.14, "39-47": 0.02},
            "nationality": {"VEN": 0.88, "COL": 0.1, "ECU": 0.02},
            "lgbtiq": {"yes": 0.08, "no": 0.92},
            "head_of_household": {"yes": 0.32, "no": 0.68},
            "informal_sector": {"yes": 0.45, "no": 0.55},
            "disability": {"yes": 0.03, "no": 0.97},
            "ethnicity": {"none": 0.8, "afrodescendant": 0.12, "indigenous": 0.06, "rrom": 0.02},
            "migration_status": {"irregular": 0.45, "regular": 0.3, "in_transit": 0.15, "asylum_seeker": 0.1},
            "double_affectation": {"yes": 0.08, "no": 0.92},
            "recruitment_method": {"online": 0.48, "intimate_partner": 0.34, "false_job_offer": 0.12,
                                   "other": 0.06},
            "recruiter_relation": {"intimate_partner": 0.33, "criminal_organisation": 0.3, "stranger": 0.22,
                                   "friend": 0.15},
            "labour_sector": {"sex_industry": 0.58, "hospitality": 0.34, "other": 0.08},
            "armed_actor_involved": {"yes": 0.08, "no": 0.92},
            "case_type": {"trafficking": 0.9, "both": 0.1},
        },
        multi={
            "means_of_control": {"threats": 0.78, "debt_bondage": 0.6, "psychoactive_substances": 0.5,
                                 "restricts_movement": 0.6, "sexual_abuse": 0.4, "takes_earnings": 0.4,
                                 "psychological_abuse": 0.35},
            "exploitation_type": {"sexual": 0.93, "forced_criminality": 0.05},
        },
        routes=(
            (RouteTemplate("andean", (_VEN_WEST, _TACHIRA, _CUCUTA_CROSSING, _slot("Cúcuta"))), 0.2),
            (_andean_to("Bogotá", "Medellín", "Cartagena de Indias", weights=(0.6, 0.25, 0.15)), 0.25),
            (_ANDEAN_SOUTH, 0.25),
            (RouteTemplate("caribbean_darien", (
                _VEN_ZULIA, _GUAJIRA_CROSSING,
                _slot("Maicao", "Riohacha", "Barranquilla", "Cartagena de Indias",
                      weights=(0.45, 0.15, 0.2, 0.2)),
            )), 0.2),
            (_ANDEAN_PERU_CHILE, 0.1),
        ),
        risks={"sexual_abuse": 0.55, "threats": 0.5, "robbery": 0.2, "kidnapping": 0.1},
        incident_rate=0.9,
    ),
    "armed_recruitment": Pattern(
        name="armed_recruitment",
        share=0.12,
        defining=(("recruitment_method", "forced_recruitment"), ("recruiter_relation", "armed_group"),
                  ("exploitation_type", "forced_recruitment"), ("means_of_control", "armed_coercion"),
                  ("armed_actor_involved", "yes"), ("double_affectation", "yes"), ("age_group", "9-17")),
        traits={
            "gender_identity": {"man": 0.72, "woman": 0.26, "trans_man": 0.01, "non_binary": 0.01},
            "age_group": {"9-17": 0.6, "18-29": 0.35, "30-38": 0.05},
            "nationality": {"VEN": 0.55, "COL": 0.45},
            "lgbtiq": {"yes": 0.03, "no": 0.97},
            "head_of_household": {"yes": 0.05, "no": 0.95},
            "informal_sector": {"yes": 0.5, "no": 0.5},
            "disability": {"yes": 0.06, "no": 0.94},
            "ethnicity": {"none": 0.6, "afrodescendant": 0.25, "indigenous": 0.15},
            "migration_status": {"irregular": 0.4, "pendular": 0.2, "host_community": 0.2, "returnee": 0.15,
                                 "regular": 0.05},
            "double_affectation": {"yes": 0.82, "no": 0.18},
            "recruitment_method": {"forced_recruitment": 0.78, "false_job_offer": 0.1, "abduction": 0.07,
                                   "other": 0.05},
            "recruiter_relation": {"armed_group": 0.8, "criminal_organisation": 0.15, "friend": 0.05},
            "labour_sector": {"illicit_economies": 0.65, "agriculture": 0.2, "none": 0.15},
            "armed_actor_involved": {"yes": 0.9, "no": 0.1},
            "case_type": {"trafficking": 0.95, "both": 0.05},
        },
        multi={
            "means_of_control": {"threats": 0.85, "armed_coercion": 0.75, "physical_abuse": 0.4,
                                 "restricts_movement": 0.5, "uses_children": 0.3},
            "exploitation_type": {"forced_recruitment": 0.85, "forced_criminality": 0.5},
        },
        routes=(
            (RouteTemplate("catatumbo", (
                _slot("San Cristóbal", "La Fría", "Cúcuta", weights=(0.4, 0.2, 0.4)),
                _slot("Trochas de Puerto Santander", "Puente Internacional Unión", weights=(0.75, 0.25),
                      keep=0.7),
                _slot("Tibú", "Sardinata", weights=(0.8, 0.2)), _slot("La Gabarra", keep=0.3),
                _slot("El Tarra", "Teorama", weights=(0.8, 0.2)))), 0.45),
            (RouteTemplate("orinoquia", (
                _slot("Guasdualito", "El Amparo", "Barinas", weights=(0.5, 0.3, 0.2)),
                _slot("Trochas del río Arauca", "Puente Internacional José Antonio Páez", weights=(0.7, 0.3)),
                _slot("Arauca", "Arauquita", weights=(0.7, 0.3), keep=0.7),
                _slot("Saravena", "Fortul", weights=(0.8, 0.2)), _slot("Tame", keep=0.5))), 0.35),
            (RouteTemplate("pacific", (
                _slot("Cali", "Ipiales", "Popayán", weights=(0.5, 0.3, 0.2)), _slot("Pasto"),
                _slot("Túquerres", "Barbacoas", weights=(0.5, 0.5), keep=0.6), _slot("Tumaco"))), 0.2),
        ),
        risks={"recruitment": 0.85, "threats": 0.6, "disappearance": 0.1, "physical_violence": 0.15},
        incident_rate=1.2,
    ),
    "smuggling_darien": Pattern(
        name="smuggling_darien",
        share=0.28,
        defining=(("case_type", "smuggling"), ("recruitment_method", "smuggling_offer"),
                  ("recruiter_relation", "smuggler"), ("exploitation_type", "none"),
                  ("labour_sector", "none")),
        traits={
            "gender_identity": {"man": 0.5, "woman": 0.46, "trans_woman": 0.02, "non_binary": 0.02},
            "age_group": {"0-8": 0.18, "9-17": 0.14, "18-29": 0.33, "30-38": 0.22, "39-47": 0.09,
                          "48+": 0.04},
            "nationality": {"VEN": 0.72, "HTI": 0.08, "ECU": 0.06, "COL": 0.05, "CUB": 0.03, "CHN": 0.02,
                            "AFG": 0.02, "IND": 0.02},
            "lgbtiq": {"yes": 0.03, "no": 0.97},
            "head_of_household": {"yes": 0.45, "no": 0.55},
            "informal_sector": {"yes": 0.55, "no": 0.45},
            "disability": {"yes": 0.05, "no": 0.95},
            "ethnicity": {"none": 0.8, "afrodescendant": 0.15, "indigenous": 0.05},
            "migration_status": {"in_transit": 0.75, "irregular": 0.2, "asylum_seeker": 0.05},
            "double_affectation": {"yes": 0.05, "no": 0.95},
            "recruitment_method": {"smuggling_offer": 0.82, "online": 0.1, "other": 0.08},
            "recruiter_relation": {"smuggler": 0.82, "stranger": 0.1, "criminal_organisation": 0.08},
            "labour_sector": {"none": 0.8, "other": 0.1, "street_vending": 0.1},
            "armed_actor_involved": {"yes": 0.3, "no": 0.7},
            "case_type": {"smuggling": 0.78, "both": 0.18, "trafficking": 0.04},
        },
        multi={
            "means_of_control": {"threats": 0.4, "false_promises": 0.35, "withholds_necessities": 0.2},
            "exploitation_type": {"none": 0.85, "sexual": 0.06, "forced_labour": 0.06},
        },
        routes=(
            (_darien(_VEN_ZULIA, _GUAJIRA_CROSSING), 0.3),
            (_darien(_VEN_WEST, _CUCUTA_CROSSING), 0.2),
            (_darien(_slot("Bogotá", "Medellín", "Cali", "Bucaramanga", weights=(0.4, 0.3, 0.2, 0.1)),
                     _slot("Montería", "Apartadó", "Cartagena de Indias", weights=(0.4, 0.3, 0.3),
                           keep=0.4)), 0.2),
            (RouteTemplate("andean", (_VEN_WEST, _CUCUTA_TROCHAS, _CUCUTA, _RUMICHACA, _HUAQUILLAS,
                                      _slot("Lima", "Tacna", weights=(0.6, 0.4)),
                                      _slot("Santiago", "Arica", "Iquique", weights=(0.5, 0.3, 0.2),
                                            keep=0.6)),
                           growth=0.7), 0.25),
            (RouteTemplate("brazil", (_VEN_EAST, _BRAZIL_BORDER, _slot("Pacaraima"),
                                      _slot("Boa Vista", "Manaus", weights=(0.7, 0.3)))), 0.05),
        ),
        risks={"extortion": 0.6, "robbery": 0.45, "sexual_abuse": 0.3, "abandonment": 0.3, "threats": 0.2,
               "disappearance": 0.05},
        incident_rate=1.3,
    ),
    "domestic_begging": Pattern(
        name="domestic_begging",
        share=0.10,
        defining=(("exploitation_type", "domestic_servitude"), ("recruitment_method", "family"),
                  ("recruiter_relation", "family"), ("means_of_control", "takes_earnings"),
                  ("means_of_control", "restricts_movement")),
        traits={
            "gender_identity": {"woman": 0.7, "man": 0.28, "trans_woman": 0.02},
            "age_group": {"0-8": 0.25, "9-17": 0.3, "18-29": 0.2, "30-38": 0.15, "39-47": 0.07, "48+": 0.03},
            "nationality": {"VEN": 0.8, "COL": 0.15, "ECU": 0.05},
            "lgbtiq": {"yes": 0.03, "no": 0.97},
            "head_of_household": {"yes": 0.4, "no": 0.6},
            "informal_sector": {"yes": 0.72, "no": 0.28},
            "disability": {"yes": 0.08, "no": 0.92},
            "ethnicity": {"none": 0.6, "indigenous": 0.3, "afrodescendant": 0.1},
            "migration_status": {"irregular": 0.55, "regular": 0.2, "in_transit": 0.15, "pendular": 0.1},
            "double_affectation": {"yes": 0.07, "no": 0.93},
            "recruitment_method": {"family": 0.7, "education_offer": 0.08, "false_job_offer": 0.12,
                                   "intimate_partner": 0.05, "other": 0.05},
            "recruiter_relation": {"family": 0.68, "friend": 0.22, "employer": 0.1},
            "labour_sector": {"domestic_work": 0.5, "street_vending": 0.42, "other": 0.08},
            "armed_actor_involved": {"yes": 0.03, "no": 0.97},
            "case_type": {"trafficking": 0.95, "both": 0.05},
        },
        multi={
            "means_of_control": {"takes_earnings": 0.7, "restricts_movement": 0.6,
                                 "psychological_abuse": 0.55,
                                 "uses_children": 0.35, "withholds_documents": 0.3},
            "exploitation_type": {"domestic_servitude": 0.55, "forced_begging": 0.5},
        },
        routes=(
            (_andean_to("Bogotá", "Cali", weights=(0.65, 0.35)), 0.45),
            (RouteTemplate("andean", (_VEN_WEST, _CUCUTA_CROSSING, _CUCUTA, _RUMICHACA,
                                      _slot("Quito", "Lima", weights=(0.5, 0.5)))), 0.35),
            (RouteTemplate("brazil", (_slot("Upata", "Ciudad Guayana", weights=(0.5, 0.5)), _BRAZIL_BORDER,
                                      _slot("Pacaraima", keep=0.7), _slot("Boa Vista", "Manaus",
                                                                          weights=(0.6, 0.4)))), 0.2),
        ),
        risks={"threats": 0.5, "robbery": 0.3, "physical_violence": 0.3, "sexual_abuse": 0.15},
        incident_rate=0.7,
    ),
}
"""The planted modus-operandi patterns, in the order their cases are drawn."""

# Chance that a route segment ending (or starting) at a place carries an incident, before the pattern's
# ``incident_rate``. Places not named here get ``_BASE_HAZARD``; irregular crossing areas ``_TROCHA_HAZARD``.
_BASE_HAZARD = 0.04
_TROCHA_HAZARD = 0.42
_PLACE_HAZARD: dict[str, float] = {
    "Tapón del Darién": 0.6, "Bajo Chiquito": 0.3, "Capurganá": 0.25, "Acandí": 0.25, "Sapzurro": 0.25,
    "Necoclí": 0.18, "Turbo": 0.15, "Tibú": 0.32, "El Tarra": 0.32, "La Gabarra": 0.32, "Teorama": 0.25,
    "Saravena": 0.28, "Tame": 0.2, "Arauquita": 0.2, "Tumaco": 0.3, "Barbacoas": 0.25,
    "Paraguachón": 0.12, "Cúcuta": 0.08,
}

# Service points: place → the service types found there. Gaps are deliberate (see module docstring).
_SERVICE_POINTS: dict[str, tuple[str, ...]] = {
    "Cúcuta": ("legal", "legal", "psychosocial", "psychosocial", "shelter", "shelter", "health"),
    "Villa del Rosario": ("psychosocial", "shelter", "health"),
    "Pamplona": ("shelter",),
    "Bucaramanga": ("legal", "psychosocial", "shelter"),
    "Bogotá": ("legal", "legal", "psychosocial", "shelter", "health"),
    "Cali": ("legal", "psychosocial", "shelter"),
    "Pasto": ("legal", "shelter"),
    "Ipiales": ("legal", "psychosocial", "shelter", "health"),
    "Tulcán": ("shelter",),
    "Quito": ("legal", "psychosocial", "shelter"),
    "Huaquillas": ("health",),
    "Lima": ("legal", "psychosocial", "shelter"),
    "Tacna": ("shelter",),
    "Santiago": ("legal", "psychosocial"),
    "Maicao": ("psychosocial", "shelter", "health"),
    "Riohacha": ("legal", "psychosocial"),
    "Barranquilla": ("legal", "psychosocial", "shelter"),
    "Necoclí": ("psychosocial", "health"),
    "Capurganá": ("health",),
    "Lajas Blancas": ("health",),
    "Ciudad de Panamá": ("legal", "shelter"),
    "Arauca": ("legal", "psychosocial", "health"),
    "Tibú": ("health",),
    "Tumaco": ("psychosocial",),
    "Boa Vista": ("legal", "shelter", "health"),
    "Pacaraima": ("shelter",),
}
_ORGANISATION_WEIGHTS: dict[str, dict[str, float]] = {
    "legal": {"government": 0.3, "un_agency": 0.2, "ngo": 0.3, "local_ngo": 0.2},
    "psychosocial": {"un_agency": 0.2, "ngo": 0.35, "local_ngo": 0.3, "church": 0.15},
    "shelter": {"government": 0.15, "ngo": 0.2, "local_ngo": 0.3, "church": 0.35},
    "health": {"government": 0.55, "un_agency": 0.15, "ngo": 0.3},
}

# Assistance and referrals: probability of each code for trafficking (incl. both) and smuggling cases.
_ASSISTANCE = {
    "trafficking": {"legal": 0.55, "psychosocial": 0.7, "shelter": 0.35, "health": 0.4, "cash": 0.3,
                    "food": 0.3, "documentation": 0.25, "livelihoods": 0.15, "return_support": 0.03},
    "smuggling": {"legal": 0.3, "psychosocial": 0.4, "shelter": 0.3, "health": 0.55, "cash": 0.2,
                  "food": 0.5, "documentation": 0.15},
}
_REFERRALS = {
    "trafficking": {"prosecutor": 0.45, "police": 0.2, "ombudsman": 0.15, "anti_trafficking_committee": 0.3,
                    "health_services": 0.2, "migration_authority": 0.15, "un_agency": 0.25, "ngo": 0.3},
    "smuggling": {"prosecutor": 0.05, "police": 0.05, "ombudsman": 0.1, "health_services": 0.3,
                  "migration_authority": 0.2, "un_agency": 0.35, "ngo": 0.35},
}
_REFERRAL_STATUS = {"completed": 0.45, "in_progress": 0.22, "pending": 0.13, "declined": 0.05,
                    "not_referred": 0.15}

# Realistic missingness: share of "unknown" in fields that define no pattern.
_MISSING: dict[str, float] = {
    "nationality": 0.02, "gender_identity": 0.05, "lgbtiq": 0.1, "head_of_household": 0.06,
    "informal_sector": 0.05, "disability": 0.15, "ethnicity": 0.12, "migration_status": 0.08,
    "double_affectation": 0.05, "referral_status": 0.05,
}
_CONSENT_NO = 0.05

@dataclass(frozen=True)
class SampleData:
    """The four synthetic tables, as written to ``data/sample/``.

    ``cases`` holds the case data standard's fields (codes, ISO dates, fake identifiers); ``events``
    one row a step; ``services`` the service points; ``truth`` each case's planted pattern and corridor.
    """

    cases: pd.DataFrame
    events: pd.DataFrame
    services: pd.DataFrame
    truth: pd.DataFrame


def generate_sample(*, seed: int = 2022, people: int = SAMPLE_PEOPLE, start: str = "2022-01-01",
                    end: str = "2023-12-31", noise: float = 0.10, mixing: float = 0.10,
                    gazetteer: Gazetteer | None = None) -> SampleData:
    """Draw a synthetic case data set with planted routes, bottlenecks, patterns and service gaps.

    Parameters
    ----------
    seed
        Seed of the ``PCG64`` generator; the same seed gives the same tables.
    people
        Number of cases (one a person).
    start, end
        Registration window (ISO dates). Journeys start before registration and may begin before ``start``.
    noise
        Share of profile and modus-operandi values drawn uniformly from their vocabulary instead of
        from the case's pattern.
    mixing
        Share of those values drawn from a second pattern (one per case): mixed modus operandi, the
        main knob of how hard the patterns are to recover.
    gazetteer
        Route gazetteer to place the journeys; the bundled one by default.

    Returns
    -------
    SampleData
        ``cases``, ``events``, ``services`` and ``truth`` as plain DataFrames of strings and numbers.

    Raises
    ------
    ParameterError
        When ``people`` is below 1, ``noise`` or ``mixing`` is outside [0, 1], or ``end`` is before ``start``.
    """
    if people < 1:
        raise ParameterError(f"people must be at least 1, got {people}")
    for name, share in (("noise", noise), ("mixing", mixing)):
        if not 0.0 <= share <= 1.0:
            raise ParameterError(f"{name} must be within [0, 1], got {share}")
    first, last = pd.Timestamp(start), pd.Timestamp(end)
    if last < first:
        raise ParameterError(f"end {end!r} is before start {start!r}")
    places = _place_table(load_gazetteer() if gazetteer is None else gazetteer)
    rng = np.random.Generator(np.random.PCG64(seed))

    pattern_names = list(PATTERNS)
    pattern_idx = rng.permutation(np.repeat(np.arange(len(pattern_names)),
                                            _apportion([p.share for p in PATTERNS.values()], people)))
    width = max(4, len(str(people)))
    case_ids = pd.Index([f"CASE-{i:0{width}d}" for i in range(1, people + 1)])

    traits = _draw_traits(rng, pattern_idx, noise=noise, mixing=mixing)
    route_steps, corridor = _draw_routes(rng, pattern_idx)
    registered, route_steps = _draw_dates(rng, route_steps, first, last, traits["case_type"])
    incidents = _draw_incidents(rng, route_steps, pattern_idx, places)
    events = _assemble_events(route_steps, incidents, case_ids, traits["case_type"], places, rng)

    last_place = route_steps.groupby("case", sort=True)["place"].last().to_numpy()
    route_text = route_steps.groupby("case", sort=True)["place"].agg(" > ".join).to_numpy()
    response = _draw_response(rng, traits["case_type"], traits["age_group"])
    cases = pd.DataFrame({
        "case_id": case_ids,
        "date_registered": registered.strftime("%Y-%m-%d"),
        "place_registered": last_place,
        **traits,
        **response,
        "consent_reporting": np.where(rng.random(people) < _CONSENT_NO, "no", "yes"),
        "route": route_text,
        **_fake_identifiers(case_ids, route_steps.groupby("case", sort=True)["place"].first().to_numpy(),
                            last_place),
    })
    cases = cases[[f.name for f in CASE_FIELDS if f.name in cases.columns]]
    truth = pd.DataFrame({"case_id": case_ids, "pattern": np.array(pattern_names)[pattern_idx],
                          "corridor": corridor})
    return SampleData(cases=cases, events=events, services=_draw_services(rng), truth=truth)


def write_sample(out_dir: str | Path, *, seed: int = 2022, people: int = SAMPLE_PEOPLE,
                 noise: float = 0.10, mixing: float = 0.10) -> dict[str, Path]:
    """Generate the sample and write ``cases``, ``events``, ``services`` and ``truth`` CSVs to ``out_dir``.

    Files are UTF-8 with ``\\n`` line endings and five decimals for coordinates, so the same seed writes
    byte-identical files. Returns table name → path written.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    sample = generate_sample(seed=seed, people=people, noise=noise, mixing=mixing)
    paths: dict[str, Path] = {}
    for name in ("cases", "events", "services", "truth"):
        path = out / f"{name}.csv"
        getattr(sample, name).to_csv(path, index=False, lineterminator="\n", float_format=_FLOAT_FORMAT,
                                     encoding="utf-8")
        paths[name] = path
    return paths


def _apportion(shares: list[float], total: int) -> np.ndarray:
    """Integer counts proportional to ``shares`` summing to ``total`` (largest remainders)."""
    quota = np.asarray(shares, dtype=float) / sum(shares) * total
    counts = np.floor(quota).astype(int)
    order = np.argsort(-(quota - counts), kind="stable")
    counts[order[: total - counts.sum()]] += 1
    return counts


def _choice(rng: np.random.Generator, weights: Mapping[str, float], size: int) -> np.ndarray:
    codes = np.array(list(weights), dtype=object)
    p = np.fromiter(weights.values(), dtype=float)
    return codes[rng.choice(len(codes), size=size, p=p / p.sum())]


def _join_codes(present: np.ndarray, codes: tuple[str, ...]) -> np.ndarray:
    """``;``-join the codes flagged in each row of the boolean matrix ``present`` (vocabulary order)."""
    joined = np.full(present.shape[0], "", dtype=object)
    for j, code in enumerate(codes):
        joined = np.where(present[:, j], joined + code + MULTI_SEPARATOR, joined)
    return pd.Series(joined, dtype=object).str[:-1].to_numpy(dtype=object)


def _draw_traits(rng: np.random.Generator, pattern_idx: np.ndarray, *, noise: float,
                 mixing: float) -> dict[str, np.ndarray]:
    """Profile and modus-operandi fields, in ``CASE_FIELDS`` order.

    Each field is drawn from the case's pattern, taken with probability ``mixing`` from a second
    pattern drawn per case (mixed modus operandi), then replaced with probability ``noise`` by a code
    drawn uniformly from the vocabulary. Consistency rules (sex from gender identity, no child heads of
    household) and missingness come last.
    """
    n = len(pattern_idx)
    traits = _pattern_draws(rng, pattern_idx)
    second = _pattern_draws(rng, (pattern_idx + rng.integers(1, len(PATTERNS), n)) % len(PATTERNS))
    mixed = rng.random(n) < mixing
    for name, values in traits.items():
        borrowed = mixed & (rng.random(n) < 0.5)
        values[borrowed] = second[name][borrowed]
        # noise stays among the corridor's nationalities, not the whole world's
        codes = CORRIDOR_NATIONALITIES if name == "nationality" else VOCABULARIES[_vocabulary_of(name)].codes
        vocabulary = np.array(codes, dtype=object)
        replaced = rng.random(n) < noise
        drawn = rng.integers(0, vocabulary.size, replaced.sum())
        if values.ndim == 1:
            values[replaced] = vocabulary[drawn]
        else:  # a multi-valued cell is replaced whole by one code
            values[replaced] = False
            values[np.flatnonzero(replaced), drawn] = True

    gender = traits["gender_identity"]
    sex = np.select([np.isin(gender, ["woman", "trans_man"]), np.isin(gender, ["man", "trans_woman"])],
                    ["female", "male"], default="")
    undetermined = sex == ""
    sex[undetermined] = np.where(rng.random(undetermined.sum()) < 0.5, "female", "male")
    traits["sex"] = sex.astype(object)
    gender_diverse = np.isin(gender, ["trans_woman", "trans_man", "non_binary"])
    traits["lgbtiq"][gender_diverse] = "yes"
    traits["head_of_household"][np.isin(traits["age_group"], CHILD_AGE_GROUPS)] = "no"
    traits["informal_sector"][traits["age_group"] == "0-8"] = "no"
    exploitation = traits["exploitation_type"]
    none = VOCABULARIES["exploitation_type"].codes.index("none")
    exploitation[:, none] &= exploitation.sum(axis=1) == 1  # "none" only alone

    for name in ("means_of_control", "exploitation_type"):
        traits[name] = _join_codes(traits[name], VOCABULARIES[_vocabulary_of(name)].codes)
    for name, share in _MISSING.items():
        if name in traits:
            traits[name][rng.random(n) < share] = UNKNOWN
    return {f.name: traits[f.name] for f in CASE_FIELDS if f.name in traits}


def _pattern_draws(rng: np.random.Generator, pattern_idx: np.ndarray) -> dict[str, np.ndarray]:
    """Every trait drawn from the pattern of each row: codes for categories, boolean matrices for multi."""
    n = len(pattern_idx)
    patterns = list(PATTERNS.values())
    draws: dict[str, np.ndarray] = {}
    for name in dict.fromkeys(name for p in patterns for name in p.traits):
        draws[name] = np.full(n, UNKNOWN, dtype=object)
        for k, pattern in enumerate(patterns):
            rows = np.flatnonzero(pattern_idx == k)
            draws[name][rows] = _choice(rng, pattern.traits[name], rows.size)
    for name in dict.fromkeys(name for p in patterns for name in p.multi):
        codes = VOCABULARIES[_vocabulary_of(name)].codes
        probs = np.array([[p.multi[name].get(c, 0.0) for c in codes] for p in patterns])[pattern_idx]
        present = rng.random(probs.shape) < probs
        if name == "exploitation_type":  # every case has one, "none" for smuggling only
            empty = np.flatnonzero(~present.any(axis=1))
            present[empty, probs[empty].argmax(axis=1)] = True
        draws[name] = present
    return draws


def _vocabulary_of(field_name: str) -> str:
    vocabulary = next(f.vocabulary for f in CASE_FIELDS if f.name == field_name)
    assert vocabulary is not None, f"{field_name} is a coded field"
    return vocabulary


def _draw_routes(rng: np.random.Generator, pattern_idx: np.ndarray) -> tuple[pd.DataFrame, np.ndarray]:
    """Route steps (case, step, place) from each pattern's templates, and each case's corridor."""
    n = len(pattern_idx)
    corridor = np.full(n, "", dtype=object)
    pieces: list[pd.DataFrame] = []
    for k, pattern in enumerate(PATTERNS.values()):
        rows = np.flatnonzero(pattern_idx == k)
        templates = [t for t, _ in pattern.routes]
        chosen = rng.choice(len(templates), size=rows.size, p=_normalised([w for _, w in pattern.routes]))
        for t, template in enumerate(templates):
            cases = rows[chosen == t]
            corridor[cases] = template.corridor
            places = np.empty((cases.size, len(template.slots)), dtype=object)
            kept = np.ones_like(places, dtype=bool)
            for s, slot in enumerate(template.slots):
                p = None if slot.weights is None else _normalised(slot.weights)
                drawn = rng.choice(len(slot.places), cases.size, p=p)
                places[:, s] = np.array(slot.places, dtype=object)[drawn]
                kept[:, s] = rng.random(cases.size) < slot.keep
            case_grid = np.broadcast_to(cases[:, None], places.shape)
            step_grid = np.broadcast_to(np.arange(len(template.slots)), places.shape)
            pieces.append(pd.DataFrame({"case": case_grid[kept], "step": step_grid[kept],
                                        "place": places[kept], "growth": template.growth}))
    steps = pd.concat(pieces, ignore_index=True).sort_values(["case", "step"], kind="stable")
    steps = steps.reset_index(drop=True)
    steps["step"] = steps.groupby("case").cumcount()
    return steps, corridor


def _normalised(weights: tuple[float, ...] | list[float]) -> np.ndarray:
    w = np.asarray(weights, dtype=float)
    return w / w.sum()


def _draw_dates(rng: np.random.Generator, steps: pd.DataFrame, first: pd.Timestamp, last: pd.Timestamp,
                case_type: np.ndarray) -> tuple[pd.DatetimeIndex, pd.DataFrame]:
    """Registration dates (trend by template) and step dates counted back from registration."""
    growth = steps.groupby("case", sort=True)["growth"].first().to_numpy()
    u = rng.random(growth.size)
    # Inverse CDF of the density proportional to growth ** x on [0, 1].
    tilted = ~np.isclose(growth, 1.0)
    x = u.copy()
    x[tilted] = np.log1p(u[tilted] * (growth[tilted] - 1)) / np.log(growth[tilted])
    span = (last - first).days
    registered = first + pd.to_timedelta(np.minimum(np.floor(x * (span + 1)), span), unit="D")

    is_last = ~steps["case"].duplicated(keep="last").to_numpy()
    exploited = np.isin(case_type, ["trafficking", "both"])[steps["case"].to_numpy()]
    gap = rng.integers(1, 21, len(steps))  # days from this step to the next one
    gap = np.where(is_last, np.where(exploited, rng.integers(10, 121, len(steps)),
                                     rng.integers(1, 46, len(steps))), gap)
    steps = steps.assign(gap=gap)
    days_before = steps.iloc[::-1].groupby("case", sort=False)["gap"].cumsum().iloc[::-1]
    steps["date"] = registered[steps["case"].to_numpy()] - pd.to_timedelta(days_before.to_numpy(), unit="D")
    return pd.DatetimeIndex(registered), steps


def _hazard(names: pd.Series, places: pd.DataFrame) -> np.ndarray:
    """Incident hazard of each named place: its own in ``_PLACE_HAZARD``, else by kind."""
    trocha = names.map(places["kind"]).eq("irregular_crossing_area").to_numpy()
    named = names.map(_PLACE_HAZARD).to_numpy(dtype=float)
    return np.where(np.isnan(named), np.where(trocha, _TROCHA_HAZARD, _BASE_HAZARD), named)


def _draw_incidents(rng: np.random.Generator, steps: pd.DataFrame, pattern_idx: np.ndarray,
                    places: pd.DataFrame) -> pd.DataFrame:
    """Incidents on route segments, at the riskier end, dated between the segment's two steps."""
    case = steps["case"].to_numpy()
    has_next = np.r_[case[1:] == case[:-1], False]
    hazard = _hazard(steps["place"], places)
    next_hazard = np.r_[hazard[1:], 0.0]
    rate = np.array([p.incident_rate for p in PATTERNS.values()])[pattern_idx[case]]
    happens = has_next & (rng.random(len(steps)) < np.maximum(hazard, next_hazard) * rate)
    at = np.flatnonzero(happens)
    place = np.where(next_hazard[at] > hazard[at], steps["place"].to_numpy()[at + 1],
                     steps["place"].to_numpy()[at])
    gap = steps["gap"].to_numpy()[at]
    date = steps["date"].to_numpy()[at] + pd.to_timedelta(rng.integers(0, gap), unit="D").to_numpy()

    codes = VOCABULARIES["risk"].codes
    probs = np.array([[p.risks.get(c, 0.0) for c in codes] for p in PATTERNS.values()])[pattern_idx[case[at]]]
    present = rng.random(probs.shape) < probs
    empty = ~present.any(axis=1)
    present[np.flatnonzero(empty), probs[empty].argmax(axis=1)] = True
    return pd.DataFrame({"case": case[at], "step": steps["step"].to_numpy()[at] + 0.5, "place": place,
                         "date": date, "risk": _join_codes(present, codes)})


def _assemble_events(steps: pd.DataFrame, incidents: pd.DataFrame, case_ids: pd.Index, case_type: np.ndarray,
                     places: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """One table of route steps and incidents, with stages, crossings and some incidents' own coordinates."""
    exploited = np.isin(case_type, ["trafficking", "both"])
    first = ~steps["case"].duplicated(keep="first").to_numpy()
    last = ~steps["case"].duplicated(keep="last").to_numpy()
    stage = np.select([first, last & exploited[steps["case"].to_numpy()]], ["recruitment", "exploitation"],
                      default="transit")
    route = pd.DataFrame({"case": steps["case"], "step": steps["step"].astype(float), "place": steps["place"],
                          "date": steps["date"], "stage": stage, "risk": ""})
    events = pd.concat([route, incidents.assign(stage="incident")], ignore_index=True)
    events = events.sort_values(["case", "step"], kind="stable").reset_index(drop=True)

    kind = events["place"].map(places["kind"]).to_numpy()
    # Official crossings are also skirted through nearby trochas, more often by people being smuggled.
    skirted = rng.random(len(events)) < np.where(np.isin(case_type, ["smuggling", "both"]), 0.4, 0.2)[
        events["case"].to_numpy()]
    official = kind == "official_crossing"
    crossing = np.select([(kind == "irregular_crossing_area") | (official & skirted), official],
                         ["irregular", "official"], default="none")

    lat = np.full(len(events), np.nan)
    lon = np.full(len(events), np.nan)
    incident_rows = np.flatnonzero(events["stage"].to_numpy() == "incident")
    own = incident_rows[rng.random(incident_rows.size) < _INCIDENT_COORD_SHARE]
    base = places.loc[events["place"].to_numpy()[own], ["lat", "lon"]].to_numpy(dtype=float)
    distance = rng.uniform(*_JITTER_M, own.size)
    azimuth = rng.uniform(0.0, 360.0, own.size)
    lon[own], lat[own], _ = Geod(ellps="WGS84").fwd(base[:, 1], base[:, 0], azimuth, distance)

    return pd.DataFrame({
        "case_id": case_ids[events["case"].to_numpy()],
        "seq": events.groupby("case").cumcount().to_numpy() + 1,
        "date": pd.DatetimeIndex(events["date"]).strftime("%Y-%m-%d"),
        "stage": events["stage"].to_numpy(),
        "place": events["place"].to_numpy(),
        "lat": lat,
        "lon": lon,
        "crossing": crossing,
        "risk": events["risk"].to_numpy(),
    })


def _draw_response(rng: np.random.Generator, case_type: np.ndarray,
                   age_group: np.ndarray) -> dict[str, np.ndarray]:
    """Assistance given, referrals and their status; children are referred to child protection."""
    n = case_type.size
    smuggling = case_type == "smuggling"
    child = np.isin(age_group, CHILD_AGE_GROUPS)
    out: dict[str, np.ndarray] = {}
    for name, table, vocabulary in (("assistance", _ASSISTANCE, "assistance"),
                                    ("referred_to", _REFERRALS, "referral_target")):
        codes = VOCABULARIES[vocabulary].codes
        probs = np.where(smuggling[:, None], [table["smuggling"].get(c, 0.0) for c in codes],
                         [table["trafficking"].get(c, 0.0) for c in codes])
        if name == "assistance":
            probs[:, codes.index("education")] = np.where(child, 0.3, 0.02)
            probs[:, codes.index("family_reunification")] = np.where(child, 0.2, 0.03)
        else:
            probs[:, codes.index("child_protection")] = np.where(child, 0.85, 0.01)
        present = rng.random(probs.shape) < probs
        present[:, codes.index("none")] = ~present.any(axis=1)
        out[name] = present
    status = _choice(rng, _REFERRAL_STATUS, n)
    referred = out["referred_to"]
    nobody = VOCABULARIES["referral_target"].codes.index("none")
    not_referred = (status == "not_referred") | referred[:, nobody]
    referred[not_referred] = False
    referred[not_referred, nobody] = True
    status[not_referred] = "not_referred"
    status[rng.random(n) < _MISSING["referral_status"]] = UNKNOWN
    return {
        "assistance": _join_codes(out["assistance"], VOCABULARIES["assistance"].codes),
        "referred_to": _join_codes(referred, VOCABULARIES["referral_target"].codes),
        "referral_status": status,
    }


def _fake_identifiers(case_ids: pd.Index, origin: np.ndarray,
                      registered_at: np.ndarray) -> dict[str, np.ndarray]:
    """Direct identifiers and notes that are obviously fake, for privacy tests to catch."""
    number = pd.Series(np.arange(1, len(case_ids) + 1)).astype(str).str.zfill(4)
    return {
        "name": ("FAKE-NAME-" + number + " Ejemplo").to_numpy(dtype=object),
        "document_number": ("FAKE-DOC-" + number.str.zfill(8)).to_numpy(dtype=object),
        "phone": ("+57 300 000 " + number).to_numpy(dtype=object),
        "address": ("Calle Ficticia " + number.str.lstrip("0") + " # 0-00").to_numpy(dtype=object),
        "notes": ("Relato ficticio " + pd.Series(case_ids) + ": salió de " + pd.Series(origin)
                  + " y recibió atención en " + pd.Series(registered_at) + ". Datos inventados.")
        .to_numpy(dtype=object),
    }


def _draw_services(rng: np.random.Generator) -> pd.DataFrame:
    """Service points at gazetteer places, with organisation types drawn by service type."""
    places = [place for place, types in _SERVICE_POINTS.items() for _ in types]
    types = np.array([t for ts in _SERVICE_POINTS.values() for t in ts], dtype=object)
    organisation = np.empty(types.size, dtype=object)
    for service_type, weights in _ORGANISATION_WEIGHTS.items():
        rows = np.flatnonzero(types == service_type)
        organisation[rows] = _choice(rng, weights, rows.size)
    width = max(3, len(str(types.size)))
    return pd.DataFrame({"service_id": [f"SRV-{i:0{width}d}" for i in range(1, types.size + 1)],
                         "place": places, "service_type": types, "organisation_type": organisation})


def _place_names() -> list[str]:
    """Every place name the templates, hazards and service points use, once each, in first-use order."""
    names = [place for pattern in PATTERNS.values() for template, _ in pattern.routes
             for slot in template.slots for place in slot.places]
    return list(dict.fromkeys([*names, *_PLACE_HAZARD, *_SERVICE_POINTS]))


def _place_table(gazetteer: Gazetteer) -> pd.DataFrame:
    """The generator's place names resolved in ``gazetteer``: ``place_id``, ``kind``, ``lat``, ``lon``.

    Raises
    ------
    PlaceNotFoundError
        For the first name the gazetteer does not know, with suggestions.
    """
    names = _place_names()
    ids = gazetteer.resolve(names)
    missing = [name for name, place_id in zip(names, ids, strict=True) if place_id is None]
    if missing:
        raise PlaceNotFoundError(missing[0], gazetteer.suggest(missing[0]))
    found = gazetteer.places.loc[list(ids), ["kind", "lat", "lon"]]
    return pd.DataFrame({"place_id": ids, "kind": found["kind"].to_numpy(),
                         "lat": found["lat"].to_numpy(dtype=float),
                         "lon": found["lon"].to_numpy(dtype=float)}, index=pd.Index(names, name="place"))
