"""Screenshots for people to look at, taken so that a busy machine cannot fail the walk they illustrate.

A screenshot is an artefact of an end-to-end test, not one of its assertions. Chromium answers
`Page.captureScreenshot` with "Unable to capture screenshot" when its compositor has no frame to give (the page
is still laying out a long document on a loaded machine, or a navigation has just committed). The page is
waited for, the capture tried again, and in the end a viewport capture stands in for the full page.
"""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Error, Page

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
TRANSIENT = "Unable to capture screenshot"


def capture(page: Page, path: Path, *, full_page: bool = True, attempts: int = 3) -> None:
    """Write a PNG of `page` to `path`; retries the transient compositor failure, then falls back to the viewport."""
    path.parent.mkdir(parents=True, exist_ok=True)
    page.wait_for_load_state("load")
    for attempt in range(attempts):
        try:
            page.screenshot(path=str(path), full_page=full_page and attempt < attempts - 1)
            return
        except Error as error:
            if TRANSIENT not in str(error) or attempt == attempts - 1:
                raise
            page.wait_for_timeout(500 * (attempt + 1))
