"""The map's words in English and Spanish, and numbers and labels written for a page."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from routes._i18n import LANGUAGES, MAP, number
from routes.errors import MapError
from routes.maps._style import _LABEL_CHARS


def _text(key: str, lang: str) -> str:
    """The map's message ``key`` in ``lang`` (:data:`routes._i18n.MAP`)."""
    return MAP.text(key, lang)


def _check_language(lang: str) -> None:
    if lang not in LANGUAGES:
        raise MapError(f"lang={lang!r}: expected one of {', '.join(LANGUAGES)}")


def _format_numbers(values: pd.Series, lang: str, *, decimals: int = 0) -> pd.Series:
    """Numbers as text in the language's convention (es: ``1.234,5``), ``not published`` for NA."""
    from routes._web import escape_text

    numeric = pd.to_numeric(values, errors="coerce").astype("Float64")
    text = numeric.map(lambda x: number(x, lang, decimals=decimals), na_action="ignore").astype(object)
    return text.fillna(_text("not_published", lang)).map(escape_text).reset_index(drop=True)


def _escaped(values: pd.Series | np.ndarray | Sequence[object]) -> pd.Series:
    from routes._web import escape_text

    return pd.Series(np.asarray(values, dtype=object)).map(escape_text)


def _vocabulary_labels(codes: pd.Series, vocabulary: str, lang: str) -> pd.Series:
    """Labels of ``;``-joined vocabulary codes, joined with ``, ``; unknown codes stay as given."""
    from routes.schema import MULTI_SEPARATOR, labels

    known = labels(vocabulary, lang)
    parts = codes.astype(object).fillna("").astype(str).str.split(MULTI_SEPARATOR)
    return parts.map(lambda items: ", ".join(known.get(code, code) for code in items if code))


def _short(text: str, limit: int = _LABEL_CHARS) -> str:
    """``text`` cut to at most ``limit`` characters at a word boundary, with an ellipsis (the tooltip
    shows it whole); a first word longer than ``limit`` is the only thing ever cut inside a word."""
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    words = head.rsplit(" ", 1)[0] if " " in head and not text[limit - 1].isspace() else head
    return words.rstrip(" ,;·→–-") + "…"


