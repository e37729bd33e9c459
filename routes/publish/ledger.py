"""The release ledger: what was published before, so that publishing again cannot be subtracted.

A SQLite file (standard library ``sqlite3``) in the analyst's working folder, by default
``routes-releases.sqlite`` (``ROUTES_LEDGER`` or ``--ledger`` elsewhere). It records each release of a
data set: period, policy, and for every cell its published value **and its exact count**. The
exact counts make the ledger CONFIDENTIAL, like the working files; they are what lets a revision
tell whether k or more people changed in a cell.

Rules (:meth:`routes.publish.Release.build`):

- the same period again: the published values are reused (identical products, same release id);
- a revision (``revise=True``): a cell changes only when k or more people changed in it, and then by
  that change rounded (never rounded anew: five roundings of a count moved by known amounts pin
  it); a cell an earlier release withheld stays withheld;
- a period that overlaps another published period of the data set without being equal to it is
  refused: the two would give, by subtraction, the people of the months where they differ;
- a public period already published under another public policy (another k, rounding, mode or ε) is
  refused: two protections of the same cells are two sets of bounds, and a cell one withholds for
  another's sake may be shown by the other;
- the period before, which a single period's briefs compare with, is published as much as the
  release's own period and obeys the two rules above: when it overlaps a published period on another
  grid, or was published under another policy, the briefs compare with nothing; a later release
  overlapping it, or of it under another policy, is refused;
- every release of a period is one publication: each cell any of them published keeps its latest
  value, a release counts again the corridors earlier ones published, and the pattern model is the
  one the period's first release fitted (the ledger records who was in which pattern, as keyed
  hashes, and each pattern's labels and places): a refit without one person could name, number or
  place the patterns otherwise, a visible change that points at that person;
- a data set under a new name whose people are, four in five or more, the people of a release
  already recorded for an overlapping period (a corrected export saved as another file, a consent
  withdrawn) is that data set again: it takes the recorded name and every rule above. The ledger
  keeps, per release, a keyed hash of each counted person's id (the key is the ledger's own, drawn
  once), never the ids.
"""

from __future__ import annotations

import io
import json
import math
import os
import secrets
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from routes.errors import DisclosureError
from routes.privacy import DisclosurePolicy
from routes.publish.cells import CellKey, Sticky

if TYPE_CHECKING:
    from routes.publish.release import Release, ReleasePeriod

__all__ = ["DEFAULT_LEDGER", "SAME_PEOPLE", "Ledger", "RecordedPatterns"]

DEFAULT_LEDGER = "routes-releases.sqlite"

@dataclass(frozen=True)
class RecordedPatterns:
    """A period's pattern model as its first release fitted it, what its republications draw on.

    Attributes
    ----------
    people : DataFrame
        ``digest`` (the ledger's keyed hash of a case id) and ``cluster``: who was in which pattern.
    table : DataFrame
        ``cluster``, ``label_en``, ``label_es`` and ``finding``: each pattern's public names.
    places : DataFrame or None
        ``cluster``, ``place_id``, ``lift``: where each pattern is over-represented (lift > 1).
    """

    people: pd.DataFrame
    table: pd.DataFrame
    places: pd.DataFrame | None


#: Share of people in common (Jaccard) from which a data set under a new name is one recorded before.
SAME_PEOPLE = 0.8

_SCHEMA = """
CREATE TABLE IF NOT EXISTS releases (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    release_id TEXT NOT NULL,
    dataset TEXT NOT NULL,
    period TEXT NOT NULL,
    first_month TEXT NOT NULL,
    last_month TEXT NOT NULL,
    policy TEXT NOT NULL,
    revision INTEGER NOT NULL,
    rho REAL NOT NULL DEFAULT 0,
    audit TEXT NOT NULL DEFAULT '',
    compared TEXT NOT NULL DEFAULT '',
    compared_first TEXT NOT NULL DEFAULT '',
    compared_last TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS cells (
    seq INTEGER NOT NULL REFERENCES releases(seq),
    label TEXT NOT NULL,
    by_columns TEXT NOT NULL,
    cell_key TEXT NOT NULL,
    exact INTEGER NOT NULL,
    published INTEGER,
    reason TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS cells_seq ON cells(seq);
CREATE TABLE IF NOT EXISTS people (
    seq INTEGER NOT NULL REFERENCES releases(seq),
    digest INTEGER NOT NULL,
    month TEXT,
    profile INTEGER
);
CREATE INDEX IF NOT EXISTS people_seq ON people(seq);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS pattern_people (
    seq INTEGER NOT NULL REFERENCES releases(seq),
    digest INTEGER NOT NULL,
    cluster INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS pattern_people_seq ON pattern_people(seq);
CREATE TABLE IF NOT EXISTS pattern_profiles (
    seq INTEGER PRIMARY KEY REFERENCES releases(seq),
    profiles TEXT NOT NULL
);
"""


