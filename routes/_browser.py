"""Find the Chromium that prints PDF briefs: told, then the environment, then the usual places.

Order: an explicit path (``chromium=`` or the CLI's ``--chromium``); the ``ROUTES_CHROMIUM``
environment variable; ``shutil.which`` over the usual command names (Debian's ``chromium`` first);
the usual install folders on macOS and Windows; the browser Playwright downloads
(``playwright install chromium``). Nothing found: one error naming what to install on each system.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
from pathlib import Path

from routes.errors import RoutesError

__all__ = ["CHROMIUM_ARGS", "ENVIRONMENT_VARIABLE", "BrowserNotFoundError", "find_chromium",
           "require_playwright"]

ENVIRONMENT_VARIABLE = "ROUTES_CHROMIUM"
#: Headless, no sandbox (containers), and no background traffic: a brief never calls home.
CHROMIUM_ARGS: tuple[str, ...] = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
_COMMANDS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome", "msedge",
             "microsoft-edge")
_FOLDERS = (
    "/Applications/Chromium.app/Contents/MacOS/Chromium",
    "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
    "/Applications/Microsoft Edge.app/Contents/MacOS/Microsoft Edge",
    r"C:\Program Files\Google\Chrome\Application\chrome.exe",
    r"C:\Program Files (x86)\Google\Chrome\Application\chrome.exe",
    r"C:\Program Files (x86)\Microsoft\Edge\Application\msedge.exe",
)
_INSTALL = {
    "linux": "Debian/Ubuntu: sudo apt-get install chromium; Fedora: sudo dnf install chromium",
    "darwin": "macOS: brew install --cask chromium (or install Google Chrome)",
    "win32": "Windows: install Google Chrome or Microsoft Edge",
}


class BrowserNotFoundError(RoutesError, FileNotFoundError):
    """No Chromium (or no Playwright to drive it) to print a PDF with; the message says what to install."""


def require_playwright() -> None:
    """Check that Playwright, which drives Chromium to print PDFs, is installed (the ``pdf`` extra).

    Raises
    ------
    BrowserNotFoundError
        Playwright is not installed; the message names the extra to install.
    """
    if importlib.util.find_spec("playwright") is None:
        raise BrowserNotFoundError(
            "PDF briefs are printed by Chromium through Playwright, which is not installed: "
            "pip install 'route-diagnostics[pdf]' (HTML briefs need neither)"
        )


def find_chromium(explicit: str | os.PathLike[str] | None = None) -> str:
    """The path of a Chromium executable (see the module docstring for the order).

    Raises
    ------
    BrowserNotFoundError
        When an explicit or ``ROUTES_CHROMIUM`` path does not exist, or nothing is found.
    """
    for told, what in ((explicit, "chromium="), (os.environ.get(ENVIRONMENT_VARIABLE) or None,
                                                  f"${ENVIRONMENT_VARIABLE}")):
        if told is not None:
            if Path(told).is_file() or shutil.which(str(told)):
                return str(shutil.which(str(told)) or told)
            raise BrowserNotFoundError(f"{what} {str(told)!r}: no such browser executable")
    for name in _COMMANDS:
        found = shutil.which(name)
        if found:
            return found
    for path in _FOLDERS:
        if Path(path).is_file():
            return path
    bundled = _playwright_chromium()
    if bundled:
        return bundled
    how = _INSTALL.get(sys.platform, "install Chromium or Google Chrome")
    raise BrowserNotFoundError(
        "no Chromium found to print the PDF (looked at chromium=, "
        f"${ENVIRONMENT_VARIABLE}, {', '.join(_COMMANDS)} on the PATH, the usual install folders and "
        f"Playwright's own browser). {how}; or `python -m playwright install chromium`; or set "
        f"{ENVIRONMENT_VARIABLE}=/path/to/chromium. HTML briefs need no browser."
    )


def _playwright_chromium() -> str | None:
    """The Chromium ``playwright install chromium`` downloaded, when there is one."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    try:
        with sync_playwright() as playwright:
            path = playwright.chromium.executable_path
    except Exception:  # playwright's driver could not start: there is no bundled browser to use
        return None
    return path if path and Path(path).is_file() else None
