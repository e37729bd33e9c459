"""One protected release per publication: every public table of a map, the briefs and the export.

:meth:`Release.build` counts, once, everything any product of one publication shows (the map's
layers and every corridor's brief findings) for one period of a fixed grid, from the people who
consented to reporting, into one :class:`~routes.publish.cells.CellStore`; protects the store as a
whole; checks it against the ledger of earlier releases; attacks it (:mod:`routes.publish.audit`);
and only then computes the products again with their final values (the store gives each table the
cells it counted the first time, and the products hand their memberships as builders that this
second pass never calls: no person is touched again). The second pass reads the tables the first
counted and no other (:meth:`~routes.publish.cells.CellStore.check_reads`): which tables a product
counts depends on its inputs, never on a value it reads, so the set of tables protected is the same
whatever the noise draw or the ledger's values. Maps (:func:`routes.maps.release_map`),
briefs (:func:`routes.briefs.release_brief`) and :meth:`Release.to_files` render those tables, so the
map, every brief and both languages agree on every cell by construction.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from routes._frame import is_in
from routes._i18n import PUBLICATION
from routes.errors import DisclosureError, PolicyError
from routes.privacy import DisclosurePolicy, counting
from routes.publish.audit import AuditReport, audit_store
from routes.publish.cells import UNSEEN, CellKey, CellStore, Sticky
from routes.publish.together import case_contributors

if TYPE_CHECKING:
    import geopandas as gpd

    from routes.network import RouteNetwork
    from routes.patterns import PatternClusters
    from routes.publish.findings import BriefFindings
    from routes.publish.formal import PublicDomain
    from routes.publish.layers import PublishedLayers
    from routes.publish.ledger import Ledger, RecordedPatterns

__all__ = ["Release", "ReleasePeriod"]

_GRID = {"Y": "year", "Q": "quarter", "M": "month"}


@dataclass(frozen=True)
class ReleasePeriod:
    """A period of the publication grid: one year, quarter or month, or a run of whole years.

    Free date ranges are refused: two releases over overlapping free ranges give, by subtraction,
    the people of the months where they differ.
    """

    first: pd.Period
    last: pd.Period

    @classmethod
    def parse(cls, value: str | None, *, months: pd.Series | None = None) -> ReleasePeriod:
        """``"2023"``, ``"2023Q2"``, ``"2023-05"``, ``"2022/2023"`` (whole years); ``None``: the whole
        years that hold ``months``."""
        if value is None:
            known: pd.Series = (  # months: Periods
                pd.Series(months).dropna() if months is not None else pd.Series([], dtype=object)
            )
            if known.empty:
                raise PolicyError("no dated record to publish: give the release a period, e.g. '2023'")
            first, last = known.min().asfreq("Y"), known.max().asfreq("Y")
            return cls(first, last)
        text = str(value).strip()
        try:
            if "/" in text:
                first, last = (pd.Period(part.strip(), freq="Y") for part in text.split("/", 1))
            else:
                first = last = pd.Period(text)
        except (ValueError, TypeError) as exc:
            raise PolicyError(
                f"period {value!r}: expected a year ('2023'), a quarter ('2023Q2'), a month "
                "('2023-05') or whole years ('2022/2023'); free date ranges are not published"
            ) from exc
        if first.freqstr[0] not in _GRID:
            raise PolicyError(f"period {value!r}: expected a year, a quarter or a month")
        if last < first:
            raise PolicyError(f"period {value!r} ends before it starts")
        return cls(first, last)

    @property
    def label(self) -> str:
        """``2023``, ``2023Q2``, ``2023-05`` or ``2022/2023``."""
        return str(self.first) if self.first == self.last else f"{self.first}/{self.last}"

    @property
    def single(self) -> bool:
        """One grid period (then briefs compare it with the one before)."""
        return self.first == self.last

    @property
    def months(self) -> tuple[pd.Period, pd.Period]:
        """First and last month."""
        return self.first.asfreq("M", how="start"), self.last.asfreq("M", how="end")

    @property
    def previous(self) -> ReleasePeriod:
        """The grid period just before (same length)."""
        length = (self.last - self.first).n + 1
        return ReleasePeriod(self.first - length, self.last - length)

    @property
    def following(self) -> ReleasePeriod:
        """The grid period just after (same length): the one that compares with this one."""
        length = (self.last - self.first).n + 1
        return ReleasePeriod(self.first + length, self.last + length)

    def contains(self, months: pd.Series) -> np.ndarray:
        """Which monthly periods fall inside."""
        first, last = self.months
        values = pd.Series(months)
        return (values.notna() & (values >= first) & (values <= last)).to_numpy(dtype=bool)

    def overlaps(self, other: ReleasePeriod) -> bool:
        """Whether the two periods share a month."""
        a, b = self.months, other.months
        return not (a[1] < b[0] or b[1] < a[0])


def _rows(frame: pd.DataFrame, chosen: np.ndarray) -> pd.DataFrame:
    """The ``chosen`` rows of ``frame`` (a boolean array); ``frame`` itself when every row is chosen.

    A release of the whole data (the default period: every year it holds) keeps every case and event:
    selecting them would copy every text column of a million rows (seconds), to the same values.
    Copy on write keeps ``frame`` unchanged whatever a later step does with the rows.
    """
    return frame if chosen.all() else frame.loc[chosen]


def _fingerprint(
    ledger: Ledger, cases: pd.DataFrame, registered: pd.Series, counted: np.ndarray
) -> pd.DataFrame:
    """The ledger's fingerprint of the ``counted`` cases."""
    return ledger.fingerprint(
        cases["case_id"][counted], registered[counted], _rows(cases, counted).reindex(columns=list(PROFILE))
    )


