"""Route maps: published flows, places, risks, patterns, hotspots, services and periods, offline.

The layers take *published* tables, the output of :mod:`routes.privacy`: counts of distinct people
that passed the disclosure threshold (suppressed cells are not drawn) and nothing else.
:func:`publish_layers` computes them from the analysis results (in :mod:`routes.publish.layers`, the
counting side; re-exported here), :func:`draw_map` draws them and :func:`route_map` does both; a
release's map (:func:`release_map`) only draws. Every GeoJSON property is a name the policy's
``allowed_fields`` lists for that product (others are dropped before the page is built), and every
string in it is entity-encoded with :func:`routes._web.escape_text`, because Leaflet and folium
tooltips insert feature properties as HTML. The page's scripts are folium's plus one hashed script
for the period slider, with no inline event handlers, so a Content-Security-Policy with script
hashes holds.

Drawing rules
-------------
* Flows are one GeoJSON layer of directed segments. Each segment is a quadratic Bézier curve bent
  to the right of its direction (control point at 18 % of the chord length, in Web Mercator, the
  map's own projection), so A → B and B → A run side by side, with an arrowhead half way.
  Line width is ``1.5 + 10.5 * sqrt(n / n_max)`` pixels for ``n`` people (area-like scaling, so a
  flow of four times the people looks twice as wide), colour the class of incidents per 100 people.
* Places are circles whose *area* is proportional to people passing (radius ``3 + 13 *
  sqrt(n / n_max)`` pixels); chokepoints have a thick dark ring; border crossings are a layer of
  their own, official and irregular in two colours.
* Risks: one layer per risk type (the first shown), the same curves and circles sized by the
  people who reported that risk there, on one scale across risk types.
* Patterns: one layer per modus-operandi cluster (the first shown), rings at the places where the
  cluster is over-represented, sized by its people there.
* Hotspots: H3 hexagons coloured by their Getis-Ord Gi* class, or hotspot areas drawn as circles
  around a centre rounded to 0.01° with a radius rounded up to the kilometre, so the drawing does
  not trace the incidents' own coordinates.
* Services: concentric rings at the service's place, one radius and colour per service type; high-
  risk places with no service within reach get a dashed red ring.
* Admin areas: a choropleth of people per area in five classes (quantile breaks of published counts).
* Periods: the flows of one quarter (or month, or year) at a time, chosen with a slider.
* Offline there are no tiles: Natural Earth 1:10m country outlines and, inside the gazetteer's
  countries, dashed first-level admin boundaries (:mod:`routes.basemap`), clipped to the view and
  simplified, form a light basemap, and the page says so.
"""

from routes._i18n import LANGUAGES as LANGUAGES
from routes.basemap import admin1_lines, country_outlines
from routes.errors import MapError
from routes.maps._draw import MAX_ZOOM as MAX_ZOOM
from routes.maps._draw import draw_map, explore, release_map, route_map
from routes.maps._geometry import curved_flows
from routes.maps._page import LABEL_MIN_ZOOM as LABEL_MIN_ZOOM
from routes.maps._save import ONLINE_ASSET_HOST as ONLINE_ASSET_HOST
from routes.maps._save import ONLINE_TILE_HOST as ONLINE_TILE_HOST
from routes.maps._save import save_map, stable_ids
from routes.maps._style import AREA_COLOURS as AREA_COLOURS
from routes.maps._style import CHOKEPOINT_RING as CHOKEPOINT_RING
from routes.maps._style import CROSSING_KINDS as CROSSING_KINDS
from routes.maps._style import GAP_COLOUR as GAP_COLOUR
from routes.maps._style import HOTSPOT_AREA_COLOUR as HOTSPOT_AREA_COLOUR
from routes.maps._style import HOTSPOT_CLASS_COLOURS as HOTSPOT_CLASS_COLOURS
from routes.maps._style import INCIDENT_CLASSES
from routes.maps._style import KIND_COLOURS as KIND_COLOURS
from routes.maps._style import NOT_PUBLISHED_COLOUR as NOT_PUBLISHED_COLOUR
from routes.maps._style import OTHER_SERVICE_STYLE as OTHER_SERVICE_STYLE
from routes.maps._style import PATTERN_COLOURS as PATTERN_COLOURS
from routes.maps._style import PERIOD_COLOUR as PERIOD_COLOUR
from routes.maps._style import PLACE_COLOUR as PLACE_COLOUR
from routes.maps._style import RISK_COLOURS as RISK_COLOURS
from routes.maps._style import SERVICE_STYLES as SERVICE_STYLES
from routes.maps._style import area_breaks as area_breaks
from routes.maps._style import incident_colours as incident_colours
from routes.publish.layers import AREA_PROPERTIES as AREA_PROPERTIES
from routes.publish.layers import (
    FLOW_PROPERTIES,
    PLACE_PROPERTIES,
    RISK_LAYERS,
    PublishedLayers,
    publish_layers,
    published_areas,
    published_gaps,
    published_hexagons,
    published_hotspots,
    published_patterns,
    published_periods,
    published_risks,
    published_services,
    published_tables,
)
from routes.publish.layers import GAP_PROPERTIES as GAP_PROPERTIES
from routes.publish.layers import HEXAGON_PROPERTIES as HEXAGON_PROPERTIES
from routes.publish.layers import HOTSPOT_PROPERTIES as HOTSPOT_PROPERTIES
from routes.publish.layers import PATTERN_PROPERTIES as PATTERN_PROPERTIES
from routes.publish.layers import PERIOD_PROPERTIES as PERIOD_PROPERTIES
from routes.publish.layers import RISK_PROPERTIES as RISK_PROPERTIES
from routes.publish.layers import SERVICE_PROPERTIES as SERVICE_PROPERTIES

__all__ = [
    "FLOW_PROPERTIES",
    "INCIDENT_CLASSES",
    "PLACE_PROPERTIES",
    "RISK_LAYERS",
    "MapError",
    "PublishedLayers",
    "admin1_lines",
    "country_outlines",
    "curved_flows",
    "draw_map",
    "explore",
    "publish_layers",
    "published_areas",
    "published_gaps",
    "published_hexagons",
    "published_hotspots",
    "published_patterns",
    "published_periods",
    "published_risks",
    "published_services",
    "published_tables",
    "release_map",
    "route_map",
    "save_map",
    "stable_ids",
]
