"""Attacks on a publication as an outsider runs them: only the published tables and arithmetic.

Each attack is written once and run twice by ``tests/test_release_attacks.py``: on a deliberately
unprotected publication (what version 0.1 published: every cell rounded and suppressed on its own,
rates from exact counts, Gi* from every count), where it must succeed, which shows the attack
works; and on a :class:`~routes.publish.Release`, where it must recover nothing. The attacker
knows the policy (k, rounding) and reads exact counts only to score the attack.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from routes.cli import main
from routes.privacy import DisclosurePolicy
from routes.publish import Release, rounding_interval

#: Numerator tables of a rate → the denominator table (people who passed) they are rated on.
RISK_SUFFIXES = ("any incident", "recruitment", "sexual_abuse", "threats", "extortion")


@dataclass(frozen=True)
class View:
    """What a reader of one publication sees: published counts per table and key, and rates per 100.

    ``counts``: table label → published count per key (NaN when withheld). ``rates``: (numerator
    label, denominator label) → the rate shown per key.
    """

    counts: Mapping[str, pd.Series]
    rates: Mapping[tuple[str, str], pd.Series] = field(default_factory=dict)


def release_view(release: Release) -> View:
    """The counts and rates the products of ``release`` show (map layers and brief segments)."""
    cells = release.cells
    counts = {
        str(label): pd.Series(group["published"].to_numpy(dtype=float), index=group["key"].to_numpy())
        for label, group in cells.groupby("label", sort=False)
    }
    segments, places = release.layers.segments, release.layers.places
    seg_keys = segments["u"].astype(str) + "|" + segments["v"].astype(str)
    rates: dict[tuple[str, str], pd.Series] = {
        ("segments:any incident", "segments"): pd.Series(segments["rate"].to_numpy(float), index=seg_keys),
        ("places:any incident", "places"): pd.Series(places["rate"].to_numpy(float), index=places.index),
    }
    risks = release.layers.risks
    on_segment = risks["u"].notna().to_numpy()
    for risk, group in risks.groupby("risk"):
        mine = on_segment[risks.index.get_indexer(group.index)]
        seg = group[mine]
        rates[(f"segments:{risk}", "segments")] = pd.Series(
            seg["rate"].to_numpy(float), index=seg["u"].astype(str) + "|" + seg["v"].astype(str)
        )
        place = group[~mine]
        rates[(f"places:{risk}", "places")] = pd.Series(
            place["rate"].to_numpy(float), index=place["place_id"].astype(str).to_numpy()
        )
    ids = pd.Series(places.index.astype(str), index=places["name"].astype(str).to_numpy())
    for corridor, findings in release.findings.items():
        figures = [f for f in findings.segments if f.rate is not None]
        if not figures:  # a corridor with no segment rate shown counts no numerator table
            continue
        keys = [f"{ids[f.origin]}|{ids[f.destination]}" for f in figures]
        rates[(f"{corridor}:segments:numerator memberships", f"{corridor}:segments")] = pd.Series(
            [f.rate for f in figures], index=keys, dtype=float
        )
    return View(counts, rates)


def unprotected_view(exact: Mapping[str, pd.Series], policy: DisclosurePolicy) -> View:
    """Version 0.1: each cell rounded and suppressed under k on its own; rates from exact counts.

    ``exact``: table label → true count per key. A rate is shown where both its counts are shown.
    """
    counts = {
        label: pd.Series(
            np.where((values > 0) & (values < policy.k), np.nan, policy.round_count(values).to_numpy(float)),
            index=values.index,
        )
        for label, values in exact.items()
    }
    rates = {}
    for numerator, denominator in rate_pairs(exact):
        e = exact[numerator]
        p = exact[denominator].reindex(e.index)
        shown = counts[numerator].notna() & counts[denominator].reindex(e.index).notna() & (p > 0)
        rates[(numerator, denominator)] = np.round(e[shown] / p[shown] * 100, 1)
    return View(counts, rates)


def rate_pairs(tables: Iterable[str]) -> list[tuple[str, str]]:
    """(numerator, denominator) labels of the rates a publication shows, from its table labels."""
    labels = set(tables)
    pairs = [(f"{d}:{r}", d) for d in ("segments", "places") for r in RISK_SUFFIXES if f"{d}:{r}" in labels]
    pairs += [
        (label, label.removesuffix(":numerator memberships"))
        for label in labels
        if label.endswith(":segments:numerator memberships")
    ]
    return pairs


def bounds(view: View, policy: DisclosurePolicy) -> dict[str, pd.DataFrame]:
    """The interval each shown count can take: rounding intervals, narrowed by inverting the rates.

    Rates are inverted only when they carry information: when some rate is not the ratio of the
    two published counts it sits beside, the rates were computed from something else (the exact
    counts), and every (numerator, denominator) pair inside the rounding intervals that gives the
    shown rate to one decimal is kept. Withheld counts get ``[1, inf)``.
    """
    out: dict[str, pd.DataFrame] = {}
    for label, shown in view.counts.items():
        values = shown.to_numpy(dtype=float)
        known = np.isfinite(values)
        low, high = rounding_interval(np.where(known, values, 0).astype(np.int64), policy)
        out[label] = pd.DataFrame(
            {"low": np.where(known, low, 1).astype(float), "high": np.where(known, high, np.inf)},
            index=shown.index,
        )
    informative = False
    for (numerator, denominator), rate in view.rates.items():
        e = view.counts[numerator].reindex(rate.index).to_numpy(float)
        p = view.counts[denominator].reindex(rate.index).to_numpy(float)
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = np.round(e / p * 100, 1)
        ok = np.isfinite(rate.to_numpy(float)) & np.isfinite(ratio)
        informative |= bool((np.abs(ratio[ok] - rate.to_numpy(float)[ok]) > 1e-6).any())
    if not informative:
        return out
    span = np.arange(policy.rounding + policy.k)  # wider than any rounding interval
    for (numerator, denominator), rate in view.rates.items():
        rate = rate.dropna()
        e_box = out[numerator].reindex(rate.index)
        p_box = out[denominator].reindex(rate.index)
        usable = np.isfinite(e_box["high"].to_numpy()) & np.isfinite(p_box["high"].to_numpy())
        rate, e_box, p_box = rate[usable], e_box[usable], p_box[usable]
        if rate.empty:
            continue
        e = e_box["low"].to_numpy()[:, None, None] + span[None, :, None]
        p = p_box["low"].to_numpy()[:, None, None] + span[None, None, :]
        with np.errstate(invalid="ignore", divide="ignore"):
            fits = (
                (e <= e_box["high"].to_numpy()[:, None, None])
                & (p <= p_box["high"].to_numpy()[:, None, None])
                & (p > 0)
                & (np.abs(np.round(e / p * 100, 1) - rate.to_numpy()[:, None, None]) < 1e-6)
            )
        found = fits.any(axis=(1, 2))
        e_fit = np.where(fits, np.broadcast_to(e, fits.shape), np.nan)
        p_fit = np.where(fits, np.broadcast_to(p, fits.shape), np.nan)
        for label, values in ((numerator, e_fit), (denominator, p_fit)):
            keys = rate.index[found]
            lo = np.nanmin(values[found], axis=(1, 2))
            hi = np.nanmax(values[found], axis=(1, 2))
            table = out[label]
            table.loc[keys, "low"] = np.maximum(table.loc[keys, "low"].to_numpy(), lo)
            table.loc[keys, "high"] = np.minimum(table.loc[keys, "high"].to_numpy(), hi)
    return out


def exact_recoveries(view: View, box: Mapping[str, pd.DataFrame], exact: Mapping[str, pd.Series]) -> int:
    """Finding 1: shown counts the attacker pins to one value that is the truth and not what is shown."""
    found = 0
    for label, table in box.items():
        truth = exact[label].reindex(table.index).to_numpy(float)
        shown = view.counts[label].reindex(table.index).to_numpy(float)
        pinned = (table["low"] == table["high"]).to_numpy()
        found += int((pinned & (table["low"].to_numpy() == truth) & (shown != truth)).sum())
    return found


def margin_leaks(
    box: Mapping[str, pd.DataFrame], exact: Mapping[str, pd.Series], policy: DisclosurePolicy
) -> list[str]:
    """Finding 3: a place total minus its shown segments out of (or into) it, one segment withheld.

    Returns the withheld segments whose true count the bound pins under k (Turbo 86 − 33 − 47 = 6).
    """
    places, segments = box["places"], box["segments"]
    ends = pd.Series(segments.index, index=segments.index).str.split("|", expand=True)
    found = []
    for end in (0, 1):
        for place, group in segments.groupby(ends[end].to_numpy()):
            withheld = ~np.isfinite(group["high"].to_numpy())
            if withheld.sum() != 1 or place not in places.index or not np.isfinite(places.at[place, "high"]):
                continue
            bound = places.at[place, "high"] - group["low"].to_numpy()[~withheld].sum()
            hidden = group.index[withheld][0]
            if bound <= policy.k - 1 and exact["segments"][hidden] <= bound:
                found.append(hidden)
    return found


def nested_pairs(labels: Iterable[str]) -> list[tuple[str, str]]:
    """(larger, smaller) tables whose cells of one key hold nested sets of people."""
    labels = set(labels)
    pairs = [(d, f"{d}:any incident") for d in ("segments", "places") if f"{d}:any incident" in labels]
    pairs += [
        (f"{d}:any incident", f"{d}:{r}")
        for d in ("segments", "places")
        for r in RISK_SUFFIXES[1:]
        if f"{d}:{r}" in labels
    ]
    corridors = [label for label in labels if label.endswith(":segments") and label != "all:segments"]
    pairs += [("segments", label) for label in corridors]
    return pairs


def nested_leaks(
    box: Mapping[str, pd.DataFrame], exact: Mapping[str, pd.Series], policy: DisclosurePolicy
) -> pd.DataFrame:
    """Findings 4 and 5: the difference of two nested shown cells pinned inside 1..k−1, and true.

    Any incident minus one risk at a place (Saravena 17 − 16 = 1), a segment on the map minus the
    same segment in a corridor's brief (the people from outside the corridor).
    """
    rows = []
    for big, small in nested_pairs(box):
        a, b = box[big], box[small]
        keys = a.index.intersection(b.index)
        lo = a.loc[keys, "low"] - b.loc[keys, "high"]
        hi = a.loc[keys, "high"] - b.loc[keys, "low"]
        truth = exact[big].reindex(keys) - exact[small].reindex(keys)
        pinned = (lo >= 1) & (hi <= policy.k - 1) & (truth >= lo) & (truth <= hi)
        rows += [{"larger": big, "smaller": small, "key": key, "difference": int(truth[key])}
                 for key in keys[pinned.to_numpy()]]
    return pd.DataFrame(rows, columns=["larger", "smaller", "key", "difference"])


def changed_cells(before: View, after: View) -> set[tuple[str, str]]:
    """Finding 2: the (table, key) whose shown count differs between two publications."""
    changed = set()
    for label, shown in before.counts.items():
        other = after.counts.get(label, pd.Series(dtype=float)).reindex(shown.index)
        a = shown.astype("string").fillna("withheld")
        b = other.astype("string").fillna("withheld")
        changed |= {(label, str(key)) for key in shown.index[(a != b).to_numpy()]}
    return changed


def gi_star_recoveries(hexagons: pd.DataFrame, exact: pd.Series, policy: DisclosurePolicy) -> int:
    """Finding 6: least squares on published Gi* z-scores recovers suppressed hexagon counts.

    With binary weights ``w`` (the cell and its ring inside the study area) Gi* is
    ``z_i · s · c_i = Σ_j w_ij x_j − W_i · m``, linear in the hidden counts, the mean ``m`` and
    the standard deviation ``s``, with ``Σ x = n · m``. Returns the suppressed hexagons with 1..k−1
    people whose count the solution gives exactly.
    """
    import h3

    cells = hexagons["h3_cell"].astype(str).to_numpy()
    n = len(cells)
    position = {c: i for i, c in enumerate(cells)}
    rows, cols = [], []
    for i, c in enumerate(cells):
        for other in h3.grid_disk(c, 1):
            if other in position:
                rows.append(i)
                cols.append(position[other])
    w = np.zeros((n, n))
    w[rows, cols] = 1.0
    w_sum = w.sum(axis=1)
    c = np.sqrt((n * (w**2).sum(axis=1) - w_sum**2) / (n - 1))
    counts = pd.to_numeric(hexagons["n_people"], errors="coerce").to_numpy(float)
    hidden = ~np.isfinite(counts)
    z = hexagons["gi_z"].to_numpy(float)
    known = np.where(hidden, 0.0, counts)
    design = np.column_stack([w[:, hidden], -w_sum, -z * c])
    rhs = -(w @ known)
    design = np.vstack([design, np.concatenate([np.ones(hidden.sum()), [-n, 0.0]])])
    rhs = np.append(rhs, -known.sum())
    solution = np.linalg.lstsq(design, rhs, rcond=None)[0][: hidden.sum()]
    truth = exact.reindex(cells[hidden]).fillna(0).to_numpy(float)
    small = (truth >= 1) & (truth < policy.k)
    return int((small & (np.round(solution) == truth)).sum())


def cli_release(cases: Path, events: Path, out: Path) -> None:
    """``routes release`` as an analyst runs it in the working folder (its default ledger), exiting 0."""
    log = io.StringIO()
    with contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
        code = main(["release", str(cases), "--events", str(events), "--dataset", "tiny", "-o", str(out)])
    assert code == 0, log.getvalue()


def published_table(folder: Path, name: str) -> pd.DataFrame:
    """A CSV of a release's export as text, without its HXL row and release id."""
    table = pd.read_csv(folder / name, dtype=str, keep_default_na=False, skiprows=[1])
    return table.drop(columns=[c for c in table.columns if c == "release_id"])
