"""Headless Chromium for the browser checks (Debian's ``chromium``, driven by Playwright).

The tests skip, saying why, only where Chromium or Playwright is not installed;
``.ci/run`` installs Chromium so CI runs them.
"""

import shutil
from contextlib import contextmanager

import pytest

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@contextmanager
def chromium_page(width: int = 1400, height: int = 1000):
    """Yield a Playwright page of a fresh headless Chromium (new, empty profile)."""
    playwright = pytest.importorskip("playwright.sync_api", reason="playwright is in the test extra")
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        pytest.skip("Chromium is not installed (Debian: apt-get install chromium; .ci/run installs it)")
    with playwright.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        try:
            yield browser.new_page(viewport={"width": width, "height": height})
        finally:
            browser.close()
