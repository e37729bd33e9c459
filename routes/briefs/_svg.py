"""The static corridor map: segments by people and risk on country outlines, no tiles.

Drawn at the size it prints; place and country labels never overprint (:class:`_LabelBoard`).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, cast

import geopandas as gpd
import numpy as np

from routes import _i18n
from routes._i18n import number
from routes.publish.findings import Lang

if TYPE_CHECKING:
    from matplotlib.typing import LineStyleType
    from shapely.geometry import Point


SVG_HASHSALT = "routes-brief"


# Risk class → (colour, dash pattern in line widths, drawing order). Dashes keep the classes apart in
# black-and-white print; colour only helps on screen.
_RISK_STYLE: dict[str, tuple[str, tuple[float, ...] | None, int]] = {
    "higher": ("#8b1a1a", None, 3),
    "similar": ("#5a4a1a", (3.0, 1.6), 2),
    "lower": ("#4d4d4d", (0.6, 1.6), 1),
    "unknown": ("#8c8c8c", (3.0, 1.2, 0.6, 1.2), 0),
}
_MARKERS: tuple[tuple[str, str, float, str], ...] = (
    ("chokepoint", "o", 7, "none"),
    ("official_crossing", "s", 4.5, "white"),
    ("irregular_crossing_area", "X", 5.5, "white"),
)
"""The legend's place markers: kind (a key of :data:`routes._i18n.BRIEF_MAP`), marker, size, face colour."""
_MAP_SIZE_IN = (3.65, 3.5)  # the half-page column it prints in, so 6 pt labels print at 6 pt
_MAX_LINE_PT = 5.0
_MIN_LINE_PT = 0.6
_MAX_LABELS = 12


def _line_style(dashes: tuple[float, ...] | None) -> LineStyleType:
    """A risk class's dash pattern as a matplotlib line style: solid when it has none."""
    return (0, dashes) if dashes else "solid"


def _nice_round(value: float) -> int:
    """``value`` rounded down to 1, 2 or 5 times a power of ten."""
    power = 10 ** int(np.floor(np.log10(max(value, 1))))
    return int(max(m for m in (1, 2, 5) if m * power <= max(value, 1)) * power)


