"""One product's tables protected together, outside a release: the notebook path.

:func:`routes.maps.route_map` and :func:`routes.briefs.route_brief` publish from a network in a
notebook, with no :class:`~routes.publish.Release`. Protected table by table, two of their tables
could be subtracted (an admin area minus the one place of it that is shown gives the people at its
withheld places). :func:`protect_together` runs the product the way :meth:`Release.build` runs a
publication: a first pass counts every table into one :class:`~routes.publish.cells.CellStore`, the
store is protected as one linked system, a second pass reads the protected values (and no other
table), and the audit attacks the result; a failed audit raises instead of returning.

What only a release does is not done here: no ledger (an earlier or later publication of the same
people can still be subtracted from this one), and no formal mode (its noise needs the ledger's
budget and the public domain of keys), which is refused.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from routes.errors import DisclosureError, PolicyError
from routes.privacy import counting
from routes.publish.audit import audit_store
from routes.publish.cells import CellStore

if TYPE_CHECKING:
    import pandas as pd

    from routes.privacy import DisclosurePolicy

__all__ = ["case_contributors", "protect_together"]

T = TypeVar("T")


def case_contributors(cases: pd.DataFrame) -> pd.DataFrame:
    """Who recorded each case, by case id: its ``organisation`` and office (``place_registered``).

    A member of a pooled data set knows its own records and can subtract them from a published
    count; an office knows the cases it registered, whatever the export says of the organisation that
    ran it (a column with one name on every row, or a member's records left blank, must not switch
    the rule off). The store withholds a cell whose other members' people either kind would pin
    under k (:attr:`CellStore.contributors`).
    """
    import pandas as pd

    ids = pd.Index(cases["case_id"].astype(str), dtype=object)
    columns = [c for c in ("organisation", "place_registered") if c in cases.columns]
    return pd.DataFrame({c: cases[c].astype("string").to_numpy() for c in columns}, index=ids)


def protect_together(
    build: Callable[[], T],
    policy: DisclosurePolicy,
    *,
    product: str,
    cases: pd.DataFrame | None = None,
) -> T:
    """``build()``'s tables counted once, protected as one linked system and audited; its second result.

    Parameters
    ----------
    build
        Computes the product's tables (every count through :func:`routes.privacy.release_counts` or
        :func:`~routes.privacy.release_rates`); called twice, and must count the same tables both
        times whatever values it reads.
    policy
        The disclosure policy of every table ``build`` counts.
    product
        Named in errors (``"route map"``, ``"brief andean"``).
    cases
        The cases table, when there is one: the protection withholds what a contributing
        organisation or office could pin by subtracting its own records.

    Returns
    -------
    What the second call of ``build`` returned: its tables carry the protected values.

    Raises
    ------
    PolicyError
        The formal mode: publish it with :meth:`routes.publish.Release.build`
        (``routes release --formal``).
    DisclosureError
        When the audit recovers a withheld cell (nothing is returned).
    """
    if policy.mode == "formal":
        raise PolicyError(
            f"{product}: the formal mode needs a release (its noise is charged to the ledger's budget "
            "and drawn over the public keys): build one with routes.publish.Release.build(..., "
            "policy=DisclosurePolicy.formal()) or `routes release --formal`, and draw it with "
            "release_map / release_brief"
        )
    store = CellStore(policy)
    if cases is not None and not policy.weighted:
        store.contributors = case_contributors(cases)
    with counting(store):
        build()
    store.protect()
    with counting(store):
        result = build()
    store.check_reads()
    report = audit_store(store)
    if not report.passed:
        raise DisclosureError(product, [report.summary()])
    return result
