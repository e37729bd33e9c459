"""routes: diagnostics of human-trafficking and migrant-smuggling routes.

Validated reading of case exports, routes as spatial graphs, modus-operandi patterns and hotspots,
and maps and briefs that pass a disclosure-control layer before anything is published.

The public names below are imported lazily (PEP 562) so that ``import routes`` stays fast and does
not pull in Folium, scikit-learn or a browser driver until they are used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS: dict[str, str] = {
    "read_cases": "routes.io",
    "read_services": "routes.io",
    "validate": "routes.io",
    "ValidationReport": "routes.io",
    "Gazetteer": "routes.places",
    "load_gazetteer": "routes.places",
    "RouteNetwork": "routes.network",
    "PatternClusters": "routes.patterns",
    "hotspots": "routes.patterns",
    "hex_hotspots": "routes.patterns",
    "DisclosurePolicy": "routes.privacy",
    "route_map": "routes.maps",
    "route_brief": "routes.briefs",
    "generate_sample": "routes.sample",
    "suggest_mapping": "routes.mapping",
}

__all__ = [
    "DisclosurePolicy",
    "Gazetteer",
    "PatternClusters",
    "RouteNetwork",
    "ValidationReport",
    "generate_sample",
    "hex_hotspots",
    "hotspots",
    "load_gazetteer",
    "read_cases",
    "read_services",
    "route_brief",
    "route_map",
    "suggest_mapping",
    "validate",
]

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from routes.briefs import route_brief
    from routes.io import ValidationReport, read_cases, read_services, validate
    from routes.mapping import suggest_mapping
    from routes.maps import route_map
    from routes.network import RouteNetwork
    from routes.patterns import PatternClusters, hex_hotspots, hotspots
    from routes.places import Gazetteer, load_gazetteer
    from routes.privacy import DisclosurePolicy
    from routes.sample import generate_sample


_SUBMODULES = frozenset({"briefs", "cli", "errors", "io", "mapping", "maps", "network", "patterns", "places",
                         "privacy", "sample", "scale", "schema"})


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:  # ``routes.maps`` etc. work after a plain ``import routes``
        value = importlib.import_module(f"routes.{name}")
        globals()[name] = value
        return value
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'routes' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS, *_SUBMODULES])