def _months(dates: pd.Series) -> pd.Series:
    return pd.to_datetime(dates, errors="coerce").dt.to_period("M")


@dataclass(frozen=True)
class Release:
    """Every public table of one publication, protected together; built by :meth:`build`.

    Attributes
    ----------
    release_id : str
        Twelve hex digits naming the published values (same inputs and ledger: same id); printed on
        every product.
    dataset, period, policy, source
        What was published, for which grid period, under which rules, from where.
    layers : PublishedLayers
        The map's tables.
    findings : Mapping[str, BriefFindings]
        Corridor (or ``"all"``) → the numbers of its brief.
    audit : AuditReport
        The attack on the release; products refuse to render a release that failed it.
    withheld : Mapping[str, int]
        Withheld cells per reason (counts only: which cells is never published).
    compared : ReleasePeriod or None
        The period before, which the briefs print beside a single period (None: no comparison).
    uncompared : str
        Why a single period's briefs compare with nothing: the period before was published on
        another grid or under another policy (see :meth:`Ledger.why_not_compared
        <routes.publish.ledger.Ledger.why_not_compared>`); "" otherwise.
    """

    release_id: str
    dataset: str
    period: ReleasePeriod
    policy: DisclosurePolicy
    source: str
    layers: PublishedLayers
    findings: Mapping[str, BriefFindings]
    audit: AuditReport
    withheld: Mapping[str, int]
    target: int | None = None
    assisted: int | None = None
    cells: pd.DataFrame = field(repr=False, default_factory=pd.DataFrame)
    _store: CellStore | None = field(repr=False, default=None, compare=False)
    compared: ReleasePeriod | None = None
    uncompared: str = ""

    @classmethod
    def build(
        cls,
        cases: pd.DataFrame,
        events: pd.DataFrame,
        *,
        policy: DisclosurePolicy | None = None,
        period: str | None = None,
        patterns: PatternClusters | None = None,
        services: gpd.GeoDataFrame | None = None,
        hexagons: bool = True,
        corridors: Sequence[str] | None = None,
        target: int | None = None,
        assisted: int | None = None,
        dataset: str = "cases",
        source: str = "",
        ledger: Ledger | None = None,
        revise: bool = False,
        gap_radius_km: float = 25.0,
    ) -> Release:
        """Count, protect, check and attack one publication.

        Parameters
        ----------
        cases, events
            Validated tables (:func:`routes.io.validate`). Only people whose ``consent_reporting``
            is yes are counted, in every table and in the pattern model.
        policy
            :meth:`DisclosurePolicy.public` by default.
        period
            A grid period (``"2023"``, ``"2023Q2"``, ``"2023-05"``, ``"2022/2023"``); by default the
            whole years of the data. People count in the period of their registration.
        patterns
            An unfitted (or fitted: it is refitted) :class:`~routes.patterns.PatternClusters`; the
            release fits a copy on the consenting people it publishes, seeded with 0 when it has
            no ``random_state`` (same inputs, same clusters and numbering: a release re-renders
            byte for byte, and a ledger's cluster keys keep naming the same clusters).
        services
            Service points, for gaps.
        hexagons
            Publish H3 hexagons of incidents at the policy's finest resolution, Gi* computed from the
            published counts.
        corridors
            Corridors that get a brief (``"all"`` is always added); by default every gazetteer
            corridor.
        target
            The sub-sector's target for the period, printed as given.
        assisted
            People assisted in the period as the programme reports them (its 5W figure), printed as
            given in the all-corridors brief and the manifest, and said to be so.
        dataset, source
            The data set's name in the ledger and the source printed on products. A data set whose
            people are those of a release the ledger recorded under another name, for an
            overlapping period, takes that name (see :mod:`routes.publish.ledger`).
        ledger
            Earlier releases (:class:`~routes.publish.ledger.Ledger`): a period already published is
            published again with the same values unless ``revise``; a revision changes a cell only
            when k or more people changed in it; a period overlapping another published period is
            refused.
        revise
            Publish a revision of a period already in the ledger.

        Raises
        ------
        DisclosureError
            When the period overlaps another published period of the data set, or the audit
            recovers a withheld cell.
        """
        from sklearn.base import clone

        from routes.network import RouteNetwork
        from routes.places import CORRIDORS
        from routes.publish.findings import (
            ALL_CORRIDORS,
            NetworkPeople,
            ReportingPeriod,
            brief_findings,
            case_persons,
            service_gaps_by_type,
        )
        from routes.publish.layers import publish_layers

        policy = DisclosurePolicy.public() if policy is None else policy
        unknown = [c for c in (corridors or ()) if c not in (*CORRIDORS, ALL_CORRIDORS)]
        if unknown:
            raise PolicyError(f"unknown corridor(s) {unknown}; expected one of {', '.join(CORRIDORS)} or all")
        if policy.weighted:
            cases, events = _incidents_as_units(cases, events)
        registered = _months(cases["date_registered"])
        grid = ReleasePeriod.parse(period, months=registered)
        consenting = policy.eligible(cases).to_numpy(dtype=bool)
        now = grid.contains(registered) & consenting
        if not now.any():
            hint = ("" if policy.weighted or consenting.any() else
                    "; if the records are data their source already published (a public incident data set), "
                    "publish them with the public-source policy (--policy public-source --source NAME)")
            raise PolicyError(f"no consenting person registered in {grid.label}: nothing to publish{hint}")
        compare = grid.single  # a single period's briefs compare with the one before: its people count too
        both = (now | (grid.previous.contains(registered) & consenting)) if compare else now
        people = None
        recorded = None
        uncompared = ""
        if ledger is not None:  # before counting: a refusal costs nothing, and earlier briefs count again
            people = _fingerprint(ledger, cases, registered, both)
            dataset = ledger.same_people(dataset, grid, people) or dataset
            ledger.check_overlap(dataset, grid, policy)
            ledger.check_policy(dataset, grid, policy)
            uncompared = ledger.why_not_compared(dataset, grid.previous, policy) if compare else ""
            if uncompared:  # the period before is left out: its people are not counted nor charged
                compare, both = False, now
                people = _fingerprint(ledger, cases, registered, both)
            earlier = ledger.published_scopes(dataset, grid, policy)
            asked = CORRIDORS if corridors is None else corridors
            corridors = [*asked, *(c for c in CORRIDORS if c in earlier)]
            if patterns is not None:
                recorded = ledger.recorded_patterns(dataset, grid, policy)
        cases_now = _rows(cases, now).reset_index(drop=True)
        cases_all = _rows(cases, both).reset_index(drop=True) if compare else cases_now
        ids_now, ids_all = cases_now["case_id"], cases_all["case_id"]
        case_of_event = events["case_id"].astype(str)
        events_now = _rows(events, is_in(case_of_event, ids_now))
        events_all = _rows(events, is_in(case_of_event, ids_all)) if compare else events_now
        network = RouteNetwork.from_events(events_now, cases=cases_now)
        brief_network = (
            RouteNetwork.from_events(events_all, cases=cases_all)
            if compare
            else network
        )
        model = None
        if patterns is not None and recorded is not None and ledger is not None:
            model = _as_recorded(patterns, recorded, ledger.digests(ids_all))
        elif patterns is not None:
            model = clone(patterns)
            if model.random_state is None:
                model.set_params(random_state=0)
            model.fit(cases_all, events=events_all)
        if policy.mode == "formal":  # every corridor's noise at once: a later brief of the period reuses it
            corridors = None  # and costs nothing, where each corridor's first brief spent a release's ρ
        chosen = tuple(dict.fromkeys([*(CORRIDORS if corridors is None else corridors), ALL_CORRIDORS]))
        reporting = ReportingPeriod(*grid.months)

        points = _incident_points(events_now, policy) if hexagons else None
        gaps = (
            service_gaps_by_type(brief_network, services, gap_radius_km) if services is not None else None
        )  # the same for every corridor and both passes
        everyone = case_persons(cases_all)  # the cases' ids coded once for every brief
        reach = NetworkPeople(brief_network)  # every corridor's people, found once

        def products() -> tuple[PublishedLayers, dict[str, BriefFindings]]:
            hexes = _hexagons(points, policy, gi=store.protected) if points is not None else None
            layers = publish_layers(
                network,
                patterns=model,
                cases=cases_all if model is not None else None,
                hotspots=hexes,
                services=services,
                policy=policy,
                gap_radius_km=gap_radius_km,
            )
            findings = {
                corridor: brief_findings(
                    brief_network,
                    model,
                    cases=cases_all,
                    corridor=corridor,
                    period=reporting,
                    compare=compare,
                    target=target,
                    programme_people=assisted,
                    services=services,
                    policy=policy,
                    gap_radius_km=gap_radius_km,
                    network_gaps=gaps,
                    everyone=everyone,
                    network_people=reach,
                )
                for corridor in chosen
            }
            return layers, findings

        if policy.mode == "public_source":
            _refuse_case_records(cases)
        store = CellStore(policy)
        if policy.weighted:
            store.weights = _people_affected(cases_all, events_all)
            source = source or policy.source + (f" ({policy.licence})" if policy.licence else "")
        else:
            store.contributors = case_contributors(cases_all)
        if policy.mode == "formal":
            store.public_domain = _public_domain(chosen)
            for each in {id(network): network, id(brief_network): brief_network}.values():
                _with_public_places(each)
        with counting(store):
            products()
        sticky: dict[Any, Sticky] = {}
        if ledger is not None:
            sticky = ledger.published_cells(dataset, grid, policy)
            if grid.single:  # the people of a period shown by its own release and compared by the next's
                sticky = {
                    **_compared(ledger.published_cells(dataset, grid.following, policy), as_previous=False),
                    **(_compared(ledger.published_cells(dataset, grid.previous, policy)) if compare else {}),
                    **sticky,
                }
        reuse = bool(sticky) and not revise
        store.protect(sticky=sticky, reuse=reuse)
        if ledger is not None and policy.mode == "formal" and len(store.frozen_values) < len(store.keys):
            from routes.publish.formal import plan_for  # new noise: the budget pays for it

            ledger.check_budget(dataset, plan_for(policy).rho, policy, people)
        with counting(store):
            layers, findings = products()
        store.check_reads()  # the second pass read only what the first counted, whatever the values
        report = audit_store(store)
        if reuse and ledger is not None and len(store.frozen_values) == len(store) and report.passed:
            report = replace(report, recorded=ledger.recorded_audit(dataset, grid, policy))
        cells = store.cells_table()
        release_id = _release_id(dataset, grid, policy, cells)
        withheld = {  # (a cell shown as no one, as an earlier release showed it, is not withheld)
            str(k): int(v)
            for k, v in cells.loc[~cells["reason"].isin(["", UNSEEN]), "reason"].value_counts().items()
        }
        release = cls(
            release_id,
            dataset,
            grid,
            policy,
            source,
            layers,
            findings,
            report,
            withheld,
            target,
            assisted,
            cells,
            store,
            grid.previous if compare else None,
            uncompared,
        )
        if not report.passed:
            raise DisclosureError(f"release {release_id}", [report.summary()])
        if ledger is not None:
            kept = None if model is None else _to_record(model, ledger.digests(ids_all))
            ledger.record(release, revision=revise, people=people, patterns=kept)
        return release

    # -- what products read ---------------------------------------------------------------------------

    def check(self) -> None:
        """Raise :class:`DisclosureError` when the audit of this release failed."""
        if not self.audit.passed:
            raise DisclosureError(
                f"release {self.release_id}", ["it failed its audit: " + self.audit.summary()]
            )

    def stamp(self, lang: str = "en") -> str:
        """The line every product carries: release id, period, data set."""
        return PUBLICATION.text("stamp", lang).format(
            release_id=self.release_id, period=self.period.label, dataset=self.dataset
        )

    def manifest(self) -> dict[str, Any]:
        """Policy, period, source and what was withheld, as written in ``manifest.json``."""
        p = self.policy
        return {
            "release_id": self.release_id,
            "classification": "CONFIDENTIAL: internal detail, never to be published"
            if p.audience == "internal" else "public",
            "dataset": self.dataset,
            "period": self.period.label,
            "period_unit": _GRID[self.period.first.freqstr[0]],
            "source": self.source,
            "policy": {
                "audience": p.audience,
                "k": p.k,
                "rounding": p.rounding,
                "time_unit": p.time_unit,
                "max_h3_resolution": p.max_h3_resolution,
                "require_consent": p.require_consent,
                "reference": p.reference,
            },
            "counted": ("people affected per record, as the source published them, by month"
                        if p.weighted else
                        "distinct people who consented to reporting, by month of registration"),
            "programme_figures": {"assisted": self.assisted, "target": self.target,
                                  "note": "given by the analyst, printed as given"},
            "mode": p.mode,
            "formal": (
                self._store.formal_plan.as_dict()
                if self._store is not None and self._store.formal_plan is not None
                else None
            ),
            "contributors": self._contributor_rule(),
            "cells_published": int((self.cells["reason"] == "").sum()),
            # why cells were withheld, not how many: their number is a statistic of small cells
            "cells_withheld_because": sorted(self.withheld),
            "audit": self.audit.public_summary(),
            "corridors": sorted(self.findings),
            "note": "reported cases, not prevalence",
        }

    def _contributor_rule(self) -> dict[str, Any] | None:
        """Who the protection treats as knowing their own records (the manifest's ``contributors``)."""
        store = self._store
        columns = [] if store is None or store.contributors is None else list(store.contributors.columns)
        if not columns or self.policy.mode != "rounding":
            return None
        return {
            "columns": [str(c) for c in columns],
            "rule": "a member of the pooled data set knows its own records, and two organisations "
            "may pool theirs: no published count, nor what a total and its published parts leave for "
            "the withheld ones, minus one member's or two organisations' own people in it, leaves the "
            "others 1 to k-1 people",
        }

    def to_files(self, folder: str | os.PathLike[str]) -> list[Path]:
        """Write the public data export: CSV with an HXL hashtag row, GeoJSON and ``manifest.json``.

        What partners upload to a data-sharing platform; the same values the map and briefs show.
        """
        from routes.publish.export import write_release

        self.check()
        return write_release(self, Path(folder))

    def _repr_html_(self) -> str:
        from html import escape

        rows = "".join(
            f"<tr><th>{escape(str(k))}</th><td>{escape(str(v))}</td></tr>"
            for k, v in self.manifest().items()
            if k != "policy"
        )
        return f"<table><caption>{escape(self.stamp())}</caption>{rows}</table>"