def corridor_map_svg(
    segments: gpd.GeoDataFrame,
    places: gpd.GeoDataFrame,
    *,
    lang: Lang = "es",
    smallest: int = 15,
    size_in: tuple[float, float] = _MAP_SIZE_IN,
) -> str:
    """Draw the released corridor layers as a standalone SVG document.

    Parameters
    ----------
    segments
        Lines in EPSG:4326 with ``n_people`` (released counts) and ``risk`` (``higher``, ``similar``,
        ``lower`` or ``unknown`` against the corridor's rate).
    places
        Points in EPSG:4326 with ``name``, ``kind``, ``chokepoint`` (bool) and ``n_people``.
    lang
        Language of the legend and of the country names.
    smallest
        Smallest count the legend may show as a line-width sample (the policy's smallest published count).
    size_in
        Figure size in inches.

    Returns
    -------
    str
        SVG text, byte-stable for the same input (fixed ``svg.hashsalt``, no date).
    """
    import matplotlib
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    west, south, east, north = _bounds(segments, places)
    crs = (
        f"+proj=aeqd +lat_0={(south + north) / 2:.3f} +lon_0={(west + east) / 2:.3f} "
        "+datum=WGS84 +units=m +no_defs"
    )
    lines, points = segments.to_crs(crs), places.to_crs(crs)
    xmin, ymin, xmax, ymax = _bounds(lines, points)
    width, height = xmax - xmin, ymax - ymin
    aspect = size_in[0] / size_in[1]
    span_x = max(width * 1.15, height * 1.15 * aspect, 300_000.0)
    span_y = span_x / aspect
    cx, cy = (xmin + xmax) / 2, (ymin + ymax) / 2
    view = (cx - span_x / 2, cx + span_x / 2, cy - span_y / 2, cy + span_y / 2)
    from routes.basemap import country_outlines
    from routes.places import country_names

    countries = country_outlines((west, south, east, north), margin_deg=12.0, tolerance_deg=0.01)
    countries = countries.assign(name=country_names(countries["iso3"], lang)).to_crs(crs)

    with matplotlib.rc_context(
        {
            "svg.hashsalt": SVG_HASHSALT,
            "svg.fonttype": "none",
            "font.family": ["Liberation Sans", "DejaVu Sans"],
            "font.size": 6.5,
        }
    ):
        figure = Figure(figsize=size_in)
        ax = figure.add_axes((0, 0, 1, 1))
        countries.plot(ax=ax, facecolor="#f2f2f2", edgecolor="#7a7a7a", linewidth=0.5)
        top = max(float(lines["n_people"].max()), 1.0) if len(lines) else 1.0
        widths = _MIN_LINE_PT + (_MAX_LINE_PT - _MIN_LINE_PT) * np.sqrt(
            lines["n_people"].to_numpy(float) / top
        )
        for risk, (colour, dashes, order) in sorted(_RISK_STYLE.items(), key=lambda item: item[1][2]):
            chosen = (lines["risk"] == risk).to_numpy()
            if chosen.any():
                # types-geopandas types linewidth as one float; plot passes it on to matplotlib's
                # LineCollection, which takes one width per line
                lines[chosen].plot(  # type: ignore[call-overload]
                    ax=ax,
                    color=colour,
                    linewidth=widths[chosen],
                    zorder=2 + order,
                    linestyle=_line_style(dashes),
                    capstyle="round",
                )
        for kind, marker, size in (("official_crossing", "s", 18), ("irregular_crossing_area", "X", 26)):
            of_kind = points[(points["kind"] == kind).to_numpy()]
            if len(of_kind):
                ax.scatter(
                    of_kind.geometry.x,
                    of_kind.geometry.y,
                    marker=marker,
                    s=size,
                    facecolor="white",
                    edgecolor="black",
                    linewidth=0.8,
                    zorder=8,
                )
        choke = points[points["chokepoint"].to_numpy(bool)]
        ax.scatter(
            choke.geometry.x,
            choke.geometry.y,
            marker="o",
            s=70,
            facecolor="none",
            edgecolor="black",
            linewidth=1.2,
            zorder=9,
        )
        other = points[~points["kind"].isin(["official_crossing", "irregular_crossing_area"]).to_numpy()]
        ax.scatter(other.geometry.x, other.geometry.y, marker="o", s=5, color="black", zorder=7)
        ax.set_xlim(view[0], view[1])
        ax.set_ylim(view[2], view[3])
        _scale_bar(ax, view)
        handles = [
            Line2D(
                [],
                [],
                color=_RISK_STYLE[r][0],
                linewidth=2.2,
                linestyle=_line_style(_RISK_STYLE[r][1]),
                label=_i18n.BRIEF_MAP.text(r, lang),
            )
            for r in ("higher", "similar", "lower", "unknown")
            if (lines["risk"] == r).any()
        ]
        for people in sorted(
            {p for p in (_nice_round(top), _nice_round(top / 8)) if p >= smallest}, reverse=True
        ):
            width = _MIN_LINE_PT + (_MAX_LINE_PT - _MIN_LINE_PT) * np.sqrt(people / top)
            label = _i18n.BRIEF_MAP.text("people", lang).format(n=number(people, lang))
            handles.append(Line2D([], [], color="black", linewidth=width, label=label))
        handles += [
            Line2D(
                [], [], marker=marker, markersize=size, markerfacecolor=face, markeredgecolor="black",
                linestyle="none", label=_i18n.BRIEF_MAP.text(kind, lang),
            )
            for kind, marker, size, face in _MARKERS
        ]
        ax.legend(
            handles=handles,
            loc="lower left",
            fontsize=5.5,
            frameon=True,
            framealpha=0.92,
            edgecolor="#333333",
            handlelength=3.2,
            borderpad=0.5,
        )
        ax.set_axis_off()
        _place_labels(ax, points, countries, view)
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    text = buffer.getvalue()
    return text[text.index("<svg") :]


