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

Every count is made by :func:`~routes.publish.findings.brief_findings` (:mod:`routes.publish.findings`, the
counting side; re-exported here) through :func:`routes.privacy.release_counts` under the given policy (public
by default); this package only writes the findings (:func:`release_brief` renders a release's). A count under
``k`` never appears. A withheld count (under ``k``, or hidden to protect another count) is written "not
published" / "no publicado", never "fewer than 11 people": that would be false for a count withheld to
protect another one, and telling the reason would tell of the count. A sentence whose number is withheld
says the number is not published (no comparison rests on it), and a segment whose earlier count is withheld
is never called growing. Shares of rounded counts are written to whole per cent, never as 100 % (see
:meth:`~routes.briefs._wording._Wording.share`). Sentences are
generated from the numbers in each language separately (Spanish is not a word-by-word translation of
English), and every count of people is written with its unit ("1,970 people", "1.970 personas") so that it
can be checked in the printed text.

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
emerging_routes         diagnostics                a segment is new or grew by half or more from a
                                                   published count (never from a withheld one)
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

from routes.briefs._render import PAGE_MARGIN as PAGE_MARGIN
from routes.briefs._render import PLACES_PER_ACTION as PLACES_PER_ACTION
from routes.briefs._render import Brief, release_brief, route_brief
from routes.briefs._render import Paper as Paper
from routes.briefs._rules import ACTION_RULES, LINES_OF_WORK, ActionRule
from routes.briefs._rules import ACTORS as ACTORS
from routes.briefs._rules import CHANGE_NOTICED as CHANGE_NOTICED
from routes.briefs._rules import CROSS_BORDER as CROSS_BORDER
from routes.briefs._rules import DOMINANT_PATTERN_SHARE as DOMINANT_PATTERN_SHARE
from routes.briefs._rules import DOUBLE_AFFECTATION_SHARE as DOUBLE_AFFECTATION_SHARE
from routes.briefs._rules import GROUP_SHARE_LIVELIHOODS as GROUP_SHARE_LIVELIHOODS
from routes.briefs._rules import HOME_COUNTRY as HOME_COUNTRY
from routes.briefs._rules import PRIORITIES as PRIORITIES
from routes.briefs._rules import REFERRALS_COMPLETED_MIN as REFERRALS_COMPLETED_MIN
from routes.briefs._rules import TIMEFRAMES as TIMEFRAMES
from routes.briefs._rules import Evidence as Evidence
from routes.briefs._svg import SVG_HASHSALT as SVG_HASHSALT
from routes.briefs._svg import corridor_map_svg as corridor_map_svg
from routes.briefs._wording import CORRIDOR_LABELS
from routes.briefs._wording import NBSP as NBSP
from routes.errors import BriefError
from routes.publish.findings import ALL_CORRIDORS, BriefFindings, ReportingPeriod, brief_findings
from routes.publish.findings import CASE_TYPES as CASE_TYPES
from routes.publish.findings import EMERGING_GROWTH as EMERGING_GROWTH
from routes.publish.findings import GAP_SERVICES as GAP_SERVICES
from routes.publish.findings import RISK_TYPES as RISK_TYPES
from routes.publish.findings import TOP_ROWS as TOP_ROWS
from routes.publish.findings import Count as Count
from routes.publish.findings import EmergingFigure as EmergingFigure
from routes.publish.findings import GapFigure as GapFigure
from routes.publish.findings import Lang as Lang
from routes.publish.findings import PatternFigure as PatternFigure
from routes.publish.findings import PlaceFigure as PlaceFigure
from routes.publish.findings import RouteFigure as RouteFigure
from routes.publish.findings import SegmentFigure as SegmentFigure
from routes.publish.findings import corridor_people as corridor_people
from routes.publish.findings import service_gaps_by_type as service_gaps_by_type

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
