"""axe-core in real Chromium: crawl what a signed-in person can reach and check every page.

axe-core is vendored beside this file (tests/e2e/vendor/axe-core, the npm package, MPL-2.0) and
injected by evaluating its text: the app's Content-Security-Policy allows no inline script, and
Playwright's evaluate runs outside the page's CSP, so the page under test is unchanged.

The crawl follows same-origin links breadth first (htmx fragment URLs are parts of pages, checked
within the page that loads them) from a start page and
visits one URL per route (view name and query keys): "every page" means every kind of page a
role can reach, not every client's chart. Downloads (PDF, CSV) and sign-out are not pages.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, urldefrag, urlsplit

from django.urls import Resolver404, resolve
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page

AXE_SOURCE = (Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js").read_text()

# WCAG 2.0, 2.1 and 2.2 at levels A and AA: the rules the clinic commits to.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]

LAPTOP = {"width": 1366, "height": 900}
TABLET = {"width": 820, "height": 1180}

# Links that are actions or files (PDFs, CSVs, exports: Chromium's viewer would load its own
# resources), not pages to read.
SKIP_SUFFIXES = (".pdf", ".csv", ".ics", ".json", ".svg", ".png")
SKIP_SEGMENTS = {"print", "pdf", "export", "download"}
SKIP_PATHS = ("/account/sign-out/", "/static/", "/admin/")


@dataclass
class AxeReport:
    pages: list[str] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)


def axe_violations(page: Page) -> list[str]:
    """Every WCAG 2.2 A/AA violation on the page as it is now, one line per failing node."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_SOURCE)
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags},"
        " resultTypes: ['violations']})",
        WCAG_TAGS,
    )
    lines = []
    for violation in result["violations"]:
        for node in violation["nodes"]:
            target = " ".join(str(part) for part in node["target"])
            lines.append(f"{violation['id']} ({violation['impact']}): {target}")
    return lines


def _route_key(path: str) -> str | None:
    parts = urlsplit(path)
    if parts.path.endswith(SKIP_SUFFIXES) or parts.path.startswith(SKIP_PATHS):
        return None
    if SKIP_SEGMENTS & set(parts.path.split("/")):
        return None
    try:
        match = resolve(parts.path)
    except Resolver404:
        return None
    keys = sorted({key for key, _ in parse_qsl(parts.query)})
    return f"{match.view_name}?{'&'.join(keys)}"


def _links(page: Page) -> list[str]:
    return page.evaluate(
        """() => {
            const out = [];
            for (const a of document.querySelectorAll('a[href]')) {
                if (a.hasAttribute('download')) continue;
                out.push(a.href);
            }
            return out;
        }"""
    )


def crawl_and_check(
    page: Page, start: str, *, limit: int = 100, sizes_once: set[str] | None = None
) -> AxeReport:
    """Visit up to `limit` distinct routes reachable from `start` and run axe on each at a
    laptop and a tablet size. With `sizes_once`, the tablet size is checked only for routes not
    in it (and they are added): a route another role's crawl already checked at that width.
    Returns the pages visited and the violations found."""
    origin = urlsplit(page.url or start)
    report = AxeReport()
    seen: set[str] = set()
    queue: deque[str] = deque([start])
    while queue and len(report.pages) < limit:
        url = queue.popleft()
        parts = urlsplit(url)
        if parts.netloc and parts.netloc != origin.netloc:
            continue
        path = urldefrag(parts.path + (f"?{parts.query}" if parts.query else ""))[0]
        key = _route_key(path)
        if key is None or key in seen:
            continue
        seen.add(key)
        try:
            response = page.goto(path)
        except PlaywrightError:
            continue  # a download or an aborted navigation: not a page
        if response is None or not response.ok:
            continue
        if "text/html" not in (response.headers.get("content-type") or ""):
            continue
        # htmx fragments (the reminder count, panels) are part of the page axe should see.
        page.wait_for_function("() => !document.querySelector('.htmx-request')")
        report.pages.append(path)
        sizes = [LAPTOP]
        if sizes_once is None or key not in sizes_once:
            sizes.append(TABLET)
            if sizes_once is not None:
                sizes_once.add(key)
        for size in sizes:
            page.set_viewport_size(size)
            # Two frames: the layout for the new size and its ResizeObserver callbacks are done.
            page.evaluate(
                "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"
            )
            report.violations += [
                f"{path} @{size['width']}: {line}" for line in axe_violations(page)
            ]
        page.set_viewport_size(LAPTOP)
        queue.extend(_links(page))
    return report