_NEAR_SPOTS = (  # (dx, dy) in points from the place, horizontal and vertical alignment: tried in order
    (4.0, 0.0, "left", "center"),
    (-4.0, 0.0, "right", "center"),
    (3.0, 3.0, "left", "bottom"),
    (-3.0, 3.0, "right", "bottom"),
    (3.0, -3.0, "left", "top"),
    (-3.0, -3.0, "right", "top"),
    (0.0, 5.0, "center", "bottom"),
    (0.0, -5.0, "center", "top"),
)
_LEADER_DIRECTIONS = ((1, 0), (-1, 0), (1, 1), (-1, 1), (1, -1), (-1, -1), (0, 1), (0, -1))
_LEADER_LENGTHS_PT = (14.0, 22.0, 32.0)  # a crowded place's label this far out, joined by a leader line
_LABEL_PAD_PT = (1.2, 1.6)  # room kept around a label's box (x, y): a browser's text box is a little taller
_LABEL_PAD_WIDTH = 0.06  # and a share of its width each side: at 6 px a browser rounds glyph advances up
_MARKER_RADIUS_PT = {"chokepoint": 4.6, "official_crossing": 2.8, "irregular_crossing_area": 3.2, "": 1.6}
_CROWD_PT = 30.0  # markers within this distance make a crowd: leader lines point away from its centre


class _LabelBoard:
    """The boxes already taken on a map (display units), and whether a new label or leader line fits."""

    def __init__(self, ax: Any) -> None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        self.ax = ax
        self.renderer = FigureCanvasAgg(ax.figure).get_renderer()
        self.pt = ax.figure.dpi / 72
        self.frame = ax.get_window_extent(self.renderer).padded(-2 * self.pt)
        self.boxes = [ax.get_legend().get_window_extent(self.renderer)]
        self.boxes += [artist.get_window_extent(self.renderer) for artist in (*ax.texts, *ax.lines)]
        self.leaders: list[Any] = []

    def free(self, box: Any) -> bool:
        inside = (self.frame.x0 <= box.x0 and box.x1 <= self.frame.x1
                  and self.frame.y0 <= box.y0 and box.y1 <= self.frame.y1)
        return inside and not any(box.overlaps(other) for other in self.boxes)

    def place(self, text: Any, leader: Any = None) -> bool:
        """Keep ``text`` (and its leader, a shapely line in display units) if free, else remove it."""
        from matplotlib.transforms import Bbox

        extent = text.get_window_extent(self.renderer)
        dx = _LABEL_PAD_PT[0] * self.pt + _LABEL_PAD_WIDTH * extent.width
        dy = _LABEL_PAD_PT[1] * self.pt
        box = Bbox([[extent.x0 - dx, extent.y0 - dy], [extent.x1 + dx, extent.y1 + dy]])
        area = _shapely_box(box)
        crossing = any(line.intersects(area) for line in self.leaders) or (leader is not None and (
            any(leader.intersects(other) for other in self.leaders)
            or any(leader.intersects(_shapely_box(other)) for other in self.boxes)
        ))
        if crossing or not self.free(box):
            text.remove()
            return False
        self.boxes.append(box)
        if leader is not None:
            self.leaders.append(leader)
        return True


def _shapely_box(bbox: Any) -> Any:
    from shapely import box

    return box(bbox.x0, bbox.y0, bbox.x1, bbox.y1)


