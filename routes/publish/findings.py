"""The findings of a brief: every number it shows, counted for one corridor and period.

This is the counting side of :mod:`routes.briefs`: :func:`brief_findings` counts, through the disclosure
policy (:func:`routes.privacy.release_counts` and :func:`~routes.privacy.release_rate`), every number one
brief shows into :class:`BriefFindings`, numbers in no language. A release (:class:`routes.publish.Release`)
runs it for every corridor; :mod:`routes.briefs` only writes the findings in words, tables and a map.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache, cached_property
from typing import TYPE_CHECKING, Any, cast

import geopandas as gpd
import numpy as np
import pandas as pd

from routes._frame import as_text, is_in, positions_in
from routes._i18n import Lang, in_language, month_name, month_year
from routes.errors import BriefError
from routes.publish.layers import RISK_LAYERS
from routes.schema import GROUPS, VOCABULARIES, multi_hot, sub_sector_groups

if TYPE_CHECKING:
    from routes.network import RouteNetwork
    from routes.patterns import PatternClusters
    from routes.privacy import DisclosurePolicy, Memberships, PeopleOf

__all__ = [
    "ALL_CORRIDORS",
    "CASE_TYPES",
    "EMERGING_GROWTH",
    "GAP_SERVICES",
    "RISK_TYPES",
    "TOP_ROWS",
    "BriefFindings",
    "Count",
    "EmergingFigure",
    "GapFigure",
    "Lang",
    "NetworkPeople",
    "PatternFigure",
    "PlaceFigure",
    "ReportingPeriod",
    "RouteFigure",
    "SegmentFigure",
    "brief_findings",
    "case_persons",
    "corridor_people",
    "service_gaps_by_type",
]

Count = int | None
"""A released count of distinct people; ``None`` when withheld (under ``k``, or to protect another count:
the products never say which)."""

ALL_CORRIDORS = "all"

CASE_TYPES = VOCABULARIES["case_type"].codes
RISK_TYPES: tuple[str, ...] = RISK_LAYERS
"""Risks the brief follows place by place: the three the sub-sector ties to displacement, and extortion
(the map's :data:`~routes.publish.layers.RISK_LAYERS`: one list of the risks products follow)."""
GAP_SERVICES: tuple[str, ...] = ("legal", "psychosocial", "shelter")
EMERGING_GROWTH = 0.50
TOP_ROWS = 5


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
        def month(p: pd.Period, *, year: bool) -> str:
            return month_year(p.year, p.month, lang) if year else month_name(p.month, lang)

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
    """A segment whose people grew from the previous period (``before``: published, 0 when no one was
    counted there) to this one (``after``)."""

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
        return in_language({"en": self.label_en, "es": self.label_es}, lang)


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


def _corridor_place_ids(network: RouteNetwork, corridor: str) -> pd.Index:
    """Ids of the network's places that the gazetteer tags with ``corridor`` (its ``corridors`` column)."""
    tags = network.places["corridors"].explode()
    return tags.index[(tags == corridor).to_numpy()].unique()


def corridor_people(network: RouteNetwork, corridor: str) -> pd.Index:
    """The people whose journey belongs to ``corridor``: more than half of its places carry the tag.

    Places are the distinct gazetteer places of the person's journey; tags are the gazetteer's
    ``corridors``. With ``"all"``, everyone with a journey.
    """
    return NetworkPeople(network).of_corridor(corridor)


class NetworkPeople:
    """A network's people as every brief of a release needs them, found once, not once a corridor.

    The distinct places of each person's journey (one sort of the journeys' codes) give every
    corridor's people (:meth:`of_corridor`); the network's case ids are looked up once among the
    cases' (:meth:`case_codes`), so that a corridor's tables find their people by integer codes.
    """

    def __init__(self, network: RouteNetwork) -> None:
        self.network = network
        #: categories of case ids → (them, the position of each network case id among them)
        self._case_codes: dict[int, tuple[pd.Index, np.ndarray]] = {}
        self._drawn: dict[tuple[str, int], tuple[pd.DataFrame, pd.DataFrame]] = {}  # see drawn

    @property
    def _ids(self) -> pd.Series:
        return _membership(self.network, "journeys")["case_id"]

    @property
    def _places(self) -> pd.Series:
        return _membership(self.network, "journeys")["place_id"]

    @cached_property
    def coded(self) -> bool:
        """Whether the journeys' people and places are the network's categoricals (else: text)."""
        return isinstance(self._ids.dtype, pd.CategoricalDtype) and isinstance(
            self._places.dtype, pd.CategoricalDtype
        )

    @property
    def case_ids(self) -> pd.Index:
        """The network's case ids: the categories of its membership tables' ``case_id``."""
        return self._ids.cat.categories

    @cached_property
    def _visits(self) -> tuple[np.ndarray, np.ndarray]:
        """Distinct (person, place) visits as codes of the network's categoricals (a missing place:
        the last place code, on no corridor)."""
        ids, places = self._ids, self._places
        person = np.asarray(ids.cat.codes, dtype=np.int64)
        place = np.asarray(places.cat.codes, dtype=np.int64)
        known = person >= 0
        size = len(places.cat.categories) + 1
        place = np.where(place < 0, size - 1, place)
        pairs = np.sort(person[known] * size + place[known])  # (a sort: numpy's hashed unique is slower)
        person, place = np.divmod(pairs[np.r_[True, np.diff(pairs) != 0]] if len(pairs) else pairs, size)
        return person, place

    def _chosen(self, corridor: str) -> np.ndarray:
        """Codes of the network's case ids of ``corridor``'s people (see :meth:`of_corridor`)."""
        person, place = self._visits
        people = len(self.case_ids)
        if corridor == ALL_CORRIDORS:
            return np.flatnonzero(np.bincount(person, minlength=people))
        tags = _corridor_place_ids(self.network, corridor)
        on = np.r_[is_in(self._places.cat.categories, tags), False].astype(np.float64)
        visited = np.bincount(person, minlength=people)
        tagged = np.bincount(person, weights=on[place], minlength=people)
        return np.flatnonzero(tagged > 0.5 * visited)  # more than half of the person's places

    def of_corridor(self, corridor: str) -> pd.Index:
        """The ids of ``corridor``'s people (:func:`corridor_people`)."""
        if not self.coded:
            journeys = _membership(self.network, "journeys")
            visits = journeys[["case_id", "place_id"]].drop_duplicates()
            if corridor == ALL_CORRIDORS:
                return pd.Index(visits["case_id"].unique(), name="case_id")
            visits = visits.assign(on=visits["place_id"].isin(_corridor_place_ids(self.network, corridor)))
            share = visits.groupby("case_id", observed=True)["on"].mean()
            return pd.Index(share.index[share.to_numpy() > 0.5], name="case_id")
        return pd.Index(self.case_ids.take(self._chosen(corridor)), name="case_id")

    def case_codes(self, cases: pd.Index) -> np.ndarray:
        """The position in ``cases`` (case ids, e.g. the categories of :func:`case_persons`' ``case_id``)
        of each of the network's case ids, -1 when absent; looked up as text once per ``cases``."""
        known = self._case_codes.get(id(cases))
        if known is None or known[0] is not cases:
            known = (cases, positions_in(self.case_ids, cases))
            self._case_codes[id(cases)] = known
        return known[1]

    @cached_property
    def _journeys(self) -> _Journeys:
        return _Journeys.of(_membership(self.network, "journeys"))

    @cached_property
    def passing(self) -> pd.DataFrame:
        """Every journey's steps between its ends (:func:`_passing`), for every brief's chokepoints."""
        return _passing(self._journeys)

    @cached_property
    def routes(self) -> pd.DataFrame:
        """Every journey's route (:func:`_routes_of`), for every brief's routes."""
        return _routes_of(self._journeys, self.network.places["name"].astype(str))

    def rows_where(self, name: str, column: str, values: Sequence[str] | None = None) -> pd.DataFrame:
        """The rows of the network's ``name`` table whose ``column`` has a value (among ``values``,
        when given), selected once for every brief: one shared table each brief's people are counted
        from (:class:`routes.privacy.PeopleOf`)."""
        table = _membership(self.network, name)

        def kept(table: pd.DataFrame) -> pd.DataFrame:
            return table[table[column].notna().to_numpy() if values is None else is_in(table[column], values)]

        return self.drawn(f"{column} in {values}", table, kept)

    def drawn(
        self, name: str, table: pd.DataFrame, build: Callable[[pd.DataFrame], pd.DataFrame]
    ) -> pd.DataFrame:
        """``build(table)``, named ``name``, built once for every brief of a release (``table``: the
        network's or the cases' people): a table the briefs count their people's rows of."""
        found = self._drawn.get((name, id(table)))
        if found is None or found[0] is not table:
            found = self._drawn[(name, id(table))] = (table, build(table))
        return found[1]

    def among(self, corridor: str, ids: pd.Series) -> np.ndarray:
        """Which rows of ``ids`` (a categorical of case ids) are ``corridor``'s people, compared by
        codes: ``is_in(ids, self.of_corridor(corridor))``."""
        if not (self.coded and isinstance(ids.dtype, pd.CategoricalDtype)):
            return is_in(ids, self.of_corridor(corridor))
        categories = ids.cat.categories
        chosen = self.case_codes(categories)[self._chosen(corridor)]
        listed = np.zeros(len(categories) + 1, dtype=bool)  # code -1 (missing): last, never in
        listed[chosen[chosen >= 0]] = True
        return listed[np.asarray(ids.cat.codes, dtype=np.int64)]


_Build = Callable[[], pd.DataFrame]
"""What builds a table of a brief (its people, one row a person, or memberships) on first use
(:func:`functools.cache`)."""


class _Collector:
    """Counts for one corridor and period, every one released through the disclosure policy.

    Every membership table is given to the counting as what builds it (a cached callable), people
    included: a release's second pass reads each table from its store and builds none of them.
    """

    def __init__(
        self,
        network: RouteNetwork,
        *,
        cases: pd.DataFrame | None,
        policy: DisclosurePolicy,
        corridor: str,
        everyone: pd.DataFrame | None = None,
        network_people: NetworkPeople | None = None,
    ) -> None:
        self.network = network
        self.cases = cases
        self._everyone = everyone
        self.network_people = NetworkPeople(network) if network_people is None else network_people
        self.policy = policy
        self.corridor = corridor
        self.withheld = 0
        self.names = network.places["name"].astype(str)
        self._corridor_places = set(_corridor_place_ids(network, corridor))
        #: (persons, categories of case ids) → row of each category's person in ``persons`` (-1: none)
        self._consent_rows: dict[tuple[int, int], tuple[pd.DataFrame, pd.Index, np.ndarray]] = {}
        self._case_rows: tuple[pd.DataFrame, pd.DataFrame] | None = None  # persons → their case rows
        #: (persons, categories of case ids) → whether each category's person may be counted
        self._chosen: dict[tuple[int, int], tuple[pd.DataFrame, pd.Index, np.ndarray]] = {}

    def on_corridor(self, place_id: str) -> bool:
        """Whether the gazetteer tags ``place_id`` with the brief's corridor (always, for ``"all"``)."""
        return self.corridor == ALL_CORRIDORS or place_id in self._corridor_places

    @cached_property
    def everyone(self) -> pd.DataFrame:
        """:func:`case_persons` of the cases (given, or built once)."""
        assert self.cases is not None
        return self._everyone if self._everyone is not None else case_persons(self.cases)

    @cached_property
    def persons(self) -> pd.DataFrame:
        """One row a person of the corridor: registration ``month``, ``case_type``, ``consent_reporting``."""
        if self.cases is not None:
            persons = self.everyone
            if self.corridor != ALL_CORRIDORS:
                persons = persons[self.network_people.among(self.corridor, persons["case_id"])]
            return persons.set_index("case_id", drop=False)
        members = self.network_people.of_corridor(self.corridor)
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

    def in_period(self, period: ReportingPeriod) -> _Build:
        return cache(lambda: self.persons[period.contains(self.persons["month"])].reset_index(drop=True))

    # -- the one door to counts ------------------------------------------------------------------

    def count(self, members: Memberships, by: Sequence[str], what: str) -> pd.DataFrame:
        """Distinct people per cell of ``by`` as released (``n_people`` Int64, NA when withheld).

        ``what`` names the table within the corridor's view of a publication.
        """
        from routes.privacy import release_counts

        release = release_counts(members, list(by), policy=self.policy, label=f"{self.corridor}:{what}")
        self.withheld += release.hidden_cells
        return release.cells.reset_index(drop=True)

    def released(self, members: Memberships, by: str, codes: Sequence[str], what: str) -> dict[str, Count]:
        table = self.count(members, [by], what).set_index(by)["n_people"]
        return {code: _count(table.get(code, 0)) for code in codes}

    def total(self, persons: _Build, what: str = "people") -> Count:
        table = self.count(lambda: self._scoped(persons()), ["scope"], what)["n_people"]
        return _count(table.iloc[0]) if len(table) else 0

    def _scoped(self, members: pd.DataFrame) -> pd.DataFrame:
        """``members`` with a ``scope`` column: the corridor (one category, counted without text)."""
        zeros = np.zeros(len(members), dtype=np.int8)
        scope = pd.Categorical.from_codes(zeros, categories=pd.Index([self.corridor]))
        return members.assign(scope=scope)

    def _person_rows(self, persons: pd.DataFrame, categories: pd.Index) -> np.ndarray:
        """The row in ``persons`` of each of ``categories`` (case ids), then -1 (for a missing id's code
        -1); kept for the next table of the same ``persons`` and categories."""
        known = self._consent_rows.get((id(persons), id(categories)))
        if known is None or known[0] is not persons or known[1] is not categories:
            known = (persons, categories, np.r_[self._rows_in(persons, categories), -1])
            self._consent_rows[(id(persons), id(categories))] = known  # a brief's persons: a few tables
        return known[2]

    def people_of(self, table: pd.DataFrame, persons: _Build, build: _Build, **constant: str) -> PeopleOf:
        """The rows of ``table`` (a network table, or rows of one shared by every brief) of the people
        of ``persons`` who may be counted, as :class:`routes.privacy.PeopleOf`: what ``build`` builds,
        counted from ``table``'s own count when the store can (no rows selected, no consent joined)."""
        from routes.privacy import PeopleOf

        def chosen() -> np.ndarray:
            who, categories = persons(), table["case_id"].cat.categories
            known = self._chosen.get((id(who), id(categories)))
            if known is None or known[0] is not who or known[1] is not categories:
                may = np.r_[self.policy.eligible(who).to_numpy(dtype=bool), False]  # row -1 (absent): last
                known = (who, categories, may[self._person_rows(who, categories)[:-1]])
                self._chosen[(id(who), id(categories))] = known  # the next table of the same people
            return known[2]

        return PeopleOf(table, chosen, build, constant)

    def _with_consent(self, members: pd.DataFrame, persons: pd.DataFrame) -> pd.DataFrame:
        consent = persons.set_index("case_id")["consent_reporting"]
        ids = members["case_id"]
        if isinstance(ids.dtype, pd.CategoricalDtype):  # the network's tables: one lookup per person
            row = self._person_rows(persons, ids.cat.categories)[np.asarray(ids.cat.codes)]
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

    def _rows_in(self, persons: pd.DataFrame, categories: pd.Index) -> np.ndarray:
        """The row in ``persons`` of each of ``categories`` (case ids), -1 when absent; by codes when
        they are the categories of ``persons``' ids or the network's (looked up once a release)."""
        ids = persons["case_id"]
        if isinstance(ids.dtype, pd.CategoricalDtype):
            to_case = None
            if categories is ids.cat.categories:
                to_case = np.arange(len(categories))
            elif self.network_people.coded and categories is self.network_people.case_ids:
                to_case = self.network_people.case_codes(ids.cat.categories)
            if to_case is not None:
                codes = np.asarray(ids.cat.codes, dtype=np.int64)
                first = np.full(len(ids.cat.categories) + 1, -1, dtype=np.int64)  # absent (-1): last
                code, at = np.unique(codes, return_index=True)  # each code's first row
                first[code[code >= 0]] = at[code >= 0]
                return first[to_case]
        return positions_in(categories, pd.Index(ids))

    # -- sections ----------------------------------------------------------------------------------

    def case_rows(self, persons: pd.DataFrame) -> pd.DataFrame:
        """The rows of :attr:`everyone` (one a case: its codes, groups and response) of the cases of
        ``persons``; kept for the next call with the same ``persons`` (the groups and the response of
        a brief read the same rows)."""
        assert self.cases is not None
        if self._case_rows is not None and self._case_rows[0] is persons:
            return self._case_rows[1]
        everyone = self.everyone
        rows = everyone[is_in(everyone["case_id"], persons["case_id"])].reset_index(drop=True)
        self._case_rows = (persons, rows)
        return rows

    def _of_everyone(self, name: str, build: Callable[[pd.DataFrame], pd.DataFrame]) -> pd.DataFrame:
        """``build`` of :attr:`everyone`, built once for every brief (kept by the network's people)."""
        return self.network_people.drawn(name, self.everyone, build)

    def groups(self, persons: _Build) -> dict[str, Count]:
        def members() -> pd.DataFrame:
            return self._with_consent(_groups_of(self.case_rows(persons())), persons())

        shared = self._of_everyone("groups", _groups_of)
        return self.released(self.people_of(shared, persons, members), "group", list(GROUPS), "groups")

    def multi(self, rows: pd.DataFrame, persons: pd.DataFrame, column: str, vocabulary: str) -> pd.DataFrame:
        """Long table (case_id, code, consent) of a multi-valued case field, without ``none``
        (:func:`_codes_of`)."""
        return self._with_consent(_codes_of(rows, column, vocabulary), persons)

    def response(self, persons: _Build) -> dict[str, Any]:
        def coded(column: str, vocabulary: str) -> PeopleOf:
            build = cache(lambda: self.multi(self.case_rows(persons()), persons(), column, vocabulary))
            shared = self._of_everyone(column, lambda rows: _codes_of(rows, column, vocabulary))
            return self.people_of(shared, persons, build)

        assistance, referrals = coded("assistance", "assistance"), coded("referred_to", "referral_target")

        def among(ids: Callable[[], pd.Series]) -> _Build:
            return lambda: persons()[is_in(persons()["case_id"], ids())]

        referred_people = cache(among(lambda: referrals()["case_id"]))

        def completed() -> pd.Series:
            rows = self.case_rows(persons())
            done = is_in(rows["case_id"], referred_people()["case_id"])
            return rows.loc[done & rows["referral_completed"].to_numpy(dtype=bool), "case_id"]

        def referred_and_completed(rows: pd.DataFrame) -> pd.DataFrame:
            done = rows["referral_completed"].to_numpy(dtype=bool)
            return rows.loc[done & is_in(rows["case_id"], referrals.table["case_id"]), ["case_id"]]

        def total(shared: pd.DataFrame, some: _Build, what: str) -> Count:
            """:meth:`total` of ``some`` of the brief's people: those in ``shared`` (a table of everyone),
            counted from ``shared``'s one cell of everyone."""
            counted = self.people_of(shared, persons, lambda: self._scoped(some()), scope=self.corridor)
            table = self.count(counted, ["scope"], what)["n_people"]
            return _count(table.iloc[0]) if len(table) else 0

        done = self._of_everyone("referrals completed", referred_and_completed)
        return {
            "assistance": self.released(assistance, "code", _codes_but_none("assistance"), "assistance"),
            "assisted": total(assistance.table, among(lambda: assistance()["case_id"]), "assisted"),
            "referrals": self.released(referrals, "code", _codes_but_none("referral_target"), "referrals"),
            "referred": total(referrals.table, referred_people, "referred"),
            "referrals_completed": total(done, among(completed), "referrals completed"),
        }

    def patterns(self, persons: _Build, patterns: PatternClusters) -> tuple[PatternFigure, ...]:
        assert self.cases is not None
        labels = np.asarray(patterns.labels_)
        if len(labels) != len(self.cases):
            raise BriefError(
                f"the patterns were fitted on {len(labels)} cases but {len(self.cases)} cases were given; "
                "pass the cases table the estimator was fitted on"
            )
        def members() -> pd.DataFrame:
            clusters = pd.DataFrame({"case_id": self.everyone["case_id"].array, "cluster": labels})
            return self._with_consent(clusters[clusters["cluster"] >= 0], persons())

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

    def steps_and_hits(self, persons: _Build) -> tuple[PeopleOf, PeopleOf]:
        """The people of ``persons`` on each segment and with an incident (consent joined), for
        :meth:`segments`, :meth:`corridor_rate` and :meth:`risk_places`."""
        segment_people = _membership(self.network, "segment_people")
        incident_people = _membership(self.network, "incident_people")
        steps = cache(lambda: self._with_consent(segment_people, persons()))
        hits = cache(lambda: self._with_consent(incident_people, persons()))
        return (self.people_of(segment_people, persons, steps),
                self.people_of(incident_people, persons, hits))

    def segments(self, steps: PeopleOf, hits: PeopleOf) -> pd.DataFrame:
        """Per segment (u, v): released ``n_people`` and incidents per 100 people with a 95 % interval."""
        from routes.privacy import PeopleOf, release_rate

        def with_incident() -> pd.DataFrame:
            return hits().dropna(subset=["u", "v"])

        # (a row with no segment is in no cell: the shared table's count drops it too)
        numerator = PeopleOf(hits.table, hits.chosen, with_incident)
        rates = release_rate(numerator, steps, ["u", "v"], policy=self.policy, margins=False,
                             label=f"{self.corridor}:segments")
        self.withheld += int(rates["suppressed"].sum())
        return rates.set_index(["u", "v"])[["n_people", "rate", "rate_low", "rate_high"]]

    def corridor_rate(self, steps: PeopleOf, hits: PeopleOf, persons: _Build) -> float | None:
        """Incidents per 100 people over all the corridor's segments, when publishable."""
        from routes.privacy import PeopleOf, release_rate

        def people() -> pd.DataFrame:
            return self._scoped(_one_row_a_person(steps()[["case_id", "consent_reporting"]]))

        def hit() -> pd.DataFrame:
            located = hits().dropna(subset=["u"])[["case_id", "consent_reporting"]]
            return self._scoped(_one_row_a_person(located))

        on_segments = self.network_people.rows_where("incident_people", "u")  # (shared by every brief)
        rates = release_rate(self.people_of(on_segments, persons, hit, scope=self.corridor),
                             PeopleOf(steps.table, steps.chosen, people, {"scope": self.corridor}),
                             ["scope"], policy=self.policy, margins=False, label=f"{self.corridor}:corridor")
        return None if rates.empty or pd.isna(rates["rate"].iloc[0]) else float(rates["rate"].iloc[0])

    def risk_places(self, hits: _Build, persons: _Build) -> tuple[PlaceFigure, ...]:
        def members() -> pd.DataFrame:
            located = hits().dropna(subset=["place_id"])
            return located[located["risk"].isin(RISK_TYPES).to_numpy(dtype=bool)]

        risks = self.network_people.rows_where("incident_people", "risk", RISK_TYPES)  # (every brief's)
        table = self.count(self.people_of(risks, persons, members), ["risk", "place_id"], "risk places")
        table = table.dropna(subset=["n_people"])
        table = table.sort_values(["n_people", "place_id"], ascending=[False, True])
        top = table.drop_duplicates("risk").set_index("risk")
        return tuple(
            PlaceFigure(self.names[str(top.at[r, "place_id"])], _count(top.at[r, "n_people"]), r)
            for r in RISK_TYPES
            if r in top.index
        )

    def places(self, persons: _Build) -> tuple[PlaceFigure, ...]:
        """The places with most people (people affected, for a public source), as released."""

        def members() -> pd.DataFrame:
            return self._with_consent(_membership(self.network, "place_people"), persons()).astype(
                {"place_id": str}
            )

        table = self.count(members, ["place_id"], "places")
        table = table.dropna(subset=["n_people"])
        table = table[table["n_people"] > 0].sort_values(["n_people", "place_id"], ascending=[False, True])
        return tuple(
            PlaceFigure(self.names[p], _count(n))
            for p, n in zip(table["place_id"].head(TOP_ROWS), table["n_people"].head(TOP_ROWS), strict=True)
        )

    def journeys(self, persons: _Build) -> Callable[[], _Journeys]:
        """Builder of the journeys of ``persons`` (consent joined), step by step."""
        steps = _membership(self.network, "journeys")
        return cache(lambda: _Journeys.of(self._with_consent(steps, persons())))

    def chokepoints(self, journeys: Callable[[], _Journeys], persons: _Build) -> tuple[PlaceFigure, ...]:
        shared = self.network_people.passing  # every journey's steps between its ends, once
        passing = self.people_of(shared, persons, lambda: _passing(journeys()))
        table = self.count(passing, ["place_id"], "passing").dropna(subset=["n_people"])
        table = table.sort_values(["n_people", "place_id"], ascending=[False, True]).head(TOP_ROWS)
        return tuple(
            PlaceFigure(self.names[p], _count(n))
            for p, n in zip(table["place_id"], table["n_people"], strict=True)
        )

    def routes(self, journeys: Callable[[], _Journeys], persons: _Build) -> tuple[RouteFigure, ...]:
        """The most frequent origin → destination pairs (first and last place of a journey)."""

        def members() -> pd.DataFrame:
            return self._with_consent(_routes_of(journeys(), self.names), persons())

        shared = self.network_people.routes  # every journey's route, once
        table = self.count(self.people_of(shared, persons, members), ["route"], "routes")
        table = table.dropna(subset=["n_people"])
        table = table.sort_values(["n_people", "route"], ascending=[False, True]).head(TOP_ROWS)
        return tuple(
            RouteFigure(r, _count(n)) for r, n in zip(table["route"], table["n_people"], strict=True)
        )

    def gaps(
        self,
        services: gpd.GeoDataFrame,
        segments: pd.DataFrame,
        persons: _Build,
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
        place_people = _membership(self.network, "place_people")

        def places() -> pd.DataFrame:
            return self._with_consent(place_people, persons())

        counted = self.count(self.people_of(place_people, persons, places), ["place_id"], "places")
        at_place = counted.set_index("place_id")["n_people"]
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

    def emerging(self, before: _Build, after_segments: pd.DataFrame) -> tuple[EmergingFigure, ...]:
        """The segments (three at most, largest gain first) whose published people grew by
        :data:`EMERGING_GROWTH` or more from a published count of the previous period, or which are new
        (no one counted there: the segment is not in the previous table). A segment whose previous count
        is withheld is never one: an unknown base shows no growth (and calling it growth would tell of
        the withheld count)."""
        segment_people = _membership(self.network, "segment_people")

        def steps() -> pd.DataFrame:
            return self._with_consent(segment_people, before())

        counted = self.count(self.people_of(segment_people, before, steps), ["u", "v"], "previous segments")
        previous = counted.set_index(["u", "v"])["n_people"]
        after = after_segments["n_people"].dropna().astype(float)
        new = ~after.index.isin(previous.index)
        prior = np.where(new, 0.0, previous.reindex(after.index).astype(float).to_numpy())  # NaN: withheld
        grown = new | (after.to_numpy() >= (1 + EMERGING_GROWTH) * prior)  # False against NaN
        rows = pd.DataFrame({"after": after, "before": prior})[grown]
        rows = rows.assign(gain=rows["after"] - rows["before"]).sort_values("gain", ascending=False)
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


@dataclass(frozen=True)
class _Journeys:
    """Journeys step by step, ordered by person then position, and where each person's steps run."""

    steps: pd.DataFrame
    first: np.ndarray  # row of each person's first step
    last: np.ndarray  # row of each person's last step
    person: np.ndarray  # each row's person (0, 1, ... in order)

    @classmethod
    def of(cls, steps: pd.DataFrame) -> _Journeys:
        """Order ``steps`` (``case_id``, ``pos``...) by person and position with integer codes (a
        categorical's, in the order of its categories, as sorting it gives)."""
        ids = steps["case_id"]
        code = (np.asarray(ids.cat.codes) if isinstance(ids.dtype, pd.CategoricalDtype)
                else pd.factorize(ids, sort=True)[0])
        order = np.lexsort((steps["pos"].to_numpy(), code))
        code = code[order]
        starts = np.r_[True, code[1:] != code[:-1]] if len(code) else np.zeros(0, dtype=bool)
        first = np.flatnonzero(starts)
        last = np.r_[first[1:] - 1, len(code) - 1] if len(first) else first
        return cls(steps.take(order), first, last, np.cumsum(starts) - 1)


def _groups_of(rows: pd.DataFrame) -> pd.DataFrame:
    """Long table (``case_id``, ``group``) of the sub-sector groups of ``rows`` (:func:`case_persons`'
    rows), row by row as stacking the group flags gives (without building the unset ones)."""
    flags = rows[[c for c in rows.columns if c.startswith(_GROUP)]]
    row, flag = np.nonzero(flags.to_numpy(dtype=bool))
    names = flags.columns.str.removeprefix(_GROUP)
    return pd.DataFrame({"case_id": rows["case_id"].array.take(row), "group": _coded(flag, names)})


def _codes_of(rows: pd.DataFrame, column: str, vocabulary: str) -> pd.DataFrame:
    """Long table (``case_id``, ``code``) of a multi-valued case field of ``rows``, without ``none``.

    Each distinct value of the field is split once (cases repeat a few combinations of codes) and its
    rows take its codes, in the order stacking every row's indicators gives.
    """
    value, distinct = pd.factorize(rows[column])
    hot = multi_hot(pd.Series(distinct, dtype=object), vocabulary).drop(columns="none", errors="ignore")
    known = np.flatnonzero(value >= 0)
    row, code = np.nonzero(hot.to_numpy(dtype=bool)[value[known]])
    ids = rows["case_id"].array.take(known[row])
    return pd.DataFrame({"case_id": ids, "code": _coded(code, hot.columns)})


def _passing(steps: _Journeys) -> pd.DataFrame:
    """The steps of ``steps`` between the ends of their person's journey (passing through)."""
    pos = steps.steps["pos"].to_numpy()
    last = pos[steps.last][steps.person]  # each step's person's last position
    return steps.steps[(pos > 0) & (pos < last)]


def _routes_of(steps: _Journeys, names: pd.Series) -> pd.DataFrame:
    """One row a person whose journey ends elsewhere than it starts: ``case_id`` and ``route``, the
    (origin, destination) names (``names``: of each place id)."""
    place = steps.steps["place_id"]
    ends = pd.DataFrame(
        {"origin": place.take(steps.first).to_numpy(), "destination": place.take(steps.last).to_numpy()},
        index=pd.Index(steps.steps["case_id"].take(steps.first), name="case_id"),
    )
    ends = ends[ends["origin"].astype(str) != ends["destination"].astype(str)].astype(str)
    origin, _ = pd.factorize(ends["origin"])
    destination, destinations = pd.factorize(ends["destination"])
    pairs = origin.astype(np.int64) * max(len(destinations), 1) + destination
    _, first, pair = np.unique(pairs, return_index=True, return_inverse=True)  # each pair named once
    heads = ends.take(first)
    named = np.empty(len(first), dtype=object)
    origins, ends_at = names[heads["origin"]], names[heads["destination"]]
    for i, pair_names in enumerate(zip(origins, ends_at, strict=True)):
        named[i] = pair_names
    return pd.Series(named[pair.ravel()], index=ends.index, name="route", dtype=object).reset_index()


def case_persons(cases: pd.DataFrame) -> pd.DataFrame:
    """One row a case, in the order of ``cases``: ``case_id`` (categorical), registration ``month``,
    ``case_type`` and ``consent_reporting`` (categorical), and what a brief counts of each case: its
    sub-sector groups (one boolean column a group, named ``group:`` and the group's code,
    :func:`routes.schema.sub_sector_groups`), its ``assistance`` and ``referred_to`` codes
    (categoricals of the fields' text, when the cases hold them) and ``referral_completed``.

    What the briefs select their people from. A release builds it once for every corridor's brief
    (:func:`brief_findings`' ``everyone``): the case ids are coded once, and every table of every
    brief drawn from the cases shares that codebook (selections and joins compare integer codes);
    the groups and the response fields are read once, not once a corridor.
    """
    persons = pd.DataFrame(
        {
            "case_id": pd.Categorical(cases["case_id"].astype(str)),
            "month": pd.PeriodIndex(pd.to_datetime(cases["date_registered"]), freq="M"),
            "case_type": pd.Categorical(cases["case_type"].astype(str)),
            "consent_reporting": pd.Categorical(cases["consent_reporting"].astype(str)),
        }
    )
    groups = sub_sector_groups(cases)
    for name in groups.columns:
        persons[_GROUP + name] = groups[name].to_numpy(dtype=bool)
    for column in ("assistance", "referred_to"):
        if column in cases.columns:
            persons[column] = pd.Categorical(cases[column].to_numpy(dtype=object))
    if "referral_status" in cases.columns:
        completed = cases["referral_status"].astype(str).eq("completed")
        persons["referral_completed"] = completed.to_numpy(dtype=bool)
    return persons


#: Prefix of :func:`case_persons`' group columns.
_GROUP = "group:"


def _coded(codes: np.ndarray, names: pd.Index) -> pd.Categorical:
    """``names[codes]`` as a categorical: a few names over a million rows, not a million strings (a
    table counts a categorical's values as it counts the same text)."""
    return pd.Categorical.from_codes(codes, categories=pd.Index(names, dtype=object))


def _one_row_a_person(members: pd.DataFrame) -> pd.DataFrame:
    """One row of each person of ``members`` (a person's rows carry the same consent)."""
    ids = members["case_id"]
    if isinstance(ids.dtype, pd.CategoricalDtype):
        return members.iloc[np.unique(np.asarray(ids.cat.codes), return_index=True)[1]]
    return members.drop_duplicates()


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
    everyone: pd.DataFrame | None = None,
    network_people: NetworkPeople | None = None,
) -> BriefFindings:
    """Every released number of one brief (``compare``: with the previous period; by default when
    ``period`` is given). A release (:class:`routes.publish.Release`) runs this for each corridor,
    with the network's service gaps (``network_gaps``: :func:`service_gaps_by_type`), the cases'
    people (``everyone``: :func:`case_persons` of ``cases``) and the network's people
    (``network_people``: :class:`NetworkPeople` of ``network``) computed once.

    Every table of the brief is counted whatever its corridor total, and the sections are kept only
    when that total is published and not zero. A release runs this twice, counting then reading the
    protected values (:meth:`routes.publish.Release.build`): which tables it counts must depend on
    its inputs only, never on a value it reads. Counted only when the total passed, a corridor whose
    total is under k when counted but shown once protected (noise in a formal release, or the value
    a ledger keeps for a revised period) would ask the second pass for tables the first never
    counted; and which briefs were counted would depend on the exact total, in the manifest's
    accounting of a formal release. A table counted but not shown is still protected."""
    collector = _Collector(network, cases=cases, policy=policy, corridor=corridor, everyone=everyone,
                           network_people=network_people)
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
    withheld = collector.withheld
    sections = _sections(collector, persons, previous_persons, patterns, compare=compare,
                         services=services, gap_radius_km=gap_radius_km, network_gaps=network_gaps)
    if people:
        findings.update(sections)
    else:  # nothing of the brief is shown: what its sections withheld is not counted either
        collector.withheld = withheld
    findings["geonames"] = _names_fallback_town(network, findings)
    return BriefFindings(withheld=collector.withheld, **findings)


def _sections(
    collector: _Collector,
    persons: _Build,
    previous_persons: _Build,
    patterns: PatternClusters | None,
    *,
    compare: bool,
    services: gpd.GeoDataFrame | None,
    gap_radius_km: float,
    network_gaps: Mapping[str, pd.DataFrame] | None,
) -> dict[str, Any]:
    """Every section of a brief below its corridor total (:func:`brief_findings`), counted whatever
    that total: the tables a brief counts depend on its inputs, never on a value it reads."""
    network, cases = collector.network, collector.cases
    out: dict[str, Any] = {}
    if compare:
        out["previous_people"] = collector.total(previous_persons, "previous people")
    out["case_types"] = collector.released(persons, "case_type", CASE_TYPES, "case types")
    if cases is not None:
        out["groups"] = collector.groups(persons)
        out.update(collector.response(persons))
        if patterns is not None:
            out["patterns"] = collector.patterns(persons, patterns)
    steps, hits = collector.steps_and_hits(persons)
    segments = collector.segments(steps, hits)
    corridor_rate = collector.corridor_rate(steps, hits, persons)
    # Ranked by the lower end of the 95 % interval: a high rate among few people ranks below a
    # slightly lower one among many.
    ranked = segments[segments["rate"] > 0].sort_values(["rate_low", "n_people"], ascending=False)
    ranked = ranked.head(TOP_ROWS)
    out["segments"] = tuple(
        SegmentFigure(collector.names[u], collector.names[v], _count(n), float(rate))
        for (u, v), n, rate in zip(ranked.index, ranked["n_people"], ranked["rate"], strict=True)
    )
    out["corridor_rate"] = corridor_rate
    out["risk_places"] = collector.risk_places(hits, persons)
    journeys = collector.journeys(persons)
    out["chokepoints"] = collector.chokepoints(journeys, persons)
    out["routes"] = collector.routes(journeys, persons)
    if compare:
        out["emerging"] = collector.emerging(previous_persons, segments)
    if services is not None:
        out["gaps"] = collector.gaps(services, segments, persons, gap_radius_km, network_gaps)
    out["map_segments"], out["map_places"] = collector.map_layers(
        segments, corridor_rate, out["chokepoints"]
    )
    if not len(network.segments):  # an incident data set: places, no flows
        out["flows"] = False
        out["places"] = collector.places(persons)
    return out


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