def _public_domain(corridors: Sequence[str]) -> PublicDomain:
    """The keys of a formal release known without its data.

    The briefs' tables of schema codes (each corridor's and the all-corridors totals, assistance and
    referral codes, case types, groups) and the places of the curated gazetteer, in the briefs'
    tables of places and the map's ``places``. Segments, routes, periods, hexagons, risks at a place
    and the gazetteer's GeoNames fallback are not: a table of them lists what the data holds (and a
    risk shown where no one reported it would mislead).
    """
    from routes.places import load_gazetteer
    from routes.publish.formal import PublicDomain
    from routes.schema import GROUPS, VOCABULARIES

    codes = tuple(dict.fromkeys([*VOCABULARIES["assistance"].codes, *VOCABULARIES["referral_target"].codes]))
    return PublicDomain(
        columns={
            "code": codes,
            "case_type": tuple(VOCABULARIES["case_type"].codes),
            "group": tuple(GROUPS),
            "place_id": tuple(str(p) for p in load_gazetteer(fallback=False).places.index),
        },
        prefixes=tuple(corridors),
        labels=("places",),
    )


def _with_public_places(network: RouteNetwork) -> None:
    """Add every curated gazetteer place the network lacks, with no one in it (formal mode).

    A place is a public key of a formal release: a place no one passed is shown when its noise passes
    the display threshold, so the map and the briefs must be able to draw every one, not only the
    places of the data (dropping a shown place the data lacks would be a decision on the data).
    """
    from routes.places import load_gazetteer

    places = network.places
    gazetteer = load_gazetteer(fallback=False).places
    missing = gazetteer.loc[gazetteer.index.difference(places.index)]
    if missing.empty:
        return
    extra = pd.DataFrame(index=missing.index, columns=places.columns)
    for column in places.columns:
        if column in missing.columns:
            extra[column] = missing[column]
        elif pd.api.types.is_numeric_dtype(places[column]):
            extra[column] = 0
    extra["x"], extra["y"] = missing.geometry.x, missing.geometry.y
    extra = extra.astype({c: places[c].dtype for c in places.columns if c != "geometry"})
    network.places = type(places)(pd.concat([places, extra]), geometry="geometry", crs=places.crs)


