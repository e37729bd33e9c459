"""Text keys shared by vocabularies and the gazetteer: accent-, case- and script-insensitive matching.

Keys are transliterated to ASCII with ``anyascii`` (ISC licence), which keeps every letter: ``Łódź``
is ``lodz``, ``Đà Nẵng`` is ``da nang``, Arabic and Chinese become their Latin readings. Plain
Unicode decomposition (NFKD) would drop the letters that do not decompose, and a value in a
non-Latin script would then read as blank.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable

import numpy as np
import pandas as pd
from anyascii import anyascii

_NON_WORD = re.compile(r"[^0-9a-z+]+")


def normalize_key(value: object) -> str:
    """Fold a label to a matching key: ASCII letters, lower case, words joined by single spaces.

    ``"Cúcuta"``, ``" CUCUTA "`` and ``"cucuta"`` all give ``"cucuta"``; ``"LGBTIQ+"`` keeps its plus;
    ``"Łódź"`` gives ``"lodz"``. Only punctuation, symbols and spaces fold to ``""``.
    """
    text = anyascii(unicodedata.normalize("NFKC", str(value))).casefold()
    return _NON_WORD.sub(" ", text).strip()


def normalize_keys(values: pd.Series) -> pd.Series:
    """:func:`normalize_key` of every value, computing each distinct value once.

    Plain-ASCII values (most names) are folded with pandas' vectorised string methods, which give
    the same key; the others go through :func:`normalize_key`. Missing values give ``""``.

    Parameters
    ----------
    values : pandas.Series

    Returns
    -------
    pandas.Series of object
        The keys, on ``values``' index.
    """
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    text = pd.Series(np.asarray(uniques, dtype=object), dtype=object).astype(str)
    plain = text.map(str.isascii).to_numpy(dtype=bool)
    keys = np.empty(len(text) + 1, dtype=object)
    keys[-1] = ""
    folded = text[plain].str.lower().str.replace(_NON_WORD.pattern, " ", regex=True).str.strip()
    keys[:-1][plain] = folded.to_numpy(dtype=object)
    keys[:-1][~plain] = text[~plain].map(normalize_key).to_numpy(dtype=object)
    return pd.Series(keys[codes], index=values.index, dtype=object)


def has_word(value: object) -> bool:
    """Whether ``value`` holds a letter or digit of any script (so it is not a blank placeholder)."""
    return any(ch.isalnum() for ch in str(value))


def did_you_mean(value: object, choices: Iterable[str], n: int = 3) -> list[str]:
    """The closest known labels to ``value`` (accent- and case-insensitive), best first."""
    choices = list(choices)
    keyed: dict[str, str] = {}
    for choice in choices:
        keyed.setdefault(normalize_key(choice), choice)
    close = difflib.get_close_matches(normalize_key(value), list(keyed), n=n, cutoff=0.6)
    return [keyed[k] for k in close]
