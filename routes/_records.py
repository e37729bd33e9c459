"""Per-record building blocks shared by the in-memory network and the chunked path of :mod:`routes.scale`.

An internal API: both paths turn event and case records into the same integer codes (month
ordinals, risk codes, case attributes) and count distinct people the same way, so a table counted
in memory and one counted chunk by chunk agree by construction. The names are public so that the
two modules share them without reaching into each other's private names; the module is not part of
the package's public API.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from routes.schema import MULTI_SEPARATOR, UNKNOWN, VOCABULARIES

__all__ = [
    "NO_MONTH",
    "RISKS",
    "case_attributes",
    "codes_of",
    "count_people",
    "month_ordinals",
    "month_periods",
    "risk_codes",
    "timestamps",
]

NO_MONTH = np.iinfo(np.int64).min  # the ordinal pandas uses for NaT
RISKS: tuple[str, ...] = (*VOCABULARIES["risk"].codes, "unspecified")


def codes_of(values: pd.Series, categories: Sequence[str]) -> np.ndarray:
    """Position (int32) of each value in ``categories``, -1 when missing or not there.

    Text held by Arrow (pandas' default ``str`` dtype) is looked up in one ``pyarrow.compute.index_in``
    pass (the result is read-only, Arrow's own buffer); anything else is factorized first, so each
    distinct value is looked up once.
    """
    if isinstance(values.dtype, pd.StringDtype) and values.dtype.storage == "pyarrow":
        import pyarrow as pa
        import pyarrow.compute as pc

        lookup = pa.array(list(categories), type=pa.large_string())
        found = pc.index_in(pa.array(values.array), value_set=lookup)
        return pc.fill_null(found, -1).to_numpy()
    codes, uniques = pd.factorize(values)
    positions = pd.Index(categories).get_indexer(pd.Index(uniques).astype(str))
    return np.append(positions, -1).astype(np.int32)[codes]


def timestamps(dates: pd.Series) -> np.ndarray:
    """Dates as ``datetime64[ns]`` (NaT where missing or unreadable)."""
    return pd.to_datetime(dates, errors="coerce").to_numpy(dtype="datetime64[ns]")


def month_ordinals(dates: pd.Series | None, n: int) -> np.ndarray:
    """Period[M] ordinals of dates (months since 1970-01), ``NO_MONTH`` where missing."""
    if dates is None:
        return np.full(n, NO_MONTH, dtype=np.int64)
    return timestamps(dates).astype("datetime64[M]").astype(np.int64)


def month_periods(ordinals: np.ndarray) -> pd.arrays.PeriodArray:
    """Month ordinals (``NO_MONTH`` where missing) as a ``Period[M]`` array (NaT where missing)."""
    return pd.arrays.PeriodArray(np.asarray(ordinals, dtype=np.int64), dtype=pd.PeriodDtype("M"))


def case_attributes(
    labels: pd.Index, cases: pd.DataFrame | None
) -> tuple[pd.Categorical[str], pd.Categorical[str], np.ndarray]:
    """Per case (in ``labels`` order): case_type, consent_reporting and registration month ordinal."""
    if cases is None:
        unknown = pd.Categorical.from_codes(
            np.zeros(len(labels), dtype=np.int8), categories=pd.Index([UNKNOWN])
        )
        return unknown, unknown.copy(), np.full(len(labels), NO_MONTH, dtype=np.int64)
    table = cases.assign(case_id=cases["case_id"].astype(str)).drop_duplicates("case_id").set_index("case_id")
    table = table.reindex(labels)

    def column(name: str) -> pd.Categorical[str]:
        values = table[name] if name in table else pd.Series(UNKNOWN, index=table.index)
        return pd.Categorical(values.astype(object).where(values.notna(), UNKNOWN).astype(str))

    registered = month_ordinals(table.get("date_registered"), len(labels))
    return column("case_type"), column("consent_reporting"), registered


def risk_codes(risk: pd.Series | None, positions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Risk codes (into ``RISKS``) of the incidents at ``positions``, one per code, and their row.

    An incident without a known code counts as ``"unspecified"``.
    """
    unspecified = RISKS.index("unspecified")
    if risk is None or len(positions) == 0:
        return np.full(len(positions), unspecified, dtype=np.int64), np.arange(len(positions))
    text = risk.iloc[positions].fillna("").astype(str).reset_index(drop=True)
    value, distinct = pd.factorize(text)  # each distinct text is split once (incidents repeat a few)
    parts = pd.Series(distinct).str.split(MULTI_SEPARATOR).explode().str.strip()
    codes = codes_of(parts, RISKS)
    codes = np.where(codes < 0, unspecified, codes)
    frame = pd.DataFrame({"row": parts.index.to_numpy(), "risk": codes}).drop_duplicates()
    named = frame[frame["risk"] != unspecified]
    frame = frame[(frame["risk"] != unspecified) | ~frame["row"].isin(named["row"])]
    # each row takes its text's codes, in order
    held = np.bincount(frame["row"].to_numpy(), minlength=len(distinct))
    start = np.cumsum(held) - held
    per_row = held[value]
    row = np.repeat(np.arange(len(value)), per_row)
    offset = np.arange(len(row)) - np.repeat(np.cumsum(per_row) - per_row, per_row)
    return frame["risk"].to_numpy()[np.repeat(start[value], per_row) + offset], row


def count_people(members: pd.DataFrame, keys: list[str]) -> pd.Series:
    """Distinct people per combination of ``keys``."""
    return members.drop_duplicates([*keys, "case_id"]).groupby(keys, observed=True).size()
