"""One exception family for the toolkit.

Every message names what a user needs to fix the input: the file, the 1-based row as a spreadsheet
shows it, the column, the value and what was expected.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


class RoutesError(Exception):
    """Base class of every error raised by ``routes``."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one cell (or row, or file) of an input table."""

    file: str
    row: int | None
    column: str | None
    value: object
    expected: str
    hint: str = ""

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column:
            where += f", column {self.column!r}"
        text = f"{where}: got {self.value!r}, expected {self.expected}"
        if self.hint:
            text += f" ({self.hint})"
        return text


class CaseDataError(RoutesError, ValueError):
    """The case data could not be read as the case data standard; lists every problem found."""

    def __init__(self, problems: Iterable[Problem] | str, *, limit: int = 50) -> None:
        if isinstance(problems, str):
            self.problems: list[Problem] = []
            super().__init__(problems)
            return
        self.problems = list(problems)
        lines = [str(p) for p in self.problems[:limit]]
        more = len(self.problems) - limit
        if more > 0:
            lines.append(f"... and {more} more problems")
        n = len(self.problems)
        super().__init__(f"{n} problem{'s' if n != 1 else ''} in the case data:\n  " + "\n  ".join(lines))


class PlaceNotFoundError(RoutesError, KeyError):
    """A place name or id is not in the route gazetteer."""

    def __init__(self, name: str, suggestions: Iterable[str] = (), *, reason: str | None = None) -> None:
        self.name = name
        self.suggestions = list(suggestions)
        self.reason = reason
        msg = f"unknown place {name!r}" if reason is None else f"{name!r} {reason}"
        if self.suggestions:
            msg += "; did you mean " + ", ".join(repr(s) for s in self.suggestions) + "?"
        super().__init__(msg)

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return self.args[0]


class GazetteerError(RoutesError, ValueError):
    """A gazetteer table is malformed; the message lists every problem found."""

    def __init__(self, source: str, problems: Iterable[str]) -> None:
        self.source = source
        self.problems = list(problems)
        n = len(self.problems)
        lines = self.problems[:50]
        if n > 50:
            lines.append(f"... and {n - 50} more problems")
        super().__init__(
            f"{n} problem{'s' if n != 1 else ''} in gazetteer {source}:\n  " + "\n  ".join(lines)
        )


class ParameterError(RoutesError, ValueError):
    """An argument of a ``routes`` function or estimator is outside what it accepts.

    Also a :class:`ValueError`, so scikit-learn's estimator checks and callers catching
    ``ValueError`` see it as before.
    """


class NetworkError(RoutesError, ValueError):
    """A route network cannot be built or queried as asked."""


class PolicyError(RoutesError, ValueError):
    """A disclosure policy was configured outside its safe limits."""


class MapError(RoutesError, ValueError):
    """A map cannot be drawn or saved as asked (bad option, missing column, tiles offline).

    Raised by :mod:`routes.maps` and by the map's table builders in :mod:`routes.publish.layers`, which
    count what a map draws; ``routes.maps.MapError`` is this class.
    """


class BriefError(RoutesError, ValueError):
    """A brief cannot be made or saved as asked.

    Raised by :mod:`routes.briefs` and by the briefs' findings in :mod:`routes.publish.findings`, which
    count what a brief shows; ``routes.briefs.BriefError`` is this class.
    """


class DisclosureError(RoutesError):
    """A product about to be published breaks the disclosure policy; nothing was written."""

    def __init__(self, product: str, violations: Iterable[str]) -> None:
        self.product = product
        self.violations = list(violations)
        super().__init__(
            f"refused to publish {product}: "
            + "; ".join(self.violations[:20])
            + (f" (+{len(self.violations) - 20} more)" if len(self.violations) > 20 else "")
        )
