"""Small table operations shared by the stages, where pandas' own is slow on text."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


def _as_text(values: Iterable[object]) -> pa.Array:
    if not isinstance(values, pd.Series | pd.Index | np.ndarray):
        values = [None if value is None else str(value) for value in values]
    text = pd.Series(values, copy=False).astype("string[pyarrow]")
    return pa.array(text).cast(pa.large_string())


def is_in(values: pd.Series | pd.Index | np.ndarray, among: Iterable[object]) -> np.ndarray:
    """Which of ``values`` are among ``among``, compared as text: a boolean array; missing is never in.

    ``Series.isin`` on pandas 3's Arrow text converts every candidate to an Arrow scalar in Python, so
    testing a million case ids against a hundred thousand costs seconds; a hash lookup in Arrow costs
    milliseconds. Used wherever rows are kept by a list of ids.
    """
    found = pc.is_in(_as_text(values), value_set=pc.drop_null(_as_text(among)))
    return np.asarray(pc.fill_null(found, pa.scalar(False)), dtype=bool)
