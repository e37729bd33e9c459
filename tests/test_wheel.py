"""A wheel that works offline: the sdist and the wheel carry the verified browser assets.

The slow test builds from a clean checkout of the current commit (``git archive HEAD``: commit
first, uncommitted changes are not in it): the sdist with npm on the PATH (the build step fetches
and verifies the assets, ``setup.py``), then the wheel from that sdist with no npm on the PATH,
installs the wheel into a fresh virtual environment and runs its ``routes demo`` from a scratch
folder, still without npm and without the checkout on ``sys.path``. The fresh environment borrows
this environment's libraries (geopandas and the rest) through a ``.pth`` file instead of downloading
them again; ``routes`` itself can only come from the installed wheel.

The quick tests check the pieces: ``python -m routes._assets verify`` / ``ensure``, and a checkout
without assets that fails before any work with one message naming the fix.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from pathlib import Path
from typing import Any

import pytest

from routes import _assets

REPO = Path(__file__).resolve().parents[1]
LEAFLET_JS = f"routes/assets/vendor/{_assets.ASSET_FILES[0].key}"
MANIFEST = "routes/assets/vendor/manifest.json"
#: Hidden from the PATH of the wheel build and of the installed package: neither may need them.
NODE_TOOLS = frozenset({"npm", "npx", "node", "nodejs", "corepack", "pnpm", "yarn"})
_EXTERNAL_SCRIPT = re.compile(r"""<script\b[^>]*\bsrc\s*=\s*['"]?\s*(?:https?:)?//""", re.I)
_EXTERNAL_LINK = re.compile(r"""<link\b[^>]*\bhref\s*=\s*['"]?\s*(?:https?:)?//""", re.I)


def _run(command: list[str | Path], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """Run a command, failing the test with the end of its output when it fails."""
    done = subprocess.run([str(c) for c in command], capture_output=True, text=True, check=False, **kwargs)
    tail = f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    assert done.returncode == 0, f"{command} exited {done.returncode}:\n{tail}"
    return done


def _clean_checkout(dest: Path) -> Path:
    """The files of the current commit (``git archive HEAD``), without anything git ignores."""
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("needs a git checkout of routes")
    archive = subprocess.run(["git", "-C", str(REPO), "archive", "--format=tar", "HEAD"], capture_output=True,
                             check=True).stdout
    dest.mkdir(parents=True)
    tar = dest.with_suffix(".tar")
    tar.write_bytes(archive)
    with tarfile.open(tar) as files:
        files.extractall(dest, filter="data")
    tar.unlink()
    assert not (dest / "routes" / "assets" / "vendor").exists()
    return dest


def _path_without_node(shims: Path) -> str:
    """A PATH with every command of this one (first of each name) but npm, node and friends."""
    shims.mkdir()
    own_bin = Path(sys.executable).parent  # this environment's scripts point at this environment
    for folder in os.environ.get("PATH", "").split(os.pathsep):
        if not folder or not Path(folder).is_dir() or Path(folder) == own_bin:
            continue
        for entry in Path(folder).iterdir():
            link = shims / entry.name
            if entry.name in NODE_TOOLS or link.is_symlink() or not entry.is_file():
                continue
            if not os.access(entry, os.X_OK):
                continue
            link.symlink_to(entry)
    assert shutil.which("npm", path=str(shims)) is None
    return str(shims)


def _library_paths() -> list[str]:
    """Where this environment's libraries are: ``sys.path`` less the stdlib and routes' sources.

    A venv's site-packages can sit under its ``platstdlib`` (``.venv/lib/python3.11``): kept.
    """
    stdlib = {Path(sysconfig.get_path(name)).resolve() for name in ("stdlib", "platstdlib")}
    prefix = Path(sys.prefix).resolve()
    paths = []
    for entry in sys.path:
        path = Path(entry or ".").resolve()
        if (not path.is_dir() or (path / "routes" / "__init__.py").exists()
                or (any(path == s or s in path.parents for s in stdlib) and "site-packages" not in path.parts)
                or (path.is_relative_to(REPO) and not path.is_relative_to(prefix))):
            continue
        paths.append(str(path))
    return list(dict.fromkeys(paths))


# -- the pieces ----------------------------------------------------------------------------------


def test_verify_names_the_fetch_when_nothing_was_fetched(tmp_path: Path) -> None:
    with pytest.raises(_assets.AssetError, match=r"not installed .*python -m routes\._assets fetch") as error:
        _assets.verify_assets(tmp_path)
    assert error.value.__cause__ is None  # one message, no chained traceback


def test_verify_refuses_a_pinned_file_altered_with_its_manifest(tmp_path: Path) -> None:
    vendor = tmp_path / "vendor"
    shutil.copytree(_assets.VENDOR_DIR, vendor)
    assert _assets.verify_assets(vendor) >= len(_assets.ASSET_FILES) + len(_assets.DATA_FILES)
    key = _assets.ASSET_FILES[0].key
    altered = (vendor / key).read_bytes() + b"\n/* altered */\n"
    (vendor / key).write_bytes(altered)
    manifest = json.loads((vendor / "manifest.json").read_text(encoding="utf-8"))
    for entry in manifest["files"]:  # a consistent manifest: only the pinned SHA-384 can tell
        if entry["file"] == key:
            entry["sha256"] = hashlib.sha256(altered).hexdigest()
    (vendor / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(_assets.AssetError, match=r"leaflet\.js: sha384-.*expected sha384-.*\(pinned\)"):
        _assets.verify_assets(vendor)


def test_ensure_keeps_verified_assets_and_needs_no_npm(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    vendor = tmp_path / "vendor"
    shutil.copytree(_assets.VENDOR_DIR, vendor)
    assert _assets.main(["ensure", "--dest", str(vendor), "--npm", "no-such-npm"]) == 0
    assert capsys.readouterr().out.startswith("verified ")


def test_ensure_without_npm_says_what_is_missing_and_how_to_get_it(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        _assets.main(["ensure", "--dest", str(tmp_path), "--npm", "no-such-npm"])
    assert stop.value.code == 1
    err = capsys.readouterr().err
    assert "not installed (no manifest.json). Fetching them from the npm registry." in err
    assert "'no-such-npm' not found on the PATH" in err and "install Node.js with npm" in err
    assert "sdist" in err and not (tmp_path / "manifest.json").exists()


def test_a_checkout_without_assets_fails_before_the_work_with_one_message(tmp_path: Path) -> None:
    src = _clean_checkout(tmp_path / "src")
    env = {**os.environ, "COLUMNS": "500", "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("PYTHONPATH", None)
    done = subprocess.run([sys.executable, "-m", "routes.cli", "map", "data/sample/cases.csv", "--events",
                           "data/sample/events.csv", "-o", str(tmp_path / "map.html"), "--offline"],
                          cwd=src, env=env, capture_output=True, text=True, check=False, timeout=300)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    assert lines[0].startswith(f"error: {src / MANIFEST}: the offline browser assets are not installed")
    assert "`python -m routes._assets fetch`" in lines[0] and "`make assets`" in lines[0]
    assert not (tmp_path / "map.html").exists()


def test_without_the_pdf_extra_demo_stops_at_once_naming_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from routes import cli

    monkeypatch.setitem(sys.modules, "playwright", None)  # as after `pip install route-diagnostics`
    monkeypatch.setenv("COLUMNS", "500")
    assert cli.main(["demo", "--out", str(tmp_path / "out"), "--chromium", sys.executable]) == 2
    err = capsys.readouterr().err
    assert "through Playwright, which is not installed: pip install 'route-diagnostics[pdf]'" in err
    assert not (tmp_path / "out").exists()


# -- the whole path ------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.browser
def test_a_wheel_from_a_clean_checkout_runs_the_demo_offline_without_npm(tmp_path: Path) -> None:
    from routes._browser import BrowserNotFoundError, find_chromium

    if shutil.which("npm") is None:
        pytest.skip("the sdist of a clean checkout fetches the assets with npm")
    try:
        find_chromium()
    except BrowserNotFoundError:
        pytest.skip("routes demo prints PDF briefs: needs a Chromium")
    no_node = _path_without_node(tmp_path / "no-node-bin")
    dist = tmp_path / "dist"

    # The sdist of a clean checkout: the build step fetches and verifies the assets, and ships them.
    src = _clean_checkout(tmp_path / "src")
    _run([sys.executable, "-m", "build", "--no-isolation", "--sdist", "--outdir", dist, src], timeout=600)
    (sdist,) = dist.glob("*.tar.gz")
    with tarfile.open(sdist) as archive:
        names = archive.getnames()
        archive.extractall(tmp_path / "unpacked", filter="data")
    top = names[0].split("/")[0]
    assert f"{top}/{MANIFEST}" in names and f"{top}/{LEAFLET_JS}" in names

    # The wheel from the sdist, with no npm: the assets it carries verify, nothing is fetched.
    built = _run([sys.executable, "-m", "build", "--no-isolation", "--wheel", "--outdir", dist,
                  tmp_path / "unpacked" / top], env={**os.environ, "PATH": no_node}, timeout=600)
    assert "verified " in built.stdout and "Fetching" not in built.stderr
    (wheel,) = dist.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        manifest = json.loads(archive.read(MANIFEST))
        shipped = set(archive.namelist())
        leaflet = archive.read(LEAFLET_JS)
    assert {f"routes/assets/vendor/{entry['file']}" for entry in manifest["files"]} <= shipped
    assert _assets._sri(leaflet) == _assets.ASSET_FILES[0].integrity

    # A fresh environment: the wheel installed on its own, this environment's libraries borrowed.
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", venv])
    python = venv / "bin" / "python"
    _run([sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index",
          "--no-cache-dir", "--quiet", wheel])
    site = Path(_run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"]).stdout.strip())
    (site / "borrowed-libraries.pth").write_text("\n".join(_library_paths()) + "\n", encoding="utf-8")

    run_dir = tmp_path / "run"
    run_dir.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    env |= {"PATH": f"{venv / 'bin'}{os.pathsep}{no_node}", "PYTHONNOUSERSITE": "1", "COLUMNS": "200"}
    probe = ("import json, pathlib, sys, routes\n"
             "sources = [p for p in sys.path if pathlib.Path(p or '.', 'routes', '__init__.py').is_file()]\n"
             "print(json.dumps({'routes': routes.__file__, 'sources': sources}))")
    seen = json.loads(_run([python, "-c", probe], cwd=run_dir, env=env).stdout)
    assert Path(seen["routes"]).resolve().is_relative_to(venv.resolve()), seen
    # routes can come from the installed wheel only: neither the repository nor the checkout is on sys.path
    assert [Path(p).resolve() for p in seen["sources"]] == [site.resolve()], seen
    _run([python, "-m", "routes._assets", "verify"], cwd=run_dir, env=env)

    out = tmp_path / "out"
    _run([venv / "bin" / "routes", "demo", "--out", out, "--data", tmp_path / "sample"], cwd=run_dir, env=env,
         timeout=1200)
    for lang in ("es", "en"):
        page = (out / f"route_map_{lang}.html").read_text(encoding="utf-8")
        assert not _EXTERNAL_SCRIPT.search(page) and not _EXTERNAL_LINK.search(page)
        assert "cdn.jsdelivr.net" not in page and "cdnjs.cloudflare.com" not in page
        assert leaflet.decode("utf-8")[-2000:] in page  # Leaflet inlined from the wheel's copy
    assert (out / "brief_all_en.pdf").read_bytes().startswith(b"%PDF")