def _policy_key(policy: DisclosurePolicy) -> str:
    key: dict[str, Any] = {"audience": policy.audience, "k": policy.k, "rounding": policy.rounding}
    if policy.mode == "formal":
        key.update(mode="formal", epsilon=policy.epsilon, delta=policy.delta)
    return json.dumps(key, sort_keys=True)


def _describe_policy(key: Mapping[str, Any]) -> str:
    """A policy key as a reader says it: ``k=11, rounding 5`` or ``formal, ε=5``."""
    words = f"k={key['k']}, rounding {key['rounding']}"
    if key.get("mode") == "formal":
        words += f", formal ε={key['epsilon']:g}"
    return words


def zcdp_epsilon(rho: float, delta: float) -> float:
    """The ε of ρ-zCDP at δ (Bun and Steinke 2016, proposition 1.3): ρ + 2·√(ρ·ln(1/δ))."""
    return rho + 2 * math.sqrt(rho * math.log(1 / delta))


def _overlapping(published: list[tuple[str, str, str, str, str, str]], period: ReleasePeriod) -> list[str]:
    """Of ``published`` (:meth:`Ledger._periods`), the periods overlapping ``period`` without being it."""
    first, last = (str(m) for m in period.months)
    return sorted({
        f"{p} ({how} by release {r})"
        for r, p, f, la, _, how in published
        if p != period.label and not (la < first or last < f)
    })


def _other_policies(
    published: list[tuple[str, str, str, str, str, str]], period: ReleasePeriod, policy: DisclosurePolicy
) -> list[str]:
    """Of ``published`` (:meth:`Ledger._periods`), public publications of ``period`` under another policy."""
    mine = _policy_key(policy)
    return sorted({
        f"release {r} ({_describe_policy(json.loads(pol))}, {how})"
        for r, p, _, _, pol, how in published
        if p == period.label and pol != mine and json.loads(pol).get("audience") == "public"
    })


def _jaccard(mine: pd.Series, theirs: pd.Series) -> float:
    """Shared over all distinct digests of two releases' people (0 and missing are no digest)."""
    a, b = (pd.unique(x.dropna().astype(np.int64)) for x in (mine, theirs))
    a, b = a[a != 0], b[b != 0]
    shared = int(np.isin(a, b).sum())
    union = len(a) + len(b) - shared
    return shared / union if union else 0.0