def _incident_points(events: pd.DataFrame, policy: DisclosurePolicy) -> pd.DataFrame:
    """One row per incident with coordinates: ``case_id`` and its H3 cell (``h3_cell``, categorical)
    at the policy's finest resolution.

    H3 is computed once per distinct coordinate: incidents repeat the places they happen at.
    """
    import h3

    stage = events["stage"].astype("string").fillna("") if "stage" in events.columns else ""
    risk = events["risk"].astype("string").fillna("") if "risk" in events.columns else ""
    lat = pd.to_numeric(events["lat"], errors="coerce").to_numpy(dtype=float)
    lon = pd.to_numeric(events["lon"], errors="coerce").to_numpy(dtype=float)
    chosen = (np.asarray(stage == "incident") | np.asarray(risk != "")) & np.isfinite(lat) & np.isfinite(lon)
    coords, where = np.unique(np.column_stack([lat[chosen], lon[chosen]]), axis=0, return_inverse=True)
    resolution = policy.max_h3_resolution
    at = [h3.latlng_to_cell(a, b, resolution) for a, b in coords]  # per distinct coordinate
    of_coord, cells = pd.factorize(pd.Index(at, dtype="str"), sort=True)
    return pd.DataFrame(
        {
            "case_id": events["case_id"].astype(str).array[chosen],
            "h3_cell": pd.Categorical.from_codes(of_coord[where.ravel()], categories=cells),
        }
    )


