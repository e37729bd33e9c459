"""Sentences generated from the numbers, one class per language.

Spanish is written for itself, not translated word by word from English.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import TYPE_CHECKING

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


class _Wording(ABC):
    """Numbers, lists and sentences in one language; subclasses write the sentences.

    Every sentence a brief prints is declared here, so each language must write all of them, with the
    same arguments.
    """

    lang: Lang
    person_word: str
    fewer_than: str
    conjunction: str

    def __init__(self, k: int) -> None:
        self.k = k

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
