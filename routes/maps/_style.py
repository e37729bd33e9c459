"""Colours, sizes and panes of the map's layers: one look for the layers and the legend."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

#: Upper bounds of the incident-rate classes (incidents per 100 people) and their colours; a rate
#: that is not published (too few people or incidents) is grey.
INCIDENT_CLASSES: tuple[tuple[float, str], ...] = (
    (5.0, "#fdbe85"),
    (15.0, "#fd8d3c"),
    (30.0, "#e6550d"),
    (np.inf, "#a63603"),
)
NOT_PUBLISHED_COLOUR = "#8c8c8c"
KIND_COLOURS = {"official_crossing": "#2c7fb8", "irregular_crossing_area": "#c51b8a"}
PLACE_COLOUR = "#3b4a5a"
CHOKEPOINT_RING = "#111111"
CROSSING_KINDS = ("official_crossing", "irregular_crossing_area")
RISK_COLOURS = {"recruitment": "#6a3d9a", "sexual_abuse": "#e31a1c", "threats": "#ff7f00",
                "extortion": "#1f78b4", "robbery": "#33a02c", "kidnapping": "#b15928",
                "disappearance": "#111111", "physical_violence": "#fb9a99", "detention": "#cab2d6",
                "abandonment": "#a6cee3"}
PATTERN_COLOURS = ("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#666666")
#: Getis-Ord Gi* classes of :func:`routes.patterns.hex_hotspots` and their fill colours.
HOTSPOT_CLASS_COLOURS = {"hot_99": "#b2182b", "hot_95": "#d6604d", "hot_90": "#f4a582",
                         "not_significant": "#d9d9d9"}
HOTSPOT_AREA_COLOUR = "#b30000"
#: Service types: ring colour and radius in pixels, so types at one place nest without hiding.
SERVICE_STYLES = {"legal": ("#1b7837", 5.0), "psychosocial": ("#762a83", 8.0), "shelter": ("#b35806", 11.0),
                  "health": ("#2166ac", 14.0)}
OTHER_SERVICE_STYLE = ("#4d4d4d", 17.0)
GAP_COLOUR = "#d7301f"
AREA_COLOURS = ("#f2f0f7", "#cbc9e2", "#9e9ac8", "#756bb1", "#54278f")
PERIOD_COLOUR = "#08306b"

_OUTLINE_STYLE = {"color": "#9aa5b1", "weight": 0.8, "fillColor": "#fbfaf6", "fillOpacity": 1.0}
#: Admin-1 boundaries: thinner, lighter and dashed, so a department line never reads as a border.
_ADMIN1_STYLE = {"color": "#b4bcc6", "weight": 0.7, "dashArray": "4 3", "fill": False}
_WIDTH_PX = (1.5, 12.0)
_RADIUS_PX = (3.0, 16.0)
_PATTERN_RADIUS_PX = (6.0, 20.0)
_GAP_RADIUS_PX = 21.0
_LABEL_CHARS = 40  # a pattern label in the layer control is cut here; the tooltip has it whole


def _scaled(values: pd.Series, low: float, high: float, *, top: float | None = None) -> np.ndarray:
    """``low + (high - low) * sqrt(value / top)`` pixels: sizes whose square grows with the count.

    ``top`` defaults to the largest value; pass a shared one to put several layers on one scale.
    """
    counts = values.to_numpy(dtype=float, na_value=0.0)
    top = counts.max(initial=0.0) if top is None else top
    share = np.sqrt(counts / top) if top > 0 else np.zeros_like(counts)
    return np.round(low + (high - low) * share, 1)


def incident_colours(rates: pd.Series) -> np.ndarray:
    """Colour of each rate's class in :data:`INCIDENT_CLASSES`; grey where the rate is not published."""
    values = rates.to_numpy(dtype=float, na_value=np.nan)
    bounds = np.array([upper for upper, _ in INCIDENT_CLASSES])
    colours = np.array([colour for _, colour in INCIDENT_CLASSES], dtype=object)
    picked = colours[np.minimum(np.searchsorted(bounds, values, side="right"), len(bounds) - 1)]
    return np.where(np.isnan(values), NOT_PUBLISHED_COLOUR, picked)


#: Map panes (name, z-index): outlines and areas under the overlay pane, points over lines, so
#: toggling a layer off and on keeps the drawing order without page script.
_PANES: Mapping[str, tuple[str, int]] = {
    "outlines": ("routes-outlines", 350),
    "admin1": ("routes-admin1", 355),
    "areas": ("routes-areas", 360),
    "hexagons": ("routes-hexagons", 370),
    "hotspots": ("routes-hotspots", 380),
    "flows": ("routes-flows", 410),
    "periods": ("routes-periods", 412),
    "risks": ("routes-risks", 415),
    "places": ("routes-places", 420),
    "patterns": ("routes-patterns", 425),
    "services": ("routes-services", 430),
    "gaps": ("routes-gaps", 435),
}


#: Panes of the offline basemap: drawn, never hit by the pointer.
_BASEMAP_PANES = ("routes-outlines", "routes-admin1")


def _pane(layer: str) -> str:
    return _PANES[layer][0]


def _line_styles(colours: Iterable[str], widths: np.ndarray, *,
                 opacity: float = 0.85) -> list[dict[str, Any]]:
    return [{"color": colour, "weight": float(width), "opacity": opacity, "lineCap": "round",
             "lineJoin": "round"}
            for colour, width in zip(colours, widths, strict=True)]


def _pattern_colour(cluster: int) -> str:
    return PATTERN_COLOURS[cluster % len(PATTERN_COLOURS)]


def area_breaks(counts: pd.Series) -> np.ndarray:
    """Upper bounds of the choropleth classes: quintiles of the published non-zero counts."""
    values = counts.fillna(0).to_numpy(dtype=float)
    values = values[values > 0]
    if not len(values):
        return np.array([np.inf])
    return np.append(np.unique(np.quantile(values, [0.2, 0.4, 0.6, 0.8], method="higher")), np.inf)
