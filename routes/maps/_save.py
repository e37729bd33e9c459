"""Saving a publishable page: positional element ids, inlined or pinned assets, a CSP, the check."""

from __future__ import annotations

from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any

from routes.errors import MapError

if TYPE_CHECKING:
    import folium

    from routes.privacy import DisclosurePolicy


def stable_ids(m: folium.Map) -> folium.Map:
    """Give every element of ``m`` an id from its position, not a random one.

    Folium names elements with random hex ids, so two renderings of one map differ (and so do the
    CSP hashes of their scripts); with positional ids the same release gives byte-identical pages
    that anyone can verify by rendering again.
    """
    seen = 0

    def visit(element: Any) -> None:
        nonlocal seen
        element._id = f"{seen:032x}"
        seen += 1
        for child in element._children.values():
            visit(child)

    visit(m.get_root())
    return m


#: Hosts an online page loads from: pinned scripts and styles, and OpenStreetMap's tiles.
ONLINE_ASSET_HOST = "https://cdn.jsdelivr.net"
ONLINE_TILE_HOST = "https://tile.openstreetmap.org"


def save_map(
    m: folium.Map, path: str | PathLike[str], *, offline: bool | None = None,
    policy: DisclosurePolicy | None = None,
) -> Path:
    """Write ``m`` as a publishable HTML page: assets inlined or pinned, a strict CSP, checked.

    Parameters
    ----------
    m
        A map from :func:`route_map`.
    path
        Output file.
    offline
        Inline every script, stylesheet, image and font (the page then makes no network request).
        By default, offline when the map has no tile layer. Online, assets stay on jsDelivr with
        Subresource Integrity and tiles come from OpenStreetMap, which sees the viewer's address.
    policy
        Policy for the final check (:func:`routes.privacy.check_publishable`); public by default.

    Raises
    ------
    MapError
        ``offline=True`` for a map with a tile layer (build it with ``route_map(..., offline=True)``).
    routes._assets.AssetError
        Offline assets were never fetched (``python -m routes._assets fetch``).
    DisclosureError
        The page fails the publication check; nothing is written.
    """
    import folium

    from routes._assets import inline_assets, pin_assets
    from routes._web import with_csp
    from routes.privacy import DisclosurePolicy, check_publishable

    release = getattr(m, "_routes_release", None)
    if release is not None:
        release.check()
        policy = release.policy if policy is None else policy
    has_tiles = any(isinstance(child, folium.TileLayer) for child in m._children.values())
    offline = not has_tiles if offline is None else offline
    if offline and has_tiles:
        raise MapError("offline=True but the map loads tiles from the network; build it with offline=True")
    page = m.get_root().render()
    if offline:
        page = with_csp(inline_assets(page))
    else:
        hosts = [ONLINE_ASSET_HOST]
        page = with_csp(pin_assets(page), extra_script_src=hosts, extra_style_src=hosts,
                        img_src=["data:", ONLINE_TILE_HOST, *hosts])
    target = Path(path)
    check_publishable(page, policy=DisclosurePolicy.public() if policy is None else policy, name=str(target),
                      kind="html")
    target.write_text(page, encoding="utf-8")
    return target
