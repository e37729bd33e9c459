"""Publishing: one protected release per publication, a ledger of releases, an audit that attacks.

- :class:`Release` (:mod:`routes.publish.release`): every public table of a map, its briefs and the
  data export, counted once and protected together; :meth:`Release.to_files` writes the export.
- :class:`ReleasePeriod`: the fixed grid of periods (years, quarters, months) a release covers.
- :class:`Ledger` (:mod:`routes.publish.ledger`): earlier releases, so republishing cannot be subtracted.
- :func:`audit_store`, :class:`AuditReport` (:mod:`routes.publish.audit`): interval attack by linear
  programming and nested-difference attack on a release.
- :class:`CellStore` (:mod:`routes.publish.cells`): the cells and their joint protection.
- :func:`protect_together` (:mod:`routes.publish.together`): one product's tables protected and
  audited together outside a release (``route_map`` and ``route_brief`` on a network).
"""

from routes.publish.audit import AuditReport, audit_store, cell_interval
from routes.publish.cells import CellStore, rounding_interval
from routes.publish.ledger import DEFAULT_LEDGER, Ledger
from routes.publish.release import Release, ReleasePeriod
from routes.publish.together import protect_together

__all__ = [
    "DEFAULT_LEDGER",
    "AuditReport",
    "CellStore",
    "Ledger",
    "Release",
    "ReleasePeriod",
    "audit_store",
    "cell_interval",
    "protect_together",
    "rounding_interval",
]
