"""Shared fixtures: a headless Debian chromium through Playwright, pages opened with the network cut.

Browser tests mark themselves ``pytest.mark.browser`` and use ``open_offline(path)``: it loads a
local HTML file in a fresh browser context where every http(s) request is aborted and recorded, and
collects console errors and uncaught page errors, so a test can assert that a published page works
with no network and asks for none. Screenshots go to ``test-artifacts/`` (not in git).

Every test module, and every test, gets its own release ledger (``ROUTES_LEDGER``): a ledger is the
memory of what a working folder published, so tests that publish other data under the same data-set
name must not share one (they would republish each other's cells).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    import pandas as pd
    from playwright.sync_api import Browser, BrowserContext, Page, Route

    from routes.publish import Release

from routes._browser import CHROMIUM_ARGS, find_chromium

ARTIFACTS_DIR = Path(__file__).resolve().parent.parent / "test-artifacts"


SAMPLE = Path(__file__).resolve().parent.parent / "data" / "sample"


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with a small sample's export (seed 11, 150 people): cases.csv and events.csv."""
    from routes.sample import generate_sample

    folder = tmp_path_factory.mktemp("tiny")
    data = generate_sample(seed=11, people=150)
    data.cases.to_csv(folder / "cases.csv", index=False)
    data.events.to_csv(folder / "events.csv", index=False)
    return folder


@pytest.fixture(scope="module")
def sample_tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The bundled sample, validated: cases and events."""
    from routes.io import validate

    report = validate(SAMPLE / "cases.csv", events=SAMPLE / "events.csv")
    return report.cases, report.events


@pytest.fixture(scope="module")
def release(sample_tables: tuple[pd.DataFrame, pd.DataFrame]) -> Release:
    """The sample's release with the Andean brief (every corridor's is the same mechanism)."""
    from routes.publish import Release

    cases, events = sample_tables
    return Release.build(cases, events, corridors=("andean",), dataset="sample")


@pytest.fixture(scope="module", autouse=True)
def module_ledger(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A fresh release ledger for the module's shared fixtures."""
    path = tmp_path_factory.mktemp("ledger") / "routes-releases.sqlite"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ROUTES_LEDGER", str(path))
        yield path


@pytest.fixture(autouse=True)
def test_ledger(module_ledger: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh release ledger for each test."""
    path = tmp_path / "routes-releases.sqlite"
    monkeypatch.setenv("ROUTES_LEDGER", str(path))
    return path


@dataclass
class OfflinePage:
    """A page loaded with the network blocked, and what it tried or complained about."""

    page: Page
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    blocked_requests: list[str] = field(default_factory=list)

    @property
    def problems(self) -> list[str]:
        """Every console error, uncaught exception and network request, for one assertion."""
        return (
            [f"console: {e}" for e in self.console_errors]
            + [f"exception: {e}" for e in self.page_errors]
            + [f"request: {u}" for u in self.blocked_requests]
        )

    def open_layer_control(self) -> None:
        """Hover the (collapsed) layer control so its checkboxes show, as a reader's pointer does."""
        self.page.locator(".leaflet-control-layers").hover()

    def screenshot(self, name: str) -> Path:
        """Save a PNG of the viewport as ``test-artifacts/<name>.png`` and return its path."""
        ARTIFACTS_DIR.mkdir(exist_ok=True)
        path = ARTIFACTS_DIR / f"{name}.png"
        self.page.screenshot(path=str(path))
        return path


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One headless chromium (Debian's here: Playwright cannot download its own) for the session."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=find_chromium(), headless=True,
                                              args=list(CHROMIUM_ARGS))
        yield chromium
        chromium.close()


@pytest.fixture
def open_offline(browser: Browser) -> Iterator[Callable[..., OfflinePage]]:
    """Open a local HTML file with every http(s) request aborted; returns an :class:`OfflinePage`.

    Call as ``open_offline(path, viewport=(1200, 800), wait_for=".leaflet-container")``. Each call gets
    its own browser context (no shared cache or storage); all are closed after the test.
    """
    contexts: list[BrowserContext] = []

    def open_page(
        path: Path, *, viewport: tuple[int, int] = (1200, 800), wait_for: str | None = None
    ) -> OfflinePage:
        context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]},
                                      service_workers="block")
        contexts.append(context)
        page = context.new_page()
        loaded = OfflinePage(page)
        page.on("console",
                lambda message: message.type == "error" and loaded.console_errors.append(message.text))
        page.on("pageerror", lambda error: loaded.page_errors.append(str(error)))

        def only_local(route: Route) -> None:
            url = route.request.url
            if url.startswith(("file:", "data:", "blob:")):
                route.continue_()
            else:
                loaded.blocked_requests.append(url)
                route.abort("internetdisconnected")

        context.route("**/*", only_local)
        page.goto(Path(path).resolve().as_uri(), wait_until="load")
        if wait_for:
            page.wait_for_selector(wait_for, state="attached")
        return loaded

    yield open_page
    for context in contexts:
        context.close()
