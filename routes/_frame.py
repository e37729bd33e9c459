"""Small table operations shared by the stages, where pandas' own is slow on text."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


def _shared_codes(values: object, among: object) -> tuple[np.ndarray, np.ndarray, int] | None:
    """The codes of two categoricals over the very same categories (one codebook: compare codes, no
    text) and the number of categories; ``None`` otherwise."""
    if not (isinstance(values, pd.Series | pd.Index) and isinstance(among, pd.Series | pd.Index)):
        return None
    if not (isinstance(values.dtype, pd.CategoricalDtype) and isinstance(among.dtype, pd.CategoricalDtype)):
        return None
    if values.dtype.categories is not among.dtype.categories:
        return None
    size = len(values.dtype.categories)
    return np.asarray(pd.Categorical(values).codes), np.asarray(pd.Categorical(among).codes), size


def _as_text(values: Iterable[object]) -> pa.Array:
    if not isinstance(values, pd.Series | pd.Index | np.ndarray):
        values = [None if value is None else str(value) for value in values]
    text = pd.Series(values, copy=False).astype("string[pyarrow]")
    return pa.array(text).cast(pa.large_string())


def is_in(values: pd.Series | pd.Index | np.ndarray, among: Iterable[object]) -> np.ndarray:
    """Which of ``values`` are among ``among``, compared as text: a boolean array; missing is never in.

    ``Series.isin`` on pandas 3's Arrow text converts every candidate to an Arrow scalar in Python, so
    testing a million case ids against a hundred thousand costs seconds; a hash lookup in Arrow costs
    milliseconds. Used wherever rows are kept by a list of ids. A categorical is tested once per
    category, its rows then take their category's answer; two over the same categories compare codes.
    """
    shared = _shared_codes(values, among)
    if shared is not None:
        codes, chosen, size = shared
        listed = np.zeros(size + 1, dtype=bool)  # code -1 (missing): last, never in
        listed[chosen[chosen >= 0]] = True
        return listed[codes]
    if isinstance(values.dtype, pd.CategoricalDtype):
        categorical = pd.Categorical(values)
        codes = np.asarray(categorical.codes)
        found_category = np.r_[is_in(categorical.categories, among), False]  # code -1 (missing): last
        return found_category[codes]
    found = pc.is_in(_as_text(values), value_set=pc.drop_null(_as_text(among)))
    return np.asarray(pc.fill_null(found, pa.scalar(False)), dtype=bool)


def as_text(values: pd.Series) -> pd.Series:
    """``values.astype(str)``; a categorical converts each category once and its rows take the text.

    Converting a categorical of a million case ids row by row builds a million strings in Python;
    taking them from the converted categories is one Arrow gather.
    """
    if not isinstance(values.dtype, pd.CategoricalDtype):
        return values.astype(str)
    text = values.cat.categories.astype(str)
    rows = text.take(np.asarray(values.cat.codes), allow_fill=True, fill_value=None)
    return pd.Series(rows, index=values.index, name=values.name, copy=False)


def positions_in(values: pd.Series | pd.Index | np.ndarray, among: pd.Index) -> np.ndarray:
    """Where each of ``values`` is in ``among`` (its first position), compared as text; -1 when absent.

    A join of ids against a table's ids without pandas' text index: one Arrow hash lookup. A
    categorical is looked up once per category; two over the same categories compare codes.
    """
    shared = _shared_codes(values, among)
    if shared is not None:
        codes, listed, size = shared
        first = np.full(size + 1, -1, dtype=np.int64)  # code -1 (missing): absent
        code, at = np.unique(listed, return_index=True)  # each code's first position
        first[code[code >= 0]] = at[code >= 0]
        return first[codes]
    if isinstance(values.dtype, pd.CategoricalDtype):
        categorical = pd.Categorical(values)
        of_category = np.r_[positions_in(categorical.categories, among), -1]  # code -1 (missing): last
        return of_category[np.asarray(categorical.codes)]
    found: pa.Array = pc.index_in(_as_text(values), value_set=_as_text(among))
    at = np.asarray(found.to_numpy(zero_copy_only=False), dtype=np.float64)  # missing: NaN
    return np.where(np.isnan(at), -1, at).astype(np.int64)