def _place_labels(ax: Any, points: gpd.GeoDataFrame, countries: gpd.GeoDataFrame,
                  view: tuple[float, float, float, float]) -> None:
    """Name places and countries on the map so that no label overprints another, a marker, a leader
    line, the legend or the scale bar.

    Places go first (chokepoints, then by people; at most :data:`_MAX_LABELS`): each at the first of
    :data:`_NEAR_SPOTS` around its point where its box is free, else farther out in a direction away
    from the crowd of markers around it, with a leader line that crosses no other; a name that fits
    nowhere is left out. Countries follow, largest first, at a point inside their visible part or a
    line or two above or below it, and are left out where they would collide. Boxes are measured with
    matplotlib's Agg renderer (the same Liberation Sans a browser draws the SVG with), with room to spare.
    """
    from matplotlib.transforms import Bbox
    from shapely import box

    board = _LabelBoard(ax)
    pt = board.pt
    xy = np.asarray(ax.transData.transform(np.column_stack([points.geometry.x, points.geometry.y])))
    kinds = np.where(points["chokepoint"].to_numpy(bool), "chokepoint",
                     points["kind"].where(points["kind"].isin(list(_MARKER_RADIUS_PT)), "").to_numpy(str))
    radius = np.array([_MARKER_RADIUS_PT[kind] * pt for kind in kinds])
    board.boxes += [Bbox([[x - r, y - r], [x + r, y + r]]) for (x, y), r in zip(xy, radius, strict=True)]
    order = np.lexsort((points["name"].to_numpy(str), -points["n_people"].fillna(0).to_numpy(float),
                        ~points["chokepoint"].to_numpy(bool)))
    named = 0
    for i in order:
        if named == _MAX_LABELS:
            break
        crowd = xy[np.hypot(*(xy - xy[i]).T) < _CROWD_PT * pt]
        away = xy[i] - crowd.mean(axis=0)
        named += _label_place(board, str(points["name"].iloc[i]), points.geometry.iloc[i], away, radius[i])
    frame = box(view[0], view[2], view[1], view[3])
    visible = countries.assign(geometry=countries.geometry.intersection(frame))
    visible = visible[~visible.geometry.is_empty]
    visible = visible.assign(area=visible.geometry.area)
    visible = visible.sort_values(["area", "name"], ascending=[False, True])
    # types-geopandas: a GeoSeries holds BaseGeometry; representative_point's are all Points
    anchors = cast("Sequence[Point]", visible.geometry.representative_point())
    for name, anchor in zip(visible["name"], anchors, strict=True):
        for lines in (0, 1.5, -1.5, 3, -3):
            text = ax.annotate(name.upper(), (anchor.x, anchor.y), xytext=(0, lines * 6),
                               textcoords="offset points", ha="center", va="center", color="#8a8a8a",
                               fontsize=6, fontstyle="italic", zorder=1.5)
            if board.place(text):
                break


def _label_place(board: _LabelBoard, name: str, point: Point, away: np.ndarray, radius: float) -> bool:
    """Name one place: beside it if there is room, else out along a leader line pointing ``away``
    (display units) from its crowd. Whether it was named."""
    from shapely import LineString

    ax, pt = board.ax, board.pt
    halo = {"boxstyle": "square,pad=0.08", "facecolor": "white", "edgecolor": "none", "alpha": 0.8}

    def label(dx: float, dy: float, ha: str, va: str) -> Any:
        return ax.annotate(name, (point.x, point.y), xytext=(dx, dy), textcoords="offset points", ha=ha,
                           va=va, fontsize=6, bbox=halo, zorder=10)

    if any(board.place(label(*spot)) for spot in _NEAR_SPOTS):
        return True
    at = np.asarray(ax.transData.transform((point.x, point.y)))
    directions = sorted(_LEADER_DIRECTIONS, key=lambda d: -float(np.dot(d, away)) / float(np.hypot(*d)))
    for length in _LEADER_LENGTHS_PT:
        for ux, uy in directions:
            unit = np.array([ux, uy]) / np.hypot(ux, uy)
            ends = [at + unit * (radius + 0.5 * pt), at + unit * (length - 1.5) * pt]
            dx, dy = unit * length
            text = label(float(dx), float(dy), {1: "left", 0: "center", -1: "right"}[ux],
                         {1: "bottom", 0: "center", -1: "top"}[uy])
            if board.place(text, LineString(ends)):
                line = ax.transData.inverted().transform(ends)
                ax.plot(line[:, 0], line[:, 1], color="#333333", linewidth=0.4, zorder=9.5)
                return True
    return False


def _bounds(*frames: gpd.GeoDataFrame) -> tuple[float, float, float, float]:
    boxes = np.array([f.total_bounds for f in frames if len(f)])
    return boxes[:, 0].min(), boxes[:, 1].min(), boxes[:, 2].max(), boxes[:, 3].max()


def _scale_bar(ax: Any, view: tuple[float, float, float, float]) -> None:
    """A scale bar in km at the lower right, a fifth of the view wide, rounded to 1, 2 or 5."""
    length_km = _nice_round((view[1] - view[0]) / 5 / 1000)
    x1 = view[1] - (view[1] - view[0]) * 0.04
    x0 = x1 - length_km * 1000
    y = view[2] + (view[3] - view[2]) * 0.04
    ax.plot([x0, x1], [y, y], color="black", linewidth=1.5, solid_capstyle="butt", zorder=11)
    ax.text(
        (x0 + x1) / 2, y + (view[3] - view[2]) * 0.012, f"{length_km} km", ha="center", fontsize=6, zorder=11
    )
