"""Rendering a brief: the template's context in one language, the HTML page and its PDF."""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import html
import os
import re
from collections.abc import Callable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import geopandas as gpd
import pandas as pd

from routes import _i18n
from routes._browser import CHROMIUM_ARGS
from routes.briefs._rules import ACTION_RULES, HOME_COUNTRY, ActionRule, who_acts
from routes.briefs._svg import corridor_map_svg
from routes.briefs._wording import _Wording, _wording
from routes.errors import BriefError
from routes.places import CORRIDORS, country_code
from routes.publish.findings import ALL_CORRIDORS, BriefFindings, Count, Lang, ReportingPeriod, brief_findings
from routes.publish.together import protect_together

if TYPE_CHECKING:
    from playwright.sync_api import PdfMargins

    from routes.network import RouteNetwork
    from routes.patterns import PatternClusters
    from routes.privacy import DisclosurePolicy
    from routes.publish.release import Release


Paper = Literal["A4", "Letter"]

PAGE_MARGIN: PdfMargins = {"top": "10mm", "bottom": "10mm", "left": "11mm", "right": "11mm"}


def _bar_rows(
    counts: Mapping[str, Count],
    label: Callable[[str], str],
    w: _Wording,
    *,
    total: Count = None,
    drop_zero: bool = True,
) -> list[dict[str, Any]]:
    """Rows of a bar chart: label, relative width (``None`` when withheld) and the count as text
    ("not published" when withheld)."""
    top = max([c for c in counts.values() if c] or [1])
    rows: list[dict[str, Any]] = []
    for code, count in counts.items():
        if count == 0 and drop_zero:
            continue
        if count is None:
            rows.append({"label": w.capitalised(label(code)), "width": None, "text": w.people(None)})
            continue
        share = f" ({w.share(count, total)})" if total else ""
        rows.append(
            {"label": w.capitalised(label(code)), "width": count / top, "text": w.people(count) + share}
        )
    return rows


def _exact_counts(policy: DisclosurePolicy) -> bool:
    """Whether ``policy`` publishes exact counts (no rounding, no noise), which shares may be written
    to a decimal of (:meth:`routes.briefs._wording._Wording.share`)."""
    return policy.rounding == 1 and policy.mode != "formal"


PLACES_PER_ACTION = 3
"""At most this many places are named in one action (the first, in the order the findings rank them)."""


def _actions(f: BriefFindings, w: _Wording, *, country: str = HOME_COUNTRY) -> list[dict[str, str]]:
    """One row per action: what (with where and the country), line of work, who, priority, when, why.

    An action at places in ``country`` is the rule's own. Places in another country become one
    cross-border coordination action per country with the counterpart there (the ``cross_border`` text of
    :data:`routes._i18n.ACTION`), gathering what every rule found there, so a meeting is never asked to act
    across its border. A segment belongs to ``country`` when either end does. High priority first, then
    the lines of work.
    """
    from routes.places import country_names

    def name(code: str) -> str:
        return str(country_names(pd.Series([code]), w.lang).iloc[0])

    def country_of(place: str) -> str:
        ends = [f.place_countries.get(end.strip(), country) for end in place.split("→")]
        return country if country in ends else ends[-1]

    def row(rule: ActionRule, actor: str, action: str, because: str, where: str) -> dict[str, str]:
        return {
            "action": action,
            "where": where,
            "line": _i18n.LINE_OF_WORK.text(rule.line_of_work, w.lang),
            "who": who_acts(actor, country, w.lang),
            "priority": _i18n.PRIORITY.text(rule.priority, w.lang),
            "when": _i18n.TIMEFRAME.text(rule.timeframe, w.lang),
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
        found = {"places": there[:PLACES_PER_ACTION], "country": name(where)}
        action = w.fill(_i18n.ACTION.text("cross_border", w.lang), found)
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
        percent = w.percent(share, exact=bool(programme) or w.exact)  # the programme's figures: as given
        figures.append({"value": percent, "caption": captions["target"]})
        lead.append(w.target(f, percent))
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
            who.append(w.largest_group(largest, published[largest], f.people or 0))
        if f.groups.get("double_affectation"):
            who.append(w.double_affectation(f.groups["double_affectation"] or 0, f.people or 0))
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
        how.append(w.top_pattern(findings[0], findings[0].people or 0, f.people or 0,
                                 past_mixed=findings[0] is not published_patterns[0]))
    context["how"] = {
        "sentences": how,
        "rows": [
            {
                "label": p.label(w.lang),
                "people": w.people(p.people),
                "share": w.share(p.people, f.people) if p.people is not None and f.people else "–",
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
    """The largest published count's code: written as the most frequent of the published ones, since
    a withheld count may be larger."""
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
            printed = _print_pdf(self.html, paper=paper, chromium=chromium)
        else:
            # Playwright's sync API refuses to run inside an event loop (Jupyter): print from a thread.
            with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
                printed = pool.submit(_print_pdf, self.html, paper=paper, chromium=chromium).result()
        return dated_pdf(printed, self.findings.period.last.end_time)

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


_PDF_DATES = re.compile(rb"/(CreationDate|ModDate) \(D:[0-9]{14}[^)]*\)")


def dated_pdf(pdf: bytes, when: pd.Timestamp) -> bytes:
    """``pdf`` with its creation and modification dates set to ``when`` (a brief: its period's last
    day), not the moment Chromium printed it: the same release prints to the same bytes, so a
    published PDF can be verified by printing it again. Each date keeps its length (the file's
    cross-reference offsets stay right); one in another form is left as it is."""
    stamp = when.strftime("D:%Y%m%d000000+00'00'").encode()

    def fixed(match: re.Match[bytes]) -> bytes:
        new = b"/" + match.group(1) + b" (" + stamp + b")"
        return new if len(new) == len(match.group(0)) else match.group(0)

    return _PDF_DATES.sub(fixed, pdf)


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
    wording = _wording(lang, release.policy.k, exact=_exact_counts(release.policy))
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
    PolicyError
        A formal policy: render a release's brief instead (:func:`release_brief`).
    DisclosureError
        If the audit of the brief's tables, protected together
        (:func:`routes.publish.protect_together`), recovers a withheld cell, or the finished page fails
        :func:`routes.privacy.check_publishable` (nothing is returned).
    """
    from routes._web import with_csp
    from routes.privacy import DisclosurePolicy, check_publishable

    corridors = (*CORRIDORS, ALL_CORRIDORS)
    if corridor not in corridors:
        raise BriefError(f"unknown corridor {corridor!r}; expected one of {', '.join(corridors)}")
    policy = policy or DisclosurePolicy.public()
    wording = _wording(lang, policy.k, exact=_exact_counts(policy))
    if patterns is not None and cases is None:
        raise BriefError("patterns were given without the cases they were fitted on; pass cases=")
    reporting = ReportingPeriod.parse(period) if period is not None else None
    findings = protect_together(
        lambda: brief_findings(
            network,
            patterns,
            cases=cases,
            corridor=corridor,
            period=reporting,
            target=target,
            services=services,
            policy=policy,
            gap_radius_km=gap_radius_km,
            programme_people=assisted,
        ),
        policy,
        product=f"brief {corridor}",
        cases=cases,
    )
    context = _context(findings, wording, policy=policy, source=source, prepared=prepared,
                       country=country_code(country))
    page = with_csp(_environment().get_template("brief.html.j2").render(**context))
    check_publishable(page, policy=policy, name=f"brief {corridor} ({lang})", kind="html")
    return Brief(page, findings, lang=wording.lang)
