"""The public data export of a release: what partners upload to a data-sharing platform.

CSV files with an HXL hashtag row under the header, GeoJSON for what has a place on the map, and
``manifest.json`` (policy, period, source, what was withheld). Every value is the release's: the
same cells the map and the briefs show.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import pandas as pd
import shapely

if TYPE_CHECKING:
    from routes.publish.release import Release

__all__ = ["HXL_TAGS", "write_release"]

HXL_TAGS: dict[str, str] = {
    "u": "#loc+from+code",
    "v": "#loc+to+code",
    "u_name": "#loc+from+name",
    "v_name": "#loc+to+name",
    "place_id": "#loc+code",
    "name": "#loc+name",
    "country": "#country+code",
    "kind": "#loc+type",
    "n_people": "#affected+num",
    "n_events": "#affected+incident+num",
    "rate": "#affected+incident+pct",
    "risk": "#indicator+risk",
    "period": "#date+period",
    "h3": "#geo+h3",
    "hotspot": "#indicator+hotspot",
    "cluster": "#group+code",
    "label": "#group+name",
    "corridor": "#region+corridor",
    "figure": "#indicator+name",
    "value": "#indicator+num",
    "release_id": "#meta+release",
    "classification": "#meta+classification",
}

#: What an internal export's every table says in its ``classification`` column.
CONFIDENTIAL = "CONFIDENTIAL"


#: The files an export may write (an internal one prefixes each with ``CONFIDENTIAL-``).
_FILES = (
    "places.csv", "places.geojson", "segments.csv", "segments.geojson", "risks.csv", "periods.csv",
    "patterns.csv", "hexagons.csv", "hexagons.geojson", "corridors.csv", "manifest.json",
)


def _cell_text(value: object) -> str:
    """Text for a CSV cell: never read as a formula by a spreadsheet (OWASP CSV injection)."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _csv(frame: pd.DataFrame, path: Path) -> Path:
    if path.name.startswith(f"{CONFIDENTIAL}-"):  # the mark travels with the rows, whatever the file's name
        frame = frame.assign(classification=CONFIDENTIAL)
    tags = pd.DataFrame([[HXL_TAGS.get(str(c), "") for c in frame.columns]], columns=frame.columns)
    pd.concat([tags, frame.astype(object)], ignore_index=True).to_csv(path, index=False)
    return path


def _published(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.loc[frame["n_people"].notna()] if "n_people" in frame.columns else frame


def _export_audience(path: Path) -> str | None:
    """Whose export a CSV of ``folder`` is, read from its header and HXL row (a file renamed or
    translated keeps them): "internal", "public", or None for a CSV of something else."""
    try:
        with path.open(encoding="utf-8") as handle:
            head = handle.readline() + handle.readline()
    except (OSError, UnicodeDecodeError):
        return None
    if "#meta+release" not in head and "#meta+classification" not in head:
        return None
    return "internal" if "#meta+classification" in head else "public"


def write_release(release: Release, folder: Path) -> list[Path]:
    """Write ``release`` into ``folder`` (created); the paths written.

    An internal release (exact detail for the organisation) writes the same files, each named
    ``CONFIDENTIAL-…`` and each of its tables with a ``classification`` column saying so, and never
    into a folder holding a public export's file (nor a public one beside an internal export's), known
    by its name or, for a CSV renamed since, by its header: a partner uploading a folder cannot take
    one for the other.
    """
    from routes.errors import PolicyError

    folder.mkdir(parents=True, exist_ok=True)
    internal = release.policy.audience == "internal"
    prefix = f"{CONFIDENTIAL}-" if internal else ""
    theirs = {("" if internal else f"{CONFIDENTIAL}-") + name for name in _FILES}
    mine = "internal" if internal else "public"
    other = sorted(
        path.name for path in folder.iterdir()
        if path.name in theirs or (path.suffix == ".csv" and _export_audience(path) not in (None, mine))
    )
    if other:
        raise PolicyError(
            f"{folder} holds files of a {'public' if internal else 'CONFIDENTIAL internal'} export "
            f"({', '.join(other[:3])}): write the internal and the public exports into separate folders"
        )
    mark = {"classification": CONFIDENTIAL} if internal else {}  # GeoJSON: a property of every feature
    layers = release.layers
    names = layers.places["name"].astype(str)
    written = []
    places = _published(layers.places.reset_index())
    place_cols = ["place_id", "name", "country", "kind", "n_people", "n_events", "rate"]
    place_table = places[place_cols].assign(name=places["name"].map(_cell_text))
    written.append(_csv(place_table.assign(release_id=release.release_id), folder / f"{prefix}places.csv"))
    gpd.GeoDataFrame(
        place_table.assign(**mark), geometry=places.geometry.to_numpy(), crs="EPSG:4326"
    ).to_file(folder / f"{prefix}places.geojson", driver="GeoJSON")
    written.append(folder / f"{prefix}places.geojson")
    segments = _published(layers.segments).astype({"u": str, "v": str})
    seg_table = segments[["u", "v", "n_people", "n_events", "rate"]].assign(
        u_name=segments["u"].map(names).map(_cell_text), v_name=segments["v"].map(names).map(_cell_text)
    )
    written.append(_csv(seg_table.assign(release_id=release.release_id), folder / f"{prefix}segments.csv"))
    points = layers.places.geometry
    lines = (
        shapely.linestrings(
            [
                [(points[u].x, points[u].y), (points[v].x, points[v].y)]
                for u, v in zip(seg_table["u"], seg_table["v"], strict=True)
            ]
        )
        if len(seg_table)
        else []
    )
    gpd.GeoDataFrame(seg_table.assign(**mark), geometry=list(lines), crs="EPSG:4326").to_file(
        folder / f"{prefix}segments.geojson", driver="GeoJSON"
    )
    written.append(folder / f"{prefix}segments.geojson")
    if layers.risks is not None:
        written.append(_csv(layers.risks.astype(object), folder / f"{prefix}risks.csv"))
    if layers.periods is not None:
        written.append(_csv(layers.periods.astype({"period": str}), folder / f"{prefix}periods.csv"))
    if layers.patterns is not None:
        written.append(
            _csv(
                layers.patterns.rename(columns={"label_en": "label"}).drop(columns="label_es"),
                folder / f"{prefix}patterns.csv",
            )
        )
    if layers.hexagons is not None:
        hexes = layers.hexagons
        written.append(_csv(pd.DataFrame(hexes.drop(columns="geometry")), folder / f"{prefix}hexagons.csv"))
        hexes.assign(**mark).to_file(folder / f"{prefix}hexagons.geojson", driver="GeoJSON")
        written.append(folder / f"{prefix}hexagons.geojson")
    rows = []
    for corridor, f in sorted(release.findings.items()):
        for figure in ("people", "assisted", "referred", "referrals_completed"):
            rows.append({"corridor": corridor, "figure": figure, "value": getattr(f, figure)})
    written.append(_csv(pd.DataFrame(rows).astype({"value": "Int64"}), folder / f"{prefix}corridors.csv"))
    manifest = folder / f"{prefix}manifest.json"
    manifest.write_text(
        json.dumps(release.manifest(), indent=2, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8"
    )
    written.append(manifest)
    return written
