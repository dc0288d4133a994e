"""The explorer in a real browser: Debian's chromium, driven by Playwright for Python
(pointed at /usr/bin/chromium; nothing downloads a browser), against ``autofacts serve``.

Each page loads with its own stylesheet and script under its CSP, fits 360 px, and passes
axe-core (npm, clients/node_modules) without a serious or critical violation; the time
controls change the URL and the page; hovering or focusing a quoted span shows its facts;
search works. Screenshots of every page at 360 and 1280 px go to artifacts/screenshots/.
"""

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.core.config import ROOT
from tests.live_server import LiveServer, live_server
from tests.test_generated_clients import node_tools  # noqa: F401 - clients/node_modules, pinned

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
AXE = ROOT / "clients" / "node_modules" / "axe-core" / "axe.min.js"
SHOTS = ROOT / "artifacts" / "screenshots"
WIDTHS = (360, 1280)
PAGES = {
    "home": "/",
    "company": "/companies/nissan",
    "source": "/sources/2025-11-14-honda-nissan",
    "partnership": "/partnerships/3",
    "executive": "/executives/ivan-espinosa",
    "tariff": "/tariffs/1",
    "plan": "/restructuring-plans/1",
    "statement": "/statements/1",
    "search": "/search?q=nissan",
    "not-found": "/companies/tesla",
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with live_server(tmp_path_factory.mktemp("explorer"), "explorer") as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    # CI installs it (.ci/run): a missing browser is a failure, never a skip.
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: install Debian's chromium "
            "(apt-get install -y chromium chromium-driver)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    errors: list[str] = []
    # A CSP violation or a script error is a console error.
    opened.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    opened.on("pageerror", lambda e: errors.append(str(e)))
    opened.errors = errors
    yield opened
    context.close()


def _axe(page: Any) -> list[dict[str, Any]]:
    """axe-core's violations on the page (WCAG 2.1 A and AA, best practices)."""
    # Evaluated through the DevTools protocol: the page's CSP (scripts from 'self' only)
    # stays as it is for the page's own script.
    page.evaluate(AXE.read_text())
    result = page.evaluate(
        "() => axe.run(document, {runOnly: {type: 'tag', values: "
        "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}})"
    )
    return list(result["violations"])


@pytest.mark.usefixtures("node_tools")
def test_every_page_loads_fits_passes_axe_and_is_screenshotted(
    server: LiveServer, page: Any
) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    summary: dict[str, Any] = {}
    minor: dict[str, list[str]] = {}
    written = []
    for name, path in PAGES.items():
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            page.errors.clear()
            response = page.goto(server.base_url + path)
            assert response is not None
            assert response.status == (404 if name == "not-found" else 200), name
            assert page.locator("h1").count() == 1
            assert page.evaluate("getComputedStyle(document.body).margin") == "0px", "no CSS"
            overflow = page.evaluate("document.documentElement.scrollWidth")
            assert overflow <= width, f"{name} is {overflow} px wide at {width} px"
            shot = SHOTS / f"{name}-{width}.png"
            page.screenshot(path=str(shot), full_page=True)
            written.append(shot.name)
            # The browser reports the 404 page's own status as an error; nothing else may be.
            errors = [e for e in page.errors if name != "not-found" or "404" not in e]
            assert not errors, (name, errors)
            violations = _axe(page)
            minor[f"{name}@{width}"] = [v["id"] for v in violations]
            summary[f"{name}@{width}"] = [
                (v["id"], v["impact"], len(v["nodes"]))
                for v in violations
                if v["impact"] in ("serious", "critical")
            ]
    print("screenshots:", " ".join(written))
    print("axe-core serious/critical violations:", json.dumps(summary))
    print("axe-core violations of any impact:", json.dumps({k: v for k, v in minor.items() if v}))
    assert not any(summary.values()), summary


def test_the_time_controls_change_the_url_and_the_page(server: LiveServer, page: Any) -> None:
    page.goto(server.base_url + "/executives/ivan-espinosa")
    assert "since 2025-04" in page.inner_text("main")
    page.fill("input[name=valid_at]", "2024-06-01")
    page.click("form.time button[type=submit]")
    page.wait_for_url("**valid_at=2024-06-01**")
    assert "since 2025-04" not in page.inner_text("main")
    assert "valid_at=2024-06-01" in page.get_attribute("footer a[href^='/v1/']", "href")
    page.fill("input[name=valid_at]", "2025-06-01")
    page.press("input[name=valid_at]", "Enter")
    page.wait_for_url("**valid_at=2025-06-01**")
    assert "since 2025-04" in page.inner_text("main")
    page.click("text=Now")
    assert "valid_at" not in page.url
    assert not page.errors, page.errors


def test_hovering_or_focusing_a_quoted_span_shows_its_facts(server: LiveServer, page: Any) -> None:
    page.goto(server.base_url + "/sources/2025-11-14-honda-nissan")
    tip = page.locator("#cite-tip")
    assert tip.is_hidden()
    first = page.locator("a.cite").first
    facts = first.get_attribute("data-facts").split()
    first.hover()
    assert tip.is_visible()
    for fact in facts:
        summary = page.get_attribute(f"#f{fact}", "data-summary")
        assert summary in tip.inner_text()
    page.mouse.move(0, 0)
    assert tip.is_hidden()
    # Keyboard: Tab reaches the spans; the focused one is described by the tip.
    page.locator("a.cite").nth(1).focus()
    assert tip.is_visible()
    assert page.locator("a.cite").nth(1).get_attribute("aria-describedby") == "cite-tip"
    # Following a span leads to its fact, and the fact's link leads back to the span.
    first.click()
    assert page.url.endswith(f"#f{facts[0]}")
    page.locator(f"#f{facts[0]} .backlinks a").first.click()
    assert "#q" in page.url
    assert not page.errors, page.errors


def test_search_from_the_header_shows_highlighted_results(server: LiveServer, page: Any) -> None:
    page.goto(server.base_url + "/")
    page.fill("#top-q", "Espinosa")
    page.press("#top-q", "Enter")
    page.wait_for_url("**/search?q=Espinosa**")
    assert page.locator("ol.hits li").count() >= 1
    assert page.locator("ol.hits mark").first.inner_text().lower() == "espinosa"
    page.select_option("#search-type", "statement")
    page.click("form.big-search button")
    page.wait_for_url("**type=statement**")
    types = page.locator("ol.hits .type").all_inner_texts()
    assert types and set(types) == {"statement"}
    page.locator("ol.hits a").first.click()
    assert "/statements/" in page.url
    assert not page.errors, page.errors


def test_the_docs_load_nothing_from_another_origin(server: LiveServer, page: Any) -> None:
    """Swagger UI and ReDoc work offline: every request either page makes is to the app
    (ReDoc's attribution logo came from cdn.redoc.ly; only the CSP stopped it)."""
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    for path, shown in (("/docs", ".opblock"), ("/redoc", "text=API docs by Redocly")):
        requested.clear()
        page.errors.clear()
        page.goto(server.base_url + path, wait_until="networkidle")
        page.wait_for_selector(shown)
        page.wait_for_load_state("networkidle")
        # ReDoc's search runs in a worker made from a blob of the page's own origin.
        own = (server.base_url, f"blob:{server.base_url}/", "data:")
        elsewhere = [u for u in requested if not u.startswith(own)]
        assert not elsewhere, (path, elsewhere)
        assert f"{server.base_url}/openapi.json" in requested, path
        assert not page.errors, (path, page.errors)
