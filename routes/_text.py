"""Text keys shared by vocabularies and the gazetteer: accent- and case-insensitive matching."""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable

_NON_WORD = re.compile(r"[^0-9a-z+]+")


def normalize_key(value: object) -> str:
    """Fold a label to a matching key: no accents, lower case, words joined by single spaces.

    ``"Cúcuta"``, ``" CUCUTA "`` and ``"cucuta"`` all give ``"cucuta"``; ``"LGBTIQ+"`` keeps its plus.
    """
    text = unicodedata.normalize("NFKD", str(value))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    return _NON_WORD.sub(" ", text).strip()


def did_you_mean(value: object, choices: Iterable[str], n: int = 3) -> list[str]:
    """The closest known labels to ``value`` (accent- and case-insensitive), best first."""
    choices = list(choices)
    keyed: dict[str, str] = {}
    for choice in choices:
        keyed.setdefault(normalize_key(choice), choice)
    close = difflib.get_close_matches(normalize_key(value), list(keyed), n=n, cutoff=0.6)
    return [keyed[k] for k in close]