class Ledger:
    """Earlier releases of each data set (see the module docstring).

    Parameters
    ----------
    path : path-like, optional
        The SQLite file; ``$ROUTES_LEDGER`` or ``routes-releases.sqlite`` in the working folder.
    """

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path or os.environ.get("ROUTES_LEDGER") or DEFAULT_LEDGER)
        #: Whether this ledger was created now: it knows no release published before, anywhere.
        self.created = not self.path.exists()
        with self._connect() as db:
            db.executescript(_SCHEMA)
            columns = {row[1] for row in db.execute("PRAGMA table_info(releases)")}
            if "rho" not in columns:  # a ledger written before the formal mode
                db.execute("ALTER TABLE releases ADD COLUMN rho REAL NOT NULL DEFAULT 0")
            if "audit" not in columns:
                db.execute("ALTER TABLE releases ADD COLUMN audit TEXT NOT NULL DEFAULT ''")
            for column in ("compared", "compared_first", "compared_last"):  # the briefs' period before
                if column not in columns:
                    db.execute(f"ALTER TABLE releases ADD COLUMN {column} TEXT NOT NULL DEFAULT ''")
            people_columns = {row[1] for row in db.execute("PRAGMA table_info(people)")}
            if "month" not in people_columns:
                db.execute("ALTER TABLE people ADD COLUMN month TEXT")  # a ledger without months
            if "profile" not in people_columns:
                db.execute("ALTER TABLE people ADD COLUMN profile INTEGER")  # nor profiles
            db.execute("INSERT OR IGNORE INTO meta VALUES ('person_key', ?)", (secrets.token_hex(8),))

    def digests(self, people: pd.Series | pd.DataFrame) -> np.ndarray:
        """Keyed 64-bit hashes of person ids (or of a table's rows), row for row (the key is the
        ledger's own)."""
        with self._connect() as db:
            (key,) = db.execute("SELECT value FROM meta WHERE name = 'person_key'").fetchone()
        rows = (people.astype("string") if isinstance(people, pd.DataFrame)
                else pd.Series(people, dtype=object).astype(str)).reset_index(drop=True)
        hashed = pd.util.hash_pandas_object(rows, index=False, hash_key=str(key)).to_numpy(np.uint64)
        return hashed.view(np.int64)

    def fingerprint(
        self, people: pd.Series, months: pd.Series, profiles: pd.DataFrame | None = None
    ) -> pd.DataFrame:
        """Who a release counted, not their ids: the ``digest`` of each distinct person id (sorted)
        with the person's month of registration (``month``, ``YYYY-MM``) and the digest of their
        record's profile (``profile``: the fields of ``profiles``, :data:`routes.publish.release.PROFILE`,
        row for row with ``people``; 0 without).

        The profile recognises the same people under other case ids (a field office's export with its
        own codes): two exports of one programme agree on when, where and whom they registered."""
        found = pd.DataFrame({
            "digest": self.digests(people),
            "month": pd.Series(months).astype(str).to_numpy(),
            "profile": 0 if profiles is None else self.digests(profiles.reset_index(drop=True)),
        })
        return found.drop_duplicates("digest").sort_values("digest", ignore_index=True)

    def same_people(self, dataset: str, period: ReleasePeriod, people: pd.DataFrame) -> str | None:
        """The recorded data set, under another name, of a release whose people (``fingerprint``)
        registered in the months the two releases share are the same as those of ``people`` to
        :data:`SAME_PEOPLE` or more; else None.

        Compared on the shared months, so that a quarter of the same export saved under another file
        name is recognised after its year was published (a quarter's people are a quarter of the
        year's: compared whole, they would read as another data set, and the overlap rule would not
        apply). A release's people include those of the period its briefs compare with, so the
        year before a published year is recognised too. A ledger written before months were
        recorded compares the whole people of overlapping periods."""
        first, last = (str(m) for m in period.months)
        with self._connect() as db:
            earlier = db.execute(  # the data set's own releases first: when they match, it is itself
                "SELECT seq, dataset, first_month, last_month FROM releases "
                "ORDER BY dataset = ? DESC, seq DESC",
                (dataset,),
            ).fetchall()
            for seq, name, their_first, their_last in earlier:
                recorded = pd.DataFrame(
                    db.execute("SELECT digest, month, profile FROM people WHERE seq = ?", (seq,)).fetchall(),
                    columns=["digest", "month", "profile"],
                )
                if recorded.empty:
                    continue
                if recorded["month"].isna().any():
                    if their_last < first or last < their_first:
                        continue
                    theirs, mine = recorded, people
                else:
                    low = max(str(people["month"].min()), str(recorded["month"].min()))
                    high = min(str(people["month"].max()), str(recorded["month"].max()))
                    theirs = recorded[recorded["month"].between(low, high)]
                    mine = people[people["month"].between(low, high)]
                if max(_jaccard(mine[c], theirs[c]) for c in ("digest", "profile")) >= SAME_PEOPLE:
                    return None if name == dataset else str(name)
        return None

    def spent(self, dataset: str, people: pd.DataFrame | None = None) -> float:
        """The zCDP budget ρ the recorded formal releases of ``dataset`` spent on a person: the largest,
        over ``people`` (a :meth:`fingerprint`; everyone recorded when None), of the ρ of the releases
        that counted them, by id or by profile (they add up). A person counted by one monthly release
        is not charged for the others (each month counts other people), but a release that compares
        with the month before counts that month's people again. A release recorded without its
        people charges everyone."""
        with self._connect() as db:
            counted = pd.DataFrame(
                db.execute(
                    "SELECT p.digest, COALESCE(p.profile, 0), r.seq, r.rho FROM people p "
                    "JOIN releases r ON r.seq = p.seq WHERE r.dataset = ? AND r.rho > 0",
                    (dataset,),
                ).fetchall(),
                columns=["digest", "profile", "seq", "rho"],
            )
            (everyone,) = db.execute(
                "SELECT COALESCE(SUM(rho), 0) FROM releases r WHERE dataset = ? AND rho > 0 "
                "AND NOT EXISTS (SELECT 1 FROM people p WHERE p.seq = r.seq)",
                (dataset,),
            ).fetchone()
        if people is None:
            charged = counted
        else:  # a person's releases: those that counted their id, or someone with their profile
            by_profile = people.loc[people["profile"] != 0, ["digest", "profile"]].merge(
                counted.loc[counted["profile"] != 0, ["profile", "seq", "rho"]], on="profile"
            )
            charged = pd.concat([
                people[["digest"]].merge(counted[["digest", "seq", "rho"]], on="digest"),
                by_profile[["digest", "seq", "rho"]],
            ]).drop_duplicates(["digest", "seq"])
        per_person = charged.groupby("digest")["rho"].sum()
        return float(everyone) + (float(per_person.max()) if len(per_person) else 0.0)

    def check_budget(self, dataset: str, rho: float, policy: DisclosurePolicy,
                     people: pd.DataFrame | None = None) -> None:
        """Refuse a formal release that would take a person of ``people`` (a :meth:`fingerprint`) past
        ``policy.budget_epsilon`` in ``dataset``."""
        before = self.spent(dataset, people)
        total = zcdp_epsilon(before + rho, policy.delta)
        if total > policy.budget_epsilon + 1e-9:
            raise DisclosureError(
                f"formal release of {dataset!r}",
                [
                    f"the ledger {self.path} records ε = {zcdp_epsilon(before, policy.delta):.2f} spent "
                    f"(ρ = {before:.3f}) on people this release counts; it would bring them to "
                    f"ε = {total:.2f}, past the budget of {policy.budget_epsilon:g}. Republish a period "
                    "already published (it costs nothing), lower epsilon, or agree a larger budget with "
                    "the data-protection officer"
                ],
            )

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path)

    def releases(self, dataset: str | None = None) -> list[tuple[str, str, str, bool]]:
        """``(release_id, dataset, period, revision)`` of every recorded release, oldest first."""
        query = "SELECT release_id, dataset, period, revision FROM releases"
        args: tuple[str, ...] = ()
        if dataset is not None:
            query, args = query + " WHERE dataset = ?", (dataset,)
        with self._connect() as db:
            return [(r, d, p, bool(v)) for r, d, p, v in db.execute(query + " ORDER BY seq", args)]

    def _periods(self, dataset: str) -> list[tuple[str, str, str, str, str, str]]:
        """Every period a release of ``dataset`` published cells of: ``(release_id, period,
        first_month, last_month, policy, how)``, ``how`` being "published" for its own period and
        "compared" for the period before that its briefs compared with (a brief of 2023 prints
        2022's people and segments beside 2023's)."""
        with self._connect() as db:
            return [
                (str(r), str(p), str(f), str(la), str(pol), str(how))
                for r, p, f, la, pol, how in db.execute(
                    "SELECT release_id, period, first_month, last_month, policy, 'published' FROM releases "
                    "WHERE dataset = ? UNION SELECT release_id, compared, compared_first, compared_last, "
                    "policy, 'compared' FROM releases WHERE dataset = ? AND compared != ''",
                    (dataset, dataset),
                )
            ]


    def check_overlap(self, dataset: str, period: ReleasePeriod, policy: DisclosurePolicy) -> None:
        """Refuse a period that overlaps, without equalling, a period already published (as a
        release's own period or as the period before that its briefs compared with)."""
        listed = _overlapping(self._periods(dataset), period)
        if listed:
            raise DisclosureError(
                f"release of {dataset!r} for {period.label}",
                [
                    f"period {period.label} overlaps {', '.join(listed)}, already published: "
                    "subtracting the two would give the people of the months where they differ. Publish the "
                    "same period again, or a period that does not overlap"
                ],
            )

    def check_policy(self, dataset: str, period: ReleasePeriod, policy: DisclosurePolicy) -> None:
        """Refuse a public release of a period already published under another public policy."""
        if policy.audience != "public":
            return
        earlier = _other_policies(self._periods(dataset), period, policy)
        if earlier:
            raise DisclosureError(
                f"release of {dataset!r} for {period.label}",
                [
                    f"{period.label} was published as {', '.join(earlier)}; publishing it again with "
                    f"{_describe_policy(json.loads(_policy_key(policy)))} would give readers two protections "
                    "of the same cells to combine (a cell one withholds, the other may show). Publish it "
                    "again with the recorded policy"
                ],
            )

    def why_not_compared(self, dataset: str, previous: ReleasePeriod, policy: DisclosurePolicy) -> str:
        """Why a release's briefs may not print ``previous`` beside their period ("" when they may).

        The period before is published by the comparison as much as by its own release: it obeys the
        same rules. Overlapping a published period on another grid (2022 beside a published 2022Q4)
        would give the months where the two differ; a period published under another public policy
        (a formal 2022, then a default 2023 brief comparing with 2022) would be protected twice."""
        published = self._periods(dataset)
        listed = _overlapping(published, previous)
        if policy.audience == "public":
            listed += _other_policies(published, previous, policy)
        if not listed:
            return ""
        return (f"{previous.label} is not compared with: it overlaps or was published otherwise as "
                f"{', '.join(listed)}")

    def _of_period(
        self, query: str, dataset: str, period: ReleasePeriod, policy: DisclosurePolicy
    ) -> list[Any]:
        """Rows of ``query``, whose three parameters are the data set, the period's label and the policy."""
        with self._connect() as db:
            return db.execute(query, (dataset, period.label, _policy_key(policy))).fetchall()

    def published_cells(
        self, dataset: str, period: ReleasePeriod, policy: DisclosurePolicy
    ) -> dict[CellKey, Sticky]:
        """Every cell any release of ``dataset`` for ``period`` under this policy published, each as its
        latest release left it ({} if none): a map, then one corridor's brief, then another's are
        one publication, and each release is checked against all of it."""
        cells = self._of_period(
            "SELECT c.label, c.by_columns, c.cell_key, c.exact, c.published, c.reason FROM cells c "
            "JOIN (SELECT label, by_columns, cell_key, MAX(cells.seq) AS seq FROM cells "
            "JOIN releases r ON r.seq = cells.seq WHERE r.dataset = ? AND r.period = ? AND r.policy = ? "
            "GROUP BY label, by_columns, cell_key) latest "
            "ON c.seq = latest.seq AND c.label = latest.label AND c.by_columns = latest.by_columns "
            "AND c.cell_key = latest.cell_key",
            dataset, period, policy,
        )
        return {
            (label, tuple(json.loads(by)), tuple(json.loads(key))): Sticky(published, exact, reason)
            for label, by, key, exact, published, reason in cells
        }

    def recorded_patterns(
        self, dataset: str, period: ReleasePeriod, policy: DisclosurePolicy
    ) -> RecordedPatterns | None:
        """The pattern model of ``period`` under this policy as its releases recorded it (None if none
        did): a republication or a revision draws its pattern tables from it instead of a refit."""
        rows = self._of_period(
            "SELECT p.seq, p.profiles FROM pattern_profiles p JOIN releases r ON r.seq = p.seq "
            "WHERE r.dataset = ? AND r.period = ? AND r.policy = ? ORDER BY p.seq DESC LIMIT 1",
            dataset, period, policy,
        )
        if not rows:
            return None
        seq, profiles = rows[0]
        with self._connect() as db:
            people = pd.DataFrame(
                db.execute("SELECT digest, cluster FROM pattern_people WHERE seq = ?", (seq,)).fetchall(),
                columns=["digest", "cluster"],
            ).astype(np.int64)
        saved = json.loads(profiles)
        places = saved["places"]
        return RecordedPatterns(
            people=people,
            table=pd.read_json(io.StringIO(saved["table"]), orient="split", dtype=False).astype(
                {"cluster": np.int64, "label_en": object, "label_es": object, "finding": bool}),
            places=None if places is None else pd.read_json(io.StringIO(places), orient="split", dtype=False
                                                            ).astype({"cluster": np.int64, "place_id": str}),
        )

    def published_scopes(self, dataset: str, period: ReleasePeriod, policy: DisclosurePolicy) -> set[str]:
        """The heads of the labels of every table published for ``period`` under this policy (the
        corridors whose briefs were published, ``all``, ``places``...)."""
        labels = self._of_period(
            "SELECT DISTINCT cells.label FROM cells JOIN releases r ON r.seq = cells.seq "
            "WHERE r.dataset = ? AND r.period = ? AND r.policy = ?",
            dataset, period, policy,
        )
        return {label.partition(":")[0] for (label,) in labels}

    def recorded_audit(self, dataset: str, period: ReleasePeriod, policy: DisclosurePolicy) -> str:
        """The audit line of the latest release of ``dataset`` for ``period`` ("" if none)."""
        rows = self._of_period(
            "SELECT audit FROM releases WHERE dataset = ? AND period = ? AND policy = ? "
            "ORDER BY seq DESC LIMIT 1",
            dataset, period, policy,
        )
        return str(rows[0][0]) if rows else ""

    def record(
        self,
        release: Release,
        *,
        revision: bool,
        people: pd.DataFrame | None = None,
        patterns: RecordedPatterns | None = None,
    ) -> None:
        """Add ``release`` (unless it is the latest release of its period already, value for value),
        with the ``fingerprint`` of the people it counted and its patterns' numbers and labels."""
        store = release._store
        assert store is not None and store.published is not None and store.reason is not None
        fresh = len(store.keys) - len(store.frozen_values)
        rho = store.formal_plan.rho if store.formal_plan is not None and fresh else 0.0
        first, last = (str(m) for m in release.period.months)
        compared = release.compared
        before = ("", "", "") if compared is None else (compared.label, *(str(m) for m in compared.months))
        with self._connect() as db:
            latest = db.execute(
                "SELECT release_id FROM releases WHERE dataset = ? AND period = ? ORDER BY seq DESC LIMIT 1",
                (release.dataset, release.period.label),
            ).fetchone()
            if latest is not None and latest[0] == release.release_id:
                return
            seq = db.execute(
                "INSERT INTO releases "
                "(release_id, dataset, period, first_month, last_month, policy, revision, rho, audit, "
                "compared, compared_first, compared_last) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    release.release_id,
                    release.dataset,
                    release.period.label,
                    first,
                    last,
                    _policy_key(release.policy),
                    int(revision),
                    rho,
                    release.audit.summary(),
                    *before,
                ),
            ).lastrowid
            rows = [
                (
                    seq,
                    label,
                    json.dumps(list(by), ensure_ascii=False),
                    json.dumps(list(key), ensure_ascii=False),
                    int(store.exact[i]),
                    None if store.published[i] != store.published[i] else int(store.published[i]),
                    str(store.reason[i]),
                )
                for i, (label, by, key) in enumerate(store.keys)
            ] + [  # formal mode: the public keys no one is counted in, noisy like the others
                (
                    seq,
                    label,
                    json.dumps(list(by), ensure_ascii=False),
                    json.dumps(list(key), ensure_ascii=False),
                    0,
                    None if value != value else int(value),
                    why,
                )
                for (label, by, key), (value, why) in store.empty_public.items()
            ]
            db.executemany("INSERT INTO cells VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
            if people is not None:
                db.executemany("INSERT INTO people VALUES (?, ?, ?, ?)",
                               ((seq, int(d), str(m), int(f) or None) for d, m, f in
                                zip(people["digest"], people["month"], people["profile"], strict=True)))
            if patterns is not None:
                db.executemany("INSERT INTO pattern_people VALUES (?, ?, ?)",
                               ((seq, int(d), int(c)) for d, c in
                                zip(patterns.people["digest"], patterns.people["cluster"], strict=True)))
                profiles = {"table": patterns.table.to_json(orient="split", index=False),
                            "places": None if patterns.places is None else
                            patterns.places.to_json(orient="split", index=False)}
                db.execute("INSERT INTO pattern_profiles VALUES (?, ?)", (seq, json.dumps(profiles)))