def _hexagons(points: pd.DataFrame, policy: DisclosurePolicy, *, gi: bool) -> gpd.GeoDataFrame | None:
    """People with incidents per H3 hexagon (:func:`_incident_points`) as cells of the release; Gi*
    from the published counts (``gi``: once the release is protected; before, only the cells count)."""
    from routes.patterns import hexagon_gi_star
    from routes.privacy import release_counts

    released = release_counts(points, "h3_cell", policy=policy, margins=False, label="hexagons").cells
    if not gi:
        return None
    counts = pd.Series(released["n_people"].array, index=released["h3_cell"].astype(str))
    if counts.empty:
        return hexagon_gi_star(pd.Series([], dtype="Int64"))
    return hexagon_gi_star(counts)


#: What the ledger recognises a person by besides their case id (:meth:`Ledger.fingerprint`): when,
#: where and whom a programme registered, as the validated export has them.
PROFILE = ("date_registered", "place_registered_id", "sex", "age_group", "nationality")


def _refuse_case_records(cases: pd.DataFrame) -> None:
    """A public source never publishes who its people are, nor what a service did for them.

    Records that hold a direct identifier (a name, a document number, a phone, an address), free
    text, the response a service gave (assistance, referrals), a person's refusal to be reported or a
    person's sensitive attributes (gender identity, LGBTIQ+, disability, ethnicity, double
    affectation) are an organisation's case records, de-identified or not: counted as published
    (k = 1, exact counts, no consent), they would show every survivor. A data set its source already
    published holds none of these (a public incident data set, or CTDC's k-anonymised victims: no
    consent column, no services, none of those attributes)."""
    from routes.schema import CASE_FIELDS, Role

    def held(name: str) -> bool:
        if name not in cases.columns:
            return False
        values = cases[name].astype("string").str.strip().str.lower()
        if name == "consent_reporting":
            return bool(values.eq("no").any())
        return bool((~values.fillna("").isin(["", "unknown"])).any())

    case_only = (Role.DIRECT_IDENTIFIER, Role.FREE_TEXT, Role.RESPONSE, Role.CONSENT, Role.SENSITIVE)
    # who recorded a record is no response to a person: a published data set names its source too
    found = [f.name for f in CASE_FIELDS if f.role in case_only and f.name != "organisation" and held(f.name)]
    if found:
        raise PolicyError(
            "the public-source policy is for data its source already published, but these records hold "
            f"what only case records hold ({', '.join(found)}): publish them with the default (or "
            "formal) policy, which counts only people who consented and withholds small counts"
        )


