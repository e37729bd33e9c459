"""Page furniture: the period slider, place labels, the scale bar and tooltips kept inside the map."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from routes.maps._words import _text
from routes.publish.layers import DECIMALS

if TYPE_CHECKING:
    import folium


#: Place names are written on the map from this zoom on (about 1:4 million).
LABEL_MIN_ZOOM = 7


def _period_control(layers: list[folium.GeoJson], labels: list[str], *, unit: str, lang: str) -> Any:
    """A slider (top left) that shows one period layer at a time; position 0 shows none.

    The script builds the control with DOM calls and attaches its listener itself: no inline
    event handler, so the page's hash-based Content-Security-Policy covers it.
    """
    from branca.element import MacroElement
    from jinja2 import Template

    from routes._web import safe_json

    class PeriodControl(MacroElement):
        _template = Template("""
{% macro script(this, kwargs) %}
(function () {
  var map = {{ this._parent.get_name() }};
  var layers = [{{ this.layer_names }}];
  var labels = {{ this.labels }};
  var control = L.control({position: "topleft"});
  control.onAdd = function () {
    var box = L.DomUtil.create("div", "routes-period leaflet-bar");
    var title = L.DomUtil.create("div", "routes-period-title", box);
    title.textContent = {{ this.title }};
    var slider = L.DomUtil.create("input", "routes-period-slider", box);
    slider.type = "range"; slider.min = "0"; slider.max = String(layers.length); slider.step = "1";
    slider.value = "0";
    slider.setAttribute("aria-label", {{ this.title }});
    var shown = L.DomUtil.create("div", "routes-period-label", box);
    shown.textContent = labels[0];
    slider.addEventListener("input", function () {
      var chosen = Number(slider.value);
      layers.forEach(function (layer, i) {
        if (i + 1 === chosen) { map.addLayer(layer); } else { map.removeLayer(layer); }
      });
      shown.textContent = labels[chosen];
    });
    L.DomEvent.disableClickPropagation(box);
    L.DomEvent.disableScrollPropagation(box);
    return box;
  };
  control.addTo(map);
})();
{% endmacro %}
""")

        def __init__(self) -> None:
            super().__init__()
            self._name = "RoutesPeriodControl"
            self.layer_names = ", ".join(layer.get_name() for layer in layers)
            self.labels = safe_json([_text("all_periods", lang), *labels])
            self.title = safe_json(f"{_text('periods', lang)} ({_text(unit, lang)})")

    return PeriodControl()


def _place_labels(places: gpd.GeoDataFrame) -> Any:
    """Names of the places drawn, from zoom :data:`LABEL_MIN_ZOOM`; none overprints another.

    Labels are laid out on every zoom and pan, the places with most people (published counts)
    first; a label whose box meets one already shown is hidden. Names travel entity-encoded like
    every string of the page, are decoded as RCDATA (a ``textarea``, which makes no element) and set
    as text, never HTML.
    """
    from branca.element import MacroElement
    from jinja2 import Template

    from routes._web import escape_text, safe_json

    order = places.assign(_n=pd.to_numeric(places["n_people"], errors="coerce").fillna(0))
    order = order.sort_values(["_n", "name"], ascending=[False, True], kind="stable")
    xy = np.round(shapely.get_coordinates(order.geometry.to_numpy()), DECIMALS)
    rows = [[float(y), float(x), escape_text(name)] for (x, y), name in zip(xy, order["name"], strict=True)]

    class PlaceLabels(MacroElement):
        _template = Template("""
{% macro script(this, kwargs) %}
(function () {
  var map = {{ this._parent.get_name() }};
  var places = {{ this.places }};
  var decoder = document.createElement("textarea");
  function text(encoded) { decoder.innerHTML = encoded; return decoder.value; }
  var pane = map.createPane("routes-labels");
  pane.style.zIndex = "450"; pane.style.pointerEvents = "none";
  var markers = places.map(function (p) {
    return L.marker([p[0], p[1]], {icon: L.divIcon({className: "routes-label", html: "", iconSize: null}),
                                   pane: "routes-labels", interactive: false, keyboard: false});
  });
  function layout() {
    var show = map.getZoom() >= {{ this.min_zoom }};
    var taken = [];
    markers.forEach(function (marker, i) {
      if (!show) { if (map.hasLayer(marker)) { map.removeLayer(marker); } return; }
      if (!map.hasLayer(marker)) { marker.addTo(map); marker.getElement().textContent = text(places[i][2]); }
      var label = marker.getElement();
      label.style.visibility = "visible";
      var r = label.getBoundingClientRect();
      var clash = taken.some(function (t) {
        return r.left < t.right && t.left < r.right && r.top < t.bottom && t.top < r.bottom;
      });
      if (clash) { label.style.visibility = "hidden"; } else { taken.push(r); }
    });
  }
  map.on("zoomend moveend", layout);
  map.whenReady(layout);
})();
{% endmacro %}
""")

        def __init__(self) -> None:
            super().__init__()
            self._name = "RoutesPlaceLabels"
            self.places = safe_json(rows)
            self.min_zoom = LABEL_MIN_ZOOM

    return PlaceLabels()


_PAGE_CSS = """
.leaflet-container { background: #e4ebf1; }
.routes-legend { position: absolute; z-index: 1000; left: 10px; bottom: 22px; max-width: 300px;
  max-height: calc(100% - 210px); overflow-y: auto;
  background: rgba(255,255,255,0.93); border-radius: 4px; padding: 8px 10px; font: 12px/1.35 sans-serif;
  box-shadow: 0 1px 4px rgba(0,0,0,0.3); color: #222; }
.routes-legend summary { cursor: pointer; font-weight: bold; color: #555; margin-bottom: 2px; }
.routes-legend h4 { margin: 0 0 4px; font-size: 13px; }
.routes-legend h5 { margin: 6px 0 2px; font-size: 12px; }
.routes-legend ul { list-style: none; margin: 0; padding: 0; }
.routes-legend li { margin: 1px 0; }
.routes-legend p { margin: 4px 0 0; color: #444; }
.routes-legend .routes-note { font-weight: bold; color: #5a3d00; }
.routes-swatch { display: inline-block; width: 18px; height: 0; border-top: 4px solid; margin-right: 6px;
  vertical-align: middle; }
.routes-dot { display: inline-block; width: 10px; height: 10px; border-radius: 50%; margin-right: 6px;
  vertical-align: middle; border: 1px solid #fff; }
.routes-ring { border: 3px solid #111; width: 8px; height: 8px; }
.routes-hollow { display: inline-block; width: 10px; height: 10px; border-radius: 50%; margin-right: 6px;
  vertical-align: middle; border: 2px solid; }
.routes-dashed { border-style: dashed; }
.routes-box { display: inline-block; width: 12px; height: 10px; margin-right: 6px; vertical-align: middle;
  border: 1px solid #777; }
.routes-tooltip { white-space: normal; width: max-content; max-width: min(340px, calc(100vw - 24px)); }
.routes-tooltip th { text-align: left; padding-right: 8px; font-weight: normal; color: #555; }
.routes-above-controls { position: absolute; left: 0; top: 0; z-index: 1100; }
.leaflet-control-scale-line { font-size: 10px; padding: 1px 3px 0; }
.routes-period { background: #fff; padding: 6px 8px; font: 12px/1.3 sans-serif; min-width: 190px; }
.routes-period-title { font-weight: bold; margin-bottom: 2px; }
.routes-period-slider { width: 100%; }
.routes-label { font: 600 11px/1.1 sans-serif; color: #2b2b2b; white-space: nowrap; margin: -6px 0 0 9px;
  text-shadow: 0 0 2px #fff, 0 0 2px #fff, 0 0 3px #fff; }
@media (max-width: 640px) {
  .routes-legend { max-width: calc(100% - 70px); max-height: 45%; bottom: 30px; font-size: 11px; }
  .routes-period { min-width: 150px; }
}
"""
#: Longest scale bar (CSS pixels): Leaflet rounds down to 1, 2, 3 or 5 × 10ⁿ, so the bar is at least
#: half of it, wide enough for its label ("1000 km" at 10 px) that Leaflet's CSS would otherwise clip.
_SCALE_MAX_PX = 120
#: Width (CSS pixels) under which the page is laid out for a phone (see ``_PAGE_CSS``'s media query).
_SMALL_SCREEN_PX = 640
#: Least distance (CSS pixels) between an open tooltip and the map's edge.
_TOOLTIP_MARGIN_PX = 4


def _page_controls() -> Any:
    """A metric scale only; on a phone-sized screen the legend folded until tapped; tooltips and
    popups above every control and inside the map.

    Leaflet draws tooltips and popups in panes of its map pane, a stacking context under the
    controls and the legend (z-index 1000), so a tooltip beside the legend or the layer control
    used to slide under it. Their panes move to a pane of their own over the controls
    (``.routes-above-controls``) that follows the map pane as the map moves, and a tooltip that
    would cross the map's edge (a place near the top, a sticky tooltip at the side) is shifted
    back inside. Leaflet's ``auto`` direction already opens a tooltip towards the map's centre,
    away from the controls at the sides.
    """
    from branca.element import MacroElement
    from jinja2 import Template

    class PageControls(MacroElement):
        _template = Template("""
{% macro script(this, kwargs) %}
(function () {
  var map = {{ this._parent.get_name() }};
  L.control.scale({metric: true, imperial: false, position: "topright", maxWidth: {{ this.scale_px }}})
    .addTo(map);
  if (window.matchMedia("(max-width: {{ this.small_screen }}px)").matches) {
    var legend = document.querySelector(".routes-legend details");
    if (legend) { legend.removeAttribute("open"); }
  }
  var above = L.DomUtil.create("div", "routes-above-controls", map.getContainer());
  above.appendChild(map.getPane("tooltipPane"));
  above.appendChild(map.getPane("popupPane"));
  function follow() { L.DomUtil.setPosition(above, L.DomUtil.getPosition(map.getPane("mapPane"))); }
  map.on("move zoom viewreset moveend zoomend resize", follow);
  follow();
  if (!L.Tooltip.prototype.routesKeptInside) {
    var place = L.Tooltip.prototype._setPosition;
    L.Tooltip.include({routesKeptInside: true, _setPosition: function (pos) {
      place.call(this, pos);
      var margin = {{ this.margin }}, size = this._map.getSize(), tip = this._container;
      var at = this._map.layerPointToContainerPoint(L.DomUtil.getPosition(tip));
      var right = at.x + tip.offsetWidth, bottom = at.y + tip.offsetHeight;
      var dx = at.x < margin ? margin - at.x : right > size.x - margin ? size.x - margin - right : 0;
      var dy = at.y < margin ? margin - at.y : bottom > size.y - margin ? size.y - margin - bottom : 0;
      if (dx || dy) { L.DomUtil.setPosition(tip, L.DomUtil.getPosition(tip).add(L.point(dx, dy))); }
    }});
  }
})();
{% endmacro %}
""")

        def __init__(self) -> None:
            super().__init__()
            self._name = "RoutesPageControls"
            self.small_screen = _SMALL_SCREEN_PX
            self.margin = _TOOLTIP_MARGIN_PX
            self.scale_px = _SCALE_MAX_PX

    return PageControls()
