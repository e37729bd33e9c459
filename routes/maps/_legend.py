"""The legend box: one section per layer drawn, notes on scaling, suppression and sources."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from routes._i18n import number
from routes.maps._page import _PAGE_CSS
from routes.maps._style import (
    _LABEL_CHARS,
    AREA_COLOURS,
    CROSSING_KINDS,
    GAP_COLOUR,
    HOTSPOT_AREA_COLOUR,
    HOTSPOT_CLASS_COLOURS,
    INCIDENT_CLASSES,
    KIND_COLOURS,
    NOT_PUBLISHED_COLOUR,
    OTHER_SERVICE_STYLE,
    PATTERN_COLOURS,
    PERIOD_COLOUR,
    PLACE_COLOUR,
    RISK_COLOURS,
    SERVICE_STYLES,
    area_breaks,
)
from routes.maps._words import _short, _text
from routes.places import FALLBACK_ID_PREFIX
from routes.publish.layers import PublishedLayers

if TYPE_CHECKING:
    from routes.privacy import DisclosurePolicy


def _legend_colours() -> dict[str, str]:
    return {
        **{f"routes-c{i}": c for i, (_, c) in enumerate(INCIDENT_CLASSES)},
        "routes-cna": NOT_PUBLISHED_COLOUR, "routes-place": PLACE_COLOUR, "routes-gap": GAP_COLOUR,
        "routes-period-colour": PERIOD_COLOUR, "routes-hotspot-area": HOTSPOT_AREA_COLOUR,
        "routes-area-zero": "#ffffff",
        **{f"routes-{kind}": colour for kind, colour in KIND_COLOURS.items()},
        **{f"routes-r-{risk}": colour for risk, colour in RISK_COLOURS.items()},
        **{f"routes-p{i}": colour for i, colour in enumerate(PATTERN_COLOURS)},
        **{f"routes-h-{name}": colour for name, colour in HOTSPOT_CLASS_COLOURS.items()},
        **{f"routes-s-{name}": colour for name, (colour, _) in SERVICE_STYLES.items()},
        "routes-s-other": OTHER_SERVICE_STYLE[0],
        **{f"routes-a{i}": colour for i, colour in enumerate(AREA_COLOURS)},
    }


def _legend_css() -> str:
    """Page CSS plus one class a colour, so the legend needs no ``style`` attributes (CSP)."""
    rules = "\n".join(
        f".{name} {{ border-color: {c}; }} .routes-dot.{name}, .routes-box.{name} {{ background: {c}; }}"
        for name, c in _legend_colours().items())
    return _PAGE_CSS + rules


def _legend_html(layers: PublishedLayers, *, lang: str, title: str | None, offline: bool,
                 policy: DisclosurePolicy) -> str:
    """The legend box: title, a section per layer drawn, notes. All text escaped."""
    from routes._web import escape_text
    from routes.schema import label

    def item(css: str, text: str, shape: str = "routes-swatch") -> str:
        return f'<li><span class="{shape} {css}"></span>{escape_text(text)}</li>'

    def section(heading: str, items: list[str]) -> str:
        return f"<h5>{escape_text(heading)}</h5><ul>{''.join(items)}</ul>"

    uppers = [upper for upper, _ in INCIDENT_CLASSES]
    rate_labels = [
        f"< {upper:g}" if lower == 0 else f"≥ {lower:g}" if np.isinf(upper) else f"{lower:g} – {upper:g}"
        for lower, upper in zip([0.0, *uppers[:-1]], uppers, strict=True)
    ]
    flows = layers.journeys  # flows, their rates and chokepoints need journeys
    parts = [section(_text("rate", lang), [item(f"routes-c{i}", text) for i, text in enumerate(rate_labels)]
                     + [item("routes-cna", _text("not_published", lang))])] if flows else []
    parts.append(section(_text("places", lang), [item("routes-place", _text("city", lang), "routes-dot")]
                         + [item(f"routes-{k}", _text(k, lang), "routes-dot") for k in CROSSING_KINDS]
                         + [item("routes-ring", _text("chokepoint", lang), "routes-dot")] * flows))
    if layers.risks is not None and len(layers.risks):
        parts.append(section(_text("risks", lang), [item(f"routes-r-{risk}", label("risk", risk, lang))
                                                    for risk in dict.fromkeys(layers.risks["risk"])]))
    if layers.patterns is not None and len(layers.patterns):
        names = layers.patterns.drop_duplicates("cluster")
        parts.append(section(_text("patterns", lang), [
            item(f"routes-p{int(c) % len(PATTERN_COLOURS)}",
                 f"{int(c) + 1}: {_short(text, 2 * _LABEL_CHARS)}", "routes-hollow")
            for c, text in zip(names["cluster"], names[f"label_{lang}"], strict=True)]))
    if layers.hexagons is not None and len(layers.hexagons):
        present = set(layers.hexagons["hotspot"])
        parts.append(section(_text("hexagons", lang), [
            item(f"routes-h-{name}", _text(name, lang), "routes-box")
            for name in HOTSPOT_CLASS_COLOURS if name in present]))
        parts.append(f"<p>{escape_text(_text('gi_method', lang))}</p>")
    if layers.hotspots is not None and len(layers.hotspots):
        parts.append(section(_text("hotspot_areas", lang),
                             [item("routes-hotspot-area", _text("hotspot_circle", lang), "routes-hollow")]))
    if layers.services is not None:
        types = dict.fromkeys(layers.services["service_type"])
        parts.append(section(_text("services", lang), [
            item(f"routes-s-{t}" if t in SERVICE_STYLES else "routes-s-other",
                 label("service_type", t, lang) if t in SERVICE_STYLES else str(t), "routes-hollow")
            for t in types] + [item("routes-gap", _text("gap", lang), "routes-hollow routes-dashed")]))
    if layers.areas is not None:
        breaks = area_breaks(layers.areas["n_people"])
        lowers = [policy.smallest_published, *breaks[:-1]]
        ranges = [f"{number(low, lang)} – {number(high, lang)}" if np.isfinite(high)
                  else f"> {number(low, lang)}" for low, high in zip(lowers, breaks, strict=True)]
        parts.append(section(_text("areas", lang), [item(f"routes-a{i}", text, "routes-box")
                                                    for i, text in enumerate(ranges)]
                             + [item("routes-area-zero", "0", "routes-box"),
                                item("routes-cna", _text("not_published", lang), "routes-box")]))
    notes = [_text("scaling", lang) if flows else _text("no_journeys", lang)]
    if layers.periods is not None and len(layers.periods):
        notes.append(_text("period_help", lang).format(unit=_text(layers.period_unit, lang)))
    notes.append(policy.describe(lang))
    if layers.places.index.astype(str).str.startswith(FALLBACK_ID_PREFIX).any():  # the fallback's towns
        notes.append(_text("geonames_credit", lang))
    # which layers withhold cells, not how many: their number is a statistic of small cells, and one
    # person fewer who alone filled a cell would change it
    hidden = [_text("hidden_" + name, lang) for name, n in layers.hidden.items() if n]
    if hidden:
        notes.append(_text("suppressed", lang).format(items=", ".join(hidden)))
    paragraphs = "".join(f"<p>{escape_text(note)}</p>" for note in notes)
    if offline:
        paragraphs += f'<p class="routes-note">{escape_text(_text("offline_note", lang))}</p>'
    heading = f"<h4>{escape_text(title)}</h4>" if title else ""
    # <details> folds the legend away with no script (the page's CSP allows none inline but hashed)
    legend_label = escape_text(_text("legend", lang))
    return (f'<div class="routes-legend" role="region" aria-label="{legend_label}"><details open>'
            f"<summary>{legend_label}</summary>{heading}{''.join(parts)}{paragraphs}</details></div>")


def _legend(html: str) -> Any:
    """A branca element that puts the page CSS in the head and the legend box in the body."""
    from branca.element import MacroElement
    from jinja2 import Template

    class Legend(MacroElement):
        _template = Template(
            "{% macro header(this, kwargs) %}<style>{{ this.css }}</style>{% endmacro %}"
            "{% macro html(this, kwargs) %}{{ this.body }}{% endmacro %}"
        )

        def __init__(self) -> None:
            super().__init__()
            self._name = "RoutesLegend"
            self.css = _legend_css()
            self.body = html

    return Legend()
