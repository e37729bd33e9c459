"""Build step: the sdist and the wheel carry the verified offline browser assets.

The metadata lives in pyproject.toml; this file only adds one step to ``sdist`` and ``build_py``.
Before either collects ``routes/assets/vendor/``, it runs ``python -m routes._assets ensure`` on this
tree: the vendored files are checked against their manifest and the pinned SHA-384 values, and
fetched from the npm registry (``npm pack``, pinned SHA-512) only when missing or altered. So a wheel
built from a clean checkout needs npm at build time, and a wheel built from the sdist (which carries
the files) needs none; the installed wheel never does. ``routes._assets`` stays the one place that
knows how to fetch and verify. An editable install (``pip install -e .``) skips the step:
``make assets`` fetches in place, and the package says so when the files are missing.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.command.sdist import sdist
from setuptools.errors import ExecError

ROOT = Path(__file__).resolve().parent


def ensure_assets() -> None:
    """Verify ``routes/assets/vendor`` of this tree, fetching it when needed; fail the build otherwise."""
    path = [str(ROOT), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(path), "PYTHONDONTWRITEBYTECODE": "1"}
    done = subprocess.run([sys.executable, "-m", "routes._assets", "ensure"], cwd=ROOT, env=env, check=False)
    if done.returncode:
        raise ExecError(
            "route-diagnostics: the sdist and the wheel carry the offline browser assets "
            "(routes/assets/vendor/), and this tree has none that verify and could not fetch them (the "
            "error above). Install Node.js with npm where the npm registry is reachable and build again; or "
            "build from a route-diagnostics sdist, which carries them and needs no npm; or copy a verified "
            "routes/assets/vendor/ (`python -m routes._assets fetch` on a machine with npm) into this tree."
        )


class BuildPy(build_py):
    """``build_py`` that first makes sure the vendored assets are there and verify (not in editable mode)."""

    def run(self) -> None:
        if not getattr(self, "editable_mode", False):
            ensure_assets()
        super().run()


class Sdist(sdist):
    """``sdist`` that first makes sure the vendored assets are there and verify, so the sdist carries them."""

    def run(self) -> None:
        ensure_assets()
        super().run()


setup(cmdclass={"build_py": BuildPy, "sdist": Sdist})