_PART = "#"


def _incidents_as_units(cases: pd.DataFrame, events: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each weighted incident of a record on its own (a weighted policy: already-public data).

    A public incident data set splits one incident over rows under one main id (two sites, two
    causes), each row with its own people affected. Counted as one person of the record's whole
    weight, the incident would add everyone at every place it touches; as units of their own, a
    place counts the people affected there and the whole still adds up to the record's weight. Only
    records of more than one event whose events carry a weight are split (``id#seq``); a record
    weighted as a whole (a case ``weight``, no event weights) stays one unit, journeys included.
    """
    if "weight" not in events.columns or events.empty:
        return cases, events
    weight = pd.to_numeric(events["weight"], errors="coerce")
    ids = events["case_id"].astype(str)
    split = weight.notna().groupby(ids).transform("all") & ids.map(ids.value_counts()).gt(1)
    if not split.any():
        return cases, events
    events = events.copy()
    part = ids[split] + _PART + events.loc[split, "seq"].astype(str)
    events.loc[split, "case_id"] = part
    one = cases.drop_duplicates("case_id").set_index(cases["case_id"].astype(str).drop_duplicates())
    parts = pd.DataFrame({"of": ids[split].to_numpy(), "case_id": part.to_numpy(),
                          "weight": weight[split].to_numpy()})
    added = one.loc[parts["of"]].reset_index(drop=True).assign(case_id=parts["case_id"].to_numpy())
    if "weight" in cases.columns:
        added["weight"] = parts["weight"].to_numpy()
    kept = cases.loc[~cases["case_id"].astype(str).isin(set(parts["of"]))]
    return type(cases)(pd.concat([kept, added], ignore_index=True)), events


def _people_affected(cases: pd.DataFrame, events: pd.DataFrame) -> pd.Series:
    """People affected per case id: the case's ``weight``, else the sum of its events' (split
    incidents under one id), else one."""
    weights = pd.Series(np.nan, index=pd.Index(cases["case_id"].astype(str), dtype=object))
    if "weight" in cases.columns:
        weights[:] = pd.to_numeric(cases["weight"], errors="coerce").to_numpy(dtype=float)
    if "weight" in events.columns:
        per_case = (pd.to_numeric(events["weight"], errors="coerce")
                    .groupby(events["case_id"].astype(str).to_numpy()).sum(min_count=1))
        weights = weights.fillna(per_case.reindex(weights.index))
    return weights[~weights.index.duplicated()].fillna(1.0)


def _to_record(model: PatternClusters, digests: np.ndarray) -> RecordedPatterns:
    """What the ledger keeps of a release's fitted pattern model: who is in which pattern (``digests``
    of the cases it was fitted on, row for row), each pattern's public names and its places."""
    from routes.publish.ledger import RecordedPatterns

    profiles = model.profiles_
    table = profiles.table
    names = table[["cluster", "label_en", "label_es"]].assign(
        finding=table["finding"] if "finding" in table.columns else True)
    places = None if profiles.places is None else profiles.places[["cluster", "place_id", "lift"]]
    return RecordedPatterns(
        people=pd.DataFrame({"digest": digests, "cluster": np.asarray(model.labels_, dtype=np.int64)}),
        table=names.astype({"cluster": np.int64}),
        places=None if places is None else places.loc[places["lift"] > 1].astype({"cluster": np.int64}),
    )


def _as_recorded(
    estimator: PatternClusters, recorded: RecordedPatterns, digests: np.ndarray
) -> PatternClusters:
    """The period's recorded pattern model, for the cases whose ``digests`` are given (row for row).

    A republication does not refit: a refit on data one person shorter can name, number and place the
    patterns otherwise, and the tables that change point at that person. Each person keeps the pattern
    the period's first release gave them; a person it did not count (added by a revision) is in none
    (``-1``), and the patterns keep their recorded labels and places.
    """
    from sklearn.base import clone

    from routes.patterns import ClusterProfiles

    model = clone(estimator)
    cluster_of = pd.Series(recorded.people["cluster"].to_numpy(), index=recorded.people["digest"].to_numpy())
    cluster_of = cluster_of[~cluster_of.index.duplicated()]
    model.labels_ = pd.Series(digests).map(cluster_of).fillna(-1).to_numpy(np.int64)
    model.profiles_ = ClusterProfiles(table=recorded.table, traits=pd.DataFrame(), places=recorded.places,
                                      unknowns=None)
    return model


#: A brief's table of its period → the same people in the brief of the period after, which compares.
_COMPARED = {"people": "previous people", "segments": "previous segments"}


def _compared(cells: Mapping[CellKey, Sticky], *, as_previous: bool = True) -> dict[CellKey, Sticky]:
    """Cells of an adjacent period's release named as this release names the same people: a period's
    own corridor totals and segments as the next period's ``previous ...`` cells (``as_previous``), or
    the next period's ``previous ...`` cells as this period's own. One value per cell, whichever release
    published it first: two protections of the same people would give two sets of bounds."""
    rename = _COMPARED if as_previous else {after: before for before, after in _COMPARED.items()}
    out: dict[CellKey, Sticky] = {}
    for (label, by, key), cell in cells.items():
        corridor, colon, table = label.partition(":")
        if colon and table in rename and by in (("scope",), ("u", "v")):
            out[(f"{corridor}:{rename[table]}", by, key)] = cell
    return out


def _release_id(dataset: str, period: ReleasePeriod, policy: DisclosurePolicy, cells: pd.DataFrame) -> str:
    """The publication's id: a hash of what it publishes (its policy and published cells), and of
    nothing it withholds (a withheld cell's key exists while one person is in it: hashed, the id would
    change when that person's consent is withdrawn, one bit about them on every product), in an order
    that does not depend on which product counted a cell first."""
    shown = cells.loc[cells["reason"].eq(""), ["label", "by", "key", "published"]].astype(str)
    shown = shown.sort_values(["label", "by", "key"], ignore_index=True)  # not the order of counting
    payload = json.dumps(
        {
            "dataset": dataset,
            "period": period.label,
            "k": policy.k,
            "rounding": policy.rounding,
            "audience": policy.audience,
            **({"mode": policy.mode, "source": policy.source, "licence": policy.licence}
               if policy.mode == "public_source" else {}),
            "cells": shown.to_numpy().tolist(),
        },
        sort_keys=True,
        ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:12]
